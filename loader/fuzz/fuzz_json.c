/* libFuzzer target: the strict JSON parser and its accessors. */
#include "fuzz.h"
#include "../json.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct ld_jtok toks[4096];
	struct ld_json j;
	struct ld_err e;
	char buf[256];
	u64 v;
	if (ld_json_parse(&j, (const char *)data, size, toks, 4096, 32, &e))
		return 0;
	for (u32 i = 0; i < j.n; i++) {
		ld_json_str(&j, (int)i, buf, sizeof buf);
		ld_json_u64(&j, (int)i, &v);
		if (j.t[i].type == LD_J_OBJ) {
			ld_json_get(&j, (int)i, "mediaType");
			ld_json_get(&j, (int)i, "digest");
		}
	}
	return 0;
}
