/*
 * Futexes (guest ring 0): a waiter sleeps on its own queue entry until a
 * wake of its key and bitset, its timeout, or a signal.  A key is the
 * word's address in the caller's address space with FUTEX_PRIVATE_FLAG,
 * else its physical address (every process mapping the page agrees; pages
 * do not move); the two kinds never meet, as in Linux.  The ends of a
 * thread: its robust list (owner died) and clear_tid (join).
 */
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "sys/sys.h"

struct futex_q {
	struct futex_q *next;
	const void *mm;               /* the address space, or NULL for a physical key */
	u64 addr;
	u32 bitset;
	int woken;
};
static struct futex_q *queue;     /* every waiter, oldest first */

struct fkey {
	const void *mm;
	u64 addr;
};

/* The key of the u32 at uaddr, read into *val: 0, -EINVAL (misaligned) or -EFAULT. */
static int futex_key(u64 uaddr, int priv, struct fkey *k, u32 *val)
{
	if (uaddr & 3)
		return -EINVAL;
	if (!user_ok(uaddr, 4) || copy_from_user(val, uaddr, 4))
		return -EFAULT;
	u64 *pte = vm_pte(current->mm->pml4, uaddr, 0);
	if (!pte || !(*pte & PTE_P))
		return -EFAULT;
	if (priv)
		*k = (struct fkey){ current->mm, uaddr };
	else
		*k = (struct fkey){ 0, (*pte & PTE_ADDR) | (uaddr & (PAGE - 1)) };
	return 0;
}

static void unlink_q(struct futex_q *q)
{
	for (struct futex_q **pp = &queue; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			return;
		}
}

/* Wakes up to n (at least one) waiters of k whose bitset meets bits; their count. */
static int wake_key(struct fkey k, int n, u32 bits)
{
	int woken = 0;
	for (struct futex_q **pp = &queue, *q; (q = *pp);) {
		if (q->mm != k.mm || q->addr != k.addr || !(q->bitset & bits)) {
			pp = &q->next;
			continue;
		}
		*pp = q->next;
		q->woken = 1;
		wakeup(q);
		if (++woken >= n)
			break;
	}
	return woken;
}

s64 futex_wake(u64 uaddr, int priv, int n, u32 bitset)
{
	struct fkey k;
	u32 v;
	int r = futex_key(uaddr, priv, &k, &v);
	return r ? r : wake_key(k, n, bitset);
}

/* Waits while the word is val: until woken (0), deadline (a TSC, 0 = none:
 * -ETIMEDOUT) or a signal (the call restarts, or EINTR). */
static s64 futex_wait(u64 uaddr, int priv, u32 val, u64 deadline, u32 bitset)
{
	struct fkey k;
	u32 v;
	int r = futex_key(uaddr, priv, &k, &v);
	if (r)
		return r;
	if (v != val)
		return -EAGAIN;
	struct futex_q q = { 0, k.mm, k.addr, bitset, 0 }, **pp = &queue;
	while (*pp)
		pp = &(*pp)->next;
	*pp = &q;
	s64 res = 0;
	while (!q.woken) {
		if (deadline && rdtsc() >= deadline) {
			res = -ETIMEDOUT;
			break;
		}
		if (signal_pending()) {
			res = -ERESTART;
			break;
		}
		current->wake_tsc = deadline;
		sleep_on(&q);
	}
	current->wake_tsc = 0;
	if (!q.woken)
		unlink_q(&q);
	return q.woken ? 0 : res;
}

/* The TSC at which a wait gives up: a relative timespec, or an absolute one
 * on CLOCK_MONOTONIC or (realtime) CLOCK_REALTIME.  0 with *err 0: none. */
static u64 futex_deadline(u64 uts, int absolute, int realtime, int *err)
{
	struct timespec_k ts, now;
	*err = 0;
	if (!uts)
		return 0;
	if (copy_from_user(&ts, uts, sizeof ts)) {
		*err = -EFAULT;
		return 0;
	}
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec > 999999999) {
		*err = -EINVAL;
		return 0;
	}
	u64 ns = (u64)ts.sec * 1000000000ull + (u64)ts.nsec;
	if (absolute) {
		u64 n = now_ns();
		if (realtime) {
			time_now(&now);
			n = (u64)now.sec * 1000000000ull + (u64)now.nsec;
		}
		ns = ns > n ? ns - n : 0;
	}
	return rdtsc() + ns_to_tsc(ns) + 1;
}

/* Moves waiters of from to to, after waking n_wake: Linux's REQUEUE and
 * CMP_REQUEUE (which first checks the word against cmp).  The count of
 * waiters woken and moved. */
static s64 futex_requeue(u64 uaddr, u64 uaddr2, int priv, int n_wake, int n_move, int check, u32 cmp)
{
	struct fkey k, k2;
	u32 v, v2;
	int r = futex_key(uaddr, priv, &k, &v);
	if (!r)
		r = futex_key(uaddr2, priv, &k2, &v2);
	if (r)
		return r;
	if (n_wake < 0 || n_move < 0)
		return -EINVAL;
	if (check && v != cmp)
		return -EAGAIN;
	int done = 0;
	for (struct futex_q *q = queue, *next; q; q = next) {
		next = q->next;
		if (q->mm != k.mm || q->addr != k.addr)
			continue;
		if (done < n_wake) {
			unlink_q(q);
			q->woken = 1;
			wakeup(q);
		} else if (done < n_wake + n_move) {
			q->mm = k2.mm;
			q->addr = k2.addr;
		} else {
			break;
		}
		done++;
	}
	return done;
}

s64 sys_futex(u64 uaddr, u64 op, u64 val, u64 utime, u64 uaddr2, u64 val3)
{
	int priv = (op & FUTEX_PRIVATE_FLAG) != 0, realtime = (op & FUTEX_CLOCK_REALTIME) != 0, err;
	u32 cmd = (u32)op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
		return -ENOSYS;
	u64 deadline;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (cmd == FUTEX_WAIT_BITSET && !(u32)val3)
			return -EINVAL;
		deadline = futex_deadline(utime, cmd == FUTEX_WAIT_BITSET, realtime, &err);
		return err ? err : futex_wait(uaddr, priv, (u32)val, deadline, cmd == FUTEX_WAIT ? ~0u : (u32)val3);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (cmd == FUTEX_WAKE_BITSET && !(u32)val3)
			return -EINVAL;
		return futex_wake(uaddr, priv, (int)val, cmd == FUTEX_WAKE ? ~0u : (u32)val3);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(uaddr, uaddr2, priv, (int)val, (int)utime, cmd == FUTEX_CMP_REQUEUE, (u32)val3);
	}
	return -ENOSYS;
}

/* The robust list head (struct robust_list_head): next, futex_offset, list_op_pending. */
#define ROBUST_HEAD 24
#define ROBUST_MAX 2048 /* entries walked at exit, as Linux's limit */

s64 sys_set_robust_list(u64 head, u64 len)
{
	if (len != ROBUST_HEAD)
		return -EINVAL;
	current->robust_list = head;
	return 0;
}

s64 sys_get_robust_list(u64 pid, u64 uhead, u64 ulen)
{
	struct task *t = pid ? task_find((int)pid) : current;
	u64 len = ROBUST_HEAD;
	if (!t)
		return -ESRCH;
	if (copy_to_user(uhead, &t->robust_list, 8) || copy_to_user(ulen, &len, 8))
		return -EFAULT;
	return 0;
}

/* A robust futex t held: marked FUTEX_OWNER_DIED, one waiter woken. */
static void owner_died(struct task *t, u64 uaddr)
{
	u32 v;
	if (uaddr & 3 || copy_from_user(&v, uaddr, 4) || (v & FUTEX_TID_MASK) != (u32)t->pid)
		return;
	u32 nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
	if (copy_to_user(uaddr, &nv, 4) == 0 && (v & FUTEX_WAITERS))
		futex_wake(uaddr, 0, 1, ~0u);
}

void futex_exit(struct task *t)
{
	u64 head = t->robust_list, h[3];
	t->robust_list = 0;
	if (head && !copy_from_user(h, head, sizeof h)) {
		u64 e = h[0] & ~1ull, pending = h[2] & ~1ull;
		for (int n = 0; e != head && n < ROBUST_MAX; n++) {
			u64 next;
			if (copy_from_user(&next, e, 8))
				break;
			if (e != pending)
				owner_died(t, e + h[1]);
			e = next & ~1ull;
		}
		if (pending)
			owner_died(t, pending + h[1]);
	}
	if (t->clear_tid && t->mm && t->mm->refs > 1) { /* pthread_join waits on it */
		u32 zero = 0;
		if (!copy_to_user(t->clear_tid, &zero, 4))
			futex_wake(t->clear_tid, 0, 1, ~0u);
	}
	t->clear_tid = 0;
}
