/**
 * The native class of hal/lin (taphal.js + modTapHal.c), declared for TypeScript. Its instances have
 * exactly the methods of hal/esp32's `ethhal` (see hal/esp32/moddable.d.ts), so the ESP32 HAL's JS
 * driver runs it unchanged; only the constructor's options differ.
 */
declare module 'taphal' {
  import type EthHal from 'ethhal';
  export interface TapHalOptions {
    /** The TAP device to attach to; it must exist (ip tuntap add dev xs0 mode tap). Default "xs0". */
    tap?: string;
    /** Our MAC address as "02:00:00:00:00:01"; default: a random locally administered one. */
    mac?: string;
  }
  type TapHal = EthHal;
  const TapHal: { new (options?: TapHalOptions): TapHal };
  export default TapHal;
}
