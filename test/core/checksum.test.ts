/**
 * The Internet checksum (RFC 1071) against a plain reference implementation: every path (byte loop,
 * 16-bit view, pbuf chains split at odd boundaries, pseudo-header) must give the same answer.
 */
import assert from 'node:assert/strict';
import {
  chksumAdd, chksumChain, chksumFinish, chksumFold, inet_chksum, pseudoHeaderSum, poolChecksum, type ChecksumChain,
} from '../../src/core/checksum.js';
import { PbufPool, PBUF_RAW, PBUF_TRANSPORT, pbuf_take, pbuf_free, pbuf_cat, pbuf_remove_header } from '../../src/core/pbuf.js';
import { SeededRandom } from '../../src/core/random.js';

/** RFC 1071 done the obvious way: big-endian words, a trailing byte padded with zero, fold, invert. */
function refChecksum(bytes: ArrayLike<number>, off = 0, len = bytes.length - off): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) {
    const hi = bytes[off + i];
    const lo = i + 1 < len ? bytes[off + i + 1] : 0;
    sum += (hi << 8) | lo;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function randomBytes(n: number, r: SeededRandom): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = r.nextU32() & 255;
  return a;
}

/** A buffer with a 16-bit view over the same memory, as the pools have. */
function aligned(n: number): { buf: Uint8Array; buf16: Uint16Array } {
  const ab = new ArrayBuffer((n + 1) & ~1);
  return { buf: new Uint8Array(ab), buf16: new Uint16Array(ab) };
}

/** Splits `data` into a chain at the given cut points (pieces in separate arrays at odd offsets). */
function chainFrom(data: Uint8Array, cuts: number[]): ChecksumChain {
  const points = [0, ...cuts, data.length];
  let head: ChecksumChain | null = null;
  let tail: ChecksumChain | null = null;
  for (let i = 0; i + 1 < points.length; i++) {
    const n = points[i + 1] - points[i];
    const pad = i % 3; // 0, 1 or 2 bytes in front: odd and even offsets
    const mem = aligned(n + pad + 2);
    mem.buf.set(data.subarray(points[i], points[i + 1]), pad);
    const node: ChecksumChain = { buf: mem.buf, buf16: i % 2 ? null : mem.buf16, off: pad, len: n, next: null };
    if (tail === null) head = node; else tail.next = node;
    tail = node;
  }
  return head!;
}

describe('core/checksum', () => {
  it('RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2', () => {
    const b = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    assert.equal(chksumFold(chksumAdd(b, null, 0, 8, 0)), 0xddf2);
    assert.equal(inet_chksum(b, 0, 8), (~0xddf2) & 0xffff);
    const m = aligned(8);
    m.buf.set(b);
    assert.equal(chksumFold(chksumAdd(m.buf, m.buf16, 0, 8, 0)), 0xddf2);
  });

  it('a known IPv4 header checksums to 0xb861 and verifies to 0', () => {
    // a classic example header: 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7
    const h = new Uint8Array([0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7]);
    assert.equal(inet_chksum(h, 0, 20), 0xb861);
    h[10] = 0xb8; h[11] = 0x61;
    assert.equal(inet_chksum(h, 0, 20), 0);
  });

  it('fold and finish edge cases', () => {
    assert.equal(chksumFold(0), 0);
    assert.equal(chksumFold(0xffff), 0xffff);
    assert.equal(chksumFold(0x10000), 1);
    assert.equal(chksumFold(0x1fffe), 0xffff);
    assert.equal(chksumFold(0xffffffff), 0xffff);
    assert.equal(chksumFold(2 ** 40 + 3), chksumFold(chksumFold(2 ** 40) + 3));
    assert.equal(chksumFinish(0), 0xffff);
    assert.equal(chksumFinish(0xffff), 0);
    assert.equal(inet_chksum(new Uint8Array(10), 0, 10), 0xffff, 'all zeros');
    assert.equal(inet_chksum(new Uint8Array(0), 0, 0), 0xffff, 'empty');
  });

  it('byte path equals the reference on random data, odd and even lengths and offsets', () => {
    const r = new SeededRandom(1);
    for (let i = 0; i < 300; i++) {
      const n = r.nextU32() % 1600;
      const off = r.nextU32() % 7;
      const data = randomBytes(n + off, r);
      assert.equal(inet_chksum(data, off, n), refChecksum(data, off, n), 'len ' + n + ' off ' + off);
    }
  });

  it('16-bit fast path equals the byte path (and the reference) for every length', () => {
    const r = new SeededRandom(2);
    const m = aligned(2000);
    m.buf.set(randomBytes(2000, r));
    for (let off = 0; off < 8; off++) {
      for (let n = 0; n < 200; n++) {
        const fast = chksumAdd(m.buf, m.buf16, off, n, 0);
        const slow = chksumAdd(m.buf, null, off, n, 0);
        assert.equal(chksumFold(fast), chksumFold(slow), 'off ' + off + ' len ' + n);
        assert.equal(chksumFinish(fast), refChecksum(m.buf, off, n));
      }
    }
    for (const n of [1459, 1460, 1500, 1514, 1999]) {
      assert.equal(inet_chksum(m.buf, 0, n, m.buf16), refChecksum(m.buf, 0, n));
      assert.equal(inet_chksum(m.buf, 1, n, m.buf16), refChecksum(m.buf, 1, n), 'odd offset falls back');
    }
  });

  it('a view with a byteOffset falls back to the byte path (the 16-bit view would be misaligned)', () => {
    const r = new SeededRandom(3);
    const m = aligned(100);
    m.buf.set(randomBytes(100, r));
    const view = new Uint8Array(m.buf.buffer, 2, 90);
    assert.equal(inet_chksum(view, 0, 90, m.buf16), refChecksum(view, 0, 90));
  });

  it('large buffers of 0xff do not overflow the accumulator', () => {
    const m = aligned(65536);
    m.buf.fill(0xff);
    assert.equal(inet_chksum(m.buf, 0, 65536, m.buf16), 0);
    assert.equal(inet_chksum(m.buf, 0, 65535, m.buf16), refChecksum(m.buf, 0, 65535));
    assert.equal(inet_chksum(m.buf, 0, 65536), 0);
  });

  it('partial sums add: pieces of even length summed separately equal the whole', () => {
    const r = new SeededRandom(4);
    const data = randomBytes(1000, r);
    let acc = 0;
    for (let off = 0; off < 1000; off += 100) acc = chksumAdd(data, null, off, 100, acc);
    assert.equal(chksumFinish(acc), inet_chksum(data, 0, 1000));
  });

  it('a chain split at odd boundaries equals the reference over the concatenation', () => {
    const r = new SeededRandom(5);
    for (let i = 0; i < 300; i++) {
      const n = 1 + (r.nextU32() % 700);
      const data = randomBytes(n, r);
      const cutCount = r.nextU32() % 6;
      const cuts = Array.from({ length: cutCount }, () => r.nextU32() % (n + 1)).sort((a, b) => a - b);
      const chain = chainFrom(data, cuts);
      assert.equal(chksumFinish(chksumChain(chain, 0, n, 0)), refChecksum(data), 'cuts ' + cuts.join(','));
    }
  });

  it('chksumChain honours skip and len (both possibly odd, crossing pieces)', () => {
    const r = new SeededRandom(6);
    const data = randomBytes(301, r);
    const chain = chainFrom(data, [1, 50, 51, 151, 300]);
    for (let i = 0; i < 200; i++) {
      const skip = r.nextU32() % 301;
      const len = r.nextU32() % (302 - skip);
      assert.equal(chksumFinish(chksumChain(chain, skip, len, 0)), refChecksum(data, skip, len), skip + '+' + len);
    }
    assert.equal(chksumChain(chain, 0, 0, 1234), 1234, 'nothing added for len 0');
    assert.equal(chksumFinish(chksumChain(chain, 0, 10000, 0)), refChecksum(data), 'len past the end stops at the end');
  });

  it('real pbuf chains (fast path pieces) checksum like the flat bytes', () => {
    const pl = new PbufPool(16, 128, 4, 0);
    const r = new SeededRandom(7);
    const data = randomBytes(777, r);
    const a = pl.alloc(PBUF_TRANSPORT, 101)!;
    pbuf_take(a, data, 101);
    const b = pl.alloc(PBUF_RAW, 676)!;
    pbuf_take(b, data, 676, 101);
    pbuf_cat(a, b);
    assert.equal(chksumFinish(chksumChain(a, 0, 777, 0)), refChecksum(data));
    assert.equal(pbuf_remove_header(a, 3), 0);
    assert.equal(chksumFinish(chksumChain(a, 0, 774, 0)), refChecksum(data, 3, 774));
    pbuf_free(a);
    assert.equal(pl.pool.used, 0);
  });

  it('pseudo-header sum equals summing the 12-byte pseudo-header (RFC 9293 §3.1)', () => {
    const r = new SeededRandom(8);
    for (let i = 0; i < 200; i++) {
      const src = r.nextU32();
      const dst = r.nextU32();
      const proto = i & 1 ? 6 : 17;
      const len = r.nextU32() % 65536;
      const ph = new Uint8Array(12);
      const v = new DataView(ph.buffer);
      v.setUint32(0, src);
      v.setUint32(4, dst);
      ph[9] = proto;
      v.setUint16(10, len);
      assert.equal(chksumFinish(pseudoHeaderSum(src, dst, proto, len)), refChecksum(ph));
    }
  });

  it('a TCP segment with the computed checksum in place verifies to 0', () => {
    const r = new SeededRandom(9);
    const seg = randomBytes(20 + 33, r);
    seg[16] = 0; seg[17] = 0;
    const src = 0x0a000001;
    const dst = 0x0a000002;
    const ck = chksumFinish(chksumAdd(seg, null, 0, seg.length, pseudoHeaderSum(src, dst, 6, seg.length)));
    seg[16] = ck >>> 8; seg[17] = ck & 255;
    assert.equal(chksumFinish(chksumAdd(seg, null, 0, seg.length, pseudoHeaderSum(src, dst, 6, seg.length))), 0);
  });

  it('poolChecksum (32-bit words) equals the reference: every offset mod 8, every length, any initial', () => {
    const r = new SeededRandom(10);
    const pool = new PbufPool(2, 2048, 1, 0);
    pool.mem.set(randomBytes(4096, r));
    const sum = poolChecksum(pool.mem);
    for (let off = 0; off < 8; off++) {
      for (let n = 0; n < 300; n++) {
        const initial = n * 977 % 0x7fff;
        const want = chksumFold(chksumAdd(pool.mem, null, off, n, initial));
        assert.equal(sum(pool.mem, off, n, initial), want, 'off ' + off + ' len ' + n);
      }
    }
    for (const n of [1459, 1460, 1480, 1514, 4000]) {
      assert.equal((~sum(pool.mem, 2, n, 0)) & 0xffff, refChecksum(pool.mem, 2, n), 'len ' + n);
    }
    // the sum never exceeds 16 bits, and an all-ones buffer folds to 0xffff without overflow
    const big = new Uint8Array(1 << 20).fill(0xff);
    const bigSum = poolChecksum(big);
    assert.equal(bigSum(big, 0, big.length, 0), 0xffff);
    assert.equal(bigSum(big, 2, big.length - 2, 0x7fffffff), chksumFold(chksumAdd(big, null, 2, big.length - 2, 0x7fffffff)));
  });

  it('poolChecksum over foreign arrays (PBUF_REF data): byte loop first, 32-bit view once seen again, same sums', () => {
    const r = new SeededRandom(11);
    const sum = poolChecksum(new PbufPool(1, 256, 1, 0).mem);
    const app = randomBytes(3000, r);
    const viewAt3 = new Uint8Array(app.buffer, 3, 2000);
    const odd = new Uint8Array(new ArrayBuffer(1031)); // byteLength not a multiple of 4
    odd.set(randomBytes(1031, r));
    for (let round = 0; round < 3; round++) {
      for (const [a, label] of [[app, 'app'], [viewAt3, 'view+3'], [odd, 'odd length']] as [Uint8Array, string][]) {
        for (let off = 0; off < 6; off++) {
          for (const n of [0, 1, 63, 64, 65, 66, 67, 500, a.length - off]) {
            assert.equal(sum(a, off, n, 5), chksumFold(chksumAdd(a, null, off, n, 5)), label + ' off ' + off + ' len ' + n + ' round ' + round);
            // the same buffer again in a row: the word path
            assert.equal(sum(a, off, n, 0), chksumFold(chksumAdd(a, null, off, n, 0)), label + ' again');
          }
        }
      }
    }
  });
});
