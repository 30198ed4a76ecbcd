/**
 * The script's options (`--name=value` lines, packetdrill's command-line flags) turned into the
 * runner's settings and the stack's configuration: timing tolerances, addresses and ports, the MTU,
 * and ours (--tcp_msl_ms, --local_isn, --seed, --xs_KEY=VALUE for any StackConfig knob). Options
 * that cannot be honoured fail at their line. Test tooling.
 */
import type { StackConfig } from '../../src/core/config.js';
import { ip4FromString } from '../../src/core/ip4addr.js';
import type { Script } from './parse.js';
import { Failure } from './failure.js';

/** What the caller of runDrill may set (script options override it). */
export interface DrillOptions {
  /** Record a trace of every event and segment in `result.log`. */
  verbose?: boolean;
  /** Extra stack configuration (script options --xs_KEY=VALUE override it). */
  config?: Partial<StackConfig>;
  /** MockNet seed (random ISNs and ports). Default 1; the script option --seed overrides it. */
  seed?: number;
}

/** What a run uses: the defaults, the DrillOptions, then the script's options. */
export interface DrillSettings {
  /** --tolerance_usecs: every timing window is widened by at least this (µs). */
  toleranceUs: number;
  /** --tolerance_percent: ... or by this share of the gap to the previous event. */
  tolerancePercent: number;
  localIp: number;
  remoteIp: number;
  gatewayIp: number;
  /** Prefix length of --netmask_ip. */
  prefix: number;
  bindPort: number;
  connectPort: number;
  /** --local_isn: our ISN for every connection (null: the stack's own). */
  localIsn: number | null;
  verbose: boolean;
  /** MockNet seed. */
  seed: number;
  /** --tcp_ts_tick_usecs: our outbound TS val is checked against the script's, this many µs per
   *  tick, within the timing tolerance (packetdrill); 0: not checked. */
  tsTickUs: number;
  /** --tcp_ts_ecr_scaled: an inbound TS ecr that names no TS val we sent is interpolated from the
   *  first one (packetdrill); otherwise it is an error. */
  tsEcrScaled: boolean;
  config: Partial<StackConfig>;
}

/** Options the runner understands (packetdrill's, then ours). Names may be abbreviated (getopt_long). */
const KNOWN_OPTIONS = [
  'tolerance_usecs', 'tolerance_percent', 'ip_version', 'bind_port', 'connect_port', 'local_ip', 'remote_ip',
  'gateway_ip', 'netmask_ip', 'mtu', 'mss', 'verbose', 'debug', 'strict_segments', 'tcp_ts_tick_usecs',
  'tcp_ts_ecr_scaled', 'speed', 'define', 'non_fatal', 'init_scripts', 'wire_client', 'wire_server', 'dry_run',
  // ours
  'tcp_msl_ms', 'local_isn', 'seed',
];

/** Reads the script's options over the defaults and `opts`; a Failure at the line of a bad one. */
export function readSettings(script: Script, opts: DrillOptions): DrillSettings {
  const config: Partial<StackConfig> = { ...(opts.config ?? {}) };
  const s: DrillSettings = {
    toleranceUs: 4000, tolerancePercent: 12.5, localIp: ip4FromString('192.168.0.1'), remoteIp: ip4FromString('192.168.0.2'),
    gatewayIp: ip4FromString('192.168.0.254'), prefix: 24, bindPort: 8080, connectPort: 8080, localIsn: null,
    verbose: opts.verbose === true, seed: opts.seed ?? 1, tsTickUs: 0, tsEcrScaled: false, config,
  };
  for (const o of script.options) {
    const name = resolveOption(o.name, o.line);
    const v = o.value;
    const num = (): number => {
      const n = Number(v);
      if (v === null || !Number.isFinite(n)) throw new Failure(o.line, '--' + o.name + ' needs a numeric value');
      return n;
    };
    const addr = (): number => {
      const a = v === null ? -1 : ip4FromString(v.replace(/\/\d+$/, ''));
      if (a < 0) throw new Failure(o.line, '--' + o.name + ' needs an IPv4 address');
      return a;
    };
    switch (name) {
      case 'tolerance_usecs': s.toleranceUs = num(); break;
      case 'tolerance_percent': s.tolerancePercent = num(); break;
      case 'ip_version':
        if (v !== 'ipv4') throw new Failure(o.line, 'unsupported: --ip_version=' + String(v) + ' (IPv4 only)');
        break;
      case 'bind_port': s.bindPort = num(); break;
      case 'connect_port': s.connectPort = num(); break;
      case 'local_ip': s.localIp = addr(); break;
      case 'remote_ip': s.remoteIp = addr(); break;
      case 'gateway_ip': s.gatewayIp = addr(); break;
      case 'netmask_ip': {
        const m = addr();
        let p = 0;
        while (p < 32 && ((m << p) & 0x80000000) !== 0) p++;
        s.prefix = p;
        break;
      }
      case 'mtu': config.MTU = num(); if (config.TCP_MSS === undefined) config.TCP_MSS = Math.min(1460, num() - 40); break;
      case 'verbose': case 'debug': s.verbose = true; break;
      case 'tcp_ts_tick_usecs': s.tsTickUs = num(); break;
      case 'tcp_ts_ecr_scaled': s.tsEcrScaled = v === null || v === 'true' || num() !== 0; break;
      case 'mss': case 'speed': case 'strict_segments':
        // no effect here: the mock wire has no offloads
        break;
      case 'tcp_msl_ms': config.TCP_MSL = num(); break;
      case 'local_isn': s.localIsn = num() >>> 0; break;
      case 'seed': s.seed = num(); break;
      default:
        if (name.startsWith('xs_')) {
          const key = name.slice(3) as keyof StackConfig;
          (config as Record<string, number | boolean>)[key] = v === 'true' ? true : v === 'false' ? false : num();
          break;
        }
        throw new Failure(o.line, 'unsupported option --' + o.name);
    }
  }
  applySysctls(script, config);
  return s;
}

/** The sysctls that turn an option of this stack on or off, and the config knob each sets. */
const OPTION_SYSCTLS: Readonly<Record<string, keyof StackConfig>> = {
  'net.ipv4.tcp_timestamps': 'TCP_TIMESTAMPS',
  'net.ipv4.tcp_sack': 'TCP_SACK',
  'net.ipv4.tcp_window_scaling': 'TCP_WND_SCALE',
};

/** `sysctl [-q] name=value` in a backquoted command, every assignment. */
export function sysctlsIn(cmd: string): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const part of cmd.split(/;|&&|\n/)) {
    const m = /^sysctl\s+(?:-[qwe]+\s+)*([\w.]+)\s*=\s*(\S+)$/.exec(part.trim());
    if (m !== null) out.push({ name: m[1], value: m[2] });
  }
  return out;
}

/**
 * The option sysctls of the script (net.ipv4.tcp_timestamps, tcp_sack, tcp_window_scaling = 0|1)
 * set the stack's TCP_TIMESTAMPS, TCP_SACK and TCP_WND_SCALE. This stack's options are fixed when it
 * is created, so they are applied before the run wherever they stand in the script (packetdrill
 * scripts set them at time 0); a script that sets one both ways fails at the second.
 */
function applySysctls(script: Script, config: Partial<StackConfig>): void {
  const seen = new Map<string, string>();
  const cmds: { command: string; line: number }[] = [];
  if (script.initCommand !== null) cmds.push(script.initCommand);
  for (const ev of script.events) if (ev.type === 'command') cmds.push(ev);
  for (const c of cmds) {
    for (const { name, value } of sysctlsIn(c.command)) {
      const key = OPTION_SYSCTLS[name];
      if (key === undefined) continue;
      if (value !== '0' && value !== '1') throw new Failure(c.line, name + ' must be 0 or 1 here');
      const before = seen.get(name);
      if (before !== undefined && before !== value) {
        throw new Failure(c.line, 'unsupported: ' + name + ' changed during the script (the stack\'s options are fixed at start)');
      }
      seen.set(name, value);
      (config as Record<string, boolean>)[key] = value === '1';
    }
  }
}

function resolveOption(name: string, line: number): string {
  if (KNOWN_OPTIONS.includes(name) || name.startsWith('xs_')) return name;
  const c = KNOWN_OPTIONS.filter((k) => k.startsWith(name));
  if (c.length === 1) return c[0];
  if (c.length > 1) throw new Failure(line, 'ambiguous option --' + name + ' (' + c.join(', ') + ')');
  throw new Failure(line, 'unsupported option --' + name);
}
