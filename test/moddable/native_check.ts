/**
 * The native helpers of the Moddable HALs checked inside XS 17.7 (the lin build), and the heap
 * figures of one stack there. Bundled by test/moddable/run.sh into build/xs-tcp-native-check.js and
 * run by the app test/moddable/native-lin; every result is one trace line starting "native-check:".
 *
 * 1. checksum (hal/xs/modXstcpNative.c) against the stack's JavaScript sum on seeded random buffers:
 *    odd and even offsets and view offsets, lengths 0, 1, 2, 3 and up to 1,600, partial sums up to
 *    2^31 - 1, over ArrayBuffers and over native pool memory; bad arguments answer -1, never a throw.
 * 2. PoolMemory: its byteLength, typed arrays of every width over it, refusal of absurd sizes.
 * 3. Two stacks over the mock wire, one with the pool in native memory, the native checksum and
 *    one-copy receive: 256 KiB echoed intact, pools full afterwards.
 * 4. Heap: slots and chunk bytes of one stack with default pools and 4 open connections (bench's
 *    xs.heapSlots method: gc, count, build, gc, count), with the JavaScript or native checksum and the
 *    pool in the XS heap or native memory.
 */
import { checksum, PoolMemory } from 'xstcp-native';
import { collect, heapSlots, heapChunks } from 'heapcount';
import { chksumAdd, chksumFold, poolChecksum } from '../../src/core/checksum.js';
import { MockNet } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import type { TcpPcb } from '../../src/index.js';
import {
  ERR_OK, pbuf_free, tcp_accept, tcp_bind, tcp_connect, tcp_listen_with_backlog, tcp_new, tcp_output,
  tcp_recv, tcp_recved, tcp_state_name, tcp_write, TCP_WRITE_FLAG_COPY, startEcho,
} from '../../src/index.js';

declare function trace(s: string): void;

let seed = 0x2545f491;
function rand(n: number): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return Math.floor((seed / 4294967296) * n);
}

function say(s: string): void { trace('native-check: ' + s + '\n'); }

/** The reference: the stack's byte-at-a-time JavaScript sum, folded. */
function reference(buf: Uint8Array, off: number, len: number, initial: number): number {
  return chksumFold(chksumAdd(buf, null, off, len, initial));
}

function checksums(): number {
  let bad = 0;
  let cases = 0;
  const pool = new PoolMemory(4096) as unknown as ArrayBuffer;
  const poolBytes = new Uint8Array(pool);
  const poolSum = poolChecksum(poolBytes);
  for (let i = 0; i < poolBytes.length; i++) poolBytes[i] = rand(256);
  for (let i = 0; i < 3000; i++) {
    const size = 1 + rand(1600);
    const ab = new ArrayBuffer(size + 3);
    const view = rand(4);
    const buf = new Uint8Array(ab, view, size);
    for (let j = 0; j < size; j++) buf[j] = (i & 7) === 0 ? 0xff : rand(256);
    const pick = rand(8);
    const off = rand(size + 1);
    const room = size - off;
    const len = pick < 4 ? Math.min(pick, room) : rand(room + 1);
    const initial = [0, 0xffff, 0x7fffffff, rand(0x7fffffff)][rand(4)];
    const want = reference(buf, off, len, initial);
    const got = checksum(buf, off, len, initial);
    cases++;
    if (got !== want) { bad++; if (bad < 5) say(`checksum MISMATCH size ${size} view ${view} off ${off} len ${len} initial ${initial}: native ${got}, JS ${want}`); }
    // the same range in native pool memory, also through the JavaScript sum over that pool
    if (off + len <= poolBytes.length) {
      const pw = reference(poolBytes, off, len, initial);
      const pn = checksum(poolBytes, off, len, initial);
      const pj = poolSum(poolBytes, off, len, initial);
      cases++;
      if (pn !== pw || pj !== pw) { bad++; if (bad < 5) say(`pool checksum MISMATCH off ${off} len ${len}: native ${pn}, JS words ${pj}, JS bytes ${pw}`); }
    }
  }
  const b = new Uint8Array(8);
  const wrong: [string, number][] = [
    ['negative offset', checksum(b, -1, 2, 0)],
    ['range past the end', checksum(b, 4, 5, 0)],
    ['negative length', checksum(b, 0, -2, 0)],
    ['negative initial', checksum(b, 0, 2, -5)],
    ['a plain object', checksum({} as unknown as Uint8Array, 0, 0, 0)],
    ['a Uint16Array', checksum(new Uint16Array(4) as unknown as Uint8Array, 0, 2, 0)],
    ['a number', checksum(7 as unknown as Uint8Array, 0, 0, 0)],
  ];
  for (const [what, r] of wrong) {
    cases++;
    if (r !== -1) { bad++; say(`checksum of ${what} answered ${r}, not -1`); }
  }
  say(`checksum: ${cases} cases, ${bad} mismatches`);
  return bad;
}

function poolMemory(): number {
  let bad = 0;
  const m = new PoolMemory(1000);
  const ab = m as unknown as ArrayBuffer;
  const u8 = new Uint8Array(ab);
  const u32 = new Uint32Array(ab, 0, 250);
  const f64 = new Float64Array(ab, 0, 125);
  u32[1] = 0x04030201;
  const checks: [string, boolean][] = [
    ['byteLength', m.byteLength === 1000],
    ['Uint8Array length', u8.length === 1000 && u8.buffer === ab],
    ['zeroed', u8[999] === 0 && f64[124] === 0],
    ['views share the bytes', u8[4] === 1 && u8[7] === 4],
    ['0 bytes refused', new PoolMemory(0).byteLength === 0],
    ['negative refused', new PoolMemory(-5).byteLength === 0],
    ['1 GiB refused', new PoolMemory(1 << 30).byteLength === 0],
  ];
  for (const [what, ok] of checks) if (!ok) { bad++; say('PoolMemory: ' + what + ' FAILED'); }
  say(`PoolMemory: ${checks.length} checks, ${bad} failed`);
  return bad;
}

function echoOverNativePool(): number {
  const net = new MockNet({ seed: 7, oneCopy: true });
  const a = net.addStack({ ip: '10.8.0.1/24', name: 'A' });
  const b = net.addStack({ ip: '10.8.0.2/24', name: 'B', checksum, poolMemory: (n) => new PoolMemory(n) as unknown as ArrayBuffer });
  startEcho(b);
  const total = 262144;
  const msg = new Uint8Array(total);
  for (let i = 0; i < total; i++) msg[i] = (i * 7 + (i >> 9)) & 255;
  const c = tcp_new(a)!;
  let got = 0;
  let same = true;
  tcp_recv(c, (_x, pcb, p) => {
    if (p === null) return ERR_OK;
    for (let q: typeof p | null = p; q !== null; q = q.next) {
      for (let i = 0; i < q.len; i++) if (q.buf[q.off + i] !== msg[got + i]) same = false;
      got += q.len;
    }
    tcp_recved(pcb, p.totLen);
    pbuf_free(p);
    return ERR_OK;
  });
  let sent = 0;
  const push = (): void => {
    while (sent < total) {
      const n = Math.min(1460, total - sent);
      if (tcp_write(c, msg.subarray(sent, sent + n), n, TCP_WRITE_FLAG_COPY) !== ERR_OK) break;
      sent += n;
    }
    tcp_output(c);
  };
  tcp_connect(c, '10.8.0.2', 7, () => { push(); return ERR_OK; });
  for (let t = 0; t < 600 && got < total; t++) { net.run(50); push(); }
  net.run(2000); // the last ACKs and window updates
  const inPool = (b as Stack).netif.rxMemory.buffer instanceof PoolMemory;
  // the connection stays open: its pcbs are in use, but no pbuf may be (everything was acknowledged)
  const held = [a, b].flatMap((s) => s.pools().filter((p) => p.stats.used !== 0 && p.name.startsWith('pbuf')).map((p) => s.name + ' ' + p.name + ' ' + p.stats.used));
  const full = held.length === 0;
  const ok = got === total && same && inPool && full;
  say(`one-copy echo over native pool memory: ${got} of ${total} bytes back, ${same ? 'identical' : 'DIFFERENT'}, pool ${inPool ? 'in native memory' : 'NOT native'}, pbufs ${full ? 'all free' : 'in use: ' + held.join(', ')}: ${ok ? 'ok' : 'FAILED'}`);
  return ok ? 0 : 1;
}

const keep: unknown[] = [];

function heap(label: string, opts: { checksum?: typeof checksum; pool?: boolean }): void {
  const net = new MockNet({ seed: 4 });
  const peer = net.addStack({ ip: '10.6.0.2/24', name: 'peer' });
  const accepted: TcpPcb[] = [];
  const l0 = tcp_new(peer)!;
  tcp_bind(l0, 0, 5001);
  const l = tcp_listen_with_backlog(l0, 8)!;
  tcp_accept(l, (_a, pcb) => { if (pcb !== null) accepted.push(pcb); return ERR_OK; });
  accepted.length = 8; accepted.length = 0;
  const clients: TcpPcb[] = [];
  clients.length = 4; clients.length = 0;
  collect();
  const s0 = heapSlots();
  const c0 = heapChunks();
  const st = net.addStack({
    ip: '10.6.0.1/24', name: 'measured', checksum: opts.checksum,
    poolMemory: opts.pool ? (n) => new PoolMemory(n) as unknown as ArrayBuffer : undefined,
  });
  for (let i = 0; i < 4; i++) {
    const c = tcp_new(st)!;
    tcp_connect(c, '10.6.0.2', 5001, null);
    clients.push(c);
  }
  net.run(3000);
  collect();
  const s1 = heapSlots();
  const c1 = heapChunks();
  let open = 0;
  for (const c of clients) if (tcp_state_name(c) === 'ESTABLISHED') open++;
  keep.push(net, st, clients, accepted);
  say(`heap ${label}: ${s1 - s0} slots, ${c1 - c0} chunk bytes, ${open} connections open`);
}

export default function main(): void {
  let bad = checksums();
  bad += poolMemory();
  bad += echoOverNativePool();
  heap('default pools, JS checksum, pool in the XS heap (bench xs.heapSlots)', {});
  heap('default pools, native checksum, pool in the XS heap', { checksum });
  heap('default pools, native checksum, pool in native memory', { checksum, pool: true });
  heap('default pools, JS checksum, pool in native memory', { pool: true });
  say(bad === 0 ? 'done, all passed' : `done, ${bad} FAILED`);
}
