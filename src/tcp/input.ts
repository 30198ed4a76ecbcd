/**
 * Segment arrival (RFC 9293 §3.10.7): demultiplexing, CLOSED (§3.10.7.1), LISTEN (§3.10.7.2) and
 * SYN-SENT (§3.10.7.3), then for the other states (§3.10.7.4) the sequence check (first step,
 * with RFC 5961 §4-5 challenge ACKs) and RST (second step, RFC 5961 §3.2); the later steps are in
 * ack.ts and recv.ts. ICMP errors for a connection arrive here too (RFC 1122 §4.2.3.9, RFC 5927).
 */
import { TCP_DEFAULT_MSS } from '../core/config.js';
import type { Pbuf } from '../core/pbuf.js';
import { pbuf_free, pbuf_realloc, pbufChksum, PB_STRIDE, PB_OFF, PB_LEN, PB_TOTLEN, PB_NEXT, PB_FLAGS, PBUF_FLAG_CSUM_OK } from '../core/pbuf.js';
import { IP_PROTO_TCP } from '../wire/ipv4.js';
import { ERR_OK, ERR_ABRT, ERR_RST, ERR_CLSD } from '../core/err.js';
import { seqLt, seqLeq, seqGt, seqGeq } from '../core/seq.js';
import type { Ip4Header } from '../wire/ipv4.js';
import { ICMP_DUR } from '../wire/icmp.js';
import {
  tcpParse, TCP_ERR_SHORT, TCP_ERR_HDRLEN, TCP_ERR_OPT, TCP_OPTLEN_TS_ALIGNED, tcpSrcPort, tcpDstPort, tcpSeq, TCP_FIN, TCP_SYN, TCP_RST,
  TCP_ACK, TCP_PSH,
} from '../wire/tcp.js';
import { Tcb, TcpListen, TCB, NO_SEG } from './tcb.js';
import {
  CLOSED, LISTEN, SYN_SENT, SYN_RCVD, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK,
  TIME_WAIT, SOF_INHERITED, TF_ACK_NOW, TF_NODELAY, TF_CLOSED_BY_APP, TF_RXCLOSED, TF_SYN_RTX, TF_PASSIVE,
  CAUSE_SEGMENT, CAUSE_ICMP, RTO_AFTER_SYN_LOSS, NO_TIME,
} from './constants.js';
import { TcpAckInput } from './ack.js';
import { takeSynOptions, pawsReject, updateTsRecent } from './options.js';
import type { InSeg } from './inseg.js';

/**
 * ICMP destination unreachable codes that end a connection still being opened (RFC 1122 §4.2.3.9:
 * codes 2-4 are hard errors; Linux adds the administratively prohibited ones):
 * 2 protocol and 3 port unreachable, 9 network, 10 host and 13 communication administratively
 * prohibited. Code 4 (fragmentation needed and DF set) is soft here: we never set DF on TCP.
 */
function icmpHardError(type: number, code: number): boolean {
  return type === ICMP_DUR && (code === 2 || code === 3 || code === 9 || code === 10 || code === 13);
}

export abstract class TcpInput extends TcpAckInput {
  /** Whether one more ACK may answer an unacceptable segment on `pcb` now (takes the allowance):
   *  one per TCP_OOW_ACK_INTERVAL per connection, TCP_CHALLENGE_ACK_LIMIT a second in all. */
  protected mayAnswerInvalid(pcb: Tcb): boolean {
    const pv = pcb.v;
    const now = this.core.now;
    const iv = this.core.config.TCP_OOW_ACK_INTERVAL;
    if ((iv > 0 && pv[TCB.lastOowAckAt] !== NO_TIME && now - pv[TCB.lastOowAckAt] < iv) || !this.core.limits.take(this.invalidAckLimit, now)) {
      this.reflectionsLimited++;
      return false;
    }
    pv[TCB.lastOowAckAt] = now;
    return true;
  }

  /** Whether an ACK may answer a segment with data outside the window: only the allowance over all
   *  connections (TCP_CHALLENGE_ACK_LIMIT a second) bounds these. */
  private mayAnswerOldData(): boolean {
    if (this.core.limits.take(this.invalidAckLimit, this.core.now)) return true;
    this.reflectionsLimited++;
    return false;
  }

  ipInput(p: Pbuf, iph: Ip4Header): void {
    const st = this.core.stats.tcp;
    st.recv++;
    if (iph.dst !== this.ip.netif.ip) {
      // TCP is unicast only (RFC 1122 §4.2.3.10): broadcasts are dropped
      st.proterr++; st.drop++;
      pbuf_free(p);
      return;
    }
    const depth = this.inDepth;
    if (depth === this.inSegs.length) {
      // nested deeper than TCP_INPUT_NEST_MAX (a driver looping our own frames back): no
      // descriptor left, the segment is dropped like any other on memory exhaustion
      st.memerr++; st.drop++;
      pbuf_free(p);
      return;
    }
    const s = this.inSegs[depth];
    const h = s.hdr;
    // received segments are in pool memory (see pbuf.ts for the metadata layout)
    const pool = this.core.pbufs;
    const pm = pool.meta;
    const pb = p.index * PB_STRIDE;
    const rc = tcpParse(pool.mem, pm[pb + PB_OFF], pm[pb + PB_LEN], h, pool.view);
    if (rc < 0) {
      if (rc === TCP_ERR_OPT) st.opterr++;
      else if (rc === TCP_ERR_SHORT || rc === TCP_ERR_HDRLEN) st.lenerr++;
      st.drop++;
      pbuf_free(p);
      return;
    }
    // the segment's checksum with the pseudo-header (RFC 9293 §3.1): all ones when intact. A
    // received segment is one pool pbuf (a reassembled datagram may be a chain): one call to the
    // stack's InetSum, pseudoHeaderSum and the fold written out (once per segment). Not summed
    // when the NIC has verified it (PBUF_FLAG_CSUM_OK, receive checksum offload)
    const tl = pm[pb + PB_TOTLEN];
    let sum = 0xffff;
    if ((pm[pb + PB_FLAGS] & PBUF_FLAG_CSUM_OK) === 0) {
      const src = iph.src;
      const dst = iph.dst;
      const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + IP_PROTO_TCP + tl;
      sum = pm[pb + PB_NEXT] < 0 ? this.core.chksum(pool.mem, pm[pb + PB_OFF], tl, pseudo) : pbufChksum(p, tl, pseudo, this.core.chksum);
      if (sum > 0xffff) sum = sum % 0xffff || 0xffff;
    }
    if (sum !== 0xffff) {
      st.chkerr++; st.drop++;
      pbuf_free(p);
      return;
    }
    // pbuf_remove_header written out: tcpParse checked that the header lies in p's first pbuf
    const hl = h.hdrLen;
    pm[pb + PB_OFF] += hl;
    pm[pb + PB_LEN] -= hl;
    pm[pb + PB_TOTLEN] -= hl;
    // InSeg's working values start from the parsed header (written out here: once per segment)
    s.src = iph.src;
    s.dst = iph.dst;
    s.seq = h.seq;
    s.p = p;
    s.len = pm[pb + PB_TOTLEN];
    s.syn = (h.flags & TCP_SYN) !== 0;
    s.fin = (h.flags & TCP_FIN) !== 0;
    s.finSeq = 0;
    s.recvData = null;
    s.recvFin = false;
    s.sacks = 0;
    this.inDepth = depth + 1;

    let pcb = this.findConn(iph.dst, h.dstPort, iph.src, h.srcPort);
    if (pcb !== null && pcb.v[TCB.state] === TIME_WAIT && (h.flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN
      && seqGt(h.seq, pcb.v[TCB.rcvNxt]) && this.findListener(iph.dst, h.dstPort) !== null) {
      // RFC 1122 §4.2.2.13: a new SYN above the old connection's sequence space may reopen it
      this.freePcb(pcb, 0, CAUSE_SEGMENT);
      pcb = null;
    }
    if (pcb !== null) {
      // header prediction tried here, before segmentArrives: one call fewer per predicted segment
      if (s.len === 0 || pcb.v[TCB.state] !== ESTABLISHED || !this.predicted(pcb, s)) this.segmentArrives(pcb, s);
    } else {
      const l = this.findListener(iph.dst, h.dstPort);
      if (l !== null) this.listenInput(l, s);
      else this.closedInput(s);
    }
    this.inDepth = depth;
    const q = s.p;
    s.p = null;
    if (q !== null) pbuf_free(q);
    // data the connection took but could not hand over because it went away meanwhile
    const d = s.recvData;
    s.recvData = null;
    if (d !== null) pbuf_free(d);
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
    // the quoted header is one we sent: its source is our end
    const localPort = tcpSrcPort(buf, off);
    const remotePort = tcpDstPort(buf, off);
    const seq = tcpSeq(buf, off);
    const pcb = this.findConn(quotedSrc, localPort, quotedDst, remotePort);
    if (pcb === null) return false;
    // RFC 5927 §4.1: the quoted segment must be one we sent and still wait to see acknowledged,
    // SND.UNA <= SEG.SEQ < SND.MAX (in SYN_SENT and SYN_RCVD that is the ISS alone); anything else
    // is stale or a blind forgery
    if (!(seqGeq(seq, pcb.v[TCB.sndUna]) && seqLt(seq, pcb.v[TCB.sndMax]))) return false;
    const state = pcb.v[TCB.state];
    if ((state === SYN_SENT || state === SYN_RCVD) && icmpHardError(type, code)) {
      if (state === SYN_RCVD && (pcb.v[TCB.flags] & TF_PASSIVE) !== 0 && pcb.handle === null) {
        this.returnToListen(pcb, CAUSE_ICMP);
      } else {
        this.freePcb(pcb, ERR_RST, CAUSE_ICMP);
      }
      return true;
    }
    pcb.v[TCB.icmpSoftErr] = (type << 8) | code;
    return true;
  }

  /** §3.10.7.1 CLOSED: anything but a RST is answered with a RST. */
  protected closedInput(s: InSeg): void {
    const st = this.core.stats.tcp;
    st.drop++;
    if (s.hdr.flags & TCP_RST) return;
    this.respondRst(s);
  }

  /** The RST that answers an unacceptable segment (RFC 9293 §3.10.7.1): <SEQ=SEG.ACK><CTL=RST> when
   *  it carried an ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
  protected respondRst(s: InSeg): void {
    const h = s.hdr;
    if (!this.core.limits.take(this.rstLimit, this.core.now)) {
      // TCP_RST_LIMIT: a flood of segments to closed ports is not reflected at line rate
      this.reflectionsLimited++;
      return;
    }
    if (h.flags & TCP_ACK) {
      this.sendRst(h.ack, 0, false, s.dst, h.dstPort, s.src, h.srcPort);
    } else {
      let segLen = s.len;
      if (h.flags & TCP_SYN) segLen++;
      if (h.flags & TCP_FIN) segLen++;
      this.sendRst(0, (h.seq + segLen) >>> 0, true, s.dst, h.dstPort, s.src, h.srcPort);
    }
  }

  /** §3.10.7.2 LISTEN. */
  protected listenInput(l: TcpListen, s: InSeg): void {
    const seg = s.hdr;
    const st = this.core.stats.tcp;
    if (seg.flags & TCP_RST) { st.drop++; return; }
    if (seg.flags & TCP_ACK) { st.drop++; this.respondRst(s); return; }
    if ((seg.flags & TCP_SYN) === 0) { st.drop++; return; }
    if (l.pending >= l.backlog && !(this.core.config.TCP_SYN_EVICT && this.evictHalfOpen(l))) {
      // the backlog is full of connections the application has yet to accept: drop the SYN
      // silently, the peer retransmits (as Linux does)
      st.drop++;
      return;
    }
    const pcb = this.allocPcb();
    if (pcb === null) { st.drop++; return; }
    pcb.v[TCB.flags] |= TF_PASSIVE;
    pcb.v[TCB.listenerIndex] = l.mempIndex;
    pcb.v[TCB.listenerGen] = l.gen;
    pcb.inBacklog = true;
    l.pending++;
    pcb.v[TCB.soOptions] = l.soOptions & SOF_INHERITED;
    if (l.nodelay) pcb.v[TCB.flags] |= TF_NODELAY;
    pcb.v[TCB.keepIdle] = l.keepIdle;
    pcb.v[TCB.keepIntvl] = l.keepIntvl;
    pcb.v[TCB.keepCnt] = l.keepCnt;
    if (l.rcvWnd > 0) { pcb.v[TCB.rcvWndMax] = l.rcvWnd; pcb.v[TCB.rcvWnd] = l.rcvWnd; }
    pcb.arg = l.arg;
    pcb.v[TCB.localIp] = s.dst;
    pcb.v[TCB.localPort] = seg.dstPort;
    pcb.v[TCB.remoteIp] = s.src;
    pcb.v[TCB.remotePort] = seg.srcPort;
    pcb.v[TCB.irs] = seg.seq;
    pcb.v[TCB.rcvNxt] = (seg.seq + 1) >>> 0;
    pcb.v[TCB.rcvAnnRightEdge] = pcb.v[TCB.rcvNxt];
    const iss = this.newIss(pcb.v[TCB.localIp], pcb.v[TCB.localPort], pcb.v[TCB.remoteIp], pcb.v[TCB.remotePort]);
    pcb.v[TCB.iss] = iss; pcb.v[TCB.sndUna] = iss; pcb.v[TCB.sndNxt] = iss; pcb.v[TCB.sndMax] = iss; pcb.v[TCB.sndLbb] = iss;
    pcb.v[TCB.sndSml] = iss;
    pcb.v[TCB.recover] = (iss - 1) >>> 0;
    pcb.v[TCB.sndWnd] = seg.wnd;
    pcb.v[TCB.sndWndMax] = seg.wnd;
    pcb.v[TCB.sndWl1] = seg.seq;
    pcb.v[TCB.sndWl2] = iss;
    // the options both sides offered, kept with the SYN_RCVD pcb (RFC 7323 §2.2, §3.2; RFC 2018 §2)
    this.offerOptions(pcb);
    takeSynOptions(pcb, seg, this.core.now);
    this.takePeerMss(pcb, s);
    pcb.v[TCB.lastActivity] = this.core.now;
    // in the RFC's diagram the listening TCB itself moves to SYN-RECEIVED; here a child pcb does
    // (the listener stays in LISTEN), and the trace reports the RFC's transition
    this.setState(pcb, SYN_RCVD, CAUSE_SEGMENT, LISTEN);
    if (this.enqueueFlags(pcb, TCP_SYN) !== ERR_OK) {
      this.freePcb(pcb, 0, CAUSE_SEGMENT);
      st.memerr++;
      return;
    }
    this.output(pcb);
  }

  protected takePeerMss(pcb: Tcb, s: InSeg): void {
    const seg = s.hdr;
    // RFC 9293 §3.7.1: 536 when the peer sends no MSS option; never above our own TCP_MSS, which
    // sizes our pool buffers, nor below TCP_MSS_MIN
    let mss = seg.optMss > 0 ? seg.optMss : TCP_DEFAULT_MSS;
    const cap = this.core.config.TCP_MSS;
    if (mss > cap) mss = cap;
    if (mss > this.core.config.MTU - 40) mss = this.core.config.MTU - 40;
    if (mss < this.core.config.TCP_MSS_MIN) mss = this.core.config.TCP_MSS_MIN;
    // RFC 6691: the MSS counts data only; the sender makes room for the options it puts on every
    // segment (timestamps, once negotiated)
    if (pcb.tsOk) mss -= TCP_OPTLEN_TS_ALIGNED;
    pcb.v[TCB.mss] = mss;
    // RFC 5681 §3.1 initial window
    pcb.v[TCB.cwnd] = this.cc.initialWindow(mss);
  }

  /** §3.10.7.3 SYN-SENT and §3.10.7.4 for every other state. */
  protected segmentArrives(pcb: Tcb, s: InSeg): void {
    const pv = pcb.v;
    const seg = s.hdr;
    const st = this.core.stats.tcp;
    pv[TCB.lastActivity] = this.core.now;
    pv[TCB.keepProbes] = 0;
    if (pv[TCB.state] === SYN_SENT) { this.synSentInput(pcb, s); return; }

    // SYN-RECEIVED: a retransmitted SYN means our SYN,ACK was lost: send it again
    if (pv[TCB.state] === SYN_RCVD && (seg.flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN && seg.seq === pv[TCB.irs]) {
      this.retransmitFirst(pcb);
      return;
    }

    // simultaneous open: the peer's SYN,ACK repeats the SYN we already took (RFC 9293 figure 8;
    // the RFC 5961 §4.2 exception Linux makes too): its ACK completes our handshake
    if (pv[TCB.state] === SYN_RCVD && (seg.flags & (TCP_SYN | TCP_ACK | TCP_RST)) === (TCP_SYN | TCP_ACK)
      && ((seg.seq + 1) >>> 0) === pv[TCB.rcvNxt] && (pv[TCB.flags] & TF_PASSIVE) === 0) {
      s.syn = false;
      s.seq = pv[TCB.rcvNxt];
      // its SYN is a duplicate, so the segment is answered with an ACK as RFC 9293 §3.10.7.4's
      // first check asks (Linux sends it too): the peer, in SYN_RCVD as well, completes with it
      pv[TCB.flags] |= TF_ACK_NOW;
    }
    const ts = pcb.tsOk && seg.optTsPresent;
    if (ts) {
      // RFC 7323 §5.3 R1 (PAWS): an old duplicate by its timestamp is not acceptable: ACK it (at
      // the rate of other unacceptable segments, RFC 5961 §7) and drop it. RSTs are exempt
      // (§5.2: their timestamps may be stale). A segment without timestamps is taken, as Linux
      // takes it (§3.2 only says SHOULD drop)
      if ((seg.flags & TCP_RST) === 0 && pawsReject(pcb, seg, this.core.now)) {
        st.drop++;
        this.pawsDropped++;
        if (this.mayAnswerInvalid(pcb)) this.sendAck(pcb);
        return;
      }
    }
    if (!this.checkSequence(pcb, s)) return;
    // §5.3 R3 / §4.3: an acceptable segment may renew TS.Recent
    if (ts) updateTsRecent(pcb, seg, this.core.now);
    if (seg.flags & TCP_RST) { this.checkRst(pcb, s); return; }
    if (s.syn) {
      // RFC 5961 §4.2 / RFC 9293: a SYN in a synchronized state gets a challenge ACK (§7: limited)
      st.drop++;
      if (this.mayAnswerInvalid(pcb)) this.sendAck(pcb);
      return;
    }
    if ((seg.flags & TCP_ACK) === 0) { st.drop++; return; }
    const gen = pcb.gen;
    if (!this.checkAck(pcb, s)) return;
    if (pcb.gen !== gen) return;
    // URG (sixth step): the urgent pointer is not supported; the data is delivered in line
    this.processText(pcb, s);
    if (pcb.gen !== gen) return;
    if (s.recvFin || s.fin) {
      this.processFin(pcb, s);
      if (pcb.gen !== gen) return;
    }
    // our FIN acknowledged while the peer's FIN was not taken (it is out of order or absent)
    if (pv[TCB.state] === FIN_WAIT_1 && this.finAcked(pcb)) this.enterFinWait2(pcb);
    this.deliver(pcb, s);
    if (pcb.gen !== gen) return;
    this.output(pcb);
  }

  /**
   * Header prediction (TCP_HDR_PREDICTION; BSD's and Linux's receive fast path), in ESTABLISHED:
   * the next in-order data (SEG.SEQ = RCV.NXT, all of it inside the window), acknowledging nothing
   * new (SEG.ACK = SND.UNA), only ACK and PSH set, no timestamps to check (RFC 7323 PAWS and
   * TS.Recent) and no SACK blocks, with nothing held back (out-of-order queue, refused data, the
   * pool under pressure). For it the sequence check passes untrimmed, there is no RST, SYN or FIN,
   * and the ACK step only updates the window: those steps are skipped, the text step takes the data.
   * Returns false (nothing done) for any other segment, which takes every step (segmentArrives).
   * `s` carries data; called by ipInput before segmentArrives.
   */
  protected predicted(pcb: Tcb, s: InSeg): boolean {
    const pv = pcb.v;
    const seg = s.hdr;
    const len = s.len;
    const pool = this.core.pbufs;
    if ((seg.flags & ~TCP_PSH) !== TCP_ACK || s.seq !== pv[TCB.rcvNxt] || seg.ack !== pv[TCB.sndUna] || len > pv[TCB.rcvWnd]
      || pcb.tsOk || seg.sackCount !== 0 || pcb.ooseq !== NO_SEG || pcb.refused !== null
      || (pv[TCB.flags] & (TF_CLOSED_BY_APP | TF_RXCLOSED)) !== 0 || pool.freeTop <= this.pressureFreeMax
      || pool.freeTop < pool.reserve || !this.core.config.TCP_HDR_PREDICTION) return false;
    // segmentArrives' opening (keepalive idleness, RFC 1122 §4.2.3.6)
    pv[TCB.lastActivity] = this.core.now;
    pv[TCB.keepProbes] = 0;
    // updateSndWnd's test, written out (once per segment): SEG.ACK = SND.UNA here, so the window is
    // taken when SEG.SEQ is newer than SND.WL1, or equal with SND.WL2 <= SEG.ACK (RFC 9293 §3.10.7.4)
    const seq = s.seq;
    if (((pv[TCB.sndWl1] - seq) | 0) < 0 || (pv[TCB.sndWl1] === seq && ((pv[TCB.sndWl2] - seg.ack) | 0) <= 0)) {
      // the steady state: the same window (no SYN here, so scaled), no persist timer to stop;
      // SND.WND never exceeds its maximum, so only SND.WL1 and SND.WL2 move
      if ((seg.wnd << pv[TCB.sndScale]) === pv[TCB.sndWnd] && pv[TCB.persistAt] === NO_TIME) {
        pv[TCB.sndWl1] = seq;
        pv[TCB.sndWl2] = seg.ack;
      } else {
        this.updateSndWnd(pcb, s, seg.ack);
      }
    }
    if (pv[TCB.persistAt] !== NO_TIME) pv[TCB.persistProbes] = 0;
    this.takeInOrder(pcb, s, len);
    const gen = pcb.gen;
    const data = s.recvData;
    if (data === null || pv[TCB.ackedToReport] > 0 || pcb.refusedFin) {
      this.deliver(pcb, s);
    } else {
      // deliver and callRecv written out for the usual case (once per segment): the data straight
      // to the application's tcp_recv; what it refuses the stack holds (lwIP refused_data)
      s.recvData = null;
      const fn = pcb.recv;
      const h = pcb.handle;
      const r = fn !== null && h !== null ? fn(pcb.arg, h, data, ERR_OK) : this.callRecv(pcb, data, ERR_OK);
      if (r !== ERR_OK) {
        if (pcb.gen !== gen) pbuf_free(data);
        else pcb.refused = data;
      }
    }
    if (pcb.gen !== gen) return true;
    // output's receiver case, written out (once per segment): nothing queued, only an owed ACK
    if (pcb.unsent === NO_SEG && pv[TCB.state] === ESTABLISHED) {
      pcb.outputPending = false;
      if ((pv[TCB.flags] & TF_ACK_NOW) !== 0) this.sendAck(pcb);
    } else {
      this.output(pcb);
    }
    return true;
  }

  protected synSentInput(pcb: Tcb, s: InSeg): void {
    const pv = pcb.v;
    const seg = s.hdr;
    const st = this.core.stats.tcp;
    const hasAck = (seg.flags & TCP_ACK) !== 0;
    // first: the ACK must acknowledge our SYN
    if (hasAck && (seqLeq(seg.ack, pv[TCB.iss]) || seqGt(seg.ack, pv[TCB.sndMax]))) {
      st.drop++;
      if ((seg.flags & TCP_RST) === 0) this.sendRst(seg.ack, 0, false, pv[TCB.localIp], pv[TCB.localPort], pv[TCB.remoteIp], pv[TCB.remotePort]);
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
    pv[TCB.irs] = seg.seq;
    pv[TCB.rcvNxt] = (seg.seq + 1) >>> 0;
    pv[TCB.rcvAnnRightEdge] = pv[TCB.rcvNxt];
    takeSynOptions(pcb, seg, this.core.now);
    this.takePeerMss(pcb, s);
    pv[TCB.sndWnd] = seg.wnd;
    pv[TCB.sndWndMax] = seg.wnd;
    pv[TCB.sndWl1] = seg.seq;
    pv[TCB.sndWl2] = seg.ack;
    // the SYN octet is consumed; what follows it is ordinary text
    s.seq = pv[TCB.rcvNxt];
    s.syn = false;
    if (hasAck) {
      // our SYN is acknowledged: ESTABLISHED
      this.synRttSample(pcb, seg.ack);
      this.ackSegments(pcb, seg.ack);
      pv[TCB.sndUna] = seg.ack;
      if (seqLt(pv[TCB.sndNxt], pv[TCB.sndUna])) pv[TCB.sndNxt] = pv[TCB.sndUna];
      pv[TCB.nrtx] = 0;
      pv[TCB.icmpSoftErr] = 0;
      pv[TCB.rtxAt] = NO_TIME;
      if (pv[TCB.flags] & TF_SYN_RTX) {
        pv[TCB.rto] = RTO_AFTER_SYN_LOSS;
      }
      this.setState(pcb, ESTABLISHED, CAUSE_SEGMENT);
      pv[TCB.flags] |= TF_ACK_NOW;
      const gen = pcb.gen;
      if (!this.callConnected(pcb)) return;
      // data or FIN carried by the SYN,ACK (after the SYN octet)
      this.processText(pcb, s);
      if (pcb.gen !== gen) return;
      this.processFin(pcb, s);
      if (pcb.gen !== gen) return;
      this.deliver(pcb, s);
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
  protected checkSequence(pcb: Tcb, s: InSeg): boolean {
    const pv = pcb.v;
    const h = s.hdr;
    const st = this.core.stats.tcp;
    let len = s.len;
    if (s.syn) len++;
    if (s.fin) len++;
    const wnd = pv[TCB.rcvWnd];
    const rcvNxt = pv[TCB.rcvNxt];
    const seq = s.seq;
    let ok: boolean;
    if (len === 0) {
      ok = wnd === 0 ? seq === rcvNxt : (seqGeq(seq, rcvNxt) && seqLt(seq, (rcvNxt + wnd) >>> 0));
    } else if (wnd === 0) {
      ok = false;
    } else {
      const last = (seq + len - 1) >>> 0;
      const end = (rcvNxt + wnd) >>> 0;
      // seqGeq / seqLt written out: this test runs for every data segment
      ok = (((seq - rcvNxt) | 0) >= 0 && ((seq - end) | 0) < 0) || (((last - rcvNxt) | 0) >= 0 && ((last - end) | 0) < 0);
    }
    if (!ok) {
      // RFC 9293: a zero window still accepts valid ACKs and RSTs at RCV.NXT — drop the payload
      if (wnd === 0 && seq === rcvNxt && len > 0) {
        this.dropPayload(s);
        s.fin = false;
        s.syn = false;
        pv[TCB.flags] |= TF_ACK_NOW;
        return true;
      }
      if ((h.flags & TCP_RST) !== 0) { st.drop++; return false; }
      // an old pure ACK (from a peer that rewinds SND.NXT after a timeout, as lwIP does) may still
      // carry news in its ACK field: take that — RFC 5961 §5.2 bounds what is acceptable — and
      // nothing else
      const news = !s.syn && !s.fin && (h.flags & TCP_ACK) !== 0 && len === 0 && seqLt(seq, rcvNxt)
        && seqGeq(seq, (rcvNxt - pv[TCB.rcvWndMax]) >>> 0) && pv[TCB.state] !== TIME_WAIT && pv[TCB.state] !== SYN_RCVD
        && seqGt(h.ack, pv[TCB.sndUna]);
      if (!news) st.drop++;
      // TIME_WAIT: a retransmitted FIN is acknowledged again and restarts the 2 MSL wait
      if (pv[TCB.state] === TIME_WAIT && s.fin) this.restartTimeWait(pcb);
      // answer with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>: keepalive and zero-window probes
      // (<SEQ=RCV.NXT-1>) rely on it. At most one such ACK per TCP_OOW_ACK_INTERVAL per
      // connection (Linux's tcp_invalid_ratelimit: two ends can never ping-pong ACKs, and spoofed
      // segments cannot draw an ACK each) and TCP_CHALLENGE_ACK_LIMIT a second in all. Data we
      // already hold (ending at or before RCV.NXT, from the last window) is exempt from the
      // per-connection interval: it is a retransmission whose ACK was lost, and leaving it
      // unanswered backs the sender's RTO off exponentially (RFC 9293 §3.10.7.4 asks for an ACK,
      // RFC 5681 §4.2 for it at once; Linux's tcp_oow_rate_limited exempts data segments too)
      const old = len > 0 && !s.syn && seqLeq((seq + len) >>> 0, rcvNxt)
        && seqGeq(seq, (rcvNxt - pv[TCB.rcvWndMax]) >>> 0);
      if (old ? this.mayAnswerOldData() : this.mayAnswerInvalid(pcb)) {
        const gen = pcb.gen;
        this.sendAck(pcb);
        // the ACK may have been answered from inside transmit() (reentrant input)
        if (pcb.gen !== gen) { if (news) st.drop++; return false; }
      }
      return news;
    }
    // trim the front: octets before RCV.NXT were received already
    let dup = (rcvNxt - seq) | 0;
    if (dup > 0) {
      if (s.syn) {
        s.syn = false;
        s.seq = (s.seq + 1) >>> 0;
        dup--;
      }
      if (dup > 0) {
        if (dup >= s.len) {
          dup = s.len;
          this.dropPayload(s);
        } else {
          this.trimPayloadFront(s, dup);
        }
        s.seq = (s.seq + dup) >>> 0;
        // duplicate data: acknowledge at once so the sender learns where we are
        pv[TCB.flags] |= TF_ACK_NOW;
      }
    }
    // trim the tail: octets past the window are not accepted
    const room = (((rcvNxt + wnd) >>> 0) - s.seq) | 0;
    if (s.len > room) {
      const keep = room > 0 ? room : 0;
      if (keep === 0) this.dropPayload(s);
      else {
        pbuf_realloc(s.p as Pbuf, keep);
        s.len = keep;
      }
      s.fin = false;
      pv[TCB.flags] |= TF_ACK_NOW;
    }
    return true;
  }

  /** Second step: RST (RFC 9293 §3.10.7.4, RFC 5961 §3.2). */
  protected checkRst(pcb: Tcb, s: InSeg): void {
    const pv = pcb.v;
    const st = this.core.stats.tcp;
    if (pv[TCB.state] === TIME_WAIT && this.core.config.TCP_RFC1337) {
      // RFC 1337 §3 (TW1): a RST does not end TIME_WAIT early ("TIME-WAIT assassination"); the
      // 4-tuple stays reserved for the full 2 MSL
      st.drop++;
      return;
    }
    if (s.seq !== pv[TCB.rcvNxt]) {
      // in the window but not exactly at RCV.NXT: challenge ACK, the sender must prove itself
      // (RFC 5961 §3.2; §7: rate-limited)
      st.drop++;
      if (this.mayAnswerInvalid(pcb)) this.sendAck(pcb);
      return;
    }
    if (pv[TCB.state] === SYN_RCVD && (pv[TCB.flags] & TF_PASSIVE) !== 0 && pcb.handle === null) {
      // a passive open returns to LISTEN (RFC 9293 §3.10.7.4): the listener goes on, this embryonic
      // connection goes away
      this.returnToListen(pcb, CAUSE_SEGMENT);
      return;
    }
    switch (pv[TCB.state]) {
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
}
