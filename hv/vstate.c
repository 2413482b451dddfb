/*
 * What a vCPU owns in the CPU that neither backend switches (root mode):
 * x87/SSE/AVX state (XSAVE, under the vCPU's own XCR0), DR0-DR3 and DR6,
 * TSC_AUX, SPEC_CTRL and PKRU; and the barriers between partitions (IBPB, a
 * return-stack fill, VERW, an L1D flush) on the CPUs that need them.  The
 * CPU holds one vCPU's state at a time, the owner's; vstate_switch() hands it
 * to the next.  hv itself never touches these registers (it is built without
 * SSE and sets no breakpoints), so the owner's values stay in the CPU while
 * hv handles its exits.
 */
#include "../lib/string.h"
#include "part.h"
#include "../lib/x86.h"

struct vstate_cpu vstate;
static struct vcpu *owner;             /* whose state the CPU holds, 0 for none */
static const struct partition *last;   /* the partition that ran last: barrier when it changes */
static u64 hw_xcr0;                    /* XCR0 in the CPU now */
static u64 hw_tsc_aux, hw_spec_ctrl;   /* the MSRs' values in the CPU now */

static u64 xsave_bytes(u64 mask)
{
	u32 a, b, c, d, end = 512 + 64; /* legacy area and XSAVE header */
	for (u32 i = 2; i < 64; i++)
		if (mask & (1ull << i)) {
			cpuid(0xd, i, &a, &b, &c, &d);
			if (b + a > end)
				end = b + a; /* offset + size, standard format */
		}
	return end;
}

static int intel(void)
{
	u32 a, b, c, d;
	cpuid(0, 0, &a, &b, &c, &d);
	return b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e; /* "GenuineIntel" */
}

void vstate_init(void)
{
	u32 a, b, c, d, eb = 0, ed7 = 0, ec7 = 0, ed81 = 0, max;
	cpuid(0, 0, &max, &b, &c, &d);
	cpuid(1, 0, &a, &b, &c, &d);
	int xsave = (c >> 26) & 1;
	if (max >= 7)
		cpuid(7, 0, &a, &b, &ec7, &ed7);
	cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a >= 0x80000008)
		cpuid(0x80000008, 0, &a, &eb, &c, &d);
	cpuid(0x80000001, 0, &a, &b, &c, &ed81);

	if (xsave) { /* hv's own XCR0 holds every component a guest may enable */
		write_cr4(read_cr4() | CR4_OSXSAVE);
		cpuid(0xd, 0, &a, &b, &c, &d);
		u64 mask = a & (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_AVX512);
		if ((mask & XCR0_AVX512) != XCR0_AVX512 || xsave_bytes(mask) > VCPU_XSAVE_MAX)
			mask &= ~XCR0_AVX512;
		vstate.xcr0 = mask;
		vstate.xsave_bytes = xsave_bytes(mask);
		xsetbv(0, hw_xcr0 = mask);
	}
	if ((ec7 >> 3) & 1) { /* PKU: PKRU is switched even though guests do not see it */
		write_cr4(read_cr4() | CR4_PKE);
		vstate.pkru = 1;
	}
	vstate.tsc_aux = (ed81 >> 27) & 1 || (ec7 >> 22) & 1; /* RDTSCP, RDPID */
	/* SPEC_CTRL's bits and IBPB, as Intel (leaf 7) or AMD (0x80000008) lists them. */
	if ((ed7 >> 26) & 1)
		vstate.spec_ctrl = 1 | ((ed7 >> 27) & 1) << 1 | ((ed7 >> 31) & 1) << 2, vstate.ibpb = 1;
	else
		vstate.spec_ctrl = ((eb >> 14) & 1) | ((eb >> 15) & 1) << 1 | ((eb >> 24) & 1) << 2,
		vstate.ibpb = (eb >> 12) & 1;
	u64 caps = (ed7 >> 29) & 1 ? rdmsr(MSR_ARCH_CAPABILITIES) : 0;
	int is_intel = intel();
	vstate.verw = is_intel && !(caps & ARCH_CAP_MDS_NO) && (ed7 >> 10) & 1;      /* MD_CLEAR */
	vstate.l1d_flush = is_intel && !(caps & ARCH_CAP_RDCL_NO) && (ed7 >> 28) & 1; /* L1D_FLUSH */
	hv_printf("hv: vCPU state: XCR0 0x%llx (%llu bytes)%s%s%s; between partitions: %s, RSB fill%s%s\n",
		  vstate.xcr0, vstate.xsave_bytes, vstate.pkru ? ", PKRU" : "", vstate.tsc_aux ? ", TSC_AUX" : "",
		  vstate.spec_ctrl ? ", SPEC_CTRL" : "", vstate.ibpb ? "IBPB" : "no IBPB (not offered)",
		  vstate.verw ? ", VERW (MDS)" : "", vstate.l1d_flush ? ", L1D flush (L1TF)" : "");
	if (is_intel && !(caps & ARCH_CAP_MDS_NO) && !vstate.verw)
		hv_printf("hv: warning: this CPU may be affected by MDS and offers no VERW buffer clearing\n");
	if (is_intel && !(caps & ARCH_CAP_RDCL_NO) && !vstate.l1d_flush)
		hv_printf("hv: warning: this CPU may be affected by L1TF and offers no L1D flush\n");
}

void vstate_reset(struct vcpu *v)
{
	memset(v->xsave, 0, sizeof v->xsave); /* XSTATE_BV 0: every component starts in its initial state */
	*(u16 *)&v->xsave[0] = 0x37f;         /* FNINIT's control word, for FXRSTOR */
	*(u32 *)&v->xsave[24] = 0x1f80;       /* MXCSR, which XRSTOR loads from the legacy area */
	v->xcr0 = XCR0_X87;
	memset(v->dr, 0, sizeof v->dr);
	v->dr6 = 0xffff0ff0;
	v->tsc_aux = v->spec_ctrl = 0;
	v->pkru = 0;
}

#define MOV_DR(n)                                                                 \
	static u64 get_dr##n(void)                                                \
	{                                                                         \
		u64 x;                                                            \
		__asm__ volatile("mov %%db" #n ", %0" : "=r"(x));                 \
		return x;                                                         \
	}                                                                         \
	static void set_dr##n(u64 x) { __asm__ volatile("mov %0, %%db" #n : : "r"(x)); }
MOV_DR(0)
MOV_DR(1)
MOV_DR(2)
MOV_DR(3)
MOV_DR(6)
#undef MOV_DR

static void barrier(void)
{
	static const u16 data_sel = 0x10;
	if (vstate.ibpb)
		wrmsr(MSR_PRED_CMD, 1);
	rsb_fill();
	if (vstate.l1d_flush)
		wrmsr(MSR_FLUSH_CMD, 1);
	if (vstate.verw)
		__asm__ volatile("verw %0" : : "m"(data_sel) : "cc");
}

static void save(struct vcpu *v)
{
	if (vstate.xcr0) {
		/* What the guest runs with, even where XSETBV did not exit (QEMU's
		 * SVM model does not intercept it): XSAVE below covers every bit
		 * hv offers, and the CPU refuses the bits it lacks. */
		v->xcr0 = hw_xcr0 = xgetbv(0);
		if (hw_xcr0 != vstate.xcr0)
			xsetbv(0, hw_xcr0 = vstate.xcr0);
		__asm__ volatile("xsave64 %0" : "=m"(*(u8(*)[VCPU_XSAVE_MAX])v->xsave) : "a"(~0u), "d"(~0u));
	} else {
		__asm__ volatile("fxsave64 %0" : "=m"(*(u8(*)[512])v->xsave));
	}
	v->dr[0] = get_dr0(), v->dr[1] = get_dr1(), v->dr[2] = get_dr2(), v->dr[3] = get_dr3();
	v->dr6 = get_dr6();
	if (vstate.pkru)
		__asm__ volatile("rdpkru" : "=a"(v->pkru) : "c"(0) : "rdx");
}

static void load_msrs(const struct vcpu *v)
{
	if (vstate.tsc_aux && v->tsc_aux != hw_tsc_aux)
		wrmsr(MSR_TSC_AUX, hw_tsc_aux = v->tsc_aux);
	if (vstate.spec_ctrl && v->spec_ctrl != hw_spec_ctrl)
		wrmsr(MSR_SPEC_CTRL, hw_spec_ctrl = v->spec_ctrl);
}

static void load(struct vcpu *v)
{
	if (vstate.xcr0) {
		if (hw_xcr0 != vstate.xcr0)
			xsetbv(0, hw_xcr0 = vstate.xcr0);
		__asm__ volatile("xrstor64 %0" : : "m"(*(u8(*)[VCPU_XSAVE_MAX])v->xsave), "a"(~0u), "d"(~0u));
		if (v->xcr0 != hw_xcr0)
			xsetbv(0, hw_xcr0 = v->xcr0);
	} else {
		__asm__ volatile("fxrstor64 %0" : : "m"(*(u8(*)[512])v->xsave));
	}
	set_dr0(v->dr[0]), set_dr1(v->dr[1]), set_dr2(v->dr[2]), set_dr3(v->dr[3]);
	set_dr6(v->dr6);
	if (vstate.pkru)
		__asm__ volatile("wrpkru" : : "a"(v->pkru), "c"(0), "d"(0));
	load_msrs(v);
}

void vstate_switch(struct vcpu *to)
{
	if (owner == to)
		return;
	if (owner)
		save(owner);
	if (to->part != last)
		barrier();
	load(to);
	owner = to;
	last = to->part;
}

void vstate_drop(struct vcpu *v)
{
	if (owner == v)
		owner = 0; /* its values stay in the CPU until the next owner's load */
	if (last == v->part)
		last = 0;
}

int vstate_set_xcr0(struct vcpu *v, u64 val)
{
	if ((val & ~vstate.xcr0) || !(val & XCR0_X87) || ((val & XCR0_AVX) && !(val & XCR0_SSE)) ||
	    ((val & XCR0_AVX512) && (val & XCR0_AVX512) != XCR0_AVX512) ||
	    ((val & XCR0_AVX512) && !(val & XCR0_AVX)))
		return -1;
	v->xcr0 = val;
	if (owner == v)
		xsetbv(0, hw_xcr0 = val);
	return 0;
}

int vstate_set_msr(struct vcpu *v, u32 msr, u64 val)
{
	switch (msr) {
	case MSR_TSC_AUX:
		if (!vstate.tsc_aux || val >> 32)
			return -1;
		v->tsc_aux = val;
		break;
	case MSR_SPEC_CTRL:
		if (!vstate.spec_ctrl || (val & ~(u64)vstate.spec_ctrl))
			return -1;
		v->spec_ctrl = val;
		break;
	case MSR_PRED_CMD: /* IBPB: a barrier for the guest, no state */
		if (!vstate.ibpb || val != 1)
			return -1;
		wrmsr(MSR_PRED_CMD, 1);
		return 0;
	default:
		return -1;
	}
	if (owner == v)
		load_msrs(v);
	return 0;
}

int vstate_get_msr(const struct vcpu *v, u32 msr, u64 *val)
{
	if (msr == MSR_TSC_AUX && vstate.tsc_aux)
		*val = v->tsc_aux;
	else if (msr == MSR_SPEC_CTRL && vstate.spec_ctrl)
		*val = v->spec_ctrl;
	else
		return -1;
	return 0;
}
