/**
 * Packet buffers: allocation of chains, headroom, reference counts, copies across pbuf boundaries,
 * pool exhaustion and the receive reserve, and misuse that must not corrupt the pools.
 */
import assert from 'node:assert/strict';
import {
  PbufPool, Pbuf, PBUF_RAW, PBUF_LINK, PBUF_IP, PBUF_TRANSPORT, PBUF_POOL, PBUF_REF, PBUF_RAM,
  pbufLayerOffset, pbuf_free, pbuf_ref, pbuf_cat, pbuf_chain, pbuf_clen, pbuf_add_header,
  pbuf_remove_header, pbuf_realloc, copyBytes, pbuf_copy_partial, pbuf_take, pbuf_take_at, pbuf_copy,
  pbuf_copy_chain, pbuf_get_at, pbuf_try_get_at, pbuf_put_at,
  PB_STRIDE, PB_OFF, PB_LEN, PB_TOTLEN, PB_NEXT, PB_REF, PB_FLAGS, PBUF_FLAG_PUSH, pbufChksum,
} from '../../src/core/pbuf.js';
import { poolChecksum, inet_chksum, chksumFold } from '../../src/core/checksum.js';
import { PBUF_LINK_HLEN, PBUF_IP_HLEN, PBUF_TRANSPORT_HLEN } from '../../src/core/config.js';
import { SeededRandom } from '../../src/core/random.js';

const BUFSIZE = 256;

function pool(count = 16, refs = 4, reserve = 2): PbufPool {
  return new PbufPool(count, BUFSIZE, refs, reserve);
}

function assertFull(p: PbufPool): void {
  assert.equal(p.pool.used, 0, 'pool pbufs in use');
  assert.equal(p.refPool.used, 0, 'ref pbufs in use');
  assert.equal(p.freeCount, p.pool.avail);
}

/** Checks the len/totLen invariants of a chain; returns the pbufs. */
function chainOf(p: Pbuf): Pbuf[] {
  const out: Pbuf[] = [];
  for (let q: Pbuf | null = p; q !== null; q = q.next) out.push(q);
  let tot = 0;
  for (let i = out.length - 1; i >= 0; i--) {
    tot += out[i].len;
    assert.equal(out[i].totLen, tot, 'totLen of pbuf ' + i);
  }
  return out;
}

function pattern(n: number, seed = 1): Uint8Array {
  const r = new SeededRandom(seed);
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = r.nextU32() & 255;
  return a;
}

/** The chain's bytes, concatenated. */
function bytesOf(p: Pbuf): Uint8Array {
  const out = new Uint8Array(p.totLen);
  assert.equal(pbuf_copy_partial(p, out, p.totLen, 0), p.totLen);
  return out;
}

describe('core/pbuf: allocation', () => {
  it('layer offsets: raw 0, link 14, ip 34, transport 94', () => {
    assert.equal(pbufLayerOffset(PBUF_RAW), 0);
    assert.equal(pbufLayerOffset(PBUF_LINK), PBUF_LINK_HLEN);
    assert.equal(pbufLayerOffset(PBUF_IP), PBUF_LINK_HLEN + PBUF_IP_HLEN);
    assert.equal(pbufLayerOffset(PBUF_TRANSPORT), PBUF_TRANSPORT_HLEN);
  });

  it('allocates chains of many sizes with the right pbuf count and lengths', () => {
    const pl = new PbufPool(64, BUFSIZE, 4, 0);
    for (const layer of [PBUF_RAW, PBUF_LINK, PBUF_IP, PBUF_TRANSPORT] as const) {
      const head = pbufLayerOffset(layer);
      for (const len of [0, 1, 2, 100, BUFSIZE - head - 1, BUFSIZE - head, BUFSIZE - head + 1, BUFSIZE, 1000, 1460, 4000]) {
        const p = pl.alloc(layer, len);
        assert.ok(p, 'alloc ' + len);
        const parts = chainOf(p);
        const firstRoom = BUFSIZE - head;
        const expected = len <= firstRoom ? 1 : 1 + Math.ceil((len - firstRoom) / BUFSIZE);
        assert.equal(parts.length, expected, 'pbufs for ' + len + ' at layer ' + layer);
        assert.equal(p.totLen, len);
        assert.equal(p.off, p.base + head, 'headroom');
        assert.equal(p.ref, 1);
        assert.equal(p.type, PBUF_POOL);
        for (let i = 1; i < parts.length; i++) {
          assert.equal(parts[i].off, parts[i].base, 'no headroom after the first');
          assert.equal(parts[i].ref, 1);
        }
        for (let i = 0; i < parts.length - 1; i++) assert.equal(parts[i].off + parts[i].len, parts[i].base + BUFSIZE, 'full');
        assert.equal(pl.pool.used, parts.length);
        assert.equal(pbuf_free(p), parts.length);
        assertFull(pl);
      }
    }
  });

  it('every pbuf of a chain has its own slot inside the one shared buffer', () => {
    const pl = pool();
    const p = pl.alloc(PBUF_RAW, 5 * BUFSIZE)!;
    const bases = chainOf(p).map((q) => q.base);
    assert.equal(new Set(bases).size, 5);
    for (const q of chainOf(p)) {
      assert.equal(q.buf, pl.mem);
      assert.equal('buf16' in q, false, 'no 16-bit view: pool memory is summed through the InetSum');
      assert.equal(q.base % BUFSIZE, 0);
      assert.equal(q.cap, BUFSIZE);
    }
    pbuf_free(p);
    assertFull(pl);
  });

  it('PBUF_RAM is served from the pool', () => {
    const pl = pool();
    const p = pl.alloc(PBUF_IP, 100, PBUF_RAM)!;
    assert.equal(p.type, PBUF_POOL);
    assert.equal(pl.pool.used, 1);
    pbuf_free(p);
    assertFull(pl);
  });

  it('negative length fails and is counted', () => {
    const pl = pool();
    assert.equal(pl.alloc(PBUF_RAW, -1), null);
    assert.equal(pl.pool.err, 1);
    assertFull(pl);
  });

  it('exhaustion returns null, counts stats.err and takes nothing (no partial chain)', () => {
    const pl = new PbufPool(8, BUFSIZE, 2, 0);
    const a = pl.alloc(PBUF_RAW, 5 * BUFSIZE)!;
    assert.equal(pl.freeCount, 3);
    assert.equal(pl.alloc(PBUF_RAW, 4 * BUFSIZE), null);
    assert.equal(pl.pool.err, 1);
    assert.equal(pl.freeCount, 3, 'a failed chain takes nothing');
    const b = pl.alloc(PBUF_RAW, 3 * BUFSIZE)!;
    assert.equal(pl.freeCount, 0);
    assert.equal(pl.alloc(PBUF_RAW, 0), null);
    assert.equal(pl.allocRx(10), null);
    assert.equal(pl.pool.err, 3);
    assert.equal(pl.pool.max, 8);
    pbuf_free(a);
    pbuf_free(b);
    assertFull(pl);
    assert.equal(pl.pool.max, 8, 'high-water mark stays');
  });

  it('rx reserve: tx-side alloc fails while allocRx (and allocControl) still succeed', () => {
    const pl = new PbufPool(10, BUFSIZE, 2, 3);
    const held: Pbuf[] = [];
    for (let i = 0; i < 7; i++) held.push(pl.alloc(PBUF_TRANSPORT, 10)!);
    assert.ok(held.every((p) => p !== null));
    assert.equal(pl.alloc(PBUF_TRANSPORT, 10), null, 'tx may not take the reserve');
    assert.equal(pl.pool.err, 1);
    const rx = pl.allocRx(100);
    assert.ok(rx);
    assert.equal(rx.off, rx.base, 'rx frames have no headroom');
    const ctl = pl.allocControl(PBUF_TRANSPORT, 0);
    assert.ok(ctl);
    held.push(rx, ctl);
    held.push(pl.allocRx(1)!);
    assert.equal(pl.freeCount, 0);
    assert.equal(pl.allocRx(1), null);
    for (const p of held) pbuf_free(p);
    assertFull(pl);
  });

  it('a chain that would dip into the reserve fails as a whole', () => {
    const pl = new PbufPool(6, BUFSIZE, 2, 2);
    assert.equal(pl.alloc(PBUF_RAW, 5 * BUFSIZE), null);
    const p = pl.alloc(PBUF_RAW, 4 * BUFSIZE)!;
    assert.equal(pbuf_clen(p), 4);
    const rx = pl.allocRx(2 * BUFSIZE)!;
    assert.equal(pbuf_clen(rx), 2);
    pbuf_free(p);
    pbuf_free(rx);
    assertFull(pl);
  });

  it('fresh pbufs carry no stale chain, flags or lengths', () => {
    const pl = pool();
    const a = pl.alloc(PBUF_RAW, 3 * BUFSIZE)!;
    a.flags = 0xff;
    pbuf_free(a);
    for (let i = 0; i < 3; i++) {
      const p = pl.alloc(PBUF_IP, 10)!;
      assert.equal(p.next, null);
      assert.equal(p.flags, 0);
      assert.equal(p.len, 10);
      assert.equal(p.totLen, 10);
      pbuf_free(p);
    }
    assertFull(pl);
  });
});

describe('core/pbuf: headers', () => {
  it('add_header uses the headroom down to the slot start and no further', () => {
    const pl = pool();
    const p = pl.alloc(PBUF_TRANSPORT, 100)!;
    assert.equal(pbuf_add_header(p, 20), 0);
    assert.equal(p.len, 120);
    assert.equal(p.totLen, 120);
    assert.equal(pbuf_add_header(p, PBUF_TRANSPORT_HLEN - 20), 0);
    assert.equal(p.off, p.base);
    assert.equal(pbuf_add_header(p, 1), 1, 'no room');
    assert.equal(p.off, p.base);
    assert.equal(p.len, 100 + PBUF_TRANSPORT_HLEN);
    pbuf_free(p);
  });

  it('remove_header hides bytes up to len, not beyond', () => {
    const pl = pool();
    const p = pl.alloc(PBUF_RAW, 3 * BUFSIZE)!;
    const off = p.off;
    assert.equal(pbuf_remove_header(p, 14), 0);
    assert.equal(p.off, off + 14);
    assert.equal(p.len, BUFSIZE - 14);
    assert.equal(p.totLen, 3 * BUFSIZE - 14);
    assert.equal(pbuf_remove_header(p, BUFSIZE), 1, 'more than the first pbuf holds');
    assert.equal(pbuf_remove_header(p, -1), 1);
    assert.equal(pbuf_remove_header(p, BUFSIZE - 14), 0);
    assert.equal(p.len, 0);
    assert.equal(pbuf_add_header(p, BUFSIZE), 0, 'and back again');
    assert.equal(p.off, off);
    chainOf(p);
    pbuf_free(p);
    assertFull(pl);
  });

  it('add_header with a negative count removes', () => {
    const pl = pool();
    const p = pl.alloc(PBUF_IP, 50)!;
    assert.equal(pbuf_add_header(p, -20), 0);
    assert.equal(p.len, 30);
    assert.equal(pbuf_add_header(p, -31), 1);
    pbuf_free(p);
  });

  it('a REF pbuf cannot grow a header, but can hide one', () => {
    const pl = pool();
    const data = pattern(40);
    const r = pl.allocRef(data, 10, 20)!;
    assert.equal(pbuf_add_header(r, 1), 1);
    assert.equal(pbuf_remove_header(r, 5), 0);
    assert.equal(r.off, 15);
    assert.equal(pbuf_get_at(r, 0), data[15]);
    pbuf_free(r);
    assertFull(pl);
  });
});

describe('core/pbuf: realloc', () => {
  it('shrinks a chain and frees the pbufs past the new end', () => {
    const pl = pool();
    const p = pl.alloc(PBUF_RAW, 4 * BUFSIZE)!;
    pbuf_realloc(p, BUFSIZE + 10);
    const parts = chainOf(p);
    assert.equal(parts.length, 2);
    assert.equal(p.totLen, BUFSIZE + 10);
    assert.equal(parts[1].len, 10);
    assert.equal(pl.pool.used, 2);
    pbuf_free(p);
    assertFull(pl);
  });

  it('shrinks to exactly the first pbuf, to 0, and ignores growth', () => {
    const pl = pool();
    const p = pl.alloc(PBUF_RAW, 2 * BUFSIZE)!;
    pbuf_realloc(p, 3 * BUFSIZE);
    assert.equal(p.totLen, 2 * BUFSIZE);
    pbuf_realloc(p, BUFSIZE);
    assert.equal(pbuf_clen(p), 1);
    assert.equal(p.len, BUFSIZE);
    pbuf_realloc(p, 0);
    assert.equal(p.len, 0);
    assert.equal(p.totLen, 0);
    pbuf_realloc(p, -5);
    assert.equal(p.len, 0);
    pbuf_free(p);
    assertFull(pl);
  });

  it('shrinking inside a later pbuf keeps the bytes before the cut', () => {
    const pl = pool();
    const data = pattern(3 * BUFSIZE);
    const p = pl.alloc(PBUF_LINK, data.length)!;
    pbuf_take(p, data, data.length);
    pbuf_realloc(p, 2 * BUFSIZE - 3);
    chainOf(p);
    assert.deepEqual(bytesOf(p), data.subarray(0, 2 * BUFSIZE - 3));
    pbuf_free(p);
    assertFull(pl);
  });
});

describe('core/pbuf: reference counts, cat and chain', () => {
  it('pbuf_ref keeps a pbuf alive across one free', () => {
    const pl = pool();
    const p = pl.alloc(PBUF_RAW, 10)!;
    pbuf_ref(p);
    assert.equal(p.ref, 2);
    assert.equal(pbuf_free(p), 0);
    assert.equal(pl.pool.used, 1);
    assert.equal(pbuf_free(p), 1);
    assertFull(pl);
  });

  it('pbuf_cat joins two chains; totLen adds up; one free releases all', () => {
    const pl = pool();
    const h = pl.alloc(PBUF_RAW, BUFSIZE + 5)!;
    const t = pl.alloc(PBUF_RAW, 2 * BUFSIZE + 7)!;
    pbuf_cat(h, t);
    const parts = chainOf(h);
    assert.equal(parts.length, 5);
    assert.equal(h.totLen, 3 * BUFSIZE + 12);
    assert.equal(t.ref, 1);
    assert.equal(pbuf_free(h), 5);
    assertFull(pl);
  });

  it('pbuf_chain gives the tail a reference of its own', () => {
    const pl = pool();
    const h = pl.alloc(PBUF_RAW, 10)!;
    const t = pl.alloc(PBUF_RAW, 20)!;
    pbuf_chain(h, t);
    assert.equal(t.ref, 2);
    assert.equal(h.totLen, 30);
    assert.equal(pbuf_free(h), 1, 'the head goes, the tail stays');
    assert.equal(t.ref, 1);
    assert.equal(pl.pool.used, 1);
    assert.equal(pbuf_free(t), 1);
    assertFull(pl);
  });

  it('freeing a chain stops at a pbuf still referenced elsewhere', () => {
    const pl = pool();
    const p = pl.alloc(PBUF_RAW, 3 * BUFSIZE)!;
    const second = p.next!;
    pbuf_ref(second);
    assert.equal(pbuf_free(p), 1);
    assert.equal(second.ref, 1);
    assert.equal(pbuf_clen(second), 2);
    assert.equal(pbuf_free(second), 2);
    assertFull(pl);
  });

  it('pbuf_clen counts the pbufs of a chain (0 for null)', () => {
    const pl = pool();
    assert.equal(pbuf_clen(null), 0);
    const p = pl.alloc(PBUF_RAW, 3 * BUFSIZE + 1)!;
    assert.equal(pbuf_clen(p), 4);
    pbuf_free(p);
  });

  it('pbuf_free(null) frees nothing', () => {
    assert.equal(pbuf_free(null), 0);
  });

  it('pbuf_ref on a free pbuf does nothing', () => {
    const pl = pool();
    const p = pl.alloc(PBUF_RAW, 1)!;
    pbuf_free(p);
    pbuf_ref(p);
    assert.equal(p.ref, 0);
    assertFull(pl);
  });
});

describe('core/pbuf: REF pbufs', () => {
  it('point at the caller\'s bytes without copying', () => {
    const pl = pool();
    const data = pattern(100);
    const r = pl.allocRef(data, 30, 50)!;
    assert.equal(r.type, PBUF_REF);
    assert.equal(r.buf, data);
    assert.equal('buf16' in r, false);
    assert.equal(pbuf_get_at(r, 0), data[30]);
    data[30] ^= 0xff;
    assert.equal(pbuf_get_at(r, 0), data[30], 'live view of the caller\'s data');
    assert.equal(pl.refPool.used, 1);
    assert.equal(pl.pool.used, 0);
    pbuf_free(r);
    assertFull(pl);
  });

  it('alloc(..., PBUF_REF) takes a ref header', () => {
    const pl = pool();
    const r = pl.alloc(PBUF_TRANSPORT, 10, PBUF_REF)!;
    assert.equal(r.type, PBUF_REF);
    assert.equal(pl.refPool.used, 1);
    pbuf_free(r);
    assertFull(pl);
  });

  it('run out separately from pool pbufs', () => {
    const pl = pool(16, 3, 0);
    const data = pattern(8);
    const refs = [pl.allocRef(data, 0, 8), pl.allocRef(data, 0, 8), pl.allocRef(data, 0, 8)];
    assert.equal(pl.allocRef(data, 0, 8), null);
    assert.equal(pl.refPool.err, 1);
    assert.equal(pl.pool.err, 0);
    const p = pl.alloc(PBUF_RAW, 10);
    assert.ok(p);
    pbuf_free(p);
    for (const r of refs) pbuf_free(r);
    assertFull(pl);
  });

  it('a header pbuf chained to a REF payload (tcp_write without COPY) frees both pools', () => {
    const pl = pool();
    const data = pattern(300);
    const hdr = pl.alloc(PBUF_TRANSPORT, 20)!;
    const payload = pl.allocRef(data, 0, 300)!;
    pbuf_cat(hdr, payload);
    assert.equal(hdr.totLen, 320);
    const out = new Uint8Array(300);
    assert.equal(pbuf_copy_partial(hdr, out, 300, 20), 300);
    assert.deepEqual(out, data);
    assert.equal(pbuf_free(hdr), 2);
    assertFull(pl);
  });

  it('a freed REF header lets go of the caller\'s array', () => {
    const pl = pool();
    const r = pl.allocRef(pattern(10), 0, 10)!;
    pbuf_free(r);
    assert.equal(r.buf.length, 0);
  });
});

describe('core/pbuf: copying', () => {
  it('copyBytes: same array (overlapping both ways), whole source, part of a source', () => {
    const a = Uint8Array.from({ length: 20 }, (_, i) => i);
    copyBytes(a, 2, a, 0, 10);
    assert.deepEqual(Array.from(a.subarray(0, 12)), [0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const b = Uint8Array.from({ length: 20 }, (_, i) => i);
    copyBytes(b, 0, b, 3, 10);
    assert.deepEqual(Array.from(b.subarray(0, 10)), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const dst = new Uint8Array(12);
    copyBytes(dst, 1, new Uint8Array([9, 8, 7]), 0, 3);
    assert.deepEqual(Array.from(dst.subarray(0, 5)), [0, 9, 8, 7, 0]);
    const src = pattern(11);
    copyBytes(dst, 0, src, 1, 9);
    assert.deepEqual(dst.subarray(0, 9), src.subarray(1, 10));
    copyBytes(dst, 0, src, 0, 0);
    copyBytes(dst, 0, src, 0, -1);
    assert.deepEqual(dst.subarray(0, 9), src.subarray(1, 10), 'zero or negative length copies nothing');
  });

  it('take then copy_partial round-trips at every offset across chain boundaries', () => {
    const pl = pool(32, 4, 0);
    const data = pattern(3 * BUFSIZE + 17, 2);
    const p = pl.alloc(PBUF_IP, data.length)!;
    assert.equal(pbuf_take(p, data, data.length), 0);
    assert.deepEqual(bytesOf(p), data);
    for (const offset of [0, 1, BUFSIZE - 35, BUFSIZE - 34, BUFSIZE - 33, BUFSIZE, 2 * BUFSIZE - 34, data.length - 1, data.length]) {
      for (const len of [0, 1, 2, 33, BUFSIZE, 2 * BUFSIZE + 1, 5000]) {
        const out = new Uint8Array(len + 3);
        const n = pbuf_copy_partial(p, out, len, offset, 3);
        const want = Math.max(0, Math.min(len, data.length - offset));
        assert.equal(n, want, 'copied at ' + offset + '+' + len);
        assert.deepEqual(out.subarray(3, 3 + n), data.subarray(offset, offset + n));
        assert.deepEqual(Array.from(out.subarray(0, 3)), [0, 0, 0], 'dstOff respected');
      }
    }
    pbuf_free(p);
    assertFull(pl);
  });

  it('copy_partial never writes past the end of dst', () => {
    const pl = pool();
    const data = pattern(600);
    const p = pl.alloc(PBUF_RAW, 600)!;
    pbuf_take(p, data, 600);
    const out = new Uint8Array(100);
    assert.equal(pbuf_copy_partial(p, out, 600, 200, 40), 60);
    assert.deepEqual(out.subarray(40), data.subarray(200, 260));
    pbuf_free(p);
  });

  it('take_at writes at an offset across boundaries and refuses to overrun', () => {
    const pl = pool();
    const p = pl.alloc(PBUF_RAW, 3 * BUFSIZE)!;
    const zeros = new Uint8Array(3 * BUFSIZE);
    pbuf_take(p, zeros, zeros.length);
    const data = pattern(300, 3);
    assert.equal(pbuf_take_at(p, data, 250, BUFSIZE - 7, 50), 0);
    const all = bytesOf(p);
    assert.deepEqual(all.subarray(BUFSIZE - 7, BUFSIZE + 243), data.subarray(50, 300));
    assert.equal(all[BUFSIZE - 8], 0);
    assert.equal(all[BUFSIZE + 243], 0);
    assert.equal(pbuf_take_at(p, data, 10, 3 * BUFSIZE - 9), -1, 'past the end of the chain');
    assert.equal(pbuf_take_at(p, data, 10, 0, 295), -1, 'past the end of the source');
    assert.equal(pbuf_take(p, data, 300), 0);
    assert.deepEqual(bytesOf(p).subarray(0, 300), data);
    pbuf_free(p);
    assertFull(pl);
  });

  it('get_at / try_get_at / put_at address the chain as one array', () => {
    const pl = pool();
    const data = pattern(2 * BUFSIZE + 3, 4);
    const p = pl.alloc(PBUF_TRANSPORT, data.length)!;
    pbuf_take(p, data, data.length);
    for (const i of [0, 1, BUFSIZE - PBUF_TRANSPORT_HLEN - 1, BUFSIZE - PBUF_TRANSPORT_HLEN, 2 * BUFSIZE, data.length - 1]) {
      assert.equal(pbuf_get_at(p, i), data[i]);
      assert.equal(pbuf_try_get_at(p, i), data[i]);
    }
    assert.equal(pbuf_try_get_at(p, data.length), -1);
    assert.equal(pbuf_get_at(p, data.length), 0);
    assert.equal(pbuf_try_get_at(null, 0), -1);
    pbuf_put_at(p, BUFSIZE, 0xab);
    assert.equal(pbuf_get_at(p, BUFSIZE), 0xab);
    pbuf_put_at(p, data.length + 5, 1); // ignored
    assert.equal(pbuf_try_get_at(p, data.length + 5), -1);
    pbuf_free(p);
    assertFull(pl);
  });

  it('pbuf_copy copies whole chains of different shapes', () => {
    const pl = pool(32, 4, 0);
    const data = pattern(700, 5);
    const from = pl.alloc(PBUF_RAW, 700)!;
    pbuf_take(from, data, 700);
    const to = pl.alloc(PBUF_TRANSPORT, 800)!;
    assert.notEqual(pbuf_clen(from), 1);
    assert.equal(pbuf_copy(to, from), 0);
    assert.deepEqual(bytesOf(to).subarray(0, 700), data);
    const small = pl.alloc(PBUF_RAW, 699)!;
    assert.equal(pbuf_copy(small, from), -1);
    for (const p of [from, to, small]) pbuf_free(p);
    assertFull(pl);
  });

  it('pbuf_copy_chain copies a range between offsets of two chains', () => {
    const pl = pool(32, 4, 0);
    const data = pattern(1000, 6);
    const from = pl.alloc(PBUF_RAW, 1000)!;
    pbuf_take(from, data, 1000);
    const to = pl.alloc(PBUF_LINK, 1000)!;
    pbuf_take(to, new Uint8Array(1000), 1000);
    assert.equal(pbuf_copy_chain(to, 101, from, 255, 600), 600);
    const got = bytesOf(to);
    assert.deepEqual(got.subarray(101, 701), data.subarray(255, 855));
    assert.equal(got[100], 0);
    assert.equal(got[701], 0);
    assert.equal(pbuf_copy_chain(to, 900, from, 0, 500), 100, 'stops at the end of the destination');
    assert.equal(pbuf_copy_chain(to, 0, from, 950, 500), 50, 'stops at the end of the source');
    pbuf_free(from);
    pbuf_free(to);
    assertFull(pl);
  });

  it('random copies between random chains agree with a flat model', () => {
    const pl = new PbufPool(64, 64, 4, 0);
    const r = new SeededRandom(77);
    for (let iter = 0; iter < 200; iter++) {
      const n = 1 + (r.nextU32() % 400);
      const a = pl.alloc((r.nextU32() % 2) as 0 | 1, n)!;
      const b = pl.alloc(PBUF_RAW, n)!;
      const da = pattern(n, iter);
      const db = pattern(n, iter + 1000);
      pbuf_take(a, da, n);
      pbuf_take(b, db, n);
      const off1 = r.nextU32() % n;
      const off2 = r.nextU32() % n;
      const len = r.nextU32() % (n + 1);
      const copied = pbuf_copy_chain(b, off2, a, off1, len);
      const want = Math.min(len, n - off1, n - off2);
      assert.equal(copied, want);
      db.set(da.subarray(off1, off1 + want), off2);
      assert.deepEqual(bytesOf(b), db);
      pbuf_free(a);
      pbuf_free(b);
    }
    assertFull(pl);
  });
});

describe('core/pbuf: misuse', () => {
  it('double free is counted in stats.illegal and changes nothing', () => {
    const pl = pool(8, 2, 0);
    const p = pl.alloc(PBUF_RAW, 10)!;
    assert.equal(pbuf_free(p), 1);
    assert.equal(pbuf_free(p), 0);
    assert.equal(pbuf_free(p), 0);
    assert.equal(pl.pool.illegal, 2);
    assertFull(pl);
    // the free list is intact: allocating everything yields 8 distinct pbufs
    const all: Pbuf[] = [];
    for (let i = 0; i < 8; i++) all.push(pl.alloc(PBUF_RAW, 1)!);
    assert.ok(all.every((q) => q !== null));
    assert.equal(new Set(all).size, 8);
    assert.equal(new Set(all.map((q) => q.index)).size, 8);
    assert.equal(pl.alloc(PBUF_RAW, 1), null);
    for (const q of all) pbuf_free(q);
    assertFull(pl);
  });

  it('double free of a chain and of a REF header is counted, pools stay whole', () => {
    const pl = pool(8, 2, 0);
    const p = pl.alloc(PBUF_RAW, 3 * BUFSIZE)!;
    pbuf_free(p);
    pbuf_free(p);
    const r = pl.allocRef(pattern(4), 0, 4)!;
    pbuf_free(r);
    pbuf_free(r);
    assert.equal(pl.pool.illegal, 1);
    assert.equal(pl.refPool.illegal, 1);
    assertFull(pl);
    const refs = [pl.allocRef(pattern(1), 0, 1)!, pl.allocRef(pattern(1), 0, 1)!];
    assert.notEqual(refs[0], refs[1]);
    assert.equal(pl.allocRef(pattern(1), 0, 1), null);
    refs.forEach((x) => pbuf_free(x));
    assertFull(pl);
  });

  it('pools return to full after a random workload', () => {
    const pl = new PbufPool(32, 128, 8, 4);
    const r = new SeededRandom(5);
    const live: Pbuf[] = [];
    for (let i = 0; i < 2000; i++) {
      const op = r.nextU32() % 4;
      if (op === 0 && live.length > 0) {
        pbuf_free(live.splice(r.nextU32() % live.length, 1)[0]);
      } else if (op === 1) {
        const p = pl.allocRx(r.nextU32() % 600);
        if (p) live.push(p);
      } else if (op === 2) {
        const p = pl.allocRef(pattern(4), 0, 4);
        if (p) live.push(p);
      } else {
        const p = pl.alloc(PBUF_TRANSPORT, r.nextU32() % 300);
        if (p) live.push(p);
      }
      assert.equal(pl.pool.used + pl.freeCount, 32);
    }
    for (const p of live) pbuf_free(p);
    assertFull(pl);
    assert.equal(pl.pool.illegal, 0);
    assert.ok(pl.pool.err > 0, 'the workload did exhaust the pool at times');
  });
});

describe('core/pbuf: metadata in typed arrays', () => {
  /** Every pbuf's metadata entry is back to its free state and each index is free exactly once. */
  function assertMetaFree(pl: PbufPool): void {
    const total = pl.handles.length;
    assert.equal(pl.meta.length, total * PB_STRIDE, 'metadata sized once, from the pool sizes');
    for (let i = 0; i < total; i++) {
      const b = i * PB_STRIDE;
      assert.equal(pl.meta[b + PB_REF], 0, 'ref of ' + i);
      assert.equal(pl.meta[b + PB_NEXT], -1, 'next of ' + i);
      assert.equal(pl.handles[i].index, i);
    }
    // free REF headers keep no application array alive
    for (const b of pl.refBufs) assert.equal(b.length, 0);
    // the free lists hold every index once: taking everything yields distinct handles
    const taken = new Set<Pbuf>();
    for (let p = pl.alloc(PBUF_RAW, 1, PBUF_RAM); p !== null; p = pl.allocRx(1)) taken.add(p);
    for (let p = pl.allocRef(pattern(2), 0, 2); p !== null; p = pl.allocRef(pattern(2), 0, 2)) taken.add(p);
    assert.equal(taken.size, total);
    for (const p of taken) pbuf_free(p);
    assertFull(pl);
  }

  it('a pbuf is a handle over its pool\'s Int32Array: getters, setters and direct indexing agree', () => {
    const pl = pool(8, 2, 0);
    const p = pl.alloc(PBUF_TRANSPORT, 2 * BUFSIZE)!;
    const b = p.index * PB_STRIDE;
    assert.equal(pl.meta[b + PB_OFF], p.off);
    assert.equal(pl.meta[b + PB_LEN], p.len);
    assert.equal(pl.meta[b + PB_TOTLEN], 2 * BUFSIZE);
    assert.equal(pl.meta[b + PB_NEXT], p.next!.index);
    assert.equal(pl.meta[b + PB_REF], 1);
    p.flags = PBUF_FLAG_PUSH;
    assert.equal(pl.meta[b + PB_FLAGS], PBUF_FLAG_PUSH);
    assert.equal(p.type, PBUF_POOL);
    assert.equal(p.buf, pl.mem);
    assert.equal(p.base, p.index * BUFSIZE);
    const data = pattern(6);
    const r = pl.allocRef(data, 1, 4)!;
    assert.equal(r.type, PBUF_REF);
    assert.equal(r.buf, data);
    assert.equal(r.index >= pl.count, true);
    pbuf_free(p);
    pbuf_free(r);
    assertMetaFree(pl);
  });

  it('the metadata is bounded by the pool sizes and returns to free after a workload with misuse', () => {
    const pl = new PbufPool(24, 128, 6, 2);
    const r = new SeededRandom(11);
    const live: Pbuf[] = [];
    for (let i = 0; i < 3000; i++) {
      const op = r.nextU32() % 6;
      if (op === 0 && live.length > 0) {
        const p = live.splice(r.nextU32() % live.length, 1)[0];
        pbuf_free(p);
        if (r.nextU32() % 8 === 0) pbuf_free(p); // double free: counted, nothing changes
      } else if (op === 1) {
        const p = pl.allocRx(r.nextU32() % 400);
        if (p) live.push(p);
      } else if (op === 2) {
        const p = pl.allocRef(pattern(8), 2, 4);
        if (p) live.push(p);
      } else if (op === 3 && live.length > 1) {
        // join two chains (the tail's reference passes to the head)
        const h = live.splice(r.nextU32() % live.length, 1)[0];
        const t = live.splice(r.nextU32() % live.length, 1)[0];
        pbuf_cat(h, t);
        live.push(h);
      } else if (op === 4 && live.length > 0) {
        const p = live[r.nextU32() % live.length];
        pbuf_realloc(p, r.nextU32() % (p.totLen + 1));
      } else {
        const p = pl.alloc(PBUF_TRANSPORT, r.nextU32() % 200);
        if (p) live.push(p);
      }
      assert.equal(pl.meta.length, 30 * PB_STRIDE);
    }
    for (const p of live) pbuf_free(p);
    assertFull(pl);
    assert.ok(pl.pool.illegal + pl.refPool.illegal > 0, 'the workload did free twice');
    assertMetaFree(pl);
  });
});

describe('core/pbuf: pbufChksum (the TCP segment checksum over pool metadata)', () => {
  it('agrees with the checksum of the flat bytes for one pool pbuf and for chains with odd-length parts and REF pbufs', () => {
    const pool = new PbufPool(4, 128, 4, 0);
    const sum = poolChecksum(pool.mem);
    const rnd = new SeededRandom(7);
    const app = new Uint8Array(301);
    for (let i = 0; i < app.length; i++) app[i] = rnd.nextU32() & 0xff;
    // two pool pbufs, then a header and odd REF parts (the bytes shift between word halves at each odd part)
    for (const cuts of [[], [13], [13, 101], [14, 100, 151]]) {
      const head = pool.alloc(PBUF_RAW, cuts.length === 0 ? 200 : cuts[0]) as Pbuf;
      pbuf_take(head, app, head.totLen);
      let at = head.totLen;
      for (let k = 1; k <= cuts.length; k++) {
        const end = k < cuts.length ? cuts[k] : 200;
        pbuf_cat(head, pool.allocRef(app, at, end - at) as Pbuf);
        at = end;
      }
      const flat = chksumFold(0x1234 + (0xffff ^ inet_chksum(app, 0, 200)));
      assert.equal(chksumFold(pbufChksum(head, 200, 0x1234, sum)), flat, 'cuts ' + cuts.join(','));
      assert.equal(chksumFold(pbufChksum(head, 200, 0x1234, null)), flat, 'without the stack\'s InetSum, cuts ' + cuts.join(','));
      pbuf_free(head);
    }
    // one pool pbuf: the one-range path (a received frame, a segment built in one pbuf)
    const one = pool.alloc(PBUF_RAW, 101) as Pbuf;
    pbuf_take(one, app, 101);
    assert.equal(chksumFold(pbufChksum(one, 101, 0x1234, sum)), chksumFold(0x1234 + (0xffff ^ inet_chksum(app, 0, 101))));
    pbuf_free(one);
    assert.equal(pool.freeCount, 4);
  });
});
