/**
 * Runs a packetdrill-dialect script against one xs-tcp Stack on the mock HAL. The script plays the
 * remote peer through a RawEndpoint on the same MockWire: `<` lines are built into frames and
 * injected at their time, `>` lines are matched against the frames the stack emitted (each queued
 * with its virtual send time), system calls run on a Linux-like socket layer over the raw API
 * (sockets.ts), and time is the MockNet's virtual clock, script time 0 being the start of the run.
 *
 * Semantics follow packetdrill (run.c, run_packet.c, socket.h):
 *  - relative times (`+t`, `+a~+b`) count from when the previous event actually happened (two
 *    consecutive inbound packets: from the previous one's scheduled time); the tolerance
 *    (--tolerance_usecs, default 4000, and --tolerance_percent of the gap to the previous event,
 *    default 12.5) widens every window, ranges included;
 *  - sequence numbers: a SYN's sequence number and a SYN-ACK's ack field are absolute; everything
 *    else is relative to the two ISNs; with no SYN seen numbers are absolute; the peer's ISN is
 *    learned only from a SYN that opens a connection (a listener takes it, it crosses our SYN_SENT,
 *    or it is a SYN-ACK to our SYN — see synOpens), and then ours is learned again from our next
 *    SYN-ACK — unless the SYN answers our own (simultaneous open, where our SYN-ACK must reuse our
 *    SYN's ISN); a SYN to a port with no socket, or on a synchronized connection, changes nothing;
 *  - the "socket under test": socket() makes the new socket current; the first packet injected
 *    while it listens (or when there is none) starts a new connection from a fresh remote port;
 *    connect() makes its connection current; segments of other connections are ignored;
 *  - `>` matching: flags, sequence range, ack, urgent pointer, payload (zeros: a script's write
 *    sends zeros) and checksums always; the window only when `win` is written; options exactly
 *    unless `<...>`; a segment sent too early or too late, or an unexpected one, fails at the next
 *    `>` line; segments left over when the script ends are not an error (as in packetdrill);
 *  - a blocking system call written `start...end call()` runs while later events proceed and its
 *    return time is checked; one written without an end time that blocks holds the script (as
 *    packetdrill's main thread) until it returns.
 *
 * Host/test tooling: allocation is fine here.
 */
import { MockNet } from '../mocknet.js';
import type { RawEndpoint, MockDriver } from '../../hal/mock/wire.js';
import type { Stack } from '../../src/api/stack.js';
import { ip4ToString } from '../../src/core/ip4addr.js';
import { tcp_lookup_state } from '../../src/api/tcp_api.js';
import {
  parseScript, DrillParseError, formatSegment, formatSecs as secs,
  type Script, type DrillEvent, type PacketEvent, type SyscallEvent, type StateEvent,
} from './parse.js';
import { Sockets } from './sockets.js';
import { ERRNO, STRERROR } from './linux_abi.js';
import { ScriptError, evalInt, exprText } from './syscall_args.js';
import type { Call, CallResult, Sock, Conn } from './socket_state.js';
import { buildTcpFrame, buildArpReply, decodeFrame, F_ACK, F_SYN } from '../rawpeer.js';
import { Failure } from './failure.js';
import { readSettings, type DrillOptions, type DrillSettings } from './settings.js';
import {
  Flow, inboundNumbers, inboundOptions, verifyOutbound, actualText, expectedText, windowText, rawSegment, type OutPacket,
} from './segment_match.js';

export interface DrillResult {
  ok: boolean;
  path: string;
  /** Line of the first failure (0 when ok). */
  line: number;
  /** "" when ok, else "FILE:LINE: reason". */
  message: string;
  /** The stack that ran (null when the script did not parse), for pool checks after clean-up. */
  stack: Stack | null;
  net: MockNet | null;
  /** Trace lines (verbose). */
  log: string[];
}

/** A blocking system call written `start...end`, running while later events proceed. */
interface Pending {
  ev: SyscallEvent;
  call: Call;
  endTime: number;
  tol: number;
}

/** sysctl settings that describe what this stack does anyway (it has no D-SACK, FACK, ECN, Fast
 *  Open, ...): accepted; any other sysctl fails, since it cannot be honoured. Timestamps, SACK and
 *  window scaling (0 or 1) are applied to the stack's configuration before the run (settings.ts). */
const SYSCTL_OK: Readonly<Record<string, readonly string[] | null>> = {
  'net.ipv4.tcp_timestamps': ['0', '1'],
  'net.ipv4.tcp_sack': ['0', '1'],
  'net.ipv4.tcp_window_scaling': ['0', '1'],
  'net.ipv4.tcp_dsack': ['0'],
  'net.ipv4.tcp_fack': ['0'],
  'net.ipv4.tcp_ecn': ['0'],
  'net.ipv4.tcp_fastopen': ['0'],
  'net.ipv4.tcp_syncookies': ['0'],
  'net.ipv4.tcp_early_retrans': ['0'],
  'net.ipv4.tcp_mtu_probing': ['0'],
  'net.ipv4.tcp_no_metrics_save': null,
};

const ANY_TIME_HORIZON_US = 300e6;
const BLOCK_LIMIT_US = 600e6;
/** How far past a missed window the runner looks, to report what came instead. */
const LATE_LOOKAHEAD_US = 120e6;
const DEFAULT_WIN = 65535;

export class DrillRunner {
  readonly log: string[] = [];
  net!: MockNet;
  stack!: Stack;
  private raw!: RawEndpoint;
  private driver!: MockDriver;
  private sockets!: Sockets;
  private now = 0;
  /** The last time the stack's timers ran (µs). */
  private ticked = -1;
  private readonly out: OutPacket[] = [];
  private readonly arpOut: Uint8Array[] = [];
  private sut: { kind: 'none' } | { kind: 'sock'; sock: Sock } | { kind: 'flow'; flow: Flow } = { kind: 'none' };
  private pending: Pending | null = null;
  private lastEvent: DrillEvent | null = null;
  /** The event being run (for errors thrown from inside the stack). */
  current: DrillEvent | null = null;
  private lastScheduled = 0;
  private lastScriptTime: number | null = null;
  private nextRemotePort = 40000;
  private ipId = 1;
  private cleaning = false;
  private verbose: boolean;
  /** Script options over the defaults (set up by run()). */
  private settings!: DrillSettings;

  constructor(readonly script: Script, private readonly opts: DrillOptions = {}) {
    this.verbose = opts.verbose === true;
  }

  private trace(s: string): void {
    if (this.verbose) this.log.push(secs(this.now) + ' ' + s);
  }

  // --- set-up ------------------------------------------------------------------------------------

  private setup(): void {
    const set = readSettings(this.script, this.opts);
    this.settings = set;
    this.verbose = set.verbose;
    this.net = new MockNet({ seed: set.seed });
    let stack: Stack;
    try {
      stack = this.net.addStack({
        ip: ip4ToString(set.localIp) + '/' + set.prefix,
        gateway: ((set.gatewayIp ^ set.localIp) >>> (32 - set.prefix)) === 0 || set.prefix === 0 ? set.gatewayIp : undefined,
        config: set.config, name: 'drill',
      });
    } catch (e) {
      throw new Failure(this.script.options[0]?.line ?? 1, 'bad stack configuration: ' + (e as Error).message);
    }
    this.stack = stack;
    this.driver = this.net.driverOf(stack);
    this.raw = this.net.addRaw(undefined, 'peer');
    if (set.localIsn !== null) {
      const isn = set.localIsn;
      stack.tcp.isnOverride = () => isn;
    }
    // Every frame the stack sends is taken off the wire here, at its send time: ARP requests are
    // answered for the peer (the script never sees ARP), TCP segments are queued for `>` lines.
    this.net.wire.dropIf((buf, off, len, from) => {
      if (from !== this.driver) return false;
      this.capture(buf.slice(off, off + len));
      return true;
    });
    this.sockets = new Sockets(stack, {
      localIp: set.localIp, remoteIp: set.remoteIp, bindPort: set.bindPort, connectPort: set.connectPort,
      now: () => this.now / 1000,
    }, {
      onSocket: (sock: Sock) => { this.sut = { kind: 'sock', sock }; },
      onConnect: (_sock: Sock, conn: Conn) => {
        this.sut = { kind: 'flow', flow: new Flow(conn.localIp, conn.localPort, conn.remoteIp, conn.remotePort, true) };
      },
    });
    this.settle();
  }

  private capture(frame: Uint8Array): void {
    const d = decodeFrame(frame);
    if (d.kind === 'arp') {
      if (d.op === 1 && d.targetIp !== this.settings.localIp) {
        this.arpOut.push(buildArpReply(this.raw.mac, d.targetIp, d.senderMac, d.senderIp));
      }
      return;
    }
    if (d.kind !== 'tcp') {
      this.trace('> (ignored: ' + d.what + ')');
      return;
    }
    if (this.cleaning) return;
    this.out.push({ time: this.now, seg: d.seg });
    this.trace('> ' + rawSegment(d.seg));
  }

  // --- virtual time ------------------------------------------------------------------------------

  /** Delivers every frame due now (replies included), then lets blocked calls progress. */
  private settle(): void {
    const wire = this.net.wire;
    for (let guard = 0; guard < 100000; guard++) {
      while (this.arpOut.length > 0) this.raw.send(this.arpOut.shift() as Uint8Array);
      const n = wire.deliverDue(this.net.clock.now());
      if (n === 0 && this.arpOut.length === 0) break;
    }
    if (this.cleaning) return;
    this.sockets.poll();
    this.checkPending();
  }

  private tickAt(us: number): void {
    this.now = us;
    this.net.clock.set(us / 1000);
    this.settle();
    this.stack.tick(us / 1000);
    this.ticked = us;
    this.settle();
  }

  /**
   * Moves virtual time to `us`, ticking the stack at every millisecond on the way. With
   * `inclusive` false the stack's timers due exactly at `us` are left for later: a script event
   * at time T happens before a timer that expires at T fires (kernel timers fire at or after their
   * expiry, never before; packetdrill injects at T).
   */
  private advanceTo(us: number, inclusive = true, stepUs = 1000): void {
    if (this.ticked < this.now && (inclusive || this.now < us)) this.tickAt(this.now);
    while (this.now < us) {
      const next = Math.min(us, (Math.floor(this.now / stepUs) + 1) * stepUs);
      if (next === us && !inclusive) {
        this.now = us;
        this.net.clock.set(us / 1000);
        // the stack reads the time on every tick and frame; API calls made now must see it too
        this.stack.core.now = us / 1000;
        this.settle();
        break;
      }
      this.tickAt(next);
    }
  }

  private nextStep(): number {
    return (Math.floor(this.now / 1000) + 1) * 1000;
  }

  // --- running -----------------------------------------------------------------------------------

  run(): void {
    this.setup();
    if (this.script.initCommand !== null) this.command(this.script.initCommand.command, this.script.initCommand.line, false);
    const evs = this.script.events;
    for (let i = 0; i < evs.length; i++) {
      const ev = evs[i];
      this.current = ev;
      const { start, end, endTime, tol } = this.schedule(ev);
      try {
        switch (ev.type) {
          case 'packet':
            if (ev.dir === '<') { this.waitFor(ev, start, tol); this.inject(ev); } else this.expect(ev, start, end, tol);
            break;
          case 'syscall':
            this.waitFor(ev, start, tol);
            this.syscall(ev, endTime, tol);
            break;
          case 'state':
            this.waitFor(ev, start, tol);
            this.checkState(ev);
            break;
          case 'command':
            this.waitFor(ev, start, tol);
            if (this.command(ev.command, ev.line, i === evs.length - 1)) return;
            break;
        }
      } catch (e) {
        if (e instanceof ScriptError) throw new Failure(ev.line, ev.text + ': ' + e.message);
        throw e;
      }
      this.lastEvent = ev;
      this.lastScheduled = start;
      this.lastScriptTime = start;
    }
    if (this.pending !== null) {
      throw new Failure(this.pending.ev.line, 'exiting while a blocking system call is in progress: ' + this.pending.ev.text);
    }
  }

  /** The event's times after packetdrill's adjust_relative_event_times, and its tolerance. */
  private schedule(ev: DrillEvent): { start: number; end: number; endTime: number | null; tol: number } {
    const t = ev.time;
    let start = t.start;
    let end = t.end;
    let endTime = ev.type === 'syscall' ? ev.endTime : null;
    if (t.kind === 'rel' || t.kind === 'relRange' || t.kind === 'any') {
      const last = this.lastEvent;
      const anchored = last !== null && isInbound(last) && isInbound(ev);
      const offset = anchored ? this.lastScheduled : this.now;
      if (t.kind === 'any') { start = offset; end = offset; } else { start += offset; end += offset; }
      if (endTime !== null && t.kind === 'rel') endTime += offset;
    }
    let tol = this.settings.toleranceUs;
    if (this.lastScriptTime !== null) {
      const dyn = (this.settings.tolerancePercent / 100) * (start - this.lastScriptTime);
      if (dyn > tol) tol = dyn;
    }
    return { start, end, endTime, tol };
  }

  /** Waits until an event's time; being already past it (beyond the tolerance) is a timing error. */
  private waitFor(ev: DrillEvent, start: number, tol: number): void {
    if (this.now > start + tol) {
      throw new Failure(ev.line, 'timing error: expected ' + describe(ev) + ' at ' + secs(start) + ' sec but happened at '
        + secs(this.now) + ' sec; tolerance ' + secs(tol) + ' sec');
    }
    this.advanceTo(start, false);
  }

  // --- packets -----------------------------------------------------------------------------------

  private flowForInbound(): Flow {
    if (this.sut.kind === 'flow') return this.sut.flow;
    const port = this.sut.kind === 'sock' && this.sut.sock.boundPort !== 0 ? this.sut.sock.boundPort : this.settings.bindPort;
    const flow = new Flow(this.settings.localIp, port, this.settings.remoteIp, this.nextRemotePort++, false);
    this.sut = { kind: 'flow', flow };
    return flow;
  }

  private inject(ev: PacketEvent): void {
    const fresh = this.sut.kind === 'none';
    const flow = this.flowForInbound();
    const syn = (ev.flags & F_SYN) !== 0;
    const { seq, ack } = inboundNumbers(flow, ev, syn && this.synOpens(flow, (ev.flags & F_ACK) !== 0, fresh));
    const options = inboundOptions(flow, ev, this.settings.tsEcrScaled);
    const frame = buildTcpFrame({
      dstMac: this.driver.mac, srcMac: this.raw.mac, srcIp: flow.remoteIp, dstIp: flow.localIp, ipId: this.ipId++ & 0xffff,
      srcPort: flow.remotePort, dstPort: flow.localPort, seq, ack, flags: ev.flags, win: ev.win ?? DEFAULT_WIN,
      urg: ev.urg, options, payloadLen: ev.len,
    });
    this.trace(formatSegment('<', ev.flags, seq, ev.len, (ev.flags & F_ACK) !== 0 || ack !== 0 ? ack : null, ev.win ?? DEFAULT_WIN,
      ev.urg, options) + ' (live)');
    this.raw.send(frame);
    this.settle();
  }

  /**
   * Whether an injected SYN opens a connection, so that the peer's ISN is learned from it, as
   * packetdrill learns it (run_packet.c: a listening socket under test, or none at all, takes an
   * inbound SYN as a new child connection; a SYN-ACK answers our SYN_SENT). Here: a bare SYN that a
   * listener takes (the 4-tuple is free, or in TIME_WAIT with a listener on the port, RFC 9293
   * §3.10.7.4 / RFC 6191), a bare SYN crossing our SYN_SENT (simultaneous open), a SYN-ACK to our
   * SYN_SENT, or the first packet of a script that has no socket at all (packetdrill's null socket
   * under test). A SYN to a port with no socket keeps absolute numbers; a SYN on a synchronized
   * connection (an RFC 5961 §4 challenge ACK test) keeps the current ones.
   */
  private synOpens(flow: Flow, synAck: boolean, fresh: boolean): boolean {
    const state = tcp_lookup_state(this.stack, flow.localIp, flow.localPort, flow.remoteIp, flow.remotePort);
    if (synAck) return flow.active && state === 'SYN_SENT';
    if (state === 'LISTEN') return true;
    if (state === 'SYN_SENT') return flow.active;
    if (state === 'TIME_WAIT') return this.stack.tcp.findListener(flow.localIp, flow.localPort) !== null;
    return state === 'CLOSED' && fresh;
  }

  private takePacket(flow: Flow): OutPacket | null {
    while (this.out.length > 0) {
      const p = this.out.shift() as OutPacket;
      const s = p.seg;
      if (s.srcPort === flow.localPort && s.dstPort === flow.remotePort && s.dstIp === flow.remoteIp
        && s.srcIp === flow.localIp) return p;
      this.trace('  (segment of another connection ignored: ' + rawSegment(s) + ')');
    }
    return null;
  }

  private expect(ev: PacketEvent, start: number, end: number, tol: number): void {
    if (this.sut.kind !== 'flow') {
      throw new Failure(ev.line, 'expected ' + expectedText(ev) + ' but there is no connection yet (no connect() and no packet injected)');
    }
    const flow = this.sut.flow;
    const any = ev.time.kind === 'any';
    const lo = any ? -Infinity : start - tol;
    const hi = any ? this.now + ANY_TIME_HORIZON_US : end + tol;
    let pkt: OutPacket | null;
    for (;;) {
      pkt = this.takePacket(flow);
      if (pkt !== null) break;
      if (this.ticked < this.now) { this.tickAt(this.now); continue; }
      if (this.now >= hi) this.late(ev, flow, start, end, tol, lo);
      this.advanceTo(Math.min(hi, this.nextStep()));
    }
    verifyOutbound(ev, flow, pkt, start, end, tol, lo, hi, this.settings.tsTickUs, this.tsTolerance(start));
  }

  /** The tolerance of an outbound TS val (packetdrill: the timing tolerance, or its percentage of
   *  the time since the script started, whichever is larger). */
  private tsTolerance(at: number): number {
    const dyn = (this.settings.tolerancePercent / 100) * at;
    return dyn > this.settings.toleranceUs ? dyn : this.settings.toleranceUs;
  }

  /** The expected segment did not come in time: look a while further to say what did come. */
  private late(ev: PacketEvent, flow: Flow, start: number, end: number, tol: number, lo: number): never {
    const waited = this.now;
    const head = 'expected ' + expectedText(ev) + ' ' + windowText(ev, start, end, tol);
    const horizon = this.now + LATE_LOOKAHEAD_US;
    let pkt: OutPacket | null = null;
    while (pkt === null && this.now < horizon) {
      this.advanceTo(this.nextStep());
      pkt = this.takePacket(flow);
    }
    if (pkt !== null) {
      try {
        verifyOutbound(ev, flow, pkt, start, end, tol, lo, Infinity);
      } catch (e) {
        if (!(e instanceof Failure)) throw e;
        throw new Failure(ev.line, head + ' but no packet was sent (waited until ' + secs(waited) + '); the next one was '
          + actualText(flow, pkt));
      }
      throw new Failure(ev.line, head + ' but got it at ' + secs(pkt.time) + ' (too late)');
    }
    throw new Failure(ev.line, head + ' but no packet was sent (waited until ' + secs(waited) + ')');
  }

  // --- system calls ------------------------------------------------------------------------------

  private syscall(ev: SyscallEvent, endTime: number | null, tol: number): void {
    const call = this.sockets.start(ev.name, ev.args);
    let r = call.step();
    // what the call sent (an ARP request first, maybe) goes out at this same instant
    this.settle();
    if (endTime !== null) {
      if (this.pending !== null) {
        throw new Failure(ev.line, 'a blocking system call is already in progress (line ' + this.pending.ev.line + ')');
      }
      if (r !== null) {
        this.verifyResult(ev, r);
        this.verifyEnd(ev, endTime, tol);
      } else {
        this.trace(ev.text + ' blocks');
        this.pending = { ev, call, endTime, tol };
      }
      return;
    }
    if (r === null) {
      // packetdrill's main thread would sit in this call: so does the script
      const limit = this.now + BLOCK_LIMIT_US;
      this.trace(ev.text + ' blocks');
      while (r === null) {
        if (this.now >= limit) {
          throw new Failure(ev.line, ev.text + ': the call still blocks after ' + (BLOCK_LIMIT_US / 1e6)
            + ' s (packetdrill would hang): write it as start...end, or use O_NONBLOCK');
        }
        this.advanceTo(this.nextStep());
        r = call.step();
      }
    }
    this.verifyResult(ev, r);
  }

  private checkPending(): void {
    const p = this.pending;
    if (p === null) return;
    let r: CallResult | null;
    try {
      r = p.call.step();
    } catch (e) {
      if (e instanceof ScriptError) throw new Failure(p.ev.line, p.ev.text + ': ' + e.message);
      throw e;
    }
    if (r === null) return;
    this.pending = null;
    this.verifyResult(p.ev, r);
    this.verifyEnd(p.ev, p.endTime, p.tol);
  }

  private verifyEnd(ev: SyscallEvent, endTime: number, tol: number): void {
    if (this.now < endTime - tol || this.now > endTime + tol) {
      throw new Failure(ev.line, 'timing error: expected system call return at ' + secs(endTime) + ' sec but happened at '
        + secs(this.now) + ' sec; tolerance ' + secs(tol) + ' sec');
    }
  }

  private verifyResult(ev: SyscallEvent, r: CallResult): void {
    this.trace(ev.text + ' -> ' + r.ret + (r.errno !== null ? ' ' + r.errno : ''));
    const got = r.ret + (r.errno !== null ? ' ' + r.errno + ' (' + (STRERROR[r.errno] ?? r.errno) + ')' : '');
    const want = exprText(ev.ret) + (ev.errno !== null ? ' ' + ev.errno : '');
    if (ev.ret.t !== 'ellipsis') {
      let expected: number;
      try {
        expected = evalInt(ev.ret, 'the result');
      } catch (e) {
        throw new Failure(ev.line, ev.text + ': ' + (e as Error).message);
      }
      if (expected !== r.ret) throw new Failure(ev.line, callName(ev) + ': expected ' + want + ' but got ' + got);
    }
    if (ev.errno !== null) {
      if (ERRNO[ev.errno] === undefined) throw new Failure(ev.line, 'unknown errno ' + ev.errno);
      if (r.errno === null || ERRNO[r.errno] !== ERRNO[ev.errno]) {
        throw new Failure(ev.line, callName(ev) + ': expected ' + want + ' but got ' + got);
      }
    }
  }

  private checkState(ev: StateEvent): void {
    let st: string;
    if (ev.fd === -1) {
      if (this.sut.kind !== 'flow') throw new Failure(ev.line, 'tcp_state(...): there is no connection under test yet');
      const f = this.sut.flow;
      st = tcp_lookup_state(this.stack, f.localIp, f.localPort, f.remoteIp, f.remotePort);
      if (st === 'LISTEN') st = 'CLOSED';
    } else {
      st = this.sockets.stateOf(ev.fd);
    }
    const fd = ev.fd === -1 ? '...' : String(ev.fd);
    this.trace('tcp_state(' + fd + ') is ' + st);
    if (st !== ev.state) throw new Failure(ev.line, 'tcp_state(' + fd + '): expected ' + ev.state + ' but got ' + st);
  }

  /** Runs a backquoted command; returns true when the script should stop here (a final `sleep`,
   *  which in the seeds holds the state for inspection). */
  private command(cmd: string, line: number, isLast: boolean): boolean {
    const parts = cmd.split(/;|&&|\n/).map((s) => s.trim()).filter((s) => s !== '');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      const sleep = /^sleep\s+([0-9]*\.?[0-9]+)$/.exec(part);
      if (sleep !== null) {
        if (isLast && i === parts.length - 1) { this.trace('`' + part + '`: holding the final state; end of script'); return true; }
        const us = Math.round(Number(sleep[1]) * 1e6);
        if (us > 3600e6) throw new Failure(line, 'unsupported: sleep of more than an hour in the middle of a script');
        this.advanceTo(this.now + us);
        continue;
      }
      const sc = /^sysctl\s+(?:-[qwe]+\s+)*([\w.]+)\s*=\s*(\S+)$/.exec(part);
      if (sc !== null) {
        const allowed = SYSCTL_OK[sc[1]];
        if (allowed === undefined || (allowed !== null && !allowed.includes(sc[2]))) {
          throw new Failure(line, 'unsupported command `' + part + '`: this stack has no such setting');
        }
        continue;
      }
      throw new Failure(line, 'unsupported command `' + part + '` (only sleep and a few sysctl settings are understood)');
    }
    return false;
  }

  // --- clean-up ----------------------------------------------------------------------------------

  /** After the script: close every descriptor (resetting connections, as packetdrill does), let
   *  timers finish what the stack still holds (TIME_WAIT, FIN_WAIT, retransmissions), then free
   *  whatever is left, so that pool checks see a quiet stack. */
  cleanup(): void {
    if (this.sockets === undefined) return;
    this.cleaning = true;
    this.pending = null;
    this.out.length = 0;
    try {
      this.sockets.closeAll();
      this.settle();
      const tcp = this.stack.tcp;
      const busy = (): boolean => {
        let n = 0;
        tcp.forEachConn(() => { n++; });
        tcp.forEachListener(() => { n++; });
        return n > 0;
      };
      const limit = this.now + 3600e6;
      while (busy() && this.now < limit) this.advanceTo(this.now + 10000, true, 10000);
      if (busy()) {
        const conns: Parameters<Parameters<typeof tcp.forEachConn>[0]>[0][] = [];
        tcp.forEachConn((c) => { conns.push(c); });
        for (const c of conns) tcp.abortPcb(c, 0, false);
        const ls: Parameters<Parameters<typeof tcp.forEachListener>[0]>[0][] = [];
        tcp.forEachListener((l) => { ls.push(l); });
        for (const l of ls) tcp.closeListener(l);
      }
      this.advanceTo(this.now + 10000, true, 10000);
      this.net.wire.flush();
    } finally {
      this.cleaning = false;
    }
  }
}

// --- helpers -------------------------------------------------------------------------------------

function isInbound(ev: DrillEvent): boolean {
  return ev.type === 'packet' && ev.dir === '<';
}

function describe(ev: DrillEvent): string {
  switch (ev.type) {
    case 'packet': return ev.dir === '<' ? 'inbound packet' : 'outbound packet';
    case 'syscall': return 'system call start';
    case 'state': return 'tcp_state check';
    case 'command': return 'command';
  }
}

function callName(ev: SyscallEvent): string {
  return ev.name + '(' + ev.args.map(exprText).join(', ') + ')';
}

/** Runs a script's text; never throws (failures are in the result). The stack has been cleaned up
 *  when this returns (descriptors closed, timers run out), so its pools can be checked. */
export function runDrill(text: string, path = 'script', opts: DrillOptions = {}): DrillResult {
  let script: Script;
  try {
    script = parseScript(text, path);
  } catch (e) {
    if (e instanceof DrillParseError) return { ok: false, path, line: e.line, message: e.message, stack: null, net: null, log: [] };
    throw e;
  }
  const runner = new DrillRunner(script, opts);
  let result: DrillResult;
  try {
    runner.run();
    result = { ok: true, path, line: 0, message: '', stack: runner.stack, net: runner.net, log: runner.log };
  } catch (e) {
    let line: number;
    let msg: string;
    if (e instanceof Failure) {
      line = e.line;
      msg = e.message;
    } else {
      // an exception from inside the stack (or the runner) is a failure at the current event
      line = runner.current?.line ?? 0;
      msg = 'internal error: ' + ((e as Error).stack ?? String(e));
    }
    result = {
      ok: false, path, line, message: path + ':' + line + ': ' + msg,
      stack: runner.stack ?? null, net: runner.net ?? null, log: runner.log,
    };
  }
  try {
    runner.cleanup();
  } catch (e) {
    if (result.ok) {
      result = { ...result, ok: false, message: path + ':0: internal error during clean-up: ' + ((e as Error).stack ?? String(e)) };
    }
  }
  return result;
}
