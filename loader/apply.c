/* Applies tar entries of one layer to a filesystem back-end.  Every path is
 * cleaned, then its parent components are resolved one by one through the
 * back-end's lstat/readlink: symlinks are followed as if the root were "/",
 * and a symlink whose target climbs above the root is an error, so a later
 * entry can never be written through a symlink to outside the root.
 * Freestanding; guest kernel and host tool. */
#include "apply.h"
#include "util.h"

#define MAXHOPS 40

long ld_clean_path(const char *in, char *out, const struct ld_limits *lim, struct ld_err *err)
{
	size_t n = 0, cl;
	u32 depth = 0;
	const char *c;
	while ((c = ld_path_next(&in, &cl))) {
		if (ld_is_dotdot(c, cl))
			return ld_fail(err, "path has a '..' component");
		if (cl > 255)
			return ld_fail(err, "path has a name longer than 255 bytes");
		if (++depth > lim->max_depth)
			return ld_fail(err, "path is deeper than %u components", lim->max_depth);
		if (n + cl + 1 > lim->max_path)
			return ld_fail(err, "path is longer than %u bytes", lim->max_path);
		if (n)
			out[n++] = '/';
		ld_memcpy(out + n, c, cl);
		n += cl;
	}
	out[n] = 0;
	return (long)n;
}

static int join(struct ld_apply *ap, char *dst, const char *dir, const char *name, size_t nl)
{
	size_t dl = ld_strlen(dir);
	if (dl + nl + 2 > ap->lim->max_path + 1)
		return ld_fail(ap->err, "resolved path is longer than %u bytes", ap->lim->max_path);
	ld_memmove(dst, dir, dl);
	if (dl)
		dst[dl++] = '/';
	ld_memcpy(dst + dl, name, nl);
	dst[dl + nl] = 0;
	return 0;
}

static const struct ld_meta implicit_dir = { 0755, 0, 0, 0, 0 };

/* Resolves directory path `dir` (cleaned) into `out`, following symlinks
 * inside the root.  Missing directories are created if `create`; otherwise
 * 1 is returned for a missing one.  0 on success, <0 on error. */
static int resolve_dir(struct ld_apply *ap, const char *dir, char *out, int create)
{
	struct ld_fs *fs = ap->fs;
	char *rest = ap->rest, *rest2 = ap->rest2;
	size_t max = 2 * (size_t)ap->lim->max_path + 2;
	int hops = 0;
	out[0] = 0;
	ld_strlcpy(rest, dir, max);
	const char *r = rest, *c;
	size_t cl;
	while ((c = ld_path_next(&r, &cl))) {
		if (ld_is_dotdot(c, cl)) {
			/* only symlink targets bring ".." here */
			char *slash = out + ld_strlen(out);
			if (slash == out)
				return ld_fail(ap->err, "a symlink on the path leads outside the root");
			while (slash > out && *slash != '/')
				slash--;
			*slash = 0;
			continue;
		}
		char *cand = ap->tmp;
		int type;
		if (join(ap, cand, out, c, cl) || fs->lstat(fs, cand, &type))
			return -1;
		if (type == LD_LNK) {
			if (++hops > MAXHOPS)
				return ld_fail(ap->err, "too many symlinks on the path at '%s'", cand);
			long tl = fs->readlink(fs, cand, ap->tfull, ap->lim->max_path + 1);
			if (tl < 0)
				return -1;
			if (tl == 0 || tl > (long)ap->lim->max_path)
				return ld_fail(ap->err, "symlink '%s' has a bad target", cand);
			ap->tfull[tl] = 0;
			if (ap->tfull[0] == '/')
				out[0] = 0;
			size_t rl = ld_strlen(r);
			if ((size_t)tl + rl + 2 > max)
				return ld_fail(ap->err, "path through symlink '%s' is too long", cand);
			ld_memcpy(rest2, ap->tfull, (size_t)tl);
			rest2[tl] = '/';
			ld_memcpy(rest2 + tl + 1, r, rl + 1);
			char *sw = rest;
			rest = rest2, rest2 = sw;
			r = rest;
			continue;
		}
		if (type == LD_NONE) {
			if (!create)
				return 1;
			if (fs->mkdir(fs, cand, &implicit_dir))
				return -1;
		} else if (type != LD_DIR) {
			return ld_fail(ap->err, "'%s' is not a directory", cand);
		}
		ld_strlcpy(out, cand, ap->lim->max_path + 1);
	}
	return 0;
}

/* Splits cleaned `path` into its parent (resolved into out) and last name. */
static int resolve_parent(struct ld_apply *ap, char *path, char *out, const char **name,
			  int create)
{
	char *slash = path + ld_strlen(path);
	while (slash > path && *slash != '/')
		slash--;
	*name = slash == path ? path : slash + 1;
	if (slash == path) {
		out[0] = 0;
		return 0;
	}
	*slash = 0;
	int rc;
	if (create && ap->cache_valid && !ld_strcmp(ap->cache_in, path)) {
		ld_strlcpy(out, ap->cache_out, ap->lim->max_path + 1);
		rc = 0;
	} else {
		rc = resolve_dir(ap, path, out, create);
		if (!rc && create) {
			ld_strlcpy(ap->cache_in, path, ap->lim->max_path + 1);
			ld_strlcpy(ap->cache_out, out, ap->lim->max_path + 1);
			ap->cache_valid = 1;
		}
	}
	*slash = '/';
	return rc;
}

/* ---- the set of paths of the current layer: every entry and every
 * ancestor of one (FNV-1a hashes of resolved paths) ---- */

#define FNV_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static u64 fnv(u64 h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (u8)*s) * FNV_PRIME;
	return h;
}

static u64 set_key(u64 h)
{
	return h ? h : 1;       /* 0 marks a free slot */
}

static u64 hash_path(const char *dir, const char *name)
{
	u64 h = fnv(FNV_BASIS, dir);
	if (*dir)
		h = (h ^ '/') * FNV_PRIME;
	return set_key(fnv(h, name));
}

static u32 slot(const u64 *set, u32 cap, u64 h)
{
	u32 i = (u32)h & (cap - 1);
	while (set[i] && set[i] != h)
		i = (i + 1) & (cap - 1);
	return i;
}

static void set_add(struct ld_apply *ap, u64 h)
{
	if (ap->set_full)
		return;
	if (ap->set_n + 1 > ap->set_cap / 4 * 3) {
		u32 nc = ap->set_cap * 2;
		u64 *ns = nc <= LD_LAYERSET ? ld_new(ap->a, nc * sizeof *ns) : 0;
		if (!ns) {
			ap->set_full = 1;       /* opaque whiteouts will refuse, see whiteout() */
			return;
		}
		for (u32 i = 0; i < ap->set_cap; i++)
			if (ap->set[i])
				ns[slot(ns, nc, ap->set[i])] = ap->set[i];
		ld_del(ap->a, ap->set);
		ap->set = ns;
		ap->set_cap = nc;
	}
	u32 i = slot(ap->set, ap->set_cap, h);
	if (!ap->set[i])
		ap->set[i] = h, ap->set_n++;
}

static int set_has(struct ld_apply *ap, u64 h)
{
	return ap->set[slot(ap->set, ap->set_cap, h)] == h;
}

/* Remembers dir/name and each ancestor.  A remembered path has its ancestors
 * remembered too, so a known dir ends the work early. */
static void remember(struct ld_apply *ap, const char *dir, const char *name)
{
	set_add(ap, hash_path(dir, name));
	if (!*dir || set_has(ap, set_key(fnv(FNV_BASIS, dir))))
		return;
	u64 h = FNV_BASIS;
	for (const char *s = dir;; s++) {
		if (!*s || *s == '/')
			set_add(ap, set_key(h));
		if (!*s)
			return;
		h = (h ^ (u8)*s) * FNV_PRIME;
	}
}

void ld_apply_layer(struct ld_apply *ap)
{
	if (ap->set_n)
		ld_memset(ap->set, 0, ap->set_cap * sizeof *ap->set);
	ap->set_n = 0;
	ap->set_full = 0;
}

/* ---- entries ---- */

static int remove_path(struct ld_apply *ap, const char *path)
{
	ap->cache_valid = 0;
	return ap->fs->remove(ap->fs, path);
}

/* ---- whiteouts hide what lower layers put there, never this layer's
 * entries, wherever the marker stands in the layer.  Trimming a directory
 * removes each child that is not in the set and trims each that is; the
 * directories still to trim wait on a stack of records: a child's name, then
 * its parent's length in ap->full and its own length (two u32). ---- */

static int push_child(struct ld_apply *ap, u32 plen, const char *name)
{
	u32 nlen = (u32)ld_strlen(name);
	size_t need = ap->trim_used + nlen + 8;
	if (need > ap->trim_cap) {
		size_t nc = ap->trim_cap ? ap->trim_cap * 2 : 4096;
		while (nc < need)
			nc *= 2;
		u8 *ns = ld_new(ap->a, nc);
		if (!ns)
			return -1;
		ld_memcpy(ns, ap->trim, ap->trim_used);
		ld_del(ap->a, ap->trim);
		ap->trim = ns;
		ap->trim_cap = nc;
	}
	u8 *p = ap->trim + ap->trim_used;
	ld_memcpy(p, name, nlen);
	ld_memcpy(p + nlen, &plen, 4);
	ld_memcpy(p + nlen + 4, &nlen, 4);
	ap->trim_used = need;
	return 0;
}

static int keep_child(void *ctx, const char *name)
{
	struct ld_apply *ap = ctx;
	if (!set_has(ap, hash_path(ap->full, name)))
		return 0;
	if (push_child(ap, (u32)ld_strlen(ap->full), name))
		ap->trim_nomem = 1;
	return 1;
}

/* Trims ap->full, which is in the set or the folder of an opaque marker. */
static int trim(struct ld_apply *ap)
{
	struct ld_fs *fs = ap->fs;
	u32 plen, nlen;
	int type;
	ap->cache_valid = 0;
	ap->trim_used = 0;
	ap->trim_nomem = 0;
	for (;;) {
		if (fs->lstat(fs, ap->full, &type))
			return -1;
		if (type == LD_DIR && fs->clear_dir(fs, ap->full, keep_child, ap))
			return -1;
		if (ap->trim_nomem)
			return ld_fail(ap->err, "out of memory");
		if (!ap->trim_used)
			return 0;
		u8 *top = ap->trim + ap->trim_used - 8;
		ld_memcpy(&plen, top, 4);
		ld_memcpy(&nlen, top + 4, 4);
		ap->trim_used -= 8 + nlen;
		ap->full[plen] = 0;
		if (join(ap, ap->full, ap->full, (const char *)top - nlen, nlen))
			return -1;
	}
}

static int whiteout(struct ld_apply *ap, const char *name)
{
	const char *victim = name + 4;
	int opaque = !ld_strcmp(victim, ".wh..opq");
	if (!opaque && (!*victim || !ld_strcmp(victim, ".") || !ld_strcmp(victim, "..")))
		return ld_fail(ap->err, "whiteout names no file");
	if (ap->set_full)
		return ld_fail(ap->err, "whiteout after more than %u entries in one layer",
			       ap->set_cap / 4 * 3);
	if (opaque) {
		ld_strlcpy(ap->full, ap->res, ap->lim->max_path + 1);
		return trim(ap);
	}
	if (join(ap, ap->full, ap->res, victim, ld_strlen(victim)))
		return -1;
	if (set_has(ap, hash_path(ap->res, victim)))
		return trim(ap);
	return remove_path(ap, ap->full);
}

static int hardlink(struct ld_apply *ap, const struct ld_tar_entry *e, int existing)
{
	const char *tname;
	long n = ld_clean_path(e->link, ap->tclean, ap->lim, ap->err);
	if (n < 0)
		return ld_prefix(ap->err, "hard link target '%s'", e->link);
	if (!n)
		return ld_fail(ap->err, "hard link to the root directory");
	int rc = resolve_parent(ap, ap->tclean, ap->tres, &tname, 0);
	if (rc < 0)
		return ld_prefix(ap->err, "hard link target '%s'", e->link);
	int type = LD_NONE;
	if (!rc && (join(ap, ap->tfull, ap->tres, tname, ld_strlen(tname)) ||
		    ap->fs->lstat(ap->fs, ap->tfull, &type)))
		return -1;
	if (type == LD_NONE)
		return ld_fail(ap->err, "hard link target '%s' does not exist", e->link);
	if (type == LD_DIR)
		return ld_fail(ap->err, "hard link target '%s' is a directory", e->link);
	if (!ld_strcmp(ap->tfull, ap->full))
		return 0;
	if (existing != LD_NONE && remove_path(ap, ap->full))
		return -1;
	return ap->fs->hardlink(ap->fs, ap->full, ap->tfull);
}

static int regular(struct ld_apply *ap, const struct ld_meta *m, struct ld_tar *t, u64 size)
{
	struct ld_fs *fs = ap->fs;
	void *fh;
	const u8 *p;
	long n;
	if (fs->create(fs, ap->full, size, &fh))
		return -1;
	while ((n = ld_tar_data(t, &p)) > 0)
		if (fs->write(fs, fh, p, (size_t)n))
			break;
	if (n) {
		fs->close(fs, fh, 0);
		return -1;
	}
	return fs->close(fs, fh, m);
}

int ld_apply_entry(struct ld_apply *ap, const struct ld_tar_entry *e, struct ld_tar *t)
{
	struct ld_fs *fs = ap->fs;
	const char *name;
	long n = ld_clean_path(e->path, ap->clean, ap->lim, ap->err);
	if (n <= 0)
		return (int)n;      /* the root itself: nothing to do */
	const char *base = ap->clean + n;
	while (base > ap->clean && base[-1] != '/')
		base--;
	if (ld_startswith(base, ".wh.")) {
		/* a whiteout: its directory must already exist to matter */
		int rc = resolve_parent(ap, ap->clean, ap->res, &name, 0);
		return rc ? (rc > 0 ? 0 : -1) : whiteout(ap, name);
	}
	if (resolve_parent(ap, ap->clean, ap->res, &name, 1))
		return -1;
	if (join(ap, ap->full, ap->res, name, ld_strlen(name)))
		return -1;
	remember(ap, ap->res, name);

	struct ld_meta m = { e->mode, e->uid, e->gid, e->mtime, e->mtime_nsec };
	int existing;
	if (fs->lstat(fs, ap->full, &existing))
		return -1;
	if (e->type == LD_DIR) {
		if (existing == LD_DIR)
			return fs->setmeta(fs, ap->full, &m);
		if (existing != LD_NONE && remove_path(ap, ap->full))
			return -1;
		return fs->mkdir(fs, ap->full, &m);
	}
	if (e->type == LD_TAR_HARDLINK)
		return hardlink(ap, e, existing);
	if (existing != LD_NONE && remove_path(ap, ap->full))
		return -1;
	switch (e->type) {
	case LD_REG:
		return regular(ap, &m, t, e->size);
	case LD_LNK:
		if (!e->link[0])
			return ld_fail(ap->err, "symlink with an empty target");
		return fs->symlink(fs, ap->full, e->link, &m);
	default:
		return fs->mknod(fs, ap->full, e->type, e->devmajor, e->devminor, &m);
	}
}

int ld_apply_init(struct ld_apply *ap, struct ld_fs *fs, const struct ld_limits *lim,
		  struct ld_alloc *a, struct ld_err *err)
{
	size_t pm = lim->max_path + 1;
	ld_memset(ap, 0, sizeof *ap);
	ap->fs = fs;
	ap->lim = lim;
	ap->err = err;
	char *b = ld_new(a, pm * 13);
	ap->a = a;
	ap->set_cap = 1024;
	ap->set = ld_new(a, ap->set_cap * sizeof *ap->set);
	if (!b || !ap->set) {
		ld_del(a, b);
		ld_del(a, ap->set);
		return ld_fail(err, "out of memory");
	}
	char **bufs[] = { &ap->clean, &ap->res, &ap->full, &ap->tmp, &ap->tclean, &ap->tres,
			  &ap->tfull, &ap->cache_in, &ap->cache_out };
	for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
		*bufs[i] = b + i * pm;
	ap->rest = b + 9 * pm;
	ap->rest2 = b + 11 * pm;
	return 0;
}

void ld_apply_free(struct ld_apply *ap, struct ld_alloc *a)
{
	ld_del(a, ap->clean);
	ld_del(a, ap->set);
	ld_del(a, ap->trim);
}

/* ---- docker cp's way in */
int ld_apply_copy(struct ld_apply *ap, struct ld_tar *t, const char *dir, int no_overwrite, const u32 *owner)
{
	struct ld_err *e = ap->err;
	size_t cap = 2 * (size_t)ap->lim->max_path + 2;
	char *clean = ld_new(ap->a, 3 * cap), *path, *link;
	const char *sep = *dir ? "/" : "";
	struct ld_tar_entry en;
	int rc, type;
	if (!clean)
		return ld_fail(e, "out of memory");
	path = clean + cap, link = clean + 2 * cap;
	ld_apply_layer(ap);
	while ((rc = ld_tar_next(t, &en)) > 0) {
		const char *name = en.path, *base = clean;
		long n = ld_clean_path(en.path, clean, ap->lim, e);
		for (const char *c = clean; n > 0 && *c; c++)
			if (*c == '/')
				base = c + 1;
		if (n >= 0 && ld_startswith(base, ".wh."))
			n = ld_fail(e, "whiteout names are not copied");
		if (n < 0) {
			rc = ld_prefix(e, "entry '%s'", name);
			break;
		}
		ld_snprintf(path, cap, "%s%s%s", dir, n ? sep : "", clean);
		if (n && no_overwrite && !ap->fs->lstat(ap->fs, path, &type) && type != LD_NONE &&
		    (type == LD_DIR) != (en.type == LD_DIR)) {
			rc = ld_fail(e, type == LD_DIR ? "cannot overwrite directory \"/%s\" with non-directory \"%s\""
						       : "cannot overwrite non-directory \"/%s\" with directory \"%s\"",
				     path, clean);
			break;
		}
		if (owner)
			en.uid = owner[0], en.gid = owner[1];
		ld_snprintf(path, cap, "%s%s%s", dir, sep, en.path);
		en.path = path;
		if (en.type == LD_TAR_HARDLINK) {
			ld_snprintf(link, cap, "%s%s%s", dir, sep, en.link);
			en.link = link;
		}
		if (ld_apply_entry(ap, &en, t)) {
			rc = ld_prefix(e, "entry '%s'", name);
			break;
		}
	}
	ld_del(ap->a, clean);
	return rc < 0 ? -1 : 0;
}
