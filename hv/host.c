/*
 * The host partition (root mode, at boot).  It owns the devices and sees
 * physical memory one to one, except what it does not own: hv's pages, the RAM
 * hv keeps for utility partitions, and the local APIC, which hv drives.
 *
 *   1. its RAM: the guest kernel and boot modules where boot/ put them, a boot
 *      data block, then free pages up to host_memory (bulkhead.cfg);
 *   2. nested tables: everything up to the top of the address space one to one,
 *      then holes for all RAM that is not the host's, and for the APIC page;
 *   3. boot info and initial page tables for the guest kernel, in the block;
 *   4. its vCPU, in 64-bit mode at the kernel's entry.
 */
#include "../lib/string.h"
#include "part.h"
#include "pmem.h"
#include "x86.h"

#define HOST_RESERVE_PAGES 2048 /* kept by hv when host_memory = all */
#define BOOT_BLOCK_PAGES (BH_ALIGN_UP(sizeof(struct bh_boot_info), BH_PAGE_SIZE) / BH_PAGE_SIZE + 8)

static struct partition host;

static void add_extent(struct partition *p, u64 base, u64 pages, u32 type)
{
	if (p->nr_ext == PART_MAX_EXTENTS)
		panic("host partition: more than %u memory extents", PART_MAX_EXTENTS);
	p->ext[p->nr_ext++] = (struct mem_extent){ base, base, pages, type };
	p->ram_pages += pages;
}

static void take_ram(struct partition *p, const struct bh_boot_info *bi)
{
	for (u32 i = 0; i < bi->nr_mem; i++) {
		const struct bh_mem_range *r = &bi->mem[i];
		if (r->type == BH_MEM_KERNEL || r->type == BH_MEM_MODULE)
			add_extent(p, r->base, r->size >> BH_PAGE_SHIFT, r->type);
	}
	u64 want = bi->host_memory >> BH_PAGE_SHIFT;
	if (!want)
		want = hv_pmem.free > HOST_RESERVE_PAGES ? hv_pmem.free - HOST_RESERVE_PAGES : 0;
	else
		want = want > p->ram_pages ? want - p->ram_pages : 0;
	for (u64 pa = 0, len; want && p->nr_ext < PART_MAX_EXTENTS; pa += len << BH_PAGE_SHIFT) {
		pa = pmem_next_free_run(&hv_pmem, pa, &len);
		if (!len)
			break;
		if (len > want)
			len = want;
		pmem_take(&hv_pmem, pa, len);
		add_extent(p, pa, len, BH_MEM_USABLE);
		want -= len;
	}
	if (want)
		hv_printf("hv: host partition is %llu MiB short of host_memory\n", want >> 8);
}

static void build_npt(struct partition *p, const struct bh_boot_info *bi)
{
	u64 top = 4ull << 30;
	for (u32 i = 0; i < bi->nr_mem; i++)
		if (bi->mem[i].base + bi->mem[i].size > top)
			top = bi->mem[i].base + bi->mem[i].size;
	top = BH_ALIGN_UP(top, 1ull << 30);

	p->npt = (struct gpt){ .fmt = vcpu_ops->gpt_fmt, .alloc = gpt_hv_alloc, .free = gpt_hv_free,
			       .p2v = gpt_hv_p2v, .max_level = vcpu_ops->gpt_1g() ? GPT_1G : GPT_2M };
	int err = gpt_init(&p->npt) || gpt_map(&p->npt, 0, 0, top, GPT_WRITE);
	for (u32 i = 0; i < bi->nr_mem; i++) {
		const struct bh_mem_range *r = &bi->mem[i];
		if (r->type == BH_MEM_USABLE || r->type == BH_MEM_HV)
			err |= gpt_unmap(&p->npt, BH_ALIGN_DOWN(r->base, BH_PAGE_SIZE),
					 BH_ALIGN_UP(r->base + r->size, BH_PAGE_SIZE) - BH_ALIGN_DOWN(r->base, BH_PAGE_SIZE));
	}
	for (u32 i = 0; i < p->nr_ext; i++)
		err |= gpt_map(&p->npt, p->ext[i].gpa, p->ext[i].hpa, p->ext[i].pages << BH_PAGE_SHIFT, GPT_WRITE);
	err |= gpt_unmap(&p->npt, rdmsr(MSR_APIC_BASE) & PTE_ADDR, BH_PAGE_SIZE);
	if (err)
		panic("host partition: cannot build nested page tables");
}

/* The guest's boot info: its own RAM by type, plus the firmware's non-RAM ranges. */
static void fill_boot_info(struct partition *p, const struct bh_boot_info *bi, struct bh_boot_info *g)
{
	*g = (struct bh_boot_info){ .magic = BH_BOOTINFO_MAGIC, .version = BH_BOOTINFO_VERSION,
				    .size = sizeof *g, .tsc_hz = bi->tsc_hz, .rsdp = bi->rsdp,
				    .hv_entry_tsc = bi->hv_entry_tsc, .entry = bi->entry,
				    .serial_port = bi->serial_port, .role = BH_ROLE_HOST,
				    .isolation = bi->isolation, .nr_modules = bi->nr_modules };
	memcpy(g->modules, bi->modules, sizeof g->modules);
	memcpy(g->cmdline, bi->cmdline, sizeof g->cmdline);
	for (u32 i = 0; i < p->nr_ext; i++)
		g->mem[g->nr_mem++] = (struct bh_mem_range){ p->ext[i].gpa, p->ext[i].pages << BH_PAGE_SHIFT,
							     p->ext[i].type, 0 };
	for (u32 i = 0; i < bi->nr_mem && g->nr_mem < BH_MAX_MEM; i++) {
		u32 t = bi->mem[i].type;
		if (t == BH_MEM_ACPI || t == BH_MEM_NVS || t == BH_MEM_RESERVED || t == BH_MEM_MMIO)
			g->mem[g->nr_mem++] = bi->mem[i];
	}
	for (u32 i = 1; i < g->nr_mem; i++) /* sort by base: insertion sort, short list */
		for (u32 j = i; j && g->mem[j - 1].base > g->mem[j].base; j--) {
			struct bh_mem_range t = g->mem[j];
			g->mem[j] = g->mem[j - 1];
			g->mem[j - 1] = t;
		}
}

/* Initial guest page tables: the first 4 GiB one to one, in the boot block. */
struct block_alloc {
	struct partition *p;
	u64 next, end;
};
static u64 block_alloc(void *ctx)
{
	struct block_alloc *b = ctx;
	if (b->next >= b->end)
		return 0;
	u64 gpa = b->next;
	b->next += BH_PAGE_SIZE;
	memset(part_ram(b->p, gpa, BH_PAGE_SIZE), 0, BH_PAGE_SIZE);
	return gpa;
}
static void *block_p2v(void *ctx, u64 gpa)
{
	return part_ram(((struct block_alloc *)ctx)->p, gpa, BH_PAGE_SIZE);
}

struct partition *host_create(const struct bh_boot_info *bi)
{
	struct partition *p = &host;
	p->role = BH_ROLE_HOST;
	p->asid = 1;

	/* 1. RAM */
	u64 block = pmem_alloc(&hv_pmem, BOOT_BLOCK_PAGES);
	if (!block)
		panic("host partition: no memory for its boot block");
	add_extent(p, block, BOOT_BLOCK_PAGES, BH_MEM_BOOTDATA);
	take_ram(p, bi);

	/* 2. nested page tables */
	build_npt(p, bi);

	/* 3. boot info, then page tables after it */
	struct bh_boot_info *g = part_ram(p, block, sizeof *g);
	fill_boot_info(p, bi, g);
	u64 bi_pages = BH_ALIGN_UP(sizeof *g, BH_PAGE_SIZE);
	struct block_alloc ba = { p, block + bi_pages, block + BOOT_BLOCK_PAGES * BH_PAGE_SIZE };
	struct gpt gpt = { .fmt = &gpt_fmt_x86, .alloc = block_alloc, .p2v = block_p2v, .ctx = &ba,
			   .max_level = GPT_2M };
	if (gpt_init(&gpt) || gpt_map(&gpt, 0, 0, 4ull << 30, GPT_WRITE))
		panic("host partition: boot block too small for its page tables");

	/* 4. the vCPU */
	struct vcpu_boot vb = { .rip = bi->entry, .cr3 = gpt.root, .rdi = block };
	p->vcpu = vcpu_ops->create(p, &vb);
	hv_printf("hv: host partition: %llu MiB RAM in %u extents, %llu nested table pages\n",
		  p->ram_pages >> 8, p->nr_ext, p->npt.tables);
	return p;
}
