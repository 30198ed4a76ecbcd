/**
 * Reentrant input: two stacks whose drivers hand every transmitted frame straight to the other
 * stack inside `transmit()`. The ACK a stack sends while it processes a segment arrives at the peer,
 * whose answer arrives back here, before the outer `receiveFrame` returns: the TCP input path is
 * entered again from inside itself. A full exchange (handshake, data both ways, close from both
 * sides) must work and every pool must come back full.
 */
import assert from 'node:assert/strict';
import { Stack } from '../../src/api/stack.js';
import type { StackConfig } from '../../src/core/config.js';
import {
  tcp_new, tcp_bind, tcp_listen, tcp_accept, tcp_connect, tcp_recv, tcp_recved, tcp_write, tcp_close,
  tcp_err, tcp_state_name, tcp_set_trace, formatTrace, TcpPcb, TCP_WRITE_FLAG_COPY,
} from '../../src/api/tcp_api.js';
import { pbuf_free, pbuf_copy_partial } from '../../src/core/pbuf.js';
import type { Pbuf } from '../../src/core/pbuf.js';
import { ERR_OK } from '../../src/core/err.js';
import { SeededRandom } from '../../src/core/random.js';
import type { FrameChain, FrameSink, NetDriver } from '../../src/hal.js';
import { VirtualClock } from '../../hal/mock/clock.js';
import { mockMac } from '../../hal/mock/wire.js';
import { assertPoolsFull } from '../helpers/pools.js';

/** A driver whose transmit() delivers the frame to the peer driver's stack before it returns. */
class SyncLoopDriver implements NetDriver {
  readonly mtu = 1500;
  sink: FrameSink | null = null;
  peer: SyncLoopDriver | null = null;
  depth = 0;
  maxDepth = 0;
  frames = 0;
  /** Each delivery is a driver burst of one frame (rxBurstBegin/End around it): bursts nest. */
  bursts = false;
  constructor(readonly mac: Uint8Array) {}
  isLinkUp(): boolean { return true; }
  attach(sink: FrameSink): void { this.sink = sink; }
  transmit(frame: FrameChain, totLen: number): boolean {
    // a copy per frame: the test may allocate, the stack may not
    const buf = new Uint8Array(totLen);
    let n = 0;
    for (let q: FrameChain | null = frame; q !== null && n < totLen; q = q.next) {
      const take = Math.min(q.len, totLen - n);
      buf.set(q.buf.subarray(q.off, q.off + take), n);
      n += take;
    }
    this.frames++;
    const peer = this.peer as SyncLoopDriver;
    peer.depth++;
    if (peer.depth > peer.maxDepth) peer.maxDepth = peer.depth;
    const sink = peer.sink as FrameSink;
    if (peer.bursts) sink.rxBurstBegin();
    try {
      sink.receiveFrame(buf, 0, totLen);
    } finally {
      if (peer.bursts) sink.rxBurstEnd();
      peer.depth--;
    }
    return true;
  }
}

function pair(config: Partial<StackConfig>, bursts: boolean) {
  const clock = new VirtualClock(0);
  const da = new SyncLoopDriver(mockMac(1));
  const db = new SyncLoopDriver(mockMac(2));
  da.bursts = bursts; db.bursts = bursts;
  da.peer = db; db.peer = da;
  const a = new Stack({ driver: da, clock, random: new SeededRandom(11) }, { ip: '10.0.0.1/24', name: 'a', config });
  const b = new Stack({ driver: db, clock, random: new SeededRandom(12) }, { ip: '10.0.0.2/24', name: 'b', config });
  const run = (ms: number) => {
    for (let i = 0; i < ms; i++) { clock.advance(1); a.tick(clock.now()); b.tick(clock.now()); }
  };
  return { a, b, da, db, clock, run };
}

function pattern(n: number, salt: number): Uint8Array {
  const d = new Uint8Array(n);
  for (let i = 0; i < n; i++) d[i] = (i * 7 + salt) & 0xff;
  return d;
}

/** A full exchange over the synchronous loopback: handshake, 5,000 octets to the server, 3,000
 *  back, the client closes, the server closes when it sees the FIN. Returns both stacks. */
function exchange(config: Partial<StackConfig>, bursts = false) {
  {
    const { a, b, da, db, run } = pair(config, bursts);
    const traceA: string[] = []; const traceB: string[] = [];
    tcp_set_trace(a, (i) => { traceA.push(formatTrace(i)); });
    tcp_set_trace(b, (i) => { traceB.push(formatTrace(i)); });
    const toServer = pattern(5000, 3);
    const toClient = pattern(3000, 91);
    const gotServer = new Uint8Array(toServer.length);
    const gotClient = new Uint8Array(toClient.length);
    let nServer = 0; let nClient = 0;
    let serverFin = false;
    const errs: number[] = [];

    // server on b: answers every write in full once it has read everything
    const lp = tcp_new(b) as TcpPcb;
    assert.equal(tcp_bind(lp, 0, 7), ERR_OK);
    const l = tcp_listen(lp) as TcpPcb;
    let server: TcpPcb | null = null;
    tcp_accept(l, (_arg, conn) => {
      const c = conn as TcpPcb;
      server = c;
      tcp_err(c, (_a, e) => { errs.push(e); });
      tcp_recv(c, (_a2, pc, p) => {
        if (p === null) { serverFin = true; tcp_close(pc); return ERR_OK; }
        pbuf_copy_partial(p, gotServer, p.totLen, 0, nServer);
        // this call's own count: tcp_recved below may re-enter and deliver the rest meanwhile
        const upTo = nServer += p.totLen;
        tcp_recved(pc, p.totLen);
        pbuf_free(p as Pbuf);
        if (upTo === toServer.length) {
          assert.equal(tcp_write(pc, toClient, toClient.length, TCP_WRITE_FLAG_COPY), ERR_OK);
        }
        return ERR_OK;
      });
      return ERR_OK;
    });

    // client on a: writes as soon as it is connected, closes once the answer is complete
    const c = tcp_new(a) as TcpPcb;
    tcp_err(c, (_a, e) => { errs.push(e); });
    tcp_recv(c, (_a2, pc, p) => {
      // the client closes first (below): after tcp_close no more callbacks reach it
      assert.ok(p !== null, 'no FIN before the client closed');
      pbuf_copy_partial(p, gotClient, p.totLen, 0, nClient);
      const upTo = nClient += p.totLen;
      tcp_recved(pc, p.totLen);
      pbuf_free(p as Pbuf);
      if (upTo === toClient.length) assert.equal(tcp_close(pc), ERR_OK);
      return ERR_OK;
    });
    assert.equal(tcp_connect(c, 0x0a000002, 7, (_a, pc) => {
      assert.equal(tcp_write(pc, toServer, toServer.length, TCP_WRITE_FLAG_COPY), ERR_OK);
      return ERR_OK;
    }), ERR_OK);

    run(60000);
    assert.deepEqual(errs, []);
    assert.ok(server !== null, 'accepted');
    assert.equal(nServer, toServer.length);
    assert.deepEqual(gotServer, toServer);
    assert.equal(nClient, toClient.length);
    assert.deepEqual(gotClient, toClient);
    assert.ok(serverFin, 'server saw the FIN');
    // the client went through TIME_WAIT; after 2 MSL everything is free
    assert.equal(tcp_close(l), ERR_OK);
    run(a.core.config.TCP_MSL * 2 + 1000);
    assert.equal(tcp_state_name(c), 'CLOSED');
    assert.equal(a.core.stats.tcp.chkerr + b.core.stats.tcp.chkerr, 0);
    assert.ok(traceA.some((t) => t.endsWith('FIN_WAIT_1 -> TIME_WAIT (segment)')), traceA.join('\n'));
    assert.ok(traceB.some((t) => t.endsWith('LAST_ACK -> CLOSED (segment)')), traceB.join('\n'));
    assertPoolsFull(a, b);
    assert.equal(a.netif.rxBurst + b.netif.rxBurst, 0, 'every burst ended');
    return { a, b, depth: Math.max(da.maxDepth, db.maxDepth) };
  }
}

describe('TCP input reentered from a synchronous loopback driver', () => {
  it('a full exchange (handshake, data both ways, close) works nested, without a drop, and the pools come back full', () => {
    const { a, b, depth } = exchange({ TCP_INPUT_NEST_MAX: 32 });
    // the loopback did nest: frames arrived while others were being processed
    assert.ok(depth >= 3, 'nesting depth ' + depth);
    assert.equal(a.core.stats.tcp.drop, 0);
    assert.equal(b.core.stats.tcp.drop, 0);
    assert.equal(a.core.stats.tcp.memerr + b.core.stats.tcp.memerr, 0);
  });

  it('the same with every delivery a driver burst (one ACK per burst, TCP_ACK_PER_BURST): bursts nest, ACKs still flow', () => {
    const { a, b, depth } = exchange({ TCP_INPUT_NEST_MAX: 32, TCP_ACK_PER_BURST: true, TCP_QUICKACKS: 0 }, true);
    assert.ok(depth >= 3, 'nesting depth ' + depth);
    assert.equal(a.core.stats.tcp.drop + b.core.stats.tcp.drop, 0);
    assert.equal(a.core.stats.link.err + b.core.stats.link.err, 0, 'no unmatched burst end');
  });

  it('a segment nested deeper than TCP_INPUT_NEST_MAX is a counted drop, and retransmission repairs it', () => {
    const { a, b, depth } = exchange({ TCP_INPUT_NEST_MAX: 2 });
    assert.ok(depth > 2, 'nesting depth ' + depth);
    const st = a.core.stats.tcp; const st2 = b.core.stats.tcp;
    assert.ok(st.memerr + st2.memerr > 0, 'a drop for lack of an input descriptor');
    assert.ok(st.drop + st2.drop >= st.memerr + st2.memerr, 'memerr drops are counted as drops too');
  });
});
