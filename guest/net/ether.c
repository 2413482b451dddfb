/*
 * Ethernet interfaces on lwIP (guest ring 0, host role): what a NIC driver
 * (dev/e1000.c, dev/virtio_net.c) registers becomes an lwIP netif named
 * eth0, eth1... with ARP, configured by bulkhead.cfg's `net` (DHCP, or
 * the static address the boot info carries).  Frames cross here by copy:
 * a received frame from the driver's DMA buffer into a pbuf (nic_rx), a
 * sent one from lwIP's pbuf chain into the driver's transmit buffer, so
 * lwIP never holds device memory and a driver never holds a pbuf.  Bad
 * frames are counted and dropped; counters are what /proc/net/dev shows.
 * lwIP is entered only with interrupts off: from syscalls, the tick's
 * poller, or an interrupt taken in the idle loop or in user mode.
 */
#include "../../lib/fmt.h"
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "net/net.h"
#include "net/vswitch.h"
#include "net/lwip/port.h"
#include "lwip/netif.h"
#include "lwip/etharp.h"
#include "lwip/dhcp.h"
#include "netif/ethernet.h"

#define NIC_MAX 4
#define ETH_HDR 14

static struct nic *nics[NIC_MAX];
static int nnics;

static struct nic *nic_of(const struct netif *n)
{
	for (int i = 0; i < nnics; i++)
		if (nics[i]->netif == n)
			return nics[i];
	return 0;
}

/* lwIP's transmit: the chain copied into the driver's buffer. */
static err_t nic_linkoutput(struct netif *nif, struct pbuf *p)
{
	struct nic *n = nif->state;
	void *buf;
	if (p->tot_len < ETH_HDR || p->tot_len > NIC_FRAME_MAX) {
		n->st.tx_errors++;
		return ERR_VAL;
	}
	if (!n->present || !(buf = n->ops->tx_buf(n->drv))) {
		n->st.tx_dropped++; /* the ring is full (or the device gone): as a full qdisc, dropped */
		return ERR_MEM;
	}
	pbuf_copy_partial(p, buf, p->tot_len, 0);
	n->ops->tx_send(n->drv, p->tot_len);
	n->st.tx_packets++, n->st.tx_bytes += p->tot_len;
	return ERR_OK;
}

void nic_rx(struct nic *n, const void *frame, u32 len)
{
	if (len < ETH_HDR || len > NIC_FRAME_MAX) {
		n->st.rx_errors++;
		return;
	}
	struct netif *nif = n->netif;
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
	if (!p) {
		n->st.rx_dropped++;
		return;
	}
	memcpy(p->payload, frame, len);
	n->st.rx_packets++, n->st.rx_bytes += len;
	if (nif->input(p, nif) != ERR_OK) {
		pbuf_free(p);
		n->st.rx_dropped++;
	}
}

void nic_link(struct nic *n, int up)
{
	if (up && n->present)
		netif_set_link_up(n->netif);
	else
		netif_set_link_down(n->netif);
}

void nic_gone(struct nic *n)
{
	if (!n->present)
		return;
	n->present = 0;
	netif_set_link_down(n->netif);
	kprintf("guest: %s: the device stopped answering; the interface is down\n", n->name);
}

static err_t nic_netif_init(struct netif *nif)
{
	struct nic *n = nif->state;
	nif->name[0] = 'e', nif->name[1] = 't';
	nif->output = etharp_output;
	nif->linkoutput = nic_linkoutput;
	nif->mtu = NIC_FRAME_MAX - ETH_HDR;
	nif->hwaddr_len = 6;
	memcpy(nif->hwaddr, n->mac, 6);
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	return ERR_OK;
}

static void nic_status(struct netif *nif)
{
	struct nic *n = nif->state;
	u32 a = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(nif)));
	u32 g = lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(nif)));
	u32 m = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(nif))), pfx = 0;
	for (; m & 0x80000000u; m <<= 1)
		pfx++;
	if (a)
		klog("%s: %u.%u.%u.%u/%u gateway %u.%u.%u.%u (%s)\n", n->name, a >> 24, a >> 16 & 255, a >> 8 & 255,
		     a & 255, pfx,
		     g >> 24, g >> 16 & 255, g >> 8 & 255, g & 255, dhcp_supplied_address(nif) ? "DHCP" : "static");
}

/* Interfaces whose drivers have no interrupt yet: polled at the tick. */
static void nic_poll_all(void)
{
	for (int i = 0; i < nnics; i++)
		if (nics[i]->polled && nics[i]->present)
			nics[i]->ops->poll(nics[i]->drv);
}

int nic_add(struct nic *n)
{
	static int poller;
	struct netif *nif = kzalloc(sizeof *nif);
	if (nnics == NIC_MAX || !nif) {
		kfree(nif);
		return nnics == NIC_MAX ? -ENOSPC : -ENOMEM;
	}
	bh_snprintf(n->name, sizeof n->name, "eth%d", nnics);
	n->netif = nif;
	n->present = 1;
	ip4_addr_t addr = { 0 }, mask = { 0 }, gw = { 0 };
	u32 pfx = boot_info->net_prefix;
	if (boot_info->net_addr && !nnics) { /* bulkhead.cfg's net = ADDR/PREFIX,GATEWAY: the first NIC */
		ip4_addr_set_u32(&addr, lwip_htonl(boot_info->net_addr));
		ip4_addr_set_u32(&mask, lwip_htonl(pfx ? ~0u << (32 - pfx) : 0));
		ip4_addr_set_u32(&gw, lwip_htonl(boot_info->net_gateway));
	}
	if (!netif_add(nif, &addr, &mask, &gw, n, nic_netif_init, ethernet_input)) {
		kfree(nif);
		return -ENOMEM;
	}
	nics[nnics++] = n;
	netif_set_status_callback(nif, nic_status);
	if (nnics == 1)
		netif_set_default(nif);
	netif_set_up(nif);
	netif_set_link_up(nif);
	if (!boot_info->net_addr || nnics > 1)
		dhcp_start(nif);
	if (!poller && sched_add_poller(nic_poll_all) == 0)
		poller = 1;
	klog("%s: %02x:%02x:%02x:%02x:%02x:%02x\n", n->name, n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4],
	     n->mac[5]);
	return 0;
}

void netif_ifname(const struct netif *nif, char *b)
{
	struct nic *n = nic_of(nif);
	if (vswitch_ifname(nif, b)) /* a network's gateway, a sandbox's eth0 */
		return;
	memset(b, 0, NIC_NAME_MAX);
	if (n)
		memcpy(b, n->name, sizeof n->name);
	else if (nif->name[0] == 'l' && nif->name[1] == 'o') /* lwIP's loopif: "lo", with no number, as Linux */
		b[0] = 'l', b[1] = 'o';
	else /* a utility partition's channel NIC (net/chnic.c), its only one */
		memcpy(b, "eth0", 5);
}

const struct nic_stats *netif_stats(const struct netif *nif)
{
	struct nic *n = nic_of(nif);
	const struct nic_stats *s = n ? &n->st : vswitch_stats(nif);
	return s ? s : chnic_stats(nif); /* a utility partition's channel NIC */
}

/* /proc/net/dev as Linux prints it (net/core/net-procfs.c's columns). */
int net_proc_dev(char *b, int len)
{
	int k = bh_snprintf(b, (size_t)len, "Inter-|   Receive                            "
				"                    |  Transmit\n"
				" face |bytes    packets errs drop fifo frame compressed multicast|"
				"bytes    packets errs drop fifo colls carrier compressed\n");
	struct netif *nif;
	NETIF_FOREACH(nif) {
		char name[NIC_NAME_MAX];
		static const struct nic_stats none;
		const struct nic_stats *s = netif_stats(nif);
		if (!vswitch_visible(nif))
			continue;
		s = s ? s : &none;
		netif_ifname(nif, name);
		k += bh_snprintf(b + k, (size_t)(k < len ? len - k : 0),
				 "%6s: %7llu %7llu %4llu %4llu %4u %5u %10u %9u %8llu %7llu %4llu %4llu %4u %5u %7u %10u\n",
				 name, s->rx_bytes, s->rx_packets, s->rx_errors, s->rx_dropped, 0, 0, 0, 0, s->tx_bytes,
				 s->tx_packets, s->tx_errors, s->tx_dropped, 0, 0, 0, 0);
	}
	return k;
}

/* One line of /proc/net/route, padded to 127 columns. */
static int route_line(char *b, int len, const char *name, u32 dest, u32 gw, u32 flags, u32 mask)
{
	char l[160];
	bh_snprintf(l, sizeof l, "%s\t%08X\t%08X\t%04X\t%d\t%u\t%d\t%08X\t%d\t%u\t%u", name, dest, gw, flags, 0, 0u,
		    0, mask, 0, 0u, 0u);
	return bh_snprintf(b, (size_t)(len > 0 ? len : 0), "%-127s\n", l);
}

/* /proc/net/route as Linux prints it: addresses as the raw 32-bit words in
 * network order, printed as host numbers.  The interfaces the caller sees
 * (net_proc_dev's, without the loopback): each one's subnet, and the
 * default route on the caller's default interface (a sandbox's is its own
 * eth0, a utility partition's its channel NIC). */
int net_proc_route(char *b, int len)
{
	int k = bh_snprintf(b, (size_t)len, "%-127s\n",
			    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT");
	const struct netif *def = vswitch_default_netif();
	struct netif *nif;
	NETIF_FOREACH(nif) {
		u32 a = ip4_addr_get_u32(netif_ip4_addr(nif)), m = ip4_addr_get_u32(netif_ip4_netmask(nif));
		u32 g = ip4_addr_get_u32(netif_ip4_gw(nif));
		char name[NIC_NAME_MAX];
		if (!a || !netif_is_up(nif) || (nif->name[0] == 'l' && nif->name[1] == 'o') || !vswitch_visible(nif))
			continue;
		netif_ifname(nif, name);
		if (nif == def && g)
			k += route_line(b + k, len - k, name, 0, g, 3, 0); /* RTF_UP | RTF_GATEWAY */
		k += route_line(b + k, len - k, name, a & m, 0, 1, m);
	}
	return k;
}
