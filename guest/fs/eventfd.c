/*
 * Event files (guest ring 0): eventfd (a 64-bit counter; EFD_SEMAPHORE
 * reads one at a time), timerfd (expirations of a one-shot or periodic
 * timer on CLOCK_REALTIME or CLOCK_MONOTONIC, counted until read) and
 * signalfd (reads the caller's pending signals of a mask as
 * signalfd_siginfo).  Each is an anonymous inode's file whose poll op
 * says what read would find; their changes wake pollers and epoll.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "sys/sys.h"

int anon_file(const struct file_ops *ops, void *priv, u32 flags)
{
	struct inode *i = inode_new(0600);
	if (!i)
		return -ENOMEM;
	i->fops = ops;
	i->priv = priv;
	struct file *f = file_new(i, O_RDWR | (flags & O_NONBLOCK));
	iput(i);
	if (!f)
		return -ENOMEM;
	return fd_install(f, 0, (flags & O_CLOEXEC) != 0);
}

/* A reader waits for ready() (0: the call's result; -EAGAIN non-blocking,
 * -ERESTART on a signal) sleeping on chan until deadline (a TSC, 0: none). */
static int wait_ready(struct file *f, int (*ready)(struct file *f), const void *chan, u64 deadline)
{
	while (!ready(f)) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (signal_pending())
			return -ERESTART;
		current->wake_tsc = deadline;
		sleep_on(chan);
		current->wake_tsc = 0;
	}
	return 0;
}

/* ---- eventfd ---- */

#define EFD_SEMAPHORE 1
#define EVENTFD_MAX 0xfffffffffffffffeull

struct eventfd {
	u64 count;
	int semaphore;
};

static int efd_readable(struct file *f) { return ((struct eventfd *)f->ino->priv)->count != 0; }

static s64 efd_read(struct file *f, u64 ubuf, u64 n)
{
	struct eventfd *e = f->ino->priv;
	if (n < 8)
		return -EINVAL;
	int r = wait_ready(f, efd_readable, e, 0);
	if (r)
		return r;
	u64 v = e->semaphore ? 1 : e->count;
	if (copy_to_user(ubuf, &v, 8))
		return -EFAULT;
	e->count -= v;
	wakeup(e);
	return 8;
}

static s64 efd_write(struct file *f, u64 ubuf, u64 n)
{
	struct eventfd *e = f->ino->priv;
	u64 v;
	if (n < 8)
		return -EINVAL;
	if (copy_from_user(&v, ubuf, 8))
		return -EFAULT;
	if (v > EVENTFD_MAX)
		return -EINVAL;
	while (EVENTFD_MAX - e->count < v) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (signal_pending())
			return -ERESTART;
		sleep_on(e);
	}
	e->count += v;
	wakeup(e);
	return 8;
}

static int efd_poll(struct file *f)
{
	struct eventfd *e = f->ino->priv;
	return (e->count ? POLLIN : 0) | (e->count < EVENTFD_MAX ? POLLOUT : 0);
}

static void efd_release(struct file *f) { kfree(f->ino->priv); }

static const struct file_ops eventfd_fops = { .read = efd_read, .write = efd_write, .poll = efd_poll,
					      .release = efd_release };

s64 sys_eventfd2(u64 initval, u64 flags)
{
	if (flags & ~(u64)(O_CLOEXEC | O_NONBLOCK | EFD_SEMAPHORE) || initval > 0xffffffffull)
		return -EINVAL;
	struct eventfd *e = kzalloc(sizeof *e);
	if (!e)
		return -ENOMEM;
	e->count = initval;
	e->semaphore = flags & EFD_SEMAPHORE;
	int fd = anon_file(&eventfd_fops, e, (u32)flags);
	if (fd < 0)
		kfree(e);
	return fd;
}

s64 sys_eventfd(u64 initval) { return sys_eventfd2(initval, 0); }

/* ---- timerfd ---- */

#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET 2

struct timerfd {
	struct timerfd *next;     /* armed timers (the poller's list) */
	int realtime;             /* CLOCK_REALTIME, else monotonic */
	u64 deadline;             /* ns on its clock; 0: disarmed */
	u64 interval;             /* ns; 0: one-shot */
	u64 expired;              /* expirations not yet read */
};
static struct timerfd *armed;

static u64 clock_ns(int realtime)
{
	if (!realtime)
		return now_ns();
	struct timespec_k t;
	time_now(&t);
	return (u64)t.sec * 1000000000ull + (u64)t.nsec;
}

static void tfd_unarm(struct timerfd *t)
{
	for (struct timerfd **pp = &armed; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			return;
		}
}

/* Counts the expirations up to now; a one-shot timer then disarms. */
static void tfd_update(struct timerfd *t)
{
	u64 now = clock_ns(t->realtime);
	if (!t->deadline || now < t->deadline)
		return;
	u64 n = t->interval ? 1 + (now - t->deadline) / t->interval : 1;
	t->expired += n;
	t->deadline = t->interval ? t->deadline + n * t->interval : 0;
	if (!t->deadline)
		tfd_unarm(t);
}

/* The tick: timers that expired wake their readers and pollers. */
static void tfd_poller(void)
{
	for (struct timerfd *t = armed, *next; t; t = next) {
		next = t->next;
		u64 before = t->expired;
		tfd_update(t);
		if (t->expired != before)
			wakeup(t);
	}
}

static int tfd_readable(struct file *f)
{
	struct timerfd *t = f->ino->priv;
	tfd_update(t);
	return t->expired != 0;
}

static s64 tfd_read(struct file *f, u64 ubuf, u64 n)
{
	struct timerfd *t = f->ino->priv;
	if (n < 8)
		return -EINVAL;
	u64 now = clock_ns(t->realtime);
	u64 dl = t->deadline ? rdtsc() + ns_to_tsc(t->deadline > now ? t->deadline - now : 0) + 1 : 0;
	int r = wait_ready(f, tfd_readable, t, dl);
	if (r)
		return r;
	if (copy_to_user(ubuf, &t->expired, 8))
		return -EFAULT;
	t->expired = 0;
	return 8;
}

static int tfd_poll(struct file *f) { return tfd_readable(f) ? POLLIN : 0; }

static void tfd_release(struct file *f)
{
	tfd_unarm(f->ino->priv);
	kfree(f->ino->priv);
}

static const struct file_ops timerfd_fops = { .read = tfd_read, .poll = tfd_poll, .release = tfd_release };

s64 sys_timerfd_create(u64 clock, u64 flags)
{
	if ((clock != 0 && clock != 1 && clock != 7) || flags & ~(u64)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL; /* CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME */
	static int poller;
	if (!poller && sched_add_poller(tfd_poller))
		return -ENOMEM;
	poller = 1;
	struct timerfd *t = kzalloc(sizeof *t);
	if (!t)
		return -ENOMEM;
	t->realtime = clock == 0;
	int fd = anon_file(&timerfd_fops, t, (u32)flags);
	if (fd < 0)
		kfree(t);
	return fd;
}

static struct timerfd *timerfd_of(u64 fd, int *err)
{
	struct file *f = fd < NR_FDS ? fd_get((int)fd) : 0;
	*err = !f ? -EBADF : f->ops != &timerfd_fops ? -EINVAL : 0;
	return *err ? 0 : f->ino->priv;
}

/* struct itimerspec: interval, then value (what is left) */
static void tfd_value(struct timerfd *t, struct timespec_k v[2])
{
	u64 now = clock_ns(t->realtime), left = t->deadline > now ? t->deadline - now : t->deadline ? 1 : 0;
	v[0] = (struct timespec_k){ (s64)(t->interval / 1000000000ull), (s64)(t->interval % 1000000000ull) };
	v[1] = (struct timespec_k){ (s64)(left / 1000000000ull), (s64)(left % 1000000000ull) };
}

s64 sys_timerfd_gettime(u64 fd, u64 ucur)
{
	int err;
	struct timerfd *t = timerfd_of(fd, &err);
	if (!t)
		return err;
	struct timespec_k v[2];
	tfd_update(t);
	tfd_value(t, v);
	return copy_to_user(ucur, v, sizeof v) ? -EFAULT : 0;
}

s64 sys_timerfd_settime(u64 fd, u64 flags, u64 unew, u64 uold)
{
	int err;
	struct timerfd *t = timerfd_of(fd, &err);
	struct timespec_k v[2], old[2];
	if (!t)
		return err;
	if (flags & ~(u64)(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	if (copy_from_user(v, unew, sizeof v))
		return -EFAULT;
	for (int k = 0; k < 2; k++)
		if (v[k].sec < 0 || v[k].nsec < 0 || v[k].nsec > 999999999)
			return -EINVAL;
	tfd_update(t);
	tfd_value(t, old);
	if (uold && copy_to_user(uold, old, sizeof old))
		return -EFAULT;
	u64 value = (u64)v[1].sec * 1000000000ull + (u64)v[1].nsec, now = clock_ns(t->realtime);
	tfd_unarm(t);
	t->expired = 0;
	t->interval = (u64)v[0].sec * 1000000000ull + (u64)v[0].nsec;
	t->deadline = !value ? 0 : flags & TFD_TIMER_ABSTIME ? value : now + value;
	if (t->deadline) {
		t->next = armed;
		armed = t;
	}
	return 0;
}

/* ---- signalfd ---- */

#define SIGINFO_SIZE 128 /* struct signalfd_siginfo */

static u64 sfd_mask(struct file *f) { return (u64)f->ino->priv; }
static u64 sfd_pending(struct file *f)
{
	return (current->sigpending | current->leader->shared_pending) & sfd_mask(f);
}
static int sfd_readable(struct file *f) { return sfd_pending(f) != 0; }

static s64 sfd_read(struct file *f, u64 ubuf, u64 n)
{
	if (n < SIGINFO_SIZE)
		return -EINVAL;
	int r = wait_ready(f, sfd_readable, &current->leader->shared_pending, 0);
	if (r)
		return r;
	u64 done = 0;
	for (u64 p; done + SIGINFO_SIZE <= n && (p = sfd_pending(f)); done += SIGINFO_SIZE) {
		int sig = __builtin_ctzll(p) + 1;
		u8 info[SIGINFO_SIZE] = { 0 };
		memcpy(info, &sig, 4); /* ssi_signo; the sender is not recorded */
		if (copy_to_user(ubuf + done, info, sizeof info))
			return done ? (s64)done : -EFAULT;
		u64 bit = 1ull << (sig - 1);
		if (current->sigpending & bit)
			current->sigpending &= ~bit;
		else
			current->leader->shared_pending &= ~bit;
	}
	return (s64)done;
}

static int sfd_poll(struct file *f) { return sfd_readable(f) ? POLLIN : 0; }

static const struct file_ops signalfd_fops = { .read = sfd_read, .poll = sfd_poll };

s64 sys_signalfd4(u64 fd, u64 umask, u64 size, u64 flags)
{
	u64 mask;
	if (size != 8 || flags & ~(u64)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	if (copy_from_user(&mask, umask, 8))
		return -EFAULT;
	mask &= ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
	if ((int)fd == -1)
		return anon_file(&signalfd_fops, (void *)mask, (u32)flags);
	struct file *f = fd < NR_FDS ? fd_get((int)fd) : 0;
	if (!f)
		return -EBADF;
	if (f->ops != &signalfd_fops)
		return -EINVAL;
	f->ino->priv = (void *)mask;
	return (s64)fd;
}

s64 sys_signalfd(u64 fd, u64 umask, u64 size) { return sys_signalfd4(fd, umask, size, 0); }
