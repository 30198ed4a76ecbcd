/**
 * Congestion control behind a small interface, as smoltcp's congestion controllers are: the ACK
 * processing and the timers report events, the controller keeps cwnd and ssthresh, and output asks
 * it for the window. One implementation: NewReno — RFC 5681 slow start, congestion avoidance, fast
 * retransmit and fast recovery, with RFC 6582's partial-ACK handling and RFC 3042 limited transmit;
 * on SACK connections the window rules of RFC 6675 recovery (cwnd = ssthresh, no inflation: the
 * pipe estimate of sack.ts decides what is sent).
 */
import { seqGt } from '../core/seq.js';
import { TCB } from './tcb.js';
import type { Tcb } from './tcb.js';
import { TF_INFR } from './constants.js';

/** cwnd never grows past this (it is compared with 32-bit sequence distances). */
const CWND_MAX = 0x3fffffff;

export interface CongestionController {
  /** The window before any data is acknowledged, for send MSS `mss` (RFC 5681 §3.1 IW). */
  initialWindow(mss: number): number;
  /** SND.UNA advanced to `ack` by `acked` octets. True: a partial ACK during fast recovery, the
   *  caller retransmits the next hole (RFC 6582 §3.2 step 5). */
  onAck(tcb: Tcb, ack: number, acked: number): boolean;
  /** A duplicate ACK (RFC 5681 §2). True: start fast retransmit now (the caller resends). */
  onDupAck(tcb: Tcb): boolean;
  /** The SACK scoreboard declared the first unacknowledged segment lost before DupThresh
   *  duplicates (RFC 6675 §5 step 2). True: recovery starts (the caller resends). */
  onSackLoss(tcb: Tcb): boolean;
  /** The retransmission timer expired with data outstanding (RFC 5681 §3.1 loss window). */
  onRto(tcb: Tcb): void;
  /** A tail loss probe that was a retransmission has been acknowledged without fast recovery: a
   *  loss was repaired, and the window responds as to any loss (RFC 8985 §7.4.2). */
  onProbeRepair(tcb: Tcb): void;
  /** The congestion window output may use now. */
  window(tcb: Tcb): number;
}

/**
 * Fast retransmit and the start of fast recovery (RFC 5681 §3.2 step 2, RFC 6582 §3.2 step 2,
 * RFC 6675 §5 step 4). False when the duplicates are for data sent before the last recovery or
 * timeout began.
 */
function enterRecovery(tcb: Tcb): boolean {
  const pv = tcb.v;
  const mss = pv[TCB.mss];
  // RFC 6582 §3.2 step 2: only when the cumulative ACK covers "recover" (the highest sequence
  // number sent when the last recovery or timeout began), so that duplicate ACKs for data sent
  // before it do not start a false fast retransmit. An ACK of exactly recover + 1 qualifies: all
  // that data is acknowledged, so these duplicates are about data sent since (Linux's test,
  // snd_una at or past high_seq); otherwise a segment lost right after a full ACK — the first
  // one recovery's exit sends — would wait for the retransmission timer
  if (!seqGt(pv[TCB.sndUna], pv[TCB.recover])) return false;
  const half = ((pv[TCB.sndMax] - pv[TCB.sndUna]) >>> 0) >>> 1;
  pv[TCB.ssthresh] = half > 2 * mss ? half : 2 * mss;
  pv[TCB.recover] = (pv[TCB.sndMax] - 1) >>> 0;
  // NewReno inflates by the three segments that left the network; RFC 6675 starts at ssthresh
  // and lets the pipe estimate account for them
  pv[TCB.cwnd] = tcb.sackOk ? pv[TCB.ssthresh] : pv[TCB.ssthresh] + 3 * mss;
  pv[TCB.flags] |= TF_INFR;
  return true;
}

export const newReno: CongestionController = Object.freeze({
  initialWindow(mss: number): number {
    return mss > 2190 ? 2 * mss : (mss > 1095 ? 3 * mss : 4 * mss);
  },

  onAck(tcb: Tcb, ack: number, acked: number): boolean {
    const pv = tcb.v;
    const mss = pv[TCB.mss];
    let partial = false;
    if (pv[TCB.flags] & TF_INFR) {
      if (seqGt(ack, pv[TCB.recover])) {
        // full acknowledgment (RFC 6582 §3.2 step 3, option 1): deflate the window to
        // min(ssthresh, max(FlightSize, SMSS) + SMSS) and leave fast recovery. The max() matters
        // when the full ACK empties the pipe: a window of one segment would wait for the
        // receiver's delayed ACK of that one segment
        const flight = (pv[TCB.sndMax] - ack) >>> 0;
        const w = (flight > mss ? flight : mss) + mss;
        pv[TCB.cwnd] = pv[TCB.ssthresh] < w ? pv[TCB.ssthresh] : w;
        pv[TCB.flags] &= ~TF_INFR;
        pv[TCB.dupAcks] = 0;
      } else if (!tcb.sackOk) {
        // partial acknowledgment (RFC 6582 §3.2 step 5): deflate by the amount acknowledged
        pv[TCB.cwnd] = pv[TCB.cwnd] > acked ? pv[TCB.cwnd] - acked + mss : mss;
        partial = true;
      }
      // with SACK (RFC 6675 §5) cwnd stays at ssthresh during recovery: the pipe estimate, not
      // window inflation, decides what goes out
    } else {
      pv[TCB.dupAcks] = 0;
      if (pv[TCB.cwnd] < pv[TCB.ssthresh]) {
        // slow start (RFC 5681 §3.1), at most one SMSS per ACK
        pv[TCB.cwnd] += acked < mss ? acked : mss;
      } else {
        // congestion avoidance: one SMSS per window of data acknowledged
        const ba = pv[TCB.bytesAcked] + acked;
        if (ba >= pv[TCB.cwnd]) {
          pv[TCB.bytesAcked] = ba - pv[TCB.cwnd];
          pv[TCB.cwnd] += mss;
        } else {
          pv[TCB.bytesAcked] = ba;
        }
      }
    }
    if (pv[TCB.cwnd] > CWND_MAX) pv[TCB.cwnd] = CWND_MAX;
    return partial;
  },

  onDupAck(tcb: Tcb): boolean {
    const pv = tcb.v;
    pv[TCB.dupAcks]++;
    if (pv[TCB.flags] & TF_INFR) {
      // RFC 5681 §3.2 step 4: inflate per duplicate (not with SACK: RFC 6675 counts the pipe)
      if (!tcb.sackOk) pv[TCB.cwnd] += pv[TCB.mss];
      return false;
    }
    if (pv[TCB.dupAcks] !== 3) return false;
    return enterRecovery(tcb);
  },

  onSackLoss(tcb: Tcb): boolean {
    if (tcb.v[TCB.flags] & TF_INFR) return false;
    return enterRecovery(tcb);
  },

  onRto(tcb: Tcb): void {
    const pv = tcb.v;
    const half = ((pv[TCB.sndMax] - pv[TCB.sndUna]) >>> 0) >>> 1;
    pv[TCB.ssthresh] = half > 2 * pv[TCB.mss] ? half : 2 * pv[TCB.mss];
    pv[TCB.cwnd] = pv[TCB.mss];
    pv[TCB.bytesAcked] = 0;
    pv[TCB.flags] &= ~TF_INFR;
    pv[TCB.dupAcks] = 0;
    pv[TCB.recover] = (pv[TCB.sndMax] - 1) >>> 0;
  },

  onProbeRepair(tcb: Tcb): void {
    const pv = tcb.v;
    // the reduction fast recovery would have made (RFC 5681 §3.2 step 2), with recovery already
    // complete: ssthresh = max(FlightSize / 2, 2 SMSS) at the loss, cwnd = ssthresh (RFC 6582 §3.2
    // step 3 option 2). The flight at the loss is the window then in use: cwnd
    const half = pv[TCB.cwnd] >>> 1;
    pv[TCB.ssthresh] = half > 2 * pv[TCB.mss] ? half : 2 * pv[TCB.mss];
    pv[TCB.cwnd] = pv[TCB.ssthresh];
    pv[TCB.bytesAcked] = 0;
  },

  window(tcb: Tcb): number {
    const pv = tcb.v;
    // limited transmit (RFC 3042): the first two duplicate ACKs each let one new segment out, so
    // that a small window still produces the three duplicates fast retransmit needs
    const d = pv[TCB.dupAcks];
    if (d > 0 && d < 3 && (pv[TCB.flags] & TF_INFR) === 0) return pv[TCB.cwnd] + d * pv[TCB.mss];
    return pv[TCB.cwnd];
  },
});
