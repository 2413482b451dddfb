/*
 * docker cp in a utility partition (guest ring 0, utility role).  An EXEC
 * with BH_SPEC_COPY runs no program: its task (uvm.c) calls uvm_copy in the
 * container's root, as root, with the pipes of any exec for stdin and
 * stdout, so the host drives it as it drives an exec.  argv (channel.h):
 *   stat PATH     the answer line only
 *   get PATH      the answer line, then a tar of PATH (a folder with all
 *                 below it, not crossing into /proc or /dev), its members
 *                 named from PATH's last name ("./" for the root)
 *   put DIR [no-overwrite]   stdin (a tar, or a gzip'd one) unpacked in DIR
 *                 by the loader (loader/apply.c ld_apply_copy, as the
 *                 daemon does for a process container); the spec's user,
 *                 when given, owns every member (copyUIDGID)
 * stat and get read stdin to its end first: the host closes it once it is
 * there to read the answer.
 * The answer line is "200 MODE SIZE MTIME NSEC\n" then PATH's last name
 * and its link target (resolved in the root, or as read) each ended by a
 * NUL, for stat and get; "200\n" for put; or "STATUS MESSAGE\n" (404, 400,
 * 500).  The exit status says whether a get's tar is whole (0) or was cut
 * short (1).
 */
#include "../../lib/fmt.h"
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "fs/vfs.h"
#include "bh/bh.h"
/* loader/ld.h has its own fixed-width typedefs (u64 = uint64_t): rename them */
#define u64 ld_u64_t
#define s64 ld_s64_t
#include "../../loader/tar.h"
#undef u64
#undef s64

/* Writes all of p to fd 1: 0, or -1 (the reader is gone, or a signal). */
static int out(const void *p, u64 n)
{
	struct file *f = current->files->fd[1];
	const u8 *b = p;
	while (f && n) {
		s64 w = kernel_write(f, b, n);
		if (w <= 0)
			return -1;
		b += w, n -= (u64)w;
	}
	return f ? 0 : -1;
}

static int answer(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int answer(const char *fmt, ...)
{
	static char line[600];
	va_list ap;
	va_start(ap, fmt);
	int n = bh_vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	return out(line, (u64)n);
}

/* ---- get: a tar of the tree, depth first, each folder before its entries */
struct item {
	struct inode *i;    /* referenced */
	char *name;         /* the member's name, kmalloc'd */
};

struct walk {
	struct item *v;
	u32 n, cap;
	u8 *hdr, *buf;      /* LD_TAR_HDR_MAX, 4096 */
};

static int push(struct walk *w, struct inode *i, const char *dir, const char *name)
{
	u64 a = strlen(dir), b = strlen(name);
	if (a + b + 2 >= LD_TAR_NAME_MAX)
		return 0;   /* longer than a tar name may be (LD_TAR_NAME_MAX): left out */
	if (w->n == w->cap) {
		u32 cap = w->cap ? 2 * w->cap : 64;
		struct item *v = kmalloc(cap * sizeof *v);
		if (!v)
			return -1;
		if (w->n)
			memcpy(v, w->v, w->n * sizeof *v);
		kfree(w->v);
		w->v = v, w->cap = cap;
	}
	char *s = kmalloc(a + b + 2);
	if (!s)
		return -1;
	memcpy(s, dir, a);
	memcpy(s + a, name, b + 1);
	if (S_ISDIR(i->mode))
		s[a + b] = '/', s[a + b + 1] = 0;
	iget(i);
	w->v[w->n++] = (struct item){ i, s };
	return 0;
}

/* A folder's entries, pushed last first so that they come out in its order;
 * a file system mounted on one (/proc, /dev) is not entered. */
static int push_children(struct walk *w, struct item *it)
{
	if (it->i->dops)
		return 0;
	u32 n = 0, at = w->n;
	for (struct dirent_k *d = it->i->children; d; d = d->next)
		if (d->ino != &ovl_whiteout && !d->ino->mounted) {
			if (push(w, d->ino, it->name, d->name))
				return -1;
			n++;
		}
	for (u32 a = at, b = at + n; a + 1 < b; a++, b--) {   /* reverse the run just pushed */
		struct item t = w->v[a];
		w->v[a] = w->v[b - 1];
		w->v[b - 1] = t;
	}
	return 0;
}

static int member(struct walk *w, struct item *it)
{
	struct inode *i = it->i;
	struct ld_tar_hdr m = { it->name, 0, '0', i->mode, i->uid, i->gid, 0, 0, 0, i->mtime.sec };
	if (S_ISREG(i->mode))
		m.size = i->size;
	else if (S_ISDIR(i->mode))
		m.type = '5';
	else if (S_ISLNK(i->mode))
		m.type = '2', m.link = i->target ? i->target : "";
	else if (S_ISCHR(i->mode) || S_ISBLK(i->mode))
		m.type = S_ISCHR(i->mode) ? '3' : '4', m.major = (i->rdev >> 8) & 0xfff,
		m.minor = (i->rdev & 0xff) | ((i->rdev >> 12) & 0xfff00);
	else if (S_ISFIFO(i->mode))
		m.type = '6';
	else
		return 0;   /* a socket: as tar, left out */
	u64 n = ld_tar_header(w->hdr, &m);
	if (!n || out(w->hdr, n))
		return -1;
	for (u64 pos = 0; pos < m.size;) {
		u64 k = m.size - pos < 4096 ? m.size - pos : 4096;
		s64 r = ramfs_read(i, w->buf, k, pos);
		if (r <= 0)
			memset(w->buf, 0, k), r = (s64)k;   /* shrunk meanwhile: the header's size holds */
		if (out(w->buf, (u64)r))
			return -1;
		pos += (u64)r;
	}
	memset(w->buf, 0, 512);
	return out(w->buf, -m.size & 511);
}

static int tar_tree(struct inode *top, const char *name)
{
	struct walk w = { 0 };
	int rc = 0;
	w.hdr = kmalloc(LD_TAR_HDR_MAX);
	w.buf = kmalloc(4096);
	if (!w.hdr || !w.buf || push(&w, top, "", name))
		rc = -1;
	while (!rc && w.n) {
		struct item it = w.v[--w.n];
		rc = member(&w, &it);
		if (!rc && S_ISDIR(it.i->mode))
			rc = push_children(&w, &it);
		iput(it.i);
		kfree(it.name);
	}
	if (!rc) {
		memset(w.buf, 0, 1024);
		rc = out(w.buf, 1024);
	}
	while (w.n) {
		iput(w.v[--w.n].i);
		kfree(w.v[w.n].name);
	}
	kfree(w.v);
	kfree(w.hdr);
	kfree(w.buf);
	return rc;
}

/* ---- stat and get */
static int stat_get(const char *path, int get)
{
	static char name[NAME_MAX + 2], link[PATH_MAX];
	struct inode *i, *t;
	struct kstat st;
	if (path_lookup(AT_FDCWD, path, 0, &i, 0)) {
		answer("404 Could not find the file %s in container", path);
		return 0;
	}
	fill_stat(i, &st);
	/* the last name, as filepath.Base ("/" for the root) */
	u64 end = strlen(path), b;
	while (end > 1 && path[end - 1] == '/')
		end--;
	for (b = end; b > 0 && path[b - 1] != '/'; b--)
		;
	bh_snprintf(name, sizeof name, "%.*s", b == end ? 1 : (int)(end - b), b == end ? "/" : path + b);
	link[0] = 0;
	if (S_ISLNK(i->mode)) {
		if (path_lookup(AT_FDCWD, path, LOOKUP_FOLLOW, &t, 0) == 0) {
			if (inode_path(t, link, sizeof link) < 0)
				link[0] = 0;
			iput(t);
		}
		if (!link[0] && i->target)
			bh_snprintf(link, sizeof link, "%s", i->target);
	}
	int rc = answer("200 %u %lld %llu %llu", st.st_mode, (long long)st.st_size, (unsigned long long)st.st_mtime,
			(unsigned long long)st.st_mtime_nsec) ||
		 out(name, strlen(name) + 1) || out(link, strlen(link) + 1);
	if (!rc && get)
		rc = tar_tree(i, strcmp(name, "/") ? name : ".");
	iput(i);
	return rc ? 1 : 0;
}

/* ---- put */
static int put(const char *dir, int no_overwrite, const char *user)
{
	static char where[PATH_MAX];
	u32 owner[2];
	struct inode *d;
	if (path_lookup(AT_FDCWD, dir, LOOKUP_FOLLOW, &d, 0)) {
		answer("404 Could not find the file %s in container", dir);
		return 0;
	}
	int isdir = S_ISDIR(d->mode), len = inode_path(d, where, sizeof where);
	iput(d);
	if (!isdir)
		answer("400 extraction point is not a directory");
	else if (len < 0)
		answer("500 %s: the folder has no path", dir);
	if (!isdir || len < 0)
		return 0;
	int bad = uvm_ids(user, &owner[0], &owner[1]);
	if (bad) {
		u64 c = 0;
		while (user[c] && user[c] != ':')
			c++;
		if (bad == -2)
			answer("400 unable to find group %s: no matching entries in group file", user + c + 1);
		else
			answer("400 unable to find user %.*s: no matching entries in passwd file", (int)c, user);
		return 0;
	}
	static char msg[LD_ERR_MAX];
	int st = rootfs_copy_in(current->files->fd[0], where + 1, no_overwrite, *user ? owner : 0, msg, sizeof msg);
	if (st == 200)
		answer("200");
	else
		answer("%d %s", st, msg);
	return 0;
}

/* One copy at a time: the loader's back-end and the buffers above are
 * shared, and a copy sleeps whenever its pipe is full or empty. */
int uvm_copy(char **argv, const char *user)
{
	static int busy;
	int rc = 0;
	while (busy) {
		if (signal_pending())
			return 1;
		sleep_on(&busy);
	}
	busy = 1;
	if (argv[0] && argv[1] && (!strcmp(argv[0], "stat") || !strcmp(argv[0], "get"))) {
		/* Nothing is said before the host's end of stdin: it comes once the
		 * host is there to read (its worker keeps only 64 KiB of an exec's
		 * output from before that). */
		static u8 sink[512];
		struct file *in = current->files->fd[0];
		while (in && kernel_read(in, sink, sizeof sink) > 0)
			;
		rc = stat_get(argv[1], !strcmp(argv[0], "get"));
	}
	else if (argv[0] && argv[1] && !strcmp(argv[0], "put"))
		rc = put(argv[1], argv[2] && !strcmp(argv[2], "no-overwrite"), user);
	else
		answer("400 bad copy request");
	busy = 0;
	wakeup(&busy);
	return rc;
}
