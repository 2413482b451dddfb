/* bulkhead-shim: the process that owns one container's (or one exec's)
 * stdio, so that the container outlives the daemon.  bulkheadd runs itself
 * again as
 *     bulkhead-shim DIR SPEC
 * (argv[0] says which program it is) in the container's folder DIR, where
 * the daemon wrote SPEC, a JSON object:
 *     {"sandbox": "lower=... upper=... hostname=... tasks=N pages=N" | "join=PID",
 *      "argv": [...], "env": [...], "cwd": "/", "user": "uid[:gid]" | "name[:group]",
 *      "tty": bool, "stdin": bool, "mounts": bool,
 *      "sock": "NAME", "state": "NAME", "log": "NAME" | ""}
 * It forks the process: the child writes the sandbox line to /dev/sandbox
 * (so it runs in the container's root), takes a pty slave as its controlling
 * terminal (tty) or pipes, mounts /proc and /dev there (mounts), becomes the
 * user, finds argv[0] on the container's PATH, tells the shim it is ready
 * and waits for the word to exec.  The shim reports on its stdout one line,
 *     "ok PID\n"  or  "err STATUS MESSAGE\n"
 * (STATUS 127: no such executable, 126: not executable, 1: anything else),
 * then waits for a byte (or EOF) on its stdin: the daemon has connected what
 * must see the first output.  Then it relays (relay.c, shared with the hyperv
 * worker, vmwp.c): output to the log (json-file
 * lines, LOG_MAX bytes per file, one older file NAME.1) and to the clients of
 * the Unix socket NAME; input from them to the process.  A client's first
 * byte says what it wants: SHIM_STDIN | SHIM_STDOUT | SHIM_STDERR, or
 * SHIM_CONTROL (then lines "resize H W\n"); 0 is a monitor, which only sees
 * EOF when the shim exits.  Output goes to clients in Docker's multiplexed
 * frames (8-byte header: stream 1 or 2, 0, 0, 0, big-endian length) without
 * a tty, raw with one.  A client's half-close of a stdin stream closes the
 * process's stdin (sends ^D on a tty).  When the process has exited and its
 * output is drained, the shim writes the state file
 *     {"Pid", "PidStart", "ShimPid", "StartedAt", "Running": false, "ExitCode",
 *      "FinishedAt", "OOMKilled"}
 * (ExitCode 128+N for signal N; OOMKilled when SIGKILL came from the
 * kernel's out-of-memory kill, as its log says)
 * (Running true with Pid and PidStart, its start time in /proc/PID/stat,
 * once it runs) and exits 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "engine.h"
#include "relay.h"

static struct relay rl;
static int tty, in_fd = -1, out_fd = -1, err_fd = -1;

void now_rfc3339(char *out, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", gmtime_r(&ts.tv_sec, &tm));
	snprintf(out + n, cap - n, ".%09ldZ", ts.tv_nsec);
}

long long proc_start_time(int pid)
{
	char path[64], b[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0)
		return -1;
	b[n] = 0;
	char *p = strrchr(b, ')');   /* comm may hold spaces */
	if (!p || p[1] != ' ' || p[2] == 'Z')
		return -1;   /* a zombie has ended */
	/* after ") ": field 3 (state) ... field 22 (starttime) */
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	return p ? atoll(p + 1) : -1;
}

int write_file_atomic(const char *path, const char *data)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t n = strlen(data);
	int bad = write(fd, data, n) != (ssize_t)n;
	close(fd);
	if (bad || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The relay's hooks: the process's stdin, its end, its window. */
static void input(struct relay *r, const char *p, size_t n)
{
	(void)r;
	if (in_fd >= 0 && write(in_fd, p, n) < 0)
		return;
}

static void close_stdin(struct relay *r)
{
	(void)r;
	if (in_fd < 0)
		return;
	if (tty) {
		char eof = 4;   /* ^D: the line discipline's end of file */
		if (write(in_fd, &eof, 1) < 0)
			return;
	} else {
		close(in_fd);
		in_fd = -1;
	}
}

static void set_window(struct relay *r, unsigned h, unsigned w)
{
	(void)r;
	struct winsize ws = { .ws_row = (unsigned short)h, .ws_col = (unsigned short)w };
	ioctl(out_fd, TIOCSWINSZ, &ws);
}

/* PATH search inside the container's root, as execvp would: the path to
 * exec, or NULL with *status 127 (none) or 126 (found, not executable). */
static const char *find_exec(const char *file, char *const *env, char *buf, size_t cap, int *status)
{
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	*status = 127;
	if (strchr(file, '/')) {
		if (!access(file, X_OK))
			return file;
		*status = errno == ENOENT ? 127 : 126;
		return NULL;
	}
	for (int i = 0; env[i]; i++)
		if (!strncmp(env[i], "PATH=", 5))
			path = env[i] + 5;
	while (*path) {
		size_t n = strcspn(path, ":");
		snprintf(buf, cap, "%.*s%s%s", (int)n, path, n ? "/" : "", file);
		struct stat st;
		if (!stat(buf, &st) && S_ISREG(st.st_mode)) {
			if (!access(buf, X_OK))
				return buf;
			*status = 126;
		}
		path += n + (path[n] == ':');
	}
	return NULL;
}

/* uid[:gid] or names from the container's /etc/passwd and /etc/group. */
static int set_user(const char *spec, char *err, size_t cap)
{
	char u[256], *g;
	snprintf(u, sizeof u, "%s", spec && *spec ? spec : "0");
	if ((g = strchr(u, ':')))
		*g++ = 0;
	char *end;
	uid_t uid;
	gid_t gid = 0;
	unsigned long v = strtoul(u, &end, 10);
	struct passwd *pw = NULL;
	if (*u && !*end) {
		uid = (uid_t)v;
		if ((pw = getpwuid(uid)))
			gid = pw->pw_gid;
	} else if ((pw = getpwnam(u))) {
		uid = pw->pw_uid, gid = pw->pw_gid;
	} else {
		snprintf(err, cap, "unable to find user %s: no matching entries in passwd file", u);
		return -1;
	}
	if (g && *g) {
		v = strtoul(g, &end, 10);
		struct group *gr;
		if (!*end)
			gid = (gid_t)v;
		else if ((gr = getgrnam(g)))
			gid = gr->gr_gid;
		else {
			snprintf(err, cap, "unable to find group %s: no matching entries in group file", g);
			return -1;
		}
	}
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid)) {
		snprintf(err, cap, "cannot become user %s: %s", spec, strerror(errno));
		return -1;
	}
	if (pw && pw->pw_dir)
		setenv("HOME", pw->pw_dir, 0);
	return 0;
}

static char **str_array(const cJSON *a)
{
	int n = cJSON_GetArraySize(a), i = 0;
	char **v = calloc((size_t)n + 1, sizeof *v);
	const cJSON *e;
	cJSON_ArrayForEach(e, a)
		if (cJSON_GetStringValue(e))
			v[i++] = e->valuestring;
	return v;
}

/* Writes text to path (inside the container), replacing it. */
static void put_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ssize_t w = write(fd, text, strlen(text));
		(void)w;
		close(fd);
	}
}

void spec_resolv(const cJSON *spec, char *out, size_t cap)
{
	const char *r = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "resolv"));
	int fd = r && *r ? -1 : open("/etc/resolv.conf", O_RDONLY | O_CLOEXEC);
	snprintf(out, cap, "%s", r ? r : "");
	if (fd >= 0) {
		ssize_t n = read(fd, out, cap - 1);
		out[n > 0 ? n : 0] = 0;
		close(fd);
	}
}

/* What Docker gives every container, in its writable layer: /etc/hostname,
 * /etc/hosts (localhost and the container's hostname; until containers have
 * addresses of their own the hostname is loopback's too) and the host's
 * /etc/resolv.conf (resolv, read before entering). */
static void etc_files(const char *resolv)
{
	struct utsname u;
	char hosts[512];
	if (uname(&u))
		return;
	mkdir("/etc", 0755);
	snprintf(hosts, sizeof hosts, "%s\n", u.nodename);
	put_file("/etc/hostname", hosts);
	snprintf(hosts, sizeof hosts, "127.0.0.1\tlocalhost\n127.0.0.1\t%s\n", u.nodename);
	put_file("/etc/hosts", hosts);
	put_file("/etc/resolv.conf", resolv);
}

/* The child: from the host into the container, then exec.  Reports a
 * failure as "STATUS MESSAGE" on rep (close-on-exec), readiness as "R". */
static void child(const cJSON *spec, int slave, int *pin, int *pout, int *perr, int rep, int go)
{
	char err[512], buf[4096];
	int status = 1;
	const char *sb = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "sandbox"));
	char **argv = str_array(cJSON_GetObjectItem(spec, "argv"));
	char **env = str_array(cJSON_GetObjectItem(spec, "env"));
	const char *cwd = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "cwd"));
	/* What the daemon ignores (SIGPIPE; SIGINT and SIGQUIT when a shell
	 * started it in the background) the container must not. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < 65; sig++)
		signal(sig, SIG_DFL);
	setsid();
	if (tty) {
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0), dup2(slave, 1), dup2(slave, 2);
	} else {
		dup2(pin[0], 0), dup2(pout[1], 1), dup2(perr[1], 2);
	}
	for (int fd = 3; fd < 256; fd++)
		if (fd != rep && fd != go)
			close(fd);
	char resolv[1024];
	spec_resolv(spec, resolv, sizeof resolv);
	int sfd = open("/dev/sandbox", O_WRONLY | O_CLOEXEC);
	if (sfd < 0 || write(sfd, sb, strlen(sb)) != (ssize_t)strlen(sb)) {
		snprintf(err, sizeof err, "cannot make the container's sandbox (/dev/sandbox: %s)", strerror(errno));
		goto fail;
	}
	close(sfd);
	if (tty) /* again, from inside: the pseudo-terminal becomes the container's (its /dev/pts lists it) */
		ioctl(0, TIOCSCTTY, 0);
	if (cJSON_IsTrue(cJSON_GetObjectItem(spec, "mounts"))) {
		mkdir("/proc", 0555);
		mkdir("/dev", 0755);
		mount("proc", "/proc", "proc", 0, NULL);
		mount("dev", "/dev", "devtmpfs", 0, NULL);
		etc_files(resolv);
	}
	clearenv();
	for (int i = 0; env[i]; i++)
		putenv(env[i]);
	if (!getenv("PATH"))
		setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	if (tty && !getenv("TERM")) /* as dockerd sets it for a tty */
		setenv("TERM", "xterm", 1);
	if (cwd && *cwd) {
		char mk[4096];
		snprintf(mk, sizeof mk, "%s", cwd);
		for (char *s = mk + 1; *s; s++)
			if (*s == '/')
				*s = 0, mkdir(mk, 0755), *s = '/';
		mkdir(mk, 0755);
		if (chdir(cwd)) {
			snprintf(err, sizeof err, "cannot enter the working directory %s: %s", cwd, strerror(errno));
			goto fail;
		}
	}
	if (set_user(cJSON_GetStringValue(cJSON_GetObjectItem(spec, "user")), err, sizeof err))
		goto fail;
	if (!argv[0]) {
		snprintf(err, sizeof err, "no command specified");
		goto fail;
	}
	const char *path = find_exec(argv[0], environ, buf, sizeof buf, &status);
	if (!path) {
		if (status == 127)
			snprintf(err, sizeof err, "exec: \"%s\": executable file not found in $PATH", argv[0]);
		else
			snprintf(err, sizeof err, "exec: \"%s\": permission denied", argv[0]);
		goto fail;
	}
	char ready = 'R', word;
	if (write(rep, &ready, 1) != 1 || read(go, &word, 1) < 0)
		_exit(1);
	close(go);
	execv(path, argv);
	fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
fail:
	dprintf(rep, "%d %s", status, err);
	_exit(status);
}

/* Did the kernel's out-of-memory kill (a sandbox past its pages=) end pid?
 * The guest kernel logs "out of memory: killed pid N (comm)". */
static int oom_killed(int pid)
{
	static char log[1 << 16];
	char needle[48];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof log - 1);
	if (n <= 0)
		return 0;
	log[n] = 0;
	snprintf(needle, sizeof needle, "out of memory: killed pid %d (", pid);
	return strstr(log, needle) != NULL;
}

static int drain(int fd, int stream)
{
	char b[16384];
	ssize_t n = read(fd, b, sizeof b);
	if (n > 0)
		relay_output(&rl, stream, b, (size_t)n);
	return n > 0 ? 0 : n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
}

int shim_main(int argc, char **argv)
{
	if (argc != 3 || chdir(argv[1])) {
		fprintf(stderr, "usage: bulkhead-shim DIR SPEC\n");
		return 2;
	}
	FILE *f = fopen(argv[2], "r");
	char text[65536];
	size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = 0;
	cJSON *spec = cJSON_Parse(text);
	if (!spec) {
		printf("err 1 the shim cannot read its spec %s/%s\n", argv[1], argv[2]);
		return 1;
	}
	const char *sock = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "sock"));
	const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "state"));
	tty = cJSON_IsTrue(cJSON_GetObjectItem(spec, "tty"));
	int open_stdin = cJSON_IsTrue(cJSON_GetObjectItem(spec, "stdin"));
	signal(SIGPIPE, SIG_IGN);
	setsid();   /* not in the daemon's process group: its ^C is not ours */

	if (!sock || !state || relay_open(&rl, sock, cJSON_GetStringValue(cJSON_GetObjectItem(spec, "log")))) {
		printf("err 1 the shim cannot listen on %s/%s: %s\n", argv[1], sock, strerror(errno));
		return 1;
	}
	rl.tty = tty;
	rl.input = input, rl.close_in = close_stdin, rl.resize = set_window;
	int slave = -1, pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 }, rep[2], go[2];
	if (tty) {
		out_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		char *name = out_fd >= 0 && !grantpt(out_fd) && !unlockpt(out_fd) ? ptsname(out_fd) : NULL;
		if (!name || (slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
			printf("err 1 cannot open a pseudo-terminal (/dev/ptmx): %s\n", strerror(errno));
			return 1;
		}
		in_fd = out_fd;
	} else if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC)) {
		printf("err 1 pipe: %s\n", strerror(errno));
		return 1;
	}
	if (pipe2(rep, O_CLOEXEC) || pipe2(go, O_CLOEXEC)) {
		printf("err 1 pipe: %s\n", strerror(errno));
		return 1;
	}
	fflush(stdout);
	int pid = fork();
	if (pid == 0)
		child(spec, slave, pin, pout, perr, rep[1], go[0]);
	close(rep[1]), close(go[0]);
	if (!tty) {
		close(pin[0]), close(pout[1]), close(perr[1]);
		in_fd = pin[1], out_fd = pout[0], err_fd = perr[0];
		fcntl(err_fd, F_SETFL, O_NONBLOCK);
	} else
		close(slave);
	fcntl(out_fd, F_SETFL, O_NONBLOCK);
	char msg[600] = "";
	ssize_t got = pid < 0 ? -1 : read(rep[0], msg, sizeof msg - 1);
	if (got != 1 || msg[0] != 'R') {
		int status = 1;
		if (got > 0)
			msg[got] = 0, status = atoi(msg);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		const char *m = strchr(msg, ' ');
		printf("err %d %s\n", status, got > 0 && m ? m + 1 : "the container's process failed to start");
		return 1;
	}
	close(rep[0]);
	char started[64];
	now_rfc3339(started, sizeof started);
	long long start = proc_start_time(pid);
	relay_state(state, pid, start, started, 1, 0, 0, NULL, 0);
	printf("ok %d\n", pid);
	fflush(stdout);
	/* The daemon connects what must see the first output, then says go
	 * (or is gone: EOF). */
	char word;
	if (read(0, &word, 1) < 0)
		word = 0;
	relay_accept_waiting(&rl);
	if (write(go[1], "g", 1) != 1)
		return 1;
	close(go[1]);
	if (!open_stdin)
		close_stdin(&rl);

	int status = 0, reaped = 0;
	for (;;) {
		struct pollfd p[3 + RELAY_CLIENTS];
		p[0] = (struct pollfd){ out_fd, POLLIN, 0 };
		p[1] = (struct pollfd){ err_fd, POLLIN, 0 };
		int nr = relay_poll_fill(&rl, p + 2);
		poll(p, (nfds_t)(2 + nr), reaped ? 0 : 100);
		if (!reaped && waitpid(pid, &status, WNOHANG) == pid)
			reaped = 1;
		int quiet = 1;
		if (out_fd >= 0 && (p[0].revents || reaped)) {
			if (drain(out_fd, 1))
				close(out_fd), out_fd = in_fd = tty ? -1 : in_fd;
			else
				quiet = !p[0].revents;
		}
		if (err_fd >= 0 && (p[1].revents || reaped)) {
			if (drain(err_fd, 2))
				close(err_fd), err_fd = -1;
			else
				quiet &= !p[1].revents;
		}
		relay_poll_done(&rl, p + 2, nr);
		/* Done when it has exited and its output is drained (a process it
		 * left behind holding the output does not keep the container). */
		if (reaped && quiet)
			break;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	relay_state(state, pid, start, started, 0, code,
		    WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && oom_killed(pid), NULL, 0);
	relay_close(&rl);
	return 0;   /* the clients see EOF */
}
