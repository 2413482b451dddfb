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
#define BH_RING_SIZE 0x4000u
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
#define BH_MSG_SPACE(len) ((u32)sizeof(struct bh_msg) + (((len) + 7u) & ~7u))

/* The control protocol.  Requests go host -> utility; each gets one reply of
 * the same type (PING: PONG) with the same seq. */
enum bh_msg_type {
	BH_MSG_CONSOLE = 1, /* utility -> host: console text */
	BH_MSG_PING,        /* arg and payload come back in the PONG */
	BH_MSG_PONG,
	BH_MSG_STATS,       /* reply: struct bh_guest_stats */
	BH_MSG_PS,          /* reply: struct bh_guest_task[] */
	BH_MSG_SHUTDOWN,    /* arg: exit status to report; reply: BH_MSG_EXIT */
	BH_MSG_EXIT,        /* utility -> host: done, arg = exit status; nothing follows */
	BH_MSG_FRAME,       /* either way, no reply: payload = one Ethernet frame (14..BH_MSG_MAX
			     * bytes, no FCS) of the partition's NIC on the host's virtual switch */
};

struct bh_guest_stats {
	u64 uptime_ns;
	u64 mem_total, mem_free; /* bytes */
	u64 msgs_in, msgs_out;   /* over this channel */
	u32 tasks, pad;
};

struct bh_guest_task {
	s32 pid, ppid;
	char state; /* R, S, Z, T */
	char pad[7];
	u64 rss;    /* bytes */
	char comm[16];
};

#endif
