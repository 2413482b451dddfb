/* bulkheadd, the engine daemon: declarations shared by its files, grouped by
 * the file that defines them.  A static musl program in the host partition
 * (and, for tests, on the Linux build machine): one thread, one poll() loop,
 * nonblocking sockets.  It serves the Docker Engine API over HTTP/1.1 on a
 * Unix socket and owns the image store under its data root. */
#ifndef BULKHEAD_ENGINE_H
#define BULKHEAD_ENGINE_H
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "cJSON.h"
#include "http_parser.h"

#define API_VERSION "1.44"      /* the highest version served */
#define API_MIN_VERSION "1.24"  /* the lowest, as dockerd */
#define ENGINE_VERSION "0.1.0"
#define JSON_BODY_MAX (1u << 20) /* bytes of a request body held in memory */
#define OUT_BACKLOG (1u << 20)   /* unsent bytes past which a client's requests wait */
#define RAW_BACKLOG (64u << 10)  /* a raw stream's input held before its relay is there */
#define CONN_TIMEOUT_S 30        /* a request not in whole, or an answer not taken, within this: closed */
#define LINGER_S 2               /* a closing connection's input is drained this long at most */

/* ---- main.c: options and daemon-wide state */
struct engine {
	const char *data_root;   /* --data-root */
	const char *isolation;   /* --isolation: process | hyperv */
	const char *boot_images; /* --boot-images: folder of images loaded at start */
	char self[4096];         /* this program, run again as bulkhead-shim */
	char vmwp[4096];         /* DATA/vmwp: a link to it, run as a hyperv container's worker */
	char **insecure;         /* --insecure-registry HOST[:PORT]: plain-HTTP registries pulled from */
	int ninsecure;
};
extern struct engine eng;
void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- http.c: connections, request parsing, responses */
struct buf {
	char *p;
	size_t len, cap;
};
int buf_put(struct buf *b, const void *p, size_t n);  /* 0 or -1 (out of memory) */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct conn {
	int fd;
	http_parser p;
	struct buf url, body, out;
	struct buf extra;        /* header lines for the next response (http_header) */
	char hname[32];          /* the header being read, lower case, truncated */
	int hname_done;
	int expect_continue;
	int load_fd;             /* POST /images/load: the body goes to this file */
	char load_path[256];
	int too_big;             /* the body passed JSON_BODY_MAX */
	int body_err;            /* errno of storing the body to load_fd */
	size_t out_off;
	int file_fd;             /* sent after out: a response body from a file */
	uint64_t file_left;
	int chunked;             /* a streamed response (Transfer-Encoding: chunked) */
	int closing;             /* close once out is sent */
	int stopped;             /* no more requests are parsed (streaming, closing, error) */
	int head;                /* HEAD request: headers only */
	struct evsub *sub;       /* GET /events subscription, or NULL */
	int upgrade;             /* the request asked for Upgrade: tcp */
	int raw;                 /* after attach/exec start: a raw byte stream */
	int relay_fd;            /* the shim's socket the raw stream is relayed to, or -1 */
	int in_eof;              /* the client half-closed its side */
	struct buf in;           /* raw input that came before relay_fd */
	int held;                /* a container endpoint answers later (wait, stop, ...) */
	struct pull *pull;       /* POST /images/create: the pull relayed from relay_fd, or NULL */
	struct helper *helper;   /* a child's answer comes on relay_fd (docker cp, docker load), or NULL */
	long long linger;        /* closing, all sent, write side shut: input dropped until EOF or then (s) */
	int go_fd;               /* exec start: the shim's go, said once the answer's head is out and
				  * go_at (monotonic ms) has come, or -1 */
	long long go_at;
	long long since;         /* monotonic seconds: this request's start, or the last progress out */
	struct conn *next;
};
struct conn *conn_new(int fd);
void conn_free(struct conn *c);
int conn_read(struct conn *c);          /* 0, or -1: close it */
int conn_write(struct conn *c);         /* 0, or -1: close it */
int conn_wants_read(const struct conn *c);
int conn_wants_write(const struct conn *c);
int conn_done(struct conn *c);          /* all sent and closing (after a lingering close) */
/* A slow client: a request begun (or an idle keep-alive) or an answer
 * unsent for CONN_TIMEOUT_S without progress; streams never expire. */
int conn_expired(const struct conn *c, long long now);
long long mono_s(void);                 /* CLOCK_MONOTONIC seconds */
long long mono_ms(void);                /* CLOCK_MONOTONIC milliseconds */
void conn_relay(struct conn *c, int fd);  /* the raw stream goes to and from fd (taken) */
int conn_relay_read(struct conn *c);    /* 0, or -1: close it */
/* Says go (go_word) on go once c's answer so far is written and ms have
 * passed: a client that reads the head of an upgraded answer through a
 * buffer and the stream past it (docker-py) finds nothing of the stream
 * taken, as with dockerd, whose process only starts after the head. */
void conn_go_later(struct conn *c, int go, int ms);
int conns_go(struct conn *list);        /* says the goes due; ms to the next, or -1 */

/* A helper: a child process doing one long job for a connection (docker
 * cp's archive.c, docker load's images.c) while the loop serves others.
 * The child runs run(h, arg), which leaves its answer in h->out; the child
 * sends it on a socket and exits (the loop reaps it), after unsent if the
 * daemon's end was closed.  The connection
 * collects it from relay_fd and, at EOF, calls done (which replies and
 * frees h); free frees h when the client leaves first.  Embed it first in
 * the job's own struct. */
struct helper {
	struct buf out;                    /* the answer: in the child, then as collected */
	pid_t pid;
	void (*done)(struct conn *c);      /* c->helper is h */
	void (*free)(struct helper *h);
	void (*unsent)(struct helper *h);  /* or NULL: in the child, when nobody took the answer */
};
/* Starts h's child; keep is an fd it keeps open (or -1).  0, or -1 with
 * errno and nothing started. */
int helper_start(struct conn *c, struct helper *h, int keep, void (*run)(struct helper *h, void *arg), void *arg);

/* Responses.  Status lines and Docker's headers (Api-Version, OSType, ...)
 * are added here; http_error sends Docker's {"message": "..."}. */
void http_header(struct conn *c, const char *name, const char *value); /* next response's */
void http_reply(struct conn *c, int status, const char *ctype, const char *body, size_t len);
void http_json(struct conn *c, int status, cJSON *j);  /* takes j */
void http_error(struct conn *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void http_stream_begin(struct conn *c, int status, const char *ctype);
void http_chunk(struct conn *c, const char *p, size_t n);
void http_stream_json(struct conn *c, cJSON *j);       /* one JSON line; takes j */
void http_stream_end(struct conn *c);
/* attach, exec start: 101 UPGRADED (Connection: Upgrade, Upgrade: tcp) when
 * the client asked for it, else 200 and the raw stream until close. */
void http_upgrade(struct conn *c, const char *ctype);
void http_send_file(struct conn *c, const char *ctype, int fd, uint64_t size); /* takes fd */

/* ---- api.c: routing, /_ping, /version, /info */
struct req {
	struct conn *c;
	int method;              /* HTTP_GET, ... */
	char path[1024];         /* decoded, without the /v1.xx prefix and query */
	const char *query;       /* raw query string ("" if none) */
	const char *body;
	size_t body_len;
	const char *load_path;   /* the body's file (api_body_to_file), or NULL */
};
/* 1 for POST /images/load and PUT /containers/{id}/archive: the body goes to a file */
int api_body_to_file(const char *method, const char *url);
void api_dispatch(struct req *r);
/* Decodes %XX escapes (and '+' as a space when plus) of s[0..n) into out;
 * -1 if malformed, holding a NUL, or longer than cap-1. */
int url_decode(const char *s, size_t n, int plus, char *out, size_t cap);
/* Query parameters, decoded: the n-th value of key (0 first); -1 if
 * absent, -2 if malformed or longer than cap-1. */
int query_get(const char *q, const char *key, int n, char *out, size_t cap);
/* The same; -2 has sent a 400 naming the parameter. */
int query_param(struct req *r, const char *key, int n, char *out, size_t cap);
int query_bool(const char *q, const char *key);   /* 1/true, 0 otherwise */
/* Docker's filters={"key":["v",...]} (or {"key":{"v":true}}): parses into an
 * object of arrays.  NULL with a 400 sent when malformed or a key is not in
 * allowed (NULL-terminated). */
cJSON *filters_parse(struct req *r, const char *const *allowed);
int filter_has(const cJSON *f, const char *key);
int filter_match(const cJSON *f, const char *key, const char *value); /* 1 if any value equals */

/* ---- images.c: the /images endpoints */
void images_route(struct req *r);
/* GET /system/df's Images, with how many containers use each and SharedSize
 * 0 (each image has its own unpacked tree; Size does not count the blobs);
 * the sum of their sizes (bytes) in *layers_size. */
cJSON *images_df(double *layers_size);

/* ---- pull.c: POST /images/create, the pull relayed from bulkhead-pull */
struct pull;
void pull_start(struct req *r);
void pull_relay_done(struct conn *c);    /* its relay_fd reached EOF: load, report, end */
void pull_conn_gone(struct conn *c);


/* ---- registry.c: bulkhead-pull, the Registry HTTP API v2 client (see there) */
int pull_main(int argc, char **argv);

/* ---- store.c: the image store under the data root */
struct image {
	char id[65];             /* hex sha256 of the config = the image ID */
	long long created;       /* unix seconds, from the config */
	long long size;          /* bytes of the layers' tar streams */
	int nlayers;
	char (*layers)[65];      /* hex digests of the stored layer blobs */
	struct image *next;
};
int store_open(char *err, size_t cap);           /* 0 or -1 */
struct image *store_images(void);                /* the list */
int store_count(void);
/* Tags: canonical references (docker.io/library/busybox:latest). */
int store_ntags(void);
const char *store_tag_name(int i);
struct image *store_tag_image(int i);
int store_image_ntags(const struct image *im);
/* Finds by reference, "sha256:"+ID or unique ID prefix.  0, 404 (none:
 * err says why, with "ambiguous" for a prefix of several), 400 (bad name). */
int store_find(const char *name, struct image **im, int *by_tag, char *err, size_t cap);
/* Loads an OCI-layout or docker-archive tarball.  Writes a line per image
 * ("Loaded image: NAME", "Loaded image ID: sha256:...") to out.  0 or -1
 * with err; on error the store is unchanged. */
int store_load(const char *path, struct buf *out, char *err, size_t cap);
/* The same, but 1 and no change when every image of the archive is in the
 * store already (boot images at each start). */
int store_load_new(const char *path, struct buf *out, char *err, size_t cap);
/* store_load in two halves, so that the long one runs in a child process
 * while the daemon serves others.  store_stage verifies and unpacks each
 * image of the archive the store lacks into its own DATA/tmp/load-XXXXXX
 * (tree, config, image.json and its blobs in blobs/), changing nothing in
 * the store; it returns the plan, {"images": [{"id", "stage" (absent: the
 * store has it), "names": [canonical]}]}, or NULL with err.
 * store_commit (the daemon) moves the staged images into the store (one
 * that another load brought meanwhile is dropped), tags them and writes
 * out's lines; every staged folder is gone after it.  0 or -1 with err. */
cJSON *store_stage(const char *path, char *err, size_t cap);
int store_commit(const cJSON *plan, struct buf *out, char *err, size_t cap);
void store_discard(const cJSON *plan);   /* removes a plan's staged folders (nobody will commit it) */
/* Points canonical ref at im (taking it from another image); 0 or -1. */
int store_tag(struct image *im, const char *ref, char *err, size_t cap);
int store_untag(const char *ref);    /* 0; -1 if absent or not recorded */
/* Drops its tags, then the image and the blobs no other image lists; 0 or
 * -1 (the tags may be gone already). */
int store_delete(struct image *im);
char *store_path(const struct image *im, const char *file); /* malloc'd; NULL */
/* Layer l of im as a plain tar: its blob, or (a gzip blob) an uncompressed
 * copy made from it once, images/<id>/layer<l>.tar.  malloc'd path, or
 * NULL with err. */
char *store_layer_tar(const struct image *im, int l, char *err, size_t cap);
/* Writes a docker-archive of the images (tags[i] the tag to record, or
 * NULL) to fd.  0 or -1 with err. */
int store_export(int fd, struct image **ims, const char **tags, int n, char *err, size_t cap);

/* ---- ref.c: Docker's image references */
/* Normalizes NAME[:TAG] into docker.io/library/NAME:TAG form, and
 * NAME[:TAG]@sha256:HEX into docker.io/library/NAME@sha256:HEX (a digest
 * reference: the store keeps them beside the tags, as RepoDigests).  0, or
 * -1 with err ("invalid reference format..."). */
int ref_normalize(const char *in, char *out, size_t cap, char *err, size_t ecap);
int ref_digest_ok(const char *d);                /* sha256: and 64 lowercase hex digits */
void ref_familiar(const char *canon, char *out, size_t cap);  /* busybox:latest */
int ref_tag_ok(const char *tag);
int ref_is_hex(const char *s);                   /* lowercase hex, 1..64 digits */

/* ---- events.c: GET /events */
struct evsub;
void events_emit(const char *type, const char *action, const char *id,
		 const char *name);               /* name: the image's name or NULL */
void events_subscribe(struct req *r);
void events_unsubscribe(struct conn *c);
int events_timeout_ms(void);                      /* poll timeout for `until` */
void events_tick(void);

/* ---- containers.c (with logs.c and exec.c, ctr.h): the /containers and
 * /exec endpoints, the runtime's daemon side */
void containers_open(void);                       /* reads DATA/containers/ */
void containers_route(struct req *r);
void exec_route(struct req *r);                   /* exec.c */
void networks_route(struct req *r);               /* network.c: /networks... */
void containers_conn_gone(struct conn *c);
/* The DNS responder for user-defined networks (docs/design.md): its UDP
 * socket (opened at the first call, where the kernel has a switch), or -1;
 * net_dns_answer: one query read and answered. */
int net_dns_fd(void);
void net_dns_answer(void);
/* The same over TCP: its listener and connections into p (how many; more
 * than one while a connection is open), then what poll said of them. */
int net_dns_tcp_fill(struct pollfd *p, int max);
void net_dns_tcp_done(const struct pollfd *p, int n);
/* shim.c: spec's "resolv", else the host's /etc/resolv.conf, into out. */
void spec_resolv(const cJSON *spec, char *out, size_t cap);
int containers_poll_fill(struct pollfd *p, int max);  /* monitor fds; how many */
void containers_poll_done(const struct pollfd *p, int n);
int containers_timeout_ms(void);
void containers_tick(void);
void containers_count(int *running, int *paused, int *stopped);
int containers_use_image(const char *image_id);   /* containers of it */
/* GET /system/df's Containers: the list's entries with SizeRw (the bytes
 * of the container's own files: containers.c) and SizeRootFs (the image's
 * size and SizeRw). */
cJSON *containers_df(void);

/* ---- shim.c: bulkhead-shim (see there) and helpers */
#define SHIM_STDIN 1
#define SHIM_STDOUT 2
#define SHIM_STDERR 4
#define SHIM_CONTROL 0x80
int shim_main(int argc, char **argv);
void now_rfc3339(char *out, size_t cap);
long long proc_start_time(int pid);           /* /proc/PID/stat field 22; -1: none or a zombie */
int write_file_atomic(const char *path, const char *data);  /* 0 or -1 */

/* ---- vmwp.c: the worker of a hyperv container (see there) */
int vmwp_main(int argc, char **argv);

/* ---- tarw.c: writing ustar archives */
int tarw_file(int fd, const char *name, const void *p, uint64_t n);  /* 0 or -1 */
int tarw_copy(int fd, const char *name, int src);                     /* whole file */
int tarw_dir(int fd, const char *name);
/* A member as lstat(2) gave st: a regular file's data read from src, a
 * symlink's target link; type, mode, owner, mtime and device numbers kept;
 * sockets left out.  0 or -1. */
int tarw_stat(int fd, const char *name, const struct stat *st, const char *link, int src);
int tarw_end(int fd);
#endif
