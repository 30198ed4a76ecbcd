/**
 * Two stacks on a MockNet with a small application on each end of a TCP connection, written against
 * the raw API only: a sender that keeps the send buffer full from one source array (tcp_sent drives
 * it), a receiver that digests what arrives (CRC-32) and reopens the window at once, and hooks for
 * what to do on FIN. Callbacks are created once per endpoint: the data path allocates nothing, so
 * the XS meter benchmark runs through this same code.
 */
import { MockNet, type MockNetOptions } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import type { StackConfig } from '../../src/core/config.js';
import { ERR_OK, ERR_MEM, type Err } from '../../src/core/err.js';
import { pbuf_free, type Pbuf } from '../../src/core/pbuf.js';
import {
  TcpPcb, tcp_new, tcp_bind, tcp_listen, tcp_accept, tcp_connect, tcp_write, tcp_output, tcp_recv,
  tcp_recved, tcp_sent, tcp_err, tcp_arg, tcp_close, tcp_shutdown, tcp_sndbuf, tcp_state_name,
} from '../../src/api/tcp_api.js';
import { TCP_WRITE_FLAG_COPY } from '../../src/tcp/constants.js';
import { Crc32, StateLog } from './common.js';

export const IP_A = '10.0.0.1';
export const IP_B = '10.0.0.2';

/** Configuration for scenarios: a short MSL so that TIME_WAIT (2 MSL) ends within a few virtual seconds. */
export const SCENARIO_CONFIG: Partial<StackConfig> = { TCP_MSL: 1000 };

/** One end of a connection: the application's state and its once-created callbacks. */
export class TcpEnd {
  readonly label: string;
  pcb: TcpPcb | null = null;
  readonly crc = new Crc32();
  received = 0;
  gotFin = false;
  connected = false;
  /** The error tcp_err reported (the pcb is gone then), or null. */
  errCode: Err | null = null;
  /** What to do when the peer's FIN arrives: 'close' (passive close at once) or 'none'. */
  onFin: 'close' | 'none' = 'close';
  /** Whether the receiver calls tcp_recved at once (a slow reader does not). */
  autoRecved = true;
  /** Digest received data (the benchmark turns this off to measure the stack alone). */
  digest = true;
  /** Keep the first `captureMax` received octets as text (Latin-1), for line-oriented services. */
  captureMax = 0;
  captured = '';

  // sending
  src: Uint8Array | null = null;
  srcOff = 0;
  srcEnd = 0;
  /** Largest tcp_write call. */
  chunk = 1460;
  writeFlags = TCP_WRITE_FLAG_COPY;
  /** Close once all of src is written (both directions: data still arriving then draws a RST,
   *  RFC 1122 §4.2.2.13, so only for one-way transfers). */
  closeWhenSent = false;
  /** Shut the send side (tcp_shutdown tx: our FIN) once all of src is written; keep receiving. */
  shutWhenSent = false;
  shutResult: Err | null = null;
  closeResult: Err | null = null;
  writeErrors = 0;

  readonly recvFn: (arg: unknown, pcb: TcpPcb, p: Pbuf | null, err: Err) => Err;
  readonly sentFn: (arg: unknown, pcb: TcpPcb, len: number) => Err;
  readonly errFn: (arg: unknown, err: Err) => void;
  readonly connectedFn: (arg: unknown, pcb: TcpPcb, err: Err) => Err;

  constructor(label: string) {
    this.label = label;
    this.recvFn = (_arg, pcb, p, _err) => {
      if (p === null) {
        this.gotFin = true;
        // the peer is done; we close once our own data is all written (tcp_close sends the rest, then FIN)
        if (this.onFin === 'close' && this.pcb !== null) {
          if (this.srcOff >= this.srcEnd) this.close();
          else this.closeWhenSent = true;
        }
        return ERR_OK;
      }
      const n = p.totLen;
      if (this.digest) this.crc.updateChain(p);
      for (let q: Pbuf | null = p; q !== null && this.captured.length < this.captureMax; q = q.next) {
        for (let i = 0; i < q.len && this.captured.length < this.captureMax; i++) this.captured += String.fromCharCode(q.buf[q.off + i]);
      }
      this.received += n;
      pbuf_free(p);
      if (this.autoRecved) tcp_recved(pcb, n);
      return ERR_OK;
    };
    this.sentFn = (_arg, _pcb, _len) => {
      this.pump();
      return ERR_OK;
    };
    this.errFn = (_arg, err) => {
      this.errCode = err;
      this.pcb = null;
    };
    this.connectedFn = (_arg, _pcb, err) => {
      this.connected = err === ERR_OK;
      this.pump();
      return ERR_OK;
    };
  }

  /** Installs the callbacks on a pcb (accepted or connecting). */
  attach(pcb: TcpPcb): void {
    this.pcb = pcb;
    tcp_arg(pcb, this);
    tcp_recv(pcb, this.recvFn);
    tcp_sent(pcb, this.sentFn);
    tcp_err(pcb, this.errFn);
  }

  /** Starts sending `len` bytes of `src` from `off`. */
  send(src: Uint8Array, off = 0, len = src.length - off): void {
    this.src = src;
    this.srcOff = off;
    this.srcEnd = off + len;
    this.pump();
  }

  /** Writes as much as the send buffer takes; closes when all is written and closeWhenSent. */
  pump(): void {
    const pcb = this.pcb;
    const src = this.src;
    if (pcb === null || src === null) return;
    let wrote = false;
    while (this.srcOff < this.srcEnd) {
      let n = this.srcEnd - this.srcOff;
      if (n > this.chunk) n = this.chunk;
      const room = tcp_sndbuf(pcb);
      if (room <= 0) break;
      if (n > room) n = room;
      const r = tcp_write(pcb, src, n, this.writeFlags, this.srcOff);
      if (r !== ERR_OK) {
        if (r !== ERR_MEM) this.writeErrors++;
        break;
      }
      this.srcOff += n;
      wrote = true;
    }
    if (wrote) tcp_output(pcb);
    if (this.srcOff >= this.srcEnd) {
      if (this.closeWhenSent && this.closeResult === null) this.close();
      else if (this.shutWhenSent && this.shutResult === null && this.pcb !== null) {
        this.shutResult = tcp_shutdown(this.pcb, false, true);
      }
    }
  }

  close(): Err {
    const pcb = this.pcb;
    if (pcb === null) return this.closeResult ?? ERR_OK;
    const r = tcp_close(pcb);
    this.closeResult = r;
    if (r === ERR_OK) this.pcb = null;
    return r;
  }

  state(): string {
    return this.pcb === null ? 'CLOSED' : tcp_state_name(this.pcb);
  }
}

export interface PairOptions extends MockNetOptions {
  config?: Partial<StackConfig>;
  port?: number;
}

/** Stack A (client, 10.0.0.1) and stack B (server, 10.0.0.2, listening on `port`), one connection. */
export class TcpPair {
  readonly net: MockNet;
  readonly a: Stack;
  readonly b: Stack;
  readonly log = new StateLog();
  readonly client = new TcpEnd('A');
  readonly server = new TcpEnd('B');
  listener: TcpPcb | null = null;
  readonly port: number;
  accepted = 0;

  constructor(opts: PairOptions = {}) {
    const { config, port, ...netOpts } = opts;
    this.net = new MockNet({ seed: 1, ...netOpts });
    const cfg = { ...SCENARIO_CONFIG, ...(config ?? {}) };
    this.a = this.net.addStack({ ip: IP_A + '/24', config: cfg, name: 'A' });
    this.b = this.net.addStack({ ip: IP_B + '/24', config: cfg, name: 'B' });
    this.port = port ?? 7;
    this.log.attach('A', this.a);
    this.log.attach('B', this.b);
  }

  /** B listens on the port; each accepted connection is handed to `server` (the last one wins). */
  listen(): boolean {
    const pcb = tcp_new(this.b);
    if (pcb === null || tcp_bind(pcb, 0, this.port) !== ERR_OK) return false;
    const l = tcp_listen(pcb);
    if (l === null) return false;
    this.listener = l;
    tcp_accept(l, (_arg, newpcb, err) => {
      if (newpcb === null || err !== ERR_OK) return ERR_OK;
      this.accepted++;
      this.server.attach(newpcb);
      this.server.pump();
      return ERR_OK;
    });
    return true;
  }

  closeListener(): void {
    if (this.listener !== null) {
      tcp_close(this.listener);
      this.listener = null;
    }
  }

  /** A connects to B; true once both ends are ESTABLISHED. */
  connect(maxMs = 5000): boolean {
    const pcb = tcp_new(this.a);
    if (pcb === null) return false;
    this.client.attach(pcb);
    if (tcp_connect(pcb, IP_B, this.port, this.client.connectedFn) !== ERR_OK) return false;
    return this.net.runUntil(() => this.client.connected && this.server.pcb !== null
      && this.server.state() === 'ESTABLISHED', maxMs);
  }

  /** Runs until no connection is left on either stack (TIME_WAIT included), or maxMs pass. */
  runUntilQuiet(maxMs: number): boolean {
    return this.net.runUntil(() => this.a.tcp.pcbPool.stats.used === 0 && this.b.tcp.pcbPool.stats.used === 0, maxMs);
  }
}
