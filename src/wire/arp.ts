/**
 * ARP packets (RFC 826) for IPv4 over Ethernet only: hardware type 1, protocol type 0x0800,
 * hardware address length 6, protocol address length 4. Any other combination is refused with an
 * error code (we resolve nothing else).
 *
 *   0     2     4    5    6   8     14    18    24    28
 *   |htype|ptype|hlen|plen|op | sha  | spa | tha  | tpa |
 *
 * IPv4 addresses are uint32 numbers in host order (src/core/ip4addr.ts); MACs are copied into the
 * ArpInfo's own arrays so that the info stays valid after the frame is freed.
 */
import { rd16, rd32, wr16, wr32, copy6 } from './bytes.js';
import { ETHTYPE_IPV4 } from './ethernet.js';

export const ARP_LEN = 28;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
/** Hardware type "Ethernet (10Mb)" (RFC 826, IANA ARP parameters). */
const ARP_HTYPE_ETHER = 1;

/** Fewer than ARP_LEN bytes. */
export const ARP_ERR_SHORT = -1;
/** Hardware type other than Ethernet. */
export const ARP_ERR_HTYPE = -2;
/** Protocol type other than IPv4. */
export const ARP_ERR_PTYPE = -3;
/** Address lengths other than 6 (hardware) and 4 (protocol). */
export const ARP_ERR_ALEN = -4;

/** Field offsets. */
const ARP_OFF_OP = 6;
const ARP_OFF_SHA = 8;
const ARP_OFF_SPA = 14;
const ARP_OFF_THA = 18;
const ARP_OFF_TPA = 24;

/** A checked ARP packet. Preallocated once, filled by arpParse; sha and tha are 6-byte arrays of
 *  its own, or given by the owner (carved from its buffer, core/arena.ts). */
export class ArpInfo {
  op = 0;
  readonly sha: Uint8Array;
  spa = 0;
  readonly tha: Uint8Array;
  tpa = 0;
  constructor(sha: Uint8Array | null = null, tha: Uint8Array | null = null) {
    this.sha = sha !== null ? sha : new Uint8Array(6);
    this.tha = tha !== null ? tha : new Uint8Array(6);
  }
}

/**
 * Checks an Ethernet/IPv4 ARP packet of `len` bytes at `off` and fills `info`. Returns 0, or
 * ARP_ERR_SHORT / ARP_ERR_HTYPE / ARP_ERR_PTYPE / ARP_ERR_ALEN (info untouched). The opcode is not
 * checked: RFC 826 merges the sender's addresses into the cache before looking at it.
 */
export function arpParse(buf: Uint8Array, off: number, len: number, info: ArpInfo): number {
  if (!(len >= ARP_LEN)) return ARP_ERR_SHORT;
  if (rd16(buf, off) !== ARP_HTYPE_ETHER) return ARP_ERR_HTYPE;
  if (rd16(buf, off + 2) !== ETHTYPE_IPV4) return ARP_ERR_PTYPE;
  if (buf[off + 4] !== 6 || buf[off + 5] !== 4) return ARP_ERR_ALEN;
  info.op = rd16(buf, off + ARP_OFF_OP);
  copy6(info.sha, 0, buf, off + ARP_OFF_SHA);
  info.spa = rd32(buf, off + ARP_OFF_SPA);
  copy6(info.tha, 0, buf, off + ARP_OFF_THA);
  info.tpa = rd32(buf, off + ARP_OFF_TPA);
  return 0;
}

/**
 * Writes a 28-byte Ethernet/IPv4 ARP packet. `tha` is ignored by receivers of a request (RFC 826):
 * callers pass null there for all zeros (no 6-byte zero array to keep); RFC 5227 §2.3 gratuitous
 * ARP uses spa === tpa.
 * `sha` and `tha` must not point into the 28 bytes being written (copy them out first, as arpParse does).
 */
export function arpWrite(buf: Uint8Array, off: number, op: number, sha: Uint8Array, shaOff: number, spa: number,
  tha: Uint8Array | null, thaOff: number, tpa: number): void {
  buf[off] = 0; buf[off + 1] = ARP_HTYPE_ETHER;
  buf[off + 2] = ETHTYPE_IPV4 >>> 8; buf[off + 3] = ETHTYPE_IPV4 & 0xff;
  buf[off + 4] = 6; buf[off + 5] = 4;
  wr16(buf, off + ARP_OFF_OP, op);
  copy6(buf, off + ARP_OFF_SHA, sha, shaOff);
  wr32(buf, off + ARP_OFF_SPA, spa);
  if (tha !== null) copy6(buf, off + ARP_OFF_THA, tha, thaOff);
  else buf.fill(0, off + ARP_OFF_THA, off + ARP_OFF_THA + 6);
  wr32(buf, off + ARP_OFF_TPA, tpa);
}



