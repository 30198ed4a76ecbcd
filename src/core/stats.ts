/**
 * Counters in the manner of lwIP's stats.h: one ProtoStats per protocol, plus the pools' own
 * PoolStats. Every dropped frame or segment is counted somewhere here.
 *
 * Layout: the counters a packet bumps on the normal path (xmit, recv, and ARP's cachehit) are
 * properties; the error counters, touched only when something goes wrong (and the cachehit of the
 * protocols that have no cache), live in one Float64Array shared by the
 * stack's seven ProtoStats (STAT_FIELDS entries each) behind getters and setters, so `st.drop++`
 * reads as before. Each property of an XS object is a heap slot (16 bytes on the ESP32); an array
 * entry is 8 bytes of chunk memory.
 */
const S_FW = 0;
const S_DROP = 1;
const S_CHKERR = 2;
const S_LENERR = 3;
const S_MEMERR = 4;
const S_RTERR = 5;
const S_PROTERR = 6;
const S_OPTERR = 7;
const S_ERR = 8;
const S_CACHEHIT = 9;
/** Float64 entries per ProtoStats in its StackStats' array. */
export const STAT_FIELDS = 10;

export class ProtoStats {
  /** Transmitted. */
  xmit = 0;
  /** Received. */
  recv = 0;
  /** The stack's error counters (STAT_FIELDS per protocol, this one's from `base`): a property of
   *  the prototype the stack's seven ProtoStats share (StackStats' constructor), not of each. */
  declare private readonly counts: Float64Array;
  private readonly base: number;

  constructor(index: number) {
    this.base = index * STAT_FIELDS;
  }

  /** Forwarded (we never forward: always 0, kept for lwIP parity). */
  get fw(): number { return this.counts[this.base + S_FW]; }
  set fw(v: number) { this.counts[this.base + S_FW] = v; }
  /** Dropped, for any reason (the specific reason is counted too). */
  get drop(): number { return this.counts[this.base + S_DROP]; }
  set drop(v: number) { this.counts[this.base + S_DROP] = v; }
  /** Checksum errors. */
  get chkerr(): number { return this.counts[this.base + S_CHKERR]; }
  set chkerr(v: number) { this.counts[this.base + S_CHKERR] = v; }
  /** Invalid length. */
  get lenerr(): number { return this.counts[this.base + S_LENERR]; }
  set lenerr(v: number) { this.counts[this.base + S_LENERR] = v; }
  /** Out of memory (a pool was empty). */
  get memerr(): number { return this.counts[this.base + S_MEMERR]; }
  set memerr(v: number) { this.counts[this.base + S_MEMERR] = v; }
  /** Routing errors (no route, unresolved address). */
  get rterr(): number { return this.counts[this.base + S_RTERR]; }
  set rterr(v: number) { this.counts[this.base + S_RTERR] = v; }
  /** Protocol errors (unsupported type, bad state). */
  get proterr(): number { return this.counts[this.base + S_PROTERR]; }
  set proterr(v: number) { this.counts[this.base + S_PROTERR] = v; }
  /** Option errors. */
  get opterr(): number { return this.counts[this.base + S_OPTERR]; }
  set opterr(v: number) { this.counts[this.base + S_OPTERR] = v; }
  /** Cache hits: ARP counts one per frame sent to the entry used last, and keeps it as a property
   *  (see StackStats); no other protocol counts any, so theirs sits in the array. */
  get cachehit(): number { return this.counts[this.base + S_CACHEHIT]; }
  set cachehit(v: number) { this.counts[this.base + S_CACHEHIT] = v; }
  /** Miscellaneous errors. */
  get err(): number { return this.counts[this.base + S_ERR]; }
  set err(v: number) { this.counts[this.base + S_ERR] = v; }

  /** Every counter by name (JSON.stringify of the stats, diagnostics). */
  toJSON(): Record<string, number> {
    return {
      xmit: this.xmit, recv: this.recv, fw: this.fw, drop: this.drop, chkerr: this.chkerr, lenerr: this.lenerr,
      memerr: this.memerr, rterr: this.rterr, proterr: this.proterr, opterr: this.opterr, err: this.err, cachehit: this.cachehit,
    };
  }
}

/** Float64 entries of a StackStats' counter array (seven ProtoStats). */
export const STACK_STAT_ENTRIES = 7 * STAT_FIELDS;

export class StackStats {
  readonly link: ProtoStats;
  readonly etharp: ProtoStats;
  readonly ip: ProtoStats;
  readonly ipfrag: ProtoStats;
  readonly icmp: ProtoStats;
  readonly udp: ProtoStats;
  readonly tcp: ProtoStats;

  /** `counts`: the error counters of the seven ProtoStats (STACK_STAT_ENTRIES; see the top of
   *  this file), e.g. from the StackCore's buffer. It is kept once, on a prototype the seven share
   *  (as the pbuf handles share their pool), rather than as a property of each: on XS every
   *  property is a heap slot. */
  constructor(counts: Float64Array = new Float64Array(STACK_STAT_ENTRIES)) {
    const proto = Object.create(ProtoStats.prototype) as { counts: Float64Array };
    proto.counts = counts;
    const make = (index: number): ProtoStats => Object.setPrototypeOf(new ProtoStats(index), proto) as ProtoStats;
    this.link = make(0);
    this.etharp = make(1);
    // ARP's cachehit is bumped per frame sent: a property of its own there (a data property
    // shadows the accessor; TypeScript cannot declare a field over an inherited accessor)
    Object.defineProperty(this.etharp, 'cachehit', { value: 0, writable: true, enumerable: true, configurable: true });
    this.ip = make(2);
    this.ipfrag = make(3);
    this.icmp = make(4);
    this.udp = make(5);
    this.tcp = make(6);
  }
}
