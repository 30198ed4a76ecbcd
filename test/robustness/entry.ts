/**
 * The in-engine half of the XS robustness run: bundled with the mock HAL and the stack into one
 * classic script that sets `globalThis.XsTcpRobustness` (see robustness.test.ts).
 */
import { runScenario } from '../scenarios/common.js';
import { robustnessScenarios } from './index.js';

export function names(): string[] {
  return robustnessScenarios().map((s) => s.name);
}

export function runJson(name: string): string {
  const s = robustnessScenarios().find((x) => x.name === name);
  if (s === undefined) return JSON.stringify({ name, ok: false, failures: ['no such scenario'] });
  return JSON.stringify(runScenario(s));
}
