/* bulkheadd's docker cp: the archive endpoints of a process container.
 *   HEAD /containers/{id}/archive?path=P  X-Docker-Container-Path-Stat: P's
 *        lstat as base64 JSON {name,size,mode (Go's os.FileMode),mtime,linkTarget}
 *   GET  the same header and a tar of P (a folder with all below it, not
 *        crossing into other filesystems: a running container's /proc and
 *        /dev), its members named from P's last name, as dockerd names them
 *   PUT  ?path=DIR[&noOverwriteDirNonDir=1]: the body (a tar) unpacked in DIR
 * Paths are the container's: a child of the daemon enters the container's
 * root and does the work there.  Under Bulkhead's kernel the child writes
 * "lower=IMAGE upper=UPPER" to /dev/sandbox, which makes the upper folder
 * the merged tree (as the container's start does; for a container that ran
 * already the line changes nothing) and the child's root; without
 * /dev/sandbox (the Linux build machine, where containers do not run) it
 * chroots into the upper folder, which holds only what was put there.  The
 * tar is unpacked by the image loader's layer code (loader/apply.c: no
 * "..", no write through a symlink leading out of the root, hard links
 * only to files inside it) over its directory back-end, each member's path
 * and hard link target put under DIR; whiteout names (.wh.*) are refused.
 * A gzip'd tar is taken too (loader/gzip.c).  Owners: as dockerd, the
 * archive's uid and gid are kept, unless copyUIDGID=1 (docker cp -a) and
 * the container has a User: then every member is its user's (looked up in
 * the container's /etc/passwd and /etc/group; numbers taken as they are).
 * The daemon goes on serving meanwhile: the child's answer comes on a
 * socket the connection relays from (http.c's helper);
 * the connection closes after the answer.
 * A running hyperv container's files are in its utility partition: the
 * child asks the partition through the container's worker, as an exec
 * without a program (channel.h's BH_SPEC_COPY, guest/bh/copy.c: the same
 * answers, the tar written and unpacked there by the same loader code);
 * a hyperv container that is not running has no files to copy: 409. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "engine.h"
#include "ctr.h"
#include "ld.h"
#include "tar.h"
#include "apply.h"
#include "util.h"
#include "gzip.h"
#include "host/host.h"

struct job {
	struct helper h;    /* the child's answer in h.out: "STATUS " and a message or the stat JSON */
	char op;            /* 'H' stat, 'G' stat and tar, 'P' unpack */
	char path[4096];    /* as given */
	int fd;             /* 'G': the tar goes here; 'P': it comes from here */
	int no_overwrite;   /* 'P': a folder never replaced by a non-folder or back */
	char user[256];     /* 'P' with copyUIDGID: the container's User, every member's owner */
	char key[256];      /* the container as the request named it */
};

/* Go's os.FileMode of st_mode. */
static double go_mode(mode_t m)
{
	unsigned v = m & 0777;
	v |= (m & S_ISUID ? 1u << 23 : 0) | (m & S_ISGID ? 1u << 22 : 0) | (m & S_ISVTX ? 1u << 20 : 0);
	v |= S_ISDIR(m) ? 1u << 31 : S_ISLNK(m) ? 1u << 27 : S_ISBLK(m) ? 1u << 26 :
	     S_ISCHR(m) ? 1u << 26 | 1u << 21 : S_ISFIFO(m) ? 1u << 25 : S_ISSOCK(m) ? 1u << 24 : 0;
	return v;
}

/* P's last name ("/" for the root), as filepath.Base. */
static void base_name(const char *p, char *out, size_t cap)
{
	size_t n = strlen(p), b;
	while (n > 1 && p[n - 1] == '/')
		n--;
	for (b = n; b > 0 && p[b - 1] != '/'; b--)
		;
	snprintf(out, cap, "%.*s", b == n ? 1 : (int)(n - b), b == n ? "/" : p + b);
}

/* ---- in the child, inside the container's root */
static int enter_root(struct ctr *ct, char *err, size_t cap)
{
	char upper[4300], line[9000];
	ctr_dir(ct, "upper", upper, sizeof upper);
	int fd = open("/dev/sandbox", O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (chroot(upper) || chdir("/"))
			return snprintf(err, cap, "chroot %s: %s", upper, strerror(errno)), -1;
		return 0;
	}
	char *lower = lower_of(ct);
	int n = snprintf(line, sizeof line, "lower=%s upper=%s", lower ? lower : "", upper);
	free(lower);
	if (fd < 0 || !lower || write(fd, line, (size_t)n) != n || chdir("/"))
		return snprintf(err, cap, "cannot enter the container's root (/dev/sandbox: %s)", strerror(errno)), -1;
	close(fd);
	return 0;
}

static int stat_json(struct job *j, const char *name, const struct stat *st, const char *link)
{
	char mt[64];
	struct tm tm;
	size_t k = strftime(mt, 32, "%Y-%m-%dT%H:%M:%S", gmtime_r(&st->st_mtim.tv_sec, &tm));
	if (st->st_mtim.tv_nsec) {   /* Go's RFC3339Nano: trailing zeros dropped */
		snprintf(mt + k, sizeof mt - k, ".%09ld", st->st_mtim.tv_nsec);
		for (k = strlen(mt); mt[k - 1] == '0'; k--)
			mt[k - 1] = 0;
	}
	strcat(mt, "Z");
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddNumberToObject(o, "size", (double)st->st_size);
	cJSON_AddNumberToObject(o, "mode", go_mode(st->st_mode));
	cJSON_AddStringToObject(o, "mtime", mt);
	cJSON_AddStringToObject(o, "linkTarget", link);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	buf_printf(&j->h.out, "200 %s", s ? s : "");
	free(s);
	return 200;
}

static int walk_fd;
static size_t walk_skip;
static const char *walk_name;

static int walk_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)f;
	char name[8192], link[PATH_MAX] = "";
	int src = -1, rc;
	if (type == FTW_NS || type == FTW_DNR)
		return -1;
	snprintf(name, sizeof name, "%s%s%s", walk_name, p + walk_skip, S_ISDIR(st->st_mode) ? "/" : "");
	if (S_ISREG(st->st_mode) && (src = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	if (S_ISLNK(st->st_mode)) {
		ssize_t n = readlink(p, link, sizeof link - 1);
		link[n > 0 ? n : 0] = 0;
	}
	rc = tarw_stat(walk_fd, name, st, link, src);
	if (src >= 0)
		close(src);
	return rc;
}

/* Field f (0 first) of the line of colon-separated file path whose first
 * field is key, or (numeric: key a number) whose third is; into out. */
static int id_file(const char *path, const char *key, int numeric, int f, char *out, size_t cap)
{
	FILE *fp = fopen(path, "re");
	char line[1024];
	int found = 0;
	while (fp && !found && fgets(line, sizeof line, fp)) {
		char *fld[4] = { line }, *p = line;
		int n = 1;
		line[strcspn(line, "\n")] = 0;
		while (n < 4 && (p = strchr(p, ':')))
			*p++ = 0, fld[n++] = p;
		if (n == 4 && !strcmp(fld[numeric ? 2 : 0], key))
			found = 1, snprintf(out, cap, "%s", fld[f]);
	}
	if (fp)
		fclose(fp);
	return found;
}

/* USER[:GROUP] (names or numbers) to *uid and *gid, inside the container's
 * root: 0, or -1 with the reason in j->h.out. */
static int user_ids(struct job *j, u32 *uid, u32 *gid)
{
	char u[256], v[64], *g = strchr(j->user, ':'), *end;
	snprintf(u, sizeof u, "%.*s", g ? (int)(g - j->user) : (int)strlen(j->user), j->user);
	unsigned long n = strtoul(u, &end, 10);
	int num = *u && !*end;
	*gid = 0;   /* a number without a passwd line: group 0 */
	if (num)
		*uid = (u32)n;
	else if (id_file("/etc/passwd", u, 0, 2, v, sizeof v))
		*uid = (u32)strtoul(v, NULL, 10);
	else
		return buf_printf(&j->h.out, "400 unable to find user %s: no matching entries in passwd file", u), -1;
	if (id_file("/etc/passwd", u, num, 3, v, sizeof v))
		*gid = (u32)strtoul(v, NULL, 10);
	if (g && *++g) {
		n = strtoul(g, &end, 10);
		if (!*end)
			*gid = (u32)n;
		else if (id_file("/etc/group", g, 0, 2, v, sizeof v))
			*gid = (u32)strtoul(v, NULL, 10);
		else
			return buf_printf(&j->h.out, "400 unable to find group %s: no matching entries in group file", g), -1;
	}
	return 0;
}

static int unpack(struct job *j)
{
	struct stat st;
	char dir[PATH_MAX];
	struct ld_err e = { "" };
	struct ld_limits lim = { 0 };
	struct ld_apply ap;
	struct ld_tar t;
	if (stat(j->path, &st) || !realpath(j->path, dir))
		return buf_printf(&j->h.out, "404 Could not find the file %s in container", j->path), 404;
	if (!S_ISDIR(st.st_mode))
		return buf_printf(&j->h.out, "400 extraction point is not a directory"), 400;
	u32 owner[2] = { 0, 0 };
	if (*j->user && user_ids(j, &owner[0], &owner[1]))
		return 400;
	ld_limits_default(&lim);
	int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct ld_fs *fs = root >= 0 ? ld_dirfs_new(root, 0, &e) : NULL;
	struct ld_src *src = ld_host_file_src(j->fd, &e);
	static struct ld_gunzip gz;   /* large: the inflate window */
	unsigned char magic[2];
	if (src && pread(j->fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
		src = ld_gunzip_init(&gz, src, &e) ? NULL : &gz.src;   /* as dockerd, a gzip'd tar too */
	char *bufs = malloc(2 * (lim.max_path + 1) + LD_TAR_PAXMAX);
	if (!fs || !src || !bufs || ld_apply_init(&ap, fs, &lim, &ld_host_alloc, &e))
		return buf_printf(&j->h.out, "500 cannot unpack: %s", e.msg), 500;
	ld_tar_init(&t, src, bufs, lim.max_path, &e);
	/* dir + 1: the folder from the root */
	if (ld_apply_copy(&ap, &t, dir + 1, j->no_overwrite, *j->user ? owner : NULL))
		return buf_printf(&j->h.out, "400 %s", e.msg), 400;
	if (fs->finish && fs->finish(fs))
		return buf_printf(&j->h.out, "500 %s", e.msg), 500;
	return buf_printf(&j->h.out, "200 "), 200;
}

static int job_hyperv(struct ctr *ct, struct job *j);

static int job_run(struct ctr *ct, struct job *j)
{
	char err[512], name[256];
	struct stat st;
	if (ct->status == RUNNING && ct->partition)
		return job_hyperv(ct, j);
	if (enter_root(ct, err, sizeof err))
		return buf_printf(&j->h.out, "500 %s", err), 500;
	if (j->op == 'P')
		return unpack(j);
	if (lstat(j->path, &st)) {
		if (errno == ENOENT || errno == ENOTDIR)
			return buf_printf(&j->h.out, "404 Could not find the file %s in container", j->path), 404;
		return buf_printf(&j->h.out, "500 %s: %s", j->path, strerror(errno)), 500;
	}
	base_name(j->path, name, sizeof name);
	if (j->op == 'G') {
		char p[4096];
		size_t n = strlen(j->path);
		while (n > 1 && j->path[n - 1] == '/')
			n--;
		snprintf(p, sizeof p, "%.*s", (int)n, j->path);
		int root = !strcmp(p, "/");   /* its members: ./, ./etc/, ... */
		walk_fd = j->fd, walk_skip = root ? 0 : strlen(p), walk_name = root ? "." : name;
		if (nftw(p, walk_one, 32, FTW_PHYS | FTW_MOUNT) || tarw_end(j->fd))
			return buf_printf(&j->h.out, "500 cannot archive %s: %s", j->path, strerror(errno)), 500;
	}
	char link[PATH_MAX] = "";
	if (S_ISLNK(st.st_mode) && !realpath(j->path, link)) {
		ssize_t n = readlink(j->path, link, sizeof link - 1);
		link[n > 0 ? n : 0] = 0;
	}
	return stat_json(j, name, &st, link);
}

/* ---- a hyperv container: the work is its utility partition's */

/* Reads n bytes of fd's multiplexed stdout (8-byte frame headers; stderr
 * dropped) into p: n, or less at EOF. */
struct demux {
	int fd;
	unsigned char buf[65536];
	size_t at, len, left;   /* buffered [at, len); bytes left in the current stdout frame */
	int skip;               /* the current frame is stderr's */
};

static size_t demux_read(struct demux *d, void *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		if (d->at == d->len) {
			ssize_t r = recv(d->fd, d->buf, sizeof d->buf, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			d->at = 0, d->len = (size_t)r;
		}
		if (!d->left) {   /* a frame header, possibly split */
			unsigned char h[8];
			size_t k = 0;
			while (k < 8 && d->at < d->len)
				h[k++] = d->buf[d->at++];
			while (k < 8) {
				ssize_t r = recv(d->fd, h + k, 8 - k, 0);
				if (r <= 0)
					return got;
				k += (size_t)r;
			}
			d->left = (size_t)h[4] << 24 | (size_t)h[5] << 16 | (size_t)h[6] << 8 | h[7];
			d->skip = h[0] != 1;
			continue;
		}
		size_t k = d->len - d->at < d->left ? d->len - d->at : d->left;
		if (!d->skip && k > n - got)
			k = n - got;
		if (!d->skip)
			memcpy((char *)p + got, d->buf + d->at, k), got += k;
		d->at += k, d->left -= k;
	}
	return got;
}

/* Up to and without the NUL or newline that ends it, into out (cap); 0, or -1 at EOF. */
static int demux_str(struct demux *d, char end, char *out, size_t cap)
{
	size_t n = 0;
	char c;
	while (demux_read(d, &c, 1) == 1) {
		if (c == end) {
			out[n < cap ? n : cap - 1] = 0;
			return 0;
		}
		if (n + 1 < cap)
			out[n++] = c;
	}
	return -1;
}

static int job_hyperv(struct ctr *ct, struct job *j)
{
	static struct demux d;
	static char chunk[65536];
	char names[3][64], dir[4300], msg[700], line[700], name[300], link[PATH_MAX];
	int go, fd, code = -1;
	static const char *const kinds[3] = { "json", "sock", "state" };
	for (int i = 0; i < 3; i++)
		snprintf(names[i], sizeof names[i], "cp-%d.%s", (int)getpid(), kinds[i]);
	cJSON *spec = cJSON_CreateObject(), *argv = cJSON_AddArrayToObject(spec, "argv");
	cJSON_AddItemToArray(argv, cJSON_CreateString(j->op == 'H' ? "stat" : j->op == 'G' ? "get" : "put"));
	cJSON_AddItemToArray(argv, cJSON_CreateString(j->path));
	if (j->op == 'P' && j->no_overwrite)
		cJSON_AddItemToArray(argv, cJSON_CreateString("no-overwrite"));
	cJSON_AddArrayToObject(spec, "env");
	cJSON_AddStringToObject(spec, "user", j->user);
	cJSON_AddBoolToObject(spec, "stdin", 1);   /* its end says we are here to read (copy.c) */
	cJSON_AddBoolToObject(spec, "copy", 1);
	cJSON_AddStringToObject(spec, "sock", names[1]);
	cJSON_AddStringToObject(spec, "state", names[2]);
	int rc = hv_exec(ct, spec, names[0], msg, sizeof msg, &go);
	cJSON_Delete(spec);
	ctr_dir(ct, NULL, dir, sizeof dir);
	if (rc) {
		const char *m = strchr(msg + 4, ' ');
		buf_printf(&j->h.out, "500 the container's partition did not take the copy: %s", m ? m + 1 : msg);
		goto out;
	}
	fd = shim_connect(dir, names[1], SHIM_STDIN | SHIM_STDOUT | SHIM_STDERR);
	go_word(go);
	if (fd < 0) {
		buf_printf(&j->h.out, "500 cannot reach the copy in the container's partition");
		goto out;
	}
	for (ssize_t n; j->op == 'P' && (n = read(j->fd, chunk, sizeof chunk)) > 0;)   /* a put's tar */
		if (send(fd, chunk, (size_t)n, MSG_NOSIGNAL) != n)
			break;
	shutdown(fd, SHUT_WR);   /* end of input: the partition answers now */
	d.fd = fd;
	struct stat st = { 0 };
	unsigned long long mode, mt, ns;
	long long size;
	int said = demux_str(&d, '\n', line, sizeof line) ? -1 : atoi(line);
	if (said < 0)
		buf_printf(&j->h.out, "500 the copy in the container's partition ended without an answer");
	else if (said != 200 && said != 400 && said != 404 && said != 500)   /* the partition is not trusted */
		buf_printf(&j->h.out, "500 the container's partition sent a bad answer");
	else if (said != 200 || j->op == 'P')
		buf_printf(&j->h.out, "%s", line);
	else if (sscanf(line, "200 %llu %lld %llu %llu", &mode, &size, &mt, &ns) != 4 ||
		 demux_str(&d, 0, name, sizeof name) || demux_str(&d, 0, link, sizeof link))
		buf_printf(&j->h.out, "500 the container's partition sent a bad answer");
	else {
		st.st_mode = (mode_t)mode, st.st_size = size, st.st_mtim.tv_sec = (time_t)mt, st.st_mtim.tv_nsec = (long)ns;
		stat_json(j, name, &st, link);
		for (size_t n; j->op == 'G' && (n = demux_read(&d, chunk, sizeof chunk)) > 0;)
			if (write(j->fd, chunk, n) != (ssize_t)n) {
				j->h.out.len = 0;
				buf_printf(&j->h.out, "500 cannot write the archive: %s", strerror(errno));
				break;
			}
	}
	while (demux_read(&d, line, sizeof line) > 0)   /* to its end: the state is written */
		;
	close(fd);
	snprintf(msg, sizeof msg, "%s/%s", dir, names[2]);
	cJSON *state = read_json(msg);
	code = state ? (int)cJSON_GetNumberValue(cJSON_GetObjectItem(state, "ExitCode")) : -1;
	cJSON_Delete(state);
	if (code && j->op == 'G' && !strncmp(j->h.out.p, "200", 3)) {
		j->h.out.len = 0;
		buf_printf(&j->h.out, "500 the container's partition could not archive %s", j->path);
	}
out:
	for (int i = 0; i < 3; i++) {
		snprintf(msg, sizeof msg, "%s/%s", dir, names[i]);
		unlink(msg);
	}
	return atoi(j->h.out.p ? j->h.out.p : "500");
}

static void b64(const char *s, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16 | (i + 1 < n ? (unsigned char)s[i + 1] << 8 : 0) |
			     (i + 2 < n ? (unsigned char)s[i + 2] : 0);
		*out++ = a[v >> 18 & 63];
		*out++ = a[v >> 12 & 63];
		*out++ = i + 1 < n ? a[v >> 6 & 63] : '=';
		*out++ = i + 2 < n ? a[v & 63] : '=';
	}
	*out = 0;
}

static void job_free(struct helper *h)
{
	struct job *j = (struct job *)h;
	if (j->fd >= 0)
		close(j->fd);
	free(j->h.out.p);
	free(j);
}

/* In the child. */
static void job_child(struct helper *h, void *ct)
{
	job_run(ct, (struct job *)h);
}

/* The answer, from j->h.out. */
static void reply(struct conn *c, struct job *j)
{
	int st = j->h.out.len ? atoi(j->h.out.p) : 500;
	const char *msg = j->h.out.len && strchr(j->h.out.p, ' ') ? strchr(j->h.out.p, ' ') + 1
							      : "the copy's helper process ended without an answer";
	if (st == 404)
		http_error(c, 404, "%s %s", msg, j->key);
	else if (st != 200)
		http_error(c, st ? st : 500, "%s", msg);
	else if (j->op == 'P')
		http_reply(c, 200, NULL, "", 0);
	else {
		char *h = malloc(strlen(msg) / 3 * 4 + 8);
		b64(msg, strlen(msg), h);
		http_header(c, "X-Docker-Container-Path-Stat", h);
		free(h);
		if (j->op == 'H')
			http_reply(c, 200, NULL, "", 0);
		else {
			off_t size = lseek(j->fd, 0, SEEK_CUR);
			lseek(j->fd, 0, SEEK_SET);
			http_send_file(c, "application/x-tar", j->fd, (uint64_t)size);
			j->fd = -1;
		}
	}
}

static void job_done(struct conn *c)
{
	struct job *j = (struct job *)c->helper;
	c->helper = NULL;
	c->held = 0;
	c->closing = 1;   /* the requests after it were not read */
	waitpid(j->h.pid, NULL, 0);   /* ECHILD when containers_tick took it */
	reply(c, j);
	job_free(&j->h);
}

void archive_ep(struct req *r, struct ctr *ct, const char *key)
{
	struct job *j = calloc(1, sizeof *j);
	char tmp[4200];
	if (!j) {
		http_error(r->c, 500, "out of memory");
		return;
	}
	*j = (struct job){ { .done = job_done, .free = job_free },
			   .op = r->method == HTTP_PUT ? 'P' : r->method == HTTP_HEAD ? 'H' : 'G', .fd = -1 };
	snprintf(j->key, sizeof j->key, "%s", key);
	int rc = query_param(r, "path", 0, j->path, sizeof j->path);
	if (rc == -2)
		goto out;
	if (rc || !j->path[0]) {
		http_error(r->c, 400, "path is required (not a valid path: \"\")");
		goto out;
	}
	if (ct->status != RUNNING && ctr_hyperv(ct)) {
		http_error(r->c, 409, "container %s is not running: a hyperv container's files are in its utility "
			   "partition, which is there only while the container runs", key);
		goto out;
	}
	if (j->op == 'P') {
		j->no_overwrite = query_bool(r->query, "noOverwriteDirNonDir");
		if (query_bool(r->query, "copyUIDGID"))
			snprintf(j->user, sizeof j->user, "%s", jstr(cfg_of(ct), "User"));
		j->fd = r->load_path ? open(r->load_path, O_RDONLY | O_CLOEXEC) : -1;
	} else if (j->op == 'G') {
		snprintf(tmp, sizeof tmp, "%s/tmp/archive-XXXXXX", eng.data_root);
		if ((j->fd = mkostemp(tmp, O_CLOEXEC)) >= 0)
			unlink(tmp);
	}
	if (j->op != 'H' && j->fd < 0) {
		http_error(r->c, 500, "cannot open a file under %s/tmp: %s", eng.data_root, strerror(errno));
		goto out;
	}
	if (helper_start(r->c, &j->h, j->fd, job_child, ct)) {
		http_error(r->c, 500, "cannot start the copy: %s", strerror(errno));
		goto out;
	}
	if (j->op == 'P')   /* the child has its own */
		close(j->fd), j->fd = -1;
	return;
out:
	job_free(&j->h);
}
