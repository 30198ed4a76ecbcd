/* Host stand-in for the ESP Component Registry's espressif/dp83848 header (test/esp32). */
#pragma once
#include "esp_eth.h"
esp_eth_phy_t *esp_eth_phy_new_dp83848(const eth_phy_config_t *config);
