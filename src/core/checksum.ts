/**
 * The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum.
 *
 * Partial sums are kept as plain numbers holding big-endian 16-bit word sums (unfolded; a JS number
 * holds far more than any frame can add up to). The fast path reads a Uint16Array view over the
 * same ArrayBuffer (little-endian words on every target we run on), folds, and swaps the bytes once:
 * the one's complement sum is byte-order independent (RFC 1071 §2(B)), so swap(fold(sumLE)) equals
 * fold(sumBE). Measured on XS, the unrolled 16-bit view is the fastest of the variants tried
 * (see ../../../shared/DESIGN.md).
 */

/**
 * One stack's checksum over a contiguous range, with the contract of `Hal.checksum`: adds `len` bytes
 * of `buf` from `off` as big-endian 16-bit words to `initial` (below 2^31) and returns the sum folded
 * to 16 bits, not complemented. The Stack passes the HAL's native one, or `poolChecksum` over its
 * pool, to every layer (StackCore.chksum); the wire functions take it as their last argument.
 */
export type InetSum = (buf: Uint8Array, off: number, len: number, initial: number) => number;

/** Folds a partial sum (a non-negative integer) to 16 bits with end-around carry: since
 *  2^16 ≡ 1 (mod 0xffff), that is the remainder mod 0xffff, kept as 0xffff for a non-zero
 *  multiple (one's complement's second zero). One `%` instead of a loop. */
export function chksumFold(sum: number): number {
  return sum > 0xffff ? sum % 0xffff || 0xffff : sum;
}

/** Exchanges the two bytes of a 16-bit partial sum (a part summed from an odd position). */
export function swap16(x: number): number {
  return ((x & 0xff) << 8) | (x >>> 8);
}

/** Big-endian word sum of `len` bytes at `off` by a byte loop; a trailing odd byte is the high byte. */
function sumBytes(buf: Uint8Array, off: number, len: number): number {
  let sum = 0;
  let i = off;
  const end = off + len;
  const end8 = off + (len & ~7);
  for (; i < end8; i += 8) {
    sum += ((buf[i] << 8) | buf[i + 1]) + ((buf[i + 2] << 8) | buf[i + 3])
      + ((buf[i + 4] << 8) | buf[i + 5]) + ((buf[i + 6] << 8) | buf[i + 7]);
  }
  for (; i + 1 < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i < end) sum += buf[i] << 8;
  return sum;
}

/** Same result through a little-endian 16-bit view; `off` must be even (offset in bytes into buf16's buffer). */
function sumWords(buf16: Uint16Array, buf: Uint8Array, off: number, len: number): number {
  let le = 0;
  let w = off >>> 1;
  const words = len >>> 1;
  const end = w + words;
  const end4 = w + (words & ~3);
  for (; w < end4; w += 4) le += buf16[w] + buf16[w + 1] + buf16[w + 2] + buf16[w + 3];
  for (; w < end; w++) le += buf16[w];
  let sum = swap16(chksumFold(le));
  if (len & 1) sum += buf[off + len - 1] << 8;
  return sum;
}

/**
 * Adds `len` bytes of `buf` at `off` to partial sum `acc`. Pass `buf16` (a 16-bit view over the same
 * ArrayBuffer with buf.byteOffset 0, as pool memory has) for the fast path, or null.
 */
export function chksumAdd(buf: Uint8Array, buf16: Uint16Array | null, off: number, len: number, acc: number): number {
  if (buf16 !== null && (off & 1) === 0 && buf.byteOffset === 0) return acc + sumWords(buf16, buf, off, len);
  return acc + sumBytes(buf, off, len);
}

/**
 * Adds `len` bytes at `off` of `u8` to the partial sum `initial` and folds, reading 32-bit words
 * through `w32`, a view from the start of u8's ArrayBuffer (`at` = u8.byteOffset + off must be even).
 * A 32-bit word is two little-endian 16-bit words, w0 + 2^16·w1, and 2^16 ≡ 1 modulo 0xffff, so
 * the folded sum of the 32-bit words equals that of the 16-bit ones (RFC 1071 §2(A), "any word
 * size" with end-around carry); one byte swap at the end turns it into the big-endian sum (§2(B)).
 * A leading half word brings `at` to a multiple of 4; a double holds the sum of 2^21 words exactly.
 */
function sumWords32(w32: Uint32Array, u8: Uint8Array, at: number, off: number, len: number, initial: number): number {
  let le = 0;
  if ((at & 2) !== 0 && len >= 2) {
    le = u8[off] | (u8[off + 1] << 8);
    off += 2;
    at += 2;
    len -= 2;
  }
  let w = at >>> 2;
  const words = len >>> 2;
  const end = w + words;
  // unrolled by 16 and then 4 (measured on XS: x8 costs 3% more over 1,460 bytes, x4 12%)
  const end16 = w + (words & ~15);
  for (; w < end16; w += 16) {
    le += w32[w] + w32[w + 1] + w32[w + 2] + w32[w + 3] + w32[w + 4] + w32[w + 5] + w32[w + 6] + w32[w + 7]
      + w32[w + 8] + w32[w + 9] + w32[w + 10] + w32[w + 11] + w32[w + 12] + w32[w + 13] + w32[w + 14] + w32[w + 15];
  }
  const end4 = w + ((end - w) & ~3);
  for (; w < end4; w += 4) le += w32[w] + w32[w + 1] + w32[w + 2] + w32[w + 3];
  for (; w < end; w++) le += w32[w];
  let i = off + (words << 2);
  if ((len & 2) !== 0) {
    le += u8[i] | (u8[i + 1] << 8);
    i += 2;
  }
  // folds written out (x mod 0xffff, keeping 0xffff for a non-zero multiple): two calls fewer
  // per range on the per-segment path
  if (le > 0xffff) le = le % 0xffff || 0xffff;
  let sum = initial + (((le & 0xff) << 8) | (le >>> 8));
  if ((len & 1) !== 0) sum += u8[i] << 8;
  return sum > 0xffff ? sum % 0xffff || 0xffff : sum;
}

/** Views a checksum makes over a foreign ArrayBuffer before it uses them (a buffer seen once costs
 *  a byte loop and no allocation; see ByteCopier for the same policy on copies). */
const FOREIGN_SIGHTINGS = 2;

/**
 * The JavaScript InetSum of one stack. Pool memory (`mem`) is read in 32-bit words through a view
 * made here, once. Other arrays (the application's bytes behind PBUF_REF pbufs, from
 * tcp_write without COPY) get the same word path through a view over their ArrayBuffer, made when
 * that buffer is seen for the second time in a row and kept until another buffer takes its place:
 * an application usually writes from the same array. Odd addresses, and buffers not (yet) viewed,
 * take the byte loop.
 */
export function poolChecksum(mem: Uint8Array): InetSum {
  const ab = mem.buffer;
  const base = mem.byteOffset;
  const mem32 = new Uint32Array(ab, 0, ab.byteLength >>> 2);
  let foreign: ArrayBufferLike | null = null;
  let foreign32: Uint32Array | null = null;
  let seen = 0;
  return (buf, off, len, initial) => {
    if (buf === mem) {
      if (((base + off) & 1) === 0) return sumWords32(mem32, buf, base + off, off, len, initial);
      return chksumFold(initial + sumBytes(buf, off, len));
    }
    const at = buf.byteOffset + off;
    if ((at & 1) === 0 && len >= 64) {
      const b = buf.buffer;
      if (b === foreign) {
        if (foreign32 !== null) return sumWords32(foreign32, buf, at, off, len, initial);
        if (++seen >= FOREIGN_SIGHTINGS) {
          foreign32 = new Uint32Array(b, 0, b.byteLength >>> 2);
          return sumWords32(foreign32, buf, at, off, len, initial);
        }
      } else {
        foreign = b;
        foreign32 = null;
        seen = 1;
      }
    }
    return chksumFold(initial + sumBytes(buf, off, len));
  };
}

/** The checksum field value (complemented, 16 bits) for a partial sum. */
export function chksumFinish(acc: number): number {
  return (~chksumFold(acc)) & 0xffff;
}

/** The checksum of one contiguous range: 0 when a range that includes its own checksum field is intact. */
export function inet_chksum(buf: Uint8Array, off: number, len: number, buf16: Uint16Array | null = null): number {
  return chksumFinish(chksumAdd(buf, buf16, off, len, 0));
}

/** Like inet_chksum, through one stack's InetSum when `sum` is given. */
export function inetChksumWith(sum: InetSum | null, buf: Uint8Array, off: number, len: number): number {
  return sum === null ? chksumFinish(chksumAdd(buf, null, off, len, 0)) : (~sum(buf, off, len, 0)) & 0xffff;
}

/** Partial sum of the IPv4 pseudo-header (RFC 9293 §3.1, RFC 768): addresses, protocol, length. */
export function pseudoHeaderSum(src: number, dst: number, proto: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + length;
}

/** Minimal structural view of a pbuf chain, so that the checksum does not depend on pbuf.ts. */
export interface ChecksumChain {
  buf: Uint8Array;
  /** A 16-bit view over buf's buffer for the word loop; absent (pbufs): pool memory is summed in
   *  32-bit words by the stack's InetSum, and a chain summed without one takes the byte loop. */
  buf16?: Uint16Array | null;
  off: number;
  len: number;
  next: ChecksumChain | null;
}

/**
 * Partial sum over `len` bytes of a pbuf chain starting `skip` bytes into it, added to `acc`. Parts of
 * odd length shift the following bytes into the other half of each word; their sums are byte-swapped
 * accordingly (as lwIP's inet_chksum_pbuf does). Each contiguous part is summed by the stack's
 * `rangeSum` when given (the HAL's native checksum, or poolChecksum), else in place here.
 */
export function chksumChain(p: ChecksumChain | null, skip: number, len: number, acc: number,
  rangeSum: InetSum | null = null): number {
  // one contiguous range (a received frame, a segment built in one pool pbuf): one call
  if (rangeSum !== null && p !== null && skip === 0 && len <= p.len && len > 0) return acc + rangeSum(p.buf, p.off, len, 0);
  let swapped = false;
  let sum = 0;
  for (let q = p; q !== null && len > 0; q = q.next) {
    if (skip >= q.len) { skip -= q.len; continue; }
    let n = q.len - skip;
    if (n > len) n = len;
    let part = rangeSum !== null ? rangeSum(q.buf, q.off + skip, n, 0) : chksumFold(chksumAdd(q.buf, q.buf16 ?? null, q.off + skip, n, 0));
    if (swapped) part = swap16(part);
    sum += part;
    if (n & 1) swapped = !swapped;
    len -= n;
    skip = 0;
  }
  return acc + sum;
}
