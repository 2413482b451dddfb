/*
 * The guest kernel's file system layer (ring 0): inodes shared by ramfs,
 * devfs and procfs, open files, per-process descriptor tables, and path
 * lookup.  ramfs holds everything in pages; devfs and procfs give their
 * inodes file_ops (and procfs dir_ops) of their own.
 */
#ifndef BULKHEAD_GUEST_VFS_H
#define BULKHEAD_GUEST_VFS_H

#include <bulkhead/types.h>
#include "linux.h"

struct file;
struct inode;
struct kstat;
struct bh_module;

struct file_ops {
	s64 (*read)(struct file *f, u64 ubuf, u64 n);   /* user buffer, advances f->pos */
	s64 (*write)(struct file *f, u64 ubuf, u64 n);
	s64 (*ioctl)(struct file *f, u64 cmd, u64 arg);
	int (*poll)(struct file *f);                    /* POLL_* bits ready now */
	int (*open)(struct file *f);
	void (*release)(struct file *f);
	int seekable;
};

struct dirent_k {
	struct dirent_k *next;    /* in the order entries were added (listings) */
	struct dirent_k *hnext;   /* in its bucket of the directory's index */
	struct inode *ino;
	u64 off;                  /* directory position: grows with each entry added */
	char name[];
};

typedef int (*dir_emit_fn)(void *ctx, const char *name, u64 ino, int type, u64 next); /* 1 = full */

/* Directories with synthetic contents (procfs) override lookup and listing. */
struct dir_ops {
	struct inode *(*lookup)(struct inode *dir, const char *name); /* referenced */
	/* calls emit(ctx, name, ino, type, next) for entries at positions >= *pos,
	 * next being the position after the entry; 1 when emit stopped early */
	int (*iterate)(struct inode *dir, u64 *pos, dir_emit_fn emit, void *ctx);
	/* optional: the name of child, whose parent is dir, into buf (16 bytes) */
	const char *(*name)(struct inode *dir, struct inode *child, char *buf);
};

struct inode {
	u32 mode, uid, gid, nlink;
	u64 ino, size;
	u32 rdev;
	int refs;                 /* open files, mappings, cwds, lookups in flight */
	struct timespec_k atime, mtime, ctime;
	struct inode *parent;     /* directories: for "..", getcwd; files: where last named */
	struct inode *mounted;    /* a file system mounted here */
	int mount_sb;             /* mount points: the id of the sandbox that mounted here (0: the host) */
	struct dirent_k *children, *last; /* directories: entries, oldest first */
	struct dirent_k **index;  /* directories of DIR_INDEX_FROM entries on: by name hash */
	u32 index_size, nchildren; /* buckets (a power of two, 0: none); entries, whiteouts included */
	u64 next_off;             /* directories: position of the next entry added */
	u8 **pages;               /* regular files: data pages */
	u64 npages;
	/* regular files: the file's first `backed` bytes where no page is made
	 * yet are at backing (read-only and never freed: a utility's granted
	 * layer); past them, holes read zeros */
	const u8 *backing;
	u64 backed;
	char *target;             /* symlinks */
	const struct file_ops *fops;
	const struct dir_ops *dops;
	void *priv;               /* fs-specific (procfs: which file; pipes) */
	u64 priv2;
	/* overlay.c: a directory of an overlay's merged tree shows the entries of
	 * lower (NULL: none, an opaque directory) below its own; a file not yet
	 * copied up reads lower's data.  Referenced. */
	struct inode *lower;
	int lower_all;            /* directories: every lower entry is here already */
};

struct file {
	int refs;
	u32 flags;                /* O_* status flags */
	u64 pos;
	struct inode *ino;
	const struct file_ops *ops;
	void *priv;
	u64 hold_seq;             /* fd_get: the syscall that holds it last */
	struct epitem *ep_items;  /* epoll items watching it (epoll.c) */
};

#define NR_FDS 256
struct fdtable {
	int refs;
	struct file *fd[NR_FDS];
	u8 cloexec[NR_FDS];
};

/* inode.c: inodes and ramfs */
struct inode *inode_new(u32 mode);
void iget(struct inode *i);
void iput(struct inode *i);
struct inode *dir_lookup(struct inode *dir, const char *name); /* referenced or NULL */
int dir_add(struct inode *dir, const char *name, struct inode *i);
/* The entry named name in a ramfs directory, a whiteout included, or NULL. */
struct dirent_k *dir_entry(struct inode *dir, const char *name);
int dir_remove(struct inode *dir, const char *name);
int dir_empty(struct inode *dir);
s64 ramfs_read(struct inode *i, void *kbuf, u64 n, u64 pos); /* kernel buffer */
s64 ramfs_write_k(struct inode *i, const void *kbuf, u64 n, u64 pos);
int ramfs_truncate(struct inode *i, u64 size);
u8 *ramfs_page(struct inode *i, u64 index); /* data page (made from the backing) or NULL (hole, no memory) */
u8 *ramfs_page_make(struct inode *i, u64 index); /* data page, a hole's allocated; NULL if no memory */
void inode_touch(struct inode *i, int m, int c);
extern struct inode *root_inode;
/* File systems mount(2) knows by name: one instance's root (proc, devtmpfs),
 * or, for tmpfs and ramfs, a new empty directory at each mount. */
int fs_register(const char *name, struct inode *root); /* 0 or -ENOSPC */
int fs_register_mount(const char *name, struct inode *(*mount)(void)); /* an instance per caller */
struct inode *fs_instance(const char *name);          /* referenced; NULL if unknown */
extern u64 fs_pages;
void time_now(struct timespec_k *t);
extern const struct file_ops ramfs_fops, dir_fops;

/* namei.c, walk.c: path lookup */
#define LOOKUP_FOLLOW 1
#define LOOKUP_PARENT 2
/* The last component of a path, for create, remove and rename. */
struct last {
	char name[NAME_MAX + 1];  /* "" for "/" */
	int slash;                /* the path ended in '/': it must name a directory */
};
/* walk.c: resolves path from start (root if it is absolute) without leaving
 * root; *out referenced.  With LOOKUP_PARENT: *out is the parent directory
 * and *last the last component (which may not exist). */
int inode_within(const struct inode *i, const struct inode *dir); /* dir, or below it by parents */
int path_walk(struct inode *root, struct inode *start, const char *path, int flags, struct inode **out,
	      struct last *last);
/* namei.c: path_walk from the caller's root and its cwd or dirfd. */
int path_lookup(int dirfd, const char *path, int flags, struct inode **out, struct last *last);
int dir_reachable(const struct inode *i); /* inside the caller's sandbox root (a lookup may start there) */
int user_path(u64 upath, char *kpath); /* copies a user path (PATH_MAX) */
/* Path of i from the caller's root (outside it: from its sandbox's root, or
 * the real root): length + 1, -ERANGE beyond size, -ENOMEM, -ENAMETOOLONG. */
int inode_path(struct inode *i, char *buf, u64 size);
int may_access(struct inode *i, int mask);

/* file.c: open files and descriptors */
struct file *file_new(struct inode *i, u32 flags);
void file_get(struct file *f);
void file_put(struct file *f);
/* The open file of descriptor fd, or NULL (bad fd, or no memory for the
 * hold): held (referenced) until the syscall returns, as Linux's fdget, so
 * that a close by a thread sharing the table cannot free it under a sleeper. */
struct file *fd_get(int fd);
void fd_drop_holds(void);          /* syscall.c, at the end of each syscall */
int fd_install(struct file *f, int min, int cloexec); /* fd or -EMFILE */
struct fdtable *fdtable_new(void);
struct fdtable *fdtable_copy(struct fdtable *t);
void fdtable_put(struct fdtable *t);
void fdtable_cloexec(struct fdtable *t);
int vfs_open(int dirfd, const char *path, u32 flags, u32 mode, struct file **out);
void fill_stat(struct inode *i, struct kstat *st);

/* procfs.c, pipe.c */
extern struct inode *procfs_root;
void procfs_init(void);
int procfs_owns(struct inode *i);
/* A file /proc/NAME whose text gen writes into b (at most n bytes, the length
 * it would need returned, as snprintf), made at each open; name is kept, not
 * copied.  At boot, by drivers.  0 or -ENOSPC. */
struct task;
int procfs_register(const char *name, int (*gen)(struct task *t, char *b, int n));
int pipe_create(struct file **rd, struct file **wr);
s64 pipe_fcntl(struct file *f, u64 cmd, u64 arg); /* F_[GS]ETPIPE_SZ; -EBADF if f is no pipe */
extern const struct file_ops fifo_fops;

/* eventfd.c: eventfd, timerfd, signalfd; and the files they and epoll are */
int anon_file(const struct file_ops *ops, void *priv, u32 flags); /* a new fd (O_NONBLOCK, O_CLOEXEC
								    * of flags) or -errno */
/* epoll.c */
void epoll_forget(struct file *f); /* f's last reference goes: the items watching it too */
void epoll_touch(struct file *f);  /* a syscall uses f: its edge-triggered items may report again */

/* overlay.c: overlay roots with copy-up (docs/design.md, "Overlay roots") */
extern struct inode ovl_whiteout;  /* the entry of a name removed from the lower */
int ovl_attach(struct inode *upper, struct inode *lower); /* 0, -EINVAL, -ENOTEMPTY */
struct inode *ovl_lookup(struct inode *dir, const char *name); /* from dir->lower; referenced or NULL */
int ovl_fill(struct inode *dir);  /* every lower entry into dir: 0 or -ENOMEM */
int ovl_copy_up(struct inode *i); /* a file's data into its own pages: 0 or -ENOMEM */
int ovl_in_lower(struct inode *dir, const char *name); /* removing name needs a whiteout */

/* rootfs.c: the root file system and the host root image */
void fs_init(void);                /* root ramfs, devfs, procfs */
void fs_mount_std(void);           /* /dev, /proc, /tmp */
int rootfs_unpack_module(const struct bh_module *m);
/* Layers in memory applied in order into the root ramfs, with the OCI
 * layer rules (loader/): 0, or -1 with a one-line reason in msg (cap bytes). */
struct rootfs_layer {
	const u8 *data;
	u64 size;
	int gzip;          /* tar+gzip, else plain tar */
	const u8 *sha256;  /* 32 bytes the data must hash to; NULL: not checked */
};
int rootfs_apply_layers(const struct rootfs_layer *l, u32 n, char *msg, u64 cap);
/* docker cp's unpack (loader/apply.c ld_apply_copy) of the tar (or gzip'd
 * tar) read from in to its end, under dir (from the root, "" = the root;
 * resolved, no symlink in it); owner: (uid, gid) of every member, or NULL.
 * One caller at a time.  200, or 400 (a refused or broken archive) or 500
 * with the reason in msg. */
int rootfs_copy_in(struct file *in, const char *dir, int no_overwrite, const u32 *owner, char *msg, u64 cap);
void rootfs_boot_images(const struct bh_module *root); /* the other modules: /boot/images/NAME */


#endif
