/*
 * Native helpers the Moddable HALs offer the stack (hal/xs/xstcpnative.js declares them):
 *
 *   checksum(buffer, offset, length, initial)   Hal.checksum: the Internet checksum's partial sum in C
 *   new PoolMemory(bytes)                       Hal.poolMemory: the pbuf pool's bytes outside the XS
 *                                               chunk heap, as a host buffer (typed arrays view it)
 *
 * Neither throws at its caller: checksum returns -1 for arguments it cannot use, and PoolMemory
 * reports byteLength 0 when the memory could not be had (the HAL then falls back to an ArrayBuffer).
 *
 * Where PoolMemory's bytes come from: malloc on Linux (the simulator); on the ESP32 heap_caps_malloc
 * from internal RAM, or from PSRAM with the manifest define xstcp.pool.psram = 1 (manifests/README.md).
 */
#include "xsmc.h"
#include "mc.defines.h"
#include "xstcp_sum.h"
#include "netdev.h"

#include <stdlib.h>

#ifdef ESP32
	#include "esp_heap_caps.h"
	#ifndef MODDEF_XSTCP_POOL_PSRAM
		#define MODDEF_XSTCP_POOL_PSRAM (0)
	#endif
	#if MODDEF_XSTCP_POOL_PSRAM
		#define kPoolCaps (MALLOC_CAP_SPIRAM | MALLOC_CAP_8BIT)
	#else
		#define kPoolCaps (MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT)
	#endif
	#define poolAlloc(bytes) heap_caps_calloc(1, (bytes), kPoolCaps)
	#define poolFree(p) heap_caps_free(p)
#else
	#define poolAlloc(bytes) calloc(1, (bytes))
	#define poolFree(p) free(p)
#endif

/* The pool is a few tens of KB; refuse sizes no pool configuration reaches (and negative ones). */
#define kPoolMax (16 * 1024 * 1024)

/*
 * checksum(buffer, offset, length, initial): Hal.checksum's contract (src/hal.ts). The range
 * [offset, offset + length) is relative to the view; `initial` is a partial sum below 2^31. Bad
 * arguments (not a byte buffer, a range outside it, `initial` out of range) return -1, which no
 * folded sum equals: a segment summed with it fails verification and is dropped as a checksum error
 * (the stack only ever passes its own pbufs' ranges).
 */
void xs_xstcp_checksum(xsMachine *the)
{
	void *data;
	xsUnsignedValue count;
	xsIntegerValue offset = xsmcToInteger(xsArg(1));
	xsIntegerValue length = xsmcToInteger(xsArg(2));
	xsIntegerValue initial = xsmcToInteger(xsArg(3));

	if ((offset < 0) || (length < 0) || (initial < 0) || !xstcp_arg_buffer(the, &xsArg(0), 0, &data, &count)
		|| ((xsUnsignedValue)offset > count) || ((xsUnsignedValue)length > count - (xsUnsignedValue)offset)) {
		xsmcSetInteger(xsResult, -1);
		return;
	}
	xsmcSetInteger(xsResult, (xsIntegerValue)xstcp_sum((const uint8_t *)data + offset, (uint32_t)length, (uint32_t)initial));
}

void xs_xstcp_pool_destructor(void *data)
{
	if (data)
		poolFree(data);
}

/* new PoolMemory(bytes): zeroed native memory as a host buffer; byteLength 0 when none was had */
void xs_xstcp_pool_constructor(xsMachine *the)
{
	xsIntegerValue bytes = (xsmcArgc > 0) ? xsmcToInteger(xsArg(0)) : 0;
	void *data;
	if ((bytes <= 0) || (bytes > kPoolMax))
		return;
	data = poolAlloc((size_t)bytes);
	if (data)
		xsmcSetHostBuffer(xsThis, data, bytes);
}

void xs_xstcp_pool_get_byte_length(xsMachine *the)
{
	xsmcSetInteger(xsResult, xsmcGetHostData(xsThis) ? xsmcGetHostBufferLength(xsThis) : 0);
}
