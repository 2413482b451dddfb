/*
 * bulkhead uvm: a container of a docker-archive image in its own utility
 * partition, driven straight over /dev/bulkhead's message mode (ctl.h), with
 * no engine: the host-side test of the container protocol (channel.h).
 *
 *   bulkhead uvm [-t] [-i] [-v] [-m MIB] [-n HOSTNAME] [-x CMD] [-k SIG] IMAGE.tar -- CMD [ARG...]
 *
 * The archive is granted whole at offset 0 of the image window; its layers
 * (manifest.json's Layers) are RUN's layers, used in place.  -t: a pty (the
 * local terminal goes raw meanwhile), -i: stdin is sent, -x: `sh -c CMD` is
 * EXEC'd once PID 1 has started (its output as the container's), -k: signal
 * SIG goes to PID 1 after its first output, -v: the utility kernel's own
 * console text on stderr.  Exits with the container's
 * exit code; "uvm: exec exited N" on stderr for -x's process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <bulkhead/ctl.h>

#include "bulkhead.h"

static int dev;

static int send_msg(u16 type, u16 h, s64 arg, const void *p, u32 len)
{
	static unsigned char buf[sizeof(struct bh_msg) + BH_MSG_MAX];
	struct bh_msg m = { len, type, h, arg };
	memcpy(buf, &m, sizeof m);
	memcpy(buf + sizeof m, p, len);
	return write(dev, buf, sizeof m + len) == (ssize_t)(sizeof m + len) ? 0 : -1;
}

/* A control message: small, so the ring's room comes soon. */
static int send_wait(u16 type, u16 h, s64 arg, const void *p, u32 len)
{
	int r;
	while ((r = send_msg(type, h, arg, p, len)) && errno == EAGAIN)
		usleep(1000);
	return r;
}

/* A spec sent as RUN or EXEC, in chunks of at most BH_MSG_MAX. */
static int send_spec(u16 type, u16 h, const unsigned char *spec, u32 size)
{
	for (u32 at = 0; at < size; at += BH_MSG_MAX) {
		u32 n = size - at < BH_MSG_MAX ? size - at : BH_MSG_MAX;
		if (send_wait(type, h, at + n < size ? BH_SPEC_MORE : 0, spec + at, n))
			return -1;
	}
	return 0;
}

static unsigned char spec[BH_SPEC_MAX];

static u32 put_str(u32 at, const char *s)
{
	size_t n = strlen(s) + 1;
	if (at + n > sizeof spec)
		return sizeof spec + 1;
	memcpy(spec + at, s, n);
	return at + (u32)n;
}

/* The layers of a docker-archive: its manifest.json's Layers, found as
 * entries of the outer tar (only its headers and the manifest are read).
 * Returns how many, or -1. */
static int find_layers(int fd, struct bh_layer *l)
{
	static struct { char name[101]; size_t off, size; } ent[256];
	static char m[65536];
	unsigned char hdr[512], magic[2];
	int ne = 0, have_man = 0;
	for (size_t at = 0; ne < 256 && pread(fd, hdr, 512, (off_t)at) == 512 && hdr[0];) {
		size_t sz = strtoull((const char *)hdr + 124, 0, 8);
		memcpy(ent[ne].name, hdr, 100);
		ent[ne].off = at + 512;
		ent[ne].size = sz;
		if (!strcmp(ent[ne].name, "manifest.json") && sz < sizeof m && pread(fd, m, sz, (off_t)at + 512) == (ssize_t)sz)
			m[sz] = 0, have_man = 1;
		ne++;
		at += 512 + (sz + 511) / 512 * 512;
	}
	if (!have_man)
		return -1;
	char *p = strstr(m, "\"Layers\"");
	int n = 0;
	p = p ? strchr(p, '[') : 0;
	while (p && n < BH_LAYERS_MAX && (p = strchr(p, '"'))) {
		char *e = strchr(p + 1, '"');
		if (!e || memchr(p, ']', (size_t)(e - p)))
			break;
		*e = 0;
		for (int k = 0; k < ne; k++)
			if (!strncmp(ent[k].name, p + 1, 100) && pread(fd, magic, 2, (off_t)ent[k].off) == 2) {
				l[n] = (struct bh_layer){ .offset = ent[k].off, .size = ent[k].size,
							  .comp = magic[0] == 0x1f && magic[1] == 0x8b ? BH_COMP_GZIP
												       : BH_COMP_NONE };
				n++;
			}
		p = e + 1;
	}
	return n;
}

int cmd_uvm(int argc, char **argv)
{
	unsigned long long mib = BH_UVM_DEFAULT_MEMORY >> 20;
	const char *host = "uvm", *xcmd = 0;
	int tty = 0, in = 0, sig = 0, verbose = 0, i = 1;
	for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-t"))
			tty = 1;
		else if (!strcmp(argv[i], "-i"))
			in = 1;
		else if (!strcmp(argv[i], "-v"))
			verbose = 1;
		else if (!strcmp(argv[i], "-m") && i + 1 < argc && !parse_u64(argv[i + 1], 1024, &mib))
			i++;
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			host = argv[++i];
		else if (!strcmp(argv[i], "-x") && i + 1 < argc)
			xcmd = argv[++i];
		else if (!strcmp(argv[i], "-k") && i + 1 < argc)
			sig = atoi(argv[++i]);
		else
			return usage("uvm: unknown option '%s'", argv[i]);
	}
	if (i + 2 >= argc || strcmp(argv[i + 1], "--"))
		return usage("uvm: IMAGE.tar -- CMD [ARG...] is needed");
	const char *image = argv[i];
	char **cmd = argv + i + 2;
	int ncmd = argc - i - 2;

	int ifd = open(image, O_RDONLY);
	if (ifd < 0)
		return fail(image, strerror(errno));
	struct bh_proc_spec *h = (void *)spec;
	struct bh_layer *l = (void *)(spec + sizeof *h);
	int nl = find_layers(ifd, l);
	if (nl <= 0)
		return fail(image, "no layers found (a docker-archive is needed)");

	if ((dev = open(BH_DEV, O_RDWR)) < 0)
		return fail(BH_DEV, strerror(errno));
	static struct bh_cs_new req = { .type = BH_CS_CONTAINER, .owner = "bulkhead" };
	snprintf(req.part.name, sizeof req.part.name, "%s", host);
	req.part.memory = (mib << 20) + BH_UVM_RESERVE;
	req.part.vcpus = 1;
	struct bh_grant g = { .fd = ifd };
	if (ioctl(dev, BH_IOC_NEW, &req) < 0)
		return fail("new", strerror(errno));
	if (ioctl(dev, BH_IOC_GRANT, &g) < 0)
		return fail("grant", strerror(errno));
	if (ioctl(dev, BH_IOC_START, 0) < 0)
		return fail("start", strerror(errno));

	u32 at = (u32)(sizeof *h + (size_t)nl * sizeof *l);
	for (int k = 0; k < ncmd; k++)
		at = put_str(at, cmd[k]);
	at = put_str(at, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	if (tty)
		at = put_str(at, "TERM=xterm");
	at = put_str(at, "");
	at = put_str(at, "");
	at = put_str(at, host);
	at = put_str(at, "nameserver 10.0.2.3\n");
	if (at > sizeof spec)
		return fail("uvm", "the command is too long");
	*h = (struct bh_proc_spec){ .size = at, .flags = (tty ? BH_SPEC_TTY : 0) | (in ? BH_SPEC_STDIN : 0),
				    .nlayers = (u32)nl, .nargv = (u32)ncmd, .nenv = 1u + (u32)tty };
	if (send_spec(BH_MSG_RUN, BH_HANDLE_INIT, spec, at))
		return fail("run", strerror(errno));

	struct termios saved;
	int raw = tty && in && isatty(0) && !tcgetattr(0, &saved);
	if (raw) {
		struct termios t = saved;
		cfmakeraw(&t);
		tcsetattr(0, TCSANOW, &t);
	}
	static unsigned char buf[sizeof(struct bh_msg) + BH_MSG_MAX], pend[BH_MSG_MAX];
	int code = 1, out_seen = 0;
	ssize_t pend_len = -1; /* stdin read, not yet sent: ctl.h's rule, never block in write() */
	fcntl(dev, F_SETFL, O_NONBLOCK);
	for (;;) {
		if (pend_len >= 0 && !send_msg(pend_len ? BH_MSG_STDIN : BH_MSG_STDIN_CLOSE, BH_HANDLE_INIT, 0, pend,
					       (u32)pend_len)) {
			in = pend_len > 0;
			pend_len = -1;
		}
		struct pollfd p[2] = { { dev, POLLIN, 0 }, { in && pend_len < 0 ? 0 : -1, POLLIN, 0 } };
		if (poll(p, 2, pend_len >= 0 ? 10 : -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents) {
			pend_len = read(0, pend, BH_MSG_MAX);
			if (pend_len < 0)
				pend_len = 0;
		}
		if (!p[0].revents)
			continue;
		ssize_t n = read(dev, buf, sizeof buf);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n <= 0)
			break;
		struct bh_msg *m = (void *)buf;
		const char *pl = (const char *)buf + sizeof *m;
		if (m->type == BH_MSG_STDOUT || m->type == BH_MSG_STDERR) {
			write_all(m->type == BH_MSG_STDOUT ? 1 : 2, pl, m->len);
			if (sig && !out_seen)
				send_wait(BH_MSG_SIGNAL, BH_HANDLE_INIT, sig, 0, 0);
			out_seen = 1;
		} else if (m->type == BH_MSG_STARTED && m->arg < 0) {
			fprintf(stderr, "uvm: start of handle %u: %.*s\n", m->seq, (int)m->len, pl);
		} else if (m->type == BH_MSG_STARTED && m->seq == BH_HANDLE_INIT && xcmd) {
			struct bh_proc_spec *x = (void *)spec;
			u32 xa = put_str(put_str(put_str(put_str(sizeof *x, "sh"), "-c"), xcmd),
					 "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
			xa = put_str(put_str(put_str(put_str(xa, ""), ""), ""), "");
			*x = (struct bh_proc_spec){ .size = xa, .nargv = 3, .nenv = 1 };
			send_spec(BH_MSG_EXEC, 2, spec, xa);
		} else if (m->type == BH_MSG_PROC_EXIT && m->seq != BH_HANDLE_INIT) {
			fprintf(stderr, "uvm: exec exited %d\n", (int)((m->arg >> 8) & 0xff));
		} else if (m->type == BH_MSG_CONSOLE && verbose) {
			for (u32 k = 0; k < m->len; k++) /* the utility's text, escaped as ctl.h asks */
				fprintf(stderr, (unsigned char)pl[k] < ' ' && pl[k] != '\n' ? "\\x%02x" : "%c",
					(unsigned char)pl[k]);
		} else if (m->type == BH_MSG_EXIT) {
			code = (int)m->arg;
		}
	}
	if (raw)
		tcsetattr(0, TCSANOW, &saved);
	return code;
}
