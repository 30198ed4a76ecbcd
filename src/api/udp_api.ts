/**
 * lwIP's raw UDP API (udp.h) over a Stack: udp_new, udp_bind, udp_connect, udp_disconnect,
 * udp_send, udp_sendto, udp_recv, udp_remove. Same names, arguments and error codes as lwIP, with
 * IPv4 addresses as host-order numbers (or dotted-quad strings, parsed per call: use numbers on a
 * hot path). Payloads are pbufs: the sender keeps ownership of what it passes to udp_send(to); the
 * receive callback owns the pbuf it is given and must pbuf_free it.
 */
import type { Err } from '../core/err.js';
import { ERR_ARG, ERR_VAL } from '../core/err.js';
import type { Pbuf } from '../core/pbuf.js';
import { ip4Of } from '../core/ip4addr.js';
import type { UdpPcb, UdpRecvFn } from '../udp/udp.js';
import type { Stack } from './stack.js';

export type { UdpPcb, UdpRecvFn } from '../udp/udp.js';

function addr(ip: number | string): number {
  return typeof ip === 'number' && (ip >>> 0) === ip ? ip : ip4Of(ip);
}

/** A new UDP pcb on `stack`, or null when MEMP_NUM_UDP_PCB are in use. */
export function udp_new(stack: Stack): UdpPcb | null {
  return stack.udp.newPcb();
}

/** Binds to a local address (0 / '0.0.0.0' = any) and port (0 = an ephemeral port). ERR_USE if taken. */
export function udp_bind(pcb: UdpPcb | null, ip: number | string, port: number): Err {
  if (pcb === null) return ERR_ARG;
  const a = addr(ip);
  if (a < 0) return ERR_VAL;
  return pcb.udp.bind(pcb, a, port);
}

/** Sets the remote end: only its datagrams are received, and udp_send goes to it. */
export function udp_connect(pcb: UdpPcb | null, ip: number | string, port: number): Err {
  if (pcb === null) return ERR_ARG;
  const a = addr(ip);
  if (a < 0) return ERR_VAL;
  return pcb.udp.connect(pcb, a, port);
}

export function udp_disconnect(pcb: UdpPcb | null): Err {
  if (pcb === null) return ERR_ARG;
  return pcb.udp.disconnect(pcb);
}

/** Sends `p` to the connected remote (ERR_CONN when not connected). The caller still owns `p`. */
export function udp_send(pcb: UdpPcb | null, p: Pbuf | null): Err {
  if (pcb === null || p === null) return ERR_ARG;
  return pcb.udp.send(pcb, p);
}

/** Sends `p` to `ip`:`port`. The caller still owns `p`. */
export function udp_sendto(pcb: UdpPcb | null, p: Pbuf | null, ip: number | string, port: number): Err {
  if (pcb === null || p === null) return ERR_ARG;
  const a = addr(ip);
  if (a < 0) return ERR_VAL;
  return pcb.udp.sendto(pcb, p, a, port);
}

/** Registers the receive callback: (arg, pcb, p, addr, port); it owns and must free `p`. */
export function udp_recv(pcb: UdpPcb | null, cb: UdpRecvFn | null, arg: unknown = null): Err {
  if (pcb === null) return ERR_ARG;
  return pcb.udp.recv(pcb, cb, arg);
}

/** Frees the pcb; the handle answers ERR_CLSD afterwards. */
export function udp_remove(pcb: UdpPcb | null): Err {
  if (pcb === null) return ERR_ARG;
  return pcb.udp.remove(pcb);
}

/** Sets the IP TTL of what `pcb` sends (lwIP udp_set_ttl); mDNS uses 255 (RFC 6762 §11). */
export function udp_set_ttl(pcb: UdpPcb | null, ttl: number): Err {
  if (pcb === null) return ERR_ARG;
  return pcb.udp.setTtl(pcb, ttl);
}
