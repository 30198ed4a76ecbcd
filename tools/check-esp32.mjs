#!/usr/bin/env node
/*
 * Syntax-checks the ESP32 HAL's C files (hal/esp32) against the headers of an ESP-IDF the user
 * installed, once per manifest variant (manifests/esp32 and manifests/esp32-eth-*), with
 * -fsyntax-only -Wall -Wextra -Werror. Nothing is built or linked.
 *
 *   IDF_PATH            ESP-IDF checkout (v6). Unset: prints one line and exits 0.
 *   MODDABLE            Moddable SDK checkout: also checks modEthHal.c and hal/xs/*.c with its XS headers. The
 *                       application-generated mc.xs.h / mc.defines.h are stand-ins from
 *                       test/esp32/moddable (each variant's defines are passed with -D).
 *   XSTCP_MC_BUILDS     mcconfig's output for the variants (e.g. $OUT/tmp/esp32/debug after
 *                       `mcconfig -d -p esp32 -o $OUT` and `make mc.xs.c` in manifests/<variant>):
 *                       a variant with <dir>/<variant>/mc.defines.h and mc.xs.h is checked with
 *                       those generated headers instead of the stand-ins and -D flags.
 *   XSTCP_ETH_DRIVERS   where the ESP Component Registry's Ethernet drivers are: a checkout of
 *                       espressif/esp-eth-drivers (lan87xx/include, ...) or a project's
 *                       managed_components (espressif__lan87xx/include, ...). Unset: PHY variants
 *                       are checked with the IDF's generic PHY driver standing in, W5500 is skipped.
 *   XSTCP_SDKCONFIG     directory holding a generated sdkconfig.h (default: the stand-in in
 *                       test/esp32/idf, IDF v6 defaults for an ESP32).
 *   XSTCP_ESP32_CC      the compiler (default: the IDF's xtensa-esp32-elf-gcc when on PATH, else
 *                       Debian's xtensa-lx106-elf-gcc with picolibc-xtensa-lx106-elf as a stand-in:
 *                       same architecture, its own C library headers).
 *
 *   node tools/check-esp32.mjs           check every variant
 *   node tools/check-esp32.mjs --list    print each variant's chip, esp32 dependencies and -D flags
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The registry components a chip needs, by the name xstcp_eth.h gives it. */
const CHIP_COMPONENTS = {
  XSTCP_ETH_LAN87XX: ['lan87xx'],
  XSTCP_ETH_IP101: ['ip101'],
  XSTCP_ETH_RTL8201: ['rtl8201'],
  XSTCP_ETH_DP83848: ['dp83848'],
  XSTCP_ETH_W5500: ['w5500'],
};
/** Components some versions of those depend on (espressif/w5500 2.x: wiznet_common). */
const OPTIONAL_COMPONENTS = ['wiznet_common'];

/** Deep merge of manifest `defines` (later wins), as mcconfig does. */
function merge(into, from) {
  for (const [k, v] of Object.entries(from ?? {})) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof into[k] === 'object') merge(into[k], v);
    else into[k] = (v !== null && typeof v === 'object' && !Array.isArray(v)) ? merge({}, v) : v;
  }
  return into;
}

/** A manifest's defines and esp32 dependencies, following relative includes (not $(MODDABLE) ones). */
function readManifest(path, seen = new Set()) {
  const out = { defines: {}, dependencies: [] };
  if (seen.has(path)) return out;
  seen.add(path);
  const m = JSON.parse(readFileSync(path, 'utf8'));
  const includes = typeof m.include === 'string' ? [m.include] : (m.include ?? []);
  for (const inc of includes) {
    if (inc.includes('$(')) continue;
    const sub = readManifest(resolve(dirname(path), inc), seen);
    merge(out.defines, sub.defines);
    out.dependencies.push(...sub.dependencies);
  }
  merge(out.defines, m.defines);
  out.dependencies.push(...(m.platforms?.esp32?.dependency ?? []));
  return out;
}

/** mcconfig's MODDEF_ macros: numbers in parentheses, strings bare ("#..." quoted), objects flattened. */
function moddefFlags(defines, prefix = 'MODDEF_') {
  const flags = [];
  for (const [k, v] of Object.entries(defines)) {
    const name = prefix + k.toUpperCase();
    if (typeof v === 'number' || typeof v === 'boolean') flags.push(`-D${name}=(${v})`);
    else if (typeof v === 'string') flags.push(v.startsWith('#') ? `-D${name}="${v.slice(1)}"` : `-D${name}=${v}`);
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) flags.push(...moddefFlags(v, name + '_'));
  }
  return flags;
}

function variants() {
  const dirs = ['esp32', ...readdirSync(join(root, 'manifests')).filter((d) => d.startsWith('esp32-eth-')).sort()];
  return dirs.map((d) => {
    const { defines, dependencies } = readManifest(join(root, 'manifests', d, 'manifest.json'));
    const chip = defines.xstcp?.eth?.chip ?? 'XSTCP_ETH_NONE';
    return { name: d, chip, flags: moddefFlags(defines), dependencies };
  });
}

function onPath(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

function compiler() {
  const picolibc = '/usr/lib/xtensa-lx106-elf/picolibc.specs';
  if (process.env.XSTCP_ESP32_CC) return { cc: process.env.XSTCP_ESP32_CC, flags: [] };
  if (onPath('xtensa-esp32-elf-gcc')) return { cc: 'xtensa-esp32-elf-gcc', flags: [] };
  if (onPath('xtensa-lx106-elf-gcc') && existsSync(picolibc)) return { cc: 'xtensa-lx106-elf-gcc', flags: [`--specs=${picolibc}`] };
  return null;
}

/** Include directories of an IDF tree for an ESP32 target (no project build: every component's). */
function idfIncludes(idf) {
  const c = join(idf, 'components');
  const first = [
    'freertos/FreeRTOS-Kernel/include', 'freertos/FreeRTOS-Kernel/portable/xtensa/include/freertos',
    'freertos/config/include', 'freertos/config/include/freertos', 'freertos/config/xtensa/include',
    'freertos/esp_additions/include', 'esp_libc/platform_include', 'newlib/platform_include',
    'xtensa/esp32/include', 'xtensa/include', 'soc/esp32/register', 'esp_rom/esp32',
    'esp_hw_support/include/soc', 'esp_system/port/include',
  ].map((d) => join(c, d)).filter((d) => existsSync(d));
  const rest = [];
  const skip = /\/(test[^/]*|linux|riscv|private_include|priv_include|FreeRTOS-Kernel-SMP|esp32[a-z][a-z0-9]*)(\/|$)/;
  const walk = (dir, depth) => {
    for (const e of readdirSync(dir).sort()) {
      const p = join(dir, e);
      if (!statSync(p).isDirectory() || skip.test(p.slice(c.length))) continue;
      if (e === 'include') rest.push(p);
      if (depth < 2) walk(p, depth + 1);
    }
  };
  walk(c, 0);
  return [...first, ...rest.filter((d) => !first.includes(d))];
}

function driverIncludes(base, chip) {
  if (!base) return null;
  const dirs = [];
  for (const comp of CHIP_COMPONENTS[chip] ?? []) {
    const d = [join(base, comp, 'include'), join(base, `espressif__${comp}`, 'include')].find((p) => existsSync(p));
    if (!d) return null;
    dirs.push(d);
  }
  for (const comp of OPTIONAL_COMPONENTS) {
    const d = [join(base, comp, 'include'), join(base, `espressif__${comp}`, 'include')].find((p) => existsSync(p));
    if (d) dirs.push(d);
  }
  return dirs;
}

function main() {
  const list = variants();
  if (process.argv.includes('--list')) {
    for (const v of list) console.log(`${v.name}: ${v.chip} [${v.dependencies.map((d) => d.name ?? `idf:${d.idf}`).join(',')}] ${v.flags.join(' ')}`);
    return 0;
  }
  const idf = process.env.IDF_PATH;
  if (!idf) {
    console.log('check:esp32: IDF_PATH is not set, nothing checked (set it to an ESP-IDF v6 checkout to syntax-check hal/esp32)');
    return 0;
  }
  if (!existsSync(join(idf, 'components/esp_eth/include/esp_eth.h'))) {
    console.error(`check:esp32: ${idf} does not look like an ESP-IDF tree (no components/esp_eth/include/esp_eth.h)`);
    return 1;
  }
  const cc = compiler();
  if (!cc) {
    console.error('check:esp32: no Xtensa compiler found: put the IDF toolchain (xtensa-esp32-elf-gcc) on PATH, or install Debian\'s gcc-xtensa-lx106 + picolibc-xtensa-lx106-elf, or set XSTCP_ESP32_CC');
    return 1;
  }
  const moddable = process.env.MODDABLE;
  const sdkconfig = process.env.XSTCP_SDKCONFIG ?? join(root, 'test/esp32/idf');
  const system = idfIncludes(idf);
  const xs = moddable ? ['includes', 'sources', 'platforms/esp', 'platforms/mc'].map((d) => join(moddable, 'xs', d)) : [];
  const idfVersion = (() => {
    const h = readFileSync(join(idf, 'components/esp_common/include/esp_idf_version.h'), 'utf8');
    const n = (k) => new RegExp(`#define\\s+ESP_IDF_VERSION_${k}\\s+(\\d+)`).exec(h)?.[1] ?? '?';
    return `${n('MAJOR')}.${n('MINOR')}.${n('PATCH')}`;
  })();
  console.log(`check:esp32: ESP-IDF ${idfVersion} at ${idf}; ${cc.cc}; sdkconfig.h from ${sdkconfig}${moddable ? `; Moddable XS headers from ${moddable}` : '; MODDABLE unset: modEthHal.c and hal/xs not checked'}`);

  let failed = 0;
  for (const v of list) {
    // hal/xs: the C the ESP32 HAL shares with the Linux simulator's (it needs the XS headers too)
    const files = ['xstcp_wifi.c', 'xstcp_eth.c', ...(moddable ? ['modEthHal.c', '../xs/netdev.c', '../xs/modXstcpNative.c'] : [])];
    let extra = [];
    let note = '';
    const mc = process.env.XSTCP_MC_BUILDS ? join(process.env.XSTCP_MC_BUILDS, v.name) : '';
    const generated = mc !== '' && existsSync(join(mc, 'mc.defines.h')) && existsSync(join(mc, 'mc.xs.h'));
    if (CHIP_COMPONENTS[v.chip]) {
      const inc = driverIncludes(process.env.XSTCP_ETH_DRIVERS, v.chip);
      if (inc) { extra = inc; note = ` with ${CHIP_COMPONENTS[v.chip][0]} from XSTCP_ETH_DRIVERS`; }
      else if (v.chip === 'XSTCP_ETH_W5500') {
        console.log(`SKIP ${v.name}: the W5500 driver is the component espressif/w5500; set XSTCP_ETH_DRIVERS to check it`);
        continue;
      } else note = ' (IEEE 802.3 generic PHY standing in: set XSTCP_ETH_DRIVERS for the chip driver)';
    }
    for (const f of files) {
      const args = [
        ...cc.flags, '-std=gnu17', '-fsyntax-only', '-Wall', '-Wextra', '-Werror',
        '-D__ets__', '-U__STRICT_ANSI__', '-DESP32=1', '-DmxUseDefaultSharedChunks=1',
        ...(generated ? [] : v.flags),
        '-I', join(root, 'hal/esp32'), '-I', join(root, 'hal/xs'), '-I', generated ? mc : join(root, 'test/esp32/moddable'), '-I', sdkconfig,
        ...extra.flatMap((d) => ['-I', d]),
        ...xs.flatMap((d) => ['-isystem', d]),
        ...system.flatMap((d) => ['-isystem', d]),
        join(root, 'hal/esp32', f),
      ];
      const r = spawnSync(cc.cc, args, { encoding: 'utf8' });
      const ok = r.status === 0;
      console.log(`${ok ? 'PASS' : 'FAIL'} ${v.name} [${v.chip}] ${f}${note}${generated ? ' (mcconfig/xsl headers)' : ''}`);
      if (!ok) {
        failed++;
        process.stdout.write(`${r.error ? String(r.error) : ''}${r.stdout}${r.stderr}`.split('\n').filter((l) => /error|warning/.test(l)).slice(0, 20).join('\n') + '\n');
      }
    }
  }
  return failed ? 1 : 0;
}

process.exitCode = main();
