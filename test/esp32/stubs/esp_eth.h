/* Host stand-in for ESP-IDF v6's esp_eth.h family (test/esp32): what hal/esp32/xstcp_eth.c uses. */
#ifndef STUB_ESP_ETH_H
#define STUB_ESP_ETH_H
#include <stdint.h>
#include "esp_err.h"
#include "esp_event.h"

#define CONFIG_ETH_USE_ESP32_EMAC 1
#define CONFIG_ETH_USE_SPI_ETHERNET 1

typedef void *esp_eth_handle_t;
typedef struct esp_eth_mac_s esp_eth_mac_t;
struct esp_eth_mac_s { esp_err_t (*del)(esp_eth_mac_t *mac); const char *kind; };
typedef struct esp_eth_phy_s esp_eth_phy_t;
struct esp_eth_phy_s { esp_err_t (*del)(esp_eth_phy_t *phy); const char *kind; };

typedef struct { uint32_t sw_reset_timeout_ms; uint32_t rx_task_stack_size; uint32_t rx_task_prio; uint32_t flags; } eth_mac_config_t;
#define ETH_MAC_DEFAULT_CONFIG() { .sw_reset_timeout_ms = 100, .rx_task_stack_size = 4096, .rx_task_prio = 15, .flags = 0 }

#define ESP_ETH_PHY_ADDR_AUTO (-1)
typedef struct { int32_t phy_addr; uint32_t reset_timeout_ms; uint32_t autonego_timeout_ms; int reset_gpio_num; } eth_phy_config_t;
#define ETH_PHY_DEFAULT_CONFIG() { .phy_addr = ESP_ETH_PHY_ADDR_AUTO, .reset_timeout_ms = 100, .autonego_timeout_ms = 4000, .reset_gpio_num = 5 }

typedef enum { EMAC_CLK_EXT_IN, EMAC_CLK_OUT } emac_rmii_clock_mode_t;
typedef struct {
	struct { int mdc_num; int mdio_num; } smi_gpio;
	union { struct { emac_rmii_clock_mode_t clock_mode; int clock_gpio; } rmii; } clock_config;
} eth_esp32_emac_config_t;
#define ETH_ESP32_EMAC_DEFAULT_CONFIG() { .smi_gpio = { .mdc_num = 23, .mdio_num = 18 }, .clock_config = { .rmii = { .clock_mode = EMAC_CLK_EXT_IN, .clock_gpio = 0 } } }

typedef struct { esp_eth_mac_t *mac; esp_eth_phy_t *phy; uint32_t check_link_period_ms; } esp_eth_config_t;
#define ETH_DEFAULT_CONFIG(emac, ephy) { .mac = emac, .phy = ephy, .check_link_period_ms = 2000 }

typedef enum { ETH_CMD_G_MAC_ADDR, ETH_CMD_S_MAC_ADDR } esp_eth_io_cmd_t;
typedef enum { ETHERNET_EVENT_START, ETHERNET_EVENT_STOP, ETHERNET_EVENT_CONNECTED, ETHERNET_EVENT_DISCONNECTED } eth_event_t;
ESP_EVENT_DECLARE_BASE(ETH_EVENT);

esp_eth_mac_t *esp_eth_mac_new_esp32(const eth_esp32_emac_config_t *esp32_config, const eth_mac_config_t *config);
esp_eth_phy_t *esp_eth_phy_new_generic(const eth_phy_config_t *config);
esp_err_t esp_eth_driver_install(const esp_eth_config_t *config, esp_eth_handle_t *out_hdl);
esp_err_t esp_eth_driver_uninstall(esp_eth_handle_t hdl);
esp_err_t esp_eth_start(esp_eth_handle_t hdl);
esp_err_t esp_eth_ioctl(esp_eth_handle_t hdl, esp_eth_io_cmd_t cmd, void *data);
#endif
