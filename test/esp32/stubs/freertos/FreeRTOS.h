/* Host stand-in for FreeRTOS.h (test/esp32). */
#ifndef STUB_FREERTOS_H
#define STUB_FREERTOS_H
#include <stdint.h>
#define pdMS_TO_TICKS(ms) ((uint32_t)(ms))
#endif
