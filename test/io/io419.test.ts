/**
 * The ECMA-419 layer's pieces that are not scenarios (the scenarios themselves run on Node and XS in
 * test/xs.test.ts): the deferred queue that runs application callbacks after each frame and tick,
 * the rule that no callback runs inside an instance's own method, and the Moddable manifest that maps
 * `embedded:io/socket/*` to the library's classes.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeferredQueue, type Deferred } from '../../src/core/deferred.js';
import * as lib from '../../src/index.js';
import { MockNet } from '../../tools/mocknet.js';
import { TCP, Listener, UDP } from '../../src/io/index.js';
import { assertPoolsFull } from '../helpers/pools.js';

class Item implements Deferred {
  deferNext: Deferred | null = null;
  deferQueued = false;
  constructor(readonly name: string, readonly log: string[], readonly action: () => void = () => undefined) {}
  runDeferred(): void {
    this.log.push(this.name);
    this.action();
  }
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('io419: deferred callbacks', () => {
  it('runs queued items once each, in order', () => {
    const q = new DeferredQueue();
    const log: string[] = [];
    const a = new Item('a', log);
    const b = new Item('b', log);
    q.add(a); q.add(b); q.add(a);
    q.run();
    assert.deepEqual(log, ['a', 'b']);
    assert.equal(q.pending, false);
  });

  it('what an item queues during a pass waits for the next pass (no spinning inside one frame)', () => {
    const q = new DeferredQueue();
    const log: string[] = [];
    const again: Item = new Item('again', log, () => q.add(again));
    q.add(again);
    q.run();
    assert.deepEqual(log, ['again']);
    assert.equal(q.pending, true);
    q.run();
    assert.deepEqual(log, ['again', 'again']);
  });

  it('wakes the scheduler when the first item is queued outside a run, not again until it ran', () => {
    let wakes = 0;
    const q = new DeferredQueue({ wake: () => { wakes++; } });
    const log: string[] = [];
    q.add(new Item('a', log));
    q.add(new Item('b', log));
    assert.equal(wakes, 1);
    q.run();
    q.add(new Item('c', log));
    assert.equal(wakes, 2);
  });

  it('remove() takes an item out; an exception is rethrown after every item ran', () => {
    const q = new DeferredQueue();
    const log: string[] = [];
    const bad = new Item('bad', log, () => { throw new Error('app bug'); });
    const gone = new Item('gone', log);
    const last = new Item('last', log);
    q.add(bad); q.add(gone); q.add(last);
    q.remove(gone);
    assert.throws(() => q.run(), /app bug/);
    assert.deepEqual(log, ['bad', 'last']);
    assert.equal(q.pending, false);
  });

  it('no callback runs inside the constructor, read, write or close; all run from the stack', () => {
    const net = new MockNet({ seed: 5 });
    const a = net.addStack({ ip: '10.0.0.1/24', config: { TCP_MSL: 100 } });
    const b = net.addStack({ ip: '10.0.0.2/24', config: { TCP_MSL: 100 } });
    let inMethod = false;
    const inside: string[] = [];
    const note = (what: string) => { if (inMethod) inside.push(what); };
    const l = new Listener({
      stack: b, port: 7,
      onReadable(this: Listener) {
        new TCP({
          from: this.read(), onReadable(this: TCP) { const ab = this.read() as ArrayBuffer; this.write(ab); },
        });
      },
    });
    let t: TCP | null = null;
    inMethod = true;
    t = new TCP({
      stack: a, address: '10.0.0.2', port: 7,
      onReadable() { note('readable'); }, onWritable() { note('writable'); }, onError() { note('error'); },
    });
    inMethod = false;
    net.run(20);
    for (let i = 0; i < 5; i++) {
      inMethod = true;
      t.write(new Uint8Array(10));
      inMethod = false;
      net.run(20);
      inMethod = true;
      t.read();
      inMethod = false;
    }
    inMethod = true;
    t.close();
    inMethod = false;
    net.run(300);
    l.close();
    assert.deepEqual(inside, []);
    assertPoolsFull(a, b);
  });

  it('UDP: a callback never runs inside write', () => {
    const net = new MockNet({ seed: 6 });
    const a = net.addStack({ ip: '10.0.0.1/24' });
    let inWrite = false;
    let bad = 0;
    let got = 0;
    const u = new UDP({ stack: a, port: 9, onReadable(this: UDP) { if (inWrite) bad++; this.read(); got++; } });
    const b = net.addStack({ ip: '10.0.0.2/24' });
    const v = new UDP({ stack: b });
    inWrite = true;
    v.write(new Uint8Array(4), '10.0.0.1', 9);
    inWrite = false;
    net.run(20);
    assert.equal(got, 1);
    assert.equal(bad, 0);
    u.close();
    v.close();
    assertPoolsFull(a, b);
  });
});

describe('io419: the Moddable manifest (manifests/io)', () => {
  const dir = join(root, 'manifests', 'io');
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
    include: string[]; modules: Record<string, string>; preload: string[];
  };

  it('maps the three ECMA-419 socket modules and preloads them', () => {
    assert.deepEqual(Object.keys(manifest.modules).sort(),
      ['embedded:io/socket/listener', 'embedded:io/socket/tcp', 'embedded:io/socket/udp']);
    assert.deepEqual([...manifest.preload].sort(), Object.keys(manifest.modules).sort());
    assert.ok(manifest.include.every((m) => existsSync(join(dir, m))), 'included manifests exist');
  });

  it('each module re-exports a class of the library as its default export', () => {
    for (const [spec, file] of Object.entries(manifest.modules)) {
      const text = readFileSync(join(dir, file + '.js'), 'utf8');
      const m = /export \{ (\w+) as default \} from "xs-tcp";/.exec(text);
      assert.ok(m !== null, spec + ': ' + file + '.js re-exports from xs-tcp');
      const name = m![1];
      assert.equal(typeof (lib as Record<string, unknown>)[name], 'function', spec + ': xs-tcp exports ' + name);
    }
    assert.equal(lib.TCP, TCP);
    assert.equal(typeof lib.setDefaultStack, 'function');
  });
});
