/* The unpack driver: for each layer, in manifest order, stack the stream
 * stages (blob -> digest check -> gunzip -> diff_id check -> limits meter ->
 * tar reader) and apply its entries; then drain the stream so the digest
 * covers every byte.  Also the limits' defaults and ld_inspect.
 * Freestanding; guest kernel and host tool. */
#include "apply.h"
#include "gzip.h"
#include "image.h"
#include "stream.h"
#include "util.h"

void ld_limits_default(struct ld_limits *l)
{
	l->max_total = 16ull << 30;
	l->max_entries = 1000000;
	l->max_ratio = 200;
	l->ratio_floor = 32u << 20;
	l->max_path = 4096;
	l->max_depth = 256;
	l->max_json = 4u << 20;
	l->max_nesting = 64;
	l->max_layers = 256;
}

static void fill_limits(struct ld_limits *l, const struct ld_limits *in)
{
	struct ld_limits d;
	ld_limits_default(&d);
	*l = *in;
#define DEF(f) if (!l->f) l->f = d.f
	DEF(max_total); DEF(max_entries); DEF(max_ratio); DEF(ratio_floor); DEF(max_path);
	DEF(max_depth); DEF(max_json); DEF(max_nesting); DEF(max_layers);
#undef DEF
	if (l->max_path > 65536)
		l->max_path = 65536;
}

struct work {
	struct ld_verify blob, tar;
	struct ld_meter meter;
	struct ld_tar t;
	struct ld_tar_entry e;
	struct ld_apply ap;
	struct ld_gunzip gz;        /* last: large */
};

/* Looks at the first bytes of a docker-archive layer to learn its compression. */
static int sniff(struct ld_store *st, struct ld_blob *b, struct ld_err *err)
{
	struct ld_src *s;
	const u8 *p;
	u64 size;
	int rc = st->open(st, b->name, &s, &size, err);
	if (rc)
		return rc > 0 ? ld_fail(err, "blob '%s' is missing from the image", b->name) : -1;
	long n = s->pull(s, &p);
	b->comp = LD_COMP_NONE;       /* p is the source's buffer: read it before the close */
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		b->comp = LD_COMP_GZIP;
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		b->comp = LD_COMP_ZSTD;
	st->close(st, s);
	return n < 0 ? -1 : 0;
}

static int layer(struct ld_store *st, struct work *w, struct ld_blob *b,
		 const struct ld_limits *lim, struct ld_stats *stats, u64 *total,
		 struct ld_err *err)
{
	struct ld_src *raw, *s;
	const u8 *p;
	u64 size;
	long n;
	if (b->comp == LD_COMP_SNIFF && sniff(st, b, err))
		return -1;
	if (b->comp == LD_COMP_ZSTD)
		return ld_fail(err, "unsupported compression zstd (tar+zstd layers cannot be read)");
	int rc = st->open(st, b->name, &raw, &size, err);
	if (rc)
		return rc > 0 ? ld_fail(err, "blob '%s' is missing from the image", b->name) : -1;
	ld_verify_init(&w->blob, raw, b, err);
	s = &w->blob.src;
	if (b->comp == LD_COMP_GZIP) {
		if (ld_gunzip_init(&w->gz, s, err))
			goto fail;
		s = &w->gz.src;
	}
	if (b->has_diff_id) {
		ld_verify_tar_init(&w->tar, s, b, err);
		s = &w->tar.src;
	}
	ld_meter_init(&w->meter, s, b->comp == LD_COMP_GZIP ? &w->blob.count : 0, total, lim, err);
	s = &w->meter.src;
	ld_tar_init(&w->t, s, (char *)(w + 1), lim->max_path, err);
	ld_apply_layer(&w->ap);
	while ((rc = ld_tar_next(&w->t, &w->e)) > 0) {
		if (++stats->entries > lim->max_entries) {
			ld_fail(err, "image has more than %llu entries",
				(unsigned long long)lim->max_entries);
			goto fail;
		}
		if (ld_apply_entry(&w->ap, &w->e, &w->t)) {
			ld_prefix(err, "entry '%s'", w->e.path);
			goto fail;
		}
	}
	if (rc < 0)
		goto fail;
	while ((n = s->pull(s, &p)) > 0)   /* padding after the end; digest needs it all */
		;
	if (n < 0)
		goto fail;
	stats->bytes_in += w->blob.count;
	stats->bytes_out += w->meter.out;
	st->close(st, raw);
	return 0;
fail:
	st->close(st, raw);
	return -1;
}

int ld_unpack(struct ld_store *st, struct ld_fs *fs, const struct ld_opts *o,
	      struct ld_alloc *a, struct ld_config *cfg, struct ld_stats *stats,
	      struct ld_err *err)
{
	struct ld_limits lim;
	struct ld_image im;
	char label[72 + 256];
	u64 total = 0;
	fill_limits(&lim, &o->lim);
	ld_memset(stats, 0, sizeof *stats);
	if (ld_image_load(st, o, &lim, a, &im, cfg, err)) {
		ld_config_free(cfg, a);
		ld_image_free(&im, a);
		return -1;
	}
	struct work *w = ld_new(a, sizeof *w + 2 * ((size_t)lim.max_path + 1) + LD_TAR_PAXMAX);
	int rc = w ? 0 : ld_fail(err, "out of memory");
	if (!rc)
		rc = ld_apply_init(&w->ap, fs, &lim, a, err);
	for (u32 i = 0; !rc && i < im.nlayers; i++) {
		if (layer(st, w, &im.layers[i], &lim, stats, &total, err)) {
			ld_blob_label(&im.layers[i], label);
			rc = ld_prefix(err, "layer %u (%s)", i + 1, label);
		}
	}
	if (!rc && fs->finish)
		rc = fs->finish(fs);
	if (w && w->ap.clean)
		ld_apply_free(&w->ap, a);
	ld_del(a, w);
	ld_image_free(&im, a);
	if (rc)
		ld_config_free(cfg, a);
	return rc;
}

int ld_inspect(struct ld_store *st, const struct ld_opts *o, struct ld_alloc *a,
	       struct ld_image *im, struct ld_config *cfg, struct ld_err *err)
{
	struct ld_limits lim;
	fill_limits(&lim, &o->lim);
	int rc = ld_image_load(st, o, &lim, a, im, cfg, err);
	if (rc) {
		ld_config_free(cfg, a);
		ld_image_free(im, a);
	}
	return rc;
}
