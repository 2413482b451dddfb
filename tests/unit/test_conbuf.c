/* A partition's console text in the host (guest/bh/conbuf.c): controls come out
 * escaped, a flood is cut at the quota and the buffer's size, and what was
 * dropped is counted and told in the text. */
#include <string.h>
#include "../../guest/bh/conbuf.h"
#include "check.h"

static struct conbuf c;
static char text[CON_QUOTA + 1];

/* Everything readable, as one string (and read). */
static const char *take_all(void)
{
	const char *p;
	u32 n, len = 0;
	while ((n = con_peek(&c, &p))) {
		memcpy(text + len, p, n);
		len += n;
		con_take(&c, n);
	}
	text[len] = 0;
	return text;
}

static void put(const char *s, u64 now) { con_put(&c, (const u8 *)s, (u32)strlen(s), now); }

int main(int argc, char **argv)
{
	(void)argc;
	static u8 flood[3 * CON_QUOTA]; /* a multiple of 1 KiB */
	const u64 s = CON_INTERVAL_NS;

	/* Text, newlines, tabs and UTF-8 pass; controls, DEL and \ do not. */
	put("hello\tworld\n", s);
	CHECK(!strcmp(take_all(), "hello\tworld\n"));
	put("\x1b[2J\rroot# \x7f\b\\x1b \xc3\xa9\n", s);
	CHECK(!strcmp(take_all(), "\\x1b[2J\\x0droot# \\x7f\\x08\\x5cx1b \xc3\xa9\n"));
	const u8 nul[2] = { 0, 'a' };
	con_put(&c, nul, 2, s);
	CHECK(!strcmp(take_all(), "\\x00a") && c.dropped == 0);

	/* The buffer: a reader that does not read gets CON_SIZE bytes, then
	 * the count of what it missed. */
	memset(&c, 0, sizeof c);
	memset(flood, 'x', sizeof flood);
	con_put(&c, flood, CON_SIZE + 100, s);
	CHECK(c.head - c.tail == CON_SIZE && c.dropped == 100);
	take_all();
	put("y\n", s);
	CHECK(!strcmp(take_all(), "[100 bytes dropped]\ny\n") && c.dropped == 100 && c.unreported == 0);

	/* The quota: a fast reader still gets at most CON_QUOTA bytes an
	 * interval; the next interval starts with the count. */
	memset(&c, 0, sizeof c);
	u64 got = 0;
	for (u32 i = 0; i < sizeof flood; i += 1024) {
		con_put(&c, flood + i, 1024, 5 * s + i);
		got += strlen(take_all());
	}
	CHECK(got <= CON_QUOTA && got >= CON_QUOTA - 1024 && c.dropped == sizeof flood - got);
	put("z", 6 * s);
	char want[64];
	snprintf(want, sizeof want, "[%llu bytes dropped]\nz", (unsigned long long)c.dropped);
	CHECK(!strcmp(take_all(), want) && c.unreported == 0);

	/* Escapes count against both: four bytes of text for one of input. */
	memset(&c, 0, sizeof c);
	memset(flood, 0x1b, CON_SIZE);
	con_put(&c, flood, CON_SIZE, s);
	CHECK(c.head - c.tail == CON_SIZE && c.dropped == CON_SIZE - CON_SIZE / 4);
	return check_summary(argv[0]);
}
