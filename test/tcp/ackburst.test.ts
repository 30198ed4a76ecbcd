/**
 * One ACK per driver burst (TCP_ACK_PER_BURST): when a driver hands over several frames as one burst
 * (FrameSink.rxBurstBegin / rxBurstEnd; MockNet's `bursts` makes each step's deliveries one burst,
 * as the TAP driver does per drain), the ACK owed for every second segment (RFC 5681 §4.2, RFC 1122
 * §4.2.3.2) leaves once, at the end of the burst, covering all of it — Linux's answer to a GRO
 * super-packet. Every other ACK stays immediate: duplicate ACKs for out-of-order segments (the peer's
 * fast retransmit counts them), ACKs of duplicate data, of a FIN. Without the burst calls, or with
 * the knob off, every second segment is ACKed at once as before.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { tcp_is_alive, tcp_abort, tcp_close, tcp_new, tcp_bind, tcp_listen, tcp_accept, tcp_connect, tcp_write,
  tcp_recv, tcp_recved, tcp_sent, tcp_sndbuf, tcp_output, TCP_WRITE_FLAG_COPY, type TcpPcb } from '../../src/api/tcp_api.js';
import type { StackConfig } from '../../src/core/config.js';
import { resolveConfig } from '../../src/core/config.js';
import { ERR_OK } from '../../src/core/err.js';
import { pbuf_copy_partial, pbuf_free, type Pbuf } from '../../src/core/pbuf.js';
import { SeededRandom } from '../../src/core/random.js';
import { MockNet, type MockNetOptions } from '../../tools/mocknet.js';
import { assertPoolsFull } from '../helpers/pools.js';
import {
  established, patternBytes, sq, type EstFixture, type Seg,
} from '../helpers/tcppeer.js';

const MSS = 1460;
const PISN = 0xfffff000;
/** A window that takes six full segments at once, no quick-ACK start: the every-second-segment rule
 *  from the first segment. */
const CONFIG: Partial<StackConfig> = { TCP_WND: 16384, TCP_QUICKACKS: 0 };

function est(bursts: boolean, config: Partial<StackConfig> = {}): EstFixture {
  return established({ isn: PISN, config: { ...CONFIG, ...config }, net: { bursts } });
}

function finish(f: EstFixture): void {
  if (tcp_is_alive(f.app.pcb)) tcp_abort(f.app.pcb);
  tcp_close(f.lis.pcb);
  f.net.run(2100);
  assertPoolsFull(f.stack);
}

/** The peer sends full segments k (octets k*MSS .. (k+1)*MSS) in this order, all in the same
 *  millisecond: the wire delivers them in one step, one burst when the net has `bursts`. */
function sendSegs(f: EstFixture, ks: number[]): void {
  const { peer } = f;
  for (const k of ks) peer.send({ flags: '.', seq: peer.p(k * MSS), ack: peer.s(0), data: patternBytes(MSS, k * MSS) });
}

/** Every segment the stack emits within `ms`. */
function emitted(f: EstFixture, ms: number): Seg[] {
  f.net.run(ms);
  return f.peer.drain();
}

describe('TCP: one ACK per driver burst (TCP_ACK_PER_BURST)', () => {
  it('a burst of six full segments is ACKed once, at the end of the burst', () => {
    const f = est(true);
    const t = f.net.now + 1;
    sendSegs(f, [0, 1, 2, 3, 4, 5]);
    const acks = emitted(f, 50);
    assert.deepEqual(acks.map((s) => [s.flags, s.ack, s.time]), [['.', f.peer.p(6 * MSS), t]],
      f.peer.tail());
    assert.equal(f.app.received.length, 6 * MSS);
    // the next burst starts over: one segment alone waits for the delayed-ACK timer, as before
    sendSegs(f, [6]);
    const t2 = f.net.now + 1;
    f.peer.expect({ flags: '.', ack: f.peer.p(7 * MSS), time: t2 + f.stack.core.config.TCP_DELACK_MS }, 500);
    finish(f);
  });

  it('without the burst calls, or with the knob off, every second segment is ACKed at once', () => {
    for (const [bursts, knob] of [[false, true], [true, false]]) {
      const f = est(bursts, { TCP_ACK_PER_BURST: knob });
      sendSegs(f, [0, 1, 2, 3, 4, 5]);
      const acks = emitted(f, 50);
      assert.deepEqual(acks.map((s) => s.ack), [f.peer.p(2 * MSS), f.peer.p(4 * MSS), f.peer.p(6 * MSS)],
        'bursts ' + bursts + ', TCP_ACK_PER_BURST ' + knob + '\n' + f.peer.tail());
      finish(f);
    }
  });

  it('out-of-order segments inside a burst each get their duplicate ACK at once', () => {
    const f = est(true);
    // 0 and 1 in order (the ACK for them is owed), 3 and 4 beyond a hole at 2
    sendSegs(f, [0, 1, 3, 4]);
    const acks = emitted(f, 50);
    // the first out-of-order segment is answered at once, with RCV.NXT past 0 and 1: that ACK pays
    // the deferred one; the second gets its own duplicate (two for the peer's fast retransmit)
    assert.deepEqual(acks.map((s) => s.ack), [f.peer.p(2 * MSS), f.peer.p(2 * MSS)], f.peer.tail());
    assert.equal(acks[0].time, acks[1].time);
    // the hole fills: ACKed at once, for everything
    sendSegs(f, [2]);
    assert.deepEqual(emitted(f, 5).map((s) => s.ack), [f.peer.p(5 * MSS)], f.peer.tail());
    finish(f);
  });

  it('duplicate data inside a burst is ACKed at once; the deferred ACK still follows at the end', () => {
    const f = est(true);
    // 1 owes an ACK (deferred); the copy of 0 is answered at once (ACK 2*MSS: it left before 2 and
    // 3 were processed); 3 owes the next, sent at the end of the burst
    sendSegs(f, [0, 1, 0, 2, 3]);
    const acks = emitted(f, 50);
    assert.deepEqual(acks.map((s) => s.ack), [f.peer.p(2 * MSS), f.peer.p(4 * MSS)], f.peer.tail());
    finish(f);
  });

  it('a FIN inside a burst is ACKed at once', () => {
    const f = est(true);
    const { peer } = f;
    sendSegs(f, [0, 1]);
    peer.send({ flags: 'F.', seq: peer.p(2 * MSS), ack: peer.s(0) });
    const acks = emitted(f, 50);
    assert.deepEqual(acks.map((s) => s.ack), [peer.p(2 * MSS + 1)], peer.tail());
    finish(f);
  });

  it('two connections in one burst: each gets its one ACK at the end', () => {
    const f = est(true);
    const { peer } = f;
    const isn1 = PISN;
    const s1 = peer.stackIsn as number;
    const isn2 = 0x10000000;
    peer.handshake({ isn: isn2, port: 40001 });
    const s2 = peer.stackIsn as number;
    assert.equal(f.lis.apps.length, 2);
    for (let k = 0; k < 4; k++) {
      peer.send({ flags: '.', seq: sq(isn1, 1 + k * MSS), ack: sq(s1, 1), data: MSS, srcPort: 40000 });
      peer.send({ flags: '.', seq: sq(isn2, 1 + k * MSS), ack: sq(s2, 1), data: MSS, srcPort: 40001 });
    }
    const acks = emitted(f, 50);
    assert.deepEqual(acks.map((s) => [s.dstPort, s.ack]).sort((a, b) => a[0] - b[0]),
      [[40000, sq(isn1, 1 + 4 * MSS)], [40001, sq(isn2, 1 + 4 * MSS)]], peer.tail());
    for (const a of f.lis.apps) if (tcp_is_alive(a.pcb)) tcp_abort(a.pcb);
    finish(f);
  });

  it('an end without a begin is a counted driver error; a burst with nothing in it sends nothing', () => {
    const f = est(true);
    const err = f.stack.stats.link.err;
    f.stack.netif.rxBurstEnd();
    assert.equal(f.stack.stats.link.err, err + 1);
    assert.equal(f.stack.netif.rxBurst, 0);
    f.stack.netif.rxBurstBegin();
    f.stack.netif.rxBurstEnd();
    assert.deepEqual(emitted(f, 10), []);
    finish(f);
  });

  it('is on by default (no RAM: a flag bit per pcb)', () => {
    assert.equal(resolveConfig({}).TCP_ACK_PER_BURST, true);
  });
});

/** A sends `size` random octets to B over `faults`; returns the frames B transmitted and B's bytes. */
function transfer(net: MockNetOptions, size: number, seed: number): { bFrames: number; same: boolean } {
  const n = new MockNet({ seed, ...net });
  const config: Partial<StackConfig> = { TCP_MSL: 1000, TCP_WND: 16384, TCP_SND_BUF: 16384, TCP_SND_QUEUELEN: 32 };
  const a = n.addStack({ ip: '10.0.0.1/24', config, name: 'A' });
  const b = n.addStack({ ip: '10.0.0.2/24', config, name: 'B' });
  const r = new SeededRandom(seed);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = r.nextU32() & 0xff;
  const got = new Uint8Array(size);
  let nGot = 0;
  let written = 0;
  const l = tcp_listen((() => { const p = tcp_new(b) as TcpPcb; tcp_bind(p, 0, 9); return p; })()) as TcpPcb;
  tcp_accept(l, (_a, np) => {
    tcp_recv(np as TcpPcb, (_x, pc, p) => {
      if (p === null) { tcp_close(pc); return ERR_OK; }
      pbuf_copy_partial(p, got, p.totLen, 0, nGot);
      nGot += p.totLen;
      tcp_recved(pc, p.totLen);
      pbuf_free(p as Pbuf);
      return ERR_OK;
    });
    return ERR_OK;
  });
  const c = tcp_new(a) as TcpPcb;
  const pump = (pc: TcpPcb) => {
    while (written < size) {
      const k = Math.min(tcp_sndbuf(pc), size - written, 4096);
      if (k <= 0 || tcp_write(pc, out.subarray(written, written + k), k, TCP_WRITE_FLAG_COPY) !== ERR_OK) break;
      written += k;
    }
    tcp_output(pc);
    if (written === size) tcp_close(pc);
  };
  tcp_sent(c, (_x, pc) => { if (written < size) pump(pc); return ERR_OK; });
  assert.equal(tcp_connect(c, '10.0.0.2', 9, (_x, pc) => { pump(pc); return ERR_OK; }), ERR_OK);
  n.runUntil(() => nGot === size, 600000);
  assert.equal(nGot, size, 'all of it arrived');
  tcp_close(l);
  n.run(5000);
  assertPoolsFull(a, b);
  const hash = (x: Uint8Array) => createHash('sha256').update(x).digest('hex');
  return { bFrames: n.driverOf(b).txFrames, same: hash(got) === hash(out) };
}

describe('TCP: two stacks with driver bursts', function () {
  this.timeout(120000);

  it('256 KiB, lossless: identical bytes, and the receiver sends fewer ACKs than without bursts', () => {
    const per = transfer({}, 256 * 1024, 5);
    const burst = transfer({ bursts: true }, 256 * 1024, 5);
    assert.ok(per.same && burst.same);
    // every second segment: ~90 ACKs for 180 segments; one per burst: a window's worth per ACK
    assert.ok(burst.bFrames * 2 < per.bFrames, 'B sent ' + burst.bFrames + ' frames with bursts, ' + per.bFrames + ' without');
  });

  it('256 KiB over 3 % loss, 2 % duplication, 5 % reordering: identical bytes, pools full', () => {
    const r = transfer({ bursts: true, loss: 0.03, duplicate: 0.02, reorder: 0.05 }, 256 * 1024, 9);
    assert.ok(r.same);
  });
});
