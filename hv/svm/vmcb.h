/*
 * The AMD-V Virtual Machine Control Block (AMD64 APM vol. 2, appendix B): a
 * 1 KiB control area followed by the guest state-save area.  Private to the SVM
 * backend; offsets are checked at build time.
 */
#ifndef BULKHEAD_HV_SVM_VMCB_H
#define BULKHEAD_HV_SVM_VMCB_H

#include <bulkhead/types.h>

struct vmcb_seg {
	u16 sel, attrib;
	u32 limit;
	u64 base;
};

struct vmcb {
	/* control area */
	u32 intercept_cr;     /* 0x000 */
	u32 intercept_dr;     /* 0x004 */
	u32 intercept_exc;    /* 0x008 */
	u32 intercept_misc1;  /* 0x00c */
	u32 intercept_misc2;  /* 0x010 */
	u8 rsvd0[0x040 - 0x014];
	u64 iopm_pa;          /* 0x040 */
	u64 msrpm_pa;         /* 0x048 */
	u64 tsc_offset;       /* 0x050 */
	u32 asid;             /* 0x058 */
	u8 tlb_control;       /* 0x05c */
	u8 rsvd1[3];
	u64 int_ctl;          /* 0x060: V_TPR, V_IRQ, priority, masking, vector */
	u64 int_state;        /* 0x068: interrupt shadow */
	u64 exitcode;         /* 0x070 */
	u64 exitinfo1;        /* 0x078 */
	u64 exitinfo2;        /* 0x080 */
	u64 exitintinfo;      /* 0x088 */
	u64 np_enable;        /* 0x090 */
	u8 rsvd2[0x0a8 - 0x098];
	u64 event_inj;        /* 0x0a8 */
	u64 n_cr3;            /* 0x0b0 */
	u64 virt_ext;         /* 0x0b8 */
	u32 clean;            /* 0x0c0 */
	u32 rsvd3;
	u64 next_rip;         /* 0x0c8 */
	u8 rsvd4[0x400 - 0x0d0];
	/* state-save area */
	struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr; /* 0x400 */
	u8 rsvd5[0x4cb - 0x4a0];
	u8 cpl;               /* 0x4cb */
	u32 rsvd6;
	u64 efer;             /* 0x4d0 */
	u8 rsvd7[0x548 - 0x4d8];
	u64 cr4;              /* 0x548 */
	u64 cr3;              /* 0x550 */
	u64 cr0;              /* 0x558 */
	u64 dr7;              /* 0x560 */
	u64 dr6;              /* 0x568 */
	u64 rflags;           /* 0x570 */
	u64 rip;              /* 0x578 */
	u8 rsvd8[0x5d8 - 0x580];
	u64 rsp;              /* 0x5d8 */
	u8 rsvd9[0x5f8 - 0x5e0];
	u64 rax;              /* 0x5f8 */
	u64 star, lstar, cstar, sfmask, kernel_gs_base; /* 0x600 */
	u64 sysenter_cs, sysenter_esp, sysenter_eip;    /* 0x628 */
	u64 cr2;              /* 0x640 */
	u8 rsvd10[0x668 - 0x648];
	u64 g_pat;            /* 0x668 */
	u8 rsvd11[0x1000 - 0x670];
};

_Static_assert(__builtin_offsetof(struct vmcb, iopm_pa) == 0x040, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb, int_ctl) == 0x060, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb, event_inj) == 0x0a8, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb, next_rip) == 0x0c8, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb, tr) == 0x490, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb, efer) == 0x4d0, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb, rip) == 0x578, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb, rsp) == 0x5d8, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb, rax) == 0x5f8, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb, cr2) == 0x640, "vmcb");
_Static_assert(__builtin_offsetof(struct vmcb, g_pat) == 0x668, "vmcb");
_Static_assert(sizeof(struct vmcb) == 4096, "vmcb is one page");

/* intercept_misc1 */
#define INTERCEPT_INTR (1u << 0)
#define INTERCEPT_NMI (1u << 1)
#define INTERCEPT_RDPMC (1u << 15)
#define INTERCEPT_CPUID (1u << 18)
#define INTERCEPT_INVD (1u << 22)
#define INTERCEPT_HLT (1u << 24)
#define INTERCEPT_INVLPGA (1u << 26)
#define INTERCEPT_IOIO (1u << 27)
#define INTERCEPT_MSR (1u << 28)
#define INTERCEPT_SHUTDOWN (1u << 31)
/* intercept_misc2 */
#define INTERCEPT_VMRUN (1u << 0)
#define INTERCEPT_VMMCALL (1u << 1)
#define INTERCEPT_VMLOAD (1u << 2)
#define INTERCEPT_VMSAVE (1u << 3)
#define INTERCEPT_STGI (1u << 4)
#define INTERCEPT_CLGI (1u << 5)
#define INTERCEPT_SKINIT (1u << 6)
#define INTERCEPT_WBINVD (1u << 9)
#define INTERCEPT_MONITOR (1u << 10)
#define INTERCEPT_MWAIT (1u << 11)
#define INTERCEPT_MWAIT_ARMED (1u << 12)
#define INTERCEPT_XSETBV (1u << 13)

/* tlb_control */
#define TLB_FLUSH_ALL 1  /* every ASID's translations */
#define TLB_FLUSH_ASID 3 /* this guest's */

/* int_ctl */
#define V_IRQ (1ull << 8)
#define V_INTR_PRIO(p) ((u64)(p) << 16)
#define V_IGN_TPR (1ull << 20)
#define V_INTR_MASKING (1ull << 24)
#define V_INTR_VECTOR(v) ((u64)(v) << 32)

/* event_inj */
#define EVENT_VALID (1ull << 31)
#define EVENT_TYPE_EXCEPTION (3ull << 8)
#define EVENT_ERROR_VALID (1ull << 11)

/* exit codes */
#define VMEXIT_MC 0x52 /* 0x40 + exception vector */
#define VMEXIT_INTR 0x60
#define VMEXIT_NMI 0x61
#define VMEXIT_VINTR 0x64
#define VMEXIT_RDPMC 0x6f
#define VMEXIT_CPUID 0x72
#define VMEXIT_INVD 0x76
#define VMEXIT_HLT 0x78
#define VMEXIT_INVLPGA 0x7a
#define VMEXIT_IOIO 0x7b
#define VMEXIT_MSR 0x7c
#define VMEXIT_SHUTDOWN 0x7f
#define VMEXIT_VMRUN 0x80
#define VMEXIT_VMMCALL 0x81
#define VMEXIT_SKINIT 0x86
#define VMEXIT_WBINVD 0x89
#define VMEXIT_MONITOR 0x8a
#define VMEXIT_MWAIT 0x8b
#define VMEXIT_MWAIT_ARMED 0x8c
#define VMEXIT_XSETBV 0x8d
#define VMEXIT_NPF 0x400
#define VMEXIT_INVALID (~0ull)


#endif
