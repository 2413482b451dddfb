/*
 * The channel NIC (guest ring 0, utility partitions): a paravirtual
 * Ethernet interface, eth0, whose frames travel as BH_MSG_FRAME messages
 * on the partition's channel to its port on the host's virtual switch
 * (net/switch.c; include/bulkhead/channel.h).  The utility role brings it up
 * (chnic_start, from its command line's net=ADDR/PREFIX[,GATEWAY[,MAC]],
 * the address the host gave the port) with the function that sends a
 * message, and hands it each BH_MSG_FRAME received (chnic_input, from the
 * role's poller: never inside lwIP).  The MTU is the switch's, 9000 (a
 * frame message holds BH_FRAME_MAX bytes), so TCP to and from the host uses
 * the loopback's MSS; no checksums, as the switch's own interfaces (the
 * frames never leave memory).  chnic_fuzz and chnic_arpstorm send what a hostile partition
 * would, for the tests.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "linux.h"
#include "net/net.h"
#include "net/vswitch.h"
#include "net/lwip/port.h"
#include "lwip/netif.h"
#include "lwip/etharp.h"
#include "netif/ethernet.h"
#include <bulkhead/channel.h>

static struct netif nif;
static u8 mac[6];
static int (*send_msg)(u16 type, const void *payload, u32 len);
static int up;
static struct nic_stats st; /* what /proc/net/dev and ifconfig show of eth0 */

static err_t chnic_linkoutput(struct netif *n, struct pbuf *p)
{
	static u8 frame[BH_FRAME_MAX];
	const void *f = p->payload; /* a frame in one pbuf goes as it is */
	(void)n;
	if (p->tot_len > sizeof frame)
		return ERR_BUF;
	if (p->len != p->tot_len)
		f = frame, pbuf_copy_partial(p, frame, p->tot_len, 0);
	if (send_msg(BH_MSG_FRAME, f, p->tot_len)) {
		st.tx_dropped++;
		return ERR_MEM;
	}
	st.tx_packets++, st.tx_bytes += p->tot_len;
	return ERR_OK;
}

static err_t chnic_init(struct netif *n)
{
	n->name[0] = 'e', n->name[1] = 't';
	n->output = etharp_output;
	n->linkoutput = chnic_linkoutput;
	n->mtu = BH_FRAME_MAX - 14;
	n->hwaddr_len = 6;
	memcpy(n->hwaddr, mac, 6);
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	NETIF_SET_CHECKSUM_CTRL(n, NETIF_CHECKSUM_DISABLE_ALL);
	return ERR_OK;
}

int chnic_start(const char *net, int (*send)(u16 type, const void *payload, u32 len))
{
	u32 ip, gw;
	int prefix, has_mac;
	ip4_addr_t a, m, g;
	if (up || vswitch_parse_if(net, &ip, &prefix, &gw, mac, &has_mac))
		return -EINVAL;
	if (!has_mac) /* 02:42 then the address, as the switch makes them */
		mac[0] = 0x02, mac[1] = 0x42, memcpy(mac + 2, &ip, 4);
	send_msg = send;
	lwip_start();
	a.addr = ip, m.addr = lwip_htonl(~0u << (32 - prefix)), g.addr = gw;
	if (!netif_add(&nif, &a, &m, &g, 0, chnic_init, ethernet_input))
		return -ENOMEM;
	netif_set_default(&nif);
	netif_set_up(&nif);
	netif_set_link_up(&nif);
	up = 1;
	lwip_pump();
	return 0;
}

void chnic_input(const void *frame, u32 len)
{
	struct pbuf *p;
	if (!up)
		return;
	if (len < 14 || len > BH_FRAME_MAX) {
		st.rx_errors++;
		return;
	}
	if (!(p = pbuf_alloc(PBUF_RAW, (u16)len, PBUF_RAM))) {
		st.rx_dropped++;
		return;
	}
	memcpy(p->payload, frame, len);
	st.rx_packets++, st.rx_bytes += len;
	if (nif.input(p, &nif) != ERR_OK) {
		pbuf_free(p);
		st.rx_dropped++;
	}
	lwip_pump();
}

const struct nic_stats *chnic_stats(const struct netif *n) { return up && n == &nif ? &st : 0; }

/* n frames a hostile partition would send, each through send (which may
 * wait for room), of 14 bytes up to what a message holds (past Ethernet's
 * 1514): every fourth one malformed IPv4, then another's MAC, another's
 * address, and random bytes (neither IPv4 nor ARP), every second of those
 * a runt (0..13 bytes). */
void chnic_fuzz(u32 n, int (*send)(u16 type, const void *payload, u32 len))
{
	static u8 f[BH_MSG_MAX];
	u64 x = rdtsc() | 1;
	for (u32 i = 0; i < n && up; i++) {
		u32 len = 14 + (u32)(x % (BH_MSG_MAX - 13));
		for (u32 k = 0; k < len; k++)
			x ^= x << 13, x ^= x >> 7, x ^= x << 17, f[k] = (u8)x;
		memcpy(f + 6, mac, 6);
		if (i % 4 == 0)
			f[12] = 8, f[13] = 0, f[14] = 0x65;        /* IPv4 of version 6 */
		else if (i % 4 == 1)
			f[11] ^= 1;                                 /* not its MAC */
		else if (i % 4 == 2)
			f[12] = 8, f[13] = 0, f[14] = 0x45, f[16] = 0, f[17] = 20, f[26] = 10; /* not its address */
		else if (i % 8 == 7)
			len = (u32)(x % 14);                        /* a runt */
		else if (f[12] == 8 && (f[13] == 0 || f[13] == 6))
			f[13] = 1;                                  /* random, not IPv4 or ARP */
		send(BH_MSG_FRAME, f, len);
	}
}

/* n ARP requests, well formed and its own, broadcast for addresses of its
 * subnet picked at random: a storm every port of the network receives. */
void chnic_arpstorm(u32 n, int (*send)(u16 type, const void *payload, u32 len))
{
	static u8 f[42];
	u32 ip = ip4_addr_get_u32(netif_ip4_addr(&nif)), mask = ip4_addr_get_u32(netif_ip4_netmask(&nif));
	u64 x = rdtsc() | 1;
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	memcpy(f + 12, "\x08\x06\x00\x01\x08\x00\x06\x04\x00\x01", 10); /* ARP, Ethernet/IPv4, request */
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, &ip, 4);
	memset(f + 32, 0, 6);
	for (u32 i = 0; i < n && up; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		u32 target = (ip & mask) | ((u32)x & ~mask);
		memcpy(f + 38, &target, 4);
		send(BH_MSG_FRAME, f, sizeof f);
	}
}
