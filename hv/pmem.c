/*
 * Physical page allocator (see pmem.h).  Runs in hv root mode and in host unit
 * tests.  Single pages come from a next-fit scan over 64-page words; runs of
 * pages from a first-fit scan.  Every operation checks its range against the
 * bitmap, so a bad address is refused instead of corrupting the map.
 */
#include "pmem.h"

#define LOW_LIMIT 0x100000ull /* below 1 MiB stays with the firmware and the host */

static int page_free_bit(const struct pmem *pm, u64 pfn)
{
	return (pm->bits[pfn / 64] >> (pfn % 64)) & 1;
}

static void set_range(struct pmem *pm, u64 pfn, u64 n, int free)
{
	for (; n; n--, pfn++) {
		u64 m = 1ull << (pfn % 64);
		if (free)
			pm->bits[pfn / 64] |= m;
		else
			pm->bits[pfn / 64] &= ~m;
	}
}

static void usable_pages(const struct bh_mem_range *r, u64 *first, u64 *end)
{
	u64 b = r->base < LOW_LIMIT ? LOW_LIMIT : r->base;
	u64 e = r->base + r->size;
	*first = BH_ALIGN_UP(b, BH_PAGE_SIZE) >> BH_PAGE_SHIFT;
	*end = e > b ? BH_ALIGN_DOWN(e, BH_PAGE_SIZE) >> BH_PAGE_SHIFT : 0;
}

static u64 top_pfn(const struct bh_mem_range *mem, u32 n)
{
	u64 top = 0;
	for (u32 i = 0; i < n; i++) {
		u64 f, e;
		if (mem[i].type != BH_MEM_USABLE)
			continue;
		usable_pages(&mem[i], &f, &e);
		if (e > f && e > top)
			top = e;
	}
	return top;
}

u64 pmem_bitmap_bytes(const struct bh_mem_range *mem, u32 n)
{
	return (top_pfn(mem, n) + 63) / 64 * 8;
}

void pmem_init(struct pmem *pm, const struct bh_mem_range *mem, u32 n, u64 *bits, u64 bits_pa)
{
	pm->bits = bits;
	pm->nr_pages = top_pfn(mem, n);
	pm->total = pm->free = pm->hint = 0;
	for (u64 i = 0; i < (pm->nr_pages + 63) / 64; i++)
		bits[i] = 0;
	for (u32 i = 0; i < n; i++) {
		u64 f, e;
		if (mem[i].type != BH_MEM_USABLE)
			continue;
		usable_pages(&mem[i], &f, &e);
		for (u64 p = f; p < e; p++) /* ranges may overlap in a bad map: count once */
			if (!page_free_bit(pm, p)) {
				set_range(pm, p, 1, 1);
				pm->total++;
				pm->free++;
			}
	}
	u64 bytes = (pm->nr_pages + 63) / 64 * 8;
	if (bytes && pmem_take(pm, bits_pa, BH_ALIGN_UP(bytes, BH_PAGE_SIZE) >> BH_PAGE_SHIFT) == 0)
		pm->total -= BH_ALIGN_UP(bytes, BH_PAGE_SIZE) >> BH_PAGE_SHIFT;
}

static int range_ok(const struct pmem *pm, u64 pa, u64 n)
{
	u64 pfn = pa >> BH_PAGE_SHIFT;
	return !(pa & (BH_PAGE_SIZE - 1)) && n && pfn < pm->nr_pages && n <= pm->nr_pages - pfn;
}

int pmem_take(struct pmem *pm, u64 pa, u64 n)
{
	if (!range_ok(pm, pa, n))
		return -1;
	u64 pfn = pa >> BH_PAGE_SHIFT;
	for (u64 i = 0; i < n; i++)
		if (!page_free_bit(pm, pfn + i))
			return -1;
	set_range(pm, pfn, n, 0);
	pm->free -= n;
	return 0;
}

void pmem_free(struct pmem *pm, u64 pa, u64 n)
{
	if (!range_ok(pm, pa, n))
		return;
	u64 pfn = pa >> BH_PAGE_SHIFT;
	for (u64 i = 0; i < n; i++)
		if (!page_free_bit(pm, pfn + i)) { /* a double free is ignored, not counted */
			set_range(pm, pfn + i, 1, 1);
			pm->free++;
		}
	if (pfn / 64 < pm->hint)
		pm->hint = pfn / 64;
}

u64 pmem_next_free_run(const struct pmem *pm, u64 pa, u64 *pages)
{
	u64 pfn = pa >> BH_PAGE_SHIFT;
	while (pfn < pm->nr_pages && !page_free_bit(pm, pfn)) {
		if (!(pfn % 64) && !pm->bits[pfn / 64])
			pfn += 64;
		else
			pfn++;
	}
	u64 start = pfn;
	while (pfn < pm->nr_pages && page_free_bit(pm, pfn)) {
		if (!(pfn % 64) && pm->bits[pfn / 64] == ~0ull && pfn + 64 <= pm->nr_pages)
			pfn += 64; /* a whole free word */
		else
			pfn++;
	}
	*pages = pfn > start ? pfn - start : 0;
	return *pages ? start << BH_PAGE_SHIFT : 0;
}

u64 pmem_alloc_aligned(struct pmem *pm, u64 n, u64 align)
{
	if (!n || n > pm->free || !align || (align & (align - 1)))
		return 0;
	for (u64 pa = 0, len;; pa += len << BH_PAGE_SHIFT) {
		pa = pmem_next_free_run(pm, pa, &len);
		if (!len)
			return 0;
		u64 start = BH_ALIGN_UP(pa, align << BH_PAGE_SHIFT);
		u64 skip = (start - pa) >> BH_PAGE_SHIFT;
		if (len >= skip && len - skip >= n) {
			pmem_take(pm, start, n);
			return start;
		}
	}
}

u64 pmem_alloc(struct pmem *pm, u64 n)
{
	u64 words = (pm->nr_pages + 63) / 64;

	if (n != 1)
		return pmem_alloc_aligned(pm, n, 1);
	if (!pm->free)
		return 0;
	for (u64 k = 0; k < words; k++) {
		u64 w = (pm->hint + k) % words;
		if (pm->bits[w]) {
			u64 pfn = w * 64 + (u64)__builtin_ctzll(pm->bits[w]);
			pm->hint = w;
			set_range(pm, pfn, 1, 0);
			pm->free--;
			return pfn << BH_PAGE_SHIFT;
		}
	}
	return 0;
}
