/**
 * The in-engine half of test/core-copy.test.ts: the ByteCopier checks (test/helpers/copycheck.ts)
 * and a few metered copies, bundled into one script (globalThis.XsTcpCopy) and run inside XS.
 */
import { PbufPool, copyBytes } from '../../src/core/pbuf.js';
import { copyChecks } from '../helpers/copycheck.js';

/** The checks, as JSON (a sample of alignments and lengths: XS interprets, so the full set is slow). */
export function checks(): string {
  return JSON.stringify(copyChecks(false));
}

let pool: PbufPool | null = null;
let ring: Uint8Array | null = null;

/** A pool and a driver-like buffer; both seen twice so that the copier has made its views. */
export function setup(): string {
  pool = new PbufPool(4, 1600, 1, 0);
  ring = new Uint8Array(4096);
  for (let i = 0; i < ring.length; i++) ring[i] = (i * 7 + 1) & 0xff;
  for (let i = 0; i < 2; i++) {
    pool.copier.copy(pool.mem, 0, ring, 8, 1460);
    pool.copier.copy(ring, 8, pool.mem, 0, 1460);
  }
  return 'ok';
}

/** 1460 bytes driver buffer → pool, same alignment mod 8 (8-byte words). */
export function alignedRun(n: number): number {
  const p = pool as PbufPool; const r = ring as Uint8Array;
  for (let i = 0; i < n; i++) p.copier.copy(p.mem, 0, r, 8, 1460);
  return n;
}
/** 1460 bytes into the pool at a different alignment (staged through the scratch area). */
export function stagedRun(n: number): number {
  const p = pool as PbufPool; const r = ring as Uint8Array;
  for (let i = 0; i < n; i++) p.copier.copy(p.mem, 94, r, 8, 1460);
  return n;
}
/** 1460 bytes pool → an application array (pbuf_copy_partial's direction), same alignment. */
export function outRun(n: number): number {
  const p = pool as PbufPool; const r = ring as Uint8Array;
  for (let i = 0; i < n; i++) p.copier.copy(r, 8, p.mem, 0, 1460);
  return n;
}
/** The byte loop (copyBytes without a copier), for comparison. */
export function loopRun(n: number): number {
  const p = pool as PbufPool; const r = ring as Uint8Array;
  for (let i = 0; i < n; i++) copyBytes(p.mem, 0, r, 8, 1460);
  return n;
}
/** The loop around the copies alone. */
export function emptyRun(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s = (s + i) | 0;
  return s & 0;
}
