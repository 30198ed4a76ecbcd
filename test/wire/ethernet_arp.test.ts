/**
 * src/wire/ethernet.ts and src/wire/arp.ts: round trips, a real ARP request from the Linux kernel,
 * every truncation, every refused hardware/protocol combination.
 */
import assert from 'node:assert/strict';
import {
  ETH_HLEN, ETHTYPE_IPV4, ETHTYPE_ARP, ethType, ethWrite, ethWriteBroadcastDst, ethIsMulticast, ethDstIs,
} from '../../src/wire/ethernet.js';
import {
  ARP_LEN, ARP_REQUEST, ARP_REPLY, ARP_ERR_SHORT, ARP_ERR_HTYPE, ARP_ERR_PTYPE, ARP_ERR_ALEN, ArpInfo, arpParse,
  arpWrite,
} from '../../src/wire/arp.js';
import { CAPTURED, hex, ip, mac, at } from '../helpers/wire-ref.js';

const A = mac('02:00:00:00:00:01');
const B = mac('02:00:00:00:00:02');

/** RFC 826 packet layout built independently of arpWrite. */
function refArp(op: number, sha: Uint8Array, spa: number, tha: Uint8Array, tpa: number): Uint8Array {
  const a = new Uint8Array(28);
  a[1] = 1; a[2] = 8; a[3] = 0; a[4] = 6; a[5] = 4; a[7] = op;
  a.set(sha, 8); a.set([spa >>> 24, (spa >>> 16) & 255, (spa >>> 8) & 255, spa & 255], 14);
  a.set(tha, 18); a.set([tpa >>> 24, (tpa >>> 16) & 255, (tpa >>> 8) & 255, tpa & 255], 24);
  return a;
}

describe('wire/ethernet', () => {
  it('ethWrite writes destination, source and type at a non-zero offset, and nothing else', () => {
    const buf = new Uint8Array(40).fill(0x77);
    ethWrite(buf, 5, B, 0, A, 0, ETHTYPE_IPV4);
    assert.deepEqual(Array.from(buf.subarray(5, 19)), [...B, ...A, 0x08, 0x00]);
    assert.equal(buf[4], 0x77);
    assert.equal(buf[19], 0x77);
    assert.equal(ethType(buf, 5), ETHTYPE_IPV4);
    assert.ok(ethDstIs(buf, 5, B, 0));
  });

  it('reads the captured kernel ARP request: broadcast destination, EtherType 0x0806', () => {
    const f = hex(CAPTURED.arpRequest);
    assert.equal(ethType(f, 0), ETHTYPE_ARP);
    assert.ok(ethIsMulticast(f, 0));
    assert.ok(!ethDstIs(f, 0, A, 0));
    const syn = hex(CAPTURED.syn);
    assert.equal(ethType(syn, 0), ETHTYPE_IPV4);
    assert.ok(!ethIsMulticast(syn, 0));
    assert.ok(ethDstIs(syn, 0, B, 0));
  });

  it('the broadcast destination is all ones, and a group address (RFC 1112 §6.4 multicast too)', () => {
    const f = new Uint8Array(14);
    ethWriteBroadcastDst(f, 0);
    assert.deepEqual(Array.from(f.subarray(0, 6)), [255, 255, 255, 255, 255, 255]);
    assert.ok(ethIsMulticast(f, 0));
    f.set(hex('01005e000001'), 0); // IPv4 all-hosts multicast MAC
    assert.ok(ethIsMulticast(f, 0));
  });

  it('ethWrite may take the new destination from the same frame (reply in place)', () => {
    const f = hex(CAPTURED.syn);
    // answer: destination = the old source, source = B
    ethWrite(f, 0, f, 6, B, 0, ETHTYPE_IPV4);
    assert.deepEqual(f.subarray(0, 6), A);
    assert.deepEqual(f.subarray(6, 12), B);
    // overlapping ranges in one array are copied as if through a temporary
    const g = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0]);
    ethWrite(g, 2, g, 0, B, 0, ETHTYPE_ARP);
    assert.deepEqual(Array.from(g.subarray(0, 8)), [1, 2, 1, 2, 3, 4, 5, 6]);
  });
});

describe('wire/arp', () => {
  it('parses the captured kernel ARP request (who-has 10.77.0.2 tell 10.77.0.1)', () => {
    const f = hex(CAPTURED.arpRequest);
    const info = new ArpInfo();
    assert.equal(arpParse(f, ETH_HLEN, f.length - ETH_HLEN, info), 0);
    assert.equal(info.op, ARP_REQUEST);
    assert.deepEqual(info.sha, A);
    assert.equal(info.spa, ip('10.77.0.1'));
    assert.deepEqual(info.tha, new Uint8Array(6));
    assert.equal(info.tpa, ip('10.77.0.2'));
  });

  it('arpWrite emits the RFC 826 layout byte for byte, and arpParse reads it back', () => {
    const spa = ip('192.168.1.200');
    const tpa = ip('255.255.255.254');
    const buf = new Uint8Array(60).fill(0x55);
    const shaSrc = at(A, 3);
    const thaSrc = at(B, 1);
    arpWrite(buf, 14, ARP_REPLY, shaSrc, 3, spa, thaSrc, 1, tpa);
    assert.deepEqual(buf.subarray(14, 42), refArp(ARP_REPLY, A, spa, B, tpa));
    assert.equal(buf[13], 0x55);
    assert.equal(buf[42], 0x55);
    const info = new ArpInfo();
    assert.equal(arpParse(buf, 14, 46, info), 0); // Ethernet padding after the 28 bytes is fine
    assert.equal(info.op, ARP_REPLY);
    assert.deepEqual(info.sha, A);
    assert.deepEqual(info.tha, B);
    assert.equal(info.spa, spa);
    assert.equal(info.tpa, tpa); // unsigned, not negative
    assert.ok(info.tpa > 0);
  });

  it('arpWrite with no target hardware address (null) writes six zero bytes there, as a request carries', () => {
    const buf = new Uint8Array(60).fill(0x55);
    arpWrite(buf, 14, ARP_REQUEST, A, 0, ip('10.0.0.1'), null, 0, ip('10.0.0.2'));
    assert.deepEqual(buf.subarray(14, 42), refArp(ARP_REQUEST, A, ip('10.0.0.1'), new Uint8Array(6), ip('10.0.0.2')));
    assert.equal(buf[42], 0x55, 'nothing past the packet');
  });

  it('the info keeps its own copies of the MACs after the frame changes', () => {
    const f = hex(CAPTURED.arpRequest);
    const info = new ArpInfo();
    const sha = info.sha;
    assert.equal(arpParse(f, 14, 28, info), 0);
    f.fill(0);
    assert.equal(info.sha, sha);
    assert.deepEqual(info.sha, A);
  });

  it('refuses every truncation from 0 to 27 bytes', () => {
    const f = hex(CAPTURED.arpRequest);
    const info = new ArpInfo();
    for (let n = 0; n < ARP_LEN; n++) {
      assert.equal(arpParse(f.subarray(0, 14 + n), 14, n, info), ARP_ERR_SHORT, 'len ' + n);
    }
    assert.equal(info.op, 0);
  });

  it('accepts only Ethernet/IPv4: wrong htype, ptype, hlen or plen give their own code', () => {
    const info = new ArpInfo();
    const cases: [number, number, number][] = [
      [1, 0x06, ARP_ERR_HTYPE], // htype 6 (IEEE 802)
      [0, 0x01, ARP_ERR_HTYPE], // htype 0x0101
      [3, 0xdd, ARP_ERR_PTYPE], // ptype 0x08dd
      [2, 0x86, ARP_ERR_PTYPE], // ptype 0x8600
      [4, 8, ARP_ERR_ALEN],     // hlen 8
      [5, 16, ARP_ERR_ALEN],    // plen 16 (IPv6-sized)
      [4, 0, ARP_ERR_ALEN],
    ];
    for (const [idx, val, code] of cases) {
      const a = refArp(ARP_REQUEST, A, ip('10.0.0.1'), B, ip('10.0.0.2'));
      a[idx] = val;
      assert.equal(arpParse(a, 0, 28, info), code, `byte ${idx} = ${val}`);
    }
    assert.equal(info.op, 0, 'info untouched by refused packets');
  });

  it('does not judge the opcode (RFC 826 merges the sender first)', () => {
    const info = new ArpInfo();
    const a = refArp(9, A, ip('10.0.0.1'), B, ip('10.0.0.2'));
    assert.equal(arpParse(a, 0, 28, info), 0);
    assert.equal(info.op, 9);
  });
});
