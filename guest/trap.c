/*
 * Interrupts and exceptions in the guest kernel (ring 0).  The timer's virtual
 * interrupt ticks the clock; an exception at an instruction listed in the
 * exception table resumes at its fixup (probes); any other exception is
 * reported with the register state and stops the kernel.
 */
#include "../lib/traps.h"
#include "kernel.h"

static const u64 gdt[] = {
	0,
	0x00af9a000000ffffull, /* 0x08: kernel code */
	0x00cf92000000ffffull, /* 0x10: kernel data */
};
static u8 idt[256 * 16] __attribute__((aligned(16)));

struct ex_entry {
	u64 insn, fixup;
};
extern const struct ex_entry __ex_table_start[], __ex_table_end[];
u64 probe_value;

void trap_handler(struct trap_frame *f)
{
	if (f->vector == BH_VEC_TIMER) {
		timer_irq();
		return;
	}
	if (f->vector >= 32)
		return; /* nothing else is wired up yet */
	for (const struct ex_entry *e = __ex_table_start; e < __ex_table_end; e++)
		if (e->insn == f->rip) {
			f->rip = e->fixup;
			f->rax = 0x100 | f->vector;
			return;
		}
	u64 cr2;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	kprintf("\nguest: PANIC: exception %s (vector %llu, error 0x%llx) at rip %016llx\n"
		"  rsp %016llx rflags %016llx cr2 %016llx\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n",
		trap_name(f->vector), f->vector, f->error, f->rip, f->rsp, f->rflags, cr2, f->rax,
		f->rbx, f->rcx, f->rdx);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void trap_init(void) { desc_load(gdt, sizeof gdt, idt, 0); }

u64 probe_read64(u64 addr), probe_rdmsr(u32 msr), probe_efer_svme(void), probe_vmrun(void),
	probe_vmload(void), probe_vmsave(void), probe_stgi(void), probe_clgi(void), probe_skinit(void),
	probe_vmxon(u64 region);

u64 probe(int which, u64 arg)
{
	switch (which) {
	case PROBE_READ64: return probe_read64(arg);
	case PROBE_VMRUN: return probe_vmrun();
	case PROBE_VMLOAD: return probe_vmload();
	case PROBE_VMSAVE: return probe_vmsave();
	case PROBE_STGI: return probe_stgi();
	case PROBE_CLGI: return probe_clgi();
	case PROBE_SKINIT: return probe_skinit();
	case PROBE_VMXON: return probe_vmxon(arg);
	case PROBE_RDMSR: return probe_rdmsr((u32)arg);
	case PROBE_WRMSR_EFER_SVME: return probe_efer_svme();
	}
	return 0;
}
