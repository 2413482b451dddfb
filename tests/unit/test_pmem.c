/* Host unit test: memory map -> page allocator (hv/pmem.c). */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "../../hv/pmem.h"

#define MB (1ull << 20)

int main(int argc, char **argv)
{
	(void)argc;
	struct bh_mem_range map[] = {
		{ 0x0, 0xa0000, BH_MEM_USABLE, 0 },          /* below 1 MiB: never handed out */
		{ 0x100000, 7 * MB, BH_MEM_USABLE, 0 },       /* 1..8 MiB */
		{ 8 * MB, 1 * MB, BH_MEM_RESERVED, 0 },
		{ 9 * MB, 0x800, BH_MEM_USABLE, 0 },          /* less than a page: nothing */
		{ 16 * MB, 2 * MB, BH_MEM_HV, 0 },
		{ 32 * MB + 0x800, 1 * MB, BH_MEM_USABLE, 0 }, /* unaligned: inner pages only */
	};
	u32 n = BH_ARRAY_SIZE(map);
	u64 bytes = pmem_bitmap_bytes(map, n);
	CHECK(bytes == ((33 * MB) / 4096 + 63) / 64 * 8);
	u64 *bits = calloc(1, bytes);
	struct pmem pm;
	pmem_init(&pm, map, n, bits, 1 * MB); /* bitmap sits at 1 MiB: one page taken */

	u64 usable = (7 * MB) / 4096 + (1 * MB - 4096) / 4096;
	CHECK(pm.total == usable - 1);
	CHECK(pm.free == usable - 1);
	CHECK(pmem_take(&pm, 1 * MB, 1) == -1); /* the bitmap page is not free */

	/* Single pages: lowest first, never below 1 MiB, never in reserved or hv ranges. */
	u64 p = pmem_alloc(&pm, 1);
	CHECK(p == 1 * MB + 4096);
	CHECK(pm.free == usable - 2);
	pmem_free(&pm, p, 1);
	pmem_free(&pm, p, 1); /* double free is not counted twice */
	CHECK(pm.free == usable - 1);

	/* Aligned runs: 2 MiB alignment inside 1..8 MiB starts at 2 MiB. */
	u64 al = pmem_alloc_aligned(&pm, 512, 512);
	CHECK(al == 2 * MB);
	CHECK(pmem_alloc_aligned(&pm, 1, 3) == 0); /* not a power of two */
	pmem_free(&pm, al, 512);

	/* Runs: a 7 MiB run cannot fit below 8 MiB (bitmap page), nor in 32 MiB (1 MiB). */
	CHECK(pmem_alloc(&pm, 7 * MB / 4096) == 0);
	u64 r = pmem_alloc(&pm, 16);
	CHECK(r == 1 * MB + 4096);
	u64 rest = 7 * MB / 4096 - 1 - 16; /* what is left between 1 and 8 MiB */
	CHECK(pmem_alloc(&pm, rest) == 1 * MB + 17 * 4096);
	CHECK(pmem_alloc(&pm, 256) == 0); /* the 32 MiB range holds only 255 */
	CHECK(pmem_alloc(&pm, 255) == 32 * MB + 4096);
	CHECK(pmem_take(&pm, 16 * MB, 1) == -1);   /* hv range */
	CHECK(pmem_take(&pm, 8 * MB, 1) == -1);    /* reserved */
	CHECK(pmem_take(&pm, 0x1000, 1) == -1);    /* below 1 MiB */
	CHECK(pmem_take(&pm, 64 * MB, 1) == -1);   /* beyond the map */
	CHECK(pmem_take(&pm, 2 * MB + 1, 1) == -1); /* unaligned */
	CHECK(pmem_take(&pm, 4 * MB, ~0ull) == -1); /* huge length does not wrap */
	pmem_free(&pm, 64 * MB, 1);                 /* ignored */
	pmem_free(&pm, 4 * MB, ~0ull);              /* ignored */

	/* Take everything one page at a time: exactly `free` pages, then 0. */
	u64 before = pm.free, got = 0;
	while (pmem_alloc(&pm, 1))
		got++;
	CHECK(got == before);
	CHECK(pm.free == 0);
	CHECK(pmem_alloc(&pm, 1) == 0);
	pmem_free(&pm, r, 16);
	CHECK(pm.free == 16);
	u64 len;
	CHECK(pmem_next_free_run(&pm, 0, &len) == r && len == 16);
	free(bits);

	/* Ranges are handled a 64-page word at a time: random runs across word
	 * edges, checked against a page-by-page model of the same map. */
	struct bh_mem_range one[] = { { 1 * MB, 4 * MB, BH_MEM_USABLE, 0 } }; /* 1..5 MiB: pfns 256..1279 */
	bits = calloc(1, pmem_bitmap_bytes(one, 1));
	pmem_init(&pm, one, 1, bits, 5 * MB); /* the bitmap outside: nothing taken */
	static char model[1280];
	memset(model + 256, 1, 1024);
	u64 model_free = 1024, bad = 0;
	srand(7);
	for (int k = 0; k < 20000; k++) {
		u64 pfn = 256 + (u64)rand() % 1024, cnt = 1 + (u64)rand() % 200, all = 1;
		cnt = pfn + cnt > 1280 ? 1280 - pfn : cnt;
		for (u64 i = pfn; i < pfn + cnt; i++)
			all &= (u64)model[i];
		if (rand() % 2) {
			int ok = pmem_take(&pm, pfn * 4096, cnt) == 0;
			bad += ok != (int)all;
			if (ok)
				memset(model + pfn, 0, cnt), model_free -= cnt;
		} else {
			pmem_free(&pm, pfn * 4096, cnt);
			for (u64 i = pfn; i < pfn + cnt; i++)
				model_free += !model[i], model[i] = 1;
		}
		bad += pm.free != model_free;
		u64 at = 256 + (u64)rand() % 1024, s = at, e;
		while (s < 1280 && !model[s])
			s++;
		for (e = s; e < 1280 && model[e]; e++)
			;
		u64 got_at = pmem_next_free_run(&pm, at * 4096, &len);
		bad += s < 1280 ? got_at != s * 4096 || len != e - s : got_at || len;
	}
	CHECK(bad == 0);
	free(bits);
	return check_summary(argv[0]);
}
