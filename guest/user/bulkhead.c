/*
 * bulkhead: the host partition's tool for compute systems (the host and its
 * utility partitions), over /dev/bulkhead (include/bulkhead/ctl.h).  A static
 * musl program in the host root image as /usr/bin/bulkhead; the same program
 * is the worker, /usr/libexec/vmwp (a symlink), chosen by argv[0].
 *
 *   bulkhead run [-d] [-m MIB] NAME [WORD...]   create a utility partition and
 *            hand its owning file to a worker (exec'd; -d: in a new session,
 *            printing the id)
 *   bulkhead uvm [-t] [-i] [-m MIB] [-n HOST] [-x CMD] [-k SIG] IMAGE.tar -- CMD...   (uvm.c)
 *   bulkhead list | ping ID [COUNT [SIZE]] | stats ID | ps ID | stop ID [STATUS] | kill ID
 *   bulkhead sandbox [-n HOST] [-t TASKS] [-p PAGES] [-c WEIGHT] [-u UPPER] [-w DIR] ROOT CMD [ARG...]
 *   bulkhead sandbox -j PID [-w DIR] CMD [ARG...]
 *            run CMD (looked up inside ROOT) in a new sandbox, through
 *            /dev/sandbox (docs/design.md, "Sandboxes"); with -u, its root
 *            is an overlay of ROOT (read-only) under UPPER (writable); with
 *            -j, in the sandbox of task PID; -w: in DIR of the sandbox
 *   vmwp FD ID NAME   relays the partition's console as "[NAME] line", reports
 *            how it ended and exits with its status; its exit (closing FD)
 *            destroys the partition.
 *
 * Errors: "bulkhead: WHAT: MESSAGE" on stderr, exit 1; bad usage exits 2.
 * The container verbs and enter (container.c, enter.c) are clients of the
 * engine daemon's Docker Engine API (api.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bulkhead/bootinfo.h>
#include <bulkhead/ctl.h>

#include "bulkhead.h"

#define WORKER_PATH "/usr/libexec/vmwp"
#define DEFAULT_MIB 16
#define MAX_LIST 256
#define MAX_TASKS 256
#define LINE_MAX_BYTES 1024 /* a longer console line is split */

static const char *prog = "bulkhead";

static const char usage_text[] =
	"usage: bulkhead COMMAND [ARGS]\n"
	"Containers (through the engine daemon, bulkheadd, on DOCKER_HOST or /var/run/docker.sock):\n"
	"  container new NAME --image IMAGE [--runtime process|hyperv] [-m MIB] [-p HOST:CONT]...\n"
	"            [-e K=V]... [-- CMD [ARG...]]\n"
	"                                    create container NAME (New-Container); prints its id.\n"
	"                                    -m: memory limit in MiB; -p: publish its port CONT\n"
	"                                    (CONT/udp: UDP) on the host's port HOST\n"
	"  container start NAME | stop [-t SECONDS] NAME | rm [-f] NAME\n"
	"  container list                    NAME, ID, IMAGE, RUNTIMETYPE, STATE (Get-Container)\n"
	"  container set NAME --runtime process|hyperv|default\n"
	"                                    its isolation at the next start (created or exited)\n"
	"  enter NAME [-- CMD [ARG...]]      a shell inside it (/bin/sh), or CMD; exits with its\n"
	"                                    status (Enter-PSSession)\n"
	"  image pull NAME[:TAG]             pull an image from a registry named in bulkhead.cfg's\n"
	"                                    insecure-registries (plain HTTP)\n"
	"Compute systems (through /dev/bulkhead):\n"
	"  run [-d] [-m MIB] NAME [WORD...]  start a utility partition NAME with MIB MiB of RAM\n"
	"                                    (default 16) and the WORDs as its command line;\n"
	"                                    relay its console until it ends (-d: in the\n"
	"                                    background, printing its id)\n"
	"  list                              list compute systems\n"
	"  ping ID [COUNT [SIZE]]            COUNT round trips of SIZE bytes over its channel (1, 16)\n"
	"  stats ID                          its kernel's uptime, memory, tasks, messages\n"
	"                                    (0: the host driver's doorbells and hv queries)\n"
	"  ps ID                             its tasks\n"
	"  stop ID [STATUS]                  ask it to exit with STATUS, 0-255 (default 0)\n"
	"  kill ID                           stop it at once\n"
	"  sandbox [-n HOST] [-t TASKS] [-p PAGES] [-c WEIGHT] [-u UPPER] [-w DIR] ROOT CMD [ARG...]\n"
	"                                    run CMD in a new sandbox: ROOT its root, HOST its\n"
	"                                    hostname, at most TASKS tasks and PAGES resident\n"
	"                                    pages (0: no limit), CPU WEIGHT (1024: as the host);\n"
	"                                    -u: ROOT read-only under the writable UPPER (overlay);\n"
	"                                    -w: CMD runs in DIR (inside the sandbox)\n"
	"  sandbox -j PID [-w DIR] CMD [ARG...]  run CMD in the sandbox of task PID\n"
	"  help                              this text\n";

int usage(const char *fmt, ...)
{
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		fprintf(stderr, "%s: ", prog);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	fputs(usage_text, stderr);
	return 2;
}

int fail(const char *what, const char *msg)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, msg);
	return 1;
}

/* Messages for what the ioctls on a compute system return. */
static const char *cs_strerror(int e)
{
	switch (e) {
	case ENOENT: return "no such compute system";
	case ENOTCONN: return "not a partition made by bulkhead run (no channel)";
	case ESRCH: return "not running";
	case ETIMEDOUT: return "no reply in time (timed out)";
	case EPROTO: return "bad reply (protocol error)";
	case ENOTTY: return "not supported by this kernel";
	case EPERM: return "not yours (made by another user; see include/bulkhead/ctl.h)";
	}
	return strerror(e);
}

/* A decimal number: digits only, no sign, no overflow, at most max. */
int parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int parse_id(const char *s, u32 *id)
{
	unsigned long long v;
	if (parse_u64(s, UINT32_MAX, &v))
		return -1;
	*id = (u32)v;
	return 0;
}

/* The raw system call: its full 64-bit result (musl's ioctl() returns int),
 * or -1 with errno. */
static long bh_ioctl(int fd, unsigned long cmd, const void *arg)
{
	return syscall(SYS_ioctl, fd, cmd, arg);
}

static int open_dev(void)
{
	int fd = open(BH_DEV, O_RDWR);
	if (fd < 0)
		fail(BH_DEV, strerror(errno));
	return fd;
}

static const char *state_name(u32 s)
{
	switch (s) {
	case BH_PART_CREATED: return "created";
	case BH_PART_RUNNING: return "running";
	case BH_PART_STOPPED: return "stopped";
	case BH_PART_CRASHED: return "crashed";
	case BH_CS_EXITED: return "exited";
	}
	return "?";
}

static const char *role_name(u32 r)
{
	return r == BH_ROLE_HOST ? "host" : r == BH_ROLE_UTILITY ? "utility" : "?";
}

/* ---- the worker ---------------------------------------------------------- */

void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return; /* stdout gone: the partition still runs to its end */
		p += k;
		n -= (size_t)k;
	}
}

static struct {
	char buf[BH_PART_NAME_MAX + 4 + LINE_MAX_BYTES + 1];
	size_t prefix, len; /* bytes of "[NAME] ", and of the line after it */
} line;

static void line_flush(void)
{
	line.buf[line.prefix + line.len] = '\n';
	write_all(1, line.buf, line.prefix + line.len + 1);
	line.len = 0;
}

static void relay(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			line_flush();
			continue;
		}
		line.buf[line.prefix + line.len++] = p[i];
		if (line.len == LINE_MAX_BYTES)
			line_flush();
	}
}

static int say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	line.len = (size_t)vsnprintf(line.buf + line.prefix, LINE_MAX_BYTES, fmt, ap);
	va_end(ap);
	if (line.len >= LINE_MAX_BYTES)
		line.len = LINE_MAX_BYTES - 1;
	line_flush();
	return 0;
}

static int worker(int argc, char **argv)
{
	unsigned long long fdv;
	u32 id;
	if (argc != 4 || parse_u64(argv[1], INT32_MAX, &fdv) || parse_id(argv[2], &id)) {
		fprintf(stderr, "usage: vmwp FD ID NAME\n"
				"the worker of a utility partition, started by `bulkhead run`\n");
		return 2;
	}
	int fd = (int)fdv;
	const char *name = argv[3];
	line.prefix = (size_t)snprintf(line.buf, BH_PART_NAME_MAX + 4, "[%.*s] ", BH_PART_NAME_MAX - 1, name);

	static char buf[4096];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0) {
			relay(buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fprintf(stderr, "vmwp: read %s: %s\n", name, strerror(errno));
		break;
	}
	if (line.len)
		line_flush();

	static struct bh_cs_info info;
	struct bh_ctl req = { .id = id, .buf = (u64)(uintptr_t)&info, .len = 1 };
	if (bh_ioctl(fd, BH_IOC_INFO, &req) < 0)
		return say("lost: %s", cs_strerror(errno)), 1;
	int reason_len = (int)strnlen(info.reason, sizeof info.reason);
	if (info.con_dropped)
		say("%llu console bytes dropped (over its quota, or not read in time)", info.con_dropped);
	switch (info.state) {
	case BH_CS_EXITED:
		say("exited with status %lld", info.exit_status);
		return (int)(info.exit_status & 255);
	case BH_PART_CRASHED:
		say("crashed: %.*s", reason_len, info.reason);
		return 1;
	case BH_PART_STOPPED:
		say("stopped: %.*s", reason_len, info.reason);
		return 1;
	}
	say("ended while %s", state_name(info.state));
	return 1;
}

/* ---- commands ------------------------------------------------------------ */

static int cmd_run(int argc, char **argv)
{
	static struct bh_part_create req;
	unsigned long long mib = DEFAULT_MIB;
	int detach = 0, i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "-d")) {
			detach = 1;
		} else if (!strncmp(argv[i], "-m", 2)) {
			const char *v = argv[i][2] ? argv[i] + 2 : argv[++i];
			if (!v)
				return usage("run: -m needs a size in MiB");
			if (parse_u64(v, UINT64_MAX >> 20, &mib) || !mib)
				return usage("run: bad memory size '%s' (MiB, a positive number)", v);
		} else {
			return usage("run: unknown option '%s'", argv[i]);
		}
	}
	if (i >= argc)
		return usage("run: a NAME is needed");
	const char *name = argv[i++];
	size_t nl = strlen(name);
	if (!nl || nl >= sizeof req.name)
		return usage("run: name '%s' is %s (1 to %zu characters)", name, nl ? "too long" : "empty",
			     sizeof req.name - 1);
	for (const char *p = name; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return usage("run: name '%s': printable characters only, no spaces", name);
	memcpy(req.name, name, nl + 1);
	req.memory = mib << 20;
	req.vcpus = 1;
	size_t cl = 0;
	for (int first = i; i < argc; i++) {
		size_t wl = strlen(argv[i]);
		if (cl + (i > first) + wl >= sizeof req.cmdline)
			return usage("run: the command line is too long (at most %zu characters)", sizeof req.cmdline - 1);
		if (i > first)
			req.cmdline[cl++] = ' ';
		memcpy(req.cmdline + cl, argv[i], wl + 1);
		cl += wl;
	}

	int fd = open_dev();
	if (fd < 0)
		return 1;
	long id = bh_ioctl(fd, BH_IOC_CREATE, &req);
	if (id < 0) {
		int e = errno;
		char what[64 + BH_PART_NAME_MAX], msg[128];
		snprintf(what, sizeof what, "run %s", name);
		if (e == EINVAL && req.memory < BH_PART_MIN_MEMORY)
			snprintf(msg, sizeof msg, "%s (memory: at least %llu MiB)", strerror(e), BH_PART_MIN_MEMORY >> 20);
		else if (e == ENOMEM)
			snprintf(msg, sizeof msg, "%s (more memory than hv has free)", strerror(e));
		else if (e == EINVAL)
			snprintf(msg, sizeof msg, "%s (memory too small for the kernel, or a bad name or command line)",
				 strerror(e));
		else
			snprintf(msg, sizeof msg, "%s", strerror(e));
		return fail(what, msg);
	}

	char fds[24], ids[24];
	snprintf(fds, sizeof fds, "%d", fd);
	snprintf(ids, sizeof ids, "%ld", id);
	char *wargv[] = { "vmwp", fds, ids, (char *)name, 0 };
	fflush(stdout);
	if (detach) {
		/* The id comes out before anything the worker writes to the same
		 * stdout: the child waits for the parent to close its end of go[]. */
		int go[2];
		if (pipe2(go, O_CLOEXEC))
			return fail("pipe", strerror(errno));
		pid_t pid = fork();
		if (pid < 0)
			return fail("fork", strerror(errno));
		if (pid) {
			close(go[0]);
			printf("%ld\n", id);
			fflush(stdout);
			close(go[1]);
			return 0; /* the child holds the partition's file now */
		}
		close(go[1]);
		char c;
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		close(go[0]);
		setsid();
		int null = open("/dev/null", O_RDONLY); /* the worker reads no terminal */
		if (null > 0) {
			dup2(null, 0);
			close(null);
		}
	}
	execv(WORKER_PATH, wargv);
	fail(WORKER_PATH, strerror(errno));
	if (detach)
		_exit(1);
	return 1;
}

static int cmd_list(int argc, char **argv)
{
	static struct bh_cs_info cs[MAX_LIST];
	(void)argv;
	if (argc != 1)
		return usage("list takes no arguments");
	int fd = open_dev();
	if (fd < 0)
		return 1;
	struct bh_ctl req = { .buf = (u64)(uintptr_t)cs, .len = MAX_LIST };
	long n = bh_ioctl(fd, BH_IOC_LIST, &req);
	if (n < 0)
		return fail("list", strerror(errno));
	printf("%-4s %-16s %-10s %-8s %-8s %8s %s\n", "ID", "NAME", "OWNER", "TYPE", "STATE", "MEMORY", "WORKER");
	for (long i = 0; i < n && i < MAX_LIST; i++) {
		const struct bh_cs_info *c = &cs[i];
		char mem[24], wk[16] = "-";
		snprintf(mem, sizeof mem, "%lluM", c->memory >> 20);
		if (c->worker > 0)
			snprintf(wk, sizeof wk, "%d", c->worker);
		printf("%-4u %-16.*s %-10.*s %-8s %-8s %8s %s\n", c->id, (int)strnlen(c->name, sizeof c->name), c->name,
		       (int)strnlen(c->owner, sizeof c->owner), c->owner,
		       c->type == BH_CS_CONTAINER ? "container" : role_name(c->role), state_name(c->state),
		       mem, wk);
	}
	return 0;
}

/* The ID argument of ping, stats, ps, stop and kill (with at most max_args
 * arguments in all), then the device: 0, or the exit status to return. */
static int id_dev(int argc, char **argv, int max_args, u32 *id, int *fd)
{
	if (argc < 2 || argc > 1 + max_args)
		return usage("%s: %s", argv[0], argc < 2 ? "an ID is needed" : "too many arguments");
	if (parse_id(argv[1], id))
		return usage("%s: bad ID '%s' (a compute system's number, as `bulkhead list` shows)", argv[0], argv[1]);
	*fd = open_dev();
	return *fd < 0;
}

static int cs_fail(const char *cmd, u32 id, int e)
{
	char what[48];
	snprintf(what, sizeof what, "%s %u", cmd, id);
	return fail(what, cs_strerror(e));
}

static int cmd_ping(int argc, char **argv)
{
	static char want[BH_MSG_MAX], buf[BH_MSG_MAX];
	u32 id;
	unsigned long long count = 1, size = 16, total = 0;
	int fd, r;
	if (argc > 2 && argc <= 4 && (parse_u64(argv[2], 1000000, &count) || !count))
		return usage("ping: bad COUNT '%s' (1 to 1000000)", argv[2]);
	if (argc == 4 && (parse_u64(argv[3], BH_MSG_MAX, &size) || size < 16))
		return usage("ping: bad SIZE '%s' (16 to %u bytes)", argv[3], BH_MSG_MAX);
	if ((r = id_dev(argc, argv, 3, &id, &fd)))
		return r;
	unsigned long long sent = 0, received = 0;
	for (u32 seq = 1; seq <= count; seq++) {
		for (u32 i = 0; i < size; i++)
			want[i] = (char)(seq * 31 + i);
		snprintf(want, 17, "ping seq %7u", seq);
		memcpy(buf, want, size);
		struct bh_ctl req = { .id = id, .arg = seq, .buf = (u64)(uintptr_t)buf, .len = size };
		sent++;
		long t = bh_ioctl(fd, BH_IOC_PING, &req);
		if (t < 0) {
			cs_fail("ping", id, errno);
			break;
		}
		if (memcmp(buf, want, size)) {
			fprintf(stderr, "%s: ping %u: seq=%u: the reply's payload differs\n", prog, id, seq);
			continue;
		}
		received++;
		total += (unsigned long long)t;
		printf("reply from %u: seq=%u bytes=%llu ticks=%ld\n", id, seq, size, t);
		fflush(stdout);
	}
	printf("%llu sent, %llu received, %llu ticks per round trip\n", sent, received,
	       received ? total / received : 0);
	return received == count ? 0 : 1;
}

static int cmd_stats(int argc, char **argv)
{
	static struct bh_guest_stats st;
	u32 id;
	int fd, r;
	if ((r = id_dev(argc, argv, 1, &id, &fd)))
		return r;
	if (id == 0) {
		static struct bh_host_stats hs;
		if (bh_ioctl(fd, BH_IOC_HOST_STATS, &hs) < 0)
			return cs_fail("stats", id, errno);
		printf("doorbells: %llu\nchannel drains: %llu\nhv state queries: %llu\nhv free pages: %llu\n"
		       "hv idle ticks: %llu\ntsc: %llu\n", hs.doorbells, hs.drains, hs.hv_queries, hs.hv_pages_free,
		       hs.hv_idle_tsc, hs.tsc);
		return 0;
	}
	struct bh_ctl req = { .id = id, .buf = (u64)(uintptr_t)&st, .len = sizeof st };
	if (bh_ioctl(fd, BH_IOC_STATS, &req) < 0)
		return cs_fail("stats", id, errno);
	printf("uptime: %llu.%03llu s\n", st.uptime_ns / 1000000000ull, st.uptime_ns / 1000000ull % 1000);
	printf("memory: %llu KiB total, %llu KiB free\n", st.mem_total >> 10, st.mem_free >> 10);
	printf("tasks: %u\n", st.tasks);
	printf("busy: %llu.%03llu s\n", st.busy_ns / 1000000000ull, st.busy_ns / 1000000ull % 1000);
	printf("messages: %llu in, %llu out\n", st.msgs_in, st.msgs_out);
	return 0;
}

static int cmd_ps(int argc, char **argv)
{
	static struct bh_guest_task t[MAX_TASKS];
	u32 id;
	int fd, r;
	if ((r = id_dev(argc, argv, 1, &id, &fd)))
		return r;
	struct bh_ctl req = { .id = id, .buf = (u64)(uintptr_t)t, .len = MAX_TASKS };
	long n = bh_ioctl(fd, BH_IOC_PS, &req);
	if (n < 0)
		return cs_fail("ps", id, errno);
	printf("%5s %5s %s %8s %s\n", "PID", "PPID", "S", "RSS", "COMMAND");
	for (long i = 0; i < n && i < MAX_TASKS; i++)
		printf("%5d %5d %c %7lluK %.*s\n", t[i].pid, t[i].ppid, t[i].state ? t[i].state : '?', t[i].rss >> 10,
		       (int)strnlen(t[i].comm, sizeof t[i].comm), t[i].comm);
	return 0;
}

static int cmd_stop(int argc, char **argv)
{
	u32 id;
	unsigned long long status = 0;
	int fd, r;
	if (argc == 3 && parse_u64(argv[2], 255, &status))
		return usage("stop: bad STATUS '%s' (0 to 255)", argv[2]);
	if ((r = id_dev(argc, argv, 2, &id, &fd)))
		return r;
	struct bh_ctl req = { .id = id, .arg = (s64)status };
	long st = bh_ioctl(fd, BH_IOC_SHUTDOWN, &req);
	if (st < 0)
		return cs_fail("stop", id, errno);
	printf("%u exited with status %ld\n", id, st);
	return 0;
}

static int cmd_kill(int argc, char **argv)
{
	u32 id;
	int fd, r;
	if ((r = id_dev(argc, argv, 1, &id, &fd)))
		return r;
	struct bh_ctl req = { .id = id };
	if (bh_ioctl(fd, BH_IOC_KILL, &req) < 0)
		return cs_fail("kill", id, errno);
	printf("%u killed\n", id);
	return 0;
}

static int cmd_sandbox(int argc, char **argv)
{
	static const char opts[] = "ntpcuwj", *keys[] = { "hostname", "tasks", "pages", "cpu", "upper", "cwd", "join" };
	char line[512];
	int i = 1, n = 0, overlay = 0, join = 0;
	for (; i + 1 < argc && argv[i][0] == '-' && argv[i][1] && !argv[i][2]; i += 2) {
		const char *o = strchr(opts, argv[i][1]);
		overlay |= o && *o == 'u';
		join |= o && *o == 'j';
		unsigned long long v;
		if (!o)
			return usage("sandbox: unknown option '%s'", argv[i]);
		if (strpbrk(argv[i + 1], " \t\n"))
			return usage("sandbox: '%s': no spaces", argv[i + 1]);
		if (!strchr("nuw", *o) && parse_u64(argv[i + 1], UINT32_MAX, &v))
			return usage("sandbox: bad number '%s' for %s", argv[i + 1], argv[i]);
		n += snprintf(line + n, sizeof line - (size_t)n, "%s=%s ", keys[o - opts], argv[i + 1]);
		if (n >= (int)sizeof line)
			return usage("sandbox: options too long");
	}
	if (argc - i < 2 - join)
		return usage(join ? "sandbox: a COMMAND is needed" : "sandbox: a ROOT and a COMMAND are needed");
	if (!join && strpbrk(argv[i], " \t\n"))
		return usage("sandbox: ROOT with spaces");
	if (!join)
		n += snprintf(line + n, sizeof line - (size_t)n, "%s=%s", overlay ? "lower" : "root", argv[i++]);
	if (n + 1 >= (int)sizeof line)
		return usage("sandbox: ROOT too long");
	line[n++] = '\n';
	int fd = open("/dev/sandbox", O_WRONLY);
	if (fd < 0 || write(fd, line, (size_t)n) != n)
		return fail("sandbox", strerror(errno));
	close(fd);
	execvp(argv[i], argv + i);
	return fail(argv[i], strerror(errno));
}

int main(int argc, char **argv)
{
	const char *base = argc > 0 && argv[0] ? argv[0] : "bulkhead";
	const char *slash = strrchr(base, '/');
	if (slash)
		base = slash + 1;
	if (!strcmp(base, "vmwp")) {
		prog = "vmwp";
		return worker(argc, argv);
	}
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "run", cmd_run },     { "list", cmd_list }, { "ping", cmd_ping }, { "stats", cmd_stats },
		{ "ps", cmd_ps },       { "stop", cmd_stop }, { "kill", cmd_kill }, { "sandbox", cmd_sandbox },
		{ "container", cmd_container }, { "enter", cmd_enter }, { "uvm", cmd_uvm },
		{ "image", cmd_image },
	};
	if (argc < 2)
		return usage(0);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	return usage("unknown command '%s'", argv[1]);
}
