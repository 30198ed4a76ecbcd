/*
 * Native helpers of xs-tcp's Moddable HALs (modXstcpNative.c): the checksum and the pool's memory that
 * hal/lin/hal.ts and hal/esp32/hal.ts supply as Hal.checksum and Hal.poolMemory. The `@ "name"`
 * clauses bind each to its C function (XS syntax, compiled by xsc). See hal/xs/moddable.d.ts.
 */
export function checksum(buffer, offset, length, initial) @ "xs_xstcp_checksum";

export class PoolMemory @ "xs_xstcp_pool_destructor" {
	constructor(bytes) @ "xs_xstcp_pool_constructor";
	get byteLength() @ "xs_xstcp_pool_get_byte_length";
}
Object.freeze(PoolMemory.prototype);
