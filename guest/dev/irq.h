/*
 * Device interrupts of the host partition's kernel (guest ring 0): what a
 * driver needs to take a physical device's interrupt.  hv passes every
 * physical interrupt on a vector in BH_VEC_DEV_FIRST..BH_VEC_DEV_LAST to the
 * host as a virtual interrupt and holds the local APIC's EOI until the host
 * says the vector is done (BH_HC_EOI, include/bulkhead/hypercall.h); the
 * dispatch here says so after the driver's handler returns, so drivers never
 * EOI.  Handlers run with interrupts off, like the rest of the kernel, and
 * must take all the work their device has pending (an edge-triggered line
 * that stays asserted raises no new interrupt).  Utility partitions have no
 * devices: there every call below fails with -ENODEV.
 *
 *   acpi.c    the ACPI tables from boot_info->rsdp (MADT: IOAPICs, overrides)
 *   ioapic.c  IOAPIC redirection entries, ISA IRQ -> GSI
 *   irq.c     vectors, the dispatch and its EOI, MSI messages, /proc/interrupts
 */
#ifndef BULKHEAD_GUEST_IRQ_H
#define BULKHEAD_GUEST_IRQ_H

#include <bulkhead/types.h>

/* irq.c */
/* At boot, host role: reads the MADT, masks every IOAPIC entry and the
 * legacy 8259s.  0, or -ENODEV when there is no MADT or IOAPIC (then only
 * MSI works, and a driver of an ISA or INTx device polls instead). */
int irq_init(void);
/* A free vector whose interrupts call fn(arg); name is what
 * /proc/interrupts shows (kept, not copied).  -> vector, or -ENOSPC. */
int irq_alloc(void (*fn)(void *arg), void *arg, const char *name);
/* The MSI (and MSI-X) message that raises vector on this CPU: fixed
 * delivery, edge, physical destination (the boot info's APIC ID). */
void irq_msi_message(int vector, u64 *addr, u32 *data);

/* ioapic.c */
/* Routes GSI gsi to vector (from irq_alloc), unmasked: level 1 for
 * level-triggered, active_low 1 for active-low.  0, -EINVAL (vector not
 * allocated), -ENODEV (no IOAPIC has that GSI), -EBUSY (routed to another
 * vector already: a shared line takes one vector). */
int irq_route_gsi(u32 gsi, int vector, int level, int active_low);
/* ISA IRQ isa_irq (0..15) as the MADT's interrupt source overrides give it:
 * its GSI, trigger and polarity (ISA's default: the same number, edge,
 * active high).  0, or -EINVAL for isa_irq > 15, -ENODEV without a MADT. */
int irq_isa_gsi(u32 isa_irq, u32 *gsi, int *level, int *active_low);

/* Within the interrupt layer. */
/* acpi.c: the table with signature sig (4 letters), checked; NULL if none. */
struct acpi_header {
	char sig[4];
	u32 length; /* bytes, this header included */
	u8 revision, checksum;
	char oem[6], oem_table[8];
	u32 oem_revision, creator, creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_header) == 36, "ACPI table header is 36 bytes");
const struct acpi_header *acpi_table(const char *sig);
/* ioapic.c: reads the MADT, masks every entry and the 8259s; 0 or -ENODEV. */
int ioapic_init(void);
/* irq.c: vector's line is gsi (for /proc/interrupts); 0, or -EINVAL if
 * vector is not allocated. */
int irq_note_gsi(int vector, u32 gsi, int level);

#endif
