/**
 * ByteCopier (src/core/bytecopy.ts): copies between pool memory and foreign arrays by 8-byte words,
 * staged through a scratch area when alignments differ, with views cached per foreign buffer.
 * Every path is compared with a reference byte copy (test/helpers/copycheck.ts), on Node and inside
 * XS; the XS meter shows the paths are cheaper than the byte loop and allocate nothing.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import {
  PbufPool, PBUF_TRANSPORT, PBUF_RAW, ByteCopier, COPY_SCRATCH_BYTES, pbufAlignPayload, pbuf_free, pbuf_take,
  pbuf_copy_partial, copyBytes,
} from '../../src/core/pbuf.js';
import { PBUF_TRANSPORT_HLEN } from '../../src/core/config.js';
import { COPY_CHECKS, type CopyCheck } from '../helpers/copycheck.js';
import { XsnapWorker } from '../xs/xsnap.js';
import { bundleIife } from '../xs/bundle.js';

/** What each check must have exercised, besides matching the reference. */
function assertPaths(name: string, c: CopyCheck): void {
  switch (name) {
    case 'into': case 'outOf': case 'bitPatterns':
      assert.ok(c.words > 0 && c.staged > 0, name + ': word and staged paths ran (' + JSON.stringify(c) + ')');
      break;
    case 'foreignPair':
      assert.ok(c.words > 0 && c.loops > 0, name + ': words when aligned, byte loop otherwise');
      break;
    case 'overlap':
      assert.ok(c.native > 0, name + ': views of pool memory moved natively');
      break;
    case 'oddBuffers':
      assert.ok(c.words > 0 && c.staged > 0, name + ': word and staged paths ran');
      break;
    default:
      break;
  }
}

describe('ByteCopier: fast copies between different arrays', () => {
  for (const [name, fn] of COPY_CHECKS) {
    it(name + ' matches a reference byte copy', () => {
      const c = fn(true);
      assert.deepEqual(c.failures, [], c.name);
      assert.ok(c.cases > 0, c.name + ': compared some copies');
      assertPaths(name, c);
    });
  }

  it('the pool keeps its memory and scratch in one buffer; mem covers the pbufs only', () => {
    const pool = new PbufPool(3, 128, 1, 0);
    assert.equal(pool.mem.length, 3 * 128);
    assert.equal(pool.view.byteLength, 3 * 128);
    assert.equal(pool.view.buffer, pool.mem.buffer);
    assert.equal(pool.mem.buffer.byteLength, 3 * 128 + COPY_SCRATCH_BYTES);
    assert.equal(pool.copier.home, pool.mem);
    assert.throws(() => new ByteCopier(new Uint8Array(64), 0), RangeError, 'scratch overlapping home');
    assert.throws(() => new ByteCopier(new Uint8Array(new ArrayBuffer(64 + 100), 0, 64), 64), RangeError, 'scratch too small');
    assert.doesNotThrow(() => new ByteCopier(new Uint8Array(new ArrayBuffer(64 + COPY_SCRATCH_BYTES), 0, 64), 64));
  });

  it('copyBytes takes a copier and keeps working without one', () => {
    const pool = new PbufPool(2, 256, 1, 0);
    const src = new Uint8Array(300);
    for (let i = 0; i < 300; i++) src[i] = i & 0xff;
    for (let k = 0; k < 3; k++) copyBytes(pool.mem, 3, src, 7, 200, pool.copier);
    assert.deepEqual(Array.from(pool.mem.subarray(3, 203)), Array.from(src.subarray(7, 207)));
    assert.ok(pool.copier.staged >= 1, 'staged path used');
    const dst = new Uint8Array(300);
    copyBytes(dst, 1, src, 2, 250);
    assert.deepEqual(Array.from(dst.subarray(1, 251)), Array.from(src.subarray(2, 252)));
  });

  it('pbuf_take and pbuf_copy_partial use the pool copier (chains, every split)', () => {
    const pool = new PbufPool(8, 128, 2, 0);
    const data = new Uint8Array(700);
    for (let i = 0; i < 700; i++) data[i] = (i * 11 + 3) & 0xff;
    const out = new Uint8Array(720);
    for (let off = 0; off < 9; off++) {
      const p = pool.alloc(PBUF_RAW, 600)!;
      assert.equal(pbuf_take(p, data, 600, off), 0);
      out.fill(0);
      assert.equal(pbuf_copy_partial(p, out, 600, 0, off), 600);
      assert.deepEqual(Array.from(out.subarray(off, off + 600)), Array.from(data.subarray(off, off + 600)));
      pbuf_free(p);
    }
    assert.ok(pool.copier.words + pool.copier.staged > 0, 'the copier did the copies');
    assert.equal(pool.pool.used, 0);
  });
});

describe('pbufAlignPayload', () => {
  const BUF = 1600;
  it('moves a fresh payload forward by 0, 2, 4 or 6 bytes to match the source mod 8', () => {
    const pool = new PbufPool(2, BUF, 2, 0);
    const src = new Uint8Array(4000);
    for (let s = 0; s < 16; s++) {
      const p = pool.alloc(PBUF_TRANSPORT, 1460)!;
      const before = p.off;
      assert.equal(before - p.base, PBUF_TRANSPORT_HLEN);
      pbufAlignPayload(p, src, s, 1460);
      const shift = p.off - before;
      if (((s - before) & 1) === 0) {
        assert.equal((p.off - s) & 7, 0, 'aligned for source offset ' + s);
        assert.ok(shift >= 0 && shift <= 6 && (shift & 1) === 0, 'even shift ' + shift);
      } else {
        assert.equal(shift, 0, 'odd difference: not moved');
      }
      assert.equal(p.len, 1460);
      assert.equal(p.totLen, 1460);
      pbuf_free(p);
    }
    // the same through a view with a byteOffset
    const view = new Uint8Array(src.buffer, 3, 100);
    const p = pool.alloc(PBUF_TRANSPORT, 50)!;
    pbufAlignPayload(p, view, 1, 1460);
    assert.equal((p.off - 4) & 7, 0);
    pbuf_free(p);
  });

  it('leaves the payload alone when `keep` bytes would no longer fit, for chains and for REF pbufs', () => {
    const pool = new PbufPool(4, 256, 2, 0);
    const src = new Uint8Array(600);
    const room = 256 - PBUF_TRANSPORT_HLEN;
    const p = pool.alloc(PBUF_TRANSPORT, 100)!;
    const off = p.off;
    pbufAlignPayload(p, src, (off + 2) & 7, room);
    assert.equal(p.off, off, 'keep = all the room: no move');
    pbufAlignPayload(p, src, (off + 2) & 7, room - 2);
    assert.equal(p.off, off + 2, 'room for keep: moved');
    pbuf_free(p);
    const chain = pool.alloc(PBUF_TRANSPORT, 300)!;
    assert.ok(chain.next !== null);
    const coff = chain.off;
    pbufAlignPayload(chain, src, (coff + 2) & 7, 10);
    assert.equal(chain.off, coff, 'a chain is not moved');
    pbuf_free(chain);
    const r = pool.allocRef(src, 5, 20)!;
    pbufAlignPayload(r, src, 2, 10);
    assert.equal(r.off, 5, 'a REF pbuf is not moved');
    pbuf_free(r);
    assert.equal(pool.pool.used, 0);
    assert.equal(pool.refPool.used, 0);
  });
});

describe('ByteCopier inside XS (xsnap)', function () {
  this.timeout(300000);
  let xs: XsnapWorker | null = null;
  before(async () => {
    const code = await bundleIife(fileURLToPath(new URL('../xs/copy_entry.js', import.meta.url)), 'XsTcpCopy');
    xs = XsnapWorker.start('xs-tcp-copy');
    await xs.evaluate(code);
  });
  after(async () => { if (xs) await xs.close(); });

  it('every check matches the reference byte copy on XS too (NaN patterns included)', async () => {
    const r = await xs!.call('XsTcpCopy.checks()');
    const results = JSON.parse(r.text) as CopyCheck[];
    assert.equal(results.length, COPY_CHECKS.length);
    for (let i = 0; i < results.length; i++) {
      assert.deepEqual(results[i].failures, [], results[i].name);
      assert.ok(results[i].cases > 0);
      assertPaths(COPY_CHECKS[i][0], results[i]);
    }
  });

  it('the XS meter: word and staged copies cost a fraction of the byte loop and allocate nothing', async () => {
    const w = xs!;
    await w.call('XsTcpCopy.setup()');
    const per = async (fn: string): Promise<{ compute: number; slots: number }> => {
      await w.evaluate('XsTcpCopy.' + fn + '(5); gc();');
      const a = await w.evaluate('XsTcpCopy.' + fn + '( 50)');
      const b = await w.evaluate('XsTcpCopy.' + fn + '(250)');
      return { compute: (b.meter.compute - a.meter.compute) / 200, slots: b.meter.currentHeapCount - a.meter.currentHeapCount };
    };
    const empty = await per('emptyRun');
    const cost = async (fn: string) => {
      const m = await per(fn);
      return { compute: Math.round(m.compute - empty.compute), slots: m.slots - empty.slots };
    };
    const aligned = await cost('alignedRun');
    const staged = await cost('stagedRun');
    const out = await cost('outRun');
    const loop = await cost('loopRun');
    const all = { aligned, staged, out, loop };
    assert.ok(loop.compute > 20000, 'the byte loop costs what it did: ' + JSON.stringify(all));
    assert.ok(aligned.compute < 6000 && out.compute < 6000, 'words: ' + JSON.stringify(all));
    assert.ok(staged.compute < 10000, 'staged: ' + JSON.stringify(all));
    for (const [k, m] of Object.entries(all)) assert.equal(m.slots, 0, k + ' allocates no slots');
  });
});
