/**
 * A Node stand-in for Moddable's `dns/parser`, whose methods are native C in the SDK (so that module
 * cannot run on Node): the same surface — id, flags, questions, answers, authorities, additionals,
 * question(i) → {qname, qtype, qclass}, answer(i) → {qname, qtype, qclass, ttl, rdata} — written
 * from RFC 1035 §4.1 (header, question and resource-record formats, §4.1.4 name compression).
 * rdata is the address text for A records and the bytes otherwise. In the Moddable runtime (the lin
 * app) the SDK's own parser is used.
 */
interface Question { qname: string[]; qtype: number; qclass: number }
interface Answer extends Question { ttl: number; rdata: unknown }

export default class Parser {
  readonly buffer: ArrayBuffer;
  private readonly b: Uint8Array;

  constructor(packet: ArrayBuffer) {
    this.buffer = packet.byteLength >= 12 ? packet : new ArrayBuffer(12);
    this.b = new Uint8Array(this.buffer);
  }

  private u16(o: number): number { return (this.b[o] << 8) | this.b[o + 1]; }

  get id(): number { return this.u16(0); }
  get flags(): number { return this.u16(2); }
  get questions(): number { return this.u16(4); }
  get answers(): number { return this.u16(6); }
  get authorities(): number { return this.u16(8); }
  get additionals(): number { return this.u16(10); }

  /** A name at `o`: its labels and the offset after it (pointers followed, loops bounded). */
  private name(o: number): { labels: string[]; end: number } {
    const labels: string[] = [];
    let end = -1;
    for (let hops = 0; hops < 64 && o < this.b.length; hops++) {
      const len = this.b[o];
      if (len === 0) { if (end < 0) end = o + 1; break; }
      if ((len & 0xc0) === 0xc0) {
        if (end < 0) end = o + 2;
        o = ((len & 0x3f) << 8) | this.b[o + 1];
        continue;
      }
      labels.push(String.fromCharCode(...this.b.subarray(o + 1, o + 1 + len)));
      o += 1 + len;
    }
    return { labels, end: end < 0 ? this.b.length : end };
  }

  /** Offset of record `index` of the sections after the questions (answers, authorities, additionals). */
  private offsetAfter(questions: number, records: number): number {
    let o = 12;
    for (let i = 0; i < questions; i++) o = this.name(o).end + 4;
    for (let i = 0; i < records; i++) {
      o = this.name(o).end + 8;
      o += 2 + this.u16(o);
    }
    return o;
  }

  question(index: number): Question | undefined {
    if (index >= this.questions) return undefined;
    const o = this.offsetAfter(index, 0);
    const n = this.name(o);
    return { qname: n.labels, qtype: this.u16(n.end), qclass: this.u16(n.end + 2) };
  }

  answer(index: number): Answer | undefined {
    if (index >= this.answers + this.authorities + this.additionals) return undefined;
    const o = this.offsetAfter(this.questions, index);
    const n = this.name(o);
    const e = n.end;
    const qtype = this.u16(e);
    const rdlen = this.u16(e + 8);
    const r = this.b.subarray(e + 10, e + 10 + rdlen);
    const rdata = qtype === 1 && rdlen === 4 ? r.join('.') : r.slice().buffer;
    return { qname: n.labels, qtype, qclass: this.u16(e + 2) & 0x7fff, ttl: ((this.u16(e + 4) << 16) >>> 0) + this.u16(e + 6), rdata };
  }

  authority(index: number): Answer | undefined { return this.answer(this.answers + index); }
  additional(index: number): Answer | undefined { return this.answer(this.answers + this.authorities + index); }
}
