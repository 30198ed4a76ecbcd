/**
 * DNS message format (RFC 1035 §4.1) as used by the resolver and the mDNS responder: header fields,
 * names with compression pointers (§4.1.4), questions and resource records. No state here.
 *
 * Names are walked in place. A pointer must point strictly backwards, at most DNS_MAX_JUMPS of them
 * per name, and a name is at most 255 bytes (§2.3.4): a compression loop or a name running past the
 * message end is an error (-1), never a hang.
 */
import { rd16, rd32, wr16, wr32 } from './bytes.js';

export const DNS_HLEN = 12;
export const DNS_PORT = 53;
export const DNS_TYPE_A = 1;
export const DNS_TYPE_CNAME = 5;
export const DNS_TYPE_ANY = 255;
export const DNS_CLASS_IN = 1;
/** Flags word: QR (response), AA, TC (truncated), RD, RA; RCODE in the low 4 bits. */
export const DNS_FLAG_QR = 0x8000;
export const DNS_FLAG_AA = 0x0400;
export const DNS_FLAG_TC = 0x0200;
export const DNS_FLAG_RD = 0x0100;
export const DNS_RCODE_NXDOMAIN = 3;
const DNS_MAX_JUMPS = 16;

export function dnsId(b: Uint8Array, off: number): number { return rd16(b, off); }
export function dnsFlags(b: Uint8Array, off: number): number { return rd16(b, off + 2); }
export function dnsQdCount(b: Uint8Array, off: number): number { return rd16(b, off + 4); }
export function dnsAnCount(b: Uint8Array, off: number): number { return rd16(b, off + 6); }
export function dnsNsCount(b: Uint8Array, off: number): number { return rd16(b, off + 8); }

/** Writes a header. */
export function dnsWriteHeader(b: Uint8Array, off: number, id: number, flags: number, qd: number, an: number,
  ns: number, ar: number): void {
  wr16(b, off, id); wr16(b, off + 2, flags); wr16(b, off + 4, qd); wr16(b, off + 6, an);
  wr16(b, off + 8, ns); wr16(b, off + 10, ar);
}

/**
 * Skips the name at `i` (message starts at `msg`, ends at `end`): returns the offset after it, or -1
 * for a malformed name (truncated, bad label type, forward pointer, too many jumps, too long).
 */
export function dnsSkipName(b: Uint8Array, msg: number, i: number, end: number): number {
  let total = 0;
  while (i < end) {
    const l = b[i];
    if (l === 0) return i + 1;
    if ((l & 0xc0) === 0xc0) {
      if (i + 2 > end) return -1;
      return dnsNameLen(b, msg, i, end) < 0 ? -1 : i + 2;
    }
    if ((l & 0xc0) !== 0) return -1;
    total += l + 1;
    if (total > 255) return -1;
    i += l + 1;
  }
  return -1;
}

/** Length of the name at `i` in wire form without compression, or -1 when malformed. */
export function dnsNameLen(b: Uint8Array, msg: number, i: number, end: number): number {
  return dnsNameCopy(b, msg, i, end, null);
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/**
 * Compares the (possibly compressed) name at `i` with `name[0..nlen)` in uncompressed wire form,
 * ASCII case-insensitively (RFC 4343). `scratch` (256 bytes) receives the name. False when malformed.
 */
export function dnsNameEquals(b: Uint8Array, msg: number, i: number, end: number, name: Uint8Array, nlen: number,
  scratch: Uint8Array): boolean {
  const n = dnsNameCopy(b, msg, i, end, scratch);
  if (n !== nlen) return false;
  for (let k = 0; k < n; k++) if (lower(scratch[k]) !== lower(name[k])) return false;
  return true;
}

/** True when the names at `i` and `j` of the same message are equal (both may be compressed). */
export function dnsNamesEqual(b: Uint8Array, msg: number, i: number, j: number, end: number, s1: Uint8Array,
  s2: Uint8Array): boolean {
  const n = dnsNameCopy(b, msg, j, end, s2);
  return n > 0 && dnsNameEquals(b, msg, i, end, s2, n, s1);
}

/**
 * Follows the name at `i` (pointers backwards only, at most DNS_MAX_JUMPS, 255 bytes at most) and
 * copies it uncompressed into `out` (when not null); returns its length or -1 when malformed.
 */
export function dnsNameCopy(b: Uint8Array, msg: number, i: number, end: number, out: Uint8Array | null): number {
  let k = 0;
  let jumps = 0;
  let limit = end;
  while (i < limit) {
    const l = b[i];
    if ((l & 0xc0) === 0xc0) {
      if (i + 2 > limit) return -1;
      const target = msg + (((l & 0x3f) << 8) | b[i + 1]);
      // only backwards: every pointer lands before the one that names it, so loops cannot form
      if (target >= i || ++jumps > DNS_MAX_JUMPS) return -1;
      limit = i;
      i = target;
      continue;
    }
    if ((l & 0xc0) !== 0 || i + 1 + l > limit || k + l + 1 > 255) return -1;
    if (out !== null) {
      if (k + l + 1 > out.length) return -1;
      out[k] = l;
      for (let j = 1; j <= l; j++) out[k + j] = b[i + j];
    }
    k += l + 1;
    if (l === 0) return k;
    i += l + 1;
  }
  return -1;
}

/**
 * Encodes dotted text `name` ("a.example.com", a trailing dot allowed) into wire form in `out`.
 * Returns the length, or -1 for an empty label, a label over 63 bytes, a non-ASCII character or a
 * name longer than `out`.
 */
export function dnsEncodeName(name: string, out: Uint8Array): number {
  let n = name.length;
  if (n > 0 && (String.prototype.charCodeAt.call(name, n - 1) as number) === 0x2e) n--;
  if (n === 0 || n + 2 > out.length || n > 253) return -1;
  let lenAt = 0;
  let k = 1;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? String.prototype.charCodeAt.call(name, i) as number : 0x2e;
    if (c === 0x2e) {
      const l = k - lenAt - 1;
      if (l === 0 || l > 63) return -1;
      out[lenAt] = l;
      lenAt = k;
      out[k++] = 0;
      continue;
    }
    if (c > 0x7e || c <= 0x20) return -1;
    out[k++] = c;
  }
  return k;
}

/** Writes a question (name already encoded in `name[0..nlen)`); returns the next offset. */
export function dnsWriteQuestion(b: Uint8Array, i: number, name: Uint8Array, nlen: number, type: number, cls: number): number {
  for (let k = 0; k < nlen; k++) b[i + k] = name[k];
  i += nlen;
  wr16(b, i, type); wr16(b, i + 2, cls);
  return i + 4;
}

/** Writes an A record; returns the next offset. */
export function dnsWriteA(b: Uint8Array, i: number, name: Uint8Array, nlen: number, cls: number, ttl: number, addr: number): number {
  for (let k = 0; k < nlen; k++) b[i + k] = name[k];
  i += nlen;
  wr16(b, i, DNS_TYPE_A); wr16(b, i + 2, cls); wr32(b, i + 4, ttl); wr16(b, i + 8, 4); wr32(b, i + 10, addr);
  return i + 14;
}

/** A resource record's fixed part, read after its name. */
export class DnsRr {
  type = 0;
  cls = 0;
  ttl = 0;
  rdlen = 0;
  /** Offset of the RDATA. */
  rdata = 0;
}

/** Reads the record whose name ends at `i`; returns the offset after it or -1 when truncated. */
export function dnsReadRr(b: Uint8Array, i: number, end: number, rr: DnsRr): number {
  if (i + 10 > end) return -1;
  rr.type = rd16(b, i); rr.cls = rd16(b, i + 2); rr.ttl = rd32(b, i + 4); rr.rdlen = rd16(b, i + 8);
  rr.rdata = i + 10;
  const next = i + 10 + rr.rdlen;
  return next > end ? -1 : next;
}

export { rd16 as dnsRd16, rd32 as dnsRd32 };
