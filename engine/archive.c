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
 * socket the connection relays from (http.c: archive_data, archive_done);
 * the connection closes after the answer.
 * hyperv containers' files are in their utility partition: 501. */
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
	char op;            /* 'H' stat, 'G' stat and tar, 'P' unpack */
	char path[4096];    /* as given */
	int fd;             /* 'G': the tar goes here; 'P': it comes from here */
	int no_overwrite;   /* 'P': a folder never replaced by a non-folder or back */
	char user[256];     /* 'P' with copyUIDGID: the container's User, every member's owner */
	struct buf out;     /* the child's answer: "STATUS " and a message or the stat JSON */
	char key[256];      /* the container as the request named it */
	pid_t pid;
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

static int stat_json(struct job *j, const char *name, struct stat *st)
{
	char mt[64], link[PATH_MAX] = "";
	struct tm tm;
	size_t k = strftime(mt, 32, "%Y-%m-%dT%H:%M:%S", gmtime_r(&st->st_mtim.tv_sec, &tm));
	if (st->st_mtim.tv_nsec) {   /* Go's RFC3339Nano: trailing zeros dropped */
		snprintf(mt + k, sizeof mt - k, ".%09ld", st->st_mtim.tv_nsec);
		for (k = strlen(mt); mt[k - 1] == '0'; k--)
			mt[k - 1] = 0;
	}
	strcat(mt, "Z");
	if (S_ISLNK(st->st_mode) && !realpath(j->path, link)) {
		ssize_t n = readlink(j->path, link, sizeof link - 1);
		link[n > 0 ? n : 0] = 0;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddNumberToObject(o, "size", (double)st->st_size);
	cJSON_AddNumberToObject(o, "mode", go_mode(st->st_mode));
	cJSON_AddStringToObject(o, "mtime", mt);
	cJSON_AddStringToObject(o, "linkTarget", link);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	buf_printf(&j->out, "200 %s", s ? s : "");
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
 * root: 0, or -1 with the reason in j->out. */
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
		return buf_printf(&j->out, "400 unable to find user %s: no matching entries in passwd file", u), -1;
	if (id_file("/etc/passwd", u, num, 3, v, sizeof v))
		*gid = (u32)strtoul(v, NULL, 10);
	if (g && *++g) {
		n = strtoul(g, &end, 10);
		if (!*end)
			*gid = (u32)n;
		else if (id_file("/etc/group", g, 0, 2, v, sizeof v))
			*gid = (u32)strtoul(v, NULL, 10);
		else
			return buf_printf(&j->out, "400 unable to find group %s: no matching entries in group file", g), -1;
	}
	return 0;
}

static int unpack(struct job *j)
{
	struct stat st;
	char dir[PATH_MAX], *bufs = NULL, *path = NULL, *link = NULL;
	struct ld_err e = { "" };
	struct ld_limits lim = { 0 };
	struct ld_apply ap;
	struct ld_tar t;
	struct ld_tar_entry en;
	int rc, st_code = 400;
	if (stat(j->path, &st) || !realpath(j->path, dir))
		return buf_printf(&j->out, "404 Could not find the file %s in container", j->path), 404;
	if (!S_ISDIR(st.st_mode))
		return buf_printf(&j->out, "400 extraction point is not a directory"), 400;
	u32 uid = 0, gid = 0;
	if (*j->user && user_ids(j, &uid, &gid))
		return 400;
	ld_limits_default(&lim);
	const char *pre = dir + 1;   /* the folder relative to the root */
	int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct ld_fs *fs = root >= 0 ? ld_dirfs_new(root, 0, &e) : NULL;
	struct ld_src *src = ld_host_file_src(j->fd, &e);
	static struct ld_gunzip gz;   /* large: the inflate window */
	unsigned char magic[2];
	if (src && pread(j->fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
		src = ld_gunzip_init(&gz, src, &e) ? NULL : &gz.src;   /* as dockerd, a gzip'd tar too */
	bufs = malloc(2 * (lim.max_path + 1) + LD_TAR_PAXMAX);
	path = malloc(2 * lim.max_path + 2), link = malloc(2 * lim.max_path + 2);
	if (!fs || !src || !bufs || !path || !link || ld_apply_init(&ap, fs, &lim, &ld_host_alloc, &e)) {
		buf_printf(&j->out, "500 cannot unpack: %s", e.msg);
		return 500;
	}
	ld_apply_layer(&ap);
	ld_tar_init(&t, src, bufs, lim.max_path, &e);
	while ((rc = ld_tar_next(&t, &en)) > 0) {
		long n = ld_clean_path(en.path, path, &lim, &e);
		const char *b = n < 0 ? "" : strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		if (n < 0 || !strncmp(b, ".wh.", 4)) {
			if (n >= 0)
				ld_fail(&e, "whiteout names are not copied");
			ld_prefix(&e, "entry '%s'", en.path);
			break;
		}
		struct stat old;
		char where[8200];
		snprintf(where, sizeof where, "%s/%s", dir, path);
		if (j->no_overwrite && n && !lstat(where, &old) && S_ISDIR(old.st_mode) != (en.type == LD_DIR)) {
			ld_fail(&e, S_ISDIR(old.st_mode) ? "cannot overwrite directory \"%s\" with non-directory \"%s\""
						      : "cannot overwrite non-directory \"%s\" with directory \"%s\"",
				where, path);
			break;
		}
		const char *name = en.path;
		if (*j->user)
			en.uid = uid, en.gid = gid;
		snprintf(path, 2 * lim.max_path + 2, "%s%s%s", pre, *pre ? "/" : "", en.path);
		en.path = path;
		if (en.type == LD_TAR_HARDLINK) {
			snprintf(link, 2 * lim.max_path + 2, "%s%s%s", pre, *pre ? "/" : "", en.link);
			en.link = link;
		}
		if (ld_apply_entry(&ap, &en, &t)) {
			ld_prefix(&e, "entry '%s'", name);
			break;
		}
	}
	if (rc == 0 && fs->finish && fs->finish(fs))
		rc = -1, st_code = 500;
	if (rc == 0)
		buf_printf(&j->out, "200 ");
	else
		buf_printf(&j->out, "%d %s", st_code, e.msg);
	return rc ? st_code : 200;
}

static int job_run(struct ctr *ct, struct job *j)
{
	char err[512], name[256];
	struct stat st;
	if (enter_root(ct, err, sizeof err))
		return buf_printf(&j->out, "500 %s", err), 500;
	if (j->op == 'P')
		return unpack(j);
	if (lstat(j->path, &st)) {
		if (errno == ENOENT || errno == ENOTDIR)
			return buf_printf(&j->out, "404 Could not find the file %s in container", j->path), 404;
		return buf_printf(&j->out, "500 %s: %s", j->path, strerror(errno)), 500;
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
			return buf_printf(&j->out, "500 cannot archive %s: %s", j->path, strerror(errno)), 500;
	}
	return stat_json(j, name, &st);
}

/* Runs j in a child inside ct's root; its answer ("STATUS ...") comes on
 * the socket returned (-1 and a 500 in j->out when it cannot start). */
static int job_fork(struct ctr *ct, struct job *j)
{
	int p[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p)) {
		buf_printf(&j->out, "500 socketpair: %s", strerror(errno));
		return -1;
	}
	j->pid = fork();
	if (j->pid == 0) {
		for (int fd = 3; fd < 1024; fd++)   /* clients' sockets, other helpers' */
			if (fd != p[1] && fd != j->fd)
				close(fd);
		job_run(ct, j);
		for (size_t o = 0; o < j->out.len;) {
			ssize_t w = write(p[1], j->out.p + o, j->out.len - o);
			if (w <= 0)
				break;
			o += (size_t)w;
		}
		_exit(0);
	}
	close(p[1]);
	if (j->pid < 0) {
		close(p[0]);
		buf_printf(&j->out, "500 fork: %s", strerror(errno));
		return -1;
	}
	return p[0];
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

static void job_free(struct job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	free(j->out.p);
	free(j);
}

/* The answer, from j->out. */
static void reply(struct conn *c, struct job *j)
{
	int st = j->out.len ? atoi(j->out.p) : 500;
	const char *msg = j->out.len && strchr(j->out.p, ' ') ? strchr(j->out.p, ' ') + 1
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

void archive_data(struct conn *c, const char *p, size_t n)
{
	buf_put(&c->job->out, p, n);
}

void archive_done(struct conn *c)
{
	struct job *j = c->job;
	c->job = NULL;
	c->held = 0;
	c->closing = 1;   /* the requests after it were not read */
	waitpid(j->pid, NULL, 0);   /* ECHILD when containers_tick took it */
	reply(c, j);
	job_free(j);
}

void archive_conn_gone(struct conn *c)
{
	job_free(c->job);   /* the child finishes on its own; containers_tick reaps it */
	c->job = NULL;
}

void archive_ep(struct req *r, struct ctr *ct, const char *key)
{
	struct job *j = calloc(1, sizeof *j);
	char tmp[4200];
	if (!j) {
		http_error(r->c, 500, "out of memory");
		return;
	}
	*j = (struct job){ .op = r->method == HTTP_PUT ? 'P' : r->method == HTTP_HEAD ? 'H' : 'G', .fd = -1 };
	snprintf(j->key, sizeof j->key, "%s", key);
	int rc = query_param(r, "path", 0, j->path, sizeof j->path), sock = -1;
	if (rc == -2)
		goto out;
	if (rc || !j->path[0]) {
		http_error(r->c, 400, "path is required (not a valid path: \"\")");
		goto out;
	}
	if (ct->partition || ctr_hyperv(ct)) {
		http_error(r->c, 501, "docker cp is not supported for hyperv isolation: the container's files are in its "
			   "utility partition");
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
	if ((sock = job_fork(ct, j)) < 0) {
		reply(r->c, j);
		goto out;
	}
	if (j->op == 'P')   /* the child has its own */
		close(j->fd), j->fd = -1;
	r->c->job = j;
	r->c->held = 1;
	conn_relay(r->c, sock);
	return;
out:
	job_free(j);
}
