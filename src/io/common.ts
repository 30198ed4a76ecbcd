/**
 * What the ECMA-419 socket classes (TCP, Listener, UDP) share: finding the stack, reading and
 * checking constructor options (ECMA-419 2nd ed., Annex A "Base Class Pattern" constructor: throw on
 * an option out of range, before any resource is taken), byte-buffer views that do not allocate on
 * every call, and the errors thrown.
 *
 * Error kinds, as Moddable's own socket modules throw them: TypeError for a value of the wrong type
 * (options not an object, a callback that is not a function, data that is not a byte buffer),
 * RangeError for a value out of range (port, address text, format, read count), Error for a state
 * (closed, not connected, would block, no memory, port in use).
 */
import { Stack } from '../api/stack.js';
import { ip4FromString } from '../core/ip4addr.js';
import type { Deferred } from '../core/deferred.js';

/**
 * The stack used when an options object names none lives on the global object, under a registered
 * symbol, not in a module variable: on Moddable a preloaded module's `let` costs a RAM pointer and
 * draws xsl's "no const" warning, and class statics are frozen; the global object stays writable at
 * run time (Moddable apps keep `device` there the same way). Moddable's network clients pass their
 * socket options through (`...options.socket`), so `stack` can also travel in
 * `device.network.*.socket`; the DNS resolver does not, hence the default.
 */
const DEFAULT_STACK_KEY = 'xs-tcp.defaultStack';

type WithDefault = Record<symbol, Stack | null | undefined>;

/** Sets (or clears, with null) the stack that TCP, Listener and UDP use when given no `stack` option. */
export function setDefaultStack(stack: Stack | null): void {
  if (stack !== null && !(stack instanceof Stack)) throw new TypeError('not a Stack');
  (globalThis as unknown as WithDefault)[Symbol.for(DEFAULT_STACK_KEY)] = stack;
}

export function getDefaultStack(): Stack | null {
  const s = (globalThis as unknown as WithDefault)[Symbol.for(DEFAULT_STACK_KEY)];
  return s instanceof Stack ? s : null;
}

/** Throws TypeError unless `options` is an object (ECMA-419: the constructor needs its options object). */
export function checkOptions(options: unknown): Record<string, unknown> {
  if (options === null || (typeof options !== 'object' && typeof options !== 'function')) {
    throw new TypeError('options object required');
  }
  return options as Record<string, unknown>;
}

/** The `stack` option, else the default stack; Error when there is neither. */
export function stackOf(options: Record<string, unknown>): Stack {
  const s = options.stack;
  if (s !== undefined && s !== null) {
    if (!(s instanceof Stack)) throw new TypeError('stack: not a Stack');
    return s;
  }
  const d = getDefaultStack();
  if (d === null) throw new Error('no stack: pass options.stack or call setDefaultStack(stack)');
  return d;
}

export type Callback = (this: unknown, ...args: number[]) => void;

/** A callback option: null when absent (or null/undefined), TypeError when not a function. */
export function callbackOf(options: Record<string, unknown>, name: string): Callback | null {
  const f = options[name];
  if (f === undefined || f === null) return null;
  if (typeof f !== 'function') throw new TypeError(name + ': not a function');
  return f as Callback;
}

/** A port option (integer 0..65535, at least `min`); `dflt` when absent, TypeError when required. */
export function portOf(options: Record<string, unknown>, name: string, dflt: number, min: number): number {
  const v = options[name];
  if (v === undefined) {
    if (dflt < 0) throw new TypeError(name + ' required');
    return dflt;
  }
  if (typeof v !== 'number') throw new TypeError(name + ': not a number');
  if (!Number.isInteger(v) || v < min || v > 65535) throw new RangeError('invalid ' + name + ' ' + v);
  return v;
}

/** Dotted-quad text to a host-order address; TypeError when not a string, RangeError when invalid. */
export function addressOf(v: unknown, name: string): number {
  if (typeof v !== 'string') throw new TypeError(name + ': not a string');
  const a = ip4FromString(v);
  if (a < 0) throw new RangeError('invalid ' + name + ' ' + v);
  return a;
}

/** The `format` option: `dflt` when absent, RangeError when not one of `allowed`. */
export function formatOf(options: Record<string, unknown>, dflt: string, allowed: readonly string[]): string {
  const v = options.format;
  if (v === undefined) return dflt;
  return checkFormat(v, allowed);
}

export function checkFormat(v: unknown, allowed: readonly string[]): string {
  const s = String(v);
  for (let i = 0; i < allowed.length; i++) if (allowed[i] === s) return s;
  throw new RangeError('unsupported format ' + s);
}

/** ECMA-419's `target` option: any value, stored as a public property of the instance. */
export function setTarget(instance: object, options: Record<string, unknown>): void {
  if ('target' in options) (instance as { target: unknown }).target = options.target;
}

/**
 * A Uint8Array over a caller's byte buffer, with the byte range the buffer stands for. A Uint8Array
 * is used as it is; for an ArrayBuffer, SharedArrayBuffer, DataView or another typed array a view of
 * its ArrayBuffer is made once and kept while the caller goes on passing the same memory (every
 * write from one buffer, the usual pattern, allocates nothing after the first).
 */
export class ByteView {
  bytes: Uint8Array = EMPTY;
  off = 0;
  len = 0;
  private memory: ArrayBufferLike | null = null;
  private view: Uint8Array = EMPTY;

  /** Points at `data`'s bytes; TypeError when it is not a byte buffer. */
  set(data: unknown): void {
    if (data instanceof Uint8Array) {
      this.bytes = data;
      this.off = 0;
      this.len = data.length;
      return;
    }
    let memory: ArrayBufferLike;
    let off = 0;
    let len: number;
    if (ArrayBuffer.isView(data)) {
      memory = data.buffer;
      off = data.byteOffset;
      len = data.byteLength;
    } else if (data instanceof ArrayBuffer || isShared(data)) {
      memory = data as ArrayBufferLike;
      len = (data as ArrayBufferLike).byteLength;
    } else {
      throw new TypeError('not a byte buffer');
    }
    if (memory !== this.memory) {
      this.view = new Uint8Array(memory);
      this.memory = memory;
    }
    this.bytes = this.view;
    this.off = off;
    this.len = len;
  }

  /** Drops the references to the caller's memory. */
  clear(): void {
    this.bytes = EMPTY;
    this.view = EMPTY;
    this.memory = null;
  }
}

function isShared(data: unknown): boolean {
  return typeof SharedArrayBuffer === 'function' && data instanceof SharedArrayBuffer;
}

const EMPTY = new Uint8Array(0);

/**
 * The internal side of a Listener or a UDP socket: a fixed ring of waiting items (connections,
 * datagrams) counted for onReadable(count), delivered from the stack's deferred queue.
 */
export abstract class RingCore implements Deferred {
  deferNext: Deferred | null = null;
  deferQueued = false;
  readonly stack: Stack;
  /** `this` of the callback: the public instance. */
  readonly owner: object;
  onReadable: Callback | null;
  /** First waiting item in the ring, and how many wait. */
  head = 0;
  count = 0;
  closed = false;

  constructor(stack: Stack, owner: object, onReadable: Callback | null) {
    this.stack = stack;
    this.owner = owner;
    this.onReadable = onReadable;
  }

  /** ECMA-419 onReadable(count): the items waiting. */
  runDeferred(): void {
    if (this.closed || this.count === 0 || this.onReadable === null) return;
    this.onReadable.call(this.owner, this.count);
  }

  /** Starts closing: no callback any more. False when it was closed already. */
  protected closing(): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.stack.core.deferred.remove(this);
    this.onReadable = null;
    return true;
  }
}

export function closedError(): Error {
  return new Error('closed');
}
