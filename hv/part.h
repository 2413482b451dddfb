/*
 * Partitions: a guest-physical address space (nested page tables), the RAM it
 * owns as extents, and its vCPU.  The host partition is built at boot from the
 * memory map (host.c); utility partitions are made by the host through the
 * partition-management hypercalls (part.c).
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
	u8 role;  /* enum bh_role */
	u8 state; /* enum bh_part_state */
	char name[BH_PART_NAME_MAX];
	char reason[64];
	char cmdline[BH_CMDLINE_MAX_PART];
	struct gpt npt;
	struct mem_extent ext[PART_MAX_EXTENTS]; /* RAM it owns (host: also kernel, modules) */
	struct mem_extent lazy; /* of that, RAM mapped (and zeroed) only when touched */
	u32 nr_ext;
	u64 ram_pages;
	u64 ro_pages;  /* host pages mapped read-only */
	u64 chan_pages; /* host pages mapped as its channel, at BH_CHAN_GPA */
	u64 hv_pages;  /* control blocks and the struct itself (tables: npt.tables) */
	u64 created_tsc;
	struct vcpu *vcpu;
};

extern struct partition *partitions[BH_PART_MAX]; /* by id; [0] is the host */

/* Where hv can reach [gpa, gpa+len) of p's own RAM (touched: zeroed and
 * mapped first where it was not), or 0 if any of it is not p's RAM (MMIO,
 * another owner, unmapped, overflow) or a nested table page was wanted and
 * hv had none. */
void *part_ram(struct partition *p, u64 gpa, u64 len);
/* Zeroes and maps the 2 MiB window of p's lazy RAM that holds gpa (less at
 * the run's ends), as the partition first touches it: 0 done, 1 it was
 * mapped already, BH_EFAULT gpa is not lazy RAM, BH_ENOMEM no table page. */
s64 part_touch(struct partition *p, u64 gpa);
void part_add_extent(struct partition *p, u64 gpa, u64 hpa, u64 pages, u32 type);
/* Writes the boot info and initial page tables into the boot block at gpa, and
 * creates the vCPU to start at the kernel entry: 0, or BH_ENOMEM. */
s64 part_boot(struct partition *p, u64 block_gpa, const struct bh_boot_info *tmpl);
#define PART_BOOT_BLOCK_PAGES (BH_ALIGN_UP(sizeof(struct bh_boot_info), BH_PAGE_SIZE) / BH_PAGE_SIZE + 6)

/* part.c: the management calls; each returns 0, an id, or a BH_E* code. */
void part_init(const struct bh_boot_info *bi);
s64 part_create(const struct bh_part_create *req);
s64 part_grant_mem(u32 id, u64 bytes);
s64 part_grant_ro(u32 id, u64 host_gpa, u64 bytes, u64 guest_gpa);
s64 part_channel(u32 id, u64 host_gpa, u64 bytes);
s64 part_start(u32 id);
s64 part_stop(u32 id);
s64 part_destroy(u32 id);
s64 part_query(u32 id, struct bh_part_info *out);
/* Stops a partition that misbehaved, with the reason; the host's is fatal. */
void part_crash(struct partition *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* host.c */
struct partition *host_create(const struct bh_boot_info *bi);
/* The host touched gpa above the top of RAM, below the CPU's physical
 * address width: its 1 GiB is mapped one to one, uncached (device memory
 * no partition's RAM can be).  0, or -1 if gpa is not such an address
 * (or p not the host) or a table page cannot be had. */
int host_map_device(struct partition *p, u64 gpa);

/* sched.c: which vCPU runs, and for how long */
void sched_add(struct vcpu *v);
void sched_remove(struct vcpu *v);
void sched_run(void) __attribute__((noreturn));
void sched_tick(void);          /* after a physical interrupt: deadlines, time slice */
void sched_timer_update(void);  /* a deadline changed: re-arm the APIC timer */
void sched_yield(void);         /* the current vCPU gives up the rest of its slice */
void sched_raise(struct vcpu *v, u8 vector); /* a virtual interrupt; wakes v from HLT */
void sched_wake(struct vcpu *v, u8 vector);  /* the same, and v runs next */

/* Callbacks that let a struct gpt keep its tables in hv's own pages. */
u64 gpt_hv_alloc(void *ctx);
void gpt_hv_free(void *ctx, u64 pa);
void *gpt_hv_p2v(void *ctx, u64 pa);

#endif
