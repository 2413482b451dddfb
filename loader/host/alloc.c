/* The malloc allocator for the loader on the host (tool, tests, fuzzing). */
#include <stdlib.h>
#include "host.h"

static void *h_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return malloc(n);
}

static void h_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

struct ld_alloc ld_host_alloc = { h_alloc, h_free, 0 };
