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
import { IndexPool } from '../core/memp.js';
import { Arena } from '../core/arena.js';
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

/**
 * ARP cache layout: structure of arrays, no object per entry (each XS property is a heap slot, a
 * Float64Array entry 8 bytes of chunk memory). Entry i's numeric fields are ARP_FIELDS Float64
 * entries of `Etharp.ents` from i * ARP_FIELDS, at the AE_* offsets below; its MAC is bytes
 * i * 6 .. i * 6 + 5 of `Etharp.macs`. The packets waiting on an entry are a list of queue entries
 * (indices of `Etharp.queuePool`): entry q's pbuf is `qPbuf[q]`, the next one `qNext[q]` (-1: end).
 */
/** ARP_STATE_*. */
export const AE_STATE = 0;
export const AE_IP = 1;
/** PENDING: when created; STABLE: when last confirmed. */
export const AE_CTIME = 2;
/** When a packet was last sent through this entry (-1: never); decides what a full cache evicts.
 *  Not written per packet: the entry `output` sends through keeps its time in Etharp.fastUsed. */
export const AE_USED = 3;
/** First and last queued packet (queue indices, -1: none) and how many there are. */
export const AE_QHEAD = 4;
export const AE_QTAIL = 5;
export const AE_QLEN = 6;
/** Another MAC was claimed for this address within the lock time: ask the old one once it ends. */
export const AE_CONTESTED = 7;
/** When the last request for this entry went out. */
export const AE_LAST_REQUEST = 8;
/** Requests sent in the current resolution (or refresh). */
export const AE_TRIES = 9;
/** Float64 entries per cache entry in `Etharp.ents`. */
export const ARP_FIELDS = 10;

export class Etharp {
  /** The cache entries' numeric fields (ARP_FIELDS each, see above) and their MACs (6 bytes each). */
  readonly ents: Float64Array;
  readonly macs: Uint8Array;
  /** Queue entries for packets waiting on a resolution: indices into qPbuf / qNext. */
  readonly queuePool: IndexPool;
  private readonly qPbuf: (Pbuf | null)[] = [];
  private readonly qNext: Int32Array;
  private readonly size: number;
  private readonly core: StackCore;
  private readonly netif: ArpNetif;
  private readonly info: ArpInfo;
  /** Typed arrays that did not fit ARP's buffer (0: sized right; a test checks). */
  readonly arenaSpilled: number;
  /** How long before expiry a used entry is refreshed (lwIP: 30 s of 300 s). */
  private readonly refreshAhead: number;
  /** New resolutions (ARP_PENDING_INTERVAL, ARP_PENDING_BURST): a bucket of core.limits. */
  private readonly pendingLimit: number;
  /** ARP packets whose new MAC for a known address was ignored (lock time, or not a real change). */
  lockRefused = 0;
  /** Resolutions not started because the pending-entry rate limit refused them. */
  pendingLimited = 0;
  /** The entry used last (lwIP etharp_cached_entry: most traffic goes to one peer), -1: none, and
   *  the IPv4 Ethernet header to it in `hdr`: frames to it get the header with one native `set`
   *  instead of 14 byte stores. `fastIp` is its address while it may be used without looking at the
   *  entry (resolved, not due for a refresh before `fastRefreshAt`); 0 otherwise. Any change to the
   *  entry's state, address, MAC or confirmation time goes through `forget`, which clears it. */
  private readonly hdr: Uint8Array;
  private hdrFor = -1;
  /** The entry `output` sent through last (etharp.cachehit counts frames to it). */
  private cached = 0;
  private fastIp = 0;
  private fastRefreshAt = 0;
  /** When `output` last sent through entry hdrFor (its AE_USED, kept here while it is hdrFor). */
  private fastUsed = -1;

  constructor(core: StackCore, netif: ArpNetif) {
    this.core = core;
    this.netif = netif;
    const cfg = core.config;
    const n = cfg.ARP_TABLE_SIZE;
    const nq = cfg.MEMP_NUM_ARP_QUEUE;
    this.size = n;
    // one buffer for all of ARP's typed arrays (core/arena.ts); two Float64 after the entries'
    // fields: the epoch and the top
    const arena = new Arena(Arena.size((n * ARP_FIELDS + 2) * 8, nq * 4, nq * 8, n * 6, ETH_HLEN, 6, 6));
    this.ents = arena.f64(n * ARP_FIELDS + 2);
    this.qNext = arena.i32(nq);
    this.macs = arena.u8(n * 6);
    this.hdr = arena.u8(ETH_HLEN);
    this.info = new ArpInfo(arena.u8(6), arena.u8(6));
    for (let i = 0; i < n; i++) this.clearFields(i);
    this.queuePool = new IndexPool('arp_queue', nq, arena.i32(2 * nq));
    this.arenaSpilled = arena.spilled;
    for (let q = 0; q < nq; q++) { this.qPbuf.push(null); this.qNext[q] = -1; }
    const h = this.hdr;
    for (let k = 0; k < 6; k++) h[6 + k] = netif.mac[k];
    h[12] = ETHTYPE_IPV4 >>> 8;
    h[13] = ETHTYPE_IPV4 & 0xff;
    let ahead = Math.floor(cfg.ARP_MAXAGE / 10);
    if (ahead < 2 * cfg.ARP_RETRY_INTERVAL) ahead = 2 * cfg.ARP_RETRY_INTERVAL;
    if (ahead > Math.floor(cfg.ARP_MAXAGE / 2)) ahead = Math.floor(cfg.ARP_MAXAGE / 2);
    this.refreshAhead = ahead;
    this.pendingLimit = core.limits.add(cfg.ARP_PENDING_INTERVAL, cfg.ARP_PENDING_BURST, core.now);
  }

  /**
   * Changes whenever a frame header built from this cache may have gone stale: an entry cleared
   * (expired, evicted, given up, flushed) or given another address or MAC, and (Netif) the
   * interface's address or link changed. Header templates (templateFor) are used only while it
   * keeps the value they were built at. Kept after the entries' fields in `ents`: no heap slot.
   */
  get epoch(): number { return this.ents[this.size * ARP_FIELDS]; }
  /** A new epoch: every header template built before is stale. */
  newEpoch(): void { this.ents[this.size * ARP_FIELDS]++; }

  /** One past the highest entry ever taken (newEntry takes the lowest empty one, so every entry
   *  from here on is empty): the walks over the cache (find, tick, nextDeadline, flush) stop here.
   *  Kept after the epoch in `ents`. */
  private top(): number { return this.ents[this.size * ARP_FIELDS + 1]; }

  /** Entry i's AE_* field. Not for the per-packet path (output reads the fast* fields). */
  field(i: number, f: number): number { return this.ents[i * ARP_FIELDS + f]; }
  private set(i: number, f: number, v: number): void { this.ents[i * ARP_FIELDS + f] = v; }

  /** An empty entry: no address, nothing queued, never used. */
  private clearFields(i: number): void {
    const e = this.ents;
    const b = i * ARP_FIELDS;
    for (let k = 0; k < ARP_FIELDS; k++) e[b + k] = 0;
    e[b + AE_USED] = -1;
    e[b + AE_QHEAD] = -1;
    e[b + AE_QTAIL] = -1;
  }

  /** Entry i is about to change: `output` must look at it again (and its used time goes back). */
  private forget(i: number): void {
    if (this.hdrFor !== i) return;
    this.ents[i * ARP_FIELDS + AE_USED] = this.fastUsed;
    this.hdrFor = -1;
    this.fastIp = 0;
  }

  /** Entry i's AE_USED, the one kept in fastUsed included. */
  private usedOf(i: number): number { return i === this.hdrFor ? this.fastUsed : this.ents[i * ARP_FIELDS + AE_USED]; }

  /** Index of the live entry for `ip`, or -1. */
  find(ip: number): number {
    const e = this.ents;
    const top = this.top();
    for (let i = 0, b = 0; i < top; i++, b += ARP_FIELDS) {
      if (e[b + AE_STATE] !== ARP_STATE_EMPTY && e[b + AE_IP] === ip) return i;
    }
    return -1;
  }

  /** Whether `ip` has a resolved entry. */
  resolved(ip: number): boolean {
    const i = this.find(ip);
    return i >= 0 && this.field(i, AE_STATE) >= ARP_STATE_STABLE;
  }

  /** A copy of the resolved MAC for `ip`, or null. Diagnostics and tests (it allocates). */
  lookup(ip: number): Uint8Array | null {
    if (!this.resolved(ip)) return null;
    const b = this.find(ip) * 6;
    return this.macs.slice(b, b + 6);
  }

  /** State of the entry for `ip` (ARP_STATE_*), EMPTY when absent. */
  stateOf(ip: number): number {
    const i = this.find(ip);
    return i < 0 ? ARP_STATE_EMPTY : this.field(i, AE_STATE);
  }

  /**
   * Sends IPv4 packet `p` (payload at the IP header) to `nextHop`: pushes and fills the Ethernet
   * header, transmits, and restores `p` before returning. While `nextHop` is unresolved, a copy is
   * queued and ERR_OK returned. Never takes ownership of `p`.
   */
  output(p: Pbuf, nextHop: number): Err {
    const st = this.core.stats;
    const now = this.core.now;
    // the entry used last, resolved and not due for a refresh: its header is ready (once per frame
    // sent). A resolved entry never holds a broadcast, multicast or zero address, and fastIp is 0
    // when there is none, so the tests below are only needed when it does not match.
    if (nextHop === this.fastIp && now < this.fastRefreshAt) {
      st.etharp.cachehit++;
      this.fastUsed = now;
      return this.send(p, -1, true);
    }
    if (this.netif.isBroadcast(nextHop)) return this.send(p, -1, false);
    if ((nextHop >>> 28) === 0xe) return this.sendMulticast(p, nextHop);
    if (nextHop === 0) { st.ip.rterr++; return ERR_RTE; }
    const i = this.find(nextHop);
    if (i < 0) return this.query(p, nextHop);
    const e = this.ents;
    const b = i * ARP_FIELDS;
    if (e[b + AE_STATE] === ARP_STATE_PENDING) return this.enqueue(i, p);
    this.use(i, now);
    return this.send(p, i, true);
  }

  /** A frame goes out through resolved entry i: it becomes the entry used last, with its header in
   *  `hdr` and the fast* fields set, and one in use shortly before it expires is refreshed. */
  private use(i: number, now: number): void {
    const e = this.ents;
    const b = i * ARP_FIELDS;
    if (i === this.cached) this.core.stats.etharp.cachehit++;
    this.cached = i;
    if (e[b + AE_STATE] === ARP_STATE_STABLE && now - e[b + AE_CTIME] >= this.core.config.ARP_MAXAGE - this.refreshAhead) {
      // in use and about to expire: ask the peer directly before the entry goes away
      this.forget(i);
      e[b + AE_STATE] = ARP_STATE_STABLE_REFRESHING;
      e[b + AE_TRIES] = 1;
      e[b + AE_LAST_REQUEST] = now;
      this.sendRequest(e[b + AE_IP], i);
    }
    if (this.hdrFor !== i) {
      if (this.hdrFor >= 0) this.forget(this.hdrFor);
      const h = this.hdr;
      const m = this.macs;
      const o = i * 6;
      h[0] = m[o]; h[1] = m[o + 1]; h[2] = m[o + 2]; h[3] = m[o + 3]; h[4] = m[o + 4]; h[5] = m[o + 5];
      this.hdrFor = i;
    }
    this.fastUsed = now;
    this.fastIp = e[b + AE_IP];
    // a refreshing entry is not refreshed again by output: no deadline
    this.fastRefreshAt = e[b + AE_STATE] === ARP_STATE_STABLE
      ? e[b + AE_CTIME] + this.core.config.ARP_MAXAGE - this.refreshAhead : Infinity;
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
    if (i < 0 || this.ents[i * ARP_FIELDS + AE_STATE] < ARP_STATE_STABLE) return -1;
    ethWrite(buf, off, this.macs, i * 6, this.netif.mac, 0, ETHTYPE_IPV4);
    return i;
  }

  /** Sends frame `p` (payload at the Ethernet header templateFor wrote) through entry i, which the
   *  caller's template says is still the one for its next hop (same `epoch`), as output() would
   *  send it there. Does not take `p`. */
  sendResolved(p: Pbuf, i: number): Err {
    const now = this.core.now;
    if (i === this.hdrFor && now < this.fastRefreshAt) {
      this.core.stats.etharp.cachehit++;
      this.fastUsed = now;
    } else {
      this.use(i, now);
    }
    return this.netif.linkOutput(p);
  }

  /** Pushes the Ethernet header (to entry `dst`'s MAC, or broadcast when -1; `cached`: the header
   *  is `hdr`, built for dst already), transmits, restores p. */
  private send(p: Pbuf, dst: number, cached: boolean): Err {
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
      if (dst < 0) {
        ethWrite(mem, o, mac, 0, mac, 0, ETHTYPE_IPV4);
        ethWriteBroadcastDst(mem, o);
      } else {
        ethWrite(mem, o, this.macs, dst * 6, mac, 0, ETHTYPE_IPV4);
      }
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
    if (!this.core.limits.take(this.pendingLimit, this.core.now)) {
      // a burst of new destinations (spoofed sources we are answering): drop, the sender retries
      this.pendingLimited++;
      this.core.stats.etharp.drop++;
      return ERR_MEM;
    }
    const i = this.newEntry();
    const e = this.ents;
    const b = i * ARP_FIELDS;
    e[b + AE_STATE] = ARP_STATE_PENDING;
    e[b + AE_IP] = ip;
    e[b + AE_CTIME] = this.core.now;
    e[b + AE_TRIES] = 1;
    e[b + AE_LAST_REQUEST] = this.core.now;
    // queued before the request leaves: a driver that answers inside transmit() (a synchronous
    // loopback) brings the reply, and the queue flush, before sendRequest returns
    const err = this.enqueue(i, p);
    this.sendRequest(ip, -1);
    this.core.wake(); // a retry timer now runs: a sleeping scheduler must look again
    return err;
  }

  /** Queues a copy of `p` on pending entry i; at ARP_QUEUE_LEN the oldest copy gives way. */
  private enqueue(i: number, p: Pbuf): Err {
    const st = this.core.stats;
    const e = this.ents;
    const b = i * ARP_FIELDS;
    if (e[b + AE_QLEN] >= this.core.config.ARP_QUEUE_LEN) {
      const old = e[b + AE_QHEAD];
      if (old < 0) { st.etharp.drop++; return ERR_MEM; }
      const next = this.qNext[old];
      e[b + AE_QHEAD] = next;
      if (next < 0) e[b + AE_QTAIL] = -1;
      e[b + AE_QLEN]--;
      this.releaseQueued(old);
      st.etharp.drop++;
      st.etharp.memerr++;
    }
    const q = this.queuePool.allocIndex();
    if (q < 0) {
      st.etharp.memerr++;
      st.etharp.drop++;
      return ERR_MEM;
    }
    const c = this.core.pbufs.alloc(PBUF_LINK, p.totLen);
    if (c === null) {
      this.queuePool.releaseIndex(q);
      st.etharp.memerr++;
      st.etharp.drop++;
      return ERR_MEM;
    }
    pbuf_copy(c, p);
    this.qPbuf[q] = c;
    this.qNext[q] = -1;
    const tail = e[b + AE_QTAIL];
    if (tail < 0) e[b + AE_QHEAD] = q; else this.qNext[tail] = q;
    e[b + AE_QTAIL] = q;
    e[b + AE_QLEN]++;
    return ERR_OK;
  }

  /** Frees queue entry q and its packet copy. */
  private releaseQueued(q: number): void {
    pbuf_free(this.qPbuf[q]);
    this.qPbuf[q] = null;
    this.qNext[q] = -1;
    this.queuePool.releaseIndex(q);
  }

  /** Sends (resolved) or drops (failed) everything queued on entry i. */
  private flushQueue(i: number, send: boolean): void {
    const st = this.core.stats;
    const e = this.ents;
    const b = i * ARP_FIELDS;
    let q = e[b + AE_QHEAD];
    e[b + AE_QHEAD] = -1;
    e[b + AE_QTAIL] = -1;
    e[b + AE_QLEN] = 0;
    while (q >= 0) {
      const next = this.qNext[q];
      if (send) {
        this.send(this.qPbuf[q] as Pbuf, i, false);
      } else {
        st.etharp.drop++;
        st.ip.rterr++;
      }
      this.releaseQueued(q);
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
    const e = this.ents;
    let stable = -1;
    let pending = -1;
    for (let i = 0; i < this.size; i++) {
      const b = i * ARP_FIELDS;
      const s = e[b + AE_STATE];
      if (s === ARP_STATE_EMPTY) {
        if (i >= this.top()) e[this.size * ARP_FIELDS + 1] = i + 1;
        return i;
      }
      if (s === ARP_STATE_PENDING) {
        if (pending < 0 || e[b + AE_CTIME] < this.field(pending, AE_CTIME)) pending = i;
      } else if (stable < 0 || this.usedOf(i) < this.usedOf(stable)
        || (this.usedOf(i) === this.usedOf(stable) && e[b + AE_CTIME] < this.field(stable, AE_CTIME))) {
        stable = i;
      }
    }
    const i = pending >= 0 ? pending : stable;
    this.clear(i, false);
    return i;
  }

  private clear(i: number, failed: boolean): void {
    this.forget(i);
    this.newEpoch();
    if (this.field(i, AE_QHEAD) >= 0) this.flushQueue(i, false);
    if (failed) this.core.stats.etharp.rterr++;
    this.clearFields(i);
  }

  /** Records `ip` at `mac` (RFC 826 merge/insert) and sends what was waiting for it. */
  private update(i: number, ip: number, mac: Uint8Array): void {
    this.forget(i); // the header built for this entry holds its old MAC
    const e = this.ents;
    const b = i * ARP_FIELDS;
    // header templates built on this entry hold its old address or MAC (a confirmation changes nothing)
    if (e[b + AE_IP] !== ip || !equal6(this.macs, i * 6, mac, 0)) this.newEpoch();
    e[b + AE_IP] = ip;
    const m = this.macs;
    for (let k = 0; k < 6; k++) m[i * 6 + k] = mac[k];
    e[b + AE_STATE] = ARP_STATE_STABLE;
    e[b + AE_CTIME] = this.core.now;
    e[b + AE_TRIES] = 0;
    e[b + AE_CONTESTED] = 0;
    if (e[b + AE_QHEAD] >= 0) this.flushQueue(i, true);
  }

  /**
   * Whether an ARP packet from a known sender may write `sha` into its entry i. A pending entry
   * takes the first answer; a resolved entry whose MAC stays the same is simply confirmed. A new
   * MAC for a resolved entry is accepted from a gratuitous ARP once ARP_LOCKTIME has passed since
   * the entry was last confirmed (Linux's locktime), or from a reply to our own broadcast request.
   * Any other claim is what ARP poisoning looks like: it is refused, and (at most once per lock
   * time) the holder of the old MAC is asked directly. If it answers, the entry is confirmed and
   * stays; if it is silent for ARP_RETRY_INTERVAL the refresh goes out as a broadcast, whose reply
   * is believed — so a host that really changed its NIC is followed within about a second.
   */
  private mayUpdate(i: number, op: number, gratuitous: boolean, forUs: boolean, sha: Uint8Array): boolean {
    const e = this.ents;
    const b = i * ARP_FIELDS;
    const s = e[b + AE_STATE];
    if (s === ARP_STATE_PENDING) return true;
    if (equal6(this.macs, i * 6, sha, 0)) return true;
    const lock = this.core.config.ARP_LOCKTIME;
    if (lock === 0) return true;
    const now = this.core.now;
    // tries >= 2: the unicast refresh to the old MAC went unanswered and a broadcast is out
    if (op === ARP_REPLY && forUs && s === ARP_STATE_STABLE_REFRESHING && e[b + AE_TRIES] >= 2) return true;
    if (gratuitous && now - e[b + AE_CTIME] >= lock) return true;
    if (s === ARP_STATE_STABLE) {
      if (now - e[b + AE_CTIME] >= lock) this.checkHolder(i, now);
      else e[b + AE_CONTESTED] = 1;
    }
    return false;
  }

  /** Asks the holder of entry i's MAC directly whether it is still there (a unicast refresh). */
  private checkHolder(i: number, now: number): void {
    this.forget(i);
    const e = this.ents;
    const b = i * ARP_FIELDS;
    e[b + AE_CONTESTED] = 0;
    e[b + AE_STATE] = ARP_STATE_STABLE_REFRESHING;
    e[b + AE_TRIES] = 1;
    e[b + AE_LAST_REQUEST] = now;
    this.sendRequest(e[b + AE_IP], i);
  }

  /** Builds and sends an ARP request for `targetIp`: broadcast (dst -1), or unicast to entry dst's MAC. */
  private sendRequest(targetIp: number, dst: number): Err {
    return this.sendArp(ARP_REQUEST, dst, targetIp);
  }

  /** An ARP packet with target hardware address 0 (RFC 5227 §2.1.1, RFC 826 requests). */
  private sendArp(op: number, dst: number, tpa: number, spa = this.netif.ip): Err {
    const st = this.core.stats.etharp;
    const p = this.core.pbufs.alloc(PBUF_RAW, ARP_FRAME_LEN);
    if (p === null) {
      st.memerr++;
      return ERR_MEM;
    }
    const nif = this.netif;
    const mac = nif.mac;
    ethWrite(p.buf, p.off, dst < 0 ? mac : this.macs, dst < 0 ? 0 : dst * 6, mac, 0, ETHTYPE_ARP);
    if (dst < 0) ethWriteBroadcastDst(p.buf, p.off);
    // the target hardware address all zeros (null): RFC 826, the receiver ignores it
    arpWrite(p.buf, p.off + ETH_HLEN, op, mac, 0, spa, null, 0, tpa);
    const err = nif.linkOutput(p);
    if (err === ERR_OK) st.xmit++;
    pbuf_free(p);
    return err;
  }

  /** Gratuitous ARP (RFC 5227 §2.3 announcement: a request with sender = target = our address). */
  announce(): Err {
    const ip = this.netif.ip;
    if (ip === 0 || !this.netif.up) return ERR_OK;
    return this.sendArp(ARP_REQUEST, -1, ip);
  }

  /** RFC 5227 §2.1.1 probe for `ip`: a broadcast request with sender address 0.0.0.0. */
  probe(ip: number): Err {
    if (!this.netif.up) return ERR_OK;
    return this.sendArp(ARP_REQUEST, -1, ip, 0);
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
        if (this.mayUpdate(i, info.op, spa === info.tpa, forUs, sha)) this.update(i, spa, sha);
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
    const e = this.ents;
    let due = -1;
    const top = this.top();
    for (let i = 0; i < top; i++) {
      const b = i * ARP_FIELDS;
      const s = e[b + AE_STATE];
      if (s === ARP_STATE_EMPTY) continue;
      const ctime = e[b + AE_CTIME];
      let d = ctime + cfg.ARP_MAXAGE;
      if (s === ARP_STATE_PENDING
        || (s === ARP_STATE_STABLE_REFRESHING && e[b + AE_TRIES] < cfg.ARP_MAX_TRIES)) {
        const r = e[b + AE_LAST_REQUEST] + cfg.ARP_RETRY_INTERVAL;
        if (s === ARP_STATE_PENDING || r < d) d = r;
      }
      // a MAC claimed during the lock time is checked with the old holder when it ends
      if (e[b + AE_CONTESTED] !== 0 && s === ARP_STATE_STABLE && ctime + cfg.ARP_LOCKTIME < d) d = ctime + cfg.ARP_LOCKTIME;
      if (due === -1 || d < due) due = d;
    }
    return due;
  }

  /** Ages entries and drives retries (call often; times come from core.now). */
  tick(now: number): void {
    const cfg = this.core.config;
    const e = this.ents;
    const top = this.top();
    for (let i = 0; i < top; i++) {
      const b = i * ARP_FIELDS;
      const s = e[b + AE_STATE];
      if (s === ARP_STATE_EMPTY) continue;
      if (s === ARP_STATE_PENDING) {
        if (now - e[b + AE_LAST_REQUEST] < cfg.ARP_RETRY_INTERVAL) continue;
        if (e[b + AE_TRIES] >= cfg.ARP_MAX_TRIES) {
          // no answer (RFC 1122 §2.3.2.1: give up, do not flood): drop what was waiting
          this.clear(i, true);
          continue;
        }
        e[b + AE_TRIES]++;
        e[b + AE_LAST_REQUEST] = now;
        this.sendRequest(e[b + AE_IP], -1);
      } else if (now - e[b + AE_CTIME] >= cfg.ARP_MAXAGE) {
        this.clear(i, false);
      } else if (e[b + AE_CONTESTED] !== 0 && s === ARP_STATE_STABLE && now - e[b + AE_CTIME] >= cfg.ARP_LOCKTIME) {
        // a claim came in while the entry was locked: check now that the lock is over
        this.checkHolder(i, now);
      } else if (s === ARP_STATE_STABLE_REFRESHING && e[b + AE_TRIES] < cfg.ARP_MAX_TRIES
        && now - e[b + AE_LAST_REQUEST] >= cfg.ARP_RETRY_INTERVAL) {
        // the unicast refresh went unanswered: ask everyone, the peer may have a new MAC
        e[b + AE_TRIES]++;
        e[b + AE_LAST_REQUEST] = now;
        this.sendRequest(e[b + AE_IP], -1);
      }
    }
  }

  /** Forgets every entry and drops every queued packet (address change). */
  flush(): void {
    const top = this.top();
    for (let i = 0; i < top; i++) {
      if (this.field(i, AE_STATE) !== ARP_STATE_EMPTY) this.clear(i, false);
    }
  }
}
