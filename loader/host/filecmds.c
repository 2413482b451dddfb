/* bhimage's single-file commands, used by tests and benchmarks:
 *   bhimage gunzip FILE    decompress a gzip file to stdout with our inflate
 *   bhimage sha256 FILE    print the file's sha256
 * Runs on the Linux host. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host.h"
#include "filecmds.h"
#include "../gzip.h"
#include "../sha256.h"
#include "../util.h"

static int open_src(const char *path, int *fd, struct ld_src **s, struct ld_err *err)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		perror(path);
		return -1;
	}
	*s = ld_host_file_src(*fd, err);
	return *s ? 0 : -1;
}

int bh_cmd_gunzip(const char *path)
{
	struct ld_err err = { "" };
	struct ld_src *in;
	int fd, rc = 0;
	if (open_src(path, &fd, &in, &err))
		return 1;
	struct ld_gunzip *g = malloc(sizeof *g);
	if (!g || ld_gunzip_init(g, in, &err))
		return 1;
	const u8 *p;
	long n;
	while ((n = g->src.pull(&g->src, &p)) > 0)
		if (fwrite(p, 1, (size_t)n, stdout) != (size_t)n) {
			ld_fail(&err, "write failed");
			n = -1;
			break;
		}
	if (n < 0) {
		fprintf(stderr, "bhimage: error: %s\n", err.msg);
		rc = 1;
	}
	free(g);
	free(in);
	close(fd);
	return rc;
}

int bh_cmd_sha256(const char *path)
{
	struct ld_err err = { "" };
	struct ld_src *in;
	struct ld_sha256 sha;
	u8 out[32];
	char hex[65];
	int fd;
	if (open_src(path, &fd, &in, &err))
		return 1;
	ld_sha256_init(&sha);
	const u8 *p;
	long n;
	while ((n = in->pull(in, &p)) > 0)
		ld_sha256_update(&sha, p, (size_t)n);
	ld_sha256_final(&sha, out);
	ld_hex(hex, out, 32);
	printf("%s\n", hex);
	free(in);
	close(fd);
	return n < 0;
}
