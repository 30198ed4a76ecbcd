/**
 * Bench section "lossy": goodput between the Linux kernel and the stack over a lossy link, with
 * loss recovery as configured by default (SACK, RFC 6675 recovery, tail loss probes) and with it
 * turned off (TCP_SACK=false, TCP_TLP=false: NewReno alone), in the same run.
 *
 *   kernel --TAP-- bench/lossrelay.js (drops frames both ways) --UDP-- xs-tcp up --udp
 *
 * The kernel client (test/interop/peer.js) sends BYTES to the stack's discard service and reads
 * BYTES from its chargen service. The relay drops BENCH_LOSSY_PCT percent (default 1) of the frames
 * in each direction (seeded), so data and ACKs are lost both ways. (A relay rather than tc netem:
 * the kernel this runs on may lack sch_netem.) BENCH_LOSSY_MIB sets
 * the transfer size (default 4). BENCH_LOSSY_CLI may name another build's bin/xs-tcp.js (for
 * instance an older checkout) to measure it as one more variant with its own defaults;
 * BENCH_LOSSY_CONFIG=KEY=VALUE,... adds a variant of this build with those settings.
 *
 * Needs root, /dev/net/tun, iproute2 and the TAP addon; otherwise prints why it is skipped. Names carry our
 * PID; the namespaces are removed and the stacks stopped (by PID) at the end.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './util.js';
import { nsSpawn, waitFor } from './tap.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const CLI = join(root, 'bin', 'xs-tcp.js');
const PEER = join(here, '..', 'test', 'interop', 'peer.js');
const RELAY = join(here, 'lossrelay.js');

function skipReason(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root (TAP, veth, netem and namespaces need root)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  if (spawnSync('sh', ['-c', 'command -v ip'], { stdio: 'ignore' }).status !== 0) return 'iproute2 (`ip`) is not installed';
  if (!existsSync(RELAY)) return 'bench/lossrelay.js is not built';
  if (!existsSync(PEER)) return 'test/interop/peer.js is not built';
  return '';
}

function sh(cmd: string, ...args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(cmd + ' ' + args.join(' ') + ': ' + (r.stderr || '').trim());
}

async function peer(ns: string, ...args: (string | number)[]): Promise<number> {
  const p = nsSpawn(ns, [process.execPath, PEER, ...args.map(String)]);
  await p.exit;
  const lines = p.out().trim().split('\n');
  try {
    const r = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
    return typeof r.mbps === 'number' ? r.mbps : NaN;
  } catch {
    throw new Error('peer ' + args.join(' ') + ': ' + p.out());
  }
}

async function stop(k: ChildProcess): Promise<void> {
  if (k.exitCode !== null || k.signalCode !== null) return;
  k.kill('SIGTERM');
  await new Promise((r) => { const t = setTimeout(() => { k.kill('SIGKILL'); }, 5000); k.once('exit', () => { clearTimeout(t); r(null); }); });
}

interface Variant { name: string; cli: string; config: string[] }

export async function run(): Promise<BenchResult> {
  const why = skipReason();
  if (why !== '') {
    process.stderr.write('bench lossy: skipped: ' + why + '\n');
    return { rows: [['skipped: ' + why, '-']], json: { skipped: 1 } };
  }
  const pct = Number(process.env.BENCH_LOSSY_PCT) || 1;
  const bytes = (Number(process.env.BENCH_LOSSY_MIB) || 4) * 1024 * 1024;
  const variants: Variant[] = [
    { name: 'sackTlp', cli: CLI, config: [] },
    { name: 'newReno', cli: CLI, config: ['--config', 'TCP_SACK=false', '--config', 'TCP_TLP=false'] },
  ];
  // BENCH_LOSSY_CONFIG='KEY=VALUE,...': one more variant with these settings (the two above stay)
  const extra = process.env.BENCH_LOSSY_CONFIG;
  if (extra) variants.push({ name: 'custom', cli: CLI, config: extra.split(',').flatMap((kv) => ['--config', kv]) });
  const other = process.env.BENCH_LOSSY_CLI;
  if (other) variants.push({ name: 'other', cli: resolve(other), config: [] });
  const ns = 'xsl' + process.pid;
  const kids: ChildProcess[] = [];
  try {
    sh('ip', 'netns', 'add', ns);
    sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    sh('ip', '-n', ns, 'tuntap', 'add', 'dev', 'xl0', 'mode', 'tap');
    sh('ip', '-n', ns, 'addr', 'add', '10.204.0.1/24', 'dev', 'xl0');
    sh('ip', '-n', ns, 'link', 'set', 'xl0', 'up');
    const json: Record<string, number> = { lossPct: pct, bytes };
    const rows: [string, string][] = [];
    for (const v of variants) {
      const relay = nsSpawn(ns, [process.execPath, RELAY, 'xl0', '47001', '47002', String(pct / 100), '7']);
      kids.push(relay.child);
      if (!(await waitFor(() => relay.out().includes('relaying'), 10000))) throw new Error('relay: ' + relay.out());
      const up = nsSpawn(ns, [process.execPath, v.cli, 'up', '--udp', '47002:127.0.0.1:47001', '--ip', '10.204.0.2/24',
        '--no-mdns', '-q', ...v.config]);
      kids.push(up.child);
      const ping = () => spawnSync('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', '10.204.0.2'], { stdio: 'ignore' }).status === 0;
      if (!(await waitFor(ping, 15000))) throw new Error('xs-tcp up (' + v.name + ') did not come up: ' + up.out());
      const toStack = await peer(ns, 'discard', '10.204.0.2', 9, bytes);
      const fromStack = await peer(ns, 'chargen', '10.204.0.2', 19, bytes);
      await stop(up.child);
      await stop(relay.child);
      json[v.name + 'KernelToStackMBps'] = +toStack.toFixed(3);
      json[v.name + 'StackToKernelMBps'] = +fromStack.toFixed(3);
      rows.push(['kernel -> xs-tcp, ' + pct + '% loss, ' + v.name, toStack.toFixed(2) + ' MB/s']);
      rows.push(['xs-tcp -> kernel, ' + pct + '% loss, ' + v.name, fromStack.toFixed(2) + ' MB/s']);
    }
    return { rows, json };
  } finally {
    for (const k of kids) await stop(k);
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
}
