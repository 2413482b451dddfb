/*
 * Sockets of the guest kernel (ring 0): a small family dispatch.  socket.c
 * owns the socket syscalls, the user ABI (addresses, iovecs, msghdr and
 * SCM_RIGHTS control messages, SOL_SOCKET options) and the file a socket
 * lives in; each address family registers a struct net_family whose
 * create() fills in the struct sock_ops of a new socket.  unix.c is AF_UNIX;
 * inet.c is AF_INET (on lwIP, guest/net/lwip/).
 */
#ifndef BULKHEAD_GUEST_NET_H
#define BULKHEAD_GUEST_NET_H

#include <bulkhead/types.h>
#include "linux.h"
#include "fs/vfs.h"

#define SCM_MAX_FD 253            /* descriptors in one SCM_RIGHTS message */
#define SOCKADDR_MAX 128          /* sizeof(struct sockaddr_storage) */

/* Descriptors in flight: open files, each holding one reference. */
struct scm {
	int n;
	struct file *fp[];
};
void scm_free(struct scm *s);     /* puts the files and frees s; NULL is fine */

/* A message being sent or received: the user's buffers as a cursor over
 * its iovecs, an address in a kernel buffer, descriptors in flight. */
struct kiov {
	u64 base, len;                /* user address, bytes */
};
struct kmsg {
	struct kiov *iov;             /* advanced as data is copied */
	u64 niov;
	u64 resid;                    /* bytes left in the iovecs */
	u8 name[SOCKADDR_MAX];        /* sendto: the destination; recvfrom: the source */
	u32 namelen;                  /* bytes of name; 0 = none */
	struct scm *scm;              /* send: descriptors to pass (taken by the family), recv: received */
	struct ucred_k cred;          /* send: SCM_CREDENTIALS given; recv: the sender's, for SO_PASSCRED */
	int has_cred;
	u32 flags;                    /* recvmsg: MSG_TRUNC, MSG_CTRUNC out */
};
/* Copy n bytes between a kernel buffer and the message's iovecs, advancing
 * them: 0 or -EFAULT (the cursor then stands where the fault was). */
int kmsg_from(struct kmsg *m, void *dst, u64 n);
int kmsg_to(struct kmsg *m, const void *src, u64 n);

struct socket;
struct sock_ops {
	int (*bind)(struct socket *s, const u8 *addr, u32 len);
	int (*connect)(struct socket *s, const u8 *addr, u32 len);
	int (*listen)(struct socket *s, int backlog);     /* backlog clamped to 0..SOMAXCONN */
	int (*accept)(struct socket *s, struct socket *ns); /* fills ns->sk */
	int (*pair)(struct socket *a, struct socket *b);  /* socketpair(2) */
	s64 (*sendmsg)(struct socket *s, struct kmsg *m, int flags); /* bytes or -errno */
	s64 (*recvmsg)(struct socket *s, struct kmsg *m, int flags);
	int (*shutdown)(struct socket *s, int how);       /* SHUT_RD, SHUT_WR, SHUT_RDWR */
	int (*getname)(struct socket *s, u8 *addr, int peer); /* length or -errno */
	int (*poll)(struct socket *s);                    /* POLL* bits */
	int (*getsockopt)(struct socket *s, int name, void *val); /* SOL_SOCKET beyond the common ones:
								   * length (at most 16), or -ENOPROTOOPT */
	int (*unread)(struct socket *s);                  /* FIONREAD */
	void (*release)(struct socket *s);
	/* Optional, for families with options and ioctls of their own (AF_INET):
	 * setopt gets other levels' options (val: len bytes, at most 16 read),
	 * and each SOL_SOCKET one after socket.c stored it (val NULL) to act on
	 * it: 0 or -errno.  getopt: other levels' value into val (at most 16
	 * bytes): its length or -errno.  ioctl: commands besides FIONREAD. */
	int (*setopt)(struct socket *s, int level, int name, const void *val, u32 len);
	int (*getopt)(struct socket *s, int level, int name, void *val);
	s64 (*ioctl)(struct socket *s, u64 cmd, u64 arg); /* -ENOTTY if not its own */
};

/* One open socket: what every family shares.  It lives in an anonymous
 * S_IFSOCK inode's file (i->priv), freed with it. */
struct socket {
	const struct sock_ops *ops;
	int family, type, protocol;
	struct file *file;            /* its file (O_NONBLOCK lives there) */
	void *sk;                     /* the family's own state */
	int err;                      /* SO_ERROR: taken when read */
	u32 sndbuf, rcvbuf;           /* SO_SNDBUF, SO_RCVBUF as reported (twice what was set) */
	u64 rcvtimeo, sndtimeo;       /* ns; 0 = block forever */
	u32 passcred, keepalive, reuseaddr, broadcast, oobinline;
	u32 linger[2];
};

/* A family's entry point: create() checks type and protocol and sets
 * s->ops and s->sk: 0, -ESOCKTNOSUPPORT, -EPROTONOSUPPORT or -ENOMEM. */
struct net_family {
	int family;
	int (*create)(struct socket *s, int type, int protocol);
};
int net_register(const struct net_family *f);  /* 0 or -ENOSPC; at boot */
void net_init(void);                           /* registers the built-in families */

struct socket *sock_of(struct file *f);        /* NULL if f is no socket */
/* Blocking helpers for the families. */
u64 sock_deadline(u64 timeo_ns);               /* TSC deadline from SO_RCVTIMEO/SO_SNDTIMEO; ~0 = none */
/* One wait of a blocking call: -EAGAIN at once if s is O_NONBLOCK or flags
 * has MSG_DONTWAIT; else sleeps on chan until a wakeup: 0 (the caller
 * checks again); -EAGAIN past deadline; -ERESTART on a signal (-EINTR when
 * a timeout was set, as Linux); -EBADF if s was closed meanwhile (by a task
 * sharing the descriptor table): s is gone then, and the caller returns. */
int sock_wait(struct socket *s, int flags, const void *chan, u64 deadline);
int sock_error(struct socket *s);              /* -SO_ERROR, cleared; 0 if none */
s64 sock_rw_iov(struct file *f, u64 uiov, u64 cnt, int wr); /* readv/writev: one message */

/* unix.c */
extern const struct net_family unix_family;

/* inet.c: AF_INET on lwIP; inet_init starts lwIP (the loopback) and registers. */
void inet_init(void);

/* ether.c: Ethernet interfaces (eth0, eth1...) on lwIP, for NIC drivers.
 * A driver fills in a struct nic (mac, ops, drv) and calls nic_add; from
 * then on lwIP transmits through ops and the driver hands up each received
 * frame with nic_rx.  A frame is 14..NIC_FRAME_MAX bytes (no FCS). */
#define NIC_FRAME_MAX 1514            /* an Ethernet frame of MTU 1500, without its FCS */
#define NIC_NAME_MAX 16               /* IFNAMSIZ */
struct nic_stats {                    /* what /proc/net/dev shows */
	u64 rx_packets, rx_bytes, rx_errors, rx_dropped, tx_packets, tx_bytes, tx_errors, tx_dropped;
};
struct nic_ops {
	void *(*tx_buf)(void *drv);          /* a free buffer of NIC_FRAME_MAX bytes, or NULL (ring full) */
	void (*tx_send)(void *drv, u32 len); /* sends the len bytes written into that buffer */
	void (*poll)(void *drv);             /* reclaims sent buffers, hands up what arrived */
};
struct nic {
	char name[NIC_NAME_MAX];      /* "eth0": set by nic_add */
	u8 mac[6];                    /* the driver's */
	u8 present;                   /* 0 once the device stopped answering (nic_gone) */
	u8 polled;                    /* the driver has no interrupt: poll at each tick and idle wake-up */
	const struct nic_ops *ops;
	void *drv;
	void *netif;                  /* lwIP's struct netif (ether.c) */
	struct nic_stats st;          /* drivers count rx_errors and rx_dropped they see; ether.c the rest */
};
int nic_add(struct nic *n);           /* at boot: up, with bulkhead.cfg's net; 0, -ENOSPC (4 NICs) or -ENOMEM */
void nic_rx(struct nic *n, const void *frame, u32 len); /* one frame received, copied out; a bad length is counted */
void nic_link(struct nic *n, int up); /* carrier up or down */
void nic_gone(struct nic *n);         /* the device vanished (reads all ones): down for good */
int net_proc_dev(char *b, int len);   /* /proc/net/dev; bytes it needs (it writes at most len) */
int net_proc_route(char *b, int len); /* /proc/net/route */

/* packet.c: AF_PACKET SOCK_RAW, sending Ethernet frames (the virtual switch's raw path) */
extern const struct net_family packet_family;

#endif
