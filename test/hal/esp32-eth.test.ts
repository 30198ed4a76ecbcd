/**
 * The ESP32 HAL's Ethernet set-up (hal/esp32/xstcp_eth.c), compiled for the host with `cc` against
 * stand-in IDF headers (test/esp32/stubs/) and registry driver headers (test/esp32/eth-drivers/),
 * once per define set: the manifests' own variants (manifests/esp32-eth-lan8720, -w5500, read
 * through `tools/check-esp32.mjs --list`) and hand-made ones for the other paths. Each build checks
 * the driver calls made, their settings and order, link tracking, and clean-up after failures.
 * `cc` is required (node-gyp needs it for the host HAL too): missing, the test fails.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = [resolve(here, '../../..'), resolve(here, '../..'), process.cwd()].find((d) => existsSync(join(d, 'hal/esp32/xstcp_eth.c')))!;
const stubs = join(root, 'test/esp32/stubs');
const drivers = join(root, 'test/esp32/eth-drivers');
const cc = process.env.CC ?? 'cc';

/** The -D flags check-esp32.mjs derives from a manifest variant. */
function variantFlags(name: string): string[] {
  const out = execFileSync(process.execPath, [join(root, 'tools/check-esp32.mjs'), '--list'], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.startsWith(`${name}:`));
  assert.ok(line, `variant ${name} not listed`);
  return line.split(' ').filter((f) => f.startsWith('-D'));
}

interface Build {
  /** what the build stands for */
  title: string;
  flags: () => string[];
  /** xstcp_eth.c sees the registry drivers' headers */
  withDrivers: boolean;
  /** the first scenario's name and the calls it must make */
  expectName?: string;
  expectCalls?: string;
  scenarios: string[];
}

const SHARED_SCENARIOS = ['installed-once', 'link-events', 'failures-clean-up'];

const BUILDS: Build[] = [
  {
    title: 'manifests/esp32-eth-lan8720 (LAN8720A, WT32-ETH01 wiring)',
    flags: () => variantFlags('esp32-eth-lan8720'),
    withDrivers: true,
    expectName: 'emac-lan87xx',
    expectCalls: 'gpio_reset(16) gpio_dir(16,out) gpio_set(16,1) delay(10) mac.esp32(mdc=23,mdio=18,clock=in:0) phy.lan87xx(addr=1,reset=-1) install(esp32,lan87xx) start',
    scenarios: SHARED_SCENARIOS,
  },
  {
    title: 'LAN87xx without the registry component: the generic PHY stands in',
    flags: () => ['-DMODDEF_XSTCP_ETH_CHIP=XSTCP_ETH_LAN87XX'],
    withDrivers: false,
    expectName: 'emac-generic-fallback',
    expectCalls: 'mac.esp32(mdc=23,mdio=18,clock=in:0) phy.generic(addr=-1,reset=-1) install(esp32,generic) start',
    scenarios: [],
  },
  {
    title: 'IP101 with the clock out on GPIO17, other SMI pins, a reset pin',
    flags: () => ['-DMODDEF_XSTCP_ETH_CHIP=XSTCP_ETH_IP101', '-DMODDEF_XSTCP_ETH_CLOCK_MODE=EMAC_CLK_OUT', '-DMODDEF_XSTCP_ETH_CLOCK_GPIO=(17)',
      '-DMODDEF_XSTCP_ETH_MDC=(16)', '-DMODDEF_XSTCP_ETH_MDIO=(32)', '-DMODDEF_XSTCP_ETH_PHY_ADDR=(0)', '-DMODDEF_XSTCP_ETH_PHY_RESET=(5)'],
    withDrivers: true,
    expectName: 'emac-ip101-clock-out',
    expectCalls: 'mac.esp32(mdc=16,mdio=32,clock=out:17) phy.ip101(addr=0,reset=5) install(esp32,ip101) start',
    scenarios: [],
  },
  {
    title: 'manifests/esp32-eth-w5500 (SPI2, interrupt on GPIO4)',
    flags: () => variantFlags('esp32-eth-w5500'),
    withDrivers: true,
    expectName: 'w5500-interrupt',
    expectCalls: 'isr_service spi_bus(host=1,sclk=18,mosi=23,miso=19,dma=auto) mac.w5500(host=1,cs=5,hz=20000000,int=4,poll=0) phy.w5500(addr=-1,reset=-1) install(w5500,w5500) set_mac(24:0a:c4:00:00:03) start',
    scenarios: ['w5500-shared-bus', ...SHARED_SCENARIOS],
  },
  {
    title: 'W5500 without an interrupt line: polled',
    flags: () => ['-DMODDEF_XSTCP_ETH_CHIP=XSTCP_ETH_W5500', '-DMODDEF_XSTCP_ETH_SPI_INT=(-1)', '-DMODDEF_XSTCP_ETH_SPI_POLL_MS=(25)', '-DMODDEF_XSTCP_ETH_SPI_CS=(15)'],
    withDrivers: true,
    expectName: 'w5500-polling',
    expectCalls: 'spi_bus(host=1,sclk=18,mosi=23,miso=19,dma=auto) mac.w5500(host=1,cs=15,hz=20000000,int=-1,poll=25) phy.w5500(addr=-1,reset=-1) install(w5500,w5500) set_mac(24:0a:c4:00:00:03) start',
    scenarios: [],
  },
  {
    title: 'XSTCP_ETH_EXTERNAL: the application\'s driver',
    flags: () => ['-DMODDEF_XSTCP_ETH_CHIP=XSTCP_ETH_EXTERNAL'],
    withDrivers: false,
    scenarios: ['external-handle'],
  },
];

describe('esp32 Ethernet driver set-up (host-compiled C)', function () {
  let dir = '';

  before(function () {
    const probe = spawnSync(cc, ['--version'], { encoding: 'utf8' });
    assert.equal(probe.error, undefined, `C compiler "${cc}" not found: install gcc (Debian: apt-get install build-essential)`);
    dir = mkdtempSync(join(tmpdir(), 'xstcp-eth-'));
  });

  after(function () {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  BUILDS.forEach((b, i) => {
    describe(b.title, function () {
      let exe = '';
      before(function () {
        const common = ['-std=c11', '-Wall', '-Wextra', '-Werror', '-I', stubs, '-I', join(root, 'hal/esp32'), ...b.flags()];
        if (b.expectName !== undefined) common.push(`-DEXPECT_NAME="${b.expectName}"`, `-DEXPECT_CALLS="${b.expectCalls}"`);
        const obj = join(dir, `eth${i}.o`);
        const stubObj = join(dir, `stubs${i}.o`);
        exe = join(dir, `eth_driver_test${i}`);
        const run = (args: string[]) => execFileSync(cc, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        run([...common, ...(b.withDrivers ? ['-I', drivers] : []), '-c', join(root, 'hal/esp32/xstcp_eth.c'), '-o', obj]);
        run([...common, '-I', drivers, '-c', join(stubs, 'eth_stubs.c'), '-o', stubObj]);
        run([...common, '-I', drivers, obj, stubObj, join(stubs, 'idf_stubs.c'), join(root, 'test/esp32/runner.c'), join(root, 'test/esp32/eth_driver_test.c'), '-o', exe]);
      });
      const names = [...(b.expectName !== undefined ? [b.expectName] : []), ...b.scenarios];
      for (const name of names) {
        it(name, function () {
          const r = spawnSync(exe, [name], { encoding: 'utf8' });
          const out = `${r.stdout}${r.stderr}`.trim();
          assert.equal(r.status, 0, out);
          assert.match(out, new RegExp(`^ok - ${name}`), out);
        });
      }
    });
  });
});
