/** The `demo` subcommand (npm start): a demo board in its own network namespace when root. */
import { parseArgs } from 'node:util';
import { haveDnsmasq, startDemoDnsmasq, watchLease, demoCommands } from '../demo_lan.js';
import * as fs from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { EXIT_OK, EXIT_FAIL, log, onceSignal } from '../host.js';
import { cmdUp } from './up.js';

const DEMO_PREFIX = '10.77.0';

function haveCmd(cmd: string): boolean {
  return spawnSync('sh', ['-c', 'command -v ' + cmd], { stdio: 'ignore' }).status === 0;
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(cmd + ' ' + args.join(' ') + ': ' + (r.stderr || r.error?.message || 'failed').trim());
}

export async function cmdDemo(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' }, trace: { type: 'boolean' }, static: { type: 'boolean' } }, strict: true });
  if (values.help) {
    process.stdout.write('usage: xs-tcp demo [--trace] [--static]\n  as root: a network namespace with a TAP and the stack on it, addressed by DHCP from dnsmasq\n'
      + '  (--static, or without dnsmasq: ' + DEMO_PREFIX + '.2); else how to set one up\n');
    return EXIT_OK;
  }
  const self = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'xs-tcp.js');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !fs.existsSync('/dev/net/tun') || !haveCmd('ip')) {
    if (fs.existsSync('/sys/class/net/xs0')) {
      log('TAP xs0 exists: bringing the demo board up on it as ' + DEMO_PREFIX + '.2');
      return cmdUp(['--tap', 'xs0', '--ip', DEMO_PREFIX + '.2/24', '--netstat', '10', ...(values.trace ? ['--trace'] : [])]);
    }
    process.stderr.write(`xs-tcp demo: the demo board needs a TAP device, which only root can create.
Create one once (it stays until reboot), owned by you:

  sudo ip tuntap add dev xs0 mode tap user $USER
  sudo ip addr add ${DEMO_PREFIX}.1/24 dev xs0
  sudo ip link set xs0 up

then run \`npm start\` again (or: npx xs-tcp up --tap xs0 --ip ${DEMO_PREFIX}.2/24 --netstat 10), and from
another terminal:

  ping ${DEMO_PREFIX}.2
  nc ${DEMO_PREFIX}.2 7        # echo;  9 discard, 13 daytime, 19 chargen

Remove it with: sudo ip link del xs0
(As root, \`npm start\` makes a private network namespace and TAP by itself and removes them on exit.)
`);
    return EXIT_OK;
  }
  const ns = 'xstcp-demo-' + process.pid;
  const tap = 'xs0';
  let child: ChildProcess | null = null;
  const cleanup = () => {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  try {
    run('ip', ['netns', 'add', ns]);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', ns, 'tuntap', 'add', 'dev', tap, 'mode', 'tap']);
    run('ip', ['-n', ns, 'addr', 'add', DEMO_PREFIX + '.1/24', 'dev', tap]);
    run('ip', ['-n', ns, 'link', 'set', tap, 'up']);
  } catch (e) {
    cleanup();
    log('demo set-up failed: ' + (e as Error).message);
    return EXIT_FAIL;
  }
  // DHCP from dnsmasq on the kernel side unless --static (or dnsmasq is missing): the board then
  // behaves as on a real LAN, and prints its lease; the commands follow once the address is known
  const dhcp = !values.static && haveDnsmasq();
  if (!values.static && !dhcp) log('dnsmasq is not installed: the board uses the static address ' + DEMO_PREFIX + '.2');
  let dnsmasq: ChildProcess | null = null;
  if (dhcp) dnsmasq = startDemoDnsmasq(ns, tap, DEMO_PREFIX);
  else process.stderr.write(demoCommands(ns, DEMO_PREFIX + '.2', tap, DEMO_PREFIX, false));
  child = spawn('ip', ['netns', 'exec', ns, process.execPath, self, 'up', '--tap', tap,
    ...(dhcp ? ['--dhcp', '--hostname', 'xs-tcp'] : ['--ip', DEMO_PREFIX + '.2/24']),
    '--netstat', '10', ...(values.trace ? ['--trace'] : [])], { stdio: ['ignore', 'inherit', dhcp ? 'pipe' : 'inherit'] });
  if (dhcp) watchLease(child, (addr) => process.stderr.write('\n' + demoCommands(ns, addr, tap, DEMO_PREFIX, true)));
  const stopDnsmasq = () => { if (dnsmasq !== null && dnsmasq.exitCode === null) dnsmasq.kill('SIGTERM'); };
  const childDone = new Promise<number>((r) => child!.once('exit', (code) => r(code ?? EXIT_FAIL)));
  const sig = onceSignal().then(() => 'signal');
  const first = await Promise.race([childDone.then(() => 'exit'), sig]);
  if (first === 'signal' && child.exitCode === null) {
    child.kill('SIGTERM');
    const t = setTimeout(() => child!.kill('SIGKILL'), 5000);
    await childDone;
    clearTimeout(t);
  }
  const code = await childDone;
  stopDnsmasq();
  cleanup();
  log('demo stopped; namespace ' + ns + ' removed');
  return first === 'signal' ? EXIT_OK : code;
}
