/* Fixed-width types for freestanding code (boot, hv, guest) and host tools alike. */
#ifndef BULKHEAD_TYPES_H
#define BULKHEAD_TYPES_H

#include <stdint.h>
#include <stddef.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef unsigned long long u64; /* %llx, on every compiler */
typedef int32_t s32;
typedef long long s64;

#define BH_PAGE_SIZE 4096ull
#define BH_PAGE_SHIFT 12
#define BH_ALIGN_UP(x, a) (((x) + (a) - 1) & ~((u64)(a) - 1))
#define BH_ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define BH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
