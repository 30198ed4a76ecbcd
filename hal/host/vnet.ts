/**
 * The virtio-net header a TAP opened with IFF_VNET_HDR puts in front of every frame, both ways
 * (struct virtio_net_hdr in linux/virtio_net.h, 10 bytes; the 16-bit fields in the host's byte
 * order for a TAP, which is little-endian on every machine this runs on):
 *
 *   0 flags         NEEDS_CSUM (1): the checksum at csum_start + csum_offset is not filled in yet,
 *                   the field holds the pseudo-header sum; DATA_VALID (2): the checksum was verified
 *   1 gso_type      0 for a plain frame (we never ask for TSO/GSO, so anything else is refused)
 *   2 hdr_len       4 gso_size     6 csum_start    8 csum_offset
 *
 * This is how a NIC with checksum offload talks to its driver, and what the stack's receive and
 * transmit offload hooks mirror (FrameSink.rxCommit's `checksumOk`, NetDriver.txChecksumOffload;
 * lwIP's per-netif NETIF_CHECKSUM_CHECK_* / NETIF_CHECKSUM_GEN_* flags). With TUNSETOFFLOAD(TUN_F_CSUM)
 * the kernel hands us its own TCP segments with NEEDS_CSUM, and frames it received from a NIC that
 * verified them with DATA_VALID; on the way in, the kernel takes our NEEDS_CSUM TCP segments without
 * summing them when it delivers them locally (and completes the sum when it forwards them).
 */

export const VNET_HDR_LEN = 10;
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
/** TUNSETOFFLOAD flag (linux/if_tun.h): the kernel may hand us frames with NEEDS_CSUM. */
export const TUN_F_CSUM = 0x01;
/** TUNSETOFFLOAD flag: the kernel may hand us TCP/IPv4 frames of up to 64 KB (VIRTIO_NET_HDR_GSO_TCPV4). */
export const TUN_F_TSO4 = 0x02;
export const VIRTIO_NET_HDR_GSO_TCPV4 = 1;

/** vnetRxVerdict results. */
export const VNET_RX_BAD = -1;
/** The stack verifies the checksum itself (no flag, or a partial sum the driver completed). */
export const VNET_RX_PLAIN = 0;
/** The TCP/UDP checksum is vouched for: rxCommit(len, true). */
export const VNET_RX_CSUM_OK = 1;

const ETH_HLEN = 14;

/** RFC 1071: `initial` plus the big-endian 16-bit words of buf[start..end) (a trailing odd byte is
 *  the high byte of a word), folded to 16 bits, not complemented. */
export function onesSum(buf: Uint8Array, start: number, end: number, initial: number): number {
  let s = initial;
  let i = start;
  for (; i + 1 < end; i += 2) s += (buf[i] << 8) | buf[i + 1];
  if (i < end) s += buf[i] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** Writes the header checksum of the IPv4 header of `ihl` bytes at `ip` (RFC 791). */
export function setIpv4Checksum(b: Uint8Array, ip: number, ihl: number): void {
  b[ip + 10] = 0;
  b[ip + 11] = 0;
  const s = ~onesSum(b, ip, ip + ihl, 0) & 0xffff;
  b[ip + 10] = s >>> 8;
  b[ip + 11] = s & 0xff;
}

/**
 * What the received header `h` says about the frame of `len` bytes at `buf[off..]`: VNET_RX_BAD
 * (a GSO type or flag we never asked for, checksum offsets outside the frame: the caller drops and
 * counts it), VNET_RX_CSUM_OK (DATA_VALID, or NEEDS_CSUM on the TCP or UDP checksum field of an
 * IPv4 packet: the local kernel's own segment, whose data it vouches for), or VNET_RX_PLAIN. A
 * NEEDS_CSUM anywhere else (say an ICMP message) is completed here, so that the stack's own check
 * sees a finished checksum.
 */
export function vnetRxVerdict(h: Uint8Array, buf: Uint8Array, off: number, len: number): number {
  const flags = h[0];
  if (h[1] !== 0 || (flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)) !== 0) return VNET_RX_BAD;
  if ((flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0) {
    const start = h[6] | (h[7] << 8);
    const field = start + (h[8] | (h[9] << 8));
    if (start < ETH_HLEN || field + 2 > len) return VNET_RX_BAD;
    if (len >= ETH_HLEN + 20 && buf[off + 12] === 0x08 && buf[off + 13] === 0x00
      && start === ETH_HLEN + ((buf[off + ETH_HLEN] & 0x0f) << 2)) {
      const proto = buf[off + ETH_HLEN + 9];
      if ((proto === 6 && field === start + 16) || (proto === 17 && field === start + 6)) return VNET_RX_CSUM_OK;
    }
    // RFC 1071 over [start, len) with the field's partial sum in it, the complement stored there
    const sum = ~onesSum(buf, off + start, off + len, 0) & 0xffff;
    buf[off + field] = sum >>> 8;
    buf[off + field + 1] = sum & 0xff;
    return VNET_RX_PLAIN;
  }
  return (flags & VIRTIO_NET_HDR_F_DATA_VALID) !== 0 ? VNET_RX_CSUM_OK : VNET_RX_PLAIN;
}

/**
 * Fills `h` for a frame we send whose first bytes are `buf[off..off+firstLen)` (headers are always
 * in the first pbuf): NEEDS_CSUM on the TCP checksum of an IPv4 TCP segment when `offload` (the
 * stack wrote the pseudo-header sum there: NetDriver.txChecksumOffload), else a plain header.
 */
export function vnetTxHeader(h: Uint8Array, buf: Uint8Array, off: number, firstLen: number, offload: boolean): void {
  // (ten stores: TypedArray.prototype.fill is a runtime call in V8, per frame here)
  for (let i = 0; i < VNET_HDR_LEN; i++) h[i] = 0;
  if (!offload || firstLen < ETH_HLEN + 20 || buf[off + 12] !== 0x08 || buf[off + 13] !== 0x00
    || buf[off + ETH_HLEN + 9] !== 6) return;
  const start = ETH_HLEN + ((buf[off + ETH_HLEN] & 0x0f) << 2);
  h[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  h[6] = start & 0xff;
  h[7] = start >>> 8;
  h[8] = 16;
}
