/*
 * epoll (guest ring 0): an interest list of (descriptor, file) items, each
 * asked through its file's poll op whenever epoll_wait looks, as poll(2)
 * does; the waiter sleeps until any wakeup.  Level-triggered items report
 * while ready; edge-triggered ones (EPOLLET) when a ready bit appears that
 * the last look did not see, or when ready after a syscall used the file
 * since (a read that drained it, then more data): never fewer edges than
 * Linux.  EPOLLONESHOT disables an item once reported until EPOLL_CTL_MOD.
 * An item goes when its file's last reference does (file_put calls
 * epoll_forget), as Linux's do, not when its descriptor is closed while a
 * dup keeps the file.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "sys/sys.h"

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP (1u << 29)
#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)
#define EP_MAX_EVENTS (0x7fffffff / 12)

struct epoll_event_k {
	u32 events;
	u64 data;
} __attribute__((packed));

struct epitem {
	struct epitem *next;          /* in its epoll's list, in order of adding */
	struct epitem *file_next;     /* among the items watching its file */
	struct epoll *ep;
	struct file *file;            /* not referenced: the item goes with it */
	int fd;
	u32 events;
	u64 data;
	u32 seen;                     /* EPOLLET: the ready bits of the last look */
	int disabled;                 /* EPOLLONESHOT: reported, until MOD */
};

struct epoll {
	struct epitem *items;
};

static void item_free(struct epitem *it)
{
	for (struct epitem **pp = &it->ep->items; *pp; pp = &(*pp)->next)
		if (*pp == it) {
			*pp = it->next;
			break;
		}
	for (struct epitem **pp = &it->file->ep_items; *pp; pp = &(*pp)->file_next)
		if (*pp == it) {
			*pp = it->file_next;
			break;
		}
	kfree(it);
}

void epoll_touch(struct file *f)
{
	for (struct epitem *it = f->ep_items; it; it = it->file_next)
		it->seen = 0;
}

void epoll_forget(struct file *f)
{
	while (f->ep_items)
		item_free(f->ep_items);
}

static u32 item_ready(struct epitem *it);

/* An epoll file is readable when one of its items would be reported; one
 * inside another is asked so too, a few levels deep at most. */
static int ep_poll(struct file *f)
{
	static int depth;
	struct epoll *ep = f->ino->priv;
	int r = 0;
	if (depth > 4)
		return 0;
	depth++;
	for (struct epitem *it = ep->items; it && !r; it = it->next)
		if (!it->disabled && (item_ready(it) & (it->events | POLLERR | POLLHUP)))
			r = POLLIN;
	depth--;
	return r;
}

static void ep_release(struct file *f)
{
	struct epoll *ep = f->ino->priv;
	while (ep->items)
		item_free(ep->items);
	kfree(ep);
}

static const struct file_ops epoll_fops = { .poll = ep_poll, .release = ep_release };

static u32 item_ready(struct epitem *it)
{
	return (u32)it->file->ops->poll(it->file);
}

s64 sys_epoll_create1(u64 flags)
{
	if (flags & ~(u64)O_CLOEXEC)
		return -EINVAL;
	struct epoll *ep = kzalloc(sizeof *ep);
	if (!ep)
		return -ENOMEM;
	int fd = anon_file(&epoll_fops, ep, (u32)flags);
	if (fd < 0)
		kfree(ep);
	return fd;
}

s64 sys_epoll_create(u64 size) { return (int)size <= 0 ? -EINVAL : sys_epoll_create1(0); }

static struct epoll *epoll_of(u64 fd, int *err)
{
	struct file *f = fd < NR_FDS ? fd_get((int)fd) : 0;
	*err = !f ? -EBADF : f->ops != &epoll_fops ? -EINVAL : 0;
	return *err ? 0 : f->ino->priv;
}


/* Whether watching ep from inside f's epoll (or deeper) would close a loop. */
static int ep_reaches(struct epoll *from, struct epoll *to, int depth)
{
	if (from == to)
		return 1;
	for (struct epitem *it = from->items; it && depth < 5; it = it->next)
		if (it->file->ops == &epoll_fops && ep_reaches(it->file->ino->priv, to, depth + 1))
			return 1;
	return depth >= 5;
}

s64 sys_epoll_ctl(u64 epfd, u64 op, u64 fd, u64 uevent)
{
	struct epoll_event_k ev = { 0, 0 };
	if (op != EPOLL_CTL_DEL && copy_from_user(&ev, uevent, sizeof ev))
		return -EFAULT; /* checked in Linux's order */
	struct file *ef = epfd < NR_FDS ? fd_get((int)epfd) : 0, *f = fd < NR_FDS ? fd_get((int)fd) : 0;
	if (!ef || !f)
		return -EBADF;
	if (!f->ops->poll || ((S_ISREG(f->ino->mode) || S_ISDIR(f->ino->mode)) && !f->ino->fops))
		return -EPERM; /* files of ramfs and procfs are always ready: Linux refuses them */
	if (ef->ops != &epoll_fops || f == ef)
		return -EINVAL;
	struct epoll *ep = ef->ino->priv;
	struct epitem *it = ep->items;
	while (it && (it->file != f || it->fd != (int)fd))
		it = it->next;
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it)
			return -EEXIST;
		if (f->ops == &epoll_fops && ep_reaches(f->ino->priv, ep, 0))
			return -ELOOP;
		if (!(it = kzalloc(sizeof *it)))
			return -ENOMEM;
		*it = (struct epitem){ 0, f->ep_items, ep, f, (int)fd, ev.events, ev.data, 0, 0 };
		f->ep_items = it;
		struct epitem **pp = &ep->items;
		while (*pp)
			pp = &(*pp)->next;
		*pp = it;
		return 0;
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		if ((ev.events | it->events) & EPOLLEXCLUSIVE)
			return -EINVAL;
		it->events = ev.events;
		it->data = ev.data;
		it->seen = 0;
		it->disabled = 0;
		return 0;
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		item_free(it);
		return 0;
	}
	return -EINVAL;
}

/* One look over the items: up to max (at most 64) reports into ev; their
 * count.  Reported items go to the end of the list, so none starves. */
static int ep_scan(struct epoll *ep, struct epoll_event_k *ev, int max)
{
	struct epitem *rep[64];
	int n = 0;
	for (struct epitem *it = ep->items; it && n < max; it = it->next) {
		if (it->disabled)
			continue;
		u32 r = item_ready(it) & (it->events | POLLERR | POLLHUP), fresh = r & ~it->seen;
		it->seen = r;
		if (!r || ((it->events & EPOLLET) && !fresh))
			continue;
		rep[n] = it;
		ev[n++] = (struct epoll_event_k){ r, it->data };
		if (it->events & EPOLLONESHOT)
			it->disabled = 1;
	}
	for (int k = 0; k < n; k++) {
		struct epitem **pp = &ep->items;
		while (*pp != rep[k])
			pp = &(*pp)->next;
		*pp = rep[k]->next;
		while (*pp)
			pp = &(*pp)->next;
		*pp = rep[k];
		rep[k]->next = 0;
	}
	return n;
}

static s64 ep_wait(u64 epfd, u64 uevents, u64 max, s64 ms)
{
	int err;
	struct epoll *ep = epoll_of(epfd, &err);
	if ((int)max <= 0 || (int)max > EP_MAX_EVENTS)
		return -EINVAL;
	if (!ep)
		return err;
	if (!user_ok(uevents, max * sizeof(struct epoll_event_k)))
		return -EFAULT;
	int cap = (int)max < 64 ? (int)max : 64;
	struct epoll_event_k ev[64];
	u64 deadline = ms < 0 ? 0 : rdtsc() + ns_to_tsc((u64)ms * 1000000ull) + 1;
	for (;;) {
		int n = ep_scan(ep, ev, cap);
		if (n)
			return copy_to_user(uevents, ev, (u64)n * sizeof ev[0]) ? -EFAULT : n;
		if (ms == 0 || (deadline && rdtsc() >= deadline))
			return 0;
		if (signal_pending())
			return -EINTR;
		current->wake_tsc = deadline;
		sleep_on_any();
		current->wake_tsc = 0;
	}
}

s64 sys_epoll_wait(u64 epfd, u64 uevents, u64 max, u64 ms) { return ep_wait(epfd, uevents, max, (int)ms); }

/* epoll_pwait: the mask holds during the wait and, when a signal ends it,
 * during its handler (deliver_signals restores the old one, as after
 * rt_sigsuspend). */
s64 sys_epoll_pwait(u64 epfd, u64 uevents, u64 max, u64 ms, u64 umask, u64 size)
{
	struct task *t = current;
	u64 m, old = t->sigmask;
	if (umask) {
		if (size != 8)
			return -EINVAL;
		if (copy_from_user(&m, umask, 8))
			return -EFAULT;
		t->sigmask = m & ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
	}
	s64 r = ep_wait(epfd, uevents, max, (int)ms);
	if (umask && r == -EINTR) {
		t->suspend_mask = old;
		t->suspended = 1;
	} else {
		t->sigmask = old;
	}
	return r;
}
