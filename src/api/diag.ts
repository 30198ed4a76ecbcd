/**
 * Diagnostics: netstat rows and the state-transition trace, and their text forms. They observe the
 * TCP layer through its iterators and its trace hook; nothing here writes connection state.
 */
import { ip4ToString } from '../core/ip4addr.js';
import { tcpStateName } from '../tcp/constants.js';
import type { TcpTraceInfo } from '../tcp/tcp.js';
import type { Stack } from './stack.js';
import { TCB } from '../tcp/tcb.js';

export interface NetstatRow {
  proto: string;
  local: string;
  remote: string;
  state: string;
  /** Octets written and not yet acknowledged (queued + in flight). */
  sendQ: number;
  /** Octets received and not yet consumed by the application (tcp_recved). */
  recvQ: number;
}

/** One row per listener and per connection of `stack` (CLOSED rows: pcbs created and not opened). */
export function netstat(stack: Stack): NetstatRow[] {
  const rows: NetstatRow[] = [];
  stack.tcp.forEachListener((l) => {
    rows.push({ proto: 'tcp', local: ip4ToString(l.localIp) + ':' + l.localPort, remote: '0.0.0.0:*',
      state: 'LISTEN', sendQ: 0, recvQ: 0 });
  });
  stack.tcp.forEachConn((p) => {
    const pv = p.v;
    let recvQ = pv[TCB.rcvWndMax] - pv[TCB.rcvWnd];
    if (recvQ < 0) recvQ = 0;
    let sendQ = (pv[TCB.sndLbb] - pv[TCB.sndUna]) >>> 0;
    if (sendQ > 0x7fffffff) sendQ = 0;
    rows.push({ proto: 'tcp', local: ip4ToString(pv[TCB.localIp]) + ':' + pv[TCB.localPort],
      remote: ip4ToString(pv[TCB.remoteIp]) + ':' + pv[TCB.remotePort], state: tcpStateName(pv[TCB.state]), sendQ, recvQ });
  });
  return rows;
}

/** Formats netstat rows as a table (the columns and state names of netstat -t). */
export function formatNetstat(rows: NetstatRow[]): string {
  const head = ['Proto', 'Recv-Q', 'Send-Q', 'Local Address', 'Foreign Address', 'State'];
  const table: string[][] = [head];
  for (const r of rows) table.push([r.proto, String(r.recvQ), String(r.sendQ), r.local, r.remote, r.state]);
  const widths = head.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/** Installs (or removes, with null) the state-transition hook: every change of any pcb's state,
 *  with the cause ('api', 'segment', 'timer', 'icmp'). The info object is reused: copy what you keep. */
export function tcp_set_trace(stack: Stack, fn: ((info: TcpTraceInfo) => void) | null): void {
  stack.tcp.setTrace(fn);
}

/** Formats a trace record as one line, e.g. `10.0.0.2:7 <-> 10.0.0.1:40000 ESTABLISHED -> CLOSE_WAIT (segment)`. */
export function formatTrace(info: TcpTraceInfo): string {
  return ip4ToString(info.localIp) + ':' + info.localPort + ' <-> ' + ip4ToString(info.remoteIp) + ':'
    + info.remotePort + ' ' + tcpStateName(info.from) + ' -> ' + tcpStateName(info.to) + ' (' + info.cause + ')';
}

