/* AF_UNIX datagram and seqpacket sockets, compared line by line with
 * Linux: SOCK_DGRAM (addresses, boundaries, truncation, the queue limit,
 * connect, AF_UNSPEC and EPERM, a closed receiver, descriptors), SOCK_SEQPACKET
 * records, and SO_PASSCRED's credentials on both kinds.
 *   sys_unix_dg DIR   (DIR is made and used as the cwd) */
#include "sun.h"

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
	close(open("plain", O_CREAT | O_WRONLY, 0644));
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

int main(int argc, char **argv)
{
	if (sun_setup(argc, argv))
		return 1;
	datagrams();
	seqpacket();
	credentials();
	printf("done\n");
	return 0;
}
