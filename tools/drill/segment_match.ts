/**
 * Sequence numbers and `>` matching for one scripted connection, following packetdrill
 * (run_packet.c): a SYN's sequence number and a SYN-ACK's ack field are absolute, everything else is
 * relative to the two ISNs, and each ISN is learned from the connection's SYN. A Flow holds what is
 * known of the ISNs; inboundNumbers maps a `<` line's numbers to live ones, verifyOutbound checks a
 * segment the stack sent against a `>` line (learning our ISN from our SYN or SYN-ACK). Which SYN
 * opens a connection depends on the stack's state and is decided by the runner (synOpens in run.ts).
 * Test tooling: allocation is fine here.
 */
import { ip4ToString } from '../../src/core/ip4addr.js';
import { formatSegment, formatSecs as secs, type PacketEvent } from './parse.js';
import { F_ACK, F_SYN, type Segment, type TcpOptionSpec } from '../rawpeer.js';
import { Failure } from './failure.js';

/** One scripted connection: its 4-tuple (live) and what is known of the two ISNs. */
export class Flow {
  localIsnKnown = false;
  /** A new SYN from the peer started a new connection on this 4-tuple: our next SYN-ACK teaches
   *  our ISN again (until then the old one still maps our segments, e.g. a challenge ACK). */
  localIsnStale = false;
  liveLocalIsn = 0;
  scriptLocalIsn = 0;
  remoteIsnKnown = false;
  remoteIsn = 0;
  /** A SYN from the peer has been injected on this flow. */
  gotRemoteSyn = false;
  /** Our TS vals as the script wrote them -> as we sent them (packetdrill's outbound TS val
   *  mapping): an inbound `ecr` names one of the script's values and is sent as the live one. */
  readonly tsVals = new Map<number, number>();
  /** The first of our TS vals matched against a `>` line, in script and live numbers (the baseline
   *  that maps later ones into script space). */
  firstTs: { script: number; live: number } | null = null;
  constructor(readonly localIp: number, readonly localPort: number, readonly remoteIp: number,
    readonly remotePort: number, readonly active: boolean) {}

  /** Live minus script value of our sequence numbers (a SYN's number is absolute in the script). */
  localOffset(syn: boolean): number {
    return !this.localIsnKnown ? 0 : syn ? this.liveLocalIsn - this.scriptLocalIsn : this.liveLocalIsn;
  }

  /** Live minus script value of the peer's sequence numbers (a SYN's number is absolute). */
  remoteOffset(syn: boolean): number {
    return syn || !this.remoteIsnKnown ? 0 : this.remoteIsn;
  }
}

/** A segment the stack sent, queued for the `>` lines. */
export interface OutPacket {
  /** Virtual send time, µs. */
  time: number;
  seg: Segment;
}

/**
 * The live sequence and ack numbers of an inbound `<` line. `opens`: the line is a SYN that opens
 * a connection (the runner's synOpens), so the peer's ISN is learned from it.
 */
export function inboundNumbers(flow: Flow, ev: PacketEvent, opens: boolean): { seq: number; ack: number } {
  const syn = (ev.flags & F_SYN) !== 0;
  if (opens) {
    if ((ev.flags & F_ACK) === 0) {
      // a new SYN is a new connection: forget our ISN, unless it crosses our own SYN (RFC 9293
      // §3.5 simultaneous open), where our SYN-ACK must carry the SYN's ISN again
      const simultaneous = flow.active && flow.localIsnKnown && !flow.gotRemoteSyn;
      if (!simultaneous && flow.localIsnKnown) flow.localIsnStale = true;
    }
    flow.remoteIsn = ev.seq >>> 0;
    flow.remoteIsnKnown = true;
    flow.gotRemoteSyn = true;
  }
  const seq = (ev.seq + flow.remoteOffset(syn)) >>> 0;
  // the ack field is mapped only with the ACK flag; without it, it goes as written (packetdrill)
  let ack = (ev.ack ?? 0) >>> 0;
  if ((ev.flags & F_ACK) !== 0) ack = (ack + flow.localOffset(syn)) >>> 0;
  return { seq, ack };
}

/**
 * The options of an inbound `<` line as they go on the wire (packetdrill's map_inbound_packet): SACK
 * blocks are relative to our ISN; with the ACK flag, TS ecr names one of our TS vals as the script
 * wrote it and becomes the live value we sent (or, with --tcp_ts_ecr_scaled, one interpolated from
 * the first); an ecr that names none is an error.
 */
export function inboundOptions(flow: Flow, ev: PacketEvent, ecrScaled: boolean): TcpOptionSpec[] {
  const opts = ev.options ?? [];
  const syn = (ev.flags & F_SYN) !== 0;
  const off = flow.localOffset(syn);
  const out: TcpOptionSpec[] = [];
  for (const o of opts) {
    if (o.kind === 'sack') {
      out.push({ kind: 'sack', blocks: o.blocks.map(([l, r]) => [(l + off) >>> 0, (r + off) >>> 0] as [number, number]) });
    } else if (o.kind === 'TS' && (ev.flags & F_ACK) !== 0) {
      let ecr = flow.tsVals.get(o.ecr);
      if (ecr === undefined && ecrScaled && flow.firstTs !== null) ecr = (o.ecr - flow.firstTs.script + flow.firstTs.live) >>> 0;
      if (ecr === undefined) {
        throw new Failure(ev.line, 'unable to infer live TS ecr for script TS ecr ' + o.ecr
          + '; no matching or preceding outbound TS val');
      }
      out.push({ kind: 'TS', val: o.val, ecr });
    } else {
      out.push(o);
    }
  }
  return out;
}

/** A segment's options in the script's numbering: SACK blocks relative to the peer's ISN, our TS val
 *  relative to the first one matched (packetdrill's map_outbound_live_packet). */
function scriptOptions(flow: Flow, s: Segment): TcpOptionSpec[] | null {
  if (s.options === null) return null;
  const off = flow.remoteOffset((s.flags & F_SYN) !== 0);
  return s.options.map((o): TcpOptionSpec => {
    if (o.kind === 'sack') return { kind: 'sack', blocks: o.blocks.map(([l, r]) => [(l - off) >>> 0, (r - off) >>> 0] as [number, number]) };
    if (o.kind === 'TS' && flow.firstTs !== null) return { kind: 'TS', val: (flow.firstTs.script + o.val - flow.firstTs.live) >>> 0, ecr: o.ecr };
    return o;
  });
}

/** A segment we sent, in the script's numbering. */
export function actualText(flow: Flow, pkt: OutPacket): string {
  const s = pkt.seg;
  const actSyn = (s.flags & F_SYN) !== 0;
  const hasAck = (s.flags & F_ACK) !== 0;
  const ack = hasAck ? (s.ack - flow.remoteOffset(actSyn)) >>> 0 : s.ack;
  const seq = (s.seq - flow.localOffset(actSyn)) >>> 0;
  return formatSegment('>', s.flags, seq, s.payload.length, hasAck || s.ack !== 0 ? ack : null, s.win, s.urg, scriptOptions(flow, s))
    + ' at ' + secs(pkt.time);
}

/**
 * Checks a segment we sent against a `>` line: flags, sequence, length, ack, window (only when
 * written), urgent pointer, options (exactly, unless `<...>`: kinds in order, values but TS's,
 * SACK blocks relative to the peer's ISN), zero payload, checksums, and its time against the window
 * lo..hi. Throws a Failure on the first difference. Our TS val is learned for later `ecr`s; it is
 * checked only with `tsTickUs` (--tcp_ts_tick_usecs), within `tsTolUs`, as packetdrill does.
 */
export function verifyOutbound(ev: PacketEvent, flow: Flow, pkt: OutPacket, start: number, end: number, tol: number,
  lo: number, hi: number, tsTickUs = 0, tsTolUs = 0): void {
  const s = pkt.seg;
  const actSyn = (s.flags & F_SYN) !== 0;
  if ((ev.flags & F_SYN) !== 0 && actSyn && (!flow.localIsnKnown || flow.localIsnStale)) {
    // our ISN is learned from our first SYN (or SYN-ACK) of the connection
    flow.localIsnKnown = true;
    flow.localIsnStale = false;
    flow.liveLocalIsn = s.seq;
    flow.scriptLocalIsn = ev.seq >>> 0;
  }
  const seq = (s.seq - flow.localOffset(actSyn)) >>> 0;
  const hasAck = (s.flags & F_ACK) !== 0;
  const ack = hasAck ? (s.ack - flow.remoteOffset(actSyn)) >>> 0 : s.ack;
  const len = s.payload.length;
  const wantTs = ev.options?.find((o) => o.kind === 'TS');
  const gotTs = s.options?.find((o) => o.kind === 'TS');
  let tsSkew = 0;
  if (wantTs !== undefined && gotTs !== undefined && wantTs.kind === 'TS' && gotTs.kind === 'TS') {
    flow.tsVals.set(wantTs.val, gotTs.val);
    if (flow.firstTs === null) flow.firstTs = { script: wantTs.val, live: gotTs.val };
    tsSkew = ((flow.firstTs.script + gotTs.val - flow.firstTs.live - wantTs.val) | 0);
  }
  const actual = actualText(flow, pkt);
  const mismatch = (what: string): never => {
    throw new Failure(ev.line, 'expected ' + expectedText(ev) + ' but got ' + actual + ' (' + what + ')');
  };
  if (s.errors.length > 0) mismatch(s.errors.join(', '));
  if (s.flags !== ev.flags) mismatch('flags: expected ' + flagsName(ev.flags) + ' vs actual ' + flagsName(s.flags));
  if (seq !== (ev.seq >>> 0)) mismatch('tcp_seq: expected ' + ev.seq + ' vs actual ' + seq);
  if (len !== ev.len) mismatch('payload: expected ' + ev.len + ' bytes vs actual ' + len + ' bytes');
  const wantAck = (ev.ack ?? 0) >>> 0;
  if (ack !== wantAck) mismatch('tcp_ack_seq: expected ' + wantAck + ' vs actual ' + ack);
  if (ev.win !== null && s.win !== ev.win) mismatch('tcp_window: expected ' + ev.win + ' vs actual ' + s.win);
  if (s.urg !== ev.urg) mismatch('tcp_urg_ptr: expected ' + ev.urg + ' vs actual ' + s.urg);
  if (ev.options !== null) {
    if (s.options === null) mismatch('malformed TCP options');
    else if (!sameOptions(ev.options, scriptOptions(flow, s) as TcpOptionSpec[])) mismatch('bad outbound TCP options');
    else if (tsTickUs > 0 && Math.abs(tsSkew) * tsTickUs > tsTolUs) {
      mismatch('bad outbound TCP timestamp value, tolerance ' + tsTolUs + ' usecs');
    }
  }
  for (let i = 0; i < len; i++) if (s.payload[i] !== 0) mismatch('incorrect outbound data payload');
  if (pkt.time < lo || pkt.time > hi) {
    throw new Failure(ev.line, 'expected ' + expectedText(ev) + ' ' + windowText(ev, start, end, tol) + ' but got it at '
      + secs(pkt.time) + ' (' + (pkt.time < lo ? 'too early' : 'too late') + ')');
  }
}

/** A `>` or `<` line as written (for messages). */
export function expectedText(ev: PacketEvent): string {
  return formatSegment(ev.dir, ev.flags, ev.seq, ev.len, (ev.flags & F_ACK) !== 0 || ev.ack !== null ? (ev.ack ?? 0) : null,
    ev.win, ev.urg, ev.options);
}

/** When a `>` line expected its segment (for messages). */
export function windowText(ev: PacketEvent, start: number, end: number, tol: number): string {
  if (ev.time.kind === 'any') return 'at any time';
  if (ev.time.kind === 'absRange' || ev.time.kind === 'relRange') {
    return 'in ' + secs(start) + '~' + secs(end) + ' (tolerance ' + secs(tol) + ')';
  }
  return 'at ' + secs(start) + ' (tolerance ' + secs(tol) + ')';
}

function flagsName(f: number): string {
  return formatSegment('>', f, 0, 0, null, null, 0, []).split(' ')[1];
}

/** A segment with its live addresses and numbers (for the trace). */
export function rawSegment(s: Segment): string {
  return ip4ToString(s.srcIp) + ':' + s.srcPort + ' > ' + ip4ToString(s.dstIp) + ':' + s.dstPort + ' '
    + formatSegment('>', s.flags, s.seq, s.payload.length, (s.flags & F_ACK) !== 0 ? s.ack : null, s.win, s.urg, s.options).slice(2);
}

function sameOptions(want: TcpOptionSpec[], got: TcpOptionSpec[]): boolean {
  if (want.length !== got.length) return false;
  for (let i = 0; i < want.length; i++) {
    const a = want[i];
    const b = got[i];
    if (a.kind !== b.kind) return false;
    switch (a.kind) {
      case 'mss': if (b.kind === 'mss' && a.value !== b.value) return false; break;
      case 'wscale': if (b.kind === 'wscale' && a.value !== b.value) return false; break;
      case 'sack':
        if (b.kind === 'sack' && JSON.stringify(a.blocks) !== JSON.stringify(b.blocks)) return false;
        break;
      default: break; // nop, eol, sackOK; TS values are not compared (packetdrill's default)
    }
  }
  return true;
}

