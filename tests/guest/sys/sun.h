/* Helpers of the AF_UNIX syscall tests (sys_unix.c, sys_unix_dg.c):
 * addresses, sockets bound, connected and listening, poll's answer now,
 * and SCM_RIGHTS in and out. */
#ifndef SUN_H
#define SUN_H

#include "t.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <stddef.h>
#include <time.h>

static __attribute__((unused)) struct sockaddr_un sun_of(const char *path, socklen_t *len)
{
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	strcpy(a.sun_path, path);
	*len = offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
	return a;
}

static __attribute__((unused)) int sock(void) { return socket(AF_UNIX, SOCK_STREAM, 0); }

static __attribute__((unused)) int bind_to(int s, const char *path)
{
	socklen_t l;
	struct sockaddr_un a = sun_of(path, &l);
	return bind(s, (struct sockaddr *)&a, l);
}

static __attribute__((unused)) int connect_to(int s, const char *path)
{
	socklen_t l;
	struct sockaddr_un a = sun_of(path, &l);
	return connect(s, (struct sockaddr *)&a, l);
}

static __attribute__((unused)) int listener(const char *path, int backlog)
{
	int s = sock();
	unlink(path);
	if (s < 0 || bind_to(s, path) || listen(s, backlog))
		return -1;
	return s;
}

static __attribute__((unused)) void ms(int n)
{
	struct timespec t = { n / 1000, (n % 1000) * 1000000l };
	nanosleep(&t, 0);
}

static __attribute__((unused)) int revents(int fd, short ev)
{
	struct pollfd p = { fd, ev, 0 };
	return poll(&p, 1, 0) < 0 ? -1 : p.revents;
}

#define EV (POLLIN | POLLOUT | POLLRDHUP | POLLPRI)

/* Sends len bytes of data with n descriptors as SCM_RIGHTS. */
static __attribute__((unused)) ssize_t send_fds(int s, const void *data, size_t len, const int *fds, int n, int flags)
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
static __attribute__((unused)) ssize_t recv_fds(int s, char *buf, size_t len, int room, int *fds, int *n, int *mflags, int flags)
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

static __attribute__((unused)) int geti(int s, int name)
{
	int v = -99;
	socklen_t l = sizeof v;
	return getsockopt(s, SOL_SOCKET, name, &v, &l) ? -errno : v;
}


/* Sets up DIR (made and used as the cwd, umask 022) and the alarm a hang ends in. */
static __attribute__((unused)) int sun_setup(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp/sysunix";
	mkdir(dir, 0755);
	if (chdir(dir))
		return -1;
	umask(022);
	setvbuf(stdout, 0, _IOLBF, 0);
	alarm(120); /* a hang is a failure, not a stuck test */
	return 0;
}

#endif
