#!/usr/bin/env bash
# npm run test:moddable — xs-tcp built and run with the Moddable SDK the user installed.
#
#   export MODDABLE=/path/to/moddable PATH=$MODDABLE/build/bin/lin/release:$PATH
#   npm run test:moddable                    # as root (network namespace, TAP)
#   IDF_PATH=/path/to/esp-idf npm run test:moddable   # adds the C syntax check against IDF v6
#
# 1. builds manifests/lin with mcconfig (into a private output directory, never `mcconfig -m`:
#    that target also stops every mcsim on the machine);
# 2. runs the simulator (mcsim) headless under Xvfb, with Moddable's xsbug-log capturing trace and
#    the XS instrument samples, attached to a TAP inside a network namespace of its own;
# 3. checks it with the kernel as peer: ping, a 1 MiB echo (sha256), 100 sequential daytime
#    connections, a half-closed echo, a refused port, 4 connections held open; then stops it;
# 4. prints the memory XS 17.7 reported (peak stack, slots and chunks; see manifests/README.md);
#    and checks that the lin HAL supplied the native checksum and pool memory (hal/xs);
# 4b. builds and runs test/moddable/native-lin: the native checksum against the JavaScript one on
#    random buffers (odd offsets and lengths, 0, 1, 2 bytes), pool memory as a host buffer, an echo
#    over native pool memory through the one-copy path, and the heap of one stack (slots, chunks);
# 4c. measures, one simulator run per variant: segments/s kernel -> stack and stack -> kernel with
#    the native and the JavaScript checksum, and memory with the pool in native memory and in the
#    XS heap (XS_TCP_LIN_MEASURE_MB, default 64 MiB per transfer);
# 5. builds manifests/esp32 through mcconfig, xsc and xsl (the C compile needs the ESP32 toolchain
#    and is skipped without it) and fails on any xsc/xsl warning;
# 6. runs Moddable's HTTP, MQTT, WebSocket and DNS clients and HTTP server over xs-tcp's ECMA-419
#    sockets against Debian servers (test/moddable/io419.ts: in the lin app, then on Node);
# 7. with $IDF_PATH: compiles hal/esp32/*.c with -fsyntax-only -Wall -Wextra -Werror against the
#    IDF headers and the headers mcconfig/xsl generated; and hal/lin/*.c the same way with the host
#    compiler against the lin build's headers.
#
# Without $MODDABLE it prints one line and exits 0. It is not part of `npm test`.
set -u -o pipefail

if [ -z "${MODDABLE:-}" ] || ! command -v mcconfig >/dev/null 2>&1; then
  echo "test:moddable: nothing ran: \$MODDABLE is not set or mcconfig is not on PATH (see manifests/README.md)"
  exit 0
fi

REPO=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/xs-tcp-moddable.XXXXXX)
NS="xstcp-mod-$$"
DISPLAY_NUM=$(( 300 + $$ % 400 ))
TAP=xs0
HOST_IP=10.77.0.1
APP_IP=10.77.0.2
FAILS=0
XVFB_PID=""
LOG_PID=""
SIM_PID=""

step() { printf '\n== %s\n' "$*"; }
ok() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; FAILS=$((FAILS + 1)); }
die() { printf 'FAIL  %s\n' "$*"; cleanup; exit 1; }
inns() { ip netns exec "$NS" "$@"; }

cleanup() {
  [ -n "$LOG_PID" ] && kill -INT "$LOG_PID" 2>/dev/null
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
  sleep 0.5
  ip netns del "$NS" 2>/dev/null
  rm -rf "$WORK"
}
trap 'cleanup; exit 130' INT TERM

need() { command -v "$1" >/dev/null 2>&1 || die "$1 is missing ($2)"; }
[ "$(id -u)" = 0 ] || die "needs root (network namespace and TAP)"
need Xvfb "apt-get install xvfb"
need nc "apt-get install netcat-openbsd"
need make "apt-get install make"
need node "Node.js 20 or later"
for t in xsc xsl mcsim; do need "$t" "build the SDK's Linux tools: cd \$MODDABLE/build/makefiles/lin && make"; done
XSBUG_LOG="$MODDABLE/tools/xsbug-log"
[ -d "$XSBUG_LOG/node_modules/saxophone" ] || die "xsbug-log has no node_modules: (cd \$MODDABLE/tools/xsbug-log && npm install)"

step "bundles (tsc + rollup)"
(cd "$REPO" && npx tsc -p tsconfig.json && npx rollup -c --silent \
  && npx rollup dist/test/moddable/native_check.js --format es --file build/xs-tcp-native-check.js --external xstcp-native,heapcount --silent) \
  > "$WORK/bundle.log" 2>&1 || { cat "$WORK/bundle.log"; die "bundle build"; }
ok "build/xs-tcp.js, build/xs-tcp-lin.js, build/xs-tcp-esp32.js, build/xs-tcp-native-check.js"

# mcconfig [manifest dir] [platform] [defines...] -> the generated makefile's directory
configure() {
  local dir=$1 platform=$2; shift 2
  mkdir -p "$WORK/out" && (cd "$REPO/$dir" && mcconfig -d -p "$platform" -o "$WORK/out" "$@") > "$WORK/mcconfig-$platform.log" 2>&1 \
    || { cat "$WORK/mcconfig-$platform.log" >&2; return 1; }
  find "$WORK/out/tmp" -name makefile -path "*/$platform/*/$(basename "$dir")/makefile" | head -1 | xargs dirname
}

# xsc / xsl warnings: xsl prints "### warning ..."; xsc "file.js:line: warning ..." (the C compiler's
# warnings about the SDK's own sources are not ours)
warnings() { grep -E '^### (warning|error)|\.(js|json)[:(][0-9]+.*(warning|error)' "$1"; }

step "manifests/lin: mcconfig -d -p lin tap=$TAP ip=$APP_IP/24 gcMs=250 netstatSeconds=0"
T0=$(date +%s)
LINDIR=manifests/lin
if [ -n "${XS_TCP_LIN_STACK:-}" ]; then
  # stack probe: the lin app with creation.stack overridden (mcconfig lets the including manifest win)
  LINDIR=manifests/.stack-probe
  mkdir -p "$REPO/$LINDIR"
  printf '{ "include": ["../lin/manifest.json"], "creation": { "stack": %d } }\n' "$XS_TCP_LIN_STACK" > "$REPO/$LINDIR/manifest.json"
  echo "creation.stack overridden: $XS_TCP_LIN_STACK slots"
fi
LIN=$(configure "$LINDIR" lin tap=$TAP ip=$APP_IP/24 gcMs=250 netstatSeconds=0) || die "mcconfig lin"
make -C "$LIN" -f makefile build > "$WORK/make-lin.log" 2>&1 || { grep -v '^# ' "$WORK/make-lin.log" | tail -30; die "make lin"; }
[ -n "${XS_TCP_LIN_STACK:-}" ] && rm -rf "${REPO:?}/$LINDIR"
MCSO=$(find "$WORK/out/bin" -name mc.so -path '*lin*' | head -1)
[ -f "$MCSO" ] || die "no mc.so"
if warnings "$WORK/make-lin.log" | grep -q .; then warnings "$WORK/make-lin.log"; fail "lin build warnings"; else ok "lin app built in $(( $(date +%s) - T0 )) s, no xsc/xsl warning: $MCSO"; fi

step "simulator on a TAP in network namespace $NS"
ip netns add "$NS" || die "ip netns add"
inns ip link set lo up
inns ip tuntap add dev "$TAP" mode tap || die "ip tuntap add"
inns ip addr add "$HOST_IP/24" dev "$TAP"
inns ip link set "$TAP" up
ip netns exec "$NS" Xvfb ":$DISPLAY_NUM" -nolisten tcp > "$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
sleep 1
# start_sim MC.SO LOG READY [VAR=value ...]: xsbug-log listens on 127.0.0.1:5002 inside the namespace
# (its own loopback), launches mcsim with the variables given (the lin HAL reads XS_TCP_LIN_*) and
# prints trace; the machine class adds one line per instrument sample. Waits up to $SIM_WAIT seconds
# (default 60) for READY in the trace.
start_sim() {
  local so=$1 log=$2 ready=$3; shift 3
  ( cd "$XSBUG_LOG" && exec env "$@" DISPLAY=":$DISPLAY_NUM" XSBUG_LOGMACHINE="$REPO/test/moddable/xsbug-instruments.cjs" \
    ip netns exec "$NS" node xsbug-log.js "$(command -v mcsim)" "$so" ) < /dev/null > "$log" 2>&1 &
  LOG_PID=$!
  for _ in $(seq 1 $(( ${SIM_WAIT:-60} * 2 ))); do grep -q "$ready" "$log" && break; sleep 0.5; done
  SIM_PID=$(ps -o pid= --ppid "$LOG_PID" | tr -d ' ' | head -1)
  grep -q "$ready" "$log"
}
# stop_sim: SIGINT to xsbug-log, which ends mcsim; fails when they are not gone within 5 s
stop_sim() {
  kill -INT "$LOG_PID" 2>/dev/null
  for _ in $(seq 1 20); do
    if ! kill -0 "$SIM_PID" 2>/dev/null && ! kill -0 "$LOG_PID" 2>/dev/null; then LOG_PID=""; SIM_PID=""; return 0; fi
    sleep 0.25
  done
  return 1
}
start_sim "$MCSO" "$WORK/trace.log" 'xs-tcp: ready' || { cat "$WORK/trace.log"; die "the app did not start"; }
ok "app ready (mcsim pid $SIM_PID); trace: $(grep -c . "$WORK/trace.log") lines so far"
# the HAL's defaults: checksum in C, pool in malloc'd memory (hal/xs), frames copied once by readInto
if grep -q 'xs-tcp: ready (checksum native, pool native' "$WORK/trace.log"; then ok "native checksum and pool memory in use: $(grep -o 'xs-tcp: ready.*)' "$WORK/trace.log" | head -1)"
else grep 'xs-tcp: ready' "$WORK/trace.log"; fail "the lin HAL did not supply the native checksum and pool memory"; fi

step "checks, the kernel as peer"
if inns ping -c 3 -W 2 "$APP_IP" > "$WORK/ping.log" 2>&1; then ok "ping: $(grep -o '[0-9]* received' "$WORK/ping.log")"; else cat "$WORK/ping.log"; fail "ping"; fi

head -c 1048576 /dev/urandom > "$WORK/in.bin"
if timeout 60 ip netns exec "$NS" nc -N "$APP_IP" 7 < "$WORK/in.bin" > "$WORK/out.bin"; then :; fi
A=$(sha256sum < "$WORK/in.bin" | cut -c1-64); B=$(sha256sum < "$WORK/out.bin" | cut -c1-64)
if [ "$A" = "$B" ]; then ok "1 MiB echo: sha256 $A identical"; else fail "1 MiB echo: sent $A, got $B ($(stat -c %s "$WORK/out.bin") bytes)"; fi
grep -q 'XS abort' "$WORK/trace.log" && die "XS aborted: $(grep -m1 'XS abort' "$WORK/trace.log" | sed 's/.*XS abort/XS abort/')"

good=0
for i in $(seq 1 100); do
  line=$(timeout 10 ip netns exec "$NS" nc -d "$APP_IP" 13 < /dev/null) && [ -n "$line" ] && good=$((good + 1))
done
if [ "$good" = 100 ]; then ok "100 sequential daytime connections: 100 answered (last: $(echo "$line" | tr -d '\r\n'))"; else fail "daytime: $good of 100 answered"; fi

got=$(printf 'half-close\n' | timeout 10 ip netns exec "$NS" nc -N "$APP_IP" 7)
if [ "$got" = "half-close" ]; then ok "half-close echo: our FIN first, the echo and the stack's FIN after it"; else fail "half-close echo: got '$got'"; fi

refused=$(timeout 10 ip netns exec "$NS" bash -c "exec 3<>/dev/tcp/$APP_IP/4242" 2>&1)
if echo "$refused" | grep -q 'Connection refused'; then ok "port 4242: connection refused (RST)"; else fail "port 4242: '$refused'"; fi

# 4 connections held open at once (echo busy, chargen streaming, discard fed, a second echo idle),
# then idle, so the instrument samples show the example's load with 4 open connections
inns bash -c "head -c 4194304 /dev/zero | nc -N $APP_IP 7 > /dev/null" &
E1=$!
inns bash -c "timeout 6 nc -d $APP_IP 19 > /dev/null" &
C1=$!
inns bash -c "(head -c 262144 /dev/zero; sleep 6) | nc -N $APP_IP 9 > /dev/null" &
D1=$!
inns bash -c "sleep 6 | nc -N $APP_IP 7 > /dev/null" &
E2=$!
sleep 3
OPEN=$(grep -c 'ESTABLISHED' "$WORK/trace.log")
sleep 4
wait $E1 $C1 $D1 $E2 2>/dev/null
ok "4 connections held open together (echo x2, chargen, discard); ESTABLISHED transitions traced so far: $OPEN"

if grep -q 'XS abort\|stack overflow' "$WORK/trace.log"; then grep 'XS abort\|stack overflow' "$WORK/trace.log"; fail "XS aborted"; else ok "no XS abort in the trace"; fi

step "stop"
if stop_sim; then ok "mcsim and xsbug-log exited within 5 s of the stop request"; else fail "the simulator did not stop"; fi
if inns ip tuntap del dev "$TAP" mode tap 2>/dev/null; then ok "TAP released (deleted after the app let go of it)"; else fail "TAP still held"; fi

step "memory reported by XS 17.7 (xsbug instrument samples; lin is 64-bit: 32 bytes per slot, 16 on the ESP32)"
# memory LOG: the largest and the idle figures of a trace's instrument samples
memory() {
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter((l) => l.startsWith("#instruments "));
  const rows = lines.map((l) => Object.fromEntries(l.slice(13).split(";").map((kv) => { const [k, v] = kv.split("="); return [k, parseInt(v, 10)]; })));
  const max = (k) => Math.max(...rows.map((r) => r[k] || 0));
  const s = rows.filter((r) => (r["Garbage collections"] || 0) > 0);
  const live = (k) => Math.min(...rows.slice(-3).map((r) => r[k]));
  console.log("samples " + rows.length);
  console.log("stack peak      " + max("Stack used") / 32 + " slots (" + max("Stack used") + " bytes) of " + max("Stack available") / 32);
  console.log("slots peak      " + max("Slot used") / 32 + " slots, heap grew to " + max("Slot available") / 32 + " slots");
  console.log("slots idle      " + live("Slot used") / 32 + " slots (last samples, 4 connections closed, gc every 250 ms)");
  console.log("chunks peak     " + max("Chunk used") + " bytes, chunk heap grew to " + max("Chunk available") + " bytes");
  console.log("chunks idle     " + live("Chunk used") + " bytes");
' "$1"
}
memory "$WORK/trace.log" | tee "$WORK/memory.txt"
cp "$WORK/trace.log" "${XS_TCP_TRACE_OUT:-/dev/null}" 2>/dev/null

step "native helpers in XS 17.7 (test/moddable/native-lin: checksum vs JavaScript, pool memory, one-copy echo, heap of one stack)"
CHK=$(configure test/moddable/native-lin lin) && make -C "$CHK" -f makefile build > "$WORK/make-check.log" 2>&1 \
  || { grep -v '^# ' "$WORK/make-check.log" | tail -20; die "native-lin build"; }
CHKSO=$(find "$WORK/out/bin" -name mc.so -path '*native-lin*' | head -1)
if SIM_WAIT=300 start_sim "$CHKSO" "$WORK/check.log" 'native-check: done'; then
  sed -n 's/.*\(native-check: .*\)/\1/p' "$WORK/check.log" | tr -d '\r' | sed 's/^/      /'
  if grep -q 'native-check: done, all passed' "$WORK/check.log"; then ok "native checksum = JavaScript checksum on random buffers; pool memory; one-copy echo over native pool"
  else fail "native checks (above)"; fi
else tail -20 "$WORK/check.log"; fail "the native-check app did not finish"; fi
stop_sim || fail "the native-check app did not stop"

step "lin measurements: segments/s with the JavaScript and the native checksum; memory with the pool in and out of the XS heap"
# One simulator run per variant, same build, same drive: $MB MiB from the kernel to discard (9) and
# $MB MiB from chargen (19), each timed, the kernel's own segment counters (nstat, this namespace
# only) giving the segments; then the 4-connection load of the checks above, for the memory samples.
# Segments per second of wall time depend on what else the machine runs; segments per CPU second
# of the simulator process (its utime + stime from /proc, both its threads, less what it burns
# idle) much less.
MB=${XS_TCP_LIN_MEASURE_MB:-16}
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$SIM_PID/stat"; }
inns ip tuntap add dev "$TAP" mode tap && inns ip addr add "$HOST_IP/24" dev "$TAP" && inns ip link set "$TAP" up || die "TAP for the measurements"
segs() { inns nstat -az "$1" | awk -v k="$1" '$1 == k { print $2 }'; }
# timed NAME COUNTER COMMAND: runs COMMAND in the namespace, prints "NAME: MB/s, segments/s"
timed() {
  local name=$1 counter=$2 before after t0 t1; shift 2
  before=$(segs "$counter"); c0=$(cpu); t0=$(date +%s.%N)
  timeout 600 ip netns exec "$NS" bash -c "$*" > /dev/null 2>&1
  t1=$(date +%s.%N); c1=$(cpu); after=$(segs "$counter")
  awk -v n="$name" -v b=$((MB * 1048576)) -v s=$((after - before)) -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" \
    -v idle="$IDLE" 'BEGIN { t = t1 - t0; c = c1 - c0 - idle * t; printf "%-18s %5.2f MB/s %5.0f segments/s | %5.0f segments per CPU s (%d segments, %.1f s, mcsim CPU %.1f s net of %.2f/s idle)\n", n, b / t / 1e6, s / t, s / c, s, t, c, idle }'
}
for variant in "native native" "js native" "native xs"; do
  set -- $variant
  label="checksum $1, pool $( [ "$2" = xs ] && echo 'in the XS heap' || echo native)"
  if ! start_sim "$MCSO" "$WORK/m-$1-$2.log" 'xs-tcp: ready' XS_TCP_LIN_CHECKSUM="$1" XS_TCP_LIN_POOL="$2"; then
    tail -5 "$WORK/m-$1-$2.log"; fail "$label: the app did not start"; stop_sim; continue
  fi
  inns ping -c 2 -W 2 "$APP_IP" > /dev/null 2>&1
  # what the idle simulator burns (its GTK loop, the timers, the instrument samples): subtracted
  i0=$(cpu); sleep 3; IDLE=$(awk -v a="$i0" -v b="$(cpu)" 'BEGIN { print (b - a) / 3 }')
  echo "-- $label ($(grep -o 'xs-tcp: ready.*)' "$WORK/m-$1-$2.log" | head -1))"
  timed "  kernel -> stack" TcpOutSegs "head -c $((MB * 1048576)) /dev/zero | nc -N $APP_IP 9" | tee -a "$WORK/measure.txt"
  timed "  stack -> kernel" TcpInSegs "nc -d $APP_IP 19 | head -c $((MB * 1048576))" | tee -a "$WORK/measure.txt"
  inns bash -c "head -c 4194304 /dev/zero | nc -N $APP_IP 7 > /dev/null" &
  L1=$!
  inns bash -c "timeout 6 nc -d $APP_IP 19 > /dev/null" &
  L2=$!
  inns bash -c "(head -c 262144 /dev/zero; sleep 6) | nc -N $APP_IP 9 > /dev/null" &
  L3=$!
  inns bash -c "sleep 6 | nc -N $APP_IP 7 > /dev/null" &
  L4=$!
  sleep 7; wait $L1 $L2 $L3 $L4 2>/dev/null
  memory "$WORK/m-$1-$2.log" | grep -E 'slots|chunks' | sed 's/^/  /'
  grep -q 'XS abort\|stack overflow' "$WORK/m-$1-$2.log" && fail "$label: XS aborted"
  stop_sim || fail "$label: the simulator did not stop"
done
inns ip tuntap del dev "$TAP" mode tap 2>/dev/null

step "manifests/esp32*: mcconfig -d -p esp32, then xsc and xsl"
# The generated makefile asks the IDF for its version at parse time; without an IDF, name v6.0 so
# the makefile parses, and stop at xsl's output (mc.xs.c): the C compile needs the ESP32 toolchain.
IDF_ARGS=("IDF_PATH=${IDF_PATH:-/nonexistent}")
[ -z "${IDF_PATH:-}" ] && IDF_ARGS+=("IDF_VERSION=v6.0")
ESP_BUILDS=()
for m in "$REPO"/manifests/esp32 "$REPO"/manifests/esp32-*; do
  [ -f "$m/manifest.json" ] || continue
  name=$(basename "$m")
  ESP=$(configure "manifests/$name" esp32 ssid=test ip=192.168.1.50/24) || { fail "mcconfig $name"; continue; }
  if ! make -C "$ESP" -f makefile "${IDF_ARGS[@]}" SDKCONFIG_H= "$ESP/mc.xs.c" > "$WORK/make-$name.log" 2>&1; then
    tail -30 "$WORK/make-$name.log"; fail "$name: xsc/xsl"; continue
  fi
  summary="$(grep -c '^# xsc' "$WORK/make-$name.log") modules compiled, xsl: $(grep '^### [0-9]' "$WORK/make-$name.log" | sed 's/^### //')"
  if warnings "$WORK/make-$name.log" | grep -q .; then warnings "$WORK/make-$name.log"; fail "$name: xsc/xsl warnings"; else ok "$name: xsc and xsl without a warning ($summary)"; fi
  ESP_BUILDS+=("$ESP")
done
if command -v xtensa-esp32-elf-gcc >/dev/null 2>&1 && [ -n "${IDF_PATH:-}" ]; then
  echo "(the ESP32 toolchain is present: 'make -C <build dir> -f makefile' builds the firmware)"
else
  echo "stopped before the C compile: no xtensa-esp32-elf-gcc (ESP-IDF toolchain) on PATH"
fi

step "C syntax check"
HOSTINC=(-I"$MODDABLE/xs/includes" -I"$MODDABLE/xs/platforms" -I"$MODDABLE/xs/sources" -I"$LIN")
if gcc -fsyntax-only -Wall -Wextra -Werror -DmxDebug=1 -DmxInstrument=1 -DINCLUDE_XSPLATFORM=1 -DXSPLATFORM=\"lin_xs.h\" \
    "${HOSTINC[@]}" -I"$REPO/hal/xs" $(pkg-config --cflags gio-2.0) "$REPO"/hal/lin/*.c "$REPO"/hal/xs/*.c 2> "$WORK/cc-lin.log"; then
  ok "hal/lin/*.c, hal/xs/*.c: gcc -fsyntax-only -Wall -Wextra -Werror against the lin build's headers"
else cat "$WORK/cc-lin.log"; fail "hal/lin/*.c, hal/xs/*.c"; fi
if [ -n "${IDF_PATH:-}" ]; then
  IDF_VER=$(cat "$IDF_PATH/version.txt" 2>/dev/null || sed -n 's/#define ESP_IDF_VERSION_\(MAJOR\|MINOR\|PATCH\) *//p' "$IDF_PATH/components/esp_common/include/esp_idf_version.h" | paste -sd.)
  for ESP in "${ESP_BUILDS[@]}"; do
    if out=$(bash "$REPO/test/moddable/idf-check.sh" "$ESP" 2>&1); then
      ok "$(basename "$ESP"): hal/esp32/*.c and hal/xs/*.c, -fsyntax-only -Wall -Wextra -Werror against ESP-IDF v$IDF_VER headers + its mc.defines.h/mc.xs.h ($(echo "$out" | tail -1 | awk '{print $1}'))"
    else echo "$out" | grep -E 'error|warning' | head -20; fail "$(basename "$ESP"): hal/esp32/*.c, hal/xs/*.c against the IDF headers"; fi
  done
else
  echo "IDF_PATH is not set: hal/esp32/*.c not compiled"
fi

step "ECMA-419 sockets: Moddable's network clients over xs-tcp (test/moddable/io419.ts, docs/ecma419.md)"
# the lin app test/moddable/io419-lin (the SDK's clients on XS 17.7), then the same clients' JavaScript on Node
if node "$REPO/dist/test/moddable/io419.js" --lin; then ok "ECMA-419 clients in the lin app"; else fail "ECMA-419 clients in the lin app"; fi
if node "$REPO/dist/test/moddable/io419.js"; then ok "ECMA-419 clients on Node"; else fail "ECMA-419 clients on Node"; fi

rm -rf "$WORK/out"
cleanup
printf '\n'
if [ "$FAILS" = 0 ]; then echo "test:moddable: all checks passed"; exit 0; fi
echo "test:moddable: $FAILS check(s) failed"
exit 1
