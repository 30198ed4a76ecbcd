/**
 * The hardware abstraction the stack consumes, and nothing more: a driver that moves whole Ethernet
 * frames, a monotonic millisecond clock and a random source (the `Hal` the Stack constructor takes).
 * A `Scheduler` is what a platform uses to call the stack's `tick(now)`; the stack never calls it.
 * Implementations live outside src/: hal/mock (in-memory wire, virtual clock), hal/host (TAP, UDP
 * tunnel, wall clock), hal/esp32 (Moddable native driver, Time.ticks, Timer.repeat). Every layer of
 * src/ may import this file; it imports nothing.
 */

/** A frame as a chain of byte ranges (a pbuf chain satisfies this shape). */
export interface FrameChain {
  buf: Uint8Array;
  off: number;
  len: number;
  next: FrameChain | null;
}

/**
 * What the stack offers a driver (the stack's Netif implements it). Two ways in for a received
 * Ethernet frame (destination MAC first, no FCS):
 * - one copy, done by the driver: `rxReserve()` takes a free pool pbuf and says where in `rxMemory`
 *   to write the frame; the driver writes it there (memcpy in C, `read()` on a TAP, one native
 *   `set`/`copyWithin` in JS) and calls `rxCommit(len)`. The stack then only parses and queues.
 * - `receiveFrame(buf, off, len)`: the stack copies the frame into a pool pbuf itself.
 */
export interface FrameSink {
  /** A received frame: the stack copies `len` bytes from `buf[off..]` into a pool pbuf before
   *  returning, so the driver may reuse `buf` at once. */
  receiveFrame(buf: Uint8Array, off: number, len: number): void;
  /** The pbuf pool's memory (byteOffset 0), the same object for the stack's lifetime. */
  readonly rxMemory: Uint8Array;
  /** The most bytes one frame may have (= PBUF_POOL_BUFSIZE); longer frames are the driver's to drop. */
  readonly rxCapacity: number;
  /** Reserves one free pool pbuf for the next frame and returns the offset in `rxMemory` where the
   *  driver writes it (`rxCapacity` bytes of room), or -1 when the pool is empty: the driver drops
   *  the frame, which the stack has already counted (link.memerr). At most one reservation is open:
   *  a second call before `rxCommit` returns the same offset. */
  rxReserve(): number;
  /** Hands over the frame of `len` bytes written at the reserved offset (the stack processes it
   *  before returning); `len` 0 releases the reservation without counting a frame. A commit with
   *  no reservation open is counted (link.err) and ignored.
   *  `checksumOk` (receive checksum offload, as lwIP's per-netif NETIF_CHECKSUM_CHECK_* flags
   *  turned off frame by frame): the NIC, or the kernel behind a TAP, has verified this frame's TCP
   *  or UDP checksum, or vouches for a frame that never needed one (a virtio "checksum not yet
   *  filled in" frame from the local host), so the stack does not sum it again. Default false: the
   *  stack verifies. The IPv4 header checksum is checked either way. */
  rxCommit(len: number, checksumOk?: boolean): void;
  /**
   * Optional, for drivers whose frames may be longer than one pool pbuf (a TAP handing over a GRO
   * frame: one TCP segment of up to 64 KB; a NIC's large receive offload). Reserves a chain of pool
   * pbufs for a frame of `len` bytes (ETH_HLEN + at most 65535) and returns the offset in
   * `rxMemory` of the first: the frame's first `rxCapacity` bytes go there (the headers with
   * them), the next `rxCapacity` bytes at `rxNextOffset(first)`, and so on, the last pbuf taking
   * the rest. `rxCommit(len)` then hands the frame over as one packet over the chain; `rxCommit(0)`
   * gives every pbuf back. A reservation still open is given back first. The chain never takes the
   * pool's receive reserve (PBUF_RX_RESERVE stays for ACKs and RSTs): -1 when the pool cannot spare
   * the pbufs, or `len` is out of range. Nothing is counted then: the driver falls back (cuts the
   * frame into segments through rxReserve, or drops and counts it).
   */
  rxReserveChain?(len: number): number;
  /** The offset in `rxMemory` of the pbuf after the one at `off` in the chain `rxReserveChain`
   *  reserved, or -1 after the last (or when `off` is not a pool pbuf's). */
  rxNextOffset?(off: number): number;
  /** A burst of received frames begins: the driver is about to hand over every frame it has
   *  waiting (a ring drained, up to 64 reads of a TAP) and calls `rxBurstEnd()` after the last.
   *  The stack then answers the burst as a whole where it may (one ACK per burst, as for a GRO
   *  super-packet: TCP_ACK_PER_BURST). Optional for drivers: one that never calls the pair gets
   *  the per-frame behaviour. Pairs may nest (a driver looping frames back inside `transmit()`). */
  rxBurstBegin(): void;
  /** The burst `rxBurstBegin()` opened has ended; the stack sends what it deferred before returning. */
  rxBurstEnd(): void;
  /** Link came up or went down. */
  linkChanged(up: boolean): void;
}

export interface NetDriver {
  /** Our MAC address, 6 bytes. */
  readonly mac: Uint8Array;
  /** Largest IPv4 packet the link carries (1500 on Ethernet and Wi-Fi). */
  readonly mtu: number;
  isLinkUp(): boolean;
  /** Sends one frame of `totLen` bytes. The driver copies (or finishes with) the bytes before it
   *  returns: the stack reuses the memory afterwards. False when the frame was dropped. */
  transmit(frame: FrameChain, totLen: number): boolean;
  /** Registers the stack that receives this driver's frames. */
  attach(sink: FrameSink): void;
  /**
   * Optional transmit checksum offload for TCP (lwIP's NETIF_CHECKSUM_GEN_TCP turned off, the NIC
   * generating it instead). When true, every TCP segment the stack sends carries in its checksum
   * field the sum of the RFC 9293 §3.1 pseudo-header only (folded to 16 bits, not complemented: the
   * partial checksum of virtio's VIRTIO_NET_HDR_F_NEEDS_CSUM and of Linux's CHECKSUM_PARTIAL), and
   * the driver has the NIC (or the kernel) add the header and data from the TCP header on and
   * store the complement. Absent or false: the stack sends complete checksums. Read once, when the
   * stack starts. TCP segments never leave in IPv4 fragments (DF, MSS), so the partial sum always
   * travels with the whole segment.
   */
  readonly txChecksumOffload?: boolean;
  /**
   * Optional TCP segmentation offload (a NIC's TSO; lwIP has none). When true, and with
   * txChecksumOffload, TCP may hand `transmit()` one TCP/IPv4 frame longer than the MTU that stands
   * for several consecutive full-sized segments of one connection: a chain whose first element
   * holds the Ethernet, IPv4 and TCP headers and the first segment's payload, and every further
   * element the payload of one more segment, all of the first's payload size (the segment size, the
   * connection's MSS) but the last, which may be shorter. The IPv4 total length and the TCP
   * checksum field's pseudo-header sum are those of the whole frame. The driver (or its NIC) cuts it
   * into segments of that size: the headers copied in front of each, the IPv4 length,
   * identification and checksum and the TCP sequence number set per segment, PSH on the last only,
   * each TCP checksum completed. Retransmissions always go one segment at a time. Absent or false:
   * every frame fits the MTU. Read once, when the stack starts.
   */
  readonly txTcpSegmentation?: boolean;
  /** Optional: lets the Ethernet group address `mac` (an IPv4 multicast group, RFC 1112 §6.4)
   *  through the hardware filter (`add`), or stops it. Drivers that deliver every group frame
   *  anyway (TAP, the mock wire) leave it out. */
  setMulticastFilter?(mac: Uint8Array, add: boolean): void;
}

/** Monotonic milliseconds. Only differences matter; the stack handles wrap-around of 32-bit tick
 *  counters by keeping times as plain numbers the HAL makes monotonic. */
export interface Clock {
  now(): number;
}

export interface RandomSource {
  /** An unsigned 32-bit random number (for initial sequence numbers, ephemeral ports, ISN keys). */
  nextU32(): number;
}

/** Calls `tick` with the clock's time whenever the deadline the previous tick returned
 *  (Stack.nextDeadline) has come, or sooner when a frame arrives or the application queues work. */
export interface Scheduler {
  start(tick: (now: number) => number | void): void;
  stop(): void;
}

export interface Hal {
  driver: NetDriver;
  clock: Clock;
  random: RandomSource;
  /**
   * Optional native Internet checksum (RFC 1071): adds the `len` bytes of `buf` from `off` (relative
   * to the Uint8Array) as big-endian 16-bit words, a trailing odd byte being the high byte of a word,
   * to the partial sum `initial` (a non-negative integer below 2^31), and returns the sum folded to
   * 16 bits with end-around carry, NOT complemented. When present, every range of bytes the stack
   * sums (IPv4 headers, TCP, UDP and ICMP data) goes through it; absent, the stack sums in
   * JavaScript. Headers TCP sends from its per-connection templates (TCP_HDR_TEMPLATE) are not
   * summed again: their fixed part was summed once, and the fields that change are added
   * arithmetically (RFC 1624).
   */
  checksum?(buf: Uint8Array, off: number, len: number, initial: number): number;
  /**
   * Optional: the memory the pbuf pool lives in, at least `bytes` bytes (on XS it may be a host
   * buffer in native RAM or PSRAM, so that the pool stays out of the XS chunk heap). Called once,
   * by the Stack constructor. Absent: the pool allocates an ArrayBuffer.
   */
  poolMemory?(bytes: number): ArrayBufferLike;
}
