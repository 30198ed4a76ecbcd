/**
 * xs-tcp: the public surface. A flat list of re-exports, one line per module — add new modules
 * with another `export * from` / named export line.
 */
export { Stack, type StackOptions, type NamedPool, type StackApp } from './api/stack.js';
export * from './core/err.js';
export * from './core/config.js';
export * from './core/pbuf.js';
export * from './core/ip4addr.js';
export { SeededRandom } from './core/random.js';
export { StackStats, ProtoStats } from './core/stats.js';
export * from './api/udp_api.js';
export type { EchoReplyFn } from './icmp/icmp.js';
export type { Hal, NetDriver, Clock, RandomSource, Scheduler, FrameSink, FrameChain } from './hal.js';
export * from './api/tcp_api.js';
export * from './apps/index.js';
export * from './io/index.js';
