/**
 * The ARP defences one by one (src/link/etharp.ts): what a full cache evicts, the lock time, how a
 * real MAC change is still followed, the pending-entry rate limit. The whole attacks are the
 * arpPoison / arpFlood scenarios of this suite.
 */
import assert from 'node:assert/strict';
import { MockNet } from '../../tools/mocknet.js';
import { ARP_STATE_STABLE, ARP_STATE_EMPTY } from '../../src/link/etharp.js';
import { assertPoolsFull } from '../helpers/pools.js';
import { ip, macEq } from '../helpers/frames.js';
import { Host, ArpPoisoner } from './attackers.js';

const BOARD = '10.0.0.1/16';

describe('robustness: ARP defences', () => {
  it('a full cache gives up pending entries before resolved ones (lwIP would evict the oldest resolved first)', () => {
    const net = new MockNet({ seed: 3 });
    const board = net.addStack({ ip: BOARD, name: 'board', config: { ARP_TABLE_SIZE: 3, ARP_PENDING_INTERVAL: 0 } });
    const busy = new Host(net, ip('10.0.0.2'), '02:00:00:00:00:02', 'busy');
    const idle = new Host(net, ip('10.0.0.3'), '02:00:00:00:00:03', 'idle');
    board.ping(idle.ip, 1, 1, 8);
    net.run(20);
    board.ping(busy.ip, 1, 1, 8);
    net.run(20);
    // a stream of answers to addresses that never resolve, while the busy host stays in use
    for (let i = 0; i < 50; i++) {
      board.ping(ip('10.0.9.0') + i, 1, i, 8);
      board.ping(busy.ip, 1, 100 + i, 8);
      net.run(10);
    }
    assert.equal(board.arp.stateOf(busy.ip), ARP_STATE_STABLE, 'the entry in use stays');
    assert.equal(busy.arpRequestsIn, 1, 'and was never resolved again');
    assert.equal(board.arp.stateOf(idle.ip), ARP_STATE_STABLE, 'the older, idle one stays too');
    net.run(10000);
    assertPoolsFull(board);
  });

  it('when only resolved entries are left, the one used longest ago goes', () => {
    const net = new MockNet({ seed: 7 });
    const board = net.addStack({ ip: BOARD, name: 'board', config: { ARP_TABLE_SIZE: 2 } });
    const a = new Host(net, ip('10.0.0.2'), '02:00:00:00:00:02', 'a');
    const b = new Host(net, ip('10.0.0.3'), '02:00:00:00:00:03', 'b');
    const c = new Host(net, ip('10.0.0.4'), '02:00:00:00:00:04', 'c');
    board.ping(a.ip, 1, 1, 8);
    net.run(20);
    board.ping(b.ip, 1, 1, 8);
    net.run(20);
    board.ping(a.ip, 1, 2, 8); // a, the older entry, is used again: b is now the idle one
    net.run(20);
    board.ping(c.ip, 1, 1, 8);
    net.run(20);
    assert.equal(board.arp.stateOf(a.ip), ARP_STATE_STABLE);
    assert.equal(board.arp.stateOf(b.ip), ARP_STATE_EMPTY);
    assert.equal(board.arp.stateOf(c.ip), ARP_STATE_STABLE);
    net.run(400000);
    assertPoolsFull(board);
  });

  it('an unsolicited reply cannot change a resolved MAC, however late; the old holder is asked once the lock ends', () => {
    const net = new MockNet({ seed: 4 });
    const board = net.addStack({ ip: BOARD, name: 'board' });
    const gw = new Host(net, ip('10.0.0.254'), '02:00:00:00:00:fe', 'gw');
    board.ping(gw.ip, 1, 1, 8);
    net.run(5000);
    const p = new ArpPoisoner(net, board, gw.ip, { intervalMs: 1000, how: 'reply', count: 3 });
    net.run(3500);
    assert.equal(p.sent, 3);
    assert.ok(macEq(board.arp.lookup(gw.ip)!, gw.ep.mac));
    assert.equal(board.arp.lockRefused, 3);
    assert.equal(gw.arpRequestsIn, 1 + 3, 'each claim after the lock time drew one unicast check');
    net.run(400000);
    assertPoolsFull(board);
  });

  it('a claim within the lock time is checked when it ends: a silent old MAC gives way to the one that answers our broadcast', () => {
    const net = new MockNet({ seed: 5 });
    const board = net.addStack({ ip: BOARD, name: 'board', config: { ARP_LOCKTIME: 1000, ARP_RETRY_INTERVAL: 1000 } });
    const old = new Host(net, ip('10.0.0.9'), '02:00:00:00:00:09', 'old');
    board.ping(old.ip, 1, 1, 8);
    net.run(100);
    old.alive = false;
    const moved = new Host(net, ip('10.0.0.9'), '02:00:00:00:01:09', 'new');
    moved.announce(); // within the lock time: refused, remembered
    net.run(10);
    assert.ok(macEq(board.arp.lookup(old.ip)!, old.ep.mac));
    assert.equal(moved.arpRequestsIn, 0);
    net.run(1000); // lock over: unicast to the old MAC (silent), then a broadcast
    assert.ok(macEq(board.arp.lookup(old.ip)!, old.ep.mac), 'the unicast check is not answered by the new NIC');
    net.run(1100);
    assert.ok(macEq(board.arp.lookup(old.ip)!, moved.ep.mac), 'the reply to our broadcast is believed');
    net.run(400000);
    assertPoolsFull(board);
  });

  it('new pending entries are rate-limited (ARP_PENDING_INTERVAL / ARP_PENDING_BURST)', () => {
    const net = new MockNet({ seed: 6 });
    const board = net.addStack({ ip: BOARD, name: 'board', config: { ARP_PENDING_INTERVAL: 100, ARP_PENDING_BURST: 4 } });
    const spy = net.addRaw();
    spy.promiscuous = true;
    let requests = 0;
    spy.onFrame((f) => { if (f[12] === 0x08 && f[13] === 0x06 && f[21] === 1) requests++; });
    spy.keep = false;
    for (let i = 0; i < 100; i++) board.ping(ip('10.0.3.0') + i, 1, i, 8);
    net.run(1);
    assert.equal(requests, 4, 'the burst');
    assert.equal(board.arp.pendingLimited, 96);
    for (let t = 0; t < 10; t++) {
      for (let i = 0; i < 10; i++) board.ping(ip('10.0.4.0') + t * 10 + i, 1, i, 8);
      net.run(100);
    }
    // the first batch comes 1 ms after the burst (no token yet), then one token per 100 ms
    assert.equal(board.arp.pendingLimited, 96 + 10 + 9 * 9, 'one new resolution per 100 ms');
    net.run(10000);
    assertPoolsFull(board);
  });
});
