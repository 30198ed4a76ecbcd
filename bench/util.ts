/**
 * Shared helpers of the benchmark sections (host only: uses the wall clock).
 */

/** What every section module exports as `run()`. `rows` are [name, formatted value] for the table;
 *  `json` holds the same figures as numbers (nested under the section's name in --json output). */
export interface BenchResult {
  rows: [string, string][];
  json: Record<string, number>;
}

/** Minimum wall time per measurement, ms (BENCH_MS in the environment overrides; CI may lower it). */
export function benchMs(): number {
  const v = Number(process.env.BENCH_MS);
  return Number.isFinite(v) && v > 0 ? v : 400;
}

/** Something the optimiser cannot prove unused. */
export let sink = 0;
export function consume(x: number): void {
  sink = (sink + x) | 0;
}

/**
 * Runs `batch(n)` (which must do `n` operations) with growing n until one run takes at least
 * `minMs`, after a warm-up; returns operations per second of the last run.
 */
export function opsPerSec(batch: (n: number) => void, minMs = benchMs()): number {
  batch(1000); // warm-up: let the JIT settle on the hot loop
  let n = 1000;
  for (;;) {
    const t0 = performance.now();
    batch(n);
    const dt = performance.now() - t0;
    if (dt >= minMs) return (n * 1000) / dt;
    n = dt < 1 ? n * 10 : Math.ceil((n * minMs * 1.2) / dt);
  }
}

/** 1234567.8 → "1,234,568" (thousands separators without Intl). */
export function fmtInt(x: number): string {
  const s = String(Math.round(x));
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s[i];
  }
  return out;
}

export function fmt(x: number, digits = 1): string {
  return x.toFixed(digits);
}
