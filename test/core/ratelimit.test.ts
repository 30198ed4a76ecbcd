import assert from 'node:assert/strict';
import { RateLimits, TB_FIELDS, STACK_BUCKETS, stackLimitEntries } from '../../src/core/ratelimit.js';
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

  it('a stack\'s layers share one array of STACK_BUCKETS buckets and ICMP\'s keyed table, sized exactly', () => {
    const net = new MockNet({ seed: 5 });
    const s = net.addStack({ ip: '10.9.0.1/24', name: 's' });
    assert.equal(s.core.limits.spilled, 0);
    const odd = new MockNet({ seed: 6 }).addStack({ ip: '10.9.0.1/24', name: 'o', config: { ICMP_RATELIMIT_PEERS: 9, ICMP_RATELIMIT_MS: 0 } });
    assert.equal(odd.core.limits.spilled, 0, 'sized for ICMP_RATELIMIT_PEERS');
    // full: one more bucket would not fit
    s.core.limits.add(1, 1, 0);
    assert.equal(s.core.limits.spilled, 1, STACK_BUCKETS + ' buckets were all taken');
    assertPoolsFull(s);
  });

  it('keyed tables: one bucket per key, the least recently used slot is reused with a full bucket', () => {
    const r = new RateLimits(new Float64Array(stackLimitEntries(2)));
    const g = r.add(1000, 1, 0);
    const k = r.addKeyed(2, 1000, 2);
    const none = r.addKeyed(0, 1000, 1);
    assert.equal(r.spilled, 0);
    const t = (key: number, now: number): boolean => r.takeKeyed(k, key, now);
    assert.deepEqual([t(1, 0), t(1, 0), t(1, 0)], [true, true, false]);
    assert.deepEqual([t(2, 1), t(2, 1), t(2, 1)], [true, true, false]);
    assert.equal(t(1, 2), false, 'key 1 keeps its empty bucket');
    assert.equal(t(3, 3), true, 'key 3 takes the slot of key 2 (used longest ago)');
    assert.equal(t(1, 4), false);
    assert.equal(t(1, 1004), true, 'one token a second');
    assert.equal(r.takeKeyed(none, 9, 0), true, 'no slots: no limit');
    const off = new RateLimits(new Float64Array(stackLimitEntries(2)));
    const k0 = off.addKeyed(2, 0, 1);
    for (let i = 0; i < 10; i++) assert.equal(off.takeKeyed(k0, i, 0), true, 'no interval: no limit');
    assert.deepEqual([r.take(g, 0), r.take(g, 0)], [true, false], 'the plain bucket beside the tables is its own');
  });
});
