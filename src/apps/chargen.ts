/**
 * Character generator service (RFC 864): on TCP port 19 the server sends lines of 72 printable ASCII
 * characters (codes 32..126, 95 of them), each followed by CRLF, until the client closes. Line k
 * starts with character (k mod 95) and goes on in rotation — the classic ring pattern:
 *
 *   !"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefgh
 *   "#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghi
 *
 * (RFC 864's own example starts at '!' and so do we: line 0 starts at code 33.) The pattern repeats
 * every 95 lines, so all 95 lines (7,030 octets) are built once in one buffer and the connection
 * only keeps its offset in it. The send buffer is kept full: we write as much as tcp_sndbuf allows
 * when the connection opens, whenever the peer acknowledges data (tcp_sent), and from tcp_poll
 * after a tcp_write that failed with ERR_MEM. Data from the client is read and thrown away; its FIN
 * ends the stream and we close.
 */
import type { Err } from '../core/err.js';
import { ERR_OK, ERR_ABRT } from '../core/err.js';
import type { Pbuf } from '../core/pbuf.js';
import { pbuf_free } from '../core/pbuf.js';
import {
  tcp_recv, tcp_sent, tcp_err, tcp_poll, tcp_recved, tcp_write, tcp_output, tcp_sndbuf,
  TCP_WRITE_FLAG_COPY,
} from '../api/tcp_api.js';
import type { TcpPcb } from '../api/tcp_api.js';
import type { Stack } from '../api/stack.js';
import { Service, ServiceConn } from './service.js';
import type { ServiceHandle } from './service.js';

export const CHARGEN_PORT = 19;
export const CHARGEN_LINE = 72;
const PRINTABLE = 95;
const FIRST = 33;
/** One line with its CRLF. */
const LINE_LEN = CHARGEN_LINE + 2;
export const CHARGEN_RING_LEN = PRINTABLE * LINE_LEN;

/** The 95 lines of the ring, one after another (made at start-up: no module-level typed arrays). */
export function chargenRing(): Uint8Array {
  const ring = new Uint8Array(CHARGEN_RING_LEN);
  let pos = 0;
  for (let k = 0; k < PRINTABLE; k++) {
    for (let j = 0; j < CHARGEN_LINE; j++) ring[pos++] = 32 + ((FIRST - 32 + k + j) % PRINTABLE);
    ring[pos++] = 13;
    ring[pos++] = 10;
  }
  return ring;
}

class ChargenConn extends ServiceConn {
  server: ChargenServer;
  /** Where the next octet comes from in the ring. */
  off = 0;
  /** Octets queued on this connection. */
  bytes = 0;
  constructor(server: ChargenServer) {
    super();
    this.server = server;
  }
}

class ChargenServer extends Service<ChargenConn> {
  private readonly ring: Uint8Array;
  /** Octets queued by all connections. */
  totalBytes = 0;

  constructor(stack: Stack, port: number) {
    super(stack, 'chargen', port, (svc) => new ChargenConn(svc as ChargenServer));
    this.ring = chargenRing();
    this.listen();
  }

  protected setup(conn: ChargenConn): Err {
    conn.off = 0;
    conn.bytes = 0;
    const pcb = conn.pcb as TcpPcb;
    tcp_recv(pcb, chargenRecv);
    tcp_sent(pcb, chargenSent);
    tcp_err(pcb, chargenErr);
    tcp_poll(pcb, chargenPoll, 1);
    this.fill(conn);
    return ERR_OK;
  }

  protected drop(_conn: ChargenConn): void { /* holds nothing */ }

  /** Fills the send buffer from the ring; stops at the first ERR_MEM (retried from sent/poll). */
  fill(conn: ChargenConn): void {
    const pcb = conn.pcb;
    if (pcb === null || conn.closing) return;
    let queued = 0;
    for (;;) {
      let n = tcp_sndbuf(pcb);
      if (n <= 0) break;
      const left = CHARGEN_RING_LEN - conn.off;
      if (n > left) n = left;
      if (tcp_write(pcb, this.ring, n, TCP_WRITE_FLAG_COPY, conn.off) !== ERR_OK) break;
      conn.off += n;
      if (conn.off === CHARGEN_RING_LEN) conn.off = 0;
      queued += n;
    }
    if (queued > 0) {
      conn.bytes += queued;
      this.totalBytes += queued;
      tcp_output(pcb);
    }
  }
}

function chargenRecv(conn: ChargenConn, pcb: TcpPcb, p: Pbuf | null, _err: Err): Err {
  if (p === null) {
    // The client closed: the stream ends (RFC 864 "until the calling user terminates").
    conn.server.closeConn(conn);
    return ERR_OK;
  }
  conn.server.touch(conn);
  tcp_recved(pcb, p.totLen);
  pbuf_free(p);
  return ERR_OK;
}

function chargenSent(conn: ChargenConn, _pcb: TcpPcb, _len: number): Err {
  conn.server.touch(conn);
  conn.server.fill(conn);
  return ERR_OK;
}

function chargenPoll(conn: ChargenConn, _pcb: TcpPcb): Err {
  if (conn.server.expireIdle(conn) === ERR_ABRT) return ERR_ABRT;
  if (conn.closing) {
    if (conn.server.closeConn(conn) !== ERR_OK) {
      conn.server.abortConn(conn);
      return ERR_ABRT;
    }
    return ERR_OK;
  }
  conn.server.fill(conn);
  return ERR_OK;
}

function chargenErr(conn: ChargenConn, _err: Err): void {
  conn.server.release(conn);
}

/** Starts the chargen service on `port` (default 19). Check `handle.err`. */
export function startChargen(stack: Stack, port = CHARGEN_PORT): ServiceHandle {
  return new ChargenServer(stack, port);
}
