/*
 * devfs (guest ring 0): the character devices every program expects,
 * /dev/null, zero, full, random and urandom, in a ramfs directory that is
 * mounted on /dev; drivers add theirs by name (devfs_register: the tty, the
 * host driver).  A sandbox that mounts devtmpfs gets a devfs of its own
 * holding only the container devices (OCI's default devices: null, zero,
 * full, random, urandom, tty, console, ptmx where registered), the standard
 * links and its own shm; from a sandbox no other device opens (EPERM), so
 * neither a node made outside nor one mknod could make reaches a
 * management device such as /dev/bulkhead or /dev/sandbox.  Also the
 * kernel's random numbers.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "dev/dev.h"

struct inode *devfs_root;
static u64 rng_state;

u64 random_u64(void)
{
	if (!rng_state)
		rng_state = rdtsc() | 1;
	rng_state ^= rng_state << 13; /* xorshift64, mixed with the TSC */
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state ^ (rdtsc() * 0x9e3779b97f4a7c15ull);
}

int fill_random_user(u64 ubuf, u64 n)
{
	for (u64 done = 0; done < n;) {
		u64 v = random_u64(), k = n - done < 8 ? n - done : 8;
		if (copy_to_user(ubuf + done, &v, k))
			return -EFAULT;
		done += k;
	}
	return 0;
}

static s64 null_read(struct file *f, u64 ubuf, u64 n)
{
	(void)f, (void)ubuf, (void)n;
	return 0;
}
static s64 null_write(struct file *f, u64 ubuf, u64 n)
{
	(void)f, (void)ubuf;
	return (s64)n;
}
static s64 zero_read(struct file *f, u64 ubuf, u64 n)
{
	(void)f;
	return clear_user(ubuf, n) ? -EFAULT : (s64)n;
}
static s64 full_write(struct file *f, u64 ubuf, u64 n)
{
	(void)f, (void)ubuf, (void)n;
	return -ENOSPC;
}
static s64 random_read(struct file *f, u64 ubuf, u64 n)
{
	(void)f;
	return fill_random_user(ubuf, n) ? -EFAULT : (s64)n;
}
static int always(struct file *f)
{
	(void)f;
	return POLLIN | POLLOUT;
}

static const struct file_ops null_fops = { .read = null_read, .write = null_write, .poll = always, .seekable = 1 };
static const struct file_ops zero_fops = { .read = zero_read, .write = null_write, .poll = always, .seekable = 1 };
static const struct file_ops full_fops = { .read = zero_read, .write = full_write, .poll = always, .seekable = 1 };
static const struct file_ops random_fops = { .read = random_read, .write = null_write, .poll = always };

static int add_chr(struct inode *dir, const char *name, u32 rdev, const struct file_ops *ops, u32 perm)
{
	struct inode *i = inode_new(S_IFCHR | perm);
	if (!i)
		return -ENOMEM;
	i->rdev = rdev;
	i->fops = ops;
	int r = dir_add(dir, name, i);
	iput(i);
	return r;
}

int devfs_register(const char *name, u32 major, u32 minor, const struct file_ops *ops, u32 perm)
{
	return add_chr(devfs_root, name, (major << 8) | minor, ops, perm);
}

/* The devices a sandbox may open, by number (major << 8 | minor). */
static const u32 container_devices[] = {
	1 << 8 | 3, 1 << 8 | 5, 1 << 8 | 7, 1 << 8 | 8, 1 << 8 | 9, /* null zero full random urandom */
	5 << 8 | 0, 5 << 8 | 1, 5 << 8 | 2,                         /* tty console ptmx */
};

int devfs_allowed(u32 rdev)
{
	if (current->sb == &sandbox_root)
		return 1;
	for (u32 k = 0; k < BH_ARRAY_SIZE(container_devices); k++)
		if (container_devices[k] == rdev)
			return 1;
	return 0;
}

static int add_link(struct inode *dir, const char *name, const char *target)
{
	struct inode *l = inode_new(S_IFLNK | 0777);
	u64 n = strlen(target);
	if (!l || !(l->target = kmalloc(n + 1))) {
		iput(l);
		return -ENOMEM;
	}
	memcpy(l->target, target, n + 1);
	l->size = n;
	int r = dir_add(dir, name, l);
	iput(l);
	return r;
}

static int add_dir(struct inode *dir, const char *name, u32 mode)
{
	struct inode *d = inode_new(S_IFDIR | mode);
	int r = d ? dir_add(dir, name, d) : -ENOMEM;
	iput(d);
	return r;
}

/* A copy of devfs_root's entries that a sandbox may use. */
static struct inode *devfs_copy(void)
{
	struct inode *d = inode_new(S_IFDIR | 0755);
	int r = d ? 0 : -ENOMEM;
	for (struct dirent_k *e = devfs_root->children; !r && e; e = e->next) {
		struct inode *i = e->ino;
		if (S_ISCHR(i->mode) && devfs_allowed(i->rdev))
			r = add_chr(d, e->name, i->rdev, i->fops, i->mode & 07777);
		else if (S_ISLNK(i->mode))
			r = add_link(d, e->name, i->target);
		else if (S_ISDIR(i->mode))
			r = add_dir(d, e->name, i->mode & 07777);
	}
	if (d)
		d->nlink = 0; /* in no directory: freed with its sandbox and mounts */
	if (r) {
		iput(d);
		return 0;
	}
	return d;
}

/* mount -t devtmpfs: the host's devfs, or the calling sandbox's own. */
static struct inode *devfs_mount(void)
{
	struct sandbox *sb = current->sb;
	if (sb == &sandbox_root) {
		iget(devfs_root);
		return devfs_root;
	}
	if (!sb->dev)
		sb->dev = devfs_copy();
	iget(sb->dev);
	return sb->dev;
}

/* The operations of devfs's character device rdev, or NULL. */
const struct file_ops *chrdev_fops(u32 rdev)
{
	for (struct dirent_k *e = devfs_root->children; e; e = e->next)
		if (S_ISCHR(e->ino->mode) && e->ino->rdev == rdev)
			return e->ino->fops;
	return 0;
}

void devfs_init(void)
{
	devfs_root = inode_new(S_IFDIR | 0755);
	devfs_root->nlink = 2;
	fs_register_mount("devtmpfs", devfs_mount);
	devfs_register("null", 1, 3, &null_fops, 0666);
	devfs_register("zero", 1, 5, &zero_fops, 0666);
	devfs_register("full", 1, 7, &full_fops, 0666);
	devfs_register("random", 1, 8, &random_fops, 0666);
	devfs_register("urandom", 1, 9, &random_fops, 0666);
	const char *links[][2] = { { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
				   { "stderr", "/proc/self/fd/2" }, { "fd", "/proc/self/fd" } };
	for (u32 k = 0; k < BH_ARRAY_SIZE(links); k++)
		add_link(devfs_root, links[k][0], links[k][1]);
	add_dir(devfs_root, "shm", 01777);
}
