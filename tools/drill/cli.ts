/**
 * `xs-tcp drill FILE...`: runs packetdrill-dialect scripts against the stack on the mock HAL.
 * One line per script — `ok FILE` or `FAIL FILE:LINE: reason` — and exit code 0 only when every
 * script passed. Options: -v / --verbose prints each script's trace (segments in and out, system
 * calls and their results) after its status line.
 */
import { readFile } from 'node:fs/promises';
import { runDrill } from './run.js';

export async function drillMain(argv: string[]): Promise<number> {
  const files: string[] = [];
  let verbose = false;
  for (const a of argv) {
    if (a === '-v' || a === '--verbose') verbose = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: xs-tcp drill [-v] FILE...\n'
        + '  runs packetdrill-dialect scripts against xs-tcp on the mock HAL (see docs/packetdrill.md)\n');
      return 0;
    } else files.push(a);
  }
  if (files.length === 0) {
    process.stderr.write('usage: xs-tcp drill [-v] FILE...\n');
    return 2;
  }
  let failed = 0;
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (e) {
      process.stdout.write('FAIL ' + f + ':0: cannot read: ' + (e as Error).message + '\n');
      failed++;
      continue;
    }
    const r = runDrill(text, f, { verbose });
    if (r.ok) process.stdout.write('ok ' + f + '\n');
    else {
      failed++;
      process.stdout.write('FAIL ' + r.message.split('\n')[0] + '\n');
      const rest = r.message.split('\n').slice(1);
      if (rest.length > 0) process.stdout.write(rest.map((l) => '    ' + l).join('\n') + '\n');
    }
    if (verbose && r.log.length > 0) process.stdout.write(r.log.map((l) => '  ' + l).join('\n') + '\n');
  }
  return failed === 0 ? 0 : 1;
}
