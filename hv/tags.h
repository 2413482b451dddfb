/*
 * Address-space tags: ASIDs (AMD) and VPIDs (Intel).  The TLB keeps each
 * vCPU's translations under its tag, so switching vCPUs needs no flush.  A CPU
 * has few tags (64 ASIDs on older AMD parts) and hv may run more vCPUs than
 * that: tags are handed out in generations.  Within one generation no tag is
 * given twice; when they run out, a new generation starts, every vCPU gets a
 * fresh tag at its next run, and the whole TLB is flushed once.  Tag 0 is the
 * root's (hv's own), never a vCPU's.  Pure code: host unit tests drive it.
 */
#ifndef BULKHEAD_HV_TAGS_H
#define BULKHEAD_HV_TAGS_H

#include <bulkhead/types.h>

struct tags {
	u32 max;  /* tags 1..max are handed out */
	u32 next; /* the next unused tag of this generation */
	u64 gen;  /* the generation, from 1 */
};

struct vcpu_tag {
	u32 tag;
	u64 gen;  /* the generation tag belongs to; 0: none yet */
};

enum { TAG_KEEP, TAG_NEW, TAG_FLUSH_ALL };

/* Sets up t with tags 1..max (max >= 1). */
void tags_init(struct tags *t, u32 max);
/* Before v runs: TAG_KEEP (its tag is good), TAG_NEW (a tag no translation
 * of this generation carries: flush nothing, or only that tag to be sure) or
 * TAG_FLUSH_ALL (a new generation began: flush every tag before running). */
int tag_get(struct tags *t, struct vcpu_tag *v);

#endif
