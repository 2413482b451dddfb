/*
 * PCI (guest ring 0, host role): configuration space through the ports
 * 0xcf8/0xcfc (configuration mechanism #1, which every PC chipset QEMU and
 * Bochs offer has), the devices on bus 0 and behind PCI-to-PCI bridges,
 * their BARs, capability lists and MSI-X.  The host partition owns every
 * I/O port and all device memory (hv passes them through; device memory
 * uncached), so nothing here asks hv.  Drivers find their devices with
 * pci_find; config space is read as the device says, and what it says is
 * bounded (a capability list walks at most 48 entries, a BAR must fit the
 * address space).
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "dev/dev.h"

#define CFG_ADDR 0xcf8
#define CFG_DATA 0xcfc
#define PCI_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS 0x08        /* revision, prog-if, subclass, class */
#define PCI_HEADER 0x0e
#define PCI_BAR0 0x10
#define PCI_SECONDARY 0x19    /* a bridge's secondary bus */
#define PCI_CAP_PTR 0x34
#define PCI_IRQ_LINE 0x3c
#define PCI_IRQ_PIN 0x3d
#define CMD_IO 0x1
#define CMD_MEM 0x2
#define CMD_MASTER 0x4
#define CMD_INTX_OFF 0x400
#define STATUS_CAPS 0x10
#define MSIX_ENABLE 0x8000    /* message control */
#define MSIX_MASKALL 0x4000

static struct pci_dev devs[PCI_MAX_DEVS];
static int ndevs;

static u32 cfg_addr(const struct pci_dev *d, u16 off)
{
	return 0x80000000u | (u32)d->bus << 16 | (u32)d->dev << 11 | (u32)d->fn << 8 | (off & 0xfc);
}

u32 pci_read(const struct pci_dev *d, u16 off, int size)
{
	outl(CFG_ADDR, cfg_addr(d, off));
	u32 v = inl(CFG_DATA) >> (off & 3) * 8;
	return size == 4 ? v : v & ((1u << size * 8) - 1);
}

void pci_write(const struct pci_dev *d, u16 off, int size, u32 v)
{
	outl(CFG_ADDR, cfg_addr(d, off));
	if (size == 4)
		outl(CFG_DATA, v);
	else if (size == 2)
		outw((u16)(CFG_DATA + (off & 2)), (u16)v);
	else
		outb((u16)(CFG_DATA + (off & 3)), (u8)v);
}

/* BAR i's base and size: all ones written with decoding off shows which
 * address bits the device decodes.  Returns the BARs it used (2 for a
 * 64-bit one). */
static int bar_probe(struct pci_dev *d, int i)
{
	u16 off = (u16)(PCI_BAR0 + 4 * i);
	u32 lo = pci_read(d, off, 4);
	pci_write(d, off, 4, ~0u);
	u32 mlo = pci_read(d, off, 4);
	pci_write(d, off, 4, lo);
	if (lo & 1) { /* I/O space */
		u32 mask = mlo & ~3u & 0xffff;
		d->bar[i] = lo & ~3u, d->bar_size[i] = mask ? (~mask & 0xffff) + 1 : 0;
		d->bar_io |= (u8)(1u << i);
		return 1;
	}
	u64 base = lo & ~0xfull, mask = mlo & ~0xfull;
	int wide = (lo & 6) == 4 && i < 5;
	if (wide) {
		u32 hi = pci_read(d, off + 4, 4);
		pci_write(d, off + 4, 4, ~0u);
		mask |= (u64)pci_read(d, off + 4, 4) << 32;
		pci_write(d, off + 4, 4, hi);
		base |= (u64)hi << 32;
	} else {
		mask |= 0xffffffff00000000ull;
	}
	u64 size = mask ? ~mask + 1 : 0;
	if (size && base + size > base) /* a size that wraps is no BAR */
		d->bar[i] = base, d->bar_size[i] = size;
	return wide ? 2 : 1;
}

static void scan_bus(u8 bus, u8 *seen);

static void add_function(u8 bus, u8 dev, u8 fn, u8 *seen)
{
	struct pci_dev t = { .bus = bus, .dev = dev, .fn = fn };
	u32 id = pci_read(&t, PCI_ID, 4);
	if ((id & 0xffff) == 0xffff || ndevs == PCI_MAX_DEVS)
		return;
	struct pci_dev *d = &devs[ndevs++];
	*d = t;
	d->vendor = (u16)id, d->device = (u16)(id >> 16);
	d->class = pci_read(d, PCI_CLASS, 4) >> 8;
	d->irq_line = (u8)pci_read(d, PCI_IRQ_LINE, 1), d->irq_pin = (u8)pci_read(d, PCI_IRQ_PIN, 1);
	u8 type = (u8)(pci_read(d, PCI_HEADER, 1) & 0x7f);
	if (type == 0) {
		u16 cmd = (u16)pci_read(d, PCI_COMMAND, 2);
		pci_write(d, PCI_COMMAND, 2, cmd & ~(CMD_IO | CMD_MEM));
		for (int i = 0; i < 6;)
			i += bar_probe(d, i);
		pci_write(d, PCI_COMMAND, 2, cmd);
	}
	klog("pci %02x:%02x.%u %04x:%04x class %06x irq %u pin %u\n", bus, dev, fn, d->vendor, d->device, d->class,
	     d->irq_line, d->irq_pin);
	if (type == 1)
		scan_bus((u8)pci_read(d, PCI_SECONDARY, 1), seen);
}

static void scan_bus(u8 bus, u8 *seen)
{
	if (seen[bus / 8] & (1u << bus % 8)) /* a bridge that names a bus twice: once is enough */
		return;
	seen[bus / 8] |= (u8)(1u << bus % 8);
	for (u8 dev = 0; dev < 32; dev++) {
		struct pci_dev t = { .bus = bus, .dev = dev };
		if ((pci_read(&t, PCI_ID, 2)) == 0xffff)
			continue;
		int multi = pci_read(&t, PCI_HEADER, 1) & 0x80;
		for (u8 fn = 0; fn < (multi ? 8 : 1); fn++)
			add_function(bus, dev, fn, seen);
	}
}

void pci_init(void)
{
	u8 seen[32] = { 0 };
	scan_bus(0, seen);
	klog("pci: %d functions\n", ndevs);
}

struct pci_dev *pci_find(u16 vendor, u16 device, int *pos)
{
	for (; *pos < ndevs; (*pos)++)
		if (devs[*pos].vendor == vendor && devs[*pos].device == device)
			return &devs[(*pos)++];
	return 0;
}

void pci_enable(struct pci_dev *d)
{
	u16 cmd = (u16)pci_read(d, PCI_COMMAND, 2);
	pci_write(d, PCI_COMMAND, 2, cmd | CMD_IO | CMD_MEM | CMD_MASTER);
}

void pci_intx(struct pci_dev *d, int on)
{
	u16 cmd = (u16)pci_read(d, PCI_COMMAND, 2);
	pci_write(d, PCI_COMMAND, 2, on ? cmd & ~CMD_INTX_OFF : cmd | CMD_INTX_OFF);
}

void *pci_map(struct pci_dev *d, int bar, u64 off, u64 len)
{
	if (bar < 0 || bar > 5 || (d->bar_io >> bar & 1) || !d->bar[bar] || off > d->bar_size[bar] ||
	    len > d->bar_size[bar] - off)
		return 0;
	void *p = ioremap(d->bar[bar] + off, len);
	if (p && probe_read64((u64)p & ~7ull)) { /* hv maps no memory there: #GP */
		klog("pci %02x:%02x.%u: BAR%d at 0x%llx is out of reach\n", d->bus, d->dev, d->fn, bar, d->bar[bar]);
		return 0;
	}
	return p;
}

int pci_cap(const struct pci_dev *d, u8 id, int after)
{
	if (!(pci_read(d, PCI_STATUS, 2) & STATUS_CAPS))
		return 0;
	u8 at = after ? (u8)pci_read(d, (u16)(after + 1), 1) : (u8)pci_read(d, PCI_CAP_PTR, 1);
	for (int n = 0; n < 48 && at >= 0x40; n++) { /* 48: all that fit in 256 bytes; a loop ends */
		at &= 0xfc;
		if (pci_read(d, at, 1) == id)
			return at;
		at = (u8)pci_read(d, (u16)(at + 1), 1);
	}
	return 0;
}

int pci_msix(struct pci_dev *d, int entry, u64 addr, u32 data)
{
	int cap = pci_cap(d, PCI_CAP_MSIX, 0);
	if (!cap)
		return -ENODEV;
	u16 ctl = (u16)pci_read(d, (u16)(cap + 2), 2);
	u32 table = pci_read(d, (u16)(cap + 4), 4);
	if (entry < 0 || entry > (ctl & 0x7ff))
		return -EINVAL;
	volatile u32 *e = pci_map(d, table & 7, (table & ~7u) + 16ull * (u32)entry, 16);
	if (!e)
		return -ENODEV;
	pci_write(d, (u16)(cap + 2), 2, ctl | MSIX_ENABLE | MSIX_MASKALL);
	e[0] = (u32)addr, e[1] = (u32)(addr >> 32), e[2] = data;
	e[3] = 0; /* unmasked */
	pci_write(d, (u16)(cap + 2), 2, (ctl | MSIX_ENABLE) & ~MSIX_MASKALL);
	pci_intx(d, 0);
	return 0;
}
