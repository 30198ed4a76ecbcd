/**
 * Robustness: the stack never throws and never leaks, whatever arrives. A scripted peer throws
 * thousands of random segments (valid checksums, so they reach the state machine: random flags,
 * sequence and acknowledgment numbers near and far from the live ones, random windows, options and
 * payloads) at a listener and at open connections in every state the random traffic leads to.
 * Afterwards every connection is aborted or timed out and every pool must be back to full.
 */
import assert from 'node:assert/strict';
import { MockNet } from '../../tools/mocknet.js';
import { SeededRandom } from '../../src/core/random.js';
import { tcp_abort, tcp_close, netstat, tcp_set_trace, TCP_STATE_NAMES } from '../../src/api/tcp_api.js';
import { TcpPeer, listen } from '../helpers/tcppeer.js';
import { assertPoolsFull } from '../helpers/pools.js';

const FLAG_SETS = ['S', 'S.', '.', 'P.', 'F.', 'R', 'R.', 'FP.', 'SF', 'SR', 'SFR.', 'U.', ''];

function fuzz(seed: number, segments: number): Set<string> {
  const net = new MockNet({ seed });
  const stack = net.addStack({ ip: '10.0.0.1/24', config: { TCP_MSL: 500, MEMP_NUM_TCP_PCB: 4 } });
  const seen = new Set<string>();
  tcp_set_trace(stack, (info) => { seen.add(TCP_STATE_NAMES[info.to]); });
  const lis = listen(stack, 80, { backlog: 2, app: { closeOnFin: true } });
  const rnd = new SeededRandom(seed);
  const peer = new TcpPeer(net, stack, { stackPort: 80 });
  const near: number[] = [];
  // per peer port: what the stack expects next from us (its RCV.NXT) and its SND.NXT
  const expectSeq = new Map<number, number>();
  const expectAck = new Map<number, number>();
  for (let i = 0; i < segments; i++) {
    // learn live numbers from what the stack emits, so that many segments land in or near windows
    for (const s of peer.drain()) {
      near.push(s.seq, s.ack, (s.seq + s.len) >>> 0);
      expectSeq.set(s.dstPort, s.ack);
      expectAck.set(s.dstPort, (s.seq + s.len + (s.flags.includes('S') || s.flags.includes('F') ? 1 : 0)) >>> 0);
    }
    if (near.length > 64) near.splice(0, near.length - 64);
    const port = 40000 + (rnd.nextU32() % 3);
    if ((rnd.nextU32() & 1) === 0 && expectSeq.has(port)) {
      // an exact, plausible segment: drives the connection through its states
      const exact = ['.', 'P.', 'F.', '.', 'P.', 'R', 'S'][rnd.nextU32() % 7];
      peer.send({ flags: exact, seq: expectSeq.get(port) as number, ack: expectAck.get(port) as number,
        win: rnd.nextU32() & 0xffff, data: exact === 'P.' ? 1 + (rnd.nextU32() % 1400) : undefined, srcPort: port });
      net.run(rnd.nextU32() % 50);
      continue;
    }
    const pick = (): number => {
      const r = rnd.nextU32();
      if (near.length > 0 && (r & 3) !== 0) return (near[r % near.length] + ((rnd.nextU32() % 4001) - 2000)) >>> 0;
      return rnd.nextU32();
    };
    const flags = FLAG_SETS[rnd.nextU32() % FLAG_SETS.length];
    const withData = (rnd.nextU32() & 3) === 0;
    const optRoll = rnd.nextU32() % 8;
    peer.send({
      flags,
      seq: pick(),
      ack: pick(),
      win: rnd.nextU32() & 0xffff,
      data: withData ? 1 + (rnd.nextU32() % 1400) : undefined,
      mss: optRoll === 0 ? rnd.nextU32() & 0xffff : undefined,
      options: optRoll === 1 ? new Uint8Array([1, 3, 3, rnd.nextU32() & 0xff]) : undefined,
      srcPort: port,
      urgPtr: rnd.nextU32() & 0xffff,
    });
    net.run(rnd.nextU32() % 50);
  }
  // the application goes away: everything must wind down to full pools
  for (const app of lis.apps) tcp_abort(app.pcb);
  assert.equal(tcp_close(lis.pcb), 0);
  // FIN retransmissions to a vanished peer give up after TCP_MAXRTX (12) backed-off RTOs (capped at
  // 60 s): about 8 minutes; persist probes likewise
  net.run(900_000);
  assert.deepEqual(netstat(stack), [], 'nothing left: ' + JSON.stringify(netstat(stack)));
  peer.dispose();
  assertPoolsFull(stack);
  return seen;
}

describe('tcp fuzz', () => {
  const seenAll = new Set<string>();
  for (const seed of [1, 2, 3, 4]) {
    it('5000 random segments at a listener and its connections (seed ' + seed + '): no throw, no leak', function () {
      this.timeout(120000);
      for (const s of fuzz(seed, 5000)) seenAll.add(s);
    });
  }
  it('the random traffic reached the state machine well past the handshake', () => {
    for (const s of ['SYN_RCVD', 'ESTABLISHED', 'CLOSE_WAIT', 'CLOSED']) {
      assert.ok(seenAll.has(s), s + ' never reached; seen: ' + [...seenAll].join(', '));
    }
  });
});
