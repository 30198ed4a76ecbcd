/**
 * Per-connection frame header templates (TCP_HDR_TEMPLATE, src/tcp/template.ts): segments sent
 * through a template are byte for byte the frames the layered path (tcpEmit → Ip4.output →
 * Etharp.output) writes, and a template is not used once what it was built from changed: ARP's
 * entry cleared or given a new MAC, the link down, the address changed, the pcb reused by another
 * connection. The IPv4 checksum of a templated header is updated as RFC 1624 §3 eqn. 3 does; it
 * must equal the full sum (RFC 791 §3.1, RFC 1071).
 */
import assert from 'node:assert/strict';
import { tcp_new, tcp_connect, tcp_write, tcp_output, tcp_recv, tcp_recved, tcp_close,
  TCP_WRITE_FLAG_COPY } from '../../src/api/tcp_api.js';
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
import { scenario, assertSameFrames } from '../helpers/abscenario.js';

const A = '10.3.0.1';
const B = '10.3.0.2';
const ROGUE_MAC = new Uint8Array([2, 0, 0, 0, 0, 0x66]);
const BCAST = new Uint8Array([255, 255, 255, 255, 255, 255]);

/** Counts Ip4.sendTemplated calls on `s` (the template path's only way out). */
function countTemplated(s: Stack, count: () => void): void {
  const ip4 = s.ip;
  const orig = ip4.sendTemplated.bind(ip4);
  ip4.sendTemplated = (p, o, len, i) => { count(); return orig(p, o, len, i); };
}

describe('TCP: per-connection frame header templates (TCP_HDR_TEMPLATE)', () => {
  for (const [name, config, faults] of [
    ['no options', { TCP_SACK: false }, {}],
    ['timestamps and SACK, on a lossy, reordering wire', { TCP_TIMESTAMPS: true, TCP_SACK: true }, { loss: 0.03, reorder: 0.03, duplicate: 0.01 }],
    ['window scaling, timestamps, on a lossy wire', { TCP_TIMESTAMPS: true, TCP_WND_SCALE: true, TCP_WND: 65535 * 2 }, { loss: 0.02 }],
  ] as [string, Partial<StackConfig>, MockNetOptions][]) {
    it('sends the same frames as the layered path (' + name + '), through ARP changes, link loss and pcb reuse', () => {
      const on = scenario({ ...config, TCP_HDR_TEMPLATE: true }, faults, countTemplated);
      const off = scenario({ ...config, TCP_HDR_TEMPLATE: false }, faults, countTemplated);
      assertSameFrames(on, off, 200);
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
