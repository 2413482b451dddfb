/* SVM world switch (host mode, GIF clear, called from svm.c).
 * void svm_vmrun(u64 vmcb_pa, struct vcpu_regs *regs): loads the guest's general
 * registers (RAX and RSP live in the VMCB), runs it, and saves them back. */
	.text
	.global svm_vmrun
svm_vmrun:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rsi		/* regs, for after the exit */
	mov	%rdi, %rax
	mov	0x08(%rsi), %rcx
	mov	0x10(%rsi), %rdx
	mov	0x18(%rsi), %rbx
	mov	0x28(%rsi), %rbp
	mov	0x38(%rsi), %rdi
	mov	0x40(%rsi), %r8
	mov	0x48(%rsi), %r9
	mov	0x50(%rsi), %r10
	mov	0x58(%rsi), %r11
	mov	0x60(%rsi), %r12
	mov	0x68(%rsi), %r13
	mov	0x70(%rsi), %r14
	mov	0x78(%rsi), %r15
	mov	0x30(%rsi), %rsi
	vmload	%rax
	vmrun	%rax
	vmsave	%rax
	push	%rsi
	mov	8(%rsp), %rsi
	mov	%rcx, 0x08(%rsi)
	mov	%rdx, 0x10(%rsi)
	mov	%rbx, 0x18(%rsi)
	mov	%rbp, 0x28(%rsi)
	mov	%rdi, 0x38(%rsi)
	mov	%r8, 0x40(%rsi)
	mov	%r9, 0x48(%rsi)
	mov	%r10, 0x50(%rsi)
	mov	%r11, 0x58(%rsi)
	mov	%r12, 0x60(%rsi)
	mov	%r13, 0x68(%rsi)
	mov	%r14, 0x70(%rsi)
	mov	%r15, 0x78(%rsi)
	pop	%rax
	mov	%rax, 0x30(%rsi)
	pop	%rsi
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret
