/**
 * src/wire/ipv4.ts: the header checks of RFC 791 / RFC 1122 §3.2.1 one by one, against real kernel
 * frames, a textbook checksum example and a naive RFC 1071 reference.
 */
import assert from 'node:assert/strict';
import {
  IP_HLEN, IP_PROTO_TCP, IP_PROTO_UDP, IP_PROTO_ICMP, IP_FLAG_DF, IP_FLAG_MF, IP_FLAG_RF, IP_OFFMASK,
  IP4_ERR_SHORT, IP4_ERR_VERSION, IP4_ERR_HLEN, IP4_ERR_TOTLEN, IP4_ERR_CHKSUM, Ip4Header, ip4Parse, ip4Write,
  ip4FillChecksum, ip4Version, ip4Ihl, ip4Tos, ip4FlagsFrag, ip4Ttl, ip4Proto, ip4Chksum, ip4Src, ip4Dst,
  ip4SetTotLen, ip4SetFlagsFrag,
} from '../../src/wire/ipv4.js';
import { SeededRandom } from '../../src/core/random.js';
import { poolChecksum } from '../../src/core/checksum.js';
import { CAPTURED, hex, ip, refChecksum, be16, KERNEL_IP, PEER_IP } from '../helpers/wire-ref.js';

/** A 20-byte header built from RFC 791's layout, with the checksum by the naive reference. */
function refHeader(tos: number, totLen: number, id: number, ff: number, ttl: number, proto: number,
  src: number, dst: number): Uint8Array {
  const h = new Uint8Array(20);
  h[0] = 0x45; h[1] = tos; h[2] = totLen >>> 8; h[3] = totLen & 255; h[4] = id >>> 8; h[5] = id & 255;
  h[6] = ff >>> 8; h[7] = ff & 255; h[8] = ttl; h[9] = proto;
  for (let i = 0; i < 4; i++) { h[12 + i] = (src >>> (24 - 8 * i)) & 255; h[16 + i] = (dst >>> (24 - 8 * i)) & 255; }
  const c = refChecksum(h);
  h[10] = c >>> 8; h[11] = c & 255;
  return h;
}

/** A datagram: header + zero payload up to totLen. */
function datagram(h: Uint8Array, totLen = be16(h, 2)): Uint8Array {
  const d = new Uint8Array(Math.max(totLen, h.length));
  d.set(h);
  return d;
}

const FIELDS = ['version', 'ihl', 'tos', 'totLen', 'id', 'flags', 'fragOff', 'ttl', 'proto', 'chksum', 'src', 'dst'] as const;
function snapshot(h: Ip4Header): number[] { return FIELDS.map((k) => h[k]); }

describe('wire/ipv4', () => {
  it('verifies the textbook header 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7', () => {
    const h = hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');
    assert.equal(refChecksum(h), 0);
    const hdr = new Ip4Header();
    assert.equal(ip4Parse(datagram(h), 0, 0x73, hdr), 0);
    assert.equal(hdr.totLen, 115);
    assert.equal(hdr.flags, IP_FLAG_DF);
    assert.equal(hdr.fragOff, 0);
    assert.equal(hdr.ttl, 64);
    assert.equal(hdr.proto, IP_PROTO_UDP);
    assert.equal(hdr.chksum, 0xb861);
    assert.equal(hdr.src, ip('192.168.0.1'));
    assert.equal(hdr.dst, ip('192.168.0.199'));
    // and ip4Write computes the same checksum for the same fields
    const out = new Uint8Array(20);
    ip4Write(out, 0, 0, 0x73, 0, IP_FLAG_DF, 64, IP_PROTO_UDP, ip('192.168.0.1'), ip('192.168.0.199'));
    assert.deepEqual(out, h);
  });

  it('parses every captured kernel frame with the values tcpdump printed', () => {
    const expect: [string, number, number, number, number, number][] = [
      // name, totLen, id, flags, proto, tos
      ['syn', 60, 12407, IP_FLAG_DF, IP_PROTO_TCP, 0],
      ['ack', 52, 12408, IP_FLAG_DF, IP_PROTO_TCP, 0],
      ['data', 64, 12409, IP_FLAG_DF, IP_PROTO_TCP, 0],
      ['synack', 60, 0, IP_FLAG_DF, IP_PROTO_TCP, 0],
      ['rst', 40, 0, IP_FLAG_DF, IP_PROTO_TCP, 0],
      ['echoReply', 60, 45742, 0, IP_PROTO_ICMP, 0],
      ['udp', 43, 20040, IP_FLAG_DF, IP_PROTO_UDP, 0],
      ['portUnreach', 60, 45743, 0, IP_PROTO_ICMP, 0xc0],
      ['echoRequest', 44, 45744, IP_FLAG_DF, IP_PROTO_ICMP, 0],
    ];
    const hdr = new Ip4Header();
    for (const [name, totLen, id, flags, proto, tos] of expect) {
      const f = hex(CAPTURED[name as keyof typeof CAPTURED]);
      assert.equal(ip4Parse(f, 14, f.length - 14, hdr), 0, name);
      assert.deepEqual(snapshot(hdr), [4, 20, tos, totLen, id, flags, 0, 64, proto, be16(f, 24), KERNEL_IP, PEER_IP], name);
    }
  });

  it('the embedded header inside an ICMP error parses at its own offset', () => {
    const f = hex(CAPTURED.portUnreach);
    const hdr = new Ip4Header();
    // Ethernet 14 + IP 20 + ICMP 8: the quoted datagram (RFC 792), its header intact
    assert.equal(ip4Parse(f, 42, f.length - 42, hdr), 0);
    assert.equal(hdr.id, 4660);
    assert.equal(hdr.totLen, 32);
    assert.equal(hdr.src, PEER_IP);
    assert.equal(hdr.dst, KERNEL_IP);
    assert.equal(hdr.proto, IP_PROTO_UDP);
  });

  it('ip4Write matches an independently built header for 300 random field sets, and parses back', () => {
    const r = new SeededRandom(791);
    const hdr = new Ip4Header();
    const buf = new Uint8Array(1600);
    for (let n = 0; n < 300; n++) {
      const tos = r.nextU32() & 255;
      const totLen = 20 + (r.nextU32() % 1480);
      const id = r.nextU32() & 0xffff;
      const ff = r.nextU32() & 0xffff;
      const ttl = r.nextU32() & 255;
      const proto = r.nextU32() & 255;
      const src = r.nextU32();
      const dst = r.nextU32();
      const off = r.nextU32() % 40;
      ip4Write(buf, off, tos, totLen, id, ff, ttl, proto, src, dst);
      assert.deepEqual(buf.subarray(off, off + 20), refHeader(tos, totLen, id, ff, ttl, proto, src, dst));
      assert.equal(ip4Parse(buf, off, totLen, hdr), 0);
      assert.deepEqual(snapshot(hdr),
        [4, 20, tos, totLen, id, ff & 0xe000, (ff & IP_OFFMASK) * 8, ttl, proto, be16(buf, off + 10), src, dst]);
      assert.ok(hdr.src >= 0 && hdr.dst >= 0);
    }
  });

  it('decodes fragment fields: MF, DF, reserved bit, offset in bytes', () => {
    const hdr = new Ip4Header();
    const cases: [number, number, number][] = [
      [IP_FLAG_MF | 0, IP_FLAG_MF, 0],
      [IP_FLAG_MF | 185, IP_FLAG_MF, 1480],
      [370, 0, 2960],
      [IP_FLAG_DF, IP_FLAG_DF, 0],
      [IP_FLAG_RF | IP_FLAG_MF | IP_OFFMASK, IP_FLAG_RF | IP_FLAG_MF, 65528],
    ];
    for (const [ff, flags, fragOff] of cases) {
      const d = datagram(refHeader(0, 100, 7, ff, 64, IP_PROTO_UDP, 1, 2));
      assert.equal(ip4Parse(d, 0, d.length, hdr), 0);
      assert.equal(hdr.flags, flags);
      assert.equal(hdr.fragOff, fragOff);
      assert.equal(ip4FlagsFrag(d, 0), ff);
    }
  });

  it('refuses every length below 20 as SHORT and every cut inside the datagram as TOTLEN', () => {
    const f = hex(CAPTURED.syn).subarray(14);
    const hdr = new Ip4Header();
    for (let n = 0; n < IP_HLEN; n++) assert.equal(ip4Parse(f, 0, n, hdr), IP4_ERR_SHORT, 'len ' + n);
    for (let n = IP_HLEN; n < 60; n++) assert.equal(ip4Parse(f, 0, n, hdr), IP4_ERR_TOTLEN, 'len ' + n);
    assert.equal(hdr.version, 0, 'header untouched');
    assert.equal(ip4Parse(f, 0, 60, hdr), 0);
  });

  it('accepts bytes past the total length (Ethernet padding)', () => {
    const f = hex(CAPTURED.rst);
    const padded = new Uint8Array(60);
    padded.set(f);
    const hdr = new Ip4Header();
    assert.equal(ip4Parse(padded, 14, 46, hdr), 0);
    assert.equal(hdr.totLen, 40);
  });

  it('refuses a version other than 4', () => {
    const hdr = new Ip4Header();
    for (const v of [0, 1, 5, 6, 15]) {
      const d = datagram(refHeader(0, 20, 1, 0, 64, 6, 1, 2));
      d[0] = (v << 4) | 5;
      assert.equal(ip4Parse(d, 0, 20, hdr), IP4_ERR_VERSION, 'version ' + v);
    }
  });

  it('refuses IHL below 5 and a header longer than the bytes available', () => {
    const hdr = new Ip4Header();
    for (let ihl = 0; ihl < 5; ihl++) {
      const d = datagram(refHeader(0, 60, 1, 0, 64, 6, 1, 2));
      d[0] = 0x40 | ihl;
      assert.equal(ip4Parse(d, 0, 60, hdr), IP4_ERR_HLEN, 'ihl ' + ihl);
    }
    const d = datagram(refHeader(0, 20, 1, 0, 64, 6, 1, 2), 64);
    d[0] = 0x4f; // 60-byte header, 20..59 bytes available
    for (let n = 20; n < 60; n++) assert.equal(ip4Parse(d, 0, n, hdr), IP4_ERR_HLEN, 'len ' + n);
  });

  it('refuses a total length shorter than the header or longer than the bytes', () => {
    const hdr = new Ip4Header();
    for (const tl of [0, 1, 19]) {
      const d = datagram(refHeader(0, tl, 1, 0, 64, 6, 1, 2), 40);
      assert.equal(ip4Parse(d, 0, 40, hdr), IP4_ERR_TOTLEN, 'totLen ' + tl);
    }
    const d = datagram(refHeader(0, 41, 1, 0, 64, 6, 1, 2), 41);
    assert.equal(ip4Parse(d, 0, 40, hdr), IP4_ERR_TOTLEN);
    assert.equal(ip4Parse(d, 0, 41, hdr), 0);
    // an IHL 6 header with total length 22 < 24
    const o = new Uint8Array(24);
    o.set(refHeader(0, 22, 1, 0, 64, 6, 1, 2));
    o[0] = 0x46;
    assert.equal(ip4Parse(o, 0, 24, hdr), IP4_ERR_TOTLEN);
  });

  it('every single-bit error in the header is caught; in non-length fields it is a CHKSUM error', () => {
    const f = hex(CAPTURED.syn).subarray(14);
    const hdr = new Ip4Header();
    for (let byte = 0; byte < 20; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const g = Uint8Array.from(f);
        g[byte] ^= 1 << bit;
        const r = ip4Parse(g, 0, g.length, hdr);
        assert.ok(r < 0, `byte ${byte} bit ${bit}`);
        if (byte === 1 || byte >= 4) assert.equal(r, IP4_ERR_CHKSUM, `byte ${byte} bit ${bit}`);
      }
    }
    assert.equal(hdr.version, 0);
  });

  it('skips options (IHL 6 with a router alert) and checks the checksum over all 24 bytes', () => {
    const h = new Uint8Array(28);
    h.set(refHeader(0, 28, 0x99, 0, 1, 2 /* IGMP */, ip('10.0.0.5'), ip('224.0.0.22')));
    h[0] = 0x46;
    h.set([0x94, 0x04, 0x00, 0x00], 20); // RFC 2113 router alert
    h[10] = 0; h[11] = 0;
    const c = refChecksum(h, 0, 24);
    h[10] = c >>> 8; h[11] = c & 255;
    const hdr = new Ip4Header();
    assert.equal(ip4Parse(h, 0, 28, hdr), 0);
    assert.equal(hdr.ihl, 24);
    assert.equal(hdr.dst, ip('224.0.0.22'));
    h[22] = 1; // an option byte is covered by the checksum
    assert.equal(ip4Parse(h, 0, 28, hdr), IP4_ERR_CHKSUM);
    // ip4FillChecksum repairs a header of any IHL
    ip4FillChecksum(h, 0, 24);
    assert.equal(refChecksum(h, 0, 24), 0);
    assert.equal(ip4Parse(h, 0, 28, hdr), 0);
  });

  it('the 16-bit checksum path (poolChecksum) gives the same verdicts as the byte path', () => {
    const ab = new ArrayBuffer(256);
    const b = new Uint8Array(ab);
    const b16 = poolChecksum(b);
    const f = hex(CAPTURED.data).subarray(14);
    const hdr = new Ip4Header();
    for (const off of [0, 2, 14, 15, 33, 100]) { // odd offsets fall back to the byte loop
      b.fill(0);
      b.set(f, off);
      assert.equal(ip4Parse(b, off, f.length, hdr, b16), 0, 'off ' + off);
      assert.equal(hdr.id, 12409);
      b[off + 15] ^= 0x10;
      assert.equal(ip4Parse(b, off, f.length, hdr, b16), IP4_ERR_CHKSUM, 'off ' + off);
      ip4Write(b, off, 0, 20, 1, 0, 64, 6, 0xffffffff, 0x80000000, b16);
      assert.equal(refChecksum(b, off, 20), 0, 'ip4Write with buf16 at ' + off);
    }
  });

  it('accessors and setters touch their own fields; ip4FillChecksum revalidates after a change', () => {
    const f = hex(CAPTURED.udp).subarray(14);
    assert.equal(ip4Version(f, 0), 4);
    assert.equal(ip4Ihl(f, 0), 20);
    assert.equal(ip4Tos(f, 0), 0);
    assert.equal(ip4FlagsFrag(f, 0), IP_FLAG_DF);
    assert.equal(ip4Ttl(f, 0), 64);
    assert.equal(ip4Proto(f, 0), IP_PROTO_UDP);
    assert.equal(ip4Chksum(f, 0), 0xd7dd);
    assert.equal(ip4Src(f, 0), KERNEL_IP);
    assert.equal(ip4Dst(f, 0), PEER_IP);
    ip4SetTotLen(f, 0, 40);
    ip4SetFlagsFrag(f, 0, IP_FLAG_MF | 3);
    const hdr = new Ip4Header();
    assert.equal(ip4Parse(f, 0, f.length, hdr), IP4_ERR_CHKSUM);
    ip4FillChecksum(f, 0, 20);
    assert.equal(ip4Parse(f, 0, f.length, hdr), 0);
    assert.deepEqual(snapshot(hdr), [4, 20, 0, 40, 20040, IP_FLAG_MF, 24, 64, 17, ip4Chksum(f, 0), KERNEL_IP, PEER_IP]);
  });
});
