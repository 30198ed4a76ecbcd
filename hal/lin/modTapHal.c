/*
 * xs-tcp HAL for the Moddable SDK's Linux simulator (mcsim), native side: moves whole Ethernet
 * frames between a Linux TAP device and the XS machine that runs the stack. hal/lin/taphal.js
 * declares the class; hal/lin/hal.ts wraps it with the same JS driver the ESP32 HAL uses.
 *
 * The design is hal/esp32/modEthHal.c's, with a reader thread in place of the Wi-Fi/Ethernet task;
 * the ring, the gather buffer and the methods both share are hal/xs/netdev.c's:
 *
 * Receive: a reader thread blocks in poll() on the TAP descriptor, reads each frame straight into a
 * slot of the bounded ring, and posts AT MOST ONE message to the XS thread until that message is
 * delivered (the `posted` flag). JS then copies each frame from the ring into the pool pbuf the
 * stack reserved (readInto). On the board the message goes through modMessagePostToMachine;
 * in the simulator the equivalent is an idle GSource attached to the XS thread's GMainContext
 * (GLib documents g_source_attach as callable from any thread). A full ring stops the reader until
 * JS drains it: the kernel's TAP queue (txqueuelen, 1000 frames by default) then holds or drops
 * frames, as a busy board's driver would.
 *
 * Transmit: send() writes one frame from pool memory straight to the descriptor (write() copies it
 * before it returns); chains are gathered first.
 *
 * The TAP must exist before the app starts (ip tuntap add dev xs0 mode tap): attaching to a name
 * that does not exist would make a new, unconfigured device, so that is refused (linux/if_tun.h).
 */

#include "xsmc.h"
#include "xsHost.h"
#include "mc.xs.h"
#include "mc.defines.h"
#include "netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <linux/if_tun.h>
#include <glib.h>

typedef struct {
	xstcp_netdev dev;		/* first: the instance's host data */
	GMainContext *context;
	pthread_t reader;
	int fd;
	int wake;				/* eventfd: tells the reader to stop, or that the ring has room again */
	volatile uint8_t stop;
	uint8_t threadStarted;
	uint8_t mac[6];
	uint8_t frames[MODDEF_XSTCP_RXSLOTS * XSTCP_FRAME_MAX];
	uint8_t tx[XSTCP_FRAME_MAX];
} TapHalRecord, *TapHal;

static gboolean taphalDeliver(gpointer data);

/* Posts the XS thread unless a post is already pending (coalescing). */
static void taphalNotify(TapHal hal)
{
	if (xstcp_netdev_claim(&hal->dev)) {
		GSource *source = g_idle_source_new();
		g_source_set_callback(source, taphalDeliver, hal, NULL);
		g_source_set_priority(source, G_PRIORITY_DEFAULT);
		g_source_attach(source, hal->context);
		g_source_unref(source);
	}
}

static void taphalWake(TapHal hal)
{
	uint64_t one = 1;
	if (write(hal->wake, &one, sizeof(one)) < 0) {
		/* the counter is at its maximum: the reader is already due to wake */
	}
}

/* Producer: the reader thread. */
static void *taphalRead(void *arg)
{
	TapHal hal = (TapHal)arg;
	struct pollfd fds[2];

	while (!hal->stop) {
		uint8_t *slot = xstcp_ring_slot(&hal->dev);
		int full = (NULL == slot);

		fds[0].fd = hal->wake;
		fds[0].events = POLLIN;
		fds[1].fd = hal->fd;
		fds[1].events = full ? 0 : POLLIN;		/* full ring: wait for readInto() to make room */
		fds[0].revents = fds[1].revents = 0;
		if (poll(fds, 2, -1) < 0) {
			if (EINTR == errno)
				continue;
			break;
		}
		if (fds[0].revents & POLLIN) {
			uint64_t count;
			if (read(hal->wake, &count, sizeof(count)) < 0) {
				/* nothing to clear */
			}
		}
		if (hal->stop)
			break;
		if (!full && (fds[1].revents & POLLIN)) {
			ssize_t length = read(hal->fd, slot, XSTCP_FRAME_MAX);
			if (length < 0)
				continue;	/* EAGAIN or EINTR: poll again */
			if (length < XSTCP_FRAME_MIN) {
				__atomic_add_fetch(&hal->dev.dropped, 1, __ATOMIC_RELAXED);
				continue;
			}
			xstcp_ring_publish(&hal->dev, (uint32_t)length);
			taphalNotify(hal);
		}
		if (fds[1].revents & (POLLERR | POLLHUP | POLLNVAL))
			break;		/* the device went away */
	}
	return NULL;
}

/* Consumer side, in the XS thread: one call of the instance's onReady per posted message. */
static gboolean taphalDeliver(gpointer data)
{
	TapHal hal = (TapHal)data;
	if (hal->fd < 0)
		xstcp_netdev_unclaim(&hal->dev);	/* closed after the message was posted */
	else
		xstcp_netdev_deliver(&hal->dev);
	return G_SOURCE_REMOVE;
}

static void taphalStop(TapHal hal)
{
	if (hal->threadStarted) {
		hal->stop = 1;
		taphalWake(hal);
		pthread_join(hal->reader, NULL);
		hal->threadStarted = 0;
	}
	if (hal->fd >= 0)
		close(hal->fd);
	hal->fd = -1;
	if (hal->wake >= 0)
		close(hal->wake);
	hal->wake = -1;
}

/* A posted message may still be pending in the main loop when the instance goes: it is freed by a
   last idle callback, which runs after every earlier one (same priority, first in, first out). */
static gboolean taphalRelease(gpointer data)
{
	TapHal hal = (TapHal)data;
	if (hal->context)
		g_main_context_unref(hal->context);
	c_free(hal);
	return G_SOURCE_REMOVE;
}

static void taphalFree(TapHal hal)
{
	GSource *source;
	if (!hal->context) {
		c_free(hal);
		return;
	}
	source = g_idle_source_new();
	g_source_set_callback(source, taphalRelease, hal, NULL);
	g_source_set_priority(source, G_PRIORITY_DEFAULT);
	g_source_attach(source, hal->context);
	g_source_unref(source);
}

void xs_taphal_destructor(void *data)
{
	TapHal hal = (TapHal)data;
	if (hal) {
		taphalStop(hal);
		taphalFree(hal);
	}
}

static int taphalTransmit(xstcp_netdev *dev, const uint8_t *data, uint32_t length)
{
	TapHal hal = (TapHal)dev;
	return (hal->fd >= 0) && (write(hal->fd, data, length) == (ssize_t)length);
}

/* the reader stopped polling the device while the ring was full */
static void taphalDrained(xstcp_netdev *dev)
{
	taphalWake((TapHal)dev);
}

static int taphalOpen(const char *name)
{
	struct ifreq ifr;
	size_t length = c_strlen(name);
	int fd;

	if ((0 == length) || (length >= IFNAMSIZ) || (0 == if_nametoindex(name)))
		return -ENODEV;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	c_memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	c_memcpy(ifr.ifr_name, name, length);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* constructor({ tap: "xs0", mac: "02:..." }) */
void xs_taphal_constructor(xsMachine *the)
{
	TapHal hal;
	char name[IFNAMSIZ];
	int fd, i;

	c_strcpy(name, "xs0");
	xsmcVars(1);
	if ((xsmcArgc > 0) && (xsReferenceType == xsmcTypeOf(xsArg(0))) && xsmcHas(xsArg(0), xsID_tap)) {
		xsmcGet(xsVar(0), xsArg(0), xsID_tap);
		if (xsStringType == xsmcTypeOf(xsVar(0))) {
			const char *s = xsmcToString(xsVar(0));
			if (c_strlen(s) >= IFNAMSIZ)
				xsRangeError("tap name too long");
			c_strcpy(name, s);
		}
	}

	hal = c_calloc(1, sizeof(TapHalRecord));
	if (!hal)
		xsUnknownError("no memory");
	hal->fd = -1;
	hal->wake = -1;
	hal->dev.frames = hal->frames;
	hal->dev.tx = hal->tx;
	hal->dev.transmit = taphalTransmit;
	hal->dev.drained = taphalDrained;

	/* a locally administered unicast address (IEEE 802 bit 1 of the first octet set, bit 0 clear) */
	if (sizeof(hal->mac) != getrandom(hal->mac, sizeof(hal->mac), 0))
		hal->mac[5] = 1;
	hal->mac[0] = (hal->mac[0] & 0xFC) | 0x02;
	if ((xsmcArgc > 0) && (xsReferenceType == xsmcTypeOf(xsArg(0))) && xsmcHas(xsArg(0), xsID_mac)) {
		unsigned int octets[6];
		xsmcGet(xsVar(0), xsArg(0), xsID_mac);
		if ((xsStringType == xsmcTypeOf(xsVar(0))) &&
			(6 == sscanf(xsmcToString(xsVar(0)), "%x:%x:%x:%x:%x:%x", &octets[0], &octets[1], &octets[2], &octets[3], &octets[4], &octets[5]))) {
			for (i = 0; i < 6; i++)
				hal->mac[i] = (uint8_t)octets[i];
		}
	}

	fd = taphalOpen(name);
	if (fd < 0) {
		c_free(hal);
		if (-ENODEV == fd)
			xsUnknownError("no such TAP device (create it first: ip tuntap add dev NAME mode tap)");
		xsUnknownError("cannot attach to the TAP device (needs CAP_NET_ADMIN or the device's owner)");
	}
	hal->fd = fd;
	hal->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (hal->wake < 0) {
		taphalStop(hal);
		c_free(hal);
		xsUnknownError("eventfd failed");
	}
	hal->dev.the = the;
	hal->context = g_main_context_ref_thread_default();
	xsmcSetHostData(xsThis, hal);
	hal->dev.obj = xsThis;
	xsRemember(hal->dev.obj);

	if (0 != pthread_create(&hal->reader, NULL, taphalRead, hal)) {
		xsForget(hal->dev.obj);
		xsmcSetHostData(xsThis, NULL);
		taphalStop(hal);
		taphalFree(hal);
		xsUnknownError("cannot start the reader thread");
	}
	hal->threadStarted = 1;
}

void xs_taphal_close(xsMachine *the)
{
	TapHal hal = xsmcGetHostData(xsThis);
	if (!hal)
		return;
	taphalStop(hal);
	xsForget(hal->dev.obj);
	xsmcSetHostData(xsThis, NULL);
	taphalFree(hal);
}

/* getMAC(buffer): the interface's address into buffer[0..5] */
void xs_taphal_get_mac(xsMachine *the)
{
	TapHal hal = xsmcGetHostData(xsThis);
	void *data;
	xsUnsignedValue count;

	xsmcGetBufferWritable(xsArg(0), &data, &count);
	if (count < 6)
		xsRangeError("MAC buffer needs 6 bytes");
	if (hal)
		c_memcpy(data, hal->mac, 6);
	else
		c_memset(data, 0, 6);
}

/* A TAP carries frames as soon as it is attached; the kernel side decides whether it is up. */
void xs_taphal_get_link_up(xsMachine *the)
{
	TapHal hal = xsmcGetHostData(xsThis);
	xsmcSetBoolean(xsResult, hal && (hal->fd >= 0));
}

/* random(): 32 bits from the kernel's generator (unsigned, as a Number) */
void xs_taphal_random(xsMachine *the)
{
	uint32_t value = 0;
	if (sizeof(value) != getrandom(&value, sizeof(value), 0))
		value = (uint32_t)g_random_int();
	xsmcSetNumber(xsResult, (double)value);
}

/* getenv(name): the simulator's environment variable XS_TCP_LIN_<name>, or undefined (measurement
   switches: hal/lin/hal.ts) */
void xs_taphal_getenv(xsMachine *the)
{
	char key[64];
	const char *value;
	const char *name = xsmcToString(xsArg(0));
	if (c_strlen(name) >= sizeof(key) - 11)
		return;
	c_strcpy(key, "XS_TCP_LIN_");
	c_strcat(key, name);
	value = getenv(key);
	if (value)
		xsmcSetString(xsResult, (char *)value);
}
