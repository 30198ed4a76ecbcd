/**
 * The arguments of a scripted system call: their number, their integer value (Linux symbols,
 * `A|B`, htons(), inet_addr()), their text as written (for messages), and the ScriptError that
 * reports a call or argument the runner does not support. Test tooling.
 */
import { ip4FromString } from '../../src/core/ip4addr.js';
import type { Expr } from './parse.js';
import { ERRNO, SYMBOLS } from './linux_abi.js';

/** A script problem found while running (unsupported call or argument): reported with the line. */
export class ScriptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScriptError';
  }
}

/** The integer an argument stands for; a ScriptError when it is not one. */
export function evalInt(e: Expr, what: string): number {
  switch (e.t) {
    case 'int': return e.v;
    case 'word': {
      const v = SYMBOLS[e.v] ?? ERRNO[e.v];
      if (v === undefined) throw new ScriptError('unknown symbol ' + e.v + ' for ' + what);
      return v;
    }
    case 'or': return evalInt(e.left, what) | evalInt(e.right, what);
    case 'array':
      if (e.items.length === 1) return evalInt(e.items[0], what);
      break;
    case 'call':
      if (e.fn === 'htons' && e.args.length === 1) return evalInt(e.args[0], what);
      if (e.fn === 'inet_addr' && e.args.length === 1 && e.args[0].t === 'string') {
        const a = ip4FromString(e.args[0].v);
        if (a < 0) throw new ScriptError('bad address ' + e.args[0].v);
        return a;
      }
      break;
    default:
      break;
  }
  throw new ScriptError('expected a number for ' + what);
}

/** Checks the argument count of a call. */
export function nargs(args: Expr[], name: string, min: number, max = min): void {
  if (args.length < min || args.length > max) {
    throw new ScriptError(name + ' takes ' + (min === max ? min : min + '..' + max) + ' arguments, not ' + args.length);
  }
}

/** An expression as written (for messages). */
export function exprText(e: Expr): string {
  switch (e.t) {
    case 'int': return e.text;
    case 'ellipsis': return '...';
    case 'word': return e.v;
    case 'string': return JSON.stringify(e.v);
    case 'array': return '[' + e.items.map(exprText).join(', ') + ']';
    case 'struct': return '{' + e.fields.map((f) => (f.name !== null ? f.name + '=' : '') + exprText(f.value)).join(', ') + '}';
    case 'call': return e.fn + '(' + e.args.map(exprText).join(', ') + ')';
    case 'or': return exprText(e.left) + '|' + exprText(e.right);
  }
}
