/* bulkheadd's containers: the /containers and /exec endpoints and the daemon
 * side of the runtime.  A container is a folder
 *     DATA/containers/<id>/config.json   the create request merged with the image config
 *                          state.json    written by its shim (shim.c): pid, start time, exit code
 *                          upper/        the overlay's writable layer (the merged root)
 *                          spec.json     what the shim runs; shim.sock its socket
 *                          container.log json-file lines (and container.log.1)
 * Start runs bulkhead-shim (this program again), which forks the container's
 * process into a sandbox (/dev/sandbox lower=<image rootfs> upper=upper/).
 * The daemon keeps a monitor connection to each shim: its EOF is the exit.
 * After a restart the daemon re-reads the folders, recognises a running
 * container by its pid's start time (/proc/PID/stat) and connects again.
 * Logs are read back by logs.c, exec instances run by exec.c (ctr.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bulkhead/channel.h>
#include "engine.h"
#include "ctr.h"

const char *const status_names[] = { "created", "running", "exited" };
struct ctr *ctrs;
struct execr *execs;
struct hold *holds;

void ctr_dir(const struct ctr *ct, const char *file, char *out, size_t cap)
{
	snprintf(out, cap, "%s/containers/%s%s%s", eng.data_root, ct->id, file ? "/" : "", file ? file : "");
}

const char *jstr(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s ? s : "";
}

cJSON *cfg_of(const struct ctr *ct) { return cJSON_GetObjectItem(ct->rec, "Config"); }
cJSON *hc_of(const struct ctr *ct) { return cJSON_GetObjectItem(ct->rec, "HostConfig"); }
const char *name_of(const struct ctr *ct) { return jstr(ct->rec, "Name") + 1; }

int save_rec(struct ctr *ct)
{
	char path[4300];
	char *s = cJSON_Print(ct->rec);
	ctr_dir(ct, "config.json", path, sizeof path);
	int rc = s ? write_file_atomic(path, s) : -1;
	free(s);
	return rc;
}

cJSON *read_json(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	struct buf b = { 0 };
	char tmp[8192];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_put(&b, tmp, n);
	fclose(f);
	cJSON *j = b.p ? cJSON_Parse(b.p) : NULL;
	free(b.p);
	return j;
}

/* What the shim recorded (state.json): running or exited. */
static void read_state(struct ctr *ct)
{
	char path[4300];
	ctr_dir(ct, "state.json", path, sizeof path);
	cJSON *s = read_json(path);
	if (!s)
		return;
	ct->pid = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(s, "Pid"));
	ct->pid_start = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(s, "PidStart"));
	const cJSON *part = cJSON_GetObjectItem(s, "Partition");
	ct->partition = cJSON_IsNumber(part) ? part->valueint : 0;
	ct->exit_code = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(s, "ExitCode"));
	ct->oom = cJSON_IsTrue(cJSON_GetObjectItem(s, "OOMKilled"));
	snprintf(ct->started, sizeof ct->started, "%s", jstr(s, "StartedAt"));
	snprintf(ct->finished, sizeof ct->finished, "%s", jstr(s, "FinishedAt"));
	snprintf(ct->error, sizeof ct->error, "%s", jstr(s, "Error"));
	ct->status = cJSON_IsTrue(cJSON_GetObjectItem(s, "Running")) ? RUNNING : EXITED;
	cJSON_Delete(s);
}

static void write_failed_state(struct ctr *ct, int code, const char *err)
{
	char path[4300], now[64];
	now_rfc3339(now, sizeof now);
	cJSON *s = cJSON_CreateObject();
	cJSON_AddNumberToObject(s, "Pid", 0);
	cJSON_AddBoolToObject(s, "Running", 0);
	cJSON_AddNumberToObject(s, "ExitCode", code);
	cJSON_AddStringToObject(s, "StartedAt", "0001-01-01T00:00:00Z");
	cJSON_AddStringToObject(s, "FinishedAt", now);
	cJSON_AddStringToObject(s, "Error", err);
	char *t = cJSON_PrintUnformatted(s);
	cJSON_Delete(s);
	ctr_dir(ct, "state.json", path, sizeof path);
	if (t)
		write_file_atomic(path, t);
	free(t);
	read_state(ct);
}

/* Connects to a shim's socket NAME in folder DIR (sun_path is too short for
 * the whole path) and says what the connection wants; the fd or -1. */
int shim_connect(const char *dir, const char *name, int flags)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", name);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unsigned char f = (unsigned char)flags;
	int ok = fd >= 0 && !chdir(dir) && !connect(fd, (struct sockaddr *)&a, sizeof a) &&
		 send(fd, &f, 1, MSG_NOSIGNAL) == 1;
	if (chdir("/"))
		ok = 0;
	if (!ok && fd >= 0)
		close(fd), fd = -1;
	return fd;
}

/* ---- lookup */
static struct ctr *find_ctr(const char *key)
{
	struct ctr *hit = NULL;
	int n = 0;
	const char *k = key[0] == '/' ? key + 1 : key;
	for (struct ctr *ct = ctrs; ct; ct = ct->next)
		if (!strcmp(ct->id, key) || !strcmp(name_of(ct), k))
			return ct;
	for (struct ctr *ct = ctrs; ct && *key; ct = ct->next)
		if (!strncmp(ct->id, key, strlen(key)))
			hit = ct, n++;
	return n == 1 ? hit : NULL;
}

struct ctr *ctr_or_404(struct req *r, const char *key)
{
	struct ctr *ct = find_ctr(key);
	if (!ct)
		http_error(r->c, 404, "No such container: %s", key);
	return ct;
}

void random_id(char *out)
{
	unsigned char b[32];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, b, 32) != 32) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		srand((unsigned)(ts.tv_nsec ^ getpid()));
		for (int i = 0; i < 32; i++)
			b[i] = (unsigned char)rand();
	}
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static const char *const adjectives[] = { "admiring", "brave", "clever", "eager", "focused", "gallant",
					  "happy", "jolly", "keen", "nifty", "quirky", "serene" };
static const char *const surnames[] = { "hopper", "lovelace", "turing", "ritchie", "thompson", "hamilton",
					"knuth", "liskov", "shannon", "wozniak", "cerf", "allen" };

/* Docker's adjective_surname, with a number when taken. */
static void gen_name(char *out, size_t cap)
{
	char id[65];
	random_id(id);
	int a = (id[0] * 7 + id[1]) % 12, s = (id[2] * 7 + id[3]) % 12;
	snprintf(out, cap, "%s_%s", adjectives[a], surnames[s]);
	for (int i = 2; find_ctr(out) && !strcmp(name_of(find_ctr(out)), out); i++)
		snprintf(out, cap, "%s_%s%d", adjectives[a], surnames[s], i);
}

static int name_ok(const char *n)
{
	if (!((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z') || (n[0] >= '0' && n[0] <= '9')) ||
	    !n[1] || strlen(n) > 200)
		return 0;
	return strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(n);
}

/* process | hyperv | default | "" in any case; 0, or -1 with a 400 sent. */
static int isolation_ok(struct req *r, const cJSON *v, char *out, size_t cap)
{
	const char *s = v ? cJSON_GetStringValue(v) : "";
	if (v && !cJSON_IsString(v) && !cJSON_IsNull(v)) {
		http_error(r->c, 400, "invalid isolation: must be a string");
		return -1;
	}
	s = s ? s : "";
	if (*s && strcasecmp(s, "process") && strcasecmp(s, "hyperv") && strcasecmp(s, "default")) {
		http_error(r->c, 400, "invalid isolation: %s (process, hyperv or default)", s);
		return -1;
	}
	snprintf(out, cap, "%s", s);
	return 0;
}

/* Cmd and Entrypoint: a list of strings, a string (sh -c form is the
 * client's business: dockerd takes it as one word), or null. */
cJSON *strslice(const cJSON *v, int *bad)
{
	if (!v || cJSON_IsNull(v))
		return NULL;
	if (cJSON_IsString(v)) {
		cJSON *a = cJSON_CreateArray();
		cJSON_AddItemToArray(a, cJSON_CreateString(v->valuestring));
		return a;
	}
	const cJSON *e;
	if (!cJSON_IsArray(v))
		return *bad = 1, NULL;
	cJSON_ArrayForEach(e, v)
		if (!cJSON_IsString(e))
			return *bad = 1, NULL;
	return cJSON_Duplicate(v, 1);
}

/* Env: the image's, then the request's (a key given again replaces it). */
cJSON *merge_env(const cJSON *img, const cJSON *req)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *lists[2] = { img, req }, *e;
	for (int l = 0; l < 2; l++)
		cJSON_ArrayForEach(e, lists[l]) {
			const char *s = cJSON_GetStringValue(e);
			if (!s)
				continue;
			size_t k = strcspn(s, "=");
			int i = 0, found = -1;
			cJSON *o;
			cJSON_ArrayForEach(o, out) {
				if (!strncmp(o->valuestring, s, k) && (o->valuestring[k] == '=' || !o->valuestring[k]))
					found = i;
				i++;
			}
			if (found >= 0)
				cJSON_ReplaceItemInArray(out, found, cJSON_CreateString(s));
			else
				cJSON_AddItemToArray(out, cJSON_CreateString(s));
		}
	return out;
}

static cJSON *image_config(const struct image *im)
{
	char *p = store_path(im, "config.json");
	cJSON *j = p ? read_json(p) : NULL;
	free(p);
	return j;
}

/* ---- create */
static void create(struct req *r)
{
	char name[256], iso[16], err[512];
	int rc = query_param(r, "name", 0, name, sizeof name), bad = 0;
	if (rc == -2)
		return;
	if (!r->body_len) {
		http_error(r->c, 400, "config cannot be empty in order to create a container");
		return;
	}
	cJSON *b = cJSON_ParseWithLength(r->body, r->body_len);
	if (!b || !cJSON_IsObject(b)) {
		http_error(r->c, 400, "invalid JSON: the request body is not a JSON object");
		cJSON_Delete(b);
		return;
	}
	cJSON *hc = cJSON_GetObjectItem(b, "HostConfig");
	const char *image = jstr(b, "Image");
	struct image *im;
	int by_tag;
	if (rc == 0 && name[0] == '/')
		memmove(name, name + 1, strlen(name));
	if (rc == 0 && !name_ok(name)) {
		http_error(r->c, 400, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
		goto out;
	}
	if (rc == 0 && find_ctr(name) && !strcmp(name_of(find_ctr(name)), name)) {
		http_error(r->c, 409, "Conflict. The container name \"/%s\" is already in use by container \"%s\". "
			   "You have to remove (or rename) that container to be able to reuse that name.",
			   name, find_ctr(name)->id);
		goto out;
	}
	if (hc && !cJSON_IsObject(hc)) {
		http_error(r->c, 400, "invalid HostConfig: must be an object");
		goto out;
	}
	if (isolation_ok(r, cJSON_GetObjectItem(hc, "Isolation"), iso, sizeof iso))
		goto out;
	if (!*image) {
		http_error(r->c, 400, "no image specified (Image)");
		goto out;
	}
	int st = store_find(image, &im, &by_tag, err, sizeof err);
	if (st == 404) {
		http_error(r->c, 404, "No such image: %s", image);
		goto out;
	}
	if (st) {
		http_error(r->c, st, "%s", err);
		goto out;
	}
	cJSON *icj = image_config(im), *ic = cJSON_GetObjectItem(icj, "config");
	cJSON *cmd = strslice(cJSON_GetObjectItem(b, "Cmd"), &bad);
	cJSON *ep = strslice(cJSON_GetObjectItem(b, "Entrypoint"), &bad);
	double mem = cJSON_IsNumber(cJSON_GetObjectItem(hc, "Memory")) ? cJSON_GetObjectItem(hc, "Memory")->valuedouble : 0;
	double pids = cJSON_IsNumber(cJSON_GetObjectItem(hc, "PidsLimit")) ? cJSON_GetObjectItem(hc, "PidsLimit")->valuedouble : 0;
	cJSON *env = cJSON_GetObjectItem(b, "Env");
	if (bad || (env && !cJSON_IsArray(env) && !cJSON_IsNull(env)) ||   /* the docker CLI sends null */
	    (cJSON_GetObjectItem(hc, "Memory") && (!cJSON_IsNumber(cJSON_GetObjectItem(hc, "Memory")) || mem < 0))) {
		http_error(r->c, 400, "invalid Cmd, Entrypoint, Env or Memory");
		cJSON_Delete(cmd), cJSON_Delete(ep), cJSON_Delete(icj);
		goto out;
	}
	if (mem > 0 && mem < 6 * 1024 * 1024) {
		http_error(r->c, 400, "Minimum memory limit allowed is 6MB");
		cJSON_Delete(cmd), cJSON_Delete(ep), cJSON_Delete(icj);
		goto out;
	}
	if (!ep && !cmd)   /* the image's Cmd goes with its Entrypoint only when neither is given */
		cmd = strslice(cJSON_GetObjectItem(ic, "Cmd"), &bad);
	if (!ep)
		ep = strslice(cJSON_GetObjectItem(ic, "Entrypoint"), &bad);
	if (!cJSON_GetArraySize(cmd) && !cJSON_GetArraySize(ep)) {
		http_error(r->c, 400, "no command specified");
		cJSON_Delete(cmd), cJSON_Delete(ep), cJSON_Delete(icj);
		goto out;
	}
	struct ctr *ct = calloc(1, sizeof *ct);
	random_id(ct->id);
	ct->mon_fd = -1;
	if (rc)
		gen_name(name, sizeof name);
	char now[64], path[4300], hn[13];
	now_rfc3339(now, sizeof now);
	snprintf(hn, sizeof hn, "%.12s", ct->id);
	cJSON *rec = ct->rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "Id", ct->id);
	cJSON_AddStringToObject(rec, "Created", now);
	char slashed[260];
	snprintf(slashed, sizeof slashed, "/%s", name);
	cJSON_AddStringToObject(rec, "Name", slashed);
	char iid[72];
	snprintf(iid, sizeof iid, "sha256:%s", im->id);
	cJSON_AddStringToObject(rec, "Image", iid);
	cJSON *c = cJSON_AddObjectToObject(rec, "Config");
	const char *h = jstr(b, "Hostname");
	cJSON_AddStringToObject(c, "Hostname", *h ? h : hn);
	cJSON_AddStringToObject(c, "User", *jstr(b, "User") ? jstr(b, "User") : jstr(ic, "User"));
	static const char *const flags[] = { "AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce" };
	for (int i = 0; i < 6; i++)
		cJSON_AddBoolToObject(c, flags[i], cJSON_IsTrue(cJSON_GetObjectItem(b, flags[i])));
	cJSON_AddItemToObject(c, "Env", merge_env(cJSON_GetObjectItem(ic, "Env"), cJSON_GetObjectItem(b, "Env")));
	cJSON_AddItemToObject(c, "Cmd", cmd ? cmd : cJSON_CreateNull());
	cJSON_AddStringToObject(c, "Image", image);
	cJSON_AddStringToObject(c, "WorkingDir", *jstr(b, "WorkingDir") ? jstr(b, "WorkingDir") : jstr(ic, "WorkingDir"));
	cJSON_AddItemToObject(c, "Entrypoint", ep ? ep : cJSON_CreateNull());
	cJSON *labels = cJSON_GetObjectItem(b, "Labels");
	cJSON_AddItemToObject(c, "Labels", cJSON_IsObject(labels) ? cJSON_Duplicate(labels, 1) : cJSON_CreateObject());
	if (*jstr(ic, "StopSignal") || *jstr(b, "StopSignal"))
		cJSON_AddStringToObject(c, "StopSignal", *jstr(b, "StopSignal") ? jstr(b, "StopSignal") : jstr(ic, "StopSignal"));
	cJSON *hco = cJSON_AddObjectToObject(rec, "HostConfig");
	cJSON_AddStringToObject(hco, "Isolation", iso);
	cJSON_AddNumberToObject(hco, "Memory", mem);
	cJSON_AddNumberToObject(hco, "PidsLimit", pids);
	cJSON_AddBoolToObject(hco, "AutoRemove", cJSON_IsTrue(cJSON_GetObjectItem(hc, "AutoRemove")));
	net_config(hc, cJSON_GetObjectItem(b, "NetworkingConfig"), rec);
	cJSON_Delete(icj);
	ctr_dir(ct, NULL, path, sizeof path);
	mkdir(path, 0700);
	ctr_dir(ct, "upper", path, sizeof path);
	if (mkdir(path, 0755) || save_rec(ct)) {
		http_error(r->c, 500, "cannot create the container's folder %s: %s", path, strerror(errno));
		cJSON_Delete(ct->rec);
		free(ct);
		goto out;
	}
	ct->next = ctrs;
	ctrs = ct;
	events_emit("container", "create", ct->id, name);
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "Id", ct->id);
	cJSON_AddArrayToObject(j, "Warnings");
	http_json(r->c, 201, j);
out:
	cJSON_Delete(b);
}

/* ---- the runtime: spawning a shim */
/* Writes SPEC in the container's folder and runs bulkhead-shim on it; its
 * report line goes to msg ("ok PID" or "err STATUS MESSAGE"); the shim's
 * stdin (the go word) in *go.  0 or -1. */
int spec_write(struct ctr *ct, const cJSON *spec, const char *specname, char *msg, size_t cap)
{
	char path[4400];
	ctr_dir(ct, specname, path, sizeof path);
	char *s = cJSON_Print(spec);
	if (!s || write_file_atomic(path, s)) {
		free(s);
		snprintf(msg, cap, "err 1 cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	free(s);
	return 0;
}

int spawn_shim(struct ctr *ct, cJSON *spec, const char *specname, char *msg, size_t cap, int *go)
{
	char dir[4300];
	ctr_dir(ct, NULL, dir, sizeof dir);
	if (spec_write(ct, spec, specname, msg, cap))
		return -1;
	int rep[2], gop[2];
	if (pipe2(rep, O_CLOEXEC) || pipe2(gop, O_CLOEXEC)) {
		snprintf(msg, cap, "err 1 pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(gop[0], 0);
		dup2(rep[1], 1);
		if (cJSON_GetObjectItem(spec, "hyperv"))   /* ps shows its worker as vmwp */
			execl(eng.vmwp, "vmwp", dir, specname, (char *)NULL);
		else
			execl(eng.self, "bulkhead-shim", dir, specname, (char *)NULL);
		printf("err 1 cannot run the shim %s: %s\n", eng.self, strerror(errno));
		_exit(1);
	}
	close(rep[1]);
	close(gop[0]);
	size_t n = 0;
	ssize_t k;
	while (n + 1 < cap && (k = read(rep[0], msg + n, cap - 1 - n)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		n += (size_t)k;
		if (memchr(msg, '\n', n))
			break;
	}
	msg[n] = 0;
	msg[strcspn(msg, "\n")] = 0;
	close(rep[0]);
	if (pid < 0 || strncmp(msg, "ok ", 3)) {
		close(gop[1]);
		if (!msg[0])
			snprintf(msg, cap, "err 1 the shim failed (see the daemon's log)");
		return -1;
	}
	*go = gop[1];
	return 0;
}

void go_word(int go)
{
	if (write(go, "g", 1) < 0)
		logmsg("go: %s", strerror(errno));
	close(go);
}

/* The image's tree (lower), as the create recorded it. */
char *lower_of(struct ctr *ct)
{
	struct image *im;
	int by_tag;
	char err[256];
	if (store_find(jstr(ct->rec, "Image"), &im, &by_tag, err, sizeof err))
		return NULL;
	return store_path(im, "rootfs");
}

static cJSON *argv_of(const cJSON *ep, const cJSON *cmd)
{
	cJSON *a = cJSON_CreateArray(), *e;
	cJSON_ArrayForEach(e, ep)
		cJSON_AddItemToArray(a, cJSON_CreateString(e->valuestring));
	cJSON_ArrayForEach(e, cmd)
		cJSON_AddItemToArray(a, cJSON_CreateString(e->valuestring));
	return a;
}

void hold_add(struct conn *c, struct ctr *ct, int kind, int cond, int flags)
{
	struct hold *h = calloc(1, sizeof *h);
	*h = (struct hold){ .c = c, .ct = ct, .kind = kind, .cond = cond, .flags = flags, .next = holds };
	holds = h;
	c->held = kind != H_FOLLOW;   /* an attach until start connects it: a half-close must not end it */
}

static void ctr_exited(struct ctr *ct);
static void ctr_remove(struct ctr *ct);
static int ctr_pids(struct ctr *ct, int *pids, int max);

/* 0; or an HTTP status with the message in err. */
static int ctr_start(struct ctr *ct, char *err, size_t cap)
{
	char upper[4300], msg[700], line[1200];
	struct image *im;
	int by_tag;
	if (store_find(jstr(ct->rec, "Image"), &im, &by_tag, msg, sizeof msg)) {
		snprintf(err, cap, "the image of this container (%s) is gone", jstr(ct->rec, "Image"));
		return 500;
	}
	cJSON *c = cfg_of(ct), *hc = hc_of(ct), *spec = cJSON_CreateObject();
	char net[64];
	int nst = net_sandbox_word(ct, net, sizeof net, err, cap);
	if (nst) {
		cJSON_Delete(spec);
		return nst;
	}
	if (ctr_hyperv(ct)) {
		if (hv_spec(ct, im, strcmp(net, " net=none") ? net : "", spec, err, cap)) { /* none: no NIC */
			cJSON_Delete(spec);
			return 400;
		}
	} else {
		char *lower = store_path(im, "rootfs");
		ctr_dir(ct, "upper", upper, sizeof upper);
		long long pages = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(hc, "Memory")) / 4096;
		long long tasks = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(hc, "PidsLimit"));
		snprintf(line, sizeof line, "lower=%s upper=%s hostname=%s tasks=%lld pages=%lld%s", lower, upper,
			 jstr(c, "Hostname"), tasks > 0 ? tasks : 0, pages > 0 ? pages : 0, net);
		free(lower);
		cJSON_AddStringToObject(spec, "sandbox", line);
		cJSON_AddBoolToObject(spec, "mounts", 1);
	}
	cJSON_AddItemToObject(spec, "argv", argv_of(cJSON_GetObjectItem(c, "Entrypoint"), cJSON_GetObjectItem(c, "Cmd")));
	cJSON *env = cJSON_Duplicate(cJSON_GetObjectItem(c, "Env"), 1);
	char hn[300];
	snprintf(hn, sizeof hn, "HOSTNAME=%s", jstr(c, "Hostname"));
	cJSON_AddItemToArray(env, cJSON_CreateString(hn));
	cJSON_AddItemToObject(spec, "env", env);
	cJSON_AddStringToObject(spec, "cwd", jstr(c, "WorkingDir"));
	cJSON_AddStringToObject(spec, "user", jstr(c, "User"));
	cJSON_AddBoolToObject(spec, "tty", cJSON_IsTrue(cJSON_GetObjectItem(c, "Tty")));
	cJSON_AddBoolToObject(spec, "stdin", cJSON_IsTrue(cJSON_GetObjectItem(c, "OpenStdin")));
	char resolv[256];
	net_resolv(ct, resolv, sizeof resolv);
	cJSON_AddStringToObject(spec, "resolv", resolv);
	cJSON_AddStringToObject(spec, "sock", "shim.sock");
	cJSON_AddStringToObject(spec, "state", "state.json");
	cJSON_AddStringToObject(spec, "log", "container.log");
	int go;
	int rc = spawn_shim(ct, spec, "spec.json", msg, sizeof msg, &go);
	cJSON_Delete(spec);
	if (rc) {
		int status = atoi(msg + 4);
		const char *m = strchr(msg + 4, ' ');
		m = m ? m + 1 : msg;
		snprintf(err, cap, "failed to create task for container: unable to start container process: %s", m);
		write_failed_state(ct, status == 127 || status == 126 ? status : 128, m);
		ct->status = EXITED;
		return status == 127 || status == 126 ? 400 : 500;
	}
	char dir[4300];
	ctr_dir(ct, NULL, dir, sizeof dir);
	ct->mon_fd = shim_connect(dir, "shim.sock", 0);
	for (struct hold *h = holds; h; h = h->next)
		if (h->ct == ct && h->kind == H_ATTACH && h->c->relay_fd < 0) {
			int fd = shim_connect(dir, "shim.sock", h->flags);
			h->c->held = 0;
			if (fd >= 0)
				conn_relay(h->c, fd);
			else
				h->c->closing = 1;
		}
	go_word(go);
	read_state(ct);
	ct->status = RUNNING;
	ct->error[0] = 0;
	net_publish(ct);
	events_emit("container", "start", ct->id, name_of(ct));
	return 0;
}

static void start(struct req *r, struct ctr *ct)
{
	char err[1024];
	if (ct->status == RUNNING) {
		http_reply(r->c, 304, NULL, "", 0);
		return;
	}
	int st = ctr_start(ct, err, sizeof err);
	if (!st) {
		http_reply(r->c, 204, NULL, "", 0);
		return;
	}
	http_error(r->c, st, "%s", err);
	/* As dockerd: an AutoRemove container that failed to start is removed
	 * (the Docker CLI's run --rm waits for that). */
	if (cJSON_IsTrue(cJSON_GetObjectItem(hc_of(ct), "AutoRemove")))
		ctr_remove(ct);
}

static int signal_number(const char *s)
{
	static const char *const names[] = { "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL",
					      "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD",
					      "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
					      "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS" };
	char *end;
	long v = strtol(s, &end, 10);
	if (*s && !*end)
		return v > 0 && v < 65 ? (int)v : -1;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (int i = 0; i < 31; i++)
		if (!strcasecmp(s, names[i]))
			return i + 1;
	return -1;
}

int ctr_hyperv(const struct ctr *ct)
{
	const char *iso = jstr(hc_of(ct), "Isolation");
	return !strcasecmp(iso, "hyperv") || ((!*iso || !strcasecmp(iso, "default")) && !strcmp(eng.isolation, "hyperv"));
}

void ctr_signal(struct ctr *ct, int sig)
{
	if (!ct->partition) {
		kill(ct->pid, sig);
		return;
	}
	char dir[4300], line[32];
	ctr_dir(ct, NULL, dir, sizeof dir);
	int fd = shim_connect(dir, "shim.sock", SHIM_CONTROL);
	int n = snprintf(line, sizeof line, "signal %d\n", sig);
	if ((fd < 0 || send(fd, line, (size_t)n, MSG_NOSIGNAL) != n) && sig == SIGKILL &&
	    proc_start_time(ct->pid) == ct->pid_start)
		kill(ct->pid, SIGKILL);   /* the worker, deaf: its end destroys the partition */
	if (fd >= 0)
		close(fd);
}

static void ctr_stop(struct ctr *ct, int secs)
{
	const char *ss = jstr(cfg_of(ct), "StopSignal");
	int sig = *ss ? signal_number(ss) : SIGTERM;
	ctr_signal(ct, sig > 0 ? sig : SIGTERM);
	ct->kill_at = secs < 0 ? 0 : mono_ms() + secs * 1000LL + (secs == 0);
	events_emit("container", "kill", ct->id, name_of(ct));
}

static void stop(struct req *r, struct ctr *ct, int restart)
{
	char t[16];
	int secs = 10;
	if (query_param(r, "t", 0, t, sizeof t) == 0)
		secs = atoi(t);
	if (ct->status != RUNNING) {
		if (restart) {
			start(r, ct);
			return;
		}
		http_reply(r->c, 304, NULL, "", 0);
		return;
	}
	ctr_stop(ct, secs);
	ct->restart = restart;
	hold_add(r->c, ct, restart ? H_RESTART : H_STOP, 0, 0);
}

static void kill_ep(struct req *r, struct ctr *ct)
{
	char s[32] = "KILL";
	if (query_param(r, "signal", 0, s, sizeof s) == -2)
		return;
	int sig = signal_number(s);
	if (sig < 0) {
		http_error(r->c, 400, "Invalid signal: %s", s);
		return;
	}
	if (ct->status != RUNNING) {
		http_error(r->c, 409, "Cannot kill container: %s: container %s is not running", name_of(ct), ct->id);
		return;
	}
	ctr_signal(ct, sig);
	events_emit("container", "kill", ct->id, name_of(ct));
	http_reply(r->c, 204, NULL, "", 0);
}

static void wait_reply(struct conn *c, struct ctr *ct)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "StatusCode", ct->exit_code);
	if (ct->error[0])
		cJSON_AddStringToObject(cJSON_AddObjectToObject(j, "Error"), "Message", ct->error);
	else
		cJSON_AddNullToObject(j, "Error");
	c->held = 0;
	c->closing = 1;
	if (c->chunked) {
		http_stream_json(c, j);
		http_stream_end(c);
	} else
		http_json(c, 200, j);
}

static void wait_ep(struct req *r, struct ctr *ct)
{
	char cond[32] = "not-running";
	if (query_param(r, "condition", 0, cond, sizeof cond) == -2)
		return;
	int k = !strcmp(cond, "not-running") || !*cond ? 0 : !strcmp(cond, "next-exit") ? 1 :
		!strcmp(cond, "removed") ? 2 : -1;
	if (k < 0) {
		http_error(r->c, 400, "invalid condition: \"%s\"", cond);
		return;
	}
	if (k == 0 && ct->status != RUNNING) {
		wait_reply(r->c, ct);
		return;
	}
	/* The status line now, the body at the exit, as dockerd: the Docker
	 * CLI's run waits for the headers of its wait before it starts.  The
	 * connection ends with the body, and says so now: a client that reuses
	 * its connections (docker-py) must not send on it after. */
	r->c->closing = 1;
	http_stream_begin(r->c, 200, "application/json");
	hold_add(r->c, ct, H_WAIT, k, 0);
}

/* ---- removal */
static int rm_entry(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st, (void)f;
	return type == FTW_DP ? rmdir(p) : unlink(p), 0;
}

static void ctr_unmount(struct ctr *ct)
{
	char p[4400];
	ctr_dir(ct, "upper/proc", p, sizeof p);
	umount2(p, MNT_DETACH);
	ctr_dir(ct, "upper/dev", p, sizeof p);
	umount2(p, MNT_DETACH);
}

static void ctr_remove(struct ctr *ct)
{
	char dir[4300];
	ctr_unmount(ct);
	ctr_dir(ct, NULL, dir, sizeof dir);
	/* musl's nftw stops at an entry that vanished under it (a killed task's
	 * last unlink): walk once more */
	int rc = -1;
	for (int k = 0; k < 2 && rc; k++)
		rc = nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	if (rc)
		logmsg("container %s: removing %s: %s", ct->id, dir, strerror(errno));
	for (struct ctr **pp = &ctrs; *pp; pp = &(*pp)->next)
		if (*pp == ct) {
			*pp = ct->next;
			break;
		}
	for (struct hold **hp = &holds; *hp;) {
		struct hold *h = *hp;
		if (h->ct == ct) {
			if (h->kind == H_WAIT || h->kind == H_DELETE) {
				if (h->kind == H_WAIT)
					wait_reply(h->c, ct);
				else
					h->c->held = 0, h->c->closing = 1, http_reply(h->c, 204, NULL, "", 0);
			} else
				h->c->held = 0, h->c->closing = 1;
			*hp = h->next;
			free(h);
		} else
			hp = &h->next;
	}
	for (struct execr **ep = &execs; *ep;) {
		struct execr *e = *ep;
		if (e->ct == ct) {
			*ep = e->next;
			if (e->mon_fd >= 0)
				close(e->mon_fd);
			cJSON_Delete(e->cfg);
			free(e);
		} else
			ep = &e->next;
	}
	events_emit("container", "destroy", ct->id, name_of(ct));
	if (ct->mon_fd >= 0)
		close(ct->mon_fd);
	cJSON_Delete(ct->rec);
	free(ct);
}

static void delete_ep(struct req *r, struct ctr *ct)
{
	if (ct->status == RUNNING && !query_bool(r->query, "force")) {
		http_error(r->c, 409, "cannot remove container \"/%s\": container is running: stop the container "
			   "before removing or force remove", name_of(ct));
		return;
	}
	if (ct->status == RUNNING) {
		ctr_signal(ct, SIGKILL);
		ct->remove = 1;
		hold_add(r->c, ct, H_DELETE, 0, 0);
		return;
	}
	ctr_remove(ct);
	http_reply(r->c, 204, NULL, "", 0);
}

static void ctr_exited(struct ctr *ct)
{
	if (ct->mon_fd >= 0)
		close(ct->mon_fd);
	ct->mon_fd = -1;
	read_state(ct);
	if (ct->status == RUNNING && proc_start_time(ct->pid) == ct->pid_start) {
		/* its shim was killed, not the container: watched by its pid now */
		logmsg("container %s: its shim is gone; pid %d still runs", ct->id, ct->pid);
		return;
	}
	ct->kill_at = 0;
	if (ct->status == RUNNING) {   /* the shim is gone without a word */
		ct->status = EXITED;
		ct->exit_code = 255;
	}
	/* As when a PID namespace's init dies: what it left behind goes too. */
	int pids[1024], n = ctr_pids(ct, pids, 1024);
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	ctr_unmount(ct);
	events_emit("container", "die", ct->id, name_of(ct));
	for (struct hold **hp = &holds; *hp;) {
		struct hold *h = *hp;
		int done = 0;
		if (h->ct == ct && h->kind == H_WAIT && h->cond < 2)
			wait_reply(h->c, ct), done = 1;
		else if (h->ct == ct && h->kind == H_STOP) {
			events_emit("container", "stop", ct->id, name_of(ct));
			h->c->held = 0;
			h->c->closing = 1;
			http_reply(h->c, 204, NULL, "", 0);
			done = 1;
		} else if (h->ct == ct && h->kind == H_RESTART) {
			char err[1024];
			int st = ctr_start(ct, err, sizeof err);
			h->c->held = 0;
			h->c->closing = 1;
			if (st)
				http_error(h->c, st, "%s", err);
			else
				http_reply(h->c, 204, NULL, "", 0);
			done = 1;
		}
		if (done) {
			*hp = h->next;
			free(h);
		} else
			hp = &h->next;
	}
	if (ct->status == EXITED && (ct->remove || cJSON_IsTrue(cJSON_GetObjectItem(hc_of(ct), "AutoRemove"))))
		ctr_remove(ct);
}

/* ---- inspect and list */
static long long parse_time(const char *s)
{
	struct tm tm = { 0 };
	if (!strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return (long long)timegm(&tm);
}

static void human(long long secs, char *out, size_t cap)
{
	if (secs < 1)
		snprintf(out, cap, "Less than a second");
	else if (secs == 1)
		snprintf(out, cap, "1 second");
	else if (secs < 60)
		snprintf(out, cap, "%lld seconds", secs);
	else if (secs < 120)
		snprintf(out, cap, "About a minute");
	else if (secs < 3600)
		snprintf(out, cap, "%lld minutes", secs / 60);
	else if (secs < 7200)
		snprintf(out, cap, "About an hour");
	else
		snprintf(out, cap, "%lld hours", secs / 3600);
}

/* ---- a container's size: its writable layer (SizeRw) is what its upper
 * folder holds of its own.  Under Bulkhead's kernel the upper is the merged
 * tree (fs/overlay.c), but a file not copied up from the image owns no
 * pages and stats with st_blocks 0; a file of its own (new, or copied up
 * whole) counts its st_size, as overlay2's diff folder does under dockerd.
 * Hard links count once; the folders the shim mounts (/proc, /dev) and
 * other filesystems are not entered, and the files it writes in /etc at
 * each start (hostname, hosts, resolv.conf: Docker's bind mounts) are left
 * out.  A hyperv container's files are in its
 * partition: its upper holds nothing (0).  Listing a merged folder makes its
 * image entries' shadows (no data), once per container. */
struct links { struct { dev_t dev; ino_t ino; } *v; size_t n, cap; };

/* Whether st was seen already (a hard link counted once). */
static int link_seen(struct links *l, const struct stat *st)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].dev == st->st_dev && l->v[i].ino == st->st_ino)
			return 1;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		void *n = realloc(l->v, cap * sizeof *l->v);
		if (!n)
			return 0;
		l->v = n, l->cap = cap;
	}
	l->v[l->n].dev = st->st_dev, l->v[l->n++].ino = st->st_ino;
	return 0;
}

/* The files the shim writes at each start, which Docker mounts instead. */
static int shim_etc(const char *n)
{
	return !strcmp(n, "hostname") || !strcmp(n, "hosts") || !strcmp(n, "resolv.conf");
}

/* The bytes of folder dfd's own files, below it (depth: how deep it is;
 * etc: it is the root's etc). */
static long long size_dir(int dfd, dev_t dev, int depth, int etc, struct links *l)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	long long sum = 0;
	if (!d) {
		close(dfd);
		return 0;
	}
	while ((de = readdir(d))) {
		struct stat st;
		const char *n = de->d_name;
		if (!strcmp(n, ".") || !strcmp(n, "..") || fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) ||
		    st.st_dev != dev || (!depth && (!strcmp(n, "proc") || !strcmp(n, "dev"))) || (etc && shim_etc(n)))
			continue;
		if (S_ISREG(st.st_mode) && st.st_blocks && (st.st_nlink < 2 || !link_seen(l, &st)))
			sum += st.st_size;
		int sub;
		if (S_ISDIR(st.st_mode) && depth < 256 &&
		    (sub = openat(dirfd(d), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0)
			sum += size_dir(sub, dev, depth + 1, !depth && !strcmp(n, "etc"), l);
	}
	closedir(d);
	return sum;
}

/* SizeRw in bytes (0 where unreadable). */
static long long size_rw(struct ctr *ct)
{
	char upper[4400];
	struct stat st;
	struct links l = { 0 };
	ctr_dir(ct, "upper", upper, sizeof upper);
	int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long long n = 0;
	if (fd >= 0 && !fstat(fd, &st))
		n = size_dir(fd, st.st_dev, 0, 0, &l);   /* it closes fd */
	else if (fd >= 0)
		close(fd);
	free(l.v);
	return n;
}

/* SizeRw and SizeRootFs (the image's size and SizeRw) into j. */
static void add_sizes(struct ctr *ct, cJSON *j)
{
	struct image *im;
	int by_tag;
	char err[256];
	long long rw = size_rw(ct);
	cJSON_AddNumberToObject(j, "SizeRw", (double)rw);
	cJSON_AddNumberToObject(j, "SizeRootFs", (double)rw + (store_find(jstr(ct->rec, "Image"), &im, &by_tag, err,
									   sizeof err) ? 0 : (double)im->size));
}

static cJSON *inspect_json(struct ctr *ct)
{
	cJSON *j = cJSON_CreateObject(), *c = cfg_of(ct);
	char p[4400];
	cJSON_AddStringToObject(j, "Id", ct->id);
	cJSON_AddStringToObject(j, "Created", jstr(ct->rec, "Created"));
	cJSON *argv = argv_of(cJSON_GetObjectItem(c, "Entrypoint"), cJSON_GetObjectItem(c, "Cmd"));
	cJSON_AddStringToObject(j, "Path", cJSON_GetArraySize(argv) ? cJSON_GetArrayItem(argv, 0)->valuestring : "");
	cJSON_DeleteItemFromArray(argv, 0);
	cJSON_AddItemToObject(j, "Args", argv);
	cJSON *s = cJSON_AddObjectToObject(j, "State");
	cJSON_AddStringToObject(s, "Status", status_names[ct->status]);
	cJSON_AddBoolToObject(s, "Running", ct->status == RUNNING);
	cJSON_AddBoolToObject(s, "Paused", 0);
	cJSON_AddBoolToObject(s, "Restarting", 0);
	cJSON_AddBoolToObject(s, "OOMKilled", ct->oom);
	cJSON_AddBoolToObject(s, "Dead", 0);
	cJSON_AddNumberToObject(s, "Pid", ct->status == RUNNING ? ct->pid : 0);
	cJSON_AddNumberToObject(s, "ExitCode", ct->exit_code);
	cJSON_AddStringToObject(s, "Error", ct->error);
	cJSON_AddStringToObject(s, "StartedAt", ct->started[0] ? ct->started : "0001-01-01T00:00:00Z");
	cJSON_AddStringToObject(s, "FinishedAt", ct->finished[0] ? ct->finished : "0001-01-01T00:00:00Z");
	cJSON_AddStringToObject(j, "Image", jstr(ct->rec, "Image"));
	ctr_dir(ct, "container.log", p, sizeof p);
	cJSON_AddStringToObject(j, "LogPath", p);
	cJSON_AddStringToObject(j, "Name", jstr(ct->rec, "Name"));
	cJSON_AddNumberToObject(j, "RestartCount", 0);
	cJSON_AddStringToObject(j, "Driver", "overlay");
	cJSON_AddStringToObject(j, "Platform", "linux");
	cJSON *hc = cJSON_Duplicate(hc_of(ct), 1);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(hc, "LogConfig"), "Type", "json-file");
	cJSON_AddItemToObject(j, "HostConfig", hc);
	cJSON *g = cJSON_AddObjectToObject(j, "GraphDriver"), *d = cJSON_AddObjectToObject(g, "Data");
	cJSON_AddStringToObject(g, "Name", "overlay");
	char *lower = lower_of(ct);
	cJSON_AddStringToObject(d, "LowerDir", lower ? lower : "");
	free(lower);
	ctr_dir(ct, "upper", p, sizeof p);
	cJSON_AddStringToObject(d, "UpperDir", p);
	cJSON_AddStringToObject(d, "MergedDir", p);   /* the upper is the merged tree */
	cJSON_AddArrayToObject(j, "Mounts");
	cJSON_AddItemToObject(j, "Config", cJSON_Duplicate(c, 1));
	net_inspect(ct, hc, cJSON_AddObjectToObject(j, "NetworkSettings"));
	return j;
}

/* GET /containers/{id}/json[?size=1] */
static void inspect_ep(struct req *r, struct ctr *ct)
{
	cJSON *j = inspect_json(ct);
	if (query_bool(r->query, "size"))
		add_sizes(ct, j);
	http_json(r->c, 200, j);
}

static int label_match(const cJSON *labels, const cJSON *f)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(f, "label")) {
		char k[512];
		snprintf(k, sizeof k, "%s", v->valuestring);
		char *eq = strchr(k, '=');
		if (eq)
			*eq++ = 0;
		const char *have = cJSON_GetStringValue(cJSON_GetObjectItem(labels, k));
		if (!have || (eq && strcmp(have, eq)))
			return 0;
	}
	return 1;
}

/* A container as GET /containers/json lists it. */
static cJSON *summary(struct ctr *ct)
{
	cJSON *c = cfg_of(ct), *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "Id", ct->id);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(j, "Names"), cJSON_CreateString(jstr(ct->rec, "Name")));
	cJSON_AddStringToObject(j, "Image", jstr(c, "Image"));
	cJSON_AddStringToObject(j, "ImageID", jstr(ct->rec, "Image"));
	struct buf cmd = { 0 };
	cJSON *argv = argv_of(cJSON_GetObjectItem(c, "Entrypoint"), cJSON_GetObjectItem(c, "Cmd")), *a;
	cJSON_ArrayForEach(a, argv)
		buf_printf(&cmd, "%s%s", cmd.len ? " " : "", a->valuestring);
	cJSON_Delete(argv);
	cJSON_AddStringToObject(j, "Command", cmd.p ? cmd.p : "");
	free(cmd.p);
	cJSON_AddNumberToObject(j, "Created", (double)parse_time(jstr(ct->rec, "Created")));
	cJSON_AddStringToObject(j, "State", status_names[ct->status]);
	char st[128], h[64];
	long long now = (long long)time(NULL);
	if (ct->status == RUNNING)
		human(now - parse_time(ct->started), h, sizeof h), snprintf(st, sizeof st, "Up %s", h);
	else if (ct->status == EXITED)
		human(now - parse_time(ct->finished), h, sizeof h),
			snprintf(st, sizeof st, "Exited (%d) %s ago", ct->exit_code, h);
	else
		snprintf(st, sizeof st, "Created");
	cJSON_AddStringToObject(j, "Status", st);
	cJSON_AddItemToObject(j, "Ports", net_ports(ct));
	cJSON_AddItemToObject(j, "Labels", cJSON_Duplicate(cJSON_GetObjectItem(c, "Labels"), 1));
	cJSON_AddStringToObject(cJSON_AddObjectToObject(j, "HostConfig"), "NetworkMode", net_mode(ct));
	cJSON_AddStringToObject(j, "Isolation", jstr(hc_of(ct), "Isolation"));
	cJSON_AddArrayToObject(j, "Mounts");
	return j;
}

static void list(struct req *r)
{
	static const char *const allowed[] = { "status", "name", "id", "label", "ancestor", NULL };
	cJSON *f = filters_parse(r, allowed);
	if (!f)
		return;
	int all = query_bool(r->query, "all"), size = query_bool(r->query, "size");
	cJSON *out = cJSON_CreateArray();
	const cJSON *v;
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(f, "status")) {
		static const char *const st[] = { "created", "restarting", "running", "removing", "paused", "exited", "dead" };
		int ok = 0;
		for (int i = 0; i < 7; i++)
			ok |= !strcmp(v->valuestring, st[i]);
		if (!ok) {
			http_error(r->c, 400, "invalid filter 'status=%s'", v->valuestring);
			cJSON_Delete(f), cJSON_Delete(out);
			return;
		}
	}
	for (struct ctr *ct = ctrs; ct; ct = ct->next) {
		cJSON *c = cfg_of(ct);
		int m = all || ct->status == RUNNING || filter_has(f, "status");
		if (filter_has(f, "status") && !filter_match(f, "status", status_names[ct->status]))
			m = 0;
		cJSON_ArrayForEach(v, cJSON_GetObjectItem(f, "name"))
			if (!strstr(name_of(ct), v->valuestring[0] == '/' ? v->valuestring + 1 : v->valuestring))
				m = 0;
		cJSON_ArrayForEach(v, cJSON_GetObjectItem(f, "id"))
			if (strncmp(ct->id, v->valuestring, strlen(v->valuestring)))
				m = 0;
		if (!label_match(cJSON_GetObjectItem(c, "Labels"), f))
			m = 0;
		if (filter_has(f, "ancestor")) {
			int any = 0;
			cJSON_ArrayForEach(v, cJSON_GetObjectItem(f, "ancestor")) {
				struct image *im;
				int bt;
				char err[256];
				any |= !store_find(v->valuestring, &im, &bt, err, sizeof err) &&
				       !strcmp(jstr(ct->rec, "Image") + 7, im->id);
			}
			m &= any;
		}
		if (!m)
			continue;
		cJSON *one = summary(ct);
		if (size)
			add_sizes(ct, one);
		cJSON_AddItemToArray(out, one);
	}
	cJSON_Delete(f);
	http_json(r->c, 200, out);
}

/* ---- top: the tasks whose root is the container's (the host's view of it) */
/* The pids of the container's tasks (at most max), found by their root. */
static int ctr_pids(struct ctr *ct, int *pids, int max)
{
	char upper[4300], root[4300], path[64];
	int n = 0;
	ctr_dir(ct, "upper", upper, sizeof upper);
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d)) && n < max) {
		int pid = atoi(de->d_name);
		if (pid <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%d/root", pid);
		ssize_t k = readlink(path, root, sizeof root - 1);
		if (k <= 0)
			continue;
		root[k] = 0;
		if (!strcmp(root, upper))
			pids[n++] = pid;
	}
	if (d)
		closedir(d);
	return n;
}

/* /proc/PID/FILE into b (NUL-terminated); its length. */
static ssize_t proc_read(int pid, const char *file, char *b, size_t cap)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t k = fd >= 0 ? read(fd, b, cap - 1) : 0;
	if (fd >= 0)
		close(fd);
	b[k > 0 ? k : 0] = 0;
	return k > 0 ? k : 0;
}

void top_row(cJSON *rows, int pid, int ppid, const char *cmd)
{
	char sp[16], spp[16];
	snprintf(sp, sizeof sp, "%d", pid);
	snprintf(spp, sizeof spp, "%d", ppid);
	const char *row[] = { "root", sp, spp, "0", "00:00", "?", "00:00:00", cmd };
	cJSON *rw = cJSON_CreateArray();
	for (int c = 0; c < 8; c++)
		cJSON_AddItemToArray(rw, cJSON_CreateString(row[c]));
	cJSON_AddItemToArray(rows, rw);
}

static void top(struct req *r, struct ctr *ct)
{
	if (ct->status != RUNNING) {
		http_error(r->c, 409, "Container %s is not running", ct->id);
		return;
	}
	int pids[1024], n = ct->partition ? 0 : ctr_pids(ct, pids, 1024);
	cJSON *j = cJSON_CreateObject(), *rows = cJSON_CreateArray();
	static const char *const titles[] = { "UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD" };
	cJSON *t = cJSON_AddArrayToObject(j, "Titles");
	for (int i = 0; i < 8; i++)
		cJSON_AddItemToArray(t, cJSON_CreateString(titles[i]));
	char err[256];
	if (ct->partition && hv_top(ct, rows, err, sizeof err)) {   /* its partition's tasks */
		cJSON_Delete(j), cJSON_Delete(rows);
		http_error(r->c, 500, "%s", err);
		return;
	}
	for (int i = 0; i < n; i++) {
		char b[4096], cmd[4096];
		ssize_t k = proc_read(pids[i], "cmdline", cmd, sizeof cmd);
		for (ssize_t c = 0; c + 1 < k; c++)
			if (!cmd[c])
				cmd[c] = ' ';
		int ppid = 0;
		proc_read(pids[i], "stat", b, sizeof b);
		char *rp = strrchr(b, ')');
		if (rp)
			sscanf(rp + 2, "%*c %d", &ppid);
		top_row(rows, pids[i], ppid, cmd);
	}
	cJSON_AddItemToObject(j, "Processes", rows);
	http_json(r->c, 200, j);
}

/* ---- attach */
static void attach(struct req *r, struct ctr *ct)
{
	int flags = (query_bool(r->query, "stdin") ? SHIM_STDIN : 0) | (query_bool(r->query, "stdout") ? SHIM_STDOUT : 0) |
		    (query_bool(r->query, "stderr") ? SHIM_STDERR : 0);
	int stream = query_bool(r->query, "stream"), tty = cJSON_IsTrue(cJSON_GetObjectItem(cfg_of(ct), "Tty"));
	if (stream && ct->status == EXITED && !query_bool(r->query, "logs")) {
		http_error(r->c, 409, "You cannot attach to a stopped container, start it first");
		return;
	}
	http_upgrade(r->c, tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream");
	events_emit("container", "attach", ct->id, name_of(ct));
	if (query_bool(r->query, "logs"))
		replay(r->c, ct, -1, flags, 0, 0, NULL, NULL);
	if (!stream || ct->status == EXITED) {
		r->c->closing = 1;
		return;
	}
	if (ct->status == RUNNING) {
		char dir[4300];
		ctr_dir(ct, NULL, dir, sizeof dir);
		int fd = shim_connect(dir, "shim.sock", flags);
		if (fd < 0)
			r->c->closing = 1;
		else
			conn_relay(r->c, fd);
		return;
	}
	hold_add(r->c, ct, H_ATTACH, 0, flags);   /* connected at start */
}

void resize(struct req *r, struct ctr *ct, const char *sock)
{
	char h[16], w[16], dir[4300], line[64];
	if (query_param(r, "h", 0, h, sizeof h) || query_param(r, "w", 0, w, sizeof w) || atoi(h) < 0 || atoi(w) < 0) {
		http_error(r->c, 400, "resize: h and w must be given, numbers");
		return;
	}
	if (ct->status != RUNNING) {
		http_error(r->c, 409, "Container %s is not running", ct->id);
		return;
	}
	ctr_dir(ct, NULL, dir, sizeof dir);
	int fd = shim_connect(dir, sock, SHIM_CONTROL);
	int n = snprintf(line, sizeof line, "resize %d %d\n", atoi(h), atoi(w));
	if (fd < 0 || send(fd, line, (size_t)n, MSG_NOSIGNAL) != n)
		http_error(r->c, 409, "the process is gone");
	else
		http_reply(r->c, 200, NULL, "", 0);
	if (fd >= 0)
		close(fd);
}

/* ---- update: Docker's UpdateConfig (Memory, PidsLimit) and our Isolation */
static void update(struct req *r, struct ctr *ct)
{
	char iso[16];
	cJSON *b = cJSON_ParseWithLength(r->body, r->body_len);
	if (!b || !cJSON_IsObject(b)) {
		http_error(r->c, 400, "invalid JSON: the request body is not a JSON object");
		cJSON_Delete(b);
		return;
	}
	cJSON *v = cJSON_GetObjectItem(b, "Isolation"), *hc = hc_of(ct);
	if (v && ct->status == RUNNING)
		http_error(r->c, 409, "cannot change the isolation of a running container");
	else if (!v || !isolation_ok(r, v, iso, sizeof iso)) {
		if (v)
			cJSON_ReplaceItemInObject(hc, "Isolation", cJSON_CreateString(iso));
		static const char *const nums[] = { "Memory", "PidsLimit" };
		for (int i = 0; i < 2; i++)
			if (cJSON_IsNumber(cJSON_GetObjectItem(b, nums[i])))
				cJSON_ReplaceItemInObject(hc, nums[i], cJSON_CreateNumber(cJSON_GetObjectItem(b, nums[i])->valuedouble));
		save_rec(ct);
		events_emit("container", "update", ct->id, name_of(ct));
		cJSON *j = cJSON_CreateObject();
		cJSON_AddArrayToObject(j, "Warnings");
		http_json(r->c, 200, j);
	}
	cJSON_Delete(b);
}

/* GET /containers/{id}/stats: samples of a process container: its tasks'
 * resident pages, their CPU time (ticks of 10 ms) beside the machine's, how
 * many there are.  stream=false: one sample, precpu empty (the CLI's CPU %
 * is then the share since the tasks began).  stream=true (dockerd's
 * default): a sample now and one a second after (precpu the one before)
 * while it runs and the client reads; a container that does not run gets
 * one sample.  A hyperv container's sample is its partition's word
 * (BH_IOC_STATS): its tasks, its RAM in use of its RAM, its vCPU's busy
 * time; only shown. */
static cJSON *stats_json(struct ctr *ct, struct cpu_sample *pre)
{
	int pids[1024], n = ct->status == RUNNING && !ct->partition ? ctr_pids(ct, pids, 1024) : 0;
	long long rss = 0, ticks = 0, sys = 0;
	struct bh_guest_stats gs = { 0 };
	int guest = ct->status == RUNNING && ct->partition && !hv_stats(ct, &gs);
	char b[4096], now[64];
	for (int i = 0; i < n; i++) {
		unsigned long long ut = 0, st = 0;
		char *rp, *m;
		if (proc_read(pids[i], "stat", b, sizeof b) > 0 && (rp = strrchr(b, ')')))
			sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st);
		ticks += (long long)(ut + st);
		if (proc_read(pids[i], "status", b, sizeof b) > 0 && (m = strstr(b, "VmRSS:")))
			rss += strtoll(m + 6, NULL, 10) * 1024;
	}
	FILE *f = fopen("/proc/stat", "r");
	if (f) {
		unsigned long long v[8] = { 0 };
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			   &v[6], &v[7]) >= 4)
			for (int i = 0; i < 8; i++)
				sys += (long long)v[i];
		fclose(f);
	}
	struct sysinfo si = { 0 };
	sysinfo(&si);
	double lim = cJSON_GetNumberValue(cJSON_GetObjectItem(hc_of(ct), "Memory"));
	double cpus = (double)sysconf(_SC_NPROCESSORS_ONLN), total = (double)ticks * 1e7;
	if (guest) {   /* its partition: its RAM in use, its one vCPU's busy time */
		n = (int)gs.tasks;
		rss = (long long)(gs.mem_total - (gs.mem_free < gs.mem_total ? gs.mem_free : gs.mem_total));
		lim = (double)gs.mem_total;
		total = (double)gs.busy_ns;
		cpus = 1;
	}
	now_rfc3339(now, sizeof now);
	cJSON *j = cJSON_CreateObject(), *o, *u;
	cJSON_AddStringToObject(j, "read", now);
	cJSON_AddStringToObject(j, "preread", pre->read[0] ? pre->read : "0001-01-01T00:00:00Z");
	cJSON_AddStringToObject(j, "id", ct->id);
	char nm[300];
	snprintf(nm, sizeof nm, "/%s", name_of(ct));
	cJSON_AddStringToObject(j, "name", nm);
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(j, "pids_stats"), "current", n);
	o = cJSON_AddObjectToObject(j, "cpu_stats");
	u = cJSON_AddObjectToObject(o, "cpu_usage");
	cJSON_AddNumberToObject(u, "total_usage", total);
	cJSON_AddNumberToObject(o, "system_cpu_usage", (double)sys * 1e7);
	cJSON_AddNumberToObject(o, "online_cpus", cpus);
	o = cJSON_AddObjectToObject(j, "precpu_stats");
	u = cJSON_AddObjectToObject(o, "cpu_usage");
	cJSON_AddNumberToObject(u, "total_usage", pre->total);
	if (pre->read[0]) {
		cJSON_AddNumberToObject(o, "system_cpu_usage", pre->sys);
		cJSON_AddNumberToObject(o, "online_cpus", cpus);
	}
	o = cJSON_AddObjectToObject(j, "memory_stats");
	cJSON_AddNumberToObject(o, "usage", (double)rss);
	cJSON_AddNumberToObject(o, "limit", lim > 0 ? lim : (double)si.totalram * si.mem_unit);
	cJSON_AddObjectToObject(o, "stats");
	cJSON_AddObjectToObject(j, "blkio_stats");
	*pre = (struct cpu_sample){ .total = total, .sys = (double)sys * 1e7 };
	snprintf(pre->read, sizeof pre->read, "%s", now);
	return j;
}

static void stats(struct req *r, struct ctr *ct)
{
	char sv[8];
	struct cpu_sample pre = { 0 };
	/* stream is dockerd's default: absent, or true */
	if (!query_get(r->query, "stream", 0, sv, sizeof sv) && !query_bool(r->query, "stream")) {
		http_json(r->c, 200, stats_json(ct, &pre));
		return;
	}
	http_stream_begin(r->c, 200, "application/json");
	http_stream_json(r->c, stats_json(ct, &pre));
	if (ct->status != RUNNING) {
		http_stream_end(r->c);
		return;
	}
	hold_add(r->c, ct, H_STATS, 0, 0);
	holds->pre = pre;
	holds->due = mono_ms() + 1000;
}

/* A stats stream's next sample, when due; the end once ct no longer runs. */
static void stats_tick(struct hold *h, long long now)
{
	if (h->ct->status != RUNNING) {
		http_stream_end(h->c);
		h->c->held = 0;
		h->c->closing = 1;
		containers_conn_gone(h->c);
	} else if (now >= h->due) {
		http_stream_json(h->c, stats_json(h->ct, &h->pre));
		h->due += 1000;
		if (h->due <= now)   /* a loop that was late: no burst */
			h->due = now + 1000;
	}
}

/* POST /containers/prune: every container not running (no filters). */
static void prune(struct req *r)
{
	static const char *const keys[] = { NULL };
	cJSON *f = filters_parse(r, keys);
	if (!f)
		return;
	cJSON_Delete(f);
	cJSON *j = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(j, "ContainersDeleted");
	long long freed = 0;
	for (struct ctr *ct = ctrs, *next; ct; ct = next) {
		next = ct->next;
		if (ct->status == RUNNING)
			continue;
		cJSON_AddItemToArray(a, cJSON_CreateString(ct->id));
		freed += size_rw(ct);
		ctr_remove(ct);
	}
	cJSON_AddNumberToObject(j, "SpaceReclaimed", (double)freed);
	http_json(r->c, 200, j);
}

void containers_route(struct req *r)
{
	char key[256], act[32] = "";
	int post = r->method == HTTP_POST, get = r->method == HTTP_GET;
	if (!strcmp(r->path, "/containers/create") && post) {
		create(r);
		return;
	}
	if (!strcmp(r->path, "/containers/json") && get) {
		list(r);
		return;
	}
	if (!strcmp(r->path, "/containers/prune") && post) {
		prune(r);
		return;
	}
	if (sscanf(r->path, "/containers/%255[^/]/%31s", key, act) < 1 || strchr(act, '/')) {
		http_error(r->c, 404, "page not found");
		return;
	}
	struct ctr *ct = ctr_or_404(r, key);
	if (!ct)
		return;
	if (!*act && r->method == HTTP_DELETE)
		delete_ep(r, ct);
	else if (!strcmp(act, "json") && get)
		inspect_ep(r, ct);
	else if (!strcmp(act, "start") && post)
		start(r, ct);
	else if (!strcmp(act, "stop") && post)
		stop(r, ct, 0);
	else if (!strcmp(act, "restart") && post)
		stop(r, ct, 1);
	else if (!strcmp(act, "kill") && post)
		kill_ep(r, ct);
	else if (!strcmp(act, "wait") && post)
		wait_ep(r, ct);
	else if (!strcmp(act, "attach") && post)
		attach(r, ct);
	else if (!strcmp(act, "resize") && post)
		resize(r, ct, "shim.sock");
	else if (!strcmp(act, "top") && get)
		top(r, ct);
	else if (!strcmp(act, "stats") && get)
		stats(r, ct);
	else if (!strcmp(act, "logs") && get)
		logs(r, ct);
	else if (!strcmp(act, "update") && post)
		update(r, ct);
	else if (!strcmp(act, "exec") && post)
		exec_create(r, ct);
	else if (!strcmp(act, "archive") && (get || r->method == HTTP_HEAD || r->method == HTTP_PUT))
		archive_ep(r, ct, key);
	else
		http_error(r->c, 404, "page not found");
}

/* ---- the loop's side */
void containers_open(void)
{
	char path[4300];
	snprintf(path, sizeof path, "%s/containers", eng.data_root);
	mkdir(path, 0700);
	DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (strlen(de->d_name) != 64 || !ref_is_hex(de->d_name))
			continue;
		struct ctr *ct = calloc(1, sizeof *ct);
		snprintf(ct->id, sizeof ct->id, "%s", de->d_name);
		ct->mon_fd = -1;
		char p[4400];
		ctr_dir(ct, "config.json", p, sizeof p);
		if (!(ct->rec = read_json(p))) {
			logmsg("container %s: no readable config.json; left alone", ct->id);
			free(ct);
			continue;
		}
		read_state(ct);
		if (ct->status == RUNNING) {
			char dir[4300];
			ctr_dir(ct, NULL, dir, sizeof dir);
			ct->mon_fd = shim_connect(dir, "shim.sock", 0);
			if (ct->mon_fd < 0 && proc_start_time(ct->pid) != ct->pid_start)
				ct->status = EXITED, ct->exit_code = ct->exit_code ? ct->exit_code : 255;
			logmsg("container %s: %s (pid %d)", ct->id, ct->mon_fd >= 0 ? "running, shim found again" :
			       ct->status == RUNNING ? "running, without its shim" : "gone", ct->pid);
		}
		ct->next = ctrs;
		ctrs = ct;
	}
	if (d)
		closedir(d);
}

void containers_conn_gone(struct conn *c)
{
	for (struct hold **hp = &holds; *hp;)
		if ((*hp)->c == c) {
			struct hold *h = *hp;
			*hp = h->next;
			free(h);
		} else
			hp = &(*hp)->next;
}

int containers_poll_fill(struct pollfd *p, int max)
{
	int n = 0;
	for (struct ctr *ct = ctrs; ct && n < max; ct = ct->next)
		p[n++] = (struct pollfd){ ct->mon_fd, POLLIN, 0 };
	for (struct execr *e = execs; e && n < max; e = e->next)
		p[n++] = (struct pollfd){ e->mon_fd, POLLIN, 0 };
	return n;
}

static int gone(int fd)
{
	char b[256];
	ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

void containers_poll_done(const struct pollfd *p, int n)
{
	/* The lists may change (autoremove): match by fd, one exit per pass. */
	for (int i = 0; i < n; i++) {
		if (!p[i].revents || p[i].fd < 0)
			continue;
		for (struct ctr *ct = ctrs; ct; ct = ct->next)
			if (ct->mon_fd == p[i].fd && gone(ct->mon_fd)) {
				ctr_exited(ct);
				break;
			}
		for (struct execr *e = execs; e; e = e->next)
			if (e->mon_fd == p[i].fd && gone(e->mon_fd)) {
				exec_done(e);
				break;
			}
	}
}

int containers_timeout_ms(void)
{
	int t = -1;
	long long now = mono_ms();
	for (struct hold *h = holds; h; h = h->next)
		if (h->kind == H_FOLLOW)
			t = t < 0 || t > 100 ? 100 : t;
		else if (h->kind == H_STATS) {
			int left = h->due > now ? (int)(h->due - now) : 0;
			t = t < 0 || t > left ? left : t;
		}
	for (struct ctr *ct = ctrs; ct; ct = ct->next)
		if (ct->kill_at || (ct->status == RUNNING && ct->mon_fd < 0))
			t = t < 0 || t > 100 ? 100 : t;
	return t;
}

void containers_tick(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)   /* the shims we started */
		;
	long long now = mono_ms();
	for (struct ctr *ct = ctrs; ct; ct = ct->next) {
		if (ct->kill_at && now >= ct->kill_at && ct->status == RUNNING) {
			ctr_signal(ct, SIGKILL);
			ct->kill_at = 0;
		}
		/* without its shim, the pid's start time says whether it still runs */
		if (ct->status == RUNNING && ct->mon_fd < 0 && proc_start_time(ct->pid) != ct->pid_start) {
			ctr_exited(ct);
			break;
		}
	}
	for (struct hold *h = holds, *next; h; h = next) {
		next = h->next;
		if (h->kind == H_FOLLOW) {
			int last = h->ct->status != RUNNING;
			follow_tick(h, last);
			if (last)
				containers_conn_gone(h->c);
		} else if (h->kind == H_STATS)
			stats_tick(h, now);
	}
}

cJSON *containers_df(void)
{
	cJSON *a = cJSON_CreateArray();
	for (struct ctr *ct = ctrs; ct; ct = ct->next) {
		cJSON *j = summary(ct);
		add_sizes(ct, j);
		cJSON_AddItemToArray(a, j);
	}
	return a;
}

void containers_count(int *running, int *paused, int *stopped)
{
	*running = *paused = *stopped = 0;
	for (struct ctr *ct = ctrs; ct; ct = ct->next)
		*(ct->status == RUNNING ? running : stopped) += 1;
}

int containers_use_image(const char *image_id)
{
	int n = 0;
	for (struct ctr *ct = ctrs; ct; ct = ct->next)
		n += !strcmp(jstr(ct->rec, "Image") + 7, image_id);
	return n;
}
