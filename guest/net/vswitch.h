/*
 * The virtual switch and its NAT (guest ring 0, the host partition's
 * kernel; docs/design.md "Virtual switch and NAT").  switch.c: L2 switches
 * ("networks"), each a private IPv4 subnet whose gateway is an interface of
 * the host's lwIP stack; ports for sandboxes (an interface of their own in
 * the host's stack) and for remote ends (a hyperv container's NIC, frames
 * on its channel).  nat.c: outbound NAT to the host's other interfaces and
 * published ports.  Addresses are IPv4 in network byte order (lwIP's u32).
 */
#ifndef BULKHEAD_GUEST_VSWITCH_H
#define BULKHEAD_GUEST_VSWITCH_H

#include <bulkhead/types.h>

struct netif;
struct pbuf;
struct ip4_addr;
struct vs_port;
struct nic_stats;

/* Jumbo frames on the networks: TCP between the host and its containers
 * then takes the loopback's MSS (8000, lwipopts.h); the MSS a connection
 * through NAT uses is the smaller of the two ends', the NIC's. */
#define VS_MTU 9000
#define VS_FRAME_MAX (VS_MTU + 14)   /* bytes: an Ethernet II frame without its FCS */

/* switch.c */
void vswitch_init(void);             /* host role: /dev/vswitch and the default network "nat" */
/* A network: name (1..15 bytes of [A-Za-z0-9_.-]), its gateway's address and
 * prefix length (8..30).  0, -EINVAL, -EEXIST (the name, or a subnet that
 * overlaps another's), -ENOSPC (VS_NETS), -ENOMEM. */
int vswitch_net_new(const char *name, u32 gw, int prefix);
int vswitch_net_del(const char *name); /* 0, -ENOENT, -EBUSY (it has ports besides its gateway) */
/* A port with address ip on the network whose subnet holds it, and MAC mac
 * (NULL: 02:42 and the address, as Docker's).  tx NULL: a sandbox's port,
 * an interface in the host's stack; else a remote port, tx(arg, frame, len)
 * takes each frame for it (0, or -errno when it cannot: counted as a drop).
 * 0, -EINVAL (the network or gateway address, or a multicast MAC),
 * -EADDRNOTAVAIL (no network holds ip), -EADDRINUSE (the address or MAC is
 * a port's), -ENOSPC (VS_PORTS), -ENOMEM. */
int vswitch_port_new(u32 ip, const u8 *mac, int (*tx)(void *arg, const void *frame, u32 len), void *arg,
		     struct vs_port **out);
void vswitch_port_free(struct vs_port *p);
/* A remote port's frame (len bytes, copied) into the switch: checked and
 * forwarded, or dropped and counted. */
void vswitch_input(struct vs_port *p, const void *frame, u32 len);
/* "ADDR/PREFIX[,GATEWAY[,MAC]]" (the sandbox line's net=): 0 or -EINVAL.
 * The prefix and gateway must be the network's (checked by the port). */
int vswitch_parse_if(const char *s, u32 *ip, int *prefix, u32 *gw, u8 *mac, int *has_mac);
int vswitch_port_check(const struct vs_port *p, int prefix, u32 gw); /* 0 or -EINVAL */
/* A port as net= ("ADDR/PREFIX[,GATEWAY[,MAC]]") says, with the prefix and
 * gateway of the network holding ADDR: vswitch_parse_if, vswitch_port_new
 * and vswitch_port_check in one; 0 or their error (*out NULL). */
int vswitch_attach(const char *net, int (*tx)(void *arg, const void *frame, u32 len), void *arg,
		   struct vs_port **out);
u32 vswitch_port_addr(const struct vs_port *p);

/* For lwIP and inet.c; vswitch_route (LWIP_HOOK_IP4_ROUTE_SRC) and nat_input
 * (LWIP_HOOK_IP4_INPUT: 1 = it took the packet) are declared in lwipopts.h */
int vswitch_pump(void);              /* frames queued for local ports delivered: 1 if any */
int vswitch_visible(const struct netif *n);  /* the caller's sandbox sees interface n */
int vswitch_ifname(const struct netif *n, char *b); /* 1: b (16 bytes) has the name the caller sees n by */
const struct netif *vswitch_default_netif(void); /* where the caller's default route goes, or NULL */
/* A port's counters as its interface's (/proc/net/dev), or NULL: not a port */
const struct nic_stats *vswitch_stats(const struct netif *n);
int vswitch_bindable(u32 ip);          /* the caller may bind ip (a host or its own address) */
u32 vswitch_own_addr(void);            /* the caller's sandbox's address, or 0 */

/* What nat.c asks of the switch */
struct netif *vswitch_gateway_of(u32 ip);      /* the gateway interface of the network holding ip */
int vswitch_is_gateway(struct netif *n);       /* n is a network's gateway interface */
struct netif *vswitch_sandbox_netif(u32 ip);   /* the sandbox interface with address ip, or NULL */

/* nat.c */
/* proto 6 or 17; 0, -EINVAL, -EEXIST (the host port), -ENOSPC */
int nat_publish(int proto, u16 host_port, u32 ip, u16 port);
int nat_unpublish(int proto, u16 host_port); /* 0 or -ENOENT */
void nat_forget(u32 ip);                       /* a port went: its mappings and published ports go */
int nat_show(char *b, int n);                  /* the published ports and mappings, as text */

/* chnic.c: a utility partition's NIC, frames over its channel.  chnic_start:
 * eth0 up with net= ("ADDR/PREFIX[,GATEWAY[,MAC]]"), frames sent by
 * send(BH_MSG_FRAME, frame, len) (0, or nonzero: dropped); 0, -EINVAL (malformed, or already up),
 * -ENOMEM.  chnic_input: a BH_MSG_FRAME received (copied).  chnic_fuzz: n
 * hostile frames (malformed, spoofed, random, runts) through send, for the
 * tests; chnic_arpstorm: n well-formed broadcast ARP requests. */
int chnic_start(const char *net, int (*send)(u16 type, const void *payload, u32 len));
void chnic_input(const void *frame, u32 len);
const struct nic_stats *chnic_stats(const struct netif *n); /* its counters, or NULL if n is not it */
void chnic_fuzz(u32 n, int (*send)(u16 type, const void *payload, u32 len));
void chnic_arpstorm(u32 n, int (*send)(u16 type, const void *payload, u32 len));

#endif
