/* Channel rings (guest ring 0): one end of a channel, host or utility side. */
#ifndef BULKHEAD_GUEST_CHANNEL_H
#define BULKHEAD_GUEST_CHANNEL_H

#include <bulkhead/channel.h>

struct chan_end {
	struct bh_ring_idx *tx, *rx; /* in the shared page 0 */
	u8 *txd, *rxd;               /* the rings */
	u32 head, tail;              /* ours: tx head, rx tail */
	int broken;
	u64 sent, received;
};

#define CHAN_FULL (-1)
#define CHAN_BROKEN (-2)

void chan_init(void *base);                           /* the host, before the partition starts */
/* 0, or -1: not a channel (e is then broken).  The host opens its end before
 * the partition starts: after that, the peer may rewrite page 0 at will. */
int chan_open(struct chan_end *e, void *base, int host);
/* 0, CHAN_FULL (try again after the peer reads) or CHAN_BROKEN. */
int chan_send(struct chan_end *e, u16 type, u16 seq, s64 arg, const void *payload, u32 len);
/* Bytes free in our ring (0 if broken): a message of len fits if
 * BH_MSG_SPACE(len) <= this. */
u32 chan_room(struct chan_end *e);
/* 1 if the peer wrote something not yet received: one read of its index. */
int chan_ready(const struct chan_end *e);
/* 1 with a message (payload: BH_FRAME_MAX bytes of room: a frame may be
 * longer than other messages), 0 if none, or CHAN_BROKEN. */
int chan_recv(struct chan_end *e, struct bh_msg *m, void *payload);

#endif
