/**
 * A scripted raw TCP peer for the TCP suites, in the style of smoltcp's socket tests: "the peer sends
 * X at time T" / "we emit Y". The peer is a RawEndpoint on the MockNet with its own MAC and IPv4
 * address; it answers the stack's ARP requests by itself and primes the stack's ARP cache when it is
 * created, so the stack's segments leave without an ARP round trip and their times are exact.
 *
 * Frames are built and decoded by the raw peer shared with the packetdrill runner (tools/rawpeer.ts),
 * written independently of src/wire, so an encoder or checksum bug cannot hide on both sides. Every
 * segment the stack emits towards the peer's address is recorded at the virtual instant it is
 * transmitted (a wire hook), decoded, and queued for `next()` / `expect()`.
 *
 * Sequence numbers are absolute 32-bit values: tests pick the peer's ISN (often near 2^32, so that
 * wraparound is exercised) and learn the stack's ISN from its SYN or SYN-ACK (`stackIsn`).
 *
 * This file also holds the small application-side helpers the suites share: `App` (records what the
 * raw API's callbacks report), `listen`, `connect`, `traceStates`, `stateOf` (netstat). Allocation is
 * fine here: this is the test harness.
 */
import assert from 'node:assert/strict';
import { MockNet, type MockNetOptions } from '../../tools/mocknet.js';
import type { RawEndpoint, WirePort } from '../../hal/mock/wire.js';
import type { Stack } from '../../src/api/stack.js';
import type { StackConfig } from '../../src/core/config.js';
import { ip4FromString, ip4ToString } from '../../src/core/ip4addr.js';
import { pbuf_copy_partial, pbuf_free, type Pbuf } from '../../src/core/pbuf.js';
import { ERR_OK, lwip_strerr, type Err } from '../../src/core/err.js';
import {
  RawPeer, decodeFrame, flagBits, flagsText, get16, get32, F_SYN, F_FIN, F_ACK, ETHTYPE_IPV4, IPPROTO_TCP,
  type PeerTarget,
} from '../../tools/rawpeer.js';
import {
  tcp_new, tcp_bind, tcp_listen_with_backlog, tcp_accept, tcp_connect, tcp_write, tcp_output, tcp_recv,
  tcp_recved, tcp_sent, tcp_err, tcp_arg, tcp_abort, tcp_close, tcp_set_recv_wnd, tcp_set_trace, netstat,
  ip_set_option, SOF_REUSEADDR, TCP_WRITE_FLAG_COPY, TCP_STATE_NAMES, type TcpPcb,
} from '../../src/api/tcp_api.js';

// -------------------------------------------------------------------------------------------------
// Sequence arithmetic for tests
// -------------------------------------------------------------------------------------------------

/** (a + b) mod 2^32. */
export function sq(a: number, b = 0): number {
  return (a + b) >>> 0;
}

/** Signed distance b - a in sequence space. */
export function sdiff(a: number, b: number): number {
  return (b - a) | 0;
}

export function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

// -------------------------------------------------------------------------------------------------
// Segments
// -------------------------------------------------------------------------------------------------

/** What the peer sends. `flags` is packetdrill-like: any of S F R P U E W and '.' (ACK), any order. */
export interface SendSpec {
  flags: string;
  seq: number;
  ack?: number;
  win?: number;
  /** Payload: bytes, a string (ASCII), or a length (filled with a pattern). */
  data?: Uint8Array | string | number;
  /** MSS option value (a 4-byte option). */
  mss?: number;
  /** Raw option bytes appended after the MSS option (padded with NOPs... EOL to 4 bytes). */
  options?: Uint8Array;
  srcPort?: number;
  dstPort?: number;
  /** Corrupt the TCP checksum. */
  badChecksum?: boolean;
  urgPtr?: number;
}

/** A segment the stack emitted, parsed. */
export interface Seg {
  /** Virtual time (ms) at which the stack transmitted it. */
  time: number;
  /** 'S', 'S.', '.', 'P.', 'F.', 'FP.', 'R', 'R.' ... (flagsText order: S F R P . U E W). */
  flags: string;
  bits: number;
  seq: number;
  ack: number;
  win: number;
  /** Data octets. */
  len: number;
  /** Sequence space taken: data + SYN + FIN. */
  seqLen: number;
  payload: Uint8Array;
  /** MSS option, 0 when absent. */
  mss: number;
  /** Option bytes (header past 20). */
  options: Uint8Array;
  hdrLen: number;
  srcPort: number;
  dstPort: number;
  src: number;
  dst: number;
  ttl: number;
  /** IPv4 header checksum and TCP checksum verified with an independent implementation. */
  ipChecksumOk: boolean;
  tcpChecksumOk: boolean;
}

export { flagBits };

/** Deterministic pattern bytes (the same function produces the expected stream in checks). */
export function patternBytes(n: number, start = 0, salt = 0): Uint8Array {
  const d = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const k = start + i;
    d[i] = ((k * 31 + (k >>> 8) * 7 + salt * 13 + 1) & 0xff);
  }
  return d;
}

function toBytes(d: Uint8Array | string | number | undefined): Uint8Array {
  if (d === undefined) return new Uint8Array(0);
  if (typeof d === 'number') return patternBytes(d);
  if (typeof d === 'string') {
    const b = new Uint8Array(d.length);
    for (let i = 0; i < d.length; i++) b[i] = d.charCodeAt(i) & 0xff;
    return b;
  }
  return d;
}

export function bytesToString(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** One line per segment, tcpdump-like (for failure messages). */
export function describeSeg(s: Seg, rel?: { stackIsn?: number; peerIsn?: number }): string {
  let t = s.time + 'ms ' + s.srcPort + '>' + s.dstPort + ' [' + s.flags + '] seq ' + s.seq;
  if (rel?.stackIsn !== undefined) t += ' (isn+' + sdiff(rel.stackIsn, s.seq) + ')';
  if (s.bits & F_ACK) {
    t += ' ack ' + s.ack;
    if (rel?.peerIsn !== undefined) t += ' (pisn+' + sdiff(rel.peerIsn, s.ack) + ')';
  }
  t += ' win ' + s.win + ' len ' + s.len;
  if (s.mss) t += ' mss ' + s.mss;
  return t;
}

/** Fields `expect` can check; a field left out is not checked. */
export interface SegExpect {
  flags?: string;
  seq?: number;
  ack?: number;
  win?: number;
  len?: number;
  data?: Uint8Array | string;
  mss?: number;
  /** Exact transmission time (ms). */
  time?: number;
  srcPort?: number;
  dstPort?: number;
}

// -------------------------------------------------------------------------------------------------
// The peer
// -------------------------------------------------------------------------------------------------

export interface PeerOptions {
  /** The peer's address (default 10.0.0.2). */
  ip?: string;
  /** The peer's default TCP port (default 40000). */
  port?: number;
  /** The stack's port the peer talks to by default (default 80). */
  stackPort?: number;
  mac?: string;
  /** Default window the peer announces (default 65535). */
  win?: number;
}

export class TcpPeer {
  readonly net: MockNet;
  readonly stack: Stack;
  readonly raw: RawEndpoint;
  readonly ip: number;
  readonly stackIp: number;
  readonly stackMac: Uint8Array;
  port: number;
  stackPort: number;
  win: number;
  /** The stack's ISN, learned from its first SYN or SYN-ACK towards us (or set by the test). */
  stackIsn: number | undefined;
  /** The peer's ISN (set by the test / fixtures). */
  peerIsn: number | undefined;
  /** Segments the stack emitted towards us, not yet taken by next()/expect(). */
  readonly queue: Seg[] = [];
  /** Every segment in both directions (for failure messages): '<' sent by the peer, '>' by the stack. */
  readonly log: string[] = [];
  /** Every segment the stack emitted towards us (also the ones already taken). */
  readonly emitted: Seg[] = [];
  /** Return true to make the wire lose a segment the stack emits (it is still recorded, as lost). */
  lose: ((s: Seg) => boolean) | null = null;
  /** Segments lost by `lose`. */
  readonly lost: Seg[] = [];
  /** The wire endpoint, its ARP answers, and the frames it builds. */
  private readonly peer: RawPeer;
  private readonly stackAt: PeerTarget;
  private readonly removers: (() => void)[] = [];

  constructor(net: MockNet, stack: Stack, opts: PeerOptions = {}) {
    this.net = net;
    this.stack = stack;
    this.ip = ip4FromString(opts.ip ?? '10.0.0.2');
    this.port = opts.port ?? 40000;
    this.stackPort = opts.stackPort ?? 80;
    this.win = opts.win ?? 65535;
    this.stackIp = stack.netif.ip;
    this.stackMac = net.driverOf(stack).mac;
    // answers ARP requests for our address (RFC 826), as a host would
    this.peer = new RawPeer(net.addRaw(opts.mac), this.ip);
    this.peer.record = false;
    this.raw = this.peer.raw;
    this.stackAt = { mac: this.stackMac, ip: this.stackIp };
    // observe what the stack transmits towards us, at the instant it is transmitted
    const myPort: WirePort = this.raw;
    this.removers.push(net.wire.dropIf((buf, off, len, from) => {
      if (from === myPort) return false;
      return this.observe(buf, off, len);
    }));
    this.primeArp();
  }

  /** Detaches the peer's hooks from the wire. */
  dispose(): void {
    for (const r of this.removers) r();
    this.removers.length = 0;
    this.peer.dispose();
  }

  /** An ARP request for the stack's address: the stack learns our MAC (RFC 826 "merge/insert"). */
  primeArp(): void {
    this.peer.primeArp(this.stackAt);
    this.net.run(2);
  }

  private observe(buf: Uint8Array, off: number, len: number): boolean {
    if (len < 14 + 20 + 20 || get16(buf, off + 12) !== ETHTYPE_IPV4) return false;
    const ipo = off + 14;
    if (buf[ipo + 9] !== IPPROTO_TCP || get32(buf, ipo + 16) !== this.ip) return false;
    const frame = buf.slice(off, off + len);
    const s = this.parse(frame);
    if (s === null) return false;
    if (this.stackIsn === undefined && (s.bits & F_SYN) !== 0) this.stackIsn = s.seq;
    this.emitted.push(s);
    if (this.lose !== null && this.lose(s)) {
      this.lost.push(s);
      this.log.push('> ' + describeSeg(s) + ' (LOST)');
      return true;
    }
    this.queue.push(s);
    this.log.push('> ' + describeSeg(s));
    return false;
  }

  private parse(f: Uint8Array): Seg | null {
    const d = decodeFrame(f);
    if (d.kind !== 'tcp' || d.seg.options === null) return null;
    const g = d.seg;
    const bits = g.flags;
    return {
      time: this.net.now,
      flags: flagsText(bits),
      bits,
      seq: g.seq,
      ack: g.ack,
      win: g.win,
      len: g.payload.length,
      seqLen: g.payload.length + (bits & F_SYN ? 1 : 0) + (bits & F_FIN ? 1 : 0),
      payload: g.payload,
      mss: g.mss,
      options: g.optionBytes,
      hdrLen: g.hdrLen,
      srcPort: g.srcPort,
      dstPort: g.dstPort,
      src: g.srcIp,
      dst: g.dstIp,
      ttl: g.ttl,
      ipChecksumOk: g.ipChecksumOk,
      tcpChecksumOk: g.tcpChecksumOk,
    };
  }

  /** Builds the Ethernet + IPv4 + TCP frame for `s` (checksums computed; options padded with NOPs). */
  build(s: SendSpec): Uint8Array {
    return this.peer.build(this.stackAt, {
      srcPort: s.srcPort ?? this.port, dstPort: s.dstPort ?? this.stackPort, seq: s.seq >>> 0, ack: (s.ack ?? 0) >>> 0,
      flags: flagBits(s.flags), win: s.win ?? this.win, urg: s.urgPtr ?? 0,
      options: s.mss !== undefined ? [{ kind: 'mss', value: s.mss }] : [], rawOptions: s.options, padByte: 1,
      payload: toBytes(s.data), badChecksum: s.badChecksum,
    });
  }

  /** The peer sends a segment now. */
  send(s: SendSpec): void {
    const f = this.build(s);
    const data = toBytes(s.data);
    this.log.push('< ' + this.net.now + 'ms ' + (s.srcPort ?? this.port) + '>' + (s.dstPort ?? this.stackPort) + ' ['
      + flagsText(flagBits(s.flags)) + '] seq ' + (s.seq >>> 0) + (s.ack !== undefined ? ' ack ' + (s.ack >>> 0) : '')
      + ' win ' + (s.win ?? this.win) + ' len ' + data.length + (s.mss !== undefined ? ' mss ' + s.mss : ''));
    assert.ok(this.raw.send(f), 'the wire refused the peer\'s frame');
  }

  /** Runs the clock until `t` (absolute virtual ms), then returns. */
  at(t: number): this {
    assert.ok(t >= this.net.now, 'time ' + t + ' is already past (now ' + this.net.now + ')');
    this.net.run(t - this.net.now);
    return this;
  }

  /** The next segment the stack emitted towards us (running the clock up to maxMs for it), or null. */
  next(maxMs = 10000): Seg | null {
    if (this.queue.length === 0) this.net.runUntil(() => this.queue.length > 0, maxMs);
    return this.queue.shift() ?? null;
  }

  /** Takes the next emitted segment and checks the given fields exactly. */
  expect(e: SegExpect, maxMs = 10000, what = ''): Seg {
    const s = this.next(maxMs);
    const ctx = (what ? what + ': ' : '') + 'expected ' + this.describeExpect(e);
    assert.ok(s !== null, ctx + ' within ' + maxMs + ' ms, got nothing\n' + this.tail());
    this.check(s, e, ctx);
    return s;
  }

  /** Checks fields of an already taken segment. */
  check(s: Seg, e: SegExpect, ctx = 'segment'): void {
    const msg = (field: string) => ctx + ' — ' + field + ' differs; got ' + describeSeg(s, this.rel()) + '\n' + this.tail();
    assert.ok(s.ipChecksumOk, msg('IPv4 header checksum'));
    assert.ok(s.tcpChecksumOk, msg('TCP checksum'));
    if (e.flags !== undefined) assert.equal(s.flags, flagsText(flagBits(e.flags)), msg('flags'));
    if (e.seq !== undefined) assert.equal(s.seq, e.seq >>> 0, msg('seq (want ' + (e.seq >>> 0) + ')'));
    if (e.ack !== undefined) assert.equal(s.ack, e.ack >>> 0, msg('ack (want ' + (e.ack >>> 0) + ')'));
    if (e.win !== undefined) assert.equal(s.win, e.win, msg('win (want ' + e.win + ')'));
    if (e.len !== undefined) assert.equal(s.len, e.len, msg('len (want ' + e.len + ')'));
    if (e.mss !== undefined) assert.equal(s.mss, e.mss, msg('mss option (want ' + e.mss + ')'));
    if (e.time !== undefined) assert.equal(s.time, e.time, msg('time (want ' + e.time + ')'));
    if (e.srcPort !== undefined) assert.equal(s.srcPort, e.srcPort, msg('source port'));
    if (e.dstPort !== undefined) assert.equal(s.dstPort, e.dstPort, msg('destination port'));
    if (e.data !== undefined) {
      const want = toBytes(e.data);
      assert.equal(s.len, want.length, msg('payload length'));
      assert.deepEqual(Array.from(s.payload), Array.from(want), msg('payload'));
    }
  }

  /** Runs `ms` of virtual time and asserts the stack emitted nothing towards us. */
  expectNone(ms: number, what = ''): void {
    if (this.queue.length === 0) this.net.runUntil(() => this.queue.length > 0, ms);
    assert.equal(this.queue.length, 0, (what ? what + ': ' : '') + 'expected no segment within ' + ms + ' ms, got '
      + this.queue.map((s) => describeSeg(s, this.rel())).join(' | ') + '\n' + this.tail());
  }

  /** Takes every queued segment. */
  drain(): Seg[] {
    return this.queue.splice(0, this.queue.length);
  }

  private rel(): { stackIsn?: number; peerIsn?: number } {
    return { stackIsn: this.stackIsn, peerIsn: this.peerIsn };
  }

  private describeExpect(e: SegExpect): string {
    const parts: string[] = [];
    if (e.flags !== undefined) parts.push('[' + e.flags + ']');
    if (e.seq !== undefined) parts.push('seq ' + (e.seq >>> 0));
    if (e.ack !== undefined) parts.push('ack ' + (e.ack >>> 0));
    if (e.win !== undefined) parts.push('win ' + e.win);
    if (e.len !== undefined) parts.push('len ' + e.len);
    if (e.time !== undefined) parts.push('at ' + e.time + 'ms');
    return parts.join(' ');
  }

  /** The last lines of the segment log (failure context). */
  tail(n = 12): string {
    return '  trace (last ' + n + '):\n    ' + this.log.slice(-n).join('\n    ');
  }

  // --- sequence helpers (fixtures set peerIsn and stackIsn) --------------------------------------

  /** The stack's sequence number for its data octet `n` (SYN occupies isn). */
  s(n = 0): number {
    assert.ok(this.stackIsn !== undefined, 'stack ISN not learned yet');
    return sq(this.stackIsn, 1 + n);
  }

  /** The peer's sequence number for its data octet `n`. */
  p(n = 0): number {
    assert.ok(this.peerIsn !== undefined, 'peer ISN not set');
    return sq(this.peerIsn, 1 + n);
  }

  // --- handshakes ---------------------------------------------------------------------------------

  /**
   * Active open from the peer to a listener of the stack: SYN → SYN-ACK (checked) → ACK. Learns the
   * stack's ISN. Leaves the clock right after the ACK is delivered (1 ms later).
   */
  handshake(opts: { isn: number; win?: number; mss?: number | null; port?: number; synAckWin?: number;
    /** The handshake's RTT as the stack measures it: the ACK is processed `rtt` ms after the SYN-ACK
     *  left (default 1: the ACK is sent at once). */
    rtt?: number; } ): Seg {
    const port = opts.port ?? this.port;
    this.peerIsn = opts.isn >>> 0;
    this.stackIsn = undefined;
    const mss = opts.mss === null ? undefined : (opts.mss ?? 1460);
    this.send({ flags: 'S', seq: opts.isn, win: opts.win, mss, srcPort: port });
    const synAck = this.expect({ flags: 'S.', ack: sq(opts.isn, 1), dstPort: port, win: opts.synAckWin }, 100, 'SYN-ACK');
    this.stackIsn = synAck.seq;
    if (opts.rtt !== undefined && opts.rtt > 1) this.at(synAck.time + opts.rtt - 1);
    this.send({ flags: '.', seq: sq(opts.isn, 1), ack: sq(synAck.seq, 1), win: opts.win, srcPort: port });
    this.net.run(1);
    return synAck;
  }

  /**
   * Passive side of the stack's active open: expects its SYN, answers SYN-ACK, expects the ACK.
   */
  acceptHandshake(opts: { isn: number; win?: number; mss?: number | null }): Seg {
    this.peerIsn = opts.isn >>> 0;
    const syn = this.expect({ flags: 'S' }, 100, 'SYN');
    this.stackIsn = syn.seq;
    this.port = syn.dstPort;
    this.stackPort = syn.srcPort;
    const mss = opts.mss === null ? undefined : (opts.mss ?? 1460);
    this.send({ flags: 'S.', seq: opts.isn, ack: sq(syn.seq, 1), win: opts.win, mss });
    this.expect({ flags: '.', seq: sq(syn.seq, 1), ack: sq(opts.isn, 1) }, 100, 'ACK of our SYN-ACK');
    return syn;
  }
}

// -------------------------------------------------------------------------------------------------
// Application side
// -------------------------------------------------------------------------------------------------

/** A growable byte buffer. */
export class Bytes {
  buf = new Uint8Array(1024);
  length = 0;
  push(p: Pbuf): number {
    const n = p.totLen;
    this.reserve(n);
    pbuf_copy_partial(p, this.buf, n, 0, this.length);
    this.length += n;
    return n;
  }
  pushBytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.length));
    this.buf = nb;
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
  text(): string {
    return bytesToString(this.buf.subarray(0, this.length));
  }
}

export interface AppOptions {
  /** Call tcp_recved at once for received data (default true); false: the test calls `read()`. */
  autoRecved?: boolean;
  /** A recv hook run before the default handling: return an Err to return that instead (the
   *  pbuf is then NOT freed: refused data), or undefined to continue normally. */
  onRecv?: (app: App, p: Pbuf | null) => Err | undefined;
  /** Close the connection (tcp_close) when the peer's FIN arrives. Default false. */
  closeOnFin?: boolean;
}

/** Records what the raw API reports for one connection. */
export class App {
  pcb: TcpPcb;
  readonly stack: Stack;
  readonly received = new Bytes();
  /** Number of recv callbacks with data, and times of each. */
  recvCalls = 0;
  readonly recvTimes: number[] = [];
  /** The peer's FIN was delivered (recv with a null pbuf). */
  fin = false;
  finTime = -1;
  /** tcp_err's code, null while none. */
  err: Err | null = null;
  errTime = -1;
  /** tcp_sent totals and per call. */
  sent = 0;
  readonly sentCalls: number[] = [];
  /** Received octets not yet given back with tcp_recved (autoRecved false). */
  unread = 0;
  connected = false;
  connectedTime = -1;
  opts: AppOptions;

  constructor(stack: Stack, pcb: TcpPcb, opts: AppOptions = {}) {
    this.stack = stack;
    this.pcb = pcb;
    this.opts = opts;
    tcp_arg(pcb, this);
    tcp_recv(pcb, (arg: App, tpcb, p, err) => arg.onRecv(tpcb, p, err));
    tcp_sent(pcb, (arg: App, _tpcb, len) => { arg.sent += len; arg.sentCalls.push(len); return ERR_OK; });
    tcp_err(pcb, (arg: App, e) => { arg.err = e; arg.errTime = arg.stack.core.now; });
  }

  private onRecv(_pcb: TcpPcb, p: Pbuf | null, _err: Err): Err {
    const hook = this.opts.onRecv;
    if (hook) {
      const r = hook(this, p);
      if (r !== undefined) return r;
    }
    if (p === null) {
      this.fin = true;
      this.finTime = this.stack.core.now;
      if (this.opts.closeOnFin) tcp_close(this.pcb);
      return ERR_OK;
    }
    const n = this.received.push(p);
    pbuf_free(p);
    this.recvCalls++;
    this.recvTimes.push(this.stack.core.now);
    if (this.opts.autoRecved === false) this.unread += n;
    else tcp_recved(this.pcb, n);
    return ERR_OK;
  }

  /** The application consumes `n` octets (default: all unread) — tcp_recved. */
  read(n = this.unread): void {
    assert.ok(n <= this.unread, 'reading ' + n + ' of ' + this.unread + ' unread octets');
    this.unread -= n;
    tcp_recved(this.pcb, n);
  }

  /** tcp_write (copied) + tcp_output. */
  write(data: Uint8Array | string | number, flags = TCP_WRITE_FLAG_COPY, output = true): Err {
    const b = toBytes(data);
    const r = tcp_write(this.pcb, b, b.length, flags);
    if (r === ERR_OK && output) tcp_output(this.pcb);
    return r;
  }

  text(): string {
    return this.received.text();
  }

  errName(): string {
    return this.err === null ? 'none' : lwip_strerr(this.err);
  }
}

export interface Listener {
  pcb: TcpPcb;
  apps: App[];
  /** Set to an Err to make the accept callback return it. */
  acceptResult: Err;
}

/** tcp_new + (SO_REUSEADDR) + tcp_bind + tcp_listen_with_backlog + tcp_accept recording Apps. */
export function listen(stack: Stack, port: number, opts: { backlog?: number; reuse?: boolean; recvWnd?: number;
  app?: AppOptions; onAccept?: (app: App) => Err | void; ip?: string } = {}): Listener {
  const pcb = tcp_new(stack);
  assert.ok(pcb !== null, 'tcp_new');
  if (opts.reuse) ip_set_option(pcb, SOF_REUSEADDR);
  assert.equal(tcp_bind(pcb, opts.ip ?? 0, port), ERR_OK, 'tcp_bind ' + port);
  if (opts.recvWnd !== undefined) assert.equal(tcp_set_recv_wnd(pcb, opts.recvWnd), ERR_OK);
  const l = tcp_listen_with_backlog(pcb, opts.backlog ?? 4);
  assert.ok(l !== null, 'tcp_listen');
  const lis: Listener = { pcb: l, apps: [], acceptResult: ERR_OK };
  tcp_accept(l, (_arg, newpcb, err) => {
    assert.equal(err, ERR_OK);
    assert.ok(newpcb !== null);
    const app = new App(stack, newpcb, opts.app);
    lis.apps.push(app);
    const r = opts.onAccept ? opts.onAccept(app) : undefined;
    if (r !== undefined) return r;
    return lis.acceptResult;
  });
  return lis;
}

/** tcp_new + tcp_connect; the App's `connected` turns true in the connected callback. */
export function connect(stack: Stack, ip: string, port: number, opts: { localPort?: number; app?: AppOptions;
  before?: (pcb: TcpPcb) => void } = {}): App {
  const pcb = tcp_new(stack);
  assert.ok(pcb !== null, 'tcp_new');
  if (opts.localPort !== undefined) assert.equal(tcp_bind(pcb, 0, opts.localPort), ERR_OK);
  if (opts.before) opts.before(pcb);
  const app = new App(stack, pcb, opts.app);
  const r = tcp_connect(pcb, ip, port, (arg: App, _p, err) => {
    assert.equal(err, ERR_OK);
    arg.connected = true;
    arg.connectedTime = arg.stack.core.now;
    return ERR_OK;
  });
  assert.equal(r, ERR_OK, 'tcp_connect: ' + lwip_strerr(r));
  return app;
}

/** Aborts a connection if it is still alive (end-of-test cleanup through the API). */
export function abortIfAlive(app: App): void {
  tcp_abort(app.pcb);
}

// -------------------------------------------------------------------------------------------------
// Observation: trace and netstat
// -------------------------------------------------------------------------------------------------

export interface TraceRec {
  from: string;
  to: string;
  cause: string;
  time: number;
  localPort: number;
  remotePort: number;
  remoteIp: string;
  hasHandle: boolean;
}

/** Records every state transition of `stack` (tcp_set_trace). */
export function traceStates(stack: Stack): TraceRec[] {
  const recs: TraceRec[] = [];
  tcp_set_trace(stack, (i) => {
    recs.push({
      from: TCP_STATE_NAMES[i.from], to: TCP_STATE_NAMES[i.to], cause: i.cause, time: i.time,
      localPort: i.localPort, remotePort: i.remotePort, remoteIp: ip4ToString(i.remoteIp), hasHandle: i.pcb !== null,
    });
  });
  return recs;
}

/** 'FROM>TO(cause)' strings of the records (compact assertions). */
export function traceLines(recs: TraceRec[], filter?: (r: TraceRec) => boolean): string[] {
  return recs.filter(filter ?? (() => true)).map((r) => r.from + '>' + r.to + '(' + r.cause + ')');
}

/** The state netstat shows for local port `lport` (and remote port `rport`, when given). */
export function stateOf(stack: Stack, lport: number, rport?: number): string | undefined {
  for (const r of netstat(stack)) {
    if (!r.local.endsWith(':' + lport)) continue;
    if (rport === undefined ? r.remote.endsWith(':*') : r.remote.endsWith(':' + rport)) return r.state;
  }
  return undefined;
}

/** Every state name netstat shows right now. */
export function netstatStates(stack: Stack): string[] {
  return netstat(stack).map((r) => r.state);
}

// -------------------------------------------------------------------------------------------------
// Fixtures
// -------------------------------------------------------------------------------------------------

/** Config used by most tests: short MSL so TIME_WAIT ends quickly (2 × 1000 ms). */
export const FAST: Partial<StackConfig> = { TCP_MSL: 1000 };

export interface Fixture {
  net: MockNet;
  stack: Stack;
  peer: TcpPeer;
}

/** A listener on port 80 and a connection from the peer, ESTABLISHED, with the peer's ISN `isn`. */
export interface EstFixture extends Fixture {
  lis: Listener;
  app: App;
  synAck: Seg;
}

/** A MockNet with one stack (10.0.0.1/24) and a raw peer (10.0.0.2). */
export function setup(opts: { config?: Partial<StackConfig>; seed?: number; peer?: PeerOptions; net?: MockNetOptions } = {}): Fixture {
  const net = new MockNet({ seed: opts.seed ?? 1, ...(opts.net ?? {}) });
  const stack = net.addStack({ ip: '10.0.0.1/24', config: { ...FAST, ...(opts.config ?? {}) } });
  const peer = new TcpPeer(net, stack, opts.peer);
  return { net, stack, peer };
}

/** setup() + a listener on the peer's stackPort + the peer's active open: ESTABLISHED. */
export function established(opts: { config?: Partial<StackConfig>; seed?: number; isn?: number; win?: number;
  mss?: number | null; app?: AppOptions; recvWnd?: number; peer?: PeerOptions; rtt?: number; net?: MockNetOptions } = {}): EstFixture {
  const f = setup(opts);
  const lis = listen(f.stack, f.peer.stackPort, { app: opts.app, recvWnd: opts.recvWnd });
  const synAck = f.peer.handshake({ isn: opts.isn ?? 0xfffffff0, win: opts.win, mss: opts.mss, rtt: opts.rtt });
  assert.equal(lis.apps.length, 1, 'connection accepted');
  return { ...f, lis, app: lis.apps[0], synAck };
}

/** setup() + the stack's active open to the peer (tcp_connect), answered by the peer: ESTABLISHED. */
export function activeEstablished(opts: { config?: Partial<StackConfig>; seed?: number; isn?: number; win?: number;
  mss?: number | null; app?: AppOptions; peer?: PeerOptions } = {}): Fixture & { app: App; syn: Seg } {
  const f = setup(opts);
  const app = connect(f.stack, ip4ToString(f.peer.ip), f.peer.port, { app: opts.app });
  const syn = f.peer.acceptHandshake({ isn: opts.isn ?? 0xfffffff0, win: opts.win, mss: opts.mss });
  assert.ok(app.connected, 'connected callback');
  return { ...f, app, syn };
}
