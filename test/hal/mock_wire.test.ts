/**
 * The mock HAL itself: delivery rules, each fault deterministic for a seed, rate limiting, capture.
 * These tests drive MockWire directly with RawEndpoints and a MockDriver on a fake sink.
 */
import assert from 'node:assert/strict';
import { VirtualClock } from '../../hal/mock/clock.js';
import { MockWire, MockDriver, RawEndpoint, mockMac } from '../../hal/mock/wire.js';
import { PcapWriter, parsePcap, LINKTYPE_ETHERNET } from '../../tools/pcap.js';
import { PbufPool, PBUF_RAW, pbuf_free } from '../../src/core/pbuf.js';
import type { FrameSink } from '../../src/hal.js';

const BCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** A frame to `dst` from `src` with a 32-bit id at byte 14 and a pattern after it. */
function frame(dst: Uint8Array, src: Uint8Array, id: number, len = 64): Uint8Array {
  const f = new Uint8Array(len);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x88; f[13] = 0xb5; // local experimental ethertype
  f[14] = id >>> 24; f[15] = (id >>> 16) & 255; f[16] = (id >>> 8) & 255; f[17] = id & 255;
  for (let i = 18; i < len; i++) f[i] = (i * 7 + id) & 255;
  return f;
}

function idOf(f: Uint8Array): number {
  return ((f[14] << 24) | (f[15] << 16) | (f[16] << 8) | f[17]) >>> 0;
}

interface Rig { clock: VirtualClock; wire: MockWire; a: RawEndpoint; b: RawEndpoint; c: RawEndpoint }

function rig(seed = 1, slots = 512): Rig {
  const clock = new VirtualClock();
  const wire = new MockWire({ seed, clock, slots });
  const a = new RawEndpoint(wire, mockMac(1), 'a');
  const b = new RawEndpoint(wire, mockMac(2), 'b');
  const c = new RawEndpoint(wire, mockMac(3), 'c');
  return { clock, wire, a, b, c };
}

/** Advances 1 ms at a time, delivering, for `ms`. */
function run(r: { clock: VirtualClock; wire: MockWire }, ms: number): void {
  for (let i = 0; i < ms; i++) r.wire.deliverDue(r.clock.advance(1));
}

/** Sends `n` frames a → b (one per call, all at the current time) and runs until all have landed. */
function blast(r: Rig, n: number, len = 64): number[] {
  for (let i = 0; i < n; i++) assert.equal(r.a.send(frame(r.b.mac, r.a.mac, i, len)), true);
  run(r, 200);
  return r.b.frames.map(idOf);
}

class FakeSink implements FrameSink {
  frames: Uint8Array[] = [];
  link: boolean[] = [];
  // MockDriver delivers through receiveFrame only
  readonly rxMemory = new Uint8Array(0);
  readonly rxCapacity = 0;
  rxReserve(): number { return -1; }
  rxCommit(): void { /* nothing reserved */ }
  rxBurstBegin(): void { /* MockDriver reports no bursts */ }
  rxBurstEnd(): void { /* MockDriver reports no bursts */ }
  receiveFrame(buf: Uint8Array, off: number, len: number): void { this.frames.push(buf.slice(off, off + len)); }
  linkChanged(up: boolean): void { this.link.push(up); }
}

describe('mock wire: delivery', () => {
  it('delivers unicast only to the port with the destination MAC', () => {
    const r = rig();
    r.a.send(frame(r.b.mac, r.a.mac, 7));
    run(r, 1);
    assert.equal(r.b.frames.length, 1);
    assert.equal(idOf(r.b.frames[0]), 7);
    assert.equal(r.a.frames.length, 0);
    assert.equal(r.c.frames.length, 0);
    assert.equal(r.wire.stats.delivered, 1);
  });

  it('never delivers inside send: frames wait for deliverDue', () => {
    const r = rig();
    r.a.send(frame(r.b.mac, r.a.mac, 1));
    assert.equal(r.b.frames.length, 0);
    assert.equal(r.wire.inFlight, 1);
    r.wire.deliverDue(r.clock.now());
    assert.equal(r.b.frames.length, 1);
    assert.equal(r.wire.inFlight, 0);
  });

  it('delivers broadcast and multicast to every port but the sender', () => {
    const r = rig();
    r.a.send(frame(BCAST, r.a.mac, 1));
    const mcast = new Uint8Array([0x01, 0x00, 0x5e, 0, 0, 1]);
    r.b.send(frame(mcast, r.b.mac, 2));
    run(r, 1);
    assert.deepEqual(r.a.frames.map(idOf), [2]);
    assert.deepEqual(r.b.frames.map(idOf), [1]);
    assert.deepEqual(r.c.frames.map(idOf), [1, 2]);
    assert.equal(r.wire.stats.delivered, 4);
  });

  it('drops unicast for an unknown MAC, but a promiscuous port sees it', () => {
    const r = rig();
    r.a.send(frame(mockMac(99), r.a.mac, 5));
    run(r, 1);
    assert.equal(r.wire.stats.unknownDst, 1);
    assert.equal(r.b.frames.length + r.c.frames.length, 0);
    r.c.promiscuous = true;
    r.a.send(frame(r.b.mac, r.a.mac, 6));
    run(r, 1);
    assert.deepEqual(r.b.frames.map(idOf), [6]);
    assert.deepEqual(r.c.frames.map(idOf), [6]);
  });

  it('keeps sending order for frames due at the same time', () => {
    const r = rig();
    assert.deepEqual(blast(r, 50), Array.from({ length: 50 }, (_, i) => i));
  });

  it('take() returns copies oldest first, onFrame sees each frame once', () => {
    const r = rig();
    const seen: number[] = [];
    const off = r.b.onFrame((f) => seen.push(idOf(f)));
    r.a.send(frame(r.b.mac, r.a.mac, 1));
    r.a.send(frame(r.b.mac, r.a.mac, 2));
    run(r, 1);
    off();
    r.a.send(frame(r.b.mac, r.a.mac, 3));
    run(r, 1);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(idOf(r.b.take()!), 1);
    assert.equal(idOf(r.b.take()!), 2);
    assert.equal(idOf(r.b.take()!), 3);
    assert.equal(r.b.take(), undefined);
  });

  it('a reply sent while a frame is being delivered waits for the next step', () => {
    const r = rig();
    // b answers every frame at once; with zero delay this would spin forever if delivered in the same pass
    r.b.onFrame((f) => { r.b.send(frame(r.a.mac, r.b.mac, idOf(f) + 1)); });
    r.a.onFrame((f) => { r.a.send(frame(r.b.mac, r.a.mac, idOf(f) + 1)); });
    r.a.send(frame(r.b.mac, r.a.mac, 0));
    r.wire.deliverDue(0);
    assert.equal(r.b.frames.length, 1);
    assert.equal(r.a.frames.length, 0);
    r.wire.deliverDue(0);
    assert.equal(r.a.frames.length, 1);
    assert.equal(idOf(r.a.frames[0]), 1);
  });

  it('pads short frames to minFrameLen with zeros when asked', () => {
    const r = rig();
    r.wire.minFrameLen = 60;
    const f = frame(r.b.mac, r.a.mac, 3, 42);
    r.a.send(f);
    run(r, 1);
    const got = r.b.take()!;
    assert.equal(got.length, 60);
    assert.deepEqual(got.subarray(0, 42), f);
    assert.ok(got.subarray(42).every((x) => x === 0));
  });

  it('refuses frames longer than a slot and empty frames', () => {
    const r = rig();
    assert.equal(r.a.send(new Uint8Array(1601)), false);
    assert.equal(r.a.send(new Uint8Array(0)), false);
    assert.equal(r.wire.stats.oversize, 2);
    assert.equal(r.a.send(frame(r.b.mac, r.a.mac, 1, 1600)), true);
  });

  it('refuses frames when every slot is in flight, and recovers', () => {
    const r = rig(1, 8);
    r.wire.setFaults({ delayMs: 10 });
    for (let i = 0; i < 8; i++) assert.equal(r.a.send(frame(r.b.mac, r.a.mac, i)), true);
    assert.equal(r.a.send(frame(r.b.mac, r.a.mac, 8)), false);
    assert.equal(r.wire.stats.overflow, 1);
    run(r, 10);
    assert.equal(r.b.frames.length, 8);
    assert.equal(r.a.send(frame(r.b.mac, r.a.mac, 9)), true);
  });

  it('flush() drops everything in flight and frees the slots', () => {
    const r = rig(1, 4);
    r.wire.setFaults({ delayMs: 5 });
    for (let i = 0; i < 4; i++) r.a.send(frame(r.b.mac, r.a.mac, i));
    r.wire.flush();
    assert.equal(r.wire.inFlight, 0);
    run(r, 10);
    assert.equal(r.b.frames.length, 0);
    for (let i = 0; i < 4; i++) assert.equal(r.a.send(frame(r.b.mac, r.a.mac, i)), true);
  });

  it('a port whose link is down neither sends nor receives', () => {
    const r = rig();
    r.b.setLink(false);
    r.a.send(frame(r.b.mac, r.a.mac, 1));
    run(r, 1);
    assert.equal(r.b.frames.length, 0);
    assert.equal(r.b.send(frame(r.a.mac, r.b.mac, 2)), false);
    assert.equal(r.wire.stats.linkDown, 2);
    r.b.setLink(true);
    r.a.send(frame(r.b.mac, r.a.mac, 3));
    run(r, 1);
    assert.deepEqual(r.b.frames.map(idOf), [3]);
  });
});

describe('mock wire: MockDriver', () => {
  it('transmit copies a pbuf chain into one frame; the pbufs may be freed at once', () => {
    const r = rig();
    const drv = new MockDriver(r.wire, mockMac(10), 1500, 'drv');
    const pool = new PbufPool(8, 256, 4, 1);
    const p = pool.alloc(PBUF_RAW, 600)!;
    assert.equal(p.next !== null, true, 'a chain');
    const f = frame(r.b.mac, drv.mac, 42, 600);
    let pos = 0;
    for (let q: typeof p | null = p; q !== null; q = q.next) { q.buf.set(f.subarray(pos, pos + q.len), q.off); pos += q.len; }
    assert.equal(drv.transmit(p, p.totLen), true);
    // the driver must have copied: scribble over the pbufs and free them before delivery
    for (let q: typeof p | null = p; q !== null; q = q.next) q.buf.fill(0xee, q.off, q.off + q.len);
    pbuf_free(p);
    assert.equal(pool.freeCount, 8);
    run(r, 1);
    assert.deepEqual(r.b.take(), f);
    assert.equal(drv.txFrames, 1);
  });

  it('transmit refuses a chain shorter than totLen', () => {
    const r = rig();
    const drv = new MockDriver(r.wire, mockMac(10));
    const chain = { buf: new Uint8Array(20), off: 0, len: 20, next: null };
    assert.equal(drv.transmit(chain, 40), false);
    assert.equal(drv.txDropped, 1);
  });

  it('delivers received frames to the attached sink and reports link changes', () => {
    const r = rig();
    const drv = new MockDriver(r.wire, mockMac(10));
    const sink = new FakeSink();
    drv.attach(sink);
    assert.equal(drv.isLinkUp(), true);
    const f = frame(drv.mac, r.a.mac, 5, 100);
    r.a.send(f);
    r.a.send(frame(BCAST, r.a.mac, 6));
    run(r, 1);
    assert.equal(sink.frames.length, 2);
    assert.deepEqual(sink.frames[0], f);
    assert.equal(drv.rxFrames, 2);
    drv.setLink(false);
    drv.setLink(false);
    assert.equal(drv.transmit({ buf: f, off: 0, len: f.length, next: null }, f.length), false);
    drv.setLink(true);
    assert.deepEqual(sink.link, [false, true]);
  });
});

describe('mock wire: faults are seeded and deterministic', () => {
  const N = 400;

  function withFaults(seed: number, faults: Parameters<MockWire['setFaults']>[0]): { ids: number[]; r: Rig } {
    const r = rig(seed);
    r.wire.setFaults(faults);
    return { ids: blast(r, N), r };
  }

  it('loss: the same seed loses the same frames, another seed others', () => {
    const x = withFaults(7, { loss: 0.25 });
    const y = withFaults(7, { loss: 0.25 });
    const z = withFaults(8, { loss: 0.25 });
    assert.deepEqual(x.ids, y.ids);
    assert.notDeepEqual(x.ids, z.ids);
    assert.equal(x.r.wire.stats.lost, N - x.ids.length);
    assert.ok(x.ids.length > N * 0.65 && x.ids.length < N * 0.85, 'about 25% lost: ' + x.ids.length);
    // what survives keeps its order
    assert.deepEqual(x.ids, [...x.ids].sort((a, b) => a - b));
  });

  it('loss 1 drops everything, loss 0 nothing', () => {
    assert.equal(withFaults(1, { loss: 1 }).ids.length, 0);
    assert.equal(withFaults(1, { loss: 0 }).ids.length, N);
  });

  it('duplicate: copies arrive right after the original, deterministically', () => {
    const x = withFaults(3, { duplicate: 0.2 });
    const y = withFaults(3, { duplicate: 0.2 });
    assert.deepEqual(x.ids, y.ids);
    assert.equal(x.ids.length, N + x.r.wire.stats.duplicated);
    assert.ok(x.r.wire.stats.duplicated > N * 0.1 && x.r.wire.stats.duplicated < N * 0.3);
    assert.deepEqual([...new Set(x.ids)], Array.from({ length: N }, (_, i) => i));
    for (let i = 1; i < x.ids.length; i++) assert.ok(x.ids[i] >= x.ids[i - 1]);
  });

  it('reorder: held frames are overtaken by later ones; same seed, same order', () => {
    function sendSpread(seed: number): { ids: number[]; r: Rig } {
      const r = rig(seed);
      r.wire.setFaults({ reorder: 0.1, reorderMs: 5 });
      for (let i = 0; i < N; i++) { r.a.send(frame(r.b.mac, r.a.mac, i)); run(r, 1); }
      run(r, 20);
      return { ids: r.b.frames.map(idOf), r };
    }
    const x = sendSpread(11);
    const y = sendSpread(11);
    assert.deepEqual(x.ids, y.ids);
    assert.equal(x.ids.length, N);
    assert.deepEqual([...x.ids].sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i));
    let inversions = 0;
    for (let i = 1; i < x.ids.length; i++) if (x.ids[i] < x.ids[i - 1]) inversions++;
    assert.ok(inversions > 0, 'some frames overtaken');
    assert.ok(x.r.wire.stats.reordered > N * 0.05);
    assert.notDeepEqual(x.ids, sendSpread(12).ids);
  });

  it('corrupt: exactly one byte past the Ethernet header changes', () => {
    const r = rig(5);
    r.wire.setFaults({ corrupt: 1 });
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 100; i++) { const f = frame(r.b.mac, r.a.mac, i, 60 + i); sent.push(f); r.a.send(f); }
    run(r, 1);
    assert.equal(r.b.frames.length, 100);
    assert.equal(r.wire.stats.corrupted, 100);
    for (let i = 0; i < 100; i++) {
      const got = r.b.frames[i];
      let diffs = 0;
      let at = -1;
      for (let j = 0; j < got.length; j++) if (got[j] !== sent[i][j]) { diffs++; at = j; }
      assert.equal(diffs, 1, 'frame ' + i);
      assert.ok(at >= 14);
    }
  });

  it('corrupt: the same seed flips the same bytes', () => {
    function corrupted(seed: number): string {
      const r = rig(seed);
      r.wire.setFaults({ corrupt: 0.5 });
      blast(r, 50, 200);
      return r.b.frames.map((f) => Array.from(f).join(',')).join('|');
    }
    assert.equal(corrupted(9), corrupted(9));
    assert.notEqual(corrupted(9), corrupted(10));
  });

  it('delay and jitter: arrival within [delay, delay + jitter + 1 step)', () => {
    const r = rig(2);
    r.wire.setFaults({ delayMs: 20, jitterMs: 10 });
    const arrivals: number[] = [];
    r.b.onFrame(() => arrivals.push(r.clock.now()));
    for (let i = 0; i < 100; i++) r.a.send(frame(r.b.mac, r.a.mac, i));
    run(r, 19);
    assert.equal(arrivals.length, 0);
    run(r, 20);
    assert.equal(arrivals.length, 100);
    assert.ok(arrivals.every((t) => t >= 20 && t <= 30));
    assert.ok(new Set(arrivals).size > 5, 'jitter spreads arrivals');
    // jitter alone reorders frames
    let inversions = 0;
    const ids = r.b.frames.map(idOf);
    for (let i = 1; i < ids.length; i++) if (ids[i] < ids[i - 1]) inversions++;
    assert.ok(inversions > 0);
  });

  it('faults can change at run time', () => {
    const r = rig(4);
    r.wire.setFaults({ loss: 1 });
    r.a.send(frame(r.b.mac, r.a.mac, 1));
    r.wire.setFaults({ loss: 0 });
    r.a.send(frame(r.b.mac, r.a.mac, 2));
    r.wire.faults.delayMs = 3;
    r.a.send(frame(r.b.mac, r.a.mac, 3));
    run(r, 1);
    assert.deepEqual(r.b.frames.map(idOf), [2]);
    run(r, 2);
    assert.deepEqual(r.b.frames.map(idOf), [2, 3]);
  });
});

describe('mock wire: rate limit and drop rules', () => {
  it('serialises a port\'s frames at rateBytesPerSec', () => {
    const r = rig();
    r.wire.setFaults({ rateBytesPerSec: 100000 }); // 1000 bytes = 10 ms
    const arrivals: number[] = [];
    r.b.onFrame(() => arrivals.push(r.clock.now()));
    for (let i = 0; i < 5; i++) r.a.send(frame(r.b.mac, r.a.mac, i, 1000));
    run(r, 100);
    assert.deepEqual(arrivals, [10, 20, 30, 40, 50]);
  });

  it('each port has its own transmitter; delay adds to serialisation', () => {
    const r = rig();
    r.wire.setFaults({ rateBytesPerSec: 100000, delayMs: 5 });
    const arrivals: number[] = [];
    r.c.onFrame((f) => arrivals.push(r.clock.now() * 100 + idOf(f)));
    r.a.send(frame(r.c.mac, r.a.mac, 1, 1000));
    r.b.send(frame(r.c.mac, r.b.mac, 2, 1000));
    r.a.send(frame(r.c.mac, r.a.mac, 3, 1000));
    run(r, 50);
    assert.deepEqual(arrivals, [1501, 1502, 2503]);
  });

  it('tail-drops frames that would wait longer than queueLimitMs', () => {
    const r = rig();
    r.wire.setFaults({ rateBytesPerSec: 100000, queueLimitMs: 25 });
    for (let i = 0; i < 10; i++) r.a.send(frame(r.b.mac, r.a.mac, i, 1000));
    run(r, 200);
    // frames starting at 0,10,20 fit; the one that would start at 30 ms waits too long
    assert.deepEqual(r.b.frames.map(idOf), [0, 1, 2]);
    assert.equal(r.wire.stats.queueDrops, 7);
  });

  it('dropIf drops matching frames until removed', () => {
    const r = rig();
    const remove = r.wire.dropIf((buf, off) => (buf[off + 17] & 1) === 1); // odd ids
    blast(r, 10);
    assert.deepEqual(r.b.frames.map(idOf), [0, 2, 4, 6, 8]);
    assert.equal(r.wire.stats.filtered, 5);
    remove();
    r.b.clear();
    blast(r, 4);
    assert.deepEqual(r.b.frames.map(idOf), [0, 1, 2, 3]);
  });

  it('dropIf sees the sending port; clearDropRules removes all', () => {
    const r = rig();
    r.wire.dropIf((_b, _o, _l, from) => from === r.a);
    r.a.send(frame(r.c.mac, r.a.mac, 1));
    r.b.send(frame(r.c.mac, r.b.mac, 2));
    run(r, 1);
    assert.deepEqual(r.c.frames.map(idOf), [2]);
    r.wire.clearDropRules();
    r.a.send(frame(r.c.mac, r.a.mac, 3));
    run(r, 1);
    assert.deepEqual(r.c.frames.map(idOf), [2, 3]);
  });
});

describe('mock wire: capture', () => {
  it('records delivered frames with their virtual time (once per broadcast)', () => {
    const r = rig();
    const w = new PcapWriter();
    r.wire.addCapture(w);
    r.wire.setFaults({ delayMs: 1500 });
    const f1 = frame(r.b.mac, r.a.mac, 1, 100);
    r.a.send(f1);
    r.a.send(frame(BCAST, r.a.mac, 2, 60));
    run(r, 1500);
    r.wire.setFaults({ loss: 1 });
    r.a.send(frame(r.b.mac, r.a.mac, 3));
    run(r, 1600);
    const file = parsePcap(w.bytes())!;
    assert.equal(file.linktype, LINKTYPE_ETHERNET);
    assert.equal(file.records.length, 2);
    assert.equal(file.records[0].timeMs, 1500);
    assert.deepEqual(file.records[0].data, f1);
    assert.equal(idOf(file.records[1].data), 2);
    r.wire.removeCapture(w);
  });

  it('a tx capture sees frames the wire then loses', () => {
    const r = rig();
    const w = new PcapWriter();
    r.wire.addCapture(w, 'tx');
    r.wire.setFaults({ loss: 1 });
    r.a.send(frame(r.b.mac, r.a.mac, 1));
    run(r, 2);
    assert.equal(r.b.frames.length, 0);
    assert.equal(w.frameCount, 1);
  });
});

describe('mock wire: robustness', () => {
  it('a receiver that throws does not leak the slot', () => {
    const r = rig(1, 2);
    const off = r.b.onFrame(() => { throw new Error('test hook failed'); });
    r.a.send(frame(r.b.mac, r.a.mac, 1));
    assert.throws(() => run(r, 1), /test hook failed/);
    off();
    assert.equal(r.wire.inFlight, 0);
    assert.equal(r.a.send(frame(r.b.mac, r.a.mac, 2)), true);
    assert.equal(r.a.send(frame(r.b.mac, r.a.mac, 3)), true, 'both slots free again');
    run(r, 1);
    assert.deepEqual(r.b.frames.map(idOf), [1, 2, 3]);
  });

  it('VirtualClock only moves forward', () => {
    const c = new VirtualClock(100);
    assert.equal(c.now(), 100);
    assert.equal(c.advance(5), 105);
    assert.equal(c.advance(-3), 105);
    assert.equal(c.set(50), false);
    assert.equal(c.set(200), true);
    assert.equal(c.now(), 200);
  });

  it('nextDeliveryTime tells when the next frame is due', () => {
    const r = rig();
    assert.equal(r.wire.nextDeliveryTime, Infinity);
    r.wire.setFaults({ delayMs: 7 });
    r.a.send(frame(r.b.mac, r.a.mac, 1));
    assert.equal(r.wire.nextDeliveryTime, 7);
  });
});
