/**
 * IPv4 addresses are unsigned 32-bit numbers in host order (10.0.0.1 === 0x0a000001).
 * Parsing and formatting make strings: use them at configuration time, never per packet.
 */
export const IP4_ANY = 0;
export const IP4_BROADCAST = 0xffffffff;

/** Called with `.call(text, i)`: on XS, `text.charCodeAt(i)`, `text[i]` and `text.length` each
 *  wrap the primitive string in a String object (2 heap slots per access, measured with the XS
 *  meter); through `call` nothing is allocated. Past the end it returns NaN. */
const charCodeAt = String.prototype.charCodeAt;

/** Parses dotted-quad text (four parts of 1 to 3 decimal digits, each at most 255); returns -1 when
 *  it is not a valid address. A character loop that allocates nothing on XS (tcp_connect and tcp_bind
 *  take text; the former split/RegExp version cost 58 heap slots per call). */
export function ip4FromString(text: string): number {
  if (typeof text !== 'string') return -1;
  let addr = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; ; i++) {
    const c: number = charCodeAt.call(text, i);
    if (c !== c) break; // NaN: past the end
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return -1;
      part = part * 10 + (c - 48);
    } else if (c === 46) {
      if (digits === 0 || part > 255 || ++dots > 3) return -1;
      addr = addr * 256 + part;
      part = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0 || part > 255) return -1;
  return (addr * 256 + part) >>> 0;
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
