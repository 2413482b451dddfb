/* UEFI memory map -> bh_mem_range[] (see memmap.h). */
#include "memmap.h"

u32 bh_memmap_type(u32 t)
{
	switch (t) {
	case BH_EFI_CONVENTIONAL:
	case BH_EFI_BS_CODE:
	case BH_EFI_BS_DATA:
	case BH_EFI_LOADER_CODE:
	case BH_EFI_LOADER_DATA:
		return BH_MEM_USABLE;
	case BH_EFI_ACPI_RECLAIM:
		return BH_MEM_ACPI;
	case BH_EFI_ACPI_NVS:
		return BH_MEM_NVS;
	case BH_EFI_MMIO:
	case BH_EFI_MMIO_PORT:
		return BH_MEM_MMIO;
	case BH_EFI_TYPE_HV:
		return BH_MEM_HV;
	case BH_EFI_TYPE_KERNEL:
		return BH_MEM_KERNEL;
	case BH_EFI_TYPE_MODULE:
		return BH_MEM_MODULE;
	default:
		return BH_MEM_RESERVED;
	}
}

static const struct bh_efi_memdesc *desc(const void *map, size_t stride, size_t i)
{
	return (const struct bh_efi_memdesc *)((const u8 *)map + i * stride);
}

int bh_memmap_convert(const void *map, size_t map_size, size_t desc_size,
		      struct bh_mem_range *out, u32 max)
{
	if (desc_size < sizeof(struct bh_efi_memdesc))
		return -1;
	size_t count = map_size / desc_size;
	u32 n = 0;
	int have_last = 0;
	u64 last_base = 0;
	size_t last_idx = 0;

	/*
	 * Emit descriptors in (base, index) order by repeated selection: no
	 * scratch memory and the firmware's buffer stays untouched.  O(n^2) on
	 * a few hundred descriptors is nothing.
	 */
	for (;;) {
		const struct bh_efi_memdesc *best = 0;
		size_t best_idx = 0;
		for (size_t i = 0; i < count; i++) {
			const struct bh_efi_memdesc *d = desc(map, desc_size, i);
			u64 b = d->phys_start;
			if (have_last && (b < last_base || (b == last_base && i <= last_idx)))
				continue;
			if (!best || b < best->phys_start) {
				best = d;
				best_idx = i;
			}
		}
		if (!best)
			break;
		have_last = 1;
		last_base = best->phys_start;
		last_idx = best_idx;

		u64 base = best->phys_start, pages = best->num_pages;
		u64 room = (~0ull - base) >> 12; /* pages that fit before the top of the address space */
		if (pages > room)
			pages = room;
		u64 size = pages << 12, end = base + size;
		u32 type = bh_memmap_type(best->type);
		if (!size)
			continue;
		if (n) {
			struct bh_mem_range *p = &out[n - 1];
			u64 pend = p->base + p->size;
			if (end <= pend)
				continue; /* wholly inside the previous range */
			if (base < pend) {
				base = pend; /* overlap: clip */
				size = end - base;
			}
			if (base == pend && p->type == type) {
				p->size += size;
				continue;
			}
		}
		if (n == max)
			return -1;
		out[n].base = base;
		out[n].size = size;
		out[n].type = type;
		out[n].flags = 0;
		n++;
	}
	return (int)n;
}
