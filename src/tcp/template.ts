/**
 * Per-connection frame header templates (TCP_HDR_TEMPLATE). A connection's segments share most of
 * their Ethernet, IPv4 and TCP headers: addresses, ports, TTL, protocol, the header length and the
 * option kinds. The template holds those bytes, built once (Ip4.writeTemplate writes the Ethernet
 * and IPv4 parts through ARP, this file the TCP part), with the partial sum of the TCP checksum's
 * fixed words (pseudo-header addresses and protocol, ports, header length, option kinds: RFC 9293
 * §3.1). Each segment then gets one native copy of the template's 8-byte words and only its own
 * fields: sequence and acknowledgment numbers, flags, window, timestamps (RFC 7323 §3.2) and the
 * checksum, summed from the template's part plus those fields and the payload; Ip4.sendTemplated
 * fills the IPv4 length and identification and updates the header checksum (RFC 1624). The bytes
 * on the wire are the same as those tcpEmit writes field by field.
 *
 * A template lives in the arena after the pbuf pool (poolArenaAt, TCP_HDR_TEMPLATE_BYTES per pcb
 * at its pool index): no object per connection. Its last words record what it was built for: ARP's
 * epoch (an entry cleared or given a new MAC, an address or link change), the pcb's generation (a
 * new connection in the same pcb) and the TCP header length (timestamps on or off). Any of them
 * changed, it is built again; a next hop not resolved (or not unicast) leaves the segment to the
 * layered path, which resolves it.
 */
import type { StackCore } from '../core/context.js';
import { TCP_HDR_TEMPLATE_BYTES } from '../core/config.js';
import { PB_STRIDE, PB_OFF, PB_LEN, PB_TOTLEN, PB_REF, COPY_SCRATCH_BYTES, pbuf_free, pbufChksum, type Pbuf } from '../core/pbuf.js';
import { chksumFold, pseudoHeaderSum } from '../core/checksum.js';
import type { Ip4 } from '../ipv4/ip4.js';
import { IP_HLEN, IP_PROTO_TCP } from '../wire/ipv4.js';
import { ETH_HLEN } from '../wire/ethernet.js';
import { TCP_HLEN } from '../wire/tcp.js';
import { tsNow } from './options.js';
import type { Tcb } from './tcb.js';
import { TCB } from './tcb.js';

/** Bytes of a frame in front of its TCP header. */
const LINK_IP = ETH_HLEN + IP_HLEN;
/** The template's bookkeeping, 8-byte words from its start (after the 66 header bytes, padded). */
const W_EPOCH = 9;
const W_GEN = 10;
const W_HLEN = 11;
const W_ARP = 12;
const W_SUM = 13;

/** Builds `pcb`'s template for TCP headers of `hdrLen` bytes (20, or 32 with timestamps). False
 *  when its packets cannot go out through a template now (Ip4.writeTemplate). */
function tplBuild(core: StackCore, ip: Ip4, pcb: Tcb, t: number, hdrLen: number, ttl: number): boolean {
  const pv = pcb.v;
  const c = core.pbufs.copier;
  const b = c.all8;
  const w = c.all64;
  const tw = t >>> 3;
  w[tw + W_EPOCH] = -1;
  const epoch = ip.netif.arp.epoch;
  const arp = ip.writeTemplate(b, t, pv[TCB.localIp], pv[TCB.remoteIp], IP_PROTO_TCP, ttl);
  if (arp < 0) return false;
  const h = t + LINK_IP;
  const lp = pv[TCB.localPort];
  const rp = pv[TCB.remotePort];
  b[h] = lp >>> 8;
  b[h + 1] = lp;
  b[h + 2] = rp >>> 8;
  b[h + 3] = rp;
  for (let k = 4; k < hdrLen; k++) b[h + k] = 0;
  b[h + 12] = (hdrLen >>> 2) << 4;
  let sum = pseudoHeaderSum(pv[TCB.localIp], pv[TCB.remoteIp], IP_PROTO_TCP, 0) + lp + rp + ((hdrLen >>> 2) << 12);
  if (hdrLen > TCP_HLEN) {
    // nop, nop, kind 8, length 10 (RFC 7323 Appendix A), as tcpWriteOptTs writes them
    b[h + 20] = 1;
    b[h + 21] = 1;
    b[h + 22] = 8;
    b[h + 23] = 10;
    sum += 0x0101 + 0x080a;
  }
  w[tw + W_SUM] = sum;
  w[tw + W_ARP] = arp;
  w[tw + W_HLEN] = hdrLen;
  w[tw + W_GEN] = pcb.gen;
  w[tw + W_EPOCH] = epoch;
  return true;
}

/**
 * Sends `p`'s payload as a segment of `pcb` (the fields as tcpEmit takes them) through its header
 * template: headers of `hdrLen` bytes with at most timestamps as options, `p` a pool pbuf with room
 * for all headers in front of its payload. False, with nothing done, when the template cannot be
 * used (then tcpEmit takes the layered path). `p` is held across transmit(), as tcpEmit holds it,
 * and restored.
 */
export function tplEmit(core: StackCore, ip: Ip4, pcb: Tcb, p: Pbuf, seqno: number, ackno: number, flags: number,
  wnd: number, hdrLen: number, ttl: number): boolean {
  const pv = pcb.v;
  const pool = core.pbufs;
  const pi = p.index;
  if (pi >= pool.count) return false;
  const m = pool.meta;
  const pb = pi * PB_STRIDE;
  const fl = LINK_IP + hdrLen;
  const po = m[pb + PB_OFF];
  const o = po - fl;
  if (o < pi * pool.bufsize) return false;
  const c = pool.copier;
  const w = c.all64;
  // the template's place in the arena (poolArenaAt, written out: once per segment)
  const t = ((pool.count * pool.bufsize + COPY_SCRATCH_BYTES + 7) & ~7) + pcb.mempIndex * TCP_HDR_TEMPLATE_BYTES;
  const tw = t >>> 3;
  if ((w[tw + W_EPOCH] !== ip.netif.arp.epoch || w[tw + W_GEN] !== pcb.gen || w[tw + W_HLEN] !== hdrLen)
    && !tplBuild(core, ip, pcb, t, hdrLen, ttl)) return false;
  const tl = m[pb + PB_TOTLEN];
  // transmit offload (NetDriver.txChecksumOffload): the NIC sums header and payload
  const offload = ip.netif.txChecksumOffload;
  // RFC 9293 §3.1: the template's words, the TCP length, this segment's fields, then the payload
  let sum = w[tw + W_SUM] + hdrLen + tl + flags + (seqno >>> 16) + (seqno & 0xffff) + (ackno >>> 16)
    + (ackno & 0xffff) + wnd;
  if (tl > 0 && !offload) sum += pbufChksum(p, tl, 0, core.chksum);
  // the template's whole 8-byte words: one native copy (a Float64Array's when the two sides agree
  // mod 8); the bytes after the last whole word are fields written below
  const words = fl >>> 3;
  if (((o - t) & 7) === 0) w.copyWithin(o >>> 3, tw, tw + words);
  else c.all8.copyWithin(o, t, t + (words << 3));
  // big-endian fields through the pool's DataView: one call where bytes would take two or four stores
  const dv = pool.view;
  const h = o + LINK_IP;
  dv.setUint32(h + 4, seqno);
  dv.setUint32(h + 8, ackno);
  pool.mem[h + 13] = flags;
  dv.setUint16(h + 18, 0);
  if (hdrLen > TCP_HLEN) {
    const v = tsNow(pcb, core.now);
    const e = pv[TCB.tsRecent];
    dv.setUint32(h + 24, v);
    dv.setUint32(h + 28, e);
    sum += (v >>> 16) + (v & 0xffff) + (e >>> 16) + (e & 0xffff);
  }
  // the fold of chksumFold and the complement of chksumFinish, written out: once per segment
  if (sum > 0xffff) sum = sum % 0xffff || 0xffff;
  // the window and the checksum side by side; with offload the field holds the pseudo-header's sum
  // only (folded, not complemented), which the NIC completes
  const field = offload ? chksumFold(pseudoHeaderSum(pv[TCB.localIp], pv[TCB.remoteIp], IP_PROTO_TCP, hdrLen + tl)) : ~sum & 0xffff;
  dv.setUint32(h + 14, (wnd << 16) | field);
  core.stats.tcp.xmit++;
  // pbuf_add_header and pbuf_ref written out (p is a pool pbuf with the room checked above)
  m[pb + PB_OFF] = o;
  m[pb + PB_LEN] += fl;
  m[pb + PB_TOTLEN] += fl;
  m[pb + PB_REF]++;
  ip.sendTemplated(p, o, IP_HLEN + hdrLen + tl, w[tw + W_ARP]);
  m[pb + PB_OFF] = po;
  m[pb + PB_LEN] -= fl;
  m[pb + PB_TOTLEN] -= fl;
  // pbuf_free written out for the usual case: nobody else let go of p meanwhile
  const r = m[pb + PB_REF];
  if (r > 1) m[pb + PB_REF] = r - 1;
  else pbuf_free(p);
  return true;
}
