import assert from 'node:assert/strict';
import { MockNet } from '../../tools/mocknet.js';
import type { RawEndpoint } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import { ERR_OK, ERR_USE, ERR_CLSD, ERR_CONN, ERR_ARG, ERR_VAL } from '../../src/core/err.js';
import type { Pbuf } from '../../src/core/pbuf.js';
import { PBUF_TRANSPORT, pbuf_free, pbuf_take, pbuf_copy_partial } from '../../src/core/pbuf.js';
import {
  udp_new, udp_bind, udp_connect, udp_disconnect, udp_send, udp_sendto, udp_recv, udp_remove, type UdpPcb,
} from '../../src/api/udp_api.js';
import { assertPoolsFull } from '../helpers/pools.js';
import { BCAST, answerArp, cksum, eth, get16, ip, ipv4, parse, pattern, udp, type Parsed } from '../helpers/frames.js';

const A_IP = ip('10.0.0.1');
const B_IP = ip('10.0.0.2');
const RAW_IP = ip('10.0.0.9');

function pbufOf(stack: Stack, data: Uint8Array): Pbuf {
  const p = stack.core.pbufs.alloc(PBUF_TRANSPORT, data.length)!;
  pbuf_take(p, data, data.length);
  return p;
}

function bytesOf(p: Pbuf): Uint8Array {
  const out = new Uint8Array(p.totLen);
  pbuf_copy_partial(p, out, p.totLen, 0);
  return out;
}

function twoStacks(config = {}): { net: MockNet; a: Stack; b: Stack } {
  const net = new MockNet({ seed: 21 });
  const a = net.addStack({ ip: '10.0.0.1/24', config, name: 'A' });
  const b = net.addStack({ ip: '10.0.0.2/24', config, name: 'B' });
  return { net, a, b };
}

function withRaw(config = {}): { net: MockNet; a: Stack; raw: RawEndpoint } {
  const net = new MockNet({ seed: 22 });
  const a = net.addStack({ ip: '10.0.0.1/24', config, name: 'A' });
  const raw = net.addRaw('02:99:00:00:00:09', 'raw');
  answerArp(raw, RAW_IP);
  return { net, a, raw };
}

function ipFrames(raw: RawEndpoint): Parsed[] {
  return raw.frames.map(parse).filter((f) => f.type === 0x0800);
}

describe('UDP (RFC 768) and the raw UDP API', () => {
  it('echo between two stacks: B echoes what A sends, A receives it', () => {
    const { net, a, b } = twoStacks();
    const server = udp_new(b)!;
    assert.equal(udp_bind(server, 0, 7), ERR_OK);
    udp_recv(server, (_arg, pcb, p, addr, port) => {
      udp_sendto(pcb, p, addr, port);
      pbuf_free(p);
    });
    const client = udp_new(a)!;
    assert.equal(udp_connect(client, '10.0.0.2', 7), ERR_OK);
    const got: { data: Uint8Array; addr: number; port: number; arg: unknown }[] = [];
    udp_recv(client, (arg, _pcb, p, addr, port) => {
      got.push({ data: bytesOf(p), addr, port, arg });
      pbuf_free(p);
    }, 'ctx');
    for (let i = 0; i < 3; i++) {
      const p = pbufOf(a, pattern(100 + i, i));
      assert.equal(udp_send(client, p), ERR_OK);
      assert.equal(p.totLen, 100 + i, 'the payload pbuf is given back as it was');
      pbuf_free(p);
    }
    net.run(10);
    assert.equal(got.length, 3);
    got.forEach((g, i) => {
      assert.deepEqual(g.data, pattern(100 + i, i));
      assert.equal(g.addr, B_IP);
      assert.equal(g.port, 7);
      assert.equal(g.arg, 'ctx');
    });
    assert.equal(b.stats.udp.recv, 3);
    assert.equal(b.stats.udp.xmit, 3);
    udp_remove(server);
    udp_remove(client);
    assertPoolsFull(a, b);
  });

  it('a large datagram (4000 bytes) is fragmented, reassembled and delivered as a chain', () => {
    const { net, a, b } = twoStacks();
    const server = udp_new(b)!;
    udp_bind(server, B_IP, 9000);
    let got: Uint8Array | null = null;
    udp_recv(server, (_arg, _pcb, p) => { got = bytesOf(p); pbuf_free(p); });
    const c = udp_new(a)!;
    const p = pbufOf(a, pattern(4000, 7));
    assert.equal(udp_sendto(c, p, B_IP, 9000), ERR_OK);
    pbuf_free(p);
    net.run(10);
    assert.deepEqual(got, pattern(4000, 7));
    udp_remove(server);
    udp_remove(c);
    assertPoolsFull(a, b);
  });

  it('port unreachable for a datagram nobody listens to, quoting header + 8 bytes', () => {
    const { net, a, raw } = withRaw();
    const dgram = ipv4({ src: RAW_IP, dst: A_IP, proto: 17, id: 0x1111 }, udp(RAW_IP, A_IP, 5555, 4444, pattern(30)));
    raw.send(eth(a.netif.mac, raw.mac, 0x0800, dgram));
    net.run(5);
    const r = ipFrames(raw);
    assert.equal(r.length, 1);
    assert.equal(r[0].icmpType, 3);
    assert.equal(r[0].icmpCode, 3);
    assert.equal(r[0].dst, RAW_IP);
    assert.equal(cksum(r[0].payload!), 0);
    assert.deepEqual(r[0].payload!.subarray(8), dgram.subarray(0, 28));
    assert.equal(a.stats.udp.proterr, 1);
    assertPoolsFull(a);
  });

  it('port unreachable between two stacks reaches the sender as an ICMP message', () => {
    const { net, a, b } = twoStacks();
    const c = udp_new(a)!;
    const p = pbufOf(a, pattern(10));
    udp_sendto(c, p, B_IP, 9999);
    pbuf_free(p);
    net.run(10);
    assert.equal(b.stats.udp.proterr, 1);
    assert.equal(b.stats.icmp.xmit, 1);
    assert.equal(a.stats.icmp.recv, 1);
    udp_remove(c);
    assertPoolsFull(a, b);
  });

  it('no port unreachable for a broadcast datagram', () => {
    const { net, a, raw } = withRaw();
    raw.send(eth(BCAST, raw.mac, 0x0800,
      ipv4({ src: RAW_IP, dst: ip('255.255.255.255'), proto: 17 }, udp(RAW_IP, ip('255.255.255.255'), 68, 67, pattern(10)))));
    raw.send(eth(BCAST, raw.mac, 0x0800,
      ipv4({ src: RAW_IP, dst: ip('10.0.0.255'), proto: 17 }, udp(RAW_IP, ip('10.0.0.255'), 68, 67, pattern(10)))));
    net.run(5);
    assert.equal(a.stats.udp.drop, 2);
    assert.equal(ipFrames(raw).length, 0);
    assertPoolsFull(a);
  });

  it('receives broadcasts on a pcb bound to any address', () => {
    const { net, a, raw } = withRaw();
    const pcb = udp_new(a)!;
    udp_bind(pcb, 0, 67);
    const from: number[] = [];
    udp_recv(pcb, (_a, _p, p, addr, port) => { from.push(addr, port, p.totLen); pbuf_free(p); });
    raw.send(eth(BCAST, raw.mac, 0x0800,
      ipv4({ src: RAW_IP, dst: ip('255.255.255.255'), proto: 17 }, udp(RAW_IP, ip('255.255.255.255'), 68, 67, pattern(10)))));
    net.run(5);
    assert.deepEqual(from, [RAW_IP, 68, 10]);
    udp_remove(pcb);
    assertPoolsFull(a);
  });

  it('checksums: a bad one is counted and dropped, a zero one means none', () => {
    const { net, a, raw } = withRaw();
    const pcb = udp_new(a)!;
    udp_bind(pcb, 0, 53);
    let n = 0;
    udp_recv(pcb, (_a, _p, p) => { n++; pbuf_free(p); });
    const bad = udp(RAW_IP, A_IP, 1000, 53, pattern(20));
    bad[9] ^= 0x40;
    raw.send(eth(a.netif.mac, raw.mac, 0x0800, ipv4({ src: RAW_IP, dst: A_IP, proto: 17 }, bad)));
    raw.send(eth(a.netif.mac, raw.mac, 0x0800, ipv4({ src: RAW_IP, dst: A_IP, proto: 17 }, udp(RAW_IP, A_IP, 1000, 53, pattern(20), false))));
    raw.send(eth(a.netif.mac, raw.mac, 0x0800, ipv4({ src: RAW_IP, dst: A_IP, proto: 17 }, udp(RAW_IP, A_IP, 1000, 53, pattern(21)))));
    net.run(5);
    assert.equal(a.stats.udp.chkerr, 1);
    assert.equal(n, 2);
    udp_remove(pcb);
    assertPoolsFull(a);
  });

  it('sent datagrams carry a valid checksum over the pseudo-header', () => {
    const { net, a, raw } = withRaw();
    const pcb = udp_new(a)!;
    udp_bind(pcb, 0, 4321);
    for (const len of [0, 1, 33]) {
      const p = pbufOf(a, pattern(len));
      assert.equal(udp_sendto(pcb, p, RAW_IP, 1234), ERR_OK);
      pbuf_free(p);
    }
    net.run(5);
    const r = ipFrames(raw);
    assert.equal(r.length, 3);
    for (const f of r) {
      const u = f.payload!;
      assert.equal(get16(u, 0), 4321);
      assert.equal(get16(u, 2), 1234);
      assert.equal(get16(u, 4), u.length);
      assert.notEqual(get16(u, 6), 0);
      const pseudo = (A_IP >>> 16) + (A_IP & 0xffff) + (RAW_IP >>> 16) + (RAW_IP & 0xffff) + 17 + u.length;
      assert.equal(cksum(u, 0, u.length, pseudo), 0);
    }
    udp_remove(pcb);
    assertPoolsFull(a);
  });

  it('drops a datagram whose UDP length disagrees with the IP length', () => {
    const { net, a, raw } = withRaw();
    const pcb = udp_new(a)!;
    udp_bind(pcb, 0, 53);
    udp_recv(pcb, (_a, _p, p) => pbuf_free(p));
    const u = udp(RAW_IP, A_IP, 1000, 53, pattern(20), false);
    u[5] = 60; // longer than the datagram
    raw.send(eth(a.netif.mac, raw.mac, 0x0800, ipv4({ src: RAW_IP, dst: A_IP, proto: 17 }, u)));
    raw.send(eth(a.netif.mac, raw.mac, 0x0800, ipv4({ src: RAW_IP, dst: A_IP, proto: 17 }, new Uint8Array(5))));
    net.run(5);
    assert.equal(a.stats.udp.lenerr, 2);
    udp_remove(pcb);
    assertPoolsFull(a);
  });

  it('a connected pcb only hears its peer; others get port unreachable; one pcb per port', () => {
    const { net, a, raw } = withRaw();
    const conn = udp_new(a)!;
    const any = udp_new(a)!;
    assert.equal(udp_bind(conn, 0, 5000), ERR_OK);
    assert.equal(udp_connect(conn, RAW_IP, 6000), ERR_OK);
    const seen: string[] = [];
    udp_recv(conn, (_a, _p, p, _addr, port) => { seen.push('conn:' + port); pbuf_free(p); });
    // a second pcb on the same port is refused while the first is bound to any address
    assert.equal(udp_bind(any, 0, 5000), ERR_USE);
    udp_disconnect(conn);
    udp_connect(conn, RAW_IP, 6000);
    for (const sport of [6000, 6001]) {
      raw.send(eth(a.netif.mac, raw.mac, 0x0800, ipv4({ src: RAW_IP, dst: A_IP, proto: 17 }, udp(RAW_IP, A_IP, sport, 5000, pattern(4)))));
    }
    net.run(5);
    assert.deepEqual(seen, ['conn:6000']);
    // 6001 had no listener: port unreachable
    assert.equal(ipFrames(raw).filter((f) => f.icmpType === 3).length, 1);
    udp_remove(conn);
    udp_remove(any);
    assertPoolsFull(a);
  });

  it('API misuse returns error codes: ERR_USE, ERR_CONN, ERR_CLSD, ERR_ARG, ERR_VAL, pool exhaustion', () => {
    const { a } = twoStacks({ MEMP_NUM_UDP_PCB: 2 });
    const p1 = udp_new(a)!;
    const p2 = udp_new(a)!;
    assert.equal(udp_new(a), null);
    assert.equal(a.udp.pool.stats.err, 1);
    assert.equal(udp_bind(p1, 0, 1000), ERR_OK);
    assert.equal(udp_bind(p2, 0, 1000), ERR_USE);
    assert.equal(udp_bind(p2, 0, 0), ERR_OK, 'ephemeral');
    assert.equal(udp_bind(p2, '10.9.9.9', 1001), ERR_VAL, 'not our address');
    assert.equal(udp_bind(p2, 0, 70000), ERR_VAL);
    const p = pbufOf(a, pattern(4));
    assert.equal(udp_send(p1, p), ERR_CONN);
    assert.equal(udp_sendto(p1, p, B_IP, 0), ERR_VAL);
    assert.equal(udp_sendto(null, p, B_IP, 7), ERR_ARG);
    assert.equal(udp_remove(p1), ERR_OK);
    assert.equal(udp_remove(p1), ERR_CLSD);
    // the slot is reused: the stale handle must not reach the new pcb
    const p3: UdpPcb = udp_new(a)!;
    assert.equal(udp_bind(p1, 0, 2000), ERR_CLSD);
    assert.equal(udp_sendto(p1, p, B_IP, 7), ERR_CLSD);
    assert.equal(udp_bind(p3, 0, 1000), ERR_OK);
    pbuf_free(p);
    udp_remove(p2);
    udp_remove(p3);
    assertPoolsFull(a);
  });

  it('sends a payload held by reference (PBUF_REF) with the header in a pbuf of its own', () => {
    const { net, a, b } = twoStacks();
    const server = udp_new(b)!;
    udp_bind(server, 0, 7);
    let got: Uint8Array | null = null;
    udp_recv(server, (_arg, _pcb, p) => { got = bytesOf(p); pbuf_free(p); });
    const c = udp_new(a)!;
    const data = pattern(300, 2);
    const ref = a.core.pbufs.allocRef(data, 0, data.length)!;
    assert.equal(udp_sendto(c, ref, B_IP, 7), ERR_OK);
    assert.equal(ref.totLen, 300);
    assert.equal(ref.next, null);
    pbuf_free(ref);
    net.run(10);
    assert.deepEqual(got, data);
    udp_remove(server);
    udp_remove(c);
    assertPoolsFull(a, b);
  });
});
