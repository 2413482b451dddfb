/*
 * What both world switches (svm/svm_run.S, vmx/vmx_run.S) share: assembler
 * macros over struct vcpu_regs (vcpu.h), whose offsets are the registers'
 * x86 numbers times 8.  RAX, RSP, RSI and RDI are each backend's own business:
 * RSP lives in the VMCB/VMCS, and one of RSI/RDI holds the struct's address.
 */
#ifndef BULKHEAD_HV_GPRS_H
#define BULKHEAD_HV_GPRS_H

#define VREGS_RAX 0x00
#define VREGS_RSI 0x30
#define VREGS_RDI 0x38

/* hv's callee-saved registers, around the guest's run */
.macro PUSH_CALLEE_SAVED
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
.endm
.macro POP_CALLEE_SAVED
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
.endm

/* GPRS_LOAD / GPRS_SAVE: RCX, RDX, RBX, RBP, R8-R15 from / to the struct
 * vcpu_regs at \base.  One list, so both directions follow one layout. */
.macro GPR_MOVE load, base, reg, off
.if \load
	mov	\off(\base), %\reg
.else
	mov	%\reg, \off(\base)
.endif
.endm
.macro GPRS load, base
	GPR_MOVE \load, \base, rcx, 0x08
	GPR_MOVE \load, \base, rdx, 0x10
	GPR_MOVE \load, \base, rbx, 0x18
	GPR_MOVE \load, \base, rbp, 0x28
	GPR_MOVE \load, \base, r8, 0x40
	GPR_MOVE \load, \base, r9, 0x48
	GPR_MOVE \load, \base, r10, 0x50
	GPR_MOVE \load, \base, r11, 0x58
	GPR_MOVE \load, \base, r12, 0x60
	GPR_MOVE \load, \base, r13, 0x68
	GPR_MOVE \load, \base, r14, 0x70
	GPR_MOVE \load, \base, r15, 0x78
.endm
#define GPRS_LOAD GPRS 1,
#define GPRS_SAVE GPRS 0,

#endif
