/**
 * The `lwip` bench section (bench/lwip.ts): without LWIP_UNIX_APP it says so in one line and
 * succeeds (CI has no lwIP); a missing program is a failure that names it; and, as root, the whole
 * rotation runs against a stand-in for the lwIP program that keeps the same contract
 * (PRECONFIGURED_TAPIF=<tap> program <ip> <netmask>, discard on 9, chargen on 19, answers ping) —
 * here a second `xs-tcp up` — and removes its namespace afterwards.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The package root: dist/test/bench/ -> ../../.. */
const root = resolve(here, '..', '..', '..');
const RUN = join(root, 'dist', 'bench', 'run.js');
const CLI = join(root, 'bin', 'xs-tcp.js');

interface Result { code: number; stdout: string; stderr: string; pid: number }

function bench(env: Record<string, string | undefined>, ...args: string[]): Promise<Result> {
  const full: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) full[k] = v;
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [RUN, '--only', 'lwip', ...args], { env: full, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('exit', (code) => resolveRun({ code: code ?? 1, stdout, stderr, pid: child.pid ?? -1 }));
  });
}

function rootWithTap(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  return '';
}

describe('bench lwip (xs-tcp next to a lwIP unix-port program)', function () {
  this.timeout(180000);

  it('without LWIP_UNIX_APP prints one line saying so and exits 0', async () => {
    const r = await bench({ LWIP_UNIX_APP: undefined });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /skipped: LWIP_UNIX_APP is not set/);
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('bench lwip:')).length, 1);
  });

  it('a program that does not exist fails the section and is named', async () => {
    const r = await bench({ LWIP_UNIX_APP: '/nonexistent/lwip_app' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no such file \/nonexistent\/lwip_app/);
  });

  it('as root: one round against a stand-in program, figures for both, namespace removed', async () => {
    const why = rootWithTap();
    if (why !== '') {
      // the section itself reports why it cannot run; that is what a non-root machine sees
      const r = await bench({ LWIP_UNIX_APP: process.execPath });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /skipped: /);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'xs-lwip-bench-'));
    try {
      const standIn = join(dir, 'stand_in');
      // the lwIP program's contract: tap from PRECONFIGURED_TAPIF, address and netmask as arguments
      writeFileSync(standIn, '#!/bin/sh\n[ "$2" = 255.255.255.0 ] || exit 3\nexec "' + process.execPath + '" "' + CLI
        + '" up --tap "$PRECONFIGURED_TAPIF" --ip "$1/24" -q --config TCP_WND=8192 --config TCP_SND_BUF=8192\n');
      chmodSync(standIn, 0o755);
      // BENCH_LWIP_MIB wins over the tap section's BENCH_TAP_MIB (the default is 256 MiB per run)
      const r = await bench({ LWIP_UNIX_APP: standIn, BENCH_LWIP_ROUNDS: '1', BENCH_TAP_MIB: '1', BENCH_LWIP_MIB: '2', BENCH_LWIP_WARMUP_MIB: '1' }, '--json');
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { lwip: Record<string, number> };
      const j = out.lwip;
      assert.equal(j.rounds, 1);
      assert.equal(j.bytes, 2 * 1024 * 1024);
      assert.equal(j.warmupBytes, 1024 * 1024);
      for (const k of ['xsKernelToStackMBps', 'xsStackToKernelMBps', 'lwipKernelToStackMBps', 'lwipStackToKernelMBps']) {
        assert.ok(j[k] > 0, k + ' = ' + j[k]);
      }
      assert.ok(Number.isFinite(j.ratioKernelToStack_lwip) && j.ratioKernelToStack_lwip > 0);
      assert.ok(Number.isFinite(j.ratioStackToKernel_lwip) && j.ratioStackToKernel_lwip > 0);
      // one progress line per run: 2 stacks x 2 directions
      assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('bench lwip: round 1')).length, 4, r.stderr);
      const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
      assert.ok(!list.includes('xslw' + r.pid), 'namespace xslw' + r.pid + ' left behind');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
