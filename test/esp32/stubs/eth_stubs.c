/*
 * Host stand-ins for the Ethernet, GPIO, SPI and MAC-address calls hal/esp32/xstcp_eth.c makes, for
 * test/esp32/eth_driver_test.c. Each call appends a token to `ethlog.calls` so a test can check
 * what was configured and in which order; `ethlog.fail` names one call to fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eth_stubs.h"
#include "esp_eth_mac_w5500.h"
#include "esp_eth_phy_w5500.h"
#include "esp_eth_phy_lan87xx.h"
#include "esp_eth_phy_ip101.h"
#include "esp_eth_phy_rtl8201.h"
#include "esp_eth_phy_dp83848.h"

ESP_EVENT_DEFINE_BASE(ETH_EVENT);

EthLog ethlog;

static esp_eth_mac_t gMac;
static esp_eth_phy_t gPhy;
static int gHandleToken;

void ethlog_add(const char *format, ...)
{
	char token[128];
	va_list args;
	va_start(args, format);
	vsnprintf(token, sizeof(token), format, args);
	va_end(args);
	size_t n = strlen(ethlog.calls);
	snprintf(ethlog.calls + n, sizeof(ethlog.calls) - n, "%s%s", n ? " " : "", token);
}

static int failing(const char *name)
{
	return (NULL != ethlog.fail) && (0 == strcmp(ethlog.fail, name));
}

static esp_err_t macDel(esp_eth_mac_t *mac) { ethlog_add("mac.del(%s)", mac->kind); return ESP_OK; }
static esp_err_t phyDel(esp_eth_phy_t *phy) { ethlog_add("phy.del(%s)", phy->kind); return ESP_OK; }

static esp_eth_mac_t *newMac(const char *kind)
{
	gMac.del = macDel;
	gMac.kind = kind;
	return failing(kind) ? NULL : &gMac;
}

static esp_eth_phy_t *newPhy(const char *kind, const eth_phy_config_t *config)
{
	ethlog_add("phy.%s(addr=%d,reset=%d)", kind, (int)config->phy_addr, config->reset_gpio_num);
	gPhy.del = phyDel;
	gPhy.kind = kind;
	return failing(kind) ? NULL : &gPhy;
}

esp_eth_mac_t *esp_eth_mac_new_esp32(const eth_esp32_emac_config_t *e, const eth_mac_config_t *config)
{
	(void)config;
	ethlog_add("mac.esp32(mdc=%d,mdio=%d,clock=%s:%d)", e->smi_gpio.mdc_num, e->smi_gpio.mdio_num,
		(EMAC_CLK_OUT == e->clock_config.rmii.clock_mode) ? "out" : "in", e->clock_config.rmii.clock_gpio);
	return newMac("esp32");
}

esp_eth_mac_t *esp_eth_mac_new_w5500(const eth_w5500_config_t *w, const eth_mac_config_t *config)
{
	(void)config;
	ethlog_add("mac.w5500(host=%d,cs=%d,hz=%d,int=%d,poll=%u)", (int)w->spi_host_id, w->spi_devcfg->spics_io_num,
		w->spi_devcfg->clock_speed_hz, w->int_gpio_num, (unsigned)w->poll_period_ms);
	return newMac("w5500");
}

esp_eth_phy_t *esp_eth_phy_new_generic(const eth_phy_config_t *c) { return newPhy("generic", c); }
esp_eth_phy_t *esp_eth_phy_new_lan87xx(const eth_phy_config_t *c) { return newPhy("lan87xx", c); }
esp_eth_phy_t *esp_eth_phy_new_ip101(const eth_phy_config_t *c) { return newPhy("ip101", c); }
esp_eth_phy_t *esp_eth_phy_new_rtl8201(const eth_phy_config_t *c) { return newPhy("rtl8201", c); }
esp_eth_phy_t *esp_eth_phy_new_dp83848(const eth_phy_config_t *c) { return newPhy("dp83848", c); }
esp_eth_phy_t *esp_eth_phy_new_w5500(const eth_phy_config_t *c) { return newPhy("w5500", c); }

esp_err_t esp_eth_driver_install(const esp_eth_config_t *config, esp_eth_handle_t *out)
{
	ethlog_add("install(%s,%s)", config->mac->kind, config->phy->kind);
	if (failing("install"))
		return ESP_FAIL;
	*out = &gHandleToken;
	ethlog.installed += 1;
	return ESP_OK;
}

esp_err_t esp_eth_driver_uninstall(esp_eth_handle_t hdl)
{
	(void)hdl;
	ethlog_add("uninstall");
	ethlog.installed -= 1;
	return ESP_OK;
}

esp_err_t esp_eth_start(esp_eth_handle_t hdl)
{
	(void)hdl;
	ethlog_add("start");
	return failing("start") ? ESP_FAIL : ESP_OK;
}

esp_err_t esp_eth_ioctl(esp_eth_handle_t hdl, esp_eth_io_cmd_t cmd, void *data)
{
	(void)hdl;
	if (ETH_CMD_S_MAC_ADDR == cmd) {
		const uint8_t *m = data;
		ethlog_add("set_mac(%02x:%02x:%02x:%02x:%02x:%02x)", m[0], m[1], m[2], m[3], m[4], m[5]);
	}
	return ESP_OK;
}

esp_eth_handle_t stub_eth_handle(void) { return &gHandleToken; }

esp_err_t esp_read_mac(uint8_t *mac, esp_mac_type_t type)
{
	static const uint8_t eth[6] = { 0x24, 0x0a, 0xc4, 0x00, 0x00, 0x03 };
	if (ESP_MAC_ETH != type)
		return ESP_ERR_INVALID_ARG;
	memcpy(mac, eth, 6);
	return ESP_OK;
}

esp_err_t gpio_reset_pin(gpio_num_t n) { ethlog_add("gpio_reset(%d)", n); return ESP_OK; }
esp_err_t gpio_set_direction(gpio_num_t n, gpio_mode_t mode) { ethlog_add("gpio_dir(%d,%s)", n, (GPIO_MODE_OUTPUT == mode) ? "out" : "in"); return ESP_OK; }
esp_err_t gpio_set_level(gpio_num_t n, uint32_t level) { ethlog_add("gpio_set(%d,%u)", n, (unsigned)level); return ESP_OK; }
esp_err_t gpio_install_isr_service(int flags)
{
	(void)flags;
	ethlog_add("isr_service");
	return ethlog.isrServiceInstalled ? ESP_ERR_INVALID_STATE : ESP_OK;
}

esp_err_t spi_bus_initialize(spi_host_device_t host, const spi_bus_config_t *bus, spi_dma_chan_t dma)
{
	ethlog_add("spi_bus(host=%d,sclk=%d,mosi=%d,miso=%d,dma=%s)", (int)host, bus->sclk_io_num, bus->mosi_io_num,
		bus->miso_io_num, (SPI_DMA_CH_AUTO == dma) ? "auto" : "off");
	return ethlog.spiBusInitialized ? ESP_ERR_INVALID_STATE : ESP_OK;
}

void vTaskDelay(uint32_t ticks) { ethlog_add("delay(%u)", (unsigned)ticks); }
