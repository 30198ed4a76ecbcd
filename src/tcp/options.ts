/**
 * The per-connection side of TCP options: negotiation of window scale, timestamps (RFC 7323) and
 * SACK-permitted (RFC 2018 §2) from the two SYNs, the timestamp rules (TSval clock, TS.Recent,
 * PAWS, RTT echoes) and the SACK blocks we report and accept. The bytes themselves are read and
 * written by src/wire/tcp.ts; output.ts's tcpEmit puts them on every segment.
 *
 * Plain functions over a Tcb: no allocation, nothing thrown.
 */
import type { StackConfig } from '../core/config.js';
import { seqLt, seqLeq, seqGt, seqGeq } from '../core/seq.js';
import { TCP_FIN, TCP_WS_MAX, type TcpSegInfo } from '../wire/tcp.js';
import type { Tcb, SegStore } from './tcb.js';
import { TCB, NO_SEG } from './tcb.js';

/** RFC 7323 §5.5: TS.Recent is no longer valid after 24 days without a segment that updates it
 *  (a 1 ms timestamp clock wraps its sign bit in 24.8 days). */
export const PAWS_IDLE_MS = 24 * 24 * 3600 * 1000;

/** The largest window field (16 bits, RFC 9293 §3.1). */
const WND_FIELD_MAX = 0xffff;

/** Our window shift for a receive window of `wnd` octets: the smallest that fits it into the
 *  16-bit field (RFC 7323 §2.3), at most 14. */
export function rcvScaleFor(wnd: number): number {
  let s = 0;
  while (s < TCP_WS_MAX && (wnd >>> s) > WND_FIELD_MAX) s++;
  return s;
}

/** Our timestamp clock (RFC 7323 §5.4): ms plus the connection's random offset, 32 bits. */
export function tsNow(pcb: Tcb, now: number): number {
  return (Math.floor(now) + pcb.v[TCB.tsOffset]) >>> 0;
}

/**
 * What we offer in the first SYN of a connection (connect, or the SYN-ACK's options before the
 * peer's are applied): each option the configuration turns on. `tsOffset` starts the connection's
 * timestamp clock (TcpTable.newTsOffset: keyed by the 4-tuple, RFC 7323 §5.4).
 */
export function offerOptions(pcb: Tcb, cfg: StackConfig, tsOffset: number, now: number): void {
  const pv = pcb.v;
  pcb.wsOk = cfg.TCP_WND_SCALE;
  pv[TCB.rcvScale] = pcb.wsOk ? rcvScaleFor(pv[TCB.rcvWndMax]) : 0;
  pv[TCB.sndScale] = 0;
  pcb.tsOk = cfg.TCP_TIMESTAMPS;
  pv[TCB.tsOffset] = pcb.tsOk ? tsOffset : 0;
  pv[TCB.tsFirst] = tsNow(pcb, now);
  pv[TCB.tsRecent] = 0;
  pv[TCB.tsRecentAt] = now;
  pcb.sackOk = cfg.TCP_SACK;
}

/**
 * The peer's SYN (or SYN-ACK) arrived: keep each option only if it carried it too. Window scale
 * needs both SYNs (RFC 7323 §2.2); without it our window is at most 65535. Timestamps likewise
 * (§3.2), and TS.Recent starts from its TSval. SACK-permitted likewise (RFC 2018 §2).
 */
export function takeSynOptions(pcb: Tcb, h: TcpSegInfo, now: number): void {
  const pv = pcb.v;
  if (pcb.wsOk && h.optWscale >= 0) {
    pv[TCB.sndScale] = h.optWscale;
  } else {
    pcb.wsOk = false;
    pv[TCB.sndScale] = 0;
    pv[TCB.rcvScale] = 0;
    if (pv[TCB.rcvWndMax] > WND_FIELD_MAX) pv[TCB.rcvWndMax] = WND_FIELD_MAX;
    if (pv[TCB.rcvWnd] > WND_FIELD_MAX) pv[TCB.rcvWnd] = WND_FIELD_MAX;
  }
  if (pcb.tsOk && h.optTsPresent) {
    pv[TCB.tsRecent] = h.optTsVal;
    pv[TCB.tsRecentAt] = now;
  } else {
    pcb.tsOk = false;
  }
  pcb.sackOk = pcb.sackOk && h.optSackPermitted;
}

/**
 * PAWS (RFC 7323 §5.3 R1): a segment whose TSval is older than TS.Recent is an old duplicate and
 * is not acceptable. TS.Recent that has not been updated for 24 days is invalid (§5.5) and is
 * replaced instead. The caller exempts RSTs and segments without timestamps.
 */
export function pawsReject(pcb: Tcb, h: TcpSegInfo, now: number): boolean {
  const pv = pcb.v;
  if (!seqLt(h.optTsVal, pv[TCB.tsRecent])) return false;
  if (now - pv[TCB.tsRecentAt] > PAWS_IDLE_MS) {
    pv[TCB.tsRecent] = h.optTsVal;
    pv[TCB.tsRecentAt] = now;
    return false;
  }
  return true;
}

/**
 * TS.Recent update (RFC 7323 §4.3 (2), §5.3 R3): an acceptable segment with SEG.TSval >= TS.Recent
 * and SEG.SEQ <= Last.ACK.sent: the timestamp to echo is the one of the earliest segment not yet
 * acknowledged, so that delayed ACKs and holes make the RTT look longer, never shorter.
 */
export function updateTsRecent(pcb: Tcb, h: TcpSegInfo, now: number): void {
  const pv = pcb.v;
  if (seqGeq(h.optTsVal, pv[TCB.tsRecent]) && seqLeq(h.seq, pv[TCB.lastAckSent])) {
    pv[TCB.tsRecent] = h.optTsVal;
    pv[TCB.tsRecentAt] = now;
  }
}

/**
 * The RTT an echoed timestamp measures (RFC 7323 §4), ms, or -1 when the echo cannot be one of
 * ours: later than our clock, or earlier than this connection's first TSval (a replayed or forged
 * echo, never trusted).
 */
export function tsEchoRtt(pcb: Tcb, h: TcpSegInfo, now: number): number {
  const ecr = h.optTsEcr;
  const t = tsNow(pcb, now);
  if (seqGt(ecr, t) || seqLt(ecr, pcb.v[TCB.tsFirst])) return -1;
  return (t - ecr) >>> 0;
}

/** RFC 7323 §4.2: with a sample from every ACK, RFC 6298's gains are divided by the samples
 *  expected per RTT, ceil(FlightSize / (2 x SMSS)) with delayed ACKs, at least 1. */
export function expectedSamples(pcb: Tcb): number {
  const pv = pcb.v;
  const flight = (pv[TCB.sndMax] - pv[TCB.sndUna]) >>> 0;
  const n = Math.ceil(flight / (2 * pv[TCB.mss]));
  return n > 1 ? n : 1;
}

/**
 * Keeps the SACK blocks of `h` that lie within SND.UNA..SND.MAX with left < right (RFC 2018 §3;
 * D-SACK blocks below SND.UNA, RFC 2883, are not used), packed at the front of h.sackBlocks in
 * their order. Returns how many; the caller counts the rest as ignored.
 */
export function validSackBlocks(pcb: Tcb, h: TcpSegInfo): number {
  const b = h.sackBlocks;
  let n = 0;
  for (let k = 0; k < h.sackCount; k++) {
    const l = b[k << 1];
    const r = b[(k << 1) + 1];
    if (seqLt(l, r) && seqGeq(l, pcb.v[TCB.sndUna]) && seqLeq(r, pcb.v[TCB.sndMax])) {
      b[n << 1] = l;
      b[(n << 1) + 1] = r;
      n++;
    }
  }
  return n;
}

/**
 * The SACK blocks to report (RFC 2018 §4): the out-of-order queue's contiguous runs, the one that
 * holds the most recently received segment first, then the others most recent first, at most
 * `max`. Writes (left, right) pairs into `out`; `runs` is scratch room for 3 numbers per queued
 * segment; `sg` is the segment store (tcb.ts SegStore). Returns the number of blocks.
 */
export function sackBlocksToSend(pcb: Tcb, out: Uint32Array, max: number, runs: Uint32Array, sg: SegStore): number {
  const { next, seqno, len, flags, rcvOrder } = sg;
  let nRuns = 0;
  let end = 0;
  for (let s = pcb.ooseq; s !== NO_SEG; s = next[s]) {
    const right = (seqno[s] + len[s] + ((flags[s] & TCP_FIN) !== 0 ? 1 : 0)) >>> 0;
    if (nRuns > 0 && seqno[s] === end) {
      // continues the run: extend it, and keep the latest arrival in it
      runs[(nRuns - 1) * 3 + 1] = right;
      const order = rcvOrder[s];
      if (order > runs[(nRuns - 1) * 3 + 2]) runs[(nRuns - 1) * 3 + 2] = order;
    } else {
      if (nRuns * 3 + 3 > runs.length) break;
      runs[nRuns * 3] = seqno[s];
      runs[nRuns * 3 + 1] = right;
      runs[nRuns * 3 + 2] = rcvOrder[s];
      nRuns++;
    }
    end = right;
  }
  let n = 0;
  while (n < max) {
    // the most recent run not yet taken (taken runs have their order cleared)
    let best = -1;
    for (let i = 0; i < nRuns; i++) {
      if (runs[i * 3 + 2] !== 0 && (best < 0 || runs[i * 3 + 2] > runs[best * 3 + 2])) best = i;
    }
    if (best < 0) break;
    out[n << 1] = runs[best * 3];
    out[(n << 1) + 1] = runs[best * 3 + 1];
    runs[best * 3 + 2] = 0;
    n++;
  }
  return n;
}
