/**
 * Receiving: the seventh (segment text) and eighth (FIN) steps of RFC 9293 §3.10.7.4, and the
 * hand-over to the application (tcp_recv, tcp_sent callbacks).
 */
import type { Pbuf } from '../core/pbuf.js';
import { pbuf_free, pbuf_cat } from '../core/pbuf.js';
import { ERR_OK, ERR_ABRT } from '../core/err.js';
import type { Err } from '../core/err.js';
import { seqGeq } from '../core/seq.js';
import { Tcb, TCB, NO_SEG } from './tcb.js';
import {
  SYN_RCVD, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT, TF_ACK_DELAY,
  TF_ACK_NOW, TF_FIN_QUEUED, TF_RXCLOSED, TF_CLOSED_BY_APP, TF_FIN_RECVD, TF_ACK_BURST, CAUSE_SEGMENT, NO_TIME,
} from './constants.js';
import { TcpOoseq } from './ooseq.js';
import type { InSeg } from './inseg.js';

export abstract class TcpRecv extends TcpOoseq {
  /** tcp_close (tcp.ts). */
  abstract close(pcb: Tcb): Err;

  /** Driver bursts open (Netif.rxBurstBegin minus rxBurstEnd; they nest when a driver loops frames
   *  back inside transmit), counted only with TCP_ACK_PER_BURST: while above 0, the
   *  every-second-segment ACK waits for the end of the outermost burst. */
  protected burstDepth = 0;
  /** ACKs deferred to the end of the current driver burst (TF_ACK_BURST marks the pcbs); 0 lets
   *  rxBurstEnd skip the scan. */
  protected burstAcks = 0;

  /** A driver burst begins (Netif.rxBurstBegin, RxBurstSink). */
  rxBurstBegin(): void {
    if (this.core.config.TCP_ACK_PER_BURST) this.burstDepth++;
  }

  /**
   * A driver burst ended (Netif.rxBurstEnd, RxBurstSink). At the end of the outermost one, every
   * connection that deferred its every-second-segment ACK (TCP_ACK_PER_BURST) sends it, with data
   * if it has some to send. A connection whose ACK left meanwhile (on data, a window update) has
   * nothing owed. Bounded by the active pcbs; walked from the end, as output() may re-enter input
   * and free a pcb (swap removal moves only pcbs already visited).
   */
  rxBurstEnd(): void {
    if (this.burstDepth === 0 || --this.burstDepth !== 0) return;
    if (this.burstAcks === 0) return;
    this.burstAcks = 0;
    for (let i = this.nActive - 1; i >= 0; i--) {
      if (i >= this.nActive) continue;
      const pcb = this.active[i];
      const f = pcb.v[TCB.flags];
      if ((f & TF_ACK_BURST) === 0) continue;
      pcb.v[TCB.flags] = f & ~TF_ACK_BURST;
      if ((f & TF_ACK_DELAY) === 0) continue;
      pcb.v[TCB.flags] |= TF_ACK_NOW;
      this.output(pcb);
    }
  }

  /** Seventh step: segment text, in order (ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2). */
  protected processText(pcb: Tcb, s: InSeg): void {
    const pv = pcb.v;
    const st = this.core.stats.tcp;
    const len = s.len;
    s.finSeq = (s.seq + len) >>> 0;
    if (len === 0) return;
    const state = pv[TCB.state];
    if (state !== ESTABLISHED && state !== FIN_WAIT_1 && state !== FIN_WAIT_2) {
      // CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT: the peer already sent its FIN; ignore the text
      this.dropPayload(s);
      return;
    }
    if ((pv[TCB.flags] & TF_CLOSED_BY_APP) !== 0 && seqGeq(s.seq, pv[TCB.rcvNxt])) {
      // new data after the application closed: nobody will read it — reset (RFC 9293 §3.10.4,
      // as Linux and lwIP do)
      st.drop++;
      this.abortPcb(pcb, 0, true);
      return;
    }
    if (pcb.refused !== null && s.seq === pv[TCB.rcvNxt]) {
      // the application is refusing data: keep the window honest, take nothing more for now
      this.dropPayload(s);
      s.fin = false;
      pv[TCB.flags] |= TF_ACK_NOW;
      return;
    }
    const pool = this.core.pbufs;
    if (pool.freeTop <= this.pressureFreeMax) {   // poolUnderPressure(), inline on the receive path
      this.freeAllOoseq();
      if (this.pcbHeld(pcb) >= this.pcbShare()) {
        // over its share of a scarce pool (TCP_PCB_POOL_SHARE): this connection takes nothing
        // more until it drains; the sender retransmits
        st.memerr++;
        st.drop++;
        this.dropPayload(s);
        s.fin = false;
        pv[TCB.flags] |= TF_ACK_NOW;
        return;
      }
    }
    if (pool.freeTop < pool.reserve) {
      // the pool is down to the receive reserve: keep it for ACKs and RSTs; drop the out-of-order
      // queue first, and this payload too (the sender retransmits)
      this.freeOoseq(pcb);
      if (pool.freeTop < pool.reserve) {
        st.memerr++;
        this.dropPayload(s);
        s.fin = false;
        pv[TCB.flags] |= TF_ACK_NOW;
        return;
      }
    }
    if (s.seq === pv[TCB.rcvNxt]) {
      this.takeInOrder(pcb, s, len);
    } else {
      // out of order: hold it and send an immediate duplicate ACK (RFC 5681 §4.2)
      this.insertOoseq(pcb, s);
      pv[TCB.flags] |= TF_ACK_NOW;
    }
  }

  /**
   * Seventh step, text at RCV.NXT (`len` octets, all inside the window): taken, then whatever the
   * out-of-order queue now continues, and whether to ACK now or later decided.
   */
  protected takeInOrder(pcb: Tcb, s: InSeg, len: number): void {
    const pv = pcb.v;
    const p = s.p as Pbuf;
    s.p = null;
    s.len = 0;
    pv[TCB.rcvNxt] = (pv[TCB.rcvNxt] + len) >>> 0;
    pv[TCB.rcvWnd] -= len;
    if (pv[TCB.rcvWnd] < 0) pv[TCB.rcvWnd] = 0;
    if ((pv[TCB.flags] & TF_RXCLOSED) !== 0) {
      // shut_rx: acknowledged and discarded
      pbuf_free(p);
      pv[TCB.rcvWnd] += len;
    } else if (s.recvData === null) {
      s.recvData = p;     // appendRecv, written out: once per segment taken
    } else {
      this.appendRecv(s, p);
    }
    const filled = pcb.ooseq !== NO_SEG;
    if (filled) this.drainOoseq(pcb, s);
    // after a pause longer than the RTO the sender is probably restarting (slow start): ACK the
    // next segments at once again, as Linux does
    const now = this.core.now;
    if (now - pv[TCB.lastDataAt] > pv[TCB.rto]) this.enterQuickAck(pcb);
    pv[TCB.lastDataAt] = now;
    // delayed ACK (RFC 1122 §4.2.3.2; RFC 5681 §4.2): ACK at least every second segment; a
    // segment that fills all or part of a hole is ACKed at once (§4.2: the sender learns of the
    // repair without waiting)
    if (filled || s.recvFin) pv[TCB.flags] |= TF_ACK_NOW;
    else if (pv[TCB.quickAcks] > 0) { pv[TCB.quickAcks]--; pv[TCB.flags] |= TF_ACK_NOW; }
    else if (pv[TCB.flags] & TF_ACK_DELAY) {
      if (this.burstDepth !== 0) {
        // inside a driver burst: one ACK at its end covers the whole burst (rxBurstEnd), as
        // for a GRO super-packet; every other ACK above and below stays immediate
        pv[TCB.flags] |= TF_ACK_BURST;
        this.burstAcks++;
      } else {
        pv[TCB.flags] |= TF_ACK_NOW;
      }
    } else {
      pv[TCB.flags] |= TF_ACK_DELAY;
      if (pv[TCB.delackAt] === NO_TIME) pv[TCB.delackAt] = now + this.core.config.TCP_DELACK_MS;
    }
  }

  /** Eighth step: FIN — taken only when it is in order (at RCV.NXT once the text is taken). */
  protected processFin(pcb: Tcb, s: InSeg): void {
    const pv = pcb.v;
    let fin = s.recvFin;
    if (!fin && s.fin && s.finSeq === pv[TCB.rcvNxt]) fin = true;
    if (!fin) return;
    if ((pv[TCB.flags] & TF_FIN_RECVD) !== 0) {
      if (pv[TCB.state] === TIME_WAIT) this.restartTimeWait(pcb);
      pv[TCB.flags] |= TF_ACK_NOW;
      return;
    }
    pv[TCB.rcvNxt] = (pv[TCB.rcvNxt] + 1) >>> 0;
    s.recvFin = true;
    pv[TCB.flags] |= TF_FIN_RECVD | TF_ACK_NOW;
    this.freeOoseq(pcb);
    switch (pv[TCB.state]) {
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

  protected finAcked(pcb: Tcb): boolean {
    const pv = pcb.v;
    return (pv[TCB.flags] & TF_FIN_QUEUED) !== 0 && pcb.unsent === NO_SEG && pcb.unacked === NO_SEG
      && pv[TCB.sndUna] === pv[TCB.sndLbb];
  }

  /** Hands what this segment made available to the application: acknowledged octets (tcp_sent),
   *  in-order data (tcp_recv), then the FIN (tcp_recv with a null pbuf). */
  protected deliver(pcb: Tcb, s: InSeg): void {
    const pv = pcb.v;
    const gen = pcb.gen;
    if (pv[TCB.ackedToReport] > 0) {
      const n = pv[TCB.ackedToReport];
      pv[TCB.ackedToReport] = 0;
      const fn = pcb.sent;
      if (fn !== null && pcb.handle !== null) {
        const r = fn(pcb.arg, pcb.handle, n);
        if (pcb.gen !== gen) return;
        if (r === ERR_ABRT) return;
      }
    }
    const data = s.recvData;
    const fin = s.recvFin;
    s.recvData = null;
    s.recvFin = false;
    if (data !== null && !fin && pcb.refused === null && !pcb.refusedFin) {
      // the usual case, offerRefused written out (once per segment taken): straight to the application
      const r = this.callRecv(pcb, data, ERR_OK);
      if (r !== ERR_OK) {
        if (pcb.gen !== gen) pbuf_free(data);
        else pcb.refused = data;
      }
      return;
    }
    if (data !== null) {
      if (pcb.refused !== null) pbuf_cat(pcb.refused, data);
      else pcb.refused = data;
    }
    if (fin) pcb.refusedFin = true;
    this.offerRefused(pcb);
  }

  /** Offers held data (and the FIN) to the application; what it refuses stays for later. */
  protected offerRefused(pcb: Tcb): void {
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

  /** An active open completed: the `connected` callback (tcp_connect). Returns false when the pcb
   *  is gone (freed, or aborted because the callback returned an error). */
  protected callConnected(pcb: Tcb): boolean {
    const fn = pcb.connected;
    if (fn === null || pcb.handle === null) return true;
    const gen = pcb.gen;
    const r = fn(pcb.arg, pcb.handle, ERR_OK);
    if (pcb.gen !== gen) return false;
    if (r !== ERR_OK) { this.abortPcb(pcb, ERR_ABRT, true); return false; }
    return true;
  }

  protected callRecv(pcb: Tcb, p: Pbuf | null, err: Err): Err {
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
}
