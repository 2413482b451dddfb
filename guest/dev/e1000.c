/*
 * Intel 8254x (e1000) Ethernet driver (guest ring 0, host role): the
 * 82540EM that QEMU's `-device e1000` and Bochs's e1000 emulate, on the
 * legacy descriptor format.  One receive and one transmit ring of 64
 * descriptors, each with its own 2 KiB buffer in the host partition's RAM:
 * the device DMAs to the buffer's guest-physical address, which for the
 * host partition is the host-physical one (hv maps its RAM 1:1).  Frames
 * are copied between these buffers and lwIP (net/ether.c).  The device is
 * trusted no further than it must be: a descriptor's length is checked
 * against the buffer, a frame without EOP or with an error bit is
 * dropped and counted, a register reading all ones means it is gone.
 * Driven from the tick's poller (no interrupt yet).
 * Register and bit names are the 8254x Software Developer's Manual's.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "dev/dev.h"
#include "net/net.h"

#define CTRL 0x0000
#define STATUS 0x0008
#define EERD 0x0014
#define ICR 0x00c0
#define IMC 0x00d8
#define RCTL 0x0100
#define TCTL 0x0400
#define TIPG 0x0410
#define RDBAL 0x2800
#define RDBAH 0x2804
#define RDLEN 0x2808
#define RDH 0x2810
#define RDT 0x2818
#define TDBAL 0x3800
#define TDBAH 0x3804
#define TDLEN 0x3808
#define TDH 0x3810
#define TDT 0x3818
#define MTA 0x5200            /* 128 words */
#define RAL0 0x5400
#define RAH0 0x5404

#define CTRL_SLU (1u << 6)    /* set link up */
#define CTRL_RST (1u << 26)
#define STATUS_LU (1u << 1)
#define EERD_START 1u
#define EERD_DONE (1u << 4)
#define RAH_AV (1u << 31)
#define RCTL_EN (1u << 1)
#define RCTL_BAM (1u << 15)   /* broadcasts accepted: ARP and DHCP need them */
#define RCTL_SECRC (1u << 26) /* the FCS stripped */
#define TCTL_EN (1u << 1)
#define TCTL_PSP (1u << 3)
#define TCTL_CT (0x0fu << 4)
#define TCTL_COLD (0x40u << 12)
#define TIPG_DEFAULT (10u | 8u << 10 | 6u << 20) /* IPGT, IPGR1, IPGR2 for copper */

#define RX_DD 0x01            /* rx status: descriptor done */
#define RX_EOP 0x02           /* end of packet */
#define TX_EOP 0x01           /* tx command */
#define TX_IFCS 0x02
#define TX_RS 0x08
#define TX_DD 0x01            /* tx status */

#define NDESC 64              /* per ring: a multiple of 8 (ring lengths are in 128-byte units) */
#define BUF 2048              /* RCTL.BSIZE 00: 2048-byte receive buffers */
#define RX_BUDGET NDESC       /* frames taken per poll */

struct rx_desc {
	u64 addr;
	u16 len, csum;
	u8 status, errors;
	u16 special;
};
struct tx_desc {
	u64 addr;
	u16 len;
	u8 cso, cmd, status, css;
	u16 special;
};
_Static_assert(sizeof(struct rx_desc) == 16 && sizeof(struct tx_desc) == 16, "8254x descriptors are 16 bytes");

struct e1000 {
	volatile u8 *regs;
	struct rx_desc *rx;    /* NDESC each, one page */
	struct tx_desc *tx;
	u8 *rxbuf[NDESC], *txbuf[NDESC];
	u32 rx_next;           /* the next descriptor the device will fill */
	u32 tx_tail, tx_clean; /* the next to fill; the oldest not yet reclaimed */
	struct nic nic;
};

static u32 rd(struct e1000 *e, u32 r) { return *(volatile u32 *)(e->regs + r); }
static void wr(struct e1000 *e, u32 r, u32 v) { *(volatile u32 *)(e->regs + r) = v; }

static int eeprom_word(struct e1000 *e, u8 addr, u16 *w)
{
	wr(e, EERD, EERD_START | (u32)addr << 8);
	for (int i = 0; i < 100000; i++) {
		u32 v = rd(e, EERD);
		if (v & EERD_DONE) {
			*w = (u16)(v >> 16);
			return 0;
		}
	}
	return -EIO;
}

/* The MAC: the receive address the device came up with, else the EEPROM's words 0..2. */
static int read_mac(struct e1000 *e, u8 *mac)
{
	u32 lo = rd(e, RAL0), hi = rd(e, RAH0);
	if (hi & RAH_AV && (lo || (hi & 0xffff))) {
		memcpy(mac, &lo, 4);
		mac[4] = (u8)hi, mac[5] = (u8)(hi >> 8);
		return 0;
	}
	for (u8 i = 0; i < 3; i++) {
		u16 w;
		if (eeprom_word(e, i, &w))
			return -EIO;
		mac[2 * i] = (u8)w, mac[2 * i + 1] = (u8)(w >> 8);
	}
	lo = (u32)mac[0] | (u32)mac[1] << 8 | (u32)mac[2] << 16 | (u32)mac[3] << 24;
	wr(e, RAL0, lo);
	wr(e, RAH0, (u32)mac[4] | (u32)mac[5] << 8 | RAH_AV);
	return 0;
}

static void *tx_buf(void *drv)
{
	struct e1000 *e = drv;
	while (e->tx_clean != e->tx_tail && (e->tx[e->tx_clean].status & TX_DD))
		e->tx_clean = (e->tx_clean + 1) % NDESC;
	if ((e->tx_tail + 1) % NDESC == e->tx_clean)
		return 0; /* one slot stays empty: head == tail means empty */
	return e->txbuf[e->tx_tail];
}

static void tx_send(void *drv, u32 len)
{
	struct e1000 *e = drv;
	struct tx_desc *d = &e->tx[e->tx_tail];
	d->len = (u16)len, d->cso = 0, d->css = 0, d->special = 0, d->status = 0;
	d->cmd = TX_EOP | TX_IFCS | TX_RS;
	e->tx_tail = (e->tx_tail + 1) % NDESC;
	__asm__ volatile("" ::: "memory"); /* x86 keeps stores in order; the compiler must too */
	wr(e, TDT, e->tx_tail);
}

static void poll(void *drv)
{
	struct e1000 *e = drv;
	if (rd(e, STATUS) == ~0u) /* a device that is gone reads all ones */
		return nic_gone(&e->nic);
	rd(e, ICR); /* read to clear: nothing is pending from us */
	for (int n = 0; n < RX_BUDGET; n++) {
		struct rx_desc *d = &e->rx[e->rx_next];
		if (!(d->status & RX_DD))
			break;
		__asm__ volatile("" ::: "memory");
		if (!(d->status & RX_EOP) || d->errors || d->len > BUF)
			e->nic.st.rx_errors++; /* a frame over one buffer (we asked for none), or bad on the wire */
		else
			nic_rx(&e->nic, e->rxbuf[e->rx_next], d->len);
		d->status = 0;
		wr(e, RDT, e->rx_next); /* back to the device */
		e->rx_next = (e->rx_next + 1) % NDESC;
	}
}

static const struct nic_ops e1000_ops = { .tx_buf = tx_buf, .tx_send = tx_send, .poll = poll };

/* Buffers: two per page, NDESC of each kind. */
static int alloc_bufs(u8 **bufs)
{
	for (int i = 0; i < NDESC; i += PAGE / BUF) {
		u8 *p = page_alloc();
		if (!p)
			return -ENOMEM;
		for (u32 k = 0; k < PAGE / BUF; k++)
			bufs[i + (int)k] = p + k * BUF;
	}
	return 0;
}

static int e1000_start(struct pci_dev *pd)
{
	struct e1000 *e = kzalloc(sizeof *e);
	if (!e)
		return -ENOMEM;
	pci_enable(pd);
	if (!(e->regs = pci_map(pd, 0, 0, 0x20000)) || rd(e, STATUS) == ~0u) {
		kfree(e);
		return -ENODEV;
	}
	wr(e, IMC, ~0u); /* no interrupts */
	wr(e, CTRL, rd(e, CTRL) | CTRL_RST);
	for (int i = 0; i < 100000 && (rd(e, CTRL) & CTRL_RST); i++)
		;
	wr(e, IMC, ~0u);
	rd(e, ICR);
	if (read_mac(e, e->nic.mac))
		return -EIO;
	if (!(e->rx = page_alloc()) || !(e->tx = page_alloc()) || alloc_bufs(e->rxbuf) || alloc_bufs(e->txbuf))
		return -ENOMEM; /* at boot: what was had stays had */
	for (int i = 0; i < 128; i++)
		wr(e, MTA + 4 * (u32)i, 0);
	for (int i = 0; i < NDESC; i++) {
		e->rx[i].addr = v2p(e->rxbuf[i]);
		e->tx[i].addr = v2p(e->txbuf[i]);
		e->tx[i].status = TX_DD; /* free */
	}
	wr(e, RDBAL, (u32)v2p(e->rx)), wr(e, RDBAH, (u32)(v2p(e->rx) >> 32));
	wr(e, RDLEN, NDESC * sizeof(struct rx_desc));
	wr(e, RDH, 0), wr(e, RDT, NDESC - 1); /* all but one descriptor the device's */
	wr(e, TDBAL, (u32)v2p(e->tx)), wr(e, TDBAH, (u32)(v2p(e->tx) >> 32));
	wr(e, TDLEN, NDESC * sizeof(struct tx_desc));
	wr(e, TDH, 0), wr(e, TDT, 0);
	wr(e, TIPG, TIPG_DEFAULT);
	wr(e, TCTL, TCTL_EN | TCTL_PSP | TCTL_CT | TCTL_COLD);
	wr(e, RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC);
	wr(e, CTRL, rd(e, CTRL) | CTRL_SLU);
	e->nic.ops = &e1000_ops, e->nic.drv = e, e->nic.polled = 1;
	int r = nic_add(&e->nic);
	if (!r)
		klog("%s: e1000 at %02x:%02x.%u, link %s\n", e->nic.name, pd->bus, pd->dev, pd->fn,
		     rd(e, STATUS) & STATUS_LU ? "up" : "down");
	return r;
}

/* The 8254x models QEMU and Bochs emulate: 82540EM (and QEMU's 82545EM). */
static const u16 e1000_ids[] = { 0x100e, 0x100f };

void e1000_init(void)
{
	for (u32 k = 0; k < BH_ARRAY_SIZE(e1000_ids); k++) {
		struct pci_dev *d;
		for (int pos = 0; (d = pci_find(0x8086, e1000_ids[k], &pos));) {
			int r = e1000_start(d);
			if (r)
				kprintf("guest: e1000 at %02x:%02x.%u: not started (%d)\n", d->bus, d->dev, d->fn, r);
		}
	}
}
