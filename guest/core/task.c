/*
 * Tasks and the scheduler (guest ring 0): round robin over runnable tasks,
 * preempted by the timer tick on the way back to user mode; sleeping on a
 * channel and waking it; clone (fork, vfork sharing the address space until
 * exec or exit, and threads: CLONE_VM, FS, FILES, SIGHAND, THREAD), exit of
 * a thread and of a whole process, and wait4 with zombies.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"

struct task *current, *task_list, idle_task;
int need_resched;
int heartbeat; /* "heartbeat" on the kernel command line: a line every 5 s */
static int next_pid = 1;
static int nr_tasks; /* in task_list, zombies too */
static int dead_threads; /* exited threads (not leaders) not yet freed */
static struct sighand idle_sighand;
static void reap(struct task *z);

void sched_init(void)
{
	memcpy(idle_task.comm, "idle", 5);
	idle_task.sb = &sandbox_root;
	idle_task.leader = &idle_task;
	idle_task.sighand = &idle_sighand;
	current = &idle_task;
	__asm__ volatile("fninit; fxsave64 %0" : "=m"(idle_task.fx));
}

/* With sandboxes, the CPU goes by weight: among runnable tasks only those
 * of the sandbox with the least vtime (ticks run, scaled by 1024 / its
 * weight) are picked, round robin.  A sandbox back from sleep starts at most
 * VTIME_SLACK behind the least vtime seen, so it cannot bank idle time. */
#define VTIME_SLACK (4 * 1024)
static u64 vtime_min;

static u64 least_vtime(void)
{
	u64 m = ~0ull;
	for (struct task *t = task_list; t; t = t->next) {
		struct sandbox *sb = t->sb;
		if (t->state != T_RUNNABLE)
			continue;
		if (sb->vtime + VTIME_SLACK < vtime_min)
			sb->vtime = vtime_min - VTIME_SLACK;
		if (sb->vtime < m)
			m = sb->vtime;
	}
	if (m != ~0ull && m > vtime_min)
		vtime_min = m;
	return m;
}

/* Round robin from the task after current over runnable tasks (weigh: of
 * vtime at most m); made twice, so that without sandboxes nothing is weighed. */
static inline __attribute__((always_inline)) struct task *round_robin(int weigh, u64 m)
{
	struct task *start = current->next ? current->next : task_list; /* idle's next stays NULL */
	for (struct task *t = start; t; t = t->next)
		if (t->state == T_RUNNABLE && (!weigh || t->sb->vtime <= m))
			return t;
	for (struct task *t = task_list; t && t != start; t = t->next)
		if (t->state == T_RUNNABLE && (!weigh || t->sb->vtime <= m))
			return t;
	return &idle_task;
}

static struct task *pick_next(void) { return sandboxes ? round_robin(1, least_vtime()) : round_robin(0, 0); }

void schedule(void)
{
	struct task *prev = current, *next = pick_next();
	need_resched = 0;
	if (next == prev)
		return;
	__asm__ volatile("fxsave64 %0" : "=m"(prev->fx));
	current = next;
	vm_switch(next->mm ? next->mm->pml4 : kernel_pml4);
	if (next->kstack)
		set_kernel_stack((u64)next->kstack + KSTACK_SIZE);
	set_fs_base(next->fs_base);
	switch_to(&prev->ksp, next->ksp);
	__asm__ volatile("fxrstor64 %0" : : "m"(current->fx));
	if (dead_threads) /* off their kernel stacks now */
		for (struct task *t = task_list, *n; t; t = n) {
			n = t->next;
			if (t->autoreap && t != current)
				reap(t);
		}
}

void sleep_on(const void *chan)
{
	current->state = T_SLEEPING;
	current->chan = chan;
	schedule();
	current->chan = 0;
}

/* What sleep_on_any sleeps on: every wakeup wakes it too. */
static const char any_event;

void wakeup(const void *chan)
{
	for (struct task *t = task_list; t; t = t->next)
		if (t->state == T_SLEEPING && (t->chan == chan || t->chan == &any_event))
			t->state = T_RUNNABLE;
}

void sleep_on_any(void) { sleep_on(&any_event); }

int signal_pending(void)
{
	return ((current->sigpending | current->leader->shared_pending) & ~current->sigmask) != 0;
}

/* Work drivers register (the tty's UART input, the host driver's deferred
 * channel work, timerfd expiries), polled with the rest below. */
static void (*pollers[8])(void);

int sched_add_poller(void (*fn)(void))
{
	for (u32 i = 0; i < BH_ARRAY_SIZE(pollers); i++)
		if (!pollers[i] || pollers[i] == fn) {
			pollers[i] = fn;
			return 0;
		}
	return -ENOSPC;
}

/* Registered pollers, timed wake-ups and alarms: from the tick and the
 * idle loop. */
static void sched_poll(void)
{
	u64 now = rdtsc();
	for (u32 i = 0; i < BH_ARRAY_SIZE(pollers) && pollers[i]; i++)
		pollers[i]();
	for (struct task *t = task_list; t; t = t->next) {
		if (t->state == T_SLEEPING && t->wake_tsc && now >= t->wake_tsc)
			t->state = T_RUNNABLE;
		if (t->alarm_tsc && now >= t->alarm_tsc) {
			t->alarm_tsc = t->alarm_interval ? now + t->alarm_interval : 0;
			send_signal(t, SIGALRM);
		}
	}
}

void sched_tick(void)
{
	if (!current) /* no processes: the monitor runs alone */
		return;
	if (current != &idle_task) {
		current->utime++;
		current->sb->vtime += current->sb->vtime_step;
	} else
		idle_task.utime++;
	need_resched = 1;
	if (heartbeat && ticks % (timer_hz * 5) == 0) {
		int n = 0, r = 0;
		for (struct task *t = task_list; t; t = t->next, n++)
			r += t->state == T_RUNNABLE;
		kprintf("guest: hb %llu: %d tasks, %d runnable, current %d\n", ticks, n, r, current->pid);
	}
	sched_poll();
}

/* Opens interrupts for one instruction, then halts until the next one
 * (interrupts off again on return).  An interrupt taken in that window
 * returns past the HLT (trap_handler), so what it made ready (a doorbell's
 * message, with no tick to come in an idle utility partition) is looked at
 * before the CPU sleeps. */
__asm__(".text\n.globl idle_halt, idle_halt_hlt\nidle_halt:\n\tsti\n\tnop\n"
	"idle_halt_hlt:\n\thlt\n\tcli\n\tret\n");

void idle_loop(void)
{
	for (;;) {
		sched_poll();
		struct task *t = pick_next();
		if (t != &idle_task)
			schedule();
		else {
			/* The deadline is set again and interrupts are open for one
			 * instruction before the halt: a tick hv has already queued
			 * is taken then, never held across the HLT (where hv would
			 * not count it as a reason to wake us). */
			timer_rearm();
			idle_halt();
		}
	}
}

/* A live task by thread id; a leader gone before its threads still names the process. */
static struct task *task_by_pid(int pid)
{
	for (struct task *t = task_list; t; t = t->next)
		if (t->pid == pid && (t->state != T_ZOMBIE || (t->leader == t && t->live)))
			return t;
	return 0;
}

struct task *task_find(int pid)
{
	struct task *t = task_by_pid(pid);
	return t && sandbox_sees(current, t) ? t : 0;
}

/* A new task whose kernel stack returns to user mode through `ret`. */
static struct task *task_alloc(void (*ret)(void))
{
	struct task *t = kzalloc(sizeof *t);
	u8 *ks = t ? kmalloc(KSTACK_SIZE) : 0;
	if (!ks) {
		kfree(t);
		return 0;
	}
	t->kstack = ks;
	t->frame = (struct trap_frame *)(ks + KSTACK_SIZE) - 1;
	u64 *sp = (u64 *)t->frame;
	*--sp = (u64)ret;
	for (int i = 0; i < 6; i++)
		*--sp = 0;
	t->ksp = (u64)sp;
	t->pid = next_pid++;
	t->start_tsc = rdtsc();
	t->leader = t;
	t->live = 1;
	t->fs_id = t->pid;
	t->altstack.flags = SS_DISABLE;
	return t;
}

static void task_link(struct task *t)
{
	struct task **pp = &task_list;
	while (*pp)
		pp = &(*pp)->next;
	*pp = t;
	t->state = T_RUNNABLE;
	nr_tasks++;
	t->sb->tasks++;
	t->sb->last_pid = t->pid;
}

static char *init_path;
static void (*init_exit)(int status);

void sched_on_init_exit(void (*fn)(int status)) { init_exit = fn; }
static __attribute__((used)) void init_first_run(struct trap_frame *f)
{
	static char *argv[2], *envp[] = { "HOME=/", "PATH=/sbin:/bin:/usr/sbin:/usr/bin", "TERM=vt100", 0 };
	argv[0] = init_path;
	__asm__ volatile("fxrstor64 %0" : : "m"(current->fx));
	int r = do_execve(init_path, argv, envp);
	if (r) {
		kprintf("guest: cannot run %s: error %d\n", init_path, r);
		do_exit(127 << 8);
	}
	user_return(f);
}
void init_ret(void);
__asm__(".text\ninit_ret:\n\tmov %rsp, %rdi\n\tcall init_first_run\n\tjmp trap_return\n");

/* A new session leader in the root sandbox, / its root and cwd, not yet linked. */
static struct task *root_task(void (*ret)(void))
{
	struct task *t = task_alloc(ret);
	if (!t)
		return 0;
	t->pgid = t->sid = t->pid;
	t->mm = mm_new();
	t->files = fdtable_new();
	t->sighand = kzalloc(sizeof *t->sighand);
	t->sighand->refs = 1;
	if (!sandbox_root.root) {
		sandbox_root.root = root_inode;
		iget(root_inode);
	}
	t->sb = &sandbox_root;
	sandbox_get(t->sb);
	t->cwd = t->root = t->sb->root;
	iget(t->root);
	iget(t->root);
	t->umask = 022;
	memcpy(t->fx, idle_task.fx, sizeof t->fx);
	return t;
}

int task_spawn_init(const char *path)
{
	struct task *t = root_task(init_ret);
	if (!t)
		return -ENOMEM;
	init_path = (char *)path;
	memcpy(t->comm, "init", 5);
	struct file *con;
	current = t; /* lookups and fd_install work on current */
	if (vfs_open(AT_FDCWD, "/dev/console", O_RDWR, 0, &con) == 0) {
		fd_install(con, 0, 0);
		file_get(con);
		fd_install(con, 1, 0);
		file_get(con);
		fd_install(con, 2, 0);
	}
	current = &idle_task;
	task_link(t);
	return t->pid;
}

static __attribute__((used)) void spawn_first_run(struct trap_frame *f)
{
	__asm__ volatile("fxrstor64 %0" : : "m"(current->fx));
	current->kaccess = 1;
	int status = current->kstart(current->karg);
	current->kaccess = 0;
	if (status)
		do_exit(status);
	user_return(f);
}
void spawn_ret(void);
__asm__(".text\nspawn_ret:\n\tmov %rsp, %rdi\n\tcall spawn_first_run\n\tjmp trap_return\n");

int task_spawn(int (*start)(void *arg), void *arg)
{
	struct task *t = root_task(spawn_ret);
	if (!t)
		return -ENOMEM;
	t->kstart = start;
	t->karg = arg;
	memcpy(t->comm, "spawn", 6);
	task_link(t);
	return t->pid;
}

int task_collect(int pid, int *status)
{
	for (struct task *t = task_list; t; t = t->next)
		if (t->pid == pid && !t->parent) {
			if (t->state != T_ZOMBIE)
				return 0;
			*status = t->exit_code;
			reap(t);
			return 1;
		}
	return -ESRCH;
}

int task_count(void)
{
	if (current->sb == &sandbox_root)
		return nr_tasks;
	int n = 0;
	for (struct task *t = task_list; t; t = t->next)
		n += t->sb == current->sb;
	return n;
}

#define MAX_TASKS 512

static void task_free(struct task *t)
{
	kfree(t->kstack);
	kfree(t);
	next_pid--;
}

/* clone(2): flags as Linux checks them (a thread shares handlers, handlers
 * share memory); the low byte, the exit signal, is always SIGCHLD here. */
s64 do_fork(u64 flags, u64 newsp, u64 ptid, u64 ctid, u64 tls)
{
	if (((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND)) || ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM)))
		return -EINVAL;
	struct task *p = current, *pl = p->leader;
	if (nr_tasks >= MAX_TASKS || sandbox_full(p->sb))
		return -EAGAIN;
	if (!(flags & CLONE_VM) && sandbox_pages_over(p->sb, p->mm->pages))
		return -ENOMEM; /* fork copies the memory */
	struct task *t = task_alloc(fork_ret);
	if (!t)
		return -ENOMEM;
	if (flags & CLONE_SIGHAND) {
		t->sighand = p->sighand;
	} else if ((t->sighand = kmalloc(sizeof *t->sighand))) {
		*t->sighand = *p->sighand;
		t->sighand->refs = 0;
	} else {
		task_free(t);
		return -ENOMEM;
	}
	if (flags & CLONE_VM) {
		t->mm = p->mm;
		p->mm->refs++;
	} else if (!(t->mm = mm_copy(p->mm))) {
		kfree(t->sighand); /* a copy: CLONE_SIGHAND needs CLONE_VM */
		task_free(t);
		return -ENOMEM;
	}
	t->sighand->refs++;
	if (flags & CLONE_FILES) {
		t->files = p->files;
		p->files->refs++;
	} else {
		t->files = fdtable_copy(p->files);
	}
	t->cwd = p->cwd;
	t->root = p->root;
	iget(t->cwd);
	iget(t->root);
	if (flags & CLONE_FS)
		t->fs_id = p->fs_id;
	t->sb = p->sb;
	sandbox_get(t->sb);
	t->umask = p->umask;
	memcpy(t->uid, p->uid, sizeof t->uid);
	memcpy(t->gid, p->gid, sizeof t->gid);
	t->sigmask = p->sigmask;
	if (flags & CLONE_THREAD) { /* one more thread of p's process */
		t->leader = pl;
		t->live = 0;
		pl->live++;
	} else {
		t->parent = flags & CLONE_PARENT ? pl->parent : pl;
	}
	if (!(flags & CLONE_VM) || (flags & CLONE_VFORK))
		t->altstack = p->altstack; /* a new thread starts without one */
	t->pgid = p->pgid;
	t->sid = p->sid;
	t->fs_base = flags & CLONE_SETTLS ? tls : p->fs_base;
	memcpy(t->comm, p->comm, sizeof t->comm);
	__asm__ volatile("fxsave64 %0" : "=m"(p->fx));
	memcpy(t->fx, p->fx, sizeof t->fx);
	*t->frame = *p->frame;
	t->frame->rax = 0;
	if (newsp)
		t->frame->rsp = newsp;
	if (flags & CLONE_PARENT_SETTID)
		copy_to_user(ptid, &t->pid, 4);
	if (flags & CLONE_CHILD_SETTID) { /* in the child's memory */
		vm_switch(t->mm->pml4);
		copy_to_user(ctid, &t->pid, 4);
		vm_switch(p->mm->pml4);
	}
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_tid = ctid;
	int pid = t->pid;
	task_link(t);
	if (flags & CLONE_VFORK) {
		t->vfork_parent = p;
		while (!t->vfork_done)
			sleep_on(t);
	}
	return pid;
}

/* The vfork parent may go on once the child has its own memory or is gone. */
void vfork_release(struct task *t)
{
	if (t->vfork_parent) {
		t->vfork_done = 1;
		t->vfork_parent = 0;
		wakeup(t);
	}
}

/* The last thread of l's process has gone: its children get their
 * PR_SET_PDEATHSIG signal and go to init, its parent may wait for it. */
static void group_dead(struct task *l)
{
	struct task *init = task_by_pid(1);
	for (struct task *c = task_list; c; c = c->next)
		if (c->parent == l) {
			c->parent = init != l ? init : 0;
			if (c->pdeath_sig)
				send_signal(c, c->pdeath_sig);
		}
	if (init && init != l)
		wakeup(init);
	if (l->pid == 1 && init_exit)
		init_exit(l->exit_code);
	if (l->parent) {
		send_signal(l->parent, SIGCHLD);
		wakeup(l->parent);
	}
}

void thread_exit(int status)
{
	struct task *t = current, *l = t->leader;
	fd_drop_holds(); /* the syscall that ends here never returns */
	futex_exit(t);
	if (t->files)
		fdtable_put(t->files);
	t->files = 0;
	iput(t->cwd);
	iput(t->root);
	vfork_release(t);
	vm_switch(kernel_pml4);
	mm_put(t->mm);
	t->mm = 0;
	t->state = T_ZOMBIE;
	if (t != l) {
		t->autoreap = 1;
		dead_threads++;
	}
	if (!l->group_exit) /* as Linux: the last thread's status is the process's */
		l->exit_code = status;
	if (--l->live == 0) {
		l->alarm_tsc = 0; /* the process's */
		group_dead(l);
	}
	else if (l->execer)
		wakeup(&l->execer);
	schedule();
	for (;;)
		;
}

/* The first to end the process sets its status and kills the other threads. */
void do_exit(int status)
{
	struct task *l = current->leader;
	if (!l->group_exit && !l->execer) {
		l->group_exit = 1;
		l->exit_code = status;
		for (struct task *x = task_list; x; x = x->next)
			if (x->leader == l && x != current && x->state != T_ZOMBIE) {
				x->sigpending |= 1ull << (SIGKILL - 1);
				x->state = T_RUNNABLE;
			}
	}
	thread_exit(status);
}

/* execve in a process with other threads: they end (each as if by SIGKILL,
 * the process going on); a thread other than the leader takes its place
 * and its pid. */
int exec_end_threads(void)
{
	struct task *t = current, *l = t->leader;
	if (l->live == 1 && t == l)
		return 0;
	if (l->execer || l->group_exit)
		return -EINTR; /* another thread is ending the process */
	l->execer = t;
	for (struct task *x = task_list; x; x = x->next)
		if (x->leader == l && x != t && x->state != T_ZOMBIE) {
			x->sigpending |= 1ull << (SIGKILL - 1);
			x->state = T_RUNNABLE;
		}
	while (l->live > 1)
		sleep_on(&l->execer);
	l->execer = 0;
	if (t == l)
		return 0;
	/* t becomes the leader: the pid, parent, group and pending signals of l */
	int tid = t->pid;
	t->pid = l->pid, l->pid = tid;
	t->parent = l->parent, l->parent = 0;
	t->pgid = l->pgid, t->sid = l->sid;
	t->shared_pending = l->shared_pending;
	t->start_tsc = l->start_tsc;
	for (struct task *x = task_list; x; x = x->next) {
		if (x->parent == l)
			x->parent = t;
		if (x->leader == l)
			x->leader = t;
	}
	t->live = 1;
	l->live = 0;
	l->autoreap = 1;
	dead_threads++;
	return 0;
}

/* chdir and chroot reach every task of current's fs_id; umask too. */
void fs_set(int root, struct inode *i)
{
	for (struct task *t = task_list; t; t = t->next)
		if (t->fs_id == current->fs_id && t->state != T_ZOMBIE) {
			struct inode **w = root ? &t->root : &t->cwd;
			iget(i);
			iput(*w);
			*w = i;
		}
	iput(i);
}

void fs_set_umask(u32 mask)
{
	for (struct task *t = task_list; t; t = t->next)
		if (t->fs_id == current->fs_id && t->state != T_ZOMBIE)
			t->umask = mask;
}

static void reap(struct task *z)
{
	for (struct task **pp = &task_list; *pp; pp = &(*pp)->next)
		if (*pp == z) {
			*pp = z->next;
			break;
		}
	nr_tasks--;
	dead_threads -= z->autoreap;
	z->sb->tasks--;
	sandbox_put(z->sb);
	if (z->sighand && --z->sighand->refs == 0)
		kfree(z->sighand);
	kfree(z->held);
	kfree(z->kstack);
	kfree(z);
}

/* A stop (WUNTRACED) or continue (WCONTINUED) of t not yet reported: its
 * wait status, once; else 0. */
static int stop_status(struct task *t, int options)
{
	if (t->state == T_STOPPED && t->stop_unseen && (options & WUNTRACED)) {
		t->stop_unseen = 0;
		return t->stop_sig << 8 | 0x7f;
	}
	if (t->cont_unseen && (options & WCONTINUED)) {
		t->cont_unseen = 0;
		return 0xffff;
	}
	return 0;
}

s64 do_wait4(int pid, u64 ustatus, int options)
{
	for (;;) {
		int found = 0;
		for (struct task *t = task_list; t; t = t->next) {
			if (t->parent != current->leader)
				continue;
			if (pid > 0 ? t->pid != pid : pid == 0 ? t->pgid != current->pgid : pid < -1 ? t->pgid != -pid : 0)
				continue;
			found = 1;
			if (t->state != T_ZOMBIE || t->live) {
				int st = options & (WUNTRACED | WCONTINUED) ? stop_status(t, options) : 0;
				if (!st)
					continue;
				return ustatus && copy_to_user(ustatus, &st, 4) ? -EFAULT : t->pid;
			}
			int st = t->exit_code, cpid = t->pid;
			if (ustatus && copy_to_user(ustatus, &st, 4))
				return -EFAULT;
			current->stime += t->utime + t->stime; /* children's time, roughly */
			for (struct task *x = task_list, *n; x; x = n) { /* its threads first */
				n = x->next;
				if (x->autoreap && x->leader == t)
					reap(x);
			}
			reap(t);
			return cpid;
		}
		if (!found)
			return -ECHILD;
		if (options & WNOHANG)
			return 0;
		if (signal_pending())
			return -ERESTART;
		sleep_on(current->leader);
	}
}

int last_pid(void) { return current->sb == &sandbox_root ? next_pid - 1 : current->sb->last_pid; }
