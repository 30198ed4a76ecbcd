/**
 * Wall-clock Clock for the host: monotonic milliseconds from performance.now() (fractional, never
 * goes backwards when the system time is set), counted from when the clock was made so the numbers
 * stay small in traces. The stack only ever subtracts times.
 */
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../src/hal.js';

export class WallClock implements Clock {
  private readonly origin: number;

  constructor() {
    this.origin = performance.now();
  }

  now(): number {
    return performance.now() - this.origin;
  }
}

/** The date/time line daytime (RFC 867) serves: RFC 867 leaves the format free; we use the
 *  RFC 5322 date format, e.g. "Sat, 21 Nov 2026 17:12:03 GMT", which is printable ASCII. */
export function daytimeText(): string {
  return new Date().toUTCString();
}
