/**
 * End-to-end smoke scenarios between two stacks on the mock wire: handshake, echo, both close paths,
 * TIME_WAIT expiry, and a lossy bulk transfer. The detailed per-transition suites live in tcp-*.test.ts.
 */
import assert from 'node:assert/strict';
import { MockNet } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import {
  tcp_new, tcp_bind, tcp_listen, tcp_accept, tcp_connect, tcp_recv, tcp_recved, tcp_write, tcp_close,
  tcp_sent, tcp_err, tcp_state_name, tcp_sndbuf, tcp_sndqueuelen, netstat, tcp_set_trace, formatTrace, TcpPcb, TCP_WRITE_FLAG_COPY,
} from '../../src/api/tcp_api.js';
import { pbuf_free, pbuf_copy_partial, pbuf_clen } from '../../src/core/pbuf.js';
import type { Pbuf } from '../../src/core/pbuf.js';
import { ERR_OK, ERR_MEM } from '../../src/core/err.js';
import { SeededRandom } from '../../src/core/random.js';
import { assertPoolsFull } from '../helpers/pools.js';

function echoServer(stack: Stack, port: number): TcpPcb {
  const pcb = tcp_new(stack) as TcpPcb;
  assert.equal(tcp_bind(pcb, 0, port), ERR_OK);
  const l = tcp_listen(pcb) as TcpPcb;
  tcp_accept(l, (_a, conn) => {
    const c = conn as TcpPcb;
    tcp_recv(c, (_a2, pc, p) => {
      if (p === null) { tcp_close(pc); return ERR_OK; }
      // no room to echo all of it: refuse the data; the stack offers it again later
      if (tcp_sndbuf(pc) < p.totLen || tcp_sndqueuelen(pc) + pbuf_clen(p) > 20) return ERR_MEM;
      for (let q: Pbuf | null = p; q !== null; q = q.next) {
        assert.equal(tcp_write(pc, q.buf, q.len, TCP_WRITE_FLAG_COPY, q.off), ERR_OK);
      }
      tcp_recved(pc, p.totLen);
      pbuf_free(p);
      return ERR_OK;
    });
    return ERR_OK;
  });
  return l;
}

/** A client that sends `data` (as the window allows), collects what comes back, closes after `expect` bytes. */
function client(stack: Stack, ip: string, port: number, data: Uint8Array, expect: number) {
  const pcb = tcp_new(stack) as TcpPcb;
  const got = new Uint8Array(expect);
  const st = { got, n: 0, sent: 0, connected: false, err: 0, closedByPeer: false, pcb };
  const pump = (pc: TcpPcb) => {
    while (st.sent < data.length) {
      const n = Math.min(1460, data.length - st.sent);
      if (tcp_write(pc, data, n, TCP_WRITE_FLAG_COPY, st.sent) !== ERR_OK) break;
      st.sent += n;
    }
  };
  tcp_err(pcb, (_a, e) => { st.err = e; });
  tcp_recv(pcb, (_a, pc, p) => {
    if (p === null) { st.closedByPeer = true; return ERR_OK; }
    st.n += pbuf_copy_partial(p, got, p.totLen, 0, st.n);
    tcp_recved(pc, p.totLen);
    pbuf_free(p);
    if (st.n >= expect) tcp_close(pc);
    return ERR_OK;
  });
  tcp_sent(pcb, (_a, pc) => { pump(pc); return ERR_OK; });
  assert.equal(tcp_connect(pcb, ip, port, (_a, pc) => { st.connected = true; pump(pc); return ERR_OK; }), ERR_OK);
  return st;
}

describe('tcp smoke', () => {
  it('handshake, echo, close: client ends in TIME_WAIT, server side frees; pools full after 2MSL', () => {
    const net = new MockNet({ seed: 1, delayMs: 1 });
    const a = net.addStack({ ip: '10.0.0.1/24', config: { TCP_MSL: 1000 } });
    const b = net.addStack({ ip: '10.0.0.2/24', config: { TCP_MSL: 1000 } });
    const trace: string[] = [];
    tcp_set_trace(a, (i) => trace.push('A ' + formatTrace(i)));
    tcp_set_trace(b, (i) => trace.push('B ' + formatTrace(i)));
    const listener = echoServer(b, 7);
    const data = new Uint8Array(5000).map((_, i) => (i * 7) & 255);
    const c = client(a, '10.0.0.2', 7, data, data.length);
    assert.ok(net.runUntil(() => c.n >= data.length, 10000), 'echo completes: got ' + c.n);
    assert.deepEqual(c.got, data);
    net.run(100);
    const states = netstat(a).map((r) => r.state);
    assert.ok(states.includes('TIME_WAIT'), 'client in TIME_WAIT: ' + JSON.stringify(netstat(a)) + '\n' + trace.join('\n'));
    net.run(2500);
    assert.deepEqual(netstat(a), []);
    assert.deepEqual(netstat(b).map((r) => r.state), ['LISTEN']);
    assert.equal(c.err, 0);
    assert.equal(tcp_close(listener), ERR_OK);
    assertPoolsFull(a, b);
  });

  it('1 MiB each way over a lossy, duplicating, reordering, corrupting wire', function () {
    this.timeout(120000);
    const net = new MockNet({ seed: 42, delayMs: 5, loss: 0.05, duplicate: 0.02, reorder: 0.05, corrupt: 0.01 });
    const cfg = { TCP_MSL: 1000, PBUF_POOL_SIZE: 64, MEMP_NUM_TCP_SEG: 48, TCP_SND_QUEUELEN: 24, TCP_SND_BUF: 16384 };
    const a = net.addStack({ ip: '10.0.0.1/24', config: cfg });
    const b = net.addStack({ ip: '10.0.0.2/24', config: cfg });
    const listener = echoServer(b, 7);
    const rnd = new SeededRandom(7);
    const data = new Uint8Array(1 << 20).map(() => rnd.nextU32() & 255);
    const c = client(a, '10.0.0.2', 7, data, data.length);
    const ok = net.runUntil(() => c.n >= data.length, 3_600_000);
    assert.ok(ok, 'transfer completes: ' + c.n + ' bytes at t=' + net.now + ' err=' + c.err);
    assert.ok(Buffer.compare(Buffer.from(c.got), Buffer.from(data)) === 0, 'identical bytes');
    assert.equal(c.err, 0);
    net.run(10000);
    assert.deepEqual(netstat(b).map((r) => r.state), ['LISTEN']);
    assert.deepEqual(netstat(a), []);
    assert.equal(tcp_close(listener), ERR_OK);
    assertPoolsFull(a, b);
    void tcp_state_name;
  });
});
