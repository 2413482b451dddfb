/* libFuzzer target: gzip framing and inflate, fed in fuzzed chunk sizes. */
#include "fuzz.h"
#include "../gzip.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct ld_gunzip g;
	struct fz_src m;
	struct ld_err e;
	const u8 *p;
	u64 total = 0;
	long n;
	fz_src_init(&m, data, size, &e);
	if (ld_gunzip_init(&g, &m.src, &e))
		return 0;
	while ((n = g.src.pull(&g.src, &p)) > 0) {
		volatile u8 sink = p[0] ^ p[n - 1];
		(void)sink;
		total += (u64)n;
		if (total > (64u << 20))
			break;
	}
	return 0;
}
