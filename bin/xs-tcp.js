#!/usr/bin/env node
// The `xs-tcp` command (package.json "bin"): a shim that loads the compiled CLI from dist/.
// Only the connection's bytes (nc) ever reach stdout; everything else goes to stderr.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/bin/cli.js', import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write('xs-tcp: not built yet: run `npm ci` (or `npm run build`) in the package first\n');
  process.exit(1);
}
const cli = await import(compiled.href);
const code = await cli.main(process.argv.slice(2));
// Let stdout drain (nc's data may still be queued for a pipe), then leave even though handles
// (stdin, sockets) may still be open.
process.stdout.write('', () => process.exit(code));
