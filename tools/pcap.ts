/**
 * A writer for the classic libpcap file format (the one every tcpdump, tshark and Wireshark reads):
 * a 24-byte global header, then per frame a 16-byte record header and the frame's bytes.
 *
 *   global header: magic 0xa1b2c3d4, version 2.4, thiszone 0, sigfigs 0, snaplen, network (linktype)
 *   record header: ts_sec, ts_usec, incl_len (bytes stored), orig_len (bytes on the wire)
 *
 * Fields are written little-endian; the magic tells readers the byte order (they accept both).
 * Pure ECMAScript (no Buffer, no fs): it runs on XS too. The bytes collect in one growing buffer
 * that doubles when full, so capture allocates only O(log n) times; a Node helper
 * (tools/pcapfile.ts) writes `bytes()` to a file.
 */
import type { FrameChain } from '../src/hal.js';

export const PCAP_MAGIC = 0xa1b2c3d4;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
export const PCAP_SNAPLEN = 65535;
/** LINKTYPE_ETHERNET: frames start with the destination MAC, no preamble, no FCS. */
export const LINKTYPE_ETHERNET = 1;
export const PCAP_GLOBAL_HLEN = 24;
export const PCAP_RECORD_HLEN = 16;

export interface PcapWriterOptions {
  /** Longest part of a frame stored (orig_len still records the full length). Default 65535. */
  snaplen?: number;
  /** Link type in the global header. Default LINKTYPE_ETHERNET. */
  linktype?: number;
  /** Stop storing frames once the file would exceed this many bytes (counted in `dropped`).
   *  Default 64 MiB, so that a forgotten capture in a long run cannot eat the heap. */
  maxBytes?: number;
  /** Initial buffer size in bytes. Default 64 KiB. */
  initialBytes?: number;
}

export class PcapWriter {
  readonly snaplen: number;
  readonly linktype: number;
  readonly maxBytes: number;
  /** Frames stored. */
  frameCount = 0;
  /** Frames not stored because maxBytes was reached. */
  dropped = 0;
  private buf: Uint8Array;
  private view: DataView;
  private used = 0;

  constructor(opts: PcapWriterOptions = {}) {
    this.snaplen = opts.snaplen ?? PCAP_SNAPLEN;
    this.linktype = opts.linktype ?? LINKTYPE_ETHERNET;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    const initial = opts.initialBytes ?? 65536;
    this.buf = new Uint8Array(initial > PCAP_GLOBAL_HLEN ? initial : PCAP_GLOBAL_HLEN);
    this.view = new DataView(this.buf.buffer);
    const v = this.view;
    v.setUint32(0, PCAP_MAGIC, true);
    v.setUint16(4, PCAP_VERSION_MAJOR, true);
    v.setUint16(6, PCAP_VERSION_MINOR, true);
    v.setInt32(8, 0, true);  // thiszone: timestamps are UTC (here: virtual time since 0)
    v.setUint32(12, 0, true); // sigfigs
    v.setUint32(16, this.snaplen, true);
    v.setUint32(20, this.linktype, true);
    this.used = PCAP_GLOBAL_HLEN;
  }

  /** Bytes of the file so far. */
  get byteLength(): number {
    return this.used;
  }

  /**
   * Appends one frame captured at `timeMs` (milliseconds; fractions become microseconds). `frame` is
   * either bytes (with optional `off`/`len`) or a chain of byte ranges such as a pbuf chain (whole
   * chain; `off`/`len` are ignored). Returns false when the frame was not stored (maxBytes).
   */
  writeFrame(timeMs: number, frame: Uint8Array | FrameChain, off = 0, len = -1): boolean {
    let origLen: number;
    if (frame instanceof Uint8Array) {
      origLen = len < 0 ? frame.length - off : len;
    } else {
      origLen = 0;
      for (let q: FrameChain | null = frame; q !== null; q = q.next) origLen += q.len;
    }
    if (origLen < 0) origLen = 0;
    const incl = origLen < this.snaplen ? origLen : this.snaplen;
    const need = PCAP_RECORD_HLEN + incl;
    if (this.used + need > this.maxBytes) { this.dropped++; return false; }
    if (this.used + need > this.buf.length) this.grow(this.used + need);

    const t = timeMs < 0 ? 0 : timeMs;
    let sec = Math.floor(t / 1000);
    let usec = Math.round((t - sec * 1000) * 1000);
    if (usec >= 1000000) { sec++; usec -= 1000000; }
    const v = this.view;
    const h = this.used;
    v.setUint32(h, sec >>> 0, true);
    v.setUint32(h + 4, usec, true);
    v.setUint32(h + 8, incl, true);
    v.setUint32(h + 12, origLen, true);
    let pos = h + PCAP_RECORD_HLEN;
    if (frame instanceof Uint8Array) {
      copyInto(this.buf, pos, frame, off, incl);
    } else {
      let left = incl;
      for (let q: FrameChain | null = frame; q !== null && left > 0; q = q.next) {
        const n = q.len < left ? q.len : left;
        copyInto(this.buf, pos, q.buf, q.off, n);
        pos += n;
        left -= n;
      }
    }
    this.used += need;
    this.frameCount++;
    return true;
  }

  /** A copy of the whole file so far (global header + records). */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.used);
  }

  /** Drops every stored frame, keeping the global header. */
  clear(): void {
    this.used = PCAP_GLOBAL_HLEN;
    this.frameCount = 0;
    this.dropped = 0;
  }

  private grow(min: number): void {
    let size = this.buf.length * 2;
    while (size < min) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(0, this.used));
    this.buf = nb;
    this.view = new DataView(nb.buffer);
  }
}

function copyInto(dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number, n: number): void {
  for (let i = 0; i < n; i++) dst[dOff + i] = src[sOff + i];
}

/** One record read back by `parsePcap` (tests and tools). */
export interface PcapRecord {
  timeMs: number;
  origLen: number;
  data: Uint8Array;
}

export interface PcapFile {
  littleEndian: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linktype: number;
  records: PcapRecord[];
}

/** Parses a classic pcap file (either byte order, microsecond timestamps); null if malformed. */
export function parsePcap(bytes: Uint8Array): PcapFile | null {
  if (bytes.length < PCAP_GLOBAL_HLEN) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  if (v.getUint32(0, true) === PCAP_MAGIC) le = true;
  else if (v.getUint32(0, false) === PCAP_MAGIC) le = false;
  else return null;
  const file: PcapFile = {
    littleEndian: le,
    versionMajor: v.getUint16(4, le),
    versionMinor: v.getUint16(6, le),
    snaplen: v.getUint32(16, le),
    linktype: v.getUint32(20, le),
    records: [],
  };
  let pos = PCAP_GLOBAL_HLEN;
  while (pos < bytes.length) {
    if (pos + PCAP_RECORD_HLEN > bytes.length) return null;
    const sec = v.getUint32(pos, le);
    const usec = v.getUint32(pos + 4, le);
    const incl = v.getUint32(pos + 8, le);
    const orig = v.getUint32(pos + 12, le);
    pos += PCAP_RECORD_HLEN;
    if (pos + incl > bytes.length || usec >= 1000000) return null;
    file.records.push({ timeMs: sec * 1000 + usec / 1000, origLen: orig, data: bytes.slice(pos, pos + incl) });
    pos += incl;
  }
  return file;
}
