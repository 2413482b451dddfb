/* bulkheadd's container logs (GET /containers/{id}/logs and attach's
 * logs=1): the shim's json-file lines read back as Docker's frames (raw with
 * a tty), tail, timestamps, and follow, which polls the file (a rotation to
 * container.log.1 included) until the container exits. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ctr.h"

/* One json-file line as the client sees it: a frame (or raw with a tty). */
static void log_entry(struct conn *c, const char *line, int want, int ts, int tty, int chunked)
{
	cJSON *j = cJSON_Parse(line);
	const char *s = jstr(j, "stream"), *log = jstr(j, "log");
	int stream = !strcmp(s, "stderr") ? 2 : 1;
	if (j && (want & (stream == 2 ? SHIM_STDERR : SHIM_STDOUT))) {
		struct buf b = { 0 };
		if (!tty) {
			unsigned char h[8] = { (unsigned char)stream };
			buf_put(&b, h, 8);
		}
		if (ts)
			buf_printf(&b, "%s ", jstr(j, "time"));
		buf_put(&b, log, strlen(log));
		if (!tty) {
			uint32_t n = (uint32_t)(b.len - 8);
			b.p[4] = (char)(n >> 24), b.p[5] = (char)(n >> 16), b.p[6] = (char)(n >> 8), b.p[7] = (char)n;
		}
		if (chunked)
			http_chunk(c, b.p, b.len);
		else
			buf_put(&c->out, b.p, b.len);
		free(b.p);
	}
	cJSON_Delete(j);
}

static void read_lines(const char *path, off_t from, struct buf *out, off_t *end, ino_t *ino)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	char b[65536];
	ssize_t n;
	off_t at = from;
	size_t base = out->len;
	lseek(fd, from, SEEK_SET);
	while ((n = read(fd, b, sizeof b)) > 0)
		buf_put(out, b, (size_t)n), at += n;
	close(fd);
	/* only whole lines */
	while (out->len > base && out->p[out->len - 1] != '\n')
		out->len--, at--;
	if (out->p)
		out->p[out->len] = 0;
	if (end)
		*end = at;
	if (ino)
		*ino = st.st_ino;
}

static void send_lines(struct conn *c, char *text, long tail, int want, int ts, int tty, int chunked)
{
	long nl = 0;
	for (char *p = text; p && *p; p++)
		nl += *p == '\n';
	char *p = text;
	for (long skip = tail >= 0 && nl > tail ? nl - tail : 0; p && skip; skip--)
		p = strchr(p, '\n') + 1;
	while (p && *p) {
		char *e = strchr(p, '\n');
		*e = 0;
		log_entry(c, p, want, ts, tty, chunked);
		p = e + 1;
	}
}

/* The logs so far (the older file first); the end of the current file for following. */
void replay(struct conn *c, struct ctr *ct, long tail, int want, int ts, int chunked, off_t *end, ino_t *ino)
{
	char p[4400], p1[4400];
	struct buf b = { 0 };
	ctr_dir(ct, "container.log", p, sizeof p);
	snprintf(p1, sizeof p1, "%s.1", p);
	read_lines(p1, 0, &b, NULL, NULL);
	read_lines(p, 0, &b, end, ino);
	send_lines(c, b.p, tail, want, ts, cJSON_IsTrue(cJSON_GetObjectItem(cfg_of(ct), "Tty")), chunked);
	free(b.p);
}

void logs(struct req *r, struct ctr *ct)
{
	char t[32] = "all";
	if (query_param(r, "tail", 0, t, sizeof t) == -2)
		return;
	int want = (query_bool(r->query, "stdout") ? SHIM_STDOUT : 0) | (query_bool(r->query, "stderr") ? SHIM_STDERR : 0);
	if (!want) {
		http_error(r->c, 400, "Bad parameters: you must choose at least one stream");
		return;
	}
	char *end;
	long tail = !strcmp(t, "all") || !*t ? -1 : strtol(t, &end, 10);
	if (tail < -1 || (tail >= 0 && *end)) {
		http_error(r->c, 400, "invalid tail: %s", t);
		return;
	}
	int tty = cJSON_IsTrue(cJSON_GetObjectItem(cfg_of(ct), "Tty")), ts = query_bool(r->query, "timestamps");
	http_stream_begin(r->c, 200, tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream");
	off_t off = 0;
	ino_t ino = 0;
	replay(r->c, ct, tail, want, ts, 1, &off, &ino);
	if (query_bool(r->query, "follow") && ct->status == RUNNING) {
		hold_add(r->c, ct, H_FOLLOW, 0, want);
		holds->off = off, holds->ino = ino, holds->timestamps = ts, holds->tty = tty;
		r->c->held = 1;
		return;
	}
	http_stream_end(r->c);
}

void follow_tick(struct hold *h, int last)
{
	char p[4400];
	struct buf b = { 0 };
	struct stat st;
	ctr_dir(h->ct, "container.log", p, sizeof p);
	if (!stat(p, &st) && st.st_ino != h->ino) {   /* rotated: the rest of the old file first */
		char p1[4400];
		snprintf(p1, sizeof p1, "%s.1", p);
		read_lines(p1, h->off, &b, NULL, NULL);
		h->off = 0;
	}
	read_lines(p, h->off, &b, &h->off, &h->ino);
	send_lines(h->c, b.p, -1, h->flags, h->timestamps, h->tty, 1);
	free(b.p);
	if (last) {
		http_stream_end(h->c);
		h->c->held = 0;
		h->c->closing = 1;
	}
}
