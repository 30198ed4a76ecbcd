/**
 * src/wire/icmp.ts and src/wire/udp.ts: headers of kernel-made messages, checksums over chains cut
 * at every point, RFC 768's zero/0xffff rule, every truncation and wrong length.
 */
import assert from 'node:assert/strict';
import {
  ICMP_HLEN, ICMP_ECHO, ICMP_ECHOREPLY, ICMP_DUR, ICMP_DUR_PORT, ICMP_DUR_FRAG, ICMP_TE, ICMP_SQ, ICMP_RD, ICMP_PP,
  ICMP_ERR_SHORT, IcmpInfo, icmpParse, icmpIsError, icmpWriteEcho, icmpWriteHeader, icmpChecksumOk, icmpFillChecksum,
  icmpSetChksum,
} from '../../src/wire/icmp.js';
import {
  UDP_HLEN, UDP_ERR_SHORT, UDP_ERR_LEN, UdpInfo, udpParse, udpWrite, udpChecksum, udpSrcPort, udpDstPort,
  udpSetChksum,
} from '../../src/wire/udp.js';
import { Ip4Header, ip4Parse } from '../../src/wire/ipv4.js';
import { SeededRandom } from '../../src/core/random.js';
import {
  CAPTURED, hex, ip, refChecksum, refTransportChecksum, makeChain, flatten, be16, KERNEL_IP, PEER_IP,
} from '../helpers/wire-ref.js';

const OFF = 34; // Ethernet + IPv4 without options

function randomBytes(n: number, r: SeededRandom): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = r.nextU32() & 255;
  return a;
}

describe('wire/icmp', () => {
  it('reads the kernel echo reply and request: type, id, seq, checksum', () => {
    const info = new IcmpInfo();
    const rep = hex(CAPTURED.echoReply);
    assert.equal(icmpParse(rep, OFF, rep.length - OFF, info), 0);
    assert.deepEqual([info.type, info.code, info.id, info.seq, info.chksum], [ICMP_ECHOREPLY, 0, 0x4242, 7, 0xccb5]);
    assert.equal(info.rest, 0x42420007);
    assert.ok(icmpChecksumOk(makeChain(rep.subarray(OFF), []), rep.length - OFF));
    const req = hex(CAPTURED.echoRequest);
    assert.equal(icmpParse(req, OFF, req.length - OFF, info), 0);
    assert.deepEqual([info.type, info.code, info.id, info.seq, info.chksum], [ICMP_ECHO, 0, 12702, 1, 0x9b2d]);
    assert.ok(icmpChecksumOk(makeChain(req.subarray(OFF), []), req.length - OFF));
    assert.equal(refChecksum(req, OFF), 0);
  });

  it('reads the kernel port unreachable: an error, quoting the datagram (RFC 792)', () => {
    const f = hex(CAPTURED.portUnreach);
    const info = new IcmpInfo();
    const n = f.length - OFF;
    assert.equal(icmpParse(f, OFF, n, info), 0);
    assert.equal(info.type, ICMP_DUR);
    assert.equal(info.code, ICMP_DUR_PORT);
    assert.equal(info.rest, 0);
    assert.ok(icmpIsError(info.type));
    assert.ok(icmpChecksumOk(makeChain(f.subarray(OFF), [5, 17]), n));
    const inner = new Ip4Header();
    assert.equal(ip4Parse(f, OFF + ICMP_HLEN, n - ICMP_HLEN, inner), 0);
    const u = new UdpInfo();
    assert.equal(udpParse(f, OFF + ICMP_HLEN + 20, inner.totLen - 20, u), 0);
    assert.deepEqual([u.srcPort, u.dstPort, u.len], [40002, 9999, 12]);
  });

  it('icmpWriteEcho + icmpFillChecksum agree with the reference for odd and even payloads', () => {
    const r = new SeededRandom(792);
    for (const plen of [0, 1, 2, 31, 32, 56, 1471]) {
      const msg = new Uint8Array(ICMP_HLEN + plen);
      msg.set(randomBytes(plen, r), ICMP_HLEN);
      msg.fill(0xcc, 0, ICMP_HLEN);
      icmpWriteEcho(msg, 0, ICMP_ECHO, 0xbeef, 0xffff);
      assert.deepEqual(Array.from(msg.subarray(0, 8)), [8, 0, 0, 0, 0xbe, 0xef, 0xff, 0xff]);
      const expected = refChecksum(msg);
      const chain = makeChain(msg, [3]);
      icmpFillChecksum(chain, msg.length);
      assert.equal(be16(flatten(chain), 2), expected, 'field stored across the cut');
      assert.ok(icmpChecksumOk(chain, msg.length));
    }
  });

  it('the checksum over a chain cut at every point (odd parts included) equals the contiguous one', () => {
    const f = hex(CAPTURED.echoReply).subarray(OFF);
    for (let cut = 0; cut <= f.length; cut++) {
      for (const pad of [0, 1]) {
        assert.ok(icmpChecksumOk(makeChain(f, [cut], pad, true), f.length), `cut ${cut} pad ${pad}`);
        assert.ok(icmpChecksumOk(makeChain(f, [cut, cut + 3, cut + 7], pad), f.length), `cuts ${cut}+ pad ${pad}`);
      }
    }
  });

  it('a damaged byte anywhere in the message fails the checksum', () => {
    const f = hex(CAPTURED.echoReply).subarray(OFF);
    for (let i = 0; i < f.length; i++) {
      const g = Uint8Array.from(f);
      g[i] ^= 0x5a;
      assert.ok(!icmpChecksumOk(makeChain(g, [i]), g.length), 'byte ' + i);
    }
  });

  it('icmpParse refuses 0..7 bytes', () => {
    const f = hex(CAPTURED.echoReply).subarray(OFF);
    const info = new IcmpInfo();
    for (let n = 0; n < ICMP_HLEN; n++) assert.equal(icmpParse(f, 0, n, info), ICMP_ERR_SHORT, 'len ' + n);
    assert.equal(info.type, 0);
    assert.equal(info.id, 0);
  });

  it('classifies error types (RFC 1122 §3.2.2)', () => {
    const errors = new Set([ICMP_DUR, ICMP_SQ, ICMP_RD, ICMP_TE, ICMP_PP]);
    for (let t = 0; t < 256; t++) assert.equal(icmpIsError(t), errors.has(t), 'error? ' + t);
  });

  it('icmpWriteHeader writes type, code and the rest-of-header word (RFC 1191 next-hop MTU)', () => {
    const b = new Uint8Array(8).fill(0xff);
    icmpWriteHeader(b, 0, ICMP_DUR, ICMP_DUR_FRAG, 1400);
    assert.deepEqual(Array.from(b), [3, 4, 0, 0, 0, 0, 0x05, 0x78]);
    icmpWriteHeader(b, 0, ICMP_TE, 0, 0);
    icmpSetChksum(b, 0, 0x1234);
    assert.deepEqual(Array.from(b), [11, 0, 0x12, 0x34, 0, 0, 0, 0]);
  });
});

describe('wire/udp', () => {
  it('reads the kernel datagram and verifies its checksum over a chain', () => {
    const f = hex(CAPTURED.udp);
    const u = new UdpInfo();
    const n = f.length - OFF;
    assert.equal(udpParse(f, OFF, n, u), 0);
    assert.deepEqual([u.srcPort, u.dstPort, u.len, u.chksum], [5353, 9, 23, 0x4e0c]);
    assert.equal(new TextDecoder().decode(f.subarray(OFF + 8)), 'xs-tcp udp test');
    const seg = f.subarray(OFF);
    assert.equal(refTransportChecksum(seg, KERNEL_IP, PEER_IP, 17), 0);
    for (let cut = 0; cut <= n; cut++) {
      assert.equal(udpChecksum(makeChain(seg, [cut], cut & 1, true), KERNEL_IP, PEER_IP), 0, 'cut ' + cut);
    }
    assert.notEqual(udpChecksum(makeChain(seg, []), KERNEL_IP, ip('10.77.0.3')), 0, 'wrong pseudo-header');
    for (let i = 0; i < n; i++) {
      const g = Uint8Array.from(seg);
      g[i] ^= 0x24;
      assert.notEqual(udpChecksum(makeChain(g, [i]), KERNEL_IP, PEER_IP), 0, 'damaged byte ' + i);
    }
    assert.equal(udpSrcPort(f, OFF), 5353);
    assert.equal(udpDstPort(f, OFF), 9);
  });

  it('udpWrite + udpChecksum reproduce the kernel datagram byte for byte', () => {
    const f = hex(CAPTURED.udp);
    const seg = Uint8Array.from(f.subarray(OFF));
    seg.fill(0, 0, 8);
    udpWrite(seg, 0, 5353, 9, seg.length);
    const chain = makeChain(seg, [8], 0, true);
    const sum = udpChecksum(chain, KERNEL_IP, PEER_IP);
    udpSetChksum(chain.buf, chain.off, sum);
    assert.equal(sum, 0x4e0c);
    assert.deepEqual(chain.buf.subarray(0, 8), f.subarray(OFF, OFF + 8));
  });

  it('round-trips random datagrams, the checksum matching the reference', () => {
    const r = new SeededRandom(768);
    const u = new UdpInfo();
    for (let n = 0; n < 100; n++) {
      const plen = r.nextU32() % 200;
      const seg = new Uint8Array(UDP_HLEN + plen);
      seg.set(randomBytes(plen, r), UDP_HLEN);
      const sp = r.nextU32() & 0xffff;
      const dp = r.nextU32() & 0xffff;
      const src = r.nextU32();
      const dst = r.nextU32();
      udpWrite(seg, 0, sp, dp, seg.length);
      let expect = refTransportChecksum(seg, src, dst, 17);
      if (expect === 0) expect = 0xffff;
      const cuts = [r.nextU32() % (seg.length + 1), r.nextU32() % (seg.length + 1)].sort((a, b) => a - b);
      const chain = makeChain(seg, cuts, r.nextU32() & 1, (r.nextU32() & 1) === 1);
      const sum = udpChecksum(chain, src, dst);
      assert.equal(sum, expect);
      udpSetChksum(seg, 0, sum);
      assert.equal(udpChecksum(makeChain(seg, cuts, 1), src, dst), 0, 'verifies after filling');
      assert.equal(udpParse(seg, 0, seg.length, u), 0);
      assert.deepEqual([u.srcPort, u.dstPort, u.len, u.chksum], [sp, dp, seg.length, sum]);
    }
  });

  it('sends a computed 0 as 0xffff (RFC 768) and verifies such a datagram as intact', () => {
    const src = ip('10.0.0.1');
    const dst = ip('10.0.0.2');
    const seg = new Uint8Array(UDP_HLEN + 4);
    udpWrite(seg, 0, 1234, 5678, seg.length);
    // choose the last payload word so that the one's complement sum is all ones
    const s = 0xffff - refChecksum(refPseudo4(src, dst, seg));
    const w = (0xffff - s) & 0xffff;
    seg[10] = w >>> 8; seg[11] = w & 255;
    assert.equal(refTransportChecksum(seg, src, dst, 17), 0, 'the computed checksum is 0');
    const sum = udpChecksum(makeChain(seg, []), src, dst);
    assert.equal(sum, 0xffff);
    seg[6] = 0xff; seg[7] = 0xff;
    assert.equal(udpChecksum(makeChain(seg, [7]), src, dst), 0);
  });

  it('udpParse refuses 0..7 bytes', () => {
    const seg = hex(CAPTURED.udp).subarray(OFF);
    const u = new UdpInfo();
    for (let n = 0; n < UDP_HLEN; n++) assert.equal(udpParse(seg, 0, n, u), UDP_ERR_SHORT, 'len ' + n);
    assert.equal(u.len, 0);
  });

  it('udpParse checks the length field against the bytes available', () => {
    const seg = hex(CAPTURED.udp).subarray(OFF); // length field 23
    const u = new UdpInfo();
    for (let n = UDP_HLEN; n < 23; n++) assert.equal(udpParse(seg, 0, n, u), UDP_ERR_LEN, 'avail ' + n);
    assert.equal(udpParse(seg, 0, 23, u), 0);
    const padded = new Uint8Array(40);
    padded.set(seg);
    assert.equal(udpParse(padded, 0, 40, u), 0, 'padding after the datagram');
    assert.equal(u.len, 23);
    for (const bad of [0, 1, 7]) {
      padded[4] = 0; padded[5] = bad;
      assert.equal(udpParse(padded, 0, 40, u), UDP_ERR_LEN, 'length field ' + bad);
    }
    padded[4] = 0xff; padded[5] = 0xff;
    assert.equal(udpParse(padded, 0, 40, u), UDP_ERR_LEN);
    padded[4] = 0; padded[5] = 8;
    assert.equal(udpParse(padded, 0, 40, u), 0, 'an empty datagram');
    assert.equal(u.len, 8);
  });
});

/** Pseudo-header + segment as one byte array, for the reference sum. */
function refPseudo4(src: number, dst: number, seg: Uint8Array): number[] {
  return [src >>> 24, (src >>> 16) & 255, (src >>> 8) & 255, src & 255, dst >>> 24, (dst >>> 16) & 255,
    (dst >>> 8) & 255, dst & 255, 0, 17, seg.length >>> 8, seg.length & 255, ...seg];
}
