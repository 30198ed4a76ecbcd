/**
 * Robustness scenarios for the link and network layers: ARP poisoning, a flood of spoofed sources
 * churning the ARP cache, and ICMP error reflection. Each reproduces the attack on the board
 * configuration, shows the honest traffic getting through, reports its figures in `extra` (the
 * attack bench prints them) and ends with every pool full. They run on Node and on XS.
 */
import { MockNet } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import type { StackConfig } from '../../src/core/config.js';
import { ARP_STATE_STABLE, ARP_STATE_STABLE_REFRESHING } from '../../src/link/etharp.js';
import { Checks, finish, type ScenarioResult } from '../scenarios/common.js';
import { ip } from '../helpers/frames.js';
import { Host, ArpPoisoner, UdpSprayer } from './attackers.js';

/** The ESP32 board configuration (manifests/esp32/main.js; 8 pcbs and backlog 4 are the defaults). */
export const BOARD_CONFIG: Partial<StackConfig> = { PBUF_POOL_SIZE: 32, MEMP_NUM_TCP_PCB: 8, TCP_DEFAULT_LISTEN_BACKLOG: 4 };

function sameMac(a: Uint8Array | null, b: Uint8Array): boolean {
  if (a === null) return false;
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Pings `dst` every `everyMs` while `until()` holds; counts replies from it. */
function pinger(net: MockNet, board: Stack, dst: number, everyMs: number): { sent: number; answered: number } {
  const r = { sent: 0, answered: 0 };
  board.onEchoReply = (src) => { if (src === dst) r.answered++; };
  net.onStep((now) => {
    if (now % everyMs === 0 && r.sent < 100000) {
      board.ping(dst, 1, r.sent, 32);
      r.sent++;
    }
  });
  return r;
}

/**
 * ARP poisoning of the gateway: for 10 s an attacker claims the gateway's address every 20 ms with
 * unsolicited replies, and another with requests. Before: 100% loss for as long as it went on.
 * Now: the entry never leaves the gateway's MAC and every ping through it is answered. Then the
 * gateway really moves to a new NIC and announces it (a gratuitous ARP): the board follows.
 */
export function scenarioArpPoison(): ScenarioResult {
  const c = new Checks();
  const net = new MockNet({ seed: 21 });
  const board = net.addStack({ ip: '10.0.0.1/24', gateway: '10.0.0.254', config: BOARD_CONFIG, name: 'board' });
  const GW = ip('10.0.0.254');
  const gw = new Host(net, GW, '02:00:00:00:00:fe', 'gateway');
  const pings = pinger(net, board, GW, 100);
  net.run(1000);
  c.ok(sameMac(board.arp.lookup(GW), gw.ep.mac), 'gateway resolved');
  const byReply = new ArpPoisoner(net, board, GW, { intervalMs: 20, how: 'reply', count: 500 }, '02:ba:d0:00:00:01');
  const byRequest = new ArpPoisoner(net, board, GW, { intervalMs: 20, how: 'request', count: 500 }, '02:ba:d0:00:00:02');
  let poisonedMs = 0;
  net.onStep(() => { if (!sameMac(board.arp.lookup(GW), gw.ep.mac)) poisonedMs++; });
  const sent0 = pings.sent;
  const answered0 = pings.answered;
  net.run(10000);
  const sentDuring = pings.sent - sent0;
  const answeredDuring = pings.answered - answered0;
  c.eq(byReply.sent + byRequest.sent, 1000, 'claims sent');
  const poisonedDuring = poisonedMs;
  c.eq(poisonedDuring, 0, 'ms the gateway entry pointed elsewhere');
  c.ok(answeredDuring >= sentDuring - 1, 'pings answered during the attack: ' + answeredDuring + ' of ' + sentDuring);
  c.ok(board.arp.lockRefused >= 1000, 'claims refused: ' + board.arp.lockRefused);
  // the board checked with the gateway at most once per lock time
  c.ok(gw.arpRequestsIn <= 1 + 11, 'requests to the gateway: ' + gw.arpRequestsIn);
  // the gateway really moves: the old NIC goes silent, the new one announces itself
  net.run(1500);
  gw.alive = false;
  const gw2 = new Host(net, GW, '02:00:00:00:01:fe', 'gateway-new-nic');
  gw2.announce();
  net.run(10);
  c.ok(sameMac(board.arp.lookup(GW), gw2.ep.mac), 'a gratuitous ARP after the lock time moves the entry');
  const a2 = pings.answered;
  net.run(1000);
  c.ok(pings.answered - a2 >= 9, 'pings answered by the new NIC');
  board.onEchoReply = null;
  net.run(1000);
  const lossPct = sentDuring === 0 ? 100 : Math.round(1000 * (sentDuring - answeredDuring) / sentDuring) / 10;
  return finish('arpPoison', c, {
    labels: ['board'], stacks: [board], now: net.now,
    extra: { claims: byReply.sent + byRequest.sent, poisonedMs: poisonedDuring, pingLossPct: lossPct, lockRefused: board.arp.lockRefused, gatewayProbes: gw.arpRequestsIn },
  });
}

/**
 * A flood of spoofed sources: 10,000 pings in 5 s from 4,000 addresses nobody owns. Each answer
 * needs an ARP resolution that never completes. Before: pending entries pushed out the entry of
 * the host the board was talking to, and every source drew its own broadcast requests. Now: the
 * honest host's entry stays resolved throughout (all its pings answered, no re-resolution) and new
 * resolutions are rate-limited.
 */
export function scenarioArpFlood(): ScenarioResult {
  const c = new Checks();
  const net = new MockNet({ seed: 22 });
  const board = net.addStack({ ip: '10.0.0.1/16', config: BOARD_CONFIG, name: 'board' });
  const H = ip('10.0.0.2');
  const host = new Host(net, H, '02:00:00:00:00:02', 'host');
  const pings = pinger(net, board, H, 50);
  net.run(500);
  const reqs0 = host.arpRequestsIn;
  const spoofer = new Host(net, ip('10.0.200.1'), '02:5f:00:00:00:09', 'spoofer');
  let n = 0;
  let unstableMs = 0;
  net.onStep(() => {
    // 4,000 different spoofed sources, none of which will ever answer ARP
    for (let k = 0; k < 2 && n < 10000; k++, n++) spoofer.ping(board.netif.ip, board.netif.mac, n, (ip('10.0.1.0') + (n % 4000)) >>> 0);
    const s = board.arp.stateOf(H);
    if (s !== ARP_STATE_STABLE && s !== ARP_STATE_STABLE_REFRESHING) unstableMs++;
  });
  const sent0 = pings.sent;
  const ans0 = pings.answered;
  const arpOut0 = board.stats.etharp.xmit;
  net.run(5000);
  const arpRequests = board.stats.etharp.xmit - arpOut0;
  c.eq(unstableMs, 0, 'ms the honest host\'s entry was not resolved');
  c.eq(pings.answered - ans0, pings.sent - sent0, 'pings to the honest host answered');
  c.eq(host.arpRequestsIn - reqs0, 0, 'the honest host was not asked again');
  c.ok(board.arp.pendingLimited > 0, 'new resolutions refused by the rate limit: ' + board.arp.pendingLimited);
  board.onEchoReply = null;
  net.run(10000);
  return finish('arpFlood', c, {
    labels: ['board'], stacks: [board], now: net.now,
    extra: { spoofedPings: n, arpRequests, pendingLimited: board.arp.pendingLimited, honestUnresolvedMs: unstableMs },
  });
}

/**
 * ICMP reflection (RFC 1812 §4.3.2.8): 20,000 datagrams in 2 s to a closed UDP port, first from one
 * source, then from 16 (the attacker answers ARP for them, so ARP is not what limits). One source
 * draws at most ICMP_RATELIMIT_BURST + one a second; many draw at most the global budget.
 */
export function scenarioIcmpReflection(): ScenarioResult {
  const c = new Checks();
  const net = new MockNet({ seed: 23 });
  const board = net.addStack({ ip: '10.0.0.1/16', config: BOARD_CONFIG, name: 'board' });
  const one = new UdpSprayer(net, board, { perMs: 10, count: 20000, srcBase: ip('10.0.7.7'), srcSpan: 1, seed: 1 });
  net.run(2000);
  c.eq(one.sent, 20000, 'datagrams from one source');
  const fromOne = one.icmpSeen;
  c.ok(fromOne <= 6 + 2, 'errors drawn by one source in 2 s: ' + fromOne);
  c.ok(fromOne >= 3, 'errors still go out (the first ones wait for ARP, ARP_QUEUE_LEN of them): ' + fromOne);
  net.run(3000);
  const many = new UdpSprayer(net, board, { perMs: 10, count: 20000, srcBase: ip('10.0.8.0'), srcSpan: 16, seed: 2 });
  net.run(2000);
  const fromMany = many.icmpSeen;
  const budget = board.core.config.ICMP_MSGS_BURST + 2 * board.core.config.ICMP_MSGS_PER_SEC;
  c.ok(fromMany <= budget, 'errors drawn by 16 sources in 2 s: ' + fromMany + ' (global budget ' + budget + ')');
  c.ok(board.icmp.rateLimited > 20000, 'errors refused: ' + board.icmp.rateLimited);
  net.run(10000);
  return finish('icmpReflection', c, {
    labels: ['board'], stacks: [board], now: net.now,
    extra: { datagrams: one.sent + many.sent, errorsOneSource: fromOne, errorsSixteenSources: fromMany, refused: board.icmp.rateLimited },
  });
}
