/**
 * The raw TCP peer shared by the tests and the packetdrill runner (tools/drill): it builds the
 * Ethernet/IPv4/TCP frames a peer injects (RFC 791 §3.1 and RFC 9293 §3.1 headers, TCP options,
 * checksums with the pseudo-header) and decodes the frames the stack emits, checking their checksums.
 * `RawPeer` puts that on a mock-wire RawEndpoint with an IPv4 address: it answers ARP requests for
 * that address (RFC 826), can prime the stack's ARP cache, sends segments and records the ones
 * addressed to it.
 *
 * Everything here is written from the RFCs, independently of src/wire and src/core/checksum, so that
 * a bug in the stack's own encoders cannot hide on both sides of a test. It runs on XS too (the
 * scenario suite uses it inside xsnap): no Node modules. Allocation is fine: this is tooling.
 */
import type { RawEndpoint } from '../hal/mock/wire.js';

export const ETH_HLEN = 14;
export const IP_HLEN = 20;
export const TCP_HLEN = 20;
export const ETHTYPE_IPV4 = 0x0800;
export const ETHTYPE_ARP = 0x0806;
export const IPPROTO_TCP = 6;

/** TCP flag bits (RFC 9293 §3.1). */
export const F_FIN = 0x01;
export const F_SYN = 0x02;
export const F_RST = 0x04;
export const F_PSH = 0x08;
export const F_ACK = 0x10;
export const F_URG = 0x20;
export const F_ECE = 0x40;
export const F_CWR = 0x80;

// -------------------------------------------------------------------------------------------------
// Bytes and the RFC 1071 checksum
// -------------------------------------------------------------------------------------------------

export function put16(b: Uint8Array, o: number, v: number): void { b[o] = (v >>> 8) & 0xff; b[o + 1] = v & 0xff; }
export function put32(b: Uint8Array, o: number, v: number): void { put16(b, o, v >>> 16); put16(b, o + 2, v & 0xffff); }
export function get16(b: Uint8Array, o: number): number { return (b[o] << 8) | b[o + 1]; }
export function get32(b: Uint8Array, o: number): number { return ((get16(b, o) << 16) | get16(b, o + 2)) >>> 0; }

/** RFC 1071 checksum of bytes (plus an optional partial sum, e.g. a pseudo-header's). */
export function cksum(b: Uint8Array, off = 0, len = b.length - off, acc = 0): number {
  let s = acc;
  for (let i = 0; i + 1 < len; i += 2) s += (b[off + i] << 8) | b[off + i + 1];
  if (len & 1) s += b[off + len - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return ~s & 0xffff;
}

/** The TCP/UDP pseudo-header's partial sum (RFC 9293 §3.1, RFC 768). */
export function pseudoSum(src: number, dst: number, proto: number, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
}

// -------------------------------------------------------------------------------------------------
// Flags and options
// -------------------------------------------------------------------------------------------------

/** Flags as text, tcpdump / packetdrill order: S F R P . (ACK) U E W. */
export function flagsText(f: number): string {
  let s = '';
  if (f & F_SYN) s += 'S';
  if (f & F_FIN) s += 'F';
  if (f & F_RST) s += 'R';
  if (f & F_PSH) s += 'P';
  if (f & F_ACK) s += '.';
  if (f & F_URG) s += 'U';
  if (f & F_ECE) s += 'E';
  if (f & F_CWR) s += 'W';
  return s;
}

/** Flag bits from text: any of S F R P U E W and '.' (ACK), any order, spaces ignored. */
export function flagBits(flags: string): number {
  let b = 0;
  for (const c of flags) {
    switch (c) {
      case 'S': b |= F_SYN; break;
      case 'F': b |= F_FIN; break;
      case 'R': b |= F_RST; break;
      case 'P': b |= F_PSH; break;
      case '.': b |= F_ACK; break;
      case 'U': b |= F_URG; break;
      case 'E': b |= F_ECE; break;
      case 'W': b |= F_CWR; break;
      case ' ': break;
      default: throw new Error('bad flag character ' + JSON.stringify(c) + ' in ' + JSON.stringify(flags));
    }
  }
  return b;
}

/** A TCP option (RFC 9293 §3.1 MSS, RFC 7323 window scale and timestamps, RFC 2018 SACK). */
export type TcpOptionSpec =
  | { kind: 'nop' }
  | { kind: 'eol' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; value: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: [number, number][] }
  | { kind: 'TS'; val: number; ecr: number };

/** Bytes a list of TCP options takes (RFC 9293 §3.1 lengths). */
export function optionsBytes(opts: TcpOptionSpec[]): number {
  let n = 0;
  for (const o of opts) {
    switch (o.kind) {
      case 'nop': case 'eol': n += 1; break;
      case 'mss': n += 4; break;
      case 'wscale': n += 3; break;
      case 'sackOK': n += 2; break;
      case 'TS': n += 10; break;
      case 'sack': n += 2 + 8 * o.blocks.length; break;
    }
  }
  return n;
}

/** Writes the options at `off`; returns the bytes written. */
export function writeOptions(buf: Uint8Array, off: number, opts: TcpOptionSpec[]): number {
  let p = off;
  const u32 = (v: number) => { put32(buf, p, v >>> 0); p += 4; };
  for (const o of opts) {
    switch (o.kind) {
      case 'nop': buf[p++] = 1; break;
      case 'eol': buf[p++] = 0; break;
      case 'mss': buf[p++] = 2; buf[p++] = 4; buf[p++] = o.value >>> 8; buf[p++] = o.value & 0xff; break;
      case 'wscale': buf[p++] = 3; buf[p++] = 3; buf[p++] = o.value; break;
      case 'sackOK': buf[p++] = 4; buf[p++] = 2; break;
      case 'TS': buf[p++] = 8; buf[p++] = 10; u32(o.val); u32(o.ecr); break;
      case 'sack':
        buf[p++] = 5; buf[p++] = 2 + 8 * o.blocks.length;
        for (const b of o.blocks) { u32(b[0]); u32(b[1]); }
        break;
    }
  }
  return p - off;
}

/** Decodes TCP options; null when they are malformed (RFC 9293 §3.1: a bad length or unknown kind). */
export function readOptions(buf: Uint8Array, off: number, len: number): TcpOptionSpec[] | null {
  const out: TcpOptionSpec[] = [];
  let p = off;
  const end = off + len;
  while (p < end) {
    const kind = buf[p];
    if (kind === 0) { out.push({ kind: 'eol' }); p++; continue; }
    if (kind === 1) { out.push({ kind: 'nop' }); p++; continue; }
    if (p + 1 >= end) return null;
    const l = buf[p + 1];
    if (l < 2 || p + l > end) return null;
    switch (kind) {
      case 2: if (l !== 4) return null; out.push({ kind: 'mss', value: get16(buf, p + 2) }); break;
      case 3: if (l !== 3) return null; out.push({ kind: 'wscale', value: buf[p + 2] }); break;
      case 4: if (l !== 2) return null; out.push({ kind: 'sackOK' }); break;
      case 8: if (l !== 10) return null; out.push({ kind: 'TS', val: get32(buf, p + 2), ecr: get32(buf, p + 6) }); break;
      case 5: {
        if ((l - 2) % 8 !== 0) return null;
        const blocks: [number, number][] = [];
        for (let q = p + 2; q < p + l; q += 8) blocks.push([get32(buf, q), get32(buf, q + 4)]);
        out.push({ kind: 'sack', blocks });
        break;
      }
      default: return null;
    }
    p += l;
  }
  return out;
}

// -------------------------------------------------------------------------------------------------
// Frames
// -------------------------------------------------------------------------------------------------

export interface TcpFrameSpec {
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  srcIp: number;
  dstIp: number;
  ipId: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  win: number;
  urg?: number;
  options?: TcpOptionSpec[];
  /** Option bytes written as they are, after `options`. */
  rawOptions?: Uint8Array;
  /** The byte that pads the options to a multiple of 4: 0 (EOL, default) or 1 (NOP). */
  padByte?: number;
  /** Payload length (zeros unless `payload` is given). Default: payload's length, else 0. */
  payloadLen?: number;
  payload?: Uint8Array;
  /** Spoil the TCP checksum (a corrupted segment). */
  badChecksum?: boolean;
}

/** A whole Ethernet frame carrying one TCP segment, checksums filled in. The IPv4 header has DF
 *  set and TTL 64, as a Linux peer sends it (RFC 1191 path MTU discovery). */
export function buildTcpFrame(s: TcpFrameSpec): Uint8Array {
  const opts = s.options ?? [];
  const raw = s.rawOptions;
  const optLen = optionsBytes(opts) + (raw === undefined ? 0 : raw.length);
  const padded = (optLen + 3) & ~3;
  const payloadLen = s.payloadLen ?? (s.payload === undefined ? 0 : s.payload.length);
  const tcpLen = TCP_HLEN + padded + payloadLen;
  const ipLen = IP_HLEN + tcpLen;
  const f = new Uint8Array(ETH_HLEN + ipLen);
  f.set(s.dstMac, 0);
  f.set(s.srcMac, 6);
  put16(f, 12, ETHTYPE_IPV4);
  const ip = ETH_HLEN;
  f[ip] = 0x45;
  put16(f, ip + 2, ipLen);
  put16(f, ip + 4, s.ipId & 0xffff);
  f[ip + 6] = 0x40; // DF
  f[ip + 8] = 64;
  f[ip + 9] = IPPROTO_TCP;
  put32(f, ip + 12, s.srcIp);
  put32(f, ip + 16, s.dstIp);
  put16(f, ip + 10, cksum(f, ip, IP_HLEN));
  const t = ip + IP_HLEN;
  put16(f, t, s.srcPort);
  put16(f, t + 2, s.dstPort);
  put32(f, t + 4, s.seq >>> 0);
  put32(f, t + 8, s.ack >>> 0);
  f[t + 12] = ((TCP_HLEN + padded) / 4) << 4;
  f[t + 13] = s.flags & 0xff;
  put16(f, t + 14, s.win & 0xffff);
  put16(f, t + 18, (s.urg ?? 0) & 0xffff);
  let o = t + TCP_HLEN + writeOptions(f, t + TCP_HLEN, opts);
  if (raw !== undefined) { f.set(raw, o); o += raw.length; }
  // RFC 9293 §3.1: the header ends on a 32-bit boundary; padding is EOL (zeros) or NOPs
  if (s.padByte !== undefined) for (; o < t + TCP_HLEN + padded; o++) f[o] = s.padByte;
  if (s.payload !== undefined) f.set(s.payload.subarray(0, payloadLen), t + TCP_HLEN + padded);
  let sum = cksum(f, t, tcpLen, pseudoSum(s.srcIp, s.dstIp, IPPROTO_TCP, tcpLen));
  if (s.badChecksum) sum ^= 0x1234;
  put16(f, t + 16, sum);
  return f;
}

/** An ARP packet (RFC 826) in an Ethernet frame: op 1 request, 2 reply. `dstMac` null = broadcast. */
export function buildArp(op: number, dstMac: Uint8Array | null, sha: Uint8Array, spa: number, tha: Uint8Array,
  tpa: number): Uint8Array {
  const f = new Uint8Array(ETH_HLEN + 28);
  if (dstMac === null) f.fill(0xff, 0, 6); else f.set(dstMac, 0);
  f.set(sha, 6);
  put16(f, 12, ETHTYPE_ARP);
  const a = ETH_HLEN;
  put16(f, a, 1);               // hardware: Ethernet
  put16(f, a + 2, ETHTYPE_IPV4); // protocol: IPv4
  f[a + 4] = 6; f[a + 5] = 4;
  put16(f, a + 6, op);
  f.set(sha, a + 8);
  put32(f, a + 14, spa);
  f.set(tha, a + 18);
  put32(f, a + 24, tpa);
  return f;
}

/** An ARP reply from `mac`/`ip` to the requester. */
export function buildArpReply(mac: Uint8Array, ip: number, toMac: Uint8Array, toIp: number): Uint8Array {
  return buildArp(2, toMac, mac, ip, toMac, toIp);
}

/** A TCP segment the stack emitted, decoded. */
export interface Segment {
  srcIp: number;
  dstIp: number;
  ttl: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  win: number;
  urg: number;
  /** TCP header length (20 + options). */
  hdrLen: number;
  /** The option bytes as sent. */
  optionBytes: Uint8Array;
  /** null when the options were malformed. */
  options: TcpOptionSpec[] | null;
  /** The MSS option's value, 0 when absent. */
  mss: number;
  payload: Uint8Array;
  ipChecksumOk: boolean;
  tcpChecksumOk: boolean;
  /** Problems with the frame itself (checksums, lengths); empty when sound. */
  errors: string[];
}

export type Decoded =
  | { kind: 'arp'; op: number; senderMac: Uint8Array; senderIp: number; targetIp: number }
  | { kind: 'tcp'; seg: Segment }
  | { kind: 'other'; what: string };

/** Decodes a frame the stack sent (its first `len` bytes). */
export function decodeFrame(f: Uint8Array, len = f.length): Decoded {
  if (len < ETH_HLEN) return { kind: 'other', what: 'runt frame' };
  const type = get16(f, 12);
  if (type === ETHTYPE_ARP) {
    if (len < ETH_HLEN + 28) return { kind: 'other', what: 'short ARP' };
    const a = ETH_HLEN;
    return { kind: 'arp', op: get16(f, a + 6), senderMac: f.slice(a + 8, a + 14), senderIp: get32(f, a + 14), targetIp: get32(f, a + 24) };
  }
  if (type !== ETHTYPE_IPV4) return { kind: 'other', what: 'ethertype 0x' + type.toString(16) };
  const ip = ETH_HLEN;
  if (len < ip + IP_HLEN) return { kind: 'other', what: 'short IPv4' };
  const ihl = (f[ip] & 0x0f) * 4;
  const proto = f[ip + 9];
  if (proto !== IPPROTO_TCP) return { kind: 'other', what: 'IP protocol ' + proto };
  const errors: string[] = [];
  if ((f[ip] >>> 4) !== 4 || ihl < IP_HLEN) errors.push('bad IPv4 version/header length');
  const ipChecksumOk = cksum(f, ip, ihl) === 0;
  if (!ipChecksumOk) errors.push('bad outbound IP checksum');
  const totLen = get16(f, ip + 2);
  if (totLen > len - ip || totLen < ihl + TCP_HLEN) return { kind: 'other', what: 'truncated TCP/IP' };
  const t = ip + ihl;
  const tcpLen = totLen - ihl;
  const hl = (f[t + 12] >>> 4) * 4;
  if (hl < TCP_HLEN || hl > tcpLen) return { kind: 'other', what: 'bad TCP header length' };
  const srcIp = get32(f, ip + 12);
  const dstIp = get32(f, ip + 16);
  const tcpChecksumOk = cksum(f, t, tcpLen, pseudoSum(srcIp, dstIp, IPPROTO_TCP, tcpLen)) === 0;
  if (!tcpChecksumOk) errors.push('bad outbound TCP checksum');
  const options = readOptions(f, t + TCP_HLEN, hl - TCP_HLEN);
  let mss = 0;
  if (options !== null) for (const o of options) if (o.kind === 'mss') mss = o.value;
  return {
    kind: 'tcp',
    seg: {
      srcIp, dstIp, ttl: f[ip + 8],
      srcPort: get16(f, t), dstPort: get16(f, t + 2),
      seq: get32(f, t + 4), ack: get32(f, t + 8),
      flags: f[t + 13], win: get16(f, t + 14), urg: get16(f, t + 18),
      hdrLen: hl, optionBytes: f.slice(t + TCP_HLEN, t + hl), options, mss,
      payload: f.slice(t + hl, t + tcpLen),
      ipChecksumOk, tcpChecksumOk, errors,
    },
  };
}

// -------------------------------------------------------------------------------------------------
// The peer
// -------------------------------------------------------------------------------------------------

/** What a RawPeer sends a segment to. */
export interface PeerTarget {
  mac: Uint8Array;
  ip: number;
}

/** The fields of a segment the peer sends; the rest of TcpFrameSpec comes from the peer. */
export type PeerSegment = Omit<TcpFrameSpec, 'dstMac' | 'srcMac' | 'srcIp' | 'dstIp' | 'ipId'>;

/**
 * A host on the mock wire made of a RawEndpoint and an IPv4 address: it answers ARP requests for
 * its address (RFC 826), sends TCP segments as written, and records (in `segs`) every TCP segment
 * delivered to it, decoded. Set `record` false to leave recording to the caller.
 */
export class RawPeer {
  readonly raw: RawEndpoint;
  readonly ip: number;
  readonly segs: Segment[] = [];
  record = true;
  private ipId = 1;
  private readonly removers: (() => void)[] = [];

  constructor(raw: RawEndpoint, ip: number) {
    this.raw = raw;
    this.ip = ip;
    this.raw.keep = false;
    this.removers.push(raw.onFrame((f) => this.onFrame(f)));
  }

  get mac(): Uint8Array {
    return this.raw.mac;
  }

  private onFrame(f: Uint8Array): void {
    const d = decodeFrame(f);
    if (d.kind === 'arp') {
      if (d.op === 1 && d.targetIp === this.ip) this.raw.send(buildArpReply(this.raw.mac, this.ip, d.senderMac, d.senderIp));
    } else if (d.kind === 'tcp' && this.record && d.seg.dstIp === this.ip) {
      this.segs.push(d.seg);
    }
  }

  /** An ARP request for `to`'s address: `to` learns our MAC (RFC 826 "merge/insert"). */
  primeArp(to: PeerTarget): boolean {
    return this.raw.send(buildArp(1, to.mac, this.raw.mac, this.ip, new Uint8Array(6), to.ip));
  }

  /** The frame for segment `s` to `to` (the IP identification advances). */
  build(to: PeerTarget, s: PeerSegment): Uint8Array {
    const f = buildTcpFrame({ ...s, dstMac: to.mac, srcMac: this.raw.mac, srcIp: this.ip, dstIp: to.ip, ipId: this.ipId });
    this.ipId = (this.ipId + 1) & 0xffff;
    return f;
  }

  /** Sends segment `s` to `to`; false when the wire refused the frame. */
  send(to: PeerTarget, s: PeerSegment): boolean {
    return this.raw.send(this.build(to, s));
  }

  /** Segments received since the last call. */
  takeAll(): Segment[] {
    return this.segs.splice(0, this.segs.length);
  }

  /** Detaches the peer from its endpoint's frames. */
  dispose(): void {
    for (const r of this.removers) r();
    this.removers.length = 0;
  }
}
