/* Overlay roots of the guest kernel (guest/fs/overlay.c with inode.c's ramfs)
 * on the host: a lower tree under an empty upper.  Lookups make shadows with
 * the lower's metadata and no data, a write copies the data up once (and
 * puts everything back when memory runs out), removals leave whiteouts, a
 * directory made over one is opaque, and the lower never changes. */
#include <stdlib.h>
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "dev/dev.h"
#include "check.h"

/* What inode.c and overlay.c need from the rest of the kernel. */
static int pages_left = 1 << 20; /* page_alloc fails when this reaches 0 */
void *kmalloc(u64 n) { return malloc(n); }
static int index_fails; /* kzalloc fails for directory indexes (n a multiple of 256) */
void *kzalloc(u64 n) { return index_fails && n % 256 == 0 ? 0 : calloc(1, n); }
void kfree(void *p) { free(p); }
void *page_alloc(void) { return pages_left-- > 0 ? calloc(1, PAGE) : 0; }
void *page_alloc_run(u64 n) { return n == 1 && pages_left-- > 0 ? malloc(PAGE) : 0; } /* raw: not zeroed */
void page_free(void *p) { free(p); }
void mm_file_shrunk(struct inode *i, u64 end) { (void)i, (void)end; }
u64 now_ns(void) { return 0; }
u64 boot_epoch = 1000;
int copy_from_user(void *dst, u64 usrc, u64 n) { return memcpy(dst, (void *)usrc, n), 0; }
int copy_to_user(u64 udst, const void *src, u64 n) { return memcpy((void *)udst, src, n), 0; }
int clear_user(u64 udst, u64 n) { return memset((void *)udst, 0, n), 0; }
const struct file_ops fifo_fops;

static struct inode *add(struct inode *dir, const char *name, u32 mode)
{
	struct inode *i = inode_new(mode);
	dir_add(dir, name, i);
	iput(i);
	return i;
}

static struct inode *file(struct inode *dir, const char *name, const char *data, u64 size)
{
	struct inode *i = add(dir, name, S_IFREG | 0644);
	ramfs_write_k(i, data, size, 0);
	return i;
}

static int entries(struct inode *dir, const char *name) /* named name, whiteouts too; all if name is NULL */
{
	int n = 0;
	for (struct dirent_k *d = dir->children; d; d = d->next)
		n += !name || !strcmp(d->name, name);
	return n;
}

/* A big directory's index (inode.c): every name found, listing order kept,
 * removals anywhere (the last one included), names coming back over
 * whiteouts, and the same answers when no index could be made. */
static void test_index(int fail)
{
	enum { N = 600 };
	char name[16];
	index_fails = fail;
	CHECK(sizeof(struct inode) % 256 != 0); /* the stub tells the two apart */
	struct inode *d = inode_new(S_IFDIR | 0755), *lower = inode_new(S_IFDIR | 0755), *up = inode_new(S_IFDIR | 0755);
	d->nlink = lower->nlink = up->nlink = 2;
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "n%d", i);
		add(d, name, S_IFREG);
	}
	CHECK(fail ? !d->index : d->index && d->index_size >= N && d->nchildren == N);
	int found = 0, order = 0, k = 0;
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "n%d", i);
		struct inode *i2 = dir_lookup(d, name);
		found += i2 != 0;
		iput(i2);
	}
	for (struct dirent_k *e = d->children; e; e = e->next, k++) {
		snprintf(name, sizeof name, "n%d", k);
		order += !strcmp(e->name, name);
	}
	CHECK(found == N && order == N && !dir_lookup(d, "n600") && !dir_lookup(d, "n"));
	/* every third goes, the last one too; then one more at the end */
	for (int i = N - 1; i >= 0; i -= 3) {
		snprintf(name, sizeof name, "n%d", i);
		CHECK(dir_remove(d, name) == 0);
	}
	CHECK(dir_remove(d, "n599") == -ENOENT && d->nchildren == N - N / 3);
	add(d, "tail", S_IFREG);
	found = 0;
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "n%d", i);
		struct inode *i2 = dir_lookup(d, name);
		found += (i2 != 0) == ((N - 1 - i) % 3 != 0);
		iput(i2);
	}
	CHECK(found == N && d->last && !strcmp(d->last->name, "tail") && !d->last->next && entries(d, 0) == N - N / 3 + 1);
	/* an overlay's big merged directory: whiteouts, and names back over them */
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof name, "l%d", i);
		add(lower, name, S_IFREG);
	}
	CHECK(ovl_attach(up, lower) == 0 && ovl_fill(up) == 0 && entries(up, 0) == 100);
	for (int i = 0; i < 100; i += 2) {
		snprintf(name, sizeof name, "l%d", i);
		CHECK(dir_remove(up, name) == 0 && !dir_lookup(up, name));
	}
	add(up, "l10", S_IFREG);
	struct inode *back = dir_lookup(up, "l10"), *kept = dir_lookup(up, "l11");
	CHECK(back && kept && back->lower == 0 && kept->lower && entries(up, "l10") == 1 && entries(up, 0) == 100);
	iput(back);
	iput(kept);
	struct inode *roots[] = { up, d, lower };
	for (int r = 0; r < 3; r++) {
		roots[r]->nlink = 0;
		iput(roots[r]);
	}
	index_fails = 0;
}

/* A file served from read-only bytes in place (inode.c's backing, as a
 * utility's layer files are): reads come from the backing and make no page;
 * a page is made, with the backing's bytes and zeros past them, only when
 * it is mapped or written; nothing past the backed bytes ever shows, after
 * an extending write or a truncate either; an overlay copies it up whole. */
static void test_backing(void)
{
	enum { SIZE = 2 * PAGE + 100 };
	static u8 src[6 * PAGE], out[6 * PAGE], want[6 * PAGE];
	for (u64 k = 0; k < sizeof src; k++)
		src[k] = k < SIZE ? (u8)(k * 7 + 1) : 'X'; /* past the file: not its bytes */
	struct inode *i = inode_new(S_IFREG | 0644);
	i->backing = src;
	i->size = i->backed = SIZE;
	u64 fs0 = fs_pages;
	CHECK(ramfs_read(i, out, sizeof out, 0) == SIZE && !memcmp(out, src, SIZE));
	CHECK(ramfs_read(i, out, 20, PAGE - 10) == 20 && !memcmp(out, src + PAGE - 10, 20));
	CHECK(fs_pages == fs0 && i->npages == 0); /* read in place */
	u8 *pg = ramfs_page(i, 2); /* a mapping's page: the tail, then zeros */
	CHECK(pg && !memcmp(pg, src + 2 * PAGE, 100) && pg[100] == 0 && pg[PAGE - 1] == 0 && fs_pages == fs0 + 1);
	CHECK(ramfs_page(i, 3) == 0); /* past the end: a hole */
	CHECK(ramfs_write_k(i, "abc", 3, PAGE + 5) == 3);
	memcpy(want, src, SIZE);
	memcpy(want + PAGE + 5, "abc", 3);
	CHECK(ramfs_read(i, out, sizeof out, 0) == SIZE && !memcmp(out, want, SIZE));
	CHECK(ramfs_write_k(i, "z", 1, 5 * PAGE) == 1 && i->size == 5 * PAGE + 1);
	memset(want + SIZE, 0, 5 * PAGE - SIZE);
	want[5 * PAGE] = 'z';
	CHECK(ramfs_read(i, out, sizeof out, 0) == 5 * PAGE + 1 && !memcmp(out, want, 5 * PAGE + 1));
	CHECK(ramfs_truncate(i, PAGE / 2) == 0 && i->backing == 0 && ramfs_truncate(i, 2 * PAGE) == 0);
	memset(want + PAGE / 2, 0, 2 * PAGE - PAGE / 2);
	CHECK(ramfs_read(i, out, sizeof out, 0) == 2 * PAGE && !memcmp(out, want, 2 * PAGE));
	iput(i);

	struct inode *w = inode_new(S_IFREG | 0644); /* a page written whole takes none of the backing */
	w->backing = src;
	w->size = w->backed = SIZE;
	memset(want, 'w', PAGE);
	CHECK(ramfs_write_k(w, want, PAGE, 0) == PAGE && !memcmp(ramfs_page(w, 0), want, PAGE));
	CHECK(ramfs_read(w, out, SIZE, 0) == SIZE && !memcmp(out, want, PAGE) && !memcmp(out + PAGE, src + PAGE, SIZE - PAGE));
	u64 before = fs_pages;
	CHECK(ramfs_truncate(w, 0) == 0 && w->backing == 0 && fs_pages == before - 1); /* none made for it */
	iput(w);

	struct inode *lower = inode_new(S_IFDIR | 0755), *upper = inode_new(S_IFDIR | 0755);
	lower->nlink = upper->nlink = 2;
	struct inode *lf = add(lower, "f", S_IFREG | 0644);
	lf->backing = src;
	lf->size = lf->backed = SIZE;
	CHECK(ovl_attach(upper, lower) == 0);
	struct inode *uf = dir_lookup(upper, "f");
	CHECK(uf && ramfs_write_k(uf, "!", 1, 0) == 1); /* copied up, then written */
	memcpy(want, src, SIZE);
	want[0] = '!';
	CHECK(uf && ramfs_read(uf, out, sizeof out, 0) == SIZE && !memcmp(out, want, SIZE));
	CHECK(ramfs_read(lf, out, sizeof out, 0) == SIZE && !memcmp(out, src, SIZE)); /* the lower as it was */
	iput(uf);
	upper->nlink = lower->nlink = 0; /* the upper first: it holds the lower */
	iput(upper);
	iput(lower);
	CHECK(fs_pages == fs0);
}

int main(int argc, char **argv)
{
	test_index(0);
	test_index(1);
	test_backing();
	(void)argc;
	static char big[3 * PAGE + 10];
	memset(big, 'b', sizeof big);
	struct inode *lower = inode_new(S_IFDIR | 0755), *upper = inode_new(S_IFDIR | 0755);
	struct inode *other = inode_new(S_IFDIR | 0755);
	lower->nlink = upper->nlink = other->nlink = 2;
	struct inode *etc = add(lower, "etc", S_IFDIR | 0755), *sub = add(etc, "sub", S_IFDIR | 0700);
	struct inode *motd = file(etc, "motd", "original\n", 9), *lbig = file(lower, "big", big, sizeof big);
	file(sub, "f", "f", 1);
	motd->uid = 7;
	u64 fs0 = fs_pages, etc_nlink = etc->nlink;
	struct timespec_k etc_mtime = { 5, 6 };
	etc->mtime = etc_mtime;

	CHECK(ovl_attach(upper, lower) == 0 && ovl_attach(upper, lower) == 0); /* again: kept */
	CHECK(ovl_attach(upper, other) == -EINVAL);
	CHECK(ovl_attach(etc, lower) == -EINVAL && ovl_attach(lower, etc) == -EINVAL); /* one inside the other */
	add(other, "x", S_IFREG);
	CHECK(ovl_attach(other, etc) == -ENOTEMPTY);

	/* a lookup makes a shadow: the lower's metadata, no data of its own */
	struct inode *e = dir_lookup(upper, "etc"), *m = dir_lookup(e, "motd");
	CHECK(e && e != etc && e->lower == etc && e->ino == etc->ino && e->nlink == etc->nlink);
	CHECK(upper->nlink == 2 && e->mtime.sec == 5 && e->parent == upper);
	CHECK(m && m != motd && m->ino == motd->ino && m->uid == 7 && m->size == 9 && !m->npages);
	CHECK(ramfs_page(m, 0) == ramfs_page(motd, 0) && fs_pages == fs0);
	CHECK(!dir_lookup(upper, "nothing") && entries(upper, 0) == 1);

	/* the first write copies the data up, once; the lower keeps its own */
	CHECK(ramfs_write_k(m, "changed", 7, 0) == 7 && !m->lower && fs_pages == fs0 + 1);
	CHECK(!memcmp(ramfs_page(m, 0), "changedl\n", 9) && !memcmp(ramfs_page(motd, 0), "original\n", 9));
	CHECK(m->ino == motd->ino && ramfs_write_k(m, "x", 1, 0) == 1 && fs_pages == fs0 + 1);

	/* out of memory half-way through a copy-up: as it was */
	struct inode *b = dir_lookup(upper, "big");
	pages_left = 2;
	CHECK(ramfs_page_make(b, 0) == 0 && b->lower == lbig && fs_pages == fs0 + 1);
	CHECK(ramfs_truncate(b, 1) == -ENOMEM && b->size == sizeof big && ramfs_page(b, 3) == ramfs_page(lbig, 3));
	pages_left = 1 << 20;
	CHECK(ramfs_truncate(b, PAGE + 1) == 0 && !b->lower && b->size == PAGE + 1 && fs_pages == fs0 + 3);
	CHECK(lbig->size == sizeof big && ramfs_page(lbig, 3)[9] == 'b');

	/* removing a lower name leaves a whiteout; a new one replaces it */
	iput(m);
	CHECK(dir_remove(e, "motd") == 0 && !dir_lookup(e, "motd") && entries(e, "motd") == 1);
	CHECK(dir_lookup(etc, "motd") == motd && motd->refs-- && motd->nlink == 1);
	m = add(e, "motd", S_IFREG | 0600);
	CHECK(entries(e, "motd") == 1 && dir_lookup(e, "motd") == m && m->refs--);

	/* a merged directory is empty when its lower's entries are whited out */
	struct inode *s = dir_lookup(e, "sub");
	CHECK(!dir_empty(s) && entries(s, 0) == 1 && s->lower_all);
	CHECK(ovl_fill(s) == 0 && entries(s, 0) == 1); /* filled once */
	CHECK(dir_remove(s, "f") == 0 && dir_empty(s) && entries(s, "f") == 1);
	iput(s);
	CHECK(dir_remove(e, "sub") == 0 && !dir_lookup(e, "sub"));

	/* a directory made over a whiteout is opaque */
	CHECK(dir_remove(e, "motd") == 0 && !dir_lookup(e, "motd") && entries(e, "motd") == 1); /* the lower's still hidden */
	struct inode *u = add(e, "mine", S_IFREG);
	CHECK(u && dir_remove(e, "mine") == 0 && entries(e, "mine") == 0); /* not in the lower: no whiteout */
	iput(e);
	CHECK(dir_remove(upper, "etc") == 0 && entries(upper, "etc") == 1);
	struct inode *n = add(upper, "etc", S_IFDIR | 0755);
	CHECK(dir_lookup(upper, "etc") == n && n->refs-- && !dir_lookup(n, "motd") && !dir_lookup(n, "sub"));

	/* and the lower is as it was */
	CHECK(entries(lower, 0) == 2 && entries(etc, 0) == 2 && entries(sub, 0) == 1 && etc->nlink == etc_nlink);
	CHECK(etc->mtime.sec == 5 && !memcmp(ramfs_page(motd, 0), "original\n", 9) && motd->size == 9);
	CHECK(ovl_whiteout.refs > 0 && ovl_whiteout.nlink == 1);
	iput(b);
	struct inode *roots[] = { upper, lower, other }; /* the upper first: it holds the lower */
	for (int k = 0; k < 3; k++) {
		roots[k]->nlink = 0;
		iput(roots[k]);
	}
	CHECK(fs_pages == 0); /* every data page freed, none of them twice */
	return check_summary(argv[0]);
}
