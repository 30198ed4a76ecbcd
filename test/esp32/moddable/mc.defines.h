/*
 * Stand-in for the mc.defines.h that mcconfig generates from a manifest's "defines" (MODDEF_*).
 * tools/check-esp32.mjs passes each variant's defines with -D instead.
 */
#pragma once
