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

/* tty.c: the console tty */
void tty_init(void);               /* /dev/tty, console, ttyS0; the UART poller */
extern u64 prompt_tsc;             /* the shell's first wait for input */

/* sandbox.c: /dev/sandbox, which makes sandboxes */
void sandbox_dev_init(void);

/* rtc.c: the wall clock */
void rtc_init(void);
extern u64 boot_epoch;              /* wall-clock seconds at boot */

#endif
