/**
 * Copies between two different byte arrays without allocating per call, fast on XS.
 *
 * XS has no JIT: a JavaScript byte loop costs ~22 computrons a byte, while `copyWithin` inside one
 * array and `set` of a whole array are native (~2 a byte). Between two different arrays the only
 * native copy needs a view over the source range (`dst.set(src.subarray(a, b))`), and a view is an
 * allocation — forbidden per packet. Measured on XS (xsnap, 1,514 bytes): byte loop 27,000-32,000;
 * Uint32Array word loop 6,900 (same alignment), shifting word loop 10,800 (different alignment);
 * Float64Array word loop 3,500 (same alignment mod 8); `copyWithin` 3,000.
 *
 * So a ByteCopier is built around one "home" array (the pbuf pool's memory) and copies
 * - between home and a foreign array whose byte addresses agree mod 8: head bytes, then 8-byte
 *   words through Float64Array views over both ArrayBuffers, then tail bytes;
 * - otherwise through a scratch area that lies in home's ArrayBuffer: the foreign bytes are word-
 *   copied into the scratch at the foreign side's alignment, then `copyWithin` moves them to their
 *   place in home (or the other way round), in chunks of SCRATCH bytes;
 * - between two foreign arrays that agree mod 8: word copy; else a byte loop.
 *
 * A Float64Array element copy moves the 8 bytes unchanged on XS (the element getter and setter are
 * plain memory moves, no NaN canonicalisation: checked for every sign/exponent pattern, signalling
 * NaNs and -0) and on V8 in every tier; the tests check it on both engines.
 *
 * Foreign views are cached per ArrayBuffer (WAYS of them): drivers reuse one receive buffer and
 * applications usually write from the same arrays, so the views are made once. A view is made for a
 * buffer only the second time it is seen (the last PENDING new buffers are remembered), so an
 * application writing each segment from a fresh array costs a byte loop but allocates nothing.
 * The cache keeps those buffers reachable until they are replaced or `forget()` is called.
 */

/** Below this many bytes the byte loop is cheaper than looking up views. */
const MIN_FAST = 40;
/** Bytes staged at a time for copies whose two sides differ in alignment. */
const SCRATCH = 512;
/** Foreign ArrayBuffers with cached views, and new ones remembered until they are seen again. */
const WAYS = 3;
const PENDING = 2;

/** Bytes a ByteCopier's scratch area needs in home's ArrayBuffer (SCRATCH plus room to align). */
export const COPY_SCRATCH_BYTES = SCRATCH + 16;

/** One cached foreign ArrayBuffer: the last array seen over it and an 8-byte view of the buffer. */
class Way {
  arr: Uint8Array | null = null;
  /** arr.byteOffset */
  at = 0;
  buf: ArrayBufferLike | null = null;
  w64: Float64Array | null = null;
}

/**
 * Byte loop over `len` bytes, any alignment. Two arrays over one ArrayBuffer may overlap: then it
 * runs backwards when the destination lies after the source (memmove semantics).
 */
export function copyByteLoop(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number): void {
  if (dst.buffer === src.buffer) {
    const da = dst.byteOffset + dstOff;
    const sa = src.byteOffset + srcOff;
    if (da > sa && da < sa + len) {
      for (let i = len - 1; i >= 0; i--) dst[dstOff + i] = src[srcOff + i];
      return;
    }
  }
  forwardLoop(dst, dstOff, src, srcOff, len);
}

/** One index and a fixed distance, unrolled by 8: the cheapest byte loop on XS. */
function forwardLoop(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number): void {
  const k = dstOff - srcOff;
  let i = srcOff;
  const e8 = srcOff + (len & ~7);
  const e = srcOff + len;
  for (; i < e8; i += 8) {
    dst[i + k] = src[i];
    dst[i + 1 + k] = src[i + 1];
    dst[i + 2 + k] = src[i + 2];
    dst[i + 3 + k] = src[i + 3];
    dst[i + 4 + k] = src[i + 4];
    dst[i + 5 + k] = src[i + 5];
    dst[i + 6 + k] = src[i + 6];
    dst[i + 7 + k] = src[i + 7];
  }
  for (; i < e; i++) dst[i + k] = src[i];
}

/**
 * Copies `len` bytes when both sides have the same address mod 8. `d8[dOff]` is byte `dAt + dOff`
 * of the ArrayBuffer that `d64` views from its start (likewise for the source).
 */
function copyAligned(d8: Uint8Array, dOff: number, dAt: number, d64: Float64Array,
  s8: Uint8Array, sOff: number, sAt: number, s64: Float64Array, len: number): void {
  let h = (8 - ((dAt + dOff) & 7)) & 7;
  if (h > len) h = len;
  for (let i = 0; i < h; i++) d8[dOff + i] = s8[sOff + i];
  const n = (len - h) >> 3;
  let w = (sAt + sOff + h) >> 3;
  // a second index for the destination, rather than w + k: 4% fewer computrons on XS
  let v = (dAt + dOff + h) >> 3;
  const e8 = w + (n & ~7);
  const e = w + n;
  for (; w < e8; w += 8, v += 8) {
    d64[v] = s64[w];
    d64[v + 1] = s64[w + 1];
    d64[v + 2] = s64[w + 2];
    d64[v + 3] = s64[w + 3];
    d64[v + 4] = s64[w + 4];
    d64[v + 5] = s64[w + 5];
    d64[v + 6] = s64[w + 6];
    d64[v + 7] = s64[w + 7];
  }
  for (; w < e; w++, v++) d64[v] = s64[w];
  for (let i = h + (n << 3); i < len; i++) d8[dOff + i] = s8[sOff + i];
}

export class ByteCopier {
  /** The array the fast paths are built around (the pool's memory). */
  readonly home: Uint8Array;
  /** Views created for foreign buffers so far (each one an allocation; constant in a steady state). */
  views = 0;
  /** Copies of MIN_FAST bytes or more (a whole source array aside, which is one `set`), by path:
   *  8-byte words at equal alignment; staged through the scratch area; one `copyWithin` (another
   *  view of pool memory); byte loop (a buffer seen for the first time, or two foreign arrays of
   *  different alignment). */
  words = 0;
  staged = 0;
  native = 0;
  loops = 0;
  private readonly homeAt: number;
  /** Byte and 8-byte views over the whole of home's ArrayBuffer (scratch included). Read-only for
   *  others: the TCP header templates after the pool (src/tcp/template.ts) are copied through them. */
  readonly all8: Uint8Array;
  readonly all64: Float64Array;
  /** Offset of the scratch area in home's ArrayBuffer (a multiple of 8). */
  private readonly scratch: number;
  /** WAYS foreign buffers, then one entry for arrays over home's own buffer (never replaced). */
  private readonly ways: Way[] = [];
  private readonly homeWay: Way;
  private victim = 0;
  private readonly pending: (ArrayBufferLike | null)[] = [];
  private pendingNext = 0;

  /**
   * `home`'s ArrayBuffer must hold COPY_SCRATCH_BYTES bytes from `scratchAt` that nothing else uses
   * (outside home's own range). Throws a RangeError otherwise: a start-up error, never per packet.
   */
  constructor(home: Uint8Array, scratchAt: number) {
    const buffer = home.buffer;
    const scratch = (scratchAt + 7) & ~7;
    if (scratchAt < 0 || scratch + SCRATCH + 8 > buffer.byteLength
      || (scratchAt < home.byteOffset + home.length && scratchAt + COPY_SCRATCH_BYTES > home.byteOffset)) {
      throw new RangeError('ByteCopier: no room for the scratch area');
    }
    this.home = home;
    this.homeAt = home.byteOffset;
    this.all8 = new Uint8Array(buffer);
    this.all64 = new Float64Array(buffer, 0, buffer.byteLength >> 3);
    this.scratch = scratch;
    for (let i = 0; i < WAYS; i++) this.ways.push(new Way());
    const hw = new Way();
    hw.arr = home;
    hw.at = home.byteOffset;
    hw.buf = buffer;
    hw.w64 = this.all64;
    this.homeWay = hw;
    this.ways.push(hw);
    for (let i = 0; i < PENDING; i++) this.pending.push(null);
  }

  /**
   * Copies `len` bytes from `src[srcOff..]` to `dst[dstOff..]` (both ranges inside their arrays).
   * Overlapping ranges (the same array, or two arrays over one ArrayBuffer) are copied as memmove does.
   */
  copy(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number): void {
    if (len <= 0) return;
    if (dst === src) {
      dst.copyWithin(dstOff, srcOff, srcOff + len);
      return;
    }
    if (srcOff === 0 && len === src.length) {
      dst.set(src, dstOff);
      return;
    }
    if (len >= MIN_FAST) {
      if (dst === this.home) {
        if (this.intoHome(dstOff, src, srcOff, len)) return;
      } else if (src === this.home) {
        if (this.outOfHome(dst, dstOff, srcOff, len)) return;
      } else if (this.between(dst, dstOff, src, srcOff, len)) {
        return;
      }
      this.loops++;
    }
    copyByteLoop(dst, dstOff, src, srcOff, len);
  }

  /** Drops every cached foreign view and buffer reference. */
  forget(): void {
    for (let i = 0; i < WAYS; i++) {
      const w = this.ways[i];
      w.arr = null; w.buf = null; w.w64 = null; w.at = 0;
    }
    this.homeWay.arr = this.home;
    this.homeWay.at = this.homeAt;
    for (let i = 0; i < PENDING; i++) this.pending[i] = null;
  }

  private intoHome(d: number, src: Uint8Array, s: number, len: number): boolean {
    const w = this.way(src);
    if (w === null) return false;
    const sAt = w.at;
    const da = this.homeAt + d;
    const all8 = this.all8;
    if (w === this.homeWay) {
      // a view over pool memory: one native move, which also handles overlap
      all8.copyWithin(da, sAt + s, sAt + s + len);
      this.native++;
      return true;
    }
    const s64 = w.w64 as Float64Array;
    const all64 = this.all64;
    if (((sAt + s - da) & 7) === 0) {
      copyAligned(all8, da, 0, all64, src, s, sAt, s64, len);
      this.words++;
      return true;
    }
    // different alignment: word-copy into the scratch at the source's alignment, then move natively
    for (let done = 0; done < len;) {
      let n = len - done;
      if (n > SCRATCH) n = SCRATCH;
      const t = this.scratch + ((sAt + s + done) & 7);
      copyAligned(all8, t, 0, all64, src, s + done, sAt, s64, n);
      all8.copyWithin(da + done, t, t + n);
      done += n;
    }
    this.staged++;
    return true;
  }

  private outOfHome(dst: Uint8Array, d: number, s: number, len: number): boolean {
    const w = this.way(dst);
    if (w === null) return false;
    const dAt = w.at;
    const sa = this.homeAt + s;
    const all8 = this.all8;
    if (w === this.homeWay) {
      all8.copyWithin(dAt + d, sa, sa + len);
      this.native++;
      return true;
    }
    const d64 = w.w64 as Float64Array;
    const all64 = this.all64;
    if (((dAt + d - sa) & 7) === 0) {
      copyAligned(dst, d, dAt, d64, all8, sa, 0, all64, len);
      this.words++;
      return true;
    }
    for (let done = 0; done < len;) {
      let n = len - done;
      if (n > SCRATCH) n = SCRATCH;
      const t = this.scratch + ((dAt + d + done) & 7);
      all8.copyWithin(t, sa + done, sa + done + n);
      copyAligned(dst, d + done, dAt, d64, all8, t, 0, all64, n);
      done += n;
    }
    this.staged++;
    return true;
  }

  private between(dst: Uint8Array, d: number, src: Uint8Array, s: number, len: number): boolean {
    const wd = this.way(dst);
    if (wd === null) return false;
    const dAt = wd.at;
    const d64 = wd.w64 as Float64Array;
    const ws = this.way(src);
    if (ws === null) return false;
    const sAt = ws.at;
    if (ws === wd) {
      // two arrays over one buffer: they may overlap
      if (wd !== this.homeWay) return false;
      this.all8.copyWithin(dAt + d, sAt + s, sAt + s + len);
      this.native++;
      return true;
    }
    if (((dAt + d - sAt - s) & 7) !== 0) return false;
    copyAligned(dst, d, dAt, d64, src, s, sAt, ws.w64 as Float64Array, len);
    this.words++;
    return true;
  }

  /** The cached views for `a`'s ArrayBuffer, or null (a buffer seen for the first time). */
  private way(a: Uint8Array): Way | null {
    const ways = this.ways;
    for (let i = 0; i <= WAYS; i++) {
      const w = ways[i];
      if (w.arr === a) return w;
    }
    const b = a.buffer;
    for (let i = 0; i <= WAYS; i++) {
      const w = ways[i];
      if (w.buf === b) {
        w.arr = a;
        w.at = a.byteOffset;
        return w;
      }
    }
    const pending = this.pending;
    let seen = false;
    for (let i = 0; i < PENDING; i++) {
      if (pending[i] === b) { pending[i] = null; seen = true; }
    }
    if (!seen) {
      pending[this.pendingNext] = b;
      this.pendingNext = (this.pendingNext + 1) % PENDING;
      return null;
    }
    const w = ways[this.victim];
    this.victim = (this.victim + 1) % WAYS;
    w.arr = a;
    w.at = a.byteOffset;
    w.buf = b;
    w.w64 = new Float64Array(b, 0, b.byteLength >> 3);
    this.views++;
    return w;
  }
}
