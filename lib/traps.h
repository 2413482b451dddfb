/* Trap frames and descriptor-table set-up shared by hv and the guest kernel. */
#ifndef BULKHEAD_LIB_TRAPS_H
#define BULKHEAD_LIB_TRAPS_H

#include <bulkhead/types.h>

/* What lib/traps.S pushes, lowest address first. */
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error, rip, cs, rflags, rsp, ss;
};

/* Defined by each user of lib/traps.S. */
void trap_handler(struct trap_frame *f);

/* Exception mnemonics for vectors 0..31 ("#GP"); "?" where unnamed. */
const char *trap_name(u64 vector);

/* Loads gdt (code selector 0x08, data 0x10), reloads the segment registers,
 * points every vector of idt (256 16-byte gates) at its stub and loads it.
 * Vectors in user_vectors (a bitmap of 256) get DPL 3. */
void desc_load(const u64 *gdt, u16 gdt_bytes, void *idt, const u64 *user_vectors);
/* Writes a 64-bit TSS descriptor for tss into gdt at selector sel (two slots)
 * and loads the task register with it. */
void desc_tss(u64 *gdt, u16 sel, void *tss, u32 size);

#endif
