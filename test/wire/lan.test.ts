/**
 * Wire formats of the LAN services: DHCP messages (RFC 2131 §2, RFC 2132 options, §9.3 overload)
 * and DNS names (RFC 1035 §3.1, §4.1.4 compression), checked against hand-written bytes.
 */
import assert from 'node:assert/strict';
import {
  DhcpInfo, dhcpParse, dhcpWriteHeader, DHCP_ERR_OPTION, DHCP_ERR_FORMAT, DHCP_ERR_LEN, DHCP_OPTIONS_OFF,
} from '../../src/wire/dhcp.js';
import { dnsEncodeName, dnsSkipName, dnsNameEquals, dnsNameLen, dnsNameCopy } from '../../src/wire/dns.js';

function reply(opts: number[], total = 300, sname: number[] = [], file: number[] = []): Uint8Array {
  const b = new Uint8Array(total);
  b[0] = 2; b[1] = 1; b[2] = 6;
  b[4] = 0xde; b[5] = 0xad; b[6] = 0xbe; b[7] = 0xef;
  b[16] = 10; b[19] = 50;
  b.set(sname, 44); b.set(file, 108);
  b[236] = 0x63; b[237] = 0x82; b[238] = 0x53; b[239] = 0x63;
  b.set(opts, 240);
  return b;
}

describe('wire: DHCP', () => {
  it('parses an ACK with every client option', () => {
    const b = reply([53, 1, 5, 54, 4, 10, 0, 0, 1, 1, 4, 255, 255, 255, 0, 3, 8, 10, 0, 0, 1, 10, 0, 0, 2,
      6, 12, 8, 8, 8, 8, 1, 1, 1, 1, 9, 9, 9, 9, 51, 4, 0, 0, 14, 16, 58, 4, 0, 0, 7, 8, 59, 4, 0, 0, 12, 78, 0, 0, 255]);
    const i = new DhcpInfo();
    assert.equal(dhcpParse(b, 0, b.length, i), 0);
    assert.deepEqual([i.msgType, i.xid, i.yiaddr, i.serverId, i.subnetMask, i.router], [5, 0xdeadbeef, 0x0a000032, 0x0a000001, 0xffffff00, 0x0a000001]);
    assert.deepEqual([i.dnsCount, i.dns[0], i.dns[1]], [2, 0x08080808, 0x01010101]);
    assert.deepEqual([i.leaseTime, i.t1, i.t2], [3600, 1800, 3150]);
  });
  it('reads options overloaded into file and sname (RFC 2132 §9.3)', () => {
    const b = reply([53, 1, 2, 52, 1, 3, 255], 300, [51, 4, 0, 0, 0, 60, 255], [54, 4, 10, 0, 0, 9, 255]);
    const i = new DhcpInfo();
    assert.equal(dhcpParse(b, 0, b.length, i), 0);
    assert.deepEqual([i.msgType, i.serverId, i.leaseTime], [2, 0x0a000009, 60]);
  });
  it('refuses truncation, overflow, bad lengths, bad cookie, no message type', () => {
    const i = new DhcpInfo();
    assert.equal(dhcpParse(reply([53, 1, 5, 6, 200, 1, 2, 3, 4, 255]), 0, 300, i), DHCP_ERR_OPTION, 'option past the end');
    assert.equal(dhcpParse(reply([53, 1, 5, 51, 4, 0, 0]), 0, 247, i), DHCP_ERR_OPTION, 'cut inside an option');
    assert.equal(dhcpParse(reply([53, 1, 5]), 0, 243, i), DHCP_ERR_OPTION, 'no END');
    assert.equal(dhcpParse(reply([53, 2, 5, 0, 255]), 0, 300, i), DHCP_ERR_OPTION, 'message type of length 2');
    assert.equal(dhcpParse(reply([53, 1, 5, 52, 1, 7, 255]), 0, 300, i), DHCP_ERR_OPTION, 'overload value 7');
    assert.equal(dhcpParse(reply([53, 1, 5, 52, 1, 1, 255], 300, [], [52, 1, 1, 255]), 0, 300, i), DHCP_ERR_OPTION, 'overload inside file');
    const bad = reply([53, 1, 5, 255]); bad[238] = 0;
    assert.equal(dhcpParse(bad, 0, 300, i), DHCP_ERR_FORMAT, 'cookie');
    assert.equal(dhcpParse(reply([255]), 0, 300, i), DHCP_ERR_FORMAT, 'no message type');
    assert.equal(dhcpParse(reply([]), 0, 100, i), DHCP_ERR_LEN, 'short');
  });
  it('writes a request header: op, htype, hlen, xid, secs, ciaddr, chaddr, cookie', () => {
    const b = new Uint8Array(300).fill(0xaa);
    const mac = new Uint8Array([2, 1, 2, 3, 4, 5]);
    assert.equal(dhcpWriteHeader(b, 0, 0x01020304, 70000, 0x0a000032, mac), DHCP_OPTIONS_OFF);
    assert.deepEqual(Array.from(b.subarray(0, 16)), [1, 1, 6, 0, 1, 2, 3, 4, 0xff, 0xff, 0, 0, 10, 0, 0, 50]);
    assert.deepEqual(Array.from(b.subarray(28, 34)), Array.from(mac));
    assert.deepEqual(Array.from(b.subarray(236, 240)), [0x63, 0x82, 0x53, 0x63]);
    assert.equal(b[100], 0, 'sname/file zeroed');
  });
});

describe('wire: DNS names', () => {
  const enc = (s: string) => { const o = new Uint8Array(300); const n = dnsEncodeName(s, o); return n < 0 ? null : Array.from(o.subarray(0, n)); };
  it('encodes dotted names (a trailing dot allowed) and refuses bad ones', () => {
    assert.deepEqual(enc('ab.c'), [2, 97, 98, 1, 99, 0]);
    assert.deepEqual(enc('ab.c.'), [2, 97, 98, 1, 99, 0]);
    for (const bad of ['', '.', 'a..b', '.a', 'a b', 'x'.repeat(64) + '.com', ('a'.repeat(60) + '.').repeat(5)]) assert.equal(enc(bad), null, bad);
  });
  it('follows compression pointers backwards only; loops and forward pointers are errors', () => {
    // 12-byte header, then "a.b" at 12, then a pointer to it at 17, then a self pointer at 19
    const m = new Uint8Array([...new Array(12).fill(0), 1, 97, 1, 98, 0, 0xc0, 12, 0xc0, 19, 0xc0, 30]);
    const name = new Uint8Array([1, 65, 1, 66, 0]);
    assert.equal(dnsSkipName(m, 0, 17, m.length), 19);
    assert.equal(dnsNameLen(m, 0, 17, m.length), 5);
    assert.ok(dnsNameEquals(m, 0, 17, m.length, name, 5, new Uint8Array(256)), 'case-insensitive through a pointer');
    assert.equal(dnsSkipName(m, 0, 19, m.length), -1, 'self pointer');
    assert.equal(dnsSkipName(m, 0, 21, m.length), -1, 'forward pointer');
    assert.equal(dnsSkipName(m, 0, 12, 15), -1, 'truncated');
    const out = new Uint8Array(10);
    assert.equal(dnsNameCopy(m, 0, 17, m.length, out), 5);
    assert.deepEqual(Array.from(out.subarray(0, 5)), [1, 97, 1, 98, 0]);
  });
});
