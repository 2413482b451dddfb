/* Host-only pieces of the loader (Linux, libc): the directory back-end, the
 * image stores over files and folders, and the malloc allocator.  Used by
 * the bhimage tool, the unit tests and the fuzz targets' helpers. */
#ifndef BULKHEAD_LOADER_HOST_H
#define BULKHEAD_LOADER_HOST_H
#include "../ld.h"

extern struct ld_alloc ld_host_alloc;

/* Installs CPU-specific fast paths (SHA-NI) when the CPU has them. */
void ld_host_cpu_init(void);

/* Directory back-end rooted at the open directory root_fd.  Devices need
 * root; ownership is applied only when running as root.  threads > 0 hands
 * small files to that many writer threads. */
struct ld_fs *ld_dirfs_new(int root_fd, int threads, struct ld_err *err);
void ld_dirfs_free(struct ld_fs *fs);
/* Removes name (file or whole tree) under dir_fd without following symlinks. */
int ld_rmtree_at(int dir_fd, const char *name);

/* Opens an image: an OCI layout folder, or an OCI-layout / docker-archive
 * tarball.  Returns NULL with a message. */
struct ld_store *ld_host_store_open(const char *path, struct ld_err *err);
void ld_host_store_close(struct ld_store *st);
/* A stream over an open file (freed with free(); the fd stays open). */
struct ld_src *ld_host_file_src(int fd, struct ld_err *err);
#endif
