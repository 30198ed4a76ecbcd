/**
 * The ESP32 HAL's Wi-Fi station logic (hal/esp32/xstcp_wifi.c), compiled for the host with `cc`
 * against the stand-in IDF headers and event loop in test/esp32/stubs/ (the loop follows ESP-IDF
 * v6's esp_event.c: base nodes, ANY_ID handlers before id-specific ones, one event dispatched
 * completely before the next). Each scenario replays an order of station events and checks that
 * the station's receive callback registered last is xs-tcp's and that a lost link is re-joined with
 * backoff. `cc` is required (node-gyp needs it for the host HAL too): missing, the test fails.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = [resolve(here, '../../..'), resolve(here, '../..'), process.cwd()].find((d) => existsSync(join(d, 'hal/esp32/xstcp_wifi.c')));

const SCENARIOS = [
  'moddable-order',
  'defaults-registered-after-hal',
  'hal-before-defaults',
  'flap',
  'backoff',
  'connect-refused',
  'no-rejoin-when-left-stopped-or-cleared',
  'claim-post-queue-full',
  'close',
];

describe('esp32 Wi-Fi link logic (host-compiled C)', function () {
  let dir = '';
  let exe = '';

  before(function () {
    assert.ok(root, 'hal/esp32/xstcp_wifi.c not found');
    const cc = process.env.CC ?? 'cc';
    const probe = spawnSync(cc, ['--version'], { encoding: 'utf8' });
    assert.equal(probe.error, undefined, `C compiler "${cc}" not found: install gcc (Debian: apt-get install build-essential)`);
    dir = mkdtempSync(join(tmpdir(), 'xstcp-wifi-'));
    exe = join(dir, 'wifi_link_test');
    execFileSync(cc, [
      '-std=c11', '-Wall', '-Wextra', '-Werror',
      '-I', join(root!, 'test/esp32/stubs'), '-I', join(root!, 'hal/esp32'),
      join(root!, 'hal/esp32/xstcp_wifi.c'), join(root!, 'test/esp32/stubs/idf_stubs.c'), join(root!, 'test/esp32/runner.c'), join(root!, 'test/esp32/wifi_link_test.c'),
      '-o', exe,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
  });

  after(function () {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  for (const name of SCENARIOS) {
    it(name, function () {
      const r = spawnSync(exe, [name], { encoding: 'utf8' });
      const out = `${r.stdout}${r.stderr}`.trim();
      assert.equal(r.status, 0, out);
      assert.match(out, new RegExp(`^ok - ${name}`), out);
    });
  }

  it('runs every scenario the C file defines', function () {
    const r = spawnSync(exe, [], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.replace(/^ok - (\S+).*$/, '$1')), SCENARIOS);
  });
});
