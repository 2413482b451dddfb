/* Guest-only: AF_UNIX sockets across a sandbox's wall (/dev/sandbox).  A
 * sandboxed child is handed, over a socket, descriptors opened outside its
 * root after it entered: none lets a lookup start there (fchdir, openat,
 * mkdirat, unlinkat, /proc/self/fd/N), its paths name only its own tree
 * (sockets of the host outside its root are out of reach; one placed in
 * its root, as docker.sock is, works), abstract names are per sandbox, and
 * SO_PEERCRED shows a pid only to those who see that task.
 * Prints PASS:/FAIL: lines and a final "ALL PASSED" or "FAILED n". */
#include "t.h"
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

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
	if (failed)
		printf("FAILED %d\n", failed);
	else
		printf("ALL PASSED\n");
	return failed != 0;
}
