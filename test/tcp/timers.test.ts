/**
 * Next deadline (Stack.nextDeadline, smoltcp's poll_at) and the sleeping schedulers: every armed
 * timer is reported, nothing runs before it, it runs when it is due, an idle stack with 4
 * connections lets its scheduler sleep, and an API call wakes the scheduler.
 */
import assert from 'node:assert/strict';
import { idleConnections, wakeupsPerSec } from '../../bench/sched.js';
import { sleepFor, MAX_SLEEP_MS } from '../../hal/deadline.js';
import { tcp_write, tcp_output, tcp_close, TcpPcb } from '../../src/api/tcp_api.js';
import { ERR_OK } from '../../src/core/err.js';
import { assertPoolsFull } from '../helpers/pools.js';

function closeAll(run: ReturnType<typeof idleConnections>): void {
  for (const c of run.clients) tcp_close(c);
  for (const c of run.accepted) tcp_close(c);
  tcp_close(run.listener);
  run.net.run(130_000); // FIN exchange and TIME_WAIT
}

describe('timers: nextDeadline', () => {
  it('an idle stack has no TCP deadline; only ARP entry expiry remains', () => {
    const run = idleConnections(4);
    assert.equal(run.a.tcp.nextDeadline(), -1);
    const due = run.a.nextDeadline();
    assert.ok(due > run.net.now + 100_000, 'only the ARP entry (RFC 826 ageing) is due, far ahead');
    closeAll(run);
    assertPoolsFull(run.a, run.b);
  });

  it('the retransmission timer is the deadline: nothing before it, the retransmission at it', () => {
    const run = idleConnections(1);
    const { a, net } = run;
    const stopDrop = net.wire.dropIf(() => true); // the peer hears nothing
    assert.equal(tcp_write(run.clients[0], new Uint8Array(100)), ERR_OK);
    assert.equal(tcp_output(run.clients[0]), ERR_OK);
    const due = a.tcp.nextDeadline();
    assert.ok(due > net.now, 'RTO armed in the future');
    assert.equal(a.nextDeadline(), due);
    const sent = a.core.stats.tcp.xmit;
    a.tick(due - 1);
    assert.equal(a.core.stats.tcp.xmit, sent, 'nothing is due before the deadline');
    a.tick(due);
    assert.equal(a.core.stats.tcp.xmit, sent + 1, 'the retransmission goes out at the deadline');
    assert.ok(a.tcp.nextDeadline() > due, 'the backed-off RTO is the next deadline');
    stopDrop();
    net.run(5000);
    closeAll(run);
    assertPoolsFull(run.a, run.b);
  });

  it('a delayed ACK is reported and sent at its due time', () => {
    const run = idleConnections(1);
    const { b, net } = run;
    // past the quick-ACK segments, b delays its ACK (RFC 1122 §4.2.3.2); segments delivered to b
    // without ticking it, so only the deadline can send that ACK
    for (let i = 0; i < 40 && b.tcp.nextDeadline() === -1; i++) {
      assert.equal(tcp_write(run.clients[0], new Uint8Array(10)), ERR_OK);
      assert.equal(tcp_output(run.clients[0]), ERR_OK);
      net.wire.deliverDue(net.now);
      run.a.tick(net.now);
      net.wire.deliverDue(net.now);
    }
    const due = b.tcp.nextDeadline();
    assert.ok(due >= net.now, 'an ACK is pending');
    const sent = b.core.stats.tcp.xmit;
    b.tick(due);
    assert.equal(b.core.stats.tcp.xmit, sent + 1);
    assert.equal(b.tcp.nextDeadline(), -1);
    closeAll(run);
    assertPoolsFull(run.a, run.b);
  });

  it('tick may be called at any time, as often as the caller likes', () => {
    const run = idleConnections(2);
    const sent = run.a.core.stats.tcp.xmit;
    for (let i = 0; i < 50; i++) run.a.tick(run.net.now);
    assert.equal(run.a.core.stats.tcp.xmit, sent);
    closeAll(run);
    assertPoolsFull(run.a, run.b);
  });

  it('an API call that queues work calls the work hook (the scheduler wakes up)', () => {
    const run = idleConnections(1);
    let wakes = 0;
    run.a.setWorkHook(() => { wakes++; });
    assert.equal(tcp_write(run.clients[0], new Uint8Array(10)), ERR_OK);
    assert.ok(wakes >= 1);
    run.a.setWorkHook(null);
    closeAll(run);
    assertPoolsFull(run.a, run.b);
  });
});

describe('timers: sleeping schedulers', () => {
  it('sleepFor: until the deadline, at once when overdue, capped, capped when nothing is armed', () => {
    assert.equal(sleepFor(1250, 1000, MAX_SLEEP_MS), 250);
    assert.equal(sleepFor(900, 1000, MAX_SLEEP_MS), 0);
    assert.equal(sleepFor(1_000_000, 1000, MAX_SLEEP_MS), MAX_SLEEP_MS);
    assert.equal(sleepFor(-1, 1000, MAX_SLEEP_MS), MAX_SLEEP_MS);
    assert.equal(sleepFor(undefined, 1000, 50), 50);
  });

  it('4 idle connections: 1 wake-up per second (the cap) instead of 200 with a 5 ms tick', () => {
    const fixed = wakeupsPerSec(idleConnections(4), 20, 5);
    assert.equal(fixed, 200);
    const run = idleConnections(4);
    const idle = wakeupsPerSec(run, 20);
    assert.ok(idle <= 1, 'idle wake-ups per second: ' + idle);
    closeAll(run);
    assertPoolsFull(run.a, run.b);
  });

  it('keepalive probes wake the scheduler when due, and still run', () => {
    const run = idleConnections(1);
    const c: TcpPcb = run.clients[0];
    const conn = c.conn!;
    conn.soOptions |= 0x08; // SOF_KEEPALIVE
    conn.keepIdle = 2000; conn.keepIntvl = 1000;
    const sent = run.a.core.stats.tcp.xmit;
    wakeupsPerSec(run, 3);
    assert.ok(run.a.core.stats.tcp.xmit > sent, 'a keepalive probe went out while sleeping to deadlines');
    closeAll(run);
    assertPoolsFull(run.a, run.b);
  });
});
