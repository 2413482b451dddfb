/* Network figures for tools/bench_net.py (TSC ticks, instructions under
 * QEMU -icount):
 *   bench_net serve PORT        accepts one TCP connection on 0.0.0.0:PORT,
 *                               reads to its end, answers one byte, exits
 *   bench_net send ADDR PORT N  sends N MiB to ADDR:PORT in 64 KiB writes,
 *                               shuts down its side, waits for the answer;
 *                               prints "tcp_per_mib: TICKS" (connect to answer)
 *                               and "tcp_ok: 1" if the server read them all
 *   bench_net ping ADDR N       N ICMP echo round trips to ADDR, one at a time
 *                               (a raw socket, as busybox ping): prints
 *                               "ping_ticks: TICKS" per round trip. */
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

static unsigned short csum(const unsigned char *p, int n)
{
	unsigned long s = 0;
	for (int i = 0; i + 1 < n; i += 2)
		s += (unsigned)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (unsigned)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (unsigned short)~s;
}

static int ping(const char *addr, int n)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	unsigned char req[64] = { 8 }, rep[256];
	int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), id = getpid() & 0xffff;
	inet_pton(AF_INET, addr, &a.sin_addr);
	unsigned long long total = 0;
	for (int seq = 0; seq < n; seq++) {
		req[2] = req[3] = 0;
		req[4] = (unsigned char)(id >> 8), req[5] = (unsigned char)id, req[6] = (unsigned char)(seq >> 8),
		req[7] = (unsigned char)seq;
		unsigned short c = csum(req, sizeof req);
		req[2] = (unsigned char)(c >> 8), req[3] = (unsigned char)c;
		unsigned long long t0 = tsc();
		if (sendto(s, req, sizeof req, 0, (struct sockaddr *)&a, sizeof a) != sizeof req)
			return printf("ping: sendto: %s\n", ename(errno)), 1;
		for (;;) { /* the reply: after its IP header, type 0 with our id and seq */
			ssize_t r = recv(s, rep, sizeof rep, 0);
			int hl = r > 0 ? (rep[0] & 15) * 4 : 0;
			if (r < 0)
				return printf("ping: recv: %s\n", ename(errno)), 1;
			if (r >= hl + 8 && rep[hl] == 0 && !memcmp(rep + hl + 4, req + 4, 4))
				break;
		}
		total += tsc() - t0;
	}
	printf("ping_ticks: %llu\n", total / (unsigned long long)n);
	return 0;
}

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
	if (argc == 4 && !strcmp(argv[1], "ping"))
		return ping(argv[2], atoi(argv[3]));
	if (argc != 5 || strcmp(argv[1], "send"))
		return printf("usage: bench_net serve PORT | send ADDR PORT MIB | ping ADDR N\n"), 2;
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
