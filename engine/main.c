/* bulkheadd: the engine daemon (dockerd's part).  Serves the Docker Engine
 * API on Unix and TCP sockets from one thread and one poll() loop; owns the
 * image store under the data root.  Runs in the host partition, started (and
 * restarted) by init with bulkhead.cfg's `api =` endpoints; runs on Linux as
 * well, which is how it is tested.
 *
 *   bulkheadd [-H unix:///var/run/docker.sock | -H tcp://ADDR:PORT]...
 *             [--data-root /var/lib/bulkhead] [--isolation process|hyperv]
 *             [--boot-images /boot/images]
 *             [--insecure-registry HOST[:PORT]]...   (registries pulled from, over plain HTTP)
 *
 * -H is repeatable (at most MAX_LISTEN); without one, the Unix socket.
 * ADDR is a dotted IPv4 address (empty: 0.0.0.0); plain TCP has no TLS and
 * no authentication, for a trusted link only.
 *
 * Exit status 78 (EX_CONFIG): the kernel has no AF_UNIX sockets (socket(2)
 * fails with EAFNOSUPPORT, or ENOSYS), so there is nothing to serve; init's
 * respawn loop stops on it.  1: any other failure. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include "engine.h"

#define EXIT_NO_AF_UNIX 78
#define MAX_CONNS 256
#define MAX_LISTEN 4

struct engine eng = {
	.data_root = "/var/lib/bulkhead",
	.isolation = "process",
	.boot_images = "/boot/images",
};

void logmsg(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "bulkheadd: %s\n", msg);
}

static int usage(void)
{
	fprintf(stderr, "usage: bulkheadd [-H unix://PATH | -H tcp://ADDR:PORT]... [--data-root DIR] "
			"[--isolation process|hyperv] [--boot-images DIR]\n"
			"                 [--insecure-registry HOST[:PORT]]...\n");
	return 2;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	if (strlen(path) >= sizeof a.sun_path) {
		logmsg("socket path too long: %s", path);
		return -1;
	}
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && (errno == EAFNOSUPPORT || errno == ENOSYS)) {
		logmsg("this kernel has no AF_UNIX sockets (%s): the Engine API cannot be served "
		       "on %s; exiting with status %d", strerror(errno), path, EXIT_NO_AF_UNIX);
		exit(EXIT_NO_AF_UNIX);
	}
	if (fd < 0) {
		logmsg("socket: %s", strerror(errno));
		return -1;
	}
	/* A socket left by an earlier run is ours to replace; anything else is not. */
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);
	mode_t old = umask(0117);
	int rc = bind(fd, (struct sockaddr *)&a, sizeof a);
	umask(old);
	if (rc || chmod(path, 0660) || listen(fd, 64)) {
		logmsg("cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* tcp://ADDR:PORT: ADDR dotted IPv4 or empty (every address), PORT 1..65535. */
static int listen_tcp(const char *spec)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char addr[32];
	const char *colon = strrchr(spec, ':');
	char *end;
	long port = colon ? strtol(colon + 1, &end, 10) : 0;
	size_t n = colon ? (size_t)(colon - spec) : 0;
	if (!colon || colon[1] == 0 || *end || port < 1 || port > 65535 || n >= sizeof addr) {
		logmsg("bad TCP address '%s' (tcp://ADDR:PORT)", spec);
		return -1;
	}
	memcpy(addr, spec, n);
	addr[n] = 0;
	if (n && inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
		logmsg("bad TCP address '%s': not a dotted IPv4 address", spec);
		return -1;
	}
	a.sin_port = htons((uint16_t)port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		logmsg("socket(AF_INET): %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 64)) {
		logmsg("cannot listen on tcp://%s: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Is path an ELF file (a program given as a boot module, like the Docker
 * CLI), not an image archive? */
static int is_program(const char *path)
{
	char magic[4] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int n = fd < 0 ? -1 : (int)read(fd, magic, sizeof magic);
	if (fd >= 0)
		close(fd);
	return n == 4 && !memcmp(magic, "\x7f" "ELF", 4);
}

/* Loads each file of the boot images folder whose images are not in the
 * store yet (boot modules, `image =` in bulkhead.cfg); programs there are
 * left alone. */
static void load_boot_images(void)
{
	DIR *d = opendir(eng.boot_images);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char path[4200], err[1024];
		struct buf out = { 0 };
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", eng.boot_images, de->d_name);
		if (is_program(path))
			continue;
		int rc = store_load_new(path, &out, err, sizeof err);
		if (rc < 0)
			logmsg("boot image %s: %s", path, err);
		else if (rc == 0)
			logmsg("boot image %s: %s", path, out.p ? out.p : "loaded\n");
		free(out.p);
	}
	if (d)
		closedir(d);
}

static void make_dirs(const char *path)
{
	char p[4096];
	snprintf(p, sizeof p, "%s", path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			mkdir(p, 0755);
			*s = '/';
		}
}

static void on_sigchld(int sig)
{
	(void)sig;   /* only to interrupt poll(): containers_tick reaps */
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (!strcmp(base, "bulkhead-shim"))
		return shim_main(argc, argv);
	if (!strcmp(base, "vmwp"))
		return vmwp_main(argc, argv);
	if (!strcmp(base, "bulkhead-pull"))
		return pull_main(argc, argv);
	ssize_t sn = readlink("/proc/self/exe", eng.self, sizeof eng.self - 1);
	if (sn > 0)
		eng.self[sn] = 0;
	else if (!realpath(argv[0], eng.self))
		snprintf(eng.self, sizeof eng.self, "%s", argv[0]);
	static char *insecure[64];
	eng.insecure = insecure;
	const char *hosts[MAX_LISTEN] = { "unix:///var/run/docker.sock" };
	int nhosts = 0, lfd[MAX_LISTEN];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return usage();
		if (!strcmp(a, "-H") || !strcmp(a, "--host")) {
			if (nhosts == MAX_LISTEN || !((!strncmp(v, "unix://", 7) && v[7]) || !strncmp(v, "tcp://", 6)))
				return usage();
			hosts[nhosts++] = v;
		} else if (!strcmp(a, "--data-root"))
			eng.data_root = v;
		else if (!strcmp(a, "--isolation") && (!strcmp(v, "process") || !strcmp(v, "hyperv")))
			eng.isolation = v;
		else if (!strcmp(a, "--boot-images"))
			eng.boot_images = v;
		else if (!strcmp(a, "--insecure-registry") && eng.ninsecure < 64)
			eng.insecure[eng.ninsecure++] = argv[i + 1];
		else
			return usage();
		i++;
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = { .sa_handler = on_sigchld, .sa_flags = SA_NOCLDSTOP };
	sigaction(SIGCHLD, &sa, NULL);
	nhosts += !nhosts;
	for (int i = 0; i < nhosts; i++) {
		if (!strncmp(hosts[i], "unix://", 7))
			make_dirs(hosts[i] + 7);
		lfd[i] = strncmp(hosts[i], "unix://", 7) ? listen_tcp(hosts[i] + 6) : listen_unix(hosts[i] + 7);
		if (lfd[i] < 0)
			return 1;
	}
	char err[1024], where[1024] = "";
	for (int i = 0; i < nhosts; i++)
		snprintf(where + strlen(where), sizeof where - strlen(where), "%s%s", i ? " " : "", hosts[i]);
	static char data_abs[4096];
	make_dirs(eng.data_root);
	mkdir(eng.data_root, 0755);
	if (realpath(eng.data_root, data_abs))
		eng.data_root = data_abs;   /* the shims and sandboxes take absolute paths */
	snprintf(eng.vmwp, sizeof eng.vmwp, "%s/vmwp", eng.data_root);
	unlink(eng.vmwp);
	if (symlink(eng.self, eng.vmwp))
		logmsg("%s: %s (no hyperv containers)", eng.vmwp, strerror(errno));
	if (store_open(err, sizeof err)) {
		logmsg("%s", err);
		return 1;
	}
	load_boot_images();
	containers_open();
	logmsg("serving the Engine API v" API_VERSION " on %s, data root %s, %d images",
	       where, eng.data_root, store_count());

	struct conn *conns = NULL;
	int nconns = 0;
	/* The listeners, then each connection's socket and its relay (-1 if
	 * none), then the containers' monitor sockets. */
	enum { MAX_FDS = MAX_LISTEN + 2 * MAX_CONNS + 1024 };
	static struct pollfd pfd[MAX_FDS];
	static struct conn *pc[MAX_FDS];
	for (;;) {
		int n = 0;
		for (int i = 0; i < nhosts; i++)
			pfd[n++] = (struct pollfd){ lfd[i], nconns < MAX_CONNS ? POLLIN : 0, 0 };
		for (struct conn *c = conns; c; c = c->next) {
			pc[n] = c;
			pfd[n++] = (struct pollfd){ c->fd,
				(short)((conn_wants_read(c) ? POLLIN : 0) |
					(conn_wants_write(c) ? POLLOUT : 0)), 0 };
			pfd[n++] = (struct pollfd){ c->relay_fd, POLLIN, 0 };
		}
		int nconn_fds = n;
		int dns = n;
		pfd[n++] = (struct pollfd){ net_dns_fd(), POLLIN, 0 };   /* -1: ignored */
		int ndns = net_dns_tcp_fill(pfd + n, MAX_FDS - n);
		n += ndns;
		n += containers_poll_fill(pfd + n, MAX_FDS - n);
		int t = events_timeout_ms(), ct = containers_timeout_ms(), gt = conns_go(conns);
		if (t < 0 || (ct >= 0 && ct < t))
			t = ct;
		if (t < 0 || (gt >= 0 && gt < t))
			t = gt;
		if ((nconns || ndns > 1) && (t < 0 || t > 1000))
			t = 1000;   /* slow clients' time-outs are checked each second */
		if (poll(pfd, (nfds_t)n, t) < 0 && errno != EINTR) {
			logmsg("poll: %s", strerror(errno));
			return 1;
		}
		events_tick();
		if (pfd[dns].fd >= 0 && (pfd[dns].revents & POLLIN))
			net_dns_answer();
		net_dns_tcp_done(pfd + dns + 1, ndns);
		containers_poll_done(pfd + dns + 1 + ndns, n - dns - 1 - ndns);
		containers_tick();
		long long now = mono_s();
		for (int i = nhosts; i < nconn_fds; i += 2) {
			struct conn *c = pc[i];
			int bad = 0;
			if ((pfd[i].revents & POLLHUP) && c->in_eof)
				bad = -1;   /* gone altogether while we waited to answer */
			else if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				bad = conn_read(c);
			if (!bad && c->relay_fd >= 0 && c->relay_fd == pfd[i + 1].fd && pfd[i + 1].revents)
				bad = conn_relay_read(c);
			if (!bad && conn_wants_write(c))
				bad = conn_write(c);
			if (!bad && conn_expired(c, now)) {
				logmsg("a client took over %d s to send a request or take its answer: closed",
				       CONN_TIMEOUT_S);
				bad = -1;
			}
			if (bad || conn_done(c)) {
				for (struct conn **pp = &conns; *pp; pp = &(*pp)->next)
					if (*pp == c) {
						*pp = c->next;
						break;
					}
				conn_free(c);
				nconns--;
			}
		}
		for (int i = 0; i < nhosts; i++) {
			if (!(pfd[i].revents & POLLIN) || nconns >= MAX_CONNS)
				continue;
			int fd = accept4(lfd[i], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			struct conn *c = fd >= 0 ? conn_new(fd) : NULL;
			if (c) {
				c->next = conns;
				conns = c;
				nconns++;
			} else if (fd >= 0)
				close(fd);
		}
	}
}
