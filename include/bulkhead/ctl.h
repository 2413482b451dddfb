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
};

#endif
