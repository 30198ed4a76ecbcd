/**
 * Ephemeral port allocation, one instance per transport (TCP and UDP ports are separate spaces).
 * The range defaults to the IANA dynamic ports 49152-65535 (RFC 6335 §6). The search starts at a
 * random point of the range, so that a restarted board does not reuse the ports of its previous
 * life and an off-path attacker cannot guess the next port from a fresh boot (RFC 6056 §2-3), and
 * then walks the range in order from where the last allocation stopped (lwIP's way), skipping
 * ports the transport reports in use.
 */
import type { RandomSource } from '../hal.js';

/** The transport whose ports are allocated: a method of the layer, not a closure (on XS a closure
 *  is some seventeen heap slots for as long as the layer lives). */
export interface PortUser {
  /** Whether local port `port` is taken for local address `ip` (0: any). */
  portTaken(port: number, ip: number): boolean;
}

export class EphemeralPorts {
  readonly lo: number;
  readonly hi: number;
  private next: number;

  /** Draws one random number (the starting point). */
  constructor(lo: number, hi: number, random: RandomSource) {
    this.lo = lo;
    this.hi = hi;
    this.next = lo + (random.nextU32() % (hi - lo + 1));
  }

  /** A port of the range for which `user.portTaken(port, ip)` is false, or 0 when every one is taken. */
  allocate(user: PortUser, ip: number): number {
    const lo = this.lo;
    const hi = this.hi;
    for (let n = hi - lo + 1; n > 0; n--) {
      const port = this.next;
      this.next = port >= hi ? lo : port + 1;
      if (!user.portTaken(port, ip)) return port;
    }
    return 0;
  }
}
