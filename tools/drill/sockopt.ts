/**
 * Socket options and file flags: setsockopt, getsockopt and fcntl on a socket, and the stored
 * options applied to a pcb (a listener, and connections it accepts, inherit them as on Linux).
 * Test tooling.
 */
import {
  tcp_nagle_disable, tcp_nagle_enable, tcp_keepalive_set, tcp_set_recv_wnd, ip_set_option, ip_reset_option,
  TcpPcb, SOF_REUSEADDR, SOF_KEEPALIVE,
} from '../../src/api/tcp_api.js';
import { ERR_OK } from '../../src/core/err.js';
import type { Expr } from './parse.js';
import { ERRNO, SYMBOLS } from './linux_abi.js';
import { ScriptError, evalInt, exprText } from './syscall_args.js';
import { ok, fail, livePcb, type CallResult, type Sock } from './socket_state.js';

/** Applies the socket's stored options to a pcb (a new listener, an accepted connection). */
export function applySockOptions(s: Sock, pcb: TcpPcb): void {
  if (s.reuseAddr) ip_set_option(pcb, SOF_REUSEADDR); else ip_reset_option(pcb, SOF_REUSEADDR);
  if (s.keepAlive) ip_set_option(pcb, SOF_KEEPALIVE); else ip_reset_option(pcb, SOF_KEEPALIVE);
  tcp_keepalive_set(pcb, s.keepIdleS * 1000, s.keepIntvlS * 1000, s.keepCnt);
  if (s.noDelay) tcp_nagle_disable(pcb); else tcp_nagle_enable(pcb);
}

/** setsockopt(fd, level, name, value, len) on the socket `s`. */
export function setsockopt(s: Sock, args: Expr[]): CallResult {
  const level = evalInt(args[1], 'the level');
  const opt = args[2].t === 'word' ? args[2].v : String(evalInt(args[2], 'the option'));
  const pcb = livePcb(s);
  const intVal = (): number => evalInt(args[3], opt + ' value');
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
          if (f.name === 'onoff' || f.name === 'l_onoff') on = evalInt(f.value, 'onoff');
          else if (f.name === 'linger' || f.name === 'l_linger') secs = evalInt(f.value, 'linger');
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

/** getsockopt(fd, level, name, expected value, len): the value is checked here. */
export function getsockopt(s: Sock, args: Expr[]): CallResult {
  const level = evalInt(args[1], 'the level');
  const opt = args[2].t === 'word' ? args[2].v : String(evalInt(args[2], 'the option'));
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
    const want = evalInt(args[3], opt + ' value');
    if (want !== actual) {
      throw new ScriptError('getsockopt ' + opt + ': expected ' + exprText(args[3]) + ' but got ' + name);
    }
  }
  return ok(0);
}

/** fcntl(fd, F_GETFL) / fcntl(fd, F_SETFL, flags): only O_NONBLOCK matters. */
export function fcntl(s: Sock, args: Expr[]): CallResult {
  const cmd = evalInt(args[1], 'the command');
  if (cmd === SYMBOLS.F_GETFL) return ok(SYMBOLS.O_RDWR | (s.nonblock ? SYMBOLS.O_NONBLOCK : 0));
  if (cmd === SYMBOLS.F_SETFL) {
    if (args.length !== 3) throw new ScriptError('fcntl(F_SETFL) needs the flags');
    s.nonblock = (evalInt(args[2], 'the flags') & SYMBOLS.O_NONBLOCK) !== 0;
    return ok(0);
  }
  throw new ScriptError('unsupported fcntl command');
}
