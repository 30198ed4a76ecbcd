/*
 * The native side of xs-tcp's HAL for the Moddable Linux simulator, as a Moddable host class (the
 * `@ "name"` clauses bind each method to its C function: modTapHal.c, and hal/xs/netdev.c for the
 * ones the ESP32 HAL shares; this syntax is XS's, compiled by xsc, not standard JS). Same methods as
 * hal/esp32/ethhal.js, so hal/lin/hal.ts drives it with the ESP32 HAL's JS driver; see
 * hal/lin/moddable.d.ts for the contract.
 *
 * `onReady` is called from C (one coalesced message per burst of received frames): the JS side then
 * copies the queued frames into pool pbufs with `readInto`.
 */
class TapHal @ "xs_taphal_destructor" {
	constructor(options) @ "xs_taphal_constructor";
	close() @ "xs_taphal_close";
	send(buffer, offset, length) @ "xs_xstcp_netdev_send";
	gather(buffer, offset, length, position) @ "xs_xstcp_netdev_gather";
	sendGathered(length) @ "xs_xstcp_netdev_send_gathered";
	readInto(buffer, offset, capacity) @ "xs_xstcp_netdev_read_into";
	discard() @ "xs_xstcp_netdev_discard";
	getMAC(buffer) @ "xs_taphal_get_mac";
	get linkUp() @ "xs_taphal_get_link_up";
	get pending() @ "xs_xstcp_netdev_get_pending";
	get dropped() @ "xs_xstcp_netdev_get_dropped";
	random() @ "xs_taphal_random";
	getenv(name) @ "xs_taphal_getenv";
	// `onReady` is an own property set by the driver (see hal/esp32/ethhal.js for why it is not on
	// the frozen prototype).
}
Object.freeze(TapHal.prototype);

export default TapHal;
