/**
 * The pcb tables: pools, allocation and release, demultiplexing, state changes and their trace,
 * initial sequence numbers (RFC 6528), ephemeral ports, bind and listen.
 */
import { allocatePort, firstPort, type PortUser } from '../core/ports.js';
import { newReno } from './cc.js';
import type { CongestionController } from './cc.js';
import { TCP_DEFAULT_MSS } from '../core/config.js';
import type { StackCore } from '../core/context.js';
import type { Pbuf, PoolStats } from '../core/pbuf.js';
import { pbuf_free, pbuf_clen } from '../core/pbuf.js';
import { Memp, IndexPool } from '../core/memp.js';
import { Arena } from '../core/arena.js';
import { retire } from '../core/handle.js';
import { ERR_OK, ERR_VAL, ERR_USE, ERR_ABRT, ERR_CLSD } from '../core/err.js';
import type { Err } from '../core/err.js';
import type { Ip4 } from '../ipv4/ip4.js';
import { InSeg } from './inseg.js';
import { offerOptions } from './options.js';
import { Tcb, TcpListen, TcpPcb, SegStore, NO_SEG, TCB_FIELD_COUNT, TCP_LISTEN_FIELDS, TCB } from './tcb.js';
import {
  CLOSED, LISTEN, SYN_RCVD, ESTABLISHED, CLOSING, LAST_ACK, TIME_WAIT, SOF_REUSEADDR, TF_NODELAY,
  CAUSE_API, NO_TIME, CAUSE_SEGMENT, FIN_WAIT_1, TF_CLOSED_BY_APP, TF_PASSIVE
} from './constants.js';

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

export abstract class TcpTable implements PortUser {
  /** A new application handle on this layer (tcp.ts: the facade is what the handle reaches). */
  abstract newHandle(): TcpPcb;

  /** Ends a connection at once (output.ts). */
  abstract abortPcb(pcb: Tcb, errCode: Err, sendRst: boolean): void;

  readonly core: StackCore;
  readonly ip: Ip4;
  readonly pcbPool: Memp<Tcb>;
  readonly listenPool: Memp<TcpListen>;
  /** The segment descriptors: indices from segPool, their fields in `segs` (tcb.ts SegStore). */
  readonly segPool: IndexPool;
  readonly segs: SegStore;
  /** Congestion control of every connection (cc.ts). */
  protected readonly cc: CongestionController = newReno;
  /** Every pcb taken from the pool, in any state but LISTEN (bound, connecting, open, closing). */
  protected readonly active: Tcb[];
  protected nActive = 0;
  protected readonly listeners: TcpListen[];
  protected nListeners = 0;
  /** The segments being processed, one per nesting level of the input path (inseg.ts), and how
   *  many levels are in use. */
  protected readonly inSegs: InSeg[];
  protected inDepth = 0;
  /** RFC 6528 secret key for initial sequence numbers. */
  protected readonly isnKey: Uint32Array;
  /** PortUser: where the ephemeral port search starts next (ports.ts). @internal */
  nextPort: number;
  /** The state-transition hook (setTrace), and the record handed to it: made when a hook is first
   *  installed (most stacks never trace: ten XS heap slots saved), reused for every call. */
  protected trace: ((info: TcpTraceInfo) => void) | null = null;
  private traceInfo: TcpTraceInfo | null = null;
  /** RFC 5961 §7: challenge ACKs and ACKs to unacceptable segments, all connections together. */
  protected readonly invalidAckLimit: number;
  /** RSTs answering segments for no connection (TCP_RST_LIMIT). Both are buckets of core.limits. */
  protected readonly rstLimit: number;
  /** ACKs to unacceptable segments and RSTs not sent because a rate limit refused them. */
  reflectionsLimited = 0;
  /** Half-open connections dropped for a new SYN, or because their peer never resolved. */
  halfOpenDropped = 0;
  /** Segments dropped by PAWS (RFC 7323 §5.3): a timestamp older than TS.Recent. */
  pawsDropped = 0;
  /** Timestamp echoes not used for RTT: later than our clock, or older than the connection. */
  tsEcrIgnored = 0;
  /** Received SACK blocks outside SND.UNA..SND.MAX (or empty), ignored (RFC 2018 §3). */
  sackBlocksIgnored = 0;
  /** Scratch for the SACK blocks of one ACK we send (options.ts sackBlocksToSend): pairs, and
   *  3 numbers per out-of-order segment a connection may hold. */
  protected readonly sackOut: Uint32Array;
  protected readonly sackRuns: Uint32Array;
  /** The pool is under pressure at this many free pbufs or fewer (TCP_POOL_PRESSURE percent of it):
   *  computed once, since the pool's size and the config are fixed, to keep the receive path short. */
  protected readonly pressureFreeMax: number;
  /** IP_DEFAULT_TTL, read once: every segment we send carries it. */
  protected readonly ttl: number;

  constructor(core: StackCore, ip: Ip4) {
    this.core = core;
    this.ip = ip;
    const cfg = core.config;
    this.ttl = cfg.IP_DEFAULT_TTL;
    this.pressureFreeMax = Math.floor(core.pbufs.pool.avail * cfg.TCP_POOL_PRESSURE / 100);
    const nPcb = cfg.MEMP_NUM_TCP_PCB;
    const nListen = cfg.MEMP_NUM_TCP_PCB_LISTEN;
    const nSeg = cfg.MEMP_NUM_TCP_SEG;
    const nest = cfg.TCP_INPUT_NEST_MAX;
    // every typed array of the layer in one buffer (core/arena.ts), sized for exactly these
    const arena = new Arena(Arena.size(nPcb * TCB_FIELD_COUNT * 8, nListen * TCP_LISTEN_FIELDS * 8,
      nPcb * 8, nListen * 8, nSeg * 8, ...SegStore.bytes(nSeg), 32, 12 * cfg.TCP_OOSEQ_MAX_SEGS, 16)
      + nest * Arena.size(32));
    const tcbCold = arena.f64(nPcb * TCB_FIELD_COUNT);
    const listenCold = arena.f64(nListen * TCP_LISTEN_FIELDS);
    this.pcbPool = new Memp<Tcb>('tcp_pcb', nPcb, (i) => new Tcb(tcbCold, i), arena.i32(2 * nPcb));
    this.listenPool = new Memp<TcpListen>('tcp_pcb_listen', nListen, (i) => new TcpListen(listenCold, i), arena.i32(2 * nListen));
    this.segPool = new IndexPool('tcp_seg', nSeg, arena.i32(2 * nSeg));
    this.segs = new SegStore(nSeg, arena);
    this.active = new Array<Tcb>(nPcb);
    this.listeners = new Array<TcpListen>(nListen);
    this.inSegs = new Array<InSeg>(nest);
    for (let i = 0; i < nest; i++) this.inSegs[i] = new InSeg(arena.u32(8));
    this.sackOut = arena.u32(8);
    this.sackRuns = arena.u32(3 * cfg.TCP_OOSEQ_MAX_SEGS);
    this.isnKey = arena.u32(4);
    this.arenaSpilled = arena.spilled;
    for (let i = 0; i < 4; i++) this.isnKey[i] = core.random.nextU32();
    this.invalidAckLimit = core.limits.addRate(cfg.TCP_CHALLENGE_ACK_LIMIT, cfg.TCP_CHALLENGE_ACK_LIMIT, core.now);
    this.rstLimit = core.limits.addRate(cfg.TCP_RST_LIMIT, cfg.TCP_RST_LIMIT > 10 ? Math.floor(cfg.TCP_RST_LIMIT / 10) : 1, core.now);
    this.nextPort = firstPort(cfg.TCP_LOCAL_PORT_RANGE_START, cfg.TCP_LOCAL_PORT_RANGE_END, core.random);
  }

  /** Typed arrays that did not fit the layer's buffer (0: the sizing above is right; a test checks). */
  readonly arenaSpilled: number;

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

  protected evictOldest(state: number): boolean {
    let oldest: Tcb | null = null;
    for (let i = 0; i < this.nActive; i++) {
      const p = this.active[i];
      // FIN_WAIT_1 only when orphaned: a half-closed connection's application still reads
      if (state === FIN_WAIT_1 && (p.v[TCB.flags] & TF_CLOSED_BY_APP) === 0) continue;
      if (p.v[TCB.state] === state && (oldest === null || p.v[TCB.stateSince] < oldest.v[TCB.stateSince])) oldest = p;
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
  protected evictHalfOpen(l: TcpListen | null): boolean {
    let best: Tcb | null = null;
    let bestResolved = true;
    for (let i = 0; i < this.nActive; i++) {
      const p = this.active[i];
      if (p.v[TCB.state] !== SYN_RCVD || (p.v[TCB.flags] & TF_PASSIVE) === 0 || p.handle !== null || !p.inBacklog) continue;
      if (l !== null && (p.v[TCB.listenerIndex] !== l.mempIndex || p.v[TCB.listenerGen] !== l.gen)) continue;
      const resolved = this.ip.nextHopResolved(p.v[TCB.remoteIp]);
      // a fresh half-open of a peer that resolved is a real client whose SYN-ACK is on its way:
      // evicting it would answer its ACK with a RST; it goes only once that SYN-ACK went unanswered
      if (resolved && p.v[TCB.nrtx] === 0) continue;
      if (best === null || (bestResolved && !resolved)
        || (resolved === bestResolved && p.v[TCB.stateSince] < best.v[TCB.stateSince])) {
        best = p;
        bestResolved = resolved;
      }
    }
    if (best === null) return false;
    this.halfOpenDropped++;
    this.returnToListen(best, CAUSE_SEGMENT);
    return true;
  }

  protected resetPcb(pcb: Tcb): void {
    const pv = pcb.v;
    const cfg = this.core.config;
    pcb.handle = null;
    pv[TCB.state] = CLOSED;
    pv[TCB.flags] = 0;
    pv[TCB.soOptions] = 0;
    pv[TCB.listenerIndex] = -1;
    pv[TCB.listenerGen] = 0;
    pcb.inBacklog = false;
    pv[TCB.localIp] = 0; pv[TCB.localPort] = 0; pv[TCB.remoteIp] = 0; pv[TCB.remotePort] = 0;
    pv[TCB.irs] = 0; pv[TCB.rcvNxt] = 0;
    pv[TCB.rcvWndMax] = cfg.TCP_WND;
    pv[TCB.rcvWnd] = cfg.TCP_WND;
    pv[TCB.rcvAnnRightEdge] = 0;
    pv[TCB.rcvAnnWnd] = 0;
    pv[TCB.rcvMss] = Math.min(cfg.TCP_MSS, cfg.MTU - 40);
    pv[TCB.quickAcks] = 0;
    pcb.ooseq = NO_SEG; pv[TCB.ooseqCount] = 0; pv[TCB.ooseqSince] = NO_TIME;
    pv[TCB.userTimeout] = cfg.TCP_USER_TIMEOUT; pv[TCB.zeroWindowSince] = NO_TIME;
    pcb.refused = null; pcb.refusedFin = false;
    pv[TCB.iss] = 0; pv[TCB.sndUna] = 0; pv[TCB.sndNxt] = 0; pv[TCB.sndMax] = 0; pv[TCB.sndLbb] = 0;
    pv[TCB.sndWnd] = 0; pv[TCB.sndWndMax] = 0; pv[TCB.sndWl1] = 0; pv[TCB.sndWl2] = 0;
    pv[TCB.mss] = TCP_DEFAULT_MSS;
    pv[TCB.sndSml] = 0;
    pv[TCB.lastOowAckAt] = NO_TIME;
    pv[TCB.sndBuf] = cfg.TCP_SND_BUF;
    pv[TCB.sndQueueLen] = 0;
    pcb.unsent = NO_SEG; pcb.unsentTail = NO_SEG; pcb.unacked = NO_SEG; pcb.unackedTail = NO_SEG;
    pv[TCB.cwnd] = 0; pv[TCB.ssthresh] = 0x7fffffff; pv[TCB.dupAcks] = 0; pv[TCB.recover] = 0; pv[TCB.bytesAcked] = 0;
    pv[TCB.srtt] = 0; pv[TCB.rttvar] = 0; pv[TCB.rto] = cfg.TCP_RTO_INITIAL; pcb.rttValid = false;
    pv[TCB.rttSeq] = 0; pv[TCB.rttStart] = NO_TIME; pv[TCB.nrtx] = 0; pv[TCB.rtxAt] = NO_TIME;
    pv[TCB.tlpAt] = NO_TIME; pv[TCB.tlpState] = 0; pv[TCB.tlpEnd] = 0; pcb.sackRescued = false;
    pv[TCB.icmpSoftErr] = 0;
    pv[TCB.persistAt] = NO_TIME; pv[TCB.persistBackoff] = 0; pv[TCB.persistProbes] = 0;
    pv[TCB.delackAt] = NO_TIME; pv[TCB.timeWaitAt] = NO_TIME; pv[TCB.finWait2At] = NO_TIME;
    pv[TCB.lastActivity] = this.core.now;
    pv[TCB.keepIdle] = cfg.TCP_KEEPIDLE_DEFAULT; pv[TCB.keepIntvl] = cfg.TCP_KEEPINTVL_DEFAULT;
    pv[TCB.keepCnt] = cfg.TCP_KEEPCNT_DEFAULT; pv[TCB.keepProbes] = 0;
    pv[TCB.pollInterval] = 0; pv[TCB.pollTicks] = 0;
    pv[TCB.stateSince] = this.core.now;
    pcb.arg = null; pcb.recv = null; pcb.sent = null; pcb.err = null; pcb.poll = null; pcb.connected = null;
    pv[TCB.ackedToReport] = 0;
    pcb.outputPending = false;
    pcb.wsOk = false; pv[TCB.sndScale] = 0; pv[TCB.rcvScale] = 0;
    pcb.tsOk = false; pv[TCB.tsOffset] = 0; pv[TCB.tsFirst] = 0; pv[TCB.tsRecent] = 0; pv[TCB.tsRecentAt] = 0; pv[TCB.lastAckSent] = 0;
    pcb.sackOk = false; pv[TCB.ooseqArrivals] = 0;
  }

  /**
   * Releases a pcb: its queued segments and data go back to the pools, the application's handle is
   * cut off (every later call on it returns ERR_CLSD), and then — with the pcb already gone, as
   * lwIP documents — the error callback is called with `errCode` when it is not 0.
   */
  freePcb(pcb: Tcb, errCode: Err, cause: string): void {
    if (pcb.v[TCB.state] !== CLOSED) this.setState(pcb, CLOSED, cause);
    this.releasePcb(pcb, errCode);
  }

  /**
   * A passive open goes back to LISTEN (RFC 9293 §3.10.7.4): the listener carries on and the
   * embryonic connection's pcb is released. The trace reports the RFC's transition, SYN_RCVD →
   * LISTEN, as what the connection did; it ends there, so no further CLOSED transition is shown.
   */
  protected returnToListen(pcb: Tcb, cause: string): void {
    const pv = pcb.v;
    this.traceTransition(pcb, pv[TCB.state], LISTEN, cause);
    pv[TCB.state] = CLOSED;
    pv[TCB.stateSince] = this.core.now;
    this.releasePcb(pcb, 0);
  }

  private releasePcb(pcb: Tcb, errCode: Err): void {
    const errFn = pcb.err;
    const arg = pcb.arg;
    this.freeSegs(pcb.unsent);
    this.freeSegs(pcb.unacked);
    this.freeSegs(pcb.ooseq);
    pcb.unsent = pcb.unsentTail = pcb.unacked = pcb.unackedTail = pcb.ooseq = NO_SEG;
    pcb.v[TCB.ooseqCount] = 0;
    if (pcb.refused !== null) { pbuf_free(pcb.refused); pcb.refused = null; }
    this.leaveBacklog(pcb);
    pcb.v[TCB.listenerIndex] = -1;
    const h = pcb.handle;
    detachApp(pcb);
    retire(pcb);
    this.nActive = swapRemove(this.active, this.nActive, pcb);
    this.pcbPool.release(pcb);
    if (errCode !== 0 && errFn !== null && h !== null) errFn(arg, errCode);
  }

  /** The listener that created `pcb` (its listenerIndex), or null. Whether it is still that
   *  listener's connection is the caller's check (listenerGen). */
  protected listenerOf(pcb: Tcb): TcpListen | null {
    const i = pcb.v[TCB.listenerIndex];
    return i < 0 ? null : this.listenPool.at(i);
  }

  /** Stops counting `pcb` against its listener's backlog. */
  leaveBacklog(pcb: Tcb): void {
    const l = this.listenerOf(pcb);
    if (pcb.inBacklog && l !== null && l.gen === pcb.v[TCB.listenerGen] && l.pending > 0) l.pending--;
    pcb.inBacklog = false;
  }

  /** tcp_backlog_delayed: an accepted connection counts against the backlog again. */
  backlogDelayed(pcb: Tcb): void {
    const l = this.listenerOf(pcb);
    if (!pcb.inBacklog && l !== null && l.gen === pcb.v[TCB.listenerGen]) { l.pending++; pcb.inBacklog = true; }
  }

  /** The pbuf pool is under pressure: at most TCP_POOL_PRESSURE percent of it is free. */
  protected poolUnderPressure(): boolean {
    return this.core.pbufs.freeCount <= this.pressureFreeMax;
  }

  /** What one connection may hold under pressure (TCP_PCB_POOL_SHARE of the pool, at least 2). */
  protected pcbShare(): number {
    const n = Math.floor(this.core.pbufs.pool.avail * this.core.config.TCP_PCB_POOL_SHARE / 100);
    return n < 2 ? 2 : n;
  }

  /** Pool buffers `pcb` holds: its send queue, its out-of-order queue, the data its application
   *  refused (each segment holds at least one pool pbuf). */
  protected pcbHeld(pcb: Tcb): number {
    return pcb.v[TCB.sndQueueLen] + pcb.v[TCB.ooseqCount] + (pcb.refused !== null ? pbuf_clen(pcb.refused) : 0);
  }

  protected freeSegs(seg: number): void {
    const next = this.segs.next;
    while (seg !== NO_SEG) {
      const n = next[seg];
      this.freeSeg(seg);
      seg = n;
    }
  }

  protected freeSeg(seg: number): void {
    const sg = this.segs;
    const p = sg.p[seg];
    if (p !== null) { pbuf_free(p); sg.p[seg] = null; }
    sg.next[seg] = NO_SEG;
    sg.marks[seg] = 0;
    this.segPool.releaseIndex(seg);
  }

  /** Moves `pcb` to state `to`; the trace observes the transition (from `traceFrom` when given:
   *  a passive open's pcb reports LISTEN, the state of the RFC's listening TCB it stands for). */
  protected setState(pcb: Tcb, to: number, cause: string, traceFrom = -1): void {
    const pv = pcb.v;
    const from = pv[TCB.state];
    if (from === to) return;
    if (to === ESTABLISHED) {
      this.enterQuickAck(pcb);
      pv[TCB.lastDataAt] = this.core.now;
    }
    pv[TCB.state] = to;
    pv[TCB.stateSince] = this.core.now;
    if (this.trace !== null) this.traceTransition(pcb, traceFrom >= 0 ? traceFrom : from, to, cause);
  }

  protected traceTransition(pcb: Tcb, from: number, to: number, cause: string): void {
    const pv = pcb.v;
    if (this.trace !== null) {
      this.emitTrace(pcb.handle, from, to, cause, pv[TCB.localIp], pv[TCB.localPort], pv[TCB.remoteIp], pv[TCB.remotePort]);
    }
  }

  /** Quick-ACK mode (as Linux): the next data segments are ACKed at once, as many as
   *  clamp(window / (2 x 536), 2, TCP_QUICKACKS). */
  protected enterQuickAck(pcb: Tcb): void {
    let q = Math.floor(pcb.v[TCB.rcvWndMax] / (2 * TCP_DEFAULT_MSS));
    if (q < 2) q = 2;
    const max = this.core.config.TCP_QUICKACKS;
    pcb.v[TCB.quickAcks] = q < max ? q : max;
  }

  protected traceListener(l: TcpListen, from: number, to: number): void {
    if (this.trace !== null) this.emitTrace(l.handle, from, to, CAUSE_API, l.localIp, l.localPort, 0, 0);
  }

  /** Installs (null: removes) the state-transition hook (tcp_set_trace). */
  setTrace(fn: ((info: TcpTraceInfo) => void) | null): void {
    if (fn !== null && this.traceInfo === null) this.traceInfo = new TcpTraceInfo();
    this.trace = fn;
  }

  protected emitTrace(handle: TcpPcb | null, from: number, to: number, cause: string, localIp: number,
    localPort: number, remoteIp: number, remotePort: number): void {
    const t = this.trace;
    if (t === null) return;
    const info = this.traceInfo as TcpTraceInfo;
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
      if (p.v[TCB.state] !== CLOSED && p.v[TCB.localPort] === localPort && p.v[TCB.remotePort] === remotePort
        && p.v[TCB.remoteIp] === remoteIp && (p.v[TCB.localIp] === localIp || p.v[TCB.localIp] === 0)) return p;
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
  protected newIss(localIp: number, localPort: number, remoteIp: number, remotePort: number): number {
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

  /** The options a new connection offers (options.ts offerOptions), its 4-tuple set; the
   *  timestamp clock's offset is computed only when timestamps are on (a SYN flood pays nothing). */
  protected offerOptions(pcb: Tcb): void {
    const pv = pcb.v;
    const cfg = this.core.config;
    const off = cfg.TCP_TIMESTAMPS ? this.newTsOffset(pv[TCB.localIp], pv[TCB.localPort], pv[TCB.remoteIp], pv[TCB.remotePort]) : 0;
    offerOptions(pcb, cfg, off, this.core.now);
  }

  /**
   * The offset of a new connection's timestamp clock (RFC 7323 §5.4: a random offset per
   * connection, so that TSval reveals neither uptime nor the clock of other connections): a keyed
   * hash of the 4-tuple, as the ISN without its clock (RFC 6528), with the key words in another
   * order.
   */
  protected newTsOffset(localIp: number, localPort: number, remoteIp: number, remotePort: number): number {
    const k = this.isnKey;
    let h = k[3];
    h = mix(h ^ remoteIp, k[0]);
    h = mix(h ^ localIp, k[1]);
    h = mix(h ^ ((remotePort << 16) | localPort), k[2]);
    return mix(h, k[1] ^ k[3]);
  }

  protected portInUse(port: number): boolean {
    for (let i = 0; i < this.nActive; i++) if (this.active[i].v[TCB.localPort] === port) return true;
    for (let i = 0; i < this.nListeners; i++) if (this.listeners[i].localPort === port) return true;
    return false;
  }

  /** PortUser (ports.ts): TCP's local ports are taken for every address alike. */
  portTaken(port: number, _ip: number): boolean { return this.portInUse(port); }

  protected ephemeralPort(): number {
    const cfg = this.core.config;
    return allocatePort(this, cfg.TCP_LOCAL_PORT_RANGE_START, cfg.TCP_LOCAL_PORT_RANGE_END, 0);
  }

  // ---------------------------------------------------------------------------------------------
  // Operations behind the raw API
  // ---------------------------------------------------------------------------------------------

  bind(pcb: Tcb, ip: number, port: number): Err {
    const pv = pcb.v;
    if (pv[TCB.state] !== CLOSED || pv[TCB.localPort] !== 0) return ERR_VAL;
    if (ip !== 0 && ip !== this.ip.ourAddress) return ERR_VAL;
    if (port === 0) {
      port = this.ephemeralPort();
      if (port === 0) return ERR_USE;
    } else if (this.bindConflict(pv[TCB.soOptions], ip, port)) {
      return ERR_USE;
    }
    pv[TCB.localIp] = ip;
    pv[TCB.localPort] = port;
    return ERR_OK;
  }

  /**
   * Whether binding (ip, port) clashes with an existing pcb. A listener always clashes; a TIME_WAIT
   * connection does not when SO_REUSEADDR is set (lwIP; RFC 9293 §3.6.1 lets a new incarnation
   * reuse the port: a server restarted while its old connections sit in TIME_WAIT); another connection does unless both sides set SO_REUSEADDR
   * (accepted connections inherit the option from their listener).
   */
  protected bindConflict(soOptions: number, ip: number, port: number): boolean {
    const reuse = (soOptions & SOF_REUSEADDR) !== 0;
    for (let i = 0; i < this.nListeners; i++) {
      const l = this.listeners[i];
      if (l.localPort === port && (l.localIp === 0 || ip === 0 || l.localIp === ip)) return true;
    }
    for (let i = 0; i < this.nActive; i++) {
      const p = this.active[i];
      if (p.v[TCB.localPort] !== port || !(p.v[TCB.localIp] === 0 || ip === 0 || p.v[TCB.localIp] === ip)) continue;
      if (p.v[TCB.state] === TIME_WAIT) { if (!reuse) return true; continue; }
      if (!reuse || (p.v[TCB.soOptions] & SOF_REUSEADDR) === 0) return true;
    }
    return false;
  }

  listen(pcb: Tcb, backlog: number, handle: TcpPcb): TcpListen | null {
    const pv = pcb.v;
    if (pv[TCB.state] !== CLOSED) return null;
    if (pv[TCB.localPort] === 0) {
      const port = this.ephemeralPort();
      if (port === 0) return null;
      pv[TCB.localPort] = port;
    }
    for (let i = 0; i < this.nListeners; i++) {
      const o = this.listeners[i];
      if (o.localPort === pv[TCB.localPort] && (o.localIp === 0 || pv[TCB.localIp] === 0 || o.localIp === pv[TCB.localIp])) return null;
    }
    const l = this.listenPool.alloc();
    if (l === null) return null;
    l.handle = handle;
    l.localIp = pv[TCB.localIp];
    l.localPort = pv[TCB.localPort];
    l.backlog = backlog < 1 ? 1 : (backlog > 255 ? 255 : backlog);
    l.pending = 0;
    l.soOptions = pv[TCB.soOptions];
    l.rcvWnd = pv[TCB.rcvWndMax] !== this.core.config.TCP_WND ? pv[TCB.rcvWndMax] : 0;
    l.nodelay = (pv[TCB.flags] & TF_NODELAY) !== 0;
    l.keepIdle = pv[TCB.keepIdle];
    l.keepIntvl = pv[TCB.keepIntvl];
    l.keepCnt = pv[TCB.keepCnt];
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
      if (p.v[TCB.listenerIndex] === l.mempIndex && p.v[TCB.listenerGen] === l.gen && p.handle === null && p.v[TCB.state] === SYN_RCVD) {
        this.abortPcb(p, 0, true);
      }
    }
    this.nListeners = swapRemove(this.listeners, this.nListeners, l);
    this.traceListener(l, LISTEN, CLOSED);
    l.handle = null;
    l.accept = null;
    l.arg = null;
    retire(l);
    this.listenPool.release(l);
  }
}

/** Cuts the application off a pcb: its handle goes dead (ERR_CLSD from then on) and no callback
 *  of the application runs again. */
export function detachApp(pcb: Tcb): void {
  const h = pcb.handle;
  if (h !== null) { h.revoke(); pcb.handle = null; }
  pcb.recv = pcb.sent = pcb.poll = pcb.connected = null;
  pcb.err = null;
  pcb.arg = null;
}

/** Removes `item` from the first `n` entries of a fixed table (the last entry takes its place);
 *  returns the new count. */
export function swapRemove<T>(table: T[], n: number, item: T): number {
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
