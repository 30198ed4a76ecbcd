/** NewReno behind the controller interface (src/tcp/cc.ts): RFC 5681, RFC 6582, RFC 3042. */
import assert from 'node:assert/strict';
import { newReno } from '../../src/tcp/cc.js';
import { Tcb } from '../../src/tcp/tcb.js';
import { TF_INFR } from '../../src/tcp/constants.js';

function tcb(mss: number, cwnd: number, ssthresh: number): Tcb {
  const t = new Tcb();
  t.mss = mss; t.cwnd = cwnd; t.ssthresh = ssthresh;
  t.sndUna = 1000; t.sndMax = 1000 + 10 * mss; t.recover = 998; // below SND.UNA - 1: no earlier recovery
  return t;
}

describe('tcp cc: NewReno', () => {
  it('initial window (RFC 5681 §3.1): 4, 3 or 2 segments by MSS', () => {
    assert.equal(newReno.initialWindow(536), 4 * 536);
    assert.equal(newReno.initialWindow(1460), 3 * 1460);
    assert.equal(newReno.initialWindow(4000), 2 * 4000);
  });

  it('slow start grows by at most one SMSS per ACK; congestion avoidance by one SMSS per window', () => {
    const t = tcb(1000, 2000, 100000);
    assert.equal(newReno.onAck(t, 3000, 2000), false);
    assert.equal(t.cwnd, 3000);
    t.ssthresh = 3000;
    newReno.onAck(t, 4000, 1000);
    newReno.onAck(t, 5000, 1000);
    assert.equal(t.cwnd, 3000);
    newReno.onAck(t, 6000, 1000);
    assert.equal(t.cwnd, 4000);
  });

  it('third duplicate ACK: fast retransmit, ssthresh = flight/2, cwnd = ssthresh + 3 SMSS (RFC 5681 §3.2)', () => {
    const t = tcb(1000, 10000, 100000);
    assert.equal(newReno.onDupAck(t), false);
    assert.equal(newReno.window(t), 11000, 'limited transmit (RFC 3042)');
    assert.equal(newReno.onDupAck(t), false);
    assert.equal(newReno.window(t), 12000);
    assert.equal(newReno.onDupAck(t), true);
    assert.equal(t.ssthresh, 5000);
    assert.equal(t.cwnd, 8000);
    assert.ok(t.flags & TF_INFR);
    assert.equal(newReno.onDupAck(t), false);
    assert.equal(t.cwnd, 9000, 'inflated by one SMSS per further duplicate');
  });

  it('no fast retransmit when the duplicates are for data sent before a timeout (RFC 6582 §3.2 step 2)', () => {
    const t = tcb(1000, 10000, 100000);
    t.recover = (t.sndMax - 1) >>> 0;
    newReno.onDupAck(t); newReno.onDupAck(t);
    assert.equal(newReno.onDupAck(t), false);
    assert.equal(t.flags & TF_INFR, 0);
  });

  it('a new loss right after a full ACK (SND.UNA = recover + 1) starts fast retransmit again (RFC 6582 §3.2 step 2)', () => {
    const t = tcb(1000, 10000, 100000);
    t.recover = (t.sndUna - 1) >>> 0;
    newReno.onDupAck(t); newReno.onDupAck(t);
    assert.equal(newReno.onDupAck(t), true);
    assert.ok(t.flags & TF_INFR);
  });

  it('partial ACK asks for a retransmission and deflates; full ACK leaves recovery (RFC 6582 §3.2)', () => {
    const t = tcb(1000, 10000, 100000);
    for (let i = 0; i < 3; i++) newReno.onDupAck(t);
    const cw = t.cwnd;
    assert.equal(newReno.onAck(t, 3000, 2000), true);
    assert.equal(t.cwnd, cw - 2000 + 1000);
    t.sndUna = 3000;
    assert.equal(newReno.onAck(t, t.sndMax, (t.sndMax - 3000) >>> 0), false);
    assert.equal(t.flags & TF_INFR, 0);
    // RFC 6582 §3.2 step 3 option 1: min(ssthresh, max(FlightSize, SMSS) + SMSS); with nothing
    // left in flight that is two segments, not one (one would wait out the peer's delayed ACK)
    assert.equal(t.cwnd, Math.min(t.ssthresh, 2000));
  });

  it('full ACK with segments still in flight: cwnd = min(ssthresh, FlightSize + SMSS) (RFC 6582 §3.2 step 3)', () => {
    const t = tcb(1000, 10000, 100000);
    for (let i = 0; i < 3; i++) newReno.onDupAck(t);
    t.recover = 5000;
    newReno.onAck(t, 6000, 5000);
    assert.equal(t.cwnd, Math.min(t.ssthresh, (t.sndMax - 6000) + 1000));
  });

  it('RTO: cwnd = 1 SMSS, ssthresh = max(flight/2, 2 SMSS), recovery left (RFC 5681 §3.1)', () => {
    const t = tcb(1000, 10000, 100000);
    for (let i = 0; i < 3; i++) newReno.onDupAck(t);
    newReno.onRto(t);
    assert.equal(t.cwnd, 1000);
    assert.equal(t.ssthresh, 5000);
    assert.equal(t.flags & TF_INFR, 0);
    assert.equal(t.dupAcks, 0);
    assert.equal(t.recover, (t.sndMax - 1) >>> 0);
  });
});
