/* Guest kernel entry (ring 0, 64-bit, paging on, RDI = boot info) and the
 * fault-safe probes used by the monitor: each probe's first instruction may
 * fault; the exception table sends the fault to a `ret` with RAX = 0x100|vector. */
	.section .text.entry, "ax"
	.global guest_entry
guest_entry:
	cli
	cld
	lea	kstack_top(%rip), %rsp
	xor	%ebp, %ebp
	call	kmain
1:	hlt
	jmp	1b

	.text
.macro PROBE name, setup, insn
	.global probe_\name
probe_\name:
	\setup
1:	\insn
	xor	%eax, %eax
	ret
	.section __ex_table, "a"
	.quad	1b, 2f
	.previous
2:	ret
.endm

PROBE vmrun, "xor %eax, %eax", "vmrun %rax"
PROBE vmload, "xor %eax, %eax", "vmload %rax"
PROBE vmsave, "xor %eax, %eax", "vmsave %rax"
PROBE stgi, "nop", "stgi"
PROBE clgi, "nop", "clgi"
PROBE skinit, "xor %eax, %eax", "skinit %eax"
PROBE vmxon, "nop", "vmxon (%rdi)"

/* u64 probe_read64(u64 addr): the value lands in probe_value. */
	.global probe_read64
probe_read64:
1:	mov	(%rdi), %rax
	mov	%rax, probe_value(%rip)
	xor	%eax, %eax
	ret
	.section __ex_table, "a"
	.quad	1b, 2f
	.previous
2:	ret

/* u64 probe_rdmsr(u32 msr) */
	.global probe_rdmsr
probe_rdmsr:
	mov	%edi, %ecx
1:	rdmsr
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, probe_value(%rip)
	xor	%eax, %eax
	ret
	.section __ex_table, "a"
	.quad	1b, 2f
	.previous
2:	ret

/* u64 probe_efer_svme(void): sets EFER.SVME, which a partition may not do. */
	.global probe_efer_svme
probe_efer_svme:
	mov	$0xc0000080, %ecx
	rdmsr
	or	$0x1000, %eax
1:	wrmsr
	xor	%eax, %eax
	ret
	.section __ex_table, "a"
	.quad	1b, 2f
	.previous
2:	ret

	.bss
	.align 4096
kstack:
	.space 16384
kstack_top:
	.section .note.GNU-stack, "", @progbits
