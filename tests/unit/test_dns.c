/* Host unit test of the DNS responder's messages (engine/dns.c): A and PTR
 * answers, NXDOMAIN, what it drops, then random bytes and random mutations
 * of good queries (built with ASan and UBSan: any read or write out of the
 * buffer ends the run), each reply checked against the header rules. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "check.h"
#include "dns.h"

/* One container "web" (alias "www") at 172.21.0.2 on network "back". */
static int addr_of(void *ctx, const char *name, unsigned *ip)
{
	(void)ctx;
	*ip = 0xac150002u;
	return !strcasecmp(name, "web") || !strcasecmp(name, "www");
}

static int name_of(void *ctx, unsigned ip, char *out, size_t cap)
{
	(void)ctx;
	if (ip != 0xac150002u)
		return 0;
	strncpy(out, "web.back", cap);
	return 1;
}

static const struct dns_lookup lk = { addr_of, name_of, NULL };

/* A query for name (dotted), type t, class IN, with RD, and an EDNS OPT
 * record after it when opt; its length. */
static size_t query(unsigned char *m, const char *name, unsigned t, int opt)
{
	size_t p = 12;
	memset(m, 0, 12);
	m[0] = 0xbe, m[1] = 0xef, m[2] = 1, m[5] = 1, m[11] = (unsigned char)opt;
	for (const char *s = name; *s;) {
		size_t l = strcspn(s, ".");
		m[p++] = (unsigned char)l;
		memcpy(m + p, s, l);
		p += l;
		s += l + (s[l] == '.');
	}
	m[p++] = 0;
	m[p++] = (unsigned char)(t >> 8), m[p++] = (unsigned char)t, m[p++] = 0, m[p++] = 1;
	if (opt) {
		static const unsigned char o[] = { 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0 };
		memcpy(m + p, o, sizeof o);
		p += sizeof o;
	}
	return p;
}

static unsigned rcode(const unsigned char *m) { return m[3] & 15; }
static unsigned ancount(const unsigned char *m) { return (unsigned)m[6] << 8 | m[7]; }

static void known_answers(void)
{
	unsigned char m[DNS_MSG_MAX];
	size_t n = query(m, "WeB", 1, 1), qlen = n - 11, r = dns_reply(m, n, sizeof m, &lk);
	CHECK(r == qlen + 16 && rcode(m) == 0 && ancount(m) == 1);
	CHECK(m[0] == 0xbe && m[1] == 0xef && (m[2] & 0x80) && (m[2] & 1) && m[11] == 0);   /* OPT dropped */
	CHECK(!memcmp(m + 13, "WeB", 3));   /* the question as asked */
	CHECK(!memcmp(m + qlen + 12, "\xac\x15\x00\x02", 4) && m[qlen + 3] == 1);
	n = query(m, "www", 28, 0);   /* AAAA of a known name: no answer, no error */
	r = dns_reply(m, n, sizeof m, &lk);
	CHECK(r == n && rcode(m) == 0 && ancount(m) == 0);
	n = query(m, "nosuch", 1, 0);
	r = dns_reply(m, n, sizeof m, &lk);
	CHECK(r == n && rcode(m) == 3 && ancount(m) == 0);
	/* PTR: web.back, in labels */
	n = query(m, "2.0.21.172.in-addr.arpa", 12, 0);
	r = dns_reply(m, n, sizeof m, &lk);
	CHECK(r == n + 12 + 10 && rcode(m) == 0 && ancount(m) == 1 && m[n + 3] == 12);
	CHECK(m[n + 10] == 0 && m[n + 11] == 10 && !memcmp(m + n + 12, "\003web\004back", 10));
	n = query(m, "3.0.21.172.IN-ADDR.ARPA", 12, 0);
	r = dns_reply(m, n, sizeof m, &lk);
	CHECK(r == n && rcode(m) == 3 && ancount(m) == 0);
	static const char *const not_ptr[] = { "2.0.21.256.in-addr.arpa", "2.0.21.in-addr.arpa", "2.0.x.172.in-addr.arpa",
					       "2.0.21.0172.in-addr.arpa", "2.0.21.172.in-addr.arpa.x" };
	for (size_t i = 0; i < sizeof not_ptr / sizeof *not_ptr; i++) {
		n = query(m, not_ptr[i], 12, 0);
		r = dns_reply(m, n, sizeof m, &lk);
		CHECK(r == n && rcode(m) == 3 && ancount(m) == 0);   /* not an address: an unknown name */
	}
}

static void dropped(void)
{
	unsigned char m[DNS_MSG_MAX], before[DNS_MSG_MAX];
	size_t n = query(m, "web", 1, 0);
	struct { size_t at; unsigned char v; } bad[] = {
		{ 2, 0x81 },   /* a response */
		{ 2, 0x09 },   /* opcode 1 */
		{ 5, 2 },      /* two questions */
		{ 4, 1 },      /* 257 questions */
		{ 12, 0xc0 },  /* a compression pointer in the question */
		{ 12, 64 },    /* a label past 63 */
		{ 12, 30 },    /* a label past the end */
		{ 13, 0 },     /* a NUL in a label */
		{ 14, '.' },   /* a '.' in a label */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		n = query(m, "web", 1, 0);
		m[bad[i].at] = bad[i].v;
		memcpy(before, m, sizeof m);
		CHECK(dns_reply(m, n, sizeof m, &lk) == 0 && !memcmp(before, m, sizeof m));
	}
	n = query(m, "web", 1, 0);
	CHECK(dns_reply(m, n - 1, sizeof m, &lk) == 0);   /* the class cut short */
	CHECK(dns_reply(m, 12, sizeof m, &lk) == 0);
	n = query(m, "", 1, 0);                           /* the root name */
	CHECK(dns_reply(m, n, sizeof m, &lk) == 0);
}

/* Whatever comes in: no reply, or a reply of at most the buffer with the
 * query's ID, QR set, at most one answer, nothing else. */
static int reply_ok(const unsigned char *in, const unsigned char *m, size_t r)
{
	if (!r)
		return 1;
	return r >= 17 && r <= DNS_MSG_MAX && m[0] == in[0] && m[1] == in[1] && (m[2] & 0x80) && ancount(m) <= 1 &&
	       m[4] == 0 && m[5] == 1 && !m[8] && !m[9] && !m[10] && !m[11];
}

static void random_bytes(void)
{
	unsigned char in[DNS_MSG_MAX], *m = malloc(DNS_MSG_MAX);   /* heap: ASan sees its edges */
	int replies = 0, bad = 0;
	srand(16);
	for (int it = 0; it < 200000 && m; it++) {
		size_t n;
		if (it % 2) {   /* noise, often shaped as a query's header */
			n = (size_t)(rand() % (DNS_MSG_MAX + 1));
			for (size_t i = 0; i < n; i++)
				in[i] = (unsigned char)rand();
			if (it % 4 == 1 && n > 12)
				in[2] &= 1, in[4] = 0, in[5] = 1;
		} else {        /* a good query with a few bytes changed or cut */
			static const char *const names[] = { "web", "2.0.21.172.in-addr.arpa", "a.b.c.d.e.f" };
			n = query(in, names[it % 3], it % 5 ? 1 : 12, it % 7 == 0);
			for (int k = rand() % 4; k >= 0; k--)
				in[rand() % n] = (unsigned char)rand();
			if (rand() % 3 == 0)
				n = (size_t)rand() % (n + 1);
		}
		memcpy(m, in, n);
		size_t r = dns_reply(m, n, DNS_MSG_MAX, &lk);
		replies += r != 0;
		bad += !reply_ok(in, m, r);
	}
	CHECK(bad == 0);
	CHECK(replies > 10000);   /* the mutated queries were answered often enough to count */
	free(m);
}

int main(int argc, char **argv)
{
	(void)argc;
	known_answers();
	dropped();
	random_bytes();
	return check_summary(argv[0]);
}
