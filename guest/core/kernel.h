/*
 * The guest kernel's common declarations, grouped by defining file.  It runs in
 * ring 0 of a partition (host or utility role, from the boot info), on an
 * identity map of guest-physical memory.
 */
#ifndef BULKHEAD_GUEST_KERNEL_H
#define BULKHEAD_GUEST_KERNEL_H

#include <bulkhead/bootinfo.h>
#include <bulkhead/hypercall.h>
#include <bulkhead/types.h>
#include "core/x86.h"

/* main.c: bring-up */
extern struct bh_boot_info *boot_info;
extern u64 kernel_entry_tsc;        /* for /proc/bulkhead and the figures */
void kmain(u64 bi_phys);            /* from entry.S */

/* linker/guest.ld and entry.S */
extern char __kernel_start[], __kernel_end[];
struct ex_entry {                   /* a faulting instruction and where it resumes */
	u64 insn, fixup;
};
extern const struct ex_entry __ex_table_start[], __ex_table_end[];
extern u64 boot_tables[];           /* the kernel's PML4 */

/* console.c: the serial console */
void console_init(u16 port);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* the log only, unless klog_console */
extern int klog_console;
#define KLOG_SIZE 16384
extern const char klog_wait;  /* woken at each line logged */
u64 klog_start(void);         /* the oldest byte kept (a count of bytes ever logged) */
u64 klog_end(void);           /* one past the newest */
char klog_byte(u64 pos);
void klog_clear(void);
void console_write(const char *s, u64 len);
int console_getc(void); /* waits; returns the next byte */
int console_poll(void);  /* the next byte, or -1 */
int console_kept(void);  /* 1 if the output loop kept received bytes for console_poll */
void console_rx_irq_on(void); /* the UART raises its IRQ when it has received bytes */
extern u64 console_overruns; /* bytes the UART lost: its FIFO was full (LSR.OE seen) */
extern int console_raw;   /* the monitor reads the UART itself: the tty leaves it alone */

/* trap.c: interrupts, exceptions and fault-safe probes */
void trap_init(void);
void set_kernel_stack(u64 top);     /* TSS.RSP0 and syscall entry's stack */
void set_fs_base(u64 v);
int irq_register(u8 vector, void (*fn)(void)); /* vector >= 32; 0 or -EBUSY if taken */
/* fn(vector) takes every device vector, BH_VEC_DEV_FIRST..LAST (dev/irq.c) */
void irq_register_devices(void (*fn)(u8 vector));
u64 probe(int which, u64 arg); /* runs one probe; 0 or 0x100 | vector of the fault */
enum { PROBE_READ64, PROBE_VMRUN, PROBE_VMLOAD, PROBE_VMSAVE, PROBE_STGI, PROBE_CLGI, PROBE_SKINIT,
       PROBE_VMXON, PROBE_RDMSR, PROBE_WRMSR_EFER_SVME, PROBE_COUNT };
extern u64 probe_value;
/* entry.S: the probes themselves; each returns 0 or 0x100 | the vector of the
 * fault.  probe_read64 and probe_rdmsr leave what they read in probe_value. */
u64 probe_read64(u64 addr), probe_rdmsr(u32 msr), probe_efer_svme(void), probe_vmrun(void),
	probe_vmload(void), probe_vmsave(void), probe_stgi(void), probe_clgi(void), probe_skinit(void),
	probe_vmxon(u64 region);
u64 probe_wrmsr(u32 msr, u64 val), probe_xsetbv(u64 xcr0), probe_xrstor(const void *area);
u64 probe_invd(void), probe_wbinvd(void), probe_monitor(const void *addr), probe_mwait(void),
	probe_rdpmc(void), probe_rdtscp(void), probe_invlpga(void);
u64 probe_dr0(u64), probe_dr1(u64), probe_dr2(u64), probe_dr3(u64), probe_dr6(u64), probe_dr7(u64);

/* timer.c: the paravirtual timer */
void timer_start(u64 hz);
void timer_irq(void);
void timer_rearm(void);             /* before halting: the next tick's deadline again */
extern volatile u64 ticks;
extern u64 timer_hz;
void clock_init(void);              /* time since boot starts now */
u64 now_ns(void);
u64 ns_to_tsc(u64 ns);
u64 tsc_to_ns(u64 tsc);
u64 boot_ns_of(u64 tsc);            /* ns since boot at that TSC */

#endif
