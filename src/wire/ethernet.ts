/**
 * Ethernet II framing (DIX; IEEE 802.3 with an EtherType, RFC 894 for IPv4 over Ethernet).
 *
 *   0      6      12     14
 *   | dst  | src  | type | payload (46..1500 bytes; short frames are padded, the FCS is not seen)
 *
 * Thin accessors over bytes at an offset, plus `ethParse` which checks the length once and fills a
 * preallocated EthInfo. No state, no allocation, no exceptions: errors are negative numbers.
 *
 * The broadcast address is not a module-level typed array (Moddable freezes module tops), so it is
 * written and tested byte by byte.
 */
import { wr16, copy6, equal6 } from './bytes.js';

export const ETH_HLEN = 14;
/** Length of a MAC address. */
export const ETH_ALEN = 6;
/** Smallest payload on the wire; shorter frames arrive padded (IEEE 802.3 minimum frame of 64 bytes). */
export const ETH_MIN_PAYLOAD = 46;
export const ETHTYPE_IPV4 = 0x0800;
export const ETHTYPE_ARP = 0x0806;
export const ETHTYPE_VLAN = 0x8100;
export const ETHTYPE_IPV6 = 0x86dd;
/** EtherType values below this are IEEE 802.3 length fields, not types. */
export const ETHTYPE_MIN = 0x0600;

/** The frame is shorter than an Ethernet header. */
export const ETH_ERR_SHORT = -1;

/** Destination MAC field offset. */
export const ETH_DST = 0;
/** Source MAC field offset. */
export const ETH_SRC = 6;
/** EtherType field offset. */
export const ETH_TYPE = 12;

/** A checked Ethernet header (one preallocated per interface, reused for every frame). */
export class EthInfo {
  readonly dst = new Uint8Array(6);
  readonly src = new Uint8Array(6);
  type = 0;
}

/** Checks that `len` bytes hold an Ethernet header and fills `info` (MACs copied). 0 or ETH_ERR_SHORT. */
export function ethParse(buf: Uint8Array, off: number, len: number, info: EthInfo): number {
  if (!(len >= ETH_HLEN)) return ETH_ERR_SHORT;
  copy6(info.dst, 0, buf, off);
  copy6(info.src, 0, buf, off + ETH_SRC);
  info.type = (buf[off + 12] << 8) | buf[off + 13];
  return 0;
}

/** The EtherType field. */
export function ethType(buf: Uint8Array, off: number): number {
  return (buf[off + 12] << 8) | buf[off + 13];
}

/** Copies the frame's destination MAC into `out` at `outOff`. */
export function ethDst(buf: Uint8Array, off: number, out: Uint8Array, outOff: number): void {
  copy6(out, outOff, buf, off);
}

/** Copies the frame's source MAC into `out` at `outOff`. */
export function ethSrc(buf: Uint8Array, off: number, out: Uint8Array, outOff: number): void {
  copy6(out, outOff, buf, off + ETH_SRC);
}

/** Sets the destination MAC from `mac` at `macOff`. */
export function ethSetDst(buf: Uint8Array, off: number, mac: Uint8Array, macOff: number): void {
  copy6(buf, off, mac, macOff);
}

/** Sets the source MAC from `mac` at `macOff`. */
export function ethSetSrc(buf: Uint8Array, off: number, mac: Uint8Array, macOff: number): void {
  copy6(buf, off + ETH_SRC, mac, macOff);
}

/** Sets the EtherType field. */
export function ethSetType(buf: Uint8Array, off: number, type: number): void {
  wr16(buf, off + ETH_TYPE, type);
}

/** Writes a whole 14-byte header: destination, source, EtherType. */
export function ethWrite(buf: Uint8Array, off: number, dstMac: Uint8Array, dstOff: number,
  srcMac: Uint8Array, srcOff: number, type: number): void {
  copy6(buf, off, dstMac, dstOff);
  copy6(buf, off + ETH_SRC, srcMac, srcOff);
  wr16(buf, off + ETH_TYPE, type);
}

/** Sets the destination to ff:ff:ff:ff:ff:ff. */
export function ethWriteBroadcastDst(buf: Uint8Array, off: number): void {
  buf[off] = 0xff; buf[off + 1] = 0xff; buf[off + 2] = 0xff;
  buf[off + 3] = 0xff; buf[off + 4] = 0xff; buf[off + 5] = 0xff;
}

/** True when the destination is the broadcast address. */
export function ethIsBroadcast(buf: Uint8Array, off: number): boolean {
  return (buf[off] & buf[off + 1] & buf[off + 2] & buf[off + 3] & buf[off + 4] & buf[off + 5]) === 0xff;
}

/** True when the destination is a group address (I/G bit, the low bit of the first byte); broadcast included. */
export function ethIsMulticast(buf: Uint8Array, off: number): boolean {
  return (buf[off] & 1) !== 0;
}

/** True when the destination MAC equals `mac` at `macOff`. */
export function ethDstIs(buf: Uint8Array, off: number, mac: Uint8Array, macOff: number): boolean {
  return equal6(buf, off, mac, macOff);
}

/** True when the source MAC equals `mac` at `macOff`. */
export function ethSrcIs(buf: Uint8Array, off: number, mac: Uint8Array, macOff: number): boolean {
  return equal6(buf, off + ETH_SRC, mac, macOff);
}
