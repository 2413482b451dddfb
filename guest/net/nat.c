/*
 * NAT for the virtual switch's networks (guest ring 0, host partition;
 * docs/design.md "Virtual switch and NAT"), in lwIP's LWIP_HOOK_IP4_INPUT:
 * every IPv4 packet the host's stack receives passes nat_input first.
 *
 * A mapping joins an inside pair (a port's address and port, and the peer
 * as the port sees it) to an outside pair (the host's address and port, and
 * the peer as it is): a packet from the network matching the inside pair
 * leaves rewritten to the outside pair, and the reverse.  Outbound (source
 * NAT): a packet from a network to an address neither on it nor the host's
 * gets a mapping from the port to the address of the host's interface the
 * route takes, with a port (ICMP echo: an identifier) from NAT_PORT_LO up.
 * Published ports (destination NAT): a packet to any host address on a
 * published port gets a mapping to the container's address and port; when
 * its source is the host itself (loopback or one of its addresses), the
 * inside peer becomes the gateway's address with a mapped port, so the
 * container's reply comes back through the switch.  Mappings are at most
 * NAT_MAX and expire when idle (NAT_TCP_IDLE, NAT_UDP_IDLE seconds); TCP,
 * UDP and ICMP echo only; fragments and ICMP errors are not translated.
 * Also here: a packet for a sandbox's address that arrives on another
 * interface is dropped (networks reach each other only through NAT).
 */
#include "../../lib/string.h"
#include "../../lib/fmt.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "linux.h"
#include "net/vswitch.h"
#include "lwip/netif.h"
#include "lwip/ip4.h"
#include "lwip/inet_chksum.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/tcp.h"

#define NAT_MAX 1024          /* mappings */
#define NAT_PUB_MAX 64        /* published ports */
#define NAT_PORT_LO 32768     /* mapped ports: NAT_PORT_LO.. below lwIP's own ephemeral ones (49152..) */
#define NAT_PORT_N 16384
#define NAT_TCP_IDLE 3600     /* s */
#define NAT_UDP_IDLE 60
#define NAT_ICMP_IDLE 30
#define NAT_TCP_CLOSING 10000000000ull /* ns: after a FIN or RST */
#define P_ICMP 1
#define P_TCP 6
#define P_UDP 17

struct flow {                 /* addresses, ports: network order */
	u32 src, dst;
	u16 sport, dport;
};

struct mapping {
	u8 proto, used;
	struct flow in;       /* as the network's port sends it */
	struct flow out;      /* as it leaves the host */
	u64 expires;          /* ns */
};

struct published {
	u8 proto;             /* 0: unused */
	u16 host_port, port;  /* host order */
	u32 ip;
};

static struct mapping *map;   /* NAT_MAX, made at first use */
static int nmap;              /* map[nmap..] are unused */
static struct published pub[NAT_PUB_MAX];
static u16 next_port;
static u64 refused;           /* packets dropped: no mapping could be made */

static u16 rd16(const u8 *p) { u16 v; memcpy(&v, p, 2); return v; }
static void wr16(u8 *p, u16 v) { memcpy(p, &v, 2); }
static int drop(struct pbuf *p) { pbuf_free(p); return 1; }

/* The flow of packet ip (header hl bytes, then l4): its ports or ICMP
 * identifier; 0 if it is not one NAT translates. */
static int flow_of(const u8 *ip, u32 hl, struct flow *f)
{
	const u8 *l4 = ip + hl;
	memcpy(&f->src, ip + 12, 4);
	memcpy(&f->dst, ip + 16, 4);
	if (ip[9] == P_TCP || ip[9] == P_UDP) {
		f->sport = rd16(l4), f->dport = rd16(l4 + 2);
		return 1;
	}
	if (ip[9] == P_ICMP && (l4[0] == 8 || l4[0] == 0)) { /* echo: the identifier is the requester's port */
		f->sport = l4[0] == 8 ? rd16(l4 + 4) : 0;
		f->dport = l4[0] == 0 ? rd16(l4 + 4) : 0;
		return 1;
	}
	return 0;
}

static int flow_eq(const struct flow *a, const struct flow *b)
{
	return a->src == b->src && a->dst == b->dst && a->sport == b->sport && a->dport == b->dport;
}

static void flow_rev(const struct flow *a, struct flow *r)
{
	r->src = a->dst, r->dst = a->src, r->sport = a->dport, r->dport = a->sport;
}

/* The live mapping packet f belongs to; *from_in: it matched the inside pair. */
static struct mapping *find(u8 proto, const struct flow *f, int *from_in)
{
	u64 now = now_ns();
	struct flow r;
	flow_rev(f, &r);
	for (int i = 0; i < nmap; i++) {
		struct mapping *m = &map[i];
		if (m->used && m->expires < now)
			m->used = 0;
		if (!m->used || m->proto != proto)
			continue;
		if ((*from_in = flow_eq(&m->in, f)) || flow_eq(&m->out, &r))
			return m;
	}
	while (nmap && !map[nmap - 1].used)
		nmap--;
	return 0;
}

/* A port (network order) no live mapping of proto uses on address a, or 0. */
static u16 free_port(u8 proto, u32 a)
{
	for (int tries = 0; tries < NAT_PORT_N; tries++) {
		u16 p = lwip_htons((u16)(NAT_PORT_LO + next_port++ % NAT_PORT_N)), clash = 0;
		for (int i = 0; i < nmap && !clash; i++)
			clash = map[i].used && map[i].proto == proto &&
				((map[i].out.src == a && map[i].out.sport == p) || (map[i].in.dst == a && map[i].in.dport == p));
		if (!clash)
			return p;
	}
	return 0;
}

static struct mapping *add(u8 proto, const struct flow *in, const struct flow *out)
{
	if (!map && !(map = kzalloc(NAT_MAX * sizeof *map)))
		return 0;
	for (int i = 0; i < NAT_MAX; i++)
		if (!map[i].used) {
			map[i] = (struct mapping){ .proto = proto, .used = 1, .in = *in, .out = *out };
			if (i >= nmap)
				nmap = i + 1;
			return &map[i];
		}
	return 0;
}

static int host_addr(u32 a)
{
	struct netif *n;
	if ((lwip_ntohl(a) >> 24) == 127)
		return 1;
	NETIF_FOREACH(n)
		if (netif_ip4_addr(n)->addr == a && !vswitch_sandbox_netif(a))
			return 1;
	return 0;
}

/* Packet f to a published port on a host address: a mapping to the
 * container (1), none (0), or none could be made (-1). */
static int dnat(u8 proto, const struct flow *f, struct mapping **m)
{
	struct published *u = 0;
	for (int i = 0; i < NAT_PUB_MAX && !u; i++)
		if (pub[i].proto == proto && lwip_htons(pub[i].host_port) == f->dport)
			u = &pub[i];
	if (!u || !host_addr(f->dst))
		return 0;
	struct flow in = { .src = u->ip, .sport = lwip_htons(u->port), .dst = f->src, .dport = f->sport }, out;
	struct netif *gw = vswitch_gateway_of(u->ip);
	if (!gw)
		return -1;
	if (host_addr(f->src) || vswitch_gateway_of(f->src)) { /* the reply must come back through the switch */
		in.dst = netif_ip4_addr(gw)->addr;
		if (!(in.dport = free_port(proto, in.dst)))
			return -1;
	}
	flow_rev(f, &out);
	return (*m = add(proto, &in, &out)) ? 1 : -1;
}

/* Packet f from a network to an address beyond the host: a mapping to the
 * address of the host's interface the route takes (1), none (0), or none
 * could be made (-1). */
static int snat(u8 proto, const struct flow *f, struct mapping **m)
{
	ip4_addr_t d = { f->dst };
	struct netif *out;
	struct flow to = *f;
	if (host_addr(f->dst) || vswitch_gateway_of(f->dst) || (proto == P_ICMP && !f->sport) ||
	    !(out = ip4_route(&d)) || vswitch_is_gateway(out))
		return 0;
	to.src = netif_ip4_addr(out)->addr;
	if (!map && !(map = kzalloc(NAT_MAX * sizeof *map)))
		return -1;
	if (!(to.sport = free_port(proto, to.src)))
		return -1;
	return (*m = add(proto, f, &to)) ? 1 : -1;
}

static u64 idle_ns(u8 proto)
{
	return (u64)(proto == P_TCP ? NAT_TCP_IDLE : proto == P_UDP ? NAT_UDP_IDLE : NAT_ICMP_IDLE) * 1000000000ull;
}

/* Packet p (IPv4 header hl bytes) rewritten to flow f: addresses, ports,
 * TTL less one, checksums.  0, or -1 when the TTL ran out. */
static int rewrite(struct pbuf *p, u32 hl, const struct flow *f)
{
	u8 *ip = p->payload, *l4 = ip + hl;
	if (ip[8] <= 1)
		return -1;
	ip[8]--;
	memcpy(ip + 12, &f->src, 4);
	memcpy(ip + 16, &f->dst, 4);
	int csum_off = ip[9] == P_TCP ? 16 : ip[9] == P_UDP ? 6 : 2;
	if (ip[9] == P_ICMP) {
		wr16(l4 + 4, l4[0] == 8 ? f->sport : f->dport);
	} else {
		wr16(l4, f->sport);
		wr16(l4 + 2, f->dport);
	}
	wr16(ip + 10, 0);
	wr16(ip + 10, inet_chksum(ip, (u16)hl));
	if (ip[9] == P_UDP && !rd16(l4 + 6))
		return 0; /* sent without a checksum */
	wr16(l4 + csum_off, 0);
	pbuf_remove_header(p, hl);
	ip4_addr_t s = { f->src }, d = { f->dst };
	u16 c = ip[9] == P_ICMP ? inet_chksum_pbuf(p) : inet_chksum_pseudo(p, ip[9], (u16)p->tot_len, &s, &d);
	if (ip[9] == P_UDP && !c)
		c = 0xffff;
	pbuf_add_header(p, hl);
	wr16(l4 + csum_off, c);
	return 0;
}

/* Sends p (taken) to d: through a network's gateway interface if d is on
 * one, else as lwIP routes; looped back if d is that interface's own. */
static void send(struct pbuf *p, u32 d)
{
	ip4_addr_t dst = { d };
	struct netif *n = vswitch_gateway_of(d);
	if (!n)
		n = ip4_route(&dst);
	if (n && netif_ip4_addr(n)->addr == d)
		netif_loop_output(n, p);
	else if (n)
		n->output(n, p, &dst);
	pbuf_free(p);
}

int nat_input(struct pbuf *p, struct netif *inp)
{
	u8 *ip = p->payload;
	u32 hl = (u32)(ip[0] & 15) * 4, len, dst;
	struct flow f, to;
	if (p->len < 20 || hl < 20 || p->len < hl + 8 || (len = lwip_ntohs(rd16(ip + 2))) < hl + 8 || len > p->tot_len)
		return 0; /* lwIP's own checks drop it */
	IF__NETIF_CHECKSUM_ENABLED(inp, NETIF_CHECKSUM_CHECK_IP) {
		if (inet_chksum(ip, (u16)hl))
			return 0;
	}
	memcpy(&dst, ip + 16, 4);
	struct netif *own = vswitch_sandbox_netif(dst);
	if (own && own != inp) /* a sandbox's address is reached through its port only */
		return drop(p);
	if ((rd16(ip + 6) & PP_HTONS(IP_MF | IP_OFFMASK)) || !flow_of(ip, hl, &f) ||
	    (ip[9] == P_TCP && (len < hl + 20 || p->len < hl + 20))) /* TCP's header in the first pbuf */
		return 0;
	u8 proto = ip[9];
	int from_in = 0, r = 0;
	struct mapping *m = find(proto, &f, &from_in);
	if (!m && !(r = dnat(proto, &f, &m)) && vswitch_is_gateway(inp) && (r = snat(proto, &f, &m)) > 0)
		from_in = 1;
	if (r < 0) {
		refused++;
		return drop(p);
	}
	if (!m)
		return 0;
	int fin = proto == P_TCP && (ip[hl + 13] & (TCP_FIN | TCP_RST));
	m->expires = now_ns() + (fin ? NAT_TCP_CLOSING : idle_ns(proto));
	if (from_in)
		to = m->out;
	else
		flow_rev(&m->in, &to);
	pbuf_realloc(p, (u16)len);
	if (rewrite(p, hl, &to))
		return drop(p);
	send(p, to.dst);
	return 1;
}

int nat_publish(int proto, u16 host_port, u32 ip, u16 port)
{
	struct published *u = 0;
	if ((proto != P_TCP && proto != P_UDP) || !host_port || !port || !vswitch_gateway_of(ip))
		return -EINVAL;
	for (int i = 0; i < NAT_PUB_MAX; i++) {
		if (pub[i].proto == proto && pub[i].host_port == host_port)
			return -EEXIST;
		if (!pub[i].proto && !u)
			u = &pub[i];
	}
	if (!u)
		return -ENOSPC;
	*u = (struct published){ (u8)proto, host_port, port, ip };
	return 0;
}

int nat_unpublish(int proto, u16 host_port)
{
	for (int i = 0; i < NAT_PUB_MAX; i++)
		if (pub[i].proto == proto && pub[i].host_port == host_port) {
			pub[i].proto = 0;
			return 0;
		}
	return -ENOENT;
}

void nat_forget(u32 ip)
{
	for (int i = 0; i < NAT_PUB_MAX; i++)
		if (pub[i].ip == ip)
			pub[i].proto = 0;
	for (int i = 0; i < nmap; i++)
		if (map[i].in.src == ip)
			map[i].used = 0;
}

static const char *proto_name(u8 p) { return p == P_TCP ? "tcp" : p == P_UDP ? "udp" : "icmp"; }

int nat_show(char *b, int n)
{
	int k = 0, live = 0;
	u64 now = now_ns();
	for (int i = 0; i < NAT_PUB_MAX; i++) {
		const u8 *a = (const u8 *)&pub[i].ip;
		if (pub[i].proto)
			k += bh_snprintf(b + k, (size_t)(n > k ? n - k : 0), "publish %s %u %u.%u.%u.%u:%u\n",
					 proto_name(pub[i].proto), pub[i].host_port, a[0], a[1], a[2], a[3], pub[i].port);
	}
	for (int i = 0; i < nmap; i++)
		live += map[i].used && map[i].expires >= now;
	k += bh_snprintf(b + k, (size_t)(n > k ? n - k : 0), "nat mappings %d max %d refused %llu\n", live, NAT_MAX,
			 refused);
	return k;
}
