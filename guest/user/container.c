/*
 * bulkhead container: the seeds' PowerShell container verbs as a client of
 * the engine daemon's Docker Engine API (api.c).  Host partition userland.
 *
 *   container new NAME --image IMAGE [--runtime process|hyperv] [-m MIB]
 *             [-p HOST:CONT]... [-e K=V]... [-- CMD [ARG...]]   New-Container
 *       GET /images/{IMAGE}/json (an unknown image is refused before
 *       anything is made), then POST /containers/create?name=NAME; prints
 *       the id (64 hex digits).  -p is stored as PortBindings, which the engine
 *       publishes on the host's addresses (engine/network.c).
 *   container start NAME | stop [-t SECONDS] NAME | rm [-f] NAME
 *       POST /containers/{NAME}/start, /stop?t=, DELETE /containers/{NAME}?force=1;
 *       print NAME, as docker does.
 *   container list       Get-Container: GET /containers/json?all=1, then
 *       GET /containers/{id}/json of each for HostConfig.Isolation.
 *   container set NAME --runtime process|hyperv|default    Set-Container
 *       -RuntimeType: POST /containers/{NAME}/update {"Isolation": ...}.
 *
 * Errors: the daemon's message as "bulkhead: container VERB NAME: MESSAGE",
 * exit 1; bad usage exits 2.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bulkhead.h"

#define WHAT_MAX 300

/* argv[*i] is option opt with its value ("-m 16", "-m16", "--image X",
 * "--image=X"): 1 and *val; 0 if it is another word; -1 if the value is
 * missing. */
static int optval(int argc, char **argv, int *i, const char *opt, const char **val)
{
	size_t n = strlen(opt);
	const char *a = argv[*i];
	if (strncmp(a, opt, n))
		return 0;
	if (!a[n]) {
		if (*i + 1 >= argc)
			return -1;
		*val = argv[++*i];
		return 1;
	}
	if (opt[1] != '-' || a[n] == '=') {
		*val = a + n + (opt[1] == '-');
		return 1;
	}
	return 0;
}

/* "process", "hyperv" and (when allow_default) "default", in any case, as
 * HostConfig.Isolation spells them; NULL otherwise. */
static const char *isolation(const char *s, int allow_default)
{
	static const char *const names[] = { "process", "hyperv", "default" };
	for (int i = 0; i < 2 + allow_default; i++)
		if (!strcasecmp(s, names[i]))
			return names[i];
	return NULL;
}

/* /containers/{NAME}SUFFIX into path; -1 (usage printed) if too long. */
static int container_path(char *path, const char *name, const char *suffix)
{
	char esc[API_NAME_MAX];
	if (url_escape(esc, sizeof esc, name, 0) ||
	    snprintf(path, API_PATH_MAX, "/containers/%s%s", esc, suffix) >= API_PATH_MAX)
		return usage("container: name '%.64s...' too long", name), -1;
	return 0;
}

static int bad_name(const char *verb, const char *name)
{
	if (!name)
		return usage("container %s: a NAME is needed", verb);
	return 0;
}

/* ---- new */
struct new_req {
	const char *name, *image, *runtime;
	unsigned long long mib;
	cJSON *env, *cmd, *exposed, *bindings;
};

static int add_port(struct new_req *q, const char *spec)
{
	unsigned long long host, cont;
	char h[24], c[32];
	const char *colon = strchr(spec, ':');
	size_t hl = colon ? (size_t)(colon - spec) : 0;
	if (!colon || hl >= 8)
		return usage("container new: bad -p '%s' (HOST:CONT, two port numbers)", spec);
	memcpy(h, spec, hl);
	h[hl] = 0;
	if (parse_u64(h, 65535, &host) || !host || parse_u64(colon + 1, 65535, &cont) || !cont)
		return usage("container new: bad -p '%s' (HOST:CONT, ports 1 to 65535)", spec);
	snprintf(c, sizeof c, "%llu/tcp", cont);
	snprintf(h, sizeof h, "%llu", host);
	if (!cJSON_GetObjectItemCaseSensitive(q->exposed, c)) {
		cJSON_AddObjectToObject(q->exposed, c);
		cJSON_AddArrayToObject(q->bindings, c);
	}
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "HostIp", "");
	cJSON_AddStringToObject(b, "HostPort", h);
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(q->bindings, c), b);
	return 0;
}

static int parse_new(int argc, char **argv, struct new_req *q)
{
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		int r;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1]) {
			if (q->name)
				return usage("container new: one NAME only ('%s' and '%s'); the command goes after --",
					     q->name, a);
			q->name = a;
		} else if ((r = optval(argc, argv, &i, "--image", &v))) {
			if (r < 0 || !*v)
				return usage("container new: --image needs an IMAGE");
			q->image = v;
		} else if ((r = optval(argc, argv, &i, "--runtime", &v))) {
			if (r < 0 || !(q->runtime = isolation(v, 0)))
				return usage("container new: --runtime takes process or hyperv");
		} else if ((r = optval(argc, argv, &i, "-m", &v))) {
			/* bytes must stay exact as a JSON number (a double): below 2^53 */
			if (r < 0 || parse_u64(v, (1ull << 53) >> 20, &q->mib) || !q->mib)
				return usage("container new: bad memory size '%s' (MiB, a positive number)", v ? v : "");
		} else if ((r = optval(argc, argv, &i, "-p", &v))) {
			if (r < 0 || add_port(q, v))
				return r < 0 ? usage("container new: -p needs HOST:CONT") : 2;
		} else if ((r = optval(argc, argv, &i, "-e", &v))) {
			if (r < 0 || !strchr(v, '=') || v[0] == '=')
				return usage("container new: bad -e '%s' (K=V)", v ? v : "");
			cJSON_AddItemToArray(q->env, cJSON_CreateString(v));
		} else {
			return usage("container new: unknown option '%s'", a);
		}
	}
	if (bad_name("new", q->name))
		return 2;
	if (!q->image)
		return usage("container new %s: --image IMAGE is needed", q->name);
	for (; i < argc; i++)
		cJSON_AddItemToArray(q->cmd, cJSON_CreateString(argv[i]));
	return 0;
}

static int container_new(int argc, char **argv)
{
	struct new_req q = { .env = cJSON_CreateArray(), .cmd = cJSON_CreateArray(),
			     .exposed = cJSON_CreateObject(), .bindings = cJSON_CreateObject() };
	cJSON *req = cJSON_CreateObject(), *reply = NULL;
	char what[WHAT_MAX], path[API_PATH_MAX], esc[API_NAME_MAX], create[API_PATH_MAX];
	int rc = parse_new(argc, argv, &q);
	if (rc)
		goto out;
	snprintf(what, sizeof what, "container new %.200s", q.name);
	if (url_escape(esc, sizeof esc, q.name, 0)) {
		rc = usage("container new: name too long");
		goto out;
	}
	snprintf(create, sizeof create, "/containers/create?name=%s", esc);
	if (url_escape(esc, sizeof esc, q.image, 1)) {
		rc = usage("container new: image name too long");
		goto out;
	}
	/* The image first, as New-Container takes an image object: the
	 * daemon's 404 "No such image" before anything is made. */
	rc = 1;
	snprintf(path, sizeof path, "/images/%s/json", esc);
	if (api_call(what, "GET", path, NULL, NULL))
		goto out;

	cJSON_AddStringToObject(req, "Image", q.image);
	if (cJSON_GetArraySize(q.cmd))
		cJSON_AddItemToObject(req, "Cmd", q.cmd), q.cmd = NULL;
	if (cJSON_GetArraySize(q.env))
		cJSON_AddItemToObject(req, "Env", q.env), q.env = NULL;
	if (q.exposed->child)
		cJSON_AddItemToObject(req, "ExposedPorts", q.exposed), q.exposed = NULL;
	cJSON *hc = cJSON_AddObjectToObject(req, "HostConfig");
	if (q.runtime)
		cJSON_AddStringToObject(hc, "Isolation", q.runtime);
	if (q.mib)
		cJSON_AddNumberToObject(hc, "Memory", (double)(q.mib << 20));
	if (q.bindings->child)
		cJSON_AddItemToObject(hc, "PortBindings", q.bindings), q.bindings = NULL;

	if (api_call(what, "POST", create, req, &reply))
		goto out;
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(reply, "Id"));
	if (!id) {
		fail(what, "the engine's reply has no Id");
		goto out;
	}
	const cJSON *w;
	cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(reply, "Warnings"))
		if (cJSON_GetStringValue(w))
			fprintf(stderr, "bulkhead: %s: warning: %s\n", what, w->valuestring);
	printf("%s\n", id);
	rc = 0;
out:
	cJSON_Delete(req);
	cJSON_Delete(reply);
	cJSON_Delete(q.env);
	cJSON_Delete(q.cmd);
	cJSON_Delete(q.exposed);
	cJSON_Delete(q.bindings);
	return rc;
}

/* ---- start, stop, rm, set: NAME and at most one option with its value */
static int simple_verb(int argc, char **argv)
{
	const char *verb = argv[0], *name = NULL, *secs = NULL, *runtime = NULL;
	int force = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		int r = 0;
		if (a[0] != '-' || !a[1]) {
			if (name)
				return usage("container %s: one NAME only ('%s' and '%s')", verb, name, a);
			name = a;
		} else if (!strcmp(verb, "stop") && (r = optval(argc, argv, &i, "-t", &v))) {
			unsigned long long t;
			if (r < 0 || parse_u64(v, 1000000, &t))
				return usage("container stop: bad -t '%s' (seconds, 0 to 1000000)", v ? v : "");
			secs = v;
		} else if (!strcmp(verb, "rm") && !strcmp(a, "-f")) {
			force = 1;
		} else if (!strcmp(verb, "set") && (r = optval(argc, argv, &i, "--runtime", &v))) {
			if (r < 0 || !(runtime = isolation(v, 1)))
				return usage("container set: --runtime takes process, hyperv or default");
		} else {
			return usage("container %s: unknown option '%s'", verb, a);
		}
	}
	if (bad_name(verb, name))
		return 2;
	if (!strcmp(verb, "set") && !runtime)
		return usage("container set %s: --runtime process|hyperv|default is needed", name);

	char what[WHAT_MAX], path[API_PATH_MAX], suffix[64] = "";
	const char *method = "POST";
	cJSON *body = NULL;
	snprintf(what, sizeof what, "container %s %.200s", verb, name);
	if (!strcmp(verb, "start")) {
		strcpy(suffix, "/start");
	} else if (!strcmp(verb, "stop")) {
		snprintf(suffix, sizeof suffix, "/stop%s%s", secs ? "?t=" : "", secs ? secs : "");
	} else if (!strcmp(verb, "rm")) {
		method = "DELETE";
		strcpy(suffix, force ? "?force=1" : "");
	} else {
		strcpy(suffix, "/update");
		body = cJSON_CreateObject();
		cJSON_AddStringToObject(body, "Isolation", runtime);
	}
	if (container_path(path, name, suffix)) {
		cJSON_Delete(body);
		return 2;
	}
	int rc = api_call(what, method, path, body, NULL);
	cJSON_Delete(body);
	if (!rc)
		printf("%s\n", name);
	return rc;
}

/* ---- list */
static const char *runtime_type(const char *iso)
{
	if (!iso || !*iso || !strcasecmp(iso, "default"))
		return "Default";
	if (!strcasecmp(iso, "process"))
		return "Process";
	if (!strcasecmp(iso, "hyperv"))
		return "HyperV";
	return iso;
}

enum { COL_NAME, COL_ID, COL_IMAGE, COL_RUNTIME, COL_STATE, NCOLS };

static int container_list(int argc, char **argv)
{
	static const char *const head[NCOLS] = { "NAME", "ID", "IMAGE", "RUNTIMETYPE", "STATE" };
	(void)argv;
	if (argc != 1)
		return usage("container list takes no arguments");
	cJSON *all = NULL;
	if (api_call("container list", "GET", "/containers/json?all=1", NULL, &all))
		return 1;
	if (!cJSON_IsArray(all)) {
		cJSON_Delete(all);
		return fail("container list", "the engine's reply is not a list");
	}
	int n = cJSON_GetArraySize(all), rc = 0;
	const char *(*rows)[NCOLS] = calloc((size_t)n + 1, sizeof *rows);
	cJSON **inspect = calloc((size_t)n + 1, sizeof *inspect);
	int width[NCOLS], nrows = 0;
	if (!rows || !inspect) {
		rc = fail("container list", "out of memory");
		goto out;
	}
	for (int c = 0; c < NCOLS; c++)
		width[c] = (int)strlen(head[c]);
	const cJSON *e;
	cJSON_ArrayForEach(e, all) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "Id"));
		const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "Names"), 0));
		char path[API_PATH_MAX];
		struct api_resp r;
		if (!id || strlen(id) < 12 || container_path(path, id, "/json")) {
			rc = fail("container list", "the engine listed a container without a proper Id");
			goto out;
		}
		if (api_request("container list", "GET", path, NULL, &r)) {
			rc = 1;
			goto out;
		}
		if (r.status == 404) { /* removed since the list was made */
			api_resp_free(&r);
			continue;
		}
		if (r.status != 200 || !r.json) {
			rc = fail("container list", "inspecting a container failed");
			api_resp_free(&r);
			goto out;
		}
		inspect[nrows] = r.json;
		r.json = NULL;
		api_resp_free(&r);
		const cJSON *hc = cJSON_GetObjectItemCaseSensitive(inspect[nrows], "HostConfig");
		const char **row = rows[nrows++];
		row[COL_NAME] = name ? name + (name[0] == '/') : "";
		row[COL_ID] = id;
		row[COL_IMAGE] = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "Image"));
		row[COL_RUNTIME] = runtime_type(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(hc, "Isolation")));
		row[COL_STATE] = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "State"));
		for (int c = 0; c < NCOLS; c++) {
			if (!row[c])
				row[c] = "";
			int len = c == COL_ID ? 12 : (int)strlen(row[c]);
			if (len > width[c])
				width[c] = len;
		}
	}
	printf("%-*s  %-*s  %-*s  %-*s  %s\n", width[0], head[0], width[1], head[1], width[2], head[2], width[3],
	       head[3], head[4]);
	for (int i = 0; i < nrows; i++)
		printf("%-*s  %-*.12s  %-*s  %-*s  %s\n", width[0], rows[i][0], width[1], rows[i][1], width[2],
		       rows[i][2], width[3], rows[i][3], rows[i][4]);
out:
	for (int i = 0; inspect && i < nrows; i++)
		cJSON_Delete(inspect[i]);
	free(inspect);
	free(rows);
	cJSON_Delete(all);
	return rc;
}

int cmd_container(int argc, char **argv)
{
	if (argc < 2)
		return usage("container: a verb is needed (new, start, stop, rm, list, set)");
	const char *v = argv[1];
	if (!strcmp(v, "new"))
		return container_new(argc - 1, argv + 1);
	if (!strcmp(v, "list"))
		return container_list(argc - 1, argv + 1);
	if (!strcmp(v, "start") || !strcmp(v, "stop") || !strcmp(v, "rm") || !strcmp(v, "set"))
		return simple_verb(argc - 1, argv + 1);
	return usage("container: unknown verb '%s' (new, start, stop, rm, list, set)", v);
}
