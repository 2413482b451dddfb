/* bulkheadd's exec instances (POST /containers/{id}/exec, /exec/{id}/start,
 * json, resize): each runs under its own bulkhead-shim, which joins the
 * container's sandbox (join=PID) and relays its stdio like a container's;
 * the daemon's monitor connection sees its end, the shim's state file its
 * exit code. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ctr.h"

/* An exec's output starts this long after the head of its stream is
 * written (conn_go_later), as dockerd's process starts after the head. */
#define EXEC_GO_MS 50

static struct execr *find_exec(const char *id)
{
	for (struct execr *e = execs; e; e = e->next)
		if (!strcmp(e->id, id))
			return e;
	return NULL;
}

void exec_create(struct req *r, struct ctr *ct)
{
	int bad = 0;
	cJSON *b = cJSON_ParseWithLength(r->body, r->body_len);
	if (!b || !cJSON_IsObject(b)) {
		http_error(r->c, 400, "invalid JSON: the request body is not a JSON object");
		cJSON_Delete(b);
		return;
	}
	cJSON *cmd = strslice(cJSON_GetObjectItem(b, "Cmd"), &bad);
	if (bad || !cJSON_GetArraySize(cmd)) {
		http_error(r->c, 400, "No exec command specified");
		cJSON_Delete(cmd), cJSON_Delete(b);
		return;
	}
	cJSON_Delete(cmd);
	if (ct->status != RUNNING) {
		http_error(r->c, 409, "container %s is not running", ct->id);
		cJSON_Delete(b);
		return;
	}
	struct execr *e = calloc(1, sizeof *e);
	random_id(e->id);
	e->ct = ct;
	e->cfg = b;
	e->mon_fd = -1;
	e->next = execs;
	execs = e;
	events_emit("container", "exec_create", ct->id, name_of(ct));
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "Id", e->id);
	http_json(r->c, 201, j);
}

static void exec_start(struct req *r, struct execr *e)
{
	struct ctr *ct = e->ct;
	cJSON *b = r->body_len ? cJSON_ParseWithLength(r->body, r->body_len) : cJSON_CreateObject();
	if (!b || !cJSON_IsObject(b)) {
		http_error(r->c, 400, "invalid JSON: the request body is not a JSON object");
		cJSON_Delete(b);
		return;
	}
	int detach = cJSON_IsTrue(cJSON_GetObjectItem(b, "Detach"));
	int tty = cJSON_IsTrue(cJSON_GetObjectItem(b, "Tty")) || cJSON_IsTrue(cJSON_GetObjectItem(e->cfg, "Tty"));
	cJSON_Delete(b);
	if (e->started) {
		http_error(r->c, 409, "exec %s has already been started", e->id);
		return;
	}
	if (ct->status != RUNNING) {
		http_error(r->c, 409, "container %s is not running", ct->id);
		return;
	}
	char line[64], spec_name[32], sock[32], state[32], msg[700];
	snprintf(line, sizeof line, "join=%d", ct->pid);
	snprintf(spec_name, sizeof spec_name, "exec-%.12s.json", e->id);
	snprintf(sock, sizeof sock, "exec-%.12s.sock", e->id);
	snprintf(state, sizeof state, "exec-%.12s.state", e->id);
	cJSON *c = cfg_of(ct), *spec = cJSON_CreateObject();
	int bad = 0;
	cJSON_AddStringToObject(spec, "sandbox", line);
	cJSON_AddItemToObject(spec, "argv", strslice(cJSON_GetObjectItem(e->cfg, "Cmd"), &bad));
	cJSON *env = merge_env(cJSON_GetObjectItem(c, "Env"), cJSON_GetObjectItem(e->cfg, "Env"));
	char hn[300];
	snprintf(hn, sizeof hn, "HOSTNAME=%s", jstr(c, "Hostname"));
	cJSON_AddItemToArray(env, cJSON_CreateString(hn));
	cJSON_AddItemToObject(spec, "env", env);
	const char *wd = jstr(e->cfg, "WorkingDir");
	cJSON_AddStringToObject(spec, "cwd", *wd ? wd : jstr(c, "WorkingDir"));
	cJSON_AddStringToObject(spec, "user", *jstr(e->cfg, "User") ? jstr(e->cfg, "User") : jstr(c, "User"));
	cJSON_AddBoolToObject(spec, "tty", tty);
	cJSON_AddBoolToObject(spec, "stdin", cJSON_IsTrue(cJSON_GetObjectItem(e->cfg, "AttachStdin")) && !detach);
	cJSON_AddStringToObject(spec, "sock", sock);
	cJSON_AddStringToObject(spec, "state", state);
	cJSON_AddStringToObject(spec, "log", "");
	int go, rc = ct->partition ? hv_exec(ct, spec, spec_name, msg, sizeof msg, &go)
				   : spawn_shim(ct, spec, spec_name, msg, sizeof msg, &go);
	cJSON_Delete(spec);
	e->started = 1;
	if (rc) {
		const char *m = strchr(msg + 4, ' ');
		e->exit_code = atoi(msg + 4);
		http_error(r->c, e->exit_code == 127 || e->exit_code == 126 ? 400 : 500,
			   "unable to start the exec's process: %s", m ? m + 1 : msg);
		return;
	}
	char dir[4300];
	ctr_dir(ct, NULL, dir, sizeof dir);
	e->pid = atoi(msg + 3);
	e->running = 1;
	e->mon_fd = shim_connect(dir, sock, 0);
	events_emit("container", "exec_start", ct->id, name_of(ct));
	if (detach) {
		go_word(go);
		http_reply(r->c, 200, NULL, "", 0);
		return;
	}
	int flags = (cJSON_IsTrue(cJSON_GetObjectItem(e->cfg, "AttachStdin")) ? SHIM_STDIN : 0) |
		    (cJSON_IsFalse(cJSON_GetObjectItem(e->cfg, "AttachStdout")) ? 0 : SHIM_STDOUT) |
		    (cJSON_IsFalse(cJSON_GetObjectItem(e->cfg, "AttachStderr")) ? 0 : SHIM_STDERR);
	int fd = shim_connect(dir, sock, flags);
	http_upgrade(r->c, tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream");
	if (fd >= 0)
		conn_relay(r->c, fd);
	else
		r->c->closing = 1;
	conn_go_later(r->c, go, EXEC_GO_MS);
}

void exec_done(struct execr *e)
{
	char p[4400], st[32];
	snprintf(st, sizeof st, "exec-%.12s.state", e->id);
	ctr_dir(e->ct, st, p, sizeof p);
	cJSON *s = read_json(p);
	e->exit_code = s ? (int)cJSON_GetNumberValue(cJSON_GetObjectItem(s, "ExitCode")) : 255;
	cJSON_Delete(s);
	unlink(p);
	snprintf(st, sizeof st, "exec-%.12s.json", e->id);
	ctr_dir(e->ct, st, p, sizeof p);
	unlink(p);
	close(e->mon_fd);
	e->mon_fd = -1;
	e->running = 0;
	events_emit("container", "exec_die", e->ct->id, name_of(e->ct));
}

static void exec_inspect(struct req *r, struct execr *e)
{
	cJSON *j = cJSON_CreateObject();
	int bad = 0;
	cJSON_AddStringToObject(j, "ID", e->id);
	cJSON_AddBoolToObject(j, "Running", e->running);
	if (e->started && !e->running)
		cJSON_AddNumberToObject(j, "ExitCode", e->exit_code);
	else
		cJSON_AddNullToObject(j, "ExitCode");
	cJSON *pc = cJSON_AddObjectToObject(j, "ProcessConfig"), *argv = strslice(cJSON_GetObjectItem(e->cfg, "Cmd"), &bad);
	cJSON_AddBoolToObject(pc, "tty", cJSON_IsTrue(cJSON_GetObjectItem(e->cfg, "Tty")));
	cJSON_AddStringToObject(pc, "entrypoint", argv ? cJSON_GetArrayItem(argv, 0)->valuestring : "");
	cJSON_DeleteItemFromArray(argv, 0);
	cJSON_AddItemToObject(pc, "arguments", argv ? argv : cJSON_CreateArray());
	cJSON_AddStringToObject(pc, "user", jstr(e->cfg, "User"));
	cJSON_AddBoolToObject(j, "OpenStdin", cJSON_IsTrue(cJSON_GetObjectItem(e->cfg, "AttachStdin")));
	cJSON_AddBoolToObject(j, "OpenStdout", !cJSON_IsFalse(cJSON_GetObjectItem(e->cfg, "AttachStdout")));
	cJSON_AddBoolToObject(j, "OpenStderr", !cJSON_IsFalse(cJSON_GetObjectItem(e->cfg, "AttachStderr")));
	cJSON_AddStringToObject(j, "ContainerID", e->ct->id);
	cJSON_AddNumberToObject(j, "Pid", e->pid);
	http_json(r->c, 200, j);
}

void exec_route(struct req *r)
{
	char id[80], act[32] = "";
	int n = 0;
	if (sscanf(r->path, "/exec/%79[^/]%n/%31s", id, &n, act) < 1) {
		http_error(r->c, 404, "page not found");
		return;
	}
	struct execr *e = find_exec(id);
	if (!e) {
		http_error(r->c, 404, "No such exec instance: %s", id);
		return;
	}
	if (!strcmp(act, "start") && r->method == HTTP_POST)
		exec_start(r, e);
	else if (!strcmp(act, "json") && r->method == HTTP_GET)
		exec_inspect(r, e);
	else if (!strcmp(act, "resize") && r->method == HTTP_POST) {
		char sock[32];
		snprintf(sock, sizeof sock, "exec-%.12s.sock", e->id);
		if (!e->running)
			http_error(r->c, 409, "exec %s is not running", e->id);
		else
			resize(r, e->ct, sock);
	} else
		http_error(r->c, 404, "page not found");
}
