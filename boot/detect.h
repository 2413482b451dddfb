/*
 * Hardware virtualization detection: AMD-V with nested paging, or VT-x with
 * EPT.  Pure C plus inline CPUID/RDMSR (ring 0 only: RDMSR faults in user
 * mode), no EFI calls: usable by boot/ and hv/.
 */
#ifndef BULKHEAD_BOOT_DETECT_H
#define BULKHEAD_BOOT_DETECT_H

#include <bulkhead/types.h>

enum bh_virt_kind {
	BH_VIRT_NONE = 0,
	BH_VIRT_SVM = 1, /* AMD-V with nested paging (NPT) */
	BH_VIRT_VMX = 2, /* Intel VT-x with EPT */
};

/* bh_virt_info.flags */
#define BH_VIRT_F_UNRESTRICTED 1u /* VMX: unrestricted guest available */
#define BH_VIRT_F_FC_LOCKED 2u    /* VMX: IA32_FEATURE_CONTROL already locked (hv must not write it) */

struct bh_virt_info {
	u32 kind;           /* enum bh_virt_kind */
	u32 flags;          /* BH_VIRT_F_* */
	const char *detail; /* kind == NONE: why the CPU's virtualization is unusable, or 0 if it has none */
};

/* Fills *vi and returns vi->kind. SVM is preferred when both would be usable. */
u32 bh_detect_virt(struct bh_virt_info *vi);

#endif
