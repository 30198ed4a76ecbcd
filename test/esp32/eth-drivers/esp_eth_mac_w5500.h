/* Host stand-in for the ESP Component Registry's espressif/w5500 1.x header (test/esp32). */
#pragma once
#include "esp_eth.h"
#include "driver/spi_master.h"
typedef struct {
	int int_gpio_num;
	uint32_t poll_period_ms;
	spi_host_device_t spi_host_id;
	spi_device_interface_config_t *spi_devcfg;
} eth_w5500_config_t;
#define ETH_W5500_DEFAULT_CONFIG(spi_host, spi_devcfg_p) { .int_gpio_num = 4, .poll_period_ms = 0, .spi_host_id = spi_host, .spi_devcfg = spi_devcfg_p }
esp_eth_mac_t *esp_eth_mac_new_w5500(const eth_w5500_config_t *w5500_config, const eth_mac_config_t *mac_config);
