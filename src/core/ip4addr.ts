/**
 * IPv4 addresses are unsigned 32-bit numbers in host order (10.0.0.1 === 0x0a000001).
 * Parsing and formatting make strings: use them at configuration time, never per packet.
 */
export const IP4_ANY = 0;
export const IP4_BROADCAST = 0xffffffff;

/** Parses dotted-quad text; returns -1 when it is not a valid address. */
export function ip4FromString(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) return -1;
  let addr = 0;
  for (const part of parts) {
    if (!/^[0-9]{1,3}$/.test(part)) return -1;
    const n = Number(part);
    if (n > 255) return -1;
    addr = addr * 256 + n;
  }
  return addr >>> 0;
}

export function ip4ToString(addr: number): string {
  return (addr >>> 24) + '.' + ((addr >>> 16) & 255) + '.' + ((addr >>> 8) & 255) + '.' + (addr & 255);
}

/** Accepts a number or dotted-quad text; -1 when invalid. */
export function ip4Of(addr: number | string): number {
  if (typeof addr === 'number') {
    return Number.isInteger(addr) && addr >= -0x80000000 && addr <= 0xffffffff ? addr >>> 0 : -1;
  }
  return ip4FromString(addr);
}

/** Prefix length (0..32) to a netmask. */
export function ip4Netmask(prefix: number): number {
  return prefix <= 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function macToString(mac: Uint8Array, off = 0): string {
  let s = '';
  for (let i = 0; i < 6; i++) {
    const b = mac[off + i];
    s += (i ? ':' : '') + (b < 16 ? '0' : '') + b.toString(16);
  }
  return s;
}

/** Parses aa:bb:cc:dd:ee:ff; returns null when invalid. */
export function macFromString(text: string): Uint8Array | null {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6) return null;
  const mac = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    if (!/^[0-9a-fA-F]{1,2}$/.test(parts[i])) return null;
    mac[i] = parseInt(parts[i], 16);
  }
  return mac;
}
