/**
 * Work that must run after the stack has finished with the frame or timer tick that caused it: the
 * ECMA-419 socket classes (src/io) turn raw-API callbacks into flags here and call the
 * application's onReadable / onWritable / onError from `run()`, which the Stack calls at the end of
 * `receiveFrame` and `tick`. So application code never runs inside TCP input processing (it may
 * close, abort or write on any connection), and ECMA-419's rule that callbacks are never invoked
 * from inside the instance's own methods holds (ECMA-419 2nd ed., §8 "Callbacks").
 *
 * An intrusive FIFO: each item carries its own link, so queueing allocates nothing. An item is
 * queued at most once at a time. A pass runs the items queued when it started; what they queue runs
 * at the next pass (a callback that keeps re-arming itself cannot spin forever inside one frame).
 */

export interface Deferred {
  /** Link in the queue (owned by DeferredQueue). */
  deferNext: Deferred | null;
  /** True while queued (owned by DeferredQueue). */
  deferQueued: boolean;
  /** Does the item's pending work. An exception is held until the pass ends, then rethrown. */
  runDeferred(): void;
}

/** Who is told when the queue gets work outside the stack's own processing (StackCore.wake: the
 *  scheduler ticks soon instead of sleeping until the next timer). */
export interface Waker {
  wake(): void;
}

export class DeferredQueue {
  private readonly waker: Waker | null;
  private head: Deferred | null = null;
  private tail: Deferred | null = null;
  /** Items queued: read by the per-frame callers to skip `run()` when there is nothing to run. */
  size = 0;
  private running = false;

  constructor(waker: Waker | null = null) {
    this.waker = waker;
  }

  /** Queues `d` unless it already is. */
  add(d: Deferred): void {
    if (d.deferQueued) return;
    d.deferQueued = true;
    d.deferNext = null;
    if (this.tail === null) this.head = d;
    else this.tail.deferNext = d;
    this.tail = d;
    this.size++;
    // the first item: make sure a run comes (after a frame or tick it comes anyway; an item queued
    // from an application's method call, e.g. an adopted connection's pending data, needs a tick)
    if (this.size === 1 && !this.running && this.waker !== null) this.waker.wake();
  }

  /** Takes `d` out of the queue (its work is no longer wanted, e.g. the instance was closed). */
  remove(d: Deferred): void {
    if (!d.deferQueued) return;
    let prev: Deferred | null = null;
    for (let q = this.head; q !== null; prev = q, q = q.deferNext) {
      if (q !== d) continue;
      if (prev === null) this.head = q.deferNext;
      else prev.deferNext = q.deferNext;
      if (this.tail === q) this.tail = prev;
      this.size--;
      break;
    }
    d.deferNext = null;
    d.deferQueued = false;
  }

  get pending(): boolean {
    return this.head !== null;
  }

  /**
   * Runs the items queued so far, in order. If one throws, the others still run and the first
   * exception is rethrown at the end: the stack's state is consistent by then, and the error
   * reaches whoever drives the stack (the HAL's event loop), as an uncaught exception in a Moddable
   * callback does.
   */
  run(): void {
    if (this.running || this.head === null) return;
    this.running = true;
    let n = this.size;
    let failed = false;
    let error: unknown = null;
    while (n-- > 0) {
      const d: Deferred | null = this.head;
      if (d === null) break;
      this.head = d.deferNext;
      if (this.head === null) this.tail = null;
      this.size--;
      d.deferNext = null;
      d.deferQueued = false;
      try {
        d.runDeferred();
      } catch (e) {
        if (!failed) { failed = true; error = e; }
      }
    }
    this.running = false;
    if (failed) throw error;
  }
}
