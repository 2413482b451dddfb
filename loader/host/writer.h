/* A pool of threads that create small files for the directory back-end, so
 * the file system's per-file cost (openat O_CREAT dominates an unpack) is
 * paid in parallel.  Bounded: at most WRITER_SLOTS files and max_bytes of
 * data in flight.  Host only (pthreads). */
#ifndef BULKHEAD_LOADER_WRITER_H
#define BULKHEAD_LOADER_WRITER_H
#include <stddef.h>
#include "../ld.h"

struct bh_writer;

struct bh_writer *bh_writer_new(int threads, size_t max_bytes);
void bh_writer_free(struct bh_writer *w);
/* Waits until `len` more bytes may be in flight, then returns a buffer. */
u8 *bh_writer_buffer(struct bh_writer *w, size_t len);
/* Queues the file name under dirfd (both now owned by the writer) with data
 * buf[0..len) and metadata m; hash identifies its path for bh_writer_pending. */
void bh_writer_submit(struct bh_writer *w, int dirfd, const char *name, u8 *buf, size_t len,
		      size_t cap, const struct ld_meta *m, int chown, u64 hash);
/* Gives back a buffer that will not be submitted. */
void bh_writer_discard(struct bh_writer *w, u8 *buf, size_t cap);
/* Is a file with this path hash still queued or being written? */
int bh_writer_pending(struct bh_writer *w, u64 hash);
/* Waits for every queued file; 0, or -1 with the first failure in err. */
int bh_writer_wait(struct bh_writer *w, struct ld_err *err);
#endif
