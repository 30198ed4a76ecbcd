/** The `up` subcommand: the stack on a TAP or UDP tunnel with the four services, until a signal. */
import { parseArgs } from 'node:util';
import { ERR_OK, lwip_strerr } from '../../src/core/err.js';
import { startEcho } from '../../src/apps/echo.js';
import { startDiscard } from '../../src/apps/discard.js';
import { startDaytime } from '../../src/apps/daytime.js';
import { startChargen } from '../../src/apps/chargen.js';
import type { ServiceHandle } from '../../src/apps/service.js';
import { daytimeText } from '../../hal/host/clock.js';
import { USAGE, EXIT_OK, EXIT_FAIL, UsageError, log, LINK_OPTIONS, bringUp, printNetstat, tearDown, settle, onceSignal } from '../host.js';

export async function cmdUp(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: LINK_OPTIONS, allowPositionals: true, strict: true });
  if (values.help) { process.stdout.write(USAGE); return EXIT_OK; }
  if (positionals.length > 0) throw new UsageError('up takes no positional arguments: ' + positionals.join(' '));
  const host = await bringUp(values);
  const { stack } = host;
  const services: ServiceHandle[] = [
    startEcho(stack),
    startDiscard(stack),
    startDaytime(stack, 13, daytimeText),
    startChargen(stack),
  ];
  for (const s of services) {
    if (s.err !== ERR_OK) {
      log(s.name + ' on port ' + s.port + ' failed: ' + lwip_strerr(s.err));
      await tearDown(host);
      return EXIT_FAIL;
    }
  }
  if (!values.quiet) log('serving echo 7, discard 9, daytime 13, chargen 19; answering ping. Ctrl-C to stop.');
  const sig = await onceSignal();
  if (!values.quiet) log(sig + ': closing connections');
  for (const s of services) s.stop();
  host.scheduler.tickNow();
  await settle(host, 3000);
  if (values.netstat !== undefined) printNetstat(host);
  await tearDown(host);
  if (!values.quiet) log('down');
  return EXIT_OK;
}
