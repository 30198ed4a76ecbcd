/**
 * Checksum offload between the stack and its driver (lwIP's per-netif NETIF_CHECKSUM_CHECK_* and
 * NETIF_CHECKSUM_GEN_* choices, made by the driver): a frame the driver commits with `checksumOk`
 * (FrameSink.rxCommit) skips the TCP/UDP checksum test, any other frame is still verified, and a
 * driver that declares NetDriver.txChecksumOffload gets TCP segments whose checksum field holds the
 * pseudo-header sum (RFC 9293 §3.1) for the NIC to complete. Deterministic: mock wire, virtual
 * clock, seeded randomness; pools full at the end.
 */
import assert from 'node:assert/strict';
import { MockNet } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import { ERR_OK } from '../../src/core/err.js';
import { pbuf_free } from '../../src/core/pbuf.js';
import { tcp_close } from '../../src/api/tcp_api.js';
import { udp_new, udp_bind, udp_recv, udp_remove, type UdpPcb } from '../../src/api/udp_api.js';
import { assertPoolsFull } from '../helpers/pools.js';
import { TcpPeer, listen, connect, abortIfAlive, patternBytes, sq } from '../helpers/tcppeer.js';
import { eth, ip, ipv4, udp, pattern, get16 } from '../helpers/frames.js';

const STACK = '10.0.0.1';
const PEER = '10.0.0.2';

/** Hands `frame` to the stack the one-copy way, with the driver's verdict on its checksum. */
function commit(stack: Stack, frame: Uint8Array, checksumOk?: boolean): void {
  const nf = stack.netif;
  const at = nf.rxReserve();
  assert.ok(at >= 0);
  nf.rxMemory.set(frame, at);
  nf.rxCommit(frame.length, checksumOk);
}

/** The RFC 1071 sum of `len` bytes at `off`, folded, not complemented (an independent loop). */
function sum16(b: Uint8Array, off: number, len: number, initial: number): number {
  let s = initial;
  for (let i = 0; i + 1 < len; i += 2) s += (b[off + i] << 8) | b[off + i + 1];
  if (len & 1) s += b[off + len - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

function pseudo(b: Uint8Array, ipOff: number, l4len: number, proto: number): number {
  return sum16(b, ipOff + 12, 8, proto + l4len);
}

/** A stack with a UDP socket on port 5000 counting what it receives, and a datagram for it from
 *  PEER whose checksum is wrong (`n` payload bytes). */
function udpScene(seed: number, n: number): { net: MockNet; s: Stack; pcb: UdpPcb; got: () => number; dgram: Uint8Array } {
  const net = new MockNet({ seed });
  const s = net.addStack({ ip: STACK + '/24' });
  const pcb = udp_new(s);
  assert.ok(pcb !== null);
  assert.equal(udp_bind(pcb, 0, 5000), ERR_OK);
  let got = 0;
  udp_recv(pcb, (_a, _pcb, p) => { got++; pbuf_free(p); });
  const dgram = udp(ip(PEER), ip(STACK), 4000, 5000, pattern(n));
  dgram[6] ^= 0x55; // break the checksum
  return { net, s, pcb, got: () => got, dgram };
}

const PEER_MAC = new Uint8Array([2, 0, 0, 0, 0, 0x42]);

describe('checksum offload (rxCommit checksumOk, NetDriver.txChecksumOffload)', () => {
  it('a TCP segment the driver vouches for skips the check; an unflagged bad checksum is dropped and counted', () => {
    const net = new MockNet({ seed: 61 });
    const s = net.addStack({ ip: STACK + '/24' });
    const lis = listen(s, 80);
    const peer = new TcpPeer(net, s, { ip: PEER, port: 40000, stackPort: 80 });
    const bad = peer.build({ flags: 'S', seq: 1000, mss: 1460, badChecksum: true });
    // no verdict: the stack sums it and drops it
    commit(s, bad);
    assert.equal(s.stats.tcp.chkerr, 1);
    assert.equal(s.stats.tcp.drop, 1);
    commit(s, bad, false);
    assert.equal(s.stats.tcp.chkerr, 2);
    peer.expectNone(50, 'no answer to a corrupted SYN');
    // the same bytes with the driver's word for it: accepted
    commit(s, bad, true);
    peer.expect({ flags: 'S.', ack: 1001 }, 100, 'SYN-ACK');
    assert.equal(s.stats.tcp.chkerr, 2);
    // and the path without offload (receiveFrame) still checks
    s.netif.receiveFrame(bad, 0, bad.length);
    assert.equal(s.stats.tcp.chkerr, 3);
    // the half-open connection goes with the peer's RST, the listener with tcp_close
    peer.send({ flags: 'R', seq: 1001 });
    assert.equal(tcp_close(lis.pcb), ERR_OK);
    peer.dispose();
    net.run(100);
    assertPoolsFull(s);
  });

  it('UDP: a flagged datagram is delivered despite a wrong checksum, an unflagged one is dropped', () => {
    const { s, pcb, got, dgram } = udpScene(62, 64);
    const frame = eth(s.netif.mac, PEER_MAC, 0x0800, ipv4({ src: ip(PEER), dst: ip(STACK), proto: 17 }, dgram));
    commit(s, frame);
    assert.equal(got(), 0);
    assert.equal(s.stats.udp.chkerr, 1);
    commit(s, frame, true);
    assert.equal(got(), 1);
    assert.equal(s.stats.udp.chkerr, 1);
    udp_remove(pcb);
    assertPoolsFull(s);
  });

  it('an IPv4 fragment loses the verdict: the reassembled datagram is checked whole', () => {
    const { net, s, pcb, got, dgram } = udpScene(63, 96);
    // two fragments (RFC 791: offsets in 8-octet units), each committed as verified
    const a = eth(s.netif.mac, PEER_MAC, 0x0800, ipv4({ src: ip(PEER), dst: ip(STACK), proto: 17, id: 7, mf: true, fragOff: 0 }, dgram.subarray(0, 56)));
    const b = eth(s.netif.mac, PEER_MAC, 0x0800, ipv4({ src: ip(PEER), dst: ip(STACK), proto: 17, id: 7, fragOff: 56 }, dgram.subarray(56)));
    commit(s, a, true);
    commit(s, b, true);
    assert.equal(got(), 0);
    assert.equal(s.stats.udp.chkerr, 1);
    udp_remove(pcb);
    net.run(100);
    assertPoolsFull(s);
  });

  for (const offload of [true, false]) {
    it('transmit, offload ' + (offload ? 'on: every TCP segment carries the pseudo-header sum, completed on the wire'
      : 'off: every TCP segment carries its complete checksum'), () => {
      const net = new MockNet({ seed: 64 });
      const s = net.addStack({ ip: STACK + '/24', txChecksumOffload: offload });
      const sMac = net.driverOf(s).mac;
      let partial = 0;
      let complete = 0;
      // the NIC: registered before the peer's hook, so the peer sees the finished frame
      net.wire.dropIf((b, off, len) => {
        if (len < 54 || b[off + 6] !== sMac[0] || b[off + 11] !== sMac[5] || get16(b, off + 12) !== 0x0800 || b[off + 23] !== 6) return false;
        const ipo = off + 14;
        const l4 = get16(b, ipo + 2) - 20;
        const t = ipo + 20;
        const field = get16(b, t + 16);
        if (field === pseudo(b, ipo, l4, 6)) partial++;
        if (sum16(b, t, l4, pseudo(b, ipo, l4, 6)) === 0xffff) complete++;
        if (offload) {
          // virtio's NEEDS_CSUM: sum from the TCP header on (the field included), store the complement
          const c = ~sum16(b, t, l4, 0) & 0xffff;
          b[t + 16] = c >>> 8;
          b[t + 17] = c & 0xff;
        }
        return false;
      });
      const peer = new TcpPeer(net, s, { ip: PEER, port: 80 });
      const app = connect(s, PEER, 80);
      peer.acceptHandshake({ isn: 5000 });
      const data = patternBytes(4000);
      assert.equal(app.write(data), ERR_OK);
      let got = 0;
      while (got < 4000) {
        const seg = peer.expect({}, 1000, 'data'); // expect() checks the TCP checksum
        got += seg.len;
        peer.send({ flags: '.', seq: sq(5000, 1), ack: sq(peer.stackIsn as number, 1 + got) });
      }
      const segs = s.stats.tcp.xmit;
      assert.ok(segs >= 4, segs + ' segments');
      if (offload) {
        assert.equal(partial, segs, 'partial sums');
        assert.equal(complete, 0, 'no complete checksum when the NIC completes them');
      } else {
        assert.equal(complete, segs, 'complete checksums');
        assert.equal(partial, 0);
      }
      abortIfAlive(app);
      peer.dispose();
      net.run(100);
      assertPoolsFull(s);
    });
  }
});
