/*
 * The x86-64 CPU as the guest kernel uses it (ring 0 of a partition): the
 * shared lib/x86.h (instructions, MSRs, flag bits, vectors) and what only
 * this kernel defines: its GDT's selectors and the page-fault error bits.
 */
#ifndef BULKHEAD_GUEST_X86_H
#define BULKHEAD_GUEST_X86_H

#include "../../lib/x86.h"

/* Selectors of the guest kernel's GDT (trap.c) */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE32 0x18 /* STAR's user base: +8 data, +16 64-bit code */
#define SEL_UDATA (0x20 | 3)
#define SEL_UCODE (0x28 | 3)
#define SEL_TSS 0x30

#define PF_WRITE 2ull /* page-fault error code: a write */

#endif
