/*
 * Stand-in for the mc.xs.h that Moddable's xsl generates for an application (the identifiers of
 * every property name its modules use), for tools/check-esp32.mjs's syntax check of
 * hal/esp32/modEthHal.c. Only the names modEthHal.c uses; values are placeholders.
 */
#pragma once
#define xsID_interface ((xsIdentifier)-2)
#define xsID_onReady ((xsIdentifier)-3)
