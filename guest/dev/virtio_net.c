/*
 * virtio-net driver (guest ring 0, host role): a virtio 1.0 network device
 * over PCI with the "modern" interface (vendor 0x1af4, device 0x1041, or
 * the transitional 0x1000 through its modern capabilities): QEMU's
 * `-device virtio-net-pci`, and what cloud machines offer.  Features:
 * VIRTIO_F_VERSION_1, and the device's MAC and link status when offered;
 * no offloads, no mergeable buffers, so every frame is one buffer after
 * the 12-byte virtio_net_hdr.  One receive and one transmit split
 * virtqueue of at most 64 entries, each entry a 2 KiB buffer of the host
 * partition's RAM (guest-physical = host-physical for it, so the device
 * DMAs there).  Frames are copied between these buffers and lwIP
 * (net/ether.c).  What the device writes back is checked: a used entry
 * must name a buffer it holds, with a length that fits; a used index that
 * runs ahead of what was given is a broken device, taken down.  Driven
 * from the tick's poller (no interrupt yet).  Names are the virtio 1.0
 * specification's.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "dev/dev.h"
#include "net/net.h"

/* virtio_pci_cap: cfg_type at +3, bar at +4, offset at +8, length at +12;
 * the notify capability's multiplier at +16. */
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_DEVICE 4

/* struct virtio_pci_common_cfg */
#define C_DFSELECT 0x00
#define C_DF 0x04
#define C_GFSELECT 0x08
#define C_GF 0x0c
#define C_MSIX 0x10
#define C_STATUS 0x14
#define C_QSELECT 0x16
#define C_QSIZE 0x18
#define C_QMSIX 0x1a
#define C_QENABLE 0x1c
#define C_QNOFF 0x1e
#define C_QDESC 0x20
#define C_QDRIVER 0x28
#define C_QDEVICE 0x30
#define COMMON_LEN 0x38

#define S_ACKNOWLEDGE 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 0x40
#define S_FAILED 0x80
#define NO_VECTOR 0xffff

#define F_MAC (1ull << 5)
#define F_STATUS (1ull << 16)
#define F_VERSION_1 (1ull << 32)
#define NET_S_LINK_UP 1

#define D_WRITE 2             /* descriptor flag: the device writes the buffer */
#define HDR 12                /* struct virtio_net_hdr with num_buffers (always there in 1.0) */
#define QMAX 64
#define BUF 2048

struct vq_desc {
	u64 addr;
	u32 len;
	u16 flags, next;
};
struct vq_used_elem {
	u32 id, len;
};
_Static_assert(sizeof(struct vq_desc) == 16 && sizeof(struct vq_used_elem) == 8, "virtqueue layouts");

/* A split virtqueue in one page: descriptors at 0, the available ring at
 * 1024, the used ring at 2048 (64 entries: 16 * 64, 6 + 2 * 64, 6 + 8 * 64). */
struct vq {
	u16 n, index;
	struct vq_desc *desc;
	volatile u16 *avail;  /* flags, idx, ring[n] */
	volatile u16 *used;   /* flags, idx, then the elements */
	u16 avail_idx, used_seen;
	u8 *buf[QMAX];
	u8 held[QMAX];        /* the device holds buffer i */
	volatile u16 *notify;
};

struct vnet {
	volatile u8 *common, *devcfg;
	u8 *notify_base;
	u32 notify_mul;
	u64 features;
	struct vq rx, tx;
	struct nic nic;
};

static volatile struct vq_used_elem *used_elem(struct vq *q, u16 i)
{
	return (volatile struct vq_used_elem *)(q->used + 2) + i;
}

static void vq_give(struct vq *q, u16 id, u32 len, u16 flags)
{
	q->desc[id].addr = v2p(q->buf[id]), q->desc[id].len = len, q->desc[id].flags = flags, q->desc[id].next = 0;
	q->held[id] = 1;
	q->avail[2 + q->avail_idx % q->n] = id;
	__asm__ volatile("" ::: "memory"); /* the entry before the index (x86 keeps stores in order) */
	q->avail[1] = ++q->avail_idx;
}

/* The next used entry: 1 with its buffer's id and length, 0 if none, -1
 * if the device said something impossible (it is then taken down). */
static int vq_take(struct vnet *v, struct vq *q, u16 *id, u32 *len)
{
	u16 idx = q->used[1];
	if (idx == q->used_seen)
		return 0;
	__asm__ volatile("" ::: "memory");
	volatile struct vq_used_elem *e = used_elem(q, q->used_seen % q->n);
	u32 i = e->id, l = e->len;
	if ((u16)(idx - q->used_seen) > q->n || i >= q->n || !q->held[i]) {
		kprintf("guest: %s: bad used ring (index %u, seen %u, id %u)\n", v->nic.name, idx, q->used_seen, i);
		return -1;
	}
	q->used_seen++;
	q->held[i] = 0;
	*id = (u16)i, *len = l;
	return 1;
}

static void vq_kick(struct vq *q) { *q->notify = q->index; }

static u8 status(struct vnet *v) { return v->common[C_STATUS]; }
static void set_status(struct vnet *v, u8 s) { v->common[C_STATUS] = s; }
static void *cfg(struct vnet *v, u32 off) { return (void *)(v->common + off); }

static void *tx_buf(void *drv)
{
	struct vnet *v = drv;
	u16 id;
	u32 len;
	int r;
	while ((r = vq_take(v, &v->tx, &id, &len)) > 0)
		;
	if (r < 0) {
		nic_gone(&v->nic);
		return 0;
	}
	id = v->tx.avail_idx % v->tx.n; /* in order; a buffer still held means the ring is full */
	return v->tx.held[id] ? 0 : v->tx.buf[id] + HDR;
}

static void tx_send(void *drv, u32 len)
{
	struct vnet *v = drv;
	u16 id = v->tx.avail_idx % v->tx.n;
	memset(v->tx.buf[id], 0, HDR); /* no offloads asked for */
	vq_give(&v->tx, id, HDR + len, 0);
	vq_kick(&v->tx);
}

static void poll(void *drv)
{
	struct vnet *v = drv;
	u8 s = status(v);
	if (s == 0xff || (s & (S_NEEDS_RESET | S_FAILED)) || !(s & S_DRIVER_OK))
		return nic_gone(&v->nic); /* gone (all ones), or it asks for a reset it will not get */
	if (v->features & F_STATUS)
		nic_link(&v->nic, *(volatile u16 *)(v->devcfg + 6) & NET_S_LINK_UP);
	u16 id;
	u32 len;
	int r, got = 0;
	for (int n = 0; n < v->rx.n && (r = vq_take(v, &v->rx, &id, &len)) > 0; n++, got++) {
		if (len < HDR || len > BUF)
			v->nic.st.rx_errors++;
		else
			nic_rx(&v->nic, v->rx.buf[id] + HDR, len - HDR);
		vq_give(&v->rx, id, BUF, D_WRITE);
	}
	if (r < 0)
		return nic_gone(&v->nic);
	if (got)
		vq_kick(&v->rx);
}

static const struct nic_ops vnet_ops = { .tx_buf = tx_buf, .tx_send = tx_send, .poll = poll };

static int vq_setup(struct vnet *v, struct vq *q, u16 index)
{
	*(volatile u16 *)cfg(v, C_QSELECT) = index;
	u16 max = *(volatile u16 *)cfg(v, C_QSIZE), n = QMAX;
	while (n > max)
		n /= 2;
	if (!n)
		return -ENODEV;
	u8 *page = page_alloc();
	if (!page)
		return -ENOMEM;
	q->n = n, q->index = index;
	q->desc = (struct vq_desc *)page, q->avail = (u16 *)(page + 1024), q->used = (u16 *)(page + 2048);
	for (u16 i = 0; i < n; i += PAGE / BUF) {
		u8 *b = page_alloc();
		if (!b)
			return -ENOMEM;
		for (u32 k = 0; k < PAGE / BUF; k++)
			q->buf[i + k] = b + k * BUF;
	}
	u16 off = *(volatile u16 *)cfg(v, C_QNOFF);
	q->notify = (volatile u16 *)(v->notify_base + (u64)off * v->notify_mul);
	*(volatile u16 *)cfg(v, C_QSIZE) = n;
	*(volatile u16 *)cfg(v, C_QMSIX) = NO_VECTOR;
	*(volatile u64 *)cfg(v, C_QDESC) = v2p(q->desc);
	*(volatile u64 *)cfg(v, C_QDRIVER) = v2p((void *)q->avail);
	*(volatile u64 *)cfg(v, C_QDEVICE) = v2p((void *)q->used);
	*(volatile u16 *)cfg(v, C_QENABLE) = 1;
	return 0;
}

/* The regions the virtio capabilities point at: common, notify, device. */
static int find_regions(struct pci_dev *pd, struct vnet *v)
{
	u32 notify_len = 0;
	for (int at = 0; (at = pci_cap(pd, PCI_CAP_VENDOR, at));) {
		u8 type = (u8)pci_read(pd, (u16)(at + 3), 1), bar = (u8)pci_read(pd, (u16)(at + 4), 1);
		u32 off = pci_read(pd, (u16)(at + 8), 4), len = pci_read(pd, (u16)(at + 12), 4);
		if (type == CAP_COMMON && !v->common && len >= COMMON_LEN)
			v->common = pci_map(pd, bar, off, COMMON_LEN);
		else if (type == CAP_DEVICE && !v->devcfg && len >= 8)
			v->devcfg = pci_map(pd, bar, off, 8);
		else if (type == CAP_NOTIFY && !v->notify_base && len >= 2) {
			v->notify_mul = pci_read(pd, (u16)(at + 16), 4);
			v->notify_base = pci_map(pd, bar, off, len);
			notify_len = len;
		}
	}
	if (!v->common || !v->devcfg || !v->notify_base)
		return -ENODEV;
	*(volatile u16 *)(v->common + C_QSELECT) = 0; /* each queue's notify offset must land in the region */
	for (u16 q = 0; q < 2; q++) {
		*(volatile u16 *)(v->common + C_QSELECT) = q;
		if ((u64)*(volatile u16 *)(v->common + C_QNOFF) * v->notify_mul + 2 > notify_len)
			return -ENODEV;
	}
	return 0;
}

static int vnet_start(struct pci_dev *pd)
{
	struct vnet *v = kzalloc(sizeof *v);
	if (!v)
		return -ENOMEM;
	pci_enable(pd);
	int r = find_regions(pd, v);
	if (r) {
		kfree(v);
		return r;
	}
	set_status(v, 0); /* reset */
	for (int i = 0; i < 100000 && status(v); i++)
		;
	set_status(v, S_ACKNOWLEDGE);
	set_status(v, S_ACKNOWLEDGE | S_DRIVER);
	*(volatile u32 *)cfg(v, C_DFSELECT) = 0;
	u64 f = *(volatile u32 *)cfg(v, C_DF);
	*(volatile u32 *)cfg(v, C_DFSELECT) = 1;
	f |= (u64)*(volatile u32 *)cfg(v, C_DF) << 32;
	if (!(f & F_VERSION_1))
		goto fail;
	v->features = f & (F_VERSION_1 | F_MAC | F_STATUS);
	*(volatile u32 *)cfg(v, C_GFSELECT) = 0;
	*(volatile u32 *)cfg(v, C_GF) = (u32)v->features;
	*(volatile u32 *)cfg(v, C_GFSELECT) = 1;
	*(volatile u32 *)cfg(v, C_GF) = (u32)(v->features >> 32);
	set_status(v, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
	if (!(status(v) & S_FEATURES_OK))
		goto fail;
	*(volatile u16 *)cfg(v, C_MSIX) = NO_VECTOR;
	if ((r = vq_setup(v, &v->rx, 0)) || (r = vq_setup(v, &v->tx, 1)))
		goto fail;
	if (v->features & F_MAC)
		for (int i = 0; i < 6; i++)
			v->nic.mac[i] = v->devcfg[i];
	else /* a locally administered address of our own */
		v->nic.mac[0] = 0x52, v->nic.mac[1] = 0x54, v->nic.mac[2] = 0, v->nic.mac[3] = pd->bus,
		v->nic.mac[4] = pd->dev, v->nic.mac[5] = pd->fn;
	for (u16 i = 0; i < v->rx.n; i++)
		vq_give(&v->rx, i, BUF, D_WRITE);
	set_status(v, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	vq_kick(&v->rx);
	v->nic.ops = &vnet_ops, v->nic.drv = v, v->nic.polled = 1;
	if ((r = nic_add(&v->nic)))
		return r;
	klog("%s: virtio-net at %02x:%02x.%u, features 0x%llx\n", v->nic.name, pd->bus, pd->dev, pd->fn,
	     v->features);
	return 0;
fail:
	set_status(v, S_FAILED);
	return r ? r : -ENODEV;
}

void virtio_net_init(void)
{
	static const u16 ids[] = { 0x1041, 0x1000 }; /* modern; transitional (subsystem 1: network) */
	for (u32 k = 0; k < BH_ARRAY_SIZE(ids); k++) {
		struct pci_dev *d;
		for (int pos = 0; (d = pci_find(0x1af4, ids[k], &pos));) {
			if (ids[k] == 0x1000 && pci_read(d, 0x2e, 2) != 1)
				continue;
			int r = vnet_start(d);
			if (r)
				kprintf("guest: virtio-net at %02x:%02x.%u: not started (%d)\n", d->bus, d->dev, d->fn, r);
		}
	}
}
