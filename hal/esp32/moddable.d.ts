/**
 * The few Moddable SDK modules hal/esp32 uses, declared here (Moddable publishes no typings on npm;
 * the `@moddable/typings` package there is not Moddable's). Only what we call, with the semantics of
 * the Moddable SDK documentation (documentation/base/timer.md, documentation/base/time.md).
 */

declare module 'timer' {
  /** An opaque timer id. */
  export type TimerId = object;
  const Timer: {
    /** Calls `callback(id)` every `interval` ms until cleared; returns the id. */
    repeat(callback: (id: TimerId) => void, interval: number): TimerId;
    /** Calls `callback(id)` once after `delay` ms (0: at the next turn of the event loop), or every
     *  `repeat` ms after that when given. */
    set(callback: (id: TimerId) => void, delay?: number, repeat?: number): TimerId;
    /** Cancels a timer (a one-shot timer that has fired is already gone: do not clear it). */
    clear(id: TimerId): void;
    /** Re-arms a timer to fire after `delay` ms (and then every `repeat` ms, if given). */
    schedule(id: TimerId, delay: number, repeat?: number): void;
  };
  export default Timer;
}

declare module 'time' {
  const Time: {
    /** Milliseconds since start-up, as a signed 32-bit integer on microcontrollers: it wraps
     *  (after about 24.8 days to negative, after 49.7 days back to 0). Subtract with `| 0`. */
    readonly ticks: number;
  };
  export default Time;
}

declare module 'ethhal' {
  /** The native side of the ESP32 HAL (hal/esp32/ethhal.js + modEthHal.c). */
  export interface EthHalOptions {
    /** 'sta' (Wi-Fi station, the default) or 'eth' (the Ethernet driver named by the manifest's
     *  defines.xstcp.eth, installed and started by the HAL: hal/esp32/xstcp_eth.h). */
    interface?: 'sta' | 'eth';
  }
  export default class EthHal {
    constructor(options?: EthHalOptions);
    /** Called (from the XS task, once per burst) when frames are queued or the link changed. */
    onReady: (() => void) | null;
    /** Stops reception and releases the native resources. */
    close(): void;
    /** Hands one frame to the driver (copied before this returns). False when it was refused. */
    send(buffer: Uint8Array, offset: number, length: number): boolean;
    /** Copies part of a frame into the native transmit buffer at `position` (for pbuf chains). */
    gather(buffer: Uint8Array, offset: number, length: number, position: number): boolean;
    /** Sends the first `length` bytes of the native transmit buffer. */
    sendGathered(length: number): boolean;
    /** Copies the oldest queued frame into `buffer[offset..]` (a pool pbuf the stack reserved:
     *  FrameSink.rxReserve) and returns its length; 0 when none is waiting, or when the range
     *  [offset, offset + capacity) is not inside `buffer`. A frame longer than `capacity` is dropped
     *  (counted in `dropped`) and the next one is taken. */
    readInto(buffer: Uint8Array, offset: number, capacity: number): number;
    /** Drops the oldest queued frame without counting it (the stack counted it: no pool pbuf was
     *  free); whether there was one. */
    discard(): boolean;
    /** Frames waiting in the receive ring. */
    readonly pending: number;
    /** Writes the interface's MAC address into `buffer[0..5]`. */
    getMAC(buffer: Uint8Array): void;
    /** Whether the link is up (station associated / Ethernet cable connected). After a Wi-Fi loss
     *  the HAL re-joins the access point with backoff (hal/esp32/xstcp_wifi.h). */
    readonly linkUp: boolean;
    /** Frames the receive ring dropped: ring full, or a frame too short or too long. */
    readonly dropped: number;
    /** A 32-bit random number from the hardware generator (esp_random). */
    random(): number;
  }
}
