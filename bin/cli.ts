/**
 * The `xs-tcp` command: the stack on the host, reachable from a PC's ping, nc and debug assistants.
 *
 *   xs-tcp up   (--tap NAME | --udp LPORT:RHOST:RPORT) --ip A.B.C.D/NN [--gw A.B.C.D] [--mac MAC]
 *               [--pcap FILE] [--netstat SECONDS] [--trace] [--config KEY=VALUE ...]
 *   xs-tcp nc   (--tap NAME | --udp ...) --ip A.B.C.D/NN [...] HOST PORT
 *   xs-tcp nc   (--tap NAME | --udp ...) --ip A.B.C.D/NN [...] -l PORT
 *   xs-tcp demo                       (npm start)
 *   xs-tcp drill SCRIPT...            (packetdrill-dialect scripts, see tools/drill)
 *   xs-tcp resolve (--tap NAME | ...) (--dhcp | --ip ... --dns A.B.C.D) NAME
 *   (up, nc, resolve: --dhcp instead of --ip; --hostname NAME for mDNS NAME.local)
 *
 * Output rules: logs, netstat tables and traces go to stderr; `nc` writes only the connection's bytes
 * to stdout. Exit codes: 0 done, 1 failure (TAP cannot be opened, refused, reset, timeout), 2 bad
 * arguments (with the usage text), 130/143 never: a signal closes connections and exits 0.
 *
 * Options are parsed with Node's built-in util.parseArgs (no dependency).
 */
import { TapError } from '../hal/host/tap.js';
import { USAGE, EXIT_OK, EXIT_FAIL, EXIT_USAGE, UsageError, log } from './host.js';
import { cmdUp } from './cmd/up.js';
import { cmdNc } from './cmd/nc.js';
import { cmdDemo } from './cmd/demo.js';
import { cmdDrill } from './cmd/drill.js';
import { cmdResolve } from './cmd/resolve.js';


/** Runs the command line; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'up': return await cmdUp(rest);
      case 'nc': return await cmdNc(rest);
      case 'demo': return await cmdDemo(rest);
      case 'drill': return await cmdDrill(rest);
      case 'resolve': return await cmdResolve(rest);
      case 'help': case '--help': case '-h':
        process.stdout.write(USAGE);
        return EXIT_OK;
      case undefined:
        process.stderr.write(USAGE);
        return EXIT_USAGE;
      default:
        throw new UsageError('unknown command ' + cmd);
    }
  } catch (e) {
    const err = e as Error & { code?: string };
    if (e instanceof UsageError || err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
      || err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      process.stderr.write('xs-tcp: ' + err.message + '\n\n' + USAGE);
      return EXIT_USAGE;
    }
    if (e instanceof TapError) {
      log(err.message);
      return EXIT_FAIL;
    }
    log('error: ' + (err.stack ?? String(e)));
    return EXIT_FAIL;
  }
}
