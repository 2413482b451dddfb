/* Hardware virtualization detection (see detect.h). */
#include "../lib/x86.h"
#include "detect.h"

u32 bh_detect_virt(struct bh_virt_info *vi)
{
	u32 r[4];
	const char *svm_why = 0, *vmx_why = 0;

	vi->kind = BH_VIRT_NONE;
	vi->flags = 0;
	vi->detail = 0;

	/* AMD-V: CPUID 0x80000001 ECX[2]; VM_CR.SVMDIS clear; CPUID 0x8000000A EDX[0] (NP). */
	cpuid(0x80000000u, 0, &r[0], &r[1], &r[2], &r[3]);
	u32 max_ext = r[0];
	if (max_ext >= 0x80000001u) {
		cpuid(0x80000001u, 0, &r[0], &r[1], &r[2], &r[3]);
		if (r[2] & (1u << 2)) {
			if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
				svm_why = "AMD-V (SVM) is disabled by firmware (VM_CR.SVMDIS)";
			} else {
				u32 np = 0;
				if (max_ext >= 0x8000000au) {
					cpuid(0x8000000au, 0, &r[0], &r[1], &r[2], &r[3]);
					np = r[3] & 1u;
				}
				if (np) {
					vi->kind = BH_VIRT_SVM;
					return vi->kind;
				}
				svm_why = "AMD-V (SVM) is present but has no nested paging";
			}
		}
	}

	/* VT-x: CPUID 1 ECX[5]; IA32_FEATURE_CONTROL; EPT in the secondary controls. */
	cpuid(1, 0, &r[0], &r[1], &r[2], &r[3]);
	if (r[2] & (1u << 5)) {
		u64 fc = rdmsr(MSR_FEATURE_CONTROL);
		if ((fc & FC_LOCKED) && !(fc & FC_VMXON_OUTSIDE_SMX)) {
			vmx_why = "VT-x disabled by firmware (IA32_FEATURE_CONTROL locked without VMXON outside SMX)";
		} else {
			u32 ctls_hi = (u32)(rdmsr(MSR_VMX_PROCBASED) >> 32);
			u32 ctls2_hi = 0;
			if (ctls_hi & (1u << 31)) /* "activate secondary controls" may be 1 */
				ctls2_hi = (u32)(rdmsr(MSR_VMX_PROCBASED2) >> 32);
			if (ctls2_hi & (1u << 1)) {
				vi->kind = BH_VIRT_VMX;
				if (ctls2_hi & (1u << 7))
					vi->flags |= BH_VIRT_F_UNRESTRICTED;
				if (fc & FC_LOCKED)
					vi->flags |= BH_VIRT_F_FC_LOCKED;
				return vi->kind;
			}
			vmx_why = "VT-x is present but has no EPT";
		}
	}
	vi->detail = svm_why ? svm_why : vmx_why;
	return vi->kind;
}
