/**
 * The host TAP driver reads each frame straight into the stack's pool (FrameSink.rxReserve, one
 * read() into rxMemory, rxCommit): the stack runs in this process on a TAP whose kernel side is
 * moved into a network namespace created here (10.x addresses only inside it), and the kernel's
 * ping is the peer. With the pool empty the frames are read and dropped (counted), and traffic
 * resumes once pbufs are free. Needs root, /dev/net/tun, iproute2 and the TAP addon; otherwise ONE
 * test runs that says why it is skipped. The namespace and the TAP are removed in after().
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { TapDriver } from '../../hal/host/tap.js';
import { WallClock } from '../../hal/host/clock.js';
import { SeededRandom } from '../../src/core/random.js';
import { Stack } from '../../src/api/stack.js';
import type { Pbuf } from '../../src/core/pbuf.js';
import { pbuf_free } from '../../src/core/pbuf.js';
import { sh, ipCmd as ip, waitFor, tapAddonSkipReason } from './netns.js';


const NS = 'xsq' + process.pid;
const TAP = 'xsq' + process.pid;
const KERNEL = '10.203.0.1';
const BOARD = '10.203.0.2';

/** ping from the namespace, run asynchronously: the stack answers from this process's event loop. */
function ping(count: number): Promise<boolean> {
  const child = spawn('ip', ['netns', 'exec', NS, 'ping', '-c', String(count), '-i', '0.2', '-W', '1', BOARD], { stdio: 'ignore' });
  return new Promise((r) => child.once('exit', (code) => r(code === 0)));
}

const reason = tapAddonSkipReason();

describe('host TAP driver: read() into the pool', function () {
  this.timeout(60000);
  if (reason !== '') {
    it('is skipped here: ' + reason, function () {
      console.log('      TAP pool suite skipped: ' + reason);
    });
    return;
  }

  let drv: TapDriver | null = null;

  before(function () {
    ip('tuntap', 'add', 'dev', TAP, 'mode', 'tap');
    ip('netns', 'add', NS);
  });

  after(async function () {
    if (drv !== null) await drv.close();
    sh(['ip', 'netns', 'del', NS]);
    sh(['ip', 'tuntap', 'del', 'dev', TAP, 'mode', 'tap']);
  });

  it('answers ping through rxReserve/rxCommit; an empty pool drops (counted) and recovers', async function () {
    // the plain one-copy path: read() straight into the pbuf (offload reads GSO frames aside first)
    drv = new TapDriver(TAP, { offload: false });
    const stack = new Stack({ driver: drv, clock: new WallClock(), random: new SeededRandom(3) }, { ip: BOARD + '/24' });
    // the descriptor stays attached while the kernel side moves into the namespace
    ip('link', 'set', TAP, 'netns', NS);
    ip('netns', 'exec', NS, 'ip', 'addr', 'add', KERNEL + '/24', 'dev', TAP);
    ip('netns', 'exec', NS, 'ip', 'link', 'set', TAP, 'up');
    const nf = stack.netif;
    let commits = 0;
    let copies = 0;
    const commit = nf.rxCommit.bind(nf);
    const copy = nf.receiveFrame.bind(nf);
    nf.rxCommit = (len: number) => { if (len > 0) commits++; commit(len); };
    nf.receiveFrame = (b: Uint8Array, o: number, l: number) => { copies++; copy(b, o, l); };

    assert.ok(await ping(3), 'ping through the pool path');
    assert.ok(commits >= 4, 'frames committed into the pool: ' + commits); // ARP + 3 echo requests
    assert.equal(copies, 0, 'receiveFrame unused');
    assert.equal(stack.stats.icmp.recv >= 3, true);

    // every pool pbuf taken: frames are read (and dropped) rather than left to spin the poll
    const held: Pbuf[] = [];
    for (;;) { const p = stack.core.pbufs.allocRx(100); if (p === null) break; held.push(p); }
    const memerr = stack.stats.link.memerr;
    const frames = drv.stats.rxFrames;
    assert.equal(await ping(2), false, 'no answer with the pool empty');
    assert.ok(await waitFor(() => drv!.stats.rxFrames >= frames + 2, 3000), 'frames still read');
    assert.ok(stack.stats.link.memerr >= memerr + 2, 'dropped frames counted: ' + (stack.stats.link.memerr - memerr));
    for (const p of held) pbuf_free(p);
    assert.ok(await ping(2), 'ping again once pbufs are free');
    for (const { name, stats } of stack.pools()) assert.equal(stats.used, 0, name + ' in use');
  });
});
