/**
 * The scenario framework shared by the Node run (mocha, test/xs.test.ts) and the XS run (the same
 * code bundled into one script and evaluated in xsnap). A scenario is a plain function that builds a
 * MockNet, drives it, checks what it sees and returns a ScenarioResult: a deterministic, JSON-safe
 * record (bytes moved, a digest of the data, the state transitions seen, counters, virtual time).
 * The test asserts that every scenario passes on both engines and that the two records are equal.
 *
 * Only ECMAScript here: no mocha, no node:assert, no console. Failed checks are collected as strings.
 */
import type { Stack } from '../../src/api/stack.js';
import type { Pbuf } from '../../src/core/pbuf.js';
import { ip4ToString } from '../../src/core/ip4addr.js';
import { tcp_set_trace, type TcpTraceInfo } from '../../src/api/tcp_api.js';
import { TCP_STATE_NAMES } from '../../src/tcp/constants.js';

export interface ScenarioResult {
  name: string;
  /** No check failed. */
  ok: boolean;
  failures: string[];
  /** Payload octets delivered to the receiving application(s). */
  bytes: number;
  /** CRC-32 (hex) of the delivered payload, in order; '' when the scenario moves no data. */
  digest: string;
  /** State transitions, in order: 'A:49152 SYN_SENT>ESTABLISHED segment @12'. */
  states: string[];
  /** Selected counters of each stack, 'A.tcp.xmit' → n. */
  stats: Record<string, number>;
  /** Every pool of every stack back to used = 0 at the end. */
  poolsFull: boolean;
  /** Virtual milliseconds at the end. */
  virtualTimeMs: number;
  /** Scenario-specific figures. */
  extra: Record<string, number | string | boolean>;
}

export interface Scenario {
  name: string;
  title: string;
  run: () => ScenarioResult;
}

/** Collects failed checks instead of throwing (a scenario always runs to its end). */
export class Checks {
  readonly failures: string[] = [];

  ok(cond: boolean, what: string): boolean {
    if (!cond) this.failures.push(what);
    return cond;
  }

  eq(actual: unknown, expected: unknown, what: string): boolean {
    if (actual !== expected) {
      this.failures.push(what + ': expected ' + String(expected) + ', got ' + String(actual));
      return false;
    }
    return true;
  }
}

/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), incremental. The table is built by the
 *  constructor, not at module level (Moddable freezes preloaded modules). */
export class Crc32 {
  private readonly table = new Uint32Array(256);
  private crc = 0xffffffff;

  constructor() {
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = (c & 1) ? (0xedb88320 ^ (c >>> 1)) : (c >>> 1);
      this.table[n] = c >>> 0;
    }
  }

  reset(): void { this.crc = 0xffffffff; }

  update(buf: Uint8Array, off: number, len: number): void {
    const t = this.table;
    let c = this.crc;
    for (let i = off, end = off + len; i < end; i++) c = t[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
    this.crc = c >>> 0;
  }

  /** Adds every byte of a pbuf chain. */
  updateChain(p: Pbuf | null): void {
    for (let q = p; q !== null; q = q.next) this.update(q.buf, q.off, q.len);
  }

  value(): number { return (this.crc ^ 0xffffffff) >>> 0; }

  hex(): string { return hex32(this.value()); }
}

export function hex32(v: number): string {
  const s = (v >>> 0).toString(16);
  return '00000000'.slice(s.length) + s;
}

/** Deterministic test data (xorshift32), independent of the stacks' random sources. */
export function testData(len: number, seed: number): Uint8Array {
  const d = new Uint8Array(len);
  let x = (seed >>> 0) || 0x9e3779b9;
  for (let i = 0; i < len; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    d[i] = x & 0xff;
  }
  return d;
}

export function crcOf(buf: Uint8Array, off = 0, len = buf.length - off): string {
  const c = new Crc32();
  c.update(buf, off, len);
  return c.hex();
}

/** Records every TCP state transition of the given stacks, labelled by their names. */
export class StateLog {
  readonly lines: string[] = [];
  /** Transitions as structured records, for checks. */
  readonly records: { stack: string; port: number; remotePort: number; from: string; to: string; cause: string; time: number }[] = [];

  attach(label: string, stack: Stack): void {
    tcp_set_trace(stack, (info: TcpTraceInfo) => {
      const from = TCP_STATE_NAMES[info.from];
      const to = TCP_STATE_NAMES[info.to];
      this.lines.push(label + ':' + info.localPort + ' ' + from + '>' + to + ' ' + info.cause + ' @' + info.time);
      this.records.push({ stack: label, port: info.localPort, remotePort: info.remotePort, from, to, cause: info.cause, time: info.time });
    });
  }

  /** The sequence of states one side went through (its first connection on `port`, or any port). */
  path(label: string, port = -1): string[] {
    const out: string[] = [];
    for (const r of this.records) {
      if (r.stack !== label || (port >= 0 && r.port !== port)) continue;
      if (out.length === 0) out.push(r.from);
      out.push(r.to);
    }
    return out;
  }

  /** Time of the first transition of `label` into `to`, or -1. */
  timeOf(label: string, to: string, port = -1): number {
    for (const r of this.records) if (r.stack === label && r.to === to && (port < 0 || r.port === port)) return r.time;
    return -1;
  }
}

/** Pools of the stacks that are not back to full, as 'A.tcp_pcb used 1/8'. */
export function poolLeaks(labels: string[], stacks: Stack[]): string[] {
  const leaks: string[] = [];
  for (let i = 0; i < stacks.length; i++) {
    for (const { name, stats } of stacks[i].pools()) {
      if (stats.used !== 0) leaks.push(labels[i] + '.' + name + ' used ' + stats.used + '/' + stats.avail);
    }
  }
  return leaks;
}

const STAT_KEYS = ['xmit', 'recv', 'drop', 'chkerr', 'memerr', 'proterr', 'err'] as const;
const STAT_PROTOS = ['link', 'etharp', 'ip', 'icmp', 'udp', 'tcp'] as const;

/** The non-zero counters of each stack (plus the pools' high-water marks and errors). */
export function statsOf(labels: string[], stacks: Stack[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < stacks.length; i++) {
    const st = stacks[i].stats;
    for (const proto of STAT_PROTOS) {
      for (const k of STAT_KEYS) {
        const v = st[proto][k];
        if (v !== 0) out[labels[i] + '.' + proto + '.' + k] = v;
      }
    }
    for (const { name, stats } of stacks[i].pools()) {
      if (stats.max !== 0) out[labels[i] + '.' + name + '.max'] = stats.max;
      if (stats.err !== 0) out[labels[i] + '.' + name + '.err'] = stats.err;
      if (stats.illegal !== 0) out[labels[i] + '.' + name + '.illegal'] = stats.illegal;
    }
  }
  return out;
}

/** Assembles a result; adds a failure when a pool leaked. */
export function finish(name: string, c: Checks, o: {
  labels: string[]; stacks: Stack[]; now: number; bytes?: number; digest?: string; log?: StateLog;
  extra?: Record<string, number | string | boolean>;
}): ScenarioResult {
  const leaks = poolLeaks(o.labels, o.stacks);
  if (leaks.length) c.failures.push('pools not full: ' + leaks.join(', '));
  return {
    name,
    ok: c.failures.length === 0,
    failures: c.failures,
    bytes: o.bytes ?? 0,
    digest: o.digest ?? '',
    states: o.log ? o.log.lines : [],
    stats: statsOf(o.labels, o.stacks),
    poolsFull: leaks.length === 0,
    virtualTimeMs: o.now,
    extra: o.extra ?? {},
  };
}

/** Runs a scenario function, turning an exception into a failed result (XS and Node alike). */
export function runScenario(s: Scenario): ScenarioResult {
  try {
    return s.run();
  } catch (e) {
    const err = e as { stack?: string; message?: string };
    return {
      name: s.name, ok: false, failures: ['threw: ' + String(err && (err.stack || err.message) || e)],
      bytes: 0, digest: '', states: [], stats: {}, poolsFull: false, virtualTimeMs: -1, extra: {},
    };
  }
}

export { ip4ToString };
