# lwIP in the guest kernel (docs/design.md, "TCP/IP"): Debian's source
# package lwip (2.1.3), fetched once by tools/fetch-src.sh with Debian's
# patches applied and unpacked under build/src/lwip, never edited; later
# builds are offline.  Its core, IPv4, raw, UDP and TCP are compiled with
# the kernel's flags and this folder's lwipopts.h, arch/cc.h and std/
# (the few libc headers lwIP includes); sys_arch.c drives it.
LWIP_SRC := $(BUILD)/src/lwip
LWIP_FILES := core/init core/def core/inet_chksum core/ip core/mem core/memp core/netif core/pbuf \
	core/raw core/tcp core/tcp_in core/tcp_out core/timeouts core/udp \
	core/ipv4/icmp core/ipv4/ip4 core/ipv4/ip4_addr
# Ethernet NICs (net/ether.c): ARP, Ethernet framing, the DHCP client.
LWIP_FILES += core/ipv4/etharp core/ipv4/dhcp netif/ethernet
LWIP_OBJS := $(LWIP_FILES:%=$(BUILD)/guest/lwip/%.o) $(BUILD)/guest/lwip/sys_arch.o
LWIP_INC := -Iguest/net/lwip -Iguest/net/lwip/std -I$(LWIP_SRC)/src/include
LWIP_HDRS := $(wildcard guest/net/lwip/*.h guest/net/lwip/*/*.h)

# The source appears only once fetched and unpacked whole.  One fetch at a
# time: the engine's share apt's lists (and its lock) in build/src.
$(LWIP_SRC)/src/core/init.c: | $(BUILD)/src/cjson/cJSON.c
	$(Q)sh tools/fetch-src.sh $(BUILD)/src lwip
$(LWIP_SRC)/src/%.c: $(LWIP_SRC)/src/core/init.c ;
.PRECIOUS: $(LWIP_SRC)/src/%.c

$(BUILD)/guest/lwip/%.o: $(LWIP_SRC)/src/%.c $(LWIP_HDRS) guest/net/lwip/lwip.mk
	@mkdir -p $(@D)
	$(Q)$(CC) $(GUEST_CFLAGS) -Wno-type-limits $(LWIP_INC) -c $< -o $@
$(BUILD)/guest/lwip/sys_arch.o: guest/net/lwip/sys_arch.c $(LWIP_HDRS) $(GUEST_HDRS) $(LWIP_SRC)/src/core/init.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(GUEST_CFLAGS) $(GUEST_WARN) -Iguest $(LWIP_INC) -c $< -o $@
# inet.c, the AF_INET family, ether.c (the NICs' interfaces) and the virtual
# switch include lwIP's headers.
LWIP_USERS := $(BUILD)/guest/guest/net/inet.c.o $(BUILD)/guest/guest/net/ether.c.o \
	$(BUILD)/guest/guest/net/switch.c.o $(BUILD)/guest/guest/net/nat.c.o $(BUILD)/guest/guest/net/packet.c.o \
	$(BUILD)/guest/guest/net/chnic.c.o
$(LWIP_USERS): GUEST_CFLAGS += $(LWIP_INC)
$(LWIP_USERS): $(LWIP_HDRS) $(LWIP_SRC)/src/core/init.c
GUEST_OBJS += $(LWIP_OBJS)
