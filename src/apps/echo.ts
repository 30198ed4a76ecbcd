/**
 * Echo service (RFC 862): every octet received on TCP port 7 is sent back, until the client closes;
 * then we close too (a half-closed client still gets all its data back before our FIN).
 *
 * Flow control without copies of our own: received pbufs wait in a per-connection chain until the
 * send buffer has room, and tcp_recved is called only for octets that made it into the send buffer,
 * so a client that sends faster than it reads sees our receive window close (RFC 9293 §3.8.6) rather
 * than us buffering without bound. tcp_write ERR_MEM (send queue or pool full) is retried from
 * tcp_sent (when the peer acknowledges) and tcp_poll (fallback).
 */
import type { Err } from '../core/err.js';
import { ERR_OK, ERR_ABRT } from '../core/err.js';
import type { Pbuf } from '../core/pbuf.js';
import { pbuf_free, pbuf_cat } from '../core/pbuf.js';
import {
  tcp_recv, tcp_sent, tcp_err, tcp_poll, tcp_write, tcp_output, tcp_recved, tcp_sndbuf,
  TCP_WRITE_FLAG_COPY,
} from '../api/tcp_api.js';
import type { TcpPcb } from '../api/tcp_api.js';
import type { Stack } from '../api/stack.js';
import { Service, ServiceConn } from './service.js';
import type { ServiceHandle } from './service.js';

export const ECHO_PORT = 7;

class EchoConn extends ServiceConn {
  server: EchoServer;
  /** Received data not yet in the send buffer; `pendingOff` octets of its first pbuf are sent. */
  pending: Pbuf | null = null;
  pendingOff = 0;
  /** The client's FIN arrived: close once `pending` is empty. */
  finRecvd = false;
  constructor(server: EchoServer) {
    super();
    this.server = server;
  }
}

class EchoServer extends Service<EchoConn> {
  constructor(stack: Stack, port: number) {
    super(stack, 'echo', port, (svc) => new EchoConn(svc as EchoServer));
    this.listen();
  }

  protected setup(conn: EchoConn): Err {
    conn.pending = null;
    conn.pendingOff = 0;
    conn.finRecvd = false;
    const pcb = conn.pcb as TcpPcb;
    tcp_recv(pcb, echoRecv);
    tcp_sent(pcb, echoSent);
    tcp_err(pcb, echoErr);
    tcp_poll(pcb, echoPoll, 1);
    return ERR_OK;
  }

  protected drop(conn: EchoConn): void {
    if (conn.pending !== null) pbuf_free(conn.pending);
    conn.pending = null;
    conn.pendingOff = 0;
  }

  /** Moves as much pending data as the send buffer takes; reopens the window by as much. */
  pump(conn: EchoConn): void {
    const pcb = conn.pcb;
    if (pcb === null) return;
    let written = 0;
    while (conn.pending !== null) {
      const q: Pbuf = conn.pending;
      const avail = q.len - conn.pendingOff;
      if (avail > 0) {
        let n = tcp_sndbuf(pcb);
        if (n <= 0) break;
        if (n > avail) n = avail;
        if (tcp_write(pcb, q.buf, n, TCP_WRITE_FLAG_COPY, q.off + conn.pendingOff) !== ERR_OK) break;
        conn.pendingOff += n;
        written += n;
        if (conn.pendingOff < q.len) continue;
      }
      // This pbuf is all sent: unlink it from the chain and give it back.
      conn.pending = q.next;
      q.next = null;
      pbuf_free(q);
      conn.pendingOff = 0;
    }
    if (written > 0) {
      tcp_recved(pcb, written);
      tcp_output(pcb);
    }
    if (conn.pending === null && conn.finRecvd && !conn.closing) this.closeConn(conn);
  }
}

function echoRecv(conn: EchoConn, pcb: TcpPcb, p: Pbuf | null, err: Err): Err {
  if (p === null) {
    conn.finRecvd = true;
    conn.server.pump(conn);
    return ERR_OK;
  }
  if (err !== ERR_OK || conn.closing) {
    // Data after we closed (cannot happen once closed: the handle is dead) or an error: drop it.
    tcp_recved(pcb, p.totLen);
    pbuf_free(p);
    return ERR_OK;
  }
  conn.server.touch(conn);
  if (conn.pending === null) conn.pending = p;
  else pbuf_cat(conn.pending, p);
  conn.server.pump(conn);
  return ERR_OK;
}

function echoSent(conn: EchoConn, _pcb: TcpPcb, _len: number): Err {
  conn.server.touch(conn);
  conn.server.pump(conn);
  return ERR_OK;
}

function echoPoll(conn: EchoConn, _pcb: TcpPcb): Err {
  if (conn.server.expireIdle(conn) === ERR_ABRT) return ERR_ABRT;
  if (conn.closing) {
    if (conn.server.closeConn(conn) !== ERR_OK) {
      conn.server.abortConn(conn);
      return ERR_ABRT;
    }
    return ERR_OK;
  }
  conn.server.pump(conn);
  return ERR_OK;
}

function echoErr(conn: EchoConn, _err: Err): void {
  conn.server.release(conn);
}

/** Starts the echo service on `port` (default 7). Check `handle.err` (ERR_OK when listening). */
export function startEcho(stack: Stack, port = ECHO_PORT): ServiceHandle {
  return new EchoServer(stack, port);
}
