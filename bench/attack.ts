/**
 * `npm run bench -- --only attack`: every attack of the robustness suite (test/robustness) on the
 * board configuration, with the figures it measures and whether its target is met. Deterministic
 * (mock HAL, virtual time, seeded): the figures are the same on every run and machine.
 */
import { runScenario } from '../test/scenarios/common.js';
import { attackScenarios } from '../test/robustness/index.js';
import type { BenchResult } from './util.js';

export async function run(): Promise<BenchResult> {
  const rows: [string, string][] = [];
  const json: Record<string, number> = {};
  for (const s of attackScenarios()) {
    const r = runScenario(s);
    const met = r.ok;
    rows.push([s.name, (met ? 'target met' : 'NOT MET') + ' — ' + s.title]);
    rows.push(['  target', s.target]);
    json[s.name + '.met'] = met ? 1 : 0;
    for (const [k, v] of Object.entries(r.extra)) {
      const n = typeof v === 'number' ? v : v === true ? 1 : v === false ? 0 : NaN;
      rows.push(['  ' + k, String(v)]);
      if (Number.isFinite(n)) json[s.name + '.' + k] = n;
    }
    for (const f of r.failures) rows.push(['  missed', f]);
  }
  return { rows, json };
}
