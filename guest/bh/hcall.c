/* Finding hv and calling it (guest ring 0).  The hypercall instruction is the
 * one CPUID leaf BH_CPUID_INFO names: VMMCALL on AMD, VMCALL on Intel. */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "core/x86.h"
#include "bh/bh.h"

u32 hv_backend, hv_insn;
char hv_signature[13];

int hv_detect(void)
{
	u32 a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & CPUID1_ECX_HYPERVISOR))
		return -1; /* no hypervisor at all */
	cpuid(BH_CPUID_SIGNATURE, 0, &a, &b, &c, &d);
	memcpy(hv_signature + 0, &b, 4);
	memcpy(hv_signature + 4, &c, 4);
	memcpy(hv_signature + 8, &d, 4);
	if (memcmp(hv_signature, BH_SIGNATURE, 12) || a < BH_CPUID_INFO)
		return -1;
	cpuid(BH_CPUID_INFO, 0, &a, &b, &c, &d);
	hv_insn = a;
	hv_backend = c;
	return hv_insn == BH_HCINSN_VMCALL || hv_insn == BH_HCINSN_VMMCALL ? 0 : -1;
}

s64 hcall_ret(u64 nr, u64 a[4], u64 out[3])
{
	register u64 r10 __asm__("r10") = a[3];
	u64 rax = nr, rdi = a[0], rsi = a[1], rdx = a[2];
	if (hv_insn == BH_HCINSN_VMMCALL)
		__asm__ volatile("vmmcall" : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10) : : "memory");
	else
		__asm__ volatile("vmcall" : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10) : : "memory");
	if (out)
		out[0] = rdi, out[1] = rsi, out[2] = rdx;
	return (s64)rax;
}

s64 hcall(u64 nr, u64 a1, u64 a2, u64 a3, u64 a4)
{
	u64 a[4] = { a1, a2, a3, a4 };
	return hcall_ret(nr, a, 0);
}
