/* Network figures for tools/bench_net.py (TSC ticks, instructions under
 * QEMU -icount):
 *   bench_net serve PORT        accepts one TCP connection on 0.0.0.0:PORT,
 *                               reads to its end, answers one byte, exits
 *   bench_net send ADDR PORT N  sends N MiB to ADDR:PORT in 64 KiB writes,
 *                               shuts down its side, waits for the answer;
 *                               prints "tcp_per_mib: TICKS" (connect to answer)
 *                               and "tcp_ok: 1" if the server read them all. */
#include "t.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

static unsigned long long tsc(void)
{
	unsigned lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long long)hi << 32) | lo;
}

static char buf[65536];

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int one = 1;
	if (argc == 3 && !strcmp(argv[1], "serve")) {
		int s = socket(AF_INET, SOCK_STREAM, 0), c;
		long got = 0, r;
		a.sin_port = htons((unsigned short)atoi(argv[2]));
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 1) || (c = accept(s, 0, 0)) < 0)
			return printf("serve: %s\n", ename(errno)), 1;
		while ((r = read(c, buf, sizeof buf)) > 0)
			got += r;
		char ok = got > 0 && got % (1 << 20) == 0 ? 'y' : 'n';
		write(c, &ok, 1);
		close(c);
		return 0;
	}
	if (argc != 5 || strcmp(argv[1], "send"))
		return printf("usage: bench_net serve PORT | send ADDR PORT MIB\n"), 2;
	long mib = atol(argv[4]);
	a.sin_port = htons((unsigned short)atoi(argv[3]));
	inet_pton(AF_INET, argv[2], &a.sin_addr);
	unsigned long long t0 = tsc();
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr *)&a, sizeof a))
		return printf("send: connect: %s\n", ename(errno)), 1;
	for (long done = 0; done < mib << 20; done += sizeof buf)
		if (write(s, buf, sizeof buf) != sizeof buf)
			return printf("send: write: %s\n", ename(errno)), 1;
	shutdown(s, SHUT_WR);
	char ok = 0;
	read(s, &ok, 1);
	printf("tcp_per_mib: %llu\ntcp_ok: %d\n", (tsc() - t0) / (unsigned long long)mib, ok == 'y');
	return 0;
}
