/* AF_INET sockets under random calls (guest only, tests/guest/test_net.py):
 * a pool of non-blocking TCP, UDP and raw ICMP sockets, and N calls picked
 * at random (bind, listen, connect, accept, send, recv, shutdown, options
 * of every level with random values, the SIOCGIF* ioctls, poll, close) on
 * the loopback with a few ports, so connections come and go in every state.
 * Any answer is fine; the kernel must stay up and keep serving, and a TCP
 * echo must work at the end.  Prints "survived N calls" and PASS/FAIL lines.
 * Only in the guest (it refuses elsewhere): its ioctls are SIOCGIF* gets,
 * but on Linux as root random sets would reconfigure the machine's lo.
 *   sys_inet_fuzz [N [SEED]] */
#include "t.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#define POOL 12

static unsigned long long x;
static unsigned rnd(unsigned n)
{
	x ^= x << 13, x ^= x >> 7, x ^= x << 17;
	return (unsigned)(x % n);
}

static int fresh(void)
{
	static const int types[][2] = { { SOCK_STREAM, 0 }, { SOCK_STREAM, 0 }, { SOCK_DGRAM, 0 },
					{ SOCK_RAW, IPPROTO_ICMP } };
	int t = (int)rnd(4);
	return socket(AF_INET, types[t][0] | SOCK_NONBLOCK, types[t][1]);
}

static struct sockaddr_in addr(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_port = htons((unsigned short)(rnd(5) ? 40000 + rnd(4) : 0));
	a.sin_addr.s_addr = htonl(rnd(8) ? INADDR_LOOPBACK : rnd(2) ? INADDR_ANY : 0x7f000002); /* loopback only */
	if (!rnd(20))
		a.sin_family = (sa_family_t)rnd(50);
	return a;
}

int main(int argc, char **argv)
{
	if (access("/proc/bulkhead", F_OK)) {
		printf("sys_inet_fuzz runs only in a Bulkhead partition\n");
		return 2;
	}
	long n = argc > 1 ? atol(argv[1]) : 20000;
	x = argc > 2 ? strtoull(argv[2], 0, 0) : 0x9e3779b97f4a7c15ull;
	signal(SIGPIPE, SIG_IGN);
	int fd[POOL];
	static char buf[70000];
	for (int i = 0; i < POOL; i++)
		fd[i] = fresh();
	for (long i = 0; i < n; i++) {
		int k = (int)rnd(POOL), s = fd[k], v = (int)rnd(4) ? (int)rnd(300) - 10 : (int)(x >> 8);
		struct sockaddr_in a = addr();
		socklen_t l = rnd(10) ? sizeof a : rnd(40);
		switch (rnd(16)) {
		case 0: bind(s, (struct sockaddr *)&a, l); break;
		case 1: listen(s, (int)rnd(4) - 1); break;
		case 2: connect(s, (struct sockaddr *)&a, l); break;
		case 3: {
			int c = accept4(s, 0, 0, SOCK_NONBLOCK);
			if (c >= 0) {
				close(fd[(k + 1) % POOL]);
				fd[(k + 1) % POOL] = c;
			}
			break;
		}
		case 4: send(s, buf, rnd(4) ? rnd(100) : rnd(sizeof buf), MSG_DONTWAIT); break;
		case 5: sendto(s, buf, rnd(2000), MSG_DONTWAIT, (struct sockaddr *)&a, l); break;
		case 6: recv(s, buf, rnd(sizeof buf), MSG_DONTWAIT | (rnd(3) ? 0 : MSG_PEEK)); break;
		case 7: shutdown(s, (int)rnd(4)); break;
		case 8: setsockopt(s, (int[]){ SOL_SOCKET, IPPROTO_IP, IPPROTO_TCP, 99 }[rnd(4)], (int)rnd(40), &v,
				   (socklen_t)(rnd(5) ? 4 : rnd(20))); break;
		case 9: {
			char o[64];
			socklen_t ol = (socklen_t)rnd(64);
			getsockopt(s, (int[]){ SOL_SOCKET, IPPROTO_IP, IPPROTO_TCP, 99 }[rnd(4)], (int)rnd(40), o, &ol);
			break;
		}
		case 10: {
			struct { char name[16]; char u[24]; } r = { "lo" };
			if (rnd(4) == 0)
				r.name[rnd(16)] = (char)rnd(256);
			static const int gets[] = { 0x8912, 0x8913, 0x8915, 0x8917, 0x8919, 0x891b, 0x891d,
						    0x8921, 0x8927, 0x8933, 0x8942, 0x541b };
			ioctl(s, gets[rnd(sizeof gets / sizeof gets[0])], rnd(8) ? (void *)&r : BADPTR);
			break;
		}
		case 11: {
			struct pollfd p = { s, POLLIN | POLLOUT, 0 };
			poll(&p, 1, 0);
			break;
		}
		case 12: getsockname(s, (struct sockaddr *)&a, &l); getpeername(s, (struct sockaddr *)&a, &l); break;
		case 13: case 14: close(s); fd[k] = fresh(); break;
		case 15: {
			struct sockaddr_in d = { .sin_family = AF_INET, .sin_port = htons(40000 + rnd(4)),
						 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			connect(c, (struct sockaddr *)&d, sizeof d);
			close(fd[k]);
			fd[k] = c;
			break;
		}
		}
	}
	for (int i = 0; i < POOL; i++)
		close(fd[i]);
	printf("survived %ld calls\n", n);
	/* still serving: an echo over a fresh connection */
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), s;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	char b[8] = "";
	int ok = !bind(l, (struct sockaddr *)&a, sizeof a) && !listen(l, 1) && !getsockname(l, (struct sockaddr *)&a, &al) &&
		 !connect(c, (struct sockaddr *)&a, sizeof a) && (s = accept(l, 0, 0)) >= 0 && write(c, "echo", 4) == 4 &&
		 read(s, b, sizeof b) == 4 && !memcmp(b, "echo", 4);
	check("a TCP echo after the fuzz", ok);
	return failed != 0;
}
