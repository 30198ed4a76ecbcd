/**
 * TCP options: window scale and timestamps (RFC 7323), SACK-permitted and the SACK blocks we send
 * (RFC 2018). Negotiation from the two SYNs, scaled windows both ways, TSval / TS.Recent / PAWS /
 * RTTM, SACK blocks from the out-of-order queue, received blocks checked against the send window,
 * malformed options counted. The peer is a raw endpoint that writes its options byte by byte.
 */
import assert from 'node:assert/strict';
import { tcp_abort, tcp_is_alive, tcp_close } from '../../src/api/tcp_api.js';
import type { Tcb } from '../../src/tcp/tcb.js';
import { TcpSegInfo } from '../../src/wire/tcp.js';
import {
  rcvScaleFor, pawsReject, tsEchoRtt, validSackBlocks, PAWS_IDLE_MS, expectedSamples,
} from '../../src/tcp/options.js';
import { readOptions, type TcpOptionSpec } from '../../tools/rawpeer.js';
import { assertPoolsFull } from '../helpers/pools.js';
import {
  setup, listen, connect, sq, patternBytes, type Fixture, type Seg, type App, type Listener,
} from '../helpers/tcppeer.js';
import { MockNet } from '../../tools/mocknet.js';
import type { StackConfig } from '../../src/core/config.js';
import { Tcb as TcbClass } from '../../src/tcp/tcb.js';

const PISN = 0x7ffffff0;

// --- the peer's option bytes --------------------------------------------------------------------
function be32(v: number): number[] { return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]; }
const NOP = [1];
const SACK_PERM = [4, 2];
const ws = (n: number): number[] => [1, 3, 3, n];
const ts = (val: number, ecr: number): number[] => [1, 1, 8, 10, ...be32(val), ...be32(ecr)];
const sack = (...edges: number[]): number[] => [1, 1, 5, 2 + edges.length * 4, ...edges.flatMap(be32)];
const bytes = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());

function opts(s: Seg): TcpOptionSpec[] {
  const o = readOptions(s.options, 0, s.options.length);
  assert.ok(o !== null, 'malformed options from the stack');
  return o;
}
function kinds(s: Seg): string {
  return opts(s).map((o) => o.kind).join(',');
}
function tsOf(s: Seg): { val: number; ecr: number } | null {
  const t = opts(s).find((o) => o.kind === 'TS');
  return t !== undefined && t.kind === 'TS' ? { val: t.val, ecr: t.ecr } : null;
}
function sackOf(s: Seg): number[][] {
  const t = opts(s).find((o) => o.kind === 'sack');
  return t !== undefined && t.kind === 'sack' ? t.blocks : [];
}
function conn(app: App): Tcb {
  const c = app.pcb.conn;
  assert.ok(c !== null, 'connection alive');
  return c;
}

/** A listener on port 80 and the peer's SYN with `synOpts` (after its MSS option): returns the
 *  SYN-ACK, then completes the handshake with `ackOpts`. */
function open(f: Fixture, synOpts: number[][], ackOpts: (synAck: Seg) => number[][] = () => [],
  win = 65535, ackWin = win): { lis: Listener; app: App; synAck: Seg } {
  const lis = listen(f.stack, 80);
  f.peer.peerIsn = PISN;
  f.peer.send({ flags: 'S', seq: PISN, mss: 1460, win, options: bytes(...synOpts) });
  const synAck = f.peer.expect({ flags: 'S.', ack: sq(PISN, 1) }, 100, 'SYN-ACK');
  f.peer.stackIsn = synAck.seq;
  f.peer.send({ flags: '.', seq: sq(PISN, 1), ack: sq(synAck.seq, 1), win: ackWin, options: bytes(...ackOpts(synAck)) });
  f.net.run(1);
  assert.equal(lis.apps.length, 1, 'accepted');
  return { lis, app: lis.apps[0], synAck };
}

/** setup() with every option on (TCP_TIMESTAMPS is off by default). */
function setupAll(config: Partial<StackConfig> = {}): Fixture {
  return setup({ config: { TCP_TIMESTAMPS: true, ...config } });
}

function finish(f: Fixture, apps: App[], lis: Listener[] = []): void {
  for (const a of apps) if (tcp_is_alive(a.pcb)) tcp_abort(a.pcb);
  for (const l of lis) tcp_close(l.pcb);
  f.net.run(3000);
  assertPoolsFull(f.stack);
}

describe('TCP options (RFC 7323, RFC 2018)', () => {
  describe('negotiation', () => {
    it('our SYN offers what is configured, laid out as Linux does: mss,sackOK,TS,nop,wscale', () => {
      const f = setupAll();
      const app = connect(f.stack, '10.0.0.2', 4000);
      const syn = f.peer.expect({ flags: 'S' }, 100);
      assert.deepEqual(Array.from(syn.options.subarray(0, 6)), [2, 4, 0x05, 0xb4, 4, 2]);
      assert.equal(kinds(syn), 'mss,sackOK,TS,nop,wscale');
      assert.equal(tsOf(syn)?.ecr, 0, 'TSecr 0 in a SYN (RFC 7323 §3.2)');
      assert.equal(syn.hdrLen, 40);
      finish(f, [app]);
    });

    it('knobs off: the SYN carries MSS alone; TS or SACK alone are padded with NOPs', () => {
      const f = setupAll({ TCP_TIMESTAMPS: false, TCP_SACK: false, TCP_WND_SCALE: false });
      const a = connect(f.stack, '10.0.0.2', 4000);
      assert.equal(kinds(f.peer.expect({ flags: 'S' }, 100)), 'mss');
      finish(f, [a]);
      const g = setupAll({ TCP_SACK: false, TCP_WND_SCALE: false });
      const b = connect(g.stack, '10.0.0.2', 4000);
      assert.equal(kinds(g.peer.expect({ flags: 'S' }, 100)), 'mss,nop,nop,TS');
      finish(g, [b]);
      const h = setupAll({ TCP_TIMESTAMPS: false });
      const c = connect(h.stack, '10.0.0.2', 4000);
      assert.equal(kinds(h.peer.expect({ flags: 'S' }, 100)), 'mss,nop,nop,sackOK,nop,wscale');
      finish(h, [c]);
    });

    it('the SYN-ACK answers each option the SYN offered, and only those (the SYN_RCVD pcb keeps them)', () => {
      const f = setupAll();
      const { lis, app, synAck } = open(f, [SACK_PERM, ts(7000, 0), ws(7)], (sa) => [ts(7001, tsOf(sa)!.val)]);
      assert.equal(kinds(synAck), 'mss,sackOK,TS,nop,wscale');
      assert.equal(tsOf(synAck)?.ecr, 7000, 'the SYN-ACK echoes the SYN\'s TSval');
      const c = conn(app);
      assert.ok(c.wsOk && c.tsOk && c.sackOk);
      assert.equal(c.sndScale, 7);
      assert.equal(c.rcvScale, 0);
      finish(f, [app], [lis]);

      const g = setupAll();
      const r = open(g, [ws(3)]);
      assert.equal(kinds(r.synAck), 'mss,nop,wscale');
      const d = conn(r.app);
      assert.ok(d.wsOk && !d.tsOk && !d.sackOk);
      finish(g, [r.app], [r.lis]);

      const h = setupAll();
      const q = open(h, []);
      assert.equal(kinds(q.synAck), 'mss');
      assert.ok(!conn(q.app).wsOk && !conn(q.app).tsOk && !conn(q.app).sackOk);
      finish(h, [q.app], [q.lis]);
    });

    it('options the peer offers but we do not are declined', () => {
      const f = setupAll({ TCP_TIMESTAMPS: false, TCP_SACK: false, TCP_WND_SCALE: false });
      const { lis, app, synAck } = open(f, [SACK_PERM, ts(7000, 0), ws(7)]);
      assert.equal(kinds(synAck), 'mss');
      const c = conn(app);
      assert.ok(!c.wsOk && !c.tsOk && !c.sackOk);
      assert.equal(c.sndScale, 0);
      finish(f, [app], [lis]);
    });

    it('an active open keeps only what the SYN-ACK carries too', () => {
      const f = setupAll();
      const app = connect(f.stack, '10.0.0.2', 4000);
      const syn = f.peer.expect({ flags: 'S' }, 100);
      f.peer.port = syn.dstPort; f.peer.stackPort = syn.srcPort; f.peer.stackIsn = syn.seq; f.peer.peerIsn = PISN;
      f.peer.send({ flags: 'S.', seq: PISN, ack: sq(syn.seq, 1), mss: 1460, options: bytes(SACK_PERM, ws(5)) });
      const ack = f.peer.expect({ flags: '.' }, 100);
      assert.equal(kinds(ack), '', 'no timestamps: the SYN-ACK had none');
      const c = conn(app);
      assert.ok(c.wsOk && c.sackOk && !c.tsOk);
      assert.equal(c.sndScale, 5);
      assert.equal(c.mss, 1460, 'no timestamps: the full MSS');
      finish(f, [app]);
    });
  });

  describe('window scale (RFC 7323 §2)', () => {
    it('the peer\'s window is shifted by its scale on every segment but the SYN', () => {
      const f = setupAll();
      const { lis, app } = open(f, [ws(4)], () => [], 1000, 100);
      const c = conn(app);
      assert.equal(c.sndWnd, 1600, 'the ACK\'s window 100 << 4');
      f.peer.send({ flags: '.', seq: f.peer.p(0), ack: f.peer.s(0), win: 3000 });
      f.net.run(1);
      assert.equal(c.sndWnd, 48000);
      assert.equal(c.sndWndMax, 48000);
      finish(f, [app], [lis]);
    });

    it('a window scaled past 64 KB lets more than 64 KB be in flight', () => {
      const f = setupAll({ TCP_SND_BUF: 120000, TCP_SND_QUEUELEN: 100, MEMP_NUM_TCP_SEG: 120, PBUF_POOL_SIZE: 140 });
      const { lis, app } = open(f, [ws(7)], () => [], 65535, 1000);
      const c = conn(app);
      c.cwnd = 200000; // the congestion window is not what is tested here
      assert.equal(app.write(100000), 0);
      f.net.run(1);
      const sent = f.peer.drain().reduce((n, s) => n + s.len, 0);
      assert.equal(sent, 100000, '1000 << 7 = 128000 octets of window');
      finish(f, [app], [lis]);
    });

    it('our window field is the window shifted right by our scale; the SYN\'s is not scaled', () => {
      const f = setupAll({ TCP_WND: 200000 });
      const { lis, app, synAck } = open(f, [ws(7)]);
      assert.equal(synAck.win, 65535, 'a SYN\'s window is never scaled (§2.2), capped at 65535');
      assert.equal(opts(synAck).find((o) => o.kind === 'wscale')?.kind === 'wscale' ? (opts(synAck).find((o) => o.kind === 'wscale') as { value: number }).value : -1, 2);
      app.opts.autoRecved = false;
      f.peer.send({ flags: 'P.', seq: f.peer.p(0), ack: f.peer.s(0), data: 1000 });
      const a1 = f.peer.expect({ flags: '.', ack: f.peer.p(1000) }, 100);
      assert.equal(a1.win, (200000 - 1000) / 4);
      // 1001 more octets, unread: the free window, 197999, is not a multiple of 4; rounding it down
      // would move the right edge left (RFC 7323 §2.4): it is rounded up instead
      f.peer.send({ flags: 'P.', seq: f.peer.p(1000), ack: f.peer.s(0), data: 1001 });
      const a2 = f.peer.expect({ flags: '.', ack: f.peer.p(2001) }, 100);
      assert.equal(a2.win, 49500);
      assert.ok(a2.win * 4 + 2001 >= a1.win * 4 + 1000, 'the right edge never moves left');
      assert.equal(rcvScaleFor(65535), 0);
      assert.equal(rcvScaleFor(65536), 1);
      assert.equal(rcvScaleFor(0x40000000), 14);
      finish(f, [app], [lis]);
    });

    it('without the peer\'s window scale a window above 64 KB is capped at 65535', () => {
      const f = setupAll({ TCP_WND: 200000 });
      const { lis, app, synAck } = open(f, []);
      assert.equal(synAck.win, 65535);
      const c = conn(app);
      assert.equal(c.rcvWndMax, 65535);
      f.peer.send({ flags: 'P.', seq: f.peer.p(0), ack: f.peer.s(0), data: 1000 });
      assert.equal(f.peer.expect({ flags: '.', ack: f.peer.p(1000) }, 100).win, 65535 - 1000, 'not 65535: the window itself is 65535');
      finish(f, [app], [lis]);
    });
  });

  describe('timestamps (RFC 7323 §3-§5)', () => {
    function tsOpen(f: Fixture): { lis: Listener; app: App; synAck: Seg; base: number } {
      const r = open(f, [NOP, NOP, ts(1000, 0)], (sa) => [ts(1001, tsOf(sa)!.val)]);
      return { ...r, base: tsOf(r.synAck)!.val };
    }

    it('every segment carries TSval from the ms clock and echoes TS.Recent; the MSS leaves room for them', () => {
      const f = setupAll();
      const { lis, app, base } = tsOpen(f);
      assert.equal(conn(app).mss, 1460 - 12, 'RFC 6691');
      f.net.run(49);
      app.write(3000);
      const d1 = f.peer.expect({ flags: '.', len: 1448 }, 100);
      const d2 = f.peer.expect({ len: 1448 }, 100);
      assert.equal(d1.hdrLen, 32);
      assert.equal(tsOf(d1)?.ecr, 1001, 'the handshake ACK\'s TSval is TS.Recent');
      assert.equal(((tsOf(d1)!.val - base) | 0), Math.floor(d1.time) - Math.floor(f.peer.emitted[0].time));
      assert.ok(tsOf(d2) !== null);
      // FIN and RST (from an abort) carry them too
      f.peer.send({ flags: '.', seq: f.peer.p(0), ack: f.peer.s(2896), options: bytes(ts(1002, tsOf(d2)!.val)) });
      f.peer.expect({ len: 104 }, 100);
      f.net.run(1);
      tcp_close(app.pcb);
      const fin = f.peer.expect({ flags: 'F.' }, 100);
      assert.equal(tsOf(fin)?.ecr, 1002);
      f.peer.send({ flags: 'R', seq: f.peer.p(0) });
      finish(f, [app], [lis]);

      const g = setupAll();
      const r = tsOpen(g);
      tcp_abort(r.app.pcb);
      const rst = g.peer.expect({ flags: 'R.' }, 100);
      assert.ok(tsOf(rst) !== null, 'a RST ending the connection carries timestamps (§3.2: SHOULD)');
      finish(g, [r.app], [r.lis]);
    });

    it('without negotiation no segment carries them', () => {
      const f = setupAll();
      const { lis, app } = open(f, [ws(1)]);
      app.write(100);
      const d = f.peer.expect({ len: 100 }, 100);
      assert.equal(d.hdrLen, 20);
      finish(f, [app], [lis]);
    });

    it('connections have unrelated TSval clocks (a per-connection offset, §5.4)', () => {
      const f = setupAll();
      const lis = listen(f.stack, 80);
      f.peer.send({ flags: 'S', seq: PISN, mss: 1460, options: bytes(ts(5, 0)), srcPort: 1111 });
      const a = f.peer.expect({ flags: 'S.' }, 100);
      f.peer.send({ flags: 'S', seq: PISN, mss: 1460, options: bytes(ts(5, 0)), srcPort: 2222 });
      const b = f.peer.expect({ flags: 'S.' }, 100);
      assert.notEqual(tsOf(a)!.val, tsOf(b)!.val);
      for (const p of [1111, 2222]) f.peer.send({ flags: 'R', seq: sq(PISN, 1), srcPort: p });
      finish(f, [], [lis]);
    });

    it('TS.Recent follows §4.3: a delayed ACK echoes the earlier of the two segments it covers', () => {
      const f = setupAll({ TCP_QUICKACKS: 0 });
      const { lis, app } = tsOpen(f);
      f.peer.send({ flags: 'P.', seq: f.peer.p(0), ack: f.peer.s(0), data: 100, options: bytes(ts(2000, 0)) });
      f.net.run(5);
      f.peer.send({ flags: 'P.', seq: f.peer.p(100), ack: f.peer.s(0), data: 100, options: bytes(ts(2005, 0)) });
      const a = f.peer.expect({ flags: '.', ack: f.peer.p(200) }, 300);
      assert.equal(tsOf(a)?.ecr, 2000);
      finish(f, [app], [lis]);
    });

    it('PAWS drops a segment with an old TSval (ACK sent, counted); RSTs and segments without timestamps are exempt', () => {
      const f = setupAll();
      const { lis, app } = tsOpen(f);
      f.peer.send({ flags: 'P.', seq: f.peer.p(0), ack: f.peer.s(0), data: 100, options: bytes(ts(2000, 0)) });
      f.peer.expect({ flags: '.', ack: f.peer.p(100) }, 100);
      const drops = f.stack.tcp.pawsDropped;
      f.peer.send({ flags: 'P.', seq: f.peer.p(100), ack: f.peer.s(0), data: 100, options: bytes(ts(1999, 0)) });
      const dup = f.peer.expect({ flags: '.', ack: f.peer.p(100) }, 100);
      assert.equal(tsOf(dup)?.ecr, 2000);
      assert.equal(f.stack.tcp.pawsDropped, drops + 1);
      assert.equal(app.received.bytes().length, 100);
      // no timestamps at all: taken (as Linux takes it)
      f.peer.send({ flags: 'P.', seq: f.peer.p(100), ack: f.peer.s(0), data: 100 });
      f.peer.expect({ flags: '.', ack: f.peer.p(200) }, 600);
      // a RST with an old TSval, at RCV.NXT: accepted
      f.peer.send({ flags: 'R', seq: f.peer.p(200), options: bytes(ts(5, 0)) });
      f.net.run(1);
      assert.equal(tcp_is_alive(app.pcb), false);
      finish(f, [app], [lis]);
    });

    it('TS.Recent idle for 24 days is no longer valid (§5.5)', () => {
      const c = new TcbClass();
      const h = new TcpSegInfo();
      c.tsRecent = 5000; c.tsRecentAt = 0;
      h.optTsVal = 4000;
      assert.equal(pawsReject(c, h, 1000), true);
      assert.equal(pawsReject(c, h, PAWS_IDLE_MS + 1), false);
      assert.equal(c.tsRecent, 4000, 'the old value is replaced');
      h.optTsVal = 0x00000010; c.tsRecent = 0xfffffff0; c.tsRecentAt = 0;
      assert.equal(pawsReject(c, h, 10), false, 'timestamps compare modulo 2^32');
    });

    it('RTTM: an echo measures the RTT, also for a retransmitted segment (where Karn gives none)', () => {
      const f = setupAll();
      const { lis, app } = tsOpen(f);
      const c = conn(app);
      app.write(100);
      const d = f.peer.expect({ len: 100 }, 100);
      f.peer.lose = () => true;
      f.net.runUntil(() => f.peer.lost.length > 0, 3000);
      const r = f.peer.lost[0];
      assert.ok(r !== undefined && r.len === 100, 'retransmitted after the RTO');
      f.peer.lose = null;
      assert.equal(c.rttStart, -1, 'Karn: nothing timed across the retransmission');
      const s0 = c.srtt;
      f.net.run(40);
      // the echo names the retransmission: 40 ms ago
      f.peer.send({ flags: '.', seq: f.peer.p(0), ack: f.peer.s(100), options: bytes(ts(3000, tsOf(f.peer.lost[0])!.val)) });
      f.net.run(1);
      assert.ok(Math.abs(c.srtt - (0.875 * s0 + 0.125 * 41)) < 0.2, 'srtt ' + c.srtt + ' from ' + s0);
      assert.ok(d.time < r.time);
      finish(f, [app], [lis]);
    });

    it('an echo later than our clock or older than the connection is counted and not used', () => {
      const f = setupAll();
      const { lis, app } = tsOpen(f);
      const c = conn(app);
      const before = f.stack.tcp.tsEcrIgnored;
      app.write(100);
      const d = f.peer.expect({ len: 100 }, 100);
      f.net.run(30);
      c.rttValid = false; c.rttStart = -1;
      f.peer.send({ flags: '.', seq: f.peer.p(0), ack: f.peer.s(100), options: bytes(ts(3000, (tsOf(d)!.val + 100000) >>> 0)) });
      f.net.run(1);
      assert.equal(f.stack.tcp.tsEcrIgnored, before + 1);
      assert.equal(c.rttValid, false, 'no sample from a future echo');
      app.write(100);
      const e = f.peer.expect({ len: 100 }, 100);
      f.peer.send({ flags: '.', seq: f.peer.p(0), ack: f.peer.s(200), options: bytes(ts(3001, (tsOf(e)!.val - 1000000) >>> 0)) });
      f.net.run(1);
      assert.equal(f.stack.tcp.tsEcrIgnored, before + 2);
      assert.ok(c.srtt < 1000, 'no sample from an echo older than the connection (srtt ' + c.srtt + ')');
      finish(f, [app], [lis]);
    });

    it('tsEchoRtt and expectedSamples (RFC 7323 §4.2)', () => {
      const c = new TcbClass();
      const h = new TcpSegInfo();
      c.tsOffset = 0xfffffff0; c.tsFirst = 0xfffffff0;
      h.optTsEcr = (0xfffffff0 + 30) >>> 0;
      assert.equal(tsEchoRtt(c, h, 100), 70, 'across the 2^32 wrap');
      h.optTsEcr = 0xffffffe0;
      assert.equal(tsEchoRtt(c, h, 100), -1);
      c.mss = 1000; c.sndUna = 0; c.sndMax = 8000;
      assert.equal(expectedSamples(c), 4);
      c.sndMax = 500;
      assert.equal(expectedSamples(c), 1);
    });
  });

  describe('SACK (RFC 2018)', () => {
    it('ACKs for out-of-order data carry up to 4 blocks, most recent first; 3 beside timestamps', () => {
      const f = setupAll();
      const { lis, app } = open(f, [NOP, NOP, SACK_PERM]);
      const p = (n: number): number => f.peer.p(n);
      const seen: number[][][] = [];
      for (const at of [100, 300, 500, 700]) {
        f.peer.send({ flags: 'P.', seq: p(at), ack: f.peer.s(0), data: 100 });
        seen.push(sackOf(f.peer.expect({ flags: '.', ack: p(0) }, 100)));
      }
      assert.deepEqual(seen[0], [[p(100), p(200)]]);
      assert.deepEqual(seen[3], [[p(700), p(800)], [p(500), p(600)], [p(300), p(400)], [p(100), p(200)]]);
      // joining two blocks: the joined one first
      f.peer.send({ flags: 'P.', seq: p(200), ack: f.peer.s(0), data: 100 });
      assert.deepEqual(sackOf(f.peer.expect({ flags: '.', ack: p(0) }, 100)), [[p(100), p(400)], [p(700), p(800)], [p(500), p(600)]]);
      finish(f, [app], [lis]);

      const g = setupAll();
      const r = open(g, [SACK_PERM, ts(1000, 0)], (sa) => [ts(1001, tsOf(sa)!.val)]);
      for (const at of [100, 300, 500, 700]) g.peer.send({ flags: 'P.', seq: g.peer.p(at), ack: g.peer.s(0), data: 100, options: bytes(ts(1002, 0)) });
      g.net.run(1);
      const acks = g.peer.drain();
      const last = acks[acks.length - 1];
      assert.equal(sackOf(last).length, 3);
      assert.equal(last.hdrLen, 60, '12 bytes of timestamps + 28 of SACK');
      assert.equal(sackOf(last)[0][0], g.peer.p(700));
      finish(g, [r.app], [r.lis]);
    });

    it('a FIN held out of order counts in its block\'s right edge', () => {
      const f = setupAll();
      const { lis, app } = open(f, [NOP, NOP, SACK_PERM]);
      f.peer.send({ flags: 'FP.', seq: f.peer.p(100), ack: f.peer.s(0), data: 100 });
      assert.deepEqual(sackOf(f.peer.expect({ flags: '.' }, 100)), [[f.peer.p(100), f.peer.p(201)]]);
      finish(f, [app], [lis]);
    });

    it('a data segment carries only the blocks its MSS leaves room for', () => {
      const f = setupAll();
      const { lis, app } = open(f, [NOP, NOP, SACK_PERM]);
      f.peer.send({ flags: 'P.', seq: f.peer.p(100), ack: f.peer.s(0), data: 100 });
      f.peer.expect({ flags: '.' }, 100);
      app.write(1460);
      const full = f.peer.expect({ len: 1460 }, 100);
      assert.deepEqual(sackOf(full), [], 'no room beside 1460 octets');
      app.write(100);
      const small = f.peer.next(300);
      assert.ok(small !== null && small.len === 100);
      assert.equal(sackOf(small).length, 1, 'room beside 100 octets');
      finish(f, [app], [lis]);
    });

    it('without SACK-permitted from the peer no blocks are sent', () => {
      const f = setupAll();
      const { lis, app } = open(f, []);
      f.peer.send({ flags: 'P.', seq: f.peer.p(100), ack: f.peer.s(0), data: 100 });
      assert.equal(f.peer.expect({ flags: '.' }, 100).hdrLen, 20);
      finish(f, [app], [lis]);
    });

    it('received blocks outside SND.UNA..SND.MAX are counted and ignored', () => {
      const f = setupAll();
      const { lis, app } = open(f, [NOP, NOP, SACK_PERM]);
      app.write(3000);
      f.net.run(1);
      f.peer.drain();
      const s = (n: number): number => f.peer.s(n);
      const before = f.stack.tcp.sackBlocksIgnored;
      f.peer.send({ flags: '.', seq: f.peer.p(0), ack: s(0),
        options: bytes(sack(s(1460), s(2920), s(2920), s(9000), s(0) - 100, s(10))) });
      f.net.run(1);
      assert.equal(f.stack.tcp.sackBlocksIgnored, before + 2);
      const c = new TcbClass();
      const h = new TcpSegInfo();
      c.sndUna = 100; c.sndMax = 200;
      h.sackCount = 4;
      h.sackBlocks.set([150, 160, 90, 120, 160, 150, 180, 200]);
      assert.equal(validSackBlocks(c, h), 2);
      assert.deepEqual(Array.from(h.sackBlocks.subarray(0, 4)), [150, 160, 180, 200]);
      finish(f, [app], [lis]);
    });
  });

  describe('malformed options', () => {
    it('bad lengths are counted (opterr) and the segment dropped without a reply', () => {
      const f = setupAll();
      const lis = listen(f.stack, 80);
      const bad = [
        [3, 4, 7, 0], // window scale of length 4
        [8, 8, 0, 0, 0, 1, 0, 0], // timestamps of length 8
        [5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1], // SACK of length 11
        [1, 1, 2, 9], // MSS running past the header
        [1, 1, 1, 30, 1], // an unknown kind's length past the header
      ];
      const before = f.stack.stats.tcp.opterr;
      for (const b of bad) f.peer.send({ flags: 'S', seq: PISN, options: Uint8Array.from(b) });
      f.peer.expectNone(100);
      assert.equal(f.stack.stats.tcp.opterr, before + bad.length);
      finish(f, [], [lis]);
    });
  });

  describe('two stacks with every option', () => {
    it('1 MiB over a 256 KB scaled window with timestamps and SACK, through loss', () => {
      const net = new MockNet({ seed: 7 });
      const big = { TCP_TIMESTAMPS: true, TCP_WND: 262144, PBUF_POOL_SIZE: 256, TCP_OOSEQ_MAX_SEGS: 64, MEMP_NUM_TCP_SEG: 256,
        TCP_SND_BUF: 65535, TCP_SND_QUEUELEN: 64 };
      const a = net.addStack({ ip: '10.0.0.1/24', config: big });
      const b = net.addStack({ ip: '10.0.0.2/24', config: big });
      const lis = listen(b, 80, { app: {} });
      const app = connect(a, '10.0.0.2', 80);
      net.runUntil(() => lis.apps.length === 1, 1000);
      const srv = lis.apps[0];
      const c = conn(app);
      assert.ok(c.tsOk && c.sackOk && c.wsOk);
      assert.equal(c.rcvScale, 3);
      const total = 1 << 20;
      const data = patternBytes(total);
      let off = 0;
      let dropped = 0;
      net.wire.dropIf(() => (++dropped % 97) === 0);
      while (srv.received.bytes().length < total && net.now < 60000) {
        while (off < total) {
          const n = Math.min(4096, total - off);
          if (app.write(data.subarray(off, off + n)) !== 0) break;
          off += n;
        }
        net.run(5);
      }
      assert.deepEqual(srv.received.bytes(), data);
      assert.ok(c.rttValid);
      tcp_close(app.pcb);
      tcp_close(srv.pcb);
      tcp_close(lis.pcb);
      net.run(130000);
      assertPoolsFull(a);
      assertPoolsFull(b);
    });
  });
});
