/* The /images endpoints of the Engine API over the image store (store.c):
 * list, inspect, load, tag, delete and docker-archive export.  {name} is a
 * reference, "sha256:"+ID or a unique ID prefix, and may hold slashes
 * (localhost:5000/a/b:tag), as dockerd routes it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "engine.h"

/* The image's tags (digests: 0) or digest references (1), familiar. */
static cJSON *repo_refs(const struct image *im, int digests)
{
	cJSON *a = cJSON_CreateArray();
	char fam[512];
	for (int i = 0; i < store_ntags(); i++)
		if (store_tag_image(i) == im && !strchr(store_tag_name(i), '@') == !digests) {
			ref_familiar(store_tag_name(i), fam, sizeof fam);
			cJSON_AddItemToArray(a, cJSON_CreateString(fam));
		}
	return a;
}

static cJSON *repo_tags(const struct image *im) { return repo_refs(im, 0); }

static cJSON *read_config(const struct image *im)
{
	char *p = store_path(im, "config.json");
	int fd = p ? open(p, O_RDONLY | O_CLOEXEC) : -1;
	struct stat st;
	cJSON *j = NULL;
	free(p);
	if (fd >= 0 && !fstat(fd, &st) && st.st_size < (16 << 20)) {
		char *s = malloc((size_t)st.st_size + 1);
		if (s && read(fd, s, (size_t)st.st_size) == st.st_size)
			j = cJSON_ParseWithLength(s, (size_t)st.st_size);
		free(s);
	}
	if (fd >= 0)
		close(fd);
	return j;
}

static char *id_str(const struct image *im, char *buf)
{
	sprintf(buf, "sha256:%s", im->id);
	return buf;
}

/* reference=PATTERN matches the familiar name with or without its tag. */
static int ref_matches(const cJSON *f, const struct image *im)
{
	const cJSON *v;
	char fam[512];
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(f, "reference"))
		for (int i = 0; i < store_ntags(); i++) {
			if (store_tag_image(i) != im || strchr(store_tag_name(i), '@'))
				continue;
			ref_familiar(store_tag_name(i), fam, sizeof fam);
			if (!fnmatch(v->valuestring, fam, FNM_PATHNAME))
				return 1;
			char *colon = strrchr(fam, ':');
			*colon = 0;
			if (!fnmatch(v->valuestring, fam, FNM_PATHNAME))
				return 1;
		}
	return 0;
}

/* An image as GET /images/json lists it; containers: how many use it, or
 * -1 (not counted).  SharedSize is not counted either (-1). */
static cJSON *summary(const struct image *im, const cJSON *labels, int containers)
{
	char id[72];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "Id", id_str(im, id));
	cJSON_AddStringToObject(o, "ParentId", "");
	cJSON_AddItemToObject(o, "RepoTags", repo_tags(im));
	cJSON_AddItemToObject(o, "RepoDigests", repo_refs(im, 1));
	cJSON_AddNumberToObject(o, "Created", (double)im->created);
	cJSON_AddNumberToObject(o, "Size", (double)im->size);
	cJSON_AddNumberToObject(o, "SharedSize", -1);
	cJSON_AddItemToObject(o, "Labels", cJSON_IsObject(labels) ? cJSON_Duplicate(labels, 1) : cJSON_CreateObject());
	cJSON_AddNumberToObject(o, "Containers", containers);
	return o;
}

cJSON *images_df(double *layers_size)
{
	cJSON *a = cJSON_CreateArray();
	*layers_size = 0;
	for (struct image *im = store_images(); im; im = im->next) {
		cJSON *cfg = read_config(im);
		cJSON *labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg, "config"), "Labels");
		cJSON *o = summary(im, labels, containers_use_image(im->id));
		/* each image has its own unpacked tree (blobs are not counted in Size) */
		cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "SharedSize"), 0);
		cJSON_AddItemToArray(a, o);
		cJSON_Delete(cfg);
		*layers_size += (double)im->size;
	}
	return a;
}

static void list(struct req *r)
{
	static const char *const keys[] = { "dangling", "reference", "label", NULL };
	cJSON *f = filters_parse(r, keys);
	if (!f)
		return;
	cJSON *a = cJSON_CreateArray();
	for (struct image *im = store_images(); im; im = im->next) {
		int ntags = store_image_ntags(im);
		if (filter_has(f, "dangling") && filter_match(f, "dangling", "true") != !ntags)
			continue;
		if (filter_has(f, "reference") && !ref_matches(f, im))
			continue;
		cJSON *cfg = read_config(im);
		cJSON *labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg, "config"), "Labels");
		const cJSON *lv;
		int ok = 1;
		cJSON_ArrayForEach(lv, cJSON_GetObjectItemCaseSensitive(f, "label")) {
			char *eq = strchr(lv->valuestring, '=');
			cJSON *have = NULL;
			if (eq)
				*eq = 0;
			have = cJSON_GetObjectItemCaseSensitive(labels, lv->valuestring);
			ok &= have && (!eq || !strcmp(cJSON_GetStringValue(have) ? have->valuestring : "", eq + 1));
			if (eq)
				*eq = '=';
		}
		if (!ok) {
			cJSON_Delete(cfg);
			continue;
		}
		cJSON_AddItemToArray(a, summary(im, labels, -1));
		cJSON_Delete(cfg);
	}
	cJSON_Delete(f);
	http_json(r->c, 200, a);
}

static void inspect(struct req *r, struct image *im)
{
	char id[72];
	cJSON *cfg = read_config(im);
	if (!cfg) {
		http_error(r->c, 500, "image %s: unreadable config", im->id);
		return;
	}
	cJSON *o = cJSON_CreateObject(), *v;
	cJSON_AddStringToObject(o, "Id", id_str(im, id));
	cJSON_AddItemToObject(o, "RepoTags", repo_tags(im));
	cJSON_AddItemToObject(o, "RepoDigests", repo_refs(im, 1));
	cJSON_AddStringToObject(o, "Parent", "");
	v = cJSON_GetObjectItemCaseSensitive(cfg, "comment");
	cJSON_AddStringToObject(o, "Comment", cJSON_GetStringValue(v) ? v->valuestring : "");
	v = cJSON_GetObjectItemCaseSensitive(cfg, "created");
	cJSON_AddStringToObject(o, "Created", cJSON_GetStringValue(v) ? v->valuestring : "");
	v = cJSON_GetObjectItemCaseSensitive(cfg, "docker_version");
	cJSON_AddStringToObject(o, "DockerVersion", cJSON_GetStringValue(v) ? v->valuestring : "");
	v = cJSON_GetObjectItemCaseSensitive(cfg, "author");
	cJSON_AddStringToObject(o, "Author", cJSON_GetStringValue(v) ? v->valuestring : "");
	v = cJSON_GetObjectItemCaseSensitive(cfg, "config");
	cJSON_AddItemToObject(o, "Config", cJSON_IsObject(v) ? cJSON_Duplicate(v, 1) : cJSON_CreateObject());
	v = cJSON_GetObjectItemCaseSensitive(cfg, "architecture");
	cJSON_AddStringToObject(o, "Architecture", cJSON_GetStringValue(v) ? v->valuestring : "");
	v = cJSON_GetObjectItemCaseSensitive(cfg, "variant");
	if (cJSON_GetStringValue(v))
		cJSON_AddStringToObject(o, "Variant", v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(cfg, "os");
	cJSON_AddStringToObject(o, "Os", cJSON_GetStringValue(v) ? v->valuestring : "");
	cJSON_AddNumberToObject(o, "Size", (double)im->size);
	cJSON *gd = cJSON_AddObjectToObject(o, "GraphDriver");
	cJSON_AddStringToObject(gd, "Name", "bulkhead");
	char *root = store_path(im, "rootfs");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(gd, "Data"), "LowerDir", root ? root : "");
	free(root);
	cJSON *rootfs = cJSON_AddObjectToObject(o, "RootFS");
	cJSON_AddStringToObject(rootfs, "Type", "layers");
	v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg, "rootfs"), "diff_ids");
	cJSON_AddItemToObject(rootfs, "Layers", cJSON_IsArray(v) ? cJSON_Duplicate(v, 1) : cJSON_CreateArray());
	cJSON_AddObjectToObject(o, "Metadata");
	cJSON_Delete(cfg);
	http_json(r->c, 200, o);
}

/* POST /images/load.  A child stages the upload (store_stage: verified,
 * unpacked) while the loop serves others; its plan comes back on a
 * socket and the daemon commits it (load_done).  The upload is renamed to
 * the job's own name first: the connection removes its file after this. */
struct loadjob {
	struct helper h;          /* the plan's JSON, or {"error"} */
	char src[300];
	struct timespec t0;
};

static void load_free(struct helper *h)
{
	struct loadjob *j = (struct loadjob *)h;
	unlink(j->src);
	free(j->h.out.p);
	free(j);
}

static void load_child(struct helper *h, void *unused)
{
	struct loadjob *j = (struct loadjob *)h;
	char err[1024];
	(void)unused;
	cJSON *plan = store_stage(j->src, err, sizeof err);
	if (!plan)
		cJSON_AddStringToObject(plan = cJSON_CreateObject(), "error", err);
	char *s = cJSON_PrintUnformatted(plan);
	if (!s || buf_put(&h->out, s, strlen(s)))
		store_discard(plan);
	free(s);
	cJSON_Delete(plan);
}

static void load_unsent(struct helper *h)
{
	cJSON *plan = cJSON_ParseWithLength(h->out.p, h->out.len);
	store_discard(plan);
	cJSON_Delete(plan);
}

static void load_done(struct conn *c)
{
	struct loadjob *j = (struct loadjob *)c->helper;
	struct buf out = { 0 };
	char err[1024] = "the load's helper process ended without an answer";
	struct timespec t1;
	c->helper = NULL;
	c->held = 0;
	c->closing = 1;   /* the requests after it were not read */
	cJSON *plan = cJSON_ParseWithLength(j->h.out.p, j->h.out.len);
	const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(plan, "error"));
	int rc = !plan || e ? -1 : store_commit(plan, &out, err, sizeof err);
	if (e)
		snprintf(err, sizeof err, "%s", e);
	cJSON_Delete(plan);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	logmsg("load: %s in %ld ms", rc ? err : "done",
	       (long)((t1.tv_sec - j->t0.tv_sec) * 1000 + (t1.tv_nsec - j->t0.tv_nsec) / 1000000));
	/* As dockerd: 200 and a JSON message stream; a failure is its last
	 * message, {"errorDetail":{"message":...},"error":...}. */
	http_stream_begin(c, 200, "application/json");
	for (char *line = out.p, *nl; line && (nl = strchr(line, '\n')); line = nl + 1) {
		cJSON *m = cJSON_CreateObject();
		char *s = strndup(line, (size_t)(nl - line + 1));
		cJSON_AddStringToObject(m, "stream", s ? s : "");
		free(s);
		http_stream_json(c, m);
	}
	if (rc) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(cJSON_AddObjectToObject(m, "errorDetail"), "message", err);
		cJSON_AddStringToObject(m, "error", err);
		http_stream_json(c, m);
	}
	http_stream_end(c);
	free(out.p);
	load_free(&j->h);
}

static void load(struct req *r)
{
	struct loadjob *j = calloc(1, sizeof *j);
	if (!j) {
		http_error(r->c, 500, "out of memory");
		return;
	}
	j->h = (struct helper){ .done = load_done, .free = load_free, .unsent = load_unsent };
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	snprintf(j->src, sizeof j->src, "%s.load", r->load_path);
	if (rename(r->load_path, j->src) || helper_start(r->c, &j->h, -1, load_child, NULL)) {
		http_error(r->c, 500, "cannot start the load: %s", strerror(errno));
		load_free(&j->h);
	}
}

static void tag(struct req *r, struct image *im)
{
	char repo[512], tg[160], ref[700], canon[512], err[600];
	int rc = query_param(r, "repo", 0, repo, sizeof repo), trc;
	if (rc == -2 || (trc = query_param(r, "tag", 0, tg, sizeof tg)) == -2)
		return;
	if (rc || !repo[0]) {
		http_error(r->c, 400, "repository name must have at least one component");
		return;
	}
	if (!trc && tg[0]) {
		const char *slash = strrchr(repo, '/'), *colon = strrchr(repo, ':');
		if (colon && (!slash || colon > slash)) {
			http_error(r->c, 400, "invalid reference format: %s has a tag and tag=%s was given",
				   repo, tg);
			return;
		}
		if (!ref_tag_ok(tg)) {
			http_error(r->c, 400, "invalid tag format: %s", tg);
			return;
		}
		snprintf(ref, sizeof ref, "%s:%s", repo, tg);
	} else
		snprintf(ref, sizeof ref, "%s", repo);
	if (ref_normalize(ref, canon, sizeof canon, err, sizeof err)) {
		http_error(r->c, 400, "%s", err);
		return;
	}
	if (strchr(canon, '@')) {
		http_error(r->c, 400, "refusing to create a tag with a digest reference");
		return;
	}
	if (store_tag(im, canon, err, sizeof err)) {
		http_error(r->c, 500, "%s", err);
		return;
	}
	char id[72], fam[512];
	ref_familiar(canon, fam, sizeof fam);
	events_emit("image", "tag", id_str(im, id), fam);
	http_reply(r->c, 201, NULL, "", 0);
}

/* One {"Untagged": NAME} or {"Deleted": ID} line of the answer, and its event. */
static void deleted(cJSON *a, const char *key, const char *id, const char *fam)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, key, fam ? fam : id);
	cJSON_AddItemToArray(a, o);
	events_emit("image", fam ? "untag" : "delete", id, fam);
}

/* What removing reference canon of im takes (at most max, into gone; they
 * stay the store's): canon, and when it is a tag and no other tag of its
 * repository is left, that repository's digest references too (dockerd's
 * clean-up); how many. */
static int untag_set(const struct image *im, const char *canon, char **gone, int max)
{
	size_t rl = strcspn(canon, "@");
	int n = 0, same_repo_tags = 0;
	if (rl == strlen(canon))
		rl = (size_t)(strrchr(canon, ':') - canon);
	for (int i = 0; i < store_ntags(); i++) {
		char *t = (char *)store_tag_name(i);
		int mine = store_tag_image(i) == im && !strncmp(t, canon, rl) && (t[rl] == ':' || t[rl] == '@');
		if (mine && t[rl] == ':' && strcmp(t, canon))
			same_repo_tags++;
		if (!strcmp(t, canon) && store_tag_image(i) == im && n < max)
			gone[n++] = t;
	}
	for (int i = 0; !strchr(canon, '@') && !same_repo_tags && i < store_ntags() && n < max; i++) {
		char *t = (char *)store_tag_name(i);
		if (store_tag_image(i) == im && !strncmp(t, canon, rl) && t[rl] == '@')
			gone[n++] = t;
	}
	return n;
}

/* As dockerd: a tag of an image with several is only untagged; an ID with
 * several tags needs force; else every tag goes, then the image. */
static void delete(struct req *r, const char *name, struct image *im, int by_tag)
{
	char id[72], canon[512], fam[512], err[512];
	cJSON *a = cJSON_CreateArray();
	id_str(im, id);
	if (by_tag) {
		ref_normalize(name, canon, sizeof canon, err, sizeof err);
		char *gone[64];
		int n = untag_set(im, canon, gone, 64);
		if (store_image_ntags(im) > n) {
			for (int i = 0; i < n; i++) {
				ref_familiar(gone[i], fam, sizeof fam);
				deleted(a, "Untagged", id, fam);
				if (store_untag(gone[i])) {
					cJSON_Delete(a);
					http_error(r->c, 500, "cannot record the tags");
					return;
				}
			}
			http_json(r->c, 200, a);
			return;
		}
	}
	if (containers_use_image(im->id)) {
		cJSON_Delete(a);
		http_error(r->c, 409, "conflict: unable to delete %.12s - image is being used by %d container(s)",
			   im->id, containers_use_image(im->id));
		return;
	}
	if (!by_tag && store_image_ntags(im) > 1 && !query_bool(r->query, "force")) {
		cJSON_Delete(a);
		http_error(r->c, 409, "conflict: unable to delete %.12s (must be forced) - "
			   "image is referenced in multiple repositories", im->id);
		return;
	}
	for (int digests = 0; digests < 2; digests++)   /* tags, then digests, as dockerd */
		for (int i = 0; i < store_ntags(); i++)
			if (store_tag_image(i) == im && !strchr(store_tag_name(i), '@') == !digests) {
				ref_familiar(store_tag_name(i), fam, sizeof fam);
				deleted(a, "Untagged", id, fam);
			}
	if (store_delete(im)) {
		cJSON_Delete(a);
		http_error(r->c, 500, "cannot delete image %s", id);
		return;
	}
	deleted(a, "Deleted", id, NULL);
	http_json(r->c, 200, a);
}

/* Docker-archive of the named images, through an unlinked file. */
static void get(struct req *r, const char *const *names, int n)
{
	struct image **ims = calloc((size_t)n + 1, sizeof *ims);
	const char **tagv = calloc((size_t)n + 1, sizeof *tagv);
	char *canon = calloc((size_t)n + 1, 512);
	char err[1024], path[4200];
	int fd = -1;
	if (!ims || !tagv || !canon) {
		http_error(r->c, 500, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		int by_tag, st = store_find(names[i], &ims[i], &by_tag, err, sizeof err);
		if (st) {
			http_error(r->c, st, "%s", err);
			goto out;
		}
		if (by_tag && !ref_normalize(names[i], canon + 512 * i, 512, err, sizeof err) && !strchr(canon + 512 * i, '@'))
			tagv[i] = canon + 512 * i;   /* a digest names no tag */
	}
	snprintf(path, sizeof path, "%s/tmp/export-XXXXXX", eng.data_root);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		http_error(r->c, 500, "cannot create %s", path);
		goto out;
	}
	unlink(path);
	if (store_export(fd, ims, tagv, n, err, sizeof err)) {
		http_error(r->c, 500, "%s", err);
		goto out;
	}
	off_t size = lseek(fd, 0, SEEK_CUR);
	lseek(fd, 0, SEEK_SET);
	http_send_file(r->c, "application/x-tar", fd, (uint64_t)size);
	fd = -1;
	for (int i = 0; i < n; i++) {
		char id[72];
		events_emit("image", "save", id_str(ims[i], id), NULL);
	}
out:
	if (fd >= 0)
		close(fd);
	free(ims);
	free(tagv);
	free(canon);
}

static void get_many(struct req *r)
{
	char v[32][512];
	const char *names[32];
	int n = 0;
	int rc = 0;
	while (n < 32 && !(rc = query_param(r, "names", n, v[n], sizeof v[n]))) {
		names[n] = v[n];
		n++;
	}
	if (rc == -2)
		return;
	if (n == 32 && !query_get(r->query, "names", n, v[0], sizeof v[0]))
		http_error(r->c, 400, "at most 32 images in one archive");
	else if (!n)
		http_error(r->c, 400, "no image names given (names=...)");
	else
		get(r, names, n);
}

/* GET /images/{name}/history: the config's history, newest first.  A
 * step with a layer gets that layer's stored blob size (dockerd: the
 * unpacked size); the newest step carries the image's ID and tags, the
 * others "<missing>", as for a pulled image. */
static void history(struct req *r, struct image *im)
{
	cJSON *cfg = read_config(im), *a = cJSON_CreateArray(), *h;
	cJSON *steps = cJSON_GetObjectItemCaseSensitive(cfg, "history");
	int layer = im->nlayers, n = cJSON_GetArraySize(steps);
	char id[72];
	for (int i = n - 1; i >= 0; i--) {
		h = cJSON_GetArrayItem(steps, i);
		cJSON *o = cJSON_CreateObject();
		struct tm tm = { 0 };
		const char *created = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "created"));
		const char *by = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "created_by"));
		const char *comment = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "comment"));
		long long size = 0;
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "empty_layer")) && layer > 0) {
			char path[4200];
			struct stat st;
			snprintf(path, sizeof path, "%s/blobs/sha256/%s", eng.data_root, im->layers[--layer]);
			size = stat(path, &st) ? 0 : (long long)st.st_size;
		}
		cJSON_AddStringToObject(o, "Id", i == n - 1 ? id_str(im, id) : "<missing>");
		cJSON_AddNumberToObject(o, "Created", created && strptime(created, "%Y-%m-%dT%H:%M:%S", &tm) ?
					(double)timegm(&tm) : 0);
		cJSON_AddStringToObject(o, "CreatedBy", by ? by : "");
		cJSON_AddItemToObject(o, "Tags", i == n - 1 ? repo_tags(im) : cJSON_CreateNull());
		cJSON_AddNumberToObject(o, "Size", (double)size);
		cJSON_AddStringToObject(o, "Comment", comment ? comment : "");
		cJSON_AddItemToArray(a, o);
	}
	cJSON_Delete(cfg);
	http_json(r->c, 200, a);
}

/* POST /images/prune: dangling images (no tag) no container uses;
 * filters dangling=false takes every unused image, tagged or not. */
static void prune(struct req *r)
{
	static const char *const keys[] = { "dangling", NULL };
	cJSON *f = filters_parse(r, keys);
	if (!f)
		return;
	int all = filter_match(f, "dangling", "false") || filter_match(f, "dangling", "0");
	cJSON_Delete(f);
	cJSON *j = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(j, "ImagesDeleted");
	long long freed = 0;
	char id[72], fam[512];
	for (struct image *im = store_images(), *next; im; im = next) {
		next = im->next;
		if ((!all && store_image_ntags(im)) || containers_use_image(im->id))
			continue;
		for (int i = 0; i < store_ntags(); i++)
			if (store_tag_image(i) == im) {
				ref_familiar(store_tag_name(i), fam, sizeof fam);
				deleted(a, "Untagged", id_str(im, id), fam);
			}
		long long size = im->size;
		id_str(im, id);
		if (store_delete(im))
			continue;
		deleted(a, "Deleted", id, NULL);
		freed += size;
	}
	cJSON_AddNumberToObject(j, "SpaceReclaimed", (double)freed);
	http_json(r->c, 200, j);
}

void images_route(struct req *r)
{
	const char *p = r->path + 8;   /* after "/images/" */
	size_t n = strlen(p);
	int m = r->method, is_get = m == HTTP_GET || m == HTTP_HEAD;
	static const char *const verbs[] = { "/json", "/tag", "/get", "/history" };
	if (!strcmp(p, "json") && is_get)
		return list(r);
	if (!strcmp(p, "prune") && m == HTTP_POST)
		return prune(r);
	if (!strcmp(p, "load") && m == HTTP_POST)
		return load(r);
	if (!strcmp(p, "create") && m == HTTP_POST)
		return pull_start(r);
	if (!strcmp(p, "get") && is_get)
		return get_many(r);
	/* {name}/verb, else DELETE {name} */
	char name[1024];
	const char *verb = "";
	for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++) {
		size_t vl = strlen(verbs[i]);
		if (n > vl && !strcmp(p + n - vl, verbs[i])) {
			verb = verbs[i] + 1;
			n -= vl;
			break;
		}
	}
	snprintf(name, sizeof name, "%.*s", (int)n, p);
	int del = m == HTTP_DELETE && !verb[0];
	if (!name[0] || (!del && !((!strcmp(verb, "json") || !strcmp(verb, "get") || !strcmp(verb, "history")) && is_get) &&
			 !(!strcmp(verb, "tag") && m == HTTP_POST))) {
		http_error(r->c, 404, "page not found");
		return;
	}
	struct image *im;
	char err[1200];
	int by_tag, st = store_find(name, &im, &by_tag, err, sizeof err);
	if (st) {
		http_error(r->c, st, "%s", err);
		return;
	}
	if (del)
		delete(r, name, im, by_tag);
	else if (!strcmp(verb, "json"))
		inspect(r, im);
	else if (!strcmp(verb, "tag"))
		tag(r, im);
	else if (!strcmp(verb, "history"))
		history(r, im);
	else {
		const char *names[1] = { name };
		get(r, names, 1);
	}
}
