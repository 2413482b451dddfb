/*
 * Tasks and the scheduler (guest ring 0): round robin over runnable tasks,
 * preempted by the timer tick on the way back to user mode; sleeping on a
 * channel and waking it; fork (clone without threads; vfork shares the
 * address space until exec or exit), exit, and wait4 with zombies.
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

void sched_init(void)
{
	memcpy(idle_task.comm, "idle", 5);
	idle_task.sb = &sandbox_root;
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

int signal_pending(void) { return (current->sigpending & ~current->sigmask) != 0; }

/* Work drivers register (the tty's UART input, the host driver's deferred
 * channel work), polled with the rest below. */
static void (*pollers[4])(void);

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
			__asm__ volatile("sti; nop; hlt; cli" ::: "memory");
		}
	}
}

static struct task *task_by_pid(int pid)
{
	for (struct task *t = task_list; t; t = t->next)
		if (t->pid == pid && t->state != T_ZOMBIE)
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

static void reap(struct task *z);

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

s64 do_fork(u64 flags, u64 newsp, u64 ptid, u64 ctid, u64 tls)
{
	if ((flags & CLONE_THREAD) || ((flags & CLONE_VM) && !(flags & CLONE_VFORK)))
		return -EINVAL; /* no threads */
	struct task *p = current;
	if (nr_tasks >= MAX_TASKS || sandbox_full(p->sb))
		return -EAGAIN;
	if (!(flags & CLONE_VM) && sandbox_pages_over(p->sb, p->mm->pages))
		return -ENOMEM; /* fork copies the memory */
	struct task *t = task_alloc(fork_ret);
	if (!t)
		return -ENOMEM;
	if (flags & CLONE_VM) {
		t->mm = p->mm;
		p->mm->refs++;
	} else if (!(t->mm = mm_copy(p->mm))) {
		kfree(t->kstack);
		kfree(t);
		next_pid--;
		return -ENOMEM;
	}
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
	t->sb = p->sb;
	sandbox_get(t->sb);
	t->umask = p->umask;
	memcpy(t->uid, p->uid, sizeof t->uid);
	memcpy(t->gid, p->gid, sizeof t->gid);
	memcpy(t->sa, p->sa, sizeof t->sa);
	t->sigmask = p->sigmask;
	t->parent = p;
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

void do_exit(int status)
{
	struct task *t = current, *init = task_by_pid(1);
	if (t->files)
		fdtable_put(t->files);
	t->files = 0;
	iput(t->cwd);
	iput(t->root);
	vfork_release(t);
	vm_switch(kernel_pml4);
	mm_put(t->mm);
	t->mm = 0;
	t->alarm_tsc = 0;
	for (struct task *c = task_list; c; c = c->next)
		if (c->parent == t)
			c->parent = init != t ? init : 0;
	if (init && init != t)
		wakeup(init);
	t->exit_code = status;
	t->state = T_ZOMBIE;
	if (t->pid == 1 && init_exit)
		init_exit(status);
	if (t->parent) {
		send_signal(t->parent, SIGCHLD);
		wakeup(t->parent);
	}
	schedule();
	for (;;)
		;
}

static void reap(struct task *z)
{
	for (struct task **pp = &task_list; *pp; pp = &(*pp)->next)
		if (*pp == z) {
			*pp = z->next;
			break;
		}
	nr_tasks--;
	z->sb->tasks--;
	sandbox_put(z->sb);
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
			if (t->parent != current)
				continue;
			if (pid > 0 ? t->pid != pid : pid == 0 ? t->pgid != current->pgid : pid < -1 ? t->pgid != -pid : 0)
				continue;
			found = 1;
			if (t->state != T_ZOMBIE) {
				int st = options & (WUNTRACED | WCONTINUED) ? stop_status(t, options) : 0;
				if (!st)
					continue;
				return ustatus && copy_to_user(ustatus, &st, 4) ? -EFAULT : t->pid;
			}
			int st = t->exit_code, cpid = t->pid;
			if (ustatus && copy_to_user(ustatus, &st, 4))
				return -EFAULT;
			current->stime += t->utime + t->stime; /* children's time, roughly */
			reap(t);
			return cpid;
		}
		if (!found)
			return -ECHILD;
		if (options & WNOHANG)
			return 0;
		if (signal_pending())
			return -ERESTART;
		sleep_on(current);
	}
}

int last_pid(void) { return current->sb == &sandbox_root ? next_pid - 1 : current->sb->last_pid; }
