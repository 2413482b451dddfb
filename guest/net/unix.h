/*
 * AF_UNIX sockets, private to guest/net/unix*.c: a socket, its queued
 * buffers, and the queue operations unix_queue.c defines for unix.c.
 */
#ifndef BULKHEAD_GUEST_NET_UNIX_H
#define BULKHEAD_GUEST_NET_UNIX_H

#include <bulkhead/types.h>
#include "linux.h"
#include "net/net.h"

#define PATH_OFF 2               /* offsetof(struct sockaddr_un, sun_path) */
#define ADDR_MAX 110             /* sizeof(struct sockaddr_un) */
#define SKB_MAX (16384 - 256)    /* data bytes in one queued buffer */
#define SKB_CHARGE 512           /* a buffer's cost beyond its data, against SO_SNDBUF
				  * (Linux charges the skb's truesize) */
#define DGRAM_QLEN 10            /* Linux's net.unix.max_dgram_qlen */
#define RCV_SHUTDOWN 1
#define SEND_SHUTDOWN 2

enum { US_UNCONNECTED, US_LISTEN, US_CONNECTED };

struct uaddr {
	u32 len;                     /* 0: none (unbound) */
	u8 b[ADDR_MAX + 2];          /* sockaddr_un: family, path and its NUL */
};

struct unix_sock;
struct skb {
	struct skb *next;
	u64 len, off;                /* data bytes, bytes read */
	struct unix_sock *sender;    /* charged for it until it is freed; NULL once closed */
	u64 charge;                  /* what it costs against the sender's SO_SNDBUF */
	struct scm *scm;             /* descriptors in flight, or NULL */
	struct uaddr from;           /* the sender's address */
	struct ucred_k cred;         /* the sender's (SO_PASSCRED) */
	int cred_sb;                 /* the sandbox it was sent from */
	u8 data[];
};

struct unix_sock {
	struct unix_sock *next_all;  /* every AF_UNIX socket: abstract names, unix_gc */
	struct socket *sock;         /* NULL while an embryo waits to be accepted */
	int type, state, shut;       /* US_*, RCV_SHUTDOWN | SEND_SHUTDOWN */
	int err;                     /* an embryo's SO_ERROR until accepted */
	struct unix_sock *peer;      /* connected (a datagram socket: its default
				      * destination); NULL once the peer is closed */
	int peer_gone;               /* a datagram socket's peer was closed: ECONNREFUSED once */
	struct skb *rq, *rq_last;    /* receive queue */
	u64 rq_bytes;                /* unread data bytes */
	int rq_count;                /* buffers in it */
	u64 wmem;                    /* charge of its buffers not yet read, anywhere */
	struct unix_sock *acc, *acc_last, *acc_next; /* listener: embryos in connect order */
	int nacc, backlog;
	struct inode *node;          /* bound to a path: its S_IFSOCK node (node->priv is this) */
	struct uaddr addr, paddr;    /* its own, and its peer's at connect time */
	int bound;                   /* addr came from bind (or autobind) */
	int sb;                      /* sandbox id where it was made: its abstract names' space */
	struct ucred_k cred;         /* SO_PEERCRED: the peer's, at connect (or listen) time */
	int cred_sb;                 /* sandbox of that peer */
	int inflight;                /* times its file is in some queue (unix_gc) */
	int gc_mark;
};

/* unix.c */
extern struct unix_sock *unix_sockets;                  /* every AF_UNIX socket, embryos too */

/* unix_queue.c */
struct unix_sock *unix_of(struct file *f);              /* the AF_UNIX socket f is, or NULL */
void unix_scm_inflight(struct scm *scm, int d);         /* d = +1 queued, -1 out of a queue */
void unix_enqueue(struct unix_sock *u, struct skb *b);  /* at the tail of u's queue */
struct skb *unix_dequeue(struct unix_sock *u);          /* the head of u's queue, which has one */
void unix_skb_free(struct skb *b);                      /* uncharges its sender, puts its descriptors */
struct skb *unix_queue_take(struct unix_sock *u);       /* u's whole queue, u left empty */
void unix_purge(struct skb *q);                         /* frees a chain of buffers (see above) */
/* u closes: its buffers in any queue (and in own, its taken queue) charge nobody. */
void unix_uncharge(const struct unix_sock *u, struct skb *own);
void unix_gc(void);                                     /* frees cycles of sockets in flight */

#endif
