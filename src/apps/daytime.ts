/**
 * Daytime service (RFC 867): on TCP port 13, each connection gets the current date and time as one
 * line of printable ASCII ending in CRLF, and then the server closes first — so the TIME_WAIT state
 * sits on our side, as the seeds' netstat walk-through shows.
 *
 * RFC 867 leaves the format free. The stack has no calendar (src/ runs on a board without one), so
 * the text comes from a function the application passes in: the host CLI gives the wall-clock date,
 * a board would give its RTC or SNTP time. Characters outside 32..126 become '?', the line is cut at
 * 120 characters, and it is assembled in a buffer made once by the service.
 */
import type { Err } from '../core/err.js';
import { ERR_OK, ERR_ABRT } from '../core/err.js';
import type { Pbuf } from '../core/pbuf.js';
import { pbuf_free } from '../core/pbuf.js';
import {
  tcp_recv, tcp_err, tcp_poll, tcp_recved, tcp_write, tcp_output, TCP_WRITE_FLAG_COPY,
} from '../api/tcp_api.js';
import type { TcpPcb } from '../api/tcp_api.js';
import type { Stack } from '../api/stack.js';
import { Service, ServiceConn } from './service.js';
import type { ServiceHandle } from './service.js';

export const DAYTIME_PORT = 13;
const MAX_TEXT = 120;

class DaytimeConn extends ServiceConn {
  server: DaytimeServer;
  /** The line is in the send buffer. */
  written = false;
  constructor(server: DaytimeServer) {
    super();
    this.server = server;
  }
}

class DaytimeServer extends Service<DaytimeConn> {
  private readonly text: () => string;
  private readonly line = new Uint8Array(MAX_TEXT + 2);

  constructor(stack: Stack, port: number, text: () => string) {
    super(stack, 'daytime', port, (svc) => new DaytimeConn(svc as DaytimeServer));
    this.text = text;
    this.listen();
  }

  protected setup(conn: DaytimeConn): Err {
    conn.written = false;
    const pcb = conn.pcb as TcpPcb;
    tcp_recv(pcb, daytimeRecv);
    tcp_err(pcb, daytimeErr);
    tcp_poll(pcb, daytimePoll, 1);
    this.serve(conn);
    return ERR_OK;
  }

  protected drop(_conn: DaytimeConn): void { /* holds nothing */ }

  /** Writes the line (once) and closes; what fails for lack of memory is retried from poll. */
  serve(conn: DaytimeConn): void {
    const pcb = conn.pcb;
    if (pcb === null) return;
    if (!conn.written) {
      const len = this.fill();
      if (tcp_write(pcb, this.line, len, TCP_WRITE_FLAG_COPY, 0) !== ERR_OK) return;
      conn.written = true;
      tcp_output(pcb);
    }
    this.closeConn(conn);
  }

  private fill(): number {
    const s = this.text();
    const line = this.line;
    let n = 0;
    for (let i = 0; i < s.length && n < MAX_TEXT; i++) {
      const c = s.charCodeAt(i);
      line[n++] = c >= 32 && c <= 126 ? c : 63;
    }
    line[n++] = 13;
    line[n++] = 10;
    return n;
  }
}

/** Anything the client sends is read and thrown away (RFC 867: "any data received is thrown away"). */
function daytimeRecv(_conn: DaytimeConn, pcb: TcpPcb, p: Pbuf | null, _err: Err): Err {
  if (p !== null) {
    tcp_recved(pcb, p.totLen);
    pbuf_free(p);
  }
  return ERR_OK;
}

function daytimePoll(conn: DaytimeConn, _pcb: TcpPcb): Err {
  if (conn.server.expireIdle(conn) === ERR_ABRT) return ERR_ABRT;
  conn.server.serve(conn);
  if (conn.pcb !== null && conn.closing) {
    // Still no room for the FIN after a poll interval: give up on this one.
    conn.server.abortConn(conn);
    return ERR_ABRT;
  }
  return ERR_OK;
}

function daytimeErr(conn: DaytimeConn, _err: Err): void {
  conn.server.release(conn);
}

/** Starts the daytime service on `port` (default 13). `text` gives the date line (without CRLF);
 *  without it the line tells the stack's uptime, the only time src/ knows. Check `handle.err`. */
export function startDaytime(stack: Stack, port = DAYTIME_PORT, text?: () => string): ServiceHandle {
  const t = text ?? (() => 'uptime ' + Math.floor(stack.core.now / 1000) + ' s');
  return new DaytimeServer(stack, port, t);
}
