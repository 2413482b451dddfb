/* Guest figures for tools/bench_guest.py: TSC ticks (instructions under QEMU
 * -icount) per fork+exec+wait of /bin/true, of a dynamically linked
 * /bin/true (the build machine's glibc one, in /tests/glibc), per `sh -c
 * true`, per MiB through a pipe, an AF_UNIX socket pair and a loopback TCP
 * connection (127.0.0.1), and per futex wake-up round trip between two
 * threads.  Prints "name: value" lines.
 * `bench_guest ctr N [ISOLATION]` instead: ticks per container of busybox
 * running `true` (create + start + wait through /var/run/docker.sock; its
 * removal not counted), process or hyperv, for tools/bench_engine.py.
 * `bench_guest spawn N ROOT PROG [ARG]...`: ticks per fork+exec+wait of
 * PROG chrooted in ROOT, on standard error ("spawn: N"; PROG's own output
 * goes where bench_guest's does), for tools/bench_debian.py and
 * tools/bench_docker.py. */
#include "t.h"
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static unsigned long long tsc(void)
{
	unsigned lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long long)hi << 32) | lo;
}

/* The child runs argv[0] chrooted in root when root is not NULL. */
static unsigned long long spawn_in(const char *root, char *const argv[], int n)
{
	unsigned long long t0 = tsc();
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (!p) {
			if (root && chroot(root))
				_exit(126);
			execv(argv[0], argv);
			_exit(127);
		}
		waitpid(p, 0, 0);
	}
	return (tsc() - t0) / n;
}

static unsigned long long spawn(char *const argv[], int n) { return spawn_in(0, argv, n); }

/* Futex ping-pong: each side waits for its word to turn 1, clears it, sets
 * the other's and wakes the other side. */
static volatile unsigned words[2];
static int rounds;

static void pass(int me)
{
	while (!__atomic_load_n(&words[me], __ATOMIC_ACQUIRE))
		syscall(SYS_futex, &words[me], 128 /* FUTEX_WAIT_PRIVATE */, 0, 0, 0, 0);
	words[me] = 0;
	__atomic_store_n(&words[!me], 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &words[!me], 129 /* FUTEX_WAKE_PRIVATE */, 1, 0, 0, 0);
}

static void *pong(void *arg)
{
	(void)arg;
	for (int i = 0; i < rounds; i++)
		pass(1);
	return 0;
}

/* Ticks per round trip (a wake and a wake back); *ok if every round ran. */
static unsigned long long futex_round_trip(int n, int *ok)
{
	pthread_t t;
	rounds = n;
	words[0] = 1;
	pthread_create(&t, 0, pong, 0);
	unsigned long long t0 = tsc();
	for (int i = 0; i < n; i++)
		pass(0);
	unsigned long long dt = tsc() - t0;
	*ok = !pthread_join(t, 0) && words[0] == 1;
	return dt / (unsigned long long)n;
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

/* A TCP connection over 127.0.0.1: p[0] the accepted end, p[1] the client. */
static int tcp_pair(int p[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof a;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 1) ||
	    getsockname(s, (struct sockaddr *)&a, &l))
		return -1;
	p[1] = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(p[1], (struct sockaddr *)&a, sizeof a) || (p[0] = accept(s, 0, 0)) < 0)
		return -1;
	close(s);
	return 0;
}

/* One request to the engine (Connection: close); the response in out. */
static int api(const char *method, const char *path, const char *body, char *out, size_t cap)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX, .sun_path = "/var/run/docker.sock" };
	char req[1024];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a))
		return -1;
	int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: d\r\nConnection: close\r\n"
			 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
			 method, path, strlen(body), body);
	write(fd, req, (size_t)n);
	size_t got = 0;
	ssize_t r;
	while (got + 1 < cap && (r = read(fd, out + got, cap - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = 0;
	close(fd);
	return 0;
}

static int containers(int n, const char *isolation)
{
	char out[4096], path[128], id[65], body[256];
	snprintf(body, sizeof body, "{\"Image\":\"busybox\",\"Cmd\":[\"true\"],\"HostConfig\":{\"Isolation\":\"%s\"}}",
		 isolation);
	unsigned long long total = 0;
	for (int i = 0; i < n; i++) {
		unsigned long long t0 = tsc();
		char *p;
		if (api("POST", "/containers/create", body, out, sizeof out) ||
		    !(p = strstr(out, "\"Id\":\"")) || sscanf(p + 6, "%64[0-9a-f]", id) != 1) {
			printf("create failed: %s\n", out);
			return 1;
		}
		snprintf(path, sizeof path, "/containers/%s/start", id);
		api("POST", path, "", out, sizeof out);
		if (!strstr(out, " 204 ")) {
			printf("start failed: %s\n", out);
			return 1;
		}
		snprintf(path, sizeof path, "/containers/%s/wait", id);
		api("POST", path, "", out, sizeof out);
		total += tsc() - t0;
		if (!strstr(out, "\"StatusCode\":0")) {
			printf("wait failed: %s\n", out);
			return 1;
		}
		snprintf(path, sizeof path, "/containers/%s", id);
		api("DELETE", path, "", out, sizeof out);
	}
	printf("ctr_true: %llu\n", total / (unsigned long long)n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "ctr"))
		return containers(atoi(argv[2]), argc > 3 ? argv[3] : "process");
	if (argc > 4 && !strcmp(argv[1], "spawn")) {
		fprintf(stderr, "spawn: %llu\n", spawn_in(argv[3], argv + 4, atoi(argv[2])));
		return 0;
	}
	int n = argc > 1 ? atoi(argv[1]) : 20;
	printf("spawn_true: %llu\n", spawn((char *[]){ "/bin/true", 0 }, n));
	printf("spawn_dynamic_true: %llu\n", spawn_in("/tests/glibc", (char *[]){ "/bin/true", 0 }, n));
	printf("spawn_sh_c_true: %llu\n", spawn((char *[]){ "/bin/sh", "-c", "true", 0 }, n));
	int p[2], ok;
	unsigned long long ft = futex_round_trip(1000, &ok);
	printf("futex_round_trip: %llu\n", ft);
	printf("futex_ok: %d\n", ok);
	pipe(p);
	unsigned long long t = per_mib(p[0], p[1], &ok);
	printf("pipe_per_mib: %llu\n", t);
	printf("pipe_ok: %d\n", ok);
	socketpair(AF_UNIX, SOCK_STREAM, 0, p);
	t = per_mib(p[0], p[1], &ok);
	printf("unix_per_mib: %llu\n", t);
	printf("unix_ok: %d\n", ok);
	if (tcp_pair(p)) {
		printf("tcp_failed: 1\n");
		return 1;
	}
	t = per_mib(p[0], p[1], &ok);
	printf("tcp_per_mib: %llu\n", t);
	printf("tcp_ok: %d\n", ok);
	return 0;
}
