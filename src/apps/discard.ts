/**
 * Discard service (RFC 863): everything received on TCP port 9 is thrown away (and the window
 * reopened at once, so the client can send as fast as the link allows). When the client closes its
 * side (FIN), we close ours.
 */
import type { Err } from '../core/err.js';
import { ERR_OK, ERR_ABRT } from '../core/err.js';
import type { Pbuf } from '../core/pbuf.js';
import { pbuf_free } from '../core/pbuf.js';
import { tcp_recv, tcp_err, tcp_poll, tcp_recved } from '../api/tcp_api.js';
import type { TcpPcb } from '../api/tcp_api.js';
import type { Stack } from '../api/stack.js';
import { Service, ServiceConn } from './service.js';
import type { ServiceHandle } from './service.js';

export const DISCARD_PORT = 9;

class DiscardConn extends ServiceConn {
  server: DiscardServer;
  /** Octets discarded on this connection. */
  bytes = 0;
  constructor(server: DiscardServer) {
    super();
    this.server = server;
  }
}

class DiscardServer extends Service<DiscardConn> {
  /** Octets discarded by all connections. */
  totalBytes = 0;

  constructor(stack: Stack, port: number) {
    super(stack, 'discard', port, (svc) => new DiscardConn(svc as DiscardServer));
    this.listen();
  }

  protected setup(conn: DiscardConn): Err {
    conn.bytes = 0;
    const pcb = conn.pcb as TcpPcb;
    tcp_recv(pcb, discardRecv);
    tcp_err(pcb, discardErr);
    tcp_poll(pcb, discardPoll, 2);
    return ERR_OK;
  }

  protected drop(_conn: DiscardConn): void { /* holds nothing */ }
}

function discardRecv(conn: DiscardConn, pcb: TcpPcb, p: Pbuf | null, _err: Err): Err {
  if (p === null) {
    conn.server.closeConn(conn);
    return ERR_OK;
  }
  const n = p.totLen;
  conn.server.touch(conn);
  conn.bytes += n;
  conn.server.totalBytes += n;
  pbuf_free(p);
  tcp_recved(pcb, n);
  return ERR_OK;
}

function discardPoll(conn: DiscardConn, _pcb: TcpPcb): Err {
  if (conn.server.expireIdle(conn) === ERR_ABRT) return ERR_ABRT;
  if (conn.closing && conn.server.closeConn(conn) !== ERR_OK) {
    conn.server.abortConn(conn);
    return ERR_ABRT;
  }
  return ERR_OK;
}

function discardErr(conn: DiscardConn, _err: Err): void {
  conn.server.release(conn);
}

/** Starts the discard service on `port` (default 9). Check `handle.err`. */
export function startDiscard(stack: Stack, port = DISCARD_PORT): ServiceHandle {
  return new DiscardServer(stack, port);
}
