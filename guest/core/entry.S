/* Guest kernel entry (ring 0, 64-bit, paging on, RDI = boot info) and the
 * fault-safe probes used by the monitor: each probe's first instruction may
 * fault; the exception table sends the fault to a `ret` with RAX = 0x100|vector.
 *
 * hv starts us at the PHYSICAL entry on its identity map of the first 4 GiB,
 * but the kernel is linked at KVBASE + physical.  Until the jump to `high`
 * everything here is position-independent: RIP-relative addresses are then
 * physical.  The kernel's own tables map the first 4 GiB three times with
 * 2 MiB pages: identity (dropped once processes exist), the direct map at
 * DIRECT_BASE, and the kernel image window at KVBASE (first GiB). */
	.section .text.entry, "ax"
	.global guest_entry
guest_entry:
	cli
	cld
	mov	%rdi, %r12
	/* SSE for user programs: CR4.OSFXSR | OSXMMEXCPT; CR0.MP on, EM off */
	mov	%cr4, %rax
	or	$0x600, %rax
	mov	%rax, %cr4
	mov	%cr0, %rax
	and	$~4, %rax
	or	$2, %rax
	mov	%rax, %cr0
	/* zero the 7 table pages */
	lea	boot_tables(%rip), %rdi
	mov	%rdi, %rbx
	mov	$7 * 512, %ecx
	xor	%eax, %eax
	rep stosq
	/* boot_tables: +0 PML4, +1 PDPT direct, +2 PDPT kernel, +3..+6 PDs */
	lea	3 * 4096(%rbx), %rdi
	mov	$0x83, %eax		/* P | W | PS */
	mov	$2048, %ecx
1:	mov	%rax, (%rdi)
	add	$0x200000, %rax
	add	$8, %rdi
	dec	%ecx
	jnz	1b
	lea	4096(%rbx), %rdi	/* PDPT direct[0..3] -> PDs */
	lea	3 * 4096 + 3(%rbx), %rax
	mov	$4, %ecx
2:	mov	%rax, (%rdi)
	add	$4096, %rax
	add	$8, %rdi
	dec	%ecx
	jnz	2b
	lea	3 * 4096 + 3(%rbx), %rax	/* PDPT kernel[510] -> first PD */
	mov	%rax, 2 * 4096 + 510 * 8(%rbx)
	lea	4096 + 3(%rbx), %rax
	mov	%rax, (%rbx)		/* PML4[0]: identity */
	mov	%rax, 256 * 8(%rbx)	/* PML4[256]: direct map */
	lea	2 * 4096 + 3(%rbx), %rax
	mov	%rax, 511 * 8(%rbx)	/* PML4[511]: kernel image */
	mov	%rbx, %cr3
	movabs	$high, %rax
	jmp	*%rax
high:
	lea	kstack_top(%rip), %rsp
	xor	%ebp, %ebp
	mov	%r12, %rdi
	call	kmain
3:	hlt
	jmp	3b

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
/* What a hostile utility partition tries (utility.c): each returns 0 or
 * 0x100 | the vector of the fault. */
PROBE wrmsr, "mov %edi, %ecx; mov %rsi, %rax; mov %rsi, %rdx; shr $32, %rdx", "wrmsr"
PROBE xsetbv, "mov %rdi, %rax; mov %rdi, %rdx; shr $32, %rdx; xor %ecx, %ecx", "xsetbv"
PROBE xrstor, "mov $-1, %eax; mov $-1, %edx", "xrstor64 (%rdi)"
PROBE invd, "nop", "invd"
PROBE wbinvd, "nop", "wbinvd"
PROBE monitor, "mov %rdi, %rax; xor %ecx, %ecx; xor %edx, %edx", "monitor"
PROBE mwait, "xor %eax, %eax; xor %ecx, %ecx", "mwait"
PROBE rdpmc, "xor %ecx, %ecx", "rdpmc"
PROBE rdtscp, "nop", "rdtscp"
PROBE invlpga, "xor %eax, %eax; xor %ecx, %ecx", "invlpga %rax, %ecx"
PROBE dr0, "nop", "mov %rdi, %db0"
PROBE dr1, "nop", "mov %rdi, %db1"
PROBE dr2, "nop", "mov %rdi, %db2"
PROBE dr3, "nop", "mov %rdi, %db3"
PROBE dr6, "nop", "mov %rdi, %db6"
PROBE dr7, "nop", "mov %rdi, %db7"

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
	.global boot_tables
boot_tables:
	.space 7 * 4096
kstack:
	.space 16384
kstack_top:
	.section .note.GNU-stack, "", @progbits
