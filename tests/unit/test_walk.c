/* Path resolution of the guest kernel (guest/fs/walk.c) on the host: a tree
 * of fake inodes, walked from a root and a start directory.  A walk never
 * leaves its root: "..", symlinks with ".." or absolute targets, mounts. */
#include <stdlib.h>
#include "../../lib/string.h"
#include "fs/vfs.h"
#include "mm/mm.h"
#include "check.h"

/* What walk.c needs from the rest of the kernel. */
void *kmalloc(u64 n) { return malloc(n); }
void kfree(void *p) { free(p); }
void iget(struct inode *i)
{
	if (i)
		i->refs++;
}
void iput(struct inode *i)
{
	if (i)
		i->refs--;
}
struct inode *dir_lookup(struct inode *dir, const char *name)
{
	struct inode *r = 0;
	if (!strcmp(name, "."))
		r = dir;
	else if (!strcmp(name, ".."))
		r = dir->parent ? dir->parent : dir;
	else
		for (struct dirent_k *d = dir->children; d; d = d->next)
			if (!strcmp(d->name, name))
				r = d->ino;
	iget(r);
	return r;
}

/* The tree lives in static pools: nothing to free. */
static struct inode inodes[32];
static struct {
	struct dirent_k d;
	char name[16];
} dirents[32];
static int n_inodes, n_dirents;

static struct inode *node(struct inode *dir, const char *name, u32 mode, const char *target)
{
	struct inode *i = &inodes[n_inodes++];
	i->mode = mode;
	i->parent = dir;
	i->target = (char *)target;
	if (dir) {
		struct dirent_k *d = &dirents[n_dirents++].d;
		memcpy(d->name, name, strlen(name) + 1);
		d->ino = i;
		d->next = dir->children;
		dir->children = d;
	}
	return i;
}

static struct inode *mkdir_(struct inode *d, const char *n) { return node(d, n, S_IFDIR | 0755, 0); }
static struct inode *file(struct inode *d, const char *n) { return node(d, n, S_IFREG | 0644, 0); }
static struct inode *link_(struct inode *d, const char *n, const char *t) { return node(d, n, S_IFLNK | 0777, t); }

/* The inode path names from (root, start), or NULL; *err the error. */
static struct inode *walk(struct inode *root, struct inode *start, const char *path, int flags, int *err)
{
	struct inode *out = 0;
	*err = path_walk(root, start, path, flags, &out, 0);
	if (!*err)
		iput(out);
	return *err ? 0 : out;
}

int main(int argc, char **argv)
{
	(void)argc;
	int e;
	/* /a/b, /etc/passwd, /box (a root) with /box/etc/passwd, /box/x/y */
	struct inode *top = mkdir_(0, ""), *a = mkdir_(top, "a"), *b = mkdir_(a, "b");
	struct inode *etc = mkdir_(top, "etc"), *passwd = file(etc, "passwd");
	struct inode *box = mkdir_(top, "box"), *betc = mkdir_(box, "etc"), *bpasswd = file(betc, "passwd");
	struct inode *x = mkdir_(box, "x"), *y = mkdir_(x, "y");
	link_(box, "up", "../../../etc/passwd");
	link_(box, "abs", "/etc/passwd");
	link_(y, "rel", "../../etc");
	link_(box, "loop", "loop");
	link_(top, "toa", "a");

	/* from the machine's root */
	CHECK(walk(top, top, "/a/b", LOOKUP_FOLLOW, &e) == b);
	CHECK(walk(top, a, "b/..", LOOKUP_FOLLOW, &e) == a);
	CHECK(walk(top, top, "/toa/b", LOOKUP_FOLLOW, &e) == b);
	CHECK(walk(top, top, "/etc/passwd", LOOKUP_FOLLOW, &e) == passwd);
	CHECK(!walk(top, top, "/etc/passwd/", LOOKUP_FOLLOW, &e) && e == -ENOTDIR);
	CHECK(!walk(top, top, "/nope", LOOKUP_FOLLOW, &e) && e == -ENOENT);
	CHECK(!walk(top, top, "", LOOKUP_FOLLOW, &e) && e == -ENOENT);

	/* from inside box, box as root: nothing above it is reachable */
	CHECK(walk(box, box, "/..", LOOKUP_FOLLOW, &e) == box);
	CHECK(walk(box, y, "../../../../..", LOOKUP_FOLLOW, &e) == box);
	CHECK(walk(box, y, "../../../etc/passwd", LOOKUP_FOLLOW, &e) == bpasswd);
	CHECK(walk(box, box, "/etc/passwd", LOOKUP_FOLLOW, &e) == bpasswd);
	CHECK(walk(box, box, "up", LOOKUP_FOLLOW, &e) == bpasswd);  /* ../../../etc/passwd */
	CHECK(walk(box, box, "abs", LOOKUP_FOLLOW, &e) == bpasswd); /* /etc/passwd */
	CHECK(walk(box, y, "rel/passwd", LOOKUP_FOLLOW, &e) == bpasswd);
	CHECK(walk(box, box, "abs", 0, &e) != bpasswd);             /* the link itself */
	CHECK(!walk(box, box, "loop", LOOKUP_FOLLOW, &e) && e == -ELOOP);

	/* the parent and last name, for create and remove */
	struct last l;
	struct inode *p = 0;
	CHECK(!path_walk(box, y, "../../../new/", LOOKUP_PARENT, &p, &l) && p == box && !strcmp(l.name, "new") &&
	      l.slash);
	iput(p);
	CHECK(!path_walk(box, box, "/", LOOKUP_PARENT, &p, &l) && p == box && !l.name[0]);
	iput(p);

	/* a file system mounted on box/x: its root is what x names */
	struct inode *fs = mkdir_(0, ""), *in = file(fs, "in");
	fs->parent = box;
	x->mounted = fs;
	CHECK(walk(box, box, "/x/in", LOOKUP_FOLLOW, &e) == in);
	CHECK(walk(box, box, "/x/..", LOOKUP_FOLLOW, &e) == box);
	x->mounted = 0;

	/* a start directory inside a root, or not (a sandbox refuses the latter) */
	CHECK(inode_within(y, box) && inode_within(box, box) && inode_within(in, box));
	CHECK(!inode_within(a, box) && !inode_within(top, box) && inode_within(passwd, top));

	/* every reference taken was given back */
	struct inode *all[] = { top, a, b, etc, passwd, box, betc, bpasswd, x, y, fs, in };
	int leaked = 0;
	for (unsigned k = 0; k < sizeof all / sizeof all[0]; k++)
		leaked |= all[k]->refs != 0;
	CHECK(!leaked);
	return check_summary(argv[0]);
}
