// Placeholder while the lead writes the TCP layer: the shape Stack depends on.
import type { StackCore } from '../core/context.js';
import type { Pbuf } from '../core/pbuf.js';
import { pbuf_free } from '../core/pbuf.js';
import type { PoolStats } from '../core/pbuf.js';
import type { Ip4 } from '../ipv4/ip4.js';
import type { Ip4Header } from '../wire/ipv4.js';

export class TcpLayer {
  constructor(readonly core: StackCore, readonly ip: Ip4) {}
  /** IP protocol handler: owns p. */
  ipInput(p: Pbuf, _ip: Ip4Header): void { pbuf_free(p); }
  tick(_now: number): void {}
  pools(): { name: string; stats: PoolStats }[] { return []; }
}
