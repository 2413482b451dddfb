/* hv entry from boot/ (UEFI identity paging, long mode, any stack): switch to
 * hv's own stack and call hv_main(boot_info) in C. */
	.section .text.entry, "ax"
	.global hv_entry
hv_entry:
	cli
	cld
	lea	hv_stack_top(%rip), %rsp
	xor	%ebp, %ebp
	call	hv_main
1:	hlt
	jmp	1b

/* void rsb_fill(void): fills the return stack buffer with 32 harmless entries
 * (each a call whose speculated return lands on a pause/lfence loop), so no
 * return hv makes is predicted from what a partition left there. */
	.text
	.global rsb_fill
rsb_fill:
	mov	%rsp, %rax
	mov	$16, %ecx
1:	call	2f
3:	pause
	lfence
	jmp	3b
2:	call	4f
5:	pause
	lfence
	jmp	5b
4:	dec	%ecx
	jnz	1b
	mov	%rax, %rsp
	ret

	.bss
	.align 4096
hv_stack:
	.space 16384
hv_stack_top:
