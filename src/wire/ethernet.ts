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
export const ETHTYPE_IPV4 = 0x0800;
export const ETHTYPE_ARP = 0x0806;


/** Source MAC field offset. */
const ETH_SRC = 6;
/** EtherType field offset. */
const ETH_TYPE = 12;


/** The EtherType field. */
export function ethType(buf: Uint8Array, off: number): number {
  return (buf[off + 12] << 8) | buf[off + 13];
}






/** Writes a whole 14-byte header: destination, source, EtherType. */
export function ethWrite(buf: Uint8Array, off: number, dstMac: Uint8Array, dstOff: number,
  srcMac: Uint8Array, srcOff: number, type: number): void {
  if (dstMac === buf || srcMac === buf) {
    // a MAC taken from the frame itself (a reply written in place) may overlap: copy6 handles it
    copy6(buf, off, dstMac, dstOff);
    copy6(buf, off + ETH_SRC, srcMac, srcOff);
  } else {
    // the common case, once per frame sent: stores written out, no calls
    buf[off] = dstMac[dstOff];
    buf[off + 1] = dstMac[dstOff + 1];
    buf[off + 2] = dstMac[dstOff + 2];
    buf[off + 3] = dstMac[dstOff + 3];
    buf[off + 4] = dstMac[dstOff + 4];
    buf[off + 5] = dstMac[dstOff + 5];
    buf[off + 6] = srcMac[srcOff];
    buf[off + 7] = srcMac[srcOff + 1];
    buf[off + 8] = srcMac[srcOff + 2];
    buf[off + 9] = srcMac[srcOff + 3];
    buf[off + 10] = srcMac[srcOff + 4];
    buf[off + 11] = srcMac[srcOff + 5];
  }
  buf[off + ETH_TYPE] = type >>> 8;
  buf[off + ETH_TYPE + 1] = type;
}

/** Sets the destination to ff:ff:ff:ff:ff:ff. */
export function ethWriteBroadcastDst(buf: Uint8Array, off: number): void {
  buf[off] = 0xff; buf[off + 1] = 0xff; buf[off + 2] = 0xff;
  buf[off + 3] = 0xff; buf[off + 4] = 0xff; buf[off + 5] = 0xff;
}


/** True when the destination is a group address (I/G bit, the low bit of the first byte); broadcast included. */
export function ethIsMulticast(buf: Uint8Array, off: number): boolean {
  return (buf[off] & 1) !== 0;
}

/** True when the destination MAC equals `mac` at `macOff`. */
export function ethDstIs(buf: Uint8Array, off: number, mac: Uint8Array, macOff: number): boolean {
  return equal6(buf, off, mac, macOff);
}

