/**
 * The HAL's optional fast paths: one-copy receive (FrameSink.rxReserve / rxCommit, the driver writes
 * the frame into a pool pbuf), the native checksum hook (Hal.checksum) and pool memory from the HAL
 * (Hal.poolMemory). Deterministic: mock wire, virtual clock, seeded randomness; pools full at the end.
 */
import assert from 'node:assert/strict';
import { MockNet } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import { ERR_OK } from '../../src/core/err.js';
import type { Pbuf } from '../../src/core/pbuf.js';
import { pbuf_free, pbuf_copy_partial, PbufPool, poolArenaAt } from '../../src/core/pbuf.js';
import { TCP_HDR_TEMPLATE_BYTES } from '../../src/core/config.js';
import { chksumAdd, chksumFold } from '../../src/core/checksum.js';
import {
  tcp_new, tcp_connect, tcp_recv, tcp_recved, tcp_write, tcp_output, tcp_sndbuf, tcp_close, TCP_WRITE_FLAG_COPY,
} from '../../src/api/tcp_api.js';
import type { TcpPcb } from '../../src/api/tcp_api.js';
import { startEcho } from '../../src/apps/echo.js';
import { assertPoolsFull } from '../helpers/pools.js';
import { answerArp, eth, icmpEcho, ip, ipv4, parse, pattern } from '../helpers/frames.js';

const SERVER = '10.0.0.1';
const CLIENT = '10.0.0.2';
const RAW = '10.0.0.9';

/** The reference checksum with Hal.checksum's contract (folded, not complemented). */
function jsSum(buf: Uint8Array, off: number, len: number, initial: number): number {
  return chksumFold(chksumAdd(buf, null, off, len, initial));
}

interface Run {
  echoed: Uint8Array;
  pings: number;
  stats: string;
}

/**
 * Two stacks and a raw host: the raw host pings the server (ARP both ways, ICMP echo), the client
 * sends `n` bytes to the server's echo service and closes. Returns what came back and the counters.
 */
function echoScenario(net: MockNet, server: Stack, client: Stack, n: number): Run {
  const raw = net.addRaw();
  answerArp(raw, ip(RAW));
  const echo = startEcho(server);
  const data = pattern(n, 3);
  const got: number[] = [];
  let pcb: TcpPcb | null = tcp_new(client);
  assert.ok(pcb !== null);
  let sent = 0;
  const pump = (p: TcpPcb): void => {
    while (sent < n) {
      let k = tcp_sndbuf(p);
      if (k <= 0) break;
      if (k > n - sent) k = n - sent;
      if (tcp_write(p, data, k, TCP_WRITE_FLAG_COPY, sent) !== ERR_OK) break;
      sent += k;
    }
    tcp_output(p);
  };
  tcp_recv(pcb, (_a, p, q) => {
    if (q === null) return ERR_OK;
    const tmp = new Uint8Array(q.totLen);
    pbuf_copy_partial(q, tmp, q.totLen, 0);
    for (const b of tmp) got.push(b);
    tcp_recved(p, q.totLen);
    pbuf_free(q);
    pump(p);
    return ERR_OK;
  });
  assert.equal(tcp_connect(pcb, SERVER, 7, (_a, p) => { pump(p); return ERR_OK; }), ERR_OK);
  for (let seq = 1; seq <= 3; seq++) {
    raw.send(eth(server.netif.mac, raw.mac, 0x0800,
      ipv4({ src: ip(RAW), dst: ip(SERVER), proto: 1 }, icmpEcho(8, 7, seq, pattern(100 + seq)))));
  }
  assert.ok(net.runUntil(() => got.length >= n, 60000), 'echoed ' + got.length + ' of ' + n);
  tcp_close(pcb);
  pcb = null;
  net.run(3000);
  echo.stop();
  net.run(10);
  const pings = raw.frames.map(parse).filter((r) => r.proto === 1 && r.icmpType === 0).length;
  return { echoed: Uint8Array.from(got), pings, stats: JSON.stringify([server.stats, client.stats]) };
}

function pair(oneCopy: boolean): { net: MockNet; server: Stack; client: Stack } {
  const net = new MockNet({ seed: 41, oneCopy });
  const server = net.addStack({ ip: SERVER + '/24', config: { TCP_MSL: 500 } });
  const client = net.addStack({ ip: CLIENT + '/24', config: { TCP_MSL: 500 } });
  return { net, server, client };
}

describe('one-copy receive (rxReserve / rxCommit)', () => {
  it('behaves exactly like receiveFrame: echo, ping, ARP, the same counters, pools full', () => {
    const a = pair(false);
    const viaCopy = echoScenario(a.net, a.server, a.client, 50000);
    const b = pair(true);
    const viaReserve = echoScenario(b.net, b.server, b.client, 50000);
    assert.deepEqual(viaReserve.echoed, pattern(50000, 3));
    assert.deepEqual(viaReserve.echoed, viaCopy.echoed);
    assert.equal(viaReserve.pings, 3);
    assert.equal(viaReserve.stats, viaCopy.stats);
    assert.ok(b.net.driverOf(b.server).rxFrames > 40);
    assertPoolsFull(a.server, a.client, b.server, b.client);
  });

  it('offers the pool memory: the frame is read where rxReserve said, in rxMemory', () => {
    const { net, server } = pair(true);
    const raw = net.addRaw();
    answerArp(raw, ip(RAW));
    const nf = server.netif;
    assert.equal(nf.rxMemory, server.core.pbufs.mem);
    assert.equal(nf.rxMemory.byteOffset, 0);
    assert.equal(nf.rxCapacity, server.core.config.PBUF_POOL_BUFSIZE);
    const at = nf.rxReserve();
    assert.ok(at >= 0 && at + nf.rxCapacity <= nf.rxMemory.length);
    const f = eth(nf.mac, raw.mac, 0x0800,
      ipv4({ src: ip(RAW), dst: ip(SERVER), proto: 1 }, icmpEcho(8, 1, 1, pattern(8))));
    nf.rxMemory.set(f, at);
    nf.rxCommit(f.length);
    assert.equal(server.stats.icmp.recv, 1);
    assert.equal(server.stats.link.recv, 1);
    net.run(100);
    assert.equal(raw.frames.map(parse).filter((r) => r.proto === 1 && r.icmpType === 0).length, 1);
    assertPoolsFull(server);
  });

  it('rxReserve answers -1 and counts a dropped frame when the pool is empty', () => {
    const net = new MockNet({ seed: 42 });
    const s = net.addStack({ ip: SERVER + '/24', config: { PBUF_POOL_SIZE: 8 } });
    const held: Pbuf[] = [];
    for (;;) { const p = s.core.pbufs.allocRx(100); if (p === null) break; held.push(p); }
    assert.equal(s.netif.rxReserve(), -1);
    assert.equal(s.stats.link.memerr, 1);
    assert.equal(s.stats.link.drop, 1);
    assert.equal(s.stats.link.recv, 1);
    // the same as receiveFrame counts for a frame that finds the pool empty
    s.netif.receiveFrame(new Uint8Array(60), 0, 60);
    assert.equal(s.stats.link.memerr, 2);
    assert.equal(s.stats.link.drop, 2);
    for (const p of held) pbuf_free(p);
    assertPoolsFull(s);
  });

  it('rxCommit(0) gives the pbuf back uncounted; a second rxReserve before commit reuses the same one', () => {
    const { server } = pair(true);
    const free = server.core.pbufs.freeCount;
    const at = server.netif.rxReserve();
    assert.equal(server.core.pbufs.freeCount, free - 1);
    assert.equal(server.netif.rxReserve(), at);
    assert.equal(server.core.pbufs.freeCount, free - 1);
    server.netif.rxCommit(0);
    assert.equal(server.core.pbufs.freeCount, free);
    assert.equal(server.stats.link.recv, 0);
    assert.equal(server.stats.link.drop, 0);
    assertPoolsFull(server);
  });

  it('a commit with nothing reserved is a counted error, not a throw; bad lengths are lenerr', () => {
    const { server } = pair(true);
    const st = server.stats.link;
    server.netif.rxCommit(100);
    server.netif.rxCommit(0);
    assert.equal(st.err, 2);
    assert.equal(st.recv, 0);
    server.netif.rxReserve();
    server.netif.rxCommit(13); // shorter than an Ethernet header
    server.netif.rxReserve();
    server.netif.rxCommit(server.netif.rxCapacity + 1);
    assert.equal(st.lenerr, 2);
    assert.equal(st.drop, 2);
    assert.equal(st.recv, 2);
    assertPoolsFull(server);
  });
});

describe('native checksum hook (Hal.checksum)', () => {
  it('is called for every checksum, and its result is what the stack uses', () => {
    let calls = 0;
    const counting = (buf: Uint8Array, off: number, len: number, initial: number): number => {
      calls++;
      assert.ok(initial >= 0 && initial < 2 ** 31);
      return jsSum(buf, off, len, initial);
    };
    const net = new MockNet({ seed: 43 });
    const server = net.addStack({ ip: SERVER + '/24', config: { TCP_MSL: 500 }, checksum: counting });
    const client = net.addStack({ ip: CLIENT + '/24', config: { TCP_MSL: 500 }, checksum: counting });
    const r = echoScenario(net, server, client, 20000);
    assert.deepEqual(r.echoed, pattern(20000, 3));
    assert.equal(r.pings, 3);
    // each TCP segment received is summed twice (IP header, TCP), pings too; a segment sent through
    // its connection's header template (TCP_HDR_TEMPLATE) sums only its payload: the headers' part
    // is arithmetic on the fields (RFC 1624)
    const segs = server.stats.tcp.recv + client.stats.tcp.recv;
    assert.ok(calls >= 2 * segs, calls + ' calls for ' + segs + ' segments received');
    assertPoolsFull(server, client);
  });

  it('a wrong HAL checksum fails verification: the stack trusts it, not its own sum', () => {
    // right for 20-byte ranges (IPv4 headers), off by one for everything else (TCP, ICMP)
    const wrong = (buf: Uint8Array, off: number, len: number, initial: number): number => {
      const s = jsSum(buf, off, len, initial);
      return len === 20 ? s : s ^ 1;
    };
    const net = new MockNet({ seed: 44 });
    const server = net.addStack({ ip: SERVER + '/24', checksum: wrong });
    const client = net.addStack({ ip: CLIENT + '/24' });
    const pcb = tcp_new(client)!;
    let connected = false;
    assert.equal(tcp_connect(pcb, SERVER, 7, () => { connected = true; return ERR_OK; }), ERR_OK);
    net.run(200);
    // the SYN reached TCP on the server (IP header fine) and failed the TCP checksum there
    assert.ok(server.stats.tcp.chkerr >= 1, 'server tcp.chkerr ' + server.stats.tcp.chkerr);
    assert.equal(server.stats.ip.chkerr, 0);
    assert.equal(connected, false);
    tcp_close(pcb);
    net.run(10);
    assertPoolsFull(server, client);
  });

  it('a wrong HAL checksum also spoils what the stack sends: the peer drops it', () => {
    const wrong = (buf: Uint8Array, off: number, len: number, initial: number): number => {
      const s = jsSum(buf, off, len, initial);
      return len === 20 ? s : s ^ 1;
    };
    const net = new MockNet({ seed: 45 });
    const server = net.addStack({ ip: SERVER + '/24' });
    const client = net.addStack({ ip: CLIENT + '/24', checksum: wrong });
    const echo = startEcho(server);
    const pcb = tcp_new(client)!;
    assert.equal(tcp_connect(pcb, SERVER, 7, () => ERR_OK), ERR_OK);
    net.run(200);
    assert.ok(server.stats.tcp.chkerr >= 1, 'server tcp.chkerr ' + server.stats.tcp.chkerr);
    assert.equal(server.stats.tcp.xmit, 0);
    tcp_close(pcb);
    echo.stop();
    net.run(10);
    assertPoolsFull(server, client);
  });
});

describe('pool memory from the HAL (Hal.poolMemory)', () => {
  it('the pool\'s views sit on the buffer the HAL gave, sized as asked; traffic flows through it', () => {
    const given: ArrayBuffer[] = [];
    const asked: number[] = [];
    const poolMemory = (bytes: number): ArrayBuffer => {
      asked.push(bytes);
      const b = new ArrayBuffer(bytes + 64);
      given.push(b);
      return b;
    };
    const net = new MockNet({ seed: 46, oneCopy: true });
    const server = net.addStack({ ip: SERVER + '/24', config: { TCP_MSL: 500 }, poolMemory });
    const client = net.addStack({ ip: CLIENT + '/24', config: { TCP_MSL: 500 }, poolMemory });
    const cfg = server.core.config;
    // the pool, then the arena of the TCP header templates (TCP_HDR_TEMPLATE)
    const arena = cfg.MEMP_NUM_TCP_PCB * TCP_HDR_TEMPLATE_BYTES;
    assert.deepEqual(asked, [PbufPool.bytesFor(cfg.PBUF_POOL_SIZE, cfg.PBUF_POOL_BUFSIZE, arena),
      PbufPool.bytesFor(cfg.PBUF_POOL_SIZE, cfg.PBUF_POOL_BUFSIZE, arena)]);
    assert.ok(asked[0] >= poolArenaAt(server.core.pbufs) + arena);
    assert.equal(server.core.pbufs.mem.buffer, given[0]);
    assert.equal(server.core.pbufs.view.buffer, given[0]);
    assert.equal(server.netif.rxMemory.buffer, given[0]);
    assert.equal(client.core.pbufs.mem.buffer, given[1]);
    const r = echoScenario(net, server, client, 20000);
    assert.deepEqual(r.echoed, pattern(20000, 3));
    assertPoolsFull(server, client);
  });

  it('memory smaller than asked is refused at start-up', () => {
    const net = new MockNet({ seed: 47 });
    assert.throws(() => net.addStack({ ip: SERVER + '/24', poolMemory: (bytes) => new ArrayBuffer(bytes - 1) }), RangeError);
  });
});
