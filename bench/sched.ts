/**
 * Idle wake-ups: how often a scheduler wakes a stack that holds 4 established, idle connections.
 * Deterministic (mock wire, virtual clock): the connections are opened, then `seconds` of virtual
 * time pass with the sleeping policy of hal/deadline.ts (sleep until Stack.nextDeadline, capped),
 * counting ticks. "Before" is the fixed-period policy the schedulers had: a tick every 5 ms on the
 * host (10 ms on the ESP32), whatever is due.
 */
import { MockNet } from '../tools/mocknet.js';
import { MAX_SLEEP_MS, sleepFor } from '../hal/deadline.js';
import type { Stack } from '../src/api/stack.js';
import {
  tcp_new, tcp_bind, tcp_listen, tcp_accept, tcp_connect, tcp_state, TcpPcb, ESTABLISHED,
} from '../src/api/tcp_api.js';
import { ERR_OK } from '../src/core/err.js';
import type { BenchResult } from './util.js';

export interface IdleRun {
  net: MockNet;
  a: Stack;
  b: Stack;
  clients: TcpPcb[];
  accepted: TcpPcb[];
  listener: TcpPcb;
}

/** Two stacks with `n` established connections between them, idle once this returns. */
export function idleConnections(n: number): IdleRun {
  const net = new MockNet({ seed: 3 });
  const a = net.addStack({ ip: '10.0.0.1/24' });
  const b = net.addStack({ ip: '10.0.0.2/24' });
  const accepted: TcpPcb[] = [];
  const l = tcp_listen(((): TcpPcb => { const p = tcp_new(b) as TcpPcb; tcp_bind(p, 0, 7); return p; })()) as TcpPcb;
  tcp_accept(l, (_x, c) => { accepted.push(c as TcpPcb); return ERR_OK; });
  const clients: TcpPcb[] = [];
  for (let i = 0; i < n; i++) {
    const c = tcp_new(a) as TcpPcb;
    tcp_connect(c, '10.0.0.2', 7, () => ERR_OK);
    clients.push(c);
  }
  if (!net.runUntil(() => accepted.length === n && clients.every((c) => tcp_state(c) === ESTABLISHED), 10_000)) {
    throw new Error('connections did not open');
  }
  net.run(1000); // delayed ACKs and the like settle
  return { net, a, b, clients, accepted, listener: l };
}

/**
 * Wake-ups per second of stack `a` over `seconds` of virtual time. `periodMs` > 0: the fixed-tick
 * policy; otherwise sleep until the deadline each tick returns (at most `maxSleepMs`). Frames the
 * wire delivers wake the stack too (the driver pokes the scheduler), and count.
 */
export function wakeupsPerSec(run: IdleRun, seconds: number, periodMs = 0, maxSleepMs = MAX_SLEEP_MS): number {
  const { net, a, b } = run;
  const clock = net.clock;
  const end = clock.now() + seconds * 1000;
  let wakeA = 0;
  let dueA = a.tick(clock.now());
  let dueB = b.tick(clock.now());
  while (clock.now() < end) {
    const now = clock.now();
    const sa = periodMs > 0 ? periodMs : sleepFor(dueA, now, maxSleepMs);
    const sb = periodMs > 0 ? periodMs : sleepFor(dueB, now, maxSleepMs);
    let step = sa < sb ? sa : sb;
    if (step < 1) step = 1; // the timers' resolution
    const t = clock.advance(step);
    if (t - now >= sa) { wakeA++; dueA = a.tick(t); }
    if (t - now >= sb) dueB = b.tick(t);
    // frames sent by those ticks arrive at once (no wire delay) and wake their receiver
    for (let i = 0; i < 100; i++) {
      const rxA = net.driverOf(a).rxFrames;
      const rxB = net.driverOf(b).rxFrames;
      if (net.wire.deliverDue(t) === 0) break;
      if (net.driverOf(a).rxFrames !== rxA) { wakeA++; dueA = a.tick(t); }
      if (net.driverOf(b).rxFrames !== rxB) dueB = b.tick(t);
    }
  }
  return wakeA / seconds;
}

export async function run(): Promise<BenchResult> {
  const before = wakeupsPerSec(idleConnections(4), 60, 5);
  const after = wakeupsPerSec(idleConnections(4), 60);
  return {
    rows: [
      ['idle, 4 connections, fixed 5 ms tick (wake-ups/s)', before.toFixed(2)],
      ['idle, 4 connections, sleep to next deadline (wake-ups/s)', after.toFixed(2)],
    ],
    json: { idleWakeupsPerSecFixedTick: before, idleWakeupsPerSec: after },
  };
}
