/*
 * embedded:io/socket/tcp (ECMA-419 2nd ed. §10) over xs-tcp: the TCP class of src/io/tcp.ts, from the
 * library bundle (build/xs-tcp.js). Which stack it uses: the `stack` option, else the one given to
 * setDefaultStack() from "xs-tcp". See docs/ecma419.md.
 */
export { TCP as default } from "xs-tcp";
