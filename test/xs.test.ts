/**
 * The stack on the real XS engine (xsnap-worker, built from Moddable's sources by @agoric/xsnap).
 *
 * - Every scenario of test/scenarios runs on Node and, bundled with the mock HAL into one script,
 *   inside XS; both runs must pass and return deep-equal results (bytes, digests, state transitions,
 *   counters, virtual time). Anything in src/ that XS cannot run fails here.
 * - The library bundle (what a Moddable manifest names) creates no typed array, Map, Set or RegExp
 *   while its module body runs: Moddable's preload would make them immutable (or refuse them).
 * - The library's IIFE runs in XS after `harden(XsTcp)`, as frozen as Moddable leaves preloaded code.
 *
 * `npm run test:xs` runs only this file.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { scenarios, runScenario, type ScenarioResult } from './scenarios/index.js';
import { XsnapWorker } from './xs/xsnap.js';
import { bundleEsm, bundleIife } from './xs/bundle.js';
import { checkPreload } from './xs/preload_check.js';
import { libSmoke } from './xs/lib_smoke.js';
import * as lib from '../src/index.js';
import { SimDemo } from '../examples/sim/demo.js';
import { measureHotPathSlots, measureLanHeap } from '../bench/xs.js';

const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));

describe('XS engine (xsnap)', function () {
  this.timeout(600000);
  let xs: XsnapWorker | null = null;

  before(async () => {
    const code = await bundleIife(here('./xs/entry.js'), 'XsTcpScenarios');
    xs = XsnapWorker.start('xs-tcp-scenarios');
    await xs.evaluate(code);
  });

  after(async () => {
    if (xs) await xs.close();
  });

  it('runs the scenario bundle: XS lists the same scenarios as Node', async () => {
    const r = await xs!.call('JSON.stringify(XsTcpScenarios.names())');
    assert.deepEqual(JSON.parse(r.text), scenarios().map((s) => s.name));
  });

  for (const s of scenarios()) {
    it(s.name + ': ' + s.title + ' — passes on Node and on XS, same result', async () => {
      const onNode = JSON.parse(JSON.stringify(runScenario(s))) as ScenarioResult;
      assert.deepEqual(onNode.failures, [], 'on Node');
      assert.ok(onNode.ok && onNode.poolsFull, 'on Node: ok and pools full');
      const r = await xs!.call('XsTcpScenarios.runJson(' + JSON.stringify(s.name) + ')');
      const onXs = JSON.parse(r.text) as ScenarioResult;
      assert.deepEqual(onXs.failures, [], 'on XS');
      assert.ok(onXs.ok && onXs.poolsFull, 'on XS: ok and pools full');
      assert.deepEqual(onXs, onNode, 'XS and Node results differ');
    });
  }

  for (const [what, entry, moddable] of [
    ['the library (build/xs-tcp.js)', '../src/index.js', []],
    ['the ESP32 HAL (build/xs-tcp-esp32.js)', '../hal/esp32/hal.js', ['timer', 'time', 'ethhal', 'xstcp-native']],
    ['the simulator demo (build/xs-tcp-sim.js)', '../examples/sim/demo.js', []],
  ] as [string, string, string[]][]) {
    it(what + ' creates no typed array, Map, Set, Date or RegExp at module evaluation (Moddable preload)', async () => {
      const esm = await bundleEsm(here(entry), moddable);
      const issues = checkPreload(esm);
      assert.deepEqual(issues.map((i) => i.what + ' (bundle line ' + i.line + '): ' + i.source), []);
    });
  }

  it('the preload check catches what it should', () => {
    const bad = 'const t = new Uint8Array(4);\nconst m = new Map();\nconst r = /x/;\nclass C { static s = new Set(); f = new Map(); m() { return new Uint8Array(9); } }\n'
      + 'const z = new Uint8Array(0);\nexport { t, m, r, C, z };';
    assert.deepEqual(checkPreload(bad).map((i) => i.line), [1, 2, 3, 4]);
  });

  it('DHCP renewals (T1, REQUEST, ACK) allocate no heap slots on XS; DHCP+DNS+mDNS heap cost measured', async () => {
    const m = await measureLanHeap();
    assert.ok(!m.renewGc, 'no garbage collection during the runs');
    assert.equal(m.renewSlots, 0, 'heap slots per renewal');
    assert.ok(m.slots > 0 && m.chunkBytes > 0, 'the services cost something: ' + JSON.stringify(m));
  });

  it('a steady-state transfer allocates no heap slots per segment on XS (rx one-copy, through receiveFrame and with a HAL checksum; tx; two stacks; ECMA-419 TCP)', async () => {
    const m = await measureHotPathSlots();
    assert.ok(m.control >= 1, 'the measurement sees an object literal (' + m.control + ' slots)');
    assert.ok(!m.gc, 'no garbage collection during the runs');
    assert.deepEqual({ rx: m.rx, rxCopy: m.rxCopy, rxNoChecksum: m.rxNoChecksum, tx: m.tx, pair: m.pair, io419: m.io419 },
      { rx: 0, rxCopy: 0, rxNoChecksum: 0, tx: 0, pair: 0, io419: 0 }, 'heap slots per 1460-byte segment');
  });

  it('the simulator demo (manifests/lin: services, trace, netstat) prints the same on XS as on Node', async () => {
    const code = await bundleIife(here('../examples/sim/demo.js'), 'XsTcpSim');
    const w = XsnapWorker.start('xs-tcp-sim');
    try {
      await w.evaluate(code);
      const r = await w.call('(() => { const lines = []; const d = new XsTcpSim.SimDemo((l) => lines.push(l)); d.run(11000); return lines.join("\\n"); })()');
      const lines: string[] = [];
      new SimDemo((l) => lines.push(l)).run(11000);
      assert.equal(r.text, lines.join('\n'));
      assert.match(r.text, /pc: enough: hello, echo/);
      assert.match(r.text, /LISTEN/);
    } finally {
      await w.close();
    }
  });

  it('the library IIFE runs in XS after harden(XsTcp) and behaves as on Node', async () => {
    const code = await bundleIife(here('../src/index.js'), 'XsTcp');
    const w = XsnapWorker.start('xs-tcp-lib');
    try {
      await w.evaluate(code);
      await w.evaluate('harden(XsTcp);');
      const r = await w.call('(' + libSmoke.toString() + ')(XsTcp)');
      const onNode = libSmoke(lib);
      assert.equal(r.text, onNode);
      assert.match(r.text, /replies=3/);
      assert.match(r.text, /pools used=0/);
    } finally {
      await w.close();
    }
  });
});
