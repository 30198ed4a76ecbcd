/**
 * The TCP header and its options (RFC 9293 §3.1, §3.2).
 *
 *   0          2          4              8              12        13      14       16         18        20
 *   | src port | dst port | sequence no. | ack number   |off|rsvd | flags | window | checksum | urg ptr | options
 *
 * `tcpParse` checks the header and every option once and fills a preallocated TcpSegInfo; the state
 * machine reads only that. Options understood: MSS (RFC 9293 §3.7.1), window scale and timestamps
 * (RFC 7323), SACK-permitted and SACK (RFC 2018); others with a sane length are skipped (RFC 9293
 * §3.1: "must be prepared to handle an illegal option length ... without crashing", and RFC 1122
 * §4.2.2.5: ignore any option it does not know).
 *
 * No allocation, no exceptions: errors are negative numbers. Sequence and acknowledgment numbers,
 * timestamps and SACK edges are always unsigned 32-bit numbers (0..2^32-1).
 */
import { chksumChain, chksumFinish, pseudoHeaderSum, type ChecksumChain, type InetSum } from '../core/checksum.js';
import { rd16, rd32, wr16, wr32 } from './bytes.js';
import { IP_PROTO_TCP } from './ipv4.js';

export const TCP_HLEN = 20;

// Control bits (byte 13)
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

// Option kinds (IANA TCP option kind numbers)
const TCP_OPT_EOL = 0;
const TCP_OPT_NOP = 1;
const TCP_OPT_MSS = 2;
const TCP_OPT_WS = 3;
const TCP_OPT_SACK_PERM = 4;
const TCP_OPT_SACK = 5;
const TCP_OPT_TS = 8;

// Option lengths (kind + length bytes included)
const TCP_OPTLEN_MSS = 4;
const TCP_OPTLEN_WS = 3;
const TCP_OPTLEN_SACK_PERM = 2;
const TCP_OPTLEN_TS = 10;

/** The timestamps option with its two NOPs (RFC 7323 Appendix A): what it adds to each segment. */
export const TCP_OPTLEN_TS_ALIGNED = 12;
/** Largest number of SACK blocks in one segment: 4 fit in 40 bytes of options (RFC 2018 §3), 3
 *  beside timestamps. */
export const TCP_SACK_BLOCKS_MAX = 4;
/** The SACK option's fixed part with its two NOPs (kind, length), before 8 bytes per block. */
export const TCP_OPTLEN_SACK_BASE = 4;

/** Largest window shift (RFC 7323 §2.3); larger received values are used as 14. */
export const TCP_WS_MAX = 14;

/** Fewer than 20 bytes. */
export const TCP_ERR_SHORT = -1;
/** Data offset below 5, or a header longer than the bytes available. */
export const TCP_ERR_HDRLEN = -2;
/** A malformed option: length < 2, running past the header, or a wrong length for a known kind. */
export const TCP_ERR_OPT = -3;

/** A checked segment header with its options: one preallocated object per stack, reused per segment. */
export class TcpSegInfo {
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  /** All eight control bits (TCP_FIN .. TCP_ACK, then URG, ECE and CWR of RFC 3168). */
  flags = 0;
  /** The window field as received (not scaled). */
  wnd = 0;
  /** Header length in bytes, options included (20..60). */
  hdrLen = 0;
  urgPtr = 0;
  chksum = 0;
  /** Bytes after the header in the range parsed (len - hdrLen). */
  dataLen = 0;
  /** MSS option value; 0 = absent (a received MSS of 0 reads as absent too). */
  optMss = 0;
  /** Window scale shift 0..14; -1 = absent. */
  optWscale = -1;
  optSackPermitted = false;
  optTsPresent = false;
  optTsVal = 0;
  optTsEcr = 0;
  /** SACK blocks present (0..4), as (left, right) pairs in sackBlocks. */
  sackCount = 0;
  readonly sackBlocks: Uint32Array;
  /** `sackBlocks`: 8 entries (TCP_SACK_BLOCKS_MAX pairs), e.g. from the owner's Arena. */
  constructor(sackBlocks: Uint32Array | null = null) {
    this.sackBlocks = sackBlocks !== null ? sackBlocks : new Uint32Array(8);
  }
}

/**
 * Checks the TCP header in the `len` bytes at `off` (header + data) and fills `seg`. Returns 0, or
 * TCP_ERR_SHORT / TCP_ERR_HDRLEN / TCP_ERR_OPT. On an error the scalar fields of `seg` are left
 * untouched; sackBlocks may have been partly overwritten. `dv`, when given, is a DataView over the
 * same bytes at the same offsets (the pool's): the fixed fields are read through it, one call each.
 */
export function tcpParse(buf: Uint8Array, off: number, len: number, seg: TcpSegInfo, dv: DataView | null = null): number {
  if (!(len >= TCP_HLEN)) return TCP_ERR_SHORT;
  const hdrLen = (buf[off + 12] >>> 4) << 2;
  if (hdrLen < TCP_HLEN || hdrLen > len) return TCP_ERR_HDRLEN;

  // Options (RFC 9293 §3.1): kind 0 ends the list, kind 1 is one byte, every other kind carries a
  // length byte that counts the kind and length bytes themselves.
  let mss = 0;
  let ws = -1;
  let sackPerm = false;
  let ts = false;
  let tsVal = 0;
  let tsEcr = 0;
  let sackCount = 0;
  const end = off + hdrLen;
  let i = off + TCP_HLEN;
  while (i < end) {
    const kind = buf[i];
    if (kind === TCP_OPT_EOL) break;
    if (kind === TCP_OPT_NOP) { i++; continue; }
    if (i + 1 >= end) return TCP_ERR_OPT;
    const olen = buf[i + 1];
    if (olen < 2 || i + olen > end) return TCP_ERR_OPT;
    switch (kind) {
      case TCP_OPT_MSS:
        if (olen !== TCP_OPTLEN_MSS) return TCP_ERR_OPT;
        mss = (buf[i + 2] << 8) | buf[i + 3];
        break;
      case TCP_OPT_WS:
        if (olen !== TCP_OPTLEN_WS) return TCP_ERR_OPT;
        // RFC 7323 §2.3: a shift above 14 is logged and used as 14
        ws = buf[i + 2];
        if (ws > TCP_WS_MAX) ws = TCP_WS_MAX;
        break;
      case TCP_OPT_SACK_PERM:
        if (olen !== TCP_OPTLEN_SACK_PERM) return TCP_ERR_OPT;
        sackPerm = true;
        break;
      case TCP_OPT_SACK: {
        // RFC 2018 §3: length 2 + 8n, n blocks of (left edge, right edge)
        const n = (olen - 2) >>> 3;
        if (n < 1 || n > TCP_SACK_BLOCKS_MAX || 2 + (n << 3) !== olen) return TCP_ERR_OPT;
        const sb = seg.sackBlocks;
        let j = i + 2;
        for (let k = 0; k < n; k++, j += 8) {
          sb[k << 1] = ((buf[j] << 24) | (buf[j + 1] << 16) | (buf[j + 2] << 8) | buf[j + 3]) >>> 0;
          sb[(k << 1) + 1] = ((buf[j + 4] << 24) | (buf[j + 5] << 16) | (buf[j + 6] << 8) | buf[j + 7]) >>> 0;
        }
        sackCount = n;
        break;
      }
      case TCP_OPT_TS:
        if (olen !== TCP_OPTLEN_TS) return TCP_ERR_OPT;
        ts = true;
        tsVal = ((buf[i + 2] << 24) | (buf[i + 3] << 16) | (buf[i + 4] << 8) | buf[i + 5]) >>> 0;
        tsEcr = ((buf[i + 6] << 24) | (buf[i + 7] << 16) | (buf[i + 8] << 8) | buf[i + 9]) >>> 0;
        break;
      default:
        break; // unknown kind with a valid length: skipped
    }
    i += olen;
  }

  if (dv !== null) {
    seg.srcPort = dv.getUint16(off);
    seg.dstPort = dv.getUint16(off + 2);
    seg.seq = dv.getUint32(off + 4);
    seg.ack = dv.getUint32(off + 8);
    seg.wnd = dv.getUint16(off + 14);
    seg.chksum = dv.getUint16(off + 16);
    seg.urgPtr = dv.getUint16(off + 18);
  } else {
    seg.srcPort = (buf[off] << 8) | buf[off + 1];
    seg.dstPort = (buf[off + 2] << 8) | buf[off + 3];
    seg.seq = ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0;
    seg.ack = ((buf[off + 8] << 24) | (buf[off + 9] << 16) | (buf[off + 10] << 8) | buf[off + 11]) >>> 0;
    seg.wnd = (buf[off + 14] << 8) | buf[off + 15];
    seg.chksum = (buf[off + 16] << 8) | buf[off + 17];
    seg.urgPtr = (buf[off + 18] << 8) | buf[off + 19];
  }
  seg.flags = buf[off + 13];
  seg.hdrLen = hdrLen;
  seg.dataLen = len - hdrLen;
  seg.optMss = mss;
  seg.optWscale = ws;
  seg.optSackPermitted = sackPerm;
  seg.optTsPresent = ts;
  seg.optTsVal = tsVal;
  seg.optTsEcr = tsEcr;
  seg.sackCount = sackCount;
  return 0;
}

/**
 * Writes the 20-byte fixed header. `hdrLen` (20..60, a multiple of 4) includes the options the
 * caller writes after it; the checksum field is zeroed (fill it with tcpChecksum).
 */
export function tcpWriteHeader(buf: Uint8Array, off: number, srcPort: number, dstPort: number, seq: number,
  ack: number, hdrLen: number, flags: number, wnd: number, urgPtr: number): void {
  // stores written out: once per segment sent, and on XS a wr16/wr32 call costs more than its stores
  buf[off] = srcPort >>> 8;
  buf[off + 1] = srcPort;
  buf[off + 2] = dstPort >>> 8;
  buf[off + 3] = dstPort;
  buf[off + 4] = seq >>> 24;
  buf[off + 5] = seq >>> 16;
  buf[off + 6] = seq >>> 8;
  buf[off + 7] = seq;
  buf[off + 8] = ack >>> 24;
  buf[off + 9] = ack >>> 16;
  buf[off + 10] = ack >>> 8;
  buf[off + 11] = ack;
  buf[off + 12] = (hdrLen >>> 2) << 4;
  buf[off + 13] = flags;
  buf[off + 14] = wnd >>> 8;
  buf[off + 15] = wnd;
  buf[off + 16] = 0;
  buf[off + 17] = 0;
  buf[off + 18] = urgPtr >>> 8;
  buf[off + 19] = urgPtr;
}

/** MSS option (kind 2, length 4). Returns 4. */
export function tcpWriteOptMss(buf: Uint8Array, off: number, mss: number): number {
  buf[off] = TCP_OPT_MSS;
  buf[off + 1] = TCP_OPTLEN_MSS;
  wr16(buf, off + 2, mss);
  return TCP_OPTLEN_MSS;
}

/**
 * The options of a SYN or SYN-ACK after MSS, laid out as Linux lays them out (so that scripts and
 * captures written against Linux match): SACK-permitted and timestamps share one 12-byte word
 * group (`sackOK,TS`), or are padded with NOPs when alone (`nop,nop,TS` / `nop,nop,sackOK`), then
 * `nop,wscale` (RFC 7323 Appendix A's layout: every option 32-bit aligned). Returns the bytes
 * written: 0, 4, 8, 12 or 16 (see tcpSynOptLen).
 */
export function tcpWriteOptSyn(buf: Uint8Array, off: number, sackPerm: boolean, ts: boolean, tsVal: number,
  tsEcr: number, wscale: number): number {
  let i = off;
  if (ts) {
    if (sackPerm) { buf[i++] = TCP_OPT_SACK_PERM; buf[i++] = TCP_OPTLEN_SACK_PERM; }
    else { buf[i++] = TCP_OPT_NOP; buf[i++] = TCP_OPT_NOP; }
    buf[i] = TCP_OPT_TS;
    buf[i + 1] = TCP_OPTLEN_TS;
    wr32(buf, i + 2, tsVal);
    wr32(buf, i + 6, tsEcr);
    i += TCP_OPTLEN_TS;
  } else if (sackPerm) {
    buf[i++] = TCP_OPT_NOP; buf[i++] = TCP_OPT_NOP;
    buf[i++] = TCP_OPT_SACK_PERM; buf[i++] = TCP_OPTLEN_SACK_PERM;
  }
  if (wscale >= 0) {
    buf[i++] = TCP_OPT_NOP;
    buf[i++] = TCP_OPT_WS;
    buf[i++] = TCP_OPTLEN_WS;
    buf[i++] = wscale;
  }
  return i - off;
}

/** Bytes tcpWriteOptSyn writes for these options. */
export function tcpSynOptLen(sackPerm: boolean, ts: boolean, wscale: boolean): number {
  return (ts ? 12 : sackPerm ? 4 : 0) + (wscale ? 4 : 0);
}

/** `nop,nop,TS val ecr` (RFC 7323 Appendix A): the 12 bytes every segment of a connection that
 *  negotiated timestamps carries. Returns 12. */
export function tcpWriteOptTs(buf: Uint8Array, off: number, tsVal: number, tsEcr: number): number {
  buf[off] = TCP_OPT_NOP;
  buf[off + 1] = TCP_OPT_NOP;
  buf[off + 2] = TCP_OPT_TS;
  buf[off + 3] = TCP_OPTLEN_TS;
  wr32(buf, off + 4, tsVal);
  wr32(buf, off + 8, tsEcr);
  return TCP_OPTLEN_TS_ALIGNED;
}

/** `nop,nop,sack l:r ...` (RFC 2018 §3) with the first `n` (left, right) pairs of `edges`. Returns
 *  4 + 8n. */
export function tcpWriteOptSack(buf: Uint8Array, off: number, edges: Uint32Array, n: number): number {
  buf[off] = TCP_OPT_NOP;
  buf[off + 1] = TCP_OPT_NOP;
  buf[off + 2] = TCP_OPT_SACK;
  buf[off + 3] = 2 + (n << 3);
  let j = off + 4;
  for (let k = 0; k < n; k++, j += 8) {
    wr32(buf, j, edges[k << 1]);
    wr32(buf, j + 4, edges[(k << 1) + 1]);
  }
  return j - off;
}

/**
 * The checksum field value over `totLen` bytes of chain `p` (payload starting at the TCP header)
 * with the pseudo-header (RFC 9293 §3.1). With the field zeroed this is the value to store; over a
 * received segment it is 0 when the segment is intact. `sum`: the stack's checksum (StackCore.chksum),
 * or null to sum here.
 */
export function tcpChecksum(p: ChecksumChain, totLen: number, src: number, dst: number, sum: InetSum | null = null): number {
  return chksumFinish(chksumChain(p, 0, totLen, pseudoHeaderSum(src, dst, IP_PROTO_TCP, totLen), sum));
}

// Field accessors (no checks). These read only the first 8 octets, all that an ICMP error is sure
// to quote of the segment that caused it (RFC 792; RFC 5927 §4.1), where the stack uses them.
export function tcpSrcPort(buf: Uint8Array, off: number): number { return rd16(buf, off); }
export function tcpDstPort(buf: Uint8Array, off: number): number { return rd16(buf, off + 2); }
export function tcpSeq(buf: Uint8Array, off: number): number { return rd32(buf, off + 4); }
// The checksum setter (fill the value from tcpChecksum over the finished segment).
export function tcpSetChksum(buf: Uint8Array, off: number, v: number): void { wr16(buf, off + 16, v); }
