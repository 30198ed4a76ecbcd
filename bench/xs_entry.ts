/**
 * The in-engine half of the XS meter benchmark (bench/xs.ts is the Node half). Bundled into one
 * script (globalThis.XsTcpBench) and evaluated in xsnap. Every `*Run(n)` function does n units of
 * work and nothing else, so that the Node side can take the difference of the XS meter between a
 * run of n1 and one of n2 units: script compilation and call overhead cancel out.
 *
 * Workloads (1460-byte segments throughout):
 * - rx: one stack receives pre-built data segments from a fake peer; its ACKs go to a driver that
 *   discards them. Three drivers: one-copy (each frame written into the pool pbuf that
 *   Netif.rxReserve gives, with one native `set` of 8-byte words, then rxCommit: what the C drivers
 *   do with memcpy),
 *   ring (Netif.receiveFrame from one long-lived buffer: the stack copies) and whole-array
 *   (receiveFrame, each frame an array of its own). The one-copy run again with the checksum
 *   taken out (a HAL checksum stub) shows the JS work a native checksum leaves.
 * - tx: one stack sends; the fake peer's ACKs (pre-built, two segments each) are injected; the
 *   application refills the send buffer from its tcp_sent callback; frames go to the same sink.
 * - pair: two stacks over the mock wire (hal/mock), bulk transfer A → B, virtual time in 1 ms steps.
 * - checksum: the stack's own Internet checksum over 1460 bytes of pool memory.
 * - heap: one stack with default pools and 4 open connections, for the heap figure.
 */
import type { FrameChain, FrameSink, Hal, NetDriver } from '../src/hal.js';
import { VirtualClock } from '../hal/mock/clock.js';
import { MockNet } from '../tools/mocknet.js';
import { Stack } from '../src/api/stack.js';
import { SeededRandom } from '../src/core/random.js';
import { ERR_OK, type Err } from '../src/core/err.js';
import { pbuf_free, type Pbuf } from '../src/core/pbuf.js';
import { ByteCopier } from '../src/core/bytecopy.js';
import { chksumAdd, chksumFold, pseudoHeaderSum } from '../src/core/checksum.js';
import type { InetSum } from '../src/core/checksum.js';
import {
  TcpPcb, tcp_new, tcp_bind, tcp_listen, tcp_listen_with_backlog, tcp_accept, tcp_connect, tcp_write, tcp_output, tcp_recv,
  tcp_recved, tcp_sent, tcp_sndbuf, tcp_state_name,
} from '../src/api/tcp_api.js';
import { TCP_WRITE_FLAG_COPY } from '../src/tcp/constants.js';
import {
  startEcho, startDiscard, startDaytime, startChargen, dhcp_start, dhcp_client, dns_resolver, mdns_start, type DhcpClient,
} from '../src/apps/index.js';
import { netstat, formatNetstat } from '../src/api/tcp_api.js';
import { TCP, Listener } from '../src/io/index.js';
import { arp, eth, get32, ip as ipOf, ipv4, put16, put32, cksum } from '../test/helpers/frames.js';

export const MSS = 1460;

/** A driver that keeps nothing: counts frames and, while `record` (the handshake), remembers the
 *  first bytes of the last one. Once the bench runs it only counts: a real driver's hand-off is
 *  native (esp_wifi_internal_tx, write() on a TAP), so a JS byte loop here would be the bench's
 *  cost, not the stack's. */
class SinkDriver implements NetDriver {
  readonly mac: Uint8Array;
  readonly mtu = 1500;
  sink: FrameSink | null = null;
  frames = 0;
  bytes = 0;
  /** First 64 bytes of the last frame (headers), copied without allocating, while `record`. */
  readonly last = new Uint8Array(64);
  record = true;
  constructor(n: number) {
    this.mac = new Uint8Array(6);
    this.mac[0] = 2;
    this.mac[5] = n;
  }
  isLinkUp(): boolean { return true; }
  attach(sink: FrameSink): void { this.sink = sink; }
  transmit(frame: FrameChain, totLen: number): boolean {
    this.frames++;
    this.bytes += totLen;
    if (!this.record) return true;
    const n = frame.len < 64 ? frame.len : 64;
    const b = frame.buf;
    const o = frame.off;
    const last = this.last;
    for (let i = 0; i < n; i++) last[i] = b[o + i];
    return true;
  }
}

const PEER_MAC = new Uint8Array([2, 0, 0, 0, 0, 0x99]);
const PEER_IP = '10.9.0.99';
const STACK_IP = '10.9.0.1';

/** One whole TCP/IPv4/Ethernet frame from the peer to `dstMac`/STACK_IP (test-side builder). */
function peerFrame(dstMac: Uint8Array, sport: number, dport: number, seq: number, ack: number, flags: number,
  wnd: number, payload: Uint8Array | null, mss = 0): Uint8Array {
  const src = ipOf(PEER_IP);
  const dst = ipOf(STACK_IP);
  const optLen = mss > 0 ? 4 : 0;
  const dlen = payload === null ? 0 : payload.length;
  const t = new Uint8Array(20 + optLen + dlen);
  put16(t, 0, sport); put16(t, 2, dport); put32(t, 4, seq >>> 0); put32(t, 8, ack >>> 0);
  t[12] = ((20 + optLen) / 4) << 4; t[13] = flags; put16(t, 14, wnd);
  if (mss > 0) { t[20] = 2; t[21] = 4; put16(t, 22, mss); }
  if (payload !== null) t.set(payload, 20 + optLen);
  const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + t.length;
  put16(t, 16, cksum(t, 0, t.length, pseudo));
  return eth(dstMac, PEER_MAC, 0x0800, ipv4({ src, dst, proto: 6 }, t));
}

function arpRequestFromPeer(): Uint8Array {
  return eth(new Uint8Array([255, 255, 255, 255, 255, 255]), PEER_MAC, 0x0806,
    arp(1, PEER_MAC, ipOf(PEER_IP), new Uint8Array(6), ipOf(STACK_IP)));
}

const F_SYN = 0x02;
const F_ACK = 0x10;
const F_PSH = 0x08;

function payloadOf(len: number, seed: number): Uint8Array {
  const d = new Uint8Array(len);
  for (let i = 0; i < len; i++) d[i] = (i * 7 + seed) & 0xff;
  return d;
}

/** TCP sequence number of the last frame a SinkDriver saw (Ethernet + 20-byte IPv4 assumed). */
function lastSeq(d: SinkDriver): number { return get32(d.last, 14 + 20 + 4); }
function lastFlags(d: SinkDriver): number { return d.last[14 + 20 + 13]; }

// ------------------------------------------------------------------------------------------------
// rx: one stack receiving
// ------------------------------------------------------------------------------------------------

/** Frames in one long-lived buffer at this stride: how a driver's receive ring looks to JS (the
 *  ESP32 HAL hands frames over from one buffer, not one array per frame). */
const RING_STRIDE = 2048;

/**
 * A received frame as a driver's DMA buffer holds it: at an 8-byte aligned address, padded with
 * zeros to a whole number of 8-byte words, with an 8-byte view over those words made once (at
 * set-up, never per frame).
 */
export class DriverFrame {
  readonly u8: Uint8Array;
  /** The frame's bytes rounded up to whole 8-byte words. */
  readonly w64: Float64Array;
  constructor(f: Uint8Array) {
    const b = new ArrayBuffer((f.length + 7) & ~7);
    this.u8 = new Uint8Array(b, 0, f.length);
    this.u8.set(f);
    this.w64 = new Float64Array(b);
  }
}

/**
 * The one-copy driver's copy of frame `f` into the pool pbuf at `at` of `cap` bytes (`mem64`: an
 * 8-byte view from the start of `mem`'s ArrayBuffer, made once). The C drivers do this with memcpy,
 * which is no JS work at all; the closest XS gets is one native `set` of whole 8-byte words, as a
 * DMA engine moves them (pool pbufs are 8-byte aligned in the default configuration, and the
 * padding after the frame stays inside the pbuf): XS meters a typed-array `set` per element, so
 * this costs about an eighth of a byte-wise `set` (~400 against ~3,050 computrons per 1,514-byte
 * frame). Any other alignment takes the byte-wise `set`.
 */
function driverCopy(mem: Uint8Array, mem64: Float64Array, at: number, cap: number, f: DriverFrame): void {
  const w = f.w64;
  if ((at & 7) === 0 && (w.length << 3) <= cap) mem64.set(w, at >>> 3);
  else mem.set(f.u8, at);
}

/** A one-copy driver receiving frame `f`: one copy writes it into the pool pbuf the stack reserved,
 *  as the C drivers' memcpy does; with the pool empty the stack counted the drop. */
function driverDeliver(nf: FrameSink, mem64: Float64Array, f: DriverFrame): void {
  const at = nf.rxReserve();
  if (at < 0) return;
  driverCopy(nf.rxMemory, mem64, at, nf.rxCapacity, f);
  nf.rxCommit(f.u8.length);
}

/** An 8-byte view over the whole words of a FrameSink's rxMemory (byteOffset 0 by contract). */
function memWords(nf: FrameSink): Float64Array {
  const b = nf.rxMemory.buffer;
  return new Float64Array(b, 0, b.byteLength >>> 3);
}

/** How the rx bench's driver hands frames over (see the file header). */
type RxMode = 'ring' | 'whole' | 'reserve';

/**
 * The checksum taken out: a HAL checksum (Hal.checksum) that, once `on`, does no summing and answers
 * what an intact range of the rx bench sums to. Every 1480-byte range is a data segment from the
 * peer, whose sum is the one's complement negative of its pseudo-header's (so that the total is
 * 0xffff: RFC 1071, RFC 9293 §3.1); every other range (IPv4 headers, our ACKs' headers) answers
 * 0xffff, right for an intact IPv4 header. The ACKs we send then carry wrong checksums: the bench's
 * driver ignores them. Until `on` (the handshake), it sums for real.
 */
export class ChecksumStub {
  on = false;
  private readonly segSum = 0xffff - chksumFold(pseudoHeaderSum(ipOf(PEER_IP), ipOf(STACK_IP), 6, 20 + MSS));
  readonly sum: InetSum = (buf, off, len, initial) => {
    if (!this.on) return chksumFold(chksumAdd(buf, null, off, len, initial));
    // the range's sum added to `initial` (Hal.checksum's contract), folded as chksumFold does
    const s = initial + (len === 20 + MSS ? this.segSum : 0xffff);
    return s > 0xffff ? s % 0xffff || 0xffff : s;
  };
}

export class RxBench {
  readonly clock = new VirtualClock(0);
  readonly driver = new SinkDriver(1);
  readonly stack: Stack;
  /** The data frames, each in a buffer of its own as a driver's DMA buffers (one-copy and
   *  whole-array modes). */
  readonly frames: DriverFrame[] = [];
  /** An 8-byte view over the pool memory (the one-copy driver's). */
  readonly mem64: Float64Array;
  /** All frames back to back in one buffer (ring model), when `ring`. */
  readonly ringBuf: Uint8Array;
  readonly ringLen: number[] = [];
  readonly ring: boolean;
  readonly mode: RxMode;
  next = 0;
  received = 0;
  conn: TcpPcb | null = null;
  readonly recvFn = (_arg: unknown, pcb: TcpPcb, p: Pbuf | null, _err: Err): Err => {
    if (p !== null) {
      const n = p.totLen;
      this.received += n;
      pbuf_free(p);
      tcp_recved(pcb, n);
    }
    return ERR_OK;
  };

  constructor(total: number, mode: RxMode, checksum: ChecksumStub | null = null) {
    const ring = mode === 'ring';
    this.ring = ring;
    this.mode = mode;
    const hal: Hal = { driver: this.driver, clock: this.clock, random: new SeededRandom(5) };
    if (checksum !== null) hal.checksum = checksum.sum;
    this.stack = new Stack(hal, { ip: STACK_IP + '/24', name: 'rx' });
    this.mem64 = memWords(this.stack.netif);
    const l0 = tcp_new(this.stack)!;
    tcp_bind(l0, 0, 5001);
    const l = tcp_listen(l0)!;
    tcp_accept(l, (_a, pcb) => { if (pcb !== null) { this.conn = pcb; tcp_recv(pcb, this.recvFn); } return ERR_OK; });
    const mac = this.driver.mac;
    const st = this.stack;
    st.netif.receiveFrame(arpRequestFromPeer(), 0, 42 + 0);
    const piss = 0x10000000;
    const syn = peerFrame(mac, 40000, 5001, piss, 0, F_SYN, 65535, null, MSS);
    st.netif.receiveFrame(syn, 0, syn.length);
    if ((lastFlags(this.driver) & (F_SYN | F_ACK)) !== (F_SYN | F_ACK)) throw new Error('rx bench: no SYN-ACK');
    const siss = lastSeq(this.driver);
    const ack = peerFrame(mac, 40000, 5001, piss + 1, siss + 1, F_ACK, 65535, null);
    st.netif.receiveFrame(ack, 0, ack.length);
    if (this.conn === null || tcp_state_name(this.conn) !== 'ESTABLISHED') throw new Error('rx bench: not established');
    if (checksum !== null) checksum.on = true;
    this.driver.record = false;
    const data = payloadOf(MSS, 1);
    this.ringBuf = new Uint8Array(ring ? total * RING_STRIDE : 0);
    for (let i = 0; i < total; i++) {
      const f = peerFrame(mac, 40000, 5001, piss + 1 + i * MSS, siss + 1, F_ACK | F_PSH, 65535, data);
      if (ring) { this.ringBuf.set(f, i * RING_STRIDE); this.ringLen.push(f.length); } else this.frames.push(new DriverFrame(f));
    }
  }

  /** Delivers the next n data segments (a tick every 10, the clock 1 ms per segment). */
  run(n: number): number {
    const st = this.stack;
    const fr = this.frames;
    if (this.ring) {
      const buf = this.ringBuf;
      const lens = this.ringLen;
      for (let i = 0; i < n; i++) {
        const k = this.next++;
        this.clock.advance(1);
        st.netif.receiveFrame(buf, k * RING_STRIDE, lens[k]);
        if ((this.next % 10) === 0) st.tick(this.clock.now());
      }
      return this.received;
    }
    if (this.mode === 'reserve') {
      const mem64 = this.mem64;
      for (let i = 0; i < n; i++) {
        const f = fr[this.next++];
        this.clock.advance(1);
        driverDeliver(st.netif, mem64, f);
        if ((this.next % 10) === 0) st.tick(this.clock.now());
      }
      return this.received;
    }
    for (let i = 0; i < n; i++) {
      const f = fr[this.next++].u8;
      this.clock.advance(1);
      st.netif.receiveFrame(f, 0, f.length);
      if ((this.next % 10) === 0) st.tick(this.clock.now());
    }
    return this.received;
  }
}

// ------------------------------------------------------------------------------------------------
// tx: one stack sending
// ------------------------------------------------------------------------------------------------

export class TxBench {
  readonly clock = new VirtualClock(0);
  readonly driver = new SinkDriver(2);
  readonly stack: Stack;
  readonly acks: DriverFrame[] = [];
  readonly mem64: Float64Array;
  next = 0;
  readonly src = payloadOf(64 * 1024, 2);
  srcOff = 0;
  pcb: TcpPcb;
  writes = 0;
  readonly flags: number;
  readonly pump = (): void => {
    const pcb = this.pcb;
    let wrote = false;
    while (tcp_sndbuf(pcb) >= MSS) {
      if (this.srcOff + MSS > this.src.length) this.srcOff = 0;
      if (tcp_write(pcb, this.src, MSS, this.flags, this.srcOff) !== ERR_OK) break;
      this.srcOff += MSS;
      this.writes++;
      wrote = true;
    }
    if (wrote) tcp_output(pcb);
  };
  readonly sentFn = (_a: unknown, _p: TcpPcb, _len: number): Err => { this.pump(); return ERR_OK; };

  /** `flags`: TCP_WRITE_FLAG_COPY (copy into pool pbufs) or 0 (reference the application's bytes). */
  constructor(total: number, flags: number) {
    this.flags = flags;
    // a send buffer of whole segments, so that every segment is full (no Nagle tail)
    this.stack = new Stack({ driver: this.driver, clock: this.clock, random: new SeededRandom(6) },
      { ip: STACK_IP + '/24', name: 'tx', config: { TCP_SND_BUF: 6 * MSS } });
    const st = this.stack;
    this.mem64 = memWords(st.netif);
    st.netif.receiveFrame(arpRequestFromPeer(), 0, 42);
    const pcb = tcp_new(st)!;
    this.pcb = pcb;
    tcp_sent(pcb, this.sentFn);
    let connected = false;
    tcp_connect(pcb, PEER_IP, 5001, () => { connected = true; this.pump(); return ERR_OK; });
    if ((lastFlags(this.driver) & F_SYN) === 0) throw new Error('tx bench: no SYN');
    const siss = lastSeq(this.driver);
    const piss = 0x20000000;
    const mac = this.driver.mac;
    const synack = peerFrame(mac, 5001, tcp_local_port_of(st), piss, siss + 1, F_SYN | F_ACK, 64240, null, MSS);
    st.netif.receiveFrame(synack, 0, synack.length);
    if (!connected) throw new Error('tx bench: not connected');
    this.driver.record = false;
    // ACK k acknowledges two more full segments
    for (let k = 0; k < total; k++) {
      this.acks.push(new DriverFrame(peerFrame(mac, 5001, tcp_local_port_of(st), piss + 1, siss + 1 + (k + 1) * 2 * MSS, F_ACK, 64240, null)));
    }
  }

  /** Injects the next n ACKs (through the one-copy path, as the rx bench's driver); returns data
   *  frames sent so far. */
  run(n: number): number {
    const st = this.stack;
    const a = this.acks;
    const mem64 = this.mem64;
    for (let i = 0; i < n; i++) {
      const f = a[this.next++];
      this.clock.advance(1);
      driverDeliver(st.netif, mem64, f);
      if ((this.next % 10) === 0) st.tick(this.clock.now());
    }
    return this.driver.frames;
  }
}

function tcp_local_port_of(st: Stack): number {
  let port = -1;
  st.tcp.forEachConn((p) => { port = p.localPort; });
  return port;
}

// ------------------------------------------------------------------------------------------------
// pair: two stacks over the mock wire
// ------------------------------------------------------------------------------------------------

class PairBench {
  readonly net = new MockNet({ seed: 3 });
  readonly a: Stack;
  readonly b: Stack;
  readonly src = payloadOf(64 * 1024, 3);
  srcOff = 0;
  client: TcpPcb;
  received = 0;
  readonly pump = (): void => {
    const pcb = this.client;
    let wrote = false;
    while (tcp_sndbuf(pcb) >= MSS) {
      if (this.srcOff + MSS > this.src.length) this.srcOff = 0;
      if (tcp_write(pcb, this.src, MSS, TCP_WRITE_FLAG_COPY, this.srcOff) !== ERR_OK) break;
      this.srcOff += MSS;
      wrote = true;
    }
    if (wrote) tcp_output(pcb);
  };
  readonly sentFn = (_a: unknown, _p: TcpPcb, _len: number): Err => { this.pump(); return ERR_OK; };
  readonly recvFn = (_arg: unknown, pcb: TcpPcb, p: Pbuf | null, _err: Err): Err => {
    if (p !== null) {
      const n = p.totLen;
      this.received += n;
      pbuf_free(p);
      tcp_recved(pcb, n);
    }
    return ERR_OK;
  };

  constructor() {
    const cfg = { TCP_SND_BUF: 6 * MSS };
    this.a = this.net.addStack({ ip: '10.8.0.1/24', name: 'A', config: cfg });
    this.b = this.net.addStack({ ip: '10.8.0.2/24', name: 'B', config: cfg });
    const l0 = tcp_new(this.b)!;
    tcp_bind(l0, 0, 5001);
    const l = tcp_listen(l0)!;
    tcp_accept(l, (_a, pcb) => { if (pcb !== null) tcp_recv(pcb, this.recvFn); return ERR_OK; });
    this.client = tcp_new(this.a)!;
    tcp_sent(this.client, this.sentFn);
    tcp_connect(this.client, '10.8.0.2', 5001, () => { this.pump(); return ERR_OK; });
    this.net.run(10);
    if (tcp_state_name(this.client) !== 'ESTABLISHED') throw new Error('pair bench: not established');
  }

  /** Runs n ms of virtual time; returns the bytes B has received so far. */
  run(n: number): number {
    const net = this.net;
    for (let i = 0; i < n; i++) net.step();
    return this.received;
  }
}

// ------------------------------------------------------------------------------------------------
// io419: the same two-stack transfer through the ECMA-419 classes (src/io)
// ------------------------------------------------------------------------------------------------

/** A → B over the mock wire with TCP (sender: write(chunk) from onWritable) and a Listener-adopted
 *  TCP (receiver: read(buffer) from onReadable). The application's buffers are made once. */
class Io419PairBench {
  readonly net = new MockNet({ seed: 3 });
  readonly a: Stack;
  readonly b: Stack;
  readonly chunk = payloadOf(MSS, 4);
  readonly buf = new Uint8Array(4096);
  received = 0;
  readonly client: TCP;
  server: TCP | null = null;

  constructor() {
    const cfg = { TCP_SND_BUF: 6 * MSS };
    this.a = this.net.addStack({ ip: '10.8.0.1/24', name: 'A', config: cfg });
    this.b = this.net.addStack({ ip: '10.8.0.2/24', name: 'B', config: cfg });
    const bench = this;
    new Listener({
      stack: this.b, port: 5001,
      onReadable(this: Listener) {
        bench.server = new TCP({
          from: this.read(),
          onReadable(this: TCP) {
            const buf = bench.buf;
            for (;;) {
              const k = this.read(buf) as number | undefined;
              if (k === undefined) break;
              bench.received += k;
            }
          },
        });
      },
    });
    const chunk = this.chunk;
    this.client = new TCP({
      stack: this.a, address: '10.8.0.2', port: 5001, nodelay: true,
      onWritable(this: TCP, n: number) {
        while (n >= MSS) n = this.write(chunk);
      },
    });
    this.net.run(10);
    if (this.server === null || this.client.remotePort !== 5001) throw new Error('io419 bench: not established');
  }

  /** Runs n ms of virtual time; returns the bytes B has read so far. */
  run(n: number): number {
    const net = this.net;
    for (let i = 0; i < n; i++) net.step();
    return this.received;
  }
}

// ------------------------------------------------------------------------------------------------
// checksum
// ------------------------------------------------------------------------------------------------

class ChecksumBench {
  readonly stack: Stack;
  readonly off: number;
  sum = 0;
  constructor() {
    const d = new SinkDriver(3);
    this.stack = new Stack({ driver: d, clock: new VirtualClock(0), random: new SeededRandom(7) }, { ip: '10.7.0.1/24' });
    const pool = this.stack.core.pbufs;
    this.off = 14 + 20 + 20; // a TCP payload's offset in the first pool pbuf: even, as on the wire
    for (let i = 0; i < MSS; i++) pool.mem[this.off + i] = (i * 13 + 5) & 0xff;
  }
  run(n: number): number {
    const mem = this.stack.core.pbufs.mem;
    const sum = this.stack.core.chksum;
    const off = this.off;
    let s = 0;
    for (let i = 0; i < n; i++) s = sum(mem, off, MSS, 0);
    this.sum = s;
    return s;
  }
  /** The same loop without the checksum call: its cost is subtracted. */
  runEmpty(n: number): number {
    let s = 0;
    for (let i = 0; i < n; i++) s = (s + i) & 0xffff;
    return s;
  }
}

// ------------------------------------------------------------------------------------------------
// heap: one stack, default pools, 4 open connections
// ------------------------------------------------------------------------------------------------

/** The stack configuration of the esp32 example app (manifests/esp32/main.js): keep them equal. */
const ESP32_EXAMPLE_CONFIG = { PBUF_POOL_SIZE: 32 };

class HeapBench {
  /** The peer, created before the measurement starts. */
  readonly net = new MockNet({ seed: 4 });
  readonly peer: Stack;
  stack: Stack | null = null;
  readonly accepted: TcpPcb[] = [];
  readonly clients: TcpPcb[] = [];
  constructor() {
    this.peer = this.net.addStack({ ip: '10.6.0.2/24', name: 'peer' });
    const l0 = tcp_new(this.peer)!;
    tcp_bind(l0, 0, 5001);
    const l = tcp_listen_with_backlog(l0, 8)!;
    tcp_accept(l, (_a, pcb) => { if (pcb !== null) this.accepted.push(pcb); return ERR_OK; });
    // room for the accepted handles, so that the peer does not grow an array during the measurement
    this.accepted.length = 8; this.accepted.length = 0;
  }
  /** Creates the measured stack and opens 4 connections from it. With `services`, the stack also
   *  runs echo, discard, daytime and chargen (the esp32 example app) and the netstat table is
   *  formatted once, as the app prints it. */
  build(services: boolean): string {
    // with services: the configuration manifests/esp32/main.js uses (a 32-pbuf pool)
    const st = this.net.addStack({ ip: '10.6.0.1/24', name: 'measured', config: services ? ESP32_EXAMPLE_CONFIG : undefined });
    this.stack = st;
    if (services) {
      startEcho(st); startDiscard(st); startDaytime(st); startChargen(st);
    }
    for (let i = 0; i < 4; i++) {
      const c = tcp_new(st)!;
      tcp_connect(c, '10.6.0.2', 5001, null);
      this.clients.push(c);
    }
    // the first SYN waits for ARP, which queues at most ARP_QUEUE_LEN packets: a SYN dropped there
    // is retransmitted after the initial RTO (1 s)
    this.net.run(3000);
    let open = 0;
    for (const c of this.clients) if (tcp_state_name(c) === 'ESTABLISHED') open++;
    return String(open);
  }
  /** Bytes of memory reachable from the stack that XS keeps in chunks (not slots): ArrayBuffer
   *  contents, array item tables (one slot-sized entry per element), string characters. */
  chunkBytes(slotSize: number): string {
    const seen = new Set<unknown>();
    const buffers = new Set<ArrayBufferLike>();
    let bufferBytes = 0;
    let arrayItems = 0;
    let stringBytes = 0;
    const stack: unknown[] = [this.stack, ...this.clients];
    // the harness around the stack (the mock wire with its frame slots, the peer) is not on the device
    const skip = new Set<unknown>([this.peer, this.net, this.net.wire, this.net.clock]);
    while (stack.length) {
      const o = stack.pop();
      if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o) || skip.has(o)) continue;
      seen.add(o);
      if (typeof o === 'function') continue; // code lives in flash on the device; closures are slots
      // a pool's copier caches views of the buffers it copied from (the driver's, the application's):
      // that memory belongs to them, so only the pool's own buffer counts
      if (o instanceof ByteCopier) { stack.push(o.home); continue; }
      if (ArrayBuffer.isView(o)) {
        const b = (o as ArrayBufferView).buffer;
        if (!buffers.has(b)) { buffers.add(b); bufferBytes += b.byteLength; }
        continue;
      }
      if (Array.isArray(o)) arrayItems += o.length;
      for (const k of Object.keys(o as object)) {
        const v = (o as Record<string, unknown>)[k];
        if (typeof v === 'string') stringBytes += v.length + 1;
        else stack.push(v);
      }
    }
    return JSON.stringify({ bufferBytes, arrayItems, arrayBytes: arrayItems * slotSize, stringBytes, objects: seen.size });
  }
}

// ------------------------------------------------------------------------------------------------
// the interface the Node side calls
// ------------------------------------------------------------------------------------------------

let rx: RxBench | null = null;
let rxCopy: RxBench | null = null;
let rxNoCk: RxBench | null = null;
let rxWhole: RxBench | null = null;
let tx: TxBench | null = null;
let txRef: TxBench | null = null;
let pair: PairBench | null = null;
let io419: Io419PairBench | null = null;
let ck: ChecksumBench | null = null;
let heap: HeapBench | null = null;

/** Prepares every workload with room for `segments` rx/tx units. */
export function setup(segments: number): string {
  rx = new RxBench(segments, 'reserve');
  rxCopy = new RxBench(segments, 'ring');
  rxNoCk = new RxBench(segments, 'reserve', new ChecksumStub());
  rxWhole = new RxBench(segments, 'whole');
  tx = new TxBench(segments, TCP_WRITE_FLAG_COPY);
  txRef = new TxBench(segments, 0);
  pair = new PairBench();
  io419 = new Io419PairBench();
  ck = new ChecksumBench();
  return 'ok';
}

export function rxRun(n: number): number { return rx!.run(n); }
export function rxCopyRun(n: number): number { return rxCopy!.run(n); }
export function rxNoChecksumRun(n: number): number { return rxNoCk!.run(n); }
/** The one-copy driver's own work alone: n times its copy of a data frame into a pool slot (what
 *  rxRun's driver does per frame, without the stack). */
export function driverCopyRun(n: number): number {
  const r = rx!;
  const mem = r.stack.netif.rxMemory;
  const mem64 = r.mem64;
  const f = r.frames[0];
  const at = r.stack.core.pbufs.bufsize; // the second slot: free while nothing runs
  const cap = r.stack.netif.rxCapacity;
  for (let i = 0; i < n; i++) driverCopy(mem, mem64, at, cap, f);
  return n;
}
export function txRun(n: number): number { return tx!.run(n); }
export function rxWholeRun(n: number): number { return rxWhole!.run(n); }
export function txRefRun(n: number): number { return txRef!.run(n); }
export function pairRun(n: number): number { return pair!.run(n); }
export function io419Run(n: number): number { return io419!.run(n); }
export function checksumRun(n: number): number { return ck!.run(n); }
export function checksumEmpty(n: number): number { return ck!.runEmpty(n); }
export function checksumValue(): number { return ck!.sum; }

/** The method's control: allocates one small object literal per unit (kept alive in a ring, so
 *  that the count cannot shrink), to show that the slot measurement sees allocation when there is. */
const keep: unknown[] = [];
export function controlRun(n: number): number {
  if (keep.length === 0) for (let i = 0; i < 4096; i++) keep.push(null);
  for (let i = 0; i < n; i++) keep[i & 4095] = { i };
  return n;
}

/** Counters after a run, for sanity checks on the Node side. */
export function status(): string {
  const r = rx!;
  const t = tx!;
  const p = pair!;
  const drops = (s: Stack) => s.stats.tcp.drop + s.stats.ip.drop + s.stats.link.drop;
  const used = (s: Stack) => s.pools().map((x) => x.name + '=' + x.stats.used).join(' ');
  return JSON.stringify({
    rxReceived: r.received, rxAcks: r.driver.frames, rxState: r.conn ? tcp_state_name(r.conn) : 'none', rxDrops: drops(r.stack),
    txFrames: t.driver.frames, txWrites: t.writes, txState: tcp_state_name(t.pcb), txDrops: drops(t.stack),
    pairReceived: p.received, pairDrops: drops(p.a) + drops(p.b), pairFrames: p.net.wire.stats.delivered,
    rxPools: used(r.stack), txPools: used(t.stack),
    rxWholeReceived: rxWhole!.received, rxCopyReceived: rxCopy!.received, rxNoChecksumReceived: rxNoCk!.received, txRefFrames: txRef!.driver.frames, txRefState: tcp_state_name(txRef!.pcb),
  });
}

export function heapSetup(): string { heap = new HeapBench(); return 'ok'; }
export function heapBuild(services: boolean): string { return heap!.build(services); }
export function heapNetstat(): number { return formatNetstat(netstat(heap!.stack!)).length; }

// ------------------------------------------------------------------------------------------------
// stack depth: how many XS stack slots the deepest path needs (echo: a received segment whose recv
// callback writes and outputs, down to the driver)
// ------------------------------------------------------------------------------------------------

function echoTraffic(): () => string {
  const net = new MockNet({ seed: 9 });
  const a = net.addStack({ ip: '10.5.0.1/24', name: 'A' });
  const b = net.addStack({ ip: '10.5.0.2/24', name: 'B' });
  startEcho(b);
  const c = tcp_new(a)!;
  const msg = payloadOf(3000, 9);
  let got = 0;
  tcp_recv(c, (_x, pcb, p) => { if (p !== null) { got += p.totLen; tcp_recved(pcb, p.totLen); pbuf_free(p); } return ERR_OK; });
  tcp_connect(c, '10.5.0.2', 7, () => { tcp_write(c, msg, msg.length, TCP_WRITE_FLAG_COPY); tcp_output(c); return ERR_OK; });
  return () => { net.run(300); return String(got); };
}

// not a tail call: XS implements proper tail calls, which would not grow the stack
function depth0(n: number, fn: () => string): string {
  if (n <= 0) return fn();
  const r = depth0(n - 1, fn);
  return r;
}
// eslint-disable-next-line @typescript-eslint/no-unused-vars
function depth10(n: number, fn: () => string): string {
  let a = n, b = n + 1, c = n + 2, d = n + 3, e = n + 4, f = n + 5, g = n + 6, h = n + 7, i = n + 8, j = n + 9;
  if (n <= 0) return fn();
  const r = depth10(n - 1, fn);
  a += b + c + d + e + f + g + h + i + j;
  return a < 0 ? '' : r;
}

/**
 * One probe of the XS stack: recursion `depth` frames deep (`kind` 0: no locals; 10: ten more
 * locals; 'echo': no locals, with the echo traffic run at the bottom). xsnap ends the whole worker on
 * a stack overflow, so the Node side runs each probe in a fresh worker and searches for the deepest
 * depth that completes. A frame's size s follows from F0 * s = F10 * (s + 10); the echo path needs
 * (F0 - Fecho) * s slots.
 */
export function stackProbe(kind: string, depth: number): string {
  const fn = kind === 'echo' ? echoTraffic() : () => 'x';
  const r = kind === '10' ? depth10(depth, fn) : depth0(depth, fn);
  return r === '' ? 'empty' : 'ok';
}

export function heapChunks(slotSize: number): string { return heap!.chunkBytes(slotSize); }
// ------------------------------------------------------------------------------------------------
// DHCP renewals: the steady path of the client (T1 → unicast REQUEST → ACK → BOUND), with the
// server's ACK written into one prepared frame and handed to the stack as a driver would
// ------------------------------------------------------------------------------------------------

class RenewBench {
  readonly net = new MockNet({ seed: 6, stepMs: 500 });
  readonly stack: Stack;
  readonly client: DhcpClient;
  /** Ethernet + IPv4 + UDP (checksum 0: none) + a BOOTP reply; xid and type patched per use. */
  readonly frame: Uint8Array;
  readonly arpReply: Uint8Array;
  private readonly dhcpOff = 14 + 20 + 8;
  renewals = 0;
  constructor() {
    // the stack already holds the address the server gives: no RFC 5227 probe, as on a renewal
    this.stack = this.net.addStack({ ip: '10.7.0.50/24', name: 'dhcp' });
    const srvMac = new Uint8Array([2, 0, 0, 0, 0, 0x77]);
    const m = new Uint8Array(300);
    m[0] = 2; m[1] = 1; m[2] = 6;
    put32(m, 16, ipOf('10.7.0.50'));
    m.set(this.stack.netif.mac, 28);
    put32(m, 236, 0x63825363);
    m.set([53, 1, 2, 54, 4, 10, 7, 0, 1, 1, 4, 255, 255, 255, 0, 3, 4, 10, 7, 0, 1, 51, 4, 0, 0, 0, 120,
      58, 4, 0, 0, 0, 60, 59, 4, 0, 0, 0, 105, 255], 240);
    const u = new Uint8Array(8 + m.length);
    put16(u, 0, 67); put16(u, 2, 68); put16(u, 4, u.length); u.set(m, 8);
    this.frame = eth(new Uint8Array([255, 255, 255, 255, 255, 255]), srvMac, 0x0800,
      ipv4({ src: ipOf('10.7.0.1'), dst: 0xffffffff, proto: 17 }, u));
    this.arpReply = eth(this.stack.netif.mac, srvMac, 0x0806, arp(2, srvMac, ipOf('10.7.0.1'), this.stack.netif.mac, ipOf('10.7.0.50')));
    this.client = dhcp_client(this.stack);
    dhcp_start(this.stack);
    this.reply(2);                 // OFFER → REQUESTING
    this.reply(5);                 // ACK → BOUND
  }
  private reply(type: number): void {
    const f = this.frame;
    put32(f, this.dhcpOff + 4, this.client.xid);
    f[this.dhcpOff + 242] = type;
    this.stack.netif.receiveFrame(f, 0, f.length);
  }
  /** `n` renewals: run to T1 (the REQUEST goes out), the server's ARP reply and ACK come in. */
  run(n: number): number {
    for (let i = 0; i < n; i++) {
      this.net.run(60000);
      this.stack.netif.receiveFrame(this.arpReply, 0, this.arpReply.length);
      this.reply(5);
      if (this.client.stateName === 'BOUND') this.renewals++;
    }
    return this.renewals;
  }
}

let renew: RenewBench | null = null;
export function renewSetup(): string { renew = new RenewBench(); return renew.client.stateName; }
export function renewRun(n: number): number { return renew!.run(n); }

/** Starts the LAN services on the measured stack: the DHCP client (SELECTING), the DNS resolver and
 *  the mDNS responder (probing, then announcing), and runs 3 s so that each reaches its steady state. */
export function lanStart(): string {
  const st = heap!.stack!;
  const e = [dhcp_start(st), mdns_start(st)];
  dns_resolver(st);
  heap!.net.run(3000);
  return e.join(',');
}
