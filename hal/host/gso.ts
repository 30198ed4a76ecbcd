/**
 * Segmentation offload on the way out of a TAP (what a NIC's TSO does, seen from its driver): while
 * the driver knows more frames are coming — it is handing the stack a burst of received frames, and
 * the stack answers inside that call — consecutive full-sized TCP segments of one connection are
 * gathered into one frame of up to 64 KB and written with a virtio-net header that says
 * VIRTIO_NET_HDR_GSO_TCPV4, gso_size = the segments' payload size. The kernel takes that as one
 * packet (GRO's shape) and hands it to its TCP in one piece, with one ACK for all of it: one
 * write() and one pass through the kernel's input instead of one per segment.
 *
 * Only what the kernel would cut back into the frames the stack sent is gathered: IPv4
 * without options or fragments, TCP with only ACK (and PSH, which the kernel keeps on the last
 * piece only: successive pushes collapse into one, RFC 1122 §4.2.2.2), the same
 * addresses, ports, acknowledgment, window and options bytes (timestamps included), sequence
 * numbers following on, and every segment but the last with the first one's payload size. Anything
 * else first writes what is gathered, so frames never change order. The checksum field holds the
 * pseudo-header sum (the stack's transmit offload), rewritten here for the gathered length.
 */
import { VNET_HDR_LEN, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, onesSum, setIpv4Checksum } from './vnet.js';

const ETH_HLEN = 14;
const IP_HLEN = 20;
const TCP_FLAG_FIN = 0x01;
const TCP_FLAG_PSH = 0x08;
const TCP_FLAG_CWR = 0x80;
const TCP_FLAG_ACK = 0x10;
/** An IPv4 packet's largest total length. */
const MAX_IP_LEN = 65535;

/** Writes one frame with its virtio-net header; the driver's writev. Returns bytes written or -errno. */
export type VnetWrite = (hdr: Uint8Array, buf: Uint8Array, off: number, len: number) => number;

/** memcpy between two byte arrays without a view per call (the TAP addon's copy). */
export type ByteCopy = (dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number) => number;

export class GsoGather {
  /** The gathered frame: the first segment's headers, then every segment's payload. */
  readonly buf = new Uint8Array(ETH_HLEN + MAX_IP_LEN);
  private readonly hdr = new Uint8Array(VNET_HDR_LEN);
  /** Bytes in buf (0: nothing gathered). */
  len = 0;
  /** Segments gathered. */
  segs = 0;
  /** Ethernet + IP + TCP header bytes of the first segment. */
  private hlen = 0;
  /** Payload size of the first segment (gso_size). */
  private mss = 0;
  /** Payload size of the last segment gathered. */
  private lastPayload = 0;
  /** Sequence number the next segment must carry. */
  private nextSeq = 0;
  private readonly copy: ByteCopy;

  /** Most segments in one gathered frame (at least 1). */
  readonly maxSegs: number;

  constructor(copy: ByteCopy, maxSegs = 44) {
    this.copy = copy;
    this.maxSegs = maxSegs < 1 ? 1 : maxSegs;
  }

  /**
   * Takes the frame `buf[off..off+len)` (one contiguous TCP segment as the driver got it) into the
   * gathering when it fits in; false when it does not (the caller flushes and writes it itself, or
   * starts a new gathering with it after flushing).
   */
  add(b: Uint8Array, off: number, len: number): boolean {
    if (len < ETH_HLEN + IP_HLEN + 20 || b[off + 12] !== 0x08 || b[off + 13] !== 0x00) return false;
    const ip = off + ETH_HLEN;
    // IPv4, no options, TCP, no fragment (DF allowed)
    if (b[ip] !== 0x45 || b[ip + 9] !== 6 || (b[ip + 6] & 0x3f) !== 0 || b[ip + 7] !== 0) return false;
    const ipLen = (b[ip + 2] << 8) | b[ip + 3];
    if (ipLen + ETH_HLEN > len) return false;
    const tcp = ip + IP_HLEN;
    const thl = (b[tcp + 12] >>> 4) << 2;
    const flags = b[tcp + 13];
    if ((flags & ~TCP_FLAG_PSH) !== TCP_FLAG_ACK || thl < 20 || IP_HLEN + thl >= ipLen) return false;
    const hlen = ETH_HLEN + IP_HLEN + thl;
    const payload = ipLen - IP_HLEN - thl;
    const seq = ((b[tcp + 4] << 24) | (b[tcp + 5] << 16) | (b[tcp + 6] << 8) | b[tcp + 7]) >>> 0;
    const g = this.buf;
    if (this.len === 0) {
      this.copy(g, 0, b, off, hlen + payload);
      this.len = hlen + payload;
      this.hlen = hlen;
      this.mss = payload;
      this.lastPayload = payload;
      this.nextSeq = (seq + payload) >>> 0;
      this.segs = 1;
      return true;
    }
    // A PSH on a gathered segment does not end the gathering: RFC 1122 §4.2.2.2 says a sender
    // SHOULD collapse successive PSH bits when it packetizes data. (An application that writes one
    // segment per ACK, as chargen does when ACKs come one by one, sets PSH on every segment; ending
    // the gathering there wrote one frame per segment.)
    if (hlen !== this.hlen || seq !== this.nextSeq || this.lastPayload !== this.mss || payload > this.mss
      || this.len + payload > g.length || this.segs >= this.maxSegs) return false;
    // the same link addresses (bytes 0..11), IPv4 version, TOS, fragment field, TTL, protocol and
    // addresses (14, 15, 20..23, 26..33), ports, ack, window and options; the IPv4 length, id and
    // checksum, and the TCP sequence number (tcp + 4..7), checksum (16..17) and flags (13) differ
    for (let i = 0; i < 12; i++) if (g[i] !== b[off + i]) return false;
    if (g[15] !== b[off + 15]) return false;
    for (let i = 20; i < 24; i++) if (g[i] !== b[off + i]) return false;
    for (let i = 26; i < 34; i++) if (g[i] !== b[off + i]) return false;
    const t0 = ETH_HLEN + IP_HLEN;
    for (let i = 0; i < thl; i++) {
      if ((i >= 4 && i < 8) || i === 13 || i === 16 || i === 17) continue;
      if (g[t0 + i] !== b[tcp + i]) return false;
    }
    this.copy(g, this.len, b, off + hlen, payload);
    this.len += payload;
    this.segs++;
    this.lastPayload = payload;
    this.nextSeq = (seq + payload) >>> 0;
    // a PSH anywhere in the gathering goes on the gathered frame, which the kernel puts on its last
    // piece only (the pushes collapsed into one, at the end of the pushed data)
    g[t0 + 13] = flags | (g[t0 + 13] & TCP_FLAG_PSH);
    return true;
  }

  /** Writes what is gathered (one plain frame, or one GSO frame) and empties the gathering.
   *  Returns the write's result (bytes or -errno), or 0 when there was nothing. */
  flush(write: VnetWrite): number {
    const len = this.len;
    if (len === 0) return 0;
    const g = this.buf;
    const h = this.hdr;
    for (let i = 0; i < VNET_HDR_LEN; i++) h[i] = 0;
    const start = ETH_HLEN + IP_HLEN;
    h[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h[6] = start;
    h[8] = 16;
    if (this.segs > 1) {
      const ipLen = len - ETH_HLEN;
      g[ETH_HLEN + 2] = ipLen >>> 8;
      g[ETH_HLEN + 3] = ipLen & 0xff;
      // IPv4 header checksum over the new length (RFC 791; the kernel checks it before anything)
      setIpv4Checksum(g, ETH_HLEN, IP_HLEN);
      // the pseudo-header sum for the gathered TCP length (RFC 9293 §3.1), not complemented
      const p = onesSum(g, ETH_HLEN + 12, ETH_HLEN + 20, ipLen - IP_HLEN + 6);
      g[start + 16] = p >>> 8;
      g[start + 17] = p & 0xff;
      h[1] = VIRTIO_NET_HDR_GSO_TCPV4;
      h[2] = this.hlen;
      h[4] = this.mss & 0xff;
      h[5] = this.mss >>> 8;
    }
    this.len = 0;
    this.segs = 0;
    return write(h, g, 0, len);
  }
}

/**
 * The receive side (what a driver does for a NIC that coalesces, seen the other way round): with
 * TUNSETOFFLOAD(TUN_F_TSO4) the kernel hands us up to 64 KB of one TCP connection in one read(),
 * marked VIRTIO_NET_HDR_GSO_TCPV4 with gso_size; one read() and one pass through the kernel's
 * output instead of one per segment. The stack's pool pbufs hold one frame each, so the driver cuts
 * the frame back into the segments the kernel would have sent (what the kernel's own GSO does for a
 * NIC without TSO): the headers copied in front of each gso_size piece of payload, the IPv4 total
 * length, identification and header checksum and the TCP sequence number set per piece, PSH and FIN
 * on the last piece only, CWR on the first only. Their TCP checksums are the kernel's to vouch for
 * (the frame came with NEEDS_CSUM), so they are committed with `checksumOk`.
 */
export interface SplitSink {
  rxMemory: Uint8Array;
  rxReserve(): number;
  rxCommit(len: number, checksumOk?: boolean): void;
}

/**
 * Writes piece `k` of a GSO frame at `mem[o]`: the `hlen` header bytes of `src`, then `n` payload
 * bytes from `src[at]`; the IPv4 total length, identification (+ k) and header checksum (RFC 791),
 * the TCP sequence number (+ at - hlen), PSH and FIN only when `last`, CWR only when k is 0.
 * 0, or -1 when the ranges do not fit. The TAP addon's `piece` does the same in C (one call per
 * segment instead of two copies and a JavaScript checksum loop).
 */
export type PieceFn = (mem: Uint8Array, o: number, src: Uint8Array, hlen: number, at: number, n: number, k: number, last: boolean) => number;

/** PieceFn in JavaScript over a ByteCopy: the reference for the addon's, and the tests'. */
export function jsPiece(copy: ByteCopy): PieceFn {
  return (mem, o, src, hlen, at, n, k, last) => {
    const ihl = (src[ETH_HLEN] & 0x0f) << 2;
    if (hlen < ETH_HLEN + IP_HLEN + 20 || ihl < IP_HLEN || ETH_HLEN + ihl + 20 > hlen || at < hlen || at + n > src.length
      || o + hlen + n > mem.length) return -1;
    copy(mem, o, src, 0, hlen);
    copy(mem, o + hlen, src, at, n);
    const ip = o + ETH_HLEN;
    const l = hlen - ETH_HLEN + n;
    mem[ip + 2] = l >>> 8;
    mem[ip + 3] = l & 0xff;
    const id = (((src[ETH_HLEN + 4] << 8) | src[ETH_HLEN + 5]) + k) & 0xffff;
    mem[ip + 4] = id >>> 8;
    mem[ip + 5] = id & 0xff;
    setIpv4Checksum(mem, ip, ihl);
    const t = ip + ihl;
    const q = (((mem[t + 4] << 24) | (mem[t + 5] << 16) | (mem[t + 6] << 8) | mem[t + 7]) + (at - hlen)) >>> 0;
    mem[t + 4] = q >>> 24;
    mem[t + 5] = (q >>> 16) & 0xff;
    mem[t + 6] = (q >>> 8) & 0xff;
    mem[t + 7] = q & 0xff;
    if (!last) mem[t + 13] &= ~(TCP_FLAG_PSH | TCP_FLAG_FIN);
    if (k !== 0) mem[t + 13] &= ~TCP_FLAG_CWR;
    return 0;
  };
}

/** The header bytes (Ethernet + IPv4 + TCP) of the GSO frame `src[0..len)` whose virtio-net header
 *  is `h`, or -1 when it is not a TCP/IPv4 frame the kernel may hand us that way: IPv4 carrying
 *  TCP, the IP total length covering exactly the frame, a checksum flag (NEEDS_CSUM or DATA_VALID),
 *  a gso_size. */
export function gsoHeaderLen(h: Uint8Array, src: Uint8Array, len: number): number {
  if (len < ETH_HLEN + IP_HLEN + 20 || src[12] !== 0x08 || src[13] !== 0x00 || (src[ETH_HLEN] >>> 4) !== 4
    || src[ETH_HLEN + 9] !== 6 || (h[0] & 3) === 0 || (h[4] | (h[5] << 8)) === 0) return -1;
  const ihl = (src[ETH_HLEN] & 0x0f) << 2;
  const tcp = ETH_HLEN + ihl;
  if (ihl < IP_HLEN || tcp + 20 > len) return -1;
  const hlen = tcp + ((src[tcp + 12] >>> 4) << 2);
  const ipLen = (src[ETH_HLEN + 2] << 8) | src[ETH_HLEN + 3];
  if (hlen - tcp < 20 || hlen > len || ipLen + ETH_HLEN !== len) return -1;
  return hlen;
}

/** splitGso results: pieces handed to the sink (the pool may have run out before the last), or -1
 *  when the frame is not a TCP/IPv4 frame that can be cut (the caller counts it as a bad header). */
export function splitGso(h: Uint8Array, src: Uint8Array, len: number, cap: number, sink: SplitSink, piece: PieceFn): number {
  const gsoSize = h[4] | (h[5] << 8);
  const hlen = gsoHeaderLen(h, src, len);
  // each piece must fit in one pool pbuf
  if (hlen < 0 || hlen + gsoSize > cap) return -1;
  const mem = sink.rxMemory;
  let k = 0;
  for (let at = hlen; at < len; at += gsoSize) {
    const n = len - at < gsoSize ? len - at : gsoSize;
    const o = sink.rxReserve();
    if (o < 0) break; // the pool is empty: the stack counted the drop; TCP recovers the rest
    if (piece(mem, o, src, hlen, at, n, k, at + n >= len) !== 0) {
      sink.rxCommit(0);
      return -1;
    }
    sink.rxCommit(hlen + n, true);
    k++;
  }
  return k;
}

/** What chainGso needs of the stack: FrameSink's chain reservation (Netif implements it). */
export interface ChainSink extends SplitSink {
  rxCapacity: number;
  rxReserveChain(len: number): number;
  rxNextOffset(off: number): number;
}

/** chainGso results. */
export const GRO_CHAIN_TAKEN = 1;
/** The pool cannot spare the chain: nothing was handed over or counted (the caller cuts the frame). */
export const GRO_CHAIN_NO_POOL = 0;
/** Not a GSO frame we can take (the caller counts a bad header). */
export const GRO_CHAIN_BAD = -1;

/**
 * The receive side without cutting (what a NIC's large receive offload hands its stack): the GSO
 * frame `src[0..len)` goes to the stack as it is, ONE TCP segment of up to 64 KB over a chain of
 * pool pbufs (FrameSink.rxReserveChain): the headers and the first payload bytes in the first, the
 * rest of the payload behind it, the IPv4 total length the whole frame's (the kernel set it so).
 * TCP takes it in one pass; RFC 9293 bounds a segment by the receive window, not by the MSS, and
 * the kernel's GRO never builds one beyond what the window offered. PSH and FIN stay where the
 * kernel put them, at the end of the data, where they would be on its last piece. The checksum is
 * the kernel's to vouch for (NEEDS_CSUM or DATA_VALID, checked by gsoHeaderLen): committed with
 * `checksumOk`. A frame that fits one pbuf goes through rxReserve (the pool empty: the stack counted
 * the drop, and this reports it taken).
 */
export function chainGso(h: Uint8Array, src: Uint8Array, len: number, sink: ChainSink, copy: ByteCopy): number {
  if (gsoHeaderLen(h, src, len) < 0) return GRO_CHAIN_BAD;
  const cap = sink.rxCapacity;
  let o: number;
  if (len <= cap) {
    o = sink.rxReserve();
    if (o < 0) return GRO_CHAIN_TAKEN;
  } else {
    o = sink.rxReserveChain(len);
    if (o < 0) return GRO_CHAIN_NO_POOL;
  }
  const mem = sink.rxMemory;
  for (let at = 0; at < len; at += cap) {
    if (o < 0) {
      // a chain shorter than asked for (not what rxReserveChain promises): give it back, uncounted
      sink.rxCommit(0);
      return GRO_CHAIN_NO_POOL;
    }
    copy(mem, o, src, at, len - at < cap ? len - at : cap);
    if (len - at > cap) o = sink.rxNextOffset(o);
  }
  sink.rxCommit(len, true);
  return GRO_CHAIN_TAKEN;
}
