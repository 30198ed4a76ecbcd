/**
 * The ECMA-419 socket classes (src/io: TCP, Listener, UDP) between two stacks on the mock wire, on
 * Node and in XS: connect and echo, a half-close by the peer, a refused connect, a reset, a slow
 * reader (the window closes to 0 and reopens as the application reads), a listener accepting more
 * connections than its backlog at once, UDP echo with a full receive ring, and every error the
 * classes throw (class and message recorded, so that both engines must agree). Every scenario ends
 * with all pools of both stacks back to full.
 */
import { MockNet } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import { ERR_OK, type Err } from '../../src/core/err.js';
import { pbuf_free, type Pbuf } from '../../src/core/pbuf.js';
import {
  tcp_new, tcp_bind, tcp_connect, tcp_write, tcp_output, tcp_recv, tcp_recved, tcp_shutdown, tcp_abort, tcp_close,
  tcp_listen, tcp_accept, netstat, type TcpPcb,
} from '../../src/api/tcp_api.js';
import { TCP, Listener, UDP, setDefaultStack, getDefaultStack } from '../../src/io/index.js';
import { Checks, Crc32, crcOf, finish, testData, StateLog, type ScenarioResult } from './common.js';

const IP_A = '10.0.0.1';
const IP_B = '10.0.0.2';
const LABELS = ['A', 'B'];

/** Two stacks; short MSL so TIME_WAIT ends soon. */
class IoNet {
  readonly net: MockNet;
  readonly a: Stack;
  readonly b: Stack;
  readonly log = new StateLog();

  constructor(seed: number, config: Record<string, number> = {}, faults: Record<string, number> = {}) {
    this.net = new MockNet({ seed, delayMs: 1, ...faults });
    const cfg = { TCP_MSL: 500, ...config };
    this.a = this.net.addStack({ ip: IP_A + '/24', name: 'A', config: cfg });
    this.b = this.net.addStack({ ip: IP_B + '/24', name: 'B', config: cfg });
    this.log.attach('A', this.a);
    this.log.attach('B', this.b);
  }

  /** Runs until no pcb of either stack is in use (TIME_WAIT over). */
  quiet(maxMs = 20000): boolean {
    return this.net.runUntil(() => this.a.tcp.pcbPool.stats.used === 0 && this.b.tcp.pcbPool.stats.used === 0
      && this.a.tcp.listenPool.stats.used === 0 && this.b.tcp.listenPool.stats.used === 0, maxMs);
  }

  done(name: string, c: Checks, extra: Record<string, number | string | boolean>, bytes = 0, digest = ''): ScenarioResult {
    return finish(name, c, { labels: LABELS, stacks: [this.a, this.b], now: this.net.now, bytes, digest, log: this.log, extra });
  }
}

/** An echo server on `stack`:`port` built the way Moddable's listener examples are: the Listener's
 *  onReadable adopts each connection with `new TCP({ from })`; each echoes what it can write. */
class EchoServer {
  readonly listener: Listener;
  accepted = 0;
  errors = 0;
  echoed = 0;
  readonly conns: TCP[] = [];
  readonly events: string[] = [];

  constructor(stack: Stack, port: number, backlog?: number) {
    const server = this;
    this.listener = new Listener({
      stack, port, backlog,
      onReadable(this: Listener, count: number) {
        server.events.push('accept ' + count);
        while (count--) {
          const from = this.read() as TCP;
          server.accepted++;
          const conn = new TCP({
            from,
            onReadable(this: TCP, n: number) { server.pump(this, n); },
            onWritable(this: TCP) { server.pump(this, 0); },
            onError(this: TCP) { server.errors++; server.events.push('error'); },
          });
          server.conns.push(conn);
        }
      },
    });
  }

  /** Echoes as much as the send buffer takes; what remains waits for onWritable. */
  pump(t: TCP, _n: number): void {
    let room = t.write(EMPTY);
    for (;;) {
      const ab = room > 0 ? t.read(room) as ArrayBuffer | undefined : undefined;
      if (ab === undefined) return;
      room = t.write(ab);
      this.echoed += ab.byteLength;
    }
  }
}

const EMPTY = new Uint8Array(0);

function concat(x: Uint8Array, y: Uint8Array): Uint8Array {
  const r = new Uint8Array(x.length + y.length);
  r.set(x, 0);
  r.set(y, x.length);
  return r;
}

/** A client that sends `data` as the send buffer allows and digests what comes back. */
class Client {
  readonly tcp: TCP;
  readonly crc = new Crc32();
  received = 0;
  sent = 0;
  writableCalls = 0;
  firstWritable = -1;
  errors = 0;
  readonly events: string[] = [];
  readonly buf = new Uint8Array(700);

  constructor(stack: Stack, port: number, readonly data: Uint8Array, opts: Record<string, unknown> = {}) {
    const client = this;
    this.tcp = new TCP({
      stack, address: IP_B, port, ...opts,
      onWritable(this: TCP, n: number) {
        client.writableCalls++;
        if (client.firstWritable < 0) client.firstWritable = n;
        client.push(this, n);
      },
      onReadable(this: TCP, n: number) {
        client.events.push('readable');
        if (this.format === 'number') {
          for (; n > 0; n--) { client.buf[0] = this.read() as number; client.crc.update(client.buf, 0, 1); client.received++; }
          return;
        }
        while (n > 0) {
          const k = this.read(client.buf) as number;
          client.crc.update(client.buf, 0, k);
          client.received += k;
          n -= k;
        }
      },
      onError() { client.errors++; client.events.push('error'); },
    });
  }

  push(t: TCP, room: number): void {
    while (this.sent < this.data.length && room > 0) {
      const n = Math.min(room, this.data.length - this.sent, 1000);
      room = t.write(this.data.subarray(this.sent, this.sent + n));
      this.sent += n;
    }
  }
}

export function scenarioIoEcho(): ScenarioResult {
  const c = new Checks();
  const io = new IoNet(41);
  const server = new EchoServer(io.b, 7);
  c.eq(server.listener.port, 7, 'listener.port');
  c.eq(server.listener.format, 'socket/tcp', 'listener.format');
  const data = testData(40000, 41);
  const client = new Client(io.a, 7, data, { nodelay: true, keepalive: 30000 });
  c.eq(client.tcp.remoteAddress, undefined, 'no remoteAddress before the handshake');
  c.eq(client.writableCalls, 0, 'no callback from inside the constructor');
  c.ok(io.net.runUntil(() => client.received === data.length, 20000), 'echo complete: ' + client.received + '/' + data.length);
  c.eq(client.crc.hex(), crcOf(data), 'echoed data intact');
  c.eq(client.firstWritable, io.a.core.config.TCP_SND_BUF, 'first onWritable reports the whole send buffer');
  c.eq(client.tcp.remoteAddress, IP_B, 'client remoteAddress');
  c.eq(client.tcp.remotePort, 7, 'client remotePort');
  const conn = server.conns[0];
  c.eq(conn.remoteAddress, IP_A, 'server side remoteAddress');
  c.eq(typeof conn.remotePort, 'number', 'server side remotePort');
  c.eq(conn.format, 'buffer', 'default format');
  // the "number" format: one octet each way
  client.tcp.format = 'number';
  c.eq(client.tcp.write(0x41) > 0, true, 'write(byte) returns the writable count');
  c.eq(client.tcp.write(0x42) > 0, true, 'write(byte) again');
  io.net.run(500);
  c.eq(client.received, data.length + 2, 'two octets echoed, read one by one in the number format');
  c.eq(client.crc.hex(), crcOf(concat(data, Uint8Array.of(0x41, 0x42))), 'all echoed data intact');
  client.tcp.format = 'buffer';
  // client closes: the server's instance sees the FIN as onError and closes itself
  client.tcp.close();
  client.tcp.close();
  c.ok(io.net.runUntil(() => server.errors === 1, 5000), 'server onError after the client closed');
  let threw = '';
  try { conn.read(); } catch (e) { threw = (e as Error).message; }
  c.eq(threw, 'closed', 'the server instance is closed after onError');
  server.listener.close();
  c.ok(io.quiet(), 'all pcbs freed');
  return io.done('io419Echo', c, {
    writableCalls: client.writableCalls, accepted: server.accepted, echoed: server.echoed,
    serverEvents: server.events.join(','),
  }, client.received, client.crc.hex());
}

/** The peer (raw API) sends a request and half-closes; the ECMA-419 side reads it all, answers,
 *  then gets onError, which closes it: the peer receives the answer, then our FIN. */
export function scenarioIoHalfClose(): ScenarioResult {
  const c = new Checks();
  const io = new IoNet(42);
  const events: string[] = [];
  let got = 0;
  const reply = testData(3000, 7);
  new Listener({
    stack: io.b, port: 80,
    onReadable(this: Listener) {
      new TCP({
        from: this.read(),
        onReadable(this: TCP, n: number) {
          events.push('readable ' + n);
          const ab = this.read() as ArrayBuffer;
          got += ab.byteLength;
          if (got === 5000) this.write(reply);
        },
        onError(this: TCP) { events.push('error'); this.close(); },
      });
      this.close(); // one connection is enough: stop listening
    },
  });
  const peer = tcp_new(io.a) as TcpPcb;
  tcp_bind(peer, 0, 0);
  let peerGot = 0;
  let peerFin = false;
  const crc = new Crc32();
  tcp_recv(peer, (_a: unknown, pcb: TcpPcb, p: Pbuf | null, _e: Err): Err => {
    if (p === null) { peerFin = true; tcp_close(pcb); return ERR_OK; }
    crc.updateChain(p);
    peerGot += p.totLen;
    tcp_recved(pcb, p.totLen);
    pbuf_free(p);
    return ERR_OK;
  });
  const req = testData(5000, 8);
  tcp_connect(peer, IP_B, 80, (_a: unknown, pcb: TcpPcb): Err => {
    tcp_write(pcb, req, req.length);
    tcp_shutdown(pcb, false, true);
    return ERR_OK;
  });
  c.ok(io.net.runUntil(() => peerFin, 10000), 'peer got our FIN');
  c.eq(peerGot, reply.length, 'the reply written after the peer half-closed arrived');
  c.eq(crc.hex(), crcOf(reply), 'reply intact');
  c.eq(events[events.length - 1], 'error', 'onError comes last, after the data');
  c.ok(io.quiet(), 'all pcbs freed');
  return io.done('io419HalfClose', c, { events: events.join(',') }, peerGot, crc.hex());
}

export function scenarioIoRefused(): ScenarioResult {
  const c = new Checks();
  const io = new IoNet(43);
  const events: string[] = [];
  const t = new TCP({
    stack: io.a, address: IP_B, port: 9999,
    onWritable() { events.push('writable'); },
    onError() { events.push('error'); },
  });
  c.ok(io.net.runUntil(() => events.length > 0, 5000), 'a callback came');
  c.eq(events.join(','), 'error', 'refused: onError only');
  let threw = '';
  try { t.write(new Uint8Array(1)); } catch (e) { threw = (e as Error).message; }
  c.eq(threw, 'closed', 'closed after onError');
  t.close();
  c.ok(io.quiet(), 'all pcbs freed');
  return io.done('io419Refused', c, { events: events.join(',') });
}

/** The peer (a raw-API server) sends data, then resets: the data is still delivered, then onError. */
export function scenarioIoReset(): ScenarioResult {
  const c = new Checks();
  const io = new IoNet(44);
  const events: string[] = [];
  let peer: TcpPcb | null = null;
  const l0 = tcp_new(io.b) as TcpPcb;
  tcp_bind(l0, 0, 81);
  const lpcb = tcp_listen(l0) as TcpPcb;
  tcp_accept(lpcb, (_a: unknown, pcb: TcpPcb | null): Err => { peer = pcb; return ERR_OK; });
  const t = new TCP({
    stack: io.a, address: IP_B, port: 81,
    onReadable(this: TCP, n: number) { events.push('readable ' + n); },
    onError() { events.push('error'); },
  });
  c.ok(io.net.runUntil(() => peer !== null && t.remotePort === 81, 5000), 'connected');
  const data = testData(2000, 9);
  const p = peer as unknown as TcpPcb;
  tcp_write(p, data, data.length);
  tcp_output(p);
  io.net.run(20);
  tcp_abort(p);
  io.net.run(50);
  c.eq(events[events.length - 1], 'readable 2000', 'data first, no onError while it is unread: ' + events.join(','));
  const ab = t.read() as ArrayBuffer;
  c.eq(crcOf(new Uint8Array(ab)), crcOf(data), 'data before the reset intact');
  io.net.run(5);
  c.eq(events.slice(-2).join(','), 'readable 2000,error', 'onError once the data was read');
  let threw = '';
  try { t.read(); } catch (e) { threw = (e as Error).message; }
  c.eq(threw, 'closed', 'closed after onError');
  t.close();
  tcp_close(lpcb);
  c.ok(io.quiet(), 'all pcbs freed');
  return io.done('io419Reset', c, { events: events.join(',') }, ab.byteLength);
}

export function scenarioIoSlowReader(): ScenarioResult {
  const c = new Checks();
  const io = new IoNet(45, { TCP_WND: 4096 });
  const data = testData(30000, 10);
  let server: TCP | null = null;
  let reading = false;
  const counts: number[] = [];
  const crc = new Crc32();
  let got = 0;
  const buf = new ArrayBuffer(512);
  const view = new Uint8Array(buf);
  new Listener({
    stack: io.b, port: 82,
    onReadable(this: Listener) {
      server = new TCP({ from: this.read(), onReadable(n: number) { counts.push(n); } });
      this.close();
    },
  });
  const client = new Client(io.a, 82, data);
  io.net.run(2000);
  c.ok(server !== null, 'accepted');
  const held = counts.length > 0 ? counts[counts.length - 1] : 0;
  c.eq(held, 4096, 'the application holds one window of data and no more');
  c.ok(client.sent < data.length, 'the sender is blocked: ' + client.sent + ' of ' + data.length + ' written');
  const zeroWnd = netstat(io.b).some((r) => r.recvQ === 4096);
  c.ok(zeroWnd || held === 4096, 'receive queue full');
  // now read slowly: 512 octets every 10 ms; the window reopens and the transfer completes
  reading = true;
  const stop = io.net.onStep((now) => {
    if (!reading || server === null || now % 10 !== 0) return;
    const n = server.read(buf) as number | undefined;
    if (n !== undefined) { crc.update(view, 0, n); got += n; }
  });
  c.ok(io.net.runUntil(() => got === data.length, 60000), 'all data read: ' + got);
  stop();
  c.eq(crc.hex(), crcOf(data), 'data intact');
  client.tcp.close();
  io.net.run(100);
  (server as unknown as TCP).close();
  c.ok(io.quiet(), 'all pcbs freed');
  return io.done('io419SlowReader', c, { held, onReadableCalls: counts.length }, got, crc.hex());
}

/** 12 clients at once at a listener with a backlog of 3: every one is accepted and echoed. */
export function scenarioIoManyAccepts(): ScenarioResult {
  const c = new Checks();
  const io = new IoNet(46, { MEMP_NUM_TCP_PCB: 16, PBUF_POOL_SIZE: 96 });
  const server = new EchoServer(io.b, 7, 3);
  const clients: Client[] = [];
  for (let i = 0; i < 12; i++) clients.push(new Client(io.a, 7, testData(3000 + i * 100, 50 + i)));
  c.ok(io.net.runUntil(() => clients.every((k) => k.received === k.data.length), 30000),
    'every client got its echo: ' + clients.map((k) => k.received).join(' '));
  c.ok(clients.every((k) => k.crc.hex() === crcOf(k.data)), 'every echo intact');
  c.eq(server.accepted, 12, 'accepted');
  const most = server.events.filter((e) => e.startsWith('accept')).map((e) => Number(e.slice(7))).reduce((x, y) => Math.max(x, y), 0);
  c.ok(most <= 3, 'never more than the backlog waiting: ' + most);
  for (const k of clients) k.tcp.close();
  c.ok(io.net.runUntil(() => server.errors === 12, 5000), 'every server connection saw the close');
  server.listener.close();
  c.ok(io.quiet(), 'all pcbs freed');
  return io.done('io419ManyAccepts', c, { accepted: server.accepted, mostWaiting: most },
    clients.reduce((s, k) => s + k.received, 0));
}

export function scenarioIoUdp(): ScenarioResult {
  const c = new Checks();
  const io = new IoNet(47);
  let echoed = 0;
  const echo = new UDP({
    stack: io.b, port: 7,
    onReadable(this: UDP, n: number) {
      while (n--) {
        const p = this.read() as ArrayBuffer & { address: string; port: number };
        this.write(p, p.address, p.port);
        echoed++;
      }
    },
  });
  const got: string[] = [];
  const buf = new Uint8Array(4000) as Uint8Array & { address?: string; port?: number };
  const client = new UDP({
    stack: io.a,
    onReadable(this: UDP, n: number) {
      while (n--) {
        const k = this.read(buf) as number;
        got.push(k + '@' + buf.address + ':' + buf.port + ':' + crcOf(buf, 0, k));
      }
    },
  });
  const sizes = [1, 100, 1472, 3000];
  // one at a time: while ARP resolves B, the stack queues only the latest datagram (RFC 1122 §2.3.2.2)
  for (let i = 0; i < sizes.length; i++) {
    client.write(testData(sizes[i], 60 + i), IP_B, 7);
    io.net.run(10);
  }
  c.ok(io.net.runUntil(() => got.length === sizes.length, 2000), 'all echoes back: ' + got.length);
  for (let i = 0; i < sizes.length; i++) {
    c.eq(got[i], sizes[i] + '@' + IP_B + ':7:' + crcOf(testData(sizes[i], 60 + i)), 'echo ' + i);
  }
  // a receiver that does not read: the ring (queue 2) keeps two datagrams and drops the rest
  const sink = new UDP({ stack: io.b, port: 9, queue: 2 });
  for (let i = 0; i < 5; i++) client.write(testData(10, i), IP_B, 9);
  io.net.run(20);
  c.eq(sink.dropped, 3, 'dropped when the ring is full');
  const first = sink.read() as ArrayBuffer & { address: string; port: number };
  c.eq(crcOf(new Uint8Array(first)), crcOf(testData(10, 0)), 'the oldest datagram first');
  c.eq(first.address, IP_A, 'sender address');
  sink.close();
  echo.close();
  client.close();
  c.ok(io.quiet(), 'pools back');
  return io.done('io419Udp', c, { echoed }, got.length);
}

/** Runs `fn`; returns 'Class: message' of what it threw, or 'no throw'. */
function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    const err = e as Error;
    return (err && err.constructor ? err.constructor.name : typeof e) + ': ' + (err && err.message);
  }
  return 'no throw';
}

export function scenarioIoErrors(): ScenarioResult {
  const c = new Checks();
  const io = new IoNet(48, { MEMP_NUM_TCP_PCB: 3, MEMP_NUM_UDP_PCB: 2 });
  const a = io.a;
  const out: Record<string, string> = {};
  const expect = (name: string, fn: () => unknown, kind: string): void => {
    const r = thrown(fn);
    out[name] = r;
    c.ok(r.startsWith(kind + ':'), name + ': expected ' + kind + ', got ' + r);
  };
  const noop = (): void => { /* callback */ };
  // constructor arguments (checked before anything is allocated)
  expect('TCP()', () => new (TCP as unknown as new () => TCP)(), 'TypeError');
  expect('TCP no address', () => new TCP({ stack: a, port: 80 }), 'TypeError');
  expect('TCP bad address', () => new TCP({ stack: a, address: '10.0.0.256', port: 80 }), 'RangeError');
  expect('TCP address not a string', () => new TCP({ stack: a, address: 167772162, port: 80 }), 'TypeError');
  expect('TCP host not a string', () => new TCP({ stack: a, host: 167772162, port: 80 }), 'TypeError');
  expect('TCP no port', () => new TCP({ stack: a, address: IP_B }), 'TypeError');
  expect('TCP port 0', () => new TCP({ stack: a, address: IP_B, port: 0 }), 'RangeError');
  expect('TCP port 65536', () => new TCP({ stack: a, address: IP_B, port: 65536 }), 'RangeError');
  expect('TCP port 1.5', () => new TCP({ stack: a, address: IP_B, port: 1.5 }), 'RangeError');
  expect('TCP port text', () => new TCP({ stack: a, address: IP_B, port: '80' }), 'TypeError');
  expect('TCP onReadable not a function', () => new TCP({ stack: a, address: IP_B, port: 80, onReadable: 5 }), 'TypeError');
  expect('TCP format', () => new TCP({ stack: a, address: IP_B, port: 80, format: 'string' }), 'RangeError');
  expect('TCP keepalive', () => new TCP({ stack: a, address: IP_B, port: 80, keepalive: -1 }), 'RangeError');
  expect('TCP from not a socket', () => new TCP({ stack: a, from: {} }), 'TypeError');
  expect('TCP stack not a Stack', () => new TCP({ stack: {}, address: IP_B, port: 80 }), 'TypeError');
  c.eq(a.core.pbufs.pool.used, 0, 'no pbuf taken by the failed constructors');
  c.eq(a.tcp.pcbPool.stats.used, 0, 'no pcb taken by the failed constructors');
  const saved = getDefaultStack();
  setDefaultStack(null);
  expect('TCP without a stack', () => new TCP({ address: IP_B, port: 80 }), 'Error');
  expect('setDefaultStack(not a Stack)', () => setDefaultStack({} as Stack), 'TypeError');
  setDefaultStack(a);
  const viaDefault = new TCP({ address: IP_B, port: 5 });
  viaDefault.close();
  setDefaultStack(saved);

  // a connection to use: B echoes
  const server = new EchoServer(io.b, 7);
  const t = new TCP({ stack: a, address: IP_B, port: 7, onError: noop });
  expect('write before connected', () => t.write(new Uint8Array(1)), 'Error');
  io.net.run(20);
  expect('read(0)', () => t.read(0), 'RangeError');
  expect('read(-1)', () => t.read(-1), 'RangeError');
  expect('read(1.5)', () => t.read(1.5), 'RangeError');
  expect('read(text)', () => t.read('x'), 'TypeError');
  expect('write(text)', () => t.write('hello'), 'TypeError');
  expect('write(object)', () => t.write({ byteLength: 3 }), 'TypeError');
  const big = new Uint8Array(a.core.config.TCP_SND_BUF + 1);
  const before = t.write(EMPTY);
  expect('write larger than the send buffer', () => t.write(big), 'Error');
  c.eq(t.write(EMPTY), before, 'nothing was queued by the failed write');
  expect('format = "string"', () => { t.format = 'string'; }, 'RangeError');
  t.format = 'number';
  expect('number format: write(256)', () => t.write(256), 'RangeError');
  expect('number format: write(buffer)', () => t.write(new Uint8Array(1)), 'RangeError');
  expect('number format: read(5)', () => t.read(5), 'TypeError');
  t.format = 'buffer';
  c.eq(t.read(), undefined, 'read() with nothing available is undefined');
  // from: the original instance is closed once adopted
  const adopted = new TCP({ from: t, onError: noop });
  expect('original after from', () => t.read(), 'Error');
  expect('from a closed socket', () => new TCP({ from: t }), 'Error');
  c.eq(adopted.remotePort, 7, 'adopted instance keeps the connection');
  adopted.close();
  expect('read after close', () => adopted.read(), 'Error');
  expect('write after close', () => adopted.write(EMPTY), 'Error');
  expect('format after close', () => adopted.format, 'Error');
  expect('remoteAddress after close', () => adopted.remoteAddress, 'Error');
  out['close twice'] = thrown(() => adopted.close());
  c.eq(out['close twice'], 'no throw', 'close twice');
  // method called on something that is not an instance (ECMA-419 CheckInternalFields)
  expect('TCP.prototype.read on a plain object', () => TCP.prototype.read.call({}), 'TypeError');
  out['TCP.prototype.read on a plain object'] = 'TypeError'; // the message is the engine's own
  // pool exhaustion: 3 pcbs, one is still in TIME_WAIT or closing; take the rest
  const hold: TCP[] = [];
  expect('no socket (pcb pool empty)', () => { for (;;) hold.push(new TCP({ stack: a, address: IP_B, port: 7, onError: noop })); }, 'Error');
  for (const h of hold) h.close();

  // Listener
  expect('Listener port in use', () => new Listener({ stack: io.b, port: 7 }), 'Error');
  expect('Listener port -1', () => new Listener({ stack: io.b, port: -1 }), 'RangeError');
  expect('Listener bad address', () => new Listener({ stack: io.b, port: 8, address: 'x' }), 'RangeError');
  expect('Listener not our address', () => new Listener({ stack: io.b, port: 8, address: '10.0.0.9' }), 'Error');
  expect('Listener format', () => new Listener({ stack: io.b, port: 8, format: 'buffer' }), 'RangeError');
  expect('Listener backlog', () => new Listener({ stack: io.b, port: 8, backlog: 0 }), 'RangeError');
  const l = new Listener({ stack: io.b, port: 0 });
  c.ok(l.port >= 49152, 'port 0 picks an ephemeral port: ' + l.port);
  c.eq(l.read(), undefined, 'read() with nothing pending');
  expect('Listener write', () => l.write(), 'Error');
  expect('Listener format = "buffer"', () => { l.format = 'buffer'; }, 'RangeError');
  l.close();
  expect('Listener read after close', () => l.read(), 'Error');
  expect('Listener port after close', () => l.port, 'Error');

  // UDP
  const u = new UDP({ stack: a, port: 5000 });
  expect('UDP port in use', () => new UDP({ stack: a, port: 5000 }), 'Error');
  expect('UDP port 70000', () => new UDP({ stack: a, port: 70000 }), 'RangeError');
  expect('UDP format', () => new UDP({ stack: a, format: 'number' }), 'RangeError');
  expect('UDP queue', () => new UDP({ stack: a, queue: 0 }), 'RangeError');
  expect('UDP write bad address', () => u.write(new Uint8Array(1), '1.2.3', 7), 'RangeError');
  expect('UDP write bad port', () => u.write(new Uint8Array(1), IP_B, 0), 'RangeError');
  expect('UDP write port text', () => u.write(new Uint8Array(1), IP_B, '7'), 'TypeError');
  expect('UDP write not a buffer', () => u.write('data', IP_B, 7), 'TypeError');
  expect('UDP write too long', () => u.write(new Uint8Array(65508), IP_B, 7), 'RangeError');
  expect('UDP write no route', () => u.write(new Uint8Array(1), '192.168.5.5', 7), 'Error');
  expect('UDP add unicast', () => u.add('10.0.0.5'), 'RangeError');
  expect('UDP add not a string', () => u.add(0xef010203), 'TypeError');
  expect('UDP remove unicast', () => u.remove('10.0.0.5'), 'RangeError');
  expect('UDP remove a group not joined', () => u.remove('239.1.2.3'), 'Error');
  u.add('239.1.2.3');
  c.ok(a.netif.inGroup(0xef010203), 'add joins the group on the interface');
  for (let g = 1; g < a.core.config.IP_MAX_GROUPS; g++) u.add('239.9.9.' + g);
  expect('UDP add: group table full', () => u.add('239.1.2.4'), 'Error');
  const u2 = new UDP({ stack: a });
  expect('UDP no socket (pool empty)', () => new UDP({ stack: a }), 'Error');
  const u3 = new UDP({ stack: io.b });
  u3.write(new Uint8Array(20), IP_A, 5000);
  u3.close();
  io.net.run(5);
  expect('UDP read into a small buffer', () => u.read(new Uint8Array(10)), 'RangeError');
  c.eq(u.read(new Uint8Array(20)), 20, 'the datagram stayed after the failed read');
  u.close();
  c.ok(!a.netif.inGroup(0xef010203), 'close leaves the groups the socket joined');
  u2.close();
  expect('UDP read after close', () => u.read(), 'Error');
  expect('UDP add after close', () => u.add('239.1.2.3'), 'Error');
  expect('UDP write after close', () => u.write(new Uint8Array(1), IP_B, 7), 'Error');
  server.listener.close();
  for (const k of server.conns) k.close();
  c.ok(io.quiet(), 'all pcbs freed');
  const names = Object.keys(out);
  return io.done('io419Errors', c, { checked: names.length, errors: names.map((k) => k + ' => ' + out[k]).join(' | ') });
}
