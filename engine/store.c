/* bulkheadd's image store: plain files under the data root, re-read at start.
 *
 *   DATA/blobs/sha256/<hex>        layer blobs as loaded (tar or tar+gzip),
 *                                  named by the digest they were verified
 *                                  against, stored once whatever uses them
 *   DATA/images/<id>/config.json   the image config, byte for byte (its
 *                                  sha256 is the image ID)
 *   DATA/images/<id>/image.json    {"created","size","layers":[digests]}
 *   DATA/images/<id>/rootfs/       the unpacked tree: the lower folder of
 *                                  the image's containers, never written
 *   DATA/repositories.json         {"tags":{"docker.io/library/x:latest":"sha256:<id>"}}
 *   DATA/tmp/                      uploads and staging, emptied at start
 *
 * A load unpacks and verifies every layer (the image loader, loader/) into a
 * staging folder under tmp/, and only then renames it into images/: a load
 * that fails, or a daemon killed half-way, leaves the store as it was
 * (blobs no image lists are removed at start and after each change).  Tags
 * are written after the image, by rename(2) of a whole new file. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "engine.h"
#include "ld.h"
#include "util.h"
#include "host/host.h"
#include "gzip.h"

struct tag {
	char *ref;                /* canonical */
	struct image *im;
};

static struct image *images;
static struct tag *tags;
static int ntags;

struct image *store_images(void) { return images; }
int store_ntags(void) { return ntags; }
const char *store_tag_name(int i) { return tags[i].ref; }
struct image *store_tag_image(int i) { return tags[i].im; }

int store_count(void)
{
	int n = 0;
	for (struct image *im = images; im; im = im->next)
		n++;
	return n;
}

int store_image_ntags(const struct image *im)
{
	int n = 0;
	for (int i = 0; i < ntags; i++)
		n += tags[i].im == im;
	return n;
}

static char *path_of(const char *fmt, const char *a, const char *b)
{
	char *p = NULL;
	if (asprintf(&p, fmt, eng.data_root, a ? a : "", b ? b : "") < 0)
		return NULL;
	return p;
}

char *store_path(const struct image *im, const char *file)
{
	return path_of("%s/images/%s/%s", im->id, file);
}

char *store_layer_tar(const struct image *im, int l, char *err, size_t cap)
{
	char name[32], *blob = path_of("%s/blobs/sha256/%s%s", im->layers[l], NULL), *out = NULL, *tmp = NULL;
	unsigned char magic[2] = { 0 };
	int in = blob ? open(blob, O_RDONLY | O_CLOEXEC) : -1, fd = -1;
	if (in < 0 || pread(in, magic, 2, 0) != 2) {
		snprintf(err, cap, "layer %s: %s", im->layers[l], strerror(errno));
		goto fail;
	}
	if (magic[0] != 0x1f || magic[1] != 0x8b) {   /* a plain tar already */
		close(in);
		return blob;
	}
	snprintf(name, sizeof name, "layer%d.tar", l);
	out = store_path(im, name);
	if (!out || !access(out, R_OK)) {
		close(in);
		free(blob);
		return out;
	}
	static struct ld_gunzip g;   /* large: the inflate window */
	struct ld_err e = { "" };
	struct ld_src *src = ld_host_file_src(in, &e);
	if (asprintf(&tmp, "%s.tmp", out) < 0 || !src || ld_gunzip_init(&g, src, &e) ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		goto bad;
	for (;;) {
		const u8 *p;
		long n = g.src.pull(&g.src, &p);
		if (n == 0)
			break;
		if (n < 0 || write(fd, p, (size_t)n) != n)
			goto bad;
	}
	if (close(fd) || rename(tmp, out))
		goto bad;
	free(src), free(tmp), free(blob);
	close(in);
	return out;
bad:
	snprintf(err, cap, "layer %s: cannot write %s: %s", im->layers[l], out, e.msg[0] ? e.msg : strerror(errno));
	if (fd >= 0)
		close(fd), unlink(tmp);
	free(src), free(tmp);
fail:
	if (in >= 0)
		close(in);
	free(blob), free(out);
	return NULL;
}

static char *read_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *p = NULL;
	if (fd < 0)
		return NULL;
	if (!fstat(fd, &st) && (size_t)st.st_size <= max && (p = malloc((size_t)st.st_size + 1))) {
		ssize_t n = read(fd, p, (size_t)st.st_size);
		if (n != st.st_size) {
			free(p);
			p = NULL;
		} else {
			p[n] = 0;
			if (len)
				*len = (size_t)n;
		}
	}
	close(fd);
	return p;
}

/* Writes path through path.tmp and rename(2): readers see old or new whole. */
static int write_file(const char *path, const void *p, size_t n)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, p, n);
	if (close(fd) || w != (ssize_t)n || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int write_json(const char *path, cJSON *j)
{
	char *s = cJSON_Print(j);
	int rc = s ? write_file(path, s, strlen(s)) : -1;
	free(s);
	cJSON_Delete(j);
	return rc;
}

static struct image *find_id(const char *id)
{
	for (struct image *im = images; im; im = im->next)
		if (!strcmp(im->id, id))
			return im;
	return NULL;
}

static int save_tags(void)
{
	cJSON *j = cJSON_CreateObject(), *t = cJSON_AddObjectToObject(j, "tags");
	char id[72];
	for (int i = 0; i < ntags; i++) {
		snprintf(id, sizeof id, "sha256:%s", tags[i].im->id);
		cJSON_AddStringToObject(t, tags[i].ref, id);
	}
	char *p = path_of("%s/repositories.json%s%s", NULL, NULL);
	int rc = p ? write_json(p, j) : (cJSON_Delete(j), -1);
	if (rc)
		logmsg("cannot write %s: %s", p ? p : "repositories.json", strerror(errno));
	free(p);
	return rc;
}

static int layer_used(const char *hex)
{
	for (struct image *im = images; im; im = im->next)
		for (int i = 0; i < im->nlayers; i++)
			if (!strcmp(im->layers[i], hex))
				return 1;
	return 0;
}

/* Removes blobs no image lists (a load that failed or was cut short). */
static void gc_blobs(void)
{
	char *p = path_of("%s/blobs/sha256%s%s", NULL, NULL);
	DIR *d = p ? opendir(p) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' || strlen(de->d_name) > 2)
			if (!(strlen(de->d_name) == 64 && layer_used(de->d_name)))
				unlinkat(dirfd(d), de->d_name, 0);
	if (d)
		closedir(d);
	free(p);
}

static void image_free(struct image *im)
{
	if (im) {
		free(im->layers);
		free(im);
	}
}

/* Reads DIR/image.json of image id. */
static struct image *image_read(const char *dir, const char *id)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/image.json", dir);
	char *s = read_file(p, 1 << 20, NULL);
	cJSON *j = s ? cJSON_Parse(s) : NULL, *ls = cJSON_GetObjectItemCaseSensitive(j, "layers"), *l;
	struct image *im = calloc(1, sizeof *im);
	free(s);
	if (!im || !cJSON_IsArray(ls))
		goto bad;
	snprintf(im->id, sizeof im->id, "%s", id);
	im->created = (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "created"));
	im->size = (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "size"));
	if (!(im->layers = calloc((size_t)cJSON_GetArraySize(ls) + 1, sizeof *im->layers)))
		goto bad;
	cJSON_ArrayForEach(l, ls) {
		const char *d = cJSON_GetStringValue(l);
		if (!d || strncmp(d, "sha256:", 7) || strlen(d) != 71 || !ref_is_hex(d + 7))
			goto bad;
		memcpy(im->layers[im->nlayers++], d + 7, 65);
	}
	cJSON_Delete(j);
	return im;
bad:
	cJSON_Delete(j);
	image_free(im);
	return NULL;
}

static int add_tag(const char *ref, struct image *im)
{
	for (int i = 0; i < ntags; i++)
		if (!strcmp(tags[i].ref, ref)) {
			tags[i].im = im;
			return 0;
		}
	struct tag *t = realloc(tags, (size_t)(ntags + 1) * sizeof *t);
	if (!t)
		return -1;
	tags = t;
	if (!(tags[ntags].ref = strdup(ref)))
		return -1;
	tags[ntags++].im = im;
	return 0;
}

static void mkdirs(void)
{
	static const char *const dirs[] = { "", "/blobs", "/blobs/sha256", "/images", "/tmp" };
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		char *p = path_of("%s%s%s", dirs[i], NULL);
		if (p)
			mkdir(p, 0700);
		free(p);
	}
}

int store_open(char *err, size_t cap)
{
	mkdirs();
	char *p = path_of("%s/tmp%s%s", NULL, NULL);
	DIR *d = p ? opendir(p) : NULL;
	struct dirent *de;
	if (!d) {
		snprintf(err, cap, "cannot open %s: %s", p ? p : "the data root", strerror(errno));
		free(p);
		return -1;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			ld_rmtree_at(dirfd(d), de->d_name);
	closedir(d);
	free(p);
	p = path_of("%s/images%s%s", NULL, NULL);
	d = p ? opendir(p) : NULL;
	free(p);
	while (d && (de = readdir(d))) {
		if (strlen(de->d_name) != 64 || !ref_is_hex(de->d_name))
			continue;
		char dir[4200];
		snprintf(dir, sizeof dir, "%s/images/%s", eng.data_root, de->d_name);
		struct image *im = image_read(dir, de->d_name);
		if (!im) {
			logmsg("image %s: unreadable image.json, left out", de->d_name);
			continue;
		}
		im->next = images;
		images = im;
	}
	if (d)
		closedir(d);
	p = path_of("%s/repositories.json%s%s", NULL, NULL);
	char *s = p ? read_file(p, 16 << 20, NULL) : NULL;
	cJSON *j = s ? cJSON_Parse(s) : NULL, *t;
	if (s && !j)
		logmsg("%s: not JSON, tags lost", p);
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(j, "tags")) {
		const char *id = cJSON_GetStringValue(t);
		struct image *im = id && !strncmp(id, "sha256:", 7) ? find_id(id + 7) : NULL;
		if (im)
			add_tag(t->string, im);
	}
	cJSON_Delete(j);
	free(s);
	free(p);
	gc_blobs();
	return 0;
}

/* ---- finding */
static int by_prefix(const char *name, const char *hex, struct image **out, char *err, size_t cap)
{
	int n = 0;
	for (struct image *im = images; im; im = im->next)
		if (!strncmp(im->id, hex, strlen(hex)))
			*out = im, n++;
	if (n == 1)
		return 0;
	if (n > 1)
		snprintf(err, cap, "No such image: %s (ambiguous: %d images have that ID prefix)", name, n);
	else
		snprintf(err, cap, "No such image: %s", name);
	return 404;
}

int store_find(const char *name, struct image **im, int *by_tag, char *err, size_t cap)
{
	char canon[512], fam[512], rerr[512];
	*by_tag = 0;
	if (!strncmp(name, "sha256:", 7)) {
		if (!ref_is_hex(name + 7)) {
			snprintf(err, cap, "invalid reference format: %s", name);
			return 400;
		}
		return by_prefix(name, name + 7, im, err, cap);
	}
	if (!ref_normalize(name, canon, sizeof canon, rerr, sizeof rerr)) {
		for (int i = 0; i < ntags; i++)
			if (!strcmp(tags[i].ref, canon)) {
				*im = tags[i].im;
				*by_tag = 1;
				return 0;
			}
		if (ref_is_hex(name))
			return by_prefix(name, name, im, err, cap);
		ref_familiar(canon, fam, sizeof fam);
		snprintf(err, cap, "No such image: %s", fam);
		return 404;
	}
	if (ref_is_hex(name))
		return by_prefix(name, name, im, err, cap);
	snprintf(err, cap, "%s", rerr);
	return 400;
}

/* ---- tags and deletion */
int store_tag(struct image *im, const char *ref, char *err, size_t cap)
{
	if (add_tag(ref, im) || save_tags()) {
		snprintf(err, cap, "cannot record tag %s", ref);
		return -1;
	}
	return 0;
}

int store_untag(const char *ref)
{
	for (int i = 0; i < ntags; i++)
		if (!strcmp(tags[i].ref, ref)) {
			free(tags[i].ref);
			tags[i] = tags[--ntags];
			return save_tags();
		}
	return -1;
}

int store_delete(struct image *im)
{
	for (int i = 0; i < ntags;)
		if (tags[i].im == im) {
			free(tags[i].ref);
			tags[i] = tags[--ntags];
		} else
			i++;
	if (save_tags())
		return -1;
	/* Out of images/ in one rename, then removed at leisure. */
	char *from = path_of("%s/images/%s%s", im->id, NULL);
	char *to = path_of("%s/tmp/delete-%s%s", im->id, NULL);
	int rc = from && to ? rename(from, to) : -1;
	if (!rc)
		ld_rmtree_at(AT_FDCWD, to);
	free(from);
	free(to);
	if (rc)
		return -1;
	for (struct image **pp = &images; *pp; pp = &(*pp)->next)
		if (*pp == im) {
			*pp = im->next;
			break;
		}
	image_free(im);
	gc_blobs();
	return 0;
}

/* ---- loading */
static char *read_member(struct ld_store *st, const char *name, size_t max, size_t *len, int *missing,
			 struct ld_err *e)
{
	struct ld_src *src;
	u64 size;
	const u8 *chunk;
	struct buf b = { 0 };
	int rc = st->open(st, name, &src, &size, e);
	*missing = rc == 1;
	if (rc)
		return NULL;
	for (long n; (n = src->pull(src, &chunk)) != 0;) {
		if (n < 0 || b.len + (size_t)n > max || buf_put(&b, chunk, (size_t)n)) {
			if (n >= 0)
				ld_fail(e, "'%s' is larger than %zu bytes", name, max);
			free(b.p);
			st->close(st, src);
			return NULL;
		}
	}
	st->close(st, src);
	if (!b.p)
		buf_put(&b, "", 0);
	*len = b.len;
	return b.p;
}

static int copy_member(struct ld_store *st, const char *name, const char *dest, struct ld_err *e)
{
	struct ld_src *src;
	u64 size;
	const u8 *chunk;
	char tmp[4200];
	if (st->open(st, name, &src, &size, e))
		return ld_fail(e, "cannot reopen '%s'", name);
	snprintf(tmp, sizeof tmp, "%s.tmp", dest);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), rc = fd < 0 ? -1 : 0;
	for (long n; !rc && (n = src->pull(src, &chunk)) != 0;)
		if (n < 0 || write(fd, chunk, (size_t)n) != n)
			rc = -1;
	st->close(st, src);
	if (fd >= 0 && close(fd))
		rc = -1;
	if (!rc && rename(tmp, dest))
		rc = -1;
	if (rc) {
		unlink(tmp);
		return ld_fail(e, "cannot store '%s' as %s", name, dest);
	}
	return 0;
}

/* What an archive holds: one entry per image, the loader's ref to pick it
 * and the names to tag it with. */
struct entry {
	char *ref;
	int nnames;
	char **names;            /* canonical */
	char id[65];
	char *stage;             /* tmp/load-XXXXXX, when unpacked by this load */
};

static int add_name(struct entry *en, const char *name, struct ld_err *e)
{
	char canon[512], rerr[512];
	if (ref_normalize(name, canon, sizeof canon, rerr, sizeof rerr))
		return ld_fail(e, "%s", rerr);
	if (strchr(canon, '@'))   /* only a pull, which checked it, records a digest */
		return ld_fail(e, "invalid reference format: an image loaded cannot be named by digest (%s)", name);
	char **v = realloc(en->names, (size_t)(en->nnames + 1) * sizeof *v);
	if (!v || !(v[en->nnames] = strdup(canon)))
		return ld_fail(e, "out of memory");
	en->names = v;
	en->nnames++;
	return 0;
}

/* docker-archive: manifest.json [{Config, RepoTags, Layers}]; OCI layout:
 * index.json manifests, named by io.containerd.image.name or a full
 * reference in org.opencontainers.image.ref.name (a bare tag such as
 * umoci's "latest" names nothing: the image loads untagged). */
static int list_entries(struct ld_store *st, struct entry **out, int *nout, int *is_docker,
			struct ld_err *e)
{
	size_t len;
	int missing, n = 0, rc = 0;
	cJSON *j = NULL, *it;
	struct entry *en = NULL;
	char *s = read_member(st, "manifest.json", 1 << 20, &len, &missing, e);
	int docker = *is_docker = s != NULL;
	if (!s && missing)
		s = read_member(st, "index.json", 1 << 20, &len, &missing, e);
	if (!s && !missing)
		return -1;
	if (s && !(j = cJSON_ParseWithLength(s, len)))
		rc = ld_fail(e, "%s is not JSON", docker ? "manifest.json" : "index.json");
	cJSON *arr = docker ? j : cJSON_GetObjectItemCaseSensitive(j, "manifests");
	int count = cJSON_GetArraySize(arr);
	if (!rc && !(en = calloc((size_t)count + 1, sizeof *en)))
		rc = ld_fail(e, "out of memory");
	if (!rc && !s)   /* neither: let the loader say what is wrong */
		n = 1;
	cJSON_ArrayForEach(it, arr) {
		if (rc)
			break;
		struct entry *x = &en[n];
		const char *ref = NULL, *name = NULL;
		if (docker) {
			cJSON *t, *rt = cJSON_GetObjectItemCaseSensitive(it, "RepoTags");
			ref = cJSON_GetStringValue(cJSON_GetArrayItem(rt, 0));
			cJSON_ArrayForEach(t, rt)
				if (!rc && cJSON_GetStringValue(t))
					rc = add_name(x, t->valuestring, e);
		} else {
			cJSON *an = cJSON_GetObjectItemCaseSensitive(it, "annotations");
			ref = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(an, "org.opencontainers.image.ref.name"));
			name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(an, "io.containerd.image.name"));
			if (!name && ref && strpbrk(ref, "/:"))
				name = ref;
			if (name)
				rc = add_name(x, name, e);
		}
		if (!ref && count > 1)
			rc = ld_fail(e, "image #%d of %d has no name to pick it by", n + 1, count);
		if (ref && !(x->ref = strdup(ref)))
			rc = ld_fail(e, "out of memory");
		n++;
	}
	/* The loader picks by that name: two images sharing it cannot both be had. */
	for (int a = 0; !rc && a < n; a++)
		for (int b = a + 1; !rc && b < n; b++)
			if (en[a].ref && en[b].ref && !strcmp(en[a].ref, en[b].ref))
				rc = ld_fail(e, "images #%d and #%d are both named '%s'", a + 1, b + 1, en[a].ref);
	cJSON_Delete(j);
	free(s);
	*out = en;
	*nout = n;
	return rc;
}

static void entries_free(struct entry *en, int n)
{
	for (int i = 0; en && i < n; i++) {
		if (en[i].stage) {
			ld_rmtree_at(AT_FDCWD, en[i].stage);
			free(en[i].stage);
		}
		for (int k = 0; k < en[i].nnames; k++)
			free(en[i].names[k]);
		free(en[i].names);
		free(en[i].ref);
	}
	free(en);
}

static long long parse_created(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return (long long)timegm(&tm);
}

/* Puts layer blob hex in STAGE/blobs: a link to the store's copy or to the
 * archive's file (a folder's blobs/sha256/HEX), else a copy.  A link keeps
 * the bytes even if the store's copy goes meanwhile (an image deleted). */
static int stage_blob(struct ld_store *st, const char *src, const char *member, const char *hex, const char *stage,
		      struct ld_err *e)
{
	char dest[4300], from[4300], want[80];
	snprintf(dest, sizeof dest, "%s/blobs/%s", stage, hex);
	snprintf(from, sizeof from, "%s/blobs/sha256/%s", eng.data_root, hex);
	if (!link(from, dest) || errno == EEXIST)
		return 0;
	snprintf(want, sizeof want, "blobs/sha256/%s", hex);
	snprintf(from, sizeof from, "%s/%s", src, member);
	if (!strcmp(member, want) && !link(from, dest))
		return 0;
	return copy_member(st, member, dest, e);
}

/* Unpacks one image into a staging folder, its blobs in STAGE/blobs. */
static int stage(struct ld_store *st, const char *src, struct entry *en, const struct ld_image *li, struct ld_err *e)
{
	struct ld_opts o = { .ref = en->ref };
	struct ld_config cfg;
	struct ld_stats stats;
	char *tmpl = path_of("%s/tmp/load-XXXXXX%s%s", NULL, NULL);
	if (!tmpl || !mkdtemp(tmpl)) {
		free(tmpl);
		return ld_fail(e, "cannot create a staging folder: %s", strerror(errno));
	}
	en->stage = tmpl;
	char path[4200];
	snprintf(path, sizeof path, "%s/blobs", tmpl);
	if (mkdir(path, 0700))
		return ld_fail(e, "cannot create %s: %s", path, strerror(errno));
	snprintf(path, sizeof path, "%s/rootfs", tmpl);
	int root = mkdir(path, 0755) ? -1 : open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct ld_fs *fs = root >= 0 ? ld_dirfs_new(root, 0, e) : NULL;
	int rc = fs ? ld_unpack(st, fs, &o, &ld_host_alloc, &cfg, &stats, e) : -1;
	if (fs)
		ld_dirfs_free(fs);
	if (!rc && fchmod(root, 0755))
		rc = ld_fail(e, "chmod %s: %s", path, strerror(errno));
	if (root >= 0)
		close(root);
	if (rc)
		return -1;
	ld_config_free(&cfg, &ld_host_alloc);
	/* The config, byte for byte; its "created" for the listing. */
	size_t len;
	int missing;
	char *conf = read_member(st, li->config.name, 16 << 20, &len, &missing, e);
	if (!conf)
		return -1;
	snprintf(path, sizeof path, "%s/config.json", tmpl);
	cJSON *cj = cJSON_ParseWithLength(conf, len);
	long long created = parse_created(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cj, "created")));
	cJSON_Delete(cj);
	rc = write_file(path, conf, len);
	free(conf);
	if (rc)
		return ld_fail(e, "cannot write %s", path);
	/* The layers, once each, as verified by the unpack above. */
	cJSON *ij = cJSON_CreateObject(), *ls = cJSON_AddArrayToObject(ij, "layers");
	cJSON_AddNumberToObject(ij, "created", (double)created);
	cJSON_AddNumberToObject(ij, "size", (double)stats.bytes_out);
	for (u32 i = 0; i < li->nlayers; i++) {
		char hex[65], dig[72];
		/* An OCI layer is named by its blob's digest; a docker-archive's,
		 * which has none, by its diff_id (the tar the file holds, which
		 * may be gzipped: the loader sniffs). */
		const struct ld_blob *b = &li->layers[i];
		ld_hex(hex, b->has_digest ? b->digest : b->diff_id, 32);
		snprintf(dig, sizeof dig, "sha256:%s", hex);
		cJSON_AddItemToArray(ls, cJSON_CreateString(dig));
		if ((rc = stage_blob(st, src, b->name, hex, tmpl, e)))
			break;
	}
	snprintf(path, sizeof path, "%s/image.json", tmpl);
	if (!rc && write_json(path, ij))
		return ld_fail(e, "cannot write %s", path);
	if (rc)
		cJSON_Delete(ij);
	return rc;
}

static void emit_image(const char *action, const char *id, const char *canon)
{
	char fam[512], sid[72];
	snprintf(sid, sizeof sid, "sha256:%s", id);
	if (canon)
		ref_familiar(canon, fam, sizeof fam);
	events_emit("image", action, sid, canon ? fam : NULL);
}

/* The loader's view of the archive.  What `docker save` writes since
 * Docker 25 holds both an OCI layout and manifest.json: dockerd reads
 * manifest.json, whose RepoTags pick each image, so the loader is shown no
 * oci-layout. */
struct archive {
	struct ld_store st, *in;
	int docker;               /* manifest.json is there: hide oci-layout */
};

static int archive_open(struct ld_store *st, const char *name, struct ld_src **src, u64 *size,
			struct ld_err *err)
{
	struct archive *a = (struct archive *)st;
	if (a->docker && !strcmp(name, "oci-layout"))
		return 1;
	return a->in->open(a->in, name, src, size, err);
}

static void archive_close(struct ld_store *st, struct ld_src *src)
{
	struct archive *a = (struct archive *)st;
	a->in->close(a->in, src);
}

/* An image is in the store when its folder is: what a stage in a child
 * process (which has a copy of the list from its fork, or none) can see. */
static int image_present(const char *id)
{
	char *p = path_of("%s/images/%s%s", id, NULL);
	int r = p && !access(p, F_OK);
	free(p);
	return r;
}

cJSON *store_stage(const char *path, char *err, size_t cap)
{
	struct ld_err e = { "" };
	struct entry *en = NULL;
	int n = 0;
	cJSON *plan = NULL;
	struct archive ar = { { archive_open, archive_close }, ld_host_store_open(path, &e), 0 };
	struct ld_store *st = &ar.st;
	if (!ar.in || list_entries(st, &en, &n, &ar.docker, &e))
		goto done;
	for (int i = 0; i < n; i++) {
		struct ld_opts o = { .ref = en[i].ref };
		struct ld_image li;
		struct ld_config cfg;
		if (ld_inspect(st, &o, &ld_host_alloc, &li, &cfg, &e))
			goto done;
		ld_config_free(&cfg, &ld_host_alloc);
		ld_hex(en[i].id, li.config.digest, 32);
		int seen = image_present(en[i].id);
		for (int k = 0; k < i; k++)
			seen |= !strcmp(en[k].id, en[i].id);
		int r = seen ? 0 : stage(st, path, &en[i], &li, &e);
		ld_image_free(&li, &ld_host_alloc);
		if (r)
			goto done;
	}
	plan = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(plan, "images");
	for (int i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject(), *names = cJSON_AddArrayToObject(o, "names");
		cJSON_AddStringToObject(o, "id", en[i].id);
		if (en[i].stage)
			cJSON_AddStringToObject(o, "stage", en[i].stage);
		for (int k = 0; k < en[i].nnames; k++)
			cJSON_AddItemToArray(names, cJSON_CreateString(en[i].names[k]));
		cJSON_AddItemToArray(arr, o);
	}
	for (int i = 0; i < n; i++)   /* the commit's now */
		free(en[i].stage), en[i].stage = NULL;
done:
	if (!plan) {
		/* The upload's file name is ours, not the client's: leave it out. */
		char pre[4200];
		snprintf(pre, sizeof pre, "image '%s': ", path);
		const char *m = strncmp(e.msg, pre, strlen(pre)) ? e.msg : e.msg + strlen(pre);
		snprintf(err, cap, "%s", m[0] ? m : "load failed");
	}
	entries_free(en, n);
	ld_host_store_close(ar.in);
	return plan;
}

/* Moves a staged image's blobs into blobs/ (those the store has stay as
 * they are), then its folder into images/. */
static int commit_one(const char *id, const char *st, struct ld_err *e)
{
	char dir[4300], from[4400], to[4400];
	snprintf(dir, sizeof dir, "%s/blobs", st);
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = d ? 0 : ld_fail(e, "cannot open %s: %s", dir, strerror(errno));
	while (!rc && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(from, sizeof from, "%s/%s", dir, de->d_name);
		snprintf(to, sizeof to, "%s/blobs/sha256/%s", eng.data_root, de->d_name);
		if (strlen(de->d_name) != 64 || !ref_is_hex(de->d_name) || (access(to, F_OK) && rename(from, to)))
			rc = ld_fail(e, "cannot store layer %s: %s", de->d_name, strerror(errno));
	}
	if (d)
		closedir(d);
	if (rc || ld_rmtree_at(AT_FDCWD, dir))
		return rc ? rc : ld_fail(e, "cannot remove %s", dir);
	char *dest = path_of("%s/images/%s%s", id, NULL);
	struct image *im = image_read(st, id);
	if (!dest || !im || rename(st, dest)) {
		ld_fail(e, "cannot move image %s into the store: %s", id, im ? strerror(errno) : "unreadable image.json");
		free(dest);
		image_free(im);
		return -1;
	}
	free(dest);
	im->next = images;
	images = im;
	return 0;
}

/* A plan entry's staged folder: DATA/tmp/load-*, or NULL. */
static const char *stage_dir(const cJSON *it)
{
	char tmp[4200];
	const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "stage"));
	size_t n = (size_t)snprintf(tmp, sizeof tmp, "%s/tmp/load-", eng.data_root);
	return st && !strncmp(st, tmp, n) && !strchr(st + n, '/') ? st : NULL;
}

int store_commit(const cJSON *plan, struct buf *out, char *err, size_t cap)
{
	struct ld_err e = { "" };
	const cJSON *it, *nm, *arr = cJSON_GetObjectItemCaseSensitive(plan, "images");
	int rc = cJSON_IsArray(arr) ? 0 : ld_fail(&e, "the stage left no plan");
	/* Every staged folder is committed or removed: images first, then tags. */
	cJSON_ArrayForEach(it, arr) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "id"));
		const char *st = stage_dir(it);
		if (!id || strlen(id) != 64 || !ref_is_hex(id))
			rc = ld_fail(&e, "the stage left a bad plan");
		if (!st)
			continue;
		if (rc || find_id(id) || commit_one(id, st, &e)) {   /* find_id: another load had it first */
			rc |= !find_id(id);
			ld_rmtree_at(AT_FDCWD, st);
			continue;
		}
		emit_image("load", id, cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(it, "names"), 0)));
	}
	cJSON_ArrayForEach(it, (rc ? NULL : arr)) {
		struct image *im = find_id(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "id")));
		const cJSON *names = cJSON_GetObjectItemCaseSensitive(it, "names");
		char fam[512];
		if (!im) {
			rc = ld_fail(&e, "image %s is not in the store", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "id")));
			break;
		}
		cJSON_ArrayForEach(nm, names) {
			const char *name = cJSON_GetStringValue(nm);
			if (!name)
				continue;
			if (add_tag(name, im))
				rc = ld_fail(&e, "cannot record the tags");
			ref_familiar(name, fam, sizeof fam);
			buf_printf(out, "Loaded image: %s\n", fam);
			emit_image("tag", im->id, name);
		}
		if (!cJSON_GetArraySize(names))
			buf_printf(out, "Loaded image ID: sha256:%s\n", im->id);
	}
	if (!rc && save_tags())
		rc = ld_fail(&e, "cannot record the tags");
	if (rc)
		snprintf(err, cap, "%s", e.msg);
	gc_blobs();
	return rc ? -1 : 0;
}

void store_discard(const cJSON *plan)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(plan, "images"))
		if (stage_dir(it))
			ld_rmtree_at(AT_FDCWD, stage_dir(it));
}

static int staged(const cJSON *plan)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(plan, "images"))
		if (stage_dir(it))
			return 1;
	return 0;
}

static int load(const char *path, int only_new, struct buf *out, char *err, size_t cap)
{
	cJSON *plan = store_stage(path, err, cap);
	int rc = !plan ? -1 : only_new && !staged(plan) ? 1 : store_commit(plan, out, err, cap);
	cJSON_Delete(plan);
	return rc;
}

int store_load(const char *path, struct buf *out, char *err, size_t cap)
{
	return load(path, 0, out, err, cap);
}

int store_load_new(const char *path, struct buf *out, char *err, size_t cap)
{
	return load(path, 1, out, err, cap);
}

/* ---- docker-archive out */
int store_export(int fd, struct image **ims, const char **tagv, int n, char *err, size_t cap)
{
	cJSON *man = cJSON_CreateArray();
	char name[128];
	int rc = tarw_dir(fd, "blobs/") || tarw_dir(fd, "blobs/sha256/");
	for (int i = 0; !rc && i < n; i++) {
		struct image *im = ims[i];
		int dup = 0;
		for (int k = 0; k < i; k++)
			dup |= ims[k] == im;
		cJSON *m = cJSON_CreateObject(), *ls;
		cJSON_AddItemToArray(man, m);
		snprintf(name, sizeof name, "blobs/sha256/%s", im->id);
		cJSON_AddStringToObject(m, "Config", name);
		cJSON *rt = cJSON_AddArrayToObject(m, "RepoTags");
		if (tagv[i]) {
			char fam[512];
			ref_familiar(tagv[i], fam, sizeof fam);
			cJSON_AddItemToArray(rt, cJSON_CreateString(fam));
		}
		ls = cJSON_AddArrayToObject(m, "Layers");
		char *cp = store_path(im, "config.json");
		int cfd = cp ? open(cp, O_RDONLY | O_CLOEXEC) : -1;
		free(cp);
		if (!dup && (cfd < 0 || tarw_copy(fd, name, cfd)))
			rc = -1;
		if (cfd >= 0)
			close(cfd);
		for (int l = 0; !rc && l < im->nlayers; l++) {
			snprintf(name, sizeof name, "blobs/sha256/%s", im->layers[l]);
			cJSON_AddItemToArray(ls, cJSON_CreateString(name));
			int seen = dup;
			for (int k = 0; k < i && !seen; k++)
				for (int q = 0; q < ims[k]->nlayers; q++)
					seen |= !strcmp(ims[k]->layers[q], im->layers[l]);
			for (int q = 0; q < l; q++)
				seen |= !strcmp(im->layers[q], im->layers[l]);
			if (seen)
				continue;
			char *bp = path_of("%s/blobs/sha256/%s%s", im->layers[l], NULL);
			int bfd = bp ? open(bp, O_RDONLY | O_CLOEXEC) : -1;
			free(bp);
			if (bfd < 0 || tarw_copy(fd, name, bfd))
				rc = -1;
			if (bfd >= 0)
				close(bfd);
		}
	}
	char *s = rc ? NULL : cJSON_PrintUnformatted(man);
	if (!rc && (!s || tarw_file(fd, "manifest.json", s, strlen(s)) || tarw_end(fd)))
		rc = -1;
	free(s);
	cJSON_Delete(man);
	if (rc)
		snprintf(err, cap, "cannot write the archive: %s", strerror(errno));
	return rc;
}
