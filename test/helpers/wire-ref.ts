/**
 * Test-side references for the src/wire tests: real frames captured from the Linux kernel, a plain
 * RFC 1071 checksum written the obvious way, and builders of pbuf-like chains. Independent of
 * src/wire on purpose. Allocation is fine here.
 */
import type { ChecksumChain } from '../../src/core/checksum.js';

export function hex(s: string): Uint8Array {
  const t = s.replace(/[^0-9a-fA-F]/g, '');
  const a = new Uint8Array(t.length >> 1);
  for (let i = 0; i < a.length; i++) a[i] = parseInt(t.substr(i * 2, 2), 16);
  return a;
}

export function ip(text: string): number {
  const p = text.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

export function mac(text: string): Uint8Array {
  return hex(text);
}

export function be16(b: ArrayLike<number>, o: number): number { return b[o] * 256 + b[o + 1]; }
export function be32(b: ArrayLike<number>, o: number): number { return be16(b, o) * 65536 + be16(b, o + 2); }

/** RFC 1071 §4.1 done naively: 16-bit big-endian words, odd byte padded, carries folded at the end. */
export function refChecksum(bytes: ArrayLike<number>, off = 0, len = bytes.length - off, acc = 0): number {
  let sum = acc;
  for (let i = 0; i < len; i += 2) sum += bytes[off + i] * 256 + (i + 1 < len ? bytes[off + i + 1] : 0);
  while (sum > 0xffff) sum = (sum % 65536) + Math.floor(sum / 65536);
  return (0xffff - sum) & 0xffff;
}

/** The 12-byte IPv4 pseudo-header (RFC 9293 §3.1, RFC 768) as bytes. */
export function refPseudo(src: number, dst: number, proto: number, len: number): number[] {
  return [src >>> 24, (src >>> 16) & 255, (src >>> 8) & 255, src & 255,
    dst >>> 24, (dst >>> 16) & 255, (dst >>> 8) & 255, dst & 255, 0, proto, len >>> 8, len & 255];
}

/** Transport checksum of `seg` (whose checksum field holds whatever it holds) with the pseudo-header. */
export function refTransportChecksum(seg: Uint8Array, src: number, dst: number, proto: number): number {
  const all = refPseudo(src, dst, proto, seg.length).concat(Array.from(seg));
  return refChecksum(all);
}

export interface TestChain extends ChecksumChain {
  totLen: number;
  next: TestChain | null;
}

/**
 * Splits `bytes` into a chain cut at `cuts` (ascending offsets), each part copied into its own buffer
 * at offset `pad` (odd pads exercise the byte path), with a 16-bit view when `with16`.
 */
export function makeChain(bytes: Uint8Array, cuts: number[], pad = 3, with16 = false): TestChain {
  const edges = [0, ...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length];
  let head: TestChain | null = null;
  let tail: TestChain | null = null;
  for (let k = 0; k + 1 < edges.length; k++) {
    const a = edges[k];
    const b = edges[k + 1];
    const ab = new ArrayBuffer(((b - a + pad + 8) + 1) & ~1);
    const buf = new Uint8Array(ab);
    buf.fill(0xa5);
    buf.set(bytes.subarray(a, b), pad);
    const node: TestChain = { buf, buf16: with16 ? new Uint16Array(ab) : null, off: pad, len: b - a, totLen: 0, next: null };
    if (tail === null) head = node; else tail.next = node;
    tail = node;
  }
  if (head === null) {
    const buf = new Uint8Array(8);
    head = { buf, buf16: null, off: 0, len: 0, totLen: 0, next: null };
  }
  // totLen of each node: its bytes and all that follow
  const nodes: TestChain[] = [];
  for (let q: TestChain | null = head; q !== null; q = q.next) nodes.push(q);
  let acc = 0;
  for (let i = nodes.length - 1; i >= 0; i--) { acc += nodes[i].len; nodes[i].totLen = acc; }
  return head;
}

/** Places `bytes` at `off` inside a larger buffer filled with `fill`. */
export function at(bytes: Uint8Array, off: number, extra = 0, fill = 0xee): Uint8Array {
  const b = new Uint8Array(off + bytes.length + extra);
  b.fill(fill);
  b.set(bytes, off);
  return b;
}

/**
 * Frames emitted by the Linux kernel (6.18) itself, captured from a TAP device (no checksum offload)
 * inside a private network namespace: the kernel at 10.77.0.1 / 02:00:00:00:00:01, the injected
 * peer at 10.77.0.2 / 02:00:00:00:00:02. Decoded values in the comments are tcpdump -vv's, which
 * also reported every checksum correct.
 */
export const CAPTURED = {
  /** ARP, Request who-has 10.77.0.2 tell 10.77.0.1 (42 bytes: the TAP does not pad). */
  arpRequest: 'ffffffffffff020000000001080600010800060400010200000000010a4d00010000000000000a4d0002',
  /**
   * IP id 12407 DF ttl 64 len 60; 10.77.0.1.38834 > 10.77.0.2.80: Flags [S], cksum 0x40b5,
   * seq 2592746662, win 64240, options [mss 1460,sackOK,TS val 3893801072 ecr 0,nop,wscale 10].
   */
  syn: '02000000000202000000000108004500003c307740004006f5a80a4d00010a4d000297b200509a8a2ca600000000a002faf040b50000020405b40402080ae816b070000000000103030a',
  /** id 12408 len 52; Flags [.], cksum 0x25cd, seq 2592746663, ack 4294967281, win 63, [nop,nop,TS val 3893801073 ecr 287454020]. */
  ack: '020000000002020000000001080045000034307840004006f5af0a4d00010a4d000297b200509a8a2ca7fffffff18010003f25cd00000101080ae816b07111223344',
  /** id 12409 len 64; Flags [P.], cksum 0xf293, seq 2592746663:+12, ack 4294967281, win 63, TS val 3893801124 ecr 287454020, "hello, wire\n". */
  data: '020000000002020000000001080045000040307940004006f5a20a4d00010a4d000297b200509a8a2ca7fffffff18018003ff29300000101080ae816b0a41122334468656c6c6f2c20776972650a',
  /** id 0 len 60; 10.77.0.1.7777 > 10.77.0.2.40000: Flags [S.], cksum 0x3df1, seq 480102632, ack 4294967295, win 65160, [mss 1460,sackOK,TS val 3276469702 ecr 3735928559,nop,wscale 10]. */
  synack: '02000000000202000000000108004500003c00004000400626200a4d00010a4d00021e619c401c9dc8e8ffffffffa012fe883df10000020405b40402080ac34af5c6deadbeef0103030a',
  /** len 40; 10.77.0.1.9 > 10.77.0.2.40001: Flags [R.], cksum 0xfb00, seq 0, ack 1001, win 0. */
  rst: '02000000000202000000000108004500002800004000400626340a4d00010a4d000200099c4100000000000003e950140000fb000000',
  /** id 45742 no flags len 60; ICMP echo reply, id 16962 (0x4242), seq 7, 32 bytes 00..1f. */
  echoReply: '02000000000202000000000108004500003cb2ae00004001b3760a4d00010a4d00020000ccb542420007000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
  /** id 20040 DF len 43; 10.77.0.1.5353 > 10.77.0.2.9 UDP "xs-tcp udp test", udp sum ok. */
  udp: '02000000000202000000000108004500002b4e4840004011d7dd0a4d00010a4d000214e9000900174e0c78732d746370207564702074657374',
  /** tos 0xc0 id 45743 len 60; ICMP 10.77.0.1 udp port 9999 unreachable, quoting 10.77.0.2.40002 > 10.77.0.1.9999 (id 4660 DF len 32). */
  portUnreach: '020000000002020000000001080045c0003cb2af00004001b2b50a4d00010a4d0002030311b7000000004500002012344000401113fd0a4d00020a4d00019c42270f000c491770696e67',
  /** id 45744 DF len 44; ICMP echo request (ping -s 16), id 12702, seq 1. */
  echoRequest: '02000000000202000000000108004500002cb2b04000400173840a4d00010a4d000208009b2d319e0001ffd2016b0000000023f5060000000000',
};

export const KERNEL_IP = ip('10.77.0.1');
export const PEER_IP = ip('10.77.0.2');

/** The bytes of a chain, concatenated. */
export function flatten(c: TestChain | null): Uint8Array {
  const out: number[] = [];
  for (let q = c; q !== null; q = q.next) for (let i = 0; i < q.len; i++) out.push(q.buf[q.off + i]);
  return Uint8Array.from(out);
}
