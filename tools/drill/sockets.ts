/**
 * A Linux-like socket layer over the lwIP raw API, as packetdrill scripts expect it: a file
 * descriptor table starting at 3 (lowest free number first, as POSIX open/accept do), blocking and
 * O_NONBLOCK sockets, an accept queue fed by tcp_accept, and the connection calls (socket, bind,
 * listen, accept, connect, write, read, close, shutdown) with the errno values Linux returns.
 * Options and flags are in sockopt.ts, poll() in poll.ts, the per-socket state and the raw API
 * callbacks that feed it in socket_state.ts.
 *
 * Each system call is a Call whose step() returns the result, or null while it would block; the
 * runner calls step() again as virtual time passes. Test tooling: allocation is fine here.
 */
import type { Stack } from '../../src/api/stack.js';
import {
  tcp_new, tcp_bind, tcp_listen_with_backlog, tcp_accept, tcp_connect, tcp_write, tcp_output, tcp_recved, tcp_arg,
  tcp_close, tcp_shutdown, tcp_abort, tcp_sndbuf, tcp_nagle_disable, tcp_set_recv_wnd, tcp_local_ip, tcp_local_port,
  tcp_is_alive, tcp_lookup_state, TcpPcb, TCP_WRITE_FLAG_COPY,
} from '../../src/api/tcp_api.js';
import {
  ERR_OK, ERR_MEM, ERR_CLSD, ERR_USE, ERR_RTE, ERR_VAL, ERR_ISCONN, ERR_ALREADY, ERR_CONN, ERR_BUF, type Err,
} from '../../src/core/err.js';
import type { Expr } from './parse.js';
import { SYMBOLS } from './linux_abi.js';
import { ScriptError, evalInt, nargs } from './syscall_args.js';
import { Conn, Sock, ok, fail, attachConn, type Call, type CallResult } from './socket_state.js';
import { applySockOptions, setsockopt, getsockopt, fcntl } from './sockopt.js';
import { pollCall } from './poll.js';

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

  private fdArg(args: Expr[], name: string): Sock | CallResult {
    if (args.length === 0) throw new ScriptError(name + ' needs a file descriptor');
    const fd = evalInt(args[0], 'the file descriptor');
    const s = this.fds.get(fd);
    return s ?? fail('EBADF');
  }

  /** Address and port of a sockaddr argument: `...` means the runner's defaults. */
  private sockaddr(e: Expr, defIp: number, defPort: number): { ip: number; port: number } {
    if (e.t === 'ellipsis') return { ip: defIp, port: defPort };
    if (e.t !== 'struct') throw new ScriptError('expected ... or {sa_family=AF_INET, sin_port=htons(N), sin_addr=inet_addr("a.b.c.d")}');
    let ip = defIp;
    let port = defPort;
    for (const f of e.fields) {
      if (f.name === 'sin_port') port = evalInt(f.value, 'sin_port');
      else if (f.name === 'sin_addr') ip = evalInt(f.value, 'sin_addr') >>> 0;
      else if (f.name === 'sa_family' || f.name === 'sin_family') {
        if (evalInt(f.value, 'sa_family') !== SYMBOLS.AF_INET) throw new ScriptError('only AF_INET is supported');
      } else throw new ScriptError('unsupported sockaddr field ' + String(f.name));
    }
    return { ip, port };
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
      case 'setsockopt': return this.once(() => this.onSock(args, 'setsockopt', 5, 5, (s) => setsockopt(s, args)));
      case 'getsockopt': return this.once(() => this.onSock(args, 'getsockopt', 5, 5, (s) => getsockopt(s, args)));
      case 'fcntl': return this.once(() => this.onSock(args, 'fcntl', 2, 3, (s) => fcntl(s, args)));
      case 'poll': return pollCall(this.fds, () => this.env.now(), args);
      default:
        throw new ScriptError('unsupported system call ' + name + '()');
    }
  }

  /** Checks the argument count, then runs `fn` on the socket of the first argument (EBADF if none). */
  private onSock(args: Expr[], name: string, min: number, max: number, fn: (s: Sock) => CallResult): CallResult {
    nargs(args, name, min, max);
    const s = this.fdArg(args, name);
    return s instanceof Sock ? fn(s) : s;
  }

  private once(fn: () => CallResult): Call {
    let r: CallResult | null = null;
    return { step: () => (r ??= fn()) };
  }

  private socket(args: Expr[]): CallResult {
    nargs(args, 'socket', 3);
    if (args[0].t !== 'ellipsis' && evalInt(args[0], 'the domain') !== SYMBOLS.AF_INET) {
      throw new ScriptError('only AF_INET sockets are supported');
    }
    const type = evalInt(args[1], 'the socket type');
    if ((type & 0xf) !== SYMBOLS.SOCK_STREAM) throw new ScriptError('only SOCK_STREAM sockets are supported');
    if (args[2].t !== 'ellipsis') {
      const proto = evalInt(args[2], 'the protocol');
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
    nargs(args, 'bind', 3);
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
    nargs(args, 'listen', 2);
    const s = this.fdArg(args, 'listen');
    if (!(s instanceof Sock)) return s;
    if (s.kind === 'listen') return ok(0);
    if (s.kind !== 'new' || s.pcb === null) return fail('EINVAL');
    const backlog = evalInt(args[1], 'the backlog');
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
    applySockOptions(s, l);
    if (s.rcvBuf > 0) tcp_set_recv_wnd(l, s.rcvBuf);
    tcp_arg(l, s);
    tcp_accept(l, (arg: Sock, newpcb: TcpPcb | null, err: Err): Err => {
      if (newpcb === null || err !== ERR_OK) return ERR_OK;
      const c = new Conn(newpcb);
      c.tupleFromPcb();
      c.connected = true;
      attachConn(c);
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
    nargs(args, name, 3, 4);
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
        if (name === 'accept4' && args.length === 4) ns.nonblock = (evalInt(args[3], 'flags') & SYMBOLS.SOCK_NONBLOCK) !== 0;
        this.fds.set(fd, ns);
        this.tuples.set(fd, { kind: 'conn', localIp: c.localIp, localPort: c.localPort, remoteIp: c.remoteIp, remotePort: c.remotePort });
        return ok(fd);
      },
    };
  }

  private connect(args: Expr[]): Call {
    nargs(args, 'connect', 3);
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
          attachConn(c);
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
    nargs(args, name, name === 'send' ? 4 : 3);
    if (name === 'send' && evalInt(args[3], 'flags') & ~SYMBOLS.MSG_NOSIGNAL) throw new ScriptError('send() flags other than 0 are not supported');
    const n = evalInt(args[2], 'the length');
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
    nargs(args, name, name === 'recv' ? 4 : 3);
    if (name === 'recv' && evalInt(args[3], 'flags') !== 0) throw new ScriptError('recv() flags other than 0 are not supported');
    const n = evalInt(args[2], 'the length');
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
          // the application consumed k octets: the window, the free receive buffer, may reopen (RFC 9293 §3.8.6)
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
    nargs(args, 'close', 1);
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
    nargs(args, 'shutdown', 2);
    const s = this.fdArg(args, 'shutdown');
    if (!(s instanceof Sock)) return s;
    const how = evalInt(args[1], 'how');
    if (how < 0 || how > 2) return fail('EINVAL');
    const c = s.conn;
    if (c === null || c.dead || (!c.connected && !c.connecting)) return fail('ENOTCONN');
    const rd = how === SYMBOLS.SHUT_RD || how === SYMBOLS.SHUT_RDWR;
    const wr = how === SYMBOLS.SHUT_WR || how === SYMBOLS.SHUT_RDWR;
    if (rd && !c.shutRd) {
      c.shutRd = true;
      // SHUT_RD discards what the receive buffer holds (as on Linux)
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

