/**
 * Token buckets for the replies and resources a peer can provoke: ICMP errors (RFC 1812 §4.3.2.8),
 * challenge ACKs (RFC 5961 §7), ACKs to unacceptable segments, RSTs to closed ports, new ARP
 * resolutions. A bucket holds at most `burst` tokens and gains one every `intervalMs`; each reply
 * takes one, and a reply finding the bucket empty is not sent (the caller counts it).
 *
 * Integer milliseconds only, no allocation after construction: a bucket is two numbers, so a pcb
 * or a table slot can embed one. `intervalMs` 0 turns the limit off (every take succeeds).
 *
 * KeyedBuckets is a fixed table of buckets keyed by a 32-bit value (a peer's IPv4 address), in the
 * manner of Linux's inet_peer rate limit: a key not in the table takes the slot used longest ago,
 * starting with a full bucket. With more peers than slots an attacker cycling sources gets at most
 * `burst` per slot turnover, which is why callers pair it with one global bucket.
 */

export class TokenBucket {
  /** Credit, scaled: a token costs `cost` and every ms adds `gain`. */
  private credit = 0;
  /** When credit was last brought up to date, ms. */
  private last = 0;
  private cost = 0;
  private gain = 1;
  burst = 1;

  /** One token every `intervalMs` (0: unlimited), at most `burst` saved up; starts full. */
  constructor(intervalMs: number, burst: number, now = 0) {
    this.configure(intervalMs, burst, now);
  }

  /** One token every `intervalMs` ms (0: unlimited), at most `burst`; refilled. */
  configure(intervalMs: number, burst: number, now: number): void {
    this.cost = intervalMs;
    this.gain = 1;
    this.burst = burst < 1 ? 1 : burst;
    this.reset(now);
  }

  /** `perSecond` tokens a second (0: unlimited; integers, so 3 a second stays exact), at most `burst`. */
  setRate(perSecond: number, burst: number, now: number): void {
    this.cost = perSecond > 0 ? 1000 : 0;
    this.gain = perSecond;
    this.burst = burst < 1 ? 1 : burst;
    this.reset(now);
  }

  /** Takes one token at time `now` (ms); false when none is left. */
  take(now: number): boolean {
    const cost = this.cost;
    if (cost <= 0) return true;
    const cap = this.burst * cost;
    const dt = now - this.last;
    this.last = now;
    if (dt > 0) {
      let c = this.credit + dt * this.gain;
      if (c > cap) c = cap;
      this.credit = c;
    }
    if (this.credit < cost) return false;
    this.credit -= cost;
    return true;
  }

  /** Whole tokens available at `now`, without taking one (diagnostics and tests). */
  available(now: number): number {
    const cost = this.cost;
    if (cost <= 0) return this.burst;
    let c = this.credit + (now > this.last ? (now - this.last) * this.gain : 0);
    if (c > this.burst * cost) c = this.burst * cost;
    return Math.floor(c / cost);
  }

  /** Back to a full bucket (a pcb reused for a new connection). */
  reset(now: number): void {
    this.credit = this.burst * this.cost;
    this.last = now;
  }
}

/** KeyedBuckets' per-slot entries in its Float64Array: the key, when the slot was last used (-1:
 *  never), the bucket's credit (scaled as TokenBucket's) and when that was brought up to date. */
const KB_KEY = 0;
const KB_USED = 1;
const KB_CREDIT = 2;
const KB_LAST = 3;
const KB_STRIDE = 4;

export class KeyedBuckets {
  /** KB_STRIDE entries per slot: one typed array instead of two arrays and a TokenBucket object per
   *  slot (each a handful of XS heap slots); the rate and burst are the same for every key. */
  private readonly slots: Float64Array;
  private readonly n: number;
  private readonly cost: number;
  private readonly cap: number;

  constructor(slots: number, intervalMs: number, burst: number) {
    this.n = slots;
    this.slots = new Float64Array(slots * KB_STRIDE);
    this.cost = intervalMs;
    this.cap = (burst < 1 ? 1 : burst) * intervalMs;
    for (let i = 0; i < slots; i++) this.slots[i * KB_STRIDE + KB_USED] = -1;
  }

  /** Takes one token from `key`'s bucket at `now`; false when it is empty. No slots: always true. */
  take(key: number, now: number): boolean {
    const n = this.n;
    if (n === 0) return true;
    const t = this.slots;
    let victim = 0;
    for (let i = 0; i < n; i++) {
      const b = i * KB_STRIDE;
      if (t[b + KB_USED] >= 0 && t[b + KB_KEY] === key) {
        t[b + KB_USED] = now;
        return this.takeAt(b, now);
      }
      if (t[b + KB_USED] < t[victim * KB_STRIDE + KB_USED]) victim = i;
    }
    const b = victim * KB_STRIDE;
    t[b + KB_KEY] = key;
    t[b + KB_USED] = now;
    t[b + KB_CREDIT] = this.cap;   // a new key starts with a full bucket
    t[b + KB_LAST] = now;
    return this.takeAt(b, now);
  }

  /** TokenBucket.take on the slot at `b`. */
  private takeAt(b: number, now: number): boolean {
    const cost = this.cost;
    if (cost <= 0) return true;
    const t = this.slots;
    const dt = now - t[b + KB_LAST];
    t[b + KB_LAST] = now;
    if (dt > 0) {
      const c = t[b + KB_CREDIT] + dt;
      t[b + KB_CREDIT] = c > this.cap ? this.cap : c;
    }
    if (t[b + KB_CREDIT] < cost) return false;
    t[b + KB_CREDIT] -= cost;
    return true;
  }
}
