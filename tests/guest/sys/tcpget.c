/* TCP receive figure for tools/bench_net.py: `tcpget ADDR PORT BYTES`
 * connects to ADDR:PORT, reads until the peer closes, and prints "bytes: N",
 * "ticks: T" (TSC ticks from connect to the last byte: instructions under
 * QEMU -icount) and "ok: 1" when N is BYTES. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

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
	unsigned long long t0 = tsc(), n = 0;
	if (connect(s, (struct sockaddr *)&a, sizeof a)) {
		perror("tcpget: connect");
		return 1;
	}
	for (ssize_t r; (r = read(s, buf, sizeof buf)) > 0;)
		n += (unsigned long long)r;
	printf("bytes: %llu\nticks: %llu\nok: %d\n", n, tsc() - t0, n == strtoull(argv[3], 0, 10));
	return 0;
}
