/**
 * The host TAP driver's read/write rhythm, driven through a fake addon (no TAP, no root): what a
 * received burst is answered with leaves in one gathered write at the end of the burst, and the
 * optional re-read after that write (TapOptions.repoll) happens only after a pass that wrote,
 * finds what the "kernel" queued during the write, and is bounded.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { TapDriver, type TapAddon } from '../../hal/host/tap.js';
import { VNET_HDR_LEN, VIRTIO_NET_HDR_GSO_TCPV4 } from '../../hal/host/vnet.js';
import type { FrameSink } from '../../src/hal.js';
import { eth, ip, ipv4, pattern, put16, put32 } from '../helpers/frames.js';

const A = ip('10.0.0.1');
const B = ip('10.0.0.2');
const MAC_A = new Uint8Array([2, 0, 0, 0, 0, 1]);
const MAC_B = new Uint8Array([2, 0, 0, 0, 0, 2]);
const EAGAIN = 11;
const MSS = 1000;

function tcpFrame(seq: number, payload: Uint8Array, flags: number): Uint8Array {
  const t = new Uint8Array(20 + payload.length);
  put16(t, 0, 19); put16(t, 2, 40000); put32(t, 4, seq >>> 0); put32(t, 8, 1234);
  t[12] = 5 << 4; t[13] = flags; put16(t, 14, 8192);
  t.set(payload, 20);
  return eth(MAC_B, MAC_A, 0x0800, ipv4({ src: A, dst: B, proto: 6, id: 1, df: true }, t));
}

/** A fake /dev/net/tun with a virtio-net header: `rxQueue` is what the kernel has queued for us;
 *  `onWrite` runs inside each write (the kernel answering within our system call); `log` keeps
 *  the order of the calls. */
class FakeTun {
  readonly rxQueue: Uint8Array[] = [];
  readonly log: string[] = [];
  readonly written: { gso: number; len: number; size: number; hlen: number }[] = [];
  onWrite: (() => void) | null = null;
  readable: (() => void) | null = null;
  readonly fd = fs.openSync('/dev/null', 'r');

  addon(): TapAddon {
    const put = (buf: Uint8Array, off: number, len: number, hdr: Uint8Array): number => {
      const f = this.rxQueue.shift();
      if (f === undefined) { this.log.push('read EAGAIN'); return -EAGAIN; }
      hdr.fill(0);
      const n = Math.min(f.length, len);
      buf.set(f.subarray(0, n), off);
      this.log.push('read');
      return n;
    };
    const copy = (dst: Uint8Array, doff: number, src: Uint8Array, soff: number, n: number): number => {
      dst.set(src.subarray(soff, soff + n), doff);
      return n;
    };
    return {
      open: () => this.fd,
      read: (_fd, buf, off, len) => put(buf, off, len, new Uint8Array(VNET_HDR_LEN)),
      write: (_fd, _buf, _off, len) => len,
      readv: (_fd, hdr, buf, off, len) => put(buf, off, len, hdr),
      writev: (_fd, hdr, _buf, _off, len) => {
        this.log.push('write');
        this.written.push({ gso: hdr[1], len, size: hdr[4] | (hdr[5] << 8), hlen: hdr[2] | (hdr[3] << 8) });
        if (this.onWrite !== null) this.onWrite();
        return len;
      },
      offload: () => 0,
      copy,
      piece: () => -1,
      poll: (_fd, cb) => { this.readable = cb; return {}; },
      pollStop: () => { this.readable = null; },
    };
  }
}

/** A stack stand-in: every frame committed is answered with one full TCP segment, PSH set (as
 *  chargen answers each ACK with one tcp_write); bursts are counted. */
function answeringSink(drv: () => TapDriver): FrameSink & { frames: number; bursts: number } {
  const mem = new Uint8Array(4 * 1600);
  let seq = 1;
  const sink = {
    rxMemory: mem,
    rxCapacity: 1600,
    frames: 0,
    bursts: 0,
    rxReserve: () => 0,
    rxCommit: (len: number) => {
      if (len === 0) return;
      sink.frames++;
      const seg = tcpFrame(seq, pattern(MSS, seq & 0xff), 0x18);
      seq += MSS;
      assert.ok(drv().transmit({ buf: seg, off: 0, len: seg.length, next: null }, seg.length));
    },
    receiveFrame: () => { throw new Error('one-copy path expected'); },
    rxBurstBegin: () => { sink.bursts++; },
    rxBurstEnd: () => { /* counted at the begin */ },
  };
  return sink as unknown as FrameSink & { frames: number; bursts: number };
}

const ACK = tcpFrame(9, new Uint8Array(0), 0x10);

describe('host TAP driver: the rhythm of reads and writes (fake addon)', () => {
  const open: TapDriver[] = [];
  afterEach(async () => {
    for (const d of open.splice(0)) await d.close();
  });

  function driver(tun: FakeTun, repoll?: number): TapDriver {
    const d = new TapDriver('fake0', { addon: tun.addon(), offload: true, repoll });
    open.push(d);
    return d;
  }

  it('answers a burst of three ACKs with one GSO frame written after the burst, PSHes collapsed', () => {
    const tun = new FakeTun();
    const drv = driver(tun, 0);
    const sink = answeringSink(() => drv);
    drv.attach(sink);
    let bursts = 0;
    drv.onBurst = () => { bursts++; };
    tun.rxQueue.push(ACK, ACK, ACK);
    (tun.readable as () => void)();
    assert.deepEqual(tun.log, ['read', 'read', 'read', 'read EAGAIN', 'write']);
    assert.equal(tun.written.length, 1);
    assert.equal(tun.written[0].gso, VIRTIO_NET_HDR_GSO_TCPV4);
    assert.equal(drv.stats.txGsoSegs, 3);
    assert.equal(sink.bursts, 1);
    assert.equal(bursts, 1);
    assert.equal(drv.stats.rxRepolls, 0, 'no re-read by default');
    assert.equal(drv.burstDrains, true, 'poll mode drains per callback: the scheduler ticks right there');
  });

  it('re-reads after the write when asked (repoll): finds what the kernel queued during the write, at most repoll passes', () => {
    const tun = new FakeTun();
    const drv = driver(tun, 2);
    const sink = answeringSink(() => drv);
    drv.attach(sink);
    let bursts = 0;
    drv.onBurst = () => { bursts++; };
    // the "kernel" ACKs every write at once, forever: only the bound stops the loop
    tun.onWrite = () => { tun.rxQueue.push(ACK); };
    tun.rxQueue.push(ACK);
    (tun.readable as () => void)();
    assert.deepEqual(tun.log, [
      'read', 'read EAGAIN', 'write',
      'read', 'read EAGAIN', 'write',
      'read', 'read EAGAIN', 'write',
    ]);
    assert.equal(drv.stats.rxRepolls, 2);
    assert.equal(drv.stats.rxRepollHits, 2);
    assert.equal(sink.bursts, 3);
    assert.equal(bursts, 1, 'one onBurst per readiness event');
    assert.equal(tun.rxQueue.length, 1, 'the last answer is left for the next poll event');
  });

  it('does not re-read after a pass that wrote nothing, nor after an empty re-read', () => {
    const tun = new FakeTun();
    const drv = driver(tun, 4);
    const quiet = answeringSink(() => drv);
    quiet.rxCommit = () => { /* takes the frame, answers nothing */ };
    drv.attach(quiet);
    tun.rxQueue.push(ACK);
    (tun.readable as () => void)();
    assert.deepEqual(tun.log, ['read', 'read EAGAIN']);
    assert.equal(drv.stats.rxRepolls, 0);
    tun.log.length = 0;
    const sink = answeringSink(() => drv);
    drv.attach(sink);
    tun.rxQueue.push(ACK);
    (tun.readable as () => void)();
    assert.deepEqual(tun.log, ['read', 'read EAGAIN', 'write', 'read EAGAIN']);
    assert.equal(drv.stats.rxRepolls, 1);
    assert.equal(drv.stats.rxRepollHits, 0);
  });

  it('TCP segmentation offload: a chain over the MTU is written as one GSO frame of its first payload\'s size; a chain of another shape is a counted error', () => {
    const tun = new FakeTun();
    const drv = driver(tun, 0);
    assert.equal(drv.txTcpSegmentation, true);
    const first = tcpFrame(1, pattern(MSS, 1), 0x18);
    const mid = pattern(MSS, 2);
    const last = pattern(300, 3);
    const total = first.length + MSS + 300;
    const chain = { buf: first, off: 0, len: first.length, next: { buf: mid, off: 0, len: MSS, next: { buf: last, off: 0, len: 300, next: null } } };
    assert.ok(drv.transmit(chain, total));
    assert.deepEqual(tun.written, [{ gso: VIRTIO_NET_HDR_GSO_TCPV4, len: total, size: MSS, hlen: 54 }]);
    assert.equal(drv.stats.txTsoFrames, 1);
    assert.equal(drv.stats.txGsoSegs, 3);
    // a middle piece shorter than the first: not what NetDriver.txTcpSegmentation promises
    const bad = { buf: first, off: 0, len: first.length, next: { buf: last, off: 0, len: 300, next: { buf: mid, off: 0, len: MSS, next: null } } };
    assert.equal(drv.transmit(bad, total), false);
    assert.equal(drv.stats.txErrors, 1);
    assert.equal(tun.written.length, 1, 'nothing written');
  });
});
