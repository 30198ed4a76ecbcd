import assert from 'node:assert/strict';
import { MockNet } from '../../tools/mocknet.js';
import type { RawEndpoint } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import { ERR_OK, ERR_MEM } from '../../src/core/err.js';
import {
  ARP_STATE_EMPTY, ARP_STATE_PENDING, ARP_STATE_STABLE, ARP_STATE_STABLE_REFRESHING,
} from '../../src/link/etharp.js';
import { assertPoolsFull } from '../helpers/pools.js';
import { BCAST, answerArp, arp, eth, ip, macEq, parse, type Parsed } from '../helpers/frames.js';

const A_IP = ip('10.0.0.1');
const B_IP = ip('10.0.0.2');
const NOBODY = ip('10.0.0.99');

/** Two stacks and a promiscuous observer that records every frame with its delivery time. */
function setup(config = {}): { net: MockNet; a: Stack; b: Stack; spy: RawEndpoint; seen: { t: number; f: Parsed }[] } {
  const net = new MockNet({ seed: 7 });
  const a = net.addStack({ ip: '10.0.0.1/24', config, name: 'A' });
  const b = net.addStack({ ip: '10.0.0.2/24', config, name: 'B' });
  const spy = net.addRaw(undefined, 'spy');
  spy.promiscuous = true;
  spy.keep = false;
  const seen: { t: number; f: Parsed }[] = [];
  spy.onFrame((f) => seen.push({ t: net.now, f: parse(f) }));
  return { net, a, b, spy, seen };
}

function arpFrames(seen: { f: Parsed }[], op?: number): Parsed[] {
  return seen.map((s) => s.f).filter((f) => f.type === 0x0806 && (op === undefined || f.op === op));
}

describe('ARP (RFC 826)', () => {
  it('A pings B: one ARP request, one reply, the echo and the echo reply', () => {
    const { net, a, b, seen } = setup();
    const replies: number[] = [];
    a.onEchoReply = (src, id, seq, len) => replies.push(src, id, seq, len);
    assert.equal(a.ping(B_IP, 0x1234, 1, 56), ERR_OK);
    net.run(20);
    assert.deepEqual(replies, [B_IP, 0x1234, 1, 56]);
    const kinds = seen.map(({ f }) => f.type === 0x0806 ? (f.op === 1 ? 'arp-req' : 'arp-rep') : 'icmp-' + f.icmpType);
    assert.deepEqual(kinds, ['arp-req', 'arp-rep', 'icmp-8', 'icmp-0']);
    const req = seen[0].f;
    assert.ok(macEq(req.dstMac, BCAST));
    assert.equal(req.spa, A_IP);
    assert.equal(req.tpa, B_IP);
    const rep = seen[1].f;
    assert.ok(macEq(rep.dstMac, a.netif.mac));
    assert.ok(macEq(rep.sha!, b.netif.mac));
    assert.equal(rep.spa, B_IP);
    assert.equal(rep.tpa, A_IP);
    // both learned each other: B from the request addressed to it, A from the reply
    assert.ok(macEq(a.arp.lookup(B_IP)!, b.netif.mac));
    assert.ok(macEq(b.arp.lookup(A_IP)!, a.netif.mac));
    // a second ping needs no ARP
    a.ping(B_IP, 0x1234, 2, 56);
    net.run(20);
    assert.equal(arpFrames(seen).length, 2);
    assert.equal(replies.length, 8);
    assert.ok(a.stats.etharp.cachehit >= 1);
    assertPoolsFull(a, b);
  });

  it('an address nobody owns: ARP_MAX_TRIES requests ARP_RETRY_INTERVAL apart, then the packet is dropped', () => {
    const { net, a, b, seen } = setup({ ARP_MAX_TRIES: 5, ARP_RETRY_INTERVAL: 1000 });
    net.run(100);
    const t0 = net.now;
    assert.equal(a.ping(NOBODY, 1, 1, 32), ERR_OK); // queued while ARP resolves
    assert.equal(a.arp.stateOf(NOBODY), ARP_STATE_PENDING);
    assert.equal(a.arp.queuePool.stats.used, 1);
    net.run(4999);
    assert.equal(a.stats.etharp.rterr, 0, 'not given up before the fifth interval ends');
    assert.equal(a.arp.queuePool.stats.used, 1);
    net.run(1);
    assert.equal(net.now, t0 + 5000);
    assert.equal(a.stats.etharp.rterr, 1);
    assert.equal(a.stats.etharp.drop, 1);
    assert.equal(a.stats.ip.rterr, 1);
    assert.equal(a.arp.stateOf(NOBODY), ARP_STATE_EMPTY);
    net.run(5000);
    const reqs = seen.filter(({ f }) => f.type === 0x0806 && f.tpa === NOBODY);
    assert.equal(reqs.length, 5);
    // each frame is delivered one step (1 ms) after it was sent
    assert.deepEqual(reqs.map((r) => r.t - t0), [1, 1001, 2001, 3001, 4001]);
    assert.ok(reqs.every((r) => macEq(r.f.dstMac, BCAST)));
    assert.equal(seen.filter(({ f }) => f.type === 0x0800).length, 0, 'the echo never left');
    assertPoolsFull(a, b);
  });

  it('a resolved entry expires after ARP_MAXAGE when unused', () => {
    const { net, a, b, seen } = setup({ ARP_MAXAGE: 10000 });
    a.ping(B_IP, 1, 1, 8);
    net.run(50);
    assert.equal(a.arp.stateOf(B_IP), ARP_STATE_STABLE);
    net.run(9900);
    assert.equal(a.arp.stateOf(B_IP), ARP_STATE_STABLE);
    net.run(100);
    assert.equal(a.arp.stateOf(B_IP), ARP_STATE_EMPTY);
    // no refresh traffic for an idle entry
    assert.equal(arpFrames(seen).length, 2);
    // the next ping resolves again
    a.ping(B_IP, 1, 2, 8);
    net.run(50);
    assert.equal(arpFrames(seen, 1).length, 2);
    assertPoolsFull(a, b);
  });

  it('an entry in use is refreshed by a unicast request before it expires', () => {
    const { net, a, b, seen } = setup({ ARP_MAXAGE: 10000 });
    const peer = net.addRaw('02:cc:00:00:00:03');
    const PEER_IP = ip('10.0.0.30');
    answerArp(peer, PEER_IP);
    let pings = 1;
    a.ping(PEER_IP, 9, 0, 16);
    net.run(50);
    const stop = net.onStep((now) => { if (now % 500 === 0) { a.ping(PEER_IP, 9, now / 500, 16); pings++; } });
    for (let i = 0; i < 30000; i += 100) {
      net.run(100);
      const s = a.arp.stateOf(PEER_IP);
      assert.ok(s === ARP_STATE_STABLE || s === ARP_STATE_STABLE_REFRESHING, 'never re-resolved from scratch');
    }
    stop();
    const reqs = seen.filter(({ f }) => f.type === 0x0806 && f.op === 1 && f.spa === A_IP && f.tpa === PEER_IP);
    assert.ok(macEq(reqs[0].f.dstMac, BCAST), 'first resolution is broadcast');
    // resolved at t=2; the first ping at or after 2 + (10000 - 2000) refreshes, and so on
    assert.deepEqual(reqs.slice(1).map((r) => r.t), [8501, 17001, 25501]);
    for (const r of reqs.slice(1)) assert.ok(macEq(r.f.dstMac, peer.mac), 'refreshes are unicast to the peer');
    const echoes = seen.filter(({ f }) => f.type === 0x0800 && f.icmpType === 8);
    assert.equal(echoes.length, pings, 'no echo waited for re-resolution');
    assertPoolsFull(a, b);
  });

  it('an unanswered unicast refresh falls back to broadcast, then the entry expires', () => {
    const { net, a, b, seen } = setup({ ARP_MAXAGE: 10000 });
    a.ping(B_IP, 1, 1, 8);
    net.run(50);
    // B goes silent
    net.driverOf(b).setLink(false);
    net.run(8000);
    a.ping(B_IP, 1, 2, 8); // in use near expiry: triggers the refresh
    assert.equal(a.arp.stateOf(B_IP), ARP_STATE_STABLE_REFRESHING);
    net.run(1960);
    assert.equal(a.arp.stateOf(B_IP), ARP_STATE_EMPTY);
    const reqs = arpFrames(seen, 1).filter((f) => f.spa === A_IP).slice(1);
    assert.ok(macEq(reqs[0].dstMac, b.netif.mac));
    assert.ok(reqs.length >= 2 && macEq(reqs[1].dstMac, BCAST));
    net.driverOf(b).setLink(true);
    net.run(10);
    assertPoolsFull(a, b);
  });

  it('queues at most ARP_QUEUE_LEN packets per address, the oldest giving way', () => {
    const { net, a, b } = setup({ ARP_QUEUE_LEN: 3 });
    const seqs: number[] = [];
    a.onEchoReply = (_s, _i, seq) => seqs.push(seq);
    for (let i = 1; i <= 5; i++) assert.equal(a.ping(B_IP, 1, i, 100), ERR_OK);
    assert.equal(a.arp.queuePool.stats.used, 3);
    assert.equal(a.stats.etharp.drop, 2);
    net.run(20);
    assert.deepEqual(seqs, [3, 4, 5]);
    assertPoolsFull(a, b);
  });

  it('MEMP_NUM_ARP_QUEUE bounds the queue over all addresses (ERR_MEM)', () => {
    const { net, a, b } = setup({ ARP_QUEUE_LEN: 3, MEMP_NUM_ARP_QUEUE: 4 });
    const errs: number[] = [];
    for (let n = 0; n < 3; n++) for (let k = 0; k < 2; k++) errs.push(a.ping(ip('10.0.0.' + (50 + n)), 1, k, 10));
    assert.deepEqual(errs, [ERR_OK, ERR_OK, ERR_OK, ERR_OK, ERR_MEM, ERR_MEM]);
    assert.equal(a.stats.etharp.memerr, 2);
    assert.equal(a.arp.queuePool.stats.used, 4);
    net.run(6000);
    assert.equal(a.stats.etharp.rterr, 3);
    assertPoolsFull(a, b);
  });

  it('a full cache replaces its oldest entry', () => {
    const { net, a, b } = setup({ ARP_TABLE_SIZE: 2 });
    const raws = [net.addRaw(), net.addRaw(), net.addRaw()];
    raws.forEach((r, i) => {
      net.run(10);
      r.send(eth(BCAST, r.mac, 0x0806, arp(1, r.mac, ip('10.0.0.' + (20 + i)), new Uint8Array(6), A_IP)));
      net.run(10);
    });
    assert.equal(a.arp.stateOf(ip('10.0.0.20')), ARP_STATE_EMPTY, 'oldest replaced');
    assert.ok(macEq(a.arp.lookup(ip('10.0.0.21'))!, raws[1].mac));
    assert.ok(macEq(a.arp.lookup(ip('10.0.0.22'))!, raws[2].mac));
    assert.equal(a.stats.etharp.xmit, 3, 'each request answered');
    assertPoolsFull(a, b);
  });

  it('answers a request for our address with a correct reply and learns the sender', () => {
    const { net, a, b } = setup();
    const raw = net.addRaw('02:aa:00:00:00:01');
    raw.send(eth(BCAST, raw.mac, 0x0806, arp(1, raw.mac, ip('10.0.0.50'), new Uint8Array(6), A_IP)));
    net.run(5);
    const replies = raw.frames.map(parse).filter((f) => f.type === 0x0806);
    assert.equal(replies.length, 1);
    const r = replies[0];
    assert.equal(r.op, 2);
    assert.ok(macEq(r.dstMac, raw.mac));
    assert.ok(macEq(r.srcMac, a.netif.mac));
    assert.ok(macEq(r.sha!, a.netif.mac));
    assert.equal(r.spa, A_IP);
    assert.ok(macEq(r.tha!, raw.mac));
    assert.equal(r.tpa, ip('10.0.0.50'));
    assert.ok(macEq(a.arp.lookup(ip('10.0.0.50'))!, raw.mac));
    assert.equal(b.arp.stateOf(ip('10.0.0.50')), ARP_STATE_EMPTY, 'B was not asked: nothing inserted');
    assertPoolsFull(a, b);
  });

  it('ignores a request for another address (no reply, nothing learned)', () => {
    const { net, a, b } = setup();
    const raw = net.addRaw();
    raw.send(eth(BCAST, raw.mac, 0x0806, arp(1, raw.mac, ip('10.0.0.50'), new Uint8Array(6), ip('10.0.0.77'))));
    net.run(5);
    assert.equal(raw.frames.length, 0);
    assert.equal(a.arp.stateOf(ip('10.0.0.50')), ARP_STATE_EMPTY);
    assert.equal(a.stats.etharp.xmit, 0);
    assert.equal(a.stats.etharp.recv, 1);
    assertPoolsFull(a, b);
  });

  it('follows a known sender\'s new MAC announced by a gratuitous ARP once ARP_LOCKTIME has passed', () => {
    const { net, a, b } = setup();
    a.ping(B_IP, 1, 1, 8);
    net.run(5);
    a.ping(B_IP, 1, 3, 8); // sent through the resolved entry (its Ethernet header is cached)
    net.run(1100); // past the lock time since B was confirmed
    const imposter = net.addRaw('02:bb:00:00:00:02');
    // a gratuitous ARP: B moved to a new NIC
    imposter.send(eth(BCAST, imposter.mac, 0x0806, arp(1, imposter.mac, B_IP, new Uint8Array(6), B_IP)));
    net.run(5);
    assert.ok(macEq(a.arp.lookup(B_IP)!, imposter.mac));
    assert.equal(imposter.frames.length, 0, 'no reply to a gratuitous ARP');
    // the next packet to B goes to the new MAC (not through a header built for the old one)
    a.ping(B_IP, 1, 2, 8);
    net.run(5);
    assert.equal(imposter.frames.map(parse).filter((r) => r.proto === 1 && r.icmpType === 8).length, 1, 'echo request at the new MAC');
    assertPoolsFull(a, b);
  });

  it('sends a gratuitous ARP when the link comes up', () => {
    const { net, a, b, seen } = setup();
    net.driverOf(a).setLink(false);
    net.run(10);
    assert.equal(seen.length, 0);
    net.driverOf(a).setLink(true);
    net.run(5);
    const g = arpFrames(seen);
    assert.equal(g.length, 1);
    assert.ok(macEq(g[0].dstMac, BCAST));
    assert.equal(g[0].op, 1);
    assert.equal(g[0].spa, A_IP);
    assert.equal(g[0].tpa, A_IP);
    assert.ok(macEq(g[0].sha!, a.netif.mac));
    assert.equal(b.arp.stateOf(A_IP), ARP_STATE_EMPTY, 'an announcement inserts nothing at B');
    assert.equal(b.stats.etharp.xmit, 0, 'and draws no reply');
    assertPoolsFull(a, b);
  });

  it('counts a conflict when another MAC claims our address, and learns nothing from it', () => {
    const { net, a, b } = setup();
    const raw = net.addRaw();
    raw.send(eth(BCAST, raw.mac, 0x0806, arp(2, raw.mac, A_IP, new Uint8Array(6), B_IP)));
    net.run(5);
    assert.equal(a.stats.etharp.err, 1);
    assert.equal(a.arp.stateOf(A_IP), ARP_STATE_EMPTY);
    // B was the target: RFC 826 inserts the sender, B cannot know better
    assert.ok(macEq(b.arp.lookup(A_IP)!, raw.mac));
    assertPoolsFull(a, b);
  });

  it('drops truncated and malformed ARP packets', () => {
    const { net, a, b } = setup();
    const raw = net.addRaw();
    const good = arp(1, raw.mac, ip('10.0.0.50'), new Uint8Array(6), A_IP);
    raw.send(eth(BCAST, raw.mac, 0x0806, good.slice(0, 20)));
    const badHw = good.slice();
    badHw[1] = 6; // hardware type 6 (IEEE 802) is not Ethernet
    raw.send(eth(BCAST, raw.mac, 0x0806, badHw));
    net.run(5);
    assert.equal(a.stats.etharp.lenerr, 1);
    assert.equal(a.stats.etharp.proterr, 1);
    assert.equal(a.stats.etharp.drop, 2);
    assert.equal(raw.frames.length, 0);
    assertPoolsFull(a, b);
  });
});
