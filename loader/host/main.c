/* bhimage: the loader as a host tool.
 *   bhimage unpack [options] IMAGE DEST   unpack into DEST (must not exist, or be empty)
 *   bhimage inspect [--ref NAME] IMAGE    print format, layers and config
 *   bhimage gunzip FILE, bhimage sha256 FILE (filecmds.c)
 * IMAGE is an OCI layout folder, an OCI-layout tarball or a docker-archive.
 * The root is built in a fresh temporary folder next to DEST and renamed
 * into place only when every layer applied and verified.  Runs on Linux. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "host.h"
#include "filecmds.h"
#include "../image.h"
#include "../stream.h"
#include "../util.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: bhimage unpack [--ref NAME] [--threads N] [--max-bytes N] [--max-entries N]\n"
		"                      [--max-ratio N] [--ratio-floor N] [--max-path N] IMAGE DEST\n"
		"       bhimage inspect [--ref NAME] IMAGE\n"
		"       bhimage gunzip FILE | bhimage sha256 FILE\n");
	return 2;
}

static int fail(const struct ld_err *err)
{
	fprintf(stderr, "bhimage: error: %s\n", err->msg);
	return 1;
}

/* DEST must not exist, or be an empty folder: that one is removed now and
 * put back if the unpack fails. */
static int check_dest(const char *dest, mode_t *existed, struct ld_err *err)
{
	struct stat st;
	*existed = 0;
	if (lstat(dest, &st))
		return errno == ENOENT ? 0 : ld_fail(err, "'%s': %s", dest, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return ld_fail(err, "destination '%s' exists and is not a folder", dest);
	if (rmdir(dest))
		return ld_fail(err, "destination '%s' exists and is not empty", dest);
	*existed = S_IFDIR | (st.st_mode & 07777);
	return 0;
}

static void print_strv(const char *key, const struct ld_strv *v)
{
	printf("%s:", key);
	for (u32 i = 0; i < v->n; i++)
		printf(" %s", v->v[i]);
	printf("\n");
}

static int cmd_inspect(const char *image, struct ld_opts *o)
{
	struct ld_err err = { "" };
	struct ld_image im;
	struct ld_config cfg;
	char label[72 + 256];
	struct ld_store *st = ld_host_store_open(image, &err);
	if (!st)
		return fail(&err);
	int rc = ld_inspect(st, o, &ld_host_alloc, &im, &cfg, &err);
	ld_host_store_close(st);
	if (rc)
		return fail(&err);
	printf("format: %s\n", im.format == LD_FMT_OCI ? "oci" : "docker-archive");
	ld_blob_label(&im.config, label);
	printf("config: %s\n", label);
	for (u32 i = 0; i < im.nlayers; i++) {
		static const char *const comp[] = { "tar", "tar+gzip", "tar+zstd", "sniffed" };
		ld_blob_label(&im.layers[i], label);
		printf("layer %u: %s %s %s\n", i + 1, label, comp[im.layers[i].comp],
		       im.layers[i].name);
	}
	printf("os: %s\narch: %s\n", cfg.os, cfg.arch);
	print_strv("entrypoint", &cfg.entrypoint);
	print_strv("cmd", &cfg.cmd);
	print_strv("env", &cfg.env);
	printf("workdir: %s\nuser: %s\n", cfg.working_dir, cfg.user);
	print_strv("ports", &cfg.exposed_ports);
	for (u32 i = 0; i < cfg.label_keys.n; i++)
		printf("label: %s=%s\n", cfg.label_keys.v[i], cfg.label_vals.v[i]);
	ld_config_free(&cfg, &ld_host_alloc);
	ld_image_free(&im, &ld_host_alloc);
	return 0;
}

static int cmd_unpack(const char *image, const char *dest, struct ld_opts *o, int threads)
{
	struct ld_err err = { "" };
	struct ld_config cfg;
	struct ld_stats stats;
	mode_t existed;
	char *d1 = strdup(dest), *d2 = strdup(dest), tmp[4096];
	if (check_dest(dest, &existed, &err))
		return fail(&err);
	snprintf(tmp, sizeof tmp, "%s/.%s.bhimage-XXXXXX", dirname(d1), basename(d2));
	free(d1);
	free(d2);
	if (!mkdtemp(tmp)) {
		ld_fail(&err, "cannot create a staging folder next to '%s': %s", dest, strerror(errno));
		return fail(&err);
	}
	int root = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct ld_store *st = ld_host_store_open(image, &err);
	struct ld_fs *fs = root >= 0 ? ld_dirfs_new(root, threads, &err) : NULL;
	int rc = st && fs ? ld_unpack(st, fs, o, &ld_host_alloc, &cfg, &stats, &err) : -1;
	if (fs)
		ld_dirfs_free(fs);
	if (st)
		ld_host_store_close(st);
	if (!rc && fchmod(root, 0755))
		rc = ld_fail(&err, "chmod staging folder: %s", strerror(errno));
	if (root >= 0)
		close(root);
	if (!rc && rename(tmp, dest))
		rc = ld_fail(&err, "rename to '%s': %s", dest, strerror(errno));
	if (rc) {
		ld_rmtree_at(AT_FDCWD, tmp);
		if (existed)
			mkdir(dest, existed & 07777);
		return fail(&err);
	}
	ld_config_free(&cfg, &ld_host_alloc);
	fprintf(stderr, "bhimage: unpacked %llu entries, %llu bytes in, %llu bytes of tar\n",
		(unsigned long long)stats.entries, (unsigned long long)stats.bytes_in,
		(unsigned long long)stats.bytes_out);
	return 0;
}

static int parse_num(const char *s, u64 *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end == 'K' || *end == 'k')
		x <<= 10, end++;
	else if (*end == 'M')
		x <<= 20, end++;
	else if (*end == 'G')
		x <<= 30, end++;
	*v = x;
	return *end ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct ld_opts o;
	memset(&o, 0, sizeof o);
	ld_host_cpu_init();
	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	int i = 2, threads = 0;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		u64 v = 0;
		const char *f = argv[i], *a = argv[i + 1];
		if (!strcmp(f, "--ref"))
			o.ref = a;
		else if (!strcmp(f, "--threads"))
			threads = atoi(a);
		else if (parse_num(a, &v) || !v)
			return usage();
		else if (!strcmp(f, "--max-bytes"))
			o.lim.max_total = v;
		else if (!strcmp(f, "--max-entries"))
			o.lim.max_entries = v;
		else if (!strcmp(f, "--max-ratio"))
			o.lim.max_ratio = (u32)v;
		else if (!strcmp(f, "--ratio-floor"))
			o.lim.ratio_floor = v;
		else if (!strcmp(f, "--max-path"))
			o.lim.max_path = (u32)v;
		else
			return usage();
	}
	if (!strcmp(cmd, "unpack") && argc - i == 2)
		return cmd_unpack(argv[i], argv[i + 1], &o, threads);
	if (!strcmp(cmd, "inspect") && argc - i == 1)
		return cmd_inspect(argv[i], &o);
	if (!strcmp(cmd, "gunzip") && argc - i == 1)
		return bh_cmd_gunzip(argv[i]);
	if (!strcmp(cmd, "sha256") && argc - i == 1)
		return bh_cmd_sha256(argv[i]);
	return usage();
}
