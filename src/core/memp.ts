/**
 * Fixed pools of objects created once at start-up (lwIP's memp): PCBs, listen PCBs, TCP segment
 * descriptors, ARP queue entries. `alloc` never creates an object; an empty pool returns null and
 * counts an error. Freeing an object that is not taken is counted and ignored.
 */
import type { PoolStats } from './pbuf.js';

export interface Pooled {
  /** Index in its pool; set by the pool. */
  mempIndex: number;
}

export class Memp<T extends Pooled> {
  readonly name: string;
  readonly stats: PoolStats;
  private readonly objs: T[] = [];
  /** Free indices in [0, count) (a stack, `freeTop` deep), then whether each object is taken in
   *  [count, 2 * count): one typed array, so one XS object less per pool. */
  private readonly free: Int32Array;
  /** Free objects (= freeCount). @internal Read directly by the per-segment TCP code: a getter
   *  costs XS a call; only this class writes it. */
  freeTop: number;
  private readonly count: number;

  constructor(name: string, count: number, make: (index: number) => T) {
    this.name = name;
    this.count = count;
    this.free = new Int32Array(2 * count);
    for (let i = 0; i < count; i++) {
      const o = make(i);
      o.mempIndex = i;
      this.objs.push(o);
      this.free[i] = count - 1 - i;
    }
    this.freeTop = count;
    this.stats = { avail: count, used: 0, max: 0, err: 0, illegal: 0 };
  }

  get freeCount(): number { return this.freeTop; }

  alloc(): T | null {
    if (this.freeTop === 0) { this.stats.err++; return null; }
    const i = this.free[--this.freeTop];
    this.free[this.count + i] = 1;
    const s = this.stats;
    s.used++;
    if (s.used > s.max) s.max = s.used;
    return this.objs[i];
  }

  /** Returns `o` to the pool; false (and counted) if it was not taken from this pool. */
  release(o: T): boolean {
    const i = o.mempIndex;
    if (i < 0 || i >= this.count || this.objs[i] !== o || this.free[this.count + i] === 0) {
      this.stats.illegal++;
      return false;
    }
    this.free[this.count + i] = 0;
    this.free[this.freeTop++] = i;
    this.stats.used--;
    return true;
  }

  /** Calls `fn` on every object currently taken (diagnostics; not for the hot path). */
  forEachTaken(fn: (o: T) => void): void {
    for (let i = 0; i < this.count; i++) if (this.free[this.count + i] !== 0) fn(this.objs[i]);
  }
}
