/**
 * Handle (src/core/handle.ts): the generation-checked link from an application's handle to a pool
 * entry that TCP connections, TCP listeners and UDP pcbs share. A handle resolves to its entry
 * until the entry is retired (freed) or the handle is revoked, and stays dead when the entry is
 * issued again to a new user.
 */
import assert from 'node:assert/strict';
import { Handle, retire } from '../../src/core/handle.js';

class Entry { gen = 0; }

describe('core/handle', () => {
  it('a fresh handle resolves to nothing', () => {
    assert.equal(new Handle<Entry>().resolve(), null);
  });

  it('an issued handle resolves to its entry until the entry is retired', () => {
    const e = new Entry();
    const h = new Handle<Entry>();
    h.issue(e);
    assert.equal(h.resolve(), e);
    assert.equal(h.resolve(), e, 'resolving does not consume the handle');
    retire(e);
    assert.equal(h.resolve(), null);
  });

  it('a stale handle stays dead after its entry is reused, while the new handle works', () => {
    const e = new Entry();
    const old = new Handle<Entry>();
    old.issue(e);
    retire(e);
    const fresh = new Handle<Entry>();
    fresh.issue(e);
    assert.equal(fresh.resolve(), e);
    assert.equal(old.resolve(), null);
    retire(e);
    assert.equal(fresh.resolve(), null);
    assert.equal(old.resolve(), null);
  });

  it('revoke cuts one handle off a live entry without touching the entry or other handles', () => {
    const e = new Entry();
    const a = new Handle<Entry>();
    const b = new Handle<Entry>();
    a.issue(e);
    b.issue(e);
    a.revoke();
    assert.equal(a.resolve(), null);
    assert.equal(b.resolve(), e);
    assert.equal(e.gen, 0, 'the entry is not retired by a revoke');
  });

  it('the generation wraps at 2^32 and stays an unsigned integer', () => {
    const e = new Entry();
    e.gen = 0xffffffff;
    const h = new Handle<Entry>();
    h.issue(e);
    retire(e);
    assert.equal(e.gen, 0);
    assert.equal(h.resolve(), null);
  });
});
