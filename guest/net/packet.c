/*
 * AF_PACKET SOCK_RAW, for sending only (guest ring 0): whole Ethernet frames
 * written onto an interface, as Linux's packet(7) sends them; what a frame
 * may carry is the virtual switch's to judge (net/switch.c), which is why
 * this exists: a process container's raw path to its port.  Root only
 * (Linux's CAP_NET_RAW: EPERM); a sandbox reaches only the interfaces it
 * sees (its own).  The interface is sll_ifindex of the destination
 * (struct sockaddr_ll), else of bind.  Errors as Linux's packet_snd:
 * EINVAL for a frame shorter than its Ethernet header, EMSGSIZE past the
 * interface's MTU plus the header, ENXIO for no such interface (or one
 * without Ethernet), EDESTADDRREQ for none named.  Receiving is not done:
 * recvmsg is EOPNOTSUPP.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "net/net.h"
#include "net/vswitch.h"
#include "net/lwip/port.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"

#define AF_PACKET 17
#define SLL_LEN 20             /* sizeof(struct sockaddr_ll) */
#define ETH_HLEN 14
#define ENXIO 6

/* The interface index a struct sockaddr_ll at a names: > 0, or -EINVAL. */
static int ll_index(const u8 *a, u32 len)
{
	int ix;
	if (len < 12 || (a[0] | a[1] << 8) != AF_PACKET)
		return -EINVAL;
	memcpy(&ix, a + 4, 4);
	return ix > 0 && ix < 256 ? ix : -ENXIO;
}

static int pk_bind(struct socket *s, const u8 *a, u32 len)
{
	int ix = ll_index(a, len);
	if (ix < 0)
		return ix;
	s->sk = (void *)(u64)ix;
	return 0;
}

static int pk_connect(struct socket *s, const u8 *a, u32 len)
{
	(void)s, (void)a, (void)len;
	return -EOPNOTSUPP;
}

static s64 pk_sendmsg(struct socket *s, struct kmsg *m, int flags)
{
	(void)flags;
	int ix = m->namelen ? ll_index(m->name, m->namelen) : (int)(u64)s->sk;
	if (ix < 0)
		return ix;
	if (!ix)
		return -EDESTADDRREQ;
	struct netif *n = netif_get_by_index((u8)ix);
	if (!n || !(n->flags & NETIF_FLAG_ETHERNET) || !vswitch_visible(n))
		return -ENXIO;
	if (m->resid < ETH_HLEN)
		return -EINVAL;
	if (m->resid > (u64)n->mtu + ETH_HLEN)
		return -EMSGSIZE;
	u16 len = (u16)m->resid;
	struct pbuf *p = pbuf_alloc(PBUF_RAW, len, PBUF_RAM);
	if (!p)
		return -ENOBUFS;
	int r = kmsg_from(m, p->payload, len);
	if (!r)
		n->linkoutput(n, p);
	pbuf_free(p);
	lwip_pump();
	return r ? r : len;
}

static s64 pk_recvmsg(struct socket *s, struct kmsg *m, int flags)
{
	(void)s, (void)m, (void)flags;
	return -EOPNOTSUPP;
}

static int pk_getname(struct socket *s, u8 *a, int peer)
{
	if (peer)
		return -EOPNOTSUPP;
	int ix = (int)(u64)s->sk;
	memset(a, 0, SLL_LEN);
	a[0] = AF_PACKET;
	memcpy(a + 4, &ix, 4);
	return SLL_LEN;
}

static int pk_poll(struct socket *s)
{
	(void)s;
	return POLLOUT | POLLWRNORM;
}

static void pk_release(struct socket *s) { (void)s; }

static const struct sock_ops packet_ops = {
	.bind = pk_bind, .connect = pk_connect, .sendmsg = pk_sendmsg, .recvmsg = pk_recvmsg,
	.getname = pk_getname, .poll = pk_poll, .release = pk_release,
};

static int pk_create(struct socket *s, int type, int proto)
{
	if (type != SOCK_RAW)
		return -ESOCKTNOSUPPORT;
	if (current->uid[1])
		return -EPERM;
	s->ops = &packet_ops, s->sk = 0, s->protocol = proto;
	return 0;
}

const struct net_family packet_family = { AF_PACKET, pk_create };
