/**
 * Checks of the pool's ByteCopier against a reference byte copy, written to run both on Node
 * (test/core-copy.test.ts) and inside XS (bundled by test/xs/copy_entry.ts): only ECMAScript here.
 *
 * Each check returns how many copies it compared, the copier's path counters (so that a test can
 * show the word and staged paths really ran), and the first failures.
 */
import { PbufPool, ByteCopier, copyBytes } from '../../src/core/pbuf.js';
import { SeededRandom } from '../../src/core/random.js';

export interface CopyCheck {
  name: string;
  cases: number;
  failures: string[];
  words: number;
  staged: number;
  native: number;
  loops: number;
  views: number;
}

const MAX_FAILURES = 10;

/** Lengths: every one from 0 to 70, then around the scratch size and up to a whole frame. */
function lengths(full: boolean): number[] {
  const out: number[] = [];
  for (let n = 0; n <= 70; n++) if (full || n < 12 || n % 7 === 0 || n >= 38) out.push(n);
  for (const n of [127, 128, 129, 511, 512, 513, 1024, 1460, 1514]) out.push(n);
  return out;
}

/** Reference: memmove semantics through a temporary copy (test code may allocate). */
function refCopy(dst: Uint8Array, d: number, src: Uint8Array, s: number, len: number): void {
  if (len <= 0) return;
  const t = new Uint8Array(len);
  for (let i = 0; i < len; i++) t[i] = src[s + i];
  for (let i = 0; i < len; i++) dst[d + i] = t[i];
}

function fill(a: Uint8Array, r: SeededRandom): void {
  for (let i = 0; i < a.length; i++) a[i] = r.nextU32() & 0xff;
}

class Checker {
  readonly c: CopyCheck;
  private readonly copier: ByteCopier | null;
  private readonly base: { words: number; staged: number; native: number; loops: number; views: number };
  constructor(name: string, copier: ByteCopier | null) {
    this.copier = copier;
    this.base = copier === null ? { words: 0, staged: 0, native: 0, loops: 0, views: 0 }
      : { words: copier.words, staged: copier.staged, native: copier.native, loops: copier.loops, views: copier.views };
    this.c = { name, cases: 0, failures: [], words: 0, staged: 0, native: 0, loops: 0, views: 0 };
  }
  /** Compares `got` with `want` over [from, to) (clamped); records a failure with `what`. */
  same(got: Uint8Array, want: Uint8Array, from: number, to: number, what: string): boolean {
    if (from < 0) from = 0;
    if (to > got.length) to = got.length;
    for (let i = from; i < to; i++) {
      if (got[i] !== want[i]) {
        if (this.c.failures.length < MAX_FAILURES) {
          this.c.failures.push(what + ': byte ' + i + ' is ' + got[i] + ', expected ' + want[i]);
        }
        return false;
      }
    }
    return true;
  }
  done(): CopyCheck {
    const k = this.copier;
    if (k !== null) {
      this.c.words = k.words - this.base.words;
      this.c.staged = k.staged - this.base.staged;
      this.c.native = k.native - this.base.native;
      this.c.loops = k.loops - this.base.loops;
      this.c.views = k.views - this.base.views;
    }
    return this.c;
  }
}

/** A foreign array of `len` bytes at `byteOffset` in a buffer of its own (one spare byte after it). */
function foreign(byteOffset: number, len: number, r: SeededRandom): Uint8Array {
  const a = new Uint8Array(new ArrayBuffer(byteOffset + len + 1), byteOffset, len);
  fill(a, r);
  return a;
}

/** Foreign → pool memory and pool memory → foreign, every alignment of both sides. */
function checkHome(into: boolean, full: boolean): CopyCheck {
  const r = new SeededRandom(into ? 11 : 12);
  const pool = new PbufPool(2, 1600, 1, 0);
  const home = pool.mem;
  const copier = pool.copier;
  const ck = new Checker(into ? 'foreign array → pool memory, every alignment' : 'pool memory → foreign array, every alignment', copier);
  fill(home, r);
  const lens = lengths(full);
  const FOREIGN = 1560;
  for (let fb = 0; fb < 8; fb += full ? 1 : 3) {
    const f = foreign(fb, FOREIGN, r);
    const fWant = new Uint8Array(FOREIGN);
    fWant.set(f);
    const hWant = new Uint8Array(home.length);
    hWant.set(home);
    // first sight of this buffer (byte loop), second (views made): both compared like the rest
    for (let hm = 0; hm < 8; hm++) {
      for (let fm = 0; fm < 8; fm += full ? 1 : 2) {
        for (const len of lens) {
          const h = 1 + hm + ((len * 5) & 24);
          const fo = fm + (len & 16);
          if (h + len > home.length || fo + len > FOREIGN) continue;
          ck.c.cases++;
          if (into) {
            copier.copy(home, h, f, fo, len);
            refCopy(hWant, h, f, fo, len);
            ck.same(home, hWant, h - 9, h + len + 9, 'into pool at ' + h + ' from ' + fb + '+' + fo + ' len ' + len);
          } else {
            copier.copy(f, fo, home, h, len);
            refCopy(fWant, fo, home, h, len);
            ck.same(f, fWant, fo - 9, fo + len + 9, 'out of pool at ' + h + ' to ' + fb + '+' + fo + ' len ' + len);
          }
          // keep both sides changing, so that stale bytes cannot pass for copied ones
          const flip = (len * 31 + hm) % home.length;
          home[flip] ^= 0x5a; hWant[flip] ^= 0x5a;
          const flip2 = (len * 17 + fm) % FOREIGN;
          f[flip2] ^= 0xa5; fWant[flip2] ^= 0xa5;
        }
      }
    }
    ck.same(home, hWant, 0, home.length, 'whole pool after foreign offset ' + fb);
    ck.same(f, fWant, 0, FOREIGN, 'whole foreign array at offset ' + fb);
  }
  return ck.done();
}

/** Two foreign arrays over distinct buffers (neither is pool memory). */
function checkForeignPair(full: boolean): CopyCheck {
  const r = new SeededRandom(13);
  const pool = new PbufPool(1, 256, 1, 0);
  const copier = pool.copier;
  const ck = new Checker('foreign array → foreign array (distinct buffers), every alignment', copier);
  const lens = lengths(full);
  for (let db = 0; db < 8; db += full ? 1 : 3) {
    const sb = (db * 3 + 1) & 7;
    const dst = foreign(db, 1600, r);
    const src = foreign(sb, 1600, r);
    const want = new Uint8Array(1600);
    want.set(dst);
    for (let dm = 0; dm < 8; dm++) {
      for (let sm = 0; sm < 8; sm += full ? 1 : 2) {
        for (const len of lens) {
          const d = dm + (len & 8);
          const s = sm + 3;
          if (d + len > 1600 || s + len > 1600) continue;
          ck.c.cases++;
          copier.copy(dst, d, src, s, len);
          refCopy(want, d, src, s, len);
          ck.same(dst, want, d - 9, d + len + 9, 'foreign ' + db + '+' + d + ' from ' + sb + '+' + s + ' len ' + len);
          src[(len + dm) % 1600] ^= 0x3c;
        }
      }
    }
    ck.same(dst, want, 0, 1600, 'whole foreign destination ' + db);
  }
  return ck.done();
}

/** Overlapping copies: one array, two views of one foreign buffer, views of pool memory's buffer. */
function checkOverlap(full: boolean): CopyCheck {
  const r = new SeededRandom(14);
  const pool = new PbufPool(2, 1024, 1, 0);
  const home = pool.mem;
  const copier = pool.copier;
  const ck = new Checker('overlapping ranges: same array, two views of one buffer, views of pool memory', copier);
  fill(home, r);
  const fbuf = new ArrayBuffer(1700);
  const whole = new Uint8Array(fbuf);
  fill(whole, r);
  const va = new Uint8Array(fbuf, 3, 1600);
  const vb = new Uint8Array(fbuf, 8, 1600);
  const pa = new Uint8Array(home.buffer, 5, 1900);
  const pb = new Uint8Array(home.buffer, 0, 2000);
  const lens = lengths(full);
  // [dst, src] pairs: the want array mirrors the whole buffer, so positions are absolute
  const pairs: [Uint8Array, Uint8Array, Uint8Array][] = [
    [home, home, home], [va, va, whole], [va, vb, whole], [vb, va, whole],
    [home, pa, home], [pa, home, home], [pa, pb, home], [pb, pa, home],
  ];
  for (let k = 0; k < pairs.length; k++) {
    const [dst, src, all] = pairs[k];
    const want = new Uint8Array(all.length);
    want.set(all);
    const wd = new Uint8Array(want.buffer, dst.byteOffset - all.byteOffset, dst.length);
    const ws = new Uint8Array(want.buffer, src.byteOffset - all.byteOffset, src.length);
    for (const len of lens) {
      for (let delta = -19; delta <= 19; delta += full ? 1 : 3) {
        const s = 30 + (len & 7);
        const d = s + delta;
        if (d < 0 || d + len > dst.length || s + len > src.length) continue;
        ck.c.cases++;
        copier.copy(dst, d, src, s, len);
        refCopy(wd, d, ws, s, len);
        ck.same(all, want, 0, all.length, 'pair ' + k + ' dst ' + d + ' src ' + s + ' len ' + len);
      }
    }
  }
  // the same through copyBytes without a copier (its byte loop must respect overlap too)
  const want = new Uint8Array(1700);
  want.set(whole);
  const wa = new Uint8Array(want.buffer, 3, 1600);
  const wb = new Uint8Array(want.buffer, 8, 1600);
  for (const len of [1, 7, 8, 9, 40, 100, 700]) {
    ck.c.cases += 2;
    copyBytes(va, 10, vb, 10, len);
    refCopy(wa, 10, wb, 10, len);
    copyBytes(vb, 10, va, 10, len);
    refCopy(wb, 10, wa, 10, len);
    ck.same(whole, want, 0, 1700, 'copyBytes without a copier, overlapping views, len ' + len);
  }
  return ck.done();
}

/**
 * The cache of foreign views: a buffer gets views the second time it is seen; a different array
 * over a cached buffer needs none; rotating through more buffers than the cache holds stays correct;
 * forget() starts over.
 */
function checkCache(): CopyCheck {
  const r = new SeededRandom(15);
  const pool = new PbufPool(2, 1600, 1, 0);
  const home = pool.mem;
  const copier = pool.copier;
  const ck = new Checker('source array changing between calls (cache of views)', copier);
  const want = new Uint8Array(home.length);
  const bufs: Uint8Array[] = [];
  for (let i = 0; i < 7; i++) bufs.push(foreign(i & 3, 1500, r));
  const expect = (cond: boolean, what: string): void => {
    if (!cond && ck.c.failures.length < MAX_FAILURES) ck.c.failures.push(what);
  };
  const one = (src: Uint8Array, s: number, d: number, len: number, what: string): void => {
    ck.c.cases++;
    copier.copy(home, d, src, s, len);
    refCopy(want, d, src, s, len);
    ck.same(home, want, 0, home.length, what);
  };
  let v = copier.views;
  one(bufs[0], 4, 100, 1000, 'A first');
  expect(copier.views === v && copier.loops === 1, 'a buffer seen once gets no views (byte loop)');
  one(bufs[0], 5, 200, 1000, 'A second');
  expect(copier.views === v + 1, 'the second copy from a buffer makes its view');
  v = copier.views;
  one(bufs[0], 6, 300, 900, 'A third');
  one(bufs[0].subarray(10, 1400), 6, 304, 900, 'A, another array over the same buffer');
  expect(copier.views === v, 'no new view for a buffer already cached');
  // alternate between two new buffers: each gets its views on its second use
  one(bufs[1], 0, 50, 1400, 'B 1'); one(bufs[2], 1, 51, 1400, 'C 1');
  one(bufs[1], 2, 52, 1400, 'B 2'); one(bufs[2], 3, 53, 1400, 'C 2');
  expect(copier.views === v + 2, 'two alternating buffers: one view each (' + (copier.views - v) + ')');
  // contents change between calls: the copier must read them afresh
  bufs[1][100] ^= 0xff;
  one(bufs[1], 90, 1000, 500, 'B after a change');
  // rotate through all seven buffers, more than the cache holds
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < bufs.length; i++) {
      bufs[i][(round * 13 + i) % 1500] ^= 0x11;
      one(bufs[i], (i * 3 + round) & 7, 8 + ((i + round) & 7), 1460, 'rotation ' + round + ' buffer ' + i);
    }
  }
  copier.forget();
  v = copier.views;
  one(bufs[0], 0, 0, 700, 'after forget, first');
  expect(copier.views === v, 'after forget() a buffer is new again');
  one(bufs[0], 0, 8, 700, 'after forget, second');
  expect(copier.views === v + 1, 'after forget() the second copy makes the view again');
  return ck.done();
}

/** Source (and destination) buffers whose length is not a multiple of 8 or 4: copies up to the last byte. */
function checkOddBuffers(): CopyCheck {
  const r = new SeededRandom(16);
  const pool = new PbufPool(2, 1600, 1, 0);
  const home = pool.mem;
  const copier = pool.copier;
  const ck = new Checker('buffers whose length is not a multiple of 4 or 8, copied to their last byte', copier);
  fill(home, r);
  const want = new Uint8Array(home.length);
  want.set(home);
  for (const blen of [1001, 1002, 1003, 1005, 1006, 1007, 1009, 45]) {
    const src = new Uint8Array(new ArrayBuffer(blen));
    fill(src, r);
    const view = new Uint8Array(src.buffer, 1, blen - 1);
    for (let rep = 0; rep < 2; rep++) { // the first pass meets the buffer, the second uses its views
      for (let dm = 0; dm < 8; dm++) {
        for (let len = 40; len <= blen - 1; len += len < 60 ? 1 : 97) {
          const d = 16 + dm;
          ck.c.cases += 2;
          copier.copy(home, d, src, blen - len, len);
          refCopy(want, d, src, blen - len, len);
          ck.same(home, want, d - 9, d + len + 9, 'into pool from the end of a ' + blen + '-byte buffer, len ' + len);
          copier.copy(home, d + 3, view, view.length - len, len);
          refCopy(want, d + 3, view, view.length - len, len);
          ck.same(home, want, d - 6, d + len + 12, 'into pool from the end of a view on a ' + blen + '-byte buffer, len ' + len);
        }
      }
    }
    // and out of the pool into the end of such a buffer
    const dst = new Uint8Array(new ArrayBuffer(blen));
    const dwant = new Uint8Array(blen);
    for (let rep = 0; rep < 2; rep++) {
      for (let sm = 0; sm < 8; sm++) {
        for (let len = 40; len <= blen; len += len < 60 ? 1 : 89) {
          ck.c.cases++;
          copier.copy(dst, blen - len, home, 100 + sm, len);
          refCopy(dwant, blen - len, home, 100 + sm, len);
          ck.same(dst, dwant, 0, blen, 'out of pool to the end of a ' + blen + '-byte buffer, len ' + len);
        }
      }
    }
  }
  ck.same(home, want, 0, home.length, 'whole pool');
  return ck.done();
}

/** 8-byte patterns that a float copy could alter (NaNs with payloads, signalling NaNs, -0, infinities, subnormals). */
function checkBitPatterns(): CopyCheck {
  const pool = new PbufPool(1, 4096, 1, 0);
  const home = pool.mem;
  const copier = pool.copier;
  const ck = new Checker('8-byte words that are NaNs, -0, infinities or subnormals as doubles pass unchanged', copier);
  const N = 4096 >> 3;
  const src = new Uint8Array(4096);
  const hi = [0x7ff00000, 0x7ff00001, 0x7ff7ffff, 0x7ff80000, 0x7ff80001, 0x7fffffff, 0xfff00000, 0xfff00001,
    0xfff7ffff, 0xfff80000, 0xffffffff, 0x80000000, 0x00000000, 0x000fffff, 0x800fffff, 0x00000001];
  const lo = [0, 1, 0x80000000, 0xffffffff, 0xdeadbeef];
  let k = 0;
  for (let i = 0; i < N; i++) {
    const h = hi[k % hi.length];
    const l = lo[Math.floor(k / hi.length) % lo.length];
    k++;
    // little-endian doubles: low word first
    src[8 * i] = l & 0xff; src[8 * i + 1] = (l >>> 8) & 0xff; src[8 * i + 2] = (l >>> 16) & 0xff; src[8 * i + 3] = l >>> 24;
    src[8 * i + 4] = h & 0xff; src[8 * i + 5] = (h >>> 8) & 0xff; src[8 * i + 6] = (h >>> 16) & 0xff; src[8 * i + 7] = h >>> 24;
  }
  const back = new Uint8Array(4096);
  for (let rep = 0; rep < 3; rep++) { // the first pass meets the buffers, the others use their views
    for (const shift of [0, 4, 1]) { // aligned words; words of a staged copy; bytes moved across word boundaries
      ck.c.cases++;
      home.fill(0);
      copier.copy(home, shift, src, 0, 4096 - 8);
      const want = new Uint8Array(4096);
      refCopy(want, shift, src, 0, 4096 - 8);
      ck.same(home, want, 0, 4096, 'into pool, shift ' + shift);
      ck.c.cases++;
      back.fill(0);
      const bwant = new Uint8Array(4096);
      copier.copy(back, 0, home, shift, 4096 - 8);
      refCopy(bwant, 0, home, shift, 4096 - 8);
      ck.same(back, bwant, 0, 4096, 'out of pool, shift ' + shift);
    }
  }
  return ck.done();
}

/** Every check by name; `full` runs every alignment and length (Node), otherwise a sample (XS, slower). */
export const COPY_CHECKS: [string, (full: boolean) => CopyCheck][] = [
  ['into', (full) => checkHome(true, full)],
  ['outOf', (full) => checkHome(false, full)],
  ['foreignPair', checkForeignPair],
  ['overlap', checkOverlap],
  ['cache', checkCache],
  ['oddBuffers', checkOddBuffers],
  ['bitPatterns', checkBitPatterns],
];

export function copyChecks(full: boolean): CopyCheck[] {
  return COPY_CHECKS.map(([, f]) => f(full));
}
