/**
 * Linux TAP driver: the stack's Ethernet port is a TAP interface the kernel sees as a NIC, so the
 * kernel's ping, nc and sockets (or a bridge to a real LAN) are its peers.
 *
 * How the TAP is opened, and why: attaching a /dev/net/tun descriptor to a named TAP needs
 * ioctl(TUNSETIFF), which Node cannot issue. A ~250-line C addon (hal/host/native/tap.c, plain
 * Node-API, no npm dependency) does the open + ioctl and nothing else the kernel would not do for
 * `fs`; `npm ci` builds it with the node-gyp that ships with npm (package.json "install"). The npm
 * packages that wrap TUN/TAP are either unmaintained, TUN-only, or pull in a build of their own with
 * more code than this file. When the addon is missing (no compiler on the machine), `openTap` falls
 * back to a socat bridge: socat opens the TAP and forwards each frame as one UDP datagram to a
 * UdpTunnelDriver on 127.0.0.1 — the same framing as `--udp`, one process hop more per frame.
 *
 * Reading frames (measured, see README.md "How the TAP is opened, and why"):
 *  - 'poll' (default): the descriptor is non-blocking; libuv watches it (uv_poll) and on readiness
 *    the JS thread reads every waiting frame with one read() each straight into a pool pbuf the
 *    stack reserved (FrameSink.rxReserve / rxCommit: the kernel's copy is the only one). No thread
 *    hand-off, frames stay in order, no allocation per frame. With the pool empty the frame is read
 *    into a buffer of our own and dropped (the stack has counted it), as a NIC out of descriptors.
 *    The old path (read into our buffer, Netif.receiveFrame copies) is `intoPool: false`.
 *  - 'threadpool': a blocking descriptor read with fs.read in Node's libuv threadpool, one read in
 *    flight. Kept for comparison (and for a system whose libuv cannot poll the descriptor).
 * Writing is a synchronous write() of the frame (fs.writeSync, or one copy into a scratch buffer
 * first when the frame is a chain of pbufs): a TAP write never blocks, the kernel queues or drops.
 *
 * Offload (default; `offload: false` or XS_TCP_TAP_OFFLOAD=off for none, see README.md "Side by side
 * with lwIP"): the descriptor carries a virtio-net header per frame (vnet.ts). Received frames come
 * with the kernel's word on their TCP/UDP checksum (rxCommit's `checksumOk`), and with TUN_F_TSO4 as
 * GSO frames of up to 64 KB, read aside and cut into pool pbufs (gso.ts splitGso); the stack sends
 * partial TCP checksums (txChecksumOffload) and the segments it sends while answering a burst, or
 * during a tick (txBatchBegin/End), are gathered into GSO frames (gso.ts GsoGather).
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FrameChain, FrameSink, NetDriver } from '../../src/hal.js';
import { randomMac } from './random.js';
import { newDriverStats, type HostDriver, type HostDriverStats } from './driver.js';
import { UdpTunnelDriver, freeUdpPort } from './udp.js';
import { GsoGather, splitGso, chainGso, GRO_CHAIN_TAKEN, GRO_CHAIN_BAD, type ByteCopy, type ChainSink, type PieceFn } from './gso.js';
import { VNET_HDR_LEN, VIRTIO_NET_HDR_F_NEEDS_CSUM, TUN_F_CSUM, TUN_F_TSO4, VIRTIO_NET_HDR_GSO_TCPV4, VNET_RX_BAD, VNET_RX_CSUM_OK, VNET_RX_PLAIN, vnetRxVerdict, vnetTxHeader } from './vnet.js';
import { spawn, type ChildProcess } from 'node:child_process';

/** The addon's functions (hal/host/native/tap.c). */
export interface TapAddon {
  open(name: string, nonblock: boolean, vnet?: boolean): number;
  read(fd: number, buf: Uint8Array, off: number, len: number): number;
  write(fd: number, buf: Uint8Array, off: number, len: number): number;
  /** IFF_VNET_HDR descriptors: the virtio-net header into/from `hdr`, the frame at buf[off]. */
  readv?(fd: number, hdr: Uint8Array, buf: Uint8Array, off: number, len: number): number;
  writev?(fd: number, hdr: Uint8Array, buf: Uint8Array, off: number, len: number): number;
  /** TUNSETOFFLOAD: 0 or -errno. */
  offload?(fd: number, flags: number): number;
  /** memcpy between two Uint8Arrays: n, or -EINVAL. */
  copy?(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number): number;
  /** One segment of a GSO frame into the pool (gso.ts PieceFn): 0, or -EINVAL. */
  piece?: PieceFn;
  poll(fd: number, cb: () => void): unknown;
  pollStop(handle: unknown): void;
}

const ADDON_FILE = 'xs_tcp_tap.node';
const EAGAIN = 11;
/** An Ethernet header and the largest IPv4 packet: the most a GSO frame from the kernel can hold. */
const ETH_MAX_GSO = 14 + 65535;
const ETH_HLEN = 14;

let addonCache: TapAddon | null | undefined;
let addonError = '';

/** Loads the addon: $XS_TCP_TAP_ADDON, else hal/host/native/build/Release/ found by walking up from
 *  this module (it runs from dist/hal/host/ in the package). Null (with `tapAddonError()`) if absent. */
export function loadTapAddon(): TapAddon | null {
  if (addonCache !== undefined) return addonCache;
  const require = createRequire(import.meta.url);
  const candidates: string[] = [];
  if (process.env.XS_TCP_TAP_ADDON) candidates.push(process.env.XS_TCP_TAP_ADDON);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    candidates.push(join(dir, 'native', 'build', 'Release', ADDON_FILE));
    candidates.push(join(dir, 'hal', 'host', 'native', 'build', 'Release', ADDON_FILE));
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  for (const file of candidates) {
    if (!fs.existsSync(file)) continue;
    try {
      addonCache = require(file) as TapAddon;
      return addonCache;
    } catch (e) {
      addonError = 'cannot load ' + file + ': ' + (e as Error).message;
    }
  }
  if (addonError === '') addonError = 'the TAP addon is not built (hal/host/native; `npm ci` builds it with node-gyp)';
  addonCache = null;
  return null;
}

export function tapAddonError(): string {
  loadTapAddon();
  return addonError;
}

/** A TAP that could not be opened: `code` is ENODEV (no such device), EPERM/EACCES (no permission),
 *  EBUSY, EINVAL (not a TAP) or ENOENT (/dev/net/tun missing); the message says what to do. */
export class TapError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'TapError';
    this.code = code;
  }
}

export interface TapOptions {
  /** Our MAC (not the TAP interface's own, which belongs to the kernel side). Default: random,
   *  locally administered. */
  mac?: Uint8Array;
  /** IPv4 MTU. Default 1500. */
  mtu?: number;
  /** How frames are read; see the file comment. Default 'poll'. */
  mode?: 'poll' | 'threadpool';
  /** Most frames read per readiness event before yielding to the event loop (timers, stdin). Default 64. */
  batch?: number;
  /** Poll mode: read() straight into the stack's pool (FrameSink.rxReserve / rxCommit). Default
   *  true; false reads into our own buffer and lets receiveFrame copy (for comparison). */
  intoPool?: boolean;
  /** Checksum offload through a virtio-net header (IFF_VNET_HDR + TUNSETOFFLOAD(TUN_F_CSUM), see
   *  vnet.ts): the kernel tells per frame that a TCP/UDP checksum is verified or need not be, and
   *  completes our TCP checksums (NetDriver.txChecksumOffload). Poll mode reading into the pool
   *  only. Default true; XS_TCP_TAP_OFFLOAD=off in the environment turns it off. */
  offload?: boolean;
  /** With offload: gather the TCP segments the stack sends while answering a burst of received
   *  frames into one GSO frame per connection (gso.ts). Default true; XS_TCP_TAP_GSO=off turns it off. */
  gso?: boolean;
  /** With offload: let the kernel hand us TCP frames of up to 64 KB (TUN_F_TSO4), cut back into
   *  segments here (gso.ts splitGso). Default true; XS_TCP_TAP_GRO=off turns it off. */
  gro?: boolean;
  /** With gro: hand each GSO frame to the stack whole, as ONE TCP segment over a chain of pool
   *  pbufs (gso.ts chainGso, FrameSink.rxReserveChain), instead of cutting it into segments; cut
   *  only when the pool cannot spare the chain. Default true; XS_TCP_TAP_GRO_CHAIN=off cuts always. */
  groChain?: boolean;
  /** With offload: declare TCP segmentation offload (NetDriver.txTcpSegmentation): TCP hands us
   *  several segments as one frame over a pbuf chain, written as one GSO frame. Default true;
   *  XS_TCP_TAP_TSO=off turns it off (the gathering of `gso` still applies). */
  tso?: boolean;
  /** With gso: most segments gathered into one frame (1..44). Default 44 (64 KB); XS_TCP_TAP_GSO_SEGS. */
  gsoSegs?: number;
  /** Poll mode into the pool: after a burst whose answer was written, read again at once up to this
   *  many times before going back to poll (see drainIntoPool). Default 0 (measured: the kernel's answer is rarely there yet); XS_TCP_TAP_REPOLL. */
  repoll?: number;
  /** The addon to use instead of the built one (tests drive the driver with a fake descriptor). */
  addon?: TapAddon;
}

/** A small non-negative integer from the environment, `dflt` when unset or not a number, at most `max`. */
function envCount(name: string, dflt: number, max: number): number {
  const v = process.env[name];
  if (v === undefined || v === '' || !/^[0-9]+$/.test(v)) return dflt;
  const n = Number(v);
  return n > max ? max : n;
}

function interfaceExists(name: string): boolean {
  return fs.existsSync('/sys/class/net/' + name);
}

function checkTapName(name: string): void {
  if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(name)) throw new TapError('EINVAL', "bad TAP name '" + name + "' (1..15 characters)");
}

export class TapDriver implements HostDriver {
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly name: string;
  readonly stats = newDriverStats();
  readonly description: string;
  onBurst: (() => void) | null = null;
  /** HostDriver.burstDrains: poll mode calls onBurst once per drain of the descriptor. */
  readonly burstDrains: boolean;
  private readonly addon: TapAddon;
  private fd: number;
  private sink: FrameSink | null = null;
  private readonly mode: 'poll' | 'threadpool';
  private readonly batch: number;
  /** TapOptions.repoll. */
  private readonly repoll: number;
  private readonly intoPool: boolean;
  /** The descriptor carries a virtio-net header per frame (TapOptions.offload). */
  private readonly vnet: boolean;
  /** NetDriver.txChecksumOffload: the stack writes partial TCP checksums, the kernel completes them. */
  readonly txChecksumOffload: boolean;
  /** NetDriver.txTcpSegmentation (TapOptions.tso). */
  readonly txTcpSegmentation: boolean;
  /** The virtio-net header of the frame being read, and of the frame being written. */
  private readonly vrx = new Uint8Array(VNET_HDR_LEN);
  private readonly vtx = new Uint8Array(VNET_HDR_LEN);
  /** Segmentation offload on transmit (TapOptions.gso), or null. */
  readonly gso: GsoGather | null;
  /** Inside a received burst or a txBatchBegin/End pair (count): transmitted TCP segments are
   *  gathered, written when the outermost ends. */
  private gathering = 0;
  /** The kernel may send us GSO frames (TapOptions.gro): frames are read into `rx`, then cut. */
  private readonly gro: boolean;
  /** GSO frames go to the stack whole, over a pbuf chain (TapOptions.groChain). */
  private readonly groChain: boolean;
  private readonly vwrite = (h: Uint8Array, b: Uint8Array, off: number, len: number): number =>
    (this.addon.writev as NonNullable<TapAddon['writev']>)(this.fd, h, b, off, len);
  /** Receive buffer: one frame at a time; the stack copies it into a pool pbuf before returning
   *  (threadpool mode, `intoPool: false`), or a frame dropped for want of a pool pbuf lands here. */
  private readonly rx: Buffer;
  /** Transmit scratch for frames that arrive as a chain of several pbufs. */
  private readonly tx: Buffer;
  private pollHandle: unknown = null;
  private reading = false;
  private closed = false;
  private readonly onReadable = (): void => this.drain();

  /** Opens the existing TAP `name` with the addon; throws TapError (see its doc). */
  constructor(name: string, opts: TapOptions = {}) {
    checkTapName(name);
    const addon = opts.addon ?? loadTapAddon();
    if (addon === null) throw new TapError('ENOADDON', tapAddonError());
    this.addon = addon;
    this.name = name;
    this.mode = opts.mode ?? 'poll';
    this.burstDrains = this.mode === 'poll';
    this.batch = opts.batch ?? 64;
    this.repoll = opts.repoll ?? envCount('XS_TCP_TAP_REPOLL', 0, 64);
    this.intoPool = opts.intoPool ?? true;
    this.vnet = (opts.offload ?? process.env.XS_TCP_TAP_OFFLOAD !== 'off') && this.mode === 'poll' && this.intoPool
      && typeof addon.readv === 'function' && typeof addon.writev === 'function' && typeof addon.offload === 'function'
      && typeof addon.copy === 'function' && typeof addon.piece === 'function';
    this.mtu = opts.mtu ?? 1500;
    this.mac = opts.mac ?? randomMac();
    // Room for a frame at the MTU plus Ethernet header, a VLAN tag and slack for offload-free jumbo
    // frames the kernel may still send us (it does not, with IFF_NO_PI and the default MTU).
    this.rx = Buffer.alloc(ETH_MAX_GSO);
    this.tx = Buffer.alloc(65536);
    try {
      this.fd = addon.open(name, this.mode === 'poll', this.vnet);
    } catch (e) {
      const err = e as Error & { code?: string };
      throw new TapError(err.code ?? 'EIO', err.message);
    }
    // Without TUN_F_CSUM the kernel finishes its checksums before handing frames over (still
    // marking NIC-verified ones DATA_VALID); it takes our partial ones either way.
    const gro = this.vnet && (opts.gro ?? process.env.XS_TCP_TAP_GRO !== 'off');
    this.gro = gro && (addon.offload as (fd: number, flags: number) => number)(this.fd, TUN_F_CSUM | TUN_F_TSO4) === 0;
    this.groChain = this.gro && (opts.groChain ?? process.env.XS_TCP_TAP_GRO_CHAIN !== 'off');
    if (this.vnet && !this.gro) (addon.offload as (fd: number, flags: number) => number)(this.fd, TUN_F_CSUM);
    this.txChecksumOffload = this.vnet;
    this.txTcpSegmentation = this.vnet && (opts.tso ?? process.env.XS_TCP_TAP_TSO !== 'off');
    this.gso = this.vnet && (opts.gso ?? process.env.XS_TCP_TAP_GSO !== 'off') ? new GsoGather(addon.copy as ByteCopy, opts.gsoSegs ?? envCount('XS_TCP_TAP_GSO_SEGS', 44, 44)) : null;
    this.description = 'tap ' + name + ' (' + this.mode + (this.vnet ? ', checksum offload' : '') + ')';
  }

  isLinkUp(): boolean {
    return !this.closed;
  }

  attach(sink: FrameSink): void {
    this.sink = sink;
    if (this.mode === 'poll') {
      if (this.pollHandle === null) this.pollHandle = this.addon.poll(this.fd, this.onReadable);
    } else if (!this.reading) {
      this.reading = true;
      this.readAsync();
    }
  }

  transmit(frame: FrameChain, totLen: number): boolean {
    if (this.closed) return false;
    if (frame.next !== null && totLen > this.mtu + ETH_HLEN && this.txTcpSegmentation) return this.transmitTso(frame, totLen);
    let buf: Uint8Array;
    let off: number;
    if (frame.next === null) {
      buf = frame.buf;
      off = frame.off;
    } else {
      if (totLen > this.tx.length) { this.stats.txErrors++; return false; }
      let pos = 0;
      for (let q: FrameChain | null = frame; q !== null && pos < totLen; q = q.next) {
        const n = q.len < totLen - pos ? q.len : totLen - pos;
        this.tx.set(q.buf.subarray(q.off, q.off + n), pos);
        pos += n;
      }
      buf = this.tx;
      off = 0;
    }
    const gso = this.gso;
    if (this.gathering > 0 && gso !== null) {
      if (gso.add(buf, off, totLen)) {
        this.stats.txFrames++;
        this.stats.txBytes += totLen;
        return true;
      }
      this.flushGso();
      if (gso.add(buf, off, totLen)) {
        this.stats.txFrames++;
        this.stats.txBytes += totLen;
        return true;
      }
    }
    let r: number;
    if (this.vnet) {
      vnetTxHeader(this.vtx, buf, off, frame.next === null ? totLen : frame.len, this.txChecksumOffload);
      r = (this.addon.writev as NonNullable<TapAddon['writev']>)(this.fd, this.vtx, buf, off, totLen);
    } else {
      r = this.addon.write(this.fd, buf, off, totLen);
    }
    if (r !== totLen) { this.stats.txErrors++; return false; }
    this.stats.txFrames++;
    this.stats.txBytes += totLen;
    return true;
  }

  /**
   * A frame TCP built for segmentation offload (NetDriver.txTcpSegmentation): headers and the first
   * segment's payload in the first element, one more segment's payload in each further one. Copied
   * into one buffer and written as one VIRTIO_NET_HDR_GSO_TCPV4 frame, gso_size the first element's
   * payload, for the kernel to cut (what GsoGather writes, without the gathering): what was gathered
   * before it is written first, so frames keep their order. A frame not of that shape is a counted
   * error, never written.
   */
  private transmitTso(frame: FrameChain, totLen: number): boolean {
    const st = this.stats;
    const b = frame.buf;
    const o = frame.off;
    const ihl = (b[o + ETH_HLEN] & 0x0f) << 2;
    const hlen = ETH_HLEN + ihl + ((b[o + ETH_HLEN + ihl + 12] >>> 4) << 2);
    const seg = frame.len - hlen;
    if (totLen > this.tx.length || frame.len < ETH_HLEN + 40 || b[o + 12] !== 0x08 || b[o + 13] !== 0x00
      || b[o + ETH_HLEN + 9] !== 6 || ihl < 20 || seg <= 0) {
      st.txErrors++;
      return false;
    }
    const copy = this.addon.copy as ByteCopy;
    const tx = this.tx;
    let pos = 0;
    let pieces = 0;
    for (let q: FrameChain | null = frame; q !== null; q = q.next) {
      if ((q !== frame && (q.len > seg || (q.next !== null && q.len !== seg))) || pos + q.len > totLen) {
        st.txErrors++;
        return false;
      }
      copy(tx, pos, q.buf, q.off, q.len);
      pos += q.len;
      pieces++;
    }
    if (pos !== totLen) { st.txErrors++; return false; }
    if (this.gso !== null) this.flushGso();
    const h = this.vtx;
    for (let i = 0; i < VNET_HDR_LEN; i++) h[i] = 0;
    h[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h[1] = VIRTIO_NET_HDR_GSO_TCPV4;
    h[2] = hlen;
    h[4] = seg & 0xff;
    h[5] = seg >>> 8;
    h[6] = ETH_HLEN + ihl;
    h[8] = 16;
    if ((this.addon.writev as NonNullable<TapAddon['writev']>)(this.fd, h, tx, 0, totLen) !== totLen) {
      st.txErrors++;
      return false;
    }
    st.txFrames++;
    st.txBytes += totLen;
    st.txGsoFrames++;
    st.txGsoSegs += pieces;
    st.txTsoFrames++;
    return true;
  }

  /** Poll mode: read every waiting frame (up to `batch`), one read() each, as one burst for the
   *  stack (rxBurstBegin/rxBurstEnd: one ACK per burst, TCP_ACK_PER_BURST), then report it. */
  private drain(): void {
    const sink = this.sink;
    if (sink === null || this.closed) return;
    if (this.intoPool) {
      this.drainIntoPool(sink);
      return;
    }
    const rx = this.rx;
    let n = 0;
    // the frames of one drain are one burst for the stack (FrameSink.rxBurstBegin/End)
    sink.rxBurstBegin();
    try {
      while (n < this.batch) {
        const r = this.addon.read(this.fd, rx, 0, rx.length);
        if (r <= 0) {
          if (r !== -EAGAIN && r !== 0) this.stats.rxErrors++;
          break;
        }
        n++;
        this.stats.rxFrames++;
        this.stats.rxBytes += r;
        sink.receiveFrame(rx, 0, r);
        if (this.closed) break;
      }
    } finally {
      sink.rxBurstEnd();
    }
    if (n > 0 && this.onBurst !== null && !this.closed) this.onBurst();
  }

  /** drain() through the one-copy path: read() writes each frame into the pbuf rxReserve gave.
   *  With offload (vnet) readv() puts the virtio-net header aside and its verdict goes with
   *  rxCommit; with GRO every frame is read aside first (it may be longer than a pbuf) and copied
   *  or cut into the pool by deliverGro.
   *
   *  A burst whose answer was written (ACKs, data, a GSO frame) is followed by up to `repoll` more
   *  read passes before going back to poll: writing into the TAP runs the kernel's receive path in
   *  our system call, and what the kernel sends back (its ACK, the next segments a window update
   *  released) may be queued by the time the write returns. Reading it now saves the poll wake-up
   *  and an event-loop turn per round trip (what NAPI does with its budget); a pass that finds
   *  nothing costs one read() that returns EAGAIN. Off by default: measured on a TAP with the
   *  kernel's sockets as peer, 2 % of the re-reads found a frame when TCP sent segment by segment
   *  and 10-14 % with TCP-built GSO frames (the kernel's ACK mostly waits for the receiving process
   *  to read), and chargen was no faster either way (README.md "Side by side with lwIP"). */
  private drainIntoPool(sink: FrameSink): void {
    const st = this.stats;
    let tx = st.txFrames;
    let n = this.readBurst(sink);
    let total = n;
    // again only after a pass that read frames and wrote an answer, at most `repoll` times
    for (let pass = 0; pass < this.repoll && n > 0 && st.txFrames !== tx && !this.closed; pass++) {
      tx = st.txFrames;
      n = this.readBurst(sink);
      st.rxRepolls++;
      if (n > 0) {
        st.rxRepollHits++;
        total += n;
      }
    }
    if (total > 0 && this.onBurst !== null && !this.closed) this.onBurst();
  }

  /** One read pass: every waiting frame (up to `batch`) as one burst for the stack; returns how many. */
  private readBurst(sink: FrameSink): number {
    const mem = sink.rxMemory;
    const cap = sink.rxCapacity;
    const addon = this.addon;
    const fd = this.fd;
    const st = this.stats;
    const vnet = this.vnet;
    const gro = this.gro;
    const vh = this.vrx;
    const readv = addon.readv as NonNullable<TapAddon['readv']>;
    let n = 0;
    // what the stack sends while answering this burst may be gathered (segmentation offload)
    this.gathering++;
    // the frames of one drain are one burst for the stack (FrameSink.rxBurstBegin/End)
    sink.rxBurstBegin();
    try {
      while (n < this.batch) {
        const at = gro ? -1 : sink.rxReserve();
        // pool empty (or GRO): the frame still leaves the kernel's queue (else the poll fires again)
        const r = vnet ? (at >= 0 ? readv(fd, vh, mem, at, cap) : readv(fd, vh, this.rx, 0, this.rx.length))
          : (at >= 0 ? addon.read(fd, mem, at, cap) : addon.read(fd, this.rx, 0, this.rx.length));
        if (r <= 0) {
          if (at >= 0) sink.rxCommit(0);
          // (-EIO with a virtio-net header: a read shorter than it; the poll fires again for the rest)
          if (r !== -EAGAIN && r !== 0) st.rxErrors++;
          break;
        }
        n++;
        st.rxFrames++;
        st.rxBytes += r;
        if (gro) {
          this.deliverGro(sink, r);
        } else if (at >= 0) {
          const v = vnet ? vnetRxVerdict(vh, mem, at, r) : VNET_RX_PLAIN;
          if (v === VNET_RX_BAD) {
            st.rxBadVnet++;
            st.rxErrors++;
            sink.rxCommit(0);
          } else {
            sink.rxCommit(r, v === VNET_RX_CSUM_OK);
          }
        }
        if (this.closed) break;
      }
    } finally {
      sink.rxBurstEnd();
      this.txBatchEnd();
    }
    return n;
  }

  /** One frame read into `rx` with receive offload on: a GSO frame is cut into segments, any
   *  other copied into a pool pbuf; a header we cannot honour is a counted drop. */
  private deliverGro(sink: FrameSink, r: number): void {
    const vh = this.vrx;
    const st = this.stats;
    if (vh[1] === VIRTIO_NET_HDR_GSO_TCPV4) {
      if (this.groChain && sink.rxReserveChain !== undefined) {
        const c = chainGso(vh, this.rx, r, sink as ChainSink, this.addon.copy as ByteCopy);
        if (c === GRO_CHAIN_TAKEN) { st.rxGsoFrames++; st.rxGroChains++; return; }
        if (c === GRO_CHAIN_BAD) { st.rxBadVnet++; st.rxErrors++; return; }
        // the pool cannot spare the chain: cut it, each segment then meets the pool on its own
        st.rxGroChainFallbacks++;
      }
      const k = splitGso(vh, this.rx, r, sink.rxCapacity, sink, this.addon.piece as PieceFn);
      if (k < 0) { st.rxBadVnet++; st.rxErrors++; } else { st.rxGsoFrames++; st.rxGsoSegs += k; }
      return;
    }
    const at = sink.rxReserve();
    if (at < 0) return; // pool empty: counted by the stack
    const v = r <= sink.rxCapacity ? vnetRxVerdict(vh, this.rx, 0, r) : VNET_RX_BAD;
    if (v === VNET_RX_BAD) {
      st.rxBadVnet++;
      st.rxErrors++;
      sink.rxCommit(0);
      return;
    }
    (this.addon.copy as ByteCopy)(sink.rxMemory, at, this.rx, 0, r);
    sink.rxCommit(r, v === VNET_RX_CSUM_OK);
  }

  /** Writes the TCP segments gathered for segmentation offload (gso.ts). */
  private flushGso(): void {
    const gso = this.gso as GsoGather;
    const len = gso.len;
    if (len === 0) return;
    const segs = gso.segs;
    if (gso.flush(this.vwrite) !== len) {
      this.stats.txErrors++;
    } else if (segs > 1) {
      this.stats.txGsoFrames++;
      this.stats.txGsoSegs += segs;
    }
  }

  /** HostDriver.txBatchBegin: gather from here (segmentation offload; nothing without it). */
  txBatchBegin(): void {
    this.gathering++;
  }

  /** HostDriver.txBatchEnd: the outermost end writes what was gathered. */
  txBatchEnd(): void {
    if (this.gathering > 0 && --this.gathering === 0 && this.gso !== null && !this.closed) this.flushGso();
  }

  /** Threadpool mode: one fs.read in flight at a time on the blocking descriptor. */
  private readAsync(): void {
    if (this.closed) return;
    fs.read(this.fd, this.rx, 0, this.rx.length, null, (err, r) => {
      if (this.closed) return;
      if (err) {
        this.stats.rxErrors++;
        if (err.code !== 'EAGAIN' && err.code !== 'EINTR') return; // descriptor gone: stop reading
      } else if (r > 0 && this.sink !== null) {
        this.stats.rxFrames++;
        this.stats.rxBytes += r;
        this.sink.receiveFrame(this.rx, 0, r);
        if (this.onBurst !== null) this.onBurst();
      }
      this.readAsync();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pollHandle !== null) {
      this.addon.pollStop(this.pollHandle);
      this.pollHandle = null;
    }
    // A blocking read in the threadpool returns when the next frame arrives; closing the descriptor
    // under it would let that read hit a reused fd number, so in that mode we leave the fd to exit.
    if (this.mode === 'poll') {
      // the offload settings outlive the descriptor on a persistent TAP: whoever attaches next
      // without a virtio-net header (lwIP's tapif, socat) must get finished checksums again
      if (this.vnet) (this.addon.offload as (fd: number, flags: number) => number)(this.fd, 0);
      try { fs.closeSync(this.fd); } catch { /* already closed */ }
    }
  }
}

/**
 * A TAP served by socat instead of the addon: `socat TUN,tun-name=NAME,tun-type=tap,iff-no-pi
 * UDP-DATAGRAM:127.0.0.1:A,bind=127.0.0.1:B` copies each frame into one UDP datagram, and a
 * UdpTunnelDriver on 127.0.0.1:A is our end. Frames cost one more process hop.
 */
export class SocatTapDriver implements HostDriver {
  readonly udp: UdpTunnelDriver;
  readonly child: ChildProcess;
  readonly description: string;
  get mac(): Uint8Array { return this.udp.mac; }
  get mtu(): number { return this.udp.mtu; }
  get stats(): HostDriverStats { return this.udp.stats; }
  get onBurst(): (() => void) | null { return this.udp.onBurst; }
  set onBurst(f: (() => void) | null) { this.udp.onBurst = f; }

  private constructor(udp: UdpTunnelDriver, child: ChildProcess, name: string) {
    this.udp = udp;
    this.child = child;
    this.description = 'tap ' + name + ' (socat bridge, pid ' + String(child.pid) + ')';
  }

  static async open(name: string, opts: TapOptions = {}): Promise<SocatTapDriver> {
    checkTapName(name);
    if (!interfaceExists(name)) {
      throw new TapError('ENODEV', "no such device: network interface '" + name + "' does not exist (create it once with: "
        + 'sudo ip tuntap add dev ' + name + ' mode tap user $USER && sudo ip link set ' + name + ' up)');
    }
    if (!fs.existsSync('/sys/class/net/' + name + '/tun_flags')) {
      throw new TapError('EINVAL', "'" + name + "' exists but is not a TUN/TAP device");
    }
    // socat's end gets a port we pick (free a moment ago); ours is bound first and sends there.
    const socatPort = await freeUdpPort();
    const udp = await UdpTunnelDriver.open({ localPort: 0, remoteHost: '127.0.0.1', remotePort: socatPort, mac: opts.mac, mtu: opts.mtu });
    const child = spawn('socat', ['-b', '65536',
      'TUN,tun-name=' + name + ',tun-type=tap,iff-no-pi',
      'UDP-DATAGRAM:127.0.0.1:' + udp.localPort + ',bind=127.0.0.1:' + socatPort], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const failed = await new Promise<string | null>((resolve) => {
      const t = setTimeout(() => resolve(null), 300);
      child.once('error', (e) => { clearTimeout(t); resolve('cannot run socat: ' + e.message); });
      child.once('exit', (code) => { clearTimeout(t); resolve('socat exited (' + String(code) + '): ' + stderr.trim()); });
    });
    if (failed !== null) {
      await udp.close();
      const code = /Permission|not permitted/i.test(failed) ? 'EPERM' : /busy/i.test(failed) ? 'EBUSY' : 'EIO';
      throw new TapError(code, "cannot open TAP '" + name + "' through socat: " + failed);
    }
    child.once('exit', () => { void udp.close(); });
    return new SocatTapDriver(udp, child, name);
  }

  isLinkUp(): boolean { return this.udp.isLinkUp(); }
  attach(sink: FrameSink): void { this.udp.attach(sink); }
  transmit(frame: FrameChain, totLen: number): boolean {
    return this.udp.transmit(frame, totLen);
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.pid !== undefined) {
      const done = new Promise<void>((r) => this.child.once('exit', () => r()));
      this.child.kill('SIGTERM');
      await Promise.race([done, new Promise<void>((r) => setTimeout(r, 1000))]);
    }
    await this.udp.close();
  }
}

/** Opens the TAP `name`: with the addon when it is built, else through socat. Throws TapError.
 *  XS_TCP_TAP_DRIVER=socat in the environment forces the socat bridge (=addon forbids it). */
export async function openTap(name: string, opts: TapOptions = {}): Promise<HostDriver> {
  const choice = process.env.XS_TCP_TAP_DRIVER;
  // XS_TCP_TAP_RX=copy: the receiveFrame path, to compare with reading into the pool
  if (opts.intoPool === undefined && process.env.XS_TCP_TAP_RX === 'copy') opts = { ...opts, intoPool: false };
  if (choice !== 'socat' && loadTapAddon() !== null) return new TapDriver(name, opts);
  if (choice === 'addon') throw new TapError('ENOADDON', tapAddonError());
  return SocatTapDriver.open(name, opts);
}
