/**
 * Bench section "tap": TCP throughput between the Linux kernel and the stack over a TAP device,
 * next to kernel <-> kernel over a veth pair measured in the same run, with the same client:
 *
 *   kernel -> stack   the kernel sends BYTES to xs-tcp's discard service (RFC 863)
 *   stack -> kernel   the kernel reads BYTES from xs-tcp's chargen service (RFC 864)
 *   kernel <-> kernel the same two transfers against kernel-socket discard/chargen servers across a
 *                     veth pair between two network namespaces
 *
 * Needs root and /dev/net/tun (namespaces, TAP, veth); otherwise prints why it is skipped. Names carry
 * our PID; everything is removed at the end. BENCH_TAP_MIB sets the transfer size (default 64).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './util.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const CLI = join(root, 'bin', 'xs-tcp.js');
const PEER = join(here, '..', 'test', 'interop', 'peer.js');

export function skipReason(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root (TAP, veth and namespaces need root)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  if (spawnSync('sh', ['-c', 'command -v ip'], { stdio: 'ignore' }).status !== 0) return 'iproute2 (`ip`) is not installed';
  if (!existsSync(PEER)) return 'test/interop/peer.js is not built';
  return '';
}

export function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('ip ' + args.join(' ') + ': ' + (r.stderr || '').trim());
}

export function nsSpawn(ns: string, args: string[]): { child: ChildProcess; out: () => string; exit: Promise<number> } {
  const child = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exit = new Promise<number>((r) => child.once('exit', (c) => r(c ?? 1)));
  return { child, out: () => out, exit };
}

export async function peer(ns: string, ...args: (string | number)[]): Promise<Record<string, number | string>> {
  const p = nsSpawn(ns, [process.execPath, PEER, ...args.map(String)]);
  await p.exit;
  const lines = p.out().trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, number | string>;
}

export async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

function mb(v: number): string {
  return v.toFixed(1) + ' MB/s';
}

export async function run(): Promise<BenchResult> {
  const why = skipReason();
  if (why !== '') {
    process.stderr.write('bench tap: skipped: ' + why + '\n');
    return { rows: [['skipped: ' + why, '-']], json: { skipped: 1 } };
  }
  const bytes = (Number(process.env.BENCH_TAP_MIB) || 64) * 1024 * 1024;
  const nsT = 'xsbt' + process.pid;
  const nsA = 'xsba' + process.pid;
  const nsB = 'xsbb' + process.pid;
  const kids: ChildProcess[] = [];
  try {
    // --- the stack on a TAP ---------------------------------------------------------------
    ip('netns', 'add', nsT);
    ip('-n', nsT, 'link', 'set', 'lo', 'up');
    ip('-n', nsT, 'tuntap', 'add', 'dev', 'xb0', 'mode', 'tap');
    ip('-n', nsT, 'addr', 'add', '10.202.0.1/24', 'dev', 'xb0');
    ip('-n', nsT, 'link', 'set', 'xb0', 'up');
    const up = nsSpawn(nsT, [process.execPath, CLI, 'up', '--tap', 'xb0', '--ip', '10.202.0.2/24', '-q']);
    kids.push(up.child);
    const ping = () => spawnSync('ip', ['netns', 'exec', nsT, 'ping', '-c', '1', '-W', '1', '10.202.0.2'], { stdio: 'ignore' }).status === 0;
    if (!(await waitFor(ping, 15000))) throw new Error('xs-tcp up did not come up: ' + up.out());
    const tapDiscard = await peer(nsT, 'discard', '10.202.0.2', 9, bytes);
    const tapChargen = await peer(nsT, 'chargen', '10.202.0.2', 19, bytes);

    // --- kernel <-> kernel over veth -------------------------------------------------------
    ip('netns', 'add', nsA);
    ip('netns', 'add', nsB);
    ip('-n', nsA, 'link', 'add', 'xva', 'type', 'veth', 'peer', 'name', 'xvb', 'netns', nsB);
    ip('-n', nsA, 'addr', 'add', '10.202.1.1/24', 'dev', 'xva');
    ip('-n', nsB, 'addr', 'add', '10.202.1.2/24', 'dev', 'xvb');
    ip('-n', nsA, 'link', 'set', 'xva', 'up');
    ip('-n', nsB, 'link', 'set', 'xvb', 'up');
    const dsrv = nsSpawn(nsB, [process.execPath, PEER, 'discard-server', '10.202.1.2', '9']);
    const csrv = nsSpawn(nsB, [process.execPath, PEER, 'chargen-server', '10.202.1.2', '19']);
    kids.push(dsrv.child, csrv.child);
    await waitFor(() => dsrv.out().includes('listening') && csrv.out().includes('listening'), 10000);
    const vethDiscard = await peer(nsA, 'discard', '10.202.1.2', 9, bytes);
    const vethChargen = await peer(nsA, 'chargen', '10.202.1.2', 19, bytes);

    const f = (r: Record<string, number | string>) => (typeof r.mbps === 'number' ? r.mbps : NaN);
    const json = {
      kernelToStackTapMBps: f(tapDiscard),
      stackToKernelTapMBps: f(tapChargen),
      kernelToKernelVethDiscardMBps: f(vethDiscard),
      kernelToKernelVethChargenMBps: f(vethChargen),
      bytes,
    };
    return {
      rows: [
        ['kernel -> xs-tcp, TAP (discard)', mb(json.kernelToStackTapMBps)],
        ['xs-tcp -> kernel, TAP (chargen)', mb(json.stackToKernelTapMBps)],
        ['kernel -> kernel, veth (discard)', mb(json.kernelToKernelVethDiscardMBps)],
        ['kernel -> kernel, veth (chargen)', mb(json.kernelToKernelVethChargenMBps)],
      ],
      json,
    };
  } finally {
    for (const k of kids) if (k.exitCode === null && k.signalCode === null) k.kill('SIGTERM');
    await Promise.all(kids.map((k) => (k.exitCode !== null || k.signalCode !== null) ? null
      : new Promise((r) => { const t = setTimeout(() => { k.kill('SIGKILL'); }, 5000); k.once('exit', () => { clearTimeout(t); r(null); }); })));
    for (const ns of [nsT, nsA, nsB]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
}
