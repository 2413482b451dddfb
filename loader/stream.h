/* Stream stages stacked between a blob and the tar reader: one checks a
 * blob's size and sha256 against its descriptor as the bytes pass, one
 * meters decompressed bytes against the size and expansion-ratio limits.
 * Freestanding; guest kernel and host. */
#ifndef BULKHEAD_LOADER_STREAM_H
#define BULKHEAD_LOADER_STREAM_H
#include "ld.h"
#include "sha256.h"

struct ld_verify {
	struct ld_src src;
	struct ld_src *in;
	const struct ld_blob *blob; /* its name for messages */
	const u8 *want;             /* the sha256 the stream must have, or NULL */
	int sized;                  /* the stream must be blob->size bytes */
	struct ld_sha256 sha;
	u64 count;
	int done;
};
/* A stage checking the stream against blob b's digest and size (those it
 * has); ld_verify_tar_init checks it against b's diff_id instead, for the
 * stream after decompression.  Either way, a mismatch fails the stream's
 * last pull, an overlong stream the pull that passes the size. */
void ld_verify_init(struct ld_verify *v, struct ld_src *in, const struct ld_blob *b,
		    struct ld_err *err);
void ld_verify_tar_init(struct ld_verify *v, struct ld_src *in, const struct ld_blob *b,
			struct ld_err *err);

struct ld_meter {
	struct ld_src src;
	struct ld_src *in;
	const u64 *in_count;        /* compressed bytes so far, or NULL */
	u64 out, *total;
	const struct ld_limits *lim;
};
void ld_meter_init(struct ld_meter *m, struct ld_src *in, const u64 *in_count, u64 *total,
		   const struct ld_limits *lim, struct ld_err *err);

/* "sha256:<hex>" of a blob (its digest, else its diff_id), or its name when it has neither. */
void ld_blob_label(const struct ld_blob *b, char out[72 + 256]);
#endif
