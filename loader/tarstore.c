/* An image store over a tarball of an OCI layout or a docker-archive: one
 * pass over the tar headers builds an index (name -> offset, size), then
 * files are opened as byte ranges of the random-access source (zero-copy
 * when the tarball is in memory).  Symlinks inside the archive (docker's
 * <id>/layer.tar -> ../<digest>.tar) are followed lexically, never out of
 * it.  Freestanding; guest kernel and host. */
#include "tar.h"
#include "util.h"

#define MAXENTS 65536u
#define NAMECAP (4u << 20)
#define RDBUF (256u * 1024)
#define MAXNAME 1024u

struct tent {
	u32 name, link;     /* offsets into names */
	u64 off, size;
	int type;
};

struct rsrc {
	struct ld_src src;
	struct ld_ra *ra;
	u64 pos, end;
	u8 *buf;            /* RDBUF bytes, when the source is not in memory */
};

struct tarstore {
	struct ld_store st;
	struct ld_ra *ra;
	struct ld_alloc *a;
	struct tent *ents;
	u32 n, cap;
	char *names;
	size_t names_used, names_cap;
};

/* Doubles an array (up to max bytes); 0 or -1. */
static int grow(struct ld_alloc *a, void **p, size_t *cap, size_t used, size_t need, size_t max)
{
	size_t nc = *cap ? *cap : 4096;
	while (nc < used + need)
		nc *= 2;
	if (nc == *cap)
		return 0;
	if (nc > max)
		return -1;
	void *q = ld_new(a, nc);
	if (!q)
		return -1;
	ld_memcpy(q, *p, used);
	ld_del(a, *p);
	*p = q;
	*cap = nc;
	return 0;
}

static long rsrc_pull(struct ld_src *s, const u8 **p)
{
	struct rsrc *r = (struct rsrc *)s;
	u64 left = r->end - r->pos;
	size_t n = left < RDBUF ? (size_t)left : RDBUF;
	if (!n)
		return 0;
	if (r->ra->base) {
		*p = r->ra->base + r->pos;
	} else {
		long got = r->ra->read_at(r->ra, r->pos, r->buf, n);
		if (got <= 0)
			return got < 0 ? -1 : ld_fail(s->err, "image file is truncated");
		n = (size_t)got;
		*p = r->buf;
	}
	r->pos += n;
	return (long)n;
}

static int rsrc_skip(struct ld_src *s, u64 n)
{
	struct rsrc *r = (struct rsrc *)s;
	if (n > r->end - r->pos)
		return ld_fail(s->err, "image file is truncated");
	r->pos += n;
	return 0;
}

static struct rsrc *rsrc_new(struct ld_alloc *a, struct ld_ra *ra, u64 off, u64 size,
			     struct ld_err *err)
{
	struct rsrc *r = ld_new(a, sizeof *r + (ra->base ? 0 : RDBUF));
	if (!r)
		return 0;
	r->src.pull = rsrc_pull;
	r->src.skip = rsrc_skip;
	r->src.err = err;
	r->ra = ra;
	r->pos = off;
	r->end = off + size;
	r->buf = (u8 *)(r + 1);
	return r;
}

/* Lexically normalizes an archive name ("./a//b/../c" -> "a/c"); -1 if it
 * climbs out of the archive. */
static int norm(const char *in, char *out, size_t cap)
{
	size_t n = 0, cl;
	const char *c;
	while ((c = ld_path_next(&in, &cl))) {
		if (ld_is_dotdot(c, cl)) {
			if (!n)
				return -1;
			while (n && out[n - 1] != '/')
				n--;
			if (n)
				n--;
			continue;
		}
		if (n + cl + 2 > cap)
			return -1;
		if (n)
			out[n++] = '/';
		ld_memcpy(out + n, c, cl);
		n += cl;
	}
	out[n] = 0;
	return 0;
}

static u32 add_name(struct tarstore *ts, const char *s)
{
	size_t l = ld_strlen(s) + 1;
	if (grow(ts->a, (void **)&ts->names, &ts->names_cap, ts->names_used, l, NAMECAP))
		return ~0u;
	ld_memcpy(ts->names + ts->names_used, s, l);
	ts->names_used += l;
	return (u32)(ts->names_used - l);
}

static int ts_open(struct ld_store *st, const char *name, struct ld_src **src, u64 *size,
		   struct ld_err *err)
{
	struct tarstore *ts = (struct tarstore *)st;
	char want[MAXNAME], tmp[2 * MAXNAME];
	if (norm(name, want, sizeof want))
		return 1;
	for (int hops = 0; hops < 8; hops++) {
		struct tent *e = 0;
		for (u32 i = ts->n; i-- > 0;)          /* the last copy of a name wins */
			if (!ld_strcmp(ts->names + ts->ents[i].name, want)) {
				e = &ts->ents[i];
				break;
			}
		if (!e)
			return 1;
		if (e->type == LD_REG) {
			struct rsrc *r = rsrc_new(ts->a, ts->ra, e->off, e->size, err);
			if (!r)
				return ld_fail(err, "out of memory");
			*src = &r->src;
			*size = e->size;
			return 0;
		}
		const char *link = ts->names + e->link;
		if (e->type == LD_LNK) {          /* relative to the link's folder */
			char *slash = want + ld_strlen(want);
			while (slash > want && *slash != '/')
				slash--;
			*slash = 0;
			if (ld_snprintf(tmp, sizeof tmp, "%s/%s", want, link) >= (int)sizeof tmp)
				return 1;
			link = tmp;
		}
		if (norm(link, want, sizeof want))
			return 1;
	}
	return ld_fail(err, "'%s': too many links inside the image archive", name);
}

static void ts_close(struct ld_store *st, struct ld_src *src)
{
	ld_del(((struct tarstore *)st)->a, src);
}

void ld_tarstore_free(struct ld_store *st)
{
	struct tarstore *ts = (struct tarstore *)st;
	if (!ts)
		return;
	ld_del(ts->a, ts->ents);
	ld_del(ts->a, ts->names);
	ld_del(ts->a, ts);
}

struct ld_store *ld_tarstore_open(struct ld_ra *ra, struct ld_alloc *a, struct ld_err *err)
{
	struct tarstore *ts = ld_new(a, sizeof *ts);
	struct rsrc *r = 0;
	char *bufs = 0, clean[MAXNAME];
	struct ld_tar t;
	struct ld_tar_entry e;
	int rc = 0;
	if (!ts)
		return ld_fail(err, "out of memory"), (struct ld_store *)0;
	ts->st.open = ts_open;
	ts->st.close = ts_close;
	ts->ra = ra;
	ts->a = a;
	bufs = ld_new(a, 2 * (MAXNAME + 1) + LD_TAR_PAXMAX);
	r = rsrc_new(a, ra, 0, ra->size, err);
	if (!bufs || !r) {
		rc = ld_fail(err, "out of memory");
		goto out;
	}
	ld_tar_init(&t, &r->src, bufs, MAXNAME, err);
	while (!rc && (rc = ld_tar_next(&t, &e)) > 0) {
		rc = 0;
		int ty = e.type == LD_TAR_HARDLINK ? LD_LNK + 100 : e.type;
		if (ty != LD_REG && ty != LD_LNK && ty != LD_LNK + 100)
			continue;
		size_t bytes = (size_t)ts->cap * sizeof *ts->ents;
		if (ts->n >= MAXENTS || grow(a, (void **)&ts->ents, &bytes,
					     ts->n * sizeof *ts->ents, sizeof *ts->ents,
					     MAXENTS * sizeof *ts->ents)) {
			rc = ld_fail(err, "image archive has more than %u files", MAXENTS);
			break;
		}
		ts->cap = (u32)(bytes / sizeof *ts->ents);
		struct tent *te = &ts->ents[ts->n];
		if (norm(e.path, clean, sizeof clean))
			continue;               /* names outside the archive are never used */
		te->name = add_name(ts, clean);
		te->link = 0;
		if (ty != LD_REG) {
			/* hard links name a member of the archive; symlinks are relative */
			te->link = add_name(ts, e.link);
			if (ty == LD_LNK + 100 && !norm(e.link, clean, sizeof clean))
				te->link = add_name(ts, clean);
		}
		if (te->name == ~0u || te->link == ~0u) {
			rc = ld_fail(err, "image archive names take more than %u bytes", NAMECAP);
			break;
		}
		te->off = e.data_offset;
		te->size = e.size;
		te->type = ty == LD_REG ? LD_REG : ty == LD_LNK ? LD_LNK : LD_TAR_HARDLINK;
		ts->n++;
	}
out:
	ld_del(a, bufs);
	ld_del(a, r);
	if (rc < 0) {
		ld_prefix(err, "reading the image archive");
		ld_tarstore_free(&ts->st);
		return 0;
	}
	return &ts->st;
}
