/**
 * The board's side of test/moddable/io419.ts, run inside its network namespace: xs-tcp on a TAP,
 * the ECMA-419 classes as `embedded:io/socket/*` (setDefaultStack), and one of Moddable's network
 * client modules — its JavaScript from the installed SDK ($MODDABLE), unchanged — doing one job
 * against a real Debian server on the kernel side. Prints one JSON line with what it saw.
 *
 *   node io419_board.js TAP BOARD/24 KERNEL CHECK
 *   CHECK: http | httpserver | mqtt | ws | dns
 */
import { register } from 'node:module';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Stack } from '../../src/api/stack.js';
import { netstat } from '../../src/api/tcp_api.js';
import { setDefaultStack, TCP, UDP, Listener } from '../../src/io/index.js';
import { openTap } from '../../hal/host/tap.js';
import { WallClock } from '../../hal/host/clock.js';
import { HostScheduler } from '../../hal/host/scheduler.js';
import { CryptoRandom, randomMac } from '../../hal/host/random.js';
import { installModdableGlobals } from './host/globals.js';

const here = dirname(fileURLToPath(import.meta.url));
const [tapName, boardIp, kernelIp, check] = process.argv.slice(2);
const verbose = process.env.IO419_VERBOSE === '1';
/** What a check has seen so far, reported if it times out. */
const diag: Record<string, unknown> = {};

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function out(r: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ check, ...r }) + '\n');
}

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

async function main(): Promise<void> {
  const moddable = process.env.MODDABLE as string;
  register(pathToFileURL(join(here, 'host', 'loader.js')).href, {
    parentURL: import.meta.url, data: { moddable, hostDir: join(here, 'host') },
  });
  installModdableGlobals((s) => { if (verbose) process.stderr.write(s); });

  const driver = await openTap(tapName, { mac: randomMac() });
  const clock = new WallClock();
  const stack = new Stack({ driver, clock, random: new CryptoRandom() }, {
    ip: boardIp, gateway: kernelIp, name: 'board',
    config: { PBUF_POOL_SIZE: 512, MEMP_NUM_TCP_PCB: 32, MEMP_NUM_TCP_SEG: 256, TCP_WND: 16384, TCP_SND_BUF: 16384,
      TCP_SND_QUEUELEN: 32, TCP_DEFAULT_LISTEN_BACKLOG: 16, MEMP_NUM_UDP_PCB: 8, TCP_MSL: 2000 },
  });
  const scheduler = new HostScheduler(clock);
  driver.onBurst = () => scheduler.poke();
  scheduler.start((now) => stack.tick(now));
  stack.setWorkHook(() => scheduler.poke());
  stack.netif.linkChanged(true);
  setDefaultStack(stack);

  const Resolver = (await import('embedded:network/dns/resolver/udp' as string)).default;
  const dns = { io: Resolver, servers: [kernelIp], socket: { io: UDP } };
  // an exception thrown from a callback (the clients' or ours) fails the check, with its stack
  const uncaught: string[] = [];
  process.on('uncaughtException', (e: Error) => { uncaught.push(String(e && (e.stack || e.message) || e)); });
  const finish = (r: Record<string, unknown>) => {
    if (uncaught.length) { r.ok = false; r.uncaught = uncaught.slice(0, 3); }
    out(r);
    scheduler.stop();
    void driver.close();
    setTimeout(() => process.exit(0), 50);
  };
  const deadline = setTimeout(() => finish({ ok: false, error: 'timeout', ...diag }), Number(process.env.IO419_TIMEOUT_MS ?? 30000));
  // wait a little before reporting: what the clients still do after their last callback counts too
  const done = (r: Record<string, unknown>) => { clearTimeout(deadline); setTimeout(() => finish(r), 1000); };

  switch (check) {
    case 'http': {
      // Moddable's HTTP client: a page, then a 1 MiB body, each compared byte for byte
      const HTTPClient = (await import('embedded:network/http/client' as string)).default;
      const expected = JSON.parse(process.env.IO419_HTTP_EXPECT as string) as Record<string, { port: number; path: string; bytes: number; sha: string }>;
      const results: Record<string, unknown> = {};
      const paths = Object.keys(expected);
      const next = (i: number): void => {
        if (i === paths.length) {
          const ok = paths.every((p) => (results[p] as { ok: boolean }).ok);
          done({ ok, results });
          return;
        }
        const path = paths[i];
        const chunks: Uint8Array[] = [];
        let status = 0;
        const headers: Record<string, string> = {};
        // python's http.server answers HTTP/1.0 and closes: one client per request
        const client = new HTTPClient({ host: kernelIp, port: expected[path].port, dns, socket: { io: TCP } });
        client.request({
          path: expected[path].path,
          onHeaders(s: number, h: Map<string, string>) { status = s; h.forEach((v, k) => { headers[k] = v; }); },
          onReadable(this: Any, count: number) { chunks.push(new Uint8Array(this.read(count))); },
          onDone(error: unknown) {
            const body = Buffer.concat(chunks);
            const e = expected[path];
            results[path] = { status, bytes: body.length, ok: !error && status === 200 && body.length === e.bytes && sha(body) === e.sha,
              transfer: headers['transfer-encoding'] ?? 'content-length', error: error ? String(error) : undefined };
            // Moddable's HTTP client leaves a Timer per chunk of a chunked body that calls its
            // #onReadable later; closing the client before they ran makes them throw (TypeError on
            // its #socket): close it once they have run (docs/ecma419.md, clients verified)
            setTimeout(() => client.close(), 500);
            next(i + 1);
          },
        });
      };
      next(0);
      break;
    }
    case 'httpserver': {
      // Moddable's HTTP server (examples/io/listener/httpserver) on the ECMA-419 Listener
      const HTTPServer = (await import('embedded:network/http/server' as string)).default;
      let served = 0;
      const body = ArrayBuffer.prototype.slice.call(new TextEncoder().encode('hello from xs-tcp\n').buffer, 0) as ArrayBuffer;
      const server = new HTTPServer({
        io: Listener, port: 8080,
        onConnect(connection: Any) {
          connection.accept({
            onRequest(this: Any) { /* any path */ },
            onResponse(this: Any, response: Any) {
              response.headers.set('content-length', body.byteLength);
              this.respond(response);
            },
            onWritable(this: Any) { this.write(body); },
            onDone() { served++; },
          });
        },
      });
      void server;
      clearTimeout(deadline);
      process.stdout.write(JSON.stringify({ check, ready: true }) + '\n');
      process.once('SIGTERM', () => finish({ ok: true, served, pools: usedPools(stack) }));
      break;
    }
    case 'mqtt': {
      // Moddable's MQTT client: subscribe, publish QoS 0 and 1 (one 20 KB), receive both back through
      // mosquitto, and receive what a kernel-side mosquitto_pub sends
      const MQTTClient = (await import('embedded:network/mqtt/client' as string)).default;
      const big = new Uint8Array(20000);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
      const got: Record<string, Uint8Array[]> = {};
      const pubacks: number[] = [];
      let subacked = false;
      let sentBig = 0;
      let topic = '';
      let finished = false;
      // done once every message came back and the QoS 1 publish was acknowledged, in whatever order
      const complete = (): void => {
        const have = (t: string) => got[t] !== undefined ? Buffer.concat(got[t]) : null;
        const q0 = have('xs/test/q0');
        const q1 = have('xs/test/q1');
        const k = have('xs/test/kernel');
        if (!finished && q0 !== null && q1 !== null && q1.length === big.length && k !== null && pubacks.includes(77)) {
          finished = true;
          done({ ok: q0.toString() === 'hello qos0' && sha(q1) === sha(big) && k.toString() === 'from the kernel',
            q0: q0.toString(), q1Bytes: q1.length, kernel: k.toString(), pubacks });
        }
      };
      new MQTTClient({
        host: kernelIp, port: 1883, id: 'xs-tcp-io419', keepalive: 30000, dns, socket: { io: TCP },
        onControl(this: Any, msg: Any) {
          if (msg.operation === MQTTClient.CONNACK) {
            this.write(null, { operation: MQTTClient.SUBSCRIBE, items: [{ topic: 'xs/test/#', QoS: 1 }] });
          } else if (msg.operation === MQTTClient.SUBACK && !subacked) {
            subacked = true;
            this.write(ArrayBuffer.prototype.slice.call(new TextEncoder().encode('hello qos0').buffer, 0), { topic: 'xs/test/q0' });
            // a message larger than the send buffer, streamed as Moddable's example does: the first
            // piece with the total byteLength, the rest from onWritable as room appears
            this.write(big.buffer.slice(0, 1000), { topic: 'xs/test/q1', QoS: 1, id: 77, byteLength: big.length });
            sentBig = 1000;
            process.stdout.write(JSON.stringify({ check, subscribed: true }) + '\n');
          } else if (msg.operation === MQTTClient.PUBACK) {
            pubacks.push(msg.id);
            diag.pubacks = pubacks.join(',');
            complete();
          }
        },
        onReadable(this: Any, count: number, options: Any) {
          // the client names the topic on a message's first fragment only
          if (options.topic !== undefined) topic = options.topic;
          (got[topic] ??= []).push(new Uint8Array(this.read(count)));
          diag.got = Object.keys(got).map((t) => t + ':' + got[t].reduce((n, b) => n + b.length, 0)).join(',');
          complete();
        },
        onWritable(this: Any, count: number) {
          while (sentBig > 0 && sentBig < big.length && count > 0) {
            const n = Math.min(count, big.length - sentBig, 4096);
            count = this.write(big.buffer.slice(sentBig, sentBig + n));
            sentBig += n;
            diag.sentBig = sentBig;
          }
        },
        onError() { done({ ok: false, error: 'mqtt onError', got: Object.keys(got) }); },
      });
      break;
    }
    case 'ws': {
      // Moddable's WebSocket client against a Python websockets echo server
      const WebSocketClient = (await import('embedded:network/websocket/client' as string)).default;
      const texts: string[] = [];
      let binary: Uint8Array | null = null;
      const bin = new Uint8Array(3000);
      for (let i = 0; i < bin.length; i++) bin[i] = (i * 13) & 0xff;
      let sent = false;
      const partial: Uint8Array[] = [];
      new WebSocketClient({
        host: kernelIp, port: 8765, path: '/', dns, socket: { io: TCP },
        onWritable(this: Any) {
          if (sent) return;
          sent = true;
          this.write(ArrayBuffer.prototype.slice.call(new TextEncoder().encode('hello websocket').buffer, 0), { binary: false });
          this.write(bin.buffer, { binary: true });
        },
        onReadable(this: Any, count: number, options: Any) {
          partial.push(new Uint8Array(this.read(count)));
          if (options.more) return;
          const msg = Buffer.concat(partial);
          partial.length = 0;
          if (options.binary) binary = msg; else texts.push(msg.toString());
          if (texts.length >= 1 && binary !== null) {
            done({ ok: texts[0] === 'echo: hello websocket' && sha(binary) === sha(bin), texts, binaryBytes: (binary as Uint8Array).length });
          }
        },
        onError() { done({ ok: false, error: 'websocket onError', texts }); },
      });
      break;
    }
    case 'dns': {
      // Moddable's UDP DNS resolver over xs-tcp's UDP against dnsmasq
      const r = new Resolver(dns);
      r.resolve({
        host: 'board.xs-tcp.test',
        onResolved(host: string, address: string) { done({ ok: address === process.env.IO419_DNS_EXPECT, host, address }); },
        onError(host: string) { done({ ok: false, error: 'not resolved', host }); },
      });
      break;
    }
    default:
      done({ ok: false, error: 'unknown check ' + check });
  }
}

/** Pools in use, and the states of the connections holding tcp_pcbs (TIME_WAIT is expected). */
function usedPools(stack: Stack): string {
  const states: Record<string, number> = {};
  for (const r of netstat(stack)) states[r.state] = (states[r.state] ?? 0) + 1;
  return stack.pools().filter((p) => p.stats.used !== 0).map((p) => p.name + ' ' + p.stats.used).join(', ')
    + '; ' + Object.entries(states).map(([k, v]) => k + ' ' + v).join(', ');
}

main().catch((e: Error) => {
  out({ ok: false, error: String(e && (e.stack || e.message) || e) });
  process.exit(1);
});
void readFileSync;
