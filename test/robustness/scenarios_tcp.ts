/**
 * Robustness scenarios for TCP on the board configuration: a spoofed SYN flood, pool starvation by
 * connections that hold data (out-of-order bytes, readers that never read, echo writers that never
 * read), pinned pcbs (idle connections, vanishing peers, zero-window probers) and reflection
 * (challenge ACKs, ACKs to out-of-window data, RSTs to closed ports). Each measures what the issue
 * measured, checks the target and reports its figures in `extra` for `npm run bench -- --only attack`.
 * Only ECMAScript: they run on Node and on XS.
 */
import { MockNet } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import { ERR_OK, type Err } from '../../src/core/err.js';
import { pbuf_free, type Pbuf } from '../../src/core/pbuf.js';
import {
  tcp_new, tcp_connect, tcp_write, tcp_output, tcp_recv, tcp_recved, tcp_err, tcp_close, tcp_abort, tcp_sndbuf,
  TCP_WRITE_FLAG_COPY, type TcpPcb,
} from '../../src/api/tcp_api.js';
import { startEcho, startChargen, startDaytime, startDiscard, type ServiceHandle } from '../../src/apps/index.js';
import { Checks, finish, type ScenarioResult } from '../scenarios/common.js';
import { ip } from '../helpers/frames.js';
import { SynFlood, RawTcpPeer, F_ACK, F_RST, F_SYN } from './attackers.js';
import { BOARD_CONFIG } from './scenarios_link.js';

const BOARD = '10.0.0.1/16';
const CLIENT = '10.0.0.2/16';
/** 100 Mbit/s Ethernet: 148,809 minimum-size frames a second. */
const LINE_RATE_SYNS_PER_MS = 148;

/** One legitimate connect: its outcome and how long it took. */
interface Attempt { start: number; done: number; ok: boolean }

/** Opens a connection to dst:port and closes it as soon as it is up; records the outcome. */
function legitConnect(stack: Stack, dst: string, port: number, log: Attempt[]): void {
  const a: Attempt = { start: stack.core.now, done: -1, ok: false };
  log.push(a);
  const pcb = tcp_new(stack);
  if (pcb === null) { a.done = a.start; return; }
  tcp_err(pcb, () => { if (a.done < 0) a.done = stack.core.now; });
  const r = tcp_connect(pcb, dst, port, (_arg, p: TcpPcb): Err => {
    a.ok = true;
    a.done = stack.core.now;
    if (tcp_close(p) !== ERR_OK) tcp_abort(p);
    return ERR_OK;
  });
  if (r !== ERR_OK) { a.done = a.start; tcp_abort(pcb); }
}

/** A bulk stream from `stack` to `dst`:`port` (the discard service): bytes acknowledged over time. */
class Stream {
  pcb: TcpPcb | null = null;
  sent = 0;
  private readonly buf = new Uint8Array(1460);

  constructor(readonly stack: Stack, dst: string, port: number) {
    const pcb = tcp_new(stack);
    if (pcb === null) return;
    this.pcb = pcb;
    tcp_err(pcb, () => { this.pcb = null; });
    tcp_connect(pcb, dst, port, () => ERR_OK);
  }

  /** Keeps the send buffer full; returns bytes queued so far. */
  pump(): void {
    const pcb = this.pcb;
    if (pcb === null) return;
    for (;;) {
      const room = tcp_sndbuf(pcb);
      if (room < this.buf.length) break;
      if (tcp_write(pcb, this.buf, this.buf.length, TCP_WRITE_FLAG_COPY) !== ERR_OK) break;
      this.sent += this.buf.length;
    }
    tcp_output(pcb);
  }

  stop(): void {
    const pcb = this.pcb;
    this.pcb = null;
    if (pcb !== null) tcp_abort(pcb);
  }
}

/** Stops every service and lets the stacks wind down (TIME_WAIT, retries) so pools come back. */
function windDown(net: MockNet, services: ServiceHandle[], ms: number): void {
  for (const s of services) s.stop();
  net.run(ms);
}

/**
 * SYN flood: 10,000 spoofed SYNs at 100 Mbit/s line rate against the echo port, from addresses
 * nobody owns (their SYN-ACKs wait for ARP answers that never come). A legitimate client connects
 * every 10 ms from 200 ms before the flood until 2 s after it, while a bulk stream to the discard
 * service runs. Target: ≥ 90% of the legitimate connects succeed, all of them within 1 s after the
 * flood ends; the stream keeps ≥ 80% of its throughput. With `answerArp` the attacker also answers
 * ARP for every spoofed source, so that the half-open connections look like real clients'.
 */
export function synFlood(answerArp: boolean): ScenarioResult {
  const c = new Checks();
  const net = new MockNet({ seed: 31, rateBytesPerSec: 12500000, queueLimitMs: 50 });
  const board = net.addStack({ ip: BOARD, config: { ...BOARD_CONFIG, TCP_MSL: 1000 }, name: 'board' });
  const client = net.addStack({ ip: CLIENT, config: { TCP_MSL: 1000 }, name: 'client' });
  const services = [startEcho(board), startDiscard(board)];
  const stream = new Stream(client, '10.0.0.1', 9);
  net.onStep(() => stream.pump());
  net.run(1000);
  const s0 = stream.sent;
  net.run(1000);
  const before = stream.sent - s0; // bytes per second without the flood
  const log: Attempt[] = [];
  let connecting = true;
  net.onStep((now) => { if (connecting && now % 10 === 0) legitConnect(client, '10.0.0.1', 7, log); });
  net.run(200);
  const flood = new SynFlood(net, board, 7, { perMs: LINE_RATE_SYNS_PER_MS, count: 10000, srcBase: ip('10.0.100.0'), srcSpan: 20000, answerArp });
  const s1 = stream.sent;
  const t1 = net.now;
  net.runUntil(() => flood.done, 10000);
  const floodEnd = net.now;
  // throughput over one second from the start of the flood (the flood itself lasts ~68 ms)
  net.run(Math.max(0, 1000 - (floodEnd - t1)));
  const during = stream.sent - s1;
  net.run(2000 - (net.now - floodEnd));
  connecting = false;
  net.run(5000);
  const okCount = log.filter((a) => a.ok).length;
  const okPct = Math.round(1000 * okCount / log.length) / 10;
  let lateMs = 0;
  for (const a of log) if (a.start <= floodEnd && (!a.ok || a.done - floodEnd > lateMs)) lateMs = a.ok ? a.done - floodEnd : 999999;
  const throughputPct = before === 0 ? 0 : Math.round(1000 * during / before) / 10;
  c.ok(okPct >= 90, 'legitimate connects that succeeded: ' + okPct + '% of ' + log.length);
  c.ok(lateMs <= 1000, 'connects started during the flood done within 1 s after it: latest ' + lateMs + ' ms after');
  c.ok(throughputPct >= 80, 'stream throughput kept: ' + throughputPct + '%');
  stream.stop();
  windDown(net, services, 200000);
  return finish(answerArp ? 'synFloodResolved' : 'synFlood', c, {
    labels: ['board', 'client'], stacks: [board, client], now: net.now,
    extra: { spoofedSyns: flood.sent, legitConnects: log.length, legitOkPct: okPct, latestAfterFloodMs: lateMs, throughputKeptPct: throughputPct },
  });
}

/** A legitimate 64 KiB echo from `client` to the board: whether it completed, and when. */
class Echo64 {
  got = 0;
  written = 0;
  doneAt = -1;
  failed = false;
  pcb: TcpPcb | null = null;
  private readonly buf = new Uint8Array(1460);

  constructor(readonly stack: Stack, dst: string, readonly total = 65536) {
    const pcb = tcp_new(stack);
    if (pcb === null) { this.failed = true; return; }
    this.pcb = pcb;
    tcp_err(pcb, () => { this.pcb = null; this.failed = true; });
    tcp_recv(pcb, (_a, p: TcpPcb, q: Pbuf | null): Err => {
      if (q === null) return ERR_OK;
      this.got += q.totLen;
      tcp_recved(p, q.totLen);
      pbuf_free(q);
      if (this.got >= this.total && this.doneAt < 0) this.doneAt = stack.core.now;
      return ERR_OK;
    });
    tcp_connect(pcb, dst, 7, () => ERR_OK);
  }

  pump(): void {
    const pcb = this.pcb;
    if (pcb === null) return;
    while (this.written < this.total) {
      let n = this.total - this.written;
      if (n > this.buf.length) n = this.buf.length;
      if (tcp_sndbuf(pcb) < n || tcp_write(pcb, this.buf, n, TCP_WRITE_FLAG_COPY) !== ERR_OK) break;
      this.written += n;
    }
    tcp_output(pcb);
  }

  close(): void {
    const pcb = this.pcb;
    this.pcb = null;
    if (pcb !== null && tcp_close(pcb) !== ERR_OK) tcp_abort(pcb);
  }
}

/** 4 hand-played attacking connections to `port` of the board, each doing `attack` once up. */
function attackers(net: MockNet, board: Stack, port: number, n: number, o: { zeroWindow?: boolean; ackData?: boolean }): RawTcpPeer[] {
  const out: RawTcpPeer[] = [];
  for (let i = 0; i < n; i++) {
    const p = new RawTcpPeer(net, board, port, ip('10.0.50.' + (10 + i)), '02:a7:00:00:00:' + (16 + i).toString(16), 40000 + i, o);
    p.connect();
    out.push(p);
  }
  return out;
}

/**
 * Pool starvation: 4 attacking connections to the echo service, each with one pattern — 8 one-byte
 * out-of-order segments ('ooo'), a reader of chargen that never reads ('reader'), an echo writer
 * that never reads its echo ('echo') — then a legitimate client echoes 64 KiB. Target: it completes.
 */
export function starvation(pattern: 'ooo' | 'reader' | 'echo'): ScenarioResult {
  const c = new Checks();
  const net = new MockNet({ seed: 41 });
  const board = net.addStack({ ip: BOARD, config: { ...BOARD_CONFIG, TCP_MSL: 1000 }, name: 'board' });
  const client = net.addStack({ ip: CLIENT, config: { TCP_MSL: 1000 }, name: 'client' });
  const services = [startEcho(board), startChargen(board)];
  const port = pattern === 'reader' ? 19 : 7;
  const evil = attackers(net, board, port, 4, { zeroWindow: pattern !== 'ooo' });
  net.run(100);
  c.eq(evil.filter((p) => p.established).length, 4, 'attacking connections up');
  for (const p of evil) {
    if (pattern === 'ooo') for (let k = 0; k < 8; k++) p.writeOutOfOrder(2 + 2 * k);
    // the echo writer fills the board's receive window; its echo cannot go back (window 0)
    if (pattern === 'echo') for (let k = 0; k < 6; k++) p.write(1460);
  }
  net.run(2000);
  const held = board.core.pbufs.pool.used;
  const echo = new Echo64(client, '10.0.0.1');
  net.onStep(() => echo.pump());
  net.runUntil(() => echo.doneAt >= 0 || echo.failed, 60000);
  const ok = echo.doneAt >= 0;
  c.ok(ok, '64 KiB echo with 4 attackers (' + pattern + '): ' + echo.got + ' of 65536 bytes back' + (echo.failed ? ', connection failed' : ''));
  echo.close();
  for (const p of evil) { p.send(F_RST, p.sndNxt, 0, 0); p.vanished = true; }
  windDown(net, services, 200000);
  return finish('starvation-' + pattern, c, {
    labels: ['board', 'client'], stacks: [board, client], now: net.now,
    extra: { pbufsHeldByAttack: held, echoCompleted: ok, echoBytes: echo.got, echoMs: ok ? echo.doneAt : -1 },
  });
}

/**
 * Pinned pcbs: how long an attacker holds one. 'idle': 8 connections to echo that never send
 * ('pcbs held' until the service's idle limit); 'vanish': a daytime client that vanishes (FIN_WAIT_1
 * until the orphan limit); 'zerowin': a chargen client answering every probe with window 0 (until
 * the user timeout). Reports the time until the board's pcbs are free again.
 */
export function pinned(pattern: 'idle' | 'vanish' | 'zerowin'): ScenarioResult {
  const c = new Checks();
  const net = new MockNet({ seed: 51, stepMs: 10 });
  const board = net.addStack({ ip: BOARD, config: BOARD_CONFIG, name: 'board' });
  const services = [startEcho(board), startDaytime(board), startChargen(board)];
  const port = pattern === 'idle' ? 7 : pattern === 'vanish' ? 13 : 19;
  const n = pattern === 'idle' ? 8 : 1;
  const evil = attackers(net, board, port, n, { zeroWindow: pattern === 'zerowin', ackData: pattern !== 'vanish' });
  net.run(5000);
  c.eq(evil.filter((p) => p.established).length, n, 'attacking connections up');
  if (pattern === 'vanish') for (const p of evil) p.vanished = true;
  const t0 = net.now;
  const pcbs = () => board.tcp.pcbPool.stats.used;
  const freed = net.runUntil(() => pcbs() === 0, 1800000);
  const heldMs = freed ? net.now - t0 : -1;
  // each pattern's configured limit, plus one coarse tick of slack (the timers run on it)
  const cfg = board.core.config;
  const uto = cfg.TCP_USER_TIMEOUT < cfg.SERVICE_IDLE_TIMEOUT ? cfg.TCP_USER_TIMEOUT : cfg.SERVICE_IDLE_TIMEOUT;
  const limit = (pattern === 'idle' ? cfg.SERVICE_IDLE_TIMEOUT : pattern === 'vanish' ? cfg.TCP_ORPHAN_TIMEOUT : uto)
    + cfg.TCP_COARSE_TICK_MS;
  c.ok(freed && heldMs > 0 && limit > cfg.TCP_COARSE_TICK_MS && heldMs <= limit, 'pcb held by the attacker (' + pattern + '): ' + (freed ? heldMs + ' ms' : 'more than 30 min') + ', limit ' + limit + ' ms');
  for (const p of evil) { p.vanished = false; p.send(F_RST, p.sndNxt, 0, 0); p.vanished = true; }
  windDown(net, services, 400000);
  return finish('pinned-' + pattern, c, {
    labels: ['board'], stacks: [board], now: net.now, extra: { pcbHeldMs: heldMs },
  });
}

/**
 * Reflection: 20,000 spoofed segments in 2 s at a live connection — RSTs and SYNs in the window's
 * neighbourhood (each draws a challenge ACK, RFC 5961 §3.2, §4.2), data beyond the window (an ACK,
 * RFC 9293 §3.10.7.4) — and 20,000 ACKs to closed ports (each a RST). Reports the replies drawn.
 */
export function scenarioReflection(): ScenarioResult {
  const c = new Checks();
  const net = new MockNet({ seed: 61 });
  const board = net.addStack({ ip: BOARD, config: BOARD_CONFIG, name: 'board' });
  const services = [startEcho(board)];
  const peer = attackers(net, board, 7, 1, {})[0];
  net.run(100);
  c.ok(peer.established, 'live connection up');
  const before = peer.segs.length;
  let k = 0;
  net.onStep(() => {
    for (let i = 0; i < 10 && k < 20000; i++, k++) {
      const m = k % 3;
      if (m === 0) peer.send(F_RST, (peer.sndNxt + 1 + (k & 1023)) >>> 0, 0, 0);
      else if (m === 1) peer.send(F_SYN, (peer.sndNxt + 5000 + k) >>> 0, 0, 0);
      else peer.send(F_ACK, (peer.sndNxt + 200000 + k) >>> 0, peer.rcvNxt, 10);
    }
  });
  net.run(2000);
  const acksDrawn = peer.segs.length - before;
  c.ok(!peer.reset, 'the connection survived');
  const closed = new RawTcpPeer(net, board, 4444, ip('10.0.60.1'), '02:a7:00:00:01:01', 50000, {});
  let j = 0;
  net.onStep(() => { for (let i = 0; i < 10 && j < 20000; i++, j++) closed.send(F_ACK, j, j, 0); });
  net.run(2000);
  const rstsDrawn = closed.segs.length;
  const ackPerSec = acksDrawn / 2;
  const rstPerSec = rstsDrawn / 2;
  // Linux: 1 challenge/out-of-window ACK per 500 ms per connection (tcp_invalid_ratelimit)
  c.ok(acksDrawn <= 10, 'ACKs drawn by 20,000 spoofed segments in 2 s: ' + acksDrawn);
  c.ok(rstsDrawn <= 500, 'RSTs drawn by 20,000 segments to a closed port: ' + rstsDrawn);
  peer.send(F_RST, peer.sndNxt, 0, 0);
  peer.vanished = true;
  windDown(net, services, 10000);
  return finish('reflection', c, {
    labels: ['board'], stacks: [board], now: net.now,
    extra: { spoofedSegments: k, acksDrawn, acksPerSec: ackPerSec, rstsToClosedPort: rstsDrawn, rstsPerSec: rstPerSec },
  });
}
