/** Segment arrival (RFC 9293 §3.10.7): demultiplexing, CLOSED, LISTEN and SYN-SENT, the sequence check (first step, RFC 7323 §4.3 ... RFC 5961 §5) and RST (second step, RFC 5961 §3.2), plus ICMP errors (RFC 1122 §4.2.3.9, RFC 5927). */
import { TCP_DEFAULT_MSS } from '../core/config.js';
import type { Pbuf } from '../core/pbuf.js';
import { pbuf_free, pbuf_remove_header, pbuf_realloc } from '../core/pbuf.js';
import { ERR_OK, ERR_ABRT, ERR_RST, ERR_CLSD } from '../core/err.js';
import { seqLt, seqLeq, seqGt, seqGeq } from '../core/seq.js';
import type { Ip4Header } from '../wire/ipv4.js';
import { ICMP_DUR } from '../wire/icmp.js';
import { tcpParse, TCP_ERR_OPT, tcpChecksum, TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK } from '../wire/tcp.js';
import { Tcb, TcpListen } from './tcb.js';
import {
  CLOSED, LISTEN, SYN_SENT, SYN_RCVD, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK,
  TIME_WAIT, SOF_INHERITED, TF_ACK_NOW, TF_NODELAY, TF_CLOSED_BY_APP, TF_SYN_RTX, TF_PASSIVE,
  CAUSE_SEGMENT, CAUSE_ICMP, RTO_AFTER_SYN_LOSS, NO_TIME,
} from './constants.js';
import { TcpAckInput } from './ack.js';

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
        this.returnToListen(pcb, CAUSE_ICMP);
      } else {
        this.freePcb(pcb, ERR_RST, CAUSE_ICMP);
      }
      return true;
    }
    pcb.icmpSoftErr = (type << 8) | code;
    return true;
  }

  /** §3.10.7.1 CLOSED: anything but a RST is answered with a RST. */
  protected closedInput(): void {
    const seg = this.seg;
    const st = this.core.stats.tcp;
    st.drop++;
    if (seg.flags & TCP_RST) return;
    this.respondRst();
  }

  /** The RST that answers an unacceptable segment (RFC 9293 §3.10.7.1): <SEQ=SEG.ACK><CTL=RST> when
   *  it carried an ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
  protected respondRst(): void {
    const seg = this.seg;
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
  protected listenInput(l: TcpListen): void {
    const seg = this.seg;
    const st = this.core.stats.tcp;
    if (seg.flags & TCP_RST) { st.drop++; return; }
    if (seg.flags & TCP_ACK) { st.drop++; this.respondRst(); return; }
    if ((seg.flags & TCP_SYN) === 0) { st.drop++; return; }
    if (l.pending >= l.backlog) {
      // the backlog is full: drop the SYN silently, the peer retransmits (as Linux does)
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

  protected takePeerMss(pcb: Tcb): void {
    const seg = this.seg;
    // RFC 9293 §3.7.1: 536 when the peer sends no MSS option; never above our own TCP_MSS, which
    // sizes our pool buffers, nor below TCP_MSS_MIN
    let mss = seg.optMss > 0 ? seg.optMss : TCP_DEFAULT_MSS;
    const cap = this.core.config.TCP_MSS;
    if (mss > cap) mss = cap;
    if (mss > this.core.config.MTU - 40) mss = this.core.config.MTU - 40;
    if (mss < this.core.config.TCP_MSS_MIN) mss = this.core.config.TCP_MSS_MIN;
    pcb.mss = mss;
    // RFC 5681 §3.1 initial window
    pcb.cwnd = this.cc.initialWindow(mss);
  }

  /** §3.10.7.3 SYN-SENT and §3.10.7.4 for every other state. */
  protected segmentArrives(pcb: Tcb): void {
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
    }
    if (!this.checkSequence(pcb)) return;
    if (seg.flags & TCP_RST) { this.checkRst(pcb); return; }
    if (seg.flags & TCP_SYN) {
      // RFC 5961 §4.2 / RFC 9293: a SYN in a synchronized state gets a challenge ACK
      st.drop++;
      this.sendAck(pcb);
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
    // our FIN acknowledged while the peer's FIN was not taken (it is out of order or absent)
    if (pcb.state === FIN_WAIT_1 && this.finAcked(pcb)) this.enterFinWait2(pcb);
    this.deliver(pcb);
    if (pcb.gen !== gen) return;
    this.output(pcb);
  }

  protected synSentInput(pcb: Tcb): void {
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
      if (!this.callConnected(pcb)) return;
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
  protected checkSequence(pcb: Tcb): boolean {
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
      // (<SEQ=RCV.NXT-1>) rely on it. Segments without data are answered at most every 500 ms, as
      // Linux does, so that two ends can never ping-pong ACKs
      const now = this.core.now;
      if (len > 0 || pcb.lastOowAckAt === NO_TIME || now - pcb.lastOowAckAt >= this.core.config.TCP_OOW_ACK_INTERVAL) {
        if (len === 0) pcb.lastOowAckAt = now;
        this.sendAck(pcb);
      }
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

  /** Second step: RST (RFC 9293 §3.10.7.4, RFC 5961 §3.2). */
  protected checkRst(pcb: Tcb): void {
    const seg = this.seg;
    const st = this.core.stats.tcp;
    if (seg.seq !== pcb.rcvNxt) {
      // in the window but not exactly at RCV.NXT: challenge ACK, the sender must prove itself
      st.drop++;
      this.sendAck(pcb);
      return;
    }
    if (pcb.state === SYN_RCVD && (pcb.flags & TF_PASSIVE) !== 0 && pcb.handle === null) {
      // a passive open returns to LISTEN (RFC 9293 §3.10.7.4): the listener goes on, this embryonic
      // connection goes away
      this.returnToListen(pcb, CAUSE_SEGMENT);
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
}
