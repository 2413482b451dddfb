/*
 * Physical page allocator (see pmem.h).  Runs in hv root mode and in host unit
 * tests.  Single pages come from a next-fit scan over 64-page words; runs of
 * pages from a first-fit scan; ranges are read and written a word at a time.
 * Every operation checks its range against the bitmap, so a bad address is
 * refused instead of corrupting the map.
 */
#include "pmem.h"

#define LOW_LIMIT 0x100000ull /* below 1 MiB stays with the firmware and the host */

/* Bits [lo, hi) of a word, 0 <= lo < hi <= 64. */
static u64 mask(u64 lo, u64 hi)
{
	return (hi == 64 ? ~0ull : (1ull << hi) - 1) & (~0ull << lo);
}

/* Set bits in x (no popcnt instruction assumed). */
static u64 ones(u64 x)
{
	x -= (x >> 1) & 0x5555555555555555ull;
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	return ((x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full) * 0x0101010101010101ull >> 56;
}

/* Counts the free pages in [pfn, pfn + n), whole words a step, then marks
 * them free (set 1), used (set 0) or leaves them (set -1). */
static u64 range(struct pmem *pm, u64 pfn, u64 n, int set)
{
	u64 c = 0;
	for (u64 end = pfn + n, hi; pfn < end; pfn += hi - pfn % 64) {
		hi = end - pfn < 64 - pfn % 64 ? pfn % 64 + (end - pfn) : 64;
		u64 m = mask(pfn % 64, hi), *w = &pm->bits[pfn / 64];
		c += ones(*w & m);
		*w = set < 0 ? *w : set ? *w | m : *w & ~m;
	}
	return c;
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
		if (e <= f)
			continue;
		u64 fresh = e - f - range(pm, f, e - f, 1); /* ranges may overlap in a bad map: count once */
		pm->total += fresh;
		pm->free += fresh;
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
	if (!range_ok(pm, pa, n) || range(pm, pa >> BH_PAGE_SHIFT, n, -1) != n)
		return -1;
	range(pm, pa >> BH_PAGE_SHIFT, n, 0);
	pm->free -= n;
	return 0;
}

void pmem_free(struct pmem *pm, u64 pa, u64 n)
{
	if (!range_ok(pm, pa, n))
		return;
	u64 pfn = pa >> BH_PAGE_SHIFT;
	pm->free += n - range(pm, pfn, n, 1); /* a double free is ignored, not counted */
	if (pfn / 64 < pm->hint)
		pm->hint = pfn / 64;
}

/* The first page at or after pfn whose bit is `free` (nr_pages if none). */
static u64 next_bit(const struct pmem *pm, u64 pfn, int free)
{
	if (pfn >= pm->nr_pages)
		return pm->nr_pages;
	u64 i = pfn / 64, w = (free ? pm->bits[i] : ~pm->bits[i]) & (~0ull << (pfn % 64));
	while (!w && ++i < (pm->nr_pages + 63) / 64)
		w = free ? pm->bits[i] : ~pm->bits[i];
	u64 at = w ? i * 64 + (u64)__builtin_ctzll(w) : pm->nr_pages;
	return at < pm->nr_pages ? at : pm->nr_pages;
}

u64 pmem_next_free_run(const struct pmem *pm, u64 pa, u64 *pages)
{
	u64 start = next_bit(pm, pa >> BH_PAGE_SHIFT, 1);
	*pages = next_bit(pm, start, 0) - start;
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
			range(pm, pfn, 1, 0);
			pm->free--;
			return pfn << BH_PAGE_SHIFT;
		}
	}
	return 0;
}
