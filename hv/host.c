/*
 * The host partition (root mode, at boot).  It owns the devices and sees
 * physical memory one to one, except what it does not own: hv's pages, the RAM
 * hv keeps for utility partitions, and the local APIC, which hv drives.
 *
 *   1. its RAM: the guest kernel and boot modules where boot/ put them, a boot
 *      block, then free pages up to host_memory (bulkhead.cfg);
 *   2. nested tables: everything up to the top of RAM one to one (uncached:
 *      devices), RAM write-back, with holes for all RAM that is not the host's,
 *      and for the APIC page; device memory above the top of RAM (64-bit BARs
 *      the firmware put high) is mapped on the host's first touch;
 *   3. boot info (with the firmware's non-RAM ranges) and initial page tables
 *      in the boot block, and its vCPU at the kernel's entry.
 */
#include "part.h"
#include "pmem.h"
#include "../lib/x86.h"

#define HOST_RESERVE_PAGES 2048 /* kept by hv when host_memory = all */

static struct partition host;
static u64 npt_top; /* the nested tables map everything below; above is device memory only */
static u32 phys_bits; /* the CPU's physical address width (at most 48): device memory ends there */

static void take_ram(struct partition *p, const struct bh_boot_info *bi)
{
	for (u32 i = 0; i < bi->nr_mem; i++) {
		const struct bh_mem_range *r = &bi->mem[i];
		if (r->type == BH_MEM_KERNEL || r->type == BH_MEM_MODULE)
			part_add_extent(p, r->base, r->base, r->size >> BH_PAGE_SHIFT, r->type);
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
		part_add_extent(p, pa, pa, len, BH_MEM_USABLE);
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
	npt_top = top;
	u32 a, b, c, d;
	cpuid(0x80000008, 0, &a, &b, &c, &d); /* EAX[7:0]: physical address bits */
	phys_bits = (a & 0xff) < 48 ? a & 0xff : 48;

	p->npt = (struct gpt){ .fmt = vcpu_ops->gpt_fmt, .alloc = gpt_hv_alloc, .free = gpt_hv_free,
			       .p2v = gpt_hv_p2v, .max_level = vcpu_ops->gpt_1g() ? GPT_1G : GPT_2M };
	/* Devices by default (uncached); firmware RAM (ACPI tables, NVS) write-back;
	 * RAM that is not the host's, not at all; the host's own RAM write-back. */
	int err = gpt_init(&p->npt) || gpt_map(&p->npt, 0, 0, top, GPT_WRITE | GPT_UC);
	for (u32 i = 0; i < bi->nr_mem; i++) {
		const struct bh_mem_range *r = &bi->mem[i];
		u64 base = BH_ALIGN_DOWN(r->base, BH_PAGE_SIZE);
		u64 size = BH_ALIGN_UP(r->base + r->size, BH_PAGE_SIZE) - base;
		if (r->type == BH_MEM_USABLE || r->type == BH_MEM_HV)
			err |= gpt_unmap(&p->npt, base, size);
		else if (r->type == BH_MEM_ACPI || r->type == BH_MEM_NVS)
			err |= gpt_map(&p->npt, base, base, size, GPT_WRITE);
	}
	for (u32 i = 0; i < p->nr_ext; i++)
		err |= gpt_map(&p->npt, p->ext[i].gpa, p->ext[i].hpa, p->ext[i].pages << BH_PAGE_SHIFT, GPT_WRITE);
	err |= gpt_unmap(&p->npt, rdmsr(MSR_APIC_BASE) & PTE_ADDR, BH_PAGE_SIZE);
	if (err)
		panic("host partition: cannot build nested page tables");
}

int host_map_device(struct partition *p, u64 gpa)
{
	if (p != &host || gpa < npt_top || gpa >> phys_bits)
		return -1;
	u64 base = BH_ALIGN_DOWN(gpa, 1ull << 30);
	hv_printf("hv: host partition: device memory at 0x%llx mapped\n", base);
	return gpt_map(&p->npt, base, base, 1ull << 30, GPT_WRITE | GPT_UC);
}

struct partition *host_create(const struct bh_boot_info *bi)
{
	struct partition *p = &host;
	partitions[0] = p;
	p->role = BH_ROLE_HOST;
	p->state = BH_PART_RUNNING;
	__builtin_memcpy(p->name, "host", 5);

	u64 block = pages_get(PART_BOOT_BLOCK_PAGES, 1);
	if (!block)
		panic("host partition: no memory for its boot block");
	part_add_extent(p, block, block, PART_BOOT_BLOCK_PAGES, BH_MEM_BOOTDATA);
	take_ram(p, bi);
	build_npt(p, bi);

	static struct bh_boot_info t;
	t = (struct bh_boot_info){ .magic = BH_BOOTINFO_MAGIC, .version = BH_BOOTINFO_VERSION, .size = sizeof t,
				   .tsc_hz = bi->tsc_hz, .rsdp = bi->rsdp, .hv_entry_tsc = bi->hv_entry_tsc,
				   .entry = bi->entry, .serial_port = bi->serial_port, .role = BH_ROLE_HOST,
				   .isolation = bi->isolation, .nr_modules = bi->nr_modules,
				   .apic_id = lapic_id(), .net_addr = bi->net_addr, .net_gateway = bi->net_gateway,
				   .net_prefix = bi->net_prefix };
	__builtin_memcpy(t.modules, bi->modules, sizeof t.modules);
	__builtin_memcpy(t.cmdline, bi->cmdline, sizeof t.cmdline);
	__builtin_memcpy(t.insecure_registries, bi->insecure_registries, sizeof t.insecure_registries);
	__builtin_memcpy(t.api, bi->api, sizeof t.api);
	for (u32 i = 0; i < bi->nr_mem && t.nr_mem < BH_MAX_MEM - PART_MAX_EXTENTS; i++) {
		u32 type = bi->mem[i].type; /* the firmware's ranges the host may need: ACPI, MMIO... */
		if (type == BH_MEM_ACPI || type == BH_MEM_NVS || type == BH_MEM_RESERVED || type == BH_MEM_MMIO)
			t.mem[t.nr_mem++] = bi->mem[i];
	}
	if (part_boot(p, block, &t))
		panic("host partition: no memory for its vCPU");
	sched_add(p->vcpu);
	hv_printf("hv: host partition: %llu MiB RAM in %u extents, %llu nested table pages\n",
		  p->ram_pages >> 8, p->nr_ext, p->npt.tables);
	return p;
}
