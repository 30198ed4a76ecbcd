/**
 * What Moddable's preload forbids, checked on the ES module bundle: code that runs while the module
 * body is evaluated (at build time, when the module is preloaded) must not create objects that XS
 * cannot alias in RAM afterwards. Per Moddable's "XS linker warnings" document, preloaded instances of
 * TypedArray, ArrayBuffer, DataView, Map, Set, WeakMap, WeakSet and Date are immutable on the device
 * (writes throw TypeError), and a RegExp instance cannot be preloaded at all (link error). Pools and
 * tables therefore belong in constructors. A zero-length typed array is allowed: it is never written.
 *
 * The walk covers what runs at module evaluation: top-level statements and expressions, class
 * static fields and static blocks; it skips function bodies and instance fields (they run later).
 */
import { parseAst } from 'rollup/parseAst';

const FROZEN_AT_PRELOAD = new Set([
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'ArrayBuffer', 'DataView',
  'Map', 'Set', 'WeakMap', 'WeakSet', 'Date', 'RegExp',
]);

const TYPED = /Array$/;

export interface PreloadIssue {
  what: string;
  /** Line in the bundle (1-based). */
  line: number;
  source: string;
}

type Node = { type: string; start: number; end: number; [k: string]: unknown };

function isNode(x: unknown): x is Node {
  return typeof x === 'object' && x !== null && typeof (x as Node).type === 'string';
}

export function checkPreload(code: string): PreloadIssue[] {
  const ast = parseAst(code) as unknown as Node;
  const issues: PreloadIssue[] = [];
  const lineOf = (pos: number): number => {
    let n = 1;
    for (let i = 0; i < pos && i < code.length; i++) if (code.charCodeAt(i) === 10) n++;
    return n;
  };
  const report = (what: string, n: Node) => issues.push({ what, line: lineOf(n.start), source: code.slice(n.start, Math.min(n.end, n.start + 120)) });

  const visit = (n: Node): void => {
    switch (n.type) {
      case 'FunctionDeclaration': case 'FunctionExpression': case 'ArrowFunctionExpression':
        return; // runs later, not at preload
      case 'MethodDefinition':
        return;
      case 'PropertyDefinition':
        if (n.static !== true) return; // instance fields run per instance, at run time
        break;
      case 'NewExpression': {
        const callee = n.callee as Node;
        if (callee.type === 'Identifier' && FROZEN_AT_PRELOAD.has(callee.name as string)) {
          const name = callee.name as string;
          const args = n.arguments as Node[];
          const zeroLength = TYPED.test(name) && name !== 'Array' && args.length === 1
            && args[0].type === 'Literal' && args[0].value === 0;
          if (!zeroLength) report('new ' + name + ' at module evaluation (immutable once preloaded)', n);
        }
        break;
      }
      case 'Literal':
        if ((n as { regex?: unknown }).regex !== undefined) report('RegExp literal evaluated at module evaluation (cannot be preloaded)', n);
        break;
      default:
        break;
    }
    for (const key of Object.keys(n)) {
      if (key === 'type' || key === 'start' || key === 'end') continue;
      const v = n[key];
      if (Array.isArray(v)) { for (const c of v) if (isNode(c)) visit(c); } else if (isNode(v)) visit(v);
    }
  };
  visit(ast);
  return issues;
}
