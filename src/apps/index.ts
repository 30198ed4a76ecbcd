/** The small TCP services, each a few callbacks on the raw API: start them on any Stack. */
export { startEcho, ECHO_PORT } from './echo.js';
export { startDiscard, DISCARD_PORT } from './discard.js';
export { startDaytime, DAYTIME_PORT } from './daytime.js';
export { startChargen, chargenRing, CHARGEN_PORT, CHARGEN_LINE, CHARGEN_RING_LEN } from './chargen.js';
export type { ServiceHandle } from './service.js';
/** LAN services: DHCP client (RFC 2131), DNS resolver (RFC 1035), mDNS responder (RFC 6762). */
export * from './dhcp/api.js';
export * from './dns/api.js';
export {
  MdnsResponder, MdnsStats, mdns_responder, mdns_start, mdns_stop, MDNS_PORT, MDNS_GROUP, MDNS_STATE_NAMES,
  MDNS_OFF, MDNS_WAITING, MDNS_PROBING, MDNS_ANNOUNCING, MDNS_RUNNING,
} from './mdns/responder.js';
