/** The small TCP services, each a few callbacks on the raw API: start them on any Stack. */
export { startEcho, ECHO_PORT } from './echo.js';
export { startDiscard, DISCARD_PORT } from './discard.js';
export { startDaytime, DAYTIME_PORT } from './daytime.js';
export { startChargen, chargenRing, CHARGEN_PORT, CHARGEN_LINE, CHARGEN_RING_LEN } from './chargen.js';
export type { ServiceHandle } from './service.js';
