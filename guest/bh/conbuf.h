/* A utility partition's console as the host hands it out (conbuf.c). */
#ifndef BULKHEAD_GUEST_CONBUF_H
#define BULKHEAD_GUEST_CONBUF_H

#include <bulkhead/types.h>

#define CON_SIZE 8192u               /* bytes buffered for the reader */
#define CON_QUOTA 16384u             /* bytes of text a partition may put per interval */
#define CON_INTERVAL_NS 1000000000ull

struct conbuf {
	u32 head, tail;      /* bytes put, read: free-running */
	u32 used;            /* of the quota, this interval */
	u64 interval_ns;     /* when this interval began */
	u64 dropped;         /* partition bytes dropped, ever */
	u64 unreported;      /* of those, not yet told in the text */
	char buf[CON_SIZE];
};

/* Takes n bytes the partition sent at now_ns; what does not fit is dropped. */
void con_put(struct conbuf *c, const u8 *s, u32 n, u64 now_ns);
/* The next bytes to read, contiguous in c->buf: their count, *p at the first. */
u32 con_peek(const struct conbuf *c, const char **p);
static inline void con_take(struct conbuf *c, u32 n) { c->tail += n; }

#endif
