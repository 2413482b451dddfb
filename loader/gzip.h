/* gzip framing (RFC 1952) over the deflate decoder, as an ld_src: header
 * fields, multi-member files, CRC-32 and ISIZE checks.  Also the CRC-32
 * itself.  Freestanding; guest kernel and host. */
#ifndef BULKHEAD_LOADER_GZIP_H
#define BULKHEAD_LOADER_GZIP_H
#include "inflate.h"

u32 ld_crc32(u32 crc, const u8 *p, size_t n);

struct ld_gunzip {
	struct ld_src src;          /* decompressed bytes come out here */
	struct ld_inflate inf;
	int in_member;
	u32 crc, isize;
	u64 members;
};

/* Initializes g to decompress `in`.  g is large (see ld_inflate). */
int ld_gunzip_init(struct ld_gunzip *g, struct ld_src *in, struct ld_err *err);
#endif
