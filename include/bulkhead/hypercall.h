/*
 * Hypercall ABI shared by hv and guest kernels.  The instruction is VMMCALL on AMD
 * and VMCALL on Intel; a guest learns which from CPUID leaf BH_CPUID_INFO.
 * Number in RAX, arguments in RDI, RSI, RDX, R10 (the Linux syscall order), result
 * in RAX: 0 or a positive value on success, a negative BH_E* code on error.
 * Extra results of BH_HC_IDENTIFY come back in RDI, RSI, RDX.
 */
#ifndef BULKHEAD_HYPERCALL_H
#define BULKHEAD_HYPERCALL_H

#include "types.h"

/* CPUID leaves served by hv. */
#define BH_CPUID_SIGNATURE 0x40000000u /* EAX = max leaf, EBX:ECX:EDX = BH_SIGNATURE */
#define BH_CPUID_INFO 0x40000001u      /* EAX = BH_HCINSN_*, EBX = BH_ABI_VERSION, ECX = backend */
#define BH_SIGNATURE "BulkheadHV  "    /* 12 bytes, no NUL on the wire */
#define BH_ABI_VERSION 1
#define BH_HCINSN_VMCALL 1  /* Intel VT-x */
#define BH_HCINSN_VMMCALL 2 /* AMD-V */
#define BH_BACKEND_VMX 1
#define BH_BACKEND_SVM 2

enum bh_hypercall {
	BH_HC_IDENTIFY = 0,      /* -> RDI = backend, RSI = partition id, RDX = role */
	BH_HC_CONSOLE_WRITE = 1, /* (gpa, len): len <= BH_CONSOLE_MAX; -> bytes written */
	BH_HC_TIMER_SET = 2,     /* (deadline): absolute TSC, 0 cancels; fires BH_VEC_TIMER once */
	BH_HC_YIELD = 3,         /* give up the CPU until the next event */
	BH_HC_LOG_READ = 4,      /* (gpa, len, pos): copy hv log from byte pos; -> bytes copied */
	BH_HC_STATS = 5,         /* (gpa, len): fill struct bh_stats; -> bytes written */
	BH_HC_COUNT
};

#define BH_CONSOLE_MAX 4096
#define BH_VEC_TIMER 0x20 /* virtual interrupt raised when the deadline passes */

/* Error codes: the Linux errno values, negated. */
#define BH_EPERM (-1)
#define BH_E2BIG (-7)
#define BH_EFAULT (-14)
#define BH_EINVAL (-22)
#define BH_ENOSYS (-38)

/* Neutral VM-exit reasons, counted per reason in bh_stats.exits[]. */
enum bh_exit_reason {
	BH_EXIT_NONE = 0,
	BH_EXIT_HYPERCALL,
	BH_EXIT_CPUID,
	BH_EXIT_MSR_READ,
	BH_EXIT_MSR_WRITE,
	BH_EXIT_IO,
	BH_EXIT_PAGE_FAULT, /* NPT/EPT violation */
	BH_EXIT_HLT,
	BH_EXIT_INTR,       /* physical interrupt */
	BH_EXIT_VIRT_INSN,  /* VMX/SVM instruction executed by a partition */
	BH_EXIT_TRIPLE_FAULT,
	BH_EXIT_TIMER,      /* backend's preemption timer */
	BH_EXIT_INTR_WINDOW,
	BH_EXIT_INVALID,    /* bad guest state or unknown exit: the partition is stopped */
	BH_EXIT_COUNT
};

struct bh_stats {
	u64 hv_entry_tsc;  /* TSC at hv entry */
	u64 tsc_hz;
	u64 pages_total;   /* RAM pages hv manages */
	u64 pages_free;    /* free in hv's allocator */
	u64 pages_hv;      /* used by hv itself (image, tables, control blocks, log) */
	u64 pages_host;    /* owned by the host partition */
	u64 hv_image_bytes;
	u64 log_bytes;     /* bytes ever written to the hv log */
	u64 exits[BH_EXIT_COUNT];
	u64 hypercalls[BH_HC_COUNT];
};

#endif
