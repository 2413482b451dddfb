/*
 * The x86-64 CPU, written once for boot/, hv/ and the guest kernel: MSR
 * numbers, control-register, EFER and RFLAGS bits, exception vectors, page-table
 * bits (facts from the Intel SDM and AMD APM), and the instructions they wrap.
 * Header only; any privilege level that may run the instruction.
 */
#ifndef BULKHEAD_LIB_X86_H
#define BULKHEAD_LIB_X86_H

#include <bulkhead/types.h>

#define MSR_EFER 0xc0000080u
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define EFER_SVME (1ull << 12)
#define MSR_TSC 0x10u
#define MSR_FEATURE_CONTROL 0x3au
#define FC_LOCKED (1ull << 0)
#define FC_VMXON_OUTSIDE_SMX (1ull << 2)
#define MSR_APIC_BASE 0x1bu
#define MSR_SPEC_CTRL 0x48u      /* IBRS, STIBP, SSBD */
#define MSR_PRED_CMD 0x49u       /* write 1: IBPB */
#define MSR_ARCH_CAPABILITIES 0x10au
#define ARCH_CAP_RDCL_NO (1ull << 0) /* not affected by L1TF (Meltdown) */
#define ARCH_CAP_MDS_NO (1ull << 5)
#define MSR_FLUSH_CMD 0x10bu     /* write 1: flush the L1 data cache */
#define MSR_SYSENTER_CS 0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u
#define MSR_PAT 0x277u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_CSTAR 0xc0000083u
#define MSR_SFMASK 0xc0000084u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_TSC_AUX 0xc0000103u
#define MSR_VM_CR 0xc0010114u
#define VM_CR_SVMDIS (1ull << 4)
#define MSR_VM_HSAVE_PA 0xc0010117u
#define MSR_VMX_PROCBASED 0x482u  /* VMX capability MSRs: the rest in hv/vmx/vmcs.h */
#define MSR_VMX_PROCBASED2 0x48bu

/* RFLAGS */
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_DF (1ull << 10)

/* CPUID.1:ECX bit 31: running under a hypervisor */
#define CPUID1_ECX_HYPERVISOR (1u << 31)

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_VMXE (1ull << 13)
#define CR4_OSXSAVE (1ull << 18)
#define CR4_PKE (1ull << 22)

/* XCR0: the state components XSAVE manages. */
#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)
#define XCR0_AVX512 (7ull << 5) /* opmask, ZMM_Hi256, Hi16_ZMM: all or none */

/* Exception vectors. */
#define X86_DE 0
#define X86_DB 1
#define X86_NMI 2
#define X86_BP 3
#define X86_UD 6
#define X86_DF 8
#define X86_GP 13
#define X86_PF 14
#define X86_MF 16
#define X86_AC 17
#define X86_MC 18
#define X86_XM 19

/* Page-table entry bits (legacy/NPT format). */
#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline void xsetbv(u32 xcr, u64 v)
{
	__asm__ volatile("xsetbv" : : "c"(xcr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline u64 xgetbv(u32 xcr)
{
	u32 lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(xcr));
	return ((u64)hi << 32) | lo;
}

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline u16 inw(u16 port)
{
	u16 v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u32 inl(u16 port)
{
	u32 v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#define READ_CR(n)                                                  \
	static inline u64 read_cr##n(void)                          \
	{                                                           \
		u64 v;                                              \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));   \
		return v;                                           \
	}                                                           \
	static inline void write_cr##n(u64 v)                       \
	{                                                           \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); \
	}
READ_CR(0)
READ_CR(2)
READ_CR(3)
READ_CR(4)
#undef READ_CR

static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void halt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline void pause(void) { __asm__ volatile("pause"); }

#endif /* BULKHEAD_LIB_X86_H */
