/**
 * What the host drivers (TAP, UDP tunnel, socat bridge) share beyond the HAL's NetDriver: counters,
 * a hook the scheduler uses to tick right after a burst of received frames, and close().
 */
import type { NetDriver } from '../../src/hal.js';

export interface HostDriverStats {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  /** Frames the kernel refused (write error) or that did not fit. */
  txErrors: number;
  rxErrors: number;
  /** Received frames dropped for a virtio-net header we cannot honour (TAP with offload: a GSO
   *  type or flag we did not ask for, checksum offsets outside the frame); also in rxErrors. */
  rxBadVnet: number;
  /** Segmentation offload (TAP): frames written that carried several TCP segments, and those segments. */
  txGsoFrames: number;
  txGsoSegs: number;
  /** Of those, frames TCP itself built over a pbuf chain (NetDriver.txTcpSegmentation). */
  txTsoFrames: number;
  /** Receive offload (TAP): GSO frames the kernel handed us, and the segments they were cut into. */
  rxGsoFrames: number;
  rxGsoSegs: number;
  /** Receive offload (TAP, TapOptions.groChain): GSO frames handed to the stack whole, as one TCP
   *  segment over a pbuf chain (also in rxGsoFrames), and those cut because the pool could not
   *  spare the chain. */
  rxGroChains: number;
  rxGroChainFallbacks: number;
  /** TAP: read passes made right after a burst whose answer was written (TapOptions.repoll), and
   *  those that found frames. */
  rxRepolls: number;
  rxRepollHits: number;
}

export function newDriverStats(): HostDriverStats {
  return { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, txErrors: 0, rxErrors: 0, rxBadVnet: 0, txGsoFrames: 0, txGsoSegs: 0, txTsoFrames: 0, rxGsoFrames: 0, rxGsoSegs: 0, rxGroChains: 0, rxGroChainFallbacks: 0, rxRepolls: 0, rxRepollHits: 0 };
}

/** A host driver: a NetDriver that can be closed and reports bursts of received frames. */
export interface HostDriver extends NetDriver {
  readonly stats: HostDriverStats;
  /** Called after each burst of received frames has been handed to the stack (the scheduler runs a
   *  tick then, so that ACKs and timers follow the data without waiting for the next period). */
  onBurst: (() => void) | null;
  /** True when each onBurst follows a drain of every frame that was waiting (the TAP in poll mode):
   *  the scheduler ticks right there. Otherwise (one callback per frame: UDP datagrams, the
   *  threadpool read) the tick is deferred (setImmediate) so that a run of frames shares one. */
  readonly burstDrains?: boolean;
  /** A one-line description for logs ("tap xs0", "udp 127.0.0.1:7000 -> 127.0.0.1:7001"). */
  readonly description: string;
  /** Optional: the frames transmitted from here to txBatchEnd() may be held and written together
   *  at txBatchEnd (the TAP's segmentation offload); the scheduler brackets each stack tick. */
  txBatchBegin?(): void;
  txBatchEnd?(): void;
  close(): Promise<void>;
}

