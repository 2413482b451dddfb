# The guest kernel: one image for every partition (linker/guest.ld).
GUEST_SRCS := $(wildcard guest/*.c) lib/fmt.c lib/string.c lib/desc.c
GUEST_ASM := $(wildcard guest/*.S) lib/traps.S
GUEST_OBJS := $(patsubst %,$(BUILD)/%.o,$(GUEST_SRCS) $(GUEST_ASM))

$(BUILD)/guest/%.o: guest/% $(wildcard include/bulkhead/*.h guest/*.h lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(KCFLAGS) -Iguest -c $< -o $@

$(BUILD)/guest.elf: $(GUEST_OBJS) linker/guest.ld
	$(CC) $(KLDFLAGS) -T linker/guest.ld $(GUEST_OBJS) -o $@
