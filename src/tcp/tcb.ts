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
  /** The peer reported it in a SACK block (RFC 2018 §5, sack.ts); kept until cumulatively ACKed. */
  sacked = false;
  /** Resent during the current SACK-based recovery (RFC 6675 HighRxt, sack.ts). */
  rtxInRecovery = false;
  /** Received out of order: the connection's ooseqArrivals count when it arrived, so that SACK
   *  blocks can be reported most recent first (RFC 2018 §4). */
  rcvOrder = 0;
}

export class TcpListen {
  mempIndex = -1;
  gen = 0;
  handle: TcpPcb | null = null;
  localIp = 0;
  localPort = 0;
  backlog = 1;
  /** Connections in SYN_RCVD or accepted-but-delayed (tcp_backlog_delayed), counted against backlog. */
  pending = 0;
  soOptions = 0;
  /** Receive window given to accepted connections (SO_RCVBUF), 0 = config TCP_WND. */
  rcvWnd = 0;
  /** Nagle setting and keepalive timings inherited by accepted connections. */
  nodelay = false;
  keepIdle = 0;
  keepIntvl = 0;
  keepCnt = 0;
  arg: any = null;
  accept: TcpAcceptFn | null = null;
}

export class Tcb {
  mempIndex = -1;
  /** Moved on (retire) each time this entry is freed: code that runs callbacks compares it to notice
   *  that the connection went away meanwhile, and handles issued earlier go stale. */
  gen = 0;
  handle: TcpPcb | null = null;
  state = CLOSED;
  flags = 0;
  soOptions = 0;
  /** The listener that created this pcb while it is in SYN_RCVD (or delayed), else null. */
  listener: TcpListen | null = null;
  listenerGen = 0;
  /** Counted in the listener's backlog: in SYN_RCVD, or accepted but delayed (tcp_backlog_delayed). */
  inBacklog = false;

  localIp = 0;
  localPort = 0;
  remoteIp = 0;
  remotePort = 0;

  // --- receive side (RFC 9293 §3.3.1) ---
  irs = 0;
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
  /** Data segments still to be ACKed at once (quick-ACK start, TCP_QUICKACKS). */
  quickAcks = 0;
  /** When in-order data last arrived (quick-ACK mode again after a pause longer than the RTO). */
  lastDataAt = 0;
  ooseq: TcpSeg | null = null;
  ooseqCount = 0;
  /** When the out-of-order queue last went from empty to non-empty (TCP_OOSEQ_TIMEOUT ageing). */
  ooseqSince = -1;

  /** Data the application's recv callback refused; offered again later (lwIP refused_data). */
  refused: Pbuf | null = null;
  /** The FIN was refused along with the data (or on its own). */
  refusedFin = false;

  // --- send side ---
  iss = 0;
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
  sndWl2 = 0;
  /** Effective send MSS: the peer's MSS (536 when absent), at most our TCP_MSS. */
  mss = TCP_DEFAULT_MSS;
  /** End of the last sub-MSS segment sent (Minshall's Nagle variant). */
  sndSml = 0;
  /** When we last answered an unacceptable segment without data (rate limit, as Linux does). */
  lastOowAckAt = -1;
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
  ssthresh = 0;
  dupAcks = 0;
  /** NewReno "recover": the highest sequence sent when fast recovery began. */
  recover = 0;
  /** Bytes acknowledged during congestion avoidance, toward the next cwnd increase. */
  bytesAcked = 0;

  // --- retransmission timer (RFC 6298) ---
  srtt = 0;
  rttvar = 0;
  rto = 1000;
  /** True once a first RTT sample exists. */
  rttValid = false;
  /** The segment being timed (Karn's rule: never a retransmitted one), and when it left. */
  rttSeq = 0;
  rttStart = -1;
  /** Retransmissions of the current oldest unacknowledged segment. */
  nrtx = 0;
  /** Deadline of the retransmission timer, -1 when stopped. */
  rtxAt = -1;
  /** Tail loss probe (RFC 8985 §7, tlp.ts): the probe timer's deadline (-1 when stopped), what the
   *  outstanding probe was (TLP_NONE / TLP_NEW / TLP_RXT) and SND.NXT when it left (TLP.end_seq). */
  tlpAt = -1;
  /** The rescue retransmission of RFC 6675 §4 NextSeg rule 4 was made in this recovery (sack.ts). */
  sackRescued = false;
  tlpState = 0;
  tlpEnd = 0;
  /** The last ICMP error accepted for this connection and not acted on (a soft error, RFC 1122
   *  §4.2.3.9), as (type << 8) | code; 0 = none. Cleared when the peer acknowledges something new;
   *  chooses what a later give-up reports (ERR_RTE instead of ERR_TIMEOUT, as Linux's sk_err_soft). */
  icmpSoftErr = 0;

  // --- persist timer (zero window probes, RFC 9293 §3.8.6.1) ---
  persistAt = -1;
  persistBackoff = 0;
  persistProbes = 0;
  /** User timeout (RFC 9293 §3.8.4, RFC 5482), ms; 0 = none. */
  userTimeout = 0;
  /** When the peer's window closed with data waiting (zero-window stall start), or -1. */
  zeroWindowSince = -1;

  // --- other timers ---
  delackAt = -1;
  timeWaitAt = -1;
  /** FIN_WAIT_2 of an orphaned connection ends after TCP_FIN_WAIT_TIMEOUT. */
  finWait2At = -1;
  /** Last time a segment arrived (keepalive idleness). */
  lastActivity = 0;
  keepIdle = 0;
  keepIntvl = 0;
  keepCnt = 0;
  keepProbes = 0;
  pollInterval = 0;
  pollTicks = 0;
  /** When the pcb entered its current state (used to find the oldest TIME_WAIT, etc.). */
  stateSince = 0;

  // --- TCP options (RFC 7323, RFC 2018) ---
  // Each of wsOk, tsOk and sackOk means "we offer it" until the peer's SYN (or SYN-ACK) arrives,
  // and "both SYNs carried it" from then on: an option is used only when both sides sent it.
  /** Window scale (RFC 7323 §2.2): offered / negotiated. */
  wsOk = false;
  /** Snd.Wind.Shift (RFC 7323 §2.3): the peer's shift, applied to the window field of every
   *  segment it sends but a SYN. 0 unless negotiated. */
  sndScale = 0;
  /** Rcv.Wind.Shift: our shift, announced in our SYN; the window field we send is our window
   *  shifted right by it (never in a SYN). 0 unless negotiated. */
  rcvScale = 0;
  /** Timestamps (RFC 7323 §3.2): offered / negotiated; once negotiated every segment carries TSopt. */
  tsOk = false;
  /** Added to the ms clock to form our TSval: random per connection (RFC 7323 §5.4, RFC 6528). */
  tsOffset = 0;
  /** Our first TSval (in our SYN or SYN-ACK): an echo older than it was never sent by us. */
  tsFirst = 0;
  /** TS.Recent (RFC 7323 §4.3): the peer's TSval we echo, and PAWS's reference (§5.3). */
  tsRecent = 0;
  /** When TS.Recent was last set, ms: after 24 days idle it is no longer valid (§5.5). */
  tsRecentAt = 0;
  /** Last.ACK.sent (§4.3): the acknowledgment number of the last segment we sent. */
  lastAckSent = 0;
  /** SACK-permitted (RFC 2018 §2): offered / negotiated (only a SYN may carry it). */
  sackOk = false;
  /** Out-of-order segments received so far (TcpSeg.rcvOrder): orders our SACK blocks. */
  ooseqArrivals = 0;

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
}
