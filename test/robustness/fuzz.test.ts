/**
 * The seeded frame fuzzer (tools/fuzz.ts) as part of `npm test`: 50,000 random, mutated and
 * checksum-fixed frames of every layer against the board configuration with live connections.
 * Nothing may throw and every pool of both stacks must be back to full after the wind-down.
 * The long run (1,000,000 frames) is `npm run fuzz -- --frames 1000000`, documented in the README.
 */
import assert from 'node:assert/strict';
import { runFuzz } from '../../tools/fuzz.js';

describe('robustness: frame fuzzer (tools/fuzz.ts)', function () {
  this.timeout(120000);

  it('50,000 hostile frames of every layer: no throw, live connections keep working, pools back to full', () => {
    const r = runFuzz({ frames: 50000, seed: 12 });
    assert.equal(r.throws, 0, r.firstThrow);
    assert.deepEqual(r.leaks, []);
    assert.equal(r.frames, 50000);
    for (const [kind, n] of Object.entries(r.kinds)) assert.ok(n > 1000, 'every generator ran: ' + kind + ' ' + n);
    assert.ok(r.reconnects > 5 && r.liveBytes > 50000, 'the live connections carried data: ' + r.liveBytes + ' bytes');
    // the frames reached every layer's checks (each layer dropped some)
    for (const [layer, n] of Object.entries(r.boardDrops)) assert.ok(n > 0, layer + ' dropped nothing');
  });

  it('is deterministic: the same seed gives the same summary', () => {
    const a = runFuzz({ frames: 5000, seed: 3 });
    const b = runFuzz({ frames: 5000, seed: 3 });
    for (const r of [a, b]) { r.wallMs = 0; r.framesPerSec = 0; }
    assert.deepEqual(a, b);
  });
});
