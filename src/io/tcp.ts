/**
 * ECMA-419 TCP socket (`embedded:io/socket/tcp`, ECMA-419 2nd ed. §10 "TCP socket") over the raw
 * API. Options: `address` (IPv4 text) or `host` (a name, resolved through the stack's DNS
 * resolver, or an IPv4 literal, used at once), `port`, `nodelay`/`noDelay`, `keepalive`/`keepAlive`
 * (ms between probes, or true for the stack's timings), `from` (a TCP instance, typically from
 * Listener.read()), `onReadable(count)`, `onWritable(count)`, `onError()`, `format` ("buffer"
 * default, or "number"), `target`, and `stack` (an extension: which xs-tcp Stack; else the one
 * given to setDefaultStack).
 *
 *   const tcp = new TCP({ address: '10.0.0.1', port: 7, onWritable(n) { this.write(req); },
 *     onReadable(n) { const ab = this.read(); }, onError() { this.close(); } });
 *
 * Flow control: onWritable(count) reports free send-buffer octets (tcp_sndbuf) after the connection
 * is established and whenever the peer acknowledges data (tcp_sent); a write larger than that throws
 * and writes nothing. onReadable(count) reports all octets held; reading them reopens the window.
 * Callbacks run after the stack has processed the frame or tick that caused them, never inside a
 * method of the instance (ECMA-419 §8 Callbacks).
 *
 * A `host` name is looked up with dns_gethostbyname (RFC 1035 §7, the stack's 'dns' app): the pcb is
 * taken and bound at once, so running out of sockets still throws in the constructor, and the connect
 * starts when the answer comes. A name that does not resolve (NXDOMAIN, no answer after the
 * resolver's tries, an invalid name) is reported as onError, from the stack's next run, and the
 * instance closes: the constructor cannot wait for the network.
 */
import { ERR_OK, ERR_MEM, ERR_INPROGRESS, ERR_VAL } from '../core/err.js';
import { ip4FromString } from '../core/ip4addr.js';
import { dns_gethostbyname, DnsAddr } from '../apps/dns/api.js';
import {
  tcp_new, tcp_bind, tcp_connect, tcp_write, tcp_output, tcp_nagle_disable, tcp_nagle_enable, tcp_keepalive_set,
  ip_set_option, tcp_backlog_accepted, tcp_abort, SOF_KEEPALIVE, TCP_WRITE_FLAG_COPY, TCP_WRITE_FLAG_MORE,
} from '../api/tcp_api.js';
import {
  ByteView, addressOf, callbackOf, checkFormat, checkOptions, closedError, formatOf, portOf, setTarget, stackOf,
} from './common.js';
import { TcpConnection, TRIG_ERROR, TRIG_READABLE, TRIG_WRITABLE, connectedFn } from './tcp_conn.js';

/** Frozen: preloaded on Moddable (xsl warns about module constants it cannot keep in flash). */
const FORMATS = Object.freeze(['buffer', 'number'] as const);

export class TCP {
  #conn: TcpConnection | null = null;
  #format = 'buffer';
  readonly #view = new ByteView();

  constructor(options: Record<string, unknown>) {
    const o = checkOptions(options);
    // every option is checked before anything is allocated (ECMA-419 Annex A, constructor)
    const format = formatOf(o, 'buffer', FORMATS);
    const onReadable = callbackOf(o, 'onReadable');
    const onWritable = callbackOf(o, 'onWritable');
    const onError = callbackOf(o, 'onError');
    const nodelay = 'nodelay' in o ? o.nodelay : o.noDelay;
    const keep = 'keepalive' in o ? o.keepalive : o.keepAlive;
    if (keep !== undefined && typeof keep !== 'boolean' && !(typeof keep === 'number' && keep > 0 && Number.isFinite(keep))) {
      throw new RangeError('invalid keepalive ' + String(keep));
    }
    let conn: TcpConnection;
    const from = o.from;
    if (from !== undefined) {
      conn = TCP.#take(from);
    } else {
      let address = -1;
      let host = '';
      if (o.address !== undefined) address = addressOf(o.address, 'address');
      else if (o.host !== undefined) {
        if (typeof o.host !== 'string') throw new TypeError('host: not a string');
        host = o.host;
        address = ip4FromString(host);
      } else throw new TypeError('address required');
      const port = portOf(o, 'port', -1, 1);
      const stack = stackOf(o);
      const pcb = tcp_new(stack);
      if (pcb === null) throw new Error('no socket');
      if (tcp_bind(pcb, 0, 0) !== ERR_OK) { tcp_abort(pcb); throw new Error('bind failed'); }
      conn = new TcpConnection(stack, pcb);
      conn.remotePortWanted = port;
      if (address < 0) {
        // a name: a cached answer connects now; otherwise the resolver's callback does
        const out = new DnsAddr();
        const r = dns_gethostbyname(stack, host, out, resolvedFn, conn);
        if (r === ERR_OK) address = out.addr;
        else if (r !== ERR_INPROGRESS) conn.failure = r; // invalid name, resolver table full: onError
      }
      if (address >= 0) {
        const r = tcp_connect(pcb, address, port, connectedFn);
        if (r !== ERR_OK) {
          conn.release(true);
          throw new Error('connect failed (lwIP error ' + r + ')');
        }
      }
    }
    const pcb = conn.pcb;
    if (pcb !== null) {
      if (nodelay !== undefined) {
        if (nodelay) tcp_nagle_disable(pcb);
        else tcp_nagle_enable(pcb);
      }
      if (keep !== undefined && keep !== false) {
        // ECMA-419's keepAlive is the interval between probes; idle time before the first is the same
        if (typeof keep === 'number') tcp_keepalive_set(pcb, keep, keep, conn.stack.core.config.TCP_KEEPCNT_DEFAULT);
        ip_set_option(pcb, SOF_KEEPALIVE);
      }
    }
    this.#format = format;
    this.#conn = conn;
    setTarget(this, o);
    conn.owner = this;
    conn.onReadable = onReadable;
    conn.onWritable = onWritable;
    conn.onError = onError;
    // what an adopted connection already has to report is delivered from the stack's next run
    let bits = 0;
    if (conn.rx.count > 0) bits |= TRIG_READABLE;
    if (conn.connected) bits |= TRIG_WRITABLE;
    if (conn.peerFin || conn.failure !== ERR_OK) bits |= TRIG_ERROR;
    if (bits !== 0) conn.trigger(bits);
  }

  /** Takes the connection out of `from` (a TCP instance, or a Listener's pending connection). */
  static #take(from: unknown): TcpConnection {
    if (from instanceof TcpConnection) {
      // from Listener.read(): it leaves the listener's backlog now
      if (from.inBacklog && from.pcb !== null) { from.inBacklog = false; tcp_backlog_accepted(from.pcb); }
      return from;
    }
    if (!(from instanceof TCP)) throw new TypeError('from: not a TCP socket');
    const c = from.#conn;
    if (c === null || c.closed) throw new Error('from: closed');
    // ECMA-419: the original instance is closed, its native socket moves to the new one
    from.#conn = null;
    from.#view.clear();
    c.stack.core.deferred.remove(c);
    return c;
  }

  #live(): TcpConnection {
    const c = this.#conn;
    if (c === null || c.closed) throw closedError();
    return c;
  }

  /**
   * read(): all octets available, as a new ArrayBuffer; read(n): at most n; read(buffer): fills the
   * byte buffer as far as data allows, returns the count. undefined when nothing is available.
   * Format "number": the next octet as a number.
   */
  read(arg?: unknown): ArrayBuffer | number | undefined {
    const c = this.#live();
    const rx = c.rx;
    const avail = rx.count;
    if (this.#format === 'number') {
      if (arg !== undefined) throw new TypeError('read takes no argument in the "number" format');
      if (avail === 0) return undefined;
      const b = rx.takeByte();
      c.consumed(1);
      return b;
    }
    if (arg === undefined) {
      if (avail === 0) return undefined;
      return this.#readNew(c, avail);
    }
    if (typeof arg === 'number') {
      if (!Number.isInteger(arg) || arg <= 0) throw new RangeError('invalid count ' + arg);
      if (avail === 0) return undefined;
      return this.#readNew(c, arg < avail ? arg : avail);
    }
    const v = this.#view;
    v.set(arg);
    if (avail === 0) return undefined;
    const n = v.len < avail ? v.len : avail;
    if (n > 0) {
      rx.take(v.bytes, v.off, n);
      c.consumed(n);
    }
    return n;
  }

  #readNew(c: TcpConnection, n: number): ArrayBuffer {
    const ab = new ArrayBuffer(n);
    c.rx.take(new Uint8Array(ab), 0, n);
    c.consumed(n);
    return ab;
  }

  /**
   * write(buffer [, {more}]) / write(byte) in the "number" format: queues all of it or throws and
   * queues nothing. `more: true` leaves the data queued for the writes that follow (TCP_WRITE_FLAG_MORE,
   * no push); otherwise it is sent as far as the windows and Nagle allow. Returns the octets that may
   * still be written.
   */
  write(data: unknown, options?: { more?: boolean }): number {
    const c = this.#live();
    const pcb = c.pcb;
    if (pcb === null || !c.connected) throw new Error('not connected');
    let bytes: Uint8Array;
    let off: number;
    let len: number;
    if (this.#format === 'number') {
      if (typeof data !== 'number' || !Number.isInteger(data) || data < 0 || data > 255) {
        throw new RangeError('invalid byte ' + String(data));
      }
      bytes = c.one;
      bytes[0] = data;
      off = 0;
      len = 1;
    } else {
      const v = this.#view;
      v.set(data);
      bytes = v.bytes;
      off = v.off;
      len = v.len;
    }
    const more = options !== undefined && options !== null && options.more === true;
    if (len > 0) {
      if (len > c.writable()) throw new Error('would block');
      const r = tcp_write(pcb, bytes, len, more ? TCP_WRITE_FLAG_COPY | TCP_WRITE_FLAG_MORE : TCP_WRITE_FLAG_COPY, off);
      if (r === ERR_MEM) throw new Error('would block');
      if (r !== ERR_OK) throw new Error('write failed (lwIP error ' + r + ')');
    }
    if (!more) tcp_output(pcb);
    return c.writable();
  }

  /** Releases the connection: our FIN (or a reset when received data was left unread). Idempotent. */
  close(): void {
    const c = this.#conn;
    this.#view.clear();
    if (c === null) return;
    this.#conn = null;
    c.owner = null;
    c.release(false);
  }

  get format(): string {
    this.#live();
    return this.#format;
  }

  set format(value: string) {
    this.#live();
    this.#format = checkFormat(value, FORMATS);
  }

  /** The peer's IPv4 address as text; undefined until the connection is established. */
  get remoteAddress(): string | undefined {
    return this.#live().remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#live().remotePort;
  }
}

/**
 * dns_gethostbyname's callback for a `host` name: connect to the address, or fail the connection
 * (address 0: not found) so that onError is delivered. Nothing when the instance closed meanwhile.
 */
function resolvedFn(_name: string, addr: number, arg: unknown): void {
  const c = arg as TcpConnection;
  const pcb = c.pcb;
  if (c.closed || pcb === null) return;
  const r = addr === 0 ? ERR_VAL : tcp_connect(pcb, addr, c.remotePortWanted, connectedFn);
  if (r !== ERR_OK) {
    c.failure = r;
    c.trigger(TRIG_ERROR);
  }
}
