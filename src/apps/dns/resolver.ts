/**
 * DNS stub resolver (RFC 1035) over the stack's UDP, in lwIP's dns.c spirit: A records, CNAME
 * chains, several servers with failover, retransmission with a doubling timeout, and a small cache
 * in a fixed table (DNS_TABLE_SIZE entries, each a query in flight or an answer kept for its TTL).
 *
 * `gethostbyname` answers at once (ERR_OK) for a dotted-quad literal or a cached name, else starts
 * or joins a query and returns ERR_INPROGRESS; the callback then gets the address (0 = not found).
 *
 * Spoofing resistance in the spirit of RFC 5452: each query gets a random 16-bit id and its own UDP
 * pcb on a random port; a response is taken only from the server asked, from port 53, with our id
 * and our question. Everything else is counted and dropped. Truncated responses (TC) and malformed
 * names (compression loops, pointers past the end) are refused and the next server is asked.
 */
import type { Stack, StackApp } from '../../api/stack.js';
import type { Err } from '../../core/err.js';
import { ERR_OK, ERR_MEM, ERR_ARG, ERR_VAL, ERR_INPROGRESS } from '../../core/err.js';
import type { Pbuf } from '../../core/pbuf.js';
import { PBUF_TRANSPORT, pbuf_free } from '../../core/pbuf.js';
import { ip4Of } from '../../core/ip4addr.js';
import { udp_new, udp_bind, udp_recv, udp_sendto, udp_remove, type UdpPcb } from '../../api/udp_api.js';
import {
  DNS_HLEN, DNS_PORT, DNS_TYPE_A, DNS_TYPE_CNAME, DNS_CLASS_IN, DNS_FLAG_QR, DNS_FLAG_TC, DNS_FLAG_RD,
  DNS_RCODE_NXDOMAIN, DnsRr, dnsId, dnsFlags, dnsQdCount, dnsAnCount, dnsWriteHeader, dnsWriteQuestion,
  dnsSkipName, dnsNameLen, dnsNameEquals, dnsNamesEqual, dnsEncodeName, dnsReadRr, dnsRd16, dnsRd32,
} from '../../wire/dns.js';

/** Called once per request: `addr` 0 when the name could not be resolved. */
export type DnsFoundFn = (name: string, addr: number, arg: unknown) => void;

/** Where an immediate answer is written (lwIP's `ip_addr_t *addr` out-parameter). */
export class DnsAddr {
  addr = 0;
}

const FREE = 0;
const ASKING = 1;
const DONE = 2;
/** CNAME links followed before giving up (a loop of aliases ends here). */
const MAX_CHAIN = 8;

export class DnsStats {
  queries = 0;
  xmit = 0;
  recv = 0;
  drop = 0;
  cacheHits = 0;
  /** Responses with an id that is not the query's. */
  badId = 0;
  /** Responses from an address or port that is not the server asked. */
  badSource = 0;
  /** Responses whose question is not ours, or that are not responses. */
  badQuestion = 0;
  /** TC set: refused (no TCP fallback), the next server is asked. */
  truncated = 0;
  /** Malformed: short header, bad name (compression loop, pointer out of range), record past the end. */
  malformed = 0;
  timeouts = 0;
  failovers = 0;
  notFound = 0;
  memerr = 0;
}

class DnsEntry {
  state = FREE;
  name = '';
  readonly qname: Uint8Array;
  qlen = 0;
  addr = 0;
  expires = 0;
  id = 0;
  server = 0;
  tries = 0;
  deadline = 0;
  pcb: UdpPcb | null = null;
  readonly resolver: DnsResolver;
  constructor(resolver: DnsResolver, maxName: number) {
    this.resolver = resolver;
    this.qname = new Uint8Array(maxName + 2);
  }
}

class DnsRequest {
  entry: DnsEntry | null = null;
  cb: DnsFoundFn | null = null;
  arg: unknown = null;
}

export class DnsResolver implements StackApp {
  readonly appName = 'dns';
  readonly stack: Stack;
  readonly stats = new DnsStats();
  private readonly entries: DnsEntry[] = [];
  private readonly requests: DnsRequest[] = [];
  private readonly rr = new DnsRr();
  private readonly scratch: Uint8Array;
  private readonly scratch2: Uint8Array;

  constructor(stack: Stack) {
    this.stack = stack;
    const cfg = stack.core.config;
    for (let i = 0; i < cfg.DNS_TABLE_SIZE; i++) this.entries.push(new DnsEntry(this, cfg.DNS_MAX_NAME_LENGTH));
    for (let i = 0; i < cfg.DNS_MAX_REQUESTS; i++) this.requests.push(new DnsRequest());
    this.scratch = new Uint8Array(256);
    this.scratch2 = new Uint8Array(256);
  }

  /** lwIP dns_gethostbyname: ERR_OK with `out.addr` set, ERR_INPROGRESS (callback later), or
   *  ERR_ARG (bad name), ERR_VAL (no DNS server), ERR_MEM (tables full). */
  gethostbyname(name: string, out: DnsAddr | null, cb: DnsFoundFn | null, arg: unknown): Err {
    const lit = ip4Of(name);
    if (lit >= 0) { if (out !== null) out.addr = lit; return ERR_OK; }
    const core = this.stack.core;
    core.now = this.stack.hal.clock.now();
    const e = this.lookup(name, out, cb, arg, core.now);
    if (e === ERR_INPROGRESS) core.wake();
    return e;
  }

  private lookup(name: string, out: DnsAddr | null, cb: DnsFoundFn | null, arg: unknown, now: number): Err {
    const key = name.toLowerCase();
    let e: DnsEntry | null = null;
    for (let i = 0; i < this.entries.length; i++) {
      const x = this.entries[i];
      if (x.state === DONE && now - x.expires >= 0) x.state = FREE;
      if (x.state !== FREE && x.name === key) e = x;
    }
    if (e !== null && e.state === DONE) {
      this.stats.cacheHits++;
      if (out !== null) out.addr = e.addr;
      return ERR_OK;
    }
    if (!this.hasServer()) return ERR_VAL;
    const req = this.freeRequest();
    if (req === null) { this.stats.memerr++; return ERR_MEM; }
    if (e === null) {
      e = this.freeEntry();
      if (e === null) { this.stats.memerr++; return ERR_MEM; }
      const n = dnsEncodeName(key, e.qname);
      if (n < 0) return ERR_ARG;
      e.qlen = n;
      e.name = key;
      e.state = ASKING;
      e.server = -1;
      this.stats.queries++;
      this.nextServer(e, now);
      if (e.state !== ASKING) return ERR_MEM;
    }
    req.entry = e;
    req.cb = cb;
    req.arg = arg;
    return ERR_INPROGRESS;
  }

  /** Forgets every cached answer (queries in flight go on). */
  flushCache(): void {
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i].state === DONE) this.entries[i].state = FREE;
  }

  /** Ends every query (callbacks get 0) and frees their pcbs. */
  stop(): void {
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i].state === ASKING) this.finish(this.entries[i], 0, 0);
  }

  // --- StackApp ---------------------------------------------------------------------------------

  tick(now: number): void {
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (e.state !== ASKING || now - e.deadline < 0) continue;
      this.stats.timeouts++;
      if (e.tries < this.stack.core.config.DNS_MAX_TRIES) this.send(e, now);
      else this.nextServer(e, now);
    }
  }

  linkChanged(_up: boolean): void { /* queries retry on their own timers */ }

  nextDeadline(): number {
    let due = -1;
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (e.state === ASKING && (due === -1 || e.deadline < due)) due = e.deadline;
    }
    return due;
  }

  addressChanged(_oldIp: number): void {
    // another network may answer differently (RFC 1035 §7.4 leaves caching policy to us)
    this.flushCache();
  }

  // --- internals ----------------------------------------------------------------------------------

  private hasServer(): boolean {
    const s = this.stack.dnsServers;
    for (let i = 0; i < s.length; i++) if (s[i] !== 0) return true;
    return false;
  }

  private freeRequest(): DnsRequest | null {
    for (let i = 0; i < this.requests.length; i++) if (this.requests[i].entry === null) return this.requests[i];
    return null;
  }

  /** A free entry, else the cached answer closest to expiry (lwIP reuses the oldest). */
  private freeEntry(): DnsEntry | null {
    let best: DnsEntry | null = null;
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (e.state === FREE) return e;
      if (e.state === DONE && (best === null || e.expires - best.expires < 0)) best = e;
    }
    return best;
  }

  /** Moves to the next configured server (failover), or fails the query when none is left. */
  private nextServer(e: DnsEntry, now: number): void {
    const s = this.stack.dnsServers;
    let k = e.server + 1;
    while (k < s.length && s[k] === 0) k++;
    if (k >= s.length) { this.finish(e, 0, 0); return; }
    if (e.server >= 0) this.stats.failovers++;
    e.server = k;
    e.tries = 0;
    this.send(e, now);
  }

  /** (Re)sends the query with a fresh id from a fresh random port (RFC 5452 §9.2). */
  private send(e: DnsEntry, now: number): void {
    const core = this.stack.core;
    if (e.pcb !== null) { udp_remove(e.pcb); e.pcb = null; }
    const pcb = udp_new(this.stack);
    if (pcb === null) { this.stats.memerr++; this.finish(e, 0, 0); return; }
    let bound = false;
    for (let t = 0; t < 8 && !bound; t++) bound = udp_bind(pcb, 0, 1024 + (core.random.nextU32() % 64512)) === ERR_OK;
    if (!bound) { udp_remove(pcb); this.stats.memerr++; this.finish(e, 0, 0); return; }
    udp_recv(pcb, dnsRecv, e);
    e.pcb = pcb;
    e.id = core.random.nextU32() & 0xffff;
    e.deadline = now + core.config.DNS_TIMEOUT * (1 << e.tries);
    e.tries++;
    const p = core.pbufs.alloc(PBUF_TRANSPORT, DNS_HLEN + e.qlen + 4);
    if (p === null) { this.stats.memerr++; return; }
    dnsWriteHeader(p.buf, p.off, e.id, DNS_FLAG_RD, 1, 0, 0, 0);
    dnsWriteQuestion(p.buf, p.off + DNS_HLEN, e.qname, e.qlen, DNS_TYPE_A, DNS_CLASS_IN);
    if (udp_sendto(pcb, p, this.stack.dnsServers[e.server], DNS_PORT) === ERR_OK) this.stats.xmit++;
    pbuf_free(p);
  }

  /** Ends a query: caches a found address for `ttl` s, calls every waiting request. */
  private finish(e: DnsEntry, addr: number, ttl: number): void {
    if (e.pcb !== null) { udp_remove(e.pcb); e.pcb = null; }
    const maxTtl = this.stack.core.config.DNS_MAX_TTL;
    if (addr !== 0 && ttl > 0) {
      e.state = DONE;
      e.addr = addr;
      e.expires = this.stack.core.now + (ttl > maxTtl ? maxTtl : ttl) * 1000;
    } else {
      e.state = FREE;
    }
    if (addr === 0) this.stats.notFound++;
    const name = e.name;
    for (let i = 0; i < this.requests.length; i++) {
      const r = this.requests[i];
      if (r.entry !== e) continue;
      const cb = r.cb;
      const arg = r.arg;
      r.entry = null; r.cb = null; r.arg = null;
      if (cb !== null) cb(name, addr, arg);
    }
  }

  /** A datagram on a query's port. Owns `p`. */
  input(e: DnsEntry, p: Pbuf, src: number, port: number): void {
    const st = this.stats;
    st.recv++;
    const b = p.buf;
    const m = p.off;
    const end = p.off + p.len;
    let why = 0;
    if (e.state !== ASKING || src !== this.stack.dnsServers[e.server] || port !== DNS_PORT) why = 1;
    else if (p.next !== null || p.len < DNS_HLEN) why = 2;
    else if (dnsId(b, m) !== e.id) why = 3;
    else if ((dnsFlags(b, m) & DNS_FLAG_QR) === 0 || ((dnsFlags(b, m) >>> 11) & 15) !== 0 || dnsQdCount(b, m) !== 1) why = 4;
    if (why === 0) {
      const qEnd = dnsSkipName(b, m, m + DNS_HLEN, end);
      if (qEnd < 0 || qEnd + 4 > end) why = 2;
      else if (!dnsNameEquals(b, m, m + DNS_HLEN, end, e.qname, e.qlen, this.scratch)
        || dnsRd16(b, qEnd) !== DNS_TYPE_A || dnsRd16(b, qEnd + 2) !== DNS_CLASS_IN) why = 4;
      else this.answer(e, b, m, qEnd + 4, end);
    }
    if (why === 1) st.badSource++;
    else if (why === 2) st.malformed++;
    else if (why === 3) st.badId++;
    else if (why === 4) st.badQuestion++;
    if (why !== 0) st.drop++;
    pbuf_free(p);
  }

  /** A response that matches the query: follow CNAMEs from the question to an A record. */
  private answer(e: DnsEntry, b: Uint8Array, m: number, ans: number, end: number): void {
    const st = this.stats;
    const now = this.stack.core.now;
    const flags = dnsFlags(b, m);
    if ((flags & DNS_FLAG_TC) !== 0) { st.truncated++; st.drop++; this.nextServer(e, now); return; }
    const rcode = flags & 15;
    if (rcode === DNS_RCODE_NXDOMAIN) { this.finish(e, 0, 0); return; }
    if (rcode !== 0) { this.nextServer(e, now); return; }
    const n = dnsAnCount(b, m);
    // first pass: every record must be well-formed (a truncated answer section is refused whole)
    let i = ans;
    for (let k = 0; k < n; k++) {
      i = dnsSkipName(b, m, i, end);
      if (i >= 0) i = dnsReadRr(b, i, end, this.rr);
      if (i < 0) { st.malformed++; st.drop++; this.nextServer(e, now); return; }
    }
    let cur = -1; // -1: the question's name; else the offset of the current alias target
    let ttl = 0x7fffffff;
    for (let link = 0; link <= MAX_CHAIN; link++) {
      let next = -2;
      i = ans;
      for (let k = 0; k < n; k++) {
        const nameAt = i;
        i = dnsReadRr(b, dnsSkipName(b, m, i, end), end, this.rr);
        const rr = this.rr;
        if (rr.cls !== DNS_CLASS_IN) continue;
        const match = cur < 0 ? dnsNameEquals(b, m, nameAt, end, e.qname, e.qlen, this.scratch)
          : dnsNamesEqual(b, m, nameAt, cur, end, this.scratch, this.scratch2);
        if (!match) continue;
        if (rr.type === DNS_TYPE_A && rr.rdlen === 4) {
          const t = rr.ttl < ttl ? rr.ttl : ttl;
          this.finish(e, dnsRd32(b, rr.rdata), t > 0x7fffffff ? 0x7fffffff : t);
          return;
        }
        if (rr.type === DNS_TYPE_CNAME && next === -2 && dnsNameLen(b, m, rr.rdata, rr.rdata + rr.rdlen) > 0) {
          next = rr.rdata;
          if (rr.ttl < ttl) ttl = rr.ttl;
        }
      }
      if (next === -2) break;
      cur = next;
    }
    // no address for the name (NODATA, or an alias chain too long): not found
    this.finish(e, 0, 0);
  }
}

function dnsRecv(arg: unknown, _pcb: UdpPcb, p: Pbuf, addr: number, port: number): void {
  const e = arg as DnsEntry;
  e.resolver.input(e, p, addr, port);
}
