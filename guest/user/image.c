/*
 * bulkhead image pull NAME[:TAG]: POST /images/create?fromImage=NAME&tag=TAG
 * to the engine daemon (api.c), which pulls from a registry named in
 * bulkhead.cfg's insecure-registries (engine/registry.c).  Prints the
 * daemon's progress stream as the Docker CLI does when its output is not a
 * terminal, as it comes ("ID: Pull complete", "Digest: ...", "Status: ...";
 * the Downloading lines left out), then the reference pulled.  Errors: the
 * daemon's message as "bulkhead: image pull NAME: MESSAGE", exit 1; bad
 * usage exits 2.  Host partition userland.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead.h"

struct progress {
	const char *what;
	int failed;            /* the stream's error was printed */
};

/* One line of the progress stream: printed at once, Downloading left out. */
static void progress_line(void *arg, char *line)
{
	struct progress *pr = arg;
	cJSON *m = cJSON_Parse(line);
	const char *err = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "error"));
	const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "status"));
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "id"));
	if (err && !pr->failed)
		pr->failed = fail(pr->what, err);
	else if (st && strcmp(st, "Downloading") && !pr->failed) {
		printf("%s%s%s\n", id ? id : "", id ? ": " : "", st);
		fflush(stdout);
	}
	cJSON_Delete(m);
}

static int pull(const char *ref)
{
	char what[API_NAME_MAX + 16], name[API_NAME_MAX], tag[256] = "latest", ename[API_NAME_MAX];
	char path[API_PATH_MAX], etag[3 * sizeof tag];
	const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');
	snprintf(what, sizeof what, "image pull %.*s", API_NAME_MAX - 1, ref);
	size_t n = colon && (!slash || colon > slash) ? (size_t)(colon - ref) : strlen(ref);
	if (n >= sizeof name || strlen(ref + n) > sizeof tag)
		return fail(what, "name too long");
	memcpy(name, ref, n);
	name[n] = 0;
	if (n < strlen(ref))
		snprintf(tag, sizeof tag, "%s", ref + n + 1);
	if (url_escape(ename, sizeof ename, name, 1) || url_escape(etag, sizeof etag, tag, 0) ||
	    snprintf(path, sizeof path, "/images/create?fromImage=%s&tag=%s", ename, etag) >= (int)sizeof path)
		return fail(what, "name too long");
	struct api_resp r;
	struct progress pr = { what, 0 };
	if (api_stream(what, "POST", path, NULL, progress_line, &pr, &r))
		return 1;
	int rc = pr.failed;
	if (r.status != 200) {
		const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r.json, "message"));
		rc = fail(what, m ? m : "the engine refused the pull");
	} else if (!rc && (!r.len || r.body[r.len - 1] != '\n'))
		rc = fail(what, "the engine's progress stream ended early");
	if (!rc)
		printf("%s:%s\n", name, tag);
	api_resp_free(&r);
	return rc;
}

int cmd_image(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "pull"))
		return usage("image: expected 'image pull NAME[:TAG]'");
	return pull(argv[2]);
}
