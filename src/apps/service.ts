/**
 * What the small TCP services (echo, discard, daytime, chargen) share: a listener on a port, a fixed
 * pool of per-connection records sized like the stack's pcb pool (so accepting a connection never
 * allocates), and a handle to stop the service. Written only against the raw API, so the same code
 * runs on the host and on the board.
 */
import type { Err } from '../core/err.js';
import { ERR_OK, ERR_MEM, ERR_USE, ERR_ABRT, ERR_VAL } from '../core/err.js';
import { Memp } from '../core/memp.js';
import type { Pooled } from '../core/memp.js';
import {
  tcp_new, tcp_bind, tcp_listen, tcp_accept, tcp_arg, tcp_close, tcp_abort, tcp_recv, tcp_sent,
  tcp_err, tcp_poll, ip_set_option, SOF_REUSEADDR, SOF_KEEPALIVE,
} from '../api/tcp_api.js';
import type { TcpPcb, TcpAcceptFn } from '../api/tcp_api.js';
import type { Stack } from '../api/stack.js';

export interface ServiceHandle {
  /** Service name, e.g. 'echo'. */
  readonly name: string;
  readonly port: number;
  /** ERR_OK when listening; otherwise why tcp_bind / tcp_listen failed (e.g. ERR_USE). */
  readonly err: Err;
  /** Connections open now (accepted and not yet released). */
  connections(): number;
  /** Connections accepted since start. */
  accepted(): number;
  /** Stops listening and closes every open connection (an orderly FIN; RST if that fails). */
  stop(): void;
}

/** A per-connection record; each service extends it with its own fields. */
export class ServiceConn implements Pooled {
  mempIndex = 0;
  pcb: TcpPcb | null = null;
  /** The application closed (or wants to close) its side; a failed tcp_close is retried from poll. */
  closing = false;
  /** When data last moved either way (SERVICE_IDLE_TIMEOUT). */
  lastData = 0;
}

/**
 * The listener and the connection pool. Subclasses provide `setup(conn)` (register the callbacks on
 * a new connection) and `drop(conn)` (release what a connection holds, e.g. pending pbufs).
 */
export abstract class Service<C extends ServiceConn> implements ServiceHandle {
  readonly name: string;
  readonly port: number;
  err: Err = ERR_OK;
  readonly stack: Stack;
  readonly pool: Memp<C>;
  private listener: TcpPcb | null = null;
  private acceptedCount = 0;
  private stopped = false;
  /** Connections closed by SERVICE_IDLE_TIMEOUT. */
  idleClosed = 0;

  constructor(stack: Stack, name: string, port: number, make: (service: Service<C>) => C) {
    this.stack = stack;
    this.name = name;
    this.port = port;
    this.pool = new Memp<C>('app ' + name, stack.core.config.MEMP_NUM_TCP_PCB, () => make(this));
  }

  /** Binds and listens; sets `err` when that fails. */
  protected listen(): void {
    const pcb = tcp_new(this.stack);
    if (pcb === null) { this.err = ERR_MEM; return; }
    // A restarted service must be able to listen while old connections sit in TIME_WAIT (RFC 9293
    // §3.6.1 lets a new incarnation reuse the port; SO_REUSEADDR as in seed 004).
    ip_set_option(pcb, SOF_REUSEADDR);
    const e = tcp_bind(pcb, 0, this.port);
    if (e !== ERR_OK) { tcp_close(pcb); this.err = e; return; }
    const l = tcp_listen(pcb);
    if (l === null) { tcp_close(pcb); this.err = ERR_USE; return; }
    this.listener = l;
    tcp_arg(l, this);
    tcp_accept(l, serviceAccept as TcpAcceptFn);
  }

  /** A new connection: take a record and register the service's callbacks (see serviceAccept). */
  acceptConn(newpcb: TcpPcb): Err {
    const conn = this.pool.alloc();
    if (conn === null) {
      // More connections than the stack has pcbs cannot happen; refuse rather than share records.
      tcp_abort(newpcb);
      return ERR_ABRT;
    }
    this.acceptedCount++;
    conn.pcb = newpcb;
    conn.closing = false;
    conn.lastData = this.stack.core.now;
    // RFC 1122 §4.2.3.6 keepalive with the stack's defaults: a peer that vanished is noticed
    if (this.stack.core.config.SERVICE_KEEPALIVE) ip_set_option(newpcb, SOF_KEEPALIVE);
    tcp_arg(newpcb, conn);
    return this.setup(conn);
  }

  /** Data moved on `conn` (the idle limit counts from here). */
  touch(conn: C): void {
    conn.lastData = this.stack.core.now;
  }

  /**
   * SERVICE_IDLE_TIMEOUT, called from the services' poll callbacks: a connection that moved no data
   * either way for that long is reset, so idle clients cannot hold every pcb. Returns ERR_ABRT when
   * it was (the poll callback must return it), else ERR_OK.
   */
  expireIdle(conn: C): Err {
    const limit = this.stack.core.config.SERVICE_IDLE_TIMEOUT;
    if (limit === 0 || conn.pcb === null || this.stack.core.now - conn.lastData < limit) return ERR_OK;
    this.idleClosed++;
    this.abortConn(conn);
    return ERR_ABRT;
  }

  protected abstract setup(conn: C): Err;
  protected abstract drop(conn: C): void;

  /** The connection is gone (tcp_err, or our close completed): give back what it held. */
  release(conn: C): void {
    if (conn.pcb === null) return;
    this.drop(conn);
    conn.pcb = null;
    conn.closing = false;
    this.pool.release(conn);
  }

  /** Our side is done: tcp_close. The handle is dead after ERR_OK, so the record goes back at once;
   *  on ERR_MEM (no room for the FIN) the record stays and poll tries again. */
  closeConn(conn: C): Err {
    const pcb = conn.pcb;
    if (pcb === null) return ERR_OK;
    conn.closing = true;
    const e = tcp_close(pcb);
    if (e === ERR_OK) {
      this.release(conn);
      return ERR_OK;
    }
    return e;
  }

  /** Aborts the connection (RST); the callback that calls this must return ERR_ABRT. */
  abortConn(conn: C): void {
    const pcb = conn.pcb;
    if (pcb === null) return;
    // Detach first: tcp_abort calls tcp_err, which would release the record a second time.
    tcp_err(pcb, null);
    tcp_recv(pcb, null);
    tcp_sent(pcb, null);
    tcp_poll(pcb, null, 0);
    tcp_abort(pcb);
    this.release(conn);
  }

  connections(): number {
    return this.pool.stats.used;
  }

  accepted(): number {
    return this.acceptedCount;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.listener !== null) {
      tcp_close(this.listener);
      this.listener = null;
    }
    this.pool.forEachTaken((conn) => {
      if (this.closeConn(conn) !== ERR_OK) this.abortConn(conn);
    });
  }
}

function serviceAccept(arg: Service<ServiceConn>, newpcb: TcpPcb | null, err: Err): Err {
  if (newpcb === null || err !== ERR_OK) return ERR_VAL;
  return arg.acceptConn(newpcb);
}
