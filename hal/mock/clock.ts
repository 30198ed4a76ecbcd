/**
 * A clock that only moves when told to: the mock HAL's time source. Tests advance it explicitly (or
 * through MockNet.run), so every timer in the stack fires at a reproducible virtual moment and no test
 * ever sleeps on the wall clock.
 */
import type { Clock } from '../../src/hal.js';

export class VirtualClock implements Clock {
  private t: number;

  constructor(startMs = 0) {
    this.t = startMs;
  }

  /** Milliseconds since the (virtual) epoch. */
  now(): number {
    return this.t;
  }

  /** Jumps to `t`. Time is monotonic: a `t` earlier than now is ignored (returns false). */
  set(t: number): boolean {
    if (!(t >= this.t)) return false;
    this.t = t;
    return true;
  }

  /** Moves time forward by `ms` (negative or NaN is ignored). Returns the new time. */
  advance(ms: number): number {
    if (ms > 0) this.t += ms;
    return this.t;
  }
}
