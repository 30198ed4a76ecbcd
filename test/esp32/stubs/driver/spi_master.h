/* Host stand-in for ESP-IDF's driver/spi_master.h (test/esp32). */
#ifndef STUB_DRIVER_SPI_MASTER_H
#define STUB_DRIVER_SPI_MASTER_H
#include <stdint.h>
#include "esp_err.h"
typedef enum { SPI1_HOST = 0, SPI2_HOST = 1, SPI3_HOST = 2 } spi_host_device_t;
typedef enum { SPI_DMA_DISABLED = 0, SPI_DMA_CH_AUTO = 3 } spi_dma_chan_t;
typedef struct { int mosi_io_num; int miso_io_num; int sclk_io_num; int quadwp_io_num; int quadhd_io_num; } spi_bus_config_t;
typedef struct { uint8_t mode; int clock_speed_hz; int spics_io_num; int queue_size; } spi_device_interface_config_t;
esp_err_t spi_bus_initialize(spi_host_device_t host_id, const spi_bus_config_t *bus_config, spi_dma_chan_t dma_chan);
#endif
