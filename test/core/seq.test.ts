/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4): comparisons must hold across the wrap.
 */
import assert from 'node:assert/strict';
import {
  seqLt, seqLeq, seqGt, seqGeq, seqAdd, seqDiff, seqBetween, seqMax, seqMin,
} from '../../src/core/seq.js';
import { SeededRandom } from '../../src/core/random.js';

const TOP = 0xffffffff;

describe('core/seq', () => {
  it('orders plain numbers', () => {
    assert.ok(seqLt(1, 2));
    assert.ok(!seqLt(2, 2));
    assert.ok(seqLeq(2, 2));
    assert.ok(seqGt(3, 2));
    assert.ok(seqGeq(3, 3));
    assert.ok(!seqGt(2, 3));
  });

  it('orders across the 2^32 wrap', () => {
    assert.ok(seqLt(TOP, 0));
    assert.ok(seqLt(0xfffffff0, 0x10));
    assert.ok(seqGt(0x10, 0xfffffff0));
    assert.ok(seqLeq(TOP, 0));
    assert.ok(seqGeq(0, TOP));
    assert.ok(!seqGt(TOP, 0));
  });

  it('seqAdd wraps to an unsigned 32-bit number', () => {
    assert.equal(seqAdd(TOP, 1), 0);
    assert.equal(seqAdd(0xfffffff0, 0x20), 0x10);
    assert.equal(seqAdd(5, -10), 0xfffffffb);
    assert.equal(seqAdd(0, 0), 0);
    assert.ok(seqAdd(0x7fffffff, 1) > 0, 'stays unsigned');
  });

  it('seqDiff is the signed distance', () => {
    assert.equal(seqDiff(0x10, 0xfffffff0), 0x20);
    assert.equal(seqDiff(0xfffffff0, 0x10), -0x20);
    assert.equal(seqDiff(7, 7), 0);
    assert.equal(seqDiff(seqAdd(123456, 1460), 123456), 1460);
  });

  it('seqBetween includes both ends and works across the wrap', () => {
    assert.ok(seqBetween(5, 5, 10));
    assert.ok(seqBetween(10, 5, 10));
    assert.ok(!seqBetween(11, 5, 10));
    assert.ok(!seqBetween(4, 5, 10));
    assert.ok(seqBetween(0, 0xfffffff0, 0x10));
    assert.ok(seqBetween(TOP, 0xfffffff0, 0x10));
    assert.ok(!seqBetween(0x11, 0xfffffff0, 0x10));
    assert.ok(!seqBetween(0xffffffef, 0xfffffff0, 0x10));
  });

  it('seqMax / seqMin pick by sequence order, not by magnitude', () => {
    assert.equal(seqMax(TOP, 3), 3);
    assert.equal(seqMin(TOP, 3), TOP);
    assert.equal(seqMax(10, 20), 20);
    assert.equal(seqMin(10, 20), 10);
    assert.equal(seqMax(7, 7), 7);
  });

  it('agrees with a BigInt model for random pairs within 2^31 of each other', () => {
    const r = new SeededRandom(42);
    for (let i = 0; i < 10000; i++) {
      const a = r.nextU32();
      const d = (r.nextU32() % 0x7fffffff) * (r.nextU32() & 1 ? 1 : -1);
      const b = seqAdd(a, d);
      assert.equal(seqDiff(b, a), d);
      assert.equal(seqLt(a, b), d > 0);
      assert.equal(seqGt(a, b), d < 0);
      assert.equal(seqLeq(a, b), d >= 0);
      assert.equal(Number((BigInt(a) + BigInt(d) + (1n << 32n)) % (1n << 32n)), b);
    }
  });

  it('a window sliding through the wrap keeps its invariants', () => {
    let una = 0xffff0000;
    const wnd = 8192;
    for (let i = 0; i < 200; i++) {
      const nxt = seqAdd(una, wnd);
      assert.ok(seqBetween(seqAdd(una, wnd >> 1), una, nxt));
      assert.ok(seqLt(una, nxt));
      assert.equal(seqDiff(nxt, una), wnd);
      una = seqAdd(una, 1000);
    }
    assert.ok(una < 0xffff0000, 'went through the wrap');
  });
});
