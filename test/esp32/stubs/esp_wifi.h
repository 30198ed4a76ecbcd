/* Host stand-in for ESP-IDF's esp_wifi.h (test/esp32): station types and calls xstcp_wifi.c uses. */
#ifndef STUB_ESP_WIFI_H
#define STUB_ESP_WIFI_H
#include <stdint.h>
#include "esp_err.h"
#include "esp_event.h"
ESP_EVENT_DECLARE_BASE(WIFI_EVENT);
typedef enum {
	WIFI_EVENT_WIFI_READY = 0,
	WIFI_EVENT_SCAN_DONE,
	WIFI_EVENT_STA_START,
	WIFI_EVENT_STA_STOP,
	WIFI_EVENT_STA_CONNECTED,
	WIFI_EVENT_STA_DISCONNECTED,
} wifi_event_t;
typedef enum { WIFI_IF_STA = 0, WIFI_IF_AP = 1 } wifi_interface_t;
typedef enum {
	WIFI_REASON_ASSOC_LEAVE = 8,
	WIFI_REASON_BEACON_TIMEOUT = 200,
	WIFI_REASON_NO_AP_FOUND = 201,
} wifi_err_reason_t;
typedef struct {
	uint8_t ssid[32];
	uint8_t ssid_len;
	uint8_t bssid[6];
	uint8_t reason;
	int8_t rssi;
} wifi_event_sta_disconnected_t;
typedef struct { uint8_t ssid[32]; uint8_t password[64]; } wifi_sta_config_t;
typedef union { wifi_sta_config_t sta; } wifi_config_t;
typedef struct { uint8_t bssid[6]; uint8_t ssid[33]; } wifi_ap_record_t;
esp_err_t esp_wifi_connect(void);
esp_err_t esp_wifi_get_config(wifi_interface_t interface, wifi_config_t *conf);
esp_err_t esp_wifi_sta_get_ap_info(wifi_ap_record_t *ap_info);
#endif
