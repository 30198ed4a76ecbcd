/**
 * What every layer of one stack shares: its configuration, its pbuf pool, its counters, the current
 * time and the random source. Created once by the Stack; passed down to each layer's constructor.
 */
import type { StackConfig } from './config.js';
import { PbufPool } from './pbuf.js';
import { StackStats } from './stats.js';
import { DeferredQueue } from './deferred.js';
import type { RandomSource } from '../hal.js';

export class StackCore {
  readonly config: StackConfig;
  readonly pbufs: PbufPool;
  readonly stats = new StackStats();
  readonly random: RandomSource;
  /** Milliseconds, from the HAL clock; refreshed by every tick and every received frame. */
  now = 0;
  /** Called when work was queued outside a tick (an API call, an ARP query): the scheduler that
   *  owns the stack re-reads its next deadline instead of sleeping through the new timer. */
  onWork: (() => void) | null = null;
  /** Work to run once the current frame or tick is done (application callbacks of src/io). */
  readonly deferred = new DeferredQueue(this);

  constructor(config: StackConfig, random: RandomSource) {
    this.config = config;
    this.random = random;
    this.pbufs = new PbufPool(config.PBUF_POOL_SIZE, config.PBUF_POOL_BUFSIZE, config.MEMP_NUM_PBUF, config.PBUF_RX_RESERVE);
  }

  wake(): void {
    const f = this.onWork;
    if (f !== null) f();
  }
}
