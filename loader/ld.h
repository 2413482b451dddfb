/* Public interface of the image loader: errors, limits, allocator, byte
 * streams, image stores, the filesystem back-end and the unpack/inspect entry
 * points.  Freestanding: included by the guest kernel and by the host tool. */
#ifndef BULKHEAD_LOADER_LD_H
#define BULKHEAD_LOADER_LD_H

#include <stdint.h>
#include <stddef.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

/* ---- errors: every failing call returns a negative value and leaves one
 * human-readable message here, prefixed by each layer it crosses. ---- */
#define LD_ERR_MAX 512
struct ld_err {
	char msg[LD_ERR_MAX];
};

/* ---- memory: the caller supplies the allocator (kernel heap or malloc). */
struct ld_alloc {
	void *(*alloc)(void *ctx, size_t n);
	void (*free)(void *ctx, void *p);
	void *ctx;
};

/* ---- limits that stop archive and JSON bombs (0 = use the default). */
struct ld_limits {
	u64 max_total;      /* bytes of uncompressed layer data, all layers */
	u64 max_entries;    /* tar entries, all layers */
	u32 max_ratio;      /* uncompressed/compressed bytes of one layer ... */
	u64 ratio_floor;    /* ... checked once a layer has produced this much */
	u32 max_path;       /* bytes in an entry's path or link target */
	u32 max_depth;      /* path components */
	u32 max_json;       /* bytes of a manifest, index or config */
	u32 max_nesting;    /* JSON nesting depth */
	u32 max_layers;     /* layers in a manifest */
};
void ld_limits_default(struct ld_limits *l);

/* ---- byte streams.  pull() hands out the next chunk of bytes (valid until
 * the next call) and returns its length, 0 at the end, <0 on error.
 * skip() is optional: it discards n bytes without reading them. */
struct ld_src {
	long (*pull)(struct ld_src *s, const u8 **p);
	int (*skip)(struct ld_src *s, u64 n);
	struct ld_err *err;
};

/* A random-access byte source: a tarball in memory or in a file. */
struct ld_ra {
	const u8 *base;     /* whole image in memory, or NULL ... */
	long (*read_at)(struct ld_ra *r, u64 off, void *buf, size_t n); /* ... then this */
	u64 size;
};

/* An image store opens named files of the image (`index.json`,
 * `blobs/sha256/<hex>`, `manifest.json`, ...).  open() returns 0 and a
 * stream, 1 if the name does not exist, <0 on error. */
struct ld_store {
	int (*open)(struct ld_store *st, const char *name, struct ld_src **src,
		    u64 *size, struct ld_err *err);
	void (*close)(struct ld_store *st, struct ld_src *src);
};

/* ---- the filesystem back-end.  Paths are relative to the root, already
 * cleaned and resolved by the loader ("" is the root; no "." or ".."; no
 * symlink among the parent components).  Back-ends must still never follow a
 * symlink.  Every call returns 0 or <0 with a message in fs->err. */
enum ld_type { LD_NONE, LD_REG, LD_DIR, LD_LNK, LD_CHR, LD_BLK, LD_FIFO };

struct ld_meta {
	u32 mode;           /* permission bits, 07777 */
	u32 uid, gid;
	s64 mtime;
	u32 mtime_nsec;
};

struct ld_fs {
	int (*lstat)(struct ld_fs *fs, const char *path, int *type);
	long (*readlink)(struct ld_fs *fs, const char *path, char *buf, size_t cap);
	int (*mkdir)(struct ld_fs *fs, const char *path, const struct ld_meta *m);
	/* size: the bytes write() will deliver in all (a hint for buffering) */
	int (*create)(struct ld_fs *fs, const char *path, u64 size, void **fh);
	int (*write)(struct ld_fs *fs, void *fh, const u8 *p, size_t n);
	int (*close)(struct ld_fs *fs, void *fh, const struct ld_meta *m); /* m NULL: abort */
	int (*symlink)(struct ld_fs *fs, const char *path, const char *target,
		       const struct ld_meta *m);
	int (*hardlink)(struct ld_fs *fs, const char *path, const char *target);
	int (*mknod)(struct ld_fs *fs, const char *path, int type, u32 major, u32 minor,
		     const struct ld_meta *m);
	int (*remove)(struct ld_fs *fs, const char *path);   /* file or whole tree */
	int (*setmeta)(struct ld_fs *fs, const char *path, const struct ld_meta *m);
	/* Remove each child of directory `path` for which keep() returns 0. */
	int (*clear_dir)(struct ld_fs *fs, const char *path,
			 int (*keep)(void *ctx, const char *name), void *ctx);
	int (*finish)(struct ld_fs *fs);                     /* optional */
	struct ld_err *err;
};

/* ---- the image config handed to the runtime.  All strings live in one
 * arena owned by the struct; free it with ld_config_free(). */
struct ld_strv {
	u32 n;
	const char **v;
};

struct ld_config {
	struct ld_strv entrypoint, cmd, env, exposed_ports, label_keys, label_vals;
	const char *working_dir, *user, *os, *arch;
	char *arena;
	size_t arena_used, arena_cap;
};
void ld_config_free(struct ld_config *c, struct ld_alloc *a);

/* ---- what an image is made of. */
enum ld_format { LD_FMT_OCI = 1, LD_FMT_DOCKER = 2 };
enum ld_comp { LD_COMP_NONE, LD_COMP_GZIP, LD_COMP_ZSTD, LD_COMP_SNIFF };

struct ld_blob {
	char name[256];     /* path inside the store */
	u8 digest[32];      /* sha256 to check */
	int has_digest;
	u64 size;           /* checked when has_size */
	int has_size;
	u8 diff_id[32];     /* sha256 of the uncompressed tar: the config's rootfs.diff_ids */
	int has_diff_id;    /* a layer's diff_id is known and checked */
	int comp;           /* enum ld_comp */
};

struct ld_image {
	int format;
	struct ld_blob manifest, config;
	u32 nlayers;
	struct ld_blob *layers;
};
void ld_image_free(struct ld_image *im, struct ld_alloc *a);

struct ld_opts {
	struct ld_limits lim;
	const char *ref;    /* tag/ref name to pick from an OCI index, or NULL */
};

/* Reads index/manifest/config (each verified) without unpacking layers. */
int ld_inspect(struct ld_store *st, const struct ld_opts *o, struct ld_alloc *a,
	       struct ld_image *im, struct ld_config *cfg, struct ld_err *err);

/* Applies every layer, in order, into fs.  On error the back-end may hold a
 * partial tree: the caller stages it and throws it away. */
struct ld_stats {
	u64 entries, bytes_in, bytes_out;
};
int ld_unpack(struct ld_store *st, struct ld_fs *fs, const struct ld_opts *o,
	      struct ld_alloc *a, struct ld_config *cfg, struct ld_stats *stats,
	      struct ld_err *err);

/* An image store over an OCI-layout or docker-archive tarball. */
struct ld_store *ld_tarstore_open(struct ld_ra *ra, struct ld_alloc *a, struct ld_err *err);
void ld_tarstore_free(struct ld_store *st);

#endif
