/* Descriptor tables for ring-0 code: hv (root mode) and the guest kernel. */
#include "traps.h"

struct idt_entry {
	u16 off_lo, sel;
	u8 ist, type;
	u16 off_mid;
	u32 off_hi, zero;
};
_Static_assert(sizeof(struct idt_entry) == 16, "IDT gate is 16 bytes");

extern char trap_stubs[];

static const char *const names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP",
	"#SS", "#GP", "#PF", 0, "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

const char *trap_name(u64 vector)
{
	return vector < 32 && names[vector] ? names[vector] : "?";
}

void desc_load(const u64 *gdt, u16 gdt_bytes, void *idt_mem, const u64 *user_vectors)
{
	struct __attribute__((packed)) { u16 limit; u64 base; } gdtr = { (u16)(gdt_bytes - 1), (u64)(uintptr_t)gdt },
		idtr = { 256 * 16 - 1, (u64)(uintptr_t)idt_mem };
	struct idt_entry *idt = idt_mem;

	__asm__ volatile("lgdt %0\n\t"
			 "mov $0x10, %%eax\n\t"
			 "mov %%eax, %%ds\n\t"
			 "mov %%eax, %%es\n\t"
			 "mov %%eax, %%ss\n\t"
			 "xor %%eax, %%eax\n\t"
			 "mov %%eax, %%fs\n\t"
			 "mov %%eax, %%gs\n\t"
			 "pushq $0x08\n\t"
			 "lea 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:"
			 : : "m"(gdtr) : "rax", "memory");
	for (int v = 0; v < 256; v++) {
		u64 off = (u64)(uintptr_t)trap_stubs + (u64)v * 16;
		int user = user_vectors && ((user_vectors[v / 64] >> (v % 64)) & 1);
		idt[v] = (struct idt_entry){ .off_lo = (u16)off, .sel = 0x08, .type = (u8)(user ? 0xee : 0x8e),
					     .off_mid = (u16)(off >> 16), .off_hi = (u32)(off >> 32) };
	}
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void desc_tss(u64 *gdt, u16 sel, void *tss, u32 size)
{
	u64 base = (u64)(uintptr_t)tss, limit = size - 1;
	gdt[sel / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 /* present, available TSS */ |
		       (limit >> 16 & 0xf) << 48 | (base >> 24 & 0xff) << 56;
	gdt[sel / 8 + 1] = base >> 32;
	__asm__ volatile("ltr %0" : : "r"(sel));
}
