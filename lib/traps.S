/* Interrupt and exception entry stubs shared by hv and the guest kernel (ring 0).
 * Every vector gets a 16-byte stub; all build a struct trap_frame (lib/traps.h)
 * and call trap_handler(frame), which each of them defines. */
/* One stub per vector: push a zero error code where the CPU does not, push the
 * vector, then save the general registers into a struct trap_frame. */
	.text
.macro STUB vec
	.align 16
stub_\vec:
	.if !(\vec == 8 || (\vec >= 10 && \vec <= 14) || \vec == 17 || \vec == 21 || \vec == 29 || \vec == 30)
	push	$0
	.endif
	push	$\vec
	jmp	trap_common
.endm

	.align 16
	.global trap_stubs
trap_stubs:
.altmacro
.set i, 0
.rept 256
	STUB %i
	.set i, i + 1
.endr

	.global trap_common
trap_common:
	cld			/* the ABI's DF=0: an interrupt keeps the interrupted code's DF */
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rdi
	call	trap_handler
	.global trap_return	/* the guest kernel's syscall and new-task paths */
trap_return:
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp
	iretq

	.section .note.GNU-stack, "", @progbits
