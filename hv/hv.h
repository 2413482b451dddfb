/*
 * hv's common declarations, grouped by the file that defines them.
 * Everything here runs in VMX root / SVM host mode with hv's own identity map,
 * so a physical address is also a pointer.
 */
#ifndef BULKHEAD_HV_H
#define BULKHEAD_HV_H

#include <bulkhead/bootinfo.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/types.h>

#define HV_PTR(pa) ((void *)(uintptr_t)(pa))
#define HV_PA(p) ((u64)(uintptr_t)(p))

/* log.c: serial console and the in-memory log ring. */
void log_init(u16 serial_port);
void hv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void serial_write(const char *s, u64 len);
u64 log_read(void *dst, u64 len, u64 pos, u64 *next);
u64 log_total(void);
void console_append(const char *s, u64 len);
u64 console_read(void *dst, u64 len, u64 pos, u64 *next);

/* panic.c: print state and stop this CPU for good. */
struct vcpu;
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void panic_vcpu(struct vcpu *v, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

/* cpu.c: descriptor tables and interrupts of hv itself. */
void cpu_init(void);

/* mm.c: hv's page tables and its use of the physical page allocator. */
void mm_init(const struct bh_boot_info *bi);
/* n contiguous pages starting at a multiple of align pages (a power of two),
 * zeroed: every page hv hands out, to itself or to a partition, comes from here.
 * 0 when there is no such run. */
u64 pages_get(u64 n, u64 align);
u64 page_alloc(u64 n);      /* hv's own pages (pages_get, counted in hv_pages_used); 0 if none */
u64 page_alloc_boot(u64 n); /* the same at boot, where running out is fatal */
void page_free(u64 pa, u64 n); /* gives back page_alloc's pages */
extern struct pmem hv_pmem;
extern u64 hv_pages_used, hv_image_bytes;
extern int hv_leaf_max; /* the largest page the CPU's own tables map: GPT_1G (CPUID 0x80000001 EDX[26]) or GPT_2M */

/* timer.c: the local APIC, and its timer that gives hv control back on a deadline. */
void timer_init(u64 tsc_hz);
void timer_arm(u64 deadline_tsc);
void lapic_eoi(void);
u32 lapic_id(void);                /* this CPU's local APIC ID */
int lapic_in_service(u8 vector);   /* 1 if the vector's ISR bit is set */
extern u64 tsc_hz;

/* main.c: bring-up, called by entry.S with boot/'s boot info; never returns */
void hv_main(struct bh_boot_info *bi);
/* at most this many ASIDs/VPIDs (bulkhead.cfg tlb_tags), 0 = the CPU's count */
extern u32 tlb_tags_max;

/* entry.S: fills the return stack buffer with harmless entries */
void rsb_fill(void);

/* irq.c: device interrupts, passed to the host partition (hypercall.h) */
void irq_device(u8 vector);        /* from hv's IDT: a device vector came in */
s64 irq_eoi(u64 vector);           /* BH_HC_EOI: 0 or BH_EINVAL */

/* hypercall.c */
void hypercall(struct vcpu *v);

/* exit.c */
void handle_exit(struct vcpu *v);

/* stats */
extern struct bh_stats hv_stats;

#endif
