/**
 * tools/check-esp32.mjs (npm run check:esp32): the ESP32 HAL's C files syntax-checked against an
 * installed ESP-IDF, once per manifest variant. Without IDF_PATH it must say so in one line and
 * succeed (npm test runs without the SDKs); the variants it derives from manifests/ must each name
 * a chip xstcp_eth.h knows and depend on the registry component that chip's driver comes from.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = [resolve(here, '../../..'), resolve(here, '../..'), process.cwd()].find((d) => existsSync(join(d, 'tools/check-esp32.mjs')))!;
const script = join(root, 'tools/check-esp32.mjs');

function run(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', env });
}

describe('npm run check:esp32 (ESP-IDF syntax check of hal/esp32)', function () {
  it('without IDF_PATH: one line, exit 0', function () {
    const env = { ...process.env };
    delete env.IDF_PATH;
    const r = run([], env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 1);
    assert.match(r.stdout, /IDF_PATH is not set/);
  });

  it('derives one variant per manifest, each with a known chip and its driver component', function () {
    const r = run(['--list'], process.env);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const byName = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')), l]));
    assert.deepEqual([...byName.keys()], ['esp32', 'esp32-eth-dp83848', 'esp32-eth-ip101', 'esp32-eth-lan8720', 'esp32-eth-rtl8201', 'esp32-eth-w5500']);
    assert.match(byName.get('esp32')!, /XSTCP_ETH_NONE/);
    assert.match(byName.get('esp32-eth-lan8720')!, /-DMODDEF_XSTCP_ETH_CHIP=XSTCP_ETH_LAN87XX .*-DMODDEF_XSTCP_ETH_CLOCK_MODE=EMAC_CLK_EXT_IN/);
    assert.match(byName.get('esp32-eth-w5500')!, /-DMODDEF_XSTCP_ETH_CHIP=XSTCP_ETH_W5500 .*-DMODDEF_XSTCP_ETH_SPI_HOST=SPI2_HOST/);
    for (const line of lines) assert.match(line, /-DMODDEF_XSTCP_RXSLOTS=\(8\)/, line);
    const component: Record<string, string> = { LAN87XX: 'lan87xx', IP101: 'ip101', RTL8201: 'rtl8201', DP83848: 'dp83848', W5500: 'w5500' };
    for (const line of lines.slice(1)) {
      const chip = /XSTCP_ETH_(\w+) \[/.exec(line)![1];
      assert.match(line, new RegExp(`\\[(.*,)?${component[chip]}(,.*)?\\]`), line);
      assert.match(line, /idf:esp_eth/, line);
    }
  });
});
