/* bulkheadd's side of hyperv containers.  Such a container runs in its own
 * utility partition, owned by its worker (vmwp.c), which the daemon starts
 * as it starts a process container's shim and which serves the same socket
 * (shim.sock: stdio, monitor, "resize H W") plus the control lines
 *     signal N      N to the container's PID 1 in the partition
 *     exec SPEC     runs the exec in spec file SPEC; one line back, "ok PID"
 *                   or "err STATUS MESSAGE"; then "g" (or EOF) lets its
 *                   output go to the exec's own socket
 * Its state.json names the worker as Pid (so that a restarted daemon finds
 * it again by its start time) and the partition as Partition; top asks the
 * partition for its tasks through /dev/bulkhead (BH_IOC_PS). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <bulkhead/ctl.h>
#include "ctr.h"

#define HV_MEMORY_MAX (1ull << 30)           /* -m at most */
#define PS_MAX 256                           /* tasks top shows */
#define WORKER_REPLY_MS 10000                /* the worker answers within */

int hv_spec(struct ctr *ct, struct image *im, const char *net, cJSON *spec, char *err, size_t cap)
{
	/* Without -m: BH_UVM_DEFAULT_MEMORY, and for an image over 6 MiB a
	 * sixteenth of its size for the inodes of its tree (the utility serves
	 * file data from the granted layers in place: Debian's minbase, 126 MB
	 * in 6,103 entries, runs in 6 MiB). */
	double m = cJSON_GetNumberValue(cJSON_GetObjectItem(hc_of(ct), "Memory"));
	unsigned long long tree = (unsigned long long)im->size;
	unsigned long long mem = m > 0 ? (unsigned long long)m
	                               : BH_UVM_DEFAULT_MEMORY + (tree > BH_UVM_DEFAULT_MEMORY / 2 ? tree / 16 : 0);
	if (access(BH_DEV, W_OK)) {
		snprintf(err, cap, "hyperv isolation is not available on this host (%s: %s)", BH_DEV, strerror(errno));
		return -1;
	}
	if (mem > HV_MEMORY_MAX) {
		snprintf(err, cap, "a hyperv container's memory is at most %llu MiB", HV_MEMORY_MAX >> 20);
		return -1;
	}
	mem = (mem + BH_UVM_RESERVE + 4095) & ~4095ull;
	cJSON *h = cJSON_AddObjectToObject(spec, "hyperv"), *layers = cJSON_AddArrayToObject(h, "layers");
	char name[13];   /* the short id, as docker ps shows it: bulkhead list's NAME */
	snprintf(name, sizeof name, "%.12s", ct->id);
	cJSON_AddStringToObject(h, "name", name);
	cJSON_AddNumberToObject(h, "memory", (double)mem);
	cJSON_AddStringToObject(h, "hostname", jstr(cfg_of(ct), "Hostname"));
	cJSON_AddStringToObject(h, "net", net); /* " net=ADDR/PREFIX" or "": the partition's command line */
	/* Plain tars: a gzip blob's uncompressed copy, made from the blob the
	 * store verified, or the blob itself, stored under the digest it was
	 * verified against when it was loaded.  The host vouches for both: the
	 * utility only copies (a SHA-256 in the utility would dominate the
	 * start; a host that lied could write the partition's memory anyway). */
	for (int l = 0; l < im->nlayers; l++) {
		char *path = store_layer_tar(im, l, err, cap);
		if (!path)
			return -1;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "path", path);
		cJSON_AddStringToObject(o, "digest", im->layers[l]);
		cJSON_AddBoolToObject(o, "verify", 0);
		cJSON_AddItemToArray(layers, o);
		free(path);
	}
	return 0;
}

/* Sends line on a control connection to the worker and reads one line
 * back into reply; the connection (kept for the caller when keep) or -1
 * with the reason in reply. */
static int worker_ask(struct ctr *ct, const char *line, char *reply, size_t cap, int keep)
{
	char dir[4300];
	ctr_dir(ct, NULL, dir, sizeof dir);
	int fd = shim_connect(dir, "shim.sock", SHIM_CONTROL);
	size_t n = 0;
	if (fd < 0 || send(fd, line, strlen(line), MSG_NOSIGNAL) != (ssize_t)strlen(line)) {
		snprintf(reply, cap, "the container's worker is gone");
		goto fail;
	}
	while (n + 1 < cap && !memchr(reply, '\n', n)) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t k = poll(&p, 1, WORKER_REPLY_MS) == 1 ? recv(fd, reply + n, cap - 1 - n, 0) : -2;
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			snprintf(reply, cap, k == -2 ? "the container's worker did not answer" : "the container's worker is gone");
			goto fail;
		}
		n += (size_t)k;
		reply[n] = 0;
	}
	reply[n] = 0;
	reply[strcspn(reply, "\n")] = 0;
	if (!keep)
		close(fd);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The partition's word for its tasks: only shown, and only as printable text. */
int hv_top(struct ctr *ct, cJSON *rows, char *err, size_t cap)
{
	static struct bh_guest_task t[PS_MAX];
	struct bh_ctl req = { .id = (u32)ct->partition, .buf = (u64)(uintptr_t)t, .len = PS_MAX };
	int fd = open(BH_DEV, O_RDWR | O_CLOEXEC);
	long n = fd < 0 ? -1 : syscall(SYS_ioctl, fd, BH_IOC_PS, &req);
	if (n < 0)
		snprintf(err, cap, "the container's partition does not answer: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	for (long i = 0; i < n && i < PS_MAX; i++) {
		if (t[i].pid <= 0)
			continue;   /* its kernel's idle task */
		char cmd[sizeof t[i].comm + 1];
		size_t k = 0;
		for (; k < sizeof t[i].comm && t[i].comm[k]; k++)
			cmd[k] = t[i].comm[k] > ' ' && t[i].comm[k] < 0x7f ? t[i].comm[k] : '?';
		cmd[k] = 0;
		top_row(rows, t[i].pid, t[i].ppid, cmd);
	}
	return n < 0 ? -1 : 0;
}

/* What the partition says of itself (channel.h): 0, or -1 (errno). */
int hv_stats(struct ctr *ct, struct bh_guest_stats *st)
{
	struct bh_ctl req = { .id = (u32)ct->partition, .buf = (u64)(uintptr_t)st, .len = 1 };
	int fd = open(BH_DEV, O_RDWR | O_CLOEXEC);
	long r = fd < 0 ? -1 : syscall(SYS_ioctl, fd, BH_IOC_STATS, &req);
	int e = errno;
	if (fd >= 0)
		close(fd);
	errno = e;
	return r < 0 ? -1 : 0;
}

int hv_exec(struct ctr *ct, const cJSON *spec, const char *specname, char *msg, size_t cap, int *go)
{
	char line[300];
	if (spec_write(ct, spec, specname, msg, cap))
		return -1;
	snprintf(line, sizeof line, "exec %s\n", specname);
	int fd = worker_ask(ct, line, msg, cap, 1);
	if (fd < 0) {
		char why[300];
		snprintf(why, sizeof why, "%s", msg);
		snprintf(msg, cap, "err 1 %s", why);
		return -1;
	}
	if (strncmp(msg, "ok ", 3)) {
		close(fd);
		if (strncmp(msg, "err ", 4))
			snprintf(msg, cap, "err 1 the container's worker sent a bad answer");
		return -1;
	}
	*go = fd;
	return 0;
}
