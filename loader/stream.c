/* Verifying and metering stream stages (see stream.h).  Freestanding. */
#include "stream.h"
#include "util.h"

void ld_blob_label(const struct ld_blob *b, char out[72 + 256])
{
	if (b->has_digest || b->has_diff_id) {
		ld_memcpy(out, "sha256:", 7);
		ld_hex(out + 7, b->has_digest ? b->digest : b->diff_id, 32);
	} else {
		ld_strlcpy(out, b->name, 256);
	}
}

static long verify_pull(struct ld_src *s, const u8 **p)
{
	struct ld_verify *v = (struct ld_verify *)s;
	const struct ld_blob *b = v->blob;
	char label[72 + 256];
	long n = v->in->pull(v->in, p);
	if (n < 0)
		return n;
	if (n > 0) {
		v->count += (u64)n;
		if (v->sized && v->count > b->size) {
			ld_blob_label(b, label);
			return ld_fail(s->err, "blob %s is larger than the %llu bytes its descriptor says",
				       label, (unsigned long long)b->size);
		}
		ld_sha256_update(&v->sha, *p, (size_t)n);
		return n;
	}
	if (v->done)
		return 0;
	v->done = 1;
	ld_blob_label(b, label);
	if (v->sized && v->count != b->size)
		return ld_fail(s->err, "blob %s is %llu bytes, its descriptor says %llu", label,
			       (unsigned long long)v->count, (unsigned long long)b->size);
	u8 got[32];
	char hex[65];
	ld_sha256_final(&v->sha, got);
#ifndef LD_FUZZ_NO_DIGEST
	if (v->want && ld_memcmp(got, v->want, 32)) {
		ld_hex(hex, got, 32);
		if (v->want != b->digest) {
			char want[65];
			ld_hex(want, v->want, 32);
			return ld_fail(s->err, "blob %s: its uncompressed content is sha256:%s, the config's "
				       "diff_id says sha256:%s", label, hex, want);
		}
		return ld_fail(s->err, "blob %s: digest mismatch, content is sha256:%s", label, hex);
	}
#else
	(void)hex;
#endif
	return 0;
}

void ld_verify_init(struct ld_verify *v, struct ld_src *in, const struct ld_blob *b,
		    struct ld_err *err)
{
	v->src.pull = verify_pull;
	v->src.skip = 0;
	v->src.err = err;
	v->in = in;
	v->blob = b;
	v->want = b->has_digest ? b->digest : 0;
	v->sized = b->has_size;
	v->count = 0;
	v->done = 0;
	ld_sha256_init(&v->sha);
}

void ld_verify_tar_init(struct ld_verify *v, struct ld_src *in, const struct ld_blob *b,
			struct ld_err *err)
{
	ld_verify_init(v, in, b, err);
	v->want = b->has_diff_id ? b->diff_id : 0;
	v->sized = 0;
}

static long meter_pull(struct ld_src *s, const u8 **p)
{
	struct ld_meter *m = (struct ld_meter *)s;
	long n = m->in->pull(m->in, p);
	if (n <= 0)
		return n;
	m->out += (u64)n;
	*m->total += (u64)n;
	if (*m->total > m->lim->max_total)
		return ld_fail(s->err, "image unpacks to more than the %llu-byte limit",
			       (unsigned long long)m->lim->max_total);
	if (m->in_count && m->out > m->lim->ratio_floor &&
	    m->out / (*m->in_count ? *m->in_count : 1) > m->lim->max_ratio)
		return ld_fail(s->err, "layer expands more than %u times its compressed size "
			       "(compression bomb?)", m->lim->max_ratio);
	return n;
}

void ld_meter_init(struct ld_meter *m, struct ld_src *in, const u64 *in_count, u64 *total,
		   const struct ld_limits *lim, struct ld_err *err)
{
	m->src.pull = meter_pull;
	m->src.skip = 0;
	m->src.err = err;
	m->in = in;
	m->in_count = in_count;
	m->out = 0;
	m->total = total;
	m->lim = lim;
}
