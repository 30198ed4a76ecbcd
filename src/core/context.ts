/**
 * What every layer of one stack shares: its configuration, its pbuf pool, its checksum, its
 * counters, the current time and the random source. Created once by the Stack; passed down to each
 * layer's constructor.
 */
import { TCP_HDR_TEMPLATE_BYTES, type StackConfig } from './config.js';
import { PbufPool } from './pbuf.js';
import { StackStats, STACK_STAT_ENTRIES } from './stats.js';
import { RateLimits, stackLimitEntries } from './ratelimit.js';
import { DeferredQueue } from './deferred.js';
import type { Hal, RandomSource } from '../hal.js';
import { poolChecksum, type InetSum } from './checksum.js';

export class StackCore {
  readonly config: StackConfig;
  readonly pbufs: PbufPool;
  readonly stats: StackStats;
  /** The layers' token buckets and ICMP's per-destination table (ratelimit.ts): each layer keeps
   *  the index of its own. */
  readonly limits: RateLimits;
  readonly random: RandomSource;
  /** The checksum every layer uses for every contiguous range (IPv4 header, TCP, UDP, ICMP): the
   *  HAL's native one when it has one, else the JavaScript sum over this stack's pool. */
  readonly chksum: InetSum;
  /** Milliseconds, from the HAL clock; refreshed by every tick and every received frame. */
  now = 0;
  /** Called when work was queued outside a tick (an API call, an ARP query): the scheduler that
   *  owns the stack re-reads its next deadline instead of sleeping through the new timer. */
  onWork: (() => void) | null = null;
  /** Work to run once the current frame or tick is done (application callbacks of src/io). */
  readonly deferred = new DeferredQueue(this);

  /** `hal`: the optional native checksum and pool memory (Hal.checksum, Hal.poolMemory). */
  constructor(config: StackConfig, random: RandomSource, hal: Pick<Hal, 'checksum' | 'poolMemory'> | null = null) {
    this.config = config;
    this.random = random;
    // the error counters and the token buckets in one buffer (an XS ArrayBuffer costs slots)
    const limits = stackLimitEntries(config.ICMP_RATELIMIT_PEERS);
    const small = new ArrayBuffer(8 * (STACK_STAT_ENTRIES + limits));
    this.stats = new StackStats(new Float64Array(small, 0, STACK_STAT_ENTRIES));
    this.limits = new RateLimits(new Float64Array(small, 8 * STACK_STAT_ENTRIES, limits));
    const count = config.PBUF_POOL_SIZE;
    const size = config.PBUF_POOL_BUFSIZE;
    // the arena after the pool holds the TCP header templates (TCP_HDR_TEMPLATE), one per pcb
    const arena = config.TCP_HDR_TEMPLATE ? config.MEMP_NUM_TCP_PCB * TCP_HDR_TEMPLATE_BYTES : 0;
    const memory = hal !== null && hal.poolMemory !== undefined ? hal.poolMemory(PbufPool.bytesFor(count, size, arena)) : null;
    this.pbufs = new PbufPool(count, size, config.MEMP_NUM_PBUF, config.PBUF_RX_RESERVE, memory, arena);
    const native = hal !== null ? hal.checksum : undefined;
    // bound once here, so that the per-range call is a plain function call with the HAL as `this`
    this.chksum = native !== undefined ? native.bind(hal) : poolChecksum(this.pbufs.mem);
  }

  wake(): void {
    const f = this.onWork;
    if (f !== null) f();
  }
}
