/* Host stand-in for the ESP Component Registry's espressif/w5500 1.x header (test/esp32). */
#pragma once
#include "esp_eth.h"
esp_eth_phy_t *esp_eth_phy_new_w5500(const eth_phy_config_t *config);
