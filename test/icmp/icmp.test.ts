import assert from 'node:assert/strict';
import { MockNet } from '../../tools/mocknet.js';
import type { RawEndpoint } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import { ERR_OK, ERR_VAL } from '../../src/core/err.js';
import { assertPoolsFull } from '../helpers/pools.js';
import {
  BCAST, answerArp, arp, cksum, eth, get16, icmpEcho, ip, ipv4, parse, pattern, reassemble, type Parsed,
} from '../helpers/frames.js';

const A_IP = ip('10.0.0.1');
const B_IP = ip('10.0.0.2');
const RAW_IP = ip('10.0.0.9');

function setup(config = {}): { net: MockNet; a: Stack; raw: RawEndpoint } {
  const net = new MockNet({ seed: 11 });
  const a = net.addStack({ ip: '10.0.0.1/24', config, name: 'A' });
  const raw = net.addRaw('02:99:00:00:00:09', 'raw');
  answerArp(raw, RAW_IP);
  return { net, a, raw };
}

function ipFrames(raw: RawEndpoint): Parsed[] {
  return raw.frames.map(parse).filter((f) => f.type === 0x0800);
}

function sendIcmp(raw: RawEndpoint, a: Stack, msg: Uint8Array, dst = A_IP, dstMac: Uint8Array = a.netif.mac): void {
  raw.send(eth(dstMac, raw.mac, 0x0800, ipv4({ src: RAW_IP, dst, proto: 1, id: 77 }, msg)));
}

/** An ICMP message with a valid checksum: type, code, 4 zero bytes, body. */
function icmpMsg(type: number, code: number, body: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + body.length);
  m[0] = type; m[1] = code; m.set(body, 8);
  const c = cksum(m);
  m[2] = c >> 8; m[3] = c & 0xff;
  return m;
}

describe('ICMP (RFC 792, RFC 1122 §3.2.2)', () => {
  it('answers an echo request: addresses swapped, same id/seq/data, valid checksums', () => {
    const { net, a, raw } = setup();
    sendIcmp(raw, a, icmpEcho(8, 0xbeef, 0x0102, pattern(100, 3)));
    net.run(5);
    const r = ipFrames(raw);
    assert.equal(r.length, 1);
    const f = r[0];
    assert.equal(f.src, A_IP);
    assert.equal(f.dst, RAW_IP);
    assert.equal(f.ttl, 64);
    assert.ok(f.ipOk);
    assert.equal(f.icmpType, 0);
    assert.equal(f.icmpCode, 0);
    assert.equal(cksum(f.payload!), 0, 'ICMP checksum (updated incrementally) is valid');
    assert.equal(get16(f.payload!, 4), 0xbeef);
    assert.equal(get16(f.payload!, 6), 0x0102);
    assert.deepEqual(f.payload!.subarray(8), pattern(100, 3));
    assert.equal(a.stats.icmp.recv, 1);
    assert.equal(a.stats.icmp.xmit, 1);
    assertPoolsFull(a);
  });

  it('a 1472-byte ping payload works between two stacks (one full 1514-byte frame each way)', () => {
    const net = new MockNet({ seed: 12 });
    const a = net.addStack({ ip: '10.0.0.1/24', name: 'A' });
    const b = net.addStack({ ip: '10.0.0.2/24', name: 'B' });
    const spy = net.addRaw();
    spy.promiscuous = true;
    const got: number[] = [];
    a.onEchoReply = (src, id, seq, len) => got.push(src, id, seq, len);
    assert.equal(a.ping(B_IP, 3, 4, 1472), ERR_OK);
    net.run(10);
    assert.deepEqual(got, [B_IP, 3, 4, 1472]);
    const echo = spy.frames.filter((f) => parse(f).type === 0x0800);
    assert.deepEqual(echo.map((f) => f.length), [1514, 1514]);
    assert.deepEqual(parse(echo[1]).payload!.subarray(8), pattern(1472));
    assert.equal(a.stats.ipfrag.xmit + b.stats.ipfrag.xmit, 0, 'no fragmentation');
    assertPoolsFull(a, b);
  });

  it('answers a reassembled (chained) 5000-byte request, fragmenting the reply', () => {
    const { net, a, raw } = setup();
    // A learns the raw host first: a 4-fragment reply would overflow an ARP queue of 3
    raw.send(eth(BCAST, raw.mac, 0x0806, arp(1, raw.mac, RAW_IP, new Uint8Array(6), A_IP)));
    net.run(5);
    raw.clear();
    const req = icmpEcho(8, 1, 2, pattern(5000, 9));
    for (let off = 0; off < req.length; off += 1480) {
      const part = req.slice(off, off + 1480);
      raw.send(eth(a.netif.mac, raw.mac, 0x0800,
        ipv4({ src: RAW_IP, dst: A_IP, proto: 1, id: 300, fragOff: off, mf: off + 1480 < req.length }, part)));
    }
    net.run(10);
    const r = ipFrames(raw);
    assert.equal(r.length, 4);
    const whole = reassemble(r, r[0].id!)!;
    assert.equal(whole.length, 5008);
    assert.equal(whole[0], 0);
    assert.equal(cksum(whole), 0);
    assert.deepEqual(whole.subarray(8), pattern(5000, 9));
    assertPoolsFull(a);
  });

  it('does not answer a ping to a broadcast address, and counts it', () => {
    const { net, a, raw } = setup();
    sendIcmp(raw, a, icmpEcho(8, 1, 1, pattern(8)), ip('10.0.0.255'), BCAST);
    sendIcmp(raw, a, icmpEcho(8, 1, 2, pattern(8)), ip('255.255.255.255'), BCAST);
    net.run(5);
    assert.equal(ipFrames(raw).length, 0);
    assert.equal(a.stats.icmp.recv, 2);
    assert.equal(a.stats.icmp.drop, 2);
    assert.equal(a.stats.icmp.xmit, 0);
    assertPoolsFull(a);
  });

  it('never answers an ICMP error, not even with an error', () => {
    const { net, a, raw } = setup();
    // a destination unreachable quoting some datagram of ours
    const quote = ipv4({ src: A_IP, dst: RAW_IP, proto: 17 }, new Uint8Array(8));
    sendIcmp(raw, a, icmpMsg(3, 3, quote));
    // a time exceeded, a parameter problem
    sendIcmp(raw, a, icmpMsg(11, 0, quote));
    sendIcmp(raw, a, icmpMsg(12, 0, quote));
    net.run(5);
    assert.equal(a.stats.icmp.recv, 3);
    assert.equal(ipFrames(raw).length, 0);
    assertPoolsFull(a);
  });

  it('counts and drops a bad ICMP checksum and a truncated message', () => {
    const { net, a, raw } = setup();
    const bad = icmpEcho(8, 1, 1, pattern(20));
    bad[10] ^= 0xff;
    sendIcmp(raw, a, bad);
    sendIcmp(raw, a, new Uint8Array([8, 0, 0xf7, 0xff]));
    net.run(5);
    assert.equal(a.stats.icmp.chkerr, 1);
    assert.equal(a.stats.icmp.lenerr, 1);
    assert.equal(a.stats.icmp.drop, 2);
    assert.equal(ipFrames(raw).length, 0);
    assertPoolsFull(a);
  });

  it('ping() delivers replies through onEchoReply and rejects a bad length', () => {
    const { net, a, raw } = setup();
    const got: number[][] = [];
    a.onEchoReply = (src, id, seq, len) => got.push([src, id, seq, len]);
    assert.equal(a.ping(RAW_IP, 1, 1, -1), ERR_VAL);
    assert.equal(a.ping(RAW_IP, 1, 1, 70000), ERR_VAL);
    assert.equal(a.ping('not an address', 1, 1, 10), ERR_VAL);
    assert.equal(a.ping(RAW_IP, 0x4242, 9, 12), ERR_OK);
    net.run(5);
    const req = ipFrames(raw).find((f) => f.icmpType === 8)!;
    assert.equal(cksum(req.payload!), 0);
    assert.equal(get16(req.payload!, 4), 0x4242);
    assert.equal(get16(req.payload!, 6), 9);
    // the raw host answers it
    const rep = req.payload!.slice();
    rep[0] = 0; rep[2] = 0; rep[3] = 0;
    const c = cksum(rep); rep[2] = c >> 8; rep[3] = c & 0xff;
    sendIcmp(raw, a, rep);
    net.run(5);
    assert.deepEqual(got, [[RAW_IP, 0x4242, 9, 12]]);
    assertPoolsFull(a);
  });

  it('an echo reply with the hook unset is consumed quietly', () => {
    const { net, a, raw } = setup();
    sendIcmp(raw, a, icmpEcho(0, 1, 1, pattern(8)));
    net.run(5);
    assert.equal(a.stats.icmp.recv, 1);
    assert.equal(ipFrames(raw).length, 0);
    assertPoolsFull(a);
  });

  it('destination unreachable quotes the IP header and the first 8 data bytes (RFC 792)', () => {
    const { net, a, raw } = setup();
    const original = ipv4({ src: RAW_IP, dst: A_IP, proto: 200, id: 0x3456 }, pattern(40, 1));
    raw.send(eth(a.netif.mac, raw.mac, 0x0800, original));
    net.run(5);
    const r = ipFrames(raw);
    assert.equal(r.length, 1);
    const m = r[0].payload!;
    assert.equal(m[0], 3);
    assert.equal(m[1], 2);
    assert.equal(cksum(m), 0);
    assert.deepEqual(m.subarray(4, 8), new Uint8Array(4));
    assert.deepEqual(m.subarray(8), original.subarray(0, 28));
    assertPoolsFull(a);
  });

  it('no ICMP error about a datagram that came as a link-layer broadcast', () => {
    const { net, a, raw } = setup();
    // link broadcast to our unicast IP, unknown protocol
    raw.send(eth(BCAST, raw.mac, 0x0800, ipv4({ src: RAW_IP, dst: A_IP, proto: 200 }, pattern(20))));
    net.run(5);
    assert.equal(a.stats.ip.proterr, 1);
    assert.equal(ipFrames(raw).length, 0);
    assertPoolsFull(a);
  });
});
