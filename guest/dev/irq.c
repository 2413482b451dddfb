/*
 * Device vectors of the host partition's kernel (guest ring 0): irq_alloc
 * hands them out, trap.c passes every one that comes in to the dispatch here,
 * which runs the driver's handler and then tells hv the vector is done
 * (BH_HC_EOI: hv holds the local APIC's EOI until then; see hypercall.h).
 * /proc/interrupts counts them in Linux's format.
 */
#include "../../lib/fmt.h"
#include "linux.h"
#include "core/kernel.h"
#include "bh/bh.h"
#include "fs/vfs.h"
#include "dev/irq.h"

#define NR_DEV (BH_VEC_DEV_LAST - BH_VEC_DEV_FIRST + 1)

static struct {
	void (*fn)(void *arg);
	void *arg;
	const char *name;
	const char *chip; /* "IO-APIC", "PCI-MSI", or NULL while neither */
	u32 gsi;
	int level;
	u64 count;
} dev[NR_DEV];            /* [vector - BH_VEC_DEV_FIRST], the first nr_dev in use */
static u32 nr_dev;
static u64 stray;         /* vectors nobody allocated */
static int ready;

static void dispatch(u8 vector)
{
	u32 i = vector - BH_VEC_DEV_FIRST;
	if (i < nr_dev) {
		dev[i].count++;
		dev[i].fn(dev[i].arg);
	} else {
		stray++;
	}
	hcall(BH_HC_EOI, vector, 0, 0, 0);
}

int irq_alloc(void (*fn)(void *arg), void *arg, const char *name)
{
	if (!ready)
		return -ENODEV;
	if (nr_dev == NR_DEV)
		return -ENOSPC;
	dev[nr_dev] = (typeof(dev[0])){ .fn = fn, .arg = arg, .name = name };
	return BH_VEC_DEV_FIRST + (int)nr_dev++;
}

static int allocated(int vector) { return vector >= BH_VEC_DEV_FIRST && vector - BH_VEC_DEV_FIRST < (int)nr_dev; }

int irq_note_gsi(int vector, u32 gsi, int level)
{
	if (!allocated(vector))
		return -EINVAL;
	dev[vector - BH_VEC_DEV_FIRST].chip = "IO-APIC";
	dev[vector - BH_VEC_DEV_FIRST].gsi = gsi;
	dev[vector - BH_VEC_DEV_FIRST].level = level;
	return 0;
}

/* Intel SDM vol. 3A, "Message Signalled Interrupts": address 0xfee00000
 * with the destination APIC ID in bits 19:12; data: the vector, fixed
 * delivery, edge, asserted. */
void irq_msi_message(int vector, u64 *addr, u32 *data)
{
	*addr = 0xfee00000ull | (u64)(boot_info->apic_id & 0xff) << 12;
	*data = (u32)(vector & 0xff) | 1u << 14;
	if (allocated(vector))
		dev[vector - BH_VEC_DEV_FIRST].chip = "PCI-MSI";
}

/* /proc/interrupts, as Linux prints it for one CPU; the first column is
 * the vector.  LOC: the paravirtual timer's ticks; ERR: stray vectors. */
static int g_interrupts(struct task *t, char *b, int n)
{
	(void)t;
	int k = bh_snprintf(b, (size_t)n, "           CPU0\n");
	for (u32 i = 0; i < nr_dev; i++) {
		char line[24] = "";
		if (dev[i].chip && dev[i].chip[0] == 'I')
			bh_snprintf(line, sizeof line, "%u-%s", dev[i].gsi, dev[i].level ? "fasteoi" : "edge");
		else if (dev[i].chip)
			bh_snprintf(line, sizeof line, "0-edge");
		k += bh_snprintf(b + k, (size_t)(k < n ? n - k : 0), "%3u: %10llu  %-8s %-12s %s\n",
				 BH_VEC_DEV_FIRST + i, dev[i].count, dev[i].chip ? dev[i].chip : "-", line,
				 dev[i].name);
	}
	k += bh_snprintf(b + k, (size_t)(k < n ? n - k : 0), "LOC: %10llu   Local timer interrupts\nERR: %10llu\n",
			 ticks, stray);
	return k;
}

int irq_init(void)
{
	irq_register_devices(dispatch);
	ready = 1;
	procfs_register("interrupts", g_interrupts);
	return ioapic_init();
}
