/* bulkheadd's Engine API: the version prefix (/v1.xx/, optional, as dockerd
 * takes it), routing, the system endpoints (/_ping, /version, /info), and the
 * query-string and filters helpers every endpoint uses.  Shapes follow the
 * Docker Engine API reference, v1.44. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "engine.h"

/* ---- query strings */
static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

int url_decode(const char *s, size_t n, int plus, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)s[i];
		if (ch == '+' && plus)
			ch = ' ';
		else if (ch == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
			if (lo < 0 || !(ch = hi * 16 + lo))
				return -1;
			i += 2;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = (char)ch;
	}
	out[o] = 0;
	return 0;
}

int query_get(const char *q, const char *key, int n, char *out, size_t cap)
{
	char name[64];
	while (q && *q) {
		const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
		const char *eq = memchr(q, '=', (size_t)(end - q));
		const char *kend = eq ? eq : end;
		if (!url_decode(q, (size_t)(kend - q), 1, name, sizeof name) && !strcmp(name, key) &&
		    n-- == 0) {
			if (!eq)
				return out[0] = 0, 0;
			return url_decode(eq + 1, (size_t)(end - eq - 1), 1, out, cap) ? -2 : 0;
		}
		q = amp ? amp + 1 : NULL;
	}
	return -1;
}

int query_param(struct req *r, const char *key, int n, char *out, size_t cap)
{
	int rc = query_get(r->query, key, n, out, cap);
	if (rc == -2)
		http_error(r->c, 400, "malformed or too long query parameter '%s'", key);
	return rc;
}

int query_bool(const char *q, const char *key)
{
	char v[8];
	return !query_get(q, key, 0, v, sizeof v) && (!strcmp(v, "1") || !strcasecmp(v, "true"));
}

cJSON *filters_parse(struct req *r, const char *const *allowed)
{
	char raw[4096];
	cJSON *out = cJSON_CreateObject(), *f = NULL, *e;
	int rc = query_param(r, "filters", 0, raw, sizeof raw);
	if (rc == -2) {
		cJSON_Delete(out);
		return NULL;
	}
	if (rc || !raw[0])
		return out;
	if (!(f = cJSON_Parse(raw)) || !cJSON_IsObject(f)) {
		http_error(r->c, 400, "invalid filter: malformed JSON in filters");
		goto bad;
	}
	cJSON_ArrayForEach(e, f) {
		int known = 0;
		for (int i = 0; allowed[i]; i++)
			known |= !strcmp(allowed[i], e->string);
		if (!known) {
			http_error(r->c, 400, "invalid filter '%s'", e->string);
			goto bad;
		}
		cJSON *vals = cJSON_AddArrayToObject(out, e->string), *v;
		/* {"key":["v"]} or the older {"key":{"v":true}} */
		cJSON_ArrayForEach(v, e) {
			const char *s = cJSON_IsObject(e) ? v->string : cJSON_GetStringValue(v);
			if ((!cJSON_IsArray(e) && !cJSON_IsObject(e)) || !s) {
				http_error(r->c, 400, "invalid filter: '%s' needs string values", e->string);
				goto bad;
			}
			cJSON_AddItemToArray(vals, cJSON_CreateString(s));
		}
		if (!cJSON_IsArray(e) && !cJSON_IsObject(e)) {
			http_error(r->c, 400, "invalid filter: '%s' needs string values", e->string);
			goto bad;
		}
	}
	cJSON_Delete(f);
	return out;
bad:
	cJSON_Delete(f);
	cJSON_Delete(out);
	return NULL;
}

int filter_has(const cJSON *f, const char *key)
{
	return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(f, key)) > 0;
}

int filter_match(const cJSON *f, const char *key, const char *value)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(f, key))
		if (value && !strcmp(cJSON_GetStringValue(v), value))
			return 1;
	return 0;
}

/* ---- system endpoints */
static void ping(struct req *r)
{
	struct conn *c = r->c;
	/* dockerd: text/plain "OK", no caching; HEAD gets the same headers. */
	http_header(c, "Cache-Control", "no-cache, no-store, must-revalidate");
	http_header(c, "Pragma", "no-cache");
	http_reply(c, 200, "text/plain; charset=utf-8", "OK", 2);
}

static const char *go_arch(const char *machine)
{
	return !strcmp(machine, "x86_64") ? "amd64" : !strcmp(machine, "aarch64") ? "arm64" : machine;
}

static void version(struct req *r)
{
	struct utsname u;
	uname(&u);
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(cJSON_AddObjectToObject(j, "Platform"), "Name", "Bulkhead Engine");
	cJSON *comp = cJSON_CreateObject();
	cJSON_AddItemToArray(cJSON_AddArrayToObject(j, "Components"), comp);
	cJSON_AddStringToObject(comp, "Name", "Engine");
	cJSON_AddStringToObject(comp, "Version", ENGINE_VERSION);
	cJSON *d = cJSON_AddObjectToObject(comp, "Details");
	cJSON_AddStringToObject(d, "ApiVersion", API_VERSION);
	cJSON_AddStringToObject(d, "Arch", go_arch(u.machine));
	cJSON_AddStringToObject(d, "KernelVersion", u.release);
	cJSON_AddStringToObject(d, "MinAPIVersion", API_MIN_VERSION);
	cJSON_AddStringToObject(d, "Os", "linux");
	cJSON_AddStringToObject(d, "Experimental", "false");
	cJSON_AddStringToObject(j, "Version", ENGINE_VERSION);
	cJSON_AddStringToObject(j, "ApiVersion", API_VERSION);
	cJSON_AddStringToObject(j, "MinAPIVersion", API_MIN_VERSION);
	cJSON_AddStringToObject(j, "GitCommit", "");
	cJSON_AddStringToObject(j, "GoVersion", "");
	cJSON_AddStringToObject(j, "Os", "linux");
	cJSON_AddStringToObject(j, "Arch", go_arch(u.machine));
	cJSON_AddStringToObject(j, "KernelVersion", u.release);
	cJSON_AddStringToObject(j, "BuildTime", "");
	http_json(r->c, 200, j);
}

static void info(struct req *r)
{
	struct utsname u;
	struct sysinfo si;
	char now[64];
	struct timespec ts;
	struct tm tm;
	uname(&u);
	memset(&si, 0, sizeof si);
	sysinfo(&si);
	clock_gettime(CLOCK_REALTIME, &ts);
	strftime(now, 32, "%Y-%m-%dT%H:%M:%S", gmtime_r(&ts.tv_sec, &tm));
	snprintf(now + strlen(now), sizeof now - strlen(now), ".%09ldZ", ts.tv_nsec);
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "ID", "");
	int running, paused, stopped;
	containers_count(&running, &paused, &stopped);
	cJSON_AddNumberToObject(j, "Containers", running + paused + stopped);
	cJSON_AddNumberToObject(j, "ContainersRunning", running);
	cJSON_AddNumberToObject(j, "ContainersPaused", paused);
	cJSON_AddNumberToObject(j, "ContainersStopped", stopped);
	cJSON_AddNumberToObject(j, "Images", store_count());
	cJSON_AddStringToObject(j, "Driver", "bulkhead");
	cJSON_AddArrayToObject(j, "DriverStatus");
	cJSON *pl = cJSON_AddObjectToObject(j, "Plugins");
	cJSON_AddArrayToObject(pl, "Volume");
	cJSON_AddArrayToObject(pl, "Network");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(pl, "Log"), cJSON_CreateString("json-file"));
	cJSON_AddBoolToObject(j, "MemoryLimit", 1);
	cJSON_AddBoolToObject(j, "SwapLimit", 0);
	cJSON_AddBoolToObject(j, "PidsLimit", 1);
	cJSON_AddBoolToObject(j, "Debug", 0);
	cJSON_AddNumberToObject(j, "NFd", 0);
	cJSON_AddNumberToObject(j, "NGoroutines", 0);
	cJSON_AddStringToObject(j, "SystemTime", now);
	cJSON_AddStringToObject(j, "LoggingDriver", "json-file");
	cJSON_AddStringToObject(j, "CgroupDriver", "none");
	cJSON_AddStringToObject(j, "KernelVersion", u.release);
	cJSON_AddStringToObject(j, "OperatingSystem", "Bulkhead");
	cJSON_AddStringToObject(j, "OSVersion", "");
	cJSON_AddStringToObject(j, "OSType", "linux");
	cJSON_AddStringToObject(j, "Architecture", u.machine);
	cJSON_AddNumberToObject(j, "NCPU", (double)sysconf(_SC_NPROCESSORS_ONLN));
	cJSON_AddNumberToObject(j, "MemTotal", (double)si.totalram * si.mem_unit);
	cJSON_AddStringToObject(j, "DockerRootDir", eng.data_root);
	cJSON_AddStringToObject(j, "Name", u.nodename);
	cJSON_AddArrayToObject(j, "Labels");
	cJSON_AddBoolToObject(j, "ExperimentalBuild", 0);
	cJSON_AddStringToObject(j, "ServerVersion", ENGINE_VERSION);
	cJSON_AddBoolToObject(j, "LiveRestoreEnabled", 0);
	cJSON *sw = cJSON_AddObjectToObject(j, "Swarm");
	cJSON_AddStringToObject(sw, "NodeID", "");
	cJSON_AddStringToObject(sw, "NodeAddr", "");
	cJSON_AddStringToObject(sw, "LocalNodeState", "inactive");
	cJSON_AddBoolToObject(sw, "ControlAvailable", 0);
	cJSON_AddStringToObject(sw, "Error", "");
	cJSON_AddStringToObject(j, "Isolation", eng.isolation);
	cJSON_AddArrayToObject(j, "SecurityOptions");
	http_json(r->c, 200, j);
}

/* GET /system/df[?type=container|image|volume|build-cache...]: what docker
 * system df shows (every type when none is named); no volumes, no build cache. */
static void system_df(struct req *r)
{
	static const char *const types[] = { "container", "image", "volume", "build-cache" };
	char t[32];
	int want = 0, rc;
	for (int n = 0; (rc = query_param(r, "type", n, t, sizeof t)) != -1; n++) {
		int k = 0;
		if (rc == -2)
			return;
		while (k < 4 && strcmp(t, types[k]))
			k++;
		if (k == 4) {
			http_error(r->c, 400, "invalid type: %s", t);
			return;
		}
		want |= 1 << k;
	}
	want = want ? want : 15;
	double layers;
	cJSON *j = cJSON_CreateObject();
	if (want & 2) {
		cJSON_AddItemToObject(j, "Images", images_df(&layers));
		cJSON_AddNumberToObject(j, "LayersSize", layers);
	}
	if (want & 1)
		cJSON_AddItemToObject(j, "Containers", containers_df());
	if (want & 4)
		cJSON_AddArrayToObject(j, "Volumes");
	if (want & 8)
		cJSON_AddArrayToObject(j, "BuildCache");
	http_json(r->c, 200, j);
}

/* ---- routing */
/* Skips "/v<major>.<minor>" when it is followed by "/"; returns the version
 * as major*1000+minor in *ver (0: none given). */
static const char *strip_version(const char *path, int *ver)
{
	int major, minor, n = 0;
	*ver = 0;
	if (path[0] == '/' && path[1] == 'v' && sscanf(path + 2, "%3d.%3d%n", &major, &minor, &n) == 2 &&
	    path[2 + n] == '/' && path[2] >= '0' && path[2] <= '9') {
		*ver = major * 1000 + minor;
		return path + 2 + n;
	}
	return path;
}

static int version_num(const char *s)
{
	int major = 0, minor = 0;
	sscanf(s, "%d.%d", &major, &minor);
	return major * 1000 + minor;
}

int api_body_to_file(const char *method, const char *url)
{
	int ver;
	const char *p = strip_version(url, &ver);
	size_t n = strcspn(p, "?");
	return (!strcmp(method, "POST") && n == 12 && !strncmp(p, "/images/load", 12)) ||
	       (!strcmp(method, "PUT") && !strncmp(p, "/containers/", 12) && n > 20 && !strncmp(p + n - 8, "/archive", 8));
}

void api_dispatch(struct req *r)
{
	int ver;
	const char *p = strip_version(r->path, &ver);
	int get = r->method == HTTP_GET || r->method == HTTP_HEAD;
	if (ver > version_num(API_VERSION)) {
		http_error(r->c, 400, "client version %d.%d is too new. Maximum supported API version is "
			   API_VERSION, ver / 1000, ver % 1000);
		return;
	}
	if (ver && ver < version_num(API_MIN_VERSION)) {
		http_error(r->c, 400, "client version %d.%d is too old. Minimum supported API version is "
			   API_MIN_VERSION ", please upgrade your client to a newer version",
			   ver / 1000, ver % 1000);
		return;
	}
	memmove(r->path, p, strlen(p) + 1);
	if (!strcmp(r->path, "/_ping") && get)
		ping(r);
	else if (!strcmp(r->path, "/version") && get)
		version(r);
	else if (!strcmp(r->path, "/info") && get)
		info(r);
	else if (!strcmp(r->path, "/system/df") && get)
		system_df(r);
	else if (!strcmp(r->path, "/events") && get)
		events_subscribe(r);
	else if (!strncmp(r->path, "/images/", 8))
		images_route(r);
	else if (!strncmp(r->path, "/containers/", 12))
		containers_route(r);
	else if (!strncmp(r->path, "/exec/", 6))
		exec_route(r);
	else if (!strcmp(r->path, "/networks") || !strncmp(r->path, "/networks/", 10))
		networks_route(r);
	else
		http_error(r->c, 404, "page not found");
}
