/**
 * A GRO frame taken whole: the host TAP driver (fake addon, no TAP, no root) hands each GSO frame the
 * "kernel" queues to a real stack (mock wire, virtual clock, seeded) as ONE TCP segment over a chain
 * of pool pbufs (FrameSink.rxReserveChain / rxNextOffset, gso.ts chainGso), and cuts it into
 * segments only when the pool cannot spare the chain (or when told to: TapOptions.groChain false).
 * Also: Netif's chain reservation on its own (never the receive reserve, given back whole, a bad
 * commit counted), the ACK a segment longer than one MSS earns at once (RFC 1122 §4.2.3.2: it counts
 * as the second full-sized segment), a chained segment held out of order and delivered when the hole
 * fills, a pool too short for the chain (cut, and then counted drops), a frame with a bad header.
 * Every scenario ends with the pools full.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { TapDriver, type TapAddon } from '../../hal/host/tap.js';
import { jsPiece } from '../../hal/host/gso.js';
import { VNET_HDR_LEN, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4 } from '../../hal/host/vnet.js';
import { MockNet } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import { pbuf_free, type Pbuf } from '../../src/core/pbuf.js';
import { tcp_close } from '../../src/api/tcp_api.js';
import { assertPoolsFull } from '../helpers/pools.js';
import { TcpPeer, listen, patternBytes, sq, type App, type AppOptions, type Listener } from '../helpers/tcppeer.js';

const STACK = '10.0.0.1';
const PEER = '10.0.0.2';
const MSS = 1460;
const EAGAIN = 11;

/** A fake /dev/net/tun with a virtio-net header: `rxQueue` holds what the kernel queued for us, each
 *  frame with the header it comes with. */
class FakeTun {
  readonly rxQueue: { h: Uint8Array; f: Uint8Array }[] = [];
  readable: (() => void) | null = null;
  readonly fd = fs.openSync('/dev/null', 'r');

  addon(): TapAddon {
    const copy = (dst: Uint8Array, doff: number, src: Uint8Array, soff: number, n: number): number => {
      dst.set(src.subarray(soff, soff + n), doff);
      return n;
    };
    return {
      open: () => this.fd,
      read: () => -EAGAIN,
      write: (_fd, _buf, _off, len) => len,
      readv: (_fd, hdr, buf, off, len) => {
        const q = this.rxQueue.shift();
        if (q === undefined) return -EAGAIN;
        hdr.set(q.h);
        const n = Math.min(q.f.length, len);
        buf.set(q.f.subarray(0, n), off);
        return n;
      },
      writev: (_fd, _hdr, _buf, _off, len) => len,
      offload: () => 0,
      copy,
      piece: jsPiece(copy),
      poll: (_fd, cb) => { this.readable = cb; return {}; },
      pollStop: () => { this.readable = null; },
    };
  }
}

/** The virtio-net header of a kernel GSO frame: NEEDS_CSUM at the TCP checksum, TCPV4, gso_size. */
function gsoHeader(gsoSize: number): Uint8Array {
  const h = new Uint8Array(VNET_HDR_LEN);
  h[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  h[1] = VIRTIO_NET_HDR_GSO_TCPV4;
  h[2] = 54;
  h[4] = gsoSize & 0xff; h[5] = gsoSize >>> 8;
  h[6] = 34;
  h[8] = 16;
  return h;
}

interface Scene { net: MockNet; s: Stack; lis: Listener; peer: TcpPeer; app: App; tun: FakeTun; drv: TapDriver; isn: number }

const open: TapDriver[] = [];

/** A stack with a listener on 80, a peer connected to it (MSS 1460), and a TAP driver with a fake
 *  descriptor delivering into the same stack. */
function scene(seed: number, groChain: boolean, app: AppOptions = {}): Scene {
  const net = new MockNet({ seed });
  const s = net.addStack({ ip: STACK + '/24', config: { TCP_QUICKACKS: 0 } });
  const lis = listen(s, 80, { app });
  const peer = new TcpPeer(net, s, { ip: PEER, port: 40000, stackPort: 80 });
  const isn = 5000;
  peer.handshake({ isn, mss: MSS });
  assert.equal(lis.apps.length, 1);
  const tun = new FakeTun();
  const drv = new TapDriver('fake0', { addon: tun.addon(), offload: true, gro: true, gso: false, groChain });
  open.push(drv);
  drv.attach(s.netif);
  return { net, s, lis, peer, app: lis.apps[0], tun, drv, isn };
}

/** The kernel hands over `n` payload octets at sequence `seq` (relative to the peer's ISN + 1) as
 *  one GSO frame; the driver reads it (one burst). */
function gsoIn(c: Scene, rel: number, n: number, flags = '.'): void {
  const f = c.peer.build({ flags, seq: sq(c.isn, 1 + rel), ack: sq(c.peer.stackIsn as number, 1), data: patternBytes(n, rel) });
  c.tun.rxQueue.push({ h: gsoHeader(MSS), f });
  (c.tun.readable as () => void)();
}

/** Holds pool pbufs until `free` are left; returns them for release. */
function holdPool(s: Stack, free: number): Pbuf[] {
  const held: Pbuf[] = [];
  const pool = s.core.pbufs;
  while (pool.freeTop > free) {
    const p = pool.allocRx(1);
    assert.ok(p !== null);
    held.push(p);
  }
  return held;
}

/** Closes both ends, lets TIME_WAIT pass, and checks every pool is full. */
function finish(c: Scene): void {
  c.peer.drain();
  tcp_close(c.app.pcb);
  const fin = c.peer.expect({ flags: 'F.' }, 1000, 'FIN');
  c.peer.send({ flags: 'F.', seq: fin.ack, ack: sq(fin.seq, 1) });
  tcp_close(c.lis.pcb);
  c.net.run(300000);
  c.peer.dispose();
  assertPoolsFull(c.s);
}

describe('host TAP driver: a GRO frame taken whole, one TCP segment over a pbuf chain', () => {
  afterEach(async () => {
    for (const d of open.splice(0)) await d.close();
  });

  it('Netif.rxReserveChain: a chain for a frame longer than a pbuf, never from the receive reserve, given back whole', () => {
    const net = new MockNet({ seed: 901 });
    const s = net.addStack({ ip: STACK + '/24' });
    const nf = s.netif;
    const pool = s.core.pbufs;
    const full = pool.freeTop;
    const cap = nf.rxCapacity;
    assert.equal(nf.rxReserveChain(cap), -1, 'a frame that fits one pbuf is rxReserve\'s');
    assert.equal(nf.rxReserveChain(14 + 65536), -1, 'longer than an IPv4 packet can be');
    let o = nf.rxReserveChain(3 * cap + 1);
    assert.ok(o >= 0);
    let n = 0;
    for (; o >= 0; o = nf.rxNextOffset(o)) n++;
    assert.equal(n, 4, 'one pbuf per rxCapacity bytes, the last with the rest');
    assert.equal(pool.freeTop, full - 4);
    assert.equal(nf.rxNextOffset(-1), -1);
    assert.equal(nf.rxNextOffset(pool.count * cap), -1);
    nf.rxCommit(0);
    assert.equal(pool.freeTop, full, 'rxCommit(0) gives the whole chain back');
    // an open reservation is given back by the next
    assert.ok(nf.rxReserveChain(2 * cap) >= 0);
    assert.ok(nf.rxReserveChain(2 * cap) >= 0);
    assert.equal(pool.freeTop, full - 2);
    // a commit longer than the chain reserved: counted, dropped, nothing kept
    const lenerr = s.stats.link.lenerr;
    nf.rxCommit(2 * cap + 1);
    assert.equal(s.stats.link.lenerr, lenerr + 1);
    assert.equal(pool.freeTop, full);
    // the receive reserve stays for ACKs and RSTs: no chain reaches into it, and nothing is counted
    const held = holdPool(s, pool.reserve + 3);
    const err = pool.pool.err;
    const recv = s.stats.link.recv;
    assert.equal(nf.rxReserveChain(3 * cap + 1), -1, 'four pbufs would take the reserve');
    assert.equal(pool.pool.err, err);
    assert.equal(s.stats.link.recv, recv);
    assert.ok(nf.rxReserveChain(3 * cap) >= 0, 'three may be taken');
    nf.rxCommit(0);
    for (const p of held) pbuf_free(p);
    assertPoolsFull(s);
  });

  it('five segments in one GSO frame reach the application in ONE recv, as one chain, ACKed at once (RFC 1122 §4.2.3.2)', () => {
    // the application reads later (no window update to carry the ACK): what sends it is the rule
    const c = scene(902, true, { autoRecved: false });
    const chains: number[] = [];
    c.app.opts.onRecv = (_app, p) => {
      if (p !== null) chains.push(p.next !== null ? 1 : 0);
      return undefined;
    };
    gsoIn(c, 0, 5 * MSS, 'P.');
    assert.equal(c.drv.stats.rxGroChains, 1);
    assert.equal(c.drv.stats.rxGsoFrames, 1);
    assert.equal(c.app.recvCalls, 1, 'one segment, one recv');
    assert.deepEqual(chains, [1], 'over a pbuf chain');
    assert.deepEqual(c.app.received.bytes(), patternBytes(5 * MSS, 0));
    // more than one full-sized segment: the ACK leaves at the end of the burst, not 200 ms later
    c.peer.expect({ flags: '.', ack: sq(c.isn, 1 + 5 * MSS) }, 1, 'the ACK of the GRO frame, at once');
    c.app.read();
    c.peer.drain();
    // a GSO frame that fits one pbuf (two small pieces) goes through rxReserve
    gsoIn(c, 5 * MSS, 2 * 500);
    assert.equal(c.drv.stats.rxGroChains, 2);
    assert.equal(c.app.recvCalls, 2);
    assert.deepEqual(c.app.received.bytes().subarray(5 * MSS), patternBytes(1000, 5 * MSS));
    c.app.read();
    assert.equal(c.s.stats.tcp.chkerr + c.s.stats.ip.chkerr + c.drv.stats.rxErrors, 0);
    finish(c);
  });

  it('one segment of at most one MSS still waits for the second (delayed ACK unchanged)', () => {
    const c = scene(903, true);
    c.peer.send({ flags: '.', seq: sq(c.isn, 1), ack: sq(c.peer.stackIsn as number, 1), data: patternBytes(MSS, 0) });
    c.peer.expectNone(100, 'one full-sized segment: the ACK is delayed');
    c.peer.expect({ flags: '.', ack: sq(c.isn, 1 + MSS) }, 300, 'the delayed ACK');
    finish(c);
  });

  it('a chained segment beyond a hole waits in the out-of-order queue and is delivered when the hole fills', () => {
    const c = scene(904, true);
    gsoIn(c, MSS, 4 * MSS);
    assert.equal(c.drv.stats.rxGroChains, 1);
    assert.equal(c.app.recvCalls, 0);
    c.peer.expect({ flags: '.', ack: sq(c.isn, 1) }, 1, 'duplicate ACK for the hole (RFC 5681 §4.2)');
    c.peer.send({ flags: '.', seq: sq(c.isn, 1), ack: sq(c.peer.stackIsn as number, 1), data: patternBytes(MSS, 0) });
    c.peer.expect({ flags: '.', ack: sq(c.isn, 1 + 5 * MSS) }, 1, 'the hole filled: ACK of everything at once');
    assert.deepEqual(c.app.received.bytes(), patternBytes(5 * MSS, 0));
    finish(c);
  });

  it('a pool that cannot spare the chain: the frame is cut into segments instead; below the receive reserve those are counted drops', () => {
    const c = scene(905, true);
    const pool = c.s.core.pbufs;
    // five pbufs needed, five free above the reserve minus one: cut; each segment then fits
    let held = holdPool(c.s, pool.reserve + 4);
    gsoIn(c, 0, 5 * MSS);
    assert.equal(c.drv.stats.rxGroChains, 0);
    assert.equal(c.drv.stats.rxGroChainFallbacks, 1);
    assert.equal(c.drv.stats.rxGsoSegs, 5);
    assert.equal(c.app.recvCalls, 5, 'five segments, five recvs');
    assert.deepEqual(c.app.received.bytes(), patternBytes(5 * MSS, 0));
    for (const p of held) pbuf_free(p);
    // two pbufs free, below the reserve: no chain; each cut segment is taken from the reserve and
    // dropped by TCP (tcp.memerr), never kept
    held = holdPool(c.s, 2);
    const memerr = c.s.stats.tcp.memerr;
    gsoIn(c, 5 * MSS, 5 * MSS);
    assert.equal(c.drv.stats.rxGroChainFallbacks, 2);
    assert.equal(c.app.recvCalls, 5, 'nothing more delivered');
    assert.equal(c.s.stats.tcp.memerr, memerr + 5);
    assert.equal(pool.freeTop, 2, 'every dropped segment\'s pbuf back');
    for (const p of held) pbuf_free(p);
    // the sender retransmits: taken whole now
    gsoIn(c, 5 * MSS, 5 * MSS);
    assert.equal(c.drv.stats.rxGroChains, 1);
    assert.deepEqual(c.app.received.bytes(), patternBytes(10 * MSS, 0));
    finish(c);
  });

  it('groChain false (XS_TCP_TAP_GRO_CHAIN=off): the frame is cut into segments, one recv each', () => {
    const c = scene(906, false);
    gsoIn(c, 0, 5 * MSS);
    assert.equal(c.drv.stats.rxGroChains, 0);
    assert.equal(c.drv.stats.rxGroChainFallbacks, 0);
    assert.equal(c.drv.stats.rxGsoSegs, 5);
    assert.equal(c.app.recvCalls, 5);
    assert.deepEqual(c.app.received.bytes(), patternBytes(5 * MSS, 0));
    finish(c);
  });

  it('a GSO frame whose IPv4 length disagrees with the frame is a counted bad header, nothing reserved', () => {
    const c = scene(907, true);
    const f = c.peer.build({ flags: '.', seq: sq(c.isn, 1), ack: sq(c.peer.stackIsn as number, 1), data: patternBytes(3 * MSS, 0) });
    c.tun.rxQueue.push({ h: gsoHeader(MSS), f: f.subarray(0, f.length - 1) });
    (c.tun.readable as () => void)();
    assert.equal(c.drv.stats.rxBadVnet, 1);
    assert.equal(c.drv.stats.rxErrors, 1);
    assert.equal(c.app.recvCalls, 0);
    assert.equal(c.s.core.pbufs.pool.used, 0);
    finish(c);
  });
});
