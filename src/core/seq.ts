/**
 * Wrap-safe 32-bit sequence-number arithmetic (RFC 9293 §3.4: comparisons are modulo 2^32).
 * `(a - b) | 0` is the signed distance from b to a; valid while |a - b| < 2^31.
 */
export function seqLt(a: number, b: number): boolean { return ((a - b) | 0) < 0; }
export function seqLeq(a: number, b: number): boolean { return ((a - b) | 0) <= 0; }
export function seqGt(a: number, b: number): boolean { return ((a - b) | 0) > 0; }
export function seqGeq(a: number, b: number): boolean { return ((a - b) | 0) >= 0; }
/** a + n as an unsigned 32-bit sequence number. */
export function seqAdd(a: number, n: number): number { return (a + n) >>> 0; }
/** Signed distance a - b. */
export function seqDiff(a: number, b: number): number { return (a - b) | 0; }
/** lo <= x <= hi, all modulo 2^32. */
export function seqBetween(x: number, lo: number, hi: number): boolean {
  return ((x - lo) | 0) >= 0 && ((hi - x) | 0) >= 0;
}
export function seqMax(a: number, b: number): number { return ((a - b) | 0) >= 0 ? a : b; }
export function seqMin(a: number, b: number): number { return ((a - b) | 0) <= 0 ? a : b; }
