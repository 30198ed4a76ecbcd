/**
 * TCP bulk transfer between two in-process stacks on the mock wire (Node): megabytes per second of
 * wall-clock time for a one-way transfer with 1460-byte segments, lossless and with 1% and 3% loss
 * (each frame, data or ACK, lost with that probability, from a seeded random). Default
 * pools and windows (TCP_WND 8192, TCP_SND_BUF 8192), so the figures are what a board's
 * configuration gives, not a tuned one. The virtual time the transfer took is reported too.
 */
import { MockNet } from '../tools/mocknet.js';
import type { Stack } from '../src/api/stack.js';
import {
  tcp_new, tcp_bind, tcp_listen, tcp_accept, tcp_recv, tcp_recved, tcp_write, tcp_connect, tcp_sent,
  tcp_close, tcp_output, TcpPcb, TCP_WRITE_FLAG_COPY,
} from '../src/api/tcp_api.js';
import { pbuf_free } from '../src/core/pbuf.js';
import { ERR_OK } from '../src/core/err.js';
import type { BenchResult } from './util.js';

interface Transfer { mbPerSec: number; virtualMs: number; bytes: number }

function transfer(bytes: number, loss: number): Transfer {
  const net = new MockNet({ seed: 9, loss, delayMs: 1 });
  const a: Stack = net.addStack({ ip: '10.0.0.1/24' });
  const b: Stack = net.addStack({ ip: '10.0.0.2/24' });
  let received = 0;
  const l = tcp_listen(((): TcpPcb => { const p = tcp_new(b) as TcpPcb; tcp_bind(p, 0, 9); return p; })()) as TcpPcb;
  tcp_accept(l, (_a, c) => {
    tcp_recv(c as TcpPcb, (_x, pc, p) => {
      if (p === null) { tcp_close(pc); return ERR_OK; }
      received += p.totLen;
      tcp_recved(pc, p.totLen);
      pbuf_free(p);
      return ERR_OK;
    });
    return ERR_OK;
  });
  const chunk = new Uint8Array(1460).fill(0x5a);
  let sent = 0;
  const pump = (pc: TcpPcb): void => {
    while (sent < bytes) {
      const n = Math.min(chunk.length, bytes - sent);
      if (tcp_write(pc, chunk, n, TCP_WRITE_FLAG_COPY) !== ERR_OK) break;
      sent += n;
    }
    tcp_output(pc);
  };
  const c = tcp_new(a) as TcpPcb;
  tcp_sent(c, (_a, pc) => { pump(pc); return ERR_OK; });
  const t0 = performance.now();
  const v0 = net.now;
  tcp_connect(c, '10.0.0.2', 9, (_a, pc) => { pump(pc); return ERR_OK; });
  if (!net.runUntil(() => received >= bytes, 3_600_000)) throw new Error('transfer stalled at ' + received);
  const dt = (performance.now() - t0) / 1000;
  const virtualMs = net.now - v0;
  tcp_close(c);
  tcp_close(l);
  return { mbPerSec: bytes / dt / 1e6, virtualMs, bytes };
}

export async function run(): Promise<BenchResult> {
  const clean = transfer(16 << 20, 0);
  const lossy = transfer(4 << 20, 0.01);
  const lossy3 = transfer(4 << 20, 0.03);
  return {
    rows: [
      ['bulk, lossless (MB/s wall)', clean.mbPerSec.toFixed(1)],
      ['bulk, lossless (virtual s for 16 MiB)', (clean.virtualMs / 1000).toFixed(2)],
      ['bulk, 1% loss (MB/s wall)', lossy.mbPerSec.toFixed(1)],
      ['bulk, 1% loss (virtual s for 4 MiB)', (lossy.virtualMs / 1000).toFixed(2)],
      ['bulk, 3% loss (virtual s for 4 MiB)', (lossy3.virtualMs / 1000).toFixed(2)],
    ],
    json: {
      bulkLosslessMBps: +clean.mbPerSec.toFixed(2),
      bulkLosslessVirtualMs: clean.virtualMs,
      bulkLoss1MBps: +lossy.mbPerSec.toFixed(2),
      bulkLoss1VirtualMs: lossy.virtualMs,
      bulkLoss3VirtualMs: lossy3.virtualMs,
    },
  };
}
