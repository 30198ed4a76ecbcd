/*
 * Test only: the XS machine's heap counters (xsAll.h, the engine's own header) for the heap figures
 * of test/moddable/native_check.ts. XS keeps currentHeapCount exact after a collection and counts
 * each slot allocated since; currentChunksSize counts chunk bytes the same way.
 */
#include "xsAll.h"
#include "xsmc.h"

void xs_heapcount_collect(xsMachine *the)
{
	xsCollectGarbage();
}

void xs_heapcount_slots(xsMachine *the)
{
	xsmcSetInteger(xsResult, (xsIntegerValue)((txMachine *)the)->currentHeapCount);
}

void xs_heapcount_chunks(xsMachine *the)
{
	xsmcSetInteger(xsResult, (xsIntegerValue)((txMachine *)the)->currentChunksSize);
}
