/* test/moddable/native-lin/modHeapCount.c, bound for the native-check app (see heapcount.d.ts). */
export function collect() @ "xs_heapcount_collect";
export function heapSlots() @ "xs_heapcount_slots";
export function heapChunks() @ "xs_heapcount_chunks";
