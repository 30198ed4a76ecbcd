/**
 * lwIP's raw TCP API, with lwIP's names and semantics, over TcpPcb handles.
 *
 * A handle refers to one connection (or listener) for its whole life. When the stack frees the
 * connection — tcp_err has been called, tcp_abort returned, tcp_close completed — the handle is cut
 * off from the pool entry, which the stack may reuse at once for another connection; every call on
 * the old handle then returns ERR_CLSD (or does nothing, for calls that return nothing). Unlike in
 * lwIP, a stale pointer can never reach another connection.
 *
 * Callbacks run inside the stack (segment arrival, timers). Data written with tcp_write inside a
 * callback goes out when the callback returns; outside callbacks call tcp_output (or the next timer
 * tick sends it).
 */
import type { Err } from '../core/err.js';
import { ERR_OK, ERR_ARG, ERR_CLSD, ERR_CONN, ERR_VAL, ERR_ABRT } from '../core/err.js';
import { ip4Of, ip4ToString } from '../core/ip4addr.js';
import { TcpTraceInfo } from '../tcp/tcp.js';
import type { NetstatRow } from './diag.js';
import { TcpPcb, Tcb, TcpListen, TCB } from '../tcp/tcb.js';
import type { TcpOps } from '../tcp/tcb.js';
import type {
  TcpAcceptFn, TcpConnectedFn, TcpErrFn, TcpPollFn, TcpRecvFn, TcpSentFn,
} from '../tcp/tcb.js';
import {
  CLOSED, LISTEN, tcpStateName, TF_NODELAY, TCP_WRITE_FLAG_COPY,
} from '../tcp/constants.js';
import type { Stack } from './stack.js';

export { TcpPcb, TcpTraceInfo };
export type { NetstatRow, TcpAcceptFn, TcpConnectedFn, TcpErrFn, TcpPollFn, TcpRecvFn, TcpSentFn };
export {
  TCP_WRITE_FLAG_COPY, TCP_WRITE_FLAG_MORE, SOF_REUSEADDR, SOF_KEEPALIVE, TCP_STATE_NAMES,
  CLOSED, LISTEN, SYN_SENT, SYN_RCVD, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK,
  TIME_WAIT,
} from '../tcp/constants.js';

/** The layer behind a handle, for a call that may queue work or arm a timer: the scheduler is told
 *  (Stack.setWorkHook) so that it does not sleep through it. */
function layerOf(pcb: TcpPcb): TcpOps {
  const layer = pcb.layer;
  layer.core.wake();
  return layer;
}

/** The live connection behind `pcb`, or null (ERR_CLSD for the caller). Handle.resolve() written
 *  out: several API calls run per segment (tcp_write, tcp_output, tcp_recved, tcp_sndbuf), and XS
 *  charges each of them a call. */
function connOf(pcb: TcpPcb | null | undefined): Tcb | null {
  if (!(pcb instanceof TcpPcb)) return null;
  const c = pcb.entry;
  return c !== null && c.gen === pcb.gen ? c : null;
}

function listenerOf(pcb: TcpPcb | null | undefined): TcpListen | null {
  return pcb instanceof TcpPcb ? pcb.listenerRef.resolve() : null;
}

/** tcp_new: a new pcb in CLOSED, or null when the pcb pool is exhausted (after recycling TIME_WAIT). */
export function tcp_new(stack: Stack): TcpPcb | null {
  const layer = stack.tcp;
  const conn = layer.allocPcb();
  if (conn === null) return null;
  const h = new TcpPcb(layer);
  h.issue(conn);
  conn.handle = h;
  return h;
}

/** tcp_bind: local address (0 / '0.0.0.0' for any) and port (0 picks an ephemeral port).
 *  ERR_USE when the port is taken (see ip_set_option(SOF_REUSEADDR)); ERR_VAL when already bound. */
export function tcp_bind(pcb: TcpPcb, ipaddr: number | string, port: number): Err {
  const c = connOf(pcb);
  if (c === null) return listenerOf(pcb) !== null ? ERR_VAL : ERR_CLSD;
  const ip = ip4Of(ipaddr);
  if (ip < 0 || !Number.isInteger(port) || port < 0 || port > 65535) return ERR_ARG;
  return layerOf(pcb).bind(c, ip, port);
}

/** ip_set_option: SOF_REUSEADDR, SOF_KEEPALIVE. */
export function ip_set_option(pcb: TcpPcb, opt: number): void {
  const c = connOf(pcb);
  if (c !== null) c.v[TCB.soOptions] |= opt;
  const l = listenerOf(pcb);
  if (l !== null) l.soOptions |= opt;
}

export function ip_reset_option(pcb: TcpPcb, opt: number): void {
  const c = connOf(pcb);
  if (c !== null) c.v[TCB.soOptions] &= ~opt;
  const l = listenerOf(pcb);
  if (l !== null) l.soOptions &= ~opt;
}

export function ip_get_option(pcb: TcpPcb, opt: number): boolean {
  const c = connOf(pcb);
  if (c !== null) return (c.v[TCB.soOptions] & opt) !== 0;
  const l = listenerOf(pcb);
  return l !== null && (l.soOptions & opt) !== 0;
}

/**
 * tcp_listen_with_backlog: turns a bound pcb into a listener. Returns the listening pcb — a new,
 * smaller handle; the one passed in is freed — or null (the passed pcb stays usable) when the port
 * already has a listener or the listen pool is empty. A backlog of 0 means 1.
 */
export function tcp_listen_with_backlog(pcb: TcpPcb, backlog: number): TcpPcb | null {
  const c = connOf(pcb);
  if (c === null) return null;
  const layer = layerOf(pcb);
  const h = new TcpPcb(layer);
  const l = layer.listen(c, backlog | 0, h);
  if (l === null) return null;
  h.listenerRef.issue(l);
  return h;
}

export function tcp_listen(pcb: TcpPcb): TcpPcb | null {
  const c = connOf(pcb);
  if (c === null) return null;
  return tcp_listen_with_backlog(pcb, layerOf(pcb).core.config.TCP_DEFAULT_LISTEN_BACKLOG);
}

/** tcp_accept: the callback gets each new connection; returning anything but ERR_OK refuses it (RST). */
export function tcp_accept(pcb: TcpPcb, accept: TcpAcceptFn | null): void {
  const l = listenerOf(pcb);
  if (l !== null) l.accept = accept;
}

/** tcp_connect: active open. ERR_OK means the SYN is on its way; `connected` is called on success,
 *  tcp_err (ERR_RST: refused, ERR_TIMEOUT: no answer) on failure. */
export function tcp_connect(pcb: TcpPcb, ipaddr: number | string, port: number, connected: TcpConnectedFn | null): Err {
  const c = connOf(pcb);
  if (c === null) return listenerOf(pcb) !== null ? ERR_CONN : ERR_CLSD;
  const ip = ip4Of(ipaddr);
  if (ip < 0 || !Number.isInteger(port) || port <= 0 || port > 65535) return ERR_ARG;
  c.connected = connected;
  return layerOf(pcb).connect(c, ip, port);
}

/**
 * tcp_write: queues `len` bytes of `data` (from `offset`) for sending. apiflags: TCP_WRITE_FLAG_COPY
 * copies the bytes (otherwise they are referenced and must not change until acknowledged, see
 * tcp_sent); TCP_WRITE_FLAG_MORE leaves PSH off (more data follows). ERR_MEM when the send buffer or
 * a pool has no room for all of it: retry from tcp_sent or tcp_poll.
 */
export function tcp_write(pcb: TcpPcb, data: Uint8Array, len: number = data.length,
  apiflags: number = TCP_WRITE_FLAG_COPY, offset = 0): Err {
  const c = connOf(pcb);
  if (c === null) return listenerOf(pcb) !== null ? ERR_CONN : ERR_CLSD;
  if (!(data instanceof Uint8Array)) return ERR_ARG;
  return layerOf(pcb).write(c, data, len, apiflags, offset);
}

/** tcp_output: sends what is queued, as far as the windows and Nagle allow. */
export function tcp_output(pcb: TcpPcb): Err {
  const c = connOf(pcb);
  if (c === null) return listenerOf(pcb) !== null ? ERR_OK : ERR_CLSD;
  return layerOf(pcb).output(c);
}

/** tcp_recv: the callback gets in-order data (it owns the pbuf: pbuf_free it, then tcp_recved) or
 *  a null pbuf when the peer closed its side (FIN). Returning an error refuses the data, which is
 *  offered again later; a callback that calls tcp_abort must return ERR_ABRT. */
export function tcp_recv(pcb: TcpPcb, recv: TcpRecvFn | null): void {
  const c = connOf(pcb);
  if (c !== null) c.recv = recv;
}

/** tcp_recved: the application consumed `len` octets; the window reopens (and is announced at once
 *  when the reopening is worth it). */
export function tcp_recved(pcb: TcpPcb, len: number): void {
  const c = connOf(pcb);
  if (c === null || !(len > 0)) return;
  layerOf(pcb).recved(c, len | 0);
}

/** tcp_sent: the callback learns how many octets the peer acknowledged. */
export function tcp_sent(pcb: TcpPcb, sent: TcpSentFn | null): void {
  const c = connOf(pcb);
  if (c !== null) c.sent = sent;
}

/** tcp_err: called once the connection has been freed by the stack, with ERR_ABRT (aborted),
 *  ERR_RST (reset by the peer), ERR_CLSD (closed by the peer while still open here) or ERR_TIMEOUT
 *  (retransmissions or keepalive probes exhausted). The handle is already dead then. */
export function tcp_err(pcb: TcpPcb, err: TcpErrFn | null): void {
  const c = connOf(pcb);
  if (c !== null) c.err = err;
}

/** tcp_poll: `poll` is called every `interval` coarse timer ticks (TCP_COARSE_TICK_MS, 500 ms). */
export function tcp_poll(pcb: TcpPcb, poll: TcpPollFn | null, interval: number): void {
  const c = connOf(pcb);
  if (c === null) return;
  c.poll = poll;
  c.v[TCB.pollInterval] = interval > 0 ? interval | 0 : 0;
  c.v[TCB.pollTicks] = 0;
}

/** tcp_arg: the first argument of every callback of this pcb (accepted pcbs inherit the listener's). */
export function tcp_arg(pcb: TcpPcb, arg: unknown): void {
  const c = connOf(pcb);
  if (c !== null) c.arg = arg;
  const l = listenerOf(pcb);
  if (l !== null) l.arg = arg;
}

/**
 * tcp_close: closes both directions. The handle is dead once this returns ERR_OK; the stack
 * finishes the close (FIN_WAIT_*, TIME_WAIT) on its own. With unread received data (not yet
 * tcp_recved) the connection is reset instead (RFC 9293 §3.10.4, RFC 2525). ERR_MEM: the FIN could
 * not be queued; the pcb is unchanged, try again later. ERR_CLSD on a dead handle (close twice).
 */
export function tcp_close(pcb: TcpPcb): Err {
  const l = listenerOf(pcb);
  if (l !== null) {
    layerOf(pcb).closeListener(l);
    return ERR_OK;
  }
  const c = connOf(pcb);
  if (c === null) return ERR_CLSD;
  return layerOf(pcb).close(c);
}

/** tcp_shutdown: shut_rx stops reception (data arriving later is acknowledged and dropped), shut_tx
 *  sends our FIN (we keep receiving). Both: tcp_close. */
export function tcp_shutdown(pcb: TcpPcb, shut_rx: boolean, shut_tx: boolean): Err {
  if (listenerOf(pcb) !== null) return ERR_CONN;
  const c = connOf(pcb);
  if (c === null) return ERR_CLSD;
  if (!shut_rx && !shut_tx) return ERR_OK;
  return layerOf(pcb).shutdown(c, shut_rx, shut_tx);
}

/** tcp_abort: sends a RST (when the connection is synchronized), frees the pcb, and calls tcp_err
 *  with ERR_ABRT. A callback that aborts its pcb must return ERR_ABRT. */
export function tcp_abort(pcb: TcpPcb): void {
  const l = listenerOf(pcb);
  if (l !== null) { layerOf(pcb).closeListener(l); return; }
  const c = connOf(pcb);
  if (c === null) return;
  layerOf(pcb).abortPcb(c, ERR_ABRT, true);
}

/** tcp_sndbuf: octets tcp_write can take now. */
export function tcp_sndbuf(pcb: TcpPcb): number {
  const c = connOf(pcb);
  return c === null ? 0 : c.v[TCB.sndBuf];
}

/** tcp_sndqueuelen: segments queued (unsent + unacknowledged). */
export function tcp_sndqueuelen(pcb: TcpPcb): number {
  const c = connOf(pcb);
  return c === null ? 0 : c.v[TCB.sndQueueLen];
}

export function tcp_nagle_disable(pcb: TcpPcb): void {
  const c = connOf(pcb);
  if (c !== null) c.v[TCB.flags] |= TF_NODELAY;
  const l = listenerOf(pcb);
  if (l !== null) l.nodelay = true;
}

export function tcp_nagle_enable(pcb: TcpPcb): void {
  const c = connOf(pcb);
  if (c !== null) c.v[TCB.flags] &= ~TF_NODELAY;
  const l = listenerOf(pcb);
  if (l !== null) l.nodelay = false;
}

export function tcp_nagle_disabled(pcb: TcpPcb): boolean {
  const c = connOf(pcb);
  if (c !== null) return (c.v[TCB.flags] & TF_NODELAY) !== 0;
  const l = listenerOf(pcb);
  return l !== null && l.nodelay;
}

/** Keepalive timings (ms, ms, probes); enable with ip_set_option(pcb, SOF_KEEPALIVE). Listeners pass
 *  them to the connections they accept. */
export function tcp_keepalive_set(pcb: TcpPcb, idleMs: number, intervalMs: number, count: number): Err {
  if (!(idleMs > 0) || !(intervalMs > 0) || !(count >= 1)) return ERR_ARG;
  const c = connOf(pcb);
  if (c !== null) { c.v[TCB.keepIdle] = idleMs; c.v[TCB.keepIntvl] = intervalMs; c.v[TCB.keepCnt] = count | 0; return ERR_OK; }
  const l = listenerOf(pcb);
  if (l !== null) { l.keepIdle = idleMs; l.keepIntvl = intervalMs; l.keepCnt = count | 0; return ERR_OK; }
  return ERR_CLSD;
}

/** The user timeout (RFC 9293 §3.8.4, RFC 5482; Linux TCP_USER_TIMEOUT), ms: how long sent data may
 *  see no progress — held back by a zero window the peer never opens — before the connection is
 *  aborted with ERR_TIMEOUT. 0 turns it off. The default is TCP_USER_TIMEOUT. */
export function tcp_set_user_timeout(pcb: TcpPcb, ms: number): Err {
  if (!(ms >= 0) || (ms | 0) !== ms) return ERR_ARG;
  const c = connOf(pcb);
  if (c === null) return ERR_CLSD;
  c.v[TCB.userTimeout] = ms;
  return ERR_OK;
}

/** The receive window (SO_RCVBUF), 1..65535 octets; on a listener, for the connections it accepts.
 *  Only before the connection is opened. */
export function tcp_set_recv_wnd(pcb: TcpPcb, bytes: number): Err {
  if (!(bytes >= 1 && bytes <= 65535)) return ERR_ARG;
  const l = listenerOf(pcb);
  if (l !== null) { l.rcvWnd = bytes | 0; return ERR_OK; }
  const c = connOf(pcb);
  if (c === null) return ERR_CLSD;
  if (c.v[TCB.state] !== CLOSED) return ERR_CONN;
  c.v[TCB.rcvWndMax] = bytes | 0;
  c.v[TCB.rcvWnd] = bytes | 0;
  return ERR_OK;
}

/** tcp_backlog_delayed: this accepted connection counts against its listener's backlog again until
 *  tcp_backlog_accepted (the application defers accepting it). */
export function tcp_backlog_delayed(pcb: TcpPcb): void {
  const c = connOf(pcb);
  if (c !== null) layerOf(pcb).backlogDelayed(c);
}

export function tcp_backlog_accepted(pcb: TcpPcb): void {
  const c = connOf(pcb);
  if (c !== null) layerOf(pcb).leaveBacklog(c);
}

/** The pcb's state number (constants CLOSED … TIME_WAIT); CLOSED for a dead handle. */
export function tcp_state(pcb: TcpPcb): number {
  const c = connOf(pcb);
  if (c !== null) return c.v[TCB.state];
  return listenerOf(pcb) !== null ? LISTEN : CLOSED;
}

/** The state's name as netstat prints it ('ESTABLISHED', 'TIME_WAIT', ...). */
export function tcp_state_name(pcb: TcpPcb): string {
  return tcpStateName(tcp_state(pcb));
}

export function tcp_local_ip(pcb: TcpPcb): number {
  const c = connOf(pcb);
  if (c !== null) return c.v[TCB.localIp];
  const l = listenerOf(pcb);
  return l !== null ? l.localIp : 0;
}

export function tcp_local_port(pcb: TcpPcb): number {
  const c = connOf(pcb);
  if (c !== null) return c.v[TCB.localPort];
  const l = listenerOf(pcb);
  return l !== null ? l.localPort : 0;
}

export function tcp_remote_ip(pcb: TcpPcb): number {
  const c = connOf(pcb);
  return c !== null ? c.v[TCB.remoteIp] : 0;
}

export function tcp_remote_port(pcb: TcpPcb): number {
  const c = connOf(pcb);
  return c !== null ? c.v[TCB.remotePort] : 0;
}

/** True while the handle still refers to a live pcb. */
export function tcp_is_alive(pcb: TcpPcb): boolean {
  return connOf(pcb) !== null || listenerOf(pcb) !== null;
}

/**
 * The state of the connection with this 4-tuple (any state past LISTEN, including connections the
 * application has closed), else of a listener on the local port, else CLOSED. For tools and tests
 * (the packetdrill runner's tcp_state) that must see a connection after its handle is gone.
 */
export function tcp_lookup_state(stack: Stack, localIp: number | string, localPort: number,
  remoteIp: number | string, remotePort: number): string {
  const layer = stack.tcp;
  const c = layer.findConn(ip4Of(localIp), localPort, ip4Of(remoteIp), remotePort);
  if (c !== null) return tcpStateName(c.v[TCB.state]);
  if (layer.findListener(ip4Of(localIp), localPort) !== null) return 'LISTEN';
  return 'CLOSED';
}

/** The handle of the connection with this 4-tuple (or of a listener on the local port), or null.
 *  A connection the application closed has no handle any more: null (use tcp_lookup_state). */
export function tcp_lookup(stack: Stack, localIp: number | string, localPort: number,
  remoteIp: number | string, remotePort: number): TcpPcb | null {
  const layer = stack.tcp;
  const c = layer.findConn(ip4Of(localIp), localPort, ip4Of(remoteIp), remotePort);
  if (c !== null) return c.handle;
  const l = layer.findListener(ip4Of(localIp), localPort);
  return l !== null ? l.handle : null;
}

export { netstat, formatNetstat, tcp_set_trace, formatTrace } from './diag.js';
