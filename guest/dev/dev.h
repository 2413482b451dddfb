/*
 * The guest kernel's devices (ring 0): devfs, where drivers register their
 * character devices by name, the console tty, the CMOS clock, and the
 * kernel's random numbers.  Declarations grouped by defining file.
 */
#ifndef BULKHEAD_GUEST_DEV_H
#define BULKHEAD_GUEST_DEV_H

#include <bulkhead/types.h>
#include "fs/vfs.h"

/* devfs.c: /dev, and random numbers */
extern struct inode *devfs_root;
void devfs_init(void);
int devfs_register(const char *name, u32 major, u32 minor, const struct file_ops *ops, u32 perm);
const struct file_ops *chrdev_fops(u32 rdev); /* devfs's character device rdev, or NULL */
int devfs_allowed(u32 rdev);       /* the calling task may open device rdev (a sandbox: few) */
u64 random_u64(void);
int fill_random_user(u64 ubuf, u64 n); /* 0 or -EFAULT */

/* tty.c: the line discipline, and the console tty */
#define TTY_RING 4096
struct tty {
	struct termios_k t;
	struct winsize_k ws;
	u8 ring[TTY_RING];          /* input ready for readers: ring[tail..head) */
	u32 head, tail;
	char line[1024];            /* the canonical line being edited */
	u32 len;
	int eof;                    /* ^D on an empty line: the next read returns 0 */
	int hungup;                 /* the other end is gone: reads give 0, writes EIO */
	int pgrp, sid;              /* the foreground process group; the session it belongs to */
	struct sandbox *sb;         /* a pseudo-terminal's sandbox (referenced); NULL: the console */
	/* the driver: takes output (echo too), returns how much it took; a
	 * writer that was short sleeps on &output until the driver wakes it */
	u64 (*output)(struct tty *t, const char *s, u64 n);
	int (*open)(struct tty *t);    /* optional: a file opens it (0 or -errno) */
	void (*release)(struct tty *t); /* optional: one of its files closed */
};
extern const struct file_ops tty_fops; /* its inode's priv names the tty (NULL: console or /dev/tty) */
void tty_init(void);               /* /dev/tty, console, ttyS0; the UART poller */
void tty_setup(struct tty *t, u64 (*output)(struct tty *t, const char *s, u64 n)); /* sane termios, 24x80 */
void tty_input(struct tty *t, int c); /* one input byte through the line discipline */
int tty_room(const struct tty *t);    /* input can take one more byte */
int tty_set_winsize(struct tty *t, u64 uarg); /* TIOCSWINSZ: 0 or -EFAULT; SIGWINCH on a change */
/* write(2) of n user bytes through take (bytes it took); blocks on chan when short */
s64 tty_feed(struct file *f, u64 ubuf, u64 n, struct tty *t, u64 (*take)(struct tty *t, const char *s, u64 n),
	     const void *chan);
extern u64 prompt_tsc;             /* the shell's first wait for input */

/* pty.c: pseudo-terminals, /dev/ptmx and /dev/pts */
void pty_init(void);
struct tty *pty_of_session(int sid); /* the pseudo-terminal session sid controls, or NULL */
int pty_visible(u32 minor);          /* /dev/pts/minor is there for the caller's sandbox */
extern const struct dir_ops pts_dops; /* /dev/pts: the caller's sandbox's slaves */

/* sandbox.c: /dev/sandbox, which makes sandboxes */
void sandbox_dev_init(void);

/* rtc.c: the wall clock */
void rtc_init(void);
extern u64 boot_epoch;              /* wall-clock seconds at boot */

/* pci.c: PCI configuration space, devices, BARs, capabilities, MSI-X */
#define PCI_MAX_DEVS 64             /* functions kept; more are not seen */
#define PCI_CAP_MSIX 0x11
#define PCI_CAP_VENDOR 0x09
struct pci_dev {
	u8 bus, dev, fn;
	u16 vendor, device;
	u32 class;                  /* class << 16 | subclass << 8 | prog-if */
	u8 irq_line, irq_pin;       /* Interrupt Line (the firmware's ISA IRQ) and Pin (0: none, 1: INTA#) */
	u8 bar_io;                  /* bit i: BAR i is I/O space */
	u64 bar[6], bar_size[6];    /* base (address or port) and bytes; 0: none (the upper half of a 64-bit BAR) */
};
void pci_init(void);                /* enumerates bus 0 and what bridges lead to */
struct pci_dev *pci_find(u16 vendor, u16 device, int *pos); /* next match from *pos (start at 0), or NULL */
u32 pci_read(const struct pci_dev *d, u16 off, int size);    /* size 1, 2 or 4 bytes, naturally aligned */
void pci_write(const struct pci_dev *d, u16 off, int size, u32 v);
void pci_enable(struct pci_dev *d); /* memory and I/O decoding, bus mastering (DMA) */
void pci_intx(struct pci_dev *d, int on); /* INTx# allowed (on) or disabled */
/* len bytes at off in memory BAR bar, mapped uncached; NULL if no such BAR,
 * out of its bounds, or not reachable (hv maps nothing there). */
void *pci_map(struct pci_dev *d, int bar, u64 off, u64 len);
int pci_cap(const struct pci_dev *d, u8 id, int after); /* config offset of the next capability id after `after` (0: from the start), 0 if none */
/* MSI-X table entry `entry` sends (addr, data), unmasked; MSI-X on, INTx off.
 * 0, -ENODEV (no MSI-X, table out of reach) or -EINVAL (no such entry). */
int pci_msix(struct pci_dev *d, int entry, u64 addr, u32 data);

/* e1000.c, virtio_net.c: NIC drivers; each starts every device of its kind as an eth interface */
void e1000_init(void);
void virtio_net_init(void);

#endif
