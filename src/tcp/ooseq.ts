/** The out-of-order queue (RFC 9293 §3.10.7.4 seventh step, RFC 5681 §4.2 immediate ACKs): segments beyond RCV.NXT wait here until the hole fills. */
import type { Pbuf } from '../core/pbuf.js';
import { pbuf_free, pbuf_realloc, pbuf_cat } from '../core/pbuf.js';
import { seqLt, seqLeq, seqGt, seqGeq } from '../core/seq.js';
import { TCP_FIN } from '../wire/tcp.js';
import { Tcb, TcpSeg } from './tcb.js';
import { TcpTimers } from './timers.js';

export abstract class TcpOoseq extends TcpTimers {
  protected dropPayload(): void {
    const p = this.segP;
    if (p !== null && this.segLen > 0) pbuf_realloc(p, 0);
    this.segLen = 0;
  }

  /** Removes `n` octets from the front of the current segment's payload chain. */
  protected trimPayloadFront(n: number): void {
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

  protected appendRecv(p: Pbuf): void {
    if (this.recvData === null) this.recvData = p;
    else pbuf_cat(this.recvData, p);
  }

  protected insertOoseq(pcb: Tcb): void {
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
    if (pcb.ooseqCount >= this.core.config.TCP_OOSEQ_MAX_SEGS) { st.memerr++; st.drop++; this.dropPayload(); return; }
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
    if (prev === null) pcb.ooseq = s; else prev.next = s;
    pcb.ooseqCount++;
    seg.flags &= ~TCP_FIN;
  }

  /** Moves segments that now continue RCV.NXT from the out-of-order queue to the application. */
  protected drainOoseq(pcb: Tcb): void {
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
    pcb.ooseqCount = 0;
  }
}
