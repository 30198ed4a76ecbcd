/*
 * xs-tcp's Moddable HALs, native side shared by hal/lin (modTapHal.c, a TAP read by a thread) and
 * hal/esp32 (modEthHal.c, the Wi-Fi and Ethernet drivers' receive callbacks): the bounded receive
 * ring, the transmit gather buffer, the coalesced wake-up of the XS thread, and the host methods that
 * both native classes bind (taphal.js and ethhal.js name the xs_xstcp_netdev_* functions of
 * netdev.c).
 *
 * Receive: a producer (the reader thread or the driver's task) writes each frame into a fixed slot
 * of the ring and publishes it; a full ring drops the frame and counts it. The XS side takes the
 * oldest frame with readInto(), which copies it straight into the pool pbuf the stack reserved
 * (FrameSink.rxReserve / rxCommit), so the frame is copied once between the driver and the stack.
 *
 * The ring is single-producer single-consumer: free-running head and tail counters with
 * acquire/release ordering, no lock (the ESP32's two cores and a Linux thread see them consistently).
 *
 * Each HAL's record starts with an xstcp_netdev, which is the host data of its native instance.
 */
#ifndef XSTCP_NETDEV_H
#define XSTCP_NETDEV_H

#include "xsmc.h"
#include "mc.defines.h"
#include <stdint.h>

/* frames the ring holds; each slot is XSTCP_FRAME_MAX bytes */
#ifndef MODDEF_XSTCP_RXSLOTS
	#define MODDEF_XSTCP_RXSLOTS (8)
#endif

/* MTU 1500 + Ethernet header 14 + one VLAN tag 4 */
#define XSTCP_FRAME_MAX (1518)
#define XSTCP_FRAME_MIN (14)

typedef struct xstcp_netdev xstcp_netdev;

struct xstcp_netdev {
	xsMachine *the;
	xsSlot obj;
	uint32_t posted;		/* a wake-up of the XS thread is pending */
	uint32_t head;			/* written by the producer */
	uint32_t tail;			/* written by the consumer */
	uint32_t dropped;		/* frames lost: ring full, too short or too long */
	uint16_t lengths[MODDEF_XSTCP_RXSLOTS];
	uint8_t *frames;		/* MODDEF_XSTCP_RXSLOTS slots of XSTCP_FRAME_MAX bytes */
	uint8_t *tx;			/* XSTCP_FRAME_MAX bytes: a pbuf chain gathered into one frame */
	/* sends one frame (the driver copies it before returning); 0 when refused */
	int (*transmit)(xstcp_netdev *dev, const uint8_t *data, uint32_t length);
	/* optional: the consumer made room in a ring that was full */
	void (*drained)(xstcp_netdev *dev);
};

/* Producer: the slot the next frame goes into, or NULL when the ring is full. */
uint8_t *xstcp_ring_slot(xstcp_netdev *dev);

/* Producer: publishes the frame of `length` bytes written into the slot xstcp_ring_slot gave. */
void xstcp_ring_publish(xstcp_netdev *dev, uint32_t length);

/* Producer: copies one frame into the ring; 0 (and counted as dropped) when it is full or the
   length is outside [XSTCP_FRAME_MIN, XSTCP_FRAME_MAX]. */
int xstcp_ring_put(xstcp_netdev *dev, const uint8_t *data, uint32_t length);

/* Producer: frames waiting, as the producer sees them. */
uint32_t xstcp_ring_count(xstcp_netdev *dev);

/* Producer: claims the right to post one wake-up (1: post now; 0: one is already pending). A post
   that fails must call xstcp_netdev_unclaim so the next frame tries again. */
int xstcp_netdev_claim(xstcp_netdev *dev);
void xstcp_netdev_unclaim(xstcp_netdev *dev);

/* XS thread: the posted wake-up arrived; clears the claim, then calls the instance's onReady. */
void xstcp_netdev_deliver(xstcp_netdev *dev);

/* The buffer argument of a host method: *data and *count on success, 0 (nothing thrown) when the
   argument is not a buffer XS hands out (a byte typed array, ArrayBuffer, DataView, host buffer). */
int xstcp_arg_buffer(xsMachine *the, xsSlot *arg, int writable, void **data, xsUnsignedValue *count);

#endif
