/* Layer application (OCI image spec, "Applying changesets"): turns tar
 * entries into calls on the filesystem back-end, with whiteouts, opaque
 * directories, replacement of files by directories and back, and path
 * resolution that never leaves the root.  Freestanding; kernel and host. */
#ifndef BULKHEAD_LOADER_APPLY_H
#define BULKHEAD_LOADER_APPLY_H
#include "ld.h"
#include "tar.h"

#define LD_LAYERSET 2097152u    /* hash slots per layer at most (16 MiB): 1,572,864 paths */

struct ld_apply {
	struct ld_fs *fs;
	const struct ld_limits *lim;
	struct ld_err *err;
	char *clean, *res, *full, *rest, *rest2, *tmp, *tclean, *tres, *tfull;
	char *cache_in, *cache_out;
	int cache_valid;
	struct ld_alloc *a;
	u64 *set;                   /* open addressing, grows to LD_LAYERSET */
	u32 set_n, set_cap;
	int set_full;
	u8 *trim;                   /* folders left to trim, see whiteout() */
	size_t trim_used, trim_cap;
	int trim_nomem;
};

int ld_apply_init(struct ld_apply *ap, struct ld_fs *fs, const struct ld_limits *lim,
		  struct ld_alloc *a, struct ld_err *err);
void ld_apply_free(struct ld_apply *ap, struct ld_alloc *a);
void ld_apply_layer(struct ld_apply *ap);   /* call before each layer */
/* Applies one entry; its data is read from t. */
int ld_apply_entry(struct ld_apply *ap, const struct ld_tar_entry *e, struct ld_tar *t);

/* docker cp into a container (PUT .../archive): the whole tar t applied
 * under dir (a folder's path from the root, "" for the root itself, no
 * symlink in it), each member's path and hard link target put under dir.
 * As dockerd: whiteout names (.wh.*) are refused; with no_overwrite a
 * folder is never replaced by a non-folder or back; owner (uid, gid), when
 * given, owns every member.  Members before a bad one stay.  0, or -1 with
 * the reason in ap's err. */
int ld_apply_copy(struct ld_apply *ap, struct ld_tar *t, const char *dir, int no_overwrite, const u32 *owner);

/* Cleans a tar path: leading '/', "." and empty components dropped; ".."
 * refused.  Returns the length, or -1 with a message. */
long ld_clean_path(const char *in, char *out, const struct ld_limits *lim, struct ld_err *err);
#endif
