/**
 * Data transfer against a scripted peer: MSS (RFC 9293 §3.7.1), segmentation, the receive window
 * tied to tcp_recved (seed 004's sliding-window walk-through), receiver and sender SWS avoidance
 * (RFC 1122 §4.2.3.3, §4.2.3.4), the persist timer (RFC 9293 §3.8.6.1), delayed ACK (RFC 1122
 * §4.2.3.2), the out-of-order queue, fast retransmit / NewReno (RFC 5681, RFC 6582), the
 * retransmission timer (RFC 6298: exact times checked against an independent model of its
 * formulas), SYN retransmission, retry limits, keepalive (RFC 1122 §4.2.3.6), half-close both ways,
 * and sequence numbers wrapping past 2^32 on both sides.
 *
 * Timing: zero-delay wire, 1 ms steps. A segment the peer sends at T is processed at T + 1; the
 * stack's segments are stamped with the instant they were transmitted.
 */
import assert from 'node:assert/strict';
import {
  tcp_new, tcp_bind, tcp_connect, tcp_write, tcp_output, tcp_close, tcp_shutdown, tcp_abort,
  tcp_state_name, tcp_is_alive, tcp_keepalive_set, ip_set_option, SOF_KEEPALIVE, TCP_WRITE_FLAG_COPY,
  type TcpPcb,
} from '../../src/api/tcp_api.js';
import { ERR_OK, ERR_TIMEOUT, ERR_RST } from '../../src/core/err.js';
import { pbuf_free, type Pbuf } from '../../src/core/pbuf.js';
import { resolveConfig, ConfigError } from '../../src/core/config.js';
import { assertPoolsFull } from '../helpers/pools.js';
import {
  setup, established, listen, connect, stateOf, sq, sdiff, patternBytes, hex,
  type Fixture, type Listener, type App, type Seg, type TcpPeer,
} from '../helpers/tcppeer.js';

const ARRIVE = 1;
const PISN = 0xfffffff0;

function finish(f: Fixture, listeners: Listener[] = [], apps: App[] = []): void {
  for (const a of apps) if (tcp_is_alive(a.pcb)) tcp_abort(a.pcb);
  for (const l of listeners) if (tcp_is_alive(l.pcb)) tcp_close(l.pcb);
  f.net.run(2100);
  assertPoolsFull(f.stack);
}

/** The peer acknowledges every segment carrying data/FIN until the stack is quiet for `quietMs`. */
function ackAll(peer: TcpPeer, quietMs = 50, win?: number): Seg[] {
  const got: Seg[] = [];
  for (;;) {
    const s = peer.next(quietMs);
    if (s === null) return got;
    got.push(s);
    if (s.seqLen > 0) peer.send({ flags: '.', seq: s.ack, ack: sq(s.seq, s.seqLen), win });
  }
}

/** Concatenates the payloads of data segments in sequence order from `start` (duplicates ignored). */
function stream(segs: Seg[], start: number): Uint8Array {
  const out: number[] = [];
  for (const s of [...segs].sort((a, b) => sdiff(b.seq, a.seq))) {
    const off = sdiff(start, s.seq);
    for (let i = 0; i < s.len; i++) if (off + i === out.length) out.push(s.payload[i]);
  }
  return Uint8Array.from(out);
}

/** RFC 6298 §2, written from the RFC: SRTT, RTTVAR and RTO for a series of samples (ms). */
class Rfc6298 {
  srtt = 0;
  rttvar = 0;
  rto: number;
  private first = true;
  constructor(readonly min: number, readonly max: number, initial = 1000, readonly g = 1) { this.rto = initial; }
  sample(r: number): number {
    if (this.first) { this.srtt = r; this.rttvar = r / 2; this.first = false; }
    else { this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r); this.srtt = 0.875 * this.srtt + 0.125 * r; }
    this.rto = Math.min(this.max, Math.max(this.min, this.srtt + Math.max(this.g, 4 * this.rttvar)));
    return this.rto;
  }
}

describe('TCP data transfer', () => {
  describe('MSS (RFC 9293 §3.7.1)', () => {
    it('our SYN and SYN-ACK announce min(TCP_MSS, MTU - 40)', () => {
      for (const [cfg, want] of [[{}, 1460], [{ TCP_MSS: 1000 }, 1000], [{ MTU: 1000, TCP_MSS: 960 }, 960],
        [{ MTU: 576, TCP_MSS: 536 }, 536]] as const) {
        const f = setup({ config: cfg });
        const app = connect(f.stack, '10.0.0.2', 5000);
        f.peer.expect({ flags: 'S', mss: want }, 10, 'SYN with ' + JSON.stringify(cfg));
        const lis = listen(f.stack, 80);
        f.peer.send({ flags: 'S', seq: 1, mss: 1460, srcPort: 41000 });
        f.peer.expect({ flags: 'S.', mss: want }, 10, 'SYN-ACK with ' + JSON.stringify(cfg));
        finish(f, [lis], [app]);
      }
    });

    it('no MSS option from the peer: 536-octet segments', () => {
      const f = established({ isn: PISN, mss: null });
      const { peer, app } = f;
      const data = patternBytes(2000);
      assert.equal(app.write(data), ERR_OK);
      const segs = ackAll(peer, 50);
      const lens = segs.filter((s) => s.len > 0).map((s) => s.len);
      assert.deepEqual(lens, [536, 536, 536, 392]);
      assert.deepEqual(Array.from(stream(segs, peer.s(0))), Array.from(data));
      finish(f, [f.lis], [app]);
    });

    it('a peer MSS of 100: 100-octet segments; a peer MSS above ours is capped at ours', () => {
      const f = established({ isn: PISN, mss: 100 });
      const { peer, app } = f;
      const data = patternBytes(1050);
      assert.equal(app.write(data), ERR_OK);
      const segs = ackAll(peer, 50).filter((s) => s.len > 0);
      assert.ok(segs.every((s) => s.len <= 100), 'lens ' + segs.map((s) => s.len).join(','));
      assert.equal(segs.filter((s) => s.len === 100).length, 10);
      assert.deepEqual(Array.from(stream(segs, peer.s(0))), Array.from(data));
      finish(f, [f.lis], [app]);
      const g = established({ isn: PISN, mss: 9000 });
      assert.equal(g.app.write(patternBytes(3000)), ERR_OK);
      const big = ackAll(g.peer, 50).filter((s) => s.len > 0);
      assert.equal(Math.max(...big.map((s) => s.len)), 1460);
      finish(g, [g.lis], [g.app]);
    });

    it('a large write is cut into MSS-sized segments with contiguous sequence numbers', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      const data = patternBytes(8192, 0, 5);
      assert.equal(app.write(data), ERR_OK);
      const segs = ackAll(peer, 50).filter((s) => s.len > 0);
      assert.deepEqual(segs.map((s) => s.len), [1460, 1460, 1460, 1460, 1460, 892]);
      for (let i = 1; i < segs.length; i++) assert.equal(segs[i].seq, sq(segs[i - 1].seq, segs[i - 1].len));
      assert.equal(segs[segs.length - 1].flags, 'P.', 'PSH on the last segment of the write');
      assert.deepEqual(Array.from(stream(segs, peer.s(0))), Array.from(data));
      finish(f, [f.lis], [app]);
    });
  });

  describe('receive window', () => {
    it('seed 004 walk-through: the window shrinks to 0 as data waits, a probe is answered, reopens as the app reads', () => {
      // receiver (us): MSS 1024, window 6K; sender (peer): ISN 0, window 4K, 1K segments
      const f = setup({ config: { TCP_MSS: 1024, TCP_QUICKACKS: 0 } });
      const { peer, stack } = f;
      const lis = listen(stack, 80, { recvWnd: 6144, app: { autoRecved: false } });
      peer.peerIsn = 0;
      peer.send({ flags: 'S', seq: 0, win: 4096, mss: 1460 });
      const sa = peer.expect({ flags: 'S.', ack: 1, mss: 1024, win: 6144 }, 10, 'segment 2: MSS 1024, window 6K');
      peer.stackIsn = sa.seq;
      peer.send({ flags: '.', seq: 1, ack: peer.s(0), win: 4096 });
      f.net.run(ARRIVE);
      const app = lis.apps[0];
      // segments 4-9: 1K each, the sender stops when the window is full
      for (let i = 0; i < 6; i++) {
        peer.send({ flags: '.', seq: 1 + i * 1024, ack: peer.s(0), win: 4096, data: patternBytes(1024, i * 1024) });
      }
      f.net.run(10);
      const acks = peer.drain();
      assert.deepEqual(acks.map((a) => [a.ack, a.win]), [[2049, 4096], [4097, 2048], [6145, 0]],
        'every second segment ACKed, the window shrinking as data waits for the application');
      assert.equal(app.unread, 6144);
      // a zero-window probe (one octet) and a bare probe are answered with the closed window
      peer.send({ flags: '.', seq: 6145, ack: peer.s(0), win: 4096, data: 'x' });
      peer.expect({ flags: '.', ack: 6145, win: 0 }, 10, 'probe with data answered, octet not taken');
      // segment 10: the application takes 2K: ACK 6145, window 2K, at once
      app.read(2048);
      peer.expect({ flags: '.', ack: 6145, win: 2048, time: f.net.now }, 10, 'segment 10');
      // segment 11: 2K more: window 4K
      app.read(2048);
      peer.expect({ flags: '.', ack: 6145, win: 4096, time: f.net.now }, 10, 'segment 11');
      // segments 12-13: 2K of data, the last with FIN
      peer.send({ flags: '.', seq: 6145, ack: peer.s(0), win: 4096, data: patternBytes(1024, 6144) });
      peer.send({ flags: 'F.', seq: 7169, ack: peer.s(0), win: 4096, data: patternBytes(1024, 7168) });
      f.net.run(5);
      const finAck = peer.drain().pop() as Seg;
      assert.equal(finAck.ack, 8194, 'segment 14: 8192 octets + FIN acknowledged');
      // 2K free in the buffer; the FIN's sequence number takes no buffer space (2047 keeps the right edge)
      assert.ok(finAck.win === 2048 || finAck.win === 2047, 'segment 14 window ~2K, got ' + finAck.win);
      assert.equal(app.fin, true);
      assert.equal(stateOf(stack, 80, peer.port), 'CLOSE_WAIT');
      app.read(2048);
      assert.equal(peer.expect({ flags: '.', ack: 8194 }, 10, 'segment 15').win, 4096);
      // segment 16: the last 2K are read: the full 6K window is announced — as its own update, or (the
      // announced 4K being more than half the buffer, nothing is blocked) on the next segment we send
      app.read(2048);
      f.net.run(10);
      for (const s of peer.drain()) assert.deepEqual([s.flags, s.ack, s.win], ['.', 8194, 6144], 'segment 16');
      assert.equal(app.received.length, 8192);
      assert.deepEqual(Array.from(app.received.bytes()), Array.from(patternBytes(8192)));
      // segment 17: the application closes
      assert.equal(tcp_close(app.pcb), ERR_OK);
      peer.expect({ flags: 'F.', seq: peer.s(0), ack: 8194, win: 6144 }, 10, 'segment 17');
      peer.send({ flags: '.', seq: 8194, ack: peer.s(1), win: 4096 });
      f.net.run(ARRIVE);
      assert.equal(stateOf(stack, 80, peer.port), undefined);
      finish(f, [lis]);
    });

    it('a bare zero-window probe <SEQ=RCV.NXT-1> (no data, as Linux sends it) is answered with the window', () => {
      // RFC 9293 §3.10.7.4: an unacceptable segment is answered <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>;
      // the sender's persist timer (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17) relies on that answer
      const f = established({ isn: PISN, app: { autoRecved: false } });
      const { peer, app } = f;
      for (let off = 0; off < 8192; off += 1460) {
        peer.send({ flags: '.', seq: peer.p(off), ack: peer.s(0), data: patternBytes(Math.min(1460, 8192 - off), off) });
      }
      f.net.run(300);
      assert.equal(peer.drain().pop()?.win, 0);
      peer.send({ flags: '.', seq: peer.p(8191), ack: peer.s(0) });
      peer.expect({ flags: '.', seq: peer.s(0), ack: peer.p(8192), win: 0, time: f.net.now + ARRIVE }, 10, 'probe answered');
      app.read();
      finish(f, [f.lis], [app]);
    });

    it('receiver SWS avoidance: the window reopens only in steps of min(RCV.BUFF/2, MSS); its right edge never moves left', () => {
      const f = setup();
      const { peer, stack } = f;
      const lis = listen(stack, 80, { recvWnd: 2000, app: { autoRecved: false } });
      peer.handshake({ isn: PISN });
      const app = lis.apps[0];
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(0), data: patternBytes(1460) });
      peer.send({ flags: '.', seq: peer.p(1460), ack: peer.s(0), data: patternBytes(540, 1460) });
      f.net.run(300);
      let last = peer.drain().pop() as Seg;
      assert.equal(last.ack, peer.p(2000));
      assert.equal(last.win, 0);
      let edge = sq(last.ack, last.win);
      // threshold min(2000 / 2, 1460) = 1000
      for (let i = 0; i < 9; i++) { app.read(100); peer.expectNone(5, 'no update after reading ' + (i + 1) * 100); }
      app.read(100);
      last = peer.expect({ flags: '.', ack: peer.p(2000), win: 1000 }, 10, 'update once 1000 octets are free');
      assert.ok(sdiff(edge, sq(last.ack, last.win)) >= 0, 'the right edge moved right');
      edge = sq(last.ack, last.win);
      // 600 octets arrive: the announced window shrinks with them but the edge stays
      peer.send({ flags: '.', seq: peer.p(2000), ack: peer.s(0), data: patternBytes(600, 2000) });
      f.net.run(300);
      last = peer.drain().pop() as Seg;
      assert.equal(sq(last.ack, last.win), edge, 'right edge unchanged: ' + last.ack + '+' + last.win);
      finish(f, [lis], [app]);
    });
  });

  describe('pool pressure', () => {
    it('an application holding every received pbuf cannot stop ACK (and RST) processing: the receive reserve', () => {
      const held: Pbuf[] = [];
      const f = established({
        isn: PISN,
        config: { PBUF_POOL_SIZE: 16, PBUF_RX_RESERVE: 4 },
        app: { onRecv: (_app, p) => { if (p === null) return undefined; held.push(p); return ERR_OK; } },
      });
      const { peer, app, stack } = f;
      assert.equal(app.write(patternBytes(1000)), ERR_OK);
      peer.expect({ len: 1000 }, 10);
      // the peer floods small segments; the application keeps every pbuf (it owns them)
      for (let i = 0; i < 30; i++) peer.send({ flags: '.', seq: peer.p(i * 10), ack: peer.s(0), data: patternBytes(10, i * 10) });
      f.net.run(300);
      const pool = stack.pools().find((x) => x.name === 'pbuf_pool')!.stats;
      assert.ok(held.length < 30, 'the stack stopped taking payload (' + held.length + ' pbufs held, pool ' + pool.used + '/' + pool.avail + ')');
      const acked = sdiff(peer.p(0), (peer.drain().pop() as Seg).ack);
      assert.equal(acked, held.length * 10, 'only what was delivered is acknowledged');
      // the peer's ACK of our data is still processed
      peer.send({ flags: '.', seq: peer.p(acked), ack: peer.s(1000) });
      f.net.run(ARRIVE);
      assert.equal(app.sent, 1000, 'tcp_sent: the ACK was processed with the pool at its reserve');
      // and a RST too
      peer.send({ flags: 'R', seq: peer.p(acked) });
      f.net.run(ARRIVE);
      assert.equal(app.err, ERR_RST);
      for (const p of held) pbuf_free(p);
      finish(f, [f.lis]);
    });
  });

  describe('sender side flow control', () => {
    it('never sends beyond the right edge the peer offered (SND.UNA + SND.WND)', () => {
      const f = established({ isn: PISN, win: 3000 });
      const { peer, app } = f;
      const data = patternBytes(8000, 0, 9);
      assert.equal(app.write(data), ERR_OK);
      let edge = sq(peer.s(0), 3000);
      const segs: Seg[] = [];
      const wins = [3000, 1000, 2500, 500, 4000, 3000, 3000, 3000, 3000, 3000];
      for (let round = 0; round < 80; round++) {
        const s = peer.next(3000);
        if (s === null) break;
        segs.push(s);
        assert.ok(sdiff(sq(s.seq, s.len), edge) >= 0, 'segment ' + s.seq + '+' + s.len + ' beyond the offered edge ' + edge);
        if (s.len > 0) {
          const win = wins[Math.min(round, wins.length - 1)];
          const ack = sq(s.seq, s.len);
          peer.send({ flags: '.', seq: peer.p(0), ack, win });
          if (sdiff(edge, sq(ack, win)) > 0) edge = sq(ack, win);
        }
        if (stream(segs, peer.s(0)).length === 8000) break;
      }
      assert.deepEqual(Array.from(stream(segs, peer.s(0))), Array.from(data));
      finish(f, [f.lis], [app]);
    });

    it('persist timer: zero-window probes with exponential backoff (capped), answered probes never give up', () => {
      const f = established({ isn: PISN, config: { TCP_PERSIST_MAX: 4000, TCP_MAXRTX: 3 } });
      const { peer, app } = f;
      assert.equal(app.write(patternBytes(1000)), ERR_OK);
      peer.expect({ len: 1000 }, 10);
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(1000), win: 0 });
      f.net.run(ARRIVE);
      const tw = f.net.now;
      assert.equal(app.write(patternBytes(500, 1000)), ERR_OK);
      peer.expectNone(999, 'nothing while the window is closed, until the persist timer');
      const gaps = [1000, 2000, 4000, 4000, 4000, 4000, 4000];
      let t = tw;
      for (let i = 0; i < gaps.length; i++) {
        t += gaps[i];
        const probe = peer.expect({ time: t }, gaps[i] + 10, 'probe ' + (i + 1));
        // a window probe: an empty segment at SND.UNA-1 or one octet at SND.UNA (RFC 9293 §3.8.6.1)
        const ok = (probe.len === 0 && probe.seq === sq(peer.s(1000), -1)) || (probe.len === 1 && probe.seq === peer.s(1000));
        assert.ok(ok, 'probe form: seq ' + probe.seq + ' len ' + probe.len);
        peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(1000), win: 0 });
      }
      assert.equal(tcp_state_name(app.pcb), 'ESTABLISHED', 'more answered probes than TCP_MAXRTX: still open');
      assert.equal(app.err, null);
      // the window opens: the data leaves at once
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(1000), win: 8192 });
      const t2 = f.net.now + ARRIVE;
      const d = peer.expect({ seq: peer.s(1000) }, 10);
      assert.ok(d.len === 500 || d.len === 499, 'the held data: ' + d.len);
      assert.equal(d.time, t2);
      finish(f, [f.lis], [app]);
    });
  });

  describe('delayed ACK (RFC 1122 §4.2.3.2)', () => {
    it('a lone segment is ACKed after exactly TCP_DELACK_MS (200 ms); every second segment at once', () => {
      const f = established({ isn: PISN, config: { TCP_QUICKACKS: 0 } });
      const { peer, app } = f;
      peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(0), data: patternBytes(100) });
      const t1 = f.net.now + ARRIVE;
      peer.expect({ flags: '.', ack: peer.p(100), time: t1 + 200 }, 500, 'delayed ACK');
      peer.send({ flags: 'P.', seq: peer.p(100), ack: peer.s(0), data: patternBytes(100, 100) });
      f.net.run(50);
      peer.send({ flags: 'P.', seq: peer.p(200), ack: peer.s(0), data: patternBytes(100, 200) });
      const t2 = f.net.now + ARRIVE;
      peer.expect({ flags: '.', ack: peer.p(300), time: t2 }, 10, 'the second segment is ACKed at once');
      // two full-sized segments with an application that does not read at once
      finish(f, [f.lis], [app]);
    });

    it('two full-sized segments: the second is ACKed at once; a FIN is ACKed at once', () => {
      const f = established({ isn: PISN, config: { TCP_QUICKACKS: 0 }, app: { autoRecved: false } });
      const { peer, app } = f;
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(0), data: patternBytes(1460) });
      peer.expectNone(50, 'first full segment: delayed');
      peer.send({ flags: '.', seq: peer.p(1460), ack: peer.s(0), data: patternBytes(1460, 1460) });
      peer.expect({ flags: '.', ack: peer.p(2920), time: f.net.now + ARRIVE }, 10);
      peer.send({ flags: 'F.', seq: peer.p(2920), ack: peer.s(0) });
      peer.expect({ flags: '.', ack: peer.p(2921), time: f.net.now + ARRIVE }, 10);
      app.read();
      finish(f, [f.lis], [app]);
    });

    it('TCP_DELACK_MS is 200 by default and the configuration refuses more than 500 ms', () => {
      assert.equal(resolveConfig({}).TCP_DELACK_MS, 200);
      assert.throws(() => resolveConfig({ TCP_DELACK_MS: 501 }), ConfigError);
    });
  });

  describe('out-of-order queue', () => {
    it('holds data past a gap, answers each out-of-order segment with an immediate duplicate ACK, delivers in order once', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      const data = patternBytes(600, 0, 3);
      const seg = (a: number, b: number) => ({ flags: '.', seq: peer.p(a), ack: peer.s(0), data: data.slice(a, b) });
      peer.send(seg(200, 300));
      peer.expect({ flags: '.', ack: peer.p(0), time: f.net.now + ARRIVE }, 10, 'dup ACK 1');
      peer.send(seg(100, 200));
      peer.expect({ flags: '.', ack: peer.p(0), time: f.net.now + ARRIVE }, 10, 'dup ACK 2');
      peer.send(seg(400, 500));
      peer.expect({ flags: '.', ack: peer.p(0) }, 10, 'dup ACK 3');
      assert.equal(app.received.length, 0, 'nothing delivered past a gap');
      // the gap fills: ACK at once for everything contiguous
      peer.send(seg(0, 100));
      peer.expect({ flags: '.', ack: peer.p(300), time: f.net.now + ARRIVE }, 10, 'hole filled');
      assert.deepEqual(Array.from(app.received.bytes()), Array.from(data.slice(0, 300)));
      // duplicates and overlaps are trimmed, nothing is delivered twice
      peer.send(seg(100, 200));
      peer.expect({ flags: '.', ack: peer.p(300) }, 10, 'duplicate ACKed at once');
      peer.send(seg(450, 550));       // overlaps the held 400..500
      peer.expect({ flags: '.', ack: peer.p(300) }, 10);
      peer.send(seg(250, 420));       // overlaps delivered data and the held segment
      peer.expect({ flags: '.', ack: peer.p(550) }, 10);
      peer.send(seg(500, 600));
      f.net.run(300);
      assert.equal(app.received.length, 600);
      assert.deepEqual(Array.from(app.received.bytes()), Array.from(data));
      finish(f, [f.lis], [app]);
    });

    it('a FIN held out of order is taken when the gap fills (CLOSE_WAIT)', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      peer.send({ flags: 'F.', seq: peer.p(100), ack: peer.s(0), data: patternBytes(100, 100) });
      peer.expect({ flags: '.', ack: peer.p(0) }, 10);
      assert.equal(app.fin, false);
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(0), data: patternBytes(100) });
      peer.expect({ flags: '.', ack: peer.p(201) }, 10);
      assert.equal(app.fin, true);
      assert.deepEqual(Array.from(app.received.bytes()), Array.from(patternBytes(200)));
      assert.equal(tcp_state_name(app.pcb), 'CLOSE_WAIT');
      finish(f, [f.lis], [app]);
    });

    it('more out-of-order segments than the queue holds: extras dropped, nothing lost after retransmission', () => {
      const f = established({ isn: PISN, config: { TCP_OOSEQ_MAX_SEGS: 3 } });
      const { peer, app } = f;
      const data = patternBytes(1000, 0, 11);
      for (let i = 9; i >= 1; i--) peer.send({ flags: '.', seq: peer.p(i * 100), ack: peer.s(0), data: data.slice(i * 100, i * 100 + 100) });
      f.net.run(10);
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(0), data: data.slice(0, 100) });
      f.net.run(10);
      // the peer retransmits from what was acknowledged, as often as needed
      for (let i = 0; i < 20 && app.received.length < 1000; i++) {
        const last = peer.drain().pop();
        const acked = last ? sdiff(peer.p(0), last.ack) : app.received.length;
        peer.send({ flags: '.', seq: peer.p(acked), ack: peer.s(0), data: data.slice(acked, Math.min(1000, acked + 300)) });
        f.net.run(300);
      }
      assert.deepEqual(Array.from(app.received.bytes()), Array.from(data));
      finish(f, [f.lis], [app]);
    });
  });

  describe('loss recovery', () => {
    it('fast retransmit after 3 duplicate ACKs, NewReno retransmits the next hole on a partial ACK (RFC 6582)', () => {
      const cfg = { TCP_SND_BUF: 16384, TCP_SND_QUEUELEN: 32, MEMP_NUM_TCP_SEG: 64, PBUF_POOL_SIZE: 96 };
      const f = established({ isn: PISN, config: cfg });
      const { peer, app } = f;
      const M = 1460;
      const data = patternBytes(10 * M, 0, 21);
      const all: Seg[] = [];
      const take = (n: number, ms = 10): Seg[] => { const r: Seg[] = []; for (let i = 0; i < n; i++) { const s = peer.next(ms); assert.ok(s, 'segment ' + i + '\n' + peer.tail()); r.push(s); all.push(s); } return r; };
      const ack = (n: number) => peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(n) });
      assert.equal(app.write(data), ERR_OK);
      // initial window 3 x SMSS (RFC 5681 §3.1): segments 0..2
      assert.deepEqual(take(3).map((s) => sdiff(peer.s(0), s.seq)), [0, M, 2 * M]);
      ack(M);
      assert.deepEqual(take(2).map((s) => sdiff(peer.s(0), s.seq)), [3 * M, 4 * M], 'slow start: +1 SMSS');
      ack(2 * M);
      assert.deepEqual(take(2).map((s) => sdiff(peer.s(0), s.seq)), [5 * M, 6 * M]);
      // segments 2 and 5 are lost; 3, 4 and 6 arrive: three duplicate ACKs for 2*M. The first two may
      // each release one NEW segment (limited transmit, RFC 3042), never the lost one
      for (const n of [1, 2]) {
        ack(2 * M);
        f.net.run(5);
        for (const s of peer.drain()) {
          assert.ok(sdiff(peer.s(7 * M), s.seq) >= 0, 'duplicate ACK ' + n + ' sent only new data, got seq +' + sdiff(peer.s(0), s.seq));
          all.push(s);
        }
      }
      ack(2 * M);
      const t3 = f.net.now + ARRIVE;
      const rtx1 = peer.expect({ seq: peer.s(2 * M), len: M }, 10, 'fast retransmit of segment 2');
      assert.equal(rtx1.time, t3, 'at the third duplicate ACK');
      all.push(rtx1);
      f.net.run(5);
      all.push(...peer.drain());
      // partial ACK: up to segment 5 (the next hole)
      ack(5 * M);
      const t4 = f.net.now + ARRIVE;
      const rtx2 = peer.expect({ seq: peer.s(5 * M), len: M }, 10, 'NewReno: retransmit the next hole');
      assert.equal(rtx2.time, t4, 'at the partial ACK, not at an RTO');
      all.push(rtx2);
      // from here the peer receives everything
      for (let i = 0; i < 30 && app.sent < data.length; i++) {
        f.net.run(5);
        const segs = peer.drain();
        all.push(...segs);
        const hi = all.reduce((m, s) => Math.max(m, sdiff(peer.s(0), sq(s.seq, s.len))), 0);
        ack(hi);
      }
      f.net.run(5);
      assert.equal(app.sent, data.length, 'everything acknowledged');
      assert.deepEqual(Array.from(stream(all, peer.s(0))), Array.from(data));
      const sends = new Map<number, number>();
      for (const s of all) if (s.len > 0) sends.set(s.seq, (sends.get(s.seq) ?? 0) + 1);
      const rtx = [...sends.entries()].filter(([, n]) => n > 1).map(([s]) => sdiff(peer.s(0), s) / M);
      assert.deepEqual(rtx.sort((a, b) => a - b), [2, 5], 'only the two lost segments were sent twice (no RTO)');
      finish(f, [f.lis], [app]);
    });

    it('RTO (RFC 6298): 1 s initially, doubled at each expiry; Karn: the backed-off RTO stays until a valid sample', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      const t0 = f.net.now;
      assert.equal(app.write(patternBytes(100)), ERR_OK);
      peer.expect({ seq: peer.s(0), len: 100, time: t0 }, 10);
      peer.expect({ seq: peer.s(0), len: 100, time: t0 + 1000 }, 1100, 'retransmission 1 (RTO 1 s)');
      peer.expect({ seq: peer.s(0), len: 100, time: t0 + 3000 }, 2100, 'retransmission 2 (RTO 2 s)');
      peer.expect({ seq: peer.s(0), len: 100, time: t0 + 7000 }, 4100, 'retransmission 3 (RTO 4 s)');
      // the retransmission is acknowledged: an ambiguous measurement, not taken (Karn); RTO stays 8 s
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(100) });
      f.net.run(10);
      const t1 = f.net.now;
      assert.equal(app.write(patternBytes(100, 100)), ERR_OK);
      peer.expect({ seq: peer.s(100), time: t1 }, 10);
      peer.expect({ seq: peer.s(100), time: t1 + 8000 }, 8100, 'backed-off RTO kept for new data');
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(200) });
      f.net.run(10);
      // a clean sample (300 ms): RTO recomputed, clamped at the 1 s minimum
      const t2 = f.net.now;
      assert.equal(app.write(patternBytes(100, 200)), ERR_OK);
      peer.expect({ seq: peer.s(200), time: t2 }, 10);
      f.net.run(t2 + 299 - f.net.now);
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(300) });
      f.net.run(10);
      const t3 = f.net.now;
      assert.equal(app.write(patternBytes(100, 300)), ERR_OK);
      peer.expect({ seq: peer.s(300), time: t3 }, 10);
      peer.expect({ seq: peer.s(300), time: t3 + 1000 }, 1100, 'RTO back to max(1 s, SRTT + 4 RTTVAR)');
      finish(f, [f.lis], [app]);
    });

    it('RTO follows SRTT and RTTVAR after samples (TCP_RTO_MIN 100 ms), checked against the RFC 6298 formulas', () => {
      // the handshake's ACK comes 300 ms after the SYN-ACK: the first sample
      const f = established({ isn: PISN, config: { TCP_RTO_MIN: 100 }, rtt: 300 });
      const { peer, app } = f;
      const model = new Rfc6298(100, 60000);
      model.sample(300);
      let off = 0;
      for (const r of [300, 100, 500, 250, 250]) {
        const t = f.net.now;
        assert.equal(app.write(patternBytes(50, off)), ERR_OK);
        peer.expect({ seq: peer.s(off), len: 50, time: t }, 10);
        off += 50;
        f.net.run(t + r - ARRIVE - f.net.now);
        peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(off) });
        f.net.run(ARRIVE);
        assert.ok(r < model.rto, 'sample ' + r + ' below the RTO ' + model.rto);
        model.sample(r);
        peer.expectNone(5);
      }
      const t = f.net.now;
      assert.equal(app.write(patternBytes(50, off)), ERR_OK);
      peer.expect({ seq: peer.s(off), time: t }, 10);
      const want = t + Math.ceil(model.rto);
      const r1 = peer.expect({ seq: peer.s(off) }, 5000, 'retransmission');
      assert.equal(r1.time, want, 'RTO = ' + model.rto.toFixed(3) + ' (SRTT ' + model.srtt.toFixed(3) + ', RTTVAR ' + model.rttvar.toFixed(3) + ')');
      const r2 = peer.expect({ seq: peer.s(off) }, 10000, 'second retransmission');
      assert.equal(r2.time - r1.time, 2 * Math.ceil(model.rto), 'doubled');
      finish(f, [f.lis], [app]);
    });

    it('Karn\'s rule: the ACK of a retransmitted segment gives no RTT sample', () => {
      const f = established({ isn: PISN, config: { TCP_RTO_MIN: 100 }, rtt: 300 });
      const { peer, app } = f;
      const model = new Rfc6298(100, 60000);
      model.sample(300);
      // one clean 200 ms sample
      let t = f.net.now;
      app.write(patternBytes(10));
      peer.expect({ seq: peer.s(0), time: t }, 10);
      f.net.run(t + 200 - ARRIVE - f.net.now);
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(10) });
      f.net.run(ARRIVE);
      model.sample(200);
      const rto1 = Math.ceil(model.rto);
      // lost once, retransmitted at t + rto1, then acknowledged late (1500 ms after the first send)
      t = f.net.now;
      app.write(patternBytes(10, 10));
      peer.expect({ seq: peer.s(10), time: t }, 10);
      peer.expect({ seq: peer.s(10), time: t + rto1 }, rto1 + 10, 'retransmission');
      f.net.run(t + 1500 - ARRIVE - f.net.now);
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(20) });
      f.net.run(ARRIVE);
      // a wrong sample (1500 from the first send, or 1500 - rto1 from the retransmission) would give:
      const wrong1 = new Rfc6298(100, 60000); wrong1.sample(300); wrong1.sample(200); wrong1.sample(1500);
      const wrong2 = new Rfc6298(100, 60000); wrong2.sample(300); wrong2.sample(200); wrong2.sample(1500 - rto1);
      const backedOff = 2 * rto1;
      assert.notEqual(Math.ceil(wrong1.rto), backedOff);
      assert.notEqual(Math.ceil(wrong2.rto), backedOff);
      t = f.net.now;
      app.write(patternBytes(10, 20));
      peer.expect({ seq: peer.s(20), time: t }, 10);
      const r = peer.expect({ seq: peer.s(20) }, 10000, 'retransmission of the next segment');
      assert.equal(r.time - t, backedOff, 'the backed-off RTO, untouched by the ambiguous ACK');
      finish(f, [f.lis], [app]);
    });

    it('SYN retransmission: 1, 2, 4, 8, 16, 32 s; gives up after TCP_SYNMAXRTX with tcp_err(ERR_TIMEOUT)', () => {
      const f = setup();
      const { peer, stack } = f;
      const t0 = f.net.now;
      const app = connect(stack, '10.0.0.2', 5000);
      const syn = peer.expect({ flags: 'S', time: t0 }, 10);
      let t = t0;
      for (const gap of [1000, 2000, 4000, 8000, 16000, 32000]) {
        t += gap;
        peer.expect({ flags: 'S', seq: syn.seq, mss: 1460, time: t }, gap + 10, 'SYN after ' + gap + ' ms');
      }
      // RTO would be 64 s; RFC 6298 §2.5 allows a 60 s maximum (TCP_RTO_MAX)
      f.net.runUntil(() => app.err !== null, 70000);
      assert.equal(app.err, ERR_TIMEOUT, 'tcp_err ' + app.errName());
      assert.equal(app.errTime, t + 60000);
      assert.equal(tcp_is_alive(app.pcb), false);
      peer.expectNone(100);
      finish(f);
    });

    it('SYN-ACK retransmission in SYN_RCVD (1 s, 2 s), then the embryonic connection is dropped', () => {
      const f = setup({ config: { TCP_SYNACK_MAXRTX: 2 } });
      const { peer, stack } = f;
      const lis = listen(stack, 80);
      peer.send({ flags: 'S', seq: PISN, mss: 1460 });
      const sa = peer.expect({ flags: 'S.' }, 10);
      peer.expect({ flags: 'S.', seq: sa.seq, time: sa.time + 1000 }, 1100);
      peer.expect({ flags: 'S.', seq: sa.seq, time: sa.time + 3000 }, 2100);
      f.net.run(sa.time + 7000 - f.net.now);
      assert.equal(stateOf(stack, 80, peer.port), undefined, 'dropped when the third RTO expires');
      assert.equal(stateOf(stack, 80), 'LISTEN');
      assert.equal(lis.apps.length, 0);
      finish(f, [lis]);
    });

    it('after a retransmitted SYN, the RTO for data starts at 3 s (RFC 6298 §5.7)', () => {
      const f = setup();
      const { peer, stack } = f;
      const app = connect(stack, '10.0.0.2', 5000);
      const syn = peer.expect({ flags: 'S' }, 10);
      peer.expect({ flags: 'S', seq: syn.seq }, 1100, 'retransmitted SYN');
      peer.peerIsn = PISN;
      peer.stackIsn = syn.seq;
      peer.port = 5000;
      peer.stackPort = syn.srcPort;
      peer.send({ flags: 'S.', seq: PISN, ack: sq(syn.seq, 1), mss: 1460 });
      peer.expect({ flags: '.' }, 10);
      const t = f.net.now;
      assert.equal(app.write(patternBytes(10)), ERR_OK);
      peer.expect({ seq: peer.s(0), time: t }, 10);
      peer.expect({ seq: peer.s(0), time: t + 3000 }, 3100, 'first data retransmission after 3 s');
      finish(f, [], [app]);
    });

    it('data retransmissions exhausted (TCP_MAXRTX): the connection is aborted with tcp_err(ERR_TIMEOUT)', () => {
      const f = established({ isn: PISN, config: { TCP_MAXRTX: 3 } });
      const { peer, app, stack } = f;
      const t0 = f.net.now;
      assert.equal(app.write(patternBytes(100)), ERR_OK);
      peer.expect({ time: t0, len: 100 }, 10);
      for (const dt of [1000, 3000, 7000]) peer.expect({ seq: peer.s(0), len: 100, time: t0 + dt }, 5000);
      f.net.runUntil(() => app.err !== null, 10000);
      assert.equal(app.err, ERR_TIMEOUT, 'tcp_err ' + app.errName());
      assert.equal(app.errTime, t0 + 15000, 'when the RTO after the last retransmission expires');
      assert.equal(tcp_is_alive(app.pcb), false);
      assert.equal(stateOf(stack, 80, peer.port), undefined);
      peer.drain();
      finish(f, [f.lis]);
    });
  });

  describe('keepalive (RFC 1122 §4.2.3.6)', () => {
    it('probes <SEQ=SND.NXT-1> after the idle time, every interval; unanswered -> RST and tcp_err(ERR_TIMEOUT)', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      const tA = f.net.now; // the handshake's ACK was the last segment received
      ip_set_option(app.pcb, SOF_KEEPALIVE);
      assert.equal(tcp_keepalive_set(app.pcb, 10000, 1000, 3), ERR_OK);
      for (const dt of [10000, 11000, 12000]) {
        peer.expect({ flags: '.', seq: peer.s(-1), ack: peer.p(0), len: 0, time: tA + dt }, 11000, 'probe at +' + dt);
      }
      const r = peer.expect({}, 2000, 'reset');
      assert.ok(r.flags.includes('R'), 'RST, got ' + r.flags);
      assert.equal(r.time, tA + 13000);
      assert.equal(app.err, ERR_TIMEOUT, 'tcp_err ' + app.errName());
      finish(f, [f.lis]);
    });

    it('an answered probe keeps the connection; probing resumes after a new idle period', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      const tA = f.net.now;
      ip_set_option(app.pcb, SOF_KEEPALIVE);
      tcp_keepalive_set(app.pcb, 10000, 1000, 3);
      peer.expect({ seq: peer.s(-1), time: tA + 10000 }, 11000);
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(0) });
      const tB = f.net.now + ARRIVE;
      peer.expect({ seq: peer.s(-1), time: tB + 10000 }, 11000, 'next probe after a full idle time');
      assert.equal(tcp_state_name(app.pcb), 'ESTABLISHED');
      finish(f, [f.lis], [app]);
    });

    it('a keepalive probe from the peer <SEQ=RCV.NXT-1> is answered with an ACK', () => {
      // RFC 1122 §4.2.3.6: the probe is "SEG.SEQ = SND.NXT-1" so that the receiver answers it as an
      // unacceptable segment (RFC 9293 §3.10.7.4); an unanswered peer drops the connection
      const f = established({ isn: PISN });
      const { peer, app } = f;
      peer.send({ flags: '.', seq: peer.p(-1), ack: peer.s(0) });
      peer.expect({ flags: '.', seq: peer.s(0), ack: peer.p(0), time: f.net.now + ARRIVE }, 10, 'keepalive answered');
      f.net.run(500); // ACKs to unacceptable segments: one per TCP_OOW_ACK_INTERVAL per connection
      peer.send({ flags: '.', seq: peer.p(-1), ack: peer.s(0), data: 'g' }); // with one garbage octet
      peer.expect({ flags: '.', seq: peer.s(0), ack: peer.p(0) }, 10, 'keepalive with a garbage octet answered');
      assert.equal(app.received.length, 0);
      finish(f, [f.lis], [app]);
    });

    it('off unless SOF_KEEPALIVE is set; a listener passes its settings to accepted connections', () => {
      const f = setup();
      const { peer, stack } = f;
      const lis = listen(stack, 80);
      tcp_keepalive_set(lis.pcb, 5000, 1000, 2);
      peer.port = 40001;
      peer.handshake({ isn: PISN });
      peer.expectNone(8000, 'SOF_KEEPALIVE not set: no probes');
      ip_set_option(lis.pcb, SOF_KEEPALIVE);
      peer.port = 40002;
      peer.handshake({ isn: 100 });
      const tA = f.net.now;
      const p = peer.expect({ flags: '.', dstPort: 40002, seq: peer.s(-1) }, 6000);
      assert.equal(p.time, tA + 5000, 'inherited idle time');
      finish(f, [lis], lis.apps);
    });
  });

  describe('half-close', () => {
    it('after tcp_shutdown(tx) we still receive until the peer closes (FIN_WAIT_2 -> TIME_WAIT)', () => {
      const f = established({ isn: PISN });
      const { peer, app, stack } = f;
      assert.equal(tcp_shutdown(app.pcb, false, true), ERR_OK);
      peer.expect({ flags: 'F.', seq: peer.s(0), ack: peer.p(0) }, 10);
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(1) });
      f.net.run(ARRIVE);
      assert.equal(stateOf(stack, 80, peer.port), 'FIN_WAIT_2');
      const data = patternBytes(5000, 0, 7);
      for (let off = 0; off < 5000; off += 1460) {
        peer.send({ flags: '.', seq: peer.p(off), ack: peer.s(1), data: data.slice(off, Math.min(5000, off + 1460)) });
      }
      f.net.run(300);
      assert.equal(peer.drain().pop()?.ack, peer.p(5000));
      assert.deepEqual(Array.from(app.received.bytes()), Array.from(data));
      peer.send({ flags: 'F.', seq: peer.p(5000), ack: peer.s(1) });
      peer.expect({ flags: '.', seq: peer.s(1), ack: peer.p(5001) }, 10);
      assert.equal(app.fin, true);
      assert.equal(stateOf(stack, 80, peer.port), 'TIME_WAIT');
      tcp_close(app.pcb);
      finish(f, [f.lis]);
    });

    it('after the peer\'s FIN we can still send (CLOSE_WAIT), then close (LAST_ACK -> CLOSED)', () => {
      const f = established({ isn: PISN });
      const { peer, app, stack } = f;
      peer.send({ flags: 'F.', seq: peer.p(0), ack: peer.s(0) });
      peer.expect({ flags: '.', ack: peer.p(1) }, 10);
      assert.equal(stateOf(stack, 80, peer.port), 'CLOSE_WAIT');
      const data = patternBytes(5000, 0, 8);
      assert.equal(app.write(data), ERR_OK);
      const segs = ackAll(peer, 50);
      assert.deepEqual(Array.from(stream(segs, peer.s(0))), Array.from(data));
      assert.equal(app.sent, 5000);
      assert.equal(tcp_close(app.pcb), ERR_OK);
      peer.expect({ flags: 'F.', seq: peer.s(5000), ack: peer.p(1) }, 10);
      peer.send({ flags: '.', seq: peer.p(1), ack: peer.s(5001) });
      f.net.run(ARRIVE);
      assert.equal(stateOf(stack, 80, peer.port), undefined);
      finish(f, [f.lis]);
    });

    it('tcp_shutdown(rx): later data is acknowledged and discarded, the window stays open', () => {
      const f = established({ isn: PISN, config: { TCP_QUICKACKS: 0 } });
      const { peer, app } = f;
      assert.equal(tcp_shutdown(app.pcb, true, false), ERR_OK);
      for (let i = 0; i < 8; i++) peer.send({ flags: '.', seq: peer.p(i * 1460), ack: peer.s(0), data: patternBytes(1460) });
      f.net.run(300);
      const last = peer.drain().pop() as Seg;
      assert.equal(last.ack, peer.p(8 * 1460), 'acknowledged');
      assert.ok(last.win >= 8192 - 1460, 'window not consumed: ' + last.win);
      assert.equal(app.recvCalls, 0, 'nothing delivered');
      finish(f, [f.lis], [app]);
    });
  });

  describe('sequence numbers wrapping at 2^32', () => {
    it('receiving across the wrap, in and out of order', () => {
      const f = established({ isn: 0xffffff00 });
      const { peer, app } = f;
      const data = patternBytes(1000, 0, 13);
      const order = [3, 0, 5, 1, 4, 2, 9, 6, 8, 7];
      for (const i of order) peer.send({ flags: '.', seq: peer.p(i * 100), ack: peer.s(0), data: data.slice(i * 100, i * 100 + 100) });
      f.net.run(300);
      assert.equal(peer.drain().pop()?.ack, peer.p(1000));
      assert.ok(peer.p(1000) < peer.p(0), 'the peer\'s sequence numbers did wrap: ' + hex(peer.p(0)) + ' .. ' + hex(peer.p(1000)));
      assert.deepEqual(Array.from(app.received.bytes()), Array.from(data));
      finish(f, [f.lis], [app]);
    });

    it('sending across the wrap (our ISN steered near 2^32 through the RFC 6528 clock), with a retransmission', () => {
      const f = setup();
      const { peer, stack, net } = f;
      // learn the ISN clock: the same 4-tuple at two times (RFC 6528: ISN = M + F(4-tuple, key), M a 4 µs timer)
      const isnAt = (): number => {
        const pcb = tcp_new(stack) as TcpPcb;
        tcp_bind(pcb, 0, 50000);
        tcp_connect(pcb, '10.0.0.2', 5000, null);
        const s = peer.expect({ flags: 'S' }, 10);
        tcp_abort(pcb);
        return s.seq;
      };
      const t0 = net.now; const i0 = isnAt();
      net.run(1000);
      const t1 = net.now; const i1 = isnAt();
      const rate = ((i1 - i0) >>> 0) / (t1 - t0);
      assert.ok(rate > 0 && rate < 1e6, 'ISN clock rate ' + rate + ' per ms');
      // jump the clock so that the next ISN lands ~8000 below 2^32
      const wait = Math.ceil((((2 ** 32 - 8000) - i1) >>> 0) / rate);
      net.clock.set(net.now + wait);
      peer.primeArp();
      const app = connect(stack, '10.0.0.2', 5000, { localPort: 50000 });
      peer.acceptHandshake({ isn: PISN });
      const isn = peer.stackIsn as number;
      assert.ok(isn > 2 ** 32 - 20000, 'ISN near 2^32: ' + hex(isn) + ' (wait ' + wait + ' ms)');
      const data = patternBytes(12000, 0, 17);
      const segs: Seg[] = [];   // everything the stack sent
      const got: Seg[] = [];    // what reached the peer (the one lost segment excluded)
      let lost: Seg | null = null;
      let off = 0;
      for (let i = 0; i < 300 && stream(got, peer.s(0)).length < data.length; i++) {
        if (off < data.length && tcp_write(app.pcb, data, 4000, TCP_WRITE_FLAG_COPY, off) === ERR_OK) {
          off += 4000;
          tcp_output(app.pcb);
        }
        const s = peer.next(3000);
        if (s === null) break;
        segs.push(s);
        if (s.len === 0) continue;
        // the first data segment lying wholly past the wrap is lost once: recovery must resend it
        if (lost === null && s.seq < isn && sq(s.seq, s.len) < isn) { lost = s; continue; }
        got.push(s);
        peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(stream(got, peer.s(0)).length) });
      }
      assert.ok(lost !== null, 'a segment past the wrap was lost');
      const lostSeq = lost.seq;
      assert.ok(segs.filter((x) => x.seq === lostSeq && x.len > 0).length >= 2, 'and retransmitted (seq ' + hex(lostSeq) + ')');
      assert.deepEqual(Array.from(stream(got, peer.s(0))), Array.from(data));
      assert.ok(sq(peer.s(0), 12000) < isn, 'our sequence numbers wrapped');
      f.net.run(3000);
      assert.equal(app.sent, 12000);
      finish(f, [], [app]);
    });
  });

});
