/*
 * lwIP's architecture header for the guest kernel: x86-64, little endian,
 * freestanding.  An lwIP assertion stops the partition with its message
 * (lwip_panic, sys_arch.c); lwIP's diagnostics go to the kernel log.
 */
#ifndef BULKHEAD_LWIP_ARCH_CC_H
#define BULKHEAD_LWIP_ARCH_CC_H

#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_UNISTD_H 1
#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "lu"
/* The compiler's limits.h defines SSIZE_MAX, so lwIP's arch.h leaves
 * ssize_t to unistd.h, which a freestanding kernel lacks (etharp.h uses it). */
typedef long ssize_t;

void lwip_panic(const char *msg, int line, const char *file) __attribute__((noreturn));
#ifndef BULKHEAD_GUEST_KERNEL_H /* core/kernel.h, where lwIP meets the kernel */
void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
#define LWIP_PLATFORM_ASSERT(x) lwip_panic(x, __LINE__, __FILE__)
#define LWIP_PLATFORM_DIAG(x) do { klog x; } while (0)

#endif
