/* The bulkhead tool (guest/user/): declarations shared by its files, grouped
 * by the file that defines them.  A static musl program in the host root
 * image; the container verbs are clients of bulkheadd's Docker Engine API
 * (HTTP/1.1 parsed by http-parser, JSON by cJSON, both from Debian's source
 * packages, built by engine/engine.mk). */
#ifndef BULKHEAD_USER_H
#define BULKHEAD_USER_H
#include <stddef.h>
#include "cJSON.h"

/* ---- bulkhead.c: the command table, messages */
/* Prints "bulkhead: MESSAGE" (when fmt) and the usage text to stderr; returns 2. */
int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "bulkhead: WHAT: MSG" to stderr; returns 1. */
int fail(const char *what, const char *msg);
/* A decimal number: digits only, no sign, no overflow, at most max; 0 or -1. */
int parse_u64(const char *s, unsigned long long max, unsigned long long *out);
/* Writes all n bytes to fd, retrying on EINTR; gives up silently when fd
 * fails (the output is gone; the caller's work goes on). */
void write_all(int fd, const char *p, size_t n);

/* ---- api.c: the Engine API client, over the Unix socket named by
 * DOCKER_HOST (unix:///PATH), /var/run/docker.sock by default.  Paths are
 * given without the version prefix; every request goes to /v1.44.  WHAT
 * names the command in messages ("container start c1"). */
#define API_PATH_MAX 1024  /* bytes of a request path with its query */
#define API_NAME_MAX 512   /* bytes of a name or id in a path, escaped */
struct api_resp {
	int status;        /* HTTP status */
	char *body;        /* the body, NUL-terminated (malloc'd; NULL when empty) */
	size_t len;
	cJSON *json;       /* the body parsed, or NULL (empty or not JSON) */
};
/* One request with an optional JSON body: 0 and *r when the daemon
 * answered (whatever the status), -1 when it did not (message printed). */
int api_request(const char *what, const char *method, const char *path, const cJSON *body,
		struct api_resp *r);
void api_resp_free(struct api_resp *r);
/* The same, handing each line of a 200 reply's body (a JSON message
 * stream) to line, NUL-terminated, as it arrives. */
int api_stream(const char *what, const char *method, const char *path, const cJSON *body,
	       void (*line)(void *arg, char *line), void *arg, struct api_resp *r);
/* The same; a status other than 2xx or 304 prints the daemon's message
 * ({"message": ...}) as "bulkhead: WHAT: MESSAGE".  0, with *out the reply's
 * JSON (the caller's to free; NULL when empty or out is NULL), or 1. */
int api_call(const char *what, const char *method, const char *path, const cJSON *body, cJSON **out);
/* POST path with "Connection: Upgrade", "Upgrade: tcp" (attach, exec
 * start): on 101, the socket, now a raw stream, whose first *nrest bytes
 * already read are in rest[] (at most API_REST_MAX); -1 with the message
 * printed otherwise. */
#define API_REST_MAX 16384
int api_upgrade(const char *what, const char *path, const cJSON *body, char *rest, size_t *nrest);
/* Writes s into out (cap bytes) with every byte outside [A-Za-z0-9._~-]
 * (and ':' '@', and '/' when keep_slash) as %XX; -1 if it does not fit. */
int url_escape(char *out, size_t cap, const char *s, int keep_slash);

/* ---- container.c: bulkhead container new|start|stop|rm|list|set */
int cmd_container(int argc, char **argv);

/* ---- image.c: bulkhead image pull NAME[:TAG] */
int cmd_image(int argc, char **argv);

/* ---- enter.c: bulkhead enter NAME [-- CMD [ARG...]] (exec -it) */
int cmd_enter(int argc, char **argv);
/* uvm.c: bulkhead uvm, a container in a utility partition without the engine */
int cmd_uvm(int argc, char **argv);

#endif
