/* bulkhead-pull: the client side of the Registry HTTP API v2, run by
 * bulkheadd (pull.c) as this program again for each POST /images/create:
 *
 *   bulkhead-pull DIR CANON HOST REPO TAG [INSECURE-REGISTRY...]
 *
 * It fetches HOST's manifest for REPO:TAG (an image index or Docker
 * manifest list leads to its linux/amd64 manifest), the config and every
 * layer into an OCI image layout DIR/oci whose index.json names CANON, and
 * writes the JSON progress stream of the Engine API ("Pulling fs layer",
 * "Downloading", ...) on its stdout, a socket the daemon relays to the
 * client.  It then stages DIR/oci for the store (store_stage: every blob
 * verified again, the tree unpacked into DATA/tmp/load-*), and
 * DIR/pull.json holds {"digest","config","layers","plan"} (the manifest's
 * digest, the config's, the hex digests of the layers it downloaded, the
 * stage's plan) or {"error"}; the daemon commits the plan (store_commit)
 * and removes DIR.
 *
 * Every byte is checked as it arrives: the manifest fetched by tag against
 * the registry's Docker-Content-Digest (when given), the platform manifest,
 * the config and every layer against the SHA-256 digest and size that name
 * them, so a blob never grows past its stated size.  Manifests and indexes
 * are at most MANIFEST_MAX bytes.  Layers must be tar or tar+gzip: zstd,
 * encrypted and foreign media types are refused by name.  Authentication is
 * the anonymous bearer-token challenge (WWW-Authenticate: Bearer realm=,
 * service=, scope= -> GET realm -> Authorization: Bearer).  There is no TLS:
 * every URL (registry, token realm, redirect) must be http:// to a registry
 * named in INSECURE (bulkhead.cfg's insecure-registries).  On any failure
 * DIR/oci is removed; if the daemon's end of stdout is gone (the client
 * left), DIR is removed whole.  Blobs the store has already (DATA/blobs) are
 * linked, not fetched ("Already exists").  One request per connection,
 * 60 s without a byte ends it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "engine.h"
#include "ld.h"
#include "sha256.h"
#include "util.h"
#include "host/host.h"

#define MANIFEST_MAX (4u << 20)  /* bytes of a manifest or index (distribution's own limit) */
#define CONFIG_MAX (16u << 20)   /* bytes of an image config (the loader's) */
#define TOKEN_MAX (64u << 10)    /* bytes of a token answer */
#define LAYERS_MAX 128           /* layers of one image */
#define IO_TIMEOUT 60            /* seconds a connection may stay silent */
#define HOPS_MAX 6               /* redirects and one token per request */
#define PROGRESS_STEP (512u << 10) /* bytes between two "Downloading" lines */

#define MT_OCI "application/vnd.oci.image."
#define MT_DOCKER "application/vnd.docker."
static const char ACCEPT[] = MT_OCI "index.v1+json, " MT_DOCKER "distribution.manifest.list.v2+json, "
	MT_OCI "manifest.v1+json, " MT_DOCKER "distribution.manifest.v2+json";

static struct {
	const char *dir, *canon, *host, *repo, *tag;
	char **insecure;
	int ninsecure;
	char *token;              /* the bearer token got for this pull, or NULL */
	int gone;                 /* the daemon's end of stdout is closed */
	char err[1024];           /* why the pull failed */
} P;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(P.err, sizeof P.err, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- progress: one JSON object a line on stdout */
static void say(const char *status, const char *id, cJSON *detail, const char *bar)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "status", status);
	if (detail || bar)
		cJSON_AddItemToObject(m, "progressDetail", detail ? detail : cJSON_CreateObject());
	if (bar)
		cJSON_AddStringToObject(m, "progress", bar);
	if (id)
		cJSON_AddStringToObject(m, "id", id);
	char *s = cJSON_PrintUnformatted(m);
	cJSON_Delete(m);
	size_t n = s ? strlen(s) : 0;
	if (s && !P.gone) {
		s[n] = '\n';   /* over the terminating NUL: written with its length */
		for (size_t at = 0; at <= n;) {
			ssize_t w = write(1, s + at, n + 1 - at);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				P.gone = 1;
				break;
			}
			at += (size_t)w;
		}
	}
	free(s);
}

static void say_id(const char *status, const char *id)
{
	say(status, id, cJSON_CreateObject(), NULL);
}

/* go-units' HumanSize: decimal units, three significant digits. */
static void human(double v, char *out, size_t cap)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
	int u = 0;
	while (v >= 1000 && u < 4)
		v /= 1000, u++;
	snprintf(out, cap, "%.3g%s", v, units[u]);
}

static void say_progress(const char *id, uint64_t cur, uint64_t total)
{
	char bar[128], a[16], b[16];
	int fill = total ? (int)(50 * cur / total) : 0;
	human((double)cur, a, sizeof a);
	human((double)total, b, sizeof b);
	snprintf(bar, sizeof bar, "[%.*s>%*s] %8s/%s", fill, "==================================================",
		 50 - fill, "", a, b);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "current", (double)cur);
	cJSON_AddNumberToObject(d, "total", (double)total);
	say("Downloading", id, d, bar);
}

/* ---- HTTP/1.1 GET, one per connection, parsed by http-parser */
struct resp {
	int status;
	char ctype[128], digest[80], auth[2048], location[2048];
	char hname[32];
	int hname_done, complete;
	struct buf errbody;        /* a non-200 body (the registry's error) */
	/* the 200 body goes to mem or fd, hashed, at most limit bytes */
	struct buf *mem;
	int fd;
	uint64_t limit, got, next_note;
	struct ld_sha256 sha;
	const char *id;            /* "Downloading" lines for this layer, or NULL */
	int over, werr;
};

static int on_header_field(http_parser *hp, const char *at, size_t n)
{
	struct resp *r = hp->data;
	if (r->hname_done)
		r->hname[0] = 0, r->hname_done = 0;
	size_t have = strlen(r->hname);
	for (size_t i = 0; i < n && have + 1 < sizeof r->hname; i++)
		r->hname[have++] = (char)(at[i] | 0x20);
	r->hname[have] = 0;
	return 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t n)
{
	struct resp *r = hp->data;
	static const struct { const char *name; size_t off, cap; } keep[] = {
		{ "content-type", offsetof(struct resp, ctype), sizeof ((struct resp *)0)->ctype },
		{ "docker-content-digest", offsetof(struct resp, digest), sizeof ((struct resp *)0)->digest },
		{ "www-authenticate", offsetof(struct resp, auth), sizeof ((struct resp *)0)->auth },
		{ "location", offsetof(struct resp, location), sizeof ((struct resp *)0)->location },
	};
	r->hname_done = 1;
	for (size_t k = 0; k < sizeof keep / sizeof *keep; k++)
		if (!strcmp(r->hname, keep[k].name)) {
			char *v = (char *)r + keep[k].off;
			size_t have = strlen(v);
			snprintf(v + have, keep[k].cap - have, "%.*s", (int)n, at);
		}
	return 0;
}

static int on_headers_complete(http_parser *hp)
{
	struct resp *r = hp->data;
	r->status = hp->status_code;
	if (r->status == 200 && hp->content_length != ULLONG_MAX && hp->content_length > r->limit)
		return r->over = 1, -1;
	return 0;
}

static int on_body(http_parser *hp, const char *at, size_t n)
{
	struct resp *r = hp->data;
	if (r->status != 200) {
		if (r->errbody.len + n <= 4096)
			buf_put(&r->errbody, at, n);
		return 0;
	}
	if (r->got + n > r->limit)
		return r->over = 1, -1;
	ld_sha256_update(&r->sha, at, n);
	r->got += n;
	if (r->mem && buf_put(r->mem, at, n))
		return r->werr = ENOMEM, -1;
	for (size_t done = 0; r->fd >= 0 && done < n;) {
		ssize_t w = write(r->fd, at + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return r->werr = w < 0 ? errno : ENOSPC, -1;
		done += (size_t)w;
	}
	if (r->id && r->got >= r->next_note) {
		say_progress(r->id, r->got, r->limit);
		r->next_note = r->got + PROGRESS_STEP;
	}
	return 0;
}

static int on_message_complete(http_parser *hp)
{
	((struct resp *)hp->data)->complete = 1;
	return 0;
}

static const http_parser_settings settings = {
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

static int allowed(const char *hostport)
{
	for (int i = 0; i < P.ninsecure; i++)
		if (!strcmp(P.insecure[i], hostport))
			return 1;
	return 0;
}

/* http://HOST[:PORT]/PATH -> hostport, path; refuses https:// and hosts
 * not named insecure. */
static int split_url(const char *url, char *hostport, size_t cap, const char **path)
{
	if (strncmp(url, "http://", 7))
		return fail("%s: Bulkhead has no TLS: only plain-HTTP registries named in bulkhead.cfg's "
			    "insecure-registries can be reached", url);
	const char *h = url + 7;
	size_t n = strcspn(h, "/?#");
	if (!n || n >= cap)
		return fail("%s: malformed URL", url);
	memcpy(hostport, h, n);
	hostport[n] = 0;
	*path = h[n] == '/' ? h + n : "/";
	if (!allowed(hostport))
		return fail("%s: registry %s is not in insecure-registries (bulkhead.cfg); Bulkhead has no "
			    "TLS and pulls only from plain-HTTP registries named there", url, hostport);
	return 0;
}

static int dial(const char *hostport)
{
	char host[256], *port = "80";
	snprintf(host, sizeof host, "%s", hostport);
	char *colon = strrchr(host, ':');
	if (colon)
		*colon = 0, port = colon + 1;
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc)
		return fail("cannot resolve %s: %s", host, gai_strerror(rc));
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { IO_TIMEOUT, 0 };
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		fail("cannot connect to %s: %s", hostport, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* One GET of url; the response's head and body in r.  0 or -1. */
static int get_once(const char *url, const char *accept, struct resp *r)
{
	char hostport[256];
	const char *path = "/";
	struct buf q = { 0 };
	if (split_url(url, hostport, sizeof hostport, &path))
		return -1;
	buf_printf(&q, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: bulkhead/" ENGINE_VERSION
		   "\r\nConnection: close\r\n", path, hostport);
	if (accept)
		buf_printf(&q, "Accept: %s\r\n", accept);
	if (P.token && !strcmp(hostport, P.host))   /* the registry's own token, for it only */
		buf_printf(&q, "Authorization: Bearer %s\r\n", P.token);
	if (buf_put(&q, "\r\n", 2)) {
		free(q.p);
		return fail("out of memory");
	}
	const char *req = q.p;
	size_t n = q.len;
	int fd = dial(hostport);
	for (size_t at = 0; fd >= 0 && at < n;) {
		ssize_t w = send(fd, req + at, n - at, MSG_NOSIGNAL);
		if (w <= 0) {
			close(fd);
			fd = -1;
			fail("%s: cannot send the request: %s", url, strerror(errno));
		} else
			at += (size_t)w;
	}
	free(q.p);
	if (fd < 0)
		return -1;
	http_parser hp;
	http_parser_init(&hp, HTTP_RESPONSE);
	hp.data = r;
	char in[65536];
	int rc = 0;
	while (!r->complete) {
		ssize_t k = recv(fd, in, sizeof in, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = fail("%s: %s", url, errno == EAGAIN ? "no answer for 60 s" : strerror(errno));
			break;
		}
		size_t used = http_parser_execute(&hp, &settings, in, (size_t)k);
		if (r->over)
			rc = fail("%s: larger than the %llu bytes expected", url, (unsigned long long)r->limit);
		else if (r->werr)
			rc = fail("%s: cannot store it: %s", url, strerror(r->werr));
		else if (HTTP_PARSER_ERRNO(&hp) != HPE_OK || used != (size_t)k)
			rc = fail("%s: malformed HTTP response: %s", url,
				  http_errno_description(HTTP_PARSER_ERRNO(&hp)));
		else if (!k && !r->complete)
			rc = fail("%s: the registry closed the connection early", url);
		if (rc || !k)
			break;
	}
	close(fd);
	return rc;
}

/* Bearer realm="...",service="...",scope="...": value of key, or "". */
static void auth_param(const char *h, const char *key, char *out, size_t cap)
{
	out[0] = 0;
	size_t kl = strlen(key);
	for (const char *s = h; (s = strstr(s, key)); s += kl)
		if ((s == h || s[-1] == ' ' || s[-1] == ',') && s[kl] == '=' && s[kl + 1] == '"') {
			const char *v = s + kl + 2, *e = strchr(v, '"');
			if (e)
				snprintf(out, cap, "%.*s", (int)(e - v), v);
			return;
		}
}

static void url_encode(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (; *s && o + 4 < cap; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z' ? 1 : (ch >= '0' && ch <= '9') || strchr("-._~", ch))
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, cap - o, "%%%02X", ch);
	}
	out[o] = 0;
}

/* Answers a Bearer challenge with an anonymous token from its realm. */
static int get_token(const char *challenge)
{
	char realm[1024], service[256], scope[512], es[800], esc[800], url[3000];
	if (strncasecmp(challenge, "Bearer ", 7))
		return fail("the registry asks for '%.40s' authentication; only anonymous bearer tokens are "
			    "supported", challenge);
	auth_param(challenge, "realm", realm, sizeof realm);
	auth_param(challenge, "service", service, sizeof service);
	auth_param(challenge, "scope", scope, sizeof scope);
	if (!realm[0])
		return fail("the registry's bearer challenge names no realm");
	if (!scope[0])
		snprintf(scope, sizeof scope, "repository:%s:pull", P.repo);
	url_encode(service, es, sizeof es);
	url_encode(scope, esc, sizeof esc);
	snprintf(url, sizeof url, "%s%cservice=%s&scope=%s", realm, strchr(realm, '?') ? '&' : '?', es, esc);
	struct buf b = { 0 };
	struct resp r = { .mem = &b, .fd = -1, .limit = TOKEN_MAX };
	ld_sha256_init(&r.sha);
	int rc = get_once(url, NULL, &r);
	cJSON *j = NULL;
	if (!rc && r.status != 200)
		rc = fail("token server %s answered HTTP %d", realm, r.status);
	if (!rc && !(j = cJSON_ParseWithLength(b.p ? b.p : "", b.len)))
		rc = fail("token server %s: the answer is not JSON", realm);
	const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "token"));
	if (!t)
		t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "access_token"));
	if (!rc && (!t || !t[0] || strlen(t) > 4000 || strpbrk(t, "\r\n")))
		rc = fail("token server %s gave no usable token", realm);
	if (!rc)
		P.token = strdup(t);
	cJSON_Delete(j);
	free(b.p);
	free(r.errbody.p);
	return rc;
}

/* The registry's {"errors":[{"code","message"}]}, or the status. */
static void reg_error(const struct resp *r, char *out, size_t cap)
{
	cJSON *j = cJSON_ParseWithLength(r->errbody.p ? r->errbody.p : "", r->errbody.len);
	cJSON *e0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "errors"), 0);
	const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e0, "code"));
	const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e0, "message"));
	if (code && msg)
		snprintf(out, cap, "%s: %s", code, msg);
	else
		snprintf(out, cap, "HTTP %d", r->status);
	cJSON_Delete(j);
}

/* GET of a registry path, following redirects and a bearer challenge;
 * the 200 body goes to r's sink.  0 or -1 (with P.err). */
static int get(const char *path, const char *accept, struct resp *r, const char *what)
{
	char url[4096], why[512];
	snprintf(url, sizeof url, "http://%s%s", P.host, path);
	for (int hop = 0; hop < HOPS_MAX; hop++) {
		struct resp fresh = *r;
		if (get_once(url, accept, r))
			return -1;
		if (r->status == 200)
			return 0;
		if (r->status == 401 && r->auth[0] && !P.token) {
			if (get_token(r->auth))
				return -1;
		} else if (r->status >= 301 && r->status <= 308 && r->location[0]) {
			char base[300];
			if (r->location[0] == '/') {   /* same host */
				snprintf(base, sizeof base, "%.*s", (int)(strchr(url + 7, '/') - url), url);
				snprintf(url, sizeof url, "%s%s", base, r->location);
			} else
				snprintf(url, sizeof url, "%s", r->location);
		} else {
			reg_error(r, why, sizeof why);
			free(r->errbody.p);
			if (r->status == 404 && !strcmp(what, "manifest"))
				return fail("manifest for %s/%s%c%s not found: %s", P.host, P.repo,
					    strncmp(P.tag, "sha256:", 7) ? ':' : '@', P.tag, why);
			return fail("%s %s: the registry answered %s", what, path, why);
		}
		free(r->errbody.p);
		*r = fresh;
	}
	return fail("%s %s: too many redirects or challenges", what, path);
}

/* ---- digests and documents */
static int digest_ok(const char *d)
{
	return d && !strncmp(d, "sha256:", 7) && strlen(d) == 71 && ref_is_hex(d + 7);
}

static void digest_of(struct resp *r, char out[72])
{
	u8 h[32];
	ld_sha256_final(&r->sha, h);
	memcpy(out, "sha256:", 7);
	ld_hex(out + 7, h, 32);
}

struct desc {
	char mt[128], digest[72];
	uint64_t size;
};

static int desc_read(const cJSON *j, struct desc *d, const char *what)
{
	const char *mt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "mediaType"));
	const char *dg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "digest"));
	const cJSON *sz = cJSON_GetObjectItemCaseSensitive(j, "size");
	if (!digest_ok(dg))
		return fail("%s: digest '%.80s' is not sha256:<64 hex digits>", what, dg ? dg : "");
	if (!cJSON_IsNumber(sz) || sz->valuedouble < 0 || sz->valuedouble > 1e15 ||
	    sz->valuedouble != (double)(uint64_t)sz->valuedouble)
		return fail("%s %s: no valid size", what, dg);
	snprintf(d->mt, sizeof d->mt, "%s", mt ? mt : "");
	snprintf(d->digest, sizeof d->digest, "%s", dg);
	d->size = (uint64_t)sz->valuedouble;
	return 0;
}

/* GETs a manifest or index (by tag or digest) into b; its digest in dg. */
static int get_manifest(const char *ref, struct buf *b, char mt[128], char dg[72])
{
	char path[1024];
	struct resp r = { .mem = b, .fd = -1, .limit = MANIFEST_MAX };
	ld_sha256_init(&r.sha);
	snprintf(path, sizeof path, "/v2/%s/manifests/%s", P.repo, ref);
	int rc = get(path, ACCEPT, &r, "manifest");
	if (rc && r.over)
		return fail("manifest %s: larger than %u bytes, refused", ref, MANIFEST_MAX);
	if (rc)
		return -1;
	digest_of(&r, dg);
	if (r.digest[0] && strcmp(r.digest, dg))
		return fail("manifest %s: digest mismatch: the registry says %s, its bytes are %s", ref,
			    r.digest, dg);
	snprintf(mt, 128, "%.*s", (int)strcspn(r.ctype, "; "), r.ctype);
	return 0;
}

static int is_index(const char *mt)
{
	return !strcmp(mt, MT_OCI "index.v1+json") || !strcmp(mt, MT_DOCKER "distribution.manifest.list.v2+json");
}

static int is_manifest(const char *mt)
{
	return !strcmp(mt, MT_OCI "manifest.v1+json") || !strcmp(mt, MT_DOCKER "distribution.manifest.v2+json");
}

/* The document's type: its Content-Type when specific (application/vnd.),
 * else its mediaType field. */
static const char *doc_type(const cJSON *j, const char *ctype)
{
	const char *mt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "mediaType"));
	return !strncmp(ctype, "application/vnd.", 16) || !mt ? ctype : mt;
}

/* The linux/amd64 entry of an index. */
static int pick(const cJSON *idx, struct desc *d)
{
	const cJSON *m;
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(idx, "manifests")) {
		const cJSON *pl = cJSON_GetObjectItemCaseSensitive(m, "platform");
		const char *os = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(pl, "os"));
		const char *arch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(pl, "architecture"));
		if (os && arch && !strcmp(os, "linux") && !strcmp(arch, "amd64"))
			return desc_read(m, d, "index entry");
	}
	return fail("no linux/amd64 manifest in the image index of %s:%s", P.repo, P.tag);
}

/* Why a layer's media type cannot be had, or NULL. */
static const char *layer_refused(const char *mt)
{
	static const char *const ok[] = {
		MT_OCI "layer.v1.tar", MT_OCI "layer.v1.tar+gzip", MT_DOCKER "image.rootfs.diff.tar.gzip",
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		if (!strcmp(mt, ok[i]))
			return NULL;
	if (strstr(mt, "+encrypted"))
		return "encrypted layers are not supported";
	if (strstr(mt, "zstd"))
		return "zstd-compressed layers are not supported (gzip or plain tar only)";
	if (strstr(mt, "foreign") || strstr(mt, "nondistributable"))
		return "foreign (nondistributable) layers are not supported";
	return "unsupported layer media type";
}

static char *oci_path(const char *name)
{
	char *p = NULL;
	return asprintf(&p, "%s/oci/%s", P.dir, name) < 0 ? NULL : p;
}

static int write_blob(const char *dg, const void *p, size_t n)
{
	char name[100];
	snprintf(name, sizeof name, "blobs/sha256/%s", dg + 7);
	char *path = oci_path(name);
	int fd = path ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
	int rc = fd >= 0 && write(fd, p, n) == (ssize_t)n ? 0 : -1;
	if (fd >= 0 && close(fd))
		rc = -1;
	if (rc)
		fail("cannot write %s: %s", path ? path : name, strerror(errno));
	free(path);
	return rc;
}

/* Streams blob d into the layout, verifying its size and digest. */
static int fetch_blob(const struct desc *d, const char *id, struct buf *mem)
{
	char name[100], path[1024], got[72];
	snprintf(name, sizeof name, "blobs/sha256/%s", d->digest + 7);
	char *dest = oci_path(name);
	if (!dest)
		return fail("out of memory");
	snprintf(path, sizeof path, "%s.part", dest);
	struct resp r = { .mem = mem, .fd = -1, .limit = d->size, .id = id };
	ld_sha256_init(&r.sha);
	if (!mem && (r.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		free(dest);
		return fail("cannot create %s: %s", path, strerror(errno));
	}
	char rpath[1024];
	snprintf(rpath, sizeof rpath, "/v2/%s/blobs/%s", P.repo, d->digest);
	int rc = get(rpath, NULL, &r, "blob");
	if (rc && r.over)
		rc = fail("blob %s: larger than the %llu bytes its descriptor says, refused", d->digest,
			  (unsigned long long)d->size);
	if (!rc && id)
		say_progress(id, r.got, d->size), say_id("Verifying Checksum", id);
	if (!rc && r.got != d->size)
		rc = fail("blob %s: %llu bytes, its descriptor says %llu", d->digest, (unsigned long long)r.got,
			  (unsigned long long)d->size);
	if (!rc && (digest_of(&r, got), strcmp(got, d->digest)))
		rc = fail("blob %s: digest mismatch: its bytes are %s", d->digest, got);
	if (r.fd >= 0 && close(r.fd) && !rc)
		rc = fail("cannot write %s: %s", path, strerror(errno));
	if (!rc && !mem && rename(path, dest))
		rc = fail("cannot rename %s: %s", path, strerror(errno));
	if (!rc && mem)
		rc = write_blob(d->digest, mem->p ? mem->p : "", mem->len);
	free(dest);
	return rc;
}

static int write_layout(const struct desc *man)
{
	char *p = oci_path("oci-layout");
	int rc = p ? write_file_atomic(p, "{\"imageLayoutVersion\":\"1.0.0\"}") : -1;
	free(p);
	cJSON *j = cJSON_CreateObject(), *m = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "schemaVersion", 2);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(j, "manifests"), m);
	cJSON_AddStringToObject(m, "mediaType", man->mt);
	cJSON_AddStringToObject(m, "digest", man->digest);
	cJSON_AddNumberToObject(m, "size", (double)man->size);
	if (!strchr(P.canon, '@'))   /* a digest is recorded by the daemon, not named here */
		cJSON_AddStringToObject(cJSON_AddObjectToObject(m, "annotations"), "io.containerd.image.name", P.canon);
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	p = oci_path("index.json");
	if (rc || !s || !p || write_file_atomic(p, s))
		rc = fail("cannot write the image layout under %s/oci", P.dir);
	free(s);
	free(p);
	return rc;
}

/* The pull proper; fills result with what pull.c reports. */
static int pull(cJSON *result)
{
	char line[600], mt[128], tagdg[72];
	struct buf doc = { 0 }, cfg = { 0 };
	cJSON *j = NULL;
	struct desc man = { "", "", 0 }, conf, layers[LAYERS_MAX];
	int n = 0, rc = -1;
	snprintf(line, sizeof line, "Pulling from %s", P.repo);
	say(line, P.tag, NULL, NULL);
	if (get_manifest(P.tag, &doc, mt, tagdg))
		goto out;
	if (!strncmp(P.tag, "sha256:", 7) && strcmp(tagdg, P.tag)) {   /* by digest: the bytes must be it */
		fail("manifest %s@%s: digest mismatch: its bytes are %s", P.repo, P.tag, tagdg);
		goto out;
	}
	if (!(j = cJSON_ParseWithLength(doc.p ? doc.p : "", doc.len))) {
		fail("manifest %s:%s is not JSON", P.repo, P.tag);
		goto out;
	}
	snprintf(man.mt, sizeof man.mt, "%s", doc_type(j, mt));
	snprintf(man.digest, sizeof man.digest, "%s", tagdg);
	man.size = doc.len;
	if (is_index(man.mt)) {
		if (pick(j, &man))
			goto out;
		char dg[72];
		cJSON_Delete(j);
		j = NULL;
		doc.len = 0;
		if (get_manifest(man.digest, &doc, mt, dg))
			goto out;
		if (strcmp(dg, man.digest) || doc.len != man.size) {
			fail("manifest %s: digest mismatch: its bytes are %s (%zu bytes, the index says %llu)",
			     man.digest, dg, doc.len, (unsigned long long)man.size);
			goto out;
		}
		if (!(j = cJSON_ParseWithLength(doc.p, doc.len))) {
			fail("manifest %s is not JSON", man.digest);
			goto out;
		}
		if (!man.mt[0])
			snprintf(man.mt, sizeof man.mt, "%s", doc_type(j, mt));
	}
	if (!is_manifest(man.mt)) {
		fail("unsupported manifest media type '%s'%s", man.mt,
		     strstr(man.mt, "manifest.v1") ? " (Docker schema 1)" : "");
		goto out;
	}
	const cJSON *ls = cJSON_GetObjectItemCaseSensitive(j, "layers"), *l;
	if (desc_read(cJSON_GetObjectItemCaseSensitive(j, "config"), &conf, "config"))
		goto out;
	if (!cJSON_IsArray(ls) || cJSON_GetArraySize(ls) > LAYERS_MAX) {
		fail("manifest %s: no layers array, or more than %d layers", man.digest, LAYERS_MAX);
		goto out;
	}
	cJSON_ArrayForEach(l, ls) {
		const char *why;
		if (desc_read(l, &layers[n], "layer"))
			goto out;
		if ((why = layer_refused(layers[n].mt))) {
			fail("layer %s: %s: '%s'", layers[n].digest, why, layers[n].mt);
			goto out;
		}
		n++;
	}
	if (conf.size > CONFIG_MAX) {
		fail("config %s: larger than %u bytes", conf.digest, CONFIG_MAX);
		goto out;
	}
	static const char *const dirs[] = { "", "blobs", "blobs/sha256" };
	for (int i = 0; i < 3; i++) {
		char *d = oci_path(dirs[i]);
		int bad = !d || mkdir(d, 0755);
		free(d);
		if (bad) {
			fail("cannot create the image layout under %s: %s", P.dir, strerror(errno));
			goto out;
		}
	}
	if (write_blob(man.digest, doc.p, doc.len) || fetch_blob(&conf, NULL, &cfg) || write_layout(&man))
		goto out;
	/* Layers: those the store has are linked, the others fetched. */
	cJSON *got = cJSON_AddArrayToObject(result, "layers");
	int have[LAYERS_MAX];
	for (int i = 0; i < n; i++) {
		char id[13], store[4200], name[100];
		snprintf(id, sizeof id, "%.12s", layers[i].digest + 7);
		snprintf(store, sizeof store, "%s/blobs/sha256/%s", eng.data_root, layers[i].digest + 7);
		snprintf(name, sizeof name, "blobs/sha256/%s", layers[i].digest + 7);
		char *dest = oci_path(name);
		have[i] = dest && (!link(store, dest) || errno == EEXIST);
		free(dest);
		say_id(have[i] ? "Already exists" : "Pulling fs layer", id);
	}
	for (int i = 0; i < n; i++) {
		char id[13];
		snprintf(id, sizeof id, "%.12s", layers[i].digest + 7);
		if (have[i])
			continue;
		if (fetch_blob(&layers[i], id, NULL))
			goto out;
		say_id("Download complete", id);
		cJSON_AddItemToArray(got, cJSON_CreateString(layers[i].digest + 7));
	}
	cJSON_AddStringToObject(result, "digest", tagdg);
	cJSON_AddStringToObject(result, "config", conf.digest);
	rc = P.gone ? fail("the client is gone") : 0;
out:
	cJSON_Delete(j);
	free(doc.p);
	free(cfg.p);
	return rc;
}

int pull_main(int argc, char **argv)
{
	if (argc < 7) {
		fprintf(stderr, "usage: bulkhead-pull DIR DATA-ROOT CANON HOST REPO TAG [INSECURE...]\n");
		return 2;
	}
	P.dir = argv[1], eng.data_root = argv[2], P.canon = argv[3], P.host = argv[4];
	P.repo = argv[5], P.tag = argv[6], P.insecure = argv + 7, P.ninsecure = argc - 7;
	cJSON *res = cJSON_CreateObject(), *l;
	int rc = pull(res);
	char *oci = oci_path("");
	/* The unpack runs here too, so that the daemon only commits; each
	 * layer's "Pull complete" follows it, as dockerd's follows its
	 * extraction (and a client gone meanwhile is seen). */
	if (!rc) {
		cJSON *plan = oci ? store_stage(oci, P.err, sizeof P.err) : NULL;
		if (!plan)
			rc = P.err[0] ? -1 : fail("out of memory");
		else
			cJSON_AddItemToObject(res, "plan", plan);
		cJSON_ArrayForEach(l, (rc ? NULL : cJSON_GetObjectItemCaseSensitive(res, "layers"))) {
			char id[13];
			snprintf(id, sizeof id, "%.12s", l->valuestring);
			say_id("Pull complete", id);
		}
		if (P.gone)
			store_discard(plan);
	}
	if (rc && oci)
		ld_rmtree_at(AT_FDCWD, oci);
	free(oci);
	if (P.gone) {   /* nobody will read the outcome */
		ld_rmtree_at(AT_FDCWD, P.dir);
		return 1;
	}
	if (rc) {
		cJSON_Delete(res);
		res = cJSON_CreateObject();
		cJSON_AddStringToObject(res, "error", P.err);
	}
	char *s = cJSON_PrintUnformatted(res), path[4200];
	cJSON_Delete(res);
	snprintf(path, sizeof path, "%s/pull.json", P.dir);
	if (!s || write_file_atomic(path, s))
		rc = 1;
	free(s);
	return rc ? 1 : 0;
}
