/**
 * DHCP client scenarios (RFC 2131, RFC 5227) against the fake LAN server: every state and timer,
 * link flaps, NAK, DECLINE, hostile replies. A second stack (P, static) runs an echo service so that
 * a TCP connection on the leased address can be watched surviving or being aborted.
 */
import { MockNet } from '../../tools/mocknet.js';
import { ERR_OK, ERR_ABRT } from '../../src/core/err.js';
import { ip4ToString } from '../../src/core/ip4addr.js';
import type { Stack } from '../../src/api/stack.js';
import { tcp_new, tcp_connect } from '../../src/api/tcp_api.js';
import { startEcho, type ServiceHandle } from '../../src/apps/index.js';
import {
  dhcp_start, dhcp_stop, dhcp_release, dhcp_renew, dhcp_set_callback, dhcp_client, DHCP_EVENT_NAMES, DHCP_STATE_NAMES,
  type DhcpClient,
} from '../../src/apps/dhcp/api.js';
import { Checks, finish, type ScenarioResult } from './common.js';
import { TcpEnd } from './tcp_fixture.js';
import { LanServer } from './lan_server.js';
import { ip } from '../helpers/frames.js';

const LEASED = ip('10.0.0.50');

interface Lan {
  net: MockNet; srv: LanServer; a: Stack; p: Stack; dhcp: DhcpClient; events: string[]; states: string[];
  echo: ServiceHandle;
}

function lan(seed: number): Lan {
  const net = new MockNet({ seed, stepMs: 10, delayMs: 1 });
  const srv = new LanServer(net);
  const p = net.addStack({ ip: '10.0.0.2/24', name: 'P' });
  const echo = startEcho(p);
  const a = net.addStack({ ip: '0.0.0.0', name: 'A', hostname: 'board' });
  const events: string[] = [];
  const states: string[] = [];
  dhcp_set_callback(a, (_arg, ev, cl) => { events.push(DHCP_EVENT_NAMES[ev] + ' ' + ip4ToString(cl.ip) + ' @' + net.now); });
  const dhcp = dhcp_client(a);
  let last = -1;
  net.onStep(() => { if (dhcp.state !== last) { last = dhcp.state; states.push(DHCP_STATE_NAMES[last]); } });
  return { net, srv, a, p, dhcp, events, states, echo };
}

/** Opens a TCP connection from A to P's echo port and moves `n` bytes through it. */
function echoConn(l: Lan, label: string): TcpEnd {
  const e = new TcpEnd(label);
  const pcb = tcp_new(l.a);
  if (pcb !== null) { e.attach(pcb); tcp_connect(pcb, '10.0.0.2', 7, e.connectedFn); }
  l.net.runUntil(() => e.connected, 5000);
  return e;
}

/** Frees P's side of connections A dropped without a RST (its address went away). */
function abortPeer(p: Stack): void {
  const v: Parameters<Parameters<Stack['tcp']['forEachConn']>[0]>[0][] = [];
  p.tcp.forEachConn((pcb) => v.push(pcb));
  for (const pcb of v) p.tcp.abortPcb(pcb, ERR_ABRT, false);
}

function times(log: string[], what: string): number[] {
  return log.filter((x) => x.startsWith(what + '@')).map((x) => Number(x.slice(x.indexOf('@') + 1)));
}

/** INIT → SELECTING (with §4.1 back-off) → REQUESTING → CHECKING → BOUND → RENEWING → REBINDING →
 *  expiry (connection aborted with ERR_ABRT) → a new lease → dhcp_renew → RELEASE. */
export function scenarioDhcpLease(): ScenarioResult {
  const c = new Checks();
  const l = lan(61);
  const { net, srv, a, dhcp } = l;
  srv.lease = 120; srv.t1 = 30; srv.t2 = 60;
  srv.dhcpMode = 'silent';
  c.eq(dhcp_start(a), ERR_OK, 'dhcp_start');
  net.run(25000);
  const d = times(srv.dhcpLog, 'DISCOVER');
  c.eq(d.length, 3, 'DISCOVERs in 25 s without a server (0, ~4, ~12 s)');
  // §4.1: 4 s then 8 s, each ±1 s
  c.ok(d[1] - d[0] >= 3000 && d[1] - d[0] <= 5000, 'first retransmission after 4±1 s: ' + (d[1] - d[0]));
  c.ok(d[2] - d[1] >= 7000 && d[2] - d[1] <= 9000, 'second after 8±1 s: ' + (d[2] - d[1]));
  srv.dhcpMode = 'answer';
  c.ok(net.runUntil(() => dhcp.stateName === 'BOUND', 40000), 'bound');
  const sel = times(srv.dhcpLog, 'REQUEST(select)');
  c.eq(sel.length, 1, 'one REQUEST for the offer');
  const boundAt = net.now;
  // RFC 5227: 3 probes (PROBE_WAIT 0-1 s, 1-2 s apart) and ANNOUNCE_WAIT 2 s before use
  c.ok(boundAt - sel[0] >= 4000 && boundAt - sel[0] <= 7100, 'probing took 4-7 s: ' + (boundAt - sel[0]));
  c.eq(a.netif.ip, LEASED, 'address'); c.eq(a.netif.netmask, 0xffffff00, 'mask'); c.eq(a.netif.gw, ip('10.0.0.1'), 'router');
  c.eq(a.dnsServers[0], ip('10.0.0.1'), 'DNS server from option 6');
  c.eq(dhcp.leaseSecs, 120, 'lease'); c.eq(dhcp.t1Secs, 30, 'T1'); c.eq(dhcp.t2Secs, 60, 'T2');
  const conn = echoConn(l, 'conn');
  c.ok(conn.connected, 'TCP on the leased address');
  // T1: unicast renewal, ACKed
  c.ok(net.runUntil(() => times(srv.dhcpLog, 'REQUEST(renew)').length === 1, 40000), 'renewal REQUEST');
  const r1 = times(srv.dhcpLog, 'REQUEST(renew)')[0];
  c.ok(Math.abs(r1 - (sel[0] + 30000)) <= 20, 'renewal at T1 = 30 s after the REQUEST: ' + (r1 - sel[0]));
  net.run(100);
  c.eq(dhcp.stateName, 'BOUND', 'bound again after the renewal ACK');
  // server gone: RENEWING until T2, then REBINDING (broadcast), then the lease runs out
  srv.dhcpMode = 'silent';
  c.ok(net.runUntil(() => dhcp.stateName === 'RENEWING', 40000), 'RENEWING at T1');
  const renewAt = net.now;
  c.ok(net.runUntil(() => dhcp.stateName === 'REBINDING', 40000), 'REBINDING at T2');
  c.ok(Math.abs(net.now - renewAt - 30000) <= 20, 'T2 - T1 = 30 s: ' + (net.now - renewAt));
  net.run(50);
  c.eq(times(srv.dhcpLog, 'REQUEST(rebind)').length, 1, 'one broadcast REQUEST when rebinding');
  c.ok(net.runUntil(() => a.netif.ip === 0, 70000), 'address dropped at expiry');
  c.ok(Math.abs(net.now - renewAt - 90000) <= 20, 'expiry 120 s after the lease (90 s after T1): ' + (net.now - renewAt));
  c.eq(conn.errCode, ERR_ABRT, 'the connection on the lost address got ERR_ABRT');
  abortPeer(l.p);
  // a new lease from scratch
  srv.dhcpMode = 'answer';
  c.ok(net.runUntil(() => dhcp.stateName === 'BOUND', 30000), 'a new lease after expiry');
  c.eq(a.netif.ip, LEASED, 'same address again');
  c.eq(dhcp_renew(a), ERR_OK, 'dhcp_renew');
  net.run(200);
  c.eq(dhcp.stateName, 'BOUND', 'renewed on demand');
  // the server answers a renewal with another address: probed (RFC 5227), then taken; the
  // connection on the old address is aborted
  const conn2 = echoConn(l, 'conn2');
  c.ok(conn2.connected, 'a second connection');
  srv.moveTo = ip('10.0.0.60');
  c.eq(dhcp_renew(a), ERR_OK, 'dhcp_renew (moved)');
  c.ok(net.runUntil(() => a.netif.ip === ip('10.0.0.60'), 10000), 'moved to the new address');
  c.eq(conn2.errCode, ERR_ABRT, 'the connection on the old address got ERR_ABRT');
  abortPeer(l.p);
  srv.moveTo = 0;
  c.eq(dhcp_release(a), ERR_OK, 'dhcp_release');
  net.run(100);
  c.eq(times(srv.dhcpLog, 'RELEASE').length, 1, 'DHCPRELEASE sent');
  c.eq(a.netif.ip, 0, 'no address after release');
  l.echo.stop();
  net.run(100);
  return finish('dhcpLease', c, {
    labels: ['A', 'P'], stacks: [a, l.p], now: net.now,
    extra: { events: l.events.join(', '), states: l.states.join(' '), log: srv.dhcpLog.join(' '), xmit: dhcp.stats.xmit },
  });
}

/** A link flap: INIT-REBOOT keeps the address and the TCP connection; a NAK after a flap aborts it;
 *  no answer keeps the unexpired lease (§3.2). */
export function scenarioDhcpReboot(): ScenarioResult {
  const c = new Checks();
  const l = lan(62);
  const { net, srv, a, dhcp } = l;
  srv.lease = 600;
  dhcp_start(a);
  c.ok(net.runUntil(() => dhcp.stateName === 'BOUND', 30000), 'bound');
  const conn = echoConn(l, 'conn');
  const drv = net.driverOf(a);
  drv.setLink(false);
  const data = new Uint8Array(3000);
  for (let i = 0; i < data.length; i++) data[i] = i & 255;
  conn.send(data);
  net.run(3000);
  c.eq(conn.received, 0, 'nothing echoed while the link is down');
  drv.setLink(true);
  c.ok(net.runUntil(() => times(srv.dhcpLog, 'REQUEST(reboot)').length === 1, 1000), 'INIT-REBOOT REQUEST on link-up');
  c.ok(net.runUntil(() => conn.received === 3000, 20000), 'the connection survived the drop (echo complete): '
    + conn.received + ' ' + conn.state());
  c.eq(dhcp.stateName, 'BOUND', 'bound after the reboot');
  c.eq(a.netif.ip, LEASED, 'same address');
  c.eq(conn.errCode, null, 'no error on the connection');
  // the server does not know us any more: NAK → address gone, connection aborted
  srv.dhcpMode = 'nak';
  drv.setLink(false); net.run(500); drv.setLink(true);
  c.ok(net.runUntil(() => a.netif.ip === 0, 2000), 'NAK after the flap drops the address');
  c.eq(conn.errCode, ERR_ABRT, 'the connection got ERR_ABRT');
  abortPeer(l.p);
  srv.dhcpMode = 'answer';
  c.ok(net.runUntil(() => dhcp.stateName === 'BOUND', 30000), 'bound again after the NAK hold-off');
  // no server at all after a flap: keep the unexpired lease
  srv.dhcpMode = 'silent';
  drv.setLink(false); net.run(500); drv.setLink(true);
  c.ok(net.runUntil(() => dhcp.stateName === 'REBOOTING', 100), 'REBOOTING');
  c.ok(net.runUntil(() => dhcp.stateName === 'BOUND', 20000), 'back to BOUND without an answer');
  c.eq(a.netif.ip, LEASED, 'kept the lease');
  c.eq(times(srv.dhcpLog, 'REQUEST(reboot)').length, 4, 'REQUESTs for reboots: 1 + 1 (NAKed) + 2 unanswered');
  conn.close();
  net.run(1000);
  dhcp_stop(a);
  l.echo.stop();
  net.run(100);
  return finish('dhcpReboot', c, {
    labels: ['A', 'P'], stacks: [a, l.p], now: net.now,
    extra: { events: l.events.join(', '), states: l.states.join(' '), log: srv.dhcpLog.join(' ') },
  });
}

/** NAK while requesting (hold-off doubles), an address in use (RFC 5227 conflict → DECLINE, 10 s
 *  wait, another address), and hostile replies counted and dropped. */
export function scenarioDhcpHostile(): ScenarioResult {
  const c = new Checks();
  const l = lan(63);
  const { net, srv, a, dhcp } = l;
  const mac = a.netif.mac;
  srv.dhcpMode = 'nak';
  dhcp_start(a);
  net.run(4500);
  const d = times(srv.dhcpLog, 'DISCOVER');
  c.ok(d.length >= 3, 'DISCOVERs after NAKs: ' + d.length);
  c.ok(d[1] - d[0] >= 1000 && d[2] - d[1] >= 2000, 'NAK hold-off 1 s then 2 s: ' + (d[1] - d[0]) + ', ' + (d[2] - d[1]));
  c.ok(dhcp.stats.naks >= 2, 'NAKs counted');
  // hostile replies while SELECTING
  srv.dhcpMode = 'silent';
  c.ok(net.runUntil(() => dhcp.stateName === 'SELECTING', 10000), 'selecting');
  const xid = dhcp.xid;
  const st = dhcp.stats;
  srv.reply(2, xid ^ 1, ip('10.0.0.60'), mac, null);
  srv.reply(2, xid, ip('10.0.0.60'), new Uint8Array([2, 0, 0, 0, 0, 0x77]), null);
  srv.reply(2, xid, ip('10.0.0.60'), mac, null, (o) => { o.push(6, 200); });          // option past the end
  srv.reply(2, xid, ip('10.0.0.60'), mac, null, (o) => { o.push(52, 1, 9); });      // overload value out of range
  srv.reply(2, xid, ip('10.0.0.60'), mac, null, undefined, 250);                      // cut before END
  srv.reply(2, xid, ip('224.0.0.5'), mac, null);                                      // not a host address
  net.run(50);
  c.eq(st.badXid, 1, 'wrong xid counted'); c.eq(st.badChaddr, 1, 'wrong chaddr counted');
  c.eq(st.malformed, 4, 'overflow, bad overload, truncation, bad yiaddr counted');
  c.eq(dhcp.stateName, 'SELECTING', 'still selecting');
  // a flood of offers: the first is taken, the rest are counted
  const offers0 = st.offers;
  const unexpected0 = st.unexpected;
  for (let i = 0; i < 20; i++) srv.reply(2, xid, ip('10.0.0.70') + i, mac, null);
  net.run(50);
  c.eq(st.offers - offers0, 1, 'one offer taken'); c.eq(st.unexpected - unexpected0, 19, 'the rest of the flood dropped');
  c.eq(dhcp.stateName, 'REQUESTING', 'requesting the first offer');
  // the server never ACKs 10.0.0.70: after 4 REQUESTs back to INIT; then an address in use
  srv.claimed = LEASED;
  srv.dhcpMode = 'answer';
  c.ok(net.runUntil(() => st.declines === 1, 90000), 'DECLINE after a probe was answered');
  net.run(50);
  c.eq(times(srv.dhcpLog, 'DECLINE').length, 1, 'DHCPDECLINE sent');
  const declinedAt = times(srv.dhcpLog, 'DECLINE')[0];
  c.ok(net.runUntil(() => dhcp.stateName === 'BOUND', 40000), 'bound to another address');
  const again = times(srv.dhcpLog, 'DISCOVER').filter((t) => t > declinedAt);
  c.ok(again.length > 0 && again[0] - declinedAt >= 10000, 'waited 10 s after DECLINE (§3.1)');
  c.eq(a.netif.ip, ip('10.0.0.51'), 'the next address');
  dhcp_stop(a);
  l.echo.stop();
  net.run(100);
  return finish('dhcpHostile', c, {
    labels: ['A', 'P'], stacks: [a, l.p], now: net.now,
    extra: { events: l.events.join(', '), log: srv.dhcpLog.join(' '), stats: JSON.stringify(st) },
  });
}
