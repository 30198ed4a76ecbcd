/**
 * Tail loss probe (RFC 8985 §7, src/tcp/tlp.ts) against a scripted peer: the probe goes out about
 * two round trips after the last ACK instead of a 1 s retransmission timeout, as new data when the
 * peer's window takes it, else as the last segment again; a retransmitted probe that is answered
 * outside fast recovery reduces the window (§7.4.2); connections without SACK never probe.
 *
 * Timing: zero-delay wire, 1 ms steps; the handshake gives SRTT = 20 ms, so PTO = 40 ms + 2 ticks.
 */
import assert from 'node:assert/strict';
import { tcp_abort, tcp_close, tcp_is_alive } from '../../src/api/tcp_api.js';
import { ERR_OK } from '../../src/core/err.js';
import type { Tcb } from '../../src/tcp/tcb.js';
import { assertPoolsFull } from '../helpers/pools.js';
import { established, patternBytes, type EstFixture } from '../helpers/tcppeer.js';

const M = 1460;

function finish(f: EstFixture): void {
  if (tcp_is_alive(f.app.pcb)) tcp_abort(f.app.pcb);
  if (tcp_is_alive(f.lis.pcb)) tcp_close(f.lis.pcb);
  f.net.run(2100);
  assertPoolsFull(f.stack);
}

/** A connection with an RTT sample of 20 ms; `sack` stands for a negotiated SACK-permitted. */
function fixture(sack: boolean): { f: EstFixture; tcb: Tcb } {
  const f = established({ rtt: 20 });
  const tcb = f.app.pcb.conn as Tcb;
  tcb.sackOk = sack;
  return { f, tcb };
}

describe('tcp: tail loss probe (RFC 8985 §7)', () => {
  it('the last segment of a flight is lost: the probe resends it after 2 SRTT, not after the RTO', () => {
    const { f, tcb } = fixture(true);
    const { peer, app } = f;
    assert.equal(app.write(patternBytes(3 * M)), ERR_OK);
    const t0 = f.net.now;
    for (let i = 0; i < 3; i++) peer.expect({ seq: peer.s(i * M), len: M, time: t0 }, 10, 'segment ' + i);
    // segments 0 and 1 arrive, segment 2 is lost: one cumulative ACK, then silence
    peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(2 * M) });
    f.net.run(1);
    const tAck = f.net.now;
    const srtt = tcb.srtt;
    const probe = peer.expect({ seq: peer.s(2 * M), len: M }, 500, 'the probe: the last segment again');
    // one segment in flight: PTO = 2 SRTT + WCDelAckT (its ACK may be delayed), far below 1 s
    assert.ok(probe.time - tAck <= Math.ceil(2 * srtt) + 200 + 2, 'probe at ' + (probe.time - tAck) + ' ms');
    const cwnd = tcb.cwnd;
    peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(3 * M) });
    f.net.run(5);
    assert.equal(app.sent, 3 * M);
    // the probe repaired a loss (no D-SACK says otherwise): the window (grown by this ACK's slow
    // start step) was halved as for a loss
    assert.equal(tcb.cwnd, Math.max((cwnd + tcb.mss) >>> 1, 2 * tcb.mss));
    assert.ok(tcb.cwnd < cwnd);
    assert.equal(tcb.ssthresh, tcb.cwnd);
    finish(f);
  });

  it('with several segments in flight and unsent data the peer may take, the probe is new data', () => {
    const { f, tcb } = fixture(true);
    const { peer, app } = f;
    // five segments written, the initial window (3 SMSS, RFC 5681 §3.1) sends three
    assert.equal(app.write(patternBytes(5 * M)), ERR_OK);
    const t0 = f.net.now;
    for (let i = 0; i < 3; i++) peer.expect({ seq: peer.s(i * M), len: M, time: t0 }, 10);
    // no ACK at all (the whole flight lost): the probe is segment 3, beyond cwnd, inside the window
    const probe = peer.expect({ seq: peer.s(3 * M), len: M }, 500, 'new-data probe');
    assert.ok(probe.time - t0 <= Math.ceil(2 * tcb.srtt) + 2, 'probe at ' + (probe.time - t0) + ' ms');
    // one probe per episode: nothing more until the retransmission timer
    assert.equal(peer.next(900), null, 'no second probe');
    finish(f);
  });

  it('without SACK there is no probe: the retransmission timer repairs the tail (RFC 6298)', () => {
    const { f } = fixture(false);
    const { peer, app } = f;
    assert.equal(app.write(patternBytes(3 * M)), ERR_OK);
    const t0 = f.net.now;
    for (let i = 0; i < 3; i++) peer.expect({ seq: peer.s(i * M), len: M, time: t0 }, 10);
    peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(2 * M) });
    f.net.run(1);
    const tAck = f.net.now;
    const rtx = peer.expect({ seq: peer.s(2 * M), len: M }, 1500, 'the retransmission');
    assert.ok(rtx.time - tAck >= 900, 'at the RTO, got ' + (rtx.time - tAck) + ' ms');
    finish(f);
  });

  it('TCP_TLP false turns probes off on SACK connections too', () => {
    const f = established({ rtt: 20, config: { TCP_TLP: false } });
    (f.app.pcb.conn as Tcb).sackOk = true;
    const { peer, app } = f;
    assert.equal(app.write(patternBytes(3 * M)), ERR_OK);
    const t0 = f.net.now;
    for (let i = 0; i < 3; i++) peer.expect({ seq: peer.s(i * M), len: M, time: t0 }, 10);
    assert.equal(peer.next(900), null, 'nothing before the RTO');
    finish(f);
  });
});
