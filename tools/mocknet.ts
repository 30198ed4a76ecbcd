/**
 * MockNet: stacks and test endpoints on one MockWire under one VirtualClock. Time moves only in
 * `run`/`runUntil`/`step`: each step advances the clock by `stepMs`, delivers the frames that are due,
 * then calls every stack's `tick(now)`. Every random choice (the wire's faults, each stack's ISNs and
 * ports) comes from the seed, so a test is reproducible bit for bit.
 *
 * This module is also the package's `xs-tcp/hal/mock` entry: MockNet together with the mock HAL it
 * runs on and the pcap writer its captures use.
 */
import { Stack } from '../src/api/stack.js';
import type { StackConfig } from '../src/core/config.js';
import { SeededRandom } from '../src/core/random.js';
import { macFromString } from '../src/core/ip4addr.js';
import type { FrameChain, Hal } from '../src/hal.js';
import { jsPiece } from '../hal/host/gso.js';
import { onesSum } from '../hal/host/vnet.js';
import { PcapWriter, type PcapWriterOptions } from './pcap.js';
import {
  VirtualClock, MockWire, MockDriver, RawEndpoint, WirePort, WireFaults, WireStats, mockMac,
  type MockWireOptions, type WireFaultSettings, type DropPredicate, type FrameCapture,
} from '../hal/mock/index.js';

export {
  VirtualClock, MockWire, MockDriver, RawEndpoint, WirePort, WireFaults, WireStats, mockMac,
  type MockWireOptions, type WireFaultSettings, type DropPredicate, type FrameCapture,
};
export { PcapWriter, parsePcap, LINKTYPE_ETHERNET, type PcapWriterOptions, type PcapFile, type PcapRecord } from './pcap.js';

export interface MockNetOptions extends WireFaultSettings {
  /** Seed of the wire's faults; stack n (1, 2, ...) gets SeededRandom(seed + n). Default 1. */
  seed?: number;
  /** Virtual milliseconds per step. Default 1. */
  stepMs?: number;
  /** Clock value at the start. Default 0. */
  startMs?: number;
  /** Wire slots (frames in flight). Default 512. */
  slots?: number;
  /** Longest frame the wire carries. Default 1600, raised to fit any stack's MTU + 14 is not
   *  possible after creation: set it when a stack uses an MTU above 1586. */
  slotSize?: number;
  /** Pad frames shorter than this with zeros (60 = real Ethernet). Default 0 (no padding). */
  minFrameLen?: number;
  /** Drivers deliver frames through FrameSink.rxReserve/rxCommit (one copy, by the driver) instead
   *  of receiveFrame. Default false. */
  oneCopy?: boolean;
  /** Drivers hand over the frames of each step as one burst (FrameSink.rxBurstBegin / rxBurstEnd,
   *  as the TAP driver does per drain). Default false: frame by frame. */
  bursts?: boolean;
}

export interface MockStackOptions {
  /** Address, optionally with a prefix: '10.0.0.1/24'. */
  ip: string | number;
  netmask?: string | number;
  gateway?: string | number;
  /** MAC as 'aa:bb:cc:dd:ee:ff' or 6 bytes; default 02:00:00:00:00:<port number + 1>. */
  mac?: string | Uint8Array;
  config?: Partial<StackConfig>;
  name?: string;
  /** Host name (DHCP option 12, mDNS). */
  hostname?: string;
  dns?: (string | number)[];
  /** Hal.checksum for this stack (a native checksum's stand-in). */
  checksum?: Hal['checksum'];
  /** Hal.poolMemory for this stack. */
  poolMemory?: Hal['poolMemory'];
  /** The driver declares NetDriver.txChecksumOffload: the stack sends partial TCP checksums, which
   *  something on the wire (a test's dropIf hook, standing in for the NIC) must complete. */
  txChecksumOffload?: boolean;
  /** The driver declares NetDriver.txTcpSegmentation (and checksum offload) and does what a NIC with
   *  TSO does: cuts each longer frame into segments (hal/host/gso.ts jsPiece) and completes every
   *  TCP checksum before the frames go on the wire. Counted in `tsoFrames` / `tsoSegs`. */
  txTcpSegmentation?: boolean;
}

/** A MockDriver that declares transmit checksum offload (NetDriver.txChecksumOffload). */
class OffloadMockDriver extends MockDriver {
  readonly txChecksumOffload = true;
}

/** A MockDriver standing in for a NIC with TCP segmentation and checksum offload. */
export class TsoMockDriver extends MockDriver {
  readonly txChecksumOffload = true;
  readonly txTcpSegmentation = true;
  /** Frames longer than the MTU cut, and the segments they gave. */
  tsoFrames = 0;
  tsoSegs = 0;
  private readonly flat = new Uint8Array(14 + 65535);
  private readonly seg = new Uint8Array(1600);
  private readonly piece = jsPiece((d, doff, src, soff, n) => { d.set(src.subarray(soff, soff + n), doff); return n; });

  override transmit(frame: FrameChain, totLen: number): boolean {
    const f = this.flat;
    if (totLen > f.length) return false;
    let pos = 0;
    for (let q: FrameChain | null = frame; q !== null && pos < totLen; q = q.next) {
      const n = Math.min(q.len, totLen - pos);
      f.set(q.buf.subarray(q.off, q.off + n), pos);
      pos += n;
    }
    if (totLen < 54 || f[12] !== 0x08 || f[13] !== 0x00 || f[23] !== 6) return super.transmit({ buf: f, off: 0, len: totLen, next: null }, totLen);
    const ihl = (f[14] & 0x0f) << 2;
    const hlen = 14 + ihl + ((f[14 + ihl + 12] >>> 4) << 2);
    if (totLen <= this.mtu + 14) return this.send(f, 0, totLen, ihl);
    // the segment size is the first element's payload (NetDriver.txTcpSegmentation)
    const size = frame.len - hlen;
    this.tsoFrames++;
    let ok = true;
    let k = 0;
    for (let at = hlen; at < totLen; at += size, k++) {
      const n = Math.min(size, totLen - at);
      if (this.piece(this.seg, 0, f, hlen, at, n, k, at + n >= totLen) !== 0) return false;
      this.tsoSegs++;
      ok = this.send(this.seg, 0, hlen + n, ihl) && ok;
    }
    return ok;
  }

  /** Completes the TCP checksum of the segment at b[off..off+len) (RFC 9293 §3.1) and sends it. */
  private send(b: Uint8Array, off: number, len: number, ihl: number): boolean {
    const t = off + 14 + ihl;
    const tcpLen = len - 14 - ihl;
    b[t + 16] = 0;
    b[t + 17] = 0;
    const sum = onesSum(b, t, off + len, onesSum(b, off + 26, off + 34, 6 + tcpLen));
    const c = ~sum & 0xffff;
    b[t + 16] = c >>> 8;
    b[t + 17] = c & 0xff;
    return super.transmit({ buf: b, off, len, next: null }, len);
  }
}

function toMac(mac: string | Uint8Array | undefined, n: number): Uint8Array {
  if (mac === undefined) return mockMac(n);
  if (typeof mac !== 'string') {
    if (mac.length !== 6) throw new Error('MAC must have 6 bytes');
    return mac;
  }
  const m = macFromString(mac);
  if (m === null) throw new Error('bad MAC ' + mac);
  return m;
}

export class MockNet {
  readonly clock: VirtualClock;
  readonly wire: MockWire;
  readonly seed: number;
  readonly stepMs: number;
  readonly oneCopy: boolean;
  readonly bursts: boolean;
  readonly stacks: Stack[] = [];
  readonly drivers: MockDriver[] = [];
  readonly raws: RawEndpoint[] = [];
  private readonly tickers: ((now: number) => void)[] = [];

  constructor(opts: MockNetOptions = {}) {
    this.seed = opts.seed ?? 1;
    this.stepMs = opts.stepMs ?? 1;
    this.oneCopy = opts.oneCopy ?? false;
    this.bursts = opts.bursts ?? false;
    if (!(this.stepMs > 0)) throw new Error('stepMs must be > 0');
    this.clock = new VirtualClock(opts.startMs ?? 0);
    this.wire = new MockWire({
      seed: this.seed, slots: opts.slots, slotSize: opts.slotSize, minFrameLen: opts.minFrameLen, clock: this.clock,
    });
    const faults: WireFaultSettings = {};
    for (const k of ['loss', 'duplicate', 'reorder', 'reorderMs', 'corrupt', 'delayMs', 'jitterMs',
      'rateBytesPerSec', 'queueLimitMs'] as const) {
      const v = opts[k];
      if (v !== undefined) faults[k] = v;
    }
    this.wire.setFaults(faults);
  }

  /** Current virtual time, ms. */
  get now(): number {
    return this.clock.now();
  }

  /** Creates a stack on a new MockDriver port. */
  addStack(opts: MockStackOptions): Stack {
    const n = this.wire.ports.length + 1;
    const mtu = opts.config?.MTU ?? 1500;
    if (mtu + 14 > this.wire.slotSize) throw new Error('MTU ' + mtu + ' needs MockNet slotSize >= ' + (mtu + 14));
    const name = opts.name ?? 'stack' + (this.stacks.length + 1);
    // (a subclass, so that the usual driver carries no extra property: the XS heap figures use it)
    const driver = opts.txTcpSegmentation === true ? new TsoMockDriver(this.wire, toMac(opts.mac, n), mtu, name)
      : opts.txChecksumOffload === true ? new OffloadMockDriver(this.wire, toMac(opts.mac, n), mtu, name)
        : new MockDriver(this.wire, toMac(opts.mac, n), mtu, name);
    driver.rxOneCopy = this.oneCopy;
    const hal: Hal = { driver, clock: this.clock, random: new SeededRandom((this.seed + this.stacks.length + 1) >>> 0) };
    if (opts.checksum !== undefined) hal.checksum = opts.checksum;
    if (opts.poolMemory !== undefined) hal.poolMemory = opts.poolMemory;
    const stack = new Stack(hal, {
      ip: opts.ip, netmask: opts.netmask, gateway: opts.gateway, config: opts.config, name,
      hostname: opts.hostname, dns: opts.dns,
    });
    if (driver.sink !== stack.netif) driver.attach(stack.netif);
    this.stacks.push(stack);
    this.drivers.push(driver);
    return stack;
  }

  /** The MockDriver under `stack` (to unplug its cable, read its counters). */
  driverOf(stack: Stack): MockDriver {
    const i = this.stacks.indexOf(stack);
    if (i < 0) throw new Error('stack not on this MockNet');
    return this.drivers[i];
  }

  /** A test-side port with its own MAC (default 02:00:00:00:00:<port number + 1>). */
  addRaw(mac?: string | Uint8Array, name?: string): RawEndpoint {
    const n = this.wire.ports.length + 1;
    const ep = new RawEndpoint(this.wire, toMac(mac, n), name ?? 'raw' + (this.raws.length + 1));
    this.raws.push(ep);
    return ep;
  }

  /** Calls `fn(now)` after the stacks' ticks on every step (test drivers, traffic generators). */
  onStep(fn: (now: number) => void): () => void {
    this.tickers.push(fn);
    return () => {
      const i = this.tickers.indexOf(fn);
      if (i >= 0) this.tickers.splice(i, 1);
    };
  }

  /** One step: advance the clock, deliver due frames (as one burst per driver with `bursts`), tick
   *  every stack. */
  step(): void {
    const now = this.clock.advance(this.stepMs);
    if (this.bursts) this.deliverBurst(now);
    else this.wire.deliverDue(now);
    for (let i = 0; i < this.stacks.length; i++) this.stacks[i].tick(now);
    for (let i = 0; i < this.tickers.length; i++) this.tickers[i](now);
  }

  /** The frames due now, one burst per driver (`bursts`). */
  private deliverBurst(now: number): void {
    for (let i = 0; i < this.drivers.length; i++) this.drivers[i].sink?.rxBurstBegin();
    try {
      this.wire.deliverDue(now);
    } finally {
      for (let i = 0; i < this.drivers.length; i++) this.drivers[i].sink?.rxBurstEnd();
    }
  }

  /** Runs `ms` of virtual time (rounded up to whole steps). */
  run(ms: number): void {
    const end = this.clock.now() + ms;
    while (this.clock.now() < end) this.step();
  }

  /** Steps until `cond()` holds (checked before the first step and after each) or `maxMs` pass.
   *  Returns whether `cond()` held. */
  runUntil(cond: () => boolean, maxMs: number): boolean {
    if (cond()) return true;
    const end = this.clock.now() + maxMs;
    while (this.clock.now() < end) {
      this.step();
      if (cond()) return true;
    }
    return false;
  }

  /** Starts recording every frame that crosses the wire (at delivery, virtual timestamps; 'tx' to
   *  record at sending instead). Save it with tools/pcapfile.ts on the host. */
  startCapture(opts: PcapWriterOptions & { point?: 'rx' | 'tx' } = {}): PcapWriter {
    const w = new PcapWriter(opts);
    this.wire.addCapture(w, opts.point ?? 'rx');
    return w;
  }

  /** Same as startCapture() (the name in the contract). */
  pcap(opts?: PcapWriterOptions & { point?: 'rx' | 'tx' }): PcapWriter {
    return this.startCapture(opts);
  }

  stopCapture(w: PcapWriter): void {
    this.wire.removeCapture(w);
  }
}
