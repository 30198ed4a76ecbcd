/**
 * A hostile LAN against `xs-tcp up` over a TAP, with the Linux kernel as the honest client: a
 * scapy-driven SYN flood (test/interop/attack.py, Debian's python3-scapy) while the kernel keeps
 * connecting, and an ARP poisoning attempt on the kernel's address while the kernel pings. The same
 * conventions as tap.test.ts: a private network namespace named with our PID, 10.x addresses only
 * inside it, everything stopped by PID and the namespace deleted in after(). Needs root; when root
 * but scapy is missing, the suite FAILS (it does not skip): .ci/run installs python3-scapy.
 * Bounded: 10,000 SYNs, 60 ARP claims, a few seconds each.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..', '..');
const CLI = join(root, 'bin', 'xs-tcp.js');
const ATTACK = join(root, 'test', 'interop', 'attack.py');
/** Debian's interpreter, where python3-scapy installs (a python3 earlier on PATH may lack it). */
const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const NS = 'xsa' + process.pid;
const KERNEL = '10.202.0.1';
const BOARD = '10.202.0.2';
const TAP = 'xa0';

function sh(args: string[]): { status: number; out: string } {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  return { status: r.status ?? 1, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

function notRunnable(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root (network namespaces and TAP devices need root; CI runs as root)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  if (sh(['sh', '-c', 'command -v ip']).status !== 0) return 'iproute2 (`ip`) is not installed';
  return '';
}

/** When root, a missing scapy is an error, not a reason to skip. */
function scapyMissing(): string {
  const r = sh([PY, '-c', 'import scapy.all']);
  return r.status === 0 ? '' : 'python3-scapy is not installed (apt-get install python3-scapy; .ci/run installs it): ' + r.out.trim().split('\n').pop();
}

const reason = notRunnable();

describe('interop: a hostile LAN against xs-tcp up on a TAP (scapy attacker, kernel client)', function () {
  this.timeout(120000);

  if (reason !== '') {
    it('is skipped here: ' + reason, function () {
      console.log('      attack interop suite skipped: ' + reason);
    });
    return;
  }

  let up: ChildProcess | null = null;
  let upErr = '';

  before(async function () {
    const missing = scapyMissing();
    assert.equal(missing, '', missing);
    for (const a of [['netns', 'add', NS], ['-n', NS, 'link', 'set', 'lo', 'up'], ['-n', NS, 'tuntap', 'add', 'dev', TAP, 'mode', 'tap'],
      ['-n', NS, 'addr', 'add', KERNEL + '/24', 'dev', TAP], ['-n', NS, 'link', 'set', TAP, 'up']]) {
      const r = sh(['ip', ...a]);
      assert.equal(r.status, 0, 'ip ' + a.join(' ') + ': ' + r.out);
    }
    up = spawn('ip', ['netns', 'exec', NS, process.execPath, CLI, 'up', '--tap', TAP, '--ip', BOARD + '/24'], { stdio: ['ignore', 'ignore', 'pipe'] });
    up.stderr!.on('data', (d: Buffer) => { upErr += d.toString(); });
    const end = Date.now() + 15000;
    while (Date.now() < end && sh(['ip', 'netns', 'exec', NS, 'ping', '-c', '1', '-W', '1', BOARD]).status !== 0) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(sh(['ip', 'netns', 'exec', NS, 'ping', '-c', '1', '-W', '1', BOARD]).status, 0, 'xs-tcp up does not answer: ' + upErr);
  });

  after(async function () {
    if (up !== null && up.exitCode === null && up.signalCode === null) {
      const done = new Promise((r) => up!.once('exit', r));
      up.kill('SIGKILL');
      await done;
    }
    spawnSync('ip', ['netns', 'del', NS]);
  });

  function attack(...args: string[]): Record<string, number | string> {
    const r = spawnSync('ip', ['netns', 'exec', NS, PY, ATTACK, ...args], { encoding: 'utf8', timeout: 90000 });
    const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
    assert.equal(r.status, 0, 'attack.py ' + args.join(' ') + ' exited ' + r.status + ': ' + r.stderr + last);
    return JSON.parse(last) as Record<string, number | string>;
  }

  it('ARP poisoning of the kernel\'s address: the board keeps answering the real MAC', function () {
    const r = attack('arppoison', TAP, BOARD, KERNEL, '60');
    console.log('      ARP poisoning: ' + JSON.stringify(r));
    assert.equal(r.claims, 120);
    assert.ok(Number(r.pingsAnswered) >= 57, 'pings answered while the kernel\'s address was claimed: ' + r.pingsAnswered + ' of 60');
  });

  it('SYN flood (10,000 spoofed SYNs): >= 90% of the kernel\'s connects succeed, all within 1 s after the flood', function () {
    const r = attack('synflood', TAP, BOARD, '7', '10000', '10.202.0');
    console.log('      SYN flood: ' + JSON.stringify(r));
    assert.equal(r.sent, 10000);
    assert.ok(Number(r.connects) > 10, 'the kernel kept connecting');
    assert.ok(Number(r.ok) >= 0.9 * Number(r.connects), 'connects that succeeded: ' + r.ok + ' of ' + r.connects);
    assert.ok(Number(r.latestDoneAfterFloodMs) <= 1000, 'latest connect started during the flood done ' + r.latestDoneAfterFloodMs + ' ms after it');
    assert.equal(sh(['ip', 'netns', 'exec', NS, 'ping', '-c', '1', '-W', '2', BOARD]).status, 0, 'the board still answers ping');
    assert.equal(up!.exitCode, null, 'xs-tcp up is still running: ' + upErr);
  });
});
