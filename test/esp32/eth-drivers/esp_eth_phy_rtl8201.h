/* Host stand-in for the ESP Component Registry's espressif/rtl8201 header (test/esp32). */
#pragma once
#include "esp_eth.h"
esp_eth_phy_t *esp_eth_phy_new_rtl8201(const eth_phy_config_t *config);
