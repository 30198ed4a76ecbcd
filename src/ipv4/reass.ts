/**
 * IPv4 reassembly (RFC 791 §3.2, RFC 815): fragments are kept in their receive pbufs, sorted by
 * offset, and chained (not copied) once the datagram is whole. A fragment that overlaps one already
 * held is dropped (a duplicate, or a retransmission cut differently), which also defeats overlap
 * attacks (RFC 1858). Bounded by IP_REASS_MAX_DATAGRAMS, IP_REASS_MAX_PBUFS and IP_REASS_MAXAGE
 * (RFC 1122 §3.3.2); datagrams over 65535 bytes are dropped.
 */
import { Arena } from '../core/arena.js';
import type { StackCore } from '../core/context.js';
import type { Pbuf } from '../core/pbuf.js';
import { pbuf_free, pbuf_add_header, pbuf_remove_header, pbuf_cat, pbuf_clen } from '../core/pbuf.js';
import {
  Ip4Header, ip4Parse, IP_FLAG_MF, ip4FillChecksum, ip4SetTotLen, ip4SetFlagsFrag, ip4Tos, ip4Ttl, ip4Chksum,
} from '../wire/ipv4.js';
import { ICMP_TE_FRAG } from '../wire/icmp.js';

/** Largest IPv4 datagram (RFC 791 total length field). */
export const IP_MAX_LEN = 65535;

/** Where a reassembly timeout is reported (RFC 1122 §3.3.2: ICMP time exceeded, code 1). */
export interface ReassTimeoutSink {
  timeExceeded(p: Pbuf, ip: Ip4Header, code: number): void;
}

/** ReassDatagram layout: its numeric fields live in the reassembly's Float64Array, RD_FIELDS
 *  entries per datagram, behind getters (an XS property is a heap slot; reassembly runs per
 *  fragment, never on the TCP segment path). */
const RD_SRC = 0;
const RD_DST = 1;
const RD_ID = 2;
const RD_PROTO = 3;
const RD_START = 4;
const RD_TOTAL = 5;
const RD_HLEN0 = 6;
const RD_COUNT = 7;
const RD_PBUFS = 8;
/** Float64 entries per datagram. */
export const RD_FIELDS = 9;

/** One datagram being reassembled: its fragments in order of offset, no two overlapping. */
export class ReassDatagram {
  /** A property, not in `f`: the timer's deadline scan reads it for every datagram on every tick. */
  used = false;
  readonly frags: (Pbuf | null)[] = [];
  /** The fragments' offsets: where fragment k starts at [2k], where it ends at [2k + 1] (one
   *  typed array rather than two: an XS view costs four heap slots). */
  readonly fo: Int32Array;
  private readonly f: Float64Array;
  private readonly b: number;

  /** `cap` fragments at most; their offsets in `fo` (2 * cap entries); the numeric fields at
   *  index * RD_FIELDS of `fields`. Arrays of its own when not given. */
  constructor(cap: number, fo: Int32Array | null = null, fields: Float64Array | null = null, index = 0) {
    for (let i = 0; i < cap; i++) this.frags.push(null);
    this.fo = fo !== null ? fo : new Int32Array(2 * cap);
    this.f = fields !== null ? fields : new Float64Array(RD_FIELDS);
    this.b = fields !== null ? index * RD_FIELDS : 0;
    this.total = -1;
  }

  get src(): number { return this.f[this.b + RD_SRC]; }
  set src(v: number) { this.f[this.b + RD_SRC] = v; }
  get dst(): number { return this.f[this.b + RD_DST]; }
  set dst(v: number) { this.f[this.b + RD_DST] = v; }
  get id(): number { return this.f[this.b + RD_ID]; }
  set id(v: number) { this.f[this.b + RD_ID] = v; }
  get proto(): number { return this.f[this.b + RD_PROTO]; }
  set proto(v: number) { this.f[this.b + RD_PROTO] = v; }
  /** When the first fragment arrived (RFC 791: the timer starts with the first fragment). */
  get start(): number { return this.f[this.b + RD_START]; }
  set start(v: number) { this.f[this.b + RD_START] = v; }
  /** Data length, known once the last fragment (MF = 0) arrived; -1 before. */
  get total(): number { return this.f[this.b + RD_TOTAL]; }
  set total(v: number) { this.f[this.b + RD_TOTAL] = v; }
  /** Header length of the fragment at offset 0; 0 until it arrived. */
  get hlen0(): number { return this.f[this.b + RD_HLEN0]; }
  set hlen0(v: number) { this.f[this.b + RD_HLEN0] = v; }
  get count(): number { return this.f[this.b + RD_COUNT]; }
  set count(v: number) { this.f[this.b + RD_COUNT] = v; }
  /** Pool pbufs held (a fragment may be a chain). */
  get pbufs(): number { return this.f[this.b + RD_PBUFS]; }
  set pbufs(v: number) { this.f[this.b + RD_PBUFS] = v; }
}

export class Reassembly {
  private readonly core: StackCore;
  private readonly reass: ReassDatagram[] = [];
  /** Pool pbufs held by reassembly in all. */
  private reassPbufs = 0;
  /** A header object for the timer (never the one a protocol handler may be holding). */
  private readonly timerHdr = new Ip4Header();

  constructor(core: StackCore) {
    this.core = core;
    const cfg = core.config;
    const n = cfg.IP_REASS_MAX_DATAGRAMS;
    const cap = cfg.IP_REASS_MAX_PBUFS;
    // every datagram's fields and fragment offsets in one buffer (core/arena.ts)
    const arena = new Arena(Arena.size(n * RD_FIELDS * 8) + n * Arena.size(2 * cap * 4));
    const fields = arena.f64(n * RD_FIELDS);
    for (let i = 0; i < n; i++) this.reass.push(new ReassDatagram(cap, arena.i32(2 * cap), fields, i));
  }

  /**
   * Adds fragment `p` (payload at its IP header, parsed into `h`). Returns the whole datagram (payload
   * at its rewritten IP header, `h` updated to match) when this fragment completed it, else null;
   * either way `p` now belongs to reassembly.
   */
  add(p: Pbuf, h: Ip4Header): Pbuf | null {
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
      || (d.count > 0 && end < d.fo[2 * d.count - 1])))) {
      st.lenerr++;
      return this.dropFragment(p, d);
    }
    // where it goes, and whether it overlaps what we hold
    let k = 0;
    while (k < d.count && d.fo[2 * k] < start) k++;
    if ((k > 0 && d.fo[2 * k - 1] > start) || (k < d.count && d.fo[2 * k] < end)) {
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
      d.fo[2 * j] = d.fo[2 * j - 2];
      d.fo[2 * j + 1] = d.fo[2 * j - 1];
    }
    d.frags[k] = p;
    d.fo[2 * k] = start;
    d.fo[2 * k + 1] = end;
    d.count++;
    d.pbufs += n;
    this.reassPbufs += n;
    if (start === 0) d.hlen0 = ihl;
    if (!more) d.total = end;
    // complete when the pieces run from 0 to the end without a hole
    if (d.total < 0 || d.hlen0 === 0) return null;
    let at = 0;
    for (let j = 0; j < d.count; j++) {
      if (d.fo[2 * j] !== at) return null;
      at = d.fo[2 * j + 1];
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
    ip4SetTotLen(b, o, tot);
    ip4SetFlagsFrag(b, o, 0);
    ip4FillChecksum(b, o, d.hlen0, this.core.chksum);
    h.ihl = d.hlen0;
    h.totLen = tot;
    h.flags = 0;
    h.fragOff = 0;
    h.tos = ip4Tos(b, o);
    h.ttl = ip4Ttl(b, o);
    h.chksum = ip4Chksum(b, o);
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

  /** When the oldest incomplete datagram times out, ms (-1: none waiting). */
  nextDeadline(): number {
    const r = this.reass;
    const maxAge = this.core.config.IP_REASS_MAXAGE;
    let due = -1;
    for (let i = 0; i < r.length; i++) {
      const d = r[i];
      if (d.used && (due === -1 || d.start + maxAge < due)) due = d.start + maxAge;
    }
    return due;
  }

  /** Reassembly timeout (IP_REASS_MAXAGE); `icmp` reports it when fragment zero arrived. */
  tick(now: number, icmp: ReassTimeoutSink | null): void {
    const r = this.reass;
    const maxAge = this.core.config.IP_REASS_MAXAGE;
    for (let i = 0; i < r.length; i++) {
      const d = r[i];
      if (!d.used || now - d.start < maxAge) continue;
      // RFC 1122 §3.3.2: discard, and tell the source if fragment zero arrived
      if (d.hlen0 !== 0 && icmp !== null) {
        const first = d.frags[0] as Pbuf;
        const th = this.timerHdr;
        pbuf_add_header(first, d.hlen0);
        const ok = ip4Parse(first.buf, first.off, first.len, th, this.core.chksum) === 0;
        pbuf_remove_header(first, d.hlen0);
        if (ok) icmp.timeExceeded(first, th, ICMP_TE_FRAG);
      }
      this.freeDatagram(d, true);
    }
  }

  /** Datagrams being reassembled now (tests, diagnostics). */
  get count(): number {
    let n = 0;
    for (let i = 0; i < this.reass.length; i++) if (this.reass[i].used) n++;
    return n;
  }
}
