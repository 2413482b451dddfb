/* Shared helpers for the libFuzzer targets (and the unit tests): a memory
 * stream that hands its bytes out in chunks of a chosen size, so chunk
 * boundaries get exercised too.  Host only. */
#ifndef BULKHEAD_LOADER_FUZZ_H
#define BULKHEAD_LOADER_FUZZ_H
#include "../host/host.h"

/* ld_host_alloc (host/alloc.c) is the allocator. */
#define fz_alloc_ops ld_host_alloc

struct fz_src {
	struct ld_src src;
	const u8 *p;
	size_t n, step;
};

static inline long fz_pull(struct ld_src *s, const u8 **p)
{
	struct fz_src *m = (struct fz_src *)s;
	size_t k = m->n < m->step ? m->n : m->step;
	*p = m->p;
	m->p += k;
	m->n -= k;
	return (long)k;
}

static inline void fz_src_setup(struct fz_src *m, const void *p, size_t n, size_t step,
				struct ld_err *e)
{
	m->src = (struct ld_src){ fz_pull, 0, e };
	m->p = p;
	m->n = n;
	m->step = step;
}

/* Uses the first input byte to choose the chunk size. */
static inline void fz_src_init(struct fz_src *m, const u8 *data, size_t size, struct ld_err *e)
{
	static const size_t steps[] = { 1, 7, 512, 4096, 1 << 20 };
	if (!size)
		fz_src_setup(m, data, 0, 1, e);
	else
		fz_src_setup(m, data + 1, size - 1, steps[data[0] % 5], e);
}
#endif
