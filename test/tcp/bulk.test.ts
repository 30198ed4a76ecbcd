/**
 * Bulk transfers between two stacks on the mock wire: 1 MiB each way at the same time over a wire
 * that loses 5 %, duplicates 2 %, reorders 5 % and corrupts 1 % of the frames — the bytes must be
 * identical at both ends (SHA-256), and every pool back to full once both sides have closed and
 * TIME_WAIT has expired. Then the same with a slowly reading receiver (its window must reach 0 and
 * reopen, observed on the wire), and a lossless throughput sanity check (no stalls, completion within
 * a bound derived from window / RTT).
 *
 * The applications use only the raw API: a writer that keeps the send buffer full (tcp_sent and
 * tcp_poll drive it, ERR_MEM is expected and retried), a reader that copies what arrives and calls
 * tcp_recved (at once, or from a slow "application" timer).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MockNet, type MockNetOptions } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import type { StackConfig } from '../../src/core/config.js';
import {
  tcp_new, tcp_bind, tcp_listen, tcp_accept, tcp_connect, tcp_write, tcp_output, tcp_recv, tcp_recved,
  tcp_sent, tcp_err, tcp_poll, tcp_close, tcp_sndbuf, tcp_arg, TCP_WRITE_FLAG_COPY, type TcpPcb,
} from '../../src/api/tcp_api.js';
import { ERR_OK, ERR_MEM, lwip_strerr, type Err } from '../../src/core/err.js';
import { pbuf_copy_partial, pbuf_free, type Pbuf } from '../../src/core/pbuf.js';
import { SeededRandom } from '../../src/core/random.js';
import { assertPoolsFull } from '../helpers/pools.js';

const MiB = 1 << 20;
const MSL = 1000;
const FAULTS: MockNetOptions = { loss: 0.05, duplicate: 0.02, reorder: 0.05, corrupt: 0.01 };

function randomBytes(n: number, seed: number): Uint8Array {
  const r = new SeededRandom(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const v = r.nextU32();
    b[i] = v; b[i + 1] = v >>> 8; b[i + 2] = v >>> 16; b[i + 3] = v >>> 24;
  }
  return b;
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** One end of a bulk connection. */
class Peer {
  pcb: TcpPcb | null = null;
  readonly out: Uint8Array;
  readonly inb: Uint8Array;
  written = 0;
  acked = 0;
  received = 0;
  unread = 0;
  finSeen = false;
  err: Err | null = null;
  closed = false;
  memErrs = 0;
  /** Virtual times at which data arrived (for the stall check). */
  lastRecvAt = -1;
  maxRecvGap = 0;
  constructor(readonly name: string, readonly stack: Stack, outSize: number, inSize: number, seed: number,
    readonly slow: boolean) {
    this.out = randomBytes(outSize, seed);
    this.inb = new Uint8Array(inSize);
  }

  attach(pcb: TcpPcb): void {
    this.pcb = pcb;
    tcp_arg(pcb, this);
    tcp_recv(pcb, (p: Peer, _pcb, q, _e) => p.onRecv(q));
    tcp_sent(pcb, (p: Peer, _pcb, len) => { p.acked += len; p.pump(); return ERR_OK; });
    tcp_err(pcb, (p: Peer, e) => { p.err = e; p.pcb = null; });
    tcp_poll(pcb, (p: Peer) => { p.pump(); return ERR_OK; }, 1);
    this.pump();
  }

  onRecv(q: Pbuf | null): Err {
    if (q === null) { this.finSeen = true; return ERR_OK; }
    const n = q.totLen;
    assert.ok(this.received + n <= this.inb.length, this.name + ': more data than was sent');
    pbuf_copy_partial(q, this.inb, n, 0, this.received);
    this.received += n;
    pbuf_free(q);
    const now = this.stack.core.now;
    if (this.lastRecvAt >= 0 && now - this.lastRecvAt > this.maxRecvGap) this.maxRecvGap = now - this.lastRecvAt;
    this.lastRecvAt = now;
    if (this.slow) this.unread += n;
    else tcp_recved(this.pcb as TcpPcb, n);
    return ERR_OK;
  }

  /** The slow application reads up to `n` octets. */
  read(n: number): void {
    if (this.pcb === null || this.unread === 0) return;
    const k = Math.min(n, this.unread);
    this.unread -= k;
    tcp_recved(this.pcb, k);
  }

  pump(): void {
    const pcb = this.pcb;
    if (pcb === null) return;
    while (this.written < this.out.length) {
      const room = tcp_sndbuf(pcb);
      if (room === 0) break;
      const n = Math.min(room, this.out.length - this.written, 2920);
      const r = tcp_write(pcb, this.out, n, TCP_WRITE_FLAG_COPY, this.written);
      if (r === ERR_MEM) { this.memErrs++; break; }
      assert.equal(r, ERR_OK, this.name + ' tcp_write: ' + lwip_strerr(r));
      this.written += n;
    }
    tcp_output(pcb);
  }

  get doneSending(): boolean { return this.acked === this.out.length; }
  get doneReceiving(): boolean { return this.received === this.inb.length; }

  close(): void {
    if (this.pcb !== null && !this.closed) {
      this.closed = true;
      assert.equal(tcp_close(this.pcb), ERR_OK, this.name + ' tcp_close');
    }
  }
}

interface Run {
  net: MockNet;
  a: Stack;
  b: Stack;
  client: Peer;
  server: Peer;
  /** Virtual ms from tcp_connect to both sides done (everything received and acknowledged). */
  elapsed: number;
  t0: number;
  /** Window values B announced, in order (from the wire). */
  zeroWindows: number;
  reopenedAfterZero: number;
}

/**
 * A (client, 10.0.0.1) connects to B (server, 10.0.0.2:5001); both send `size` octets at once; when
 * each side has everything and all its data is acknowledged, both close. Returns the run for checks.
 */
function bulk(opts: { seed: number; faults: MockNetOptions; size: number; aSends: boolean; bSends: boolean;
  slowB?: { chunk: number; everyMs: number }; config?: Partial<StackConfig>; maxMs: number }): Run {
  const net = new MockNet({ seed: opts.seed, ...opts.faults });
  const config: Partial<StackConfig> = { TCP_MSL: MSL, ...(opts.config ?? {}) };
  const a = net.addStack({ ip: '10.0.0.1/24', config, name: 'A' });
  const b = net.addStack({ ip: '10.0.0.2/24', config, name: 'B' });
  const aSize = opts.aSends ? opts.size : 0;
  const bSize = opts.bSends ? opts.size : 0;
  const client = new Peer('A', a, aSize, bSize, opts.seed * 2 + 1, false);
  const server = new Peer('B', b, bSize, aSize, opts.seed * 2 + 2, opts.slowB !== undefined);

  // watch the window B announces to A on the wire (before faults are applied)
  const bMac = net.driverOf(b).mac;
  let zeroWindows = 0;
  let reopenedAfterZero = 0;
  let sawZero = false;
  net.wire.dropIf((buf, off, len) => {
    if (len < 54 || buf[off + 12] !== 0x08 || buf[off + 13] !== 0x00 || buf[off + 14 + 9] !== 6) return false;
    for (let i = 0; i < 6; i++) if (buf[off + 6 + i] !== bMac[i]) return false;
    const t = off + 14 + (buf[off + 14] & 15) * 4;
    if ((buf[t + 13] & 0x10) === 0) return false;
    const win = (buf[t + 14] << 8) | buf[t + 15];
    if (win === 0) { zeroWindows++; sawZero = true; } else if (sawZero) { reopenedAfterZero++; sawZero = false; }
    return false;
  });

  const lpcb = tcp_new(b) as TcpPcb;
  assert.equal(tcp_bind(lpcb, 0, 5001), ERR_OK);
  const l = tcp_listen(lpcb) as TcpPcb;
  tcp_accept(l, (_arg, np) => { server.attach(np as TcpPcb); return ERR_OK; });
  const cpcb = tcp_new(a) as TcpPcb;
  assert.equal(tcp_connect(cpcb, '10.0.0.2', 5001, (_arg, p) => { client.attach(p); return ERR_OK; }), ERR_OK);
  if (opts.slowB) {
    const { chunk, everyMs } = opts.slowB;
    net.onStep((now) => { if (now % everyMs === 0) server.read(chunk); });
  }
  const t0 = net.now;
  const done = () => client.doneSending && server.doneSending && client.doneReceiving && server.doneReceiving;
  const failed = () => client.err !== null || server.err !== null;
  net.runUntil(() => done() || failed(), opts.maxMs);
  const elapsed = net.now - t0;
  assert.equal(client.err, null, 'A: tcp_err ' + (client.err !== null ? lwip_strerr(client.err) : '') + ' at ' + net.now + ' ms');
  assert.equal(server.err, null, 'B: tcp_err ' + (server.err !== null ? lwip_strerr(server.err) : '') + ' at ' + net.now + ' ms');
  assert.ok(done(), 'transfer incomplete after ' + opts.maxMs + ' ms: A sent ' + client.acked + '/' + client.out.length
    + ' received ' + client.received + '/' + client.inb.length + '; B sent ' + server.acked + '/' + server.out.length
    + ' received ' + server.received + '/' + server.inb.length);
  // identical bytes both ways
  assert.equal(sha256(server.inb), sha256(client.out), 'A -> B bytes');
  assert.equal(sha256(client.inb), sha256(server.out), 'B -> A bytes');
  // both close; the listener too; then TIME_WAIT (2 MSL) and the FIN retransmissions run out
  if (server.slow) server.read(server.unread);
  client.close();
  server.close();
  assert.equal(tcp_close(l), ERR_OK);
  net.runUntil(() => a.tcp.pools()[0].stats.used === 0 && b.tcp.pools()[0].stats.used === 0, 120000);
  net.run(100);
  assertPoolsFull(a, b);
  return { net, a, b, client, server, elapsed, t0, zeroWindows, reopenedAfterZero };
}

describe('TCP bulk transfers between two stacks', function () {
  this.timeout(120000);

  it('1 MiB each way at once over 5 % loss, 2 % duplication, 5 % reordering, 1 % corruption: identical bytes', () => {
    const r = bulk({ seed: 7, faults: FAULTS, size: MiB, aSends: true, bSends: true, maxMs: 600000 });
    const w = r.net.wire.stats;
    // every fault happened at (at least half) its configured rate
    assert.ok(w.lost >= 0.025 * w.sent && w.duplicated >= 0.01 * w.sent && w.reordered >= 0.025 * w.sent
      && w.corrupted >= 0.005 * w.sent, 'the faults happened: ' + JSON.stringify(w));
    assert.ok(r.a.stats.tcp.chkerr + r.b.stats.tcp.chkerr + r.a.stats.ip.chkerr + r.b.stats.ip.chkerr > 0,
      'corrupted frames were caught by checksums');
    // virtual-time bound: the lossless transfer takes well under 1 s; with 5 % loss the worst case is
    // one 1 s RTO (RFC 6298 minimum) per lost segment that fast retransmit cannot repair. Allow one RTO
    // per frame lost: finishing later than that would mean a stall beyond loss recovery
    assert.ok(r.elapsed <= 1000 * w.lost, r.elapsed + ' ms for ' + w.lost + ' lost frames');
    console.log('        lossy 1 MiB x2: ' + r.elapsed + ' ms virtual, wire ' + JSON.stringify(w));
  });

  it('the same with a slowly reading receiver: its window reaches 0 and reopens', () => {
    // B's application reads 1460 octets every 10 ms (~146 KB/s) while A sends as fast as it can
    const r = bulk({ seed: 11, faults: FAULTS, size: MiB, aSends: true, bSends: true, slowB: { chunk: 1460, everyMs: 10 },
      maxMs: 900000 });
    assert.ok(r.zeroWindows > 0, 'B announced a zero window');
    assert.ok(r.reopenedAfterZero > 0, 'and reopened it');
    console.log('        slow reader: ' + r.elapsed + ' ms virtual, zero windows ' + r.zeroWindows + ', reopened '
      + r.reopenedAfterZero);
  });

  it('SACK recovery and tail loss probes (RFC 6675, RFC 8985) at 3 % loss, 8 seeds: identical bytes, pools full', () => {
    // every loss pattern goes through SACK-based recovery, rescue retransmissions and probes;
    // bulk() checks the bytes and that every pool is full after the close
    for (let seed = 1; seed <= 8; seed++) {
      const r = bulk({ seed, faults: { loss: 0.03 }, size: MiB, aSends: true, bSends: false,
        config: { TCP_SACK: true, TCP_TLP: true }, maxMs: 600000 });
      assert.ok(r.net.wire.stats.lost > 0);
    }
  });

  it('throughput sanity on a lossless wire: 1 MiB one way without stalls, within the window/RTT bound', () => {
    const r = bulk({ seed: 3, faults: {}, size: MiB, aSends: true, bSends: false, maxMs: 60000 });
    const received = r.server.lastRecvAt - r.t0;
    console.log('        lossless 1 MiB: all received after ' + received + ' ms virtual (' + (MiB / received / 1000).toFixed(2)
      + ' MB/s), all acknowledged after ' + r.elapsed + ' ms; longest pause between deliveries ' + r.server.maxRecvGap + ' ms');
    // bound: one window (TCP_WND 8192) per round trip (2 ms: 1 ms step each way) moves 1 MiB in 256 ms;
    // allow twice that for slow start, the handshake and per-segment ACK timing
    assert.ok(received <= 512, 'all data received after ' + received + ' ms (bound 512)');
    // the last ACK may wait for the delayed-ACK timer (200 ms) once
    assert.ok(r.elapsed <= received + 201, 'acknowledged ' + (r.elapsed - received) + ' ms after the last delivery');
    // no stall: the receiving application never waits for a timer (delayed ACK 200 ms, persist, RTO)
    assert.ok(r.server.maxRecvGap < 200, 'longest pause between deliveries ' + r.server.maxRecvGap + ' ms');
  });

});
