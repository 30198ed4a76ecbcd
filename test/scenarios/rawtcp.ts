/**
 * A hand-driven TCP peer on a RawEndpoint: it answers ARP for its address, records every TCP segment
 * it receives, and sends segments exactly as a test writes them (RFC 9293 §3.1 header, checksum with
 * the pseudo-header). Built with the test-side frame helpers, independently of src/wire.
 */
import type { MockNet } from '../../tools/mocknet.js';
import type { RawEndpoint } from '../../hal/mock/wire.js';
import type { Stack } from '../../src/api/stack.js';
import { answerArp, cksum, eth, get16, get32, ipv4, put16, put32 } from '../helpers/frames.js';

export const F_FIN = 0x01;
export const F_SYN = 0x02;
export const F_RST = 0x04;
export const F_PSH = 0x08;
export const F_ACK = 0x10;

export interface RawSeg {
  src: number; dst: number; sport: number; dport: number;
  seq: number; ack: number; flags: number; wnd: number; len: number; mss: number;
}

export function flagsText(f: number): string {
  let s = '';
  if (f & F_SYN) s += 'S';
  if (f & F_FIN) s += 'F';
  if (f & F_RST) s += 'R';
  if (f & F_PSH) s += 'P';
  if (f & F_ACK) s += '.';
  return s;
}

export class RawTcpPeer {
  readonly raw: RawEndpoint;
  readonly ip: number;
  readonly segs: RawSeg[] = [];

  constructor(net: MockNet, ip: number) {
    this.raw = net.addRaw();
    this.raw.keep = false;
    this.ip = ip;
    answerArp(this.raw, ip);
    this.raw.onFrame((f) => {
      if (f.length < 54 || get16(f, 12) !== 0x0800 || f[23] !== 6 || get32(f, 30) !== ip) return;
      const ihl = (f[14] & 15) * 4;
      const t = 14 + ihl;
      const hl = (f[t + 12] >>> 4) * 4;
      const totLen = get16(f, 16);
      let mss = 0;
      for (let o = t + 20; o < t + hl;) {
        const kind = f[o];
        if (kind === 0) break;
        if (kind === 1) { o++; continue; }
        if (kind === 2) mss = get16(f, o + 2);
        o += f[o + 1] || 1;
      }
      this.segs.push({
        src: get32(f, 26), dst: get32(f, 30), sport: get16(f, t), dport: get16(f, t + 2),
        seq: get32(f, t + 4), ack: get32(f, t + 8), flags: f[t + 13], wnd: get16(f, t + 14),
        len: totLen - ihl - hl, mss,
      });
    });
  }

  /** Sends one segment to `stack`. */
  send(stack: Stack, net: MockNet, sport: number, dport: number, seq: number, ack: number, flags: number,
    wnd = 8192, data: Uint8Array | null = null, mss = 0): boolean {
    const dst = stack.netif.ip;
    const optLen = mss > 0 ? 4 : 0;
    const dlen = data === null ? 0 : data.length;
    const t = new Uint8Array(20 + optLen + dlen);
    put16(t, 0, sport); put16(t, 2, dport); put32(t, 4, seq >>> 0); put32(t, 8, ack >>> 0);
    t[12] = ((20 + optLen) / 4) << 4; t[13] = flags; put16(t, 14, wnd);
    if (mss > 0) { t[20] = 2; t[21] = 4; put16(t, 22, mss); }
    if (data !== null) t.set(data, 20 + optLen);
    const src = this.ip;
    const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + t.length;
    put16(t, 16, cksum(t, 0, t.length, pseudo));
    const dstMac = net.driverOf(stack).mac;
    return this.raw.send(eth(dstMac, this.raw.mac, 0x0800, ipv4({ src, dst, proto: 6 }, t)));
  }

  /** Segments received since the last call. */
  takeAll(): RawSeg[] {
    return this.segs.splice(0, this.segs.length);
  }
}
