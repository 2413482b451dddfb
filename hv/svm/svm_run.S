/* SVM world switch (host mode, GIF clear, called from svm.c).
 * void svm_vmrun(u64 vmcb_pa, struct vcpu_regs *regs): loads the guest's general
 * registers (RAX and RSP live in the VMCB), runs it, and saves them back. */
#include "../gprs.h"
	.text
	.global svm_vmrun
svm_vmrun:
	PUSH_CALLEE_SAVED
	push	%rsi		/* regs, for after the exit */
	mov	%rdi, %rax
	GPRS_LOAD %rsi
	mov	VREGS_RDI(%rsi), %rdi
	mov	VREGS_RSI(%rsi), %rsi
	vmload	%rax
	vmrun	%rax
	vmsave	%rax
	push	%rsi
	mov	8(%rsp), %rsi
	GPRS_SAVE %rsi
	mov	%rdi, VREGS_RDI(%rsi)
	pop	%rax
	mov	%rax, VREGS_RSI(%rsi)
	pop	%rsi
	POP_CALLEE_SAVED
	ret
