/**
 * The wire parsers read the fixed fields of IPv4 (RFC 791 §3.1) and TCP (RFC 9293 §3.1) headers
 * either byte by byte or, given one, through a DataView over the same memory (the pbuf pool's,
 * PbufPool.view, which the stack passes). Both must fill the same values, at any offset and for any
 * field value, including those with the top bit set (unsigned 32-bit sequence numbers, addresses).
 */
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/core/random.js';
import { Ip4Header, ip4Parse, ip4Write } from '../../src/wire/ipv4.js';
import { TcpSegInfo, tcpParse, tcpWriteHeader } from '../../src/wire/tcp.js';

describe('wire: parsing through a DataView (PbufPool.view) equals parsing bytes', () => {
  it('TCP headers, seeded random fields at every offset', () => {
    const rnd = new SeededRandom(71);
    const buf = new Uint8Array(128);
    const dv = new DataView(buf.buffer);
    const a = new TcpSegInfo();
    const b = new TcpSegInfo();
    for (let k = 0; k < 3000; k++) {
      const off = k % 64;
      for (let i = 0; i < buf.length; i++) buf[i] = rnd.nextU32() & 0xff;
      const edge = k % 5 === 0 ? 0xffffffff : rnd.nextU32();
      tcpWriteHeader(buf, off, rnd.nextU32() & 0xffff, rnd.nextU32() & 0xffff, edge, rnd.nextU32(), 20,
        rnd.nextU32() & 0xff, rnd.nextU32() & 0xffff, rnd.nextU32() & 0xffff);
      assert.equal(tcpParse(buf, off, 40, a), 0);
      assert.equal(tcpParse(buf, off, 40, b, dv), 0);
      assert.deepEqual(b, a, 'header ' + k);
      assert.equal(b.seq, edge);
    }
  });

  it('IPv4 headers, seeded random addresses and fields at every offset', () => {
    const rnd = new SeededRandom(72);
    const buf = new Uint8Array(128);
    const dv = new DataView(buf.buffer);
    const a = new Ip4Header();
    const b = new Ip4Header();
    for (let k = 0; k < 3000; k++) {
      const off = k % 64;
      const src = k % 7 === 0 ? 0xffffffff : rnd.nextU32();
      ip4Write(buf, off, rnd.nextU32() & 0xff, 40, rnd.nextU32() & 0xffff, rnd.nextU32() & 0x7fff, rnd.nextU32() & 0xff,
        rnd.nextU32() & 0xff, src, rnd.nextU32());
      assert.equal(ip4Parse(buf, off, 40, a), 0);
      assert.equal(ip4Parse(buf, off, 40, b, null, dv), 0);
      assert.deepEqual(b, a, 'header ' + k);
      assert.equal(b.src, src);
    }
  });
});
