/**
 * The example app without a board: a "board" stack running the echo, discard, daytime and chargen
 * services and a "pc" stack that visits each of them in turn, joined by the mock wire under a virtual
 * clock. The state-transition trace and the netstat table are printed through `log`. Runs the same
 * in Node, in xsnap and in the Moddable simulator (manifests/lin: build/xs-tcp-sim.js).
 *
 *   const demo = new SimDemo((line) => trace(line + '\n'));
 *   Timer.repeat(() => demo.run(100), 100);
 */
import { MockNet } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import { ERR_OK } from '../../src/core/err.js';
import type { Err } from '../../src/core/err.js';
import type { Pbuf } from '../../src/core/pbuf.js';
import { pbuf_free } from '../../src/core/pbuf.js';
import {
  tcp_new, tcp_connect, tcp_recv, tcp_recved, tcp_write, tcp_output, tcp_close, tcp_err, tcp_set_trace,
  formatTrace, netstat, formatNetstat, TCP_WRITE_FLAG_COPY,
} from '../../src/api/tcp_api.js';
import type { TcpPcb } from '../../src/api/tcp_api.js';
import { startEcho, startDiscard, startDaytime, startChargen } from '../../src/apps/index.js';
import type { ServiceHandle } from '../../src/apps/index.js';

export interface SimDemoOptions {
  /** Virtual ms between two netstat tables. Default 5000. */
  netstatMs?: number;
  /** Print every state transition. Default true. */
  trace?: boolean;
  seed?: number;
}

/** What the pc does with each service: what it sends, and how many octets it reads before closing
 *  (0: close after sending; daytime closes by itself). Created per demo (no module-level arrays:
 *  Moddable freezes preloaded modules). */
function visits(): { port: number; send: string; readMax: number }[] {
  return [
    { port: 7, send: 'hello, echo\r\n', readMax: 13 },
    { port: 9, send: 'into the void\r\n', readMax: 0 },
    { port: 13, send: '', readMax: 64 },
    { port: 19, send: '', readMax: 148 },
  ];
}

export class SimDemo {
  readonly net: MockNet;
  readonly board: Stack;
  readonly pc: Stack;
  readonly services: ServiceHandle[];
  private readonly log: (line: string) => void;
  private readonly netstatMs: number;
  private nextNetstat: number;
  private visit = 0;
  private nextVisitAt = 200;
  private pcb: TcpPcb | null = null;
  private got = '';
  private readonly visits = visits();

  constructor(log: (line: string) => void, opts: SimDemoOptions = {}) {
    this.log = log;
    this.netstatMs = opts.netstatMs ?? 5000;
    this.nextNetstat = this.netstatMs;
    this.net = new MockNet({ seed: opts.seed ?? 1, delayMs: 1 });
    this.pc = this.net.addStack({ ip: '192.168.7.1/24', name: 'pc' });
    this.board = this.net.addStack({ ip: '192.168.7.2/24', name: 'board' });
    this.services = [startEcho(this.board), startDiscard(this.board), startDaytime(this.board), startChargen(this.board)];
    for (const s of this.services) log(s.name + ' on port ' + s.port + (s.err === ERR_OK ? '' : ': error ' + s.err));
    if (opts.trace ?? true) tcp_set_trace(this.board, (info) => log('board ' + formatTrace(info)));
  }

  /** Advances `ms` of virtual time: the pc visits one service every 2 s; netstat every netstatMs. */
  run(ms: number): void {
    const net = this.net;
    const end = net.now + ms;
    while (net.now < end) {
      net.step();
      const now = net.now;
      if (now >= this.nextVisitAt && this.pcb === null) this.startVisit();
      if (now >= this.nextNetstat) {
        this.nextNetstat += this.netstatMs;
        this.log('netstat at ' + (now / 1000).toFixed(1) + ' s (board)\n' + formatNetstat(netstat(this.board)));
      }
    }
  }

  private startVisit(): void {
    const v = this.visits[this.visit % this.visits.length];
    this.visit++;
    this.nextVisitAt = this.net.now + 2000;
    const pcb = tcp_new(this.pc);
    if (pcb === null) return;
    this.pcb = pcb;
    this.got = '';
    tcp_err(pcb, () => { this.pcb = null; });
    tcp_recv(pcb, (_a: unknown, p2: TcpPcb, p: Pbuf | null, _e: Err) => {
      if (p === null) { this.finish('closed by the board'); return ERR_OK; }
      for (let q: Pbuf | null = p; q !== null; q = q.next) {
        for (let i = 0; i < q.len && this.got.length < v.readMax; i++) this.got += String.fromCharCode(q.buf[q.off + i]);
      }
      tcp_recved(p2, p.totLen);
      pbuf_free(p);
      if (this.got.length >= v.readMax && v.readMax > 0 && v.port !== 13) this.finish('enough');
      return ERR_OK;
    });
    tcp_connect(pcb, '192.168.7.2', v.port, () => {
      if (v.send.length > 0) {
        const bytes = new Uint8Array(v.send.length);
        for (let i = 0; i < bytes.length; i++) bytes[i] = v.send.charCodeAt(i);
        tcp_write(pcb, bytes, bytes.length, TCP_WRITE_FLAG_COPY);
        tcp_output(pcb);
      }
      if (v.readMax === 0) this.finish('sent');
      return ERR_OK;
    });
  }

  private finish(why: string): void {
    const pcb = this.pcb;
    if (pcb === null) return;
    this.pcb = null;
    const text = this.got.replace(/\r\n/g, ' | ').trim();
    this.log('pc: ' + why + (text ? ': ' + text : ''));
    tcp_close(pcb);
  }
}
