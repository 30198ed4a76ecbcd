/**
 * Packet buffers in the manner of lwIP's pbuf.c, with no allocation after start-up.
 *
 * All pool pbufs live in ONE ArrayBuffer (`PbufPool.mem`), each owning a fixed slot of
 * PBUF_POOL_BUFSIZE bytes; the Pbuf objects themselves are created once by the pool's constructor and
 * recycled through a free stack. Copies between pool pbufs therefore use `copyWithin` inside one
 * Uint8Array (cheap, allocation-free on XS); a DataView over the same memory reads and writes header fields.
 *
 * PBUF_REF pbufs carry no payload memory: they point at bytes the application owns (tcp_write
 * without TCP_WRITE_FLAG_COPY) and come from a separate, smaller pool of headers.
 *
 * Misuse — freeing a pbuf twice, or a reference count that would underflow — is detected, counted
 * in `stats.doubleFree`, and leaves the pool intact.
 */
import { PBUF_LINK_HLEN, PBUF_IP_HLEN, PBUF_TRANSPORT_HLEN } from './config.js';
import { ByteCopier, COPY_SCRATCH_BYTES, copyByteLoop } from './bytecopy.js';
import { chksumChain, swap16, type InetSum } from './checksum.js';

export { ByteCopier, COPY_SCRATCH_BYTES } from './bytecopy.js';

/** Layers: how much headroom the first pbuf of a chain keeps in front of the payload (lwIP pbuf_layer). */
export const PBUF_RAW = 0;
export const PBUF_LINK = 1;
export const PBUF_IP = 2;
export const PBUF_TRANSPORT = 3;
export type PbufLayer = 0 | 1 | 2 | 3;

/** Types (lwIP pbuf_type). PBUF_RAM is served from the pool here: there is no heap to take it from. */
export const PBUF_POOL = 1;
export const PBUF_RAM = 2;
export const PBUF_REF = 3;
export type PbufType = 1 | 2 | 3;

/** pbuf flags. */
export const PBUF_FLAG_PUSH = 0x01;
/** A received frame whose TCP/UDP checksum the NIC (or the kernel behind a TAP) has verified
 *  (FrameSink.rxCommit's `checksumOk`): TCP and UDP input skip their own check. */
export const PBUF_FLAG_CSUM_OK = 0x02;

export function pbufLayerOffset(layer: PbufLayer): number {
  switch (layer) {
    case PBUF_LINK: return PBUF_LINK_HLEN;
    case PBUF_IP: return PBUF_LINK_HLEN + PBUF_IP_HLEN;
    case PBUF_TRANSPORT: return PBUF_TRANSPORT_HLEN;
    default: return 0;
  }
}

/**
 * Pbuf metadata lives in one Int32Array per pool (`PbufPool.meta`), PB_STRIDE entries per pbuf, at
 * the field indices below; a Pbuf object is only a handle (its index; its pool is on a prototype
 * the pool's handles share), created once by the pool. The getters and setters keep the lwIP-shaped API (`p.len`, `p.next`, `p.totLen` ...) for
 * applications and for code off the per-segment path; the per-segment functions of this file read
 * and write `meta` directly, which costs XS a few computrons per field instead of a call.
 * Why: a Pbuf with 13 own properties is 14 XS heap slots; a handle is 2 (and the Int32Array is
 * chunk memory, 24 bytes a pbuf).
 */
export const PB_OFF = 0;
/** Payload bytes in this pbuf. */
export const PB_LEN = 1;
/** Payload bytes in this pbuf and all that follow it in the chain. */
export const PB_TOTLEN = 2;
/** Index of the next pbuf in the chain, -1 for none. */
export const PB_NEXT = 3;
/** Reference count; 0 while the pbuf sits in its pool. */
export const PB_REF = 4;
export const PB_FLAGS = 5;
export const PB_STRIDE = 6;

export class Pbuf {
  /** The pbuf's pool. Handles are made by their pool only (PbufPool's constructor), over a
   *  prototype of the pool's own that carries this property: a handle's one own property is its
   *  index (2 XS slots a pbuf instead of 3). */
  declare readonly pool: PbufPool;
  /** Index in its pool: pool pbufs first (0 .. count-1), then the REF headers. */
  declare readonly index: number;
  /** The memory holding the payload: the pool's `mem` for pool pbufs, the owner's array for REF. */
  get buf(): Uint8Array {
    const pool = this.pool;
    return this.index < pool.count ? pool.mem : pool.refBufs[this.index - pool.count];
  }
  set buf(b: Uint8Array) {
    const pool = this.pool;
    if (this.index >= pool.count) pool.refBufs[this.index - pool.count] = b;
  }
  get type(): PbufType { return this.index < this.pool.count ? PBUF_POOL : PBUF_REF; }
  /** First byte of this pbuf's slot in `buf` (pool pbufs); headers may be pushed down to it. */
  get base(): number { return this.index < this.pool.count ? this.index * this.pool.bufsize : 0; }
  /** Slot size in bytes (pool pbufs); 0 for REF. */
  get cap(): number { return this.index < this.pool.count ? this.pool.bufsize : 0; }
  /** Offset of the payload's first byte in `buf`. */
  get off(): number { return this.pool.meta[this.index * PB_STRIDE + PB_OFF]; }
  set off(v: number) { this.pool.meta[this.index * PB_STRIDE + PB_OFF] = v; }
  get len(): number { return this.pool.meta[this.index * PB_STRIDE + PB_LEN]; }
  set len(v: number) { this.pool.meta[this.index * PB_STRIDE + PB_LEN] = v; }
  get totLen(): number { return this.pool.meta[this.index * PB_STRIDE + PB_TOTLEN]; }
  set totLen(v: number) { this.pool.meta[this.index * PB_STRIDE + PB_TOTLEN] = v; }
  get next(): Pbuf | null {
    const n = this.pool.meta[this.index * PB_STRIDE + PB_NEXT];
    return n < 0 ? null : this.pool.handles[n];
  }
  /** Chains only pbufs of the same pool (every chain the stack builds is). */
  set next(q: Pbuf | null) { this.pool.meta[this.index * PB_STRIDE + PB_NEXT] = q === null ? -1 : q.index; }
  get ref(): number { return this.pool.meta[this.index * PB_STRIDE + PB_REF]; }
  set ref(v: number) { this.pool.meta[this.index * PB_STRIDE + PB_REF] = v; }
  get flags(): number { return this.pool.meta[this.index * PB_STRIDE + PB_FLAGS]; }
  set flags(v: number) { this.pool.meta[this.index * PB_STRIDE + PB_FLAGS] = v; }
}

export interface PoolStats {
  /** Objects in the pool. */
  avail: number;
  /** Objects taken now. */
  used: number;
  /** Most objects ever taken at once. */
  max: number;
  /** Allocations that failed because the pool was empty. */
  err: number;
  /** Frees of an object that was not taken (double free, refcount underflow). */
  illegal: number;
}

function newPoolStats(avail: number): PoolStats {
  return { avail, used: 0, max: 0, err: 0, illegal: 0 };
}

const EMPTY = new Uint8Array(0);

export class PbufPool {
  /** One ArrayBuffer for all pool pbufs. */
  readonly mem: Uint8Array;
  /** A DataView over the same memory (byteOffset 0): big-endian header fields of 16 and 32 bits
   *  read and written in one call each instead of two or four byte accesses (XS charges a byte
   *  access about as much as the whole call). */
  readonly view: DataView;
  /** Copies between pool memory and other arrays (driver buffers, application data) without
   *  allocating: word copies and a scratch area that follows the pbufs in the same ArrayBuffer. */
  readonly copier: ByteCopier;
  readonly bufsize: number;
  /** Pool pbufs (their indices are 0 .. count-1; REF headers follow). */
  readonly count: number;
  /** Pool pbufs that only `allocRx` may take (see StackConfig.PBUF_RX_RESERVE). */
  readonly reserve: number;
  readonly pool: PoolStats;
  readonly refPool: PoolStats;
  /** Every pbuf's metadata, PB_STRIDE entries each (see PB_OFF ... PB_FLAGS). */
  readonly meta: Int32Array;
  /** The handle of each index (pool pbufs, then REF headers). */
  readonly handles: Pbuf[] = [];
  /** The application array each REF header points into (EMPTY while free). */
  readonly refBufs: Uint8Array[] = [];
  /** Free indices: pool pbufs in [0, freeTop), REF headers in [count, count + refFreeTop). */
  private readonly free: Int32Array;
  /** Free pool pbufs (= freeCount). @internal Read directly by the per-segment TCP code: a getter
   *  costs XS a call; only this class writes it. */
  freeTop: number;
  private refFreeTop: number;

  /** Bytes of memory a pool of `count` pbufs of `bufsize` bytes lives in (the pbufs, the copier's
   *  scratch area, then an arena of `arena` bytes at poolArenaAt): what the Stack asks
   *  Hal.poolMemory for. */
  static bytesFor(count: number, bufsize: number, arena = 0): number {
    return arena > 0 ? arenaStart(count, bufsize) + arena : count * bufsize + COPY_SCRATCH_BYTES;
  }

  /** `memory`: where the pool lives (from Hal.poolMemory, at least bytesFor(count, bufsize, arena)
   *  bytes), or null for an ArrayBuffer of its own. `arena`: bytes kept after the scratch area for
   *  the stack's own use (poolArenaAt; the TCP header templates), reached through `copier.all8` and
   *  `copier.all64`. Memory too small is a start-up error (RangeError). */
  constructor(count: number, bufsize: number, refCount: number, reserve = 0, memory: ArrayBufferLike | null = null,
    arena = 0) {
    this.bufsize = bufsize;
    this.count = count;
    this.reserve = reserve;
    const bytes = count * bufsize;
    const need = PbufPool.bytesFor(count, bufsize, arena);
    if (memory !== null && memory.byteLength < need) {
      throw new RangeError('pool memory has ' + memory.byteLength + ' bytes, the pool needs ' + need);
    }
    const buffer = memory !== null ? memory : new ArrayBuffer(need);
    this.mem = new Uint8Array(buffer, 0, bytes);
    this.view = new DataView(buffer, 0, bytes);
    this.copier = new ByteCopier(this.mem, bytes);
    const total = count + refCount;
    // the metadata and the free stacks in one buffer (core/arena.ts: each ArrayBuffer costs XS slots)
    const meta = new ArrayBuffer((total * PB_STRIDE + total) * 4);
    this.meta = new Int32Array(meta, 0, total * PB_STRIDE);
    this.free = new Int32Array(meta, total * PB_STRIDE * 4, total);
    const proto = Object.create(Pbuf.prototype) as { pool: PbufPool };
    proto.pool = this;
    for (let i = 0; i < total; i++) {
      const h = Object.create(proto) as { index: number };
      h.index = i;
      this.handles.push(h as Pbuf);
      this.meta[i * PB_STRIDE + PB_NEXT] = -1;
    }
    for (let i = 0; i < count; i++) this.free[i] = count - 1 - i;
    for (let i = 0; i < refCount; i++) {
      this.refBufs.push(EMPTY);
      this.free[count + i] = total - 1 - i;
    }
    this.freeTop = count;
    this.refFreeTop = refCount;
    this.pool = newPoolStats(count);
    this.refPool = newPoolStats(refCount);
  }

  /** Free pool pbufs now. */
  get freeCount(): number { return this.freeTop; }

  /** Takes a free pool pbuf (the caller checked there is one): ref 1, payload at `offset` in its
   *  slot, `len` bytes, alone in its chain. Returns its index. */
  private takeOne(offset: number, len: number, totLen: number): number {
    const i = this.free[--this.freeTop];
    const m = this.meta;
    const b = i * PB_STRIDE;
    m[b + PB_OFF] = i * this.bufsize + offset;
    m[b + PB_LEN] = len;
    m[b + PB_TOTLEN] = totLen;
    m[b + PB_NEXT] = -1;
    m[b + PB_REF] = 1;
    m[b + PB_FLAGS] = 0;
    const s = this.pool;
    s.used++;
    if (s.used > s.max) s.max = s.used;
    return i;
  }

  /**
   * lwIP pbuf_alloc: a chain of pool pbufs with room for `length` payload bytes after the layer's
   * headroom. Transmit-side: fails (null, counted in stats) rather than take the receive reserve.
   */
  alloc(layer: PbufLayer, length: number, type: PbufType = PBUF_POOL): Pbuf | null {
    if (type === PBUF_REF) return this.allocRef(EMPTY, 0, length);
    return this.allocChain(pbufLayerOffset(layer), length, this.reserve);
  }

  /** Like alloc, but may use the receive reserve: for control segments (ACK, RST) that must go out
   *  even when applications hold most of the pool, so that a connection can always be acknowledged
   *  or reset. */
  allocControl(layer: PbufLayer, length: number): Pbuf | null {
    return this.allocChain(pbufLayerOffset(layer), length, 0);
  }

  /** A pool pbuf chain for a received frame (no headroom); may use the receive reserve. */
  allocRx(length: number): Pbuf | null {
    return this.allocChain(0, length, 0);
  }

  /** One empty pool pbuf for a driver to write a frame into (FrameSink.rxReserve); may use the
   *  receive reserve. allocRx(0) in one call: it runs once per received frame. */
  allocRxSlot(): Pbuf | null {
    if (this.freeTop === 0) { this.pool.err++; return null; }
    return this.handles[this.takeOne(0, 0, 0)];
  }

  /** One pool pbuf without payload, its payload at `offset` in the slot (the headroom for the
   *  headers pushed in front), as allocControl(layer, 0) gives it: a pure ACK's, once per ACK sent. */
  allocEmpty(offset: number): Pbuf | null {
    if (this.freeTop === 0) { this.pool.err++; return null; }
    return this.handles[this.takeOne(offset, 0, 0)];
  }

  private allocChain(offset: number, length: number, keep: number): Pbuf | null {
    if (length < 0 || offset + 0 > this.bufsize) { this.pool.err++; return null; }
    const bufsize = this.bufsize;
    const firstRoom = bufsize - offset;
    const count = length <= firstRoom ? 1 : 1 + Math.ceil((length - firstRoom) / bufsize);
    if (this.freeTop - keep < count) { this.pool.err++; return null; }
    const m = this.meta;
    const head = this.takeOne(offset, length < firstRoom ? length : firstRoom, length);
    let tail = head;
    let left = length - m[head * PB_STRIDE + PB_LEN];
    while (left > 0) {
      const q = this.takeOne(0, left < bufsize ? left : bufsize, left);
      left -= m[q * PB_STRIDE + PB_LEN];
      m[tail * PB_STRIDE + PB_NEXT] = q;
      tail = q;
    }
    return this.handles[head];
  }

  /** A PBUF_REF header pointing at `len` bytes of `data` from `off`: the stack never copies them. */
  allocRef(data: Uint8Array, off: number, len: number): Pbuf | null {
    if (this.refFreeTop === 0) { this.refPool.err++; return null; }
    const i = this.free[this.count + --this.refFreeTop];
    this.refBufs[i - this.count] = data;
    const m = this.meta;
    const b = i * PB_STRIDE;
    m[b + PB_OFF] = off;
    m[b + PB_LEN] = len;
    m[b + PB_TOTLEN] = len;
    m[b + PB_NEXT] = -1;
    m[b + PB_REF] = 1;
    m[b + PB_FLAGS] = 0;
    const s = this.refPool;
    s.used++;
    if (s.used > s.max) s.max = s.used;
    return this.handles[i];
  }

  /** Returns the pbuf at index `i`, whose count reached 0, to its free list (internal to pbuf_free). */
  releaseIndex(i: number): void {
    const m = this.meta;
    const b = i * PB_STRIDE;
    m[b + PB_NEXT] = -1;
    m[b + PB_LEN] = 0;
    m[b + PB_TOTLEN] = 0;
    if (i >= this.count) {
      this.refBufs[i - this.count] = EMPTY;
      this.free[this.count + this.refFreeTop++] = i;
      this.refPool.used--;
    } else {
      this.free[this.freeTop++] = i;
      this.pool.used--;
    }
  }

  /** Returns one pbuf whose count reached 0 (internal to pbuf_free). */
  release(p: Pbuf): void {
    this.releaseIndex(p.index);
  }
}

/** Where the arena of a pool of `count` pbufs of `bufsize` bytes starts: the first 8-byte boundary
 *  after the copier's scratch area. */
function arenaStart(count: number, bufsize: number): number {
  return (count * bufsize + COPY_SCRATCH_BYTES + 7) & ~7;
}

/** The offset of `pool`'s arena (PbufPool's `arena` bytes) in its ArrayBuffer: computed from the pool's
 *  size rather than kept, as every field of a pool is an XS heap slot. */
export function poolArenaAt(pool: PbufPool): number {
  return arenaStart(pool.count, pool.bufsize);
}

/**
 * chksumChain (checksum.ts) over the first `len` bytes of chain `p`, added to `acc`, reading the
 * pool's metadata directly instead of through the handle's getters: this runs twice per segment (the
 * received one, the ACK or data sent), and a getter costs XS a call each. A part of odd length
 * shifts the following bytes into the other half of each word, so the next part's sum is
 * byte-swapped (RFC 1071 §2(B)). Without `sum` (the stack's InetSum), chksumChain does it.
 */
export function pbufChksum(p: Pbuf, len: number, acc: number, sum: InetSum | null): number {
  if (sum === null) return chksumChain(p, 0, len, acc, null);
  const pool = p.pool;
  const m = pool.meta;
  const count = pool.count;
  let i = p.index;
  // one contiguous range (a received frame, a segment built in one pool pbuf): one call
  if (i < count && len <= m[i * PB_STRIDE + PB_LEN] && len > 0) return acc + sum(pool.mem, m[i * PB_STRIDE + PB_OFF], len, 0);
  let swapped = false;
  let total = 0;
  while (i >= 0 && len > 0) {
    const b = i * PB_STRIDE;
    let n = m[b + PB_LEN];
    if (n > len) n = len;
    let part = sum(i < count ? pool.mem : pool.refBufs[i - count], m[b + PB_OFF], n, 0);
    if (swapped) part = swap16(part);
    total += part;
    if ((n & 1) !== 0) swapped = !swapped;
    len -= n;
    i = m[b + PB_NEXT];
  }
  return acc + total;
}

/**
 * lwIP pbuf_free: drops one reference from `p` and, for each pbuf whose count reaches 0, returns it
 * to its pool and goes on along the chain. Returns how many pbufs were freed. Freeing a pbuf that is
 * already free is counted (stats.illegal) and changes nothing.
 */
export function pbuf_free(p: Pbuf | null): number {
  if (p === null) return 0;
  const pool = p.pool;
  const m = pool.meta;
  let i = p.index;
  let freed = 0;
  while (i >= 0) {
    const b = i * PB_STRIDE;
    const r = m[b + PB_REF];
    if (r <= 0) {
      if (i >= pool.count) pool.refPool.illegal++;
      else pool.pool.illegal++;
      return freed;
    }
    m[b + PB_REF] = r - 1;
    if (r !== 1) return freed;
    const next = m[b + PB_NEXT];
    pool.releaseIndex(i);
    freed++;
    i = next;
  }
  return freed;
}

/** lwIP pbuf_ref: one more reference to `p` (not to the rest of its chain). */
export function pbuf_ref(p: Pbuf): void {
  const m = p.pool.meta;
  const b = p.index * PB_STRIDE + PB_REF;
  if (m[b] > 0) m[b]++;
}

/** lwIP pbuf_cat: appends chain `t` to chain `h`; the caller's reference to `t` passes to `h`. */
export function pbuf_cat(h: Pbuf, t: Pbuf): void {
  const m = h.pool.meta;
  const add = m[t.index * PB_STRIDE + PB_TOTLEN];
  let b = h.index * PB_STRIDE;
  while (m[b + PB_NEXT] >= 0) {
    m[b + PB_TOTLEN] += add;
    b = m[b + PB_NEXT] * PB_STRIDE;
  }
  m[b + PB_TOTLEN] += add;
  m[b + PB_NEXT] = t.index;
}

/** lwIP pbuf_chain: like pbuf_cat, but `t` gets a new reference and the caller keeps its own. */
export function pbuf_chain(h: Pbuf, t: Pbuf): void {
  pbuf_cat(h, t);
  pbuf_ref(t);
}

/** Number of pbufs in a chain (lwIP pbuf_clen). */
export function pbuf_clen(p: Pbuf | null): number {
  if (p === null) return 0;
  const m = p.pool.meta;
  let n = 0;
  for (let i = p.index; i >= 0; i = m[i * PB_STRIDE + PB_NEXT]) n++;
  return n;
}

/** lwIP pbuf_add_header: moves the payload start back by `n` bytes. 0 on success, 1 if there is no room. */
export function pbuf_add_header(p: Pbuf, n: number): number {
  if (n < 0) return pbuf_remove_header(p, -n);
  const pool = p.pool;
  const i = p.index;
  const b = i * PB_STRIDE;
  const m = pool.meta;
  if (i >= pool.count || m[b + PB_OFF] - n < i * pool.bufsize) return 1;
  m[b + PB_OFF] -= n;
  m[b + PB_LEN] += n;
  m[b + PB_TOTLEN] += n;
  return 0;
}

/** lwIP pbuf_remove_header: hides `n` bytes at the payload start. 0 on success, 1 if `n` > len. */
export function pbuf_remove_header(p: Pbuf, n: number): number {
  const m = p.pool.meta;
  const b = p.index * PB_STRIDE;
  if (n < 0 || n > m[b + PB_LEN]) return 1;
  m[b + PB_OFF] += n;
  m[b + PB_LEN] -= n;
  m[b + PB_TOTLEN] -= n;
  return 0;
}

/**
 * Puts an `hlen`-byte header in front of `p` for sending: in p's own headroom when there is room
 * (not in a PBUF_REF, whose bytes belong to the application), else in a header pbuf from `pool`
 * chained before `p`, laid out for protocol layer `layer` (the header's own layer: PBUF_LINK for an
 * IP header, PBUF_IP for a transport header). `control` lets that pbuf come from the receive
 * reserve (see PbufPool.allocControl). Returns the pbuf whose payload starts at the new header,
 * or null when the pool is empty. Always undo with pbuf_pop_header once the packet is sent: the
 * caller's `p` is never taken.
 */
export function pbuf_push_header(pool: PbufPool, p: Pbuf, hlen: number, layer: PbufLayer, control: boolean): Pbuf | null {
  // pbuf_add_header written out: once per packet sent
  const m = pool.meta;
  const pi = p.index;
  const pb = pi * PB_STRIDE;
  if (pi < pool.count && m[pb + PB_OFF] - hlen >= pi * pool.bufsize && hlen >= 0) {
    m[pb + PB_OFF] -= hlen;
    m[pb + PB_LEN] += hlen;
    m[pb + PB_TOTLEN] += hlen;
    return p;
  }
  const h = control ? pool.allocControl(layer, hlen) : pool.alloc(layer, hlen);
  if (h === null) return null;
  const b = h.index * PB_STRIDE;
  m[b + PB_NEXT] = pi;
  m[b + PB_TOTLEN] = hlen + m[pb + PB_TOTLEN];
  return h;
}

/** Undoes pbuf_push_header: `h` is what it returned for `p`. */
export function pbuf_pop_header(p: Pbuf, h: Pbuf, hlen: number): void {
  if (h === p) {
    // pbuf_remove_header written out (the header was pushed here, so it is there to remove)
    const m = p.pool.meta;
    const b = p.index * PB_STRIDE;
    m[b + PB_OFF] += hlen;
    m[b + PB_LEN] -= hlen;
    m[b + PB_TOTLEN] -= hlen;
  } else {
    const m = h.pool.meta;
    const b = h.index * PB_STRIDE;
    m[b + PB_NEXT] = -1;
    m[b + PB_TOTLEN] = m[b + PB_LEN];
    pbuf_free(h);
  }
}

/** lwIP pbuf_realloc (shrinking only): cuts the chain to `newLen` bytes and frees pbufs past it. */
export function pbuf_realloc(p: Pbuf, newLen: number): void {
  if (newLen >= p.totLen || newLen < 0) return;
  let q: Pbuf = p;
  let left = newLen;
  while (left > q.len && q.next !== null) {
    q.totLen = left;
    left -= q.len;
    q = q.next;
  }
  q.len = left;
  q.totLen = left;
  const rest = q.next;
  q.next = null;
  if (rest !== null) pbuf_free(rest);
}

/**
 * Copies `len` bytes between two byte arrays without allocating: `copyWithin` when both are the
 * same array (pool to pool), `set` for a whole source array; else, with a pool's `copier`, word
 * copies (one side being that pool's memory, or a driver/application buffer it has seen before),
 * or a byte loop. Pass `pool.copier` on hot paths: without it, different arrays cost a byte loop.
 */
export function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number,
  copier: ByteCopier | null = null): void {
  if (len <= 0) return;
  if (copier !== null) {
    copier.copy(dst, dstOff, src, srcOff, len);
  } else if (dst === src) {
    dst.copyWithin(dstOff, srcOff, srcOff + len);
  } else if (srcOff === 0 && len === src.length) {
    dst.set(src, dstOff);
  } else {
    copyByteLoop(dst, dstOff, src, srcOff, len);
  }
}

/**
 * Moves the payload start of a fresh pool pbuf forward by 2, 4 or 6 bytes so that it agrees mod 8
 * with the address of `src[srcOff]`, the bytes about to be copied into it: the copier then moves
 * them in 8-byte words directly instead of staging them (on XS, ~3,500 computrons per 1,460 bytes
 * instead of ~6,500). Only even shifts, so that headers and payload stay at even offsets for the
 * 16-bit checksum; nothing happens when the difference is odd, when `p` is a chain or a REF pbuf,
 * or when fewer than `keep` payload bytes would still fit in the slot.
 */
export function pbufAlignPayload(p: Pbuf, src: Uint8Array, srcOff: number, keep: number): void {
  const pool = p.pool;
  const m = pool.meta;
  const i = p.index;
  const b = i * PB_STRIDE;
  if (i >= pool.count || m[b + PB_NEXT] >= 0) return;
  const off = m[b + PB_OFF];
  const shift = (src.byteOffset + srcOff - pool.mem.byteOffset - off) & 7;
  if (shift === 0 || (shift & 1) !== 0 || off + shift + keep > (i + 1) * pool.bufsize) return;
  m[b + PB_OFF] = off + shift;
}

/**
 * lwIP pbuf_copy_partial: copies up to `len` bytes starting `offset` bytes into the chain to
 * `dst[dstOff..]`. Returns the number of bytes copied.
 */
export function pbuf_copy_partial(p: Pbuf | null, dst: Uint8Array, len: number, offset: number, dstOff = 0): number {
  if (p === null) return 0;
  const pool = p.pool;
  const m = pool.meta;
  let copied = 0;
  if (len > dst.length - dstOff) len = dst.length - dstOff;
  for (let i = p.index; i >= 0 && copied < len; i = m[i * PB_STRIDE + PB_NEXT]) {
    const b = i * PB_STRIDE;
    const qlen = m[b + PB_LEN];
    if (offset >= qlen) { offset -= qlen; continue; }
    let n = qlen - offset;
    if (n > len - copied) n = len - copied;
    const buf = i < pool.count ? pool.mem : pool.refBufs[i - pool.count];
    copyBytes(dst, dstOff + copied, buf, m[b + PB_OFF] + offset, n, pool.copier);
    copied += n;
    offset = 0;
  }
  return copied;
}

/** lwIP pbuf_take (with an offset into the chain): copies `len` bytes of `src[srcOff..]` into the
 *  chain starting `offset` bytes in. Returns ERR_OK-like 0, or -1 (ERR_MEM) if the chain is too short. */
export function pbuf_take_at(p: Pbuf, src: Uint8Array, len: number, offset: number, srcOff = 0): number {
  const pool = p.pool;
  const m = pool.meta;
  if (offset + len > m[p.index * PB_STRIDE + PB_TOTLEN] || srcOff + len > src.length) return -1;
  let done = 0;
  for (let i = p.index; i >= 0 && done < len; i = m[i * PB_STRIDE + PB_NEXT]) {
    const b = i * PB_STRIDE;
    const qlen = m[b + PB_LEN];
    if (offset >= qlen) { offset -= qlen; continue; }
    let n = qlen - offset;
    if (n > len - done) n = len - done;
    const buf = i < pool.count ? pool.mem : pool.refBufs[i - pool.count];
    copyBytes(buf, m[b + PB_OFF] + offset, src, srcOff + done, n, pool.copier);
    done += n;
    offset = 0;
  }
  return 0;
}

/** lwIP pbuf_take: fills the chain from its start with `len` bytes of `src`. */
export function pbuf_take(p: Pbuf, src: Uint8Array, len: number, srcOff = 0): number {
  return pbuf_take_at(p, src, len, 0, srcOff);
}

/** Copies `len` bytes from chain `from` (at `fromOff`) into chain `to` (at `toOff`). Returns bytes copied. */
export function pbuf_copy_chain(to: Pbuf, toOff: number, from: Pbuf, fromOff: number, len: number): number {
  let src: Pbuf | null = from;
  while (src !== null && fromOff >= src.len) { fromOff -= src.len; src = src.next; }
  let dst: Pbuf | null = to;
  while (dst !== null && toOff >= dst.len) { toOff -= dst.len; dst = dst.next; }
  let done = 0;
  while (src !== null && dst !== null && done < len) {
    let n = src.len - fromOff;
    const room = dst.len - toOff;
    if (room < n) n = room;
    if (len - done < n) n = len - done;
    copyBytes(dst.buf, dst.off + toOff, src.buf, src.off + fromOff, n, dst.pool.copier);
    done += n;
    fromOff += n;
    toOff += n;
    if (fromOff >= src.len) { src = src.next; fromOff = 0; }
    if (toOff >= dst.len) { dst = dst.next; toOff = 0; }
  }
  return done;
}

/** lwIP pbuf_copy: copies the whole of `from` into `to` (which must be at least as long). 0 or -1. */
export function pbuf_copy(to: Pbuf, from: Pbuf): number {
  if (to.totLen < from.totLen) return -1;
  pbuf_copy_chain(to, 0, from, 0, from.totLen);
  return 0;
}

/** lwIP pbuf_try_get_at: the byte at `offset` in the chain, or -1 past its end. */
export function pbuf_try_get_at(p: Pbuf | null, offset: number): number {
  for (let q = p; q !== null; q = q.next) {
    if (offset < q.len) return q.buf[q.off + offset];
    offset -= q.len;
  }
  return -1;
}

/** lwIP pbuf_get_at: the byte at `offset`, or 0 past the end. */
export function pbuf_get_at(p: Pbuf | null, offset: number): number {
  const b = pbuf_try_get_at(p, offset);
  return b < 0 ? 0 : b;
}

/** lwIP pbuf_put_at: writes one byte at `offset` (ignored past the end). */
export function pbuf_put_at(p: Pbuf | null, offset: number, value: number): void {
  for (let q = p; q !== null; q = q.next) {
    if (offset < q.len) { q.buf[q.off + offset] = value; return; }
    offset -= q.len;
  }
}
