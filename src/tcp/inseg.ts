/**
 * The segment being processed by the input path (RFC 9293 §3.10.7). The parsed header is read-only
 * once parsed; the steps adjust the working values instead: the sequence number and payload after
 * trimming to the window (§3.10.7.4 first step), and the SYN and FIN still to be processed. One
 * InSeg per nesting level is preallocated (TCP_INPUT_NEST_MAX), so input may be entered again from
 * inside itself (a synchronous loopback driver) without allocating. TcpInput.ipInput fills the
 * working values from the header for each segment (written out there: it runs once per segment).
 */
import type { Pbuf } from '../core/pbuf.js';
import { TcpSegInfo } from '../wire/tcp.js';

export class InSeg {
  /** The header as received (never edited after tcpParse). */
  readonly hdr: TcpSegInfo;
  /** Source and destination IPv4 addresses. */
  src = 0;
  dst = 0;
  /** Sequence number of the first octet still to process (after the SYN and any trimmed front). */
  seq = 0;
  /** The payload still to process (headers removed), and its length in octets. */
  p: Pbuf | null = null;
  len = 0;
  /** SYN and FIN still to process (cleared when consumed or trimmed away). */
  syn = false;
  fin = false;
  /** Sequence number the FIN occupies (set by the text step). */
  finSeq = 0;
  /** In-order data gathered while processing this segment, handed to the application once. */
  recvData: Pbuf | null = null;
  recvFin = false;
  /** SACK blocks of hdr.sackBlocks that lie within SND.UNA..SND.MAX: after the ACK step checked
   *  them, the first `sacks` pairs (packed in place). 0 when SACK was not negotiated. */
  sacks = 0;

  /** `sackBlocks`: the header's SACK block room (TcpSegInfo). */
  constructor(sackBlocks: Uint32Array | null = null) { this.hdr = new TcpSegInfo(sackBlocks); }
}
