/*
 * The guest kernel's lwIP port (guest/net/lwip/): what the socket family
 * (inet.c) calls.  lwIP itself is Debian's 2.1.3, built by lwip.mk.
 */
#ifndef BULKHEAD_GUEST_LWIP_PORT_H
#define BULKHEAD_GUEST_LWIP_PORT_H
void lwip_start(void);  /* at boot: lwIP, the loopif, its timers on the scheduler's poller */
void lwip_pump(void);   /* delivers what waits on the loopback queue; after each call into lwIP */
/* ether.c: an interface's Linux name ("lo", "eth0") into b[NIC_NAME_MAX];
 * its counters, NULL for one without (the loopback) */
struct netif;
struct nic_stats;
void netif_ifname(const struct netif *nif, char *b);
const struct nic_stats *netif_stats(const struct netif *nif);
#endif
