/**
 * Counters in the manner of lwIP's stats.h: one ProtoStats per protocol, plus the pools' own
 * PoolStats. Every dropped frame or segment is counted somewhere here.
 */
export class ProtoStats {
  /** Transmitted. */
  xmit = 0;
  /** Received. */
  recv = 0;
  /** Forwarded (we never forward: always 0, kept for lwIP parity). */
  fw = 0;
  /** Dropped, for any reason (the specific reason is counted too). */
  drop = 0;
  /** Checksum errors. */
  chkerr = 0;
  /** Invalid length. */
  lenerr = 0;
  /** Out of memory (a pool was empty). */
  memerr = 0;
  /** Routing errors (no route, unresolved address). */
  rterr = 0;
  /** Protocol errors (unsupported type, bad state). */
  proterr = 0;
  /** Option errors. */
  opterr = 0;
  /** Miscellaneous errors. */
  err = 0;
  /** Cache hits (ARP). */
  cachehit = 0;
}

export class StackStats {
  readonly link = new ProtoStats();
  readonly etharp = new ProtoStats();
  readonly ip = new ProtoStats();
  readonly ipfrag = new ProtoStats();
  readonly icmp = new ProtoStats();
  readonly udp = new ProtoStats();
  readonly tcp = new ProtoStats();
}
