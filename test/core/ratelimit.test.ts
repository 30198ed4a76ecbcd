import assert from 'node:assert/strict';
import { RateLimits, KeyedBuckets, TB_FIELDS, STACK_BUCKETS } from '../../src/core/ratelimit.js';
import { MockNet } from '../../tools/mocknet.js';
import { assertPoolsFull } from '../helpers/pools.js';

describe('core: token buckets (src/core/ratelimit.ts)', () => {
  it('gives the burst at once, then one token per interval, never more than the burst saved up', () => {
    const r = new RateLimits(new Float64Array(TB_FIELDS));
    const b = r.add(100, 3, 0);
    assert.deepEqual([r.take(b, 0), r.take(b, 0), r.take(b, 0), r.take(b, 0)], [true, true, true, false]);
    assert.equal(r.take(b, 99), false);
    assert.equal(r.take(b, 100), true);
    assert.equal(r.take(b, 150), false);
    assert.equal(r.available(b, 10000), 3, 'capped at the burst');
    let n = 0;
    for (let t = 10000; t < 11000; t++) if (r.take(b, t)) n++;
    assert.equal(n, 3 + 9, 'burst plus one per 100 ms over a second');
  });

  it('a per-second rate keeps fractions (3 a second is exact) and 0 means unlimited', () => {
    const r = new RateLimits(new Float64Array(2 * TB_FIELDS));
    const b = r.addRate(3, 5, 0);
    for (let i = 0; i < 5; i++) assert.equal(r.take(b, 0), true);
    assert.equal(r.take(b, 0), false);
    let n = 0;
    for (let t = 1; t <= 3000; t++) if (r.take(b, t)) n++;
    assert.equal(n, 9);
    const off = r.add(0, 1, 0);
    for (let i = 0; i < 1000; i++) assert.equal(r.take(off, 0), true);
    r.setRate(off, 0, 5, 0);
    assert.equal(r.take(off, 0), true);
    assert.equal(r.spilled, 0);
  });

  it('buckets of one array do not touch each other; one more than the room is still a working bucket (counted)', () => {
    const r = new RateLimits(new Float64Array(2 * TB_FIELDS));
    const a = r.add(1000, 1, 0);
    const b = r.add(1000, 2, 0);
    assert.equal(r.take(a, 0), true);
    assert.equal(r.take(a, 0), false, 'a is empty');
    assert.deepEqual([r.take(b, 0), r.take(b, 0), r.take(b, 0)], [true, true, false], 'b has its own burst');
    const c = r.add(1000, 1, 0);
    assert.equal(r.spilled, 1);
    assert.deepEqual([r.take(c, 0), r.take(c, 0), r.take(a, 1000), r.take(b, 500)], [true, false, true, false], 'the others kept their state');
    r.reset(a, 1000);
    assert.equal(r.available(a, 1000), 1);
  });

  it('a stack\'s layers share one array of STACK_BUCKETS buckets, sized exactly', () => {
    const net = new MockNet({ seed: 5 });
    const s = net.addStack({ ip: '10.9.0.1/24', name: 's' });
    assert.equal(s.core.limits.spilled, 0);
    // full: one more bucket would not fit
    s.core.limits.add(1, 1, 0);
    assert.equal(s.core.limits.spilled, 1, STACK_BUCKETS + ' buckets were all taken');
    assertPoolsFull(s);
  });

  it('keyed buckets: one bucket per key, the least recently used slot is reused with a full bucket', () => {
    const k = new KeyedBuckets(2, 1000, 2);
    assert.deepEqual([k.take(1, 0), k.take(1, 0), k.take(1, 0)], [true, true, false]);
    assert.deepEqual([k.take(2, 1), k.take(2, 1), k.take(2, 1)], [true, true, false]);
    assert.equal(k.take(1, 2), false, 'key 1 keeps its empty bucket');
    assert.equal(k.take(3, 3), true, 'key 3 takes the slot of key 2 (used longest ago)');
    assert.equal(k.take(1, 4), false);
    assert.equal(new KeyedBuckets(0, 1000, 1).take(9, 0), true, 'no slots: no limit');
  });
});
