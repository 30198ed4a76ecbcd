/**
 * The sender's SACK scoreboard (RFC 2018 §5) and the loss-recovery rules of RFC 6675 built on it.
 *
 * The scoreboard is the retransmission queue itself: each unacknowledged segment descriptor has a
 * SEG_SACKED mark (the peer holds it out of order) and a SEG_RTX mark (resent during the current
 * recovery, RFC 6675's HighRxt at segment granularity), bits of its entry in the segment store's
 * `marks` array (SegStore, tcb.ts), which every function here is given. Nothing is allocated;
 * the bound is the send queue (TCP_SND_QUEUELEN). A block marks only the segments it covers whole:
 * the peer's blocks follow our segment edges, and a partly covered segment is still missing data.
 *
 * SACKed segments are kept until the cumulative ACK covers them (RFC 2018 §8: the receiver may
 * renege), and a retransmission timeout forgets every mark (RFC 6675 §5.1), so reneged data is
 * sent again. Blocks outside SND.UNA..SND.MAX never reach the scoreboard (options.ts drops and
 * counts them): a SACK cannot make the sender believe that data it never sent arrived.
 */
import { seqLeq, seqGeq } from '../core/seq.js';
import { SEG_SACKED, SEG_RTX, NO_SEG, type Tcb, type SegStore, TCB } from './tcb.js';

/** DupThresh (RFC 6675 §2, RFC 5681 §3.2): duplicate ACKs, or SACKed segments above a hole, that
 *  declare it lost. */
export const DUP_THRESH = 3;

/** Marks the segments that `n` (left, right) pairs of `blocks` cover whole. Returns the data
 *  octets newly marked (> 0: the ACK carries new SACK information, RFC 6675 §2 (e)). */
export function sackMark(tcb: Tcb, sg: SegStore, blocks: Uint32Array, n: number): number {
  const { next, marks, len, seqno } = sg;
  let fresh = 0;
  for (let k = 0; k < n; k++) {
    const l = blocks[k << 1];
    const r = blocks[(k << 1) + 1];
    for (let s = tcb.unacked; s !== NO_SEG; s = next[s]) {
      if ((marks[s] & SEG_SACKED) !== 0 || len[s] === 0) continue;
      const end = (seqno[s] + len[s]) >>> 0;
      if (seqGeq(seqno[s], l) && seqLeq(end, r)) {
        marks[s] |= SEG_SACKED;
        fresh += len[s];
      }
    }
  }
  return fresh;
}

/** Forgets every SACK and retransmission mark (after a timeout, RFC 6675 §5.1 and RFC 2018 §8:
 *  what the peer reported may have been reneged). */
export function sackClear(tcb: Tcb, sg: SegStore): void {
  const { next, marks } = sg;
  for (let s = tcb.unacked; s !== NO_SEG; s = next[s]) marks[s] = 0;
  for (let s = tcb.unsent; s !== NO_SEG; s = next[s]) marks[s] = 0;
}

/** Starting a recovery episode: no segment has been resent in it yet (HighRxt = HighACK). */
export function sackRecoveryStart(tcb: Tcb, sg: SegStore): void {
  const { next, marks } = sg;
  for (let s = tcb.unacked; s !== NO_SEG; s = next[s]) marks[s] &= ~SEG_RTX;
}

/**
 * IsLost (RFC 6675 §4): `seg` (not SACKed) is lost when DupThresh discontiguous SACKed segments,
 * or more than (DupThresh - 1) x SMSS SACKed octets, lie above it.
 */
export function sackIsLost(tcb: Tcb, sg: SegStore, seg: number): boolean {
  const { next, marks, len } = sg;
  let segs = 0;
  let octets = 0;
  for (let s = next[seg]; s !== NO_SEG; s = next[s]) {
    if ((marks[s] & SEG_SACKED) === 0) continue;
    segs++;
    octets += len[s];
    if (segs >= DUP_THRESH || octets > (DUP_THRESH - 1) * tcb.v[TCB.mss]) return true;
  }
  return false;
}

/** True when some segment above `seg` has been SACKed (NextSeg rule 3's condition). */
function sackedAbove(sg: SegStore, seg: number): boolean {
  const { next, marks } = sg;
  for (let s = next[seg]; s !== NO_SEG; s = next[s]) if ((marks[s] & SEG_SACKED) !== 0) return true;
  return false;
}

/**
 * SetPipe (RFC 6675 §4): the octets in flight — each unSACKed segment not judged lost, plus each
 * one resent in this recovery (its retransmission is in flight).
 */
export function sackPipe(tcb: Tcb, sg: SegStore): number {
  const { next, marks, len } = sg;
  let pipe = 0;
  for (let s = tcb.unacked; s !== NO_SEG; s = next[s]) {
    const m = marks[s];
    if ((m & SEG_SACKED) !== 0) continue;
    if (!sackIsLost(tcb, sg, s)) pipe += len[s];
    if ((m & SEG_RTX) !== 0) pipe += len[s];
  }
  return pipe;
}

/**
 * NextSeg (RFC 6675 §4) over the retransmission queue. Rule 1: the first unSACKed segment not yet
 * resent that IsLost. Rule 2 (new data) is the caller's, between this call with `rule3` false and
 * the one with it true. Rule 3: the first unSACKed segment not yet resent with SACKed data above
 * it. NO_SEG: nothing to resend (rule 4, the rescue retransmission, is `sackRescue`).
 */
export function sackNextSeg(tcb: Tcb, sg: SegStore, rule3: boolean): number {
  const { next, marks } = sg;
  for (let s = tcb.unacked; s !== NO_SEG; s = next[s]) {
    if (marks[s] !== 0) continue;
    if (rule3 ? sackedAbove(sg, s) : sackIsLost(tcb, sg, s)) return s;
  }
  return NO_SEG;
}

/**
 * NextSeg rule 4 (RFC 6675 §4, the rescue retransmission): once per recovery, when rules 1 to 3
 * give nothing, the last unSACKed segment not yet resent — so that a loss at the end of the
 * flight does not wait for the retransmission timer.
 */
export function sackRescue(tcb: Tcb, sg: SegStore): number {
  const { next, marks } = sg;
  let last = NO_SEG;
  for (let s = tcb.unacked; s !== NO_SEG; s = next[s]) if (marks[s] === 0) last = s;
  return last;
}
