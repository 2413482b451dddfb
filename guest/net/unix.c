/*
 * AF_UNIX sockets (guest ring 0): SOCK_STREAM, SOCK_SEQPACKET and
 * SOCK_DGRAM, as Linux's net/unix/af_unix.c behaves.  bind makes an
 * S_IFSOCK node through the caller's own path lookup (so it stays inside
 * its sandbox root), or takes an abstract name (a leading NUL), which a
 * sandbox keeps to itself as a network namespace would.  connect on a
 * connection type queues a connected embryo on the listener, which accept
 * hands out.  Data goes into the receiver's queue as buffers carrying their
 * sender's address and any SCM_RIGHTS descriptors; a stream reader joins
 * buffers, a record reader takes one.  What a sender has queued and not yet
 * read counts against its SO_SNDBUF; a datagram receiver not connected back
 * to the sender takes at most max_dgram_qlen (10) buffers.  The queues
 * themselves, and the descriptors in flight in them, are unix_queue.c's.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "net/net.h"
#include "net/unix.h"
#include "sys/sys.h"

struct unix_sock *unix_sockets;
static u32 autobind_next;

static struct unix_sock *usk(struct socket *s) { return s->sk; }

static void set_err(struct unix_sock *u, int e)
{
	if (u->sock)
		u->sock->err = e;
	else
		u->err = e;
}

static void cred_now(struct unix_sock *u)
{
	u->cred.pid = current->pid;
	u->cred.uid = current->uid[1];
	u->cred.gid = current->gid[1];
	u->cred_sb = current->sb->id;
}

static struct unix_sock *unix_new(int type)
{
	struct unix_sock *u = kzalloc(sizeof *u);
	if (!u)
		return 0;
	u->type = type;
	u->cred.uid = u->cred.gid = ~0u; /* no peer: pid 0, uid and gid -1 */
	u->sb = current->sb->id;
	u->next_all = unix_sockets;
	unix_sockets = u;
	return u;
}

/* ---- addresses ---- */

static int addr_check(const u8 *a, u32 len)
{
	if (len <= PATH_OFF || len > ADDR_MAX || *(const u16 *)a != AF_UNIX)
		return -EINVAL;
	return 0;
}

/* A path address as Linux keeps it: the path up to its NUL, and the NUL. */
static void addr_set(struct uaddr *d, const u8 *a, u32 len)
{
	memcpy(d->b, a, len);
	d->b[len] = 0;
	d->len = a[PATH_OFF] ? PATH_OFF + (u32)strlen((const char *)d->b + PATH_OFF) + 1 : len;
}

static struct unix_sock *find_abstract(const struct uaddr *a, int sb)
{
	for (struct unix_sock *u = unix_sockets; u; u = u->next_all)
		if (u->bound && !u->node && u->sb == sb && u->addr.len == a->len && !memcmp(u->addr.b, a->b, a->len))
			return u;
	return 0;
}

static int autobind(struct unix_sock *u)
{
	struct uaddr a = { .len = PATH_OFF + 6 };
	*(u16 *)a.b = AF_UNIX;
	for (u32 tries = 0; tries < 0x100000; tries++) {
		u32 n = autobind_next++ & 0xfffff;
		a.b[PATH_OFF] = 0;
		for (int i = 0; i < 5; i++)
			a.b[PATH_OFF + 1 + i] = "0123456789abcdef"[(n >> (16 - 4 * i)) & 15];
		if (!find_abstract(&a, u->sb)) {
			u->addr = a;
			u->bound = 1;
			return 0;
		}
	}
	return -ENOSPC;
}

static int unix_bind(struct socket *s, const u8 *a, u32 len)
{
	struct unix_sock *u = usk(s);
	struct uaddr na;
	if (len == PATH_OFF && *(const u16 *)a == AF_UNIX)
		return u->bound ? 0 : autobind(u);
	int r = addr_check(a, len);
	if (r)
		return r;
	addr_set(&na, a, len);
	if (!a[PATH_OFF]) {
		if (find_abstract(&na, u->sb))
			return -EADDRINUSE;
		if (u->bound)
			return -EINVAL;
		u->addr = na;
		u->bound = 1;
		return 0;
	}
	if (u->bound) { /* Linux makes the node first: an existing name wins */
		struct inode *i;
		if (!path_lookup(AT_FDCWD, (const char *)na.b + PATH_OFF, 0, &i, 0)) {
			iput(i);
			return -EADDRINUSE;
		}
		return -EINVAL;
	}
	struct inode *i = inode_new(S_IFSOCK | (0777 & ~current->umask));
	if (!i)
		return -ENOMEM;
	r = vfs_mknod(AT_FDCWD, (const char *)na.b + PATH_OFF, i);
	if (r) {
		iput(i);
		return r == -EEXIST ? -EADDRINUSE : r;
	}
	i->priv = u;
	u->node = i; /* the reference inode_new gave */
	u->addr = na;
	u->bound = 1;
	return 0;
}

/* The listener an address names: ENOENT (no such path), ECONNREFUSED (no
 * socket there, or nobody bound to it), EPROTOTYPE. */
static int find_peer(const u8 *a, u32 len, const struct unix_sock *from, struct unix_sock **out)
{
	struct uaddr na;
	addr_set(&na, a, len);
	struct unix_sock *t;
	if (!a[PATH_OFF]) {
		t = find_abstract(&na, from->sb);
	} else {
		struct inode *i;
		int r = path_lookup(AT_FDCWD, (const char *)na.b + PATH_OFF, LOOKUP_FOLLOW, &i, 0);
		if (r)
			return r;
		/* a node bind made: an open socket's own inode has file ops */
		t = S_ISSOCK(i->mode) && !i->fops ? i->priv : 0;
		iput(i);
	}
	if (!t)
		return -ECONNREFUSED;
	if (t->type != from->type)
		return -EPROTOTYPE;
	*out = t;
	return 0;
}

static void connect_pair(struct unix_sock *a, struct unix_sock *b)
{
	a->peer = b, b->peer = a;
	a->state = b->state = US_CONNECTED;
	a->paddr = b->addr, b->paddr = a->addr;
}

static int unix_connect(struct socket *s, const u8 *a, u32 len)
{
	struct unix_sock *u = usk(s), *l;
	int r = addr_check(a, len);
	if (r)
		return r;
	if (s->passcred && !u->bound && (r = autobind(u)))
		return r;
	u64 deadline = sock_deadline(s->sndtimeo);
	for (;;) {
		if ((r = find_peer(a, len, u, &l)))
			return r;
		if (l->state != US_LISTEN || (l->shut & RCV_SHUTDOWN))
			return -ECONNREFUSED;
		if (l->nacc <= l->backlog)
			break;
		if ((r = sock_wait(s, 0, l, deadline))) /* l may be gone after: looked up again */
			return r;
	}
	if (u->state != US_UNCONNECTED)
		return u->state == US_CONNECTED ? -EISCONN : -EINVAL;
	struct unix_sock *e = unix_new(u->type);
	if (!e)
		return -ENOMEM;
	connect_pair(u, e);
	e->addr = l->addr;
	u->paddr = l->addr;
	cred_now(e);                    /* the embryo's peer is the caller */
	u->cred = l->cred, u->cred_sb = l->cred_sb; /* the caller's peer: whoever listened */
	if (l->acc_last)
		l->acc_last->acc_next = e;
	else
		l->acc = e;
	l->acc_last = e;
	l->nacc++;
	wakeup(l);
	return 0;
}

/* Whether u may send to t: t is connected to nobody (not even to a socket
 * since closed) or to u. */
static int may_send(const struct unix_sock *u, const struct unix_sock *t)
{
	return t->peer ? t->peer == u : !t->peer_gone;
}

/* A datagram socket's connect sets its default destination (AF_UNSPEC
 * clears it); a socket connected to another one refuses it (EPERM). */
static int unix_dgram_connect(struct socket *s, const u8 *a, u32 len)
{
	struct unix_sock *u = usk(s), *t;
	if (len < PATH_OFF)
		return -EINVAL;
	if (*(const u16 *)a == 0) { /* AF_UNSPEC */
		u->peer = 0;
		u->peer_gone = 0;
		u->state = US_UNCONNECTED;
		return 0;
	}
	int r = addr_check(a, len);
	if (!r && s->passcred && !u->bound)
		r = autobind(u);
	if (r || (r = find_peer(a, len, u, &t)))
		return r;
	if (!may_send(u, t))
		return -EPERM;
	u->peer = t;
	u->peer_gone = 0;
	u->state = US_CONNECTED;
	u->paddr = t->addr;
	return 0;
}

static int unix_listen(struct socket *s, int backlog)
{
	struct unix_sock *u = usk(s);
	if (u->type == SOCK_DGRAM)
		return -EOPNOTSUPP;
	if (!u->bound || (u->state != US_UNCONNECTED && u->state != US_LISTEN))
		return -EINVAL;
	if (backlog > u->backlog)
		wakeup(u); /* connectors waiting for room */
	u->backlog = backlog;
	u->state = US_LISTEN;
	cred_now(u);
	return 0;
}

static int unix_accept(struct socket *s, struct socket *ns)
{
	struct unix_sock *u = usk(s);
	u64 deadline = sock_deadline(s->rcvtimeo);
	if (u->type == SOCK_DGRAM)
		return -EOPNOTSUPP;
	while (!u->acc) {
		if (u->state != US_LISTEN)
			return -EINVAL;
		int r = sock_wait(s, 0, u, deadline);
		if (r)
			return r;
	}
	if (u->state != US_LISTEN)
		return -EINVAL;
	struct unix_sock *e = u->acc;
	if (!(u->acc = e->acc_next))
		u->acc_last = 0;
	u->nacc--;
	wakeup(u);
	e->acc_next = 0;
	e->sock = ns;
	ns->sk = e;
	ns->err = e->err;
	return 0;
}

static int unix_pair(struct socket *a, struct socket *b)
{
	struct unix_sock *ua = usk(a), *ub = usk(b);
	connect_pair(ua, ub);
	cred_now(ua);
	cred_now(ub);
	return 0;
}

/* ---- data ---- */

/* Waits until what u has queued is below its SO_SNDBUF: 0 or -errno (a
 * pending SO_ERROR first, EPIPE after shutdown, as sock_alloc_send_pskb). */
static int wait_room(struct socket *s, int flags, u64 deadline)
{
	struct unix_sock *u = usk(s);
	for (;;) {
		int r = sock_error(s);
		if (!r && (u->shut & SEND_SHUTDOWN))
			r = -EPIPE;
		if (!r && u->wmem < s->sndbuf)
			return 0;
		if (r || (r = sock_wait(s, flags, u, deadline)))
			return r;
	}
}

/* A buffer of n bytes from m, charged to u until it is freed; NULL if no memory or a fault (*err). */
static struct skb *skb_from(struct unix_sock *u, struct kmsg *m, u64 n, int *err)
{
	struct skb *b = kmalloc(sizeof *b + n);
	*err = b ? 0 : -ENOMEM;
	if (b && kmsg_from(m, b->data, n)) {
		kfree(b);
		b = 0;
		*err = -EFAULT;
	}
	if (!b)
		return 0;
	b->len = n, b->off = 0;
	b->scm = 0;
	b->from = u->addr;
	b->sender = u;
	b->charge = n + SKB_CHARGE;
	return b;
}

/* Queues b at t, with m's descriptors if it still has them, and the
 * credentials given or the caller's (pid, real uid and gid). */
static void deliver(struct unix_sock *u, struct unix_sock *t, struct skb *b, struct kmsg *m)
{
	struct ucred_k c = { current->pid, current->uid[0], current->gid[0] };
	b->cred = m->has_cred ? m->cred : c;
	b->cred_sb = current->sb->id;
	if ((b->scm = m->scm)) {
		m->scm = 0;
		unix_scm_inflight(b->scm, 1);
		b->charge += sizeof *b->scm + (u64)b->scm->n * sizeof b->scm->fp[0];
	}
	u->wmem += b->charge;
	unix_enqueue(t, b);
	wakeup(t);
}

static s64 unix_stream_sendmsg(struct socket *s, struct kmsg *m, int flags)
{
	struct unix_sock *u = usk(s);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (m->namelen)
		return u->state == US_CONNECTED ? -EISCONN : -EOPNOTSUPP;
	if (u->state != US_CONNECTED)
		return -ENOTCONN;
	if (u->shut & SEND_SHUTDOWN)
		return -EPIPE;
	u64 deadline = sock_deadline(s->sndtimeo), total = m->resid, sent = 0;
	int r = 0;
	while (sent < total) {
		struct unix_sock *p;
		struct skb *b;
		u64 n = total - sent < SKB_MAX ? total - sent : SKB_MAX;
		if ((r = wait_room(s, flags, deadline)) || !(b = skb_from(u, m, n, &r)))
			return sent ? (s64)sent : r;
		p = u->peer;
		if (!p || (p->shut & RCV_SHUTDOWN)) {
			kfree(b);
			return sent ? (s64)sent : -EPIPE;
		}
		deliver(u, p, b, m); /* the descriptors ride with the first buffer */
		sent += n;
	}
	return (s64)sent;
}

/* sendmsg of a datagram, or of a SOCK_SEQPACKET record: one buffer, to the
 * address given or the peer; a receiver not connected back waits until
 * its queue has room. */
static s64 unix_record_sendmsg(struct socket *s, struct kmsg *m, int flags)
{
	struct unix_sock *u = usk(s), *t;
	int seq = u->type == SOCK_SEQPACKET, r = 0;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (seq && u->state != US_CONNECTED)
		return -ENOTCONN;
	if (seq)
		m->namelen = 0;
	if (m->namelen && (r = addr_check(m->name, m->namelen)))
		return r;
	if (!m->namelen && !u->peer && !u->peer_gone)
		return seq ? -EPIPE : -ENOTCONN;
	if (s->passcred && !u->bound && (r = autobind(u)))
		return r;
	if (m->resid + 32 > s->sndbuf)
		return -EMSGSIZE;
	u64 deadline = sock_deadline(s->sndtimeo), n = m->resid;
	struct skb *b;
	if ((r = wait_room(s, flags, deadline)) || !(b = skb_from(u, m, n, &r)))
		return r;
	for (;;) {
		if (m->namelen) {
			r = find_peer(m->name, m->namelen, u, &t);
		} else if (!(t = u->peer)) { /* closed: refused once, then not connected */
			r = seq ? -EPIPE : -ECONNREFUSED;
			u->peer_gone = 0;
			if (!seq)
				u->state = US_UNCONNECTED;
		}
		if (!r && !may_send(u, t))
			r = -EPERM;
		if (!r && (t->shut & RCV_SHUTDOWN))
			r = -EPIPE;
		if (!r && t != u && t->peer != u && t->rq_count > DGRAM_QLEN)
			r = sock_wait(s, flags, t, deadline); /* t may be gone after: found again */
		else if (!r)
			break;
		if (r) {
			kfree(b);
			return r;
		}
	}
	deliver(u, t, b, m);
	return (s64)n;
}

static struct scm *scm_dup(const struct scm *s)
{
	struct scm *d = kmalloc(sizeof *d + (u64)s->n * sizeof d->fp[0]);
	if (!d)
		return 0;
	d->n = s->n;
	for (int i = 0; i < s->n; i++)
		file_get(d->fp[i] = s->fp[i]);
	return d;
}

/* The buffer holding byte skip of the unread data, and where in it. */
static struct skb *skb_at(struct unix_sock *u, u64 skip, u64 *off)
{
	struct skb *b = u->rq;
	for (; b && skip >= b->len - b->off; b = b->next)
		skip -= b->len - b->off;
	*off = b ? b->off + skip : 0;
	return b;
}

/* One step of waiting for data: 0 to look again, 1 at end of file, or
 * -errno (a pending SO_ERROR first). */
static int wait_data(struct socket *s, int flags, u64 deadline)
{
	int r = sock_error(s);
	if (!r && (usk(s)->shut & RCV_SHUTDOWN))
		return 1;
	return r ? r : sock_wait(s, flags, usk(s), deadline);
}

/* The sender's credentials, seen from the caller's sandbox. */
static struct ucred_k cred_seen(const struct ucred_k *c, int sb)
{
	struct ucred_k v = *c;
	if (current->sb != &sandbox_root && sb != current->sb->id)
		v.pid = 0; /* a task outside the caller's view, as Linux's pid_vnr */
	return v;
}

/* The sender's address and credentials (SO_PASSCRED), and the descriptors
 * (copies for a peek). */
static void take_extras(struct socket *s, struct skb *b, struct kmsg *m, int peek)
{
	if (s->passcred && !m->has_cred) {
		m->cred = cred_seen(&b->cred, b->cred_sb);
		m->has_cred = 1;
	}
	if (b->from.len && !m->namelen) {
		memcpy(m->name, b->from.b, b->from.len);
		m->namelen = b->from.len;
	}
	if (b->scm && peek) {
		m->scm = scm_dup(b->scm);
	} else if (b->scm) {
		unix_scm_inflight(b->scm, -1);
		m->scm = b->scm;
		b->scm = 0;
	}
}

static s64 unix_stream_recvmsg(struct socket *s, struct kmsg *m, int flags)
{
	struct unix_sock *u = usk(s);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (u->state != US_CONNECTED)
		return -EINVAL;
	u64 deadline = sock_deadline(s->rcvtimeo), copied = 0, off;
	u64 target = flags & MSG_WAITALL && m->resid ? m->resid : 1;
	int peek = flags & MSG_PEEK, r = 0;
	struct ucred_k first;
	m->namelen = 0;
	for (;;) {
		struct skb *b = skb_at(u, peek ? copied : 0, &off);
		if (b && copied && m->has_cred && memcmp(&b->cred, &first, sizeof first))
			break; /* with SO_PASSCRED, writers' data is never joined */
		if (b && !copied)
			first = b->cred;
		if (!b) {
			if (copied >= target || (r = wait_data(s, flags, deadline)))
				break;
			continue;
		}
		u64 n = b->len - off < m->resid ? b->len - off : m->resid;
		if (kmsg_to(m, b->data + off, n)) {
			r = -EFAULT;
			break;
		}
		copied += n;
		take_extras(s, b, m, peek); /* descriptors come with the first read of their buffer */
		if (!peek) {
			b->off += n;
			u->rq_bytes -= n;
			if (b->off == b->len)
				unix_skb_free(unix_dequeue(u));
		}
		if (m->scm || !m->resid)
			break;
	}
	return copied ? (s64)copied : r > 0 ? 0 : r;
}

/* One datagram or record: what does not fit is dropped (MSG_TRUNC). */
static s64 unix_record_recvmsg(struct socket *s, struct kmsg *m, int flags)
{
	struct unix_sock *u = usk(s);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (u->type == SOCK_SEQPACKET && u->state != US_CONNECTED)
		return -ENOTCONN;
	u64 deadline = sock_deadline(s->rcvtimeo);
	int r, peek = flags & MSG_PEEK;
	while (!u->rq)
		if ((r = wait_data(s, flags, deadline)))
			return r > 0 ? 0 : r;
	struct skb *b = u->rq;
	u64 len = b->len, n = len < m->resid ? len : m->resid;
	m->namelen = 0;
	if (n < len)
		m->flags |= MSG_TRUNC;
	r = kmsg_to(m, b->data, n);
	if (!r)
		take_extras(s, b, m, peek);
	if (!peek) { /* read or not (a fault), it is gone, as on Linux */
		unix_skb_free(unix_dequeue(u));
		wakeup(u); /* senders waiting for room in the queue */
	}
	return r ? r : (s64)(flags & MSG_TRUNC ? len : n);
}

static int unix_shutdown(struct socket *s, int how)
{
	struct unix_sock *u = usk(s), *p = u->peer;
	int mode = (how + 1) & (RCV_SHUTDOWN | SEND_SHUTDOWN);
	u->shut |= mode;
	wakeup(u);
	if (p && u->type != SOCK_DGRAM) {
		p->shut |= (mode & RCV_SHUTDOWN ? SEND_SHUTDOWN : 0) | (mode & SEND_SHUTDOWN ? RCV_SHUTDOWN : 0);
		wakeup(p);
	}
	return 0;
}

static int unix_getname(struct socket *s, u8 *a, int peer)
{
	struct unix_sock *u = usk(s);
	const struct uaddr *ad = peer ? &u->paddr : &u->addr;
	if (peer && (u->type == SOCK_DGRAM ? !u->peer && !u->peer_gone : u->state != US_CONNECTED))
		return -ENOTCONN;
	if (!ad->len) {
		*(u16 *)a = AF_UNIX;
		return PATH_OFF;
	}
	memcpy(a, ad->b, ad->len);
	return (int)ad->len;
}

static int unix_poll(struct socket *s)
{
	struct unix_sock *u = usk(s);
	int m = 0;
	if (s->err)
		m |= POLLERR;
	if (u->shut == (RCV_SHUTDOWN | SEND_SHUTDOWN))
		m |= POLLHUP;
	if (u->shut & RCV_SHUTDOWN)
		m |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (u->rq || u->acc)
		m |= POLLIN | POLLRDNORM;
	if (u->type != SOCK_DGRAM && u->state == US_UNCONNECTED)
		m |= POLLHUP;
	/* writable while what it queued is at most a quarter of SO_SNDBUF (and
	 * a datagram peer not connected back has room) */
	int w = u->state != US_LISTEN && u->wmem * 4 <= s->sndbuf;
	if (w && u->type != SOCK_STREAM && u->peer && u->peer->peer != u && u->peer->rq_count > DGRAM_QLEN)
		w = 0;
	return w ? m | POLLOUT | POLLWRNORM | POLLWRBAND : m;
}

static int unix_getsockopt(struct socket *s, int name, void *val)
{
	struct unix_sock *u = usk(s);
	if (name == SO_ACCEPTCONN) {
		int v = u->state == US_LISTEN;
		memcpy(val, &v, 4);
		return 4;
	}
	if (name != SO_PEERCRED)
		return -ENOPROTOOPT;
	struct ucred_k c = cred_seen(&u->cred, u->cred_sb);
	memcpy(val, &c, sizeof c);
	return sizeof c;
}

/* FIONREAD: a stream's unread bytes, a record socket's next record. */
static int unix_unread(struct socket *s)
{
	struct unix_sock *u = usk(s);
	if (u->state == US_LISTEN)
		return -EINVAL;
	return (int)(u->type == SOCK_STREAM ? u->rq_bytes : u->rq ? u->rq->len : 0);
}

/* Closes u: a connection's peer sees the end (ECONNRESET if u left data
 * unread or was never accepted); datagram sockets connected to it get
 * ECONNREFUSED at their next send; its embryos are closed, its queue
 * purged, its buffers elsewhere no longer charged to it. */
static void unix_free(struct unix_sock *u, int embryo)
{
	for (struct unix_sock **pp = &unix_sockets; *pp; pp = &(*pp)->next_all)
		if (*pp == u) {
			*pp = u->next_all;
			break;
		}
	if (u->node) {
		if (u->node->priv == u)
			u->node->priv = 0;
		iput(u->node);
	}
	/* a connection has one peer; any number of datagram sockets may be
	 * connected to a datagram socket */
	for (struct unix_sock *p = u->type == SOCK_DGRAM ? unix_sockets : u->peer; p;
	     p = u->type == SOCK_DGRAM ? p->next_all : 0) {
		if (p->peer != u)
			continue;
		p->peer = 0;
		if (p->type == SOCK_DGRAM) {
			p->peer_gone = 1;
		} else {
			p->shut = RCV_SHUTDOWN | SEND_SHUTDOWN;
			if (u->rq || embryo)
				set_err(p, ECONNRESET);
		}
		wakeup(p);
	}
	while (u->acc) {
		struct unix_sock *e = u->acc;
		u->acc = e->acc_next;
		unix_free(e, 1);
	}
	u->state = US_UNCONNECTED;
	wakeup(u);
	struct skb *q = unix_queue_take(u);
	unix_uncharge(u, q);
	kfree(u);
	unix_purge(q);
	unix_gc();
}

static void unix_release(struct socket *s) { unix_free(usk(s), 0); }

#define UNIX_COMMON_OPS                                                                                     \
	.bind = unix_bind, .pair = unix_pair, .shutdown = unix_shutdown, .getname = unix_getname,          \
	.poll = unix_poll, .getsockopt = unix_getsockopt, .unread = unix_unread, .release = unix_release
static const struct sock_ops unix_stream_ops = {
	UNIX_COMMON_OPS, .connect = unix_connect, .listen = unix_listen, .accept = unix_accept,
	.sendmsg = unix_stream_sendmsg, .recvmsg = unix_stream_recvmsg,
};
static const struct sock_ops unix_seqpacket_ops = {
	UNIX_COMMON_OPS, .connect = unix_connect, .listen = unix_listen, .accept = unix_accept,
	.sendmsg = unix_record_sendmsg, .recvmsg = unix_record_recvmsg,
};
static const struct sock_ops unix_dgram_ops = {
	UNIX_COMMON_OPS, .connect = unix_dgram_connect, .listen = unix_listen, .accept = unix_accept,
	.sendmsg = unix_record_sendmsg, .recvmsg = unix_record_recvmsg,
};

static int unix_create(struct socket *s, int type, int protocol)
{
	if (protocol && protocol != AF_UNIX)
		return -EPROTONOSUPPORT;
	switch (type) {
	case SOCK_STREAM: s->ops = &unix_stream_ops; break;
	case SOCK_SEQPACKET: s->ops = &unix_seqpacket_ops; break;
	case SOCK_RAW: /* Linux makes it a datagram socket */
		s->type = type = SOCK_DGRAM;
		/* fall through */
	case SOCK_DGRAM: s->ops = &unix_dgram_ops; break;
	default: return -ESOCKTNOSUPPORT;
	}
	if (!(s->sk = unix_new(type)))
		return -ENOMEM;
	usk(s)->sock = s;
	return 0;
}

const struct net_family unix_family = { AF_UNIX, unix_create };
