/**
 * ECMA-419 TCP listener (`embedded:io/socket/listener`, ECMA-419 2nd ed. §10 "TCP listener socket")
 * over the raw API. Options: `port` (default 0: an ephemeral port), `address` (a local IPv4 address
 * to bind to; default any), `onReadable(count)`, `format` ("socket/tcp" only), `target`, and the
 * extensions `stack` (which xs-tcp Stack) and `backlog` (connections that may wait to be read;
 * default TCP_DEFAULT_LISTEN_BACKLOG).
 *
 *   new Listener({ port: 80, onReadable(n) { while (n--) new TCP({ from: this.read(), onReadable ... }); } });
 *
 * Accepted connections wait in a fixed ring until read(); each keeps counting against the listen
 * backlog meanwhile (tcp_backlog_delayed), so a peer that opens connections faster than the
 * application reads them gets no more than the backlog: further SYNs are dropped and retried by the
 * peer (RFC 9293 §3.10.7.2 leaves a full queue to the implementation; lwIP and Linux drop).
 * Data arriving on a waiting connection is held (bounded by its receive window) and delivered once
 * it is adopted with `new TCP({ from })`.
 */
import type { Stack } from '../api/stack.js';
import { ERR_OK, ERR_MEM, ERR_USE } from '../core/err.js';
import type { Err } from '../core/err.js';
import {
  tcp_new, tcp_bind, tcp_listen_with_backlog, tcp_accept, tcp_arg, tcp_close, tcp_abort, tcp_local_port,
  tcp_backlog_delayed, ip_set_option, SOF_REUSEADDR,
} from '../api/tcp_api.js';
import type { TcpPcb } from '../api/tcp_api.js';
import {
  RingCore, addressOf, callbackOf, checkFormat, checkOptions, closedError, formatOf, portOf, setTarget, stackOf,
} from './common.js';
import type { Callback } from './common.js';
import { TcpConnection } from './tcp_conn.js';
import { TCP } from './tcp.js';

/** Frozen: preloaded on Moddable (xsl warns about module constants it cannot keep in flash). */
const FORMATS = Object.freeze(['socket/tcp'] as const);

/** The listener's internal side: the listening pcb and the ring of connections waiting for read(). */
class ListenerCore extends RingCore {
  pcb: TcpPcb | null;
  readonly ring: (TcpConnection | null)[];

  constructor(stack: Stack, pcb: TcpPcb, owner: Listener, onReadable: Callback | null, capacity: number) {
    super(stack, owner, onReadable);
    this.pcb = pcb;
    this.ring = [];
    for (let i = 0; i < capacity; i++) this.ring.push(null);
  }

  shift(): TcpConnection | null {
    if (this.count === 0) return null;
    const c = this.ring[this.head];
    this.ring[this.head] = null;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
    return c;
  }

  release(): void {
    if (!this.closing()) return;
    for (let c = this.shift(); c !== null; c = this.shift()) c.release(false);
    const pcb = this.pcb;
    this.pcb = null;
    if (pcb !== null) {
      tcp_accept(pcb, null);
      tcp_arg(pcb, null);
      tcp_close(pcb);
    }
  }
}

function acceptFn(arg: unknown, pcb: TcpPcb | null, _err: Err): Err {
  const l = arg as ListenerCore;
  if (pcb === null) return ERR_OK;
  if (l.closed || l.count === l.ring.length) return ERR_MEM; // the stack resets it
  const c = new TcpConnection(l.stack, pcb);
  c.established();
  c.inBacklog = true;
  tcp_backlog_delayed(pcb);
  l.ring[(l.head + l.count) % l.ring.length] = c;
  l.count++;
  l.stack.core.deferred.add(l);
  return ERR_OK;
}

export class Listener {
  #core: ListenerCore | null = null;

  constructor(options: Record<string, unknown>) {
    const o = checkOptions(options);
    formatOf(o, 'socket/tcp', FORMATS);
    const onReadable = callbackOf(o, 'onReadable');
    const port = portOf(o, 'port', 0, 0);
    const address = o.address === undefined ? 0 : addressOf(o.address, 'address');
    const stack = stackOf(o);
    let backlog = stack.core.config.TCP_DEFAULT_LISTEN_BACKLOG;
    if (o.backlog !== undefined) {
      const b = o.backlog;
      if (typeof b !== 'number' || !Number.isInteger(b) || b < 1 || b > 255) throw new RangeError('invalid backlog ' + String(b));
      backlog = b;
    }
    const pcb0 = tcp_new(stack);
    if (pcb0 === null) throw new Error('no socket');
    // a restarted server may rebind a port whose old connections sit in TIME_WAIT, as Moddable's do
    ip_set_option(pcb0, SOF_REUSEADDR);
    const r = tcp_bind(pcb0, address, port);
    if (r !== ERR_OK) {
      tcp_abort(pcb0);
      throw new Error(r === ERR_USE ? 'port in use' : 'bind failed (lwIP error ' + r + ')');
    }
    const pcb = tcp_listen_with_backlog(pcb0, backlog);
    if (pcb === null) {
      tcp_abort(pcb0);
      throw new Error('no listener (port taken or pool empty)');
    }
    const core = new ListenerCore(stack, pcb, this, onReadable, backlog);
    tcp_arg(pcb, core);
    tcp_accept(pcb, acceptFn);
    this.#core = core;
    setTarget(this, o);
  }

  #live(): ListenerCore {
    const c = this.#core;
    if (c === null || c.closed) throw closedError();
    return c;
  }

  /** The next accepted connection as a TCP instance without callbacks (adopt it with `from`), or undefined. */
  read(): TCP | undefined {
    const c = this.#live().shift();
    if (c === null) return undefined;
    return new TCP({ from: c });
  }

  write(): never {
    this.#live();
    throw new Error('a Listener cannot be written');
  }

  /** Stops listening; connections not read yet are closed. Idempotent. */
  close(): void {
    const c = this.#core;
    if (c === null) return;
    this.#core = null;
    c.release();
  }

  /** The local port listened on (useful with port 0). */
  get port(): number {
    const c = this.#live();
    return c.pcb === null ? 0 : tcp_local_port(c.pcb);
  }

  get format(): string {
    this.#live();
    return 'socket/tcp';
  }

  set format(value: string) {
    this.#live();
    checkFormat(value, FORMATS);
  }
}
