/**
 * The fifth step of RFC 9293 §3.10.7.4 (the ACK field): new and duplicate ACKs, RTT samples (RFC
 * 6298), congestion control (RFC 5681, NewReno RFC 6582) and the handshake completing.
 */
import { rttSample } from './rtt.js';
import { tsEchoRtt, expectedSamples, validSackBlocks } from './options.js';
import type { Pbuf } from '../core/pbuf.js';
import { ERR_OK, ERR_ABRT, ERR_CLSD } from '../core/err.js';
import { seqLt, seqLeq, seqGt } from '../core/seq.js';
import { TCP_FIN, TCP_SYN } from '../wire/tcp.js';
import { Tcb, NO_SEG, TcpPcb, SEG_RTX, TCB } from './tcb.js';
import {
  SYN_RCVD, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSING, LAST_ACK, TIME_WAIT, TF_RXCLOSED,
  TF_CLOSED_BY_APP, TF_INFR, TF_SYN_RTX, TF_PASSIVE, CAUSE_SEGMENT, RTO_AFTER_SYN_LOSS,
  CLOCK_GRANULARITY, NO_TIME,
} from './constants.js';
import { TcpRecv } from './recv.js';
import type { InSeg } from './inseg.js';
import { armLossProbe, probeAnswered, cancelLossProbe } from './tlp.js';
import { sackMark, sackIsLost, sackPipe, sackNextSeg, sackRescue, sackRecoveryStart } from './sack.js';

export abstract class TcpAckInput extends TcpRecv {
  /** Fifth step: the ACK field. Returns false when the segment is to be dropped. */
  protected checkAck(pcb: Tcb, s: InSeg): boolean {
    const pv = pcb.v;
    const h = s.hdr;
    const st = this.core.stats.tcp;
    const ack = h.ack;
    if (pv[TCB.state] === SYN_RCVD) {
      if (seqGt(ack, pv[TCB.sndUna]) && seqLeq(ack, pv[TCB.sndMax])) {
        this.synRttSample(pcb, ack);
        this.ackSegments(pcb, ack);
        pv[TCB.sndUna] = ack;
        if (seqLt(pv[TCB.sndNxt], ack)) pv[TCB.sndNxt] = ack;
        pv[TCB.nrtx] = 0;
        pv[TCB.icmpSoftErr] = 0;
        pv[TCB.rtxAt] = NO_TIME;
        // the peer's window: its field shifted by its scale, but a SYN's (RFC 7323 §2.3)
        const wnd = (h.flags & TCP_SYN) === 0 ? h.wnd << pv[TCB.sndScale] : h.wnd;
        pv[TCB.sndWnd] = wnd;
        if (wnd > pv[TCB.sndWndMax]) pv[TCB.sndWndMax] = wnd;
        pv[TCB.sndWl1] = s.seq;
        pv[TCB.sndWl2] = ack;
        if (pv[TCB.flags] & TF_SYN_RTX) {
          pv[TCB.rto] = RTO_AFTER_SYN_LOSS;
        }
        this.setState(pcb, ESTABLISHED, CAUSE_SEGMENT);
        return this.established(pcb);
      }
      st.drop++;
      this.sendRst(ack, 0, false, pv[TCB.localIp], pv[TCB.localPort], pv[TCB.remoteIp], pv[TCB.remotePort]);
      return false;
    }
    // from here to the window update, seqGt / seqLt / seqLeq written out (| 0: the signed 32-bit
    // distance): every segment of a connection passes here
    if (((ack - pv[TCB.sndMax]) | 0) > 0) {
      // acknowledges something not yet sent: ACK and drop
      st.drop++;
      this.sendAck(pcb);
      return false;
    }
    if (((ack - pv[TCB.sndUna] + pv[TCB.sndWndMax]) | 0) < 0 && pv[TCB.sndWndMax] > 0) {
      // RFC 5961 §5.2: far too old to be acceptable
      st.drop++;
      this.sendAck(pcb);
      return false;
    }
    const wndBefore = pv[TCB.sndWnd];
    this.updateSndWnd(pcb, s, ack);
    // the scoreboard (RFC 2018 §5, sack.ts) learns the valid blocks before SND.UNA moves
    let sackedNew = 0;
    if (pcb.sackOk && h.sackCount > 0) {
      this.takeSackBlocks(pcb, s);
      if (s.sacks > 0) sackedNew = sackMark(pcb, this.segs, h.sackBlocks, s.sacks);
    }
    const gen = pcb.gen;
    if (seqGt(ack, pv[TCB.sndUna])) {
      if (pcb.tsOk && h.optTsPresent) this.tsRttSample(pcb, s);
      this.newAck(pcb, ack, sackedNew);
    } else if (ack === pv[TCB.sndUna] && s.len === 0 && !s.syn && !s.fin && pcb.unacked !== NO_SEG
      // RFC 6675 §2: with SACK in use a duplicate ACK is one that brings new SACK information
      // (the window may have changed); without blocks, RFC 5681's definition (same window)
      && (sackedNew > 0 || (h.sackCount === 0 && pv[TCB.sndWnd] === wndBefore))) {
      this.duplicateAck(pcb);
    }
    // a retransmission may have been answered from inside transmit() (reentrant input)
    if (pcb.gen !== gen) return false;
    if (pv[TCB.persistAt] !== NO_TIME) pv[TCB.persistProbes] = 0;
    // state changes driven by the acknowledgment of our FIN (only these three states care: no
    // finAcked call per ACK in ESTABLISHED)
    const state = pv[TCB.state];
    if (state !== FIN_WAIT_1 && state !== CLOSING && state !== LAST_ACK) return true;
    const finAcked = this.finAcked(pcb);
    switch (state) {
      case FIN_WAIT_1:
        // with the peer's FIN in the same segment, the FIN step goes to TIME_WAIT directly
        if (finAcked && !s.fin) this.enterFinWait2(pcb);
        break;
      case CLOSING:
        if (finAcked) this.enterTimeWait(pcb);
        break;
      case LAST_ACK:
        if (finAcked) {
          this.freePcb(pcb, (pv[TCB.flags] & TF_RXCLOSED) === 0 ? ERR_CLSD : 0, CAUSE_SEGMENT);
          return false;
        }
        break;
      default:
        break;
    }
    return true;
  }

  /** The window update of the fifth step (RFC 9293 §3.10.7.4): the peer's window is taken from a
   *  segment newer than the one it was last taken from (SND.WL1, SND.WL2). */
  protected updateSndWnd(pcb: Tcb, s: InSeg, ack: number): void {
    const pv = pcb.v;
    if (((pv[TCB.sndWl1] - s.seq) | 0) < 0 || (pv[TCB.sndWl1] === s.seq && ((pv[TCB.sndWl2] - ack) | 0) <= 0)) {
      const h = s.hdr;
      // the peer's window: its field shifted by its scale, but a SYN's (RFC 7323 §2.3)
      const wnd = (h.flags & TCP_SYN) === 0 ? h.wnd << pv[TCB.sndScale] : h.wnd;
      pv[TCB.sndWnd] = wnd;
      if (wnd > pv[TCB.sndWndMax]) pv[TCB.sndWndMax] = wnd;
      pv[TCB.sndWl1] = s.seq;
      pv[TCB.sndWl2] = ack;
      if (wnd > 0 && pv[TCB.persistAt] !== NO_TIME) {
        pv[TCB.persistAt] = NO_TIME;
        pv[TCB.persistBackoff] = 0;
      }
    }
  }

  /** SYN-RECEIVED → ESTABLISHED on a passive open: hand the connection to the application. */
  protected established(pcb: Tcb): boolean {
    const l = this.listenerOf(pcb);
    if ((pcb.v[TCB.flags] & TF_PASSIVE) === 0 || pcb.handle !== null) {
      // simultaneous open: the connecting application learns it is connected
      return this.callConnected(pcb);
    }
    if (l === null || l.gen !== pcb.v[TCB.listenerGen] || l.handle === null) {
      // the listener is gone
      this.abortPcb(pcb, 0, true);
      return false;
    }
    this.leaveBacklog(pcb);
    const handle = this.newHandle();
    handle.issue(pcb);
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
  protected newAck(pcb: Tcb, ack: number, sackedNew: number): void {
    const pv = pcb.v;
    const acked = (ack - pv[TCB.sndUna]) >>> 0;
    // RTT sample (RFC 6298 §3: Karn's rule — the timed segment was never retransmitted)
    if (pv[TCB.rttStart] !== NO_TIME && seqGt(ack, pv[TCB.rttSeq])) {
      rttSample(pcb, this.core.now - pv[TCB.rttStart], this.core.config);
      pv[TCB.rttStart] = NO_TIME;
    }
    const dataAcked = this.ackSegments(pcb, ack);
    pv[TCB.sndUna] = ack;
    if (seqLt(pv[TCB.sndNxt], ack)) pv[TCB.sndNxt] = ack;
    // something got through: an earlier ICMP soft error no longer describes the path
    pv[TCB.nrtx] = 0;
    pv[TCB.persistProbes] = 0;
    pv[TCB.icmpSoftErr] = 0;
    if (this.cc.onAck(pcb, ack, acked)) {
      // partial acknowledgment in fast recovery (RFC 6582 §3.2 step 5): resend the next hole
      this.retransmitFirst(pcb);
    } else if (pcb.sackOk) {
      // RFC 6675 §5: in recovery every ACK may let segments out as the pipe allows; outside it, a
      // cumulative ACK whose SACK information shows the next segment lost starts recovery too
      if ((pv[TCB.flags] & TF_INFR) !== 0) this.sackRecoverySend(pcb);
      else if (sackedNew > 0 && pcb.unacked !== NO_SEG && sackIsLost(pcb, this.segs, pcb.unacked)
        && this.cc.onSackLoss(pcb)) this.sackRecoveryStart(pcb);
    }
    // RFC 6298 §5.2/5.3: restart the timer while data is outstanding, stop it when all is acknowledged
    if (pcb.unacked === NO_SEG) pv[TCB.rtxAt] = NO_TIME;
    else pv[TCB.rtxAt] = this.core.now + pv[TCB.rto];
    // tail loss probe (RFC 8985 §7.4, §7.2): a retransmitted probe answered outside fast recovery
    // repaired a loss; a cumulative ACK restarts the probe timer
    if (probeAnswered(pcb, ack)) this.cc.onProbeRepair(pcb);
    if (this.core.config.TCP_TLP) armLossProbe(pcb, this.core.now);
    if (dataAcked > 0) {
      pv[TCB.ackedToReport] += dataAcked;
      pv[TCB.sndBuf] += dataAcked;
      if (pv[TCB.sndBuf] > this.core.config.TCP_SND_BUF) pv[TCB.sndBuf] = this.core.config.TCP_SND_BUF;
    }
  }

  /**
   * RTTM (RFC 7323 §4): an ACK that acknowledges new data measures the RTT from its echoed
   * timestamp, retransmissions or not (the echo names the segment that got through). The gains are
   * scaled down by the samples expected per RTT (§4.2). The Karn-timed sample of the same ACK is
   * then not taken. An echo that cannot be ours is counted and ignored.
   */
  protected tsRttSample(pcb: Tcb, s: InSeg): void {
    const r = tsEchoRtt(pcb, s.hdr, this.core.now);
    if (r < 0) { this.tsEcrIgnored++; return; }
    rttSample(pcb, r, this.core.config, expectedSamples(pcb));
    pcb.v[TCB.rttStart] = NO_TIME;
  }

  /** The peer's SACK blocks (RFC 2018): those outside SND.UNA..SND.MAX are counted and ignored;
   *  the first `s.sacks` pairs of s.hdr.sackBlocks are the valid ones. */
  protected takeSackBlocks(pcb: Tcb, s: InSeg): void {
    const n = validSackBlocks(pcb, s.hdr);
    this.sackBlocksIgnored += s.hdr.sackCount - n;
    s.sacks = n;
  }

  /** A duplicate ACK (RFC 5681 §2): the third starts fast retransmit and fast recovery (§3.2). */
  protected duplicateAck(pcb: Tcb): void {
    if (pcb.sackOk) {
      this.sackDuplicateAck(pcb);
      return;
    }
    if (!this.cc.onDupAck(pcb)) return;
    // fast retransmit (RFC 5681 §3.2 step 2); Karn: no RTT sample across a retransmission. Fast
    // recovery takes over from a tail loss probe (RFC 8985 §7.2: none during recovery)
    pcb.v[TCB.rttStart] = NO_TIME;
    cancelLossProbe(pcb);
    this.retransmitFirst(pcb);
  }

  /**
   * A duplicate ACK with SACK in use (RFC 6675 §5): in recovery it may release segments; outside
   * it, recovery starts at the DupThresh-th duplicate or as soon as the scoreboard says the first
   * unacknowledged segment is lost (IsLost: DupThresh segments SACKed above it), which with small
   * windows often comes before three duplicates could.
   */
  protected sackDuplicateAck(pcb: Tcb): void {
    if ((pcb.v[TCB.flags] & TF_INFR) !== 0) {
      this.cc.onDupAck(pcb);
      this.sackRecoverySend(pcb);
      return;
    }
    let start = this.cc.onDupAck(pcb);
    if (!start && pcb.unacked !== NO_SEG && sackIsLost(pcb, this.segs, pcb.unacked)) start = this.cc.onSackLoss(pcb);
    if (start) this.sackRecoveryStart(pcb);
  }

  /** RFC 6675 §5 step 4: a recovery episode begins — the first unacknowledged segment is resent
   *  at once, then whatever the pipe allows. */
  protected sackRecoveryStart(pcb: Tcb): void {
    pcb.v[TCB.rttStart] = NO_TIME;
    cancelLossProbe(pcb);
    const sg = this.segs;
    sackRecoveryStart(pcb, sg);
    pcb.sackRescued = false;
    const first = pcb.unacked;
    if (first === NO_SEG) return;
    const gen = pcb.gen;
    sg.marks[first] |= SEG_RTX;
    this.sendSeg(pcb, first);
    if (pcb.gen !== gen) return;
    this.sackRecoverySend(pcb);
  }

  /**
   * RFC 6675 §5 step (C): while cwnd - pipe >= 1 SMSS, send what NextSeg names — a lost segment
   * (rule 1), new data the peer's window takes (rule 2), a segment with SACKed data above it
   * (rule 3), or once per episode the last unSACKed one (rule 4, the rescue retransmission).
   * Bounded by the send queue: each pass sends a distinct segment or stops.
   */
  protected sackRecoverySend(pcb: Tcb): void {
    const sg = this.segs;
    const pv = pcb.v;
    const gen = pcb.gen;
    const limit = this.core.config.TCP_SND_QUEUELEN;
    const marks = sg.marks;
    for (let i = 0; i < limit; i++) {
      if (pv[TCB.cwnd] - sackPipe(pcb, sg) < pv[TCB.mss]) return;
      let seg = sackNextSeg(pcb, sg, false);
      if (seg === NO_SEG) {
        const u = pcb.unsent;
        if (u !== NO_SEG && sg.sent[u] === 0 && ((sg.seqno[u] - pv[TCB.sndUna]) | 0) + sg.len[u] <= pv[TCB.sndWnd]) {
          this.moveToUnacked(pcb, u);
          this.sendSeg(pcb, u);
          if (pcb.gen !== gen) return;
          continue;
        }
        seg = sackNextSeg(pcb, sg, true);
        if (seg === NO_SEG && !pcb.sackRescued) {
          seg = sackRescue(pcb, sg);
          pcb.sackRescued = seg !== NO_SEG;
        }
        if (seg === NO_SEG) return;
      }
      marks[seg] |= SEG_RTX;
      this.sendSeg(pcb, seg);
      if (pcb.gen !== gen) return;
    }
  }

  /** The handshake's RTT measurement (never from a retransmitted SYN: Karn). */
  protected synRttSample(pcb: Tcb, ack: number): void {
    const pv = pcb.v;
    if (pv[TCB.rttStart] !== NO_TIME && seqGt(ack, pv[TCB.rttSeq])) {
      rttSample(pcb, this.core.now - pv[TCB.rttStart], this.core.config);
      pv[TCB.rttStart] = NO_TIME;
    }
  }

  /**
   * Frees the segments that `ack` covers, from unacked and (after a timeout rewound SND.NXT) from
   * unsent; a segment only partly covered is trimmed. Returns the data octets acknowledged.
   */
  protected ackSegments(pcb: Tcb, ack: number): number {
    const sg = this.segs;
    let data = 0;
    for (;;) {
      let seg = pcb.unacked;
      let fromUnacked = true;
      if (seg === NO_SEG) { seg = pcb.unsent; fromUnacked = false; }
      if (seg === NO_SEG) break;
      const len = sg.len[seg];
      const end = (sg.seqno[seg] + len + ((sg.flags[seg] & (TCP_SYN | TCP_FIN)) !== 0 ? 1 : 0)) >>> 0;
      if (seqLeq(end, ack)) {
        const next = sg.next[seg];
        if (fromUnacked) {
          pcb.unacked = next;
          if (next === NO_SEG) pcb.unackedTail = NO_SEG;
        } else {
          if (sg.sent[seg] === 0) break; // never sent: cannot be acknowledged
          pcb.unsent = next;
          if (next === NO_SEG) pcb.unsentTail = NO_SEG;
        }
        data += len;
        pcb.v[TCB.sndQueueLen]--;
        this.freeSeg(seg);
        continue;
      }
      // partly acknowledged (a peer acknowledging part of a segment, e.g. after resegmentation)
      let part = (ack - sg.seqno[seg]) | 0;
      if (sg.flags[seg] & TCP_SYN) part--;
      if (part > 0 && part < sg.len[seg]) {
        this.trimSegFront(seg, part);
        data += part;
      }
      break;
    }
    return data;
  }

  protected trimSegFront(seg: number, n: number): void {
    const sg = this.segs;
    const p = sg.p[seg] as Pbuf;
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
    sg.seqno[seg] = (sg.seqno[seg] + n) >>> 0;
    sg.len[seg] -= n;
  }
}
