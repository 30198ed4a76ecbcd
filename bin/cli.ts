/**
 * The `xs-tcp` command: the stack on the host, reachable from a PC's ping, nc and debug assistants.
 *
 *   xs-tcp up   (--tap NAME | --udp LPORT:RHOST:RPORT) --ip A.B.C.D/NN [--gw A.B.C.D] [--mac MAC]
 *               [--pcap FILE] [--netstat SECONDS] [--trace] [--config KEY=VALUE ...]
 *   xs-tcp nc   (--tap NAME | --udp ...) --ip A.B.C.D/NN [...] HOST PORT
 *   xs-tcp nc   (--tap NAME | --udp ...) --ip A.B.C.D/NN [...] -l PORT
 *   xs-tcp demo                       (npm start)
 *   xs-tcp drill SCRIPT...            (packetdrill-dialect scripts, see hal/drill)
 *
 * Output rules: logs, netstat tables and traces go to stderr; `nc` writes only the connection's bytes
 * to stdout. Exit codes: 0 done, 1 failure (TAP cannot be opened, refused, reset, timeout), 2 bad
 * arguments (with the usage text), 130/143 never: a signal closes connections and exits 0.
 *
 * Options are parsed with Node's built-in util.parseArgs (no dependency).
 */
import { parseArgs } from 'node:util';
import * as fs from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { Stack } from '../src/api/stack.js';
import type { StackConfig } from '../src/core/config.js';
import { ConfigError, DEFAULT_CONFIG } from '../src/core/config.js';
import type { Err } from '../src/core/err.js';
import { ERR_OK, ERR_RST, ERR_TIMEOUT, ERR_ABRT, lwip_strerr } from '../src/core/err.js';
import { ip4FromString, ip4ToString, macFromString, macToString } from '../src/core/ip4addr.js';
import type { Pbuf } from '../src/core/pbuf.js';
import { pbuf_free } from '../src/core/pbuf.js';
import {
  tcp_new, tcp_bind, tcp_listen, tcp_accept, tcp_connect, tcp_recv, tcp_recved, tcp_sent, tcp_err,
  tcp_write, tcp_output, tcp_sndbuf, tcp_close, tcp_shutdown, tcp_abort, tcp_arg, tcp_local_ip, tcp_local_port,
  tcp_remote_ip, tcp_remote_port, tcp_lookup_state, netstat, formatNetstat, tcp_set_trace, formatTrace,
  TCP_WRITE_FLAG_COPY, ip_set_option, SOF_REUSEADDR,
} from '../src/api/tcp_api.js';
import type { TcpPcb } from '../src/api/tcp_api.js';
import { startEcho } from '../src/apps/echo.js';
import { startDiscard } from '../src/apps/discard.js';
import { startDaytime } from '../src/apps/daytime.js';
import { startChargen } from '../src/apps/chargen.js';
import type { ServiceHandle } from '../src/apps/service.js';
import type { FrameChain, FrameSink, NetDriver, Hal } from '../hal/hal.js';
import { PcapWriter } from '../hal/pcap.js';
import { openTap, TapError } from '../hal/host/tap.js';
import { UdpTunnelDriver, parseUdpSpec } from '../hal/host/udp.js';
import type { HostDriver } from '../hal/host/driver.js';
import { WallClock, daytimeText } from '../hal/host/clock.js';
import { HostScheduler } from '../hal/host/scheduler.js';
import { CryptoRandom, randomMac } from '../hal/host/random.js';
import { LAN_OPTIONS, type LanArgs, checkLanArgs, lanStackOptions, startLan, waitForLease, resolveName } from './lan.js';
import { cmdResolve } from './cmd_resolve.js';
import { haveDnsmasq, startDemoDnsmasq, watchLease, demoCommands } from './demo_lan.js';

export const USAGE = `usage: xs-tcp <command> [options]

commands:
  up     bring the stack up; answers ARP and ping; serves echo (TCP 7, RFC 862), discard (9, RFC 863),
         daytime (13, RFC 867) and chargen (19, RFC 864) until SIGINT/SIGTERM
  nc     netcat over the stack: HOST PORT connects, -l PORT listens for one connection;
         stdin goes to the connection, its data to stdout; stdin EOF sends FIN
  demo   (npm start) a demo board: as root in a network namespace of its own, else explains setup
  drill  run packetdrill-dialect scripts against the stack (xs-tcp drill --help)
  resolve NAME  resolve NAME with the stack's DNS resolver (--dhcp for the server, or --dns)
  help   this text

link (up, nc; one of):
  --tap NAME                   an existing Linux TAP device (sudo ip tuntap add dev NAME mode tap user $USER)
  --udp LPORT:RHOST:RPORT      one Ethernet frame per UDP datagram: bind 127.0.0.1:LPORT, send to RHOST:RPORT
                               (QEMU -netdev dgram, socat TUN,tun-type=tap,iff-no-pi UDP-DATAGRAM:...)
stack:
  --ip A.B.C.D/NN              our address and prefix (required unless --dhcp)
  --dhcp                       get the address, router and DNS servers by DHCP; leases are printed
  --hostname NAME              our name: answered by mDNS as NAME.local, sent as DHCP option 12
                               (default xs-tcp)
  --dns A.B.C.D                a DNS server, repeatable (DHCP's replace them)
  --no-mdns                    do not answer mDNS queries
  --gw A.B.C.D                 default gateway
  --mac XX:XX:XX:XX:XX:XX      our MAC (default: random, locally administered)
  --config KEY=VALUE           a StackConfig setting (lwIP opt.h names), repeatable
observe:
  --pcap FILE                  capture every frame (Wireshark, tcpdump -r)
  --netstat SECONDS            print the connection table to stderr every SECONDS
  --trace                      print every TCP state transition to stderr
  -q, --quiet                  no start-up/shutdown log lines
nc:
  -l, --listen PORT            listen on PORT (accept one connection) instead of connecting
  -w, --wait SECONDS           give up when the connection is not open within SECONDS (default 10)

exit status: 0 done; 1 failure (TAP cannot be opened, connection refused, reset or timed out);
2 bad arguments.
`;

/** Exit codes. */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

/** Settings for a stack on a PC: the board defaults (DEFAULT_CONFIG) are sized for an ESP32; a host
 *  has memory for more connections, wider windows and longer queues. `--config` overrides. */
export const HOST_CONFIG: Partial<StackConfig> = {
  PBUF_POOL_SIZE: 2048,
  MEMP_NUM_PBUF: 64,
  MEMP_NUM_TCP_PCB: 64,
  MEMP_NUM_TCP_PCB_LISTEN: 8,
  MEMP_NUM_TCP_SEG: 1024,
  TCP_WND: 32768,
  TCP_SND_BUF: 32768,
  TCP_SND_QUEUELEN: 64,
  TCP_OOSEQ_MAX_SEGS: 32,
  MEMP_NUM_ARP_QUEUE: 32,
  // a PC client opens many connections at once (16 parallel echo clients send 16 SYNs in one burst)
  TCP_DEFAULT_LISTEN_BACKLOG: 32,
};

export class UsageError extends Error {}

export function log(msg: string): void {
  process.stderr.write('xs-tcp: ' + msg + '\n');
}

/** Options common to up and nc. */
export const LINK_OPTIONS = {
  tap: { type: 'string' },
  udp: { type: 'string' },
  ip: { type: 'string' },
  gw: { type: 'string' },
  mac: { type: 'string' },
  config: { type: 'string', multiple: true },
  pcap: { type: 'string' },
  netstat: { type: 'string' },
  trace: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
  ...LAN_OPTIONS,
} as const;

interface LinkArgs extends LanArgs {
  tap?: string;
  udp?: string;
  ip?: string;
  gw?: string;
  mac?: string;
  config?: string[];
  pcap?: string;
  netstat?: string;
  trace?: boolean;
  quiet?: boolean;
}

function parseConfig(items: string[] | undefined): Partial<StackConfig> {
  const cfg: Partial<StackConfig> = { ...HOST_CONFIG };
  for (const item of items ?? []) {
    const m = /^([A-Z0-9_]+)=(.+)$/.exec(item);
    if (m === null) throw new UsageError('--config wants KEY=VALUE, got ' + item);
    const key = m[1] as keyof StackConfig;
    if (!(key in DEFAULT_CONFIG)) throw new UsageError('unknown config key ' + key);
    const def = DEFAULT_CONFIG[key];
    if (typeof def === 'boolean') {
      if (m[2] !== 'true' && m[2] !== 'false') throw new UsageError(key + ' must be true or false');
      (cfg as Record<string, unknown>)[key] = m[2] === 'true';
    } else {
      const n = Number(m[2]);
      if (!Number.isInteger(n)) throw new UsageError(key + ' must be an integer');
      (cfg as Record<string, unknown>)[key] = n;
    }
  }
  return cfg;
}

export function parseSeconds(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError('--' + name + ' wants a positive number of seconds');
  return n;
}

function parsePort(v: string, what: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new UsageError(what + ' must be a port 1..65535, got ' + v);
  return n;
}

/** Checks the link and address options (UsageError on a mistake) before anything is opened. */
function checkLinkArgs(a: LinkArgs): void {
  if ((a.tap === undefined) === (a.udp === undefined)) throw new UsageError('give one of --tap NAME or --udp LPORT:RHOST:RPORT');
  if (a.udp !== undefined && parseUdpSpec(a.udp) === null) throw new UsageError('--udp wants LPORT:RHOST:RPORT, got ' + a.udp);
  const lanErr = checkLanArgs(a);
  if (lanErr !== '') throw new UsageError(lanErr);
  if (a.ip === undefined && a.dhcp) return;
  if (a.ip === undefined) throw new UsageError('--ip A.B.C.D/NN (or --dhcp) is required');
  const m = /^([0-9.]+)(?:\/(\d{1,2}))?$/.exec(a.ip);
  if (m === null || ip4FromString(m[1]) < 0 || (m[2] !== undefined && Number(m[2]) > 32)) {
    throw new UsageError('--ip wants A.B.C.D/NN, got ' + a.ip);
  }
  if (a.gw !== undefined && ip4FromString(a.gw) < 0) throw new UsageError('--gw wants A.B.C.D, got ' + a.gw);
  if (a.mac !== undefined && macFromString(a.mac) === null) throw new UsageError('--mac wants XX:XX:XX:XX:XX:XX, got ' + a.mac);
}

/** Saves frames to a pcap file as they pass (flushed every second and at the end). */
class PcapTap implements NetDriver, FrameSink {
  readonly inner: HostDriver;
  private sink: FrameSink | null = null;
  private readonly writer = new PcapWriter({ maxBytes: 16 * 1024 * 1024 });
  private readonly fd: number;
  private headerWritten = false;
  private readonly t0 = Date.now() - performance.now();
  get mac(): Uint8Array { return this.inner.mac; }
  get mtu(): number { return this.inner.mtu; }

  constructor(inner: HostDriver, path: string) {
    this.inner = inner;
    this.fd = fs.openSync(path, 'w');
  }

  isLinkUp(): boolean { return this.inner.isLinkUp(); }
  attach(sink: FrameSink): void { this.sink = sink; this.inner.attach(this); }
  transmit(frame: FrameChain, totLen: number): boolean {
    this.writer.writeFrame(this.t0 + performance.now(), frame);
    return this.inner.transmit(frame, totLen);
  }
  receiveFrame(buf: Uint8Array, off: number, len: number): void {
    this.writer.writeFrame(this.t0 + performance.now(), buf, off, len);
    this.sink?.receiveFrame(buf, off, len);
    if (this.writer.byteLength > 4 * 1024 * 1024) this.flush();
  }
  linkChanged(up: boolean): void { this.sink?.linkChanged(up); }

  flush(): void {
    const bytes = this.writer.bytes();
    fs.writeSync(this.fd, bytes, this.headerWritten ? 24 : 0);
    this.headerWritten = true;
    this.writer.clear();
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

/** A running stack on the host: driver, stack, scheduler, observers. */
export interface HostStack {
  stack: Stack;
  driver: HostDriver;
  scheduler: HostScheduler;
  pcap: PcapTap | null;
  timers: ReturnType<typeof setInterval>[];
  started: number;
}

export async function bringUp(a: LinkArgs): Promise<HostStack> {
  checkLinkArgs(a);
  const config = parseConfig(a.config);
  const mac = a.mac !== undefined ? (macFromString(a.mac) as Uint8Array) : randomMac();
  let driver: HostDriver;
  if (a.tap !== undefined) {
    driver = await openTap(a.tap, { mac });
  } else {
    const spec = parseUdpSpec(a.udp as string)!;
    try {
      driver = await UdpTunnelDriver.open({ ...spec, mac });
    } catch (e) {
      throw new TapError((e as { code?: string }).code ?? 'EIO', 'cannot bind UDP 127.0.0.1:' + spec.localPort + ': ' + (e as Error).message);
    }
  }
  const clock = new WallClock();
  let pcap: PcapTap | null = null;
  let netDriver: NetDriver = driver;
  if (a.pcap !== undefined) {
    pcap = new PcapTap(driver, a.pcap);
    netDriver = pcap;
  }
  const hal: Hal = { driver: netDriver, clock, random: new CryptoRandom() };
  let stack: Stack;
  try {
    stack = new Stack(hal, { ip: a.ip ?? '0.0.0.0', gateway: a.gw, config, name: 'xs-tcp', ...lanStackOptions(a) });
  } catch (e) {
    await driver.close();
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  const scheduler = new HostScheduler(clock);
  driver.onBurst = () => scheduler.poke();
  scheduler.start((now) => stack.tick(now));
  stack.linkChanged(true);
  const host: HostStack = { stack, driver, scheduler, pcap, timers: [], started: Date.now() };
  if (pcap !== null) host.timers.push(setInterval(() => pcap!.flush(), 1000));
  if (a.trace) {
    tcp_set_trace(stack, (info) => {
      process.stderr.write('[' + ((Date.now() - host.started) / 1000).toFixed(3) + '] ' + formatTrace(info) + '\n');
    });
  }
  const every = parseSeconds('netstat', a.netstat, 0);
  if (every > 0) {
    host.timers.push(setInterval(() => printNetstat(host), every * 1000));
  }
  if (!a.quiet) {
    log('stack ' + (a.ip ?? 'via DHCP') + ' mac ' + macToString(driver.mac) + ' on ' + driver.description
      + (a.gw !== undefined ? ' gw ' + a.gw : ''));
  }
  startLan(stack, a, log, a.quiet === true);
  return host;
}

function printNetstat(host: HostStack): void {
  const t = ((Date.now() - host.started) / 1000).toFixed(1);
  process.stderr.write('--- netstat (' + t + ' s) ---\n' + formatNetstat(netstat(host.stack)) + '\n');
}

export async function tearDown(host: HostStack): Promise<void> {
  if (process.env.XS_TCP_STATS) {
    // Diagnostics: every counter of the stack and the driver, one JSON line on stderr.
    const st = host.stack.stats as unknown as Record<string, object>;
    const pools = host.stack.pools().map((p) => p.name + ' max ' + p.stats.max + '/' + p.stats.avail + ' err ' + p.stats.err);
    process.stderr.write('xs-tcp stats: ' + JSON.stringify({ driver: host.driver.stats, ...st, pools }) + '\n');
  }
  for (const t of host.timers) clearInterval(t);
  tcp_set_trace(host.stack, null);
  host.scheduler.stop();
  await host.driver.close();
  if (host.pcap !== null) host.pcap.close();
}

/** Ticks on until no connection is left but TIME_WAIT ones (our FINs acknowledged), or `ms` pass. */
async function settle(host: HostStack, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const busy = netstat(host.stack).some((r) => r.state !== 'TIME_WAIT' && r.state !== 'LISTEN' && r.state !== 'CLOSED');
    if (!busy) return;
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves on the first SIGINT / SIGTERM. */
function onceSignal(): Promise<string> {
  return new Promise((resolve) => {
    const h = (sig: string) => {
      process.off('SIGINT', h);
      process.off('SIGTERM', h);
      // A second signal while we close: leave at once.
      const again = () => process.exit(EXIT_OK);
      process.once('SIGINT', again);
      process.once('SIGTERM', again);
      resolve(sig);
    };
    process.on('SIGINT', h);
    process.on('SIGTERM', h);
  });
}

// ---------------------------------------------------------------------------------------------
// up

async function cmdUp(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: LINK_OPTIONS, allowPositionals: true, strict: true });
  if (values.help) { process.stdout.write(USAGE); return EXIT_OK; }
  if (positionals.length > 0) throw new UsageError('up takes no positional arguments: ' + positionals.join(' '));
  const host = await bringUp(values);
  const { stack } = host;
  const services: ServiceHandle[] = [
    startEcho(stack),
    startDiscard(stack),
    startDaytime(stack, 13, daytimeText),
    startChargen(stack),
  ];
  for (const s of services) {
    if (s.err !== ERR_OK) {
      log(s.name + ' on port ' + s.port + ' failed: ' + lwip_strerr(s.err));
      await tearDown(host);
      return EXIT_FAIL;
    }
  }
  if (!values.quiet) log('serving echo 7, discard 9, daytime 13, chargen 19; answering ping. Ctrl-C to stop.');
  const sig = await onceSignal();
  if (!values.quiet) log(sig + ': closing connections');
  for (const s of services) s.stop();
  host.scheduler.tickNow();
  await settle(host, 3000);
  if (values.netstat !== undefined) printNetstat(host);
  await tearDown(host);
  if (!values.quiet) log('down');
  return EXIT_OK;
}

// ---------------------------------------------------------------------------------------------
// nc

/** One nc connection: stdin -> connection, connection -> stdout, with flow control both ways. */
class NcSession {
  readonly host: HostStack;
  pcb: TcpPcb | null = null;
  /** Bytes from stdin not yet accepted by tcp_write. */
  private queue: Buffer[] = [];
  private queueOff = 0;
  private stdinEnded = false;
  private txShut = false;
  rxDone = false;
  private closed = false;
  /** Octets written to stdout but not yet returned to the window (stdout is applying backpressure). */
  private unrecved = 0;
  private stdoutBlocked = false;
  private readonly done: Promise<number>;
  private finish!: (code: number) => void;
  local = '';
  remote = '';
  localIp = 0; localPort = 0; remoteIp = 0; remotePort = 0;

  constructor(host: HostStack) {
    this.host = host;
    this.done = new Promise((r) => { this.finish = r; });
  }

  wait(): Promise<number> { return this.done; }

  fail(msg: string): void {
    if (this.closed) return;
    this.closed = true;
    log(msg);
    process.stdin.pause();
    this.finish(EXIT_FAIL);
  }

  /** The connection is open: wire the callbacks and start moving bytes. */
  open(pcb: TcpPcb): void {
    this.pcb = pcb;
    this.localIp = tcp_local_ip(pcb); this.localPort = tcp_local_port(pcb);
    this.remoteIp = tcp_remote_ip(pcb); this.remotePort = tcp_remote_port(pcb);
    tcp_arg(pcb, this);
    tcp_recv(pcb, (_a, p, pp, err) => this.onRecv(p, pp, err));
    tcp_sent(pcb, () => { this.pump(); return ERR_OK; });
    tcp_err(pcb, (_a, err) => this.onErr(err));
    process.stdin.on('data', (chunk: Buffer) => {
      this.queue.push(chunk);
      this.pump();
    });
    process.stdin.on('end', () => {
      this.stdinEnded = true;
      this.pump();
    });
    process.stdin.on('error', () => {
      this.stdinEnded = true;
      this.pump();
    });
    process.stdout.on('drain', () => this.onDrain());
    process.stdin.resume();
  }

  private onErr(err: Err): void {
    this.pcb = null;
    if (this.closed) return;
    if (err === ERR_RST) this.fail('connection reset by peer');
    else if (err === ERR_TIMEOUT) this.fail('connection timed out (no acknowledgment from the peer)');
    else if (err === ERR_ABRT) this.fail('connection aborted');
    else if (this.rxDone && this.txShut) this.complete();
    else this.fail('connection closed: ' + lwip_strerr(err));
  }

  private onRecv(pcb: TcpPcb, p: Pbuf | null, _err: Err): Err {
    if (p === null) {
      this.rxDone = true;
      this.maybeClose();
      return ERR_OK;
    }
    const out = Buffer.allocUnsafe(p.totLen);
    let pos = 0;
    for (let q: Pbuf | null = p; q !== null; q = q.next) {
      out.set(q.buf.subarray(q.off, q.off + q.len), pos);
      pos += q.len;
    }
    const n = p.totLen;
    pbuf_free(p);
    const ok = process.stdout.write(out);
    if (ok && !this.stdoutBlocked) {
      tcp_recved(pcb, n);
    } else {
      // stdout is full: keep our window shut until it drains (flow control end to end)
      this.stdoutBlocked = true;
      this.unrecved += n;
    }
    return ERR_OK;
  }

  private onDrain(): void {
    this.stdoutBlocked = false;
    if (this.unrecved > 0 && this.pcb !== null) {
      tcp_recved(this.pcb, this.unrecved);
      this.unrecved = 0;
      tcp_output(this.pcb);
    }
    this.maybeClose();
  }

  /** Moves stdin data into the send buffer; pauses stdin while the buffer is full. */
  pump(): void {
    const pcb = this.pcb;
    if (pcb === null || this.closed) return;
    let wrote = false;
    while (this.queue.length > 0) {
      const chunk = this.queue[0];
      const left = chunk.length - this.queueOff;
      let n = tcp_sndbuf(pcb);
      if (n <= 0) break;
      if (n > left) n = left;
      if (tcp_write(pcb, chunk, n, TCP_WRITE_FLAG_COPY, this.queueOff) !== ERR_OK) break;
      wrote = true;
      this.queueOff += n;
      if (this.queueOff === chunk.length) {
        this.queue.shift();
        this.queueOff = 0;
      }
    }
    if (wrote) tcp_output(pcb);
    if (this.queue.length > 0) process.stdin.pause();
    else if (!this.stdinEnded) process.stdin.resume();
    if (this.queue.length === 0 && this.stdinEnded && !this.txShut) {
      // stdin EOF: half-close (our FIN); we keep reading until the peer's FIN
      this.txShut = true;
      if (this.rxDone) this.maybeClose();
      else if (tcp_shutdown(pcb, false, true) !== ERR_OK) this.txShut = false; // retried from tcp_sent
    }
  }

  private maybeClose(): void {
    if (!this.rxDone || !this.txShut || this.stdoutBlocked || this.closed || this.pcb === null) return;
    const pcb = this.pcb;
    // Both directions are done: give back the rest of the window, then close the handle; the stack
    // finishes the exchange of FIN/ACK (we wait for it in complete()).
    if (this.unrecved > 0) { tcp_recved(pcb, this.unrecved); this.unrecved = 0; }
    tcp_recv(pcb, null);
    tcp_sent(pcb, null);
    tcp_err(pcb, null);
    if (tcp_close(pcb) !== ERR_OK) {
      tcp_abort(pcb);
    }
    this.pcb = null;
    this.complete();
  }

  private complete(): void {
    if (this.closed) return;
    this.closed = true;
    process.stdin.pause();
    this.finish(EXIT_OK);
  }

  /** After close: waits until our FIN is acknowledged (TIME_WAIT or CLOSED), at most `ms`. */
  async linger(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const st = tcp_lookup_state(this.host.stack, this.localIp, this.localPort, this.remoteIp, this.remotePort);
      if (st === 'CLOSED' || st === 'TIME_WAIT' || st === 'LISTEN') return;
      await sleep(10);
    }
  }

  /** Interrupted: close what is open (FIN), give the stack a moment to send it. */
  interrupt(): void {
    if (this.pcb !== null) {
      const pcb = this.pcb;
      tcp_recv(pcb, null);
      tcp_sent(pcb, null);
      tcp_err(pcb, null);
      if (tcp_close(pcb) !== ERR_OK) tcp_abort(pcb);
      this.pcb = null;
    }
    this.complete();
  }
}

async function cmdNc(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...LINK_OPTIONS, listen: { type: 'string', short: 'l' }, wait: { type: 'string', short: 'w' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) { process.stdout.write(USAGE); return EXIT_OK; }
  let listenPort = 0;
  let dstHost = '';
  let dstPort = 0;
  if (values.listen !== undefined) {
    listenPort = parsePort(values.listen, '-l');
    if (positionals.length > 0) throw new UsageError('nc -l PORT takes no HOST PORT');
  } else {
    if (positionals.length !== 2) throw new UsageError('nc wants HOST PORT (or -l PORT)');
    dstHost = positionals[0];
    dstPort = parsePort(positionals[1], 'PORT');
  }
  const waitS = parseSeconds('wait', values.wait, 10);
  checkLinkArgs(values);
  const host = await bringUp({ ...values, quiet: values.quiet ?? true });
  const { stack } = host;
  if (values.dhcp && !(await waitForLease(stack, waitS * 1000))) {
    await tearDown(host);
    log('no DHCP lease within ' + waitS + ' s');
    return EXIT_FAIL;
  }
  if (dstHost !== '' && ip4FromString(dstHost) < 0) {
    const r = await resolveName(stack, dstHost, () => host.scheduler.tickNow());
    if (r.addr === 0) { await tearDown(host); log('cannot resolve ' + dstHost + (r.err !== ERR_OK ? ': ' + lwip_strerr(r.err as Err) : '')); return EXIT_FAIL; }
    dstHost = ip4ToString(r.addr);
  }
  const session = new NcSession(host);
  let listener: TcpPcb | null = null;
  let timer: ReturnType<typeof setTimeout> | null = setTimeout(() => {
    timer = null;
    if (session.pcb === null) {
      session.fail(listenPort > 0 ? 'no connection within ' + waitS + ' s' : 'connection to ' + dstHost + ':' + dstPort + ' timed out');
    }
  }, waitS * 1000);
  // Until the connection opens, stdin waits.
  process.stdin.pause();

  if (listenPort > 0) {
    timer && clearTimeout(timer); // a listener waits for as long as it takes
    timer = null;
    const pcb = tcp_new(stack);
    if (pcb === null) { await tearDown(host); log('no free pcb'); return EXIT_FAIL; }
    ip_set_option(pcb, SOF_REUSEADDR);
    const e = tcp_bind(pcb, 0, listenPort);
    if (e !== ERR_OK) { tcp_close(pcb); await tearDown(host); log('cannot listen on port ' + listenPort + ': ' + lwip_strerr(e)); return EXIT_FAIL; }
    listener = tcp_listen(pcb);
    if (listener === null) { await tearDown(host); log('cannot listen on port ' + listenPort); return EXIT_FAIL; }
    tcp_accept(listener, (_a, newpcb, err) => {
      if (newpcb === null || err !== ERR_OK) return ERR_OK;
      if (session.pcb !== null) { tcp_abort(newpcb); return ERR_ABRT; } // one connection, like nc -l
      session.open(newpcb);
      // nc -l serves one connection: stop listening (later SYNs are refused with RST)
      if (listener !== null) { tcp_close(listener); listener = null; }
      return ERR_OK;
    });
    if (!values.quiet) log('listening on ' + values.ip + ' port ' + listenPort);
  } else {
    const pcb = tcp_new(stack);
    if (pcb === null) { await tearDown(host); log('no free pcb'); return EXIT_FAIL; }
    tcp_err(pcb, (_a, err) => {
      if (err === ERR_RST) session.fail('connection to ' + dstHost + ':' + dstPort + ' refused');
      else if (err === ERR_TIMEOUT) session.fail('connection to ' + dstHost + ':' + dstPort + ' timed out');
      else session.fail('connection to ' + dstHost + ':' + dstPort + ' failed: ' + lwip_strerr(err));
    });
    const e = tcp_connect(pcb, dstHost, dstPort, (_a, p, err) => {
      if (err !== ERR_OK) { session.fail('connect failed: ' + lwip_strerr(err)); return ERR_OK; }
      if (timer !== null) { clearTimeout(timer); timer = null; }
      session.open(p);
      return ERR_OK;
    });
    if (e !== ERR_OK) { await tearDown(host); log('connect: ' + lwip_strerr(e)); return EXIT_FAIL; }
    host.scheduler.tickNow();
  }

  const code = await Promise.race([session.wait(), onceSignal().then(() => { session.interrupt(); return EXIT_OK; })]);
  if (timer !== null) clearTimeout(timer);
  if (listener !== null) tcp_close(listener);
  host.scheduler.tickNow();
  if (code === EXIT_OK) await session.linger(2000);
  if (values.netstat !== undefined) printNetstat(host);
  await tearDown(host);
  return code;
}

// ---------------------------------------------------------------------------------------------
// demo (npm start)

const DEMO_PREFIX = '10.77.0';

function haveCmd(cmd: string): boolean {
  return spawnSync('sh', ['-c', 'command -v ' + cmd], { stdio: 'ignore' }).status === 0;
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(cmd + ' ' + args.join(' ') + ': ' + (r.stderr || r.error?.message || 'failed').trim());
}

async function cmdDemo(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' }, trace: { type: 'boolean' }, static: { type: 'boolean' } }, strict: true });
  if (values.help) {
    process.stdout.write('usage: xs-tcp demo [--trace] [--static]\n  as root: a network namespace with a TAP and the stack on it, addressed by DHCP from dnsmasq\n'
      + '  (--static, or without dnsmasq: ' + DEMO_PREFIX + '.2); else how to set one up\n');
    return EXIT_OK;
  }
  const self = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'xs-tcp.js');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !fs.existsSync('/dev/net/tun') || !haveCmd('ip')) {
    if (fs.existsSync('/sys/class/net/xs0')) {
      log('TAP xs0 exists: bringing the demo board up on it as ' + DEMO_PREFIX + '.2');
      return cmdUp(['--tap', 'xs0', '--ip', DEMO_PREFIX + '.2/24', '--netstat', '10', ...(values.trace ? ['--trace'] : [])]);
    }
    process.stderr.write(`xs-tcp demo: the demo board needs a TAP device, which only root can create.
Create one once (it stays until reboot), owned by you:

  sudo ip tuntap add dev xs0 mode tap user $USER
  sudo ip addr add ${DEMO_PREFIX}.1/24 dev xs0
  sudo ip link set xs0 up

then run \`npm start\` again (or: npx xs-tcp up --tap xs0 --ip ${DEMO_PREFIX}.2/24 --netstat 10), and from
another terminal:

  ping ${DEMO_PREFIX}.2
  nc ${DEMO_PREFIX}.2 7        # echo;  9 discard, 13 daytime, 19 chargen

Remove it with: sudo ip link del xs0
(As root, \`npm start\` makes a private network namespace and TAP by itself and removes them on exit.)
`);
    return EXIT_OK;
  }
  const ns = 'xstcp-demo-' + process.pid;
  const tap = 'xs0';
  let child: ChildProcess | null = null;
  const cleanup = () => {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  try {
    run('ip', ['netns', 'add', ns]);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', ns, 'tuntap', 'add', 'dev', tap, 'mode', 'tap']);
    run('ip', ['-n', ns, 'addr', 'add', DEMO_PREFIX + '.1/24', 'dev', tap]);
    run('ip', ['-n', ns, 'link', 'set', tap, 'up']);
  } catch (e) {
    cleanup();
    log('demo set-up failed: ' + (e as Error).message);
    return EXIT_FAIL;
  }
  // DHCP from dnsmasq on the kernel side unless --static (or dnsmasq is missing): the board then
  // behaves as on a real LAN, and prints its lease; the commands follow once the address is known
  const dhcp = !values.static && haveDnsmasq();
  if (!values.static && !dhcp) log('dnsmasq is not installed: the board uses the static address ' + DEMO_PREFIX + '.2');
  let dnsmasq: ChildProcess | null = null;
  if (dhcp) dnsmasq = startDemoDnsmasq(ns, tap, DEMO_PREFIX);
  else process.stderr.write(demoCommands(ns, DEMO_PREFIX + '.2', tap, DEMO_PREFIX, false));
  child = spawn('ip', ['netns', 'exec', ns, process.execPath, self, 'up', '--tap', tap,
    ...(dhcp ? ['--dhcp', '--hostname', 'xs-tcp'] : ['--ip', DEMO_PREFIX + '.2/24']),
    '--netstat', '10', ...(values.trace ? ['--trace'] : [])], { stdio: ['ignore', 'inherit', dhcp ? 'pipe' : 'inherit'] });
  if (dhcp) watchLease(child, (addr) => process.stderr.write('\n' + demoCommands(ns, addr, tap, DEMO_PREFIX, true)));
  const stopDnsmasq = () => { if (dnsmasq !== null && dnsmasq.exitCode === null) dnsmasq.kill('SIGTERM'); };
  const childDone = new Promise<number>((r) => child!.once('exit', (code) => r(code ?? EXIT_FAIL)));
  const sig = onceSignal().then(() => 'signal');
  const first = await Promise.race([childDone.then(() => 'exit'), sig]);
  if (first === 'signal' && child.exitCode === null) {
    child.kill('SIGTERM');
    const t = setTimeout(() => child!.kill('SIGKILL'), 5000);
    await childDone;
    clearTimeout(t);
  }
  const code = await childDone;
  stopDnsmasq();
  cleanup();
  log('demo stopped; namespace ' + ns + ' removed');
  return first === 'signal' ? EXIT_OK : code;
}

// ---------------------------------------------------------------------------------------------
// drill (helper "drill": hal/drill/cli.ts exports drillMain)

async function cmdDrill(argv: string[]): Promise<number> {
  const spec = '../hal/drill/cli.js';
  let mod: { drillMain?: (argv: string[]) => Promise<number> | number };
  try {
    mod = await import(spec) as typeof mod;
  } catch (e) {
    log('drill is not available in this build: ' + (e as Error).message);
    return EXIT_FAIL;
  }
  if (typeof mod.drillMain !== 'function') { log('drill: hal/drill/cli.js has no drillMain'); return EXIT_FAIL; }
  return await mod.drillMain(argv);
}

// ---------------------------------------------------------------------------------------------

/** Runs the command line; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'up': return await cmdUp(rest);
      case 'nc': return await cmdNc(rest);
      case 'demo': return await cmdDemo(rest);
      case 'drill': return await cmdDrill(rest);
      case 'resolve': return await cmdResolve(rest);
      case 'help': case '--help': case '-h':
        process.stdout.write(USAGE);
        return EXIT_OK;
      case undefined:
        process.stderr.write(USAGE);
        return EXIT_USAGE;
      default:
        throw new UsageError('unknown command ' + cmd);
    }
  } catch (e) {
    const err = e as Error & { code?: string };
    if (e instanceof UsageError || err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
      || err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      process.stderr.write('xs-tcp: ' + err.message + '\n\n' + USAGE);
      return EXIT_USAGE;
    }
    if (e instanceof TapError) {
      log(err.message);
      return EXIT_FAIL;
    }
    log('error: ' + (err.stack ?? String(e)));
    return EXIT_FAIL;
  }
}

