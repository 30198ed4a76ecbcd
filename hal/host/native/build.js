// Builds the TAP addon (tap.c) with node-gyp during `npm ci` / `npm install` (package.json "install").
// node-gyp ships with npm, which names it in npm_config_node_gyp for lifecycle scripts. We point it at
// the headers of the running Node (<prefix>/include/node) when they are there, so that no header
// download is needed. A failed build is a warning, not a failed install: the mock HAL and the UDP
// tunnel need no addon, and `--tap` then falls back to a socat bridge (see docs/talk-to-it.md).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
if (process.platform !== 'linux') {
  console.error('xs-tcp: TAP addon skipped (TAP devices are a Linux feature here)');
  process.exit(0);
}
const args = ['rebuild', '--directory', here];
const prefix = resolve(dirname(process.execPath), '..');
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push('--nodedir=' + prefix);
// Outside npm (running this file by hand), try the node-gyp bundled with the npm beside this Node.
const bundled = join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const gyp = process.env.npm_config_node_gyp || (existsSync(bundled) ? bundled : '');
const cmd = gyp ? process.execPath : 'node-gyp';
const argv = gyp ? [gyp, ...args] : args;
const r = spawnSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  const why = r.error ? String(r.error.message) : (r.stderr || '').split('\n').filter((l) => /ERR!|error/i.test(l)).slice(0, 6).join('\n');
  console.error('xs-tcp: warning: the TAP addon (hal/host/native) did not build; `--tap` will use a socat bridge instead.\n' + why);
  process.exit(0);
}
