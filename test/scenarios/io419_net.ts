/**
 * The ECMA-419 socket classes with the stack's network services: a TCP `host` name resolved by the
 * stack's DNS resolver against a mock DNS server (RFC 1035), a name that does not resolve (onError,
 * from the stack's next run, never inside the constructor), a close while the name is still being
 * looked up; UDP multicast add/remove (RFC 1112 host group membership, receive side), a group
 * shared by two sockets. Every scenario
 * ends with all pools of every stack back to full.
 */
import { MockNet } from '../../tools/mocknet.js';
import type { Stack } from '../../src/api/stack.js';
import { dns_resolver } from '../../src/apps/dns/api.js';
import { TCP, Listener, UDP } from '../../src/io/index.js';
import { Checks, finish, type ScenarioResult } from './common.js';
import { LanServer } from './lan_server.js';
import { ip } from '../helpers/frames.js';

function pcbsFree(stacks: Stack[]): boolean {
  for (const s of stacks) {
    if (s.tcp.pcbPool.stats.used !== 0 || s.tcp.listenPool.stats.used !== 0) return false;
  }
  return true;
}

export function scenarioIoHost(): ScenarioResult {
  const c = new Checks();
  const net = new MockNet({ seed: 91, stepMs: 10, delayMs: 1 });
  const srv = new LanServer(net);
  const cfg = { TCP_MSL: 500 };
  const a = net.addStack({ ip: '10.0.0.2/24', name: 'A', dns: ['10.0.0.1'], config: cfg });
  const b = net.addStack({ ip: '10.0.0.3/24', name: 'B', config: cfg });
  srv.records['peer.lan'] = { a: ip('10.0.0.3'), ttl: 60 };
  const accepted: TCP[] = [];
  const listener = new Listener({
    stack: b, port: 7,
    onReadable(this: Listener, n: number) { while (n--) accepted.push(new TCP({ from: this.read() as TCP })); },
  });
  const events: string[] = [];
  let inside = false;
  const client = (host: string, tag: string): TCP => {
    inside = true;
    const t = new TCP({
      stack: a, host, port: 7,
      onWritable(this: TCP) { events.push(tag + ':writable ' + this.remoteAddress + (inside ? ' inside' : '')); },
      onError() { events.push(tag + ':error' + (inside ? ' inside' : '')); },
    });
    inside = false;
    return t;
  };
  // a literal is used at once: no query
  const lit = client('10.0.0.3', 'literal');
  c.ok(net.runUntil(() => events.length === 1, 5000), 'literal host connects');
  c.eq(events[0], 'literal:writable 10.0.0.3', 'literal host: onWritable from the stack, remote address');
  c.eq(srv.dnsQueries, 0, 'a literal asks no server');
  // a name: asked, then connected
  const named = client('peer.lan', 'named');
  c.eq(events.length, 1, 'nothing happens inside the constructor');
  c.eq(named.remoteAddress, undefined, 'no remote address while resolving');
  c.ok(net.runUntil(() => events.length === 2, 5000), 'named host connects');
  c.eq(events[1], 'named:writable 10.0.0.3', 'name resolved by the mock DNS server, connected');
  c.eq(srv.dnsQueries, 1, 'one query');
  // the answer is cached (TTL 60 s): the next one connects without asking
  const cached = client('PEER.lan', 'cached');
  c.ok(net.runUntil(() => events.length === 3, 5000), 'cached host connects');
  c.eq(events[2], 'cached:writable 10.0.0.3', 'cached answer');
  c.eq(srv.dnsQueries, 1, 'no second query');
  // NXDOMAIN: onError, and the instance is closed
  const nx = client('nope.lan', 'nx');
  c.ok(net.runUntil(() => events.length === 4, 10000), 'not found is reported');
  c.eq(events[3], 'nx:error', 'not found: onError (deferred)');
  let closedMsg = '';
  try { nx.write(new Uint8Array(1)); } catch (e) { closedMsg = (e as Error).message; }
  c.ok(closedMsg !== '' && closedMsg !== 'not connected', 'the instance is closed after onError: ' + closedMsg);
  // an invalid name fails in the resolver at once: still onError from the stack's next run
  const bad = client('bad..name', 'bad');
  c.eq(events.length, 4, 'no callback inside the constructor for an invalid name');
  c.ok(net.runUntil(() => events.length === 5, 5000), 'invalid name reported');
  c.eq(events[4], 'bad:error', 'invalid name: onError (deferred)');
  // the server stays silent: the resolver gives up, onError
  srv.dnsMode = 'silent';
  const silent = client('mute.lan', 'silent');
  c.ok(net.runUntil(() => events.length === 6, 60000), 'resolver timeout reported');
  c.eq(events[5], 'silent:error', 'no answer: onError');
  // closed while resolving: no callback later, the pcb is freed at once
  const gone = client('late.lan', 'gone');
  gone.close();
  srv.dnsMode = 'answer';
  srv.records['late.lan'] = { a: ip('10.0.0.3') };
  net.run(30000);
  c.eq(events.length, 6, 'no callback after close');
  lit.close(); named.close(); cached.close(); bad.close(); silent.close(); nx.close();
  for (const t of accepted) t.close();
  listener.close();
  c.ok(net.runUntil(() => pcbsFree([a, b]), 20000), 'all pcbs freed');
  dns_resolver(a).stop();
  net.run(100);
  return finish('io419Host', c, {
    labels: ['A', 'B'], stacks: [a, b], now: net.now,
    extra: { events: events.join(' | '), queries: srv.dnsQueries, accepted: accepted.length },
  });
}

export function scenarioIoMulticast(): ScenarioResult {
  const c = new Checks();
  const net = new MockNet({ seed: 92, stepMs: 10, delayMs: 1 });
  const a = net.addStack({ ip: '10.0.0.1/24', name: 'A' });
  const b = net.addStack({ ip: '10.0.0.2/24', name: 'B' });
  const GROUP = '239.1.2.3';
  const got: string[] = [];
  const rx = new UDP({
    stack: a, port: 4000,
    onReadable(this: UDP, n: number) {
      while (n--) {
        const p = this.read() as ArrayBuffer & { address: string; port: number };
        got.push(p.byteLength + '@' + p.address);
      }
    },
  });
  const tx = new UDP({ stack: b });
  const send = (len: number): void => { tx.write(new Uint8Array(len), GROUP, 4000); net.run(50); };
  send(10);
  c.eq(got.length, 0, 'not a member: the datagram is not delivered');
  rx.add(GROUP);
  rx.add(GROUP);
  send(11);
  c.eq(got.join(' '), '11@10.0.0.2', 'member: delivered, sender attached');
  send(12);
  c.eq(got.length, 2, 'again');
  rx.remove(GROUP);
  c.ok(!a.netif.inGroup(ip(GROUP)), 'the interface left the group');
  send(13);
  c.eq(got.length, 2, 'left: not delivered');
  // a unicast datagram still arrives (membership changes nothing else)
  tx.write(new Uint8Array(14), '10.0.0.1', 4000);
  net.run(50);
  c.eq(got.length, 3, 'unicast still delivered');
  // two sockets share the group: one leaving keeps it for the other (joins are counted)
  const other = new UDP({ stack: a, port: 4001 });
  other.add(GROUP);
  rx.add(GROUP);
  other.remove(GROUP);
  c.ok(a.netif.inGroup(ip(GROUP)), 'a shared group stays joined when one socket leaves');
  send(15);
  c.eq(got[got.length - 1], '15@10.0.0.2', 'still delivered to the socket that stayed');
  other.close();
  rx.close();
  c.ok(!a.netif.inGroup(ip(GROUP)), 'close leaves the group');
  tx.close();
  net.run(100);
  return finish('io419Multicast', c, {
    labels: ['A', 'B'], stacks: [a, b], now: net.now,
    extra: { got: got.join(' ') },
  });
}
