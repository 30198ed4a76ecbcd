/** The `drill` subcommand: runs packetdrill-dialect scripts (tools/drill). */
import { EXIT_FAIL, log } from '../host.js';

export async function cmdDrill(argv: string[]): Promise<number> {
  const spec = '../../tools/drill/cli.js';
  let mod: { drillMain?: (argv: string[]) => Promise<number> | number };
  try {
    mod = await import(spec) as typeof mod;
  } catch (e) {
    log('drill is not available in this build: ' + (e as Error).message);
    return EXIT_FAIL;
  }
  if (typeof mod.drillMain !== 'function') { log('drill: tools/drill/cli.js has no drillMain'); return EXIT_FAIL; }
  return await mod.drillMain(argv);
}
