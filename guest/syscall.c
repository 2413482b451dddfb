/*
 * The Linux x86-64 syscall table (guest ring 0) and the way back to user
 * mode: reschedule when the tick asked for it, then deliver signals.  An
 * unknown number returns -ENOSYS and is logged once.
 */
#include "kernel.h"
#include "mm.h"
#include "proc.h"

typedef s64 (*sysfn)(u64, u64, u64, u64, u64, u64);
#define DECL(name) s64 sys_##name()
DECL(read); DECL(write); DECL(open); DECL(close); DECL(stat); DECL(fstat); DECL(lstat); DECL(poll);
DECL(lseek); DECL(mmap); DECL(mprotect); DECL(munmap); DECL(brk); DECL(rt_sigaction);
DECL(rt_sigprocmask); DECL(ioctl); DECL(pread64); DECL(pwrite64); DECL(readv); DECL(writev);
DECL(access); DECL(pipe); DECL(select); DECL(sched_yield); DECL(madvise); DECL(dup); DECL(dup2);
DECL(pause); DECL(nanosleep); DECL(alarm); DECL(getpid); DECL(sendfile); DECL(clone); DECL(fork);
DECL(vfork); DECL(execve); DECL(exit); DECL(wait4); DECL(kill); DECL(uname); DECL(fcntl);
DECL(truncate); DECL(ftruncate); DECL(getcwd); DECL(chdir); DECL(fchdir); DECL(rename); DECL(mkdir);
DECL(rmdir); DECL(creat); DECL(link); DECL(unlink); DECL(symlink); DECL(readlink); DECL(chmod);
DECL(fchmod); DECL(chown); DECL(fchown); DECL(lchown); DECL(umask); DECL(gettimeofday);
DECL(getrlimit); DECL(getrusage); DECL(sysinfo); DECL(times); DECL(getuid); DECL(setuid);
DECL(setpgid); DECL(getppid); DECL(getpgrp); DECL(setsid); DECL(setresuid); DECL(getresuid);
DECL(geteuid); DECL(getgid); DECL(getegid); DECL(setgid); DECL(setreuid); DECL(setregid); DECL(setresgid);
DECL(getresgid); DECL(getgroups); DECL(getpgid); DECL(getsid); DECL(rt_sigpending); DECL(rt_sigsuspend);
DECL(statfs); DECL(prctl); DECL(arch_prctl); DECL(setrlimit); DECL(chroot); DECL(nop); DECL(mount);
DECL(umount2); DECL(sethostname); DECL(gettid); DECL(time); DECL(futex); DECL(getdents64);
DECL(set_tid_address); DECL(clock_gettime); DECL(clock_getres); DECL(clock_nanosleep);
DECL(openat); DECL(mkdirat); DECL(mknodat); DECL(fchownat); DECL(newfstatat); DECL(unlinkat);
DECL(renameat); DECL(linkat); DECL(symlinkat); DECL(readlinkat); DECL(fchmodat); DECL(faccessat);
DECL(pselect6); DECL(ppoll); DECL(utimensat); DECL(dup3); DECL(pipe2); DECL(prlimit64);
DECL(renameat2); DECL(getrandom); DECL(statx); DECL(exit_group); DECL(tkill); DECL(sigaltstack); DECL(tgkill); DECL(getitimer); DECL(setitimer);
DECL(mknod); DECL(sched_setaffinity); DECL(sched_getaffinity);
s64 sys_rt_sigreturn(struct trap_frame *f);

#define S(nr, name) [nr] = (sysfn)(void *)sys_##name
static const sysfn table[] = {
	S(0, read), S(1, write), S(2, open), S(3, close), S(4, stat), S(5, fstat), S(6, lstat), S(7, poll),
	S(8, lseek), S(9, mmap), S(10, mprotect), S(11, munmap), S(12, brk), S(13, rt_sigaction),
	S(14, rt_sigprocmask), S(16, ioctl), S(17, pread64), S(18, pwrite64), S(19, readv),
	S(20, writev), S(21, access), S(22, pipe), S(23, select), S(24, sched_yield), S(28, madvise),
	S(32, dup), S(33, dup2), S(34, pause), S(35, nanosleep), S(36, getitimer), S(37, alarm), S(38, setitimer), S(39, getpid),
	S(40, sendfile), S(56, clone), S(57, fork), S(58, vfork), S(59, execve), S(60, exit),
	S(61, wait4), S(62, kill), S(63, uname), S(72, fcntl), S(73, nop), S(74, nop), S(75, nop),
	S(76, truncate), S(77, ftruncate), S(79, getcwd), S(80, chdir), S(81, fchdir), S(82, rename),
	S(83, mkdir), S(84, rmdir), S(85, creat), S(86, link), S(87, unlink), S(88, symlink),
	S(89, readlink), S(90, chmod), S(91, fchmod), S(92, chown), S(93, fchown), S(94, lchown),
	S(95, umask), S(96, gettimeofday), S(97, getrlimit), S(98, getrusage), S(99, sysinfo),
	S(100, times), S(102, getuid), S(104, getgid), S(105, setuid), S(106, setgid), S(107, geteuid),
	S(108, getegid), S(109, setpgid), S(110, getppid), S(111, getpgrp), S(112, setsid),
	S(113, setreuid), S(114, setregid), S(115, getgroups), S(116, nop), S(117, setresuid),
	S(118, getresuid), S(119, setresgid), S(120, getresgid), S(121, getpgid), S(124, getsid),
	S(127, rt_sigpending), S(130, rt_sigsuspend), S(131, sigaltstack), S(133, mknod), S(137, statfs),
	S(138, statfs), S(157, prctl), S(158, arch_prctl), S(160, setrlimit), S(161, chroot),
	S(162, nop), S(165, mount), S(166, umount2), S(170, sethostname), S(186, gettid), S(200, tkill),
	S(201, time), S(202, futex), S(203, sched_setaffinity), S(204, sched_getaffinity),
	S(217, getdents64), S(218, set_tid_address),
	S(228, clock_gettime), S(229, clock_getres), S(230, clock_nanosleep), S(231, exit_group),
	S(234, tgkill), S(257, openat), S(258, mkdirat), S(259, mknodat), S(260, fchownat),
	S(262, newfstatat), S(263, unlinkat), S(264, renameat), S(265, linkat), S(266, symlinkat),
	S(267, readlinkat), S(268, fchmodat), S(269, faccessat), S(270, pselect6), S(271, ppoll),
	S(273, nop), S(280, utimensat), S(292, dup3), S(293, pipe2), S(302, prlimit64),
	S(316, renameat2), S(318, getrandom), S(332, statx), S(439, faccessat),
};

s64 sys_exit_group(u64 code) { do_exit(((int)code & 0xff) << 8); }
s64 sys_sigaltstack(void) { return 0; }

/* tkill(tid, sig) and tgkill(tgid, tid, sig): one thread per process */
s64 sys_kill(u64, u64);
s64 sys_tkill(u64 tid, u64 sig) { return (int)tid <= 0 ? -EINVAL : sys_kill(tid, sig); }
s64 sys_tgkill(u64 tgid, u64 tid, u64 sig) { return (int)tid <= 0 || tgid != tid ? -EINVAL : sys_kill(tid, sig); }

void user_return(struct trap_frame *f)
{
	if (need_resched)
		schedule();
	deliver_signals(f);
}

int syscall_trace; /* "strace" on the kernel command line */
static u64 logged[8]; /* syscall numbers < 512 already reported */

void syscall_handler(struct trap_frame *f)
{
	u64 nr = f->rax;
	s64 r;
	current->frame = f;
	if (nr == 15) {
		r = sys_rt_sigreturn(f);
	} else if (nr < BH_ARRAY_SIZE(table) && table[nr]) {
		r = table[nr](f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9);
	} else {
		if (nr < 512 && !(logged[nr / 64] & (1ull << (nr % 64)))) {
			logged[nr / 64] |= 1ull << (nr % 64);
			kprintf("guest: syscall %llu not implemented (pid %d, %s)\n", nr, current->pid, current->comm);
		}
		r = -ENOSYS;
	}
	if (syscall_trace)
		kprintf("[%d %s] sys %llu(%llx, %llx, %llx) = %lld\n", current->pid, current->comm, nr, f->rdi, f->rsi,
			f->rdx, r);
	f->rax = (u64)r;
	user_return(f);
}
