/**
 * Address helpers (configuration-time only) and error names.
 */
import assert from 'node:assert/strict';
import {
  ip4FromString, ip4ToString, ip4Of, ip4Netmask, macToString, macFromString, IP4_ANY, IP4_BROADCAST,
} from '../../src/core/ip4addr.js';
import { lwip_strerr, ERR_OK, ERR_RST, ERR_ARG, ERR_CLSD, ERR_MEM } from '../../src/core/err.js';

describe('core/ip4addr', () => {
  it('parses dotted quads to host-order uint32', () => {
    assert.equal(ip4FromString('10.0.0.1'), 0x0a000001);
    assert.equal(ip4FromString('255.255.255.255'), IP4_BROADCAST);
    assert.equal(ip4FromString('0.0.0.0'), IP4_ANY);
    assert.equal(ip4FromString('192.168.1.200'), 0xc0a801c8);
  });

  it('rejects malformed text with -1', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.-4', 'a.b.c.d', '1..2.3', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.0x4', '1234.1.1.1']) {
      assert.equal(ip4FromString(bad), -1, JSON.stringify(bad));
    }
  });

  it('formats and round-trips', () => {
    for (const s of ['0.0.0.0', '10.1.2.3', '172.16.254.1', '255.255.255.255', '1.0.0.127']) assert.equal(ip4ToString(ip4FromString(s)), s);
    assert.equal(ip4ToString(0xc0a80001), '192.168.0.1');
  });

  it('ip4Of accepts numbers (signed or unsigned) and text', () => {
    assert.equal(ip4Of(0x0a000001), 0x0a000001);
    assert.equal(ip4Of(-1), 0xffffffff);
    assert.equal(ip4Of('10.0.0.2'), 0x0a000002);
    assert.equal(ip4Of(1.5), -1);
    assert.equal(ip4Of(2 ** 32), -1);
    assert.equal(ip4Of('x'), -1);
  });

  it('prefix lengths become netmasks', () => {
    assert.equal(ip4Netmask(0), 0);
    assert.equal(ip4Netmask(8), 0xff000000);
    assert.equal(ip4Netmask(24), 0xffffff00);
    assert.equal(ip4Netmask(31), 0xfffffffe);
    assert.equal(ip4Netmask(32), 0xffffffff);
  });

  it('MAC text round-trips; bad MACs are null', () => {
    const m = macFromString('02:ab:CD:0:1:ff')!;
    assert.deepEqual(Array.from(m), [2, 0xab, 0xcd, 0, 1, 0xff]);
    assert.equal(macToString(m), '02:ab:cd:00:01:ff');
    assert.deepEqual(Array.from(macFromString('02-00-00-00-00-01')!), [2, 0, 0, 0, 0, 1]);
    const frame = new Uint8Array([9, 9, 1, 2, 3, 4, 5, 6]);
    assert.equal(macToString(frame, 2), '01:02:03:04:05:06');
    for (const bad of ['', '02:00:00:00:00', '02:00:00:00:00:00:00', '0g:00:00:00:00:00', '002:00:00:00:00:00']) {
      assert.equal(macFromString(bad), null, bad);
    }
  });
});

describe('core/err', () => {
  it('names every error code, and unknown ones', () => {
    assert.equal(lwip_strerr(ERR_OK), 'ERR_OK');
    assert.equal(lwip_strerr(ERR_MEM), 'ERR_MEM');
    assert.equal(lwip_strerr(ERR_RST), 'ERR_RST');
    assert.equal(lwip_strerr(ERR_CLSD), 'ERR_CLSD');
    assert.equal(lwip_strerr(ERR_ARG), 'ERR_ARG');
    for (let e = 0; e >= -16; e--) assert.match(lwip_strerr(e), /^ERR_[A-Z]+$/);
    assert.equal(lwip_strerr(-99), 'ERR_UNKNOWN(-99)');
  });
});
