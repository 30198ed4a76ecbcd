/**
 * Header prediction on receive (TCP_HDR_PREDICTION, TcpInput.predicted): the next in-order data
 * segment in ESTABLISHED that acknowledges nothing new skips the steps of RFC 9293 §3.10.7.4 with
 * nothing to do. What the stack sends and delivers must be what it sends and delivers through every
 * step — on a clean wire, through loss and reordering (out-of-order queue, SACK), with timestamps,
 * with a small window the data fills, and through ARP and link changes.
 */
import type { Stack } from '../../src/api/stack.js';
import type { StackConfig } from '../../src/core/config.js';
import type { MockNetOptions } from '../../tools/mocknet.js';
import type { Tcb } from '../../src/tcp/tcb.js';
import type { InSeg } from '../../src/tcp/inseg.js';
import { scenario, assertSameFrames } from '../helpers/abscenario.js';

/** Counts the segments `s`'s TCP took through the prediction. */
function countPredicted(s: Stack, count: () => void): void {
  const tcp = s.tcp as unknown as { predicted(pcb: Tcb, seg: InSeg): boolean };
  const orig = tcp.predicted.bind(tcp);
  tcp.predicted = (pcb, seg) => { const r = orig(pcb, seg); if (r) count(); return r; };
}

describe('TCP: header prediction on receive (TCP_HDR_PREDICTION)', () => {
  for (const [name, config, faults] of [
    ['clean wire', { TCP_SACK: false }, {}],
    ['loss, reordering, duplicates, SACK', { TCP_SACK: true }, { loss: 0.03, reorder: 0.03, duplicate: 0.02 }],
    ['timestamps (never predicted: PAWS runs)', { TCP_TIMESTAMPS: true }, { loss: 0.01 }],
    ['a window of two segments', { TCP_WND: 2920, TCP_SND_BUF: 2920 }, { reorder: 0.02 }],
  ] as [string, Partial<StackConfig>, MockNetOptions][]) {
    it('sends and delivers what every step would (' + name + ')', () => {
      const on = scenario({ ...config, TCP_HDR_PREDICTION: true }, faults, countPredicted);
      const off = scenario({ ...config, TCP_HDR_PREDICTION: false }, faults, countPredicted);
      assertSameFrames(on, off, config.TCP_TIMESTAMPS === true ? 0 : 50);
    });
  }
});
