/**
 * The native class of hal/lin (taphal.js + modTapHal.c), declared for TypeScript. Its methods are
 * those of hal/esp32's `ethhal`, so the ESP32 HAL's JS driver runs it unchanged.
 */
declare module 'taphal' {
  export interface TapHalOptions {
    /** The TAP device to attach to; it must exist (ip tuntap add dev xs0 mode tap). Default "xs0". */
    tap?: string;
    /** Our MAC address as "02:00:00:00:00:01"; default: a random locally administered one. */
    mac?: string;
  }
  export default class TapHal {
    constructor(options?: TapHalOptions);
    onReady: (() => void) | null;
    close(): void;
    send(buffer: Uint8Array, offset: number, length: number): boolean;
    gather(buffer: Uint8Array, offset: number, length: number, position: number): boolean;
    sendGathered(length: number): boolean;
    receive(buffer: Uint8Array, offset: number): number;
    getMAC(buffer: Uint8Array): void;
    readonly linkUp: boolean;
    readonly dropped: number;
    random(): number;
  }
}
