/*
 * Physical page allocator: one bit per 4 KiB page of RAM below the highest usable
 * address (set = free), fed by the boot memory map.  Pure code: it never touches
 * the pages it manages, so the host unit tests drive it with fake addresses.
 */
#ifndef BULKHEAD_HV_PMEM_H
#define BULKHEAD_HV_PMEM_H

#include <bulkhead/bootinfo.h>

struct pmem {
	u64 *bits;    /* bit n set = page n free */
	u64 nr_pages; /* pages covered by bits */
	u64 total;    /* usable pages ever handed to the allocator */
	u64 free;     /* pages free now */
	u64 hint;     /* word index where the next single-page search starts */
};

/* Bytes of bitmap needed for this memory map. */
u64 pmem_bitmap_bytes(const struct bh_mem_range *mem, u32 n);
/*
 * Builds the allocator over the BH_MEM_USABLE ranges at or above 1 MiB.  The
 * bitmap lives at `bits`, which is physical address bits_pa (its pages are taken).
 */
void pmem_init(struct pmem *pm, const struct bh_mem_range *mem, u32 n, u64 *bits, u64 bits_pa);
/* n contiguous free pages, lowest address first; 0 when there is no such run. */
u64 pmem_alloc(struct pmem *pm, u64 n);
/* The same, starting at a multiple of align pages (a power of two). */
u64 pmem_alloc_aligned(struct pmem *pm, u64 n, u64 align);
/* Takes the given pages if all are free: 0, or -1 and nothing taken. */
int pmem_take(struct pmem *pm, u64 pa, u64 n);
void pmem_free(struct pmem *pm, u64 pa, u64 n);
/* Finds the first run of free pages at or after pa: returns its start and length. */
u64 pmem_next_free_run(const struct pmem *pm, u64 pa, u64 *pages);

#endif
