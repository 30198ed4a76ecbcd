/** One ephemeral-port allocator (src/core/ports.ts) for TCP and UDP. */
import assert from 'node:assert/strict';
import { allocatePort, firstPort, type PortUser } from '../../src/core/ports.js';
import { SeededRandom } from '../../src/core/random.js';
import { resolveConfig } from '../../src/core/config.js';

/** A PortUser starting at `next`, answering with `fn`. */
function user(next: number, fn: (port: number, ip: number) => boolean): PortUser {
  return { nextPort: next, portTaken: fn };
}

describe('core ports: ephemeral allocator', () => {
  it('starts at a random point of the range and walks it in order, wrapping', () => {
    const none = user(firstPort(50000, 50003, { nextU32: () => 6 }), () => false);
    assert.deepEqual([0, 1, 2, 3, 4].map(() => allocatePort(none, 50000, 50003, 0)), [50002, 50003, 50000, 50001, 50002]);
  });

  it('skips ports in use and returns 0 when the range is full', () => {
    const u = user(50000, (port) => port === 50000);
    assert.equal(allocatePort(u, 50000, 50002, 0), 50001);
    assert.equal(u.nextPort, 50002, 'the next search starts after it');
    u.portTaken = () => true;
    assert.equal(allocatePort(u, 50000, 50002, 0), 0);
    assert.equal(u.nextPort, 50002, 'a full walk ends where it began');
    const out = user(40000, () => false);
    assert.equal(allocatePort(out, 50000, 50002, 0), 50000, 'a start outside the range (a changed range) begins at its low end');
  });

  it('passes the local address to the in-use check (UDP binds per address)', () => {
    let seen = -1;
    allocatePort(user(50000, (_port, ip) => { seen = ip; return false; }), 50000, 50001, 0x0a000001);
    assert.equal(seen, 0x0a000001);
  });

  it('different seeds start at different points', () => {
    const a = firstPort(49152, 65535, new SeededRandom(1));
    const b = firstPort(49152, 65535, new SeededRandom(2));
    assert.ok(a >= 49152 && a <= 65535 && b >= 49152 && b <= 65535);
    assert.notEqual(a, b);
  });

  it('UDP has its own range knobs, validated like TCP\'s', () => {
    assert.equal(resolveConfig({}).UDP_LOCAL_PORT_RANGE_START, 49152);
    assert.throws(() => resolveConfig({ UDP_LOCAL_PORT_RANGE_START: 80 }), /UDP ephemeral port range/);
    assert.throws(() => resolveConfig({ UDP_LOCAL_PORT_RANGE_START: 60000, UDP_LOCAL_PORT_RANGE_END: 50000 }),
      /UDP ephemeral port range/);
  });
});
