/**
 * The Linux kernel's side of the interop tests: run inside the test's network namespace with
 * `ip netns exec NS node dist/test/interop/peer.js COMMAND ...`, it uses ordinary kernel TCP sockets
 * (node:net) and prints one JSON line with what it measured. Not a test file itself (mocha only
 * loads *.test.js).
 *
 *   echo HOST PORT BYTES                 send BYTES random octets, half-close, read the echo to EOF
 *   parallel HOST PORT CLIENTS BYTES     CLIENTS echo clients at once
 *   daytime HOST PORT COUNT              COUNT sequential connections, each reads one line to EOF
 *   halfclose HOST PORT BYTES            write all, shutdown(SHUT_WR) at once, then read the echo
 *   refused HOST PORT                    connect; expect ECONNREFUSED
 *   discard HOST PORT BYTES              send BYTES as fast as possible, half-close, wait for close
 *   chargen HOST PORT BYTES              read BYTES, check the RFC 864 pattern, close
 *   serve HOST PORT FILE                 accept one connection, send FILE, half-close, read to EOF
 *   connect HOST PORT FILE               connect (retrying while refused), send FILE, half-close, read to EOF
 *   hold HOST PORT                       connect and wait for the server to close (prints when)
 *   discard-server HOST PORT             a kernel discard server (bench: kernel <-> kernel), until killed
 *   chargen-server HOST PORT             a kernel chargen server (the same ring), until killed
 */
import * as net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function connect(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, noDelay: true });
    s.once('connect', () => { s.off('error', reject); resolve(s); });
    s.once('error', reject);
  });
}

/** Sends `data` (half-closing after it) and collects everything received until EOF. */
function exchange(s: net.Socket, data: Buffer | null, halfCloseEarly = false): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('end', () => resolve(Buffer.concat(chunks)));
    s.once('error', reject);
    if (data !== null) {
      if (halfCloseEarly) {
        s.end(data);
      } else {
        s.write(data, () => s.end());
      }
    } else {
      s.end();
    }
  });
}

async function echo(host: string, port: number, bytes: number): Promise<object> {
  const data = randomBytes(bytes);
  const t0 = performance.now();
  const s = await connect(host, port);
  const got = await exchange(s, data);
  const ms = performance.now() - t0;
  s.destroy();
  return { sent: bytes, received: got.length, sentSha: sha(data), receivedSha: sha(got), ms, mbps: bytes / ms / 1000 };
}

async function parallel(host: string, port: number, clients: number, bytes: number): Promise<object> {
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: clients }, () => echo(host, port, bytes).catch((e: Error) => ({ error: e.message }))));
  const ok = results.filter((r) => {
    const x = r as { sentSha?: string; receivedSha?: string };
    return x.sentSha !== undefined && x.sentSha === x.receivedSha;
  }).length;
  return { clients, ok, ms: performance.now() - t0, results };
}

async function daytime(host: string, port: number, count: number): Promise<object> {
  let served = 0;
  const bad: string[] = [];
  let first = '';
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    try {
      const s = await connect(host, port);
      const got = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        // the server closes first; we answer its FIN with ours (allowHalfOpen false: automatic)
        s.once('end', () => resolve(Buffer.concat(chunks)));
        s.once('error', reject);
      });
      s.destroy();
      const text = got.toString('latin1');
      if (/^[\x20-\x7e]+\r\n$/.test(text)) served++;
      else if (bad.length < 5) bad.push(JSON.stringify(text));
      if (i === 0) first = text;
    } catch (e) {
      if (bad.length < 5) bad.push((e as Error).message);
    }
  }
  return { count, served, first, bad, ms: performance.now() - t0 };
}

async function refused(host: string, port: number): Promise<object> {
  const t0 = performance.now();
  try {
    const s = await connect(host, port);
    s.destroy();
    return { refused: false };
  } catch (e) {
    return { refused: (e as { code?: string }).code === 'ECONNREFUSED', code: (e as { code?: string }).code, ms: performance.now() - t0 };
  }
}

async function discard(host: string, port: number, bytes: number): Promise<object> {
  const block = Buffer.alloc(65536, 0x61);
  const s = await connect(host, port);
  const t0 = performance.now();
  let left = bytes;
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.on('data', () => { /* discard sends nothing */ });
    s.once('end', () => resolve());
    const pump = () => {
      while (left > 0) {
        const n = left < block.length ? left : block.length;
        left -= n;
        if (!s.write(n === block.length ? block : block.subarray(0, n))) { s.once('drain', pump); return; }
      }
      s.end();
    };
    pump();
  });
  const ms = performance.now() - t0;
  s.destroy();
  return { bytes, ms, mbps: bytes / ms / 1000 };
}

/** The RFC 864 ring as xs-tcp sends it: line k starts at '!' + k, 72 characters, CRLF. */
function chargenExpected(len: number): Buffer {
  const out = Buffer.alloc(len);
  let pos = 0;
  for (let k = 0; pos < len; k++) {
    for (let j = 0; j < 72 && pos < len; j++) out[pos++] = 32 + ((1 + k + j) % 95);
    if (pos < len) out[pos++] = 13;
    if (pos < len) out[pos++] = 10;
  }
  return out;
}

async function chargen(host: string, port: number, bytes: number): Promise<object> {
  const s = await connect(host, port);
  const t0 = performance.now();
  const head = Buffer.alloc(Math.min(bytes, 95 * 74 * 3));
  let got = 0;
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.on('data', (c: Buffer) => {
      if (got < head.length) c.copy(head, got, 0, Math.min(c.length, head.length - got));
      got += c.length;
      if (got >= bytes) { s.pause(); resolve(); }
    });
    s.once('end', () => resolve());
  });
  const ms = performance.now() - t0;
  s.destroy();
  const patternOk = head.equals(chargenExpected(head.length));
  return { bytes: got, ms, mbps: got / ms / 1000, patternOk, firstLine: head.subarray(0, 74).toString('latin1') };
}

async function serve(host: string, port: number, file: string): Promise<object> {
  const data = readFileSync(file);
  const server = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((r) => server.listen(port, host, () => r()));
  process.stdout.write(JSON.stringify({ listening: true }) + '\n');
  const s = await new Promise<net.Socket>((r) => server.once('connection', r));
  server.close();
  const got = await exchange(s, data);
  s.destroy();
  return { sent: data.length, sentSha: sha(data), received: got.length, receivedSha: sha(got) };
}

async function connectXfer(host: string, port: number, file: string): Promise<object> {
  const data = readFileSync(file);
  let s: net.Socket | null = null;
  const end = Date.now() + 15000;
  while (s === null) {
    try {
      s = await connect(host, port);
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  s.setNoDelay(true);
  // allowHalfOpen defaults to false for net.connect: after our end() we still read until the
  // server's FIN ('end'), which is what we need
  const got = await exchange(s, data);
  s.destroy();
  return { sent: data.length, sentSha: sha(data), received: got.length, receivedSha: sha(got) };
}

async function hold(host: string, port: number): Promise<object> {
  const s = await connect(host, port);
  process.stdout.write(JSON.stringify({ connected: true }) + '\n');
  const t0 = performance.now();
  const how = await new Promise<string>((resolve) => {
    s.on('data', () => { /* ignore */ });
    s.once('end', () => resolve('fin'));
    s.once('error', (e: Error & { code?: string }) => resolve(e.code ?? 'error'));
  });
  s.destroy();
  return { closedBy: how, ms: performance.now() - t0 };
}

/** Kernel-side servers for the veth baseline of bench/tap.ts: the same services, kernel TCP. */
async function server(host: string, port: number, kind: 'discard' | 'chargen'): Promise<never> {
  const ring = chargenExpected(95 * 74);
  const block = Buffer.concat(Array.from({ length: 16 }, () => ring));
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => s.destroy());
    if (kind === 'discard') {
      s.on('data', () => { /* thrown away */ });
      s.once('end', () => s.end());
    } else {
      s.on('data', () => { /* ignored */ });
      s.once('end', () => s.destroy());
      const pump = () => { while (!s.destroyed && s.write(block)) { /* fill */ } if (!s.destroyed) s.once('drain', pump); };
      pump();
    }
  });
  await new Promise<void>((r) => srv.listen(port, host, () => r()));
  process.stdout.write(JSON.stringify({ listening: true }) + '\n');
  return new Promise<never>(() => { /* until killed */ });
}

async function main(): Promise<void> {
  const [cmd, host, portText, a, b] = process.argv.slice(2);
  const port = Number(portText);
  let r: object;
  switch (cmd) {
    case 'echo': r = await echo(host, port, Number(a)); break;
    case 'parallel': r = await parallel(host, port, Number(a), Number(b)); break;
    case 'daytime': r = await daytime(host, port, Number(a)); break;
    case 'halfclose': {
      const data = randomBytes(Number(a));
      const s = await connect(host, port);
      const got = await exchange(s, data, true);
      s.destroy();
      r = { sent: data.length, received: got.length, sentSha: sha(data), receivedSha: sha(got) };
      break;
    }
    case 'refused': r = await refused(host, port); break;
    case 'discard': r = await discard(host, port, Number(a)); break;
    case 'chargen': r = await chargen(host, port, Number(a)); break;
    case 'serve': r = await serve(host, port, a); break;
    case 'connect': r = await connectXfer(host, port, a); break;
    case 'hold': r = await hold(host, port); break;
    case 'discard-server': r = await server(host, port, 'discard'); break;
    case 'chargen-server': r = await server(host, port, 'chargen'); break;
    default: throw new Error('unknown peer command ' + cmd);
  }
  process.stdout.write(JSON.stringify(r) + '\n');
}

main().then(() => process.exit(0), (e: Error) => {
  process.stdout.write(JSON.stringify({ error: e.message }) + '\n');
  process.exit(1);
});
