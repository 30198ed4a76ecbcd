/**
 * ECMA-419 UDP socket (`embedded:io/socket/udp`, ECMA-419 2nd ed. §10 "UDP socket") over the raw
 * UDP API. Options: `port` (local port; default 0: an ephemeral one), `address` (local IPv4 address
 * to bind to; default any), `onReadable(count)`, `format` ("buffer" only), `target`, and the
 * extensions `stack` (which xs-tcp Stack) and `queue` (datagrams held for read(), 1..64, default 4).
 *
 *   const udp = new UDP({ onReadable(n) { while (n--) { const ab = this.read(); ab.address; ab.port; } } });
 *   udp.write(query, '10.0.0.1', 53);
 *
 * Received datagrams are kept as the stack delivered them (pbufs, no copy) in a fixed ring of `queue`
 * entries; a datagram arriving when the ring is full is dropped and counted (`dropped`), as a full
 * socket receive buffer drops (RFC 768 promises no delivery).
 *
 * Multicast: `add(group)` joins an IPv4 host group on the stack's interface (RFC 1112 §7.1, the
 * receive side: the driver's multicast filter is opened and IPv4 accepts datagrams sent to the
 * group), so datagrams to the group and this socket's port are delivered here; `remove(group)`
 * leaves it, and close() leaves the groups the socket joined. The stack has no IGMP: it has the
 * receive side of RFC 1112 level 2 but sends no membership reports (§7.2), so a group's datagrams
 * arrive on links whose switch floods multicast, not behind an IGMP-snooping switch. The interface
 * counts joins, so a group shared with another socket or the mDNS responder stays joined until
 * every one of them has left it.
 */
import type { Stack } from '../api/stack.js';
import { ERR_OK, ERR_USE, ERR_MEM } from '../core/err.js';
import type { Pbuf } from '../core/pbuf.js';
import { PBUF_TRANSPORT, pbuf_free, pbuf_take, pbuf_copy_partial } from '../core/pbuf.js';
import { ip4ToString } from '../core/ip4addr.js';
import { udp_new, udp_bind, udp_recv, udp_sendto, udp_remove } from '../api/udp_api.js';
import type { UdpPcb } from '../api/udp_api.js';
import {
  ByteView, RingCore, addressOf, callbackOf, checkFormat, checkOptions, closedError, formatOf, portOf, setTarget, stackOf,
} from './common.js';
import type { Callback } from './common.js';

/** Frozen: preloaded on Moddable (xsl warns about module constants it cannot keep in flash). */
const FORMATS = Object.freeze(['buffer'] as const);
/** Datagrams held for read() when the `queue` option is absent. */
const UDP_QUEUE_DEFAULT = 4;
/** Largest UDP payload over IPv4 (65,535 - 20 - 8). */
const UDP_MAX_PAYLOAD = 65507;

/** What `read` returns: the datagram's bytes with its sender attached (ECMA-419 UDP read). */
export type UdpPacket = ArrayBuffer & { address: string; port: number };

class UdpCore extends RingCore {
  pcb: UdpPcb | null;
  readonly pkts: (Pbuf | null)[] = [];
  readonly addrs: Uint32Array;
  readonly ports: Uint16Array;
  dropped = 0;
  /** Multicast groups this socket joined (left again on close). */
  readonly groups: number[] = [];
  /** The last sender's address as text, reused while the sender stays the same. */
  lastAddr = -1;
  lastAddrText = '';

  constructor(stack: Stack, pcb: UdpPcb, owner: UDP, onReadable: Callback | null, capacity: number) {
    super(stack, owner, onReadable);
    this.pcb = pcb;
    for (let i = 0; i < capacity; i++) this.pkts.push(null);
    this.addrs = new Uint32Array(capacity);
    this.ports = new Uint16Array(capacity);
  }

  addressText(a: number): string {
    if (a !== this.lastAddr) {
      this.lastAddr = a;
      this.lastAddrText = ip4ToString(a);
    }
    return this.lastAddrText;
  }

  /** Drops the oldest datagram. */
  shift(): void {
    const p = this.pkts[this.head];
    this.pkts[this.head] = null;
    if (p !== null) pbuf_free(p);
    this.head = (this.head + 1) % this.pkts.length;
    this.count--;
  }

  release(): void {
    if (!this.closing()) return;
    while (this.count > 0) this.shift();
    while (this.groups.length > 0) this.stack.netif.setGroup(this.groups.pop() as number, false);
    const pcb = this.pcb;
    this.pcb = null;
    if (pcb !== null) {
      udp_recv(pcb, null, null);
      udp_remove(pcb);
    }
  }
}

function recvFn(arg: unknown, _pcb: UdpPcb, p: Pbuf, addr: number, port: number): void {
  const u = arg as UdpCore;
  if (u.closed || u.count === u.pkts.length) {
    u.dropped++;
    pbuf_free(p);
    return;
  }
  const i = (u.head + u.count) % u.pkts.length;
  u.pkts[i] = p;
  u.addrs[i] = addr;
  u.ports[i] = port;
  u.count++;
  u.stack.core.deferred.add(u);
}

export class UDP {
  #core: UdpCore | null = null;
  readonly #view = new ByteView();

  constructor(options: Record<string, unknown>) {
    const o = checkOptions(options);
    formatOf(o, 'buffer', FORMATS);
    const onReadable = callbackOf(o, 'onReadable');
    const port = portOf(o, 'port', 0, 0);
    const address = o.address === undefined ? 0 : addressOf(o.address, 'address');
    let queue = UDP_QUEUE_DEFAULT;
    if (o.queue !== undefined) {
      const q = o.queue;
      if (typeof q !== 'number' || !Number.isInteger(q) || q < 1 || q > 64) throw new RangeError('invalid queue ' + String(q));
      queue = q;
    }
    const stack = stackOf(o);
    const pcb = udp_new(stack);
    if (pcb === null) throw new Error('no socket');
    const r = udp_bind(pcb, address, port);
    if (r !== ERR_OK) {
      udp_remove(pcb);
      throw new Error(r === ERR_USE ? 'port in use' : 'bind failed (lwIP error ' + r + ')');
    }
    const core = new UdpCore(stack, pcb, this, onReadable, queue);
    udp_recv(pcb, recvFn, core);
    this.#core = core;
    setTarget(this, o);
  }

  #live(): UdpCore {
    const c = this.#core;
    if (c === null || c.closed) throw closedError();
    return c;
  }

  /**
   * read(): the next datagram as a new ArrayBuffer with `address` and `port` of its sender;
   * read(buffer): copies it into the byte buffer (RangeError, and the datagram stays, when it does
   * not fit), sets `address` and `port` on the buffer and returns the length. undefined when none.
   */
  read(buffer?: unknown): UdpPacket | number | undefined {
    const u = this.#live();
    if (u.count === 0) {
      if (buffer !== undefined) this.#view.set(buffer);
      return undefined;
    }
    const i = u.head;
    const p = u.pkts[i] as Pbuf;
    const n = p.totLen;
    let result: UdpPacket | number;
    let target: { address: string; port: number };
    if (buffer === undefined) {
      const ab = new ArrayBuffer(n) as UdpPacket;
      pbuf_copy_partial(p, new Uint8Array(ab), n, 0);
      result = ab;
      target = ab;
    } else {
      const v = this.#view;
      v.set(buffer);
      if (n > v.len) throw new RangeError('buffer too small for the ' + n + '-byte datagram');
      pbuf_copy_partial(p, v.bytes, n, 0, v.off);
      result = n;
      target = buffer as { address: string; port: number };
    }
    target.address = u.addressText(u.addrs[i]);
    target.port = u.ports[i];
    u.shift();
    return result;
  }

  /** Sends one datagram of the buffer's bytes to `address`:`port`. Throws when it cannot be sent. */
  write(buffer: unknown, address: unknown, port: unknown): void {
    const u = this.#live();
    const v = this.#view;
    v.set(buffer);
    const dst = addressOf(address, 'address');
    if (typeof port !== 'number') throw new TypeError('port: not a number');
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError('invalid port ' + port);
    const n = v.len;
    if (n > UDP_MAX_PAYLOAD) throw new RangeError('datagram too long');
    const p = u.stack.core.pbufs.alloc(PBUF_TRANSPORT, n);
    if (p === null) throw new Error('no memory');
    pbuf_take(p, v.bytes, n, v.off);
    const r = udp_sendto(u.pcb, p, dst, port);
    pbuf_free(p);
    if (r !== ERR_OK) throw new Error('send failed (lwIP error ' + r + ')');
  }

  /**
   * Joins the IPv4 multicast group `multicastAddress` (text in 224.0.0.0/4; RangeError otherwise).
   * Error when the interface's group table (IP_MAX_GROUPS) is full. Joining twice is harmless.
   */
  add(multicastAddress: unknown): void {
    const u = this.#live();
    const g = checkGroup(multicastAddress);
    if (u.groups.indexOf(g) >= 0) return;
    const r = u.stack.netif.setGroup(g, true);
    if (r === ERR_MEM) throw new Error('too many multicast groups');
    if (r !== ERR_OK) throw new Error('join failed (lwIP error ' + r + ')');
    u.groups.push(g);
  }

  /** Leaves a group this socket joined; RangeError for a non-multicast address, Error when not joined. */
  remove(multicastAddress: unknown): void {
    const u = this.#live();
    const g = checkGroup(multicastAddress);
    const i = u.groups.indexOf(g);
    if (i < 0) throw new Error('not a member of ' + String(multicastAddress));
    u.groups.splice(i, 1);
    u.stack.netif.setGroup(g, false);
  }

  /** Stops receiving and frees the held datagrams. Idempotent. */
  close(): void {
    const c = this.#core;
    this.#view.clear();
    if (c === null) return;
    this.#core = null;
    c.release();
  }

  /** Datagrams dropped because the receive ring was full (an extension, for diagnostics). */
  get dropped(): number {
    return this.#live().dropped;
  }

  get format(): string {
    this.#live();
    return 'buffer';
  }

  set format(value: string) {
    this.#live();
    checkFormat(value, FORMATS);
  }
}

/** A class D address (RFC 1112 §4), else RangeError. */
function checkGroup(a: unknown): number {
  const g = addressOf(a, 'multicast address');
  if ((g >>> 28) !== 0xe) throw new RangeError('not a multicast address');
  return g;
}
