/**
 * Resets and segment acceptability: the RST forms of RFC 9293 §3.10.7.1 / §3.10.7.2 (which is where
 * the stack follows the RFC rather than lwIP), RFC 5961's blind-attack mitigations (challenge ACK
 * for an in-window RST not at RCV.NXT and for a SYN on a synchronized connection; ACK acceptability
 * SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT), and the unacceptable ACK in SYN-SENT.
 *
 * The peer's ISN is 0xfffffff0: its data sequence numbers wrap within the first 16 octets.
 */
import assert from 'node:assert/strict';
import { tcp_close, tcp_abort, tcp_is_alive, tcp_state_name } from '../../src/api/tcp_api.js';
import { ERR_OK, ERR_RST } from '../../src/core/err.js';
import { assertPoolsFull } from '../helpers/pools.js';
import {
  setup, established, connect, listen, stateOf, sq, type Fixture, type Listener, type App,
} from '../helpers/tcppeer.js';

const ARRIVE = 1;
const PISN = 0xfffffff0;

function finish(f: Fixture, listeners: Listener[] = [], apps: App[] = []): void {
  for (const a of apps) if (tcp_is_alive(a.pcb)) tcp_abort(a.pcb);
  for (const l of listeners) if (tcp_is_alive(l.pcb)) tcp_close(l.pcb);
  f.net.run(2100);
  assertPoolsFull(f.stack);
}

describe('TCP resets (RFC 9293 §3.10.7, RFC 5961)', () => {
  describe('segments for no connection (CLOSED)', () => {
    it('a SYN (no ACK) gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>', () => {
      const f = setup();
      f.peer.send({ flags: 'S', seq: PISN, mss: 1460, dstPort: 9 });
      f.peer.expect({ flags: 'R.', seq: 0, ack: sq(PISN, 1), srcPort: 9, len: 0 }, 10);
      finish(f);
    });

    it('SEG.LEN counts data, SYN and FIN: SYN+10 octets -> ACK=SEG.SEQ+11; FIN -> +1; bare data -> +len', () => {
      const f = setup();
      const { peer } = f;
      peer.send({ flags: 'S', seq: PISN, data: 10, dstPort: 9 });
      peer.expect({ flags: 'R.', seq: 0, ack: sq(PISN, 11) }, 10, 'SYN with data');
      peer.send({ flags: 'F', seq: 1000, dstPort: 9 });
      peer.expect({ flags: 'R.', seq: 0, ack: 1001 }, 10, 'FIN without ACK');
      peer.send({ flags: 'P', seq: 0xfffffffe, data: 5, dstPort: 9 });
      peer.expect({ flags: 'R.', seq: 0, ack: 3 }, 10, 'data without ACK, across the wrap');
      peer.send({ flags: 'FP', seq: 7, data: 3, dstPort: 9 });
      peer.expect({ flags: 'R.', seq: 0, ack: 11 }, 10, 'data + FIN');
      finish(f);
    });

    it('a segment with ACK gets <SEQ=SEG.ACK><CTL=RST> with no ACK bit', () => {
      const f = setup();
      const { peer } = f;
      peer.send({ flags: '.', seq: 1234, ack: 0xfffffffa, dstPort: 9 });
      peer.expect({ flags: 'R', seq: 0xfffffffa, srcPort: 9 }, 10, 'bare ACK');
      peer.send({ flags: 'P.', seq: 1234, ack: 777, data: 20, dstPort: 9 });
      peer.expect({ flags: 'R', seq: 777 }, 10, 'data with ACK');
      peer.send({ flags: 'F.', seq: 1234, ack: 4242, dstPort: 9 });
      peer.expect({ flags: 'R', seq: 4242 }, 10, 'FIN,ACK');
      peer.send({ flags: 'S.', seq: 1234, ack: 99, dstPort: 9 });
      peer.expect({ flags: 'R', seq: 99 }, 10, 'SYN,ACK');
      finish(f);
    });

    it('a RST for no connection is not answered', () => {
      const f = setup();
      f.peer.send({ flags: 'R', seq: 5, dstPort: 9 });
      f.peer.send({ flags: 'R.', seq: 5, ack: 6, dstPort: 9 });
      f.peer.expectNone(100);
      finish(f);
    });

    it('a segment with a bad checksum is dropped silently (no RST)', () => {
      const f = setup();
      f.peer.send({ flags: 'S', seq: PISN, dstPort: 9, badChecksum: true });
      f.peer.expectNone(100);
      assert.ok(f.stack.stats.tcp.chkerr >= 1);
      finish(f);
    });
  });

  describe('LISTEN (§3.10.7.2)', () => {
    it('an ACK-bearing segment to a listener gets <SEQ=SEG.ACK><CTL=RST>; a RST is ignored', () => {
      const f = setup();
      const lis = listen(f.stack, 80);
      f.peer.send({ flags: '.', seq: PISN, ack: 0x80000000 });
      f.peer.expect({ flags: 'R', seq: 0x80000000 }, 10);
      f.peer.send({ flags: 'R', seq: PISN });
      f.peer.send({ flags: 'R.', seq: PISN, ack: 1 });
      f.peer.expectNone(100);
      assert.equal(stateOf(f.stack, 80), 'LISTEN');
      finish(f, [lis]);
    });
  });

  describe('synchronized states (RFC 5961)', () => {
    it('an in-window RST not at RCV.NXT gets a challenge ACK; the connection stays', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      for (const off of [1, 100, 8191]) {
        f.net.run(500); // one challenge ACK per TCP_OOW_ACK_INTERVAL per connection (RFC 5961 §7)
        peer.send({ flags: 'R', seq: peer.p(off) });
        const t = f.net.now + ARRIVE;
        peer.expect({ flags: '.', seq: peer.s(0), ack: peer.p(0), time: t }, 10, 'challenge ACK for RCV.NXT+' + off);
      }
      assert.equal(app.err, null);
      assert.equal(tcp_state_name(app.pcb), 'ESTABLISHED');
      // the connection still works
      peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(0), data: 'ok' });
      f.net.run(5);
      assert.equal(app.text(), 'ok');
      finish(f, [f.lis], [app]);
    });

    it('a RST exactly at RCV.NXT resets the connection: tcp_err(ERR_RST), nothing sent, pcb freed', () => {
      const f = established({ isn: PISN });
      const { peer, app, stack } = f;
      peer.send({ flags: 'R', seq: peer.p(0) });
      f.net.run(ARRIVE);
      assert.equal(app.err, ERR_RST, 'tcp_err ' + app.errName());
      assert.equal(tcp_is_alive(app.pcb), false);
      assert.equal(stateOf(stack, 80, peer.port), undefined);
      peer.expectNone(100);
      finish(f, [f.lis]);
    });

    it('a RST,ACK at RCV.NXT also resets (the ACK field is not checked for RST)', () => {
      const f = established({ isn: PISN });
      f.peer.send({ flags: 'R.', seq: f.peer.p(0), ack: f.peer.s(0) });
      f.net.run(ARRIVE);
      assert.equal(f.app.err, ERR_RST);
      finish(f, [f.lis]);
    });

    it('an out-of-window RST is dropped silently (no challenge ACK, no reset)', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      peer.send({ flags: 'R', seq: peer.p(100000) });
      peer.send({ flags: 'R', seq: peer.p(-1) });
      peer.send({ flags: 'R', seq: peer.p(8192) });   // RCV.NXT + RCV.WND: just outside
      peer.expectNone(100);
      assert.equal(app.err, null);
      assert.equal(tcp_state_name(app.pcb), 'ESTABLISHED');
      finish(f, [f.lis], [app]);
    });

    it('a SYN on an ESTABLISHED connection gets a challenge ACK, in window or not; no reset', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      peer.send({ flags: 'S', seq: peer.p(0), mss: 1460 });
      peer.expect({ flags: '.', seq: peer.s(0), ack: peer.p(0) }, 10, 'SYN at RCV.NXT');
      f.net.run(500); // one challenge ACK per TCP_OOW_ACK_INTERVAL per connection (RFC 5961 §7)
      peer.send({ flags: 'S', seq: PISN, mss: 1460 });
      peer.expect({ flags: '.', seq: peer.s(0), ack: peer.p(0) }, 10, 'old SYN (the original ISN)');
      f.net.run(500);
      peer.send({ flags: 'S', seq: peer.p(50000), mss: 1460 });
      peer.expect({ flags: '.', seq: peer.s(0), ack: peer.p(0) }, 10, 'SYN far beyond the window');
      assert.equal(app.err, null);
      assert.equal(tcp_state_name(app.pcb), 'ESTABLISHED');
      peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(0), data: 'still here' });
      f.net.run(5);
      assert.equal(app.text(), 'still here');
      finish(f, [f.lis], [app]);
    });

    it('in SYN_RCVD, an in-window RST not at RCV.NXT gets a challenge ACK', () => {
      const f = setup();
      const { peer, stack } = f;
      const lis = listen(stack, 80);
      peer.send({ flags: 'S', seq: PISN, mss: 1460 });
      const sa = peer.expect({ flags: 'S.' }, 10);
      peer.send({ flags: 'R', seq: sq(PISN, 10) });
      peer.expect({ flags: '.', seq: sq(sa.seq, 1), ack: sq(PISN, 1) }, 10);
      assert.equal(stateOf(stack, 80, peer.port), 'SYN_RCVD');
      finish(f, [lis]);
    });

    it('an ACK above SND.NXT: ACK sent, segment (and its data) dropped', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(1000), data: 'ignored!' });
      const t = f.net.now + ARRIVE;
      peer.expect({ flags: '.', seq: peer.s(0), ack: peer.p(0), time: t }, 10);
      f.net.run(300);
      assert.equal(app.received.length, 0, 'the data of an unacceptable segment is not delivered');
      // the same octets with a good ACK are taken
      peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(0), data: 'accepted' });
      f.net.run(5);
      assert.equal(app.text(), 'accepted');
      finish(f, [f.lis], [app]);
    });

    it('an ACK below SND.UNA - MAX.SND.WND: ACK sent, data dropped; an old ACK within it is acceptable', () => {
      // the peer offers at most 4000 octets: MAX.SND.WND = 4000
      const f = established({ isn: PISN, win: 4000 });
      const { peer, app } = f;
      peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(-5000), win: 4000, data: 'too old' });
      peer.expect({ flags: '.', seq: peer.s(0), ack: peer.p(0) }, 10, 'RFC 5961 §5.2 challenge');
      f.net.run(300);
      assert.equal(app.received.length, 0, 'dropped');
      // SND.UNA - MAX.SND.WND <= SEG.ACK < SND.UNA: a duplicate ACK, the text is processed
      peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(-3000), win: 4000, data: 'old ack' });
      f.net.run(5);
      assert.equal(app.text(), 'old ack');
      finish(f, [f.lis], [app]);
    });

    it('RST in CLOSE_WAIT resets with ERR_RST; in LAST_ACK the pcb is simply freed', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      peer.send({ flags: 'F.', seq: peer.p(0), ack: peer.s(0) });
      peer.expect({ flags: '.', ack: peer.p(1) }, 10);
      peer.send({ flags: 'R', seq: peer.p(1) });
      f.net.run(ARRIVE);
      assert.equal(app.err, ERR_RST);
      // a second connection, in LAST_ACK
      peer.port = 40001;
      peer.handshake({ isn: 5000 });
      const app2 = f.lis.apps[1];
      peer.send({ flags: 'F.', seq: peer.p(0), ack: peer.s(0) });
      peer.expect({ flags: '.', ack: peer.p(1) }, 10);
      assert.equal(tcp_close(app2.pcb), ERR_OK);
      peer.expect({ flags: 'F.', seq: peer.s(0) }, 10);
      assert.equal(stateOf(f.stack, 80, 40001), 'LAST_ACK');
      peer.send({ flags: 'R', seq: peer.p(1) });
      f.net.run(ARRIVE);
      assert.equal(stateOf(f.stack, 80, 40001), undefined);
      assert.equal(app2.err, null, 'the application already closed: no callback');
      peer.expectNone(2000);
      finish(f, [f.lis]);
    });
  });

  describe('SYN-SENT (§3.10.7.3)', () => {
    it('an unacceptable ACK (SEG.ACK =< ISS or > SND.NXT) gets <SEQ=SEG.ACK><CTL=RST>; still SYN_SENT', () => {
      const f = setup();
      const { peer, stack } = f;
      const app = connect(stack, '10.0.0.2', 5000);
      const syn = peer.expect({ flags: 'S' }, 10);
      const lport = syn.srcPort;
      peer.send({ flags: 'S.', seq: PISN, ack: sq(syn.seq, 100), srcPort: 5000, dstPort: lport, mss: 1460 });
      peer.expect({ flags: 'R', seq: sq(syn.seq, 100) }, 10, 'ACK beyond SND.NXT');
      peer.send({ flags: 'S.', seq: PISN, ack: syn.seq, srcPort: 5000, dstPort: lport, mss: 1460 });
      peer.expect({ flags: 'R', seq: syn.seq }, 10, 'ACK = ISS');
      peer.send({ flags: '.', seq: PISN, ack: sq(syn.seq, -7), srcPort: 5000, dstPort: lport });
      peer.expect({ flags: 'R', seq: sq(syn.seq, -7) }, 10, 'bare ACK below ISS');
      assert.equal(stateOf(stack, lport, 5000), 'SYN_SENT');
      assert.equal(app.err, null);
      // the right SYN,ACK still completes the handshake
      peer.send({ flags: 'S.', seq: PISN, ack: sq(syn.seq, 1), srcPort: 5000, dstPort: lport, mss: 1460 });
      peer.expect({ flags: '.', seq: sq(syn.seq, 1), ack: sq(PISN, 1) }, 10);
      assert.equal(app.connected, true);
      finish(f, [], [app]);
    });

    it('a RST with an unacceptable ACK, or without ACK, is dropped (no reply, still SYN_SENT)', () => {
      const f = setup();
      const { peer, stack } = f;
      const app = connect(stack, '10.0.0.2', 5000);
      const syn = peer.expect({ flags: 'S' }, 10);
      const lport = syn.srcPort;
      peer.send({ flags: 'R.', seq: 0, ack: sq(syn.seq, 5), srcPort: 5000, dstPort: lport });
      peer.send({ flags: 'R', seq: 0, srcPort: 5000, dstPort: lport });
      peer.expectNone(100);
      assert.equal(stateOf(stack, lport, 5000), 'SYN_SENT');
      assert.equal(app.err, null);
      finish(f, [], [app]);
    });
  });

  describe('tcp_abort (§3.10.5 ABORT)', () => {
    it('sends a RST with SEQ=SND.NXT and frees the pcb', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      assert.equal(app.write('12345'), ERR_OK);
      peer.expect({ flags: 'P.', seq: peer.s(0), len: 5 }, 10);
      tcp_abort(app.pcb);
      const r = peer.expect({}, 10);
      assert.ok(r.flags.includes('R'), 'RST, got ' + r.flags);
      assert.equal(r.seq, peer.s(5), 'SEQ = SND.NXT');
      assert.equal(tcp_is_alive(app.pcb), false);
      finish(f, [f.lis]);
    });
  });
});
