/* The user/kernel boundary of the guest kernel (ring 0): the `syscall`
 * entry (into lib/traps.S's common path), task switching, and fault-safe
 * copies to and from user memory (faults resume at a fixup, __ex_table).
 * Frames match struct trap_frame (lib/traps.h); a syscall frame has vector
 * 0x80 and the syscall number in the error slot. */
	.text
	.global syscall_entry
syscall_entry:
	mov	%rsp, user_rsp_tmp(%rip)	/* IF is off (SFMASK): one CPU, safe */
	mov	cur_kstack_top(%rip), %rsp
	pushq	$0x23				/* ss */
	pushq	user_rsp_tmp(%rip)		/* rsp */
	push	%r11				/* rflags */
	pushq	$0x2b				/* cs */
	push	%rcx				/* rip */
	push	%rax				/* error slot: syscall number */
	pushq	$0x80				/* vector: trap_handler sends it to syscall_handler */
	jmp	trap_common			/* lib/traps.S: saves the registers */

/* A new task's first run: its stack holds a trap frame to return through. */
	.global fork_ret
fork_ret:
	mov	%rsp, %rdi
	call	user_return
	jmp	trap_return

/* void switch_to(u64 *save_ksp, u64 new_ksp) */
	.global switch_to
switch_to:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, (%rdi)
	mov	%rsi, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret

/* int __copy_user(void *dst, const void *src, u64 n): 0 or -EFAULT */
	.global __copy_user
__copy_user:			/* quadwords, then the tail, as memcpy */
	mov	%rdx, %rcx
	shr	$3, %rcx
1:	rep movsq
	mov	%rdx, %rcx
	and	$7, %rcx
2:	rep movsb
	xor	%eax, %eax
	ret
3:	mov	$-14, %eax
	ret
	.section __ex_table, "a"
	.quad	1b, 3b
	.quad	2b, 3b
	.previous

/* int __clear_user(void *dst, u64 n) */
	.global __clear_user
__clear_user:
	mov	%rsi, %rcx
	shr	$3, %rcx
	xor	%eax, %eax
1:	rep stosq
	mov	%rsi, %rcx
	and	$7, %rcx
2:	rep stosb
	ret
3:	mov	$-14, %eax
	ret
	.section __ex_table, "a"
	.quad	1b, 3b
	.quad	2b, 3b
	.previous

/* int __strncpy_user(char *dst, const char *src, u64 max): length,
 * -ENAMETOOLONG (no NUL in max bytes) or -EFAULT */
	.global __strncpy_user
__strncpy_user:
	xor	%eax, %eax
1:	cmp	%rdx, %rax
	jae	3f
2:	movb	(%rsi,%rax), %cl
	movb	%cl, (%rdi,%rax)
	test	%cl, %cl
	jz	4f
	inc	%rax
	jmp	1b
3:	mov	$-36, %eax
4:	ret
5:	mov	$-14, %eax
	ret
	.section __ex_table, "a"
	.quad	2b, 5b
	.previous

	.data
	.global cur_kstack_top
cur_kstack_top:	.quad 0
user_rsp_tmp:	.quad 0
	.section .note.GNU-stack, "", @progbits
