/*
 * xs-tcp ESP32 HAL, native side: moves whole Ethernet frames between the ESP-IDF drivers and the
 * XS machine that runs the stack (hal/esp32/ethhal.js declares the class, hal/esp32/hal.ts wraps it).
 *
 * Receive: the driver's callback (Wi-Fi task or Ethernet task) copies each frame into a bounded ring
 * of fixed slots and posts AT MOST ONE message to the XS task until that message is delivered (the
 * `posted` flag): Moddable's message queue is short and modMessagePostToMachine blocks when it is
 * full, so one message per frame could stall the Wi-Fi task. A full ring drops the frame and counts
 * it (TCP recovers; the count is visible as `dropped`). The XS side copies each frame from the ring
 * straight into the pool pbuf the stack reserved (readInto). The ring, the gather buffer and the
 * methods the Linux simulator's HAL shares are hal/xs/netdev.c's.
 *
 *   Wi-Fi station (xstcp_wifi.c): esp_wifi_internal_reg_rxcb(WIFI_IF_STA, ...) takes the station's
 *   frames from the IDF network interface after every association (lwIP stops receiving on it), and
 *   the station re-joins its access point with backoff after a loss; esp_wifi_internal_tx sends.
 *   Ethernet (xstcp_eth.c): the HAL installs and starts the driver the manifest's xstcp.eth defines
 *   name (internal EMAC + PHY, or SPI W5500); esp_eth_update_input_path + esp_eth_transmit.
 *
 * Transmit: send() passes a pointer into the pool ArrayBuffer straight to the driver, which copies
 * the frame before returning (esp_wifi_internal_tx, esp_eth_transmit); chains are gathered first.

 */

#include "xsmc.h"
#include "xsHost.h"
#include "mc.xs.h"
#include "mc.defines.h"
#include "netdev.h"

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

typedef struct {
	xstcp_netdev dev;		/* first: the instance's host data; its ring slots are internal RAM */
	uint8_t useEth;
	volatile uint8_t linkUp;
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
	if (xstcp_netdev_claim(&hal->dev)) {
		if (0 != modMessagePostToMachine(hal->dev.the, NULL, 0, ethhalDeliver, hal))
			xstcp_netdev_unclaim(&hal->dev);	/* not queued: let the next frame try */
	}
}

/* Producer: runs in the driver's task. A full ring still posts, so JS drains it. */
static void ethhalQueue(EthHal hal, const uint8_t *data, uint32_t length)
{
	xstcp_ring_put(&hal->dev, data, length);
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
	xstcp_netdev_deliver(&hal->dev);
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
	if (hal->dev.frames)
		heap_caps_free(hal->dev.frames);
	if (hal->dev.tx)
		c_free(hal->dev.tx);
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

static int ethhalTransmit(xstcp_netdev *dev, const uint8_t *data, uint32_t length)
{
	EthHal hal = (EthHal)dev;
	if (!hal->linkUp)
		return 0;
#if XSTCP_HAVE_ETH
	if (hal->useEth)
		return ESP_OK == esp_eth_transmit(hal->eth, (void *)data, length);
#endif
	return ESP_OK == esp_wifi_internal_tx(WIFI_IF_STA, (void *)data, (uint16_t)length);
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
	hal->dev.frames = heap_caps_malloc(MODDEF_XSTCP_RXSLOTS * XSTCP_FRAME_MAX, MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT);
	hal->dev.tx = c_malloc(XSTCP_FRAME_MAX);
	if (!hal->dev.frames || !hal->dev.tx) {
		ethhalFree(hal);
		xsUnknownError("no memory");
	}
	hal->dev.transmit = ethhalTransmit;
	hal->dev.the = the;
	hal->useEth = useEth;
	xsmcSetHostData(xsThis, hal);
	hal->dev.obj = xsThis;
	xsRemember(hal->dev.obj);
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
			xsForget(hal->dev.obj);
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
	xsForget(hal->dev.obj);
	xsmcSetHostData(xsThis, NULL);
	ethhalFree(hal);
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

/* random(): 32 bits from the hardware RNG (unsigned, as a Number) */
void xs_ethhal_random(xsMachine *the)
{
	xsmcSetNumber(xsResult, (double)esp_random());
}
