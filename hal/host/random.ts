/**
 * Random numbers for the host from the operating system's CSPRNG (crypto.getRandomValues): initial
 * sequence numbers (RFC 6528 asks for unpredictable ones) and ephemeral ports. Numbers are drawn in
 * blocks of 256 to keep the system calls off the per-connection path.
 */
import { webcrypto } from 'node:crypto';
import type { RandomSource } from '../../src/hal.js';

export class CryptoRandom implements RandomSource {
  private readonly block = new Uint32Array(256);
  private pos = 256;

  nextU32(): number {
    if (this.pos === this.block.length) {
      webcrypto.getRandomValues(this.block);
      this.pos = 0;
    }
    return this.block[this.pos++] >>> 0;
  }
}

/** A random unicast, locally administered MAC (RFC 7042 §2.1: bit 1 of the first octet set, bit 0
 *  clear), for a stack whose user gave none. */
export function randomMac(): Uint8Array {
  const mac = new Uint8Array(6);
  webcrypto.getRandomValues(mac);
  mac[0] = (mac[0] & 0xfc) | 0x02;
  return mac;
}
