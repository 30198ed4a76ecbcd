/**
 * The UDP header (RFC 768).
 *
 *   0          2          4        6          8
 *   | src port | dst port | length | checksum | data ...
 *
 * The length field counts header + data. The checksum covers the pseudo-header (source, destination,
 * protocol 17, UDP length), the header and the data; a zero field means the sender computed none,
 * and a computed 0 is therefore sent as 0xffff (RFC 768; RFC 1122 §4.1.3.4).
 * No allocation, no exceptions: errors are negative numbers.
 */
import { chksumChain, chksumFinish, pseudoHeaderSum, type ChecksumChain, type InetSum } from '../core/checksum.js';
import { rd16, wr16, chainGet } from './bytes.js';
import { IP_PROTO_UDP } from './ipv4.js';

export const UDP_HLEN = 8;

/** Fewer than UDP_HLEN bytes. */
export const UDP_ERR_SHORT = -1;
/** Length field below 8 or above the bytes available. */
export const UDP_ERR_LEN = -2;

/** A checked UDP header (preallocated, filled by udpParse). */
export class UdpInfo {
  srcPort = 0;
  dstPort = 0;
  /** The length field: header + data, 8..available. */
  len = 0;
  /** The checksum field as received (0 = none computed). */
  chksum = 0;
}

/** A pbuf chain as the UDP checksum needs it: the chain plus its total length. */
export interface ChecksumChainLen extends ChecksumChain {
  totLen: number;
}

/**
 * Checks the header in the `len` bytes available at `off` and fills `info`. The length field may be
 * shorter than `len` (link padding follows); it may not be longer. Returns 0, UDP_ERR_SHORT or
 * UDP_ERR_LEN (info untouched).
 */
export function udpParse(buf: Uint8Array, off: number, len: number, info: UdpInfo): number {
  if (!(len >= UDP_HLEN)) return UDP_ERR_SHORT;
  const ulen = (buf[off + 4] << 8) | buf[off + 5];
  if (ulen < UDP_HLEN || ulen > len) return UDP_ERR_LEN;
  info.srcPort = (buf[off] << 8) | buf[off + 1];
  info.dstPort = (buf[off + 2] << 8) | buf[off + 3];
  info.len = ulen;
  info.chksum = (buf[off + 6] << 8) | buf[off + 7];
  return 0;
}

/** Writes the header with a zero checksum field (fill it with udpChecksum afterwards, or leave 0 for none). */
export function udpWrite(buf: Uint8Array, off: number, srcPort: number, dstPort: number, len: number): void {
  wr16(buf, off, srcPort);
  wr16(buf, off + 2, dstPort);
  wr16(buf, off + 4, len);
  buf[off + 6] = 0;
  buf[off + 7] = 0;
}

/**
 * The checksum over chain `p` (payload starting at the UDP header, p.totLen bytes = the UDP length)
 * with the pseudo-header. Two uses, told apart by the checksum field in the header:
 * - field zero (sending, after udpWrite): returns the value to store, a computed 0 mapped to 0xffff;
 * - field non-zero (receiving): returns 0 when the datagram is intact.
 * A received datagram whose field is zero carries no checksum and must not be checked at all.
 * `sum`: the stack's checksum (StackCore.chksum), or null to sum here.
 */
export function udpChecksum(p: ChecksumChainLen, src: number, dst: number, sum: InetSum | null = null): number {
  const len = p.totLen;
  const v = chksumFinish(chksumChain(p, 0, len, pseudoHeaderSum(src, dst, IP_PROTO_UDP, len), sum));
  if (v === 0 && chainGet(p, 6) === 0 && chainGet(p, 7) === 0) return 0xffff;
  return v;
}


// Field accessors (no checks).
export function udpSrcPort(buf: Uint8Array, off: number): number { return rd16(buf, off); }
export function udpDstPort(buf: Uint8Array, off: number): number { return rd16(buf, off + 2); }
export function udpSetChksum(buf: Uint8Array, off: number, v: number): void { wr16(buf, off + 6, v); }
