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
    verbose: opts.verbose === true, seed: opts.seed ?? 1, config,
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
      case 'mss': case 'speed': case 'strict_segments': case 'tcp_ts_tick_usecs': case 'tcp_ts_ecr_scaled':
        // no effect here: the mock wire has no offloads, our segments carry no timestamps
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
  return s;
}

function resolveOption(name: string, line: number): string {
  if (KNOWN_OPTIONS.includes(name) || name.startsWith('xs_')) return name;
  const c = KNOWN_OPTIONS.filter((k) => k.startsWith(name));
  if (c.length === 1) return c[0];
  if (c.length > 1) throw new Failure(line, 'ambiguous option --' + name + ' (' + c.join(', ') + ')');
  throw new Failure(line, 'unsupported option --' + name);
}
