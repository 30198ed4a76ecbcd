/**
 * ARP (RFC 826) over Ethernet: the address cache, requests with retries, the queue of packets
 * waiting for an answer, replies to requests for our address, and gratuitous ARP.
 *
 * Cache entries go EMPTY → PENDING (request sent, packets queued) → STABLE (resolved, aged by
 * ARP_MAXAGE). An entry that is still being used shortly before it expires is refreshed with a
 * unicast request first (as lwIP's ETHARP_STATE_STABLE_REBROADCASTING does) so that traffic never
 * stalls on a re-resolution; retries of that refresh are broadcast, in case the peer changed MAC.
 *
 * Packets waiting for resolution are COPIED into fresh pool pbufs: the caller (TCP) keeps its pbuf
 * and may rewrite it for a retransmission before ARP answers. The queue is bounded per entry
 * (ARP_QUEUE_LEN, oldest dropped first) and overall (MEMP_NUM_ARP_QUEUE queue entries).
 *
 * Hostile LAN defences (Linux's neighbour-table behaviour, where RFC 826 leaves room):
 *  - a resolved entry's MAC is locked for ARP_LOCKTIME after it was last confirmed, and even after
 *    that only a gratuitous ARP (RFC 5227 §2.3) or a reply to a request of ours may change it: an
 *    unsolicited reply cannot redirect the gateway's traffic (ARP poisoning), while a host that
 *    really moved to a new NIC announces itself and is followed;
 *  - a full cache gives up pending entries first, then the resolved entry used longest ago, so a
 *    flood of spoofed sources cannot push out the peer the board is talking to;
 *  - new pending entries (each one a broadcast request and queued packets) are rate-limited by a
 *    token bucket (ARP_PENDING_INTERVAL / ARP_PENDING_BURST).
 *
 * Counters: etharp.xmit/recv per ARP frame; etharp.cachehit when the last-used entry matches; a
 * resolution that gives up after ARP_MAX_TRIES counts etharp.rterr once, and each packet dropped with
 * it counts etharp.drop and ip.rterr (the IP packet could not be routed); etharp.err counts address
 * conflicts (another MAC claiming our IP).
 */
import type { StackCore } from '../core/context.js';
import type { Err } from '../core/err.js';
import { ERR_OK, ERR_MEM, ERR_BUF, ERR_RTE } from '../core/err.js';
import type { Pbuf } from '../core/pbuf.js';
import { PBUF_LINK, PBUF_RAW, PB_STRIDE, PB_OFF, PB_LEN, PB_TOTLEN, pbuf_free, pbuf_add_header, pbuf_remove_header, pbuf_realloc, pbuf_copy } from '../core/pbuf.js';
import { Memp } from '../core/memp.js';
import { TokenBucket } from '../core/ratelimit.js';
import { ETH_HLEN, ETHTYPE_ARP, ETHTYPE_IPV4, ethWrite, ethWriteBroadcastDst, ethIsMulticast } from '../wire/ethernet.js';
import { equal6 } from '../wire/bytes.js';
import { ARP_LEN, ARP_REQUEST, ARP_REPLY, ArpInfo, arpParse, arpWrite } from '../wire/arp.js';

/** What ARP needs of its interface (src/link/netif.ts Netif provides it). */
export interface ArpNetif {
  readonly mac: Uint8Array;
  /** Our IPv4 address, 0 while unconfigured. */
  readonly ip: number;
  readonly up: boolean;
  isBroadcast(addr: number): boolean;
  /** Transmits a complete frame; does not take `p`. */
  linkOutput(p: Pbuf): Err;
}

export const ARP_STATE_EMPTY = 0;
export const ARP_STATE_PENDING = 1;
export const ARP_STATE_STABLE = 2;
/** Resolved, and a refresh request is out because the entry is about to expire while in use. */
export const ARP_STATE_STABLE_REFRESHING = 3;

/** An Ethernet + ARP frame (42 bytes; the NIC pads it to 60 on the wire). */
const ARP_FRAME_LEN = ETH_HLEN + ARP_LEN;

/** ArpEntry fields read only while resolving, refreshing or ageing (never per packet sent): kept in
 *  one Float64Array per table, ARP_COLD_FIELDS entries each, behind getters, as the Tcb layout does
 *  (src/tcp/tcb.ts): an XS property is a heap slot, an array entry is 8 bytes of chunk memory. */
const ARP_CONTESTED = 0;
const ARP_LAST_REQUEST = 1;
const ARP_TRIES = 2;
const ARP_QLEN = 3;
/** Float64 entries per ArpEntry in its table's array. */
export const ARP_COLD_FIELDS = 4;

export class ArpEntry {
  state = ARP_STATE_EMPTY;
  ip = 0;
  readonly mac = new Uint8Array(6);
  /** PENDING: when created; STABLE: when last confirmed (read per packet sent: the refresh check). */
  ctime = 0;
  /** When a packet was last sent through this entry (-1: never); decides what a full cache evicts. */
  used = -1;
  qHead: ArpQueueEntry | null = null;
  qTail: ArpQueueEntry | null = null;
  private readonly cold: Float64Array;
  private readonly coldBase: number;

  constructor(cold: Float64Array = new Float64Array(ARP_COLD_FIELDS), index = 0) {
    this.cold = cold;
    this.coldBase = index * ARP_COLD_FIELDS;
  }

  /** Another MAC was claimed for this address within the lock time: ask the old one once it ends. */
  get contested(): boolean { return this.cold[this.coldBase + ARP_CONTESTED] !== 0; }
  set contested(v: boolean) { this.cold[this.coldBase + ARP_CONTESTED] = v ? 1 : 0; }
  /** When the last request for this entry went out. */
  get lastRequest(): number { return this.cold[this.coldBase + ARP_LAST_REQUEST]; }
  set lastRequest(v: number) { this.cold[this.coldBase + ARP_LAST_REQUEST] = v; }
  /** Requests sent in the current resolution (or refresh). */
  get tries(): number { return this.cold[this.coldBase + ARP_TRIES]; }
  set tries(v: number) { this.cold[this.coldBase + ARP_TRIES] = v; }
  /** Packets queued on qHead. */
  get qLen(): number { return this.cold[this.coldBase + ARP_QLEN]; }
  set qLen(v: number) { this.cold[this.coldBase + ARP_QLEN] = v; }
}

/** A packet copy waiting for its address to resolve (lwIP struct etharp_q_entry). */
export class ArpQueueEntry {
  mempIndex = -1;
  p: Pbuf | null = null;
  next: ArpQueueEntry | null = null;
}

export class Etharp {
  readonly entries: ArpEntry[] = [];
  readonly queuePool: Memp<ArpQueueEntry>;
  private readonly core: StackCore;
  private readonly netif: ArpNetif;
  private readonly info = new ArpInfo();
  private readonly zeroMac = new Uint8Array(6);
  /** Index of the entry used last (lwIP etharp_cached_entry): most traffic goes to one peer. */
  private cached = 0;
  /** How long before expiry a used entry is refreshed (lwIP: 30 s of 300 s). */
  private readonly refreshAhead: number;
  private readonly pendingLimit: TokenBucket;
  /** ARP packets whose new MAC for a known address was ignored (lock time, or not a real change). */
  lockRefused = 0;
  /** Resolutions not started because the pending-entry rate limit refused them. */
  pendingLimited = 0;
  /** The IPv4 Ethernet header to entry `hdrFor` (-1: none): frames to the entry used last get it
   *  with one native `set` instead of 14 byte stores. One header, not one per entry: each typed
   *  array is XS heap slots. update() forgets it when it writes that entry's MAC. */
  private readonly hdr = new Uint8Array(ETH_HLEN);
  private hdrFor = -1;
  /** Changes whenever a frame header built from this cache may have gone stale: an entry cleared
   *  (expired, evicted, given up, flushed) or its MAC changed, and (Netif) the address or the link
   *  changed. Header templates (templateFor) are used only while it is the value they were built at. */
  epoch = 0;

  constructor(core: StackCore, netif: ArpNetif) {
    this.core = core;
    this.netif = netif;
    const cfg = core.config;
    const cold = new Float64Array(cfg.ARP_TABLE_SIZE * ARP_COLD_FIELDS);
    for (let i = 0; i < cfg.ARP_TABLE_SIZE; i++) this.entries.push(new ArpEntry(cold, i));
    const h = this.hdr;
    for (let k = 0; k < 6; k++) h[6 + k] = netif.mac[k];
    h[12] = ETHTYPE_IPV4 >>> 8;
    h[13] = ETHTYPE_IPV4 & 0xff;
    this.queuePool = new Memp<ArpQueueEntry>('arp_queue', cfg.MEMP_NUM_ARP_QUEUE, () => new ArpQueueEntry());
    let ahead = Math.floor(cfg.ARP_MAXAGE / 10);
    if (ahead < 2 * cfg.ARP_RETRY_INTERVAL) ahead = 2 * cfg.ARP_RETRY_INTERVAL;
    if (ahead > Math.floor(cfg.ARP_MAXAGE / 2)) ahead = Math.floor(cfg.ARP_MAXAGE / 2);
    this.refreshAhead = ahead;
    this.pendingLimit = new TokenBucket(cfg.ARP_PENDING_INTERVAL, cfg.ARP_PENDING_BURST, core.now);
  }

  /** Index of the live entry for `ip`, or -1. */
  find(ip: number): number {
    const e = this.entries;
    for (let i = 0; i < e.length; i++) if (e[i].state !== ARP_STATE_EMPTY && e[i].ip === ip) return i;
    return -1;
  }

  /** The resolved MAC for `ip` (the cache's own array: copy it), or null. Diagnostics and tests. */
  lookup(ip: number): Uint8Array | null {
    const i = this.find(ip);
    if (i < 0) return null;
    const s = this.entries[i].state;
    return s === ARP_STATE_STABLE || s === ARP_STATE_STABLE_REFRESHING ? this.entries[i].mac : null;
  }

  /** State of the entry for `ip` (ARP_STATE_*), EMPTY when absent. */
  stateOf(ip: number): number {
    const i = this.find(ip);
    return i < 0 ? ARP_STATE_EMPTY : this.entries[i].state;
  }

  /**
   * Sends IPv4 packet `p` (payload at the IP header) to `nextHop`: pushes and fills the Ethernet
   * header, transmits, and restores `p` before returning. While `nextHop` is unresolved, a copy is
   * queued and ERR_OK returned. Never takes ownership of `p`.
   */
  output(p: Pbuf, nextHop: number): Err {
    const st = this.core.stats;
    const ents = this.entries;
    let i = this.cached;
    let e = ents[i];
    // the entry used last first: a resolved entry never holds a broadcast, multicast or zero
    // address, so the tests below are only needed when it does not match (once per frame sent)
    if (e.ip === nextHop && e.state >= ARP_STATE_STABLE && nextHop !== 0) {
      st.etharp.cachehit++;
    } else {
      if (this.netif.isBroadcast(nextHop)) return this.send(p, null, false);
      if ((nextHop >>> 28) === 0xe) return this.sendMulticast(p, nextHop);
      if (nextHop === 0) { st.ip.rterr++; return ERR_RTE; }
      i = this.find(nextHop);
      if (i < 0) return this.query(p, nextHop);
      e = ents[i];
    }
    if (e.state === ARP_STATE_PENDING) return this.enqueue(e, p);
    this.use(e, i);
    if (this.hdrFor !== i) {
      const h = this.hdr;
      const m = e.mac;
      h[0] = m[0]; h[1] = m[1]; h[2] = m[2]; h[3] = m[3]; h[4] = m[4]; h[5] = m[5];
      this.hdrFor = i;
    }
    return this.send(p, e.mac, true);
  }

  /** A packet goes out through resolved entry `e` (index `i`): it becomes the entry used last, and
   *  one in use shortly before it expires is refreshed with a unicast request. */
  private use(e: ArpEntry, i: number): void {
    this.cached = i;
    const now = this.core.now;
    e.used = now;
    if (e.state === ARP_STATE_STABLE && now - e.ctime >= this.core.config.ARP_MAXAGE - this.refreshAhead) {
      // in use and about to expire: ask the peer directly before the entry goes away
      e.state = ARP_STATE_STABLE_REFRESHING;
      e.tries = 1;
      e.lastRequest = now;
      this.sendRequest(e.ip, e.mac);
    }
  }

  /**
   * A header template for IPv4 packets to `nextHop`: writes the Ethernet header (its resolved MAC,
   * ours, type IPv4) at `buf[off..off+14)` and returns the entry's index, for sendResolved; -1 (and
   * nothing written) when `nextHop` is not a resolved unicast address: such packets take output().
   * The template holds while `epoch` keeps its present value.
   */
  templateFor(nextHop: number, buf: Uint8Array, off: number): number {
    if (nextHop === 0 || (nextHop >>> 28) === 0xe || this.netif.isBroadcast(nextHop)) return -1;
    const i = this.find(nextHop);
    if (i < 0 || this.entries[i].state < ARP_STATE_STABLE) return -1;
    const mac = this.netif.mac;
    ethWrite(buf, off, this.entries[i].mac, 0, mac, 0, ETHTYPE_IPV4);
    return i;
  }

  /** Sends frame `p` (payload at the Ethernet header templateFor wrote) through entry `i`, which
   *  the caller's template says is still the one for its next hop (same `epoch`). Does not take `p`. */
  sendResolved(p: Pbuf, i: number): Err {
    this.core.stats.etharp.cachehit++;
    this.use(this.entries[i], i);
    return this.netif.linkOutput(p);
  }

  /** Pushes the Ethernet header (to `dst`, or broadcast when null; `cached`: the header is `hdr`,
   *  built for dst already), transmits, restores p. */
  private send(p: Pbuf, dst: Uint8Array | null, cached: boolean): Err {
    // pbuf_add_header / pbuf_remove_header written out on the pool's metadata (see pbuf.ts): this
    // runs once per frame sent
    const pool = this.core.pbufs;
    const pm = pool.meta;
    const pi = p.index;
    const pb = pi * PB_STRIDE;
    const o = pm[pb + PB_OFF] - ETH_HLEN;
    if (pi >= pool.count || o < pi * pool.bufsize) {
      this.core.stats.link.err++;
      return ERR_BUF;
    }
    pm[pb + PB_OFF] = o;
    pm[pb + PB_LEN] += ETH_HLEN;
    pm[pb + PB_TOTLEN] += ETH_HLEN;
    const mem = pool.mem;
    if (cached) {
      mem.set(this.hdr, o);
    } else {
      const mac = this.netif.mac;
      ethWrite(mem, o, dst === null ? mac : dst, 0, mac, 0, ETHTYPE_IPV4);
      if (dst === null) ethWriteBroadcastDst(mem, o);
    }
    const err = this.netif.linkOutput(p);
    pm[pb + PB_OFF] += ETH_HLEN;
    pm[pb + PB_LEN] -= ETH_HLEN;
    pm[pb + PB_TOTLEN] -= ETH_HLEN;
    return err;
  }

  /** IPv4 multicast to its Ethernet group address 01:00:5e + the low 23 bits (RFC 1112 §6.4). */
  private sendMulticast(p: Pbuf, group: number): Err {
    if (pbuf_add_header(p, ETH_HLEN) !== 0) {
      this.core.stats.link.err++;
      return ERR_BUF;
    }
    const mac = this.netif.mac;
    const b = p.buf;
    const o = p.off;
    ethWrite(b, o, mac, 0, mac, 0, ETHTYPE_IPV4);
    b[o] = 0x01; b[o + 1] = 0x00; b[o + 2] = 0x5e;
    b[o + 3] = (group >>> 16) & 0x7f; b[o + 4] = (group >>> 8) & 0xff; b[o + 5] = group & 0xff;
    const err = this.netif.linkOutput(p);
    pbuf_remove_header(p, ETH_HLEN);
    return err;
  }

  /** No entry for `ip` yet: take one, ask for the address, queue the packet. */
  private query(p: Pbuf, ip: number): Err {
    if (!this.pendingLimit.take(this.core.now)) {
      // a burst of new destinations (spoofed sources we are answering): drop, the sender retries
      this.pendingLimited++;
      this.core.stats.etharp.drop++;
      return ERR_MEM;
    }
    const i = this.newEntry();
    const e = this.entries[i];
    e.state = ARP_STATE_PENDING;
    e.ip = ip;
    e.ctime = this.core.now;
    e.tries = 1;
    e.lastRequest = this.core.now;
    // queued before the request leaves: a driver that answers inside transmit() (a synchronous
    // loopback) brings the reply, and the queue flush, before sendRequest returns
    const err = this.enqueue(e, p);
    this.sendRequest(ip, null);
    this.core.wake(); // a retry timer now runs: a sleeping scheduler must look again
    return err;
  }

  /** Queues a copy of `p` on a pending entry; at ARP_QUEUE_LEN the oldest copy gives way. */
  private enqueue(e: ArpEntry, p: Pbuf): Err {
    const st = this.core.stats;
    if (e.qLen >= this.core.config.ARP_QUEUE_LEN) {
      const old = e.qHead;
      if (old === null) { st.etharp.drop++; return ERR_MEM; }
      e.qHead = old.next;
      if (e.qHead === null) e.qTail = null;
      e.qLen--;
      pbuf_free(old.p);
      old.p = null;
      old.next = null;
      this.queuePool.release(old);
      st.etharp.drop++;
      st.etharp.memerr++;
    }
    const q = this.queuePool.alloc();
    if (q === null) {
      st.etharp.memerr++;
      st.etharp.drop++;
      return ERR_MEM;
    }
    const c = this.core.pbufs.alloc(PBUF_LINK, p.totLen);
    if (c === null) {
      this.queuePool.release(q);
      st.etharp.memerr++;
      st.etharp.drop++;
      return ERR_MEM;
    }
    pbuf_copy(c, p);
    q.p = c;
    q.next = null;
    if (e.qTail === null) e.qHead = q; else e.qTail.next = q;
    e.qTail = q;
    e.qLen++;
    return ERR_OK;
  }

  /** Sends (resolved) or drops (failed) everything queued on `e`. */
  private flushQueue(e: ArpEntry, send: boolean): void {
    const st = this.core.stats;
    let q = e.qHead;
    e.qHead = null;
    e.qTail = null;
    e.qLen = 0;
    while (q !== null) {
      const next = q.next;
      const p = q.p as Pbuf;
      if (send) {
        this.send(p, e.mac, false);
      } else {
        st.etharp.drop++;
        st.ip.rterr++;
      }
      pbuf_free(p);
      q.p = null;
      q.next = null;
      this.queuePool.release(q);
      q = next;
    }
  }

  /**
   * An entry for a new address: an empty one, else the oldest pending one (whose queued packets are
   * dropped), else the resolved one used longest ago (never-used ones first). lwIP takes the oldest
   * resolved entry before any pending one; under a flood of spoofed sources that evicts the peer
   * the board is talking to, so pending and idle entries go first here, as Linux's neighbour
   * garbage collection prefers.
   */
  private newEntry(): number {
    const ents = this.entries;
    let stable = -1;
    let pending = -1;
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i];
      if (e.state === ARP_STATE_EMPTY) return i;
      if (e.state === ARP_STATE_PENDING) {
        if (pending < 0 || e.ctime < ents[pending].ctime) pending = i;
      } else if (stable < 0 || e.used < ents[stable].used
        || (e.used === ents[stable].used && e.ctime < ents[stable].ctime)) {
        stable = i;
      }
    }
    const i = pending >= 0 ? pending : stable;
    this.clear(ents[i], false);
    return i;
  }

  private clear(e: ArpEntry, failed: boolean): void {
    if (e.qHead !== null) this.flushQueue(e, false);
    if (failed) this.core.stats.etharp.rterr++;
    this.epoch++;
    e.state = ARP_STATE_EMPTY;
    e.ip = 0;
    e.tries = 0;
    e.used = -1;
    e.contested = false;
  }

  /** Records `ip` at `mac` (RFC 826 merge/insert) and sends what was waiting for it. */
  private update(i: number, ip: number, mac: Uint8Array): void {
    const e = this.entries[i];
    const m = e.mac;
    // header templates built on this entry hold its old MAC (a confirmation changes nothing)
    if (e.ip !== ip || m[0] !== mac[0] || m[1] !== mac[1] || m[2] !== mac[2] || m[3] !== mac[3]
      || m[4] !== mac[4] || m[5] !== mac[5]) this.epoch++;
    e.ip = ip;
    for (let k = 0; k < 6; k++) m[k] = mac[k];
    if (this.hdrFor === i) this.hdrFor = -1; // the header built for this entry holds its old MAC
    e.state = ARP_STATE_STABLE;
    e.ctime = this.core.now;
    e.tries = 0;
    e.contested = false;
    if (e.qHead !== null) this.flushQueue(e, true);
  }

  /**
   * Whether an ARP packet from a known sender may write `sha` into its entry `e`. A pending entry
   * takes the first answer; a resolved entry whose MAC stays the same is simply confirmed. A new
   * MAC for a resolved entry is accepted from a gratuitous ARP once ARP_LOCKTIME has passed since
   * the entry was last confirmed (Linux's locktime), or from a reply to our own broadcast request.
   * Any other claim is what ARP poisoning looks like: it is refused, and (at most once per lock
   * time) the holder of the old MAC is asked directly. If it answers, the entry is confirmed and
   * stays; if it is silent for ARP_RETRY_INTERVAL the refresh goes out as a broadcast, whose reply
   * is believed — so a host that really changed its NIC is followed within about a second.
   */
  private mayUpdate(e: ArpEntry, op: number, gratuitous: boolean, forUs: boolean, sha: Uint8Array): boolean {
    if (e.state === ARP_STATE_PENDING) return true;
    const m = e.mac;
    if (m[0] === sha[0] && m[1] === sha[1] && m[2] === sha[2] && m[3] === sha[3] && m[4] === sha[4] && m[5] === sha[5]) return true;
    const lock = this.core.config.ARP_LOCKTIME;
    if (lock === 0) return true;
    const now = this.core.now;
    // tries >= 2: the unicast refresh to the old MAC went unanswered and a broadcast is out
    if (op === ARP_REPLY && forUs && e.state === ARP_STATE_STABLE_REFRESHING && e.tries >= 2) return true;
    if (gratuitous && now - e.ctime >= lock) return true;
    if (e.state === ARP_STATE_STABLE) {
      if (now - e.ctime >= lock) this.checkHolder(e, now);
      else e.contested = true;
    }
    return false;
  }

  /** Asks the holder of `e`'s MAC directly whether it is still there (a unicast refresh). */
  private checkHolder(e: ArpEntry, now: number): void {
    e.contested = false;
    e.state = ARP_STATE_STABLE_REFRESHING;
    e.tries = 1;
    e.lastRequest = now;
    this.sendRequest(e.ip, e.mac);
  }

  /** Builds and sends an ARP request for `targetIp`: broadcast, or unicast to `dstMac`. */
  private sendRequest(targetIp: number, dstMac: Uint8Array | null): Err {
    return this.sendArp(ARP_REQUEST, dstMac, this.zeroMac, targetIp);
  }

  private sendArp(op: number, dstMac: Uint8Array | null, tha: Uint8Array, tpa: number, spa = this.netif.ip): Err {
    const st = this.core.stats.etharp;
    const p = this.core.pbufs.alloc(PBUF_RAW, ARP_FRAME_LEN);
    if (p === null) {
      st.memerr++;
      return ERR_MEM;
    }
    const nif = this.netif;
    const mac = nif.mac;
    ethWrite(p.buf, p.off, dstMac === null ? mac : dstMac, 0, mac, 0, ETHTYPE_ARP);
    if (dstMac === null) ethWriteBroadcastDst(p.buf, p.off);
    arpWrite(p.buf, p.off + ETH_HLEN, op, mac, 0, spa, tha, 0, tpa);
    const err = nif.linkOutput(p);
    if (err === ERR_OK) st.xmit++;
    pbuf_free(p);
    return err;
  }

  /** Gratuitous ARP (RFC 5227 §2.3 announcement: a request with sender = target = our address). */
  announce(): Err {
    const ip = this.netif.ip;
    if (ip === 0 || !this.netif.up) return ERR_OK;
    return this.sendArp(ARP_REQUEST, null, this.zeroMac, ip);
  }

  /** RFC 5227 §2.1.1 probe for `ip`: a broadcast request with sender address 0.0.0.0. */
  probe(ip: number): Err {
    if (!this.netif.up) return ERR_OK;
    return this.sendArp(ARP_REQUEST, null, this.zeroMac, ip, 0);
  }

  /**
   * An address being probed (RFC 5227 §2.1.1), 0 for none: any ARP frame from another station
   * whose sender is this address, or a probe of its own for it, calls `onConflict`.
   */
  watchIp = 0;
  onConflict: ((arg: unknown, ip: number) => void) | null = null;
  conflictArg: unknown = null;

  /** A received ARP frame (payload at the Ethernet header). Owns `p`. */
  input(p: Pbuf): void {
    const st = this.core.stats.etharp;
    st.recv++;
    const nif = this.netif;
    if (p.len < ARP_FRAME_LEN) {
      st.lenerr++;
      st.drop++;
      pbuf_free(p);
      return;
    }
    const info = this.info;
    const r = arpParse(p.buf, p.off + ETH_HLEN, p.len - ETH_HLEN, info);
    if (r < 0) {
      st.proterr++;
      st.drop++;
      pbuf_free(p);
      return;
    }
    const sha = info.sha;
    const spa = info.spa;
    const mac = nif.mac;
    const ours = nif.ip;
    if (equal6(sha, 0, mac, 0) || ethIsMulticast(sha, 0)) {
      // our own frame looped back, or a group address as a sender: nothing to learn or answer
      st.drop++;
      pbuf_free(p);
      return;
    }
    const w = this.watchIp;
    if (w !== 0 && (spa === w || (spa === 0 && info.tpa === w && info.op === ARP_REQUEST))) {
      st.err++;
      if (this.onConflict !== null) this.onConflict(this.conflictArg, w);
    }
    if (ours !== 0 && spa === ours) {
      // another station claims our address (RFC 5227 §2.4 conflict): count, never learn it
      st.err++;
      st.drop++;
      pbuf_free(p);
      return;
    }
    const forUs = ours !== 0 && info.tpa === ours;
    // RFC 826 "Packet Reception": merge the sender into an existing entry; insert it only when the
    // packet is addressed to us. A sender of 0.0.0.0 is an RFC 5227 probe: nothing to learn.
    if (spa !== 0 && !nif.isBroadcast(spa) && (spa >>> 28) < 0xe) {
      const i = this.find(spa);
      if (i >= 0) {
        if (this.mayUpdate(this.entries[i], info.op, spa === info.tpa, forUs, sha)) this.update(i, spa, sha);
        else { this.lockRefused++; st.drop++; }
      } else if (forUs) {
        this.update(this.newEntry(), spa, sha);
      }
    }
    if (info.op === ARP_REQUEST && forUs) {
      // answer in place: the request's own buffer becomes the reply
      const b = p.buf;
      const o = p.off;
      ethWrite(b, o, sha, 0, mac, 0, ETHTYPE_ARP);
      arpWrite(b, o + ETH_HLEN, ARP_REPLY, mac, 0, ours, sha, 0, spa);
      pbuf_realloc(p, ARP_FRAME_LEN);
      if (nif.linkOutput(p) === ERR_OK) st.xmit++;
    }
    pbuf_free(p);
  }

  /** When `tick` next has work: a retry, a give-up or an entry's expiry, ms (-1: none). */
  nextDeadline(): number {
    const cfg = this.core.config;
    const ents = this.entries;
    let due = -1;
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i];
      const s = e.state;
      if (s === ARP_STATE_EMPTY) continue;
      let d = e.ctime + cfg.ARP_MAXAGE;
      if (s === ARP_STATE_PENDING
        || (s === ARP_STATE_STABLE_REFRESHING && e.tries < cfg.ARP_MAX_TRIES)) {
        const r = e.lastRequest + cfg.ARP_RETRY_INTERVAL;
        if (s === ARP_STATE_PENDING || r < d) d = r;
      }
      // a MAC claimed during the lock time is checked with the old holder when it ends
      if (e.contested && s === ARP_STATE_STABLE && e.ctime + cfg.ARP_LOCKTIME < d) d = e.ctime + cfg.ARP_LOCKTIME;
      if (due === -1 || d < due) due = d;
    }
    return due;
  }

  /** Ages entries and drives retries (call often; times come from core.now). */
  tick(now: number): void {
    const cfg = this.core.config;
    const ents = this.entries;
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i];
      const s = e.state;
      if (s === ARP_STATE_EMPTY) continue;
      if (s === ARP_STATE_PENDING) {
        if (now - e.lastRequest < cfg.ARP_RETRY_INTERVAL) continue;
        if (e.tries >= cfg.ARP_MAX_TRIES) {
          // no answer (RFC 1122 §2.3.2.1: give up, do not flood): drop what was waiting
          this.clear(e, true);
          continue;
        }
        e.tries++;
        e.lastRequest = now;
        this.sendRequest(e.ip, null);
      } else if (now - e.ctime >= cfg.ARP_MAXAGE) {
        this.clear(e, false);
      } else if (e.contested && s === ARP_STATE_STABLE && now - e.ctime >= cfg.ARP_LOCKTIME) {
        // a claim came in while the entry was locked: check now that the lock is over
        this.checkHolder(e, now);
      } else if (s === ARP_STATE_STABLE_REFRESHING && e.tries < cfg.ARP_MAX_TRIES
        && now - e.lastRequest >= cfg.ARP_RETRY_INTERVAL) {
        // the unicast refresh went unanswered: ask everyone, the peer may have a new MAC
        e.tries++;
        e.lastRequest = now;
        this.sendRequest(e.ip, null);
      }
    }
  }

  /** Forgets every entry and drops every queued packet (address change). */
  flush(): void {
    for (let i = 0; i < this.entries.length; i++) {
      if (this.entries[i].state !== ARP_STATE_EMPTY) this.clear(this.entries[i], false);
    }
  }
}
