/**
 * The mock HAL's own cost: 1514-byte frames per second through MockWire (copy in on transmit,
 * queue, deliver, copy out into a pool pbuf as a stack's receiveFrame does), with no faults and with
 * every fault enabled. Tells how much of a scenario benchmark is harness.
 */
import { VirtualClock } from '../hal/mock/clock.js';
import { MockWire, MockDriver, mockMac } from '../hal/mock/wire.js';
import type { FrameSink } from '../src/hal.js';
import { PbufPool, PBUF_RAW, pbuf_free, copyBytes } from '../src/core/pbuf.js';
import { fmtInt, opsPerSec, type BenchResult } from './util.js';

class CopySink implements FrameSink {
  frames = 0;
  constructor(private readonly pool: PbufPool) {}
  // MockDriver delivers through receiveFrame; the one-copy entry points are not used here
  get rxMemory(): Uint8Array { return this.pool.mem; }
  get rxCapacity(): number { return this.pool.bufsize; }
  rxReserve(): number { return -1; }
  rxCommit(): void { /* nothing reserved */ }
  rxBurstBegin(): void { /* MockDriver reports no bursts */ }
  rxBurstEnd(): void { /* MockDriver reports no bursts */ }
  receiveFrame(buf: Uint8Array, off: number, len: number): void {
    const p = this.pool.allocRx(len);
    if (p === null) return;
    copyBytes(p.buf, p.off, buf, off, len);
    pbuf_free(p);
    this.frames++;
  }
  linkChanged(): void { /* always up */ }
}

function framesPerSec(faults: Parameters<MockWire['setFaults']>[0]): number {
  const clock = new VirtualClock();
  const wire = new MockWire({ seed: 1, clock, slots: 256 });
  wire.setFaults(faults);
  const a = new MockDriver(wire, mockMac(1));
  const b = new MockDriver(wire, mockMac(2));
  const pool = new PbufPool(8, 1600, 2, 0);
  b.attach(new CopySink(pool));
  const p = pool.alloc(PBUF_RAW, 1514)!;
  p.buf.set(b.mac, p.off);
  p.buf.set(a.mac, p.off + 6);
  p.buf[p.off + 12] = 0x08;
  const ops = opsPerSec((n) => {
    for (let i = 0; i < n; i++) {
      a.transmit(p, 1514);
      if ((i & 63) === 63) wire.deliverDue(clock.advance(1000));
    }
    wire.deliverDue(clock.advance(1000));
  });
  pbuf_free(p);
  return ops;
}

export async function run(): Promise<BenchResult> {
  const clean = framesPerSec({});
  const faulty = framesPerSec({ loss: 0.01, duplicate: 0.01, reorder: 0.05, corrupt: 0.01, delayMs: 1, jitterMs: 2, rateBytesPerSec: 1e12 });
  return {
    rows: [
      ['MockWire 1514 B frames, no faults', fmtInt(clean) + ' /s'],
      ['MockWire 1514 B frames, all faults', fmtInt(faulty) + ' /s'],
    ],
    json: { framesPerSec: clean, framesPerSecAllFaults: faulty },
  };
}
