/**
 * The TCP layer: pcb pools and tables, segment arrival (RFC 9293 §3.10.7, step by step), output and
 * segmentation, timers (RFC 6298 retransmission, persist, delayed ACK, keepalive, TIME_WAIT) and
 * congestion control (RFC 5681, NewReno RFC 6582).
 *
 * Nothing here allocates per segment: pcbs, segment descriptors and pbufs come from fixed pools,
 * the parsed header lives in one TcpSegInfo reused for every segment, and callbacks are the ones the
 * application registered. The public lwIP-style API lives in src/api/tcp_api.ts and calls the
 * methods below through a TcpPcb handle.
 */
import type { StackCore } from '../core/context.js';
import type { Pbuf, PoolStats } from '../core/pbuf.js';
import {
  pbuf_free, pbuf_add_header, pbuf_remove_header, pbuf_realloc, pbuf_cat, copyBytes, pbufAlignPayload, PBUF_TRANSPORT,
  pbuf_clen,
} from '../core/pbuf.js';
import { Memp } from '../core/memp.js';
import { TokenBucket } from '../core/ratelimit.js';
import {
  ERR_OK, ERR_MEM, ERR_VAL, ERR_USE, ERR_CONN, ERR_RTE, ERR_ABRT, ERR_RST, ERR_CLSD, ERR_TIMEOUT, ERR_ISCONN,
  ERR_ARG,
} from '../core/err.js';
import type { Err } from '../core/err.js';
import { seqLt, seqLeq, seqGt, seqGeq } from '../core/seq.js';
import type { Ip4, IpProtocolHandler } from '../ipv4/ip4.js';
import type { Ip4Header } from '../wire/ipv4.js';
import { IP_PROTO_TCP } from '../wire/ipv4.js';
import { ICMP_DUR, ICMP_TE, ICMP_DUR_FRAG } from '../wire/icmp.js';
import {
  TcpSegInfo, tcpParse, TCP_ERR_OPT, tcpWriteHeader, tcpWriteOptMss, tcpChecksum, TCP_HLEN,
  TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK,
} from '../wire/tcp.js';
import {
  CLOSED, LISTEN, SYN_SENT, SYN_RCVD, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING,
  LAST_ACK, TIME_WAIT, tcpStateName, TCP_WRITE_FLAG_COPY, TCP_WRITE_FLAG_MORE, SOF_REUSEADDR, SOF_INHERITED,
  SOF_KEEPALIVE, TF_ACK_DELAY, TF_ACK_NOW, TF_NODELAY, TF_FIN_QUEUED, TF_RXCLOSED, TF_CLOSED_BY_APP, TF_INFR,
  TF_NAGLEMEMERR, TF_SYN_RTX, TF_PASSIVE, TF_FIN_RECVD, TF_TXCLOSED, CAUSE_API, CAUSE_SEGMENT, CAUSE_TIMER,
  CAUSE_ICMP,
} from './constants.js';
import { Tcb, TcpListen, TcpSeg, TcpPcb } from './pcb.js';

/** What the state-transition hook receives (one object, reused: copy what you keep). */
export class TcpTraceInfo {
  /** The application's handle, or null for a pcb the application no longer holds. */
  pcb: TcpPcb | null = null;
  from = CLOSED;
  to = CLOSED;
  cause = '';
  localIp = 0;
  localPort = 0;
  remoteIp = 0;
  remotePort = 0;
  time = 0;
}

export interface NetstatRow {
  proto: string;
  local: string;
  remote: string;
  state: string;
  /** Octets written and not yet acknowledged (queued + in flight). */
  sendQ: number;
  /** Octets received and not yet consumed by the application (tcp_recved). */
  recvQ: number;
}

/** Orphaned FIN_WAIT_2 connections (closed by the application) are freed after this long, ms
 *  (lwIP TCP_FIN_WAIT_TIMEOUT, Linux tcp_fin_timeout). */
const FIN_WAIT_TIMEOUT = 20000;
/** RFC 6298 §5.7: after a retransmitted SYN, the RTO is re-initialized to 3 s when data transfer
 *  begins (the backed-off SYN timer is not carried over; Karn forbids a sample from the SYN). */
const RTO_AFTER_SYN_LOSS = 3000;
/** Clock granularity G of RFC 6298 §2, ms. */
const CLOCK_GRANULARITY = 1;

const NO_TIME = -1;
/** Out-of-order segments shorter than this are "tiny": each would cost a whole pool buffer for a
 *  few octets, so a connection holds two at most (Nagle's tinygrams; no real sender's
 *  retransmission pattern leaves many of them beyond a hole). */
const TINY_SEGMENT = 64;

/**
 * ICMP destination unreachable codes that end a connection still being opened (RFC 1122 §4.2.3.9:
 * codes 2-4 are hard errors; Linux adds the administratively prohibited ones):
 * 2 protocol and 3 port unreachable, 9 network, 10 host and 13 communication administratively
 * prohibited. Code 4 (fragmentation needed and DF set) is soft here: we never set DF on TCP.
 */
function icmpHardError(type: number, code: number): boolean {
  return type === ICMP_DUR && (code === 2 || code === 3 || code === 9 || code === 10 || code === 13);
}

/** What a connection reports when it gives up after ICMP error `e` ((type << 8) | code, 0 = none)
 *  was recorded: ERR_RTE ("host unreachable", as Linux reports EHOSTUNREACH) for a destination
 *  unreachable other than code 4, or a time exceeded; ERR_TIMEOUT otherwise. */
function icmpSoftErrReport(e: number): Err {
  const type = e >>> 8;
  if ((type === ICMP_DUR && (e & 0xff) !== ICMP_DUR_FRAG) || type === ICMP_TE) return ERR_RTE;
  return ERR_TIMEOUT;
}

export class TcpLayer implements IpProtocolHandler {
  readonly core: StackCore;
  readonly ip: Ip4;
  readonly pcbPool: Memp<Tcb>;
  readonly listenPool: Memp<TcpListen>;
  readonly segPool: Memp<TcpSeg>;
  /** Every pcb taken from the pool, in any state but LISTEN (bound, connecting, open, closing). */
  private readonly active: Tcb[];
  private nActive = 0;
  private readonly listeners: TcpListen[];
  private nListeners = 0;
  /** The parsed header of the segment being processed. */
  private readonly seg = new TcpSegInfo();
  /** Data octets of the segment being processed (after trimming), and its payload. */
  private segLen = 0;
  private segP: Pbuf | null = null;
  private segSrc = 0;
  /** Sequence number a FIN on the current segment occupies. */
  private segFinSeq = 0;
  private segDst = 0;
  /** In-order data gathered while processing one segment, handed to the application once. */
  private recvData: Pbuf | null = null;
  private recvFin = false;
  /** RFC 6528 secret key for initial sequence numbers. */
  private readonly isnKey: Uint32Array;
  private nextPort: number;
  private nextCoarse = 0;
  trace: ((info: TcpTraceInfo) => void) | null = null;
  private readonly traceInfo = new TcpTraceInfo();
  /** RFC 5961 §7: challenge ACKs and ACKs to unacceptable segments, all connections together. */
  private readonly invalidAckLimit: TokenBucket;
  /** RSTs answering segments for no connection (TCP_RST_LIMIT). */
  private readonly rstLimit: TokenBucket;
  /** ACKs to unacceptable segments and RSTs not sent because a rate limit refused them. */
  reflectionsLimited = 0;
  /** Half-open connections dropped for a new SYN, or because their peer never resolved. */
  halfOpenDropped = 0;

  constructor(core: StackCore, ip: Ip4) {
    this.core = core;
    this.ip = ip;
    const cfg = core.config;
    this.pcbPool = new Memp<Tcb>('tcp_pcb', cfg.MEMP_NUM_TCP_PCB, () => new Tcb());
    this.listenPool = new Memp<TcpListen>('tcp_pcb_listen', cfg.MEMP_NUM_TCP_PCB_LISTEN, () => new TcpListen());
    this.segPool = new Memp<TcpSeg>('tcp_seg', cfg.MEMP_NUM_TCP_SEG, () => new TcpSeg());
    this.active = new Array<Tcb>(cfg.MEMP_NUM_TCP_PCB);
    this.listeners = new Array<TcpListen>(cfg.MEMP_NUM_TCP_PCB_LISTEN);
    this.isnKey = new Uint32Array(4);
    for (let i = 0; i < 4; i++) this.isnKey[i] = core.random.nextU32();
    this.invalidAckLimit = new TokenBucket(0, 1);
    this.invalidAckLimit.setRate(cfg.TCP_CHALLENGE_ACK_LIMIT, cfg.TCP_CHALLENGE_ACK_LIMIT, core.now);
    this.rstLimit = new TokenBucket(0, 1);
    this.rstLimit.setRate(cfg.TCP_RST_LIMIT, cfg.TCP_RST_LIMIT > 10 ? Math.floor(cfg.TCP_RST_LIMIT / 10) : 1, core.now);
    const range = cfg.TCP_LOCAL_PORT_RANGE_END - cfg.TCP_LOCAL_PORT_RANGE_START + 1;
    this.nextPort = cfg.TCP_LOCAL_PORT_RANGE_START + (core.random.nextU32() % range);
  }

  pools(): { name: string; stats: PoolStats }[] {
    return [
      { name: this.pcbPool.name, stats: this.pcbPool.stats },
      { name: this.listenPool.name, stats: this.listenPool.stats },
      { name: this.segPool.name, stats: this.segPool.stats },
    ];
  }

  // ---------------------------------------------------------------------------------------------
  // pcb tables
  // ---------------------------------------------------------------------------------------------

  /** A fresh pcb in CLOSED, recycling when the pool is empty, least valuable first (lwIP's
   *  tcp_kill_state order, extended against floods): TIME_WAIT, then a half-open connection
   *  (TCP_SYN_EVICT), then orphans — LAST_ACK, CLOSING, FIN_WAIT_1 closed by the application —
   *  the oldest of each first. */
  allocPcb(): Tcb | null {
    let pcb = this.pcbPool.alloc();
    if (pcb === null) {
      if (this.evictOldest(TIME_WAIT) || (this.core.config.TCP_SYN_EVICT && this.evictHalfOpen(null))
        || this.evictOldest(LAST_ACK) || this.evictOldest(CLOSING) || this.evictOldest(FIN_WAIT_1)) {
        pcb = this.pcbPool.alloc();
      }
      if (pcb === null) { this.core.stats.tcp.memerr++; return null; }
    }
    this.resetPcb(pcb);
    this.active[this.nActive++] = pcb;
    return pcb;
  }

  private evictOldest(state: number): boolean {
    let oldest: Tcb | null = null;
    for (let i = 0; i < this.nActive; i++) {
      const p = this.active[i];
      // FIN_WAIT_1 only when orphaned: a half-closed connection's application still reads
      if (state === FIN_WAIT_1 && (p.flags & TF_CLOSED_BY_APP) === 0) continue;
      if (p.state === state && (oldest === null || p.stateSince < oldest.stateSince)) oldest = p;
    }
    if (oldest === null) return false;
    if (state === TIME_WAIT) this.freePcb(oldest, 0, CAUSE_API);
    else this.abortPcb(oldest, ERR_ABRT, true);
    return true;
  }

  /**
   * Drops a half-open connection (passive SYN_RCVD, not yet accepted) of listener `l` (any listener
   * when null) to make room for a new SYN (RFC 4987 §3.5, recycling the oldest half-open TCB): one
   * whose peer has not resolved by ARP (a spoofed source: a LAN client asks for our MAC before its
   * SYN, so we know it), else the oldest whose SYN-ACK went unanswered for an RTO. Silent, as Linux
   * drops a request sock. Returns false when there is none.
   */
  private evictHalfOpen(l: TcpListen | null): boolean {
    let best: Tcb | null = null;
    let bestResolved = true;
    for (let i = 0; i < this.nActive; i++) {
      const p = this.active[i];
      if (p.state !== SYN_RCVD || (p.flags & TF_PASSIVE) === 0 || p.handle !== null || !p.inBacklog) continue;
      if (l !== null && (p.listener !== l || p.listenerGen !== l.gen)) continue;
      const resolved = this.ip.nextHopResolved(p.remoteIp);
      // a fresh half-open of a peer that resolved is a real client whose SYN-ACK is on its way:
      // evicting it would answer its ACK with a RST; it goes only once that SYN-ACK went unanswered
      if (resolved && p.nrtx === 0) continue;
      if (best === null || (bestResolved && !resolved) || (resolved === bestResolved && p.stateSince < best.stateSince)) {
        best = p;
        bestResolved = resolved;
      }
    }
    if (best === null) return false;
    this.halfOpenDropped++;
    this.setState(best, LISTEN, CAUSE_SEGMENT);
    best.state = CLOSED;
    this.freePcb(best, 0, CAUSE_SEGMENT);
    return true;
  }

  private resetPcb(pcb: Tcb): void {
    const cfg = this.core.config;
    pcb.handle = null;
    pcb.state = CLOSED;
    pcb.flags = 0;
    pcb.soOptions = 0;
    pcb.listener = null;
    pcb.listenerGen = 0;
    pcb.inBacklog = false;
    pcb.localIp = 0; pcb.localPort = 0; pcb.remoteIp = 0; pcb.remotePort = 0;
    pcb.irs = 0; pcb.rcvNxt = 0;
    pcb.rcvWndMax = cfg.TCP_WND;
    pcb.rcvWnd = cfg.TCP_WND;
    pcb.rcvAnnRightEdge = 0;
    pcb.rcvAnnWnd = 0;
    pcb.rcvMss = Math.min(cfg.TCP_MSS, cfg.MTU - 40);
    pcb.quickAcks = 0;
    pcb.ooseq = null; pcb.ooseqCount = 0; pcb.ooseqSince = NO_TIME;
    pcb.userTimeout = cfg.TCP_USER_TIMEOUT; pcb.zeroWindowSince = NO_TIME;
    pcb.refused = null; pcb.refusedFin = false;
    pcb.iss = 0; pcb.sndUna = 0; pcb.sndNxt = 0; pcb.sndMax = 0; pcb.sndLbb = 0;
    pcb.sndWnd = 0; pcb.sndWndMax = 0; pcb.sndWl1 = 0; pcb.sndWl2 = 0;
    pcb.mss = 536;
    pcb.sndSml = 0;
    pcb.lastOowAckAt = NO_TIME;
    pcb.sndBuf = cfg.TCP_SND_BUF;
    pcb.sndQueueLen = 0;
    pcb.unsent = null; pcb.unsentTail = null; pcb.unacked = null; pcb.unackedTail = null;
    pcb.cwnd = 0; pcb.ssthresh = 0x7fffffff; pcb.dupAcks = 0; pcb.recover = 0; pcb.bytesAcked = 0;
    pcb.srtt = 0; pcb.rttvar = 0; pcb.rto = cfg.TCP_RTO_INITIAL; pcb.rttValid = false;
    pcb.rttSeq = 0; pcb.rttStart = NO_TIME; pcb.nrtx = 0; pcb.rtxAt = NO_TIME;
    pcb.icmpSoftErr = 0;
    pcb.persistAt = NO_TIME; pcb.persistBackoff = 0; pcb.persistProbes = 0;
    pcb.delackAt = NO_TIME; pcb.timeWaitAt = NO_TIME; pcb.finWait2At = NO_TIME;
    pcb.lastActivity = this.core.now;
    pcb.keepIdle = cfg.TCP_KEEPIDLE_DEFAULT; pcb.keepIntvl = cfg.TCP_KEEPINTVL_DEFAULT;
    pcb.keepCnt = cfg.TCP_KEEPCNT_DEFAULT; pcb.keepProbes = 0; pcb.keepAt = NO_TIME;
    pcb.pollInterval = 0; pcb.pollTicks = 0;
    pcb.stateSince = this.core.now;
    pcb.arg = null; pcb.recv = null; pcb.sent = null; pcb.err = null; pcb.poll = null; pcb.connected = null;
    pcb.ackedToReport = 0;
    pcb.outputPending = false;
  }

  /**
   * Releases a pcb: its queued segments and data go back to the pools, the application's handle is
   * cut off (every later call on it returns ERR_CLSD), and then — with the pcb already gone, as
   * lwIP documents — the error callback is called with `errCode` when it is not 0.
   */
  freePcb(pcb: Tcb, errCode: Err, cause: string): void {
    if (pcb.state !== CLOSED) this.setState(pcb, CLOSED, cause);
    const errFn = pcb.err;
    const arg = pcb.arg;
    this.freeSegs(pcb.unsent);
    this.freeSegs(pcb.unacked);
    this.freeSegs(pcb.ooseq);
    pcb.unsent = pcb.unsentTail = pcb.unacked = pcb.unackedTail = pcb.ooseq = null;
    pcb.ooseqCount = 0;
    if (pcb.refused !== null) { pbuf_free(pcb.refused); pcb.refused = null; }
    this.leaveBacklog(pcb);
    pcb.listener = null;
    const h = pcb.handle;
    detachApp(pcb);
    pcb.gen++;
    this.nActive = swapRemove(this.active, this.nActive, pcb);
    this.pcbPool.release(pcb);
    if (errCode !== 0 && errFn !== null && h !== null) errFn(arg, errCode);
  }

  /** Stops counting `pcb` against its listener's backlog. */
  leaveBacklog(pcb: Tcb): void {
    const l = pcb.listener;
    if (pcb.inBacklog && l !== null && l.gen === pcb.listenerGen && l.pending > 0) l.pending--;
    pcb.inBacklog = false;
  }

  /** tcp_backlog_delayed: an accepted connection counts against the backlog again. */
  backlogDelayed(pcb: Tcb): void {
    const l = pcb.listener;
    if (!pcb.inBacklog && l !== null && l.gen === pcb.listenerGen) { l.pending++; pcb.inBacklog = true; }
  }

  private freeSegs(seg: TcpSeg | null): void {
    while (seg !== null) {
      const next = seg.next;
      this.freeSeg(seg);
      seg = next;
    }
  }

  private freeSeg(seg: TcpSeg): void {
    if (seg.p !== null) { pbuf_free(seg.p); seg.p = null; }
    seg.next = null;
    this.segPool.release(seg);
  }

  private setState(pcb: Tcb, to: number, cause: string): void {
    const from = pcb.state;
    if (from === to) return;
    if (to === ESTABLISHED) {
      this.enterQuickAck(pcb);
      pcb.lastDataAt = this.core.now;
    }
    pcb.state = to;
    pcb.stateSince = this.core.now;
    if (this.trace !== null) {
      this.emitTrace(pcb.handle, from, to, cause, pcb.localIp, pcb.localPort, pcb.remoteIp, pcb.remotePort);
    }
  }

  /** Quick-ACK mode (as Linux): the next data segments are ACKed at once, as many as
   *  clamp(window / (2 x 536), 2, TCP_QUICKACKS). */
  private enterQuickAck(pcb: Tcb): void {
    let q = Math.floor(pcb.rcvWndMax / (2 * 536));
    if (q < 2) q = 2;
    const max = this.core.config.TCP_QUICKACKS;
    pcb.quickAcks = q < max ? q : max;
  }

  private traceListener(l: TcpListen, from: number, to: number): void {
    if (this.trace !== null) this.emitTrace(l.handle, from, to, CAUSE_API, l.localIp, l.localPort, 0, 0);
  }

  private emitTrace(handle: TcpPcb | null, from: number, to: number, cause: string, localIp: number,
    localPort: number, remoteIp: number, remotePort: number): void {
    const t = this.trace;
    if (t === null) return;
    const info = this.traceInfo;
    info.pcb = handle;
    info.from = from;
    info.to = to;
    info.cause = cause;
    info.localIp = localIp;
    info.localPort = localPort;
    info.remoteIp = remoteIp;
    info.remotePort = remotePort;
    info.time = this.core.now;
    t(info);
  }

  /** The pcb with exactly this 4-tuple (any state past LISTEN), else null. */
  findConn(localIp: number, localPort: number, remoteIp: number, remotePort: number): Tcb | null {
    for (let i = 0; i < this.nActive; i++) {
      const p = this.active[i];
      if (p.state !== CLOSED && p.localPort === localPort && p.remotePort === remotePort
        && p.remoteIp === remoteIp && (p.localIp === localIp || p.localIp === 0)) return p;
    }
    return null;
  }

  findListener(localIp: number, localPort: number): TcpListen | null {
    let wildcard: TcpListen | null = null;
    for (let i = 0; i < this.nListeners; i++) {
      const l = this.listeners[i];
      if (l.localPort !== localPort) continue;
      if (l.localIp === localIp) return l;
      if (l.localIp === 0) wildcard = l;
    }
    return wildcard;
  }

  // ---------------------------------------------------------------------------------------------
  // Initial sequence numbers (RFC 6528) and ports
  // ---------------------------------------------------------------------------------------------

  /** Test hook: when set, initial sequence numbers come from here (scripted conformance tests fix
   *  our ISN); never set in production. */
  isnOverride: ((localIp: number, localPort: number, remoteIp: number, remotePort: number) => number) | null = null;

  /** ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs clock (RFC 6528 §3). */
  private newIss(localIp: number, localPort: number, remoteIp: number, remotePort: number): number {
    const o = this.isnOverride;
    if (o !== null) return o(localIp, localPort, remoteIp, remotePort) >>> 0;
    const k = this.isnKey;
    let h = k[0];
    h = mix(h ^ localIp, k[1]);
    h = mix(h ^ remoteIp, k[2]);
    h = mix(h ^ ((localPort << 16) | remotePort), k[3]);
    h = mix(h, k[0] ^ k[2]);
    const m = Math.floor(this.core.now * 250);
    return (h + m) >>> 0;
  }

  private portInUse(port: number): boolean {
    for (let i = 0; i < this.nActive; i++) if (this.active[i].localPort === port) return true;
    for (let i = 0; i < this.nListeners; i++) if (this.listeners[i].localPort === port) return true;
    return false;
  }

  private ephemeralPort(): number {
    const cfg = this.core.config;
    const lo = cfg.TCP_LOCAL_PORT_RANGE_START;
    const n = cfg.TCP_LOCAL_PORT_RANGE_END - lo + 1;
    for (let tries = 0; tries < n; tries++) {
      const port = this.nextPort;
      this.nextPort = port >= cfg.TCP_LOCAL_PORT_RANGE_END ? lo : port + 1;
      if (!this.portInUse(port)) return port;
    }
    return 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Operations behind the raw API
  // ---------------------------------------------------------------------------------------------

  bind(pcb: Tcb, ip: number, port: number): Err {
    if (pcb.state !== CLOSED || pcb.localPort !== 0) return ERR_VAL;
    if (ip !== 0 && ip !== this.ip.ourAddress) return ERR_VAL;
    if (port === 0) {
      port = this.ephemeralPort();
      if (port === 0) return ERR_USE;
    } else if (this.bindConflict(pcb.soOptions, ip, port)) {
      return ERR_USE;
    }
    pcb.localIp = ip;
    pcb.localPort = port;
    return ERR_OK;
  }

  /**
   * Whether binding (ip, port) clashes with an existing pcb. A listener always clashes; a TIME_WAIT
   * connection does not when SO_REUSEADDR is set (lwIP, and seed 004's restart of a server whose
   * old connections sit in TIME_WAIT); another connection does unless both sides set SO_REUSEADDR
   * (accepted connections inherit the option from their listener).
   */
  private bindConflict(soOptions: number, ip: number, port: number): boolean {
    const reuse = (soOptions & SOF_REUSEADDR) !== 0;
    for (let i = 0; i < this.nListeners; i++) {
      const l = this.listeners[i];
      if (l.localPort === port && (l.localIp === 0 || ip === 0 || l.localIp === ip)) return true;
    }
    for (let i = 0; i < this.nActive; i++) {
      const p = this.active[i];
      if (p.localPort !== port || !(p.localIp === 0 || ip === 0 || p.localIp === ip)) continue;
      if (p.state === TIME_WAIT) { if (!reuse) return true; continue; }
      if (!reuse || (p.soOptions & SOF_REUSEADDR) === 0) return true;
    }
    return false;
  }

  listen(pcb: Tcb, backlog: number, handle: TcpPcb): TcpListen | null {
    if (pcb.state !== CLOSED) return null;
    if (pcb.localPort === 0) {
      const port = this.ephemeralPort();
      if (port === 0) return null;
      pcb.localPort = port;
    }
    for (let i = 0; i < this.nListeners; i++) {
      const o = this.listeners[i];
      if (o.localPort === pcb.localPort && (o.localIp === 0 || pcb.localIp === 0 || o.localIp === pcb.localIp)) return null;
    }
    const l = this.listenPool.alloc();
    if (l === null) return null;
    l.handle = handle;
    l.localIp = pcb.localIp;
    l.localPort = pcb.localPort;
    l.backlog = backlog < 1 ? 1 : (backlog > 255 ? 255 : backlog);
    l.pending = 0;
    l.soOptions = pcb.soOptions;
    l.rcvWnd = pcb.rcvWndMax !== this.core.config.TCP_WND ? pcb.rcvWndMax : 0;
    l.nodelay = (pcb.flags & TF_NODELAY) !== 0;
    l.keepIdle = pcb.keepIdle;
    l.keepIntvl = pcb.keepIntvl;
    l.keepCnt = pcb.keepCnt;
    l.arg = pcb.arg;
    l.accept = null;
    this.listeners[this.nListeners++] = l;
    // the CLOSED pcb is released (its old handle is cut off: the listener has a new one)
    this.freePcb(pcb, 0, CAUSE_API);
    this.traceListener(l, CLOSED, LISTEN);
    return l;
  }

  closeListener(l: TcpListen): void {
    // connections still in the handshake lose their listener: reset them (as Linux does)
    for (let i = this.nActive - 1; i >= 0; i--) {
      const p = this.active[i];
      if (i >= this.nActive) continue;
      if (p.listener === l && p.listenerGen === l.gen && p.handle === null && p.state === SYN_RCVD) {
        this.abortPcb(p, 0, true);
      }
    }
    this.nListeners = swapRemove(this.listeners, this.nListeners, l);
    this.traceListener(l, LISTEN, CLOSED);
    const h = l.handle;
    if (h !== null) h.listener = null;
    l.handle = null;
    l.accept = null;
    l.arg = null;
    l.gen++;
    this.listenPool.release(l);
  }

  connect(pcb: Tcb, ip: number, port: number): Err {
    if (pcb.state === ESTABLISHED) return ERR_ISCONN;
    if (pcb.state !== CLOSED) return ERR_VAL;
    if (ip === 0 || port === 0) return ERR_VAL;
    if (this.ip.route(ip) === -1) return ERR_RTE;
    const local = this.ip.ourAddress;
    if (pcb.localPort === 0) {
      const p = this.ephemeralPort();
      if (p === 0) return ERR_USE;
      pcb.localPort = p;
    }
    if (this.findConn(local, pcb.localPort, ip, port) !== null) return ERR_USE;
    pcb.localIp = local;
    pcb.remoteIp = ip;
    pcb.remotePort = port;
    const iss = this.newIss(local, pcb.localPort, ip, port);
    pcb.iss = iss;
    pcb.sndSml = iss;
    pcb.sndUna = iss;
    pcb.sndNxt = iss;
    pcb.sndMax = iss;
    pcb.sndLbb = iss;
    pcb.sndWnd = 0;
    // RFC 6582 initialises recover to the ISS; one less lets the loss of the very first data
    // segment still be repaired by fast retransmit (its duplicate ACKs carry ISS + 1)
    pcb.recover = (iss - 1) >>> 0;
    pcb.rcvAnnRightEdge = 0;
    pcb.mss = 536;
    pcb.cwnd = pcb.mss;
    if (this.enqueueFlags(pcb, TCP_SYN) !== ERR_OK) return ERR_MEM;
    this.setState(pcb, SYN_SENT, CAUSE_API);
    this.output(pcb);
    return ERR_OK;
  }

  /** Queues a segment that carries only SYN or FIN (lwIP tcp_enqueue_flags). */
  private enqueueFlags(pcb: Tcb, flags: number): Err {
    if (pcb.sndQueueLen >= this.core.config.TCP_SND_QUEUELEN && (flags & TCP_SYN) === 0) {
      // a FIN may always ride on the last queued data segment
      const tail = pcb.unsentTail;
      if (flags === TCP_FIN && tail !== null && (tail.flags & (TCP_SYN | TCP_FIN)) === 0) {
        tail.flags |= TCP_FIN;
        pcb.sndLbb = (pcb.sndLbb + 1) >>> 0;
        pcb.flags |= TF_FIN_QUEUED;
        return ERR_OK;
      }
      return ERR_MEM;
    }
    if (flags === TCP_FIN) {
      const tail = pcb.unsentTail;
      if (tail !== null && (tail.flags & (TCP_SYN | TCP_FIN)) === 0) {
        tail.flags |= TCP_FIN;
        pcb.sndLbb = (pcb.sndLbb + 1) >>> 0;
        pcb.flags |= TF_FIN_QUEUED;
        return ERR_OK;
      }
    }
    const seg = this.segPool.alloc();
    if (seg === null) { this.core.stats.tcp.memerr++; return ERR_MEM; }
    const p = this.core.pbufs.allocControl(PBUF_TRANSPORT, 0);
    if (p === null) { this.segPool.release(seg); this.core.stats.tcp.memerr++; return ERR_MEM; }
    seg.p = p;
    seg.seqno = pcb.sndLbb;
    seg.len = 0;
    seg.flags = flags;
    seg.sent = 0;
    seg.next = null;
    this.appendUnsent(pcb, seg);
    pcb.sndLbb = (pcb.sndLbb + 1) >>> 0;
    pcb.sndQueueLen++;
    if (flags & TCP_FIN) pcb.flags |= TF_FIN_QUEUED;
    return ERR_OK;
  }

  private appendUnsent(pcb: Tcb, seg: TcpSeg): void {
    seg.next = null;
    if (pcb.unsentTail === null) pcb.unsent = seg;
    else pcb.unsentTail.next = seg;
    pcb.unsentTail = seg;
  }

  /**
   * tcp_write: queues `len` bytes of `data` from `offset`. With TCP_WRITE_FLAG_COPY they are copied
   * into pool pbufs (filling the last queued segment first, so small writes coalesce); without it
   * PBUF_REF pbufs point at the caller's bytes, which must stay unchanged until tcp_sent reports them.
   * All or nothing: ERR_MEM when the send buffer, the queue or a pool has no room for all of it.
   */
  write(pcb: Tcb, data: Uint8Array, len: number, apiflags: number, offset: number): Err {
    const st = pcb.state;
    if ((pcb.flags & TF_TXCLOSED) !== 0) return ERR_CONN;
    if (st !== ESTABLISHED && st !== CLOSE_WAIT && st !== SYN_SENT && st !== SYN_RCVD) return ERR_CONN;
    if (len === 0) return ERR_OK;
    if (len < 0 || offset < 0 || offset + len > data.length) return ERR_ARG;
    const cfg = this.core.config;
    if (len > pcb.sndBuf) { pcb.flags |= TF_NAGLEMEMERR; return ERR_MEM; }
    const mss = pcb.mss;
    const copy = (apiflags & TCP_WRITE_FLAG_COPY) !== 0;
    // room in the last unsent segment (copied data only, never sent yet)
    let fill = 0;
    const tail = pcb.unsentTail;
    if (copy && tail !== null && tail.sent === 0 && (tail.flags & (TCP_SYN | TCP_FIN)) === 0 && tail.len < mss) {
      const p = tail.p;
      if (p !== null && p.next === null && p.cap > 0) {
        const room = p.base + p.cap - (p.off + p.len);
        fill = mss - tail.len;
        if (fill > room) fill = room;
        if (fill > len) fill = len;
        if (fill < 0) fill = 0;
      }
    }
    const rest = len - fill;
    const nsegs = rest === 0 ? 0 : Math.ceil(rest / mss);
    if (pcb.sndQueueLen + nsegs > cfg.TCP_SND_QUEUELEN) { pcb.flags |= TF_NAGLEMEMERR; this.core.stats.tcp.memerr++; return ERR_MEM; }
    const pool = this.core.pbufs;
    if (nsegs > 0 && this.poolUnderPressure() && this.pcbHeld(pcb) + nsegs > this.pcbShare()) {
      // TCP_PCB_POOL_SHARE: a connection whose peer does not read cannot take the last buffers
      pcb.flags |= TF_NAGLEMEMERR;
      this.core.stats.tcp.memerr++;
      return ERR_MEM;
    }
    if (this.segPool.freeCount < nsegs || pool.freeCount - pool.reserve < nsegs
      || (!copy && pool.refPool.avail - pool.refPool.used < nsegs)) {
      pcb.flags |= TF_NAGLEMEMERR;
      this.core.stats.tcp.memerr++;
      return ERR_MEM;
    }
    let pos = offset;
    if (fill > 0 && tail !== null && tail.p !== null) {
      const p = tail.p;
      copyBytes(p.buf, p.off + p.len, data, pos, fill, pool.copier);
      p.len += fill;
      p.totLen += fill;
      tail.len += fill;
      pos += fill;
      if ((apiflags & TCP_WRITE_FLAG_MORE) === 0 && rest === 0) tail.flags |= TCP_PSH;
    }
    let seqno = (pcb.sndLbb + fill) >>> 0;
    let left = rest;
    while (left > 0) {
      const n = left < mss ? left : mss;
      const seg = this.segPool.alloc() as TcpSeg;
      let p: Pbuf;
      if (copy) {
        p = pool.alloc(PBUF_TRANSPORT, n) as Pbuf;
        pbufAlignPayload(p, data, pos, mss);
        copyBytes(p.buf, p.off, data, pos, n, pool.copier);
      } else {
        p = pool.alloc(PBUF_TRANSPORT, 0) as Pbuf;
        const r = pool.allocRef(data, pos, n) as Pbuf;
        pbuf_cat(p, r);
      }
      seg.p = p;
      seg.seqno = seqno;
      seg.len = n;
      seg.flags = 0;
      seg.sent = 0;
      this.appendUnsent(pcb, seg);
      pos += n;
      left -= n;
      seqno = (seqno + n) >>> 0;
      pcb.sndQueueLen++;
      if (left === 0 && (apiflags & TCP_WRITE_FLAG_MORE) === 0) seg.flags |= TCP_PSH;
    }
    pcb.sndLbb = (pcb.sndLbb + len) >>> 0;
    pcb.sndBuf -= len;
    pcb.flags &= ~TF_NAGLEMEMERR;
    pcb.outputPending = true;
    return ERR_OK;
  }

  /** tcp_recved: the application consumed `len` octets; reopen the window and announce it at once
   *  when the reopening is worth a segment (receiver SWS avoidance, RFC 1122 §4.2.3.3). */
  recved(pcb: Tcb, len: number): void {
    if (len <= 0) return;
    let wnd = pcb.rcvWnd + len;
    if (wnd > pcb.rcvWndMax) wnd = pcb.rcvWndMax;
    pcb.rcvWnd = wnd;
    if (pcb.state < SYN_RCVD || pcb.state === TIME_WAIT) return;
    // a dedicated window update goes out at once when the window we announced had shrunk to half
    // or less and the right edge now moves by at least min(RCV.BUFF/2, MSS) (RFC 1122 §4.2.3.3;
    // Linux's "freed lots of space" rule); otherwise the next segment carries the new window
    const announced = (pcb.rcvAnnRightEdge - pcb.rcvNxt) | 0;
    const inflation = this.updateRcvAnnWnd(pcb);
    if (inflation > 0 && inflation >= this.windowUpdateThreshold(pcb) && announced <= (pcb.rcvWndMax >>> 1)) {
      pcb.flags |= TF_ACK_NOW;
      this.output(pcb);
    }
  }

  private windowUpdateThreshold(pcb: Tcb): number {
    const half = pcb.rcvWndMax >>> 1;
    return half < pcb.rcvMss ? half : pcb.rcvMss;
  }

  /**
   * Receiver SWS avoidance (RFC 1122 §4.2.3.3): the right edge of the announced window moves only by
   * at least min(RCV.BUFF/2, MSS); it never moves left (RFC 9293 §3.8.6). Returns how far it moved.
   */
  private updateRcvAnnWnd(pcb: Tcb): number {
    const newRight = (pcb.rcvNxt + pcb.rcvWnd) >>> 0;
    const threshold = this.windowUpdateThreshold(pcb);
    if (seqGeq(newRight, (pcb.rcvAnnRightEdge + threshold) >>> 0) || (pcb.rcvAnnWnd === 0 && pcb.rcvWnd >= threshold)
      && seqGt(newRight, pcb.rcvAnnRightEdge)) {
      const grown = (newRight - pcb.rcvAnnRightEdge) | 0;
      pcb.rcvAnnWnd = pcb.rcvWnd;
      return grown > 0 ? grown : 0;
    }
    if (seqGt(pcb.rcvNxt, pcb.rcvAnnRightEdge)) pcb.rcvAnnWnd = 0;
    else pcb.rcvAnnWnd = (pcb.rcvAnnRightEdge - pcb.rcvNxt) >>> 0;
    return 0;
  }

  /** tcp_close. Returns ERR_MEM when the FIN cannot be queued now (try again later, as in lwIP). */
  close(pcb: Tcb): Err {
    switch (pcb.state) {
      case CLOSED:
      case SYN_SENT:
        this.freePcb(pcb, 0, CAUSE_API);
        return ERR_OK;
      case SYN_RCVD:
      case ESTABLISHED:
      case CLOSE_WAIT: {
        if (pcb.refused !== null || pcb.rcvWnd !== pcb.rcvWndMax) {
          // RFC 9293 §3.10.4, RFC 2525 §2.17: closing with unread data resets the connection
          this.abortPcb(pcb, 0, true);
          return ERR_OK;
        }
        if ((pcb.flags & TF_FIN_QUEUED) === 0) {
          if (this.enqueueFlags(pcb, TCP_FIN) !== ERR_OK) return ERR_MEM;
          this.setState(pcb, pcb.state === CLOSE_WAIT ? LAST_ACK : FIN_WAIT_1, CAUSE_API);
        }
        break;
      }
      default:
        // FIN_WAIT_1/2, CLOSING, LAST_ACK, TIME_WAIT: our FIN is already on its way
        break;
    }
    this.orphan(pcb);
    this.output(pcb);
    return ERR_OK;
  }

  /** The application lets go of a closing connection: the stack finishes it without callbacks. */
  private orphan(pcb: Tcb): void {
    pcb.flags |= TF_RXCLOSED | TF_TXCLOSED | TF_CLOSED_BY_APP;
    detachApp(pcb);
    if (pcb.state === FIN_WAIT_2) pcb.finWait2At = this.core.now + FIN_WAIT_TIMEOUT;
  }

  shutdown(pcb: Tcb, rx: boolean, tx: boolean): Err {
    if (rx && tx) return this.close(pcb);
    if (rx) {
      pcb.flags |= TF_RXCLOSED;
      if (pcb.refused !== null) {
        const n = pcb.refused.totLen;
        pbuf_free(pcb.refused);
        pcb.refused = null;
        this.recved(pcb, n);
      }
    }
    if (tx) {
      switch (pcb.state) {
        case SYN_RCVD:
        case ESTABLISHED:
        case CLOSE_WAIT:
          if ((pcb.flags & TF_FIN_QUEUED) === 0) {
            if (this.enqueueFlags(pcb, TCP_FIN) !== ERR_OK) return ERR_MEM;
            this.setState(pcb, pcb.state === CLOSE_WAIT ? LAST_ACK : FIN_WAIT_1, CAUSE_API);
          }
          pcb.flags |= TF_TXCLOSED;
          this.output(pcb);
          break;
        case FIN_WAIT_1:
        case FIN_WAIT_2:
        case CLOSING:
        case LAST_ACK:
        case TIME_WAIT:
          pcb.flags |= TF_TXCLOSED;
          break;
        default:
          return ERR_CONN;
      }
    }
    return ERR_OK;
  }

  /**
   * Ends a connection at once: a RST to the peer when it is synchronized (RFC 9293 §3.10.4 ABORT),
   * then the pcb is freed and tcp_err gets `errCode` (ERR_ABRT for tcp_abort, 0 for none).
   */
  abortPcb(pcb: Tcb, errCode: Err, sendRst: boolean): void {
    const st = pcb.state;
    if (sendRst && st >= SYN_RCVD && st !== TIME_WAIT) {
      this.sendRst(pcb.sndMax, pcb.rcvNxt, true, pcb.localIp, pcb.localPort, pcb.remoteIp, pcb.remotePort);
    }
    this.freePcb(pcb, errCode, CAUSE_API);
  }

  // ---------------------------------------------------------------------------------------------
  // Segment arrival (RFC 9293 §3.10.7)
  // ---------------------------------------------------------------------------------------------

  ipInput(p: Pbuf, iph: Ip4Header): void {
    const st = this.core.stats.tcp;
    st.recv++;
    const seg = this.seg;
    if (iph.dst !== this.ip.ourAddress) {
      // TCP is unicast only (RFC 1122 §4.2.3.10): broadcasts are dropped
      st.proterr++; st.drop++;
      pbuf_free(p);
      return;
    }
    const rc = tcpParse(p.buf, p.off, p.len, seg);
    if (rc < 0) {
      if (rc === TCP_ERR_OPT) st.opterr++; else st.lenerr++;
      st.drop++;
      pbuf_free(p);
      return;
    }
    if (tcpChecksum(p, p.totLen, iph.src, iph.dst) !== 0) {
      st.chkerr++; st.drop++;
      pbuf_free(p);
      return;
    }
    pbuf_remove_header(p, seg.hdrLen);
    this.segLen = p.totLen;
    this.segP = p;
    this.segSrc = iph.src;
    this.segDst = iph.dst;
    this.recvData = null;
    this.recvFin = false;

    let pcb = this.findConn(iph.dst, seg.dstPort, iph.src, seg.srcPort);
    if (pcb !== null && pcb.state === TIME_WAIT && (seg.flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN
      && seqGt(seg.seq, pcb.rcvNxt) && this.findListener(iph.dst, seg.dstPort) !== null) {
      // RFC 1122 §4.2.2.13: a new SYN above the old connection's sequence space may reopen it
      this.freePcb(pcb, 0, CAUSE_SEGMENT);
      pcb = null;
    }
    if (pcb !== null) {
      this.segmentArrives(pcb);
    } else {
      const l = this.findListener(iph.dst, seg.dstPort);
      if (l !== null) this.listenInput(l);
      else this.closedInput();
    }
    const q = this.segP;
    this.segP = null;
    if (q !== null) pbuf_free(q);
  }

  /**
   * An ICMP error about a segment we sent (RFC 1122 §4.2.3.9), checked and handed over by Icmp:
   * `buf[off..off+8)` is the quoted TCP header's start (ports, sequence number). Returns false when
   * no connection matches or the error fails RFC 5927 §4.1's check.
   *
   * - A hard error (icmpHardError) while the connection is being opened ends it at once: SYN_SENT
   *   and an active open's SYN_RCVD report ERR_RST through tcp_err ("connection refused"), no RST
   *   is sent; a passive open's SYN_RCVD just goes away (its listener goes on, as Linux drops the
   *   request).
   * - Everything else, and every error once synchronized, is soft (RFC 1122 §4.2.3.9 SHOULD NOT
   *   abort; RFC 5927 §7.2 treats hard errors as soft in synchronized states against blind resets):
   *   it is recorded, and decides what a later give-up reports (icmpSoftErrReport). Source quench
   *   never gets here (RFC 6633).
   */
  icmpError(type: number, code: number, quotedSrc: number, quotedDst: number, buf: Uint8Array, off: number): boolean {
    const localPort = (buf[off] << 8) | buf[off + 1];
    const remotePort = (buf[off + 2] << 8) | buf[off + 3];
    const seq = ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0;
    const pcb = this.findConn(quotedSrc, localPort, quotedDst, remotePort);
    if (pcb === null) return false;
    // RFC 5927 §4.1: the quoted segment must be one we sent and still wait to see acknowledged,
    // SND.UNA <= SEG.SEQ < SND.MAX (in SYN_SENT and SYN_RCVD that is the ISS alone); anything else
    // is stale or a blind forgery
    if (!(seqGeq(seq, pcb.sndUna) && seqLt(seq, pcb.sndMax))) return false;
    const state = pcb.state;
    if ((state === SYN_SENT || state === SYN_RCVD) && icmpHardError(type, code)) {
      if (state === SYN_RCVD && (pcb.flags & TF_PASSIVE) !== 0 && pcb.handle === null) {
        this.setState(pcb, LISTEN, CAUSE_ICMP);
        pcb.state = CLOSED;
        this.freePcb(pcb, 0, CAUSE_ICMP);
      } else {
        this.freePcb(pcb, ERR_RST, CAUSE_ICMP);
      }
      return true;
    }
    pcb.icmpSoftErr = (type << 8) | code;
    return true;
  }

  /** §3.10.7.1 CLOSED: anything but a RST is answered with a RST. */
  private closedInput(): void {
    const seg = this.seg;
    const st = this.core.stats.tcp;
    st.drop++;
    if (seg.flags & TCP_RST) return;
    this.respondRst();
  }

  /** The RST that answers an unacceptable segment (RFC 9293 §3.10.7.1): <SEQ=SEG.ACK><CTL=RST> when
   *  it carried an ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
  private respondRst(): void {
    const seg = this.seg;
    if (!this.rstLimit.take(this.core.now)) {
      // TCP_RST_LIMIT: a flood of segments to closed ports is not reflected at line rate
      this.reflectionsLimited++;
      return;
    }
    if (seg.flags & TCP_ACK) {
      this.sendRst(seg.ack, 0, false, this.segDst, seg.dstPort, this.segSrc, seg.srcPort);
    } else {
      let segLen = this.segLen;
      if (seg.flags & TCP_SYN) segLen++;
      if (seg.flags & TCP_FIN) segLen++;
      this.sendRst(0, (seg.seq + segLen) >>> 0, true, this.segDst, seg.dstPort, this.segSrc, seg.srcPort);
    }
  }

  /** §3.10.7.2 LISTEN. */
  private listenInput(l: TcpListen): void {
    const seg = this.seg;
    const st = this.core.stats.tcp;
    if (seg.flags & TCP_RST) { st.drop++; return; }
    if (seg.flags & TCP_ACK) { st.drop++; this.respondRst(); return; }
    if ((seg.flags & TCP_SYN) === 0) { st.drop++; return; }
    if (l.pending >= l.backlog && !(this.core.config.TCP_SYN_EVICT && this.evictHalfOpen(l))) {
      // the backlog is full of connections the application has yet to accept: drop the SYN
      // silently, the peer retransmits (as Linux does)
      st.drop++;
      return;
    }
    const pcb = this.allocPcb();
    if (pcb === null) { st.drop++; return; }
    pcb.flags |= TF_PASSIVE;
    pcb.listener = l;
    pcb.listenerGen = l.gen;
    pcb.inBacklog = true;
    l.pending++;
    pcb.soOptions = l.soOptions & SOF_INHERITED;
    if (l.nodelay) pcb.flags |= TF_NODELAY;
    pcb.keepIdle = l.keepIdle;
    pcb.keepIntvl = l.keepIntvl;
    pcb.keepCnt = l.keepCnt;
    if (l.rcvWnd > 0) { pcb.rcvWndMax = l.rcvWnd; pcb.rcvWnd = l.rcvWnd; }
    pcb.arg = l.arg;
    pcb.localIp = this.segDst;
    pcb.localPort = seg.dstPort;
    pcb.remoteIp = this.segSrc;
    pcb.remotePort = seg.srcPort;
    pcb.irs = seg.seq;
    pcb.rcvNxt = (seg.seq + 1) >>> 0;
    pcb.rcvAnnRightEdge = pcb.rcvNxt;
    const iss = this.newIss(pcb.localIp, pcb.localPort, pcb.remoteIp, pcb.remotePort);
    pcb.iss = iss; pcb.sndUna = iss; pcb.sndNxt = iss; pcb.sndMax = iss; pcb.sndLbb = iss;
    pcb.sndSml = iss;
    pcb.recover = (iss - 1) >>> 0;
    pcb.sndWnd = seg.wnd;
    pcb.sndWndMax = seg.wnd;
    pcb.sndWl1 = seg.seq;
    pcb.sndWl2 = iss;
    this.takePeerMss(pcb);
    pcb.lastActivity = this.core.now;
    // in the RFC's diagram the listening TCB itself moves to SYN-RECEIVED; here a child pcb does,
    // and the trace shows it as that transition (the listener stays in LISTEN)
    pcb.state = LISTEN;
    this.setState(pcb, SYN_RCVD, CAUSE_SEGMENT);
    if (this.enqueueFlags(pcb, TCP_SYN) !== ERR_OK) {
      this.freePcb(pcb, 0, CAUSE_SEGMENT);
      st.memerr++;
      return;
    }
    this.output(pcb);
  }

  private takePeerMss(pcb: Tcb): void {
    const seg = this.seg;
    // RFC 9293 §3.7.1: 536 when the peer sends no MSS option; never above our own TCP_MSS, which
    // sizes our pool buffers, nor below a sane floor
    let mss = seg.optMss > 0 ? seg.optMss : 536;
    const cap = this.core.config.TCP_MSS;
    if (mss > cap) mss = cap;
    if (mss > this.core.config.MTU - 40) mss = this.core.config.MTU - 40;
    if (mss < 64) mss = 64;
    pcb.mss = mss;
    // RFC 5681 §3.1 initial window
    pcb.cwnd = mss > 2190 ? 2 * mss : (mss > 1095 ? 3 * mss : 4 * mss);
  }

  /** §3.10.7.3 SYN-SENT and §3.10.7.4 for every other state. */
  private segmentArrives(pcb: Tcb): void {
    const seg = this.seg;
    const st = this.core.stats.tcp;
    pcb.lastActivity = this.core.now;
    pcb.keepProbes = 0;
    if (pcb.state === SYN_SENT) { this.synSentInput(pcb); return; }

    // SYN-RECEIVED: a retransmitted SYN means our SYN,ACK was lost: send it again
    if (pcb.state === SYN_RCVD && (seg.flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN && seg.seq === pcb.irs) {
      this.retransmitFirst(pcb);
      return;
    }

    // simultaneous open: the peer's SYN,ACK repeats the SYN we already took (RFC 9293 figure 8;
    // the RFC 5961 §4.2 exception Linux makes too): its ACK completes our handshake
    if (pcb.state === SYN_RCVD && (seg.flags & (TCP_SYN | TCP_ACK | TCP_RST)) === (TCP_SYN | TCP_ACK)
      && ((seg.seq + 1) >>> 0) === pcb.rcvNxt && (pcb.flags & TF_PASSIVE) === 0) {
      seg.flags &= ~TCP_SYN;
      seg.seq = pcb.rcvNxt;
      // its SYN is a duplicate, so the segment is answered with an ACK as RFC 9293 §3.10.7.4's
      // first check asks (Linux sends it too): the peer, in SYN_RCVD as well, completes with it
      pcb.flags |= TF_ACK_NOW;
    }
    if (!this.checkSequence(pcb)) return;
    if (seg.flags & TCP_RST) { this.checkRst(pcb); return; }
    if (seg.flags & TCP_SYN) {
      // RFC 5961 §4.2 / RFC 9293: a SYN in a synchronized state gets a challenge ACK (§7: limited)
      st.drop++;
      if (this.mayAnswerInvalid(pcb)) this.sendAck(pcb);
      return;
    }
    if ((seg.flags & TCP_ACK) === 0) { st.drop++; return; }
    const gen = pcb.gen;
    if (!this.checkAck(pcb)) return;
    if (pcb.gen !== gen) return;
    // URG (sixth step): the urgent pointer is not supported; the data is delivered in line
    this.processText(pcb);
    if (pcb.gen !== gen) return;
    this.processFin(pcb);
    if (pcb.gen !== gen) return;
    if (pcb.state === FIN_WAIT_1 && this.finAcked(pcb)) {
      this.setState(pcb, FIN_WAIT_2, CAUSE_SEGMENT);
      if (pcb.flags & TF_CLOSED_BY_APP) pcb.finWait2At = this.core.now + FIN_WAIT_TIMEOUT;
    }
    this.deliver(pcb);
    if (pcb.gen !== gen) return;
    this.output(pcb);
  }

  private synSentInput(pcb: Tcb): void {
    const seg = this.seg;
    const st = this.core.stats.tcp;
    const hasAck = (seg.flags & TCP_ACK) !== 0;
    // first: the ACK must acknowledge our SYN
    if (hasAck && (seqLeq(seg.ack, pcb.iss) || seqGt(seg.ack, pcb.sndMax))) {
      st.drop++;
      if ((seg.flags & TCP_RST) === 0) this.sendRst(seg.ack, 0, false, pcb.localIp, pcb.localPort, pcb.remoteIp, pcb.remotePort);
      return;
    }
    // second: RST — only with an acceptable ACK (RFC 5961 §3.2 for SYN-SENT); connection refused
    if (seg.flags & TCP_RST) {
      if (hasAck) this.freePcb(pcb, ERR_RST, CAUSE_SEGMENT);
      else st.drop++;
      return;
    }
    if ((seg.flags & TCP_SYN) === 0) { st.drop++; return; }
    // fourth: SYN
    pcb.irs = seg.seq;
    pcb.rcvNxt = (seg.seq + 1) >>> 0;
    pcb.rcvAnnRightEdge = pcb.rcvNxt;
    this.takePeerMss(pcb);
    pcb.sndWnd = seg.wnd;
    pcb.sndWndMax = seg.wnd;
    pcb.sndWl1 = seg.seq;
    pcb.sndWl2 = seg.ack;
    // the SYN octet is consumed; what follows it is ordinary text
    seg.seq = pcb.rcvNxt;
    seg.flags &= ~TCP_SYN;
    if (hasAck) {
      // our SYN is acknowledged: ESTABLISHED
      this.synRttSample(pcb, seg.ack);
      this.ackSegments(pcb, seg.ack);
      pcb.sndUna = seg.ack;
      if (seqLt(pcb.sndNxt, pcb.sndUna)) pcb.sndNxt = pcb.sndUna;
      pcb.nrtx = 0;
      pcb.icmpSoftErr = 0;
      pcb.rtxAt = NO_TIME;
      if (pcb.flags & TF_SYN_RTX) {
        pcb.rto = RTO_AFTER_SYN_LOSS;
      }
      this.setState(pcb, ESTABLISHED, CAUSE_SEGMENT);
      pcb.flags |= TF_ACK_NOW;
      const gen = pcb.gen;
      const fn = pcb.connected;
      if (fn !== null && pcb.handle !== null) {
        const r = fn(pcb.arg, pcb.handle, ERR_OK);
        if (pcb.gen !== gen) return;
        if (r !== ERR_OK) { this.abortPcb(pcb, ERR_ABRT, true); return; }
      }
      // data or FIN carried by the SYN,ACK (after the SYN octet)
      this.processText(pcb);
      if (pcb.gen !== gen) return;
      this.processFin(pcb);
      if (pcb.gen !== gen) return;
      this.deliver(pcb);
      if (pcb.gen !== gen) return;
      this.output(pcb);
    } else {
      // simultaneous open (RFC 9293 §3.5, figure 8): SYN-RECEIVED, send SYN,ACK with our ISN
      this.setState(pcb, SYN_RCVD, CAUSE_SEGMENT);
      this.retransmitFirst(pcb);
    }
  }

  /**
   * First step: the acceptability test of RFC 9293 §3.10.7.4 against the receive window, trimming
   * what lies outside it. Returns false when the segment is to be dropped.
   */
  private checkSequence(pcb: Tcb): boolean {
    const seg = this.seg;
    const st = this.core.stats.tcp;
    let len = this.segLen;
    if (seg.flags & TCP_SYN) len++;
    if (seg.flags & TCP_FIN) len++;
    const wnd = pcb.rcvWnd;
    const rcvNxt = pcb.rcvNxt;
    const seq = seg.seq;
    let ok: boolean;
    if (len === 0) {
      ok = wnd === 0 ? seq === rcvNxt : (seqGeq(seq, rcvNxt) && seqLt(seq, (rcvNxt + wnd) >>> 0));
    } else if (wnd === 0) {
      ok = false;
    } else {
      const last = (seq + len - 1) >>> 0;
      const end = (rcvNxt + wnd) >>> 0;
      ok = (seqGeq(seq, rcvNxt) && seqLt(seq, end)) || (seqGeq(last, rcvNxt) && seqLt(last, end));
    }
    if (!ok) {
      // RFC 9293: a zero window still accepts valid ACKs and RSTs at RCV.NXT — drop the payload
      if (wnd === 0 && seq === rcvNxt && len > 0) {
        this.dropPayload();
        seg.flags &= ~(TCP_FIN | TCP_SYN);
        pcb.flags |= TF_ACK_NOW;
        return true;
      }
      st.drop++;
      if ((seg.flags & TCP_RST) !== 0) return false;
      // TIME_WAIT: a retransmitted FIN is acknowledged again and restarts the 2 MSL wait
      if (pcb.state === TIME_WAIT && (seg.flags & TCP_FIN) !== 0) this.restartTimeWait(pcb);
      // answer with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>: keepalive and zero-window probes
      // (<SEQ=RCV.NXT-1>) rely on it. At most one such ACK per TCP_INVALID_RATELIMIT per
      // connection (Linux's tcp_invalid_ratelimit: two ends can never ping-pong ACKs, and spoofed
      // segments cannot draw an ACK each) and TCP_CHALLENGE_ACK_LIMIT a second in all
      if (this.mayAnswerInvalid(pcb)) this.sendAck(pcb);
      // an old pure ACK (from a peer that rewinds SND.NXT after a timeout, as lwIP does) may still
      // carry news in its ACK field: take that — RFC 5961 §5.2 bounds what is acceptable — and
      // nothing else
      if ((seg.flags & (TCP_SYN | TCP_FIN | TCP_ACK)) === TCP_ACK && len === 0 && seqLt(seq, rcvNxt)
        && seqGeq(seq, (rcvNxt - pcb.rcvWndMax) >>> 0) && pcb.state !== TIME_WAIT && pcb.state !== SYN_RCVD
        && seqGt(seg.ack, pcb.sndUna)) {
        st.drop--;
        return true;
      }
      return false;
    }
    // trim the front: octets before RCV.NXT were received already
    let dup = (rcvNxt - seq) | 0;
    if (dup > 0) {
      if (seg.flags & TCP_SYN) {
        seg.flags &= ~TCP_SYN;
        seg.seq = (seg.seq + 1) >>> 0;
        dup--;
      }
      if (dup > 0) {
        if (dup >= this.segLen) {
          dup = this.segLen;
          this.dropPayload();
        } else {
          this.trimPayloadFront(dup);
        }
        seg.seq = (seg.seq + dup) >>> 0;
        // duplicate data: acknowledge at once so the sender learns where we are
        pcb.flags |= TF_ACK_NOW;
      }
    }
    // trim the tail: octets past the window are not accepted
    const room = (((rcvNxt + wnd) >>> 0) - seg.seq) | 0;
    if (this.segLen > room) {
      const keep = room > 0 ? room : 0;
      if (keep === 0) this.dropPayload();
      else {
        pbuf_realloc(this.segP as Pbuf, keep);
        this.segLen = keep;
      }
      seg.flags &= ~TCP_FIN;
      pcb.flags |= TF_ACK_NOW;
    }
    return true;
  }

  /** Whether one more ACK may answer an unacceptable segment on `pcb` now (takes the allowance):
   *  one per TCP_INVALID_RATELIMIT per connection, TCP_CHALLENGE_ACK_LIMIT a second in all. */
  private mayAnswerInvalid(pcb: Tcb): boolean {
    const now = this.core.now;
    const iv = this.core.config.TCP_INVALID_RATELIMIT;
    if (iv > 0 && pcb.lastOowAckAt !== NO_TIME && now - pcb.lastOowAckAt < iv) { this.reflectionsLimited++; return false; }
    if (!this.invalidAckLimit.take(now)) { this.reflectionsLimited++; return false; }
    pcb.lastOowAckAt = now;
    return true;
  }

  /** The pbuf pool is under pressure: at most TCP_POOL_PRESSURE percent of it is free. */
  private poolUnderPressure(): boolean {
    const pool = this.core.pbufs;
    return pool.freeCount * 100 <= pool.pool.avail * this.core.config.TCP_POOL_PRESSURE;
  }

  /** What one connection may hold under pressure (TCP_PCB_POOL_SHARE of the pool, at least 2). */
  private pcbShare(): number {
    const n = Math.floor(this.core.pbufs.pool.avail * this.core.config.TCP_PCB_POOL_SHARE / 100);
    return n < 2 ? 2 : n;
  }

  /** Pool buffers `pcb` holds: its send queue, its out-of-order queue, the data its application
   *  refused (each segment holds at least one pool pbuf). */
  private pcbHeld(pcb: Tcb): number {
    return pcb.sndQueueLen + pcb.ooseqCount + (pcb.refused !== null ? pbuf_clen(pcb.refused) : 0);
  }

  /** lwIP's pbuf_free_ooseq: under pressure the out-of-order data of every connection goes (the
   *  senders retransmit it) before anyone's in-order data is refused. */
  private freeAllOoseq(): void {
    for (let i = 0; i < this.nActive; i++) {
      const p = this.active[i];
      if (p.ooseq !== null) {
        this.core.stats.tcp.memerr++;
        this.freeOoseq(p);
      }
    }
  }

  private dropPayload(): void {
    const p = this.segP;
    if (p !== null && this.segLen > 0) pbuf_realloc(p, 0);
    this.segLen = 0;
  }

  /** Removes `n` octets from the front of the current segment's payload chain. */
  private trimPayloadFront(n: number): void {
    let p = this.segP as Pbuf;
    while (n > 0 && n >= p.len && p.next !== null) {
      const q: Pbuf = p.next;
      n -= p.len;
      p.next = null;
      pbuf_free(p);
      p = q;
    }
    if (n > 0) {
      p.off += n;
      p.len -= n;
      p.totLen -= n;
    }
    this.segP = p;
    this.segLen = p.totLen;
  }

  /** Second step: RST (RFC 9293 §3.10.7.4, RFC 5961 §3.2). */
  private checkRst(pcb: Tcb): void {
    const seg = this.seg;
    const st = this.core.stats.tcp;
    if (pcb.state === TIME_WAIT) {
      // RFC 1337 §3 (TW1): a RST does not end TIME_WAIT early ("TIME-WAIT assassination"); the
      // 4-tuple stays reserved for the full 2 MSL
      st.drop++;
      return;
    }
    if (seg.seq !== pcb.rcvNxt) {
      // in the window but not exactly at RCV.NXT: challenge ACK, the sender must prove itself
      // (RFC 5961 §3.2; §7: rate-limited)
      st.drop++;
      if (this.mayAnswerInvalid(pcb)) this.sendAck(pcb);
      return;
    }
    if (pcb.state === SYN_RCVD && (pcb.flags & TF_PASSIVE) !== 0 && pcb.handle === null) {
      // a passive open returns to LISTEN (RFC 9293 §3.10.7.4): the listener goes on, this embryonic
      // connection goes away
      this.setState(pcb, LISTEN, CAUSE_SEGMENT);
      pcb.state = CLOSED;
      this.freePcb(pcb, 0, CAUSE_SEGMENT);
      return;
    }
    switch (pcb.state) {
      case SYN_RCVD:        // active open refused (simultaneous open)
      case ESTABLISHED:
      case FIN_WAIT_1:
      case FIN_WAIT_2:
      case CLOSE_WAIT:
        this.freePcb(pcb, ERR_RST, CAUSE_SEGMENT);
        break;
      default:              // CLOSING, LAST_ACK, TIME_WAIT
        this.freePcb(pcb, ERR_CLSD, CAUSE_SEGMENT);
        break;
    }
  }

  /** Fifth step: the ACK field. Returns false when the segment is to be dropped. */
  private checkAck(pcb: Tcb): boolean {
    const seg = this.seg;
    const st = this.core.stats.tcp;
    const ack = seg.ack;
    if (pcb.state === SYN_RCVD) {
      if (seqGt(ack, pcb.sndUna) && seqLeq(ack, pcb.sndMax)) {
        this.synRttSample(pcb, ack);
        this.ackSegments(pcb, ack);
        pcb.sndUna = ack;
        if (seqLt(pcb.sndNxt, ack)) pcb.sndNxt = ack;
        pcb.nrtx = 0;
        pcb.icmpSoftErr = 0;
        pcb.rtxAt = NO_TIME;
        pcb.sndWnd = seg.wnd;
        if (seg.wnd > pcb.sndWndMax) pcb.sndWndMax = seg.wnd;
        pcb.sndWl1 = seg.seq;
        pcb.sndWl2 = ack;
        if (pcb.flags & TF_SYN_RTX) {
          pcb.rto = RTO_AFTER_SYN_LOSS;
        }
        this.setState(pcb, ESTABLISHED, CAUSE_SEGMENT);
        return this.established(pcb);
      }
      st.drop++;
      this.sendRst(ack, 0, false, pcb.localIp, pcb.localPort, pcb.remoteIp, pcb.remotePort);
      return false;
    }
    if (seqGt(ack, pcb.sndMax)) {
      // acknowledges something not yet sent: ACK and drop
      st.drop++;
      this.sendAck(pcb);
      return false;
    }
    if (seqLt(ack, (pcb.sndUna - pcb.sndWndMax) >>> 0) && pcb.sndWndMax > 0) {
      // RFC 5961 §5.2: far too old to be acceptable
      st.drop++;
      this.sendAck(pcb);
      return false;
    }
    const wndBefore = pcb.sndWnd;
    // window update (RFC 9293 §3.10.7.4, SND.WL1/SND.WL2)
    if (seqLt(pcb.sndWl1, seg.seq) || (pcb.sndWl1 === seg.seq && seqLeq(pcb.sndWl2, ack))) {
      pcb.sndWnd = seg.wnd;
      if (seg.wnd > pcb.sndWndMax) pcb.sndWndMax = seg.wnd;
      pcb.sndWl1 = seg.seq;
      pcb.sndWl2 = ack;
      if (pcb.sndWnd > 0 && pcb.persistAt !== NO_TIME) {
        pcb.persistAt = NO_TIME;
        pcb.persistBackoff = 0;
      }
    }
    if (seqGt(ack, pcb.sndUna)) {
      this.newAck(pcb, ack);
    } else if (ack === pcb.sndUna && this.segLen === 0 && (seg.flags & (TCP_SYN | TCP_FIN)) === 0
      && pcb.sndWnd === wndBefore && pcb.unacked !== null) {
      this.duplicateAck(pcb);
    }
    if (pcb.persistAt !== NO_TIME) pcb.persistProbes = 0;
    // state changes driven by the acknowledgment of our FIN
    const finAcked = this.finAcked(pcb);
    switch (pcb.state) {
      case FIN_WAIT_1:
        // with the peer's FIN in the same segment, the FIN step goes to TIME_WAIT directly
        if (finAcked && (seg.flags & TCP_FIN) === 0) {
          this.setState(pcb, FIN_WAIT_2, CAUSE_SEGMENT);
          if (pcb.flags & TF_CLOSED_BY_APP) pcb.finWait2At = this.core.now + FIN_WAIT_TIMEOUT;
        }
        break;
      case CLOSING:
        if (finAcked) this.enterTimeWait(pcb);
        break;
      case LAST_ACK:
        if (finAcked) {
          this.freePcb(pcb, (pcb.flags & TF_RXCLOSED) === 0 ? ERR_CLSD : 0, CAUSE_SEGMENT);
          return false;
        }
        break;
      default:
        break;
    }
    return true;
  }

  /** SYN-RECEIVED → ESTABLISHED on a passive open: hand the connection to the application. */
  private established(pcb: Tcb): boolean {
    const l = pcb.listener;
    if ((pcb.flags & TF_PASSIVE) === 0 || pcb.handle !== null) {
      // simultaneous open: the connecting application learns it is connected
      const fn = pcb.connected;
      const gen = pcb.gen;
      if (fn !== null && pcb.handle !== null) {
        const r = fn(pcb.arg, pcb.handle, ERR_OK);
        if (pcb.gen !== gen) return false;
        if (r !== ERR_OK) { this.abortPcb(pcb, ERR_ABRT, true); return false; }
      }
      return true;
    }
    if (l === null || l.gen !== pcb.listenerGen || l.handle === null) {
      // the listener is gone
      this.abortPcb(pcb, 0, true);
      return false;
    }
    this.leaveBacklog(pcb);
    const handle = new TcpPcb(this);
    handle.conn = pcb;
    pcb.handle = handle;
    const gen = pcb.gen;
    const fn = l.accept;
    if (fn === null) {
      // lwIP's default: nobody accepts, so the connection is refused
      this.abortPcb(pcb, ERR_ABRT, true);
      return false;
    }
    const r = fn(l.arg, handle, ERR_OK);
    if (pcb.gen !== gen) return false;
    if (r !== ERR_OK) {
      this.abortPcb(pcb, ERR_ABRT, true);
      return false;
    }
    return true;
  }

  /** An ACK that acknowledges new data (SND.UNA < SEG.ACK =< SND.MAX). */
  private newAck(pcb: Tcb, ack: number): void {
    const acked = (ack - pcb.sndUna) >>> 0;
    // RTT sample (RFC 6298 §3: Karn's rule — the timed segment was never retransmitted)
    if (pcb.rttStart !== NO_TIME && seqGt(ack, pcb.rttSeq)) {
      this.rttSample(pcb, this.core.now - pcb.rttStart);
      pcb.rttStart = NO_TIME;
    }
    const dataAcked = this.ackSegments(pcb, ack);
    pcb.sndUna = ack;
    if (seqLt(pcb.sndNxt, ack)) pcb.sndNxt = ack;
    pcb.nrtx = 0;
    pcb.persistProbes = 0;
    // something got through: an earlier ICMP soft error no longer describes the path
    pcb.icmpSoftErr = 0;
    const mss = pcb.mss;
    if (pcb.flags & TF_INFR) {
      if (seqGt(ack, pcb.recover)) {
        // full acknowledgment (RFC 6582 §3.2 step 3): deflate the window and leave fast recovery
        const flight = (pcb.sndMax - ack) >>> 0;
        const w = flight + mss;
        pcb.cwnd = pcb.ssthresh < w ? pcb.ssthresh : w;
        pcb.flags &= ~TF_INFR;
        pcb.dupAcks = 0;
      } else {
        // partial acknowledgment (RFC 6582 §3.2 step 5): retransmit the next hole, deflate
        this.retransmitFirst(pcb);
        pcb.cwnd = pcb.cwnd > acked ? pcb.cwnd - acked + mss : mss;
        if (pcb.unacked !== null) pcb.rtxAt = this.core.now + pcb.rto;
      }
    } else {
      pcb.dupAcks = 0;
      if (pcb.cwnd < pcb.ssthresh) {
        // slow start (RFC 5681 §3.1), at most one SMSS per ACK
        pcb.cwnd += acked < mss ? acked : mss;
      } else {
        // congestion avoidance: one SMSS per window of data acknowledged
        pcb.bytesAcked += acked;
        if (pcb.bytesAcked >= pcb.cwnd) {
          pcb.bytesAcked -= pcb.cwnd;
          pcb.cwnd += mss;
        }
      }
    }
    if (pcb.cwnd > 0x3fffffff) pcb.cwnd = 0x3fffffff;
    // RFC 6298 §5.2/5.3: restart the timer while data is outstanding, stop it when all is acknowledged
    if (pcb.unacked === null) pcb.rtxAt = NO_TIME;
    else pcb.rtxAt = this.core.now + pcb.rto;
    if (dataAcked > 0) {
      pcb.ackedToReport += dataAcked;
      pcb.sndBuf += dataAcked;
      if (pcb.sndBuf > this.core.config.TCP_SND_BUF) pcb.sndBuf = this.core.config.TCP_SND_BUF;
    }
  }

  /** A duplicate ACK (RFC 5681 §2): the third starts fast retransmit and fast recovery (§3.2). */
  private duplicateAck(pcb: Tcb): void {
    pcb.dupAcks++;
    const mss = pcb.mss;
    if (pcb.flags & TF_INFR) {
      pcb.cwnd += mss;
      return;
    }
    if (pcb.dupAcks === 3) {
      // RFC 6582 §3.2 step 2: only when SEG.ACK - 1 covers more than "recover", so that duplicate
      // ACKs for data sent before a timeout do not start a false fast retransmit
      if (!seqGt((pcb.sndUna - 1) >>> 0, pcb.recover)) return;
      const flight = (pcb.sndMax - pcb.sndUna) >>> 0;
      const half = flight >>> 1;
      pcb.ssthresh = half > 2 * mss ? half : 2 * mss;
      pcb.recover = (pcb.sndMax - 1) >>> 0;
      pcb.rttStart = NO_TIME;
      this.retransmitFirst(pcb);
      pcb.cwnd = pcb.ssthresh + 3 * mss;
      pcb.flags |= TF_INFR;
    }
  }

  /** The handshake's RTT measurement (never from a retransmitted SYN: Karn). */
  private synRttSample(pcb: Tcb, ack: number): void {
    if (pcb.rttStart !== NO_TIME && seqGt(ack, pcb.rttSeq)) {
      this.rttSample(pcb, this.core.now - pcb.rttStart);
      pcb.rttStart = NO_TIME;
    }
  }

  /** RFC 6298 §2: SRTT, RTTVAR and RTO from one measurement (ms). */
  private rttSample(pcb: Tcb, r: number): void {
    if (r < 0) return;
    if (!pcb.rttValid) {
      pcb.srtt = r;
      pcb.rttvar = r / 2;
      pcb.rttValid = true;
    } else {
      const d = pcb.srtt > r ? pcb.srtt - r : r - pcb.srtt;
      pcb.rttvar = 0.75 * pcb.rttvar + 0.25 * d;
      pcb.srtt = 0.875 * pcb.srtt + 0.125 * r;
    }
    const k = 4 * pcb.rttvar;
    let rto = pcb.srtt + (k > CLOCK_GRANULARITY ? k : CLOCK_GRANULARITY);
    const cfg = this.core.config;
    if (rto < cfg.TCP_RTO_MIN) rto = cfg.TCP_RTO_MIN;
    if (rto > cfg.TCP_RTO_MAX) rto = cfg.TCP_RTO_MAX;
    pcb.rto = Math.ceil(rto);
  }

  /**
   * Frees the segments that `ack` covers, from unacked and (after a timeout rewound SND.NXT) from
   * unsent; a segment only partly covered is trimmed. Returns the data octets acknowledged.
   */
  private ackSegments(pcb: Tcb, ack: number): number {
    let data = 0;
    for (;;) {
      let seg = pcb.unacked;
      let fromUnacked = true;
      if (seg === null) { seg = pcb.unsent; fromUnacked = false; }
      if (seg === null) break;
      const end = (seg.seqno + seg.len + ((seg.flags & (TCP_SYN | TCP_FIN)) !== 0 ? 1 : 0)) >>> 0;
      if (seqLeq(end, ack)) {
        if (fromUnacked) {
          pcb.unacked = seg.next;
          if (pcb.unacked === null) pcb.unackedTail = null;
        } else {
          if (seg.sent === 0) break; // never sent: cannot be acknowledged
          pcb.unsent = seg.next;
          if (pcb.unsent === null) pcb.unsentTail = null;
        }
        data += seg.len;
        pcb.sndQueueLen--;
        this.freeSeg(seg);
        continue;
      }
      // partly acknowledged (a peer acknowledging part of a segment, e.g. after resegmentation)
      let part = (ack - seg.seqno) | 0;
      if (seg.flags & TCP_SYN) part--;
      if (part > 0 && part < seg.len) {
        this.trimSegFront(seg, part);
        data += part;
      }
      break;
    }
    return data;
  }

  private trimSegFront(seg: TcpSeg, n: number): void {
    const p = seg.p as Pbuf;
    let left = n;
    // the first pbuf may be an empty header pbuf followed by PBUF_REF data
    let q: Pbuf | null = p;
    while (left > 0 && q !== null) {
      const take = q.len < left ? q.len : left;
      q.off += take;
      q.len -= take;
      left -= take;
      q = q.next;
    }
    // recompute totLen along the chain
    let total = 0;
    for (let r: Pbuf | null = p; r !== null; r = r.next) total += r.len;
    for (let r: Pbuf | null = p; r !== null; r = r.next) { r.totLen = total; total -= r.len; }
    seg.seqno = (seg.seqno + n) >>> 0;
    seg.len -= n;
  }

  /** Seventh step: segment text, in order (ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2). */
  private processText(pcb: Tcb): void {
    const seg = this.seg;
    const st = this.core.stats.tcp;
    const len = this.segLen;
    this.segFinSeq = (seg.seq + len) >>> 0;
    if (len === 0) return;
    const state = pcb.state;
    if (state !== ESTABLISHED && state !== FIN_WAIT_1 && state !== FIN_WAIT_2) {
      // CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT: the peer already sent its FIN; ignore the text
      this.dropPayload();
      return;
    }
    if ((pcb.flags & TF_CLOSED_BY_APP) !== 0 && seqGeq(seg.seq, pcb.rcvNxt)) {
      // new data after the application closed: nobody will read it — reset (RFC 9293 §3.10.4,
      // as Linux and lwIP do)
      st.drop++;
      this.abortPcb(pcb, 0, true);
      return;
    }
    if (pcb.refused !== null && seg.seq === pcb.rcvNxt) {
      // the application is refusing data: keep the window honest, take nothing more for now
      this.dropPayload();
      seg.flags &= ~TCP_FIN;
      pcb.flags |= TF_ACK_NOW;
      return;
    }
    const pool = this.core.pbufs;
    if (this.poolUnderPressure()) {
      this.freeAllOoseq();
      if (this.pcbHeld(pcb) >= this.pcbShare()) {
        // over its share of a scarce pool (TCP_PCB_POOL_SHARE): this connection takes nothing
        // more until it drains; the sender retransmits
        st.memerr++;
        st.drop++;
        this.dropPayload();
        seg.flags &= ~TCP_FIN;
        pcb.flags |= TF_ACK_NOW;
        return;
      }
    }
    if (pool.freeCount < pool.reserve) {
      // the pool is down to the receive reserve: keep it for ACKs and RSTs; drop the out-of-order
      // queue first, and this payload too (the sender retransmits)
      this.freeOoseq(pcb);
      if (pool.freeCount < pool.reserve) {
        st.memerr++;
        this.dropPayload();
        seg.flags &= ~TCP_FIN;
        pcb.flags |= TF_ACK_NOW;
        return;
      }
    }
    if (seg.seq === pcb.rcvNxt) {
      // in order: take it, then whatever the out-of-order queue now continues
      const p = this.segP as Pbuf;
      this.segP = null;
      this.segLen = 0;
      pcb.rcvNxt = (pcb.rcvNxt + len) >>> 0;
      pcb.rcvWnd -= len;
      if (pcb.rcvWnd < 0) pcb.rcvWnd = 0;
      if ((pcb.flags & TF_RXCLOSED) !== 0) {
        // shut_rx: acknowledged and discarded
        pbuf_free(p);
        pcb.rcvWnd += len;
      } else {
        this.appendRecv(p);
      }
      this.drainOoseq(pcb);
      // after a pause longer than the RTO the sender is probably restarting (slow start): ACK the
      // next segments at once again, as Linux does
      if (this.core.now - pcb.lastDataAt > pcb.rto) this.enterQuickAck(pcb);
      pcb.lastDataAt = this.core.now;
      // delayed ACK (RFC 1122 §4.2.3.2; RFC 5681 §4.2): ACK at least every second segment; a
      // segment that fills a hole is ACKed at once
      if (pcb.ooseq !== null || this.recvFin) pcb.flags |= TF_ACK_NOW;
      else if (pcb.quickAcks > 0) { pcb.quickAcks--; pcb.flags |= TF_ACK_NOW; }
      else if (pcb.flags & TF_ACK_DELAY) pcb.flags |= TF_ACK_NOW;
      else {
        pcb.flags |= TF_ACK_DELAY;
        if (pcb.delackAt === NO_TIME) pcb.delackAt = this.core.now + this.core.config.TCP_DELACK_MS;
      }
    } else {
      // out of order: hold it and send an immediate duplicate ACK (RFC 5681 §4.2)
      this.insertOoseq(pcb);
      pcb.flags |= TF_ACK_NOW;
    }
  }

  private appendRecv(p: Pbuf): void {
    if (this.recvData === null) this.recvData = p;
    else pbuf_cat(this.recvData, p);
  }

  private insertOoseq(pcb: Tcb): void {
    const seg = this.seg;
    const st = this.core.stats.tcp;
    let seqno = seg.seq;
    let len = this.segLen;
    let fin = (seg.flags & TCP_FIN) !== 0;
    // find the place: after every segment starting before us
    let prev: TcpSeg | null = null;
    let cur = pcb.ooseq;
    while (cur !== null && seqLt(cur.seqno, seqno)) { prev = cur; cur = cur.next; }
    // overlap with the previous one: trim our front
    if (prev !== null) {
      const prevEnd = (prev.seqno + prev.len) >>> 0;
      if (seqGeq(prevEnd, (seqno + len) >>> 0)) { st.drop++; this.dropPayload(); return; }
      if (seqGt(prevEnd, seqno)) {
        const cut = (prevEnd - seqno) | 0;
        this.trimPayloadFront(cut);
        seqno = prevEnd;
        len -= cut;
      }
    }
    // segments we cover entirely are replaced; a partial overlap with the next trims our tail
    while (cur !== null && seqLeq((cur.seqno + cur.len) >>> 0, (seqno + len) >>> 0)) {
      const next: TcpSeg | null = cur.next;
      if (prev === null) pcb.ooseq = next; else prev.next = next;
      pcb.ooseqCount--;
      this.freeSeg(cur);
      cur = next;
    }
    if (cur !== null && seqGt((seqno + len) >>> 0, cur.seqno)) {
      const keep = (cur.seqno - seqno) | 0;
      pbuf_realloc(this.segP as Pbuf, keep);
      len = keep;
      fin = false;
    }
    if (len === 0 && !fin) { this.dropPayload(); return; }
    if (pcb.ooseqCount >= this.core.config.TCP_OOSEQ_MAX_SEGS || this.poolUnderPressure()) {
      st.memerr++; st.drop++; this.dropPayload(); return;
    }
    if (len < TINY_SEGMENT && !fin && this.tinyOoseq(pcb) >= 2) {
      // a tiny segment beyond a hole costs a whole pool buffer: hold two at most (a real sender's
      // out-of-order data after a loss is full-sized segments; 1-byte segments are an attack)
      st.drop++; this.dropPayload(); return;
    }
    const s = this.segPool.alloc();
    if (s === null) { st.memerr++; st.drop++; this.dropPayload(); return; }
    s.p = this.segP;
    this.segP = null;
    this.segLen = 0;
    s.seqno = seqno;
    s.len = len;
    s.flags = fin ? TCP_FIN : 0;
    s.sent = 0;
    s.next = cur;
    if (pcb.ooseq === null) pcb.ooseqSince = this.core.now;
    if (prev === null) pcb.ooseq = s; else prev.next = s;
    pcb.ooseqCount++;
    seg.flags &= ~TCP_FIN;
  }

  /** Out-of-order segments of `pcb` shorter than TINY_SEGMENT. */
  private tinyOoseq(pcb: Tcb): number {
    let n = 0;
    for (let s = pcb.ooseq; s !== null; s = s.next) if (s.len < TINY_SEGMENT && (s.flags & TCP_FIN) === 0) n++;
    return n;
  }

  /** Moves segments that now continue RCV.NXT from the out-of-order queue to the application. */
  private drainOoseq(pcb: Tcb): void {
    let s = pcb.ooseq;
    while (s !== null && seqLeq(s.seqno, pcb.rcvNxt)) {
      const next = s.next;
      const end = (s.seqno + s.len) >>> 0;
      pcb.ooseq = next;
      pcb.ooseqCount--;
      if (seqGt(end, pcb.rcvNxt) || (s.flags & TCP_FIN) !== 0 && end === pcb.rcvNxt) {
        const skip = (pcb.rcvNxt - s.seqno) | 0;
        const p = s.p as Pbuf;
        s.p = null;
        let take = s.len - skip;
        if (take > pcb.rcvWnd) take = pcb.rcvWnd;
        if (skip > 0 || take < s.len - skip) {
          // rare: overlap with data taken meanwhile, or the window shrank; copy-free trimming
          const keepP = this.trimChain(p, skip, take);
          if (keepP !== null) this.appendRecv(keepP);
        } else if (take > 0) {
          this.appendRecv(p);
        } else {
          pbuf_free(p);
        }
        pcb.rcvNxt = (pcb.rcvNxt + take) >>> 0;
        pcb.rcvWnd -= take;
        if ((s.flags & TCP_FIN) !== 0 && take === s.len - skip) this.recvFin = true;
      }
      this.freeSeg(s);
      s = next;
      if (this.recvFin) break;
    }
  }

  /** Keeps `take` octets of chain `p` after skipping `skip`; frees the rest. */
  private trimChain(p: Pbuf, skip: number, take: number): Pbuf | null {
    if (take <= 0) { pbuf_free(p); return null; }
    while (skip > 0 && skip >= p.len && p.next !== null) {
      const q: Pbuf = p.next;
      skip -= p.len;
      p.next = null;
      pbuf_free(p);
      p = q;
    }
    if (skip > 0) { p.off += skip; p.len -= skip; p.totLen -= skip; }
    pbuf_realloc(p, take);
    return p;
  }

  private freeOoseq(pcb: Tcb): void {
    this.freeSegs(pcb.ooseq);
    pcb.ooseq = null;
    pcb.ooseqCount = 0;
  }

  /** Eighth step: FIN — taken only when it is in order (at RCV.NXT once the text is taken). */
  private processFin(pcb: Tcb): void {
    const seg = this.seg;
    let fin = this.recvFin;
    if (!fin && (seg.flags & TCP_FIN) !== 0 && this.segFinSeq === pcb.rcvNxt) fin = true;
    if (!fin) return;
    if ((pcb.flags & TF_FIN_RECVD) !== 0) {
      if (pcb.state === TIME_WAIT) this.restartTimeWait(pcb);
      pcb.flags |= TF_ACK_NOW;
      return;
    }
    pcb.rcvNxt = (pcb.rcvNxt + 1) >>> 0;
    this.recvFin = true;
    pcb.flags |= TF_FIN_RECVD | TF_ACK_NOW;
    this.freeOoseq(pcb);
    switch (pcb.state) {
      case SYN_RCVD:
      case ESTABLISHED:
        this.setState(pcb, CLOSE_WAIT, CAUSE_SEGMENT);
        break;
      case FIN_WAIT_1:
        // FIN,ACK acknowledging our FIN goes straight to TIME_WAIT; otherwise simultaneous close
        if (this.finAcked(pcb)) this.enterTimeWait(pcb);
        else this.setState(pcb, CLOSING, CAUSE_SEGMENT);
        break;
      case FIN_WAIT_2:
        this.enterTimeWait(pcb);
        break;
      default:
        break;
    }
  }

  private finAcked(pcb: Tcb): boolean {
    return (pcb.flags & TF_FIN_QUEUED) !== 0 && pcb.unsent === null && pcb.unacked === null
      && pcb.sndUna === pcb.sndLbb;
  }

  private enterTimeWait(pcb: Tcb): void {
    this.setState(pcb, TIME_WAIT, CAUSE_SEGMENT);
    // nothing more to send or to time: only the 2 MSL wait remains (RFC 9293 §3.6)
    this.freeSegs(pcb.unsent);
    this.freeSegs(pcb.unacked);
    pcb.unsent = pcb.unsentTail = pcb.unacked = pcb.unackedTail = null;
    pcb.sndQueueLen = 0;
    pcb.rtxAt = NO_TIME;
    pcb.persistAt = NO_TIME;
    pcb.keepAt = NO_TIME;
    pcb.finWait2At = NO_TIME;
    pcb.timeWaitAt = this.core.now + 2 * this.core.config.TCP_MSL;
  }

  private restartTimeWait(pcb: Tcb): void {
    pcb.timeWaitAt = this.core.now + 2 * this.core.config.TCP_MSL;
  }

  /** Hands what this segment made available to the application: acknowledged octets (tcp_sent),
   *  in-order data (tcp_recv), then the FIN (tcp_recv with a null pbuf). */
  private deliver(pcb: Tcb): void {
    const gen = pcb.gen;
    if (pcb.ackedToReport > 0) {
      const n = pcb.ackedToReport;
      pcb.ackedToReport = 0;
      const fn = pcb.sent;
      if (fn !== null && pcb.handle !== null) {
        const r = fn(pcb.arg, pcb.handle, n);
        if (pcb.gen !== gen) return;
        if (r === ERR_ABRT) return;
      }
    }
    const data = this.recvData;
    const fin = this.recvFin;
    this.recvData = null;
    this.recvFin = false;
    if (data !== null) {
      if (pcb.refused !== null) pbuf_cat(pcb.refused, data);
      else pcb.refused = data;
    }
    if (fin) pcb.refusedFin = true;
    this.offerRefused(pcb);
  }

  /** Offers held data (and the FIN) to the application; what it refuses stays for later. */
  private offerRefused(pcb: Tcb): void {
    const gen = pcb.gen;
    const data = pcb.refused;
    if (data !== null) {
      pcb.refused = null;
      const r = this.callRecv(pcb, data, ERR_OK);
      if (r !== ERR_OK) {
        // refused: the stack still owns the data (lwIP refused_data) and offers it again from the
        // timer or the next segment; if the callback ended the connection, the data goes back
        if (pcb.gen !== gen) pbuf_free(data);
        else pcb.refused = data;
        return;
      }
    }
    if (pcb.refusedFin) {
      const r = this.callRecv(pcb, null, ERR_OK);
      if (pcb.gen !== gen) return;
      if (r === ERR_OK) pcb.refusedFin = false;
    }
  }

  private callRecv(pcb: Tcb, p: Pbuf | null, err: Err): Err {
    const fn = pcb.recv;
    const h = pcb.handle;
    if (fn !== null && h !== null) return fn(pcb.arg, h, p, err);
    // lwIP's tcp_recv_null: consume the data; close on FIN
    if (p !== null) {
      const n = p.totLen;
      pbuf_free(p);
      this.recved(pcb, n);
    } else if (h !== null) {
      this.close(pcb);
    }
    return ERR_OK;
  }

  // ---------------------------------------------------------------------------------------------
  // Output
  // ---------------------------------------------------------------------------------------------

  /** tcp_output: sends what the windows (peer's and congestion) and Nagle allow, and owed ACKs. */
  output(pcb: Tcb): Err {
    const state = pcb.state;
    if (state === CLOSED || state === LISTEN || state === TIME_WAIT) {
      if (state === TIME_WAIT && (pcb.flags & TF_ACK_NOW) !== 0) this.sendAck(pcb);
      return ERR_OK;
    }
    pcb.outputPending = false;
    if (state === SYN_SENT || state === SYN_RCVD) {
      // only the SYN goes out before the handshake completes
      const s = pcb.unsent;
      if (s !== null && (s.flags & TCP_SYN) !== 0) {
        this.moveToUnacked(pcb, s);
        this.sendSeg(pcb, s);
      } else if (pcb.flags & TF_ACK_NOW) {
        this.sendAck(pcb);
      }
      return ERR_OK;
    }
    const wndPeer = pcb.sndWnd;
    // limited transmit (RFC 3042): the first two duplicate ACKs each let one new segment out, so
    // that a small window still produces the three duplicates fast retransmit needs
    let cwnd = pcb.cwnd;
    if (pcb.dupAcks > 0 && pcb.dupAcks < 3 && (pcb.flags & TF_INFR) === 0) cwnd += pcb.dupAcks * pcb.mss;
    const wnd = wndPeer < cwnd ? wndPeer : cwnd;
    let seg = pcb.unsent;
    let sentAny = false;
    while (seg !== null) {
      const offsetInWnd = (seg.seqno - pcb.sndUna) | 0;
      if (offsetInWnd + seg.len > wnd) {
        // does not fit entirely
        const usable = wnd - offsetInWnd;
        if (wndPeer === 0 || usable <= 0) {
          if (wndPeer === 0 && pcb.unacked === null) this.startPersist(pcb);
          break;
        }
        // sender SWS avoidance (RFC 1122 §4.2.3.4): send a partial segment only when it is at
        // least an MSS or half the largest window the peer offered
        const peerLimited = wndPeer - offsetInWnd < seg.len;
        if (usable >= pcb.mss || (peerLimited && usable >= (pcb.sndWndMax >>> 1))) {
          if (!this.splitSeg(pcb, seg, usable)) break;
        } else {
          if (peerLimited && pcb.unacked === null) this.startPersist(pcb);
          break;
        }
      }
      // Nagle (RFC 896, RFC 1122 §4.2.3.4) in Minshall's variant (as Linux): hold a small last
      // segment only while a previous small segment is unacknowledged. Classic Nagle would hold the
      // small tail of every write behind the receiver's delayed ACK of the full segments before it
      // (a 200 ms stall per write)
      if ((pcb.flags & (TF_NODELAY | TF_NAGLEMEMERR)) === 0 && seg.len < pcb.mss && seg.next === null
        && (seg.flags & TCP_FIN) === 0 && seqGt(pcb.sndSml, pcb.sndUna)) {
        break;
      }
      pcb.unsent = seg.next;
      if (pcb.unsent === null) pcb.unsentTail = null;
      this.moveToUnacked(pcb, seg);
      this.sendSeg(pcb, seg);
      sentAny = true;
      seg = pcb.unsent;
    }
    if (!sentAny && (pcb.flags & TF_ACK_NOW) !== 0) this.sendAck(pcb);
    return ERR_OK;
  }

  private moveToUnacked(pcb: Tcb, seg: TcpSeg): void {
    if (pcb.unsent === seg) {
      pcb.unsent = seg.next;
      if (pcb.unsent === null) pcb.unsentTail = null;
    }
    seg.next = null;
    // keep unacked sorted: a segment re-sent after a timeout may come before later ones
    const tail = pcb.unackedTail;
    if (tail === null) { pcb.unacked = seg; pcb.unackedTail = seg; return; }
    if (seqGt(seg.seqno, tail.seqno)) { tail.next = seg; pcb.unackedTail = seg; return; }
    let prev: TcpSeg | null = null;
    let cur = pcb.unacked;
    while (cur !== null && seqLt(cur.seqno, seg.seqno)) { prev = cur; cur = cur.next; }
    seg.next = cur;
    if (prev === null) pcb.unacked = seg; else prev.next = seg;
  }

  /** Splits an unsent segment after `first` octets (copying the tail into a new pool pbuf). */
  private splitSeg(pcb: Tcb, seg: TcpSeg, first: number): boolean {
    if (first <= 0 || first >= seg.len) return first >= seg.len;
    const restLen = seg.len - first;
    const s = this.segPool.alloc();
    if (s === null) return false;
    const p = this.core.pbufs.alloc(PBUF_TRANSPORT, restLen);
    if (p === null) { this.segPool.release(s); return false; }
    // copy the tail octets out of the (possibly chained) payload
    let skip = first;
    let done = 0;
    for (let q = seg.p; q !== null && done < restLen; q = q.next) {
      if (skip >= q.len) { skip -= q.len; continue; }
      const n = q.len - skip;
      copyBytes(p.buf, p.off + done, q.buf, q.off + skip, n, p.pool.copier);
      done += n;
      skip = 0;
    }
    pbuf_realloc(seg.p as Pbuf, first);
    s.p = p;
    s.seqno = (seg.seqno + first) >>> 0;
    s.len = restLen;
    s.flags = seg.flags & (TCP_FIN | TCP_PSH);
    s.sent = 0;
    seg.flags &= ~(TCP_FIN | TCP_PSH);
    seg.len = first;
    s.next = seg.next;
    seg.next = s;
    if (pcb.unsentTail === seg) pcb.unsentTail = s;
    pcb.sndQueueLen++;
    return true;
  }

  /** Transmits one queued segment (first transmission or retransmission). */
  private sendSeg(pcb: Tcb, seg: TcpSeg): void {
    const p = seg.p as Pbuf;
    const syn = (seg.flags & TCP_SYN) !== 0;
    const hdrLen = syn ? TCP_HLEN + 4 : TCP_HLEN;
    seg.sent++;
    if (seg.sent === 1) {
      if (pcb.rttStart === NO_TIME && (seg.len > 0 || (seg.flags & (TCP_SYN | TCP_FIN)) !== 0)) {
        pcb.rttSeq = seg.seqno;
        pcb.rttStart = this.core.now;
      }
    } else {
      // Karn's rule: an ambiguous measurement is discarded
      if (pcb.rttStart !== NO_TIME && seqGeq(pcb.rttSeq, seg.seqno)) pcb.rttStart = NO_TIME;
    }
    let flags = seg.flags;
    if (!(syn && pcb.state === SYN_SENT)) flags |= TCP_ACK;
    this.emit(pcb, p, seg.seqno, flags, hdrLen, syn);
    const end = (seg.seqno + seg.len + (syn ? 1 : 0) + ((seg.flags & TCP_FIN) !== 0 ? 1 : 0)) >>> 0;
    if (seg.len > 0 && seg.len < pcb.mss && seqGt(end, pcb.sndSml)) pcb.sndSml = end;
    if (seqGt(end, pcb.sndNxt)) pcb.sndNxt = end;
    if (seqGt(pcb.sndNxt, pcb.sndMax)) pcb.sndMax = pcb.sndNxt;
    if (pcb.rtxAt === NO_TIME) pcb.rtxAt = this.core.now + pcb.rto;
    pcb.persistAt = NO_TIME;
  }

  /** Writes the TCP header in front of `p`'s payload, sends it, and restores `p`. */
  private emit(pcb: Tcb, p: Pbuf, seqno: number, flags: number, hdrLen: number, mssOpt: boolean): void {
    if (pbuf_add_header(p, hdrLen) !== 0) { this.core.stats.tcp.err++; return; }
    let wnd = 0;
    if (flags & TCP_ACK || (flags & TCP_SYN)) {
      this.updateRcvAnnWnd(pcb);
      wnd = pcb.rcvAnnWnd;
      if (wnd > 0xffff) wnd = 0xffff;
      pcb.rcvAnnRightEdge = (pcb.rcvNxt + wnd) >>> 0;
    }
    tcpWriteHeader(p.buf, p.off, pcb.localPort, pcb.remotePort, seqno, (flags & TCP_ACK) ? pcb.rcvNxt : 0,
      hdrLen, flags, wnd, 0);
    if (mssOpt) tcpWriteOptMss(p.buf, p.off + TCP_HLEN, pcb.rcvMss);
    const sum = tcpChecksum(p, p.totLen, pcb.localIp, pcb.remoteIp);
    p.buf[p.off + 16] = sum >>> 8;
    p.buf[p.off + 17] = sum & 0xff;
    this.core.stats.tcp.xmit++;
    this.ip.output(p, pcb.localIp, pcb.remoteIp, this.core.config.IP_DEFAULT_TTL, 0, IP_PROTO_TCP);
    pbuf_remove_header(p, hdrLen);
    if (flags & TCP_ACK) {
      pcb.flags &= ~(TF_ACK_DELAY | TF_ACK_NOW);
      pcb.delackAt = NO_TIME;
    }
  }

  /**
   * An empty segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (also the challenge ACK of RFC 5961). Our
   * go-back-N retransmission rewinds sndNxt; the RFC's SND.NXT never moves back, and a pure ACK
   * carrying a rewound (old) sequence number would be unacceptable to the peer (RFC 9293
   * §3.10.7.4): control segments use the highest sequence number sent, sndMax.
   */
  sendAck(pcb: Tcb): void {
    this.sendEmpty(pcb, pcb.sndMax, TCP_ACK);
  }

  private sendEmpty(pcb: Tcb, seqno: number, flags: number): void {
    const p = this.core.pbufs.allocControl(PBUF_TRANSPORT, 0);
    if (p === null) { this.core.stats.tcp.memerr++; return; }
    this.emit(pcb, p, seqno, flags, TCP_HLEN, false);
    pbuf_free(p);
  }

  /** A RST not tied to a pcb's send state (RFC 9293 §3.10.7.1 forms). */
  private sendRst(seqno: number, ackno: number, withAck: boolean, localIp: number, localPort: number,
    remoteIp: number, remotePort: number): void {
    const p = this.core.pbufs.allocControl(PBUF_TRANSPORT, 0);
    if (p === null) { this.core.stats.tcp.memerr++; return; }
    pbuf_add_header(p, TCP_HLEN);
    tcpWriteHeader(p.buf, p.off, localPort, remotePort, seqno, withAck ? ackno : 0, TCP_HLEN,
      withAck ? (TCP_RST | TCP_ACK) : TCP_RST, 0, 0);
    const sum = tcpChecksum(p, p.totLen, localIp, remoteIp);
    p.buf[p.off + 16] = sum >>> 8;
    p.buf[p.off + 17] = sum & 0xff;
    this.core.stats.tcp.xmit++;
    this.ip.output(p, localIp, remoteIp, this.core.config.IP_DEFAULT_TTL, 0, IP_PROTO_TCP);
    pbuf_free(p);
  }

  /** Retransmits the oldest unacknowledged segment (fast retransmit, SYN,ACK again, partial ACK). */
  private retransmitFirst(pcb: Tcb): void {
    let seg = pcb.unacked;
    if (seg === null) {
      seg = pcb.unsent;
      if (seg === null || seg.sent === 0 && (seg.flags & TCP_SYN) === 0) return;
      this.moveToUnacked(pcb, seg);
    }
    this.sendSeg(pcb, seg);
  }

  private startPersist(pcb: Tcb): void {
    if (pcb.persistAt !== NO_TIME) return;
    pcb.rtxAt = NO_TIME;
    pcb.persistAt = this.core.now + this.persistInterval(pcb);
  }

  private persistInterval(pcb: Tcb): number {
    const cfg = this.core.config;
    let t = pcb.rto;
    for (let i = 0; i < pcb.persistBackoff && t < cfg.TCP_PERSIST_MAX; i++) t *= 2;
    if (t < cfg.TCP_RTO_MIN) t = cfg.TCP_RTO_MIN;
    return t > cfg.TCP_PERSIST_MAX ? cfg.TCP_PERSIST_MAX : t;
  }

  // ---------------------------------------------------------------------------------------------
  // Timers
  // ---------------------------------------------------------------------------------------------

  tick(now: number): void {
    const coarse = now >= this.nextCoarse;
    if (coarse) this.nextCoarse = now + this.core.config.TCP_COARSE_TICK_MS;
    for (let i = this.nActive - 1; i >= 0; i--) {
      if (i >= this.nActive) continue;
      const pcb = this.active[i];
      this.pcbTimers(pcb, now, coarse);
    }
  }

  private pcbTimers(pcb: Tcb, now: number, coarse: boolean): void {
    const gen = pcb.gen;
    const state = pcb.state;
    if (state === CLOSED) return;
    if (state === TIME_WAIT) {
      if (now >= pcb.timeWaitAt) this.freePcb(pcb, 0, CAUSE_TIMER);
      else if (pcb.flags & TF_ACK_NOW) this.sendAck(pcb);
      return;
    }
    if (pcb.finWait2At !== NO_TIME && state === FIN_WAIT_2 && now >= pcb.finWait2At) {
      this.freePcb(pcb, 0, CAUSE_TIMER);
      return;
    }
    if (this.lifetimeOver(pcb, now)) return;
    if (pcb.rtxAt !== NO_TIME && now >= pcb.rtxAt) {
      this.retransmitTimeout(pcb);
      if (pcb.gen !== gen) return;
    }
    if (pcb.persistAt !== NO_TIME && now >= pcb.persistAt) {
      this.persistTimeout(pcb);
      if (pcb.gen !== gen) return;
    }
    if (pcb.delackAt !== NO_TIME && now >= pcb.delackAt) {
      pcb.delackAt = NO_TIME;
      if (pcb.flags & (TF_ACK_DELAY | TF_ACK_NOW)) this.sendAck(pcb);
    }
    if ((pcb.soOptions & SOF_KEEPALIVE) !== 0 && (state === ESTABLISHED || state === CLOSE_WAIT)) {
      this.keepaliveTimer(pcb, now);
      if (pcb.gen !== gen) return;
    }
    if (coarse) {
      if (pcb.refused !== null || pcb.refusedFin) {
        this.offerRefused(pcb);
        if (pcb.gen !== gen) return;
      }
      if (pcb.poll !== null && pcb.pollInterval > 0 && pcb.handle !== null) {
        if (++pcb.pollTicks >= pcb.pollInterval) {
          pcb.pollTicks = 0;
          const r = pcb.poll(pcb.arg, pcb.handle);
          if (pcb.gen !== gen || r === ERR_ABRT) return;
          pcb.outputPending = true;
        }
      }
    }
    if (pcb.outputPending || (pcb.flags & TF_ACK_NOW) !== 0) this.output(pcb);
  }

  /**
   * The lifetime limits, checked on every tick; true when `pcb` was ended:
   * - an orphan (closed by the application) in FIN_WAIT_1, CLOSING or LAST_ACK for longer than
   *   TCP_ORPHAN_TIMEOUT is reset (Linux's tcp_orphan_retries): a vanished peer cannot hold it;
   * - the user timeout (RFC 9293 §3.8.4, RFC 5482) bounds a zero-window stall: a peer that answers
   *   every probe with window 0 holds the connection that long at most (ERR_TIMEOUT);
   * - out-of-order data older than TCP_OOSEQ_TIMEOUT RTOs is freed (lwIP TCP_OOSEQ_TIMEOUT).
   */
  private lifetimeOver(pcb: Tcb, now: number): boolean {
    const cfg = this.core.config;
    const state = pcb.state;
    if (cfg.TCP_ORPHAN_TIMEOUT > 0 && (pcb.flags & TF_CLOSED_BY_APP) !== 0
      && (state === FIN_WAIT_1 || state === CLOSING || state === LAST_ACK) && now - pcb.stateSince >= cfg.TCP_ORPHAN_TIMEOUT) {
      this.core.stats.tcp.err++;
      this.abortPcb(pcb, 0, true);
      return true;
    }
    if (pcb.sndWnd === 0 && pcb.unsent !== null && pcb.unacked === null) {
      if (pcb.zeroWindowSince === NO_TIME) pcb.zeroWindowSince = now;
      else if (pcb.userTimeout > 0 && now - pcb.zeroWindowSince >= pcb.userTimeout) {
        this.core.stats.tcp.err++;
        this.abortPcb(pcb, ERR_TIMEOUT, true);
        return true;
      }
    } else {
      pcb.zeroWindowSince = NO_TIME;
    }
    if (pcb.ooseq !== null && cfg.TCP_OOSEQ_TIMEOUT > 0 && now - pcb.ooseqSince >= cfg.TCP_OOSEQ_TIMEOUT * pcb.rto) {
      this.freeOoseq(pcb);
    }
    return false;
  }

  /** RFC 6298 §5.4–5.7 with RFC 5681 §3.1 (loss window) and go-back-N resending. */
  private retransmitTimeout(pcb: Tcb): void {
    const cfg = this.core.config;
    pcb.rtxAt = NO_TIME;
    if (pcb.unacked === null && !(pcb.unsent !== null && pcb.unsent.sent > 0)) return;
    const synState = pcb.state === SYN_SENT || pcb.state === SYN_RCVD;
    const halfOpen = pcb.state === SYN_RCVD && (pcb.flags & TF_PASSIVE) !== 0 && pcb.handle === null;
    if (halfOpen && cfg.TCP_HALFOPEN_NEEDS_ARP && !this.ip.nextHopResolved(pcb.remoteIp)) {
      // our SYN-ACK never left: the peer's address does not resolve (a spoofed source); the pcb
      // is not held for every retry
      this.halfOpenDropped++;
      this.freePcb(pcb, 0, CAUSE_TIMER);
      return;
    }
    const limit = halfOpen ? cfg.TCP_SYNACK_MAXRTX : synState ? cfg.TCP_SYNMAXRTX : cfg.TCP_MAXRTX;
    if (pcb.nrtx >= limit) {
      // give up (RFC 1122 §4.2.3.5 R2): the application learns ERR_TIMEOUT through tcp_err, or
      // ERR_RTE when an ICMP unreachable told why meanwhile (RFC 1122 §4.2.3.9 soft error)
      this.core.stats.tcp.err++;
      this.freePcb(pcb, pcb.state === SYN_RCVD && pcb.handle === null ? 0 : icmpSoftErrReport(pcb.icmpSoftErr),
        CAUSE_TIMER);
      return;
    }
    pcb.nrtx++;
    let rto = pcb.rto * 2;
    if (rto > cfg.TCP_RTO_MAX) rto = cfg.TCP_RTO_MAX;
    pcb.rto = rto;
    pcb.rttStart = NO_TIME;
    if (synState) {
      pcb.flags |= TF_SYN_RTX;
    } else {
      const flight = (pcb.sndMax - pcb.sndUna) >>> 0;
      const half = flight >>> 1;
      pcb.ssthresh = half > 2 * pcb.mss ? half : 2 * pcb.mss;
      pcb.cwnd = pcb.mss;
      pcb.bytesAcked = 0;
      pcb.flags &= ~TF_INFR;
      pcb.dupAcks = 0;
      pcb.recover = (pcb.sndMax - 1) >>> 0;
    }
    // go back N: everything unacknowledged is queued again and resent as the window allows
    if (pcb.unacked !== null) {
      const tail = pcb.unackedTail as TcpSeg;
      tail.next = pcb.unsent;
      if (pcb.unsent === null) pcb.unsentTail = tail;
      pcb.unsent = pcb.unacked;
      pcb.unacked = null;
      pcb.unackedTail = null;
    }
    pcb.sndNxt = pcb.sndUna;
    if (synState) {
      const s = pcb.unsent as TcpSeg;
      this.moveToUnacked(pcb, s);
      this.sendSeg(pcb, s);
    } else {
      // the first segment goes even if the window is closed (it is a retransmission)
      const s = pcb.unsent as TcpSeg;
      if (s !== null) {
        if (s.len > pcb.mss) this.splitSeg(pcb, s, pcb.mss);
        this.moveToUnacked(pcb, s);
        this.sendSeg(pcb, s);
      }
      this.output(pcb);
    }
  }

  /** Zero-window probe (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17): a segment the receiver must
   *  answer with its window, <SEQ=SND.UNA-1> without data (as Linux sends it); backed off like the
   *  RTO. The connection is not given up while the peer answers. */
  private persistTimeout(pcb: Tcb): void {
    const cfg = this.core.config;
    pcb.persistAt = NO_TIME;
    const first = pcb.unsent;
    if (first === null) { pcb.persistBackoff = 0; return; }
    if (pcb.sndWnd > 0) {
      // RFC 1122 §4.2.3.4: when the override (persist) timer fires, send what the small window
      // takes even if sender SWS avoidance held it back
      pcb.persistBackoff = 0;
      const usable = pcb.sndWnd - ((first.seqno - pcb.sndUna) | 0);
      if (usable > 0 && (usable >= first.len || this.splitSeg(pcb, first, usable))) {
        this.moveToUnacked(pcb, first);
        this.sendSeg(pcb, first);
      }
      this.output(pcb);
      return;
    }
    if (pcb.persistProbes >= cfg.TCP_MAXRTX) {
      this.freePcb(pcb, ERR_TIMEOUT, CAUSE_TIMER);
      return;
    }
    pcb.persistProbes++;
    this.sendEmpty(pcb, (pcb.sndUna - 1) >>> 0, TCP_ACK);
    if (pcb.persistBackoff < 16) pcb.persistBackoff++;
    pcb.persistAt = this.core.now + this.persistInterval(pcb);
  }

  /** Keepalive (RFC 1122 §4.2.3.6): after keepIdle without a segment from the peer, probes every
   *  keepIntvl with <SEQ=SND.NXT-1>; keepCnt unanswered probes end the connection. */
  private keepaliveTimer(pcb: Tcb, now: number): void {
    const idle = now - pcb.lastActivity;
    if (idle < pcb.keepIdle) { pcb.keepProbes = 0; return; }
    const due = pcb.keepIdle + pcb.keepProbes * pcb.keepIntvl;
    if (idle < due) return;
    if (pcb.keepProbes >= pcb.keepCnt) {
      this.abortPcb(pcb, ERR_TIMEOUT, true);
      return;
    }
    pcb.keepProbes++;
    this.sendEmpty(pcb, (pcb.sndMax - 1) >>> 0, TCP_ACK);
  }

  // ---------------------------------------------------------------------------------------------
  // Diagnostics
  // ---------------------------------------------------------------------------------------------

  netstat(formatIp: (ip: number) => string): NetstatRow[] {
    const rows: NetstatRow[] = [];
    for (let i = 0; i < this.nListeners; i++) {
      const l = this.listeners[i];
      rows.push({ proto: 'tcp', local: formatIp(l.localIp) + ':' + l.localPort, remote: '0.0.0.0:*',
        state: 'LISTEN', sendQ: 0, recvQ: 0 });
    }
    for (let i = 0; i < this.nActive; i++) {
      const p = this.active[i];
      // CLOSED rows are pcbs the application created (tcp_new) and has not opened yet
      let recvQ = p.rcvWndMax - p.rcvWnd;
      if (recvQ < 0) recvQ = 0;
      let sendQ = (p.sndLbb - p.sndUna) >>> 0;
      if (sendQ > 0x7fffffff) sendQ = 0;
      rows.push({ proto: 'tcp', local: formatIp(p.localIp) + ':' + p.localPort,
        remote: formatIp(p.remoteIp) + ':' + p.remotePort, state: tcpStateName(p.state), sendQ, recvQ });
    }
    return rows;
  }

  /** Every pcb's state (tests and tools). */
  forEachConn(fn: (pcb: Tcb) => void): void {
    for (let i = 0; i < this.nActive; i++) fn(this.active[i]);
  }

  forEachListener(fn: (l: TcpListen) => void): void {
    for (let i = 0; i < this.nListeners; i++) fn(this.listeners[i]);
  }
}

/** Cuts the application off a pcb: its handle goes dead (ERR_CLSD from then on) and no callback
 *  of the application runs again. */
function detachApp(pcb: Tcb): void {
  const h = pcb.handle;
  if (h !== null) { h.conn = null; pcb.handle = null; }
  pcb.recv = pcb.sent = pcb.poll = pcb.connected = null;
  pcb.err = null;
  pcb.arg = null;
}

/** Removes `item` from the first `n` entries of a fixed table (the last entry takes its place);
 *  returns the new count. */
function swapRemove<T>(table: T[], n: number, item: T): number {
  for (let i = 0; i < n; i++) {
    if (table[i] === item) {
      n--;
      table[i] = table[n];
      table[n] = undefined as unknown as T;
      break;
    }
  }
  return n;
}

/** One round of a 32-bit multiply-rotate mix keyed by `k` (for RFC 6528 ISNs). */
function mix(h: number, k: number): number {
  h = Math.imul(h ^ k, 0x9e3779b1);
  h = (h << 13) | (h >>> 19);
  h = Math.imul(h, 0x85ebca77);
  return (h ^ (h >>> 16)) >>> 0;
}

