/**
 * The in-engine half of the XS scenario run: bundled by rollup (with the mock HAL and the stack) into
 * one classic script that sets `globalThis.XsTcpScenarios`. The Node side (test/xs/harness.ts)
 * evaluates it in xsnap, then calls `XsTcpScenarios.runJson(name)` per scenario and reads the JSON.
 */
import { scenarios, runScenario } from '../scenarios/index.js';

/** Names of every scenario, in order. */
export function names(): string[] {
  return scenarios().map((s) => s.name);
}

/** Runs one scenario and returns its result as JSON text. */
export function runJson(name: string): string {
  const s = scenarios().find((x) => x.name === name);
  if (s === undefined) return JSON.stringify({ name, ok: false, failures: ['no such scenario'] });
  return JSON.stringify(runScenario(s));
}
