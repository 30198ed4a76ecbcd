/**
 * bin/host.ts driveStack: a driver that drains everything waiting per callback (the TAP in poll
 * mode, HostDriver.burstDrains) gets the stack's tick inside that callback, with no Immediate
 * queued; a driver that calls onBurst per frame gets one deferred tick for a run of frames. A
 * settable clock and deadlines far ahead: no timer fires during the test.
 */
import { strict as assert } from 'node:assert';
import type { Clock, FrameChain, FrameSink } from '../../src/hal.js';
import { HostScheduler } from '../../hal/host/scheduler.js';
import { newDriverStats, type HostDriver } from '../../hal/host/driver.js';
import { driveStack } from '../../bin/host.js';

class SetClock implements Clock {
  t = 0;
  now(): number { return this.t; }
}

function fakeDriver(burstDrains: boolean): HostDriver {
  return {
    mac: new Uint8Array(6),
    mtu: 1500,
    stats: newDriverStats(),
    onBurst: null,
    burstDrains,
    description: 'fake',
    isLinkUp: () => true,
    attach: (_s: FrameSink) => { /* no frames */ },
    transmit: (_f: FrameChain, _n: number) => true,
    close: async () => { /* nothing held */ },
  };
}

describe('driveStack (bin/host.ts): when the tick after a burst runs', () => {
  it('a draining driver (the TAP) gets the tick inside its own callback', () => {
    const sched = new HostScheduler(new SetClock());
    let ticks = 0;
    const drv = fakeDriver(true);
    driveStack(drv, { tick: () => { ticks++; return 100000; }, setWorkHook: () => { /* unused */ } }, sched);
    try {
      assert.equal(ticks, 1, 'start ticks once');
      (drv.onBurst as () => void)();
      assert.equal(ticks, 2, 'ticked before onBurst returned');
      (drv.onBurst as () => void)();
      assert.equal(ticks, 3);
    } finally {
      sched.stop();
    }
  });

  it('a per-frame driver (UDP datagrams) gets one deferred tick for a run of frames', async () => {
    const sched = new HostScheduler(new SetClock());
    let ticks = 0;
    const drv = fakeDriver(false);
    driveStack(drv, { tick: () => { ticks++; return 100000; }, setWorkHook: () => { /* unused */ } }, sched);
    try {
      for (let i = 0; i < 5; i++) (drv.onBurst as () => void)();
      assert.equal(ticks, 1, 'not yet');
      await new Promise<void>((r) => setImmediate(r));
      assert.equal(ticks, 2, 'one tick for the five');
    } finally {
      sched.stop();
    }
  });
});
