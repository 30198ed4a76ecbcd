/**
 * The native helpers of the Moddable HALs (hal/xs/xstcpnative.js + modXstcpNative.c), declared for
 * TypeScript.
 */
declare module 'xstcp-native' {
  /** Hal.checksum in C: adds `length` bytes of `buffer` from `offset` as big-endian 16-bit words to
   *  the partial sum `initial` and returns the sum folded to 16 bits, not complemented (RFC 1071).
   *  -1 when the arguments are unusable (not a byte buffer, a range outside it, a negative initial). */
  export function checksum(buffer: Uint8Array, offset: number, length: number, initial: number): number;
  /** Zeroed native memory (malloc on Linux; heap_caps_malloc on the ESP32: internal RAM, or PSRAM
   *  with defines.xstcp.pool.psram) as an XS host buffer, which typed arrays view like an
   *  ArrayBuffer; freed when the object is collected. `byteLength` is 0 when none could be had. */
  export class PoolMemory {
    constructor(bytes: number);
    readonly byteLength: number;
  }
}
