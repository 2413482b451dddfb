/* Hardware virtualization detection (see detect.h). */
#include "detect.h"

#define MSR_VM_CR 0xc0010114u
#define VM_CR_SVMDIS (1u << 4)
#define MSR_FEATURE_CONTROL 0x3au
#define FC_LOCKED (1u << 0)
#define FC_VMX_OUTSIDE_SMX (1u << 2)
#define MSR_VMX_PROCBASED_CTLS 0x482u
#define MSR_VMX_PROCBASED_CTLS2 0x48bu

static void cpuid(u32 leaf, u32 sub, u32 r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

u32 bh_detect_virt(struct bh_virt_info *vi)
{
	u32 r[4];
	const char *svm_why = 0, *vmx_why = 0;

	vi->kind = BH_VIRT_NONE;
	vi->flags = 0;
	vi->detail = 0;

	/* AMD-V: CPUID 0x80000001 ECX[2]; VM_CR.SVMDIS clear; CPUID 0x8000000A EDX[0] (NP). */
	cpuid(0x80000000u, 0, r);
	u32 max_ext = r[0];
	if (max_ext >= 0x80000001u) {
		cpuid(0x80000001u, 0, r);
		if (r[2] & (1u << 2)) {
			if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
				svm_why = "AMD-V (SVM) is disabled by firmware (VM_CR.SVMDIS)";
			} else {
				u32 np = 0;
				if (max_ext >= 0x8000000au) {
					cpuid(0x8000000au, 0, r);
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
	cpuid(1, 0, r);
	if (r[2] & (1u << 5)) {
		u64 fc = rdmsr(MSR_FEATURE_CONTROL);
		if ((fc & FC_LOCKED) && !(fc & FC_VMX_OUTSIDE_SMX)) {
			vmx_why = "VT-x disabled by firmware (IA32_FEATURE_CONTROL locked without VMXON outside SMX)";
		} else {
			u32 ctls_hi = (u32)(rdmsr(MSR_VMX_PROCBASED_CTLS) >> 32);
			u32 ctls2_hi = 0;
			if (ctls_hi & (1u << 31)) /* "activate secondary controls" may be 1 */
				ctls2_hi = (u32)(rdmsr(MSR_VMX_PROCBASED_CTLS2) >> 32);
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
