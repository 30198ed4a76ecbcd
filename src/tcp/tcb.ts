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
import { CLOSED } from './constants.js';
import { Handle } from '../core/handle.js';

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

/** A segment descriptor: queued for sending, sent and unacknowledged, or received out of order. */
export class TcpSeg {
  mempIndex = -1;
  next: TcpSeg | null = null;
  /** Payload: a pool pbuf with transport headroom (its payload is the data), possibly chained to
   *  PBUF_REF pbufs; for received segments, the received pbuf chain with headers removed. */
  p: Pbuf | null = null;
  /** Sequence number of the first octet (of the SYN, if flagged). */
  seqno = 0;
  /** Data octets (SYN and FIN not counted). */
  len = 0;
  /** TCP_SYN / TCP_FIN / TCP_PSH carried by this segment. */
  flags = 0;
  /** Times this segment has been sent. */
  sent = 0;
  // Read only in SACK loss recovery or on an out-of-order arrival, so not properties (each is an
  // XS heap slot per descriptor): the segment pool's SegMeta arrays at mempIndex hold them.
}

/** SegMeta.marks bits. The peer reported the segment in a SACK block (RFC 2018 §5, sack.ts); kept
 *  until cumulatively ACKed. */
export const SEG_SACKED = 1;
/** Resent during the current SACK-based recovery (RFC 6675 HighRxt, sack.ts). */
export const SEG_RTX = 2;

/** The TcpSeg fields kept outside the descriptors: one entry per descriptor of a segment pool, at
 *  its mempIndex. Freeing a descriptor clears its marks. */
export class SegMeta {
  /** SEG_SACKED | SEG_RTX. */
  readonly marks: Uint8Array;
  /** Received out of order: the connection's ooseqArrivals count when it arrived, so that SACK
   *  blocks can be reported most recent first (RFC 2018 §4); as unsigned 32-bit, like the runs
   *  that compare them (options.ts). */
  readonly rcvOrder: Uint32Array;
  constructor(rcvOrder: Uint32Array, marks: Uint8Array) {
    this.rcvOrder = rcvOrder;
    this.marks = marks;
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
 * Tcb field layout. The fields the per-segment path reads many times stay ordinary properties;
 * the others (timers, keepalive, RTT variance, congestion bookkeeping, listener links ...) live in
 * one Float64Array per pcb pool, TCB_COLD_FIELDS entries per Tcb at the TCB_* indices below, behind
 * getters and setters, so that code reads `pcb.irs` as before. Why: each property of an XS object
 * is a 16-byte heap slot (on the ESP32); a Float64Array entry is 8 bytes of chunk memory and no slot.
 * A getter costs XS about 17 computrons more than a property read, so only fields read about once
 * per segment or less are here (counted over a bulk transfer). Booleans are stored as 0/1.
 */
const TCB_SO_OPTIONS = 0;
const TCB_LISTENER_GEN = 1;
const TCB_IN_BACKLOG = 2;
const TCB_IRS = 3;
const TCB_OOSEQ_COUNT = 6;
const TCB_OOSEQ_SINCE = 7;
const TCB_ISS = 9;
const TCB_SND_SML = 11;
const TCB_LAST_OOW_ACK_AT = 12;
export const TCB_SSTHRESH = 13;
const TCB_RECOVER = 15;
export const TCB_BYTES_ACKED = 16;
const TCB_SRTT = 17;
const TCB_RTTVAR = 18;
const TCB_RTT_VALID = 19;
const TCB_RTT_SEQ = 20;
export const TCB_NRTX = 22;
export const TCB_ICMP_SOFT_ERR = 23;
const TCB_PERSIST_BACKOFF = 24;
export const TCB_PERSIST_PROBES = 25;
const TCB_USER_TIMEOUT = 26;
const TCB_ZERO_WINDOW_SINCE = 27;
const TCB_TIME_WAIT_AT = 28;
const TCB_FIN_WAIT2_AT = 29;
const TCB_KEEP_IDLE = 31;
const TCB_KEEP_INTVL = 32;
const TCB_KEEP_CNT = 33;
const TCB_POLL_INTERVAL = 35;
const TCB_POLL_TICKS = 30;
const TCB_STATE_SINCE = 34;
const TCB_WS_OK = 4;
const TCB_TS_OFFSET = 5;
const TCB_TS_FIRST = 8;
const TCB_TS_RECENT = 10;
const TCB_TS_RECENT_AT = 14;
const TCB_OOSEQ_ARRIVALS = 21;
const TCB_TLP_STATE = 36;
const TCB_TLP_END = 37;
const TCB_SACK_RESCUED = 38;
const TCB_LISTENER = 39;
/** Float64 entries per Tcb in its pool's array. */
export const TCB_COLD_FIELDS = 40;

export class Tcb {
  mempIndex = -1;
  /** Moved on (retire) each time this entry is freed: code that runs callbacks compares it to notice
   *  that the connection went away meanwhile, and handles issued earlier go stale. */
  gen = 0;
  handle: TcpPcb | null = null;
  state = CLOSED;
  flags = 0;

  localIp = 0;
  localPort = 0;
  remoteIp = 0;
  remotePort = 0;

  // --- receive side (RFC 9293 §3.3.1) ---
  rcvNxt = 0;
  /** Window the application has room for (grows with tcp_recved). */
  rcvWnd = 0;
  /** Largest window (TCP_WND or SO_RCVBUF). */
  rcvWndMax = 0;
  /** Window we announce (receiver SWS avoidance). */
  rcvAnnWnd = 0;
  /** Right edge of the window we last announced: never moved left (RFC 9293 §3.8.6). */
  rcvAnnRightEdge = 0;
  /** Our MSS, announced in our SYN. */
  rcvMss = TCP_DEFAULT_MSS;
  ooseq: TcpSeg | null = null;

  /** Data the application's recv callback refused; offered again later (lwIP refused_data). */
  refused: Pbuf | null = null;

  // --- send side ---
  sndUna = 0;
  sndNxt = 0;
  /** Highest sequence number sent + 1 (snd_nxt is rewound by a retransmission timeout). */
  sndMax = 0;
  /** Sequence number the next byte written by the application will get. */
  sndLbb = 0;
  sndWnd = 0;
  /** Largest window the peer has offered (RFC 1122 §4.2.3.4, RFC 5961 §5.2). */
  sndWndMax = 0;
  sndWl1 = 0;
  /** Effective send MSS: the peer's MSS (536 when absent), at most our TCP_MSS. */
  mss = TCP_DEFAULT_MSS;
  /** Free octets in the send buffer (tcp_sndbuf). */
  sndBuf = 0;
  /** Segments in unsent + unacked (tcp_sndqueuelen). */
  sndQueueLen = 0;
  unsent: TcpSeg | null = null;
  unsentTail: TcpSeg | null = null;
  unacked: TcpSeg | null = null;
  unackedTail: TcpSeg | null = null;

  // --- congestion control (RFC 5681, RFC 6582) ---
  cwnd = 0;

  // --- retransmission timer (RFC 6298) ---
  rto = 1000;
  /** Deadline of the retransmission timer, -1 when stopped. */
  rtxAt = -1;
  /** Tail loss probe (RFC 8985 §7, tlp.ts): the probe timer's deadline, -1 when stopped. */
  tlpAt = -1;

  // --- persist timer (zero window probes, RFC 9293 §3.8.6.1) ---
  persistAt = -1;

  // --- other timers ---
  delackAt = -1;

  // --- TCP options (RFC 7323, RFC 2018) ---
  // Each of wsOk, tsOk and sackOk means "we offer it" until the peer's SYN (or SYN-ACK) arrives,
  // and "both SYNs carried it" from then on: an option is used only when both sides sent it.
  /** Snd.Wind.Shift (RFC 7323 §2.3): the peer's shift, applied to the window field of every
   *  segment it sends but a SYN. 0 unless negotiated. */
  sndScale = 0;
  /** Rcv.Wind.Shift: our shift, announced in our SYN; the window field we send is our window
   *  shifted right by it (never in a SYN). 0 unless negotiated. */
  rcvScale = 0;
  /** Timestamps (RFC 7323 §3.2): offered / negotiated; once negotiated every segment carries TSopt. */
  tsOk = false;
  /** Last.ACK.sent (§4.3): the acknowledgment number of the last segment we sent. */
  lastAckSent = 0;
  /** SACK-permitted (RFC 2018 §2): offered / negotiated (only a SYN may carry it). */
  sackOk = false;
  // --- per-segment bookkeeping: read or written about once per segment or more in a bulk
  // transfer (counted), so ordinary properties, not getters over `cold` ---
  /** The FIN was refused along with the data (or on its own). */
  refusedFin = false;
  /** Last time a segment arrived (keepalive idleness). */
  lastActivity = 0;
  keepProbes = 0;
  sndWl2 = 0;
  /** When in-order data last arrived (quick-ACK mode again after a pause longer than the RTO). */
  lastDataAt = 0;
  /** Data segments still to be ACKed at once (quick-ACK start, TCP_QUICKACKS). */
  quickAcks = 0;
  dupAcks = 0;
  /** When the segment being timed (rttSeq) left, or -1 (Karn's rule: never a retransmitted one). */
  rttStart = -1;

  // --- application callbacks ---
  arg: any = null;
  recv: TcpRecvFn | null = null;
  sent: TcpSentFn | null = null;
  err: TcpErrFn | null = null;
  poll: TcpPollFn | null = null;
  connected: TcpConnectedFn | null = null;
  /** Acknowledged octets not yet reported through the sent callback. */
  ackedToReport = 0;
  /** tcp_write queued data since the last output: the timer flushes it if the application does not. */
  outputPending = false;

  /** This pool's Float64Array of the fields below (TCB_COLD_FIELDS entries per Tcb), and where
   *  this Tcb's start. Read directly (cold[coldBase + TCB_*]) only where the ACK path writes
   *  several of them per segment: a getter call costs more than the array access. */
  readonly cold: Float64Array;
  readonly coldBase: number;

  constructor(cold: Float64Array = new Float64Array(TCB_COLD_FIELDS), index = 0) {
    this.cold = cold;
    const coldBase = index * TCB_COLD_FIELDS;
    this.coldBase = coldBase;
    cold[coldBase + TCB_OOSEQ_SINCE] = -1;
    cold[coldBase + TCB_LAST_OOW_ACK_AT] = -1;
    cold[coldBase + TCB_ZERO_WINDOW_SINCE] = -1;
    cold[coldBase + TCB_TIME_WAIT_AT] = -1;
    cold[coldBase + TCB_FIN_WAIT2_AT] = -1;
    cold[coldBase + TCB_LISTENER] = -1;
  }

  // --- fields read less than about once per segment: kept in `cold` (see the top of this file) ---
  get soOptions(): number { return this.cold[this.coldBase + TCB_SO_OPTIONS]; }
  set soOptions(v: number) { this.cold[this.coldBase + TCB_SO_OPTIONS] = v; }
  /** The listen pool index of the listener that created this pcb while it is in SYN_RCVD (or
   *  delayed), else -1 (TcpTable.listenerOf resolves it): read only at handshake and close. */
  get listenerIndex(): number { return this.cold[this.coldBase + TCB_LISTENER]; }
  set listenerIndex(v: number) { this.cold[this.coldBase + TCB_LISTENER] = v; }
  get listenerGen(): number { return this.cold[this.coldBase + TCB_LISTENER_GEN]; }
  set listenerGen(v: number) { this.cold[this.coldBase + TCB_LISTENER_GEN] = v; }
  /** Counted in the listener's backlog: in SYN_RCVD, or accepted but delayed (tcp_backlog_delayed). */
  get inBacklog(): boolean { return this.cold[this.coldBase + TCB_IN_BACKLOG] !== 0; }
  set inBacklog(v: boolean) { this.cold[this.coldBase + TCB_IN_BACKLOG] = v ? 1 : 0; }
  get irs(): number { return this.cold[this.coldBase + TCB_IRS]; }
  set irs(v: number) { this.cold[this.coldBase + TCB_IRS] = v; }
  get ooseqCount(): number { return this.cold[this.coldBase + TCB_OOSEQ_COUNT]; }
  set ooseqCount(v: number) { this.cold[this.coldBase + TCB_OOSEQ_COUNT] = v; }
  /** When the out-of-order queue last went from empty to non-empty (TCP_OOSEQ_TIMEOUT ageing). */
  get ooseqSince(): number { return this.cold[this.coldBase + TCB_OOSEQ_SINCE]; }
  set ooseqSince(v: number) { this.cold[this.coldBase + TCB_OOSEQ_SINCE] = v; }
  get iss(): number { return this.cold[this.coldBase + TCB_ISS]; }
  set iss(v: number) { this.cold[this.coldBase + TCB_ISS] = v; }
  /** End of the last sub-MSS segment sent (Minshall's Nagle variant). */
  get sndSml(): number { return this.cold[this.coldBase + TCB_SND_SML]; }
  set sndSml(v: number) { this.cold[this.coldBase + TCB_SND_SML] = v; }
  /** When we last answered an unacceptable segment without data (rate limit, as Linux does). */
  get lastOowAckAt(): number { return this.cold[this.coldBase + TCB_LAST_OOW_ACK_AT]; }
  set lastOowAckAt(v: number) { this.cold[this.coldBase + TCB_LAST_OOW_ACK_AT] = v; }
  get ssthresh(): number { return this.cold[this.coldBase + TCB_SSTHRESH]; }
  set ssthresh(v: number) { this.cold[this.coldBase + TCB_SSTHRESH] = v; }
  /** NewReno "recover": the highest sequence sent when fast recovery began. */
  get recover(): number { return this.cold[this.coldBase + TCB_RECOVER]; }
  set recover(v: number) { this.cold[this.coldBase + TCB_RECOVER] = v; }
  /** Bytes acknowledged during congestion avoidance, toward the next cwnd increase. */
  get bytesAcked(): number { return this.cold[this.coldBase + TCB_BYTES_ACKED]; }
  set bytesAcked(v: number) { this.cold[this.coldBase + TCB_BYTES_ACKED] = v; }
  get srtt(): number { return this.cold[this.coldBase + TCB_SRTT]; }
  set srtt(v: number) { this.cold[this.coldBase + TCB_SRTT] = v; }
  get rttvar(): number { return this.cold[this.coldBase + TCB_RTTVAR]; }
  set rttvar(v: number) { this.cold[this.coldBase + TCB_RTTVAR] = v; }
  /** True once a first RTT sample exists. */
  get rttValid(): boolean { return this.cold[this.coldBase + TCB_RTT_VALID] !== 0; }
  set rttValid(v: boolean) { this.cold[this.coldBase + TCB_RTT_VALID] = v ? 1 : 0; }
  /** The segment being timed (Karn's rule: never a retransmitted one), and when it left. */
  get rttSeq(): number { return this.cold[this.coldBase + TCB_RTT_SEQ]; }
  set rttSeq(v: number) { this.cold[this.coldBase + TCB_RTT_SEQ] = v; }
  /** Retransmissions of the current oldest unacknowledged segment. */
  get nrtx(): number { return this.cold[this.coldBase + TCB_NRTX]; }
  set nrtx(v: number) { this.cold[this.coldBase + TCB_NRTX] = v; }
  /** The last ICMP error accepted for this connection and not acted on (a soft error, RFC 1122
   *  §4.2.3.9), as (type << 8) | code; 0 = none. Cleared when the peer acknowledges something new;
   *  chooses what a later give-up reports (ERR_RTE instead of ERR_TIMEOUT, as Linux's sk_err_soft). */
  get icmpSoftErr(): number { return this.cold[this.coldBase + TCB_ICMP_SOFT_ERR]; }
  set icmpSoftErr(v: number) { this.cold[this.coldBase + TCB_ICMP_SOFT_ERR] = v; }
  get persistBackoff(): number { return this.cold[this.coldBase + TCB_PERSIST_BACKOFF]; }
  set persistBackoff(v: number) { this.cold[this.coldBase + TCB_PERSIST_BACKOFF] = v; }
  get persistProbes(): number { return this.cold[this.coldBase + TCB_PERSIST_PROBES]; }
  set persistProbes(v: number) { this.cold[this.coldBase + TCB_PERSIST_PROBES] = v; }
  /** User timeout (RFC 9293 §3.8.4, RFC 5482), ms; 0 = none. */
  get userTimeout(): number { return this.cold[this.coldBase + TCB_USER_TIMEOUT]; }
  set userTimeout(v: number) { this.cold[this.coldBase + TCB_USER_TIMEOUT] = v; }
  /** When the peer's window closed with data waiting (zero-window stall start), or -1. */
  get zeroWindowSince(): number { return this.cold[this.coldBase + TCB_ZERO_WINDOW_SINCE]; }
  set zeroWindowSince(v: number) { this.cold[this.coldBase + TCB_ZERO_WINDOW_SINCE] = v; }
  get timeWaitAt(): number { return this.cold[this.coldBase + TCB_TIME_WAIT_AT]; }
  set timeWaitAt(v: number) { this.cold[this.coldBase + TCB_TIME_WAIT_AT] = v; }
  /** FIN_WAIT_2 of an orphaned connection ends after TCP_FIN_WAIT_TIMEOUT. */
  get finWait2At(): number { return this.cold[this.coldBase + TCB_FIN_WAIT2_AT]; }
  set finWait2At(v: number) { this.cold[this.coldBase + TCB_FIN_WAIT2_AT] = v; }
  get keepIdle(): number { return this.cold[this.coldBase + TCB_KEEP_IDLE]; }
  set keepIdle(v: number) { this.cold[this.coldBase + TCB_KEEP_IDLE] = v; }
  get keepIntvl(): number { return this.cold[this.coldBase + TCB_KEEP_INTVL]; }
  set keepIntvl(v: number) { this.cold[this.coldBase + TCB_KEEP_INTVL] = v; }
  get keepCnt(): number { return this.cold[this.coldBase + TCB_KEEP_CNT]; }
  set keepCnt(v: number) { this.cold[this.coldBase + TCB_KEEP_CNT] = v; }
  get pollInterval(): number { return this.cold[this.coldBase + TCB_POLL_INTERVAL]; }
  set pollInterval(v: number) { this.cold[this.coldBase + TCB_POLL_INTERVAL] = v; }
  get pollTicks(): number { return this.cold[this.coldBase + TCB_POLL_TICKS]; }
  set pollTicks(v: number) { this.cold[this.coldBase + TCB_POLL_TICKS] = v; }
  /** When the pcb entered its current state (used to find the oldest TIME_WAIT, etc.). */
  get stateSince(): number { return this.cold[this.coldBase + TCB_STATE_SINCE]; }
  set stateSince(v: number) { this.cold[this.coldBase + TCB_STATE_SINCE] = v; }
  // TCP options state read only on a SYN, an out-of-order arrival, or (tsOffset, tsRecent) per
  // segment once timestamps are negotiated, which TCP_TIMESTAMPS leaves off by default
  /** Window scale (RFC 7323 §2.2): offered / negotiated. */
  get wsOk(): boolean { return this.cold[this.coldBase + TCB_WS_OK] !== 0; }
  set wsOk(v: boolean) { this.cold[this.coldBase + TCB_WS_OK] = v ? 1 : 0; }
  /** Added to the ms clock to form our TSval: random per connection (RFC 7323 §5.4, RFC 6528). */
  get tsOffset(): number { return this.cold[this.coldBase + TCB_TS_OFFSET]; }
  set tsOffset(v: number) { this.cold[this.coldBase + TCB_TS_OFFSET] = v; }
  /** Our first TSval (in our SYN or SYN-ACK): an echo older than it was never sent by us. */
  get tsFirst(): number { return this.cold[this.coldBase + TCB_TS_FIRST]; }
  set tsFirst(v: number) { this.cold[this.coldBase + TCB_TS_FIRST] = v; }
  /** TS.Recent (RFC 7323 §4.3): the peer's TSval we echo, and PAWS's reference (§5.3). */
  get tsRecent(): number { return this.cold[this.coldBase + TCB_TS_RECENT]; }
  set tsRecent(v: number) { this.cold[this.coldBase + TCB_TS_RECENT] = v; }
  /** When TS.Recent was last set, ms: after 24 days idle it is no longer valid (§5.5). */
  get tsRecentAt(): number { return this.cold[this.coldBase + TCB_TS_RECENT_AT]; }
  set tsRecentAt(v: number) { this.cold[this.coldBase + TCB_TS_RECENT_AT] = v; }
  /** Out-of-order segments received so far (SegMeta.rcvOrder): orders our SACK blocks. */
  get ooseqArrivals(): number { return this.cold[this.coldBase + TCB_OOSEQ_ARRIVALS]; }
  set ooseqArrivals(v: number) { this.cold[this.coldBase + TCB_OOSEQ_ARRIVALS] = v; }
  /** The outstanding tail loss probe (tlp.ts: TLP_NONE / TLP_NEW / TLP_RXT) and SND.NXT when it
   *  left (RFC 8985 TLP.end_seq). */
  get tlpState(): number { return this.cold[this.coldBase + TCB_TLP_STATE]; }
  set tlpState(v: number) { this.cold[this.coldBase + TCB_TLP_STATE] = v; }
  get tlpEnd(): number { return this.cold[this.coldBase + TCB_TLP_END]; }
  set tlpEnd(v: number) { this.cold[this.coldBase + TCB_TLP_END] = v; }
  /** The rescue retransmission of RFC 6675 §4 NextSeg rule 4 was made in this recovery (sack.ts). */
  get sackRescued(): boolean { return this.cold[this.coldBase + TCB_SACK_RESCUED] !== 0; }
  set sackRescued(v: boolean) { this.cold[this.coldBase + TCB_SACK_RESCUED] = v ? 1 : 0; }
}
