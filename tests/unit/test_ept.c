/* Host unit test: the page-table builder (hv/gpt.c) with the EPT entry format
 * (hv/vmx/ept.c).  Table pages are host memory; their addresses stand in for
 * physical ones. */
#include <string.h>
#include "check.h"
#include "../../hv/gpt.h"

#define EPT_RWX 7ull
#define EPT_MEMTYPE(e) (((e) >> 3) & 7)
#define EPT_WB 6
#define GB (1ull << 30)
#define MB (1ull << 20)

static u64 pool[16][512] __attribute__((aligned(4096)));
static unsigned used;
static u64 t_alloc(void *ctx)
{
	(void)ctx;
	if (used == 16)
		return 0;
	memset(pool[used], 0, sizeof pool[used]);
	return (u64)(uintptr_t)pool[used++];
}
static void t_free(void *ctx, u64 pa) { (void)ctx, (void)pa; }
static void *t_p2v(void *ctx, u64 pa) { (void)ctx; return (void *)(uintptr_t)pa; }

/* The leaf mapping gpa: its entry, or 0 if it does not map to want_hpa at want_level. */
static u64 leaf(struct gpt *g, u64 gpa, u64 want_hpa, int want_level)
{
	u64 hpa, e;
	int level;
	if (gpt_lookup(g, gpa, &hpa, &level, &e) || hpa != want_hpa || level != want_level)
		return 0;
	return e;
}

/* A leaf: R and X, W as asked, memory type write-back, bit 7 exactly on large leaves. */
static int leaf_ok(u64 e, int level, int write)
{
	return e && (e & EPT_RWX) == (write ? 7 : 5) && EPT_MEMTYPE(e) == EPT_WB && !(e & (1ull << 6)) &&
	       !!(e & GPT_LARGE) == (level > GPT_4K);
}

/* A table entry: R, W, X; no memory type, no bit 7. */
static int table_ok(u64 e) { return (e & 0xff) == EPT_RWX; }

int main(int argc, char **argv)
{
	(void)argc;
	struct gpt g = { .fmt = &gpt_fmt_ept, .max_level = GPT_1G, .alloc = t_alloc, .free = t_free, .p2v = t_p2v };
	CHECK(gpt_init(&g) == 0);

	/* 4 GiB one to one: four 1 GiB leaves under one PDPT. */
	CHECK(gpt_map(&g, 0, 0, 4 * GB, GPT_WRITE) == 0);
	CHECK(g.tables == 2);
	const u64 *root = t_p2v(0, g.root);
	CHECK(table_ok(root[0]) && !root[1]);
	CHECK(leaf_ok(leaf(&g, 0x12345678, 0x12345678, GPT_1G), GPT_1G, 1));
	CHECK(leaf_ok(leaf(&g, 4 * GB - 1, 4 * GB - 1, GPT_1G), GPT_1G, 1));

	/* A hole of two pages at 16 MiB + 12 KiB: split 1G -> 2M -> 4K, the rest stays mapped. */
	u64 hole = 16 * MB + 3 * 4096;
	CHECK(gpt_unmap(&g, hole, 2 * 4096) == 0);
	CHECK(g.tables == 4);
	u64 hpa, e;
	int level;
	CHECK(gpt_lookup(&g, hole, &hpa, &level, &e) == -1 && gpt_lookup(&g, hole + 4096, &hpa, &level, &e) == -1);
	CHECK(leaf_ok(leaf(&g, hole - 4096, hole - 4096, GPT_4K), GPT_4K, 1));
	CHECK(leaf_ok(leaf(&g, hole + 8192, hole + 8192, GPT_4K), GPT_4K, 1));
	CHECK(leaf_ok(leaf(&g, 18 * MB, 18 * MB, GPT_2M), GPT_2M, 1));
	CHECK(leaf_ok(leaf(&g, 1 * GB, 1 * GB, GPT_1G), GPT_1G, 1));
	const u64 *pdpt = t_p2v(0, root[0] & GPT_ADDR);
	const u64 *pd = t_p2v(0, pdpt[0] & GPT_ADDR);
	CHECK(table_ok(pdpt[0]) && table_ok(pd[8]) && leaf_ok(pd[9], GPT_2M, 1));

	/* Read-only: R and X without W. */
	CHECK(gpt_map(&g, 5 * GB, 0x7000000, 3 * 4096, 0) == 0);
	CHECK(leaf_ok(leaf(&g, 5 * GB + 8192, 0x7002000, GPT_4K), GPT_4K, 0));

	/* Device memory: memory type uncached (0), permissions as asked. */
	CHECK(gpt_map(&g, 6 * GB, 0xfe000000, 4096, GPT_WRITE | GPT_UC) == 0);
	e = leaf(&g, 6 * GB, 0xfe000000, GPT_4K);
	CHECK(e && (e & EPT_RWX) == 7 && EPT_MEMTYPE(e) == 0 && !(e & GPT_UC));

	/* Without 1 GiB pages: 2 MiB leaves, one PD per GiB. */
	struct gpt g2 = g;
	g2.max_level = GPT_2M;
	CHECK(gpt_init(&g2) == 0);
	CHECK(gpt_map(&g2, 0, 0, 4 * GB, GPT_WRITE) == 0);
	CHECK(g2.tables == 6);
	CHECK(leaf_ok(leaf(&g2, 3 * GB + 5, 3 * GB + 5, GPT_2M), GPT_2M, 1));
	return check_summary(argv[0]);
}
