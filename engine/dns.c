/* The DNS responder's messages (RFC 1035), in bulkheadd: network.c reads a
 * datagram, picks the network its sender is on and calls dns_reply, which
 * builds the reply in the same buffer from the lookups it is given.  The
 * question's name is read label by label (no compression pointer may
 * appear there; a label of 1..63 bytes, none holding a NUL or a '.'), its
 * bytes copied back as they came (case kept); records after the question
 * (EDNS's OPT) are dropped, the counts saying so.  An in-addr.arpa name of
 * four decimal labels is a PTR question for that address; its answer is
 * the container's NAME.NETWORK, as Docker's embedded DNS answers. */
#include <string.h>
#include <strings.h>
#include "dns.h"

enum { T_A = 1, T_PTR = 12, C_IN = 1, TTL = 600 };

/* Four labels of 1..3 digits (<= 255), then in-addr.arpa: the address
 * (host order) in *ip; 1, or 0. */
static int ptr_addr(char lab[][64], int n, unsigned *ip)
{
	unsigned a = 0;
	if (n != 6 || strcasecmp(lab[4], "in-addr") || strcasecmp(lab[5], "arpa"))
		return 0;
	for (int i = 3; i >= 0; i--) {
		size_t l = strlen(lab[i]);
		unsigned v = 0;
		if (!l || l > 3)
			return 0;
		for (size_t k = 0; k < l; k++) {
			if (lab[i][k] < '0' || lab[i][k] > '9')
				return 0;
			v = v * 10 + (unsigned)(lab[i][k] - '0');
		}
		if (v > 255)
			return 0;
		a = a << 8 | v;
	}
	*ip = a;
	return 1;
}

/* Name s (dot-separated, no trailing dot) in DNS labels at out: its length,
 * or 0 if it does not fit in cap or has an empty or long label. */
static size_t encode_name(const char *s, unsigned char *out, size_t cap)
{
	size_t o = 0;
	while (*s) {
		size_t l = strcspn(s, ".");
		if (!l || l > 63 || o + 1 + l + 1 > cap)
			return 0;
		out[o++] = (unsigned char)l;
		memcpy(out + o, s, l);
		o += l;
		s += l + (s[l] == '.');
	}
	if (!o || o + 1 > cap)
		return 0;
	out[o++] = 0;
	return o;
}

size_t dns_reply(unsigned char *m, size_t len, size_t cap, const struct dns_lookup *lk)
{
	char lab[128][64], q[256];
	int n = 0;
	size_t p = 12, ql = 0;
	if (len < 17 || len > cap || cap < DNS_MSG_MAX || (m[2] & 0xf8) || m[4] || m[5] != 1)
		return 0;
	while (p < len && m[p]) {
		size_t l = m[p];
		if (l > 63 || p + 1 + l >= len || ql + l + 1 >= sizeof q || n >= 128 ||
		    memchr(m + p + 1, 0, l) || memchr(m + p + 1, '.', l))
			return 0;
		memcpy(lab[n], m + p + 1, l);
		lab[n++][l] = 0;
		memcpy(q + ql, m + p + 1, l);
		ql += l;
		q[ql++] = '.';
		p += 1 + l;
	}
	if (p + 5 > len || !ql)
		return 0;
	q[ql - 1] = 0;
	unsigned qtype = (unsigned)m[p + 1] << 8 | m[p + 2], qclass = (unsigned)m[p + 3] << 8 | m[p + 4];
	p += 5;   /* the reply: the header and the question, then at most one answer */
	unsigned ip = 0, rev;
	char name[256];
	unsigned char rdata[256];
	size_t rdlen = 0;
	int found;
	if (ptr_addr(lab, n, &rev)) {
		found = lk->name_of(lk->ctx, rev, name, sizeof name);
		if (found && qtype == T_PTR && qclass == C_IN && !(rdlen = encode_name(name, rdata, sizeof rdata)))
			found = 0;   /* a name no label encoding holds: as unknown */
		if (qtype != T_PTR || qclass != C_IN)
			rdlen = 0;
	} else {
		found = lk->addr_of(lk->ctx, q, &ip);
		if (found && qtype == T_A && qclass == C_IN) {
			for (int b = 3; b >= 0; b--)
				rdata[rdlen++] = (unsigned char)(ip >> (8 * b));
		}
	}
	if (p + 12 + rdlen > cap)
		return 0;
	m[2] = 0x84 | (m[2] & 1);       /* QR, AA, RD as asked */
	m[3] = 0x80 | (found ? 0 : 3);  /* RA; NOERROR or NXDOMAIN */
	m[6] = 0, m[7] = rdlen ? 1 : 0;
	memset(m + 8, 0, 4);
	if (rdlen) {
		unsigned t = ptr_addr(lab, n, &rev) ? T_PTR : T_A;
		const unsigned char rr[] = { 0xc0, 12, 0, (unsigned char)t, 0, C_IN, 0, 0, TTL >> 8, TTL & 255,
					     (unsigned char)(rdlen >> 8), (unsigned char)rdlen };
		memcpy(m + p, rr, sizeof rr);
		p += sizeof rr;
		memcpy(m + p, rdata, rdlen);
		p += rdlen;
	}
	return p;
}
