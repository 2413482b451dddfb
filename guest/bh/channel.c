/*
 * Channel rings (guest ring 0), used by both ends: the host partition's
 * compute-system driver (vmhost.c) and a utility partition (utility.c).  The
 * layout is include/bulkhead/channel.h.  Each end keeps its own copy of the
 * index it owns (its producer head, its consumer tail) and reads the peer's
 * index once per call; an index or length that cannot be right marks the
 * channel broken, and nothing more is read from or written to it.
 */
#include "../lib/string.h"
#include "channel.h"

void chan_init(void *base)
{
	struct bh_chan *c = base;
	memset(base, 0, BH_CHAN_PAGES * 4096ull);
	c->magic = BH_CHAN_MAGIC;
	c->ring_size = BH_RING_SIZE;
}

int chan_open(struct chan_end *e, void *base, int host)
{
	struct bh_chan *c = base;
	u8 *b = base;
	memset(e, 0, sizeof *e);
	e->broken = 1; /* until it proves to be a channel: a failed end is never used */
	if (c->magic != BH_CHAN_MAGIC || c->ring_size != BH_RING_SIZE)
		return -1;
	e->broken = 0;
	e->tx = host ? &c->to_guest : &c->to_host;
	e->rx = host ? &c->to_host : &c->to_guest;
	e->txd = b + (host ? BH_CHAN_TO_GUEST : BH_CHAN_TO_HOST);
	e->rxd = b + (host ? BH_CHAN_TO_HOST : BH_CHAN_TO_GUEST);
	e->head = __atomic_load_n(&e->tx->head, __ATOMIC_ACQUIRE);
	e->tail = __atomic_load_n(&e->rx->tail, __ATOMIC_ACQUIRE);
	return 0;
}

/* Copies at ring index i, wrapping at the end of the ring. */
static void put(u8 *ring, u32 i, const void *src, u32 n)
{
	u32 off = i % BH_RING_SIZE, first = n < BH_RING_SIZE - off ? n : BH_RING_SIZE - off;
	memcpy(ring + off, src, first);
	memcpy(ring, (const u8 *)src + first, n - first);
}

static void get(const u8 *ring, u32 i, void *dst, u32 n)
{
	u32 off = i % BH_RING_SIZE, first = n < BH_RING_SIZE - off ? n : BH_RING_SIZE - off;
	memcpy(dst, ring + off, first);
	memcpy((u8 *)dst + first, ring, n - first);
}

u32 chan_room(struct chan_end *e)
{
	if (e->broken) /* a failed open leaves no ring to look at */
		return 0;
	u32 used = e->head - __atomic_load_n(&e->tx->tail, __ATOMIC_ACQUIRE);
	if (used > BH_RING_SIZE || used % 8)
		e->broken = 1;
	return e->broken ? 0 : BH_RING_SIZE - used;
}

int chan_send(struct chan_end *e, u16 type, u16 seq, s64 arg, const void *payload, u32 len)
{
	if (len > BH_PAYLOAD_MAX(type))
		return e->broken ? CHAN_BROKEN : CHAN_FULL;
	u32 room = chan_room(e);
	if (e->broken)
		return CHAN_BROKEN;
	if (room < BH_MSG_SPACE(len))
		return CHAN_FULL;
	struct bh_msg m = { len, type, seq, arg };
	put(e->txd, e->head, &m, sizeof m);
	put(e->txd, e->head + (u32)sizeof m, payload, len);
	e->head += BH_MSG_SPACE(len);
	__atomic_store_n(&e->tx->head, e->head, __ATOMIC_RELEASE);
	e->sent++;
	return 0;
}

int chan_ready(const struct chan_end *e)
{
	return !e->broken && __atomic_load_n(&e->rx->head, __ATOMIC_ACQUIRE) != e->tail;
}

int chan_recv(struct chan_end *e, struct bh_msg *m, void *payload)
{
	if (e->broken)
		return CHAN_BROKEN;
	u32 avail = __atomic_load_n(&e->rx->head, __ATOMIC_ACQUIRE) - e->tail;
	if (!avail)
		return 0;
	if (avail > BH_RING_SIZE || avail % 8 || avail < sizeof *m)
		goto broken;
	get(e->rxd, e->tail, m, sizeof *m);
	if (m->len > BH_PAYLOAD_MAX(m->type) || BH_MSG_SPACE(m->len) > avail)
		goto broken;
	get(e->rxd, e->tail + (u32)sizeof *m, payload, m->len);
	e->tail += BH_MSG_SPACE(m->len);
	__atomic_store_n(&e->rx->tail, e->tail, __ATOMIC_RELEASE);
	e->received++;
	return 1;
broken:
	e->broken = 1;
	return CHAN_BROKEN;
}
