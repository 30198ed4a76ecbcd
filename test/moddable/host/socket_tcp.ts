/** embedded:io/socket/tcp on Node: the xs-tcp class (as manifests/io/tcp.js maps it on Moddable). */
export { TCP as default } from "../../../src/io/index.js";
