/**
 * Stack counters (src/core/stats.ts): the error counters kept in the stack's shared Float64Array
 * behave as plain properties, per protocol, and print by name.
 */
import assert from 'node:assert/strict';
import { StackStats, ProtoStats } from '../../src/core/stats.js';

describe('core/stats', () => {
  it('each protocol counts on its own, though the error counters share one array', () => {
    const s = new StackStats();
    const all: ProtoStats[] = [s.link, s.etharp, s.ip, s.ipfrag, s.icmp, s.udp, s.tcp];
    all.forEach((p, i) => {
      for (let k = 0; k <= i; k++) { p.drop++; p.memerr += 2; }
      p.chkerr = 100 + i;
      p.err = 200 + i;
      p.xmit = i;
    });
    all.forEach((p, i) => {
      assert.equal(p.drop, i + 1);
      assert.equal(p.memerr, 2 * (i + 1));
      assert.equal(p.chkerr, 100 + i);
      assert.equal(p.err, 200 + i);
      assert.equal(p.xmit, i);
      assert.equal(p.fw + p.lenerr + p.rterr + p.proterr + p.opterr, 0);
    });
  });

  it('cachehit: a property of ARP\'s counters only (bumped per frame sent), an array entry for the others', () => {
    const s = new StackStats();
    s.etharp.cachehit++;
    s.ip.cachehit += 2;
    assert.deepEqual([s.etharp.cachehit, s.ip.cachehit, s.tcp.cachehit], [1, 2, 0]);
    assert.equal(Object.keys(s.etharp).includes('cachehit'), true);
    assert.equal(Object.keys(s.ip).includes('cachehit'), false, 'no property per protocol without a cache');
    assert.deepEqual(Object.keys(s.tcp).sort(), ['base', 'recv', 'xmit'], 'the counter array is shared through the prototype');
  });

  it('JSON shows every counter by name', () => {
    const s = new StackStats();
    s.tcp.drop = 3;
    s.tcp.recv = 7;
    const j = JSON.parse(JSON.stringify(s)) as Record<string, Record<string, number>>;
    assert.deepEqual(Object.keys(j.tcp).sort(),
      ['cachehit', 'chkerr', 'drop', 'err', 'fw', 'lenerr', 'memerr', 'opterr', 'proterr', 'recv', 'rterr', 'xmit']);
    assert.equal(j.tcp.drop, 3);
    assert.equal(j.tcp.recv, 7);
    assert.equal(j.ip.drop, 0);
  });
});
