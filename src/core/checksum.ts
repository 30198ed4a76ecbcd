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

/** Folds a partial sum to 16 bits with end-around carry. */
export function chksumFold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum;
}

function swap16(x: number): number {
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
 * The JavaScript InetSum of one stack: word sums through `mem16` (a 16-bit view over the pool's
 * memory `mem`) for pool pbufs at even offsets, a byte loop for any other array.
 */
export function poolChecksum(mem: Uint8Array, mem16: Uint16Array): InetSum {
  return (buf, off, len, initial) =>
    chksumFold(buf === mem && (off & 1) === 0 ? initial + sumWords(mem16, buf, off, len) : initial + sumBytes(buf, off, len));
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
  buf16: Uint16Array | null;
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
  let swapped = false;
  let sum = 0;
  for (let q = p; q !== null && len > 0; q = q.next) {
    if (skip >= q.len) { skip -= q.len; continue; }
    let n = q.len - skip;
    if (n > len) n = len;
    let part = rangeSum !== null ? rangeSum(q.buf, q.off + skip, n, 0) : chksumFold(chksumAdd(q.buf, q.buf16, q.off + skip, n, 0));
    if (swapped) part = swap16(part);
    sum += part;
    if (n & 1) swapped = !swapped;
    len -= n;
    skip = 0;
  }
  return acc + sum;
}
