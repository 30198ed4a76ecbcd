/**
 * Structure-of-arrays layouts (the heap-slot budget on XS): the Arena that packs a layer's typed
 * arrays into one buffer, the IndexPool behind index-only pool entries, the ARP cache's per-entry
 * fields and MACs, the TCP segment pool's SegMeta, and the reassembly datagrams' fields. For each:
 * fields round-trip per entry, entries do not alias each other, and nothing runs past its bounds
 * (every layer sized its buffer exactly: nothing spilled, for the defaults and for odd sizes).
 */
import assert from 'node:assert/strict';
import { Arena } from '../../src/core/arena.js';
import { IndexPool, Memp } from '../../src/core/memp.js';
import { ReassDatagram, RD_FIELDS } from '../../src/ipv4/reass.js';
import {
  AE_STATE, AE_IP, AE_CTIME, AE_TRIES, ARP_FIELDS, ARP_STATE_EMPTY, ARP_STATE_STABLE,
} from '../../src/link/etharp.js';
import { SEG_SACKED, SEG_RTX, NO_SEG } from '../../src/tcp/tcb.js';
import { MockNet } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import { assertPoolsFull } from '../helpers/pools.js';
import { ip } from '../helpers/frames.js';

function arenaSpills(s: Stack): number[] {
  return [s.tcp.arenaSpilled, s.arp.arenaSpilled];
}

describe('compact layouts', () => {
  it('Arena: 8-aligned views in one buffer, none overlapping; exact sizing uses it all; too small spills to a buffer of its own', () => {
    const a = new Arena(Arena.size(3 * 8, 5 * 4, 3, 7 * 4, 2));
    const f = a.f64(3);
    const i = a.i32(5);
    const u = a.u8(3);
    const w = a.u32(7);
    const v = a.u8(2);
    const all = [f, i, u, w, v];
    for (const x of all) {
      assert.equal(x.buffer, f.buffer, 'one buffer');
      assert.equal(x.byteOffset % 8, 0, 'aligned');
    }
    assert.equal(v.byteOffset + 8, f.buffer.byteLength, 'sized exactly: the last view ends the buffer (rounded to 8)');
    f.fill(-1.5); i.fill(-7); u.fill(0xaa); w.fill(0xfffffffe); v.fill(3);
    assert.deepEqual([...f], [-1.5, -1.5, -1.5]);
    assert.deepEqual([...i], [-7, -7, -7, -7, -7]);
    assert.deepEqual([...u], [0xaa, 0xaa, 0xaa]);
    assert.deepEqual([...w], new Array(7).fill(0xfffffffe));
    assert.deepEqual([...v], [3, 3]);
    assert.equal(a.spilled, 0);
    const spill = a.u8(1);
    assert.equal(a.spilled, 1, 'counted');
    assert.notEqual(spill.buffer, f.buffer);
    spill[0] = 9;
    assert.deepEqual([...v], [3, 3], 'the spilled array is its own');
  });

  it('every layer sizes its arena exactly, for the defaults and for odd pool sizes', () => {
    for (const config of [{}, { MEMP_NUM_TCP_SEG: 37, TCP_SND_QUEUELEN: 37, MEMP_NUM_TCP_PCB: 3, MEMP_NUM_TCP_PCB_LISTEN: 1, ARP_TABLE_SIZE: 3, MEMP_NUM_ARP_QUEUE: 5, TCP_OOSEQ_MAX_SEGS: 5, TCP_INPUT_NEST_MAX: 1 }]) {
      const net = new MockNet({ seed: 3 });
      const s = net.addStack({ ip: '10.9.0.1/24', config, name: 's' });
      assert.deepEqual(arenaSpills(s), [0, 0], JSON.stringify(config));
      assertPoolsFull(s);
    }
  });

  it('IndexPool: each index once, LIFO reuse; double free, stale and out-of-range indices counted and ignored', () => {
    const p = new IndexPool('t', 3);
    const got = [p.allocIndex(), p.allocIndex(), p.allocIndex()];
    assert.deepEqual([...got].sort(), [0, 1, 2]);
    assert.equal(p.allocIndex(), -1);
    assert.equal(p.stats.err, 1);
    assert.equal(p.releaseIndex(got[1]), true);
    assert.equal(p.isTaken(got[1]), false);
    assert.equal(p.releaseIndex(got[1]), false, 'double free');
    assert.equal(p.releaseIndex(3), false, 'out of range');
    assert.equal(p.releaseIndex(-1), false);
    assert.equal(p.releaseIndex(1.5), false, 'not an index');
    assert.equal(p.stats.illegal, 4);
    assert.equal(p.allocIndex(), got[1], 'LIFO');
    assert.deepEqual({ used: p.stats.used, max: p.stats.max }, { used: 3, max: 3 });
    // a Memp given its free stack from an arena behaves the same, and keeps refusing foreign objects
    const free = new Arena(Arena.size(2 * 2 * 4)).i32(4);
    const m = new Memp<{ mempIndex: number }>('m', 2, () => ({ mempIndex: -1 }), free);
    const o = m.alloc()!;
    assert.equal(m.release({ mempIndex: o.mempIndex }), false, 'an object not from this pool');
    assert.equal(m.release(o), true);
    assert.equal(m.release(o), false, 'double free');
    assert.equal(m.stats.illegal, 2);
  });

  it('ARP cache entries: fields and MACs per entry, no entry aliasing another, within the table', () => {
    const net = new MockNet({ seed: 5 });
    const config = { ARP_TABLE_SIZE: 4 };
    const a = net.addStack({ ip: '10.0.0.1/24', config, name: 'A' });
    const peers = [2, 3, 4].map((k) => net.addStack({ ip: '10.0.0.' + k + '/24', config, name: 'P' + k }));
    peers.forEach((p, k) => a.ping(ip('10.0.0.' + (k + 2)), 1, k, 8));
    net.run(50);
    const arp = a.arp;
    assert.equal(arp.ents.length, 4 * ARP_FIELDS + 2, 'the entries, then the header epoch and the top');
    assert.equal(arp.macs.length, 4 * 6);
    peers.forEach((p, k) => {
      const i = arp.find(ip('10.0.0.' + (k + 2)));
      assert.ok(i >= 0 && i < 4);
      assert.equal(arp.field(i, AE_STATE), ARP_STATE_STABLE);
      assert.equal(arp.field(i, AE_IP), ip('10.0.0.' + (k + 2)));
      assert.equal(arp.field(i, AE_TRIES), 0);
      assert.deepEqual([...arp.lookup(ip('10.0.0.' + (k + 2)))!], [...p.netif.mac], 'its own MAC');
    });
    const idx = peers.map((_p, k) => arp.find(ip('10.0.0.' + (k + 2))));
    assert.equal(new Set(idx).size, 3, 'three distinct entries');
    // the fourth entry is untouched
    const free = [0, 1, 2, 3].find((i) => !idx.includes(i))!;
    assert.equal(arp.field(free, AE_STATE), ARP_STATE_EMPTY);
    assert.equal(arp.field(free, AE_CTIME), 0);
    assert.deepEqual([...arp.macs.subarray(free * 6, free * 6 + 6)], [0, 0, 0, 0, 0, 0]);
    // lookup hands out a copy: writing it changes nothing in the cache
    const m = arp.lookup(ip('10.0.0.2'))!;
    m[0] ^= 0xff;
    assert.deepEqual([...arp.lookup(ip('10.0.0.2'))!], [...peers[0].netif.mac]);
    arp.flush();
    for (let i = 0; i < 4; i++) assert.equal(arp.field(i, AE_STATE), ARP_STATE_EMPTY);
    assert.equal(arp.lookup(ip('10.0.0.2')), null);
    assertPoolsFull(a, ...peers);
  });

  it('TCP SegStore: every descriptor field is an array entry at the descriptor\'s index, all in one arena; queues link through next', () => {
    const net = new MockNet({ seed: 6 });
    const s = net.addStack({ ip: '10.0.0.1/24', name: 's' });
    const sg = s.tcp.segs;
    const n = s.core.config.MEMP_NUM_TCP_SEG;
    for (const a of [sg.next, sg.seqno, sg.len, sg.flags, sg.sent, sg.marks, sg.rcvOrder]) {
      assert.equal(a.length, n);
      assert.equal(a.buffer, sg.marks.buffer, 'one arena');
    }
    assert.equal(sg.p.length, n);
    assert.ok(sg.next.every((x) => x === NO_SEG), 'free descriptors link nowhere');
    sg.marks[3] = SEG_SACKED | SEG_RTX;
    sg.rcvOrder[3] = 0xffffffff;
    sg.seqno[3] = 0xfffffffe;
    assert.deepEqual([sg.marks[2], sg.marks[4], sg.rcvOrder[2], sg.rcvOrder[4], sg.seqno[2], sg.seqno[4]], [0, 0, 0, 0, 0, 0]);
    assert.equal(sg.rcvOrder[3], 0xffffffff);
    assert.equal(sg.seqno[3], 0xfffffffe);
    sg.marks[3] = 0;
    sg.rcvOrder[3] = 0;
    sg.seqno[3] = 0;
    assert.equal(s.tcp.arenaSpilled, 0, 'the layer\'s arena was sized for the store');
  });

  it('reassembly datagrams: numeric fields per datagram in the shared array, no aliasing', () => {
    const fields = new Float64Array(2 * RD_FIELDS);
    const d0 = new ReassDatagram(4, null, fields, 0);
    const d1 = new ReassDatagram(4, null, fields, 1);
    assert.deepEqual([d0.total, d1.total], [-1, -1], 'total starts unknown');
    d0.src = 0xc0a80001; d0.id = 0xffff; d0.start = 123456; d0.count = 3;
    d1.src = 0x0a000002; d1.pbufs = 7; d1.hlen0 = 60;
    d0.count++;
    assert.deepEqual([d0.src, d0.id, d0.start, d0.count, d0.pbufs, d0.hlen0], [0xc0a80001, 0xffff, 123456, 4, 0, 0]);
    assert.deepEqual([d1.src, d1.id, d1.start, d1.count, d1.pbufs, d1.hlen0], [0x0a000002, 0, 0, 0, 7, 60]);
    for (const k of ['src', 'dst', 'id', 'proto', 'start', 'total', 'hlen0', 'count', 'pbufs']) {
      assert.equal(Object.keys(d0).includes(k), false, k + ' is not an own property (no heap slot)');
    }
    assert.equal(Object.keys(d0).includes('used'), true, 'used stays a property: the timer reads it every tick');
  });

  it('a stack keeps no closures and no per-pool or per-bucket objects: functions it holds are prototype methods (only the checksum is one)', () => {
    const net = new MockNet({ seed: 7 });
    const s = net.addStack({ ip: '10.9.0.1/24', name: 's' });
    // every function reachable from the stack's own objects as a property value; frozen holders are
    // module constants (the congestion controller), made once at load, not per stack
    const driver = s.netif.driver;
    const seen = new Set<unknown>();
    const fns = new Map<unknown, string>();
    const todo: [unknown, string][] = [[s, 'stack']];
    while (todo.length > 0) {
      const [o, path] = todo.pop()!;
      if (o === null || typeof o !== 'object' || seen.has(o) || o === driver || ArrayBuffer.isView(o)) continue;
      seen.add(o);
      if (Object.isFrozen(o)) continue;
      for (const k of Object.getOwnPropertyNames(o)) {
        const v = (o as Record<string, unknown>)[k];
        if (typeof v === 'function') fns.set(v, path + '.' + k);
        else todo.push([v, path + '.' + k]);
      }
    }
    assert.deepEqual([...fns.keys()], [s.core.chksum], 'functions held by the stack: ' + [...fns.values()].join(', '));
    // the pools are their own counters; the rate limits and the counters share one buffer
    for (const { name, stats } of s.pools().slice(2)) assert.equal(stats.constructor.name === 'Object', false, name + ': a stats object of its own');
    assert.equal(Object.keys(s.stats.tcp).includes('counts'), false);
    assertPoolsFull(s);
  });
});
