/**
 * UDP (RFC 768) with lwIP's raw-API shape: a fixed pool of pcbs (MEMP_NUM_UDP_PCB), bind/connect,
 * send with the checksum always generated (RFC 1122 §4.1.3.4), receive with the checksum verified
 * when present, and ICMP port unreachable for unicast datagrams nobody listens to (RFC 1122
 * §4.1.3.1). The lwIP-named functions (udp_new, udp_bind, ...) are in src/api/udp_api.ts.
 *
 * Handles: `UdpPcb` is what the application holds. The pool's slot behind it is reused after
 * udp_remove; the handle's generation check (src/core/handle.ts) makes a handle whose slot has been
 * freed answer every call with ERR_CLSD, so a stale handle never reaches another user's pcb.
 */
import { Arena } from '../core/arena.js';
import { allocatePort, firstPort, type PortUser } from '../core/ports.js';
import { Handle, retire } from '../core/handle.js';
import type { StackCore } from '../core/context.js';
import type { Err } from '../core/err.js';
import { ERR_OK, ERR_MEM, ERR_VAL, ERR_USE, ERR_CLSD, ERR_RTE, ERR_CONN } from '../core/err.js';
import type { Pbuf } from '../core/pbuf.js';
import { PBUF_IP, PBUF_FLAG_CSUM_OK, pbuf_free, pbuf_remove_header, pbuf_realloc, pbuf_push_header, pbuf_pop_header } from '../core/pbuf.js';
import { Memp } from '../core/memp.js';
import type { Pooled } from '../core/memp.js';
import type { PoolStats } from '../core/pbuf.js';
import type { Ip4, Ip4Input, IpProtocolHandler, IcmpErrorSender } from '../ipv4/ip4.js';
import { IP_HLEN, IP_PROTO_UDP } from '../wire/ipv4.js';
import { ICMP_DUR_PORT } from '../wire/icmp.js';
import { UDP_HLEN, UdpInfo, udpParse, udpWrite, udpChecksum, udpSetChksum, udpSrcPort, udpDstPort } from '../wire/udp.js';


/**
 * Receive callback (lwIP udp_recv_fn): `p` is the datagram's payload, owned by the callback (it
 * must pbuf_free it); `addr`/`port` are the sender's.
 */
export type UdpRecvFn = (arg: unknown, pcb: UdpPcb, p: Pbuf, addr: number, port: number) => void;

/** The pool object behind a UdpPcb handle. */
/** UdpSlot layout: its numeric fields live in one Float64Array per UDP pool, UDP_SLOT_FIELDS
 *  entries each, behind getters: each property of an XS object is a heap slot, an array entry is
 *  8 bytes of chunk memory, and a slot is read a few times per datagram. */
const US_GEN = 0;
const US_ACTIVE = 1;
const US_LOCAL_IP = 2;
const US_LOCAL_PORT = 3;
const US_REMOTE_IP = 4;
const US_REMOTE_PORT = 5;
const US_CONNECTED = 6;
const US_TTL = 7;
const US_TOS = 8;
/** Float64 entries per UdpSlot in its pool's array. */
export const UDP_SLOT_FIELDS = 9;

export class UdpSlot implements Pooled {
  mempIndex = -1;
  recv: UdpRecvFn | null = null;
  arg: unknown = null;
  handle: UdpPcb | null = null;

  /** The numeric fields below of every slot of the pool (UDP_SLOT_FIELDS entries per slot, from
   *  mempIndex * UDP_SLOT_FIELDS): a property of the prototype the pool's slots share (udpSlots),
   *  not of each slot, which saves XS two heap slots per UdpSlot (the array and its offset). */
  declare protected readonly cold: Float64Array;

  // --- numeric fields, kept in `cold` (a UDP datagram reads a few: one multiply each) ---
  /** Moved on (retire) when the slot is freed: handles of earlier users no longer match. */
  get gen(): number { return this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_GEN]; }
  set gen(v: number) { this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_GEN] = v; }
  get active(): boolean { return this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_ACTIVE] !== 0; }
  set active(v: boolean) { this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_ACTIVE] = v ? 1 : 0; }
  get localIp(): number { return this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_LOCAL_IP]; }
  set localIp(v: number) { this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_LOCAL_IP] = v; }
  get localPort(): number { return this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_LOCAL_PORT]; }
  set localPort(v: number) { this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_LOCAL_PORT] = v; }
  get remoteIp(): number { return this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_REMOTE_IP]; }
  set remoteIp(v: number) { this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_REMOTE_IP] = v; }
  get remotePort(): number { return this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_REMOTE_PORT]; }
  set remotePort(v: number) { this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_REMOTE_PORT] = v; }
  get connected(): boolean { return this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_CONNECTED] !== 0; }
  set connected(v: boolean) { this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_CONNECTED] = v ? 1 : 0; }
  get ttl(): number { return this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_TTL]; }
  set ttl(v: number) { this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_TTL] = v; }
  get tos(): number { return this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_TOS]; }
  set tos(v: number) { this.cold[this.mempIndex * UDP_SLOT_FIELDS + US_TOS] = v; }
}

/** `n` slots over `cold` (UDP_SLOT_FIELDS entries each), numbered 0..n-1, sharing one prototype
 *  that holds `cold`. Start-up only. */
export function udpSlots(cold: Float64Array, n: number): UdpSlot[] {
  const proto = Object.create(UdpSlot.prototype) as { cold: Float64Array };
  proto.cold = cold;
  const out: UdpSlot[] = [];
  for (let i = 0; i < n; i++) {
    const s = new UdpSlot();
    Object.setPrototypeOf(s, proto);
    s.mempIndex = i;
    cold[i * UDP_SLOT_FIELDS + US_TTL] = 64;
    out.push(s);
  }
  return out;
}


/** The application's handle to one UDP pcb (opaque; lwIP struct udp_pcb *). */
export class UdpPcb extends Handle<UdpSlot> {
  /** @internal */
  readonly udp: Udp;

  /** Issued for `slot`, stale once udp_remove frees it. */
  constructor(udp: Udp, slot: UdpSlot) {
    super();
    this.udp = udp;
    this.issue(slot);
  }
}

export class Udp implements IpProtocolHandler, PortUser {
  readonly pool: Memp<UdpSlot>;
  private readonly slots: UdpSlot[];
  private readonly core: StackCore;
  private readonly ip: Ip4;
  private readonly icmpErrors: IcmpErrorSender;
  private readonly info = new UdpInfo();
  /** PortUser: where the ephemeral port search starts next (ports.ts). @internal */
  nextPort: number;

  constructor(core: StackCore, ip: Ip4, icmpErrors: IcmpErrorSender) {
    this.core = core;
    this.ip = ip;
    this.icmpErrors = icmpErrors;
    const n = core.config.MEMP_NUM_UDP_PCB;
    // the slots' fields and the pool's free stack in one buffer (core/arena.ts)
    const arena = new Arena(Arena.size(n * UDP_SLOT_FIELDS * 8, n * 8));
    const cold = arena.f64(n * UDP_SLOT_FIELDS);
    this.slots = udpSlots(cold, n);
    this.pool = new Memp<UdpSlot>('udp_pcb', n, this.slots, arena.i32(2 * n));
    const cfg = core.config;
    this.nextPort = firstPort(cfg.UDP_LOCAL_PORT_RANGE_START, cfg.UDP_LOCAL_PORT_RANGE_END, core.random);
  }

  pools(): { name: string; stats: PoolStats }[] {
    return [{ name: this.pool.name, stats: this.pool.stats }];
  }

  /** The live slot behind `pcb`, or null for a removed (stale) handle. */
  private slotOf(pcb: UdpPcb | null): UdpSlot | null {
    if (pcb === null || pcb.udp !== this) return null;
    return pcb.resolve();
  }

  /** lwIP udp_new. Null when the pool is empty. */
  newPcb(): UdpPcb | null {
    const s = this.pool.alloc();
    if (s === null) {
      this.core.stats.udp.memerr++;
      return null;
    }
    s.active = true;
    s.localIp = 0;
    s.localPort = 0;
    s.remoteIp = 0;
    s.remotePort = 0;
    s.connected = false;
    s.ttl = this.core.config.IP_DEFAULT_TTL;
    s.tos = 0;
    s.recv = null;
    s.arg = null;
    s.handle = new UdpPcb(this, s);
    return s.handle;
  }

  /** lwIP udp_remove: frees the pcb; the handle goes stale. */
  remove(pcb: UdpPcb): Err {
    const s = this.slotOf(pcb);
    if (s === null) return ERR_CLSD;
    s.active = false;
    s.recv = null;
    s.arg = null;
    s.handle = null;
    retire(s);
    this.pool.release(s);
    return ERR_OK;
  }

  /** PortUser (ports.ts): whether `port` is bound on `ip` or on any address. */
  portTaken(port: number, ip: number): boolean { return this.portInUse(port, ip, null); }

  private portInUse(port: number, ip: number, except: UdpSlot | null): boolean {
    const ss = this.slots;
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i];
      if (s !== except && s.active && s.localPort === port && (s.localIp === 0 || ip === 0 || s.localIp === ip)) return true;
    }
    return false;
  }

  private ephemeralPort(ip: number): number {
    const cfg = this.core.config;
    return allocatePort(this, cfg.UDP_LOCAL_PORT_RANGE_START, cfg.UDP_LOCAL_PORT_RANGE_END, ip);
  }

  /** lwIP udp_bind: local address (0 = any; else must be ours) and port (0 = ephemeral). */
  bind(pcb: UdpPcb, ip: number, port: number): Err {
    const s = this.slotOf(pcb);
    if (s === null) return ERR_CLSD;
    if (!(port >= 0 && port <= 65535) || (port | 0) !== port) return ERR_VAL;
    if (ip !== 0 && ip !== this.ip.ourAddress) return ERR_VAL;
    if (port === 0) {
      port = this.ephemeralPort(ip);
      if (port === 0) return ERR_USE;
    } else if (this.portInUse(port, ip, s)) {
      return ERR_USE;
    }
    s.localIp = ip;
    s.localPort = port;
    return ERR_OK;
  }

  /** lwIP udp_connect: fixes the remote end (filters input, default for send). */
  connect(pcb: UdpPcb, ip: number, port: number): Err {
    const s = this.slotOf(pcb);
    if (s === null) return ERR_CLSD;
    if (!(port > 0 && port <= 65535) || (port | 0) !== port || ip === 0) return ERR_VAL;
    if (s.localPort === 0) {
      const e = this.bind(pcb, s.localIp, 0);
      if (e !== ERR_OK) return e;
    }
    s.remoteIp = ip >>> 0;
    s.remotePort = port;
    s.connected = true;
    return ERR_OK;
  }

  /** lwIP udp_disconnect. */
  disconnect(pcb: UdpPcb): Err {
    const s = this.slotOf(pcb);
    if (s === null) return ERR_CLSD;
    s.remoteIp = 0;
    s.remotePort = 0;
    s.connected = false;
    return ERR_OK;
  }

  /** lwIP udp_set_ttl: the IP TTL of what this pcb sends (1..255). */
  setTtl(pcb: UdpPcb, ttl: number): Err {
    const s = this.slotOf(pcb);
    if (s === null) return ERR_CLSD;
    if (!(ttl >= 1 && ttl <= 255) || (ttl | 0) !== ttl) return ERR_VAL;
    s.ttl = ttl;
    return ERR_OK;
  }

  /** lwIP udp_recv: registers the receive callback and its argument. */
  recv(pcb: UdpPcb, cb: UdpRecvFn | null, arg: unknown): Err {
    const s = this.slotOf(pcb);
    if (s === null) return ERR_CLSD;
    s.recv = cb;
    s.arg = arg;
    return ERR_OK;
  }

  /** lwIP udp_send: to the connected remote. */
  send(pcb: UdpPcb, p: Pbuf): Err {
    const s = this.slotOf(pcb);
    if (s === null) return ERR_CLSD;
    if (!s.connected) return ERR_CONN;
    return this.sendto(pcb, p, s.remoteIp, s.remotePort);
  }

  /**
   * lwIP udp_sendto: sends payload `p` (not taken: the caller frees it, and may reuse it at once).
   * Binds an ephemeral port first if the pcb has none.
   */
  sendto(pcb: UdpPcb, p: Pbuf, dst: number, dstPort: number): Err {
    const s = this.slotOf(pcb);
    if (s === null) return ERR_CLSD;
    const st = this.core.stats.udp;
    if (!(dstPort > 0 && dstPort <= 65535) || (dstPort | 0) !== dstPort) return ERR_VAL;
    const ulen = p.totLen + UDP_HLEN;
    if (ulen + IP_HLEN > 65535) return ERR_VAL;
    if (s.localPort === 0) {
      const e = this.bind(pcb, s.localIp, 0);
      if (e !== ERR_OK) return e;
    }
    const src = s.localIp !== 0 ? s.localIp : this.ip.ourAddress;
    const h = pbuf_push_header(this.core.pbufs, p, UDP_HLEN, PBUF_IP, false);
    if (h === null) {
      st.memerr++;
      return ERR_MEM;
    }
    udpWrite(h.buf, h.off, s.localPort, dstPort, ulen);
    udpSetChksum(h.buf, h.off, udpChecksum(h, src, dst, this.core.chksum));
    const err = this.ip.output(h, src, dst, s.ttl, s.tos, IP_PROTO_UDP);
    pbuf_pop_header(p, h, UDP_HLEN);
    if (err === ERR_OK) st.xmit++;
    else if (err === ERR_RTE) st.rterr++;
    return err;
  }

  /** A received datagram (payload at the UDP header). Owns `p`. */
  ipInput(p: Pbuf, ip: Ip4Input): void {
    const st = this.core.stats.udp;
    st.recv++;
    const info = this.info;
    if (p.len < UDP_HLEN || udpParse(p.buf, p.off, p.totLen, info) < 0 || info.len < UDP_HLEN || info.len > p.totLen) {
      st.lenerr++;
      st.drop++;
      pbuf_free(p);
      return;
    }
    if (info.len < p.totLen) pbuf_realloc(p, info.len);
    // RFC 768: a zero checksum field means the sender computed none; PBUF_FLAG_CSUM_OK: the NIC
    // has verified it (receive checksum offload)
    if (info.chksum !== 0 && (p.flags & PBUF_FLAG_CSUM_OK) === 0 && udpChecksum(p, ip.src, ip.dst, this.core.chksum) !== 0) {
      st.chkerr++;
      st.drop++;
      pbuf_free(p);
      return;
    }
    const dst = ip.dst;
    const src = ip.src;
    const dport = info.dstPort;
    const sport = info.srcPort;
    const bcast = this.ip.isBroadcast(dst) || (dst >>> 28) === 0xe;
    // a connected pcb matching the sender wins over an unconnected one (lwIP udp_input)
    let best: UdpSlot | null = null;
    const ss = this.slots;
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i];
      if (!s.active || s.localPort !== dport) continue;
      if (s.localIp !== 0 && s.localIp !== dst && !bcast) continue;
      if (s.connected) {
        if (s.remoteIp === src && s.remotePort === sport) { best = s; break; }
      } else if (best === null) {
        best = s;
      }
    }
    if (best === null) {
      // RFC 1122 §4.1.3.1: port unreachable (icmpErrors refuses broadcasts itself)
      st.proterr++;
      st.drop++;
      if (!bcast) this.icmpErrors.destUnreach(p, ip, ICMP_DUR_PORT);
      pbuf_free(p);
      return;
    }
    pbuf_remove_header(p, UDP_HLEN);
    const cb = best.recv;
    if (cb === null || best.handle === null) {
      st.drop++;
      pbuf_free(p);
      return;
    }
    cb(best.arg, best.handle, p, src, sport);
  }

  /**
   * An ICMP error about a datagram we sent (RFC 1122 §4.1.3.3: UDP MUST pass ICMP errors up). There
   * is no error callback in this raw API (lwIP has none either): the error is only matched to the pcb
   * that sent it — true when one exists, else Icmp counts a drop. `buf[off..off+8)` is the quoted
   * UDP header.
   */
  icmpError(_type: number, _code: number, quotedSrc: number, quotedDst: number, buf: Uint8Array, off: number): boolean {
    const sport = udpSrcPort(buf, off);
    const dport = udpDstPort(buf, off);
    const ss = this.slots;
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i];
      if (!s.active || s.localPort !== sport || (s.localIp !== 0 && s.localIp !== quotedSrc)) continue;
      if (!s.connected || (s.remoteIp === quotedDst && s.remotePort === dport)) return true;
    }
    return false;
  }

  /** Every pcb in use (diagnostics, netstat). */
  forEachPcb(fn: (localIp: number, localPort: number, remoteIp: number, remotePort: number) => void): void {
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (s.active) fn(s.localIp, s.localPort, s.remoteIp, s.remotePort);
    }
  }
}
