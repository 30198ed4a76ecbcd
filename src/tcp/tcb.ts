/**
 * TCP control blocks. The stack's pcbs (Tcb for connections, TcpListen for listeners) come from
 * fixed pools and are reused; applications never hold them. They hold a TcpPcb handle instead: one
 * small object per connection, whose generation-checked link (src/core/handle.ts) to the pool entry
 * goes stale when the connection is freed, so a stale reference can never reach the entry's next
 * user (every API call on it returns ERR_CLSD).
 */
import { TCP_DEFAULT_MSS } from '../core/config.js';
import type { StackCore } from '../core/context.js';
import type { Pbuf } from '../core/pbuf.js';
import type { Err } from '../core/err.js';
import { Handle } from '../core/handle.js';
import type { Arena } from '../core/arena.js';

export type TcpRecvFn = (arg: any, pcb: TcpPcb, p: Pbuf | null, err: Err) => Err;
export type TcpSentFn = (arg: any, pcb: TcpPcb, len: number) => Err;
export type TcpErrFn = (arg: any, err: Err) => void;
export type TcpPollFn = (arg: any, pcb: TcpPcb) => Err;
export type TcpAcceptFn = (arg: any, newpcb: TcpPcb | null, err: Err) => Err;
export type TcpConnectedFn = (arg: any, pcb: TcpPcb, err: Err) => Err;

/**
 * The operations the raw API (src/api/tcp_api.ts) calls on the TCP layer behind a handle. TcpLayer
 * (tcp.ts) implements them; they are declared here, beside the handle, so that this file needs
 * nothing from tcp.ts and the layer's modules form no import cycle.
 */
export interface TcpOps {
  readonly core: StackCore;
  bind(pcb: Tcb, ip: number, port: number): Err;
  listen(pcb: Tcb, backlog: number, handle: TcpPcb): TcpListen | null;
  closeListener(l: TcpListen): void;
  connect(pcb: Tcb, ip: number, port: number): Err;
  write(pcb: Tcb, data: Uint8Array, len: number, apiflags: number, offset: number): Err;
  output(pcb: Tcb): Err;
  recved(pcb: Tcb, len: number): void;
  close(pcb: Tcb): Err;
  shutdown(pcb: Tcb, rx: boolean, tx: boolean): Err;
  abortPcb(pcb: Tcb, errCode: Err, sendRst: boolean): void;
  backlogDelayed(pcb: Tcb): void;
  leaveBacklog(pcb: Tcb): void;
}

/** The application's handle on a connection (its own Handle entry) or a listener (listenerRef). */
export class TcpPcb extends Handle<Tcb> {
  /** The stack's TCP layer this handle belongs to (opaque to applications). */
  readonly layer: TcpOps;
  /** @internal The listener's pool entry, stale once the listener is closed. */
  readonly listenerRef = new Handle<TcpListen>();
  constructor(layer: TcpOps) { super(); this.layer = layer; }
  /** The live connection behind this handle (the handle's own entry), or null. */
  get conn(): Tcb | null { return this.resolve(); }
  /** The live listener behind this handle, or null. */
  get listener(): TcpListen | null { return this.listenerRef.resolve(); }
}

/** No segment: the end of a queue, an empty queue. */
export const NO_SEG = -1;

/** SegStore.marks bits. The peer reported the segment in a SACK block (RFC 2018 §5, sack.ts); kept
 *  until cumulatively ACKed. */
export const SEG_SACKED = 1;
/** Resent during the current SACK-based recovery (RFC 6675 HighRxt, sack.ts). */
export const SEG_RTX = 2;

/**
 * The segment descriptors (queued for sending, sent and unacknowledged, or received out of order)
 * as a structure of arrays: a segment is an index of the TCP layer's segment pool (an IndexPool),
 * its fields the entries of these arrays at that index, and a queue is linked through `next`
 * (NO_SEG at its end). Why: a descriptor object with seven properties was eight XS heap slots,
 * 256 for the default 32 descriptors; the arrays are chunk memory. `p` is an ordinary array (its
 * entries are references), whose items XS keeps in chunk memory too. Freeing a descriptor clears
 * its marks and its pbuf reference.
 */
export class SegStore {
  /** The next segment of the queue, or NO_SEG. */
  readonly next: Int16Array;
  /** Sequence number of the first octet (of the SYN, if flagged), unsigned 32-bit. */
  readonly seqno: Uint32Array;
  /** Data octets (SYN and FIN not counted). */
  readonly len: Int32Array;
  /** TCP_SYN / TCP_FIN / TCP_PSH carried by the segment. */
  readonly flags: Uint8Array;
  /** Times the segment has been sent. */
  readonly sent: Uint16Array;
  /** SEG_SACKED | SEG_RTX. */
  readonly marks: Uint8Array;
  /** Received out of order: the connection's ooseqArrivals count when it arrived, so that SACK
   *  blocks can be reported most recent first (RFC 2018 §4); as unsigned 32-bit, like the runs
   *  that compare them (options.ts). */
  readonly rcvOrder: Uint32Array;
  /** Payload: a pool pbuf with transport headroom (its payload is the data), possibly chained to
   *  PBUF_REF pbufs; for received segments, the received pbuf chain with headers removed. */
  readonly p: (Pbuf | null)[] = [];

  /** Bytes of typed arrays a store of `n` descriptors takes from its owner's Arena. */
  static bytes(n: number): number[] { return [2 * n, 4 * n, 4 * n, n, 2 * n, n, 4 * n]; }

  /** `arena`: the TCP layer's, sized with `SegStore.bytes(n)` among its other arrays. */
  constructor(n: number, arena: Arena) {
    this.next = arena.i16(n);
    this.seqno = arena.u32(n);
    this.len = arena.i32(n);
    this.flags = arena.u8(n);
    this.sent = arena.u16(n);
    this.marks = arena.u8(n);
    this.rcvOrder = arena.u32(n);
    this.next.fill(NO_SEG);
    for (let i = 0; i < n; i++) this.p.push(null);
  }
}

/** TcpListen layout: its numeric fields live in one Float64Array per listener pool, TCP_LISTEN_FIELDS
 *  entries each, behind getters (a listener is read once per SYN; see the Tcb layout below). */
const TL_GEN = 0;
const TL_LOCAL_IP = 1;
const TL_LOCAL_PORT = 2;
const TL_BACKLOG = 3;
const TL_PENDING = 4;
const TL_SO_OPTIONS = 5;
const TL_RCV_WND = 6;
const TL_NODELAY = 7;
const TL_KEEP_IDLE = 8;
const TL_KEEP_INTVL = 9;
const TL_KEEP_CNT = 10;
/** Float64 entries per TcpListen in its pool's array. */
export const TCP_LISTEN_FIELDS = 11;

export class TcpListen {
  mempIndex = -1;
  handle: TcpPcb | null = null;
  arg: any = null;
  accept: TcpAcceptFn | null = null;

  /** The pool's Float64Array of the numeric fields below (TCP_LISTEN_FIELDS entries each), and where this
   *  entry's start. */
  private readonly cold: Float64Array;
  private readonly coldBase: number;

  constructor(cold: Float64Array = new Float64Array(TCP_LISTEN_FIELDS), index = 0) {
    this.cold = cold;
    const coldBase = index * TCP_LISTEN_FIELDS;
    this.coldBase = coldBase;
    cold[coldBase + TL_BACKLOG] = 1;
  }

  // --- numeric fields, kept in `cold` ---
  get gen(): number { return this.cold[this.coldBase + TL_GEN]; }
  set gen(v: number) { this.cold[this.coldBase + TL_GEN] = v; }
  get localIp(): number { return this.cold[this.coldBase + TL_LOCAL_IP]; }
  set localIp(v: number) { this.cold[this.coldBase + TL_LOCAL_IP] = v; }
  get localPort(): number { return this.cold[this.coldBase + TL_LOCAL_PORT]; }
  set localPort(v: number) { this.cold[this.coldBase + TL_LOCAL_PORT] = v; }
  get backlog(): number { return this.cold[this.coldBase + TL_BACKLOG]; }
  set backlog(v: number) { this.cold[this.coldBase + TL_BACKLOG] = v; }
  /** Connections in SYN_RCVD or accepted-but-delayed (tcp_backlog_delayed), counted against backlog. */
  get pending(): number { return this.cold[this.coldBase + TL_PENDING]; }
  set pending(v: number) { this.cold[this.coldBase + TL_PENDING] = v; }
  get soOptions(): number { return this.cold[this.coldBase + TL_SO_OPTIONS]; }
  set soOptions(v: number) { this.cold[this.coldBase + TL_SO_OPTIONS] = v; }
  /** Receive window given to accepted connections (SO_RCVBUF), 0 = config TCP_WND. */
  get rcvWnd(): number { return this.cold[this.coldBase + TL_RCV_WND]; }
  set rcvWnd(v: number) { this.cold[this.coldBase + TL_RCV_WND] = v; }
  /** Nagle setting and keepalive timings inherited by accepted connections. */
  get nodelay(): boolean { return this.cold[this.coldBase + TL_NODELAY] !== 0; }
  set nodelay(v: boolean) { this.cold[this.coldBase + TL_NODELAY] = v ? 1 : 0; }
  get keepIdle(): number { return this.cold[this.coldBase + TL_KEEP_IDLE]; }
  set keepIdle(v: number) { this.cold[this.coldBase + TL_KEEP_IDLE] = v; }
  get keepIntvl(): number { return this.cold[this.coldBase + TL_KEEP_INTVL]; }
  set keepIntvl(v: number) { this.cold[this.coldBase + TL_KEEP_INTVL] = v; }
  get keepCnt(): number { return this.cold[this.coldBase + TL_KEEP_CNT]; }
  set keepCnt(v: number) { this.cold[this.coldBase + TL_KEEP_CNT] = v; }
}


/**
 * Tcb layout. Every numeric field of a connection lives in one Float64Array entry per field: the
 * pcb pool holds one array of TCB_FIELD_COUNT entries per Tcb, and each Tcb keeps its own view of
 * its part as `v`. Why: each property of an XS object is a 16-byte heap slot (on the ESP32), a
 * Float64Array entry 8 bytes of chunk memory and no slot, so eight pcbs of 80 numeric fields would
 * be 640 slots as properties. The per-segment code (src/tcp) indexes the view directly,
 * `pcb.v[TCB.sndNxt]`: for XS that is one bytecode more than a property read, where a getter call
 * would cost about 17 computrons more. Other code (the API, tools, tests) reads and writes the
 * same fields through the getters and setters below, under the names they have always had.
 * Properties stay for what is not a number: object references (queues, callbacks, the handle),
 * the four booleans the per-segment path tests (tsOk, sackOk, refusedFin, outputPending), and
 * `mempIndex` and `gen`, which the pool and the handles (src/core) read on every pool entry.
 * Booleans in `v` are stored as 0/1. The values are plain numbers, as they were as properties.
 */
export const enum TCB {
  state,
  flags,
  localIp,
  localPort,
  remoteIp,
  remotePort,
  rcvNxt,
  rcvWnd,
  rcvWndMax,
  rcvAnnWnd,
  rcvAnnRightEdge,
  rcvMss,
  sndUna,
  sndNxt,
  sndMax,
  sndLbb,
  sndWnd,
  sndWndMax,
  sndWl1,
  mss,
  sndBuf,
  sndQueueLen,
  cwnd,
  rto,
  rtxAt,
  tlpAt,
  persistAt,
  delackAt,
  sndScale,
  rcvScale,
  lastAckSent,
  lastActivity,
  keepProbes,
  sndWl2,
  lastDataAt,
  quickAcks,
  dupAcks,
  rttStart,
  ackedToReport,
  soOptions,
  listenerIndex,
  listenerGen,
  inBacklog,
  irs,
  ooseqCount,
  ooseqSince,
  iss,
  sndSml,
  lastOowAckAt,
  ssthresh,
  recover,
  bytesAcked,
  srtt,
  rttvar,
  rttValid,
  rttSeq,
  nrtx,
  icmpSoftErr,
  persistBackoff,
  persistProbes,
  userTimeout,
  zeroWindowSince,
  timeWaitAt,
  finWait2At,
  keepIdle,
  keepIntvl,
  keepCnt,
  pollInterval,
  pollTicks,
  stateSince,
  wsOk,
  tsOffset,
  tsFirst,
  tsRecent,
  tsRecentAt,
  ooseqArrivals,
  tlpState,
  tlpEnd,
  sackRescued,
}
/** Float64 entries per Tcb in its pool's array. */
export const TCB_FIELD_COUNT = 79;

export class Tcb {
  mempIndex = -1;
  /** Moved on (retire) each time this entry is freed: code that runs callbacks compares it to notice
   *  that the connection went away meanwhile, and handles issued earlier go stale. */
  gen = 0;
  handle: TcpPcb | null = null;
  /** This Tcb's numeric fields, at the TCB indices (a view of its pool's array). */
  readonly v: Float64Array;

  // The queues (SegStore indices, NO_SEG when empty): properties, not `v` entries, because the
  // per-segment path reads them about thirty times per segment sent.
  /** Received out of order (ooseq.ts), sorted by sequence number. */
  ooseq = NO_SEG;
  /** Data the application's recv callback refused; offered again later (lwIP refused_data). */
  refused: Pbuf | null = null;
  unsent = NO_SEG;
  unsentTail = NO_SEG;
  unacked = NO_SEG;
  unackedTail = NO_SEG;

  // Each of wsOk, tsOk and sackOk means "we offer it" until the peer's SYN (or SYN-ACK) arrives,
  // and "both SYNs carried it" from then on: an option is used only when both sides sent it.
  /** Timestamps (RFC 7323 §3.2): offered / negotiated; once negotiated every segment carries TSopt. */
  tsOk = false;
  /** SACK-permitted (RFC 2018 §2): offered / negotiated (only a SYN may carry it). */
  sackOk = false;
  /** The FIN was refused along with the data (or on its own). */
  refusedFin = false;
  /** tcp_write queued data since the last output: the timer flushes it if the application does not. */
  outputPending = false;

  // --- application callbacks ---
  arg: any = null;
  recv: TcpRecvFn | null = null;
  sent: TcpSentFn | null = null;
  err: TcpErrFn | null = null;
  poll: TcpPollFn | null = null;
  connected: TcpConnectedFn | null = null;

  /** `fields`: the pool's array (TCB_FIELD_COUNT entries per Tcb); `index`: this Tcb's place in it. */
  constructor(fields: Float64Array = new Float64Array(TCB_FIELD_COUNT), index = 0) {
    const v = fields.subarray(index * TCB_FIELD_COUNT, (index + 1) * TCB_FIELD_COUNT);
    this.v = v;
    v[TCB.rcvMss] = TCP_DEFAULT_MSS;
    v[TCB.mss] = TCP_DEFAULT_MSS;
    v[TCB.rto] = 1000;
    v[TCB.rtxAt] = -1;
    v[TCB.tlpAt] = -1;
    v[TCB.persistAt] = -1;
    v[TCB.delackAt] = -1;
    v[TCB.rttStart] = -1;
    v[TCB.ooseqSince] = -1;
    v[TCB.lastOowAckAt] = -1;
    v[TCB.zeroWindowSince] = -1;
    v[TCB.timeWaitAt] = -1;
    v[TCB.finWait2At] = -1;
    v[TCB.listenerIndex] = -1;
  }

  // --- the numeric fields by name (for code off the per-segment path) ---
  /** The RFC 9293 state (constants.ts). */
  get state(): number { return this.v[TCB.state]; }
  set state(x: number) { this.v[TCB.state] = x; }
  /** TF_* flags (constants.ts). */
  get flags(): number { return this.v[TCB.flags]; }
  set flags(x: number) { this.v[TCB.flags] = x; }
  get localIp(): number { return this.v[TCB.localIp]; }
  set localIp(x: number) { this.v[TCB.localIp] = x; }
  get localPort(): number { return this.v[TCB.localPort]; }
  set localPort(x: number) { this.v[TCB.localPort] = x; }
  get remoteIp(): number { return this.v[TCB.remoteIp]; }
  set remoteIp(x: number) { this.v[TCB.remoteIp] = x; }
  get remotePort(): number { return this.v[TCB.remotePort]; }
  set remotePort(x: number) { this.v[TCB.remotePort] = x; }
  /** RCV.NXT (RFC 9293 §3.3.1). */
  get rcvNxt(): number { return this.v[TCB.rcvNxt]; }
  set rcvNxt(x: number) { this.v[TCB.rcvNxt] = x; }
  /** Window the application has room for (grows with tcp_recved). */
  get rcvWnd(): number { return this.v[TCB.rcvWnd]; }
  set rcvWnd(x: number) { this.v[TCB.rcvWnd] = x; }
  /** Largest window (TCP_WND or SO_RCVBUF). */
  get rcvWndMax(): number { return this.v[TCB.rcvWndMax]; }
  set rcvWndMax(x: number) { this.v[TCB.rcvWndMax] = x; }
  /** Window we announce (receiver SWS avoidance). */
  get rcvAnnWnd(): number { return this.v[TCB.rcvAnnWnd]; }
  set rcvAnnWnd(x: number) { this.v[TCB.rcvAnnWnd] = x; }
  /** Right edge of the window we last announced: never moved left (RFC 9293 §3.8.6). */
  get rcvAnnRightEdge(): number { return this.v[TCB.rcvAnnRightEdge]; }
  set rcvAnnRightEdge(x: number) { this.v[TCB.rcvAnnRightEdge] = x; }
  /** Our MSS, announced in our SYN. */
  get rcvMss(): number { return this.v[TCB.rcvMss]; }
  set rcvMss(x: number) { this.v[TCB.rcvMss] = x; }
  /** SND.UNA. */
  get sndUna(): number { return this.v[TCB.sndUna]; }
  set sndUna(x: number) { this.v[TCB.sndUna] = x; }
  /** SND.NXT. */
  get sndNxt(): number { return this.v[TCB.sndNxt]; }
  set sndNxt(x: number) { this.v[TCB.sndNxt] = x; }
  /** Highest sequence number sent + 1 (snd_nxt is rewound by a retransmission timeout). */
  get sndMax(): number { return this.v[TCB.sndMax]; }
  set sndMax(x: number) { this.v[TCB.sndMax] = x; }
  /** Sequence number the next byte written by the application will get. */
  get sndLbb(): number { return this.v[TCB.sndLbb]; }
  set sndLbb(x: number) { this.v[TCB.sndLbb] = x; }
  /** SND.WND. */
  get sndWnd(): number { return this.v[TCB.sndWnd]; }
  set sndWnd(x: number) { this.v[TCB.sndWnd] = x; }
  /** Largest window the peer has offered (RFC 1122 §4.2.3.4, RFC 5961 §5.2). */
  get sndWndMax(): number { return this.v[TCB.sndWndMax]; }
  set sndWndMax(x: number) { this.v[TCB.sndWndMax] = x; }
  /** SND.WL1. */
  get sndWl1(): number { return this.v[TCB.sndWl1]; }
  set sndWl1(x: number) { this.v[TCB.sndWl1] = x; }
  /** Effective send MSS: the peer's MSS (536 when absent), at most our TCP_MSS. */
  get mss(): number { return this.v[TCB.mss]; }
  set mss(x: number) { this.v[TCB.mss] = x; }
  /** Free octets in the send buffer (tcp_sndbuf). */
  get sndBuf(): number { return this.v[TCB.sndBuf]; }
  set sndBuf(x: number) { this.v[TCB.sndBuf] = x; }
  /** Segments in unsent + unacked (tcp_sndqueuelen). */
  get sndQueueLen(): number { return this.v[TCB.sndQueueLen]; }
  set sndQueueLen(x: number) { this.v[TCB.sndQueueLen] = x; }
  /** Congestion window (RFC 5681, RFC 6582). */
  get cwnd(): number { return this.v[TCB.cwnd]; }
  set cwnd(x: number) { this.v[TCB.cwnd] = x; }
  /** Retransmission timeout, ms (RFC 6298). */
  get rto(): number { return this.v[TCB.rto]; }
  set rto(x: number) { this.v[TCB.rto] = x; }
  /** Deadline of the retransmission timer, -1 when stopped. */
  get rtxAt(): number { return this.v[TCB.rtxAt]; }
  set rtxAt(x: number) { this.v[TCB.rtxAt] = x; }
  /** Tail loss probe (RFC 8985 §7, tlp.ts): the probe timer's deadline, -1 when stopped. */
  get tlpAt(): number { return this.v[TCB.tlpAt]; }
  set tlpAt(x: number) { this.v[TCB.tlpAt] = x; }
  /** Persist timer (zero window probes, RFC 9293 §3.8.6.1), -1 when stopped. */
  get persistAt(): number { return this.v[TCB.persistAt]; }
  set persistAt(x: number) { this.v[TCB.persistAt] = x; }
  /** Delayed-ACK deadline, -1 when stopped. */
  get delackAt(): number { return this.v[TCB.delackAt]; }
  set delackAt(x: number) { this.v[TCB.delackAt] = x; }
  /** Snd.Wind.Shift (RFC 7323 §2.3): the peer's shift, applied to the window field of every segment it sends but a SYN. 0 unless negotiated. */
  get sndScale(): number { return this.v[TCB.sndScale]; }
  set sndScale(x: number) { this.v[TCB.sndScale] = x; }
  /** Rcv.Wind.Shift: our shift, announced in our SYN; the window field we send is our window shifted right by it (never in a SYN). 0 unless negotiated. */
  get rcvScale(): number { return this.v[TCB.rcvScale]; }
  set rcvScale(x: number) { this.v[TCB.rcvScale] = x; }
  /** Last.ACK.sent (RFC 7323 §4.3): the acknowledgment number of the last segment we sent. */
  get lastAckSent(): number { return this.v[TCB.lastAckSent]; }
  set lastAckSent(x: number) { this.v[TCB.lastAckSent] = x; }
  /** Last time a segment arrived (keepalive idleness). */
  get lastActivity(): number { return this.v[TCB.lastActivity]; }
  set lastActivity(x: number) { this.v[TCB.lastActivity] = x; }
  get keepProbes(): number { return this.v[TCB.keepProbes]; }
  set keepProbes(x: number) { this.v[TCB.keepProbes] = x; }
  /** SND.WL2. */
  get sndWl2(): number { return this.v[TCB.sndWl2]; }
  set sndWl2(x: number) { this.v[TCB.sndWl2] = x; }
  /** When in-order data last arrived (quick-ACK mode again after a pause longer than the RTO). */
  get lastDataAt(): number { return this.v[TCB.lastDataAt]; }
  set lastDataAt(x: number) { this.v[TCB.lastDataAt] = x; }
  /** Data segments still to be ACKed at once (quick-ACK start, TCP_QUICKACKS). */
  get quickAcks(): number { return this.v[TCB.quickAcks]; }
  set quickAcks(x: number) { this.v[TCB.quickAcks] = x; }
  get dupAcks(): number { return this.v[TCB.dupAcks]; }
  set dupAcks(x: number) { this.v[TCB.dupAcks] = x; }
  /** When the segment being timed (rttSeq) left, or -1 (Karn's rule: never a retransmitted one). */
  get rttStart(): number { return this.v[TCB.rttStart]; }
  set rttStart(x: number) { this.v[TCB.rttStart] = x; }
  /** Acknowledged octets not yet reported through the sent callback. */
  get ackedToReport(): number { return this.v[TCB.ackedToReport]; }
  set ackedToReport(x: number) { this.v[TCB.ackedToReport] = x; }
  get soOptions(): number { return this.v[TCB.soOptions]; }
  set soOptions(x: number) { this.v[TCB.soOptions] = x; }
  /** The listen pool index of the listener that created this pcb while it is in SYN_RCVD (or
   *  delayed), else -1 (TcpTable.listenerOf resolves it): read only at handshake and close. */
  get listenerIndex(): number { return this.v[TCB.listenerIndex]; }
  set listenerIndex(x: number) { this.v[TCB.listenerIndex] = x; }
  get listenerGen(): number { return this.v[TCB.listenerGen]; }
  set listenerGen(x: number) { this.v[TCB.listenerGen] = x; }
  /** Counted in the listener's backlog: in SYN_RCVD, or accepted but delayed (tcp_backlog_delayed). */
  get inBacklog(): boolean { return this.v[TCB.inBacklog] !== 0; }
  set inBacklog(x: boolean) { this.v[TCB.inBacklog] = x ? 1 : 0; }
  get irs(): number { return this.v[TCB.irs]; }
  set irs(x: number) { this.v[TCB.irs] = x; }
  get ooseqCount(): number { return this.v[TCB.ooseqCount]; }
  set ooseqCount(x: number) { this.v[TCB.ooseqCount] = x; }
  /** When the out-of-order queue last went from empty to non-empty (TCP_OOSEQ_TIMEOUT ageing). */
  get ooseqSince(): number { return this.v[TCB.ooseqSince]; }
  set ooseqSince(x: number) { this.v[TCB.ooseqSince] = x; }
  get iss(): number { return this.v[TCB.iss]; }
  set iss(x: number) { this.v[TCB.iss] = x; }
  /** End of the last sub-MSS segment sent (Minshall's Nagle variant). */
  get sndSml(): number { return this.v[TCB.sndSml]; }
  set sndSml(x: number) { this.v[TCB.sndSml] = x; }
  /** When we last answered an unacceptable segment without data (rate limit, as Linux does). */
  get lastOowAckAt(): number { return this.v[TCB.lastOowAckAt]; }
  set lastOowAckAt(x: number) { this.v[TCB.lastOowAckAt] = x; }
  get ssthresh(): number { return this.v[TCB.ssthresh]; }
  set ssthresh(x: number) { this.v[TCB.ssthresh] = x; }
  /** NewReno "recover": the highest sequence sent when fast recovery began. */
  get recover(): number { return this.v[TCB.recover]; }
  set recover(x: number) { this.v[TCB.recover] = x; }
  /** Bytes acknowledged during congestion avoidance, toward the next cwnd increase. */
  get bytesAcked(): number { return this.v[TCB.bytesAcked]; }
  set bytesAcked(x: number) { this.v[TCB.bytesAcked] = x; }
  get srtt(): number { return this.v[TCB.srtt]; }
  set srtt(x: number) { this.v[TCB.srtt] = x; }
  get rttvar(): number { return this.v[TCB.rttvar]; }
  set rttvar(x: number) { this.v[TCB.rttvar] = x; }
  /** True once a first RTT sample exists. */
  get rttValid(): boolean { return this.v[TCB.rttValid] !== 0; }
  set rttValid(x: boolean) { this.v[TCB.rttValid] = x ? 1 : 0; }
  /** The segment being timed (Karn's rule: never a retransmitted one), and when it left. */
  get rttSeq(): number { return this.v[TCB.rttSeq]; }
  set rttSeq(x: number) { this.v[TCB.rttSeq] = x; }
  /** Retransmissions of the current oldest unacknowledged segment. */
  get nrtx(): number { return this.v[TCB.nrtx]; }
  set nrtx(x: number) { this.v[TCB.nrtx] = x; }
  /** The last ICMP error accepted for this connection and not acted on (a soft error, RFC 1122
   *  §4.2.3.9), as (type << 8) | code; 0 = none. Cleared when the peer acknowledges something new;
   *  chooses what a later give-up reports (ERR_RTE instead of ERR_TIMEOUT, as Linux's sk_err_soft). */
  get icmpSoftErr(): number { return this.v[TCB.icmpSoftErr]; }
  set icmpSoftErr(x: number) { this.v[TCB.icmpSoftErr] = x; }
  get persistBackoff(): number { return this.v[TCB.persistBackoff]; }
  set persistBackoff(x: number) { this.v[TCB.persistBackoff] = x; }
  get persistProbes(): number { return this.v[TCB.persistProbes]; }
  set persistProbes(x: number) { this.v[TCB.persistProbes] = x; }
  /** User timeout (RFC 9293 §3.8.4, RFC 5482), ms; 0 = none. */
  get userTimeout(): number { return this.v[TCB.userTimeout]; }
  set userTimeout(x: number) { this.v[TCB.userTimeout] = x; }
  /** When the peer's window closed with data waiting (zero-window stall start), or -1. */
  get zeroWindowSince(): number { return this.v[TCB.zeroWindowSince]; }
  set zeroWindowSince(x: number) { this.v[TCB.zeroWindowSince] = x; }
  get timeWaitAt(): number { return this.v[TCB.timeWaitAt]; }
  set timeWaitAt(x: number) { this.v[TCB.timeWaitAt] = x; }
  /** FIN_WAIT_2 of an orphaned connection ends after TCP_FIN_WAIT_TIMEOUT. */
  get finWait2At(): number { return this.v[TCB.finWait2At]; }
  set finWait2At(x: number) { this.v[TCB.finWait2At] = x; }
  get keepIdle(): number { return this.v[TCB.keepIdle]; }
  set keepIdle(x: number) { this.v[TCB.keepIdle] = x; }
  get keepIntvl(): number { return this.v[TCB.keepIntvl]; }
  set keepIntvl(x: number) { this.v[TCB.keepIntvl] = x; }
  get keepCnt(): number { return this.v[TCB.keepCnt]; }
  set keepCnt(x: number) { this.v[TCB.keepCnt] = x; }
  get pollInterval(): number { return this.v[TCB.pollInterval]; }
  set pollInterval(x: number) { this.v[TCB.pollInterval] = x; }
  get pollTicks(): number { return this.v[TCB.pollTicks]; }
  set pollTicks(x: number) { this.v[TCB.pollTicks] = x; }
  /** When the pcb entered its current state (used to find the oldest TIME_WAIT, etc.). */
  get stateSince(): number { return this.v[TCB.stateSince]; }
  set stateSince(x: number) { this.v[TCB.stateSince] = x; }
  /** Window scale (RFC 7323 §2.2): offered / negotiated. */
  get wsOk(): boolean { return this.v[TCB.wsOk] !== 0; }
  set wsOk(x: boolean) { this.v[TCB.wsOk] = x ? 1 : 0; }
  /** Added to the ms clock to form our TSval: random per connection (RFC 7323 §5.4, RFC 6528). */
  get tsOffset(): number { return this.v[TCB.tsOffset]; }
  set tsOffset(x: number) { this.v[TCB.tsOffset] = x; }
  /** Our first TSval (in our SYN or SYN-ACK): an echo older than it was never sent by us. */
  get tsFirst(): number { return this.v[TCB.tsFirst]; }
  set tsFirst(x: number) { this.v[TCB.tsFirst] = x; }
  /** TS.Recent (RFC 7323 §4.3): the peer's TSval we echo, and PAWS's reference (§5.3). */
  get tsRecent(): number { return this.v[TCB.tsRecent]; }
  set tsRecent(x: number) { this.v[TCB.tsRecent] = x; }
  /** When TS.Recent was last set, ms: after 24 days idle it is no longer valid (§5.5). */
  get tsRecentAt(): number { return this.v[TCB.tsRecentAt]; }
  set tsRecentAt(x: number) { this.v[TCB.tsRecentAt] = x; }
  /** Out-of-order segments received so far (SegMeta.rcvOrder): orders our SACK blocks. */
  get ooseqArrivals(): number { return this.v[TCB.ooseqArrivals]; }
  set ooseqArrivals(x: number) { this.v[TCB.ooseqArrivals] = x; }
  /** The outstanding tail loss probe (tlp.ts: TLP_NONE / TLP_NEW / TLP_RXT) and SND.NXT when it
   *  left (RFC 8985 TLP.end_seq). */
  get tlpState(): number { return this.v[TCB.tlpState]; }
  set tlpState(x: number) { this.v[TCB.tlpState] = x; }
  get tlpEnd(): number { return this.v[TCB.tlpEnd]; }
  set tlpEnd(x: number) { this.v[TCB.tlpEnd] = x; }
  /** The rescue retransmission of RFC 6675 §4 NextSeg rule 4 was made in this recovery (sack.ts). */
  get sackRescued(): boolean { return this.v[TCB.sackRescued] !== 0; }
  set sackRescued(x: boolean) { this.v[TCB.sackRescued] = x ? 1 : 0; }
}
