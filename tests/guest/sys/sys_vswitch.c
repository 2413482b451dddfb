/* Hostile frames on a process container's port of the virtual switch
 * (guest/net/switch.c), run inside a sandbox with net=ADDR/16: AF_PACKET
 * SOCK_RAW frames with another port's MAC or address, an ARP reply claiming
 * the gateway's address, other ethertypes, malformed IPv4 and ARP, a
 * multicast and an unknown unicast destination, then random frames.  It
 * prints how many it sent of each, for the test to compare with the port's
 * drop counters in /dev/vswitch; then it sleeps (argv[1] seconds) so the
 * port is still there to read.  Frames the socket itself refuses (shorter
 * than a header, longer than the MTU) are checked here, as Linux answers. */
#include "t.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static int pk, ifindex;
static unsigned char own_mac[6], own_ip[4], gw_mac[6] = { 2, 0x42, 172, 20, 0, 1 }, gw_ip[4] = { 172, 20, 0, 1 };

static int send_frame(const unsigned char *f, int len)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6 };
	return sendto(pk, f, len, 0, (struct sockaddr *)&to, sizeof to) == len ? 0 : -errno;
}

/* An Ethernet header, then an IPv4 header (20 bytes, ICMP, 28 bytes long) from src. */
static int ipv4(unsigned char *f, const unsigned char *smac, const unsigned char *sip)
{
	memcpy(f, gw_mac, 6), memcpy(f + 6, smac, 6);
	f[12] = 8, f[13] = 0;
	unsigned char *ip = f + 14;
	memset(ip, 0, 28);
	ip[0] = 0x45, ip[3] = 28, ip[8] = 64, ip[9] = 1;
	memcpy(ip + 12, sip, 4), memcpy(ip + 16, gw_ip, 4);
	ip[20] = 8; /* an echo request (checksums left wrong: the switch does not read them) */
	return 14 + 28;
}

static int arp(unsigned char *f, int op, const unsigned char *sip)
{
	memcpy(f, op == 1 ? (const unsigned char *)"\xff\xff\xff\xff\xff\xff" : gw_mac, 6);
	memcpy(f + 6, own_mac, 6);
	f[12] = 8, f[13] = 6;
	unsigned char *a = f + 14;
	a[0] = 0, a[1] = 1, a[2] = 8, a[3] = 0, a[4] = 6, a[5] = 4, a[6] = 0, a[7] = (unsigned char)op;
	memcpy(a + 8, own_mac, 6), memcpy(a + 14, sip, 4);
	memcpy(a + 18, gw_mac, 6), memcpy(a + 24, gw_ip, 4);
	return 14 + 28;
}

int main(int argc, char **argv)
{
	unsigned char f[9100], other_mac[6] = { 2, 0x42, 172, 20, 0, 2 }, other_ip[4] = { 172, 20, 0, 2 };
	int reps = 5, srcmac = 0, srcip = 0, type = 0, malformed = 0, nodest = 0, random_n = 2000, n;
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	strcpy(ifr.ifr_name, "eth0");
	if (ioctl(s, SIOCGIFINDEX, &ifr) || (ifindex = ifr.ifr_ifindex, ioctl(s, SIOCGIFHWADDR, &ifr)))
		return printf("FAIL: eth0: %s\n", ename(errno)), 1;
	memcpy(own_mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(s, SIOCGIFADDR, &ifr))
		return printf("FAIL: eth0's address: %s\n", ename(errno)), 1;
	memcpy(own_ip, &((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr, 4);
	if ((pk = socket(AF_PACKET, SOCK_RAW, htons(3))) < 0)
		return printf("FAIL: AF_PACKET: %s\n", ename(errno)), 1;
	printf("short: %s\n", ename(-send_frame(f, 10)));
	memset(f, 0, sizeof f);
	n = ipv4(f, own_mac, own_ip);
	printf("long: %s\n", ename(-send_frame(f, 9015))); /* MTU 9000 */
	for (int i = 0; i < reps; i++) {
		n = ipv4(f, other_mac, own_ip), srcmac += !send_frame(f, n);       /* another port's MAC */
		n = ipv4(f, own_mac, other_ip), srcip += !send_frame(f, n);        /* another port's address */
		n = arp(f, 2, gw_ip), srcip += !send_frame(f, n);                  /* "the gateway is at my MAC" */
		n = arp(f, 1, other_ip), srcip += !send_frame(f, n);
		n = ipv4(f, own_mac, own_ip), f[13] = 0xdd, f[12] = 0x86, type += !send_frame(f, n); /* IPv6 */
		n = ipv4(f, own_mac, own_ip), f[14] = 0x65, malformed += !send_frame(f, n);   /* version 6 */
		n = ipv4(f, own_mac, own_ip), f[17] = 200, malformed += !send_frame(f, n);    /* longer than the frame */
		n = ipv4(f, own_mac, own_ip), f[14] = 0x44, malformed += !send_frame(f, n);   /* header of 16 bytes */
		n = arp(f, 1, own_ip), malformed += !send_frame(f, 30);                       /* cut short */
		n = arp(f, 7, own_ip), malformed += !send_frame(f, n);                        /* no such operation */
		n = ipv4(f, own_mac, own_ip), f[0] = 1, f[1] = 0, f[2] = 0x5e, nodest += !send_frame(f, n); /* multicast */
		n = ipv4(f, own_mac, own_ip), f[4] = 0x99, nodest += !send_frame(f, n);      /* nobody's MAC */
	}
	srand(1);
	int rsent = 0;
	for (int i = 0; i < random_n; i++) { /* random frames from the port's own MAC */
		int len = 14 + rand() % 1500;
		for (int k = 0; k < len; k++)
			f[k] = (unsigned char)rand();
		memcpy(f + 6, own_mac, 6);
		if (f[12] == 8 && (f[13] == 0 || f[13] == 6))
			f[13] = 1; /* not IPv4 or ARP: only what cannot be legitimate */
		rsent += !send_frame(f, len);
	}
	printf("sent srcmac %d srcip %d type %d malformed %d nodest %d random %d\n", srcmac, srcip, type, malformed,
	       nodest, rsent);
	fflush(stdout);
	sleep(argc > 1 ? atoi(argv[1]) : 0);
	return 0;
}
