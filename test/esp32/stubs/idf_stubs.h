/* The test's view of the host stand-ins in idf_stubs.c (test/esp32). */
#ifndef STUB_IDF_STUBS_H
#define STUB_IDF_STUBS_H
#include "esp_err.h"
#include "esp_event.h"
#include "esp_wifi.h"
#include "esp_private/wifi.h"
#include "esp_timer.h"
#include "esp_random.h"

#define kMaxTimers 4

typedef struct {
	int used;
	int armed;
	uint64_t timeoutUs;
	esp_timer_cb_t callback;
	void *arg;
	const char *name;
} StubTimer;

typedef struct {
	wifi_rxcb_t rxcb;			/* the station's receive callback, last registered */
	int rxcbRegistrations;
	int connects;				/* esp_wifi_connect calls */
	esp_err_t connectResult;
	int associated;				/* esp_wifi_sta_get_ap_info succeeds */
	wifi_config_t config;		/* what esp_wifi_get_config returns */
	uint32_t random;			/* what esp_random returns */
	int posts;					/* esp_event_post calls */
	int refusePosts;			/* refuse this many posts (a full queue) */
	int loopCreated;			/* esp_event_loop_create_default was called */
	StubTimer timers[kMaxTimers];
} StubState;

extern StubState stub;

void stub_reset(void);
void stub_loop_run(void);
int stub_handler_count(void);
StubTimer *stub_timer_named(const char *name);
void stub_timer_fire(StubTimer *timer);
#endif
