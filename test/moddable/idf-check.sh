#!/usr/bin/env bash
# hal/esp32/*.c and hal/xs/*.c (the C the ESP32 HAL shares with hal/lin) compiled with -fsyntax-only -Wall -Wextra -Werror against the ESP-IDF headers
# ($IDF_PATH, v6.0.x) and the headers mcconfig and xsl generated for manifests/esp32 (mc.defines.h,
# mc.xs.h). Called by test/moddable/run.sh with the generated build directory as $1.
#
# Compiler: xtensa-esp32-elf-gcc (the IDF's) when on PATH, else Debian's xtensa-lx106-elf-gcc
# (apt-get install gcc-xtensa-lx106) as a stand-in: same architecture family, enough for syntax and
# warnings. Header stand-in: test/esp32/idf/sdkconfig.h (shared with npm run check:esp32; idf.py generates the real one).
# The include directories and defines are the generated makefile's own (C_INCLUDES, C_DEFINES).
# run.sh calls it once per manifests/esp32* build: each one's defines select its Wi-Fi/Ethernet code.
set -u -o pipefail
BUILD=$1
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CC=xtensa-esp32-elf-gcc
command -v "$CC" >/dev/null 2>&1 || CC=xtensa-lx106-elf-gcc
command -v "$CC" >/dev/null 2>&1 || { echo "no Xtensa compiler (apt-get install gcc-xtensa-lx106)"; exit 1; }
PRINT=$(mktemp -d)
trap 'rm -rf "$PRINT"' EXIT
printf 'print-%%:\n\t@echo $($*)\n' > "$PRINT/print.mk"
vars() { make -s -C "$BUILD" -f makefile -f "$PRINT/print.mk" IDF_PATH="$IDF_PATH" "print-$1"; }
INC=$(vars C_INCLUDES) || exit 1
DEF=$(vars C_DEFINES) || exit 1
# shellcheck disable=SC2086
if "$CC" -fsyntax-only -Wall -Wextra -Werror $DEF -I"$REPO/test/esp32/idf" -I"$REPO/hal/xs" $INC "$REPO"/hal/esp32/*.c "$REPO"/hal/xs/*.c; then
  echo "$CC -fsyntax-only -Wall -Wextra -Werror hal/esp32/*.c hal/xs/*.c: clean"
else
  exit 1
fi
