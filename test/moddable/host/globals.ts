/**
 * The few Moddable runtime globals that Moddable's network client modules use, for running their
 * JavaScript on Node (test/moddable/io419.ts): `trace`, `ArrayBuffer.fromString`,
 * `String.fromArrayBuffer`, `Math.irandom`, and `Uint8Array.prototype.toBase64` (TC39's base64
 * proposal, which XS implements and Node 20 lacks). Our own implementations of their documented
 * behaviour, installed only where missing.
 */
type Anyish = Record<string, unknown>;

export function installModdableGlobals(log: (s: string) => void): void {
  const g = globalThis as unknown as Anyish;
  g.trace = (...args: unknown[]) => log(args.map(String).join(''));
  const AB = ArrayBuffer as unknown as Anyish;
  if (typeof AB.fromString !== 'function') {
    AB.fromString = (s: string): ArrayBuffer => {
      const u = new TextEncoder().encode(String(s));
      return u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
    };
  }
  const S = String as unknown as Anyish;
  if (typeof S.fromArrayBuffer !== 'function') {
    S.fromArrayBuffer = (b: ArrayBuffer | ArrayBufferView): string =>
      new TextDecoder().decode(ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(b));
  }
  const M = Math as unknown as Anyish;
  if (typeof M.irandom !== 'function') {
    M.irandom = (a: number, b?: number): number => {
      if (b === undefined) return Math.floor(Math.random() * a);
      return a + Math.floor(Math.random() * (b - a));
    };
  }
  const P = Uint8Array.prototype as unknown as Anyish;
  if (typeof P.toBase64 !== 'function') {
    P.toBase64 = function (this: Uint8Array): string {
      let bin = '';
      for (let i = 0; i < this.length; i++) bin += String.fromCharCode(this[i]);
      return btoa(bin);
    };
  }
}
