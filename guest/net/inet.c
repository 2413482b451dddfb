/*
 * AF_INET sockets (guest ring 0) on lwIP's raw callback API
 * (guest/net/lwip/): SOCK_STREAM (TCP), SOCK_DGRAM (UDP) and SOCK_RAW
 * IPPROTO_ICMP (busybox ping), with errors as Linux's net/ipv4 gives them.
 * lwIP runs only in kernel code with interrupts off; each call into it is
 * followed by lwip_pump, which delivers what the loopback queued, so
 * lwIP's callbacks run inside that call (or at the tick) and wake the
 * sleepers: a socket's wait channel is its struct isk.  Received TCP data
 * stays in lwIP's pbufs until read (the window opens as it is read);
 * datagrams are copied out into a queue bounded by SO_RCVBUF.  The
 * interfaces (the loopback, and the NICs of net/ether.c) answer the
 * SIOCGIF* ioctls busybox ifconfig uses.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "net/net.h"
#include "net/lwip/port.h"
#include "net/vswitch.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "lwip/raw.h"
#include "lwip/netif.h"
#include "lwip/ip4.h"

#define AF_INET 2
#define AF_UNSPEC 0
#define IPPROTO_IP 0
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IP_TOS 1
#define IP_TTL 2
#define IP_RECVERR 11
#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define EADDRNOTAVAIL 99
#define ENETUNREACH 101
#define ECONNABORTED 103
#define EALREADY 114
#define EINPROGRESS 115
#define KEEPIDLE 7200         /* s: lwIP's defaults, the same as Linux's */
#define KEEPINTVL 75
#define KEEPCNT 9
#define UDP_MAX 65507          /* the largest UDP payload in one IPv4 datagram */
#define SIN_LEN 16             /* sizeof(struct sockaddr_in) */

/* A TCP socket's life: I_NEW (maybe bound), I_LISTEN, I_CONNECTING, I_CONNECTED,
 * I_CLOSED (its pcb gone: reset, or both directions done). */
enum { I_NEW, I_LISTEN, I_CONNECTING, I_CONNECTED, I_CLOSED };

struct dgram {                 /* a datagram received, with its source */
	struct dgram *next;
	u32 len;
	u8 from[SIN_LEN];
	u8 data[];
};

struct isk {
	struct socket *sock;   /* NULL while an accepted connection waits on its listener */
	int type, state;
	union {
		struct tcp_pcb *tcp;
		struct udp_pcb *udp;
		struct raw_pcb *raw;
	} pcb;                 /* NULL once lwIP freed it */
	struct pbuf *rx;       /* TCP: received, unread (one chain, at most TCP_WND) */
	struct dgram *dq, **dq_tail; /* UDP, raw: received datagrams */
	u32 dq_bytes;
	struct isk *aq, **aq_tail, *next; /* listener: accepted connections */
	int backlog, naq;
	int err;               /* error of a connection not yet accepted */
	u8 fin, shut_rd, shut_wr, nodelay;
	u8 pending;            /* a non-blocking connect said EINPROGRESS: the next connect reports */
	u8 local[SIN_LEN], peer[SIN_LEN]; /* kept for getsockname/getpeername once the pcb is gone */
	u32 own;               /* its sandbox's interface address (net/switch.c), or 0 */
};

static struct isk *isk(struct socket *s) { return s->sk; }

static void set_err(struct isk *k, int e)
{
	if (k->sock)
		k->sock->err = e;
	else
		k->err = e;
}

/* ---- addresses ---- */

static void sin_make(u8 *a, const ip_addr_t *ip, u16 port)
{
	memset(a, 0, SIN_LEN);
	a[0] = AF_INET;
	a[2] = (u8)(port >> 8), a[3] = (u8)port;
	u32 v = ip ? ip_2_ip4(ip)->addr : 0;
	memcpy(a + 4, &v, 4);
}

/* A sockaddr_in from the user: 0, -EINVAL (short) or -EAFNOSUPPORT
 * (family other than AF_INET, or AF_UNSPEC when unspec is 0). */
static int sin_get(const u8 *a, u32 len, ip_addr_t *ip, u16 *port, int unspec)
{
	if (len < SIN_LEN)
		return -EINVAL;
	u16 fam = (u16)(a[0] | a[1] << 8);
	if (fam != AF_INET && !(unspec && fam == AF_UNSPEC))
		return -EAFNOSUPPORT;
	u32 v;
	memcpy(&v, a + 4, 4);
	ip_addr_set_ip4_u32(ip, v);
	*port = (u16)(a[2] << 8 | a[3]);
	return 0;
}

static int is_local(const ip_addr_t *ip)
{
	struct netif *n;
	NETIF_FOREACH(n)
		if (ip4_addr_cmp(ip_2_ip4(ip), netif_ip4_addr(n)))
			return 1;
	return ip_addr_isany(ip) || ip4_addr1(ip_2_ip4(ip)) == 127;
}

/* A destination: 0.0.0.0 means this host, as Linux takes it. */
static void dst_fix(ip_addr_t *ip)
{
	if (ip_addr_isany(ip))
		ip_addr_set_ip4_u32(ip, PP_HTONL(0x7f000001ul));
}

/* A sandbox without a network (net=none: its own address the loopback's)
 * reaches the loopback only: 0, or -ENETUNREACH, as Linux without a route. */
static int reach(const struct isk *k, const ip_addr_t *dst)
{
	return k->own == PP_HTONL(0x7f000001ul) && !ip4_addr_isloopback(ip_2_ip4(dst)) ? -ENETUNREACH : 0;
}

/* Whether a packet to dst is socket k's to receive: a sandbox with an
 * interface gets its own address's and the loopback's, the host's sockets
 * any but a sandbox's (net/switch.c). */
static int for_me(const struct isk *k, const ip_addr_t *dst)
{
	u32 a = ip_2_ip4(dst)->addr;
	if (k->own)
		return a == k->own || ip4_addr_isloopback(ip_2_ip4(dst));
	return !vswitch_sandbox_netif(a);
}

/* An address to bind: 0.0.0.0 is a sandbox's interface's, if it has one. */
static void any_fix(const struct isk *k, ip_addr_t *ip)
{
	if (ip_addr_isany(ip) && k->own)
		ip_addr_set_ip4_u32(ip, k->own);
}

static int err_of(err_t e)
{
	switch (e) {
	case ERR_OK: return 0;
	case ERR_MEM: case ERR_BUF: return -ENOBUFS;
	case ERR_RTE: return -ENETUNREACH;
	case ERR_USE: return -EADDRINUSE;
	case ERR_ISCONN: return -EISCONN;
	case ERR_ALREADY: case ERR_INPROGRESS: return -EALREADY;
	case ERR_CONN: return -ENOTCONN;
	case ERR_RST: return -ECONNRESET;
	case ERR_ABRT: return -ECONNABORTED;
	default: return -EINVAL;
	}
}

/* The port of a pcb of any kind (it follows kind-specific fields). */
static u16 local_port(struct isk *k)
{
	return k->type == SOCK_STREAM ? k->pcb.tcp->local_port : k->type == SOCK_DGRAM ? k->pcb.udp->local_port : 0;
}

static void remember(struct isk *k)
{
	struct tcp_pcb *p = k->pcb.tcp; /* the ip_pcb fields (addresses) lead every kind of pcb */
	if (!p)
		return;
	sin_make(k->local, &p->local_ip, local_port(k));
	if (k->type == SOCK_STREAM && k->state != I_LISTEN)
		sin_make(k->peer, &p->remote_ip, p->remote_port);
	else if (k->type == SOCK_DGRAM)
		sin_make(k->peer, &p->remote_ip, k->pcb.udp->remote_port);
	else
		sin_make(k->peer, &p->remote_ip, 0);
}

/* ---- lwIP's callbacks: they only queue and wake ---- */

static err_t tcp_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct isk *k = arg;
	(void)pcb, (void)err;
	if (!p)
		k->fin = 1;
	else if (k->rx)
		pbuf_cat(k->rx, p);
	else
		k->rx = p;
	wakeup(k);
	return ERR_OK;
}

static err_t tcp_sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb, (void)len;
	wakeup(arg);
	return ERR_OK;
}

/* The pcb is gone (lwIP freed it): reset, refused, timed out, or closed both ways. */
static void tcp_err_cb(void *arg, err_t err)
{
	struct isk *k = arg;
	k->pcb.tcp = 0;
	if (err == ERR_RST) /* as Linux's tcp_reset */
		set_err(k, k->state == I_CONNECTING ? ECONNREFUSED : k->fin ? EPIPE : ECONNRESET);
	else if (err == ERR_ABRT)
		set_err(k, ETIMEDOUT);
	k->state = I_CLOSED;
	wakeup(k);
}

static err_t tcp_connected_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct isk *k = arg;
	(void)pcb, (void)err;
	k->state = I_CONNECTED;
	remember(k);
	wakeup(k);
	return ERR_OK;
}

static void tcp_hook(struct isk *k, struct tcp_pcb *p)
{
	tcp_arg(p, k);
	tcp_recv(p, tcp_recv_cb);
	tcp_sent(p, tcp_sent_cb);
	tcp_err(p, tcp_err_cb);
}

static void tcp_unhook(struct tcp_pcb *p)
{
	tcp_arg(p, 0);
	tcp_recv(p, 0);
	tcp_sent(p, 0);
	tcp_err(p, 0);
}

/* A new connection on a listener: queued for accept, at most backlog + 1
 * (Linux's limit); beyond, lwIP resets it. */
static err_t tcp_accept_cb(void *arg, struct tcp_pcb *np, err_t err)
{
	struct isk *l = arg, *k;
	if (err != ERR_OK || !np || !for_me(l, &np->local_ip))
		return ERR_VAL;
	if (l->naq > l->backlog || !(k = kzalloc(sizeof *k)))
		return ERR_MEM;
	k->type = SOCK_STREAM, k->state = I_CONNECTED, k->pcb.tcp = np, k->nodelay = l->nodelay;
	tcp_hook(k, np);
	if (k->nodelay)
		tcp_nagle_disable(np);
	remember(k);
	*l->aq_tail = k, l->aq_tail = &k->next, l->naq++;
	wakeup(l);
	return ERR_OK;
}

static void dq_push(struct isk *k, struct pbuf *p, const ip_addr_t *from, u16 port)
{
	struct dgram *d;
	if (!k->sock || k->shut_rd || k->dq_bytes + p->tot_len > k->sock->rcvbuf ||
	    !(d = kmalloc(sizeof *d + p->tot_len)))
		return; /* dropped, as Linux drops past the receive buffer */
	d->next = 0, d->len = p->tot_len;
	sin_make(d->from, from, port);
	pbuf_copy_partial(p, d->data, p->tot_len, 0);
	*k->dq_tail = d, k->dq_tail = &d->next, k->dq_bytes += d->len;
	wakeup(k);
}

static void udp_recv_cb(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *from, u16_t port)
{
	(void)pcb;
	if (for_me(arg, ip_current_dest_addr()))
		dq_push(arg, p, from, port);
	pbuf_free(p);
}

/* Raw ICMP: every ICMP packet, IP header first, as Linux's raw sockets;
 * lwIP goes on to answer echo requests itself. */
static u8_t raw_recv_cb(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *from)
{
	(void)pcb;
	if (for_me(arg, ip_current_dest_addr()))
		dq_push(arg, p, from, 0);
	return 0;
}

/* ---- create, bind, listen, accept, connect ---- */

static const struct sock_ops inet_ops;

static int inet_create(struct socket *s, int type, int proto)
{
	struct isk *k;
	if (proto < 0 || proto >= 256) /* IPPROTO_MAX */
		return -EINVAL;
	if (type == SOCK_STREAM && proto && proto != IPPROTO_TCP)
		return -EPROTONOSUPPORT;
	if (type == SOCK_DGRAM && proto == IPPROTO_ICMP)
		return -EACCES; /* the ping socket: off, as Linux's default ping_group_range */
	if (type == SOCK_DGRAM && proto && proto != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	if (type == SOCK_RAW && proto != IPPROTO_ICMP)
		return -EPROTONOSUPPORT;
	if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_RAW)
		return -ESOCKTNOSUPPORT;
	if (!(k = kzalloc(sizeof *k)))
		return -ENOMEM;
	k->type = type, k->sock = s, k->own = vswitch_own_addr();
	k->dq_tail = &k->dq, k->aq_tail = &k->aq;
	if (type == SOCK_STREAM && (k->pcb.tcp = tcp_new()))
		tcp_hook(k, k->pcb.tcp);
	else if (type == SOCK_DGRAM && (k->pcb.udp = udp_new()))
		udp_recv(k->pcb.udp, udp_recv_cb, k);
	else if (type == SOCK_RAW && (k->pcb.raw = raw_new(IPPROTO_ICMP)))
		raw_recv(k->pcb.raw, raw_recv_cb, k);
	if (!k->pcb.tcp) {
		kfree(k);
		return -ENOMEM;
	}
	sin_make(k->local, 0, 0);
	s->ops = &inet_ops, s->sk = k, s->protocol = proto ? proto : type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	return 0;
}

static int bound(struct isk *k) { return k->pcb.tcp && local_port(k); }

static int inet_bind(struct socket *s, const u8 *a, u32 len)
{
	struct isk *k = isk(s);
	ip_addr_t ip;
	u16 port;
	int r = sin_get(a, len, &ip, &port, 1);
	if (r)
		return r;
	if (!is_local(&ip) && !vswitch_bindable(ip_2_ip4(&ip)->addr))
		return -EADDRNOTAVAIL;
	any_fix(k, &ip);
	if (!k->pcb.tcp || (k->type == SOCK_STREAM && k->state != I_NEW) || bound(k) ||
	    (k->type == SOCK_RAW && !ip_addr_isany(&k->pcb.raw->local_ip)))
		return -EINVAL;
	if (k->type == SOCK_STREAM)
		r = err_of(tcp_bind(k->pcb.tcp, &ip, port));
	else if (k->type == SOCK_DGRAM)
		r = err_of(udp_bind(k->pcb.udp, &ip, port));
	else
		r = err_of(raw_bind(k->pcb.raw, &ip));
	remember(k);
	return r;
}

static int inet_listen(struct socket *s, int backlog)
{
	struct isk *k = isk(s);
	if (k->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	if (k->state == I_LISTEN) {
		k->backlog = backlog;
		return 0;
	}
	if (k->state != I_NEW)
		return -EINVAL;
	ip_addr_t any = *IP_ADDR_ANY;
	any_fix(k, &any);
	int r = bound(k) ? 0 : err_of(tcp_bind(k->pcb.tcp, &any, 0));
	if (r)
		return r;
	err_t e;
	struct tcp_pcb *l = tcp_listen_with_backlog_and_err(k->pcb.tcp, 255, &e);
	if (!l)
		return err_of(e);
	k->pcb.tcp = l, k->state = I_LISTEN, k->backlog = backlog;
	tcp_accept(l, tcp_accept_cb);
	return 0;
}

static int inet_accept(struct socket *s, struct socket *ns)
{
	struct isk *k = isk(s);
	u64 dl = sock_deadline(s->rcvtimeo);
	if (k->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	for (;;) {
		if (k->state != I_LISTEN)
			return -EINVAL;
		struct isk *c = k->aq;
		if (c) {
			if (!(k->aq = c->next))
				k->aq_tail = &k->aq;
			k->naq--;
			c->next = 0, c->sock = ns, ns->sk = c, ns->err = c->err;
			return 0;
		}
		int r = sock_wait(s, 0, k, dl);
		if (r)
			return r;
	}
}

static int tcp_connect_to(struct socket *s, struct isk *k, ip_addr_t *ip, u16 port)
{
	int r;
	switch (k->state) {
	case I_LISTEN: return -EISCONN;
	case I_CONNECTED: /* once after EINPROGRESS: 0, as Linux's SS_CONNECTING */
		r = k->pending ? 0 : -EISCONN;
		k->pending = 0;
		return r;
	case I_CONNECTING:
		if (s->file->flags & O_NONBLOCK)
			return -EALREADY;
		break;
	case I_CLOSED:
		if (k->pending) { /* the failure of the one that said EINPROGRESS */
			k->pending = 0;
			r = sock_error(s);
			return r ? r : -ECONNABORTED;
		}
		if (!(k->pcb.tcp = tcp_new())) /* a fresh try */
			return -ENOMEM;
		tcp_hook(k, k->pcb.tcp);
		if (k->nodelay)
			tcp_nagle_disable(k->pcb.tcp);
		k->state = I_NEW, k->fin = 0;
		/* fall through */
	default:
		dst_fix(ip);
		if ((r = reach(k, ip)) || (r = err_of(tcp_connect(k->pcb.tcp, ip, port, tcp_connected_cb))))
			return r;
		k->state = I_CONNECTING;
		remember(k);
		lwip_pump();
		if (s->file->flags & O_NONBLOCK) {
			k->pending = 1;
			return -EINPROGRESS;
		}
	}
	u64 dl = sock_deadline(s->sndtimeo);
	while (k->state == I_CONNECTING) {
		if ((r = sock_wait(s, 0, k, dl))) {
			if (r != -EBADF)
				k->pending = 1; /* it goes on; the next connect reports */
			return r == -EAGAIN ? -EINPROGRESS : r;
		}
	}
	k->pending = 0;
	if (k->state == I_CONNECTED)
		return 0;
	r = sock_error(s);
	return r ? r : -ECONNABORTED;
}

static int inet_connect(struct socket *s, const u8 *a, u32 len)
{
	struct isk *k = isk(s);
	ip_addr_t ip;
	u16 port;
	int r = sin_get(a, len, &ip, &port, k->type != SOCK_STREAM);
	if (r)
		return r;
	if (k->type == SOCK_STREAM)
		return tcp_connect_to(s, k, &ip, port);
	if ((a[0] | a[1] << 8) == AF_UNSPEC) { /* dissolves the association */
		if (k->type == SOCK_DGRAM)
			udp_disconnect(k->pcb.udp);
		else
			raw_disconnect(k->pcb.raw);
		remember(k);
		return 0;
	}
	dst_fix(&ip);
	if ((r = reach(k, &ip)))
		return r;
	r = err_of(k->type == SOCK_DGRAM ? udp_connect(k->pcb.udp, &ip, port) : raw_connect(k->pcb.raw, &ip));
	remember(k);
	return r;
}

/* ---- data ---- */

static int pbuf_to_msg(struct kmsg *m, const struct pbuf *p, u32 n)
{
	for (; p && n; p = p->next) {
		u32 k = p->len < n ? p->len : n;
		if (kmsg_to(m, p->payload, k))
			return -EFAULT;
		n -= k;
	}
	return 0;
}

/* TCP: blocks until all is queued (or a signal, timeout or error after
 * some: the count so far); O_NONBLOCK queues what fits. */
static s64 tcp_send(struct socket *s, struct isk *k, struct kmsg *m, int flags)
{
	u64 dl = sock_deadline(s->sndtimeo);
	while (k->state == I_CONNECTING) {
		int r = sock_wait(s, flags, k, dl);
		if (r)
			return r;
	}
	if (s->err)
		return sock_error(s);
	if (k->state != I_CONNECTED || k->shut_wr || !k->pcb.tcp)
		return -EPIPE;
	u64 cap = m->resid < 65536 ? m->resid : 65536;
	u8 *buf = kmalloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	s64 done = 0;
	int r = 0;
	while (m->resid) {
		struct tcp_pcb *p = k->pcb.tcp;
		if (!p || k->shut_wr) {
			r = s->err ? sock_error(s) : -EPIPE;
			break;
		}
		u32 room = tcp_sndbuf(p);
		if (tcp_sndqueuelen(p) >= TCP_SND_QUEUELEN - 1)
			room = 0;
		if (!room) {
			tcp_output(p);
			lwip_pump();
			if (k->pcb.tcp && tcp_sndbuf(k->pcb.tcp) && tcp_sndqueuelen(k->pcb.tcp) < TCP_SND_QUEUELEN - 1)
				continue;
			if ((r = sock_wait(s, flags, k, dl)))
				break;
			continue;
		}
		u32 n = (u32)(m->resid < room ? m->resid : room);
		if (n > cap)
			n = (u32)cap;
		if ((r = kmsg_from(m, buf, n)))
			break;
		if ((r = err_of(tcp_write(p, buf, (u16)n, TCP_WRITE_FLAG_COPY | (m->resid ? TCP_WRITE_FLAG_MORE : 0)))))
			break;
		done += n;
	}
	kfree(buf);
	if (r == -EBADF) /* s was closed meanwhile: it is gone */
		return r;
	if (k->pcb.tcp) {
		tcp_output(k->pcb.tcp);
		lwip_pump();
	}
	return done ? done : r;
}

static s64 tcp_recvmsg(struct socket *s, struct isk *k, struct kmsg *m, int flags)
{
	u64 dl = sock_deadline(s->rcvtimeo);
	s64 done = 0;
	if (flags & MSG_OOB)
		return -EINVAL;
	if (k->state == I_NEW || k->state == I_LISTEN || k->state == I_CONNECTING)
		return -ENOTCONN;
	m->namelen = 0;
	for (;;) {
		if (k->rx && m->resid) {
			u32 n = k->rx->tot_len < m->resid ? k->rx->tot_len : (u32)m->resid;
			if (pbuf_to_msg(m, k->rx, n))
				return done ? done : -EFAULT;
			done += n;
			if (!(flags & MSG_PEEK)) {
				k->rx = pbuf_free_header(k->rx, (u16)n);
				if (k->pcb.tcp)
					tcp_recved(k->pcb.tcp, (u16)n);
			}
			if (!(flags & MSG_WAITALL) || (flags & MSG_PEEK) || !m->resid)
				break;
			continue;
		}
		if (done || !m->resid)
			break;
		if (s->err)
			return sock_error(s);
		if (k->fin || k->shut_rd || !k->pcb.tcp)
			break;
		int r = sock_wait(s, flags, k, dl);
		if (r)
			return done ? done : r;
	}
	if (done && k->pcb.tcp && !(flags & MSG_PEEK))
		lwip_pump(); /* the window update */
	return done;
}

static s64 dgram_send(struct isk *k, struct kmsg *m)
{
	ip_addr_t ip;
	u16 port;
	int r;
	if (k->shut_wr)
		return -EPIPE;
	if (m->namelen) {
		if ((r = sin_get(m->name, m->namelen, &ip, &port, 1)))
			return r;
		if (k->type == SOCK_DGRAM && !port)
			return -EINVAL; /* as Linux's udp_sendmsg */
		dst_fix(&ip);
		if ((r = reach(k, &ip)))
			return r;
	} else if (k->type == SOCK_DGRAM && (k->pcb.udp->flags & UDP_FLAGS_CONNECTED)) {
		ip_addr_copy(ip, k->pcb.udp->remote_ip);
		port = k->pcb.udp->remote_port;
	} else if (k->type == SOCK_RAW && (k->pcb.raw->flags & RAW_FLAGS_CONNECTED)) {
		ip_addr_copy(ip, k->pcb.raw->remote_ip);
		port = 0;
	} else {
		return -EDESTADDRREQ;
	}
	if (m->resid > UDP_MAX)
		return -EMSGSIZE;
	u16 n = (u16)m->resid;
	struct pbuf *p = pbuf_alloc(k->type == SOCK_RAW ? PBUF_IP : PBUF_TRANSPORT, n, PBUF_RAM);
	if (!p)
		return -ENOBUFS;
	r = kmsg_from(m, p->payload, n);
	if (!r && k->type == SOCK_DGRAM)
		r = err_of(udp_sendto(k->pcb.udp, p, &ip, port));
	else if (!r)
		r = err_of(raw_sendto(k->pcb.raw, p, &ip));
	pbuf_free(p);
	remember(k);
	lwip_pump();
	if (r == -EINVAL) /* lwIP's ERR_VAL: a broadcast without SO_BROADCAST */
		r = -EACCES;
	return r ? r : n;
}

static s64 dgram_recv(struct socket *s, struct isk *k, struct kmsg *m, int flags)
{
	u64 dl = sock_deadline(s->rcvtimeo);
	for (;;) {
		struct dgram *d = k->dq;
		if (d) {
			u32 n = d->len < m->resid ? d->len : (u32)m->resid;
			if (kmsg_to(m, d->data, n))
				return -EFAULT;
			if (n < d->len)
				m->flags |= MSG_TRUNC;
			memcpy(m->name, d->from, SIN_LEN);
			m->namelen = SIN_LEN;
			s64 r = flags & MSG_TRUNC ? d->len : n;
			if (!(flags & MSG_PEEK)) {
				if (!(k->dq = d->next))
					k->dq_tail = &k->dq;
				k->dq_bytes -= d->len;
				kfree(d);
			}
			return r;
		}
		if (s->err)
			return sock_error(s);
		if (k->shut_rd)
			return 0;
		int r = sock_wait(s, flags, k, dl);
		if (r)
			return r;
	}
}

static s64 inet_sendmsg(struct socket *s, struct kmsg *m, int flags)
{
	struct isk *k = isk(s);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	return k->type == SOCK_STREAM ? tcp_send(s, k, m, flags) : dgram_send(k, m);
}

static s64 inet_recvmsg(struct socket *s, struct kmsg *m, int flags)
{
	struct isk *k = isk(s);
	return k->type == SOCK_STREAM ? tcp_recvmsg(s, k, m, flags) : dgram_recv(s, k, m, flags);
}

static int inet_shutdown(struct socket *s, int how)
{
	struct isk *k = isk(s);
	if (k->type == SOCK_STREAM && (k->state == I_NEW || k->state == I_CONNECTING))
		return -ENOTCONN;
	if (k->type != SOCK_STREAM && !(k->pcb.udp->flags & UDP_FLAGS_CONNECTED) &&
	    !(k->type == SOCK_RAW && (k->pcb.raw->flags & RAW_FLAGS_CONNECTED)))
		return -ENOTCONN;
	if (how != SHUT_WR)
		k->shut_rd = 1;
	if (how != SHUT_RD && !k->shut_wr) {
		k->shut_wr = 1;
		if (k->type == SOCK_STREAM && k->state == I_CONNECTED && k->pcb.tcp) {
			tcp_shutdown(k->pcb.tcp, 0, 1); /* the FIN after what is queued */
			lwip_pump();
		}
	}
	wakeup(k);
	return 0;
}

static int inet_getname(struct socket *s, u8 *a, int peer)
{
	struct isk *k = isk(s);
	if (k->pcb.tcp)
		remember(k);
	if (peer) {
		int conn = k->type == SOCK_STREAM ? k->state == I_CONNECTED :
			   k->type == SOCK_DGRAM ? (k->pcb.udp->flags & UDP_FLAGS_CONNECTED) != 0 :
			   (k->pcb.raw->flags & RAW_FLAGS_CONNECTED) != 0;
		if (!conn)
			return -ENOTCONN;
		memcpy(a, k->peer, SIN_LEN);
	} else {
		memcpy(a, k->local, SIN_LEN);
	}
	return SIN_LEN;
}

/* As Linux's tcp_poll and datagram_poll. */
static int inet_poll(struct socket *s)
{
	struct isk *k = isk(s);
	int m = s->err ? POLLERR : 0;
	if (k->type != SOCK_STREAM) {
		if (k->dq)
			m |= POLLIN | POLLRDNORM;
		if (k->shut_rd)
			m |= POLLIN | POLLRDNORM | POLLRDHUP;
		if (k->shut_rd && k->shut_wr)
			m |= POLLHUP;
		return m | POLLOUT | POLLWRNORM;
	}
	if (k->state == I_LISTEN)
		return k->aq ? POLLIN | POLLRDNORM : 0;
	int closed = k->state == I_CLOSED, rd = k->shut_rd || k->fin || closed, wr = k->shut_wr || closed;
	if ((rd && wr) || k->state == I_NEW)
		m |= POLLHUP;
	if (rd)
		m |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (k->state == I_CONNECTING)
		return m;
	if (k->rx)
		m |= POLLIN | POLLRDNORM;
	struct tcp_pcb *p = k->pcb.tcp;
	if (wr || !p || (tcp_sndbuf(p) >= TCP_SND_BUF / 2 && tcp_sndqueuelen(p) < TCP_SND_QUEUELEN / 2))
		m |= POLLOUT | POLLWRNORM;
	return m;
}

/* ---- options ---- */

static int int_of(const void *val, u32 len, int *v)
{
	if (len < 4)
		return -EINVAL;
	memcpy(v, val, 4);
	return 0;
}

static int inet_setopt(struct socket *s, int level, int name, const void *val, u32 len)
{
	struct isk *k = isk(s);
	struct tcp_pcb *p = k->pcb.tcp; /* so_options, tos and ttl lead every kind of pcb */
	int v, r;
	if (level == SOL_SOCKET) { /* stored by socket.c; lwIP told what it keeps */
		if (p && k->state != I_LISTEN && (name == SO_KEEPALIVE || name == SO_REUSEADDR || name == SO_BROADCAST)) {
			u8 bit = name == SO_KEEPALIVE ? SOF_KEEPALIVE : name == SO_REUSEADDR ? SOF_REUSEADDR : SOF_BROADCAST;
			u32 on = name == SO_KEEPALIVE ? s->keepalive : name == SO_REUSEADDR ? s->reuseaddr : s->broadcast;
			if (on)
				ip_set_option(p, bit);
			else
				ip_reset_option(p, bit);
		}
		return 0;
	}
	if (level == IPPROTO_IP) {
		if ((r = int_of(val, len, &v)))
			return r;
		if (name == IP_TTL) {
			if (v == -1)
				v = IP_DEFAULT_TTL;
			if (v < 1 || v > 255)
				return -EINVAL;
			if (p)
				p->ttl = (u8)v;
			return 0;
		}
		if (name == IP_TOS) {
			if (p)
				p->tos = (u8)v;
			return 0;
		}
		if (name == IP_RECVERR)
			return 0; /* accepted (glibc's resolver sets it): no ICMP errors are queued, so none to read */
		return -ENOPROTOOPT;
	}
	if (level != IPPROTO_TCP || k->type != SOCK_STREAM)
		return -ENOPROTOOPT;
	if ((r = int_of(val, len, &v)))
		return r;
	int live = p && k->state != I_LISTEN; /* a listener's pcb has no such fields */
	switch (name) {
	case TCP_NODELAY:
		k->nodelay = v != 0;
		if (live && v)
			tcp_nagle_disable(p);
		else if (live)
			tcp_nagle_enable(p);
		return 0;
	case TCP_KEEPIDLE: case TCP_KEEPINTVL: case TCP_KEEPCNT:
		if (v < 1 || v > (name == TCP_KEEPCNT ? 127 : 32767))
			return -EINVAL;
		if (live && name == TCP_KEEPCNT)
			p->keep_cnt = (u32)v;
		else if (live)
			*(name == TCP_KEEPIDLE ? &p->keep_idle : &p->keep_intvl) = (u32)v * 1000;
		return 0;
	case TCP_MAXSEG:
		return v < 88 || v > 32767 ? -EINVAL : 0; /* accepted; the loopback's MSS stays */
	}
	return -ENOPROTOOPT;
}

static int inet_getopt(struct socket *s, int level, int name, void *val)
{
	struct isk *k = isk(s);
	struct tcp_pcb *p = k->pcb.tcp;
	int live = p && k->state != I_LISTEN, v;
	if (level == IPPROTO_IP && name == IP_TTL)
		v = p ? p->ttl : IP_DEFAULT_TTL;
	else if (level == IPPROTO_IP && name == IP_TOS)
		v = p ? p->tos : 0;
	else if (level == IPPROTO_IP)
		return -ENOPROTOOPT;
	else if (level != IPPROTO_TCP || k->type != SOCK_STREAM)
		return -EOPNOTSUPP; /* as Linux's ip_getsockopt */
	else if (name == TCP_NODELAY)
		v = k->nodelay;
	else if (name == TCP_MAXSEG)
		v = live && k->state == I_CONNECTED ? tcp_mss(p) : 536;
	else if (name == TCP_KEEPIDLE)
		v = live ? (int)(p->keep_idle / 1000) : KEEPIDLE;
	else if (name == TCP_KEEPINTVL)
		v = live ? (int)(p->keep_intvl / 1000) : KEEPINTVL;
	else if (name == TCP_KEEPCNT)
		v = live ? (int)p->keep_cnt : KEEPCNT;
	else
		return -ENOPROTOOPT;
	memcpy(val, &v, 4);
	return 4;
}

/* SOL_SOCKET ones socket.c leaves to the family. */
static int inet_getsockopt(struct socket *s, int name, void *val)
{
	int v;
	if (name != SO_ACCEPTCONN)
		return -ENOPROTOOPT;
	v = isk(s)->state == I_LISTEN && isk(s)->type == SOCK_STREAM;
	memcpy(val, &v, 4);
	return 4;
}

static int inet_unread(struct socket *s)
{
	struct isk *k = isk(s);
	if (k->type == SOCK_STREAM)
		return k->state == I_LISTEN ? -EINVAL : k->rx ? k->rx->tot_len : 0;
	return k->dq ? (int)k->dq->len : 0;
}

/* ---- interfaces: the SIOCGIF* ioctls (struct ifreq: a name, then a union) ---- */

#define SIOCGIFCONF 0x8912
#define SIOCGIFFLAGS 0x8913
#define SIOCGIFADDR 0x8915
#define SIOCGIFDSTADDR 0x8917
#define SIOCGIFBRDADDR 0x8919
#define SIOCGIFNETMASK 0x891b
#define SIOCGIFMETRIC 0x891d
#define SIOCGIFMTU 0x8921
#define SIOCGIFHWADDR 0x8927
#define SIOCGIFINDEX 0x8933
#define SIOCGIFTXQLEN 0x8942
#define IFNAMSIZ 16
#define IFREQ_SIZE 40
#define IFF_UP 0x1
#define IFF_BROADCAST 0x2
#define IFF_LOOPBACK 0x8
#define IFF_RUNNING 0x40
#define IFF_MULTICAST 0x1000
#define ARPHRD_ETHER 1
#define ARPHRD_LOOPBACK 772
#define LO_MTU 65536        /* what Linux's lo reports; lwIP's loopif has no MTU */
#define ENODEV 19

static struct netif *if_find(const char *name)
{
	struct netif *n;
	char b[IFNAMSIZ];
	NETIF_FOREACH(n) {
		netif_ifname(n, b);
		if (!strcmp(b, name) && vswitch_visible(n))
			return n;
	}
	return 0;
}

static s64 if_conf(u64 arg)
{
	struct { int len, pad; u64 buf; } c;
	if (copy_from_user(&c, arg, sizeof c))
		return -EFAULT;
	int used = 0;
	struct netif *n;
	NETIF_FOREACH(n) {
		u8 r[IFREQ_SIZE] = { 0 };
		if (ip4_addr_isany_val(*netif_ip4_addr(n)) || !vswitch_visible(n))
			continue; /* as Linux: only interfaces with an address (a NIC waiting for DHCP has none) */
		if (c.buf && c.len - used < IFREQ_SIZE)
			break;
		if (c.buf) {
			netif_ifname(n, (char *)r);
			sin_make(r + IFNAMSIZ, &n->ip_addr, 0);
			if (copy_to_user(c.buf + (u64)used, r, IFREQ_SIZE))
				return -EFAULT;
		}
		used += IFREQ_SIZE;
	}
	c.len = used;
	return copy_to_user(arg, &c.len, 4) ? -EFAULT : 0;
}

static s64 inet_ioctl(struct socket *s, u64 cmd, u64 arg)
{
	(void)s;
	if (cmd == SIOCGIFCONF)
		return if_conf(arg);
	if (cmd < SIOCGIFFLAGS || cmd > SIOCGIFTXQLEN)
		return -ENOTTY;
	u8 r[IFREQ_SIZE];
	if (copy_from_user(r, arg, IFREQ_SIZE))
		return -EFAULT;
	r[IFNAMSIZ - 1] = 0;
	struct netif *n = if_find((char *)r);
	if (!n)
		return -ENODEV;
	u8 *u = r + IFNAMSIZ;
	int v = 0, ether = !!(n->flags & NETIF_FLAG_ETHERNET);
	if (ip4_addr_isany_val(*netif_ip4_addr(n)) && (cmd == SIOCGIFADDR || cmd == SIOCGIFDSTADDR ||
						       cmd == SIOCGIFNETMASK || cmd == SIOCGIFBRDADDR))
		return -EADDRNOTAVAIL; /* no address yet (DHCP): ifconfig then shows none, as on Linux */
	memset(u, 0, IFREQ_SIZE - IFNAMSIZ);
	switch (cmd) {
	case SIOCGIFFLAGS:
		v = (netif_is_up(n) ? IFF_UP : 0) | (netif_is_up(n) && netif_is_link_up(n) ? IFF_RUNNING : 0) |
		    (ether ? IFF_BROADCAST | IFF_MULTICAST : IFF_LOOPBACK);
		break;
	case SIOCGIFADDR: case SIOCGIFDSTADDR:
		sin_make(u, &n->ip_addr, 0);
		break;
	case SIOCGIFNETMASK:
		sin_make(u, &n->netmask, 0);
		break;
	case SIOCGIFBRDADDR: {
		ip_addr_t b;
		ip_addr_set_ip4_u32(&b, ip4_addr_get_u32(netif_ip4_addr(n)) | ~ip4_addr_get_u32(netif_ip4_netmask(n)));
		sin_make(u, ether ? &b : 0, 0);
		break;
	}
	case SIOCGIFMTU: v = ether ? n->mtu : LO_MTU; break;
	case SIOCGIFHWADDR:
		u[0] = (u8)(ether ? ARPHRD_ETHER : ARPHRD_LOOPBACK), u[1] = (ether ? ARPHRD_ETHER : ARPHRD_LOOPBACK) >> 8;
		memcpy(u + 2, n->hwaddr, n->hwaddr_len);
		break;
	case SIOCGIFINDEX: v = netif_get_index(n); break;
	case SIOCGIFMETRIC: break;
	case SIOCGIFTXQLEN: v = 1000; break;
	default:
		return -EINVAL; /* a set, or one not kept */
	}
	if (cmd == SIOCGIFFLAGS || cmd == SIOCGIFMTU || cmd == SIOCGIFINDEX || cmd == SIOCGIFMETRIC ||
	    cmd == SIOCGIFTXQLEN)
		memcpy(u, &v, 4);
	return copy_to_user(arg, r, IFREQ_SIZE) ? -EFAULT : 0;
}

/* ---- the end ---- */

static void free_rx(struct isk *k)
{
	if (k->rx)
		pbuf_free(k->rx);
	k->rx = 0;
	while (k->dq) {
		struct dgram *d = k->dq;
		k->dq = d->next;
		kfree(d);
	}
}

/* A connection's pcb let go: closed (FIN after what is queued), or reset
 * when data was left unread (lwIP's tcp_close does that, as Linux). */
static void tcp_drop(struct isk *k)
{
	struct tcp_pcb *p = k->pcb.tcp;
	if (!p)
		return;
	if (k->state == I_LISTEN) {
		tcp_arg(p, 0);
		tcp_accept(p, 0);
	} else {
		tcp_unhook(p);
	}
	if (k->state == I_CONNECTED && k->sock->linger[0] && !k->sock->linger[1])
		tcp_abort(p); /* SO_LINGER with a zero timeout: a reset */
	else if (tcp_close(p) != ERR_OK)
		tcp_abort(p);
	k->pcb.tcp = 0;
}

static void inet_release(struct socket *s)
{
	struct isk *k = isk(s);
	if (k->type == SOCK_STREAM) {
		while (k->aq) { /* connections never accepted: reset */
			struct isk *c = k->aq;
			k->aq = c->next;
			if (c->pcb.tcp) {
				tcp_unhook(c->pcb.tcp);
				tcp_abort(c->pcb.tcp);
			}
			free_rx(c);
			kfree(c);
		}
		if (k->rx && k->pcb.tcp && k->state == I_CONNECTED) { /* unread data: a reset, as Linux */
			tcp_unhook(k->pcb.tcp);
			tcp_abort(k->pcb.tcp);
			k->pcb.tcp = 0;
		}
		tcp_drop(k);
	} else if (k->type == SOCK_DGRAM) {
		udp_remove(k->pcb.udp);
	} else {
		raw_remove(k->pcb.raw);
	}
	free_rx(k);
	kfree(k);
	lwip_pump();
}

static const struct sock_ops inet_ops = {
	.bind = inet_bind, .connect = inet_connect, .listen = inet_listen, .accept = inet_accept,
	.sendmsg = inet_sendmsg, .recvmsg = inet_recvmsg, .shutdown = inet_shutdown, .getname = inet_getname,
	.poll = inet_poll, .getsockopt = inet_getsockopt, .unread = inet_unread, .release = inet_release,
	.setopt = inet_setopt, .getopt = inet_getopt, .ioctl = inet_ioctl,
};

static const struct net_family inet_family = { AF_INET, inet_create };

void inet_init(void)
{
	lwip_start();
	net_register(&inet_family);
}
