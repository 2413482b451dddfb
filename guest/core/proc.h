/*
 * Processes of the guest kernel (ring 0): tasks, their address spaces and
 * signal state, the scheduler, and the user-mode entry and exit paths.
 * One CPU; the kernel runs with interrupts off except in the idle loop,
 * and switches tasks only inside schedule().
 */
#ifndef BULKHEAD_GUEST_PROC_H
#define BULKHEAD_GUEST_PROC_H

#include "../../lib/traps.h"
#include "linux.h"
#include "fs/vfs.h"

/* A region of a user address space: [start, end), page-aligned. */
struct vma {
	struct vma *next;             /* sorted by start */
	u64 start, end;
	u32 prot;                     /* PROT_* */
	u32 flags;                    /* MAP_* (private, anonymous, stack) */
	struct inode *file;           /* private file mapping, or NULL */
	u64 off;                      /* file offset of start */
	u64 file_end;                 /* file offset where file data stops (rest zero) */
};

struct mm {
	int refs;
	u64 *pml4;
	struct vma *vmas;
	u64 brk_start, brk;
	u64 pages;                    /* resident user pages */
	u64 arg_start, arg_end;       /* argv strings, NUL-separated (/proc/<pid>/cmdline) */
	u64 env_start, env_end;       /* envp strings (/proc/<pid>/environ) */
	struct inode *exe;            /* the program's file (/proc/<pid>/exe) */
	u32 membarrier;               /* MEMBARRIER_CMD_REGISTER_* it registered */
};

/* What a task may see and use (sandbox.c); every task points at one.  The
 * host's tasks live in sandbox_root, which sees every task.  PIDs are global:
 * a sandbox filters the view, it does not renumber. */
struct sandbox {
	int refs;                     /* its tasks (zombies too) and whoever holds it */
	int id;                       /* 0: the root sandbox */
	struct inode *root;           /* its tasks' root directory */
	struct inode *dev;            /* its devtmpfs (dev/devfs.c), made at its first mount; or NULL */
	char hostname[65];
	int tasks;                    /* its tasks, zombies too */
	int max_tasks;                /* fork/clone beyond it: EAGAIN; 0 = the kernel's limit */
	u64 max_pages;                /* resident user pages of its tasks; past it the fault is
				       * the out-of-memory kill, fork ENOMEM; 0 = no limit */
	u32 cpu_weight;               /* CPU share (1024 = one share) */
	u64 vtime;                    /* ticks its tasks ran, times vtime_step (task.c) */
	u64 vtime_step;               /* 1024 * 1024 / cpu_weight */
	int last_pid;                 /* the pid given last to one of its tasks */
	struct vs_port *port;         /* its network interface (net/switch.c), or NULL: the host's */
	u8 no_net;                    /* net=none: the loopback only, no interface */
};

enum task_state { T_RUNNABLE, T_SLEEPING, T_ZOMBIE, T_STOPPED };

/* Signal handlers, shared by clone(CLONE_SIGHAND): every thread of a process. */
struct sighand {
	int refs;
	struct ksigaction sa[NSIG];
};

#define KSTACK_SIZE 16384
/* A thread group (a process) is its leader and the tasks cloned with
 * CLONE_THREAD; each task's pid is its thread id, the leader's the process
 * id (tgid).  The leader's task holds what belongs to the process (parent,
 * group and session, process-directed pending signals, the exit status,
 * stops) and stays, a zombie if it exited first, until the last thread has. */
struct task {
	struct task *next;            /* all tasks */
	int pid, pgid, sid;
	struct task *parent;          /* a leader's: a leader; other threads': NULL */
	struct task *leader;          /* the group's leader; itself for a leader */
	int live;                     /* leader: its group's threads not yet exited */
	int group_exit;               /* leader: exit_group or a fatal signal ended the group */
	int pdeath_sig;               /* leader: sent to it when its parent's process ends (prctl), or 0 */
	u64 shared_pending;           /* leader: signals sent to the process */
	struct task *execer;          /* leader: the thread whose execve ends the others */
	u8 autoreap;                  /* a thread other than the leader, gone: freed by the scheduler */
	int fs_id;                    /* tasks with one fs_id share cwd, root and umask (CLONE_FS) */
	u64 robust_list;              /* set_robust_list's head, or 0 */
	struct stack_k altstack;      /* sigaltstack(2); flags SS_DISABLE when none */
	enum task_state state;
	const void *chan;             /* what a sleeper waits for */
	u64 wake_tsc;                 /* timed sleep: wake at this TSC, 0 = never */
	u64 ksp;                      /* saved kernel stack pointer */
	u8 *kstack;
	struct trap_frame *frame;     /* user registers at kernel entry */
	struct mm *mm;
	struct fdtable *files;
	struct inode *cwd, *root;
	struct sandbox *sb;           /* inherited on fork */
	u32 umask;
	u32 uid[3], gid[3];           /* real, effective, saved; fork copies them */
	struct sighand *sighand;
	u64 sigmask, sigpending;      /* per thread; sigpending: signals sent to this thread */
	u64 suspend_mask;             /* rt_sigsuspend: the mask to restore */
	u8 suspended;
	u64 alarm_tsc, alarm_interval; /* ITIMER_REAL: next expiry, period (TSC) */
	int exit_code;                /* wait status */
	int stop_sig;                 /* T_STOPPED: the signal that stopped it */
	u8 stop_unseen, cont_unseen;  /* a stop or continue wait4 has not reported */
	int vfork_done;
	struct task *vfork_parent;
	u64 fs_base, clear_tid;
	int kaccess;                  /* "user" pointers may be kernel ones (kernel_write) */
	int (*kstart)(void *arg);     /* task_spawn's: its first run */
	void *karg;
	u64 syscall_seq;              /* a number of its current syscall, unique among all */
	struct file **held;           /* files fd_get holds until the syscall returns */
	u32 nheld, held_cap;
	u64 start_tsc, utime, stime;  /* ticks */
	char comm[16];
	u8 fx[512] __attribute__((aligned(16)));
};

extern struct task *current, *task_list, idle_task;
extern int need_resched;

/* task.c: creation, exit, wait, scheduling */
void sched_init(void);
void schedule(void);
void sleep_on(const void *chan);       /* caller re-checks its condition */
void wakeup(const void *chan);
void sleep_on_any(void);               /* until any wakeup (poll, select); caller re-checks */
void sched_tick(void);                 /* from the timer interrupt */
int sched_add_poller(void (*fn)(void)); /* fn runs at each tick and idle wake-up; 0 or -ENOSPC */
void idle_loop(void) __attribute__((noreturn));
void idle_halt(void);                  /* sti; nop; hlt; cli: an interrupt before the HLT skips it */
extern const char idle_halt_hlt[];     /* the HLT's address (trap.c) */
struct task *task_find(int pid);       /* among the tasks the caller's sandbox sees */
int task_count(void);                  /* tasks the caller's sandbox sees, zombies too */
int last_pid(void);                    /* the pid given last in the caller's sandbox */
void vfork_release(struct task *t);    /* its vfork parent may go on */
extern int heartbeat;                  /* a line every 5 s */
int task_spawn_init(const char *path); /* pid 1 */
/* A task of a role's making (the utility's container processes): the next
 * pid, no parent, the root sandbox, / as root and cwd.  Its first run calls
 * start(arg) as itself (lookups, fd_install, do_execve; kaccess set), which
 * returns only on failure: a wait status to exit with.  -> pid or -ENOMEM. */
int task_spawn(int (*start)(void *arg), void *arg);
/* A parentless task: 1 with its wait status once it has exited (then it is
 * reaped), 0 while it lives, -ESRCH if there is no such task. */
int task_collect(int pid, int *status);
void sched_on_init_exit(void (*fn)(int status)); /* what init's exit does (main.c) */
s64 do_fork(u64 flags, u64 newsp, u64 ptid, u64 ctid, u64 tls);
void do_exit(int status) __attribute__((noreturn));   /* the whole process (exit_group, fatal signal) */
void thread_exit(int status) __attribute__((noreturn)); /* the calling thread only (exit(2)) */
int exec_end_threads(void);            /* execve: the other threads end; 0 or -EINTR (killed meanwhile) */
void fs_set(int root, struct inode *i); /* cwd (0) or root (1) of current and its CLONE_FS peers; takes i's reference */
void fs_set_umask(u32 mask);
/* The tasks of current's process and of t's: same leader, alive. */
static inline int same_group(const struct task *a, const struct task *b) { return a->leader == b->leader; }
s64 do_wait4(int pid, u64 ustatus, int options);
int signal_pending(void);
void mm_put(struct mm *mm);

/* sandbox.c: the sandbox object */
extern struct sandbox sandbox_root;
extern int sandboxes;                          /* besides the root one: the scheduler weighs them */
struct sandbox *sandbox_new(struct inode *root, const char *hostname, int max_tasks, u64 max_pages,
			    u32 cpu_weight);          /* referenced, no tasks yet; NULL if no memory */
void sandbox_get(struct sandbox *sb);
void sandbox_put(struct sandbox *sb);
int sandbox_enter(struct sandbox *sb);         /* current moves in: root and cwd its root; 0 or -EAGAIN */
u64 sandbox_pages(const struct sandbox *sb);   /* resident user pages of its tasks */
/* Its task limit reached. */
static inline int sandbox_full(const struct sandbox *sb) { return sb->max_tasks && sb->tasks >= sb->max_tasks; }
/* More resident pages would pass its limit (on every page fault: the unlimited case is quick). */
static inline int sandbox_pages_over(const struct sandbox *sb, u64 more)
{
	return sb->max_pages && sandbox_pages(sb) + more > sb->max_pages;
}
/* Whether tasks of viewer's sandbox see t (procfs, kill, wait, task_find). */
static inline int sandbox_sees(const struct task *viewer, const struct task *t)
{
	return viewer->sb == &sandbox_root || viewer->sb == t->sb;
}

/* exec.c: ELF loading */
int do_execve(const char *path, char *const *kargv, char *const *kenvp);
s64 exec_user(u64 upath, u64 uargv, u64 uenvp); /* execve(2) */

/* mmap.c: user regions and page faults */
struct mm *mm_new(void);
struct mm *mm_copy(struct mm *src);
int mm_fault(struct mm *mm, u64 addr, int write);   /* 0, -EFAULT, -ENOMEM or -EIO (SIGBUS) */
s64 mm_map(struct mm *mm, u64 addr, u64 len, u32 prot, u32 flags, struct inode *file, u64 off,
	   u64 file_len);
int mm_unmap(struct mm *mm, u64 addr, u64 len);
int mm_protect(struct mm *mm, u64 addr, u64 len, u32 prot);
/* madvise DONTNEED/FREE: the pages of a wholly mapped range go (private ones
 * read as zeros or the file again); 0, -EINVAL or -ENOMEM (a hole). */
int mm_discard(struct mm *mm, u64 addr, u64 len);
/* mremap(2) without MREMAP_FIXED: shrinks, grows in place, or (MAYMOVE)
 * moves the pages to a new region; its address or -EINVAL, -EFAULT (not
 * within one region), -ENOMEM. */
s64 mm_remap(struct mm *mm, u64 old, u64 old_len, u64 new_len, u64 flags);
void mm_file_shrunk(struct inode *i, u64 end); /* shared mappings drop its pages past end */
struct vma *vma_find(struct mm *mm, u64 addr);
int mm_access(struct mm *mm, u64 va, void *buf, u64 n, int write); /* any space; 0 or -EFAULT */

/* sys/sys_futex.c: futexes, the clear_tid and robust-list ends of a thread */
void futex_exit(struct task *t);       /* at a thread's exit: robust list, then clear_tid and wake */
s64 futex_wake(u64 uaddr, int priv, int n, u32 bitset); /* woken count or -errno */

/* signal.c: send_signal is to t's process (any of its threads not blocking
 * sig takes it); send_signal_thread to t only (tgkill, faults). */
void send_signal(struct task *t, int sig);
void send_signal_thread(struct task *t, int sig);
int kill_pgrp(int pgid, int sig);
void deliver_signals(struct trap_frame *f);
void force_signal(struct task *t, int sig);

/* uaccess.S: user memory, fault-safe; each returns 0 or -EFAULT */
int copy_from_user(void *dst, u64 usrc, u64 n);
int copy_to_user(u64 udst, const void *src, u64 n);
int user_strncpy(char *dst, u64 usrc, u64 max); /* length, or -EFAULT, -ENAMETOOLONG */
int clear_user(u64 udst, u64 n);
static inline int user_ok(u64 a, u64 n)
{
	return (a <= 0x00007ffffffff000ull && n <= 0x00007ffffffff000ull - a) || current->kaccess;
}
s64 kernel_write(struct file *f, const void *buf, u64 n); /* f's write op on a kernel buffer */
s64 kernel_read(struct file *f, void *buf, u64 n);        /* f's read op into a kernel buffer */

/* user.S: the copies behind uaccess.c, their faults fixed up to -EFAULT */
int __copy_user(void *dst, const void *src, u64 n);
int __clear_user(void *dst, u64 n);
int __strncpy_user(char *dst, const char *src, u64 max);
void switch_to(u64 *save_ksp, u64 new_ksp);
void fork_ret(void);
void syscall_entry(void);
extern u64 cur_kstack_top;

/* syscall.c */
void syscall_handler(struct trap_frame *f);
extern int syscall_trace;              /* trace every syscall to the console */
void user_return(struct trap_frame *f);


#endif
