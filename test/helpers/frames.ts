/**
 * Test-side frame builders and readers for Ethernet, ARP, IPv4, ICMP and UDP, written from the RFCs
 * independently of src/wire so that the tests check the stack against a second implementation.
 * Allocation is fine here: this is the test harness, not the stack.
 */
export const BCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export function ip(text: string): number {
  const p = text.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

// byte access and the RFC 1071 checksum are the raw peer's (tools/rawpeer.ts), also independent of src/
import { put16, put32, get16, get32, cksum } from '../../tools/rawpeer.js';
export { put16, put32, get16, get32, cksum };

export function eth(dst: Uint8Array, src: Uint8Array, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(dst, 0); f.set(src, 6); put16(f, 12, type); f.set(payload, 14);
  return f;
}

export function arp(op: number, sha: Uint8Array, spa: number, tha: Uint8Array, tpa: number): Uint8Array {
  const a = new Uint8Array(28);
  put16(a, 0, 1); put16(a, 2, 0x0800); a[4] = 6; a[5] = 4; put16(a, 6, op);
  a.set(sha, 8); put32(a, 14, spa); a.set(tha, 18); put32(a, 24, tpa);
  return a;
}

export interface IpOpts {
  src: number; dst: number; proto: number;
  id?: number; ttl?: number; tos?: number; df?: boolean; mf?: boolean; fragOff?: number;
  /** Total length to write (default: header + payload). */
  totLen?: number; badChecksum?: boolean; ihl?: number;
}

export function ipv4(o: IpOpts, payload: Uint8Array): Uint8Array {
  const hl = o.ihl ?? 20;
  const p = new Uint8Array(hl + payload.length);
  p[0] = 0x40 | (hl >> 2); p[1] = o.tos ?? 0; put16(p, 2, o.totLen ?? p.length); put16(p, 4, o.id ?? 1);
  put16(p, 6, (o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.fragOff ?? 0) >> 3));
  p[8] = o.ttl ?? 64; p[9] = o.proto; put32(p, 12, o.src); put32(p, 16, o.dst);
  for (let i = 20; i < hl; i++) p[i] = 1; // NOP options
  let c = cksum(p, 0, hl);
  if (o.badChecksum) c ^= 0x5a5a;
  put16(p, 10, c);
  p.set(payload, hl);
  return p;
}

export function icmpEcho(type: number, id: number, seq: number, data: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + data.length);
  m[0] = type; put16(m, 4, id); put16(m, 6, seq); m.set(data, 8);
  put16(m, 2, cksum(m));
  return m;
}

export function pattern(n: number, seed = 0): Uint8Array {
  const d = new Uint8Array(n);
  for (let i = 0; i < n; i++) d[i] = (i + seed) & 0xff;
  return d;
}

export function udp(src: number, dst: number, sport: number, dport: number, data: Uint8Array, withSum = true): Uint8Array {
  const u = new Uint8Array(8 + data.length);
  put16(u, 0, sport); put16(u, 2, dport); put16(u, 4, u.length); u.set(data, 8);
  if (withSum) {
    const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 17 + u.length;
    let c = cksum(u, 0, u.length, pseudo);
    if (c === 0) c = 0xffff;
    put16(u, 6, c);
  }
  return u;
}

/** A parsed view of a captured frame. */
export interface Parsed {
  dstMac: Uint8Array; srcMac: Uint8Array; type: number;
  // ARP
  op?: number; sha?: Uint8Array; spa?: number; tha?: Uint8Array; tpa?: number;
  // IPv4
  src?: number; dst?: number; proto?: number; ttl?: number; id?: number; mf?: boolean; df?: boolean;
  fragOff?: number; ihl?: number; totLen?: number; ipOk?: boolean;
  /** IP payload. */
  payload?: Uint8Array;
  icmpType?: number; icmpCode?: number;
}

export function parse(f: Uint8Array): Parsed {
  const r: Parsed = { dstMac: f.slice(0, 6), srcMac: f.slice(6, 12), type: get16(f, 12) };
  if (r.type === 0x0806) {
    r.op = get16(f, 20); r.sha = f.slice(22, 28); r.spa = get32(f, 28); r.tha = f.slice(32, 38); r.tpa = get32(f, 38);
  } else if (r.type === 0x0800) {
    const o = 14;
    r.ihl = (f[o] & 15) * 4; r.totLen = get16(f, o + 2); r.id = get16(f, o + 4);
    const ff = get16(f, o + 6);
    r.df = (ff & 0x4000) !== 0; r.mf = (ff & 0x2000) !== 0; r.fragOff = (ff & 0x1fff) * 8;
    r.ttl = f[o + 8]; r.proto = f[o + 9]; r.src = get32(f, o + 12); r.dst = get32(f, o + 16);
    r.ipOk = cksum(f, o, r.ihl) === 0;
    r.payload = f.slice(o + r.ihl, o + r.totLen);
    if (r.proto === 1) { r.icmpType = r.payload[0]; r.icmpCode = r.payload[1]; }
  }
  return r;
}

export function macEq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Minimal shape of hal/mock's RawEndpoint used here. */
export interface RawLike {
  mac: Uint8Array;
  send(frame: Uint8Array): boolean;
  onFrame(cb: (frame: Uint8Array) => void): () => void;
}

/** Makes `raw` answer ARP requests for `rawIp` (as a host would). Returns the remover. */
export function answerArp(raw: RawLike, rawIp: number): () => void {
  return raw.onFrame((f) => {
    const r = parse(f);
    if (r.type === 0x0806 && r.op === 1 && r.tpa === rawIp) {
      raw.send(eth(r.sha!, raw.mac, 0x0806, arp(2, raw.mac, rawIp, r.sha!, r.spa!)));
    }
  });
}

/** Reassembles the IPv4 datagram `id` from parsed fragments (test side); null if incomplete. */
export function reassemble(frames: Parsed[], id: number): Uint8Array | null {
  const frags = frames.filter((r) => r.type === 0x0800 && r.id === id).sort((a, b) => a.fragOff! - b.fragOff!);
  if (frags.length === 0) return null;
  const last = frags.find((r) => !r.mf);
  if (!last) return null;
  const total = last.fragOff! + last.payload!.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const r of frags) {
    if (r.fragOff! !== at) return null;
    out.set(r.payload!, r.fragOff!);
    at += r.payload!.length;
  }
  return at === total ? out : null;
}
