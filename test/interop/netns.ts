/** Small shell helpers shared by the interop suites (namespaces, `ip`, polling). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadTapAddon } from '../../hal/host/tap.js';

/** True when `cmd` is on the PATH. */
export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', 'command -v ' + cmd], { stdio: 'ignore' }).status === 0;
}

/** Runs a command to completion: its exit status and stdout + stderr. */
export function sh(args: string[]): { status: number; out: string } {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  return { status: r.status ?? 1, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

/** `ip ARGS`, throwing with its output when it fails. */
export function ipCmd(...args: string[]): void {
  const r = sh(['ip', ...args]);
  if (r.status !== 0) throw new Error('ip ' + args.join(' ') + ': ' + r.out);
}

/** Polls `cond` every 50 ms for up to `ms`; its last value. */
export async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/** Why a suite that opens a TAP with the addon in this process cannot run here, or ''. */
export function tapAddonSkipReason(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root (TAP devices and namespaces need root; CI runs as root)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  if (!have('ip') || !have('ping')) return 'iproute2 (`ip`) or ping is not installed';
  if (loadTapAddon() === null) return 'the TAP addon (hal/host/native) is not built';
  return '';
}
