/** embedded:io/socket/listener on Node: the xs-tcp class (as manifests/io/listener.js maps it on Moddable). */
export { Listener as default } from "../../../src/io/index.js";
