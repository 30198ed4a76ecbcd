/**
 * One TCP/IP stack on one network interface: creates every layer from the configuration (all pools
 * are allocated here, at start-up), receives frames from the driver, and runs the timers on `tick`.
 *
 *   const stack = new Stack(hal, { ip: '10.0.0.2/24', gateway: '10.0.0.1' });
 *   // the HAL calls stack.receiveFrame(...) for each frame and stack.tick(now) every 10-100 ms
 *
 * Bad configuration (config values, MAC, addresses) throws ConfigError here and nowhere else.
 */
import type { FrameSink, Hal } from '../../hal/hal.js';
import type { StackConfig } from '../core/config.js';
import { resolveConfig, ConfigError } from '../core/config.js';
import { StackCore } from '../core/context.js';
import type { Err } from '../core/err.js';
import { ERR_OK, ERR_VAL } from '../core/err.js';
import type { PoolStats } from '../core/pbuf.js';
import { copyBytes } from '../core/pbuf.js';
import type { StackStats } from '../core/stats.js';
import { ip4Of, ip4Netmask, ip4ToString } from '../core/ip4addr.js';
import { Netif } from '../netif/netif.js';
import { Etharp } from '../netif/etharp.js';
import { Ip4 } from '../ipv4/ip4.js';
import { IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP } from '../wire/ipv4.js';
import { Icmp } from '../icmp/icmp.js';
import type { EchoReplyFn } from '../icmp/icmp.js';
import { Udp } from '../udp/udp.js';
import { TcpLayer } from '../tcp/tcp.js';

export interface StackOptions {
  /** Our IPv4 address, optionally with a prefix length: '192.168.1.20/24'. '0.0.0.0' = unconfigured. */
  ip: string | number;
  /** Netmask as text or a uint32, or a prefix length 0..32. Default: the prefix in `ip`, else /24. */
  netmask?: string | number;
  /** Default gateway (must be on our subnet); none by default: only the subnet is reachable. */
  gateway?: string | number;
  config?: Partial<StackConfig>;
  /** A name for diagnostics. */
  name?: string;
}

/** A pool and its counters, as `Stack.pools()` lists them. */
export interface NamedPool {
  name: string;
  stats: PoolStats;
}

function parseAddr(what: string, v: string | number): number {
  const a = ip4Of(v);
  if (a < 0) throw new ConfigError(what + ' is not an IPv4 address: ' + String(v));
  return a;
}

/** Checks a unicast host address (RFC 1122 §3.2.1.3): not multicast, class E, loopback or broadcast. */
function checkHostAddr(what: string, a: number): void {
  if ((a >>> 28) >= 0xe || (a >>> 24) === 127 || (a >>> 24) === 0 && a !== 0) {
    throw new ConfigError(what + ' ' + ip4ToString(a) + ' is not a unicast host address');
  }
}

export class Stack implements FrameSink {
  readonly name: string;
  readonly hal: Hal;
  readonly core: StackCore;
  readonly netif: Netif;
  readonly arp: Etharp;
  readonly ip: Ip4;
  readonly icmp: Icmp;
  readonly udp: Udp;
  readonly tcp: TcpLayer;

  constructor(hal: Hal, opts: StackOptions) {
    const config = resolveConfig(opts.config);
    this.name = opts.name ?? 'stack';
    this.hal = hal;

    // --- addresses -----------------------------------------------------------------------
    let ipText = opts.ip;
    let prefix = -1;
    if (typeof ipText === 'string') {
      const slash = ipText.indexOf('/');
      if (slash >= 0) {
        const pre = ipText.slice(slash + 1);
        if (!/^[0-9]{1,2}$/.test(pre) || Number(pre) > 32) throw new ConfigError('bad prefix length in ' + ipText);
        prefix = Number(pre);
        ipText = ipText.slice(0, slash);
      }
    }
    const ip = parseAddr('ip', ipText);
    checkHostAddr('ip', ip);
    let mask: number;
    if (opts.netmask !== undefined) {
      const nm = opts.netmask;
      mask = typeof nm === 'number' && nm >= 0 && nm <= 32 ? ip4Netmask(nm) : parseAddr('netmask', nm);
    } else {
      mask = ip4Netmask(prefix >= 0 ? prefix : 24);
    }
    const inv = (~mask) >>> 0;
    if ((inv & (inv + 1)) !== 0) throw new ConfigError('netmask ' + ip4ToString(mask) + ' is not contiguous');
    if (ip !== 0 && inv > 1 && ((ip & inv) === 0 || ((ip & inv) >>> 0) === inv)) {
      // /31 (RFC 3021) and /32 have no network or broadcast address to collide with
      throw new ConfigError('ip ' + ip4ToString(ip) + ' is the network or broadcast address of its subnet');
    }
    let gw = 0;
    if (opts.gateway !== undefined) {
      gw = parseAddr('gateway', opts.gateway);
      if (gw !== 0) {
        checkHostAddr('gateway', gw);
        if (ip === 0 || ((gw ^ ip) & mask) !== 0) throw new ConfigError('gateway ' + ip4ToString(gw) + ' is not on our subnet');
        if (gw === ip) throw new ConfigError('gateway is our own address');
      }
    }

    // --- the link ----------------------------------------------------------------------
    const drv = hal.driver;
    const mac = drv.mac;
    if (mac === undefined || mac === null || mac.length !== 6) throw new ConfigError('driver MAC must have 6 bytes');
    if ((mac[0] & 1) !== 0) throw new ConfigError('driver MAC is a group (multicast) address');
    if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) === 0) throw new ConfigError('driver MAC is all zeros');
    let mtu = config.MTU;
    if (drv.mtu > 0 && drv.mtu < mtu) mtu = drv.mtu;
    if (mtu < 576) throw new ConfigError('driver MTU ' + drv.mtu + ' is below the IPv4 minimum of 576 (RFC 791)');

    // --- the layers, bottom up ---------------------------------------------------------
    this.core = new StackCore(config, hal.random);
    this.core.now = hal.clock.now();
    this.netif = new Netif(this.core, drv, mtu);
    this.netif.ip = ip;
    this.netif.netmask = mask;
    this.netif.gw = gw;
    this.arp = new Etharp(this.core, this.netif);
    this.ip = new Ip4(this.core, this.netif, this.arp);
    this.icmp = new Icmp(this.core, this.ip);
    this.udp = new Udp(this.core, this.ip);
    this.tcp = new TcpLayer(this.core, this.ip);
    this.ip.register(IP_PROTO_ICMP, this.icmp);
    this.ip.register(IP_PROTO_TCP, this.tcp);
    this.ip.register(IP_PROTO_UDP, this.udp);
    drv.attach(this);
  }

  /** All counters. */
  get stats(): StackStats {
    return this.core.stats;
  }

  /** Called for each echo reply received: (source, identifier, sequence, payload length). */
  get onEchoReply(): EchoReplyFn | null {
    return this.icmp.onEchoReply;
  }

  set onEchoReply(fn: EchoReplyFn | null) {
    this.icmp.onEchoReply = fn;
  }

  /**
   * A frame from the driver (FrameSink): copied into a pool pbuf at once, so the driver may reuse
   * `buf` when this returns. Frames shorter than an Ethernet header or longer than a pool buffer
   * are counted (link.lenerr) and dropped; an empty pool counts link.memerr.
   */
  receiveFrame(buf: Uint8Array, off: number, len: number): void {
    const core = this.core;
    core.now = this.hal.clock.now();
    const st = core.stats.link;
    if (len < 14 || len > core.pbufs.bufsize || off < 0 || off + len > buf.length) {
      st.recv++;
      st.lenerr++;
      st.drop++;
      return;
    }
    const p = core.pbufs.allocRx(len);
    if (p === null) {
      st.recv++;
      st.memerr++;
      st.drop++;
      return;
    }
    copyBytes(p.buf, p.off, buf, off, len, core.pbufs.copier);
    this.netif.input(p);
    core.deferred.run();
  }

  /** The driver's link went up or down (FrameSink): a gratuitous ARP announces us on the way up. */
  linkChanged(up: boolean): void {
    this.core.now = this.hal.clock.now();
    this.netif.setLinkUp(up);
  }

  /** Runs every timer that is due: ARP ageing and retries, reassembly timeout, TCP timers. */
  tick(now: number): void {
    this.core.now = now;
    this.arp.tick(now);
    this.ip.tick(now);
    this.tcp.tick(now);
    this.core.deferred.run();
  }

  /**
   * Changes our addresses at run time (DHCP): forgets the ARP cache (RFC 826 entries may belong to
   * the old subnet) and announces the new address. Returns ERR_VAL for an invalid combination.
   */
  setAddress(ip: number, netmask: number, gateway: number): Err {
    ip >>>= 0; netmask >>>= 0; gateway >>>= 0;
    const inv = (~netmask) >>> 0;
    if ((inv & (inv + 1)) !== 0 || (ip >>> 28) >= 0xe) return ERR_VAL;
    if (gateway !== 0 && ((gateway ^ ip) & netmask) !== 0) return ERR_VAL;
    const nif = this.netif;
    nif.ip = ip;
    nif.netmask = netmask;
    nif.gw = gateway;
    this.arp.flush();
    this.arp.announce();
    return ERR_OK;
  }

  /**
   * Sends an ICMP echo request with `payloadLen` bytes; replies reach `onEchoReply`. ERR_RTE with
   * no route, ERR_MEM when the pool is short, ERR_VAL for a bad address or length.
   */
  ping(dst: number | string, id: number, seq: number, payloadLen: number): Err {
    const a = typeof dst === 'number' && (dst >>> 0) === dst ? dst : ip4Of(dst);
    if (a < 0) return ERR_VAL;
    this.core.now = this.hal.clock.now();
    return this.icmp.ping(a, id, seq, payloadLen);
  }

  /** Every pool of this stack with its counters (tests assert all are back to `used` 0). */
  pools(): NamedPool[] {
    const pb = this.core.pbufs;
    const list: NamedPool[] = [
      { name: 'pbuf_pool', stats: pb.pool },
      { name: 'pbuf_ref', stats: pb.refPool },
      { name: this.arp.queuePool.name, stats: this.arp.queuePool.stats },
    ];
    const u = this.udp.pools();
    for (let i = 0; i < u.length; i++) list.push(u[i]);
    const t = this.tcp.pools();
    for (let i = 0; i < t.length; i++) list.push(t[i]);
    return list;
  }
}
