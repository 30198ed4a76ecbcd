/**
 * Guards the rule that `src/` runs unchanged on XS (Moddable, xsnap): no Node or browser globals,
 * no wall clock, no Node built-in modules, no imports of the host or mock HAL, and no mutable
 * typed arrays / Maps / Sets created at module top level (Moddable freezes preloaded modules).
 *
 * The sources are parsed with the TypeScript compiler, so comments and strings never trip the guard
 * and a property or method that merely has a banned name (`this.process`) is not a use of a global.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Globals that do not exist on XS / Moddable (or would make a run non-deterministic). */
const BANNED_GLOBALS = new Set([
  'Buffer', 'process', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval',
  'console', 'require', 'TextEncoder', 'TextDecoder', 'Intl', '__dirname', '__filename', 'global',
]);
const TOP_LEVEL_MUTABLE = new Set([
  'Map', 'Set', 'WeakMap', 'WeakSet', 'ArrayBuffer', 'SharedArrayBuffer', 'DataView',
  'Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
]);
const NODE_BUILTINS = new Set(builtinModules);

function findRoot(): string {
  const starts = [process.cwd(), dirname(fileURLToPath(import.meta.url))];
  for (const start of starts) {
    let dir = resolve(start);
    for (;;) {
      if (existsSync(join(dir, 'src', 'core', 'pbuf.ts'))) return dir;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new Error('cannot find the repository root (src/core/pbuf.ts) from ' + starts.join(', '));
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Is this identifier only a name (of a property, member or key), not a reference to a global? */
function isMereName(id: ts.Identifier): boolean {
  const p = id.parent;
  if (!p) return false;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return true;
  if ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p)
    || ts.isPropertySignature(p) || ts.isMethodSignature(p) || ts.isGetAccessorDeclaration(p)
    || ts.isSetAccessorDeclaration(p) || ts.isEnumMember(p)) && p.name === id) return true;
  if (ts.isQualifiedName(p) && p.right === id) return true;
  if (ts.isImportSpecifier(p) || ts.isExportSpecifier(p)) return p.propertyName === id;
  if (ts.isBindingElement(p) && p.propertyName === id) return true;
  return false;
}

/** Finds every violation in one source text. `file` is the path (for import resolution), `root` the repo. */
export function checkSource(file: string, text: string, root: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const problems: string[] = [];
  const where = (n: ts.Node) => {
    const { line } = sf.getLineAndCharacterOfPosition(n.getStart(sf));
    return relative(root, file) + ':' + (line + 1);
  };
  const checkSpecifier = (spec: string, n: ts.Node) => {
    const bare = spec.startsWith('node:') ? spec.slice(5) : spec;
    if (spec.startsWith('node:') || NODE_BUILTINS.has(bare) || NODE_BUILTINS.has(bare.split('/')[0])) {
      problems.push(where(n) + ': imports the Node module \'' + spec + '\'');
      return;
    }
    if (spec.startsWith('.')) {
      const target = relative(root, resolve(dirname(file), spec)).split(sep).join('/');
      if (target.startsWith('hal/mock') || target.startsWith('hal/host') || target.startsWith('hal/esp32')) {
        problems.push(where(n) + ': imports the harness/platform module \'' + spec + '\' (src must not depend on a HAL implementation)');
      } else if (target.startsWith('test/') || target.startsWith('bench/') || target.startsWith('bin/')) {
        problems.push(where(n) + ': imports \'' + spec + '\' from outside src');
      }
    }
  };
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      checkSpecifier(n.moduleSpecifier.text, n);
    } else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference)
      && ts.isStringLiteral(n.moduleReference.expression)) {
      checkSpecifier(n.moduleReference.expression.text, n);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const a = n.arguments[0];
      if (a && ts.isStringLiteral(a)) checkSpecifier(a.text, n);
      else problems.push(where(n) + ': dynamic import() with a computed specifier');
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      checkSpecifier(n.argument.literal.text, n);
    } else if (ts.isIdentifier(n)) {
      if (BANNED_GLOBALS.has(n.text) && !isMereName(n)) problems.push(where(n) + ': uses \'' + n.text + '\'');
    } else if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression)) {
      const obj = n.expression.text;
      const prop = n.name.text;
      if (obj === 'Date' && prop === 'now') problems.push(where(n) + ': uses Date.now (time comes from the HAL clock)');
      if (obj === 'performance' && prop === 'now') problems.push(where(n) + ': uses performance.now (time comes from the HAL clock)');
    } else if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'Date') {
      problems.push(where(n) + ': uses new Date (time comes from the HAL clock)');
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  // module top level: `const X = new Map()` / `new Uint8Array(n)` is frozen by Moddable's preload
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) {
      const init = d.initializer;
      if (!init || !ts.isNewExpression(init) || !ts.isIdentifier(init.expression)) continue;
      if (!TOP_LEVEL_MUTABLE.has(init.expression.text)) continue;
      const args = init.arguments ?? [];
      // a zero-length typed array holds nothing to mutate: freezing it is harmless
      const empty = args.length === 1 && ts.isNumericLiteral(args[0]) && args[0].text === '0';
      if (!empty) problems.push(where(d) + ': creates a ' + init.expression.text + ' at module top level (frozen on Moddable: create it in a constructor)');
    }
  }
  return problems;
}


/**
 * The layer order of src/ (DESIGN.md "Layers"): a module may import its own layer or one below it,
 * never one above. `src/hal.ts` is the interface every layer may use; `src/index.ts` is the package
 * entry above everything.
 */
const LAYERS: Record<string, number> = {
  core: 0, wire: 1, link: 2, ipv4: 3, icmp: 4, udp: 4, tcp: 4, api: 5, apps: 6, io: 6,
};
const HAL_IFACE = 'src/hal.ts';
const ENTRY = 'src/index.ts';
/** Largest source file in src/ (lines). */
const MAX_LINES = 800;

/** The layer of a src-relative path ('src/tcp/tcp.ts' → 4); -1 for a directory not in LAYERS. */
export function layerOf(rel: string): number {
  if (rel === HAL_IFACE) return -2;
  if (rel === ENTRY) return 99;
  const m = /^src\/([^/]+)\//.exec(rel);
  if (m === null) return -1;
  const l = LAYERS[m[1]];
  return l === undefined ? -1 : l;
}

/** Every relative module specifier of one source (static imports, re-exports, import types and
 *  dynamic imports; type-only imports count: a type cycle is a design cycle). */
export function importsOf(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const add = (spec: string) => { if (spec.startsWith('.')) out.push(spec); };
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      add(n.moduleSpecifier.text);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword
      && n.arguments.length > 0 && ts.isStringLiteral(n.arguments[0])) {
      add(n.arguments[0].text);
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      add(n.argument.literal.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The import graph of a set of sources: repo-relative path → repo-relative targets ('.js' → '.ts'). */
export function importGraph(root: string, sources: Map<string, string>): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const [file, text] of sources) {
    const from = relative(root, file).split(sep).join('/');
    const to: string[] = [];
    for (const spec of importsOf(file, text)) {
      to.push(relative(root, resolve(dirname(file), spec)).split(sep).join('/').replace(/\.js$/, '.ts'));
    }
    g.set(from, to);
  }
  return g;
}

/** Imports that leave src/ or point up the layer order. */
export function layerViolations(g: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [from, tos] of g) {
    const lf = layerOf(from);
    if (lf === -1) out.push(from + ' is in no layer (' + Object.keys(LAYERS).join(', ') + ')');
    for (const to of new Set(tos)) {
      if (!to.startsWith('src/')) { out.push(from + ' imports ' + to + ', outside src/'); continue; }
      const lt = layerOf(to);
      if (lt === -2 || lf === -1) continue;
      if (lf === -2) out.push(from + ' (the HAL interface) imports ' + to);
      else if (lt > lf) out.push(from + ' imports ' + to + ': up the layer order');
    }
  }
  return out;
}

/** Every import cycle (strongly connected component of more than one module, or a self-import),
 *  each as its modules in a closed path: 'a → b → a'. */
export function importCycles(g: Map<string, string[]>): string[] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const sccs: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); c.push(w); } while (w !== v);
      if (c.length > 1 || (g.get(v) ?? []).includes(v)) sccs.push(c);
    }
  };
  for (const v of [...g.keys()].sort()) if (!idx.has(v)) strong(v);
  // name each cycle by one closed path through its component (breadth-first from its first module)
  return sccs.map((c) => {
    const inC = new Set(c);
    const start = [...c].sort()[0];
    const prev = new Map<string, string>();
    const queue = [start];
    const seen = new Set<string>([start]);
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const w of g.get(v) ?? []) {
        if (w === start) {
          const path = [start];
          for (let x = v; x !== start; x = prev.get(x)!) path.splice(1, 0, x);
          path.push(start);
          return path.join(' → ');
        }
        if (inC.has(w) && !seen.has(w)) { seen.add(w); prev.set(w, v); queue.push(w); }
      }
    }
    return c.join(', ');
  });
}

/** Files over MAX_LINES lines. */
export function oversized(sources: Map<string, string>, root: string): string[] {
  const out: string[] = [];
  for (const [file, text] of sources) {
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines > MAX_LINES) out.push(relative(root, file).split(sep).join('/') + ': ' + lines + ' lines');
  }
  return out;
}

describe('guard: src/ runs unchanged on XS', () => {
  const root = findRoot();
  const files = tsFiles(join(root, 'src'));

  it('finds the sources', () => {
    assert.ok(files.length >= 10, 'found ' + files.length + ' files under src/');
    assert.ok(files.some((f) => f.endsWith(join('core', 'pbuf.ts'))));
  });

  it('no Node/browser globals, wall clock, Node modules or HAL implementations in src/', () => {
    const problems: string[] = [];
    for (const f of files) problems.push(...checkSource(f, readFileSync(f, 'utf8'), root));
    assert.deepEqual(problems, [], 'src/ must run on XS:\n  ' + problems.join('\n  '));
  });

  describe('the guard itself catches', () => {
    const fake = (rel: string) => join(root, 'src', rel);
    const cases: [string, string, RegExp][] = [
      ['Buffer', 'const b = Buffer.from([1]);', /uses 'Buffer'/],
      ['process', 'if (process.env.X) {}', /uses 'process'/],
      ['setTimeout', 'setTimeout(() => 0, 1);', /uses 'setTimeout'/],
      ['setInterval', 'const t = setInterval(f, 5);', /uses 'setInterval'/],
      ['console', 'console.log(1);', /uses 'console'/],
      ['require', 'const fs = require("fs");', /uses 'require'/],
      ['TextEncoder', 'const e = new TextEncoder();', /uses 'TextEncoder'/],
      ['Date.now', 'const t = Date.now();', /Date\.now/],
      ['node:fs import', 'import { readFileSync } from "node:fs";', /Node module 'node:fs'/],
      ['fs import', 'import fs from "fs";', /Node module 'fs'/],
      ['net import', 'import * as net from "net";', /Node module 'net'/],
      ['dgram import', 'import dgram from "dgram";', /Node module 'dgram'/],
      ['os import', 'export { cpus } from "os";', /Node module 'os'/],
      ['child_process import', 'import { spawn } from "child_process";', /Node module 'child_process'/],
      ['dynamic import of a builtin', 'await import("node:net");', /Node module 'node:net'/],
      ['hal/mock import', 'import { MockNet } from "../../hal/mock/net.js";', /harness\/platform module/],
      ['hal/host import', 'import type { TapDriver } from "../../hal/host/tap.js";', /harness\/platform module/],
      ['top-level Map', 'const table = new Map<number, number>();', /Map at module top level/],
      ['top-level typed array', 'const scratch = new Uint8Array(64);', /Uint8Array at module top level/],
    ];
    for (const [what, code, msg] of cases) {
      it(what, () => {
        const found = checkSource(fake('core/fake.ts'), code, root);
        assert.ok(found.some((p) => msg.test(p)), 'expected ' + msg + ', got ' + JSON.stringify(found));
      });
    }

    it('but not comments, strings, property names, src/hal.ts or empty top-level arrays', () => {
      const code = [
        '// no Buffer, process, setTimeout or console here',
        '/* Date.now() is banned */',
        'import type { Hal } from "../hal.js";',
        'import { x } from "../core/pbuf.js";',
        'const EMPTY = new Uint8Array(0);',
        'const msg = "process the console buffer";',
        'class P { process = 1; console(): void {} get require(): number { return this.process; } }',
        'const o = { setTimeout: 1, Buffer: 2 };',
        'function f(p: P) { return p.process + o.Buffer; }',
        'class S { t = new Map<number, number>(); }',
      ].join('\n');
      assert.deepEqual(checkSource(fake('core/fake.ts'), code, root), []);
    });
  });
});

describe('guard: the import graph of src/', () => {
  const root = findRoot();
  const sources = new Map<string, string>();
  for (const f of tsFiles(join(root, 'src'))) sources.set(f, readFileSync(f, 'utf8'));
  const graph = importGraph(root, sources);

  it('has no import cycle (type-only imports included)', () => {
    const cycles = importCycles(graph);
    assert.deepEqual(cycles, [], 'import cycles in src/:\n  ' + cycles.join('\n  '));
  });

  it('imports point down the layers: apps/io → api → tcp/udp/icmp → ipv4 → link → wire → core; src/hal.ts for all', () => {
    const bad = layerViolations(graph);
    assert.deepEqual(bad, [], 'layer order broken:\n  ' + bad.join('\n  '));
  });

  it('no file in src/ is over ' + MAX_LINES + ' lines', () => {
    const big = oversized(sources, root);
    assert.deepEqual(big, [], 'split these files:\n  ' + big.join('\n  '));
  });

  it('hal/ holds drivers, clocks and schedulers only: it imports src/ and itself, nothing else', () => {
    const hal = new Map<string, string>();
    for (const f of tsFiles(join(root, 'hal'))) if (!f.endsWith('.d.ts')) hal.set(f, readFileSync(f, 'utf8'));
    const bad: string[] = [];
    for (const [from, tos] of importGraph(root, hal)) {
      for (const to of tos) if (!to.startsWith('src/') && !to.startsWith('hal/')) bad.push(from + ' imports ' + to);
    }
    assert.ok(hal.size >= 5, 'found ' + hal.size + ' files under hal/');
    assert.deepEqual(bad, [], 'hal/ depends on tooling:\n  ' + bad.join('\n  '));
  });

  describe('and the graph checks catch', () => {
    const src = (files: Record<string, string>) => {
      const m = new Map<string, string>();
      for (const k of Object.keys(files)) m.set(join(root, k), files[k]);
      return importGraph(root, m);
    };

    it('a cycle through a type-only import, naming its path', () => {
      const g = src({
        'src/link/a.ts': 'import type { B } from "./b.js";',
        'src/link/b.ts': 'import { C } from "./c.js";',
        'src/link/c.ts': 'export { A } from "./a.js";',
        'src/link/d.ts': 'import { A } from "./a.js";',
      });
      assert.deepEqual(importCycles(g), ['src/link/a.ts → src/link/b.ts → src/link/c.ts → src/link/a.ts']);
    });

    it('an import up the layer order, and one leaving src/', () => {
      const g = src({
        'src/ipv4/ip4.ts': 'import { Stack } from "../api/stack.js"; import type { Hal } from "../hal.js";',
        'src/core/context.ts': 'import type { Hal } from "../../hal/hal.js";',
        'src/wire/x.ts': 'import { y } from "../core/y.js";',
      });
      assert.deepEqual(layerViolations(g).sort(), [
        'src/core/context.ts imports hal/hal.ts, outside src/',
        'src/ipv4/ip4.ts imports src/api/stack.ts: up the layer order',
      ]);
    });

    it('a file over the line limit', () => {
      const m = new Map([[join(root, 'src/tcp/big.ts'), 'x;\n'.repeat(MAX_LINES + 1)], [join(root, 'src/tcp/ok.ts'), 'x;\n'.repeat(MAX_LINES)]]);
      assert.deepEqual(oversized(m, root), ['src/tcp/big.ts: ' + (MAX_LINES + 1) + ' lines']);
    });
  });
});
