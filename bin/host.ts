/**
 * What the `xs-tcp` subcommands share: exit codes, option parsing, and a stack brought up on a host
 * driver (TAP or UDP tunnel) with its scheduler, capture and teardown.
 */
import * as fs from 'node:fs';
import { LAN_OPTIONS, type LanArgs, checkLanArgs, lanStackOptions, startLan } from './lan.js';
import { Stack } from '../src/api/stack.js';
import type { StackConfig } from '../src/core/config.js';
import { ConfigError, DEFAULT_CONFIG } from '../src/core/config.js';
import { ip4FromString, macFromString, macToString } from '../src/core/ip4addr.js';
import { netstat, formatNetstat, tcp_set_trace, formatTrace } from '../src/api/tcp_api.js';
import type { FrameChain, FrameSink, NetDriver, Hal } from '../src/hal.js';
import { PcapWriter } from '../tools/pcap.js';
import { openTap, TapError } from '../hal/host/tap.js';
import { UdpTunnelDriver, parseUdpSpec } from '../hal/host/udp.js';
import type { HostDriver } from '../hal/host/driver.js';
import { WallClock } from '../hal/host/clock.js';
import { HostScheduler } from '../hal/host/scheduler.js';
import { CryptoRandom, randomMac } from '../hal/host/random.js';

/** The usage text: `xs-tcp --help`, and after a usage error. */
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

/** Exit codes (see bin/cli.ts). */
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

export interface LinkArgs extends LanArgs {
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

export function parseConfig(items: string[] | undefined): Partial<StackConfig> {
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

export function parsePort(v: string, what: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new UsageError(what + ' must be a port 1..65535, got ' + v);
  return n;
}

/** Checks the link and address options (UsageError on a mistake) before anything is opened. */
export function checkLinkArgs(a: LinkArgs): void {
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
export class PcapTap implements NetDriver, FrameSink {
  readonly inner: HostDriver;
  private sink: FrameSink | null = null;
  private readonly writer = new PcapWriter({ maxBytes: 16 * 1024 * 1024 });
  private readonly fd: number;
  private headerWritten = false;
  private readonly t0 = Date.now() - performance.now();
  get mac(): Uint8Array { return this.inner.mac; }
  get mtu(): number { return this.inner.mtu; }
  // the stack must write what the driver completes: partial TCP checksums exactly when it offloads
  get txChecksumOffload(): boolean { return this.inner.txChecksumOffload === true; }

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
  // one-copy receive passes through: the frame is captured from pool memory before the stack sees it
  get rxMemory(): Uint8Array { return (this.sink as FrameSink).rxMemory; }
  get rxCapacity(): number { return (this.sink as FrameSink).rxCapacity; }
  private rxAt = -1;
  rxReserve(): number {
    this.rxAt = (this.sink as FrameSink).rxReserve();
    return this.rxAt;
  }
  rxCommit(len: number, checksumOk?: boolean): void {
    if (len > 0 && this.rxAt >= 0) this.writer.writeFrame(this.t0 + performance.now(), this.rxMemory, this.rxAt, len);
    this.rxAt = -1;
    (this.sink as FrameSink).rxCommit(len, checksumOk);
    if (this.writer.byteLength > 4 * 1024 * 1024) this.flush();
  }
  rxBurstBegin(): void { this.sink?.rxBurstBegin(); }
  rxBurstEnd(): void { this.sink?.rxBurstEnd(); }
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
  driveStack(driver, stack, scheduler);
  stack.netif.linkChanged(true);
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

/**
 * Runs `stack` on `scheduler`: a tick after every burst of received frames (the ACKs and data
 * that burst caused are already written by then; the tick runs what came due and re-arms the
 * timers they moved) and soon after the application queued work. A driver that drains everything
 * waiting per callback (HostDriver.burstDrains: the TAP) gets its tick right there, in its own
 * callback: deferring it with setImmediate cost an Immediate object, a second event-loop turn and
 * one more epoll_wait per wake-up (measured: 5-10 % less CPU per GB on a TAP and a shorter ping
 * round trip, README.md "Side by side with lwIP"). Other drivers call onBurst per frame, and the
 * deferred tick lets a run of frames share one. What a tick sends may leave together (the TAP's
 * segmentation offload: HostDriver.txBatchBegin/End).
 */
export function driveStack(driver: HostDriver, stack: Pick<Stack, 'tick' | 'setWorkHook'>, scheduler: HostScheduler): void {
  driver.onBurst = driver.burstDrains === true ? () => scheduler.tickNow() : () => scheduler.poke();
  stack.setWorkHook(() => scheduler.poke());
  if (driver.txBatchBegin !== undefined && driver.txBatchEnd !== undefined) {
    const d = driver as Required<Pick<HostDriver, 'txBatchBegin' | 'txBatchEnd'>>;
    scheduler.start((now) => {
      d.txBatchBegin();
      try {
        return stack.tick(now);
      } finally {
        d.txBatchEnd();
      }
    });
  } else {
    scheduler.start((now) => stack.tick(now));
  }
}

export function printNetstat(host: HostStack): void {
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
export async function settle(host: HostStack, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const busy = netstat(host.stack).some((r) => r.state !== 'TIME_WAIT' && r.state !== 'LISTEN' && r.state !== 'CLOSED');
    if (!busy) return;
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves on the first SIGINT / SIGTERM. */
export function onceSignal(): Promise<string> {
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
