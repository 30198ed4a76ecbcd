/**
 * The out-of-order queue (RFC 9293 §3.10.7.4 seventh step, RFC 5681 §4.2 immediate ACKs): segments
 * beyond RCV.NXT wait here until the hole fills.
 */
import type { Pbuf } from '../core/pbuf.js';
import { pbuf_free, pbuf_realloc, pbuf_cat } from '../core/pbuf.js';
import { seqLt, seqLeq, seqGt, seqGeq } from '../core/seq.js';
import { TCP_FIN } from '../wire/tcp.js';
import { Tcb, TcpSeg, TCB } from './tcb.js';
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
      if (p.ooseq !== null) {
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
    // find the place: after every segment starting before us
    let prev: TcpSeg | null = null;
    let cur = pcb.ooseq;
    while (cur !== null && seqLt(cur.seqno, seqno)) { prev = cur; cur = cur.next; }
    // overlap with the previous one: trim our front
    if (prev !== null) {
      const prevEnd = (prev.seqno + prev.len) >>> 0;
      if (seqGeq(prevEnd, (seqno + len) >>> 0)) { st.drop++; this.dropPayload(s); return; }
      if (seqGt(prevEnd, seqno)) {
        const cut = (prevEnd - seqno) | 0;
        this.trimPayloadFront(s, cut);
        seqno = prevEnd;
        len -= cut;
      }
    }
    // segments we cover entirely are replaced; a partial overlap with the next trims our tail
    while (cur !== null && seqLeq((cur.seqno + cur.len) >>> 0, (seqno + len) >>> 0)) {
      const next: TcpSeg | null = cur.next;
      if (prev === null) pcb.ooseq = next; else prev.next = next;
      pv[TCB.ooseqCount]--;
      this.freeSeg(cur);
      cur = next;
    }
    if (cur !== null && seqGt((seqno + len) >>> 0, cur.seqno)) {
      const keep = (cur.seqno - seqno) | 0;
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
    const q = this.segPool.alloc();
    if (q === null) { st.memerr++; st.drop++; this.dropPayload(s); return; }
    q.p = s.p;
    s.p = null;
    s.len = 0;
    q.seqno = seqno;
    q.len = len;
    q.flags = fin ? TCP_FIN : 0;
    q.sent = 0;
    this.segMeta.rcvOrder[q.mempIndex] = ++pv[TCB.ooseqArrivals];
    q.next = cur;
    if (pcb.ooseq === null) pv[TCB.ooseqSince] = this.core.now;
    if (prev === null) pcb.ooseq = q; else prev.next = q;
    pv[TCB.ooseqCount]++;
    s.fin = false;
  }

  /** Out-of-order segments of `pcb` shorter than TINY_SEGMENT. */
  protected tinyOoseq(pcb: Tcb): number {
    let n = 0;
    for (let s = pcb.ooseq; s !== null; s = s.next) if (s.len < TINY_SEGMENT && (s.flags & TCP_FIN) === 0) n++;
    return n;
  }

  /** Moves segments that now continue RCV.NXT from the out-of-order queue to the application. */
  protected drainOoseq(pcb: Tcb, inSeg: InSeg): void {
    const pv = pcb.v;
    let s = pcb.ooseq;
    while (s !== null && seqLeq(s.seqno, pv[TCB.rcvNxt])) {
      const next = s.next;
      const end = (s.seqno + s.len) >>> 0;
      pcb.ooseq = next;
      pv[TCB.ooseqCount]--;
      if (seqGt(end, pv[TCB.rcvNxt]) || (s.flags & TCP_FIN) !== 0 && end === pv[TCB.rcvNxt]) {
        const skip = (pv[TCB.rcvNxt] - s.seqno) | 0;
        const p = s.p as Pbuf;
        s.p = null;
        let take = s.len - skip;
        if (take > pv[TCB.rcvWnd]) take = pv[TCB.rcvWnd];
        if (skip > 0 || take < s.len - skip) {
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
        if ((s.flags & TCP_FIN) !== 0 && take === s.len - skip) inSeg.recvFin = true;
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
    pcb.ooseq = null;
    pcb.v[TCB.ooseqCount] = 0;
  }
}
