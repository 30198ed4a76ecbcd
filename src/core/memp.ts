/**
 * Fixed pools created once at start-up (lwIP's memp): PCBs, listen PCBs, TCP segment descriptors,
 * ARP queue entries. `alloc` never creates anything; an empty pool returns null (or -1) and counts
 * an error. Freeing an entry that is not taken is counted and ignored.
 *
 * IndexPool hands out indices 0..count-1 for structure-of-arrays entries, whose fields live in the
 * owner's typed arrays at that index (no object per entry: each XS property is a heap slot); Memp
 * adds one preallocated object per index.
 */
import type { PoolStats } from './pbuf.js';

export interface Pooled {
  /** Index in its pool; set by the pool. */
  mempIndex: number;
}

export class IndexPool implements PoolStats {
  readonly name: string;
  /** Free indices in [0, count) (a stack, `freeTop` deep), then whether each entry is taken in
   *  [count, 2 * count): one typed array, so one XS object less per pool. */
  protected readonly free: Int32Array;
  /** Free entries (= freeCount). @internal Read directly by the per-segment TCP code: a getter
   *  costs XS a call; only this class writes it. */
  freeTop: number;
  readonly count: number;
  /** PoolStats: most entries ever taken at once, failed allocations, bad frees. The pool is its
   *  own PoolStats (`stats` answers `this`; `avail` and `used` are read from count and freeTop):
   *  a separate stats object would cost XS six heap slots per pool. */
  max = 0;
  err = 0;
  illegal = 0;

  /** `free`: 2 * count entries for the free stack (from the owner's Arena), else a new array. */
  constructor(name: string, count: number, free: Int32Array | null = null) {
    this.name = name;
    this.count = count;
    this.free = free !== null ? free : new Int32Array(2 * count);
    for (let i = 0; i < count; i++) this.free[i] = count - 1 - i;
    this.freeTop = count;
  }

  /** The pool's counters (lwIP's memp stats): the pool itself. */
  get stats(): PoolStats { return this; }
  /** Entries in the pool. */
  get avail(): number { return this.count; }
  /** Entries taken now. */
  get used(): number { return this.count - this.freeTop; }

  get freeCount(): number { return this.freeTop; }

  /** A free index, or -1 (counted) when the pool is empty. */
  allocIndex(): number {
    if (this.freeTop === 0) { this.err++; return -1; }
    const i = this.free[--this.freeTop];
    this.free[this.count + i] = 1;
    const used = this.count - this.freeTop;
    if (used > this.max) this.max = used;
    return i;
  }

  /** Returns index `i`; false (and counted) if it is out of range or not taken. */
  releaseIndex(i: number): boolean {
    if (!(i >= 0 && i < this.count && (i | 0) === i) || this.free[this.count + i] === 0) {
      this.illegal++;
      return false;
    }
    this.free[this.count + i] = 0;
    this.free[this.freeTop++] = i;
    return true;
  }

  /** Whether index `i` is currently taken. */
  isTaken(i: number): boolean { return i >= 0 && i < this.count && this.free[this.count + i] !== 0; }
}

export class Memp<T extends Pooled> extends IndexPool {
  private readonly objs: T[];

  /** `make`: makes the object of each index; or the `count` objects already made, in an array the
   *  pool adopts (the owner may keep it too: one XS array instead of two). */
  constructor(name: string, count: number, make: ((index: number) => T) | T[], free: Int32Array | null = null) {
    super(name, count, free);
    this.objs = Array.isArray(make) ? make : [];
    for (let i = 0; i < count; i++) {
      const o = Array.isArray(make) ? make[i] : make(i);
      o.mempIndex = i;
      if (!Array.isArray(make)) this.objs.push(o);
    }
  }

  /** The object at pool index `i` (0 <= i < count), taken or not. */
  at(i: number): T { return this.objs[i]; }

  alloc(): T | null {
    // allocIndex written out: TCP takes a segment descriptor per segment sent
    if (this.freeTop === 0) { this.err++; return null; }
    const i = this.free[--this.freeTop];
    this.free[this.count + i] = 1;
    const used = this.count - this.freeTop;
    if (used > this.max) this.max = used;
    return this.objs[i];
  }

  /** Returns `o` to the pool; false (and counted) if it was not taken from this pool. */
  release(o: T): boolean {
    const i = o.mempIndex;
    // releaseIndex written out (once per segment acknowledged)
    if (i < 0 || i >= this.count || this.objs[i] !== o || this.free[this.count + i] === 0) {
      this.illegal++;
      return false;
    }
    this.free[this.count + i] = 0;
    this.free[this.freeTop++] = i;
    return true;
  }

  /** Calls `fn` on every object currently taken (diagnostics; not for the hot path). */
  forEachTaken(fn: (o: T) => void): void {
    for (let i = 0; i < this.count; i++) if (this.free[this.count + i] !== 0) fn(this.objs[i]);
  }
}
