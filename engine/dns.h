/* The DNS responder's message logic (engine/dns.c), apart from sockets and
 * containers so that a host unit test can feed it any bytes. */
#ifndef BULKHEAD_ENGINE_DNS_H
#define BULKHEAD_ENGINE_DNS_H
#include <stddef.h>

#define DNS_MSG_MAX 512   /* a UDP message without EDNS */

/* Where the answers come from (a network's running containers). */
struct dns_lookup {
	/* the IPv4 address (host order) of the container answering to name: 1, or 0 */
	int (*addr_of)(void *ctx, const char *name, unsigned *ip);
	/* the name (NAME.NETWORK) of the container at ip: 1, or 0 */
	int (*name_of)(void *ctx, unsigned ip, char *out, size_t cap);
	void *ctx;
};

/* Query m[0..len) (one question, QR 0, opcode 0) becomes its reply in m,
 * which holds cap (at least DNS_MSG_MAX) bytes: A for a known name, PTR for
 * a known address's in-addr.arpa name, NOERROR without an answer for
 * another type or class of a known one, NXDOMAIN for the rest.  Returns the
 * reply's length, or 0: not a query it answers (malformed, a response,
 * another opcode, not one question), m then unchanged. */
size_t dns_reply(unsigned char *m, size_t len, size_t cap, const struct dns_lookup *lk);
#endif
