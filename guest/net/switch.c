/*
 * The virtual switch (guest ring 0, host partition; docs/design.md "Virtual
 * switch and NAT").  A network is an L2 switch over a private IPv4 subnet;
 * its ports are the host's gateway interface (an lwIP netif with the
 * subnet's first address, as Windows' vEthernet (nat) or Docker's docker0),
 * sandboxes' interfaces (each an lwIP netif of the host's stack with its own
 * address and MAC: a sandbox's sockets use it, vswitch_route) and remote
 * ports (a hyperv container's NIC: frames leave through a function its
 * driver gave).  The switch knows every port's MAC and address: a frame is
 * forwarded only if it is well formed (Ethernet II carrying IPv4 or ARP, at
 * most VS_FRAME_MAX bytes) and its source MAC, and but for the gateway its
 * source address (IPv4 source, ARP sender), are its port's; broadcasts go to
 * every other port of the network, unicasts to the port with that MAC, the
 * rest is dropped.  Each drop is counted by reason on its port.  Frames for
 * a local port wait in its queue (VS_QUEUE, beyond: dropped) until
 * vswitch_pump hands them to lwIP, so lwIP is never entered from inside
 * itself.  /dev/vswitch shows the networks, ports and counters, and takes
 * the control lines (vs_write).
 */
#include "../../lib/string.h"
#include "../../lib/fmt.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "dev/dev.h"
#include "net/net.h"
#include "net/vswitch.h"
#include "lwip/netif.h"
#include "lwip/etharp.h"
#include "lwip/ip4.h"
#include "netif/ethernet.h"

#define VS_NETS 8
#define VS_PORTS_MIN 64      /* slots for ports (on all networks, gateways too) at first; */
#define VS_PORTS_MAX 1024    /* doubled when full, up to this */
#define VS_QUEUE 64          /* frames waiting for one local port */
#define ETH_HDR 14
#define ETH_ARP 0x0806
#define ETH_IP 0x0800
#define ARP_LEN 28
#define EADDRNOTAVAIL 99

enum { VS_GATEWAY, VS_SANDBOX, VS_REMOTE };
enum { D_SHORT, D_LONG, D_SRCMAC, D_SRCIP, D_TYPE, D_MALFORMED, D_NODEST, D_FULL, D_N };
static const char *const drop_name[D_N] = { "short", "long", "srcmac", "srcip", "type", "malformed",
					    "nodest", "full" };

struct vs_net {
	char name[16];       /* "" : unused */
	u32 addr, mask;      /* the gateway's address, the subnet's mask */
	struct vs_port *gw;
};

struct vs_port {
	int kind;
	struct vs_net *net;
	u8 mac[6];
	u32 ip;
	struct netif nif;    /* VS_GATEWAY, VS_SANDBOX */
	int (*tx)(void *arg, const void *frame, u32 len); /* VS_REMOTE */
	void *arg;
	struct pbuf *q[VS_QUEUE]; /* local ports: frames for lwIP, q[head..head+len) */
	u32 qhead, qlen;
	u64 in, in_bytes, out, out_bytes, drop[D_N]; /* in: from the port; out: to it */
};

static struct vs_net nets[VS_NETS];
static struct vs_port **ports; /* nports slots, [0, top) holding every port */
static int nports, top;
static const u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static u16 be16(const u8 *p) { return (u16)(p[0] << 8 | p[1]); }

static struct vs_net *net_of(u32 ip)
{
	for (int i = 0; i < VS_NETS; i++)
		if (nets[i].name[0] && (ip & nets[i].mask) == (nets[i].addr & nets[i].mask))
			return &nets[i];
	return 0;
}

static struct vs_port *port_of_netif(const struct netif *n);

/* ---- the forwarding path ---- */

/* Why the frame f (len bytes) from port pt is dropped (D_*), or -1 to forward it. */
static int check(const struct vs_port *pt, const u8 *f, u32 len)
{
	if (len < ETH_HDR)
		return D_SHORT;
	if (len > VS_FRAME_MAX)
		return D_LONG;
	if (memcmp(f + 6, pt->mac, 6))
		return D_SRCMAC;
	if ((f[0] & 1) && memcmp(f, bcast, 6))
		return D_NODEST; /* multicast: no port listens */
	const u8 *l3 = f + ETH_HDR;
	u32 n = len - ETH_HDR;
	int any_ip = pt->kind == VS_GATEWAY; /* the host routes others' packets */
	if (be16(f + 12) == ETH_ARP) {
		u32 zero = 0;
		if (n < ARP_LEN || be16(l3) != 1 || be16(l3 + 2) != ETH_IP || l3[4] != 6 || l3[5] != 4 ||
		    (be16(l3 + 6) != 1 && be16(l3 + 6) != 2))
			return D_MALFORMED;
		if (memcmp(l3 + 8, pt->mac, 6))
			return D_SRCMAC;
		if (!any_ip && memcmp(l3 + 14, &pt->ip, 4) && memcmp(l3 + 14, &zero, 4)) /* 0: a probe (RFC 5227) */
			return D_SRCIP;
		return -1;
	}
	if (be16(f + 12) == ETH_IP) {
		u32 hl = (u32)(l3[0] & 15) * 4;
		if (n < 20 || l3[0] >> 4 != 4 || hl < 20 || be16(l3 + 2) < hl || be16(l3 + 2) > n)
			return D_MALFORMED;
		if (!any_ip && memcmp(l3 + 12, &pt->ip, 4))
			return D_SRCIP;
		return -1;
	}
	return D_TYPE;
}

/* The port of pt's network a unicast frame f (len bytes from its start,
 * the header at least) goes to; NULL for a broadcast, a runt or a MAC no
 * port has. */
static struct vs_port *unicast_to(const struct vs_port *pt, const u8 *f, u32 len)
{
	if (len < ETH_HDR || (f[0] & 1))
		return 0;
	for (int i = 0; i < top; i++)
		if (ports[i] && ports[i] != pt && ports[i]->net == pt->net && !memcmp(ports[i]->mac, f, 6))
			return ports[i];
	return 0;
}

/* Frame f to a remote port: its driver copies it out (into the partition's ring). */
static void tx_remote(struct vs_port *to, const u8 *f, u32 len)
{
	if (to->tx(to->arg, f, len))
		to->drop[D_FULL]++;
	else
		to->out++, to->out_bytes += len;
}

/* Frame c (a contiguous pbuf, taken) to port to. */
static void deliver(struct vs_port *to, struct pbuf *c)
{
	if (to->kind == VS_REMOTE) {
		tx_remote(to, c->payload, c->tot_len);
		pbuf_free(c);
	} else if (to->qlen == VS_QUEUE) {
		to->drop[D_FULL]++;
		pbuf_free(c);
	} else {
		to->q[(to->qhead + to->qlen++) % VS_QUEUE] = c;
	}
}

/* Frame c (contiguous, taken) from port pt, a unicast for to (unicast_to's,
 * found by the caller). */
static void ingress(struct vs_port *pt, struct pbuf *c, struct vs_port *to)
{
	const u8 *f = c->payload;
	int why = check(pt, f, c->tot_len);
	pt->in++, pt->in_bytes += c->tot_len;
	if (why >= 0) {
		pt->drop[why]++;
		pbuf_free(c);
		return;
	}
	if (f[0] & 1) { /* broadcast: a copy to each other port of the network */
		for (int i = 0; i < top; i++) {
			struct vs_port *b = ports[i];
			struct pbuf *d;
			if (b && b != pt && b->net == pt->net && (d = pbuf_clone(PBUF_RAW, PBUF_RAM, c)))
				deliver(b, d);
		}
		pbuf_free(c);
		return;
	}
	if (to) {
		deliver(to, c);
		return;
	}
	pt->drop[D_NODEST]++;
	pbuf_free(c);
}

void vswitch_input(struct vs_port *p, const void *frame, u32 len)
{
	struct pbuf *c = pbuf_alloc(PBUF_RAW, (u16)(len > VS_FRAME_MAX ? 0 : len), PBUF_RAM);
	if (len > VS_FRAME_MAX || !c) { /* counted as check() would */
		p->in++, p->in_bytes += len, p->drop[len > VS_FRAME_MAX ? D_LONG : D_FULL]++;
		if (c)
			pbuf_free(c);
		return;
	}
	memcpy(c->payload, frame, len);
	ingress(p, c, unicast_to(p, frame, len));
}

/* A local port's netif sends: a contiguous copy into the switch.  But a
 * unicast in one piece for a remote port (a TCP segment, which lwIP builds
 * in one pbuf) goes from lwIP's pbuf straight to the remote's driver: the
 * copy into its partition's ring is the only one it needs. */
static err_t vs_linkoutput(struct netif *n, struct pbuf *p)
{
	struct vs_port *pt = n->state, *to = unicast_to(pt, p->payload, p->len);
	const u8 *f = p->payload;
	if (to && to->kind == VS_REMOTE && p->len == p->tot_len) {
		int why = check(pt, f, p->len);
		pt->in++, pt->in_bytes += p->len;
		if (why >= 0)
			pt->drop[why]++;
		else
			tx_remote(to, f, p->len);
		return ERR_OK;
	}
	struct pbuf *c = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
	if (!c) {
		pt->drop[D_FULL]++;
		return ERR_MEM;
	}
	ingress(pt, c, to);
	return ERR_OK;
}

int vswitch_pump(void)
{
	int did = 0;
	for (int i = 0; i < top; i++) {
		struct vs_port *pt = ports[i];
		for (u32 k = 0; pt && pt->kind != VS_REMOTE && pt->qlen && k < VS_QUEUE; k++) {
			struct pbuf *p = pt->q[pt->qhead];
			pt->qhead = (pt->qhead + 1) % VS_QUEUE, pt->qlen--;
			pt->out++, pt->out_bytes += p->tot_len;
			if (pt->nif.input(p, &pt->nif) != ERR_OK)
				pbuf_free(p);
			did = 1;
		}
	}
	return did;
}

/* ---- networks and ports ---- */

static err_t vs_netif_init(struct netif *n)
{
	struct vs_port *pt = n->state;
	n->name[0] = 'v', n->name[1] = 's';
	n->output = etharp_output;
	n->linkoutput = vs_linkoutput;
	n->mtu = VS_MTU;
	n->hwaddr_len = 6;
	memcpy(n->hwaddr, pt->mac, 6);
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	/* No checksums, as the loopback: these frames never leave memory (what
	 * leaves through NAT gets them computed there, and a remote port's
	 * driver does without them too: chnic.c). */
	NETIF_SET_CHECKSUM_CTRL(n, NETIF_CHECKSUM_DISABLE_ALL);
	return ERR_OK;
}

static struct vs_port *port_of_netif(const struct netif *n)
{
	return n && n->linkoutput == vs_linkoutput ? n->state : 0;
}

/* A free slot in ports, which grows by doubling up to VS_PORTS_MAX: its
 * index, or -ENOSPC or -ENOMEM. */
static int port_slot(void)
{
	for (int i = 0; i < nports; i++)
		if (!ports[i])
			return i;
	if (nports == VS_PORTS_MAX)
		return -ENOSPC;
	int n = nports ? 2 * nports : VS_PORTS_MIN;
	struct vs_port **p = kzalloc((u64)n * sizeof *p);
	if (!p)
		return -ENOMEM;
	if (nports)
		memcpy(p, ports, (u64)nports * sizeof *p);
	kfree(ports);
	ports = p;
	int first = nports; /* the first of the new slots */
	nports = n;
	return first;
}

static struct vs_port *port_by(u32 ip, const u8 *mac)
{
	for (int i = 0; i < top; i++)
		if (ports[i] && (ports[i]->ip == ip || (mac && !memcmp(ports[i]->mac, mac, 6))))
			return ports[i];
	return 0;
}

static void mac_of(u32 ip, u8 *mac) /* 02:42 then the address, as Docker makes them */
{
	mac[0] = 0x02, mac[1] = 0x42;
	memcpy(mac + 2, &ip, 4);
}

/* A port (kind, ip, mac) on net, its netif up for local kinds: 0 or -errno. */
static int port_add(struct vs_net *net, int kind, u32 ip, const u8 *mac, struct vs_port **out)
{
	int slot = port_slot();
	struct vs_port *pt;
	if (slot < 0)
		return slot;
	if (!(pt = kzalloc(sizeof *pt)))
		return -ENOMEM;
	pt->kind = kind, pt->net = net, pt->ip = ip;
	if (mac)
		memcpy(pt->mac, mac, 6);
	else
		mac_of(ip, pt->mac);
	if (kind != VS_REMOTE) {
		ip4_addr_t a, m, g;
		a.addr = ip, m.addr = net->mask, g.addr = kind == VS_GATEWAY ? 0 : net->addr;
		if (!netif_add(&pt->nif, &a, &m, &g, pt, vs_netif_init, ethernet_input)) {
			kfree(pt);
			return -ENOMEM;
		}
		netif_set_up(&pt->nif);
		netif_set_link_up(&pt->nif);
	}
	ports[slot] = pt;
	if (slot >= top)
		top = slot + 1;
	*out = pt;
	return 0;
}

int vswitch_port_new(u32 ip, const u8 *mac, int (*tx)(void *arg, const void *frame, u32 len), void *arg,
		     struct vs_port **out)
{
	struct vs_net *net = net_of(ip);
	if (!net)
		return -EADDRNOTAVAIL;
	u32 host = ip & ~net->mask;
	if (ip == net->addr || !host || host == ~net->mask || (mac && (mac[0] & 1)))
		return -EINVAL;
	if (port_by(ip, mac))
		return -EADDRINUSE;
	int r = port_add(net, tx ? VS_REMOTE : VS_SANDBOX, ip, mac, out);
	if (!r && tx)
		(*out)->tx = tx, (*out)->arg = arg;
	return r;
}

void vswitch_port_free(struct vs_port *pt)
{
	for (int i = 0; i < top; i++)
		if (ports[i] == pt)
			ports[i] = 0;
	while (top && !ports[top - 1])
		top--;
	nat_forget(pt->ip);
	while (pt->qlen) {
		pbuf_free(pt->q[pt->qhead]);
		pt->qhead = (pt->qhead + 1) % VS_QUEUE, pt->qlen--;
	}
	if (pt->kind != VS_REMOTE)
		netif_remove(&pt->nif); /* lwIP drops its ARP entries and moves its pcbs off it */
	kfree(pt);
}

u32 vswitch_port_addr(const struct vs_port *p) { return p->ip; }

int vswitch_port_check(const struct vs_port *p, int prefix, u32 gw)
{
	return lwip_htonl(~0u << (32 - prefix)) == p->net->mask && (!gw || gw == p->net->addr) ? 0 : -EINVAL;
}

static int name_ok(const char *s)
{
	u64 n = strlen(s);
	for (u64 i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return 0;
	return n && n < 16;
}

static struct vs_net *net_named(const char *name)
{
	for (int i = 0; i < VS_NETS; i++)
		if (nets[i].name[0] && !strcmp(nets[i].name, name))
			return &nets[i];
	return 0;
}

int vswitch_net_new(const char *name, u32 gw, int prefix)
{
	if (!name_ok(name) || prefix < 8 || prefix > 30)
		return -EINVAL;
	u32 mask = lwip_htonl(~0u << (32 - prefix)), host = gw & ~mask;
	if (!host || host == ~mask || (lwip_ntohl(gw) >> 24) == 127 || (lwip_ntohl(gw) >> 28) >= 14)
		return -EINVAL;
	if (net_named(name))
		return -EEXIST;
	struct vs_net *net = 0;
	for (int i = 0; i < VS_NETS; i++) {
		u32 m = nets[i].mask & mask; /* the shorter prefix: they overlap if equal under it */
		if (nets[i].name[0] && (nets[i].addr & m) == (gw & m))
			return -EEXIST;
		if (!nets[i].name[0] && !net)
			net = &nets[i];
	}
	if (!net)
		return -ENOSPC;
	net->addr = gw, net->mask = mask;
	int r = port_add(net, VS_GATEWAY, gw, 0, &net->gw);
	if (!r)
		memcpy(net->name, name, strlen(name) + 1);
	return r;
}

int vswitch_net_del(const char *name)
{
	struct vs_net *net = net_named(name);
	if (!net)
		return -ENOENT;
	for (int i = 0; i < top; i++)
		if (ports[i] && ports[i]->net == net && ports[i] != net->gw)
			return -EBUSY;
	vswitch_port_free(net->gw);
	memset(net, 0, sizeof *net);
	return 0;
}

/* ---- what lwIP and the socket layer ask ---- */

static struct vs_port *own_port(void) { return current ? current->sb->port : 0; }

/* Whether current's sandbox has no network (net=none): the loopback only. */
static int no_net(void) { return current && current->sb->no_net; }

u32 vswitch_own_addr(void)
{
	struct vs_port *p = own_port();
	return p ? p->ip : no_net() ? PP_HTONL(0x7f000001ul) : 0;
}

/* Routing by source: a sandbox's packets leave through its own interface
 * (its address, or any address from a sandbox's task); the host's to a
 * network leave through that network's gateway, never through a sandbox's
 * interface that shares the subnet.  NULL: lwIP's own routing (loopback,
 * the host's other interfaces). */
struct netif *vswitch_route(const struct ip4_addr *src, const struct ip4_addr *dest)
{
	if (!src || ip4_addr_isloopback(dest))
		return 0;
	struct vs_port *own = ip4_addr_isany(src) ? own_port() : port_by(src->addr, 0);
	if (own && own->kind == VS_SANDBOX)
		return &own->nif;
	struct vs_net *net = net_of(dest->addr);
	return net ? &net->gw->nif : 0;
}

/* A sandbox with an interface sees it and the loopback; the host sees its
 * own interfaces (its gateways among them), not the sandboxes'. */
int vswitch_visible(const struct netif *n)
{
	struct vs_port *pt = port_of_netif(n), *own = own_port();
	if (own || no_net())
		return (own && pt == own) || (!pt && n->name[0] == 'l' && n->name[1] == 'o');
	return !pt || pt->kind == VS_GATEWAY;
}

/* A sandbox's default route is its own interface's (to the network's
 * gateway), none with net=none; the host's (and a utility partition's) is
 * lwIP's default netif. */
const struct netif *vswitch_default_netif(void)
{
	struct vs_port *own = own_port();
	return own ? &own->nif : no_net() ? 0 : netif_default;
}

int vswitch_ifname(const struct netif *n, char *b)
{
	struct vs_port *pt = port_of_netif(n);
	if (!pt)
		return 0;
	memset(b, 0, 16);
	if (pt->kind == VS_GATEWAY)
		memcpy(b, pt->net->name, strlen(pt->net->name));
	else
		bh_snprintf(b, 16, "eth0"); /* as a container sees its interface */
	return 1;
}

/* A sandbox with an interface binds its own address only (and the
 * loopback: inet.c); the host any of its interfaces' but a sandbox's. */
int vswitch_bindable(u32 ip)
{
	struct vs_port *own = own_port(), *pt = port_by(ip, 0);
	if (own)
		return ip == own->ip;
	if (no_net())
		return 0; /* the loopback (inet.c) only */
	if (pt)
		return pt->kind == VS_GATEWAY;
	struct netif *n;
	NETIF_FOREACH(n)
		if (netif_ip4_addr(n)->addr == ip)
			return 1;
	return 0;
}

struct netif *vswitch_gateway_of(u32 ip)
{
	struct vs_net *net = net_of(ip);
	return net ? &net->gw->nif : 0;
}

/* The interface's view: what it received is what the switch gave the port. */
const struct nic_stats *vswitch_stats(const struct netif *n)
{
	static struct nic_stats st;
	const struct vs_port *p = port_of_netif(n);
	u64 dropped = 0;
	if (!p)
		return 0;
	for (int d = 0; d < D_N; d++)
		dropped += p->drop[d];
	st = (struct nic_stats){ .rx_packets = p->out, .rx_bytes = p->out_bytes, .tx_packets = p->in - dropped,
				 .tx_bytes = p->in_bytes, .tx_dropped = dropped };
	return &st;
}

int vswitch_is_gateway(struct netif *n)
{
	struct vs_port *pt = port_of_netif(n);
	return pt && pt->kind == VS_GATEWAY;
}

struct netif *vswitch_sandbox_netif(u32 ip)
{
	struct vs_port *pt = port_by(ip, 0);
	return pt && pt->kind == VS_SANDBOX ? &pt->nif : 0;
}

/* ---- parsing: addresses, interfaces ---- */

/* A dotted quad at *s, advanced past it: 0 or -EINVAL. */
static int parse_ip(const char **s, u32 *ip)
{
	u8 b[4];
	for (int i = 0; i < 4; i++) {
		u32 v = 0, digits = 0;
		while (**s >= '0' && **s <= '9' && digits < 4)
			v = v * 10 + (u32)(*(*s)++ - '0'), digits++;
		if (!digits || v > 255 || (i < 3 && *(*s)++ != '.'))
			return -EINVAL;
		b[i] = (u8)v;
	}
	memcpy(ip, b, 4);
	return 0;
}

static int parse_num(const char **s, u32 max, u32 *v)
{
	u32 x = 0, digits = 0;
	while (**s >= '0' && **s <= '9' && digits < 6)
		x = x * 10 + (u32)(*(*s)++ - '0'), digits++;
	*v = x;
	return digits && x <= max ? 0 : -EINVAL;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int parse_mac(const char *s, u8 *mac)
{
	for (int i = 0; i < 6; i++, s += 3) {
		int h = hexval(s[0]), l = h < 0 ? -1 : hexval(s[1]);
		if (l < 0 || s[2] != (i < 5 ? ':' : 0))
			return -EINVAL;
		mac[i] = (u8)(h << 4 | l);
	}
	return 0;
}

int vswitch_parse_if(const char *s, u32 *ip, int *prefix, u32 *gw, u8 *mac, int *has_mac)
{
	u32 pl;
	*gw = 0, *has_mac = 0;
	if (parse_ip(&s, ip) || *s++ != '/' || parse_num(&s, 32, &pl) || pl < 8 || pl > 30)
		return -EINVAL;
	*prefix = (int)pl;
	if (*s == ',' && s[1] != ',') {
		s++;
		if (parse_ip(&s, gw))
			return -EINVAL;
	} else if (*s == ',') {
		s++;
	}
	if (*s == ',') {
		if (parse_mac(s + 1, mac))
			return -EINVAL;
		*has_mac = 1;
		return 0;
	}
	return *s ? -EINVAL : 0;
}

int vswitch_attach(const char *net, int (*tx)(void *arg, const void *frame, u32 len), void *arg,
		   struct vs_port **out)
{
	u32 ip, gw;
	int prefix, has_mac, r;
	u8 mac[6];
	if ((r = vswitch_parse_if(net, &ip, &prefix, &gw, mac, &has_mac)) ||
	    (r = vswitch_port_new(ip, has_mac ? mac : 0, tx, arg, out)))
		return r;
	if ((r = vswitch_port_check(*out, prefix, gw))) {
		vswitch_port_free(*out);
		*out = 0;
	}
	return r;
}

/* ---- /dev/vswitch ---- */

static int show(char *b, int n)
{
	int k = 0;
	for (int i = 0; i < VS_NETS; i++) {
		const struct vs_net *net = &nets[i];
		if (!net->name[0])
			continue;
		const u8 *a = (const u8 *)&net->addr;
		int pl = 32 - __builtin_ctz(lwip_ntohl(net->mask));
		k += bh_snprintf(b + k, (size_t)(n > k ? n - k : 0), "network %s %u.%u.%u.%u/%d\n", net->name, a[0],
				 a[1], a[2], a[3], pl);
		for (int j = 0; j < top; j++) {
			const struct vs_port *p = ports[j];
			if (!p || p->net != net)
				continue;
			a = (const u8 *)&p->ip;
			k += bh_snprintf(b + k, (size_t)(n > k ? n - k : 0),
					 "  port %s %u.%u.%u.%u %02x:%02x:%02x:%02x:%02x:%02x in %llu %llu out %llu %llu drop",
					 p->kind == VS_GATEWAY ? "gateway" : p->kind == VS_SANDBOX ? "sandbox" : "remote",
					 a[0], a[1], a[2], a[3], p->mac[0], p->mac[1], p->mac[2], p->mac[3], p->mac[4],
					 p->mac[5], p->in, p->in_bytes, p->out, p->out_bytes);
			for (int d = 0; d < D_N; d++)
				k += bh_snprintf(b + k, (size_t)(n > k ? n - k : 0), " %s %llu", drop_name[d], p->drop[d]);
			k += bh_snprintf(b + k, (size_t)(n > k ? n - k : 0), "\n");
		}
	}
	return k + nat_show(b + k, n > k ? n - k : 0);
}

struct text {
	char *data;
	int len;
};

static int vs_open(struct file *f)
{
	struct text *t = kmalloc(sizeof *t);
	int n = 0, cap = 4096;
	char *d = 0;
	for (; t; cap = n + 1) { /* once more with room when it did not fit */
		if (!(d = kmalloc((u64)cap)))
			break;
		if ((n = show(d, cap)) < cap)
			break;
		kfree(d);
	}
	if (!t || !d) {
		kfree(t);
		return -ENOMEM;
	}
	t->data = d, t->len = n;
	f->priv = t;
	return 0;
}

static s64 vs_read(struct file *f, u64 ubuf, u64 n)
{
	struct text *t = f->priv;
	if (f->pos >= (u64)t->len)
		return 0;
	if (n > (u64)t->len - f->pos)
		n = (u64)t->len - f->pos;
	if (copy_to_user(ubuf, t->data + f->pos, n))
		return -EFAULT;
	f->pos += n;
	return (s64)n;
}

static void vs_release(struct file *f)
{
	struct text *t = f->priv;
	if (t)
		kfree(t->data);
	kfree(t);
}

/* One control line (words split by spaces, NUL-terminated):
 *   network NAME ADDR/PREFIX      a network whose gateway is ADDR
 *   rmnetwork NAME
 *   publish tcp|udp HOSTPORT ADDR:PORT
 *   unpublish tcp|udp HOSTPORT */
static int control(char **w, int nw)
{
	const char *s;
	u32 ip, v, port;
	if (nw == 3 && !strcmp(w[0], "network")) {
		s = w[2];
		if (parse_ip(&s, &ip) || *s++ != '/' || parse_num(&s, 32, &v) || *s)
			return -EINVAL;
		return vswitch_net_new(w[1], ip, (int)v);
	}
	if (nw == 2 && !strcmp(w[0], "rmnetwork"))
		return vswitch_net_del(w[1]);
	if ((nw == 4 && !strcmp(w[0], "publish")) || (nw == 3 && !strcmp(w[0], "unpublish"))) {
		int proto = !strcmp(w[1], "tcp") ? 6 : !strcmp(w[1], "udp") ? 17 : 0;
		s = w[2];
		if (!proto || parse_num(&s, 65535, &v) || *s || !v)
			return -EINVAL;
		if (nw == 3)
			return nat_unpublish(proto, (u16)v);
		s = w[3];
		if (parse_ip(&s, &ip) || *s++ != ':' || parse_num(&s, 65535, &port) || *s || !port)
			return -EINVAL;
		return nat_publish(proto, (u16)v, ip, (u16)port);
	}
	return -EINVAL;
}

static s64 vs_write(struct file *f, u64 ubuf, u64 n)
{
	(void)f;
	char line[128], *w[5];
	int nw = 0;
	if (current->sb != &sandbox_root || current->uid[1])
		return -EPERM;
	if (!n || n >= sizeof line)
		return -EINVAL;
	if (copy_from_user(line, ubuf, n))
		return -EFAULT;
	line[n] = 0;
	for (char *p = line; *p;) {
		while (*p == ' ' || *p == '\n' || *p == '\t')
			*p++ = 0;
		if (!*p)
			break;
		if (nw == 5)
			return -EINVAL;
		w[nw++] = p;
		while (*p && *p != ' ' && *p != '\n' && *p != '\t')
			p++;
	}
	int r = nw ? control(w, nw) : -EINVAL;
	return r ? r : (s64)n;
}

static const struct file_ops vs_fops = { .read = vs_read, .write = vs_write, .open = vs_open,
					 .release = vs_release, .seekable = 1 };

void vswitch_init(void)
{
	net_register(&packet_family);
	devfs_register("vswitch", 10, 242, &vs_fops, 0600);
	vswitch_net_new("nat", PP_HTONL(0xac140001ul), 16); /* 172.20.0.1/16 */
}
