/*
 * bulkhead enter NAME [-- CMD [ARG...]]: Enter-PSSession, through the exec
 * API as `docker exec -it` uses it (api.c).  Host partition userland.
 *
 *   POST /containers/{NAME}/exec {AttachStdin, AttachStdout, AttachStderr,
 *        Tty: isatty(0), Cmd: CMD or ["/bin/sh"]}              -> {"Id"}
 *   POST /exec/{id}/start {Detach: false, Tty} with Connection: Upgrade,
 *        Upgrade: tcp -> 101, then the raw stream (a tty) or 8-byte
 *        multiplexed frames (no tty: stream 1 stdout, 2 stderr, size
 *        big-endian in bytes 4-7)
 *   POST /exec/{id}/resize?h=&w= at start and on each SIGWINCH (a tty)
 *   GET /exec/{id}/json once the stream ends: its ExitCode is ours.
 *
 * While attached to a tty the local terminal is raw, so Ctrl-C goes in as a
 * byte and the container's pty turns it into SIGINT; the terminal is
 * restored on every way out (the stream's end, an error, SIGTERM, SIGHUP).
 * Without a tty, stdin's end is sent as a half-close (shutdown SHUT_WR).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead.h"

#define EXIT_WAIT_MS 5000 /* how long the exec may still run after its stream ended */

static struct termios saved;
static volatile sig_atomic_t raw_on;
static int winch_pipe[2] = { -1, -1 };

static void restore_tty(void)
{
	if (raw_on) {
		tcsetattr(0, TCSANOW, &saved);
		raw_on = 0;
	}
}

/* SIGTERM, SIGHUP, SIGQUIT: the terminal back as it was, then die of it. */
static void on_fatal(int sig)
{
	restore_tty();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_winch(int sig)
{
	int e = errno;
	(void)sig;
	if (write(winch_pipe[1], "", 1) < 0) {
		/* full: a resize is pending already */
	}
	errno = e;
}

static int set_raw(void)
{
	struct termios raw;
	if (tcgetattr(0, &saved))
		return -1;
	raw = saved;
	cfmakeraw(&raw);
	raw_on = 1;
	if (tcsetattr(0, TCSANOW, &raw))
		return raw_on = 0, -1;
	return 0;
}

static void resize(const char *what, const char *id)
{
	struct winsize ws;
	char path[API_PATH_MAX];
	if (ioctl(0, TIOCGWINSZ, &ws) || (!ws.ws_row && !ws.ws_col))
		return; /* no size to give, as docker does */
	snprintf(path, sizeof path, "/exec/%s/resize?h=%u&w=%u", id, ws.ws_row, ws.ws_col);
	struct api_resp r; /* best effort, as docker's: an exec that has ended already has no size */
	if (!api_request(what, "POST", path, NULL, &r))
		api_resp_free(&r);
}

/* Docker's multiplexed stream: [stream, 0, 0, 0, size (4 bytes, big
 * endian)] then size bytes.  Frames may arrive in any pieces. */
static struct {
	unsigned char head[8];
	size_t got;     /* bytes of head[] read */
	unsigned long left; /* payload bytes of the current frame still to come */
	int fd;
} frame;

static int demux(const char *p, size_t n)
{
	while (n) {
		if (frame.left == 0) {
			frame.head[frame.got++] = (unsigned char)*p++;
			n--;
			if (frame.got < 8)
				continue;
			frame.got = 0;
			if (frame.head[0] > 2)
				return -1;
			frame.fd = frame.head[0] == 2 ? 2 : 1;
			frame.left = (unsigned long)frame.head[4] << 24 | (unsigned long)frame.head[5] << 16 |
				     (unsigned long)frame.head[6] << 8 | frame.head[7];
			continue;
		}
		size_t k = n < frame.left ? n : frame.left;
		write_all(frame.fd, p, k);
		p += k;
		n -= k;
		frame.left -= k;
	}
	return 0;
}

/* Relays stdin to the stream and the stream to stdout (and stderr), until
 * the daemon ends the stream.  0, or 1 (message printed). */
static int relay(const char *what, const char *id, int fd, int tty, const char *rest, size_t nrest)
{
	static char buf[16384];
	int in_open = 1;
	if (tty ? (write_all(1, rest, nrest), 0) : demux(rest, nrest))
		return fail(what, "bad frame in the engine's stream");
	for (;;) {
		struct pollfd pf[3] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = in_open ? 0 : -1, .events = POLLIN },
			{ .fd = winch_pipe[0], .events = POLLIN },
		};
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return fail(what, strerror(errno));
		}
		if (pf[2].revents & POLLIN) {
			while (read(winch_pipe[0], buf, sizeof buf) > 0)
				;
			resize(what, id);
		}
		if (pf[0].revents) {
			ssize_t n = read(fd, buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return n < 0 && errno != ECONNRESET ? fail(what, strerror(errno)) : 0;
			if (tty)
				write_all(1, buf, (size_t)n);
			else if (demux(buf, (size_t)n))
				return fail(what, "bad frame in the engine's stream");
		}
		if (pf[1].revents) {
			ssize_t n = read(0, buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				in_open = 0;
				shutdown(fd, SHUT_WR); /* the session's stdin ends */
			} else if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n) {
				in_open = 0; /* the daemon stopped reading; its output may still come */
			}
		}
	}
}

/* The exec's ExitCode once it no longer runs: 0-255, or -1 (message printed). */
static int exit_code(const char *what, const char *id)
{
	char path[API_PATH_MAX];
	snprintf(path, sizeof path, "/exec/%s/json", id);
	for (int waited = 0;; waited += 50) {
		cJSON *j;
		if (api_call(what, "GET", path, NULL, &j))
			return -1;
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "ExitCode");
		int running = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "Running"));
		int rc = cJSON_IsNumber(code) ? code->valueint & 255 : -1;
		cJSON_Delete(j);
		if (!running && rc >= 0)
			return rc;
		if (!running || waited >= EXIT_WAIT_MS)
			return fail(what, running ? "the command still runs after its stream ended"
						  : "the engine gave no ExitCode"), -1;
		nanosleep(&(struct timespec){ 0, 50 * 1000000 }, NULL);
	}
}

int cmd_enter(int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-')
		return usage("enter: a NAME is needed");
	if (argc > 2 && strcmp(argv[2], "--"))
		return usage("enter: the command goes after --: enter %s -- %s ...", argv[1], argv[2]);
	const char *name = argv[1];
	int tty = isatty(0), rc = 1, fd = -1;
	char what[300], path[API_PATH_MAX], esc[API_NAME_MAX];
	snprintf(what, sizeof what, "enter %.200s", name);
	if (url_escape(esc, sizeof esc, name, 0))
		return usage("enter: name too long");

	cJSON *req = cJSON_CreateObject(), *reply = NULL;
	cJSON_AddBoolToObject(req, "AttachStdin", 1);
	cJSON_AddBoolToObject(req, "AttachStdout", 1);
	cJSON_AddBoolToObject(req, "AttachStderr", 1);
	cJSON_AddBoolToObject(req, "Tty", tty);
	cJSON *cmd = cJSON_AddArrayToObject(req, "Cmd");
	for (int i = 3; i < argc; i++)
		cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
	if (!cJSON_GetArraySize(cmd))
		cJSON_AddItemToArray(cmd, cJSON_CreateString("/bin/sh"));
	snprintf(path, sizeof path, "/containers/%s/exec", esc);
	if (api_call(what, "POST", path, req, &reply))
		goto out;
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(reply, "Id"));
	if (!id || url_escape(esc, sizeof esc, id, 0)) {
		fail(what, "the engine's reply has no usable exec Id");
		goto out;
	}

	cJSON_Delete(req);
	req = cJSON_CreateObject();
	cJSON_AddBoolToObject(req, "Detach", 0);
	cJSON_AddBoolToObject(req, "Tty", tty);
	snprintf(path, sizeof path, "/exec/%s/start", esc);
	static char rest[API_REST_MAX];
	size_t nrest;
	signal(SIGPIPE, SIG_IGN);
	if ((fd = api_upgrade(what, path, req, rest, &nrest)) < 0)
		goto out;
	if (tty) {
		if (pipe2(winch_pipe, O_CLOEXEC | O_NONBLOCK)) {
			fail(what, strerror(errno));
			goto out;
		}
		signal(SIGTERM, on_fatal);
		signal(SIGHUP, on_fatal);
		signal(SIGQUIT, on_fatal);
		signal(SIGWINCH, on_winch);
		if (set_raw()) {
			fail(what, "cannot put the terminal in raw mode");
			goto out;
		}
		resize(what, esc);
	}
	rc = relay(what, esc, fd, tty, rest, nrest);
	restore_tty();
	if (!rc) {
		int code = exit_code(what, esc);
		rc = code < 0 ? 1 : code;
	}
out:
	restore_tty();
	if (fd >= 0)
		close(fd);
	cJSON_Delete(req);
	cJSON_Delete(reply);
	return rc;
}
