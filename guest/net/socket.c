/*
 * The socket layer of the guest kernel (ring 0): the socket syscalls, the
 * file a socket lives in (read, write, poll, close, FIONREAD), the user ABI
 * (sockaddr lengths, iovecs, struct msghdr and its SCM_RIGHTS and
 * SCM_CREDENTIALS control messages, SOL_SOCKET options) and a table of address families.  What a
 * family does with the bytes is its own (unix.c).  Errors and their order
 * follow Linux's net/socket.c and net/core/sock.c.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "net/net.h"
#include "sys/sys.h"

#define WMEM_MAX 212992         /* Linux's default net.core.wmem_max and wmem_default */
#define SNDBUF_MIN 4608         /* SOCK_MIN_SNDBUF */
#define RCVBUF_MIN 2304         /* SOCK_MIN_RCVBUF */
#define OPTMEM_MAX 65536        /* control data of one sendmsg: more is ENOBUFS */
#define EDOM 33

static const struct net_family *families[4];

int net_register(const struct net_family *f)
{
	for (u32 i = 0; i < BH_ARRAY_SIZE(families); i++)
		if (!families[i]) {
			families[i] = f;
			return 0;
		}
	return -ENOSPC;
}

void net_init(void)
{
	net_register(&unix_family);
	inet_init();
}

/* ---- the socket's file ---- */

static const struct file_ops sock_fops;

struct socket *sock_of(struct file *f) { return f && f->ops == &sock_fops ? f->ino->priv : 0; }

u64 sock_deadline(u64 timeo_ns) { return timeo_ns ? rdtsc() + ns_to_tsc(timeo_ns) + 1 : ~0ull; }

static int sock_sleep(const void *chan, u64 deadline)
{
	if (signal_pending())
		return deadline == ~0ull ? -ERESTART : -EINTR;
	if (deadline != ~0ull && rdtsc() >= deadline)
		return -EAGAIN;
	current->wake_tsc = deadline == ~0ull ? 0 : deadline;
	sleep_on(chan);
	current->wake_tsc = 0;
	return 0;
}

int sock_wait(struct socket *s, int flags, const void *chan, u64 deadline)
{
	if ((s->file->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT))
		return -EAGAIN;
	/* a task sharing the caller's descriptor table may close the last
	 * descriptor meanwhile: the file then ends here, not under the caller */
	struct file *f = s->file;
	file_get(f);
	int r = sock_sleep(chan, deadline), gone = f->refs == 1;
	file_put(f);
	return gone ? -EBADF : r;
}

int sock_error(struct socket *s)
{
	int e = s->err;
	s->err = 0;
	return -e;
}

void scm_free(struct scm *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n; i++)
		file_put(s->fp[i]);
	kfree(s);
}

int kmsg_from(struct kmsg *m, void *dst, u64 n)
{
	for (u8 *d = dst; n;) {
		struct kiov *v = m->iov;
		u64 k = v->len < n ? v->len : n;
		if (k && copy_from_user(d, v->base, k))
			return -EFAULT;
		v->base += k, v->len -= k, m->resid -= k, d += k, n -= k;
		if (!v->len && m->niov > 1)
			m->iov++, m->niov--;
	}
	return 0;
}

int kmsg_to(struct kmsg *m, const void *src, u64 n)
{
	for (const u8 *s = src; n;) {
		struct kiov *v = m->iov;
		u64 k = v->len < n ? v->len : n;
		if (k && copy_to_user(v->base, s, k))
			return -EFAULT;
		v->base += k, v->len -= k, m->resid -= k, s += k, n -= k;
		if (!v->len && m->niov > 1)
			m->iov++, m->niov--;
	}
	return 0;
}

static void kmsg_one(struct kmsg *m, struct kiov *v, u64 buf, u64 n)
{
	memset(m, 0, sizeof *m);
	v->base = buf, v->len = n;
	m->iov = v, m->niov = 1, m->resid = n;
}

/* A send, with SIGPIPE for EPIPE unless MSG_NOSIGNAL (Linux: only when
 * nothing was sent, which is when -EPIPE comes back). */
static s64 do_send(struct socket *s, struct kmsg *m, int flags)
{
	s64 r = s->ops->sendmsg(s, m, flags);
	if (r == -EPIPE && !(flags & MSG_NOSIGNAL))
		send_signal(current, SIGPIPE);
	return r;
}

static s64 sock_read(struct file *f, u64 buf, u64 n)
{
	struct kmsg m;
	struct kiov v;
	if (!n)
		return 0;
	kmsg_one(&m, &v, buf, n);
	s64 r = sock_of(f)->ops->recvmsg(sock_of(f), &m, 0);
	scm_free(m.scm); /* read(2) drops passed descriptors, as Linux does */
	return r;
}

static s64 sock_write(struct file *f, u64 buf, u64 n)
{
	struct kmsg m;
	struct kiov v;
	kmsg_one(&m, &v, buf, n);
	return do_send(sock_of(f), &m, 0);
}

static int sock_poll(struct file *f) { return sock_of(f)->ops->poll(sock_of(f)); }

static s64 sock_ioctl(struct file *f, u64 cmd, u64 arg)
{
	struct socket *s = sock_of(f);
	if (cmd != 0x541B) /* FIONREAD (SIOCINQ) */
		return s->ops->ioctl ? s->ops->ioctl(s, cmd, arg) : -ENOTTY;
	if (!s->ops->unread)
		return -ENOTTY;
	int v = s->ops->unread(s);
	if (v < 0)
		return v;
	return copy_to_user(arg, &v, 4) ? -EFAULT : 0;
}

static int sock_open(struct file *f)
{
	(void)f;
	return -ENXIO; /* a socket is never opened by name */
}

static void sock_release(struct file *f)
{
	struct socket *s = f->ino->priv;
	if (s->ops)
		s->ops->release(s);
	f->ino->priv = 0;
	kfree(s);
}

static const struct file_ops sock_fops = { .read = sock_read, .write = sock_write, .poll = sock_poll,
					   .ioctl = sock_ioctl, .open = sock_open, .release = sock_release };

/* A socket in a file of its own: family create() not yet called. */
static struct file *sock_file(int family, int type, int protocol)
{
	struct socket *s = kzalloc(sizeof *s);
	struct inode *i = inode_new(S_IFSOCK | 0777);
	struct file *f = 0;
	if (s && i) {
		i->fops = &sock_fops;
		i->priv = s;
		f = file_new(i, O_RDWR);
	}
	iput(i); /* the file holds it now, or it is gone */
	if (!f) {
		kfree(s);
		return 0;
	}
	s->family = family, s->type = type, s->protocol = protocol, s->file = f;
	s->sndbuf = s->rcvbuf = WMEM_MAX;
	return f;
}

static int sock_create(int family, u64 type, int protocol, struct file **out)
{
	int t = (int)(type & SOCK_TYPE_MASK);
	if (type & ~(u64)(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (family < 0 || family >= 46) /* AF_MAX */
		return -EAFNOSUPPORT;
	if (t >= SOCK_TYPE_MAX)
		return -EINVAL;
	const struct net_family *nf = 0;
	for (u32 i = 0; i < BH_ARRAY_SIZE(families); i++)
		if (families[i] && families[i]->family == family)
			nf = families[i];
	if (!nf)
		return -EAFNOSUPPORT;
	struct file *f = sock_file(family, t, protocol);
	if (!f)
		return -ENOMEM;
	int r = nf->create(f->ino->priv, t, protocol);
	if (r) {
		file_put(f);
		return r;
	}
	f->flags |= (u32)type & SOCK_NONBLOCK;
	*out = f;
	return 0;
}

static struct socket *sock_fd(u64 fd, int *err)
{
	struct file *f = fd < NR_FDS ? fd_get((int)fd) : 0;
	struct socket *s = sock_of(f);
	*err = !f ? -EBADF : !s ? -ENOTSOCK : 0;
	return s;
}

/* ---- addresses ---- */

static int addr_in(u64 uaddr, u64 len, u8 *k)
{
	if ((s64)len < 0 || (int)len < 0 || len > SOCKADDR_MAX)
		return -EINVAL;
	return len && copy_from_user(k, uaddr, len) ? -EFAULT : 0;
}

/* Linux's move_addr_to_user: copies what fits in *ulen, stores the full length. */
static int addr_out(const u8 *k, int klen, u64 uaddr, u64 ulen)
{
	int len;
	if (copy_from_user(&len, ulen, 4))
		return -EFAULT;
	if (len > klen)
		len = klen;
	if (len < 0)
		return -EINVAL;
	if (len && copy_to_user(uaddr, k, (u64)len))
		return -EFAULT;
	return copy_to_user(ulen, &klen, 4) ? -EFAULT : 0;
}

/* ---- the syscalls ---- */

s64 sys_socket(u64 family, u64 type, u64 protocol)
{
	struct file *f;
	int r = sock_create((int)family, type, (int)protocol, &f);
	return r ? r : fd_install(f, 0, (type & SOCK_CLOEXEC) != 0);
}

s64 sys_socketpair(u64 family, u64 type, u64 protocol, u64 usv)
{
	struct file *a, *b;
	int r = sock_create((int)family, type, (int)protocol, &a);
	if (r)
		return r;
	if ((r = sock_create((int)family, type, (int)protocol, &b))) {
		file_put(a);
		return r;
	}
	struct socket *sa = a->ino->priv, *sb = b->ino->priv;
	r = sa->ops->pair ? sa->ops->pair(sa, sb) : -EOPNOTSUPP;
	int fds[2] = { -1, -1 };
	if (!r && (fds[0] = fd_install(a, 0, (type & SOCK_CLOEXEC) != 0)) < 0)
		r = fds[0], a = 0;
	if (!r && (fds[1] = fd_install(b, 0, (type & SOCK_CLOEXEC) != 0)) < 0)
		r = fds[1], b = 0;
	if (!r && copy_to_user(usv, fds, 8))
		r = -EFAULT;
	if (r) {
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				sys_close((u64)fds[i]);
		if (a && fds[0] < 0)
			file_put(a);
		if (b && fds[1] < 0)
			file_put(b);
	}
	return r;
}

s64 sys_bind(u64 fd, u64 uaddr, u64 len)
{
	u8 a[SOCKADDR_MAX + 1];
	int r;
	struct socket *s = sock_fd(fd, &r);
	if (!r)
		r = addr_in(uaddr, len, a);
	return r ? r : s->ops->bind(s, a, (u32)len);
}

s64 sys_connect(u64 fd, u64 uaddr, u64 len)
{
	u8 a[SOCKADDR_MAX + 1];
	int r;
	struct socket *s = sock_fd(fd, &r);
	if (!r)
		r = addr_in(uaddr, len, a);
	if (r)
		return r;
	return s->ops->connect(s, a, (u32)len);
}

s64 sys_listen(u64 fd, u64 backlog)
{
	int r;
	struct socket *s = sock_fd(fd, &r);
	if (r)
		return r;
	if ((u32)backlog > SOMAXCONN)
		backlog = SOMAXCONN;
	return s->ops->listen ? s->ops->listen(s, (int)backlog) : -EOPNOTSUPP;
}

s64 sys_accept4(u64 fd, u64 uaddr, u64 ulen, u64 flags)
{
	if (flags & ~(u64)(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	int r;
	struct socket *s = sock_fd(fd, &r);
	if (r)
		return r;
	if (!s->ops->accept)
		return -EOPNOTSUPP;
	struct file *nf = sock_file(s->family, s->type, s->protocol);
	if (!nf)
		return -ENOMEM;
	struct socket *ns = nf->ino->priv;
	ns->ops = s->ops;
	if ((r = s->ops->accept(s, ns))) {
		ns->ops = 0;
		file_put(nf);
		return r;
	}
	nf->flags |= (u32)flags & SOCK_NONBLOCK;
	if (uaddr) {
		u8 a[SOCKADDR_MAX];
		int n = ns->ops->getname(ns, a, 1);
		if ((r = n < 0 ? n : addr_out(a, n, uaddr, ulen))) {
			file_put(nf);
			return r;
		}
	}
	return fd_install(nf, 0, (flags & SOCK_CLOEXEC) != 0);
}

s64 sys_accept(u64 fd, u64 uaddr, u64 ulen) { return sys_accept4(fd, uaddr, ulen, 0); }

static s64 getname(u64 fd, u64 uaddr, u64 ulen, int peer)
{
	u8 a[SOCKADDR_MAX];
	int r;
	struct socket *s = sock_fd(fd, &r);
	if (r)
		return r;
	int n = s->ops->getname(s, a, peer);
	return n < 0 ? n : addr_out(a, n, uaddr, ulen);
}

s64 sys_getsockname(u64 fd, u64 uaddr, u64 ulen) { return getname(fd, uaddr, ulen, 0); }
s64 sys_getpeername(u64 fd, u64 uaddr, u64 ulen) { return getname(fd, uaddr, ulen, 1); }

s64 sys_shutdown(u64 fd, u64 how)
{
	int r;
	struct socket *s = sock_fd(fd, &r);
	if (r)
		return r;
	if ((int)how < SHUT_RD || (int)how > SHUT_RDWR)
		return -EINVAL;
	return s->ops->shutdown ? s->ops->shutdown(s, (int)how) : -EOPNOTSUPP;
}

/* The socket of fd and a message over one user buffer. */
static struct socket *sock_buf(u64 fd, u64 buf, u64 len, struct kmsg *m, struct kiov *v, int *err)
{
	struct socket *s = sock_fd(fd, err);
	if (!*err && !user_ok(buf, len))
		*err = -EFAULT;
	kmsg_one(m, v, buf, len);
	return s;
}

s64 sys_sendto(u64 fd, u64 buf, u64 len, u64 flags, u64 uaddr, u64 alen)
{
	struct kmsg m;
	struct kiov v;
	int r;
	struct socket *s = sock_buf(fd, buf, len, &m, &v, &r);
	if (r)
		return r;
	if (uaddr && (r = addr_in(uaddr, alen, m.name)))
		return r;
	m.namelen = uaddr ? (u32)alen : 0;
	return do_send(s, &m, (int)flags);
}

s64 sys_recvfrom(u64 fd, u64 buf, u64 len, u64 flags, u64 uaddr, u64 ulen)
{
	struct kmsg m;
	struct kiov v;
	int r;
	struct socket *s = sock_buf(fd, buf, len, &m, &v, &r);
	if (r)
		return r;
	s64 n = s->ops->recvmsg(s, &m, (int)flags);
	scm_free(m.scm);
	if (n >= 0 && uaddr && (r = addr_out(m.name, (int)m.namelen, uaddr, ulen)))
		return r;
	return n;
}

/* The iovecs of a msghdr, checked as Linux's import_iovec does. */
static int iov_in(const struct msghdr_k *h, struct kmsg *m)
{
	if (h->iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	m->iov = kmalloc(h->iovlen * sizeof *m->iov + 1);
	if (!m->iov)
		return -ENOMEM;
	m->niov = h->iovlen;
	if (copy_from_user(m->iov, h->iov, h->iovlen * sizeof *m->iov))
		return -EFAULT;
	for (u64 i = 0; i < h->iovlen; i++) {
		if ((s64)m->iov[i].len < 0)
			return -EINVAL;
		if (!user_ok(m->iov[i].base, m->iov[i].len))
			return -EFAULT;
		m->resid += m->iov[i].len;
	}
	if (!m->niov) { /* one empty iovec keeps the cursor simple */
		m->niov = 1;
		m->iov[0].base = m->iov[0].len = 0;
	}
	return 0;
}

/* SCM_RIGHTS out of a sendmsg's control data (other levels are skipped,
 * other SOL_SOCKET types refused), as Linux's __scm_send. */
static int scm_in(struct socket *s, const struct msghdr_k *h, struct kmsg *m)
{
	if (!h->controllen)
		return 0;
	if (h->controllen > OPTMEM_MAX)
		return -ENOBUFS;
	u8 *c = kmalloc(h->controllen);
	if (!c)
		return -ENOMEM;
	int r = copy_from_user(c, h->control, h->controllen) ? -EFAULT : 0;
	for (u64 off = 0; !r && off + sizeof(struct cmsghdr_k) <= h->controllen;) {
		struct cmsghdr_k *cm = (struct cmsghdr_k *)(c + off);
		if (cm->len < sizeof *cm || cm->len > h->controllen - off) {
			r = -EINVAL;
			break;
		}
		if (cm->level == SOL_SOCKET && cm->type == SCM_RIGHTS) {
			int n = (int)((cm->len - sizeof *cm) / 4), have = m->scm ? m->scm->n : 0;
			const int *fds = (const int *)(cm + 1);
			struct scm *ns;
			if (s->family != AF_UNIX || have + n > SCM_MAX_FD) {
				r = -EINVAL;
			} else if (n > 0 && !(ns = kmalloc(sizeof *ns + (u64)(have + n) * sizeof ns->fp[0]))) {
				r = -ENOMEM;
			} else if (n > 0) {
				ns->n = have;
				if (have)
					memcpy(ns->fp, m->scm->fp, (u64)have * sizeof ns->fp[0]);
				kfree(m->scm);
				m->scm = ns;
				for (int i = 0; i < n && !r; i++) {
					struct file *f = fds[i] >= 0 && fds[i] < NR_FDS ? fd_get(fds[i]) : 0;
					if (!f)
						r = -EBADF;
					else
						file_get(ns->fp[ns->n++] = f);
				}
			}
		} else if (cm->level == SOL_SOCKET && cm->type == SCM_CREDENTIALS) {
			if (cm->len != sizeof *cm + sizeof(struct ucred_k))
				r = -EINVAL;
			memcpy(&m->cred, cm + 1, sizeof m->cred); /* any: everyone is root here */
			m->has_cred = 1;
		} else if (cm->level == SOL_SOCKET) {
			r = -EINVAL;
		}
		off += CMSG_ALIGN_K(cm->len);
	}
	kfree(c);
	return r;
}

/* One control message into what is left of the user's buffer (Linux's
 * put_cmsg): cut short, and MSG_CTRUNC, if it does not fit. */
static int cmsg_out(struct msghdr_k *h, u64 *used, int type, const void *data, u64 len, u32 *flags)
{
	u64 room = h->controllen - *used, n = sizeof(struct cmsghdr_k) + len;
	if (!h->control || room < sizeof(struct cmsghdr_k)) {
		*flags |= MSG_CTRUNC;
		return 0;
	}
	if (room < n) {
		*flags |= MSG_CTRUNC;
		n = room;
	}
	struct cmsghdr_k cm = { n, SOL_SOCKET, type };
	if (copy_to_user(h->control + *used, &cm, sizeof cm) ||
	    copy_to_user(h->control + *used + sizeof cm, data, n - sizeof cm))
		return -EFAULT;
	*used += CMSG_ALIGN_K(sizeof cm + len) < room ? CMSG_ALIGN_K(sizeof cm + len) : room;
	return 0;
}

/* The credentials, then the received descriptors into the caller's table
 * (Linux's scm_recv and scm_detach_fds): those that do not fit are closed,
 * MSG_CTRUNC.  Sets h->controllen to what was used. */
static void control_out(struct msghdr_k *h, struct kmsg *m, int cloexec, u32 *flags)
{
	u64 used = 0;
	if (m->has_cred)
		cmsg_out(h, &used, SCM_CREDENTIALS, &m->cred, sizeof m->cred, flags);
	struct scm *scm = m->scm;
	u64 room = h->controllen - used;
	int fit = h->control && room > sizeof(struct cmsghdr_k) ? (int)((room - sizeof(struct cmsghdr_k)) / 4) : 0;
	int n = 0, fds[SCM_MAX_FD];
	if (!scm)
		fit = 0;
	else if (fit > scm->n)
		fit = scm->n;
	for (; n < fit; n++) {
		file_get(scm->fp[n]);
		if ((fds[n] = fd_install(scm->fp[n], 0, cloexec)) < 0)
			break;
	}
	if (n && cmsg_out(h, &used, SCM_RIGHTS, fds, 4 * (u64)n, flags))
		while (n)
			sys_close((u64)fds[--n]);
	if (scm && n < scm->n)
		*flags |= MSG_CTRUNC;
	h->controllen = used;
}

/* The socket of fd, its user msghdr copied in, an empty message. */
static struct socket *sock_msg(u64 fd, u64 umsg, struct msghdr_k *h, struct kmsg *m, int *err)
{
	struct socket *s = sock_fd(fd, err);
	if (!*err && copy_from_user(h, umsg, sizeof *h))
		*err = -EFAULT;
	memset(m, 0, sizeof *m);
	return s;
}

s64 sys_sendmsg(u64 fd, u64 umsg, u64 flags)
{
	struct msghdr_k h;
	struct kmsg m;
	int r;
	struct socket *s = sock_msg(fd, umsg, &h, &m, &r);
	if (r)
		return r;
	if (h.name && (r = addr_in(h.name, h.namelen, m.name)))
		return r;
	m.namelen = h.name ? h.namelen : 0;
	s64 n = iov_in(&h, &m);
	if (!n)
		n = scm_in(s, &h, &m);
	if (!n)
		n = do_send(s, &m, (int)flags);
	scm_free(m.scm); /* what the family did not take */
	kfree(m.iov);
	return n;
}

s64 sys_sendmmsg(u64 fd, u64 uvec, u64 vlen, u64 flags)
{
	u32 i, n = vlen < 1024 ? (u32)vlen : 1024; /* Linux: UIO_MAXIOV */
	for (i = 0; i < n; i++) {
		s64 r = sys_sendmsg(fd, uvec + 64ull * i, flags);
		u32 len = (u32)r;
		if (r >= 0 && copy_to_user(uvec + 64ull * i + 56, &len, 4))
			r = -EFAULT;
		if (r < 0)
			return i ? (s64)i : r;
	}
	return i;
}

s64 sys_recvmsg(u64 fd, u64 umsg, u64 flags)
{
	struct msghdr_k h;
	struct kmsg m;
	int r;
	struct socket *s = sock_msg(fd, umsg, &h, &m, &r);
	if (r)
		return r;
	if ((int)h.namelen < 0)
		return -EINVAL;
	s64 n = iov_in(&h, &m);
	if (!n)
		n = s->ops->recvmsg(s, &m, (int)flags & ~MSG_CMSG_CLOEXEC);
	kfree(m.iov);
	if (n < 0) {
		scm_free(m.scm);
		return n;
	}
	u32 out = m.flags | ((u32)flags & MSG_CMSG_CLOEXEC); /* Linux reports it back */
	control_out(&h, &m, (flags & MSG_CMSG_CLOEXEC) != 0, &out);
	scm_free(m.scm);
	if (h.name && (r = addr_out(m.name, (int)m.namelen, h.name, umsg + 8)))
		return r;
	if (copy_to_user(umsg + 40, &h.controllen, 8) || copy_to_user(umsg + 48, &out, 4))
		return -EFAULT;
	return n;
}

/* ---- options ---- */

static int get_timeo(u64 ns, void *val)
{
	s64 tv[2] = { (s64)(ns / 1000000000ull), (s64)(ns % 1000000000ull / 1000) };
	memcpy(val, tv, sizeof tv);
	return sizeof tv;
}

static int set_timeo(u64 *ns, const void *val, u32 len)
{
	s64 tv[2];
	if (len < sizeof tv)
		return -EINVAL;
	memcpy(tv, val, sizeof tv);
	if (tv[1] < 0 || tv[1] >= 1000000)
		return -EDOM;
	*ns = tv[0] < 0 ? 0 : (u64)tv[0] * 1000000000ull + (u64)tv[1] * 1000ull;
	return 0;
}

static int sol_socket_set(struct socket *s, u64 name, u64 uval, u64 len);

s64 sys_setsockopt(u64 fd, u64 level, u64 name, u64 uval, u64 len)
{
	int r;
	struct socket *s = sock_fd(fd, &r);
	if (r)
		return r;
	if ((int)level != SOL_SOCKET) { /* the family's own level */
		u8 val[16];
		if (!s->ops->setopt)
			return -EOPNOTSUPP;
		if ((int)len < 0)
			return -EINVAL;
		u32 n = (u32)len < sizeof val ? (u32)len : sizeof val;
		if (copy_from_user(val, uval, n))
			return -EFAULT;
		return s->ops->setopt(s, (int)level, (int)name, val, (u32)len);
	}
	r = sol_socket_set(s, name, uval, len);
	return !r && s->ops->setopt ? s->ops->setopt(s, SOL_SOCKET, (int)name, 0, 0) : r;
}

static int sol_socket_set(struct socket *s, u64 name, u64 uval, u64 len)
{
	u8 val[16];
	if ((int)len < 4)
		return -EINVAL;
	u32 n = (u32)len < sizeof val ? (u32)len : sizeof val;
	if (copy_from_user(val, uval, n))
		return -EFAULT;
	int v;
	memcpy(&v, val, 4);
	u32 b = (u32)v < WMEM_MAX ? (u32)v : WMEM_MAX;
	switch ((int)name) {
	case SO_SNDBUF: case SO_SNDBUFFORCE:
		s->sndbuf = 2 * b > SNDBUF_MIN ? 2 * b : SNDBUF_MIN;
		return 0;
	case SO_RCVBUF: case SO_RCVBUFFORCE:
		s->rcvbuf = 2 * b > RCVBUF_MIN ? 2 * b : RCVBUF_MIN;
		return 0;
	case SO_REUSEADDR: s->reuseaddr = v != 0; return 0;
	case SO_KEEPALIVE: s->keepalive = v != 0; return 0;
	case SO_BROADCAST: s->broadcast = v != 0; return 0;
	case SO_OOBINLINE: s->oobinline = v != 0; return 0;
	case SO_PASSCRED: s->passcred = v != 0; return 0;
	case SO_DEBUG: case SO_DONTROUTE: case SO_PRIORITY: case SO_RCVLOWAT:
		return 0; /* accepted, no effect */
	case SO_LINGER:
		if (len < 8)
			return -EINVAL;
		memcpy(s->linger, val, 8);
		s->linger[0] = s->linger[0] != 0;
		return 0;
	case SO_RCVTIMEO: return set_timeo(&s->rcvtimeo, val, (u32)len);
	case SO_SNDTIMEO: return set_timeo(&s->sndtimeo, val, (u32)len);
	}
	return -ENOPROTOOPT;
}

/* A SOL_SOCKET option's value into val: its length, or -ENOPROTOOPT. */
static int sol_socket_get(struct socket *s, int name, u8 *val)
{
	int v = 0, n = 4; /* an int option's value, or n bytes of val */
	switch (name) {
	case SO_TYPE: v = s->type; break;
	case SO_DOMAIN: v = s->family; break;
	case SO_PROTOCOL: v = s->protocol; break;
	case SO_ERROR: v = -sock_error(s); break;
	case SO_SNDBUF: v = (int)s->sndbuf; break;
	case SO_RCVBUF: v = (int)s->rcvbuf; break;
	case SO_REUSEADDR: v = (int)s->reuseaddr; break;
	case SO_KEEPALIVE: v = (int)s->keepalive; break;
	case SO_BROADCAST: v = (int)s->broadcast; break;
	case SO_OOBINLINE: v = (int)s->oobinline; break;
	case SO_PASSCRED: v = (int)s->passcred; break;
	case SO_DEBUG: case SO_DONTROUTE: case SO_PRIORITY: break;
	case SO_RCVLOWAT: case SO_SNDLOWAT: v = 1; break;
	case SO_LINGER: memcpy(val, s->linger, 8); n = 8; break;
	case SO_RCVTIMEO: n = get_timeo(s->rcvtimeo, val); break;
	case SO_SNDTIMEO: n = get_timeo(s->sndtimeo, val); break;
	default:
		n = -ENOPROTOOPT;
	}
	if (n == 4)
		memcpy(val, &v, 4);
	if (n == -ENOPROTOOPT && s->ops->getsockopt) /* the family's own */
		n = s->ops->getsockopt(s, name, val);
	return n;
}

s64 sys_getsockopt(u64 fd, u64 level, u64 name, u64 uval, u64 ulen)
{
	int r, len;
	struct socket *s = sock_fd(fd, &r);
	if (r)
		return r;
	if ((int)level != SOL_SOCKET && !s->ops->getopt)
		return -EOPNOTSUPP;
	if (copy_from_user(&len, ulen, 4))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	u8 val[16];
	int n = (int)level == SOL_SOCKET ? sol_socket_get(s, (int)name, val) :
		s->ops->getopt(s, (int)level, (int)name, val); /* the family's own level */
	if (n < 0)
		return n;
	if (len > n)
		len = n;
	if (copy_to_user(uval, val, (u64)len))
		return -EFAULT;
	return copy_to_user(ulen, &len, 4) ? -EFAULT : 0;
}

/* readv/writev on a socket (sys_io.c): one message, as Linux. */
s64 sock_rw_iov(struct file *f, u64 uiov, u64 cnt, int wr)
{
	struct msghdr_k h = { .iov = uiov, .iovlen = cnt };
	struct kmsg m;
	memset(&m, 0, sizeof m);
	s64 n = cnt > UIO_MAXIOV ? -EINVAL : iov_in(&h, &m);
	if (!n && (wr || m.resid)) /* a read of nothing is 0 at once */
		n = wr ? do_send(sock_of(f), &m, 0) : sock_of(f)->ops->recvmsg(sock_of(f), &m, 0);
	scm_free(m.scm);
	kfree(m.iov);
	return n;
}
