/**
 * Configuration (lwIP opt.h style): defaults are valid, and every impossible combination is a
 * ConfigError at start-up whose message names the knob and the rule.
 */
import assert from 'node:assert/strict';
import {
  resolveConfig, DEFAULT_CONFIG, ConfigError, PBUF_LINK_HLEN, PBUF_IP_HLEN, PBUF_TRANSPORT_HLEN, type StackConfig,
} from '../../src/core/config.js';

function rejects(partial: Record<string, unknown>, message: RegExp): void {
  assert.throws(() => resolveConfig(partial as Partial<StackConfig>), (e: unknown) => {
    assert.ok(e instanceof ConfigError, 'a ConfigError');
    assert.equal(e.name, 'ConfigError');
    assert.match(e.message, message);
    return true;
  });
}

describe('core/config', () => {
  it('defaults resolve unchanged and are frozen', () => {
    const cfg = resolveConfig();
    const keys = Object.keys(DEFAULT_CONFIG) as (keyof StackConfig)[];
    for (const k of keys) assert.equal(cfg[k], DEFAULT_CONFIG[k], k);
    assert.ok(Object.isFrozen(DEFAULT_CONFIG));
    // the defaults are the prototype: only the keys the application set are the config's own
    // properties (each one an XS heap slot), and DEFAULT_CONFIG is never written
    assert.deepEqual(Object.keys(cfg), []);
    const own = resolveConfig({ TCP_WND: 4096 });
    assert.deepEqual(Object.keys(own), ['TCP_WND']);
    assert.equal(own.TCP_WND, 4096);
    assert.equal(own.TCP_MSS, DEFAULT_CONFIG.TCP_MSS);
    assert.equal(DEFAULT_CONFIG.TCP_WND, 8192);
  });

  it('documented default values', () => {
    const d = DEFAULT_CONFIG;
    assert.equal(d.PBUF_POOL_BUFSIZE, 1600);
    assert.equal(d.MTU, 1500);
    assert.equal(d.TCP_MSS, 1460);
    assert.equal(d.TCP_RTO_INITIAL, 1000);
    assert.equal(d.TCP_DELACK_MS, 200);
    assert.equal(d.TCP_LOCAL_PORT_RANGE_START, 49152);
    assert.equal(PBUF_LINK_HLEN, 14);
    assert.equal(PBUF_IP_HLEN, 20);
    assert.equal(PBUF_TRANSPORT_HLEN, 94);
  });

  it('overrides are applied; an undefined value keeps the default', () => {
    const cfg = resolveConfig({ TCP_WND: 4096, PBUF_POOL_SIZE: 8, TCP_MSS: undefined, IP_REASSEMBLY: false });
    assert.equal(cfg.TCP_WND, 4096);
    assert.equal(cfg.PBUF_POOL_SIZE, 8);
    assert.equal(cfg.TCP_MSS, 1460);
    assert.equal(cfg.IP_REASSEMBLY, false);
  });

  it('a small but consistent board configuration is accepted', () => {
    const cfg = resolveConfig({
      PBUF_POOL_SIZE: 12, PBUF_RX_RESERVE: 2, MTU: 576, PBUF_POOL_BUFSIZE: 632, TCP_MSS: 536,
      TCP_WND: 1072, TCP_SND_BUF: 1072, TCP_SND_QUEUELEN: 4, MEMP_NUM_TCP_SEG: 4, MEMP_NUM_TCP_PCB: 1,
    });
    assert.equal(cfg.MTU, 576);
  });

  it('unknown keys are rejected by name (own keys only)', () => {
    rejects({ TCP_WINDOW: 1 }, /unknown config key TCP_WINDOW/);
    rejects({ toString: 5 }, /unknown config key toString/);
    rejects(JSON.parse('{"__proto__": {"MTU": 1}}'), /unknown config key __proto__/);
  });

  it('wrong types and non-integers are rejected with the value', () => {
    rejects({ TCP_WND: 'big' }, /TCP_WND must be a non-negative integer, got big/);
    rejects({ TCP_WND: 1.5 }, /TCP_WND must be a non-negative integer, got 1.5/);
    rejects({ ARP_TABLE_SIZE: -1 }, /ARP_TABLE_SIZE must be a non-negative integer/);
    rejects({ TCP_MSL: NaN }, /TCP_MSL must be a non-negative integer, got NaN/);
    rejects({ IP_REASSEMBLY: 1 }, /IP_REASSEMBLY must be a boolean/);
    rejects({ MTU: null }, /MTU must be a non-negative integer, got null/);
  });

  // each rule in resolveConfig, broken on its own
  const impossible: [string, Record<string, unknown>, RegExp][] = [
    ['MTU below the IPv4 minimum', { MTU: 575 }, /MTU must be within 576\.\.9000/],
    ['MTU above 9000', { MTU: 9001, PBUF_POOL_BUFSIZE: 9100 }, /MTU must be within/],
    ['buffer size not a multiple of 4', { PBUF_POOL_BUFSIZE: 1602 }, /multiple of 4/],
    ['buffer too small for a frame', { PBUF_POOL_BUFSIZE: 1508 }, /must hold a whole frame: MTU \+ 14 = 1514/],
    ['MSS below 536', { TCP_MSS: 535 }, /TCP_MSS must be at least 536/],
    ['MSS above MTU - 40', { TCP_MSS: 1461 }, /TCP_MSS must be at most MTU - 40 = 1460/],
    ['buffer without transport headroom', { PBUF_POOL_BUFSIZE: 1520 }, /TCP_MSS \+ 94 bytes of headroom = 1554/],
    ['pool no bigger than the reserve', { PBUF_POOL_SIZE: 7, PBUF_RX_RESERVE: 4 }, /PBUF_POOL_SIZE must exceed PBUF_RX_RESERVE by at least 4/],
    ['no receive reserve', { PBUF_RX_RESERVE: 0 }, /PBUF_RX_RESERVE must be at least 1/],
    ['window below MSS', { TCP_WND: 1000 }, /TCP_WND must be within TCP_MSS\.\.1073741824/],
    ['window needing scaling', { TCP_WND: 65536, TCP_WND_SCALE: false }, /TCP_WND must be within TCP_MSS\.\.65535 \(more needs TCP_WND_SCALE/],
    ['window beyond 2^30', { TCP_WND: 0x40000001 }, /TCP_WND must be within TCP_MSS\.\.1073741824/],
    ['send buffer below MSS', { TCP_SND_BUF: 1459 }, /TCP_SND_BUF must be at least TCP_MSS/],
    ['send queue of 1', { TCP_SND_QUEUELEN: 1 }, /TCP_SND_QUEUELEN must be at least 2/],
    ['no TCP pcbs', { MEMP_NUM_TCP_PCB: 0 }, /MEMP_NUM_TCP_PCB must be at least 1/],
    ['fewer segments than one queue', { MEMP_NUM_TCP_SEG: 15 }, /MEMP_NUM_TCP_SEG must be at least TCP_SND_QUEUELEN/],
    ['RTO min 0', { TCP_RTO_MIN: 0 }, /1 <= TCP_RTO_MIN <= TCP_RTO_INITIAL <= TCP_RTO_MAX/],
    ['RTO min above initial', { TCP_RTO_MIN: 2000 }, /TCP_RTO_MIN <= TCP_RTO_INITIAL/],
    ['RTO initial above max', { TCP_RTO_INITIAL: 70000 }, /TCP_RTO_INITIAL <= TCP_RTO_MAX/],
    ['delayed ACK of 0', { TCP_DELACK_MS: 0 }, /TCP_DELACK_MS must be within 1\.\.500/],
    ['delayed ACK above 500 ms (RFC 1122)', { TCP_DELACK_MS: 501 }, /RFC 1122/],
    ['MSL of 0', { TCP_MSL: 0 }, /TCP_MSL must be at least 1 ms/],
    ['coarse tick of 0', { TCP_COARSE_TICK_MS: 0 }, /TCP_COARSE_TICK_MS must be at least 1/],
    ['ephemeral range in the well-known ports', { TCP_LOCAL_PORT_RANGE_START: 80 }, /ephemeral port range/],
    ['ephemeral range reversed', { TCP_LOCAL_PORT_RANGE_START: 60000, TCP_LOCAL_PORT_RANGE_END: 50000 }, /ephemeral port range/],
    ['ephemeral range past 65535', { TCP_LOCAL_PORT_RANGE_END: 65536 }, /ephemeral port range/],
    ['empty ARP table', { ARP_TABLE_SIZE: 0 }, /ARP_TABLE_SIZE must be within 1\.\.255/],
    ['huge ARP table', { ARP_TABLE_SIZE: 256 }, /ARP_TABLE_SIZE must be within 1\.\.255/],
    ['no ARP tries', { ARP_MAX_TRIES: 0 }, /ARP_MAX_TRIES must be at least 1/],
    ['TTL 0', { IP_DEFAULT_TTL: 0 }, /IP_DEFAULT_TTL must be within 1\.\.255/],
    ['TTL 256', { IP_DEFAULT_TTL: 256 }, /IP_DEFAULT_TTL must be within 1\.\.255/],
    ['no keepalive probes', { TCP_KEEPCNT_DEFAULT: 0 }, /TCP_KEEPCNT_DEFAULT must be at least 1/],
  ];
  for (const [what, partial, message] of impossible) {
    it('rejects: ' + what, () => rejects(partial, message));
  }

  it('the boundaries of each range are accepted', () => {
    for (const ok of [
      { TCP_WND: 1460 }, { TCP_WND: 65535 }, { TCP_WND: 65536 }, { TCP_WND: 0x40000000 }, { TCP_DELACK_MS: 500 }, { TCP_DELACK_MS: 1 }, { TCP_MSS: 536 },
      { IP_DEFAULT_TTL: 255 }, { ARP_TABLE_SIZE: 255 }, { TCP_LOCAL_PORT_RANGE_START: 1024, TCP_LOCAL_PORT_RANGE_END: 1024 },
      { PBUF_POOL_SIZE: 8, PBUF_RX_RESERVE: 4 }, { PBUF_POOL_BUFSIZE: 1556 }, { TCP_RTO_MIN: 1000, TCP_RTO_INITIAL: 1000, TCP_RTO_MAX: 1000 },
    ] as Partial<StackConfig>[]) {
      assert.doesNotThrow(() => resolveConfig(ok), JSON.stringify(ok));
    }
  });
});
