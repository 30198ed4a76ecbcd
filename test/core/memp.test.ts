/**
 * Fixed object pools (lwIP memp): no object is ever created after the constructor; exhaustion is a
 * null and a counted error; releasing something that is not taken is counted and ignored.
 */
import assert from 'node:assert/strict';
import { Memp } from '../../src/core/memp.js';

class Obj {
  mempIndex = -1;
  value = 0;
  constructor(readonly made: number) {}
}

function mk(count = 4): { pool: Memp<Obj>; made: Obj[] } {
  const made: Obj[] = [];
  const pool = new Memp<Obj>('test', count, (i) => { const o = new Obj(i); made.push(o); return o; });
  return { pool, made };
}

describe('core/memp', () => {
  it('creates every object up front and numbers them', () => {
    const { pool, made } = mk(5);
    assert.equal(made.length, 5);
    assert.deepEqual(made.map((o) => o.mempIndex), [0, 1, 2, 3, 4]);
    assert.equal(pool.name, 'test');
    assert.equal(pool.freeCount, 5);
    const st = pool.stats;
    assert.deepEqual({ avail: st.avail, used: st.used, max: st.max, err: st.err, illegal: st.illegal }, { avail: 5, used: 0, max: 0, err: 0, illegal: 0 });
  });

  it('is its own PoolStats (no stats object per pool): used and avail follow the free stack, max its low-water mark', () => {
    const { pool } = mk(3);
    assert.equal(pool.stats, pool, 'one object');
    assert.equal(Object.getOwnPropertyNames(pool).includes('used'), false, 'used is derived, not stored');
    const a = pool.alloc()!;
    pool.alloc();
    assert.deepEqual([pool.stats.used, pool.stats.avail, pool.stats.max], [2, 3, 2]);
    pool.release(a);
    assert.deepEqual([pool.stats.used, pool.freeCount, pool.stats.max], [1, 2, 2]);
    assert.equal(pool.allocIndex(), a.mempIndex);
    assert.notEqual(pool.allocIndex(), -1, 'the last free index');
    assert.equal(pool.allocIndex(), -1);
    assert.equal(pool.stats.err, 1);
    assert.deepEqual([pool.stats.used, pool.stats.max], [3, 3]);
  });

  it('hands out each object once until released; never makes new ones', () => {
    const { pool, made } = mk(4);
    const got = [pool.alloc(), pool.alloc(), pool.alloc(), pool.alloc()];
    assert.equal(new Set(got).size, 4);
    assert.ok(got.every((o) => o !== null && made.includes(o)));
    assert.equal(pool.alloc(), null);
    assert.equal(pool.stats.err, 1);
    assert.equal(pool.stats.used, 4);
    assert.equal(pool.stats.max, 4);
    assert.equal(made.length, 4);
  });

  it('reuses released objects (LIFO) and tracks the high-water mark', () => {
    const { pool } = mk(4);
    const a = pool.alloc()!;
    const b = pool.alloc()!;
    assert.equal(pool.release(a), true);
    assert.equal(pool.alloc(), a);
    pool.release(a);
    pool.release(b);
    assert.equal(pool.stats.used, 0);
    assert.equal(pool.stats.max, 2);
    assert.equal(pool.freeCount, 4);
  });

  it('double release is counted in stats.illegal and does not corrupt the free list', () => {
    const { pool } = mk(3);
    const a = pool.alloc()!;
    assert.equal(pool.release(a), true);
    assert.equal(pool.release(a), false);
    assert.equal(pool.stats.illegal, 1);
    assert.equal(pool.freeCount, 3);
    const all = [pool.alloc(), pool.alloc(), pool.alloc()];
    assert.equal(new Set(all).size, 3);
    assert.ok(all.every((o) => o !== null));
    assert.equal(pool.alloc(), null);
  });

  it('refuses objects from elsewhere, or with a forged index', () => {
    const { pool } = mk(3);
    const other = mk(3).pool.alloc()!;
    assert.equal(pool.release(other), false);
    const stranger = new Obj(99);
    stranger.mempIndex = 7;
    assert.equal(pool.release(stranger), false);
    stranger.mempIndex = -1;
    assert.equal(pool.release(stranger), false);
    assert.equal(pool.stats.illegal, 3);
    assert.equal(pool.freeCount, 3);
  });

  it('forEachTaken visits exactly the taken objects', () => {
    const { pool } = mk(5);
    const a = pool.alloc()!;
    const b = pool.alloc()!;
    const c = pool.alloc()!;
    pool.release(b);
    const seen: Obj[] = [];
    pool.forEachTaken((o) => seen.push(o));
    assert.deepEqual(new Set(seen), new Set([a, c]));
  });

  it('adopts objects made by its owner (one array for both), numbering them', () => {
    const objs = [new Obj(0), new Obj(1), new Obj(2)];
    const pool = new Memp<Obj>('adopted', 3, objs);
    assert.deepEqual(objs.map((o) => o.mempIndex), [0, 1, 2]);
    assert.equal(pool.at(2), objs[2]);
    const got = [pool.alloc(), pool.alloc(), pool.alloc()];
    assert.deepEqual(new Set(got), new Set(objs));
    assert.equal(pool.alloc(), null);
    assert.equal(pool.release(objs[1]), true);
    assert.equal(pool.release(new Obj(1)), false, 'an object that is not the pool\'s');
    assert.equal(objs.length, 3, 'the array is not grown');
  });

    it('a pool of size 0 always fails', () => {
    const { pool } = mk(0);
    assert.equal(pool.alloc(), null);
    assert.equal(pool.stats.err, 1);
  });
});
