/*
 * The Linux x86-64 syscall table (guest ring 0) and the way back to user
 * mode: reschedule when the tick asked for it, then deliver signals.  An
 * unknown number returns -ENOSYS and is logged once.
 */
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "sys/sys.h"

/* Every handler is called with the six argument registers; those that take
 * fewer ignore the rest (the x86-64 calling convention allows it). */
typedef s64 (*sysfn)(u64, u64, u64, u64, u64, u64);
#define S(nr, fn) [NR_##nr] = (sysfn)(void *)sys_##fn
#define S1(nr) S(nr, nr)
static const sysfn table[] = {
	S1(read), S1(write), S1(open), S1(close), S1(stat), S1(fstat), S1(lstat), S1(poll), S1(lseek), S1(mmap),
	S1(mprotect), S1(msync), S1(munmap), S1(brk), S1(rt_sigaction), S1(rt_sigprocmask), S1(rt_sigreturn), S1(ioctl),
	S1(pread64), S1(pwrite64), S1(readv), S1(writev), S1(access), S1(pipe), S1(select), S1(sched_yield),
	S1(madvise), S1(mremap), S1(dup), S1(dup2), S1(pause), S1(nanosleep), S1(getitimer), S1(alarm), S1(setitimer),
	S1(getpid), S1(sendfile), S1(socket), S1(connect), S1(accept), S1(sendto), S1(recvfrom), S1(sendmsg), S1(sendmmsg),
	S1(recvmsg), S1(shutdown), S1(bind), S1(listen), S1(getsockname), S1(getpeername), S1(socketpair),
	S1(setsockopt), S1(getsockopt), S1(clone), S1(fork), S1(vfork), S1(execve), S1(exit), S1(wait4), S1(kill),
	S1(uname), S1(fcntl), S(flock, nop), S(fsync, nop), S(fdatasync, nop), S1(truncate), S1(ftruncate),
	S1(getcwd), S1(chdir), S1(fchdir), S1(rename), S1(mkdir), S1(rmdir), S1(creat), S1(link), S1(unlink),
	S1(symlink), S1(readlink), S1(chmod), S1(fchmod), S1(chown), S1(fchown), S1(lchown), S1(umask),
	S1(gettimeofday), S1(getrlimit), S1(getrusage), S1(sysinfo), S1(times), S1(getuid), S1(getgid), S1(syslog), S1(setuid),
	S1(setgid), S1(geteuid), S1(getegid), S1(setpgid), S1(getppid), S1(getpgrp), S1(setsid), S1(setreuid),
	S1(setregid), S1(getgroups), S(setgroups, nop), S1(setresuid), S1(getresuid), S1(setresgid), S1(getresgid),
	S1(getpgid), S1(getsid), S1(rt_sigpending), S1(rt_sigsuspend), S1(sigaltstack), S1(mknod), S1(statfs),
	S1(fstatfs), S1(prctl), S1(arch_prctl), S1(setrlimit), S1(chroot), S(sync, nop), S1(mount),
	S1(umount2), S1(sethostname), S1(gettid), S1(tkill), S1(time), S1(futex), S1(sched_setaffinity),
	S1(sched_getaffinity), S1(getdents64), S1(set_tid_address), S1(clock_gettime), S1(clock_getres),
	S1(clock_nanosleep), S1(exit_group), S1(tgkill), S1(openat), S1(mkdirat), S1(mknodat), S1(fchownat),
	S1(newfstatat), S1(unlinkat), S1(renameat), S1(linkat), S1(symlinkat), S1(readlinkat), S1(fchmodat),
	S1(faccessat), S1(pselect6), S1(ppoll), S1(set_robust_list), S1(get_robust_list), S1(clone3), S1(utimensat),
	S1(accept4), S1(dup3), S1(pipe2), S1(prlimit64), S1(renameat2), S1(epoll_create), S1(epoll_create1),
	S1(epoll_ctl), S1(epoll_wait), S1(epoll_pwait), S1(eventfd), S1(eventfd2), S1(timerfd_create),
	S1(timerfd_settime), S1(timerfd_gettime), S1(signalfd), S1(signalfd4), S1(getrandom), S1(statx), S1(fadvise64), S1(membarrier),
	S(faccessat2, faccessat),
};

s64 sys_exit_group(u64 code) { do_exit(((int)code & 0xff) << 8); }

void user_return(struct trap_frame *f)
{
	if (need_resched)
		schedule();
	deliver_signals(f);
}

int syscall_trace; /* "strace" on the kernel command line */
static u64 logged[8]; /* syscall numbers < 512 already reported */

static u64 syscall_seq;

void syscall_handler(struct trap_frame *f)
{
	u64 nr = f->rax;
	s64 r;
	current->frame = f;
	current->syscall_seq = ++syscall_seq;
	if (nr < BH_ARRAY_SIZE(table) && table[nr]) {
		r = table[nr](f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9);
	} else {
		if (nr < 512 && !(logged[nr / 64] & (1ull << (nr % 64)))) {
			logged[nr / 64] |= 1ull << (nr % 64);
			klog("guest: syscall %llu not implemented (pid %d, %s)\n", nr, current->pid, current->comm);
		}
		r = -ENOSYS;
	}
	if (syscall_trace)
		kprintf("[%d %s] sys %llu(%llx, %llx, %llx) = %lld\n", current->pid, current->comm, nr, f->rdi, f->rsi,
			f->rdx, r);
	fd_drop_holds();
	f->rax = (u64)r;
	user_return(f);
}
