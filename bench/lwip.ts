/**
 * Bench section "lwip": xs-tcp next to lwIP's unix port on the same TAP, with the same client.
 *
 * The lwIP side is a program the user builds from lwIP's sources (nothing of lwIP is in this
 * repository; README.md "Side by side with lwIP" says how): lwIP's unix port (tapif netif) with
 * raw-API discard (RFC 863, port 9) and chargen (RFC 864, port 19) servers, and the same pools,
 * window, MSS and send buffer as xs-tcp's DEFAULT_CONFIG. It is started as
 *
 *   PRECONFIGURED_TAPIF=<tap> $LWIP_UNIX_APP <ipv4> <netmask>
 *
 * and must answer ping on <ipv4>. LWIP_UNIX_APP may name several programs separated by commas (for
 * instance the NO_SYS=1 and the threaded build); the ratios are taken against the first.
 * BENCH_LWIP_XS_CONFIG=host runs xs-tcp with HOST_CONFIG instead (32 KB windows, 2048 pbufs), to set
 * against a lwIP program built with the same values.
 * BENCH_XS_CLI may name other builds' bin/xs-tcp.js (commas) to run in the same rotation, for
 * instance a checkout of the main branch next to this one.
 *
 * xs-tcp runs as `xs-tcp up` with every HOST_CONFIG setting put back to DEFAULT_CONFIG, so both stacks
 * have the board's 8 KB window and 48-pbuf pool. The client is bench/tap.ts's: test/interop/peer.js
 * (kernel sockets) inside one network namespace that holds the TAP, `discard` (kernel -> stack) and
 * `chargen` (stack -> kernel, pattern checked) with BENCH_LWIP_MIB MiB each (default 256; BENCH_TAP_MIB
 * when that alone is set). Not the tap section's 64: each run is a fresh connection from a fresh client
 * process, and measured on this 2-core machine (README.md "Side by side with lwIP", "Run length") a
 * run costs a fixed 40-150 ms on top of its bytes (the client's start-up, V8 re-optimizing the
 * stack's paths when the direction changes); a 64 MiB run lasts 0.2-0.45 s, a third to a half of it
 * that fixed cost. 256 MiB runs put the stacks' steady rate first.
 *
 * Runs alternate, xs-tcp then each lwIP program, BENCH_LWIP_ROUNDS times (default 5). Each round
 * starts every stack afresh and warms it up with BENCH_LWIP_WARMUP_MIB MiB each way (default 64,
 * unmeasured: V8 compiles the hot paths on a background thread for the first tens of MiB). Every run
 * is reported with the 1-minute load average when it started and the CPU time the stack process
 * used (/proc/<pid>/stat), so figures from a busy machine can be judged.
 * Without LWIP_UNIX_APP the section prints one line saying so and passes (CI has no lwIP), unless
 * BENCH_XS_CLI names other xs-tcp builds: then the rotation runs the xs-tcp builds alone (this one
 * and those), to measure a change against the build before it the same way.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './util.js';
import { ip, nsSpawn, peer, skipReason, waitFor } from './tap.js';
import { DEFAULT_CONFIG } from '../src/core/config.js';
import { HOST_CONFIG } from '../bin/host.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(resolve(here, '..', '..'), 'bin', 'xs-tcp.js');

const TAP = 'xl0';
const KERNEL_IP = '10.203.0.1';
const STACK_IP = '10.203.0.2';
const PREFIX = 24;
const NETMASK = '255.255.255.0';

interface Contender {
  /** Key in the JSON output: xs, lwip, lwip2, ... */
  key: string;
  label: string;
  argv: string[];
}

interface Run {
  round: number;
  key: string;
  dir: 'discard' | 'chargen';
  mbps: number;
  load: number;
  /** CPU seconds the stack process used during this transfer (user + system), and the user part. */
  cpu: number;
  user: number;
}

/** `--config` arguments that undo HOST_CONFIG: the stack runs with the board defaults lwIP is built with. */
function boardConfigArgs(): string[] {
  const out: string[] = [];
  for (const key of Object.keys(HOST_CONFIG) as (keyof typeof DEFAULT_CONFIG)[]) {
    out.push('--config', key + '=' + String(DEFAULT_CONFIG[key]));
  }
  return out;
}

const TICK = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on Linux
/** [utime + stime, utime] of a process in seconds, all of its threads; NaN when it is gone. */
function cpuSeconds(pid: number | undefined): [number, number] {
  if (pid === undefined) return [NaN, NaN];
  try {
    const stat = readFileSync('/proc/' + pid + '/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [(Number(f[11]) + Number(f[12])) / TICK, Number(f[11]) / TICK];
  } catch {
    return [NaN, NaN];
  }
}

function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(t);
}

export async function run(): Promise<BenchResult> {
  const apps = (process.env.LWIP_UNIX_APP ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (apps.length === 0 && (process.env.BENCH_XS_CLI ?? '').trim() === '') {
    const msg = 'skipped: LWIP_UNIX_APP is not set (a lwIP unix-port build, see README.md "Side by side with lwIP")';
    process.stderr.write('bench lwip: ' + msg + '\n');
    return { rows: [[msg, '-']], json: { skipped: 1 } };
  }
  for (const a of apps) if (!existsSync(a)) throw new Error('LWIP_UNIX_APP: no such file ' + a);
  const why = skipReason();
  if (why !== '') {
    process.stderr.write('bench lwip: skipped: ' + why + '\n');
    return { rows: [['skipped: ' + why, '-']], json: { skipped: 1 } };
  }
  const bytes = (Number(process.env.BENCH_LWIP_MIB) || Number(process.env.BENCH_TAP_MIB) || 256) * 1024 * 1024;
  const rounds = Number(process.env.BENCH_LWIP_ROUNDS) || 5;
  const warmupEnv = process.env.BENCH_LWIP_WARMUP_MIB;
  const warmup = (warmupEnv !== undefined && warmupEnv !== '' && Number.isFinite(Number(warmupEnv)) ? Number(warmupEnv) : 64) * 1024 * 1024;
  const hostConfig = process.env.BENCH_LWIP_XS_CONFIG === 'host';
  const xsArgv = (cli: string) => [process.execPath, cli, 'up', '--tap', TAP, '--ip', STACK_IP + '/' + PREFIX, '-q',
    ...(hostConfig ? [] : boardConfigArgs())];
  const otherXs = (process.env.BENCH_XS_CLI ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const a of otherXs) if (!existsSync(a)) throw new Error('BENCH_XS_CLI: no such file ' + a);
  const contenders: Contender[] = [
    { key: 'xs', label: 'xs-tcp', argv: xsArgv(CLI) },
    ...otherXs.map((a, i) => ({ key: 'xsAlt' + (i + 1), label: 'xs-tcp ' + a, argv: xsArgv(a) })),
    ...apps.map((a, i) => ({
      key: i === 0 ? 'lwip' : 'lwip' + (i + 1),
      label: 'lwIP ' + basename(a),
      argv: ['env', 'PRECONFIGURED_TAPIF=' + TAP, a, STACK_IP, NETMASK],
    })),
  ];
  const ns = 'xslw' + process.pid;
  const runs: Run[] = [];
  let current: ChildProcess | null = null;
  try {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'tuntap', 'add', 'dev', TAP, 'mode', 'tap');
    ip('-n', ns, 'addr', 'add', KERNEL_IP + '/' + PREFIX, 'dev', TAP);
    ip('-n', ns, 'link', 'set', TAP, 'up');
    const ping = () => spawnSync('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', STACK_IP], { stdio: 'ignore' }).status === 0;
    for (let round = 1; round <= rounds; round++) {
      for (const c of contenders) {
        // each stack has its own MAC: the kernel must not keep the previous one's
        spawnSync('ip', ['-n', ns, 'neigh', 'flush', 'dev', TAP], { stdio: 'ignore' });
        const proc = nsSpawn(ns, c.argv);
        current = proc.child;
        if (!(await waitFor(ping, 15000))) throw new Error(c.label + ' did not answer ping: ' + proc.out());
        // unmeasured warm-up both ways (JavaScript's JIT; the same for the C program, where it is a no-op)
        if (warmup > 0) {
          await peer(ns, 'discard', STACK_IP, 9, warmup);
          await peer(ns, 'chargen', STACK_IP, 19, warmup);
        }
        for (const dir of ['discard', 'chargen'] as const) {
          const load = loadavg()[0];
          const cpu0 = cpuSeconds(proc.child.pid);
          const r = await peer(ns, dir, STACK_IP, dir === 'discard' ? 9 : 19, bytes);
          const cpu1 = cpuSeconds(proc.child.pid);
          const cpu = cpu1[0] - cpu0[0];
          const user = cpu1[1] - cpu0[1];
          if (typeof r.mbps !== 'number') throw new Error(c.label + ' ' + dir + ': ' + JSON.stringify(r));
          if (dir === 'chargen' && (r as Record<string, unknown>).patternOk !== true) throw new Error(c.label + ' chargen: wrong RFC 864 pattern');
          runs.push({ round, key: c.key, dir, mbps: r.mbps, load, cpu, user });
          process.stderr.write('bench lwip: round ' + round + ' ' + c.label.padEnd(28) + ' ' + dir.padEnd(8)
            + r.mbps.toFixed(1).padStart(7) + ' MB/s  cpu ' + cpu.toFixed(2) + ' s (user ' + user.toFixed(2) + ')  load ' + load.toFixed(2) + '\n');
        }
        await stop(proc.child);
        current = null;
      }
    }
  } finally {
    if (current !== null) await stop(current);
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }

  const rows: [string, string][] = [];
  const json: Record<string, number> = { bytes, rounds, warmupBytes: warmup, hostConfig: hostConfig ? 1 : 0 };
  rows.push(['xs-tcp configuration', hostConfig ? 'HOST_CONFIG' : 'DEFAULT_CONFIG']);
  for (const r of runs) {
    const c = contenders.find((x) => x.key === r.key)!;
    rows.push(['#' + r.round + ' ' + c.label + ' ' + r.dir + ' (load ' + r.load.toFixed(2) + ', cpu ' + r.cpu.toFixed(2) + ' s, user ' + r.user.toFixed(2) + ')',
      r.mbps.toFixed(1) + ' MB/s']);
  }
  const dirName = { discard: 'kernel -> stack (discard)', chargen: 'stack -> kernel (chargen)' };
  const med: Record<string, number> = {};
  for (const c of contenders) {
    for (const dir of ['discard', 'chargen'] as const) {
      const mine = runs.filter((r) => r.key === c.key && r.dir === dir);
      const m = median(mine.map((r) => r.mbps));
      // CPU seconds per GB moved, median: what the stack costs, less sensitive to load than MB/s
      const cpuPerGB = median(mine.map((r) => r.cpu / (bytes / 1e9)));
      const userPerGB = median(mine.map((r) => r.user / (bytes / 1e9)));
      med[c.key + dir] = m;
      json[c.key + (dir === 'discard' ? 'KernelToStack' : 'StackToKernel') + 'MBps'] = m;
      json[c.key + (dir === 'discard' ? 'KernelToStack' : 'StackToKernel') + 'CpuSecPerGB'] = cpuPerGB;
      json[c.key + (dir === 'discard' ? 'KernelToStack' : 'StackToKernel') + 'UserSecPerGB'] = userPerGB;
      rows.push([c.label + ' ' + dirName[dir] + ', median', m.toFixed(1) + ' MB/s']);
      rows.push([c.label + ' ' + dirName[dir] + ', CPU per GB (user), median', cpuPerGB.toFixed(2) + ' s (' + userPerGB.toFixed(2) + ')']);
    }
  }
  for (const x of contenders.filter((c) => !c.key.startsWith('lwip'))) {
    for (const c of contenders.filter((l) => l.key.startsWith('lwip'))) {
      for (const dir of ['discard', 'chargen'] as const) {
        const ratio = med[x.key + dir] / med[c.key + dir];
        json['ratio' + (dir === 'discard' ? 'KernelToStack' : 'StackToKernel') + '_' + (x.key === 'xs' ? '' : x.key + '_') + c.key] = ratio;
        rows.push([x.label + ' / ' + c.label + ', ' + dirName[dir], ratio.toFixed(2) + ' x']);
      }
    }
  }
  json.loadMin = Math.min(...runs.map((r) => r.load));
  json.loadMax = Math.max(...runs.map((r) => r.load));
  return { rows, json };
}
