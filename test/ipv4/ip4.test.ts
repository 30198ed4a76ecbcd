import assert from 'node:assert/strict';
import { MockNet } from '../../tools/mocknet.js';
import type { RawEndpoint } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import { ERR_OK, ERR_RTE } from '../../src/core/err.js';
import { assertPoolsFull } from '../helpers/pools.js';
import {
  BCAST, answerArp, eth, icmpEcho, ip, ipv4, macEq, parse, pattern, reassemble, udp, type IpOpts, type Parsed,
} from '../helpers/frames.js';

const A_IP = ip('10.0.0.1');
const RAW_IP = ip('10.0.0.9');

/** Stack A and a raw host at 10.0.0.9 that answers ARP. */
function setup(config = {}, netOpts = {}): { net: MockNet; a: Stack; raw: RawEndpoint } {
  const net = new MockNet({ seed: 3, ...netOpts });
  const a = net.addStack({ ip: '10.0.0.1/24', config, name: 'A' });
  const raw = net.addRaw('02:99:00:00:00:09', 'raw');
  answerArp(raw, RAW_IP);
  return { net, a, raw };
}

function sendIp(raw: RawEndpoint, a: Stack, o: Partial<IpOpts>, payload: Uint8Array): void {
  raw.send(eth(a.netif.mac, raw.mac, 0x0800, ipv4({ src: RAW_IP, dst: A_IP, proto: 1, ...o }, payload)));
}

function ipFrames(raw: RawEndpoint): Parsed[] {
  return raw.frames.map(parse).filter((f) => f.type === 0x0800);
}

/** Splits `payload` into fragments of `size` data bytes (a multiple of 8) of datagram `id`. */
function fragments(payload: Uint8Array, size: number, id: number, proto = 1): { off: number; mf: boolean; data: Uint8Array; id: number; proto: number }[] {
  const out = [];
  for (let off = 0; off < payload.length; off += size) {
    const data = payload.slice(off, off + size);
    out.push({ off, mf: off + size < payload.length, data, id, proto });
  }
  return out;
}

function sendFrag(raw: RawEndpoint, a: Stack, f: { off: number; mf: boolean; data: Uint8Array; id: number; proto: number }): void {
  sendIp(raw, a, { id: f.id, fragOff: f.off, mf: f.mf, proto: f.proto }, f.data);
}

describe('IPv4 (RFC 791, RFC 1122 §3.2.1)', () => {
  describe('reassembly', () => {
    const data = pattern(3000, 5);
    const request = icmpEcho(8, 0x77, 1, data);

    function checkReply(raw: RawEndpoint): void {
      const frames = ipFrames(raw);
      const reply = frames.filter((f) => f.proto === 1 && f.src === A_IP);
      assert.ok(reply.length >= 3, 'the 3008-byte reply leaves in fragments');
      const whole = reassemble(reply, reply[0].id!);
      assert.ok(whole !== null);
      assert.equal(whole!.length, request.length);
      assert.equal(whole![0], 0);
      assert.deepEqual(whole!.subarray(8), data);
    }

    it('in order: a 3000-byte ping in three fragments is answered', () => {
      const { net, a, raw } = setup();
      for (const f of fragments(request, 1200, 500)) sendFrag(raw, a, f);
      net.run(10);
      checkReply(raw);
      assert.equal(a.stats.ipfrag.recv, 3);
      assert.equal(a.stats.ipfrag.drop, 0);
      assert.equal(a.ip.reassemblyCount, 0);
      assertPoolsFull(a);
    });

    it('out of order', () => {
      const { net, a, raw } = setup();
      const fr = fragments(request, 1000, 501);
      for (const i of [3, 1, 0, 2]) sendFrag(raw, a, fr[i]);
      net.run(10);
      checkReply(raw);
      assertPoolsFull(a);
    });

    it('duplicate fragments are dropped, the datagram still completes', () => {
      const { net, a, raw } = setup();
      const fr = fragments(request, 1200, 502);
      for (const i of [0, 1, 1, 0, 2]) sendFrag(raw, a, fr[i]);
      net.run(10);
      checkReply(raw);
      assert.equal(a.stats.ipfrag.drop, 2);
      assertPoolsFull(a);
    });

    it('an overlapping fragment is dropped (first data wins), no crash', () => {
      const { net, a, raw } = setup();
      const fr = fragments(request, 1200, 503);
      sendFrag(raw, a, fr[0]);
      // overlaps the end of fragment 0 and the start of fragment 1, with different bytes
      sendFrag(raw, a, { off: 1120, mf: true, data: new Uint8Array(160).fill(0xee), id: 503, proto: 1 });
      // entirely inside fragment 0
      sendFrag(raw, a, { off: 8, mf: true, data: new Uint8Array(16).fill(0xee), id: 503, proto: 1 });
      sendFrag(raw, a, fr[2]);
      sendFrag(raw, a, fr[1]);
      net.run(10);
      checkReply(raw);
      assert.equal(a.stats.ipfrag.err, 2);
      assertPoolsFull(a);
    });

    it('times out after IP_REASS_MAXAGE: fragments freed, ICMP time exceeded sent', () => {
      const { net, a, raw } = setup({ IP_REASS_MAXAGE: 3000 });
      const fr = fragments(request, 1200, 504);
      sendFrag(raw, a, fr[0]);
      sendFrag(raw, a, fr[2]);
      net.run(2990);
      assert.equal(a.ip.reassemblyCount, 1);
      assert.equal(a.core.pbufs.pool.used, 2);
      net.run(20);
      assert.equal(a.ip.reassemblyCount, 0);
      assert.equal(a.stats.ipfrag.drop, 2);
      const te = ipFrames(raw).filter((f) => f.icmpType === 11);
      assert.equal(te.length, 1);
      assert.equal(te[0].icmpCode, 1);
      assert.equal(te[0].dst, RAW_IP);
      // quotes the first fragment's header (id 504) and 8 bytes of its data
      const q = te[0].payload!.subarray(8);
      assert.equal(q.length, 28);
      assert.equal((q[4] << 8) | q[5], 504);
      assertPoolsFull(a);
    });

    it('no time exceeded when fragment zero never arrived', () => {
      const { net, a, raw } = setup({ IP_REASS_MAXAGE: 1000 });
      sendFrag(raw, a, fragments(request, 1200, 505)[1]);
      net.run(1100);
      assert.equal(a.stats.ipfrag.drop, 1);
      assert.equal(ipFrames(raw).length, 0);
      assertPoolsFull(a);
    });

    it('at most IP_REASS_MAX_DATAGRAMS at once: the oldest gives way', () => {
      const { net, a, raw } = setup({ IP_REASS_MAX_DATAGRAMS: 2 });
      const d1 = fragments(request, 1200, 601);
      const d2 = fragments(request, 1200, 602);
      const d3 = fragments(request, 1200, 603);
      sendFrag(raw, a, d1[0]);
      net.run(2);
      sendFrag(raw, a, d2[0]);
      net.run(2);
      sendFrag(raw, a, d3[0]);
      net.run(2);
      assert.equal(a.ip.reassemblyCount, 2);
      assert.equal(a.stats.ipfrag.drop, 1, 'datagram 601 evicted');
      sendFrag(raw, a, d1[1]);
      sendFrag(raw, a, d1[2]);
      for (const i of [1, 2]) sendFrag(raw, a, d3[i]);
      net.run(10);
      const replies = ipFrames(raw).filter((f) => f.src === A_IP && f.fragOff === 0);
      assert.equal(replies.length, 1, 'only 603 completes');
      net.run(5000);
      assertPoolsFull(a);
    });

    it('at most IP_REASS_MAX_PBUFS held: a datagram needing more is dropped', () => {
      const { net, a, raw } = setup({ IP_REASS_MAX_PBUFS: 4 });
      const fr = fragments(request, 504, 700); // 6 fragments
      for (const f of fr) sendFrag(raw, a, f);
      net.run(10);
      assert.ok(a.core.pbufs.pool.used <= 4);
      assert.equal(a.stats.ipfrag.memerr, 2);
      assert.equal(ipFrames(raw).length, 0);
      net.run(4000);
      assert.equal(a.stats.ipfrag.drop, 6);
      assertPoolsFull(a);
    });

    it('drops a fragment that would make the datagram exceed 65535 bytes', () => {
      const { net, a, raw } = setup();
      sendIp(raw, a, { id: 800, fragOff: 65528, mf: false }, new Uint8Array(16));
      sendIp(raw, a, { id: 801, fragOff: 8, mf: true }, new Uint8Array(20)); // not a multiple of 8
      net.run(5);
      assert.equal(a.stats.ipfrag.lenerr, 2);
      assert.equal(a.ip.reassemblyCount, 0);
      assertPoolsFull(a);
    });

    it('with IP_REASSEMBLY false fragments are dropped and counted', () => {
      const { net, a, raw } = setup({ IP_REASSEMBLY: false });
      for (const f of fragments(request, 1200, 900)) sendFrag(raw, a, f);
      net.run(10);
      assert.equal(a.stats.ipfrag.drop, 3);
      assert.equal(ipFrames(raw).length, 0);
      assertPoolsFull(a);
    });
  });

  describe('input checks', () => {
    it('counts and drops a bad header checksum, version, header length and total length', () => {
      const { net, a, raw } = setup();
      const ping = icmpEcho(8, 1, 1, pattern(20));
      sendIp(raw, a, { badChecksum: true }, ping);
      const v6 = ipv4({ src: RAW_IP, dst: A_IP, proto: 1 }, ping);
      v6[0] = 0x65;
      raw.send(eth(a.netif.mac, raw.mac, 0x0800, v6));
      const shortHl = ipv4({ src: RAW_IP, dst: A_IP, proto: 1 }, ping);
      shortHl[0] = 0x44; // 16-byte header
      raw.send(eth(a.netif.mac, raw.mac, 0x0800, shortHl));
      sendIp(raw, a, { totLen: 200 }, ping); // longer than the frame
      raw.send(eth(a.netif.mac, raw.mac, 0x0800, new Uint8Array(12))); // shorter than a header
      net.run(5);
      assert.equal(a.stats.ip.recv, 5);
      assert.equal(a.stats.ip.chkerr, 1);
      assert.equal(a.stats.ip.drop, 5);
      assert.ok(a.stats.ip.lenerr + a.stats.ip.err === 4);
      assert.equal(ipFrames(raw).length, 0);
      assertPoolsFull(a);
    });

    it('trims Ethernet padding to the IP total length', () => {
      const { net, a, raw } = setup({}, { minFrameLen: 60 });
      const ping = icmpEcho(8, 2, 3, pattern(4));
      sendIp(raw, a, {}, ping); // 14 + 20 + 12 = 46 bytes, padded to 60
      net.run(5);
      const r = ipFrames(raw).filter((f) => f.icmpType === 0);
      assert.equal(r.length, 1);
      assert.equal(r[0].totLen, 20 + 12, 'the reply does not echo the padding');
      assert.deepEqual(r[0].payload!.subarray(8), pattern(4));
      assertPoolsFull(a);
    });

    it('drops packets for other addresses (no forwarding) and from bad sources', () => {
      const { net, a, raw } = setup();
      const ping = icmpEcho(8, 1, 1, pattern(8));
      sendIp(raw, a, { dst: ip('10.0.0.7') }, ping);
      sendIp(raw, a, { dst: ip('192.168.1.1') }, ping);
      sendIp(raw, a, { src: ip('255.255.255.255') }, ping);
      sendIp(raw, a, { src: ip('10.0.0.255') }, ping);
      sendIp(raw, a, { src: ip('224.0.0.1') }, ping);
      sendIp(raw, a, { src: ip('127.0.0.1') }, ping);
      sendIp(raw, a, { src: 0 }, ping);
      net.run(5);
      assert.equal(a.stats.ip.drop, 7);
      assert.equal(a.stats.ip.fw, 0);
      assert.equal(a.stats.icmp.recv, 0);
      assert.equal(ipFrames(raw).length, 0);
      assertPoolsFull(a);
    });

    it('accepts IP options and a low TTL (not checked by a host)', () => {
      const { net, a, raw } = setup();
      sendIp(raw, a, { ihl: 24, ttl: 1 }, icmpEcho(8, 1, 1, pattern(8)));
      net.run(5);
      const r = ipFrames(raw);
      assert.equal(r.length, 1);
      assert.equal(r[0].icmpType, 0);
      assert.equal(r[0].ihl, 20, 'no options in the reply');
      assertPoolsFull(a);
    });

    it('answers an unknown protocol with protocol unreachable, but not for a broadcast', () => {
      const { net, a, raw } = setup();
      sendIp(raw, a, { proto: 99 }, pattern(30));
      sendIp(raw, a, { proto: 99, dst: ip('10.0.0.255') }, pattern(30));
      raw.send(eth(BCAST, raw.mac, 0x0800, ipv4({ src: RAW_IP, dst: ip('255.255.255.255'), proto: 99 }, pattern(30))));
      net.run(5);
      assert.equal(a.stats.ip.proterr, 3);
      const r = ipFrames(raw);
      assert.equal(r.length, 1);
      assert.equal(r[0].icmpType, 3);
      assert.equal(r[0].icmpCode, 2);
      assert.equal(r[0].payload!.length, 8 + 20 + 8);
      assertPoolsFull(a);
    });
  });

  describe('output', () => {
    it('routes off-subnet traffic through the gateway, resolving the gateway\'s MAC', () => {
      const net = new MockNet({ seed: 4 });
      const a = net.addStack({ ip: '10.0.0.1/24', gateway: '10.0.0.254', name: 'A' });
      const gw = net.addRaw('02:fe:00:00:00:fe', 'gw');
      answerArp(gw, ip('10.0.0.254'));
      assert.equal(a.ping('8.8.8.8', 1, 1, 10), ERR_OK);
      net.run(5);
      const f = gw.frames.map(parse);
      assert.equal(f[0].type, 0x0806);
      assert.equal(f[0].tpa, ip('10.0.0.254'));
      const echo = f.find((x) => x.type === 0x0800)!;
      assert.ok(macEq(echo.dstMac, gw.mac));
      assert.equal(echo.dst, ip('8.8.8.8'));
      assert.equal(echo.src, A_IP);
      assert.equal(echo.ttl, 64);
      assert.ok(echo.ipOk);
      assert.equal(echo.df, false);
      assertPoolsFull(a);
    });

    it('without a gateway off-subnet is ERR_RTE (ip.rterr); so are our own address and a link that is down', () => {
      const { net, a } = setup();
      assert.equal(a.ping('8.8.8.8', 1, 1, 10), ERR_RTE);
      assert.equal(a.stats.ip.rterr, 1);
      assert.equal(a.ping(A_IP, 1, 1, 10), ERR_RTE, 'no loopback: our own address is no route');
      net.driverOf(a).setLink(false);
      assert.equal(a.ping(RAW_IP, 1, 1, 10), ERR_RTE);
      assert.equal(a.stats.ip.rterr, 3);
      assertPoolsFull(a);
    });

    it('sends limited and directed broadcasts to the broadcast MAC', () => {
      const { net, a, raw } = setup();
      a.ping('255.255.255.255', 1, 1, 4);
      a.ping('10.0.0.255', 1, 2, 4);
      net.run(5);
      const f = raw.frames.map(parse);
      assert.equal(f.length, 2);
      assert.ok(f.every((x) => x.type === 0x0800 && macEq(x.dstMac, BCAST)));
      assert.equal(a.arp.find(ip('10.0.0.255')), -1, 'no ARP for a broadcast');
      assertPoolsFull(a);
    });

    it('fragments a datagram larger than the MTU, with increasing ids', () => {
      const { net, a, raw } = setup();
      a.ping(RAW_IP, 5, 5, 1); // resolve first: 4 packets would overflow the ARP queue of 3
      net.run(5);
      raw.clear();
      a.ping(RAW_IP, 5, 6, 4000);
      a.ping(RAW_IP, 5, 7, 10);
      net.run(5);
      const f = ipFrames(raw);
      assert.equal(f.length, 4);
      assert.deepEqual(f.slice(0, 3).map((x) => x.fragOff), [0, 1480, 2960]);
      assert.deepEqual(f.slice(0, 3).map((x) => x.mf), [true, true, false]);
      assert.ok(f.every((x) => x.totLen! <= 1500 && x.ipOk));
      const whole = reassemble(f, f[0].id!)!;
      assert.equal(whole.length, 4008);
      assert.deepEqual(whole.subarray(8), pattern(4000));
      assert.equal(f[3].id, (f[0].id! + 1) & 0xffff);
      assertPoolsFull(a);
    });

    it('two stacks ping each other with a 3000-byte payload (fragmented both ways)', () => {
      const net = new MockNet({ seed: 5 });
      const a = net.addStack({ ip: '10.0.0.1/24', name: 'A' });
      const b = net.addStack({ ip: '10.0.0.2/24', name: 'B' });
      const got: number[] = [];
      a.onEchoReply = (_s, _i, seq, len) => got.push(seq, len);
      a.ping('10.0.0.2', 1, 42, 3000);
      net.run(20);
      assert.deepEqual(got, [42, 3000]);
      assert.equal(b.stats.ipfrag.recv, 3);
      assert.equal(a.stats.ipfrag.recv, 3);
      assertPoolsFull(a, b);
    });

    it('a UDP datagram carries through IPv4 with the right length and checksum fields', () => {
      const { net, a, raw } = setup();
      // unknown-port UDP to A: the port unreachable quotes the original header
      raw.send(eth(a.netif.mac, raw.mac, 0x0800, ipv4({ src: RAW_IP, dst: A_IP, proto: 17 }, udp(RAW_IP, A_IP, 1000, 2000, pattern(10)))));
      net.run(5);
      const r = ipFrames(raw);
      assert.equal(r.length, 1);
      assert.equal(r[0].icmpType, 3);
      assert.equal(r[0].icmpCode, 3);
      assertPoolsFull(a);
    });
  });
});
