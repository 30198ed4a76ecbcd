import assert from 'node:assert/strict';
import { TokenBucket, KeyedBuckets } from '../../src/core/ratelimit.js';

describe('core: token buckets (src/core/ratelimit.ts)', () => {
  it('gives the burst at once, then one token per interval, never more than the burst saved up', () => {
    const b = new TokenBucket(100, 3, 0);
    assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
    assert.equal(b.take(99), false);
    assert.equal(b.take(100), true);
    assert.equal(b.take(150), false);
    assert.equal(b.available(10000), 3, 'capped at the burst');
    let n = 0;
    for (let t = 10000; t < 11000; t++) if (b.take(t)) n++;
    assert.equal(n, 3 + 9, 'burst plus one per 100 ms over a second');
  });

  it('a per-second rate keeps fractions (3 a second is exact) and 0 means unlimited', () => {
    const b = new TokenBucket(0, 1);
    b.setRate(3, 5, 0);
    for (let i = 0; i < 5; i++) assert.equal(b.take(0), true);
    assert.equal(b.take(0), false);
    let n = 0;
    for (let t = 1; t <= 3000; t++) if (b.take(t)) n++;
    assert.equal(n, 9);
    const off = new TokenBucket(0, 1);
    for (let i = 0; i < 1000; i++) assert.equal(off.take(0), true);
    off.setRate(0, 5, 0);
    assert.equal(off.take(0), true);
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
