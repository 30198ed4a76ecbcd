/**
 * The IPv4 header (RFC 791 §3.1).
 *
 *   0       4       8              16   19            24              32
 *   |version|  IHL  |     TOS      |          total length            |
 *   |         identification       |flags|     fragment offset        |
 *   |      TTL      |   protocol   |         header checksum          |
 *   |                        source address                           |
 *   |                      destination address                        |
 *   |                    options (IHL > 5) ...                         |
 *
 * `ip4Parse` checks everything once (version, IHL, total length, header checksum) and fills a
 * preallocated Ip4Header; protocol code reads only that. Options are not interpreted, only skipped
 * (RFC 1122 §3.2.1.8 lets a host ignore those it does not implement). Addresses are uint32 numbers
 * in host order. No allocation, no exceptions: errors are negative numbers.
 */
import { inetChksumWith, type InetSum } from '../core/checksum.js';
import { rd16, rd32, wr16, wr32 } from './bytes.js';

export const IP_HLEN = 20;
export const IP_VERSION = 4;

export const IP_PROTO_ICMP = 1;
export const IP_PROTO_TCP = 6;
export const IP_PROTO_UDP = 17;

/**
 * Flags, in their place in the 16-bit flags/fragment-offset word (RFC 791 §3.1): the values that
 * Ip4Header.flags holds and that ip4Write's `flagsFrag` takes OR-ed with the offset in 8-byte units.
 */
export const IP_FLAG_RF = 0x8000; // reserved, must be zero
export const IP_FLAG_DF = 0x4000; // don't fragment
export const IP_FLAG_MF = 0x2000; // more fragments
/** Fragment offset mask (in 8-byte units) of the flags/fragment word. */
export const IP_OFFMASK = 0x1fff;

/** Fewer than 20 bytes. */
export const IP4_ERR_SHORT = -1;
/** Version field is not 4. */
export const IP4_ERR_VERSION = -2;
/** IHL below 5, or a header longer than the bytes available. */
export const IP4_ERR_HLEN = -3;
/** Total length shorter than the header or longer than the bytes available. */
export const IP4_ERR_TOTLEN = -4;
/** Header checksum mismatch. */
export const IP4_ERR_CHKSUM = -5;


/** A checked IPv4 header: one preallocated object reused for every packet. */
export class Ip4Header {
  version = 0;
  /** Header length in bytes (IHL × 4), 20..60. */
  ihl = 0;
  tos = 0;
  totLen = 0;
  id = 0;
  /** IP_FLAG_RF / IP_FLAG_DF / IP_FLAG_MF bits, in place (0x8000 / 0x4000 / 0x2000). */
  flags = 0;
  /** Fragment offset in bytes (the field × 8). */
  fragOff = 0;
  ttl = 0;
  proto = 0;
  chksum = 0;
  src = 0;
  dst = 0;
}

/**
 * Checks an IPv4 header in the `len` bytes at `off` and fills `hdr`. `len` may exceed the total
 * length (Ethernet pads short frames to 60 bytes): callers trim to hdr.totLen. Returns 0, or
 * IP4_ERR_SHORT / _VERSION / _HLEN / _TOTLEN / _CHKSUM, leaving `hdr` untouched.
 * `sum` is the stack's checksum (StackCore.chksum); null sums here in JavaScript. `dv`, when given, is
 * a DataView over the same bytes at the same offsets (the pool's): the addresses are read through it.
 */
export function ip4Parse(buf: Uint8Array, off: number, len: number, hdr: Ip4Header,
  sum: InetSum | null = null, dv: DataView | null = null): number {
  if (!(len >= IP_HLEN)) return IP4_ERR_SHORT;
  const vihl = buf[off];
  if ((vihl >>> 4) !== IP_VERSION) return IP4_ERR_VERSION;
  const ihl = (vihl & 0x0f) << 2;
  if (ihl < IP_HLEN || ihl > len) return IP4_ERR_HLEN;
  const totLen = (buf[off + 2] << 8) | buf[off + 3];
  if (totLen < ihl || totLen > len) return IP4_ERR_TOTLEN;
  // RFC 791 §3.1 / RFC 1071: the one's complement sum over the header, checksum included, is
  // all ones, so the complemented result is 0 for an intact header
  // (the stack's InetSum called directly: a folded sum of all ones; once per packet received)
  if (sum !== null ? sum(buf, off, ihl, 0) !== 0xffff : inetChksumWith(null, buf, off, ihl) !== 0) return IP4_ERR_CHKSUM;
  const frag = (buf[off + 6] << 8) | buf[off + 7];
  hdr.version = IP_VERSION;
  hdr.ihl = ihl;
  hdr.tos = buf[off + 1];
  hdr.totLen = totLen;
  hdr.id = (buf[off + 4] << 8) | buf[off + 5];
  hdr.flags = frag & 0xe000;
  hdr.fragOff = (frag & IP_OFFMASK) << 3;
  hdr.ttl = buf[off + 8];
  hdr.proto = buf[off + 9];
  hdr.chksum = (buf[off + 10] << 8) | buf[off + 11];
  if (dv !== null) {
    hdr.src = dv.getUint32(off + 12);
    hdr.dst = dv.getUint32(off + 16);
  } else {
    hdr.src = ((buf[off + 12] << 24) | (buf[off + 13] << 16) | (buf[off + 14] << 8) | buf[off + 15]) >>> 0;
    hdr.dst = ((buf[off + 16] << 24) | (buf[off + 17] << 16) | (buf[off + 18] << 8) | buf[off + 19]) >>> 0;
  }
  return 0;
}

/**
 * Writes a 20-byte header (no options) with its checksum. `flagsFrag` is the raw flags/fragment
 * word: IP_FLAG_DF / IP_FLAG_MF OR-ed with the fragment offset in 8-byte units. The byte stores are
 * written out (no wr16/wr32 calls): it runs once per packet sent, and a call costs more than the
 * stores it makes on XS.
 */
export function ip4Write(buf: Uint8Array, off: number, tos: number, totLen: number, id: number, flagsFrag: number,
  ttl: number, proto: number, src: number, dst: number, sum: InetSum | null = null): void {
  buf[off] = 0x45;
  buf[off + 1] = tos;
  buf[off + 2] = totLen >>> 8;
  buf[off + 3] = totLen;
  buf[off + 4] = id >>> 8;
  buf[off + 5] = id;
  buf[off + 6] = flagsFrag >>> 8;
  buf[off + 7] = flagsFrag;
  buf[off + 8] = ttl;
  buf[off + 9] = proto;
  buf[off + 10] = 0;
  buf[off + 11] = 0;
  buf[off + 12] = src >>> 24;
  buf[off + 13] = src >>> 16;
  buf[off + 14] = src >>> 8;
  buf[off + 15] = src;
  buf[off + 16] = dst >>> 24;
  buf[off + 17] = dst >>> 16;
  buf[off + 18] = dst >>> 8;
  buf[off + 19] = dst;
  const c = inetChksumWith(sum, buf, off, IP_HLEN);
  buf[off + 10] = c >>> 8;
  buf[off + 11] = c;
}

/**
 * Fills total length `totLen` and identification `id` into a header whose two fields are 0 and
 * whose checksum is that of the header so (a template: ip4Write with totLen and id 0), updating
 * the checksum without summing the header again, as RFC 1624 §3 eqn. 3 does: HC' = ~(~HC + ~m + m').
 * The old fields m are 0, and adding their complement (one's complement -0) changes nothing, so
 * the new sum is the template's, ~HC, plus the two new fields. The header sum is never 0 (the
 * version word alone is not), so the result is the checksum ip4Write computes.
 */
export function ip4SetLenId(buf: Uint8Array, off: number, totLen: number, id: number): void {
  buf[off + 2] = totLen >>> 8;
  buf[off + 3] = totLen;
  buf[off + 4] = id >>> 8;
  buf[off + 5] = id;
  let s = (~((buf[off + 10] << 8) | buf[off + 11]) & 0xffff) + totLen + id;
  s = (s & 0xffff) + (s >>> 16);
  s = ~((s & 0xffff) + (s >>> 16));
  buf[off + 10] = s >>> 8;
  buf[off + 11] = s;
}

/** Recomputes the header checksum of a header of `ihl` bytes (after changing a field in place). */
export function ip4FillChecksum(buf: Uint8Array, off: number, ihl: number, sum: InetSum | null = null): void {
  buf[off + 10] = 0;
  buf[off + 11] = 0;
  wr16(buf, off + 10, inetChksumWith(sum, buf, off, ihl));
}

// Field accessors (no checks: for headers already parsed, or built by us).
export function ip4Version(buf: Uint8Array, off: number): number { return buf[off] >>> 4; }
/** Header length in bytes. */
export function ip4Ihl(buf: Uint8Array, off: number): number { return (buf[off] & 0x0f) << 2; }
export function ip4Tos(buf: Uint8Array, off: number): number { return buf[off + 1]; }
/** The raw flags/fragment-offset word. */
export function ip4FlagsFrag(buf: Uint8Array, off: number): number { return rd16(buf, off + 6); }
export function ip4Ttl(buf: Uint8Array, off: number): number { return buf[off + 8]; }
export function ip4Proto(buf: Uint8Array, off: number): number { return buf[off + 9]; }
export function ip4Chksum(buf: Uint8Array, off: number): number { return rd16(buf, off + 10); }
export function ip4Src(buf: Uint8Array, off: number): number { return rd32(buf, off + 12); }
export function ip4Dst(buf: Uint8Array, off: number): number { return rd32(buf, off + 16); }

// Setters (the checksum must be refreshed afterwards with ip4FillChecksum).
export function ip4SetTotLen(buf: Uint8Array, off: number, v: number): void { wr16(buf, off + 2, v); }
export function ip4SetFlagsFrag(buf: Uint8Array, off: number, v: number): void { wr16(buf, off + 6, v); }
