/**
 * lwIP's DNS API (dns.h) over a Stack: dns_gethostbyname, dns_setserver, dns_getserver. The
 * resolver lives as the stack's 'dns' app, created on first use.
 */
import type { Stack } from '../../api/stack.js';
import type { Err } from '../../core/err.js';
import { ERR_OK, ERR_ARG } from '../../core/err.js';
import { DnsResolver, DnsAddr, type DnsFoundFn } from './resolver.js';

export function dns_resolver(stack: Stack): DnsResolver {
  const a = stack.app('dns');
  if (a !== null) return a as DnsResolver;
  const r = new DnsResolver(stack);
  stack.addApp(r);
  return r;
}

/**
 * Resolves `name`: ERR_OK with `out.addr` at once (a literal or a cached answer), ERR_INPROGRESS
 * and later `cb(name, addr, arg)` (addr 0 = not found), or ERR_ARG/ERR_VAL/ERR_MEM.
 */
export function dns_gethostbyname(stack: Stack, name: string, out: DnsAddr | null, cb: DnsFoundFn | null, arg: unknown = null): Err {
  return dns_resolver(stack).gethostbyname(name, out, cb, arg);
}

/** Sets DNS server `idx` (0 = primary); DHCP option 6 overwrites these. */
export function dns_setserver(stack: Stack, idx: number, addr: number): Err {
  if (!(idx >= 0 && idx < stack.dnsServers.length)) return ERR_ARG;
  stack.dnsServers[idx] = addr >>> 0;
  return ERR_OK;
}

export function dns_getserver(stack: Stack, idx: number): number {
  return idx >= 0 && idx < stack.dnsServers.length ? stack.dnsServers[idx] : 0;
}

export { DnsResolver, DnsAddr, DnsStats, type DnsFoundFn } from './resolver.js';
