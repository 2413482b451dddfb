/*
 * VM-exit handling, once for both backends (root mode).  The backend decodes
 * each exit into a neutral reason; this table says what hv does about it.
 * Whatever a partition does, the answer is an emulated result, an exception
 * injected into that partition, or (for the host partition's fatal states) a
 * clean panic: never hv running on in a bad state.
 */
#include "part.h"
#include "x86.h"

struct bh_stats hv_stats;

static void inject_gp(struct vcpu *v) { vcpu_ops->inject_exception(v, X86_GP, 1, 0); }

/* Hypercalls are the partition kernel's, never its user programs'. */
static void exit_hypercall(struct vcpu *v)
{
	if (vcpu_ops->get(v, VREG_CPL))
		return vcpu_ops->inject_exception(v, X86_UD, 0, 0);
	vcpu_ops->skip(v);
	hypercall(v);
}

/* CPUID: hv's own leaves; the hardware's otherwise, minus virtualization. */
static void exit_cpuid(struct vcpu *v)
{
	u32 leaf = (u32)v->r.rax, a, b, c, d;
	if ((leaf & 0xffffff00u) == 0x40000000u) {
		a = b = c = d = 0;
		if (leaf == BH_CPUID_SIGNATURE) {
			const u32 *sig = (const u32 *)BH_SIGNATURE;
			a = BH_CPUID_INFO;
			b = sig[0], c = sig[1], d = sig[2];
		} else if (leaf == BH_CPUID_INFO) {
			a = vcpu_ops->hc_insn, b = BH_ABI_VERSION, c = vcpu_ops->backend;
		}
	} else {
		cpuid(leaf, (u32)v->r.rcx, &a, &b, &c, &d);
		if (leaf == 1) {
			/* VMX, x2APIC, TSC deadline, XSAVE, OSXSAVE, AVX: hv switches only
			 * the x87/SSE state between partitions, so that is all they get. */
			c &= ~((1u << 5) | (1u << 21) | (1u << 24) | (1u << 26) | (1u << 27) | (1u << 28));
			c |= 1u << 31; /* running under a hypervisor */
		} else if (leaf == 7 && (u32)v->r.rcx == 0) {
			b &= ~((1u << 5) | 0xffff0000u); /* AVX2, AVX-512 */
		} else if (leaf == 0xd) {
			a = b = c = d = 0; /* XSAVE state */
		} else if (leaf == 0x80000001u) {
			c &= ~(1u << 2); /* SVM */
		} else if (leaf == 0x8000000au) {
			a = b = c = d = 0; /* SVM features */
		}
	}
	v->r.rax = a, v->r.rbx = b, v->r.rcx = c, v->r.rdx = d;
	vcpu_ops->skip(v);
}

/* Only virtualization-related MSRs are intercepted: EFER is emulated with SVME
 * hidden, everything else (VM_CR, VM_HSAVE_PA, the APIC) raises #GP. */
#define EFER_GUEST_BITS (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
static void exit_msr_read(struct vcpu *v)
{
	if ((u32)v->r.rcx != MSR_EFER)
		return inject_gp(v);
	u64 val = vcpu_ops->get(v, VREG_EFER);
	v->r.rax = (u32)val, v->r.rdx = val >> 32;
	vcpu_ops->skip(v);
}

static void exit_msr_write(struct vcpu *v)
{
	u64 val = (v->r.rdx << 32) | (u32)v->r.rax;
	if ((u32)v->r.rcx != MSR_EFER || (val & ~EFER_GUEST_BITS))
		return inject_gp(v);
	u64 lma = vcpu_ops->get(v, VREG_EFER) & EFER_LMA; /* LMA is the CPU's to set */
	vcpu_ops->set(v, VREG_EFER, (val & ~EFER_LMA) | lma);
	vcpu_ops->skip(v);
}

static void exit_virt_insn(struct vcpu *v) { vcpu_ops->inject_exception(v, X86_UD, 0, 0); }

/* The host is told with #GP and goes on; any other partition is stopped. */
static void exit_page_fault(struct vcpu *v)
{
	if (v->part->role != BH_ROLE_HOST)
		return part_crash(v->part, "access to gpa 0x%llx denied (rip 0x%llx)", v->exit.gpa,
				  vcpu_ops->get(v, VREG_RIP));
	hv_printf("hv: partition %u: access to gpa 0x%llx denied (rip 0x%llx)\n", v->part->id,
		  v->exit.gpa, vcpu_ops->get(v, VREG_RIP));
	inject_gp(v);
}

static void exit_io(struct vcpu *v) { inject_gp(v); }

/* A physical interrupt: take it through hv's IDT, then see what is due. */
static void exit_intr(struct vcpu *v)
{
	(void)v;
	__asm__ volatile("sti; nop; cli" ::: "memory");
	sched_tick();
}

static void exit_window(struct vcpu *v) { (void)v; sched_tick(); }

/* HLT: the vCPU waits (off the CPU) until it has an interrupt to take. */
static void exit_hlt(struct vcpu *v)
{
	vcpu_ops->skip(v);
	if (vcpu_irq_waiting(v))
		return;
	if (!v->deadline && !(vcpu_ops->get(v, VREG_RFLAGS) & (1u << 9)))
		return part_crash(v->part, "halted with interrupts off and no timer");
	v->halted = 1;
	sched_yield();
}

static void exit_fatal(struct vcpu *v)
{
	part_crash(v->part, "%s (exit 0x%llx)",
		   v->exit.reason == BH_EXIT_TRIPLE_FAULT ? "triple fault" : "invalid guest state", v->exit.raw);
}

static void (*const handlers[BH_EXIT_COUNT])(struct vcpu *) = {
	[BH_EXIT_HYPERCALL] = exit_hypercall,
	[BH_EXIT_CPUID] = exit_cpuid,
	[BH_EXIT_MSR_READ] = exit_msr_read,
	[BH_EXIT_MSR_WRITE] = exit_msr_write,
	[BH_EXIT_IO] = exit_io,
	[BH_EXIT_PAGE_FAULT] = exit_page_fault,
	[BH_EXIT_HLT] = exit_hlt,
	[BH_EXIT_INTR] = exit_intr,
	[BH_EXIT_VIRT_INSN] = exit_virt_insn,
	[BH_EXIT_INTR_WINDOW] = exit_window,
	[BH_EXIT_TIMER] = exit_window,
	[BH_EXIT_TRIPLE_FAULT] = exit_fatal,
	[BH_EXIT_INVALID] = exit_fatal,
};

void handle_exit(struct vcpu *v)
{
	enum bh_exit_reason r = v->exit.reason;
	if (r >= BH_EXIT_COUNT || !handlers[r])
		return part_crash(v->part, "unhandled exit %u (raw 0x%llx)", r, v->exit.raw);
	hv_stats.exits[r]++;
	handlers[r](v);
}
