/*
 * Channels: how the host partition and a utility partition talk.  A channel is
 * BH_CHAN_PAGES of the host's RAM, physically contiguous, that hv maps into the
 * utility partition at BH_CHAN_GPA (BH_HC_PART_CHANNEL) and lists in its boot
 * info as a BH_MEM_CHANNEL range.  hv never reads or writes it.
 *
 * Page 0 holds the indices; a ring of BH_RING_SIZE bytes each way follows.  Each
 * ring has one producer and one consumer.  The producer copies a message in at
 * head, then advances head; the consumer copies it out at tail, then advances
 * tail.  Indices count bytes and run freely (mod 2^32); the offset in the ring
 * is index % BH_RING_SIZE, and a message may wrap.  After writing, a side rings
 * its peer's doorbell (BH_HC_NOTIFY), which raises BH_VEC_CHANNEL in the peer.
 * Neither side trusts what the other wrote: indices and lengths are checked
 * after one read each.
 */
#ifndef BULKHEAD_CHANNEL_H
#define BULKHEAD_CHANNEL_H

#include "types.h"

#define BH_CHAN_GPA 0x1000000ull /* 16 MiB: below a utility partition's RAM */
#define BH_RING_SIZE 0x20000u /* 128 KiB: a TCP window of 64 KiB in frames of any size, and more, fits */
#define BH_CHAN_PAGES (1 + 2 * BH_RING_SIZE / 4096)
#define BH_VEC_CHANNEL 0x21
#define BH_CHAN_MAGIC 0x4e414843u /* "CHAN" */

struct bh_ring_idx { /* head and tail on their own cache lines */
	u32 head, pad0[15];
	u32 tail, pad1[15];
};

struct bh_chan {
	u32 magic;
	u32 ring_size;
	u32 pad[14];
	struct bh_ring_idx to_guest, to_host;
};
#define BH_CHAN_TO_GUEST 4096u                  /* offsets of the rings */
#define BH_CHAN_TO_HOST (4096u + BH_RING_SIZE)

/* A message: this header, len bytes of payload, padding to 8 bytes. */
struct bh_msg {
	u32 len;
	u16 type; /* enum bh_msg_type */
	u16 seq;  /* a reply carries its request's */
	s64 arg;
};
#define BH_MSG_MAX 4096u /* payload bytes */
#define BH_FRAME_MAX 9014u /* a BH_MSG_FRAME's: an Ethernet II frame of the switch's MTU (9000), no FCS */
#define BH_PAYLOAD_MAX(type) ((type) == BH_MSG_FRAME ? BH_FRAME_MAX : BH_MSG_MAX)
#define BH_MSG_SPACE(len) ((u32)sizeof(struct bh_msg) + (((len) + 7u) & ~7u))

/* The control protocol.  Requests go host -> utility; each gets one reply of
 * the same type (PING: PONG) with the same seq.
 *
 * The container protocol (BH_MSG_RUN and after) drives the container that
 * runs in a utility partition.  Its messages name a process by a handle in
 * seq: 1 (BH_HANDLE_INIT) is the container's PID 1, started by RUN; the host
 * picks 2..BH_HANDLE_MAX for the processes EXEC starts.  A handle is the
 * host's to reuse once the utility has sent its PROC_EXIT.  Every message
 * has a fixed header and an explicit length; counts are bounded; the host
 * checks each field of what the utility sends (type, handle, length, arg)
 * and stops a partition that breaks these rules.
 *
 *   RUN, EXEC (host -> utility; seq = handle; payload = a chunk of a struct
 *     bh_proc_spec): a spec of at most BH_SPEC_MAX bytes goes in one message
 *     or in several of the same type and handle, in order, arg = BH_SPEC_MORE
 *     on all but the last.  The utility acts on the last; RUN once per
 *     partition (the root is built from its layers), EXEC only after RUN's
 *     STARTED, in the same root.  Answered by STARTED.
 *   STARTED (utility -> host; seq = handle): arg = the process's pid inside
 *     (> 0), or a negative errno (ENOENT: no such executable, EACCES, ENOEXEC,
 *     EINVAL: a bad spec, EBUSY: handle in use or a second RUN, E2BIG, ENOMEM,
 *     EIO: a layer's digest or contents); then payload = a one-line reason
 *     (UTF-8, no NUL, e.g. `exec: "x": executable file not found in $PATH`).
 *     After a failed RUN the partition sends EXIT (127 for ENOENT, 126 for
 *     EACCES/ENOEXEC, else 1).
 *   STDIN (host -> utility; seq = handle; payload = bytes for the process's
 *     stdin: the pipe, or the pty's input side with a tty, where the line
 *     discipline turns ^C into SIGINT for the foreground process group).
 *     Flow control: at most BH_STDIN_WINDOW bytes may be sent and not yet
 *     acknowledged per handle; the utility always has room for them.
 *   STDIN_ACK (utility -> host; seq = handle): arg = bytes of STDIN taken by
 *     the process (1..what is outstanding).
 *   STDIN_CLOSE (host -> utility; seq = handle): end of input (EOF on the
 *     pipe; ^D on a tty).  Further STDIN for the handle is ignored.
 *   STDOUT, STDERR (utility -> host; seq = handle; payload = 1..BH_MSG_MAX
 *     bytes of output).  With a tty all output is STDOUT.  Never dropped: a
 *     process whose output finds the ring full blocks, as on a full pipe,
 *     until the host reads.
 *   RESIZE (host -> utility; seq = handle; arg = rows << 16 | cols, each
 *     1..65535): the pty's window size (SIGWINCH to its foreground group);
 *     ignored without a tty.
 *   SIGNAL (host -> utility; seq = handle; arg = signo, 1..64): sent to the
 *     handle's process (stop's SIGTERM then SIGKILL is the host's timing).
 *   PROC_EXIT (utility -> host; seq = handle; arg = the wait(2) status word,
 *     0..0xffff: WEXITSTATUS in bits 8..15, else the signal in bits 0..6):
 *     the process ended and all its output has been sent (its stdout and
 *     stderr reached end-of-file).  Docker's exit code is WEXITSTATUS, or 128
 *     + the signal.  For handle 1 every other process of the container is
 *     killed first, as when a PID namespace's init dies; then EXIT follows
 *     with Docker's exit code, and the partition only waits to be destroyed.
 */
enum bh_msg_type {
	BH_MSG_CONSOLE = 1, /* utility -> host: console text */
	BH_MSG_PING,        /* arg and payload come back in the PONG */
	BH_MSG_PONG,
	BH_MSG_STATS,       /* reply: struct bh_guest_stats */
	BH_MSG_PS,          /* reply: struct bh_guest_task[]; with a container: its processes only */
	BH_MSG_SHUTDOWN,    /* arg: exit status to report; reply: BH_MSG_EXIT */
	BH_MSG_EXIT,        /* utility -> host: done, arg = exit status (0..255); nothing follows */
	/* The container protocol, above: */
	BH_MSG_RUN,         /* host -> utility */
	BH_MSG_EXEC,        /* host -> utility */
	BH_MSG_STARTED,     /* utility -> host */
	BH_MSG_STDIN,       /* host -> utility */
	BH_MSG_STDIN_ACK,   /* utility -> host */
	BH_MSG_STDIN_CLOSE, /* host -> utility */
	BH_MSG_STDOUT,      /* utility -> host */
	BH_MSG_STDERR,      /* utility -> host */
	BH_MSG_RESIZE,      /* host -> utility */
	BH_MSG_SIGNAL,      /* host -> utility */
	BH_MSG_PROC_EXIT,   /* utility -> host */
	BH_MSG_FRAME,       /* either way, no reply: payload = one Ethernet frame (14..BH_FRAME_MAX
			     * bytes, no FCS) of the partition's NIC on the host's virtual switch */
	BH_MSG_TYPES        /* one past the last */
};

#define BH_HANDLE_INIT 1     /* the container's PID 1 */
#define BH_HANDLE_MAX 63     /* handles are 1..63: PID 1 and 62 execs at once */
#define BH_SPEC_MORE 1       /* RUN/EXEC arg: more chunks of this spec follow */
#define BH_SPEC_MAX 0x10000u /* bytes of a whole struct bh_proc_spec */
#define BH_STDIN_WINDOW 0x4000u /* bytes of STDIN per handle not yet acknowledged */
#define BH_SIG_MAX 64

/*
 * The image window.  The host grants a container's image read-only
 * (BH_HC_PART_GRANT_RO) at guest-physical BH_IMAGE_GPA + offset, offsets
 * page-aligned, inside BH_IMAGE_MAX bytes; the partition's RAM must end
 * below BH_IMAGE_GPA.  RUN's layers name byte ranges of that window.
 */
#define BH_IMAGE_GPA 0x80000000ull  /* 2 GiB */
#define BH_IMAGE_MAX 0x40000000ull  /* 1 GiB */

/* A layer: a tar stream (OCI layer semantics: whiteouts, opaque folders),
 * applied in the order given into the container's root. */
struct bh_layer {
	u64 offset;      /* in the image window; any byte offset */
	u64 size;        /* bytes, > 0; offset + size <= BH_IMAGE_MAX */
	u32 comp;        /* BH_COMP_NONE or BH_COMP_GZIP */
	u32 flags;       /* BH_LAYER_VERIFY */
	u8 sha256[32];   /* of the bytes as granted (the blob's digest) */
};
#define BH_COMP_NONE 0
#define BH_COMP_GZIP 1
/* The utility checks sha256 before it trusts the layer.  Without it, the host
 * vouches for the bytes: it verified them when it made the file (a host that
 * lied could write the partition's memory anyway). */
#define BH_LAYER_VERIFY 1
#define BH_LAYERS_MAX 32

/*
 * A process to start (RUN's PID 1, or EXEC's): this header, then nlayers
 * struct bh_layer (RUN only; EXEC: 0), then the strings, each NUL-terminated,
 * in this order: nargv argv words (nargv >= 1; argv[0] is looked up on the
 * PATH of env, or /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
 * without one, unless it has a '/'), nenv "KEY=VALUE" words, cwd (absolute;
 * made if missing; "" = /), user ("" = root; "uid", "uid:gid", "name" or
 * "name:group", names from the container's /etc/passwd and /etc/group),
 * hostname (RUN only: the container's, 1..63 bytes; EXEC: ""), resolv (RUN
 * only: the text of /etc/resolv.conf to give it, as the host's; "" = none).
 * RUN writes /etc/hostname, /etc/hosts (localhost and the hostname on
 * 127.0.0.1) and /etc/resolv.conf into the root, as Docker does.  size
 * counts everything; nothing may follow the last string.  nargv + nenv <=
 * 4096.
 */
struct bh_proc_spec {
	u32 size;        /* bytes, header included, <= BH_SPEC_MAX */
	u32 flags;       /* BH_SPEC_TTY, BH_SPEC_STDIN */
	u16 rows, cols;  /* with a tty: its first window size, 0 = 24 x 80 */
	u32 nlayers;     /* <= BH_LAYERS_MAX */
	u32 nargv, nenv;
};
#define BH_SPEC_TTY 1   /* stdin, stdout and stderr are one pty; else three pipes */
#define BH_SPEC_STDIN 2 /* the host sends STDIN; without it stdin is at end-of-file at once */
/* EXEC only: no program runs; the utility does docker cp's work in the
 * container's root, as root, over the exec's stdin and stdout (pipes).
 * argv: "stat" PATH | "get" PATH | "put" DIR ["no-overwrite"]; user: the
 * owner of every member put ("" = the tar's).  stat and get first read
 * stdin to its end (the host closes it when it is there to read, so that
 * nothing waits in its worker).  Stdout: an answer line, for
 * stat and get "200 MODE SIZE MTIME NSEC\n" (decimal st_mode, st_size,
 * st_mtime, its nanoseconds) then PATH's last name and its link target
 * ("" unless a symlink), each NUL-terminated, then for get a tar of PATH;
 * for put, after reading the tar from stdin, "200\n"; else "STATUS
 * MESSAGE\n" (404, 400, 500).  PROC_EXIT: 0, or exit code 1 when a get's
 * tar was cut short (guest/bh/copy.c). */
#define BH_SPEC_COPY 4

struct bh_guest_stats {
	u64 uptime_ns;
	u64 mem_total, mem_free; /* bytes */
	u64 msgs_in, msgs_out;   /* over this channel */
	u32 tasks, pad;
	u64 busy_ns;             /* its vCPU's time in tasks, not idle: whole ticks (10 ms) since RUN */
};

struct bh_guest_task {
	s32 pid, ppid;
	char state; /* R, S, Z, T */
	char pad[7];
	u64 rss;    /* bytes */
	char comm[16];
};

#endif
