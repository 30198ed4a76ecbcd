/* Host stand-in for ESP-IDF's esp_err.h: only what hal/esp32/xstcp_wifi.c uses (test/esp32). */
#ifndef STUB_ESP_ERR_H
#define STUB_ESP_ERR_H
#include <stdint.h>
typedef int esp_err_t;
#define ESP_OK 0
#define ESP_FAIL -1
#define ESP_ERR_NO_MEM 0x101
#define ESP_ERR_INVALID_ARG 0x102
#define ESP_ERR_INVALID_STATE 0x103
#define ESP_ERR_TIMEOUT 0x107
#endif
