/**
 * Multicast DNS responder (RFC 6762) for one name: HOSTNAME.local → our IPv4 address, so that
 * `ping xs-tcp.local` works from a PC running Avahi or Bonjour.
 *
 * - Probing (§8.1): three probes 250 ms apart (after a random 0-250 ms wait) ask for the name with
 *   our record in the authority section; an answer from another host means the name is taken:
 *   rename to NAME-2, NAME-3 ... and probe again. Simultaneous probes are tie-broken (§8.2): the
 *   lexicographically later address wins, the loser waits 1 s and probes again.
 * - Announcing (§8.3): two unsolicited responses 1 s apart, on start-up, link-up and address change.
 * - Answering: A (or ANY) questions for the name. Multicast at most once per second (§6), except to
 *   defend against a probe (§8.1 probes are always answered); QU questions (§5.4) and legacy
 *   unicast queries from a port other than 5353 (§6.7, with the id and question echoed, TTL 10)
 *   are answered by unicast.
 * - Conflicts after announcing (§9): a response claiming the name with another address starts
 *   probing again (which then renames). Fifteen conflicts in ten seconds slow probing to one every
 *   5 s (§8.1).
 */
import type { Stack, StackApp } from '../../api/stack.js';
import type { Err } from '../../core/err.js';
import { ERR_OK, ERR_MEM, ERR_ARG } from '../../core/err.js';
import type { Pbuf } from '../../core/pbuf.js';
import { PBUF_TRANSPORT, pbuf_free } from '../../core/pbuf.js';
import { udp_new, udp_bind, udp_recv, udp_sendto, udp_remove, udp_set_ttl, type UdpPcb } from '../../api/udp_api.js';
import {
  DNS_HLEN, DNS_TYPE_A, DNS_TYPE_ANY, DNS_CLASS_IN, DNS_FLAG_QR, DNS_FLAG_AA, DnsRr, dnsId, dnsFlags, dnsQdCount,
  dnsAnCount, dnsNsCount, dnsWriteHeader, dnsWriteQuestion, dnsWriteA, dnsSkipName, dnsNameEquals,
  dnsEncodeName, dnsReadRr, dnsRd16, dnsRd32,
} from '../../wire/dns.js';

export const MDNS_PORT = 5353;
/** 224.0.0.251 (RFC 6762 §3). */
export const MDNS_GROUP = 0xe00000fb;
const CLASS_FLUSH = 0x8000;
const QU_BIT = 0x8000;
/** §10: 120 s for records with the host name. */
const TTL_HOST = 120;
/** §6.7: legacy unicast answers carry a TTL of at most 10 s. */
const TTL_LEGACY = 10;
const PROBE_INTERVAL = 250;
const ANNOUNCE_INTERVAL = 1000;
const RATE_LIMIT_MS = 1000;
/** Unicast answers (QU, legacy) per second: §6 limits multicast only, this bounds what a flood of
 *  queries can make us send. */
const UNICAST_PER_SECOND = 8;
const LOSE_WAIT_MS = 1000;
const CONFLICT_BURST = 15;
const CONFLICT_WINDOW_MS = 10000;
const CONFLICT_SLOW_MS = 5000;
/** Records inspected per message (a bound on the work a hostile packet can ask for). */
const MAX_RECORDS = 32;

export const MDNS_OFF = 0;
export const MDNS_WAITING = 1;
export const MDNS_PROBING = 2;
export const MDNS_ANNOUNCING = 3;
export const MDNS_RUNNING = 4;
export const MDNS_STATE_NAMES = ['OFF', 'WAITING', 'PROBING', 'ANNOUNCING', 'RUNNING'];

export class MdnsStats {
  recv = 0;
  xmit = 0;
  drop = 0;
  /** Malformed messages (bad names, records past the end). */
  malformed = 0;
  queries = 0;
  answered = 0;
  /** Multicast answers held back by the one-per-second rule (§6). */
  rateLimited = 0;
  probes = 0;
  announcements = 0;
  conflicts = 0;
  renames = 0;
  lostTieBreaks = 0;
}

export class MdnsResponder implements StackApp {
  readonly appName = 'mdns';
  readonly stack: Stack;
  readonly stats = new MdnsStats();
  state = MDNS_OFF;
  /** The name without '.local' (may change on a conflict). */
  name = '';
  private baseName = '';
  private renameCount = 1;
  private pcb: UdpPcb | null = null;
  private readonly wireName = new Uint8Array(80);
  private readonly scratch = new Uint8Array(256);
  private nlen = 0;
  private deadline = 0;
  private sent = 0;
  private lastMulticast = -RATE_LIMIT_MS;
  private unicastWindow = 0;
  private unicastSent = 0;
  private conflictWindow = 0;
  private conflictsInWindow = 0;
  private readonly rr = new DnsRr();
  /** Called when the name changes after a conflict. */
  onRename: ((name: string) => void) | null = null;

  constructor(stack: Stack) {
    this.stack = stack;
  }

  /** Starts answering for `name`.local (default: the stack's hostname). */
  start(name?: string): Err {
    const n = name ?? this.stack.hostname;
    if (!this.setName(n)) return ERR_ARG;
    this.baseName = n;
    this.renameCount = 1;
    if (this.pcb === null) {
      const pcb = udp_new(this.stack);
      if (pcb === null) return ERR_MEM;
      const e = udp_bind(pcb, 0, MDNS_PORT);
      if (e !== ERR_OK) { udp_remove(pcb); return e; }
      udp_set_ttl(pcb, 255);
      udp_recv(pcb, mdnsRecv, this);
      this.pcb = pcb;
      const j = this.stack.netif.setGroup(MDNS_GROUP, true);
      if (j !== ERR_OK) { udp_remove(pcb); this.pcb = null; return j; }
    }
    this.stack.addApp(this);
    this.stack.core.now = this.stack.hal.clock.now();
    this.restart(0);
    this.stack.core.wake();
    return ERR_OK;
  }

  stop(): Err {
    if (this.pcb !== null) {
      udp_remove(this.pcb);
      this.pcb = null;
      this.stack.netif.setGroup(MDNS_GROUP, false);
    }
    this.state = MDNS_OFF;
    return ERR_OK;
  }

  get stateName(): string {
    return MDNS_STATE_NAMES[this.state];
  }

  private setName(n: string): boolean {
    const len = dnsEncodeName(n + '.local', this.wireName);
    if (len < 0 || n.indexOf('.') >= 0) return false;
    this.nlen = len;
    this.name = n;
    return true;
  }

  /** Probing again after `delay` ms, or waiting for an address and a link. */
  private restart(delay: number): void {
    if (this.state === MDNS_OFF && this.pcb === null) return;
    const nif = this.stack.netif;
    if (!nif.up || nif.ip === 0) { this.state = MDNS_WAITING; return; }
    this.state = MDNS_PROBING;
    this.sent = 0;
    const now = this.stack.core.now;
    if (now - this.conflictWindow > CONFLICT_WINDOW_MS) { this.conflictWindow = now; this.conflictsInWindow = 0; }
    if (this.conflictsInWindow >= CONFLICT_BURST && delay < CONFLICT_SLOW_MS) delay = CONFLICT_SLOW_MS;
    this.deadline = now + delay + (this.stack.core.random.nextU32() % (PROBE_INTERVAL + 1));
  }

  // --- StackApp ---------------------------------------------------------------------------------

  linkChanged(up: boolean): void {
    if (this.pcb === null) return;
    if (up) this.restart(0); else this.state = MDNS_WAITING;
  }

  addressChanged(_oldIp: number): void {
    if (this.pcb !== null) this.restart(0);
  }

  nextDeadline(): number {
    return this.state === MDNS_PROBING || this.state === MDNS_ANNOUNCING ? this.deadline : -1;
  }

  tick(now: number): void {
    const s = this.state;
    if ((s !== MDNS_PROBING && s !== MDNS_ANNOUNCING) || now - this.deadline < 0) return;
    if (s === MDNS_PROBING) {
      if (this.sent < 3) {
        this.sendProbe();
        this.sent++;
        this.deadline = now + PROBE_INTERVAL;
        return;
      }
      // §8.1: no conflict 250 ms after the third probe: the name is ours
      this.state = MDNS_ANNOUNCING;
      this.sent = 0;
    }
    this.sendAnswer(0, MDNS_GROUP, MDNS_PORT, false);
    this.stats.announcements++;
    this.lastMulticast = now;
    this.sent++;
    if (this.sent >= 2) this.state = MDNS_RUNNING;
    else this.deadline = now + ANNOUNCE_INTERVAL;
  }

  // --- receive -------------------------------------------------------------------------------------

  /** A datagram on port 5353 (multicast or unicast). Owns `p`. */
  input(p: Pbuf, src: number, port: number): void {
    const st = this.stats;
    st.recv++;
    if (p.next !== null || p.len < DNS_HLEN || this.state === MDNS_OFF || this.state === MDNS_WAITING
      || src === this.stack.netif.ip) {
      st.drop++;
      pbuf_free(p);
      return;
    }
    const b = p.buf;
    const m = p.off;
    const end = m + p.len;
    const flags = dnsFlags(b, m);
    if (((flags >>> 11) & 15) !== 0) { st.drop++; pbuf_free(p); return; }
    if ((flags & DNS_FLAG_QR) !== 0) this.response(b, m, end);
    else this.query(b, m, end, src, port);
    pbuf_free(p);
  }

  private query(b: Uint8Array, m: number, end: number, src: number, port: number): void {
    const st = this.stats;
    st.queries++;
    const qd = dnsQdCount(b, m);
    let i = m + DNS_HLEN;
    let ask = false;
    let qu = false;
    for (let k = 0; k < qd && k < MAX_RECORDS; k++) {
      const at = i;
      i = dnsSkipName(b, m, i, end);
      if (i < 0 || i + 4 > end) { st.malformed++; st.drop++; return; }
      const type = dnsRd16(b, i);
      const cls = dnsRd16(b, i + 2);
      i += 4;
      if ((type === DNS_TYPE_A || type === DNS_TYPE_ANY) && (cls & 0x7fff) === DNS_CLASS_IN
        && dnsNameEquals(b, m, at, end, this.wireName, this.nlen, this.scratch)) {
        ask = true;
        if ((cls & QU_BIT) !== 0) qu = true;
      }
    }
    // a probe (§8.2): the authority section carries the prober's proposed records
    const ns = dnsNsCount(b, m);
    let probe = false;
    if (ask && ns > 0) {
      let j = i;
      for (let k = 0; k < dnsAnCount(b, m) + ns && k < MAX_RECORDS; k++) {
        const at = j;
        j = dnsSkipName(b, m, j, end);
        if (j >= 0) j = dnsReadRr(b, j, end, this.rr);
        if (j < 0) { st.malformed++; st.drop++; return; }
        const rr = this.rr;
        if (k >= dnsAnCount(b, m) && rr.type === DNS_TYPE_A && rr.rdlen === 4
          && dnsNameEquals(b, m, at, end, this.wireName, this.nlen, this.scratch)) {
          probe = true;
          if (this.state === MDNS_PROBING) this.tieBreak(dnsRd32(b, rr.rdata));
        }
      }
    }
    if (!ask || this.state === MDNS_PROBING) return;
    const now = this.stack.core.now;
    if (port !== MDNS_PORT || (qu && !probe)) {
      if (now - this.unicastWindow >= RATE_LIMIT_MS) { this.unicastWindow = now; this.unicastSent = 0; }
      if (this.unicastSent >= UNICAST_PER_SECOND) { st.rateLimited++; return; }
      this.unicastSent++;
    }
    if (port !== MDNS_PORT) {
      // §6.7 legacy unicast: a plain DNS resolver asking 224.0.0.251 from its own port
      this.sendAnswer(dnsId(b, m), src, port, true);
      st.answered++;
      return;
    }
    if (qu && !probe) {
      this.sendAnswer(0, src, port, false);
      st.answered++;
      return;
    }
    if (!probe && now - this.lastMulticast < RATE_LIMIT_MS) { st.rateLimited++; return; }
    this.lastMulticast = now;
    this.sendAnswer(0, MDNS_GROUP, MDNS_PORT, false);
    st.answered++;
  }

  /** §8.2: simultaneous probes: the greater address wins; if theirs, wait a second and retry. */
  private tieBreak(theirs: number): void {
    const ours = this.stack.netif.ip;
    if ((theirs >>> 0) > (ours >>> 0)) {
      this.stats.lostTieBreaks++;
      this.restart(LOSE_WAIT_MS);
    }
  }

  private response(b: Uint8Array, m: number, end: number): void {
    const st = this.stats;
    let i = m + DNS_HLEN;
    const qd = dnsQdCount(b, m);
    for (let k = 0; k < qd && k < MAX_RECORDS; k++) {
      i = dnsSkipName(b, m, i, end);
      if (i < 0 || i + 4 > end) { st.malformed++; st.drop++; return; }
      i += 4;
    }
    const n = dnsAnCount(b, m) + dnsNsCount(b, m) + dnsRd16(b, m + 10);
    for (let k = 0; k < n && k < MAX_RECORDS; k++) {
      const at = i;
      i = dnsSkipName(b, m, i, end);
      if (i >= 0) i = dnsReadRr(b, i, end, this.rr);
      if (i < 0) { st.malformed++; st.drop++; return; }
      const rr = this.rr;
      if (rr.type !== DNS_TYPE_A || (rr.cls & 0x7fff) !== DNS_CLASS_IN || rr.rdlen !== 4) continue;
      if (!dnsNameEquals(b, m, at, end, this.wireName, this.nlen, this.scratch)) continue;
      if (dnsRd32(b, rr.rdata) === this.stack.netif.ip) continue;
      this.conflict();
      return;
    }
  }

  /** Another host holds our name with another address. */
  private conflict(): void {
    const st = this.stats;
    st.conflicts++;
    this.conflictsInWindow++;
    if (this.state === MDNS_PROBING) {
      // §8.1 / §9: the name is taken: pick the next one and probe for it
      this.renameCount++;
      st.renames++;
      this.setName(this.baseName + '-' + this.renameCount);
      this.stack.hostname = this.name;
      if (this.onRename !== null) this.onRename(this.name);
    }
    this.restart(0);
  }

  // --- send ----------------------------------------------------------------------------------------

  private sendProbe(): void {
    const pcb = this.pcb;
    if (pcb === null) return;
    const core = this.stack.core;
    const p = core.pbufs.alloc(PBUF_TRANSPORT, DNS_HLEN + this.nlen * 2 + 18);
    if (p === null) return;
    const b = p.buf;
    dnsWriteHeader(b, p.off, 0, 0, 1, 0, 1, 0);
    let i = dnsWriteQuestion(b, p.off + DNS_HLEN, this.wireName, this.nlen, DNS_TYPE_ANY, DNS_CLASS_IN | QU_BIT);
    i = dnsWriteA(b, i, this.wireName, this.nlen, DNS_CLASS_IN, TTL_HOST, this.stack.netif.ip);
    if (udp_sendto(pcb, p, MDNS_GROUP, MDNS_PORT) === ERR_OK) { this.stats.xmit++; this.stats.probes++; }
    pbuf_free(p);
  }

  /** Our A record as a response; `legacy` echoes the id and the question (§6.7). */
  private sendAnswer(id: number, dst: number, port: number, legacy: boolean): void {
    const pcb = this.pcb;
    if (pcb === null) return;
    const p = this.stack.core.pbufs.alloc(PBUF_TRANSPORT, DNS_HLEN + this.nlen * 2 + 18);
    if (p === null) return;
    const b = p.buf;
    dnsWriteHeader(b, p.off, id, DNS_FLAG_QR | DNS_FLAG_AA, legacy ? 1 : 0, 1, 0, 0);
    let i = p.off + DNS_HLEN;
    if (legacy) i = dnsWriteQuestion(b, i, this.wireName, this.nlen, DNS_TYPE_A, DNS_CLASS_IN);
    i = dnsWriteA(b, i, this.wireName, this.nlen, legacy ? DNS_CLASS_IN : DNS_CLASS_IN | CLASS_FLUSH,
      legacy ? TTL_LEGACY : TTL_HOST, this.stack.netif.ip);
    if (udp_sendto(pcb, p, dst, port) === ERR_OK) this.stats.xmit++;
    pbuf_free(p);
  }
}

function mdnsRecv(arg: unknown, _pcb: UdpPcb, p: Pbuf, addr: number, port: number): void {
  (arg as MdnsResponder).input(p, addr, port);
}

/** The stack's responder, created on first use. */
export function mdns_responder(stack: Stack): MdnsResponder {
  const a = stack.app('mdns');
  if (a !== null) return a as MdnsResponder;
  const r = new MdnsResponder(stack);
  stack.addApp(r);
  return r;
}

/** Starts answering for NAME.local (default: the stack's hostname). ERR_ARG for a bad name. */
export function mdns_start(stack: Stack, name?: string): Err {
  return mdns_responder(stack).start(name);
}

export function mdns_stop(stack: Stack): Err {
  const a = stack.app('mdns');
  return a === null ? ERR_ARG : (a as MdnsResponder).stop();
}
