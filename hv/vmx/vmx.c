/*
 * The Intel VT-x backend of the vCPU interface (VMX root mode).  One VMCS per
 * vCPU, its controls computed from the capability MSRs (controls.c); EPT with
 * one VPID per partition; an MSR bitmap that intercepts every MSR but those
 * in `passthrough` below; I/O bitmaps that pass the host partition's ports
 * through and stop every other's.  VMCALL, CPUID, HLT, external interrupts
 * (left pending: hv takes them through its own IDT), NMIs, machine checks,
 * triple fault, every VMX instruction, INVD, WBINVD, XSETBV, MONITOR, MWAIT
 * and RDPMC exit.  The CR0/CR4 bits VMX fixes are hv's (guest/host masks,
 * read shadows): the MOV to CR exits that causes are handled here and never
 * reach common code.  Guest RSP and RIP live in the VMCS, the other
 * registers in struct vcpu.
 */
#include "../part.h"
#include "../tags.h"
#include "../../lib/x86.h"
#include "controls.h"
#include "vmcs.h"

/* What VMX does not switch and hv does not use, kept in the CPU for the vCPU
 * that ran last (SVM's VMLOAD/VMSAVE and VMCB do this in hardware): the
 * syscall MSRs STAR, LSTAR, CSTAR, SFMASK and KERNEL_GS_BASE, then CR2. */
static const u32 lazy_msrs[5] = { MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_KERNEL_GS_BASE };

/* The MSRs a partition reads and writes without an exit: the lazy ones above,
 * and what the VMCS holds for each vCPU (FS and GS bases in the segments,
 * the SYSENTER fields).  Every other MSR exits (exit.c). */
static const u32 passthrough[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK,
	MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP,
};

struct vmx_vcpu {
	struct vcpu v; /* first: to_vmx() recovers the container */
	u64 vmcs_pa;
	u32 proc;      /* primary controls now: interrupt-window exiting comes and goes */
	int launched;
	u64 lazy_msr[5], cr2;
	struct vcpu_tag vpid;
};

static struct vmx_vcpu *to_vmx(struct vcpu *v) { return (struct vmx_vcpu *)v; }
_Static_assert(sizeof(struct vmx_vcpu) <= BH_PAGE_SIZE, "struct vmx_vcpu fits the page after its VMCS");

static struct vmx_ctls ctls;
static u64 cr_fixed0[2], cr_fixed1[2]; /* [0] CR0, [1] CR4: VMX's fixed bits */
static u64 msr_bitmap_pa, io_bitmap_pa, io_none_pa, vmcs_current; /* io_none: every port exits */
static struct vmx_vcpu *lazy_owner;
static u32 vmcs_revision;
static int has_1g;
static struct tags vpids; /* max 0: VPIDs off, every VM entry and exit flushes */

int vmx_enter(struct vcpu_regs *regs, int launched);
void vmx_exit(void);

static u64 vmread(u64 field)
{
	u64 v;
	__asm__ volatile("vmread %1, %0" : "=rm"(v) : "r"(field) : "cc");
	return v;
}

static void vmwrite(u64 field, u64 v)
{
	u8 bad;
	__asm__ volatile("vmwrite %2, %1; setbe %0" : "=qm"(bad) : "r"(field), "rm"(v) : "cc");
	if (bad)
		panic("vmwrite 0x%llx = 0x%llx failed (VM-instruction error %llu)", field, v, vmread(VMCS_INSN_ERROR));
}

/* Drops every EPT translation the CPU may have cached, whatever the EPTP. */
static void invept_all(void)
{
	struct { u64 eptp, zero; } desc = { 0, 0 };
	__asm__ volatile("invept %0, %1" : : "m"(desc), "r"(2ull) /* all contexts */ : "cc", "memory");
}

static void invvpid_all(void)
{
	struct { u64 vpid, addr; } desc = { 0, 0 };
	__asm__ volatile("invvpid %0, %1" : : "m"(desc), "r"(2ull) /* all contexts */ : "cc", "memory");
}

/* VMXON, VMCLEAR, VMPTRLD: the operand is the physical address; 0 or -1. */
#define VMX_PA_INSN(insn)                                                                    \
	static int insn(u64 pa)                                                              \
	{                                                                                    \
		u8 bad;                                                                      \
		__asm__ volatile(#insn " %1; setbe %0" : "=qm"(bad) : "m"(pa) : "cc", "memory"); \
		return -bad;                                                                 \
	}
VMX_PA_INSN(vmxon)
VMX_PA_INSN(vmclear)
VMX_PA_INSN(vmptrld)
#undef VMX_PA_INSN

/* The MSR bitmap: read bits for MSRs 0..1fff at 0, c0000000..c0001fff at
 * 0x400; the write bits 0x800 further on.  Other MSRs always exit. */
static void msr_pass(u8 *bm, u32 msr)
{
	u32 at = (msr >= 0xc0000000u ? 0x400 : 0) + (msr & 0x1fff) / 8;
	u8 bit = (u8)(1u << (msr & 7));
	bm[at] &= (u8)~bit;
	bm[0x800 + at] &= (u8)~bit;
}

static int vmx_cpu_init(void)
{
	u32 a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1u << 5))) {
		hv_printf("hv: no VT-x (VMX) on this CPU\n");
		return -1;
	}
	u64 fc = rdmsr(MSR_FEATURE_CONTROL);
	if (!(fc & FC_LOCKED))
		wrmsr(MSR_FEATURE_CONTROL, fc |= FC_LOCKED | FC_VMXON_OUTSIDE_SMX);
	if (!(fc & FC_VMXON_OUTSIDE_SMX)) {
		hv_printf("hv: VT-x is disabled by the firmware (IA32_FEATURE_CONTROL locked)\n");
		return -1;
	}

	/* Controls from the capability MSRs: the TRUE ones where they exist. */
	u64 basic = rdmsr(MSR_VMX_BASIC);
	u32 t = basic & VMX_BASIC_TRUE_CTLS ? MSR_VMX_TRUE_OFFSET : 0;
	struct vmx_caps caps = { .pin = rdmsr(MSR_VMX_PINBASED + t), .proc = rdmsr(MSR_VMX_PROCBASED + t),
				 .exit = rdmsr(MSR_VMX_EXIT + t), .entry = rdmsr(MSR_VMX_ENTRY + t) };
	if ((caps.proc >> 32) & PROC_SECONDARY)
		caps.proc2 = rdmsr(MSR_VMX_PROCBASED2);
	const char *bad;
	if (vmx_controls(&caps, &ctls, &bad)) {
		hv_printf("hv: VT-x cannot give the %s controls hv needs\n", bad);
		return -1;
	}
	u64 ept = rdmsr(MSR_VMX_EPT_VPID_CAP), need = EPT_CAP_WALK4 | EPT_CAP_WB | EPT_CAP_2M | EPT_CAP_INVEPT |
						   EPT_CAP_INVEPT_ALL;
	if ((ept & need) != need) {
		hv_printf("hv: VT-x EPT lacks 4-level write-back tables, 2 MiB pages or INVEPT\n");
		return -1;
	}
	has_1g = (ept & EPT_CAP_1G) != 0;
	if (!(ept & VPID_CAP_INVVPID) || !(ept & VPID_CAP_INVVPID_ALL))
		ctls.proc2 &= ~PROC2_VPID; /* tags that cannot be flushed are no use */
	if (ctls.proc2 & PROC2_VPID)
		tags_init(&vpids, tlb_tags_max ? tlb_tags_max : 0xffff);
	hv_printf("hv: %u VPIDs for partitions\n", vpids.max);

	/* CR0 and CR4 as VMX operation wants them. */
	for (int i = 0; i < 2; i++) {
		cr_fixed0[i] = rdmsr(MSR_VMX_CR0_FIXED0 + 2 * i);
		cr_fixed1[i] = rdmsr(MSR_VMX_CR0_FIXED1 + 2 * i);
	}
	write_cr0((read_cr0() | cr_fixed0[0]) & cr_fixed1[0]);
	write_cr4((read_cr4() | cr_fixed0[1]) & cr_fixed1[1]);

	vmcs_revision = (u32)basic & 0x7fffffff;
	u64 region = page_alloc_boot(1);
	*(u32 *)HV_PTR(region) = vmcs_revision;
	if (vmxon(region)) {
		hv_printf("hv: VMXON failed\n");
		return -1;
	}
	invept_all(); /* forget what was cached before VMXON */

	msr_bitmap_pa = page_alloc_boot(1);
	u8 *bm = HV_PTR(msr_bitmap_pa);
	__builtin_memset(bm, 0xff, BH_PAGE_SIZE);
	for (u32 i = 0; i < BH_ARRAY_SIZE(passthrough); i++)
		msr_pass(bm, passthrough[i]);
	io_bitmap_pa = page_alloc_boot(2); /* A and B, all clear: the host partition owns every port */
	io_none_pa = page_alloc_boot(2);
	__builtin_memset(HV_PTR(io_none_pa), 0xff, 2 * BH_PAGE_SIZE);
	return 0;
}

static int vmx_gpt_1g(void) { return has_1g; }

/* VMREAD and VMWRITE reach the current VMCS: makes it v's. */
static void load(struct vcpu *v)
{
	u64 pa = to_vmx(v)->vmcs_pa;
	if (vmcs_current != pa && vmptrld(pa))
		panic("VMPTRLD 0x%llx failed", pa);
	vmcs_current = pa;
}

/* CR0 (cr 0) or CR4 (cr 4) as the guest sees it: the bits hv owns come
 * from the read shadow.  hv owns every bit VMX fixes either way. */
static u64 cr_owned(int cr) { return cr_fixed0[cr / 4] | ~cr_fixed1[cr / 4]; }

static u64 cr_read(int cr)
{
	u64 own = cr_owned(cr);
	return (vmread(cr ? VMCS_GUEST_CR4 : VMCS_GUEST_CR0) & ~own) |
	       (vmread(cr ? VMCS_CR4_SHADOW : VMCS_CR0_SHADOW) & own);
}

static void cr_write(int cr, u64 val)
{
	vmwrite(cr ? VMCS_CR4_SHADOW : VMCS_CR0_SHADOW, val);
	vmwrite(cr ? VMCS_GUEST_CR4 : VMCS_GUEST_CR0, (val | cr_fixed0[cr / 4]) & cr_fixed1[cr / 4]);
}

/* Host state: what hv runs with now.  HOST_RSP is vmx_enter's to write. */
static void host_state(void)
{
	struct __attribute__((packed)) { u16 limit; u64 base; } gdtr, idtr;
	u16 tr;
	__asm__ volatile("sgdt %0; sidt %1; str %2" : "=m"(gdtr), "=m"(idtr), "=r"(tr));
	const u64 *tss = HV_PTR(gdtr.base + tr); /* a 16-byte system descriptor */
	vmwrite(VMCS_HOST_CS, 0x08);
	vmwrite(VMCS_HOST_SS, 0x10);
	vmwrite(VMCS_HOST_DS, 0x10);
	vmwrite(VMCS_HOST_ES, 0x10);
	vmwrite(VMCS_HOST_TR, tr);
	vmwrite(VMCS_HOST_TR_BASE, ((tss[0] >> 16) & 0xffffff) | (tss[0] >> 56) << 24 | tss[1] << 32);
	vmwrite(VMCS_HOST_GDTR_BASE, gdtr.base);
	vmwrite(VMCS_HOST_IDTR_BASE, idtr.base);
	vmwrite(VMCS_HOST_CR0, read_cr0());
	vmwrite(VMCS_HOST_CR3, read_cr3());
	vmwrite(VMCS_HOST_CR4, read_cr4());
	vmwrite(VMCS_HOST_EFER, rdmsr(MSR_EFER));
	vmwrite(VMCS_HOST_PAT, rdmsr(MSR_PAT));
	vmwrite(VMCS_HOST_RIP, HV_PA(vmx_exit));
}

/* Fields a VMCS must not leave to chance, all zero. */
static const u16 zero_fields[] = {
	VMCS_EXC_BITMAP, VMCS_PF_MASK, VMCS_PF_MATCH, VMCS_CR3_TARGETS, VMCS_EXIT_MSR_STORES,
	VMCS_EXIT_MSR_LOADS, VMCS_ENTRY_MSR_LOADS, VMCS_ENTRY_INTR, VMCS_TSC_OFFSET, VMCS_HOST_FS,
	VMCS_HOST_GS, VMCS_HOST_FS_BASE, VMCS_HOST_GS_BASE, VMCS_HOST_SYSENTER_CS, VMCS_HOST_SYSENTER_ESP,
	VMCS_HOST_SYSENTER_EIP, VMCS_GUEST_DEBUGCTL, VMCS_GUEST_INTERRUPTIBILITY, VMCS_GUEST_ACTIVITY,
	VMCS_GUEST_PENDING_DBG, VMCS_GUEST_SYSENTER_CS, VMCS_GUEST_SYSENTER_ESP, VMCS_GUEST_SYSENTER_EIP,
	VMCS_GUEST_GDTR_BASE, VMCS_GUEST_GDTR_LIMIT, VMCS_GUEST_IDTR_BASE, VMCS_GUEST_IDTR_LIMIT,
};

/* 64-bit mode, flat segments; the guest loads its own GDT and IDT. */
static const struct { u16 sel; u32 limit, ar; } guest_seg[] = {
	[SEG_ES] = { 0x10, 0xffffffff, 0xc093 }, [SEG_CS] = { 0x08, 0xffffffff, 0xa09b }, /* L=1 */
	[SEG_SS] = { 0x10, 0xffffffff, 0xc093 }, [SEG_DS] = { 0x10, 0xffffffff, 0xc093 },
	[SEG_FS] = { 0x10, 0xffffffff, 0xc093 }, [SEG_GS] = { 0x10, 0xffffffff, 0xc093 },
	[SEG_LDTR] = { 0, 0, 1u << 16 },         /* unusable */
	[SEG_TR] = { 0, 0x67, 0x8b },            /* busy 64-bit TSS */
};

static struct vcpu *vmx_create(struct partition *p, const struct vcpu_boot *b)
{
	u64 pa = page_alloc(2); /* the VMCS, then struct vmx_vcpu */
	if (!pa)
		return 0;
	struct vmx_vcpu *x = HV_PTR(pa + BH_PAGE_SIZE);
	x->vmcs_pa = pa;
	x->v.part = p;
	x->v.r.rdi = b->rdi;
	*(u32 *)HV_PTR(pa) = vmcs_revision;
	if (vmclear(pa) || vmptrld(pa))
		panic("VMCLEAR/VMPTRLD of a new VMCS failed");
	vmcs_current = pa;
	invept_all(); /* a new EPT may sit where an old one was */

	for (u32 i = 0; i < BH_ARRAY_SIZE(zero_fields); i++)
		vmwrite(zero_fields[i], 0);
	vmwrite(VMCS_EXC_BITMAP, 1u << X86_MC);
	vmwrite(VMCS_PIN, ctls.pin);
	vmwrite(VMCS_PROC, x->proc = ctls.proc);
	vmwrite(VMCS_PROC2, ctls.proc2);
	vmwrite(VMCS_EXIT_CTLS, ctls.exit);
	vmwrite(VMCS_ENTRY_CTLS, ctls.entry);
	vmwrite(VMCS_EPTP, p->npt.root | EPTP_WB_4LEVEL);
	vmwrite(VMCS_MSR_BITMAP, msr_bitmap_pa);
	u64 io = p->role == BH_ROLE_HOST ? io_bitmap_pa : io_none_pa;
	vmwrite(VMCS_IO_BITMAP_A, io);
	vmwrite(VMCS_IO_BITMAP_B, io + BH_PAGE_SIZE);
	vmwrite(VMCS_CR0_MASK, cr_owned(0));
	vmwrite(VMCS_CR4_MASK, cr_owned(4));
	vmwrite(VMCS_LINK, ~0ull);
	host_state();

	for (u32 s = 0; s < BH_ARRAY_SIZE(guest_seg); s++) {
		vmwrite(VMCS_GUEST_SEL + 2 * s, guest_seg[s].sel);
		vmwrite(VMCS_GUEST_LIMIT + 2 * s, guest_seg[s].limit);
		vmwrite(VMCS_GUEST_AR + 2 * s, guest_seg[s].ar);
		vmwrite(VMCS_GUEST_BASE + 2 * s, 0);
	}
	cr_write(0, CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG);
	cr_write(4, CR4_PAE);
	vmwrite(VMCS_GUEST_CR3, b->cr3);
	vmwrite(VMCS_GUEST_EFER, EFER_LME | EFER_LMA);
	vmwrite(VMCS_GUEST_PAT, 0x0007040600070406ull);
	vmwrite(VMCS_GUEST_RFLAGS, 2);
	vmwrite(VMCS_GUEST_RIP, b->rip);
	vmwrite(VMCS_GUEST_DR7, 0x400);
	return &x->v;
}

static void vmx_skip(struct vcpu *v)
{
	load(v);
	vmwrite(VMCS_GUEST_RIP, vmread(VMCS_GUEST_RIP) + v->exit.insn_len);
	u64 blocking = vmread(VMCS_GUEST_INTERRUPTIBILITY);
	if (blocking & 3) /* an STI or MOV SS shadow ends with the skipped instruction */
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY, blocking & ~3ull);
}

static void vmx_inject_exception(struct vcpu *v, u8 vector, int has_error, u32 error)
{
	load(v);
	vmwrite(VMCS_ENTRY_INTR, INTR_VALID | INTR_TYPE_EXCEPTION | vector | (has_error ? INTR_ERROR_VALID : 0));
	if (has_error)
		vmwrite(VMCS_ENTRY_ERROR, error);
}

static void inject_gp(struct vcpu *v) { vmx_inject_exception(v, X86_GP, 1, 0); }

/* MOV to CR0 or CR4 that changes a bit hv owns.  The guest may set what the
 * CPU supports, but not CR4.VMXE; VMX's fixed bits stay set underneath. */
static void mov_to_cr(struct vcpu *v, int cr, int gpr)
{
	u64 val = gpr == 4 ? vmread(VMCS_GUEST_RSP) : ((u64 *)&v->r)[gpr];
	if (val & (~cr_fixed1[cr / 4] | (cr ? CR4_VMXE : 0)))
		return inject_gp(v);
	cr_write(cr, val);
	vmx_skip(v);
}

static const u8 neutral[] = {
	[EXIT_EXTINT] = BH_EXIT_INTR,
	[EXIT_TRIPLE_FAULT] = BH_EXIT_TRIPLE_FAULT,
	[EXIT_INTR_WINDOW] = BH_EXIT_INTR_WINDOW,
	[EXIT_CPUID] = BH_EXIT_CPUID,
	[EXIT_HLT] = BH_EXIT_HLT,
	[EXIT_INVD] = BH_EXIT_WBINVD,
	[EXIT_RDPMC] = BH_EXIT_RDPMC,
	[EXIT_VMCALL] = BH_EXIT_HYPERCALL,
	[EXIT_VMCLEAR ... EXIT_VMXON] = BH_EXIT_VIRT_INSN,
	[EXIT_IO] = BH_EXIT_IO,
	[EXIT_RDMSR] = BH_EXIT_MSR_READ,
	[EXIT_WRMSR] = BH_EXIT_MSR_WRITE,
	[EXIT_MWAIT] = BH_EXIT_MWAIT,
	[EXIT_MONITOR] = BH_EXIT_MWAIT,
	[EXIT_MCE_ENTRY] = BH_EXIT_MCE,
	[EXIT_EPT_VIOLATION] = BH_EXIT_PAGE_FAULT,
	[EXIT_INVEPT] = BH_EXIT_VIRT_INSN,
	[EXIT_INVVPID] = BH_EXIT_VIRT_INSN,
	[EXIT_WBINVD] = BH_EXIT_WBINVD,
	[EXIT_XSETBV] = BH_EXIT_XSETBV,
};

/* An event the exit interrupted (IDT-vectoring information) goes in again on
 * the next entry; an exception common code injects for this exit takes its
 * place.  VM exits clear the entry field's valid bit. */
static void reinject(struct vcpu *v)
{
	u32 idt = (u32)vmread(VMCS_IDT_VECTORING);
	if (!(idt & INTR_VALID))
		return;
	vmwrite(VMCS_ENTRY_INTR, idt & ~INTR_NMI_UNBLOCKED);
	if (idt & INTR_ERROR_VALID)
		vmwrite(VMCS_ENTRY_ERROR, vmread(VMCS_IDT_VECTORING_ERROR));
	if ((idt & INTR_TYPE_MASK) >= INTR_TYPE_SOFT_INTR)
		vmwrite(VMCS_ENTRY_INSN_LEN, v->exit.insn_len);
}

/* Exit reason 0: an NMI (hv's: taken now through its own IDT) or a machine check. */
static u8 exception_exit(void)
{
	u32 info = (u32)vmread(VMCS_EXIT_INTR);
	if ((info & INTR_TYPE_MASK) == INTR_TYPE_NMI) {
		__asm__ volatile("int $2" ::: "memory");
		return BH_EXIT_NMI;
	}
	return (info & 0xff) == X86_MC ? BH_EXIT_MCE : BH_EXIT_INVALID;
}

/* Fills v->exit; returns 1 if the exit was handled here and the guest can go on. */
static int decode(struct vmx_vcpu *x)
{
	struct vm_exit *e = &x->v.exit;
	u32 reason = (u32)vmread(VMCS_EXIT_REASON);
	u64 qual = vmread(VMCS_EXIT_QUAL);
	x->launched |= !(reason & EXIT_ENTRY_FAILED);
	e->raw = reason;
	e->info = qual;
	e->insn_len = (u32)vmread(VMCS_EXIT_INSN_LEN);
	e->reason = reason < sizeof neutral && neutral[reason] ? neutral[reason] : BH_EXIT_INVALID;
	if (reason == EXIT_EXCEPTION_NMI)
		e->reason = exception_exit();
	reinject(&x->v);
	if (reason == EXIT_EPT_VIOLATION)
		e->gpa = vmread(VMCS_GUEST_PHYS);
	if (reason == EXIT_CR_ACCESS && !(qual & 0xf0) && ((qual & 15) == 0 || (qual & 15) == 4))
		return mov_to_cr(&x->v, qual & 15, (qual >> 8) & 15), 1; /* MOV to CR0/CR4 */
	return 0;
}

static void switch_lazy(struct vmx_vcpu *x)
{
	struct vmx_vcpu *old = lazy_owner;
	if (old == x)
		return;
	for (u32 i = 0; old && i < 5; i++)
		old->lazy_msr[i] = rdmsr(lazy_msrs[i]);
	if (old)
		old->cr2 = read_cr2();
	for (u32 i = 0; i < 5; i++)
		wrmsr(lazy_msrs[i], x->lazy_msr[i]);
	write_cr2(x->cr2);
	lazy_owner = x;
}

/* A pending virtual interrupt goes in when the guest can take it (IF set, no
 * STI/MOV SS shadow, no exception being injected); while one waits, the
 * interrupt-window exit says when. */
static void deliver_irq(struct vmx_vcpu *x)
{
	struct vcpu *v = &x->v;
	if (vcpu_irq_waiting(v) && (vmread(VMCS_GUEST_RFLAGS) & (1u << 9)) &&
	    !(vmread(VMCS_GUEST_INTERRUPTIBILITY) & 3) && !(vmread(VMCS_ENTRY_INTR) & INTR_VALID))
		vmwrite(VMCS_ENTRY_INTR, INTR_VALID | INTR_TYPE_EXTERNAL | (u32)vcpu_next_irq(v));
	u32 proc = vcpu_irq_waiting(v) ? ctls.proc | PROC_INTR_WINDOW : ctls.proc;
	if (proc != x->proc)
		vmwrite(VMCS_PROC, x->proc = proc);
}

static void vmx_run(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	load(v);
	switch_lazy(x);
	if (vpids.max && x->vpid.gen != vpids.gen) { /* a new vCPU, or its VPID is from an older generation */
		if (tag_get(&vpids, &x->vpid) == TAG_FLUSH_ALL)
			invvpid_all();
		vmwrite(VMCS_VPID, x->vpid.tag);
	}
	do {
		deliver_irq(x);
		if (vmx_enter(&v->r, x->launched)) {
			v->exit = (struct vm_exit){ .reason = BH_EXIT_INVALID, .raw = ~0ull,
						    .info = vmread(VMCS_INSN_ERROR) };
			return;
		}
	} while (decode(x));
}

static const u16 reg_field[] = {
	[VREG_RIP] = VMCS_GUEST_RIP, [VREG_RSP] = VMCS_GUEST_RSP, [VREG_RFLAGS] = VMCS_GUEST_RFLAGS,
	[VREG_CR3] = VMCS_GUEST_CR3, [VREG_EFER] = VMCS_GUEST_EFER, [VREG_PAT] = VMCS_GUEST_PAT,
};

static u64 vmx_get(struct vcpu *v, enum vcpu_reg r)
{
	load(v);
	if (r == VREG_CPL)
		return (vmread(VMCS_GUEST_AR + 2 * SEG_SS) >> 5) & 3; /* SS.DPL */
	if (r == VREG_CR0 || r == VREG_CR4)
		return cr_read(r == VREG_CR4 ? 4 : 0);
	return vmread(reg_field[r]);
}

static void vmx_set(struct vcpu *v, enum vcpu_reg r, u64 val)
{
	load(v);
	if (r == VREG_CR0 || r == VREG_CR4)
		cr_write(r == VREG_CR4 ? 4 : 0, val);
	else if (r != VREG_CPL) /* CPL follows the segments */
		vmwrite(reg_field[r], val);
}

static void vmx_dump(struct vcpu *v)
{
	load(v);
	hv_printf("  vmx: exit reason 0x%llx qual 0x%llx gpa 0x%llx intr-info 0x%llx idt-vectoring 0x%llx\n"
		  "  vmx: VM-instruction error %llu, cs %04llx ar %llx, interruptibility %llx\n",
		  v->exit.raw, v->exit.info, vmread(VMCS_GUEST_PHYS), vmread(VMCS_EXIT_INTR),
		  vmread(VMCS_IDT_VECTORING), vmread(VMCS_INSN_ERROR), vmread(VMCS_GUEST_SEL + 2 * SEG_CS),
		  vmread(VMCS_GUEST_AR + 2 * SEG_CS), vmread(VMCS_GUEST_INTERRUPTIBILITY));
}

static void vmx_destroy(struct vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	vmclear(x->vmcs_pa);
	if (vmcs_current == x->vmcs_pa)
		vmcs_current = 0;
	if (lazy_owner == x)
		lazy_owner = 0;
	page_free(x->vmcs_pa, 2);
}

const struct vcpu_ops vmx_ops = {
	.name = "VT-x (VMX) with EPT",
	.backend = BH_BACKEND_VMX,
	.hc_insn = BH_HCINSN_VMCALL,
	.gpt_fmt = &gpt_fmt_ept,
	.vcpu_pages = 2,
	.cpu_init = vmx_cpu_init,
	.gpt_1g = vmx_gpt_1g,
	.create = vmx_create,
	.run = vmx_run,
	.skip = vmx_skip,
	.inject_exception = vmx_inject_exception,
	.get = vmx_get,
	.set = vmx_set,
	.dump = vmx_dump,
	.destroy = vmx_destroy,
};
