/**
 * Frames for the scripted peer: builds the Ethernet/IPv4/TCP frames that `<` lines inject (header
 * checksums computed, RFC 791 §3.1 and RFC 9293 §3.1) and decodes what the stack emits, checking its
 * checksums, so that `>` lines compare real bytes. Test tooling: allocation is fine here.
 */
import { inet_chksum, pseudoHeaderSum, chksumAdd, chksumFinish } from '../../src/core/checksum.js';
import type { TcpOptionSpec } from './parse.js';
import { optionsBytes } from './parse.js';

export const ETH_HLEN = 14;
export const IP_HLEN = 20;
export const ETHTYPE_IPV4 = 0x0800;
export const ETHTYPE_ARP = 0x0806;
export const IPPROTO_TCP = 6;


/** Writes the options at `off`; returns the bytes written. */
export function writeOptions(buf: Uint8Array, off: number, opts: TcpOptionSpec[]): number {
  let p = off;
  const u32 = (v: number) => {
    buf[p++] = (v >>> 24) & 0xff; buf[p++] = (v >>> 16) & 0xff; buf[p++] = (v >>> 8) & 0xff; buf[p++] = v & 0xff;
  };
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

/** Decodes TCP options; returns null when they are malformed (RFC 9293 §3.1: a bad length). */
export function readOptions(buf: Uint8Array, off: number, len: number): TcpOptionSpec[] | null {
  const out: TcpOptionSpec[] = [];
  let p = off;
  const end = off + len;
  const u32 = (q: number) => ((buf[q] << 24) | (buf[q + 1] << 16) | (buf[q + 2] << 8) | buf[q + 3]) >>> 0;
  while (p < end) {
    const kind = buf[p];
    if (kind === 0) { out.push({ kind: 'eol' }); p++; continue; }
    if (kind === 1) { out.push({ kind: 'nop' }); p++; continue; }
    if (p + 1 >= end) return null;
    const l = buf[p + 1];
    if (l < 2 || p + l > end) return null;
    switch (kind) {
      case 2: if (l !== 4) return null; out.push({ kind: 'mss', value: (buf[p + 2] << 8) | buf[p + 3] }); break;
      case 3: if (l !== 3) return null; out.push({ kind: 'wscale', value: buf[p + 2] }); break;
      case 4: if (l !== 2) return null; out.push({ kind: 'sackOK' }); break;
      case 8: if (l !== 10) return null; out.push({ kind: 'TS', val: u32(p + 2), ecr: u32(p + 6) }); break;
      case 5: {
        if ((l - 2) % 8 !== 0) return null;
        const blocks: [number, number][] = [];
        for (let q = p + 2; q < p + l; q += 8) blocks.push([u32(q), u32(q + 4)]);
        out.push({ kind: 'sack', blocks });
        break;
      }
      default: return null;
    }
    p += l;
  }
  return out;
}

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
  urg: number;
  options: TcpOptionSpec[];
  /** Payload bytes (zeros unless given). */
  payloadLen: number;
  payload?: Uint8Array;
}

/** A whole Ethernet frame carrying one TCP segment, checksums filled in. */
export function buildTcpFrame(s: TcpFrameSpec): Uint8Array {
  const optLen = optionsBytes(s.options);
  const padded = (optLen + 3) & ~3;
  const tcpLen = 20 + padded + s.payloadLen;
  const ipLen = IP_HLEN + tcpLen;
  const f = new Uint8Array(ETH_HLEN + ipLen);
  f.set(s.dstMac, 0);
  f.set(s.srcMac, 6);
  f[12] = ETHTYPE_IPV4 >>> 8; f[13] = ETHTYPE_IPV4 & 0xff;
  const ip = ETH_HLEN;
  f[ip] = 0x45; f[ip + 1] = 0;
  f[ip + 2] = ipLen >>> 8; f[ip + 3] = ipLen & 0xff;
  f[ip + 4] = (s.ipId >>> 8) & 0xff; f[ip + 5] = s.ipId & 0xff;
  f[ip + 6] = 0x40; f[ip + 7] = 0; // DF, as a Linux peer sends (RFC 1191 path MTU discovery)
  f[ip + 8] = 64; f[ip + 9] = IPPROTO_TCP;
  wr32(f, ip + 12, s.srcIp);
  wr32(f, ip + 16, s.dstIp);
  const ipSum = inet_chksum(f, ip, IP_HLEN);
  f[ip + 10] = ipSum >>> 8; f[ip + 11] = ipSum & 0xff;
  const t = ip + IP_HLEN;
  f[t] = s.srcPort >>> 8; f[t + 1] = s.srcPort & 0xff;
  f[t + 2] = s.dstPort >>> 8; f[t + 3] = s.dstPort & 0xff;
  wr32(f, t + 4, s.seq >>> 0);
  wr32(f, t + 8, s.ack >>> 0);
  f[t + 12] = ((20 + padded) / 4) << 4;
  f[t + 13] = s.flags & 0xff;
  f[t + 14] = (s.win >>> 8) & 0xff; f[t + 15] = s.win & 0xff;
  f[t + 18] = (s.urg >>> 8) & 0xff; f[t + 19] = s.urg & 0xff;
  writeOptions(f, t + 20, s.options);
  // padding after the options is EOL (zero), RFC 9293 §3.1
  if (s.payload !== undefined) f.set(s.payload.subarray(0, s.payloadLen), t + 20 + padded);
  const sum = chksumFinish(chksumAdd(f, null, t, tcpLen, pseudoHeaderSum(s.srcIp, s.dstIp, IPPROTO_TCP, tcpLen)));
  f[t + 16] = sum >>> 8; f[t + 17] = sum & 0xff;
  return f;
}

function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff; b[o + 1] = (v >>> 16) & 0xff; b[o + 2] = (v >>> 8) & 0xff; b[o + 3] = v & 0xff;
}
function rd32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
function rd16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

/** A TCP segment the stack emitted, decoded. */
export interface Segment {
  srcIp: number;
  dstIp: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  win: number;
  urg: number;
  /** null when the options were malformed. */
  options: TcpOptionSpec[] | null;
  payload: Uint8Array;
  /** Problems with the frame itself (checksums, lengths); empty when sound. */
  errors: string[];
}

export type Decoded =
  | { kind: 'arp'; op: number; senderMac: Uint8Array; senderIp: number; targetIp: number }
  | { kind: 'tcp'; seg: Segment }
  | { kind: 'other'; what: string };

/** Decodes a frame the stack sent. */
export function decodeFrame(f: Uint8Array): Decoded {
  if (f.length < ETH_HLEN) return { kind: 'other', what: 'runt frame' };
  const type = rd16(f, 12);
  if (type === ETHTYPE_ARP) {
    if (f.length < ETH_HLEN + 28) return { kind: 'other', what: 'short ARP' };
    const a = ETH_HLEN;
    return { kind: 'arp', op: rd16(f, a + 6), senderMac: f.slice(a + 8, a + 14), senderIp: rd32(f, a + 14), targetIp: rd32(f, a + 24) };
  }
  if (type !== ETHTYPE_IPV4) return { kind: 'other', what: 'ethertype 0x' + type.toString(16) };
  const ip = ETH_HLEN;
  if (f.length < ip + IP_HLEN) return { kind: 'other', what: 'short IPv4' };
  const ihl = (f[ip] & 0x0f) * 4;
  const proto = f[ip + 9];
  if (proto !== IPPROTO_TCP) return { kind: 'other', what: 'IP protocol ' + proto };
  const errors: string[] = [];
  if ((f[ip] >>> 4) !== 4 || ihl < IP_HLEN) errors.push('bad IPv4 version/header length');
  if (inet_chksum(f, ip, ihl) !== 0) errors.push('bad outbound IP checksum');
  const totLen = rd16(f, ip + 2);
  if (totLen > f.length - ip || totLen < ihl + 20) {
    errors.push('bad IP total length ' + totLen);
    return { kind: 'other', what: 'truncated TCP/IP' };
  }
  const t = ip + ihl;
  const tcpLen = totLen - ihl;
  const hl = (f[t + 12] >>> 4) * 4;
  if (hl < 20 || hl > tcpLen) return { kind: 'other', what: 'bad TCP header length' };
  const srcIp = rd32(f, ip + 12);
  const dstIp = rd32(f, ip + 16);
  const sum = chksumFinish(chksumAdd(f, null, t, tcpLen, pseudoHeaderSum(srcIp, dstIp, IPPROTO_TCP, tcpLen)));
  if (sum !== 0 && sum !== 0xffff) errors.push('bad outbound TCP checksum');
  return {
    kind: 'tcp',
    seg: {
      srcIp, dstIp,
      srcPort: rd16(f, t), dstPort: rd16(f, t + 2),
      seq: rd32(f, t + 4), ack: rd32(f, t + 8),
      flags: f[t + 13], win: rd16(f, t + 14), urg: rd16(f, t + 18),
      options: readOptions(f, t + 20, hl - 20),
      payload: f.slice(t + hl, t + tcpLen),
      errors,
    },
  };
}

/** An ARP reply (RFC 826) from `mac`/`ip` to the requester. */
export function buildArpReply(mac: Uint8Array, ip: number, toMac: Uint8Array, toIp: number): Uint8Array {
  const f = new Uint8Array(ETH_HLEN + 28);
  f.set(toMac, 0);
  f.set(mac, 6);
  f[12] = ETHTYPE_ARP >>> 8; f[13] = ETHTYPE_ARP & 0xff;
  const a = ETH_HLEN;
  f[a] = 0; f[a + 1] = 1;          // hardware: Ethernet
  f[a + 2] = 0x08; f[a + 3] = 0;   // protocol: IPv4
  f[a + 4] = 6; f[a + 5] = 4;
  f[a + 6] = 0; f[a + 7] = 2;      // reply
  f.set(mac, a + 8);
  wr32(f, a + 14, ip);
  f.set(toMac, a + 18);
  wr32(f, a + 24, toIp);
  return f;
}
