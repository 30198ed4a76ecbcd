/**
 * TCP segmentation offload (NetDriver.txTcpSegmentation): TCP output hands a driver that declares it
 * the run of new full-sized segments the window allows as ONE frame over a pbuf chain (one header
 * from the connection's template, the segments' payload pbufs chained behind it), and the driver
 * (tools/mocknet.ts TsoMockDriver, standing in for a NIC with TSO) cuts it into the segments the
 * peer sees. What the peer gets is what it got before: segments of the MSS with valid checksums,
 * consecutive sequence numbers, PSH only on the last of a pushed run. Retransmissions go one segment
 * at a time; Nagle still holds a small last segment. Deterministic: mock wire, virtual clock, seeded
 * randomness; pools full at the end.
 */
import assert from 'node:assert/strict';
import { MockNet, TsoMockDriver } from '../../tools/mocknet.js';
import { tcp_close, tcp_nagle_enable } from '../../src/api/tcp_api.js';
import { assertPoolsFull } from '../helpers/pools.js';
import { TcpPeer, listen, connect, patternBytes, sq } from '../helpers/tcppeer.js';

const STACK = '10.0.0.1';
const PEER = '10.0.0.2';
const MSS = 1460;

function scene(seed: number): { net: MockNet; peer: TcpPeer; drv: TsoMockDriver; lis: ReturnType<typeof listen>; isn: number } {
  const net = new MockNet({ seed });
  const s = net.addStack({ ip: STACK + '/24', txTcpSegmentation: true, config: { TCP_SND_BUF: 16384 } });
  const drv = net.driverOf(s) as TsoMockDriver;
  assert.ok(drv instanceof TsoMockDriver);
  const lis = listen(s, 80);
  const peer = new TcpPeer(net, s, { ip: PEER, port: 40000, stackPort: 80, win: 65535 });
  const isn = 7000;
  peer.handshake({ isn, mss: MSS });
  assert.equal(lis.apps.length, 1);
  return { net, peer, drv, lis, isn };
}

/** The application closes, the peer answers our FIN with its own, TIME_WAIT passes: pools full. */
function finish(c: ReturnType<typeof scene>): void {
  const { net, peer, lis, isn } = c;
  c.peer.drain();
  tcp_close(lis.apps[0].pcb);
  const fin = peer.expect({ flags: 'F.' }, 100, 'FIN');
  peer.send({ flags: 'F.', seq: sq(isn, 1), ack: sq(fin.seq, 1) });
  tcp_close(lis.pcb);
  net.run(300000);
  peer.dispose();
  assertPoolsFull(net.stacks[0]);
}

describe('TCP segmentation offload (NetDriver.txTcpSegmentation)', () => {
  it('the initial window of three segments leaves as ONE frame, cut into three valid segments of the MSS', () => {
    const c = scene(1101);
    const { peer, drv, lis, isn } = c;
    const app = lis.apps[0];
    const una = sq(peer.stackIsn as number, 1);
    app.write(patternBytes(3 * MSS + 100));
    assert.equal(drv.tsoFrames, 1, 'one frame from TCP');
    assert.equal(drv.tsoSegs, 3, 'the initial window (RFC 5681 §3.1: 3 segments of 1460)');
    for (let k = 0; k < 3; k++) {
      const s = peer.expect({ seq: sq(una, k * MSS), len: MSS, flags: '.', ack: sq(isn, 1) }, 1, 'piece ' + k);
      assert.ok(s.tcpChecksumOk && s.ipChecksumOk, 'checksums of piece ' + k);
      assert.deepEqual(s.payload, patternBytes(MSS, k * MSS));
    }
    // the ACK opens the window: the short, pushed rest goes alone
    peer.send({ flags: '.', seq: sq(isn, 1), ack: sq(una, 3 * MSS) });
    const rest = peer.expect({ seq: sq(una, 3 * MSS), len: 100, flags: 'P.' }, 10, 'the rest');
    assert.ok(rest.tcpChecksumOk);
    assert.equal(drv.tsoFrames, 1);
    peer.send({ flags: '.', seq: sq(isn, 1), ack: sq(una, 3 * MSS + 100) });
    finish(c);
  });

  it('a pushed run ends on a short piece with PSH on it alone; a retransmission is one segment', () => {
    const c = scene(1102);
    const { net, peer, drv, lis, isn } = c;
    const app = lis.apps[0];
    const una = sq(peer.stackIsn as number, 1);
    app.write(patternBytes(2 * MSS + 500));
    assert.equal(drv.tsoFrames, 1);
    assert.equal(drv.tsoSegs, 3, 'two full segments and the short pushed one in one frame');
    peer.expect({ seq: una, len: MSS, flags: '.' }, 1);
    peer.expect({ seq: sq(una, MSS), len: MSS, flags: '.' }, 1);
    peer.expect({ seq: sq(una, 2 * MSS), len: 500, flags: 'P.' }, 1, 'PSH on the last piece only (RFC 1122 §4.2.2.2)');
    // no ACK: the retransmission timer resends the first segment alone (RFC 6298 §5.4)
    const rtx = peer.expect({ seq: una, len: MSS }, 5000, 'retransmission');
    assert.ok(rtx.tcpChecksumOk);
    assert.equal(drv.tsoFrames, 1, 'not through segmentation offload');
    peer.send({ flags: '.', seq: sq(isn, 1), ack: sq(una, 2 * MSS + 500) });
    net.run(1);
    finish(c);
  });

  it('Nagle holds a small last segment while a small one is unacknowledged, inside a run too (RFC 1122 §4.2.3.4)', () => {
    const c = scene(1103);
    const { peer, drv, lis, isn } = c;
    const app = lis.apps[0];
    tcp_nagle_enable(app.pcb);
    const una = sq(peer.stackIsn as number, 1);
    app.write(patternBytes(10));
    peer.expect({ seq: una, len: 10 }, 1, 'a small segment with nothing in flight goes');
    // a small one is in flight: two full segments go as one frame, the small tail waits
    app.write(patternBytes(2 * MSS + 10, 10));
    assert.equal(drv.tsoFrames, 1);
    assert.equal(drv.tsoSegs, 2);
    peer.expect({ seq: sq(una, 10), len: MSS }, 1);
    peer.expect({ seq: sq(una, 10 + MSS), len: MSS }, 1);
    peer.expectNone(5, 'the small tail waits for the ACK');
    peer.send({ flags: '.', seq: sq(isn, 1), ack: sq(una, 10 + 2 * MSS) });
    peer.expect({ seq: sq(una, 10 + 2 * MSS), len: 10 }, 10, 'the tail after the ACK');
    peer.send({ flags: '.', seq: sq(isn, 1), ack: sq(una, 20 + 2 * MSS) });
    finish(c);
  });

  it('1 MiB between two stacks, one with TSO: identical bytes, most segments through offload, pools full', () => {
    const net = new MockNet({ seed: 1104 });
    const a = net.addStack({ ip: STACK + '/24', txTcpSegmentation: true });
    const b = net.addStack({ ip: PEER + '/24' });
    const drv = net.driverOf(a) as TsoMockDriver;
    const lis = listen(b, 9);
    const c = connect(a, PEER, 9);
    net.runUntil(() => c.connected && lis.apps.length === 1, 1000);
    const total = 1 << 20;
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        const n = Math.min(4096, total - sent);
        if (c.write(patternBytes(n, sent), undefined, false) !== 0) break;
        sent += n;
      }
      c.write(new Uint8Array(0));
    };
    pump();
    net.runUntil(() => { pump(); return lis.apps[0].received.length >= total; }, 120000);
    assert.equal(lis.apps[0].received.length, total);
    assert.deepEqual(lis.apps[0].received.bytes(), patternBytes(total, 0));
    assert.ok(drv.tsoFrames > 0 && drv.tsoSegs >= 2 * drv.tsoFrames, JSON.stringify({ frames: drv.tsoFrames, segs: drv.tsoSegs }));
    assert.equal(b.stats.tcp.chkerr, 0);
    tcp_close(c.pcb);
    tcp_close(lis.apps[0].pcb);
    tcp_close(lis.pcb);
    net.run(300000);
    assertPoolsFull(a, b);
  });
});
