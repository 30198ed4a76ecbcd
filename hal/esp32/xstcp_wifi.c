/*
 * xs-tcp ESP32 HAL: the Wi-Fi station's link (see xstcp_wifi.h).
 *
 * Receive path. On every WIFI_EVENT_STA_CONNECTED the IDF's default station handler
 * (wifi_default_action_sta_connected, esp_wifi/src/wifi_default.c) registers the netif's receive
 * function as the station's callback again, so xs-tcp must take it back after that handler has run.
 * Registering our callback in our own STA_CONNECTED handler is not enough: esp_event (esp_event.c)
 * keeps handlers in base nodes, runs a base node's ESP_EVENT_ANY_ID handlers before its id-specific
 * ones, and appends an id-specific handler to the LAST base node of its base. Which runs first
 * therefore depends on registration history: when the IDF's default handlers are registered (again)
 * after ours, for example by esp_netif_create_default_wifi_sta() once more after a Wi-Fi deinit,
 * they join the base node holding our ANY_ID handler and run after it.
 *
 * What does not depend on that history: the loop task takes one posted event from its queue, runs
 * every handler matching it, and only then takes the next (esp_event_loop_run). An event we post
 * while STA_CONNECTED is being dispatched is queued behind it, so its handler runs after every
 * STA_CONNECTED handler, whatever their order. Our STA_CONNECTED handler takes the receive path at
 * once (right when we run last) and posts XSTCP_WIFI_EVENT_CLAIM_RX, whose handler takes it again
 * (right in every order). If the queue is full, an esp_timer retries the post every 10 ms: a post
 * made at any time after STA_CONNECTED was taken from the queue is still dispatched after it.
 *
 * Re-joining. Moddable's wifi module retries only before the first association (it zeroes its
 * retry count on STA_CONNECTED). Here, once the station has been associated while open, each
 * WIFI_EVENT_STA_DISCONNECTED arms a one-shot esp_timer with a randomized exponential backoff (so a
 * room of boards does not re-join in step after an access point restarts); it calls
 * esp_wifi_connect() with the configuration the driver holds. A failed attempt ends in another
 * STA_DISCONNECTED, which arms the next, longer delay. No re-join after a local leave
 * (WIFI_REASON_ASSOC_LEAVE: the application called esp_wifi_disconnect), after STA_STOP, or when
 * the station configuration has no SSID any more (Moddable clears it on WiFi.disconnect()).
 */
#include "xstcp_wifi.h"

#include <string.h>
#include "esp_timer.h"
#include "esp_random.h"

ESP_EVENT_DEFINE_BASE(XSTCP_WIFI_EVENT);

/* retry period of a claim post that found the event queue full, microseconds */
#define kClaimRetryUs (10 * 1000)

typedef struct {
	xstcp_wifi_config_t config;
	uint8_t open;
	uint8_t associated;		/* associated since open: losses are re-joined */
	uint32_t attempts;
	esp_timer_handle_t rejoin;
	esp_timer_handle_t claimRetry;
} WiFiLinkRecord;

static WiFiLinkRecord gLink;

static void wifiClaimRx(void)
{
	if (gLink.open)
		esp_wifi_internal_reg_rxcb(WIFI_IF_STA, gLink.config.input);
}

static void wifiPostClaim(void)
{
	if (ESP_OK != esp_event_post(XSTCP_WIFI_EVENT, XSTCP_WIFI_EVENT_CLAIM_RX, NULL, 0, 0)) {
		esp_timer_stop(gLink.claimRetry);
		esp_timer_start_once(gLink.claimRetry, kClaimRetryUs);
	}
}

static void wifiClaimRetry(void *arg)
{
	(void)arg;
	if (gLink.open)
		wifiPostClaim();
}

static uint32_t wifiBackoffMs(uint32_t attempt)
{
	uint32_t lo = gLink.config.backoffMinMs, hi = gLink.config.backoffMaxMs;
	uint32_t d = lo;
	while (attempt-- && (d < hi))
		d = (d > (hi / 2)) ? hi : (d * 2);
	if (d > hi)
		d = hi;
	/* uniform in [d/2, d] */
	return (d / 2) + (esp_random() % ((d - (d / 2)) + 1));
}

static void wifiScheduleRejoin(void)
{
	uint32_t ms = wifiBackoffMs(gLink.attempts);
	gLink.attempts += 1;
	esp_timer_stop(gLink.rejoin);
	esp_timer_start_once(gLink.rejoin, (uint64_t)ms * 1000);
}

static int wifiHasSsid(void)
{
	wifi_config_t config;
	memset(&config, 0, sizeof(config));
	return (ESP_OK == esp_wifi_get_config(WIFI_IF_STA, &config)) && (0 != config.sta.ssid[0]);
}

/* esp_timer task */
static void wifiRejoin(void *arg)
{
	(void)arg;
	if (!gLink.open || !gLink.associated || !wifiHasSsid())
		return;
	if (ESP_OK != esp_wifi_connect())
		wifiScheduleRejoin();	/* refused (e.g. the driver is busy): try again later */
	/* otherwise STA_CONNECTED or STA_DISCONNECTED follows */
}

/* event loop task */
static void wifiEvent(void *arg, esp_event_base_t base, int32_t id, void *data)
{
	(void)arg;
	(void)base;
	if (!gLink.open)
		return;
	if (WIFI_EVENT_STA_CONNECTED == id) {
		wifiClaimRx();
		wifiPostClaim();
		gLink.associated = 1;
		gLink.attempts = 0;
		esp_timer_stop(gLink.rejoin);
		gLink.config.link(gLink.config.context, 1);
	}
	else if (WIFI_EVENT_STA_DISCONNECTED == id) {
		uint8_t reason = data ? ((wifi_event_sta_disconnected_t *)data)->reason : 0;
		if (WIFI_REASON_ASSOC_LEAVE == reason)
			gLink.associated = 0;	/* left on purpose: the application decides what comes next */
		if (gLink.config.reconnect && gLink.associated)
			wifiScheduleRejoin();
		gLink.config.link(gLink.config.context, 0);
	}
	else if (WIFI_EVENT_STA_STOP == id) {
		gLink.associated = 0;
		esp_timer_stop(gLink.rejoin);
		gLink.config.link(gLink.config.context, 0);
	}
}

/* event loop task, after every handler of the STA_CONNECTED that posted it */
static void wifiClaimEvent(void *arg, esp_event_base_t base, int32_t id, void *data)
{
	(void)arg;
	(void)base;
	(void)data;
	if (XSTCP_WIFI_EVENT_CLAIM_RX == id)
		wifiClaimRx();
}

static void wifiDeleteTimers(void)
{
	if (gLink.rejoin) {
		esp_timer_stop(gLink.rejoin);
		esp_timer_delete(gLink.rejoin);
	}
	if (gLink.claimRetry) {
		esp_timer_stop(gLink.claimRetry);
		esp_timer_delete(gLink.claimRetry);
	}
	gLink.rejoin = NULL;
	gLink.claimRetry = NULL;
}

esp_err_t xstcp_wifi_open(const xstcp_wifi_config_t *config, int *linkUp)
{
	esp_timer_create_args_t rejoin = { .callback = wifiRejoin, .name = "xstcp-rejoin" };
	esp_timer_create_args_t claim = { .callback = wifiClaimRetry, .name = "xstcp-claim" };
	wifi_ap_record_t ap;
	esp_err_t err;

	if (gLink.open || !config || !config->input || !config->link)
		return ESP_ERR_INVALID_STATE;
	memset(&gLink, 0, sizeof(gLink));
	gLink.config = *config;
	if (0 == gLink.config.backoffMinMs)
		gLink.config.backoffMinMs = MODDEF_XSTCP_WIFI_BACKOFF_MIN;
	if (0 == gLink.config.backoffMaxMs)
		gLink.config.backoffMaxMs = MODDEF_XSTCP_WIFI_BACKOFF_MAX;
	if (gLink.config.backoffMaxMs < gLink.config.backoffMinMs)
		gLink.config.backoffMaxMs = gLink.config.backoffMinMs;

	err = esp_timer_create(&rejoin, &gLink.rejoin);
	if (ESP_OK == err)
		err = esp_timer_create(&claim, &gLink.claimRetry);
	if (ESP_OK != err) {
		wifiDeleteTimers();
		return err;
	}

	gLink.associated = (ESP_OK == esp_wifi_sta_get_ap_info(&ap)) ? 1 : 0;
	gLink.open = 1;
	err = esp_event_handler_register(WIFI_EVENT, ESP_EVENT_ANY_ID, wifiEvent, NULL);
	if (ESP_OK == err)
		err = esp_event_handler_register(XSTCP_WIFI_EVENT, XSTCP_WIFI_EVENT_CLAIM_RX, wifiClaimEvent, NULL);
	if (ESP_OK == err)
		err = esp_wifi_internal_reg_rxcb(WIFI_IF_STA, gLink.config.input);
	if (ESP_OK != err) {
		gLink.open = 0;
		esp_event_handler_unregister(XSTCP_WIFI_EVENT, XSTCP_WIFI_EVENT_CLAIM_RX, wifiClaimEvent);
		esp_event_handler_unregister(WIFI_EVENT, ESP_EVENT_ANY_ID, wifiEvent);
		wifiDeleteTimers();
		return err;
	}
	if (linkUp)
		*linkUp = gLink.associated;
	return ESP_OK;
}

void xstcp_wifi_close(wifi_rxcb_t drop)
{
	if (!gLink.open)
		return;
	gLink.open = 0;
	esp_event_handler_unregister(XSTCP_WIFI_EVENT, XSTCP_WIFI_EVENT_CLAIM_RX, wifiClaimEvent);
	esp_event_handler_unregister(WIFI_EVENT, ESP_EVENT_ANY_ID, wifiEvent);
	wifiDeleteTimers();
	esp_wifi_internal_reg_rxcb(WIFI_IF_STA, drop);
}

uint32_t xstcp_wifi_attempts(void)
{
	return gLink.attempts;
}
