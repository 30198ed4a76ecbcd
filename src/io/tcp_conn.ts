/**
 * The internal side of one ECMA-419 TCP socket: the raw-API pcb, the received data not read yet,
 * and the events waiting for delivery. `TCP` (src/io/tcp.ts) is the public face and keeps one of
 * these in a private field; a Listener keeps them for accepted connections nobody has read yet.
 *
 * The raw callbacks registered here are module-level functions (tcp_arg carries the connection), so
 * a connection costs no closures, and they only record what happened: the application's callbacks
 * run from `runDeferred`, after the stack has finished the frame or tick (src/core/deferred.ts), as
 * Moddable's lwIP sockets post a message to the XS machine from their lwIP callbacks.
 *
 * Received data is kept as the pbufs the stack delivered (no copy, no allocation); `read` copies out
 * of them and calls tcp_recved for what it took, so the receive window closes while the application
 * does not read and reopens as it reads (RFC 9293 §3.8.6.2.2: the window is the room left in the
 * receive buffer). The data held is therefore bounded by the receive window.
 */
import type { Stack } from '../api/stack.js';
import { ERR_OK } from '../core/err.js';
import type { Err } from '../core/err.js';
import type { Pbuf } from '../core/pbuf.js';
import { pbuf_free, copyBytes } from '../core/pbuf.js';
import type { Deferred } from '../core/deferred.js';
import {
  tcp_arg, tcp_recv, tcp_sent, tcp_err, tcp_close, tcp_abort, tcp_recved, tcp_sndbuf, tcp_remote_ip, tcp_remote_port,
  tcp_backlog_accepted,
} from '../api/tcp_api.js';
import type { TcpPcb } from '../api/tcp_api.js';
import { ip4ToString } from '../core/ip4addr.js';
import type { Callback } from './common.js';

/** Received octets as a queue of pbufs, consumed from the front. */
export class RxQueue {
  private head: Pbuf | null = null;
  private tail: Pbuf | null = null;
  /** Octets held. */
  count = 0;

  /** Takes ownership of the chain `p`. */
  append(p: Pbuf): void {
    let last = p;
    let n = p.len;
    while (last.next !== null) { last = last.next; n += last.len; }
    if (this.tail === null) this.head = p;
    else this.tail.next = p;
    this.tail = last;
    this.count += n;
  }

  /** Copies `n` (≤ count) octets to `dst[off..]`, freeing each pbuf once it is used up. */
  take(dst: Uint8Array, off: number, n: number): void {
    let done = 0;
    while (done < n) {
      const q = this.head as Pbuf;
      let k = q.len;
      if (k > n - done) k = n - done;
      if (k > 0) {
        copyBytes(dst, off + done, q.buf, q.off, k, q.pool.copier);
        q.off += k;
        q.len -= k;
        done += k;
      }
      if (q.len === 0) this.drop(q);
    }
    this.count -= n;
  }

  /** Takes one octet (count > 0). */
  takeByte(): number {
    let q = this.head as Pbuf;
    while (q.len === 0) { this.drop(q); q = this.head as Pbuf; }
    const b = q.buf[q.off];
    q.off++;
    q.len--;
    if (q.len === 0) this.drop(q);
    this.count--;
    return b;
  }

  /** Frees everything held. */
  clear(): void {
    while (this.head !== null) this.drop(this.head);
    this.count = 0;
  }

  private drop(q: Pbuf): void {
    this.head = q.next;
    if (this.head === null) this.tail = null;
    q.next = null;
    pbuf_free(q);
  }
}

export const TRIG_READABLE = 1;
export const TRIG_WRITABLE = 2;
export const TRIG_ERROR = 4;

export class TcpConnection implements Deferred {
  deferNext: Deferred | null = null;
  deferQueued = false;
  readonly stack: Stack;
  /** The raw pcb; null once the stack freed it (tcp_err) or we closed it. */
  pcb: TcpPcb | null;
  readonly rx = new RxQueue();
  /** The TCP instance events are delivered to (`this` of the callbacks); null while a Listener holds it. */
  owner: object | null = null;
  onReadable: Callback | null = null;
  onWritable: Callback | null = null;
  onError: Callback | null = null;
  /** Events waiting for delivery (TRIG_*). */
  triggered = 0;
  /** The handshake completed: writing is allowed (Moddable's `ready`). */
  connected = false;
  /** The peer sent its FIN. */
  peerFin = false;
  /** The stack freed the pcb (reset, timeout, abort): the lwIP error code, 0 while alive. */
  failure: Err = ERR_OK;
  /** onError has been delivered or close() was called: nothing more happens. */
  closed = false;
  /** Accepted by a Listener and not yet read from it (still counts against the backlog). */
  inBacklog = false;
  /** remoteAddress, formatted once. */
  remoteAddress: string | undefined = undefined;
  remotePort: number | undefined = undefined;
  /** The port to connect to once a `host` name is resolved. */
  remotePortWanted = 0;
  /** One octet for writes in the "number" format. */
  readonly one = new Uint8Array(1);

  constructor(stack: Stack, pcb: TcpPcb) {
    this.stack = stack;
    this.pcb = pcb;
    tcp_arg(pcb, this);
    tcp_recv(pcb, recvFn);
    tcp_sent(pcb, sentFn);
    tcp_err(pcb, errFn);
  }

  /** The connection is established: remember the peer, writing may start. */
  established(): void {
    const pcb = this.pcb;
    if (pcb === null) return;
    this.connected = true;
    this.remoteAddress = ip4ToString(tcp_remote_ip(pcb));
    this.remotePort = tcp_remote_port(pcb);
  }

  /** Records events and queues the delivery (only once an instance owns the connection). */
  trigger(bits: number): void {
    this.triggered |= bits;
    if (this.owner !== null && !this.closed) this.stack.core.deferred.add(this);
  }

  /** Octets a write may take now. */
  writable(): number {
    return this.pcb !== null && this.connected && !this.closed ? tcp_sndbuf(this.pcb) : 0;
  }

  /** The application read `n` octets: reopen the window; once all is read after the end, report it. */
  consumed(n: number): void {
    if (this.pcb !== null) tcp_recved(this.pcb, n);
    if (this.rx.count === 0 && (this.peerFin || this.failure !== ERR_OK)) this.trigger(TRIG_ERROR);
  }

  runDeferred(): void {
    const bits = this.triggered;
    this.triggered = 0;
    const self = this.owner;
    if (this.closed || self === null) return;
    if ((bits & TRIG_READABLE) !== 0 && this.rx.count > 0 && this.onReadable !== null) {
      this.onReadable.call(self, this.rx.count);
      if (this.closed) return;
    }
    if ((this.peerFin || this.failure !== ERR_OK) && this.rx.count === 0) {
      // ECMA-419 TCP: onError when the connection fails or the peer disconnects; the instance is
      // closed first (the callback may only call close), and our side closes gracefully: data
      // already written still goes out before our FIN.
      const fn = this.onError;
      this.release(false);
      if (fn !== null) fn.call(self);
      return;
    }
    if ((bits & TRIG_WRITABLE) !== 0 && this.onWritable !== null) {
      const n = this.writable();
      if (n > 0) this.onWritable.call(self, n);
    }
  }

  /**
   * Ends the connection's life here: no more callbacks, received data freed, the pcb closed. Data
   * not yet read when the application closes makes the stack reset the connection (RFC 9293
   * §3.10.4, RFC 2525 §2.17); a FIN that cannot be queued (ERR_MEM) is replaced by a reset too, so
   * that nothing is left behind.
   */
  release(abort: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.stack.core.deferred.remove(this);
    this.triggered = 0;
    this.onReadable = this.onWritable = this.onError = null;
    this.rx.clear();
    const pcb = this.pcb;
    this.pcb = null;
    if (pcb === null) return;
    tcp_recv(pcb, null);
    tcp_sent(pcb, null);
    tcp_err(pcb, null);
    tcp_arg(pcb, null);
    if (this.inBacklog) { this.inBacklog = false; tcp_backlog_accepted(pcb); }
    if (abort || tcp_close(pcb) !== ERR_OK) tcp_abort(pcb);
  }
}

function recvFn(arg: unknown, _pcb: TcpPcb, p: Pbuf | null, _err: Err): Err {
  const c = arg as TcpConnection;
  if (p === null) {
    c.peerFin = true;
    c.trigger(TRIG_ERROR);
    return ERR_OK;
  }
  c.rx.append(p);
  c.trigger(TRIG_READABLE);
  return ERR_OK;
}

function sentFn(arg: unknown, _pcb: TcpPcb, _len: number): Err {
  (arg as TcpConnection).trigger(TRIG_WRITABLE);
  return ERR_OK;
}

function errFn(arg: unknown, err: Err): void {
  const c = arg as TcpConnection;
  c.pcb = null; // the stack has freed it (tcp_err contract)
  c.failure = err;
  c.trigger(TRIG_ERROR);
}

/** tcp_connect's callback: the handshake completed. */
export function connectedFn(arg: unknown, _pcb: TcpPcb, _err: Err): Err {
  const c = arg as TcpConnection;
  c.established();
  c.trigger(TRIG_WRITABLE);
  return ERR_OK;
}
