/*
 * Partitions: a guest-physical address space (nested page tables), the RAM it
 * owns as extents, and its vCPU.  The host partition is built at boot from the
 * memory map; utility partitions come with the partition-management hypercalls.
 */
#ifndef BULKHEAD_HV_PART_H
#define BULKHEAD_HV_PART_H

#include "hv.h"
#include "vcpu.h"

#define PART_MAX_EXTENTS 64

struct mem_extent {
	u64 gpa, hpa, pages;
	u32 type; /* enum bh_mem_type as the guest sees it */
};

struct partition {
	u32 id;
	u8 role; /* enum bh_role */
	u16 asid;
	struct gpt npt;
	struct mem_extent ext[PART_MAX_EXTENTS];
	u32 nr_ext;
	u64 ram_pages;
	struct vcpu *vcpu;
};

/* Where hv can reach [gpa, gpa+len) of p's own RAM, or 0 if any of it is not
 * p's RAM (MMIO, another owner, unmapped, overflow). */
void *part_ram(const struct partition *p, u64 gpa, u64 len);

/* host.c */
struct partition *host_create(const struct bh_boot_info *bi);

/* Callbacks that let a struct gpt keep its tables in hv's own pages. */
u64 gpt_hv_alloc(void *ctx);
void gpt_hv_free(void *ctx, u64 pa);
void *gpt_hv_p2v(void *ctx, u64 pa);

#endif
