/**
 * Attackers on a hostile LAN, and the honest hosts they compete with, as test-side endpoints on the
 * mock wire. Each is a RawEndpoint driven from MockNet.onStep, seeded where it picks anything, so a
 * robustness scenario replays bit for bit on Node and on XS (only ECMAScript here: no node:*).
 *
 *  - Host: an honest host (answers ARP for its address and pings), which may fall silent or move.
 *  - SynFlood: spoofed SYNs from addresses nobody owns (or that the attacker answers ARP for).
 *  - ArpPoisoner: unsolicited ARP replies (or requests, or gratuitous ARPs) claiming a victim address.
 *  - RawTcpPeer: one TCP connection played by hand, with the misbehaviours of the attacks:
 *    1-byte out-of-order segments, a reader that never reads (window closes and stays shut), a peer
 *    that vanishes, a zero-window prober (every probe answered with window 0).
 *  - UdpSprayer: datagrams to closed ports from spoofed sources (ICMP reflection).
 *
 * Allocation is fine here: this is the test harness.
 */
import type { MockNet } from '../../tools/mocknet.js';
import type { RawEndpoint } from '../../hal/mock/wire.js';
import type { Stack } from '../../src/api/stack.js';
import { SeededRandom } from '../../src/core/random.js';
import { buildTcpFrame, decodeFrame, type Segment } from '../../tools/rawpeer.js';
import { BCAST, arp, eth, ipv4, icmpEcho, udp, get16, get32 } from '../helpers/frames.js';

export const F_FIN = 0x01;
export const F_SYN = 0x02;
export const F_RST = 0x04;
export const F_PSH = 0x08;
export const F_ACK = 0x10;

const ZERO_MAC = new Uint8Array(6);

function isArpRequestFor(f: Uint8Array, ip: number): boolean {
  return f.length >= 42 && get16(f, 12) === 0x0806 && get16(f, 20) === 1 && get32(f, 38) === ip;
}

/** An honest host: answers ARP requests for `ip` and echo requests to it; counts echo replies it gets. */
export class Host {
  readonly ep: RawEndpoint;
  /** Answers nothing while false (a host that vanished). */
  alive = true;
  echoRepliesIn = 0;
  arpRequestsIn = 0;

  constructor(readonly net: MockNet, readonly ip: number, mac: string, name: string) {
    this.ep = net.addRaw(mac, name);
    this.ep.keep = false;
    this.ep.onFrame((f) => this.input(f));
  }

  private input(f: Uint8Array): void {
    if (!this.alive) return;
    if (isArpRequestFor(f, this.ip)) {
      this.arpRequestsIn++;
      const sha = f.slice(22, 28);
      this.ep.send(eth(sha, this.ep.mac, 0x0806, arp(2, this.ep.mac, this.ip, sha, get32(f, 28))));
      return;
    }
    if (f.length < 42 || get16(f, 12) !== 0x0800 || f[23] !== 1 || get32(f, 30) !== this.ip) return;
    const ihl = (f[14] & 15) * 4;
    const t = 14 + ihl;
    if (f[t] === 0) { this.echoRepliesIn++; return; }
    if (f[t] !== 8) return;
    const data = f.slice(t + 8, 14 + get16(f, 16));
    const reply = icmpEcho(0, get16(f, t + 4), get16(f, t + 6), data);
    this.ep.send(eth(f.slice(6, 12), this.ep.mac, 0x0800, ipv4({ src: this.ip, dst: get32(f, 26), proto: 1 }, reply)));
  }

  /** A gratuitous ARP (RFC 5227 §2.3 announcement) for our address. */
  announce(): void {
    this.ep.send(eth(BCAST, this.ep.mac, 0x0806, arp(1, this.ep.mac, this.ip, ZERO_MAC, this.ip)));
  }

  /** An echo request to `dst` (whose MAC is `dstMac`), from our address or a spoofed `src`. */
  ping(dst: number, dstMac: Uint8Array, seq: number, src = this.ip): void {
    this.ep.send(eth(dstMac, this.ep.mac, 0x0800, ipv4({ src, dst, proto: 1 }, icmpEcho(8, 7, seq & 0xffff, new Uint8Array(16)))));
  }
}

export interface SynFloodOptions {
  /** SYNs per virtual millisecond. */
  perMs: number;
  /** SYNs in all. */
  count: number;
  /** Spoofed sources: `base` + a random host part below `span`. */
  srcBase: number;
  srcSpan: number;
  /** Answer ARP for every spoofed source (the SYN-ACKs then leave; nobody ACKs them). Default false. */
  answerArp?: boolean;
  seed?: number;
}

/** A flood of spoofed SYNs at `dstPort` of `target`. */
export class SynFlood {
  readonly ep: RawEndpoint;
  sent = 0;
  synAcksSeen = 0;
  private readonly rnd: SeededRandom;

  constructor(readonly net: MockNet, readonly target: Stack, readonly dstPort: number, readonly o: SynFloodOptions) {
    this.rnd = new SeededRandom(o.seed ?? 99);
    this.ep = net.addRaw('02:5f:00:00:00:01', 'synflood');
    this.ep.keep = false;
    this.ep.onFrame((f) => {
      if (f.length >= 42 && get16(f, 12) === 0x0806 && get16(f, 20) === 1 && this.o.answerArp) {
        const tpa = get32(f, 38);
        if (tpa !== target.netif.ip && ((tpa - o.srcBase) >>> 0) < o.srcSpan) {
          const sha = f.slice(22, 28);
          this.ep.send(eth(sha, this.ep.mac, 0x0806, arp(2, this.ep.mac, tpa, sha, get32(f, 28))));
        }
      }
      const d = decodeFrame(f);
      if (d.kind === 'tcp' && (d.seg.flags & (F_SYN | F_ACK)) === (F_SYN | F_ACK)) this.synAcksSeen++;
    });
    net.onStep(() => this.step());
  }

  get done(): boolean { return this.sent >= this.o.count; }

  private step(): void {
    for (let i = 0; i < this.o.perMs && this.sent < this.o.count; i++) {
      const src = (this.o.srcBase + (this.rnd.nextU32() % this.o.srcSpan)) >>> 0;
      this.ep.send(buildTcpFrame({
        dstMac: this.target.netif.mac, srcMac: this.ep.mac, srcIp: src, dstIp: this.target.netif.ip, ipId: this.sent & 0xffff,
        srcPort: 1024 + (this.rnd.nextU32() % 60000), dstPort: this.dstPort, seq: this.rnd.nextU32(), ack: 0, flags: F_SYN,
        win: 65535, urg: 0, options: [{ kind: 'mss', value: 1460 }], payloadLen: 0,
      }));
      this.sent++;
    }
  }
}

export interface PoisonOptions {
  /** Every this many ms. */
  intervalMs: number;
  /** 'reply': unsolicited reply to the board; 'request': a request for the board claiming the victim;
   *  'gratuitous': a broadcast announcement of the victim's address. */
  how: 'reply' | 'request' | 'gratuitous';
  /** Stop after this many. */
  count: number;
}

/** Claims `victimIp` for the attacker's own MAC, again and again. */
export class ArpPoisoner {
  readonly ep: RawEndpoint;
  sent = 0;
  private next = 0;

  constructor(readonly net: MockNet, readonly target: Stack, readonly victimIp: number, readonly o: PoisonOptions,
    mac = '02:ba:d0:00:00:01') {
    this.ep = net.addRaw(mac, 'poisoner-' + o.how);
    this.ep.keep = false;
    this.next = net.now;
    net.onStep((now) => this.step(now));
  }

  private step(now: number): void {
    if (this.sent >= this.o.count || now < this.next) return;
    this.next = now + this.o.intervalMs;
    this.sent++;
    const me = this.ep.mac;
    const t = this.target;
    if (this.o.how === 'reply') this.ep.send(eth(t.netif.mac, me, 0x0806, arp(2, me, this.victimIp, t.netif.mac, t.netif.ip)));
    else if (this.o.how === 'request') this.ep.send(eth(BCAST, me, 0x0806, arp(1, me, this.victimIp, ZERO_MAC, t.netif.ip)));
    else this.ep.send(eth(BCAST, me, 0x0806, arp(1, me, this.victimIp, ZERO_MAC, this.victimIp)));
  }
}

/** Datagrams to a closed UDP port from spoofed sources (ICMP port unreachable reflection). */
export class UdpSprayer {
  readonly ep: RawEndpoint;
  sent = 0;
  icmpSeen = 0;
  private readonly rnd: SeededRandom;

  constructor(readonly net: MockNet, readonly target: Stack, readonly o: { perMs: number; count: number; srcBase: number; srcSpan: number; seed?: number }) {
    this.rnd = new SeededRandom(o.seed ?? 7);
    this.ep = net.addRaw('02:5f:00:00:00:02', 'udpspray');
    this.ep.keep = false;
    // answers ARP for every spoofed source, so that ARP is not what limits the reflection
    this.ep.onFrame((f) => {
      if (f.length >= 42 && get16(f, 12) === 0x0806 && get16(f, 20) === 1) {
        const tpa = get32(f, 38);
        if (((tpa - o.srcBase) >>> 0) < o.srcSpan) {
          const sha = f.slice(22, 28);
          this.ep.send(eth(sha, this.ep.mac, 0x0806, arp(2, this.ep.mac, tpa, sha, get32(f, 28))));
        }
      } else if (f.length >= 34 && get16(f, 12) === 0x0800 && f[23] === 1) {
        this.icmpSeen++;
      }
    });
    net.onStep(() => this.step());
  }

  private step(): void {
    for (let i = 0; i < this.o.perMs && this.sent < this.o.count; i++) {
      const src = (this.o.srcBase + (this.rnd.nextU32() % this.o.srcSpan)) >>> 0;
      const dst = this.target.netif.ip;
      this.ep.send(eth(this.target.netif.mac, this.ep.mac, 0x0800,
        ipv4({ src, dst, proto: 17, id: this.sent & 0xffff }, udp(src, dst, 40000, 33434 + (this.sent & 63), new Uint8Array(12)))));
      this.sent++;
    }
  }
}

export interface RawTcpOptions {
  /** Window we announce. Default 65535. */
  win?: number;
  /** ACK the board's data as it comes. Default true. */
  ackData?: boolean;
  /** Answer window probes (and everything else) with window 0 for ever. Default false. */
  zeroWindow?: boolean;
  isn?: number;
}

/**
 * One TCP connection to `target`:`port`, played by hand from `ip`/`mac`: a three-way handshake,
 * then whatever the scenario asks (data, out-of-order bytes, silence). It answers ARP for `ip`.
 */
export class RawTcpPeer {
  readonly ep: RawEndpoint;
  /** Our next sequence number and what we acknowledge (the board's next byte). */
  sndNxt: number;
  rcvNxt = 0;
  established = false;
  reset = false;
  /** Every segment the board sent us. */
  readonly segs: Segment[] = [];
  bytesIn = 0;
  /** Respond to nothing any more (a peer that vanished). */
  vanished = false;
  readonly sport: number;
  private readonly o: RawTcpOptions;

  constructor(readonly net: MockNet, readonly target: Stack, readonly port: number, readonly ip: number, mac: string,
    sport: number, o: RawTcpOptions = {}) {
    this.o = o;
    this.sport = sport;
    this.sndNxt = (o.isn ?? 1000) >>> 0;
    this.ep = net.addRaw(mac, 'tcp' + sport);
    this.ep.keep = false;
    this.ep.onFrame((f) => this.input(f));
  }

  get win(): number { return this.o.zeroWindow ? 0 : this.o.win ?? 65535; }

  /** Sends an ARP request for the board, then our SYN (the handshake completes as the board
   *  answers), again every second until it does, 5 times at most, as a client would. */
  connect(): void {
    // a real host asks for the board's MAC first (and so the board learns ours, RFC 826)
    const t = this.target.netif;
    this.ep.send(eth(BCAST, this.ep.mac, 0x0806, arp(1, this.ep.mac, this.ip, ZERO_MAC, t.ip)));
    const isn = this.sndNxt;
    this.send(F_SYN, isn, 0, 0);
    this.sndNxt = (isn + 1) >>> 0;
    let tries = 1;
    let next = this.net.now + 1000;
    this.net.onStep((now) => {
      if (this.established || this.reset || this.vanished || tries > 5 || now < next) return;
      tries++;
      next = now + 1000;
      this.send(F_SYN, isn, 0, 0);
    });
  }

  send(flags: number, seq: number, ack: number, len: number, win = this.win): void {
    this.ep.send(buildTcpFrame({
      dstMac: this.target.netif.mac, srcMac: this.ep.mac, srcIp: this.ip, dstIp: this.target.netif.ip, ipId: 1,
      srcPort: this.sport, dstPort: this.port, seq, ack, flags, win, urg: 0,
      options: (flags & F_SYN) !== 0 ? [{ kind: 'mss', value: 1460 }] : [], payloadLen: len,
    }));
  }

  /** `len` bytes of data at our next sequence number. */
  write(len: number): void {
    this.send(F_ACK | F_PSH, this.sndNxt, this.rcvNxt, len);
    this.sndNxt = (this.sndNxt + len) >>> 0;
  }

  /** A 1-byte segment `gap` bytes past our next sequence number (out of order: the hole is never filled). */
  writeOutOfOrder(gap: number): void {
    this.send(F_ACK | F_PSH, (this.sndNxt + gap) >>> 0, this.rcvNxt, 1);
  }

  private input(f: Uint8Array): void {
    if (isArpRequestFor(f, this.ip)) {
      if (this.vanished) return;
      const sha = f.slice(22, 28);
      this.ep.send(eth(sha, this.ep.mac, 0x0806, arp(2, this.ep.mac, this.ip, sha, get32(f, 28))));
      return;
    }
    const d = decodeFrame(f);
    if (d.kind !== 'tcp') return;
    const s = d.seg;
    if (s.dstIp !== this.ip || s.dstPort !== this.sport || s.srcPort !== this.port) return;
    this.segs.push(s);
    if (this.vanished) return;
    if ((s.flags & F_RST) !== 0) { this.reset = true; this.established = false; return; }
    if ((s.flags & F_SYN) !== 0 && (s.flags & F_ACK) !== 0) {
      this.rcvNxt = (s.seq + 1) >>> 0;
      this.established = true;
      this.send(F_ACK, this.sndNxt, this.rcvNxt, 0);
      return;
    }
    const len = s.payload.length + ((s.flags & F_FIN) !== 0 ? 1 : 0);
    if (this.o.zeroWindow && (len > 0 || s.seq !== this.rcvNxt)) {
      // data we cannot take, or a window probe (Linux-style, at SND.UNA - 1 with no data):
      // acknowledge what we have, the window still 0
      this.send(F_ACK, this.sndNxt, this.rcvNxt, 0, 0);
      return;
    }
    if (len === 0) return;
    if (this.o.ackData === false) return;
    if (s.seq === this.rcvNxt) {
      this.rcvNxt = (this.rcvNxt + len) >>> 0;
      this.bytesIn += s.payload.length;
    }
    this.send(F_ACK, this.sndNxt, this.rcvNxt, 0);
  }
}
