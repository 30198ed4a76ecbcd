/**
 * The small services (src/apps: echo, discard, daytime, chargen) between two stacks on the mock wire,
 * with a client written against the raw API. Deterministic: virtual clock, seeded randomness. Every
 * scenario ends with all pools of both stacks back to full.
 */
import { strict as assert } from 'node:assert';
import { MockNet } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import type { StackConfig } from '../../src/core/config.js';
import { ERR_OK } from '../../src/core/err.js';
import type { Err } from '../../src/core/err.js';
import type { Pbuf } from '../../src/core/pbuf.js';
import { pbuf_free, pbuf_copy_partial } from '../../src/core/pbuf.js';
import { SeededRandom } from '../../src/core/random.js';
import {
  tcp_new, tcp_connect, tcp_recv, tcp_recved, tcp_sent, tcp_err, tcp_write, tcp_output, tcp_sndbuf,
  tcp_shutdown, tcp_close, tcp_lookup_state, tcp_local_port, TCP_WRITE_FLAG_COPY,
} from '../../src/api/tcp_api.js';
import type { TcpPcb } from '../../src/api/tcp_api.js';
import { startEcho } from '../../src/apps/echo.js';
import { startDiscard } from '../../src/apps/discard.js';
import { startDaytime } from '../../src/apps/daytime.js';
import { startChargen, chargenRing, CHARGEN_RING_LEN } from '../../src/apps/chargen.js';
import { assertPoolsFull } from '../helpers/pools.js';

const SERVER = '10.0.0.1';
const CLIENT = '10.0.0.2';
/** Short TIME_WAIT so that scenarios can wait for every pcb to be freed. */
const FAST: Partial<StackConfig> = { TCP_MSL: 500 };

/** A raw-API client: connects, sends `data` as the send buffer allows, optionally half-closes after
 *  it, collects what arrives; closes when both directions are done. */
class Client {
  pcb: TcpPcb | null = null;
  connected = false;
  received: number[] = [];
  rxDone = false;
  txDone = false;
  closed = false;
  err: Err | null = null;
  localPort = 0;
  private sentOff = 0;
  constructor(readonly stack: Stack, readonly data: Uint8Array, readonly halfClose: boolean, readonly maxRx = Infinity) {}

  connect(port: number): void {
    const pcb = tcp_new(this.stack);
    assert.ok(pcb !== null);
    this.pcb = pcb;
    tcp_err(pcb, (_a, e) => { this.err = e; this.pcb = null; });
    tcp_recv(pcb, (_a, p, q, _e) => this.onRecv(p, q));
    tcp_sent(pcb, () => { this.pump(); return ERR_OK; });
    assert.equal(tcp_connect(pcb, SERVER, port, (_a, p) => {
      this.connected = true;
      this.localPort = tcp_local_port(p);
      this.pump();
      return ERR_OK;
    }), ERR_OK);
  }

  private onRecv(pcb: TcpPcb, p: Pbuf | null): Err {
    if (p === null) {
      this.rxDone = true;
      this.maybeClose();
      return ERR_OK;
    }
    const tmp = new Uint8Array(p.totLen);
    pbuf_copy_partial(p, tmp, p.totLen, 0);
    for (const b of tmp) this.received.push(b);
    tcp_recved(pcb, p.totLen);
    pbuf_free(p);
    if (this.received.length >= this.maxRx) this.close();
    return ERR_OK;
  }

  pump(): void {
    const pcb = this.pcb;
    if (pcb === null || !this.connected) return;
    while (this.sentOff < this.data.length) {
      let n = tcp_sndbuf(pcb);
      if (n <= 0) break;
      if (n > this.data.length - this.sentOff) n = this.data.length - this.sentOff;
      if (tcp_write(pcb, this.data, n, TCP_WRITE_FLAG_COPY, this.sentOff) !== ERR_OK) break;
      this.sentOff += n;
    }
    tcp_output(pcb);
    if (this.sentOff === this.data.length && this.halfClose && !this.txDone) {
      if (tcp_shutdown(pcb, false, true) === ERR_OK) this.txDone = true;
      this.maybeClose();
    }
  }

  private maybeClose(): void {
    if (this.rxDone && (this.txDone || !this.halfClose)) this.close();
  }

  close(): void {
    if (this.pcb === null || this.closed) return;
    if (tcp_close(this.pcb) === ERR_OK) {
      this.closed = true;
      this.pcb = null;
    }
  }
}

function pair(config: Partial<StackConfig> = {}, seed = 7): { net: MockNet; server: Stack; client: Stack } {
  const net = new MockNet({ seed });
  const server = net.addStack({ ip: SERVER + '/24', config: { ...FAST, ...config } });
  const client = net.addStack({ ip: CLIENT + '/24', config: { ...FAST, ...config } });
  return { net, server, client };
}

function randomData(n: number, seed: number): Uint8Array {
  const r = new SeededRandom(seed);
  const d = new Uint8Array(n);
  for (let i = 0; i < n; i++) d[i] = r.nextU32() & 0xff;
  return d;
}

describe('apps: echo (RFC 862)', function () {
  it('echoes 200 KB and closes after the client half-closes', function () {
    const { net, server, client } = pair();
    const echo = startEcho(server);
    assert.equal(echo.err, ERR_OK);
    const data = randomData(200000, 1);
    const c = new Client(client, data, true);
    c.connect(7);
    assert.ok(net.runUntil(() => c.rxDone, 60000), 'no FIN from echo; got ' + c.received.length);
    assert.equal(c.received.length, data.length);
    assert.deepEqual(Uint8Array.from(c.received), data);
    assert.equal(c.err, null);
    net.run(3000);
    assert.equal(echo.connections(), 0);
    echo.stop();
    net.run(10);
    assertPoolsFull(server, client);
  });

  it('keeps every byte when pools are small (tcp_write ERR_MEM is retried)', function () {
    const { net, server, client } = pair({ PBUF_POOL_SIZE: 24, TCP_SND_BUF: 8192, TCP_WND: 8192 }, 11);
    const echo = startEcho(server);
    const data = randomData(100000, 2);
    const c = new Client(client, data, true);
    c.connect(7);
    assert.ok(net.runUntil(() => c.rxDone, 120000), 'echo stalled at ' + c.received.length);
    assert.deepEqual(Uint8Array.from(c.received), data);
    net.run(3000);
    echo.stop();
    net.run(10);
    assertPoolsFull(server, client);
  });

  it('stop() closes open connections with a FIN', function () {
    const { net, server, client } = pair();
    const echo = startEcho(server);
    const c = new Client(client, new Uint8Array(10), false);
    c.connect(7);
    assert.ok(net.runUntil(() => c.received.length === 10, 5000));
    assert.equal(echo.connections(), 1);
    echo.stop();
    assert.equal(echo.connections(), 0);
    assert.ok(net.runUntil(() => c.rxDone, 5000), 'the client never saw our FIN');
    net.run(3000);
    assertPoolsFull(server, client);
  });
});

describe('apps: discard (RFC 863)', function () {
  it('takes everything and closes after the client\'s FIN', function () {
    const { net, server, client } = pair();
    const discard = startDiscard(server, 9);
    const c = new Client(client, randomData(300000, 3), true);
    c.connect(9);
    assert.ok(net.runUntil(() => c.rxDone, 60000), 'discard did not close');
    assert.equal(c.received.length, 0);
    assert.equal(c.err, null);
    net.run(3000);
    discard.stop();
    net.run(10);
    assertPoolsFull(server, client);
  });
});

describe('apps: daytime (RFC 867)', function () {
  it('sends one printable line + CRLF and closes first (TIME_WAIT on the server)', function () {
    const { net, server, client } = pair();
    const daytime = startDaytime(server, 13, () => 'Saturday, November 21, 2026 17:20:00-UTC\u00e9\n');
    const c = new Client(client, new Uint8Array(0), false);
    c.connect(13);
    assert.ok(net.runUntil(() => c.rxDone, 5000));
    const text = String.fromCharCode(...c.received);
    assert.equal(text, 'Saturday, November 21, 2026 17:20:00-UTC??\r\n');
    net.run(50);
    // The server closed first: the 2 MSL wait is on its side (RFC 9293 §3.6), the client is gone.
    assert.equal(tcp_lookup_state(server, SERVER, 13, CLIENT, c.localPort), 'TIME_WAIT');
    assert.equal(tcp_lookup_state(client, CLIENT, c.localPort, SERVER, 13), 'CLOSED');
    net.run(3000);
    daytime.stop();
    net.run(10);
    assertPoolsFull(server, client);
  });

  it('serves more sequential connections than the stack has pcbs (TIME_WAIT is recycled)', function () {
    const { net, server, client } = pair({ TCP_MSL: 60000 });
    const daytime = startDaytime(server);
    let served = 0;
    for (let i = 0; i < 30; i++) {
      const c = new Client(client, new Uint8Array(0), false);
      c.connect(13);
      assert.ok(net.runUntil(() => c.rxDone, 5000), 'connection ' + i + ' not served');
      if (c.received.length > 2) served++;
      net.run(5);
    }
    assert.equal(served, 30);
    assert.equal(daytime.accepted(), 30);
    daytime.stop();
  });
});

describe('apps: chargen (RFC 864)', function () {
  it('builds the classic ring: 95 lines of 72 printable characters + CRLF, each shifted by one', function () {
    const ring = chargenRing();
    assert.equal(ring.length, CHARGEN_RING_LEN);
    const line = (k: number) => String.fromCharCode(...ring.subarray(k * 74, k * 74 + 74));
    assert.equal(line(0), '!"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh\r\n');
    assert.equal(line(1), '"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghi\r\n');
    assert.equal(line(94), ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg\r\n');
    for (let i = 0; i < ring.length; i++) {
      const b = ring[i];
      assert.ok((b >= 32 && b <= 126) || b === 13 || b === 10);
    }
  });

  for (const [name, config] of [['default pools', {}], ['small pools (ERR_MEM retried)', { PBUF_POOL_SIZE: 20 }]] as const) {
    it('streams the ring until the client closes: ' + name, function () {
      const { net, server, client } = pair(config, 5);
      const chargen = startChargen(server);
      const want = 3 * CHARGEN_RING_LEN + 1000;
      const c = new Client(client, new Uint8Array(0), false, want);
      c.connect(19);
      assert.ok(net.runUntil(() => c.closed, 60000), 'got only ' + c.received.length);
      const ring = chargenRing();
      for (let i = 0; i < want; i++) {
        if (c.received[i] !== ring[i % CHARGEN_RING_LEN]) assert.fail('byte ' + i + ' differs');
      }
      net.run(5000);
      assert.equal(chargen.connections(), 0);
      chargen.stop();
      net.run(10);
      assertPoolsFull(server, client);
    });
  }
});
