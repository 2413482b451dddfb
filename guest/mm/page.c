/*
 * Physical page allocator (guest ring 0): one bit per page of the first
 * DIRECT_SIZE bytes, set when free.  Only BH_MEM_USABLE ranges of the boot
 * info start free; the kernel image, modules and boot data stay untouched.
 * Single pages are taken next-fit, runs first-fit; both skip whole words
 * of used pages (a boot image and its unpacked tree fill hundreds of MiB).
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"

#define NPAGES (DIRECT_SIZE / PAGE)
static u64 bits[NPAGES / 64];
static u64 lo_page, hi_page, next_page; /* range holding free pages */
/* Pages from clean_from up were never handed out, in RAM that hv zeroed
 * (BH_MEM_ZEROED): page_alloc need not zero them again.  Each run handed out
 * moves it past itself, so it only ever rises. */
static u64 clean_from = NPAGES;
u64 pages_total, pages_free;

static inline int is_free(u64 pg) { return (bits[pg / 64] >> (pg % 64)) & 1; }
static inline void set_free(u64 pg) { bits[pg / 64] |= 1ull << (pg % 64); }
static inline void set_used(u64 pg) { bits[pg / 64] &= ~(1ull << (pg % 64)); }

void page_init(void)
{
	lo_page = NPAGES;
	for (u32 i = 0; i < boot_info->nr_mem; i++) {
		const struct bh_mem_range *r = &boot_info->mem[i];
		if (r->type != BH_MEM_USABLE)
			continue;
		u64 b = BH_ALIGN_UP(r->base, PAGE) / PAGE, e = BH_ALIGN_DOWN(r->base + r->size, PAGE) / PAGE;
		if (b < 256)
			b = 256; /* leave the first MiB alone */
		if (e > NPAGES)
			e = NPAGES;
		pages_free += e > b ? e - b : 0;
		for (u64 pg = b; pg < e;) /* whole words where it can */
			if (pg % 64 || e - pg < 64)
				set_free(pg++);
			else
				bits[pg / 64] = ~0ull, pg += 64;
		if (b < e && b < lo_page)
			lo_page = b;
		if (e > hi_page)
			hi_page = e;
	}
	pages_total = pages_free;
	next_page = lo_page;
	clean_from = lo_page;
	for (u32 i = 0; i < boot_info->nr_mem; i++)
		if (boot_info->mem[i].type == BH_MEM_USABLE && !(boot_info->mem[i].flags & BH_MEM_ZEROED))
			clean_from = NPAGES;
}

/* Pages [pg, pg + n) leave the free set: *clean says they still read zero. */
static void *hand_out(u64 pg, u64 n, int *clean)
{
	*clean = pg >= clean_from;
	if (pg + n > clean_from)
		clean_from = pg + n;
	pages_free -= n;
	return p2v(pg * PAGE);
}

static void *take(u64 n, int *clean)
{
	if (n == 1) {
		for (u64 k = 0; k < hi_page - lo_page; k++) {
			u64 pg = next_page;
			if (++next_page >= hi_page)
				next_page = lo_page;
			if (bits[pg / 64] == 0) { /* skip a whole empty word */
				k += 63 - pg % 64;
				next_page = BH_ALIGN_UP(pg + 1, 64) < hi_page ? BH_ALIGN_UP(pg + 1, 64) : lo_page;
				continue;
			}
			if (is_free(pg)) {
				set_used(pg);
				return hand_out(pg, 1, clean);
			}
		}
		return 0;
	}
	for (u64 pg = lo_page; pg + n <= hi_page; pg++) {
		if (!bits[pg / 64]) { /* no free page in the rest of this word */
			pg |= 63;
			continue;
		}
		u64 k = 0;
		while (k < n && is_free(pg + k))
			k++;
		if (k == n) {
			for (k = 0; k < n; k++)
				set_used(pg + k);
			return hand_out(pg, n, clean);
		}
		pg += k;
	}
	return 0;
}

void *page_alloc_run(u64 n)
{
	int clean;
	return take(n, &clean);
}

void *page_alloc(void)
{
	int clean;
	void *p = take(1, &clean);
	if (p && !clean)
		memset(p, 0, PAGE);
	return p;
}

void page_free_run(void *p, u64 n)
{
	u64 pg = v2p(p) / PAGE;
	for (u64 k = 0; k < n; k++) {
		if (is_free(pg + k))
			kprintf("guest: double free of page %llx\n", (pg + k) * PAGE);
		else
			pages_free++;
		set_free(pg + k);
	}
}

void page_free(void *p) { page_free_run(p, 1); }
