/**
 * DNS resolver and mDNS responder scenarios against the fake LAN (RFC 1035, RFC 5452, RFC 6762).
 */
import { MockNet } from '../../tools/mocknet.js';
import { ERR_OK, ERR_INPROGRESS, ERR_ARG } from '../../src/core/err.js';
import { ip4ToString } from '../../src/core/ip4addr.js';
import { dns_gethostbyname, dns_setserver, dns_resolver, DnsAddr } from '../../src/apps/dns/api.js';
import { mdns_start, mdns_stop, mdns_responder } from '../../src/apps/mdns/responder.js';
import { Checks, finish, type ScenarioResult } from './common.js';
import { LanServer, SERVER_IP } from './lan_server.js';
import { ip } from '../helpers/frames.js';

export function scenarioDns(): ScenarioResult {
  const c = new Checks();
  const net = new MockNet({ seed: 71, stepMs: 10, delayMs: 1 });
  const srv = new LanServer(net);
  // the first server does not exist: every query fails over to the second
  const a = net.addStack({ ip: '10.0.0.2/24', name: 'A', dns: ['10.0.0.9', '10.0.0.1'] });
  srv.records['host.lan'] = { a: ip('10.0.0.20'), ttl: 5 };
  srv.records['www.lan'] = { cname: 'web.lan' };
  srv.records['web.lan'] = { cname: 'Host2.LAN' };
  srv.records['host2.lan'] = { a: ip('10.0.0.21') };
  const res = dns_resolver(a);
  const st = res.stats;
  const got: string[] = [];
  const cb = (name: string, addr: number) => { got.push(name + '=' + ip4ToString(addr) + '@' + net.now); };
  const out = new DnsAddr();
  c.eq(dns_gethostbyname(a, '192.168.7.9', out, cb), ERR_OK, 'a literal answers at once');
  c.eq(out.addr, ip('192.168.7.9'), 'literal address');
  c.eq(dns_gethostbyname(a, 'host.lan', out, cb), ERR_INPROGRESS, 'a query starts');
  c.eq(dns_gethostbyname(a, 'host.lan', out, cb), ERR_INPROGRESS, 'a second caller joins it');
  c.ok(net.runUntil(() => got.length === 2, 10000), 'both callbacks');
  c.eq(got[0].split('@')[0], 'host.lan=10.0.0.20', 'A record');
  // 1 s + 2 s on the dead server, then the second answers
  const t = Number(got[0].split('@')[1]);
  c.ok(t >= 3000 && t < 3200, 'failover after 2 tries (1 s + 2 s): ' + t);
  c.eq(st.failovers, 1, 'one failover');
  c.eq(dns_gethostbyname(a, 'HOST.lan', out, cb), ERR_OK, 'cached (case-insensitive)');
  c.eq(out.addr, ip('10.0.0.20'), 'cached address');
  c.eq(st.cacheHits, 1, 'cache hit counted');
  net.run(5100);
  c.eq(dns_gethostbyname(a, 'host.lan', out, cb), ERR_INPROGRESS, 'TTL 5 s expired: asked again');
  dns_setserver(a, 0, 0);
  c.ok(net.runUntil(() => got.length === 3, 5000), 'answered again');
  c.eq(dns_gethostbyname(a, 'www.lan', out, cb), ERR_INPROGRESS, 'CNAME query');
  c.ok(net.runUntil(() => got.length === 4, 5000), 'CNAME answered');
  c.eq(got[3].split('@')[0], 'www.lan=10.0.0.21', 'www.lan → web.lan → Host2.LAN → A');
  c.eq(dns_gethostbyname(a, 'nope.lan', out, cb), ERR_INPROGRESS, 'NXDOMAIN query');
  c.ok(net.runUntil(() => got.length === 5, 5000), 'NXDOMAIN answered');
  c.eq(got[4].split('@')[0], 'nope.lan=0.0.0.0', 'not found');
  c.eq(dns_gethostbyname(a, 'bad..name', out, cb), ERR_ARG, 'bad name refused');
  // hostile answers: each is counted and dropped; the query fails after its tries
  const modes: ['badid' | 'spoof' | 'truncated' | 'loop' | 'shortAnswer', keyof typeof st][] = [
    ['badid', 'badId'], ['spoof', 'badSource'], ['truncated', 'truncated'], ['loop', 'malformed'], ['shortAnswer', 'malformed'],
  ];
  let n = got.length;
  for (const [mode, counter] of modes) {
    srv.dnsMode = mode;
    const before = st[counter];
    res.flushCache();
    c.eq(dns_gethostbyname(a, 'host2.lan', out, cb), ERR_INPROGRESS, mode + ': query');
    c.ok(net.runUntil(() => got.length === n + 1, 10000), mode + ': the query ends');
    n = got.length;
    c.eq(got[n - 1].split('@')[0], 'host2.lan=0.0.0.0', mode + ': not resolved');
    c.ok(st[counter] > before, mode + ': counted in ' + String(counter));
  }
  srv.dnsMode = 'answer';
  c.eq(dns_gethostbyname(a, 'host2.lan', out, cb), ERR_INPROGRESS, 'good again');
  c.ok(net.runUntil(() => got.length === n + 1, 5000) && got[n].startsWith('host2.lan=10.0.0.21'), 'resolved after the attacks');
  // RFC 5452: ids and ports vary
  const ports = new Set(srv.queryPorts);
  const ids = new Set(srv.queryIds);
  c.ok(ports.size >= srv.queryPorts.length - 1, 'a fresh source port per query: ' + ports.size + '/' + srv.queryPorts.length);
  c.ok(ids.size >= srv.queryIds.length - 1, 'a fresh id per query: ' + ids.size + '/' + srv.queryIds.length);
  res.stop();
  net.run(100);
  return finish('dns', c, {
    labels: ['A'], stacks: [a], now: net.now,
    extra: { got: got.join(' '), stats: JSON.stringify(st), queries: srv.dnsQueries },
  });
}

export function scenarioMdns(): ScenarioResult {
  const c = new Checks();
  const net = new MockNet({ seed: 72, stepMs: 10, delayMs: 1 });
  const srv = new LanServer(net);
  const a = net.addStack({ ip: '10.0.0.2/24', name: 'A', hostname: 'xs-tcp' });
  const r = mdns_responder(a);
  const st = r.stats;
  c.eq(mdns_start(a), ERR_OK, 'mdns_start');
  c.ok(net.runUntil(() => r.stateName === 'RUNNING', 5000), 'running');
  net.run(50);
  const probes = srv.mdnsSeen.filter((m) => m.probe);
  const ann = srv.mdnsSeen.filter((m) => !m.probe);
  c.eq(probes.length, 3, 'three probes (§8.1)');
  c.ok(probes[1].time - probes[0].time === 250 && probes[2].time - probes[1].time === 250, 'probes 250 ms apart');
  c.eq(ann.length, 2, 'two announcements (§8.3)');
  c.ok(ann[1].time - ann[0].time === 1000, 'announcements 1 s apart');
  c.eq(ann[0].name + '=' + ip4ToString(ann[0].addr), 'xs-tcp.local=10.0.0.2', 'announced record');
  net.run(1500);
  // a multicast query, answered by multicast; a second within 1 s is rate-limited (§6)
  let seen = srv.mdnsSeen.length;
  srv.mdnsQuery('XS-TCP.local', 5353, false);
  net.run(100);
  c.eq(srv.mdnsSeen.length, seen + 1, 'multicast answer');
  c.ok(!srv.mdnsSeen[seen].unicast, 'sent to 224.0.0.251');
  srv.mdnsQuery('xs-tcp.local', 5353, false);
  net.run(100);
  c.eq(srv.mdnsSeen.length, seen + 1, 'second answer within 1 s held back');
  c.eq(st.rateLimited, 1, 'rate limit counted');
  srv.mdnsQuery('other.local', 5353, false);
  net.run(100);
  c.eq(srv.mdnsSeen.length, seen + 1, 'other names not answered');
  // QU (§5.4) and legacy unicast (§6.7)
  srv.mdnsQuery('xs-tcp.local', 5353, true);
  net.run(100);
  c.ok(srv.mdnsSeen.length === seen + 2 && srv.mdnsSeen[seen + 1].unicast, 'QU question answered by unicast');
  srv.mdnsQuery('xs-tcp.local', 40000, false, 0x1234);
  net.run(100);
  c.ok(srv.mdnsSeen.length === seen + 3 && srv.mdnsSeen[seen + 2].unicast && srv.mdnsSeen[seen + 2].id === 0x1234,
    'legacy query answered by unicast with its id');
  // a flood of legacy queries: at most 8 unicast answers a second
  net.run(1000);
  const flood0 = srv.mdnsSeen.length;
  const rl0 = st.rateLimited;
  for (let i = 0; i < 30; i++) srv.mdnsQuery('xs-tcp.local', 40001, false, i);
  net.run(100);
  c.eq(srv.mdnsSeen.length - flood0, 8, 'unicast answers to a query flood bounded');
  c.eq(st.rateLimited - rl0, 22, 'the rest counted');
  net.run(1000);
  seen = srv.mdnsSeen.length;
    // another host claims the name: probe again, it answers the probes: rename to xs-tcp-2
  srv.mdnsOwn = { name: 'xs-tcp.local', addr: ip('10.0.0.77') };
  srv.mdnsClaim('xs-tcp.local', ip('10.0.0.77'), false);
  c.ok(net.runUntil(() => r.name === 'xs-tcp-2' && r.stateName === 'RUNNING', 10000), 'renamed to xs-tcp-2 and running');
  net.run(50);
  c.eq(a.hostname, 'xs-tcp-2', 'the stack hostname follows');
  c.ok(st.conflicts >= 2, 'conflicts counted: ' + st.conflicts);
  seen = srv.mdnsSeen.length;
  net.run(1100);
  srv.mdnsQuery('xs-tcp-2.local', 5353, false);
  net.run(100);
  c.ok(srv.mdnsSeen.length === seen + 1 && srv.mdnsSeen[seen].name === 'xs-tcp-2.local', 'answers for the new name');
  // simultaneous probe from a host with a greater address (§8.2): we lose the tie and wait 1 s
  a.linkChanged(false); a.linkChanged(true);
  c.ok(net.runUntil(() => r.stateName === 'PROBING' && srv.mdnsSeen.length > seen + 1, 1000), 'probing on link-up');
  srv.mdnsClaim('xs-tcp-2.local', ip('10.0.0.200'), true);
  net.run(100);
  c.eq(st.lostTieBreaks, 1, 'tie-break lost to the greater address');
  c.ok(net.runUntil(() => r.stateName === 'RUNNING', 10000), 'running again after the tie-break');
  c.eq(r.name, 'xs-tcp-2', 'name kept (the other host did not claim it)');
  // malformed: a compression loop in a question
  const bad = new Uint8Array([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
  const m0 = st.malformed;
  srv.sendUdp(new Uint8Array([1, 0, 0x5e, 0, 0, 0xfb]), 0xe00000fb, 5353, 5353, bad, SERVER_IP);
  net.run(50);
  c.eq(st.malformed, m0 + 1, 'compression loop counted as malformed');
  mdns_stop(a);
  net.run(100);
  return finish('mdns', c, {
    labels: ['A'], stacks: [a], now: net.now,
    extra: { stats: JSON.stringify(st), seen: srv.mdnsSeen.map((m) => (m.probe ? 'probe ' : '') + m.name + '@' + m.time).join(' ') },
  });
}
