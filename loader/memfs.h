/* An in-memory filesystem back-end: a tree of nodes with data, links,
 * device numbers and metadata, capped in bytes.  It is the model of the
 * guest kernel's ramfs, and what the unit tests and fuzz targets unpack
 * into.  Freestanding. */
#ifndef BULKHEAD_LOADER_MEMFS_H
#define BULKHEAD_LOADER_MEMFS_H
#include "ld.h"

struct ld_fs *ld_memfs_new(struct ld_alloc *a, u64 cap, struct ld_err *err);
void ld_memfs_free(struct ld_fs *fs);

struct ld_memfs_info {
	int type;
	u64 size;
	const u8 *data;
	const char *link;
	u32 nlink, major, minor;
	struct ld_meta m;
};
/* Looks a path up (no symlinks followed): 0, or -1 if missing. */
int ld_memfs_info(struct ld_fs *fs, const char *path, struct ld_memfs_info *out);
/* Number of nodes in the tree, the root included. */
u64 ld_memfs_count(struct ld_fs *fs);
#endif
