/*
 * embedded:io/socket/listener (ECMA-419 2nd ed. §10) over xs-tcp: the Listener class of src/io/listener.ts, from the
 * library bundle (build/xs-tcp.js). Which stack it uses: the `stack` option, else the one given to
 * setDefaultStack() from "xs-tcp". See docs/ecma419.md.
 */
export { Listener as default } from "xs-tcp";
