/** test/moddable/native-lin/modHeapCount.c: the XS machine's own counters, for the heap figures. */
declare module 'heapcount' {
  /** Collects garbage (a full collection). */
  export function collect(): void;
  /** Heap slots in use (XS's currentHeapCount: live after a collection, plus any allocated since). */
  export function heapSlots(): number;
  /** Chunk heap bytes in use (XS's currentChunksSize). */
  export function heapChunks(): number;
}
