/**
 * `npm run bench`: runs every registered section and prints a table; `--json` prints one JSON
 * object instead ({ "<section>": { figure: number, ... }, ... }); `--only a,b` runs some sections.
 * BENCH_MS=<ms> sets the minimum time per measurement (default 400).
 *
 * To add a section: write bench/<name>.ts exporting `async function run(): Promise<BenchResult>`
 * (see bench/util.ts) and add one line to SECTIONS below.
 */
import type { BenchResult } from './util.js';
import * as checksum from './checksum.js';
import * as pbuf from './pbuf.js';
import * as wire from './wire.js';
import * as tap from './tap.js';
import * as lossy from './lossy.js';
import * as lwip from './lwip.js';
import * as tcp from './tcp.js';
import * as xs from './xs.js';
import * as sched from './sched.js';
import * as attack from './attack.js';

export interface BenchSection {
  name: string;
  title: string;
  run: () => Promise<BenchResult>;
}

export const SECTIONS: BenchSection[] = [
  { name: 'checksum', title: 'Internet checksum', run: checksum.run },
  { name: 'pbuf', title: 'pbuf / memp pools', run: pbuf.run },
  { name: 'wire', title: 'mock wire (harness cost)', run: wire.run },
  { name: 'tcp', title: 'TCP bulk transfer between two in-process stacks (Node)', run: tcp.run },
  { name: 'sched', title: 'scheduler wake-ups of an idle stack (virtual clock)', run: sched.run },
  { name: 'xs', title: 'the stack inside XS (xsnap): meter computrons, heap slots', run: xs.run },
  { name: 'tap', title: 'TCP over a TAP vs kernel over veth (root only)', run: tap.run },
  { name: 'lossy', title: 'kernel <-> xs-tcp through a lossy relay, SACK + TLP vs NewReno (root only)', run: lossy.run },
  { name: 'lwip', title: "xs-tcp next to lwIP's unix port on a TAP (root, LWIP_UNIX_APP)", run: lwip.run },
  { name: 'attack', title: 'a hostile LAN against the board configuration (deterministic, mock HAL)', run: attack.run },
];

function table(results: { section: BenchSection; result: BenchResult }[]): string {
  let w = 4;
  for (const { result } of results) for (const [name] of result.rows) if (name.length > w) w = name.length;
  const lines: string[] = [];
  for (const { section, result } of results) {
    lines.push('', section.title + ' [' + section.name + ']', '-'.repeat(w + 20));
    for (const [name, value] of result.rows) lines.push('  ' + name.padEnd(w) + '  ' + value.padStart(16));
  }
  return lines.join('\n').slice(1);
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 && argv[onlyAt + 1] ? argv[onlyAt + 1].split(',') : null;
  if (only) {
    const unknown = only.filter((n) => !SECTIONS.some((s) => s.name === n));
    if (unknown.length) {
      process.stderr.write('unknown section(s): ' + unknown.join(', ') + '; known: ' + SECTIONS.map((s) => s.name).join(', ') + '\n');
      return 2;
    }
  }
  const chosen = SECTIONS.filter((s) => only === null || only.includes(s.name));
  const results: { section: BenchSection; result: BenchResult }[] = [];
  // a section that fails is reported (stderr, and `errors` in the JSON) and the others still run
  const errors: Record<string, string> = {};
  for (const section of chosen) {
    if (!json) process.stderr.write('running ' + section.name + '...\n');
    try {
      results.push({ section, result: await section.run() });
    } catch (e) {
      const msg = String(e instanceof Error ? e.message : e);
      errors[section.name] = msg;
      process.stderr.write('section ' + section.name + ' failed: ' + (e instanceof Error && e.stack ? e.stack : msg) + '\n');
    }
  }
  const failed = Object.keys(errors).length > 0;
  if (json) {
    const out: Record<string, unknown> = {
      meta: { node: process.version, platform: process.platform + '-' + process.arch, benchMs: Number(process.env.BENCH_MS) || 400 },
    };
    for (const { section, result } of results) out[section.name] = result.json;
    if (failed) out.errors = errors;
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } else {
    process.stdout.write(table(results) + '\n');
    if (failed) process.stdout.write('\nfailed sections: ' + Object.keys(errors).join(', ') + '\n');
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  process.stderr.write(String(e && (e as Error).stack || e) + '\n');
  process.exitCode = 1;
});
