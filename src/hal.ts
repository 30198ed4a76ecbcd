/**
 * The hardware abstraction the stack consumes, and nothing more: a driver that moves whole Ethernet
 * frames, a monotonic millisecond clock and a random source (the `Hal` the Stack constructor takes).
 * A `Scheduler` is what a platform uses to call the stack's `tick(now)`; the stack never calls it.
 * Implementations live outside src/: hal/mock (in-memory wire, virtual clock), hal/host (TAP, UDP
 * tunnel, wall clock), hal/esp32 (Moddable native driver, Time.ticks, Timer.repeat). Every layer of
 * src/ may import this file; it imports nothing.
 */

/** A frame as a chain of byte ranges (a pbuf chain satisfies this shape). */
export interface FrameChain {
  buf: Uint8Array;
  off: number;
  len: number;
  next: FrameChain | null;
}

/** What the stack offers a driver (the stack's Netif implements it). */
export interface FrameSink {
  /** A received Ethernet frame (destination MAC first, no FCS): the stack copies `len` bytes from
   *  `buf[off..]` into a pool pbuf before returning, so the driver may reuse `buf` at once. */
  receiveFrame(buf: Uint8Array, off: number, len: number): void;
  /** Link came up or went down. */
  linkChanged(up: boolean): void;
}

export interface NetDriver {
  /** Our MAC address, 6 bytes. */
  readonly mac: Uint8Array;
  /** Largest IPv4 packet the link carries (1500 on Ethernet and Wi-Fi). */
  readonly mtu: number;
  isLinkUp(): boolean;
  /** Sends one frame of `totLen` bytes. The driver copies (or finishes with) the bytes before it
   *  returns: the stack reuses the memory afterwards. False when the frame was dropped. */
  transmit(frame: FrameChain, totLen: number): boolean;
  /** Registers the stack that receives this driver's frames. */
  attach(sink: FrameSink): void;
  /** Optional: lets the Ethernet group address `mac` (an IPv4 multicast group, RFC 1112 §6.4)
   *  through the hardware filter (`add`), or stops it. Drivers that deliver every group frame
   *  anyway (TAP, the mock wire) leave it out. */
  setMulticastFilter?(mac: Uint8Array, add: boolean): void;
}

/** Monotonic milliseconds. Only differences matter; the stack handles wrap-around of 32-bit tick
 *  counters by keeping times as plain numbers the HAL makes monotonic. */
export interface Clock {
  now(): number;
}

export interface RandomSource {
  /** An unsigned 32-bit random number (for initial sequence numbers, ephemeral ports, ISN keys). */
  nextU32(): number;
}

/** Calls `tick` with the clock's time whenever the deadline the previous tick returned
 *  (Stack.nextDeadline) has come, or sooner when a frame arrives or the application queues work. */
export interface Scheduler {
  start(tick: (now: number) => number | void): void;
  stop(): void;
}

export interface Hal {
  driver: NetDriver;
  clock: Clock;
  random: RandomSource;
}
