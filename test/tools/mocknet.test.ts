/**
 * MockNet with real stacks: stepping, ping across the wire, a raw endpoint playing a peer,
 * determinism of whole runs, link changes, capture. Every scenario ends with full pools.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePcapFile } from '../../tools/pcapfile.js';
import { MockNet } from '../../tools/mocknet.js';
import { parsePcap } from '../../tools/pcap.js';
import { ip4FromString } from '../../src/core/ip4addr.js';
import { assertPoolsFull } from '../helpers/pools.js';

/** An ARP request (RFC 826) from `sha`/`spa` asking for `tpa`, as a whole broadcast frame. */
function arpRequest(sha: Uint8Array, spa: number, tpa: number): Uint8Array {
  const f = new Uint8Array(42);
  f.fill(0xff, 0, 6);
  f.set(sha, 6);
  f[12] = 0x08; f[13] = 0x06;
  const a = 14;
  f[a + 1] = 1; f[a + 2] = 0x08; f[a + 4] = 6; f[a + 5] = 4; f[a + 7] = 1;
  f.set(sha, a + 8);
  new DataView(f.buffer).setUint32(a + 14, spa);
  new DataView(f.buffer).setUint32(a + 24, tpa);
  return f;
}

describe('mock net', () => {
  it('run(ms) advances virtual time in steps; runUntil stops as soon as the condition holds', () => {
    const net = new MockNet({ stepMs: 2 });
    assert.equal(net.now, 0);
    net.run(9);
    assert.equal(net.now, 10, 'rounded up to whole steps');
    let calls = 0;
    net.onStep(() => calls++);
    assert.equal(net.runUntil(() => net.now >= 20, 100), true);
    assert.equal(net.now, 20);
    assert.equal(calls, 5);
    assert.equal(net.runUntil(() => false, 10), false);
    assert.equal(net.now, 30);
    assert.equal(net.runUntil(() => true, 0), true, 'checked before any step');
  });

  it('gives stacks deterministic MACs and distinct ports', () => {
    const net = new MockNet();
    const a = net.addStack({ ip: '10.0.0.1/24' });
    const raw = net.addRaw();
    const b = net.addStack({ ip: '10.0.0.2/24', mac: '02:aa:bb:cc:dd:ee' });
    assert.deepEqual(Array.from(net.driverOf(a).mac), [2, 0, 0, 0, 0, 1]);
    assert.deepEqual(Array.from(raw.mac), [2, 0, 0, 0, 0, 2]);
    assert.deepEqual(Array.from(net.driverOf(b).mac), [2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]);
    assert.equal(a.name, 'stack1');
    assert.equal(b.name, 'stack2');
    assertPoolsFull(a, b);
  });

  it('refuses an MTU the wire slots cannot carry', () => {
    const net = new MockNet();
    assert.throws(() => net.addStack({ ip: '10.0.0.1/24', config: { MTU: 9000, PBUF_POOL_BUFSIZE: 9100 } }), /slotSize/);
  });

  it('two stacks ping each other across the wire (ARP, then echo)', () => {
    const net = new MockNet({ seed: 3, delayMs: 2 });
    const a = net.addStack({ ip: '10.0.0.1/24' });
    const b = net.addStack({ ip: '10.0.0.2/24' });
    const replies: number[] = [];
    a.onEchoReply = (src, _id, seq, len) => { assert.equal(src, ip4FromString('10.0.0.2')); assert.equal(len, 56); replies.push(seq); };
    for (let seq = 1; seq <= 3; seq++) {
      a.ping('10.0.0.2', 0x77, seq, 56);
      assert.equal(net.runUntil(() => replies.length === seq, 100), true, 'reply ' + seq);
    }
    assert.deepEqual(replies, [1, 2, 3]);
    assert.ok(net.wire.stats.delivered >= 8, 'ARP request/reply + 3 echo pairs');
    net.run(10);
    assertPoolsFull(a, b);
  });

  it('a raw endpoint plays a peer: the stack answers its ARP request', () => {
    const net = new MockNet();
    const s = net.addStack({ ip: '10.0.0.1/24' });
    const peer = net.addRaw();
    peer.send(arpRequest(peer.mac, ip4FromString('10.0.0.9'), ip4FromString('10.0.0.1')));
    assert.equal(net.runUntil(() => peer.frames.length > 0, 10), true);
    const reply = peer.take()!;
    assert.deepEqual(reply.subarray(0, 6), peer.mac, 'unicast to the asker');
    assert.equal((reply[12] << 8) | reply[13], 0x0806);
    assert.equal((reply[20] << 8) | reply[21], 2, 'ARP reply');
    assert.deepEqual(reply.subarray(22, 28), net.driverOf(s).mac);
    net.run(5);
    assertPoolsFull(s);
  });

  it('the same seed replays a lossy run bit for bit; another seed differs', () => {
    function lossyRun(seed: number): Uint8Array {
      const net = new MockNet({ seed, loss: 0.3, jitterMs: 3 });
      const cap = net.startCapture();
      const a = net.addStack({ ip: '10.0.0.1/24' });
      const b = net.addStack({ ip: '10.0.0.2/24' });
      let got = 0;
      a.onEchoReply = () => { got++; };
      for (let i = 0; i < 20; i++) { a.ping('10.0.0.2', 1, i, 100); net.run(200); }
      net.run(2000);
      assert.ok(got > 0 && got < 20, 'some pings lost, some answered: ' + got);
      assertPoolsFull(a, b);
      return cap.bytes();
    }
    const x = lossyRun(21);
    assert.deepEqual(lossyRun(21), x);
    assert.notDeepEqual(lossyRun(22), x);
  });

  it('MockNet options set the wire faults', () => {
    const net = new MockNet({ loss: 0.1, duplicate: 0.2, reorder: 0.3, reorderMs: 7, corrupt: 0.4, delayMs: 5, jitterMs: 6, rateBytesPerSec: 1e6 });
    const f = net.wire.faults;
    assert.deepEqual([f.loss, f.duplicate, f.reorder, f.reorderMs, f.corrupt, f.delayMs, f.jitterMs, f.rateBytesPerSec],
      [0.1, 0.2, 0.3, 7, 0.4, 5, 6, 1e6]);
  });

  it('unplugging a stack\'s cable stops its traffic and tells the stack', () => {
    const net = new MockNet();
    const a = net.addStack({ ip: '10.0.0.1/24' });
    const b = net.addStack({ ip: '10.0.0.2/24' });
    let replies = 0;
    a.onEchoReply = () => { replies++; };
    net.driverOf(b).setLink(false);
    assert.equal(b.netif.up, false);
    a.ping('10.0.0.2', 1, 1, 10);
    net.run(3000);
    assert.equal(replies, 0);
    net.driverOf(b).setLink(true);
    assert.equal(b.netif.up, true);
    net.run(100);
    a.ping('10.0.0.2', 1, 2, 10);
    assert.equal(net.runUntil(() => replies === 1, 2000), true);
    net.run(10);
    assertPoolsFull(a, b);
  });

  it('captures a ping exchange with virtual timestamps', () => {
    const net = new MockNet({ delayMs: 10 });
    const cap = net.startCapture();
    const a = net.addStack({ ip: '10.0.0.1/24' });
    net.addStack({ ip: '10.0.0.2/24' });
    let done = false;
    a.onEchoReply = () => { done = true; };
    a.ping('10.0.0.2', 1, 1, 32);
    assert.ok(net.runUntil(() => done, 500));
    net.stopCapture(cap);
    const file = parsePcap(cap.bytes())!;
    const types = file.records.map((r) => (r.data[12] << 8) | r.data[13]);
    assert.deepEqual(types.slice(0, 2), [0x0806, 0x0806]);
    assert.ok(types.slice(2).includes(0x0800));
    for (let i = 1; i < file.records.length; i++) assert.ok(file.records[i].timeMs >= file.records[i - 1].timeMs);
    assert.equal(file.records[0].timeMs, 10);
  });

  it('the capture of a ping opens in tcpdump (when installed)', () => {
    const net = new MockNet({ delayMs: 1 });
    const cap = net.startCapture();
    const a = net.addStack({ ip: '10.0.0.1/24' });
    const b = net.addStack({ ip: '10.0.0.2/24' });
    let done = false;
    a.onEchoReply = () => { done = true; };
    a.ping('10.0.0.2', 0x4242, 7, 48);
    assert.ok(net.runUntil(() => done, 500));
    net.run(5);
    assertPoolsFull(a, b);
    let version = true;
    try { execFileSync('tcpdump', ['--version'], { stdio: 'pipe' }); } catch { version = false; }
    if (!version) {
      console.log('      (tcpdump not installed: capture checked by parsing only; `apt-get install tcpdump` to check it with tcpdump -r)');
      assert.ok(parsePcap(cap.bytes())!.records.length >= 4);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'xs-tcp-cap-'));
    try {
      const path = join(dir, 'ping.pcap');
      writePcapFile(path, cap);
      const out = execFileSync('tcpdump', ['-nn', '-r', path], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
      assert.match(out, /ARP, Request who-has 10\.0\.0\.2 tell 10\.0\.0\.1/);
      assert.match(out, /ARP, Reply 10\.0\.0\.2 is-at 02:00:00:00:00:02/);
      assert.match(out, /IP 10\.0\.0\.1 > 10\.0\.0\.2: ICMP echo request, id 16962, seq 7, length 56/);
      assert.match(out, /IP 10\.0\.0\.2 > 10\.0\.0\.1: ICMP echo reply, id 16962, seq 7, length 56/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
