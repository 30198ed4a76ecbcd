/*
 * xs-tcp ESP32 HAL: installs and starts the Ethernet driver the manifest's defines describe
 * (see xstcp_eth.h and manifests/README.md), following the steps of ESP-IDF's Ethernet examples:
 * MAC and PHY instances, esp_eth_driver_install, the MAC address, esp_eth_start. The driver stays
 * installed for the rest of the run: closing the HAL only takes the receive path away.
 */
#include "xstcp_eth.h"

#if XSTCP_HAVE_ETH

#include <string.h>
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "driver/gpio.h"
#include "esp_event.h"
#include "esp_mac.h"

/* defaults: the ESP32's EMAC pins from ETH_ESP32_EMAC_DEFAULT_CONFIG, no PHY reset pin, the PHY
   address found by scanning, a 50 MHz RMII clock coming in on GPIO0 */
#ifndef MODDEF_XSTCP_ETH_PHY_ADDR
	#define MODDEF_XSTCP_ETH_PHY_ADDR (-1)
#endif
#ifndef MODDEF_XSTCP_ETH_PHY_RESET
	#define MODDEF_XSTCP_ETH_PHY_RESET (-1)
#endif
/* a GPIO driven high before the driver starts (PHY or oscillator power on some boards), -1: none */
#ifndef MODDEF_XSTCP_ETH_POWER
	#define MODDEF_XSTCP_ETH_POWER (-1)
#endif

#if XSTCP_ETH_IS_EMAC
	#ifndef MODDEF_XSTCP_ETH_MDC
		#define MODDEF_XSTCP_ETH_MDC (23)
	#endif
	#ifndef MODDEF_XSTCP_ETH_MDIO
		#define MODDEF_XSTCP_ETH_MDIO (18)
	#endif
	#ifndef MODDEF_XSTCP_ETH_CLOCK_MODE
		#define MODDEF_XSTCP_ETH_CLOCK_MODE EMAC_CLK_EXT_IN
	#endif
	#ifndef MODDEF_XSTCP_ETH_CLOCK_GPIO
		#define MODDEF_XSTCP_ETH_CLOCK_GPIO (0)
	#endif
	#if !CONFIG_ETH_USE_ESP32_EMAC
		#error "the internal EMAC needs CONFIG_ETH_USE_ESP32_EMAC (an ESP32 or ESP32-P4 target)"
	#endif
	#include "esp_eth_mac_esp.h"
	/* the chip's own driver when its component is on the include path, else IEEE 802.3 generic */
	#if (MODDEF_XSTCP_ETH_CHIP == XSTCP_ETH_LAN87XX) && __has_include("esp_eth_phy_lan87xx.h")
		#include "esp_eth_phy_lan87xx.h"
		#define xstcpNewPhy esp_eth_phy_new_lan87xx
	#elif (MODDEF_XSTCP_ETH_CHIP == XSTCP_ETH_IP101) && __has_include("esp_eth_phy_ip101.h")
		#include "esp_eth_phy_ip101.h"
		#define xstcpNewPhy esp_eth_phy_new_ip101
	#elif (MODDEF_XSTCP_ETH_CHIP == XSTCP_ETH_RTL8201) && __has_include("esp_eth_phy_rtl8201.h")
		#include "esp_eth_phy_rtl8201.h"
		#define xstcpNewPhy esp_eth_phy_new_rtl8201
	#elif (MODDEF_XSTCP_ETH_CHIP == XSTCP_ETH_DP83848) && __has_include("esp_eth_phy_dp83848.h")
		#include "esp_eth_phy_dp83848.h"
		#define xstcpNewPhy esp_eth_phy_new_dp83848
	#else
		#define xstcpNewPhy esp_eth_phy_new_generic
	#endif
#elif MODDEF_XSTCP_ETH_CHIP == XSTCP_ETH_W5500
	#ifndef MODDEF_XSTCP_ETH_SPI_HOST
		#define MODDEF_XSTCP_ETH_SPI_HOST SPI2_HOST
	#endif
	#ifndef MODDEF_XSTCP_ETH_SPI_SCLK
		#define MODDEF_XSTCP_ETH_SPI_SCLK (18)
	#endif
	#ifndef MODDEF_XSTCP_ETH_SPI_MOSI
		#define MODDEF_XSTCP_ETH_SPI_MOSI (23)
	#endif
	#ifndef MODDEF_XSTCP_ETH_SPI_MISO
		#define MODDEF_XSTCP_ETH_SPI_MISO (19)
	#endif
	#ifndef MODDEF_XSTCP_ETH_SPI_CS
		#define MODDEF_XSTCP_ETH_SPI_CS (5)
	#endif
	/* -1: no interrupt line, poll the chip every poll_ms */
	#ifndef MODDEF_XSTCP_ETH_SPI_INT
		#define MODDEF_XSTCP_ETH_SPI_INT (4)
	#endif
	#ifndef MODDEF_XSTCP_ETH_SPI_POLL_MS
		#define MODDEF_XSTCP_ETH_SPI_POLL_MS (10)
	#endif
	#ifndef MODDEF_XSTCP_ETH_SPI_HZ
		#define MODDEF_XSTCP_ETH_SPI_HZ (20000000)
	#endif
	#if !CONFIG_ETH_USE_SPI_ETHERNET
		#error "the W5500 needs CONFIG_ETH_USE_SPI_ETHERNET"
	#endif
	#if !__has_include("esp_eth_mac_w5500.h")
		#error "the W5500 driver is the component espressif/w5500: add it as a dependency (manifests/esp32-eth-w5500)"
	#endif
	#include "driver/spi_master.h"
	#include "esp_eth_mac_w5500.h"
	#include "esp_eth_phy_w5500.h"
#endif

static esp_eth_handle_t gHandle = NULL;
static volatile int gLinkUp = 0;

static void ethLinkEvent(void *arg, esp_event_base_t base, int32_t id, void *data)
{
	(void)arg;
	(void)base;
	if (!data || (*(esp_eth_handle_t *)data != gHandle))
		return;
	if (ETHERNET_EVENT_CONNECTED == id)
		gLinkUp = 1;
	else if ((ETHERNET_EVENT_DISCONNECTED == id) || (ETHERNET_EVENT_STOP == id))
		gLinkUp = 0;
}

int xstcp_eth_link_up(void)
{
	return gLinkUp;
}

void xstcp_eth_set_handle(esp_eth_handle_t handle)
{
	gHandle = handle;
}

#if MODDEF_XSTCP_ETH_CHIP == XSTCP_ETH_EXTERNAL

esp_err_t xstcp_eth_start(esp_eth_handle_t *handle)
{
	static uint8_t registered = 0;
	esp_err_t err;
	if (!gHandle)
		return ESP_ERR_INVALID_STATE;	/* the application has not called xstcp_eth_set_handle() */
	if (!registered) {
		err = esp_event_handler_register(ETH_EVENT, ESP_EVENT_ANY_ID, ethLinkEvent, NULL);
		if (ESP_OK != err)
			return err;
		registered = 1;
		gLinkUp = 1;	/* started by the application; ETHERNET_EVENT_DISCONNECTED corrects this */
	}
	*handle = gHandle;
	return ESP_OK;
}

#else

static esp_err_t ethNewDriver(esp_eth_mac_t **mac, esp_eth_phy_t **phy)
{
	eth_mac_config_t macConfig = ETH_MAC_DEFAULT_CONFIG();
	eth_phy_config_t phyConfig = ETH_PHY_DEFAULT_CONFIG();
	phyConfig.phy_addr = MODDEF_XSTCP_ETH_PHY_ADDR;
	phyConfig.reset_gpio_num = MODDEF_XSTCP_ETH_PHY_RESET;

#if XSTCP_ETH_IS_EMAC
	eth_esp32_emac_config_t emacConfig = ETH_ESP32_EMAC_DEFAULT_CONFIG();
	emacConfig.smi_gpio.mdc_num = MODDEF_XSTCP_ETH_MDC;
	emacConfig.smi_gpio.mdio_num = MODDEF_XSTCP_ETH_MDIO;
	emacConfig.clock_config.rmii.clock_mode = MODDEF_XSTCP_ETH_CLOCK_MODE;
	emacConfig.clock_config.rmii.clock_gpio = MODDEF_XSTCP_ETH_CLOCK_GPIO;
	*mac = esp_eth_mac_new_esp32(&emacConfig, &macConfig);
	*phy = xstcpNewPhy(&phyConfig);
#else
	spi_bus_config_t bus = {
		.mosi_io_num = MODDEF_XSTCP_ETH_SPI_MOSI,
		.miso_io_num = MODDEF_XSTCP_ETH_SPI_MISO,
		.sclk_io_num = MODDEF_XSTCP_ETH_SPI_SCLK,
		.quadwp_io_num = -1,
		.quadhd_io_num = -1,
	};
	spi_device_interface_config_t device = {
		.mode = 0,
		.clock_speed_hz = MODDEF_XSTCP_ETH_SPI_HZ,
		.spics_io_num = MODDEF_XSTCP_ETH_SPI_CS,
		.queue_size = 20,
	};
	eth_w5500_config_t w5500 = ETH_W5500_DEFAULT_CONFIG(MODDEF_XSTCP_ETH_SPI_HOST, &device);
	esp_err_t err;

	/* already installed by something else (a shared bus, another driver's ISR service): fine */
	if (MODDEF_XSTCP_ETH_SPI_INT >= 0) {
		err = gpio_install_isr_service(0);
		if ((ESP_OK != err) && (ESP_ERR_INVALID_STATE != err))
			return err;
	}
	err = spi_bus_initialize(MODDEF_XSTCP_ETH_SPI_HOST, &bus, SPI_DMA_CH_AUTO);
	if ((ESP_OK != err) && (ESP_ERR_INVALID_STATE != err))
		return err;
#if __has_include("wiznet_mac_common.h")
	/* espressif/w5500 2.x: the settings shared by WIZnet chips moved into .base */
	w5500.base.int_gpio_num = MODDEF_XSTCP_ETH_SPI_INT;
	w5500.base.poll_period_ms = (MODDEF_XSTCP_ETH_SPI_INT >= 0) ? 0 : MODDEF_XSTCP_ETH_SPI_POLL_MS;
#else
	w5500.int_gpio_num = MODDEF_XSTCP_ETH_SPI_INT;
	w5500.poll_period_ms = (MODDEF_XSTCP_ETH_SPI_INT >= 0) ? 0 : MODDEF_XSTCP_ETH_SPI_POLL_MS;
#endif
	*mac = esp_eth_mac_new_w5500(&w5500, &macConfig);
	*phy = esp_eth_phy_new_w5500(&phyConfig);
#endif
	return (*mac && *phy) ? ESP_OK : ESP_FAIL;
}

esp_err_t xstcp_eth_start(esp_eth_handle_t *handle)
{
	esp_eth_mac_t *mac = NULL;
	esp_eth_phy_t *phy = NULL;
	esp_eth_handle_t eth = NULL;
	esp_err_t err;

	if (gHandle) {
		*handle = gHandle;
		return ESP_OK;
	}
	/* ETH_EVENT goes to the default loop; Moddable creates it only with its network modules */
	err = esp_event_loop_create_default();
	if ((ESP_OK != err) && (ESP_ERR_INVALID_STATE != err))
		return err;

	if (MODDEF_XSTCP_ETH_POWER >= 0) {
		err = gpio_reset_pin(MODDEF_XSTCP_ETH_POWER);
		if (ESP_OK == err)
			err = gpio_set_direction(MODDEF_XSTCP_ETH_POWER, GPIO_MODE_OUTPUT);
		if (ESP_OK == err)
			err = gpio_set_level(MODDEF_XSTCP_ETH_POWER, 1);
		if (ESP_OK != err)
			return err;
		vTaskDelay(pdMS_TO_TICKS(10));	/* let the PHY / oscillator come up before the MAC resets */
	}
	err = ethNewDriver(&mac, &phy);
	if (ESP_OK == err) {
		esp_eth_config_t config = ETH_DEFAULT_CONFIG(mac, phy);
		err = esp_eth_driver_install(&config, &eth);
	}
#if MODDEF_XSTCP_ETH_CHIP == XSTCP_ETH_W5500
	if (ESP_OK == err) {
		/* the W5500 has no address of its own: the one the ESP32's eFuse reserves for Ethernet */
		uint8_t address[6];
		err = esp_read_mac(address, ESP_MAC_ETH);
		if (ESP_OK == err)
			err = esp_eth_ioctl(eth, ETH_CMD_S_MAC_ADDR, address);
	}
#endif
	if (ESP_OK == err) {
		gHandle = eth;
		err = esp_event_handler_register(ETH_EVENT, ESP_EVENT_ANY_ID, ethLinkEvent, NULL);
	}
	if (ESP_OK == err)
		err = esp_eth_start(eth);
	if (ESP_OK != err) {
		if (gHandle)
			esp_event_handler_unregister(ETH_EVENT, ESP_EVENT_ANY_ID, ethLinkEvent);
		gHandle = NULL;
		if (eth)
			esp_eth_driver_uninstall(eth);
		if (mac)
			mac->del(mac);
		if (phy)
			phy->del(phy);
		return err;
	}
	*handle = eth;
	return ESP_OK;
}

#endif /* MODDEF_XSTCP_ETH_CHIP == XSTCP_ETH_EXTERNAL */

#endif /* XSTCP_HAVE_ETH */
