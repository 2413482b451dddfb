/*
 * The architecture-neutral vCPU interface.  Common code (exit.c, hypercall.c,
 * part.c) sees only this; hv/svm/ and hv/vmx/ each fill one struct vcpu_ops and
 * embed struct vcpu first in their own vCPU.  No VMCB offset or VMCS field is
 * named outside its backend.
 */
#ifndef BULKHEAD_HV_VCPU_H
#define BULKHEAD_HV_VCPU_H

#include <bulkhead/hypercall.h>
#include "gpt.h"

/* General registers in x86 encoding order; rsp lives in the backend's state. */
struct vcpu_regs {
	u64 rax, rcx, rdx, rbx, rsp_unused, rbp, rsi, rdi;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};
_Static_assert(sizeof(struct vcpu_regs) == 16 * 8, "gprs.h: offset = register number * 8");

/* The last exit, decoded by the backend into neutral terms. */
struct vm_exit {
	enum bh_exit_reason reason;
	u32 insn_len; /* length of the exiting instruction, for vcpu_skip */
	u64 gpa;      /* BH_EXIT_PAGE_FAULT: the guest-physical address */
	u64 raw;      /* the backend's own exit code, for messages */
	u64 info;     /* backend detail (fault qualification, I/O port...) for messages */
};

/* What a vCPU starts with: 64-bit mode, paging on, at rip with rdi set. */
struct vcpu_boot {
	u64 rip, cr3, rdi;
};

enum vcpu_reg { VREG_RIP, VREG_RSP, VREG_RFLAGS, VREG_CR0, VREG_CR3, VREG_CR4, VREG_EFER, VREG_CPL, VREG_PAT };

/* The XSAVE area a vCPU has: x87, SSE, AVX and AVX-512 in the standard
 * format (2,696 bytes on CPUs with AVX-512); AVX-512 is not offered where the
 * CPU's layout needs more. */
#define VCPU_XSAVE_MAX 2752

struct partition;
struct vcpu {
	struct vcpu_regs r;
	struct partition *part;
	struct vm_exit exit;
	u64 deadline;       /* paravirtual timer: absolute TSC, 0 = none */
	u64 irq_pending[4]; /* virtual interrupt vectors waiting for delivery */
	u8 halted;          /* in HLT until an interrupt is pending */
	struct vcpu *next;  /* scheduler's ring */
	u64 exits;
	/* What vstate.c switches (the backends switch the rest): */
	u64 xcr0;           /* its XCR0 */
	u64 dr[4], dr6;     /* DR0-DR3, DR6 */
	u64 tsc_aux, spec_ctrl;
	u32 pkru;
	u8 xsave[VCPU_XSAVE_MAX] __attribute__((aligned(64))); /* XSAVE (or FXSAVE) area while off the CPU */
};

struct vcpu_ops {
	const char *name;
	u32 backend; /* BH_BACKEND_* */
	u32 hc_insn; /* BH_HCINSN_*: which instruction guests use for hypercalls */
	const struct gpt_fmt *gpt_fmt; /* entry encoding of nested page tables */
	u32 vcpu_pages; /* hv pages one vCPU takes (control block and state) */
	/* Checks the CPU and turns virtualization on; 0, or -1 with a message. */
	int (*cpu_init)(void);
	/* Whether nested tables may use 1 GiB leaves. */
	int (*gpt_1g)(void);
	/* A vCPU for p, or 0 when hv is out of memory.  Only the host partition
	 * reaches I/O ports: for any other, every port access exits (BH_EXIT_IO). */
	struct vcpu *(*create)(struct partition *p, const struct vcpu_boot *b);
	/* Runs the guest until its next exit, delivering a pending virtual
	 * interrupt when the guest can take it; fills v->exit. */
	void (*run)(struct vcpu *v);
	void (*skip)(struct vcpu *v);
	void (*inject_exception)(struct vcpu *v, u8 vector, int has_error, u32 error);
	u64 (*get)(struct vcpu *v, enum vcpu_reg r);
	void (*set)(struct vcpu *v, enum vcpu_reg r, u64 value);
	void (*dump)(struct vcpu *v); /* backend state, for panics */
	void (*destroy)(struct vcpu *v);
};

/* vstate.c: the CPU state that goes with the vCPU that runs, and the
 * barriers between partitions. */
struct vstate_cpu {
	u64 xcr0;        /* XCR0 bits guests may set (0: no XSAVE, FXSAVE is used) */
	u64 xsave_bytes; /* XSAVE area for all of them */
	u32 spec_ctrl;   /* SPEC_CTRL bits guests may set; 0: no SPEC_CTRL */
	u8 tsc_aux, pkru, ibpb, verw, l1d_flush; /* what the CPU has / needs */
};
extern struct vstate_cpu vstate;
void vstate_init(void);               /* at boot: what the CPU has; logs the barriers */
void vstate_reset(struct vcpu *v);    /* a new vCPU's initial state */
void vstate_switch(struct vcpu *to);  /* before `to` runs: its state into the CPU */
void vstate_drop(struct vcpu *v);     /* v will not run again */
/* Guest XSETBV and the MSRs emulated here: 0, or -1 for #GP. */
int vstate_set_xcr0(struct vcpu *v, u64 val);
int vstate_set_msr(struct vcpu *v, u32 msr, u64 val);
int vstate_get_msr(const struct vcpu *v, u32 msr, u64 *val);

extern const struct vcpu_ops *vcpu_ops;
extern const struct vcpu_ops svm_ops;
extern const struct vcpu_ops vmx_ops;

static inline void vcpu_raise(struct vcpu *v, u8 vector)
{
	v->irq_pending[vector / 64] |= 1ull << (vector % 64);
}

/* Takes the highest pending vector, or returns -1. */
static inline int vcpu_next_irq(struct vcpu *v)
{
	for (int w = 3; w >= 0; w--)
		if (v->irq_pending[w]) {
			int bit = 63 - __builtin_clzll(v->irq_pending[w]);
			v->irq_pending[w] &= ~(1ull << bit);
			return w * 64 + bit;
		}
	return -1;
}

static inline int vcpu_irq_waiting(const struct vcpu *v)
{
	return (v->irq_pending[0] | v->irq_pending[1] | v->irq_pending[2] | v->irq_pending[3]) != 0;
}

#endif
