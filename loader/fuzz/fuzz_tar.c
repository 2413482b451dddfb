/* libFuzzer target: the tar reader and layer application into the memory
 * back-end (whiteouts, links, replacement, path checks). */
#include "fuzz.h"
#include "../apply.h"
#include "../memfs.h"
#include "../tar.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static char bufs[2 * 1025 + LD_TAR_PAXMAX];
	struct fz_src m;
	struct ld_err e;
	struct ld_limits lim;
	struct ld_tar t;
	struct ld_tar_entry en;
	struct ld_apply ap;
	ld_limits_default(&lim);
	lim.max_path = 1024;
	lim.max_depth = 64;
	struct ld_fs *fs = ld_memfs_new(&fz_alloc_ops, 8u << 20, &e);
	if (!fs)
		return 0;
	if (ld_apply_init(&ap, fs, &lim, &fz_alloc_ops, &e)) {
		ld_memfs_free(fs);
		return 0;
	}
	fz_src_init(&m, data, size, &e);
	ld_tar_init(&t, &m.src, bufs, lim.max_path, &e);
	ld_apply_layer(&ap);
	for (int i = 0; i < 10000 && ld_tar_next(&t, &en) > 0; i++)
		if (ld_apply_entry(&ap, &en, &t))
			break;
	ld_apply_free(&ap, &fz_alloc_ops);
	ld_memfs_free(fs);
	return 0;
}
