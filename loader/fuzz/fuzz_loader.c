/* libFuzzer target: the whole loader on an image tarball held in memory
 * (OCI layout or docker-archive) unpacked into the memory back-end.  Built
 * with LD_FUZZ_NO_DIGEST so mutated blobs get past the digest check (sizes
 * are still checked). */
#include "fuzz.h"
#include "../memfs.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct ld_err e;
	struct ld_ra ra = { data, 0, size };
	struct ld_opts o = { { 0 }, 0 };
	struct ld_config cfg;
	struct ld_stats st;
	o.lim.max_total = 16u << 20;
	o.lim.max_entries = 5000;
	o.lim.max_path = 1024;
	o.lim.max_json = 1u << 20;
	struct ld_store *s = ld_tarstore_open(&ra, &fz_alloc_ops, &e);
	if (!s)
		return 0;
	struct ld_fs *fs = ld_memfs_new(&fz_alloc_ops, 32u << 20, &e);
	if (fs && !ld_unpack(s, fs, &o, &fz_alloc_ops, &cfg, &st, &e))
		ld_config_free(&cfg, &fz_alloc_ops);
	ld_memfs_free(fs);
	ld_tarstore_free(s);
	return 0;
}
