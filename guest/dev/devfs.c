/*
 * devfs (guest ring 0): the character devices every program expects,
 * /dev/null, zero, full, random and urandom, in a ramfs directory that is
 * mounted on /dev; drivers add theirs by name (devfs_register: the tty, the
 * host driver).  Also the kernel's random numbers.
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

int devfs_register(const char *name, u32 major, u32 minor, const struct file_ops *ops, u32 perm)
{
	struct inode *i = inode_new(S_IFCHR | perm);
	if (!i)
		return -ENOMEM;
	i->rdev = (major << 8) | minor;
	i->fops = ops;
	int r = dir_add(devfs_root, name, i);
	iput(i);
	return r;
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
	fs_register("devtmpfs", devfs_root);
	devfs_register("null", 1, 3, &null_fops, 0666);
	devfs_register("zero", 1, 5, &zero_fops, 0666);
	devfs_register("full", 1, 7, &full_fops, 0666);
	devfs_register("random", 1, 8, &random_fops, 0666);
	devfs_register("urandom", 1, 9, &random_fops, 0666);
	const char *links[][2] = { { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
				   { "stderr", "/proc/self/fd/2" }, { "fd", "/proc/self/fd" } };
	for (u32 k = 0; k < BH_ARRAY_SIZE(links); k++) {
		struct inode *l = inode_new(S_IFLNK | 0777);
		u64 n = strlen(links[k][1]);
		l->target = kmalloc(n + 1);
		memcpy(l->target, links[k][1], n + 1);
		l->size = n;
		dir_add(devfs_root, links[k][0], l);
		iput(l);
	}
	struct inode *shm = inode_new(S_IFDIR | 01777);
	dir_add(devfs_root, "shm", shm);
	iput(shm);
}
