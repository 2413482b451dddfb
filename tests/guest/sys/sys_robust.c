/* Guest robustness test: whatever a program does, the kernel goes on.  Each
 * case runs in its own process; PASS:/FAIL: lines and a final summary. */
#include "t.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <fcntl.h>

static int fails;

static void verdict(const char *name, int ok, const char *detail)
{
	printf("%s: %s%s%s\n", ok ? "PASS" : "FAIL", name, detail ? " " : "", detail ? detail : "");
	fflush(stdout);
	fails += !ok;
}

/* Runs f in a child; returns its wait status. */
static int in_child(void (*f)(void))
{
	pid_t p = fork();
	if (!p) {
		f();
		_exit(0);
	}
	int st = 0;
	waitpid(p, &st, 0);
	return st;
}

static void expect_signal(const char *name, void (*f)(void), int sig)
{
	int st = in_child(f);
	char d[64];
	snprintf(d, sizeof d, "(status 0x%x)", st);
	verdict(name, WIFSIGNALED(st) && WTERMSIG(st) == sig, d);
}

static void null_deref(void) { *(volatile int *)0 = 1; }
static void read_null(void) { (void)*(volatile int *)8; }
static void jump_kernel(void) { ((void (*)(void))0xffffffff82000000ul)(); }
static void write_kernel(void) { *(volatile long *)0xffff800000100000ul = 1; }
static void noncanonical(void) { (void)*(volatile long *)0x0000900000000000ul; }
static void privileged(void) { __asm__ volatile("hlt"); }
static void cli(void) { __asm__ volatile("cli"); }
static void ud(void) { __asm__ volatile("ud2"); }
static void div0(void) { __asm__ volatile("mov $1, %%eax; xor %%ecx, %%ecx; cltd; idiv %%ecx" ::: "eax", "ecx", "edx"); }
static volatile int forever = 1;
static int deep(int n)
{
	volatile char pad[4096];
	pad[0] = (char)n;
	return forever ? deep(n + 1) + pad[0] : 0;
}
static void overflow(void) { deep(0); }
static void hypercall(void) { __asm__ volatile("vmmcall; vmcall"); }

static void kernel_pointers(void)
{
	void *k = KPTR;
	long bad = 0;
	long calls[][5] = {
		{ SYS_read, 0, (long)k, 16 }, { SYS_write, 1, (long)k, 16 }, { SYS_open, (long)k, 0, 0 },
		{ SYS_stat, (long)k, (long)k, 0 }, { SYS_fstat, 1, (long)k, 0 }, { SYS_pipe, (long)k, 0, 0 },
		{ SYS_uname, (long)k, 0, 0 }, { SYS_getcwd, (long)k, 100, 0 }, { SYS_chdir, (long)k, 0, 0 },
		{ SYS_rt_sigaction, SIGUSR1, (long)k, 0, 8 }, { SYS_rt_sigprocmask, 0, (long)k, (long)k, 8 },
		{ SYS_wait4, -1, (long)k, 1 }, { SYS_clock_gettime, 0, (long)k, 0 },
		{ SYS_gettimeofday, (long)k, 0, 0 }, { SYS_sysinfo, (long)k, 0, 0 },
		{ SYS_getrandom, (long)k, 8, 0 }, { SYS_execve, (long)k, 0, 0 }, { SYS_poll, (long)k, 1, 0 },
		{ SYS_readlink, (long)k, (long)k, 10 }, { SYS_mkdir, (long)k, 0, 0 },
		{ SYS_arch_prctl, 0x1003, (long)k, 0 }, { SYS_nanosleep, (long)k, 0, 0 },
		{ SYS_getdents64, 0, (long)k, 100 }, { SYS_writev, 1, (long)k, 1 },
	};
	for (unsigned i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		errno = 0;
		long r = syscall(calls[i][0], calls[i][1], calls[i][2], calls[i][3], calls[i][4]);
		if (!(r == -1 && (errno == EFAULT || errno == ECHILD || errno == EBADF || errno == ENOTDIR))) {
			printf("  syscall %ld: %ld %s\n", calls[i][0], r, ename(errno));
			bad++;
		}
	}
	verdict("kernel-pointers-to-syscalls", bad == 0, 0);
	errno = 0;
	long r = syscall(SYS_arch_prctl, 0x1002, 0xffffffff82000000ul);
	verdict("kernel-fs-base-refused", r == -1, 0);
}

/* /dev/bulkhead (include/bulkhead/ctl.h, by number: this file is built
 * for Linux too): bad pointers, sizes and requests get an errno. */
static void bulkhead_dev(void)
{
	int fd = open("/dev/bulkhead", O_RDWR);
	if (fd < 0) {
		verdict("bulkhead-device-bad-requests", 0, "(no /dev/bulkhead)");
		return;
	}
	static unsigned char junk[512];
	struct { unsigned id, pad; long arg; unsigned long buf, len; } c = { 0 };
	void *bad[] = { 0, (void *)1, KPTR, (void *)-1l, (void *)0x0000900000000000ul };
	long n = 0, wrong = 0, r;
	for (unsigned long cmd = 0xb400; cmd <= 0xb40a; cmd++)
		for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++, n++)
			if ((r = syscall(SYS_ioctl, fd, cmd, bad[i])) != -1 || (errno != EFAULT && errno != ENOTTY))
				printf("  ioctl %lx %p: %ld %s\n", cmd, bad[i], r, ename(errno)), wrong++;
	struct { unsigned long cmd; unsigned id; unsigned long buf, len; int err; } cases[] = {
		{ 0xb402, 0, (unsigned long)KPTR, 1000, EFAULT },     /* LIST into the kernel */
		{ 0xb403, 0, (unsigned long)KPTR, 1, EFAULT },        /* INFO into the kernel */
		{ 0xb403, 0xffffffff, (unsigned long)junk, 1, ENOENT },
		{ 0xb404, 0xffffffff, (unsigned long)junk, 16, ENOENT }, /* PING nobody */
		{ 0xb404, 0, (unsigned long)junk, 16, ENOTCONN },     /* the host has no channel */
		{ 0xb404, 1, (unsigned long)junk, ~0ul, 0 },          /* huge: E2BIG, or ENOENT */
		{ 0xb405, 4096, (unsigned long)junk, 1, ENOENT },
		{ 0xb408, 0x80000000u, 0, 0, ENOENT },
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++, n++) {
		c.id = cases[i].id, c.buf = cases[i].buf, c.len = cases[i].len;
		r = syscall(SYS_ioctl, fd, cases[i].cmd, &c);
		if (r != -1 || (cases[i].err ? errno != cases[i].err : errno != E2BIG && errno != ENOENT))
			printf("  case %u: %ld %s\n", i, r, ename(errno)), wrong++;
	}
	/* CREATE: junk, no NUL in the name, memory no machine has. */
	memset(junk, 0xff, sizeof junk);
	r = syscall(SYS_ioctl, fd, 0xb401, junk);
	wrong += r != -1 || errno != EINVAL;
	memset(junk, 'a', sizeof junk);
	r = syscall(SYS_ioctl, fd, 0xb401, junk);
	wrong += r != -1 || errno != EINVAL;
	memset(junk, 0, sizeof junk);
	memcpy(junk, "huge", 5);
	*(unsigned long *)(junk + 32) = 1ul << 62; /* struct bh_part_create: memory, vcpus */
	*(unsigned *)(junk + 40) = 1;
	r = syscall(SYS_ioctl, fd, 0xb401, junk);
	wrong += r != -1 || errno != ENOMEM;
	/* read on a file that owns nothing; write, which it has not */
	wrong += read(fd, junk, 16) != -1 || write(fd, junk, 16) != -1;
	close(fd);
	char d[64];
	snprintf(d, sizeof d, "(%ld requests, %ld wrong)", n + 5, wrong);
	verdict("bulkhead-device-bad-requests", wrong == 0, d);
}

static void fork_bomb(void)
{
	int n = 0, err = 0;
	for (;;) {
		pid_t p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0) {
			err = errno;
			break;
		}
		if (++n > 5000)
			break;
	}
	char d[64];
	snprintf(d, sizeof d, "(%d children, then %s)", n, ename(err));
	verdict("fork-bomb-refused", err == EAGAIN || err == ENOMEM, d);
	signal(SIGTERM, SIG_IGN);
	kill(0, SIGTERM); /* the whole group but us */
	int reaped = 0;
	while (wait(0) > 0)
		reaped++;
	verdict("fork-bomb-reaped", reaped == n, 0);
}

static void hog(void)
{
	for (;;) {
		char *m = mmap(0, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			_exit(3);
		for (long i = 0; i < (16 << 20); i += 4096)
			m[i] = 1;
	}
}

/* Random syscalls with hostile arguments, in children bounded by alarm();
 * calls that would reach outside the child (kill, fork, exec) are left out. */
static unsigned long long rng = 88172645463325252ull;
static unsigned long long rnd(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

static void fuzz_child(void)
{
	static char buf[8192];
	const long vals[] = { 0, 1, 2, -1, 3, 4096, 0x7fffffff, -4096, (long)buf, (long)buf + 4000,
			      (long)KPTR, (long)BADPTR, 0x7ffffffff000l, 0x800000000000l, (long)"/tmp",
			      (long)"/tests/bin", (long)"", 0x1000000000l, 100, 64 };
	alarm(2);
	for (int i = 0; i < 3000; i++) {
		long nr = (long)(rnd() % 340);
		if (nr == SYS_kill || nr == SYS_tkill || nr == SYS_tgkill || nr == SYS_fork || nr == SYS_vfork ||
		    nr == SYS_clone || nr == SYS_execve || nr == SYS_exit || nr == SYS_exit_group ||
		    nr == SYS_rt_sigreturn || nr == SYS_setpgid || nr == SYS_munmap || nr == SYS_mprotect ||
		    nr == SYS_brk || nr == SYS_rt_sigprocmask || nr == SYS_rt_sigaction || nr == SYS_arch_prctl ||
		    nr == SYS_mmap || nr == SYS_close || nr == SYS_dup2 || nr == SYS_dup3 || nr == SYS_chroot)
			continue;
		long a[6];
		for (int k = 0; k < 6; k++)
			a[k] = vals[rnd() % (sizeof vals / sizeof vals[0])];
		syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	_exit(0);
}

/* Each child gets a few seconds; then SIGKILL, which must end it wherever
 * it sleeps (a random call may well cancel its alarm or block forever). */
static void fuzz(void)
{
	int done = 0;
	for (int c = 0; c < 20; c++) {
		pid_t p = fork();
		if (!p)
			fuzz_child();
		int st = 0;
		for (int t = 0; t < 60 && waitpid(p, &st, WNOHANG) == 0; t++)
			usleep(50000);
		if (waitpid(p, &st, WNOHANG) == 0) {
			kill(p, SIGKILL);
			waitpid(p, &st, 0);
		}
		done += WIFEXITED(st) || WIFSIGNALED(st);
	}
	verdict("syscall-fuzz-survived", done == 20, "(20 children x 3000 calls)");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "hog")) /* for the shell: it reports the kill */
		hog();
	void (*volatile crash)(void) = null_deref; /* not inlined away */
	if (argc > 1 && !strcmp(argv[1], "segv"))
		crash();
	if (argc > 1 && !strcmp(argv[1], "bulkhead")) /* for tests/guest/test_bulkhead.py */
		return bulkhead_dev(), fails != 0;
	expect_signal("null-deref", null_deref, SIGSEGV);
	expect_signal("null-read", read_null, SIGSEGV);
	expect_signal("jump-to-kernel", jump_kernel, SIGSEGV);
	expect_signal("write-kernel", write_kernel, SIGSEGV);
	expect_signal("noncanonical", noncanonical, SIGSEGV);
	expect_signal("hlt", privileged, SIGSEGV);
	expect_signal("cli", cli, SIGSEGV);
	expect_signal("ud2", ud, SIGILL);
	expect_signal("divide-by-zero", div0, SIGFPE);
	expect_signal("stack-overflow", overflow, SIGSEGV);
	expect_signal("hypercall-from-user", hypercall, SIGILL);
	kernel_pointers();
	bulkhead_dev();
	fuzz();
	fork_bomb();
	int st = in_child(hog);
	char d[64];
	snprintf(d, sizeof d, "(status 0x%x)", st);
	verdict("out-of-memory-stopped", (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) ||
					      (WIFEXITED(st) && WEXITSTATUS(st) == 3), d);
	char *m = malloc(1 << 20);
	verdict("memory-back-after-oom", m && memset(m, 1, 1 << 20), 0);
	printf("%s: %d failed\n", fails ? "SOME FAILED" : "ALL PASSED", fails);
	return fails != 0;
}
