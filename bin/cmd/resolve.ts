/** The `resolve` subcommand: NAME through the stack's own DNS resolver (RFC 1035), then exit. */
import { parseArgs } from 'node:util';
import { ip4ToString } from '../../src/core/ip4addr.js';
import { ERR_OK, lwip_strerr, type Err } from '../../src/core/err.js';
import { USAGE, EXIT_OK, EXIT_FAIL, UsageError, log, LINK_OPTIONS, bringUp, tearDown, parseSeconds } from '../host.js';
import { waitForLease, resolveName } from '../lan.js';

export async function cmdResolve(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, options: { ...LINK_OPTIONS, wait: { type: 'string', short: 'w' } }, allowPositionals: true, strict: true,
  });
  if (values.help) { process.stdout.write(USAGE); return EXIT_OK; }
  if (positionals.length !== 1) throw new UsageError('resolve wants one NAME');
  const waitS = parseSeconds('wait', values.wait, 10);
  const host = await bringUp({ ...values, quiet: values.quiet ?? true, 'no-mdns': values['no-mdns'] ?? true });
  try {
    if (values.dhcp && !(await waitForLease(host.stack, waitS * 1000))) { log('no DHCP lease within ' + waitS + ' s'); return EXIT_FAIL; }
    const t0 = Date.now();
    const r = await Promise.race([
      resolveName(host.stack, positionals[0], () => host.scheduler.tickNow()),
      new Promise<{ addr: number; err: number; cached: boolean }>((res) => setTimeout(() => res({ addr: 0, err: -99, cached: false }), waitS * 1000)),
    ]);
    if (r.addr === 0) {
      log(positionals[0] + ': ' + (r.err === -99 ? 'no answer within ' + waitS + ' s' : r.err !== ERR_OK ? lwip_strerr(r.err as Err) : 'not found'));
      return EXIT_FAIL;
    }
    process.stdout.write(positionals[0] + ' ' + ip4ToString(r.addr) + '\n');
    if (!values.quiet) log('resolved in ' + (Date.now() - t0) + ' ms');
    return EXIT_OK;
  } finally {
    await tearDown(host);
  }
}
