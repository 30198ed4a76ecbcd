/**
 * UDP frame tunnel: every Ethernet frame (destination MAC first, no FCS, no extra header) travels as
 * the payload of one UDP datagram. This is the framing of QEMU's `-netdev dgram` (and the older
 * `-netdev socket,udp=`) and of `socat TUN,tun-type=tap,iff-no-pi UDP-DATAGRAM:...`, so the stack
 * can be bridged to a TAP by socat, wired to a VM, or joined to another xs-tcp process:
 *
 *   xs-tcp up --udp 7000:127.0.0.1:7001 --ip 10.0.0.2/24
 *   xs-tcp nc --udp 7001:127.0.0.1:7000 --ip 10.0.0.3/24 10.0.0.2 7
 *
 * We bind LHOST:LPORT (127.0.0.1 unless told otherwise) and send to RHOST:RPORT; datagrams from any
 * other source are dropped and counted, so a stray packet on the port cannot inject frames.
 */
import * as dgram from 'node:dgram';
import type { FrameChain, FrameSink } from '../../src/hal.js';
import { randomMac } from './random.js';
import { newDriverStats, type HostDriver } from './driver.js';

export interface UdpTunnelOptions {
  /** Local port to bind; 0 picks a free one (see `localPort` after open). */
  localPort: number;
  /** Local address to bind. Default 127.0.0.1. */
  localHost?: string;
  remoteHost: string;
  remotePort: number;
  mac?: Uint8Array;
  /** IPv4 MTU. Default 1500. */
  mtu?: number;
  /** Accept datagrams from any source (not only RHOST:RPORT). Default false. */
  anySource?: boolean;
}

/** Parses "LPORT:RHOST:RPORT" (the --udp argument); null if malformed. */
export function parseUdpSpec(spec: string): { localPort: number; remoteHost: string; remotePort: number } | null {
  const m = /^(\d{1,5}):([^:]+):(\d{1,5})$/.exec(spec);
  if (m === null) return null;
  const lp = Number(m[1]);
  const rp = Number(m[3]);
  if (lp > 65535 || rp < 1 || rp > 65535) return null;
  return { localPort: lp, remoteHost: m[2], remotePort: rp };
}

/** A UDP port on 127.0.0.1 that was free a moment ago (for a helper process to bind). */
export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve());
  });
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export class UdpTunnelDriver implements HostDriver {
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly stats = newDriverStats();
  readonly description: string;
  readonly localPort: number;
  readonly remoteHost: string;
  readonly remotePort: number;
  onBurst: (() => void) | null = null;
  private readonly socket: dgram.Socket;
  private sink: FrameSink | null = null;
  private closed = false;
  private burstQueued = false;
  private readonly anySource: boolean;
  /** Resolved numeric address of the peer, to compare against each datagram's source. */
  private readonly remoteAddress: string;
  private readonly runBurst = (): void => {
    this.burstQueued = false;
    if (this.onBurst !== null && !this.closed) this.onBurst();
  };

  private constructor(socket: dgram.Socket, opts: UdpTunnelOptions, remoteAddress: string) {
    this.socket = socket;
    this.mac = opts.mac ?? randomMac();
    this.mtu = opts.mtu ?? 1500;
    this.localPort = socket.address().port;
    this.remoteHost = opts.remoteHost;
    this.remotePort = opts.remotePort;
    this.remoteAddress = remoteAddress;
    this.anySource = opts.anySource ?? false;
    this.description = 'udp ' + (opts.localHost ?? '127.0.0.1') + ':' + this.localPort + ' -> ' + opts.remoteHost + ':' + opts.remotePort;
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
  }

  /** Binds the local port; rejects with the socket error (EADDRINUSE, EACCES, ...). */
  static async open(opts: UdpTunnelOptions): Promise<UdpTunnelDriver> {
    const { lookup } = await import('node:dns/promises');
    const remote = await lookup(opts.remoteHost, { family: 4 });
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024, sendBufferSize: 4 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(opts.localPort, opts.localHost ?? '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // Errors after bind (ICMP port unreachable reported as ECONNREFUSED on Linux) are not fatal for a
    // tunnel whose other end is not up yet: count them.
    const drv = new UdpTunnelDriver(socket, opts, remote.address);
    socket.on('error', () => { drv.stats.txErrors++; });
    return drv;
  }

  isLinkUp(): boolean {
    return !this.closed;
  }

  attach(sink: FrameSink): void {
    this.sink = sink;
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed || this.sink === null) return;
    if (!this.anySource && (rinfo.port !== this.remotePort || rinfo.address !== this.remoteAddress)) {
      this.stats.rxErrors++;
      return;
    }
    this.stats.rxFrames++;
    this.stats.rxBytes += msg.length;
    this.sink.receiveFrame(msg, 0, msg.length);
    // Datagrams arrive one 'message' event each; run the stack's tick once after the batch that
    // the event loop delivers in this turn.
    if (!this.burstQueued) {
      this.burstQueued = true;
      setImmediate(this.runBurst);
    }
  }

  transmit(frame: FrameChain, totLen: number): boolean {
    if (this.closed) return false;
    // dgram.send is asynchronous and keeps a reference to the bytes until the datagram has gone:
    // copy the frame into a buffer of its own (host-side harness, not the stack's hot path).
    const out = Buffer.allocUnsafe(totLen);
    let pos = 0;
    for (let q: FrameChain | null = frame; q !== null && pos < totLen; q = q.next) {
      const n = q.len < totLen - pos ? q.len : totLen - pos;
      out.set(q.buf.subarray(q.off, q.off + n), pos);
      pos += n;
    }
    this.socket.send(out, 0, totLen, this.remotePort, this.remoteAddress);
    this.stats.txFrames++;
    this.stats.txBytes += totLen;
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
