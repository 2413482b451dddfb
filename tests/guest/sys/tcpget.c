/* TCP receive figure for tools/bench_net.py: `tcpget ADDR PORT BYTES`
 * connects to ADDR:PORT, reads until the peer closes, and prints "bytes: N",
 * "ticks: T" (TSC ticks from connect to the last byte: instructions under
 * QEMU -icount), "idle_cs: I" (centiseconds the kernel idled meanwhile,
 * /proc/uptime's second field) and "ok: 1" when N is BYTES. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static long long idle_cs(void)
{
	FILE *f = fopen("/proc/uptime", "r");
	double up, idle;
	int n = f ? fscanf(f, "%lf %lf", &up, &idle) : 0;
	if (f)
		fclose(f);
	return n == 2 ? (long long)(idle * 100 + 0.5) : -1;
}

static unsigned long long tsc(void)
{
	unsigned lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long long)hi << 32) | lo;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	if (argc != 4) {
		fprintf(stderr, "usage: tcpget ADDR PORT BYTES\n");
		return 2;
	}
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])) };
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
		perror("tcpget");
		return 1;
	}
	long long i0 = idle_cs();
	unsigned long long t0 = tsc(), n = 0;
	if (connect(s, (struct sockaddr *)&a, sizeof a)) {
		perror("tcpget: connect");
		return 1;
	}
	for (ssize_t r; (r = read(s, buf, sizeof buf)) > 0;)
		n += (unsigned long long)r;
	unsigned long long t = tsc() - t0;
	printf("bytes: %llu\nticks: %llu\nidle_cs: %lld\nok: %d\n", n, t, idle_cs() - i0, n == strtoull(argv[3], 0, 10));
	return 0;
}
