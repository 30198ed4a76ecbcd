/* Host stand-in (test/esp32): the EMAC declarations live in the stand-in esp_eth.h. */
#include "esp_eth.h"
