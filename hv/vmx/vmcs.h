/*
 * Intel VT-x architectural constants (SDM vol. 3C): VMCS field encodings
 * (appendix B), exit reasons (appendix C), execution-control bits (chapter 25)
 * and the VMX capability MSRs (appendix A).  Private to the VMX backend.
 */
#ifndef BULKHEAD_HV_VMX_VMCS_H
#define BULKHEAD_HV_VMX_VMCS_H

/* VMX capability MSRs */
#define MSR_VMX_BASIC 0x480u /* 30:0 revision id, bit 55 TRUE controls */
#define VMX_BASIC_TRUE_CTLS (1ull << 55)
#define MSR_VMX_PINBASED 0x481u /* + 0xc: the TRUE variant of 0x481..0x484 */
#define MSR_VMX_EXIT 0x483u
#define MSR_VMX_ENTRY 0x484u
#define MSR_VMX_TRUE_OFFSET 0xcu
#define MSR_VMX_CR0_FIXED0 0x486u /* CR4 pair at +2 */
#define MSR_VMX_CR0_FIXED1 0x487u
#define MSR_VMX_EPT_VPID_CAP 0x48cu
#define MSR_VMX_LAST 0x491u /* VMFUNC */
#define EPT_CAP_WALK4 (1ull << 6)
#define EPT_CAP_WB (1ull << 14)
#define EPT_CAP_2M (1ull << 16)
#define EPT_CAP_1G (1ull << 17)
#define EPT_CAP_INVEPT (1ull << 20)
#define EPT_CAP_INVEPT_ALL (1ull << 26)
#define VPID_CAP_INVVPID (1ull << 32)
#define VPID_CAP_INVVPID_ALL (1ull << 42)

/* Pin-based controls */
#define PIN_EXT_INTR_EXIT (1u << 0)
#define PIN_NMI_EXIT (1u << 3)
/* Primary processor-based controls */
#define PROC_INTR_WINDOW (1u << 2)
#define PROC_HLT_EXIT (1u << 7)
#define PROC_INVLPG_EXIT (1u << 9)
#define PROC_MWAIT_EXIT (1u << 10)
#define PROC_RDPMC_EXIT (1u << 11)
#define PROC_RDTSC_EXIT (1u << 12)
#define PROC_CR3_LOAD_EXIT (1u << 15)
#define PROC_CR3_STORE_EXIT (1u << 16)
#define PROC_CR8_LOAD_EXIT (1u << 19)
#define PROC_CR8_STORE_EXIT (1u << 20)
#define PROC_MOV_DR_EXIT (1u << 23)
#define PROC_UNCOND_IO_EXIT (1u << 24)
#define PROC_IO_BITMAPS (1u << 25)
#define PROC_MSR_BITMAPS (1u << 28)
#define PROC_MONITOR_EXIT (1u << 29)
#define PROC_PAUSE_EXIT (1u << 30)
#define PROC_SECONDARY (1u << 31)
/* Secondary processor-based controls */
#define PROC2_EPT (1u << 1)
#define PROC2_RDTSCP (1u << 3)
#define PROC2_VPID (1u << 5)
#define PROC2_WBINVD_EXIT (1u << 6)
#define PROC2_INVPCID (1u << 12)
#define PROC2_XSAVES (1u << 20)
/* VM-exit controls */
#define EXIT_SAVE_DEBUG (1u << 2)
#define EXIT_HOST_64 (1u << 9)
#define EXIT_ACK_INTR (1u << 15)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_LOAD_EFER (1u << 21)
/* VM-entry controls */
#define ENTRY_LOAD_DEBUG (1u << 2)
#define ENTRY_GUEST_64 (1u << 9)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)

/* 16-bit fields */
#define VMCS_VPID 0x0000
#define VMCS_GUEST_SEL 0x0800 /* + 2 * segment: ES CS SS DS FS GS LDTR TR */
#define VMCS_HOST_ES 0x0c00
#define VMCS_HOST_CS 0x0c02
#define VMCS_HOST_SS 0x0c04
#define VMCS_HOST_DS 0x0c06
#define VMCS_HOST_FS 0x0c08
#define VMCS_HOST_GS 0x0c0a
#define VMCS_HOST_TR 0x0c0c
/* 64-bit fields */
#define VMCS_IO_BITMAP_A 0x2000
#define VMCS_IO_BITMAP_B 0x2002
#define VMCS_MSR_BITMAP 0x2004
#define VMCS_TSC_OFFSET 0x2010
#define VMCS_EPTP 0x201a
#define VMCS_GUEST_PHYS 0x2400 /* read-only: EPT violation address */
#define VMCS_LINK 0x2800
#define VMCS_GUEST_DEBUGCTL 0x2802
#define VMCS_GUEST_PAT 0x2804
#define VMCS_GUEST_EFER 0x2806
#define VMCS_HOST_PAT 0x2c00
#define VMCS_HOST_EFER 0x2c02
/* 32-bit fields */
#define VMCS_PIN 0x4000
#define VMCS_PROC 0x4002
#define VMCS_EXC_BITMAP 0x4004
#define VMCS_PF_MASK 0x4006
#define VMCS_PF_MATCH 0x4008
#define VMCS_CR3_TARGETS 0x400a
#define VMCS_EXIT_CTLS 0x400c
#define VMCS_EXIT_MSR_STORES 0x400e
#define VMCS_EXIT_MSR_LOADS 0x4010
#define VMCS_ENTRY_CTLS 0x4012
#define VMCS_ENTRY_MSR_LOADS 0x4014
#define VMCS_ENTRY_INTR 0x4016 /* vector 7:0, type 10:8, error 11, valid 31 */
#define VMCS_ENTRY_ERROR 0x4018
#define VMCS_ENTRY_INSN_LEN 0x401a
#define VMCS_PROC2 0x401e
#define VMCS_INSN_ERROR 0x4400 /* read-only exit information, to 0x440e */
#define VMCS_EXIT_REASON 0x4402
#define VMCS_EXIT_INTR 0x4404
#define VMCS_IDT_VECTORING 0x4408
#define VMCS_IDT_VECTORING_ERROR 0x440a
#define VMCS_EXIT_INSN_LEN 0x440c
#define VMCS_GUEST_LIMIT 0x4800 /* + 2 * segment */
#define VMCS_GUEST_GDTR_LIMIT 0x4810
#define VMCS_GUEST_IDTR_LIMIT 0x4812
#define VMCS_GUEST_AR 0x4814 /* + 2 * segment */
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824 /* bit 0 STI, bit 1 MOV SS blocking */
#define VMCS_GUEST_ACTIVITY 0x4826
#define VMCS_GUEST_SYSENTER_CS 0x482a
#define VMCS_HOST_SYSENTER_CS 0x4c00
/* natural-width fields */
#define VMCS_CR0_MASK 0x6000
#define VMCS_CR4_MASK 0x6002
#define VMCS_CR0_SHADOW 0x6004
#define VMCS_CR4_SHADOW 0x6006
#define VMCS_EXIT_QUAL 0x6400
#define VMCS_GUEST_CR0 0x6800
#define VMCS_GUEST_CR3 0x6802
#define VMCS_GUEST_CR4 0x6804
#define VMCS_GUEST_BASE 0x6806 /* + 2 * segment */
#define VMCS_GUEST_GDTR_BASE 0x6816
#define VMCS_GUEST_IDTR_BASE 0x6818
#define VMCS_GUEST_DR7 0x681a
#define VMCS_GUEST_RSP 0x681c
#define VMCS_GUEST_RIP 0x681e
#define VMCS_GUEST_RFLAGS 0x6820
#define VMCS_GUEST_PENDING_DBG 0x6822
#define VMCS_GUEST_SYSENTER_ESP 0x6824
#define VMCS_GUEST_SYSENTER_EIP 0x6826
#define VMCS_HOST_CR0 0x6c00
#define VMCS_HOST_CR3 0x6c02
#define VMCS_HOST_CR4 0x6c04
#define VMCS_HOST_FS_BASE 0x6c06
#define VMCS_HOST_GS_BASE 0x6c08
#define VMCS_HOST_TR_BASE 0x6c0a
#define VMCS_HOST_GDTR_BASE 0x6c0c
#define VMCS_HOST_IDTR_BASE 0x6c0e
#define VMCS_HOST_SYSENTER_ESP 0x6c10
#define VMCS_HOST_SYSENTER_EIP 0x6c12
#define VMCS_HOST_RSP 0x6c14 /* written by vmx_enter (vmx_run.S) */
#define VMCS_HOST_RIP 0x6c16

#ifndef __ASSEMBLER__
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR };
#endif

/* VMCS_ENTRY_INTR */
#define INTR_TYPE_EXTERNAL (0u << 8)
#define INTR_TYPE_NMI (2u << 8)
#define INTR_TYPE_EXCEPTION (3u << 8)
#define INTR_TYPE_SOFT_INTR (4u << 8) /* 4, 5 (privileged software exception), 6 (software exception): */
#define INTR_TYPE_MASK (7u << 8)      /* these take an instruction length */
#define INTR_NMI_UNBLOCKED (1u << 12) /* IDT-vectoring information only */
#define INTR_ERROR_VALID (1u << 11)
#define INTR_VALID (1u << 31)

/* Basic exit reasons (bits 15:0 of VMCS_EXIT_REASON; bit 31 = entry failed) */
#define EXIT_EXCEPTION_NMI 0 /* VMCS_EXIT_INTR says which */
#define EXIT_EXTINT 1
#define EXIT_TRIPLE_FAULT 2
#define EXIT_INTR_WINDOW 7
#define EXIT_CPUID 10
#define EXIT_HLT 12
#define EXIT_INVD 13
#define EXIT_RDPMC 15
#define EXIT_VMCALL 18
#define EXIT_VMCLEAR 19 /* ... through VMXON, 27 */
#define EXIT_VMXON 27
#define EXIT_CR_ACCESS 28 /* qualification: CR 3:0, type 5:4, GPR 11:8 */
#define EXIT_IO 30
#define EXIT_RDMSR 31
#define EXIT_WRMSR 32
#define EXIT_MWAIT 36
#define EXIT_MONITOR 39
#define EXIT_MCE_ENTRY 41 /* a machine check during VM entry */
#define EXIT_EPT_VIOLATION 48
#define EXIT_INVEPT 50
#define EXIT_INVVPID 53
#define EXIT_WBINVD 54
#define EXIT_XSETBV 55
#define EXIT_ENTRY_FAILED (1u << 31)

/* EPT pointer: write-back, four-level walk */
#define EPTP_WB_4LEVEL (6u | 3u << 3)

#endif
