/*
 * Partitions (root mode): lookups of guest-physical memory, the boot block every
 * partition starts from, and the management calls the host partition makes for
 * utility partitions.  A utility partition's RAM is one run of hv's free pages,
 * seen by the guest at the kernel's load address.  Its pages are zeroed when
 * it first touches them, 2 MiB at a time (part_touch), but for the windows
 * holding the kernel, which start writes whole (the kernel's bytes and zeros):
 * nothing maps a page of the run before hv has written all of it, and pages
 * it never touches cost nothing.
 */
#include <stdarg.h>
#include "../boot/elf.h"
#include "../lib/fmt.h"
#include "../lib/string.h"
#include <bulkhead/channel.h>
#include "part.h"
#include "pmem.h"
#include "../lib/x86.h"

struct partition *partitions[BH_PART_MAX];
static struct bh_elf_image kernel;   /* the guest kernel, as boot/ read it */
static const u8 *kernel_file;
static u64 kernel_lo, kernel_hi;     /* the page span its segments cover */
static const struct bh_boot_info *boot_bi;
_Static_assert(sizeof(struct partition) <= BH_PAGE_SIZE, "a partition's state fits one page");

s64 part_touch(struct partition *p, u64 gpa)
{
	const struct mem_extent *l = &p->lazy;
	u64 end = l->gpa + (l->pages << BH_PAGE_SHIFT), hpa, entry;
	int level;
	if (gpa < l->gpa || gpa >= end)
		return BH_EFAULT;
	if (!gpt_lookup(&p->npt, gpa, &hpa, &level, &entry))
		return 1;
	u64 w = BH_ALIGN_DOWN(gpa, 2ull << 20), we = w + (2ull << 20);
	w = w < l->gpa ? l->gpa : w;
	we = we > end ? end : we;
	memset(HV_PTR(l->hpa + (w - l->gpa)), 0, we - w);
	return gpt_map(&p->npt, w, l->hpa + (w - l->gpa), we - w, GPT_WRITE) ? BH_ENOMEM : 0;
}

void *part_ram(struct partition *p, u64 gpa, u64 len)
{
	if (gpa + len < gpa)
		return 0;
	for (u32 i = 0; i < p->nr_ext; i++) {
		const struct mem_extent *e = &p->ext[i];
		u64 size = e->pages << BH_PAGE_SHIFT;
		if (gpa < e->gpa || gpa - e->gpa > size || len > size - (gpa - e->gpa))
			continue;
		for (u64 a = gpa; a < gpa + len; a = BH_ALIGN_DOWN(a, 2ull << 20) + (2ull << 20))
			if (part_touch(p, a) == BH_ENOMEM)
				return 0;
		return HV_PTR(e->hpa + (gpa - e->gpa));
	}
	return 0;
}

void part_add_extent(struct partition *p, u64 gpa, u64 hpa, u64 pages, u32 type)
{
	if (p->nr_ext == PART_MAX_EXTENTS)
		panic("partition %u: more than %u memory extents", p->id, PART_MAX_EXTENTS);
	p->ext[p->nr_ext++] = (struct mem_extent){ gpa, hpa, pages, type };
	p->ram_pages += pages;
}

/* Page tables in the boot block: the block's own allocator and address view. */
struct block {
	struct partition *p;
	u64 next, end;
};
static u64 block_alloc(void *ctx)
{
	struct block *b = ctx;
	if (b->next >= b->end)
		return 0;
	u64 gpa = b->next;
	b->next += BH_PAGE_SIZE;
	return gpa; /* zeroed: the block came from pages_get */
}
static void *block_p2v(void *ctx, u64 gpa) { return part_ram(((struct block *)ctx)->p, gpa, BH_PAGE_SIZE); }

s64 part_boot(struct partition *p, u64 block, const struct bh_boot_info *tmpl)
{
	struct bh_boot_info *g = part_ram(p, block, sizeof *g);
	*g = *tmpl;
	/* a utility's free RAM is zeroed when touched (or granted so); the host's holds what the firmware left */
	for (u32 i = 0; i < p->nr_ext && g->nr_mem < BH_MAX_MEM; i++)
		g->mem[g->nr_mem++] = (struct bh_mem_range){ p->ext[i].gpa, p->ext[i].pages << BH_PAGE_SHIFT, p->ext[i].type,
			p->role == BH_ROLE_UTILITY && p->ext[i].type == BH_MEM_USABLE ? BH_MEM_ZEROED : 0 };
	if (p->chan_pages && g->nr_mem < BH_MAX_MEM)
		g->mem[g->nr_mem++] = (struct bh_mem_range){ BH_CHAN_GPA, p->chan_pages << BH_PAGE_SHIFT, BH_MEM_CHANNEL, 0 };
	for (u32 i = 1; i < g->nr_mem; i++) /* by base: insertion sort, a short list */
		for (u32 j = i; j && g->mem[j - 1].base > g->mem[j].base; j--) {
			struct bh_mem_range t = g->mem[j];
			g->mem[j] = g->mem[j - 1];
			g->mem[j - 1] = t;
		}

	/* Initial page tables after the boot info: the first 4 GiB one to one,
	 * in 1 GiB pages where the CPU has them (four entries, not 2,048). */
	struct block b = { p, block + BH_ALIGN_UP(sizeof *g, BH_PAGE_SIZE), block + PART_BOOT_BLOCK_PAGES * BH_PAGE_SIZE };
	struct gpt pt = { .fmt = &gpt_fmt_x86, .alloc = block_alloc, .p2v = block_p2v, .ctx = &b, .max_level = hv_leaf_max };
	if (gpt_init(&pt) || gpt_map(&pt, 0, 0, 4ull << 30, GPT_WRITE))
		panic("partition %u: boot block too small for its page tables", p->id);
	struct vcpu_boot vb = { .rip = tmpl->entry, .cr3 = pt.root, .rdi = block };
	p->vcpu = vcpu_ops->create(p, &vb);
	return p->vcpu ? 0 : BH_ENOMEM;
}

void part_init(const struct bh_boot_info *bi)
{
	char err[128];
	boot_bi = bi;
	kernel_file = HV_PTR(bi->kernel_file);
	if (!bi->kernel_file || bh_elf_parse(kernel_file, bi->kernel_file_size, "guest kernel", &kernel, err, sizeof err)) {
		hv_printf("hv: no guest kernel for utility partitions: %s\n", bi->kernel_file ? err : "not loaded");
		kernel_file = 0;
		return;
	}
	kernel_lo = kernel.spans[0].base;
	kernel_hi = kernel.spans[kernel.nr_spans - 1].base + (kernel.spans[kernel.nr_spans - 1].pages << BH_PAGE_SHIFT);
}

static struct partition *lookup(u32 id)
{
	return id && id < BH_PART_MAX ? partitions[id] : 0;
}

static int name_ok(const char *s, u32 max)
{
	u32 n = 0;
	while (n < max && s[n] >= 0x20 && s[n] < 0x7f)
		n++;
	return n < max && s[n] == 0;
}

/* RAM for p: one run of free pages, 2 MiB-aligned when the size allows, so the
 * nested tables can use large pages. */
static s64 grant(struct partition *p, u64 gpa, u64 pages, u32 type)
{
	u64 hpa = pages_get(pages, pages % 512 ? 1 : 512);
	if (!hpa)
		return BH_ENOMEM;
	if (gpt_map(&p->npt, gpa, hpa, pages << BH_PAGE_SHIFT, GPT_WRITE)) {
		pmem_free(&hv_pmem, hpa, pages);
		return BH_ENOMEM;
	}
	part_add_extent(p, gpa, hpa, pages, type);
	return 0;
}

static u64 ram_end(const struct partition *p)
{
	u64 end = 0;
	for (u32 i = 0; i < p->nr_ext; i++)
		if (p->ext[i].gpa + (p->ext[i].pages << BH_PAGE_SHIFT) > end)
			end = p->ext[i].gpa + (p->ext[i].pages << BH_PAGE_SHIFT);
	return end;
}

static void release(struct partition *p)
{
	if (p->vcpu) {
		sched_remove(p->vcpu);
		vcpu_ops->destroy(p->vcpu);
	}
	for (u32 i = 0; i < p->nr_ext; i++) /* zeroed when handed out or touched again */
		pmem_free(&hv_pmem, p->ext[i].hpa, p->ext[i].pages);
	if (p->npt.root)
		gpt_destroy(&p->npt);
	partitions[p->id] = 0;
	page_free(HV_PA(p), 1);
}

/* The named reserve: what hv must have free beyond a new partition's RAM of
 * `pages` to build and start it: its page, its vCPU and its nested tables
 * (root, PDPT, a directory per GiB, a table at each unaligned end).  Each
 * step checks for itself as well: running out is BH_ENOMEM, never a panic;
 * a table page wanted later, as its RAM is touched, stops the partition. */
static u64 reserve(u64 pages)
{
	return 1 + vcpu_ops->vcpu_pages + 4 + pages / (512 * 512);
}

s64 part_create(const struct bh_part_create *req)
{
	u64 t0 = rdtsc(), pages = req->memory >> BH_PAGE_SHIFT;
	if (!kernel_file)
		return BH_ENOSYS;
	if (!name_ok(req->name, BH_PART_NAME_MAX) || !req->name[0] || !name_ok(req->cmdline, BH_CMDLINE_MAX_PART) ||
	    req->vcpus != 1 || req->flags || req->memory < BH_PART_MIN_MEMORY || (req->memory & (BH_PAGE_SIZE - 1)) ||
	    req->memory < kernel_hi - BH_ALIGN_DOWN(kernel_lo, 2ull << 20) + PART_BOOT_BLOCK_PAGES * BH_PAGE_SIZE +
	    BH_PART_MIN_MEMORY / 2)
		return BH_EINVAL;
	u32 id = 1;
	while (id < BH_PART_MAX && partitions[id])
		id++;
	if (id == BH_PART_MAX)
		return BH_ENOSPC;
	if (pages > hv_pmem.free || hv_pmem.free - pages < reserve(pages))
		return BH_ENOMEM;

	struct partition *p = HV_PTR(page_alloc(1));
	if (!p)
		return BH_ENOMEM;
	partitions[id] = p;
	p->id = id;
	p->role = BH_ROLE_UTILITY;
	p->state = BH_PART_CREATED;
	p->hv_pages = 1;
	memcpy(p->name, req->name, sizeof p->name);
	memcpy(p->cmdline, req->cmdline, sizeof p->cmdline);
	p->npt = (struct gpt){ .fmt = vcpu_ops->gpt_fmt, .alloc = gpt_hv_alloc, .free = gpt_hv_free,
			       .p2v = gpt_hv_p2v, .max_level = GPT_2M };
	/* RAM starts where the kernel loads, rounded down to 2 MiB: one run,
	 * 2 MiB-aligned when the size allows (large nested pages), neither zeroed
	 * nor mapped until touched. */
	u64 base = BH_ALIGN_DOWN(kernel_lo, 2ull << 20);
	u64 hpa = gpt_init(&p->npt) ? 0 : pmem_alloc_aligned(&hv_pmem, pages, pages % 512 ? 1 : 512);
	if (!hpa) {
		release(p);
		return BH_ENOMEM;
	}
	part_add_extent(p, base, hpa, pages, BH_MEM_USABLE);
	p->lazy = p->ext[0];
	/* The guest sees where its kernel is: the run split into the kernel, the
	 * boot block just past it (boot info, initial page tables) and free RAM. */
	struct mem_extent *e = p->ext;
	u64 kpages = (kernel_hi - base) >> BH_PAGE_SHIFT, bpages = PART_BOOT_BLOCK_PAGES;
	e[0].pages = kpages;
	e[0].type = BH_MEM_KERNEL;
	e[1] = (struct mem_extent){ e->gpa + (kpages << BH_PAGE_SHIFT), e->hpa + (kpages << BH_PAGE_SHIFT), bpages,
				    BH_MEM_BOOTDATA };
	e[2] = (struct mem_extent){ e[1].gpa + (bpages << BH_PAGE_SHIFT), e[1].hpa + (bpages << BH_PAGE_SHIFT),
				    pages - kpages - bpages, BH_MEM_USABLE };
	p->nr_ext = 3;
	p->created_tsc = t0;
	return id;
}

s64 part_grant_mem(u32 id, u64 bytes)
{
	struct partition *p = lookup(id);
	if (!p)
		return BH_ENOENT;
	if (p->state != BH_PART_CREATED)
		return BH_EBUSY;
	if (!bytes || (bytes & (BH_PAGE_SIZE - 1)) || bytes >> BH_PAGE_SHIFT > hv_pmem.free)
		return bytes && !(bytes & (BH_PAGE_SIZE - 1)) ? BH_ENOMEM : BH_EINVAL;
	if (p->nr_ext >= PART_MAX_EXTENTS - 1)
		return BH_ENOSPC;
	return grant(p, ram_end(p), bytes >> BH_PAGE_SHIFT, BH_MEM_USABLE);
}

/* Maps bytes of the host's RAM at host_gpa into p at guest_gpa, never over p's
 * own RAM nor over an earlier mapping. */
static s64 map_host(struct partition *p, u64 host_gpa, u64 bytes, u64 guest_gpa, u32 flags)
{
	if (!bytes || ((host_gpa | bytes | guest_gpa) & (BH_PAGE_SIZE - 1)) || guest_gpa + bytes < guest_gpa ||
	    guest_gpa + bytes > (1ull << 39))
		return BH_EINVAL;
	const u8 *src = part_ram(partitions[0], host_gpa, bytes);
	if (!src)
		return BH_EFAULT;
	for (u32 i = 0; i < p->nr_ext; i++)
		if (guest_gpa < p->ext[i].gpa + (p->ext[i].pages << BH_PAGE_SHIFT) &&
		    p->ext[i].gpa < guest_gpa + bytes)
			return BH_EEXIST;
	if (gpt_mapped(&p->npt, guest_gpa, bytes))
		return BH_EEXIST;
	return gpt_map(&p->npt, guest_gpa, HV_PA(src), bytes, flags) ? BH_ENOMEM : 0;
}

s64 part_grant_ro(u32 id, u64 host_gpa, u64 bytes, u64 guest_gpa)
{
	struct partition *p = lookup(id);
	if (!p)
		return BH_ENOENT;
	if (p->state != BH_PART_CREATED && p->state != BH_PART_RUNNING)
		return BH_EBUSY;
	s64 err = map_host(p, host_gpa, bytes, guest_gpa, 0);
	if (!err)
		p->ro_pages += bytes >> BH_PAGE_SHIFT;
	return err;
}

s64 part_channel(u32 id, u64 host_gpa, u64 bytes)
{
	struct partition *p = lookup(id);
	if (!p)
		return BH_ENOENT;
	if (p->state != BH_PART_CREATED)
		return BH_EBUSY;
	if (p->chan_pages)
		return BH_EEXIST;
	if (bytes != BH_CHAN_PAGES * BH_PAGE_SIZE)
		return BH_EINVAL;
	s64 err = map_host(p, host_gpa, bytes, BH_CHAN_GPA, GPT_WRITE);
	if (!err)
		p->chan_pages = BH_CHAN_PAGES;
	return err;
}

s64 part_start(u32 id)
{
	struct partition *p = lookup(id);
	if (!p)
		return BH_ENOENT;
	if (p->state != BH_PART_CREATED)
		return BH_EBUSY;
	/* The kernel's segments, from the pristine file boot/ kept, into the
	 * 2 MiB blocks that hold them: each byte written once (the copy, or the
	 * zeroes part_touch would have put there), then the blocks mapped. */
	const struct mem_extent *l = &p->lazy;
	u64 lo = l->gpa, hi = BH_ALIGN_UP(kernel_hi, 2ull << 20), at = lo;
	hi = hi < l->gpa + (l->pages << BH_PAGE_SHIFT) ? hi : l->gpa + (l->pages << BH_PAGE_SHIFT);
	u8 *ram = HV_PTR(l->hpa); /* guest address lo; the kernel lies below hi, inside the run (part_create) */
	for (u32 i = 0; i < kernel.nr_spans; at = kernel.spans[i].base + (kernel.spans[i].pages << BH_PAGE_SHIFT), i++)
		memset(ram + (at - lo), 0, kernel.spans[i].base - at); /* between the spans (sorted) */
	memset(ram + (at - lo), 0, hi - at);
	for (u32 i = 0; i < kernel.nr_segs; i++) { /* the spans' bytes no segment's file part covers */
		const struct bh_elf_seg *s = &kernel.segs[i];
		u64 end = s->paddr + s->filesz;
		memset(ram + (BH_ALIGN_DOWN(s->paddr, BH_PAGE_SIZE) - lo), 0, s->paddr % BH_PAGE_SIZE);
		memset(ram + (end - lo), 0, BH_ALIGN_UP(s->paddr + s->memsz, BH_PAGE_SIZE) - end);
	}
	for (u32 i = 0; i < kernel.nr_segs; i++)
		memcpy(ram + (kernel.segs[i].paddr - lo), kernel_file + kernel.segs[i].offset, kernel.segs[i].filesz);
	if (gpt_map(&p->npt, lo, l->hpa, hi - lo, GPT_WRITE))
		return BH_ENOMEM;
	/* The boot block, part of its RAM: boot info and page tables. */
	u64 block = p->ext[1].gpa, bytes = p->ext[1].pages << BH_PAGE_SHIFT;
	u8 *b = part_ram(p, block, bytes);
	if (!b)
		return BH_ENOMEM;
	memset(b, 0, bytes); /* the tables' pages must be zero (block_alloc) */
	struct bh_boot_info t = { .magic = BH_BOOTINFO_MAGIC, .version = BH_BOOTINFO_VERSION, .size = sizeof t,
				  .tsc_hz = boot_bi->tsc_hz, .hv_entry_tsc = p->created_tsc, .entry = kernel.entry_phys,
				  .role = BH_ROLE_UTILITY, .isolation = BH_ISO_HYPERV, .partition_id = p->id };
	memcpy(t.cmdline, p->cmdline, sizeof p->cmdline);
	s64 err = part_boot(p, block, &t);
	if (err)
		return err; /* what it has so far goes with part_destroy */
	p->hv_pages += vcpu_ops->vcpu_pages;
	p->state = BH_PART_RUNNING;
	sched_add(p->vcpu);
	return 0;
}

static void set_reason(struct partition *p, const char *fmt, va_list ap)
{
	bh_vsnprintf(p->reason, sizeof p->reason, fmt, ap);
}

void part_crash(struct partition *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_reason(p, fmt, ap);
	va_end(ap);
	if (p->role == BH_ROLE_HOST)
		panic_vcpu(p->vcpu, "host partition: %s", p->reason);
	p->state = BH_PART_CRASHED;
	sched_remove(p->vcpu);
	hv_printf("hv: partition %u (%s) crashed: %s\n", p->id, p->name, p->reason);
	sched_raise(partitions[0]->vcpu, BH_VEC_CHANNEL); /* the host learns at once */
}

s64 part_stop(u32 id)
{
	struct partition *p = lookup(id);
	if (!p)
		return BH_ENOENT;
	if (p->state != BH_PART_RUNNING && p->state != BH_PART_CREATED)
		return BH_EBUSY;
	if (p->vcpu)
		sched_remove(p->vcpu);
	p->state = BH_PART_STOPPED;
	bh_snprintf(p->reason, sizeof p->reason, "stopped by the host");
	return 0;
}

s64 part_destroy(u32 id)
{
	struct partition *p = lookup(id);
	if (!p)
		return BH_ENOENT;
	release(p);
	return 0;
}

s64 part_query(u32 id, struct bh_part_info *out)
{
	struct partition *p = id < BH_PART_MAX ? partitions[id] : 0;
	if (!p)
		return BH_ENOENT;
	*out = (struct bh_part_info){ .id = p->id, .state = p->state, .role = p->role, .vcpus = p->vcpu ? 1 : 0,
				      .ram_pages = p->ram_pages, .hv_pages = p->hv_pages + p->npt.tables,
				      .ro_pages = p->ro_pages, .chan_pages = p->chan_pages, .exits = p->vcpu ? p->vcpu->exits : 0 };
	memcpy(out->name, p->name, sizeof out->name);
	memcpy(out->reason, p->reason, sizeof out->reason);
	return 0;
}
