/*
 * Host stand-ins for the ESP-IDF calls hal/esp32/xstcp_wifi.c makes, for test/esp32/wifi_link_test.c.
 *
 * The default event loop is modelled on ESP-IDF v6's components/esp_event/esp_event.c (one loop
 * node: nothing here registers loop-level handlers):
 *   - handlers live in "base nodes"; a base node holds ANY_ID handlers and "id nodes";
 *   - dispatching one event walks the base nodes in list order and, in each node of the event's
 *     base, runs its ANY_ID handlers and then the handlers of the matching id node;
 *   - an id-specific handler joins the LAST base node of its base (a new one at the end if none);
 *   - an ANY_ID handler joins that node too, unless it already has id nodes, or the list's last
 *     node is of another base and has id nodes: then a new base node is appended;
 *   - registering the same function again in the same list only replaces its argument;
 *   - unregistering removes the handler, an emptied id node, and an emptied base node;
 *   - posts are queued (FIFO, bounded); the loop task takes one, runs all its handlers, then the
 *     next, so a post made while an event is dispatched runs after all of that event's handlers.
 * Timers do not run by themselves: the test fires them (stub_timer_fire).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "idf_stubs.h"

ESP_EVENT_DEFINE_BASE(WIFI_EVENT);

#define kMaxHandlers 8
#define kMaxIds 8
#define kMaxNodes 16
#define kQueueSize 8

typedef struct { esp_event_handler_t fn; void *arg; } Handler;
typedef struct { Handler h[kMaxHandlers]; int n; } HandlerList;
typedef struct { int32_t id; HandlerList handlers; } IdNode;
typedef struct { esp_event_base_t base; HandlerList any; IdNode ids[kMaxIds]; int nids; } BaseNode;
typedef struct { esp_event_base_t base; int32_t id; uint8_t data[64]; size_t size; } Post;

static BaseNode gNodes[kMaxNodes];
static int gNodeCount;
static Post gQueue[kQueueSize];
static int gQueueHead, gQueueCount;

StubState stub;

static void fail(const char *what)
{
	fprintf(stderr, "stub: %s\n", what);
	exit(99);
}

static esp_err_t listAdd(HandlerList *list, esp_event_handler_t fn, void *arg)
{
	for (int i = 0; i < list->n; i++) {
		if (list->h[i].fn == fn) {
			list->h[i].arg = arg;
			return ESP_OK;
		}
	}
	if (list->n == kMaxHandlers)
		fail("too many handlers");
	list->h[list->n].fn = fn;
	list->h[list->n].arg = arg;
	list->n += 1;
	return ESP_OK;
}

static int listRemove(HandlerList *list, esp_event_handler_t fn)
{
	for (int i = 0; i < list->n; i++) {
		if (list->h[i].fn == fn) {
			memmove(&list->h[i], &list->h[i + 1], (list->n - i - 1) * sizeof(Handler));
			list->n -= 1;
			return 1;
		}
	}
	return 0;
}

static BaseNode *appendNode(esp_event_base_t base)
{
	if (gNodeCount == kMaxNodes)
		fail("too many base nodes");
	BaseNode *node = &gNodes[gNodeCount++];
	memset(node, 0, sizeof(*node));
	node->base = base;
	return node;
}

static void removeNode(int index)
{
	memmove(&gNodes[index], &gNodes[index + 1], (gNodeCount - index - 1) * sizeof(BaseNode));
	gNodeCount -= 1;
}

esp_err_t esp_event_handler_register(esp_event_base_t base, int32_t id, esp_event_handler_t fn, void *arg)
{
	BaseNode *node = NULL, *last = gNodeCount ? &gNodes[gNodeCount - 1] : NULL;
	for (int i = 0; i < gNodeCount; i++) {
		if (gNodes[i].base == base)
			node = &gNodes[i];
	}
	if (!node || ((ESP_EVENT_ANY_ID == id) && node->nids) ||
			((ESP_EVENT_ANY_ID == id) && (last->base != base) && last->nids))
		node = appendNode(base);
	if (ESP_EVENT_ANY_ID == id)
		return listAdd(&node->any, fn, arg);
	for (int i = 0; i < node->nids; i++) {
		if (node->ids[i].id == id)
			return listAdd(&node->ids[i].handlers, fn, arg);
	}
	if (node->nids == kMaxIds)
		fail("too many id nodes");
	memset(&node->ids[node->nids], 0, sizeof(IdNode));
	node->ids[node->nids].id = id;
	node->nids += 1;
	return listAdd(&node->ids[node->nids - 1].handlers, fn, arg);
}

esp_err_t esp_event_handler_unregister(esp_event_base_t base, int32_t id, esp_event_handler_t fn)
{
	for (int i = 0; i < gNodeCount; i++) {
		BaseNode *node = &gNodes[i];
		int removed = 0;
		if (node->base != base)
			continue;
		if (ESP_EVENT_ANY_ID == id)
			removed = listRemove(&node->any, fn);
		else {
			for (int j = 0; j < node->nids; j++) {
				if ((node->ids[j].id == id) && listRemove(&node->ids[j].handlers, fn)) {
					if (0 == node->ids[j].handlers.n) {
						memmove(&node->ids[j], &node->ids[j + 1], (node->nids - j - 1) * sizeof(IdNode));
						node->nids -= 1;
					}
					removed = 1;
					break;
				}
			}
		}
		if (removed) {
			if ((0 == node->any.n) && (0 == node->nids))
				removeNode(i);
			return ESP_OK;
		}
	}
	return ESP_ERR_INVALID_STATE;
}

esp_err_t esp_event_post(esp_event_base_t base, int32_t id, const void *data, size_t size, TickType_t ticks)
{
	(void)ticks;
	stub.posts += 1;
	if ((gQueueCount == kQueueSize) || (stub.refusePosts > 0)) {
		if (stub.refusePosts > 0)
			stub.refusePosts -= 1;
		return ESP_ERR_TIMEOUT;
	}
	if (size > sizeof(gQueue[0].data))
		fail("event data too large");
	Post *post = &gQueue[(gQueueHead + gQueueCount) % kQueueSize];
	post->base = base;
	post->id = id;
	post->size = size;
	if (size)
		memcpy(post->data, data, size);
	gQueueCount += 1;
	return ESP_OK;
}

static void dispatch(const Post *post)
{
	/* the lists may change while handlers run; walk a copy of what was registered at the start */
	static BaseNode snapshot[kMaxNodes];
	int count = gNodeCount;
	memcpy(snapshot, gNodes, sizeof(gNodes));
	void *data = post->size ? (void *)post->data : NULL;
	for (int i = 0; i < count; i++) {
		BaseNode *node = &snapshot[i];
		if (node->base != post->base)
			continue;
		for (int k = 0; k < node->any.n; k++)
			node->any.h[k].fn(node->any.h[k].arg, post->base, post->id, data);
		for (int j = 0; j < node->nids; j++) {
			if (node->ids[j].id == post->id) {
				for (int k = 0; k < node->ids[j].handlers.n; k++)
					node->ids[j].handlers.h[k].fn(node->ids[j].handlers.h[k].arg, post->base, post->id, data);
				break;
			}
		}
	}
}

esp_err_t esp_event_loop_create_default(void)
{
	if (stub.loopCreated)
		return ESP_ERR_INVALID_STATE;
	stub.loopCreated = 1;
	return ESP_OK;
}

void stub_loop_run(void)
{
	while (gQueueCount) {
		Post post = gQueue[gQueueHead];
		gQueueHead = (gQueueHead + 1) % kQueueSize;
		gQueueCount -= 1;
		dispatch(&post);
	}
}

int stub_handler_count(void)
{
	int n = 0;
	for (int i = 0; i < gNodeCount; i++) {
		n += gNodes[i].any.n;
		for (int j = 0; j < gNodes[i].nids; j++)
			n += gNodes[i].ids[j].handlers.n;
	}
	return n;
}

void stub_reset(void)
{
	memset(&stub, 0, sizeof(stub));
	gNodeCount = 0;
	gQueueHead = gQueueCount = 0;
	strcpy((char *)stub.config.sta.ssid, "home");
}

/* Wi-Fi */
esp_err_t esp_wifi_internal_reg_rxcb(wifi_interface_t ifx, wifi_rxcb_t fn)
{
	if (WIFI_IF_STA != ifx)
		fail("rxcb for another interface");
	stub.rxcb = fn;
	stub.rxcbRegistrations += 1;
	return ESP_OK;
}

esp_err_t esp_wifi_connect(void)
{
	stub.connects += 1;
	return stub.connectResult;
}

esp_err_t esp_wifi_get_config(wifi_interface_t interface, wifi_config_t *conf)
{
	(void)interface;
	*conf = stub.config;
	return ESP_OK;
}

esp_err_t esp_wifi_sta_get_ap_info(wifi_ap_record_t *ap_info)
{
	memset(ap_info, 0, sizeof(*ap_info));
	return stub.associated ? ESP_OK : ESP_FAIL;
}

uint32_t esp_random(void)
{
	return stub.random;
}

/* esp_timer */
struct esp_timer { int index; };
static struct esp_timer gTimerHandles[kMaxTimers];

esp_err_t esp_timer_create(const esp_timer_create_args_t *args, esp_timer_handle_t *out)
{
	for (int i = 0; i < kMaxTimers; i++) {
		if (!stub.timers[i].used) {
			memset(&stub.timers[i], 0, sizeof(StubTimer));
			stub.timers[i].used = 1;
			stub.timers[i].callback = args->callback;
			stub.timers[i].arg = args->arg;
			stub.timers[i].name = args->name;
			gTimerHandles[i].index = i;
			*out = &gTimerHandles[i];
			return ESP_OK;
		}
	}
	return ESP_ERR_NO_MEM;
}

static StubTimer *timerOf(esp_timer_handle_t timer)
{
	if (!timer || !stub.timers[timer->index].used)
		fail("bad timer handle");
	return &stub.timers[timer->index];
}

esp_err_t esp_timer_start_once(esp_timer_handle_t timer, uint64_t timeout_us)
{
	StubTimer *t = timerOf(timer);
	if (t->armed)
		return ESP_ERR_INVALID_STATE;
	t->armed = 1;
	t->timeoutUs = timeout_us;
	return ESP_OK;
}

esp_err_t esp_timer_stop(esp_timer_handle_t timer)
{
	StubTimer *t = timerOf(timer);
	if (!t->armed)
		return ESP_ERR_INVALID_STATE;
	t->armed = 0;
	return ESP_OK;
}

esp_err_t esp_timer_delete(esp_timer_handle_t timer)
{
	StubTimer *t = timerOf(timer);
	if (t->armed)
		return ESP_ERR_INVALID_STATE;
	t->used = 0;
	return ESP_OK;
}

StubTimer *stub_timer_named(const char *name)
{
	for (int i = 0; i < kMaxTimers; i++) {
		if (stub.timers[i].used && stub.timers[i].name && (0 == strcmp(stub.timers[i].name, name)))
			return &stub.timers[i];
	}
	return NULL;
}

void stub_timer_fire(StubTimer *t)
{
	if (!t || !t->armed)
		fail("firing a timer that is not armed");
	t->armed = 0;
	t->callback(t->arg);
}
