/*
 * The AMD-V backend of the vCPU interface (SVM host mode).  One VMCB per vCPU;
 * nested paging with one ASID per partition; an MSR permission map that
 * intercepts every MSR but those in `passthrough` below; VMMCALL, CPUID, HLT,
 * physical interrupts and NMIs, machine checks, shutdown, every SVM
 * instruction, INVD, WBINVD, XSETBV, MONITOR, MWAIT and RDPMC intercepted.
 * Guest RAX and RSP live in the VMCB, the other registers in struct vcpu.
 */
#include "../../lib/string.h"
#include "../part.h"
#include "../tags.h"
#include "../../lib/x86.h"
#include "vmcb.h"

struct svm_vcpu {
	struct vcpu v; /* first: to_svm() recovers the container */
	struct vmcb *vmcb;
	u64 vmcb_pa;
	struct vcpu_tag asid;
};

static struct svm_vcpu *to_svm(struct vcpu *v) { return (struct svm_vcpu *)v; }
_Static_assert(sizeof(struct svm_vcpu) <= BH_PAGE_SIZE, "struct svm_vcpu fits the page after its VMCB");

static u64 msrpm_pa, iopm_pa, iopm_none_pa; /* iopm_none: every port intercepted */
static int has_nrips, has_1g;
static struct tags asids;

void svm_vmrun(u64 vmcb_pa, struct vcpu_regs *regs);

/* The MSRs a partition reads and writes without an exit: state the VMCB
 * holds for each vCPU (FS and GS bases in the segments; the others are what
 * VMLOAD and VMSAVE switch around VMRUN).  Every other MSR exits (exit.c). */
static const u32 passthrough[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK,
	MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP,
};

/* Clears the read and write intercept bits of one MSR in the permission map
 * (two bits per MSR, in three 2 KiB ranges). */
static void msrpm_pass(u8 *pm, u32 msr)
{
	u32 base = msr < 0x2000 ? 0 : msr >= 0xc0010000u ? 0x1000 : 0x800;
	u32 bit = (msr & 0x1fff) * 2;
	pm[base + bit / 8] &= (u8)~(3u << (bit % 8));
}

static int svm_cpu_init(void)
{
	u32 a, b, c, d;
	cpuid(0x80000001, 0, &a, &b, &c, &d);
	has_1g = (d >> 26) & 1;
	if (!(c & (1u << 2))) {
		hv_printf("hv: no AMD-V (SVM) on this CPU\n");
		return -1;
	}
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		hv_printf("hv: AMD-V is disabled by the firmware\n");
		return -1;
	}
	cpuid(0x8000000a, 0, &a, &b, &c, &d);
	if (!(d & 1)) {
		hv_printf("hv: AMD-V without nested paging\n");
		return -1;
	}
	has_nrips = (d >> 3) & 1;
	u32 n = b - 1; /* ASID 0 is the host's (hv's) */
	tags_init(&asids, tlb_tags_max && tlb_tags_max < n ? tlb_tags_max : n);
	hv_printf("hv: %u ASIDs for partitions (the CPU has %u)\n", asids.max, b);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, page_alloc_boot(1));

	msrpm_pa = page_alloc_boot(2);
	u8 *pm = HV_PTR(msrpm_pa);
	__builtin_memset(pm, 0xff, 2 * BH_PAGE_SIZE);
	for (u32 i = 0; i < BH_ARRAY_SIZE(passthrough); i++)
		msrpm_pass(pm, passthrough[i]);
	iopm_pa = page_alloc_boot(3); /* all zero: the host partition owns every port */
	iopm_none_pa = page_alloc_boot(3);
	__builtin_memset(HV_PTR(iopm_none_pa), 0xff, 3 * BH_PAGE_SIZE);
	return 0;
}

static int svm_gpt_1g(void) { return has_1g; }

static struct vcpu *svm_create(struct partition *p, const struct vcpu_boot *b)
{
	u64 pa = page_alloc(2); /* the VMCB, then struct svm_vcpu */
	if (!pa)
		return 0;
	struct svm_vcpu *s = HV_PTR(pa + BH_PAGE_SIZE);
	struct vmcb *vm = HV_PTR(pa);
	s->vmcb = vm;
	s->vmcb_pa = pa;
	s->v.part = p;
	s->v.r.rdi = b->rdi;

	vm->intercept_exc = 1u << X86_MC;
	vm->intercept_misc1 = INTERCEPT_INTR | INTERCEPT_NMI | INTERCEPT_RDPMC | INTERCEPT_CPUID | INTERCEPT_INVD |
			      INTERCEPT_HLT | INTERCEPT_INVLPGA | INTERCEPT_MSR | INTERCEPT_SHUTDOWN;
	vm->intercept_misc2 = INTERCEPT_VMRUN | INTERCEPT_VMMCALL | INTERCEPT_VMLOAD | INTERCEPT_VMSAVE |
			      INTERCEPT_STGI | INTERCEPT_CLGI | INTERCEPT_SKINIT | INTERCEPT_WBINVD |
			      INTERCEPT_MONITOR | INTERCEPT_MWAIT | INTERCEPT_MWAIT_ARMED | INTERCEPT_XSETBV;
	vm->iopm_pa = p->role == BH_ROLE_HOST ? iopm_pa : iopm_none_pa;
	if (p->role != BH_ROLE_HOST)
		vm->intercept_misc1 |= INTERCEPT_IOIO;
	vm->msrpm_pa = msrpm_pa;
	vm->int_ctl = V_INTR_MASKING;
	vm->np_enable = 1;
	vm->n_cr3 = p->npt.root;

	/* 64-bit mode, flat segments; the guest loads its own GDT and IDT. */
	vm->cs = (struct vmcb_seg){ 0x08, 0x29b, 0xffffffff, 0 }; /* code, L=1 */
	struct vmcb_seg data = { 0x10, 0xc93, 0xffffffff, 0 };
	vm->ds = vm->es = vm->ss = vm->fs = vm->gs = data;
	vm->tr = (struct vmcb_seg){ 0, 0x8b, 0x67, 0 };
	vm->ldtr = (struct vmcb_seg){ 0, 0x82, 0, 0 };
	vm->efer = EFER_LME | EFER_LMA | EFER_SVME;
	vm->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	vm->cr3 = b->cr3;
	vm->cr4 = CR4_PAE;
	vm->rflags = 2;
	vm->rip = b->rip;
	vm->dr6 = 0xffff0ff0;
	vm->dr7 = 0x400;
	vm->g_pat = 0x0007040600070406ull;
	return &s->v;
}

static void decode(struct vcpu *v, struct vmcb *vm)
{
	static const u8 len[] = { [VMEXIT_RDPMC - 0x60] = 2, [VMEXIT_CPUID - 0x60] = 2, [VMEXIT_INVD - 0x60] = 2,
				  [VMEXIT_HLT - 0x60] = 1, [VMEXIT_MSR - 0x60] = 2, [VMEXIT_VMMCALL - 0x60] = 3,
				  [VMEXIT_WBINVD - 0x60] = 2, [VMEXIT_MONITOR - 0x60] = 3, [VMEXIT_MWAIT - 0x60] = 3,
				  [VMEXIT_MWAIT_ARMED - 0x60] = 3, [VMEXIT_XSETBV - 0x60] = 3 };
	struct vm_exit *e = &v->exit;
	u64 code = vm->exitcode;
	e->raw = code;
	e->info = vm->exitinfo1;
	switch (code) {
	case VMEXIT_INTR: e->reason = BH_EXIT_INTR; break;
	case VMEXIT_NMI: e->reason = BH_EXIT_NMI; break; /* taken through hv's IDT at STGI */
	case VMEXIT_MC: e->reason = BH_EXIT_MCE; break;
	case VMEXIT_RDPMC: e->reason = BH_EXIT_RDPMC; break;
	case VMEXIT_INVD:
	case VMEXIT_WBINVD: e->reason = BH_EXIT_WBINVD; break;
	case VMEXIT_MONITOR ... VMEXIT_MWAIT_ARMED: e->reason = BH_EXIT_MWAIT; break;
	case VMEXIT_XSETBV: e->reason = BH_EXIT_XSETBV; break;
	case VMEXIT_VINTR: e->reason = BH_EXIT_INTR_WINDOW; break;
	case VMEXIT_CPUID: e->reason = BH_EXIT_CPUID; break;
	case VMEXIT_HLT: e->reason = BH_EXIT_HLT; break;
	case VMEXIT_MSR: e->reason = vm->exitinfo1 ? BH_EXIT_MSR_WRITE : BH_EXIT_MSR_READ; break;
	case VMEXIT_IOIO: e->reason = BH_EXIT_IO; break;
	case VMEXIT_SHUTDOWN: e->reason = BH_EXIT_TRIPLE_FAULT; break;
	case VMEXIT_VMMCALL: e->reason = BH_EXIT_HYPERCALL; break;
	case VMEXIT_INVLPGA:
	case VMEXIT_VMRUN:
	case VMEXIT_VMRUN + 2 ... VMEXIT_SKINIT: e->reason = BH_EXIT_VIRT_INSN; break;
	case VMEXIT_NPF: e->reason = BH_EXIT_PAGE_FAULT, e->gpa = vm->exitinfo2; break;
	default: e->reason = BH_EXIT_INVALID;
	}
	if (has_nrips && vm->next_rip > vm->rip)
		e->insn_len = (u32)(vm->next_rip - vm->rip);
	else
		e->insn_len = code >= 0x60 && code - 0x60 < sizeof len ? len[code - 0x60] : 0;
}

static void svm_run(struct vcpu *v)
{
	struct svm_vcpu *s = to_svm(v);
	struct vmcb *vm = s->vmcb;
	if (vcpu_irq_waiting(v)) { /* V_IRQ is clear here: see after the run */
		int vec = vcpu_next_irq(v);
		vm->int_ctl = (vm->int_ctl & 0xffffffffull & ~(0xfull << 16)) | V_IRQ | V_INTR_PRIO(vec >> 4) |
			      V_IGN_TPR | V_INTR_VECTOR(vec);
	}
	if (s->asid.gen != asids.gen) { /* a new vCPU, or its ASID is from an older generation */
		vm->tlb_control = tag_get(&asids, &s->asid) == TAG_FLUSH_ALL ? TLB_FLUSH_ALL : TLB_FLUSH_ASID;
		vm->asid = s->asid.tag;
	}
	vm->rax = v->r.rax;
	__asm__ volatile("clgi; sti" ::: "memory");
	svm_vmrun(s->vmcb_pa, &v->r);
	__asm__ volatile("cli; stgi" ::: "memory");
	v->r.rax = vm->rax;
	vm->tlb_control = 0;
	/* An event the exit interrupted is delivered again on the next run
	 * (EXITINTINFO has EVENTINJ's format); an exception common code injects
	 * for this exit takes its place. */
	vm->event_inj = vm->exitintinfo & EVENT_VALID ? vm->exitintinfo : 0;
	/* A virtual interrupt the guest has not taken yet goes back to the pending
	 * set, so common code (HLT) sees it; the next run offers it again. */
	if (vm->int_ctl & V_IRQ) {
		vcpu_raise(v, (u8)(vm->int_ctl >> 32));
		vm->int_ctl &= ~V_IRQ;
	}
	decode(v, vm);
}

/* Past the exiting instruction; an STI or MOV SS shadow ends with it. */
static void svm_skip(struct vcpu *v)
{
	struct vmcb *vm = to_svm(v)->vmcb;
	vm->rip += v->exit.insn_len;
	vm->int_state &= ~1ull;
}

static void svm_inject_exception(struct vcpu *v, u8 vector, int has_error, u32 error)
{
	to_svm(v)->vmcb->event_inj = vector | EVENT_TYPE_EXCEPTION | EVENT_VALID |
				     (has_error ? EVENT_ERROR_VALID | (u64)error << 32 : 0);
}

static u64 svm_get(struct vcpu *v, enum vcpu_reg r)
{
	struct vmcb *vm = to_svm(v)->vmcb;
	switch (r) {
	case VREG_RIP: return vm->rip;
	case VREG_RSP: return vm->rsp;
	case VREG_RFLAGS: return vm->rflags;
	case VREG_CR0: return vm->cr0;
	case VREG_CR3: return vm->cr3;
	case VREG_CR4: return vm->cr4;
	case VREG_EFER: return vm->efer & ~EFER_SVME; /* SVME is hv's, not the guest's */
	case VREG_CPL: return vm->cpl;
	case VREG_PAT: return vm->g_pat;
	}
	return 0;
}

static void svm_set(struct vcpu *v, enum vcpu_reg r, u64 val)
{
	struct vmcb *vm = to_svm(v)->vmcb;
	switch (r) {
	case VREG_RIP: vm->rip = val; break;
	case VREG_RSP: vm->rsp = val; break;
	case VREG_RFLAGS: vm->rflags = val; break;
	case VREG_CR0: vm->cr0 = val; break;
	case VREG_CR3: vm->cr3 = val; break;
	case VREG_CR4: vm->cr4 = val; break;
	case VREG_EFER: vm->efer = val | EFER_SVME; break;
	case VREG_CPL: break; /* follows the segments */
	case VREG_PAT: vm->g_pat = val; break;
	}
}

static void svm_dump(struct vcpu *v)
{
	struct vmcb *vm = to_svm(v)->vmcb;
	hv_printf("  svm: exitcode 0x%llx info1 0x%llx info2 0x%llx intinfo 0x%llx cs %04x/%03x cpl %u\n",
		  vm->exitcode, vm->exitinfo1, vm->exitinfo2, vm->exitintinfo, vm->cs.sel, vm->cs.attrib, vm->cpl);
}

static void svm_destroy(struct vcpu *v) { page_free(to_svm(v)->vmcb_pa, 2); }

const struct vcpu_ops svm_ops = {
	.name = "AMD-V (SVM) with nested paging",
	.backend = BH_BACKEND_SVM,
	.hc_insn = BH_HCINSN_VMMCALL,
	.gpt_fmt = &gpt_fmt_x86,
	.vcpu_pages = 2,
	.cpu_init = svm_cpu_init,
	.gpt_1g = svm_gpt_1g,
	.create = svm_create,
	.run = svm_run,
	.skip = svm_skip,
	.inject_exception = svm_inject_exception,
	.get = svm_get,
	.set = svm_set,
	.dump = svm_dump,
	.destroy = svm_destroy,
};
