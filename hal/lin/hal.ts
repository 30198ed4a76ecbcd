/**
 * The Moddable Linux simulator HAL: the stack's driver, clock, scheduler and random source in
 * mcsim, attached to a Linux TAP device, so a PC's kernel reaches the stack with ping and nc.
 *
 *   import { LinTapHal } from 'xs-tcp/lin';
 *   import { Stack } from 'xs-tcp';
 *   const sim = new LinTapHal({ tap: 'xs0' });
 *   const stack = new Stack(sim.hal, { ip: '10.77.0.2/24' });
 *   sim.start(stack);
 *
 * Only the native class differs from the board: hal/lin/modTapHal.c reads the TAP in a thread into
 * the same bounded ring, with the same coalesced post to the XS thread, as hal/esp32/modEthHal.c,
 * and offers the same methods, so the ESP32 HAL's driver, clock, scheduler and random source are
 * reused as they are. The bundle for this file keeps none of hal/esp32's other imports.
 */
import TapHal from 'taphal';
import type { Hal } from '../../src/hal.js';
import { Esp32Driver, HardwareRandom, TicksClock, TimerScheduler } from '../esp32/hal.js';

export interface LinTapHalOptions {
  /** The TAP device (it must exist). Default 'xs0'. */
  tap?: string;
  /** Our MAC address ("02:..."); default: random, locally administered. */
  mac?: string;
  /** Period of the stack's tick, ms. Default 10. */
  tickMs?: number;
}

/** Everything a Stack needs in the simulator, plus the scheduler that drives it. */
export class LinTapHal {
  readonly native: TapHal;
  readonly driver: Esp32Driver;
  readonly clock: TicksClock;
  readonly random: HardwareRandom;
  readonly scheduler: TimerScheduler;
  readonly hal: Hal;

  constructor(opts: LinTapHalOptions = {}) {
    const native = new TapHal({ tap: opts.tap ?? 'xs0', mac: opts.mac });
    this.native = native;
    this.driver = new Esp32Driver(native);
    this.clock = new TicksClock();
    this.random = new HardwareRandom(native);
    this.scheduler = new TimerScheduler(this.clock, opts.tickMs ?? 10);
    this.hal = { driver: this.driver, clock: this.clock, random: this.random };
    this.driver.onBurst = () => { this.scheduler.poke(); };
  }

  /** Starts the stack's timers (the Stack constructor has already attached itself to the driver). */
  start(stack: { tick(now: number): void }): void {
    this.scheduler.start((now) => { stack.tick(now); });
  }

  /** Stops the timers and the reader thread, and lets go of the TAP. */
  close(): void {
    this.scheduler.stop();
    this.native.onReady = null;
    this.native.close();
  }
}
