/* relay.c: a container process's stdio as a shim serves it (shim.c, vmwp.c).
 * A client of the socket sends one byte first: SHIM_STDIN | SHIM_STDOUT |
 * SHIM_STDERR, or SHIM_CONTROL (then lines: "resize H W" and what the
 * control hook takes), or 0: a monitor, which only sees EOF when the relay
 * closes.  Output goes to clients in Docker's multiplexed frames (8-byte
 * header: stream 1 or 2, 0, 0, 0, big-endian length) without a tty, raw with
 * one; to the log as json-file lines (1 MiB per file, one older NAME.1).  A
 * client's half-close of its stdin closes the process's stdin (close_in). */
#ifndef BULKHEAD_RELAY_H
#define BULKHEAD_RELAY_H
#include <poll.h>
#include <stddef.h>
#include <sys/types.h>

#define RELAY_CLIENTS 32

struct relay_client {
	int fd, flags, in_open;
};

struct relay {
	struct relay_client cl[RELAY_CLIENTS];
	int ncl, tty, lfd, log_fd;
	int paused;               /* stdin clients are not read (the process's side is full) */
	const char *sock, *log_name;
	off_t log_size;
	/* the shim's side */
	void (*input)(struct relay *r, const char *p, size_t n);    /* a client's stdin bytes */
	void (*close_in)(struct relay *r);                         /* a client closed its stdin */
	void (*resize)(struct relay *r, unsigned h, unsigned w);   /* rows, columns; tty only */
	void (*control)(struct relay *r, int fd, char *line);       /* other control lines (may be NULL) */
	void *ctx;
};

/* Listens on socket sock (in the current folder) and opens log (NULL or ""
 * for none); 0, or -1 with errno.  The caller fills the hooks and tty. */
int relay_open(struct relay *r, const char *sock, const char *log);
void relay_close(struct relay *r);              /* clients see EOF; the socket goes */
void relay_output(struct relay *r, int stream, const char *p, size_t n);  /* stream 1 or 2 */
void relay_accept(struct relay *r);             /* one waiting client */
void relay_accept_waiting(struct relay *r);     /* all waiting clients, without blocking */
int relay_take(struct relay *r, int fd);        /* client fd is the caller's now; fd */
/* poll() entries for the socket and the clients (1 + RELAY_CLIENTS at
 * most), and their handling after poll: n is what fill returned. */
int relay_poll_fill(const struct relay *r, struct pollfd *p);
void relay_poll_done(struct relay *r, const struct pollfd *p, int n);
/* The state file (read by containers.c and exec.c): {"Pid", "PidStart",
 * "ShimPid", "StartedAt", "Running", "ExitCode", "FinishedAt", "OOMKilled"
 * [, "Error"] [, "Partition": hyperv's partition id]}. */
void relay_state(const char *path, int pid, long long start, const char *started, int running, int code,
		 int oom, const char *error, int partition);
#endif
