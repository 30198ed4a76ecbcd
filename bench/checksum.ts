/**
 * Internet checksum throughput over 1460-byte payloads (a full-size TCP segment's data), on the two
 * paths of src/core/checksum.ts: the byte loop and the 16-bit view over pool memory; plus a payload
 * split over two pbufs at an odd boundary (the chain path) and an odd start offset (byte fallback).
 */
import { chksumAdd, chksumChain, chksumFold } from '../src/core/checksum.js';
import { PbufPool, PBUF_TRANSPORT, PBUF_RAW, pbuf_free, pbuf_cat } from '../src/core/pbuf.js';
import { SeededRandom } from '../src/core/random.js';
import { consume, fmt, opsPerSec, type BenchResult } from './util.js';

const LEN = 1460;

export async function run(): Promise<BenchResult> {
  const pool = new PbufPool(8, 1600, 4, 0);
  const p = pool.alloc(PBUF_TRANSPORT, LEN)!;
  const rnd = new SeededRandom(1);
  for (let i = 0; i < LEN; i++) p.buf[p.off + i] = rnd.nextU32() & 255;
  const buf = p.buf;
  // a 16-bit view over the pool's memory, for chksumAdd's word loop (pbufs carry none)
  const buf16 = new Uint16Array(buf.buffer, buf.byteOffset, buf.byteLength >> 1);
  const off = p.off;

  const mbps = (ops: number) => (ops * LEN) / 1e6;
  const bytePath = mbps(opsPerSec((n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += chksumFold(chksumAdd(buf, null, off, LEN, 0));
    consume(s);
  }));
  const fastPath = mbps(opsPerSec((n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += chksumFold(chksumAdd(buf, buf16, off, LEN, 0));
    consume(s);
  }));
  const oddOffset = mbps(opsPerSec((n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += chksumFold(chksumAdd(buf, buf16, off + 1, LEN - 1, 0));
    consume(s);
  }));
  // the same 1460 bytes as 731 + 729 in two pool pbufs
  const a = pool.alloc(PBUF_TRANSPORT, 731)!;
  const b = pool.alloc(PBUF_RAW, 729)!;
  pbuf_cat(a, b);
  const chain = mbps(opsPerSec((n) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += chksumFold(chksumChain(a, 0, LEN, 0));
    consume(s);
  }));
  pbuf_free(a);
  pbuf_free(p);

  return {
    rows: [
      ['byte path, 1460 B', fmt(bytePath) + ' MB/s'],
      ['16-bit fast path, 1460 B', fmt(fastPath) + ' MB/s'],
      ['fast path speed-up', fmt(fastPath / bytePath, 2) + 'x'],
      ['odd offset (byte fallback), 1459 B', fmt(oddOffset) + ' MB/s'],
      ['chain 731 + 729 (odd split)', fmt(chain) + ' MB/s'],
    ],
    json: {
      bytePathMBps: bytePath,
      fastPathMBps: fastPath,
      oddOffsetMBps: oddOffset,
      chainOddSplitMBps: chain,
    },
  };
}
