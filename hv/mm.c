/*
 * hv's memory: its own page tables (an identity map of all physical memory) and
 * its use of the page allocator.  Root mode.  The first 4 GiB are mapped from a
 * small static pool while the firmware's page tables are still live, since the
 * allocator may hand out the pages those tables sit in; the rest, if any, is
 * mapped once hv runs on its own tables.
 */
#include "../lib/string.h"
#include "part.h"
#include "pmem.h"
#include "../lib/x86.h"

struct pmem hv_pmem;
u64 hv_pages_used; /* pages hv took from the allocator for itself */
u64 hv_image_bytes;
extern char __hv_start[], __hv_end[];

static u8 early_pool[16][4096] __attribute__((aligned(4096)));
static u32 early_used;
static struct gpt hv_gpt;
int hv_leaf_max;

/* Every page hv hands out, to itself or to a partition, is zeroed here, on the
 * way out: pages come back to the allocator as they are, and nothing reaches a
 * new owner but zeroes. */
u64 pages_get(u64 n, u64 align)
{
	u64 pa = align == 1 ? pmem_alloc(&hv_pmem, n) : pmem_alloc_aligned(&hv_pmem, n, align); /* single pages next-fit */
	if (pa)
		memset(HV_PTR(pa), 0, n << BH_PAGE_SHIFT);
	return pa;
}

u64 gpt_hv_alloc(void *ctx)
{
	(void)ctx;
	if (hv_pmem.bits)
		return page_alloc(1);
	return early_used < BH_ARRAY_SIZE(early_pool) ? HV_PA(early_pool[early_used++]) : 0;
}

void gpt_hv_free(void *ctx, u64 pa)
{
	(void)ctx;
	if (pa >= HV_PA(early_pool) && pa < HV_PA(early_pool) + sizeof early_pool)
		return; /* static: never reused */
	page_free(pa, 1);
}

void *gpt_hv_p2v(void *ctx, u64 pa)
{
	(void)ctx;
	return HV_PTR(pa);
}

u64 page_alloc(u64 n)
{
	u64 pa = pages_get(n, 1);
	if (pa)
		hv_pages_used += n;
	return pa;
}

u64 page_alloc_boot(u64 n)
{
	u64 pa = page_alloc(n);
	if (!pa)
		panic("out of memory at boot: %llu pages wanted, %llu free", n, hv_pmem.free);
	return pa;
}

void page_free(u64 pa, u64 n)
{
	pmem_free(&hv_pmem, pa, n);
	hv_pages_used -= n;
}

static u64 phys_top(const struct bh_boot_info *bi)
{
	u64 top = 4ull << 30;
	for (u32 i = 0; i < bi->nr_mem; i++)
		if (bi->mem[i].base + bi->mem[i].size > top)
			top = bi->mem[i].base + bi->mem[i].size;
	return BH_ALIGN_UP(top, 1ull << 30);
}

void mm_init(const struct bh_boot_info *bi)
{
	u32 a, b, c, d;
	cpuid(0x80000001, 0, &a, &b, &c, &d);
	static const struct gpt_fmt hv_fmt = { .present = PTE_P, .table = PTE_P | PTE_W, .leaf = PTE_P | PTE_G };
	hv_leaf_max = (d >> 26) & 1 ? GPT_1G : GPT_2M;
	hv_gpt = (struct gpt){ .fmt = &hv_fmt, .alloc = gpt_hv_alloc, .free = gpt_hv_free,
			       .p2v = gpt_hv_p2v, .max_level = hv_leaf_max };
	if (gpt_init(&hv_gpt) || gpt_map(&hv_gpt, 0, 0, 4ull << 30, GPT_WRITE))
		panic("early page-table pool too small");
	write_cr4(read_cr4() | CR4_PGE);
	write_cr3(hv_gpt.root);

	/* The allocator's bitmap goes in the first usable range above 1 MiB that fits. */
	u64 bytes = pmem_bitmap_bytes(bi->mem, bi->nr_mem), at = 0;
	u64 need = BH_ALIGN_UP(bytes, BH_PAGE_SIZE);
	for (u32 i = 0; i < bi->nr_mem && !at; i++) {
		const struct bh_mem_range *r = &bi->mem[i];
		u64 base = BH_ALIGN_UP(r->base < 0x100000 ? 0x100000 : r->base, BH_PAGE_SIZE);
		if (r->type == BH_MEM_USABLE && base + need <= r->base + r->size)
			at = base;
	}
	if (!at)
		panic("no room for the page bitmap (%llu bytes)", bytes);
	pmem_init(&hv_pmem, bi->mem, bi->nr_mem, HV_PTR(at), at);
	hv_pages_used = need >> BH_PAGE_SHIFT;
	hv_image_bytes = (u64)(__hv_end - __hv_start);

	u64 top = phys_top(bi);
	if (top > (4ull << 30) && gpt_map(&hv_gpt, 4ull << 30, 4ull << 30, top - (4ull << 30), GPT_WRITE))
		panic("cannot map memory above 4 GiB");
	hv_printf("hv: %llu MiB usable RAM, %llu MiB free, map up to %llu GiB\n",
		  hv_pmem.total >> 8, hv_pmem.free >> 8, top >> 30);
}
