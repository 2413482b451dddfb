/* Streaming tar reader: ustar, GNU long names/links ('L'/'K'), pax extended
 * headers (path, linkpath, size, mtime, uid, gid), base-256 numbers and
 * header checksums.  Entry data is handed out in chunks straight from the
 * source, never buffered whole.  Freestanding; guest kernel and host. */
#ifndef BULKHEAD_LOADER_TAR_H
#define BULKHEAD_LOADER_TAR_H
#include "ld.h"

#define LD_TAR_HARDLINK 100     /* entry type besides enum ld_type */
#define LD_TAR_PAXMAX 65536u    /* largest pax header we accept */

struct ld_tar_entry {
	const char *path, *link;
	u64 size, data_offset;
	u32 mode, uid, gid, devmajor, devminor;
	s64 mtime;
	u32 mtime_nsec;
	int type;
};

struct ld_tar {
	struct ld_src *src;
	const u8 *p;
	size_t n;
	u64 offset;                 /* stream offset of *p */
	u64 data_left, pad_left;
	char *path, *link, *pax;    /* max_path+1, max_path+1, LD_TAR_PAXMAX */
	u32 max_path;
	int ended;
	struct ld_err *err;
};

/* bufs must hold 2 * (max_path + 1) + LD_TAR_PAXMAX bytes. */
void ld_tar_init(struct ld_tar *t, struct ld_src *src, char *bufs, u32 max_path,
		 struct ld_err *err);
/* Next entry: 1, or 0 at the end of the archive, or <0 on error.  Skips
 * whatever data of the previous entry was not read. */
int ld_tar_next(struct ld_tar *t, struct ld_tar_entry *e);
/* Next chunk of the current entry's data: length, 0 at its end, <0 error. */
long ld_tar_data(struct ld_tar *t, const u8 **p);

/* Writing: one member's header as ustar (POSIX.1-1988), with a GNU 'K' and
 * 'L' member before it for a link target or name over 100 bytes. */
#define LD_TAR_NAME_MAX 4096u   /* bytes of a name or target, NUL included */
#define LD_TAR_HDR_MAX (3 * 512 + 2 * LD_TAR_NAME_MAX) /* what ld_tar_header writes at most */
struct ld_tar_hdr {
	const char *name, *link;  /* link: a symlink's target or a hard link's name, or NULL */
	char type;                /* '0' file, '1' hard link, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo */
	u32 mode, uid, gid, major, minor;
	u64 size;                 /* bytes of data that follow ('0' only), < 8 GiB */
	s64 mtime;                /* unix seconds, 0 .. 8^11 - 1 */
};
/* Into out (LD_TAR_HDR_MAX bytes); the bytes written (a multiple of 512), or
 * 0 when a field does not fit (nothing usable written).  The data and its
 * padding to 512 bytes are the caller's to write. */
size_t ld_tar_header(u8 *out, const struct ld_tar_hdr *m);
#endif
