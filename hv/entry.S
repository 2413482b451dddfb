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

	.bss
	.align 4096
hv_stack:
	.space 16384
hv_stack_top:
