/*
 * Hypercall ABI shared by hv and guest kernels.  The instruction is VMMCALL on AMD
 * and VMCALL on Intel; a guest learns which from CPUID leaf BH_CPUID_INFO.
 * Number in RAX, arguments in RDI, RSI, RDX, R10 (the Linux syscall order), result
 * in RAX: 0 or a positive value on success, a negative BH_E* code on error.
 * Extra results of BH_HC_IDENTIFY come back in RDI, RSI, RDX.
 *
 * Calls marked [host] are the host partition's alone.  A utility partition
 * that makes one gets BH_EPERM and is stopped for it: its state becomes
 * BH_PART_CRASHED with the reason "forbidden hypercall N".  An unknown number
 * gets BH_ENOSYS from anyone.
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
	BH_HC_IDENTIFY = 0,      /* [any] -> RDI = backend, RSI = partition id, RDX = role */
	BH_HC_CONSOLE_WRITE = 1, /* [any] (gpa, len): len <= BH_CONSOLE_MAX; -> bytes written */
	BH_HC_TIMER_SET = 2,     /* [any] (deadline): absolute TSC, 0 cancels; fires BH_VEC_TIMER once */
	BH_HC_YIELD = 3,         /* [any] give up the CPU until the next event */
	BH_HC_LOG_READ = 4,      /* [host] (gpa, len, pos): hv's log from byte pos; -> bytes, RDI = next pos */
	BH_HC_STATS = 5,         /* [host] (gpa, len): fill struct bh_stats; -> bytes written */
	/* Partition management, all [host]: */
	BH_HC_PART_CREATE = 6,   /* (gpa of struct bh_part_create) -> new partition id */
	BH_HC_PART_GRANT_MEM = 7,/* (id, bytes): more RAM for a partition not yet started */
	BH_HC_PART_GRANT_RO = 8, /* (id, host gpa, bytes, guest gpa): host pages, read-only */
	BH_HC_PART_START = 9,    /* (id) */
	BH_HC_PART_STOP = 10,    /* (id): stops it for good; its memory stays until destroy */
	BH_HC_PART_DESTROY = 11, /* (id): frees everything it had (zeroed before reuse) */
	BH_HC_PART_QUERY = 12,   /* (id, gpa of struct bh_part_info) */
	BH_HC_PART_LIST = 13,    /* (gpa of u32 ids[], max) -> number of partitions */
	BH_HC_CONSOLE_READ = 14, /* [host] (gpa, len, pos): utility consoles, "[name] line"; like LOG_READ */
	BH_HC_PART_CHANNEL = 15, /* [host] (id, host gpa, bytes): host pages as the partition's channel */
	BH_HC_NOTIFY = 16,       /* [any] (id): raise BH_VEC_CHANNEL in partition id; a utility may only
				  * name the host (0).  hv also raises it in the host when a
				  * partition crashes. */
	BH_HC_EOI = 17,          /* [host] (vector): the host is done with device vector (see below);
				  * BH_EINVAL unless it is one hv delivered and still holds */
	BH_HC_COUNT
};

#define BH_CONSOLE_MAX 4096
#define BH_CMDLINE_MAX_PART 128
#define BH_VEC_TIMER 0x20 /* virtual interrupt raised when the deadline passes */

/* Device vectors: a physical interrupt on a vector in this range (the host
 * programs its IOAPIC entries and MSI messages with them) becomes a pending
 * virtual interrupt of the host partition, whatever partition was running.
 * hv holds the local APIC's EOI until the host calls BH_HC_EOI(vector), so a
 * level-triggered line stays masked (IOAPIC remote IRR) and equal or lower
 * priority classes wait (LAPIC ISR) until the host's driver is done with it.
 * hv's own vectors (0xf0 timer, 0xff spurious) sit in a higher priority class,
 * so a host that never says EOI delays only its own devices.  Utility
 * partitions never get device vectors.  docs/design.md, "Device interrupts". */
#define BH_VEC_DEV_FIRST 0x30
#define BH_VEC_DEV_LAST 0xdf

/* Error codes: the Linux errno values, negated. */
#define BH_EPERM (-1)
#define BH_ENOENT (-2)
#define BH_E2BIG (-7)
#define BH_ENOMEM (-12)
#define BH_EBUSY (-16)
#define BH_EEXIST (-17)
#define BH_EFAULT (-14)
#define BH_EINVAL (-22)
#define BH_ENOSPC (-28)
#define BH_ENOSYS (-38)

#define BH_PART_NAME_MAX 32
#define BH_PART_MAX 256          /* partitions at once, the host included */
#define BH_PART_MIN_MEMORY (4ull << 20)

struct bh_part_create {
	char name[BH_PART_NAME_MAX]; /* NUL-terminated, printable */
	u64 memory;                  /* bytes of RAM, >= BH_PART_MIN_MEMORY, multiple of 4 KiB */
	u32 vcpus;                   /* 1 for now */
	u32 flags;                   /* 0 */
	char cmdline[BH_CMDLINE_MAX_PART];
};

enum bh_part_state { BH_PART_CREATED = 1, BH_PART_RUNNING, BH_PART_STOPPED, BH_PART_CRASHED };

struct bh_part_info {
	u32 id, state, role, vcpus;
	char name[BH_PART_NAME_MAX];
	u64 ram_pages;      /* RAM it owns */
	u64 hv_pages;       /* what hv spends on it: tables, control blocks, boot block */
	u64 ro_pages;       /* host pages granted read-only */
	u64 chan_pages;     /* host pages mapped as its channel */
	u64 exits;
	char reason[64];    /* why it crashed or stopped */
};

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
	BH_EXIT_XSETBV,
	BH_EXIT_WBINVD,     /* WBINVD or INVD */
	BH_EXIT_RDPMC,
	BH_EXIT_MWAIT,      /* MONITOR or MWAIT */
	BH_EXIT_NMI,        /* a physical NMI, taken by hv */
	BH_EXIT_MCE,        /* a machine check while the partition ran */
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
	u64 dev_interrupts; /* physical interrupts on device vectors passed to the host */
	u64 idle_tsc;       /* TSC ticks hv spent halted, no vCPU to run (under QEMU -icount,
			     * the TSC's jumps while all idle: ticks less these are instructions run) */
};

#endif
