/* vmwp: the worker of one hyperv container, in the host partition.  It is
 * bulkheadd again, run by the daemon (spawn_shim) through the link
 * DATA/vmwp as
 *     vmwp DIR SPEC
 * so that the host's ps shows a "vmwp" for each hyperv container and never
 * the container's processes, which run in its utility partition.  SPEC is
 * the process shim's (shim.c) with a "hyperv" object instead of "sandbox":
 *     {"name": short id, "memory": RAM bytes, "hostname": ...,
 *      "layers": [{"path": tar file, "digest": hex sha256, "verify": bool}, ...]}
 * It makes the partition through /dev/bulkhead (include/bulkhead/ctl.h: NEW
 * of type Container, owner bulkheadd; the layer blobs granted read-only, one
 * after another in the image window; START), sends RUN (channel.h) with the
 * config's argv, env, cwd, user, hostname, tty and stdin, and reports to the
 * daemon like the shim: "ok PID" (its own pid: the container's process on
 * this host) or "err STATUS MESSAGE", then waits for the go byte.  Then it
 * relays (relay.c) over the container's messages: STDOUT/STDERR to the log
 * and clients, clients' input as STDIN (at most BH_STDIN_WINDOW unacknowledged,
 * the driver's rule), half-close as STDIN_CLOSE, resize as RESIZE, and the
 * control lines of hyperv.c: "signal N" as SIGNAL to PID 1, "exec SPEC" as
 * EXEC under a further handle with its own socket and state file (a spec
 * with "copy": true is docker cp's, BH_SPEC_COPY).  PROC_EXIT
 * of PID 1 ends it: the state file gets the exit code, and its exit closes
 * the file that owns the partition, which destroys it and frees its pages.
 *
 * The partition is not trusted: what it sends is checked (the driver checks
 * framing, types and handles; here each message must fit the handle's
 * state), its output only ever reaches the log and clients as bytes, and a
 * SIGKILL it does not obey within KILL_GRACE_MS stops the partition. */
#define _GNU_SOURCE
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
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bulkhead/ctl.h>
#include "engine.h"
#include "relay.h"

#define START_MS 60000        /* RUN's STARTED: the utility unpacks the layers first */
#define EXEC_MS 10000         /* an EXEC's STARTED */
#define KILL_GRACE_MS 5000    /* after SIGKILL, PID 1's PROC_EXIT */
#define WRITE_MS 2000         /* a message the ring has no room for */
#define HELD_MAX 65536u       /* an exec's output before its client is there */
#define READ_TURN 16384u      /* bytes of messages read between the clients' turns */

struct proc {
	int used, started, pid;           /* pid: inside the partition */
	struct relay r;
	char sock[64], state[64], started_at[64];
	int ctl_fd;                       /* exec: the daemon's connection, until "g" */
	long long deadline;               /* exec: STARTED by then (ms) */
	char *held;                       /* exec: output before "g" (stream byte, then bytes) */
	size_t held_len;
	char in[4096];                    /* stdin the window had no room for */
	size_t in_len;
	int in_close;                     /* STDIN_CLOSE once in[] is sent */
	int exited;                       /* exec: its exit code + 1, kept until "g" */
	cJSON *spec;
};

static struct proc procs[BH_HANDLE_MAX + 1];
static int dev = -1;
static u32 part_id;
static long long kill_at;

static long ioc(unsigned long cmd, const void *arg)
{
	return syscall(SYS_ioctl, dev, cmd, arg);   /* the full 64-bit result */
}

/* Control messages (no payload) the ring had no room for, sent in order
 * from the main loop: the worker never waits in write() with messages
 * unread (the utility may wait for room for its output before it takes
 * more input). */
#define OUTQ 64
static struct bh_msg outq[OUTQ];
static int outq_n;

static int flush_outq(void)
{
	int i = 0;
	while (i < outq_n && write(dev, &outq[i], sizeof outq[i]) == (ssize_t)sizeof outq[i])
		i++;
	memmove(outq, outq + i, (size_t)(outq_n - i) * sizeof *outq);
	outq_n -= i;
	return outq_n;
}

/* A control message: sent now or queued; dropped (a partition that takes
 * nothing for OUTQ messages) only when the queue is full. */
static void send_ctl(int type, int handle, long long arg)
{
	if (outq_n < OUTQ)
		outq[outq_n++] = (struct bh_msg){ .type = (u16)type, .seq = (u16)handle, .arg = arg };
	flush_outq();
}

/* One message to the partition, waiting at most WRITE_MS for room (RUN and
 * EXEC's spec: nothing else is sent meanwhile). */
static int send_msg(int type, int handle, long long arg, const void *p, size_t n)
{
	static char b[sizeof(struct bh_msg) + BH_MSG_MAX];
	struct bh_msg *m = (struct bh_msg *)b;
	*m = (struct bh_msg){ .len = (u32)n, .type = (u16)type, .seq = (u16)handle, .arg = arg };
	memcpy(b + sizeof *m, p, n);
	for (long long until = mono_ms() + WRITE_MS;;) {
		ssize_t w = write(dev, b, sizeof *m + n);
		if (w == (ssize_t)(sizeof *m + n))
			return 0;
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		struct pollfd pf = { dev, POLLOUT, 0 };
		if (mono_ms() >= until)
			return errno = EAGAIN, -1;
		poll(&pf, 1, 50);
	}
}

/* The bytes of a struct bh_proc_spec for spec (and layers, for RUN). */
static int build_spec(const cJSON *spec, const struct bh_layer *layers, u32 nlayers, int run, struct buf *out)
{
	struct bh_proc_spec h = { 0 };
	const cJSON *e, *argv = cJSON_GetObjectItem(spec, "argv"), *env = cJSON_GetObjectItem(spec, "env");
	int tty = cJSON_IsTrue(cJSON_GetObjectItem(spec, "tty")), has_path = 0, has_term = 0;
	h.flags = (tty ? BH_SPEC_TTY : 0) | (cJSON_IsTrue(cJSON_GetObjectItem(spec, "stdin")) ? BH_SPEC_STDIN : 0) |
		  (!run && cJSON_IsTrue(cJSON_GetObjectItem(spec, "copy")) ? BH_SPEC_COPY : 0);
	h.nlayers = nlayers;
	buf_put(out, &h, sizeof h);
	buf_put(out, layers, nlayers * sizeof *layers);
	cJSON_ArrayForEach(e, argv)
		if (cJSON_IsString(e))
			buf_put(out, e->valuestring, strlen(e->valuestring) + 1), h.nargv++;
	cJSON_ArrayForEach(e, env)
		if (cJSON_IsString(e)) {
			buf_put(out, e->valuestring, strlen(e->valuestring) + 1), h.nenv++;
			has_path |= !strncmp(e->valuestring, "PATH=", 5);
			has_term |= !strncmp(e->valuestring, "TERM=", 5);
		}
	/* as the process shim gives them */
	static const char path[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	if (!has_path && !(h.flags & BH_SPEC_COPY))
		buf_put(out, path, sizeof path), h.nenv++;
	if (tty && !has_term)
		buf_put(out, "TERM=xterm", 11), h.nenv++;
	const char *cwd = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "cwd"));
	const char *user = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "user"));
	const char *host = run ? cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "hyperv"), "hostname")) : "";
	char resolv[1024] = "";   /* RUN: as a process container's */
	if (run)
		spec_resolv(spec, resolv, sizeof resolv);
	const char *strs[] = { cwd ? cwd : "", user ? user : "", host ? host : "", resolv };
	for (int i = 0; i < 4; i++)
		buf_put(out, strs[i], strlen(strs[i]) + 1);
	if (!out->p || !h.nargv || out->len > BH_SPEC_MAX)
		return -1;
	h.size = (u32)out->len;
	memcpy(out->p, &h, sizeof h);
	return 0;
}

/* RUN or EXEC of spec under handle, in chunks of BH_MSG_MAX. */
static int send_spec(int type, int handle, const struct buf *s)
{
	for (size_t at = 0; at < s->len; at += BH_MSG_MAX) {
		size_t n = s->len - at < BH_MSG_MAX ? s->len - at : BH_MSG_MAX;
		if (send_msg(type, handle, at + n < s->len ? BH_SPEC_MORE : 0, s->p + at, n))
			return -1;
	}
	return 0;
}

/* Docker's exit code from a wait(2) status word. */
static int exit_code(long long st)
{
	return (st & 0x7f) ? 128 + (int)(st & 0x7f) : (int)((st >> 8) & 0xff);
}

/* ---- the relay's hooks: a process's stdin, its end, its window */
static void flush_in(struct proc *p)
{
	int h = (int)(p - procs);
	while (p->in_len) {
		size_t n = p->in_len;
		struct bh_msg m = { .len = (u32)n, .type = BH_MSG_STDIN, .seq = (u16)h };
		char b[sizeof m + sizeof p->in];
		memcpy(b, &m, sizeof m);
		memcpy(b + sizeof m, p->in, n);
		if (write(dev, b, sizeof m + n) != (ssize_t)(sizeof m + n))
			break;   /* the window is full (EAGAIN): later */
		p->in_len = 0;
	}
	if (!p->in_len && p->in_close == 1) {
		send_ctl(BH_MSG_STDIN_CLOSE, h, 0);
		p->in_close = 2;
	}
	p->r.paused = p->in_len != 0;
}

static void input(struct relay *r, const char *b, size_t n)
{
	struct proc *p = r->ctx;
	if (p->in_close || n > sizeof p->in - p->in_len)
		return;
	memcpy(p->in + p->in_len, b, n);
	p->in_len += n;
	flush_in(p);
}

static void close_in(struct relay *r)
{
	struct proc *p = r->ctx;
	if (!p->in_close)
		p->in_close = 1;
	flush_in(p);
}

static void resize(struct relay *r, unsigned h, unsigned w)
{
	struct proc *p = r->ctx;
	if (h && w && h < 65536 && w < 65536)
		send_ctl(BH_MSG_RESIZE, (int)(p - procs), (long long)h << 16 | w);
}

static void start_exec(int fd, const char *name);

static void control(struct relay *r, int fd, char *line)
{
	struct proc *p = r->ctx;
	int sig;
	char name[64];
	if (sscanf(line, "signal %d", &sig) == 1 && sig > 0 && sig <= BH_SIG_MAX) {
		send_ctl(BH_MSG_SIGNAL, (int)(p - procs), sig);
		if (sig == SIGKILL && !kill_at)
			kill_at = mono_ms() + KILL_GRACE_MS;
	} else if (p == &procs[BH_HANDLE_INIT] && sscanf(line, "exec %63s", name) == 1)
		start_exec(fd, name);
}

static void hooks(struct proc *p, int tty)
{
	p->r.tty = tty;
	p->r.input = input, p->r.close_in = close_in, p->r.resize = resize, p->r.control = control;
	p->r.ctx = p;
}

static cJSON *read_spec(const char *name)
{
	char text[65536];
	FILE *f = strchr(name, '/') ? NULL : fopen(name, "re");
	size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = 0;
	return cJSON_Parse(text);
}

/* ---- exec: a further process under a free handle */
static void reply(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(int fd, const char *fmt, ...)
{
	char b[700];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	if (n > 0 && send(fd, b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1, MSG_NOSIGNAL) < 0)
		return;
}

static void start_exec(int fd, const char *name)
{
	int h = BH_HANDLE_INIT + 1;
	while (h <= BH_HANDLE_MAX && procs[h].used)
		h++;
	cJSON *spec = read_spec(name);
	const char *sock = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "sock"));
	const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "state"));
	struct buf s = { 0 };
	struct proc *p = &procs[h];
	if (h > BH_HANDLE_MAX)
		reply(fd, "err 1 too many execs at once in this container (%d)\n", BH_HANDLE_MAX - 1);
	else if (!sock || !state || strchr(sock, '/') || strchr(state, '/') || build_spec(spec, NULL, 0, 0, &s))
		reply(fd, "err 1 the exec's spec %s is unreadable or too big\n", name);
	else if (relay_open(&p->r, sock, NULL))
		reply(fd, "err 1 cannot listen on %s: %s\n", sock, strerror(errno));
	else if (send_spec(BH_MSG_EXEC, h, &s)) {
		reply(fd, "err 1 the partition takes no more messages: %s\n", strerror(errno));
		relay_close(&p->r);
	} else {
		*p = (struct proc){ .used = 1, .r = p->r, .ctl_fd = relay_take(&procs[BH_HANDLE_INIT].r, fd),
				    .deadline = mono_ms() + EXEC_MS, .spec = spec };
		snprintf(p->sock, sizeof p->sock, "%s", sock);
		snprintf(p->state, sizeof p->state, "%s", state);
		p->r.sock = p->sock;
		hooks(p, cJSON_IsTrue(cJSON_GetObjectItem(spec, "tty")));
		spec = NULL;
	}
	free(s.p);
	cJSON_Delete(spec);
}

static void proc_end(struct proc *p, int code, const char *error)
{
	relay_state(p->state, p->pid, 0, p->started_at, 0, code, 0, error, (int)part_id);
	relay_close(&p->r);
	if (p->ctl_fd >= 0 && p != &procs[BH_HANDLE_INIT])
		close(p->ctl_fd);
	free(p->held);
	cJSON_Delete(p->spec);
	*p = (struct proc){ .ctl_fd = -1 };
}

/* An exec's client has been connected ("g", or the daemon is gone): its
 * held output goes out. */
static void exec_go(struct proc *p)
{
	close(p->ctl_fd);
	p->ctl_fd = -1;
	relay_accept_waiting(&p->r);
	for (size_t at = 0; at < p->held_len;) {
		u32 n;
		memcpy(&n, p->held + at + 1, 4);
		relay_output(&p->r, p->held[at], p->held + at + 5, n);
		at += 5 + n;
	}
	free(p->held);
	p->held = NULL;
	p->held_len = 0;
	if (p->exited)
		proc_end(p, p->exited - 1, NULL);
	else if (!cJSON_IsTrue(cJSON_GetObjectItem(p->spec, "stdin")))
		close_in(&p->r);
}

/* An exec whose client is not there yet ("g") may not have room for one
 * more message of output: the partition is not read until it is (its
 * output waits in the ring, as PID 1's does before its go). */
static int held_full(void)
{
	for (int h = BH_HANDLE_INIT + 1; h <= BH_HANDLE_MAX; h++)
		if (procs[h].used && procs[h].ctl_fd >= 0 && procs[h].held_len + 5 + BH_MSG_MAX > HELD_MAX)
			return 1;
	return 0;
}

static void output(struct proc *p, int stream, const char *b, size_t n)
{
	if (p->ctl_fd < 0 || p == &procs[BH_HANDLE_INIT]) {
		relay_output(&p->r, stream, b, n);
		return;
	}
	char *q = realloc(p->held, p->held_len + 5 + n);
	if (!q)
		return;
	p->held = q;
	q[p->held_len] = (char)stream;
	u32 len = (u32)n;
	memcpy(q + p->held_len + 1, &len, 4);
	memcpy(q + p->held_len + 5, b, n);
	p->held_len += 5 + n;
}

/* One message from the partition (the driver checked its framing, type and
 * handle); 1 when PID 1 has ended. */
static int message(const struct bh_msg *m, const char *b)
{
	struct proc *p = m->seq <= BH_HANDLE_MAX ? &procs[m->seq] : NULL;
	if (!p || !p->used)
		return 0;   /* a handle the host never gave: ignored */
	switch (m->type) {
	case BH_MSG_STARTED:
		if (p->started || p == &procs[BH_HANDLE_INIT])
			return 0;
		if (m->arg <= 0) {
			int st = m->arg == -ENOENT ? 127 : m->arg == -EACCES || m->arg == -ENOEXEC ? 126 : 1;
			reply(p->ctl_fd, "err %d %.*s\n", st, (int)(m->len < 512 ? m->len : 512), b);
			proc_end(p, st, NULL);
			return 0;
		}
		p->started = 1, p->pid = (int)(m->arg < 1 << 30 ? m->arg : 0);
		now_rfc3339(p->started_at, sizeof p->started_at);
		relay_state(p->state, p->pid, 0, p->started_at, 1, 0, 0, NULL, (int)part_id);
		reply(p->ctl_fd, "ok %d\n", p->pid);
		return 0;
	case BH_MSG_STDOUT:
	case BH_MSG_STDERR:
		if (p->started)
			output(p, m->type == BH_MSG_STDERR ? 2 : 1, b, m->len);
		return 0;
	case BH_MSG_STDIN_ACK:
		flush_in(p);
		return 0;
	case BH_MSG_PROC_EXIT:
		if (!p->started)
			return 0;
		if (p == &procs[BH_HANDLE_INIT])
			return 1;   /* its exit code is written at the end */
		if (p->ctl_fd >= 0)
			p->exited = exit_code(m->arg) + 1;   /* its output waits for its client */
		else
			proc_end(p, exit_code(m->arg), NULL);
		return 0;
	}
	return 0;
}

/* ---- setting the partition up */
static int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("err %d ", status);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	return 1;
}

/* NEW, the layers' GRANTs (their descriptions into layers), START. */
static int make_partition(const cJSON *hv, struct bh_layer *layers, u32 *nlayers)
{
	static struct bh_cs_new req;
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(hv, "name"));
	snprintf(req.part.name, sizeof req.part.name, "%s", name ? name : "container");
	req.part.memory = (u64)cJSON_GetNumberValue(cJSON_GetObjectItem(hv, "memory"));
	const char *net = cJSON_GetStringValue(cJSON_GetObjectItem(hv, "net")); /* its NIC on the switch */
	snprintf(req.part.cmdline, sizeof req.part.cmdline, "%s", net ? net + strspn(net, " ") : "");
	req.part.vcpus = 1;
	req.type = BH_CS_CONTAINER;
	snprintf(req.owner, sizeof req.owner, "bulkheadd");
	long id = ioc(BH_IOC_NEW, &req);
	if (id < 0)
		return fail(1, "cannot make the utility partition (%llu MiB): %s", (unsigned long long)req.part.memory >> 20,
			    errno == ENOMEM ? "not enough free memory" : strerror(errno));
	part_id = (u32)id;
	const cJSON *l;
	u64 at = 0;
	*nlayers = 0;
	cJSON_ArrayForEach(l, cJSON_GetObjectItem(hv, "layers")) {
		const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(l, "path"));
		const char *hex = cJSON_GetStringValue(cJSON_GetObjectItem(l, "digest"));
		struct bh_layer *ly = &layers[*nlayers];
		unsigned char magic[2] = { 0 };
		struct stat st;
		int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
		if (*nlayers == BH_LAYERS_MAX)
			return fail(1, "the image has more than %d layers", BH_LAYERS_MAX);
		int bad = !hex || strlen(hex) != 64;
		for (int i = 0; i < 32 && !bad; i++)
			bad = sscanf(hex + 2 * i, "%2hhx", &ly->sha256[i]) != 1;
		if (fd < 0 || fstat(fd, &st) || !st.st_size || bad || pread(fd, magic, 2, 0) != 2)
			return fail(1, "layer %s: %s", path ? path : "?", fd < 0 ? strerror(errno) : "unreadable");
		struct bh_grant g = { .fd = fd, .offset = at };
		long got = ioc(BH_IOC_GRANT, &g);
		close(fd);
		if (got < 0)
			return fail(1, "cannot grant layer %s to the partition: %s", hex, strerror(errno));
		ly->offset = at, ly->size = (u64)st.st_size;
		ly->comp = magic[0] == 0x1f && magic[1] == 0x8b ? BH_COMP_GZIP : BH_COMP_NONE;
		ly->flags = cJSON_IsTrue(cJSON_GetObjectItem(l, "verify")) ? BH_LAYER_VERIFY : 0;
		at += ((u64)got + 4095) & ~4095ull;
		(*nlayers)++;
	}
	if (ioc(BH_IOC_START, NULL) < 0)
		return fail(1, "cannot start the utility partition: %s", strerror(errno));
	return 0;
}

/* A partition that did not start its process in time: what it says of
 * itself (its channel's counts, its tasks) goes to the daemon's log. */
static void stuck_report(void)
{
	static struct bh_guest_stats st;
	static struct bh_guest_task t[16];
	struct bh_ctl req = { .id = part_id, .buf = (u64)(uintptr_t)&st, .len = 1 };
	if (ioc(BH_IOC_STATS, &req) < 0) {
		fprintf(stderr, "vmwp: partition %u does not answer: %s\n", part_id, strerror(errno));
		return;
	}
	fprintf(stderr, "vmwp: partition %u answers: up %llu ms, %llu messages in, %llu out, %u tasks:", part_id,
		(unsigned long long)st.uptime_ns / 1000000, (unsigned long long)st.msgs_in,
		(unsigned long long)st.msgs_out, st.tasks);
	req.buf = (u64)(uintptr_t)t, req.len = 16;
	long n = ioc(BH_IOC_PS, &req);
	for (long i = 0; i < n && i < 16; i++)
		fprintf(stderr, " %d/%c/%.16s", t[i].pid, t[i].state, t[i].comm);
	fprintf(stderr, "\n");
}

/* Why the partition ended, for the state's Error ("" if it exited). */
static void end_reason(char *out, size_t cap)
{
	static struct bh_cs_info info;
	struct bh_ctl req = { .id = part_id, .buf = (u64)(uintptr_t)&info, .len = 1 };
	out[0] = 0;
	if (ioc(BH_IOC_INFO, &req) < 0 || info.state == BH_CS_EXITED)
		return;
	snprintf(out, cap, "the utility partition %s: %.*s", info.state == BH_PART_CRASHED ? "crashed" : "was stopped",
		 (int)strnlen(info.reason, sizeof info.reason), info.reason);
}

int vmwp_main(int argc, char **argv)
{
	static struct bh_layer layers[BH_LAYERS_MAX];
	static char mb[sizeof(struct bh_msg) + BH_MSG_MAX];
	const struct bh_msg *m = (const struct bh_msg *)mb;
	u32 nlayers = 0;
	if (argc != 3 || chdir(argv[1])) {
		fprintf(stderr, "usage: vmwp DIR SPEC\n(the worker of a hyperv container, run by bulkheadd)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	setsid();   /* not in the daemon's process group */
	for (int h = 0; h <= BH_HANDLE_MAX; h++)
		procs[h].ctl_fd = -1;
	struct proc *init = &procs[BH_HANDLE_INIT];
	cJSON *spec = read_spec(argv[2]);
	const cJSON *hv = cJSON_GetObjectItem(spec, "hyperv");
	const char *sock = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "sock"));
	const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "state"));
	if (!hv || !sock || !state)
		return fail(1, "the worker cannot read its spec %s/%s", argv[1], argv[2]);
	snprintf(init->state, sizeof init->state, "%s", state);
	init->used = 1, init->spec = spec;
	hooks(init, cJSON_IsTrue(cJSON_GetObjectItem(spec, "tty")));
	if (relay_open(&init->r, sock, cJSON_GetStringValue(cJSON_GetObjectItem(spec, "log"))))
		return fail(1, "the worker cannot listen on %s/%s: %s", argv[1], sock, strerror(errno));
	if ((dev = open(BH_DEV, O_RDWR | O_CLOEXEC | O_NONBLOCK)) < 0)
		return fail(1, "hyperv isolation needs %s: %s", BH_DEV, strerror(errno));
	struct buf run = { 0 };
	if (make_partition(hv, layers, &nlayers))
		return 1;
	if (build_spec(spec, layers, nlayers, 1, &run) || send_spec(BH_MSG_RUN, BH_HANDLE_INIT, &run))
		return fail(1, "cannot send the container's command to its partition: %s",
			    run.len > BH_SPEC_MAX ? "its spec is too big" : strerror(errno));
	free(run.p);
	/* Its STARTED, whatever else comes first. */
	for (long long until = mono_ms() + START_MS; !init->started;) {
		struct pollfd pf = { dev, POLLIN, 0 };
		if (mono_ms() >= until) {
			stuck_report();
			ioc(BH_IOC_KILL, &(struct bh_ctl){ .id = part_id });
			return fail(1, "the utility partition did not start the container's process in %d s",
				    START_MS / 1000);
		}
		poll(&pf, 1, 100);
		ssize_t n = read(dev, mb, sizeof mb);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			char why[128];
			end_reason(why, sizeof why);
			return fail(1, "%s", *why ? why : "the utility partition ended before the container's process started");
		}
		if (m->type == BH_MSG_CONSOLE)   /* its kernel's word while it starts: the daemon's log, made safe */
			for (u32 i = 0; i < m->len && i < 512; i++)
				fputc(mb[sizeof *m + i] >= ' ' && mb[sizeof *m + i] < 0x7f ? mb[sizeof *m + i] : '\n', stderr);
		if (m->type != BH_MSG_STARTED || m->seq != BH_HANDLE_INIT)
			continue;
		if (m->arg <= 0) {
			int st = m->arg == -ENOENT ? 127 : m->arg == -EACCES || m->arg == -ENOEXEC ? 126 : 1;
			return fail(st, "%.*s", (int)(m->len < 512 ? m->len : 512), mb + sizeof *m);
		}
		init->started = 1, init->pid = getpid();
	}
	now_rfc3339(init->started_at, sizeof init->started_at);
	long long me = proc_start_time(getpid());
	relay_state(state, getpid(), me, init->started_at, 1, 0, 0, NULL, (int)part_id);
	printf("ok %d\n", getpid());
	fflush(stdout);
	/* The daemon connects what must see the first output, then says go
	 * (or is gone: EOF); until then the output waits in the partition. */
	char word;
	if (read(0, &word, 1) < 0)
		word = 0;
	relay_accept_waiting(&init->r);
	if (!cJSON_IsTrue(cJSON_GetObjectItem(spec, "stdin")))
		close_in(&init->r);

	long long status = -1;
	int ended = 0;
	while (!ended) {
		enum { MAXP = 2 + (BH_HANDLE_MAX + 1) * (2 + RELAY_CLIENTS) };
		static struct pollfd pf[MAXP];
		static int first[BH_HANDLE_MAX + 1], count[BH_HANDLE_MAX + 1];
		int np = 0, pending = 0;
		memset(count, 0, sizeof count);
		pf[np++] = (struct pollfd){ dev, held_full() ? 0 : POLLIN, 0 };
		for (int h = 1; h <= BH_HANDLE_MAX; h++) {
			struct proc *p = &procs[h];
			if (!p->used)
				continue;
			pending |= p->in_len != 0 || (!p->started && h != BH_HANDLE_INIT) || outq_n;
			pf[np] = (struct pollfd){ h != BH_HANDLE_INIT ? p->ctl_fd : -1, POLLIN, 0 };
			first[h] = ++np;
			count[h] = relay_poll_fill(&p->r, pf + np);
			np += count[h];
		}
		poll(pf, (nfds_t)np, pending || kill_at ? 50 : 1000);
		for (size_t got = 0; got < READ_TURN && !held_full();) {   /* then the clients get their turn */
			ssize_t n = read(dev, mb, sizeof mb);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0 || (size_t)n < sizeof *m || m->len > BH_MSG_MAX || (size_t)n != sizeof *m + m->len) {
				ended = 1;   /* the end, or the driver broke its word */
				break;
			}
			got += (size_t)n;
			if (message(m, mb + sizeof *m)) {
				status = m->arg;
				ended = 1;
				break;
			}
		}
		flush_outq();
		long long now = mono_ms();
		for (int h = 1; h <= BH_HANDLE_MAX && !ended; h++) {
			struct proc *p = &procs[h];
			if (!p->used || !count[h])
				continue;   /* free, or new since the poll */
			if (h != BH_HANDLE_INIT && p->ctl_fd >= 0 && p->ctl_fd == pf[first[h] - 1].fd &&
			    pf[first[h] - 1].revents) {
				if (!p->started) {   /* the daemon gave up waiting */
					proc_end(p, 1, NULL);
					continue;
				}
				exec_go(p);
			}
			if (h != BH_HANDLE_INIT && !p->started && now >= p->deadline) {
				reply(p->ctl_fd, "err 1 the partition did not start the exec in %d s\n", EXEC_MS / 1000);
				proc_end(p, 1, NULL);
				continue;
			}
			if (p->in_len)
				flush_in(p);
			relay_poll_done(&p->r, pf + first[h], count[h]);
		}
		if (kill_at && now >= kill_at && !ended) {
			ioc(BH_IOC_KILL, &(struct bh_ctl){ .id = part_id });   /* it did not obey */
			status = SIGKILL;
			ended = 1;
		}
	}
	char why[128] = "";
	if (status < 0)
		end_reason(why, sizeof why);
	for (int h = BH_HANDLE_INIT + 1; h <= BH_HANDLE_MAX; h++)
		if (procs[h].used)
			proc_end(&procs[h], 137, NULL);   /* killed with their PID 1 */
	relay_state(state, getpid(), me, init->started_at, 0, status < 0 ? 255 : exit_code(status), 0, why,
		    (int)part_id);
	relay_close(&init->r);
	return 0;   /* closing dev destroys the partition */
}
