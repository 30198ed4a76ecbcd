/* The test's view of stubs/eth_stubs.c (test/esp32). */
#ifndef STUB_ETH_STUBS_H
#define STUB_ETH_STUBS_H
#include <stdarg.h>
#include "idf_stubs.h"
#include "esp_eth.h"
#include "esp_mac.h"
#include "driver/gpio.h"
#include "driver/spi_master.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

typedef struct {
	char calls[2048];			/* the calls made, in order */
	const char *fail;			/* a call to fail: "esp32", "w5500", a PHY kind, "install", "start" */
	int installed;				/* drivers installed minus uninstalled */
	int isrServiceInstalled;	/* gpio_install_isr_service reports it was already installed */
	int spiBusInitialized;		/* spi_bus_initialize reports the bus was already initialized */
} EthLog;

extern EthLog ethlog;
void ethlog_add(const char *format, ...);
esp_eth_handle_t stub_eth_handle(void);
#endif
