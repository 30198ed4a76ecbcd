/** The `nc` subcommand: one TCP connection (or listener) between stdin/stdout and a peer, like nc(1). */
import { parseArgs } from 'node:util';
import type { Err } from '../../src/core/err.js';
import { ERR_OK, ERR_RST, ERR_TIMEOUT, ERR_ABRT, lwip_strerr } from '../../src/core/err.js';
import { ip4FromString, ip4ToString } from '../../src/core/ip4addr.js';
import { waitForLease, resolveName } from '../lan.js';
import type { Pbuf } from '../../src/core/pbuf.js';
import { pbuf_free } from '../../src/core/pbuf.js';
import {
  tcp_new, tcp_bind, tcp_listen, tcp_accept, tcp_connect, tcp_recv, tcp_recved, tcp_sent, tcp_err,
  tcp_write, tcp_output, tcp_sndbuf, tcp_close, tcp_shutdown, tcp_abort, tcp_arg, tcp_local_ip,
  tcp_local_port, tcp_remote_ip, tcp_remote_port, tcp_lookup_state, TCP_WRITE_FLAG_COPY,
  ip_set_option, SOF_REUSEADDR,
} from '../../src/api/tcp_api.js';
import type { TcpPcb } from '../../src/api/tcp_api.js';
import { USAGE, EXIT_OK, EXIT_FAIL, UsageError, log, LINK_OPTIONS, parseSeconds, parsePort, checkLinkArgs, HostStack, bringUp, printNetstat, tearDown, sleep, onceSignal } from '../host.js';

/** One nc connection: stdin -> connection, connection -> stdout, with flow control both ways. */
class NcSession {
  readonly host: HostStack;
  pcb: TcpPcb | null = null;
  /** Bytes from stdin not yet accepted by tcp_write. */
  private queue: Buffer[] = [];
  private queueOff = 0;
  private stdinEnded = false;
  private txShut = false;
  rxDone = false;
  private closed = false;
  /** Octets written to stdout but not yet returned to the window (stdout is applying backpressure). */
  private unrecved = 0;
  private stdoutBlocked = false;
  private readonly done: Promise<number>;
  private finish!: (code: number) => void;
  local = '';
  remote = '';
  localIp = 0; localPort = 0; remoteIp = 0; remotePort = 0;

  constructor(host: HostStack) {
    this.host = host;
    this.done = new Promise((r) => { this.finish = r; });
  }

  wait(): Promise<number> { return this.done; }

  fail(msg: string): void {
    if (this.closed) return;
    this.closed = true;
    log(msg);
    process.stdin.pause();
    this.finish(EXIT_FAIL);
  }

  /** The connection is open: wire the callbacks and start moving bytes. */
  open(pcb: TcpPcb): void {
    this.pcb = pcb;
    this.localIp = tcp_local_ip(pcb); this.localPort = tcp_local_port(pcb);
    this.remoteIp = tcp_remote_ip(pcb); this.remotePort = tcp_remote_port(pcb);
    tcp_arg(pcb, this);
    tcp_recv(pcb, (_a, p, pp, err) => this.onRecv(p, pp, err));
    tcp_sent(pcb, () => { this.pump(); return ERR_OK; });
    tcp_err(pcb, (_a, err) => this.onErr(err));
    process.stdin.on('data', (chunk: Buffer) => {
      this.queue.push(chunk);
      this.pump();
    });
    process.stdin.on('end', () => {
      this.stdinEnded = true;
      this.pump();
    });
    process.stdin.on('error', () => {
      this.stdinEnded = true;
      this.pump();
    });
    process.stdout.on('drain', () => this.onDrain());
    process.stdin.resume();
  }

  private onErr(err: Err): void {
    this.pcb = null;
    if (this.closed) return;
    if (err === ERR_RST) this.fail('connection reset by peer');
    else if (err === ERR_TIMEOUT) this.fail('connection timed out (no acknowledgment from the peer)');
    else if (err === ERR_ABRT) this.fail('connection aborted');
    else if (this.rxDone && this.txShut) this.complete();
    else this.fail('connection closed: ' + lwip_strerr(err));
  }

  private onRecv(pcb: TcpPcb, p: Pbuf | null, _err: Err): Err {
    if (p === null) {
      this.rxDone = true;
      this.maybeClose();
      return ERR_OK;
    }
    const out = Buffer.allocUnsafe(p.totLen);
    let pos = 0;
    for (let q: Pbuf | null = p; q !== null; q = q.next) {
      out.set(q.buf.subarray(q.off, q.off + q.len), pos);
      pos += q.len;
    }
    const n = p.totLen;
    pbuf_free(p);
    const ok = process.stdout.write(out);
    if (ok && !this.stdoutBlocked) {
      tcp_recved(pcb, n);
    } else {
      // stdout is full: keep our window shut until it drains (flow control end to end)
      this.stdoutBlocked = true;
      this.unrecved += n;
    }
    return ERR_OK;
  }

  private onDrain(): void {
    this.stdoutBlocked = false;
    if (this.unrecved > 0 && this.pcb !== null) {
      tcp_recved(this.pcb, this.unrecved);
      this.unrecved = 0;
      tcp_output(this.pcb);
    }
    this.maybeClose();
  }

  /** Moves stdin data into the send buffer; pauses stdin while the buffer is full. */
  pump(): void {
    const pcb = this.pcb;
    if (pcb === null || this.closed) return;
    let wrote = false;
    while (this.queue.length > 0) {
      const chunk = this.queue[0];
      const left = chunk.length - this.queueOff;
      let n = tcp_sndbuf(pcb);
      if (n <= 0) break;
      if (n > left) n = left;
      if (tcp_write(pcb, chunk, n, TCP_WRITE_FLAG_COPY, this.queueOff) !== ERR_OK) break;
      wrote = true;
      this.queueOff += n;
      if (this.queueOff === chunk.length) {
        this.queue.shift();
        this.queueOff = 0;
      }
    }
    if (wrote) tcp_output(pcb);
    if (this.queue.length > 0) process.stdin.pause();
    else if (!this.stdinEnded) process.stdin.resume();
    if (this.queue.length === 0 && this.stdinEnded && !this.txShut) {
      // stdin EOF: half-close (our FIN); we keep reading until the peer's FIN
      this.txShut = true;
      if (this.rxDone) this.maybeClose();
      else if (tcp_shutdown(pcb, false, true) !== ERR_OK) this.txShut = false; // retried from tcp_sent
    }
  }

  private maybeClose(): void {
    if (!this.rxDone || !this.txShut || this.stdoutBlocked || this.closed || this.pcb === null) return;
    const pcb = this.pcb;
    // Both directions are done: give back the rest of the window, then close the handle; the stack
    // finishes the exchange of FIN/ACK (we wait for it in complete()).
    if (this.unrecved > 0) { tcp_recved(pcb, this.unrecved); this.unrecved = 0; }
    tcp_recv(pcb, null);
    tcp_sent(pcb, null);
    tcp_err(pcb, null);
    if (tcp_close(pcb) !== ERR_OK) {
      tcp_abort(pcb);
    }
    this.pcb = null;
    this.complete();
  }

  private complete(): void {
    if (this.closed) return;
    this.closed = true;
    process.stdin.pause();
    this.finish(EXIT_OK);
  }

  /** After close: waits until our FIN is acknowledged (TIME_WAIT or CLOSED), at most `ms`. */
  async linger(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const st = tcp_lookup_state(this.host.stack, this.localIp, this.localPort, this.remoteIp, this.remotePort);
      if (st === 'CLOSED' || st === 'TIME_WAIT' || st === 'LISTEN') return;
      await sleep(10);
    }
  }

  /** Interrupted: close what is open (FIN), give the stack a moment to send it. */
  interrupt(): void {
    if (this.pcb !== null) {
      const pcb = this.pcb;
      tcp_recv(pcb, null);
      tcp_sent(pcb, null);
      tcp_err(pcb, null);
      if (tcp_close(pcb) !== ERR_OK) tcp_abort(pcb);
      this.pcb = null;
    }
    this.complete();
  }
}

export async function cmdNc(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...LINK_OPTIONS, listen: { type: 'string', short: 'l' }, wait: { type: 'string', short: 'w' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) { process.stdout.write(USAGE); return EXIT_OK; }
  let listenPort = 0;
  let dstHost = '';
  let dstPort = 0;
  if (values.listen !== undefined) {
    listenPort = parsePort(values.listen, '-l');
    if (positionals.length > 0) throw new UsageError('nc -l PORT takes no HOST PORT');
  } else {
    if (positionals.length !== 2) throw new UsageError('nc wants HOST PORT (or -l PORT)');
    dstHost = positionals[0];
    dstPort = parsePort(positionals[1], 'PORT');
  }
  const waitS = parseSeconds('wait', values.wait, 10);
  checkLinkArgs(values);
  const host = await bringUp({ ...values, quiet: values.quiet ?? true });
  const { stack } = host;
  if (values.dhcp && !(await waitForLease(stack, waitS * 1000))) {
    await tearDown(host);
    log('no DHCP lease within ' + waitS + ' s');
    return EXIT_FAIL;
  }
  if (dstHost !== '' && ip4FromString(dstHost) < 0) {
    // a name: the stack's own resolver (RFC 1035), with the servers DHCP or --dns gave
    const r = await resolveName(stack, dstHost, () => host.scheduler.tickNow());
    if (r.addr === 0) {
      await tearDown(host);
      log('cannot resolve ' + dstHost + (r.err !== ERR_OK ? ': ' + lwip_strerr(r.err as Err) : ''));
      return EXIT_FAIL;
    }
    dstHost = ip4ToString(r.addr);
  }
  const session = new NcSession(host);
  let listener: TcpPcb | null = null;
  let timer: ReturnType<typeof setTimeout> | null = setTimeout(() => {
    timer = null;
    if (session.pcb === null) {
      session.fail(listenPort > 0 ? 'no connection within ' + waitS + ' s' : 'connection to ' + dstHost + ':' + dstPort + ' timed out');
    }
  }, waitS * 1000);
  // Until the connection opens, stdin waits.
  process.stdin.pause();

  if (listenPort > 0) {
    timer && clearTimeout(timer); // a listener waits for as long as it takes
    timer = null;
    const pcb = tcp_new(stack);
    if (pcb === null) { await tearDown(host); log('no free pcb'); return EXIT_FAIL; }
    ip_set_option(pcb, SOF_REUSEADDR);
    const e = tcp_bind(pcb, 0, listenPort);
    if (e !== ERR_OK) { tcp_close(pcb); await tearDown(host); log('cannot listen on port ' + listenPort + ': ' + lwip_strerr(e)); return EXIT_FAIL; }
    listener = tcp_listen(pcb);
    if (listener === null) { await tearDown(host); log('cannot listen on port ' + listenPort); return EXIT_FAIL; }
    tcp_accept(listener, (_a, newpcb, err) => {
      if (newpcb === null || err !== ERR_OK) return ERR_OK;
      if (session.pcb !== null) { tcp_abort(newpcb); return ERR_ABRT; } // one connection, like nc -l
      session.open(newpcb);
      // nc -l serves one connection: stop listening (later SYNs are refused with RST)
      if (listener !== null) { tcp_close(listener); listener = null; }
      return ERR_OK;
    });
    if (!values.quiet) log('listening on ' + values.ip + ' port ' + listenPort);
  } else {
    const pcb = tcp_new(stack);
    if (pcb === null) { await tearDown(host); log('no free pcb'); return EXIT_FAIL; }
    tcp_err(pcb, (_a, err) => {
      if (err === ERR_RST) session.fail('connection to ' + dstHost + ':' + dstPort + ' refused');
      else if (err === ERR_TIMEOUT) session.fail('connection to ' + dstHost + ':' + dstPort + ' timed out');
      else session.fail('connection to ' + dstHost + ':' + dstPort + ' failed: ' + lwip_strerr(err));
    });
    const e = tcp_connect(pcb, dstHost, dstPort, (_a, p, err) => {
      if (err !== ERR_OK) { session.fail('connect failed: ' + lwip_strerr(err)); return ERR_OK; }
      if (timer !== null) { clearTimeout(timer); timer = null; }
      session.open(p);
      return ERR_OK;
    });
    if (e !== ERR_OK) { await tearDown(host); log('connect: ' + lwip_strerr(e)); return EXIT_FAIL; }
    host.scheduler.tickNow();
  }

  const code = await Promise.race([session.wait(), onceSignal().then(() => { session.interrupt(); return EXIT_OK; })]);
  if (timer !== null) clearTimeout(timer);
  if (listener !== null) tcp_close(listener);
  host.scheduler.tickNow();
  if (code === EXIT_OK) await session.linger(2000);
  if (values.netstat !== undefined) printNetstat(host);
  await tearDown(host);
  return code;
}
