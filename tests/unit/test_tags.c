/* Host unit test: address-space tags in generations (hv/tags.c), with a small
 * forced count as on a CPU with few ASIDs. */
#include "check.h"
#include "../../hv/tags.h"

int main(int argc, char **argv)
{
	(void)argc;
	struct tags t;
	struct vcpu_tag v[5] = { 0 };
	tags_init(&t, 3);
	/* three vCPUs: three distinct tags, no flush */
	for (int i = 0; i < 3; i++)
		CHECK(tag_get(&t, &v[i]) == TAG_NEW && v[i].tag == (u32)i + 1);
	for (int i = 0; i < 3; i++)
		CHECK(tag_get(&t, &v[i]) == TAG_KEEP && v[i].tag == (u32)i + 1);
	/* a fourth: the tags ran out, a new generation with one flush of all */
	CHECK(tag_get(&t, &v[3]) == TAG_FLUSH_ALL && v[3].tag == 1);
	/* the older vCPUs take fresh tags of the new generation, never v[3]'s */
	CHECK(tag_get(&t, &v[0]) == TAG_NEW && v[0].tag == 2);
	CHECK(tag_get(&t, &v[1]) == TAG_NEW && v[1].tag == 3);
	CHECK(tag_get(&t, &v[2]) == TAG_FLUSH_ALL && v[2].tag == 1);
	/* and so on for many rounds: within a generation, no tag twice */
	for (int round = 0; round < 1000; round++) {
		u32 seen = 0;
		u64 gen = t.gen;
		for (int i = 0; i < 5; i++) {
			int r = tag_get(&t, &v[(round + i) % 5]);
			CHECK(v[(round + i) % 5].tag >= 1 && v[(round + i) % 5].tag <= 3);
			if (r == TAG_FLUSH_ALL)
				seen = 0, gen = t.gen;
			if (r != TAG_KEEP) {
				CHECK(!(seen & (1u << v[(round + i) % 5].tag)));
				seen |= 1u << v[(round + i) % 5].tag;
			}
			CHECK(v[(round + i) % 5].gen == gen || r == TAG_KEEP);
		}
	}
	/* one tag only: every switch between two vCPUs is a flush */
	tags_init(&t, 1);
	struct vcpu_tag a = { 0 }, b = { 0 };
	CHECK(tag_get(&t, &a) == TAG_NEW);
	CHECK(tag_get(&t, &b) == TAG_FLUSH_ALL && b.tag == 1);
	CHECK(tag_get(&t, &a) == TAG_FLUSH_ALL && a.tag == 1);
	return check_summary(argv[0]);
}
