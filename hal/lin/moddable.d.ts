/**
 * The native class of hal/lin (taphal.js + modTapHal.c), declared for TypeScript. Its instances have
 * the methods of hal/esp32's `ethhal` (see hal/esp32/moddable.d.ts), so the ESP32 HAL's JS driver
 * runs it unchanged; the constructor's options differ, and `getenv` reads the measurement switches.
 */
declare module 'taphal' {
  import type EthHal from 'ethhal';
  export interface TapHalOptions {
    /** The TAP device to attach to; it must exist (ip tuntap add dev xs0 mode tap). Default "xs0". */
    tap?: string;
    /** Our MAC address as "02:00:00:00:00:01"; default: a random locally administered one. */
    mac?: string;
  }
  interface TapHal extends EthHal {
    /** The simulator's environment variable XS_TCP_LIN_<name>, or undefined. */
    getenv(name: string): string | undefined;
  }
  const TapHal: { new (options?: TapHalOptions): TapHal };
  export default TapHal;
}
