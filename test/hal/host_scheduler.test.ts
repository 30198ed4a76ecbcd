/**
 * The host's wall-clock scheduler (hal/host/scheduler.ts) keeps an armed timer that fires no later
 * than the stack's new deadline instead of re-arming one per tick, and re-arms only for a sooner
 * deadline. The clock is injected (a settable one here); the timers are Node's, armed far ahead so
 * that none fires during the test except the one the last case waits for (a 0 ms sleep).
 */
import { strict as assert } from 'node:assert';
import type { Clock } from '../../src/hal.js';
import { HostScheduler } from '../../hal/host/scheduler.js';

class SetClock implements Clock {
  t = 0;
  now(): number { return this.t; }
}

describe('HostScheduler (host wall-clock scheduler)', () => {
  it('a later deadline keeps the armed timer; a sooner one re-arms', () => {
    const clock = new SetClock();
    const s = new HostScheduler(clock);
    let due = 500;
    try {
      s.start(() => due);
      assert.equal(s.timersArmed, 1);
      // a busy connection pushes its deadline forward with every ACK: no new timer
      for (let i = 1; i <= 50; i++) {
        clock.t = i;
        due = clock.t + 500;
        s.tickNow();
      }
      assert.equal(s.ticks, 51);
      assert.equal(s.timersArmed, 1);
      // something due sooner than the armed timer (a delayed ACK): re-armed
      clock.t = 60;
      due = 100;
      s.tickNow();
      assert.equal(s.timersArmed, 2);
      // nothing armed at all: the cap (1000 ms) is later than the armed 100 ms timer, kept
      due = -1;
      s.tickNow();
      assert.equal(s.timersArmed, 2);
    } finally {
      s.stop();
    }
  });

  it('the armed timer fires a tick, and the next sleep arms a new one', async () => {
    const clock = new SetClock();
    const s = new HostScheduler(clock);
    let fired: () => void = () => {};
    const firedOnce = new Promise<void>((r) => { fired = r; });
    try {
      s.start(() => {
        if (s.ticks === 2) fired();
        return s.ticks === 1 ? clock.t : clock.t + 10000; // first tick: due at once (0 ms sleep)
      });
      assert.equal(s.timersArmed, 1);
      await firedOnce;
      assert.equal(s.ticks, 2);
      assert.equal(s.timersArmed, 2);
    } finally {
      s.stop();
    }
  });
});
