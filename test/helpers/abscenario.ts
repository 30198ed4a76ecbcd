/**
 * One seeded two-stack scenario for A/B tests of receive and send shortcuts (header templates,
 * header prediction): echo sessions from A to B's echo service through the events that change what a
 * shortcut may assume — ARP's entry cleared mid-transfer, another station claiming B's address, A's
 * link down and up, a pcb reused by the next connection — with every frame captured. Run twice, the
 * shortcut on and off, the captures must be the same bytes.
 */
import assert from 'node:assert/strict';
import { tcp_new, tcp_connect, tcp_write, tcp_output, tcp_recv, tcp_recved, tcp_close, tcp_abort, tcp_is_alive,
  TCP_WRITE_FLAG_COPY, type TcpPcb } from '../../src/api/tcp_api.js';
import type { Stack } from '../../src/api/stack.js';
import type { StackConfig } from '../../src/core/config.js';
import { ERR_OK } from '../../src/core/err.js';
import { pbuf_free } from '../../src/core/pbuf.js';
import { startEcho } from '../../src/apps/index.js';
import { MockNet, type MockNetOptions } from '../../tools/mocknet.js';
import { assertPoolsFull } from './pools.js';
import { arp, eth, ip, pattern } from './frames.js';

const A = '10.3.0.1';
const B = '10.3.0.2';
const ROGUE_MAC = new Uint8Array([2, 0, 0, 0, 0, 0x66]);
const BCAST = new Uint8Array([255, 255, 255, 255, 255, 255]);

export interface Run {
  /** Every frame on the wire, as a pcap file (virtual timestamps included). */
  pcap: Uint8Array;
  /** How often the shortcut `spy` watches was taken, in A and B. */
  taken: number;
  echoed: number[];
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

/** The scenario with `config` on `faults`; `spy(stack, count)` hooks the shortcut to count. */
export function scenario(config: Partial<StackConfig>, faults: MockNetOptions, spy: (s: Stack, count: () => void) => void): Run {
  const net = new MockNet({ seed: 61, ...faults });
  const cfg: Partial<StackConfig> = { TCP_MSL: 500, ARP_LOCKTIME: 0, ...config };
  const a = net.addStack({ ip: A + '/24', name: 'A', config: cfg });
  const b = net.addStack({ ip: B + '/24', name: 'B', config: cfg });
  const rogue = net.addRaw(ROGUE_MAC, 'rogue');
  rogue.keep = false;
  const box = { n: 0 };
  spy(a, () => { box.n++; });
  spy(b, () => { box.n++; });
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
  return { pcap: cap.bytes(), taken: box.n, echoed };
}

/** `on` and `off` runs of the scenario must send the same bytes; the shortcut was taken `min` times
 *  at least when on, never when off. */
export function assertSameFrames(on: Run, off: Run, min: number): void {
  assert.ok(on.taken >= min, on.taken + ' times taken');
  assert.equal(off.taken, 0);
  assert.deepEqual(on.echoed, off.echoed);
  assert.equal(on.pcap.length, off.pcap.length);
  assert.ok(Buffer.from(on.pcap).equals(Buffer.from(off.pcap)), 'the captures differ');
}
