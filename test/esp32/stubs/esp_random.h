/* Host stand-in for ESP-IDF's esp_random.h (test/esp32): a scripted sequence. */
#ifndef STUB_ESP_RANDOM_H
#define STUB_ESP_RANDOM_H
#include <stdint.h>
uint32_t esp_random(void);
#endif
