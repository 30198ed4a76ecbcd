/**
 * Ephemeral port allocation, one search state per transport (TCP and UDP ports are separate
 * spaces). The range defaults to the IANA dynamic ports 49152-65535 (RFC 6335 §6). The search
 * starts at a random point of the range, so that a restarted board does not reuse the ports of its
 * previous life and an off-path attacker cannot guess the next port from a fresh boot (RFC 6056
 * §2-3), and then walks the range in order from where the last allocation stopped (lwIP's way),
 * skipping ports the transport reports in use.
 *
 * The state is one number the transport keeps (`nextPort`) and the range comes from its
 * configuration at each call: no allocator object per transport (on XS each object is a heap slot
 * plus one per property).
 */
import type { RandomSource } from '../hal.js';

/** The transport whose ports are allocated. Methods of the layer, not closures (on XS a closure
 *  is some seventeen heap slots for as long as the layer lives). */
export interface PortUser {
  /** Where the next search starts (firstPort at start-up; allocatePort moves it on). */
  nextPort: number;
  /** Whether local port `port` is taken for local address `ip` (0: any). */
  portTaken(port: number, ip: number): boolean;
}

/** A random starting point in [lo, hi] (one random number drawn). */
export function firstPort(lo: number, hi: number, random: RandomSource): number {
  return lo + (random.nextU32() % (hi - lo + 1));
}

/** A port of [lo, hi] for which `user.portTaken(port, ip)` is false, or 0 when every one is taken. */
export function allocatePort(user: PortUser, lo: number, hi: number, ip: number): number {
  let next = user.nextPort;
  if (next < lo || next > hi) next = lo;
  for (let n = hi - lo + 1; n > 0; n--) {
    const port = next;
    next = port >= hi ? lo : port + 1;
    if (!user.portTaken(port, ip)) {
      user.nextPort = next;
      return port;
    }
  }
  user.nextPort = next;
  return 0;
}
