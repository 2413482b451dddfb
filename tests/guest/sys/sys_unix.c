/* AF_UNIX sockets, compared line by line with Linux: creation and
 * its errors, bind (the S_IFSOCK node, EADDRINUSE, abstract names,
 * autobind), listen and its backlog, connect and accept (blocking ones
 * woken by another process), data through read/write, send/recv, readv/
 * writev and sendmsg/recvmsg, SCM_RIGHTS (between processes, MSG_CTRUNC,
 * descriptors in flight closed with their socket, cycles collected),
 * shutdown, EOF, EPIPE and SIGPIPE, ECONNRESET, poll and select readiness,
 * O_NONBLOCK, the SOL_SOCKET options, SO_PEERCRED, SOCK_DGRAM (addresses,
 * boundaries, truncation, the queue limit, connect and EPERM) and
 * SOCK_SEQPACKET records, and a MiB through a pair with a checksum.   sys_unix DIR   (DIR is made and used as the cwd) */
#include "t.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <stddef.h>
#include <time.h>

static struct sockaddr_un sun_of(const char *path, socklen_t *len)
{
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	strcpy(a.sun_path, path);
	*len = offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
	return a;
}

static int sock(void) { return socket(AF_UNIX, SOCK_STREAM, 0); }

static int bind_to(int s, const char *path)
{
	socklen_t l;
	struct sockaddr_un a = sun_of(path, &l);
	return bind(s, (struct sockaddr *)&a, l);
}

static int connect_to(int s, const char *path)
{
	socklen_t l;
	struct sockaddr_un a = sun_of(path, &l);
	return connect(s, (struct sockaddr *)&a, l);
}

static int listener(const char *path, int backlog)
{
	int s = sock();
	unlink(path);
	if (s < 0 || bind_to(s, path) || listen(s, backlog))
		return -1;
	return s;
}

static void ms(int n)
{
	struct timespec t = { n / 1000, (n % 1000) * 1000000l };
	nanosleep(&t, 0);
}

static int revents(int fd, short ev)
{
	struct pollfd p = { fd, ev, 0 };
	return poll(&p, 1, 0) < 0 ? -1 : p.revents;
}

#define EV (POLLIN | POLLOUT | POLLRDHUP | POLLPRI)
#define P(name, fd) printf("%s: %#x\n", name, revents(fd, EV))

/* Sends len bytes of data with n descriptors as SCM_RIGHTS. */
static ssize_t send_fds(int s, const void *data, size_t len, const int *fds, int n, int flags)
{
	char ctl[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec v = { (void *)data, len };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * n) };
	memset(ctl, 0, sizeof ctl);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	return sendmsg(s, &m, flags);
}

/* Receives into buf with room for `room` descriptors; stores them in fds
 * and their count in *n; returns recvmsg's value, the flags in *mflags. */
static ssize_t recv_fds(int s, char *buf, size_t len, int room, int *fds, int *n, int *mflags, int flags)
{
	char ctl[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec v = { buf, len };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = room ? ctl : 0,
			    .msg_controllen = room ? CMSG_LEN(sizeof(int) * room) : 0 };
	ssize_t r = recvmsg(s, &m, flags);
	*n = 0;
	*mflags = m.msg_flags;
	if (r >= 0 && room)
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				memcpy(fds + *n, CMSG_DATA(c), sizeof(int) * k);
				*n += k;
			}
	return r;
}

static int sigpipes;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

static int geti(int s, int name)
{
	int v = -99;
	socklen_t l = sizeof v;
	return getsockopt(s, SOL_SOCKET, name, &v, &l) ? -errno : v;
}

static void creation(void)
{
	int s;
	T("socket", s = sock());
	struct stat st;
	T("fstat", fstat(s, &st));
	printf("fstat: sock %d mode %o size %ld\n", S_ISSOCK(st.st_mode), st.st_mode & 07777, (long)st.st_size);
	T("fcntl-getfl", fcntl(s, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
	T("fcntl-getfd", fcntl(s, F_GETFD));
	close(s);
	T("socket-nonblock-cloexec", s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	T("nonblock-getfl", fcntl(s, F_GETFL) & O_NONBLOCK);
	T("cloexec-getfd", fcntl(s, F_GETFD));
	close(s);
	T("socket-proto-1", s = socket(AF_UNIX, SOCK_STREAM, 1));
	close(s);
	T("socket-bad-flags", socket(AF_UNIX, SOCK_STREAM | 0x10000, 0));
	T("socket-type-12", socket(AF_UNIX, 12, 0));
	T("socket-type-7", socket(AF_UNIX, 7, 0));
	T("socket-proto-2", socket(AF_UNIX, SOCK_STREAM, 2));
	T("socket-family-200", socket(200, SOCK_STREAM, 0));
	T("socket-family-neg", socket(-1, SOCK_STREAM, 0));
	T("socketpair-efault", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, BADPTR));
	T("socketpair-bad-flags", socketpair(AF_UNIX, SOCK_STREAM | 0x10000, 0, (int[2]){ 0, 0 }));
	int p[2];
	pipe(p);
	char b[4];
	socklen_t l = sizeof b;
	T("bind-notsock", bind(p[0], (struct sockaddr *)b, 2));
	T("listen-notsock", listen(p[0], 1));
	T("accept-notsock", accept(p[0], 0, 0));
	T("getsockopt-notsock", getsockopt(p[0], SOL_SOCKET, SO_TYPE, b, &l));
	T("shutdown-notsock", shutdown(p[0], SHUT_RD));
	T("recv-notsock", recv(p[0], b, 1, MSG_DONTWAIT));
	T("send-ebadf", send(99, b, 1, 0));
	T("connect-ebadf", connect(99, (struct sockaddr *)b, 2));
	close(p[0]);
	close(p[1]);
}

static void names(void)
{
	int s = sock(), t = sock();
	struct sockaddr_un a;
	socklen_t l = sizeof a;
	memset(&a, 0x55, sizeof a);
	T("getsockname-unbound", getsockname(s, (struct sockaddr *)&a, &l));
	printf("unbound: len %d family %d\n", (int)l, a.sun_family);
	l = sizeof a;
	T("getpeername-unconnected", getpeername(s, (struct sockaddr *)&a, &l));
	T("bind", bind_to(s, "s1"));
	struct stat st;
	T("stat-node", stat("s1", &st));
	printf("node: sock %d mode %o\n", S_ISSOCK(st.st_mode), st.st_mode & 07777);
	T("open-node", open("s1", O_RDWR));
	l = sizeof a;
	T("getsockname", getsockname(s, (struct sockaddr *)&a, &l));
	printf("bound: len %d path %s\n", (int)l, a.sun_path);
	l = 4;
	T("getsockname-short", getsockname(s, (struct sockaddr *)&a, &l));
	printf("short: len %d\n", (int)l);
	l = (socklen_t)-1;
	T("getsockname-neg-len", getsockname(s, (struct sockaddr *)&a, &l));
	T("getsockname-efault", getsockname(s, BADPTR, &l));
	T("bind-again", bind_to(s, "s2"));
	T("bind-again-existing", bind_to(s, "s1"));
	T("bind-inuse", bind_to(t, "s1"));
	T("bind-noent", bind_to(t, "nodir/s"));
	T("bind-over-file", (close(open("plain", O_CREAT | O_WRONLY, 0644)), bind_to(t, "plain")));
	struct sockaddr_un bad = { .sun_family = AF_INET };
	T("bind-family", bind(t, (struct sockaddr *)&bad, sizeof bad));
	T("bind-len-1", bind(t, (struct sockaddr *)&a, 1));
	T("bind-len-111", bind(t, (struct sockaddr *)&a, 111));
	T("bind-len-200", bind(t, (struct sockaddr *)&a, 200));
	T("bind-efault", bind(t, BADPTR, 10));
	/* a path that fills sun_path with no NUL: cut at addrlen */
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	memset(a.sun_path, 'x', sizeof a.sun_path);
	T("bind-no-nul", bind(t, (struct sockaddr *)&a, sizeof a));
	l = sizeof a + 10;
	char big[200];
	T("getsockname-no-nul", getsockname(t, (struct sockaddr *)big, &l));
	printf("no-nul: len %d pathlen %d\n", (int)l, (int)strlen(big + 2));
	T("unlink-no-nul", unlink(big + 2));
	close(t);
	/* autobind: an abstract name of five hex digits */
	t = sock();
	struct sockaddr_un au = { .sun_family = AF_UNIX };
	T("autobind", bind(t, (struct sockaddr *)&au, 2));
	l = sizeof a;
	T("autobind-name", getsockname(t, (struct sockaddr *)&a, &l));
	printf("autobind: len %d first %d\n", (int)l, a.sun_path[0]);
	T("autobind-again", bind(t, (struct sockaddr *)&au, 2));
	close(t);
	/* abstract names */
	t = sock();
	char an[32];
	snprintf(an, sizeof an, "@sys_unix-%08d", (int)getpid());
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, an, strlen(an));
	a.sun_path[0] = 0;
	socklen_t al = offsetof(struct sockaddr_un, sun_path) + strlen(an);
	T("bind-abstract", bind(t, (struct sockaddr *)&a, al));
	T("listen-abstract", listen(t, 4));
	int u = sock(), v = sock();
	T("bind-abstract-inuse", bind(u, (struct sockaddr *)&a, al));
	T("connect-abstract", connect(u, (struct sockaddr *)&a, al));
	T("connect-abstract-shorter", connect(v, (struct sockaddr *)&a, al - 1));
	l = sizeof a;
	struct sockaddr_un pa;
	T("getpeername-abstract", getpeername(u, (struct sockaddr *)&pa, &l));
	printf("abstract peer: len %d same %d\n", (int)l, (int)l == (int)al && !memcmp(&pa, &a, al));
	int w;
	T("accept-abstract", (w = accept(t, 0, 0)) >= 0);
	close(w);
	close(u);
	close(v);
	close(t);
	T("unlink-node", unlink("s1"));
	close(s);
}

static void connecting(void)
{
	int l = sock(), c = sock(), d = sock();
	T("listen-unbound", listen(l, 1));
	T("accept-not-listening", accept(l, 0, 0));
	T("bind", bind_to(l, "srv"));
	T("so-acceptconn-0", geti(l, SO_ACCEPTCONN));
	T("connect-bound-not-listening", connect_to(c, "srv"));
	T("listen", listen(l, 1));
	T("listen-again", listen(l, 1));
	T("so-acceptconn-1", geti(l, SO_ACCEPTCONN));
	T("connect-noent", connect_to(c, "nothere"));
	T("connect-file", connect_to(c, "plain"));
	T("connect-dir", connect_to(c, "."));
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	T("connect-len-2", connect(c, (struct sockaddr *)&a, 2));
	T("connect-len-111", connect(c, (struct sockaddr *)&a, 111));
	T("connect-efault", connect(c, BADPTR, 10));
	a.sun_family = AF_INET;
	T("connect-family", connect(c, (struct sockaddr *)&a, 10));
	T("connect-listener", connect_to(l, "srv"));
	T("accept4-bad-flags", syscall(SYS_accept4, l, 0, 0, 0x10));
	int nb = fcntl(l, F_GETFL);
	fcntl(l, F_SETFL, nb | O_NONBLOCK);
	T("accept-nonblock-empty", accept(l, 0, 0));
	fcntl(l, F_SETFL, nb);
	T("poll-listener-idle", revents(l, EV));
	T("connect", connect_to(c, "srv"));
	T("poll-listener-pending", revents(l, EV));
	T("connect-again", connect_to(c, "srv"));
	T("connect-again-noent", connect_to(c, "nothere"));
	T("write-before-accept", write(c, "early", 5));
	struct sockaddr_un pa;
	socklen_t pl = sizeof pa;
	memset(&pa, 0x55, sizeof pa);
	int s;
	T("accept4", (s = accept4(l, (struct sockaddr *)&pa, &pl, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0);
	printf("accepted: addrlen %d family %d\n", (int)pl, pa.sun_family);
	T("accepted-cloexec", fcntl(s, F_GETFD));
	T("accepted-nonblock", fcntl(s, F_GETFL) & O_NONBLOCK);
	pl = sizeof pa;
	T("accepted-getsockname", getsockname(s, (struct sockaddr *)&pa, &pl));
	printf("accepted name: len %d path %s\n", (int)pl, pa.sun_path);
	pl = sizeof pa;
	T("client-getpeername", getpeername(c, (struct sockaddr *)&pa, &pl));
	printf("client peer: len %d path %s\n", (int)pl, pa.sun_path);
	pl = sizeof pa;
	T("accepted-getpeername", getpeername(s, (struct sockaddr *)&pa, &pl));
	printf("accepted peer: len %d\n", (int)pl);
	char b[64];
	T("read-early", read(s, b, sizeof b));
	/* recvfrom's address on a stream: the sender's */
	write(s, "x", 1);
	pl = sizeof pa;
	memset(&pa, 0, sizeof pa);
	T("recvfrom-from-server", recvfrom(c, b, sizeof b, 0, (struct sockaddr *)&pa, &pl));
	printf("from server: len %d path %s\n", (int)pl, pa.sun_path);
	write(c, "y", 1);
	pl = sizeof pa;
	T("recvfrom-from-client", recvfrom(s, b, sizeof b, 0, (struct sockaddr *)&pa, &pl));
	printf("from client: len %d\n", (int)pl);
	/* the backlog: listen(1) takes two pending connections, then EAGAIN */
	int q[3];
	for (int i = 0; i < 3; i++) {
		q[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		int r = connect_to(q[i], "srv");
		printf("backlog-connect-%d: %d %s\n", i, r, r ? ename(errno) : "");
	}
	T("poll-full-backlog-client", revents(q[2], EV));
	/* close the listener with pending connections: they are reset */
	close(l);
	T("pending-read-reset", read(q[0], b, 1));
	T("pending-read-then-eof", read(q[0], b, 1));
	T("pending-poll", revents(q[1], EV));
	T("connect-closed-listener", connect_to(d, "srv"));
	T("unlink-srv", unlink("srv"));
	T("connect-unlinked", connect_to(d, "srv"));
	for (int i = 0; i < 3; i++)
		close(q[i]);
	close(c);
	close(s);
	close(d);
}

/* A blocking accept woken by a connect from another process, and a
 * blocking connect (full backlog) woken by an accept. */
static void blocking(void)
{
	int l = listener("blk", 0), st;
	pid_t pid = fork();
	if (!pid) {
		ms(100);
		int c = sock();
		_exit(connect_to(c, "blk") || write(c, "hi", 2) != 2 ? 1 : 0);
	}
	int s = accept(l, 0, 0);
	char b[8] = { 0 };
	T("blocking-accept", s >= 0);
	T("blocking-accept-read", read(s, b, sizeof b));
	printf("got: %s\n", b);
	waitpid(pid, &st, 0);
	T("child-connected", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	close(s);
	int c1 = sock();
	T("connect-fills-backlog-0", connect_to(c1, "blk"));
	pid = fork();
	if (!pid) {
		int c = sock();
		int r = connect_to(c, "blk"); /* waits for room */
		_exit(r || write(c, "late", 4) != 4 ? 1 : 0);
	}
	ms(150);
	T("waiting-child-not-done", waitpid(pid, &st, WNOHANG));
	int a1 = accept(l, 0, 0);
	T("accept-first", a1 >= 0);
	waitpid(pid, &st, 0);
	T("blocked-connect-completed", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	int a2 = accept(l, 0, 0);
	memset(b, 0, sizeof b);
	T("late-read", read(a2, b, sizeof b));
	printf("got: %s\n", b);
	close(a1), close(a2), close(c1), close(l);
	unlink("blk");
	/* a blocking read woken by a write from another process */
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	if (!(pid = fork())) {
		ms(100);
		_exit(write(sv[1], "wake", 4) != 4);
	}
	memset(b, 0, sizeof b);
	T("blocking-read", read(sv[0], b, sizeof b));
	printf("got: %s\n", b);
	waitpid(pid, &st, 0);
	/* MSG_WAITALL gathers two writes */
	if (!(pid = fork())) {
		write(sv[1], "ab", 2);
		ms(100);
		write(sv[1], "cd", 2);
		_exit(0);
	}
	memset(b, 0, sizeof b);
	T("recv-waitall", recv(sv[0], b, 4, MSG_WAITALL));
	printf("got: %s\n", b);
	waitpid(pid, &st, 0);
	/* SO_RCVTIMEO: a read gives up with EAGAIN */
	struct timeval tv = { 0, 100000 };
	T("set-rcvtimeo", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	T("read-timeout", read(sv[0], b, 1));
	close(sv[0]);
	close(sv[1]);
}

static void data(void)
{
	int sv[2];
	char b[64];
	T("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	T("poll-fresh", revents(sv[0], EV));
	T("write", write(sv[0], "hello", 5));
	T("poll-readable", revents(sv[1], EV));
	int n = -1;
	T("fionread", ioctl(sv[1], FIONREAD, &n));
	printf("fionread: %d\n", n);
	T("recv-peek", recv(sv[1], b, 3, MSG_PEEK));
	T("recv-peek-all", recv(sv[1], b, sizeof b, MSG_PEEK));
	T("read-part", read(sv[1], b, 2));
	T("read-rest", read(sv[1], b, sizeof b));
	printf("rest: %.3s\n", b);
	T("recv-dontwait-empty", recv(sv[1], b, sizeof b, MSG_DONTWAIT));
	T("read-zero", read(sv[1], b, 0));
	T("send", send(sv[0], "abc", 3, 0));
	T("send", send(sv[0], "def", 3, MSG_NOSIGNAL));
	T("recv-joins-writes", recv(sv[1], b, sizeof b, 0));
	T("recv-efault", (send(sv[0], "q", 1, 0), recv(sv[1], BADPTR, 1, 0)));
	T("recv-after-efault", recv(sv[1], b, 1, 0));
	T("send-efault", send(sv[0], BADPTR, 1, 0));
	struct sockaddr_un a = { .sun_family = AF_UNIX, .sun_path = "x" };
	T("sendto-connected", sendto(sv[0], "x", 1, 0, (struct sockaddr *)&a, sizeof a));
	struct iovec w[3] = { { "one ", 4 }, { "", 0 }, { "two", 3 } };
	T("writev", writev(sv[0], w, 3));
	char r1[3], r2[16] = { 0 };
	struct iovec r[2] = { { r1, 3 }, { r2, sizeof r2 } };
	T("readv", readv(sv[1], r, 2));
	printf("readv: %.3s|%s\n", r1, r2);
	T("readv-empty-iov", readv(sv[1], r, 0));
	T("writev-bad-iov", writev(sv[0], BADPTR, 1));
	T("readv-too-many", readv(sv[1], r, 1025));
	/* sendmsg/recvmsg with scattered buffers */
	struct msghdr m = { .msg_iov = w, .msg_iovlen = 3 };
	T("sendmsg", sendmsg(sv[0], &m, 0));
	memset(r2, 0, sizeof r2);
	struct msghdr mr = { .msg_iov = r, .msg_iovlen = 2, .msg_controllen = 0 };
	T("recvmsg", recvmsg(sv[1], &mr, 0));
	printf("recvmsg: %.3s|%s flags %#x namelen %d\n", r1, r2, mr.msg_flags, (int)mr.msg_namelen);
	m.msg_iovlen = 1025;
	T("sendmsg-iovlen-1025", sendmsg(sv[0], &m, 0));
	T("sendmsg-efault", syscall(SYS_sendmsg, sv[0], BADPTR, 0));
	T("recvmsg-efault", syscall(SYS_recvmsg, sv[1], BADPTR, MSG_DONTWAIT));
	/* sendfile into a socket */
	int f = open("sf", O_CREAT | O_RDWR | O_TRUNC, 0644);
	write(f, "from a file", 11);
	lseek(f, 0, SEEK_SET);
	T("sendfile", sendfile(sv[0], f, 0, 100));
	memset(b, 0, sizeof b);
	T("recv-sendfile", recv(sv[1], b, sizeof b, 0));
	printf("got: %s\n", b);
	close(f);
	/* unconnected */
	int s = sock();
	T("send-unconnected", send(s, "x", 1, 0));
	T("recv-unconnected", recv(s, b, 1, 0));
	T("sendto-unconnected", sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof a));
	T("poll-unconnected", revents(s, EV));
	T("shutdown-unconnected", shutdown(s, SHUT_RDWR));
	close(s);
	close(sv[0]);
	close(sv[1]);
}

static void options(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	T("so-type", geti(sv[0], SO_TYPE));
	T("so-domain", geti(sv[0], SO_DOMAIN));
	T("so-protocol", geti(sv[0], SO_PROTOCOL));
	T("so-error", geti(sv[0], SO_ERROR));
	T("so-sndbuf-default", geti(sv[0], SO_SNDBUF));
	T("so-rcvbuf-default", geti(sv[0], SO_RCVBUF));
	int v = 4096;
	T("set-sndbuf-4096", setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
	T("so-sndbuf", geti(sv[0], SO_SNDBUF));
	v = 1;
	T("set-sndbuf-1", setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
	T("so-sndbuf-min", geti(sv[0], SO_SNDBUF));
	T("set-rcvbuf-1", setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof v));
	T("so-rcvbuf-min", geti(sv[0], SO_RCVBUF));
	T("set-reuseaddr", setsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
	T("so-reuseaddr", geti(sv[0], SO_REUSEADDR));
	T("set-keepalive", setsockopt(sv[0], SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v));
	T("so-keepalive", geti(sv[0], SO_KEEPALIVE));
	T("set-passcred", setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &v, sizeof v));
	T("so-passcred", geti(sv[0], SO_PASSCRED));
	T("so-rcvlowat", geti(sv[0], SO_RCVLOWAT));
	struct linger lg = { 1, 5 };
	T("set-linger", setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	socklen_t l = sizeof lg;
	memset(&lg, 0, sizeof lg);
	T("get-linger", getsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, &l));
	printf("linger: %d %d len %d\n", lg.l_onoff, lg.l_linger, (int)l);
	struct timeval tv = { 2, 500000 };
	T("set-sndtimeo", setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
	l = sizeof tv;
	memset(&tv, 0, sizeof tv);
	T("get-sndtimeo", getsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, &l));
	printf("sndtimeo: %ld.%06ld len %d\n", (long)tv.tv_sec, (long)tv.tv_usec, (int)l);
	tv.tv_usec = 1000000;
	T("set-sndtimeo-edom", setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
	T("set-sndtimeo-short", setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, 8));
	T("set-optlen-2", setsockopt(sv[0], SOL_SOCKET, SO_KEEPALIVE, &v, 2));
	T("set-type", setsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, sizeof v));
	T("set-unknown", setsockopt(sv[0], SOL_SOCKET, 999, &v, sizeof v));
	T("set-level-tcp", setsockopt(sv[0], 6, 1, &v, sizeof v));
	T("get-level-tcp", getsockopt(sv[0], 6, 1, &v, &l));
	T("set-efault", setsockopt(sv[0], SOL_SOCKET, SO_KEEPALIVE, BADPTR, 4));
	T("get-unknown", geti(sv[0], 999));
	short sh = 0;
	l = 2;
	T("get-type-optlen-2", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &sh, &l));
	printf("short type: %d len %d\n", sh, (int)l);
	int neg = -1;
	T("get-optlen-neg", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, (socklen_t *)&neg));
	T("get-optlen-efault", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, BADPTR));
	/* SO_PEERCRED: a pair sees its own process */
	struct ucred c;
	l = sizeof c;
	T("peercred-pair", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &c, &l));
	printf("peercred: len %d self %d uid %d gid %d\n", (int)l, c.pid == getpid(), c.uid == geteuid(),
	       c.gid == getegid());
	int s = sock();
	l = sizeof c;
	T("peercred-unconnected", getsockopt(s, SOL_SOCKET, SO_PEERCRED, &c, &l));
	printf("peercred: pid %d uid %d gid %d\n", c.pid, (int)c.uid, (int)c.gid);
	close(s);
	close(sv[0]);
	close(sv[1]);
	/* across processes: each side sees the other */
	int lst = listener("cred", 2), st;
	pid_t parent = getpid(), pid = fork();
	if (!pid) {
		int k = sock();
		struct ucred pc;
		socklen_t pl = sizeof pc;
		connect_to(k, "cred");
		getsockopt(k, SOL_SOCKET, SO_PEERCRED, &pc, &pl);
		write(k, "x", 1);
		read(k, &pl, 1);
		_exit(pc.pid == parent ? 0 : 1);
	}
	int a = accept(lst, 0, 0);
	l = sizeof c;
	T("peercred-accepted", getsockopt(a, SOL_SOCKET, SO_PEERCRED, &c, &l));
	printf("accepted peer is the child: %d\n", c.pid == pid);
	read(a, &v, 1);
	write(a, "x", 1);
	waitpid(pid, &st, 0);
	T("client-saw-listener", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	close(a);
	close(lst);
	unlink("cred");
}

static void ends(void)
{
	int sv[2];
	char b[16];
	signal(SIGPIPE, on_sigpipe);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	write(sv[0], "tail", 4);
	T("shutdown-bad-how", shutdown(sv[0], 3));
	T("shutdown-wr", shutdown(sv[0], SHUT_WR));
	T("poll-after-peer-shut-wr", revents(sv[1], EV));
	T("poll-after-own-shut-wr", revents(sv[0], EV));
	T("read-tail", read(sv[1], b, sizeof b));
	T("read-eof", read(sv[1], b, sizeof b));
	T("write-after-shut-wr", write(sv[0], "x", 1));
	printf("sigpipes: %d\n", sigpipes);
	T("send-nosignal-after-shut-wr", send(sv[0], "x", 1, MSG_NOSIGNAL));
	printf("sigpipes: %d\n", sigpipes);
	T("reverse-still-works", write(sv[1], "back", 4));
	T("read-reverse", read(sv[0], b, sizeof b));
	T("shutdown-rd", shutdown(sv[0], SHUT_RD));
	T("read-after-shut-rd", read(sv[0], b, sizeof b));
	T("peer-write-after-shut-rd", send(sv[1], "x", 1, MSG_NOSIGNAL));
	T("poll-both-shut", revents(sv[0], EV));
	T("poll-peer-both-shut", revents(sv[1], EV));
	close(sv[0]);
	close(sv[1]);
	/* peer close: EOF, then EPIPE and SIGPIPE */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	write(sv[0], "last", 4);
	close(sv[0]);
	T("poll-peer-closed", revents(sv[1], EV));
	T("read-last", read(sv[1], b, sizeof b));
	T("read-eof-closed", read(sv[1], b, sizeof b));
	T("write-closed", write(sv[1], "x", 1));
	printf("sigpipes: %d\n", sigpipes);
	T("getpeername-closed-peer", getpeername(sv[1], (struct sockaddr *)b, &(socklen_t){ sizeof b }));
	close(sv[1]);
	/* peer close with unread data: ECONNRESET once, then EOF */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	write(sv[1], "unread", 6);
	close(sv[0]);
	T("poll-reset", revents(sv[1], EV));
	T("so-error-reset", geti(sv[1], SO_ERROR));
	T("read-after-so-error", read(sv[1], b, sizeof b));
	close(sv[1]);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	write(sv[1], "unread", 6);
	close(sv[0]);
	T("read-reset", read(sv[1], b, sizeof b));
	T("read-reset-then-eof", read(sv[1], b, sizeof b));
	T("write-reset", send(sv[1], "x", 1, MSG_NOSIGNAL));
	close(sv[1]);
	signal(SIGPIPE, SIG_DFL);
	/* SIGPIPE's default kills */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	close(sv[0]);
	pid_t pid = fork();
	if (!pid) {
		write(sv[1], "x", 1);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("write to closed peer: signalled %d sig %d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	close(sv[1]);
}

static void nonblocking(void)
{
	int sv[2];
	static char buf[65536];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
	long total = 0, r;
	while ((r = write(sv[0], buf, sizeof buf)) > 0)
		total += r;
	printf("filled: more than 64 KiB %d, at most 256 KiB %d, then %s\n", total > 65536, total <= 262144,
	       ename(errno));
	T("poll-full", revents(sv[0], EV) & POLLOUT);
	struct pollfd p = { sv[0], POLLOUT, 0 };
	T("poll-full-timeout", poll(&p, 1, 50));
	long got = 0;
	while ((r = read(sv[1], buf, sizeof buf)) > 0)
		got += r;
	T("drained-all", got == total);
	T("read-empty-eagain", read(sv[1], buf, 1));
	T("poll-drained", revents(sv[0], EV));
	/* select: readable, writable */
	fd_set rd, wr;
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(sv[1], &rd);
	FD_SET(sv[0], &wr);
	struct timeval tv = { 0, 0 };
	T("select-writable", select(sv[1] + 1, &rd, &wr, 0, &tv));
	printf("select: rd %d wr %d\n", FD_ISSET(sv[1], &rd), FD_ISSET(sv[0], &wr));
	write(sv[0], "x", 1);
	FD_ZERO(&rd);
	FD_SET(sv[1], &rd);
	T("select-readable", select(sv[1] + 1, &rd, 0, 0, &tv));
	close(sv[0]);
	close(sv[1]);
}

static void rights(void)
{
	int sv[2], p[2], fds[8], n, fl, st;
	char b[16];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	/* a pipe's write end to another process, which writes through it */
	pipe(p);
	pid_t pid = fork();
	if (!pid) {
		close(p[1]);
		close(sv[0]);
		int k;
		ssize_t r = recv_fds(sv[1], b, sizeof b, 1, &k, &n, &fl, 0);
		_exit(r == 4 && n == 1 && write(k, "via passed fd", 13) == 13 ? 0 : 1);
	}
	T("sendmsg-rights", send_fds(sv[0], "pipe", 4, &p[1], 1, 0));
	close(p[1]);
	memset(b, 0, sizeof b);
	T("read-through-passed", read(p[0], b, 13));
	printf("got: %s\n", b);
	waitpid(pid, &st, 0);
	T("child-used-it", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	T("pipe-eof-after-child", read(p[0], b, 1));
	close(p[0]);
	/* the same open file: offset shared */
	int f = open("passed", O_CREAT | O_RDWR | O_TRUNC, 0644);
	write(f, "0123456789", 10);
	lseek(f, 2, SEEK_SET);
	T("send-file", send_fds(sv[0], "f", 1, &f, 1, 0));
	T("recv-file", recv_fds(sv[1], b, sizeof b, 1, fds, &n, &fl, MSG_CMSG_CLOEXEC));
	printf("received %d flags %#x new fd %d cloexec %d\n", n, fl, fds[0] != f, fcntl(fds[0], F_GETFD));
	struct stat s1, s2;
	fstat(f, &s1);
	fstat(fds[0], &s2);
	printf("same file: %d\n", s1.st_ino == s2.st_ino && s1.st_dev == s2.st_dev);
	T("read-received", read(fds[0], b, 3));
	T("offset-shared", lseek(f, 0, SEEK_CUR));
	close(fds[0]);
	/* two descriptors, room for one: MSG_CTRUNC, the other closed */
	pipe(p);
	int two[2] = { f, p[1] };
	T("send-two", send_fds(sv[0], "2", 1, two, 2, 0));
	close(p[1]);
	T("recv-room-for-one", recv_fds(sv[1], b, sizeof b, 1, fds, &n, &fl, 0));
	printf("received %d ctrunc %d\n", n, !!(fl & MSG_CTRUNC));
	close(fds[0]);
	T("dropped-pipe-end-closed", read(p[0], b, 1));
	close(p[0]);
	/* no control buffer at all */
	pipe(p);
	send_fds(sv[0], "n", 1, &p[1], 1, 0);
	close(p[1]);
	T("recv-no-control", recv_fds(sv[1], b, sizeof b, 0, fds, &n, &fl, 0));
	printf("ctrunc %d\n", !!(fl & MSG_CTRUNC));
	T("no-control-closed", read(p[0], b, 1));
	close(p[0]);
	/* read(2) of a message with descriptors drops them */
	pipe(p);
	send_fds(sv[0], "r", 1, &p[1], 1, 0);
	close(p[1]);
	T("read-drops-rights", read(sv[1], b, sizeof b));
	T("read-dropped-closed", read(p[0], b, 1));
	close(p[0]);
	/* descriptors stop a read at their buffer; a peek gets copies */
	send_fds(sv[0], "ab", 2, &f, 1, 0);
	write(sv[0], "cd", 2);
	T("peek-rights", recv_fds(sv[1], b, sizeof b, 1, fds, &n, &fl, MSG_PEEK));
	printf("peeked %d\n", n);
	close(fds[0]);
	T("recv-stops-at-rights", recv_fds(sv[1], b, sizeof b, 1, fds, &n, &fl, 0));
	printf("received %d\n", n);
	close(fds[0]);
	T("recv-after-rights", recv_fds(sv[1], b, sizeof b, 1, fds, &n, &fl, 0));
	printf("received %d\n", n);
	/* data then rights in one read: glued, the read ends after them */
	write(sv[0], "xy", 2);
	send_fds(sv[0], "z", 1, &f, 1, 0);
	write(sv[0], "w", 1);
	T("recv-glues-into-rights", recv_fds(sv[1], b, sizeof b, 1, fds, &n, &fl, 0));
	printf("received %d\n", n);
	close(fds[0]);
	T("recv-rest", recv(sv[1], b, sizeof b, 0));
	/* errors */
	int bad = 77;
	T("send-bad-fd", send_fds(sv[0], "x", 1, &bad, 1, 0));
	T("nothing-sent", recv(sv[1], b, sizeof b, MSG_DONTWAIT));
	T("send-zero-bytes-with-fd", send_fds(sv[0], "", 0, &f, 1, 0));
	T("nothing-queued", recv(sv[1], b, sizeof b, MSG_DONTWAIT));
	char ctl[64];
	memset(ctl, 0, sizeof ctl);
	struct iovec v = { "x", 1 };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	struct cmsghdr *c = (struct cmsghdr *)ctl;
	c->cmsg_len = 200, c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS;
	T("cmsg-len-too-big", sendmsg(sv[0], &m, 0));
	c->cmsg_len = 8;
	T("cmsg-len-too-small", sendmsg(sv[0], &m, 0));
	c->cmsg_len = CMSG_LEN(4), c->cmsg_type = 77;
	T("cmsg-unknown-type", sendmsg(sv[0], &m, 0));
	c->cmsg_level = 6;
	m.msg_controllen = CMSG_SPACE(4);
	T("cmsg-other-level-ignored", sendmsg(sv[0], &m, 0));
	recv(sv[1], b, sizeof b, 0);
	m.msg_control = BADPTR;
	T("cmsg-efault", syscall(SYS_sendmsg, sv[0], &m, 0));
	/* closing a socket with descriptors unread closes them */
	pipe(p);
	send_fds(sv[0], "u", 1, &p[1], 1, 0);
	close(p[1]);
	close(sv[1]);
	T("unread-rights-closed", read(p[0], b, 1));
	close(p[0]);
	close(sv[0]);
	/* a cycle: each socket in the other's queue, both closed; the pipe
	 * end riding along is closed once the cycle is collected */
	pipe(p);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	int cyc[2] = { sv[0], p[1] };
	send_fds(sv[1], "c", 1, cyc, 2, 0);
	send_fds(sv[0], "c", 1, &sv[1], 1, 0);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv); /* Linux collects when a socket closes */
	close(sv[0]);
	close(sv[1]);
	struct pollfd pf = { p[0], POLLIN, 0 };
	T("cycle-collected", poll(&pf, 1, 5000));
	T("cycle-pipe-eof", read(p[0], b, 1));
	close(p[0]);
	/* a long chain of sockets, each in the next one's queue, closed at once */
	int head = -1, sent = 0;
	pipe(p);
	for (int i = 0; i < 500; i++) {
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		int pass = head >= 0 ? head : p[1];
		sent += send_fds(sv[0], "k", 1, &pass, 1, 0) == 1;
		close(pass);
		close(sv[0]);
		head = sv[1];
	}
	printf("chain: %d sent\n", sent);
	close(head);
	T("chain-released", read(p[0], b, 1));
	close(p[0]);
	close(f);
}

static int dgram(void) { return socket(AF_UNIX, SOCK_DGRAM, 0); }

static ssize_t send_to(int s, const char *msg, const char *path)
{
	socklen_t l;
	struct sockaddr_un a = sun_of(path, &l);
	return sendto(s, msg, strlen(msg), 0, (struct sockaddr *)&a, l);
}

static void datagrams(void)
{
	char b[64];
	struct sockaddr_un a;
	socklen_t l;
	int s = dgram(), c = dgram(), d = dgram(), st;
	T("socket-raw-is-dgram", geti(socket(AF_UNIX, SOCK_RAW, 0), SO_TYPE));
	T("dgram-poll-unbound", revents(s, EV));
	T("dgram-bind", bind_to(s, "d1"));
	T("dgram-listen", listen(s, 1));
	T("dgram-accept", accept(s, 0, 0));
	T("dgram-send-unconnected", send(c, "x", 1, 0));
	T("dgram-getpeername-unconnected", getpeername(c, (struct sockaddr *)&a, &(socklen_t){ sizeof a }));
	T("dgram-sendto", send_to(c, "hello", "d1"));
	l = sizeof a;
	memset(&a, 0x55, sizeof a);
	T("dgram-recvfrom-unbound-sender", recvfrom(s, b, sizeof b, 0, (struct sockaddr *)&a, &l));
	printf("from: len %d\n", (int)l);
	T("dgram-bind-sender", bind_to(c, "d2"));
	T("dgram-sendto-bound", send_to(c, "ab", "d1"));
	T("dgram-sendto-second", send_to(c, "cde", "d1"));
	int n = -1;
	T("dgram-fionread", ioctl(s, FIONREAD, &n));
	printf("fionread: %d\n", n);
	l = sizeof a;
	T("dgram-recvfrom", recvfrom(s, b, sizeof b, 0, (struct sockaddr *)&a, &l));
	printf("from: len %d path %s\n", (int)l, a.sun_path);
	T("dgram-boundary", recv(s, b, sizeof b, 0));
	send_to(c, "abcdef", "d1");
	struct iovec v = { b, 3 };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
	T("dgram-peek", recv(s, b, sizeof b, MSG_PEEK));
	T("dgram-truncated", recvmsg(s, &m, 0));
	printf("flags %#x\n", m.msg_flags);
	send_to(c, "abcdef", "d1");
	T("dgram-msg-trunc-len", recv(s, b, 2, MSG_TRUNC));
	T("dgram-empty-dontwait", recv(s, b, sizeof b, MSG_DONTWAIT));
	T("dgram-sendto-noent", send_to(c, "x", "nothere"));
	T("dgram-sendto-file", send_to(c, "x", "plain"));
	int ls = listener("strm", 1);
	T("dgram-sendto-stream", send_to(c, "x", "strm"));
	T("stream-connect-dgram", connect_to(sock(), "d1"));
	close(ls);
	unlink("strm");
	T("dgram-connect", connect_to(c, "d1"));
	T("dgram-connect-noent", connect_to(d, "nothere"));
	l = sizeof a;
	T("dgram-getpeername", getpeername(c, (struct sockaddr *)&a, &l));
	printf("peer: len %d path %s\n", (int)l, a.sun_path);
	T("dgram-send-connected", send(c, "conn", 4, 0));
	T("dgram-recv", recv(s, b, sizeof b, 0));
	T("dgram-sendto-while-connected", send_to(c, "other", "d1"));
	T("dgram-recv", recv(s, b, sizeof b, 0));
	/* a socket connected elsewhere refuses others: EPERM */
	bind_to(d, "d3");
	T("dgram-connect-back", connect_to(s, "d3"));
	T("dgram-sendto-connected-elsewhere", send_to(c, "x", "d1"));
	T("dgram-connect-to-connected-elsewhere", connect_to(d, "d1"));
	struct sockaddr_un un = { .sun_family = AF_UNSPEC };
	T("dgram-disconnect", connect(s, (struct sockaddr *)&un, sizeof un));
	T("dgram-send-after-disconnect", send(s, "x", 1, 0));
	T("dgram-connect-len-1", connect(s, (struct sockaddr *)&un, 1));
	/* the receive queue: 11 datagrams from a sender it is not connected to */
	int nb = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	connect_to(nb, "d1");
	int sent = 0;
	while (send(nb, "q", 1, 0) == 1)
		sent++;
	printf("queued %d then %s\n", sent, ename(errno));
	T("dgram-poll-full-peer", revents(nb, EV));
	T("dgram-poll-full-receiver", revents(s, EV));
	pid_t pid = fork();
	if (!pid) {
		ms(100);
		char k[4];
		for (int i = 0; i < sent + 1; i++)
			recv(s, k, sizeof k, 0);
		_exit(0);
	}
	int fl = fcntl(nb, F_GETFL);
	fcntl(nb, F_SETFL, fl & ~O_NONBLOCK);
	T("dgram-blocking-send-woken", send(nb, "w", 1, 0));
	waitpid(pid, &st, 0);
	T("dgram-queue-drained", recv(s, b, sizeof b, MSG_DONTWAIT));
	/* its receiver closed: refused once, then not connected */
	close(s);
	unlink("d1");
	T("dgram-send-to-closed", send(nb, "x", 1, 0));
	T("dgram-send-again", send(nb, "x", 1, 0));
	close(nb);
	int v8 = 4096;
	setsockopt(c, SOL_SOCKET, SO_SNDBUF, &v8, sizeof v8);
	static char big[9000];
	memset(big, 'x', sizeof big);
	socklen_t l3;
	struct sockaddr_un a3 = sun_of("d3", &l3);
	T("dgram-emsgsize", sendto(c, big, sizeof big, 0, (struct sockaddr *)&a3, l3));
	T("dgram-sendto-one-connected-to-closed", send_to(c, "x", "d3"));
	T("dgram-shut-rd", shutdown(d, SHUT_RD));
	T("dgram-recv-after-shut-rd", recv(d, b, sizeof b, 0));
	T("dgram-poll-shut-rd", revents(d, EV));
	close(c);
	close(d);
	unlink("d2");
	unlink("d3");
	/* to itself: no queue limit either */
	int me = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	bind_to(me, "self");
	for (sent = 0; sent < 15 && send_to(me, "s", "self") == 1;)
		sent++;
	printf("self queued %d\n", sent);
	close(me);
	unlink("self");
	/* a pair: connected both ways, no queue limit, descriptors */
	int sv[2], p[2], fds[2], k, f2;
	T("dgram-socketpair", socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv));
	for (sent = 0; sent < 40 && send(sv[0], "z", 1, 0) == 1;)
		sent++;
	printf("pair queued %d\n", sent);
	while (recv(sv[1], b, sizeof b, 0) > 0)
		;
	pipe(p);
	T("dgram-send-fd", send_fds(sv[0], "fd", 2, &p[1], 1, 0));
	close(p[1]);
	T("dgram-recv-fd", recv_fds(sv[1], b, sizeof b, 1, fds, &k, &f2, 0));
	printf("received %d\n", k);
	T("write-through-it", write(fds[0], "!", 1));
	close(fds[0]);
	T("read-it", read(p[0], b, sizeof b));
	close(p[0]);
	close(sv[0]);
	T("dgram-pair-peer-closed-send", send(sv[1], "x", 1, 0));
	T("dgram-pair-peer-closed-recv", recv(sv[1], b, 1, 0));
	close(sv[1]);
}

static void seqpacket(void)
{
	char b[64];
	int l = socket(AF_UNIX, SOCK_SEQPACKET, 0), c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	T("seq-send-unconnected", send(c, "x", 1, 0));
	T("seq-recv-unconnected", recv(c, b, 1, 0));
	T("seq-poll-unconnected", revents(c, EV));
	unlink("sq");
	T("seq-bind", bind_to(l, "sq"));
	T("seq-listen", listen(l, 2));
	T("seq-connect-stream", connect_to(sock(), "sq"));
	T("seq-connect", connect_to(c, "sq"));
	int a = accept(l, 0, 0);
	T("seq-accept", a >= 0);
	T("seq-send", send(c, "abc", 3, 0));
	T("seq-send", send(c, "de", 2, 0));
	T("seq-sendto-connected", send_to(c, "fgh", "sq"));
	T("seq-recv-one-record", recv(a, b, sizeof b, 0));
	T("seq-recv-next", recv(a, b, sizeof b, 0));
	T("seq-recv-truncated", recv(a, b, 1, 0));
	T("seq-recv-empty", recv(a, b, sizeof b, MSG_DONTWAIT));
	T("seq-poll", revents(a, EV));
	T("seq-shut-wr", shutdown(c, SHUT_WR));
	T("seq-recv-eof", recv(a, b, sizeof b, 0));
	T("seq-send-after-shut", send(c, "x", 1, MSG_NOSIGNAL));
	close(a);
	T("seq-peer-closed-recv", recv(c, b, sizeof b, 0));
	T("seq-peer-closed-send", send(c, "x", 1, MSG_NOSIGNAL));
	T("seq-poll-closed", revents(c, EV));
	close(c);
	close(l);
	unlink("sq");
	int sv[2];
	T("seq-socketpair", socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	T("seq-pair-send", write(sv[0], "rec", 3));
	T("seq-pair-read", read(sv[1], b, sizeof b));
	close(sv[0]);
	close(sv[1]);
}

/* recvmsg with room for `room` bytes of control data: prints each control
 * message's type and what it says, and the flags. */
static void show_control(const char *name, int s, size_t room)
{
	char b[64], ctl[256];
	struct iovec v = { b, sizeof b };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = room ? ctl : 0, .msg_controllen = room };
	memset(ctl, 0, sizeof ctl);
	long r = recvmsg(s, &m, 0);
	printf("%s: %ld %s flags %#x controllen %d\n", name, r, r < 0 ? ename(errno) : "", m.msg_flags,
	       (int)m.msg_controllen);
	for (struct cmsghdr *c = room ? CMSG_FIRSTHDR(&m) : 0; c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
			struct ucred u;
			memcpy(&u, CMSG_DATA(c), sizeof u);
			printf("  credentials: len %d pid is %s uid %d gid %d\n", (int)c->cmsg_len,
			       u.pid == getpid() ? "self" : u.pid == getppid() ? "parent" : u.pid > 0 ? "other" : "none",
			       u.uid == getuid(), u.gid == getgid());
		} else {
			printf("  type %d len %d\n", c->cmsg_type, (int)c->cmsg_len);
			if (c->cmsg_type == SCM_RIGHTS)
				for (int *f = (int *)CMSG_DATA(c); (char *)f < (char *)c + c->cmsg_len; f++)
					close(*f);
		}
	}
}

/* SO_PASSCRED: SCM_CREDENTIALS with every message, before SCM_RIGHTS;
 * a stream read does not join two writers' data. */
static void credentials(void)
{
	int sv[2], one = 1, p[2], st;
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	write(sv[0], "a", 1);
	show_control("no-passcred", sv[1], 64);
	T("set-passcred", setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
	write(sv[0], "b", 1);
	show_control("passcred", sv[1], 64);
	write(sv[0], "c", 1);
	show_control("passcred-no-room", sv[1], 0);
	write(sv[0], "c", 1);
	show_control("passcred-short-room", sv[1], 20);
	pipe(p);
	send_fds(sv[0], "d", 1, &p[1], 1, 0);
	show_control("passcred-and-rights", sv[1], 64);
	send_fds(sv[0], "e", 1, &p[1], 1, 0);
	show_control("room-for-credentials-only", sv[1], CMSG_SPACE(sizeof(struct ucred)));
	/* explicit credentials: ours */
	struct ucred me = { getpid(), getuid(), getgid() };
	char ctl[CMSG_SPACE(sizeof me)];
	struct iovec v = { "f", 1 };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_CREDENTIALS, c->cmsg_len = CMSG_LEN(sizeof me);
	memcpy(CMSG_DATA(c), &me, sizeof me);
	T("send-credentials", sendmsg(sv[0], &m, 0));
	show_control("explicit-credentials", sv[1], 64);
	c->cmsg_len = CMSG_LEN(sizeof me - 1);
	T("send-credentials-short", sendmsg(sv[0], &m, 0));
	/* two writers: the read stops where the writer changes */
	write(sv[0], "gh", 2);
	pid_t pid = fork();
	if (!pid)
		_exit(write(sv[0], "ij", 2) != 2);
	waitpid(pid, &st, 0);
	show_control("first-writer", sv[1], 64);
	show_control("second-writer", sv[1], 64);
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
	/* datagrams: the sender's credentials */
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
	if (!(pid = fork()))
		_exit(send(sv[0], "k", 1, 0) != 1);
	waitpid(pid, &st, 0);
	show_control("dgram-from-child", sv[1], 64);
	close(sv[0]);
	close(sv[1]);
}

static void on_alarm(int sig) { (void)sig; }

/* Signals and blocking calls: EINTR without SA_RESTART, a restart with it,
 * EINTR with SO_RCVTIMEO set; a task killed while blocked leaves a clean
 * end behind. */
static void interrupted(void)
{
	int sv[2], st;
	char b[8];
	struct sigaction sa = { .sa_handler = on_alarm };
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	sigaction(SIGALRM, &sa, 0);
	ualarm(100000, 0);
	T("recv-interrupted", recv(sv[0], b, sizeof b, 0));
	int l = listener("intr", 1);
	ualarm(100000, 0);
	T("accept-interrupted", accept(l, 0, 0));
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, 0);
	pid_t pid = fork();
	if (!pid) {
		ms(300);
		_exit(write(sv[1], "late", 4) != 4);
	}
	ualarm(100000, 0);
	T("recv-restarted", recv(sv[0], b, sizeof b, 0));
	waitpid(pid, &st, 0);
	struct timeval tv = { 5, 0 };
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ualarm(100000, 0);
	T("recv-with-timeout-interrupted", recv(sv[0], b, sizeof b, 0));
	signal(SIGALRM, SIG_DFL);
	/* killed while blocked in recv and in accept */
	if (!(pid = fork())) {
		recv(sv[1], b, 1, 0);
		_exit(0);
	}
	pid_t pa = fork();
	if (!pa) {
		accept(l, 0, 0);
		_exit(0);
	}
	ms(100);
	kill(pid, SIGKILL);
	kill(pa, SIGKILL);
	waitpid(pid, &st, 0);
	T("killed-in-recv", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	waitpid(pa, &st, 0);
	T("killed-in-accept", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	close(sv[1]);
	T("its peer sees the end", read(sv[0], b, 1));
	int c = sock();
	T("listener still there", connect_to(c, "intr"));
	close(c);
	close(l);
	close(sv[0]);
	unlink("intr");
}

/* A MiB through a socket pair, from another process, with a checksum. */
static void bulk(void)
{
	int sv[2], st;
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pid_t pid = fork();
	if (!pid) {
		close(sv[1]);
		static unsigned char buf[10000];
		unsigned x = 1;
		for (long done = 0; done < (1 << 20);) {
			int n = (1 << 20) - done < (long)sizeof buf ? (1 << 20) - done : (int)sizeof buf;
			for (int i = 0; i < n; i++)
				buf[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
			for (int k = 0; k < n;) {
				ssize_t w = write(sv[0], buf + k, n - k);
				if (w <= 0)
					_exit(1);
				k += w;
			}
			done += n;
		}
		_exit(0);
	}
	close(sv[0]);
	static unsigned char in[7777];
	unsigned long sum = 0, got = 0;
	unsigned x = 1, bad = 0;
	ssize_t r;
	while ((r = read(sv[1], in, sizeof in)) > 0) {
		for (ssize_t i = 0; i < r; i++) {
			bad += in[i] != (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
			sum = sum * 31 + in[i];
		}
		got += r;
	}
	waitpid(pid, &st, 0);
	printf("bulk: %lu bytes, %u wrong, checksum %lx, writer %d\n", got, bad, sum, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	close(sv[1]);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp/sysunix";
	mkdir(dir, 0755);
	if (chdir(dir))
		return 1;
	umask(022);
	setvbuf(stdout, 0, _IOLBF, 0);
	alarm(120); /* a hang is a failure, not a stuck test */
	creation();
	names();
	connecting();
	blocking();
	data();
	options();
	ends();
	nonblocking();
	rights();
	datagrams();
	seqpacket();
	credentials();
	interrupted();
	bulk();
	printf("done\n");
	return 0;
}
