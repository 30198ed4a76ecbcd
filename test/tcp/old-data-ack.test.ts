/**
 * A retransmitted segment whose data we already hold (the sender did not hear our ACK: it was lost)
 * is answered at once, every time (RFC 9293 §3.10.7.4: "If an incoming segment is not acceptable,
 * an acknowledgment should be sent in reply"; RFC 5681 §4.2: ACK immediately when a segment
 * duplicates data). Only the per-connection interval for ACKs to unacceptable *pure* ACKs
 * (RFC 5961 §7, Linux's tcp_oow_rate_limited, which also exempts segments carrying data) must not
 * apply: otherwise a sender whose ACK was lost retransmits into silence and its RTO backs off
 * exponentially.
 */
import assert from 'node:assert/strict';
import { tcp_abort, tcp_close, tcp_is_alive } from '../../src/api/tcp_api.js';
import { assertPoolsFull } from '../helpers/pools.js';
import { established, patternBytes, type EstFixture } from '../helpers/tcppeer.js';

const ARRIVE = 1;

function finish(f: EstFixture): void {
  if (tcp_is_alive(f.app.pcb)) tcp_abort(f.app.pcb);
  if (tcp_is_alive(f.lis.pcb)) tcp_close(f.lis.pcb);
  f.net.run(2100);
  assertPoolsFull(f.stack);
}

describe('tcp: ACKs to retransmitted old data', () => {
  it('every retransmission of data we hold draws an immediate ACK, inside TCP_OOW_ACK_INTERVAL too', () => {
    const f = established({ config: { TCP_OOW_ACK_INTERVAL: 500 } });
    const { peer, app } = f;
    const data = patternBytes(1000, 0, 3);
    peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(0), data });
    peer.expect({ flags: '.', ack: peer.p(1000) }, 300, 'first copy acknowledged');
    // our ACK is "lost": the sender retransmits on its RTO (Linux: 200 ms minimum), then backs off
    for (const gap of [200, 200, 400]) {
      f.net.run(gap);
      const t = f.net.now;
      peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(0), data });
      const a = peer.expect({ flags: '.', seq: peer.s(0), ack: peer.p(1000) }, 10, 'retransmission after ' + gap + ' ms acknowledged');
      assert.equal(a.time, t + ARRIVE, 'at once');
    }
    assert.equal(app.received.length, 1000, 'delivered once');
    finish(f);
  });

  it('a segment that fills the hole before queued out-of-order data is ACKed at once, not delayed', () => {
    // quick-ACK mode after the handshake would ACK it at once anyway: off, the delayed-ACK rule alone
    // RFC 5681 §4.2: "an immediate ACK SHOULD be generated when a segment fills in all or part of
    // a gap in the sequence space"
    const f = established({ config: { TCP_OOW_ACK_INTERVAL: 500, TCP_QUICKACKS: 0 } });
    const { peer, app } = f;
    const data = patternBytes(2000, 0, 5);
    peer.send({ flags: '.', seq: peer.p(1000), ack: peer.s(0), data: data.slice(1000) });
    peer.expect({ flags: '.', ack: peer.p(0) }, 10, 'out-of-order segment: immediate duplicate ACK');
    f.net.run(5);
    const t = f.net.now;
    peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(0), data: data.slice(0, 1000) });
    const a = peer.expect({ flags: '.', ack: peer.p(2000) }, 300, 'hole filled');
    assert.equal(a.time, t + ARRIVE, 'at once');
    assert.equal(app.received.length, 2000);
    finish(f);
  });

  it('pure ACKs outside the window stay limited to one answer per TCP_OOW_ACK_INTERVAL', () => {
    const f = established({ config: { TCP_OOW_ACK_INTERVAL: 500 } });
    const { peer } = f;
    peer.send({ flags: '.', seq: peer.p(-1), ack: peer.s(0) });
    peer.expect({ flags: '.', seq: peer.s(0), ack: peer.p(0) }, 10, 'first answered');
    f.net.run(100);
    peer.send({ flags: '.', seq: peer.p(-1), ack: peer.s(0) });
    peer.expectNone(300, 'second within the interval: no answer');
    finish(f);
  });
});
