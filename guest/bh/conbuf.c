/*
 * A utility partition's console text in the host kernel (guest ring 0, host
 * role; also built into a host unit test).  A partition's bytes reach the
 * operator's terminal through the vmwp worker, so the text is made safe and
 * fair here:
 *  - C0 controls other than \n and \t, DEL and the backslash itself become
 *    "\xNN" (as Linux's /dev/kmsg writes them): a partition cannot move the
 *    cursor, clear the screen or overwrite a line with CR, and "\x" in the
 *    text always means an escape;
 *  - each partition may put CON_QUOTA bytes of text per CON_INTERVAL_NS, into a
 *    buffer of CON_SIZE its reader drains.  What does not fit is dropped and
 *    counted; the next text that fits starts with "[N bytes dropped]\n".
 */
#include "../../lib/fmt.h"
#include "conbuf.h"

#define NOTE_MAX 40u /* "[N bytes dropped]\n" */

static int room(const struct conbuf *c, u32 n)
{
	return c->used + n <= CON_QUOTA && CON_SIZE - (c->head - c->tail) >= n;
}

static void append(struct conbuf *c, const char *t, u32 n)
{
	for (u32 i = 0; i < n; i++)
		c->buf[c->head++ % CON_SIZE] = t[i];
	c->used += n;
}

void con_put(struct conbuf *c, const u8 *s, u32 n, u64 now_ns)
{
	if (now_ns - c->interval_ns >= CON_INTERVAL_NS) {
		c->interval_ns = now_ns;
		c->used = 0;
	}
	for (u32 i = 0; i < n; i++) {
		char e[NOTE_MAX];
		if (c->unreported && !room(c, NOTE_MAX)) { /* no room before the reader or the next interval */
			c->dropped += n - i;
			c->unreported += n - i;
			return;
		}
		if (c->unreported) {
			append(c, e, (u32)bh_snprintf(e, sizeof e, "[%llu bytes dropped]\n", c->unreported));
			c->unreported = 0;
		}
		u32 k = bh_escape_byte(s[i], e);
		if (room(c, k)) {
			append(c, e, k);
		} else {
			c->dropped++;
			c->unreported++;
		}
	}
}

u32 con_peek(const struct conbuf *c, const char **p)
{
	u32 off = c->tail % CON_SIZE, n = CON_SIZE - off;
	*p = c->buf + off;
	return n < c->head - c->tail ? n : c->head - c->tail;
}
