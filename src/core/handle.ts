/**
 * Generation-checked handles: what an application holds instead of a pool entry. Pool entries
 * (TCP connections and listeners, UDP pcbs) are reused, so a reference kept past a free must never
 * reach the entry's next user. A Handle records the entry and the entry's generation when it was
 * issued; the entry's generation moves on when it is freed (retire), so resolve() on a stale
 * handle answers null even after the entry has been handed to someone else, and the API turns that
 * null into its error code. One Handle is created per connection or pcb, never per packet, and
 * resolve() allocates nothing.
 */

/** A pool entry that can sit behind a Handle: `gen` changes only through retire(). */
export interface Generational {
  gen: number;
}

/** Marks `entry` freed: every Handle issued for it so far goes stale. Call before the entry goes
 *  back to its pool. */
export function retire(entry: Generational): void {
  entry.gen = (entry.gen + 1) >>> 0;
}

/**
 * The classes the application holds extend Handle (TcpPcb for its connection, plus a second Handle
 * for a listener; UdpPcb), which costs the per-segment API calls one property load less than a
 * separate Handle object would. `entry` and `gen` are written only by issue() and revoke(); the TCP API reads them directly on its
 * per-segment calls (see connOf in src/api/tcp_api.ts), everything else goes through resolve().
 */
export class Handle<T extends Generational> {
  /** @internal The entry this handle was issued for, null before issue() and after revoke(). */
  entry: T | null = null;
  /** @internal The entry's generation when this handle was issued. */
  gen = 0;

  /** Points this handle at `entry` in its current generation. */
  issue(entry: T): void {
    this.entry = entry;
    this.gen = entry.gen;
  }

  /** The live entry, or null when the handle was never issued, was revoked, or the entry has been
   *  retired since (whether or not it has been reused). */
  resolve(): T | null {
    const e = this.entry;
    return e !== null && e.gen === this.gen ? e : null;
  }

  /** Cuts this handle off an entry that lives on without the application (e.g. a connection
   *  finishing its close after tcp_close): resolve() answers null from now on. */
  revoke(): void {
    this.entry = null;
  }
}
