/**
 * In-memory rollup bundles of the compiled tree (dist/), with the same rules as rollup.config.js:
 * every import must resolve inside the repository — a Node built-in or a package would stay
 * external, which XS cannot load, so it is an error here.
 */
import { rollup, type RollupLog } from 'rollup';

function refuseExternal(id: string): boolean {
  if (/^node:/.test(id) || (!id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0'))) {
    throw new Error('bundle for XS: import of "' + id + '" would stay external; XS cannot load it');
  }
  return false;
}

/** Like refuseExternal, but lets the named modules (Moddable's own, e.g. `timer`) stay external. */
function externalOnly(allowed: readonly string[]): (id: string) => boolean {
  return (id) => allowed.includes(id) || refuseExternal(id);
}

function onLog(level: string, log: RollupLog): void {
  if (log.code === 'UNRESOLVED_IMPORT' || log.code === 'MISSING_NODE_BUILTINS' || log.code === 'MISSING_GLOBAL_NAME') {
    throw new Error('bundle for XS: ' + log.message);
  }
  void level;
}

/** One classic script (IIFE) that assigns the module's exports to `globalThis[name]`. */
export async function bundleIife(inputFile: string, name: string): Promise<string> {
  const b = await rollup({ input: inputFile, external: refuseExternal, onLog });
  try {
    const { output } = await b.generate({ format: 'iife', name });
    return output[0].code;
  } finally {
    await b.close();
  }
}

/** The ES module bundle (what a Moddable manifest names); `moddableModules` may stay external. */
export async function bundleEsm(inputFile: string, moddableModules: readonly string[] = []): Promise<string> {
  const b = await rollup({ input: inputFile, external: externalOnly(moddableModules), onLog });
  try {
    const { output } = await b.generate({ format: 'es' });
    return output[0].code;
  } finally {
    await b.close();
  }
}
