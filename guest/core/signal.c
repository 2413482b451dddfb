/*
 * Signals (guest ring 0): pending and blocked sets per task, default
 * actions, and delivery on the way back to user mode through a Linux
 * x86-64 rt_sigframe (ucontext with sigcontext and fxsave state, siginfo)
 * that rt_sigreturn unwinds.  Interrupted syscalls restart under
 * SA_RESTART or fail with EINTR.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "sys/sys.h"

#define BIT(s) (1ull << ((s) - 1))
#define UNBLOCKABLE (BIT(SIGKILL) | BIT(SIGSTOP))

#define STOPS (BIT(SIGSTOP) | BIT(SIGTSTP) | BIT(SIGTTIN) | BIT(SIGTTOU))

/* A process stopped or went on: its parent gets SIGCHLD (unless it asked
 * for SA_NOCLDSTOP) and a sleeping wait4 looks again. */
static void tell_parent(struct task *l)
{
	struct task *p = l->parent;
	if (!p)
		return;
	if (!(p->sighand->sa[SIGCHLD].flags & SA_NOCLDSTOP))
		send_signal(p, SIGCHLD);
	wakeup(p);
}

/* A sleeping or stopped task that may take sig goes on (its sleep is cut:
 * the caller re-checks its condition). */
static void signal_wake(struct task *t, int sig)
{
	if (t->state == T_STOPPED && sig == SIGKILL)
		t->state = T_RUNNABLE;
	if (t->state == T_SLEEPING && ((BIT(sig) & ~t->sigmask) || sig == SIGKILL))
		t->state = T_RUNNABLE;
}

/* A stop signal cancels a pending SIGCONT and SIGCONT cancels pending stops;
 * SIGCONT resumes every thread of a stopped process and SIGKILL ends them. */
void send_signal(struct task *t, int sig)
{
	if (!t || sig <= 0 || sig >= NSIG)
		return;
	struct task *l = t->leader;
	if (!l->live)
		return;
	u64 cancel = BIT(sig) & STOPS ? BIT(SIGCONT) : sig == SIGCONT ? STOPS : 0;
	int resumed = 0;
	l->shared_pending = (l->shared_pending & ~cancel) | BIT(sig);
	wakeup(&l->shared_pending); /* signalfd readers */
	for (struct task *x = task_list; x; x = x->next) {
		if (x->leader != l || x->state == T_ZOMBIE)
			continue;
		x->sigpending &= ~cancel;
		if (sig == SIGCONT && x->state == T_STOPPED) {
			x->state = T_RUNNABLE;
			resumed = 1;
		}
		if (sig == SIGKILL || sig == SIGCONT)
			signal_wake(x, sig);
	}
	if (resumed) {
		l->stop_unseen = 0;
		l->cont_unseen = 1;
		tell_parent(l);
	}
	if (sig == SIGKILL || sig == SIGCONT)
		return;
	/* one thread that does not block it wakes: t if it can */
	struct task *w = t->state != T_ZOMBIE && !(t->sigmask & BIT(sig)) ? t : 0;
	for (struct task *x = task_list; x && !w; x = x->next)
		if (x->leader == l && x->state != T_ZOMBIE && !(x->sigmask & BIT(sig)))
			w = x;
	if (w)
		signal_wake(w, sig);
}

void send_signal_thread(struct task *t, int sig)
{
	if (!t || sig <= 0 || sig >= NSIG || t->state == T_ZOMBIE)
		return;
	if (sig == SIGKILL || sig == SIGCONT || (BIT(sig) & STOPS)) {
		send_signal(t, sig); /* these act on the whole process */
		return;
	}
	t->sigpending |= BIT(sig);
	signal_wake(t, sig);
	wakeup(&t->leader->shared_pending); /* signalfd readers */
}

/* A stop signal's default action, on the way back to user mode: every
 * thread of the process stays off the run queue until SIGCONT or SIGKILL. */
static void stop_task(struct task *t, int sig)
{
	struct task *l = t->leader;
	for (struct task *x = task_list; x; x = x->next)
		if (x->leader == l && x->state != T_ZOMBIE)
			x->state = T_STOPPED;
	l->stop_sig = sig;
	l->stop_unseen = 1;
	l->cont_unseen = 0;
	tell_parent(l);
	schedule();
}

int kill_pgrp(int pgid, int sig)
{
	int n = 0;
	for (struct task *t = task_list; t; t = t->next)
		if (t->pgid == pgid && t->leader == t && t->live) {
			send_signal(t, sig);
			n++;
		}
	return n ? 0 : -ESRCH;
}

static int default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH || sig == SIGSTOP ||
	       sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static int dumps_core(int sig)
{
	return sig == SIGQUIT || sig == SIGILL || sig == SIGTRAP || sig == SIGABRT || sig == SIGBUS ||
	       sig == SIGFPE || sig == SIGSEGV;
}

/* rt_sigsuspend keeps the mask to restore in its task while it waits. */
static u64 saved_mask_of(struct task *t)
{
	if (t->suspended) {
		t->suspended = 0;
		return t->suspend_mask;
	}
	return t->sigmask;
}

/* Whether sp is on t's alternate signal stack. */
static int on_altstack(const struct task *t, u64 sp)
{
	return !(t->altstack.flags & SS_DISABLE) && sp - t->altstack.sp < t->altstack.size;
}

static int setup_frame(struct trap_frame *f, int sig, struct ksigaction *sa, u64 oldmask)
{
	struct task *t = current;
	u64 sp = f->rsp - 128; /* red zone */
	if ((sa->flags & SA_ONSTACK) && !(t->altstack.flags & SS_DISABLE) && !on_altstack(t, f->rsp))
		sp = t->altstack.sp + t->altstack.size;
	sp = BH_ALIGN_DOWN(sp - 512, 64);
	u64 fp = sp;
	u8 fx[512] __attribute__((aligned(16)));
	__asm__ volatile("fxsave64 %0" : "=m"(fx));
	if (copy_to_user(fp, fx, sizeof fx))
		return -1;
	sp = BH_ALIGN_DOWN(sp - sizeof(struct rt_sigframe), 16) - 8;
	struct rt_sigframe fr;
	memset(&fr, 0, sizeof fr);
	fr.pretcode = sa->restorer;
	struct sigcontext_k *m = &fr.uc.mc;
	*m = (struct sigcontext_k){ f->r8, f->r9, f->r10, f->r11, f->r12, f->r13, f->r14, f->r15, f->rdi, f->rsi,
				    f->rbp, f->rbx, f->rdx, f->rax, f->rcx, f->rsp, f->rip, f->rflags,
				    SEL_UCODE, 0, 0, SEL_UDATA, 0, 0, oldmask, 0, fp, { 0 } };
	fr.uc.sigmask = oldmask;
	fr.uc.ss_sp = t->altstack.sp;
	fr.uc.ss_flags = t->altstack.flags;
	fr.uc.ss_size = t->altstack.size;
	fr.info.signo = sig;
	if (copy_to_user(sp, &fr, sizeof fr))
		return -1;
	f->rsp = sp;
	f->rip = sa->handler;
	f->rdi = (u64)sig;
	f->rsi = sp + __builtin_offsetof(struct rt_sigframe, info);
	f->rdx = sp + __builtin_offsetof(struct rt_sigframe, uc);
	f->rax = 0;
	f->rflags &= ~(RFLAGS_TF | RFLAGS_DF);
	__asm__ volatile("fninit; fxrstor64 %0" : : "m"(idle_task.fx));
	return 0;
}

void deliver_signals(struct trap_frame *f)
{
	struct task *t = current;
	int restart = f->vector == 0x80 && (s64)f->rax == -ERESTART;
	for (;;) {
		struct task *l = t->leader;
		u64 ready = (t->sigpending | l->shared_pending) & ~(t->sigmask & ~UNBLOCKABLE);
		if (!ready)
			break;
		int sig = __builtin_ctzll(ready) + 1;
		if (t->sigpending & BIT(sig)) /* the thread's own first */
			t->sigpending &= ~BIT(sig);
		else
			l->shared_pending &= ~BIT(sig);
		struct ksigaction *sa = &t->sighand->sa[sig];
		if ((BIT(sig) & STOPS) && sa->handler == SIG_DFL && l->pid != 1) {
			stop_task(t, sig);
			continue;
		}
		if (sig != SIGKILL && (sa->handler == SIG_IGN || (sa->handler == SIG_DFL && default_ignored(sig))))
			continue;
		if (sig == SIGKILL || sa->handler == SIG_DFL)
			do_exit(sig | (dumps_core(sig) ? 0x80 : 0));
		if (restart) {
			f->vector = 0;
			if (sa->flags & SA_RESTART) {
				f->rax = f->error;
				f->rip -= 2;
			} else {
				f->rax = (u64)-EINTR;
			}
		}
		u64 oldmask = saved_mask_of(t);
		if (setup_frame(f, sig, sa, oldmask)) {
			t->sighand->sa[SIGSEGV].handler = SIG_DFL;
			do_exit(SIGSEGV | 0x80);
		}
		t->sigmask |= sa->mask | (sa->flags & SA_NODEFER ? 0 : BIT(sig));
		t->sigmask &= ~UNBLOCKABLE;
		if (sa->flags & SA_RESETHAND)
			sa->handler = SIG_DFL;
		return;
	}
	if (restart) { /* nothing to run: the call starts again */
		f->vector = 0;
		f->rax = f->error;
		f->rip -= 2;
	}
	if (t->suspended) {
		t->sigmask = t->suspend_mask;
		t->suspended = 0;
	}
}

s64 sys_rt_sigreturn(void)
{
	struct trap_frame *f = current->frame;
	struct rt_sigframe fr;
	u64 sp = f->rsp - 8;
	if (copy_from_user(&fr, sp, sizeof fr)) {
		do_exit(SIGSEGV | 0x80);
	}
	struct sigcontext_k *m = &fr.uc.mc;
	f->r8 = m->r8, f->r9 = m->r9, f->r10 = m->r10, f->r11 = m->r11, f->r12 = m->r12, f->r13 = m->r13;
	f->r14 = m->r14, f->r15 = m->r15, f->rdi = m->rdi, f->rsi = m->rsi, f->rbp = m->rbp, f->rbx = m->rbx;
	f->rdx = m->rdx, f->rax = m->rax, f->rcx = m->rcx, f->rsp = m->rsp, f->rip = m->rip;
	f->rflags = (f->rflags & ~0xdd5ull) | (m->eflags & 0xdd5ull) | RFLAGS_IF;
	f->cs = SEL_UCODE;
	f->ss = SEL_UDATA;
	f->vector = 0;
	current->sigmask = fr.uc.sigmask & ~UNBLOCKABLE;
	u8 fx[512] __attribute__((aligned(16)));
	if (m->fpstate && !copy_from_user(fx, m->fpstate, sizeof fx)) {
		u32 mxcsr;
		memcpy(&mxcsr, fx + 24, 4);
		mxcsr &= 0xffff;
		memcpy(fx + 24, &mxcsr, 4);
		memset(fx + 28, 0, 4); /* mxcsr_mask is read-only */
		__asm__ volatile("fxrstor64 %0" : : "m"(fx));
	}
	return (s64)f->rax;
}

s64 sys_rt_sigaction(u64 sig, u64 act, u64 oact, u64 size)
{
	if (sig < 1 || sig >= NSIG || size != 8)
		return -EINVAL;
	struct ksigaction n, *cur = &current->sighand->sa[sig];
	if (act && copy_from_user(&n, act, sizeof n))
		return -EFAULT;
	if (oact && copy_to_user(oact, cur, sizeof *cur))
		return -EFAULT;
	if (act) {
		if (sig == SIGKILL || sig == SIGSTOP)
			return -EINVAL;
		n.mask &= ~UNBLOCKABLE;
		*cur = n;
		if (n.handler == SIG_IGN) {
			for (struct task *x = task_list; x; x = x->next)
				if (x->sighand == current->sighand)
					x->sigpending &= ~BIT(sig);
			current->leader->shared_pending &= ~BIT(sig);
		}
	}
	return 0;
}

s64 sys_rt_sigprocmask(u64 how, u64 set, u64 oset, u64 size)
{
	u64 n, old = current->sigmask;
	if (size != 8)
		return -EINVAL;
	if (set && copy_from_user(&n, set, 8))
		return -EFAULT;
	if (set) {
		if (how == 0)
			current->sigmask |= n;
		else if (how == 1)
			current->sigmask &= ~n;
		else if (how == 2)
			current->sigmask = n;
		else
			return -EINVAL;
		current->sigmask &= ~UNBLOCKABLE;
	}
	if (oset && copy_to_user(oset, &old, 8))
		return -EFAULT;
	return 0;
}

s64 sys_rt_sigsuspend(u64 uset, u64 size)
{
	u64 n;
	if (size != 8)
		return -EINVAL;
	if (copy_from_user(&n, uset, 8))
		return -EFAULT;
	current->suspended = 1;
	current->suspend_mask = current->sigmask;
	current->sigmask = n & ~UNBLOCKABLE;
	while (!signal_pending())
		sleep_on(&current->suspended);
	return -EINTR;
}

s64 sys_rt_sigpending(u64 uset, u64 size)
{
	u64 p = (current->sigpending | current->leader->shared_pending) & current->sigmask;
	if (size != 8)
		return -EINVAL;
	return copy_to_user(uset, &p, 8) ? -EFAULT : 0;
}

s64 sys_kill(u64 upid, u64 sig)
{
	int pid = (int)upid;
	if (sig >= NSIG)
		return -EINVAL;
	if (pid > 0) {
		struct task *t = task_find(pid);
		if (!t)
			return -ESRCH;
		send_signal(t, (int)sig);
		return 0;
	}
	/* a group (0: ours), or -1: everyone but init and us; of the tasks our sandbox sees */
	int pgid = pid == 0 ? current->pgid : -pid, n = 0;
	for (struct task *t = task_list; t; t = t->next)
		if (t->leader == t && t->live && sandbox_sees(current, t) &&
		    (pid == -1 ? t->pid > 1 && t != current->leader : t->pgid == pgid)) {
			send_signal(t, (int)sig);
			n++;
		}
	return n ? 0 : -ESRCH;
}

/* A fault's signal cannot be ignored or blocked: it then kills. */
void force_signal(struct task *t, int sig)
{
	if (t->sighand->sa[sig].handler == SIG_IGN || (t->sigmask & BIT(sig))) {
		t->sighand->sa[sig].handler = SIG_DFL;
		t->sigmask &= ~BIT(sig);
	}
	send_signal_thread(t, sig);
}

/* tkill(tid, sig) and tgkill(tgid, tid, sig): to one thread (tgid, when
 * given, its process); signal 0 checks only. */
static s64 kill_thread(int tgid, int tid, u64 sig)
{
	if (tid <= 0 || sig >= NSIG)
		return -EINVAL;
	struct task *t = task_find(tid);
	if (!t || (tgid && t->leader->pid != tgid))
		return -ESRCH;
	send_signal_thread(t, (int)sig);
	return 0;
}

s64 sys_tkill(u64 tid, u64 sig) { return kill_thread(0, (int)tid, sig); }
s64 sys_tgkill(u64 tgid, u64 tid, u64 sig) { return (int)tgid <= 0 ? -EINVAL : kill_thread((int)tgid, (int)tid, sig); }

/* sigaltstack(2): per thread; it cannot change while the thread runs on it. */
s64 sys_sigaltstack(u64 uss, u64 uoss)
{
	struct task *t = current;
	struct stack_k n, old = t->altstack;
	u64 sp = t->frame->rsp;
	old.flags = on_altstack(t, sp) ? SS_ONSTACK : t->altstack.flags & SS_DISABLE;
	if (old.flags & SS_DISABLE)
		old.sp = old.size = 0;
	if (uss) {
		if (copy_from_user(&n, uss, sizeof n))
			return -EFAULT;
		if (on_altstack(t, sp))
			return -EPERM;
		u32 mode = n.flags & ~(1u << 31); /* SS_AUTODISARM is accepted */
		if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
			return -EINVAL;
		if (mode == SS_DISABLE)
			n = (struct stack_k){ 0, SS_DISABLE, 0, 0 };
		else if (n.size < MINSIGSTKSZ)
			return -ENOMEM;
		else
			n.flags = 0;
		t->altstack = n;
	}
	if (uoss && copy_to_user(uoss, &old, sizeof old))
		return -EFAULT;
	return 0;
}
