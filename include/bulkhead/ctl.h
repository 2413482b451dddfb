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
 *
 * Containers (the host's worker for one hyperv container: the engine's shim,
 * a `vmwp`).  Step by step, on one file of /dev/bulkhead:
 *   1. BH_IOC_NEW makes the partition and its channel, NOT started, of a
 *      type (BH_CS_CONTAINER: `bulkhead list` shows Type Container, the name
 *      = the container's id, Owner = the given owner).  The file owns it as
 *      with CREATE, and is in message mode (below).  Errors as CREATE's.
 *   2. BH_IOC_GRANT, any number of times before START: maps a regular file of
 *      the host's root (an image's layer blob, or a prepared image file),
 *      open for reading as fd, read-only into the partition's image window
 *      (channel.h: BH_IMAGE_GPA + offset, offset page-aligned) and returns
 *      the bytes mapped (its size rounded up to a page; a 0-byte file maps
 *      nothing).  Zero copy per partition: the driver keeps one copy of each
 *      file's data as it was at the first grant (same inode, size and mtime:
 *      the same copy), in pages of its own that nothing in the host can
 *      write, referenced by each partition that maps it and freed with the
 *      last one, so no page a partition maps is ever reused by the host.
 *      Errors: EBADF (fd), EINVAL (not a regular file, offset unaligned,
 *      window overrun: offset + size > BH_IMAGE_MAX), EBUSY (started), EEXIST
 *      (overlaps an earlier grant), ENOMEM, ENOTCONN (the file made no
 *      partition with NEW), EACCES (fd not open for reading).
 *   3. BH_IOC_START starts it (EBUSY if started already).
 *   4. write() sends one whole container message: a struct bh_msg (len =
 *      payload bytes) followed by exactly len payload bytes, no padding; the
 *      call's count must be sizeof(struct bh_msg) + len.  Types: RUN, EXEC,
 *      STDIN, STDIN_CLOSE, RESIZE, SIGNAL (channel.h); seq = the handle,
 *      1..BH_HANDLE_MAX.  The driver checks the framing, the type, the handle,
 *      arg's range (RESIZE, SIGNAL, RUN/EXEC's BH_SPEC_MORE) and the stdin
 *      window, not the spec (the utility does).  It blocks while the ring is
 *      full or the handle's stdin window would overflow.  Returns the count.
 *      Errors: EINVAL (framing, type, handle, arg), E2BIG (len over
 *      BH_MSG_MAX), EAGAIN (O_NONBLOCK and it would block), ESRCH (not
 *      running: not started, exited, stopped or crashed), ENOTCONN (no NEW on
 *      this file), EFAULT, EINTR.
 *   5. read() returns whole messages from the utility, one per call: the
 *      header, then len bytes of payload (no padding); a buffer shorter than
 *      the next message is EINVAL (sizeof(struct bh_msg) + BH_MSG_MAX always
 *      fits).  Types: STARTED, STDOUT, STDERR, STDIN_ACK, PROC_EXIT, CONSOLE
 *      (the utility kernel's own text, raw: escape it before showing it) and
 *      EXIT, after which read() returns 0 (end-of-file); also 0 once it has
 *      crashed or been stopped and every message has been read.  Each message
 *      was checked: a known type from utility to host, handle in range,
 *      STDIN_ACK not over what is outstanding, PROC_EXIT's status <= 0xffff,
 *      EXIT's <= 255, STARTED only for a handle that RUN or EXEC named and
 *      not yet started.  A partition that sends anything else is stopped
 *      ("sent a bad message": its reason); only it suffers.  The driver holds
 *      at most BH_CS_QUEUE bytes of messages per partition; when they are not
 *      read, it leaves the rest in the ring and the utility's writers wait.
 *      poll(): POLLIN with a message or at the end, POLLOUT when a write of a
 *      BH_MSG_MAX payload would not block.  O_NONBLOCK: EAGAIN.
 * PING, STATS, PS, SHUTDOWN and KILL work on container partitions too.
 * A worker that both writes and reads (stdin and output) must not block in
 * write() while it leaves messages unread: as with a pair of pipes, the
 * utility may wait for room to send output before it takes more input.  Use
 * O_NONBLOCK and poll() for POLLOUT, reading meanwhile.
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
	BH_IOC_NEW = 0xb40a,      /* struct bh_cs_new * -> id; created, not started */
	BH_IOC_GRANT = 0xb40b,    /* struct bh_grant *: a file into the image window -> bytes mapped */
	BH_IOC_START = 0xb40c,    /* no argument: starts the file's partition */
};

/* Compute-system types, as Get-ComputeProcess's Type. */
#define BH_CS_UTILITY 0   /* a bare utility partition (bulkhead run) */
#define BH_CS_CONTAINER 1 /* a hyperv container's partition */

/* A hyperv container's RAM: what it asked for (-m; BH_UVM_DEFAULT_MEMORY
 * without it) plus BH_UVM_RESERVE for the utility kernel (its image, page
 * tables, the root's inodes, pipes, ptys).  Host memory per idle container is
 * this RAM, the channel (BH_CHAN_PAGES), BH_CS_QUEUE and hv's tables. */
#define BH_UVM_RESERVE (4ull << 20)
#define BH_UVM_DEFAULT_MEMORY (12ull << 20)
#define BH_CS_QUEUE 0x4000u /* bytes of messages queued per partition for read() */

struct bh_cs_new {
	struct bh_part_create part; /* name: the container's id (<= 31 bytes), memory: RAM bytes with
				     * the reserve, < BH_IMAGE_GPA - 32 MiB; cmdline: "" (or test words) */
	u32 type;                   /* BH_CS_UTILITY or BH_CS_CONTAINER */
	u32 flags;                  /* 0 */
	char owner[16];             /* shown as Owner, NUL-terminated; "" = the caller's program */
};

struct bh_grant {
	s32 fd;          /* a regular file, open for reading */
	u32 pad;         /* 0 */
	u64 offset;      /* in the image window: page-aligned, offset + size <= BH_IMAGE_MAX */
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
	u32 type;         /* BH_CS_UTILITY or BH_CS_CONTAINER */
	u64 con_dropped;  /* console bytes dropped (quota or full buffer) */
};

/* The host driver's work: a doorbell costs no hypercall; hv is asked for
 * partitions' states at most every 20 ms (every 1 s while doorbells bring
 * data), however often it rings. */
struct bh_host_stats {
	u64 doorbells;    /* BH_VEC_CHANNEL interrupts taken */
	u64 drains;       /* channels read because their ring had data */
	u64 hv_queries;   /* BH_HC_PART_QUERY calls for partitions' states */
	u64 hv_pages_free; /* hv's free RAM pages (BH_HC_STATS) when asked: what destroys give back */
	u64 hv_idle_tsc;   /* bh_stats.idle_tsc when asked, and the TSC then: between two */
	u64 tsc;           /* asks, tsc less hv_idle_tsc is the machine's busy time */
};

#endif
