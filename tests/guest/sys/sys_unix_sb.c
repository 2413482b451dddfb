/* Guest-only: AF_UNIX sockets across a sandbox's wall (/dev/sandbox).  A
 * sandboxed child is handed, over a socket, descriptors opened outside its
 * root after it entered: none lets a lookup start there (fchdir, openat,
 * mkdirat, unlinkat, /proc/self/fd/N), its paths name only its own tree
 * (sockets of the host outside its root are out of reach; one placed in
 * its root, as docker.sock is, works), abstract names are per sandbox, and
 * SO_PEERCRED shows a pid only to those who see that task.  Then a
 * sandboxed child throws 20,000 random socket calls (hostile lengths,
 * pointers, message headers and control messages, descriptors in flight)
 * at the kernel, which must still serve; and sockets closed every way
 * they can end leave no memory behind.
 * Prints PASS:/FAIL: lines and a final "ALL PASSED" or "FAILED n". */
#include "t.h"
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sched.h>
#include <time.h>

static socklen_t sun_of(struct sockaddr_un *a, const char *path, int abstract)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path + abstract, path);
	return offsetof(struct sockaddr_un, sun_path) + abstract + strlen(path) + !abstract;
}

static int sock_at(const char *path, int abstract, int do_listen)
{
	struct sockaddr_un a;
	socklen_t l = sun_of(&a, path, abstract);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (do_listen)
		return bind(s, (struct sockaddr *)&a, l) || listen(s, 4) ? -1 : s;
	return connect(s, (struct sockaddr *)&a, l) ? -1 : s;
}

static int send_fds(int s, const int *fds, int n)
{
	char ctl[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec v = { "f", 1 };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = CMSG_SPACE(4 * n) };
	memset(ctl, 0, sizeof ctl);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS, c->cmsg_len = CMSG_LEN(4 * n);
	memcpy(CMSG_DATA(c), fds, 4 * n);
	return sendmsg(s, &m, 0) == 1 ? 0 : -1;
}

static int recv_fds(int s, int *fds, int n)
{
	char ctl[CMSG_SPACE(sizeof(int) * 4)], b;
	struct iovec v = { &b, 1 };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	if (recvmsg(s, &m, 0) != 1 || !CMSG_FIRSTHDR(&m) || CMSG_FIRSTHDR(&m)->cmsg_len != CMSG_LEN(4 * n))
		return -1;
	memcpy(fds, CMSG_DATA(CMSG_FIRSTHDR(&m)), 4 * n);
	return 0;
}

static int peer_pid(int s)
{
	struct ucred c;
	socklen_t l = sizeof c;
	return getsockopt(s, SOL_SOCKET, SO_PEERCRED, &c, &l) ? -1 : c.pid;
}

static void inside(int sv)
{
	int fd = open("/dev/sandbox", O_WRONLY), fds[3];
	const char *line = "root=/tmp/usb hostname=usb\n";
	check("enter a sandbox", fd >= 0 && write(fd, line, strlen(line)) == (ssize_t)strlen(line));
	close(fd);
	check("mount its /proc", mount("proc", "/proc", "proc", 0, 0) == 0);
	write(sv, "i", 1); /* entered: now the host sends */
	check("descriptors from outside arrive", recv_fds(sv, fds, 3) == 0);
	int dir = fds[0], path = fds[1], file = fds[2];
	char b[256];
	struct stat st;
	ERR("fchdir to a passed directory: EACCES", fchdir(dir), EACCES);
	check("cwd still its root", getcwd(b, sizeof b) && !strcmp(b, "/"));
	ERR("openat a passed directory: EACCES", openat(dir, "usecret", O_RDONLY), EACCES);
	ERR("openat .. of it: EACCES", openat(dir, "..", O_RDONLY | O_DIRECTORY), EACCES);
	ERR("openat through an O_PATH /: EACCES", openat(path, "tmp/usecret", O_RDONLY), EACCES);
	ERR("fchdir to an O_PATH /: EACCES", fchdir(path), EACCES);
	ERR("mkdirat in it: EACCES", mkdirat(dir, "made", 0755), EACCES);
	ERR("unlinkat in it: EACCES", unlinkat(dir, "usecret", 0), EACCES);
	ERR("fstatat in it: EACCES", fstatat(dir, "usecret", &st, 0), EACCES);
	check("an absolute path ignores it and stays inside", openat(dir, "/inside", O_RDONLY) >= 0);
	snprintf(b, sizeof b, "/proc/self/fd/%d/usecret", dir);
	ERR("/proc/self/fd/N/usecret of it: nothing outside", open(b, O_RDONLY), ENOENT);
	check("the passed open file reads (an open file is a capability)", read(file, b, 6) == 6 && !memcmp(b, "secret", 6));
	/* sockets by path: only its own tree */
	ERR("host socket outside its root: ENOENT", sock_at("/tmp/uhost.sock", 0, 0), ENOENT);
	ERR("nor by ../..: ENOENT", sock_at("../../tmp/uhost.sock", 0, 0), ENOENT);
	int in = sock_at("/shared.sock", 0, 0);
	check("a host socket placed in its root connects", in >= 0);
	check("SO_PEERCRED of a host listener: pid 0 (not in its view)", peer_pid(in) == 0);
	close(in);
	/* abstract names: its own space */
	ERR("the host's abstract name: ECONNREFUSED", sock_at("uhost-abstract", 1, 0), ECONNREFUSED);
	int mine = sock_at("uhost-abstract", 1, 1);
	check("the same abstract name is free inside", mine >= 0);
	int c = sock_at("uhost-abstract", 1, 0);
	check("and reaches its own listener", c >= 0 && peer_pid(c) == getpid());
	close(c);
	close(mine);
	check("bind makes its node inside its root", sock_at("/inner.sock", 0, 1) >= 0 && stat("/inner.sock", &st) == 0 &&
							  S_ISSOCK(st.st_mode));
	write(sv, "d", 1);
	read(sv, b, 1); /* the host is done with /inner.sock */
	exit(failed);
}

static unsigned long long seed = 88172645463325252ull;
static unsigned long long rnd(void)
{
	seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
	return seed;
}

static char scratch[8192];
static int fds[8];

/* An argument a hostile caller might pass. */
static long pick(void)
{
	static const long v[] = { 0, 1, 2, -1, 3, 16, 28, 110, 111, 128, 4096, 1 << 20, 0x7fffffff, (long)KPTR, (long)BADPTR };
	unsigned k = rnd() % 20;
	if (k < 15)
		return v[k];
	if (k < 17)
		return fds[rnd() % 8];
	if (k < 19)
		return (long)(scratch + rnd() % 4096);
	return (long)rnd();
}

/* A message header of random parts, with an SCM_RIGHTS of random descriptors. */
static long hostile_msg(void)
{
	struct msghdr *m = (struct msghdr *)(scratch + 4096);
	struct iovec *v = (struct iovec *)(scratch + 4096 + 256);
	struct cmsghdr *c = (struct cmsghdr *)(scratch + 4096 + 512);
	for (int i = 0; i < 4; i++)
		v[i].iov_base = (void *)pick(), v[i].iov_len = rnd() % 3 ? rnd() % 200 : (size_t)pick();
	c->cmsg_len = rnd() % 2 ? CMSG_LEN(4 * (rnd() % 6)) : (size_t)pick();
	c->cmsg_level = rnd() % 4 ? SOL_SOCKET : (int)pick();
	c->cmsg_type = rnd() % 4 ? SCM_RIGHTS : (int)pick();
	for (int i = 0; i < 6; i++)
		((int *)CMSG_DATA(c))[i] = rnd() % 3 ? fds[rnd() % 8] : (int)pick();
	m->msg_name = rnd() % 2 ? 0 : (void *)pick();
	m->msg_namelen = (socklen_t)pick();
	m->msg_iov = rnd() % 4 ? v : (void *)pick();
	m->msg_iovlen = rnd() % 4 ? rnd() % 5 : (size_t)pick();
	m->msg_control = rnd() % 3 ? c : (void *)pick();
	m->msg_controllen = rnd() % 3 ? CMSG_SPACE(24) : (size_t)pick();
	m->msg_flags = (int)pick();
	return rnd() % 8 ? (long)m : pick();
}

static void fuzz_child(void)
{
	static const long calls[] = { SYS_socket, SYS_socketpair, SYS_bind, SYS_connect, SYS_listen, SYS_accept4,
				      SYS_sendto, SYS_recvfrom, SYS_sendmsg, SYS_recvmsg, SYS_shutdown,
				      SYS_getsockname, SYS_getpeername, SYS_setsockopt, SYS_getsockopt, SYS_read,
				      SYS_write, SYS_poll, SYS_ioctl, SYS_fcntl };
	int fd = open("/dev/sandbox", O_WRONLY);
	if (fd < 0 || write(fd, "root=/tmp/usb hostname=fuzz tasks=4\n", 36) != 36)
		_exit(3);
	close(fd);
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), fds[0] = sv[0], fds[1] = sv[1];
	socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), fds[2] = sv[0], fds[3] = sv[1];
	socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), fds[4] = sv[0], fds[5] = sv[1];
	fds[6] = sock_at("/fuzz.sock", 0, 1);
	fds[7] = sock_at("fuzz-abstract", 1, 1);
	for (int i = 0; i < 8; i++)
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
	for (unsigned i = 0; i < sizeof scratch; i++)
		scratch[i] = (char)rnd();
	signal(SIGPIPE, SIG_IGN);
	alarm(120); /* a call that blocks for good fails the check */
	for (int i = 0; i < 20000; i++) {
		long nr = calls[rnd() % (sizeof calls / sizeof calls[0])], a[6];
		for (int k = 0; k < 6; k++)
			a[k] = pick();
		if (nr == SYS_sendmsg || nr == SYS_recvmsg)
			a[1] = hostile_msg();
		if (nr == SYS_fcntl && a[1] != F_SETFL)
			a[1] = F_GETFL; /* no F_DUPFD storms or locks */
		if (nr != SYS_socket && nr != SYS_socketpair && rnd() % 4)
			a[0] = fds[rnd() % 8];
		/* nothing may block: the calls that could get MSG_DONTWAIT, O_NONBLOCK or no timeout */
		if (nr == SYS_sendto || nr == SYS_recvfrom)
			a[3] |= MSG_DONTWAIT;
		if (nr == SYS_sendmsg || nr == SYS_recvmsg)
			a[2] |= MSG_DONTWAIT;
		if (nr == SYS_fcntl)
			a[2] |= O_NONBLOCK;
		if (nr == SYS_poll)
			a[2] = 0;
		if (nr == SYS_accept4 || nr == SYS_connect || nr == SYS_read || nr == SYS_write)
			a[0] = fds[rnd() % 8];
		long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		if (nr == SYS_socket || nr == SYS_accept4)
			if (r > 16)
				close((int)r); /* keep descriptors from running out */
	}
	_exit(0);
}

static void fuzz(void)
{
	int st;
	unlink("/tmp/usb/fuzz.sock");
	pid_t pid = fork();
	if (!pid)
		fuzz_child();
	check("20,000 random socket calls from a sandbox, none stuck", waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
									     !WEXITSTATUS(st));
	int sv[2];
	char b[4];
	check("then the kernel still serves sockets", socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 &&
							    write(sv[0], "ok", 2) == 2 && read(sv[1], b, 4) == 2);
	unlink("/tmp/usb/fuzz.sock");
}

/* A task blocked in a socket call while another task sharing its
 * descriptor table (clone CLONE_FILES) closes that descriptor. */
static void closed_under(void)
{
	int sv[2], st;
	char b[4];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pid_t pid = syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
	if (!pid) {
		long r = recv(sv[0], b, sizeof b, 0);
		_exit(r == 0 || (r < 0 && errno == EBADF) ? 0 : 1); /* EOF on Linux, EBADF here */
	}
	struct timespec t = { 0, 100000000 };
	nanosleep(&t, 0);
	close(sv[0]);
	nanosleep(&t, 0);
	close(sv[1]);
	check("a socket closed under a blocked task sharing the table: it wakes cleanly",
	      waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st));
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	check("and the kernel still serves", write(sv[0], "ok", 2) == 2 && read(sv[1], b, 4) == 2);
	close(sv[0]);
	close(sv[1]);
}

static long mem_free_kib(void)
{
	char b[4096];
	int fd = open("/proc/meminfo", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0)
		return -1;
	b[n] = 0;
	char *p = strstr(b, "MemFree:");
	return p ? atol(p + 8) : -1;
}

/* Sockets made and closed every way they can end: a connection closed with
 * data unread, descriptors in flight, a cycle, pending connections, a
 * bound path, a chain of sockets inside sockets. */
static void churn(int rounds)
{
	static char buf[100000];
	for (int k = 0; k < rounds; k++) {
		int sv[2], tv[2], p[2];
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
		write(sv[0], buf, sizeof buf);
		close(sv[0]), close(sv[1]);
		pipe(p);
		socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
		send_fds(sv[0], &p[1], 1);
		close(sv[0]), close(sv[1]);
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		socketpair(AF_UNIX, SOCK_SEQPACKET, 0, tv);
		int cyc[3] = { sv[0], tv[1], p[0] };
		send_fds(sv[1], cyc, 3);
		send_fds(tv[0], &sv[1], 1);
		send_fds(sv[0], &tv[0], 1);
		close(sv[0]), close(sv[1]), close(tv[0]), close(tv[1]), close(p[0]), close(p[1]);
		unlink("/tmp/uchurn.sock");
		int l = sock_at("/tmp/uchurn.sock", 0, 1), c = sock_at("/tmp/uchurn.sock", 0, 0);
		write(c, "pending", 7);
		close(l), close(c);
		unlink("/tmp/uchurn.sock");
		int head = -1;
		for (int i = 0; i < 20; i++) {
			socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
			if (head >= 0) {
				send_fds(sv[0], &head, 1);
				close(head);
			}
			close(sv[0]);
			head = sv[1];
		}
		close(head);
	}
}

static void leaks(void)
{
	churn(50); /* the heap's size classes fill up once */
	long before = mem_free_kib();
	churn(200);
	long after = mem_free_kib();
	printf("MemFree: %ld KiB before, %ld KiB after 200 rounds\n", before, after);
	check("socket churn leaks no memory (within 64 KiB)", before > 0 && after > 0 && before - after <= 64);
}

int main(void)
{
	mkdir("/tmp/usb", 0755);
	mkdir("/tmp/usb/proc", 0755);
	close(open("/tmp/usb/inside", O_CREAT | O_WRONLY, 0644));
	int f = open("/tmp/usecret", O_CREAT | O_RDWR | O_TRUNC, 0644);
	write(f, "secret", 6);
	lseek(f, 0, SEEK_SET);
	unlink("/tmp/uhost.sock");
	unlink("/tmp/usb/shared.sock");
	unlink("/tmp/usb/inner.sock");
	int outside = sock_at("/tmp/uhost.sock", 0, 1), shared = sock_at("/tmp/usb/shared.sock", 0, 1);
	int abs = sock_at("uhost-abstract", 1, 1);
	check("host listeners", outside >= 0 && shared >= 0 && abs >= 0);
	int sv[2], st;
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pid_t pid = fork();
	if (!pid) {
		close(sv[0]);
		inside(sv[1]);
	}
	char b;
	read(sv[0], &b, 1);
	int fds[3] = { open("/tmp", O_RDONLY | O_DIRECTORY), open("/", O_PATH), f };
	check("send them in", send_fds(sv[0], fds, 3) == 0);
	int a = accept(shared, 0, 0);
	check("the host sees the sandboxed peer's pid", a >= 0 && peer_pid(a) == pid);
	close(a);
	read(sv[0], &b, 1);
	struct stat s;
	check("its socket node is in the host's tree under its root", stat("/tmp/usb/inner.sock", &s) == 0 && S_ISSOCK(s.st_mode));
	int c = sock_at("/tmp/usb/inner.sock", 0, 0);
	check("and the host reaches its listener", c >= 0);
	close(c);
	check("nothing made outside through a passed descriptor", stat("/tmp/made", &s) < 0 && stat("/tmp/usecret", &s) == 0);
	write(sv[0], "x", 1);
	check("the sandboxed child passed", waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st));
	unlink("/tmp/uhost.sock");
	unlink("/tmp/usb/shared.sock");
	unlink("/tmp/usb/inner.sock");
	fuzz();
	closed_under();
	leaks();
	if (failed)
		printf("FAILED %d\n", failed);
	else
		printf("ALL PASSED\n");
	return failed != 0;
}
