/**
 * The sleeping policy both wall-clock schedulers (host, ESP32) share: after a tick, sleep until the
 * stack's next deadline (Stack.nextDeadline, smoltcp's poll_at) or until a frame or an API call
 * wakes the scheduler, but never longer than a cap, so a clock that jumps cannot stall the stack.
 */

/** Longest sleep, ms, when nothing is due sooner. */
export const MAX_SLEEP_MS = 1000;

/** How long to sleep at `now` when the stack reported `due` (-1 or not a number: nothing armed). */
export function sleepFor(due: number | void, now: number, maxSleepMs: number): number {
  if (typeof due !== 'number' || due < 0) return maxSleepMs;
  const d = due - now;
  if (d <= 0) return 0;
  return d < maxSleepMs ? d : maxSleepMs;
}
