/**
 * Output: connect, queueing written data (tcp_write), the receive window the application opens
 * (tcp_recved), segmentation and transmission (tcp_output), ACKs, RSTs and the persist interval
 * (RFC 9293 §3.8.6, RFC 1122 §4.2.3.4 Nagle, RFC 1122 §4.2.3.3 SWS avoidance).
 */
import { TCP_DEFAULT_MSS, PBUF_TRANSPORT_HLEN } from '../core/config.js';
import type { Pbuf } from '../core/pbuf.js';
import {
  PB_STRIDE, PB_OFF, PB_LEN, PB_TOTLEN, PB_NEXT, pbuf_free, pbuf_ref, pbuf_add_header, pbuf_remove_header, pbuf_realloc, pbuf_cat, copyBytes, pbufAlignPayload, pbufChksum,
  PBUF_TRANSPORT,
} from '../core/pbuf.js';
import {
  ERR_OK, ERR_MEM, ERR_VAL, ERR_USE, ERR_CONN, ERR_RTE, ERR_ABRT, ERR_ISCONN, ERR_ARG,
} from '../core/err.js';
import type { Err } from '../core/err.js';
import { seqLt, seqGt, seqGeq } from '../core/seq.js';
import { chksumFinish, chksumFold, pseudoHeaderSum } from '../core/checksum.js';
import { IP_PROTO_TCP } from '../wire/ipv4.js';
import {
  tcpWriteHeader, tcpWriteOptMss, tcpWriteOptSyn, tcpWriteOptTs, tcpWriteOptSack, tcpSynOptLen, tcpSetChksum,
  TCP_HLEN, TCP_OPTLEN_TS_ALIGNED, TCP_OPTLEN_SACK_BASE, TCP_SACK_BLOCKS_MAX, TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK,
} from '../wire/tcp.js';
import { tsNow, sackBlocksToSend } from './options.js';
import { Tcb, NO_SEG, TCB } from './tcb.js';
import {
  CLOSED, LISTEN, SYN_SENT, SYN_RCVD, ESTABLISHED, CLOSE_WAIT, TIME_WAIT, TCP_WRITE_FLAG_COPY,
  TCP_WRITE_FLAG_MORE, TF_ACK_DELAY, TF_ACK_NOW, TF_NODELAY, TF_FIN_QUEUED, TF_INFR, TF_NAGLEMEMERR,
  TF_TXCLOSED, CAUSE_API, NO_TIME,
} from './constants.js';
import { TcpTable } from './table.js';
import { armLossProbe } from './tlp.js';
import { tplEmit } from './template.js';

export abstract class TcpOutput extends TcpTable {
  connect(pcb: Tcb, ip: number, port: number): Err {
    const pv = pcb.v;
    if (pv[TCB.state] === ESTABLISHED) return ERR_ISCONN;
    if (pv[TCB.state] !== CLOSED) return ERR_VAL;
    if (ip === 0 || port === 0) return ERR_VAL;
    if (this.ip.route(ip) === -1) return ERR_RTE;
    const local = this.ip.ourAddress;
    if (pv[TCB.localPort] === 0) {
      const p = this.ephemeralPort();
      if (p === 0) return ERR_USE;
      pv[TCB.localPort] = p;
    }
    if (this.findConn(local, pv[TCB.localPort], ip, port) !== null) return ERR_USE;
    pv[TCB.localIp] = local;
    pv[TCB.remoteIp] = ip;
    pv[TCB.remotePort] = port;
    const iss = this.newIss(local, pv[TCB.localPort], ip, port);
    pv[TCB.iss] = iss;
    pv[TCB.sndSml] = iss;
    pv[TCB.sndUna] = iss;
    pv[TCB.sndNxt] = iss;
    pv[TCB.sndMax] = iss;
    pv[TCB.sndLbb] = iss;
    pv[TCB.sndWnd] = 0;
    // RFC 6582 initialises recover to the ISS; one less lets the loss of the very first data
    // segment still be repaired by fast retransmit (its duplicate ACKs carry ISS + 1)
    pv[TCB.recover] = (iss - 1) >>> 0;
    pv[TCB.rcvAnnRightEdge] = 0;
    pv[TCB.mss] = TCP_DEFAULT_MSS;
    pv[TCB.cwnd] = pv[TCB.mss];
    this.offerOptions(pcb);
    if (this.enqueueFlags(pcb, TCP_SYN) !== ERR_OK) return ERR_MEM;
    this.setState(pcb, SYN_SENT, CAUSE_API);
    this.output(pcb);
    return ERR_OK;
  }

  /** Queues a segment that carries only SYN or FIN (lwIP tcp_enqueue_flags). */
  protected enqueueFlags(pcb: Tcb, flags: number): Err {
    const sg = this.segs;
    const pv = pcb.v;
    if (pv[TCB.sndQueueLen] >= this.core.config.TCP_SND_QUEUELEN && (flags & TCP_SYN) === 0) {
      // a FIN may always ride on the last queued data segment
      const tail = pcb.unsentTail;
      if (flags === TCP_FIN && tail !== NO_SEG && (sg.flags[tail] & (TCP_SYN | TCP_FIN)) === 0) {
        sg.flags[tail] |= TCP_FIN;
        pv[TCB.sndLbb] = (pv[TCB.sndLbb] + 1) >>> 0;
        pv[TCB.flags] |= TF_FIN_QUEUED;
        return ERR_OK;
      }
      return ERR_MEM;
    }
    if (flags === TCP_FIN) {
      const tail = pcb.unsentTail;
      if (tail !== NO_SEG && (sg.flags[tail] & (TCP_SYN | TCP_FIN)) === 0) {
        sg.flags[tail] |= TCP_FIN;
        pv[TCB.sndLbb] = (pv[TCB.sndLbb] + 1) >>> 0;
        pv[TCB.flags] |= TF_FIN_QUEUED;
        return ERR_OK;
      }
    }
    const seg = this.segPool.allocIndex();
    if (seg === NO_SEG) { this.core.stats.tcp.memerr++; return ERR_MEM; }
    const p = this.core.pbufs.allocControl(PBUF_TRANSPORT, 0);
    if (p === null) { this.segPool.releaseIndex(seg); this.core.stats.tcp.memerr++; return ERR_MEM; }
    sg.p[seg] = p;
    sg.seqno[seg] = pv[TCB.sndLbb];
    sg.len[seg] = 0;
    sg.flags[seg] = flags;
    sg.sent[seg] = 0;
    sg.next[seg] = NO_SEG;
    this.appendUnsent(pcb, seg);
    pv[TCB.sndLbb] = (pv[TCB.sndLbb] + 1) >>> 0;
    pv[TCB.sndQueueLen]++;
    if (flags & TCP_FIN) pv[TCB.flags] |= TF_FIN_QUEUED;
    return ERR_OK;
  }

  protected appendUnsent(pcb: Tcb, seg: number): void {
    const sg = this.segs;
    sg.next[seg] = NO_SEG;
    if (pcb.unsentTail === NO_SEG) pcb.unsent = seg;
    else sg.next[pcb.unsentTail] = seg;
    pcb.unsentTail = seg;
  }

  /**
   * tcp_write: queues `len` bytes of `data` from `offset`. With TCP_WRITE_FLAG_COPY they are copied
   * into pool pbufs (filling the last queued segment first, so small writes coalesce); without it
   * PBUF_REF pbufs point at the caller's bytes, which must stay unchanged until tcp_sent reports them.
   * All or nothing: ERR_MEM when the send buffer, the queue or a pool has no room for all of it.
   */
  write(pcb: Tcb, data: Uint8Array, len: number, apiflags: number, offset: number): Err {
    const sg = this.segs;
    const pv = pcb.v;
    const st = pv[TCB.state];
    if ((pv[TCB.flags] & TF_TXCLOSED) !== 0) return ERR_CONN;
    if (st !== ESTABLISHED && st !== CLOSE_WAIT && st !== SYN_SENT && st !== SYN_RCVD) return ERR_CONN;
    if (len === 0) return ERR_OK;
    if (len < 0 || offset < 0 || offset + len > data.length) return ERR_ARG;
    const cfg = this.core.config;
    if (len > pv[TCB.sndBuf]) { pv[TCB.flags] |= TF_NAGLEMEMERR; return ERR_MEM; }
    const mss = pv[TCB.mss];
    const copy = (apiflags & TCP_WRITE_FLAG_COPY) !== 0;
    // room in the last unsent segment (copied data only, never sent yet)
    let fill = 0;
    const tail = pcb.unsentTail;
    if (copy && tail !== NO_SEG && sg.sent[tail] === 0 && (sg.flags[tail] & (TCP_SYN | TCP_FIN)) === 0 && sg.len[tail] < mss) {
      const p = sg.p[tail];
      const pm = this.core.pbufs.meta;
      const pb = p === null ? 0 : p.index * PB_STRIDE;
      if (p !== null && pm[pb + PB_NEXT] < 0 && p.index < this.core.pbufs.count) {
        // a lone pool pbuf: its slot ends at (index + 1) * bufsize
        const room = (p.index + 1) * this.core.pbufs.bufsize - (pm[pb + PB_OFF] + pm[pb + PB_LEN]);
        fill = mss - sg.len[tail];
        if (fill > room) fill = room;
        if (fill > len) fill = len;
        if (fill < 0) fill = 0;
      }
    }
    const rest = len - fill;
    const nsegs = rest === 0 ? 0 : rest <= mss ? 1 : Math.ceil(rest / mss);
    if (pv[TCB.sndQueueLen] + nsegs > cfg.TCP_SND_QUEUELEN) { pv[TCB.flags] |= TF_NAGLEMEMERR; this.core.stats.tcp.memerr++; return ERR_MEM; }
    const pool = this.core.pbufs;
    // poolUnderPressure(), inline: tcp_write runs once per segment the application sends
    if (nsegs > 0 && pool.freeTop <= this.pressureFreeMax && this.pcbHeld(pcb) + nsegs > this.pcbShare()) {
      // TCP_PCB_POOL_SHARE: a connection whose peer does not read cannot take the last buffers
      pv[TCB.flags] |= TF_NAGLEMEMERR;
      this.core.stats.tcp.memerr++;
      return ERR_MEM;
    }
    if (this.segPool.freeTop < nsegs || pool.freeTop - pool.reserve < nsegs
      || (!copy && pool.refPool.avail - pool.refPool.used < nsegs)) {
      pv[TCB.flags] |= TF_NAGLEMEMERR;
      this.core.stats.tcp.memerr++;
      return ERR_MEM;
    }
    let pos = offset;
    if (fill > 0 && tail !== NO_SEG && sg.p[tail] !== null) {
      const pb = sg.p[tail].index * PB_STRIDE;
      const pm = pool.meta;
      copyBytes(pool.mem, pm[pb + PB_OFF] + pm[pb + PB_LEN], data, pos, fill, pool.copier);
      pm[pb + PB_LEN] += fill;
      pm[pb + PB_TOTLEN] += fill;
      sg.len[tail] += fill;
      pos += fill;
      if ((apiflags & TCP_WRITE_FLAG_MORE) === 0 && rest === 0) sg.flags[tail] |= TCP_PSH;
    }
    let seqno = (pv[TCB.sndLbb] + fill) >>> 0;
    let left = rest;
    while (left > 0) {
      const n = left < mss ? left : mss;
      const seg = this.segPool.allocIndex();
      let p: Pbuf;
      if (copy) {
        p = pool.alloc(PBUF_TRANSPORT, n) as Pbuf;
        pbufAlignPayload(p, data, pos, mss);
        copyBytes(pool.mem, pool.meta[p.index * PB_STRIDE + PB_OFF], data, pos, n, pool.copier);
      } else {
        p = pool.alloc(PBUF_TRANSPORT, 0) as Pbuf;
        const r = pool.allocRef(data, pos, n) as Pbuf;
        pbuf_cat(p, r);
      }
      sg.p[seg] = p;
      sg.seqno[seg] = seqno;
      sg.len[seg] = n;
      // PSH on the last segment of the write, unless more is coming
      sg.flags[seg] = left === n && (apiflags & TCP_WRITE_FLAG_MORE) === 0 ? TCP_PSH : 0;
      sg.sent[seg] = 0;
      this.appendUnsent(pcb, seg);
      pos += n;
      left -= n;
      seqno = (seqno + n) >>> 0;
      pv[TCB.sndQueueLen]++;
    }
    pv[TCB.sndLbb] = (pv[TCB.sndLbb] + len) >>> 0;
    pv[TCB.sndBuf] -= len;
    pv[TCB.flags] &= ~TF_NAGLEMEMERR;
    pcb.outputPending = true;
    return ERR_OK;
  }

  /** tcp_recved: the application consumed `len` octets; reopen the window and announce it at once
   *  when the reopening is worth a segment (receiver SWS avoidance, RFC 1122 §4.2.3.3). */
  recved(pcb: Tcb, len: number): void {
    const pv = pcb.v;
    if (len <= 0) return;
    let wnd = pv[TCB.rcvWnd] + len;
    if (wnd > pv[TCB.rcvWndMax]) wnd = pv[TCB.rcvWndMax];
    pv[TCB.rcvWnd] = wnd;
    if (pv[TCB.state] < SYN_RCVD || pv[TCB.state] === TIME_WAIT) return;
    // a dedicated window update goes out at once when the window we announced had shrunk to half
    // or less and the right edge now moves by at least min(RCV.BUFF/2, MSS) (RFC 1122 §4.2.3.3;
    // Linux's "freed lots of space" rule); otherwise the next segment carries the new window
    const announced = (pv[TCB.rcvAnnRightEdge] - pv[TCB.rcvNxt]) | 0;
    const inflation = this.updateRcvAnnWnd(pcb);
    // the threshold min(RCV.BUFF/2, MSS), inline: tcp_recved runs once per segment the application takes
    const half = pv[TCB.rcvWndMax] >>> 1;
    if (inflation > 0 && inflation >= (half < pv[TCB.rcvMss] ? half : pv[TCB.rcvMss]) && announced <= half) {
      pv[TCB.flags] |= TF_ACK_NOW;
      this.output(pcb);
    }
  }

  /**
   * Receiver SWS avoidance (RFC 1122 §4.2.3.3): the right edge of the announced window moves only by
   * at least min(RCV.BUFF/2, MSS); it never moves left (RFC 9293 §3.8.6). Returns how far it moved.
   */
  protected updateRcvAnnWnd(pcb: Tcb): number {
    const pv = pcb.v;
    const newRight = (pv[TCB.rcvNxt] + pv[TCB.rcvWnd]) >>> 0;
    // the threshold min(RCV.BUFF/2, MSS), inline: this runs for every segment sent and every tcp_recved
    const half = pv[TCB.rcvWndMax] >>> 1;
    const threshold = half < pv[TCB.rcvMss] ? half : pv[TCB.rcvMss];
    // seqGeq / seqGt written out (| 0: the signed 32-bit distance), as below: once per segment
    if (((newRight - pv[TCB.rcvAnnRightEdge] - threshold) | 0) >= 0 || (pv[TCB.rcvAnnWnd] === 0 && pv[TCB.rcvWnd] >= threshold)
      && ((newRight - pv[TCB.rcvAnnRightEdge]) | 0) > 0) {
      const grown = (newRight - pv[TCB.rcvAnnRightEdge]) | 0;
      pv[TCB.rcvAnnWnd] = pv[TCB.rcvWnd];
      return grown > 0 ? grown : 0;
    }
    if (((pv[TCB.rcvNxt] - pv[TCB.rcvAnnRightEdge]) | 0) > 0) pv[TCB.rcvAnnWnd] = 0;
    else pv[TCB.rcvAnnWnd] = (pv[TCB.rcvAnnRightEdge] - pv[TCB.rcvNxt]) >>> 0;
    return 0;
  }

  /** tcp_output: sends what the windows (peer's and congestion) and Nagle allow, and owed ACKs. */
  output(pcb: Tcb): Err {
    const sg = this.segs;
    const pv = pcb.v;
    const state = pv[TCB.state];
    if (state === CLOSED || state === LISTEN || state === TIME_WAIT) {
      if (state === TIME_WAIT && (pv[TCB.flags] & TF_ACK_NOW) !== 0) this.sendAck(pcb);
      return ERR_OK;
    }
    pcb.outputPending = false;
    if (state === SYN_SENT || state === SYN_RCVD) {
      // only the SYN goes out before the handshake completes
      const s = pcb.unsent;
      if (s !== NO_SEG && (sg.flags[s] & TCP_SYN) !== 0) {
        this.moveToUnacked(pcb, s);
        this.sendSeg(pcb, s);
      } else if (pv[TCB.flags] & TF_ACK_NOW) {
        this.sendAck(pcb);
      }
      return ERR_OK;
    }
    let seg = pcb.unsent;
    if (seg === NO_SEG) {
      // nothing queued (a receiver's output after each segment): only an ACK may be owed
      if ((pv[TCB.flags] & TF_ACK_NOW) !== 0) this.sendAck(pcb);
      return ERR_OK;
    }
    const wndPeer = pv[TCB.sndWnd];
    const cwnd = this.cc.window(pcb);
    const wnd = wndPeer < cwnd ? wndPeer : cwnd;
    let sentAny = false;
    const gen = pcb.gen;
    while (seg !== NO_SEG) {
      const offsetInWnd = (sg.seqno[seg] - pv[TCB.sndUna]) | 0;
      if (offsetInWnd + sg.len[seg] > wnd) {
        // does not fit entirely
        const usable = wnd - offsetInWnd;
        if (wndPeer === 0 || usable <= 0) {
          if (wndPeer === 0 && pcb.unacked === NO_SEG) this.startPersist(pcb);
          break;
        }
        // sender SWS avoidance (RFC 1122 §4.2.3.4): send a partial segment only when it is at
        // least an MSS or half the largest window the peer offered
        const peerLimited = wndPeer - offsetInWnd < sg.len[seg];
        if (usable >= pv[TCB.mss] || (peerLimited && usable >= (pv[TCB.sndWndMax] >>> 1))) {
          if (!this.splitSeg(pcb, seg, usable)) break;
        } else {
          if (peerLimited && pcb.unacked === NO_SEG) this.startPersist(pcb);
          break;
        }
      }
      // Nagle (RFC 896, RFC 1122 §4.2.3.4) in Minshall's variant (as Linux): hold a small last
      // segment only while a previous small segment is unacknowledged. Classic Nagle would hold the
      // small tail of every write behind the receiver's delayed ACK of the full segments before it
      // (a 200 ms stall per write). As Linux's tcp_minshall_check, a small segment "sent" beyond
      // SND.NXT does not count: after a timeout pulled everything back to resend (go-back-N), that
      // segment is the one being resent, and holding it with nothing in flight would stall forever
      if ((pv[TCB.flags] & (TF_NODELAY | TF_NAGLEMEMERR)) === 0 && sg.len[seg] < pv[TCB.mss] && sg.next[seg] === NO_SEG
        && (sg.flags[seg] & TCP_FIN) === 0 && seqGt(pv[TCB.sndSml], pv[TCB.sndUna]) && !seqGt(pv[TCB.sndSml], pv[TCB.sndNxt])) {
        break;
      }
      pcb.unsent = sg.next[seg];
      if (pcb.unsent === NO_SEG) pcb.unsentTail = NO_SEG;
      this.moveToUnacked(pcb, seg);
      this.sendSeg(pcb, seg);
      // reentrant input inside transmit() may have ended the connection
      if (pcb.gen !== gen) return ERR_OK;
      sentAny = true;
      seg = pcb.unsent;
    }
    if (!sentAny && (pv[TCB.flags] & TF_ACK_NOW) !== 0) this.sendAck(pcb);
    // RFC 8985 §7.2: new data went out, so the probe timer starts over
    else if (sentAny && this.core.config.TCP_TLP) armLossProbe(pcb, this.core.now);
    return ERR_OK;
  }

  protected moveToUnacked(pcb: Tcb, seg: number): void {
    const sg = this.segs;
    const next = sg.next;
    if (pcb.unsent === seg) {
      const n = next[seg];
      pcb.unsent = n;
      if (n === NO_SEG) pcb.unsentTail = NO_SEG;
    }
    next[seg] = NO_SEG;
    // keep unacked sorted: a segment re-sent after a timeout may come before later ones
    const tail = pcb.unackedTail;
    if (tail === NO_SEG) { pcb.unacked = seg; pcb.unackedTail = seg; return; }
    if (((sg.seqno[seg] - sg.seqno[tail]) | 0) > 0) { next[tail] = seg; pcb.unackedTail = seg; return; } // seqGt, per segment
    let prev: number = NO_SEG;
    let cur = pcb.unacked;
    while (cur !== NO_SEG && seqLt(sg.seqno[cur], sg.seqno[seg])) { prev = cur; cur = next[cur]; }
    next[seg] = cur;
    if (prev === NO_SEG) pcb.unacked = seg; else next[prev] = seg;
  }

  /** Splits an unsent segment after `first` octets (copying the tail into a new pool pbuf). */
  protected splitSeg(pcb: Tcb, seg: number, first: number): boolean {
    const sg = this.segs;
    if (first <= 0 || first >= sg.len[seg]) return first >= sg.len[seg];
    const restLen = sg.len[seg] - first;
    const s = this.segPool.allocIndex();
    if (s === NO_SEG) return false;
    const p = this.core.pbufs.alloc(PBUF_TRANSPORT, restLen);
    if (p === null) { this.segPool.releaseIndex(s); return false; }
    // copy the tail octets out of the (possibly chained) payload
    let skip = first;
    let done = 0;
    for (let q = sg.p[seg]; q !== null && done < restLen; q = q.next) {
      if (skip >= q.len) { skip -= q.len; continue; }
      const n = q.len - skip;
      copyBytes(p.buf, p.off + done, q.buf, q.off + skip, n, p.pool.copier);
      done += n;
      skip = 0;
    }
    pbuf_realloc(sg.p[seg] as Pbuf, first);
    sg.p[s] = p;
    sg.seqno[s] = (sg.seqno[seg] + first) >>> 0;
    sg.len[s] = restLen;
    sg.flags[s] = sg.flags[seg] & (TCP_FIN | TCP_PSH);
    sg.sent[s] = 0;
    sg.flags[seg] &= ~(TCP_FIN | TCP_PSH);
    sg.len[seg] = first;
    sg.next[s] = sg.next[seg];
    sg.next[seg] = s;
    if (pcb.unsentTail === seg) pcb.unsentTail = s;
    pcb.v[TCB.sndQueueLen]++;
    return true;
  }

  /** Transmits one queued segment (first transmission or retransmission). */
  protected sendSeg(pcb: Tcb, seg: number): void {
    const sg = this.segs;
    const pv = pcb.v;
    const p = sg.p[seg] as Pbuf;
    // the descriptor's fields read once (each array read costs XS more than a local)
    const segFlags = sg.flags[seg];
    const len = sg.len[seg];
    const seqno = sg.seqno[seg];
    const syn = (segFlags & TCP_SYN) !== 0;
    const sent = sg.sent[seg] + 1;
    sg.sent[seg] = sent;
    if (sent === 1) {
      if (pv[TCB.rttStart] === NO_TIME && (len > 0 || (segFlags & (TCP_SYN | TCP_FIN)) !== 0)) {
        pv[TCB.rttSeq] = seqno;
        pv[TCB.rttStart] = this.core.now;
      }
    } else {
      // Karn's rule: an ambiguous measurement is discarded
      if (pv[TCB.rttStart] !== NO_TIME && seqGeq(pv[TCB.rttSeq], seqno)) pv[TCB.rttStart] = NO_TIME;
    }
    let flags = segFlags;
    if (!(syn && pv[TCB.state] === SYN_SENT)) flags |= TCP_ACK;
    // the send state is brought up to date before the segment leaves: the peer's answer may be
    // processed inside transmit() (reentrant input) and must find its ACK acceptable
    const end = (seqno + len + (syn ? 1 : 0) + ((segFlags & TCP_FIN) !== 0 ? 1 : 0)) >>> 0;
    // seqGt written out: once per segment sent
    if (len > 0 && len < pv[TCB.mss] && ((end - pv[TCB.sndSml]) | 0) > 0) pv[TCB.sndSml] = end;
    if (((end - pv[TCB.sndNxt]) | 0) > 0) pv[TCB.sndNxt] = end;
    if (((pv[TCB.sndNxt] - pv[TCB.sndMax]) | 0) > 0) pv[TCB.sndMax] = pv[TCB.sndNxt];
    if (pv[TCB.rtxAt] === NO_TIME) pv[TCB.rtxAt] = this.core.now + pv[TCB.rto];
    pv[TCB.persistAt] = NO_TIME;
    this.emit(pcb, p, seqno, flags);
  }

  /** Sends `p`'s payload as a segment of connection `pcb`: the window and ACK from its receive
   *  state, and the ACK it owed is paid (RFC 1122 §4.2.3.2). */
  protected emit(pcb: Tcb, p: Pbuf, seqno: number, flags: number): void {
    const pv = pcb.v;
    let wnd = 0;
    if (flags & TCP_ACK || (flags & TCP_SYN)) {
      this.updateRcvAnnWnd(pcb);
      if (flags & TCP_SYN) {
        // RFC 7323 §2.2: the window field of a SYN is never scaled
        wnd = pv[TCB.rcvAnnWnd];
        if (wnd > 0xffff) wnd = 0xffff;
        pv[TCB.rcvAnnRightEdge] = (pv[TCB.rcvNxt] + wnd) >>> 0;
      } else if (pv[TCB.rcvScale] === 0) {
        // unscaled: updateRcvAnnWnd never moves the edge left, and the field caps it as before
        wnd = pv[TCB.rcvAnnWnd];
        if (wnd > 0xffff) wnd = 0xffff;
        pv[TCB.rcvAnnRightEdge] = (pv[TCB.rcvNxt] + wnd) >>> 0;
      } else {
        const sh = pv[TCB.rcvScale];
        wnd = pv[TCB.rcvAnnWnd] >>> sh;
        // RFC 7323 §2.4: rounding down to the scale's unit must not move the right edge left
        // (RFC 9293 §3.8.6): round up to the edge announced before
        const before = (pv[TCB.rcvAnnRightEdge] - pv[TCB.rcvNxt]) | 0;
        if (before > 0 && wnd * (1 << sh) < before) wnd = Math.ceil(before / (1 << sh));
        if (wnd > 0xffff) wnd = 0xffff;
        pv[TCB.rcvAnnRightEdge] = (pv[TCB.rcvNxt] + wnd * (1 << sh)) >>> 0;
      }
    }
    // the ACK owed is paid before the segment leaves: what arrives inside transmit() (reentrant
    // input) may owe a new one, which must not be cleared afterwards
    if (flags & TCP_ACK) {
      pv[TCB.flags] &= ~(TF_ACK_DELAY | TF_ACK_NOW);
      pv[TCB.delackAt] = NO_TIME;
      pv[TCB.lastAckSent] = pv[TCB.rcvNxt];
      // no SYN or RST, no SACK blocks (tcpEmit's options): through the header template at once
      if ((flags & (TCP_SYN | TCP_RST)) === 0 && (pcb.ooseq === NO_SEG || !pcb.sackOk) && this.core.config.TCP_HDR_TEMPLATE
        && tplEmit(this.core, this.ip, pcb, p, seqno, pv[TCB.rcvNxt], flags, wnd, pcb.tsOk ? TCP_HLEN + TCP_OPTLEN_TS_ALIGNED : TCP_HLEN,
          this.ttl)) return;
    }
    this.tcpEmit(p, pv[TCB.localIp], pv[TCB.localPort], pv[TCB.remoteIp], pv[TCB.remotePort], seqno,
      (flags & TCP_ACK) ? pv[TCB.rcvNxt] : 0, flags, wnd, pcb);
  }

  /**
   * The one place a TCP segment leaves (data, ACK, RST): writes the header and options in front of
   * `p`'s payload, the checksum over the pseudo-header (RFC 9293 §3.1), hands it to IP and restores
   * `p`. `p` is held across transmit(): reentrant input may acknowledge and free the segment it
   * belongs to meanwhile.
   *
   * Options come from `pcb` (none when null: a RST answering a segment of no connection):
   * - a SYN carries MSS, then what the pcb offers or negotiated: SACK-permitted, timestamps and
   *   window scale, laid out as Linux does (`mss,sackOK,TS val ecr,nop,wscale`);
   * - once timestamps are negotiated every segment carries them (RFC 7323 §3.2; a RST too: SHOULD);
   * - with SACK negotiated, an ACK sent while out-of-order data is queued carries its blocks (RFC
   *   2018 §4), as many as fit: 4, 3 beside timestamps, and in a data segment only what the MSS
   *   leaves room for (RFC 6691: data and options together stay within the peer's MSS).
   */
  protected tcpEmit(p: Pbuf, localIp: number, localPort: number, remoteIp: number, remotePort: number,
    seqno: number, ackno: number, flags: number, wnd: number, pcb: Tcb | null): void {
    let hdrLen = TCP_HLEN;
    let nSack = 0;
    const syn = (flags & TCP_SYN) !== 0;
    if (pcb !== null) {
      if (syn) {
        hdrLen += 4 + tcpSynOptLen(pcb.sackOk, pcb.tsOk, pcb.wsOk);
      } else {
        if (pcb.tsOk) hdrLen += TCP_OPTLEN_TS_ALIGNED;
        if (pcb.ooseq !== NO_SEG && pcb.sackOk && (flags & (TCP_ACK | TCP_RST)) === TCP_ACK) {
          const room = p.totLen === 0 ? 40 - (hdrLen - TCP_HLEN) : pcb.v[TCB.mss] - p.totLen;
          let max = (room - TCP_OPTLEN_SACK_BASE) >> 3;
          const cap = pcb.tsOk ? TCP_SACK_BLOCKS_MAX - 1 : TCP_SACK_BLOCKS_MAX;
          if (max > cap) max = cap;
          if (max > 0) nSack = sackBlocksToSend(pcb, this.sackOut, max, this.sackRuns, this.segs);
          if (nSack > 0) hdrLen += TCP_OPTLEN_SACK_BASE + (nSack << 3);
        }
      }
    }
    // a segment of a connection with at most timestamps as options: through its header template
    if (pcb !== null && nSack === 0 && (flags & (TCP_SYN | TCP_RST)) === 0 && this.core.config.TCP_HDR_TEMPLATE
      && tplEmit(this.core, this.ip, pcb, p, seqno, ackno, flags, wnd, hdrLen, this.ttl)) return;
    if (pbuf_add_header(p, hdrLen) !== 0) { this.core.stats.tcp.err++; return; }
    // the header went into p's headroom: p is a pool pbuf
    const pool = this.core.pbufs;
    const b = pool.mem;
    const o = pool.meta[p.index * PB_STRIDE + PB_OFF];
    tcpWriteHeader(b, o, localPort, remotePort, seqno, ackno, hdrLen, flags, wnd, 0);
    if (hdrLen > TCP_HLEN) this.writeOptions(b, o + TCP_HLEN, pcb as Tcb, syn, nSack);
    // RFC 9293 §3.1: over the pseudo-header, the header just written and the payload; with
    // transmit offload only the pseudo-header's sum, which the NIC completes (NetDriver.txChecksumOffload)
    const tl = pool.meta[p.index * PB_STRIDE + PB_TOTLEN];
    const pseudo = pseudoHeaderSum(localIp, remoteIp, IP_PROTO_TCP, tl);
    tcpSetChksum(b, o, this.ip.netif.txChecksumOffload ? chksumFold(pseudo)
      : chksumFinish(pbufChksum(p, tl, pseudo, this.core.chksum)));
    this.core.stats.tcp.xmit++;
    pbuf_ref(p);
    this.ip.output(p, localIp, remoteIp, this.ttl, 0, IP_PROTO_TCP, false);
    pbuf_remove_header(p, hdrLen);
    pbuf_free(p);
  }

  /** The options tcpEmit made room for, at `i`: a SYN's, or timestamps and `nSack` SACK blocks. */
  private writeOptions(b: Uint8Array, i: number, pcb: Tcb, syn: boolean, nSack: number): void {
    const pv = pcb.v;
    const tsVal = pcb.tsOk ? tsNow(pcb, this.core.now) : 0;
    if (syn) {
      i += tcpWriteOptMss(b, i, pv[TCB.rcvMss]);
      tcpWriteOptSyn(b, i, pcb.sackOk, pcb.tsOk, tsVal, pv[TCB.tsRecent], pcb.wsOk ? pv[TCB.rcvScale] : -1);
    } else {
      if (pcb.tsOk) i += tcpWriteOptTs(b, i, tsVal, pv[TCB.tsRecent]);
      if (nSack > 0) tcpWriteOptSack(b, i, this.sackOut, nSack);
    }
  }

  /**
   * An empty segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (also the challenge ACK of RFC 5961). Our
   * go-back-N retransmission rewinds sndNxt; the RFC's SND.NXT never moves back, and a pure ACK
   * carrying a rewound (old) sequence number would be unacceptable to the peer (RFC 9293
   * §3.10.7.4): control segments use the highest sequence number sent, sndMax.
   */
  sendAck(pcb: Tcb): void {
    // sendEmpty written out: once per ACK
    const p = this.core.pbufs.allocEmpty(PBUF_TRANSPORT_HLEN);
    if (p === null) { this.core.stats.tcp.memerr++; return; }
    this.emit(pcb, p, pcb.v[TCB.sndMax], TCP_ACK);
    pbuf_free(p);
  }

  protected sendEmpty(pcb: Tcb, seqno: number, flags: number): void {
    const p = this.core.pbufs.allocEmpty(PBUF_TRANSPORT_HLEN);
    if (p === null) { this.core.stats.tcp.memerr++; return; }
    this.emit(pcb, p, seqno, flags);
    pbuf_free(p);
  }

  /** A RST not tied to a pcb's send state (RFC 9293 §3.10.7.1 forms). `conn`: the connection it
   *  ends, whose timestamps it carries (RFC 7323 §3.2), or null. */
  protected sendRst(seqno: number, ackno: number, withAck: boolean, localIp: number, localPort: number,
    remoteIp: number, remotePort: number, conn: Tcb | null = null): void {
    const p = this.core.pbufs.allocControl(PBUF_TRANSPORT, 0);
    if (p === null) { this.core.stats.tcp.memerr++; return; }
    this.tcpEmit(p, localIp, localPort, remoteIp, remotePort, seqno, withAck ? ackno : 0,
      withAck ? (TCP_RST | TCP_ACK) : TCP_RST, 0, conn);
    pbuf_free(p);
  }

  /** Retransmits the oldest unacknowledged segment (fast retransmit, SYN,ACK again, partial ACK). */
  protected retransmitFirst(pcb: Tcb): void {
    const sg = this.segs;
    let seg = pcb.unacked;
    if (seg === NO_SEG) {
      seg = pcb.unsent;
      if (seg === NO_SEG || sg.sent[seg] === 0 && (sg.flags[seg] & TCP_SYN) === 0) return;
      this.moveToUnacked(pcb, seg);
    }
    this.sendSeg(pcb, seg);
  }

  protected startPersist(pcb: Tcb): void {
    const pv = pcb.v;
    if (pv[TCB.persistAt] !== NO_TIME) return;
    pv[TCB.rtxAt] = NO_TIME;
    pv[TCB.tlpAt] = NO_TIME;
    pv[TCB.persistAt] = this.core.now + this.persistInterval(pcb);
  }

  protected persistInterval(pcb: Tcb): number {
    const cfg = this.core.config;
    let t = pcb.v[TCB.rto];
    for (let i = 0; i < pcb.v[TCB.persistBackoff] && t < cfg.TCP_PERSIST_MAX; i++) t *= 2;
    if (t < cfg.TCP_RTO_MIN) t = cfg.TCP_RTO_MIN;
    return t > cfg.TCP_PERSIST_MAX ? cfg.TCP_PERSIST_MAX : t;
  }

  // ---------------------------------------------------------------------------------------------
  // Timers
  // ---------------------------------------------------------------------------------------------

  /**
   * Ends a connection at once: a RST to the peer when it is synchronized (RFC 9293 §3.10.4 ABORT),
   * then the pcb is freed and tcp_err gets `errCode` (ERR_ABRT for tcp_abort, 0 for none).
   */
  abortPcb(pcb: Tcb, errCode: Err, sendRst: boolean): void {
    const pv = pcb.v;
    const st = pv[TCB.state];
    if (sendRst && st >= SYN_RCVD && st !== TIME_WAIT) {
      this.sendRst(pv[TCB.sndMax], pv[TCB.rcvNxt], true, pv[TCB.localIp], pv[TCB.localPort], pv[TCB.remoteIp], pv[TCB.remotePort], pcb);
    }
    this.freePcb(pcb, errCode, CAUSE_API);
  }

  // ---------------------------------------------------------------------------------------------
  // Segment arrival (RFC 9293 §3.10.7)
  // ---------------------------------------------------------------------------------------------
}
