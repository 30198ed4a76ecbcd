/*
 * xs-tcp ESP32 HAL: the Ethernet driver, installed and started from the manifest's defines
 * (xstcp_eth.c), as ESP-IDF's Ethernet examples do. manifests/README.md documents every define;
 * manifests/esp32-eth-* are ready-made board variants.
 *
 *   defines.xstcp.eth.chip     what to drive (a bare identifier, one of the XSTCP_ETH_* below)
 *
 * Internal EMAC (RMII) with an external PHY:
 *   XSTCP_ETH_LAN87XX  LAN8710A / LAN8720A   (component espressif/lan87xx)
 *   XSTCP_ETH_IP101    IP101GR / IP101GRI    (component espressif/ip101)
 *   XSTCP_ETH_RTL8201  RTL8201F              (component espressif/rtl8201)
 *   XSTCP_ETH_DP83848  DP83848               (component espressif/dp83848)
 *   XSTCP_ETH_GENERIC  any IEEE 802.3 PHY through the IDF's generic driver (esp_eth_phy_new_generic)
 * ESP-IDF v6 keeps only the generic PHY driver; the chip drivers are components from the ESP
 * Component Registry (the variant manifests list them as dependencies). When a chip's header is not
 * on the include path, the generic driver stands in for it (basic link and speed handling only).
 *
 * SPI module:
 *   XSTCP_ETH_W5500    WIZnet W5500          (component espressif/w5500: required)
 *
 * Anything else (ENC28J60, KSZ8851SNL, a board with its own set-up code):
 *   XSTCP_ETH_EXTERNAL the application's C code installs and starts the driver and calls
 *                      xstcp_eth_set_handle() before the HAL opens with interface "eth".
 */
#ifndef XSTCP_ETH_H
#define XSTCP_ETH_H

#define XSTCP_ETH_NONE (0)
#define XSTCP_ETH_EXTERNAL (1)
#define XSTCP_ETH_GENERIC (2)
#define XSTCP_ETH_LAN87XX (3)
#define XSTCP_ETH_IP101 (4)
#define XSTCP_ETH_RTL8201 (5)
#define XSTCP_ETH_DP83848 (6)
#define XSTCP_ETH_W5500 (7)

#ifndef MODDEF_XSTCP_ETH_CHIP
	#define MODDEF_XSTCP_ETH_CHIP XSTCP_ETH_NONE
#elif !MODDEF_XSTCP_ETH_CHIP
	/* a name the preprocessor does not know evaluates to 0 */
	#error "defines.xstcp.eth.chip is not one of the XSTCP_ETH_* names in hal/esp32/xstcp_eth.h"
#endif

#define XSTCP_HAVE_ETH (MODDEF_XSTCP_ETH_CHIP != XSTCP_ETH_NONE)
#define XSTCP_ETH_IS_EMAC ((MODDEF_XSTCP_ETH_CHIP >= XSTCP_ETH_GENERIC) && (MODDEF_XSTCP_ETH_CHIP <= XSTCP_ETH_DP83848))

#if (MODDEF_XSTCP_ETH_CHIP < XSTCP_ETH_NONE) || (MODDEF_XSTCP_ETH_CHIP > XSTCP_ETH_W5500)
	#error "defines.xstcp.eth.chip must be one of the XSTCP_ETH_* names in hal/esp32/xstcp_eth.h"
#endif

#if XSTCP_HAVE_ETH
#include "esp_err.h"
#include "esp_eth.h"

/* Installs and starts the driver the defines describe, once; later calls return the same handle. */
esp_err_t xstcp_eth_start(esp_eth_handle_t *handle);

/* Whether the PHY reported link up last (ETHERNET_EVENT_CONNECTED / _DISCONNECTED). */
int xstcp_eth_link_up(void);

/* XSTCP_ETH_EXTERNAL only: the driver the application installed and started (esp_eth_start). */
void xstcp_eth_set_handle(esp_eth_handle_t handle);
#endif

#endif
