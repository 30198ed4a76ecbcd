/**
 * `npm run fuzz -- --frames N [--seed S] [--json]`: throws N random, mutated and checksum-fixed
 * frames at a stack that has live connections, on the mock HAL, and checks that nothing throws and
 * that every pool of both stacks is back to full once the traffic has been wound down.
 *
 * The stack under test ("board") runs the board configuration (32 pool pbufs, 8 pcbs, backlog 4)
 * with the echo, discard and chargen services and a UDP socket; a second stack ("peer") keeps
 * connections to them busy, and the board keeps one of its own to the peer's echo service, all of
 * them closed and reopened as they finish or die. A promiscuous raw port sniffs the live segments so
 * that forged TCP segments and ICMP errors carry real 4-tuples and sequence numbers near the live
 * ones, reaching the deep paths (in-window RSTs, SYNs on synchronized connections, data beyond the
 * window, ICMP errors quoting live segments) and not only the first checks.
 *
 * Every layer gets frames: Ethernet (random types and lengths), ARP (valid and mangled, spoofed
 * senders, our own address), IPv4 (options, fragments of a few datagram ids so reassembly really
 * runs, wrong lengths, every protocol number), ICMP (echo, and errors quoting live TCP and UDP
 * headers), UDP (open and closed ports), TCP (every flag mix, valid and broken options, payloads).
 * Each frame may then have a few bytes flipped; its checksums are then fixed (most of the time) so
 * that it passes the cheap checks and reaches the protocol logic.
 *
 * Deterministic: the same --seed gives the same frames and the same summary. Host tooling:
 * allocation is fine here. `runFuzz` is also called by test/robustness/fuzz.test.ts (50,000 frames).
 */
import { MockNet } from './mocknet.js';
import type { RawEndpoint } from '../hal/mock/wire.js';
import type { Stack } from '../src/api/stack.js';
import type { StackConfig } from '../src/core/config.js';
import { SeededRandom } from '../src/core/random.js';
import { ERR_OK, type Err } from '../src/core/err.js';
import { pbuf_free, type Pbuf } from '../src/core/pbuf.js';
import { inet_chksum, pseudoHeaderSum, chksumAdd, chksumFinish } from '../src/core/checksum.js';
import { ip4FromString } from '../src/core/ip4addr.js';
import {
  tcp_new, tcp_connect, tcp_write, tcp_output, tcp_recv, tcp_recved, tcp_err, tcp_sent, tcp_close, tcp_abort,
  tcp_sndbuf, TCP_WRITE_FLAG_COPY, type TcpPcb,
} from '../src/api/tcp_api.js';
import { udp_new, udp_bind, udp_recv, udp_remove } from '../src/api/udp_api.js';
import { startEcho, startDiscard, startChargen, type ServiceHandle } from '../src/apps/index.js';

/** The board configuration (manifests/esp32/main.js, Moddable's lwIP defaults), short MSL for the drain. */
export const FUZZ_BOARD_CONFIG: Partial<StackConfig> = {
  PBUF_POOL_SIZE: 32, MEMP_NUM_TCP_PCB: 8, TCP_DEFAULT_LISTEN_BACKLOG: 4, TCP_MSL: 1000,
};

export interface FuzzOptions {
  frames: number;
  seed?: number;
  /** Frames injected per virtual millisecond. Default 4. */
  perMs?: number;
  /** Longest virtual time the wind-down may take before pools count as leaked, ms. Default 1,200,000. */
  drainMs?: number;
}

export interface FuzzResult {
  frames: number;
  seed: number;
  /** Frames by generator. */
  kinds: Record<string, number>;
  /** Frames that had bytes flipped after building; frames whose checksums were left wrong. */
  mutated: number;
  badChecksums: number;
  /** Exceptions thrown by the stacks (must be 0), and the first one with its frame in hex. */
  throws: number;
  firstThrow: string;
  /** Pools not back to full at the end (must be empty). */
  leaks: string[];
  /** Connections the live clients completed and restarted during the run. */
  reconnects: number;
  /** Application bytes the live clients got back. */
  liveBytes: number;
  /** Virtual time of the fuzzing phase and of the wind-down, ms. */
  virtualMs: number;
  drainMs: number;
  /** Wall time, ms, and frames per wall second. */
  wallMs: number;
  framesPerSec: number;
  /** Board counters: drops and errors by layer. */
  boardDrops: Record<string, number>;
}

const BOARD_IP = '10.9.0.1';
const PEER_IP = '10.9.0.2';
const UDP_PORT = 5000;
const KINDS = ['eth', 'arp', 'ipv4', 'icmp', 'udp', 'tcp-live', 'tcp-any'] as const;

/** A raw-API client that keeps one connection busy: writes, reads, closes after `budget` bytes, reopens. */
class LiveClient {
  pcb: TcpPcb | null = null;
  active = true;
  reconnects = 0;
  bytesIn = 0;
  private written = 0;
  private got = 0;
  private reopenAt = 0;
  private readonly buf = new Uint8Array(1024);

  constructor(readonly stack: Stack, readonly dst: string, readonly port: number, readonly budget: number) {
    for (let i = 0; i < this.buf.length; i++) this.buf[i] = (i * 7) & 0xff;
  }

  step(now: number): void {
    if (this.pcb === null) {
      if (this.active && now >= this.reopenAt) this.open();
      return;
    }
    this.pump();
  }

  private open(): void {
    const pcb = tcp_new(this.stack);
    if (pcb === null) { this.reopenAt += 50; return; }
    this.pcb = pcb;
    this.written = 0;
    this.got = 0;
    tcp_recv(pcb, (_a, p: TcpPcb, q: Pbuf | null): Err => {
      if (q === null) { this.finish(true); return ERR_OK; }
      this.bytesIn += q.totLen;
      this.got += q.totLen;
      tcp_recved(p, q.totLen);
      pbuf_free(q);
      return ERR_OK;
    });
    tcp_sent(pcb, () => ERR_OK);
    tcp_err(pcb, () => { this.pcb = null; this.lost(); });
    if (tcp_connect(pcb, this.dst, this.port, () => ERR_OK) !== ERR_OK) {
      tcp_abort(pcb);
      this.pcb = null;
      this.lost();
    }
  }

  private pump(): void {
    const pcb = this.pcb as TcpPcb;
    if (this.written >= this.budget) {
      // echo: close once our bytes are back (forged segments may have eaten some: then on a timer)
      if (this.got >= this.budget || this.stack.core.now - this.reopenAt > 5000) this.finish(true);
      return;
    }
    const room = tcp_sndbuf(pcb);
    if (room <= 0) return;
    const n = room < this.buf.length ? room : this.buf.length;
    if (tcp_write(pcb, this.buf, n, TCP_WRITE_FLAG_COPY) === ERR_OK) {
      this.written += n;
      tcp_output(pcb);
      if (this.written >= this.budget) {
        this.reopenAt = this.stack.core.now;
        this.finish(false);
      }
    }
  }

  private finish(peerDone: boolean): void {
    const pcb = this.pcb;
    if (pcb === null) return;
    if (!peerDone && this.port !== 9) return; // echo: wait for our bytes back; discard: close now
    this.pcb = null;
    if (tcp_close(pcb) !== ERR_OK) tcp_abort(pcb);
    this.reconnects++;
    this.reopenAt = this.stack.core.now + 20;
  }

  private lost(): void {
    this.reconnects++;
    this.reopenAt = this.stack.core.now + 20;
  }

  /** Stops for good: aborts the connection (a RST), reopens no more. */
  stop(): void {
    this.active = false;
    const pcb = this.pcb;
    this.pcb = null;
    if (pcb !== null) tcp_abort(pcb);
  }
}

/** A live segment seen on the wire, for forging neighbours of it. */
interface Seen { src: number; dst: number; sport: number; dport: number; seq: number; ack: number; fromPeer: boolean }

export class Fuzzer {
  readonly net: MockNet;
  readonly board: Stack;
  readonly peer: Stack;
  private readonly raw: RawEndpoint;
  private readonly rnd: SeededRandom;
  private readonly boardIp = ip4FromString(BOARD_IP);
  private readonly peerIp = ip4FromString(PEER_IP);
  private readonly seen: Seen[] = [];
  private readonly clients: LiveClient[] = [];
  private readonly services: ServiceHandle[] = [];
  private udpPcb: ReturnType<typeof udp_new> = null;
  private readonly kinds: Record<string, number> = {};
  mutated = 0;
  badChecksums = 0;
  private ipId = 1;

  constructor(seed: number) {
    this.rnd = new SeededRandom(seed ^ 0x5eed);
    this.net = new MockNet({ seed, slots: 4096 });
    this.board = this.net.addStack({ ip: BOARD_IP + '/24', name: 'board', config: FUZZ_BOARD_CONFIG });
    this.peer = this.net.addStack({ ip: PEER_IP + '/24', name: 'peer', config: { TCP_MSL: 1000 } });
    this.raw = this.net.addRaw('02:66:00:00:00:66', 'fuzzer');
    this.raw.promiscuous = true;
    this.raw.keep = false;
    this.raw.onFrame((f) => this.sniff(f));
    for (const k of KINDS) this.kinds[k] = 0;
    this.services.push(startEcho(this.board), startDiscard(this.board), startChargen(this.board), startEcho(this.peer));
    this.clients.push(new LiveClient(this.peer, BOARD_IP, 7, 20000), new LiveClient(this.peer, BOARD_IP, 7, 5000),
      new LiveClient(this.peer, BOARD_IP, 9, 30000), new LiveClient(this.board, PEER_IP, 7, 8000));
    const u = udp_new(this.board);
    udp_bind(u, 0, UDP_PORT);
    udp_recv(u, (_arg, _pcb, p) => { pbuf_free(p); });
    this.udpPcb = u;
    this.net.onStep((now) => { for (const c of this.clients) c.step(now); });
  }

  kindCounts(): Record<string, number> { return { ...this.kinds }; }
  reconnects(): number { let n = 0; for (const c of this.clients) n += c.reconnects; return n; }
  liveBytes(): number { let n = 0; for (const c of this.clients) n += c.bytesIn; return n; }

  private r(n: number): number { return Math.floor(this.rnd.nextFloat() * n); }
  private chance(p: number): boolean { return this.rnd.nextFloat() < p; }

  private sniff(f: Uint8Array): void {
    if (f.length < 54 || f[12] !== 0x08 || f[13] !== 0x00 || f[23] !== 6) return;
    const ihl = (f[14] & 15) * 4;
    const t = 14 + ihl;
    if (f.length < t + 20) return;
    const src = rd32(f, 26);
    const dst = rd32(f, 30);
    const fromPeer = src === this.peerIp && dst === this.boardIp;
    if (!fromPeer && !(src === this.boardIp && dst === this.peerIp)) return;
    const s: Seen = { src, dst, sport: rd16(f, t), dport: rd16(f, t + 2), seq: rd32(f, t + 4), ack: rd32(f, t + 8), fromPeer };
    if (this.seen.length >= 32) this.seen.splice(this.r(32), 1);
    this.seen.push(s);
  }

  /** Builds the next hostile frame. */
  next(): Uint8Array {
    const k = this.r(100);
    let f: Uint8Array;
    let kind: string;
    if (k < 6) { kind = 'eth'; f = this.ethFrame(); } else if (k < 16) { kind = 'arp'; f = this.arpFrame(); } else if (k < 30) { kind = 'ipv4'; f = this.ipFrame(); } else if (k < 42) { kind = 'icmp'; f = this.icmpFrame(); } else if (k < 52) { kind = 'udp'; f = this.udpFrame(); } else if (k < 85) { kind = 'tcp-live'; f = this.tcpFrame(true); } else { kind = 'tcp-any'; f = this.tcpFrame(false); }
    this.kinds[kind]++;
    if (this.chance(0.3)) {
      this.mutated++;
      const flips = 1 + this.r(3);
      for (let i = 0; i < flips && f.length > 14; i++) f[14 + this.r(f.length - 14)] ^= 1 << this.r(8);
    }
    if (this.chance(0.92)) fixChecksums(f); else this.badChecksums++;
    return f;
  }

  private boardMac(): Uint8Array { return this.chance(0.93) ? this.board.netif.mac : BCAST; }
  private srcMac(): Uint8Array { return this.chance(0.5) ? this.peer.netif.mac : this.raw.mac; }

  private randIp(): number {
    const k = this.r(10);
    if (k < 4) return this.peerIp;
    if (k < 7) return (this.boardIp & 0xffffff00) | this.r(256);
    if (k < 8) return this.boardIp;
    if (k < 9) return [0, 0xffffffff, 0xe0000001, 0x7f000001, 0x0a0900ff][this.r(5)] >>> 0;
    return this.rnd.nextU32();
  }

  private bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.r(256);
    return b;
  }

  private ethFrame(): Uint8Array {
    const f = this.bytes(this.r(1530));
    if (f.length >= 14) {
      f.set(this.boardMac(), 0);
      const t = [0x0800, 0x0806, 0x86dd, 0x8100, this.r(65536)][this.r(5)];
      f[12] = t >>> 8; f[13] = t & 0xff;
    }
    return f;
  }

  private arpFrame(): Uint8Array {
    const f = new Uint8Array(42 + (this.chance(0.2) ? this.r(30) : 0));
    const spa = this.randIp();
    // claims for the peer's address mostly carry its real MAC, so the live connections keep a way
    // through (the ARP defences are tested on their own in test/robustness)
    const sha = spa === this.peerIp && this.chance(0.95) ? this.peer.netif.mac : this.chance(0.9) ? this.srcMac() : this.bytes(6);
    f.set(this.boardMac(), 0); f.set(sha, 6); f[12] = 0x08; f[13] = 0x06;
    wr16(f, 14, this.chance(0.95) ? 1 : this.r(65536));
    wr16(f, 16, this.chance(0.95) ? 0x0800 : this.r(65536));
    f[18] = this.chance(0.95) ? 6 : this.r(256); f[19] = this.chance(0.95) ? 4 : this.r(256);
    wr16(f, 20, this.chance(0.9) ? 1 + this.r(2) : this.r(65536));
    f.set(sha, 22);
    wr32(f, 28, spa);
    f.set(this.chance(0.5) ? new Uint8Array(6) : this.bytes(6), 32);
    wr32(f, 38, this.chance(0.7) ? this.boardIp : this.chance(0.5) ? spa : this.randIp());
    if (f.length > 42 && this.chance(0.5)) return f.subarray(0, 14 + this.r(28)).slice();
    return f;
  }

  /** An IPv4 frame around `payload`: options, fragments, odd lengths, any protocol. */
  private ip(proto: number, payload: Uint8Array, src = this.randIp(), dst = this.boardIp, allowFrag = true): Uint8Array {
    const optLen = this.chance(0.15) ? 4 * (1 + this.r(10)) : 0;
    const ihl = 20 + optLen;
    const f = new Uint8Array(14 + ihl + payload.length);
    f.set(this.boardMac(), 0); f.set(this.srcMac(), 6); f[12] = 0x08; f[13] = 0x00;
    const o = 14;
    f[o] = 0x40 | (ihl >> 2);
    f[o + 1] = this.chance(0.9) ? 0 : this.r(256);
    let tot = ihl + payload.length;
    if (this.chance(0.05)) tot = this.r(65536);
    wr16(f, o + 2, tot);
    const id = allowFrag && this.chance(0.3) ? 1 + this.r(4) : (this.ipId++ & 0xffff);
    wr16(f, o + 4, id);
    if (allowFrag && this.chance(0.15)) {
      const mf = this.chance(0.6) ? 0x2000 : 0;
      wr16(f, o + 6, mf | (this.chance(0.3) ? 0 : this.r(1200)));
    } else {
      wr16(f, o + 6, this.chance(0.5) ? 0x4000 : 0);
    }
    f[o + 8] = this.chance(0.95) ? 64 : this.r(2);
    f[o + 9] = proto;
    wr32(f, o + 12, src); wr32(f, o + 16, dst);
    for (let i = 0; i < optLen; i++) {
      // NOP, EOL, record route, timestamp, a made-up option with a random length, or noise
      const c = this.r(6);
      f[o + 20 + i] = c === 0 ? 1 : c === 1 ? 0 : c === 2 ? 7 : c === 3 ? 68 : c === 4 ? 0x94 : this.r(256);
    }
    f.set(payload, o + ihl);
    return f;
  }

  private ipFrame(): Uint8Array {
    const proto = [1, 6, 17, 2, 47, 50, this.r(256)][this.r(7)];
    return this.ip(proto, this.bytes(this.r(this.chance(0.1) ? 1480 : 200)));
  }

  private icmpFrame(): Uint8Array {
    const k = this.r(4);
    if (k === 0) {
      const n = this.r(this.chance(0.1) ? 1472 : 64);
      const m = this.bytes(8 + n);
      m[0] = this.chance(0.8) ? 8 : 0; m[1] = 0;
      return this.ip(1, m);
    }
    // an error quoting one of our datagrams: a live TCP segment, our UDP port, or noise
    const type = [3, 11, 12, 4, 5, this.r(256)][this.r(6)];
    const quote = new Uint8Array(28 + (this.chance(0.3) ? this.r(40) : 0));
    quote[0] = 0x45; wr16(quote, 2, 40 + this.r(1460));
    const s = this.pickSeen(false);
    const useTcp = s !== null && this.chance(0.7);
    quote[9] = useTcp ? 6 : this.chance(0.5) ? 17 : this.r(256);
    wr32(quote, 12, this.chance(0.9) ? this.boardIp : this.randIp());
    wr32(quote, 16, useTcp ? s!.dst : this.randIp());
    if (useTcp) {
      wr16(quote, 20, s!.sport); wr16(quote, 22, s!.dport);
      wr32(quote, 24, (s!.seq + this.r(3000) - 1000) >>> 0);
    } else {
      wr16(quote, 20, this.chance(0.5) ? UDP_PORT : this.r(65536)); wr16(quote, 22, this.r(65536));
      wr32(quote, 24, this.rnd.nextU32());
    }
    const m = new Uint8Array(8 + quote.length);
    m[0] = type; m[1] = this.r(16);
    if (type === 3 && m[1] === 4) wr16(m, 6, this.chance(0.5) ? this.r(1500) : 68 + this.r(1432));
    m.set(quote, 8);
    return this.ip(1, m, this.chance(0.5) ? this.peerIp : this.randIp());
  }

  private udpFrame(): Uint8Array {
    const n = this.r(this.chance(0.05) ? 1472 : 100);
    const u = this.bytes(8 + n);
    wr16(u, 0, this.r(65536));
    wr16(u, 2, [UDP_PORT, 7, 53, 67, 68, 5353, this.r(65536)][this.r(7)]);
    wr16(u, 4, this.chance(0.9) ? u.length : this.r(65536));
    wr16(u, 6, this.chance(0.2) ? 0 : 1);
    return this.ip(17, u);
  }

  private pickSeen(fromPeer: boolean): Seen | null {
    const c: Seen[] = [];
    for (const s of this.seen) if (s.fromPeer === fromPeer) c.push(s);
    return c.length === 0 ? null : c[this.r(c.length)];
  }

  private tcpFrame(live: boolean): Uint8Array {
    const s = live ? this.pickSeen(true) : null;
    const opts = this.tcpOptions();
    const n = this.chance(0.4) ? this.r(this.chance(0.2) ? 1460 : 40) : 0;
    const hl = 20 + opts.length;
    const t = this.bytes(hl + n);
    let src: number;
    if (s !== null) {
      src = s.src;
      wr16(t, 0, s.sport); wr16(t, 2, s.dport);
      const near = this.chance(0.7);
      wr32(t, 4, near ? (s.seq + this.r(4000) - 1000) >>> 0 : this.rnd.nextU32());
      wr32(t, 8, near ? (s.ack + this.r(4000) - 1000) >>> 0 : this.rnd.nextU32());
    } else {
      src = this.randIp();
      wr16(t, 0, this.r(65536));
      wr16(t, 2, [7, 9, 19, 13, 80, this.r(65536)][this.r(6)]);
    }
    t[12] = (hl / 4) << 4;
    const flagSets = [0x10, 0x18, 0x02, 0x12, 0x04, 0x14, 0x11, 0x01, 0x03, 0x06, 0x3f, this.r(256)];
    t[13] = flagSets[this.r(flagSets.length)];
    wr16(t, 14, this.chance(0.1) ? 0 : this.r(65536));
    wr16(t, 18, this.chance(0.9) ? 0 : this.r(65536));
    t.set(opts, 20);
    return this.ip(6, t, src, this.boardIp, this.chance(0.1));
  }

  private tcpOptions(): Uint8Array {
    if (this.chance(0.5)) return new Uint8Array(0);
    const o: number[] = [];
    const count = 1 + this.r(5);
    for (let i = 0; i < count; i++) {
      switch (this.r(8)) {
        case 0: o.push(2, 4, this.r(256), this.r(256)); break;          // MSS (any value, 0 included)
        case 1: o.push(3, 3, this.r(20)); break;                        // window scale
        case 2: o.push(4, 2); break;                                    // SACK permitted
        case 3: o.push(8, 10, ...Array.from(this.bytes(8))); break;     // timestamps
        case 4: o.push(1); break;                                       // NOP
        case 5: o.push(0); break;                                       // EOL
        case 6: o.push(this.r(256), this.r(12)); break;                 // unknown kind, odd length
        default: o.push(2, this.r(3)); break;                           // truncated MSS
      }
    }
    while (o.length % 4 !== 0) o.push(1);
    return new Uint8Array(o.slice(0, 40));
  }

  /** Injects one frame now. */
  inject(f: Uint8Array): void {
    this.raw.send(f);
  }

  /** Winds everything down: clients abort, services stop, the UDP socket goes. */
  stopAll(): void {
    for (const c of this.clients) c.stop();
    for (const s of this.services) s.stop();
    if (this.udpPcb !== null) { udp_remove(this.udpPcb); this.udpPcb = null; }
  }

  leaks(): string[] {
    const out: string[] = [];
    for (const s of [this.board, this.peer]) {
      for (const { name, stats } of s.pools()) if (stats.used !== 0) out.push(s.name + '.' + name + ': ' + stats.used + ' in use');
    }
    return out;
  }
}

const BCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

function wr16(b: Uint8Array, o: number, v: number): void { b[o] = (v >>> 8) & 0xff; b[o + 1] = v & 0xff; }
function wr32(b: Uint8Array, o: number, v: number): void { wr16(b, o, v >>> 16); wr16(b, o + 2, v & 0xffff); }
function rd16(b: Uint8Array, o: number): number { return (b[o] << 8) | b[o + 1]; }
function rd32(b: Uint8Array, o: number): number { return ((rd16(b, o) << 16) | rd16(b, o + 2)) >>> 0; }

/** Recomputes the IPv4 header checksum and, for an unfragmented TCP/UDP/ICMP datagram, its checksum. */
export function fixChecksums(f: Uint8Array): void {
  if (f.length < 34 || f[12] !== 0x08 || f[13] !== 0x00) return;
  const o = 14;
  const ihl = (f[o] & 15) * 4;
  if (ihl < 20 || o + ihl > f.length) return;
  f[o + 10] = 0; f[o + 11] = 0;
  const hs = inet_chksum(f, o, ihl);
  wr16(f, o + 10, hs);
  const frag = rd16(f, o + 6) & 0x3fff;
  if (frag !== 0) return;
  let tot = rd16(f, o + 2);
  if (tot > f.length - o) tot = f.length - o;
  const len = tot - ihl;
  if (len < 0) return;
  const t = o + ihl;
  const proto = f[o + 9];
  const src = rd32(f, o + 12);
  const dst = rd32(f, o + 16);
  if (proto === 6 && len >= 20) {
    f[t + 16] = 0; f[t + 17] = 0;
    wr16(f, t + 16, chksumFinish(chksumAdd(f, null, t, len, pseudoHeaderSum(src, dst, 6, len))));
  } else if (proto === 17 && len >= 8) {
    if (rd16(f, t + 6) === 0) return; // no checksum: leave it so
    f[t + 6] = 0; f[t + 7] = 0;
    let c = chksumFinish(chksumAdd(f, null, t, len, pseudoHeaderSum(src, dst, 17, len)));
    if (c === 0) c = 0xffff;
    wr16(f, t + 6, c);
  } else if (proto === 1 && len >= 8) {
    f[t + 2] = 0; f[t + 3] = 0;
    wr16(f, t + 2, inet_chksum(f, t, len));
  }
}

function hexOf(f: Uint8Array): string {
  let s = '';
  for (let i = 0; i < f.length; i++) s += (f[i] < 16 ? '0' : '') + f[i].toString(16);
  return s;
}

/** Runs the fuzzer; never throws for a stack exception (it is counted and reported). */
export function runFuzz(opts: FuzzOptions): FuzzResult {
  const seed = opts.seed ?? 1;
  const perMs = opts.perMs ?? 4;
  const t0 = Date.now();
  const fz = new Fuzzer(seed);
  const net = fz.net;
  net.run(200); // the live connections open
  const start = net.now;
  let throws = 0;
  let firstThrow = '';
  let sent = 0;
  while (sent < opts.frames) {
    const batch = Math.min(perMs, opts.frames - sent);
    let last: Uint8Array | null = null;
    for (let i = 0; i < batch; i++) {
      last = fz.next();
      fz.inject(last);
    }
    sent += batch;
    try {
      net.step();
    } catch (e) {
      throws++;
      if (firstThrow === '') firstThrow = String(e instanceof Error && e.stack ? e.stack : e) + '\nlast frame of the batch: ' + hexOf(last as Uint8Array);
      if (throws >= 10) break;
    }
  }
  const virtualMs = net.now - start;
  fz.stopAll();
  const d0 = net.now;
  let drained = false;
  try {
    drained = net.runUntil(() => fz.leaks().length === 0, opts.drainMs ?? 1200000);
  } catch (e) {
    throws++;
    if (firstThrow === '') firstThrow = String(e instanceof Error && e.stack ? e.stack : e) + ' (during the wind-down)';
  }
  void drained;
  const wallMs = Date.now() - t0;
  const st = fz.board.stats;
  const boardDrops: Record<string, number> = {};
  for (const k of ['link', 'etharp', 'ip', 'ipfrag', 'icmp', 'udp', 'tcp'] as const) boardDrops[k] = st[k].drop;
  return {
    frames: sent, seed, kinds: fz.kindCounts(), mutated: fz.mutated, badChecksums: fz.badChecksums,
    throws, firstThrow, leaks: fz.leaks(), reconnects: fz.reconnects(), liveBytes: fz.liveBytes(),
    virtualMs, drainMs: net.now - d0, wallMs, framesPerSec: Math.round(sent / Math.max(1, wallMs) * 1000), boardDrops,
  };
}

function main(argv: string[]): number {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const frames = Number(arg('--frames') ?? '100000');
  const seed = Number(arg('--seed') ?? '1');
  if (!Number.isInteger(frames) || frames < 1 || !Number.isInteger(seed)) {
    process.stderr.write('usage: npm run fuzz -- --frames N [--seed S] [--json]\n');
    return 2;
  }
  const r = runFuzz({ frames, seed });
  if (argv.includes('--json')) {
    process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  } else {
    const kinds = Object.entries(r.kinds).map(([k, v]) => k + ' ' + v).join(', ');
    const drops = Object.entries(r.boardDrops).map(([k, v]) => k + ' ' + v).join(', ');
    process.stdout.write([
      'fuzz: ' + r.frames + ' frames, seed ' + r.seed + ': ' + (r.throws === 0 && r.leaks.length === 0 ? 'clean' : 'FAILED'),
      '  by kind: ' + kinds,
      '  mutated ' + r.mutated + ', left with bad checksums ' + r.badChecksums,
      '  live connections: ' + r.reconnects + ' reopened, ' + r.liveBytes + ' bytes echoed/received',
      '  board drops: ' + drops,
      '  virtual ' + r.virtualMs + ' ms + wind-down ' + r.drainMs + ' ms; wall ' + (r.wallMs / 1000).toFixed(1) + ' s, '
        + r.framesPerSec + ' frames/s',
      '  throws: ' + r.throws + (r.firstThrow ? '\n' + r.firstThrow : ''),
      '  pools: ' + (r.leaks.length === 0 ? 'all full' : 'LEAKED ' + r.leaks.join('; ')),
    ].join('\n') + '\n');
  }
  return r.throws === 0 && r.leaks.length === 0 ? 0 : 1;
}

if (typeof process !== 'undefined' && process.argv[1] !== undefined && import.meta.url === new URL('file://' + process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
