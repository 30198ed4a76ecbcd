/*
 * embedded:io/socket/udp (ECMA-419 2nd ed. §10) over xs-tcp: the UDP class of src/io/udp.ts, from the
 * library bundle (build/xs-tcp.js). Which stack it uses: the `stack` option, else the one given to
 * setDefaultStack() from "xs-tcp". See docs/ecma419.md.
 */
export { UDP as default } from "xs-tcp";
