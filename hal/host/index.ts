/** The host HAL: TAP and UDP-tunnel drivers, wall clock, scheduler, OS random numbers. */
export { TapDriver, SocatTapDriver, TapError, openTap, loadTapAddon, tapAddonError } from './tap.js';
export type { TapOptions } from './tap.js';
export { UdpTunnelDriver, parseUdpSpec, freeUdpPort } from './udp.js';
export type { UdpTunnelOptions } from './udp.js';
export { newDriverStats } from './driver.js';
export type { HostDriver, HostDriverStats } from './driver.js';
export { WallClock, daytimeText } from './clock.js';
export { HostScheduler } from './scheduler.js';
export type { HostSchedulerOptions } from './scheduler.js';
export { CryptoRandom, randomMac } from './random.js';
