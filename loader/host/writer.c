/* Parallel small-file writer for the directory back-end (see writer.h).
 * The main thread resolves paths and owns every other change to the tree;
 * workers only create new regular files at paths nobody else touches until
 * the back-end waits for them.  Runs on the Linux host. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "writer.h"
#include "../util.h"

#define WRITER_SLOTS 256
#define WRITER_THREADS 8

struct job {
	int dirfd, chown;
	char name[256];
	u8 *buf;
	size_t len, cap;
	struct ld_meta m;
	u64 hash;
};

struct bh_writer;
struct warg {
	struct bh_writer *w;
	int idx;
};

struct bh_writer {
	pthread_mutex_t mu;
	struct warg args[WRITER_THREADS];
	pthread_cond_t work, done;
	pthread_t th[WRITER_THREADS];
	int nthreads, stop;
	struct job q[WRITER_SLOTS];
	u64 busy_hash[WRITER_THREADS];
	unsigned head, tail, running;  /* queue [head, tail); jobs being written */
	size_t bytes, max_bytes;
	int failed;
	struct ld_err err;
};

static int write_file(struct job *j, struct ld_err *err)
{
	int fd = openat(j->dirfd, j->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return ld_fail(err, "cannot create '%s': %s", j->name, strerror(errno));
	size_t off = 0;
	int rc = 0;
	while (off < j->len && !rc) {
		ssize_t n = write(fd, j->buf + off, j->len - off);
		if (n < 0 && errno != EINTR)
			rc = ld_fail(err, "write to '%s' failed: %s", j->name, strerror(errno));
		else if (n > 0)
			off += (size_t)n;
	}
	struct timespec ts[2] = { { j->m.mtime, j->m.mtime_nsec }, { j->m.mtime, j->m.mtime_nsec } };
	if (!rc && ((j->chown && fchown(fd, j->m.uid, j->m.gid)) ||
		    fchmod(fd, j->m.mode & 07777) || futimens(fd, ts)))
		rc = ld_fail(err, "cannot set metadata of '%s': %s", j->name, strerror(errno));
	close(fd);
	return rc;
}

static void *worker(void *arg)
{
	struct bh_writer *w = ((struct warg *)arg)->w;
	int me = ((struct warg *)arg)->idx;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && w->head == w->tail)
			pthread_cond_wait(&w->work, &w->mu);
		if (w->head == w->tail)
			break;
		struct job j = w->q[w->head++ % WRITER_SLOTS];
		w->running++;
		w->busy_hash[me] = j.hash;
		pthread_mutex_unlock(&w->mu);
		struct ld_err e;
		int rc = write_file(&j, &e);
		close(j.dirfd);
		free(j.buf);
		pthread_mutex_lock(&w->mu);
		w->busy_hash[me] = 0;
		w->running--;
		w->bytes -= j.cap;
		if (rc && !w->failed) {
			w->failed = 1;
			w->err = e;
		}
		pthread_cond_broadcast(&w->done);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct bh_writer *bh_writer_new(int threads, size_t max_bytes)
{
	struct bh_writer *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done, NULL);
	w->max_bytes = max_bytes;
	if (threads > WRITER_THREADS)
		threads = WRITER_THREADS;
	for (int i = 0; i < threads; i++) {
		w->args[i] = (struct warg){ w, i };
		if (pthread_create(&w->th[i], NULL, worker, &w->args[i]))
			break;
		w->nthreads++;
	}
	if (!w->nthreads) {
		free(w);
		return NULL;
	}
	return w;
}

void bh_writer_free(struct bh_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->mu);
	for (int i = 0; i < w->nthreads; i++)
		pthread_join(w->th[i], NULL);
	free(w);
}

u8 *bh_writer_buffer(struct bh_writer *w, size_t len)
{
	size_t cap = len ? len : 1;
	pthread_mutex_lock(&w->mu);
	while ((w->bytes && w->bytes + cap > w->max_bytes) || w->tail - w->head >= WRITER_SLOTS)
		pthread_cond_wait(&w->done, &w->mu);
	w->bytes += cap;
	pthread_mutex_unlock(&w->mu);
	u8 *b = malloc(cap);
	if (!b)
		bh_writer_discard(w, NULL, cap);
	return b;
}

void bh_writer_discard(struct bh_writer *w, u8 *buf, size_t cap)
{
	free(buf);
	pthread_mutex_lock(&w->mu);
	w->bytes -= cap;
	pthread_cond_broadcast(&w->done);
	pthread_mutex_unlock(&w->mu);
}

void bh_writer_submit(struct bh_writer *w, int dirfd, const char *name, u8 *buf, size_t len,
		      size_t cap, const struct ld_meta *m, int chown, u64 hash)
{
	pthread_mutex_lock(&w->mu);
	while (w->tail - w->head >= WRITER_SLOTS)
		pthread_cond_wait(&w->done, &w->mu);
	struct job *j = &w->q[w->tail++ % WRITER_SLOTS];
	j->dirfd = dirfd;
	j->chown = chown;
	ld_strlcpy(j->name, name, sizeof j->name);
	j->buf = buf;
	j->len = len;
	j->cap = cap;
	j->m = *m;
	j->hash = hash;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
}

int bh_writer_pending(struct bh_writer *w, u64 hash)
{
	int found = 0;
	pthread_mutex_lock(&w->mu);
	for (unsigned i = w->head; i != w->tail && !found; i++)
		found = w->q[i % WRITER_SLOTS].hash == hash;
	for (int i = 0; i < w->nthreads && !found; i++)
		found = w->busy_hash[i] == hash;
	pthread_mutex_unlock(&w->mu);
	return found;
}

int bh_writer_wait(struct bh_writer *w, struct ld_err *err)
{
	pthread_mutex_lock(&w->mu);
	while (w->head != w->tail || w->running)
		pthread_cond_wait(&w->done, &w->mu);
	int failed = w->failed;
	if (failed)
		*err = w->err;
	pthread_mutex_unlock(&w->mu);
	return failed ? -1 : 0;
}
