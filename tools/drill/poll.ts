/**
 * poll(): the readiness Linux's tcp_poll reports for a socket, and the poll call that waits for it
 * and checks the revents a script expects. Test tooling.
 */
import { tcp_sndbuf } from '../../src/api/tcp_api.js';
import type { Expr } from './parse.js';
import { SYMBOLS, pollText } from './linux_abi.js';
import { ScriptError, evalInt, nargs, exprText } from './syscall_args.js';
import { ok, type Call, type Sock } from './socket_state.js';

/** What poll() reports for a socket (Linux tcp_poll). */
function pollMask(s: Sock): number {
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

/** poll(fds, nfds, timeout): blocks (step() gives null) until a descriptor is ready or the timeout passes. */
export function pollCall(fds: ReadonlyMap<number, Sock>, now: () => number, args: Expr[]): Call {
  nargs(args, 'poll', 3);
  const list = args[0];
  if (list.t !== 'array') throw new ScriptError('poll takes [{fd=N, events=..., revents=...}, ...]');
  const entries = list.items.map((it) => {
    if (it.t !== 'struct') throw new ScriptError('poll takes [{fd=N, events=..., revents=...}, ...]');
    let fd = -1;
    let events = 0;
    let revents: Expr | null = null;
    for (const f of it.fields) {
      if (f.name === 'fd') fd = evalInt(f.value, 'fd');
      else if (f.name === 'events') events = evalInt(f.value, 'events');
      else if (f.name === 'revents') revents = f.value;
      else throw new ScriptError('unknown pollfd field ' + String(f.name));
    }
    return { fd, events, revents };
  });
  if (evalInt(args[1], 'nfds') !== entries.length) throw new ScriptError('poll: nfds does not match the array');
  const timeout = evalInt(args[2], 'the timeout');
  const deadline = timeout < 0 ? Infinity : now() + timeout;
  return {
    step: () => {
      const got = entries.map((e) => {
        const s = fds.get(e.fd);
        if (s === undefined) return SYMBOLS.POLLNVAL;
        return pollMask(s) & (e.events | SYMBOLS.POLLERR | SYMBOLS.POLLHUP);
      });
      const n = got.filter((m) => m !== 0).length;
      if (n === 0 && now() < deadline) return null;
      for (let i = 0; i < entries.length; i++) {
        const want = entries[i].revents;
        if (want !== null && want.t !== 'ellipsis' && evalInt(want, 'revents') !== got[i]) {
          throw new ScriptError('poll: fd ' + entries[i].fd + ' revents expected ' + exprText(want) + ' but got ' + pollText(got[i]));
        }
      }
      return ok(n);
    },
  };
}
