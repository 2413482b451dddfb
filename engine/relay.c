/* A container process's stdio as its shim serves it (engine/shim.c for a
 * process container, engine/vmwp.c for a hyperv one, which serves one relay
 * per process it runs in the partition): the json-file log, the clients of
 * the process's Unix socket, Docker's multiplexed frames and the state file.
 * Where the output comes from and where input goes is the shim's side: the
 * relay calls its input, close_in, resize and control hooks. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "engine.h"
#include "relay.h"

#define LOG_MAX (1u << 20)   /* bytes per log file (json-file's max-size) */
#define HALF_CLOSED 0x40     /* a client's flag: its input is done, it keeps its output */

int relay_open(struct relay *r, const char *sock, const char *log)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
	unlink(sock);
	r->sock = sock;
	r->log_fd = -1;
	r->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);   /* accept never waits */
	if (r->lfd < 0 || bind(r->lfd, (struct sockaddr *)&a, sizeof a) || listen(r->lfd, 16))
		return -1;
	r->log_name = log;
	if (log && *log) {
		r->log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		struct stat st;
		if (r->log_fd >= 0 && !fstat(r->log_fd, &st))
			r->log_size = st.st_size;
	}
	return 0;
}

void relay_close(struct relay *r)
{
	/* The folder first: a monitor's EOF tells the daemon it may remove it. */
	if (r->lfd >= 0)
		close(r->lfd), unlink(r->sock);
	if (r->log_fd >= 0)
		close(r->log_fd);
	while (r->ncl)
		close(r->cl[--r->ncl].fd);
	r->lfd = r->log_fd = -1;
}

static void log_line(struct relay *r, const char *stream, const char *p, size_t n)
{
	char ts[64];
	now_rfc3339(ts, sizeof ts);
	char *s = malloc(n + 1);
	if (!s)
		return;
	memcpy(s, p, n);
	s[n] = 0;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "log", s);
	cJSON_AddStringToObject(j, "stream", stream);
	cJSON_AddStringToObject(j, "time", ts);
	free(s);
	char *line = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!line)
		return;
	size_t len = strlen(line);
	line[len++] = '\n';
	if (r->log_size + (off_t)len > LOG_MAX && r->log_size) {
		char old[300];
		snprintf(old, sizeof old, "%s.1", r->log_name);
		rename(r->log_name, old);
		close(r->log_fd);
		r->log_fd = open(r->log_name, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0600);
		r->log_size = 0;
	}
	if (r->log_fd >= 0 && write(r->log_fd, line, len) == (ssize_t)len)
		r->log_size += (off_t)len;
	free(line);
}

static void send_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p = (const char *)p + w, n -= (size_t)w;
	}
}

void relay_output(struct relay *r, int stream, const char *p, size_t n)
{
	/* The log keeps lines: a chunk becomes one entry per line (the last
	 * one without its newline if the chunk ends mid-line). */
	for (size_t at = 0; r->log_fd >= 0 && at < n;) {
		const char *nl = memchr(p + at, '\n', n - at);
		size_t k = nl ? (size_t)(nl - (p + at)) + 1 : n - at;
		log_line(r, stream == 2 ? "stderr" : "stdout", p + at, k);
		at += k;
	}
	unsigned char h[8] = { (unsigned char)stream, 0, 0, 0, (unsigned char)(n >> 24),
			       (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n };
	for (int i = 0; i < r->ncl; i++) {
		if (!(r->cl[i].flags & (stream == 2 ? SHIM_STDERR : SHIM_STDOUT)))
			continue;
		if (!r->tty)
			send_all(r->cl[i].fd, h, 8);
		send_all(r->cl[i].fd, p, n);
	}
}

void relay_accept(struct relay *r)
{
	int fd = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	unsigned char flags = 0;
	struct pollfd p = { fd, POLLIN, 0 };
	/* The first byte says what the client wants; it comes with the connect. */
	if (poll(&p, 1, 1000) != 1 || recv(fd, &flags, 1, 0) != 1 || r->ncl == RELAY_CLIENTS) {
		close(fd);
		return;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	r->cl[r->ncl++] = (struct relay_client){ fd, flags & ~HALF_CLOSED, (flags & SHIM_STDIN) != 0 };
}

void relay_accept_waiting(struct relay *r)
{
	for (;;) {
		struct pollfd p = { r->lfd, POLLIN, 0 };
		if (poll(&p, 1, 0) != 1)
			return;
		relay_accept(r);
	}
}

int relay_take(struct relay *r, int fd)
{
	for (int i = 0; i < r->ncl; i++)
		if (r->cl[i].fd == fd)
			r->cl[i] = r->cl[--r->ncl];
	return fd;
}

static void drop_client(struct relay *r, int i)
{
	close(r->cl[i].fd);
	r->cl[i] = r->cl[--r->ncl];
}

/* Control lines: "resize H W" here, the rest to the control hook. */
static void control(struct relay *r, int i, char *b)
{
	for (char *line = b, *nl; *line; line = nl) {
		nl = line + strcspn(line, "\n");
		if (*nl)
			*nl++ = 0;
		unsigned short h, w;
		if (sscanf(line, "resize %hu %hu", &h, &w) == 2) {
			if (r->tty && r->resize)
				r->resize(r, h, w);
		} else if (r->control)
			r->control(r, r->cl[i].fd, line);
	}
}

static void client_input(struct relay *r, int i)
{
	char b[4096];
	ssize_t n = recv(r->cl[i].fd, b, sizeof b - 1, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (r->cl[i].in_open)
			r->close_in(r);
		if (r->cl[i].flags & (SHIM_STDOUT | SHIM_STDERR) && n == 0 && !(r->cl[i].flags & SHIM_CONTROL))
			r->cl[i].in_open = 0, r->cl[i].flags |= HALF_CLOSED;
		else
			drop_client(r, i);
		return;
	}
	if (r->cl[i].flags & SHIM_CONTROL) {
		b[n] = 0;
		control(r, i, b);
	} else if (r->cl[i].in_open)
		r->input(r, b, (size_t)n);
}

int relay_poll_fill(const struct relay *r, struct pollfd *p)
{
	int n = 0;
	p[n++] = (struct pollfd){ r->lfd, POLLIN, 0 };
	for (int i = 0; i < r->ncl; i++)
		p[n++] = (struct pollfd){ r->cl[i].flags & HALF_CLOSED || (r->paused && r->cl[i].in_open) ? -1 : r->cl[i].fd,
					  POLLIN, 0 };
	return n;
}

void relay_poll_done(struct relay *r, const struct pollfd *p, int n)
{
	for (int i = n - 1; i-- > 0;)
		if (i < r->ncl && p[1 + i].revents && r->cl[i].fd == p[1 + i].fd)
			client_input(r, i);
	if (r->lfd >= 0 && p[0].fd == r->lfd && (p[0].revents & POLLIN))
		relay_accept(r);
}

void relay_state(const char *path, int pid, long long start, const char *started, int running, int code,
		 int oom, const char *error, int partition)
{
	char fin[64] = "0001-01-01T00:00:00Z";
	if (!running)
		now_rfc3339(fin, sizeof fin);
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "Pid", pid);
	cJSON_AddNumberToObject(j, "PidStart", (double)start);
	cJSON_AddNumberToObject(j, "ShimPid", getpid());
	cJSON_AddStringToObject(j, "StartedAt", started);
	cJSON_AddBoolToObject(j, "Running", running);
	cJSON_AddNumberToObject(j, "ExitCode", code);
	cJSON_AddStringToObject(j, "FinishedAt", fin);
	cJSON_AddBoolToObject(j, "OOMKilled", oom);
	if (error && *error)
		cJSON_AddStringToObject(j, "Error", error);
	if (partition)
		cJSON_AddNumberToObject(j, "Partition", partition);
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (s)
		write_file_atomic(path, s);
	free(s);
}
