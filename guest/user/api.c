/*
 * The bulkhead tool's client of the Docker Engine API (bulkheadd, or any
 * dockerd): one connection per request to the Unix socket DOCKER_HOST names
 * (unix:///PATH, as the Docker CLI reads it; /var/run/docker.sock when
 * unset), HTTP/1.1 requests to /v1.44/..., responses parsed by http-parser
 * and bodies by cJSON.  Host partition userland (and Linux, for tests).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bulkhead.h"
#include "http_parser.h"

#define DEFAULT_SOCKET "/var/run/docker.sock"
#define API_PREFIX "/v1.44"
#define REPLY_MAX (64u << 20) /* bytes of a reply body held in memory */

int url_escape(char *out, size_t cap, const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			    strchr("._~-:@", ch) || (ch == '/' && keep_slash);
		if (o + (plain ? 1 : 3) >= cap)
			return -1;
		if (plain) {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = 0;
	return 0;
}

/* The socket's path from DOCKER_HOST, or NULL (message printed). */
static const char *socket_path(const char *what)
{
	const char *h = getenv("DOCKER_HOST");
	if (!h || !*h)
		return DEFAULT_SOCKET;
	if (!strncmp(h, "unix://", 7) && h[7])
		return h + 7;
	char msg[300];
	snprintf(msg, sizeof msg, "DOCKER_HOST=%.200s: only unix:///PATH is supported", h);
	fail(what, msg);
	return NULL;
}

static int api_connect(const char *what)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	const char *path = socket_path(what);
	char msg[300];
	if (!path)
		return -1;
	if (strlen(path) >= sizeof a.sun_path) {
		snprintf(msg, sizeof msg, "socket path too long: %.200s", path);
		fail(what, msg);
		return -1;
	}
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof a))
		return fd;
	snprintf(msg, sizeof msg, "cannot reach the engine daemon at %.200s: %s (is bulkheadd running?)", path,
		 strerror(errno));
	fail(what, msg);
	if (fd >= 0)
		close(fd);
	return -1;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Connects and sends "METHOD /v1.44PATH" with the body (JSON) and the
 * upgrade headers when asked: the socket, or -1 (message printed). */
static int send_request(const char *what, const char *method, const char *path, const cJSON *body, int upgrade)
{
	char *json = body ? cJSON_PrintUnformatted(body) : NULL;
	size_t jlen = json ? strlen(json) : 0;
	char head[API_PATH_MAX + 512], length[48] = "";
	if (json || !strcmp(method, "POST"))
		snprintf(length, sizeof length, "Content-Length: %zu\r\n", jlen);
	int n = snprintf(head, sizeof head,
			 "%s " API_PREFIX "%s HTTP/1.1\r\nHost: docker\r\nUser-Agent: bulkhead\r\n%s%s%s\r\n",
			 method, path, json ? "Content-Type: application/json\r\n" : "",
			 upgrade ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "", length);
	int fd = -1;
	if (body && !json)
		fail(what, "out of memory");
	else if (n < 0 || n >= (int)sizeof head)
		fail(what, "request path too long");
	else if ((fd = api_connect(what)) >= 0 && (send_all(fd, head, (size_t)n) || send_all(fd, json, jlen))) {
		char msg[128];
		snprintf(msg, sizeof msg, "sending the request: %s", strerror(errno));
		fail(what, msg);
		close(fd);
		fd = -1;
	}
	free(json);
	return fd;
}

/* ---- responses, through http-parser */
struct reader {
	struct api_resp *r;
	size_t cap;
	void (*line)(void *arg, char *line);   /* each line of a 200 body as it comes, or NULL */
	void *arg;
	size_t lines_end;  /* bytes of the body handed to line */
	int done;      /* the message (or an upgrade's headers) is complete */
	int too_big;
};

static int on_body(http_parser *p, const char *at, size_t n)
{
	struct reader *rd = p->data;
	struct api_resp *r = rd->r;
	if (r->len + n + 1 > rd->cap) {
		size_t cap = rd->cap ? rd->cap : 4096;
		while (cap < r->len + n + 1)
			cap *= 2;
		char *q = cap <= REPLY_MAX ? realloc(r->body, cap) : NULL;
		if (!q)
			return rd->too_big = 1;
		r->body = q;
		rd->cap = cap;
	}
	memcpy(r->body + r->len, at, n);
	r->len += n;
	r->body[r->len] = 0;
	for (char *nl; rd->line && p->status_code == 200 && (nl = memchr(r->body + rd->lines_end, '\n',
								       r->len - rd->lines_end));) {
		*nl = 0;
		rd->line(rd->arg, r->body + rd->lines_end);
		*nl = '\n';
		rd->lines_end = (size_t)(nl + 1 - r->body);
	}
	return 0;
}

/* 101 Switching Protocols: no body; what follows is the raw stream. */
static int on_headers_complete(http_parser *p)
{
	return p->status_code == 101 ? 2 : 0;
}

static int on_message_complete(http_parser *p)
{
	struct reader *rd = p->data;
	rd->done = 1;
	http_parser_pause(p, 1); /* nothing after it is ours to parse */
	return 0;
}

/* Reads one response from fd into *r.  0, or -1 (message printed).  After
 * an upgrade, the bytes read past the headers go to rest[] (NULL: none
 * may follow). */
static int read_response(const char *what, int fd, struct api_resp *r, char *rest, size_t *nrest,
			 void (*line)(void *, char *), void *arg)
{
	static const http_parser_settings s = {
		.on_body = on_body,
		.on_headers_complete = on_headers_complete,
		.on_message_complete = on_message_complete,
	};
	static char buf[API_REST_MAX];
	struct reader rd = { .r = r, .line = line, .arg = arg };
	http_parser p;
	http_parser_init(&p, HTTP_RESPONSE);
	p.data = &rd;
	*r = (struct api_resp){ 0 };
	while (!rd.done) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			char msg[128];
			snprintf(msg, sizeof msg, "reading the reply: %s", strerror(errno));
			return fail(what, msg), -1;
		}
		size_t used = http_parser_execute(&p, &s, buf, (size_t)n);
		if (rd.too_big)
			return fail(what, "the engine's reply is too large"), -1;
		if (!n && !rd.done)
			return fail(what, p.status_code ? "the engine closed the connection in the middle of its reply"
							: "the engine closed the connection without replying"), -1;
		enum http_errno e = HTTP_PARSER_ERRNO(&p);
		if (e != HPE_OK && e != HPE_PAUSED) {
			char msg[160];
			snprintf(msg, sizeof msg, "bad reply from the engine: %s", http_errno_description(e));
			return fail(what, msg), -1;
		}
		if (rd.done && p.upgrade && rest) {
			*nrest = (size_t)n - used;
			memcpy(rest, buf + used, *nrest);
		}
	}
	r->status = p.status_code;
	if (r->len)
		r->json = cJSON_ParseWithLength(r->body, r->len);
	return 0;
}

void api_resp_free(struct api_resp *r)
{
	free(r->body);
	cJSON_Delete(r->json);
	*r = (struct api_resp){ 0 };
}

int api_stream(const char *what, const char *method, const char *path, const cJSON *body,
	       void (*line)(void *arg, char *line), void *arg, struct api_resp *r)
{
	int fd = send_request(what, method, path, body, 0);
	if (fd < 0)
		return -1;
	int rc = read_response(what, fd, r, NULL, NULL, line, arg);
	close(fd);
	return rc;
}

int api_request(const char *what, const char *method, const char *path, const cJSON *body, struct api_resp *r)
{
	return api_stream(what, method, path, body, NULL, NULL, r);
}

/* The daemon's message for a failed request: its {"message"}, else the
 * body's first line, else the status. */
static int fail_resp(const char *what, const struct api_resp *r)
{
	const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->json, "message"));
	char msg[1024];
	if (m && *m)
		snprintf(msg, sizeof msg, "%s", m);
	else if (r->len)
		snprintf(msg, sizeof msg, "%.*s (HTTP %d)", (int)strcspn(r->body, "\r\n"), r->body, r->status);
	else
		snprintf(msg, sizeof msg, "HTTP status %d", r->status);
	return fail(what, msg);
}

int api_call(const char *what, const char *method, const char *path, const cJSON *body, cJSON **out)
{
	struct api_resp r;
	if (out)
		*out = NULL;
	if (api_request(what, method, path, body, &r))
		return 1;
	int ok = (r.status >= 200 && r.status < 300) || r.status == 304;
	int rc = 0;
	if (!ok)
		rc = fail_resp(what, &r);
	else if (r.len && !r.json && out)
		rc = fail(what, "the engine's reply is not JSON");
	else if (out)
		*out = r.json, r.json = NULL;
	api_resp_free(&r);
	return rc;
}

int api_upgrade(const char *what, const char *path, const cJSON *body, char *rest, size_t *nrest)
{
	struct api_resp r;
	int fd = send_request(what, "POST", path, body, 1);
	*nrest = 0;
	if (fd < 0)
		return -1;
	if (read_response(what, fd, &r, rest, nrest, NULL, NULL)) {
		close(fd);
		return -1;
	}
	if (r.status != 101) {
		if (r.status < 300) /* a 200 stream would be HTTP framed: not what was asked */
			fail(what, "the engine did not upgrade the connection (no 101 reply)");
		else
			fail_resp(what, &r);
		close(fd);
		fd = -1;
	}
	api_resp_free(&r);
	return fd;
}
