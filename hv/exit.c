/*
 * VM-exit handling, once for both backends (root mode).  The backend decodes
 * each exit into a neutral reason; this table says what hv does about it.
 * Whatever a partition does, the answer is an emulated result, an exception
 * injected into that partition, or (for the host partition's fatal states) a
 * clean panic: never hv running on in a bad state.
 */
#include "part.h"
#include "../lib/x86.h"

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

/* CPUID: hv's own leaves; the hardware's otherwise, less what partitions do
 * not get: virtualization, performance counters and tracing, machine-check
 * and thermal MSRs, MONITOR/MWAIT, and the extended state vstate.c does not
 * switch.  XSAVE, AVX and AVX-512 are offered as far as vstate.xcr0 goes. */
static void cpuid_leaf(struct vcpu *v, u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	u64 x = vstate.xcr0;
	cpuid(leaf, sub, a, b, c, d);
	switch (leaf) {
	case 1:
		/* ECX: DTES64, MONITOR, DS-CPL, VMX, SMX, EST, TM2, xTPR, PDCM, x2APIC,
		 * TSC deadline; XSAVE, OSXSAVE and AVX follow vstate. */
		*c &= ~(1u << 2 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 7 | 1u << 8 | 1u << 14 |
			1u << 15 | 1u << 21 | 1u << 24 | 1u << 26 | 1u << 27 | 1u << 28);
		*c |= (x ? 1u << 26 : 0) | (x & XCR0_AVX ? 1u << 28 : 0) | 1u << 31; /* under a hypervisor */
		if (vcpu_ops->get(v, VREG_CR4) & CR4_OSXSAVE)
			*c |= 1u << 27;
		/* EDX: MCE, MTRR, MCA, DS, ACPI thermal, TM, PBE */
		*d &= ~(1u << 7 | 1u << 12 | 1u << 14 | 1u << 21 | 1u << 22 | 1u << 29 | 1u << 31);
		break;
	case 7:
		if (sub) {
			*a = *b = *c = *d = 0;
			break;
		}
		/* EBX: SGX, RDT monitoring and allocation, Intel PT; AVX2 and
		 * AVX-512 with their state. */
		*b &= ~(1u << 2 | 1u << 12 | 1u << 15 | 1u << 25);
		if (!(x & XCR0_AVX))
			*b &= ~(1u << 5);
		if (!(x & XCR0_AVX512))
			*b &= ~0xdc230000u, *c &= ~(1u << 1 | 1u << 6 | 1u << 11 | 1u << 12 | 1u << 14),
			*d &= ~(1u << 2 | 1u << 3 | 1u << 8 | 1u << 23);
		/* ECX: PKU, OSPKE, WAITPKG, CET, SGX launch control; EDX: MD_CLEAR
		 * stays, CET, AMX, L1D_FLUSH and ARCH_CAPABILITIES (MSRs they do not get) go. */
		*c &= ~(1u << 3 | 1u << 4 | 1u << 5 | 1u << 7 | 1u << 30);
		*d &= ~(1u << 20 | 1u << 22 | 1u << 24 | 1u << 25 | 1u << 28 | 1u << 29);
		break;
	case 0xd:
		if (sub == 0) {
			*a = (u32)x, *d = (u32)(x >> 32), *c = (u32)vstate.xsave_bytes; /* EBX: for its XCR0 now */
		} else if (sub == 1) {
			*a &= ~(1u << 3), *c = *d = 0; /* no XSAVES: partitions get no IA32_XSS */
		} else if (sub >= 64 || !(x & (1ull << sub))) {
			*a = *b = *c = *d = 0;
		}
		break;
	case 6:    /* thermal and power management */
	case 0xa:  /* performance monitoring */
	case 0xf:  /* RDT monitoring */
	case 0x10: /* RDT allocation */
	case 0x12: /* SGX */
	case 0x14: /* processor trace */
	case 0x8000000au: /* SVM */
		*a = *b = *c = *d = 0;
		break;
	case 0x80000001u: /* ECX: SVM, IBS, SKINIT, WDT, perfctr core/nb/L2, MONITORX */
		*c &= ~(1u << 2 | 1u << 10 | 1u << 12 | 1u << 13 | 1u << 23 | 1u << 24 | 1u << 28 | 1u << 29);
		break;
	}
}

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
		cpuid_leaf(v, leaf, (u32)v->r.rcx, &a, &b, &c, &d);
	}
	v->r.rax = a, v->r.rbx = b, v->r.rcx = c, v->r.rdx = d;
	vcpu_ops->skip(v);
}

/* MSRs: default deny.  Every access exits except the few each backend passes
 * through (its own table: state it switches per vCPU, such as the syscall
 * MSRs and FS/GS bases).  Here the ones emulated with the vCPU's own values;
 * any other raises #GP.  The list is reviewed in docs/design.md. */
#define EFER_GUEST_BITS (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

/* EFER: SCE, LME and NXE are the guest's; LMA is the CPU's (writes keep it);
 * LME may not change while paging is on; SVME is hv's and never shown. */
static int efer_write(struct vcpu *v, u64 val)
{
	u64 cur = vcpu_ops->get(v, VREG_EFER);
	if ((val & ~EFER_GUEST_BITS) || ((val ^ cur) & EFER_LME && vcpu_ops->get(v, VREG_CR0) & CR0_PG))
		return -1;
	vcpu_ops->set(v, VREG_EFER, (val & ~EFER_LMA) | (cur & EFER_LMA));
	return 0;
}

/* PAT: eight memory types, each 0 (UC), 1 (WC), 4 (WT), 5 (WP), 6 (WB) or 7 (UC-). */
static int pat_write(struct vcpu *v, u64 val)
{
	for (int i = 0; i < 64; i += 8) {
		u64 t = (val >> i) & 0xff;
		if (t > 7 || t == 2 || t == 3)
			return -1;
	}
	vcpu_ops->set(v, VREG_PAT, val);
	return 0;
}

static void exit_msr_read(struct vcpu *v)
{
	u32 msr = (u32)v->r.rcx;
	u64 val;
	if (msr == MSR_EFER)
		val = vcpu_ops->get(v, VREG_EFER);
	else if (msr == MSR_PAT)
		val = vcpu_ops->get(v, VREG_PAT);
	else if (msr == MSR_TSC)
		val = rdtsc();
	else if (vstate_get_msr(v, msr, &val))
		return inject_gp(v);
	v->r.rax = (u32)val, v->r.rdx = val >> 32;
	vcpu_ops->skip(v);
}

static void exit_msr_write(struct vcpu *v)
{
	u32 msr = (u32)v->r.rcx;
	u64 val = (v->r.rdx << 32) | (u32)v->r.rax;
	int err = msr == MSR_EFER ? efer_write(v, val) : msr == MSR_PAT ? pat_write(v, val)
		: vstate_set_msr(v, msr, val);
	if (err)
		return inject_gp(v);
	vcpu_ops->skip(v);
}

/* XSETBV: XCR0 within what vstate switches, by the SDM's rules; ring 0 only. */
static void exit_xsetbv(struct vcpu *v)
{
	if (vcpu_ops->get(v, VREG_CPL) || (u32)v->r.rcx || vstate_set_xcr0(v, (v->r.rdx << 32) | (u32)v->r.rax))
		return inject_gp(v);
	vcpu_ops->skip(v);
}

/* WBINVD and INVD write back and drop every cache in the machine: the host,
 * which owns devices, gets a real WBINVD (never an INVD, which would drop
 * other partitions' and hv's dirty lines); for a utility partition, whose RAM
 * is all write-back and which has no devices, both are no-ops. */
static void exit_wbinvd(struct vcpu *v)
{
	if (vcpu_ops->get(v, VREG_CPL))
		return inject_gp(v);
	if (v->part->role == BH_ROLE_HOST)
		__asm__ volatile("wbinvd" ::: "memory");
	vcpu_ops->skip(v);
}

static void exit_rdpmc(struct vcpu *v) { inject_gp(v); } /* no performance counters */

/* NMIs are hv's: the backend has let hv take it through its own IDT. */
static void exit_nmi(struct vcpu *v) { (void)v; }

/* A machine check while a partition ran: that partition stops (the host's is
 * fatal, with the state printed). */
static void exit_mce(struct vcpu *v) { part_crash(v->part, "machine check"); }

/* VMX and SVM instructions, MONITOR and MWAIT: #UD, as on a CPU without them. */
static void exit_ud(struct vcpu *v) { vcpu_ops->inject_exception(v, X86_UD, 0, 0); }

/* The host is told with #GP and goes on (unless it touched device memory
 * above RAM, mapped now); a utility partition's first touch of its RAM maps
 * it; anything else stops the partition. */
static void exit_page_fault(struct vcpu *v)
{
	s64 r;
	if (!host_map_device(v->part, v->exit.gpa) || !(r = part_touch(v->part, v->exit.gpa)))
		return;
	if (r == BH_ENOMEM)
		return part_crash(v->part, "no page for its nested tables at gpa 0x%llx", v->exit.gpa);
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
	[BH_EXIT_VIRT_INSN] = exit_ud,
	[BH_EXIT_INTR_WINDOW] = exit_window,
	[BH_EXIT_TIMER] = exit_window,
	[BH_EXIT_TRIPLE_FAULT] = exit_fatal,
	[BH_EXIT_INVALID] = exit_fatal,
	[BH_EXIT_XSETBV] = exit_xsetbv,
	[BH_EXIT_WBINVD] = exit_wbinvd,
	[BH_EXIT_RDPMC] = exit_rdpmc,
	[BH_EXIT_MWAIT] = exit_ud,
	[BH_EXIT_NMI] = exit_nmi,
	[BH_EXIT_MCE] = exit_mce,
};

void handle_exit(struct vcpu *v)
{
	enum bh_exit_reason r = v->exit.reason;
	if (r >= BH_EXIT_COUNT || !handlers[r])
		return part_crash(v->part, "unhandled exit %u (raw 0x%llx)", r, v->exit.raw);
	hv_stats.exits[r]++;
	handlers[r](v);
}
