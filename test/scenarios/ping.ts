/**
 * ARP + ICMP echo between two stacks, no TCP: the first request waits in the ARP queue while the
 * address is resolved (RFC 826), then each echo request gets its reply (RFC 792); one large echo
 * fills a whole Ethernet frame.
 */
import { MockNet } from '../../tools/mocknet.js';
import { ip4Of } from '../../src/core/ip4addr.js';
import { ERR_OK } from '../../src/core/err.js';
import { Checks, finish, hex32, type ScenarioResult } from './common.js';

export function scenarioPingArp(): ScenarioResult {
  const c = new Checks();
  const net = new MockNet({ seed: 11, delayMs: 1 });
  const a = net.addStack({ ip: '10.0.0.1/24', name: 'A' });
  const b = net.addStack({ ip: '10.0.0.2/24', name: 'B' });
  const replies: string[] = [];
  let replyBytes = 0;
  let h = 0x811c9dc5;
  a.onEchoReply = (src, id, seq, len) => {
    replies.push(hex32(src) + '/' + id + '/' + seq + '/' + len + '@' + net.now);
    replyBytes += len;
    // FNV-1a over (seq, len): the order and sizes of the replies
    h = Math.imul(h ^ (seq & 0xff), 0x01000193) >>> 0;
    h = Math.imul(h ^ (len & 0xff), 0x01000193) >>> 0;
  };
  const sizes = [56, 56, 56, 0, 1472];
  for (let i = 0; i < sizes.length; i++) {
    c.eq(a.ping('10.0.0.2', 0x4242, i + 1, sizes[i]), ERR_OK, 'ping ' + (i + 1) + ' accepted');
    net.run(20);
  }
  net.run(100);
  c.eq(replies.length, sizes.length, 'echo replies');
  c.ok(a.arp.lookup(ip4Of('10.0.0.2')) !== null, 'A resolved B');
  c.ok(b.arp.lookup(ip4Of('10.0.0.1')) !== null, 'B learned A from the ARP request');
  c.eq(b.stats.icmp.recv, sizes.length, 'B received echo requests');
  return finish('pingArp', c, {
    labels: ['A', 'B'], stacks: [a, b], now: net.now, bytes: replyBytes, digest: hex32(h),
    extra: { replies: replies.join(' ') },
  });
}
