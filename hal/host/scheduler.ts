/**
 * Wall-clock scheduler: calls the stack's tick(now) every `periodMs` (default 5 ms) from a Node
 * interval, and once more as soon as possible after a burst of received frames (`poke`), so that
 * delayed ACKs, window updates and application output that the frames caused go out without
 * waiting for the next period. Ticks never nest: a poke during a tick runs after it returns.
 */
import type { Clock, Scheduler } from '../../src/hal.js';

export interface HostSchedulerOptions {
  /** Period of the regular tick, ms. Default 5. */
  periodMs?: number;
}

export class HostScheduler implements Scheduler {
  readonly clock: Clock;
  readonly periodMs: number;
  private tickFn: ((now: number) => void) | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private immediate: ReturnType<typeof setImmediate> | null = null;
  private inTick = false;
  /** Ticks run so far (regular and poked). */
  ticks = 0;
  private readonly runTick = (): void => {
    this.immediate = null;
    this.tickNow();
  };

  constructor(clock: Clock, opts: HostSchedulerOptions = {}) {
    this.clock = clock;
    this.periodMs = opts.periodMs ?? 5;
  }

  start(tick: (now: number) => void): void {
    this.stop();
    this.tickFn = tick;
    this.timer = setInterval(this.runTick, this.periodMs);
  }

  /** Ask for a tick soon (after the current event-loop phase): coalesces many pokes into one. */
  poke(): void {
    if (this.tickFn !== null && this.immediate === null) this.immediate = setImmediate(this.runTick);
  }

  /** Runs a tick right now (unless one is running). */
  tickNow(): void {
    const fn = this.tickFn;
    if (fn === null || this.inTick) return;
    this.inTick = true;
    try {
      this.ticks++;
      fn(this.clock.now());
    } finally {
      this.inTick = false;
    }
  }

  /** Keeps the process alive while running (default) or lets it exit when nothing else is pending. */
  unref(): void {
    if (this.timer !== null) this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    this.tickFn = null;
  }
}
