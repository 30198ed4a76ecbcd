/** One ephemeral-port allocator (src/core/ports.ts) for TCP and UDP. */
import assert from 'node:assert/strict';
import { EphemeralPorts, type PortUser } from '../../src/core/ports.js';
import { SeededRandom } from '../../src/core/random.js';
import { resolveConfig } from '../../src/core/config.js';

/** A PortUser answering with `fn`. */
function user(fn: (port: number, ip: number) => boolean): PortUser {
  return { portTaken: fn };
}

describe('core ports: ephemeral allocator', () => {
  it('starts at a random point of the range and walks it in order, wrapping', () => {
    const p = new EphemeralPorts(50000, 50003, { nextU32: () => 2 });
    const none = user(() => false);
    assert.deepEqual([0, 1, 2, 3, 4].map(() => p.allocate(none, 0)), [50002, 50003, 50000, 50001, 50002]);
  });

  it('skips ports in use and returns 0 when the range is full', () => {
    const p = new EphemeralPorts(50000, 50002, { nextU32: () => 0 });
    assert.equal(p.allocate(user((port) => port === 50000), 0), 50001);
    assert.equal(p.allocate(user(() => true), 0), 0);
  });

  it('passes the local address to the in-use check (UDP binds per address)', () => {
    const p = new EphemeralPorts(50000, 50001, { nextU32: () => 0 });
    let seen = -1;
    p.allocate(user((_port, ip) => { seen = ip; return false; }), 0x0a000001);
    assert.equal(seen, 0x0a000001);
  });

  it('different seeds start at different points', () => {
    const a = new EphemeralPorts(49152, 65535, new SeededRandom(1)).allocate(user(() => false), 0);
    const b = new EphemeralPorts(49152, 65535, new SeededRandom(2)).allocate(user(() => false), 0);
    assert.notEqual(a, b);
  });

  it('UDP has its own range knobs, validated like TCP\'s', () => {
    assert.equal(resolveConfig({}).UDP_LOCAL_PORT_RANGE_START, 49152);
    assert.throws(() => resolveConfig({ UDP_LOCAL_PORT_RANGE_START: 80 }), /UDP ephemeral port range/);
    assert.throws(() => resolveConfig({ UDP_LOCAL_PORT_RANGE_START: 60000, UDP_LOCAL_PORT_RANGE_END: 50000 }),
      /UDP ephemeral port range/);
  });
});
