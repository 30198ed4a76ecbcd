/** RFC 6298 §2 estimator (src/tcp/rtt.ts). */
import assert from 'node:assert/strict';
import { rttSample } from '../../src/tcp/rtt.js';
import { Tcb } from '../../src/tcp/tcb.js';
import { resolveConfig } from '../../src/core/config.js';

describe('tcp rtt: RFC 6298 estimator', () => {
  const cfg = resolveConfig({ TCP_RTO_MIN: 200, TCP_RTO_INITIAL: 1000, TCP_RTO_MAX: 60000 });

  it('first sample: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR (§2.2)', () => {
    const t = new Tcb();
    rttSample(t, 100, cfg);
    assert.equal(t.srtt, 100);
    assert.equal(t.rttvar, 50);
    assert.equal(t.rto, 300);
    assert.equal(t.rttValid, true);
  });

  it('later samples: RTTVAR from the old SRTT, then SRTT (§2.3)', () => {
    const t = new Tcb();
    rttSample(t, 100, cfg);
    rttSample(t, 200, cfg);
    assert.equal(t.rttvar, 0.75 * 50 + 0.25 * 100);
    assert.equal(t.srtt, 0.875 * 100 + 0.125 * 200);
    assert.equal(t.rto, Math.ceil(t.srtt + 4 * t.rttvar));
  });

  it('RTO bounded by TCP_RTO_MIN (§2.4) and TCP_RTO_MAX (§2.5); negative samples ignored', () => {
    const t = new Tcb();
    rttSample(t, 1, cfg);
    assert.equal(t.rto, 200);
    rttSample(t, -5, cfg);
    assert.equal(t.srtt, 1);
    const u = new Tcb();
    rttSample(u, 50000, cfg);
    assert.equal(u.rto, 60000);
  });

  it('the clock granularity G bounds the variance term from below', () => {
    const low = resolveConfig({ TCP_RTO_MIN: 1, TCP_RTO_INITIAL: 1000, TCP_RTO_MAX: 60000 });
    const t = new Tcb();
    for (let i = 0; i < 200; i++) rttSample(t, 10, low);
    assert.equal(t.rto, 11); // SRTT 10 + G 1 once RTTVAR has decayed below G/4
  });
});
