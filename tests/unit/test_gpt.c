/* Host unit test: the page-table builder (hv/gpt.c) with the NPT/x86 encoding. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "../../hv/gpt.h"

#define ARENA_PAGES 4096
#define ARENA_BASE 0x40000000ull /* fake physical address of the arena */
static unsigned char *arena;
static u64 next_page, live_pages;
static u64 freelist[ARENA_PAGES], nfree;

static u64 t_alloc(void *ctx)
{
	(void)ctx;
	u64 idx;
	if (nfree)
		idx = freelist[--nfree];
	else if (next_page < ARENA_PAGES)
		idx = next_page++;
	else
		return 0;
	memset(arena + idx * 4096, 0, 4096);
	live_pages++;
	return ARENA_BASE + idx * 4096;
}
static void t_free(void *ctx, u64 pa) { (void)ctx; freelist[nfree++] = (pa - ARENA_BASE) / 4096; live_pages--; }
static void *t_p2v(void *ctx, u64 pa) { (void)ctx; return arena + (pa - ARENA_BASE); }

static int maps(struct gpt *g, u64 gpa, u64 want_hpa, int want_level)
{
	u64 hpa;
	int level;
	if (gpt_lookup(g, gpa, &hpa, &level, NULL))
		return 0;
	return hpa == want_hpa && (!want_level || level == want_level);
}
static int unmapped(struct gpt *g, u64 gpa)
{
	u64 hpa;
	int level;
	return gpt_lookup(g, gpa, &hpa, &level, NULL) != 0;
}

#define GB (1ull << 30)
#define MB (1ull << 20)

int main(int argc, char **argv)
{
	(void)argc;
	arena = aligned_alloc(4096, ARENA_PAGES * 4096ull);
	struct gpt g = { .fmt = &gpt_fmt_x86, .max_level = GPT_2M, .alloc = t_alloc, .free = t_free, .p2v = t_p2v };
	CHECK(gpt_init(&g) == 0);

	/* Identity map 4 GiB: 2 MiB leaves only, 1 PML4 + 1 PDPT + 4 PD tables. */
	CHECK(gpt_map(&g, 0, 0, 4 * GB, GPT_WRITE) == 0);
	CHECK(g.tables == 6);
	CHECK(maps(&g, 0x12345678, 0x12345678, GPT_2M));
	CHECK(maps(&g, 4 * GB - 4096, 4 * GB - 4096, GPT_2M));
	CHECK(unmapped(&g, 4 * GB));

	/* A hole of hv pages inside a large page: neighbours stay mapped as 4K pages. */
	u64 hv = 16 * MB + 3 * 4096;
	CHECK(gpt_unmap(&g, hv, 2 * 4096) == 0);
	CHECK(unmapped(&g, hv) && unmapped(&g, hv + 4096));
	CHECK(maps(&g, hv - 4096, hv - 4096, GPT_4K));
	CHECK(maps(&g, hv + 2 * 4096, hv + 2 * 4096, GPT_4K));
	CHECK(maps(&g, 16 * MB + 2 * MB, 16 * MB + 2 * MB, GPT_2M)); /* next 2M untouched */
	CHECK(g.tables == 7);
	u64 entry;
	u64 hpa;
	int level;
	CHECK(gpt_lookup(&g, hv - 4096, &hpa, &level, &entry) == 0 && (entry & GPT_WRITE));

	/* Remapping a whole 2 MiB replaces the split table by a leaf again (table freed). */
	CHECK(gpt_map(&g, 16 * MB, 16 * MB, 2 * MB, GPT_WRITE) == 0);
	CHECK(g.tables == 6 && live_pages == 6);
	CHECK(maps(&g, hv, hv, GPT_2M));

	/* Read-only, non-identity mapping of an unaligned run: 4K leaves, no write bit. */
	CHECK(gpt_map(&g, 5 * GB + 4096, 0x7000000, 3 * 4096, 0) == 0);
	CHECK(gpt_lookup(&g, 5 * GB + 2 * 4096 + 5, &hpa, &level, &entry) == 0);
	CHECK(hpa == 0x7001005 && level == GPT_4K && !(entry & GPT_WRITE));

	/* 2M-aligned gpa but hpa not 2M-aligned: must fall back to 4K leaves. */
	CHECK(gpt_map(&g, 6 * GB, 0x1001000, 2 * MB, GPT_WRITE) == 0);
	CHECK(maps(&g, 6 * GB + 2 * MB - 1, 0x1001000 + 2 * MB - 1, GPT_4K));

	/* Device memory: the uncached bits, and only on request. */
	CHECK(gpt_map(&g, 7 * GB, 7 * GB, 2 * MB, GPT_WRITE | GPT_UC) == 0);
	CHECK(gpt_lookup(&g, 7 * GB, &hpa, &level, &entry) == 0 && (entry & gpt_fmt_x86.uc) == gpt_fmt_x86.uc);
	CHECK(gpt_lookup(&g, 0x12345678, &hpa, &level, &entry) == 0 && !(entry & gpt_fmt_x86.uc));
	CHECK(!(entry & GPT_UC)); /* the request flag itself is never stored */

	/* 1 GiB leaves where allowed. */
	struct gpt g1 = g;
	g1.max_level = GPT_1G;
	CHECK(gpt_init(&g1) == 0);
	CHECK(gpt_map(&g1, 0, 0, 512 * GB, GPT_WRITE) == 0);
	CHECK(g1.tables == 2);
	CHECK(maps(&g1, 300 * GB + 17, 300 * GB + 17, GPT_1G));
	CHECK(gpt_unmap(&g1, 0xfee00000, 4096) == 0); /* split 1G -> 2M -> 4K */
	CHECK(g1.tables == 4 && unmapped(&g1, 0xfee00000));
	CHECK(maps(&g1, 0xfee01000, 0xfee01000, GPT_4K));
	CHECK(maps(&g1, 0xfec00000, 0xfec00000, GPT_2M));
	CHECK(maps(&g1, 2 * GB, 2 * GB, GPT_1G));

	/* gpt_mapped: any page of a range, across empty spans of every level. */
	CHECK(gpt_mapped(&g, 5 * GB, 4096) == 0);         /* the page before the 3-page run */
	CHECK(gpt_mapped(&g, 5 * GB, 2 * 4096) == 1);     /* reaches its first page */
	CHECK(gpt_mapped(&g, 5 * GB + 4 * 4096, 1 * GB - 4 * 4096) == 0); /* after it, to 6 GiB */
	CHECK(gpt_mapped(&g, 5 * GB + 4 * 4096, 1 * GB - 3 * 4096) == 1); /* one page further */
	CHECK(gpt_mapped(&g, 8 * GB, 500 * GB) == 0);     /* empty PDPT and PML4 entries */
	CHECK(gpt_mapped(&g, 0, 4096) == 1);
	CHECK(gpt_mapped(&g, 6 * GB + 2 * MB, 4096) == 0 && gpt_mapped(&g, 6 * GB + 2 * MB - 4096, 4096) == 1);

	/* Bad arguments are refused without changes. */
	CHECK(gpt_map(&g, 0x1001, 0, 4096, 0) == -1);
	CHECK(gpt_map(&g, 0, 0x1001, 4096, 0) == -1);
	CHECK(gpt_map(&g, ~0ull & ~0xfffull, 0, 0x2000, 0) == -1); /* wraps */
	CHECK(gpt_map(&g, 0, 0, 4096, 1ull << 63) == -1);          /* unknown prot */
	CHECK(gpt_map(&g, 0, 0, 4096, 1ull << 4) == -1);           /* raw bits are not prot */
	CHECK(gpt_unmap(&g, 1ull << 48, 4096) == -1);

	/* Out of table memory: an error, not a crash. */
	u64 saved = next_page;
	next_page = ARENA_PAGES;
	u64 saved_free = nfree;
	nfree = 0;
	CHECK(gpt_map(&g, 100 * GB, 0, 4096, 0) == -1);
	next_page = saved;
	nfree = saved_free;

	/* Destroy returns every table page. */
	gpt_destroy(&g);
	gpt_destroy(&g1);
	CHECK(live_pages == 0);
	free(arena);
	return check_summary(argv[0]);
}
