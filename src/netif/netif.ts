/**
 * The one network interface of a stack: its addresses, its link state, and the Ethernet layer
 * between the driver and the protocols (IEEE 802.3 / RFC 894 framing of IPv4, RFC 826 ARP).
 *
 * Receive: `input(p)` takes a whole frame (destination MAC first), filters on the destination MAC,
 * and hands IPv4 to the registered IPv4 input (payload starting at the IP header) and ARP frames to
 * Etharp (payload still starting at the Ethernet header, so that a reply can be written in place).
 * Transmit: `linkOutput(p)` gives a complete frame to the driver; it writes no header itself — the
 * Ethernet header is pushed by Etharp.output, which knows the destination MAC.
 */
import type { NetDriver } from '../../hal/hal.js';
import type { StackCore } from '../core/context.js';
import type { Err } from '../core/err.js';
import { ERR_OK, ERR_IF, ERR_VAL, ERR_MEM } from '../core/err.js';
import type { Pbuf } from '../core/pbuf.js';
import { pbuf_free, pbuf_remove_header, copyBytes } from '../core/pbuf.js';
import { ETH_HLEN, ETHTYPE_IPV4, ETHTYPE_ARP, ethType } from '../wire/ethernet.js';
import type { Etharp } from './etharp.js';

/** Where received IPv4 packets go (Ip4 registers itself). */
export interface Ip4InputSink {
  /** `p`'s payload starts at the IP header; the sink owns `p`. */
  ip4Input(p: Pbuf): void;
}

export class Netif {
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
  /** True while the frame being processed arrived as a link-layer broadcast or multicast:
   *  RFC 1122 §3.2.2 forbids ICMP error replies to those. */
  rxLinkBroadcast = false;
  readonly driver: NetDriver;
  /** Set by the Stack once Etharp exists. */
  arp: Etharp | null = null;
  /** Set by Ip4's constructor. */
  ip4: Ip4InputSink | null = null;
  private readonly core: StackCore;
  /** IPv4 multicast groups joined (RFC 1112 level 1: receive only; 0 = free slot). */
  private readonly groups: number[] = [];
  private readonly groupMac = new Uint8Array(6);

  constructor(core: StackCore, driver: NetDriver, mtu: number) {
    this.core = core;
    this.driver = driver;
    this.mac = new Uint8Array(6);
    copyBytes(this.mac, 0, driver.mac, 0, 6);
    this.mtu = mtu;
    this.up = driver.isLinkUp();
    for (let i = 0; i < core.config.IP_MAX_GROUPS; i++) this.groups.push(0);
  }

  /** True when `addr` is a multicast group we joined (IPv4 accepts datagrams sent to it). */
  inGroup(addr: number): boolean {
    const g = this.groups;
    for (let i = 0; i < g.length; i++) if (g[i] === addr && addr !== 0) return true;
    return false;
  }

  /** Joins (RFC 1112 §7.1, receive side) or leaves group `addr`. ERR_VAL for a non-multicast
   *  address, ERR_MEM when IP_MAX_GROUPS are joined. The driver's filter follows when it has one. */
  setGroup(addr: number, join: boolean): Err {
    addr >>>= 0;
    if ((addr >>> 28) !== 0xe) return ERR_VAL;
    const g = this.groups;
    let free = -1;
    for (let i = 0; i < g.length; i++) {
      if (g[i] === addr) {
        if (!join) { g[i] = 0; this.groupFilter(addr, false); }
        return ERR_OK;
      }
      if (g[i] === 0 && free < 0) free = i;
    }
    if (!join) return ERR_OK;
    if (free < 0) return ERR_MEM;
    g[free] = addr;
    this.groupFilter(addr, true);
    return ERR_OK;
  }

  private groupFilter(addr: number, add: boolean): void {
    const d = this.driver;
    if (d.setMulticastFilter === undefined) return;
    const m = this.groupMac;
    m[0] = 0x01; m[1] = 0x00; m[2] = 0x5e;
    m[3] = (addr >>> 16) & 0x7f; m[4] = (addr >>> 8) & 0xff; m[5] = addr & 0xff;
    d.setMulticastFilter(m, add);
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

  /** A received frame, destination MAC first. Owns `p`. */
  input(p: Pbuf): void {
    const st = this.core.stats.link;
    st.recv++;
    if (p.len < ETH_HLEN) {
      st.lenerr++;
      st.drop++;
      pbuf_free(p);
      return;
    }
    const b = p.buf;
    const o = p.off;
    const m = this.mac;
    if ((b[o] & 1) !== 0) {
      // group address: broadcast accepted; multicast too (IPv4 drops what it has not joined)
      this.rxLinkBroadcast = true;
    } else if (b[o] === m[0] && b[o + 1] === m[1] && b[o + 2] === m[2] && b[o + 3] === m[3]
      && b[o + 4] === m[4] && b[o + 5] === m[5]) {
      this.rxLinkBroadcast = false;
    } else {
      // unicast for another station (a hub, or a promiscuous driver): not ours
      st.drop++;
      pbuf_free(p);
      return;
    }
    const type = ethType(b, o);
    if (type === ETHTYPE_IPV4 && this.ip4 !== null) {
      pbuf_remove_header(p, ETH_HLEN);
      this.ip4.ip4Input(p);
    } else if (type === ETHTYPE_ARP && this.arp !== null) {
      this.arp.input(p);
    } else {
      // IPv6, VLAN tags, LLDP...: not spoken here
      st.proterr++;
      st.drop++;
      pbuf_free(p);
    }
    // only meaningful while the frame is being processed (timers must not see a stale value)
    this.rxLinkBroadcast = false;
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
    if (!this.driver.transmit(p, p.totLen)) {
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
    if (up && this.arp !== null) this.arp.announce();
  }
}
