/*
 * ACPI tables (guest ring 0, host role), found from the RSDP boot/ took from
 * the firmware (boot_info->rsdp) through the XSDT, or the RSDT of ACPI 1.0.
 * Only tables inside the firmware's own ranges of the boot info's memory map
 * are read (the rest of physical memory may not be the host's), each checked
 * by its length and checksum first.  ACPI spec 6.5, 5.2.5 (RSDP) and 5.2.6
 * (table header).
 */
#include "../../lib/string.h"
#include "linux.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "dev/irq.h"

/* [pa, pa + len) inside one ACPI, NVS or reserved range: its address, else 0. */
static const void *firmware(u64 pa, u64 len)
{
	for (u32 i = 0; i < boot_info->nr_mem && i < BH_MAX_MEM; i++) {
		const struct bh_mem_range *r = &boot_info->mem[i];
		if ((r->type == BH_MEM_ACPI || r->type == BH_MEM_NVS || r->type == BH_MEM_RESERVED) &&
		    pa >= r->base && len <= r->size && pa - r->base <= r->size - len && pa + len <= DIRECT_SIZE)
			return p2v(pa);
	}
	return 0;
}

static int sum_ok(const void *p, u64 n)
{
	u8 s = 0;
	for (u64 i = 0; i < n; i++)
		s += ((const u8 *)p)[i];
	return s == 0;
}

/* The table at pa if it has signature sig, a sane length and its checksum. */
static const struct acpi_header *table_at(u64 pa, const char *sig)
{
	const struct acpi_header *h = firmware(pa, sizeof *h);
	if (!h || memcmp(h->sig, sig, 4) || h->length < sizeof *h || !firmware(pa, h->length) ||
	    !sum_ok(h, h->length))
		return 0;
	return h;
}

const struct acpi_header *acpi_table(const char *sig)
{
	const u8 *rsdp = firmware(boot_info->rsdp, 20);
	if (!rsdp || memcmp(rsdp, "RSD PTR ", 8) || !sum_ok(rsdp, 20))
		return 0;
	int x = rsdp[15] >= 2 && firmware(boot_info->rsdp, 36) && sum_ok(rsdp, 36); /* ACPI 2.0+: the XSDT */
	u64 root = 0;
	memcpy(&root, rsdp + (x ? 24 : 16), x ? 8 : 4);
	const struct acpi_header *t = table_at(root, x ? "XSDT" : "RSDT");
	u32 size = x ? 8 : 4;
	for (u32 off = sizeof *t; t && off + size <= t->length; off += size) {
		u64 pa = 0;
		memcpy(&pa, (const u8 *)t + off, size);
		const struct acpi_header *h = table_at(pa, sig);
		if (h)
			return h;
	}
	return 0;
}
