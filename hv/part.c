/* Partition memory lookups shared by every caller of guest-physical addresses
 * (root mode).  A range is accepted only if one RAM extent of the partition
 * holds all of it; nothing else a guest names is ever dereferenced. */
#include "part.h"

void *part_ram(const struct partition *p, u64 gpa, u64 len)
{
	if (gpa + len < gpa)
		return 0;
	for (u32 i = 0; i < p->nr_ext; i++) {
		const struct mem_extent *e = &p->ext[i];
		u64 size = e->pages << BH_PAGE_SHIFT;
		if (gpa >= e->gpa && gpa - e->gpa <= size && len <= size - (gpa - e->gpa))
			return HV_PTR(e->hpa + (gpa - e->gpa));
	}
	return 0;
}
