/**
 * DHCP client (RFC 2131 §4.4, options RFC 2132) over the stack's UDP, in lwIP's dhcp.c spirit.
 *
 *   INIT ─DISCOVER→ SELECTING ─OFFER/REQUEST→ REQUESTING ─ACK→ CHECKING (RFC 5227 ARP probes)
 *     → BOUND ─T1→ RENEWING (unicast REQUEST) ─T2→ REBINDING (broadcast) ─expiry→ INIT
 *   a link flap with a lease: INIT-REBOOT → REBOOTING (REQUEST for the previous address) → BOUND
 *   NAK anywhere: the address is dropped, INIT after a hold-off.
 *
 * Retransmissions follow §4.1: 4 s, 8 s ... 64 s, each randomized by ±1 s from the HAL's random
 * source; while RENEWING/REBINDING a REQUEST goes out at half the time left, at least 60 s apart
 * (§4.4.5). One UDP pcb on port 68 is held from dhcp_start to dhcp_stop; each message is written
 * into one pool pbuf, sent and freed, so the steady path (renewals) allocates no object.
 *
 * Hostile input (wrong xid or chaddr, bad format, truncated or overflowing options, floods of
 * offers) is counted in `stats` and dropped; nothing a server sends provokes more than the one
 * message the state machine would send anyway, and NAKs back off (1 s doubling to 64 s).
 */
import type { Stack, StackApp } from '../../api/stack.js';
import type { Err } from '../../core/err.js';
import { ERR_OK, ERR_MEM, ERR_ARG } from '../../core/err.js';
import type { Pbuf } from '../../core/pbuf.js';
import { PBUF_TRANSPORT, pbuf_free } from '../../core/pbuf.js';
import { udp_new, udp_bind, udp_recv, udp_sendto, udp_remove, type UdpPcb } from '../../api/udp_api.js';
import {
  DhcpInfo, dhcpParse, dhcpWriteHeader, dhcpOpt8, dhcpOpt16, dhcpOpt32, dhcpOptBytes, dhcpOptClientId, equal6,
  DHCP_CLIENT_PORT, DHCP_SERVER_PORT, BOOTP_REPLY, DHCPDISCOVER, DHCPOFFER, DHCPREQUEST, DHCPDECLINE, DHCPACK,
  DHCPNAK, DHCPRELEASE, OPT_MSG_TYPE, OPT_REQUESTED_IP, OPT_SERVER_ID, OPT_PARAM_REQ, OPT_MAX_MSG_SIZE,
  OPT_HOSTNAME, OPT_END, OPT_SUBNET_MASK, OPT_ROUTER, OPT_DNS, OPT_LEASE_TIME, OPT_T1, OPT_T2,
} from '../../wire/dhcp.js';

/** States (RFC 2131 figure 5). INIT and INIT-REBOOT are not held: their message goes out at once
 *  and the client is then SELECTING or REBOOTING. */
export const DHCP_OFF = 0;
export const DHCP_SELECTING = 1;
export const DHCP_REQUESTING = 2;
/** ACKed, the address being probed (RFC 5227 §2.1) before use. */
export const DHCP_CHECKING = 3;
export const DHCP_BOUND = 4;
export const DHCP_RENEWING = 5;
export const DHCP_REBINDING = 6;
export const DHCP_REBOOTING = 7;
/** Waiting: after a NAK or a DECLINE, or for the link to come up. */
export const DHCP_BACKING_OFF = 8;
// frozen: Moddable preloads this module, and xsl warns about (and aliases into RAM) unfrozen tables
export const DHCP_STATE_NAMES: readonly string[] = Object.freeze(['OFF', 'SELECTING', 'REQUESTING', 'CHECKING',
  'BOUND', 'RENEWING', 'REBINDING', 'REBOOTING', 'BACKING_OFF']);

/** Status callback events. */
export const DHCP_EVENT_BOUND = 1;
export const DHCP_EVENT_RENEWED = 2;
export const DHCP_EVENT_LOST = 3;
export const DHCP_EVENT_NAK = 4;
export const DHCP_EVENT_DECLINED = 5;
export const DHCP_EVENT_RELEASED = 6;
export const DHCP_EVENT_NAMES: readonly string[] = Object.freeze([
  '', 'bound', 'renewed', 'lost', 'nak', 'declined', 'released']);

export type DhcpStatusFn = (arg: unknown, event: number, client: DhcpClient) => void;

/** RFC 5227 §1.1 constants, ms. */
const PROBE_WAIT = 1000;
const PROBE_NUM = 3;
const PROBE_MIN = 1000;
const PROBE_MAX = 2000;
const ANNOUNCE_WAIT = 2000;
const ANNOUNCE_INTERVAL = 2000;
/** RFC 2131 §3.1 step 5: wait at least 10 s after a DHCPDECLINE. */
const DECLINE_WAIT = 10000;
/** REQUESTs before giving up on an offer (back to INIT) and on a reboot (keep the old lease). */
const REQUEST_TRIES = 4;
const REBOOT_TRIES = 2;
/** §4.4.5: retransmissions while renewing/rebinding no closer than 60 s. */
const RENEW_MIN_MS = 60000;
/** What we send: a BOOTP message padded to 300 bytes (RFC 1542 §2.1 minimum). */
const MSG_LEN = 300;
const NO_TIME = -1;

/** Counters of one client. */
export class DhcpStats {
  xmit = 0;
  recv = 0;
  drop = 0;
  /** Dropped for a transaction id that is not ours. */
  badXid = 0;
  /** Dropped for a client hardware address that is not ours. */
  badChaddr = 0;
  /** Dropped as malformed: short, bad cookie, truncated or overflowing options. */
  malformed = 0;
  /** Well-formed but not expected in the current state (extra offers of a flood, late ACKs). */
  unexpected = 0;
  offers = 0;
  acks = 0;
  naks = 0;
  declines = 0;
  /** ARP conflicts seen while probing an offered address. */
  conflicts = 0;
  memerr = 0;
}

export class DhcpClient implements StackApp {
  readonly appName = 'dhcp';
  readonly stack: Stack;
  readonly stats = new DhcpStats();
  state = DHCP_OFF;
  /** The lease (host-order addresses; times in seconds as granted). */
  ip = 0;
  netmask = 0;
  gateway = 0;
  serverId = 0;
  leaseSecs = 0;
  t1Secs = 0;
  t2Secs = 0;
  /** When the lease started, was last renewed, and its T1/T2/expiry, in HAL ms (NO_TIME = none). */
  leaseStart = NO_TIME;
  t1At = NO_TIME;
  t2At = NO_TIME;
  expireAt = NO_TIME;
  /** Retransmission / probe / back-off deadline. */
  deadline = NO_TIME;
  tries = 0;
  xid = 0;
  private cb: DhcpStatusFn | null = null;
  private cbArg: unknown = null;
  private pcb: UdpPcb | null = null;
  private readonly info = new DhcpInfo();
  /** Offer being requested or probed. */
  private offered = 0;
  private offerMask = 0;
  private offerGw = 0;
  private offerServer = 0;
  private offerLease = 0;
  private offerT1 = 0;
  private offerT2 = 0;
  private readonly offerDns: number[] = [];
  private offerDnsCount = 0;
  private requestSentAt = 0;
  private startedAt = 0;
  private probes = 0;
  private announceAt = NO_TIME;
  private nakHoldoff = 1000;
  /** The hostname as bytes, encoded once per change (not per message). */
  private nameBytes = new Uint8Array(0);
  private nameFor = '';

  constructor(stack: Stack) {
    this.stack = stack;
    for (let i = 0; i < 2; i++) this.offerDns.push(0);
  }

  setCallback(cb: DhcpStatusFn | null, arg: unknown): void {
    this.cb = cb;
    this.cbArg = arg;
  }

  get stateName(): string {
    return DHCP_STATE_NAMES[this.state];
  }

  /** dhcp_start: takes the UDP port and begins (INIT-REBOOT when a lease is still held). */
  start(): Err {
    const e = this.startNow();
    this.stack.core.wake();
    return e;
  }

  private startNow(): Err {
    this.stack.core.now = this.stack.hal.clock.now();
    if (this.pcb === null) {
      const pcb = udp_new(this.stack);
      if (pcb === null) return ERR_MEM;
      const e = udp_bind(pcb, 0, DHCP_CLIENT_PORT);
      if (e !== ERR_OK) { udp_remove(pcb); return e; }
      udp_recv(pcb, dhcpRecv, this);
      this.pcb = pcb;
    }
    this.stack.addApp(this);
    this.nakHoldoff = 1000;
    if (!this.stack.netif.up) { this.wait(NO_TIME); return ERR_OK; }
    if (this.ip !== 0 && this.expireAt !== NO_TIME) this.reboot();
    else this.discover();
    return ERR_OK;
  }

  /** dhcp_stop: gives the port back and drops the address (connections on it are aborted). */
  stop(): Err {
    this.cancelProbe();
    if (this.pcb !== null) { udp_remove(this.pcb); this.pcb = null; }
    this.state = DHCP_OFF;
    this.deadline = NO_TIME;
    this.announceAt = NO_TIME;
    this.dropLease();
    return ERR_OK;
  }

  /** dhcp_release: tells the server (DHCPRELEASE, §4.4.6), then stops. */
  release(): Err {
    const bound = this.state === DHCP_BOUND || this.state === DHCP_RENEWING || this.state === DHCP_REBINDING;
    if (bound && this.pcb !== null) {
      this.xid = this.stack.core.random.nextU32();
      this.send(DHCPRELEASE, this.serverId);
    }
    this.stop();
    this.emit(DHCP_EVENT_RELEASED);
    return ERR_OK;
  }

  /** dhcp_renew: renews now (BOUND → RENEWING). ERR_ARG without a lease. */
  renew(): Err {
    if (this.state !== DHCP_BOUND && this.state !== DHCP_RENEWING && this.state !== DHCP_REBINDING) return ERR_ARG;
    const core = this.stack.core;
    core.now = this.stack.hal.clock.now();
    this.enterRenewing(core.now);
    core.wake();
    return ERR_OK;
  }

  // --- StackApp ---------------------------------------------------------------------------------

  linkChanged(up: boolean): void {
    if (this.state === DHCP_OFF) return;
    if (!up) {
      // keep the address (TCP retransmission rides out a short drop); stop sending until it is back
      this.cancelProbe();
      this.wait(NO_TIME);
      return;
    }
    // RFC 2131 §3.2: back on a link that may be another network, the client verifies its lease
    if (this.ip !== 0 && this.expireAt !== NO_TIME) this.reboot();
    else this.discover();
  }

  addressChanged(_oldIp: number): void { /* our own doing */ }

  nextDeadline(): number {
    if (this.state === DHCP_OFF) return -1;
    let due = this.deadline;
    const s = this.state;
    const cands = s === DHCP_BOUND ? this.t1At : s === DHCP_RENEWING ? this.t2At : NO_TIME;
    if (cands !== NO_TIME && (due === NO_TIME || cands < due)) due = cands;
    if (this.expireAt !== NO_TIME && (due === NO_TIME || this.expireAt < due)) due = this.expireAt;
    if (this.announceAt !== NO_TIME && (due === NO_TIME || this.announceAt < due)) due = this.announceAt;
    return due;
  }

  tick(now: number): void {
    if (this.state === DHCP_OFF) return;
    if (this.expireAt !== NO_TIME && now - this.expireAt >= 0) {
      // §4.4.5: the lease ran out: stop using the address at once, start over
      this.dropLease();
      this.emit(DHCP_EVENT_LOST);
      if (this.stack.netif.up) this.discover(); else this.wait(NO_TIME);
      return;
    }
    if (this.announceAt !== NO_TIME && now - this.announceAt >= 0) {
      // RFC 5227 §2.3: ANNOUNCE_NUM = 2 announcements, ANNOUNCE_INTERVAL apart (setAddress sent the first)
      this.announceAt = NO_TIME;
      this.stack.arp.announce();
    }
    const s = this.state;
    if (s === DHCP_BOUND) {
      if (this.t1At !== NO_TIME && now - this.t1At >= 0) this.enterRenewing(now);
      return;
    }
    if ((s === DHCP_RENEWING) && this.t2At !== NO_TIME && now - this.t2At >= 0) {
      this.state = DHCP_REBINDING;
      this.xid = this.stack.core.random.nextU32();
      this.requestSentAt = now;
      this.sendRequest();
      this.deadline = now + this.halfway(now, this.expireAt);
      return;
    }
    if (this.deadline === NO_TIME || now - this.deadline < 0) return;
    this.timeout(now);
  }

  // --- states -------------------------------------------------------------------------------------

  private timeout(now: number): void {
    switch (this.state) {
      case DHCP_SELECTING:
        this.tries++;
        this.send(DHCPDISCOVER, 0);
        this.deadline = now + this.backoff();
        break;
      case DHCP_REQUESTING:
        if (++this.tries >= REQUEST_TRIES) { this.discover(); break; }
        this.sendRequest();
        this.deadline = now + this.backoff();
        break;
      case DHCP_REBOOTING:
        if (++this.tries >= REBOOT_TRIES) {
          // §3.2 step 2: no answer: keep using the unexpired lease
          this.state = DHCP_BOUND;
          this.deadline = NO_TIME;
          this.stack.arp.announce();
          if (this.t1At !== NO_TIME && now - this.t1At >= 0) this.enterRenewing(now);
          break;
        }
        this.sendRequest();
        this.deadline = now + this.backoff();
        break;
      case DHCP_RENEWING:
        this.sendRequest();
        this.deadline = now + this.halfway(now, this.t2At);
        break;
      case DHCP_REBINDING:
        this.sendRequest();
        this.deadline = now + this.halfway(now, this.expireAt);
        break;
      case DHCP_CHECKING:
        this.probeStep(now);
        break;
      case DHCP_BACKING_OFF:
        this.discover();
        break;
      default:
        this.deadline = NO_TIME;
    }
  }

  /** §4.4.1: a new transaction, DHCPDISCOVER, SELECTING. */
  private discover(): void {
    const core = this.stack.core;
    this.cancelProbe();
    this.state = DHCP_SELECTING;
    this.xid = core.random.nextU32();
    this.tries = 0;
    this.startedAt = core.now;
    this.send(DHCPDISCOVER, 0);
    this.deadline = core.now + this.backoff();
  }

  /** §3.2 / §4.4.2: INIT-REBOOT, a broadcast REQUEST for the address we hold. */
  private reboot(): void {
    const core = this.stack.core;
    this.state = DHCP_REBOOTING;
    this.xid = core.random.nextU32();
    this.tries = 0;
    this.startedAt = core.now;
    this.requestSentAt = core.now;
    this.sendRequest();
    this.deadline = core.now + this.backoff();
  }

  private enterRenewing(now: number): void {
    this.state = DHCP_RENEWING;
    this.xid = this.stack.core.random.nextU32();
    this.startedAt = now;
    this.requestSentAt = now;
    this.sendRequest();
    this.deadline = now + this.halfway(now, this.t2At);
  }

  private wait(until: number): void {
    this.state = DHCP_BACKING_OFF;
    this.deadline = until;
  }

  /** §4.1: 4 s doubling to 64 s, randomized by ±1 s. */
  private backoff(): number {
    let base = 4000;
    for (let i = 0; i < this.tries && base < 64000; i++) base *= 2;
    return base - 1000 + (this.stack.core.random.nextU32() % 2001);
  }

  /** §4.4.5: half the time left until `end`, not below 60 s (nor past `end`). */
  private halfway(now: number, end: number): number {
    if (end === NO_TIME) return RENEW_MIN_MS;
    const left = end - now;
    let d = Math.floor(left / 2);
    if (d < RENEW_MIN_MS) d = RENEW_MIN_MS;
    if (d > left && left > 0) d = left;
    return d > 0 ? d : 1;
  }

  // --- RFC 5227 probing ---------------------------------------------------------------------------

  private startProbe(): void {
    const core = this.stack.core;
    this.state = DHCP_CHECKING;
    this.probes = 0;
    const arp = this.stack.arp;
    arp.watchIp = this.offered;
    arp.onConflict = dhcpConflict;
    arp.conflictArg = this;
    // PROBE_WAIT: a random delay before the first probe
    this.deadline = core.now + (core.random.nextU32() % (PROBE_WAIT + 1));
  }

  private probeStep(now: number): void {
    const arp = this.stack.arp;
    if (this.probes < PROBE_NUM) {
      arp.probe(this.offered);
      this.probes++;
      const rnd = this.stack.core.random.nextU32() % (PROBE_MAX - PROBE_MIN + 1);
      this.deadline = now + (this.probes < PROBE_NUM ? PROBE_MIN + rnd : ANNOUNCE_WAIT);
      return;
    }
    this.cancelProbe();
    this.bind(now);
  }

  private cancelProbe(): void {
    const arp = this.stack.arp;
    if (arp.conflictArg === this) {
      arp.watchIp = 0;
      arp.onConflict = null;
      arp.conflictArg = null;
    }
  }

  /** An ARP frame claims the offered address: DHCPDECLINE (§3.1 step 5) and wait 10 s. */
  conflict(ip: number): void {
    if (this.state !== DHCP_CHECKING || ip !== this.offered) return;
    this.stats.conflicts++;
    this.stats.declines++;
    this.cancelProbe();
    this.send(DHCPDECLINE, this.offerServer);
    this.emit(DHCP_EVENT_DECLINED);
    this.wait(this.stack.core.now + DECLINE_WAIT);
  }

  // --- lease ---------------------------------------------------------------------------------------

  /** Takes the acknowledged offer: addresses, timers, DNS servers; BOUND. */
  private bind(now: number): void {
    const stack = this.stack;
    const old = this.ip;
    const renewed = old === this.offered && old !== 0;
    this.ip = this.offered;
    this.netmask = this.offerMask;
    this.gateway = this.offerGw;
    this.serverId = this.offerServer;
    this.leaseSecs = this.offerLease;
    // RFC 2131 §4.4.5 defaults: T1 = 0.5, T2 = 0.875 of the lease
    const lease = this.offerLease;
    let t1 = this.offerT1;
    let t2 = this.offerT2;
    if (t2 === 0 || t2 >= lease) t2 = Math.floor(lease * 7 / 8);
    if (t1 === 0 || t1 >= t2) t1 = Math.floor(lease / 2);
    this.t1Secs = t1;
    this.t2Secs = t2;
    // §4.4.1: the lease runs from when the REQUEST was sent
    const start = this.requestSentAt;
    this.leaseStart = start;
    if (lease === 0xffffffff) {
      this.t1At = this.t2At = this.expireAt = NO_TIME;
    } else {
      this.t1At = start + t1 * 1000;
      this.t2At = start + t2 * 1000;
      this.expireAt = start + lease * 1000;
    }
    for (let i = 0; i < this.offerDnsCount && i < stack.dnsServers.length; i++) stack.dnsServers[i] = this.offerDns[i];
    this.state = DHCP_BOUND;
    this.deadline = NO_TIME;
    this.nakHoldoff = 1000;
    const nif = stack.netif;
    if (nif.ip !== this.ip || nif.netmask !== this.netmask || nif.gw !== this.gateway) {
      stack.setAddress(this.ip, this.netmask, this.gateway);
      if (!renewed) this.announceAt = now + ANNOUNCE_INTERVAL;
    }
    this.emit(renewed ? DHCP_EVENT_RENEWED : DHCP_EVENT_BOUND);
  }

  private dropLease(): void {
    this.leaseStart = this.t1At = this.t2At = this.expireAt = NO_TIME;
    const had = this.ip;
    this.ip = 0;
    if (had !== 0 && this.stack.netif.ip === had) this.stack.setAddress(0, 0, 0);
  }

  private emit(ev: number): void {
    const cb = this.cb;
    if (cb !== null) cb(this.cbArg, ev, this);
  }

  // --- receive -------------------------------------------------------------------------------------

  /** A datagram on port 68. Owns `p`. */
  input(p: Pbuf, port: number): void {
    const st = this.stats;
    st.recv++;
    const info = this.info;
    const mac = this.stack.netif.mac;
    const r = port !== DHCP_SERVER_PORT || p.next !== null ? -1 : dhcpParse(p.buf, p.off, p.len, info);
    let ok = false;
    if (r < 0 || info.op !== BOOTP_REPLY) st.malformed++;
    else if (info.xid !== this.xid) st.badXid++;
    else if (!equal6(p.buf, info.chaddrOff, mac, 0)) st.badChaddr++;
    else ok = true;
    if (!ok) { st.drop++; pbuf_free(p); return; }
    pbuf_free(p);
    const now = this.stack.core.now;
    const s = this.state;
    const t = info.msgType;
    if (t === DHCPOFFER && s === DHCP_SELECTING) {
      if (!this.takeOffer(info)) { st.malformed++; st.drop++; return; }
      st.offers++;
      this.state = DHCP_REQUESTING;
      this.tries = 0;
      this.requestSentAt = now;
      this.sendRequest();
      this.deadline = now + this.backoff();
      return;
    }
    const requesting = s === DHCP_REQUESTING || s === DHCP_REBOOTING || s === DHCP_RENEWING || s === DHCP_REBINDING;
    if (t === DHCPACK && requesting) {
      if (s === DHCP_REQUESTING && info.serverId !== 0 && info.serverId !== this.offerServer) {
        st.unexpected++; st.drop++; return;
      }
      if (!this.takeOffer(info)) { st.malformed++; st.drop++; return; }
      st.acks++;
      if (this.stack.core.config.DHCP_DOES_ARP_CHECK && this.offered !== this.stack.netif.ip) this.startProbe();
      else this.bind(now);
      return;
    }
    if (t === DHCPNAK && requesting) {
      // §3.1 step 5 / §4.4.4: the address is not ours: drop it and start over, after a hold-off
      // that doubles with every NAK in a row so that a NAK flood cannot make us flood DISCOVERs
      st.naks++;
      const had = this.ip !== 0;
      this.dropLease();
      this.emit(had ? DHCP_EVENT_LOST : DHCP_EVENT_NAK);
      this.wait(now + this.nakHoldoff);
      if (this.nakHoldoff < 64000) this.nakHoldoff *= 2;
      return;
    }
    st.unexpected++;
    st.drop++;
  }

  /** Copies an OFFER/ACK's lease into the offer fields; false when it is unusable. */
  private takeOffer(info: DhcpInfo): boolean {
    const y = info.yiaddr;
    // a host address: not 0, multicast/class E, loopback or broadcast (RFC 1122 §3.2.1.3)
    if (y === 0 || (y >>> 28) >= 0xe || (y >>> 24) === 127 || (y >>> 24) === 0) return false;
    const server = info.serverId !== 0 ? info.serverId : this.offerServer;
    if (server === 0) return false;
    let mask = info.hasSubnetMask ? info.subnetMask : 0;
    const inv = (~mask) >>> 0;
    if (!info.hasSubnetMask || (inv & (inv + 1)) !== 0) {
      // RFC 2132 §3.3 absent (or not contiguous): the class's natural mask
      const top = y >>> 24;
      mask = top < 128 ? 0xff000000 : top < 192 ? 0xffff0000 : 0xffffff00;
    }
    mask >>>= 0;
    this.offered = y;
    this.offerMask = mask;
    this.offerGw = info.router !== 0 && ((info.router ^ y) & mask) === 0 ? info.router : 0;
    this.offerServer = server;
    this.offerLease = info.leaseTime !== 0 ? info.leaseTime : 86400;
    this.offerT1 = info.t1;
    this.offerT2 = info.t2;
    this.offerDnsCount = info.dnsCount;
    for (let i = 0; i < info.dnsCount && i < this.offerDns.length; i++) this.offerDns[i] = info.dns[i];
    return true;
  }

  // --- send ----------------------------------------------------------------------------------------

  /** The REQUEST of the current state (RFC 2131 §4.3.2 table 4 / §4.4.1 table 5). */
  private sendRequest(): void {
    this.send(DHCPREQUEST, 0);
  }

  private send(type: number, server: number): void {
    const pcb = this.pcb;
    if (pcb === null) return;
    const stack = this.stack;
    const core = stack.core;
    const p = core.pbufs.alloc(PBUF_TRANSPORT, MSG_LEN);
    if (p === null) { this.stats.memerr++; return; }
    const b = p.buf;
    const s = this.state;
    const mac = stack.netif.mac;
    // ciaddr: only when the address is ours and in use (BOUND/RENEWING/REBINDING, RELEASE)
    const useCi = type === DHCPRELEASE || (type === DHCPREQUEST && (s === DHCP_RENEWING || s === DHCP_REBINDING));
    const secs = Math.floor((core.now - this.startedAt) / 1000);
    let i = dhcpWriteHeader(b, p.off, this.xid, secs > 0 ? secs : 0, useCi ? this.ip : 0, mac);
    i = dhcpOpt8(b, i, OPT_MSG_TYPE, type);
    i = dhcpOptClientId(b, i, mac);
    if (type === DHCPREQUEST && s === DHCP_REQUESTING) {
      i = dhcpOpt32(b, i, OPT_REQUESTED_IP, this.offered);
      i = dhcpOpt32(b, i, OPT_SERVER_ID, this.offerServer);
    } else if (type === DHCPREQUEST && s === DHCP_REBOOTING) {
      i = dhcpOpt32(b, i, OPT_REQUESTED_IP, this.ip);
    } else if (type === DHCPDECLINE) {
      i = dhcpOpt32(b, i, OPT_REQUESTED_IP, this.offered);
      i = dhcpOpt32(b, i, OPT_SERVER_ID, server);
    } else if (type === DHCPRELEASE) {
      i = dhcpOpt32(b, i, OPT_SERVER_ID, server);
    }
    if (type === DHCPDISCOVER || type === DHCPREQUEST) {
      i = dhcpOpt16(b, i, OPT_MAX_MSG_SIZE, 576);
      i = this.hostnameOpt(b, i);
      b[i++] = OPT_PARAM_REQ; b[i++] = 6;
      b[i++] = OPT_SUBNET_MASK; b[i++] = OPT_ROUTER; b[i++] = OPT_DNS;
      b[i++] = OPT_LEASE_TIME; b[i++] = OPT_T1; b[i++] = OPT_T2;
    }
    b[i++] = OPT_END;
    // RENEWING (and RELEASE) go to the server; everything else is broadcast (§4.4.4)
    // A RELEASE is unicast only when ARP already knows the server: the address is dropped right
    // after it, and with it any packet still waiting for ARP (so it goes broadcast instead).
    const unicast = (type === DHCPREQUEST && s === DHCP_RENEWING)
      || (type === DHCPRELEASE && stack.arp.resolved(this.serverId));
    const dst = unicast ? this.serverId : 0xffffffff;
    if (udp_sendto(pcb, p, dst, DHCP_SERVER_PORT) === ERR_OK) this.stats.xmit++;
    pbuf_free(p);
  }

  private hostnameOpt(b: Uint8Array, i: number): number {
    const name = this.stack.hostname;
    if (name !== this.nameFor) {
      // encoded once per name change (ASCII: the Stack checked it is one DNS label)
      const n = name.length > 63 ? 63 : name.length;
      const bytes = new Uint8Array(n);
      for (let k = 0; k < n; k++) bytes[k] = String.prototype.charCodeAt.call(name, k) & 0x7f;
      this.nameBytes = bytes;
      this.nameFor = name;
    }
    if (this.nameBytes.length === 0) return i;
    return dhcpOptBytes(b, i, OPT_HOSTNAME, this.nameBytes, 0, this.nameBytes.length);
  }
}

/** udp_recv callback (registered once). */
function dhcpRecv(arg: unknown, _pcb: UdpPcb, p: Pbuf, _addr: number, port: number): void {
  (arg as DhcpClient).input(p, port);
}

/** Etharp's conflict callback while probing (registered per probe, a module function). */
function dhcpConflict(arg: unknown, ip: number): void {
  (arg as DhcpClient).conflict(ip);
}
