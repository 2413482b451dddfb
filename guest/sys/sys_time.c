/*
 * Time and waiting syscalls (guest ring 0): clocks, nanosleep, alarm,
 * pause, times, and poll/select over any file's poll op.  Pollers sleep
 * until any wakeup (sleep_on_any), with a timed wake-up.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "sys/sys.h"


static void ns_to_ts(u64 ns, struct timespec_k *t)
{
	t->sec = (s64)(ns / 1000000000ull);
	t->nsec = (s64)(ns % 1000000000ull);
}

s64 sys_clock_gettime(u64 clk, u64 uts)
{
	struct timespec_k t;
	if (clk == 0 || clk == 5)
		time_now(&t);
	else if (clk == 1 || clk == 4 || clk == 6 || clk == 7)
		ns_to_ts(now_ns(), &t);
	else if (clk == 2 || clk == 3)
		ns_to_ts(current->utime * 10000000ull, &t);
	else
		return -EINVAL;
	return copy_to_user(uts, &t, sizeof t) ? -EFAULT : 0;
}

s64 sys_clock_getres(u64 clk, u64 uts)
{
	struct timespec_k t = { 0, 1 };
	if (clk > 7)
		return -EINVAL;
	return uts && copy_to_user(uts, &t, sizeof t) ? -EFAULT : 0;
}

s64 sys_gettimeofday(u64 utv, u64 utz)
{
	struct timespec_k t;
	time_now(&t);
	s64 tv[2] = { t.sec, t.nsec / 1000 };
	if (utv && copy_to_user(utv, tv, sizeof tv))
		return -EFAULT;
	if (utz && clear_user(utz, 8))
		return -EFAULT;
	return 0;
}

s64 sys_time(u64 ut)
{
	struct timespec_k t;
	time_now(&t);
	if (ut && copy_to_user(ut, &t.sec, 8))
		return -EFAULT;
	return t.sec;
}

/* Sleeps until the TSC passes deadline (0: forever) or a signal comes. */
static int sleep_until(u64 deadline)
{
	while (!deadline || rdtsc() < deadline) {
		if (signal_pending()) {
			current->wake_tsc = 0;
			return -EINTR;
		}
		current->wake_tsc = deadline;
		sleep_on(&current->wake_tsc);
	}
	current->wake_tsc = 0;
	return 0;
}

static s64 do_nanosleep(u64 ureq, u64 urem, int abs_realtime)
{
	struct timespec_k req;
	if (copy_from_user(&req, ureq, sizeof req))
		return -EFAULT;
	if (req.sec < 0 || req.nsec < 0 || req.nsec > 999999999)
		return -EINVAL;
	u64 ns = (u64)req.sec * 1000000000ull + (u64)req.nsec;
	if (abs_realtime) {
		struct timespec_k now;
		time_now(&now);
		u64 n = (u64)now.sec * 1000000000ull + (u64)now.nsec;
		ns = ns > n ? ns - n : 0;
	}
	u64 start = rdtsc(), deadline = start + ns_to_tsc(ns);
	int r = sleep_until(deadline ? deadline : 1);
	if (r && urem) {
		u64 now = rdtsc();
		struct timespec_k rem;
		ns_to_ts(deadline > now ? tsc_to_ns(deadline - now) : 0, &rem);
		if (copy_to_user(urem, &rem, sizeof rem))
			return -EFAULT;
	}
	return r;
}

s64 sys_nanosleep(u64 req, u64 rem) { return do_nanosleep(req, rem, 0); }

s64 sys_clock_nanosleep(u64 clk, u64 flags, u64 req, u64 rem)
{
	if (clk > 7)
		return -EINVAL;
	return do_nanosleep(req, flags & 1 ? 0 : rem, (flags & 1) && (clk == 0 || clk == 5));
}

s64 sys_pause(void)
{
	sleep_until(0);
	return -EINTR;
}

s64 sys_sched_yield(void)
{
	schedule();
	return 0;
}

s64 sys_alarm(u64 secs)
{
	u64 now = rdtsc(), left = 0;
	if (current->leader->alarm_tsc > now)
		left = (current->leader->alarm_tsc - now + boot_info->tsc_hz - 1) / boot_info->tsc_hz;
	current->leader->alarm_tsc = secs ? now + secs * boot_info->tsc_hz : 0;
	current->leader->alarm_interval = 0;
	return (s64)left;
}

/* setitimer/getitimer: ITIMER_REAL on the alarm clock, with its interval. */
s64 sys_getitimer(u64 which, u64 uold)
{
	if (which > 2)
		return -EINVAL;
	s64 v[4] = { 0 };
	u64 now = rdtsc();
	if (which == 0) {
		struct task *l = current->leader; /* the alarm is the process's */
		u64 iv = tsc_to_ns(l->alarm_interval) / 1000, left = l->alarm_tsc > now ? tsc_to_ns(l->alarm_tsc - now) / 1000 : 0;
		v[0] = (s64)(iv / 1000000), v[1] = (s64)(iv % 1000000);
		v[2] = (s64)(left / 1000000), v[3] = (s64)(left % 1000000);
		if (l->alarm_tsc && !left)
			v[3] = 1;
	}
	return copy_to_user(uold, v, sizeof v) ? -EFAULT : 0;
}

s64 sys_setitimer(u64 which, u64 unew, u64 uold)
{
	s64 v[4];
	if (which > 2)
		return -EINVAL;
	if (uold && sys_getitimer(which, uold))
		return -EFAULT;
	if (!unew)
		return 0;
	if (copy_from_user(v, unew, sizeof v))
		return -EFAULT;
	if (v[0] < 0 || v[1] < 0 || v[1] > 999999 || v[2] < 0 || v[3] < 0 || v[3] > 999999)
		return -EINVAL;
	if (which != 0)
		return 0; /* virtual and profiling timers never fire */
	u64 value = (u64)v[2] * 1000000000ull + (u64)v[3] * 1000ull;
	current->leader->alarm_interval = ns_to_tsc((u64)v[0] * 1000000000ull + (u64)v[1] * 1000ull);
	current->leader->alarm_tsc = value ? rdtsc() + ns_to_tsc(value) : 0;
	return 0;
}

s64 sys_times(u64 ubuf)
{
	u64 t[4] = { current->utime, 0, current->stime, 0 };
	if (ubuf && copy_to_user(ubuf, t, sizeof t))
		return -EFAULT;
	return (s64)(now_ns() / 10000000ull);
}

/* ---- poll and select ---- */

static int file_ready(struct file *f)
{
	return f->ops->poll ? f->ops->poll(f) : POLLIN | POLLOUT;
}

static s64 do_poll(u64 ufds, u64 nfds, u64 deadline)
{
	if (nfds > NR_FDS * 4)
		return -EINVAL;
	struct pollfd_k *p = kmalloc(nfds * sizeof *p + 1);
	if (!p)
		return -ENOMEM;
	if (copy_from_user(p, ufds, nfds * sizeof *p)) {
		kfree(p);
		return -EFAULT;
	}
	s64 n;
	for (;;) {
		n = 0;
		for (u64 i = 0; i < nfds; i++) {
			p[i].revents = 0;
			if (p[i].fd < 0)
				continue;
			struct file *f = fd_get(p[i].fd);
			int ready = f ? file_ready(f) : POLLNVAL;
			p[i].revents = (short)(ready & (p[i].events | POLLERR | POLLHUP | POLLNVAL));
			if (p[i].revents)
				n++;
		}
		if (n || (deadline && rdtsc() >= deadline))
			break;
		if (signal_pending()) {
			n = -ERESTART;
			break;
		}
		current->wake_tsc = deadline == ~0ull ? 0 : deadline;
		sleep_on_any();
		current->wake_tsc = 0;
	}
	if (n >= 0 && copy_to_user(ufds, p, nfds * sizeof *p))
		n = -EFAULT;
	kfree(p);
	return n;
}

static u64 deadline_ms(s64 ms) { return ms < 0 ? ~0ull : rdtsc() + ns_to_tsc((u64)ms * 1000000ull) + 1; }

static u64 deadline_ts(u64 uts, int *err)
{
	struct timespec_k t;
	*err = 0;
	if (!uts)
		return ~0ull;
	if (copy_from_user(&t, uts, sizeof t)) {
		*err = -EFAULT;
		return 0;
	}
	if (t.sec < 0 || t.nsec < 0 || t.nsec > 999999999) {
		*err = -EINVAL;
		return 0;
	}
	return rdtsc() + ns_to_tsc((u64)t.sec * 1000000000ull + (u64)t.nsec) + 1;
}

s64 sys_poll(u64 ufds, u64 nfds, u64 ms)
{
	s64 r = do_poll(ufds, nfds, deadline_ms((int)ms));
	return r == -ERESTART ? -EINTR : r;
}

s64 sys_ppoll(u64 ufds, u64 nfds, u64 uts, u64 umask)
{
	int err;
	u64 d = deadline_ts(uts, &err);
	if (err)
		return err;
	u64 old = current->sigmask, m;
	if (umask) {
		if (copy_from_user(&m, umask, 8))
			return -EFAULT;
		current->sigmask = m;
	}
	s64 r = do_poll(ufds, nfds, d);
	current->sigmask = old;
	return r == -ERESTART ? -EINTR : r;
}

static s64 do_select(u64 nfds, u64 urd, u64 uwr, u64 uex, u64 deadline)
{
	u64 in[3][NR_FDS / 64], out[3][NR_FDS / 64];
	u64 us[3] = { urd, uwr, uex };
	if (nfds > NR_FDS)
		nfds = NR_FDS;
	u64 bytes = (nfds + 63) / 64 * 8;
	memset(in, 0, sizeof in);
	for (int k = 0; k < 3; k++)
		if (us[k] && copy_from_user(in[k], us[k], bytes))
			return -EFAULT;
	s64 n;
	for (;;) {
		n = 0;
		memset(out, 0, sizeof out);
		for (u64 fd = 0; fd < nfds; fd++) {
			u64 bit = 1ull << (fd % 64);
			if (!((in[0][fd / 64] | in[1][fd / 64] | in[2][fd / 64]) & bit))
				continue;
			struct file *f = fd_get((int)fd);
			if (!f)
				return -EBADF;
			int r = file_ready(f);
			if ((in[0][fd / 64] & bit) && (r & (POLLIN | POLLHUP | POLLERR)))
				out[0][fd / 64] |= bit, n++;
			if ((in[1][fd / 64] & bit) && (r & (POLLOUT | POLLERR)))
				out[1][fd / 64] |= bit, n++;
		}
		if (n || (deadline && rdtsc() >= deadline))
			break;
		if (signal_pending())
			return -EINTR;
		current->wake_tsc = deadline == ~0ull ? 0 : deadline;
		sleep_on_any();
		current->wake_tsc = 0;
	}
	for (int k = 0; k < 3; k++)
		if (us[k] && copy_to_user(us[k], out[k], bytes))
			return -EFAULT;
	return n;
}

s64 sys_select(u64 nfds, u64 rd, u64 wr, u64 ex, u64 utv)
{
	u64 d = ~0ull;
	if (utv) {
		s64 tv[2];
		if (copy_from_user(tv, utv, sizeof tv))
			return -EFAULT;
		if (tv[0] < 0 || tv[1] < 0)
			return -EINVAL;
		d = rdtsc() + ns_to_tsc((u64)tv[0] * 1000000000ull + (u64)tv[1] * 1000ull) + 1;
	}
	return do_select(nfds, rd, wr, ex, d);
}

s64 sys_pselect6(u64 nfds, u64 rd, u64 wr, u64 ex, u64 uts)
{
	int err;
	u64 d = deadline_ts(uts, &err);
	return err ? err : do_select(nfds, rd, wr, ex, d);
}
