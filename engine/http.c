/* bulkheadd's HTTP/1.1 server side: one struct conn per client of a Unix or TCP
 * listener, requests parsed by http-parser (Debian's source package),
 * keep-alive and pipelining, bodies kept in memory (JSON, at most
 * JSON_BODY_MAX bytes) or written to a file (image loads), and responses
 * queued in an output buffer that the poll loop drains: fixed length,
 * chunked streams, or a file.  Host partition userland (and Linux, tests). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "engine.h"
#include "ctr.h"

int buf_put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *q = realloc(b->p, cap);
		if (!q)
			return -1;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof tmp)
		return buf_put(b, tmp, (size_t)n);
	char *big = malloc((size_t)n + 1);
	if (!big)
		return -1;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	int rc = buf_put(b, big, (size_t)n);
	free(big);
	return rc;
}

static void buf_free(struct buf *b)
{
	free(b->p);
	*b = (struct buf){ 0 };
}

static const char *reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "UPGRADED";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 409: return "Conflict";
	case 413: return "Request Entity Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	default: return "Unknown";
	}
}

/* The status line and the headers dockerd puts on every response. */
static void head(struct conn *c, int status, const char *ctype)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&now, &tm));
	buf_printf(&c->out, "HTTP/1.1 %d %s\r\nApi-Version: " API_VERSION "\r\n"
		   "Docker-Experimental: false\r\nOstype: linux\r\n"
		   "Server: Docker/" ENGINE_VERSION " (linux)\r\nDate: %s\r\n",
		   status, reason(status), date);
	if (ctype)
		buf_printf(&c->out, "Content-Type: %s\r\n", ctype);
	if (c->extra.len)
		buf_put(&c->out, c->extra.p, c->extra.len);
	c->extra.len = 0;
	if (c->closing)
		buf_printf(&c->out, "Connection: close\r\n");
}

void http_header(struct conn *c, const char *name, const char *value)
{
	buf_printf(&c->extra, "%s: %s\r\n", name, value);
}

void http_reply(struct conn *c, int status, const char *ctype, const char *body, size_t len)
{
	head(c, status, len || ctype ? ctype : NULL);
	buf_printf(&c->out, "Content-Length: %zu\r\n\r\n", len);
	if (!c->head)
		buf_put(&c->out, body, len);
}

void http_json(struct conn *c, int status, cJSON *j)
{
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	if (!s) {
		http_error(c, 500, "out of memory");
		return;
	}
	size_t n = strlen(s);
	s[n] = '\n';   /* dockerd ends JSON bodies with a newline */
	http_reply(c, status, "application/json", s, n + 1);
	free(s);
}

void http_error(struct conn *c, int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "message", msg);
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!s) {
		c->closing = 1;
		http_reply(c, 500, "text/plain", "out of memory\n", 14);
		return;
	}
	size_t n = strlen(s);
	s[n] = '\n';
	http_reply(c, status, "application/json", s, n + 1);
	free(s);
}

void http_stream_begin(struct conn *c, int status, const char *ctype)
{
	head(c, status, ctype);
	buf_printf(&c->out, "Transfer-Encoding: chunked\r\n\r\n");
	c->chunked = 1;
}

void http_chunk(struct conn *c, const char *p, size_t n)
{
	if (!n)
		return;
	buf_printf(&c->out, "%zx\r\n", n);
	buf_put(&c->out, p, n);
	buf_put(&c->out, "\r\n", 2);
}

void http_stream_json(struct conn *c, cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!s)
		return;
	size_t n = strlen(s);
	s[n] = '\n';
	http_chunk(c, s, n + 1);
	free(s);
}

void http_stream_end(struct conn *c)
{
	buf_put(&c->out, "0\r\n\r\n", 5);
	c->chunked = 0;
}

void http_upgrade(struct conn *c, const char *ctype)
{
	if (c->upgrade) {
		http_header(c, "Connection", "Upgrade");
		http_header(c, "Upgrade", "tcp");
		head(c, 101, ctype);
	} else {
		c->closing = 1;
		head(c, 200, ctype);
	}
	buf_put(&c->out, "\r\n", 2);
	c->raw = 1;
}

void http_send_file(struct conn *c, const char *ctype, int fd, uint64_t size)
{
	head(c, 200, ctype);
	buf_printf(&c->out, "Content-Length: %llu\r\n\r\n", (unsigned long long)size);
	if (c->head) {
		close(fd);
		return;
	}
	c->file_fd = fd;
	c->file_left = size;
}

long long mono_s(void)
{
	return mono_ms() / 1000;
}

long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int conn_expired(const struct conn *c, long long now)
{
	return !c->raw && !c->sub && !c->held && !c->chunked && now - c->since > CONN_TIMEOUT_S;
}

/* ---- http-parser callbacks */
static int on_message_begin(http_parser *p)
{
	struct conn *c = p->data;
	c->since = mono_s();
	c->url.len = c->body.len = 0;
	c->hname[0] = 0;
	c->hname_done = 0;
	c->expect_continue = c->too_big = c->body_err = 0;
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
	struct conn *c = p->data;
	return c->url.len + n > 8192 || buf_put(&c->url, at, n) ? -1 : 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
	struct conn *c = p->data;
	if (c->hname_done)
		c->hname[0] = 0, c->hname_done = 0;
	size_t have = strlen(c->hname);
	for (size_t i = 0; i < n && have + 1 < sizeof c->hname; i++)
		c->hname[have++] = (char)(at[i] | 0x20);
	c->hname[have] = 0;
	return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
	struct conn *c = p->data;
	c->hname_done = 1;
	if (!strcmp(c->hname, "expect") && n >= 12 && !strncasecmp(at, "100-continue", 12))
		c->expect_continue = 1;
	if (!strcmp(c->hname, "upgrade") && n >= 3 && !strncasecmp(at, "tcp", 3))
		c->upgrade = 1;
	return 0;
}

static void load_file_close(struct conn *c)
{
	if (c->load_fd >= 0) {
		close(c->load_fd);
		unlink(c->load_path);
		c->load_fd = -1;
	}
}

static int on_headers_complete(http_parser *p)
{
	struct conn *c = p->data;
	if (api_body_to_file(http_method_str(p->method), c->url.p ? c->url.p : "")) {
		snprintf(c->load_path, sizeof c->load_path, "%s/tmp/upload-XXXXXX", eng.data_root);
		c->load_fd = mkostemp(c->load_path, O_CLOEXEC);
		if (c->load_fd < 0)
			c->body_err = errno;
	}
	if (c->expect_continue)
		buf_printf(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
	struct conn *c = p->data;
	c->since = mono_s();   /* a long upload (docker load) progresses */
	if (c->body_err)
		return 0;
	if (c->load_fd >= 0) {
		while (n) {
			ssize_t w = write(c->load_fd, at, n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				c->body_err = w < 0 ? errno : ENOSPC;
				logmsg("writing %s: %s", c->load_path, strerror(c->body_err));
				load_file_close(c);
				return 0;
			}
			at += w, n -= (size_t)w;
		}
		return 0;
	}
	if (c->too_big || c->body.len + n > JSON_BODY_MAX) {
		c->too_big = 1;
		return 0;
	}
	return buf_put(&c->body, at, n);
}

static int on_message_complete(http_parser *p)
{
	struct conn *c = p->data;
	struct req r = { .c = c, .method = (int)p->method, .query = "" };
	char *url = c->url.p ? c->url.p : (char *)"";
	char *q = strchr(url, '?');
	size_t plen = q ? (size_t)(q - url) : strlen(url);
	if (q)
		r.query = q + 1;
	c->head = p->method == HTTP_HEAD;
	if (!http_should_keep_alive(p))
		c->closing = 1;
	if (c->load_fd >= 0)
		r.load_path = c->load_path;
	if (c->body_err)
		http_error(c, 500, "cannot store the request body under %s/tmp: %s", eng.data_root,
			   strerror(c->body_err));
	else if (c->too_big)
		http_error(c, 413, "request body too large");
	else if (url[0] != '/' || url_decode(url, plen, 0, r.path, sizeof r.path))
		http_error(c, 400, "malformed request path");

	else {
		r.body = c->body.p ? c->body.p : "";
		r.body_len = c->body.len;
		api_dispatch(&r);
	}
	load_file_close(c);
	/* A streamed response owns the connection: read no further requests. */
	if (c->sub || c->closing || c->held || c->raw) {
		c->stopped = 1;
		http_parser_pause(p, 1);
	}
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

struct conn *conn_new(int fd)
{
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->fd = fd;
	c->since = mono_s();
	c->load_fd = c->file_fd = c->relay_fd = c->go_fd = -1;
	http_parser_init(&c->p, HTTP_REQUEST);
	c->p.data = c;
	return c;
}

void conn_go_later(struct conn *c, int go, int ms)
{
	c->go_fd = go;
	c->go_at = mono_ms() + ms;
}

int conns_go(struct conn *list)
{
	long long now = mono_ms(), next = -1;
	for (struct conn *c = list; c; c = c->next) {
		if (c->go_fd < 0)
			continue;
		if (now >= c->go_at && c->out_off >= c->out.len) {
			go_word(c->go_fd);
			c->go_fd = -1;
		} else if (now < c->go_at && (next < 0 || c->go_at - now < next))
			next = c->go_at - now;   /* due but its head unwritten: the write's turn wakes the loop */
	}
	return (int)next;
}

void conn_free(struct conn *c)
{
	if (c->go_fd >= 0)
		go_word(c->go_fd);   /* the process goes on without its client */
	events_unsubscribe(c);
	containers_conn_gone(c);
	if (c->pull)
		pull_conn_gone(c);
	if (c->helper)
		c->helper->free(c->helper);
	if (c->relay_fd >= 0)
		close(c->relay_fd);
	buf_free(&c->in);
	load_file_close(c);
	if (c->file_fd >= 0)
		close(c->file_fd);
	close(c->fd);
	buf_free(&c->url);
	buf_free(&c->body);
	buf_free(&c->out);
	buf_free(&c->extra);
	free(c);
}

/* A raw stream's input goes to the shim (or waits for it); EOF half-closes. */
static int raw_input(struct conn *c, const char *p, size_t n)
{
	if (c->relay_fd < 0)
		return buf_put(&c->in, p, n);
	while (n) {
		ssize_t w = send(c->relay_fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 0;   /* the shim is gone: its EOF ends the stream */
		p += w, n -= (size_t)w;
	}
	return 0;
}

void conn_relay(struct conn *c, int fd)
{
	c->relay_fd = fd;
	raw_input(c, c->in.p, c->in.len);
	c->in.len = 0;
	if (c->in_eof)
		shutdown(fd, SHUT_WR);
}

int helper_start(struct conn *c, struct helper *h, int keep, void (*run)(struct helper *h, void *arg), void *arg)
{
	int p[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p))
		return -1;
	h->pid = fork();
	if (h->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);   /* its work is the daemon's: it ends with it */
		for (int fd = 3; fd < 1024; fd++)   /* clients' sockets, other helpers' */
			if (fd != p[1] && fd != keep)
				close(fd);
		run(h, arg);
		for (size_t o = 0; o < h->out.len;) {
			ssize_t w = write(p[1], h->out.p + o, h->out.len - o);
			if (w <= 0) {
				if (h->unsent)
					h->unsent(h);
				_exit(1);
			}
			o += (size_t)w;
		}
		_exit(0);
	}
	close(p[1]);
	if (h->pid < 0) {
		int err = errno;
		close(p[0]);
		errno = err;
		return -1;
	}
	c->helper = h;
	c->held = 1;
	conn_relay(c, p[0]);
	return 0;
}

int conn_relay_read(struct conn *c)
{
	char b[65536];
	ssize_t n = recv(c->relay_fd, b, sizeof b, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0) {
		close(c->relay_fd);
		c->relay_fd = -1;
		if (c->pull)
			pull_relay_done(c);
		if (c->helper)
			c->helper->done(c);
		c->closing = 1;
		return 0;
	}
	if (c->helper)
		return buf_put(&c->helper->out, b, (size_t)n) ? -1 : 0;
	if (c->chunked)   /* a pull's progress lines */
		return http_chunk(c, b, (size_t)n), 0;
	return buf_put(&c->out, b, (size_t)n);
}

int conn_read(struct conn *c)
{
	char in[65536];
	ssize_t n = read(c->fd, in, sizeof in);
	if (c->linger) {   /* dropped; its end closes the connection */
		if (n == 0)
			c->in_eof = 1;
		return n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)) ? 0 : -1;
	}
	if (c->raw) {
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (n == 0) {
			/* Only stdin ends (the Docker CLI half-closes an attach
			 * without -i at once): the output goes on until the
			 * stream's own end. */
			c->in_eof = 1;
			if (c->relay_fd >= 0)
				shutdown(c->relay_fd, SHUT_WR);
			return 0;
		}
		return raw_input(c, in, (size_t)n);
	}
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0) {
		/* The peer is done sending: finish what it asked, then close. */
		if (c->held) {
			c->in_eof = 1;
			return 0;
		}
		if (c->sub || c->stopped)
			return c->sub ? -1 : 0;
		http_parser_execute(&c->p, &settings, in, 0);
		c->closing = c->in_eof = 1;
		return conn_done(c) ? -1 : 0;
	}
	if (c->stopped)
		return 0;   /* streaming or closing: further input is ignored */
	size_t used = http_parser_execute(&c->p, &settings, in, (size_t)n);
	enum http_errno e = HTTP_PARSER_ERRNO(&c->p);
	if (c->raw && used < (size_t)n)
		return raw_input(c, in + used, (size_t)n - used);   /* what follows an upgrade */
	if (e != HPE_OK && e != HPE_PAUSED) {
		(void)used;
		load_file_close(c);
		c->closing = 1;
		http_error(c, 400, "malformed HTTP request: %s", http_errno_description(e));
		c->stopped = 1;
	}
	return 0;
}

int conn_wants_read(const struct conn *c)
{
	if (c->linger)
		return !c->in_eof;
	/* A client that does not read its answers is not read either. */
	if (c->raw || c->in_eof)
		return !c->in_eof && c->in.len < RAW_BACKLOG;
	return c->sub || c->held || (!c->stopped && c->out.len - c->out_off < OUT_BACKLOG);
}

int conn_wants_write(const struct conn *c)
{
	return c->out_off < c->out.len || c->file_fd >= 0;
}

int conn_done(struct conn *c)
{
	if (!c->closing || conn_wants_write(c) || c->sub || c->held || c->relay_fd >= 0)
		return 0;
	/* A lingering close, as HTTP servers do: the answer is followed by a
	 * FIN, and what the client still sends (the rest of a body refused
	 * early) is read and dropped until its end or LINGER_S: closing with
	 * input unread would send a reset, which can take the answer with it. */
	if (!c->linger) {
		shutdown(c->fd, SHUT_WR);
		c->linger = mono_s() + LINGER_S;
	}
	return c->in_eof || mono_s() >= c->linger;
}

int conn_write(struct conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = write(c->fd, c->out.p + c->out_off, c->out.len - c->out_off);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->out_off += (size_t)n;
		c->since = mono_s();
	}
	c->out.len = c->out_off = 0;
	if (c->file_fd >= 0) {
		char chunk[65536];
		size_t want = c->file_left < sizeof chunk ? (size_t)c->file_left : sizeof chunk;
		ssize_t n = want ? read(c->file_fd, chunk, want) : 0;
		if (n <= 0 && want)
			return -1;   /* the file shrank: the response cannot be completed */
		if (n > 0) {
			c->file_left -= (uint64_t)n;
			buf_put(&c->out, chunk, (size_t)n);
		}
		if (!c->file_left) {
			close(c->file_fd);
			c->file_fd = -1;
		}
	}
	return 0;
}
