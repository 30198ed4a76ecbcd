/** Moddable's `logical` module on Node: xor / and / or of a buffer with a byte or a (repeated) buffer. */
function bytes(b: ArrayBufferLike | ArrayBufferView): Uint8Array {
  return ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(b);
}

function apply(dst: ArrayBuffer | ArrayBufferView, src: number | ArrayBuffer | ArrayBufferView, count: number | undefined,
  op: (x: number, y: number) => number): void {
  const d = bytes(dst);
  const n = count === undefined ? d.length : Math.min(count, d.length);
  if (typeof src === 'number') {
    for (let i = 0; i < n; i++) d[i] = op(d[i], src);
    return;
  }
  const s = bytes(src);
  for (let i = 0; i < n; i++) d[i] = op(d[i], s[i % s.length]);
}

export default class Logical {
  static not(dst: ArrayBuffer, count?: number): void { apply(dst, 0xff, count, (x, y) => x ^ y); }
  static xor(dst: ArrayBuffer, src: number | ArrayBuffer, count?: number): void { apply(dst, src, count, (x, y) => x ^ y); }
  static and(dst: ArrayBuffer, src: number | ArrayBuffer, count?: number): void { apply(dst, src, count, (x, y) => x & y); }
  static or(dst: ArrayBuffer, src: number | ArrayBuffer, count?: number): void { apply(dst, src, count, (x, y) => x | y); }
}
