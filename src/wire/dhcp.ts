/**
 * DHCP message format (RFC 2131 §2, options RFC 2132): the fixed BOOTP header, the magic cookie and
 * the options that a client uses. `dhcpParse` checks a received message once and fills a DhcpInfo
 * (the checked representation); the writers lay out a request in a caller's buffer. No state here.
 */
import { rd16, rd32, wr16, wr32 } from './bytes.js';
export { equal6 } from './bytes.js';

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
export const BOOTP_REQUEST = 1;
export const BOOTP_REPLY = 2;
/** Fixed header (op .. file) is 236 bytes; the magic cookie follows (RFC 2131 §3). */
export const DHCP_HDR_LEN = 236;
export const DHCP_MAGIC = 0x63825363;
export const DHCP_OPTIONS_OFF = DHCP_HDR_LEN + 4;
/** Offsets of the fields that carry options when option 52 says so (RFC 2132 §9.3). */
const SNAME_OFF = 44;
const SNAME_LEN = 64;
const FILE_OFF = 108;
const FILE_LEN = 128;

export const DHCPDISCOVER = 1;
export const DHCPOFFER = 2;
export const DHCPREQUEST = 3;
export const DHCPDECLINE = 4;
export const DHCPACK = 5;
export const DHCPNAK = 6;
export const DHCPRELEASE = 7;

export const OPT_PAD = 0;
export const OPT_SUBNET_MASK = 1;
export const OPT_ROUTER = 3;
export const OPT_DNS = 6;
export const OPT_HOSTNAME = 12;
export const OPT_REQUESTED_IP = 50;
export const OPT_LEASE_TIME = 51;
export const OPT_OVERLOAD = 52;
export const OPT_MSG_TYPE = 53;
export const OPT_SERVER_ID = 54;
export const OPT_PARAM_REQ = 55;
export const OPT_MAX_MSG_SIZE = 57;
export const OPT_T1 = 58;
export const OPT_T2 = 59;
export const OPT_CLIENT_ID = 61;
export const OPT_END = 255;

/** Parse results below zero: why a message was refused. */
export const DHCP_ERR_LEN = -1;
export const DHCP_ERR_FORMAT = -2;
export const DHCP_ERR_OPTION = -3;

/** DNS servers kept from option 6. */
export const DHCP_MAX_DNS = 2;

/** A checked DHCP reply. Times are seconds as sent (0xffffffff = infinite); 0 = option absent. */
export class DhcpInfo {
  op = 0;
  xid = 0;
  yiaddr = 0;
  siaddr = 0;
  /** Offset of chaddr in the message (the caller compares it with its MAC). */
  chaddrOff = 0;
  msgType = 0;
  serverId = 0;
  subnetMask = 0;
  hasSubnetMask = false;
  router = 0;
  readonly dns: number[] = [];
  dnsCount = 0;
  leaseTime = 0;
  t1 = 0;
  t2 = 0;
  constructor() {
    for (let i = 0; i < DHCP_MAX_DNS; i++) this.dns.push(0);
  }
}

function readOptions(b: Uint8Array, off: number, end: number, info: DhcpInfo, top: boolean): number {
  let i = off;
  let overload = 0;
  while (i < end) {
    const code = b[i];
    if (code === OPT_PAD) { i++; continue; }
    if (code === OPT_END) return overload;
    if (i + 2 > end) return DHCP_ERR_OPTION;
    const len = b[i + 1];
    const v = i + 2;
    // an option running past its field is the "option overflow" a hostile server sends
    if (v + len > end) return DHCP_ERR_OPTION;
    switch (code) {
      case OPT_MSG_TYPE: if (len !== 1) return DHCP_ERR_OPTION; info.msgType = b[v]; break;
      case OPT_SERVER_ID: if (len !== 4) return DHCP_ERR_OPTION; info.serverId = rd32(b, v); break;
      case OPT_SUBNET_MASK: if (len !== 4) return DHCP_ERR_OPTION; info.subnetMask = rd32(b, v); info.hasSubnetMask = true; break;
      case OPT_ROUTER: if (len < 4 || (len & 3) !== 0) return DHCP_ERR_OPTION; info.router = rd32(b, v); break;
      case OPT_DNS:
        if (len < 4 || (len & 3) !== 0) return DHCP_ERR_OPTION;
        for (let k = 0; k < len && info.dnsCount < DHCP_MAX_DNS; k += 4) info.dns[info.dnsCount++] = rd32(b, v + k);
        break;
      case OPT_LEASE_TIME: if (len !== 4) return DHCP_ERR_OPTION; info.leaseTime = rd32(b, v); break;
      case OPT_T1: if (len !== 4) return DHCP_ERR_OPTION; info.t1 = rd32(b, v); break;
      case OPT_T2: if (len !== 4) return DHCP_ERR_OPTION; info.t2 = rd32(b, v); break;
      case OPT_OVERLOAD:
        // RFC 2132 §9.3: only in the options field itself, value 1 (file), 2 (sname) or 3 (both)
        if (!top || len !== 1 || b[v] < 1 || b[v] > 3) return DHCP_ERR_OPTION;
        overload = b[v];
        break;
      default: break;
    }
    i = v + len;
  }
  // RFC 2131 §4.1: the options field ends with END; a message cut short without it is truncated
  return top ? DHCP_ERR_OPTION : overload;
}

/**
 * Checks and reads a BOOTP reply at `buf[off..off+len)`: header, cookie, options (and the file/sname
 * fields when option 52 overloads them). Returns 0 or a DHCP_ERR_* code.
 */
export function dhcpParse(b: Uint8Array, off: number, len: number, info: DhcpInfo): number {
  if (len < DHCP_OPTIONS_OFF + 1 || off + len > b.length) return DHCP_ERR_LEN;
  if (b[off + 1] !== 1 || b[off + 2] !== 6 || rd32(b, off + DHCP_HDR_LEN) !== DHCP_MAGIC) return DHCP_ERR_FORMAT;
  info.op = b[off];
  info.xid = rd32(b, off + 4);
  info.yiaddr = rd32(b, off + 16);
  info.siaddr = rd32(b, off + 20);
  info.chaddrOff = off + 28;
  info.msgType = 0; info.serverId = 0; info.subnetMask = 0; info.hasSubnetMask = false; info.router = 0;
  info.dnsCount = 0; info.leaseTime = 0; info.t1 = 0; info.t2 = 0;
  const ov = readOptions(b, off + DHCP_OPTIONS_OFF, off + len, info, true);
  if (ov < 0) return ov;
  if ((ov & 1) !== 0 && readOptions(b, off + FILE_OFF, off + FILE_OFF + FILE_LEN, info, false) < 0) return DHCP_ERR_OPTION;
  if ((ov & 2) !== 0 && readOptions(b, off + SNAME_OFF, off + SNAME_OFF + SNAME_LEN, info, false) < 0) return DHCP_ERR_OPTION;
  if (info.msgType === 0) return DHCP_ERR_FORMAT;
  return 0;
}

/**
 * Writes a client's BOOTP request header and cookie at `b[off..]` (RFC 2131 §4.4.1 table 5): zeroes
 * sname/file, sets xid, secs, ciaddr and chaddr. Returns the offset where options start.
 */
export function dhcpWriteHeader(b: Uint8Array, off: number, xid: number, secs: number, ciaddr: number,
  mac: Uint8Array): number {
  b.fill(0, off, off + DHCP_OPTIONS_OFF);
  b[off] = BOOTP_REQUEST;
  b[off + 1] = 1; // Ethernet
  b[off + 2] = 6;
  wr32(b, off + 4, xid);
  wr16(b, off + 8, secs > 0xffff ? 0xffff : secs);
  wr32(b, off + 12, ciaddr);
  for (let i = 0; i < 6; i++) b[off + 28 + i] = mac[i];
  wr32(b, off + DHCP_HDR_LEN, DHCP_MAGIC);
  return off + DHCP_OPTIONS_OFF;
}

/** Writes option `code` with a one-byte value; returns the next offset. */
export function dhcpOpt8(b: Uint8Array, i: number, code: number, v: number): number {
  b[i] = code; b[i + 1] = 1; b[i + 2] = v;
  return i + 3;
}

export function dhcpOpt16(b: Uint8Array, i: number, code: number, v: number): number {
  b[i] = code; b[i + 1] = 2; wr16(b, i + 2, v);
  return i + 4;
}

export function dhcpOpt32(b: Uint8Array, i: number, code: number, v: number): number {
  b[i] = code; b[i + 1] = 4; wr32(b, i + 2, v);
  return i + 6;
}

/** Option `code` with `n` bytes copied from `src[so..]`. */
export function dhcpOptBytes(b: Uint8Array, i: number, code: number, src: Uint8Array, so: number, n: number): number {
  b[i] = code; b[i + 1] = n;
  for (let k = 0; k < n; k++) b[i + 2 + k] = src[so + k];
  return i + 2 + n;
}

/** Client identifier (RFC 2132 §9.14): hardware type 1 followed by the MAC. */
export function dhcpOptClientId(b: Uint8Array, i: number, mac: Uint8Array): number {
  b[i] = OPT_CLIENT_ID; b[i + 1] = 7; b[i + 2] = 1;
  for (let k = 0; k < 6; k++) b[i + 3 + k] = mac[k];
  return i + 9;
}

/** Reads a 16-bit field (for tests and tools reading requests). */
export function dhcpSecs(b: Uint8Array, off: number): number {
  return rd16(b, off + 8);
}
