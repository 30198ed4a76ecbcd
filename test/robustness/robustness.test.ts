/**
 * The robustness suite (test/robustness): every attack scenario on Node and inside XS (xsnap), with
 * the same result on both; each passes its own checks (the honest traffic gets through, the
 * attack's figures stay within the configured limits) and ends with every pool full.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runScenario, type ScenarioResult } from '../scenarios/common.js';
import { XsnapWorker } from '../xs/xsnap.js';
import { bundleIife } from '../xs/bundle.js';
import { robustnessScenarios } from './index.js';

const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));

describe('robustness: a hostile LAN cannot take the board down (Node and XS)', function () {
  this.timeout(600000);
  let xs: XsnapWorker | null = null;

  before(async () => {
    const code = await bundleIife(here('./entry.js'), 'XsTcpRobustness');
    xs = XsnapWorker.start('xs-tcp-robustness');
    await xs.evaluate(code);
  });

  after(async () => {
    if (xs) await xs.close();
  });

  for (const s of robustnessScenarios()) {
    it(s.name + ': ' + s.title, async () => {
      const onNode = JSON.parse(JSON.stringify(runScenario(s))) as ScenarioResult;
      assert.deepEqual(onNode.failures, [], 'on Node');
      assert.ok(onNode.ok && onNode.poolsFull, 'on Node: ok and pools full');
      const r = await xs!.call('XsTcpRobustness.runJson(' + JSON.stringify(s.name) + ')');
      const onXs = JSON.parse(r.text) as ScenarioResult;
      assert.deepEqual(onXs.failures, [], 'on XS');
      assert.deepEqual(onXs, onNode, 'XS and Node results differ');
    });
  }
});
