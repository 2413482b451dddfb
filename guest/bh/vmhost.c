/*
 * Compute systems (guest ring 0, host partition): the utility partitions this
 * kernel made through /dev/bulkhead (include/bulkhead/ctl.h), each with its
 * channel, its console text (conbuf.c) and at most one control request in
 * flight.
 *
 * The channel doorbell (BH_VEC_CHANNEL) only says that some partition did
 * something: hv raises the one vector for every partition's notify and when
 * one crashes.  So a doorbell costs one look at each channel's ring index (no
 * hypercall); a channel with data gives up at most one ring's worth (console
 * text, a reply, an exit status).  hv is asked for partitions' states in a
 * sweep, at most one per SWEEP_QUIET_NS after a doorbell that brought no data
 * (most likely a crash) and one per SWEEP_BUSY_NS after others (a crash rung
 * just after a partition's own doorbell comes as one), however often the
 * doorbell rings.  Work left over runs from the tick (sched_add_poller).
 */
#include "../../lib/fmt.h"
#include "../../lib/string.h"
#include <bulkhead/ctl.h>
#include "channel.h"
#include "conbuf.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "bh/bh.h"
#include "net/vswitch.h"
#include "dev/dev.h"

#define REQ_TIMEOUT_NS 5000000000ull
#define SWEEP_QUIET_NS 20000000ull  /* 20 ms */
#define SWEEP_BUSY_NS 1000000000ull /* 1 s */
#define BH_GRANTS_MAX 16            /* files granted to one partition */

struct cs {
	u32 id;
	u32 state;                  /* enum bh_part_state, or BH_CS_EXITED */
	s64 exit_status;
	char name[BH_PART_NAME_MAX], owner[16], reason[64];
	u32 uid;                    /* its creator's effective uid */
	int worker;                 /* the task that reads its console */
	int refs;                   /* its owning file, and each request waiting */
	u64 memory, created_ns;
	void *chan_pages;
	struct chan_end ch;
	u16 seq;                    /* of the request in flight */
	u8 busy, replied;
	struct bh_msg reply;
	u8 *reply_buf;              /* BH_MSG_MAX bytes */
	struct conbuf con;
	struct vs_port *port;       /* its NIC's port on the virtual switch (net= on its command line), or NULL */
	/* message mode (BH_IOC_NEW): a container's worker reads and writes messages */
	u32 type;                   /* BH_CS_UTILITY or BH_CS_CONTAINER */
	u8 msgs;                    /* in message mode */
	u8 *q;                      /* BH_CS_QUEUE bytes: framed messages for read() */
	u32 qhead, qtail;
	u8 handle[BH_HANDLE_MAX + 1]; /* H_FREE, H_NAMED (RUN/EXEC sent), H_LIVE (started) */
	u32 stdin_out[BH_HANDLE_MAX + 1]; /* STDIN bytes not yet acknowledged */
	struct img *grants[BH_GRANTS_MAX];
	u32 ngrants;
};
enum { H_FREE, H_NAMED, H_LIVE };

/* A granted file's data: one copy per file version, in pages nothing else
 * writes, mapped read-only by each partition that holds a reference.  Those
 * no partition holds stay, up to IMG_SPARE_PAGES in all (the oldest go
 * first), for the next start of the same image: it copies no tar then. */
#define IMG_SPARE_PAGES 4096 /* 16 MiB */
struct img {
	struct img *next;
	u64 ino, size, pages;
	struct timespec_k mtime;
	u8 *data;                   /* pages contiguous pages */
	int refs;
};
static struct img *images;
static u64 spare_pages; /* in images no partition holds */

static struct cs *systems[BH_PART_MAX];
static struct bh_host_stats stats;
static int drain_due;            /* a ring may have data */
static u64 last_sweep, sweep_at; /* TSC; sweep_at 0: none due */

static int running(const struct cs *c) { return c->state == BH_PART_RUNNING; }

static void img_free(struct img *m)
{
	for (struct img **pp = &images; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	page_free_run(m->data, m->pages);
	kfree(m);
}

static void img_put(struct img *m)
{
	if (--m->refs)
		return;
	for (spare_pages += m->pages; spare_pages > IMG_SPARE_PAGES;) {
		struct img *old = 0; /* images is newest first */
		for (struct img *x = images; x; x = x->next)
			if (!x->refs)
				old = x;
		spare_pages -= old->pages;
		img_free(old);
	}
}

static void put(struct cs *c)
{
	if (--c->refs)
		return;
	page_free(c->reply_buf);
	if (c->q)
		page_free_run(c->q, BH_CS_QUEUE / PAGE);
	kfree(c);
}

static void set_state(struct cs *c, u32 state, const char *reason)
{
	c->state = state;
	bh_snprintf(c->reason, sizeof c->reason, "%s", reason);
}

/* Copies at queue index i, wrapping. */
static void q_copy(struct cs *c, u32 i, void *p, u32 n, int in)
{
	for (u32 k = 0; k < n; k++, i++)
		if (in)
			c->q[i % BH_CS_QUEUE] = ((u8 *)p)[k];
		else
			((u8 *)p)[k] = c->q[i % BH_CS_QUEUE];
}

/* A container's message from the utility, checked (ctl.h): queued for
 * read(), or 0 if it breaks the rules. */
static int take_msg(struct cs *c, const struct bh_msg *m, u8 *buf)
{
	u16 h = m->seq;
	int live = h && h <= BH_HANDLE_MAX && c->handle[h] == H_LIVE;
	switch (m->type) {
	case BH_MSG_CONSOLE:
		break;
	case BH_MSG_EXIT:
		if (m->arg < 0 || m->arg > 255)
			return 0;
		break;
	case BH_MSG_STARTED:
		if (!h || h > BH_HANDLE_MAX || c->handle[h] != H_NAMED || m->arg == 0 || m->arg > 0x7fffffff ||
		    m->arg < -4095 || (m->arg > 0 && m->len))
			return 0;
		c->handle[h] = m->arg > 0 ? H_LIVE : H_FREE;
		break;
	case BH_MSG_STDOUT:
	case BH_MSG_STDERR:
		if (!live || !m->len)
			return 0;
		break;
	case BH_MSG_STDIN_ACK:
		if (!live || m->arg <= 0 || (u64)m->arg > c->stdin_out[h])
			return 0;
		c->stdin_out[h] -= (u32)m->arg;
		break;
	case BH_MSG_PROC_EXIT:
		if (!live || m->arg < 0 || m->arg > 0xffff)
			return 0;
		c->handle[h] = H_FREE;
		c->stdin_out[h] = 0;
		break;
	default:
		return 0;
	}
	struct bh_msg hd = *m;
	q_copy(c, c->qhead, &hd, sizeof hd, 1);
	q_copy(c, c->qhead + (u32)sizeof hd, buf, m->len, 1);
	c->qhead += (u32)sizeof hd + m->len;
	if (m->type == BH_MSG_EXIT) {
		c->exit_status = m->arg;
		set_state(c, BH_CS_EXITED, "exited");
	}
	return 1;
}

/* Takes in what the partition sent, at most one ring's worth: a partition
 * that keeps its ring full gets the rest read at the next poll, and does not
 * hold the host here.  A container's messages stop coming in while its
 * queue has no room for the largest one: its writers wait. */
static void take(struct cs *c)
{
	static u8 buf[BH_FRAME_MAX];
	struct bh_msg m;
	int r = 0, bad = 0;
	u32 n = 0;
	stats.drains++;
	for (; running(c) && !bad && n < BH_RING_SIZE &&
	       (!c->msgs || BH_CS_QUEUE - (c->qhead - c->qtail) >= sizeof m + BH_MSG_MAX) &&
	       (r = chan_recv(&c->ch, &m, buf)) > 0;
	     n += BH_MSG_SPACE(m.len)) {
		if (m.type == BH_MSG_FRAME) { /* its NIC's, in either mode */
			if (c->port)
				vswitch_input(c->port, buf, m.len);
		} else if (c->msgs && m.type != BH_MSG_PONG && m.type != BH_MSG_STATS && m.type != BH_MSG_PS) {
			bad = !take_msg(c, &m, buf);
		} else if (m.type == BH_MSG_CONSOLE) {
			con_put(&c->con, buf, m.len, now_ns());
		} else if (m.type == BH_MSG_EXIT) {
			c->exit_status = m.arg;
			set_state(c, BH_CS_EXITED, "exited");
		} else if (c->busy && !c->replied && m.seq == c->seq) {
			c->reply = m;
			memcpy(c->reply_buf, buf, m.len);
			c->replied = 1;
		}
	}
	if (running(c) && (r == CHAN_BROKEN || bad)) {
		hcall(BH_HC_PART_STOP, c->id, 0, 0, 0);
		set_state(c, BH_PART_STOPPED, bad ? "sent a bad message" : "broke its channel");
	}
	if (c->msgs && n && running(c))
		hcall(BH_HC_NOTIFY, c->id, 0, 0, 0); /* room again: its writers go on */
	drain_due |= running(c) && chan_ready(&c->ch) &&
		     (!c->msgs || BH_CS_QUEUE - (c->qhead - c->qtail) >= sizeof m + BH_MSG_MAX);
	wakeup(c);
}

/* Its state from hv: has it crashed, or been stopped by hv? */
static void query(struct cs *c)
{
	static struct bh_part_info info;
	stats.hv_queries++;
	if (!hcall(BH_HC_PART_QUERY, c->id, v2p(&info), 0, 0) && info.state != BH_PART_RUNNING) {
		set_state(c, info.state, info.reason);
		wakeup(c);
	}
}

static void drain_all(void)
{
	drain_due = 0;
	for (u32 id = 1; id < BH_PART_MAX; id++)
		if (systems[id] && running(systems[id]) && chan_ready(&systems[id]->ch))
			take(systems[id]);
}

/* What a doorbell left (a ring still full after one ring's worth), and the
 * sweep once due: from the doorbell, the tick and the idle loop. */
static void vmhost_poll(void)
{
	if (drain_due)
		drain_all();
	if (!sweep_at || rdtsc() < sweep_at)
		return;
	sweep_at = 0;
	last_sweep = rdtsc();
	for (u32 id = 1; id < BH_PART_MAX; id++)
		if (systems[id] && running(systems[id]))
			query(systems[id]);
}

static void vmhost_irq(void)
{
	u64 drains = stats.drains;
	stats.doorbells++;
	drain_all();
	u64 at = last_sweep + ns_to_tsc(stats.drains != drains ? SWEEP_BUSY_NS : SWEEP_QUIET_NS);
	if (!sweep_at || at < sweep_at)
		sweep_at = at;
	vmhost_poll();
}

/* Sends one request and waits for its reply: TSC ticks for the round trip,
 * or a negative errno.  SHUTDOWN is answered by the partition's exit. */
static s64 request(struct cs *c, u16 type, s64 arg, const void *payload, u32 len)
{
	s64 err = 0;
	while (c->busy && running(c) && !err) {
		if (signal_pending())
			err = -ERESTART;
		else
			sleep_on(c);
	}
	if (err || !running(c))
		return err ? err : -ESRCH;
	c->busy = 1;
	c->replied = 0;
	c->seq++;
	u64 t0 = rdtsc(), deadline = t0 + ns_to_tsc(REQ_TIMEOUT_NS);
	int r = chan_send(&c->ch, type, c->seq, arg, payload, len);
	if (r)
		err = r == CHAN_FULL ? -EAGAIN : -EIO;
	else
		hcall(BH_HC_NOTIFY, c->id, 0, 0, 0);
	while (!err && !c->replied && running(c)) {
		if (signal_pending())
			err = -EINTR;
		else if (rdtsc() >= deadline)
			err = -ETIMEDOUT;
		else {
			current->wake_tsc = deadline;
			sleep_on(c);
			current->wake_tsc = 0;
		}
	}
	if (!err && !c->replied && !(type == BH_MSG_SHUTDOWN && c->state == BH_CS_EXITED))
		err = -ESRCH; /* it stopped, crashed or exited instead of answering */
	u64 t = rdtsc() - t0;
	c->busy = 0;
	wakeup(c);
	return err ? err : (s64)t;
}

/* A frame from the virtual switch for the partition's NIC: 0, or -ENOBUFS
 * (not running, or its ring is full: the switch counts the drop). */
static int frame_out(void *arg, const void *frame, u32 len)
{
	struct cs *c = arg;
	if (!running(c) || chan_send(&c->ch, BH_MSG_FRAME, 0, 0, frame, len))
		return -ENOBUFS;
	hcall(BH_HC_NOTIFY, c->id, 0, 0, 0);
	return 0;
}

/* net=ADDR/PREFIX[,GATEWAY[,MAC]] on its command line: a port of the
 * virtual switch for its NIC (net/switch.c, net/chnic.c); 0 or -errno. */
static s64 net_attach(struct cs *c, const struct bh_part_create *req)
{
	char w[64];
	for (u32 i = 0; i + 4 < sizeof req->cmdline && req->cmdline[i]; i++) {
		if ((i && req->cmdline[i - 1] != ' ') || memcmp(req->cmdline + i, "net=", 4))
			continue;
		u32 n = 0;
		for (i += 4; i < sizeof req->cmdline && req->cmdline[i] && req->cmdline[i] != ' ' && n + 1 < sizeof w; i++)
			w[n++] = req->cmdline[i];
		w[n] = 0;
		return vswitch_attach(w, frame_out, c, &c->port);
	}
	return 0;
}

/* CREATE (started) or NEW (not yet, in message mode: n is then its request). */
static s64 create(struct file *f, u64 uarg, const struct bh_cs_new *n)
{
	static struct bh_part_create req;
	if (f->priv)
		return -EBUSY;
	if (n)
		req = n->part;
	else if (copy_from_user(&req, uarg, sizeof req))
		return -EFAULT;
	if (n && (n->type > BH_CS_CONTAINER || n->flags || req.memory >= BH_IMAGE_GPA - (32ull << 20)))
		return -EINVAL;
	if (sched_add_poller(vmhost_poll))
		return -ENOSPC;
	struct cs *c = kzalloc(sizeof *c);
	void *pages = page_alloc_run(BH_CHAN_PAGES);
	u8 *rb = page_alloc(), *q = n ? page_alloc_run(BH_CS_QUEUE / PAGE) : 0;
	s64 id = !c || !pages || !rb || (n && !q) ? -ENOMEM : hcall(BH_HC_PART_CREATE, v2p(&req), 0, 0, 0);
	if (id > 0) {
		/* The host's end is open and checked before the partition runs:
		 * from then on it may write anything to the shared pages. */
		chan_init(pages);
		s64 r = id >= BH_PART_MAX || chan_open(&c->ch, pages, 1) ? -EIO
			: hcall(BH_HC_PART_CHANNEL, (u64)id, v2p(pages), BH_CHAN_PAGES * PAGE, 0);
		if (!r)
			r = net_attach(c, &req); /* before it runs: its first frames find the port */
		if (!r && !n)
			r = hcall(BH_HC_PART_START, (u64)id, 0, 0, 0);
		if (r) {
			if (c->port)
				vswitch_port_free(c->port);
			hcall(BH_HC_PART_DESTROY, (u64)id, 0, 0, 0);
			id = r;
		}
	}
	if (id <= 0) {
		if (pages)
			page_free_run(pages, BH_CHAN_PAGES);
		if (rb)
			page_free(rb);
		if (q)
			page_free_run(q, BH_CS_QUEUE / PAGE);
		kfree(c);
		return id ? id : -EIO;
	}
	c->id = (u32)id;
	c->state = n ? BH_PART_CREATED : BH_PART_RUNNING;
	c->q = q;
	c->msgs = n != 0;
	c->refs = 1;
	c->uid = current->uid[1];
	c->worker = current->pid;
	c->memory = req.memory;
	c->created_ns = now_ns();
	c->chan_pages = pages;
	c->reply_buf = rb;
	memcpy(c->name, req.name, sizeof c->name);
	c->name[sizeof c->name - 1] = 0;
	memcpy(c->owner, current->comm, sizeof c->owner);
	if (n && n->owner[0])
		bh_snprintf(c->owner, sizeof c->owner, "%.15s", n->owner);
	c->type = n ? n->type : BH_CS_UTILITY;
	systems[id] = c;
	f->priv = c;
	return id;
}

/* The owner's last reference is gone: the partition goes with it. */
static void release(struct file *f)
{
	struct cs *c = f->priv;
	if (!c)
		return;
	hcall(BH_HC_PART_DESTROY, c->id, 0, 0, 0); /* hv maps the channel and the grants no more */
	systems[c->id] = 0;
	if (c->port)
		vswitch_port_free(c->port);
	c->port = 0;
	for (u32 i = 0; i < c->ngrants; i++)
		img_put(c->grants[i]);
	page_free_run(c->chan_pages, BH_CHAN_PAGES);
	if (running(c))
		set_state(c, BH_PART_STOPPED, "destroyed");
	wakeup(c);
	put(c);
}

/* ---- message mode (ctl.h, steps 2 to 5) ---- */

/* The file's data as of now, shared with earlier grants of the same version. */
static struct img *img_get(struct inode *i)
{
	for (struct img *m = images; m; m = m->next)
		if (m->ino == i->ino && m->size == i->size && m->mtime.sec == i->mtime.sec &&
		    m->mtime.nsec == i->mtime.nsec) {
			if (!m->refs++)
				spare_pages -= m->pages;
			return m;
		}
	struct img *m = kzalloc(sizeof *m);
	u64 pages = BH_ALIGN_UP(i->size, PAGE) / PAGE;
	if (!m || !(m->data = page_alloc_run(pages))) {
		kfree(m);
		return 0;
	}
	if (ramfs_read(i, m->data, i->size, 0) != (s64)i->size) {
		page_free_run(m->data, pages);
		kfree(m);
		return 0;
	}
	memset(m->data + i->size, 0, pages * PAGE - i->size);
	*m = (struct img){ images, i->ino, i->size, pages, i->mtime, m->data, 1 };
	images = m;
	return m;
}

static s64 grant(struct cs *c, u64 uarg)
{
	struct bh_grant g;
	if (copy_from_user(&g, uarg, sizeof g))
		return -EFAULT;
	struct file *fl = g.fd >= 0 ? fd_get(g.fd) : 0;
	if (!fl)
		return -EBADF;
	struct inode *i = fl->ino;
	if (c->state != BH_PART_CREATED)
		return -EBUSY;
	if ((fl->flags & 3) == O_WRONLY)
		return -EACCES;
	if (!i || !S_ISREG(i->mode) || (i->fops && i->fops != &ramfs_fops) || procfs_owns(i) || g.pad || g.offset % PAGE || g.offset > BH_IMAGE_MAX ||
	    i->size > BH_IMAGE_MAX - g.offset)
		return -EINVAL;
	if (!i->size)
		return 0;
	if (c->ngrants == BH_GRANTS_MAX)
		return -ENOSPC;
	struct img *m = img_get(i);
	if (!m)
		return -ENOMEM;
	s64 r = hcall(BH_HC_PART_GRANT_RO, c->id, v2p(m->data), m->pages * PAGE, BH_IMAGE_GPA + g.offset);
	if (r) {
		img_put(m);
		return r == BH_EEXIST ? -EEXIST : r == BH_ENOMEM ? -ENOMEM : -EINVAL;
	}
	c->grants[c->ngrants++] = m;
	return (s64)(m->pages * PAGE);
}

static s64 start(struct cs *c)
{
	if (c->state != BH_PART_CREATED)
		return -EBUSY;
	s64 r = hcall(BH_HC_PART_START, c->id, 0, 0, 0);
	if (r)
		return r == BH_ENOMEM ? -ENOMEM : -EIO;
	c->state = BH_PART_RUNNING;
	c->created_ns = now_ns();
	return 0;
}

static u32 q_free(const struct cs *c) { return BH_CS_QUEUE - (c->qhead - c->qtail); }

/* One queued message to the reader. */
static s64 read_msg(struct cs *c, struct file *f, u64 ubuf, u64 n)
{
	static u8 buf[sizeof(struct bh_msg) + BH_MSG_MAX];
	struct bh_msg m;
	while (c->qhead == c->qtail) {
		if (!running(c))
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (signal_pending())
			return -ERESTART;
		sleep_on(c);
	}
	q_copy(c, c->qtail, &m, sizeof m, 0);
	u64 len = sizeof m + m.len;
	if (n < len)
		return -EINVAL;
	q_copy(c, c->qtail, buf, (u32)len, 0);
	if (copy_to_user(ubuf, buf, len))
		return -EFAULT;
	c->qtail += (u32)len;
	if (running(c) && chan_ready(&c->ch) && q_free(c) >= sizeof m + BH_MSG_MAX)
		take(c);
	return (s64)len;
}

/* Does message m from the worker fit the rules (ctl.h step 4)?  0 or -EINVAL. */
static int check_out(const struct cs *c, const struct bh_msg *m)
{
	u16 h = m->seq;
	if (!h || h > BH_HANDLE_MAX)
		return -EINVAL;
	switch (m->type) {
	case BH_MSG_RUN:
	case BH_MSG_EXEC:
		return (m->arg & ~(s64)BH_SPEC_MORE) || c->handle[h] == H_LIVE ? -EINVAL : 0;
	case BH_MSG_STDIN:
		return m->len ? 0 : -EINVAL;
	case BH_MSG_STDIN_CLOSE:
		return m->len || m->arg ? -EINVAL : 0;
	case BH_MSG_RESIZE:
		return m->len || m->arg >> 32 || !(m->arg >> 16) || !(m->arg & 0xffff) ? -EINVAL : 0;
	case BH_MSG_SIGNAL:
		return m->len || m->arg < 1 || m->arg > BH_SIG_MAX ? -EINVAL : 0;
	}
	return -EINVAL;
}

static s64 write(struct file *f, u64 ubuf, u64 n)
{
	static u8 payload[BH_MSG_MAX];
	struct cs *c = f->priv;
	struct bh_msg m;
	if (!c || !c->msgs)
		return -ENOTCONN;
	if (n < sizeof m)
		return -EINVAL;
	if (copy_from_user(&m, ubuf, sizeof m))
		return -EFAULT;
	if (m.len > BH_MSG_MAX)
		return -E2BIG;
	if (n != sizeof m + m.len || check_out(c, &m))
		return -EINVAL;
	if (copy_from_user(payload, ubuf + sizeof m, m.len))
		return -EFAULT;
	for (;;) {
		if (!running(c))
			return -ESRCH;
		if ((m.type != BH_MSG_STDIN || c->stdin_out[m.seq] + m.len <= BH_STDIN_WINDOW) &&
		    chan_send(&c->ch, m.type, m.seq, m.arg, payload, m.len) == 0)
			break;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (signal_pending())
			return -EINTR;
		current->wake_tsc = rdtsc() + ns_to_tsc(10000000); /* the utility rings only after writing */
		sleep_on(c);
		current->wake_tsc = 0;
	}
	if (m.type == BH_MSG_STDIN)
		c->stdin_out[m.seq] += m.len;
	if (m.type == BH_MSG_RUN || m.type == BH_MSG_EXEC)
		c->handle[m.seq] = H_NAMED;
	hcall(BH_HC_NOTIFY, c->id, 0, 0, 0);
	return (s64)n;
}

static s64 read(struct file *f, u64 ubuf, u64 n)
{
	struct cs *c = f->priv;
	if (!c)
		return -EINVAL;
	c->worker = current->pid;
	if (c->msgs)
		return read_msg(c, f, ubuf, n);
	const char *p;
	while (!con_peek(&c->con, &p)) {
		if (!running(c))
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (signal_pending())
			return -ERESTART;
		sleep_on(c);
	}
	u64 done = 0;
	for (u32 k; done < n && (k = con_peek(&c->con, &p)); done += k) {
		if (k > n - done)
			k = (u32)(n - done);
		if (copy_to_user(ubuf + done, p, k))
			return done ? (s64)done : -EFAULT;
		con_take(&c->con, k);
	}
	return (s64)done;
}

static int poll(struct file *f)
{
	struct cs *c = f->priv;
	if (c && c->msgs)
		return (c->qhead != c->qtail || (!running(c) && c->state != BH_PART_CREATED) ? POLLIN : 0) |
		       (running(c) && chan_room(&c->ch) >= BH_MSG_SPACE(BH_MSG_MAX) ? POLLOUT : 0);
	return c && (c->con.head != c->con.tail || !running(c)) ? POLLIN : 0;
}

static int info(u32 id, struct bh_cs_info *o)
{
	static struct bh_part_info pi;
	if (id >= BH_PART_MAX || hcall(BH_HC_PART_QUERY, id, v2p(&pi), 0, 0))
		return -ENOENT;
	*o = (struct bh_cs_info){ .id = id, .role = pi.role, .state = pi.state, .memory = pi.ram_pages * PAGE,
				  .hv_bytes = pi.hv_pages * PAGE, .chan_bytes = pi.chan_pages * PAGE };
	memcpy(o->name, pi.name, sizeof o->name);
	memcpy(o->reason, pi.reason, sizeof o->reason);
	bh_snprintf(o->owner, sizeof o->owner, "%s", id ? "-" : "hv");
	struct cs *c = systems[id];
	if (!id)
		o->uptime_ns = now_ns();
	if (c) {
		memcpy(o->owner, c->owner, sizeof o->owner);
		o->type = c->type;
		o->worker = c->worker;
		o->uid = c->uid;
		o->con_dropped = c->con.dropped;
		o->uptime_ns = now_ns() - c->created_ns;
		if (!running(c)) {
			o->state = c->state;
			o->exit_status = c->exit_status;
			memcpy(o->reason, c->reason, sizeof o->reason);
		}
	}
	return 0;
}

static s64 list(const struct bh_ctl *a)
{
	static u32 ids[BH_PART_MAX];
	static struct bh_cs_info o;
	s64 n = hcall(BH_HC_PART_LIST, v2p(ids), BH_PART_MAX, 0, 0), k = 0;
	for (s64 i = 0; i < n && i < BH_PART_MAX && (u64)k < a->len; i++)
		if (!info(ids[i], &o) && copy_to_user(a->buf + (u64)k++ * sizeof o, &o, sizeof o))
			return -EFAULT;
	return k;
}

/* The control requests, to c: it stays allocated meanwhile (control()). */
static s64 control_cs(struct cs *c, u64 cmd, struct bh_ctl *a)
{
	static u8 payload[BH_MSG_MAX];
	s64 r;
	switch (cmd) {
	case BH_IOC_PING:
		if (a->len > BH_MSG_MAX)
			return -E2BIG;
		if (copy_from_user(payload, a->buf, a->len))
			return -EFAULT;
		r = request(c, BH_MSG_PING, a->arg, payload, (u32)a->len);
		if (r >= 0 && (c->reply.type != BH_MSG_PONG || c->reply.len != a->len || c->reply.arg != a->arg))
			return -EPROTO;
		return r >= 0 && copy_to_user(a->buf, c->reply_buf, a->len) ? -EFAULT : r;
	case BH_IOC_STATS:
		r = request(c, BH_MSG_STATS, 0, 0, 0);
		if (r >= 0 && c->reply.len != sizeof(struct bh_guest_stats))
			return -EPROTO;
		return r >= 0 && copy_to_user(a->buf, c->reply_buf, c->reply.len) ? -EFAULT : r < 0 ? r : 0;
	case BH_IOC_PS: {
		r = request(c, BH_MSG_PS, 0, 0, 0);
		u64 n = c->reply.len / sizeof(struct bh_guest_task);
		if (r < 0)
			return r;
		if (c->reply.len % sizeof(struct bh_guest_task))
			return -EPROTO;
		if (n > a->len)
			n = a->len;
		return copy_to_user(a->buf, c->reply_buf, n * sizeof(struct bh_guest_task)) ? -EFAULT : (s64)n;
	}
	case BH_IOC_SHUTDOWN:
		r = request(c, BH_MSG_SHUTDOWN, a->arg, 0, 0);
		return r < 0 ? r : c->exit_status;
	case BH_IOC_KILL:
		if (!running(c))
			return -ESRCH;
		r = hcall(BH_HC_PART_STOP, c->id, 0, 0, 0);
		if (!r)
			set_state(c, BH_PART_STOPPED, "killed by the host");
		wakeup(c);
		return r;
	}
	return -ENOTTY;
}

/* Who may send c control requests (ctl.h): a file that owns it, a caller
 * with its creator's effective uid, or uid 0 in the host's own root.  No
 * sandboxed task reaches hv at all (ioctl). */
static int may_control(const struct file *f, const struct cs *c)
{
	u32 euid = current->uid[1];
	return f->priv == c || euid == c->uid || (!euid && current->root == root_inode);
}

/* Only to partitions made here: they have a channel. */
static s64 control(struct file *f, u64 cmd, struct bh_ctl *a)
{
	static struct bh_part_info pi;
	struct cs *c = a->id < BH_PART_MAX ? systems[a->id] : 0;
	if (!c)
		return a->id < BH_PART_MAX && !hcall(BH_HC_PART_QUERY, a->id, v2p(&pi), 0, 0) ? -ENOTCONN : -ENOENT;
	if (!may_control(f, c))
		return -EPERM;
	c->refs++;
	s64 r = control_cs(c, cmd, a);
	put(c);
	return r;
}

static s64 ioctl(struct file *f, u64 cmd, u64 arg)
{
	struct bh_ctl a;
	static struct bh_cs_info o;
	if (current->sb != &sandbox_root)
		return -EPERM;
	static struct bh_cs_new req;
	if (cmd == BH_IOC_CREATE)
		return create(f, arg, 0);
	if (cmd == BH_IOC_NEW)
		return copy_from_user(&req, arg, sizeof req) ? -EFAULT : create(f, 0, &req);
	if (cmd == BH_IOC_GRANT || cmd == BH_IOC_START) {
		struct cs *c = f->priv;
		if (!c || !c->msgs)
			return -ENOTCONN;
		return cmd == BH_IOC_GRANT ? grant(c, arg) : start(c);
	}
	if (cmd == BH_IOC_HOST_STATS) {
		static struct bh_stats hv;
		int ok = hcall(BH_HC_STATS, v2p(&hv), sizeof hv, 0, 0) > 0;
		stats.tsc = rdtsc();
		stats.hv_pages_free = ok ? hv.pages_free : 0;
		stats.hv_idle_tsc = ok ? hv.idle_tsc : 0;
		return copy_to_user(arg, &stats, sizeof stats) ? -EFAULT : 0;
	}
	if (cmd < BH_IOC_LIST || cmd > BH_IOC_KILL)
		return -ENOTTY;
	if (copy_from_user(&a, arg, sizeof a))
		return -EFAULT;
	if (cmd == BH_IOC_LIST)
		return list(&a);
	if (cmd == BH_IOC_INFO) {
		int r = info(a.id, &o);
		return r ? r : copy_to_user(a.buf, &o, sizeof o) ? -EFAULT : 0;
	}
	return control(f, cmd, &a);
}

static const struct file_ops vmhost_fops = { .read = read, .write = write, .ioctl = ioctl, .poll = poll,
					    .release = release };

/* /dev/bulkhead and the doorbell; the poller comes with the first partition. */
void vmhost_init(void)
{
	devfs_register("bulkhead", 10, 240, &vmhost_fops, 0666); /* each call checks its caller (ctl.h) */
	irq_register(BH_VEC_CHANNEL, vmhost_irq);
}
