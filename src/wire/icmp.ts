/**
 * ICMP for IPv4 (RFC 792): the 8-byte header every message starts with, the echo request/reply
 * fields, and the checksum (one's complement over the whole ICMP message, no pseudo-header).
 *
 *   0      1      2          4                    8
 *   | type | code | checksum | id | seq (echo)    | data ...
 *                            | unused / pointer / next-hop MTU (errors) | original IP header + 8 bytes
 *
 * No allocation, no exceptions: errors are negative numbers.
 */
import { chksumChain, chksumFinish, type ChecksumChain, type InetSum } from '../core/checksum.js';
import { wr16, wr32, chainPut } from './bytes.js';

export const ICMP_HLEN = 8;

// Types (RFC 792; RFC 1122 §3.2.2)
export const ICMP_ECHOREPLY = 0;
export const ICMP_DUR = 3;   // destination unreachable
export const ICMP_SQ = 4;    // source quench (deprecated by RFC 6633, still an error message)
export const ICMP_RD = 5;    // redirect
export const ICMP_ECHO = 8;
export const ICMP_TE = 11;   // time exceeded
export const ICMP_PP = 12;   // parameter problem

// Destination unreachable codes (RFC 792, RFC 1122 §3.2.2.1)
export const ICMP_DUR_PROTO = 2;
export const ICMP_DUR_PORT = 3;
export const ICMP_DUR_FRAG = 4; // fragmentation needed and DF set (RFC 1191: MTU in bytes 6..7)

// Time exceeded codes
export const ICMP_TE_FRAG = 1;  // fragment reassembly time exceeded

/** Fewer than ICMP_HLEN bytes. */
export const ICMP_ERR_SHORT = -1;

/** A checked ICMP header (preallocated, filled by icmpParse). id/seq are meaningful for echo types. */
export class IcmpInfo {
  type = 0;
  code = 0;
  chksum = 0;
  /** Echo identifier (bytes 4..5). */
  id = 0;
  /** Echo sequence number (bytes 6..7). */
  seq = 0;
  /** Bytes 4..7 as one unsigned number (pointer / next-hop MTU / unused for errors). */
  rest = 0;
}

/**
 * Checks that `len` bytes hold an ICMP header and fills `info`. The checksum is not verified here
 * (it covers the whole message, which may span a chain): use icmpChecksumOk.
 */
export function icmpParse(buf: Uint8Array, off: number, len: number, info: IcmpInfo): number {
  if (!(len >= ICMP_HLEN)) return ICMP_ERR_SHORT;
  info.type = buf[off];
  info.code = buf[off + 1];
  info.chksum = (buf[off + 2] << 8) | buf[off + 3];
  info.id = (buf[off + 4] << 8) | buf[off + 5];
  info.seq = (buf[off + 6] << 8) | buf[off + 7];
  info.rest = ((info.id << 16) | info.seq) >>> 0;
  return 0;
}

/**
 * Error messages (RFC 1122 §3.2.2): never answered with another ICMP error. Unknown types are not
 * errors (RFC 1122 §3.2.2: silently discarded).
 */
export function icmpIsError(type: number): boolean {
  return type === ICMP_DUR || type === ICMP_SQ || type === ICMP_RD || type === ICMP_TE || type === ICMP_PP;
}


/** Writes an echo (request or reply) header: type, code 0, checksum 0, id, seq. */
export function icmpWriteEcho(buf: Uint8Array, off: number, type: number, id: number, seq: number): void {
  buf[off] = type;
  buf[off + 1] = 0;
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  wr16(buf, off + 4, id);
  wr16(buf, off + 6, seq);
}

/**
 * Writes an 8-byte header of any type: `rest` fills bytes 4..7 (0 for destination unreachable and
 * time exceeded, the pointer << 24 for parameter problem, the next-hop MTU for DUR code 4).
 * Checksum field zeroed.
 */
export function icmpWriteHeader(buf: Uint8Array, off: number, type: number, code: number, rest: number): void {
  buf[off] = type;
  buf[off + 1] = code;
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  wr32(buf, off + 4, rest);
}

// Field accessors (no checks).
export function icmpSetChksum(buf: Uint8Array, off: number, v: number): void { wr16(buf, off + 2, v); }


/** True when the `len`-byte ICMP message in chain `p` has a correct checksum (`sum`: the stack's). */
export function icmpChecksumOk(p: ChecksumChain, len: number, sum: InetSum | null = null): boolean {
  return chksumFinish(chksumChain(p, 0, len, 0, sum)) === 0;
}


/** Zeroes the checksum field of the `len`-byte message in chain `p` and stores its checksum there. */
export function icmpFillChecksum(p: ChecksumChain, len: number, sum: InetSum | null = null): void {
  chainPut(p, 2, 0);
  chainPut(p, 3, 0);
  const c = chksumFinish(chksumChain(p, 0, len, 0, sum));
  chainPut(p, 2, c >>> 8);
  chainPut(p, 3, c & 0xff);
}
