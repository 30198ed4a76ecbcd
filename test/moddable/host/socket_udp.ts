/** embedded:io/socket/udp on Node: the xs-tcp class (as manifests/io/udp.js maps it on Moddable). */
export { UDP as default } from "../../../src/io/index.js";
