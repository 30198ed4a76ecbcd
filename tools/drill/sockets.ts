/**
 * A Linux-like socket layer over the lwIP raw API, as packetdrill scripts expect it: a file
 * descriptor table starting at 3 (lowest free number first, as POSIX open/accept do), blocking and
 * O_NONBLOCK sockets, an accept queue fed by tcp_accept, receive buffers fed by tcp_recv where
 * tcp_recved is called only when the script reads (so the window closes while data waits and
 * reopens as the application reads, as in seed 004), errno values mapped from lwIP errors the way
 * Linux reports them (tcp_reset: ECONNREFUSED in SYN_SENT, EPIPE in CLOSE_WAIT, else ECONNRESET).
 *
 * Each system call is a Call whose step() returns the result, or null while it would block; the
 * runner calls step() again as virtual time passes. Test tooling: allocation is fine here.
 */
import type { Stack } from '../../src/api/stack.js';
import {
  tcp_new, tcp_bind, tcp_listen_with_backlog, tcp_accept, tcp_connect, tcp_write, tcp_output, tcp_recv,
  tcp_recved, tcp_err, tcp_arg, tcp_close, tcp_shutdown, tcp_abort, tcp_sndbuf, tcp_nagle_disable,
  tcp_nagle_enable, tcp_keepalive_set, tcp_set_recv_wnd, ip_set_option, ip_reset_option, tcp_local_ip,
  tcp_local_port, tcp_remote_ip, tcp_remote_port, tcp_is_alive, tcp_lookup_state, TcpPcb,
  TCP_WRITE_FLAG_COPY, SOF_REUSEADDR, SOF_KEEPALIVE,
} from '../../src/api/tcp_api.js';
import {
  ERR_OK, ERR_MEM, ERR_RST, ERR_ABRT, ERR_TIMEOUT, ERR_CLSD, ERR_USE, ERR_RTE, ERR_VAL, ERR_ISCONN,
  ERR_ALREADY, ERR_CONN, ERR_BUF, type Err,
} from '../../src/core/err.js';
import { pbuf_free, pbuf_copy_partial, type Pbuf } from '../../src/core/pbuf.js';
import { ip4FromString } from '../../src/core/ip4addr.js';
import type { Expr } from './parse.js';

/** Linux errno numbers (asm-generic/errno.h), for SO_ERROR values and messages. */
export const ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1, ENOENT: 2, EINTR: 4, EBADF: 9, EAGAIN: 11, EWOULDBLOCK: 11, ENOMEM: 12, EFAULT: 14, EINVAL: 22,
  EPIPE: 32, ENOTSOCK: 88, EDESTADDRREQ: 89, EPROTOTYPE: 91, ENOPROTOOPT: 92, EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95, EAFNOSUPPORT: 97, EADDRINUSE: 98, EADDRNOTAVAIL: 99, ENETUNREACH: 101, ECONNABORTED: 103,
  ECONNRESET: 104, ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107, ETIMEDOUT: 110, ECONNREFUSED: 111,
  EHOSTUNREACH: 113, EALREADY: 114, EINPROGRESS: 115,
};

export const STRERROR: Readonly<Record<string, string>> = {
  EPERM: 'Operation not permitted', EBADF: 'Bad file descriptor', EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory', EINVAL: 'Invalid argument', EPIPE: 'Broken pipe',
  ENOPROTOOPT: 'Protocol not available', EOPNOTSUPP: 'Operation not supported',
  EADDRINUSE: 'Address already in use', ENETUNREACH: 'Network is unreachable',
  ECONNABORTED: 'Software caused connection abort', ECONNRESET: 'Connection reset by peer',
  ENOBUFS: 'No buffer space available', EISCONN: 'Transport endpoint is already connected',
  ENOTCONN: 'Transport endpoint is not connected', ETIMEDOUT: 'Connection timed out',
  ECONNREFUSED: 'Connection refused', EHOSTUNREACH: 'No route to host', EALREADY: 'Operation already in progress',
  EINPROGRESS: 'Operation now in progress', EAFNOSUPPORT: 'Address family not supported by protocol',
};

/** Linux values of the symbols scripts use (socket.h, in.h, tcp.h, fcntl.h, poll.h). */
export const SYMBOLS: Readonly<Record<string, number>> = {
  AF_INET: 2, PF_INET: 2, AF_INET6: 10, SOCK_STREAM: 1, SOCK_DGRAM: 2, SOCK_NONBLOCK: 0x800, SOCK_CLOEXEC: 0x80000,
  IPPROTO_IP: 0, IPPROTO_TCP: 6, IPPROTO_UDP: 17, SOL_SOCKET: 1, SOL_TCP: 6, SOL_IP: 0,
  SO_DEBUG: 1, SO_REUSEADDR: 2, SO_TYPE: 3, SO_ERROR: 4, SO_DONTROUTE: 5, SO_BROADCAST: 6, SO_SNDBUF: 7,
  SO_RCVBUF: 8, SO_KEEPALIVE: 9, SO_OOBINLINE: 10, SO_LINGER: 13, SO_REUSEPORT: 15, SO_RCVLOWAT: 18,
  TCP_NODELAY: 1, TCP_MAXSEG: 2, TCP_CORK: 3, TCP_KEEPIDLE: 4, TCP_KEEPINTVL: 5, TCP_KEEPCNT: 6,
  O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_NONBLOCK: 0x800, O_NDELAY: 0x800, F_GETFL: 3, F_SETFL: 4,
  SHUT_RD: 0, SHUT_WR: 1, SHUT_RDWR: 2, INADDR_ANY: 0, MSG_NOSIGNAL: 0x4000,
  POLLIN: 0x1, POLLPRI: 0x2, POLLOUT: 0x4, POLLERR: 0x8, POLLHUP: 0x10, POLLNVAL: 0x20, POLLRDNORM: 0x40,
  POLLRDBAND: 0x80, POLLWRNORM: 0x100, POLLWRBAND: 0x200, POLLRDHUP: 0x2000,
};

const POLL_NAMES: readonly [string, number][] = [
  ['POLLIN', 0x1], ['POLLPRI', 0x2], ['POLLOUT', 0x4], ['POLLERR', 0x8], ['POLLHUP', 0x10], ['POLLNVAL', 0x20],
  ['POLLRDNORM', 0x40], ['POLLRDBAND', 0x80], ['POLLWRNORM', 0x100], ['POLLWRBAND', 0x200], ['POLLRDHUP', 0x2000],
];

function pollText(mask: number): string {
  if (mask === 0) return '0';
  return POLL_NAMES.filter(([, v]) => (mask & v) !== 0).map(([n]) => n).join('|');
}

/** A script problem found while running (unsupported call or argument): reported with the line. */
export class ScriptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScriptError';
  }
}

/** A system call's outcome: Linux style, -1 with an errno symbol on failure. */
export interface CallResult {
  ret: number;
  errno: string | null;
}

export interface Call {
  /** The result, or null while the call would block (a blocking socket waiting). */
  step(): CallResult | null;
}

const ok = (ret: number): CallResult => ({ ret, errno: null });
const fail = (errno: string): CallResult => ({ ret: -1, errno });

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

/** What the runner learns from the socket layer. */
export interface SocketHooks {
  /** socket() created a socket (packetdrill's "socket under test"). */
  onSocket(sock: Sock): void;
  /** connect() started an active open. */
  onConnect(sock: Sock, conn: Conn): void;
}

export interface SocketEnv {
  localIp: number;
  remoteIp: number;
  bindPort: number;
  connectPort: number;
  /** Virtual time, ms (poll timeouts). */
  now(): number;
}

/** What tcp_state(fd) looks up: the 4-tuple of a connection or the port of a listener. */
type FdTuple =
  | { kind: 'conn'; localIp: number; localPort: number; remoteIp: number; remotePort: number }
  | { kind: 'listen'; localIp: number; localPort: number }
  | { kind: 'none' };

export class Sockets {
  readonly fds = new Map<number, Sock>();
  /** Last known tuple of every descriptor number, kept after close() for tcp_state. */
  private readonly tuples = new Map<number, FdTuple>();
  /** Every connection ever made (for cleanup). */
  readonly conns: Conn[] = [];
  private readonly zeros = new Uint8Array(65536);
  /** Connections whose tcp_close returned ERR_MEM: retried as time passes (lwIP's contract). */
  private readonly closeRetry: Conn[] = [];

  constructor(private readonly stack: Stack, private readonly env: SocketEnv, private readonly hooks: SocketHooks) {}

  // --- helpers -----------------------------------------------------------------------------------

  private lowestFreeFd(): number {
    let fd = 3;
    while (this.fds.has(fd)) fd++;
    return fd;
  }

  evalInt(e: Expr, what: string): number {
    switch (e.t) {
      case 'int': return e.v;
      case 'word': {
        const v = SYMBOLS[e.v] ?? ERRNO[e.v];
        if (v === undefined) throw new ScriptError('unknown symbol ' + e.v + ' for ' + what);
        return v;
      }
      case 'or': return this.evalInt(e.left, what) | this.evalInt(e.right, what);
      case 'array':
        if (e.items.length === 1) return this.evalInt(e.items[0], what);
        break;
      case 'call':
        if (e.fn === 'htons' && e.args.length === 1) return this.evalInt(e.args[0], what);
        if (e.fn === 'inet_addr' && e.args.length === 1 && e.args[0].t === 'string') {
          const a = ip4FromString(e.args[0].v);
          if (a < 0) throw new ScriptError('bad address ' + e.args[0].v);
          return a;
        }
        break;
      default:
        break;
    }
    throw new ScriptError('expected a number for ' + what);
  }

  private fdArg(args: Expr[], name: string): Sock | CallResult {
    if (args.length === 0) throw new ScriptError(name + ' needs a file descriptor');
    const fd = this.evalInt(args[0], 'the file descriptor');
    const s = this.fds.get(fd);
    return s ?? fail('EBADF');
  }

  private nargs(args: Expr[], name: string, min: number, max = min): void {
    if (args.length < min || args.length > max) {
      throw new ScriptError(name + ' takes ' + (min === max ? min : min + '..' + max) + ' arguments, not ' + args.length);
    }
  }

  /** Address and port of a sockaddr argument: `...` means the runner's defaults. */
  private sockaddr(e: Expr, defIp: number, defPort: number): { ip: number; port: number } {
    if (e.t === 'ellipsis') return { ip: defIp, port: defPort };
    if (e.t !== 'struct') throw new ScriptError('expected ... or {sa_family=AF_INET, sin_port=htons(N), sin_addr=inet_addr("a.b.c.d")}');
    let ip = defIp;
    let port = defPort;
    for (const f of e.fields) {
      if (f.name === 'sin_port') port = this.evalInt(f.value, 'sin_port');
      else if (f.name === 'sin_addr') ip = this.evalInt(f.value, 'sin_addr') >>> 0;
      else if (f.name === 'sa_family' || f.name === 'sin_family') {
        if (this.evalInt(f.value, 'sa_family') !== SYMBOLS.AF_INET) throw new ScriptError('only AF_INET is supported');
      } else throw new ScriptError('unsupported sockaddr field ' + String(f.name));
    }
    return { ip, port };
  }

  private pcbOf(s: Sock): TcpPcb | null {
    if (s.conn !== null) return s.conn.dead ? null : s.conn.pcb;
    return s.pcb;
  }

  /** Applies the socket's stored options to a pcb (a new listener, an accepted connection). */
  private applyOptions(s: Sock, pcb: TcpPcb): void {
    if (s.reuseAddr) ip_set_option(pcb, SOF_REUSEADDR); else ip_reset_option(pcb, SOF_REUSEADDR);
    if (s.keepAlive) ip_set_option(pcb, SOF_KEEPALIVE); else ip_reset_option(pcb, SOF_KEEPALIVE);
    tcp_keepalive_set(pcb, s.keepIdleS * 1000, s.keepIntvlS * 1000, s.keepCnt);
    if (s.noDelay) tcp_nagle_disable(pcb); else tcp_nagle_enable(pcb);
  }

  /** Installs the data/error callbacks of a connection. */
  private attach(conn: Conn): void {
    tcp_arg(conn.pcb, conn);
    tcp_recv(conn.pcb, (arg: Conn, pcb: TcpPcb, p: Pbuf | null, err: Err): Err => {
      void err;
      if (p === null) {
        arg.finRcvd = true;
        return ERR_OK;
      }
      const n = p.totLen;
      if (arg.shutRd || arg.closed) {
        // SHUT_RD (seed 004): data arriving later is acknowledged and silently discarded
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

  /** The state name for tcp_state(fd): found by the remembered 4-tuple, so it works after close. */
  stateOf(fd: number): string {
    const t = this.tuples.get(fd);
    if (t === undefined) throw new ScriptError('tcp_state(' + fd + '): no socket ever had descriptor ' + fd);
    if (t.kind === 'none') return 'CLOSED';
    if (t.kind === 'listen') {
      const st = tcp_lookup_state(this.stack, t.localIp, t.localPort, 0, 0);
      return st === 'LISTEN' ? st : 'CLOSED';
    }
    const st = tcp_lookup_state(this.stack, t.localIp, t.localPort, t.remoteIp, t.remotePort);
    // with no connection on the 4-tuple the lookup falls back to a listener on the port
    return st === 'LISTEN' ? 'CLOSED' : st;
  }

  /** Retries work that lwIP asks to be retried (tcp_close after ERR_MEM). */
  poll(): void {
    for (let i = this.closeRetry.length - 1; i >= 0; i--) {
      const c = this.closeRetry[i];
      if (c.dead || !tcp_is_alive(c.pcb) || tcp_close(c.pcb) !== ERR_MEM) this.closeRetry.splice(i, 1);
    }
  }

  // --- system calls ----------------------------------------------------------------------------

  start(name: string, args: Expr[]): Call {
    switch (name) {
      case 'socket': return this.once(() => this.socket(args));
      case 'bind': return this.once(() => this.bind(args));
      case 'listen': return this.once(() => this.listen(args));
      case 'accept': case 'accept4': return this.accept(name, args);
      case 'connect': return this.connect(args);
      case 'write': case 'send': return this.write(name, args);
      case 'read': case 'recv': return this.read(name, args);
      case 'close': return this.once(() => this.close(args));
      case 'shutdown': return this.once(() => this.shutdown(args));
      case 'setsockopt': return this.once(() => this.setsockopt(args));
      case 'getsockopt': return this.once(() => this.getsockopt(args));
      case 'fcntl': return this.once(() => this.fcntl(args));
      case 'poll': return this.pollCall(args);
      default:
        throw new ScriptError('unsupported system call ' + name + '()');
    }
  }

  private once(fn: () => CallResult): Call {
    let r: CallResult | null = null;
    return { step: () => (r ??= fn()) };
  }

  private socket(args: Expr[]): CallResult {
    this.nargs(args, 'socket', 3);
    if (args[0].t !== 'ellipsis' && this.evalInt(args[0], 'the domain') !== SYMBOLS.AF_INET) {
      throw new ScriptError('only AF_INET sockets are supported');
    }
    const type = this.evalInt(args[1], 'the socket type');
    if ((type & 0xf) !== SYMBOLS.SOCK_STREAM) throw new ScriptError('only SOCK_STREAM sockets are supported');
    if (args[2].t !== 'ellipsis') {
      const proto = this.evalInt(args[2], 'the protocol');
      if (proto !== 0 && proto !== SYMBOLS.IPPROTO_TCP) throw new ScriptError('only IPPROTO_TCP is supported');
    }
    const pcb = tcp_new(this.stack);
    if (pcb === null) return fail('ENOBUFS');
    const cfg = this.stack.core.config;
    const fd = this.lowestFreeFd();
    const s = new Sock(fd, pcb, Math.round(cfg.TCP_KEEPIDLE_DEFAULT / 1000), Math.round(cfg.TCP_KEEPINTVL_DEFAULT / 1000),
      cfg.TCP_KEEPCNT_DEFAULT);
    s.nonblock = (type & SYMBOLS.SOCK_NONBLOCK) !== 0;
    this.fds.set(fd, s);
    this.tuples.set(fd, { kind: 'none' });
    this.hooks.onSocket(s);
    return ok(fd);
  }

  private bind(args: Expr[]): CallResult {
    this.nargs(args, 'bind', 3);
    const s = this.fdArg(args, 'bind');
    if (!(s instanceof Sock)) return s;
    if (s.kind !== 'new' || s.pcb === null || s.boundPort !== 0) return fail('EINVAL');
    const a = this.sockaddr(args[1], this.env.localIp, this.env.bindPort);
    const r = tcp_bind(s.pcb, a.ip, a.port);
    if (r === ERR_USE) return fail('EADDRINUSE');
    if (r !== ERR_OK) return fail(r === ERR_VAL ? 'EINVAL' : 'EADDRNOTAVAIL');
    s.boundIp = tcp_local_ip(s.pcb);
    s.boundPort = tcp_local_port(s.pcb);
    return ok(0);
  }

  private listen(args: Expr[]): CallResult {
    this.nargs(args, 'listen', 2);
    const s = this.fdArg(args, 'listen');
    if (!(s instanceof Sock)) return s;
    if (s.kind === 'listen') return ok(0);
    if (s.kind !== 'new' || s.pcb === null) return fail('EINVAL');
    const backlog = this.evalInt(args[1], 'the backlog');
    if (s.boundPort === 0) {
      // Linux binds an unbound socket to an ephemeral port on listen()
      if (tcp_bind(s.pcb, this.env.localIp, 0) !== ERR_OK) return fail('EADDRINUSE');
      s.boundIp = tcp_local_ip(s.pcb);
      s.boundPort = tcp_local_port(s.pcb);
    }
    const l = tcp_listen_with_backlog(s.pcb, backlog > 0 ? backlog : 1);
    if (l === null) return fail('EADDRINUSE');
    s.pcb = l;
    s.kind = 'listen';
    this.applyOptions(s, l);
    if (s.rcvBuf > 0) tcp_set_recv_wnd(l, s.rcvBuf);
    tcp_arg(l, s);
    tcp_accept(l, (arg: Sock, newpcb: TcpPcb | null, err: Err): Err => {
      if (newpcb === null || err !== ERR_OK) return ERR_OK;
      const c = new Conn(newpcb);
      c.tupleFromPcb();
      c.connected = true;
      this.attach(c);
      // Linux: accepted sockets inherit the listener's options (not O_NONBLOCK)
      if (arg.noDelay) tcp_nagle_disable(newpcb);
      this.conns.push(c);
      arg.acceptQ.push(c);
      return ERR_OK;
    });
    this.tuples.set(s.fd, { kind: 'listen', localIp: s.boundIp, localPort: s.boundPort });
    return ok(0);
  }

  private accept(name: string, args: Expr[]): Call {
    this.nargs(args, name, 3, 4);
    return {
      step: () => {
        const s = this.fdArg(args, name);
        if (!(s instanceof Sock)) return s;
        if (s.kind !== 'listen') return fail('EINVAL');
        const c = s.acceptQ.shift();
        if (c === undefined) return s.nonblock ? fail('EAGAIN') : null;
        const fd = this.lowestFreeFd();
        const ns = new Sock(fd, null, s.keepIdleS, s.keepIntvlS, s.keepCnt);
        ns.kind = 'conn';
        ns.conn = c;
        ns.noDelay = s.noDelay;
        ns.keepAlive = s.keepAlive;
        ns.reuseAddr = s.reuseAddr;
        if (name === 'accept4' && args.length === 4) ns.nonblock = (this.evalInt(args[3], 'flags') & SYMBOLS.SOCK_NONBLOCK) !== 0;
        this.fds.set(fd, ns);
        this.tuples.set(fd, { kind: 'conn', localIp: c.localIp, localPort: c.localPort, remoteIp: c.remoteIp, remotePort: c.remotePort });
        return ok(fd);
      },
    };
  }

  private connect(args: Expr[]): Call {
    this.nargs(args, 'connect', 3);
    let started = false;
    let sock: Sock | null = null;
    return {
      step: () => {
        if (!started) {
          started = true;
          const s = this.fdArg(args, 'connect');
          if (!(s instanceof Sock)) return s;
          if (s.kind === 'listen') return fail('EINVAL');
          if (s.kind === 'conn' && s.conn !== null) {
            const c = s.conn;
            if (c.err !== null) { const e = c.err; c.err = null; return fail(e); }
            if (c.connected) return fail('EISCONN');
            return fail('EALREADY');
          }
          if (s.pcb === null) return fail('EBADF');
          const a = this.sockaddr(args[1], this.env.remoteIp, this.env.connectPort);
          const pcb = s.pcb;
          const c = new Conn(pcb);
          c.connecting = true;
          this.attach(c);
          const r = tcp_connect(pcb, a.ip, a.port, (arg: Conn): Err => {
            arg.connected = true;
            return ERR_OK;
          });
          if (r !== ERR_OK) {
            tcp_arg(pcb, null);
            return fail(r === ERR_RTE ? 'ENETUNREACH' : r === ERR_USE ? 'EADDRINUSE' : r === ERR_ISCONN ? 'EISCONN'
              : r === ERR_ALREADY ? 'EALREADY' : r === ERR_MEM || r === ERR_BUF ? 'ENOBUFS' : 'EINVAL');
          }
          c.tupleFromPcb();
          if (c.remoteIp === 0) { c.remoteIp = a.ip; c.remotePort = a.port; }
          s.pcb = null;
          s.kind = 'conn';
          s.conn = c;
          this.conns.push(c);
          this.tuples.set(s.fd, { kind: 'conn', localIp: c.localIp, localPort: c.localPort, remoteIp: c.remoteIp, remotePort: c.remotePort });
          this.hooks.onConnect(s, c);
          sock = s;
          if (s.nonblock) return fail('EINPROGRESS');
        }
        const c = sock?.conn;
        if (c === null || c === undefined) return fail('EBADF');
        if (c.connected) return ok(0);
        if (c.err !== null) { const e = c.err; c.err = null; return fail(e); }
        if (c.dead) return fail('ECONNREFUSED');
        return null;
      },
    };
  }

  private write(name: string, args: Expr[]): Call {
    this.nargs(args, name, name === 'send' ? 4 : 3);
    if (name === 'send' && this.evalInt(args[3], 'flags') & ~SYMBOLS.MSG_NOSIGNAL) throw new ScriptError('send() flags other than 0 are not supported');
    const n = this.evalInt(args[2], 'the length');
    if (n < 0) throw new ScriptError('negative length');
    let written = 0;
    return {
      step: () => {
        const s = this.fdArg(args, name);
        if (!(s instanceof Sock)) return s;
        const c = s.conn;
        if (c === null) return fail('EPIPE');
        if (c.err !== null) { const e = c.err; c.err = null; return fail(e); }
        if (c.shutWr || c.dead || c.closed) return fail('EPIPE');
        if (!c.connected) return s.nonblock ? fail('EAGAIN') : null;
        if (n === 0) return ok(0);
        let progress = false;
        while (written < n) {
          let chunk = Math.min(n - written, tcp_sndbuf(c.pcb), this.zeros.length);
          let r = ERR_MEM;
          while (chunk > 0) {
            r = tcp_write(c.pcb, this.zeros, chunk, TCP_WRITE_FLAG_COPY);
            if (r !== ERR_MEM) break;
            chunk >>= 1; // the segment queue is full for this much: try less (lwIP is all-or-nothing)
          }
          if (r !== ERR_OK || chunk === 0) {
            if (r !== ERR_OK && r !== ERR_MEM) return written > 0 ? ok(written) : fail(r === ERR_CONN ? 'EPIPE' : 'EINVAL');
            break;
          }
          written += chunk;
          progress = true;
        }
        if (progress) tcp_output(c.pcb);
        if (written === n) return ok(n);
        if (s.nonblock) return written > 0 ? ok(written) : fail('EAGAIN');
        return null;
      },
    };
  }

  private read(name: string, args: Expr[]): Call {
    this.nargs(args, name, name === 'recv' ? 4 : 3);
    if (name === 'recv' && this.evalInt(args[3], 'flags') !== 0) throw new ScriptError('recv() flags other than 0 are not supported');
    const n = this.evalInt(args[2], 'the length');
    if (n < 0) throw new ScriptError('negative length');
    return {
      step: () => {
        const s = this.fdArg(args, name);
        if (!(s instanceof Sock)) return s;
        const c = s.conn;
        if (c === null) return fail(s.kind === 'listen' ? 'ENOTCONN' : 'ENOTCONN');
        if (c.rxBytes > 0 && n > 0) {
          const k = Math.min(n, c.rxBytes);
          let left = k;
          while (left > 0) {
            const b = c.rx[0];
            if (b.length <= left) { c.rx.shift(); left -= b.length; } else { c.rx[0] = b.slice(left); left = 0; }
          }
          c.rxBytes -= k;
          // the application consumed k octets: now the window may reopen (seed 004)
          if (!c.dead) tcp_recved(c.pcb, k);
          return ok(k);
        }
        if (c.err !== null) { const e = c.err; c.err = null; return fail(e); }
        if (c.finRcvd || c.shutRd || c.dead || n === 0) return ok(0);
        if (!c.connected && !c.connecting) return fail('ENOTCONN');
        return s.nonblock ? fail('EAGAIN') : null;
      },
    };
  }

  private close(args: Expr[]): CallResult {
    this.nargs(args, 'close', 1);
    const s = this.fdArg(args, 'close');
    if (!(s instanceof Sock)) return s;
    this.fds.delete(s.fd);
    if (s.kind === 'listen') {
      // Linux resets the connections nobody accepted (inet_csk_listen_stop)
      for (const c of s.acceptQ) this.abortConn(c);
      s.acceptQ.length = 0;
      if (s.pcb !== null) tcp_close(s.pcb);
      s.pcb = null;
      return ok(0);
    }
    if (s.kind === 'new') {
      if (s.pcb !== null) tcp_close(s.pcb);
      s.pcb = null;
      return ok(0);
    }
    const c = s.conn;
    if (c === null) return ok(0);
    c.closed = true;
    if (c.dead || !tcp_is_alive(c.pcb)) return ok(0);
    if (s.linger === 0) {
      // SO_LINGER with a zero timeout: close() aborts with a RST (RFC 9293 §3.10.4 ABORT)
      this.abortConn(c);
      return ok(0);
    }
    const r = tcp_close(c.pcb);
    if (r === ERR_MEM) this.closeRetry.push(c);
    return ok(0);
  }

  private abortConn(c: Conn): void {
    if (c.dead || !tcp_is_alive(c.pcb)) return;
    c.selfAbort = true;
    tcp_abort(c.pcb);
  }

  private shutdown(args: Expr[]): CallResult {
    this.nargs(args, 'shutdown', 2);
    const s = this.fdArg(args, 'shutdown');
    if (!(s instanceof Sock)) return s;
    const how = this.evalInt(args[1], 'how');
    if (how < 0 || how > 2) return fail('EINVAL');
    const c = s.conn;
    if (c === null || c.dead || (!c.connected && !c.connecting)) return fail('ENOTCONN');
    const rd = how === SYMBOLS.SHUT_RD || how === SYMBOLS.SHUT_RDWR;
    const wr = how === SYMBOLS.SHUT_WR || how === SYMBOLS.SHUT_RDWR;
    if (rd && !c.shutRd) {
      c.shutRd = true;
      // seed 004: what is in the receive buffer is discarded
      c.rx.length = 0;
      c.rxBytes = 0;
      const r = tcp_shutdown(c.pcb, true, false);
      if (r !== ERR_OK && r !== ERR_CLSD) return fail('ENOTCONN');
    }
    if (wr && !c.shutWr) {
      c.shutWr = true;
      if (tcp_is_alive(c.pcb)) {
        const r = tcp_shutdown(c.pcb, false, true);
        if (r === ERR_CONN) return fail('ENOTCONN');
      }
    }
    return ok(0);
  }

  private setsockopt(args: Expr[]): CallResult {
    this.nargs(args, 'setsockopt', 5);
    const s = this.fdArg(args, 'setsockopt');
    if (!(s instanceof Sock)) return s;
    const level = this.evalInt(args[1], 'the level');
    const opt = args[2].t === 'word' ? args[2].v : String(this.evalInt(args[2], 'the option'));
    const pcb = this.pcbOf(s);
    const intVal = (): number => this.evalInt(args[3], opt + ' value');
    if (level === SYMBOLS.SOL_SOCKET) {
      switch (opt) {
        case 'SO_REUSEADDR':
          s.reuseAddr = intVal() !== 0;
          if (pcb !== null) { if (s.reuseAddr) ip_set_option(pcb, SOF_REUSEADDR); else ip_reset_option(pcb, SOF_REUSEADDR); }
          return ok(0);
        case 'SO_KEEPALIVE':
          s.keepAlive = intVal() !== 0;
          if (pcb !== null) {
            if (s.keepAlive) ip_set_option(pcb, SOF_KEEPALIVE); else ip_reset_option(pcb, SOF_KEEPALIVE);
            tcp_keepalive_set(pcb, s.keepIdleS * 1000, s.keepIntvlS * 1000, s.keepCnt);
          }
          return ok(0);
        case 'SO_RCVBUF': {
          const v = intVal();
          if (v < 1) return fail('EINVAL');
          // our window is exactly the buffer (Linux would double it and keep overhead): clamp to 16 bits
          s.rcvBuf = Math.min(v, 65535);
          if (pcb !== null && tcp_set_recv_wnd(pcb, s.rcvBuf) !== ERR_OK) {
            throw new ScriptError('SO_RCVBUF must be set before the connection opens (on the listener for accepted sockets)');
          }
          return ok(0);
        }
        case 'SO_LINGER': {
          const v = args[3];
          if (v.t !== 'struct') throw new ScriptError('SO_LINGER takes {onoff=N, linger=N}');
          let on = 0;
          let secs = 0;
          for (const f of v.fields) {
            if (f.name === 'onoff' || f.name === 'l_onoff') on = this.evalInt(f.value, 'onoff');
            else if (f.name === 'linger' || f.name === 'l_linger') secs = this.evalInt(f.value, 'linger');
          }
          if (on !== 0 && secs !== 0) throw new ScriptError('SO_LINGER with a non-zero timeout is not supported (a close() that blocks)');
          s.linger = on !== 0 ? secs : null;
          return ok(0);
        }
        default:
          throw new ScriptError('unsupported socket option ' + opt);
      }
    }
    if (level === SYMBOLS.IPPROTO_TCP) {
      switch (opt) {
        case 'TCP_NODELAY':
          s.noDelay = intVal() !== 0;
          if (pcb !== null) { if (s.noDelay) tcp_nagle_disable(pcb); else tcp_nagle_enable(pcb); }
          return ok(0);
        case 'TCP_KEEPIDLE':
        case 'TCP_KEEPINTVL':
        case 'TCP_KEEPCNT': {
          const v = intVal();
          if (v < 1) return fail('EINVAL');
          if (opt === 'TCP_KEEPIDLE') s.keepIdleS = v; else if (opt === 'TCP_KEEPINTVL') s.keepIntvlS = v; else s.keepCnt = v;
          if (pcb !== null) tcp_keepalive_set(pcb, s.keepIdleS * 1000, s.keepIntvlS * 1000, s.keepCnt);
          return ok(0);
        }
        default:
          throw new ScriptError('unsupported TCP option ' + opt);
      }
    }
    throw new ScriptError('unsupported setsockopt level ' + level);
  }

  private getsockopt(args: Expr[]): CallResult {
    this.nargs(args, 'getsockopt', 5);
    const s = this.fdArg(args, 'getsockopt');
    if (!(s instanceof Sock)) return s;
    const level = this.evalInt(args[1], 'the level');
    const opt = args[2].t === 'word' ? args[2].v : String(this.evalInt(args[2], 'the option'));
    let actual: number;
    let name: string;
    if (level === SYMBOLS.SOL_SOCKET && opt === 'SO_ERROR') {
      const c = s.conn;
      const e = c !== null ? c.err : null;
      if (c !== null) c.err = null;
      actual = e === null ? 0 : ERRNO[e];
      name = e ?? '0';
    } else if (level === SYMBOLS.IPPROTO_TCP && opt === 'TCP_NODELAY') {
      actual = s.noDelay ? 1 : 0; name = String(actual);
    } else if (level === SYMBOLS.SOL_SOCKET && opt === 'SO_KEEPALIVE') {
      actual = s.keepAlive ? 1 : 0; name = String(actual);
    } else if (level === SYMBOLS.SOL_SOCKET && opt === 'SO_REUSEADDR') {
      actual = s.reuseAddr ? 1 : 0; name = String(actual);
    } else {
      throw new ScriptError('unsupported getsockopt option ' + opt);
    }
    if (args[3].t !== 'ellipsis') {
      const want = this.evalInt(args[3], opt + ' value');
      if (want !== actual) {
        throw new ScriptError('getsockopt ' + opt + ': expected ' + exprText(args[3]) + ' but got ' + name);
      }
    }
    return ok(0);
  }

  private fcntl(args: Expr[]): CallResult {
    this.nargs(args, 'fcntl', 2, 3);
    const s = this.fdArg(args, 'fcntl');
    if (!(s instanceof Sock)) return s;
    const cmd = this.evalInt(args[1], 'the command');
    if (cmd === SYMBOLS.F_GETFL) return ok(SYMBOLS.O_RDWR | (s.nonblock ? SYMBOLS.O_NONBLOCK : 0));
    if (cmd === SYMBOLS.F_SETFL) {
      if (args.length !== 3) throw new ScriptError('fcntl(F_SETFL) needs the flags');
      s.nonblock = (this.evalInt(args[2], 'the flags') & SYMBOLS.O_NONBLOCK) !== 0;
      return ok(0);
    }
    throw new ScriptError('unsupported fcntl command');
  }

  /** What poll() reports for a socket (Linux tcp_poll). */
  private pollMask(s: Sock): number {
    const S = SYMBOLS;
    if (s.kind === 'listen') return s.acceptQ.length > 0 ? S.POLLIN | S.POLLRDNORM : 0;
    const c = s.conn;
    if (c === null) return S.POLLOUT | S.POLLWRNORM | S.POLLHUP; // a socket never connected: TCP_CLOSE
    let m = 0;
    if (c.err !== null) m |= S.POLLERR;
    const rdShut = c.finRcvd || c.shutRd || c.dead;
    const wrShut = c.shutWr || c.dead;
    if ((rdShut && wrShut) || c.dead) m |= S.POLLHUP;
    if (c.connecting && !c.connected && !c.dead) return m;
    if (rdShut) m |= S.POLLIN | S.POLLRDNORM | S.POLLRDHUP;
    if (c.rxBytes > 0) m |= S.POLLIN | S.POLLRDNORM;
    if (wrShut) m |= S.POLLOUT | S.POLLWRNORM;
    else if (tcp_sndbuf(c.pcb) > 0) m |= S.POLLOUT | S.POLLWRNORM;
    return m;
  }

  private pollCall(args: Expr[]): Call {
    this.nargs(args, 'poll', 3);
    const list = args[0];
    if (list.t !== 'array') throw new ScriptError('poll takes [{fd=N, events=..., revents=...}, ...]');
    const entries = list.items.map((it) => {
      if (it.t !== 'struct') throw new ScriptError('poll takes [{fd=N, events=..., revents=...}, ...]');
      let fd = -1;
      let events = 0;
      let revents: Expr | null = null;
      for (const f of it.fields) {
        if (f.name === 'fd') fd = this.evalInt(f.value, 'fd');
        else if (f.name === 'events') events = this.evalInt(f.value, 'events');
        else if (f.name === 'revents') revents = f.value;
        else throw new ScriptError('unknown pollfd field ' + String(f.name));
      }
      return { fd, events, revents };
    });
    if (this.evalInt(args[1], 'nfds') !== entries.length) throw new ScriptError('poll: nfds does not match the array');
    const timeout = this.evalInt(args[2], 'the timeout');
    const deadline = timeout < 0 ? Infinity : this.env.now() + timeout;
    return {
      step: () => {
        const got = entries.map((e) => {
          const s = this.fds.get(e.fd);
          if (s === undefined) return SYMBOLS.POLLNVAL;
          return this.pollMask(s) & (e.events | SYMBOLS.POLLERR | SYMBOLS.POLLHUP);
        });
        const n = got.filter((m) => m !== 0).length;
        if (n === 0 && this.env.now() < deadline) return null;
        for (let i = 0; i < entries.length; i++) {
          const want = entries[i].revents;
          if (want !== null && want.t !== 'ellipsis' && this.evalInt(want, 'revents') !== got[i]) {
            throw new ScriptError('poll: fd ' + entries[i].fd + ' revents expected ' + exprText(want) + ' but got ' + pollText(got[i]));
          }
        }
        return ok(n);
      },
    };
  }

  // --- end of script -----------------------------------------------------------------------------

  /** Closes every descriptor left open, resetting connections (as packetdrill's clean-up does). */
  closeAll(): void {
    for (const s of [...this.fds.values()]) {
      this.fds.delete(s.fd);
      if (s.kind === 'listen') {
        for (const c of s.acceptQ) this.abortConn(c);
        if (s.pcb !== null) tcp_close(s.pcb);
      } else if (s.kind === 'new') {
        if (s.pcb !== null) tcp_close(s.pcb);
      } else if (s.conn !== null) {
        s.conn.closed = true;
        this.abortConn(s.conn);
      }
    }
    // connections established but never accepted, whose listener is gone
    for (const c of this.conns) if (!c.closed && !c.dead) { c.closed = true; this.abortConn(c); }
  }
}

/** An expression as written (for messages). */
export function exprText(e: Expr): string {
  switch (e.t) {
    case 'int': return e.text;
    case 'ellipsis': return '...';
    case 'word': return e.v;
    case 'string': return JSON.stringify(e.v);
    case 'array': return '[' + e.items.map(exprText).join(', ') + ']';
    case 'struct': return '{' + e.fields.map((f) => (f.name !== null ? f.name + '=' : '') + exprText(f.value)).join(', ') + '}';
    case 'call': return e.fn + '(' + e.args.map(exprText).join(', ') + ')';
    case 'or': return exprText(e.left) + '|' + exprText(e.right);
  }
}
