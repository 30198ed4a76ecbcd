/**
 * The demo's LAN: dnsmasq (when installed) as DHCP and DNS server on the kernel side of the demo's
 * TAP, so that `npm start` shows the board getting its address by DHCP (RFC 2131) like on a real
 * network; the commands to try are printed once the lease is known. Without dnsmasq, or with
 * --static, the demo uses a fixed address as before.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export function haveDnsmasq(): boolean {
  return spawnSync('sh', ['-c', 'command -v dnsmasq'], { stdio: 'ignore' }).status === 0;
}

/** Starts dnsmasq in namespace `ns` on `tap` serving PREFIX.50-99 (10 min leases) and DNS for
 *  demo names; returns the process (stopped by the caller by PID). */
export function startDemoDnsmasq(ns: string, tap: string, prefix: string): ChildProcess {
  // a multicast route, so that mDNS queries from the namespace (dig, avahi) leave through the TAP
  spawnSync('ip', ['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', tap], { stdio: 'ignore' });
  return spawn('ip', ['netns', 'exec', ns, 'dnsmasq', '--keep-in-foreground', '--no-resolv', '--no-hosts',
    '--bind-interfaces', '--interface=' + tap, '--except-interface=lo', '--dhcp-range=' + prefix + '.50,' + prefix + '.99,10m',
    '--host-record=gateway.demo,' + prefix + '.1', '--domain=demo', '--local=/demo/', '--dhcp-leasefile=/dev/null',
    '--pid-file=', '--log-facility=/dev/null'], { stdio: 'ignore' });
}

/** Forwards the board's stderr and calls `onLease(addr)` at the first "dhcp: bound ADDR" line. */
export function watchLease(child: ChildProcess, onLease: (addr: string) => void): void {
  let seen = false;
  let buf = '';
  child.stderr?.on('data', (d: Buffer) => {
    process.stderr.write(d);
    if (seen) return;
    buf += d.toString();
    const m = /dhcp: bound (\d+\.\d+\.\d+\.\d+)/.exec(buf);
    if (m !== null) { seen = true; onLease(m[1]); }
  });
}

/** The commands to try against the board at `addr`, run in namespace `ns`. */
export function demoCommands(ns: string, addr: string, tap: string, prefix: string, dhcp: boolean): string {
  const pre = 'sudo ip netns exec ' + ns + ' ';
  return `xs-tcp demo: a board at ${addr}${dhcp ? ' (leased from dnsmasq by DHCP)' : ''} on TAP ${tap} in network namespace ${ns}
(the kernel side of the TAP is ${prefix}.1). From another terminal:

  ${pre}ping -c 3 ${addr}
  ${pre}nc ${addr} 7            # echo: type lines, Ctrl-D to end
  ${pre}nc ${addr} 13           # daytime
  ${pre}nc ${addr} 19 | head    # chargen
  ${pre}sh -c 'head -c 10000000 /dev/zero | nc -N ${addr} 9'   # discard
  ${pre}ss -tn                    # the kernel's side of the connections
${dhcp ? `  ${pre}dig +short -p 5353 @224.0.0.251 xs-tcp.local   # mDNS (RFC 6762), if dig is installed
` : ''}
The board's own netstat table follows every 10 s. Ctrl-C stops it and removes the namespace.

`;
}
