/**
 * The one network interface of a stack: the driver's sink (FrameSink), its addresses and link
 * state, and the Ethernet layer between the driver and the protocols (IEEE 802.3 / RFC 894 framing
 * of IPv4, RFC 826 ARP through the Etharp it owns).
 *
 * Receive: the driver either writes the frame into a pool pbuf itself (`rxReserve()`, then
 * `rxCommit(len)`: the one copy is the driver's) or calls `receiveFrame(buf, off, len)`, which copies
 * it into a pool pbuf. Either way the frame is checked for length (the one place link.lenerr is
 * counted), filtered on the destination MAC, and
 * IPv4 goes to the registered input (payload at the IP header, with whether the frame was a
 * link-layer broadcast) while ARP frames go to Etharp (payload still at the Ethernet header, so a
 * reply can be written in place).
 * Transmit: `output(p, nextHop)` sends an IPv4 packet through ARP resolution (Etharp pushes the
 * Ethernet header); `linkOutput(p)` gives a complete frame to the driver.
 */
import type { Clock, FrameSink, NetDriver } from '../hal.js';
import type { StackCore } from '../core/context.js';
import type { Err } from '../core/err.js';
import { ERR_OK, ERR_IF, ERR_VAL, ERR_MEM } from '../core/err.js';
import type { Pbuf } from '../core/pbuf.js';
import { pbuf_free, pbuf_realloc, copyBytes, PB_STRIDE, PB_OFF, PB_LEN, PB_TOTLEN, PB_NEXT, PB_FLAGS, PBUF_FLAG_CSUM_OK, PBUF_RAW } from '../core/pbuf.js';
import { ETH_HLEN, ETHTYPE_IPV4, ETHTYPE_ARP } from '../wire/ethernet.js';
import { Etharp } from './etharp.js';
import type { ArpNetif } from './etharp.js';

/** The longest frame rxReserveChain takes: an Ethernet header and the largest IPv4 packet (RFC 791
 *  total length, 16 bits). */
const RX_CHAIN_MAX = ETH_HLEN + 65535;

/** Where received IPv4 packets go (the Stack registers Ip4). */
export interface Ip4InputSink {
  /**
   * `p`'s payload starts at the IP header; the sink owns `p`. `linkBroadcast`: the frame was sent
   * to a link-layer broadcast or multicast address (RFC 1122 §3.2.2 forbids ICMP errors about it).
   */
  ip4Input(p: Pbuf, linkBroadcast: boolean): void;
}

/** Who hears of driver bursts (FrameSink.rxBurstBegin / rxBurstEnd; the Stack registers TCP). */
export interface RxBurstSink {
  rxBurstBegin(): void;
  rxBurstEnd(): void;
}

/** Who hears that the link went up or down (the Stack, for its services). An object with a
 *  method rather than a closure: on XS a closure is some seventeen heap slots. */
export interface LinkListener {
  afterLinkChange(up: boolean): void;
}

export class Netif implements FrameSink, ArpNetif {
  /** Our MAC address (6 bytes, copied from the driver at start-up). */
  readonly mac: Uint8Array;
  /** IPv4 address, netmask and default gateway (host-order uint32; 0 = none). */
  ip = 0;
  netmask = 0;
  gw = 0;
  /** Largest IPv4 packet we send (driver MTU, capped by the configured MTU). */
  mtu: number;
  /** Link state (cable plugged, Wi-Fi associated). No frame is sent while it is down. */
  up: boolean;
  readonly driver: NetDriver;
  /** ARP for this interface: resolves next hops on output, answers and learns on input. */
  readonly arp: Etharp;
  private ip4: Ip4InputSink | null = null;
  private readonly core: StackCore;
  private readonly clock: Clock;
  /** IPv4 multicast groups joined (RFC 1112 level 1: receive only), two entries per slot: the
   *  group (0 = free slot), then the joins not yet left — the mDNS responder and any UDP socket may
   *  share a group, and one leaving must not take it from the others (lwIP's igmp_group use
   *  count). One array, not two: each XS array is two heap slots. */
  private readonly groups: number[] = [];
  /** FrameSink.rxMemory: the pool's memory, where rxReserve's offsets point. */
  readonly rxMemory: Uint8Array;
  /** FrameSink.rxCapacity: one pool pbuf (PBUF_POOL_BUFSIZE) holds a whole frame. */
  readonly rxCapacity: number;
  /** The driver completes TCP checksums (NetDriver.txChecksumOffload): TCP output writes only the
   *  pseudo-header sum. Read once from the driver. */
  readonly txChecksumOffload: boolean;
  /** Driver bursts open (rxBurstBegin minus rxBurstEnd; nested when a driver loops frames back
   *  inside transmit). */
  rxBurst = 0;
  /** The pool pbuf rxReserve handed to the driver, until rxCommit. */
  private rxHeld: Pbuf | null = null;
  /** Told of driver bursts (the Stack registers TCP, which defers ACKs to a burst's end). */
  private burstSink: RxBurstSink | null = null;
  /** Told after the link went up or down (the Stack passes it on to its services). */
  linkListener: LinkListener | null = null;

  constructor(core: StackCore, driver: NetDriver, clock: Clock, mtu: number) {
    this.core = core;
    this.driver = driver;
    this.clock = clock;
    this.mac = new Uint8Array(6);
    copyBytes(this.mac, 0, driver.mac, 0, 6);
    this.mtu = mtu;
    this.up = driver.isLinkUp();
    this.arp = new Etharp(core, this);
    this.rxMemory = core.pbufs.mem;
    this.rxCapacity = core.pbufs.bufsize;
    this.txChecksumOffload = driver.txChecksumOffload === true;
    for (let i = 0; i < core.config.IP_MAX_GROUPS; i++) this.groups.push(0, 0);
  }

  /** True when `addr` is a multicast group we joined (IPv4 accepts datagrams sent to it). */
  inGroup(addr: number): boolean {
    const g = this.groups;
    for (let i = 0; i < g.length; i += 2) if (g[i] === addr && addr !== 0) return true;
    return false;
  }

  /** Joins (RFC 1112 §7.1, receive side) or leaves group `addr`. ERR_VAL for a non-multicast
   *  address, ERR_MEM when IP_MAX_GROUPS are joined. Joins are counted: the group is left (and the
   *  driver's filter, when it has one, closed) when every join has been matched by a leave. */
  setGroup(addr: number, join: boolean): Err {
    addr >>>= 0;
    if ((addr >>> 28) !== 0xe) return ERR_VAL;
    const g = this.groups;
    let free = -1;
    for (let i = 0; i < g.length; i += 2) {
      if (g[i] === addr) {
        if (join) g[i + 1]++;
        else if (--g[i + 1] === 0) { g[i] = 0; this.groupFilter(addr, false); }
        return ERR_OK;
      }
      if (g[i] === 0 && free < 0) free = i;
    }
    if (!join) return ERR_OK;
    if (free < 0) return ERR_MEM;
    g[free] = addr;
    g[free + 1] = 1;
    this.groupFilter(addr, true);
    return ERR_OK;
  }

  /** The group's Ethernet address 01:00:5e + the low 23 bits (RFC 1112 §6.4) to the driver's
   *  filter. The 6 bytes are made per call: joins and leaves are API calls, never per packet, and a
   *  kept scratch array would cost the interface five heap slots for its lifetime. */
  private groupFilter(addr: number, add: boolean): void {
    const d = this.driver;
    if (d.setMulticastFilter === undefined) return;
    const m = new Uint8Array(6);
    m[0] = 0x01; m[1] = 0x00; m[2] = 0x5e;
    m[3] = (addr >>> 16) & 0x7f; m[4] = (addr >>> 8) & 0xff; m[5] = addr & 0xff;
    d.setMulticastFilter(m, add);
  }

  /** Registers the IPv4 input (receive direction; the Stack does it once, at start-up). */
  setInput(ip4: Ip4InputSink): void {
    this.ip4 = ip4;
  }

  /** Limited broadcast, or the directed broadcast of our subnet (RFC 1122 §3.2.1.3, §3.3.6). */
  isBroadcast(addr: number): boolean {
    if (addr === 0xffffffff) return true;
    const mask = this.netmask;
    if (mask === 0xffffffff || this.ip === 0) return false;
    return ((addr ^ this.ip) & mask) === 0 && ((addr & ~mask) >>> 0) === ((~mask) >>> 0);
  }

  /** On our subnet, i.e. reachable without the gateway. */
  isOnLink(addr: number): boolean {
    return this.ip !== 0 && ((addr ^ this.ip) & this.netmask) === 0;
  }

  /**
   * A frame from the driver (FrameSink): copied into a pool pbuf at once, so the driver may reuse
   * `buf` when this returns. Frames shorter than an Ethernet header or longer than a pool buffer
   * are counted (link.lenerr) and dropped; an empty pool counts link.memerr.
   */
  receiveFrame(buf: Uint8Array, off: number, len: number): void {
    const core = this.core;
    core.now = this.clock.now();
    const st = core.stats.link;
    st.recv++;
    if (len < ETH_HLEN || len > core.pbufs.bufsize || off < 0 || off + len > buf.length) {
      st.lenerr++;
      st.drop++;
      return;
    }
    const p = core.pbufs.allocRx(len);
    if (p === null) {
      st.memerr++;
      st.drop++;
      return;
    }
    copyBytes(p.buf, p.off, buf, off, len, core.pbufs.copier);
    this.input(p);
    // application callbacks (src/io) run now that the frame has been processed; the size test
    // keeps the common case (nothing queued) to one field read on the per-frame path
    if (core.deferred.size !== 0) core.deferred.run();
  }

  /**
   * FrameSink.rxReserve: takes a pool pbuf (the receive reserve included, as for receiveFrame) for
   * the driver to write the next frame into, and returns the frame's offset in rxMemory. An empty
   * pool is counted here as a received and dropped frame (link.memerr) and answers -1. A reservation
   * still open is returned again rather than leaked.
   */
  rxReserve(): number {
    const held = this.rxHeld;
    const pool = this.core.pbufs;
    if (held !== null) return pool.meta[held.index * PB_STRIDE + PB_OFF];
    const p = pool.allocRxSlot();
    if (p === null) {
      const st = this.core.stats.link;
      st.recv++;
      st.memerr++;
      st.drop++;
      return -1;
    }
    this.rxHeld = p;
    return pool.meta[p.index * PB_STRIDE + PB_OFF];
  }

  /**
   * FrameSink.rxCommit: the driver wrote `len` bytes at the offset rxReserve gave; they are processed
   * as receiveFrame would (same length checks and counters), without a copy. `len` 0 gives the pbuf
   * back uncounted (nothing arrived). A commit with nothing reserved is a driver bug: counted
   * (link.err) and ignored. `checksumOk`: the driver vouches for the TCP/UDP checksum (receive
   * offload); the pbuf carries PBUF_FLAG_CSUM_OK and the transport skips its own check.
   */
  rxCommit(len: number, checksumOk?: boolean): void {
    const p = this.rxHeld;
    const core = this.core;
    if (p === null) {
      core.stats.link.err++;
      return;
    }
    this.rxHeld = null;
    if (len === 0) {
      pbuf_free(p);
      return;
    }
    core.now = this.clock.now();
    const st = core.stats.link;
    st.recv++;
    const pool = core.pbufs;
    if (!(len >= ETH_HLEN && len <= pool.bufsize)) {
      // a frame over a chain from rxReserveChain (tested here, off the one-pbuf path): at most the
      // length reserved, the chain's tail trimmed to it
      if (len > pool.bufsize && len <= pool.meta[p.index * PB_STRIDE + PB_TOTLEN]) {
        pbuf_realloc(p, len);
        if (checksumOk === true) pool.meta[p.index * PB_STRIDE + PB_FLAGS] = PBUF_FLAG_CSUM_OK;
        this.input(p);
        if (core.deferred.size !== 0) core.deferred.run();
        return;
      }
      st.lenerr++;
      st.drop++;
      pbuf_free(p);
      return;
    }
    const m = pool.meta;
    const pb = p.index * PB_STRIDE;
    m[pb + PB_LEN] = len;
    m[pb + PB_TOTLEN] = len;
    if (checksumOk === true) m[pb + PB_FLAGS] = PBUF_FLAG_CSUM_OK;
    this.input(p);
    if (core.deferred.size !== 0) core.deferred.run();
  }

  /**
   * FrameSink.rxReserveChain: pool pbufs for one frame longer than a pbuf (a GRO frame, one TCP
   * segment of up to 64 KB), chained: the first holds the headers and the first payload bytes, the
   * others payload only, each filled to PBUF_POOL_BUFSIZE but the last. Taken as the transmit side
   * takes pbufs, never from the receive reserve (ACKs and RSTs still go out while the chain is
   * held). -1, nothing counted, when the pool cannot spare them: the driver falls back to one pbuf
   * per segment or drops and counts (the pool's own failure counter is not touched either).
   */
  rxReserveChain(len: number): number {
    const held = this.rxHeld;
    if (held !== null) {
      this.rxHeld = null;
      pbuf_free(held);
    }
    const pool = this.core.pbufs;
    const size = pool.bufsize;
    if (!(len > size && len <= RX_CHAIN_MAX) || pool.freeTop - pool.reserve < Math.ceil(len / size)) return -1;
    const p = pool.alloc(PBUF_RAW, len);
    if (p === null) return -1;
    this.rxHeld = p;
    return pool.meta[p.index * PB_STRIDE + PB_OFF];
  }

  /** FrameSink.rxNextOffset: the next pbuf of the chain rxReserveChain reserved (pool pbufs of a
   *  received frame start at their slot, so the slot gives the pbuf). */
  rxNextOffset(off: number): number {
    const pool = this.core.pbufs;
    const i = Math.floor(off / pool.bufsize);
    if (!(off >= 0 && i < pool.count)) return -1;
    const m = pool.meta;
    const n = m[i * PB_STRIDE + PB_NEXT];
    return n < 0 ? -1 : m[n * PB_STRIDE + PB_OFF];
  }

  /** Registers who hears of driver bursts (the Stack does it once, at start-up: TCP). */
  setBurstSink(sink: RxBurstSink): void {
    this.burstSink = sink;
  }

  /** FrameSink.rxBurstBegin: frames from here to rxBurstEnd arrived together. */
  rxBurstBegin(): void {
    this.rxBurst++;
    const b = this.burstSink;
    if (b !== null) b.rxBurstBegin();
  }

  /**
   * FrameSink.rxBurstEnd: what the protocols deferred to the end of the burst goes out (TCP's
   * ACKs, at the outermost end). An end without a begin is a driver bug: counted (link.err) and
   * ignored.
   */
  rxBurstEnd(): void {
    const core = this.core;
    if (this.rxBurst === 0) {
      core.stats.link.err++;
      return;
    }
    this.rxBurst--;
    const b = this.burstSink;
    if (b !== null) b.rxBurstEnd();
    if (core.deferred.size !== 0) core.deferred.run();
  }

  /** The driver's link went up or down (FrameSink): a gratuitous ARP announces us on the way up. */
  linkChanged(up: boolean): void {
    this.core.now = this.clock.now();
    if (up === this.up) return;
    this.setLinkUp(up);
    if (this.linkListener !== null) this.linkListener.afterLinkChange(up);
  }

  /** A received frame of at least ETH_HLEN bytes, destination MAC first. Owns `p`. */
  private input(p: Pbuf): void {
    const st = this.core.stats.link;
    // a received frame is always in one pool pbuf (see pbuf.ts for the metadata layout)
    const b = this.core.pbufs.mem;
    const m = this.core.pbufs.meta;
    const pb = p.index * PB_STRIDE;
    const o = m[pb + PB_OFF];
    const mac = this.mac;
    let linkBroadcast: boolean;
    // the destination tests of ethIsMulticast and ethDstIs, written out: once per received frame
    if ((b[o] & 1) !== 0) {
      // group address: broadcast accepted; multicast too (IPv4 drops what it has not joined)
      linkBroadcast = true;
    } else if (b[o + 5] === mac[5] && b[o + 4] === mac[4] && b[o + 3] === mac[3] && b[o + 2] === mac[2]
      && b[o + 1] === mac[1] && b[o] === mac[0]) {
      linkBroadcast = false;
    } else {
      // unicast for another station (a hub, or a promiscuous driver): not ours
      st.drop++;
      pbuf_free(p);
      return;
    }
    const type = (b[o + 12] << 8) | b[o + 13];
    if (type === ETHTYPE_IPV4 && this.ip4 !== null) {
      // pbuf_remove_header written out: p holds the whole frame (at least ETH_HLEN bytes)
      m[pb + PB_OFF] = o + ETH_HLEN;
      m[pb + PB_LEN] -= ETH_HLEN;
      m[pb + PB_TOTLEN] -= ETH_HLEN;
      this.ip4.ip4Input(p, linkBroadcast);
    } else if (type === ETHTYPE_ARP) {
      this.arp.input(p);
    } else {
      // IPv6, VLAN tags, LLDP...: not spoken here
      st.proterr++;
      st.drop++;
      pbuf_free(p);
    }
  }

  /**
   * Sends IPv4 packet `p` (payload at the IP header) to `nextHop` on this link: Etharp resolves the
   * MAC (queueing a copy while it asks), pushes the Ethernet header and transmits. Never takes
   * ownership of `p`, and restores it before returning.
   */
  output(p: Pbuf, nextHop: number): Err {
    return this.arp.output(p, nextHop);
  }

  /**
   * Hands a complete frame (Ethernet header included) to the driver, which copies it before
   * returning. Does not take ownership of `p`.
   */
  linkOutput(p: Pbuf): Err {
    const st = this.core.stats.link;
    if (!this.up) {
      st.drop++;
      return ERR_IF;
    }
    if (!this.driver.transmit(p, p.pool.meta[p.index * PB_STRIDE + PB_TOTLEN])) {
      st.drop++;
      st.err++;
      return ERR_IF;
    }
    st.xmit++;
    return ERR_OK;
  }

  /**
   * Link came up or went down. On the way up we announce our address with a gratuitous ARP
   * (RFC 5227 §3 "announcement"; RFC 826 merge makes neighbours refresh stale entries for us).
   */
  setLinkUp(up: boolean): void {
    if (up === this.up) return;
    this.up = up;
    // no route while down (Ip4.route): header templates built before are not to be used
    this.arp.newEpoch();
    if (up) this.arp.announce();
  }

  /**
   * New addresses (DHCP, or the application): forgets the ARP cache (RFC 826 entries may belong
   * to the old subnet) and announces the new address. The caller has checked them.
   */
  setAddress(ip: number, netmask: number, gw: number): void {
    this.ip = ip;
    this.netmask = netmask;
    this.gw = gw;
    // header templates hold the old source address and next hop
    this.arp.newEpoch();
    this.arp.flush();
    this.arp.announce();
  }
}
