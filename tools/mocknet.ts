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
import type { Hal } from '../src/hal.js';
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
}

/** A MockDriver that declares transmit checksum offload (NetDriver.txChecksumOffload). */
class OffloadMockDriver extends MockDriver {
  readonly txChecksumOffload = true;
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
    const driver = opts.txChecksumOffload === true ? new OffloadMockDriver(this.wire, toMac(opts.mac, n), mtu, name)
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
