/**
 * The ECMA-419 socket classes over xs-tcp (ECMA-419 2nd ed. §10): TCP, Listener and UDP, and the
 * default stack they use when an options object names none. manifests/io maps Moddable's
 * `embedded:io/socket/tcp`, `.../listener` and `.../udp` to them.
 */
export { TCP } from './tcp.js';
export { Listener } from './listener.js';
export { UDP, type UdpPacket } from './udp.js';
export { setDefaultStack, getDefaultStack } from './common.js';
