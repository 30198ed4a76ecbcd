/**
 * The TCP defences one at a time, each with its knob (src/core/config.ts): half-open eviction and
 * the ARP check, the out-of-order limits (tiny segments, ageing, pressure across connections), the
 * per-connection pool share in tcp_write, the user timeout API, the global challenge-ACK budget.
 * The whole attacks are the scenarios of this suite (robustness.test.ts).
 */
import assert from 'node:assert/strict';
import { ERR_OK, ERR_MEM, ERR_ARG, ERR_CLSD, ERR_TIMEOUT } from '../../src/core/err.js';
import { tcp_abort, tcp_close, tcp_is_alive, tcp_set_user_timeout, tcp_write, TCP_WRITE_FLAG_COPY } from '../../src/api/tcp_api.js';
import { assertPoolsFull } from '../helpers/pools.js';
import { established, setup, listen, stateOf, TcpPeer, type Fixture, type Listener, type App } from '../helpers/tcppeer.js';

const PISN = 1000;

/** A peer at `ip` that never answers ARP (a spoofed source): the stack cannot resolve it. */
function spoofed(f: Fixture, ip: string, port: number): TcpPeer {
  const p = new TcpPeer(f.net, f.stack, { ip, port, mac: '02:5f:00:00:00:77' });
  p.dispose();
  f.stack.arp.flush();
  f.peer.primeArp();
  return p;
}

function finish(f: Fixture, listeners: Listener[] = [], apps: App[] = []): void {
  for (const a of apps) if (tcp_is_alive(a.pcb)) tcp_abort(a.pcb);
  for (const l of listeners) if (tcp_is_alive(l.pcb)) tcp_close(l.pcb);
  f.net.run(5000);
  assertPoolsFull(f.stack);
}

describe('robustness: TCP defences', () => {
  describe('half-open connections (SYN floods)', () => {
    it('a full backlog gives up a half-open connection whose peer never resolved (TCP_SYN_EVICT)', () => {
      const f = setup();
      const lis = listen(f.stack, 80, { backlog: 1 });
      // a SYN from an address nobody answers ARP for: its half-open connection waits
      spoofed(f, '10.0.0.77', 1111).send({ flags: 'S', seq: PISN, mss: 1460 });
      f.net.run(5);
      assert.equal(stateOf(f.stack, 80, 1111), 'SYN_RCVD');
      // the real client takes its place at once
      f.peer.send({ flags: 'S', seq: PISN, mss: 1460 });
      f.peer.expect({ flags: 'S.' }, 10);
      assert.equal(stateOf(f.stack, 80, 1111), undefined);
      assert.equal(f.stack.tcp.halfOpenDropped, 1);
      finish(f, [lis], lis.apps);
    });

    it('a fresh half-open connection of a resolved peer is not evicted: the new SYN waits', () => {
      const f = setup();
      const lis = listen(f.stack, 80, { backlog: 1 });
      f.peer.send({ flags: 'S', seq: PISN, srcPort: 1111, mss: 1460 });
      f.peer.expect({ flags: 'S.' }, 10);
      f.peer.send({ flags: 'S', seq: PISN, srcPort: 2222, mss: 1460 });
      f.peer.expectNone(500, 'the second SYN is dropped while the first SYN-ACK is fresh');
      assert.equal(stateOf(f.stack, 80, 1111), 'SYN_RCVD');
      // once its SYN-ACK went unanswered for an RTO, it may go
      f.net.run(600);
      f.peer.drain();
      f.peer.send({ flags: 'S', seq: PISN, srcPort: 2222, mss: 1460 });
      f.peer.expect({ flags: 'S.', dstPort: 2222 }, 10);
      assert.equal(stateOf(f.stack, 80, 1111), undefined);
      finish(f, [lis], lis.apps);
    });

    it('a half-open connection whose peer does not resolve is dropped at its first retransmission (TCP_HALFOPEN_NEEDS_ARP)', () => {
      for (const needsArp of [true, false]) {
        const f = setup({ config: { TCP_HALFOPEN_NEEDS_ARP: needsArp } });
        const lis = listen(f.stack, 80);
        spoofed(f, '10.0.0.77', 1111).send({ flags: 'S', seq: PISN, mss: 1460 });
        f.net.run(1100);
        assert.equal(stateOf(f.stack, 80, 1111), needsArp ? undefined : 'SYN_RCVD');
        finish(f, [lis]);
        f.net.run(60000);
        assertPoolsFull(f.stack);
      }
    });
  });

  describe('out-of-order data', () => {
    it('at most TCP_OOSEQ_TINY_MAX tiny out-of-order segments per connection', () => {
      const off = established({ isn: PISN, config: { TCP_OOSEQ_TINY_MAX: 0 } });
      for (let k = 0; k < 8; k++) off.peer.send({ flags: '.', seq: off.peer.p(2 + 2 * k), ack: off.peer.s(0), data: 'x' });
      off.net.run(10);
      assert.equal(off.stack.tcp.pools()[2].stats.used, 8, 'no limit: each 1-byte segment holds a buffer');
      finish(off, [off.lis], [off.app]);
      const f = established({ isn: PISN });
      for (let k = 0; k < 8; k++) f.peer.send({ flags: '.', seq: f.peer.p(2 + 2 * k), ack: f.peer.s(0), data: 'x' });
      f.net.run(10);
      assert.equal(f.stack.tcp.pools()[2].stats.used, 2, 'two segments held');
      // full-sized ones are held as before
      f.peer.send({ flags: '.', seq: f.peer.p(1000), ack: f.peer.s(0), data: 500 });
      f.net.run(10);
      assert.equal(f.stack.tcp.pools()[2].stats.used, 3);
      finish(f, [f.lis], [f.app]);
    });

    it('out-of-order data older than TCP_OOSEQ_TIMEOUT RTOs is freed', () => {
      const f = established({ isn: PISN, config: { TCP_OOSEQ_TIMEOUT: 6 } });
      f.peer.send({ flags: '.', seq: f.peer.p(100), ack: f.peer.s(0), data: 500 });
      f.net.run(5900);
      assert.equal(f.stack.tcp.pools()[2].stats.used, 1, 'held for 6 RTOs (1 s each)');
      f.net.run(700);
      assert.equal(f.stack.tcp.pools()[2].stats.used, 0, 'then freed');
      finish(f, [f.lis], [f.app]);
    });

    it('under pool pressure the out-of-order data of every connection is freed first (pbuf_free_ooseq)', () => {
      const f = established({ isn: PISN, config: { PBUF_POOL_SIZE: 16, TCP_POOL_PRESSURE: 50 } });
      f.peer.send({ flags: '.', seq: f.peer.p(100), ack: f.peer.s(0), data: 500 });
      f.peer.send({ flags: '.', seq: f.peer.p(1000), ack: f.peer.s(0), data: 500 });
      f.net.run(10);
      assert.equal(f.stack.tcp.pools()[2].stats.used, 2);
      // another connection's application sits on received data until the pool is under pressure
      const other = new TcpPeer(f.net, f.stack, { ip: '10.0.0.3', port: 41000 });
      other.handshake({ isn: 5000 });
      const held: unknown[] = [];
      f.lis.apps[1].opts.onRecv = (_a, p) => { if (p !== null) { held.push(p); return ERR_MEM; } return undefined; };
      for (let k = 0; k < 6; k++) other.send({ flags: '.', seq: other.p(k * 1000), ack: other.s(0), data: 1000 });
      f.net.run(10);
      // data in order on the first connection: the pool is under pressure, so the out-of-order
      // queue (of every connection) goes before any in-order data is refused
      f.peer.send({ flags: '.', seq: f.peer.p(0), ack: f.peer.s(0), data: 10 });
      f.net.run(10);
      assert.equal(f.stack.tcp.pools()[2].stats.used, 0, 'out-of-order data freed');
      assert.equal(f.app.received.length, 10, 'the in-order data was taken');
      finish(f, [f.lis], [f.app, f.lis.apps[1]]);
      other.dispose();
    });
  });

  it('tcp_write: under pool pressure a connection past its share gets ERR_MEM (TCP_PCB_POOL_SHARE)', () => {
    const f = established({ isn: PISN, win: 0, config: { PBUF_POOL_SIZE: 16, TCP_POOL_PRESSURE: 90, TCP_PCB_POOL_SHARE: 25 } });
    const data = new Uint8Array(1460);
    const results: number[] = [];
    for (let k = 0; k < 6; k++) results.push(tcp_write(f.app.pcb, data, data.length, TCP_WRITE_FLAG_COPY));
    // 16 pbufs, 25 %: 4 segments, then ERR_MEM while the pool is under pressure
    assert.deepEqual(results, [ERR_OK, ERR_OK, ERR_OK, ERR_OK, ERR_MEM, ERR_MEM]);
    finish(f, [f.lis], [f.app]);
  });

  it('tcp_set_user_timeout: a zero-window stall the peer keeps answering ends with ERR_TIMEOUT', () => {
    const f = established({ isn: PISN, win: 0 });
    assert.equal(tcp_set_user_timeout(f.app.pcb, -1), ERR_ARG);
    assert.equal(tcp_set_user_timeout(f.app.pcb, 20000), ERR_OK);
    f.app.write(100);
    // the peer answers every probe with window 0
    const stop = f.net.onStep(() => {
      for (const s of f.peer.drain()) if (s.flags === '.') f.peer.send({ flags: '.', seq: f.peer.p(0), ack: f.peer.s(0), win: 0 });
    });
    f.net.run(19000);
    assert.equal(f.app.err, null);
    f.net.run(2000);
    stop();
    assert.equal(f.app.err, ERR_TIMEOUT);
    assert.equal(tcp_set_user_timeout(f.app.pcb, 1000), ERR_CLSD);
    finish(f, [f.lis]);
  });

  it('TCP_RFC1337: a RST in TIME_WAIT is ignored; with the knob off it ends TIME_WAIT (Linux default)', () => {
    for (const rfc1337 of [true, false]) {
      const f = established({ isn: PISN, config: { TCP_RFC1337: rfc1337 } });
      tcp_close(f.app.pcb);
      const fin = f.peer.expect({ flags: 'F.' }, 10);
      f.peer.send({ flags: 'F.', seq: f.peer.p(0), ack: fin.seq + 1 });
      f.peer.expect({ flags: '.' }, 10);
      assert.equal(stateOf(f.stack, 80, f.peer.port), 'TIME_WAIT');
      f.peer.send({ flags: 'R', seq: f.peer.p(1) });
      f.net.run(10);
      assert.equal(stateOf(f.stack, 80, f.peer.port), rfc1337 ? 'TIME_WAIT' : undefined);
      finish(f, [f.lis]);
    }
  });

  it('challenge ACKs over all connections are bounded by TCP_CHALLENGE_ACK_LIMIT a second', () => {
    const f = established({ isn: PISN, config: { TCP_CHALLENGE_ACK_LIMIT: 3, TCP_OOW_ACK_INTERVAL: 0 } });
    for (let k = 0; k < 10; k++) f.peer.send({ flags: 'R', seq: f.peer.p(10 + k) });
    f.net.run(10);
    assert.equal(f.peer.drain().length, 3);
    f.net.run(1000);
    for (let k = 0; k < 10; k++) f.peer.send({ flags: 'R', seq: f.peer.p(10 + k) });
    f.net.run(10);
    assert.equal(f.peer.drain().length, 3);
    assert.equal(f.stack.tcp.reflectionsLimited, 14);
    finish(f, [f.lis], [f.app]);
  });
});
