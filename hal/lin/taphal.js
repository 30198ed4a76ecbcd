/*
 * The native side of xs-tcp's HAL for the Moddable Linux simulator, as a Moddable host class (the
 * `@ "name"` clauses bind each method to its C function in modTapHal.c; this syntax is XS's,
 * compiled by xsc, not standard JS). Same methods as hal/esp32/ethhal.js, so hal/lin/hal.ts drives it
 * with the ESP32 HAL's JS driver; see hal/lin/moddable.d.ts for the contract.
 *
 * `onReady` is called from C (one coalesced message per burst of received frames): the JS side then
 * drains the ring with `receive`.
 */
class TapHal @ "xs_taphal_destructor" {
	constructor(options) @ "xs_taphal_constructor";
	close() @ "xs_taphal_close";
	send(buffer, offset, length) @ "xs_taphal_send";
	gather(buffer, offset, length, position) @ "xs_taphal_gather";
	sendGathered(length) @ "xs_taphal_send_gathered";
	receive(buffer, offset) @ "xs_taphal_receive";
	getMAC(buffer) @ "xs_taphal_get_mac";
	get linkUp() @ "xs_taphal_get_link_up";
	get dropped() @ "xs_taphal_get_dropped";
	random() @ "xs_taphal_random";
	// `onReady` is an own property set by the driver (see hal/esp32/ethhal.js for why it is not on
	// the frozen prototype).
}
Object.freeze(TapHal.prototype);

export default TapHal;
