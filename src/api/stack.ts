/**
 * One TCP/IP stack on one network interface: creates every layer from the configuration (all pools
 * are allocated here, at start-up) and wires them together — the one place where layers meet —
 * and runs the timers on `tick`.
 *
 *   const stack = new Stack(hal, { ip: '10.0.0.2/24', gateway: '10.0.0.1' });
 *   // the driver calls stack.netif.receiveFrame(...) for each frame (it was attached to it here);
 *   // the platform's scheduler calls stack.tick(now) every 10-100 ms
 *
 * Bad configuration (config values, MAC, addresses) throws ConfigError here and nowhere else.
 */
import type { Hal } from '../hal.js';
import type { StackConfig } from '../core/config.js';
import { resolveConfig, ConfigError } from '../core/config.js';
import { StackCore } from '../core/context.js';
import type { Err } from '../core/err.js';
import { ERR_OK, ERR_VAL, ERR_ABRT } from '../core/err.js';
import type { PoolStats } from '../core/pbuf.js';
import type { StackStats } from '../core/stats.js';
import { ip4Of, ip4Netmask, ip4ToString } from '../core/ip4addr.js';
import { Netif, type LinkListener } from '../link/netif.js';
import type { Etharp } from '../link/etharp.js';
import { Ip4 } from '../ipv4/ip4.js';
import { IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP } from '../wire/ipv4.js';
import { Icmp } from '../icmp/icmp.js';
import type { EchoReplyFn } from '../icmp/icmp.js';
import { Udp } from '../udp/udp.js';
import { TcpLayer } from '../tcp/tcp.js';
import type { Tcb } from '../tcp/tcb.js';
import { TCB } from '../tcp/tcb.js';

export interface StackOptions {
  /** Our IPv4 address, optionally with a prefix length: '192.168.1.20/24'. '0.0.0.0' = unconfigured. */
  ip: string | number;
  /** Netmask as text or a uint32, or a prefix length 0..32. Default: the prefix in `ip`, else /24. */
  netmask?: string | number;
  /** Default gateway (must be on our subnet); none by default: only the subnet is reachable. */
  gateway?: string | number;
  config?: Partial<StackConfig>;
  /** Host name (DHCP option 12, the mDNS name before '.local'). Default 'xs-tcp'. */
  hostname?: string;
  /** DNS servers (up to DNS_MAX_SERVERS); DHCP option 6 replaces them. */
  dns?: (string | number)[];
  /** A name for diagnostics. */
  name?: string;
}

/**
 * A service that runs beside the layers (DHCP client, DNS resolver, mDNS responder): the Stack
 * gives it the timer tick, link changes and address changes; it registers once with `addApp`.
 */
export interface StackApp {
  readonly appName: string;
  tick(now: number): void;
  linkChanged(up: boolean): void;
  /** Our address changed from `oldIp` to the interface's current one (0 = none). */
  addressChanged(oldIp: number): void;
  /** When `tick` next has work (HAL ms), -1 for none: Stack.nextDeadline includes it. */
  nextDeadline(): number;
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

/** Why `a` is not a unicast host address (RFC 1122 §3.2.1.3: multicast, class E, loopback, 0.x), or null. */
function hostAddrError(what: string, a: number): string | null {
  if ((a >>> 28) >= 0xe || (a >>> 24) === 127 || (a >>> 24) === 0 && a !== 0) {
    return what + ' ' + ip4ToString(a) + ' is not a unicast host address';
  }
  return null;
}

/**
 * Why an address, netmask and gateway (uint32; ip 0 = unconfigured, gateway 0 = none) cannot be
 * ours, or null when they can. The constructor and setAddress both ask this.
 */
export function addressError(ip: number, mask: number, gw: number): string | null {
  const e = hostAddrError('ip', ip);
  if (e !== null) return e;
  const inv = (~mask) >>> 0;
  if ((inv & (inv + 1)) !== 0) return 'netmask ' + ip4ToString(mask) + ' is not contiguous';
  if (ip !== 0 && inv > 1 && ((ip & inv) === 0 || ((ip & inv) >>> 0) === inv)) {
    // /31 (RFC 3021) and /32 have no network or broadcast address to collide with
    return 'ip ' + ip4ToString(ip) + ' is the network or broadcast address of its subnet';
  }
  if (gw !== 0) {
    const g = hostAddrError('gateway', gw);
    if (g !== null) return g;
    if (ip === 0 || ((gw ^ ip) & mask) !== 0) return 'gateway ' + ip4ToString(gw) + ' is not on our subnet';
    if (gw === ip) return 'gateway is our own address';
  }
  return null;
}

export class Stack implements LinkListener {
  readonly name: string;
  readonly hal: Hal;
  readonly core: StackCore;
  readonly netif: Netif;
  readonly ip: Ip4;
  readonly icmp: Icmp;
  readonly udp: Udp;
  readonly tcp: TcpLayer;
  /** Host name: DHCP option 12 and the mDNS name (RFC 6762 §9 may rename it on a conflict). */
  hostname: string;
  /** DNS servers (host order; 0 = empty slot), DNS_MAX_SERVERS of them. */
  readonly dnsServers: number[] = [];
  private readonly apps: StackApp[] = [];

  constructor(hal: Hal, opts: StackOptions) {
    const config = resolveConfig(opts.config);
    this.name = opts.name ?? 'stack';
    this.hal = hal;
    this.hostname = opts.hostname ?? 'xs-tcp';
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(this.hostname)) {
      throw new ConfigError('hostname must be one DNS label (RFC 1123 §2.1): ' + this.hostname);
    }
    for (let i = 0; i < config.DNS_MAX_SERVERS; i++) {
      const d = opts.dns !== undefined && i < opts.dns.length ? parseAddr('dns', opts.dns[i]) : 0;
      this.dnsServers.push(d);
    }

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
    let mask: number;
    if (opts.netmask !== undefined) {
      const nm = opts.netmask;
      mask = typeof nm === 'number' && nm >= 0 && nm <= 32 ? ip4Netmask(nm) : parseAddr('netmask', nm);
    } else {
      mask = ip4Netmask(prefix >= 0 ? prefix : 24);
    }
    const gw = opts.gateway !== undefined ? parseAddr('gateway', opts.gateway) : 0;
    const bad = addressError(ip, mask, gw);
    if (bad !== null) throw new ConfigError(bad);

    // --- the link ----------------------------------------------------------------------
    const drv = hal.driver;
    const mac = drv.mac;
    if (mac === undefined || mac === null || mac.length !== 6) throw new ConfigError('driver MAC must have 6 bytes');
    if ((mac[0] & 1) !== 0) throw new ConfigError('driver MAC is a group (multicast) address');
    if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) === 0) throw new ConfigError('driver MAC is all zeros');
    let mtu = config.MTU;
    if (drv.mtu > 0 && drv.mtu < mtu) mtu = drv.mtu;
    if (mtu < 576) throw new ConfigError('driver MTU ' + drv.mtu + ' is below the IPv4 minimum of 576 (RFC 791)');

    // --- the layers, bottom up: each gets the layer below it (where it sends) -------------
    const core = new StackCore(config, hal.random, hal);
    core.now = hal.clock.now();
    this.core = core;
    this.netif = new Netif(core, drv, hal.clock, mtu);
    this.netif.ip = ip;
    this.netif.netmask = mask;
    this.netif.gw = gw;
    this.ip = new Ip4(core, this.netif);
    this.icmp = new Icmp(core, this.ip);
    this.udp = new Udp(core, this.ip, this.icmp);
    this.tcp = new TcpLayer(core, this.ip);

    // --- the receive direction, bottom up: who hands what to whom ------------------------
    this.netif.setInput(this.ip);
    this.ip.setIcmpErrors(this.icmp);
    this.ip.register(IP_PROTO_ICMP, this.icmp);
    this.ip.register(IP_PROTO_TCP, this.tcp);
    this.ip.register(IP_PROTO_UDP, this.udp);
    drv.attach(this.netif);
    this.netif.linkListener = this;
    this.netif.setBurstSink(this.tcp);
  }

  /** The interface's ARP (cache, queue): diagnostics and tests. */
  get arp(): Etharp {
    return this.netif.arp;
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
   * Runs every timer that is due: ARP ageing and retries, reassembly timeout, TCP timers. May be
   * called at any time, as often as the HAL likes; returns `nextDeadline()`.
   */
  tick(now: number): number {
    this.core.now = now;
    this.arp.tick(now);
    this.ip.tick(now);
    this.tcp.tick(now);
    for (let i = 0; i < this.apps.length; i++) this.apps[i].tick(now);
    this.core.deferred.run();
    return this.nextDeadline();
  }

  /**
   * The earliest time, ms on the HAL clock, at which `tick` has something to do (smoltcp's
   * poll_at): the minimum over ARP, IPv4 reassembly and TCP; -1 when no timer is armed. A
   * scheduler may sleep until then or until the next frame, whichever comes first. UDP has no
   * timers of its own.
   */
  nextDeadline(): number {
    // application callbacks waiting for the next pass (src/io) are due now
    if (this.core.deferred.pending) return this.core.now;
    let due = this.arp.nextDeadline();
    const ip = this.ip.nextDeadline();
    if (ip !== -1 && (due === -1 || ip < due)) due = ip;
    const tcp = this.tcp.nextDeadline();
    if (tcp !== -1 && (due === -1 || tcp < due)) due = tcp;
    for (let i = 0; i < this.apps.length; i++) {
      const d = this.apps[i].nextDeadline();
      if (d !== -1 && (due === -1 || d < due)) due = d;
    }
    return due;
  }

  /** Registers a service (once per name): it gets ticks, link and address changes from now on. */
  addApp(app: StackApp): void {
    if (this.app(app.appName) === null) this.apps.push(app);
  }

  /** The service registered under `name`, or null. */
  app(name: string): StackApp | null {
    for (let i = 0; i < this.apps.length; i++) if (this.apps[i].appName === name) return this.apps[i];
    return null;
  }

  /** The link went up or down: the services restart what should restart (DHCP INIT-REBOOT, mDNS
   *  announcement); the gratuitous ARP is the interface's own. Drivers call the Netif (FrameSink);
   *  tests and applications may call this. */
  linkChanged(up: boolean): void {
    this.netif.linkChanged(up);
  }

  /** LinkListener (netif.ts): the link went up or down; the services hear it. @internal */
  afterLinkChange(up: boolean): void {
    for (let i = 0; i < this.apps.length; i++) this.apps[i].linkChanged(up);
  }

  /** `fn` runs whenever the application (or a layer) queues work outside a tick, so a scheduler
   *  sleeping until `nextDeadline()` wakes up and looks again; null removes it. */
  setWorkHook(fn: (() => void) | null): void {
    this.core.onWork = fn;
  }

  /**
   * Changes our addresses at run time (DHCP): checked as the constructor checks them (ERR_VAL when
   * they cannot be ours), then the ARP cache is forgotten (RFC 826 entries may belong to the old
   * subnet) and the new address announced.
   */
  setAddress(ip: number, netmask: number, gateway: number): Err {
    ip >>>= 0; netmask >>>= 0; gateway >>>= 0;
    if (addressError(ip, netmask, gateway) !== null) return ERR_VAL;
    const old = this.netif.ip;
    this.netif.setAddress(ip, netmask, gateway);
    if (old !== ip) {
      // RFC 1122 §3.3.1.6 / RFC 2131 §4.4.5: connections cannot outlive the address they use;
      // each one is aborted (tcp_err gets ERR_ABRT) rather than left to time out. No RST: the old
      // address may belong to someone else by now.
      if (old !== 0) this.abortConnectionsOn(old);
      for (let i = 0; i < this.apps.length; i++) this.apps[i].addressChanged(old);
    }
    return ERR_OK;
  }

  /** Aborts (ERR_ABRT, no RST) every TCP connection whose local address is `ip`. */
  private abortConnectionsOn(ip: number): void {
    const victims: Tcb[] = [];
    this.tcp.forEachConn((pcb) => { if (pcb.v[TCB.localIp] === ip) victims.push(pcb); });
    for (let i = 0; i < victims.length; i++) this.tcp.abortPcb(victims[i], ERR_ABRT, false);
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
