/**
 * lwIP's DHCP API (dhcp.h) over a Stack: dhcp_start, dhcp_stop, dhcp_release, dhcp_renew, and a
 * status callback (lwIP reports through the netif status callback; here the events are explicit:
 * bound, renewed, lost, nak, declined, released). The client lives as the stack's 'dhcp' app.
 *
 *   dhcp_set_callback(stack, (arg, ev, c) => trace(DHCP_EVENT_NAMES[ev] + ' ' + c.ip), null);
 *   dhcp_start(stack);
 */
import type { Stack } from '../../api/stack.js';
import type { Err } from '../../core/err.js';
import { ERR_ARG } from '../../core/err.js';
import { DhcpClient, type DhcpStatusFn } from './client.js';

/** The stack's DHCP client, created on first use. */
export function dhcp_client(stack: Stack): DhcpClient {
  const a = stack.app('dhcp');
  if (a !== null) return a as DhcpClient;
  const c = new DhcpClient(stack);
  stack.addApp(c);
  return c;
}

/** Starts (or restarts) DHCP on the stack's interface: ERR_OK, or ERR_MEM/ERR_USE for the UDP port. */
export function dhcp_start(stack: Stack): Err {
  return dhcp_client(stack).start();
}

/** Stops the client, frees its UDP pcb and removes the leased address. */
export function dhcp_stop(stack: Stack): Err {
  const a = stack.app('dhcp');
  return a === null ? ERR_ARG : (a as DhcpClient).stop();
}

/** Releases the lease to the server (DHCPRELEASE), then stops. */
export function dhcp_release(stack: Stack): Err {
  const a = stack.app('dhcp');
  return a === null ? ERR_ARG : (a as DhcpClient).release();
}

/** Renews the lease now. ERR_ARG when there is none. */
export function dhcp_renew(stack: Stack): Err {
  const a = stack.app('dhcp');
  return a === null ? ERR_ARG : (a as DhcpClient).renew();
}

/** Registers the status callback: (arg, event DHCP_EVENT_*, client). */
export function dhcp_set_callback(stack: Stack, cb: DhcpStatusFn | null, arg: unknown = null): void {
  dhcp_client(stack).setCallback(cb, arg);
}

export {
  DhcpClient, DhcpStats, DHCP_STATE_NAMES, DHCP_EVENT_NAMES, DHCP_EVENT_BOUND, DHCP_EVENT_RENEWED,
  DHCP_EVENT_LOST, DHCP_EVENT_NAK, DHCP_EVENT_DECLINED, DHCP_EVENT_RELEASED,
  DHCP_OFF, DHCP_SELECTING, DHCP_REQUESTING, DHCP_CHECKING, DHCP_BOUND, DHCP_RENEWING,
  DHCP_REBINDING, DHCP_REBOOTING, DHCP_BACKING_OFF, type DhcpStatusFn,
} from './client.js';
