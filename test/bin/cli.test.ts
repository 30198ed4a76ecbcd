/**
 * The `xs-tcp` command as a user runs it (node bin/xs-tcp.js), without root: argument errors and
 * their exit codes, a TAP that does not exist, and two stacks in two processes joined by the UDP
 * frame tunnel on 127.0.0.1 (`up` serving echo/daytime/chargen, `nc` as the client).
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI = join(root, 'bin', 'xs-tcp.js');

function run(args: string[], input = ''): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', timeout: 30000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

async function freeUdpPorts(n: number): Promise<number[]> {
  const socks = [];
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    ports.push(s.address().port);
    socks.push(s);
  }
  for (const s of socks) s.close();
  return ports;
}

describe('xs-tcp command line', function () {
  this.timeout(60000);
  before(function () {
    if (!existsSync(join(root, 'dist', 'bin', 'cli.js'))) assert.fail('dist/bin/cli.js is not built');
  });

  it('help: usage on stdout, exit 0', function () {
    const r = run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /usage: xs-tcp <command>/);
  });

  it('no command: usage on stderr, exit 2, nothing on stdout', function () {
    const r = run([]);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, /usage:/);
  });

  for (const [what, args] of [
    ['an unknown command', ['frobnicate']],
    ['an unknown option', ['up', '--tap', 'x', '--ip', '10.1.2.3/24', '--bogus']],
    ['no --ip', ['up', '--tap', 'x']],
    ['both --tap and --udp', ['up', '--tap', 'x', '--udp', '1:127.0.0.1:2', '--ip', '10.1.2.3/24']],
    ['a bad --ip', ['up', '--tap', 'x', '--ip', '10.1.2/24']],
    ['a bad --udp', ['up', '--udp', '1:2', '--ip', '10.1.2.3/24']],
    ['a bad --mac', ['up', '--tap', 'x', '--ip', '10.1.2.3/24', '--mac', '01:02']],
    ['an unknown --config key', ['up', '--tap', 'x', '--ip', '10.1.2.3/24', '--config', 'NOPE=1']],
    ['nc without HOST PORT', ['nc', '--udp', '1:127.0.0.1:2', '--ip', '10.1.2.3/24']],
    ['nc with a bad port', ['nc', '--udp', '1:127.0.0.1:2', '--ip', '10.1.2.3/24', '10.1.2.4', '99999']],
    ['a gateway off the subnet', ['up', '--udp', '0:127.0.0.1:9', '--ip', '10.1.2.3/24', '--gw', '10.9.9.9']],
  ] as const) {
    it('rejects ' + what + ' with a usage message and exit 2', function () {
      const r = run([...args]);
      assert.equal(r.code, 2, r.err);
      assert.equal(r.out, '');
      assert.match(r.err, /usage:/);
    });
  }

  it('says "no such device" for a TAP that does not exist (exit 1)', function () {
    const r = run(['up', '--tap', 'xsnosuch0', '--ip', '10.1.2.3/24']);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /no such device/);
    assert.equal(r.out, '');
  });

  describe('two stacks in two processes over the UDP frame tunnel (127.0.0.1)', function () {
    let up: ReturnType<typeof spawn> | null = null;
    let upErr = '';
    let a = 0;
    let b = 0;

    before(async function () {
      [a, b] = await freeUdpPorts(2);
      up = spawn(process.execPath, [CLI, 'up', '--udp', a + ':127.0.0.1:' + b, '--ip', '10.250.0.1/24'], { stdio: ['ignore', 'ignore', 'pipe'] });
      up.stderr!.on('data', (d: Buffer) => { upErr += d.toString(); });
      const end = Date.now() + 10000;
      while (!upErr.includes('serving') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      assert.match(upErr, /serving/);
    });

    after(async function () {
      if (up !== null && up.exitCode === null) {
        const done = new Promise((r) => up!.once('exit', r));
        up.kill('SIGTERM');
        await done;
      }
    });

    function nc(args: string[], input: string): { code: number; out: string; err: string } {
      return run(['nc', '--udp', b + ':127.0.0.1:' + a, '--ip', '10.250.0.2/24', ...args], input);
    }

    it('nc to echo: stdin comes back on stdout, exit 0 after both FINs', function () {
      const text = 'hello over the tunnel\n'.repeat(2000);
      const r = nc(['10.250.0.1', '7'], text);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, text);
    });

    it('nc to daytime: one line, the server closes first', function () {
      const r = nc(['10.250.0.1', '13'], '');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^[\x20-\x7e]+\r\n$/);
    });

    it('nc to a closed port: "refused" on stderr, exit 1, nothing on stdout', function () {
      const r = nc(['10.250.0.1', '4444'], 'x');
      assert.equal(r.code, 1);
      assert.match(r.err, /refused/);
      assert.equal(r.out, '');
    });

    it('up exits 0 on SIGTERM within 5 s', async function () {
      const t0 = Date.now();
      const done = new Promise<number>((r) => up!.once('exit', (c) => r(c ?? -1)));
      up!.kill('SIGTERM');
      const code = await done;
      assert.equal(code, 0, upErr);
      assert.ok(Date.now() - t0 < 5000);
      up = null;
    });
  });
});
