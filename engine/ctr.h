/* bulkheadd's containers, private to containers.c (records, lifecycle,
 * inspect, list, top, the loop's side), logs.c (logs, follow) and exec.c
 * (the /exec endpoints): the records and what these files share. */
#ifndef BULKHEAD_CTR_H
#define BULKHEAD_CTR_H
#include <sys/types.h>
#include "engine.h"

enum { CREATED, RUNNING, EXITED };

struct ctr {
	char id[65];
	cJSON *rec;               /* config.json */
	int status, pid, exit_code, oom, mon_fd;
	int partition;            /* hyperv: its utility partition's id (pid: its worker's), else 0 */
	long long pid_start;
	char started[40], finished[40], error[512];
	long long kill_at;        /* ms (monotonic) to send SIGKILL, 0: none */
	int restart, remove;      /* start again / remove once exited */
	struct ctr *next;
};

struct execr {
	char id[65];
	struct ctr *ct;
	cJSON *cfg;
	int running, pid, exit_code, mon_fd, started;
	struct execr *next;
};

/* A CPU sample of stats: the container's and the machine's CPU time (ns),
 * when it was read (read[0] 0: none yet). */
struct cpu_sample {
	double total, sys;
	char read[40];
};

/* A connection that waits on a container: wait, stop, restart, delete,
 * attach before start, logs follow, stats stream. */
enum { H_WAIT, H_STOP, H_RESTART, H_DELETE, H_ATTACH, H_FOLLOW, H_STATS };
struct hold {
	struct conn *c;
	struct ctr *ct;
	int kind, cond, flags;    /* H_WAIT: 0 not-running, 1 next-exit, 2 removed */
	off_t off;                /* H_FOLLOW: the log file and where we are */
	ino_t ino;
	int timestamps, tty;
	struct cpu_sample pre;    /* H_STATS: the last sample sent, */
	long long due;            /* and when the next one is (monotonic ms) */
	struct hold *next;
};

extern const char *const status_names[];   /* by status */
extern struct ctr *ctrs;
extern struct execr *execs;
extern struct hold *holds;

/* ---- containers.c */
int save_rec(struct ctr *ct);                      /* its config.json: 0 or -1 */
struct ctr *ctr_or_404(struct req *r, const char *key);  /* NULL: answered 404 */
/* DATA/containers/<id>[/file] into out. */
void ctr_dir(const struct ctr *ct, const char *file, char *out, size_t cap);
const char *jstr(const cJSON *o, const char *k);   /* "" if absent */
cJSON *cfg_of(const struct ctr *ct);               /* the record's Config */
cJSON *hc_of(const struct ctr *ct);                /* its HostConfig */
const char *name_of(const struct ctr *ct);         /* without the '/' */
cJSON *read_json(const char *path);                /* NULL: unreadable */
/* A connection to shim socket NAME in DIR that said what it wants
 * (SHIM_*); the fd or -1. */
int shim_connect(const char *dir, const char *name, int flags);
void random_id(char *out);                         /* 64 hex digits and a NUL */
cJSON *strslice(const cJSON *v, int *bad);         /* Cmd/Entrypoint: array, string or NULL */
cJSON *merge_env(const cJSON *img, const cJSON *req);
/* Writes spec to the container's file specname; 0, or -1 with "err 1 ..." in msg. */
int spec_write(struct ctr *ct, const cJSON *spec, const char *specname, char *msg, size_t cap);
/* Runs bulkhead-shim (or for a "hyperv" spec the worker, vmwp.c) on SPEC (written to the container's folder): 0 with
 * "ok PID" in msg and the go pipe in *go, or -1 with "err STATUS MESSAGE". */
int spawn_shim(struct ctr *ct, cJSON *spec, const char *specname, char *msg, size_t cap, int *go);
void go_word(int go);                              /* lets the shim's process run */
void hold_add(struct conn *c, struct ctr *ct, int kind, int cond, int flags);
void resize(struct req *r, struct ctr *ct, const char *sock);   /* ?h=&w= */
/* A row of docker top (UID PID PPID C STIME TTY TIME CMD) added to rows. */
void top_row(cJSON *rows, int pid, int ppid, const char *cmd);
int ctr_hyperv(const struct ctr *ct);
char *lower_of(struct ctr *ct);         /* the image's tree (malloc'd), or NULL: the image is gone */   /* its next start makes a utility partition */
/* Sends sig to the container's process: kill(2), or for hyperv through its
 * worker (vmwp.c) to its PID 1 in the partition. */
void ctr_signal(struct ctr *ct, int sig);

/* ---- hyperv.c: the daemon's side of hyperv containers (their workers:
 * vmwp.c) */
/* Fills spec's "hyperv" part for starting ct from image im, its NIC from net
 * (net_sandbox_word's " net=ADDR/PREFIX,GATEWAY", or "": none); 0, or -1 with
 * the reason in err (no /dev/bulkhead here, -m too big): a 400. */
int hv_spec(struct ctr *ct, struct image *im, const char *net, cJSON *spec, char *err, size_t cap);
/* Rows of docker top (UID PID PPID C STIME TTY TIME CMD) from the worker's
 * PS; 0, or -1 with err. */
int hv_top(struct ctr *ct, cJSON *rows, char *err, size_t cap);
struct bh_guest_stats;
int hv_stats(struct ctr *ct, struct bh_guest_stats *st);
/* Writes spec to specname and asks the worker to run it as an exec: 0 with
 * "ok PID" in msg and the go connection in *go, or -1 with "err STATUS
 * MESSAGE", as spawn_shim. */
int hv_exec(struct ctr *ct, const cJSON *spec, const char *specname, char *msg, size_t cap, int *go);

/* ---- archive.c: GET, HEAD and PUT /containers/{id}/archive (docker cp);
 * key: the container as the request named it */
void archive_ep(struct req *r, struct ctr *ct, const char *key);

/* ---- logs.c */
void logs(struct req *r, struct ctr *ct);
/* The log so far (the older file first) to c, tail lines of it (-1: all),
 * the streams in want; end and ino (may be NULL): where a follower goes on. */
void replay(struct conn *c, struct ctr *ct, long tail, int want, int ts, int chunked, off_t *end, ino_t *ino);
void follow_tick(struct hold *h, int last);        /* new lines; last: and the end */

/* ---- exec.c */
void exec_create(struct req *r, struct ctr *ct);
void exec_done(struct execr *e);                   /* its shim has exited */
/* network.c: networks on the kernel's virtual switch */
/* The sandbox line's " net=ADDR/PREFIX,GATEWAY" for ct's NetworkMode (or "" for
 * host), its address kept in the record's NetworkSettings: 0, or an HTTP
 * status with the message in err. */
int net_sandbox_word(struct ctr *ct, char *word, size_t cap, char *err, size_t ecap);
/* create: HostConfig's NetworkMode and PortBindings kept in the record's
 * HostConfig, and NetworkingConfig.EndpointsConfig[that network].Aliases
 * as the record's Aliases. */
void net_config(const cJSON *hc, const cJSON *ncfg, cJSON *rec);
void net_publish(struct ctr *ct);                 /* its PortBindings, once it runs */
const char *net_mode(const struct ctr *ct);       /* HostConfig.NetworkMode as inspect shows it */
void net_inspect(const struct ctr *ct, cJSON *hc, cJSON *ns); /* NetworkMode, NetworkSettings */
cJSON *net_ports(const struct ctr *ct);           /* the list's Ports: its published ports while it runs */
/* The /etc/resolv.conf ct gets (its network's gateway as name server on a
 * user-defined network), or "": the host's. */
void net_resolv(const struct ctr *ct, char *out, size_t cap);

#endif
