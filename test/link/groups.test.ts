/**
 * IPv4 multicast group membership on the interface (RFC 1112 level 1, receive only): joins are
 * counted per group (lwIP's igmp_group use count), the driver's hardware filter hears of a group
 * when the first join arrives and when the last leave matches it, with the group's Ethernet address
 * 01:00:5e + the low 23 bits of the group (RFC 1112 §6.4); at most IP_MAX_GROUPS groups.
 */
import assert from 'node:assert/strict';
import { MockNet } from '../../tools/mocknet.js';
import { ERR_OK, ERR_MEM, ERR_VAL } from '../../src/core/err.js';
import { ip4Of } from '../../src/core/ip4addr.js';
import { assertPoolsFull } from '../helpers/pools.js';

describe('netif multicast groups', () => {
  it('counts joins per group, filters on the first join and the last leave, and refuses a group too many', () => {
    const net = new MockNet({ seed: 8 });
    const s = net.addStack({ ip: '10.9.0.1/24', name: 's', config: { IP_MAX_GROUPS: 2 } });
    const calls: string[] = [];
    const drv = s.netif.driver as { setMulticastFilter?: (mac: Uint8Array, add: boolean) => void };
    drv.setMulticastFilter = (mac, add) => { calls.push((add ? '+' : '-') + [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':')); };
    const mdns = ip4Of('224.0.0.251');
    const other = ip4Of('239.255.1.2');
    const third = ip4Of('239.0.0.3');
    assert.equal(s.netif.setGroup(ip4Of('10.9.0.7'), true), ERR_VAL, 'not a multicast address');
    assert.equal(s.netif.setGroup(mdns, true), ERR_OK);
    assert.equal(s.netif.setGroup(mdns, true), ERR_OK, 'a second user of the group');
    assert.equal(s.netif.setGroup(other, true), ERR_OK);
    assert.equal(s.netif.setGroup(third, true), ERR_MEM, 'IP_MAX_GROUPS joined');
    assert.deepEqual([s.netif.inGroup(mdns), s.netif.inGroup(other), s.netif.inGroup(third)], [true, true, false]);
    assert.equal(s.netif.setGroup(mdns, false), ERR_OK);
    assert.equal(s.netif.inGroup(mdns), true, 'the other user still holds it');
    assert.equal(s.netif.setGroup(mdns, false), ERR_OK);
    assert.equal(s.netif.inGroup(mdns), false);
    assert.equal(s.netif.setGroup(third, true), ERR_OK, 'the freed slot is reused');
    assert.deepEqual(calls, ['+01:00:5e:00:00:fb', '+01:00:5e:7f:01:02', '-01:00:5e:00:00:fb', '+01:00:5e:00:00:03']);
    assertPoolsFull(s);
  });
});
