/**
 * The sender's SACK scoreboard and the RFC 6675 rules over it (src/tcp/sack.ts), on hand-built
 * retransmission queues: marking from blocks, IsLost, pipe, NextSeg rules 1 and 3, the rescue
 * retransmission, and the marks forgotten after a timeout (RFC 2018 §8 reneging).
 */
import assert from 'node:assert/strict';
import { Tcb, SegStore, NO_SEG, SEG_SACKED, SEG_RTX } from '../../src/tcp/tcb.js';
import { Arena } from '../../src/core/arena.js';
import { tcp_abort, tcp_close, tcp_is_alive } from '../../src/api/tcp_api.js';
import { ERR_OK } from '../../src/core/err.js';
import { assertPoolsFull } from '../helpers/pools.js';
import { established, patternBytes } from '../helpers/tcppeer.js';
import { sackMark, sackClear, sackIsLost, sackPipe, sackNextSeg, sackRescue, sackRecoveryStart } from '../../src/tcp/sack.js';

const M = 1000;
const UNA = 0xfffff000; // the queue straddles the 2^32 wrap

/** A queue of `n` full segments from SND.UNA: segment i is descriptor i of a fresh store. */
function queue(n: number): { tcb: Tcb; segs: number[]; marks: Uint8Array; sg: SegStore } {
  const tcb = new Tcb();
  const sg = new SegStore(n, new Arena(Arena.size(...SegStore.bytes(n))));
  tcb.mss = M;
  tcb.sndUna = UNA;
  const segs: number[] = [];
  for (let i = 0; i < n; i++) {
    sg.seqno[i] = (UNA + i * M) >>> 0;
    sg.len[i] = M;
    if (i > 0) sg.next[i - 1] = i;
    segs.push(i);
  }
  tcb.unacked = segs[0];
  tcb.unackedTail = segs[n - 1];
  tcb.sndMax = tcb.sndNxt = (UNA + n * M) >>> 0;
  return { tcb, segs, marks: sg.marks, sg };
}

/** SACK blocks for segment ranges [from, to) of the queue. */
function blocks(...ranges: [number, number][]): Uint32Array {
  const b = new Uint32Array(8);
  ranges.forEach(([a, z], k) => { b[2 * k] = (UNA + a * M) >>> 0; b[2 * k + 1] = (UNA + z * M) >>> 0; });
  return b;
}

const sacked = (segs: number[], marks: Uint8Array): number[] => segs.flatMap((s, i) => ((marks[s] & SEG_SACKED) !== 0 ? [i] : []));

describe('tcp sack: scoreboard and RFC 6675 rules', () => {
  it('blocks mark the segments they cover whole; the count of new octets says whether the ACK brought news', () => {
    const { tcb, segs, marks, sg } = queue(6);
    assert.equal(sackMark(tcb, sg, blocks([1, 3]), 1), 2 * M);
    assert.deepEqual(sacked(segs, marks), [1, 2]);
    assert.equal(sackMark(tcb, sg, blocks([1, 3]), 1), 0, 'the same block again: no new information');
    // a block that covers only part of a segment does not mark it (data of it is still missing)
    const b = blocks([4, 5]);
    b[0] = (b[0] + 10) >>> 0;
    assert.equal(sackMark(tcb, sg, b, 1), 0);
    assert.deepEqual(sacked(segs, marks), [1, 2]);
    assert.equal(sackMark(tcb, sg, blocks([5, 6], [4, 5]), 2), 2 * M);
    assert.deepEqual(sacked(segs, marks), [1, 2, 4, 5]);
  });

  it('IsLost: DupThresh SACKed segments, or more than 2 SMSS SACKed octets, above a segment', () => {
    const { tcb, segs, marks, sg } = queue(6);
    sackMark(tcb, sg, blocks([1, 3]), 1);
    assert.equal(sackIsLost(tcb, sg, segs[0]), false, 'two segments above');
    sackMark(tcb, sg, blocks([4, 5]), 1);
    assert.equal(sackIsLost(tcb, sg, segs[0]), true, 'three segments above');
    assert.equal(sackIsLost(tcb, sg, segs[3]), false, 'one above');
    // small segments: octets decide, not the count alone
    const q = queue(5);
    q.sg.len[4] = 2 * M + 1;
    sackMark(q.tcb, q.sg, blocks([4, 5]), 0);
    q.marks[4] |= SEG_SACKED;
    assert.equal(sackIsLost(q.tcb, q.sg, q.segs[0]), true, 'one segment of more than 2 SMSS above');
  });

  it('pipe: unSACKed segments not lost, plus those resent in this recovery', () => {
    const { tcb, segs, marks, sg } = queue(8);
    assert.equal(sackPipe(tcb, sg), 8 * M, 'nothing SACKed: all in flight');
    sackMark(tcb, sg, blocks([1, 2], [3, 6]), 2);
    // 0 and 2 lost (3+ SACKed above); 6, 7 in flight; 1, 3, 4, 5 SACKed
    assert.equal(sackPipe(tcb, sg), 2 * M);
    marks[0] |= SEG_RTX;
    assert.equal(sackPipe(tcb, sg), 3 * M, 'the retransmission of 0 is in flight');
  });

  it('NextSeg: rule 1 the first lost hole not yet resent; rule 3 a hole with SACKed data above; rescue the last unSACKed', () => {
    const { tcb, segs, marks, sg } = queue(8);
    sackMark(tcb, sg, blocks([1, 2], [3, 5]), 2);
    sackRecoveryStart(tcb, sg);
    assert.equal(sackNextSeg(tcb, sg, false), segs[0], 'rule 1: segment 0 is lost');
    marks[0] |= SEG_RTX;
    assert.equal(sackNextSeg(tcb, sg, false), NO_SEG, 'segment 2 has only two SACKed above: not lost');
    assert.equal(sackNextSeg(tcb, sg, true), segs[2], 'rule 3: segment 2 has SACKed data above it');
    marks[2] |= SEG_RTX;
    assert.equal(sackNextSeg(tcb, sg, true), NO_SEG, 'segments 5..7 have nothing SACKed above');
    assert.equal(sackRescue(tcb, sg), segs[7], 'rule 4: the last unSACKed segment');
    // a new episode forgets which segments were resent
    sackRecoveryStart(tcb, sg);
    assert.equal(marks[0] & SEG_RTX, 0);
  });

  it('reneging (RFC 2018 §8): marks stay until the cumulative ACK; a timeout clears them all', () => {
    const { tcb, segs, marks, sg } = queue(4);
    sackMark(tcb, sg, blocks([1, 4]), 1);
    marks[0] |= SEG_RTX;
    // an ACK whose blocks no longer mention the SACKed data does not unmark it
    assert.equal(sackMark(tcb, sg, blocks([3, 4]), 1), 0);
    assert.deepEqual(sacked(segs, marks), [1, 2, 3]);
    sackClear(tcb, sg);
    assert.deepEqual(sacked(segs, marks), []);
    assert.equal(marks[0] & SEG_RTX, 0);
    assert.equal(sackPipe(tcb, sg), 4 * M);
  });

  it('against a peer: blocks outside SND.UNA..SND.MAX are counted and mark nothing; valid ones start recovery', () => {
    const f = established({ rtt: 100, mss: 1000 });
    const tcb = f.app.pcb.conn as Tcb;
    tcb.sackOk = true; // as if both SYNs had carried SACK-permitted
    const { peer, app } = f;
    const sackOpt = (l: number, r: number): Uint8Array => {
      const o = new Uint8Array(12);
      o[0] = 1; o[1] = 1; o[2] = 5; o[3] = 10;
      new DataView(o.buffer).setUint32(4, peer.s(l)); new DataView(o.buffer).setUint32(8, peer.s(r));
      return o;
    };
    assert.equal(app.write(patternBytes(4 * M)), ERR_OK);
    for (let i = 0; i < 4; i++) peer.expect({ seq: peer.s(i * M), len: M }, 10);
    const ignored = f.stack.tcp.sackBlocksIgnored;
    // data never sent (past SND.MAX): ignored and counted, no retransmission
    peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(0), options: sackOpt(M, 9 * M) });
    f.net.run(5);
    assert.equal(f.stack.tcp.sackBlocksIgnored, ignored + 1);
    assert.equal(peer.next(5), null, 'nothing resent');
    const store = f.stack.tcp.segs;
    assert.equal(store.marks[store.next[tcb.unacked]], 0, 'not marked SACKed');
    // the same segments SACKed with a valid block: segment 0 is lost (IsLost), resent at once
    peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(0), options: sackOpt(M, 4 * M) });
    peer.expect({ seq: peer.s(0), len: M }, 3, 'the hole, at once');
    assert.equal(peer.next(5), null, 'the SACKed segments are not resent');
    peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(4 * M) });
    f.net.run(5);
    assert.equal(app.sent, 4 * M);
    if (tcp_is_alive(app.pcb)) tcp_abort(app.pcb);
    if (tcp_is_alive(f.lis.pcb)) tcp_close(f.lis.pcb);
    f.net.run(2100);
    assertPoolsFull(f.stack);
  });
});
