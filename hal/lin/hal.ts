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
 * reused as they are, and so is the Hal object with the checksum in C and the pool in native memory
 * (hal/xs). The bundle for this file keeps none of hal/esp32's other imports.
 *
 * Measurement switches, read from the simulator's environment when the options leave them out:
 * XS_TCP_LIN_CHECKSUM=js (the JavaScript checksum), XS_TCP_LIN_POOL=xs (the pool in the XS heap).
 */
import TapHal from 'taphal';
import type { Hal } from '../../src/hal.js';
import { Esp32Driver, HardwareRandom, TicksClock, TimerScheduler, nativeHal } from '../esp32/hal.js';

export interface LinTapHalOptions {
  /** The TAP device (it must exist). Default 'xs0'. */
  tap?: string;
  /** Our MAC address ("02:..."); default: random, locally administered. */
  mac?: string;
  /** Period of the stack's tick, ms. Default 10. */
  tickMs?: number;
  /** The stack's checksum: 'native' (C) or 'js'. Default: XS_TCP_LIN_CHECKSUM, else 'native'. */
  checksum?: 'native' | 'js';
  /** Where the pbuf pool lives: 'native' (malloc) or 'xs' (an ArrayBuffer in the XS chunk heap).
   *  Default: XS_TCP_LIN_POOL, else 'native'. */
  pool?: 'native' | 'xs';
}

/** Everything a Stack needs in the simulator, plus the scheduler that drives it. */
export class LinTapHal {
  readonly native: TapHal;
  readonly driver: Esp32Driver;
  readonly clock: TicksClock;
  readonly random: HardwareRandom;
  readonly scheduler: TimerScheduler;
  readonly hal: Hal;
  /** What the stack runs with: the checksum, and whether the pool got native memory (set when the
   *  Stack constructor asks for it). */
  readonly status: { checksum: 'native' | 'js'; poolNative: boolean };

  constructor(opts: LinTapHalOptions = {}) {
    const native = new TapHal({ tap: opts.tap ?? 'xs0', mac: opts.mac });
    this.native = native;
    this.driver = new Esp32Driver(native);
    this.clock = new TicksClock();
    this.random = new HardwareRandom(native);
    this.scheduler = new TimerScheduler(this.clock, opts.tickMs ?? 10);
    const checksum = opts.checksum ?? (native.getenv('CHECKSUM') === 'js' ? 'js' : 'native');
    const pool = opts.pool ?? (native.getenv('POOL') === 'xs' ? 'xs' : 'native');
    this.status = { checksum, poolNative: false };
    this.hal = nativeHal(this.driver, this.clock, this.random, { checksum, pool }, this.status);
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
