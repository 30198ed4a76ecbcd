/* Host stand-in for the ESP Component Registry's espressif/lan87xx header (test/esp32). */
#pragma once
#include "esp_eth.h"
esp_eth_phy_t *esp_eth_phy_new_lan87xx(const eth_phy_config_t *config);
