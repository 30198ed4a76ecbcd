/*
 * The native side of xs-tcp's ESP32 HAL, as a Moddable host class (the `@ "name"` clauses bind each
 * method to its C function: modEthHal.c, and hal/xs/netdev.c for the ones the Linux simulator's HAL
 * shares; this syntax is XS's, compiled by xsc, not standard JS).
 * hal/esp32/hal.ts wraps it as the stack's NetDriver; see hal/esp32/moddable.d.ts for the contract.
 *
 * `onReady` is called from C (one coalesced message per burst of received frames or link change):
 * the JS side then copies the queued frames into pool pbufs with `readInto`.
 */
class EthHal @ "xs_ethhal_destructor" {
	constructor(options) @ "xs_ethhal_constructor";
	close() @ "xs_ethhal_close";
	send(buffer, offset, length) @ "xs_xstcp_netdev_send";
	gather(buffer, offset, length, position) @ "xs_xstcp_netdev_gather";
	sendGathered(length) @ "xs_xstcp_netdev_send_gathered";
	readInto(buffer, offset, capacity) @ "xs_xstcp_netdev_read_into";
	discard() @ "xs_xstcp_netdev_discard";
	getMAC(buffer) @ "xs_ethhal_get_mac";
	get linkUp() @ "xs_ethhal_get_link_up";
	get pending() @ "xs_xstcp_netdev_get_pending";
	get dropped() @ "xs_xstcp_netdev_get_dropped";
	random() @ "xs_ethhal_random";
	// `onReady` is an own property the driver (hal.ts) sets on the instance; it is deliberately not
	// on the (frozen) prototype, where a non-writable inherited property would forbid assigning it.
}
Object.freeze(EthHal.prototype);

export default EthHal;
