/**
 * Tcb field layout (src/tcp/tcb.ts): the fields kept in the pool's Float64Array behave as plain
 * properties, each Tcb has its own entries, and a fresh Tcb starts from the documented defaults.
 */
import assert from 'node:assert/strict';
import { Tcb, TCB, TCB_FIELD_COUNT, TcpListen, TCP_LISTEN_FIELDS } from '../../src/tcp/tcb.js';
import { udpSlots, UDP_SLOT_FIELDS } from '../../src/udp/udp.js';

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
    assert.equal(t.listenerIndex, -1);
  });

  it('Tcbs of one pool share the array without overlapping; booleans and unsigned 32-bit values round-trip', () => {
    const n = 3;
    const cold = new Float64Array(n * TCB_FIELD_COUNT);
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
    tcbs[1].wsOk = true;
    tcbs[2].tsRecent = 0xfffffffe;
    assert.deepEqual(tcbs.map((t) => [t.wsOk, t.tsRecent]), [[false, 0], [true, 0], [false, 0xfffffffe]]);
    // every numeric field and the booleans off the per-segment path are entries of the view, not
    // own properties (no heap slot each); the view indexes the pool's array at this Tcb's place
    for (const k of ['irs', 'wsOk', 'tsRecent', 'listenerIndex', 'sndNxt', 'rcvNxt', 'state', 'flags', 'cwnd', 'rttStart', 'dupAcks']) {
      assert.equal(Object.keys(tcbs[0]).includes(k), false, k);
    }
    for (const k of ['refusedFin', 'tsOk', 'sackOk', 'outputPending', 'unsent', 'gen', 'mempIndex']) {
      assert.equal(Object.keys(tcbs[0]).includes(k), true, k);
    }
    tcbs[2].sndNxt = 0xffffffff;
    assert.equal(cold[2 * TCB_FIELD_COUNT + TCB.sndNxt], 0xffffffff);
    assert.equal(tcbs[2].v[TCB.sndNxt], 0xffffffff);
    tcbs[1].v[TCB.state] = 4;
    assert.equal(tcbs[1].state, 4);
    assert.equal(tcbs[0].state, 0);
    assert.equal(cold.length, n * TCB_FIELD_COUNT);
  });

  it('listeners and UDP slots keep their numeric fields in their pool\'s array the same way', () => {
    const lc = new Float64Array(2 * TCP_LISTEN_FIELDS);
    const [l0, l1] = [new TcpListen(lc, 0), new TcpListen(lc, 1)];
    assert.equal(l0.backlog, 1);
    l0.localPort = 80; l1.localPort = 443; l1.nodelay = true; l0.keepIdle = 1000;
    assert.deepEqual([l0.localPort, l1.localPort, l0.nodelay, l1.nodelay, l0.keepIdle, l1.keepIdle], [80, 443, false, true, 1000, 0]);
    const uc = new Float64Array(2 * UDP_SLOT_FIELDS);
    const [u0, u1] = udpSlots(uc, 2);
    assert.deepEqual(Object.keys(u0).sort(), ['arg', 'handle', 'mempIndex', 'recv'], 'the array is the prototype\'s, not a property of each slot');
    assert.equal(u0.ttl, 64);
    u0.remoteIp = 0xc0a80001; u1.active = true; u1.localPort = 5353;
    assert.deepEqual([u0.remoteIp, u1.remoteIp, u0.active, u1.active, u0.localPort, u1.localPort], [0xc0a80001, 0, false, true, 0, 5353]);
  });
});
