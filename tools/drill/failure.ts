/** A failure of a running script, at a script line: what runDrill reports as "FILE:LINE: reason". */
export class Failure extends Error {
  constructor(readonly line: number, message: string) {
    super(message);
  }
}
