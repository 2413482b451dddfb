/* Guest syscall test: processes, signals, memory and the odd calls. */
#include "t.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

static volatile int got;
static void on_sig(int s) { got = s; }

#include <setjmp.h>
static sigjmp_buf jb;
static void on_segv(int s)
{
	(void)s;
	siglongjmp(jb, 1);
}

static int death_pipe;
static void on_death(int s)
{
	char c = s == SIGTERM ? 'T' : '?';
	write(death_pipe, &c, 1);
	_exit(0);
}

/* PR_SET_PDEATHSIG: a grandchild is told when its parent dies (the
 * daemon's helpers end with it). */
static void pdeathsig(void)
{
	int a[2], b[2], v = -1;
	char c = 0;
	T("pdeathsig-bad", prctl(PR_SET_PDEATHSIG, 65));
	T("pdeathsig-get-none", prctl(PR_GET_PDEATHSIG, &v) || v);
	if (pipe(a) || pipe(b))
		return;
	pid_t mid = fork();
	if (!mid) {
		if (!fork()) {
			death_pipe = a[1];
			signal(SIGTERM, on_death);
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			prctl(PR_GET_PDEATHSIG, &v);
			c = v == SIGTERM ? 'R' : 'r';
			write(b[1], &c, 1);
			for (;;)
				pause();
		}
		read(b[0], &c, 1);   /* set: now the parent dies */
		_exit(c == 'R' ? 0 : 1);
	}
	int st;
	waitpid(mid, &st, 0);
	printf("pdeathsig-set: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(a[1]);
	alarm(5);
	printf("pdeathsig-told: %d\n", read(a[0], &c, 1) == 1 && c == 'T');
	alarm(0);
	close(a[0]), close(b[0]), close(b[1]);
}

int main(void)
{
	int st;
	pid_t pid = fork();
	if (!pid)
		_exit(42);
	T("wait4", waitpid(pid, &st, 0) == pid);
	printf("exit-status: %d %d\n", WIFEXITED(st), WEXITSTATUS(st));
	T("wait-echild", wait(&st));
	pid = fork();
	if (!pid) {
		pause();
		_exit(0);
	}
	T("kill", kill(pid, SIGTERM));
	waitpid(pid, &st, 0);
	printf("killed-by: %d %d\n", WIFSIGNALED(st), WTERMSIG(st));
	T("kill-esrch", kill(99999, SIGTERM));
	T("kill-einval", kill(getpid(), 999));
	struct sigaction sa = { 0 };
	sa.sa_handler = on_sig;
	T("sigaction", sigaction(SIGUSR1, &sa, 0));
	T("sigaction-kill", sigaction(SIGKILL, &sa, 0));
	T("raise", raise(SIGUSR1));
	printf("handled: %d\n", got);
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	T("sigaction2", sigaction(SIGUSR2, &sa, 0));
	T("sigprocmask", sigprocmask(SIG_BLOCK, &set, &old));
	got = 0;
	raise(SIGUSR2);
	printf("blocked: %d\n", got);
	T("sigpending", sigpending(&set));
	printf("pending-usr2: %d\n", sigismember(&set, SIGUSR2));
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	T("unblock", sigprocmask(SIG_UNBLOCK, &set, 0));
	printf("delivered: %d\n", got);
	T("sigprocmask-einval", syscall(SYS_rt_sigprocmask, 99, &set, 0, 8));
	int p[2];
	pipe(p);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	T("epipe", write(p[1], "x", 1));
	signal(SIGPIPE, SIG_DFL);
	pid = fork();
	if (!pid) {
		write(p[1], "x", 1);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("sigpipe: %d %d\n", WIFSIGNALED(st), WTERMSIG(st));
	got = 0;
	signal(SIGALRM, on_sig);
	alarm(1);
	pause();
	printf("alarm: %d\n", got);
	T("execve-enoent", execve("/nonexistent", (char *[]){ "x", 0 }, environ));
	T("execve-efault", syscall(SYS_execve, BADPTR, (char *[]){ "x", 0 }, environ));
	T("execve-argv-efault", syscall(SYS_execve, "/bin/true", BADPTR, environ));
	T("getppid-positive", getppid() > 0);
	T("getpid-eq-gettid", getpid() == syscall(SYS_gettid));
	pid = fork();
	if (!pid) {
		printf("child-setsid: %d\n", setsid() == getpid());
		printf("child-getpgid: %d\n", getpgid(0) == getpid());
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	T("setpgid-esrch", setpgid(99999, 0));
	/* memory */
	long b0 = syscall(SYS_brk, 0);
	T("brk-grow", syscall(SYS_brk, b0 + 8192) == b0 + 8192);
	memset((void *)b0, 1, 8192);
	T("brk-shrink", syscall(SYS_brk, b0) == b0);
	char *m = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T("mmap", m != MAP_FAILED);
	m[0] = 1, m[(1 << 20) - 1] = 2;
	printf("mmap-zero: %d\n", m[4096]);
	T("mprotect", mprotect(m, 4096, PROT_READ));
	signal(SIGSEGV, on_segv);
	int faulted = 0;
	if (!sigsetjmp(jb, 1))
		m[0] = 5;
	else
		faulted = 1;
	printf("mprotect-fault: %d\n", faulted);
	T("munmap", munmap(m, 1 << 20));
	T("munmap-einval", munmap((void *)1, 10));
	T("mmap-einval", (long)mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	T("mmap-ebadf", (long)mmap(0, 4096, PROT_READ, MAP_PRIVATE, 99, 0));
	int fd = open("/bin/busybox", O_RDONLY);
	char *f = mmap(0, 8192, PROT_READ, MAP_PRIVATE, fd, 0);
	printf("mmap-file: %.4s\n", f + 1);
	/* A private mapping of a 10-byte file: its page reads as the file then
	 * zeros; a touch of the next page, wholly past the end, is SIGBUS. */
	int bf = open("/tmp/sys_proc.bus", O_RDWR | O_CREAT | O_TRUNC, 0600);
	T("bus-write", write(bf, "0123456789", 10));
	char *bm = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, bf, 0);
	printf("bus-in-file: %c %d\n", bm[5], bm[4095]);
	if (!(pid = fork())) {
		bm[4096 + 7] = 1;
		_exit(0);
	}
	T("bus-wait", waitpid(pid, &st, 0) == pid);
	printf("bus-past-end: signaled %d signal %d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	T("bus-grown", ftruncate(bf, 4096 + 8));
	printf("bus-after-grow: %d\n", bm[4096 + 7]);
	close(bf);
	unlink("/tmp/sys_proc.bus");
	/* time and info */
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct timespec d = { 0, 50 * 1000 * 1000 };
	T("nanosleep", nanosleep(&d, 0));
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	printf("slept-enough: %d\n", ms >= 50 && ms < 2000);
	struct timespec bad = { 0, 2000000000 };
	T("nanosleep-einval", nanosleep(&bad, 0));
	T("clock-einval", clock_gettime(99, &a));
	T("clock-efault", syscall(SYS_clock_gettime, CLOCK_REALTIME, BADPTR));
	struct utsname u;
	T("uname", uname(&u));
	printf("sysname: %s %s\n", u.sysname, u.machine);
	T("uname-efault", syscall(SYS_uname, KPTR));
	char rnd[16];
	T("getrandom", getrandom(rnd, sizeof rnd, 0));
	T("getrandom-efault", syscall(SYS_getrandom, KPTR, 16, 0));
	struct rlimit rl;
	T("prlimit-nofile", prlimit(0, RLIMIT_NOFILE, 0, &rl) == 0 && rl.rlim_cur > 0);
	T("getuid", getuid());
	T("unknown-syscall", syscall(1023));
	pdeathsig();
	return 0;
}
