/* VMX world switch (root mode, interrupts off, called from vmx.c).
 * int vmx_enter(struct vcpu_regs *regs, int launched): loads the guest's general
 * registers (RSP and RIP live in the VMCS), enters it with VMLAUNCH or VMRESUME
 * and returns 1 if that instruction failed (see VMCS_INSN_ERROR).  The exit
 * arrives at vmx_exit (VMCS_HOST_RIP) on the stack vmx_enter left in
 * VMCS_HOST_RSP; it saves the guest's registers and returns 0. */
#include "../gprs.h"
#include "vmcs.h"
	.text
	.global vmx_enter, vmx_exit
vmx_enter:
	PUSH_CALLEE_SAVED
	push	%rdi		/* regs, for after the exit */
	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	test	%esi, %esi	/* ZF survives the loads below */
	GPRS_LOAD %rdi
	mov	VREGS_RAX(%rdi), %rax
	mov	VREGS_RSI(%rdi), %rsi
	mov	VREGS_RDI(%rdi), %rdi
	jnz	1f
	vmlaunch
	jmp	2f
1:	vmresume
2:	pop	%rdi		/* VMfail: the guest never ran */
	mov	$1, %eax
	jmp	3f

vmx_exit:
	push	%rdi		/* the guest's */
	mov	8(%rsp), %rdi
	GPRS_SAVE %rdi
	mov	%rax, VREGS_RAX(%rdi)
	mov	%rsi, VREGS_RSI(%rdi)
	popq	VREGS_RDI(%rdi)
	pop	%rdi
	xor	%eax, %eax
3:	POP_CALLEE_SAVED
	ret
