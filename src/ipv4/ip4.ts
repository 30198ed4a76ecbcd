/**
 * IPv4 (RFC 791) for a host with one interface (RFC 1122 §3.2.1, §3.3): input checks, delivery to
 * the transport protocols, output with routing to the subnet or the default gateway, fragmentation
 * of outgoing datagrams larger than the MTU, and reassembly of incoming fragments.
 *
 * We are a host, not a router: packets for other addresses are dropped (ip.drop), never forwarded,
 * and the TTL of incoming packets is not checked (RFC 1122 §3.2.1.7 leaves that to routers).
 *
 * Allocation: the parsed header is one preallocated Ip4Header handed to the protocol handlers; the
 * reassembly table is preallocated from the configuration; fragments are kept in their receive
 * pbufs and chained, not copied.
 */
import type { StackCore } from '../core/context.js';
import type { Err } from '../core/err.js';
import { ERR_OK, ERR_MEM, ERR_RTE, ERR_VAL, ERR_BUF } from '../core/err.js';
import type { Pbuf } from '../core/pbuf.js';
import {
  PBUF_IP, PBUF_LINK, PBUF_REF, pbuf_free, pbuf_add_header, pbuf_remove_header, pbuf_realloc, pbuf_cat,
  pbuf_clen, pbuf_copy_chain,
} from '../core/pbuf.js';
import {
  IP_HLEN, IP_PROTO_UDP, Ip4Header, ip4Parse, ip4Write,
  IP4_ERR_CHKSUM, IP4_ERR_VERSION, IP_FLAG_DF, IP_FLAG_MF, ip4FillChecksum,
} from '../wire/ipv4.js';
import { ICMP_DUR_PROTO, ICMP_TE_FRAG } from '../wire/icmp.js';
import type { Netif, Ip4InputSink } from '../netif/netif.js';
import type { Etharp } from '../netif/etharp.js';

/** A transport protocol registered with `Ip4.register`. */
export interface IpProtocolHandler {
  /**
   * `p`'s payload starts at the transport header and p.totLen is the transport length (link padding
   * trimmed); the IP header is still in the bytes in front of it. The handler OWNS `p` and must
   * pbuf_free it. `ip` is one header object reused for every packet: copy what you keep.
   */
  ipInput(p: Pbuf, ip: Ip4Header): void;
  /**
   * An ICMP error (RFC 1122 §3.2.2: destination unreachable, time exceeded, parameter problem)
   * about a datagram we sent with this protocol, already checked by Icmp: the quoted IP header is
   * version 4, complete, from our address, of an initial fragment. `buf[off..off+8)` are the first
   * 8 octets of the quoted transport header (more may follow; only 8 are guaranteed). Valid only
   * during the call (the bytes belong to a pbuf freed afterwards). Returns true when the error
   * matched an endpoint and was accepted, false when it was ignored (Icmp counts it as a drop).
   */
  icmpError?(type: number, code: number, quotedSrc: number, quotedDst: number, buf: Uint8Array, off: number): boolean;
}

/** ICMP's error messages as IPv4 and the transports need them (implemented by Icmp). */
export interface IcmpErrorSender {
  /**
   * Destination unreachable (RFC 792) about the datagram `p`/`ip`: `p`'s payload starts at the
   * transport header with the IP header in front of it, as handlers receive it. Nothing is sent
   * for broadcasts, multicasts, non-initial fragments or ICMP errors (RFC 1122 §3.2.2). Does not
   * take ownership of `p`.
   */
  destUnreach(p: Pbuf, ip: Ip4Header, code: number): void;
  /** Time exceeded (RFC 792 type 11), e.g. code 1 when reassembly times out. Same rules. */
  timeExceeded(p: Pbuf, ip: Ip4Header, code: number): void;
}


/** Largest IPv4 datagram (RFC 791 total length field). */
const IP_MAX_LEN = 65535;

/** One datagram being reassembled: its fragments in order of offset, no two overlapping. */
class ReassDatagram {
  used = false;
  src = 0;
  dst = 0;
  id = 0;
  proto = 0;
  /** When the first fragment arrived (RFC 791: the timer starts with the first fragment). */
  start = 0;
  /** Data length, known once the last fragment (MF = 0) arrived; -1 before. */
  total = -1;
  /** Header length of the fragment at offset 0; 0 until it arrived. */
  hlen0 = 0;
  count = 0;
  /** Pool pbufs held (a fragment may be a chain). */
  pbufs = 0;
  readonly frags: (Pbuf | null)[] = [];
  readonly fStart: Int32Array;
  readonly fEnd: Int32Array;

  constructor(cap: number) {
    for (let i = 0; i < cap; i++) this.frags.push(null);
    this.fStart = new Int32Array(cap);
    this.fEnd = new Int32Array(cap);
  }
}

export class Ip4 implements Ip4InputSink {
  readonly netif: Netif;
  readonly arp: Etharp;
  /** Set by Icmp's constructor. */
  icmpErrors: IcmpErrorSender | null = null;
  private readonly core: StackCore;
  private readonly handlers: (IpProtocolHandler | null)[] = [];
  /** The header of the packet being processed, shared with the handlers. */
  private readonly hdr = new Ip4Header();
  /** A second header object for the reassembly timer (never the one a handler may be holding). */
  private readonly timerHdr = new Ip4Header();
  private nextId: number;
  private readonly reass: ReassDatagram[] = [];
  /** Pool pbufs held by reassembly in all. */
  private reassPbufs = 0;

  constructor(core: StackCore, netif: Netif, arp: Etharp) {
    this.core = core;
    this.netif = netif;
    this.arp = arp;
    for (let i = 0; i < 256; i++) this.handlers.push(null);
    // RFC 6864 §4.1 asks only that IDs not repeat too soon per (src, dst, proto); a counter with a
    // random start is what lwIP and most stacks use.
    this.nextId = core.random.nextU32() & 0xffff;
    const cfg = core.config;
    for (let i = 0; i < cfg.IP_REASS_MAX_DATAGRAMS; i++) this.reass.push(new ReassDatagram(cfg.IP_REASS_MAX_PBUFS));
    netif.ip4 = this;
  }

  /** Our address (0 while unconfigured). */
  get ourAddress(): number {
    return this.netif.ip;
  }

  /** Registers the handler of IP protocol `proto` (1 ICMP, 6 TCP, 17 UDP). */
  register(proto: number, handler: IpProtocolHandler | null): void {
    this.handlers[proto & 0xff] = handler;
  }

  /** The handler registered for `proto`, or null (Icmp hands errors to it). */
  handlerOf(proto: number): IpProtocolHandler | null {
    return this.handlers[proto & 0xff];
  }

  /** Limited or subnet-directed broadcast. */
  isBroadcast(addr: number): boolean {
    return this.netif.isBroadcast(addr);
  }

  /**
   * The next hop for `dst`: `dst` itself on our subnet (and for broadcasts and multicasts), the
   * default gateway beyond it, -1 when there is no route (no gateway, link down, no address, or our
   * own address: there is no loopback interface, and ARP for ourselves would only time out).
   */
  route(dst: number): number {
    const nif = this.netif;
    if (!nif.up) return -1;
    if (dst === 0xffffffff || (dst >>> 28) === 0xe) return dst;
    if (nif.ip === 0 || dst === 0 || dst === nif.ip) return -1;
    if (((dst ^ nif.ip) & nif.netmask) === 0) return dst;
    return nif.gw !== 0 ? nif.gw : -1;
  }

  // -------------------------------------------------------------------------------------------
  // Input
  // -------------------------------------------------------------------------------------------

  /** A received packet, payload at the IP header. Owns `p`. */
  ip4Input(p: Pbuf): void {
    const st = this.core.stats.ip;
    st.recv++;
    const h = this.hdr;
    // the header must sit in the first pbuf (receive pbufs hold whole frames)
    const r = ip4Parse(p.buf, p.off, p.next === null ? p.len : p.totLen, h, p.buf16);
    if (r < 0 || h.ihl > p.len) {
      if (r === IP4_ERR_CHKSUM) st.chkerr++;
      else if (r === IP4_ERR_VERSION) st.err++;
      else st.lenerr++;
      st.drop++;
      pbuf_free(p);
      return;
    }
    if (h.totLen > p.totLen) {
      st.lenerr++;
      st.drop++;
      pbuf_free(p);
      return;
    }
    // Ethernet pads short frames to 60 bytes: the IP total length is the truth
    if (h.totLen < p.totLen) pbuf_realloc(p, h.totLen);

    const nif = this.netif;
    const dst = h.dst;
    const src = h.src;
    // RFC 1122 §3.2.1.3: a source must name one host — not broadcast, multicast, loopback or
    // 0.0.0.0 (we are no DHCP server, the only listener that wants those)
    if (src === 0 || src === 0xffffffff || (src >>> 28) >= 0xe || (src >>> 24) === 127 || nif.isBroadcast(src)) {
      st.err++;
      st.drop++;
      pbuf_free(p);
      return;
    }
    // RFC 1122 §3.3.6: ours, limited broadcast, or our subnet's directed broadcast; multicast only
    // to a group joined (RFC 1112 §7.2; used by mDNS, which is UDP). While unconfigured, UDP to anything is let through (a DHCP offer may be unicast
    // to the address being offered).
    if (dst !== nif.ip && !nif.isBroadcast(dst) && !(nif.ip === 0 && h.proto === IP_PROTO_UDP)
      && !(h.proto === IP_PROTO_UDP && nif.inGroup(dst))) {
      st.drop++;
      pbuf_free(p);
      return;
    }
    let q: Pbuf | null = p;
    if ((h.flags & IP_FLAG_MF) !== 0 || h.fragOff !== 0) {
      q = this.reassemble(p, h);
      if (q === null) return;
    }
    const ihl = h.ihl;
    pbuf_remove_header(q, ihl);
    const handler = this.handlers[h.proto];
    if (handler !== null) {
      handler.ipInput(q, h);
      return;
    }
    // RFC 1122 §3.2.2.1: protocol unreachable (not for broadcasts: icmpErrors checks)
    st.proterr++;
    st.drop++;
    if (this.icmpErrors !== null) this.icmpErrors.destUnreach(q, h, ICMP_DUR_PROTO);
    pbuf_free(q);
  }

  // -------------------------------------------------------------------------------------------
  // Reassembly (RFC 791 §3.2, RFC 815): fragments sorted by offset; one that overlaps a fragment
  // already held is dropped (a duplicate, or a retransmission cut differently), which also defeats
  // overlap attacks (RFC 1858). Bounded by IP_REASS_MAX_DATAGRAMS, IP_REASS_MAX_PBUFS and
  // IP_REASS_MAXAGE; datagrams over 65535 bytes are dropped.
  // -------------------------------------------------------------------------------------------

  private reassemble(p: Pbuf, h: Ip4Header): Pbuf | null {
    const st = this.core.stats.ipfrag;
    st.recv++;
    if (!this.core.config.IP_REASSEMBLY) {
      st.drop++;
      this.core.stats.ip.drop++;
      pbuf_free(p);
      return null;
    }
    const ihl = h.ihl;
    const start = h.fragOff;
    const dlen = h.totLen - ihl;
    const end = start + dlen;
    const more = (h.flags & IP_FLAG_MF) !== 0;
    // every fragment but the last carries a multiple of 8 bytes (RFC 791); nothing may reach past
    // 65535 (the "ping of death")
    if (dlen <= 0 || (more && (dlen & 7) !== 0) || end + ihl > IP_MAX_LEN) {
      st.lenerr++;
      st.drop++;
      pbuf_free(p);
      return null;
    }
    let d = this.findDatagram(h);
    if (d === null) {
      d = this.newDatagram(h);
      if (d === null) {
        st.memerr++;
        st.drop++;
        pbuf_free(p);
        return null;
      }
    }
    // consistency with the last fragment
    if ((d.total >= 0 && end > d.total) || (!more && ((d.total >= 0 && end !== d.total)
      || (d.count > 0 && end < d.fEnd[d.count - 1])))) {
      st.lenerr++;
      return this.dropFragment(p, d);
    }
    // where it goes, and whether it overlaps what we hold
    let k = 0;
    while (k < d.count && d.fStart[k] < start) k++;
    if ((k > 0 && d.fEnd[k - 1] > start) || (k < d.count && d.fStart[k] < end)) {
      st.err++;
      return this.dropFragment(p, d);
    }
    // bounded memory: older datagrams give way, this one may not outgrow the limit alone
    const n = pbuf_clen(p);
    const maxPbufs = this.core.config.IP_REASS_MAX_PBUFS;
    while (this.reassPbufs + n > maxPbufs) {
      if (!this.dropOldest(d)) break;
    }
    if (this.reassPbufs + n > maxPbufs || d.count >= d.frags.length) {
      st.memerr++;
      return this.dropFragment(p, d);
    }
    pbuf_remove_header(p, ihl);
    for (let j = d.count; j > k; j--) {
      d.frags[j] = d.frags[j - 1];
      d.fStart[j] = d.fStart[j - 1];
      d.fEnd[j] = d.fEnd[j - 1];
    }
    d.frags[k] = p;
    d.fStart[k] = start;
    d.fEnd[k] = end;
    d.count++;
    d.pbufs += n;
    this.reassPbufs += n;
    if (start === 0) d.hlen0 = ihl;
    if (!more) d.total = end;
    // complete when the pieces run from 0 to the end without a hole
    if (d.total < 0 || d.hlen0 === 0) return null;
    let at = 0;
    for (let j = 0; j < d.count; j++) {
      if (d.fStart[j] !== at) return null;
      at = d.fEnd[j];
    }
    if (at !== d.total) return null;
    return this.finish(d, h);
  }

  /** Drops fragment `p` (counted); a datagram entry it had just opened is released again. */
  private dropFragment(p: Pbuf, d: ReassDatagram): null {
    this.core.stats.ipfrag.drop++;
    pbuf_free(p);
    if (d.count === 0) this.freeDatagram(d, false);
    return null;
  }

  /** Chains the fragments behind the first one's header, rewritten for the whole datagram. */
  private finish(d: ReassDatagram, h: Ip4Header): Pbuf {
    const head = d.frags[0] as Pbuf;
    pbuf_add_header(head, d.hlen0);
    for (let j = 1; j < d.count; j++) pbuf_cat(head, d.frags[j] as Pbuf);
    const tot = d.hlen0 + d.total;
    const b = head.buf;
    const o = head.off;
    b[o + 2] = tot >>> 8;
    b[o + 3] = tot & 0xff;
    b[o + 6] = 0;
    b[o + 7] = 0;
    ip4FillChecksum(b, o, d.hlen0, head.buf16);
    h.ihl = d.hlen0;
    h.totLen = tot;
    h.flags = 0;
    h.fragOff = 0;
    h.tos = b[o + 1];
    h.ttl = b[o + 8];
    h.chksum = (b[o + 10] << 8) | b[o + 11];
    this.reassPbufs -= d.pbufs;
    for (let j = 0; j < d.count; j++) d.frags[j] = null;
    d.count = 0;
    d.pbufs = 0;
    d.used = false;
    return head;
  }

  private findDatagram(h: Ip4Header): ReassDatagram | null {
    const r = this.reass;
    for (let i = 0; i < r.length; i++) {
      const d = r[i];
      if (d.used && d.id === h.id && d.src === h.src && d.dst === h.dst && d.proto === h.proto) return d;
    }
    return null;
  }

  private newDatagram(h: Ip4Header): ReassDatagram | null {
    const r = this.reass;
    let slot: ReassDatagram | null = null;
    for (let i = 0; i < r.length; i++) if (!r[i].used) { slot = r[i]; break; }
    if (slot === null) {
      if (!this.dropOldest(null)) return null;
      for (let i = 0; i < r.length; i++) if (!r[i].used) { slot = r[i]; break; }
      if (slot === null) return null;
    }
    slot.used = true;
    slot.src = h.src;
    slot.dst = h.dst;
    slot.id = h.id;
    slot.proto = h.proto;
    slot.start = this.core.now;
    slot.total = -1;
    slot.hlen0 = 0;
    slot.count = 0;
    slot.pbufs = 0;
    return slot;
  }

  /** Frees the oldest datagram other than `keep`; false when there is none. */
  private dropOldest(keep: ReassDatagram | null): boolean {
    const r = this.reass;
    let oldest: ReassDatagram | null = null;
    for (let i = 0; i < r.length; i++) {
      const d = r[i];
      if (d.used && d !== keep && (oldest === null || d.start < oldest.start)) oldest = d;
    }
    if (oldest === null) return false;
    this.freeDatagram(oldest, true);
    return true;
  }

  /** Releases a datagram's fragments (counted as ipfrag.drop when `dropped`). */
  private freeDatagram(d: ReassDatagram, dropped: boolean): void {
    const st = this.core.stats.ipfrag;
    for (let j = 0; j < d.count; j++) {
      pbuf_free(d.frags[j]);
      d.frags[j] = null;
      if (dropped) st.drop++;
    }
    this.reassPbufs -= d.pbufs;
    d.count = 0;
    d.pbufs = 0;
    d.used = false;
  }

  /** Reassembly timeout (IP_REASS_MAXAGE). */
  tick(now: number): void {
    const r = this.reass;
    const maxAge = this.core.config.IP_REASS_MAXAGE;
    for (let i = 0; i < r.length; i++) {
      const d = r[i];
      if (!d.used || now - d.start < maxAge) continue;
      // RFC 1122 §3.3.2: discard, and tell the source if fragment zero arrived
      if (d.hlen0 !== 0 && this.icmpErrors !== null) {
        const first = d.frags[0] as Pbuf;
        const th = this.timerHdr;
        pbuf_add_header(first, d.hlen0);
        const ok = ip4Parse(first.buf, first.off, first.len, th) === 0;
        pbuf_remove_header(first, d.hlen0);
        if (ok) this.icmpErrors.timeExceeded(first, th, ICMP_TE_FRAG);
      }
      this.freeDatagram(d, true);
    }
  }

  /** Datagrams being reassembled now (tests, diagnostics). */
  get reassemblyCount(): number {
    let n = 0;
    for (let i = 0; i < this.reass.length; i++) if (this.reass[i].used) n++;
    return n;
  }

  // -------------------------------------------------------------------------------------------
  // Output
  // -------------------------------------------------------------------------------------------

  /**
   * Sends transport payload `p` (payload at the transport header) to `dst` as protocol `proto`.
   * `src` 0 means our address. Pushes the IP header (and Etharp the Ethernet one), transmits, and
   * restores p.off/len/totLen before returning; never takes ownership of `p`. A datagram larger
   * than the MTU is fragmented (RFC 791 §3.2) unless `df` is set (then ERR_BUF). We set DF=0 by
   * default: RFC 1122 §3.2.1.4 leaves it to the transport, and TCP's MSS already fits the MTU.
   */
  output(p: Pbuf, src: number, dst: number, ttl: number, tos: number, proto: number, df = false): Err {
    const st = this.core.stats.ip;
    const nif = this.netif;
    const nextHop = this.route(dst);
    if (nextHop < 0) {
      st.rterr++;
      return ERR_RTE;
    }
    if (src === 0) src = nif.ip;
    const totLen = p.totLen + IP_HLEN;
    if (totLen > IP_MAX_LEN) {
      st.lenerr++;
      return ERR_VAL;
    }
    const id = this.nextId;
    this.nextId = (id + 1) & 0xffff;
    st.xmit++;
    if (totLen > nif.mtu) {
      if (df) {
        st.err++;
        return ERR_BUF;
      }
      return this.fragment(p, src, dst, ttl, tos, proto, id, nextHop);
    }
    // the header goes in front of p when there is room, else in a header pbuf chained before it
    let h = p;
    if (p.type === PBUF_REF || pbuf_add_header(p, IP_HLEN) !== 0) {
      const hp = this.core.pbufs.allocControl(PBUF_IP, 0);
      if (hp === null) {
        st.memerr++;
        return ERR_MEM;
      }
      pbuf_add_header(hp, IP_HLEN);
      hp.next = p;
      hp.totLen = IP_HLEN + p.totLen;
      h = hp;
    }
    ip4Write(h.buf, h.off, tos, totLen, id, df ? IP_FLAG_DF : 0, ttl, proto, src, dst, h.buf16);
    const err = this.arp.output(h, nextHop);
    if (h === p) {
      pbuf_remove_header(p, IP_HLEN);
    } else {
      h.next = null;
      h.totLen = h.len;
      pbuf_free(h);
    }
    return err;
  }

  /** Sends `p` as fragments of at most MTU bytes, each copied into a fresh pool pbuf. */
  private fragment(p: Pbuf, src: number, dst: number, ttl: number, tos: number, proto: number, id: number,
    nextHop: number): Err {
    const st = this.core.stats.ipfrag;
    const total = p.totLen;
    const maxData = (this.netif.mtu - IP_HLEN) & ~7;
    let off = 0;
    let err: Err = ERR_OK;
    while (off < total) {
      let n = total - off;
      const last = n <= maxData;
      if (!last) n = maxData;
      const f = this.core.pbufs.alloc(PBUF_LINK, IP_HLEN + n);
      if (f === null) {
        st.memerr++;
        st.drop++;
        return ERR_MEM;
      }
      pbuf_copy_chain(f, IP_HLEN, p, off, n);
      ip4Write(f.buf, f.off, tos, IP_HLEN + n, id, (last ? 0 : IP_FLAG_MF) | (off >>> 3), ttl, proto, src, dst, f.buf16);
      const e = this.arp.output(f, nextHop);
      pbuf_free(f);
      if (e !== ERR_OK) err = e;
      st.xmit++;
      off += n;
    }
    return err;
  }
}
