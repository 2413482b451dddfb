/* Finding the image in a store: OCI image layout (oci-layout, index.json,
 * nested indexes, linux/amd64 platform choice, manifest) or docker-archive
 * (manifest.json, <digest>.json config, layer tars checked against the
 * config's diff_ids).  Every JSON blob read here is size- and
 * digest-checked before it is parsed.  Freestanding; kernel and host. */
#include "image.h"
#include "stream.h"
#include "util.h"

#define MT_OCI "application/vnd.oci.image."
#define MT_DOCKER "application/vnd.docker."

int ld_parse_digest(const char *s, u8 out[32])
{
	if (!ld_startswith(s, "sha256:") || ld_strlen(s) != 7 + 64)
		return -1;
	return ld_unhex(out, s + 7, 32);
}

int ld_jdoc_load(struct ld_jdoc *d, struct ld_store *st, const char *name,
		 const struct ld_blob *b, const struct ld_limits *lim, struct ld_alloc *a,
		 struct ld_err *err)
{
	struct ld_src *raw, *s;
	struct ld_verify v;
	const u8 *p;
	u64 size;
	long n;
	size_t len = 0;
	ld_memset(d, 0, sizeof *d);
	int rc = st->open(st, name, &raw, &size, err);
	if (rc)
		return rc > 0 ? ld_fail(err, "'%s' is missing from the image", name) : -1;
	s = raw;
	if (b) {
		ld_verify_init(&v, raw, b, err);
		s = &v.src;
	}
	if (size > lim->max_json) {
		st->close(st, raw);
		return ld_fail(err, "'%s' is larger than the %u-byte JSON limit", name, lim->max_json);
	}
	d->buf = ld_new(a, (size_t)size + 1);
	if (!d->buf) {
		st->close(st, raw);
		return ld_fail(err, "out of memory");
	}
	while ((n = s->pull(s, &p)) > 0) {
		if (len + (size_t)n > size) {
			n = ld_fail(err, "'%s' grew while being read", name);
			break;
		}
		ld_memcpy(d->buf + len, p, (size_t)n);
		len += (size_t)n;
	}
	st->close(st, raw);
	if (n < 0) {
		ld_prefix(err, "reading '%s'", name);
		goto fail;
	}
	u32 cap = (u32)(len / 2 + 2);
	if (cap > 262144)
		cap = 262144;
	d->toks = ld_new(a, cap * sizeof *d->toks);
	if (!d->toks) {
		ld_fail(err, "out of memory");
		goto fail;
	}
	if (!ld_json_parse(&d->j, d->buf, len, d->toks, cap, lim->max_nesting, err))
		return 0;
	ld_prefix(err, "'%s'", name);
fail:
	ld_jdoc_free(d, a);     /* a failed load owns nothing */
	return -1;
}

void ld_jdoc_free(struct ld_jdoc *d, struct ld_alloc *a)
{
	ld_del(a, d->buf);
	ld_del(a, d->toks);
	d->buf = 0;
	d->toks = 0;
}

/* Fills a blob from an OCI descriptor object. */
static int descriptor(const struct ld_json *j, int i, struct ld_blob *b, struct ld_err *err)
{
	char dg[80];
	ld_memset(b, 0, sizeof *b);
	if (!ld_json_is(j, i, LD_J_OBJ))
		return ld_fail(err, "descriptor is not an object");
	if (ld_json_str(j, ld_json_get(j, i, "digest"), dg, sizeof dg) < 0)
		return ld_fail(err, "descriptor has no digest");
	if (ld_parse_digest(dg, b->digest))
		return ld_fail(err, "unsupported digest '%s' (only sha256 is accepted)", dg);
	if (ld_json_u64(j, ld_json_get(j, i, "size"), &b->size))
		return ld_fail(err, "descriptor of %s has no valid size", dg);
	b->has_digest = b->has_size = 1;
	ld_memcpy(b->name, "blobs/sha256/", 13);
	ld_memcpy(b->name + 13, dg + 7, 65);
	return 0;
}

static int media_type(const struct ld_json *j, int i, char *mt, size_t cap)
{
	int m = ld_json_get(j, i, "mediaType");
	if (m < 0) {
		mt[0] = 0;
		return 0;
	}
	return ld_json_str(j, m, mt, cap) < 0 ? -1 : 0;
}

static int is_index_type(const char *mt)
{
	return !ld_strcmp(mt, MT_OCI "index.v1+json") ||
	       !ld_strcmp(mt, MT_DOCKER "distribution.manifest.list.v2+json");
}

static int is_manifest_type(const char *mt)
{
	return !ld_strcmp(mt, MT_OCI "manifest.v1+json") ||
	       !ld_strcmp(mt, MT_DOCKER "distribution.manifest.v2+json");
}

/* A document is an index or a manifest, never both (CVE-2021-41190): an
 * index carries no layers or config, a manifest no manifests, and its own
 * mediaType, when given, is of its kind and equals the mediaType of the
 * descriptor that led to it (desc_mt; "" or NULL when none did). */
static int check_kind(const struct ld_json *j, int index, const char *desc_mt,
		      struct ld_err *err)
{
	static const char *const other[2][2] = { { "manifests", 0 }, { "layers", "config" } };
	const char *kind = index ? "index" : "manifest";
	char mt[128];
	if (!ld_json_is(j, 0, LD_J_OBJ))
		return ld_fail(err, "is not a JSON object");
	for (int k = 0; k < 2; k++)
		if (other[index][k] && ld_json_get(j, 0, other[index][k]) >= 0)
			return ld_fail(err, "is both a manifest and an index: an image %s with '%s'",
				       kind, other[index][k]);
	if (media_type(j, 0, mt, sizeof mt))
		return ld_fail(err, "has a mediaType that is not a short string");
	if (!mt[0])
		return 0;
	if (desc_mt && desc_mt[0] && ld_strcmp(mt, desc_mt))
		return ld_fail(err, "has mediaType '%s' but its descriptor says '%s'", mt, desc_mt);
	if (index ? !is_index_type(mt) : !is_manifest_type(mt))
		return ld_fail(err, "has mediaType '%s', not that of an image %s", mt, kind);
	return 0;
}

static int layer_comp(const char *mt)
{
	static const struct { const char *suffix; int comp; } tab[] = {
		{ "tar", LD_COMP_NONE }, { "tar+gzip", LD_COMP_GZIP }, { "tar+zstd", LD_COMP_ZSTD },
	};
	static const char *const prefixes[] = { MT_OCI "layer.v1.",
						MT_OCI "layer.nondistributable.v1." };
	for (size_t p = 0; p < 2; p++)
		if (ld_startswith(mt, prefixes[p]))
			for (size_t t = 0; t < 3; t++)
				if (!ld_strcmp(mt + ld_strlen(prefixes[p]), tab[t].suffix))
					return tab[t].comp;
	if (!ld_strcmp(mt, MT_DOCKER "image.rootfs.diff.tar.gzip") ||
	    !ld_strcmp(mt, MT_DOCKER "image.rootfs.foreign.diff.tar.gzip"))
		return LD_COMP_GZIP;
	return -1;
}

/* Does index entry i suit us: linux/amd64, or no platform given? */
static int platform_ok(const struct ld_json *j, int i)
{
	char os[32], arch[32];
	int p = ld_json_get(j, i, "platform");
	if (p < 0)
		return 1;
	if (ld_json_str(j, ld_json_get(j, p, "os"), os, sizeof os) < 0 ||
	    ld_json_str(j, ld_json_get(j, p, "architecture"), arch, sizeof arch) < 0)
		return 0;
	return !ld_strcmp(os, "linux") && !ld_strcmp(arch, "amd64");
}

static int ref_ok(const struct ld_json *j, int i, const char *ref)
{
	char name[256];
	int an = ld_json_get(j, i, "annotations");
	return ref && ld_json_str(j, ld_json_get(j, an, "org.opencontainers.image.ref.name"),
				  name, sizeof name) >= 0 && !ld_strcmp(name, ref);
}

/* Picks the manifest descriptor from an index, following nested indexes. */
static int pick_manifest(struct ld_store *st, const struct ld_opts *o,
			 const struct ld_limits *lim, struct ld_alloc *a, struct ld_jdoc *idx,
			 const char *idx_mt, int depth, struct ld_blob *out, char mt[128],
			 struct ld_err *err)
{
	const struct ld_json *j = &idx->j;
	int ms = ld_json_get(j, 0, "manifests");
	if (check_kind(j, 1, idx_mt, err))
		return -1;
	if (!ld_json_is(j, ms, LD_J_ARR))
		return ld_fail(err, "index has no manifests array");
	int chosen = -1;
	for (int k = ld_json_first(j, ms), m = 0; m < (int)j->t[ms].count;
	     m++, k = (int)j->t[k].next) {
		if (depth == 0 && o->ref && !ref_ok(j, k, o->ref))
			continue;
		if (platform_ok(j, k)) {
			chosen = k;
			break;
		}
	}
	if (chosen < 0)
		return o->ref && depth == 0 ? ld_fail(err, "no manifest named '%s' in the index", o->ref)
					    : ld_fail(err, "no linux/amd64 manifest in the index");
	if (media_type(j, chosen, mt, 128))
		return ld_fail(err, "index entry has a mediaType that is not a short string");
	if (descriptor(j, chosen, out, err))
		return ld_prefix(err, "index entry");
	if (mt[0] && !is_index_type(mt) && !is_manifest_type(mt))
		return ld_fail(err, "index entry has mediaType '%s', not that of a manifest or an index",
			       mt);
	if (!is_index_type(mt))
		return 0;
	if (depth >= 4)
		return ld_fail(err, "image indexes nested too deeply");
	struct ld_jdoc sub;
	struct ld_blob b = *out;
	char label[72 + 256], sub_mt[128];
	ld_memcpy(sub_mt, mt, 128);
	int rc = ld_jdoc_load(&sub, st, b.name, &b, lim, a, err);
	if (!rc && pick_manifest(st, o, lim, a, &sub, sub_mt, depth + 1, out, mt, err)) {
		ld_blob_label(&b, label);
		rc = ld_prefix(err, "index %s", label);
	}
	ld_jdoc_free(&sub, a);
	return rc;
}

/* Reads the config (verified against im->config) into cfg, and gives each
 * of im's layers the diff_id the config lists for it, to be checked when it
 * is unpacked (OCI and docker-archive alike, as Docker does). */
static int load_config(struct ld_store *st, const struct ld_limits *lim, struct ld_alloc *a,
		       struct ld_image *im, struct ld_config *cfg, struct ld_err *err)
{
	struct ld_jdoc d;
	char label[72 + 256];
	u32 ndiff = 0;
	u8 (*diff)[32] = ld_new(a, ((size_t)lim->max_layers + 1) * 32);
	if (!diff)
		return ld_fail(err, "out of memory");
	int rc = ld_jdoc_load(&d, st, im->config.name, &im->config, lim, a, err);
	if (!rc)
		rc = ld_config_parse(&d, cfg, a, diff, lim->max_layers, &ndiff, err);
	ld_jdoc_free(&d, a);
	ld_blob_label(&im->config, label);
	if (rc)
		rc = ld_prefix(err, "config %s", label);
	else if (ndiff != im->nlayers)
		rc = ld_fail(err, "config %s lists %u diff_ids for %u layers", label, ndiff, im->nlayers);
	for (u32 i = 0; !rc && i < im->nlayers; i++) {
		ld_memcpy(im->layers[i].diff_id, diff[i], 32);
		im->layers[i].has_diff_id = 1;
	}
	ld_del(a, diff);
	return rc;
}

static int load_oci(struct ld_store *st, const struct ld_opts *o, const struct ld_limits *lim,
		    struct ld_alloc *a, struct ld_image *im, struct ld_config *cfg,
		    struct ld_err *err)
{
	struct ld_jdoc d;
	char mt[128], label[72 + 256];
	int rc = ld_jdoc_load(&d, st, "oci-layout", 0, lim, a, err);
	if (!rc && ld_json_str(&d.j, ld_json_get(&d.j, 0, "imageLayoutVersion"), mt, sizeof mt) < 0)
		rc = ld_fail(err, "oci-layout has no imageLayoutVersion");
	ld_jdoc_free(&d, a);
	if (rc || (rc = ld_jdoc_load(&d, st, "index.json", 0, lim, a, err)))
		return -1;
	rc = pick_manifest(st, o, lim, a, &d, 0, 0, &im->manifest, mt, err);
	ld_jdoc_free(&d, a);
	if (rc)
		return ld_prefix(err, "index.json");
	ld_blob_label(&im->manifest, label);
	if (ld_jdoc_load(&d, st, im->manifest.name, &im->manifest, lim, a, err))
		return ld_prefix(err, "manifest %s", label);
	const struct ld_json *j = &d.j;
	int ls = ld_json_get(j, 0, "layers");
	if (check_kind(j, 0, mt, err))
		rc = ld_prefix(err, "manifest %s", label);
	else if (descriptor(j, ld_json_get(j, 0, "config"), &im->config, err))
		rc = ld_prefix(err, "manifest %s: config", label);
	else if (!ld_json_is(j, ls, LD_J_ARR))
		rc = ld_fail(err, "manifest %s has no layers array", label);
	else if (j->t[ls].count > lim->max_layers)
		rc = ld_fail(err, "manifest %s has more than %u layers", label, lim->max_layers);
	else if (!(im->layers = ld_new(a, (j->t[ls].count + 1) * sizeof *im->layers)))
		rc = ld_fail(err, "out of memory");
	for (int k = ld_json_first(j, ls); !rc && im->nlayers < j->t[ls].count;
	     k = (int)j->t[k].next) {
		struct ld_blob *b = &im->layers[im->nlayers++];
		if (descriptor(j, k, b, err) || media_type(j, k, mt, sizeof mt))
			rc = ld_prefix(err, "manifest %s: layer %u", label, im->nlayers);
		else if ((b->comp = layer_comp(mt)) < 0)
			rc = ld_fail(err, "manifest %s: layer %u has unsupported media type '%s'",
				     label, im->nlayers, mt);
	}
	ld_jdoc_free(&d, a);
	return rc ? rc : load_config(st, lim, a, im, cfg, err);
}

/* Docker names blobs after their digest: "<hex>.json", "blobs/sha256/<hex>". */
static int digest_from_name(const char *name, u8 out[32])
{
	const char *base = name + ld_strlen(name);
	while (base > name && base[-1] != '/')
		base--;
	size_t bl = ld_strlen(base);
	if (bl != 64 && !(bl == 69 && !ld_strcmp(base + 64, ".json")))
		return -1;
	return ld_unhex(out, base, 32);
}

static int load_docker(struct ld_store *st, const struct ld_opts *o,
		       const struct ld_limits *lim, struct ld_alloc *a, struct ld_image *im,
		       struct ld_config *cfg, struct ld_err *err)
{
	struct ld_jdoc d;
	char tag[256];
	if (ld_jdoc_load(&d, st, "manifest.json", 0, lim, a, err))
		return -1;
	const struct ld_json *j = &d.j;
	int rc = 0, e = -1;
	if (!ld_json_is(j, 0, LD_J_ARR))
		rc = ld_fail(err, "manifest.json is not an array");
	for (int k = ld_json_first(j, 0), m = 0; !rc && m < (int)j->t[0].count && e < 0;
	     m++, k = (int)j->t[k].next) {
		int tags = ld_json_get(j, k, "RepoTags");
		if (!o->ref)
			e = k;
		for (int t = ld_json_first(j, tags), n = 0; e < 0 && ld_json_is(j, tags, LD_J_ARR) &&
		     n < (int)j->t[tags].count; n++, t = (int)j->t[t].next)
			if (ld_json_str(j, t, tag, sizeof tag) >= 0 && !ld_strcmp(tag, o->ref))
				e = k;
	}
	int ls = ld_json_get(j, e, "Layers");
	if (rc)
		;
	else if (e < 0)
		rc = o->ref ? ld_fail(err, "manifest.json has no image tagged '%s'", o->ref)
			    : ld_fail(err, "manifest.json lists no image");
	else if (ld_json_str(j, ld_json_get(j, e, "Config"), im->config.name,
			     sizeof im->config.name) < 0 || !ld_json_is(j, ls, LD_J_ARR))
		rc = ld_fail(err, "manifest.json: entry needs Config and Layers");
	else if (digest_from_name(im->config.name, im->config.digest))
		rc = ld_fail(err, "manifest.json: config '%s' is not named after its sha256, "
			     "so it cannot be verified", im->config.name);
	else if (j->t[ls].count > lim->max_layers)
		rc = ld_fail(err, "manifest.json: more than %u layers", lim->max_layers);
	else if (!(im->layers = ld_new(a, (j->t[ls].count + 1) * sizeof *im->layers)))
		rc = ld_fail(err, "out of memory");
	for (int k = ld_json_first(j, ls); !rc && im->nlayers < j->t[ls].count;
	     k = (int)j->t[k].next) {
		struct ld_blob *b = &im->layers[im->nlayers++];
		if (ld_json_str(j, k, b->name, sizeof b->name) < 0)
			rc = ld_fail(err, "manifest.json: bad layer name #%u", im->nlayers);
		b->comp = LD_COMP_SNIFF;
	}
	ld_jdoc_free(&d, a);
	im->config.has_digest = 1;
	return rc ? rc : load_config(st, lim, a, im, cfg, err);
}

int ld_image_load(struct ld_store *st, const struct ld_opts *o, const struct ld_limits *lim,
		  struct ld_alloc *a, struct ld_image *im, struct ld_config *cfg,
		  struct ld_err *err)
{
	struct ld_src *s;
	u64 size;
	ld_memset(im, 0, sizeof *im);
	ld_memset(cfg, 0, sizeof *cfg);
	int rc = st->open(st, "oci-layout", &s, &size, err);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		st->close(st, s);
		im->format = LD_FMT_OCI;
		return load_oci(st, o, lim, a, im, cfg, err);
	}
	rc = st->open(st, "manifest.json", &s, &size, err);
	if (rc < 0)
		return -1;
	if (rc > 0)
		return ld_fail(err, "not an image: no oci-layout and no manifest.json");
	st->close(st, s);
	im->format = LD_FMT_DOCKER;
	return load_docker(st, o, lim, a, im, cfg, err);
}

void ld_image_free(struct ld_image *im, struct ld_alloc *a)
{
	ld_del(a, im->layers);
	im->layers = 0;
}
