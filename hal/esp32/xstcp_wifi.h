/*
 * xs-tcp ESP32 HAL: the Wi-Fi station's side of the link (xstcp_wifi.c).
 *
 * Keeps the station's received frames on xs-tcp's callback after every (re)association, and
 * re-joins the access point with a randomized exponential backoff after the link is lost.
 * Moddable's `wifi` module (or the application) performs the first join; this file takes over once
 * the station has been associated while the HAL is open.
 *
 * No XS here: modEthHal.c passes its receive callback and a link-change callback.
 */
#ifndef XSTCP_WIFI_H
#define XSTCP_WIFI_H

#include <stdint.h>
#include "esp_err.h"
#include "esp_event.h"
#include "esp_wifi.h"
#include "esp_private/wifi.h"

/* Re-join delays: the n-th attempt after a loss waits a random time in [d/2, d] where
   d = min(max_ms, min_ms * 2^n); a successful association starts again from min_ms. */
#ifndef MODDEF_XSTCP_WIFI_RECONNECT
	#define MODDEF_XSTCP_WIFI_RECONNECT (1)
#endif
#ifndef MODDEF_XSTCP_WIFI_BACKOFF_MIN
	#define MODDEF_XSTCP_WIFI_BACKOFF_MIN (1000)
#endif
#ifndef MODDEF_XSTCP_WIFI_BACKOFF_MAX
	#define MODDEF_XSTCP_WIFI_BACKOFF_MAX (30000)
#endif

/* Our own event base: one event, posted to the default loop after each association (see the .c). */
ESP_EVENT_DECLARE_BASE(XSTCP_WIFI_EVENT);
enum {
	XSTCP_WIFI_EVENT_CLAIM_RX = 0,
};

/* Called from the event loop task (or the esp_timer task) when the link goes up or down. */
typedef void (*xstcp_wifi_link_fn)(void *context, int up);

typedef struct {
	wifi_rxcb_t input;			/* receives the station's frames while open */
	xstcp_wifi_link_fn link;	/* link up / down */
	void *context;				/* passed to link */
	uint8_t reconnect;			/* re-join after a loss (default MODDEF_XSTCP_WIFI_RECONNECT) */
	uint32_t backoffMinMs;		/* first re-join delay bound, ms (0: MODDEF_XSTCP_WIFI_BACKOFF_MIN) */
	uint32_t backoffMaxMs;		/* largest re-join delay bound, ms (0: MODDEF_XSTCP_WIFI_BACKOFF_MAX) */
} xstcp_wifi_config_t;

/* Takes the station's receive path and registers the event handlers. One station at a time.
   *linkUp tells whether the station is associated now. */
esp_err_t xstcp_wifi_open(const xstcp_wifi_config_t *config, int *linkUp);

/* Stops re-joining, unregisters the handlers and hands the receive path to `drop` (which must free
   each buffer) until the IDF's netif takes it back at the next association. */
void xstcp_wifi_close(wifi_rxcb_t drop);

/* Re-join attempts made since the last association (diagnostics). */
uint32_t xstcp_wifi_attempts(void);

#endif
