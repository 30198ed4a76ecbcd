/**
 * Interop on a LAN: dnsmasq (Debian) is the DHCP and DNS server on the kernel side of a TAP in a
 * network namespace this suite creates (name carries our PID; 10.203.0.x exists only inside it).
 * The stack (`xs-tcp up --dhcp`, `xs-tcp resolve`) gets a lease (RFC 2131), renews it at T1
 * (lease 2 min, dnsmasq's minimum; T1/T2 shortened with options 58/59), resolves names dnsmasq
 * serves (RFC 1035, a CNAME included), answers an mDNS query sent from the kernel side (RFC 6762),
 * and gets its lease back after dnsmasq restarts with an empty lease file.
 *
 * Needs root, /dev/net/tun, iproute2 and the TAP addon; when root, a missing dnsmasq FAILS the suite
 * (CI installs dnsmasq-base). Everything started is stopped by PID; the namespace is deleted.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { have, sh, ipCmd, waitFor } from './netns.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..', '..');
const CLI = join(root, 'bin', 'xs-tcp.js');
const NS = 'xsl' + process.pid;
const TAP = 'xl0';
const KERNEL = '10.203.0.1';
const HOSTNAME = 'xs-lan-' + process.pid;
const T1 = 6;
const T2 = 12;

/** Why the suite cannot run, or ''. Root without dnsmasq is not a reason: that fails. */
function skipReason(): string {
  if (process.platform !== 'linux') return 'not Linux';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root (namespaces, TAP and dnsmasq need root; CI runs as root)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  if (!have('ip')) return 'iproute2 (`ip`) is not installed';
  if (!existsSync(join(root, 'hal', 'host', 'native', 'build', 'Release', 'xs_tcp_tap.node'))) return 'the TAP addon is not built';
  return '';
}

interface Proc { child: ChildProcess; out: string; exit: Promise<number> }
const procs: Proc[] = [];

function nsStart(args: string[]): Proc {
  const child = spawn('ip', ['netns', 'exec', NS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { child, out: '', exit: Promise.resolve(0) };
  child.stdout!.on('data', (d: Buffer) => { p.out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { p.out += d.toString(); });
  p.exit = new Promise((r) => child.once('exit', (code, sig) => r(code ?? (sig ? 128 : 1))));
  procs.push(p);
  return p;
}

async function stop(p: Proc): Promise<number> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  return p.exit;
}

/** A legacy unicast mDNS query (RFC 6762 §6.7) for NAME from the kernel side; the answered address. */
const MDNS_QUERY = `
const dgram = require('node:dgram');
const [name, iface] = process.argv.slice(-2);
const parts = name.split('.');
const q = [0x42, 0x42, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
for (const p of parts) { q.push(p.length); for (const ch of p) q.push(ch.charCodeAt(0)); }
q.push(0, 0, 1, 0, 1);
const s = dgram.createSocket('udp4');
s.bind(0, () => {
  s.setMulticastInterface(iface);
  s.send(Buffer.from(q), 5353, '224.0.0.251');
});
const t = setTimeout(() => { console.log('timeout'); process.exit(1); }, 3000);
s.on('message', (m, r) => {
  console.log(r.address + ' ' + Array.from(m.subarray(m.length - 4)).join('.') + ' id ' + m.readUInt16BE(0).toString(16));
  clearTimeout(t); s.close();
});
`;

const reason = skipReason();

describe('interop: DHCP, DNS (dnsmasq) and mDNS on a TAP', function () {
  this.timeout(120000);

  if (reason !== '') {
    it('is skipped here: ' + reason, function () {
      console.log('      LAN interop suite skipped: ' + reason);
    });
    return;
  }

  let tmp = '';
  let dnsmasq: Proc | null = null;
  let up: Proc | null = null;
  let leased = '';
  let boundAt = 0;
  let startedAt = 0;

  function startDnsmasq(): Proc {
    return nsStart(['dnsmasq', '--keep-in-foreground', '--no-resolv', '--no-hosts', '--bind-interfaces',
      '--interface=' + TAP, '--except-interface=lo', '--dhcp-range=10.203.0.50,10.203.0.99,2m',
      '--dhcp-option=option:T1,' + T1, '--dhcp-option=option:T2,' + T2,
      '--host-record=printer.lan,10.203.0.77', '--cname=alias.lan,printer.lan', '--domain=lan', '--local=/lan/',
      '--dhcp-leasefile=' + join(tmp, 'leases'), '--pid-file=', '--log-dhcp', '--log-facility=-']);
  }

  before(async function () {
    assert.ok(have('dnsmasq'), 'dnsmasq is not installed: apt-get install dnsmasq-base (.ci/run does)');
    tmp = mkdtempSync(join(tmpdir(), 'xs-tcp-lan-'));
    ipCmd('netns', 'add', NS);
    ipCmd('-n', NS, 'link', 'set', 'lo', 'up');
    ipCmd('-n', NS, 'tuntap', 'add', 'dev', TAP, 'mode', 'tap');
    ipCmd('-n', NS, 'addr', 'add', KERNEL + '/24', 'dev', TAP);
    ipCmd('-n', NS, 'link', 'set', TAP, 'up');
    dnsmasq = startDnsmasq();
    assert.ok(await waitFor(() => /started|DHCP, IP range/.test(dnsmasq!.out) || dnsmasq!.child.exitCode !== null, 5000)
      && dnsmasq.child.exitCode === null, 'dnsmasq did not start: ' + dnsmasq.out);
  });

  after(async function () {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exit));
    spawnSync('ip', ['netns', 'del', NS]);
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  it('xs-tcp resolve: a lease, then names dnsmasq serves through the stack\'s resolver (A, CNAME, NXDOMAIN)', async function () {
    const r = nsStart([process.execPath, CLI, 'resolve', '--tap', TAP, '--dhcp', 'alias.lan']);
    assert.equal(await r.exit, 0, r.out);
    assert.match(r.out, /dhcp: bound 10\.203\.0\.\d+ mask 255\.255\.255\.0 gw 10\.203\.0\.1 dns 10\.203\.0\.1/);
    assert.match(r.out, /^alias\.lan 10\.203\.0\.77$/m);
    const n = nsStart([process.execPath, CLI, 'resolve', '-q', '--tap', TAP, '--ip', '10.203.0.9/24', '--dns', KERNEL, 'nothere.lan']);
    assert.equal(await n.exit, 1, n.out);
    assert.match(n.out, /nothere\.lan: not found/);
  });

  it('xs-tcp up --dhcp: bound, answers ping at the leased address', async function () {
    startedAt = Date.now();
    up = nsStart([process.execPath, CLI, 'up', '--tap', TAP, '--dhcp', '--hostname', HOSTNAME]);
    assert.ok(await waitFor(() => /dhcp: bound (\S+)/.test(up!.out), 20000), 'no lease: ' + up.out);
    boundAt = Date.now();
    leased = /dhcp: bound (\S+)/.exec(up.out)![1];
    assert.match(up.out, new RegExp('lease 120 s \\(T1 ' + T1 + ' s, T2 ' + T2 + ' s\\)'));
    const ping = sh(['ip', 'netns', 'exec', NS, 'ping', '-c', '2', '-i', '0.3', '-W', '2', leased]);
    assert.equal(ping.status, 0, ping.out);
    console.log('      lease ' + leased + ' after ' + (boundAt - startedAt) + ' ms (DISCOVER, OFFER, REQUEST, ACK, 3 RFC 5227 probes, ANNOUNCE_WAIT)');
  });

  it('renews at T1 (unicast REQUEST, dnsmasq ACKs)', async function () {
    assert.ok(await waitFor(() => /dhcp: renewed/.test(up!.out), (T1 + 5) * 1000), 'no renewal: ' + up!.out);
    const renewedAt = Date.now();
    console.log('      renewed ' + ((renewedAt - boundAt) / 1000).toFixed(1) + ' s after bound (T1 ' + T1 + ' s from the REQUEST)');
    assert.ok((dnsmasq!.out.match(/DHCPACK/g) ?? []).length >= 3, 'dnsmasq ACKed the resolve lease, the up lease and its renewal: ' + dnsmasq!.out);
  });

  it('answers an mDNS query for HOSTNAME.local from the kernel side (legacy unicast, RFC 6762 §6.7)', async function () {
    // the responder stays silent while it probes for its name (§8.1, ~1 s after the lease): ask again
    let q = { status: 1, out: '' };
    for (let i = 0; i < 4 && q.status !== 0; i++) q = sh(['ip', 'netns', 'exec', NS, process.execPath, '-e', MDNS_QUERY, HOSTNAME + '.local', KERNEL]);
    assert.equal(q.status, 0, q.out + up!.out);
    assert.equal(q.out.trim(), leased + ' ' + leased + ' id 4242');
  });

  it('gets its lease back after dnsmasq restarts with an empty lease file', async function () {
    await stop(dnsmasq!);
    rmSync(join(tmp, 'leases'), { force: true });
    const before = (up!.out.match(/dhcp: (renewed|bound)/g) ?? []).length;
    await new Promise((r) => setTimeout(r, 2000));
    const t0 = Date.now();
    dnsmasq = startDnsmasq();
    assert.ok(await waitFor(() => (up!.out.match(/dhcp: (renewed|bound)/g) ?? []).length > before, 40000),
      'no lease after the restart: ' + up!.out.split('\n').slice(-8).join('\n'));
    console.log('      lease back ' + ((Date.now() - t0) / 1000).toFixed(1) + ' s after dnsmasq restarted');
    const ping = sh(['ip', 'netns', 'exec', NS, 'ping', '-c', '1', '-W', '2', /dhcp: (?:renewed|bound) (\S+)[^\n]*\n?$/.exec(up!.out.trim())?.[1] ?? leased]);
    assert.equal(ping.status, 0, ping.out);
    assert.equal(await stop(up!), 0, up!.out);
  });
});
