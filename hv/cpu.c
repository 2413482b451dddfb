/*
 * hv's own descriptor tables and trap handling (root mode, interrupts off except
 * while hv waits).  Exceptions in hv are fatal: they print the frame and halt.
 * An NMI is logged and hv goes on (partitions never see physical NMIs).
 * A device vector is the host partition's (irq.c); any other interrupt
 * needs nothing but its EOI: the exit it caused is the news (sched_tick
 * checks what is due).
 */
#include "../lib/traps.h"
#include "hv.h"
#include "../lib/x86.h"

static u64 gdt[] = {
	0,
	0x00af9a000000ffffull, /* 0x08: 64-bit code, DPL 0 */
	0x00cf92000000ffffull, /* 0x10: data, DPL 0 */
	0, 0,                  /* 0x18: the TSS (VMX exits need a host TR) */
};
static u8 tss[104] __attribute__((aligned(16))); /* never used: hv stays in ring 0 */
static u8 idt[256 * 16] __attribute__((aligned(16)));

void trap_handler(struct trap_frame *f)
{
	if (f->vector == X86_NMI) { /* hv's, from a partition's NMI exit or while hv ran */
		hv_printf("hv: NMI (rip %016llx)\n", f->rip);
		return;
	}
	if (f->vector < 32)
		panic("exception %s (vector %llu) in hv, error 0x%llx\n"
		      "  rip %016llx rsp %016llx rflags %016llx cr2 %016llx\n"
		      "  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		      "  rsi %016llx rdi %016llx rbp %016llx",
		      trap_name(f->vector), f->vector, f->error, f->rip, f->rsp, f->rflags, read_cr2(),
		      f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi, f->rbp);
	if (f->vector >= BH_VEC_DEV_FIRST && f->vector <= BH_VEC_DEV_LAST)
		irq_device((u8)f->vector);
	else if (f->vector != 0xff) /* the spurious vector takes no EOI */
		lapic_eoi();
}

void cpu_init(void)
{
	desc_load(gdt, sizeof gdt, idt, 0);
	desc_tss(gdt, 0x18, tss, sizeof tss);
	/* FPU/SSE state is the partitions'; hv itself is built without SSE. */
	write_cr0((read_cr0() | CR0_NE | CR0_MP) & ~(1ull << 2) /* EM */);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
}
