/**
 * Token buckets for the replies and resources a peer can provoke: ICMP errors (RFC 1812 §4.3.2.8),
 * challenge ACKs (RFC 5961 §7), ACKs to unacceptable segments, RSTs to closed ports, new ARP
 * resolutions. A bucket holds at most `burst` tokens and gains one every `intervalMs`; each reply
 * takes one, and a reply finding the bucket empty is not sent (the caller counts it).
 *
 * Integer milliseconds only, no allocation after construction: a stack's buckets are entries of
 * one array (RateLimits). `intervalMs` 0 turns the limit off (every take succeeds).
 *
 * A keyed table (addKeyed) is a fixed table of buckets keyed by a 32-bit value (a peer's IPv4
 * address), in the manner of Linux's inet_peer rate limit: a key not in the table takes the slot
 * used longest ago, starting with a full bucket. With more peers than slots an attacker cycling
 * sources gets at most `burst` per slot turnover, which is why callers pair it with one global
 * bucket.
 */

/** A bucket's entries in its RateLimits array: credit (scaled: a token costs `cost` and every ms
 *  adds `gain`), when the credit was last brought up to date (ms), cost, gain, burst. */
const TB_CREDIT = 0;
const TB_LAST = 1;
const TB_COST = 2;
const TB_GAIN = 3;
const TB_BURST = 4;
/** Float64 entries per bucket. */
export const TB_FIELDS = 5;
/** Buckets of one stack (StackCore.limits): TCP's challenge-ACK and RST limits, ICMP's global
 *  error limit, ARP's new-resolution limit. */
export const STACK_BUCKETS = 4;

/** A keyed table's entries: a head (slots, cost, cap: the rate and burst are the same for every
 *  key), then per slot the key, when the slot was last used (-1: never), the bucket's credit (scaled
 *  as above, gain 1) and when that was brought up to date. */
const KH_N = 0;
const KH_COST = 1;
const KH_CAP = 2;
const KH_FIELDS = 3;
const KB_KEY = 0;
const KB_USED = 1;
const KB_CREDIT = 2;
const KB_LAST = 3;
const KB_STRIDE = 4;

/** Float64 entries a stack's RateLimits needs: its STACK_BUCKETS buckets and ICMP's per-destination
 *  table of `icmpPeers` slots (ICMP_RATELIMIT_PEERS). */
export function stackLimitEntries(icmpPeers: number): number {
  return STACK_BUCKETS * TB_FIELDS + KH_FIELDS + icmpPeers * KB_STRIDE;
}

/**
 * The token buckets of one stack in one Float64Array, each named by the index `add` returned (a
 * number the layer keeps). Why not an object per bucket: on XS each object costs one heap slot
 * plus one per property, six per bucket; here a bucket is five array entries of chunk memory.
 */
export class RateLimits {
  private t: Float64Array;
  /** Entries taken by buckets so far. */
  private top = 0;
  /** Buckets that did not fit the array given (0 when the owner sized it right: the layout tests
   *  check); the array was replaced by a larger one for them. */
  spilled = 0;

  /** `t`: room for the buckets, TB_FIELDS entries each. */
  constructor(t: Float64Array) { this.t = t; }

  /** A new bucket: one token every `intervalMs` (0: unlimited), at most `burst` saved up; starts
   *  full. Returns its index. Start-up only. */
  add(intervalMs: number, burst: number, now: number): number {
    const b = this.reserve(TB_FIELDS);
    this.configure(b, intervalMs, burst, now);
    return b;
  }

  /** `entries` more entries; a larger array when they do not fit (counted in `spilled`). */
  private reserve(entries: number): number {
    const b = this.top;
    if (b + entries > this.t.length) {
      const bigger = new Float64Array(b + entries);
      bigger.set(this.t);
      this.t = bigger;
      this.spilled++;
    }
    this.top = b + entries;
    return b;
  }

  /** A new keyed table of `slots` buckets, each one token every `intervalMs` (0: unlimited), at
   *  most `burst`. Returns its index. Start-up only. */
  addKeyed(slots: number, intervalMs: number, burst: number): number {
    const k = this.reserve(KH_FIELDS + slots * KB_STRIDE);
    const t = this.t;
    t[k + KH_N] = slots;
    t[k + KH_COST] = intervalMs;
    t[k + KH_CAP] = (burst < 1 ? 1 : burst) * intervalMs;
    for (let i = 0; i < slots; i++) t[k + KH_FIELDS + i * KB_STRIDE + KB_USED] = -1;
    return k;
  }

  /** Takes one token from `key`'s bucket of keyed table `k` at `now`; false when it is empty. No
   *  slots or no interval: always true. */
  takeKeyed(k: number, key: number, now: number): boolean {
    const t = this.t;
    const n = t[k + KH_N];
    const cost = t[k + KH_COST];
    if (n === 0 || cost <= 0) return true;
    const cap = t[k + KH_CAP];
    const s0 = k + KH_FIELDS;
    let victim = s0;
    let b = -1;
    for (let i = 0; i < n; i++) {
      const e = s0 + i * KB_STRIDE;
      if (t[e + KB_USED] >= 0 && t[e + KB_KEY] === key) { b = e; break; }
      if (t[e + KB_USED] < t[victim + KB_USED]) victim = e;
    }
    if (b < 0) {
      b = victim;
      t[b + KB_KEY] = key;
      t[b + KB_CREDIT] = cap;   // a new key starts with a full bucket
      t[b + KB_LAST] = now;
    }
    t[b + KB_USED] = now;
    const dt = now - t[b + KB_LAST];
    t[b + KB_LAST] = now;
    if (dt > 0) {
      const c = t[b + KB_CREDIT] + dt;
      t[b + KB_CREDIT] = c > cap ? cap : c;
    }
    if (t[b + KB_CREDIT] < cost) return false;
    t[b + KB_CREDIT] -= cost;
    return true;
  }

  /** A new bucket with `perSecond` tokens a second (see setRate). Returns its index. */
  addRate(perSecond: number, burst: number, now: number): number {
    const b = this.add(0, 1, now);
    this.setRate(b, perSecond, burst, now);
    return b;
  }

  /** Bucket `b`: one token every `intervalMs` ms (0: unlimited), at most `burst`; refilled. */
  configure(b: number, intervalMs: number, burst: number, now: number): void {
    const t = this.t;
    t[b + TB_COST] = intervalMs;
    t[b + TB_GAIN] = 1;
    t[b + TB_BURST] = burst < 1 ? 1 : burst;
    this.reset(b, now);
  }

  /** Bucket `b`: `perSecond` tokens a second (0: unlimited; integers, so 3 a second stays exact),
   *  at most `burst`; refilled. */
  setRate(b: number, perSecond: number, burst: number, now: number): void {
    const t = this.t;
    t[b + TB_COST] = perSecond > 0 ? 1000 : 0;
    t[b + TB_GAIN] = perSecond;
    t[b + TB_BURST] = burst < 1 ? 1 : burst;
    this.reset(b, now);
  }

  /** Takes one token from bucket `b` at time `now` (ms); false when none is left. */
  take(b: number, now: number): boolean {
    const t = this.t;
    const cost = t[b + TB_COST];
    if (cost <= 0) return true;
    const cap = t[b + TB_BURST] * cost;
    const dt = now - t[b + TB_LAST];
    t[b + TB_LAST] = now;
    if (dt > 0) {
      let c = t[b + TB_CREDIT] + dt * t[b + TB_GAIN];
      if (c > cap) c = cap;
      t[b + TB_CREDIT] = c;
    }
    if (t[b + TB_CREDIT] < cost) return false;
    t[b + TB_CREDIT] -= cost;
    return true;
  }

  /** Whole tokens bucket `b` has at `now`, without taking one (diagnostics and tests). */
  available(b: number, now: number): number {
    const t = this.t;
    const cost = t[b + TB_COST];
    const burst = t[b + TB_BURST];
    if (cost <= 0) return burst;
    const last = t[b + TB_LAST];
    let c = t[b + TB_CREDIT] + (now > last ? (now - last) * t[b + TB_GAIN] : 0);
    if (c > burst * cost) c = burst * cost;
    return Math.floor(c / cost);
  }

  /** Bucket `b` back to full. */
  reset(b: number, now: number): void {
    const t = this.t;
    t[b + TB_CREDIT] = t[b + TB_BURST] * t[b + TB_COST];
    t[b + TB_LAST] = now;
  }
}

