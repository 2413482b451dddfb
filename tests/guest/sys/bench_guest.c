/* Guest figures for tools/bench_guest.py: TSC ticks (instructions under QEMU
 * -icount) per fork+exec+wait of /bin/true, per `sh -c true`, and per MiB
 * through a pipe and through an AF_UNIX socket pair.  Prints "name: value" lines. */
#include "t.h"
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>

static unsigned long long tsc(void)
{
	unsigned lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long long)hi << 32) | lo;
}

static unsigned long long spawn(char *const argv[], int n)
{
	unsigned long long t0 = tsc();
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (!p) {
			execv(argv[0], argv);
			_exit(127);
		}
		waitpid(p, 0, 0);
	}
	return (tsc() - t0) / n;
}

/* Ticks per MiB of 16 MiB written to wr in 64 KiB writes and read from rd
 * by a child; *ok if the child read them all. */
static unsigned long long per_mib(int rd, int wr, int *ok)
{
	static char buf[65536];
	const long total = 16l << 20;
	unsigned long long t0 = tsc();
	pid_t c = fork();
	if (!c) {
		close(wr);
		long got = 0, r;
		while ((r = read(rd, buf, sizeof buf)) > 0)
			got += r;
		_exit(got == total ? 0 : 1);
	}
	close(rd);
	for (long done = 0; done < total; done += sizeof buf)
		write(wr, buf, sizeof buf);
	close(wr);
	int st;
	waitpid(c, &st, 0);
	*ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	return (tsc() - t0) / (total >> 20);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20;
	printf("spawn_true: %llu\n", spawn((char *[]){ "/bin/true", 0 }, n));
	printf("spawn_sh_c_true: %llu\n", spawn((char *[]){ "/bin/sh", "-c", "true", 0 }, n));
	int p[2], ok;
	pipe(p);
	unsigned long long t = per_mib(p[0], p[1], &ok);
	printf("pipe_per_mib: %llu\n", t);
	printf("pipe_ok: %d\n", ok);
	socketpair(AF_UNIX, SOCK_STREAM, 0, p);
	t = per_mib(p[0], p[1], &ok);
	printf("unix_per_mib: %llu\n", t);
	printf("unix_ok: %d\n", ok);
	return 0;
}
