/**
 * An in-memory Ethernet segment for tests and benchmarks: N ports (stacks' MockDrivers and test-side
 * RawEndpoints) joined like a learning-free switch. A frame goes to the port whose MAC equals the
 * destination MAC; broadcast and multicast frames (I/G bit set, IEEE 802.3 §3.2.3) go to every other
 * port; a unicast frame for a MAC no port has is dropped and counted (promiscuous ports see it).
 *
 * Faults are drawn from one SeededRandom, so a run is a pure function of its seed and settings:
 * loss, duplication, reordering (hold a frame back `reorderMs`, past the frames sent after it),
 * corruption (one byte past the Ethernet header flipped), fixed delay plus jitter, and a per-port
 * serialisation rate (a port's transmitter sends one frame after another at rateBytesPerSec, with an
 * optional tail-drop backlog limit). Tests can drop chosen frames with `dropIf(pred)`.
 *
 * Frames are never delivered inside `transmit` (a reply would recurse into the sender): they are
 * queued with a delivery time and handed over by `deliverDue(now)`, which MockNet calls every step.
 * Frames queued while `deliverDue` runs wait for the next call, so a reply storm cannot spin forever
 * inside one step.
 *
 * No allocation per frame: frames live in fixed slots of ONE ArrayBuffer (a free stack of slot
 * indices; a strict ring would not survive reordering), their metadata in typed arrays, and the
 * delivery queue is an index array kept sorted by (time, sequence). The XS allocation benchmark runs
 * through this wire, so only test-side hooks (RawEndpoint copies, predicates) may allocate.
 */
import type { Clock, FrameChain, FrameSink, NetDriver } from '../../src/hal.js';
import { SeededRandom } from '../../src/core/random.js';
import { copyBytes } from '../../src/core/pbuf.js';

/** Fault settings; every field may be changed at run time (`wire.setFaults` or directly). */
/** Where the wire records frames (tools/pcap.ts PcapWriter is one): called with the virtual time and
 *  the frame's bytes, which are valid only during the call. */
export interface FrameCapture {
  writeFrame(timeMs: number, buf: Uint8Array, off: number, len: number): void;
}

export class WireFaults {
  /** Probability [0, 1] that a frame is lost. */
  loss = 0;
  /** Probability that a frame is delivered twice. */
  duplicate = 0;
  /** Probability that a frame is held back `reorderMs` (so later frames overtake it). */
  reorder = 0;
  /** How long a reordered frame is held back, ms. */
  reorderMs = 5;
  /** Probability that one byte past the Ethernet header is flipped. */
  corrupt = 0;
  /** Propagation delay, ms. */
  delayMs = 0;
  /** Extra random delay, uniform in [0, jitterMs) ms. Jitter alone can reorder frames. */
  jitterMs = 0;
  /** Serialisation rate of each port's transmitter, bytes per second; 0 = unlimited. */
  rateBytesPerSec = 0;
  /** With a rate: a frame that would wait more than this many ms for the transmitter is dropped
   *  (a tail-drop queue, as at a bottleneck router). Default Infinity. */
  queueLimitMs = Infinity;
}

export type WireFaultSettings = Partial<{ [K in keyof WireFaults]: number }>;

/** Counters of the wire (one object, updated in place). */
export class WireStats {
  /** Frames accepted for sending (before faults). */
  sent = 0;
  /** Frame deliveries to a port (a broadcast counts once per receiving port). */
  delivered = 0;
  lost = 0;
  duplicated = 0;
  reordered = 0;
  corrupted = 0;
  /** Dropped by a `dropIf` predicate. */
  filtered = 0;
  /** Dropped because every slot was in flight. */
  overflow = 0;
  /** Dropped because longer than a slot (or empty). */
  oversize = 0;
  /** Dropped by the rate limiter's backlog limit. */
  queueDrops = 0;
  /** Unicast frames for a MAC no port has. */
  unknownDst = 0;
  /** Frames dropped because the sending or receiving port's link was down. */
  linkDown = 0;
}

/** Test hook: return true to drop the frame (`len` bytes at `buf[off..]`, sent by `from`). */
export type DropPredicate = (buf: Uint8Array, off: number, len: number, from: WirePort) => boolean;

/** A port of the wire: a MockDriver or a RawEndpoint. */
export abstract class WirePort {
  readonly wire: MockWire;
  readonly mac: Uint8Array;
  /** Position in `wire.ports`. */
  readonly portIndex: number;
  /** Receives unicast frames addressed to other MACs too. */
  promiscuous = false;
  /** Time at which this port's transmitter is free again (rate limiting). */
  txFreeAt = 0;
  name: string;
  protected linkUp = true;

  constructor(wire: MockWire, mac: Uint8Array, name: string) {
    this.wire = wire;
    this.mac = new Uint8Array(6);
    copyBytes(this.mac, 0, mac, 0, 6);
    this.name = name;
    this.portIndex = wire.addPort(this);
  }

  isLinkUp(): boolean {
    return this.linkUp;
  }

  /** Called by the wire with a frame for this port; `buf` is reused after the call returns. */
  abstract deliver(buf: Uint8Array, off: number, len: number): void;
}

export interface MockWireOptions {
  seed?: number;
  /** Frame slots (frames in flight at once, duplicates included). Default 512. */
  slots?: number;
  /** Bytes per slot: the longest frame carried. Default 1600 (an MTU of 1500 + 14 and room to spare). */
  slotSize?: number;
  /** Frames shorter than this are zero-padded (Ethernet's 60-byte minimum without FCS); 0 = never.
   *  Default 0, so that tests see exactly what the stack sent. */
  minFrameLen?: number;
  clock?: Clock;
}

export class MockWire {
  readonly faults = new WireFaults();
  readonly stats = new WireStats();
  readonly ports: WirePort[] = [];
  readonly clock: Clock;
  readonly slotSize: number;
  readonly slotCount: number;
  minFrameLen: number;
  /** All slots, one ArrayBuffer. */
  readonly mem: Uint8Array;
  private readonly random: SeededRandom;
  private readonly slotLen: Int32Array;
  private readonly slotSrc: Int32Array;
  private readonly slotTime: Float64Array;
  private readonly slotSeq: Float64Array;
  private readonly free: Int32Array;
  private freeTop: number;
  /** Slot indices in flight, sorted by (time, seq). */
  private readonly queue: Int32Array;
  private queueLen = 0;
  private nextSeq = 0;
  private readonly dropRules: DropPredicate[] = [];
  private readonly txCaptures: FrameCapture[] = [];
  private readonly rxCaptures: FrameCapture[] = [];

  constructor(opts: MockWireOptions = {}) {
    this.random = new SeededRandom(opts.seed ?? 1);
    this.slotCount = opts.slots ?? 512;
    this.slotSize = opts.slotSize ?? 1600;
    this.minFrameLen = opts.minFrameLen ?? 0;
    this.clock = opts.clock ?? { now: () => 0 };
    this.mem = new Uint8Array(this.slotCount * this.slotSize);
    this.slotLen = new Int32Array(this.slotCount);
    this.slotSrc = new Int32Array(this.slotCount);
    this.slotTime = new Float64Array(this.slotCount);
    this.slotSeq = new Float64Array(this.slotCount);
    this.free = new Int32Array(this.slotCount);
    for (let i = 0; i < this.slotCount; i++) this.free[i] = this.slotCount - 1 - i;
    this.freeTop = this.slotCount;
    this.queue = new Int32Array(this.slotCount);
  }

  /** Registers a port (called by the WirePort constructor). */
  addPort(port: WirePort): number {
    this.ports.push(port);
    return this.ports.length - 1;
  }

  /** Changes fault settings; unspecified fields keep their values. */
  setFaults(f: WireFaultSettings): void {
    Object.assign(this.faults, f);
  }

  /** Frames in flight. */
  get inFlight(): number {
    return this.queueLen;
  }

  /** Earliest delivery time of a queued frame, or Infinity. */
  get nextDeliveryTime(): number {
    return this.queueLen === 0 ? Infinity : this.slotTime[this.queue[0]];
  }

  /** Adds a drop rule; returns a function that removes it. */
  dropIf(pred: DropPredicate): () => void {
    this.dropRules.push(pred);
    return () => {
      const i = this.dropRules.indexOf(pred);
      if (i >= 0) this.dropRules.splice(i, 1);
    };
  }

  /** Removes every drop rule. */
  clearDropRules(): void {
    this.dropRules.length = 0;
  }

  /** Records frames into `w`: at delivery ('rx', default: what arrived, after loss and corruption, once
   *  per frame even when broadcast) or when sent ('tx': what each port put on the wire). */
  addCapture(w: FrameCapture, point: 'rx' | 'tx' = 'rx'): void {
    (point === 'tx' ? this.txCaptures : this.rxCaptures).push(w);
  }

  removeCapture(w: FrameCapture): void {
    let i = this.txCaptures.indexOf(w);
    if (i >= 0) this.txCaptures.splice(i, 1);
    i = this.rxCaptures.indexOf(w);
    if (i >= 0) this.rxCaptures.splice(i, 1);
  }

  /** Sends a frame given as a chain of byte ranges (a pbuf chain). False if it was dropped at once
   *  (link down, too long, no slot); a frame lost to a random fault still returns true, as a real
   *  NIC does not know. */
  transmitChain(from: WirePort, frame: FrameChain, totLen: number): boolean {
    if (!from.isLinkUp()) { this.stats.linkDown++; return false; }
    if (totLen <= 0 || totLen > this.slotSize) { this.stats.oversize++; return false; }
    if (this.freeTop === 0) { this.stats.overflow++; return false; }
    const slot = this.free[--this.freeTop];
    const base = slot * this.slotSize;
    let pos = 0;
    for (let q: FrameChain | null = frame; q !== null && pos < totLen; q = q.next) {
      let n = q.len;
      if (n > totLen - pos) n = totLen - pos;
      copyBytes(this.mem, base + pos, q.buf, q.off, n);
      pos += n;
    }
    if (pos < totLen) {
      // the chain was shorter than announced: refuse it rather than send stale bytes
      this.free[this.freeTop++] = slot;
      this.stats.oversize++;
      return false;
    }
    return this.launch(from, slot, totLen);
  }

  /** Sends `len` bytes of `buf` from `off` (RawEndpoint). */
  transmitBytes(from: WirePort, buf: Uint8Array, off: number, len: number): boolean {
    if (!from.isLinkUp()) { this.stats.linkDown++; return false; }
    if (len <= 0 || len > this.slotSize || off < 0 || off + len > buf.length) { this.stats.oversize++; return false; }
    if (this.freeTop === 0) { this.stats.overflow++; return false; }
    const slot = this.free[--this.freeTop];
    copyBytes(this.mem, slot * this.slotSize, buf, off, len);
    return this.launch(from, slot, len);
  }

  /** Applies padding, hooks and faults to a filled slot and queues it. */
  private launch(from: WirePort, slot: number, len: number): boolean {
    const st = this.stats;
    const f = this.faults;
    const base = slot * this.slotSize;
    st.sent++;
    if (len < this.minFrameLen && this.minFrameLen <= this.slotSize) {
      this.mem.fill(0, base + len, base + this.minFrameLen);
      len = this.minFrameLen;
    }
    for (let i = 0; i < this.txCaptures.length; i++) this.txCaptures[i].writeFrame(this.clock.now(), this.mem, base, len);
    for (let i = 0; i < this.dropRules.length; i++) {
      if (this.dropRules[i](this.mem, base, len, from)) {
        st.filtered++;
        this.free[this.freeTop++] = slot;
        return true;
      }
    }
    const rnd = this.random;
    if (f.loss > 0 && rnd.nextFloat() < f.loss) {
      st.lost++;
      this.free[this.freeTop++] = slot;
      return true;
    }
    const now = this.clock.now();
    // RFC-free zone: a plain serialisation model, len bytes at rate after the previous frame
    let t = now;
    if (f.rateBytesPerSec > 0) {
      const start = from.txFreeAt > now ? from.txFreeAt : now;
      if (start - now > f.queueLimitMs) {
        st.queueDrops++;
        this.free[this.freeTop++] = slot;
        return true;
      }
      t = start + (len * 1000) / f.rateBytesPerSec;
      from.txFreeAt = t;
    }
    if (f.corrupt > 0 && rnd.nextFloat() < f.corrupt && len > 14) {
      const at = 14 + (rnd.nextU32() % (len - 14));
      this.mem[base + at] ^= 1 + (rnd.nextU32() % 255);
      st.corrupted++;
    }
    t += f.delayMs;
    if (f.jitterMs > 0) t += rnd.nextFloat() * f.jitterMs;
    if (f.reorder > 0 && rnd.nextFloat() < f.reorder) {
      t += f.reorderMs;
      st.reordered++;
    }
    this.slotLen[slot] = len;
    this.slotSrc[slot] = from.portIndex;
    this.enqueue(slot, t);
    if (f.duplicate > 0 && rnd.nextFloat() < f.duplicate && this.freeTop > 0) {
      const dup = this.free[--this.freeTop];
      this.mem.copyWithin(dup * this.slotSize, base, base + len);
      this.slotLen[dup] = len;
      this.slotSrc[dup] = from.portIndex;
      this.enqueue(dup, t);
      st.duplicated++;
    }
    return true;
  }

  /** Inserts `slot` in the queue ordered by (time, sequence): equal times keep sending order. */
  private enqueue(slot: number, time: number): void {
    this.slotTime[slot] = time;
    this.slotSeq[slot] = this.nextSeq++;
    const q = this.queue;
    let i = this.queueLen;
    // most frames go at the end: scan back from there
    while (i > 0 && this.slotTime[q[i - 1]] > time) {
      q[i] = q[i - 1];
      i--;
    }
    q[i] = slot;
    this.queueLen++;
  }

  /**
   * Delivers every frame whose time has come (time <= now) and that was queued before this call.
   * Returns how many frames were taken off the wire.
   */
  deliverDue(now: number): number {
    const limit = this.nextSeq;
    let done = 0;
    const q = this.queue;
    let i = 0;
    // Frames are taken in queue order; those queued during this call (seq >= limit) are skipped
    // but stay in place, so a zero-delay reply goes out on the next call.
    while (i < this.queueLen) {
      const slot = q[i];
      if (this.slotTime[slot] > now) break;
      if (this.slotSeq[slot] >= limit) { i++; continue; }
      // remove q[i]
      q.copyWithin(i, i + 1, this.queueLen);
      this.queueLen--;
      done++;
      try {
        this.deliverSlot(slot);
      } finally {
        // a test hook that throws must not leak the slot
        this.free[this.freeTop++] = slot;
      }
    }
    return done;
  }

  /** Drops every frame in flight (e.g. between test phases). */
  flush(): void {
    for (let i = 0; i < this.queueLen; i++) this.free[this.freeTop++] = this.queue[i];
    this.queueLen = 0;
  }

  private deliverSlot(slot: number): void {
    const base = slot * this.slotSize;
    const len = this.slotLen[slot];
    const src = this.slotSrc[slot];
    const m = this.mem;
    for (let i = 0; i < this.rxCaptures.length; i++) this.rxCaptures[i].writeFrame(this.clock.now(), m, base, len);
    const ports = this.ports;
    if ((m[base] & 1) !== 0) {
      // broadcast / multicast: every other port
      for (let p = 0; p < ports.length; p++) if (p !== src) this.deliverTo(ports[p], base, len);
      return;
    }
    let found = false;
    for (let p = 0; p < ports.length; p++) {
      if (p === src) continue;
      const port = ports[p];
      const mac = port.mac;
      if (mac[0] === m[base] && mac[1] === m[base + 1] && mac[2] === m[base + 2]
        && mac[3] === m[base + 3] && mac[4] === m[base + 4] && mac[5] === m[base + 5]) {
        found = true;
        this.deliverTo(port, base, len);
      } else if (port.promiscuous) {
        this.deliverTo(port, base, len);
      }
    }
    if (!found) this.stats.unknownDst++;
  }

  private deliverTo(port: WirePort, base: number, len: number): void {
    if (!port.isLinkUp()) { this.stats.linkDown++; return; }
    this.stats.delivered++;
    port.deliver(this.mem, base, len);
  }
}

/** The mock network driver a Stack uses: its frames go through a MockWire. */
export class MockDriver extends WirePort implements NetDriver {
  readonly mtu: number;
  sink: FrameSink | null = null;
  txFrames = 0;
  txDropped = 0;
  rxFrames = 0;
  /** Deliver as a driver with its own DMA would: straight into a pool pbuf (FrameSink.rxReserve,
   *  one native copy, rxCommit) instead of through receiveFrame. */
  rxOneCopy = false;
  /** Frames longer than the sink's rxCapacity, dropped here (one-copy delivery only). */
  rxTooLong = 0;

  constructor(wire: MockWire, mac: Uint8Array, mtu = 1500, name = 'eth') {
    super(wire, mac, name);
    this.mtu = mtu;
  }

  attach(sink: FrameSink): void {
    this.sink = sink;
  }

  transmit(frame: FrameChain, totLen: number): boolean {
    if (this.wire.transmitChain(this, frame, totLen)) {
      this.txFrames++;
      return true;
    }
    this.txDropped++;
    return false;
  }

  deliver(buf: Uint8Array, off: number, len: number): void {
    this.rxFrames++;
    const sink = this.sink;
    if (sink === null) return;
    if (!this.rxOneCopy) {
      sink.receiveFrame(buf, off, len);
      return;
    }
    const at = sink.rxReserve();
    if (at < 0) return; // pool empty: the stack counted the drop
    if (len > sink.rxCapacity) {
      sink.rxCommit(0);
      this.rxTooLong++;
      return;
    }
    sink.rxMemory.set(buf.subarray(off, off + len), at);
    sink.rxCommit(len);
  }

  /** Plugs or unplugs the cable; the stack hears of it through linkChanged. */
  setLink(up: boolean): void {
    if (up === this.linkUp) return;
    this.linkUp = up;
    if (this.sink !== null) this.sink.linkChanged(up);
  }
}

/** A test's own port on the wire: sends raw frames and records what it receives. */
export class RawEndpoint extends WirePort {
  /** Received frames (copies), oldest first; `take()` removes from the front. */
  readonly frames: Uint8Array[] = [];
  /** Store received frames in `frames` (turn off when only `onFrame` is wanted). */
  keep = true;
  private readonly listeners: ((frame: Uint8Array, ep: RawEndpoint) => void)[] = [];

  constructor(wire: MockWire, mac: Uint8Array, name = 'raw') {
    super(wire, mac, name);
  }

  /** Queues `frame` (a whole Ethernet frame, destination MAC first) on the wire. */
  send(frame: Uint8Array, off = 0, len = frame.length - off): boolean {
    return this.wire.transmitBytes(this, frame, off, len);
  }

  /** The oldest received frame not yet taken, or undefined. */
  take(): Uint8Array | undefined {
    return this.frames.shift();
  }

  /** Forgets every received frame. */
  clear(): void {
    this.frames.length = 0;
  }

  /** Calls `cb` with a copy of each received frame; returns a function that removes it. */
  onFrame(cb: (frame: Uint8Array, ep: RawEndpoint) => void): () => void {
    this.listeners.push(cb);
    return () => {
      const i = this.listeners.indexOf(cb);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  setLink(up: boolean): void {
    this.linkUp = up;
  }

  deliver(buf: Uint8Array, off: number, len: number): void {
    const copy = buf.slice(off, off + len);
    if (this.keep) this.frames.push(copy);
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i](copy, this);
  }
}

/** A locally administered unicast MAC 02:00:00:00:hi:lo for port number `n` (deterministic). */
export function mockMac(n: number): Uint8Array {
  const mac = new Uint8Array(6);
  mac[0] = 0x02;
  mac[4] = (n >>> 8) & 0xff;
  mac[5] = n & 0xff;
  return mac;
}
