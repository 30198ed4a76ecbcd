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

export class KeyedBuckets {
  private readonly keys: number[] = [];
  private readonly used: number[] = [];
  private readonly buckets: TokenBucket[] = [];

  constructor(slots: number, intervalMs: number, burst: number) {
    for (let i = 0; i < slots; i++) {
      this.keys.push(0);
      this.used.push(-1);
      this.buckets.push(new TokenBucket(intervalMs, burst));
    }
  }

  /** Takes one token from `key`'s bucket at `now`; false when it is empty. No slots: always true. */
  take(key: number, now: number): boolean {
    const n = this.keys.length;
    if (n === 0) return true;
    let victim = 0;
    for (let i = 0; i < n; i++) {
      if (this.used[i] >= 0 && this.keys[i] === key) {
        this.used[i] = now;
        return this.buckets[i].take(now);
      }
      if (this.used[i] < this.used[victim]) victim = i;
    }
    this.keys[victim] = key;
    this.used[victim] = now;
    this.buckets[victim].reset(now);
    return this.buckets[victim].take(now);
  }
}
