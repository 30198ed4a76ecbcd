/*
 * The receive ring, gather buffer and host methods both Moddable HALs share (see netdev.h).
 */
#include "netdev.h"
#include "xsHost.h"
#include "mc.xs.h"

#include <string.h>

uint8_t *xstcp_ring_slot(xstcp_netdev *dev)
{
	uint32_t head = __atomic_load_n(&dev->head, __ATOMIC_RELAXED);
	uint32_t tail = __atomic_load_n(&dev->tail, __ATOMIC_ACQUIRE);
	if ((head - tail) >= MODDEF_XSTCP_RXSLOTS)
		return NULL;
	return dev->frames + ((head % MODDEF_XSTCP_RXSLOTS) * XSTCP_FRAME_MAX);
}

void xstcp_ring_publish(xstcp_netdev *dev, uint32_t length)
{
	uint32_t head = __atomic_load_n(&dev->head, __ATOMIC_RELAXED);
	dev->lengths[head % MODDEF_XSTCP_RXSLOTS] = (uint16_t)length;
	__atomic_store_n(&dev->head, head + 1, __ATOMIC_RELEASE);
}

int xstcp_ring_put(xstcp_netdev *dev, const uint8_t *data, uint32_t length)
{
	uint8_t *slot;
	if ((length < XSTCP_FRAME_MIN) || (length > XSTCP_FRAME_MAX) || (NULL == (slot = xstcp_ring_slot(dev)))) {
		__atomic_add_fetch(&dev->dropped, 1, __ATOMIC_RELAXED);
		return 0;
	}
	memcpy(slot, data, length);
	xstcp_ring_publish(dev, length);
	return 1;
}

uint32_t xstcp_ring_count(xstcp_netdev *dev)
{
	return __atomic_load_n(&dev->head, __ATOMIC_ACQUIRE) - __atomic_load_n(&dev->tail, __ATOMIC_ACQUIRE);
}

int xstcp_netdev_claim(xstcp_netdev *dev)
{
	return 0 == __atomic_exchange_n(&dev->posted, 1, __ATOMIC_ACQ_REL);
}

void xstcp_netdev_unclaim(xstcp_netdev *dev)
{
	__atomic_store_n(&dev->posted, 0, __ATOMIC_RELEASE);
}

void xstcp_netdev_deliver(xstcp_netdev *dev)
{
	/* clear first: frames queued while JS drains post a new wake-up instead of being stranded */
	__atomic_store_n(&dev->posted, 0, __ATOMIC_RELEASE);

	xsBeginHost(dev->the);
	xsmcVars(1);
	xsmcGet(xsVar(0), dev->obj, xsID_onReady);
	if (xsmcIsCallable(xsVar(0)))
		xsCallFunction0(xsVar(0), dev->obj);
	xsEndHost(dev->the);
}

int xstcp_arg_buffer(xsMachine *the, xsSlot *arg, int writable, void **data, xsUnsignedValue *count)
{
	int ok = 0;
	if (xsReferenceType != xsmcTypeOf(*arg))
		return 0;
	/* XS throws a TypeError for an object that holds no bytes (or a wider typed array, a detached or
	   read-only buffer): caught here, so that a host method never throws at its caller */
	xsTry {
		_xsmcGetBuffer(the, arg, data, count, writable ? 1 : 0);
		ok = 1;
	}
	xsCatch {
		ok = 0;
	}
	return ok;
}

/* 1 when [offset, offset + length) lies inside count bytes. */
static int xstcp_range(xsIntegerValue offset, xsIntegerValue length, xsUnsignedValue count)
{
	return (offset >= 0) && (length >= 0) && ((xsUnsignedValue)offset <= count) && ((xsUnsignedValue)length <= count - (xsUnsignedValue)offset);
}

/* send(buffer, offset, length): one frame straight from pool memory; false when refused */
void xs_xstcp_netdev_send(xsMachine *the)
{
	xstcp_netdev *dev = xsmcGetHostData(xsThis);
	void *data;
	xsUnsignedValue count;
	xsIntegerValue offset = xsmcToInteger(xsArg(1));
	xsIntegerValue length = xsmcToInteger(xsArg(2));

	if (!dev || !xstcp_arg_buffer(the, &xsArg(0), 0, &data, &count) || !xstcp_range(offset, length, count)
		|| (length < XSTCP_FRAME_MIN) || (length > XSTCP_FRAME_MAX)) {
		xsmcSetFalse(xsResult);
		return;
	}
	xsmcSetBoolean(xsResult, dev->transmit(dev, (uint8_t *)data + offset, (uint32_t)length));
}

/* gather(buffer, offset, length, position): part of a chained frame into the transmit buffer */
void xs_xstcp_netdev_gather(xsMachine *the)
{
	xstcp_netdev *dev = xsmcGetHostData(xsThis);
	void *data;
	xsUnsignedValue count;
	xsIntegerValue offset = xsmcToInteger(xsArg(1));
	xsIntegerValue length = xsmcToInteger(xsArg(2));
	xsIntegerValue position = xsmcToInteger(xsArg(3));

	if (!dev || !xstcp_arg_buffer(the, &xsArg(0), 0, &data, &count) || !xstcp_range(offset, length, count)
		|| !xstcp_range(position, length, XSTCP_FRAME_MAX)) {
		xsmcSetFalse(xsResult);
		return;
	}
	memcpy(dev->tx + position, (uint8_t *)data + offset, length);
	xsmcSetTrue(xsResult);
}

/* sendGathered(length): the first `length` bytes of the transmit buffer as one frame */
void xs_xstcp_netdev_send_gathered(xsMachine *the)
{
	xstcp_netdev *dev = xsmcGetHostData(xsThis);
	xsIntegerValue length = xsmcToInteger(xsArg(0));
	if (!dev || (length < XSTCP_FRAME_MIN) || (length > XSTCP_FRAME_MAX)) {
		xsmcSetFalse(xsResult);
		return;
	}
	xsmcSetBoolean(xsResult, dev->transmit(dev, dev->tx, (uint32_t)length));
}

/* Consumer: whether a frame is waiting; the tail to advance from, and whether the ring was full. */
static int xstcp_ring_peek(xstcp_netdev *dev, uint32_t *tail, int *wasFull)
{
	uint32_t head = __atomic_load_n(&dev->head, __ATOMIC_ACQUIRE);
	*tail = __atomic_load_n(&dev->tail, __ATOMIC_RELAXED);
	*wasFull = (head - *tail) >= MODDEF_XSTCP_RXSLOTS;
	return head != *tail;
}

static void xstcp_ring_release(xstcp_netdev *dev, uint32_t tail, int wasFull)
{
	__atomic_store_n(&dev->tail, tail, __ATOMIC_RELEASE);
	if (wasFull && dev->drained)
		dev->drained(dev);
}

/*
 * readInto(buffer, offset, capacity): copies the oldest queued frame to buffer[offset..] (the pool
 * pbuf FrameSink.rxReserve gave) and returns its length; 0 when no frame is waiting. A frame longer
 * than `capacity` is dropped and counted, and the next one is tried. A range outside the buffer (or
 * no buffer) returns 0 and leaves the ring as it was: the caller then releases its reservation.
 */
void xs_xstcp_netdev_read_into(xsMachine *the)
{
	xstcp_netdev *dev = xsmcGetHostData(xsThis);
	void *data;
	xsUnsignedValue count;
	xsIntegerValue offset = xsmcToInteger(xsArg(1));
	xsIntegerValue capacity = xsmcToInteger(xsArg(2));
	xsIntegerValue result = 0;
	uint32_t tail;
	int wasFull;

	if (dev && xstcp_arg_buffer(the, &xsArg(0), 1, &data, &count) && xstcp_range(offset, capacity, count)
		&& xstcp_ring_peek(dev, &tail, &wasFull)) {
		uint32_t head = __atomic_load_n(&dev->head, __ATOMIC_ACQUIRE);
		while (head != tail) {
			uint32_t slot = tail % MODDEF_XSTCP_RXSLOTS;
			uint32_t length = dev->lengths[slot];
			tail += 1;
			if (length <= (uint32_t)capacity) {
				memcpy((uint8_t *)data + offset, dev->frames + (slot * XSTCP_FRAME_MAX), length);
				result = (xsIntegerValue)length;
				break;
			}
			__atomic_add_fetch(&dev->dropped, 1, __ATOMIC_RELAXED);
		}
		xstcp_ring_release(dev, tail, wasFull);
	}
	xsmcSetInteger(xsResult, result);
}

/* discard(): drops the oldest frame uncounted (the stack counted it: its pool was empty); whether
   there was one */
void xs_xstcp_netdev_discard(xsMachine *the)
{
	xstcp_netdev *dev = xsmcGetHostData(xsThis);
	uint32_t tail;
	int wasFull;
	if (dev && xstcp_ring_peek(dev, &tail, &wasFull)) {
		xstcp_ring_release(dev, tail + 1, wasFull);
		xsmcSetTrue(xsResult);
	}
	else
		xsmcSetFalse(xsResult);
}

/* pending: frames waiting in the ring */
void xs_xstcp_netdev_get_pending(xsMachine *the)
{
	xstcp_netdev *dev = xsmcGetHostData(xsThis);
	xsmcSetInteger(xsResult, dev ? (xsIntegerValue)xstcp_ring_count(dev) : 0);
}

/* dropped: frames the ring lost (full, too short, too long for the pool) */
void xs_xstcp_netdev_get_dropped(xsMachine *the)
{
	xstcp_netdev *dev = xsmcGetHostData(xsThis);
	xsmcSetNumber(xsResult, dev ? (double)__atomic_load_n(&dev->dropped, __ATOMIC_RELAXED) : 0);
}
