/*
 * lwIP's configuration for the guest kernel (guest/net/lwip/lwip.mk builds
 * Debian's lwIP 2.1.3 with it).  NO_SYS: the kernel has no threads; lwIP is
 * called only from kernel code with interrupts off (syscalls, and the
 * scheduler's poller at each tick and idle wake-up), so it is never entered
 * twice.  IPv4 only: TCP, UDP, raw ICMP; the loopback, and in the host
 * partition Ethernet NICs (net/ether.c) with ARP and DHCP.
 */
#ifndef BULKHEAD_LWIPOPTS_H
#define BULKHEAD_LWIPOPTS_H

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0  /* one CPU, interrupts off in the kernel */
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0           /* guest/net/inet.c is the socket layer */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1               /* NICs (net/ether.c), the virtual switch (net/switch.c) */
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 1              /* SOCK_RAW IPPROTO_ICMP: busybox ping */
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1              /* bulkhead.cfg's net = dhcp, the default */
#define LWIP_NETIF_STATUS_CALLBACK 1 /* ether.c logs each NIC's address as it comes */
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_STATS 0
#define LWIP_NETIF_API 0
#define IP_REASSEMBLY 0         /* nothing fragments on loopback (MTU 0: none); a NIC's fragments are dropped */
#define IP_FRAG 0
#define IP_DEFAULT_TTL 64       /* as Linux's net.ipv4.ip_default_ttl */
#define ICMP_TTL 64

/* Loopback: 127.0.0.1/8 on lwIP's own loopif.  Packets sent to it wait on
 * the netif's queue until netif_poll (inet.c pumps it after each call into
 * lwIP, and at each tick).  The queue is bounded by what the senders may
 * have in flight (their windows), so it has no count limit of its own. */
#define LWIP_HAVE_LOOPIF 1
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_LOOPBACK_MAX_PBUFS 0
#define LWIP_NETIF_LOOPBACK_MULTITHREADING 0
/* Checksums per interface: the loopif turns them all off (a packet that
 * never leaves memory cannot be corrupted on a wire), as Linux's lo does. */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1

/* Memory: the kernel's heap (kmalloc), for the heap and the pools alike.
 * Fixed pools would either cap the connections below the descriptor limit
 * or reserve megabytes every partition pays for at boot; the heap grows
 * with use instead.  What bounds it: each TCP connection holds at most
 * TCP_SND_BUF unsent plus TCP_WND unread bytes (out-of-order segments at
 * most TCP_OOSEQ_MAX_BYTES), each UDP or raw socket at most its SO_RCVBUF
 * (inet.c drops beyond), and the sockets themselves are bounded by the
 * processes' descriptor tables. */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 8
#define mem_clib_malloc(n) lwip_kmalloc(n)
#define mem_clib_free(p) lwip_kfree(p)
#define mem_clib_calloc(c, n) lwip_kcalloc(c, n)
void *lwip_kmalloc(unsigned long n);
void *lwip_kcalloc(unsigned long c, unsigned long n);
void lwip_kfree(void *p);
#define PBUF_POOL_SIZE 0        /* no pool pbufs: no driver receives into them */

/* TCP: a loopback MSS of 8000 (the loopif has no MTU), 64 KiB windows
 * and send buffers, the most without window scaling: what a connection
 * holds unread (at most TCP_WND) then fits one pbuf chain, whose tot_len
 * is 16 bits.  lwIP's sanity checks (init.c) all hold with these. */
#define TCP_MSS 8000
#define TCP_WND 65535
#define TCP_SND_BUF 65535
/* Segments a send queue holds: a full send buffer in segments of the
 * smallest MSS a peer may give (536, without the option), not only the
 * loopback's: on Ethernet (the switch, NICs: MSS 1460) the loopback's
 * count ran out first and a 64 KiB write failed with ENOBUFS. */
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / 536)
#define TCP_OOSEQ_MAX_BYTES TCP_WND
#define TCP_MSL 30000U          /* ms: TIME_WAIT (2 MSL) lasts 60 s, as Linux's */
#define TCP_LISTEN_BACKLOG 1    /* tcp_listen_with_backlog: listen(2)'s backlog */
#define LWIP_TCP_KEEPALIVE 1    /* SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT */
#define SO_REUSE 1              /* SO_REUSEADDR */
#define LWIP_CALLBACK_API 1
#define LWIP_EVENT_API 0

/* arch/cc.h: LWIP_ASSERT panics the kernel; no debug output. */
#define LWIP_DEBUG 0
#define LWIP_NOASSERT_ON_ERROR 1
#define LWIP_RAND() lwip_rand()
unsigned int lwip_rand(void);

/* The virtual switch and NAT (net/switch.c, net/nat.c, net/vswitch.h): an
 * ARP cache for a network's gateway and its sandboxes' interfaces (entries
 * are per interface: a gateway's for each container it talks to, a
 * sandbox's for its gateway; past the table, entries are recycled and
 * asked again), searched only when the last one used does not match and
 * then up to the match; routing by source (a sandbox's sockets leave through
 * its own interface); every received IPv4 packet seen by the NAT first. */
#define ARP_TABLE_SIZE 256
struct ip4_addr;
struct netif;
struct pbuf;
struct netif *vswitch_route(const struct ip4_addr *src, const struct ip4_addr *dest);
int nat_input(struct pbuf *p, struct netif *inp);
#define LWIP_HOOK_IP4_ROUTE_SRC(src, dest) vswitch_route(src, dest)
#define LWIP_HOOK_IP4_INPUT(p, inp) nat_input(p, inp)

#endif
