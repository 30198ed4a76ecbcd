/*
 * Host test of hal/esp32/xstcp_wifi.c's event logic against the stand-in event loop in
 * stubs/idf_stubs.c (modelled on ESP-IDF v6's esp_event.c). Run by test/hal/esp32-wifi.test.ts:
 *
 *   cc -std=c11 -Wall -Wextra -Werror -Itest/esp32/stubs -Ihal/esp32 hal/esp32/xstcp_wifi.c \
 *      test/esp32/stubs/idf_stubs.c test/esp32/runner.c test/esp32/wifi_link_test.c -o wifi_link_test
 *   ./wifi_link_test [scenario]
 *
 * The IDF side is played by handlers that do what ESP-IDF's and Moddable's do on the station's
 * events: wifi_default_action_sta_connected (esp_wifi/src/wifi_default.c) gives the receive path
 * back to the netif; Moddable's doWiFiEvent (modules/network/wifi/esp32/xs6wifi.c) retries only
 * before the first association. Prints one "ok"/"not ok" line per scenario; exit status 1 on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "idf_stubs.h"
#include "xstcp_wifi.h"
#include "runner.h"

ESP_EVENT_DEFINE_BASE(IP_EVENT);
#define IP_EVENT_STA_GOT_IP 0

static char gTrace[256];	/* handler run order of the last dispatch: I = IDF default, X = xs-tcp, M = Moddable */
static int gLinkUp = -1;
static int gModdableRetries;


static void traceAdd(char c)
{
	size_t n = strlen(gTrace);
	if (n + 1 < sizeof(gTrace)) {
		gTrace[n] = c;
		gTrace[n + 1] = 0;
	}
}

/* the IDF netif's receive path and ours */
static esp_err_t idfNetifReceive(void *buffer, uint16_t len, void *eb) { (void)buffer; (void)len; (void)eb; return ESP_OK; }
static esp_err_t halInput(void *buffer, uint16_t len, void *eb) { (void)buffer; (void)len; (void)eb; return ESP_OK; }
static esp_err_t halDrop(void *buffer, uint16_t len, void *eb) { (void)buffer; (void)len; (void)eb; return ESP_OK; }
static void halLink(void *context, int up) { (void)context; gLinkUp = up; traceAdd('X'); }

/* ESP-IDF's default station handlers (esp_wifi_set_default_wifi_sta_handlers) */
static void idfStaStart(void *a, esp_event_base_t b, int32_t i, void *d) { (void)a; (void)b; (void)i; (void)d; }
static void idfStaStop(void *a, esp_event_base_t b, int32_t i, void *d) { (void)a; (void)b; (void)i; (void)d; }
static void idfStaConnected(void *a, esp_event_base_t b, int32_t i, void *d)
{
	(void)a; (void)b; (void)i; (void)d;
	esp_wifi_internal_reg_rxcb(WIFI_IF_STA, idfNetifReceive);
	traceAdd('I');
}
static void idfStaDisconnected(void *a, esp_event_base_t b, int32_t i, void *d) { (void)a; (void)b; (void)i; (void)d; }
static void idfGotIp(void *a, esp_event_base_t b, int32_t i, void *d) { (void)a; (void)b; (void)i; (void)d; }

static void idfDefaultsRegister(void)
{
	esp_event_handler_register(WIFI_EVENT, WIFI_EVENT_STA_START, idfStaStart, NULL);
	esp_event_handler_register(WIFI_EVENT, WIFI_EVENT_STA_STOP, idfStaStop, NULL);
	esp_event_handler_register(WIFI_EVENT, WIFI_EVENT_STA_CONNECTED, idfStaConnected, NULL);
	esp_event_handler_register(WIFI_EVENT, WIFI_EVENT_STA_DISCONNECTED, idfStaDisconnected, NULL);
	esp_event_handler_register(IP_EVENT, IP_EVENT_STA_GOT_IP, idfGotIp, NULL);
}

static void idfDefaultsClear(void)
{
	esp_event_handler_unregister(WIFI_EVENT, WIFI_EVENT_STA_START, idfStaStart);
	esp_event_handler_unregister(WIFI_EVENT, WIFI_EVENT_STA_STOP, idfStaStop);
	esp_event_handler_unregister(WIFI_EVENT, WIFI_EVENT_STA_CONNECTED, idfStaConnected);
	esp_event_handler_unregister(WIFI_EVENT, WIFI_EVENT_STA_DISCONNECTED, idfStaDisconnected);
	esp_event_handler_unregister(IP_EVENT, IP_EVENT_STA_GOT_IP, idfGotIp);
}

/* Moddable's wifi module: retries only until the first association */
static void moddableWiFiEvent(void *a, esp_event_base_t b, int32_t id, void *d)
{
	(void)a; (void)b; (void)d;
	traceAdd('M');
	if (WIFI_EVENT_STA_CONNECTED == id)
		gModdableRetries = 0;
	else if ((WIFI_EVENT_STA_DISCONNECTED == id) && (gModdableRetries > 0)) {
		gModdableRetries -= 1;
		esp_wifi_connect();
	}
}
static void moddableIPEvent(void *a, esp_event_base_t b, int32_t i, void *d) { (void)a; (void)b; (void)i; (void)d; }

/* Moddable's initWiFi: esp_netif_create_default_wifi_sta, then its own ANY_ID handlers */
static void moddableInit(void)
{
	idfDefaultsRegister();
	esp_event_handler_register(WIFI_EVENT, ESP_EVENT_ANY_ID, moddableWiFiEvent, NULL);
	esp_event_handler_register(IP_EVENT, ESP_EVENT_ANY_ID, moddableIPEvent, NULL);
	gModdableRetries = 5;
}

/* Moddable's deinitWiFi: its handlers, then esp_netif_destroy_default_wifi clears the IDF's */
static void moddableDeinit(void)
{
	esp_event_handler_unregister(WIFI_EVENT, ESP_EVENT_ANY_ID, moddableWiFiEvent);
	esp_event_handler_unregister(IP_EVENT, ESP_EVENT_ANY_ID, moddableIPEvent);
	idfDefaultsClear();
}

static void post(int32_t id, uint8_t reason)
{
	wifi_event_sta_disconnected_t data;
	memset(&data, 0, sizeof(data));
	data.reason = reason;
	if (WIFI_EVENT_STA_DISCONNECTED == id)
		esp_event_post(WIFI_EVENT, id, &data, sizeof(data), 0);
	else
		esp_event_post(WIFI_EVENT, id, NULL, 0, 0);
}

static void run(void)
{
	gTrace[0] = 0;
	stub_loop_run();
}

/* the station joins (the first association, made by Moddable), then xs-tcp opens */
static int openAfterJoin(uint32_t minMs, uint32_t maxMs)
{
	xstcp_wifi_config_t config = { .input = halInput, .link = halLink, .context = NULL, .reconnect = 1,
		.backoffMinMs = minMs, .backoffMaxMs = maxMs };
	int up = -1;
	post(WIFI_EVENT_STA_CONNECTED, 0);
	run();
	stub.associated = 1;
	if (ESP_OK != xstcp_wifi_open(&config, &up))
		return 0;
	gLinkUp = up;
	return 1;
}

/* xs-tcp opens before the station has joined, then the IDF's default handlers are registered:
   they join the base node of our ANY_ID handler, which runs first */
static int openBeforeDefaults(void)
{
	xstcp_wifi_config_t config = { .input = halInput, .link = halLink, .context = NULL, .reconnect = 1 };
	int up = -1;
	if ((ESP_OK != xstcp_wifi_open(&config, &up)) || (0 != up))
		return 0;
	idfDefaultsRegister();
	return 1;
}

static StubTimer *rejoinTimer(void) { return stub_timer_named("xstcp-rejoin"); }
static StubTimer *claimTimer(void) { return stub_timer_named("xstcp-claim"); }

static void begin(const char *name)
{
	stub_reset();
	gScenario = name;
	gLinkUp = -1;
	gModdableRetries = 0;
}

/* Registration as on a board: IDF defaults, Moddable's handlers, then ours (all in later base
   nodes than the IDF's id-specific ones). A loss, a re-join, a new association. */
static void scenarioModdableOrder(void)
{
	begin("moddable-order");
	moddableInit();
	CHECK(openAfterJoin(1000, 30000), "open failed");
	CHECK(stub.rxcb == halInput, "open did not take the receive path");
	CHECK(gLinkUp == 1, "link not up at open");
	post(WIFI_EVENT_STA_DISCONNECTED, WIFI_REASON_BEACON_TIMEOUT);
	run();
	CHECK(gLinkUp == 0, "link still up after a disconnect");
	CHECK(rejoinTimer() && rejoinTimer()->armed, "no re-join scheduled after the loss");
	CHECK(stub.connects == 0, "re-joined without waiting");
	stub_timer_fire(rejoinTimer());
	CHECK(stub.connects == 1, "re-join timer did not call esp_wifi_connect (%d)", stub.connects);
	post(WIFI_EVENT_STA_CONNECTED, 0);
	run();
	CHECK(stub.rxcb == halInput, "receive path not ours after re-association (order %s)", gTrace);
	CHECK(gLinkUp == 1, "link not up after re-association");
	CHECK(!rejoinTimer()->armed, "re-join timer still armed while associated");
	xstcp_wifi_close(halDrop);
	printf("ok - %s (STA_CONNECTED handlers ran in order %s)\n", gScenario, gTrace);
}

/* Moddable's deinitWiFi + initWiFi while the HAL stays open: the IDF's default handlers come back
   after ours and join the base node that holds our ANY_ID handler, so they run AFTER ours. */
static void scenarioDefaultsAfterHal(void)
{
	begin("defaults-registered-after-hal");
	moddableInit();
	CHECK(openAfterJoin(1000, 30000), "open failed");
	moddableDeinit();
	moddableInit();
	post(WIFI_EVENT_STA_CONNECTED, 0);
	run();
	CHECK(NULL != strstr(gTrace, "XI"), "expected the IDF's handler to run after ours here, order %s", gTrace);
	CHECK(stub.rxcb == halInput, "receive path handed back to the IDF netif (order %s)", gTrace);
	xstcp_wifi_close(halDrop);
	printf("ok - %s (order %s)\n", gScenario, gTrace);
}

/* The HAL's ANY_ID handler registered before the IDF's id-specific one in the same base node:
   esp_event runs ANY_ID handlers first. */
static void scenarioHalBeforeDefaults(void)
{
	begin("hal-before-defaults");
	CHECK(openBeforeDefaults(), "open failed");
	post(WIFI_EVENT_STA_CONNECTED, 0);
	run();
	CHECK(0 == strcmp(gTrace, "XI"), "expected order XI, got %s", gTrace);
	CHECK(stub.rxcb == halInput, "receive path handed back to the IDF netif (order %s)", gTrace);
	xstcp_wifi_close(halDrop);
	idfDefaultsClear();
	printf("ok - %s (order %s)\n", gScenario, gTrace);
}

/* connected, lost and connected again before the loop task ran */
static void scenarioFlap(void)
{
	begin("flap");
	CHECK(openBeforeDefaults(), "open failed");
	post(WIFI_EVENT_STA_CONNECTED, 0);
	post(WIFI_EVENT_STA_DISCONNECTED, WIFI_REASON_BEACON_TIMEOUT);
	post(WIFI_EVENT_STA_CONNECTED, 0);
	run();
	CHECK(stub.rxcb == halInput, "receive path not ours after a flap (order %s)", gTrace);
	CHECK(gLinkUp == 1, "link not up after a flap");
	CHECK(!rejoinTimer()->armed, "re-join timer armed while associated");
	xstcp_wifi_close(halDrop);
	idfDefaultsClear();
	printf("ok - %s\n", gScenario);
}

/* delays grow as [d/2, d] with d = min(max, min * 2^n); an association starts again from min */
static void scenarioBackoff(void)
{
	static const uint32_t expectMax[] = { 1000, 2000, 4000, 8000, 16000, 30000, 30000 };
	begin("backoff");
	moddableInit();
	CHECK(openAfterJoin(1000, 30000), "open failed");
	for (unsigned n = 0; n < sizeof(expectMax) / sizeof(expectMax[0]); n++) {
		uint32_t d = expectMax[n];
		stub.random = (n & 1) ? 0 : 0xFFFFFFFFu;
		post(WIFI_EVENT_STA_DISCONNECTED, (n == 0) ? WIFI_REASON_BEACON_TIMEOUT : WIFI_REASON_NO_AP_FOUND);
		run();
		uint64_t ms = rejoinTimer()->timeoutUs / 1000;
		CHECK(rejoinTimer()->armed, "attempt %u not scheduled", n);
		CHECK((ms >= d / 2) && (ms <= d), "attempt %u waits %llu ms, outside [%u, %u]", n, (unsigned long long)ms, d / 2, d);
		stub_timer_fire(rejoinTimer());
		CHECK(stub.connects == (int)n + 1, "attempt %u did not call esp_wifi_connect", n);
	}
	post(WIFI_EVENT_STA_CONNECTED, 0);
	post(WIFI_EVENT_STA_DISCONNECTED, WIFI_REASON_BEACON_TIMEOUT);
	run();
	CHECK(rejoinTimer()->timeoutUs <= 1000 * 1000, "backoff not reset by the association");
	stub_timer_fire(rejoinTimer());
	xstcp_wifi_close(halDrop);
	printf("ok - %s\n", gScenario);
}

/* esp_wifi_connect refused: try again later */
static void scenarioConnectRefused(void)
{
	begin("connect-refused");
	moddableInit();
	CHECK(openAfterJoin(1000, 30000), "open failed");
	post(WIFI_EVENT_STA_DISCONNECTED, WIFI_REASON_BEACON_TIMEOUT);
	run();
	stub.connectResult = ESP_FAIL;
	stub_timer_fire(rejoinTimer());
	CHECK(rejoinTimer()->armed, "no new attempt after esp_wifi_connect failed");
	stub.connectResult = ESP_OK;
	stub_timer_fire(rejoinTimer());
	CHECK(stub.connects == 2, "connects %d", stub.connects);
	xstcp_wifi_close(halDrop);
	printf("ok - %s\n", gScenario);
}

/* the application left (esp_wifi_disconnect), stopped the station, or cleared its SSID */
static void scenarioNoRejoin(void)
{
	begin("no-rejoin-when-left-stopped-or-cleared");
	moddableInit();
	CHECK(openAfterJoin(1000, 30000), "open failed");
	post(WIFI_EVENT_STA_DISCONNECTED, WIFI_REASON_ASSOC_LEAVE);
	post(WIFI_EVENT_STA_DISCONNECTED, WIFI_REASON_NO_AP_FOUND);
	run();
	CHECK(!rejoinTimer()->armed, "re-join scheduled after a local leave");
	post(WIFI_EVENT_STA_CONNECTED, 0);
	post(WIFI_EVENT_STA_DISCONNECTED, WIFI_REASON_BEACON_TIMEOUT);
	run();
	CHECK(rejoinTimer()->armed, "no re-join after a loss");
	post(WIFI_EVENT_STA_STOP, 0);
	run();
	CHECK(!rejoinTimer()->armed, "re-join still armed after STA_STOP");
	post(WIFI_EVENT_STA_CONNECTED, 0);
	post(WIFI_EVENT_STA_DISCONNECTED, WIFI_REASON_BEACON_TIMEOUT);
	run();
	memset(stub.config.sta.ssid, 0, sizeof(stub.config.sta.ssid));
	stub_timer_fire(rejoinTimer());
	CHECK(stub.connects == 0, "connected with no SSID configured");
	xstcp_wifi_close(halDrop);
	printf("ok - %s\n", gScenario);
}

/* the claim post finds the event queue full: the retry timer posts it later */
static void scenarioQueueFull(void)
{
	begin("claim-post-queue-full");
	CHECK(openBeforeDefaults(), "open failed");
	post(WIFI_EVENT_STA_CONNECTED, 0);
	stub.refusePosts = 1;	/* the next post, our claim, finds the queue full */
	run();
	CHECK(stub.rxcb == idfNetifReceive, "setup: expected the IDF to hold the path now (order %s)", gTrace);
	CHECK(claimTimer() && claimTimer()->armed, "no retry of the refused claim post");
	stub_timer_fire(claimTimer());
	run();
	CHECK(stub.rxcb == halInput, "receive path not ours after the retried claim");
	xstcp_wifi_close(halDrop);
	idfDefaultsClear();
	printf("ok - %s\n", gScenario);
}

/* close: handlers gone, timers deleted, frames dropped; later events do nothing */
static void scenarioClose(void)
{
	begin("close");
	moddableInit();
	int before = stub_handler_count();
	CHECK(openAfterJoin(1000, 30000), "open failed");
	post(WIFI_EVENT_STA_DISCONNECTED, WIFI_REASON_BEACON_TIMEOUT);
	run();
	xstcp_wifi_close(halDrop);
	CHECK(stub.rxcb == halDrop, "receive path not handed to the drop callback");
	CHECK(stub_handler_count() == before, "handlers left registered (%d, was %d)", stub_handler_count(), before);
	CHECK(NULL == rejoinTimer() && NULL == claimTimer(), "timers not deleted");
	post(WIFI_EVENT_STA_DISCONNECTED, WIFI_REASON_BEACON_TIMEOUT);
	run();
	CHECK(stub.connects == 0, "connect after close");
	printf("ok - %s\n", gScenario);
}

static const Scenario kScenarios[] = {
	{ "moddable-order", scenarioModdableOrder },
	{ "defaults-registered-after-hal", scenarioDefaultsAfterHal },
	{ "hal-before-defaults", scenarioHalBeforeDefaults },
	{ "flap", scenarioFlap },
	{ "backoff", scenarioBackoff },
	{ "connect-refused", scenarioConnectRefused },
	{ "no-rejoin-when-left-stopped-or-cleared", scenarioNoRejoin },
	{ "claim-post-queue-full", scenarioQueueFull },
	{ "close", scenarioClose },
};

int main(int argc, char **argv)
{
	return run_scenarios(kScenarios, sizeof(kScenarios) / sizeof(kScenarios[0]), argc, argv);
}
