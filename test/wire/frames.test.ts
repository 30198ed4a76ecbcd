/**
 * src/wire as a whole: kernel frames decoded layer by layer from pool pbufs (the 16-bit checksum
 * path, chains), every parser fuzzed with random buffers (none may throw), and the rules that keep
 * the wire layer allocation-free and safe to freeze on Moddable.
 */
import assert from 'node:assert/strict';
import * as eth from '../../src/wire/ethernet.js';
import * as arp from '../../src/wire/arp.js';
import * as ipv4 from '../../src/wire/ipv4.js';
import * as icmp from '../../src/wire/icmp.js';
import * as udp from '../../src/wire/udp.js';
import * as tcp from '../../src/wire/tcp.js';
import * as bytes from '../../src/wire/bytes.js';
import { PbufPool, pbuf_take, pbuf_free, pbuf_remove_header, pbuf_realloc } from '../../src/core/pbuf.js';
import { SeededRandom } from '../../src/core/random.js';
import { poolChecksum } from '../../src/core/checksum.js';
import { CAPTURED, hex, refChecksum, refTransportChecksum, makeChain } from '../helpers/wire-ref.js';

describe('wire: kernel frames decoded layer by layer from pool pbufs', () => {
  for (const bufsize of [128, 64]) {
    it(`every captured frame, pbufs of ${bufsize} bytes`, () => {
      const pool = new PbufPool(16, bufsize, 2);
      const arpInfo = new arp.ArpInfo();
      const ip = new ipv4.Ip4Header();
      const seg = new tcp.TcpSegInfo();
      const u = new udp.UdpInfo();
      const ic = new icmp.IcmpInfo();
      const seen: string[] = [];
      for (const [name, text] of Object.entries(CAPTURED)) {
        const f = hex(text);
        const p = pool.allocRx(f.length);
        assert.ok(p !== null);
        pbuf_take(p, f, f.length);
        const contiguous = p.len === p.totLen;
        // link
        const type = eth.ethType(p.buf, p.off);
        pbuf_remove_header(p, eth.ETH_HLEN);
        if (type === eth.ETHTYPE_ARP) {
          if (contiguous) assert.equal(arp.arpParse(p.buf, p.off, p.len, arpInfo), 0);
          seen.push(name + ':arp');
          pbuf_free(p);
          continue;
        }
        assert.equal(type, eth.ETHTYPE_IPV4);
        // network: the IP header always lies in the first pbuf here; longer frames continue in a second one
        assert.equal(ipv4.ip4Parse(p.buf, p.off, p.totLen, ip, poolChecksum(pool.mem)), 0, name);
        if (p.totLen > ip.totLen) pbuf_realloc(p, ip.totLen);
        pbuf_remove_header(p, ip.ihl);
        const tlen = p.totLen;
        // transport: checksums over the real chain
        if (ip.proto === ipv4.IP_PROTO_TCP) {
          assert.equal(tcp.tcpChecksum(p, tlen, ip.src, ip.dst), 0, name);
          if (contiguous) assert.equal(tcp.tcpParse(p.buf, p.off, p.len, seg), 0, name);
          seen.push(name + ':tcp');
        } else if (ip.proto === ipv4.IP_PROTO_UDP) {
          assert.equal(udp.udpChecksum(p, ip.src, ip.dst), 0, name);
          if (contiguous) assert.equal(udp.udpParse(p.buf, p.off, p.len, u), 0, name);
          seen.push(name + ':udp');
        } else {
          assert.equal(ip.proto, ipv4.IP_PROTO_ICMP);
          assert.ok(icmp.icmpChecksumOk(p, tlen), name);
          if (contiguous) assert.equal(icmp.icmpParse(p.buf, p.off, p.len, ic), 0, name);
          seen.push(name + ':icmp');
        }
        pbuf_free(p);
      }
      assert.equal(seen.length, Object.keys(CAPTURED).length);
      assert.equal(pool.pool.used, 0);
    });
  }
});

/** Fills a random buffer; half the time shaped so that a parser gets past its first checks. */
function randomBuffer(r: SeededRandom): { b: Uint8Array; off: number; len: number } {
  const n = r.nextU32() % 100;
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r.nextU32() & 255;
  const off = n === 0 ? 0 : r.nextU32() % (n + 1);
  let len = n - off;
  const odd = r.nextU32() % 16;
  if (odd === 0) len += 1 + (r.nextU32() % 40);      // claims bytes past the end of the array
  else if (odd === 1) len = -1 - (r.nextU32() % 5);  // nonsense lengths
  else if (odd === 2) len = NaN;
  return { b, off, len };
}

describe('wire: fuzz (2000 random buffers per parser, none may throw)', () => {
  it('arpParse', () => {
    const r = new SeededRandom(2);
    const info = new arp.ArpInfo();
    const codes = [0, arp.ARP_ERR_SHORT, arp.ARP_ERR_HTYPE, arp.ARP_ERR_PTYPE, arp.ARP_ERR_ALEN];
    let ok = 0;
    for (let k = 0; k < 2000; k++) {
      const { b, off, len } = randomBuffer(r);
      if (k & 1 && b.length >= off + 6) b.set([0, 1, 8, 0, 6, 4], off);
      const rc = arp.arpParse(b, off, len, info);
      assert.ok(codes.includes(rc), 'rc ' + rc);
      if (rc === 0) {
        ok++;
        assert.ok(len >= 28);
        assert.ok(info.spa >= 0 && info.spa <= 0xffffffff && info.tpa >= 0 && info.tpa <= 0xffffffff);
      }
    }
    assert.ok(ok > 100, 'the shaped half gets through: ' + ok);
  });

  it('ip4Parse (with and without the 16-bit path)', () => {
    const r = new SeededRandom(3);
    const hdr = new ipv4.Ip4Header();
    const codes = [0, ipv4.IP4_ERR_SHORT, ipv4.IP4_ERR_VERSION, ipv4.IP4_ERR_HLEN, ipv4.IP4_ERR_TOTLEN, ipv4.IP4_ERR_CHKSUM];
    let ok = 0;
    for (let k = 0; k < 2000; k++) {
      const { b, off, len } = randomBuffer(r);
      if (k & 1 && b.length >= off + 20) {
        // a plausible header: version 4, IHL 5..7, a total length near the bytes, a right checksum
        const ihl = 5 + (r.nextU32() % 3);
        b[off] = 0x40 | ihl;
        const tl = Math.max(0, (len | 0) - (r.nextU32() % 4));
        b[off + 2] = tl >>> 8; b[off + 3] = tl & 255;
        if (b.length >= off + ihl * 4) {
          b[off + 10] = 0; b[off + 11] = 0;
          const c = refChecksum(b, off, ihl * 4);
          b[off + 10] = c >>> 8; b[off + 11] = c & 255;
        }
      }
      const ab = new ArrayBuffer((b.length + 1) & ~1);
      const b8 = new Uint8Array(ab);
      b8.set(b);
      const rc = ipv4.ip4Parse(b, off, len, hdr);
      const rc16 = ipv4.ip4Parse(b8, off, len, hdr, poolChecksum(b8));
      assert.ok(codes.includes(rc), 'rc ' + rc);
      assert.equal(rc16, rc);
      if (rc === 0) {
        ok++;
        assert.ok(hdr.ihl >= 20 && hdr.ihl <= hdr.totLen && hdr.totLen <= len);
        assert.equal(refChecksum(b, off, hdr.ihl), 0);
      }
    }
    assert.ok(ok > 100, 'the shaped half gets through: ' + ok);
  });

  it('icmpParse and the ICMP checksum', () => {
    const r = new SeededRandom(4);
    const info = new icmp.IcmpInfo();
    for (let k = 0; k < 2000; k++) {
      const { b, off, len } = randomBuffer(r);
      const rc = icmp.icmpParse(b, off, len, info);
      assert.ok(rc === 0 || rc === icmp.ICMP_ERR_SHORT);
      if (rc === 0) assert.ok(len >= 8);
      const n = b.length - off;
      const c = makeChain(b.subarray(off), [r.nextU32() % (n + 1)], r.nextU32() & 1, (r.nextU32() & 1) === 1);
      assert.equal(icmp.icmpChecksumOk(c, n), refChecksum(b, off, n) === 0);
    }
  });

  it('udpParse and udpChecksum', () => {
    const r = new SeededRandom(5);
    const info = new udp.UdpInfo();
    for (let k = 0; k < 2000; k++) {
      const { b, off, len } = randomBuffer(r);
      if (k & 1 && b.length >= off + 8) {
        const l = Math.max(0, (len | 0) - (r.nextU32() % 3) + 1);
        b[off + 4] = l >>> 8; b[off + 5] = l & 255;
      }
      const rc = udp.udpParse(b, off, len, info);
      assert.ok(rc === 0 || rc === udp.UDP_ERR_SHORT || rc === udp.UDP_ERR_LEN, 'rc ' + rc);
      if (rc === 0) assert.ok(info.len >= 8 && info.len <= len);
      if (b.length - off >= 8) {
        const seg = b.subarray(off);
        const src = r.nextU32();
        const dst = r.nextU32();
        const c = makeChain(seg, [r.nextU32() % (seg.length + 1)], 1);
        const v = udp.udpChecksum(c, src, dst);
        let expect = refTransportChecksum(seg, src, dst, 17);
        if (expect === 0 && seg[6] === 0 && seg[7] === 0) expect = 0xffff;
        assert.equal(v, expect);
      }
    }
  });

  it('tcpParse and tcpChecksum', () => {
    const r = new SeededRandom(6);
    const s = new tcp.TcpSegInfo();
    const codes = [0, tcp.TCP_ERR_SHORT, tcp.TCP_ERR_HDRLEN, tcp.TCP_ERR_OPT];
    let ok = 0;
    let optErr = 0;
    for (let k = 0; k < 2000; k++) {
      const { b, off, len } = randomBuffer(r);
      if (k & 1 && b.length >= off + 20) {
        // a data offset that fits, options random bytes, sprinkled with NOP/EOL/known kinds
        const room = Math.min(60, b.length - off);
        const doff = 5 + (r.nextU32() % ((room >> 2) - 4));
        b[off + 12] = doff << 4;
        for (let i = off + 20; i < off + doff * 4; i++) {
          const x = r.nextU32() % 10;
          if (x < 2) b[i] = 1; else if (x < 4) b[i] = [2, 3, 4, 5, 8][r.nextU32() % 5]; else if (x < 6) b[i] = r.nextU32() % 12;
        }
      }
      const rc = tcp.tcpParse(b, off, len, s);
      assert.ok(codes.includes(rc), 'rc ' + rc);
      if (rc === tcp.TCP_ERR_OPT) optErr++;
      if (rc === 0) {
        ok++;
        assert.ok(s.hdrLen >= 20 && s.hdrLen <= 60 && s.hdrLen <= len && s.dataLen === len - s.hdrLen);
        assert.ok(s.optWscale >= -1 && s.optWscale <= 14);
        assert.ok(s.sackCount >= 0 && s.sackCount <= 4);
        assert.ok(s.seq >= 0 && s.ack >= 0 && s.optTsVal >= 0 && s.optTsEcr >= 0);
      }
      if (b.length - off >= 20) {
        const seg = b.subarray(off);
        const c = makeChain(seg, [r.nextU32() % (seg.length + 1), r.nextU32() % (seg.length + 1)].sort((x, y) => x - y));
        assert.equal(tcp.tcpChecksum(c, seg.length, 1, 2), refTransportChecksum(seg, 1, 2, 6));
      }
    }
    assert.ok(ok > 100 && optErr > 100, `both outcomes exercised: ok ${ok}, opt ${optErr}`);
  });
});

describe('wire: hot-path hygiene', () => {
  const modules: [string, Record<string, unknown>][] = [
    ['ethernet', eth], ['arp', arp], ['ipv4', ipv4], ['icmp', icmp], ['udp', udp], ['tcp', tcp], ['bytes', bytes],
  ];

  it('no module creates an object at its top level (Moddable freezes module state)', () => {
    for (const [name, m] of modules) {
      for (const [k, v] of Object.entries(m)) {
        assert.ok(typeof v === 'number' || typeof v === 'function', `${name}.${k} is ${typeof v}`);
      }
    }
  });

  it('parse, write and accessor functions contain no allocating syntax', () => {
    // every exported function runs per packet (no diagnostics helpers are exported)
    const bad = /\bnew\s|\.subarray\(|\.slice\(|`|\.\.\.|=>|\bfunction\s*\(|\[\s*\]|return\s*[{[]|[=(,]\s*\{/;
    let checked = 0;
    for (const [name, m] of modules) {
      for (const [k, v] of Object.entries(m)) {
        if (typeof v !== 'function') continue;
        const src = Function.prototype.toString.call(v);
        if (src.startsWith('class')) continue;
        const body = src.slice(src.indexOf('{'));
        assert.ok(!bad.test(body), `${name}.${k} looks like it allocates: ${body.match(bad)?.[0]}`);
        checked++;
      }
    }
    assert.ok(checked >= 50, 'functions checked: ' + checked);
  });

  it('info classes preallocate their arrays once; parsing reuses them', () => {
    const s = new tcp.TcpSegInfo();
    const blocks = s.sackBlocks;
    const a = new arp.ArpInfo();
    const sha = a.sha;
    const f = hex('0001 0800 06 04 0002 020000000000 0a000001 020000000001 0a000002');
    for (let i = 0; i < 10; i++) {
      tcp.tcpParse(hex(CAPTURED.syn), 34, 40, s);
      arp.arpParse(f, 0, 28, a);
    }
    assert.equal(s.sackBlocks, blocks);
    assert.equal(a.sha, sha);
    assert.equal(blocks.length, 8);
  });
});
