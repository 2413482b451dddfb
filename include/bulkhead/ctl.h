/*
 * /dev/bulkhead: the host partition kernel's interface to compute systems (the
 * host and its utility partitions), for the bulkhead tool.  Every call is an
 * ioctl taking a pointer; results are >= 0, errors a negative errno.
 *
 * BH_IOC_CREATE makes a utility partition with a channel and starts it; the file
 * it was called on owns it: when the last reference to that file closes, the
 * partition is stopped and destroyed.  read() on the owning file returns the
 * partition's console output, and 0 once it has exited or crashed and all its
 * output has been read.
 *
 * Console text: a partition's bytes come out with C0 controls other than \n and
 * \t, DEL (0x7f) and the backslash written as "\xNN" (lower-case hex, as
 * Linux's /dev/kmsg), so a partition cannot drive the operator's terminal.
 * Each partition may put 16 KiB of text a second, into a buffer of 8 KiB the
 * reader drains; what does not fit is dropped, counted in con_dropped, and the
 * next text that fits starts with "[N bytes dropped]\n" (N partition bytes).
 *
 * Who may do what.  Anyone who can open the device (mode 0666) may create a
 * partition; it records the caller's effective uid as its creator.  LIST, INFO
 * and HOST_STATS are open to all, as ps is: they show what runs, not what runs
 * inside.  PING, STATS, PS, SHUTDOWN and KILL on a partition are for
 *   - a file that owns it (the one CREATE was called on, in any process);
 *   - a caller whose effective uid is the creator's;
 *   - a caller with effective uid 0 in the host's own root (not chroot'ed);
 * anyone else gets EPERM.  Errors: EFAULT (a bad pointer), ENOENT (no such
 * partition), ENOTCONN (not made here: no channel), ESRCH (not running),
 * ETIMEDOUT (no reply in 5 s), EPROTO (a bad reply), E2BIG (PING over
 * BH_MSG_MAX).  CREATE: EBUSY (the file owns one already), EINVAL or ENOMEM
 * from hv's checks (name, command line, memory), ENOSPC (no partition slot),
 * EIO (its channel could not be set up; nothing is left behind).
 */
#ifndef BULKHEAD_CTL_H
#define BULKHEAD_CTL_H

#include "hypercall.h"
#include "channel.h"

#define BH_DEV "/dev/bulkhead"

enum bh_ioc {
	BH_IOC_CREATE = 0xb401,   /* struct bh_part_create * -> id */
	BH_IOC_LIST = 0xb402,     /* struct bh_ctl {buf = struct bh_cs_info[], len = entries} -> count */
	BH_IOC_INFO = 0xb403,     /* struct bh_ctl {id, buf = struct bh_cs_info} */
	BH_IOC_PING = 0xb404,     /* struct bh_ctl {id, arg, buf, len <= BH_MSG_MAX}: echoed; -> TSC ticks */
	BH_IOC_STATS = 0xb405,    /* struct bh_ctl {id, buf = struct bh_guest_stats} */
	BH_IOC_PS = 0xb406,       /* struct bh_ctl {id, buf = struct bh_guest_task[], len = entries} -> count */
	BH_IOC_SHUTDOWN = 0xb407, /* struct bh_ctl {id, arg = status}: asks it to exit; -> its exit status */
	BH_IOC_KILL = 0xb408,     /* struct bh_ctl {id}: stops it at once */
	BH_IOC_HOST_STATS = 0xb409, /* struct bh_host_stats * */
};

struct bh_ctl {
	u32 id;
	u32 pad;
	s64 arg;
	u64 buf;
	u64 len;
};

#define BH_CS_EXITED 5 /* enum bh_part_state, and: it reported its exit status */

struct bh_cs_info { /* a compute system, as Get-ComputeProcess shows it */
	u32 id;
	s32 worker;   /* pid of the vmwp that owns it; 0 for none */
	u32 role;     /* BH_ROLE_HOST or BH_ROLE_UTILITY */
	u32 state;    /* enum bh_part_state or BH_CS_EXITED */
	char name[BH_PART_NAME_MAX];
	char owner[16];   /* the program that created it */
	u64 memory;       /* RAM bytes */
	u64 hv_bytes;     /* what hv spends on it: tables, control blocks, boot block */
	u64 chan_bytes;   /* host RAM shared with it as its channel */
	u64 uptime_ns;
	s64 exit_status;  /* BH_CS_EXITED: what it reported */
	char reason[64];  /* why it stopped or crashed */
	u32 uid;          /* its creator's effective uid */
	u32 pad;
	u64 con_dropped;  /* console bytes dropped (quota or full buffer) */
};

/* The host driver's work: a doorbell costs no hypercall; hv is asked for
 * partitions' states at most every 20 ms (every 1 s while doorbells bring
 * data), however often it rings. */
struct bh_host_stats {
	u64 doorbells;    /* BH_VEC_CHANNEL interrupts taken */
	u64 drains;       /* channels read because their ring had data */
	u64 hv_queries;   /* BH_HC_PART_QUERY calls for partitions' states */
};

#endif
