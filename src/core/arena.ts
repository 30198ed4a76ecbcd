/**
 * One ArrayBuffer carved into the small typed arrays a layer keeps for its lifetime (pool free
 * stacks, structure-of-arrays fields, scratch). Why: on XS each ArrayBuffer is about three heap
 * slots of its own, besides its views, so a layer with ten small arrays in one buffer saves some
 * thirty slots. The owner sizes the buffer exactly with `Arena.size` over the arrays it will take
 * (in bytes), then takes them in any order; each view starts on an 8-byte boundary. Used only while
 * a layer is constructed: the Arena object itself is not kept.
 */
export class Arena {
  private readonly buf: ArrayBuffer;
  private off = 0;

  /** Bytes an arena needs for arrays of these byte lengths. */
  static size(...bytes: number[]): number {
    let n = 0;
    for (let i = 0; i < bytes.length; i++) n += (bytes[i] + 7) & ~7;
    return n;
  }

  constructor(bytes: number) { this.buf = new ArrayBuffer(bytes); }

  /** The next `bytes` bytes (8-aligned); a fresh buffer if the arena was sized too small, so that
   *  a sizing slip costs memory, never correctness (the layout tests check that none spills). */
  private take(bytes: number): [ArrayBuffer, number] {
    const at = this.off;
    const end = at + ((bytes + 7) & ~7);
    if (end > this.buf.byteLength) { this.spilled++; return [new ArrayBuffer(bytes), 0]; }
    this.off = end;
    return [this.buf, at];
  }

  /** Arrays that did not fit (0 when the owner sized it right). */
  spilled = 0;

  f64(n: number): Float64Array { const [b, o] = this.take(n * 8); return new Float64Array(b, o, n); }
  i32(n: number): Int32Array { const [b, o] = this.take(n * 4); return new Int32Array(b, o, n); }
  u32(n: number): Uint32Array { const [b, o] = this.take(n * 4); return new Uint32Array(b, o, n); }
  i16(n: number): Int16Array { const [b, o] = this.take(n * 2); return new Int16Array(b, o, n); }
  u16(n: number): Uint16Array { const [b, o] = this.take(n * 2); return new Uint16Array(b, o, n); }
  u8(n: number): Uint8Array { const [b, o] = this.take(n); return new Uint8Array(b, o, n); }
}
