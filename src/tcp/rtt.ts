/**
 * The retransmission timeout estimator of RFC 6298 §2: SRTT and RTTVAR from round-trip samples,
 * RTO = SRTT + max(G, 4 x RTTVAR), bounded by TCP_RTO_MIN (§2.4) and TCP_RTO_MAX (§2.5). Which
 * segments may be timed (Karn's algorithm, §3) is the caller's business: ack.ts takes one sample
 * per window from a segment never retransmitted, and none from a retransmitted SYN.
 */
import type { StackConfig } from '../core/config.js';
import type { Tcb } from './tcb.js';
import { CLOCK_GRANULARITY } from './constants.js';
import { TCB } from './tcb.js';

/** Folds one round-trip measurement `r` (ms) into `tcb`'s SRTT, RTTVAR and RTO. `samples`: the
 *  measurements expected per RTT (RFC 7323 §4.2: alpha and beta are divided by it when every ACK
 *  gives one), 1 for one sample per window. */
export function rttSample(tcb: Tcb, r: number, cfg: StackConfig, samples = 1): void {
  const pv = tcb.v;
  if (r < 0) return;
  if (!tcb.rttValid) {
    // §2.2: the first measurement
    pv[TCB.srtt] = r;
    pv[TCB.rttvar] = r / 2;
    tcb.rttValid = true;
  } else {
    // §2.3: alpha = 1/8, beta = 1/4; RTTVAR first, from the old SRTT
    const beta = 0.25 / samples;
    const alpha = 0.125 / samples;
    const d = pv[TCB.srtt] > r ? pv[TCB.srtt] - r : r - pv[TCB.srtt];
    pv[TCB.rttvar] = (1 - beta) * pv[TCB.rttvar] + beta * d;
    pv[TCB.srtt] = (1 - alpha) * pv[TCB.srtt] + alpha * r;
  }
  const k = 4 * pv[TCB.rttvar];
  let rto = pv[TCB.srtt] + (k > CLOCK_GRANULARITY ? k : CLOCK_GRANULARITY);
  if (rto < cfg.TCP_RTO_MIN) rto = cfg.TCP_RTO_MIN;
  if (rto > cfg.TCP_RTO_MAX) rto = cfg.TCP_RTO_MAX;
  pv[TCB.rto] = Math.ceil(rto);
}
