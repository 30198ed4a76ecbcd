/**
 * A minimal driver for the `xsnap-worker` binary that `@agoric/xsnap` builds from Moddable's XS
 * sources during `npm ci`. It speaks the worker's own protocol (netstrings on file descriptors 3 and 4:
 * `e<script>` evaluates, the reply is `.<meter JSON>\x01<bytes>` or `!<error>`, and a script's
 * synchronous `issueCommand(bytes)` arrives as `?<bytes>`, answered with `/<bytes>`).
 *
 * We do not use the package's JavaScript API: it needs SES's `lockdown()` in the calling process,
 * which would freeze the intrinsics of the whole mocha run. The binary is the same either way.
 *
 * Inside the worker: ECMAScript plus print, gc, issueCommand, resetMeter(limit, index) (returns the
 * computrons used since the last reset), performance.now, harden, TextEncoder/TextDecoder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';

export interface XsMeter {
  /** Computrons of the evaluation (XS's deterministic instruction meter). */
  compute: number;
  /** Heap slots in use when the evaluation ended (before any collection the next run may do). */
  currentHeapCount: number;
  /** Bytes the engine has obtained from malloc for its slot and chunk heaps (coarse: grows in blocks). */
  allocate: number;
}

export interface XsResult {
  meter: XsMeter;
  /** What the script passed to its last `issueCommand` during this evaluation, as text. */
  text: string;
  /** Every `issueCommand` message of this evaluation, as text. */
  messages: string[];
}

/** Path of the xsnap-worker binary built by `@agoric/xsnap`'s install script. */
export function xsnapWorkerPath(debug = false): string {
  const platform = process.platform === 'linux' ? 'lin' : process.platform === 'darwin' ? 'mac' : '';
  if (platform === '') throw new Error('xsnap-worker is built for Linux and macOS only, not ' + process.platform);
  const pkgMain = import.meta.resolve('@agoric/xsnap');
  const bin = fileURLToPath(new URL('../xsnap-native/xsnap/build/bin/' + platform + '/' + (debug ? 'debug' : 'release')
    + '/xsnap-worker', pkgMain));
  if (!existsSync(bin)) {
    throw new Error(bin + ' is missing: @agoric/xsnap builds it during `npm ci` (its install script needs a C compiler'
      + ' and make; package.json "allowScripts" permits it)');
  }
  return bin;
}

const OK = 0x2e;       // '.'
const ERROR = 0x21;    // '!'
const QUERY = 0x3f;    // '?'

export class XsnapWorker {
  private readonly proc: ChildProcess;
  private readonly toXs: Writable;
  private inbuf: Buffer = Buffer.alloc(0);
  private waiting: ((msg: Buffer) => void) | null = null;
  private readonly queued: Buffer[] = [];
  private exited: Error | null = null;
  private messages: string[] = [];
  /** Text printed by the script (print) since the last `takeOutput`. */
  private output = '';
  readonly name: string;

  private constructor(name: string, echo: boolean) {
    this.name = name;
    this.proc = spawn(xsnapWorkerPath(), [name], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'ignore', 'ignore', 'ignore', 'ignore'],
    });
    const stdio = this.proc.stdio as unknown as [null, Readable, Readable, Writable, Readable];
    this.toXs = stdio[3];
    stdio[1].on('data', (d: Buffer) => { this.output += d.toString('utf8'); if (echo) process.stdout.write(d); });
    stdio[2].on('data', (d: Buffer) => { this.output += d.toString('utf8'); if (echo) process.stderr.write(d); });
    stdio[4].on('data', (d: Buffer) => this.onData(d));
    this.toXs.on('error', () => { /* reported through 'exit' */ });
    this.proc.on('exit', (code, signal) => {
      this.exited = new Error(name + ' exited (code ' + code + ', signal ' + signal + ')' + (this.output ? ': ' + this.output.slice(-2000) : ''));
      const w = this.waiting;
      this.waiting = null;
      if (w) w(Buffer.alloc(0));
    });
  }

  /** Starts a fresh XS machine. `echo` copies its print output to ours. */
  static start(name = 'xs-tcp', echo = false): XsnapWorker {
    return new XsnapWorker(name, echo);
  }

  private onData(d: Buffer): void {
    this.inbuf = this.inbuf.length === 0 ? d : Buffer.concat([this.inbuf, d]);
    for (;;) {
      const colon = this.inbuf.indexOf(0x3a);
      if (colon < 0) return;
      const len = Number(this.inbuf.subarray(0, colon).toString('latin1'));
      if (!Number.isInteger(len)) throw new Error('xsnap protocol: bad netstring length');
      if (this.inbuf.length < colon + 1 + len + 1) return;
      const msg = this.inbuf.subarray(colon + 1, colon + 1 + len);
      this.inbuf = this.inbuf.subarray(colon + 1 + len + 1);
      const w = this.waiting;
      if (w) { this.waiting = null; w(Buffer.from(msg)); } else this.queued.push(Buffer.from(msg));
    }
  }

  private next(): Promise<Buffer> {
    const q = this.queued.shift();
    if (q !== undefined) return Promise.resolve(q);
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      this.waiting = (m) => (this.exited && m.length === 0 ? reject(this.exited) : resolve(m));
    });
  }

  private send(prefix: string, body: Buffer): void {
    const payload = Buffer.concat([Buffer.from(prefix, 'latin1'), body]);
    this.toXs.write(Buffer.concat([Buffer.from(payload.length + ':', 'latin1'), payload, Buffer.from(',', 'latin1')]));
  }

  /** Evaluates a script (not a module); resolves with the meter and what it sent with issueCommand. */
  async evaluate(code: string): Promise<XsResult> {
    if (this.exited) throw this.exited;
    this.messages = [];
    this.send('e', Buffer.from(code, 'utf8'));
    for (;;) {
      const m = await this.next();
      if (m.length === 0) throw new Error('xsnap protocol: empty message');
      if (m[0] === OK) {
        const sep = m.indexOf(1, 1);
        const meterJson = sep >= 0 ? m.subarray(1, sep).toString('utf8') : '{}';
        const raw = JSON.parse(meterJson) as Partial<XsMeter>;
        const meter: XsMeter = { compute: raw.compute ?? 0, currentHeapCount: raw.currentHeapCount ?? 0, allocate: raw.allocate ?? 0 };
        return { meter, text: this.messages.length ? this.messages[this.messages.length - 1] : '', messages: this.messages };
      }
      if (m[0] === ERROR) throw new Error('exception in XS: ' + m.subarray(1).toString('utf8') + (this.output ? '\n' + this.takeOutput().slice(-4000) : ''));
      if (m[0] === QUERY) {
        this.messages.push(m.subarray(1).toString('utf8'));
        this.send('/', Buffer.alloc(0));
        continue;
      }
      throw new Error('xsnap protocol: unknown message ' + m.subarray(0, 40).toString('latin1'));
    }
  }

  /**
   * Evaluates `expr` (an expression producing a string) and returns that string: the script hands it
   * back with issueCommand.
   */
  async call(expr: string): Promise<XsResult> {
    return this.evaluate('issueCommand(new TextEncoder().encode(String(' + expr + ')).buffer);');
  }

  /** What the machine printed since the last call. */
  takeOutput(): string {
    const o = this.output;
    this.output = '';
    return o;
  }

  /** Ends the worker (EOF on its command pipe), killing it if it does not exit promptly. */
  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.toXs.end();
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 2000);
    await done;
    clearTimeout(t);
  }
}
