/**
 * IPv4 (RFC 791) for a host with one interface (RFC 1122 §3.2.1, §3.3): input checks, delivery to
 * the transport protocols, output with routing to the subnet or the default gateway, fragmentation
 * of outgoing datagrams larger than the MTU, and reassembly of incoming fragments.
 *
 * We are a host, not a router: packets for other addresses are dropped (ip.drop), never forwarded,
 * and the TTL of incoming packets is not checked (RFC 1122 §3.2.1.7 leaves that to routers).
 *
 * Reassembly is in reass.ts, fragmentation in frag.ts; packets leave through the interface
 * (Netif.output: ARP and Ethernet).
 *
 * Allocation: the parsed header is one preallocated Ip4Input handed to the protocol handlers; the
 * reassembly table is preallocated from the configuration.
 */
import type { StackCore } from '../core/context.js';
import type { Err } from '../core/err.js';
import { ERR_MEM, ERR_RTE, ERR_VAL, ERR_BUF } from '../core/err.js';
import type { Pbuf } from '../core/pbuf.js';
import { PBUF_LINK, PB_STRIDE, PB_OFF, PB_LEN, PB_TOTLEN, PB_NEXT, PB_FLAGS, PBUF_FLAG_CSUM_OK, pbuf_free, pbuf_remove_header, pbuf_realloc, pbuf_push_header, pbuf_pop_header } from '../core/pbuf.js';
import {
  IP_HLEN, IP_PROTO_UDP, Ip4Header, ip4Parse, ip4Write, ip4SetLenId, IP4_ERR_CHKSUM, IP4_ERR_VERSION, IP_FLAG_DF, IP_FLAG_MF,
} from '../wire/ipv4.js';
import { ICMP_DUR_PROTO } from '../wire/icmp.js';
import { ETH_HLEN } from '../wire/ethernet.js';
import type { Netif, Ip4InputSink } from '../link/netif.js';
import { Reassembly, IP_MAX_LEN } from './reass.js';
import { ip4Fragment } from './frag.js';

/** The parsed header of the packet being delivered, and what the link said about its frame. */
export class Ip4Input extends Ip4Header {
  /** The frame went to a link-layer broadcast or multicast address (RFC 1122 §3.2.2: no ICMP error
   *  may answer it). */
  linkBroadcast = false;
}

/** A transport protocol registered with `Ip4.register`. */
export interface IpProtocolHandler {
  /**
   * `p`'s payload starts at the transport header and p.totLen is the transport length (link padding
   * trimmed); the IP header is still in the bytes in front of it. The handler OWNS `p` and must
   * pbuf_free it. `ip` is one header object reused for every packet: copy what you keep.
   */
  ipInput(p: Pbuf, ip: Ip4Input): void;
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
  destUnreach(p: Pbuf, ip: Ip4Input, code: number): void;
  /** Time exceeded (RFC 792 type 11), e.g. code 1 when reassembly times out. Same rules. */
  timeExceeded(p: Pbuf, ip: Ip4Header, code: number): void;
}


export class Ip4 implements Ip4InputSink {
  readonly netif: Netif;
  readonly reass: Reassembly;
  private icmpErrors: IcmpErrorSender | null = null;
  private readonly core: StackCore;
  /** Handlers by protocol number, as long as the highest one registered (1 ICMP, 6 TCP, 17 UDP):
   *  not 256 entries, since each array entry is 16 bytes of XS chunk memory. Beyond its end an
   *  index reads undefined, which `ipInput` treats as no handler. */
  private readonly handlers: (IpProtocolHandler | null)[] = [];
  /** The header of the packet being processed, shared with the handlers. */
  private readonly hdr = new Ip4Input();
  private nextId: number;

  constructor(core: StackCore, netif: Netif) {
    this.core = core;
    this.netif = netif;
    this.reass = new Reassembly(core);
    // RFC 6864 §4.1 asks only that IDs not repeat too soon per (src, dst, proto); a counter with a
    // random start is what lwIP and most stacks use.
    this.nextId = core.random.nextU32() & 0xffff;
  }

  /** Our address (0 while unconfigured). */
  get ourAddress(): number {
    return this.netif.ip;
  }

  /** Where IPv4 sends its own ICMP errors (protocol unreachable, reassembly timeout). */
  setIcmpErrors(icmp: IcmpErrorSender): void {
    this.icmpErrors = icmp;
  }

  /** Registers the handler of IP protocol `proto` (1 ICMP, 6 TCP, 17 UDP). */
  register(proto: number, handler: IpProtocolHandler | null): void {
    const p = proto & 0xff;
    while (this.handlers.length <= p) this.handlers.push(null);
    this.handlers[p] = handler;
  }

  /** The handler registered for `proto`, or null (Icmp hands errors to it). */
  handlerOf(proto: number): IpProtocolHandler | null {
    const h = this.handlers[proto & 0xff];
    return h !== undefined ? h : null;
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

  /** Whether a packet to `dst` would leave at once: a route exists and its next hop is resolved
   *  (or needs no resolution). TCP asks it about half-open connections from spoofed sources. */
  nextHopResolved(dst: number): boolean {
    const hop = this.route(dst);
    if (hop < 0) return false;
    if (hop === 0xffffffff || (hop >>> 28) === 0xe || this.netif.isBroadcast(hop)) return true;
    return this.netif.arp.resolved(hop);
  }

  // -------------------------------------------------------------------------------------------
  // Input
  // -------------------------------------------------------------------------------------------

  /** A received packet, payload at the IP header. Owns `p`. */
  ip4Input(p: Pbuf, linkBroadcast: boolean): void {
    const st = this.core.stats.ip;
    st.recv++;
    const h = this.hdr;
    h.linkBroadcast = linkBroadcast;
    // the header must sit in the first pbuf (receive pbufs hold whole frames, in pool memory)
    const pool = this.core.pbufs;
    const pm = pool.meta;
    const pb = p.index * PB_STRIDE;
    const pTot = pm[pb + PB_TOTLEN];
    const r = ip4Parse(pool.mem, pm[pb + PB_OFF], pm[pb + PB_NEXT] < 0 ? pm[pb + PB_LEN] : pTot, h, this.core.chksum, pool.view);
    if (r < 0 || h.ihl > pm[pb + PB_LEN]) {
      if (r === IP4_ERR_CHKSUM) st.chkerr++;
      else if (r === IP4_ERR_VERSION) st.err++;
      else st.lenerr++;
      st.drop++;
      pbuf_free(p);
      return;
    }
    if (h.totLen > pTot) {
      st.lenerr++;
      st.drop++;
      pbuf_free(p);
      return;
    }
    // Ethernet pads short frames to 60 bytes: the IP total length is the truth
    if (h.totLen < pTot) pbuf_realloc(p, h.totLen);

    const nif = this.netif;
    const dst = h.dst;
    const src = h.src;
    // RFC 1122 §3.2.1.3: a source must name one host — not broadcast, multicast, loopback or
    // 0.0.0.0 (we are no DHCP server, the only listener that wants those)
    // (a directed broadcast has every host bit set: only then is isBroadcast asked, once per packet)
    if (src === 0 || src === 0xffffffff || (src >>> 28) >= 0xe || (src >>> 24) === 127
      || (((src | nif.netmask) >>> 0) === 0xffffffff && nif.isBroadcast(src))) {
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
      // a NIC's verdict covers a whole datagram, never a fragment of one
      pm[pb + PB_FLAGS] &= ~PBUF_FLAG_CSUM_OK;
      q = this.reass.add(p, h);
      if (q === null) return;
    }
    const ihl = h.ihl;
    if (q === p) {
      // pbuf_remove_header written out: the header lies in p's first pbuf (checked above)
      pm[pb + PB_OFF] += ihl;
      pm[pb + PB_LEN] -= ihl;
      pm[pb + PB_TOTLEN] -= ihl;
    } else {
      pbuf_remove_header(q, ihl);
    }
    const handler = this.handlers[h.proto] as IpProtocolHandler | null | undefined;
    // truthiness covers both null (unregistered) and undefined (past the table's end)
    if (handler) {
      handler.ipInput(q, h);
      return;
    }
    // RFC 1122 §3.2.2.1: protocol unreachable (not for broadcasts: icmpErrors checks)
    st.proterr++;
    st.drop++;
    if (this.icmpErrors !== null) this.icmpErrors.destUnreach(q, h, ICMP_DUR_PROTO);
    pbuf_free(q);
  }

  /** When `tick` next has work: the oldest incomplete datagram's timeout, ms (-1: none waiting). */
  nextDeadline(): number {
    return this.reass.nextDeadline();
  }

  /** Reassembly timeout (IP_REASS_MAXAGE, RFC 1122 §3.3.2). */
  tick(now: number): void {
    this.reass.tick(now, this.icmpErrors);
  }

  /** Datagrams being reassembled now (tests, diagnostics). */
  get reassemblyCount(): number {
    return this.reass.count;
  }

  // -------------------------------------------------------------------------------------------
  // Output
  // -------------------------------------------------------------------------------------------

  /**
   * A frame header template (TCP's, src/tcp/template.ts) for datagrams from `src` to `dst` of
   * protocol `proto` with TTL `ttl`, TOS 0 and DF clear: the link layer writes the Ethernet header
   * at `buf[off..]`, and the IPv4 header follows with total length and identification 0 and the
   * checksum of that header (JavaScript sums: a template is built once, whatever the HAL's checksum).
   * Returns the ARP entry the frames go through, for sendTemplated, or -1 when datagrams to `dst`
   * cannot go out that way now (not from our address, no route, next hop unresolved, broadcast or
   * multicast): those take output(). The template holds while `netif.arp.epoch` is unchanged.
   */
  writeTemplate(buf: Uint8Array, off: number, src: number, dst: number, proto: number, ttl: number): number {
    const nif = this.netif;
    if (src !== nif.ip || src === 0) return -1;
    const hop = this.route(dst);
    if (hop < 0) return -1;
    const i = nif.arp.templateFor(hop, buf, off);
    if (i < 0) return -1;
    ip4Write(buf, off + ETH_HLEN, 0, 0, 0, 0, ttl, proto, src, dst, null);
    return i;
  }

  /**
   * Sends frame `p` whose first `ETH_HLEN + IP_HLEN` bytes, at `o` in pool memory, are a writeTemplate
   * header still valid: fills in the total length `ipLen` and the next identification, the checksum
   * updated without summing the header (ip4SetLenId, RFC 1624). Does not take `p`.
   */
  sendTemplated(p: Pbuf, o: number, ipLen: number, arpIndex: number): Err {
    this.core.stats.ip.xmit++;
    const id = this.nextId;
    this.nextId = (id + 1) & 0xffff;
    ip4SetLenId(this.core.pbufs.mem, o + ETH_HLEN, ipLen, id);
    return this.netif.arp.sendResolved(p, arpIndex);
  }

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
    const pool = this.core.pbufs;
    const totLen = pool.meta[p.index * PB_STRIDE + PB_TOTLEN] + IP_HLEN;
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
      return ip4Fragment(this.core, nif, p, src, dst, ttl, tos, proto, id, nextHop);
    }
    // a header pbuf, when one is needed, may use the receive reserve: the segment behind it (an
    // ACK, a retransmission) has already been admitted
    const h = pbuf_push_header(pool, p, IP_HLEN, PBUF_LINK, true);
    if (h === null) {
      st.memerr++;
      return ERR_MEM;
    }
    // h is a pool pbuf: p itself when it had headroom, else a header pbuf
    ip4Write(pool.mem, pool.meta[h.index * PB_STRIDE + PB_OFF], tos, totLen, id, df ? IP_FLAG_DF : 0, ttl, proto, src, dst, this.core.chksum);
    const err = this.netif.output(h, nextHop);
    pbuf_pop_header(p, h, IP_HLEN);
    return err;
  }
}
