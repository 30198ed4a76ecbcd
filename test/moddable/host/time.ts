/** Moddable's `time` module on Node: Time.ticks (ms), Time.delta(start, end). */
const start = Date.now();
export default class Time {
  static get ticks(): number { return Date.now() - start; }
  static delta(a: number, b: number = Time.ticks): number { return b - a; }
}
