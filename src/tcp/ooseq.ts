/**
 * The out-of-order queue (RFC 9293 §3.10.7.4 seventh step, RFC 5681 §4.2 immediate ACKs): segments
 * beyond RCV.NXT wait here until the hole fills.
 */
import type { Pbuf } from '../core/pbuf.js';
import { pbuf_free, pbuf_realloc, pbuf_cat } from '../core/pbuf.js';
import { seqLt, seqLeq, seqGt, seqGeq } from '../core/seq.js';
import { TCP_FIN } from '../wire/tcp.js';
import { Tcb, NO_SEG, TCB } from './tcb.js';
import { TcpTimers } from './timers.js';
import type { InSeg } from './inseg.js';

/** Out-of-order segments shorter than this are "tiny": each would cost a whole pool buffer for a
 *  few octets, so a connection holds TCP_OOSEQ_TINY_MAX of them at most (Nagle's tinygrams; no real
 *  sender's retransmission pattern leaves many of them beyond a hole). */
const TINY_SEGMENT = 64;

export abstract class TcpOoseq extends TcpTimers {
  /** lwIP's pbuf_free_ooseq: under pressure the out-of-order data of every connection goes (the
   *  senders retransmit it) before anyone's in-order data is refused. */
  protected freeAllOoseq(): void {
    for (let i = 0; i < this.nActive; i++) {
      const p = this.active[i];
      if (p.ooseq !== NO_SEG) {
        this.core.stats.tcp.memerr++;
        this.freeOoseq(p);
      }
    }
  }

  protected dropPayload(s: InSeg): void {
    const p = s.p;
    if (p !== null && s.len > 0) pbuf_realloc(p, 0);
    s.len = 0;
  }

  /** Removes `n` octets from the front of the current segment's payload chain. */
  protected trimPayloadFront(s: InSeg, n: number): void {
    let p = s.p as Pbuf;
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
    s.p = p;
    s.len = p.totLen;
  }

  protected appendRecv(s: InSeg, p: Pbuf): void {
    if (s.recvData === null) s.recvData = p;
    else pbuf_cat(s.recvData, p);
  }

  protected insertOoseq(pcb: Tcb, s: InSeg): void {
    const pv = pcb.v;
    const st = this.core.stats.tcp;
    let seqno = s.seq;
    let len = s.len;
    let fin = s.fin;
    const sg = this.segs;
    const sNext = sg.next;
    const sSeqno = sg.seqno;
    const sLen = sg.len;
    // find the place: after every segment starting before us
    let prev = NO_SEG;
    let cur = pcb.ooseq;
    while (cur !== NO_SEG && seqLt(sSeqno[cur], seqno)) { prev = cur; cur = sNext[cur]; }
    // overlap with the previous one: trim our front
    if (prev !== NO_SEG) {
      const prevEnd = (sSeqno[prev] + sLen[prev]) >>> 0;
      if (seqGeq(prevEnd, (seqno + len) >>> 0)) { st.drop++; this.dropPayload(s); return; }
      if (seqGt(prevEnd, seqno)) {
        const cut = (prevEnd - seqno) | 0;
        this.trimPayloadFront(s, cut);
        seqno = prevEnd;
        len -= cut;
      }
    }
    // segments we cover entirely are replaced; a partial overlap with the next trims our tail
    while (cur !== NO_SEG && seqLeq((sSeqno[cur] + sLen[cur]) >>> 0, (seqno + len) >>> 0)) {
      const next = sNext[cur];
      if (prev === NO_SEG) pcb.ooseq = next; else sNext[prev] = next;
      pv[TCB.ooseqCount]--;
      this.freeSeg(cur);
      cur = next;
    }
    if (cur !== NO_SEG && seqGt((seqno + len) >>> 0, sSeqno[cur])) {
      const keep = (sSeqno[cur] - seqno) | 0;
      pbuf_realloc(s.p as Pbuf, keep);
      len = keep;
      fin = false;
    }
    if (len === 0 && !fin) { this.dropPayload(s); return; }
    if (pv[TCB.ooseqCount] >= this.core.config.TCP_OOSEQ_MAX_SEGS || this.poolUnderPressure()) {
      st.memerr++; st.drop++; this.dropPayload(s); return;
    }
    const tinyMax = this.core.config.TCP_OOSEQ_TINY_MAX;
    if (tinyMax > 0 && len < TINY_SEGMENT && !fin && this.tinyOoseq(pcb) >= tinyMax) {
      // a tiny segment beyond a hole costs a whole pool buffer: hold two at most (a real sender's
      // out-of-order data after a loss is full-sized segments; 1-byte segments are an attack)
      st.drop++; this.dropPayload(s); return;
    }
    const q = this.segPool.allocIndex();
    if (q < 0) { st.memerr++; st.drop++; this.dropPayload(s); return; }
    sg.p[q] = s.p;
    s.p = null;
    s.len = 0;
    sSeqno[q] = seqno;
    sLen[q] = len;
    sg.flags[q] = fin ? TCP_FIN : 0;
    sg.sent[q] = 0;
    sg.rcvOrder[q] = ++pv[TCB.ooseqArrivals];
    sNext[q] = cur;
    if (pcb.ooseq === NO_SEG) pv[TCB.ooseqSince] = this.core.now;
    if (prev === NO_SEG) pcb.ooseq = q; else sNext[prev] = q;
    pv[TCB.ooseqCount]++;
    s.fin = false;
  }

  /** Out-of-order segments of `pcb` shorter than TINY_SEGMENT. */
  protected tinyOoseq(pcb: Tcb): number {
    const sg = this.segs;
    let n = 0;
    for (let s = pcb.ooseq; s !== NO_SEG; s = sg.next[s]) if (sg.len[s] < TINY_SEGMENT && (sg.flags[s] & TCP_FIN) === 0) n++;
    return n;
  }

  /** Moves segments that now continue RCV.NXT from the out-of-order queue to the application. */
  protected drainOoseq(pcb: Tcb, inSeg: InSeg): void {
    const pv = pcb.v;
    const sg = this.segs;
    let s = pcb.ooseq;
    while (s !== NO_SEG && seqLeq(sg.seqno[s], pv[TCB.rcvNxt])) {
      const next = sg.next[s];
      const segLen = sg.len[s];
      const fin = (sg.flags[s] & TCP_FIN) !== 0;
      const end = (sg.seqno[s] + segLen) >>> 0;
      pcb.ooseq = next;
      pv[TCB.ooseqCount]--;
      if (seqGt(end, pv[TCB.rcvNxt]) || fin && end === pv[TCB.rcvNxt]) {
        const skip = (pv[TCB.rcvNxt] - sg.seqno[s]) | 0;
        const p = sg.p[s] as Pbuf;
        sg.p[s] = null;
        let take = segLen - skip;
        if (take > pv[TCB.rcvWnd]) take = pv[TCB.rcvWnd];
        if (skip > 0 || take < segLen - skip) {
          // rare: overlap with data taken meanwhile, or the window shrank; copy-free trimming
          const keepP = this.trimChain(p, skip, take);
          if (keepP !== null) this.appendRecv(inSeg, keepP);
        } else if (take > 0) {
          this.appendRecv(inSeg, p);
        } else {
          pbuf_free(p);
        }
        pv[TCB.rcvNxt] = (pv[TCB.rcvNxt] + take) >>> 0;
        pv[TCB.rcvWnd] -= take;
        if (fin && take === segLen - skip) inSeg.recvFin = true;
      }
      this.freeSeg(s);
      s = next;
      if (inSeg.recvFin) break;
    }
  }

  /** Keeps `take` octets of chain `p` after skipping `skip`; frees the rest. */
  protected trimChain(p: Pbuf, skip: number, take: number): Pbuf | null {
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

  protected freeOoseq(pcb: Tcb): void {
    this.freeSegs(pcb.ooseq);
    pcb.ooseq = NO_SEG;
    pcb.v[TCB.ooseqCount] = 0;
  }
}
