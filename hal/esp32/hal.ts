/**
 * The Moddable ESP32 HAL: the stack's driver, clock, scheduler and random source on a board.
 *
 *   import { Esp32Hal } from 'xs-tcp/esp32';
 *   import { Stack } from 'xs-tcp';
 *   const board = new Esp32Hal({ interface: 'sta' });
 *   const stack = new Stack(board.hal, { ip: '192.168.1.50/24', gateway: '192.168.1.1' });
 *   board.start(stack);
 *
 * Frames arrive in C (esp_wifi_internal_reg_rxcb for the station, esp_eth_update_input_path for an
 * EMAC / SPI Ethernet chip), wait in a bounded ring there (full ring: dropped and counted), and reach
 * this task with ONE coalesced modMessagePostToMachine per burst; `onReady` then drains the ring into
 * the stack and asks for a tick, so the ACKs and replies the burst caused go out at once.
 *
 * Each frame is copied once on its way in: from the ring straight into the pool pbuf the stack
 * reserved (FrameSink.rxReserve, the native readInto, rxCommit). The HAL also supplies the stack's
 * checksum in C and the pool's memory outside the XS heap (hal/xs/modXstcpNative.c: Hal.checksum,
 * Hal.poolMemory).
 *
 * Nothing here allocates per frame: the callbacks and the MAC array are created by the constructor
 * (Moddable freezes preloaded modules, so none of them live at module level).
 */
import Timer from 'timer';
import type { TimerId } from 'timer';
import Time from 'time';
import EthHal from 'ethhal';
import { checksum, PoolMemory } from 'xstcp-native';
import type { Clock, FrameChain, FrameSink, Hal, NetDriver, RandomSource, Scheduler } from '../../src/hal.js';
import { MAX_SLEEP_MS, sleepFor } from '../deadline.js';

/**
 * Milliseconds from Time.ticks, made monotonic: ticks are a signed 32-bit counter that wraps, so
 * each reading adds the wrapped difference `(raw - last) | 0` to a plain number that never wraps
 * (a double holds integers exactly far past the device's lifetime).
 */
export class TicksClock implements Clock {
  private last: number;
  private t = 0;

  constructor() {
    this.last = Time.ticks | 0;
  }

  now(): number {
    const raw = Time.ticks | 0;
    const d = (raw - this.last) | 0;
    this.last = raw;
    if (d > 0) this.t += d;
    return this.t;
  }
}

/** Random numbers from the ESP32's hardware generator (true random while the radio runs). */
export class HardwareRandom implements RandomSource {
  private readonly native: EthHal;
  constructor(native: EthHal) { this.native = native; }
  nextU32(): number { return this.native.random() >>> 0; }
}

/**
 * Calls `tick(now)`, then sleeps until the deadline it returned (Stack.nextDeadline), at most
 * `maxSleepMs`, or until `poke()` asks for a tick sooner (a burst of received frames, work the
 * application queued). One Moddable timer, rescheduled with Timer.schedule: nothing is allocated per
 * wake-up, and an idle board wakes only for its timers.
 */
export class TimerScheduler implements Scheduler {
  readonly maxSleepMs: number;
  private readonly clock: Clock;
  private tickFn: ((now: number) => number | void) | null = null;
  private timerId: TimerId | null = null;
  private inTick = false;
  private readonly onTimer = (): void => { this.tickNow(); };

  constructor(clock: Clock, maxSleepMs = MAX_SLEEP_MS) {
    this.clock = clock;
    this.maxSleepMs = maxSleepMs;
  }

  start(tick: (now: number) => number | void): void {
    this.stop();
    this.tickFn = tick;
    // a repeating timer that every tick moves to the next deadline
    this.timerId = Timer.set(this.onTimer, this.maxSleepMs, this.maxSleepMs);
    this.tickNow();
  }

  poke(): void {
    if (this.tickFn !== null && !this.inTick && this.timerId !== null) Timer.schedule(this.timerId, 0, this.maxSleepMs);
  }

  tickNow(): void {
    const fn = this.tickFn;
    if (fn === null || this.inTick) return;
    this.inTick = true;
    let due: number | void;
    try {
      due = fn(this.clock.now());
    } finally {
      this.inTick = false;
    }
    const id = this.timerId;
    if (this.tickFn === null || id === null) return;
    Timer.schedule(id, sleepFor(due, this.clock.now(), this.maxSleepMs), this.maxSleepMs);
  }

  stop(): void {
    if (this.timerId !== null) Timer.clear(this.timerId);
    this.timerId = null;
    this.tickFn = null;
  }
}

/** NetDriver over the native EthHal object. */
export class Esp32Driver implements NetDriver {
  readonly mac = new Uint8Array(6);
  readonly mtu = 1500;
  readonly native: EthHal;
  private sink: FrameSink | null = null;
  private linkWasUp = false;
  /** Frames handed to the stack, frames sent, frames the driver refused. */
  rxFrames = 0;
  txFrames = 0;
  txErrors = 0;
  /** Called after each drained burst (the scheduler's poke). */
  onBurst: (() => void) | null = null;

  constructor(native: EthHal) {
    this.native = native;
    native.getMAC(this.mac);
    native.onReady = () => { this.drain(); };
  }

  isLinkUp(): boolean {
    return this.native.linkUp;
  }

  attach(sink: FrameSink): void {
    this.sink = sink;
    this.linkWasUp = this.native.linkUp;
    if (this.linkWasUp) sink.linkChanged(true);
  }

  /**
   * A frame from the stack. A single pbuf goes to the driver straight from pool memory; a chain
   * (headers in one pbuf, application data referenced in others) is gathered in the native
   * transmit buffer first, since the Wi-Fi and Ethernet drivers take one contiguous frame.
   */
  transmit(frame: FrameChain, totLen: number): boolean {
    const n = this.native;
    let ok: boolean;
    if (frame.next === null) {
      ok = n.send(frame.buf, frame.off, frame.len);
    } else {
      let pos = 0;
      ok = true;
      for (let q: FrameChain | null = frame; q !== null && ok; q = q.next) {
        ok = n.gather(q.buf, q.off, q.len, pos);
        pos += q.len;
      }
      ok = ok && pos === totLen && n.sendGathered(totLen);
    }
    if (ok) this.txFrames++; else this.txErrors++;
    return ok;
  }

  /**
   * Drains the native ring into the stack; reports link changes. Runs in the XS task. Each frame
   * goes from the ring straight into a pool pbuf: rxReserve says where, the native readInto copies,
   * rxCommit hands it over. With the pool empty the stack has counted the frame as dropped, and the
   * ring lets go of it (discard), as a NIC out of receive descriptors would. The frames waiting are
   * counted first (`pending`), so that a reservation is made only for a frame that is there.
   */
  drain(): void {
    const sink = this.sink;
    if (sink === null) return;
    const n = this.native;
    const up = n.linkUp;
    if (up !== this.linkWasUp) {
      this.linkWasUp = up;
      sink.linkChanged(up);
    }
    const mem = sink.rxMemory;
    const cap = sink.rxCapacity;
    let got = 0;
    // what the ring holds now is one burst for the stack: one ACK for it (TCP_ACK_PER_BURST)
    sink.rxBurstBegin();
    for (let k = n.pending; k > 0; k = n.pending) {
      for (; k > 0; k--) {
        const at = sink.rxReserve();
        if (at < 0) {
          n.discard();
          continue;
        }
        const len = n.readInto(mem, at, cap);
        sink.rxCommit(len);
        if (len > 0) got++;
      }
    }
    sink.rxBurstEnd();
    this.rxFrames += got;
    if (got > 0 && this.onBurst !== null) this.onBurst();
  }

  /** Frames the native ring dropped because it was full. */
  get dropped(): number {
    return this.native.dropped;
  }
}

export interface Esp32HalOptions {
  /** 'sta' (Wi-Fi station; join with Moddable's `wifi` module first, the HAL re-joins after a
   *  loss) or 'eth' (the driver the manifest's defines.xstcp.eth names). Default 'sta'. */
  interface?: 'sta' | 'eth';
  /** Longest the scheduler sleeps when no timer is due sooner, ms. Default 1000. */
  maxSleepMs?: number;
  /** The stack's checksum: 'native' (C, Hal.checksum; the default) or 'js'. */
  checksum?: 'native' | 'js';
  /** Where the pbuf pool lives: 'native' (internal RAM or PSRAM, by defines.xstcp.pool.psram;
   *  the default) or 'xs' (an ArrayBuffer in the XS chunk heap). */
  pool?: 'native' | 'xs';
}

/**
 * The Hal object: driver, clock and random source, and unless switched off the native checksum and
 * pool memory. Native memory that could not be had (PoolMemory reports 0 bytes) leaves the pool in
 * an ArrayBuffer, and `poolNative` says so.
 */
export function nativeHal(driver: NetDriver, clock: Clock, random: RandomSource,
  opts: { checksum?: 'native' | 'js'; pool?: 'native' | 'xs' }, status: { poolNative: boolean }): Hal {
  const hal: Hal = { driver, clock, random };
  if (opts.checksum !== 'js') hal.checksum = checksum;
  if (opts.pool !== 'xs') {
    hal.poolMemory = (bytes: number): ArrayBufferLike => {
      const m = new PoolMemory(bytes);
      if (m.byteLength >= bytes) {
        status.poolNative = true;
        return m as unknown as ArrayBufferLike;
      }
      return new ArrayBuffer(bytes);
    };
  }
  return hal;
}

/** Everything a Stack needs on the board, plus the scheduler that drives it. */
export class Esp32Hal {
  readonly native: EthHal;
  readonly driver: Esp32Driver;
  readonly clock: TicksClock;
  readonly random: HardwareRandom;
  readonly scheduler: TimerScheduler;
  readonly hal: Hal;
  /** Whether the pool got native memory (set when the Stack constructor asks for it). */
  readonly status = { poolNative: false };

  constructor(opts: Esp32HalOptions = {}) {
    this.native = new EthHal({ interface: opts.interface ?? 'sta' });
    this.driver = new Esp32Driver(this.native);
    this.clock = new TicksClock();
    this.random = new HardwareRandom(this.native);
    this.scheduler = new TimerScheduler(this.clock, opts.maxSleepMs ?? MAX_SLEEP_MS);
    this.hal = nativeHal(this.driver, this.clock, this.random, opts, this.status);
    this.driver.onBurst = this.onWork;
  }

  private readonly onWork = (): void => { this.scheduler.poke(); };

  /** Starts the stack's timers (the Stack constructor has already attached itself to the driver). */
  start(stack: { tick(now: number): number; setWorkHook(fn: (() => void) | null): void }): void {
    stack.setWorkHook(this.onWork);
    this.scheduler.start((now) => stack.tick(now));
  }

  /** Stops the timers and the native driver. */
  close(): void {
    this.scheduler.stop();
    this.native.onReady = null;
    this.native.close();
  }
}
