/**
 * The end-of-scenario check every test makes: every pool of every stack is back to full. A leak
 * (a pbuf, segment, pcb or queue entry still taken) fails with the list of pools concerned; so does
 * a free segment descriptor that kept a SACK mark.
 */
import assert from 'node:assert/strict';
import type { Stack } from '../../src/api/stack.js';

/** Fails listing every pool (of every stack) whose `used` is not 0. */
export function assertPoolsFull(...stacks: Stack[]): void {
  const leaks: string[] = [];
  for (let i = 0; i < stacks.length; i++) {
    const s = stacks[i];
    for (const { name, stats } of s.pools()) {
      if (stats.used !== 0) {
        leaks.push('#' + (i + 1) + ' ' + s.name + '.' + name + ': ' + stats.used + ' of ' + stats.avail + ' in use');
      }
    }
  }
  assert.ok(leaks.length === 0, 'pools not full:\n  ' + leaks.join('\n  '));
  // every free segment descriptor has no SACK marks and no pbuf left (freeSeg clears them:
  // src/tcp/tcb.ts SegStore)
  for (const s of stacks) {
    const sg = s.tcp.segs;
    assert.ok(sg.marks.every((m) => m === 0), s.name + ': SACK marks left on free segment descriptors');
    assert.ok(sg.p.every((p) => p === null), s.name + ': pbufs left on free segment descriptors');
  }
}
