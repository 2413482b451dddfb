/* AF_INET sockets over the loopback, compared line by line with Linux:
 * creation and its errors, bind (EADDRINUSE, EADDRNOTAVAIL, EINVAL), TCP
 * client and server across fork, connect blocking and non-blocking
 * (EINPROGRESS, poll, SO_ERROR, EISCONN), ECONNREFUSED on a closed port,
 * EPIPE with SIGPIPE ignored and SIGPIPE's default, ECONNRESET from unread
 * data closed, shutdown both ways, poll readiness, SO_RCVTIMEO, EINTR, the
 * options (SO_*, TCP_NODELAY, IP_TTL...), UDP (addresses, boundaries,
 * truncation, connect), raw ICMP echo, the SIOCGIF* ioctls, and a MiB over
 * TCP with a checksum; bad pointers and lengths everywhere (EFAULT,
 * EINVAL), none of which may hurt the kernel.  Ports are ephemeral: printed only as compared.
 *   sys_inet DIR   (DIR unused: the tests' common calling form) */
#include "t.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

static struct sockaddr_in sin_of(const char *ip, int port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

#define SA(a) ((struct sockaddr *)&(a))

static int port_of(int s, int peer)
{
	struct sockaddr_in a;
	socklen_t l = sizeof a;
	if ((peer ? getpeername : getsockname)(s, SA(a), &l) < 0)
		return -1;
	return ntohs(a.sin_port);
}

static void show_name(const char *what, int s, int peer)
{
	struct sockaddr_in a;
	socklen_t l = sizeof a;
	errno = 0;
	int r = (peer ? getpeername : getsockname)(s, SA(a), &l);
	if (r < 0) {
		printf("%s: -1 %s\n", what, ename(errno));
		return;
	}
	char b[32];
	inet_ntop(AF_INET, &a.sin_addr, b, sizeof b);
	printf("%s: family %d addr %s port>0 %d len %d\n", what, a.sin_family, b, ntohs(a.sin_port) > 0, (int)l);
}

/* A listener on 127.0.0.1, an ephemeral port. */
static int listener(int backlog, int *port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = sin_of("127.0.0.1", 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (s < 0 || bind(s, SA(a), sizeof a) || listen(s, backlog))
		return -1;
	*port = port_of(s, 0);
	return s;
}

static int connect_to(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = sin_of("127.0.0.1", port);
	if (connect(s, SA(a), sizeof a) < 0) {
		close(s);
		return -1;
	}
	return s;
}

/* A connected pair: c the client, *srv the accepted end. */
static int pair(int *srv)
{
	int port, l = listener(1, &port);
	int c = connect_to(port);
	*srv = accept(l, 0, 0);
	close(l);
	return c;
}

/* A port nothing listens on: bound once, then closed. */
static int closed_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = sin_of("127.0.0.1", 0);
	bind(s, SA(a), sizeof a);
	int p = port_of(s, 0);
	close(s);
	return p;
}

static int revents(int fd, int events, int timeout)
{
	struct pollfd p = { fd, (short)events, 0 };
	int r = poll(&p, 1, timeout);
	return r < 0 ? -errno : p.revents;
}

/* Waits up to a second for the reset that answers data sent to a closed
 * peer: it arrives asynchronously, so a second write right after the first
 * may or may not see it. */
static void await_reset(int fd)
{
	for (int i = 0; i < 100 && !(revents(fd, POLLIN, 0) & (POLLERR | POLLHUP)); i++)
		usleep(10000);
}

static void poll_line(const char *what, int fd, int events, int timeout)
{
	int r = revents(fd, events, timeout);
	printf("%s:%s%s%s%s%s%s\n", what, r & POLLIN ? " IN" : "", r & POLLOUT ? " OUT" : "",
	       r & POLLERR ? " ERR" : "", r & POLLHUP ? " HUP" : "", r & POLLRDHUP ? " RDHUP" : "", r ? "" : " none");
}

static int getint(int s, int level, int name)
{
	int v = -12345;
	socklen_t l = sizeof v;
	errno = 0;
	if (getsockopt(s, level, name, &v, &l) < 0)
		return -errno;
	return v;
}

static int setint(int s, int level, int name, int v) { return setsockopt(s, level, name, &v, sizeof v); }

static void on_alarm(int sig) { (void)sig; }

static void creation(void)
{
	int s;
	T("socket stream", (s = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	printf("SO_TYPE %d SO_PROTOCOL %d SO_DOMAIN %d\n", getint(s, SOL_SOCKET, SO_TYPE),
	       getint(s, SOL_SOCKET, SO_PROTOCOL), getint(s, SOL_SOCKET, SO_DOMAIN));
	close(s);
	T("socket dgram", (s = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
	printf("dgram SO_PROTOCOL %d\n", getint(s, SOL_SOCKET, SO_PROTOCOL));
	close(s);
	T("socket stream udp", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
	T("socket dgram tcp", socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
	T("socket seqpacket", socket(AF_INET, SOCK_SEQPACKET, 0));
	T("socket dgram icmp (ping socket)", socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	T("socketpair inet", socketpair(AF_INET, SOCK_STREAM, 0, (int[2]){ 0, 0 }));
}

static void binding(void)
{
	int a = socket(AF_INET, SOCK_STREAM, 0), b = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in x = sin_of("127.0.0.1", 0), far = sin_of("203.0.113.1", 0);
	T("bind short", bind(a, SA(x), 8));
	struct sockaddr_in u = x;
	u.sin_family = AF_UNIX;
	T("bind family unix", bind(a, SA(u), sizeof u));
	T("bind non-local address", bind(a, SA(far), sizeof far));
	show_name("getsockname unbound", a, 0);
	T("bind 127.0.0.1:0", bind(a, SA(x), sizeof x));
	show_name("getsockname bound", a, 0);
	T("bind again", bind(a, SA(x), sizeof x));
	x.sin_port = htons((unsigned short)port_of(a, 0));
	T("bind same port", bind(b, SA(x), sizeof x));
	T("listen", listen(a, 5));
	T("bind same port, listening", bind(b, SA(x), sizeof x));
	T("getsockopt SO_ACCEPTCONN", getint(a, SOL_SOCKET, SO_ACCEPTCONN));
	T("listen again", listen(a, 10));
	T("connect listener", connect(a, SA(x), sizeof x));
	show_name("getpeername unconnected", b, 1);
	T("accept unlistened", accept(b, 0, 0));
	char c;
	T("recv unconnected", recv(b, &c, 1, 0));
	T("send unconnected", send(b, "x", 1, MSG_NOSIGNAL));
	T("shutdown unconnected", shutdown(b, SHUT_WR));
	int d = socket(AF_INET, SOCK_DGRAM, 0);
	T("listen dgram", listen(d, 1));
	T("accept dgram", accept(d, 0, 0));
	close(a), close(b), close(d);
	/* a listener without bind gets a port */
	a = socket(AF_INET, SOCK_STREAM, 0);
	T("listen unbound", listen(a, 1));
	printf("autobound port>0: %d\n", port_of(a, 0) > 0);
	close(a);
}

static void client_server(void)
{
	int port, l = listener(4, &port);
	pid_t pid = fork();
	if (!pid) {
		int c = connect_to(port);
		char b[64] = "";
		write(c, "hello from the client", 21);
		int n = (int)read(c, b, sizeof b - 1);
		printf("child read %d: %.*s\n", n, n > 0 ? n : 0, b);
		printf("child has a local port: %d\n", port_of(c, 0) > 0);
		show_name("child getpeername", c, 1);
		close(c);
		_exit(0);
	}
	struct sockaddr_in a;
	socklen_t al = sizeof a;
	int s = accept(l, SA(a), &al);
	char ip[32], b[64] = "";
	inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
	printf("accept: %d from %s len %d\n", s >= 0, ip, (int)al);
	show_name("accepted getsockname", s, 0);
	printf("accepted local port = listener's: %d\n", port_of(s, 0) == port);
	int n = (int)read(s, b, sizeof b - 1);
	printf("server read %d: %.*s\n", n, n > 0 ? n : 0, b);
	long w = write(s, "hello back", 10);
	int st;
	waitpid(pid, &st, 0); /* the child's lines first */
	T("server write", w);
	T("read after peer closed", read(s, b, sizeof b));
	T("read again", read(s, b, sizeof b));
	close(s);
	close(l);
}

static void nonblocking(void)
{
	int port, l = listener(4, &port);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = sin_of("127.0.0.1", port);
	T("non-blocking connect", connect(c, SA(a), sizeof a));
	poll_line("poll connecting", c, POLLOUT, 2000);
	T("SO_ERROR", getint(c, SOL_SOCKET, SO_ERROR));
	T("connect again (completes it)", connect(c, SA(a), sizeof a));
	T("connect once more", connect(c, SA(a), sizeof a));
	char b[8];
	T("recv empty non-blocking", recv(c, b, sizeof b, 0));
	int s = accept(l, 0, 0);
	fcntl(l, F_SETFL, O_NONBLOCK);
	T("accept nothing pending", accept(l, 0, 0));
	T("MSG_DONTWAIT on blocking", recv(s, b, sizeof b, MSG_DONTWAIT));
	close(s), close(c);
	/* refused */
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	a = sin_of("127.0.0.1", closed_port());
	T("non-blocking connect, closed port", connect(c, SA(a), sizeof a));
	poll_line("poll refused", c, POLLIN | POLLOUT, 2000);
	T("SO_ERROR refused", getint(c, SOL_SOCKET, SO_ERROR));
	T("SO_ERROR again", getint(c, SOL_SOCKET, SO_ERROR));
	close(c);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	connect(c, SA(a), sizeof a);
	revents(c, POLLOUT, 2000);
	T("connect after refused", connect(c, SA(a), sizeof a));
	close(c);
	c = socket(AF_INET, SOCK_STREAM, 0);
	T("blocking connect, closed port", connect(c, SA(a), sizeof a));
	T("SO_ERROR after", getint(c, SOL_SOCKET, SO_ERROR));
	a.sin_family = AF_UNIX;
	T("connect family unix", connect(c, SA(a), sizeof a));
	T("connect short", connect(c, SA(a), 4));
	close(c);
	close(l);
}

static void errors(void)
{
	int s, c = pair(&s);
	char b[16];
	signal(SIGPIPE, SIG_IGN);
	close(s); /* the peer is gone: our data is answered with a reset */
	T("write to closed peer", write(c, "abc", 3));
	await_reset(c);
	T("write again (EPIPE)", write(c, "abc", 3));
	T("write, SO_ERROR", getint(c, SOL_SOCKET, SO_ERROR));
	T("read", read(c, b, sizeof b));
	close(c);
	c = pair(&s);
	write(c, "unread", 6);
	revents(s, POLLIN, 1000);
	close(s); /* unread data: a reset */
	revents(c, POLLIN, 1000);
	T("recv after reset (ECONNRESET)", recv(c, b, sizeof b, 0));
	T("recv again", recv(c, b, sizeof b, 0));
	poll_line("poll after reset", c, POLLIN | POLLOUT, 0);
	close(c);
	/* SIGPIPE's default kills */
	signal(SIGPIPE, SIG_DFL);
	c = pair(&s);
	close(s);
	pid_t pid = fork();
	if (!pid) {
		write(c, "abc", 3);
		await_reset(c);
		write(c, "abc", 3);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("writer killed by signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	close(c);
	signal(SIGPIPE, SIG_IGN);
}

static void shutdowns(void)
{
	int s, c = pair(&s);
	char b[16];
	poll_line("poll fresh connection", c, POLLIN | POLLOUT | POLLRDHUP, 0);
	write(s, "ping", 4);
	poll_line("poll data waiting", c, POLLIN | POLLOUT | POLLRDHUP, 1000);
	T("FIONREAD", ({ int v = -1; ioctl(c, FIONREAD, &v) < 0 ? -1 : v; }));
	T("recv MSG_PEEK", recv(c, b, sizeof b, MSG_PEEK));
	T("recv", recv(c, b, sizeof b, 0));
	T("shutdown bad how", shutdown(c, 7));
	T("shutdown SHUT_WR", shutdown(c, SHUT_WR));
	T("write after SHUT_WR", write(c, "x", 1));
	T("server reads EOF", read(s, b, sizeof b));
	poll_line("poll server after peer's SHUT_WR", s, POLLIN | POLLOUT | POLLRDHUP, 0);
	T("server still writes", write(s, "pong", 4));
	revents(c, POLLIN, 1000);
	T("client reads it", read(c, b, sizeof b));
	T("shutdown SHUT_RD", shutdown(c, SHUT_RD));
	T("read after SHUT_RD", read(c, b, sizeof b));
	T("server shutdown SHUT_RDWR", shutdown(s, SHUT_RDWR));
	revents(c, POLLRDHUP, 1000);
	poll_line("poll both shut", c, POLLIN | POLLOUT | POLLRDHUP, 0);
	poll_line("poll server both shut", s, POLLIN | POLLOUT | POLLRDHUP, 0);
	close(s), close(c);
	int port, l = listener(4, &port);
	poll_line("poll listener idle", l, POLLIN | POLLOUT, 0);
	c = connect_to(port);
	poll_line("poll listener pending", l, POLLIN | POLLOUT, 1000);
	close(c), close(l);
	/* select */
	c = pair(&s);
	fd_set r, w;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(c, &r);
	FD_SET(c, &w);
	struct timeval tv = { 1, 0 };
	int n = select(c + 1, &r, &w, 0, &tv);
	printf("select: %d r %d w %d\n", n, FD_ISSET(c, &r) != 0, FD_ISSET(c, &w) != 0);
	close(s), close(c);
}

static void options(void)
{
	int s, c = pair(&s);
	printf("SO_REUSEADDR %d", getint(c, SOL_SOCKET, SO_REUSEADDR));
	setint(c, SOL_SOCKET, SO_REUSEADDR, 1);
	printf(" -> %d\n", getint(c, SOL_SOCKET, SO_REUSEADDR));
	printf("SO_KEEPALIVE %d", getint(c, SOL_SOCKET, SO_KEEPALIVE));
	setint(c, SOL_SOCKET, SO_KEEPALIVE, 1);
	printf(" -> %d\n", getint(c, SOL_SOCKET, SO_KEEPALIVE));
	printf("TCP_NODELAY %d", getint(c, IPPROTO_TCP, TCP_NODELAY));
	T(" set", setint(c, IPPROTO_TCP, TCP_NODELAY, 1));
	printf("TCP_NODELAY now %d\n", getint(c, IPPROTO_TCP, TCP_NODELAY));
	printf("TCP_KEEPIDLE %d TCP_KEEPINTVL %d TCP_KEEPCNT %d\n", getint(c, IPPROTO_TCP, TCP_KEEPIDLE),
	       getint(c, IPPROTO_TCP, TCP_KEEPINTVL), getint(c, IPPROTO_TCP, TCP_KEEPCNT));
	T("TCP_KEEPIDLE 0", setint(c, IPPROTO_TCP, TCP_KEEPIDLE, 0));
	T("TCP_KEEPIDLE 60", setint(c, IPPROTO_TCP, TCP_KEEPIDLE, 60));
	printf("TCP_KEEPIDLE now %d\n", getint(c, IPPROTO_TCP, TCP_KEEPIDLE));
	T("TCP option 9999", setint(c, IPPROTO_TCP, 9999, 1));
	T("TCP_NODELAY short", setsockopt(c, IPPROTO_TCP, TCP_NODELAY, "", 1));
	printf("IP_TTL %d", getint(c, IPPROTO_IP, IP_TTL));
	T(" set 32", setint(c, IPPROTO_IP, IP_TTL, 32));
	printf("IP_TTL now %d\n", getint(c, IPPROTO_IP, IP_TTL));
	T("IP_TTL 0", setint(c, IPPROTO_IP, IP_TTL, 0));
	T("IP_TTL 256", setint(c, IPPROTO_IP, IP_TTL, 256));
	T("IP_TTL -1", setint(c, IPPROTO_IP, IP_TTL, -1));
	printf("IP_TTL after -1: %d\n", getint(c, IPPROTO_IP, IP_TTL));
	printf("SO_SNDBUF set 8192 -> %d\n", (setint(c, SOL_SOCKET, SO_SNDBUF, 8192), getint(c, SOL_SOCKET, SO_SNDBUF)));
	printf("SO_RCVBUF set 8192 -> %d\n", (setint(c, SOL_SOCKET, SO_RCVBUF, 8192), getint(c, SOL_SOCKET, SO_RCVBUF)));
	printf("SO_ERROR %d\n", getint(c, SOL_SOCKET, SO_ERROR));
	struct timeval tv = { 0, 100000 };
	T("SO_RCVTIMEO", setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	char b[8];
	T("recv with timeout", recv(c, b, sizeof b, 0));
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	printf("dgram get TCP_NODELAY: %s\n", ename(-getint(u, IPPROTO_TCP, TCP_NODELAY)));
	T("dgram set TCP_NODELAY", setint(u, IPPROTO_TCP, TCP_NODELAY, 1));
	printf("dgram IP_TTL %d\n", getint(u, IPPROTO_IP, IP_TTL));
	close(u), close(s), close(c);
}

static void interrupted(void)
{
	int port, l = listener(1, &port);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm; /* no SA_RESTART */
	sigaction(SIGALRM, &sa, 0);
	alarm(1);
	T("accept interrupted", accept(l, 0, 0));
	int s, c = pair(&s);
	char b[8];
	alarm(1);
	T("recv interrupted", recv(c, b, sizeof b, 0));
	close(s), close(c), close(l);
}

static void udp(void)
{
	int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in x = sin_of("127.0.0.1", 0), from;
	bind(a, SA(x), sizeof x);
	x.sin_port = htons((unsigned short)port_of(a, 0));
	T("udp send unconnected, no address", send(b, "x", 1, 0));
	T("udp sendto", sendto(b, "one", 3, 0, SA(x), sizeof x));
	T("udp sendto 2", sendto(b, "second", 6, 0, SA(x), sizeof x));
	T("udp sendto empty", sendto(b, "", 0, 0, SA(x), sizeof x));
	printf("udp sender autobound: %d\n", port_of(b, 0) > 0);
	char buf[70000];
	socklen_t fl = sizeof from;
	T("FIONREAD", ({ int v = -1; ioctl(a, FIONREAD, &v) < 0 ? -1 : v; }));
	T("udp recvfrom", recvfrom(a, buf, sizeof buf, 0, SA(from), &fl));
	printf("from port = sender's: %d len %d\n", ntohs(from.sin_port) == port_of(b, 0), (int)fl);
	struct iovec iov = { buf, 2 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	T("udp recvmsg truncated", recvmsg(a, &m, 0));
	printf("msg_flags MSG_TRUNC %d\n", (m.msg_flags & MSG_TRUNC) != 0);
	T("udp recv empty datagram", recv(a, buf, sizeof buf, 0));
	T("udp recv none, MSG_DONTWAIT", recv(a, buf, sizeof buf, MSG_DONTWAIT));
	sendto(b, "peek", 4, 0, SA(x), sizeof x);
	T("udp MSG_PEEK|MSG_TRUNC", recv(a, buf, 1, MSG_PEEK | MSG_TRUNC));
	T("udp recv", recv(a, buf, sizeof buf, 0));
	T("udp too big", sendto(b, buf, 65508, 0, SA(x), sizeof x));
	T("udp largest", sendto(b, buf, 65507, 0, SA(x), sizeof x));
	T("udp recv largest", recv(a, buf, sizeof buf, 0));
	/* what glibc's resolver does: IP_RECVERR, then both questions at once */
	T("IP_RECVERR", setsockopt(b, IPPROTO_IP, IP_RECVERR, &(int){ 1 }, sizeof(int)));
	struct iovec mv[2] = { { "first", 5 }, { "2nd", 3 } };
	struct mmsghdr mm[2] = { { .msg_hdr = { .msg_name = &x, .msg_namelen = sizeof x, .msg_iov = &mv[0], .msg_iovlen = 1 } },
				 { .msg_hdr = { .msg_name = &x, .msg_namelen = sizeof x, .msg_iov = &mv[1], .msg_iovlen = 1 } } };
	T("udp sendmmsg", sendmmsg(b, mm, 2, 0));
	printf("msg_len %u %u\n", mm[0].msg_len, mm[1].msg_len);
	T("udp recv first", recv(a, buf, sizeof buf, 0));
	T("udp recv 2nd", recv(a, buf, sizeof buf, 0));
	T("udp sendmmsg none", sendmmsg(b, mm, 0, 0));
	T("udp connect", connect(b, SA(x), sizeof x));
	show_name("udp getpeername", b, 1);
	T("udp send connected", send(b, "conn", 4, 0));
	T("udp recv it", recv(a, buf, sizeof buf, 0));
	struct sockaddr_in un = { .sin_family = AF_UNSPEC };
	T("udp connect AF_UNSPEC", connect(b, SA(un), sizeof un));
	show_name("udp getpeername after", b, 1);
	x.sin_family = 12345;
	T("udp sendto bad family", sendto(b, "x", 1, 0, SA(x), sizeof x));
	poll_line("udp poll", a, POLLIN | POLLOUT, 0);
	close(b);
	/* across fork */
	pid_t pid = fork();
	if (!pid) {
		int c = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in to = sin_of("127.0.0.1", port_of(a, 0));
		for (int i = 0; i < 3; i++)
			sendto(c, "from the child", 14, 0, SA(to), sizeof to);
		_exit(0);
	}
	int n = 0;
	for (int i = 0; i < 3; i++)
		n += (int)recv(a, buf, sizeof buf, 0);
	printf("udp from the child: %d bytes\n", n);
	waitpid(pid, 0, 0);
	close(a);
}

static unsigned short csum(const void *p, int n)
{
	const unsigned short *w = p;
	unsigned long s = 0;
	for (; n > 1; n -= 2)
		s += *w++;
	if (n)
		s += *(const unsigned char *)w;
	s = (s >> 16) + (s & 0xffff);
	s += s >> 16;
	return (unsigned short)~s;
}

static void icmp(void)
{
	int r = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	printf("raw icmp socket: %d\n", r >= 0);
	unsigned char pkt[64] = { 0 }, in[256];
	struct icmphdr *h = (struct icmphdr *)pkt;
	h->type = ICMP_ECHO, h->un.echo.id = htons(0x4242), h->un.echo.sequence = htons(1);
	memcpy(pkt + 8, "bulkhead ping", 13);
	h->checksum = csum(pkt, sizeof pkt);
	struct sockaddr_in to = sin_of("127.0.0.1", 0);
	T("icmp sendto", sendto(r, pkt, sizeof pkt, 0, SA(to), sizeof to));
	for (int i = 0; i < 50; i++) { /* a raw socket sees every ICMP packet: others' pings are skipped */
		if (revents(r, POLLIN, 2000) != POLLIN)
			break;
		int n = (int)recv(r, in, sizeof in, 0);
		struct iphdr *ip = (struct iphdr *)in;
		struct icmphdr *e = (struct icmphdr *)(in + ip->ihl * 4);
		if (n < 28 || ntohs(e->un.echo.id) != 0x4242)
			continue;
		printf("icmp recv %d: ip proto %d ttl %d type %d code %d id %x seq %d payload %.13s\n", n, ip->protocol,
		       ip->ttl, e->type, e->code, ntohs(e->un.echo.id), ntohs(e->un.echo.sequence), (char *)(e + 1));
		if (e->type == ICMP_ECHOREPLY)
			break;
	}
	close(r);
}

static void interfaces(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq rq[8];
	struct ifconf c = { .ifc_len = sizeof rq, .ifc_req = rq };
	T("SIOCGIFCONF", ioctl(s, SIOCGIFCONF, &c));
	for (int i = 0; i < c.ifc_len / (int)sizeof rq[0]; i++)
		if (!strcmp(rq[i].ifr_name, "lo")) /* a build machine has more */
			printf("ifconf lo: %s\n", inet_ntoa(((struct sockaddr_in *)&rq[i].ifr_addr)->sin_addr));
	struct ifreq r;
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	T("SIOCGIFFLAGS", ioctl(s, SIOCGIFFLAGS, &r));
	printf("lo flags UP %d LOOPBACK %d RUNNING %d\n", !!(r.ifr_flags & IFF_UP), !!(r.ifr_flags & IFF_LOOPBACK),
	       !!(r.ifr_flags & IFF_RUNNING));
	T("SIOCGIFADDR", ioctl(s, SIOCGIFADDR, &r));
	printf("lo addr %s\n", inet_ntoa(((struct sockaddr_in *)&r.ifr_addr)->sin_addr));
	T("SIOCGIFNETMASK", ioctl(s, SIOCGIFNETMASK, &r));
	printf("lo mask %s\n", inet_ntoa(((struct sockaddr_in *)&r.ifr_netmask)->sin_addr));
	T("SIOCGIFMTU", ioctl(s, SIOCGIFMTU, &r));
	printf("lo mtu %d\n", r.ifr_mtu);
	T("SIOCGIFHWADDR", ioctl(s, SIOCGIFHWADDR, &r));
	printf("lo hw family %d\n", r.ifr_hwaddr.sa_family);
	strcpy(r.ifr_name, "nosuch0");
	T("SIOCGIFFLAGS unknown", ioctl(s, SIOCGIFFLAGS, &r));
	T("SIOCGIFCONF bad pointer", ioctl(s, SIOCGIFCONF, BADPTR));
	close(s);
}

static void hostile(void)
{
	int s, c = pair(&s), u = socket(AF_INET, SOCK_DGRAM, 0);
	char b[16];
	socklen_t l = 16;
	T("bind bad pointer", bind(u, BADPTR, 16));
	T("bind kernel pointer", bind(u, KPTR, 16));
	T("bind huge length", bind(u, BADPTR, 1u << 30));
	T("connect bad pointer", connect(u, BADPTR, 16));
	T("sendto bad address pointer", sendto(u, "x", 1, 0, BADPTR, 16));
	T("sendto bad buffer", sendto(u, BADPTR, 8, 0, SA((struct sockaddr_in){ 0 }), 16));
	T("getsockname bad pointer", getsockname(u, BADPTR, &l));
	T("getsockname bad length pointer", getsockname(u, SA((struct sockaddr_in){ 0 }), BADPTR));
	T("getsockopt IP_TTL bad value", getsockopt(u, IPPROTO_IP, IP_TTL, BADPTR, &l));
	T("setsockopt IP_TTL bad value", setsockopt(u, IPPROTO_IP, IP_TTL, BADPTR, 4));
	T("setsockopt TCP_NODELAY kernel pointer", setsockopt(c, IPPROTO_TCP, TCP_NODELAY, KPTR, 4));
	T("setsockopt IP_TTL negative length", setsockopt(u, IPPROTO_IP, IP_TTL, b, -1));
	T("ioctl SIOCGIFFLAGS bad pointer", ioctl(u, SIOCGIFFLAGS, BADPTR));
	T("ioctl SIOCGIFADDR kernel pointer", ioctl(u, SIOCGIFADDR, KPTR));
	T("ioctl SIOCSIFADDR (a set)", ioctl(u, SIOCSIFADDR, &(struct ifreq){ .ifr_name = "lo" }));
	T("tcp send bad buffer", send(c, BADPTR, 100, 0));
	T("tcp send kernel buffer", send(c, KPTR, 100, 0));
	write(s, "data", 4);
	revents(c, POLLIN, 1000);
	T("tcp recv into bad buffer", recv(c, BADPTR, 4, 0));
	T("tcp recv after it", recv(c, b, sizeof b, 0));
	struct iovec iov[2] = { { b, 2 }, { BADPTR, 2 } };
	write(s, "more", 4);
	revents(c, POLLIN, 1000);
	T("tcp readv half bad", readv(c, iov, 2));
	struct msghdr m = { .msg_iov = BADPTR, .msg_iovlen = 1 };
	T("recvmsg bad iovec", recvmsg(u, &m, MSG_DONTWAIT));
	T("sendmsg bad name", sendmsg(u, &(struct msghdr){ .msg_name = BADPTR, .msg_namelen = 16 }, 0));
	T("socket huge protocol", socket(AF_INET, SOCK_STREAM, 1 << 30));
	T("socket negative type", socket(AF_INET, -1, 0));
	close(u), close(s), close(c);
}

static void mib(void)
{
	int port, l = listener(1, &port);
	pid_t pid = fork();
	if (!pid) {
		int c = connect_to(port);
		static unsigned char b[100000];
		unsigned long left = 1 << 20, x = 7;
		while (left) {
			int n = left < sizeof b ? (int)left : (int)sizeof b;
			for (int i = 0; i < n; i++)
				b[i] = (unsigned char)((x = x * 1103515245 + 12345) >> 16);
			for (int off = 0; off < n;) {
				int w = (int)write(c, b + off, (size_t)(n - off));
				if (w <= 0)
					_exit(1);
				off += w;
			}
			left -= (unsigned long)n;
		}
		close(c);
		_exit(0);
	}
	int s = accept(l, 0, 0);
	unsigned long total = 0, sum = 0;
	unsigned char b[7001];
	int n;
	while ((n = (int)read(s, b, sizeof b)) > 0) {
		for (int i = 0; i < n; i++)
			sum = sum * 31 + b[i];
		total += (unsigned long)n;
	}
	int st;
	waitpid(pid, &st, 0);
	printf("MiB over TCP: %lu bytes, checksum %lx, writer status %d\n", total, sum, WEXITSTATUS(st));
	close(s), close(l);
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	creation();
	binding();
	client_server();
	nonblocking();
	errors();
	shutdowns();
	options();
	interrupted();
	udp();
	icmp();
	interfaces();
	hostile();
	mib();
	return 0;
}
