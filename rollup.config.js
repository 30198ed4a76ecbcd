// Bundles of the compiled stack (`npm run build` first: tsc writes dist/). `npm run bundle` writes:
//
//   build/xs-tcp.js          ES module, every export of src/index.ts; the module a Moddable manifest
//                            names (mcconfig compiles .js files with xsc; see manifests/).
//   build/xs-tcp.min.js      the same, minified (terser, ES2022; class names kept for stack traces).
//   build/xs-tcp.iife.js     one classic script that sets globalThis.XsTcp: for xsnap and other hosts
//                            that evaluate scripts, not modules.
//   build/xs-tcp-esp32.js    the Moddable ESP32 HAL (hal/esp32/hal.ts) as an ES module; it imports the
//                            Moddable modules `timer`, `time` and `ethhal` (hal/esp32/ethhal.js + C).
//   build/xs-tcp-lin.js      the Moddable Linux simulator HAL on a TAP (hal/lin/hal.ts), an ES module; it
//                            imports `timer`, `time` and `taphal` (hal/lin/taphal.js + C).
//   build/xs-tcp-sim.js      the example app on the mock wire (examples/sim/demo.ts), an ES module for the
//                            Moddable simulator (manifests/lin-sim).
//   build/xs-scenarios.iife.js  the scenario suite + mock HAL as one script (globalThis.XsTcpScenarios);
//                            test/xs.test.ts builds the same bundle in memory and runs it in xsnap.
//   build/xs-bench.iife.js   the XS meter benchmark's in-engine half (globalThis.XsTcpBench).
//
// Nothing here may pull in a Node built-in: src/ runs unchanged on XS. An import rollup cannot resolve
// inside the tree is an error, not an external.
import fs from 'node:fs';
import { gzipSync } from 'node:zlib';
import terser from '@rollup/plugin-terser';

const banner = '/* xs-tcp: a TCP/IP stack with lwIP\'s raw API for Moddable XS. MIT license. */';

function input(path) {
  if (!fs.existsSync(path)) throw new Error(path + ' is missing: run `npm run build` (tsc) before `npm run bundle`');
  return path;
}

/** Unresolvable or Node-only imports fail the build: XS has no `node:*` modules. */
function onwarn(warning, warn) {
  if (warning.code === 'UNRESOLVED_IMPORT' || warning.code === 'MISSING_NODE_BUILTINS' || warning.code === 'MISSING_GLOBAL_NAME') {
    throw new Error('xs-tcp bundle: ' + warning.message);
  }
  warn(warning);
}

/** Keeps imports inside the repository: no package is bundled or left external. */
const external = (id) => /^node:/.test(id) || (!id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0'));

const terserOptions = {
  ecma: 2022,
  module: true,
  keep_classnames: true,
  compress: { ecma: 2022, passes: 2 },
  format: { ecma: 2022, comments: /^!|xs-tcp:/ },
};

function guardExternal(id) {
  if (external(id)) throw new Error('xs-tcp bundle: import of "' + id + '" would stay external; XS cannot load it');
  return false;
}

/** Prints each written file's size, plain and gzipped (the README quotes these), and records them
 *  in build/sizes.json. */
function sizes() {
  return {
    name: 'xs-tcp-sizes',
    writeBundle(options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const file = options.file ?? (options.dir + '/' + chunk.fileName);
        const bytes = Buffer.byteLength(chunk.code);
        const gzip = gzipSync(chunk.code, { level: 9 }).length;
        let all = {};
        try { all = JSON.parse(fs.readFileSync('build/sizes.json', 'utf8')); } catch { /* first file */ }
        all[file] = { bytes, gzip };
        fs.writeFileSync('build/sizes.json', JSON.stringify(all, null, 2) + '\n');
        process.stderr.write(file + ': ' + bytes + ' bytes, ' + gzip + ' gzipped\n');
      }
    },
  };
}

/** Modules the Moddable runtime provides: the only imports the ESP32 HAL bundle may leave external. */
const MODDABLE_MODULES = new Set(['timer', 'time', 'ethhal', 'taphal', 'xstcp-native']);

export default [
  {
    input: input('dist/src/index.js'),
    external: guardExternal,
    onwarn,
    plugins: [sizes()],
    output: [
      { file: 'build/xs-tcp.js', format: 'es', banner, generatedCode: 'es2015' },
      { file: 'build/xs-tcp.min.js', format: 'es', banner, plugins: [terser(terserOptions)] },
      { file: 'build/xs-tcp.iife.js', format: 'iife', name: 'XsTcp', banner, generatedCode: 'es2015' },
    ],
  },
  {
    input: input('dist/hal/esp32/hal.js'),
    external: (id) => MODDABLE_MODULES.has(id) || guardExternal(id),
    onwarn,
    plugins: [sizes()],
    output: [
      { file: 'build/xs-tcp-esp32.js', format: 'es', banner, generatedCode: 'es2015' },
    ],
  },
  {
    // hal/lin reuses hal/esp32's driver classes; the board-only `ethhal` import must not survive
    // (mcsim has no such module): external modules are treated as side-effect free here.
    input: input('dist/hal/lin/hal.js'),
    external: (id) => MODDABLE_MODULES.has(id) || guardExternal(id),
    treeshake: { moduleSideEffects: (id, external) => !external },
    onwarn,
    plugins: [sizes()],
    output: [
      { file: 'build/xs-tcp-lin.js', format: 'es', banner, generatedCode: 'es2015' },
    ],
  },
  {
    input: input('dist/examples/sim/demo.js'),
    external: guardExternal,
    onwarn,
    plugins: [sizes()],
    output: { file: 'build/xs-tcp-sim.js', format: 'es', banner, generatedCode: 'es2015' },
  },
  {
    input: input('dist/test/xs/entry.js'),
    external: guardExternal,
    onwarn,
    output: { file: 'build/xs-scenarios.iife.js', format: 'iife', name: 'XsTcpScenarios', banner },
  },
  {
    input: input('dist/bench/xs_entry.js'),
    external: guardExternal,
    onwarn,
    output: { file: 'build/xs-bench.iife.js', format: 'iife', name: 'XsTcpBench', banner },
  },
];
