/**
 * ICMP for IPv4 (RFC 792, RFC 1122 §3.2.2): echo replies, destination unreachable and time exceeded
 * messages about datagrams we could not deliver, and echo requests sent by the stack (`ping`).
 *
 * An echo reply is the request turned around in its own pbuf (type 8 → 0, checksum adjusted by
 * RFC 1624, addresses swapped by Ip4.output): no copy, no allocation, whatever its size — a
 * reassembled request is a pbuf chain and is answered the same way (and fragmented again on output
 * when it exceeds the MTU).
 *
 * RFC 1122 §3.2.2: no ICMP error about an ICMP error, a broadcast or multicast destination, a
 * link-layer broadcast, a non-initial fragment, or a source that is not one host. RFC 1122 §3.2.2.6:
 * echo requests to a broadcast address MAY be ignored — we do, and count them (icmp.drop).
 *
 * Errors we send are rate-limited (RFC 1812 §4.3.2.8, RFC 1122 §3.2.2), as Linux limits them: a
 * token bucket per destination (ICMP_RATELIMIT_MS / ICMP_RATELIMIT_BURST over ICMP_RATELIMIT_PEERS
 * slots) and one for all destinations (ICMP_MSGS_PER_SEC / ICMP_MSGS_BURST), so spoofed datagrams
 * to closed ports or fragments that never complete cannot turn the board into a reflector.
 * Fragmentation-needed messages are exempt, as on Linux (path MTU discovery must not stall); we
 * never originate them today. Echo replies are not errors and are not limited.
 *
 * Errors we receive (destination unreachable, time exceeded, parameter problem) go to the transport
 * whose datagram they quote, through IpProtocolHandler.icmpError (RFC 1122 §3.2.2.1, §4.2.3.9):
 * TCP acts on them (src/tcp/tcp.ts icmpError), UDP only matches them to a pcb.
 */
import type { StackCore } from '../core/context.js';
import type { Err } from '../core/err.js';
import { ERR_OK, ERR_MEM, ERR_VAL } from '../core/err.js';
import type { Pbuf } from '../core/pbuf.js';
import { PBUF_IP, pbuf_free, pbuf_add_header, pbuf_remove_header, pbuf_copy_chain, pbuf_try_get_at } from '../core/pbuf.js';
import { chksumFinish } from '../core/checksum.js';
import type { Ip4, Ip4Input, IpProtocolHandler, IcmpErrorSender } from '../ipv4/ip4.js';
import {
  IP_HLEN, IP_PROTO_ICMP, IP_VERSION, IP_OFFMASK, ip4Version, ip4Ihl, ip4Src, ip4Dst, ip4FlagsFrag, ip4Proto,
} from '../wire/ipv4.js';
import type { Ip4Header } from '../wire/ipv4.js';
import {
  ICMP_HLEN, ICMP_ECHO, ICMP_ECHOREPLY, ICMP_DUR, ICMP_DUR_FRAG, ICMP_TE, ICMP_SQ, ICMP_RD, IcmpInfo, icmpParse, icmpIsError,
  icmpWriteEcho, icmpWriteHeader, icmpSetChksum, icmpChecksumOk, icmpFillChecksum,
} from '../wire/icmp.js';
/** Largest echo payload in one IPv4 datagram. */
const ICMP_MAX_ECHO_PAYLOAD = 65535 - IP_HLEN - ICMP_HLEN;

/** `onEchoReply` hook: source, identifier, sequence number, payload length. */
export type EchoReplyFn = (src: number, id: number, seq: number, len: number) => void;

export class Icmp implements IpProtocolHandler, IcmpErrorSender {
  /** Called for every echo reply received (from `ping` or anyone else's request). */
  onEchoReply: EchoReplyFn | null = null;
  /** Errors not sent because a rate limit refused them (RFC 1812 §4.3.2.8). */
  rateLimited = 0;
  private readonly core: StackCore;
  private readonly ip: Ip4;
  /** The header of the message being processed. */
  private readonly info = new IcmpInfo();
  /** Per-destination buckets (a keyed table of core.limits). */
  private readonly perDest: number;
  /** The global bucket, in core.limits. */
  private readonly global: number;

  constructor(core: StackCore, ip: Ip4) {
    this.core = core;
    this.ip = ip;
    const cfg = core.config;
    this.perDest = core.limits.addKeyed(cfg.ICMP_RATELIMIT_PEERS, cfg.ICMP_RATELIMIT_MS, cfg.ICMP_RATELIMIT_BURST);
    this.global = core.limits.addRate(cfg.ICMP_MSGS_PER_SEC, cfg.ICMP_MSGS_BURST, core.now);
  }

  /** Whether the rate limits let one more error go to `dst` now (takes the tokens). */
  private errorRateOk(type: number, code: number, dst: number): boolean {
    if (type === ICMP_DUR && code === ICMP_DUR_FRAG) return true;
    const now = this.core.now;
    const limits = this.core.limits;
    if (limits.takeKeyed(this.perDest, dst, now) && limits.take(this.global, now)) return true;
    this.rateLimited++;
    this.core.stats.icmp.drop++;
    return false;
  }

  /** An ICMP message (payload at the ICMP header). Owns `p`. */
  ipInput(p: Pbuf, ip: Ip4Header): void {
    const st = this.core.stats.icmp;
    st.recv++;
    const b = p.buf;
    const o = p.off;
    const info = this.info;
    if (p.totLen < ICMP_HLEN || icmpParse(b, o, p.len, info) < 0) {
      st.lenerr++;
      st.drop++;
      pbuf_free(p);
      return;
    }
    if (!icmpChecksumOk(p, p.totLen, this.core.chksum)) {
      st.chkerr++;
      st.drop++;
      pbuf_free(p);
      return;
    }
    const type = info.type;
    if (type === ICMP_ECHO) {
      if (this.ip.isBroadcast(ip.dst) || (ip.dst >>> 28) === 0xe || ip.dst !== this.ip.ourAddress) {
        // RFC 1122 §3.2.2.6: a broadcast ping may go unanswered (smurf amplification)
        st.drop++;
        pbuf_free(p);
        return;
      }
      // turn the request around: type 8 → 0; RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), with the
      // first word m = 0x0800 becoming m' = 0x0000 (code is left as it came, normally 0)
      const m = (ICMP_ECHO << 8) | info.code;
      const m2 = (ICMP_ECHOREPLY << 8) | info.code;
      const sum = chksumFinish((~info.chksum & 0xffff) + (~m & 0xffff) + m2);
      b[o] = ICMP_ECHOREPLY;
      icmpSetChksum(b, o, sum);
      const err = this.ip.output(p, ip.dst, ip.src, this.core.config.IP_DEFAULT_TTL, ip.tos, IP_PROTO_ICMP);
      if (err === ERR_OK) st.xmit++;
      else st.err++;
      pbuf_free(p);
      return;
    }
    if (type === ICMP_ECHOREPLY) {
      const cb = this.onEchoReply;
      if (cb !== null) cb(ip.src, info.id, info.seq, p.totLen - ICMP_HLEN);
      pbuf_free(p);
      return;
    }
    if (!icmpIsError(type)) {
      // timestamps, address masks, router adverts: not answered (optional in RFC 1122 §3.2.2.8-9)
      st.proterr++;
    } else {
      this.errorInput(p, ip, type);
    }
    pbuf_free(p);
  }

  /**
   * An ICMP error message (RFC 1122 §3.2.2): handed to the transport it is about (RFC 1122
   * §3.2.2.1, §4.2.3.9) once the quote is shown to be about a datagram of ours — at least the quoted
   * IPv4 header and 8 octets of its transport header (RFC 792), version 4, our address as its
   * source, an initial fragment (only that one carries the transport header). Anything else is
   * counted (icmp.lenerr / icmp.proterr) and dropped (icmp.drop), as are errors no endpoint takes.
   * Nothing is ever sent in answer (RFC 1122 §3.2.2). Keeps `p`.
   */
  private errorInput(p: Pbuf, ip: Ip4Header, type: number): void {
    const st = this.core.stats.icmp;
    // RFC 6633 §3: source quench is ignored; redirects are not followed (one gateway, RFC 1122
    // §3.3.1.2 lets a host ignore them); errors sent to a broadcast cannot be about our datagrams
    if (type === ICMP_SQ || type === ICMP_RD || ip.dst !== this.ip.ourAddress) {
      st.drop++;
      return;
    }
    const b = p.buf;
    const q = p.off + ICMP_HLEN;
    // the quote must sit in the first pbuf (a received frame, unless it came in fragments)
    const avail = p.len - ICMP_HLEN;
    if (avail < IP_HLEN + 8) {
      st.lenerr++;
      st.drop++;
      return;
    }
    const ihl = ip4Ihl(b, q);
    if (ip4Version(b, q) !== IP_VERSION || ihl < IP_HLEN) {
      st.proterr++;
      st.drop++;
      return;
    }
    if (avail < ihl + 8) {
      st.lenerr++;
      st.drop++;
      return;
    }
    const qsrc = ip4Src(b, q);
    const qdst = ip4Dst(b, q);
    if (qsrc !== this.ip.ourAddress || (ip4FlagsFrag(b, q) & IP_OFFMASK) !== 0) {
      st.proterr++;
      st.drop++;
      return;
    }
    const h = this.ip.handlerOf(ip4Proto(b, q));
    if (h === null || h.icmpError === undefined || !h.icmpError(type, this.info.code, qsrc, qdst, b, q + ihl)) {
      st.drop++;
    }
  }

  /** Whether RFC 1122 §3.2.2 lets us send an ICMP error about `p`/`ip`. */
  private errorAllowed(p: Pbuf, ip: Ip4Header, linkBroadcast: boolean): boolean {
    const dst = ip.dst;
    const src = ip.src;
    if (this.ip.isBroadcast(dst) || (dst >>> 28) === 0xe || linkBroadcast) return false;
    if (src === 0 || this.ip.isBroadcast(src) || (src >>> 28) >= 0xe) return false;
    if (ip.fragOff !== 0) return false;
    if (ip.proto === IP_PROTO_ICMP) {
      const t = pbuf_try_get_at(p, 0);
      if (t < 0 || icmpIsError(t)) return false;
    }
    return true;
  }

  /** RFC 792 destination unreachable about `p` (payload at its transport header). Keeps `p`. */
  destUnreach(p: Pbuf, ip: Ip4Input, code: number): void {
    this.sendError(ICMP_DUR, code, p, ip, ip.linkBroadcast);
  }

  /** RFC 792 time exceeded about `p` (payload at its transport header). Keeps `p`. */
  timeExceeded(p: Pbuf, ip: Ip4Header, code: number): void {
    this.sendError(ICMP_TE, code, p, ip, false);
  }

  /** An error message quoting the offending IP header and the first 64 bits of its data (RFC 792). */
  private sendError(type: number, code: number, p: Pbuf, ip: Ip4Header, linkBroadcast: boolean): void {
    const st = this.core.stats.icmp;
    if (!this.errorAllowed(p, ip, linkBroadcast) || !this.errorRateOk(type, code, ip.src)) return;
    const ihl = ip.ihl;
    const data = p.totLen < 8 ? p.totLen : 8;
    const len = ICMP_HLEN + ihl + data;
    if (pbuf_add_header(p, ihl) !== 0) {
      st.err++;
      return;
    }
    const q = this.core.pbufs.alloc(PBUF_IP, len);
    if (q === null) {
      pbuf_remove_header(p, ihl);
      st.memerr++;
      return;
    }
    pbuf_copy_chain(q, ICMP_HLEN, p, 0, ihl + data);
    pbuf_remove_header(p, ihl);
    icmpWriteHeader(q.buf, q.off, type, code, 0);
    icmpFillChecksum(q, len, this.core.chksum);
    const err = this.ip.output(q, 0, ip.src, this.core.config.IP_DEFAULT_TTL, 0, IP_PROTO_ICMP);
    if (err === ERR_OK) st.xmit++;
    else st.err++;
    pbuf_free(q);
  }

  /**
   * Sends an echo request (RFC 792) with `payloadLen` bytes of pattern (byte i = i & 0xff). A
   * payload larger than the MTU allows is sent in fragments. Replies reach `onEchoReply`.
   */
  ping(dst: number, id: number, seq: number, payloadLen: number): Err {
    const st = this.core.stats.icmp;
    if (!(payloadLen >= 0 && payloadLen <= ICMP_MAX_ECHO_PAYLOAD) || (payloadLen | 0) !== payloadLen) return ERR_VAL;
    const p = this.core.pbufs.alloc(PBUF_IP, ICMP_HLEN + payloadLen);
    if (p === null) {
      st.memerr++;
      return ERR_MEM;
    }
    icmpWriteEcho(p.buf, p.off, ICMP_ECHO, id & 0xffff, seq & 0xffff);
    let i = 0;
    let skip = ICMP_HLEN;
    for (let q: Pbuf | null = p; q !== null; q = q.next) {
      const b = q.buf;
      const end = q.off + q.len;
      for (let k = q.off + skip; k < end; k++) b[k] = i++ & 0xff;
      skip = 0;
    }
    icmpFillChecksum(p, p.totLen, this.core.chksum);
    const err = this.ip.output(p, 0, dst, this.core.config.IP_DEFAULT_TTL, 0, IP_PROTO_ICMP);
    if (err === ERR_OK) st.xmit++;
    pbuf_free(p);
    return err;
  }
}

