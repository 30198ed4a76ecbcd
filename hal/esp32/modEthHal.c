/*
 * xs-tcp ESP32 HAL, native side: moves whole Ethernet frames between the ESP-IDF drivers and the
 * XS machine that runs the stack (hal/esp32/ethhal.js declares the class, hal/esp32/hal.ts wraps it).
 *
 * Receive: the driver's callback (Wi-Fi task or Ethernet task) copies each frame into a bounded ring
 * of fixed slots and posts AT MOST ONE message to the XS task until that message is delivered (the
 * `posted` flag): Moddable's message queue is short and modMessagePostToMachine blocks when it is
 * full, so one message per frame could stall the Wi-Fi task. A full ring drops the frame and counts
 * it (TCP recovers; the count is visible as `dropped`). The XS side drains the ring with receive().
 *
 *   Wi-Fi station (xstcp_wifi.c): esp_wifi_internal_reg_rxcb(WIFI_IF_STA, ...) takes the station's
 *   frames from the IDF network interface after every association (lwIP stops receiving on it), and
 *   the station re-joins its access point with backoff after a loss; esp_wifi_internal_tx sends.
 *   Ethernet (xstcp_eth.c): the HAL installs and starts the driver the manifest's xstcp.eth defines
 *   name (internal EMAC + PHY, or SPI W5500); esp_eth_update_input_path + esp_eth_transmit.
 *
 * Transmit: send() passes a pointer into the pool ArrayBuffer straight to the driver, which copies
 * the frame before returning (esp_wifi_internal_tx, esp_eth_transmit); chains are gathered first.
 *
 * The ring is single-producer (one driver task) single-consumer (the XS task): free-running head and
 * tail counters with acquire/release ordering, no lock; the ESP32's two cores see them consistently.
 */

#include "xsmc.h"
#include "xsHost.h"
#include "mc.xs.h"
#include "mc.defines.h"

#include <string.h>
#include <stdlib.h>

#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "esp_err.h"
#include "esp_event.h"
#include "esp_heap_caps.h"
#include "esp_wifi.h"
#include "esp_private/wifi.h"
#include "xstcp_wifi.h"
#include "xstcp_eth.h"
#include "esp_random.h"

#if defined(__has_include)
	#if __has_include("esp_netif.h")
		#include "esp_netif.h"
		#define kHaveEspNetif (1)
	#endif
#endif
#ifndef kHaveEspNetif
	#define kHaveEspNetif (0)
#endif

/* frames the ring holds; each slot is kFrameMax bytes of internal RAM */
#ifndef MODDEF_XSTCP_RXSLOTS
	#define MODDEF_XSTCP_RXSLOTS (8)
#endif

/* MTU 1500 + Ethernet header 14 + one VLAN tag 4 */
#define kFrameMax (1518)
#define kFrameMin (14)

typedef struct {
	xsMachine *the;
	xsSlot obj;
	uint8_t useEth;
	volatile uint8_t linkUp;
	uint32_t posted;
	uint32_t head;
	uint32_t tail;
	uint32_t dropped;
	uint16_t lengths[MODDEF_XSTCP_RXSLOTS];
	uint8_t *frames;
	uint8_t *tx;
#if XSTCP_HAVE_ETH
	esp_eth_handle_t eth;
#endif
} EthHalRecord, *EthHal;

/* the Wi-Fi receive callback carries no context: one EthHal at a time */
static EthHal gEthHal = NULL;

static void ethhalDeliver(void *the, void *refcon, uint8_t *message, uint16_t messageLength);

/* Posts the XS task unless a post is already pending (coalescing). */
static void ethhalNotify(EthHal hal)
{
	if (0 == __atomic_exchange_n(&hal->posted, 1, __ATOMIC_ACQ_REL)) {
		if (0 != modMessagePostToMachine(hal->the, NULL, 0, ethhalDeliver, hal))
			__atomic_store_n(&hal->posted, 0, __ATOMIC_RELEASE);	/* not queued: let the next frame try */
	}
}

/* Producer: runs in the driver's task. */
static void ethhalQueue(EthHal hal, const uint8_t *data, uint32_t length)
{
	uint32_t head, tail, slot;

	if ((length < kFrameMin) || (length > kFrameMax)) {
		__atomic_add_fetch(&hal->dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	head = __atomic_load_n(&hal->head, __ATOMIC_RELAXED);
	tail = __atomic_load_n(&hal->tail, __ATOMIC_ACQUIRE);
	if ((head - tail) >= MODDEF_XSTCP_RXSLOTS) {
		__atomic_add_fetch(&hal->dropped, 1, __ATOMIC_RELAXED);
		ethhalNotify(hal);
		return;
	}
	slot = head % MODDEF_XSTCP_RXSLOTS;
	memcpy(hal->frames + (slot * kFrameMax), data, length);
	hal->lengths[slot] = (uint16_t)length;
	__atomic_store_n(&hal->head, head + 1, __ATOMIC_RELEASE);
	ethhalNotify(hal);
}

/* Wi-Fi station receive (esp_private/wifi.h: wifi_rxcb_t); `eb` must go back to the driver. */
static esp_err_t ethhalWiFiInput(void *buffer, uint16_t length, void *eb)
{
	EthHal hal = gEthHal;
	if (hal && buffer)
		ethhalQueue(hal, (const uint8_t *)buffer, length);
	if (eb)
		esp_wifi_internal_free_rx_buffer(eb);
	return ESP_OK;
}

/* After close: the station's frames are dropped until the next association, when the IDF's netif
   takes its receive path back. */
static esp_err_t ethhalWiFiDrop(void *buffer, uint16_t length, void *eb)
{
	(void)buffer;
	(void)length;
	if (eb)
		esp_wifi_internal_free_rx_buffer(eb);
	return ESP_OK;
}

/* Link changes from xstcp_wifi.c (event loop task) */
static void ethhalWiFiLink(void *context, int up)
{
	EthHal hal = (EthHal)context;
	hal->linkUp = up ? 1 : 0;
	ethhalNotify(hal);
}

#if XSTCP_HAVE_ETH
/* Ethernet receive: the buffer is the callee's to free (esp_eth.h, stack_input). */
static esp_err_t ethhalEthInput(esp_eth_handle_t eth, uint8_t *buffer, uint32_t length, void *priv)
{
	EthHal hal = gEthHal;
	(void)eth;
	if (hal && (hal == (EthHal)priv))
		ethhalQueue(hal, buffer, length);
	free(buffer);
	return ESP_OK;
}

static esp_err_t ethhalEthDrop(esp_eth_handle_t eth, uint8_t *buffer, uint32_t length, void *priv)
{
	(void)eth;
	(void)length;
	(void)priv;
	free(buffer);
	return ESP_OK;
}

static void ethhalEthEvent(void *arg, esp_event_base_t base, int32_t id, void *data)
{
	EthHal hal = (EthHal)arg;
	(void)base;
	if (data && (*(esp_eth_handle_t *)data != hal->eth))
		return;
	if (ETHERNET_EVENT_CONNECTED == id)
		hal->linkUp = 1;
	else if ((ETHERNET_EVENT_DISCONNECTED == id) || (ETHERNET_EVENT_STOP == id))
		hal->linkUp = 0;
	else
		return;
	ethhalNotify(hal);
}
#endif

/* Consumer side, in the XS task: one call of the instance's onReady per posted message. */
static void ethhalDeliver(void *the, void *refcon, uint8_t *message, uint16_t messageLength)
{
	EthHal hal = gEthHal;
	(void)the;
	(void)message;
	(void)messageLength;
	if ((NULL == hal) || (hal != (EthHal)refcon))
		return;		/* closed after the message was posted */
	/* clear first: frames queued while JS drains post a new message instead of being stranded */
	__atomic_store_n(&hal->posted, 0, __ATOMIC_RELEASE);

	xsBeginHost(hal->the);
	xsmcVars(1);
	xsmcGet(xsVar(0), hal->obj, xsID_onReady);
	if (xsmcIsCallable(xsVar(0)))
		xsCallFunction0(xsVar(0), hal->obj);
	xsEndHost(hal->the);
}

static void ethhalStop(EthHal hal)
{
	if (hal->useEth) {
#if XSTCP_HAVE_ETH
		esp_event_handler_unregister(ETH_EVENT, ESP_EVENT_ANY_ID, ethhalEthEvent);
		esp_eth_update_input_path(hal->eth, ethhalEthDrop, NULL);
#endif
	}
	else
		xstcp_wifi_close(ethhalWiFiDrop);
	if (gEthHal == hal)
		gEthHal = NULL;
	/* a receive callback on the other core may still be copying into the ring */
	vTaskDelay(pdMS_TO_TICKS(10));
}

static void ethhalFree(EthHal hal)
{
	if (hal->frames)
		heap_caps_free(hal->frames);
	if (hal->tx)
		c_free(hal->tx);
	c_free(hal);
}

void xs_ethhal_destructor(void *data)
{
	EthHal hal = (EthHal)data;
	if (hal) {
		ethhalStop(hal);
		ethhalFree(hal);
	}
}

void xs_ethhal_constructor(xsMachine *the)
{
	EthHal hal;
	uint8_t useEth = 0;

	if (gEthHal)
		xsUnknownError("EthHal already open");

	xsmcVars(1);
	if ((xsmcArgc > 0) && (xsReferenceType == xsmcTypeOf(xsArg(0))) && xsmcHas(xsArg(0), xsID_interface)) {
		xsmcGet(xsVar(0), xsArg(0), xsID_interface);
		if (xsStringType == xsmcTypeOf(xsVar(0))) {
			const char *name = xsmcToString(xsVar(0));
			if (0 == c_strcmp(name, "eth"))
				useEth = 1;
			else if (0 != c_strcmp(name, "sta"))
				xsRangeError("interface must be \"sta\" or \"eth\"");
		}
	}
#if !XSTCP_HAVE_ETH
	if (useEth)
		xsRangeError("built without Ethernet: set defines xstcp.eth.chip (manifests/README.md)");
#else
	esp_eth_handle_t eth = NULL;
	if (useEth) {
		/* installs and starts the driver on first use; later opens get the same handle */
		esp_err_t err = xstcp_eth_start(&eth);
		if (ESP_OK != err)
			xsUnknownError("Ethernet driver start failed: %s", esp_err_to_name(err));
	}
#endif

	hal = c_calloc(1, sizeof(EthHalRecord));
	if (!hal)
		xsUnknownError("no memory");
	hal->frames = heap_caps_malloc(MODDEF_XSTCP_RXSLOTS * kFrameMax, MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT);
	hal->tx = c_malloc(kFrameMax);
	if (!hal->frames || !hal->tx) {
		ethhalFree(hal);
		xsUnknownError("no memory");
	}
	hal->the = the;
	hal->useEth = useEth;
	xsmcSetHostData(xsThis, hal);
	hal->obj = xsThis;
	xsRemember(hal->obj);
	gEthHal = hal;

	if (useEth) {
#if XSTCP_HAVE_ETH
		hal->eth = eth;
		hal->linkUp = xstcp_eth_link_up() ? 1 : 0;	/* ETHERNET_EVENT_CONNECTED / _DISCONNECTED update it */
		esp_event_handler_register(ETH_EVENT, ESP_EVENT_ANY_ID, ethhalEthEvent, hal);
		esp_eth_update_input_path(hal->eth, ethhalEthInput, hal);
#endif
	}
	else {
		xstcp_wifi_config_t config = {
			.input = ethhalWiFiInput,
			.link = ethhalWiFiLink,
			.context = hal,
			.reconnect = MODDEF_XSTCP_WIFI_RECONNECT,
		};
		int up = 0;
		esp_err_t err;
#if kHaveEspNetif
		/* the IDF's DHCP client would keep broadcasting from lwIP, and its replies now come to us */
		esp_netif_t *netif = esp_netif_get_handle_from_ifkey("WIFI_STA_DEF");
		if (netif)
			esp_netif_dhcpc_stop(netif);
#endif
		err = xstcp_wifi_open(&config, &up);
		if (ESP_OK != err) {
			gEthHal = NULL;
			xsForget(hal->obj);
			xsmcSetHostData(xsThis, NULL);
			ethhalFree(hal);
			xsUnknownError("Wi-Fi station take-over failed (is Wi-Fi started?): %s", esp_err_to_name(err));
		}
		hal->linkUp = (uint8_t)up;
	}
}

void xs_ethhal_close(xsMachine *the)
{
	EthHal hal = xsmcGetHostData(xsThis);
	if (!hal)
		return;
	ethhalStop(hal);
	xsForget(hal->obj);
	xsmcSetHostData(xsThis, NULL);
	ethhalFree(hal);
}

static int ethhalTransmit(EthHal hal, uint8_t *data, uint32_t length)
{
	if (!hal->linkUp)
		return 0;
#if XSTCP_HAVE_ETH
	if (hal->useEth)
		return ESP_OK == esp_eth_transmit(hal->eth, data, length);
#endif
	return ESP_OK == esp_wifi_internal_tx(WIFI_IF_STA, data, (uint16_t)length);
}

/* send(buffer, offset, length): one frame straight from pool memory; false when refused */
void xs_ethhal_send(xsMachine *the)
{
	EthHal hal = xsmcGetHostData(xsThis);
	void *data;
	xsUnsignedValue count;
	xsIntegerValue offset = xsmcToInteger(xsArg(1));
	xsIntegerValue length = xsmcToInteger(xsArg(2));

	xsmcGetBufferReadable(xsArg(0), &data, &count);
	if (!hal || (offset < 0) || (length < kFrameMin) || (length > kFrameMax) || ((xsUnsignedValue)(offset + length) > count)) {
		xsmcSetFalse(xsResult);
		return;
	}
	xsmcSetBoolean(xsResult, ethhalTransmit(hal, (uint8_t *)data + offset, (uint32_t)length));
}

/* gather(buffer, offset, length, position): part of a chained frame into the transmit buffer */
void xs_ethhal_gather(xsMachine *the)
{
	EthHal hal = xsmcGetHostData(xsThis);
	void *data;
	xsUnsignedValue count;
	xsIntegerValue offset = xsmcToInteger(xsArg(1));
	xsIntegerValue length = xsmcToInteger(xsArg(2));
	xsIntegerValue position = xsmcToInteger(xsArg(3));

	xsmcGetBufferReadable(xsArg(0), &data, &count);
	if (!hal || (offset < 0) || (length < 0) || (position < 0) || ((xsUnsignedValue)(offset + length) > count) || ((position + length) > kFrameMax)) {
		xsmcSetFalse(xsResult);
		return;
	}
	memcpy(hal->tx + position, (uint8_t *)data + offset, length);
	xsmcSetTrue(xsResult);
}

void xs_ethhal_send_gathered(xsMachine *the)
{
	EthHal hal = xsmcGetHostData(xsThis);
	xsIntegerValue length = xsmcToInteger(xsArg(0));
	if (!hal || (length < kFrameMin) || (length > kFrameMax)) {
		xsmcSetFalse(xsResult);
		return;
	}
	xsmcSetBoolean(xsResult, ethhalTransmit(hal, hal->tx, (uint32_t)length));
}

/* receive(buffer, offset): the oldest queued frame into buffer[offset..]; its length, or 0 */
void xs_ethhal_receive(xsMachine *the)
{
	EthHal hal = xsmcGetHostData(xsThis);
	void *data;
	xsUnsignedValue count;
	xsIntegerValue offset = xsmcToInteger(xsArg(1));
	xsIntegerValue result = 0;

	xsmcGetBufferWritable(xsArg(0), &data, &count);
	if (hal && (offset >= 0)) {
		uint32_t tail = __atomic_load_n(&hal->tail, __ATOMIC_RELAXED);
		uint32_t head = __atomic_load_n(&hal->head, __ATOMIC_ACQUIRE);
		while (head != tail) {
			uint32_t slot = tail % MODDEF_XSTCP_RXSLOTS;
			uint32_t length = hal->lengths[slot];
			tail += 1;
			if ((xsUnsignedValue)offset + length <= count) {
				memcpy((uint8_t *)data + offset, hal->frames + (slot * kFrameMax), length);
				result = (xsIntegerValue)length;
				break;
			}
			__atomic_add_fetch(&hal->dropped, 1, __ATOMIC_RELAXED);	/* caller's buffer too small */
		}
		__atomic_store_n(&hal->tail, tail, __ATOMIC_RELEASE);
	}
	xsmcSetInteger(xsResult, result);
}

/* getMAC(buffer): the interface's address into buffer[0..5] */
void xs_ethhal_get_mac(xsMachine *the)
{
	EthHal hal = xsmcGetHostData(xsThis);
	void *data;
	xsUnsignedValue count;
	uint8_t mac[6] = {0};

	xsmcGetBufferWritable(xsArg(0), &data, &count);
	if (count < 6)
		xsRangeError("MAC buffer needs 6 bytes");
	if (hal) {
#if XSTCP_HAVE_ETH
		if (hal->useEth)
			esp_eth_ioctl(hal->eth, ETH_CMD_G_MAC_ADDR, mac);
		else
#endif
			esp_wifi_get_mac(WIFI_IF_STA, mac);
	}
	memcpy(data, mac, 6);
}

void xs_ethhal_get_link_up(xsMachine *the)
{
	EthHal hal = xsmcGetHostData(xsThis);
	xsmcSetBoolean(xsResult, hal && hal->linkUp);
}

void xs_ethhal_get_dropped(xsMachine *the)
{
	EthHal hal = xsmcGetHostData(xsThis);
	xsmcSetNumber(xsResult, hal ? (double)__atomic_load_n(&hal->dropped, __ATOMIC_RELAXED) : 0);
}

/* random(): 32 bits from the hardware RNG (unsigned, as a Number) */
void xs_ethhal_random(xsMachine *the)
{
	xsmcSetNumber(xsResult, (double)esp_random());
}
