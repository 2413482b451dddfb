/* Image discovery: which format a store holds, which manifest to use, and
 * the descriptors of its config and layers; plus reading small verified JSON
 * blobs and parsing the image config.  Freestanding; kernel and host. */
#ifndef BULKHEAD_LOADER_IMAGE_H
#define BULKHEAD_LOADER_IMAGE_H
#include "ld.h"
#include "json.h"

/* A parsed JSON blob: the bytes and their tokens, freed together. */
struct ld_jdoc {
	char *buf;
	struct ld_jtok *toks;
	struct ld_json j;
};

/* Reads the store file `name` (checked against b when b is not NULL),
 * at most lim->max_json bytes, and parses it. */
int ld_jdoc_load(struct ld_jdoc *d, struct ld_store *st, const char *name,
		 const struct ld_blob *b, const struct ld_limits *lim, struct ld_alloc *a,
		 struct ld_err *err);
void ld_jdoc_free(struct ld_jdoc *d, struct ld_alloc *a);

/* Fills im (and cfg) from the store. */
int ld_image_load(struct ld_store *st, const struct ld_opts *o, const struct ld_limits *lim,
		  struct ld_alloc *a, struct ld_image *im, struct ld_config *cfg,
		  struct ld_err *err);

/* Parses an image config document into cfg; when diff_ids is not NULL, also
 * rootfs.diff_ids (up to max, count in *ndiff). */
int ld_config_parse(const struct ld_jdoc *d, struct ld_config *cfg, struct ld_alloc *a,
		    u8 (*diff_ids)[32], u32 max, u32 *ndiff, struct ld_err *err);

/* "sha256:<64 hex>" into 32 bytes; 0 or -1. */
int ld_parse_digest(const char *s, u8 out[32]);
#endif
