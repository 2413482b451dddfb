/*
 * bulkhead image pull NAME[:TAG]: POST /images/create?fromImage=NAME&tag=TAG
 * to the engine daemon (api.c), which pulls from a registry named in
 * bulkhead.cfg's insecure-registries (engine/registry.c).  Prints the
 * daemon's progress stream as the Docker CLI does when its output is not a
 * terminal ("ID: Pull complete", "Digest: ...", "Status: ..."; the
 * Downloading lines left out), then the reference pulled.  Errors: the
 * daemon's message as "bulkhead: image pull NAME: MESSAGE", exit 1; bad
 * usage exits 2.  Host partition userland.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead.h"

static int pull(const char *ref)
{
	char what[API_NAME_MAX + 16], name[API_NAME_MAX], tag[256] = "latest", ename[API_NAME_MAX];
	char path[API_PATH_MAX], etag[3 * sizeof tag];
	const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');
	snprintf(what, sizeof what, "image pull %.*s", API_NAME_MAX - 1, ref);
	size_t n = colon && (!slash || colon > slash) ? (size_t)(colon - ref) : strlen(ref);
	if (n >= sizeof name || (colon && colon > slash && strlen(colon + 1) >= sizeof tag))
		return fail(what, "name too long");
	memcpy(name, ref, n);
	name[n] = 0;
	if (n < strlen(ref))
		snprintf(tag, sizeof tag, "%s", ref + n + 1);
	if (url_escape(ename, sizeof ename, name, 1) || url_escape(etag, sizeof etag, tag, 0) ||
	    snprintf(path, sizeof path, "/images/create?fromImage=%s&tag=%s", ename, etag) >= (int)sizeof path)
		return fail(what, "name too long");
	struct api_resp r;
	if (api_request(what, "POST", path, NULL, &r))
		return 1;
	int rc = 0;
	if (r.status != 200) {
		const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r.json, "message"));
		rc = fail(what, m ? m : "the engine refused the pull");
	}
	/* One JSON object a line; r.json is NULL for more than one. */
	for (char *line = r.body, *nl; !rc && line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		cJSON *m = cJSON_Parse(line);
		const char *err = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "error"));
		const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "status"));
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "id"));
		if (err)
			rc = fail(what, err);
		else if (st && strcmp(st, "Downloading"))
			printf("%s%s%s\n", id ? id : "", id ? ": " : "", st);
		cJSON_Delete(m);
	}
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
