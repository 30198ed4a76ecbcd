/* Host stand-in for FreeRTOS's task.h (test/esp32): delays are logged, not waited. */
#ifndef STUB_FREERTOS_TASK_H
#define STUB_FREERTOS_TASK_H
#include <stdint.h>
void vTaskDelay(uint32_t ticks);
#endif
