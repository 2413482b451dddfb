/* Channel rings (guest/bh/channel.c), both ends in one process: messages come
 * through whole and in order across the wrap, a full ring says so, and a
 * hostile peer's indices or lengths break the channel instead of being used. */
#include <stdlib.h>
#include <string.h>
#include "../../guest/bh/channel.h"
#include "check.h"

static unsigned char pages[BH_CHAN_PAGES * 4096] __attribute__((aligned(4096)));
static unsigned char in[BH_FRAME_MAX], out[BH_FRAME_MAX];

static void fresh(struct chan_end *host, struct chan_end *guest)
{
	chan_init(pages);
	CHECK(chan_open(host, pages, 1) == 0);
	CHECK(chan_open(guest, pages, 0) == 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	struct chan_end h, g, bad;
	struct bh_msg m;

	memset(pages, 0xee, sizeof pages); /* not a channel yet */
	CHECK(chan_open(&bad, pages, 1) == -1);
	CHECK(chan_recv(&bad, &m, out) == CHAN_BROKEN); /* a failed end is never used */
	CHECK(chan_send(&bad, BH_MSG_PING, 0, 0, "", 0) == CHAN_BROKEN);

	/* One message each way, every field kept. */
	fresh(&h, &g);
	CHECK(chan_recv(&g, &m, out) == 0);
	CHECK(chan_send(&h, BH_MSG_PING, 7, -42, "hello", 5) == 0);
	CHECK(chan_recv(&g, &m, out) == 1);
	CHECK(m.type == BH_MSG_PING && m.seq == 7 && m.arg == -42 && m.len == 5 && !memcmp(out, "hello", 5));
	CHECK(chan_recv(&g, &m, out) == 0);
	CHECK(chan_send(&g, BH_MSG_PONG, 7, 1, "", 0) == 0);
	CHECK(chan_recv(&h, &m, out) == 1 && m.type == BH_MSG_PONG && m.len == 0);
	CHECK(chan_send(&h, BH_MSG_PING, 0, 0, in, BH_MSG_MAX + 1) == CHAN_FULL);
	/* A frame may be longer than other messages: up to BH_FRAME_MAX. */
	for (unsigned i = 0; i < BH_FRAME_MAX; i++)
		in[i] = (unsigned char)(i * 7);
	CHECK(chan_send(&h, BH_MSG_FRAME, 0, 0, in, BH_FRAME_MAX) == 0);
	CHECK(chan_recv(&g, &m, out) == 1 && m.type == BH_MSG_FRAME && m.len == BH_FRAME_MAX &&
	      !memcmp(out, in, BH_FRAME_MAX));
	CHECK(chan_send(&h, BH_MSG_FRAME, 0, 0, in, BH_FRAME_MAX + 1) == CHAN_FULL);

	/* Many messages of every size, through the wrap many times, in order. */
	fresh(&h, &g);
	srand(1);
	/* lens: a message's length by its number; a ring holds at most one
	 * message per header's worth of bytes, fewer than LENS. */
	enum { LENS = BH_RING_SIZE / 8 };
	static unsigned lens[LENS];
	unsigned sent = 0, got = 0, bad_data = 0;
	for (int round = 0; round < 2000; round++) {
		int burst = rand() % 6;
		for (int i = 0; i < burst; i++) {
			unsigned len = (unsigned)rand() % (BH_MSG_MAX + 1);
			memset(in, (int)(sent & 0xff), len);
			int r = chan_send(&h, BH_MSG_CONSOLE, (u16)sent, sent, in, len);
			if (r == CHAN_FULL)
				break;
			CHECK(r == 0);
			lens[sent++ % LENS] = len;
		}
		int take = rand() % 6;
		for (int i = 0; i < take && chan_recv(&g, &m, out) == 1; i++, got++) {
			if (m.arg != (s64)got || m.len != lens[got % LENS])
				bad_data++;
			for (unsigned k = 0; k < m.len; k++)
				bad_data += out[k] != (got & 0xff);
		}
	}
	while (chan_recv(&g, &m, out) == 1)
		got++;
	CHECK(sent > 1000 && got == sent && bad_data == 0);
	CHECK(h.sent == sent && g.received == got);

	/* Full: a 4 KiB message with its header fits 31 times in 128 KiB, not 32. */
	fresh(&h, &g);
	int n = 0;
	while (chan_send(&h, BH_MSG_PING, 0, 0, in, BH_MSG_MAX) == 0)
		n++;
	CHECK(n == (int)(BH_RING_SIZE / BH_MSG_MAX) - 1);
	CHECK(chan_recv(&g, &m, out) == 1);
	CHECK(chan_send(&h, BH_MSG_PING, 0, 0, in, BH_MSG_MAX) == 0);

	/* Hostile producer: head far past tail. */
	struct bh_chan *c = (struct bh_chan *)pages;
	fresh(&h, &g);
	c->to_guest.head = BH_RING_SIZE + 8;
	CHECK(chan_recv(&g, &m, out) == CHAN_BROKEN);
	CHECK(chan_recv(&g, &m, out) == CHAN_BROKEN); /* and it stays broken */
	CHECK(chan_send(&g, BH_MSG_PONG, 0, 0, "", 0) == CHAN_BROKEN);

	/* Hostile producer: a length beyond the limit, or beyond what it wrote. */
	fresh(&h, &g);
	CHECK(chan_send(&h, BH_MSG_PING, 0, 0, in, 8) == 0);
	((struct bh_msg *)(pages + BH_CHAN_TO_GUEST))->len = BH_MSG_MAX + 8;
	CHECK(chan_recv(&g, &m, out) == CHAN_BROKEN);
	fresh(&h, &g); /* a frame's limit is its own, not a license for the others */
	CHECK(chan_send(&h, BH_MSG_FRAME, 0, 0, in, BH_FRAME_MAX) == 0);
	((struct bh_msg *)(pages + BH_CHAN_TO_GUEST))->type = BH_MSG_CONSOLE;
	CHECK(chan_recv(&g, &m, out) == CHAN_BROKEN);
	fresh(&h, &g);
	CHECK(chan_send(&h, BH_MSG_FRAME, 0, 0, in, 8) == 0);
	((struct bh_msg *)(pages + BH_CHAN_TO_GUEST))->len = BH_FRAME_MAX + 8;
	CHECK(chan_recv(&g, &m, out) == CHAN_BROKEN);
	fresh(&h, &g);
	CHECK(chan_send(&h, BH_MSG_PING, 0, 0, in, 8) == 0);
	((struct bh_msg *)(pages + BH_CHAN_TO_GUEST))->len = 64;
	CHECK(chan_recv(&g, &m, out) == CHAN_BROKEN);
	fresh(&h, &g);
	c->to_guest.head = 4; /* not a whole number of 8-byte units */
	CHECK(chan_recv(&g, &m, out) == CHAN_BROKEN);

	/* Hostile peer: the magic rewritten after the host opened its end
	 * changes nothing for it; the peer's own open then fails. */
	fresh(&h, &g);
	c->magic = 0;
	c->ring_size = 1;
	CHECK(chan_send(&h, BH_MSG_PING, 3, 0, "hi", 2) == 0);
	CHECK(chan_recv(&g, &m, out) == 1 && m.seq == 3);
	CHECK(chan_open(&bad, pages, 0) == -1);

	/* Hostile consumer: a tail that runs ahead of what was written. */
	fresh(&h, &g);
	c->to_guest.tail = 64;
	CHECK(chan_send(&h, BH_MSG_PING, 0, 0, in, 8) == CHAN_BROKEN);
	return check_summary(argv[0]);
}
