/* POST /images/create?fromImage=NAME&tag=TAG (or by digest: tag=sha256:HEX,
 * fromImage=NAME@sha256:HEX): the daemon's side of an image pull.  The request is checked here (reference, registry allowed),
 * then bulkhead-pull (registry.c, this program again) does the network
 * work in its own process while the poll loop goes on serving others: its
 * stdout is a socket relayed to the client as the chunked JSON progress
 * stream.  It stages the image too (store_stage: every blob verified again,
 * the tree unpacked), so that a big image holds nobody up.  When it closes,
 * DIR/pull.json says how it went; a complete pull's plan is committed into
 * the store (store_commit, then tagged), and the stream ends as dockerd's:
 * "Pull complete" per layer fetched (said by bulkhead-pull), "Digest: sha256:...",
 * "Status: Downloaded newer image for NAME" (or "Image is up to date").
 * The image also gets REPO@DIGEST (the manifest's digest: RepoDigests);
 * a pull by digest gets only that, once bulkhead-pull found the manifest's
 * bytes to be the digest asked for.
 * DIR (DATA/tmp/pull-XXXXXX) is removed in every case. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "engine.h"
#include "host/host.h"

struct pull {
	char dir[4200];
	char canon[512];
	struct timespec t0;      /* started (CLOCK_MONOTONIC), for the log */
};

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)((t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000);
}

static void stream_msg(struct conn *c, const char *key, const char *status, const char *id)
{
	cJSON *m = cJSON_CreateObject();
	if (!strcmp(key, "error")) {
		cJSON_AddStringToObject(cJSON_AddObjectToObject(m, "errorDetail"), "message", status);
		cJSON_AddStringToObject(m, "error", status);
	} else {
		cJSON_AddStringToObject(m, "status", status);
		if (id) {
			cJSON_AddObjectToObject(m, "progressDetail");
			cJSON_AddStringToObject(m, "id", id);
		}
	}
	http_stream_json(c, m);
}

void pull_start(struct req *r)
{
	char from[512], tag[160] = "", ref[700], canon[512], err[600];
	int rc = query_param(r, "fromImage", 0, from, sizeof from);
	if (rc == -2 || query_param(r, "tag", 0, tag, sizeof tag) == -2 ||
	    query_param(r, "fromSrc", 0, err, sizeof err) == -2)
		return;
	if (!query_get(r->query, "fromSrc", 0, err, sizeof err)) {
		http_error(r->c, 501, "importing a root file system (fromSrc) is not supported");
		return;
	}
	if (rc || !from[0]) {
		http_error(r->c, 400, "fromImage is required");
		return;
	}
	/* by digest: fromImage=NAME@sha256:HEX, or tag=sha256:HEX (the CLI's) */
	if (tag[0] && strchr(from, '@')) {
		http_error(r->c, 400, "invalid reference format: %s has a digest and tag=%s was given", from, tag);
		return;
	}
	snprintf(ref, sizeof ref, !tag[0] ? "%s" : strchr(tag, ':') ? "%s@%s" : "%s:%s", from, tag);
	if (ref_normalize(ref, canon, sizeof canon, err, sizeof err)) {
		http_error(r->c, 400, "%s", err);
		return;
	}
	/* canon = HOST/REPO:TAG or HOST/REPO@sha256:HEX */
	char host[256], repo[512], *slash = strchr(canon, '/'), *colon = strchr(canon, '@');
	if (!colon)
		colon = strrchr(canon, ':');
	snprintf(host, sizeof host, "%.*s", (int)(slash - canon), canon);
	snprintf(repo, sizeof repo, "%.*s", (int)(colon - slash - 1), slash + 1);
	int ok = 0;
	for (int i = 0; i < eng.ninsecure; i++)
		ok |= !strcmp(eng.insecure[i], host);
	if (!ok) {
		http_error(r->c, 500, "registry %s is not in insecure-registries (bulkhead.cfg): Bulkhead has "
			   "no TLS and pulls only from plain-HTTP registries named there", host);
		return;
	}
	struct pull *p = calloc(1, sizeof *p);
	int sv[2] = { -1, -1 };
	if (p)
		snprintf(p->dir, sizeof p->dir, "%s/tmp/pull-XXXXXX", eng.data_root);
	if (!p || !mkdtemp(p->dir) || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		http_error(r->c, 500, "cannot start the pull: %s", strerror(errno));
		if (p)
			rmdir(p->dir);
		free(p);
		return;
	}
	snprintf(p->canon, sizeof p->canon, "%s", canon);
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	char *argv[8 + 64] = { "bulkhead-pull", p->dir, (char *)eng.data_root, canon, host, repo, colon + 1 };
	for (int i = 0; i < eng.ninsecure && i < 64; i++)
		argv[7 + i] = eng.insecure[i];
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);   /* a daemon killed takes its pulls along */
		dup2(sv[1], 1);
		execv(eng.self, argv);
		_exit(127);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		ld_rmtree_at(AT_FDCWD, p->dir);
		free(p);
		http_error(r->c, 500, "cannot start the pull: %s", strerror(errno));
		return;
	}
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	logmsg("pull %s: started (pid %d, %s)", canon, (int)pid, p->dir);
	http_stream_begin(r->c, 200, "application/json");
	r->c->pull = p;
	r->c->relay_fd = sv[0];
	r->c->held = 1;
}

/* DIR/pull.json, once bulkhead-pull has written it (its last act), or NULL. */
static cJSON *result(const struct pull *p)
{
	char path[4300], s[65536];
	snprintf(path, sizeof path, "%s/pull.json", p->dir);
	FILE *f = fopen(path, "re");
	size_t n = f ? fread(s, 1, sizeof s - 1, f) : 0;
	if (f)
		fclose(f);
	s[n] = 0;
	return cJSON_Parse(s);
}

static void finish(struct conn *c, struct pull *p)
{
	char err[1200], fam[512], status[700];
	ref_familiar(p->canon, fam, sizeof fam);
	cJSON *j = result(p), *plan = cJSON_GetObjectItemCaseSensitive(j, "plan");
	const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "error"));
	const char *digest = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "digest"));
	const char *config = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "config"));
	if (!e && (!digest || !config))
		e = "the pull's process ended without a result";
	struct image *before = NULL, *after = NULL;
	int by_tag;
	long fetch_ms = ms_since(&p->t0), store_ms = 0;
	/* what the digest reference will be: REPO@ the manifest's digest */
	char dref[600];
	const char *sl = strchr(p->canon, '/');   /* the host may have a :PORT */
	int rl = (int)(sl - p->canon) + (int)strcspn(sl, "@:");
	snprintf(dref, sizeof dref, "%.*s@%s", rl, p->canon, digest ? digest : "");
	if (!e && strchr(p->canon, '@') && strcmp(dref, p->canon))
		e = "the registry's manifest is not the digest asked for";
	if (!e) {
		store_find(p->canon, &before, &by_tag, err, sizeof err);
		struct buf out = { 0 };
		if (store_commit(plan, &out, err, sizeof err))
			e = err;
		free(out.p);
		/* the image (its ID is its config's digest) gets REPO@DIGEST, as
		 * dockerd records RepoDigests; a pull by digest names it so only */
		struct image *im;
		if (!e && (store_find(config, &im, &by_tag, err, sizeof err) || store_tag(im, dref, err, sizeof err)))
			e = err;
		store_ms = ms_since(&p->t0) - fetch_ms;
	}
	if (e) {
		/* It may quote the registry's bytes: JSON gets printable ASCII. */
		char msg[1200];
		snprintf(msg, sizeof msg, "%s", e);
		for (char *q = msg; *q; q++)
			if (*q < 0x20 || *q > 0x7e)
				*q = '?';
		logmsg("pull %s: %s", p->canon, msg);
		stream_msg(c, "error", msg, NULL);
		store_discard(plan);
	} else {
		snprintf(status, sizeof status, "Digest: %s", digest);
		stream_msg(c, "status", status, NULL);
		store_find(p->canon, &after, &by_tag, err, sizeof err);
		snprintf(status, sizeof status, "Status: %s for %s",
			 before && before == after ? "Image is up to date" : "Downloaded newer image", fam);
		stream_msg(c, "status", status, NULL);
		events_emit("image", "pull", fam, fam);
		logmsg("pull %s: %s (fetched and staged in %ld ms, committed in %ld ms)", p->canon, status, fetch_ms,
		       store_ms);
	}
	cJSON_Delete(j);
}

void pull_relay_done(struct conn *c)
{
	finish(c, c->pull);
	http_stream_end(c);
	pull_conn_gone(c);
	c->held = 0;
	c->closing = 1;
}

void pull_conn_gone(struct conn *c)
{
	/* A pull still running removes DIR (and what it staged) itself when it
	 * finds its stdout closed; one that has finished has left its result. */
	cJSON *j = c->relay_fd < 0 ? NULL : result(c->pull);
	if (c->relay_fd < 0 || j)
		ld_rmtree_at(AT_FDCWD, c->pull->dir);
	store_discard(cJSON_GetObjectItemCaseSensitive(j, "plan"));
	cJSON_Delete(j);
	free(c->pull);
	c->pull = NULL;
}
