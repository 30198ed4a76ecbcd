/**
 * The sender's SACK scoreboard (RFC 2018 §5) and the loss-recovery rules of RFC 6675 built on it.
 *
 * The scoreboard is the retransmission queue itself: each unacknowledged segment descriptor
 * carries a `sacked` mark (the peer holds it out of order) and a `rtxInRecovery` mark (resent
 * during the current recovery, RFC 6675's HighRxt at segment granularity). Nothing is allocated;
 * the bound is the send queue (TCP_SND_QUEUELEN). A block marks only the segments it covers whole:
 * the peer's blocks follow our segment edges, and a partly covered segment is still missing data.
 *
 * SACKed segments are kept until the cumulative ACK covers them (RFC 2018 §8: the receiver may
 * renege), and a retransmission timeout forgets every mark (RFC 6675 §5.1), so reneged data is
 * sent again. Blocks outside SND.UNA..SND.MAX never reach the scoreboard (options.ts drops and
 * counts them): a SACK cannot make the sender believe that data it never sent arrived.
 */
import { seqLeq, seqGeq } from '../core/seq.js';
import type { Tcb, TcpSeg } from './tcb.js';

/** DupThresh (RFC 6675 §2, RFC 5681 §3.2): duplicate ACKs, or SACKed segments above a hole, that
 *  declare it lost. */
export const DUP_THRESH = 3;

/** Marks the segments that `n` (left, right) pairs of `blocks` cover whole. Returns the data
 *  octets newly marked (> 0: the ACK carries new SACK information, RFC 6675 §2 (e)). */
export function sackMark(tcb: Tcb, blocks: Uint32Array, n: number): number {
  let fresh = 0;
  for (let k = 0; k < n; k++) {
    const l = blocks[k << 1];
    const r = blocks[(k << 1) + 1];
    for (let s = tcb.unacked; s !== null; s = s.next) {
      if (s.sacked || s.len === 0) continue;
      const end = (s.seqno + s.len) >>> 0;
      if (seqGeq(s.seqno, l) && seqLeq(end, r)) {
        s.sacked = true;
        fresh += s.len;
      }
    }
  }
  return fresh;
}

/** Forgets every SACK and retransmission mark (after a timeout, RFC 6675 §5.1 and RFC 2018 §8:
 *  what the peer reported may have been reneged). */
export function sackClear(tcb: Tcb): void {
  for (let s = tcb.unacked; s !== null; s = s.next) { s.sacked = false; s.rtxInRecovery = false; }
  for (let s = tcb.unsent; s !== null; s = s.next) { s.sacked = false; s.rtxInRecovery = false; }
}

/** Starting a recovery episode: no segment has been resent in it yet (HighRxt = HighACK). */
export function sackRecoveryStart(tcb: Tcb): void {
  for (let s = tcb.unacked; s !== null; s = s.next) s.rtxInRecovery = false;
}

/**
 * IsLost (RFC 6675 §4): `seg` (not SACKed) is lost when DupThresh discontiguous SACKed segments,
 * or more than (DupThresh - 1) x SMSS SACKed octets, lie above it.
 */
export function sackIsLost(tcb: Tcb, seg: TcpSeg): boolean {
  let segs = 0;
  let octets = 0;
  for (let s = seg.next; s !== null; s = s.next) {
    if (!s.sacked) continue;
    segs++;
    octets += s.len;
    if (segs >= DUP_THRESH || octets > (DUP_THRESH - 1) * tcb.mss) return true;
  }
  return false;
}

/** True when some segment above `seg` has been SACKed (NextSeg rule 3's condition). */
function sackedAbove(seg: TcpSeg): boolean {
  for (let s = seg.next; s !== null; s = s.next) if (s.sacked) return true;
  return false;
}

/**
 * SetPipe (RFC 6675 §4): the octets in flight — each unSACKed segment not judged lost, plus each
 * one resent in this recovery (its retransmission is in flight).
 */
export function sackPipe(tcb: Tcb): number {
  let pipe = 0;
  for (let s = tcb.unacked; s !== null; s = s.next) {
    if (s.sacked) continue;
    if (!sackIsLost(tcb, s)) pipe += s.len;
    if (s.rtxInRecovery) pipe += s.len;
  }
  return pipe;
}

/**
 * NextSeg (RFC 6675 §4) over the retransmission queue. Rule 1: the first unSACKed segment not yet
 * resent that IsLost. Rule 2 (new data) is the caller's, between this call with `rule3` false and
 * the one with it true. Rule 3: the first unSACKed segment not yet resent with SACKed data above
 * it. Null: nothing to resend (rule 4, the rescue retransmission, is `sackRescue`).
 */
export function sackNextSeg(tcb: Tcb, rule3: boolean): TcpSeg | null {
  for (let s = tcb.unacked; s !== null; s = s.next) {
    if (s.sacked || s.rtxInRecovery) continue;
    if (rule3 ? sackedAbove(s) : sackIsLost(tcb, s)) return s;
  }
  return null;
}

/**
 * NextSeg rule 4 (RFC 6675 §4, the rescue retransmission): once per recovery, when rules 1 to 3
 * give nothing, the last unSACKed segment not yet resent — so that a loss at the end of the
 * flight does not wait for the retransmission timer.
 */
export function sackRescue(tcb: Tcb): TcpSeg | null {
  let last: TcpSeg | null = null;
  for (let s = tcb.unacked; s !== null; s = s.next) if (!s.sacked && !s.rtxInRecovery) last = s;
  return last;
}
