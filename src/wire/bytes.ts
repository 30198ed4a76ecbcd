/**
 * Big-endian ("network byte order", RFC 1700) field access on a Uint8Array at a byte offset.
 *
 * Shared by the wire modules' field accessors and writers. The parsers inline their reads instead,
 * to save a call per field on XS. Nothing here allocates or throws: an index past the end of the
 * array reads as `undefined`, which the bit operators turn into 0.
 */

/** Unsigned 16-bit field at `off`. */
export function rd16(buf: Uint8Array, off: number): number {
  return (buf[off] << 8) | buf[off + 1];
}

/** Unsigned 32-bit field at `off` (always returned as 0..2^32-1, never negative). */
export function rd32(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

/** Writes the low 16 bits of `v` at `off`. */
export function wr16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 8;
  buf[off + 1] = v;
}

/** Writes `v` (signed or unsigned 32-bit) at `off`. Uint8Array stores each byte modulo 256. */
export function wr32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = v >>> 16;
  buf[off + 2] = v >>> 8;
  buf[off + 3] = v;
}

/**
 * Copies 6 bytes (a MAC address). Safe when `dst` and `src` are the same array and the ranges
 * overlap: copies backwards when the destination lies above the source.
 */
export function copy6(dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number): void {
  if (dst === src && dOff > sOff && dOff < sOff + 6) {
    for (let i = 5; i >= 0; i--) dst[dOff + i] = src[sOff + i];
    return;
  }
  dst[dOff] = src[sOff];
  dst[dOff + 1] = src[sOff + 1];
  dst[dOff + 2] = src[sOff + 2];
  dst[dOff + 3] = src[sOff + 3];
  dst[dOff + 4] = src[sOff + 4];
  dst[dOff + 5] = src[sOff + 5];
}

/** True when the 6 bytes at `aOff` in `a` equal those at `bOff` in `b`. */
export function equal6(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  return a[aOff] === b[bOff] && a[aOff + 1] === b[bOff + 1] && a[aOff + 2] === b[bOff + 2]
    && a[aOff + 3] === b[bOff + 3] && a[aOff + 4] === b[bOff + 4] && a[aOff + 5] === b[bOff + 5];
}

/** The part of a pbuf chain these helpers walk (structurally a Pbuf). */
export interface ByteChain {
  buf: Uint8Array;
  off: number;
  len: number;
  next: ByteChain | null;
}

/** The byte `idx` bytes into chain `p`, or -1 past its end. Usually found in the first part. */
export function chainGet(p: ByteChain | null, idx: number): number {
  for (let q = p; q !== null; q = q.next) {
    if (idx < q.len) return q.buf[q.off + idx];
    idx -= q.len;
  }
  return -1;
}

/** Stores byte `v` `idx` bytes into chain `p` (nothing past its end). */
export function chainPut(p: ByteChain | null, idx: number, v: number): void {
  for (let q = p; q !== null; q = q.next) {
    if (idx < q.len) { q.buf[q.off + idx] = v; return; }
    idx -= q.len;
  }
}
