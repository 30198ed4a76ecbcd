/**
 * IPv4 fragmentation on output (RFC 791 §3.2, RFC 1122 §3.3.3): a datagram larger than the MTU is
 * sent as fragments whose data (all but the last) is a multiple of 8 bytes, each copied into a
 * fresh pool pbuf with its own header (same identification, MF on all but the last).
 */
import type { StackCore } from '../core/context.js';
import type { Err } from '../core/err.js';
import { ERR_OK, ERR_MEM } from '../core/err.js';
import type { Pbuf } from '../core/pbuf.js';
import { PBUF_LINK, pbuf_free, pbuf_copy_chain } from '../core/pbuf.js';
import { IP_HLEN, IP_FLAG_MF, ip4Write } from '../wire/ipv4.js';
import type { Netif } from '../link/netif.js';

/** Sends transport payload `p` (not taken) as fragments of at most `netif.mtu` bytes to `nextHop`. */
export function ip4Fragment(core: StackCore, netif: Netif, p: Pbuf, src: number, dst: number, ttl: number,
  tos: number, proto: number, id: number, nextHop: number): Err {
  const st = core.stats.ipfrag;
  const total = p.totLen;
  const maxData = (netif.mtu - IP_HLEN) & ~7;
  let off = 0;
  let err: Err = ERR_OK;
  while (off < total) {
    let n = total - off;
    const last = n <= maxData;
    if (!last) n = maxData;
    const f = core.pbufs.alloc(PBUF_LINK, IP_HLEN + n);
    if (f === null) {
      st.memerr++;
      st.drop++;
      return ERR_MEM;
    }
    pbuf_copy_chain(f, IP_HLEN, p, off, n);
    ip4Write(f.buf, f.off, tos, IP_HLEN + n, id, (last ? 0 : IP_FLAG_MF) | (off >>> 3), ttl, proto, src, dst, core.chksum);
    const e = netif.output(f, nextHop);
    pbuf_free(f);
    if (e !== ERR_OK) err = e;
    st.xmit++;
    off += n;
  }
  return err;
}
