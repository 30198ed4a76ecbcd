/**
 * Tcb field layout (src/tcp/tcb.ts): the fields kept in the pool's Float64Array behave as plain
 * properties, each Tcb has its own entries, and a fresh Tcb starts from the documented defaults.
 */
import assert from 'node:assert/strict';
import { Tcb, TCB_COLD_FIELDS } from '../../src/tcp/tcb.js';

describe('tcp/tcb: fields in the pool\'s Float64Array', () => {
  it('fresh Tcbs start from the defaults (timers stopped, no RTT sample)', () => {
    const t = new Tcb();
    assert.equal(t.rttStart, -1);
    assert.equal(t.timeWaitAt, -1);
    assert.equal(t.finWait2At, -1);
    assert.equal(t.ooseqSince, -1);
    assert.equal(t.zeroWindowSince, -1);
    assert.equal(t.rttValid, false);
    assert.equal(t.inBacklog, false);
    assert.equal(t.irs, 0);
  });

  it('Tcbs of one pool share the array without overlapping; booleans and unsigned 32-bit values round-trip', () => {
    const n = 3;
    const cold = new Float64Array(n * TCB_COLD_FIELDS);
    const tcbs = [0, 1, 2].map((i) => new Tcb(cold, i));
    tcbs.forEach((t, i) => {
      t.irs = 0xfffffff0 + i;
      t.recover = 0x80000000 + i;
      t.keepIdle = 7200000 + i;
      t.rttValid = i === 1;
      t.refusedFin = i === 2;
    });
    tcbs.forEach((t, i) => {
      assert.equal(t.irs, 0xfffffff0 + i);
      assert.equal(t.recover, 0x80000000 + i);
      assert.equal(t.keepIdle, 7200000 + i);
      assert.equal(t.rttValid, i === 1);
      assert.equal(t.refusedFin, i === 2);
    });
    // the fields are not own properties: they cost the object no heap slot
    assert.equal(Object.keys(tcbs[0]).includes('irs'), false);
    assert.equal(cold.length, n * TCB_COLD_FIELDS);
  });
});
