/*
 * IOAPICs (guest ring 0, host role): found in the ACPI MADT with the ISA
 * interrupt source overrides (ACPI 6.5, 5.2.12), all entries masked at boot,
 * then one redirection entry per routed GSI.  Without a MADT (OVMF makes
 * none when QEMU's fw_cfg is missing, as under Bochs) the PC's default of
 * the MultiProcessor Specification 1.4 is taken if an IOAPIC answers there:
 * one at 0xfec00000, ISA IRQs on their own pins but IRQ0 on pin 2, edge,
 * active high.  The host partition reaches the
 * IOAPICs' MMIO (uncached, by pass-through) and the legacy 8259s' ports; the
 * local APIC is hv's.  Register layout: Intel 82093AA IOAPIC datasheet (an
 * index at +0x00, a data window at +0x10; entry n at 0x10 + 2n, two halves).
 */
#include "linux.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "dev/irq.h"

#define IOAPIC_MAX 8
#define IOAPIC_VER 0x01
#define IOAPIC_REDIR 0x10
#define REDIR_MASKED (1u << 16)
#define REDIR_LEVEL (1u << 15)
#define REDIR_ACTIVE_LOW (1u << 13)
#define MADT_PCAT_COMPAT 1 /* MADT flags: the machine has 8259s too */
#define IOAPIC_DEFAULT 0xfec00000u

struct madt {
	struct acpi_header h;
	u32 lapic_addr, flags;
	u8 entries[];
} __attribute__((packed));

struct madt_ioapic { /* entry type 1 */
	u8 type, len, id, rsv;
	u32 addr, gsi_base;
} __attribute__((packed));

struct madt_override { /* entry type 2 */
	u8 type, len, bus, source;
	u32 gsi;
	u16 flags; /* MPS INTI flags: polarity bits 1:0, trigger bits 3:2 (3 = low / level) */
} __attribute__((packed));

static struct ioapic {
	volatile u32 *mmio;
	u32 gsi_base, pins;
} ioapics[IOAPIC_MAX];
static u32 nr_ioapics;
static struct { u32 gsi; int level, active_low; } isa[16];

static u32 io_read(struct ioapic *a, u32 reg)
{
	a->mmio[0] = reg;
	return a->mmio[4];
}

static void io_write(struct ioapic *a, u32 reg, u32 v)
{
	a->mmio[0] = reg;
	a->mmio[4] = v;
}

/* The IOAPIC at addr if its version register makes sense (0x1X: 82093AA
 * and kin, 0x20 chipset ones; bits 31:24 reserved), every entry masked. */
static void add_ioapic(u32 addr, u32 gsi_base)
{
	if (nr_ioapics == IOAPIC_MAX || addr & 0xfff || (u64)addr + 0x20 > DIRECT_SIZE)
		return;
	struct ioapic *a = &ioapics[nr_ioapics];
	a->mmio = p2v(addr);
	u32 ver = io_read(a, IOAPIC_VER);
	if ((ver & 0xff) < 0x10 || (ver & 0xff) > 0x2f || ver >> 24)
		return;
	nr_ioapics++;
	a->gsi_base = gsi_base;
	a->pins = ((ver >> 16) & 0xff) + 1;
	for (u32 pin = 0; pin < a->pins; pin++)
		io_write(a, IOAPIC_REDIR + 2 * pin, REDIR_MASKED);
}

static void add_override(const struct madt_override *e)
{
	if (e->bus != 0 || e->source > 15) /* bus 0: ISA */
		return;
	isa[e->source].gsi = e->gsi;
	isa[e->source].active_low = (e->flags & 3) == 3;
	isa[e->source].level = ((e->flags >> 2) & 3) == 3;
}

int ioapic_init(void)
{
	for (u32 i = 0; i < 16; i++)
		isa[i].gsi = i;
	const struct madt *m = (const struct madt *)acpi_table("APIC");
	if (m && m->h.length < sizeof *m)
		m = 0;
	for (u32 off = sizeof *m; m && off + 2 <= m->h.length;) {
		const u8 *e = (const u8 *)m + off;
		if (e[1] < 2 || off + e[1] > m->h.length)
			break;
		if (e[0] == 1 && e[1] >= sizeof(struct madt_ioapic))
			add_ioapic(((const struct madt_ioapic *)e)->addr, ((const struct madt_ioapic *)e)->gsi_base);
		else if (e[0] == 2 && e[1] >= sizeof(struct madt_override))
			add_override((const struct madt_override *)e);
		off += e[1];
	}
	if (!m) {
		add_ioapic(IOAPIC_DEFAULT, 0);
		isa[0].gsi = 2;
	}
	if (!m || m->flags & MADT_PCAT_COMPAT) { /* the 8259s would send ExtINTs: all masked */
		outb(0x21, 0xff);
		outb(0xa1, 0xff);
	}
	for (u32 i = 0; i < nr_ioapics; i++)
		kprintf("guest: IOAPIC at 0x%llx: GSIs %u..%u%s\n", v2p((const void *)ioapics[i].mmio),
			ioapics[i].gsi_base, ioapics[i].gsi_base + ioapics[i].pins - 1, m ? "" : " (no MADT: PC default)");
	return nr_ioapics ? 0 : -ENODEV;
}

int irq_isa_gsi(u32 isa_irq, u32 *gsi, int *level, int *active_low)
{
	if (isa_irq > 15)
		return -EINVAL;
	if (!nr_ioapics)
		return -ENODEV;
	*gsi = isa[isa_irq].gsi;
	*level = isa[isa_irq].level;
	*active_low = isa[isa_irq].active_low;
	return 0;
}

int irq_route_gsi(u32 gsi, int vector, int level, int active_low)
{
	for (u32 i = 0; i < nr_ioapics; i++) {
		struct ioapic *a = &ioapics[i];
		if (gsi < a->gsi_base || gsi - a->gsi_base >= a->pins)
			continue;
		u32 reg = IOAPIC_REDIR + 2 * (gsi - a->gsi_base), cur = io_read(a, reg);
		if (!(cur & REDIR_MASKED) && (cur & 0xff) != (u32)vector)
			return -EBUSY;
		int r = irq_note_gsi(vector, gsi, level);
		if (r)
			return r;
		io_write(a, reg + 1, boot_info->apic_id << 24); /* physical destination */
		io_write(a, reg, (u32)vector | (level ? REDIR_LEVEL : 0) | (active_low ? REDIR_ACTIVE_LOW : 0));
		return 0;
	}
	return -ENODEV;
}
