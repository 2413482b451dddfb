/* SHA-256 (FIPS 180-4), streaming.  Freestanding; guest kernel and host. */
#ifndef BULKHEAD_LOADER_SHA256_H
#define BULKHEAD_LOADER_SHA256_H
#include "ld.h"

struct ld_sha256 {
	u32 h[8];
	u64 len;
	u8 buf[64];
	u32 nbuf;
};

/* Round constants, and an optional faster block function a host may install
 * (e.g. SHA-NI); NULL uses the portable one. */
extern const u32 ld_sha256_k[64];
extern void (*ld_sha256_blocks)(u32 h[8], const u8 *p, size_t nblocks);

void ld_sha256_init(struct ld_sha256 *s);
void ld_sha256_update(struct ld_sha256 *s, const void *p, size_t n);
void ld_sha256_final(struct ld_sha256 *s, u8 out[32]);
#endif
