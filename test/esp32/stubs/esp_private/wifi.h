/* Host stand-in for ESP-IDF's esp_private/wifi.h (test/esp32): the station receive callback. */
#ifndef STUB_ESP_PRIVATE_WIFI_H
#define STUB_ESP_PRIVATE_WIFI_H
#include <stdint.h>
#include "esp_err.h"
#include "esp_wifi.h"
typedef esp_err_t (*wifi_rxcb_t)(void *buffer, uint16_t len, void *eb);
esp_err_t esp_wifi_internal_reg_rxcb(wifi_interface_t ifx, wifi_rxcb_t fn);
#endif
