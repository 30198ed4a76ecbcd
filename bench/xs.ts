/**
 * The XS meter benchmark (`npm run bench`, section "xs"): the stack inside the real XS engine
 * (xsnap-worker), measured with XS's own deterministic meter rather than a clock.
 *
 *   rxComputronsPerSegment  one stack receiving 1460-byte segments through the one-copy path: the
 *                           bench's driver writes each frame into the pool pbuf Netif.rxReserve
 *                           gives with one native `set` of 8-byte words through Float64Array views
 *                           (the C drivers' memcpy; DriverFrame in xs_entry.ts) and calls rxCommit;
 *                           then input, checksum, TCP, the recv callback, pbuf_free, tcp_recved, and
 *                           its share of ACKs
 *   rxStackComputronsPerSegment  rxComputronsPerSegment minus rxDriverCopyComputrons: the stack's own
 *                           JS work per received segment when the driver's copy is C (the ESP32 and
 *                           lin drivers' memcpy into the pool), which XS does not meter as JS
 *   rxComputronsNoChecksum  the same with the checksum taken out (a HAL checksum stub that answers
 *                           without summing): the JS work a native checksum (Hal.checksum) leaves
 *   rxCopyComputronsPerSegment  the same segments through Netif.receiveFrame from a driver's ring
 *                           buffer (the stack copies each frame into a pool pbuf)
 *   rxDriverCopyComputrons  the bench driver's copy per frame alone (one native `set` of 190 8-byte
 *                           words), included in rxComputronsPerSegment and rxComputronsNoChecksum:
 *                           XS meters a typed-array copy per element (~2 computrons each, so 8-byte
 *                           words cost an eighth of bytes), a C driver's memcpy is not JS work at all
 *   txComputronsPerSegment  one stack sending 1460-byte segments (tcp_write with COPY from the
 *                           tcp_sent callback, tcp_output, checksum, the driver hand-off, and its
 *                           share of processing the peer's ACKs: one per two segments)
 *   pairComputronsPerSegment  two stacks over the mock wire, A → B, everything included
 *   slotsPerSegment         heap slots allocated per segment in that two-stack transfer (goal 0);
 *   io419ComputronsPerSegment / io419SlotsPerSegment  the same transfer through the ECMA-419
 *                           classes (src/io): TCP.write from onWritable, TCP.read(buffer) from
 *                           onReadable, callbacks via the deferred queue
 *                           rxSlotsPerSegment / txSlotsPerSegment for the single-stack runs
 *   heapBytes               one stack with default pools and 4 open connections: slots x 16 bytes
 *                           (an ESP32's slot size) + chunk bytes (buffers, array tables, strings)
 *   checksumComputrons      the stack's JS checksum (StackCore.chksum) over 1460 bytes of pool memory
 *
 * Method: every figure is the difference between two runs of the same script with n1 and n2 units
 * of work, after a warm-up and gc(), so that compiling the script and the call itself cancel out.
 * Heap slots come from the meter's currentHeapCount after each run; XS collects only when its heap is
 * exhausted (256 K slots initially in xsnap), which these short runs never reach — a drop in the count
 * would show a collection happened, and is reported.
 */
import { fileURLToPath } from 'node:url';
import { bundleIife } from '../test/xs/bundle.js';
import { XsnapWorker, type XsResult } from '../test/xs/xsnap.js';
import type { BenchResult } from './util.js';
import { fmtInt, fmt } from './util.js';

const MSS = 1460;
const PAIR_N1 = 400;
const PAIR_N2 = 1200;
/** Bytes of one XS slot on a 32-bit microcontroller (the ESP32); the host's 64-bit slots are 32. */
const SLOT_BYTES_ESP32 = 16;

interface Diff { compute: number; slots: number; units: number; out1: number; out2: number; gcSeen: boolean }

async function diffRun(w: XsnapWorker, fn: string, n1: number, n2: number): Promise<Diff> {
  const width = String(n2).length;
  const arg = (n: number) => String(n).padStart(width, '0').replace(/^0+(?=\d)/, (z) => ' '.repeat(z.length));
  const base = await w.evaluate('gc();');
  const r1: XsResult = await w.call('XsTcpBench.' + fn + '(' + arg(n1) + ')');
  const r2: XsResult = await w.call('XsTcpBench.' + fn + '(' + arg(n2) + ')');
  const d1 = r1.meter.currentHeapCount - base.meter.currentHeapCount;
  const d2 = r2.meter.currentHeapCount - r1.meter.currentHeapCount;
  return {
    compute: r2.meter.compute - r1.meter.compute,
    slots: d2 - d1,
    units: n2 - n1,
    out1: Number(r1.text),
    out2: Number(r2.text),
    gcSeen: d1 < 0 || d2 < 0,
  };
}

export interface XsFigures {
  rxComputronsPerSegment: number;
  rxStackComputronsPerSegment: number;
  rxComputronsNoChecksum: number;
  rxCopyComputronsPerSegment: number;
  rxDriverCopyComputrons: number;
  txComputronsPerSegment: number;
  rxWholeArrayComputronsPerSegment: number;
  txNoCopyComputronsPerSegment: number;
  rxWholeArraySlotsPerSegment: number;
  txNoCopySlotsPerSegment: number;
  pairComputronsPerSegment: number;
  slotsPerSegment: number;
  io419ComputronsPerSegment: number;
  io419SlotsPerSegment: number;
  rxSlotsPerSegment: number;
  txSlotsPerSegment: number;
  heapBytes: number;
  heapSlots: number;
  heapChunkBytes: number;
  checksumComputrons: number;
  gcDuringRuns: number;
  /** The method's control: slots counted per `{ i }` object literal allocated (should be > 0). */
  controlSlotsPerObject: number;
  /** The esp32 example's load: one stack configured as manifests/esp32/main.js does (32 pool
   *  pbufs), echo/discard/daytime/chargen, 4 open connections. */
  appHeapSlots: number;
  appHeapChunkBytes: number;
  appHeapBytes: number;
  /** XS stack slots the deepest path measured needs (a segment to the echo service, whose recv
   *  callback writes and outputs, down to the driver). */
  stackSlotsEcho: number;
}

/** Slots and chunk bytes of one new stack with 4 open connections (and the services, if asked). */
async function heapOf(w: XsnapWorker, services: boolean, notes: string[]): Promise<{ slots: number; chunkBytes: number }> {
  await w.call('XsTcpBench.heapSetup()');
  const h0 = await w.evaluate('gc();');
  const built = await w.call('XsTcpBench.heapBuild(' + services + ') + (gc(), "")');
  // both counts are taken at the end of the same 'gc();' script: only the new stack differs
  const h1 = await w.evaluate('gc();');
  if (built.text !== '4') notes.push('heap: ' + built.text + ' of 4 connections open');
  const chunks = JSON.parse((await w.call('XsTcpBench.heapChunks(' + SLOT_BYTES_ESP32 + ')')).text) as {
    bufferBytes: number; arrayBytes: number; stringBytes: number; objects: number;
  };
  return { slots: h1.meter.currentHeapCount - h0.meter.currentHeapCount, chunkBytes: chunks.bufferBytes + chunks.arrayBytes + chunks.stringBytes };
}

/**
 * Heap cost of the LAN services (DHCP client + DNS resolver + mDNS responder) on XS: slots and
 * chunk bytes of a stack with 4 connections, before and after starting them (same method as heapOf).
 */
export async function measureLanHeap(): Promise<{ slots: number; chunkBytes: number; bytes: number; renewSlots: number; renewComputrons: number; renewGc: boolean }> {
  const entry = fileURLToPath(new URL('./xs_entry.js', import.meta.url));
  const code = await bundleIife(entry, 'XsTcpBench');
  const w = XsnapWorker.start('xs-tcp-bench-lan');
  try {
    await w.evaluate(code);
    const notes: string[] = [];
    const before = await heapOf(w, false, notes);
    void before;
    const h0 = await w.evaluate('gc();');
    const c0 = JSON.parse((await w.call('XsTcpBench.heapChunks(' + SLOT_BYTES_ESP32 + ')')).text) as Record<string, number>;
    const started = await w.call('XsTcpBench.lanStart() + (gc(), "")');
    const h1 = await w.evaluate('gc();');
    const c1 = JSON.parse((await w.call('XsTcpBench.heapChunks(' + SLOT_BYTES_ESP32 + ')')).text) as Record<string, number>;
    if (started.text !== '0,0') throw new Error('LAN services did not start: ' + started.text);
    const chunk = (c: Record<string, number>) => c.bufferBytes + c.arrayBytes + c.stringBytes;
    const slots = h1.meter.currentHeapCount - h0.meter.currentHeapCount;
    const chunkBytes = chunk(c1) - chunk(c0);
    // the DHCP steady path: renewals (REQUEST out, ACK in) allocate nothing
    const st = await w.call('XsTcpBench.renewSetup()');
    if (st.text !== 'BOUND') throw new Error('renewal bench: client ' + st.text);
    await w.call('XsTcpBench.renewRun(3)');
    const d = await diffRun(w, 'renewRun', 10, 30);
    if (d.out2 - d.out1 !== 30) throw new Error('renewal bench: ' + (d.out2 - d.out1) + ' of 30 renewals');
    return { slots, chunkBytes, bytes: slots * SLOT_BYTES_ESP32 + chunkBytes, renewSlots: d.slots / d.units, renewComputrons: Math.round(d.compute / d.units), renewGc: d.gcSeen };
  } finally {
    await w.close();
  }
}

/** Deepest recursion that completes, one fresh worker per probe (xsnap exits on stack overflow). */
async function maxDepth(code: string, kind: string, hi: number): Promise<number> {
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    const w = XsnapWorker.start('xs-tcp-stack-probe');
    let ok = false;
    try {
      await w.evaluate(code);
      ok = (await w.call('XsTcpBench.stackProbe(' + JSON.stringify(kind) + ', ' + mid + ')')).text === 'ok';
    } catch {
      ok = false;
    } finally {
      await w.close();
    }
    if (ok) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/** XS stack slots the echo path (segment in → recv callback → tcp_write → output → driver) needs. */
export async function measureStackSlots(): Promise<{ frameSlots: number; echoSlots: number; f0: number; f10: number; fEcho: number }> {
  const code = await bundleIife(fileURLToPath(new URL('./xs_entry.js', import.meta.url)), 'XsTcpBench');
  const f0 = await maxDepth(code, '0', 4096);
  const f10 = await maxDepth(code, '10', f0);
  const fEcho = await maxDepth(code, 'echo', f0);
  const frameSlots = (10 * f10) / (f0 - f10);
  return { frameSlots: round2(frameSlots), echoSlots: Math.round((f0 - fEcho) * frameSlots), f0, f10, fEcho };
}

/**
 * The allocation check alone (test/xs.test.ts): heap slots per segment for rx, tx and the two-stack
 * transfer, and the control (slots per object literal, to show the method sees allocation).
 */
export async function measureHotPathSlots(): Promise<{ rx: number; rxCopy: number; rxNoChecksum: number; tx: number; pair: number; io419: number; control: number; gc: boolean }> {
  const code = await bundleIife(fileURLToPath(new URL('./xs_entry.js', import.meta.url)), 'XsTcpBench');
  const w = XsnapWorker.start('xs-tcp-slots');
  try {
    await w.evaluate(code);
    await w.call('XsTcpBench.setup(500)'); // 50 warm-up + 100 + 300 units
    await w.evaluate('XsTcpBench.rxRun(50); XsTcpBench.rxCopyRun(50); XsTcpBench.rxNoChecksumRun(50); XsTcpBench.txRun(50);'
      + ' XsTcpBench.pairRun(200); XsTcpBench.io419Run(200);');
    const rx = await diffRun(w, 'rxRun', 100, 300);
    const rxCopy = await diffRun(w, 'rxCopyRun', 100, 300);
    const rxNoCk = await diffRun(w, 'rxNoChecksumRun', 100, 300);
    const tx = await diffRun(w, 'txRun', 100, 300);
    const pair = await diffRun(w, 'pairRun', 200, 600);
    const io = await diffRun(w, 'io419Run', 200, 600);
    const control = await diffRun(w, 'controlRun', 100, 300);
    const pairSegs = pair.units * ((pair.out2 - pair.out1) / 600 / MSS);
    const ioSegs = io.units * ((io.out2 - io.out1) / 600 / MSS);
    return {
      rx: rx.slots / rx.units,
      rxCopy: rxCopy.slots / rxCopy.units,
      rxNoChecksum: rxNoCk.slots / rxNoCk.units,
      tx: tx.slots / (2 * tx.units),
      pair: pair.slots / pairSegs,
      io419: io.slots / ioSegs,
      control: control.slots / control.units,
      gc: [rx, rxCopy, rxNoCk, tx, pair, io, control].some((d) => d.gcSeen),
    };
  } finally {
    await w.close();
  }
}

/** Runs the measurements in a fresh XS machine. */
export async function measureXs(): Promise<{ figures: XsFigures; status: Record<string, unknown>; notes: string[] }> {
  const entry = fileURLToPath(new URL('./xs_entry.js', import.meta.url));
  const code = await bundleIife(entry, 'XsTcpBench');
  const w = XsnapWorker.start('xs-tcp-bench');
  const notes: string[] = [];
  try {
    await w.evaluate(code);
    const WARM = 100;
    const N1 = 200;
    const N2 = 600;
    await w.call('XsTcpBench.setup(' + (WARM + N1 + N2) + ')');
    // warm-up: every code path taken once (XS has no JIT, but first calls create property caches)
    await w.evaluate('XsTcpBench.rxRun(' + WARM + '); XsTcpBench.rxCopyRun(' + WARM + '); XsTcpBench.rxNoChecksumRun(' + WARM
      + '); XsTcpBench.txRun(' + WARM + '); XsTcpBench.rxWholeRun(' + WARM
      + '); XsTcpBench.txRefRun(' + WARM + '); XsTcpBench.pairRun(300); XsTcpBench.io419Run(300); XsTcpBench.checksumRun(10);');

    const rx = await diffRun(w, 'rxRun', N1, N2);
    const rxCopy = await diffRun(w, 'rxCopyRun', N1, N2);
    const rxNoCk = await diffRun(w, 'rxNoChecksumRun', N1, N2);
    const drvCopy = await diffRun(w, 'driverCopyRun', N1, N2);
    const tx = await diffRun(w, 'txRun', N1, N2);
    const rxWhole = await diffRun(w, 'rxWholeRun', N1, N2);
    const txRef = await diffRun(w, 'txRefRun', N1, N2);
    const pair = await diffRun(w, 'pairRun', PAIR_N1, PAIR_N2);
    const io = await diffRun(w, 'io419Run', PAIR_N1, PAIR_N2);
    const ck = await diffRun(w, 'checksumRun', 1000, 3000);
    const ckEmpty = await diffRun(w, 'checksumEmpty', 1000, 3000);
    const control = await diffRun(w, 'controlRun', 1000, 3000);
    const status = JSON.parse((await w.call('XsTcpBench.status()')).text) as Record<string, unknown>;

    // The return values are running totals: out2 - out1 is what the second run (n2 units) did.
    // rx: a unit is one injected data segment; the total counts bytes received
    const rxSegsPerUnit = (rx.out2 - rx.out1) / N2 / MSS;
    if (rxSegsPerUnit !== 1) notes.push('rx: ' + rxSegsPerUnit + ' segments delivered per segment injected');
    const rxSegs = rx.units * rxSegsPerUnit;
    for (const [d, name] of [[rxCopy, 'rx copy'], [rxNoCk, 'rx without checksum']] as [Diff, string][]) {
      if (d.out2 - d.out1 !== N2 * MSS) notes.push(name + ': ' + (d.out2 - d.out1) / N2 / MSS + ' segments delivered per segment injected');
    }
    // tx: a unit is one injected ACK (for two segments); the total counts frames sent
    const txSegsPerUnit = (tx.out2 - tx.out1) / N2;
    if (txSegsPerUnit !== 2) notes.push('tx: ' + txSegsPerUnit + ' frames per ACK (expected 2)');
    const txSegs = tx.units * txSegsPerUnit;
    const txRefSegs = txRef.units * ((txRef.out2 - txRef.out1) / N2);
    const rxWholeSegs = rxWhole.units * ((rxWhole.out2 - rxWhole.out1) / N2 / MSS);
    // pair: a unit is 1 ms of virtual time; the total counts bytes B received
    const pairSegs = pair.units * ((pair.out2 - pair.out1) / PAIR_N2 / MSS);
    const ioSegs = io.units * ((io.out2 - io.out1) / PAIR_N2 / MSS);

    // heap: one stack + 4 connections; then the esp32 example's load (plus the four services)
    const heap = await heapOf(w, false, notes);
    const appHeap = await heapOf(w, true, notes);
    const heapSlots = heap.slots;
    const heapChunkBytes = heap.chunkBytes;
    const stackProbe = await measureStackSlots();

    const gcDuringRuns = [rx, rxCopy, rxNoCk, tx, rxWhole, txRef, pair, io, ck].filter((d) => d.gcSeen).length;
    if (gcDuringRuns) notes.push('a garbage collection happened during ' + gcDuringRuns + ' run(s): slot figures are not exact');

    const figures: XsFigures = {
      rxComputronsPerSegment: Math.round(rx.compute / rxSegs),
      rxStackComputronsPerSegment: Math.round(rx.compute / rxSegs) - Math.round(drvCopy.compute / drvCopy.units),
      rxComputronsNoChecksum: Math.round(rxNoCk.compute / rxSegs),
      rxCopyComputronsPerSegment: Math.round(rxCopy.compute / rxSegs),
      rxDriverCopyComputrons: Math.round(drvCopy.compute / drvCopy.units),
      txComputronsPerSegment: Math.round(tx.compute / txSegs),
      rxWholeArrayComputronsPerSegment: Math.round(rxWhole.compute / rxWholeSegs),
      txNoCopyComputronsPerSegment: Math.round(txRef.compute / txRefSegs),
      pairComputronsPerSegment: Math.round(pair.compute / pairSegs),
      slotsPerSegment: round2(pair.slots / pairSegs),
      io419ComputronsPerSegment: Math.round(io.compute / ioSegs),
      io419SlotsPerSegment: round2(io.slots / ioSegs),
      rxSlotsPerSegment: round2(rx.slots / rxSegs),
      txSlotsPerSegment: round2(tx.slots / txSegs),
      rxWholeArraySlotsPerSegment: round2(rxWhole.slots / rxWholeSegs),
      txNoCopySlotsPerSegment: round2(txRef.slots / txRefSegs),
      heapBytes: heapSlots * SLOT_BYTES_ESP32 + heapChunkBytes,
      heapSlots,
      heapChunkBytes,
      checksumComputrons: Math.round((ck.compute - ckEmpty.compute) / ck.units),
      gcDuringRuns,
      controlSlotsPerObject: round2(control.slots / control.units),
      appHeapSlots: appHeap.slots,
      appHeapChunkBytes: appHeap.chunkBytes,
      appHeapBytes: appHeap.slots * SLOT_BYTES_ESP32 + appHeap.chunkBytes,
      stackSlotsEcho: stackProbe.echoSlots,
    };
    return { figures, status, notes };
  } finally {
    await w.close();
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export async function run(): Promise<BenchResult> {
  const { figures: f, notes } = await measureXs();
  const rows: [string, string][] = [
    ['rx computrons / 1460-byte segment (one copy: the driver writes into the pool)', fmtInt(f.rxComputronsPerSegment)],
    ['  rx minus the bench driver\'s native copy (the stack\'s JS when the driver is C)', fmtInt(f.rxStackComputronsPerSegment)],
    ['  rx without the checksum (the JS work a native Hal.checksum leaves)', fmtInt(f.rxComputronsNoChecksum)],
    ['  rx through receiveFrame from a driver ring (the stack copies)', fmtInt(f.rxCopyComputronsPerSegment)],
    ['  of rx: the bench driver\'s copy per frame, 8-byte words (C: not JS work)', fmtInt(f.rxDriverCopyComputrons)],
    ['tx computrons / 1460-byte segment', fmtInt(f.txComputronsPerSegment)],
    ['  rx, each frame a whole array of its own', fmtInt(f.rxWholeArrayComputronsPerSegment)],
    ['  tx, tcp_write without COPY (PBUF_REF)', fmtInt(f.txNoCopyComputronsPerSegment)],
    ['two stacks + mock wire, computrons / segment', fmtInt(f.pairComputronsPerSegment)],
    ['heap slots allocated / segment (goal 0)', fmt(f.slotsPerSegment, 2)],
    ['ECMA-419 TCP (write / read(buffer)), computrons / segment', fmtInt(f.io419ComputronsPerSegment)],
    ['  ECMA-419 heap slots / segment (goal 0)', fmt(f.io419SlotsPerSegment, 2)],
    ['  rx / tx / rx whole-array / tx no-copy', [f.rxSlotsPerSegment, f.txSlotsPerSegment, f.rxWholeArraySlotsPerSegment,
      f.txNoCopySlotsPerSegment].map((x) => fmt(x, 2)).join(' / ')],
    ['heap: 1 stack, default pools, 4 connections (bytes)', fmtInt(f.heapBytes)],
    ['  slots / chunk bytes', fmtInt(f.heapSlots) + ' / ' + fmtInt(f.heapChunkBytes)],
    ['esp32 example (32 pbufs, 4 services, 4 connections), bytes', fmtInt(f.appHeapBytes)],
    ['  slots / chunk bytes', fmtInt(f.appHeapSlots) + ' / ' + fmtInt(f.appHeapChunkBytes)],
    ['XS stack slots, segment to echo and back to the driver', fmtInt(f.stackSlotsEcho)],
    ['checksum over 1460 bytes (computrons)', fmtInt(f.checksumComputrons)],
    ['control: slots counted per object literal', fmt(f.controlSlotsPerObject, 2)],
  ];
  const lan = await measureLanHeap();
  rows.push(['DHCP + DNS + mDNS started on that stack, bytes', fmtInt(lan.bytes)]);
  rows.push(['  slots / chunk bytes', fmtInt(lan.slots) + ' / ' + fmtInt(lan.chunkBytes)]);
  rows.push(['DHCP renewal (60 s of ticks, REQUEST, ARP, ACK): slots / computrons', fmt(lan.renewSlots, 2) + ' / ' + fmtInt(lan.renewComputrons)]);
  for (const n of notes) rows.push(['note', n]);
  const json: Record<string, number> = { ...f, lanHeapSlots: lan.slots, lanHeapChunkBytes: lan.chunkBytes, lanHeapBytes: lan.bytes, dhcpRenewSlots: lan.renewSlots, dhcpRenewComputrons: lan.renewComputrons };
  return { rows, json };
}
