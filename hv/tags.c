/* Address-space tags in generations (see tags.h).  Root mode and host unit tests. */
#include "tags.h"

void tags_init(struct tags *t, u32 max)
{
	t->max = max;
	t->next = 1;
	t->gen = 1;
}

int tag_get(struct tags *t, struct vcpu_tag *v)
{
	if (v->gen == t->gen)
		return TAG_KEEP;
	int r = TAG_NEW;
	if (t->next > t->max) { /* run out: every vCPU's tag is stale from now on */
		t->gen++;
		t->next = 1;
		r = TAG_FLUSH_ALL;
	}
	v->tag = t->next++;
	v->gen = t->gen;
	return r;
}
