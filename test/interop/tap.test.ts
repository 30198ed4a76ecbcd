/**
 * Interop with the Linux kernel's TCP: the stack runs as `xs-tcp up` on a TAP device inside a
 * network namespace this suite creates (names carry our PID; 10.x addresses exist only inside it),
 * and the kernel — ping, nc, and node:net sockets run with `ip netns exec` (test/interop/peer.ts) —
 * is the peer. Needs root, /dev/net/tun, iproute2 and a built TAP addon or socat; otherwise ONE test
 * runs that prints why the suite is skipped.
 *
 * Everything started here is stopped by PID in after(), and the namespace is deleted.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes, createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { have, sh, ipCmd as ip, waitFor } from './netns.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The package root: dist/test/interop/ -> ../../.. */
const root = resolve(here, '..', '..', '..');
const CLI = join(root, 'bin', 'xs-tcp.js');
const PEER = join(here, 'peer.js');

function addonBuilt(): boolean {
  return existsSync(join(root, 'hal', 'host', 'native', 'build', 'Release', 'xs_tcp_tap.node'));
}

/** Why the suite cannot run here, or '' when it can. */
function skipReason(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root (network namespaces and TAP devices need root; CI runs as root)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing (no TUN/TAP support in this kernel or container)';
  if (!have('ip')) return 'iproute2 (`ip`) is not installed';
  if (!existsSync(CLI) || !existsSync(join(root, 'dist', 'bin', 'cli.js'))) return 'the CLI is not built at ' + root + '/dist';
  if (!addonBuilt() && !have('socat')) return 'neither the TAP addon (hal/host/native) nor socat is available';
  const probe = 'xsprobe' + process.pid;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return 'cannot create a network namespace: ' + (r.stderr || '').trim();
  spawnSync('ip', ['netns', 'del', probe]);
  return '';
}

const NS = 'xsi' + process.pid;
const KERNEL = '10.201.0.1';
const BOARD = '10.201.0.2';

interface Proc {
  child: ChildProcess;
  stdout: Buffer[];
  stderr: string;
  exit: Promise<number>;
}

const procs: Proc[] = [];

function start(cmd: string, args: string[], stdin: 'ignore' | 'pipe' = 'ignore', env?: Record<string, string>): Proc {
  const child = spawn(cmd, args, { stdio: [stdin, 'pipe', 'pipe'], env: env === undefined ? process.env : { ...process.env, ...env } });
  const p: Proc = { child, stdout: [], stderr: '', exit: Promise.resolve(0) };
  child.stdout!.on('data', (d: Buffer) => p.stdout.push(d));
  child.stderr!.on('data', (d: Buffer) => { p.stderr += d.toString(); });
  p.exit = new Promise((r) => child.once('exit', (code, sig) => r(code ?? (sig ? 128 : 1))));
  procs.push(p);
  return p;
}

function nsStart(args: string[], stdin: 'ignore' | 'pipe' = 'ignore', env?: Record<string, string>): Proc {
  return start('ip', ['netns', 'exec', NS, ...args], stdin, env);
}

/** Runs a peer command in the namespace; resolves to its JSON result. */
async function peer(...args: (string | number)[]): Promise<Record<string, any>> {
  const p = nsStart([process.execPath, PEER, ...args.map(String)]);
  const code = await p.exit;
  const lines = Buffer.concat(p.stdout).toString().trim().split('\n');
  const last = lines[lines.length - 1];
  let r: Record<string, any>;
  try {
    r = JSON.parse(last) as Record<string, any>;
  } catch {
    throw new Error('peer ' + args.join(' ') + ' exited ' + code + ': ' + last + ' ' + p.stderr);
  }
  if (code !== 0 && r.error === undefined) r.error = 'exit ' + code;
  return r;
}

function pingOnce(addr: string): boolean {
  return sh(['ip', 'netns', 'exec', NS, 'ping', '-c', '1', '-W', '1', addr]).status === 0;
}

async function stop(p: Proc, sig: NodeJS.Signals = 'SIGTERM'): Promise<number> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(sig);
  return p.exit;
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function mbps(bytes: number, ms: number): string {
  return (bytes / ms / 1000).toFixed(1) + ' MB/s';
}

const reason = skipReason();

describe('interop: xs-tcp on a TAP, the Linux kernel as peer', function () {
  this.timeout(120000);

  if (reason !== '') {
    it('is skipped here: ' + reason, function () {
      console.log('      interop suite skipped: ' + reason);
    });
    return;
  }

  let up: Proc;
  let tmp = '';

  before(async function () {
    tmp = mkdtempSync(join(tmpdir(), 'xs-tcp-interop-'));
    ip('netns', 'add', NS);
    ip('-n', NS, 'link', 'set', 'lo', 'up');
    ip('-n', NS, 'tuntap', 'add', 'dev', 'xi0', 'mode', 'tap');
    ip('-n', NS, 'addr', 'add', KERNEL + '/24', 'dev', 'xi0');
    ip('-n', NS, 'link', 'set', 'xi0', 'up');
    up = nsStart([process.execPath, CLI, 'up', '--tap', 'xi0', '--ip', BOARD + '/24', '--netstat', '1']);
    const ready = await waitFor(() => pingOnce(BOARD) || up.child.exitCode !== null, 15000);
    assert.ok(ready && up.child.exitCode === null, 'xs-tcp up did not answer ping: ' + up.stderr);
  });

  after(async function () {
    for (const p of procs) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL');
      }
    }
    await Promise.all(procs.map((p) => p.exit));
    spawnSync('ip', ['netns', 'del', NS]);
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  it('answers ping', function () {
    const r = sh(['ip', 'netns', 'exec', NS, 'ping', '-c', '3', '-i', '0.2', '-W', '2', BOARD]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /3 received/);
  });

  it('echoes 4 MiB of random bytes with an identical sha256 (RFC 862)', async function () {
    const r = await peer('echo', BOARD, 7, 4 * 1024 * 1024);
    assert.equal(r.error, undefined, JSON.stringify(r));
    assert.equal(r.received, 4 * 1024 * 1024);
    assert.equal(r.receivedSha, r.sentSha);
    console.log('      echo 4 MiB round trip: ' + mbps(r.sent, r.ms));
  });

  it('serves 16 parallel echo clients', async function () {
    const r = await peer('parallel', BOARD, 7, 16, 256 * 1024);
    assert.equal(r.ok, 16, JSON.stringify(r.results.filter((x: any) => x.sentSha !== x.receivedSha)).slice(0, 2000));
  });

  it('serves 300 sequential daytime connections, each one line + CRLF, the server closing first (RFC 867)', async function () {
    const r = await peer('daytime', BOARD, 13, 300);
    assert.equal(r.served, 300, JSON.stringify(r));
    console.log('      daytime: ' + JSON.stringify(r.first) + ' x ' + r.served + ' in ' + (r.ms / 1000).toFixed(1) + ' s');
    // The server closed first, so TIME_WAIT is on the stack's side, not the kernel's.
    const ss = sh(['ip', 'netns', 'exec', NS, 'ss', '-tan', 'state', 'time-wait', 'dport', '=', ':13']);
    const kernelTw = ss.out.trim().split('\n').filter((l) => l.includes(':13')).length;
    assert.equal(kernelTw, 0, 'kernel holds TIME_WAIT: ' + ss.out);
    const seen = await waitFor(() => /\s10\.201\.0\.2:13\s+10\.201\.0\.1:\d+\s+TIME_WAIT/.test(up.stderr), 3000);
    assert.ok(seen, 'the stack\'s netstat never showed a TIME_WAIT on port 13');
  });

  it('echoes everything back after the client half-closes', async function () {
    const r = await peer('halfclose', BOARD, 7, 200000);
    assert.equal(r.error, undefined, JSON.stringify(r));
    assert.equal(r.received, 200000);
    assert.equal(r.receivedSha, r.sentSha);
  });

  it('refuses a connection to a closed port (RST)', async function () {
    const r = await peer('refused', BOARD, 4444);
    assert.equal(r.refused, true, JSON.stringify(r));
    if (have('nc')) {
      const n = sh(['ip', 'netns', 'exec', NS, 'nc', '-z', '-w', '3', BOARD, '4444']);
      assert.notEqual(n.status, 0, 'nc -z succeeded on a closed port');
    }
  });

  it('the kernel negotiates window scale with the stack (RFC 7323 §2.2)', async function () {
    const holder = nsStart([process.execPath, PEER, 'hold', BOARD, '9']);
    assert.ok(await waitFor(() => Buffer.concat(holder.stdout).toString().includes('connected'), 10000), holder.stderr);
    // ss -i prints "wscale:<the stack's shift>,<the kernel's>" only when both SYNs carried the
    // option (the stack's shift is 0: its window fits 16 bits)
    const ss = sh(['ip', 'netns', 'exec', NS, 'ss', '-tin', 'state', 'established', 'dst', BOARD]);
    await stop(holder);
    assert.match(ss.out, /\bwscale:0,\d+/, ss.out);
  });

  it('discard takes a 32 MiB stream and closes after the client\'s FIN (RFC 863)', async function () {
    const r = await peer('discard', BOARD, 9, 32 * 1024 * 1024);
    assert.equal(r.error, undefined, JSON.stringify(r));
    console.log('      discard (kernel -> stack): ' + mbps(r.bytes, r.ms));
  });

  it('chargen sends the RFC 864 ring until the client closes', async function () {
    const r = await peer('chargen', BOARD, 19, 32 * 1024 * 1024);
    assert.equal(r.error, undefined, JSON.stringify(r));
    assert.ok(r.bytes >= 32 * 1024 * 1024);
    assert.equal(r.patternOk, true, 'first line: ' + r.firstLine);
    console.log('      chargen (stack -> kernel): ' + mbps(r.bytes, r.ms));
  });

  describe('xs-tcp nc (a second stack on a second TAP)', function () {
    const K2 = '10.201.1.1';
    const B2 = '10.201.1.2';
    let fileIn = '';
    let fileOut = '';

    before(function () {
      ip('-n', NS, 'tuntap', 'add', 'dev', 'xi1', 'mode', 'tap');
      ip('-n', NS, 'addr', 'add', K2 + '/24', 'dev', 'xi1');
      ip('-n', NS, 'link', 'set', 'xi1', 'up');
      fileIn = join(tmp, 'to-kernel.bin');
      fileOut = join(tmp, 'to-stack.bin');
      writeFileSync(fileIn, randomBytes(1024 * 1024));
      writeFileSync(fileOut, randomBytes(1024 * 1024));
    });

    async function runNc(args: string[], input: string): Promise<{ code: number; out: Buffer; err: string }> {
      const p = nsStart([process.execPath, CLI, 'nc', '--tap', 'xi1', '--ip', B2 + '/24', ...args], 'pipe');
      // nc may exit (refused) before it has read its stdin: a broken pipe here is expected
      p.child.stdin!.on('error', () => { /* EPIPE */ });
      p.child.stdin!.end(readFileSync(input));
      const code = await p.exit;
      return { code, out: Buffer.concat(p.stdout), err: p.stderr };
    }

    it('as a client of a kernel listener: 1 MiB each way, identical', async function () {
      const srv = nsStart([process.execPath, PEER, 'serve', K2, '5001', fileOut]);
      assert.ok(await waitFor(() => Buffer.concat(srv.stdout).toString().includes('listening'), 10000), srv.stderr);
      const nc = await runNc([K2, '5001'], fileIn);
      assert.equal(nc.code, 0, 'nc exit ' + nc.code + ': ' + nc.err);
      assert.equal(await srv.exit, 0, srv.stderr);
      const r = JSON.parse(Buffer.concat(srv.stdout).toString().trim().split('\n').pop()!) as Record<string, any>;
      assert.equal(r.received, 1024 * 1024);
      assert.equal(r.receivedSha, sha(readFileSync(fileIn)), 'kernel got different bytes');
      assert.equal(nc.out.length, 1024 * 1024);
      assert.equal(sha(nc.out), sha(readFileSync(fileOut)), 'nc wrote different bytes to stdout');
    });

    it('as a listener for a kernel client: 1 MiB each way, identical', async function () {
      const ncP = runNc(['-l', '5002'], fileIn);
      const r = await peer('connect', B2, 5002, fileOut);
      const nc = await ncP;
      assert.equal(r.error, undefined, JSON.stringify(r) + ' nc: ' + nc.err);
      assert.equal(nc.code, 0, 'nc exit ' + nc.code + ': ' + nc.err);
      assert.equal(r.received, 1024 * 1024);
      assert.equal(r.receivedSha, sha(readFileSync(fileIn)), 'kernel got different bytes');
      assert.equal(sha(nc.out), sha(readFileSync(fileOut)), 'nc wrote different bytes to stdout');
    });

    it('reports a refused connection with a message and a non-zero exit', async function () {
      const nc = await runNc([K2, '5999'], fileIn);
      assert.notEqual(nc.code, 0);
      assert.match(nc.err, /refused/);
      assert.equal(nc.out.length, 0);
    });
  });

  describe('the UDP frame tunnel, bridged to a TAP by socat', function () {
    const K3 = '10.201.2.1';
    const B3 = '10.201.2.2';
    before(function () {
      assert.ok(have('socat'), 'socat is needed for the tunnel tests (apt-get install socat; .ci/run installs it)');
    });

    it('echoes 1 MiB with an identical sha256', async function () {
      ip('-n', NS, 'tuntap', 'add', 'dev', 'xi2', 'mode', 'tap');
      ip('-n', NS, 'addr', 'add', K3 + '/24', 'dev', 'xi2');
      ip('-n', NS, 'link', 'set', 'xi2', 'up');
      const stackPort = 17000 + (process.pid % 1000);
      const socatPort = stackPort + 1000;
      const socat = nsStart(['socat', '-b', '65536', 'TUN,tun-name=xi2,tun-type=tap,iff-no-pi',
        'UDP-DATAGRAM:127.0.0.1:' + stackPort + ',bind=127.0.0.1:' + socatPort]);
      const udpUp = nsStart([process.execPath, CLI, 'up', '--udp', stackPort + ':127.0.0.1:' + socatPort, '--ip', B3 + '/24']);
      assert.ok(await waitFor(() => pingOnce(B3), 15000), 'no ping through the tunnel: ' + udpUp.stderr + socat.stderr);
      const r = await peer('echo', B3, 7, 1024 * 1024);
      assert.equal(r.error, undefined, JSON.stringify(r));
      assert.equal(r.receivedSha, r.sentSha);
      console.log('      echo 1 MiB through socat + UDP tunnel: ' + mbps(r.sent, r.ms));
      assert.equal(await stop(udpUp), 0, udpUp.stderr);
      await stop(socat);
    });
  });

  it('--tap also works through the socat bridge (the fallback when the addon is not built)', async function () {
    assert.ok(have('socat'), 'socat is needed for the socat fallback (apt-get install socat; .ci/run installs it)');
    ip('-n', NS, 'tuntap', 'add', 'dev', 'xi3', 'mode', 'tap');
    ip('-n', NS, 'addr', 'add', '10.201.3.1/24', 'dev', 'xi3');
    ip('-n', NS, 'link', 'set', 'xi3', 'up');
    const p = nsStart([process.execPath, CLI, 'up', '--tap', 'xi3', '--ip', '10.201.3.2/24'], 'ignore', { XS_TCP_TAP_DRIVER: 'socat' });
    assert.ok(await waitFor(() => pingOnce('10.201.3.2'), 15000), 'no ping: ' + p.stderr);
    assert.match(p.stderr, /socat bridge/);
    const r = await peer('echo', '10.201.3.2', 7, 256 * 1024);
    assert.equal(r.receivedSha, r.sentSha, JSON.stringify(r));
    assert.equal(await stop(p), 0, p.stderr);
  });

  it('on SIGTERM closes its connections (FIN) and exits 0 within 5 s', async function () {
    const holder = nsStart([process.execPath, PEER, 'hold', BOARD, '7']);
    assert.ok(await waitFor(() => Buffer.concat(holder.stdout).toString().includes('connected'), 10000), holder.stderr);
    const t0 = Date.now();
    const code = await Promise.race([stop(up), new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
    const ms = Date.now() - t0;
    assert.equal(code, 0, 'exit ' + code + ' after ' + ms + ' ms: ' + up.stderr.slice(-2000));
    assert.ok(ms < 5000);
    await holder.exit;
    const r = JSON.parse(Buffer.concat(holder.stdout).toString().trim().split('\n').pop()!) as Record<string, any>;
    assert.equal(r.closedBy, 'fin', 'the open connection was not closed with a FIN: ' + JSON.stringify(r));
  });
});
