/**
 * Tail loss probe (RFC 8985 §7): when the last segments of a flight (or their ACKs) are lost, no
 * duplicate ACKs come back and only the retransmission timer would repair the loss, at least one
 * RTO (1 s, RFC 6298 §2.4) later. A probe timer (PTO, about two round trips) sends one segment
 * first — new data if the peer's window allows it, else the last segment sent again — so that the
 * receiver's answer starts ordinary fast recovery, or acknowledges everything.
 *
 * With an 8 KB window (five full segments) three duplicate ACKs often never arrive after a loss:
 * the window has no room for the limited-transmit segments of RFC 3042, or one of them is lost
 * too. The probe supplies the missing duplicate.
 *
 * Probes run only on connections that negotiated SACK, as Linux runs them: RFC 8985 pairs TLP with
 * SACK-based recovery, and peers and scripts that do not use SACK see the timing they always saw.
 *
 * These functions keep the probe's state in the Tcb (tlpAt, tlpEnd, tlpState); timers.ts sends
 * the probe, ack.ts and output.ts (re)arm the timer.
 */
import { seqGeq } from '../core/seq.js';
import type { Tcb } from './tcb.js';
import { TF_INFR, NO_TIME, CLOCK_GRANULARITY, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK } from './constants.js';
import { TCB, NO_SEG } from './tcb.js';

/** RFC 8985 §7.2 WCDelAckT: the worst-case delayed-ACK time of a receiver, ms. */
export const TLP_WC_DELACK_MS = 200;

/** No probe outstanding. */
export const TLP_NONE = 0;
/** The probe sent new data. */
export const TLP_NEW = 1;
/** The probe retransmitted the last segment (TLP.is_retrans). */
export const TLP_RXT = 2;

/** The probe timeout (RFC 8985 §7.2): 2 SRTT, plus WCDelAckT when one segment is in flight (its
 *  ACK may be delayed), never after the retransmission timer; NO_TIME when no probe is due. */
export function ptoDue(tcb: Tcb, now: number): number {
  const pv = tcb.v;
  if (!tcb.rttValid || pv[TCB.rtxAt] === NO_TIME) return NO_TIME;
  let pto = 2 * pv[TCB.srtt];
  const flight = (pv[TCB.sndMax] - pv[TCB.sndUna]) >>> 0;
  if (flight <= pv[TCB.mss]) pto += TLP_WC_DELACK_MS;
  // plus two clock ticks, as Linux adds TCP_TIMEOUT_MIN: with a sub-millisecond SRTT (a LAN, a
  // TAP) 2 SRTT is below what a ms timer can tell from scheduling delay, and a probe that fires
  // before the ACK it waits for could arrive costs a needless window reduction (no D-SACK here)
  const due = now + Math.ceil(pto) + 2 * CLOCK_GRANULARITY;
  return due < pv[TCB.rtxAt] ? due : NO_TIME;
}

/**
 * Starts or restarts the probe timer after new data went out or a cumulative ACK arrived (RFC 8985
 * §7.2), unless the connection is in fast recovery, rewinding after a timeout (SND.NXT behind the
 * highest sequence sent), or waiting for the answer to a probe already sent.
 */
export function armLossProbe(tcb: Tcb, now: number): void {
  const pv = tcb.v;
  pv[TCB.tlpAt] = NO_TIME;
  if (!tcb.sackOk || tcb.unacked === NO_SEG || pv[TCB.tlpState] !== TLP_NONE || (pv[TCB.flags] & TF_INFR) !== 0) return;
  if (pv[TCB.sndNxt] !== pv[TCB.sndMax]) return;
  const st = pv[TCB.state];
  if (st !== ESTABLISHED && st !== CLOSE_WAIT && st !== FIN_WAIT_1 && st !== CLOSING && st !== LAST_ACK) return;
  pv[TCB.tlpAt] = ptoDue(tcb, now);
}

/**
 * An ACK at or past the end of the probe (RFC 8985 §7.4): the probe episode is over. True when the
 * probe was a retransmission and the ACK came without fast recovery having started: the probe
 * repaired a tail loss, and congestion control must respond as to any loss. A receiver without
 * D-SACK (RFC 2883) cannot say that the probe was a needless copy, so the stack assumes the loss,
 * which errs on the side of the network.
 */
export function probeAnswered(tcb: Tcb, ack: number): boolean {
  const pv = tcb.v;
  if (pv[TCB.tlpState] === TLP_NONE || !seqGeq(ack, pv[TCB.tlpEnd])) return false;
  const repaired = pv[TCB.tlpState] === TLP_RXT && (pv[TCB.flags] & TF_INFR) === 0;
  pv[TCB.tlpState] = TLP_NONE;
  return repaired;
}

/** Forgets the probe (fast recovery or a retransmission timeout took over). */
export function cancelLossProbe(tcb: Tcb): void {
  tcb.v[TCB.tlpAt] = NO_TIME;
  tcb.v[TCB.tlpState] = TLP_NONE;
}
