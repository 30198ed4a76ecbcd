/**
 * Pool allocation speed: pbuf_alloc + pbuf_free per second for a single pbuf, a 3-pbuf chain, a
 * received frame (allocRx), a by-reference header, and a memp object.
 */
import { PbufPool, PBUF_TRANSPORT, PBUF_RAW, pbuf_free } from '../src/core/pbuf.js';
import { Memp } from '../src/core/memp.js';
import { fmtInt, opsPerSec, type BenchResult } from './util.js';

export async function run(): Promise<BenchResult> {
  const pool = new PbufPool(48, 1600, 16, 4);
  const data = new Uint8Array(1460);

  const single = opsPerSec((n) => {
    for (let i = 0; i < n; i++) pbuf_free(pool.alloc(PBUF_TRANSPORT, 1460));
  });
  const chained = opsPerSec((n) => {
    for (let i = 0; i < n; i++) pbuf_free(pool.alloc(PBUF_RAW, 4000)); // 3 pbufs of 1600
  });
  const rx = opsPerSec((n) => {
    for (let i = 0; i < n; i++) pbuf_free(pool.allocRx(1514));
  });
  const ref = opsPerSec((n) => {
    for (let i = 0; i < n; i++) pbuf_free(pool.allocRef(data, 0, 1460));
  });
  const memp = new Memp('bench', 32, () => ({ mempIndex: 0 }));
  const mempOps = opsPerSec((n) => {
    for (let i = 0; i < n; i++) memp.release(memp.alloc()!);
  });
  if (pool.pool.used !== 0 || pool.refPool.used !== 0 || memp.stats.used !== 0) throw new Error('bench leaked pool objects');

  return {
    rows: [
      ['alloc+free, 1 pbuf (1460 B transport)', fmtInt(single) + ' /s'],
      ['alloc+free, chain of 3 (4000 B)', fmtInt(chained) + ' /s'],
      ['allocRx+free, 1514 B frame', fmtInt(rx) + ' /s'],
      ['allocRef+free (REF header)', fmtInt(ref) + ' /s'],
      ['memp alloc+release', fmtInt(mempOps) + ' /s'],
    ],
    json: {
      allocFreeSinglePerSec: single,
      allocFreeChain3PerSec: chained,
      allocRxFreePerSec: rx,
      allocRefFreePerSec: ref,
      mempAllocReleasePerSec: mempOps,
    },
  };
}
