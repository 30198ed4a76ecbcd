/**
 * Timers: retransmission (RFC 6298), persist (RFC 9293 §3.8.6.1), keepalive (RFC 1122 §4.2.3.6),
 * delayed ACK (RFC 1122 §4.2.3.2, RFC 5681 §4.2), TIME_WAIT (RFC 9293 §3.6) and FIN_WAIT_2.
 */
import { ERR_RTE, ERR_ABRT, ERR_TIMEOUT } from '../core/err.js';
import type { Err } from '../core/err.js';
import { ICMP_DUR, ICMP_TE, ICMP_DUR_FRAG } from '../wire/icmp.js';
import { TCP_ACK, TCP_SYN, TCP_FIN } from '../wire/tcp.js';
import { seqLt } from '../core/seq.js';
import { Tcb, NO_SEG, TCB } from './tcb.js';
import {
  CLOSED, SYN_SENT, SYN_RCVD, ESTABLISHED, FIN_WAIT_2, CLOSE_WAIT, TIME_WAIT, SOF_KEEPALIVE, TF_ACK_DELAY,
  TF_ACK_NOW, TF_INFR, TF_SYN_RTX, TF_CLOSED_BY_APP, TF_PASSIVE, CAUSE_SEGMENT, CAUSE_TIMER, NO_TIME,
  PERSIST_BACKOFF_STEPS_MAX, CLOSING, FIN_WAIT_1, LAST_ACK,
} from './constants.js';
import { TcpOutput } from './output.js';
import { sackClear } from './sack.js';
import { cancelLossProbe, TLP_NONE, TLP_NEW, TLP_RXT } from './tlp.js';

/** What a connection reports when it gives up after ICMP error `e` ((type << 8) | code, 0 = none)
 *  was recorded: ERR_RTE ("host unreachable", as Linux reports EHOSTUNREACH) for a destination
 *  unreachable other than code 4, or a time exceeded; ERR_TIMEOUT otherwise. */
function icmpSoftErrReport(e: number): Err {
  const type = e >>> 8;
  if ((type === ICMP_DUR && (e & 0xff) !== ICMP_DUR_FRAG) || type === ICMP_TE) return ERR_RTE;
  return ERR_TIMEOUT;
}

export abstract class TcpTimers extends TcpOutput {
  /** Offers data the application refused earlier (recv.ts). */
  protected abstract offerRefused(pcb: Tcb): void;

  protected nextCoarse = 0;
  tick(now: number): void {
    const coarse = now >= this.nextCoarse;
    if (coarse) this.nextCoarse = now + this.core.config.TCP_COARSE_TICK_MS;
    for (let i = this.nActive - 1; i >= 0; i--) {
      if (i >= this.nActive) continue;
      const pcb = this.active[i];
      this.pcbTimers(pcb, now, coarse);
    }
  }

  /**
   * The earliest time `tick` has work to do, ms (-1: nothing scheduled). It mirrors `pcbTimers`
   * check for check, so a scheduler that sleeps until then misses nothing (smoltcp's poll_at).
   */
  nextDeadline(): number {
    let due = -1;
    for (let i = 0; i < this.nActive; i++) {
      const d = this.pcbDeadline(this.active[i]);
      if (d !== NO_TIME && (due === -1 || d < due)) due = d;
    }
    return due;
  }

  /** The earliest due time of one pcb's timers (NO_TIME: none armed). */
  protected pcbDeadline(pcb: Tcb): number {
    const pv = pcb.v;
    const state = pv[TCB.state];
    if (state === CLOSED) return NO_TIME;
    const now = this.core.now;
    if (state === TIME_WAIT) return (pv[TCB.flags] & TF_ACK_NOW) !== 0 ? now : pv[TCB.timeWaitAt];
    if (pcb.outputPending || (pv[TCB.flags] & TF_ACK_NOW) !== 0) return now;
    let due = NO_TIME;
    if (state === FIN_WAIT_2) due = earlier(due, pv[TCB.finWait2At]);
    // the four timers every segment may arm, `earlier` written out (this runs after every tick)
    let t = pv[TCB.rtxAt];
    if (t !== NO_TIME && (due === NO_TIME || t < due)) due = t;
    t = pv[TCB.tlpAt];
    if (t !== NO_TIME && (due === NO_TIME || t < due)) due = t;
    t = pv[TCB.persistAt];
    if (t !== NO_TIME && (due === NO_TIME || t < due)) due = t;
    t = pv[TCB.delackAt];
    if (t !== NO_TIME && (due === NO_TIME || t < due)) due = t;
    if ((pv[TCB.soOptions] & SOF_KEEPALIVE) !== 0 && (state === ESTABLISHED || state === CLOSE_WAIT)) {
      // a tick before the idle time only resets the probe count, which a segment's arrival also does
      due = earlier(due, pv[TCB.lastActivity] + pv[TCB.keepIdle] + pv[TCB.keepProbes] * pv[TCB.keepIntvl]);
    }
    if (pcb.refused !== null || pcb.refusedFin
      || (pcb.poll !== null && pv[TCB.pollInterval] > 0 && pcb.handle !== null)) {
      due = earlier(due, this.nextCoarse);
    }
    // the lifetime limits (lifetimeOver)
    const cfg = this.core.config;
    if (cfg.TCP_ORPHAN_TIMEOUT > 0 && (pv[TCB.flags] & TF_CLOSED_BY_APP) !== 0
      && (state === FIN_WAIT_1 || state === CLOSING || state === LAST_ACK)) {
      due = earlier(due, pv[TCB.stateSince] + cfg.TCP_ORPHAN_TIMEOUT);
    }
    if (pv[TCB.zeroWindowSince] !== NO_TIME && pv[TCB.userTimeout] > 0) due = earlier(due, pv[TCB.zeroWindowSince] + pv[TCB.userTimeout]);
    if (pcb.ooseq !== NO_SEG && cfg.TCP_OOSEQ_TIMEOUT > 0) {
      due = earlier(due, pv[TCB.ooseqSince] + cfg.TCP_OOSEQ_TIMEOUT * pv[TCB.rto]);
    }
    return due;
  }

  protected pcbTimers(pcb: Tcb, now: number, coarse: boolean): void {
    const pv = pcb.v;
    const gen = pcb.gen;
    const state = pv[TCB.state];
    if (state === CLOSED) return;
    if (state === TIME_WAIT) {
      if (now >= pv[TCB.timeWaitAt]) this.freePcb(pcb, 0, CAUSE_TIMER);
      else if (pv[TCB.flags] & TF_ACK_NOW) this.sendAck(pcb);
      return;
    }
    if (pv[TCB.finWait2At] !== NO_TIME && state === FIN_WAIT_2 && now >= pv[TCB.finWait2At]) {
      this.freePcb(pcb, 0, CAUSE_TIMER);
      return;
    }
    if (this.lifetimeOver(pcb, now)) return;
    if (pv[TCB.rtxAt] !== NO_TIME && now >= pv[TCB.rtxAt]) {
      this.retransmitTimeout(pcb);
      if (pcb.gen !== gen) return;
    }
    if (pv[TCB.tlpAt] !== NO_TIME && now >= pv[TCB.tlpAt]) {
      this.lossProbe(pcb);
      if (pcb.gen !== gen) return;
    }
    if (pv[TCB.persistAt] !== NO_TIME && now >= pv[TCB.persistAt]) {
      this.persistTimeout(pcb);
      if (pcb.gen !== gen) return;
    }
    if (pv[TCB.delackAt] !== NO_TIME && now >= pv[TCB.delackAt]) {
      pv[TCB.delackAt] = NO_TIME;
      if (pv[TCB.flags] & (TF_ACK_DELAY | TF_ACK_NOW)) this.sendAck(pcb);
    }
    if ((pv[TCB.soOptions] & SOF_KEEPALIVE) !== 0 && (state === ESTABLISHED || state === CLOSE_WAIT)) {
      this.keepaliveTimer(pcb, now);
      if (pcb.gen !== gen) return;
    }
    if (coarse) {
      if (pcb.refused !== null || pcb.refusedFin) {
        this.offerRefused(pcb);
        if (pcb.gen !== gen) return;
      }
      if (pcb.poll !== null && pv[TCB.pollInterval] > 0 && pcb.handle !== null) {
        if (++pv[TCB.pollTicks] >= pv[TCB.pollInterval]) {
          pv[TCB.pollTicks] = 0;
          const r = pcb.poll(pcb.arg, pcb.handle);
          if (pcb.gen !== gen || r === ERR_ABRT) return;
          pcb.outputPending = true;
        }
      }
    }
    if (pcb.outputPending || (pv[TCB.flags] & TF_ACK_NOW) !== 0) this.output(pcb);
  }

  /**
   * The lifetime limits, checked on every tick; true when `pcb` was ended:
   * - an orphan (closed by the application) in FIN_WAIT_1, CLOSING or LAST_ACK for longer than
   *   TCP_ORPHAN_TIMEOUT is reset (Linux's tcp_orphan_retries): a vanished peer cannot hold it;
   * - the user timeout (RFC 9293 §3.8.4, RFC 5482) bounds a zero-window stall: a peer that answers
   *   every probe with window 0 holds the connection that long at most (ERR_TIMEOUT);
   * - out-of-order data older than TCP_OOSEQ_TIMEOUT RTOs is freed (lwIP TCP_OOSEQ_TIMEOUT).
   */
  protected lifetimeOver(pcb: Tcb, now: number): boolean {
    const pv = pcb.v;
    const cfg = this.core.config;
    const state = pv[TCB.state];
    if (cfg.TCP_ORPHAN_TIMEOUT > 0 && (pv[TCB.flags] & TF_CLOSED_BY_APP) !== 0
      && (state === FIN_WAIT_1 || state === CLOSING || state === LAST_ACK) && now - pv[TCB.stateSince] >= cfg.TCP_ORPHAN_TIMEOUT) {
      this.core.stats.tcp.err++;
      this.abortPcb(pcb, 0, true);
      return true;
    }
    if (pv[TCB.sndWnd] === 0 && pcb.unsent !== NO_SEG && pcb.unacked === NO_SEG) {
      if (pv[TCB.zeroWindowSince] === NO_TIME) pv[TCB.zeroWindowSince] = now;
      else if (pv[TCB.userTimeout] > 0 && now - pv[TCB.zeroWindowSince] >= pv[TCB.userTimeout]) {
        this.core.stats.tcp.err++;
        this.abortPcb(pcb, ERR_TIMEOUT, true);
        return true;
      }
    } else {
      pv[TCB.zeroWindowSince] = NO_TIME;
    }
    if (pcb.ooseq !== NO_SEG && cfg.TCP_OOSEQ_TIMEOUT > 0 && now - pv[TCB.ooseqSince] >= cfg.TCP_OOSEQ_TIMEOUT * pv[TCB.rto]) {
      this.freeSegs(pcb.ooseq);
      pcb.ooseq = NO_SEG;
      pv[TCB.ooseqCount] = 0;
    }
    return false;
  }

  /** RFC 6298 §5.4–5.7 with RFC 5681 §3.1 (loss window) and go-back-N resending. */
  protected retransmitTimeout(pcb: Tcb): void {
    const sg = this.segs;
    const pv = pcb.v;
    const cfg = this.core.config;
    pv[TCB.rtxAt] = NO_TIME;
    cancelLossProbe(pcb);
    // RFC 2018 §8, RFC 6675 §5.1: after a timeout the SACK information is not trusted (the peer
    // may have reneged): go-back-N resends SACKed segments too
    sackClear(pcb, sg);
    if (pcb.unacked === NO_SEG && !(pcb.unsent !== NO_SEG && sg.sent[pcb.unsent] > 0)) return;
    const synState = pv[TCB.state] === SYN_SENT || pv[TCB.state] === SYN_RCVD;
    const halfOpen = pv[TCB.state] === SYN_RCVD && (pv[TCB.flags] & TF_PASSIVE) !== 0 && pcb.handle === null;
    if (halfOpen && cfg.TCP_HALFOPEN_NEEDS_ARP && !this.ip.nextHopResolved(pv[TCB.remoteIp])) {
      // our SYN-ACK never left: the peer's address does not resolve (a spoofed source); the pcb
      // is not held for every retry
      this.halfOpenDropped++;
      this.freePcb(pcb, 0, CAUSE_TIMER);
      return;
    }
    const limit = halfOpen ? cfg.TCP_SYNACK_MAXRTX : synState ? cfg.TCP_SYNMAXRTX : cfg.TCP_MAXRTX;
    if (pv[TCB.nrtx] >= limit) {
      // give up (RFC 1122 §4.2.3.5 R2): the application learns ERR_TIMEOUT through tcp_err, or
      // ERR_RTE when an ICMP unreachable told why meanwhile (RFC 1122 §4.2.3.9 soft error)
      this.core.stats.tcp.err++;
      this.freePcb(pcb, pv[TCB.state] === SYN_RCVD && pcb.handle === null ? 0 : icmpSoftErrReport(pv[TCB.icmpSoftErr]),
        CAUSE_TIMER);
      return;
    }
    pv[TCB.nrtx]++;
    let rto = pv[TCB.rto] * 2;
    if (rto > cfg.TCP_RTO_MAX) rto = cfg.TCP_RTO_MAX;
    pv[TCB.rto] = rto;
    pv[TCB.rttStart] = NO_TIME;
    if (synState) {
      pv[TCB.flags] |= TF_SYN_RTX;
    } else {
      this.cc.onRto(pcb);
    }
    // go back N: everything unacknowledged is queued again and resent as the window allows
    if (pcb.unacked !== NO_SEG) {
      const tail = pcb.unackedTail;
      sg.next[tail] = pcb.unsent;
      if (pcb.unsent === NO_SEG) pcb.unsentTail = tail;
      pcb.unsent = pcb.unacked;
      pcb.unacked = NO_SEG;
      pcb.unackedTail = NO_SEG;
    }
    pv[TCB.sndNxt] = pv[TCB.sndUna];
    if (synState) {
      const s = pcb.unsent;
      this.moveToUnacked(pcb, s);
      this.sendSeg(pcb, s);
    } else {
      // the first segment goes even if the window is closed (it is a retransmission)
      const s = pcb.unsent;
      if (s !== NO_SEG) {
        if (sg.len[s] > pv[TCB.mss]) this.splitSeg(pcb, s, pv[TCB.mss]);
        this.moveToUnacked(pcb, s);
        this.sendSeg(pcb, s);
      }
      this.output(pcb);
    }
  }

  /**
   * The probe timer expired (RFC 8985 §7.3): one segment goes out whatever cwnd says — the next new
   * segment when the peer's window takes all of it, else the last segment sent, again — and the
   * retransmission timer restarts. One probe per episode: the next waits for an ACK of new data.
   */
  protected lossProbe(pcb: Tcb): void {
    const sg = this.segs;
    const pv = pcb.v;
    pv[TCB.tlpAt] = NO_TIME;
    const last = pcb.unackedTail;
    if (last === NO_SEG || (pv[TCB.flags] & TF_INFR) !== 0 || pv[TCB.tlpState] !== TLP_NONE) return;
    const s = pcb.unsent;
    let seg: number = last;
    pv[TCB.tlpState] = TLP_RXT;
    if (s !== NO_SEG && sg.sent[s] === 0 && ((sg.seqno[s] - pv[TCB.sndUna]) | 0) + sg.len[s] <= pv[TCB.sndWnd]) {
      this.moveToUnacked(pcb, s);
      seg = s;
      pv[TCB.tlpState] = TLP_NEW;
    }
    // the state is set before the segment leaves: its answer may arrive inside transmit()
    pv[TCB.tlpEnd] = (sg.seqno[seg] + sg.len[seg] + ((sg.flags[seg] & (TCP_SYN | TCP_FIN)) !== 0 ? 1 : 0)) >>> 0;
    if (seqLt(pv[TCB.tlpEnd], pv[TCB.sndMax])) pv[TCB.tlpEnd] = pv[TCB.sndMax];
    pv[TCB.rtxAt] = this.core.now + pv[TCB.rto];
    this.sendSeg(pcb, seg);
  }

  /** Zero-window probe (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17): a segment the receiver must
   *  answer with its window, <SEQ=SND.UNA-1> without data (as Linux sends it); backed off like the
   *  RTO. The connection is not given up while the peer answers. */
  protected persistTimeout(pcb: Tcb): void {
    const sg = this.segs;
    const pv = pcb.v;
    const cfg = this.core.config;
    pv[TCB.persistAt] = NO_TIME;
    const first = pcb.unsent;
    if (first === NO_SEG) { pv[TCB.persistBackoff] = 0; return; }
    if (pv[TCB.sndWnd] > 0) {
      // RFC 1122 §4.2.3.4: when the override (persist) timer fires, send what the small window
      // takes even if sender SWS avoidance held it back
      pv[TCB.persistBackoff] = 0;
      const usable = pv[TCB.sndWnd] - ((sg.seqno[first] - pv[TCB.sndUna]) | 0);
      if (usable > 0 && (usable >= sg.len[first] || this.splitSeg(pcb, first, usable))) {
        this.moveToUnacked(pcb, first);
        this.sendSeg(pcb, first);
      }
      this.output(pcb);
      return;
    }
    if (pv[TCB.persistProbes] >= cfg.TCP_MAXRTX) {
      this.freePcb(pcb, ERR_TIMEOUT, CAUSE_TIMER);
      return;
    }
    pv[TCB.persistProbes]++;
    this.sendEmpty(pcb, (pv[TCB.sndUna] - 1) >>> 0, TCP_ACK);
    if (pv[TCB.persistBackoff] < PERSIST_BACKOFF_STEPS_MAX) pv[TCB.persistBackoff]++;
    pv[TCB.persistAt] = this.core.now + this.persistInterval(pcb);
  }

  /** Keepalive (RFC 1122 §4.2.3.6): after keepIdle without a segment from the peer, probes every
   *  keepIntvl with <SEQ=SND.NXT-1>; keepCnt unanswered probes end the connection. */
  protected keepaliveTimer(pcb: Tcb, now: number): void {
    const pv = pcb.v;
    const idle = now - pv[TCB.lastActivity];
    if (idle < pv[TCB.keepIdle]) { pv[TCB.keepProbes] = 0; return; }
    const due = pv[TCB.keepIdle] + pv[TCB.keepProbes] * pv[TCB.keepIntvl];
    if (idle < due) return;
    if (pv[TCB.keepProbes] >= pv[TCB.keepCnt]) {
      this.abortPcb(pcb, ERR_TIMEOUT, true);
      return;
    }
    pv[TCB.keepProbes]++;
    this.sendEmpty(pcb, (pv[TCB.sndMax] - 1) >>> 0, TCP_ACK);
  }

  // ---------------------------------------------------------------------------------------------
  // Diagnostics
  // ---------------------------------------------------------------------------------------------

  /** FIN_WAIT_1 → FIN_WAIT_2: our FIN is acknowledged (RFC 9293 §3.10.7.4, fifth step). */
  protected enterFinWait2(pcb: Tcb): void {
    this.setState(pcb, FIN_WAIT_2, CAUSE_SEGMENT);
    if (pcb.v[TCB.flags] & TF_CLOSED_BY_APP) this.armFinWait2(pcb);
  }

  /** An orphaned connection (closed by the application) waits in FIN_WAIT_2 at most
   *  TCP_FIN_WAIT_TIMEOUT for the peer's FIN, then is freed (RFC 9293 leaves FIN_WAIT_2 unbounded;
   *  lwIP and Linux's tcp_fin_timeout bound it, since nobody is left to read). */
  protected armFinWait2(pcb: Tcb): void {
    pcb.v[TCB.finWait2At] = this.core.now + this.core.config.TCP_FIN_WAIT_TIMEOUT;
  }

  protected enterTimeWait(pcb: Tcb): void {
    const pv = pcb.v;
    this.setState(pcb, TIME_WAIT, CAUSE_SEGMENT);
    // nothing more to send or to time: only the 2 MSL wait remains (RFC 9293 §3.6)
    this.freeSegs(pcb.unsent);
    this.freeSegs(pcb.unacked);
    pcb.unsent = pcb.unsentTail = pcb.unacked = pcb.unackedTail = NO_SEG;
    pv[TCB.sndQueueLen] = 0;
    pv[TCB.rtxAt] = NO_TIME;
    pv[TCB.tlpAt] = NO_TIME;
    pv[TCB.persistAt] = NO_TIME;
    pv[TCB.finWait2At] = NO_TIME;
    pv[TCB.timeWaitAt] = this.core.now + 2 * this.core.config.TCP_MSL;
  }

  protected restartTimeWait(pcb: Tcb): void {
    pcb.v[TCB.timeWaitAt] = this.core.now + 2 * this.core.config.TCP_MSL;
  }
}

/** The earlier of two due times, either of which may be NO_TIME. */
function earlier(a: number, b: number): number {
  if (b === NO_TIME) return a;
  return a === NO_TIME || b < a ? b : a;
}
