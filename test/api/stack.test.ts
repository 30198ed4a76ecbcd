import assert from 'node:assert/strict';
import { MockNet, MockWire, MockDriver, VirtualClock } from '../../tools/mocknet.js';
import { Stack } from '../../src/api/stack.js';
import { ConfigError } from '../../src/core/config.js';
import { ERR_OK } from '../../src/core/err.js';
import { SeededRandom } from '../../src/core/random.js';
import { ip4FromString } from '../../src/core/ip4addr.js';
import * as api from '../../src/index.js';
import { assertPoolsFull } from '../helpers/pools.js';
import { BCAST, arp, eth, ip, ipv4, icmpEcho, pattern } from '../helpers/frames.js';

function halWith(mac: Uint8Array, mtu = 1500) {
  const clock = new VirtualClock(0);
  const wire = new MockWire({ clock });
  const driver = new MockDriver(wire, mac, mtu);
  return { driver, clock, random: new SeededRandom(1) };
}

const GOOD_MAC = new Uint8Array([2, 0, 0, 0, 0, 1]);

describe('Stack', () => {
  it('parses the address options: prefix in the ip, netmask as text, number or prefix, gateway', () => {
    const s1 = new Stack(halWith(GOOD_MAC), { ip: '192.168.7.20/20', gateway: '192.168.0.1' });
    assert.equal(s1.netif.ip, ip('192.168.7.20'));
    assert.equal(s1.netif.netmask, ip('255.255.240.0'));
    assert.equal(s1.netif.gw, ip('192.168.0.1'));
    const s2 = new Stack(halWith(GOOD_MAC), { ip: '10.1.2.3', netmask: '255.0.0.0' });
    assert.equal(s2.netif.netmask, 0xff000000);
    const s3 = new Stack(halWith(GOOD_MAC), { ip: ip('10.1.2.3'), netmask: 16 });
    assert.equal(s3.netif.netmask, 0xffff0000);
    const s4 = new Stack(halWith(GOOD_MAC), { ip: '10.1.2.3' });
    assert.equal(s4.netif.netmask, 0xffffff00, 'default /24');
    assertPoolsFull(s1, s2, s3, s4);
  });

  it('rejects bad MACs, addresses, netmasks, gateways and config with ConfigError', () => {
    const bad: [Uint8Array, object][] = [
      [new Uint8Array([1, 0, 0, 0, 0, 1]), { ip: '10.0.0.1' }], // group MAC
      [new Uint8Array(6), { ip: '10.0.0.1' }], // all zeros
      [new Uint8Array(5), { ip: '10.0.0.1' }], // short
      [GOOD_MAC, { ip: '10.0.0.256' }],
      [GOOD_MAC, { ip: '224.0.0.1' }],
      [GOOD_MAC, { ip: '127.0.0.1' }],
      [GOOD_MAC, { ip: '10.0.0.1/33' }],
      [GOOD_MAC, { ip: '10.0.0.0/24' }], // network address
      [GOOD_MAC, { ip: '10.0.0.255/24' }], // broadcast address
      [GOOD_MAC, { ip: '10.0.0.1', netmask: '255.0.255.0' }],
      [GOOD_MAC, { ip: '10.0.0.1/24', gateway: '10.0.1.1' }], // off-subnet gateway
      [GOOD_MAC, { ip: '10.0.0.1/24', gateway: '10.0.0.1' }],
      [GOOD_MAC, { ip: '10.0.0.1', config: { ARP_TABLE_SIZE: 0 } }],
      [GOOD_MAC, { ip: '10.0.0.1', config: { NO_SUCH_KEY: 1 } }],
    ];
    for (const [mac, opts] of bad) {
      assert.throws(() => new Stack(halWith(mac), opts as { ip: string }), ConfigError, JSON.stringify(opts));
    }
    assert.throws(() => new Stack(halWith(GOOD_MAC, 500), { ip: '10.0.0.1' }), ConfigError);
  });

  it('takes the smaller of the driver MTU and the configured MTU', () => {
    const s = new Stack(halWith(GOOD_MAC, 1280), { ip: '10.0.0.1' });
    assert.equal(s.netif.mtu, 1280);
    assert.equal(new Stack(halWith(GOOD_MAC, 9000), { ip: '10.0.0.1' }).netif.mtu, 1500);
    assertPoolsFull(s);
  });

  it('counts and drops frames that are too short, too long, or arrive with the pool empty', () => {
    const net = new MockNet({ seed: 31 });
    const a = net.addStack({ ip: '10.0.0.1/24', name: 'A', config: { PBUF_POOL_SIZE: 8 } });
    a.netif.receiveFrame(new Uint8Array(10), 0, 10);
    a.netif.receiveFrame(new Uint8Array(1700), 0, 1700);
    assert.equal(a.stats.link.lenerr, 2);
    // hold every pool pbuf: the next frame finds none
    const held = [];
    for (;;) { const p = a.core.pbufs.allocRx(100); if (p === null) break; held.push(p); }
    const f = eth(a.netif.mac, GOOD_MAC, 0x0800, ipv4({ src: ip('10.0.0.9'), dst: ip('10.0.0.1'), proto: 1 }, icmpEcho(8, 1, 1, pattern(8))));
    a.netif.receiveFrame(f, 0, f.length);
    assert.equal(a.stats.link.memerr, 1);
    assert.equal(a.stats.link.drop, 3);
    for (const p of held) api.pbuf_free(p);
    assertPoolsFull(a);
  });

  it('drops unicast frames for other MACs and unknown EtherTypes', () => {
    const net = new MockNet({ seed: 32 });
    const a = net.addStack({ ip: '10.0.0.1/24', name: 'A' });
    const other = new Uint8Array([2, 9, 9, 9, 9, 9]);
    const f1 = eth(other, GOOD_MAC, 0x0806, arp(1, GOOD_MAC, ip('10.0.0.5'), new Uint8Array(6), ip('10.0.0.1')));
    a.netif.receiveFrame(f1, 0, f1.length);
    const f2 = eth(a.netif.mac, GOOD_MAC, 0x86dd, new Uint8Array(40));
    a.netif.receiveFrame(f2, 0, f2.length);
    const f3 = eth(BCAST, GOOD_MAC, 0x88cc, new Uint8Array(40));
    a.netif.receiveFrame(f3, 0, f3.length);
    assert.equal(a.stats.link.recv, 3);
    assert.equal(a.stats.link.drop, 3);
    assert.equal(a.stats.link.proterr, 2);
    assert.equal(a.stats.etharp.recv, 0);
    assertPoolsFull(a);
  });

  it('receiveFrame copies the frame: the driver may reuse its buffer at once', () => {
    const net = new MockNet({ seed: 33 });
    const a = net.addStack({ ip: '10.0.0.1/24', name: 'A' });
    const b = net.addStack({ ip: '10.0.0.2/24', name: 'B' });
    const buf = new Uint8Array(200);
    const mac = new Uint8Array([2, 0x77, 0, 0, 0, 5]);
    const f = eth(BCAST, mac, 0x0806, arp(1, mac, ip('10.0.0.5'), new Uint8Array(6), ip('10.0.0.1')));
    buf.set(f, 50);
    a.netif.receiveFrame(buf, 50, f.length);
    buf.fill(0);
    assert.deepEqual(Array.from(a.arp.lookup(ip('10.0.0.5'))!), Array.from(mac));
    net.run(5);
    assertPoolsFull(a, b);
  });

  it('pools() lists every pool, including the TCP layer\'s', () => {
    const net = new MockNet({ seed: 34 });
    const a = net.addStack({ ip: '10.0.0.1/24', name: 'A' });
    const names = a.pools().map((p) => p.name);
    for (const n of ['pbuf_pool', 'pbuf_ref', 'arp_queue', 'udp_pcb']) assert.ok(names.includes(n), n);
    assert.equal(names.length, 4 + a.tcp.pools().length);
    assert.equal(a.pools()[0].stats.avail, a.core.config.PBUF_POOL_SIZE);
    assertPoolsFull(a);
  });

  it('assertPoolsFull names the leaking pool', () => {
    const net = new MockNet({ seed: 35 });
    const a = net.addStack({ ip: '10.0.0.1/24', name: 'A' });
    const p = a.core.pbufs.alloc(api.PBUF_RAW, 10)!;
    assert.throws(() => assertPoolsFull(a), /A\.pbuf_pool: 1 of 48/);
    api.pbuf_free(p);
    assertPoolsFull(a);
  });

  it('tick() keeps core.now and drives the timers; setAddress re-announces', () => {
    const net = new MockNet({ seed: 36 });
    const a = net.addStack({ ip: '10.0.0.1/24', name: 'A' });
    const spy = net.addRaw();
    net.run(1234);
    assert.equal(a.core.now, 1234);
    assert.equal(a.setAddress(ip('10.0.1.1'), 0xffffff00, ip('10.0.1.254')), ERR_OK);
    net.run(5);
    const f = spy.frames.map((x) => x);
    assert.equal(f.length, 1, 'one gratuitous ARP for the new address');
    assert.equal(((f[0][28] << 24) | (f[0][29] << 16) | (f[0][30] << 8) | f[0][31]) >>> 0, ip('10.0.1.1'));
    assert.equal(a.ip.route(ip('8.8.8.8')), ip('10.0.1.254'));
    assertPoolsFull(a);
  });

  it('setAddress refuses what the constructor refuses (ERR_VAL), and keeps the old addresses', () => {
    const net = new MockNet({ seed: 37 });
    const a = net.addStack({ ip: '10.0.0.1/24', gateway: '10.0.0.254', name: 'A' });
    const bad: [string, string, string][] = [
      ['127.0.0.1', '255.0.0.0', '0.0.0.0'],          // loopback
      ['224.0.0.5', '255.255.255.0', '0.0.0.0'],      // multicast
      ['10.0.1.0', '255.255.255.0', '0.0.0.0'],       // the subnet's network address
      ['10.0.1.255', '255.255.255.0', '0.0.0.0'],     // its broadcast address
      ['10.0.1.1', '255.0.255.0', '0.0.0.0'],         // netmask not contiguous
      ['10.0.1.1', '255.255.255.0', '10.0.2.1'],      // gateway off the subnet
      ['10.0.1.1', '255.255.255.0', '10.0.1.1'],      // gateway is us
    ];
    for (const [i, m, g] of bad) {
      assert.throws(() => new Stack(halWith(GOOD_MAC), { ip: i, netmask: m, gateway: g }), ConfigError, i + ' ' + m + ' ' + g);
      assert.equal(a.setAddress(ip(i), ip(m), ip(g)), api.ERR_VAL, i + ' ' + m + ' ' + g);
    }
    assert.equal(a.netif.ip, ip('10.0.0.1'));
    assert.equal(a.netif.gw, ip('10.0.0.254'));
    assert.equal(a.setAddress(ip('10.0.1.1'), ip('255.255.255.252'), ip('10.0.1.2')), ERR_OK);
    assert.equal(a.setAddress(0, 0, 0), ERR_OK, 'unconfigured (DHCP release)');
    net.run(5);
    assertPoolsFull(a);
  });

  it('the package entry exports the public surface', () => {
    for (const name of ['Stack', 'ERR_OK', 'ERR_RTE', 'lwip_strerr', 'resolveConfig', 'DEFAULT_CONFIG', 'ConfigError',
      'pbuf_free', 'pbuf_take', 'ip4FromString', 'ip4ToString', 'SeededRandom', 'udp_new', 'udp_sendto', 'udp_remove']) {
      assert.ok(name in api, name);
    }
    assert.equal(api.ip4FromString('10.0.0.1'), ip4FromString('10.0.0.1'));
  });
});
