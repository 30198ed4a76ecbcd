/**
 * Per-connection frame header templates (TCP_HDR_TEMPLATE, src/tcp/template.ts): segments sent
 * through a template are byte for byte the frames the layered path (tcpEmit → Ip4.output →
 * Etharp.output) writes, and a template is not used once what it was built from changed: ARP's
 * entry cleared or given a new MAC, the link down, the address changed, the pcb reused by another
 * connection. The IPv4 checksum of a templated header is updated as RFC 1624 §3 eqn. 3 does; it
 * must equal the full sum (RFC 791 §3.1, RFC 1071).
 */
import assert from 'node:assert/strict';
import { tcp_new, tcp_connect, tcp_write, tcp_output, tcp_recv, tcp_recved, tcp_close, tcp_abort, tcp_is_alive,
  TCP_WRITE_FLAG_COPY, type TcpPcb } from '../../src/api/tcp_api.js';
import type { Stack } from '../../src/api/stack.js';
import type { StackConfig } from '../../src/core/config.js';
import { ERR_OK } from '../../src/core/err.js';
import { pbuf_free } from '../../src/core/pbuf.js';
import { SeededRandom } from '../../src/core/random.js';
import { ip4Write, ip4SetLenId } from '../../src/wire/ipv4.js';
import { startEcho } from '../../src/apps/index.js';
import { MockNet, type MockNetOptions } from '../../tools/mocknet.js';
import { assertPoolsFull } from '../helpers/pools.js';
import { arp, eth, ip, pattern } from '../helpers/frames.js';
import { refChecksum } from '../helpers/wire-ref.js';

const A = '10.3.0.1';
const B = '10.3.0.2';
const ROGUE_MAC = new Uint8Array([2, 0, 0, 0, 0, 0x66]);
const BCAST = new Uint8Array([255, 255, 255, 255, 255, 255]);

interface Run {
  /** Every frame on the wire, as a pcap file (virtual timestamps included). */
  pcap: Uint8Array;
  /** Frames A and B sent through a template. */
  templated: number;
  echoed: number[];
}

/** Counts Ip4.sendTemplated calls on `s` (the template path's only way out). */
function countTemplated(s: Stack, box: { n: number }): void {
  const ip4 = s.ip;
  const orig = ip4.sendTemplated.bind(ip4);
  ip4.sendTemplated = (p, o, len, i) => { box.n++; return orig(p, o, len, i); };
}

/**
 * One echo session from A to B's echo service: `size` bytes written (with COPY, or without for
 * every other write when `ref`), read back, then the connection closed.
 */
function session(net: MockNet, a: Stack, size: number, ref: boolean, mid: (() => void) | null): number[] {
  const data = pattern(size, size & 0xff);
  const got: number[] = [];
  const c = tcp_new(a)!;
  tcp_recv(c, (_x, pcb: TcpPcb, p) => {
    if (p === null) return ERR_OK;
    for (let q: typeof p | null = p; q !== null; q = q.next) for (let i = 0; i < q.len; i++) got.push(q.buf[q.off + i]);
    tcp_recved(pcb, p.totLen);
    pbuf_free(p);
    return ERR_OK;
  });
  let sent = 0;
  const pump = (): void => {
    while (sent < size) {
      const n = Math.min(1000 + (sent % 700), size - sent);
      if (tcp_write(c, data, n, ref && (sent & 1) === 0 ? 0 : TCP_WRITE_FLAG_COPY, sent) !== ERR_OK) break;
      sent += n;
    }
    tcp_output(c);
  };
  assert.equal(tcp_connect(c, B, 7, () => { pump(); return ERR_OK; }), ERR_OK);
  let midDone = mid === null;
  for (let t = 0; t < 20000 && got.length < size; t++) {
    net.step();
    pump();
    if (!midDone && got.length > size / 3) { midDone = true; mid!(); }
  }
  assert.equal(got.length, size, 'echoed ' + got.length + ' of ' + size);
  for (let i = 0; i < size; i++) if (got[i] !== data[i]) assert.fail('byte ' + i + ' differs');
  tcp_close(c);
  net.run(3000);
  if (tcp_is_alive(c)) tcp_abort(c);
  return got.slice(0, 8);
}

/** The same seeded scenario, with or without templates; every event that must invalidate one. */
export function scenario(templates: boolean, config: Partial<StackConfig>, faults: MockNetOptions): Run {
  const net = new MockNet({ seed: 61, ...faults });
  const cfg: Partial<StackConfig> = { TCP_MSL: 500, ARP_LOCKTIME: 0, TCP_HDR_TEMPLATE: templates, ...config };
  const a = net.addStack({ ip: A + '/24', name: 'A', config: cfg });
  const b = net.addStack({ ip: B + '/24', name: 'B', config: cfg });
  const rogue = net.addRaw(ROGUE_MAC, 'rogue');
  rogue.keep = false;
  const box = { n: 0 };
  countTemplated(a, box);
  countTemplated(b, box);
  const echo = startEcho(b);
  const cap = net.startCapture({ point: 'tx' });
  const echoed: number[] = [];
  // a plain session; the next ones reuse A's pcb for another connection
  echoed.push(...session(net, a, 30000, false, null));
  // ARP's entry for B cleared mid-transfer: A must ask again, not send to the MAC it had
  echoed.push(...session(net, a, 30000, true, () => a.arp.flush()));
  // B's MAC claimed by another station mid-transfer (a gratuitous ARP; ARP_LOCKTIME 0 lets it in):
  // A's frames go there until B announces itself again
  echoed.push(...session(net, a, 30000, false, () => {
    rogue.send(eth(BCAST, ROGUE_MAC, 0x0806, arp(1, ROGUE_MAC, ip(B), new Uint8Array(6), ip(B))));
    net.run(40);
    // (three times: the wire may lose one)
    for (let i = 0; i < 3; i++) { b.arp.announce(); net.run(20); }
  }));
  // A's link down for a while mid-transfer, then up again
  echoed.push(...session(net, a, 30000, true, () => {
    a.netif.linkChanged(false);
    net.run(300);
    a.netif.linkChanged(true);
  }));
  net.stopCapture(cap);
  echo.stop();
  net.run(3000);
  assertPoolsFull(a, b);
  return { pcap: cap.bytes(), templated: box.n, echoed };
}

describe('TCP: per-connection frame header templates (TCP_HDR_TEMPLATE)', () => {
  for (const [name, config, faults] of [
    ['no options', { TCP_SACK: false }, {}],
    ['timestamps and SACK, on a lossy, reordering wire', { TCP_TIMESTAMPS: true, TCP_SACK: true }, { loss: 0.03, reorder: 0.03, duplicate: 0.01 }],
    ['window scaling, timestamps, on a lossy wire', { TCP_TIMESTAMPS: true, TCP_WND_SCALE: true, TCP_WND: 65535 * 2 }, { loss: 0.02 }],
  ] as [string, Partial<StackConfig>, MockNetOptions][]) {
    it('sends the same frames as the layered path (' + name + '), through ARP changes, link loss and pcb reuse', () => {
      const withT = scenario(true, config, faults);
      const without = scenario(false, config, faults);
      assert.ok(withT.templated > 200, withT.templated + ' frames through templates');
      assert.equal(without.templated, 0);
      assert.deepEqual(withT.echoed, without.echoed);
      assert.equal(withT.pcap.length, without.pcap.length);
      assert.ok(Buffer.from(withT.pcap).equals(Buffer.from(without.pcap)), 'the captures differ');
    });
  }

  it('a template is rebuilt when ARP changes: frames follow the entry, a cleared one is asked for again', () => {
    const net = new MockNet({ seed: 62 });
    const a = net.addStack({ ip: A + '/24', name: 'A', config: { ARP_LOCKTIME: 0, TCP_MSL: 500 } });
    const b = net.addStack({ ip: B + '/24', name: 'B', config: { TCP_MSL: 500 } });
    const rogue = net.addRaw(ROGUE_MAC, 'rogue');
    const echo = startEcho(b);
    const c = tcp_new(a)!;
    let got = 0;
    tcp_recv(c, (_x, pcb, p) => { if (p !== null) { got += p.totLen; tcp_recved(pcb, p.totLen); pbuf_free(p); } return ERR_OK; });
    assert.equal(tcp_connect(c, B, 7, () => ERR_OK), ERR_OK);
    net.run(50);
    const msg = pattern(100, 1);
    const cap = net.startCapture({ point: 'tx' });
    // the rogue claims B's address: A's next segment goes to the rogue's MAC (RFC 826 merge)
    rogue.send(eth(BCAST, ROGUE_MAC, 0x0806, arp(1, ROGUE_MAC, ip(B), new Uint8Array(6), ip(B))));
    net.run(5);
    rogue.frames.length = 0;
    tcp_write(c, msg, msg.length, TCP_WRITE_FLAG_COPY);
    tcp_output(c);
    net.run(5);
    assert.ok(rogue.frames.some((f) => f[12] === 0x08 && f[13] === 0x00 && f[23] === 6), 'the TCP segment went to the new MAC');
    // B claims its address back: the retransmission reaches it, and its echo comes back
    b.arp.announce();
    net.run(1500);
    assert.equal(got, 100);
    // the entry cleared: the next segment waits for an ARP reply (a broadcast request goes first)
    a.arp.flush();
    const arpBefore = a.stats.etharp.xmit;
    tcp_write(c, msg, msg.length, TCP_WRITE_FLAG_COPY);
    tcp_output(c);
    assert.equal(a.stats.etharp.xmit, arpBefore + 1, 'an ARP request went out');
    net.run(2000);
    assert.equal(got, 200);
    net.stopCapture(cap);
    tcp_close(c);
    echo.stop();
    net.run(3000);
    assertPoolsFull(a, b);
  });

  it('the IPv4 checksum updated for length and identification (RFC 1624) equals the full sum', () => {
    const rnd = new SeededRandom(63);
    const t = new Uint8Array(40);
    const full = new Uint8Array(40);
    for (let k = 0; k < 5000; k++) {
      const src = rnd.nextU32();
      const dst = rnd.nextU32();
      const ttl = rnd.nextU32() & 0xff;
      const proto = rnd.nextU32() & 0xff;
      const tos = k % 7 === 0 ? rnd.nextU32() & 0xff : 0;
      const totLen = k % 11 === 0 ? 0xffff : rnd.nextU32() & 0xffff;
      const id = k % 13 === 0 ? 0xffff : rnd.nextU32() & 0xffff;
      const off = k & 7;
      ip4Write(t, off, tos, 0, 0, 0, ttl, proto, src, dst);
      ip4SetLenId(t, off, totLen, id);
      ip4Write(full, off, tos, totLen, id, 0, ttl, proto, src, dst);
      assert.deepEqual(t.subarray(off, off + 20), full.subarray(off, off + 20), 'header ' + k);
      assert.equal(refChecksum(t, off, 20), 0, 'header ' + k + ' sums to all ones');
    }
  });
});
