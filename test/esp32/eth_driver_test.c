/*
 * Host test of hal/esp32/xstcp_eth.c: which driver it installs for the manifest's defines, with
 * what settings, in what order, and how it cleans up, against the stand-ins in stubs/ (esp_eth,
 * GPIO, SPI) and eth-drivers/ (the registry components' headers). Built once per define set by
 * test/hal/esp32-eth.test.ts; each build runs the scenarios that apply to its chip:
 *
 *   ./eth_driver_test [scenario]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eth_stubs.h"
#include "xstcp_eth.h"
#include "runner.h"


#define CHECK_CALLS(expected) CHECK(0 == strcmp(ethlog.calls, expected), "calls\n  got      %s\n  expected %s", ethlog.calls, expected)

static void begin(const char *name)
{
	stub_reset();
	memset(&ethlog, 0, sizeof(ethlog));
	gScenario = name;
}

static void postEth(int32_t id, esp_eth_handle_t handle)
{
	esp_event_post(ETH_EVENT, id, &handle, sizeof(handle), 0);
	stub_loop_run();
}

#if XSTCP_ETH_IS_EMAC
/* the power pin comes up before the MAC is created; the pins and clock from the defines reach the
   EMAC, the PHY address and reset pin the PHY; the driver is installed, then started */
static void scenarioEmac(void)
{
	esp_eth_handle_t eth = NULL;
	begin(EXPECT_NAME);
	CHECK(ESP_OK == xstcp_eth_start(&eth), "start failed: %s", ethlog.calls);
	CHECK(eth == stub_eth_handle(), "wrong handle");
	CHECK_CALLS(EXPECT_CALLS);
	CHECK(stub.loopCreated, "default event loop not created");
	printf("ok - %s: %s\n", gScenario, ethlog.calls);
}

#endif

#if XSTCP_ETH_IS_EMAC || (MODDEF_XSTCP_ETH_CHIP == XSTCP_ETH_W5500)
/* a second open gets the same driver; nothing is installed twice */
static void scenarioOnce(void)
{
	esp_eth_handle_t a = NULL, b = NULL;
	begin("installed-once");
	CHECK(ESP_OK == xstcp_eth_start(&a), "first start failed");
	ethlog.calls[0] = 0;
	CHECK(ESP_OK == xstcp_eth_start(&b), "second start failed");
	CHECK(a == b, "a different handle the second time");
	CHECK_CALLS("");
	CHECK(1 == ethlog.installed, "installed %d times", ethlog.installed);
	printf("ok - %s\n", gScenario);
}

/* the PHY's link events for our handle, and only those, move xstcp_eth_link_up() */
static void scenarioLink(void)
{
	esp_eth_handle_t eth = NULL;
	int other = 0;
	begin("link-events");
	CHECK(ESP_OK == xstcp_eth_start(&eth), "start failed");
	CHECK(0 == xstcp_eth_link_up(), "link up before the PHY said so");
	postEth(ETHERNET_EVENT_CONNECTED, eth);
	CHECK(1 == xstcp_eth_link_up(), "link not up after ETHERNET_EVENT_CONNECTED");
	postEth(ETHERNET_EVENT_DISCONNECTED, (esp_eth_handle_t)&other);
	CHECK(1 == xstcp_eth_link_up(), "another driver's event changed our link");
	postEth(ETHERNET_EVENT_DISCONNECTED, eth);
	CHECK(0 == xstcp_eth_link_up(), "link still up after ETHERNET_EVENT_DISCONNECTED");
	postEth(ETHERNET_EVENT_CONNECTED, eth);
	postEth(ETHERNET_EVENT_STOP, eth);
	CHECK(0 == xstcp_eth_link_up(), "link still up after ETHERNET_EVENT_STOP");
	printf("ok - %s\n", gScenario);
}

/* a failed install frees the MAC and PHY; a failed start uninstalls and unregisters; the next
   open tries again from the beginning */
static void scenarioFailures(void)
{
	esp_eth_handle_t eth = NULL;
	begin("failures-clean-up");
	int handlers = stub_handler_count();
	ethlog.fail = "install";
	CHECK(ESP_FAIL == xstcp_eth_start(&eth), "install failure not reported");
	CHECK(NULL != strstr(ethlog.calls, "mac.del(") && NULL != strstr(ethlog.calls, "phy.del("), "MAC/PHY not freed: %s", ethlog.calls);
	ethlog.fail = "start";
	ethlog.calls[0] = 0;
	CHECK(ESP_FAIL == xstcp_eth_start(&eth), "start failure not reported");
	CHECK(NULL != strstr(ethlog.calls, "start uninstall mac.del("), "not cleaned up after start: %s", ethlog.calls);
	CHECK(0 == ethlog.installed, "driver left installed");
	CHECK(handlers == stub_handler_count(), "event handler left registered");
	ethlog.fail = NULL;
	CHECK(ESP_OK == xstcp_eth_start(&eth), "no retry after failures");
	printf("ok - %s\n", gScenario);
}
#endif

#if MODDEF_XSTCP_ETH_CHIP == XSTCP_ETH_W5500
/* the SPI bus from the defines, the interrupt service when there is an interrupt line (polling
   otherwise), the ESP32's Ethernet MAC address given to the chip, then start; a bus or ISR service
   someone else set up first is fine */
static void scenarioW5500(void)
{
	esp_eth_handle_t eth = NULL;
	begin(EXPECT_NAME);
	CHECK(ESP_OK == xstcp_eth_start(&eth), "start failed: %s", ethlog.calls);
	CHECK_CALLS(EXPECT_CALLS);
	printf("ok - %s: %s\n", gScenario, ethlog.calls);
}

static void scenarioSharedBus(void)
{
	esp_eth_handle_t eth = NULL;
	begin("w5500-shared-bus");
	ethlog.spiBusInitialized = 1;
	ethlog.isrServiceInstalled = 1;
	CHECK(ESP_OK == xstcp_eth_start(&eth), "an SPI bus or ISR service set up earlier made start fail: %s", ethlog.calls);
	printf("ok - %s\n", gScenario);
}
#endif

#if MODDEF_XSTCP_ETH_CHIP == XSTCP_ETH_EXTERNAL
/* the application's handle, and an error until it has given one */
static void scenarioExternal(void)
{
	esp_eth_handle_t eth = NULL;
	int token;
	begin("external-handle");
	CHECK(ESP_ERR_INVALID_STATE == xstcp_eth_start(&eth), "start without a handle did not fail");
	xstcp_eth_set_handle((esp_eth_handle_t)&token);
	CHECK(ESP_OK == xstcp_eth_start(&eth), "start with a handle failed");
	CHECK(eth == (esp_eth_handle_t)&token, "not the application's handle");
	CHECK(1 == xstcp_eth_link_up(), "an application-started driver should start with the link up");
	postEth(ETHERNET_EVENT_DISCONNECTED, eth);
	CHECK(0 == xstcp_eth_link_up(), "link still up after ETHERNET_EVENT_DISCONNECTED");
	CHECK_CALLS("");
	printf("ok - %s\n", gScenario);
}
#endif

static const Scenario kScenarios[] = {
#if XSTCP_ETH_IS_EMAC
	{ EXPECT_NAME, scenarioEmac },
#elif MODDEF_XSTCP_ETH_CHIP == XSTCP_ETH_W5500
	{ EXPECT_NAME, scenarioW5500 },
	{ "w5500-shared-bus", scenarioSharedBus },
#endif
#if XSTCP_ETH_IS_EMAC || (MODDEF_XSTCP_ETH_CHIP == XSTCP_ETH_W5500)
	{ "installed-once", scenarioOnce },
	{ "link-events", scenarioLink },
	{ "failures-clean-up", scenarioFailures },
#endif
#if MODDEF_XSTCP_ETH_CHIP == XSTCP_ETH_EXTERNAL
	{ "external-handle", scenarioExternal },
#endif
};

int main(int argc, char **argv)
{
	return run_scenarios(kScenarios, sizeof(kScenarios) / sizeof(kScenarios[0]), argc, argv);
}
