/**
 * ICMP errors delivered to the transports (RFC 1122 §3.2.2.1, §4.2.3.9, §4.1.3.3) and TCP's answer
 * to them, with RFC 5927 §4.1's sequence-number check: hard errors end a connection being opened
 * (tcp_err ERR_RST, nothing sent), soft errors are recorded and turn a later ERR_TIMEOUT into
 * ERR_RTE, synchronized connections are never aborted, and bad or unmatched messages are counted
 * and dropped without an answer.
 */
import assert from 'node:assert/strict';
import { ERR_OK, ERR_RST, ERR_RTE, ERR_TIMEOUT } from '../../src/core/err.js';
import { tcp_abort, tcp_close, tcp_is_alive } from '../../src/api/tcp_api.js';
import { udp_new, udp_bind, udp_connect, udp_remove } from '../../src/api/udp_api.js';
import { assertPoolsFull } from '../helpers/pools.js';
import { cksum, eth, get16, ip, ipv4, put16, put32 } from '../helpers/frames.js';
import {
  setup, established, connect, listen, traceStates, traceLines, stateOf, sq, patternBytes,
  type Fixture, type Seg, type TcpPeer, type App, type Listener,
} from '../helpers/tcppeer.js';

const PISN = 0xfffff000;
const ROUTER = ip('10.0.0.254');

const DUR = 3;
const SQ = 4;
const TE = 11;
const PP = 12;

/** An ICMP message with a valid checksum: type, code, 4 zero bytes, body (the quote). */
function icmpMsg(type: number, code: number, body: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + body.length);
  m[0] = type; m[1] = code; m.set(body, 8);
  put16(m, 2, cksum(m));
  return m;
}

interface QuoteOpts {
  src: number; dst: number; sport: number; dport: number; seq?: number;
  proto?: number; version?: number; ihl?: number; fragOff?: number;
  /** Bytes of the quoted transport header kept (default 8). */
  keep?: number;
}

/** The quote an ICMP error carries: the offending IPv4 header + the first octets of its payload. */
function quote(o: QuoteOpts): Uint8Array {
  const t = new Uint8Array(8);
  put16(t, 0, o.sport); put16(t, 2, o.dport);
  put32(t, 4, (o.seq ?? 0) >>> 0);
  const hl = o.ihl ?? 20;
  const q = ipv4({ src: o.src, dst: o.dst, proto: o.proto ?? 6, ihl: hl < 20 ? 20 : hl, totLen: hl + 44,
    fragOff: o.fragOff, id: 0x1234 }, t.subarray(0, o.keep ?? 8));
  if (o.version !== undefined) q[0] = (o.version << 4) | (q[0] & 0x0f);
  if (hl < 20) q[0] = (q[0] & 0xf0) | (hl >> 2);
  return q;
}

/** The quote of a segment the stack emitted (its own header fields, as a router would copy them). */
function quoteSeg(s: Seg, seq = s.seq): Uint8Array {
  return quote({ src: s.src, dst: s.dst, sport: s.srcPort, dport: s.dstPort, seq });
}

/** Sends an ICMP error to the stack from `from` (a router or the peer), through the peer's port. */
function sendIcmp(peer: TcpPeer, type: number, code: number, body: Uint8Array,
  opts: { from?: number; dst?: number; dstMac?: Uint8Array; raw?: Uint8Array } = {}): void {
  const msg = opts.raw ?? icmpMsg(type, code, body);
  const dg = ipv4({ src: opts.from ?? peer.ip, dst: opts.dst ?? peer.stackIp, proto: 1, id: 99 }, msg);
  assert.ok(peer.raw.send(eth(opts.dstMac ?? peer.stackMac, peer.raw.mac, 0x0800, dg)));
}

/** Records every ICMP message the stack sends (none is ever expected here). */
function watchIcmp(peer: TcpPeer): Uint8Array[] {
  const got: Uint8Array[] = [];
  peer.raw.onFrame((f) => {
    if (f.length >= 34 && get16(f, 12) === 0x0800 && f[23] === 1) got.push(f);
  });
  return got;
}

function finish(f: Fixture, apps: App[] = [], listeners: Listener[] = []): void {
  for (const a of apps) if (tcp_is_alive(a.pcb)) tcp_abort(a.pcb);
  for (const l of listeners) if (tcp_is_alive(l.pcb)) tcp_close(l.pcb);
  f.net.run(2100);
  f.peer.drain();
  assertPoolsFull(f.stack);
}

/** setup() + tcp_connect to the peer's port 5000; returns the SYN. */
function connecting(config = {}): Fixture & { app: App; syn: Seg; icmpOut: Uint8Array[] } {
  const f = setup({ config });
  const icmpOut = watchIcmp(f.peer);
  const app = connect(f.stack, '10.0.0.2', 5000);
  const syn = f.peer.expect({ flags: 'S' }, 10, 'SYN');
  f.peer.port = 5000;
  f.peer.stackPort = syn.srcPort;
  return { ...f, app, syn, icmpOut };
}

describe('ICMP errors to TCP and UDP (RFC 1122 §4.2.3.9, RFC 5927)', () => {
  describe('hard errors while opening', () => {
    it('port unreachable for our SYN: tcp_err(ERR_RST) at once, no more SYNs, no RST', () => {
      const f = connecting();
      const { net, stack, peer, app, syn } = f;
      const recs = traceStates(stack);
      sendIcmp(peer, DUR, 3, quoteSeg(syn));
      net.run(2);
      assert.equal(app.err, ERR_RST, 'tcp_err ' + app.errName());
      assert.equal(tcp_is_alive(app.pcb), false);
      assert.deepEqual(traceLines(recs), ['SYN_SENT>CLOSED(icmp)']);
      peer.expectNone(70000, 'nothing after the refusal');
      assert.equal(stack.stats.icmp.recv, 1);
      assert.equal(stack.stats.icmp.drop, 0);
      assert.equal(f.icmpOut.length, 0);
      finish(f);
    });

    for (const code of [2, 9, 10, 13]) {
      it('destination unreachable code ' + code + ' in SYN_SENT is hard too: ERR_RST', () => {
        const f = connecting();
        sendIcmp(f.peer, DUR, code, quoteSeg(f.syn), { from: ROUTER });
        f.net.run(2);
        assert.equal(f.app.err, ERR_RST, 'tcp_err ' + f.app.errName());
        f.peer.expectNone(5000);
        finish(f);
      });
    }

    it('a quoted sequence number other than the ISS is ignored (RFC 5927 §4.1): the SYN is retransmitted', () => {
      const f = connecting();
      const { net, stack, peer, app, syn } = f;
      for (const seq of [sq(syn.seq, 1), sq(syn.seq, -1), sq(syn.seq, 0x40000000), 0]) {
        sendIcmp(peer, DUR, 3, quoteSeg(syn, seq));
      }
      net.run(2);
      assert.equal(app.err, null);
      assert.equal(stack.stats.icmp.drop, 4);
      peer.expect({ flags: 'S', seq: syn.seq, time: syn.time + 1000 }, 1100, 'SYN retransmitted');
      assert.equal(app.err, null);
      assert.equal(f.icmpOut.length, 0);
      finish(f, [app]);
    });

    it('an active open in SYN_RCVD (simultaneous open) is refused the same way', () => {
      const f = connecting();
      const { net, stack, peer, app, syn } = f;
      peer.send({ flags: 'S', seq: PISN, mss: 1460 });
      const sa = peer.expect({ flags: 'S.', seq: syn.seq, ack: sq(PISN, 1) }, 10, 'SYN-ACK of the simultaneous open');
      assert.equal(stateOf(stack, syn.srcPort, 5000), 'SYN_RCVD');
      sendIcmp(peer, DUR, 3, quoteSeg(sa));
      net.run(2);
      assert.equal(app.err, ERR_RST, 'tcp_err ' + app.errName());
      assert.equal(stateOf(stack, syn.srcPort, 5000), undefined);
      peer.expectNone(5000);
      finish(f);
    });

    it('a passive open in SYN_RCVD goes away (its listener goes on, the backlog slot is free)', () => {
      const f = setup();
      const { net, stack, peer } = f;
      const recs = traceStates(stack);
      const lis = listen(stack, 80, { backlog: 1 });
      peer.send({ flags: 'S', seq: PISN, mss: 1460 });
      const sa = peer.expect({ flags: 'S.' }, 10);
      // the quote must carry the SYN-ACK's sequence number (our ISS) to be believed
      sendIcmp(peer, DUR, 3, quoteSeg(sa, sq(sa.seq, 1)));
      net.run(2);
      assert.equal(stateOf(stack, 80, peer.port), 'SYN_RCVD');
      sendIcmp(peer, DUR, 3, quoteSeg(sa));
      net.run(2);
      assert.equal(stateOf(stack, 80, peer.port), undefined);
      assert.equal(stateOf(stack, 80), 'LISTEN');
      assert.ok(traceLines(recs).includes('SYN_RCVD>LISTEN(icmp)'), traceLines(recs).join(' '));
      peer.expectNone(4000, 'no SYN-ACK retransmission');
      // the slot in the backlog (1) was given back: a new connection is accepted
      peer.handshake({ isn: PISN + 5000 });
      assert.equal(lis.apps.length, 1);
      assert.equal(stateOf(stack, 80, peer.port), 'ESTABLISHED');
      finish(f, lis.apps, [lis]);
    });
  });

  describe('soft errors', () => {
    it('host unreachable (code 1) in SYN_SENT: the SYN keeps being retried, the give-up reports ERR_RTE', () => {
      const f = connecting({ TCP_SYNMAXRTX: 2 });
      const { net, stack, peer, app, syn } = f;
      sendIcmp(peer, DUR, 1, quoteSeg(syn), { from: ROUTER });
      net.run(2);
      assert.equal(app.err, null, 'not aborted');
      assert.equal(stack.stats.icmp.drop, 0, 'accepted');
      peer.expect({ flags: 'S', seq: syn.seq, time: syn.time + 1000 }, 1100);
      peer.expect({ flags: 'S', seq: syn.seq, time: syn.time + 3000 }, 2100);
      net.runUntil(() => app.err !== null, 5000);
      assert.equal(app.err, ERR_RTE, 'tcp_err ' + app.errName());
      assert.equal(app.errTime, syn.time + 7000);
      assert.equal(tcp_is_alive(app.pcb), false);
      peer.expectNone(100);
      assert.equal(f.icmpOut.length, 0);
      finish(f);
    });

    const cases: [string, number, number, number][] = [
      ['net unreachable (0)', DUR, 0, ERR_RTE],
      ['source route failed (5)', DUR, 5, ERR_RTE],
      ['host unknown (7)', DUR, 7, ERR_RTE],
      ['host unreachable for TOS (12)', DUR, 12, ERR_RTE],
      ['time exceeded', TE, 0, ERR_RTE],
      ['fragmentation needed (4): we never set DF', DUR, 4, ERR_TIMEOUT],
      ['parameter problem', PP, 0, ERR_TIMEOUT],
    ];
    for (const [name, type, code, want] of cases) {
      it(name + ' in SYN_SENT is soft: retried, then ' + (want === ERR_RTE ? 'ERR_RTE' : 'ERR_TIMEOUT'), () => {
        const f = connecting({ TCP_SYNMAXRTX: 1 });
        sendIcmp(f.peer, type, code, quoteSeg(f.syn), { from: ROUTER });
        f.net.run(2);
        assert.equal(f.app.err, null);
        f.peer.expect({ flags: 'S', seq: f.syn.seq, time: f.syn.time + 1000 }, 1100);
        f.net.runUntil(() => f.app.err !== null, 5000);
        assert.equal(f.app.err, want, 'tcp_err ' + f.app.errName());
        finish(f);
      });
    }

    it('without an ICMP error the same give-up is ERR_TIMEOUT', () => {
      const f = connecting({ TCP_SYNMAXRTX: 1 });
      f.net.runUntil(() => f.app.err !== null, 5000);
      assert.equal(f.app.err, ERR_TIMEOUT, 'tcp_err ' + f.app.errName());
      finish(f);
    });

    it('the recorded error is forgotten once the handshake completes', () => {
      const f = connecting({ TCP_MAXRTX: 1 });
      const { net, peer, app, syn } = f;
      sendIcmp(peer, DUR, 1, quoteSeg(syn), { from: ROUTER });
      net.run(2);
      assert.equal(app.pcb.conn!.icmpSoftErr, (DUR << 8) | 1);
      peer.peerIsn = PISN;
      peer.stackIsn = syn.seq;
      peer.send({ flags: 'S.', seq: PISN, ack: sq(syn.seq, 1), mss: 1460 });
      peer.expect({ flags: '.' }, 10);
      assert.ok(app.connected);
      assert.equal(app.pcb.conn!.icmpSoftErr, 0);
      // data that is never acknowledged: a plain timeout
      assert.equal(app.write(patternBytes(10)), ERR_OK);
      net.runUntil(() => app.err !== null, 20000);
      assert.equal(app.err, ERR_TIMEOUT, 'tcp_err ' + app.errName());
      finish(f);
    });
  });

  describe('synchronized connections are never aborted (RFC 1122 §4.2.3.9, RFC 5927 §7.2)', () => {
    it('port unreachable for outstanding data: still ESTABLISHED, recorded, cleared by the next ACK', () => {
      const f = established({ isn: PISN });
      const { net, stack, peer, app } = f;
      const icmpOut = watchIcmp(peer);
      assert.equal(app.write(patternBytes(100)), ERR_OK);
      const d = peer.expect({ seq: peer.s(0), len: 100 }, 10);
      sendIcmp(peer, DUR, 3, quoteSeg(d));
      sendIcmp(peer, DUR, 2, quoteSeg(d, peer.s(50)), { from: ROUTER });
      net.run(2);
      assert.equal(app.err, null);
      assert.equal(stateOf(stack, 80, peer.port), 'ESTABLISHED');
      assert.equal(stack.stats.icmp.drop, 0, 'both inside [SND.UNA, SND.MAX)');
      assert.equal(app.pcb.conn!.icmpSoftErr, (DUR << 8) | 2, 'the last one is kept');
      // outside [SND.UNA, SND.MAX): the end of the data, data not yet sent, old data
      sendIcmp(peer, DUR, 3, quoteSeg(d, peer.s(100)));
      sendIcmp(peer, DUR, 3, quoteSeg(d, peer.s(5000)));
      sendIcmp(peer, DUR, 3, quoteSeg(d, peer.s(-1)));
      net.run(2);
      assert.equal(stack.stats.icmp.drop, 3);
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(100) });
      net.run(2);
      assert.equal(app.pcb.conn!.icmpSoftErr, 0, 'forgotten once data got through');
      // the connection still works both ways
      peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(100), data: 'hello' });
      peer.expect({ flags: '.', ack: peer.p(5) }, 300);
      assert.equal(app.text(), 'hello');
      assert.equal(app.write('world'), ERR_OK);
      peer.expect({ seq: peer.s(100), data: 'world' }, 10);
      peer.send({ flags: '.', seq: peer.p(5), ack: peer.s(105) });
      net.run(2);
      assert.equal(app.err, null);
      assert.equal(icmpOut.length, 0);
      finish(f, [app], [f.lis]);
    });

    it('nothing outstanding: every error is ignored (and counted)', () => {
      const f = established({ isn: PISN });
      const { net, stack, peer, app, synAck } = f;
      sendIcmp(peer, DUR, 3, quoteSeg(synAck, peer.s(0)));
      sendIcmp(peer, DUR, 3, quoteSeg(synAck));
      net.run(2);
      assert.equal(stack.stats.icmp.drop, 2);
      assert.equal(app.pcb.conn!.icmpSoftErr, 0);
      assert.equal(stateOf(stack, 80, peer.port), 'ESTABLISHED');
      finish(f, [app], [f.lis]);
    });

    it('a recorded unreachable turns the data-retransmission give-up into ERR_RTE', () => {
      const f = established({ isn: PISN, config: { TCP_MAXRTX: 2 } });
      const { net, peer, app } = f;
      assert.equal(app.write(patternBytes(100)), ERR_OK);
      const d = peer.expect({ len: 100 }, 10);
      sendIcmp(peer, DUR, 1, quoteSeg(d), { from: ROUTER });
      net.run(2);
      assert.equal(app.err, null);
      net.runUntil(() => app.err !== null, 20000);
      assert.equal(app.err, ERR_RTE, 'tcp_err ' + app.errName());
      finish(f, [], [f.lis]);
    });
  });

  describe('bad or unmatched errors are counted and dropped, never answered', () => {
    it('malformed quotes, foreign sources, unknown pcbs and protocols, quench, redirect, broadcast', () => {
      const f = connecting();
      const { net, stack, peer, app, syn } = f;
      const me = syn.src;
      const base = { src: me, dst: syn.dst, sport: syn.srcPort, dport: syn.dstPort, seq: syn.seq };
      const st = stack.stats.icmp;
      const step = (what: string, send: () => void, field: 'lenerr' | 'proterr' | 'chkerr' | null): void => {
        const before = { recv: st.recv, drop: st.drop, lenerr: st.lenerr, proterr: st.proterr, chkerr: st.chkerr };
        assert.doesNotThrow(() => { send(); net.run(1); }, what);
        assert.equal(st.recv, before.recv + 1, what + ': received');
        assert.equal(st.drop, before.drop + 1, what + ': dropped');
        if (field !== null) assert.equal(st[field], before[field] + 1, what + ': ' + field);
        assert.equal(app.err, null, what + ': the connection is untouched');
      };
      step('no quote at all', () => sendIcmp(peer, DUR, 3, new Uint8Array(0)), 'lenerr');
      step('IP header + 4 octets', () => sendIcmp(peer, DUR, 3, quote({ ...base, keep: 4 })), 'lenerr');
      step('only 12 octets of header', () => sendIcmp(peer, DUR, 3, quote(base).subarray(0, 12)), 'lenerr');
      step('options announced, not all present', () => sendIcmp(peer, DUR, 3, quote({ ...base, ihl: 24 }).subarray(0, 28)),
        'lenerr');
      step('quoted version 6', () => sendIcmp(peer, DUR, 3, quote({ ...base, version: 6 })), 'proterr');
      step('quoted header length 16', () => sendIcmp(peer, DUR, 3, quote({ ...base, ihl: 16 })), 'proterr');
      step('quoted source not ours', () => sendIcmp(peer, DUR, 3, quote({ ...base, src: ip('10.0.0.3') })), 'proterr');
      step('a non-initial fragment', () => sendIcmp(peer, DUR, 3, quote({ ...base, fragOff: 1480 })), 'proterr');
      step('no such connection (port)', () => sendIcmp(peer, DUR, 3, quote({ ...base, dport: 5001 })), null);
      step('no such connection (address)', () => sendIcmp(peer, DUR, 3, quote({ ...base, dst: ip('10.0.0.7') })), null);
      step('no such connection (our port)', () => sendIcmp(peer, DUR, 3, quote({ ...base, sport: syn.srcPort ^ 1 })), null);
      step('a protocol nobody registered', () => sendIcmp(peer, DUR, 2, quote({ ...base, proto: 200 })), null);
      step('UDP without a pcb', () => sendIcmp(peer, DUR, 3, quote({ ...base, proto: 17 })), null);
      step('source quench (RFC 6633: ignored)', () => sendIcmp(peer, SQ, 0, quote(base)), null);
      step('redirect (not followed)', () => sendIcmp(peer, 5, 1, quote(base)), null);
      step('sent to the broadcast address', () => sendIcmp(peer, DUR, 3, quote(base),
        { dst: ip('10.0.0.255'), dstMac: new Uint8Array([255, 255, 255, 255, 255, 255]) }), null);
      const bad = icmpMsg(DUR, 3, quote(base));
      bad[20] ^= 0xff;
      step('bad ICMP checksum', () => sendIcmp(peer, DUR, 3, new Uint8Array(0), { raw: bad }), 'chkerr');
      // the connection went on as if nothing happened
      peer.expect({ flags: 'S', seq: syn.seq, time: syn.time + 1000 }, 1100, 'SYN retransmitted');
      assert.equal(f.icmpOut.length, 0, 'no ICMP error about an ICMP error (RFC 1122 §3.2.2)');
      // and a good one still works afterwards
      sendIcmp(peer, DUR, 3, quoteSeg(syn));
      net.run(2);
      assert.equal(app.err, ERR_RST);
      assert.equal(f.icmpOut.length, 0);
      finish(f);
    });

    it('a quote with IP options and more than 8 transport octets is read past the options', () => {
      const f = connecting();
      const t = new Uint8Array(20);
      put16(t, 0, f.syn.srcPort); put16(t, 2, f.syn.dstPort); put32(t, 4, f.syn.seq);
      const q = ipv4({ src: f.syn.src, dst: f.syn.dst, proto: 6, ihl: 28, totLen: 28 + 44 }, t);
      sendIcmp(f.peer, DUR, 3, q);
      f.net.run(2);
      assert.equal(f.app.err, ERR_RST);
      finish(f);
    });

    it('UDP: an error matching a pcb is taken, one matching none is dropped; nothing is answered', () => {
      const f = setup();
      const { net, stack, peer } = f;
      const icmpOut = watchIcmp(peer);
      const u = udp_new(stack)!;
      assert.equal(udp_bind(u, 0, 7777), ERR_OK);
      assert.equal(udp_connect(u, '10.0.0.2', 9999), ERR_OK);
      const q = { src: stack.netif.ip, dst: peer.ip, sport: 7777, dport: 9999, proto: 17 };
      sendIcmp(peer, DUR, 3, quote(q));
      net.run(2);
      assert.equal(stack.stats.icmp.recv, 1);
      assert.equal(stack.stats.icmp.drop, 0);
      sendIcmp(peer, DUR, 3, quote({ ...q, dport: 9998 }));
      sendIcmp(peer, DUR, 3, quote({ ...q, sport: 7778 }));
      net.run(2);
      assert.equal(stack.stats.icmp.drop, 2);
      assert.equal(udp_remove(u), ERR_OK);
      sendIcmp(peer, DUR, 3, quote(q));
      net.run(2);
      assert.equal(stack.stats.icmp.drop, 3);
      assert.equal(icmpOut.length, 0);
      finish(f);
    });
  });
});
