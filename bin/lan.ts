/**
 * The host CLI's LAN options, shared by `up`, `nc` and `resolve`: --dhcp (lease printed as it is
 * obtained and renewed), --hostname NAME (mDNS NAME.local, DHCP option 12), --dns A.B.C.D (static
 * DNS servers), --no-mdns. Everything here goes through the stack's own DHCP client, resolver and
 * mDNS responder.
 */
import type { Stack } from '../src/api/stack.js';
import { ip4FromString, ip4ToString } from '../src/core/ip4addr.js';
import { ERR_OK, ERR_INPROGRESS, lwip_strerr } from '../src/core/err.js';
import { dhcp_start, dhcp_set_callback, dhcp_client, DHCP_EVENT_NAMES } from '../src/apps/dhcp/api.js';
import { dns_gethostbyname, DnsAddr } from '../src/apps/dns/api.js';
import { mdns_start, mdns_responder } from '../src/apps/mdns/responder.js';

export const LAN_OPTIONS = {
  dhcp: { type: 'boolean' },
  hostname: { type: 'string' },
  dns: { type: 'string', multiple: true },
  'no-mdns': { type: 'boolean' },
} as const;

export interface LanArgs {
  dhcp?: boolean;
  hostname?: string;
  dns?: string[];
  'no-mdns'?: boolean;
}

/** Checks the LAN options; returns a message for a bad one, '' when fine. */
export function checkLanArgs(a: LanArgs): string {
  if (a.hostname !== undefined && !/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(a.hostname)) {
    return '--hostname wants one DNS label (letters, digits, hyphens), got ' + a.hostname;
  }
  for (const d of a.dns ?? []) if (ip4FromString(d) < 0) return '--dns wants A.B.C.D, got ' + d;
  return '';
}

/** The Stack options these flags set. */
export function lanStackOptions(a: LanArgs): { hostname?: string; dns?: string[] } {
  return { hostname: a.hostname, dns: a.dns };
}

/** Starts DHCP (with --dhcp) and the mDNS responder (unless --no-mdns); logs every lease event. */
export function startLan(stack: Stack, a: LanArgs, log: (msg: string) => void, quiet: boolean): void {
  if (a.dhcp) {
    dhcp_set_callback(stack, (_arg, ev, c) => {
      if (quiet && ev !== 1) return;
      const lease = ev === 1 || ev === 2
        ? ' ' + ip4ToString(c.ip) + ' mask ' + ip4ToString(c.netmask) + ' gw ' + ip4ToString(c.gateway)
          + ' dns ' + stack.dnsServers.filter((x) => x !== 0).map(ip4ToString).join(',')
          + ' server ' + ip4ToString(c.serverId) + ' lease ' + c.leaseSecs + ' s (T1 ' + c.t1Secs + ' s, T2 ' + c.t2Secs + ' s)'
        : '';
      log('dhcp: ' + DHCP_EVENT_NAMES[ev] + lease);
    });
    const e = dhcp_start(stack);
    if (e !== ERR_OK) log('dhcp: cannot start: ' + lwip_strerr(e));
    else if (!quiet) log('dhcp: discovering (hostname ' + stack.hostname + ')');
  }
  if (!a['no-mdns']) {
    const r = mdns_responder(stack);
    r.onRename = (name) => log('mdns: name in use, now ' + name + '.local');
    const e = mdns_start(stack);
    if (e !== ERR_OK) log('mdns: cannot start: ' + lwip_strerr(e));
    else if (!quiet) log('mdns: answering for ' + stack.hostname + '.local');
  }
}

/** Resolves once the DHCP client is bound (true), or after `ms` (false). */
export function waitForLease(stack: Stack, ms: number): Promise<boolean> {
  const c = dhcp_client(stack);
  return new Promise((resolve) => {
    const t0 = Date.now();
    const iv = setInterval(() => {
      if (c.stateName === 'BOUND') { clearInterval(iv); resolve(true); }
      else if (Date.now() - t0 > ms) { clearInterval(iv); resolve(false); }
    }, 50);
  });
}

/** The address of `name` through the stack's resolver (a literal passes through); 0 when not found. */
export function resolveName(stack: Stack, name: string, poke: () => void): Promise<{ addr: number; err: number; cached: boolean }> {
  return new Promise((resolve) => {
    const out = new DnsAddr();
    const e = dns_gethostbyname(stack, name, out, (_n, addr) => resolve({ addr, err: ERR_OK, cached: false }));
    if (e === ERR_OK) resolve({ addr: out.addr, err: ERR_OK, cached: true });
    else if (e !== ERR_INPROGRESS) resolve({ addr: 0, err: e, cached: false });
    else poke();
  });
}

export { mdns_responder };
