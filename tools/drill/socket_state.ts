/**
 * The state behind one socket descriptor (Sock) and one TCP connection (Conn), and how the raw
 * API's callbacks feed it: tcp_recv fills the receive buffer, with tcp_recved owed until the script
 * reads (so the window closes while data waits, and reopens as the application reads), and
 * tcp_err becomes the socket error Linux reports (tcp_reset: ECONNREFUSED in SYN_SENT, EPIPE in
 * CLOSE_WAIT, else ECONNRESET). A system call is a Call whose step() returns the result, or null
 * while it would block. Test tooling: allocation is fine here.
 */
import {
  tcp_recv, tcp_recved, tcp_err, tcp_arg, tcp_local_ip, tcp_local_port, tcp_remote_ip, tcp_remote_port, TcpPcb,
} from '../../src/api/tcp_api.js';
import { ERR_OK, ERR_RST, ERR_ABRT, ERR_TIMEOUT, ERR_CLSD, ERR_RTE, type Err } from '../../src/core/err.js';
import { pbuf_free, pbuf_copy_partial, type Pbuf } from '../../src/core/pbuf.js';

/** A system call's outcome: Linux style, -1 with an errno symbol on failure. */
export interface CallResult {
  ret: number;
  errno: string | null;
}

export interface Call {
  /** The result, or null while the call would block (a blocking socket waiting). */
  step(): CallResult | null;
}

export const ok = (ret: number): CallResult => ({ ret, errno: null });
export const fail = (errno: string): CallResult => ({ ret: -1, errno });

/** One TCP connection as the socket layer sees it. */
export class Conn {
  pcb: TcpPcb;
  localIp = 0;
  localPort = 0;
  remoteIp = 0;
  remotePort = 0;
  /** Received bytes not read yet: tcp_recved is owed for all of them. */
  rx: Uint8Array[] = [];
  rxBytes = 0;
  /** The peer's FIN arrived (end of file once rx is empty). */
  finRcvd = false;
  /** Pending socket error (Linux sk_err): reported once, by the next call that looks. */
  err: string | null = null;
  /** The stack freed the pcb (reset, timeout, abort). */
  dead = false;
  connecting = false;
  connected = false;
  shutRd = false;
  shutWr = false;
  /** The script closed its descriptor. */
  closed = false;
  /** We called tcp_abort ourselves: tcp_err's ERR_ABRT is expected. */
  selfAbort = false;
  constructor(pcb: TcpPcb) {
    this.pcb = pcb;
  }
  tupleFromPcb(): void {
    this.localIp = tcp_local_ip(this.pcb);
    this.localPort = tcp_local_port(this.pcb);
    this.remoteIp = tcp_remote_ip(this.pcb);
    this.remotePort = tcp_remote_port(this.pcb);
  }
}

export class Sock {
  readonly fd: number;
  kind: 'new' | 'listen' | 'conn' = 'new';
  /** The unconnected or listening pcb (kind 'new' / 'listen'). */
  pcb: TcpPcb | null;
  conn: Conn | null = null;
  nonblock = false;
  // options, kept so that they can be applied to a listener and inherited by accepted sockets
  reuseAddr = false;
  keepAlive = false;
  noDelay = false;
  keepIdleS: number;
  keepIntvlS: number;
  keepCnt: number;
  rcvBuf = 0;
  /** SO_LINGER: seconds when on, null when off. */
  linger: number | null = null;
  boundIp = 0;
  boundPort = 0;
  /** Established connections waiting for accept(). */
  acceptQ: Conn[] = [];
  constructor(fd: number, pcb: TcpPcb | null, keepIdleS: number, keepIntvlS: number, keepCnt: number) {
    this.fd = fd;
    this.pcb = pcb;
    this.keepIdleS = keepIdleS;
    this.keepIntvlS = keepIntvlS;
    this.keepCnt = keepCnt;
  }
}

/** The pcb a socket option applies to now: the live connection's, or the unconnected/listening one. */
export function livePcb(s: Sock): TcpPcb | null {
  if (s.conn !== null) return s.conn.dead ? null : s.conn.pcb;
  return s.pcb;
}

/** Installs the data/error callbacks of a connection. */
export function attachConn(conn: Conn): void {
  tcp_arg(conn.pcb, conn);
  tcp_recv(conn.pcb, (arg: Conn, pcb: TcpPcb, p: Pbuf | null, err: Err): Err => {
    void err;
    if (p === null) {
      arg.finRcvd = true;
      return ERR_OK;
    }
    const n = p.totLen;
    if (arg.shutRd || arg.closed) {
      // after SHUT_RD, data arriving later is acknowledged and silently discarded (as on Linux)
      pbuf_free(p);
      tcp_recved(pcb, n);
      return ERR_OK;
    }
    const copy = new Uint8Array(n);
    pbuf_copy_partial(p, copy, n, 0);
    pbuf_free(p);
    arg.rx.push(copy);
    arg.rxBytes += n;
    return ERR_OK;
  });
  tcp_err(conn.pcb, (arg: Conn, err: Err): void => {
    arg.dead = true;
    if (err === ERR_ABRT && arg.selfAbort) return;
    switch (err) {
      case ERR_RST:
        // Linux tcp_reset(): ECONNREFUSED for SYN_SENT, EPIPE for CLOSE_WAIT, else ECONNRESET
        arg.err = arg.connecting && !arg.connected ? 'ECONNREFUSED' : arg.finRcvd ? 'EPIPE' : 'ECONNRESET';
        break;
      case ERR_TIMEOUT: arg.err = 'ETIMEDOUT'; break;
      // an ICMP destination unreachable recorded before the retransmissions ran out (Linux: EHOSTUNREACH)
      case ERR_RTE: arg.err = 'EHOSTUNREACH'; break;
      case ERR_ABRT: arg.err = 'ECONNABORTED'; break;
      case ERR_CLSD: arg.finRcvd = true; break;
      default: arg.err = 'ECONNABORTED'; break;
    }
  });
}
