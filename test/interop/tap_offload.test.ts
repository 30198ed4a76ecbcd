/**
 * The TAP driver's offloads against the Linux kernel (hal/host/vnet.ts, hal/host/gso.ts): `xs-tcp up`
 * on a TAP in a network namespace created here (10.x addresses only), first with the virtio-net
 * header on (the default: checksum offload both ways, the kernel's GSO frames taken by TCP whole as
 * one segment over a pbuf chain, our segments sent as GSO frames that TCP builds over a pbuf chain
 * or the driver gathers), then with the GSO frames cut into segments and ours gathered by the driver
 * only (XS_TCP_TAP_GRO_CHAIN=off, XS_TCP_TAP_TSO=off), then with XS_TCP_TAP_OFFLOAD=off on the same
 * TAP. Kernel
 * sockets are the peers (test/interop/peer.js). What shows that the checksums are right on the
 * wire: the kernel's TCP accepts every segment (the transfers complete with identical bytes) and its
 * counters (nstat: TcpInCsumErrors, IpExtInCsumErrors, IpInHdrErrors) stay at 0 while TcpInSegs grows; the stack counts
 * no checksum error and no bad header. The run without offload after it shows the TAP is handed back
 * with finished checksums (the offload flags are reset when the stack closes the TAP).
 * Needs root, /dev/net/tun, iproute2 (ip, nstat) and the TAP addon; otherwise ONE test says why.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { have, ipCmd as ip, waitFor, tapAddonSkipReason } from './netns.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..', '..');
const CLI = join(root, 'bin', 'xs-tcp.js');
const PEER = join(here, 'peer.js');


// nstat is part of iproute2: when root can run the suite it must be there, not skipped silently
function requireNstat(): void {
  assert.ok(have('nstat'), 'nstat (iproute2) is missing: install iproute2');
}

const NS = 'xso' + process.pid;
const TAP = 'xo0';
const KERNEL = '10.205.0.1';
const BOARD = '10.205.0.2';

interface Proc { child: ChildProcess; stdout: string; stderr: string; exit: Promise<number> }

function nsStart(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn('ip', ['netns', 'exec', NS, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const p: Proc = { child, stdout: '', stderr: '', exit: Promise.resolve(0) };
  child.stdout!.on('data', (d: Buffer) => { p.stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { p.stderr += d.toString(); });
  p.exit = new Promise((r) => child.once('exit', (code, sig) => r(code ?? (sig ? 128 : 1))));
  return p;
}

async function peer(...args: (string | number)[]): Promise<Record<string, any>> {
  const p = nsStart([process.execPath, PEER, ...args.map(String)]);
  const code = await p.exit;
  const last = p.stdout.trim().split('\n').pop() ?? '';
  let r: Record<string, any>;
  try { r = JSON.parse(last) as Record<string, any>; } catch { throw new Error('peer ' + args.join(' ') + ' exited ' + code + ': ' + last + p.stderr); }
  if (code !== 0 && r.error === undefined) r.error = 'exit ' + code;
  return r;
}

/** The namespace's kernel counters named (absolute values). */
function nstat(...names: string[]): Record<string, number> {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'nstat', '-az', ...names], { encoding: 'utf8' });
  const out: Record<string, number> = {};
  for (const line of (r.stdout ?? '').split('\n')) {
    const m = /^(\w+)\s+(\d+)/.exec(line);
    if (m !== null) out[m[1]] = Number(m[2]);
  }
  for (const n of names) assert.ok(n in out, 'nstat did not report ' + n + ': ' + r.stdout + r.stderr);
  return out;
}

/** Segments the kernel's TCP took, and the counters a wrong TCP or IPv4 checksum would raise. */
const COUNTERS = ['TcpInSegs', 'TcpInCsumErrors', 'IpExtInCsumErrors', 'IpInHdrErrors'];

interface RunResult { driver: Record<string, number>; tcp: Record<string, number>; udp: Record<string, number>; ip: Record<string, number>; before: Record<string, number>; after: Record<string, number> }

/** Brings the stack up (env: offload on or off), moves data both ways, stops it; its counters. */
async function transfer(env: Record<string, string>): Promise<RunResult> {
  const up = nsStart([process.execPath, CLI, 'up', '--tap', TAP, '--ip', BOARD + '/24', '-q'], { XS_TCP_STATS: '1', ...env });
  try {
    const ping = () => spawnSync('ip', ['netns', 'exec', NS, 'ping', '-c', '1', '-W', '1', BOARD], { stdio: 'ignore' }).status === 0;
    assert.ok(await waitFor(() => ping() || up.child.exitCode !== null, 15000) && up.child.exitCode === null, 'xs-tcp up did not answer ping: ' + up.stderr);
    const before = nstat(...COUNTERS);
    const e = await peer('echo', BOARD, 7, 4 * 1024 * 1024);
    assert.equal(e.error, undefined, JSON.stringify(e));
    assert.equal(e.received, 4 * 1024 * 1024);
    assert.equal(e.receivedSha, e.sentSha, 'echo: identical bytes');
    const d = await peer('discard', BOARD, 9, 16 * 1024 * 1024);
    assert.equal(d.error, undefined, JSON.stringify(d));
    const c = await peer('chargen', BOARD, 19, 16 * 1024 * 1024);
    assert.equal(c.error, undefined, JSON.stringify(c));
    assert.equal(c.patternOk, true, 'chargen: the RFC 864 pattern');
    const after = nstat(...COUNTERS);
    up.child.kill('SIGTERM');
    assert.equal(await up.exit, 0, up.stderr);
    const m = /xs-tcp stats: (.*)/.exec(up.stderr);
    assert.ok(m !== null, 'no stats line: ' + up.stderr);
    const st = JSON.parse(m[1]) as Record<string, Record<string, number>>;
    return { driver: st.driver, tcp: st.tcp, udp: st.udp, ip: st.ip, before, after };
  } finally {
    if (up.child.exitCode === null && up.child.signalCode === null) up.child.kill('SIGKILL');
    await up.exit;
  }
}

const reason = tapAddonSkipReason();

describe('interop: TAP checksum and segmentation offload, the Linux kernel as peer', function () {
  this.timeout(120000);
  if (reason !== '') {
    it('is skipped here: ' + reason, function () {
      console.log('      TAP offload suite skipped: ' + reason);
    });
    return;
  }

  before(function () {
    requireNstat();
    ip('netns', 'add', NS);
    ip('-n', NS, 'link', 'set', 'lo', 'up');
    ip('-n', NS, 'tuntap', 'add', 'dev', TAP, 'mode', 'tap');
    ip('-n', NS, 'addr', 'add', KERNEL + '/24', 'dev', TAP);
    ip('-n', NS, 'link', 'set', TAP, 'up');
  });

  after(function () {
    spawnSync('ip', ['netns', 'del', NS]);
  });

  it('offload on: echo, discard and chargen complete; the kernel counts no checksum error; GSO frames both ways', async function () {
    const r = await transfer({});
    const grew = r.after.TcpInSegs - r.before.TcpInSegs;
    // (a GSO frame counts once)
    assert.ok(grew > 1000, 'the kernel took ' + grew + ' segments');
    for (const n of COUNTERS.filter((x) => x !== 'TcpInSegs')) assert.equal(r.after[n] - r.before[n], 0, n);
    assert.equal(r.tcp.chkerr, 0, 'stack: TCP checksum errors');
    assert.equal(r.driver.rxBadVnet, 0, 'driver: bad virtio-net headers');
    assert.equal(r.driver.rxErrors, 0);
    assert.equal(r.driver.txErrors, 0);
    // the kernel's GSO frames went to TCP whole, each one segment over a pbuf chain, with IPv4
    // headers the stack accepted (the kernel's header checksum over the whole frame's length)
    assert.ok(r.driver.rxGroChains > 0 && r.driver.rxGroChains <= r.driver.rxGsoFrames, 'kernel GSO frames taken whole: ' + JSON.stringify(r.driver));
    assert.equal(r.ip.chkerr, 0, 'stack: IPv4 header checksum errors');
    assert.equal(r.ip.lenerr, 0, 'stack: IPv4 length errors');
    assert.ok(r.driver.txGsoFrames > 0 && r.driver.txGsoSegs > r.driver.txGsoFrames, 'our segments gathered: ' + JSON.stringify(r.driver));
    // most of them built by TCP itself (NetDriver.txTcpSegmentation)
    assert.ok(r.driver.txTsoFrames > 0, 'TCP segmentation offload: ' + JSON.stringify(r.driver));
    console.log('      offload on: ' + r.driver.rxGsoFrames + ' GSO frames in (' + r.driver.rxGroChains + ' taken whole, '
      + r.driver.rxGroChainFallbacks + ' cut for want of pool pbufs), '
      + r.driver.txGsoFrames + ' out (' + r.driver.txTsoFrames + ' built by TCP; ' + r.driver.txGsoSegs + ' segments), kernel took ' + grew + ' segments');
  });

  it('XS_TCP_TAP_GRO_CHAIN=off and XS_TCP_TAP_TSO=off: GSO frames cut into segments, ours gathered by the driver; the transfers still complete', async function () {
    const r = await transfer({ XS_TCP_TAP_GRO_CHAIN: 'off', XS_TCP_TAP_TSO: 'off' });
    assert.equal(r.driver.txTsoFrames, 0);
    assert.ok(r.driver.txGsoFrames > 0);
    for (const n of COUNTERS.filter((x) => x !== 'TcpInSegs')) assert.equal(r.after[n] - r.before[n], 0, n);
    assert.equal(r.tcp.chkerr, 0);
    assert.equal(r.driver.rxErrors, 0);
    assert.equal(r.driver.rxGroChains, 0);
    assert.ok(r.driver.rxGsoFrames > 0 && r.driver.rxGsoSegs > r.driver.rxGsoFrames, 'kernel GSO frames cut: ' + JSON.stringify(r.driver));
  });

  it('offload off on the same TAP afterwards: the kernel hands over finished checksums again', async function () {
    const r = await transfer({ XS_TCP_TAP_OFFLOAD: 'off' });
    for (const n of COUNTERS.filter((x) => x !== 'TcpInSegs')) assert.equal(r.after[n] - r.before[n], 0, n);
    assert.equal(r.tcp.chkerr, 0, 'stack: TCP checksum errors (a partial sum would fail here)');
    assert.equal(r.driver.rxGsoFrames, 0);
    assert.equal(r.driver.txGsoFrames, 0);
  });
});
