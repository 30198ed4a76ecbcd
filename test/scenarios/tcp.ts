/**
 * TCP scenarios through the raw API between two stacks (and one hand-driven raw peer): the
 * handshake, bulk transfer over a lossy, reordering, duplicating wire, every close path (active,
 * passive, simultaneous, abort), TIME_WAIT expiry, SO_REUSEADDR, RST handling. Each ends with every
 * pool of every stack back to full.
 */
import type { Stack } from '../../src/api/stack.js';
import { ERR_OK, ERR_USE, ERR_RST, ERR_ABRT } from '../../src/core/err.js';
import { ip4Of } from '../../src/core/ip4addr.js';
import {
  tcp_new, tcp_bind, tcp_listen, tcp_accept, tcp_connect, tcp_close, tcp_abort, ip_set_option, netstat,
  type TcpPcb,
} from '../../src/api/tcp_api.js';
import { SOF_REUSEADDR } from '../../src/tcp/constants.js';
import { Checks, crcOf, finish, testData, type ScenarioResult } from './common.js';
import { TcpEnd, TcpPair, IP_B } from './tcp_fixture.js';
import { RawPeer, F_ACK, F_RST, F_SYN, flagsText } from '../../tools/rawpeer.js';

const LABELS = ['A', 'B'];

/** Connection states on a stack, LISTEN excluded, sorted: 'CLOSE_WAIT,FIN_WAIT_2'. */
function connStates(stack: Stack): string {
  return netstat(stack).filter((r) => r.state !== 'LISTEN').map((r) => r.state).sort().join(',');
}

/** The path of the connection's pcb on one side (listener records excluded). */
function connPath(pair: TcpPair, label: string): string {
  return pair.log.records.filter((r) => r.stack === label && r.remotePort !== 0)
    .reduce<string[]>((acc, r) => { if (acc.length === 0) acc.push(r.from); acc.push(r.to); return acc; }, [])
    .join('>');
}

function done(name: string, c: Checks, pair: TcpPair, extra: Record<string, number | string | boolean> = {},
  bytes = pair.client.received + pair.server.received, digest = ''): ScenarioResult {
  return finish(name, c, {
    labels: LABELS, stacks: [pair.a, pair.b], now: pair.net.now, bytes, digest, log: pair.log, extra,
  });
}

export function scenarioHandshake(): ScenarioResult {
  const c = new Checks();
  const pair = new TcpPair({ seed: 21, delayMs: 1 });
  c.ok(pair.listen(), 'listen on B:7');
  c.ok(pair.connect(), 'connection established');
  c.eq(connPath(pair, 'A'), 'CLOSED>SYN_SENT>ESTABLISHED', 'client path');
  c.ok(/SYN_RCVD>ESTABLISHED$/.test(connPath(pair, 'B')), 'server went SYN_RCVD > ESTABLISHED: ' + connPath(pair, 'B'));
  c.eq(pair.accepted, 1, 'accepted once');
  const hello = testData(100, 1);
  const reply = testData(40, 2);
  pair.client.send(hello);
  pair.server.send(reply);
  pair.net.run(300);
  c.eq(pair.server.received, 100, 'server got the request');
  c.eq(pair.client.received, 40, 'client got the reply');
  c.eq(pair.server.crc.hex(), crcOf(hello), 'request intact');
  c.eq(pair.client.crc.hex(), crcOf(reply), 'reply intact');
  c.eq(connStates(pair.a) + '|' + connStates(pair.b), 'ESTABLISHED|ESTABLISHED', 'both established');
  pair.client.close();
  c.ok(pair.runUntilQuiet(10000), 'connections gone');
  pair.closeListener();
  return done('handshake', c, pair, { clientPort: pair.log.records.find((r) => r.stack === 'A')?.port ?? -1 },
    140, pair.server.crc.hex() + pair.client.crc.hex());
}

/** Both directions at once over a wire that loses, duplicates, reorders and delays frames. */
export function scenarioBulkLossy(): ScenarioResult {
  const c = new Checks();
  const pair = new TcpPair({ seed: 7, loss: 0.03, duplicate: 0.02, reorder: 0.05, reorderMs: 4, delayMs: 2, jitterMs: 2 });
  c.ok(pair.listen(), 'listen');
  c.ok(pair.connect(20000), 'established over the lossy wire');
  const up = testData(192 * 1024, 3);
  const down = testData(96 * 1024 + 123, 4);
  // each side half-closes when it has written everything and closes on the peer's FIN: a full
  // tcp_close while the peer still sends would reset the connection (RFC 1122 §4.2.2.13)
  pair.client.shutWhenSent = true;
  pair.server.shutWhenSent = true;
  pair.client.send(up);
  pair.server.send(down);
  const t0 = pair.net.now;
  const ok = pair.net.runUntil(() => pair.server.received === up.length && pair.client.received === down.length
    && pair.client.gotFin && pair.server.gotFin, 120000);
  c.ok(ok, 'all data and both FINs delivered (' + pair.server.received + '/' + up.length + ', '
    + pair.client.received + '/' + down.length + ')');
  const transferMs = pair.net.now - t0;
  c.eq(pair.server.crc.hex(), crcOf(up), 'upstream data intact and in order');
  c.eq(pair.client.crc.hex(), crcOf(down), 'downstream data intact and in order');
  c.ok(pair.runUntilQuiet(30000), 'both connections closed');
  pair.closeListener();
  const w = pair.net.wire.stats;
  c.ok(w.lost > 0 && w.reordered > 0 && w.duplicated > 0, 'the wire did lose, reorder and duplicate');
  c.ok(pair.a.stats.tcp.err + pair.b.stats.tcp.err >= 0, 'counters readable');
  return done('bulkLossy', c, pair, {
    transferMs, lost: w.lost, reordered: w.reordered, duplicated: w.duplicated, writeErrors: pair.client.writeErrors + pair.server.writeErrors,
  }, pair.server.received + pair.client.received, pair.server.crc.hex() + pair.client.crc.hex());
}

/** The client closes first (active close); the server closes after reading the FIN (passive close). */
export function scenarioCloseActive(): ScenarioResult {
  const c = new Checks();
  const pair = new TcpPair({ seed: 31, delayMs: 1 });
  c.ok(pair.listen() && pair.connect(), 'established');
  pair.server.onFin = 'none';
  c.eq(pair.client.close(), ERR_OK, 'tcp_close');
  pair.net.run(50);
  c.eq(connStates(pair.a), 'FIN_WAIT_2', 'client half-closed');
  c.eq(connStates(pair.b), 'CLOSE_WAIT', 'server saw the FIN');
  c.ok(pair.server.gotFin, 'recv callback got the FIN (null pbuf)');
  c.eq(pair.server.close(), ERR_OK, 'server tcp_close');
  pair.net.run(50);
  c.eq(connStates(pair.a), 'TIME_WAIT', 'client in TIME_WAIT');
  c.eq(connStates(pair.b), '', 'server connection freed');
  c.ok(pair.runUntilQuiet(5000), 'TIME_WAIT over');
  c.eq(connPath(pair, 'A'), 'CLOSED>SYN_SENT>ESTABLISHED>FIN_WAIT_1>FIN_WAIT_2>TIME_WAIT>CLOSED', 'client path');
  c.ok(/ESTABLISHED>CLOSE_WAIT>LAST_ACK>CLOSED$/.test(connPath(pair, 'B')), 'server path ' + connPath(pair, 'B'));
  pair.closeListener();
  return done('closeActive', c, pair);
}

/** The server closes first: the client sees the FIN, closes in turn (passive close, LAST_ACK). */
export function scenarioClosePassive(): ScenarioResult {
  const c = new Checks();
  const pair = new TcpPair({ seed: 32, delayMs: 1 });
  c.ok(pair.listen() && pair.connect(), 'established');
  const data = testData(5000, 6);
  pair.server.closeWhenSent = true;
  pair.client.onFin = 'close';
  pair.server.send(data);
  c.ok(pair.net.runUntil(() => pair.client.gotFin, 2000), 'client got data then FIN');
  c.eq(pair.client.received, data.length, 'all data before the FIN');
  c.eq(pair.client.crc.hex(), crcOf(data), 'data intact');
  c.ok(pair.runUntilQuiet(5000), 'closed');
  c.ok(/ESTABLISHED>CLOSE_WAIT>LAST_ACK>CLOSED$/.test(connPath(pair, 'A')), 'client path ' + connPath(pair, 'A'));
  c.ok(/ESTABLISHED>FIN_WAIT_1>FIN_WAIT_2>TIME_WAIT>CLOSED$/.test(connPath(pair, 'B'))
    || /ESTABLISHED>FIN_WAIT_1>TIME_WAIT>CLOSED$/.test(connPath(pair, 'B')), 'server path ' + connPath(pair, 'B'));
  pair.closeListener();
  return done('closePassive', c, pair, {}, pair.client.received, pair.client.crc.hex());
}

/** Both ends close at the same moment: the FINs cross (RFC 9293 §3.6, Figure 13: CLOSING). */
export function scenarioCloseSimultaneous(): ScenarioResult {
  const c = new Checks();
  const pair = new TcpPair({ seed: 33, delayMs: 5 });
  c.ok(pair.listen() && pair.connect(), 'established');
  pair.client.onFin = 'none';
  pair.server.onFin = 'none';
  c.eq(pair.client.close(), ERR_OK, 'client close');
  c.eq(pair.server.close(), ERR_OK, 'server close');
  c.ok(pair.runUntilQuiet(5000), 'closed');
  c.ok(/ESTABLISHED>FIN_WAIT_1>CLOSING>TIME_WAIT>CLOSED$/.test(connPath(pair, 'A')), 'client path ' + connPath(pair, 'A'));
  c.ok(/ESTABLISHED>FIN_WAIT_1>CLOSING>TIME_WAIT>CLOSED$/.test(connPath(pair, 'B')), 'server path ' + connPath(pair, 'B'));
  pair.closeListener();
  return done('closeSimultaneous', c, pair);
}

/** tcp_abort: a RST goes out, the pcb is freed at once (no TIME_WAIT), the peer's tcp_err gets ERR_RST. */
export function scenarioCloseAbort(): ScenarioResult {
  const c = new Checks();
  const pair = new TcpPair({ seed: 34, delayMs: 1 });
  c.ok(pair.listen() && pair.connect(), 'established');
  pair.server.send(testData(3000, 7));
  pair.net.run(2);
  const pcb = pair.client.pcb;
  c.ok(pcb !== null, 'client pcb');
  if (pcb !== null) tcp_abort(pcb);
  c.eq(pair.client.errCode, ERR_ABRT, 'aborting side: tcp_err(ERR_ABRT)');
  c.eq(pair.a.tcp.pcbPool.stats.used, 0, 'client pcb freed at once');
  pair.net.run(50);
  c.eq(pair.server.errCode, ERR_RST, 'peer: tcp_err(ERR_RST)');
  c.eq(pair.server.pcb, null, 'peer pcb gone');
  c.ok(pair.runUntilQuiet(1000), 'no pcb left');
  c.eq(connPath(pair, 'A'), 'CLOSED>SYN_SENT>ESTABLISHED>CLOSED', 'client path');
  c.ok(/ESTABLISHED>CLOSED$/.test(connPath(pair, 'B')), 'server path ' + connPath(pair, 'B'));
  pair.closeListener();
  return done('closeAbort', c, pair);
}

/**
 * TIME_WAIT lasts 2 MSL (RFC 9293 §3.6.1); a FIN retransmitted into it is acknowledged again. The
 * client's last ACK is dropped once, so the server retransmits its FIN from LAST_ACK.
 */
export function scenarioTimeWait(): ScenarioResult {
  const c = new Checks();
  const pair = new TcpPair({ seed: 35, delayMs: 1, config: { TCP_MSL: 2000 } });
  c.ok(pair.listen() && pair.connect(), 'established');
  pair.server.onFin = 'none';
  c.eq(pair.client.close(), ERR_OK, 'client close');
  pair.net.run(20);
  // drop the next pure ACK from A (the one answering B's FIN)
  let dropped = 0;
  const macA = pair.net.driverOf(pair.a).mac;
  const remove = pair.net.wire.dropIf((buf, off, len) => {
    if (dropped > 0 || len < 54) return false;
    for (let i = 0; i < 6; i++) if (buf[off + 6 + i] !== macA[i]) return false;
    if (buf[off + 12] !== 0x08 || buf[off + 13] !== 0x00 || buf[off + 23] !== 6) return false;
    const t = off + 14 + (buf[off + 14] & 15) * 4;
    if (buf[t + 13] !== F_ACK) return false;
    dropped++;
    return true;
  });
  c.eq(pair.server.close(), ERR_OK, 'server close');
  c.ok(pair.net.runUntil(() => pair.b.tcp.pcbPool.stats.used === 0, 10000), 'server finished after retransmitting its FIN');
  remove();
  c.eq(dropped, 1, 'one ACK dropped');
  c.ok(pair.b.stats.tcp.xmit > 0, 'server sent');
  c.ok(pair.runUntilQuiet(10000), 'TIME_WAIT ended');
  const tw = pair.log.timeOf('A', 'TIME_WAIT');
  const closed = pair.log.records.filter((r) => r.stack === 'A' && r.from === 'TIME_WAIT' && r.to === 'CLOSED').map((r) => r.time)[0] ?? -1;
  const twMs = closed - tw;
  c.ok(tw >= 0 && closed > tw, 'client went through TIME_WAIT');
  // 2 MSL from the last FIN seen (the retransmission restarted the timer), never less than 2 MSL
  c.ok(twMs >= 4000, 'TIME_WAIT lasted at least 2 MSL: ' + twMs);
  c.ok(twMs <= 4000 + 1000 + 1000, 'TIME_WAIT ended within 2 MSL of the retransmitted FIN (+ a timer tick): ' + twMs);
  pair.closeListener();
  return done('timeWait', c, pair, { timeWaitMs: twMs });
}

/**
 * SO_REUSEADDR (RFC 9293 §3.6.1 note; seed 004): the server closes first, so its end of the old
 * connection sits in TIME_WAIT on port 80. Rebinding port 80 then fails with ERR_USE unless the new
 * pcb sets SOF_REUSEADDR, and a new connection to the rebound listener works.
 */
export function scenarioReuseAddr(): ScenarioResult {
  const c = new Checks();
  const pair = new TcpPair({ seed: 36, delayMs: 1, port: 80, config: { TCP_MSL: 5000 } });
  c.ok(pair.listen() && pair.connect(), 'first connection');
  pair.client.onFin = 'close';
  pair.server.close();
  pair.net.run(50);
  c.eq(connStates(pair.b), 'TIME_WAIT', 'server end in TIME_WAIT');
  pair.closeListener();
  const plain = tcp_new(pair.b);
  c.ok(plain !== null, 'tcp_new');
  if (plain !== null) {
    c.eq(tcp_bind(plain, 0, 80), ERR_USE, 'bind without SO_REUSEADDR: ERR_USE');
    tcp_close(plain);
  }
  const reuse = tcp_new(pair.b);
  let relisten: TcpPcb | null = null;
  const second = new TcpEnd('B2');
  if (reuse !== null) {
    ip_set_option(reuse, SOF_REUSEADDR);
    c.eq(tcp_bind(reuse, 0, 80), ERR_OK, 'bind with SO_REUSEADDR');
    relisten = tcp_listen(reuse);
    c.ok(relisten !== null, 'listen again on 80');
    if (relisten !== null) tcp_accept(relisten, (_a, np) => { if (np !== null) second.attach(np); return ERR_OK; });
  }
  const client2 = new TcpEnd('A2');
  const pcb2 = tcp_new(pair.a);
  if (pcb2 !== null) {
    client2.attach(pcb2);
    c.eq(tcp_connect(pcb2, IP_B, 80, client2.connectedFn), ERR_OK, 'second connect');
  }
  c.ok(pair.net.runUntil(() => client2.connected && second.pcb !== null, 3000), 'second connection established');
  c.eq(connStates(pair.b), 'ESTABLISHED,TIME_WAIT', 'new connection next to the old TIME_WAIT');
  const msg = testData(2000, 8);
  client2.closeWhenSent = true;
  client2.send(msg);
  c.ok(pair.net.runUntil(() => second.gotFin, 3000), 'second connection data + FIN');
  c.eq(second.crc.hex(), crcOf(msg), 'data intact');
  c.ok(pair.runUntilQuiet(20000), 'all closed');
  if (relisten !== null) tcp_close(relisten);
  return done('reuseAddr', c, pair, {}, second.received, second.crc.hex());
}

/**
 * RST handling: a SYN to a closed port is refused (RST, tcp_err ERR_RST at the client, RFC 9293
 * §3.10.7.1); against an established connection, RFC 5961 §3.2: a RST outside the window is ignored,
 * a RST inside the window but not at RCV.NXT draws a challenge ACK, a RST at RCV.NXT resets.
 */
export function scenarioRst(): ScenarioResult {
  const c = new Checks();
  const pair = new TcpPair({ seed: 37, delayMs: 1 });
  // 1. connection refused
  const pcb = tcp_new(pair.a);
  c.ok(pcb !== null, 'tcp_new');
  if (pcb !== null) {
    pair.client.attach(pcb);
    c.eq(tcp_connect(pcb, IP_B, 9, pair.client.connectedFn), ERR_OK, 'connect to closed port 9');
  }
  pair.net.run(50);
  c.eq(pair.client.errCode, ERR_RST, 'refused: tcp_err(ERR_RST)');
  c.eq(pair.a.tcp.pcbPool.stats.used, 0, 'refused pcb freed');

  // 2. RFC 5961 against a raw peer connected to B's listener
  c.ok(pair.listen(), 'listen');
  const peer = new RawPeer(pair.net.addRaw(), ip4Of('10.0.0.3'));
  const toB = { mac: pair.net.driverOf(pair.b).mac, ip: pair.b.netif.ip };
  const sport = 40000;
  const iss = 1000;
  peer.send(toB, { srcPort: sport, dstPort: 7, seq: iss, ack: 0, flags: F_SYN, win: 8192, options: [{ kind: 'mss', value: 1460 }] });
  pair.net.run(20);
  const synack = peer.takeAll().find((s) => (s.flags & (F_SYN | F_ACK)) === (F_SYN | F_ACK));
  c.ok(synack !== undefined, 'SYN-ACK from B');
  if (synack !== undefined) {
    const rcvNxtB = (iss + 1) >>> 0;   // what B expects from us
    const sndNxtB = (synack.seq + 1) >>> 0;
    peer.send(toB, { srcPort: sport, dstPort: 7, seq: rcvNxtB, ack: sndNxtB, flags: F_ACK, win: 8192 });
    pair.net.run(20);
    c.eq(pair.server.state(), 'ESTABLISHED', 'raw connection accepted');
    const wnd = 8192;
    // out of window: silently dropped
    peer.send(toB, { srcPort: sport, dstPort: 7, seq: (rcvNxtB + wnd + 5000) >>> 0, ack: 0, flags: F_RST, win: 8192 });
    pair.net.run(20);
    const afterOut = peer.takeAll();
    c.eq(pair.server.state(), 'ESTABLISHED', 'out-of-window RST ignored');
    c.eq(afterOut.length, 0, 'no answer to an out-of-window RST');
    // in window, not exact: challenge ACK (RFC 5961 §3.2)
    peer.send(toB, { srcPort: sport, dstPort: 7, seq: (rcvNxtB + 100) >>> 0, ack: 0, flags: F_RST, win: 8192 });
    pair.net.run(20);
    const challenge = peer.takeAll();
    c.eq(pair.server.state(), 'ESTABLISHED', 'in-window inexact RST does not reset');
    c.eq(challenge.map((s) => flagsText(s.flags) + ' ack=' + (s.ack - rcvNxtB)).join(' '), '. ack=0', 'one challenge ACK for RCV.NXT');
    // exact: reset
    peer.send(toB, { srcPort: sport, dstPort: 7, seq: rcvNxtB, ack: 0, flags: F_RST, win: 8192 });
    pair.net.run(20);
    c.eq(pair.server.errCode, ERR_RST, 'exact RST resets: tcp_err(ERR_RST)');
    c.eq(peer.takeAll().length, 0, 'no answer to a RST');
  }
  // 3. a segment for no connection draws a RST (RFC 9293 §3.10.7.1), a RST for none draws nothing
  peer.send(toB, { srcPort: 40001, dstPort: 7, seq: 5000, ack: 777, flags: F_ACK, win: 8192 });
  pair.net.run(20);
  const rst = peer.takeAll();
  c.eq(rst.map((s) => flagsText(s.flags) + ' seq=' + s.seq).join(' '), 'R seq=777', 'RST for a stray ACK carries seq = its ACK');
  peer.send(toB, { srcPort: 40002, dstPort: 7, seq: 5000, ack: 0, flags: F_RST, win: 8192 });
  pair.net.run(20);
  c.eq(peer.takeAll().length, 0, 'RST to nothing: no answer');
  pair.closeListener();
  c.ok(pair.runUntilQuiet(5000), 'quiet');
  return done('rst', c, pair, { rstSent: rst.length }, 0, '');
}

/** Eight connections at once from the client to one listener: parallel handshakes, transfers and closes. */
export function scenarioManyConnections(): ScenarioResult {
  const c = new Checks();
  const pair = new TcpPair({ seed: 38, delayMs: 1, jitterMs: 2 });
  const servers: TcpEnd[] = [];
  const lpcb = tcp_new(pair.b);
  c.ok(lpcb !== null && tcp_bind(lpcb, 0, 7) === ERR_OK, 'bind');
  const l = lpcb !== null ? tcp_listen(lpcb) : null;
  c.ok(l !== null, 'listen');
  if (l !== null) {
    tcp_accept(l, (_a, np) => {
      if (np === null) return ERR_OK;
      const e = new TcpEnd('B' + servers.length);
      e.attach(np);
      servers.push(e);
      return ERR_OK;
    });
  }
  const clients: TcpEnd[] = [];
  const n = 4;
  for (let i = 0; i < n; i++) {
    const e = new TcpEnd('A' + i);
    const p = tcp_new(pair.a);
    if (p === null) { c.ok(false, 'tcp_new ' + i); continue; }
    e.attach(p);
    c.eq(tcp_connect(p, IP_B, 7, e.connectedFn), ERR_OK, 'connect ' + i);
    clients.push(e);
  }
  c.ok(pair.net.runUntil(() => servers.length === n && clients.every((e) => e.connected), 3000), 'all established');
  c.eq(connStates(pair.a), 'ESTABLISHED,ESTABLISHED,ESTABLISHED,ESTABLISHED', 'client table');
  const data: Uint8Array[] = [];
  for (let i = 0; i < clients.length; i++) {
    data.push(testData(10000 + i * 777, 100 + i));
    clients[i].closeWhenSent = true;
    clients[i].send(data[i]);
  }
  c.ok(pair.net.runUntil(() => servers.every((s) => s.gotFin), 10000), 'all data and FINs');
  let total = 0;
  let digest = '';
  // servers are in accept order; match them to clients by byte count
  for (let i = 0; i < clients.length; i++) {
    const s = servers.find((e) => e.received === data[i].length);
    c.ok(s !== undefined && s.crc.hex() === crcOf(data[i]), 'connection ' + i + ' intact');
    total += data[i].length;
    digest += crcOf(data[i]);
  }
  c.ok(pair.runUntilQuiet(10000), 'all closed');
  if (l !== null) tcp_close(l);
  return finish('manyConnections', c, {
    labels: LABELS, stacks: [pair.a, pair.b], now: pair.net.now, bytes: total, digest, log: pair.log,
  });
}
