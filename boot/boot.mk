# boot/: the UEFI loader BOOTX64.EFI (GNU-EFI) and the host unit tests of its
# pure parts (config, elf, memmap).  Included by the top Makefile.
#
#   make $(BUILD)/boot-debug/BOOTX64.EFI   same app, also prints the UEFI memory map

BOOT_PURE := boot/config.c boot/elf.c boot/memmap.c boot/fmt.c lib/fmt.c
BOOT_SRCS := boot/main.c boot/detect.c boot/serial.c lib/uart.c $(BOOT_PURE)
BOOT_HDRS := $(wildcard boot/*.h) $(wildcard include/bulkhead/*.h)

BOOT_EFI_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -Iinclude \
	-I/usr/include/efi -I/usr/include/efi/x86_64 -DGNU_EFI_USE_MS_ABI \
	-fpic -ffreestanding -fno-stack-protector -fno-stack-check -fshort-wchar \
	-mno-red-zone -maccumulate-outgoing-args -fcf-protection=none
BOOT_EFI_LDFLAGS := -nostdlib -shared -Bsymbolic -L/usr/lib -T/usr/lib/elf_x86_64_efi.lds
BOOT_EFI_SECTIONS := -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym \
	-j .rel -j .rela -j '.rel.*' -j '.rela.*' -j .reloc -j .bss

$(BUILD)/boot/%.o: boot/%.c $(BOOT_HDRS)
	@mkdir -p $(@D)
	@echo '  CC      $<'
	$(Q)$(CC) $(BOOT_EFI_CFLAGS) -c $< -o $@

$(BUILD)/boot/lib/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	@echo '  CC      $<'
	$(Q)$(CC) $(BOOT_EFI_CFLAGS) -c $< -o $@

$(BUILD)/boot-debug/%.o: boot/%.c $(BOOT_HDRS)
	@mkdir -p $(@D)
	@echo '  CC      $<'
	$(Q)$(CC) $(BOOT_EFI_CFLAGS) -DBH_BOOT_DEBUG -c $< -o $@

$(BUILD)/boot-debug/lib/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	@echo '  CC      $<'
	$(Q)$(CC) $(BOOT_EFI_CFLAGS) -c $< -o $@

$(BUILD)/boot/bootx64.so: $(patsubst boot/%.c,$(BUILD)/boot/%.o,$(BOOT_SRCS:lib/%=boot/lib/%))
	@echo '  LD      $@'
	$(Q)ld $(BOOT_EFI_LDFLAGS) /usr/lib/crt0-efi-x86_64.o $^ -o $@ -lgnuefi -lefi

$(BUILD)/boot-debug/bootx64.so: $(patsubst boot/%.c,$(BUILD)/boot-debug/%.o,$(BOOT_SRCS:lib/%=boot/lib/%))
	@echo '  LD      $@'
	$(Q)ld $(BOOT_EFI_LDFLAGS) /usr/lib/crt0-efi-x86_64.o $^ -o $@ -lgnuefi -lefi

$(ESP)/EFI/BOOT/BOOTX64.EFI: $(BUILD)/boot/bootx64.so
	@mkdir -p $(@D)
	@echo '  OBJCOPY $@'
	$(Q)objcopy $(BOOT_EFI_SECTIONS) --target efi-app-x86_64 --subsystem=10 $< $@

$(BUILD)/boot-debug/BOOTX64.EFI: $(BUILD)/boot-debug/bootx64.so
	@echo '  OBJCOPY $@'
	$(Q)objcopy $(BOOT_EFI_SECTIONS) --target efi-app-x86_64 --subsystem=10 $< $@

# Host unit tests.
BOOT_TESTS := $(BUILD)/tests/unit/test_config $(BUILD)/tests/unit/test_elf \
	$(BUILD)/tests/unit/test_memmap
UNIT_TESTS += $(BOOT_TESTS)

$(BOOT_TESTS): $(BUILD)/tests/unit/test_%: tests/unit/test_%.c $(BOOT_PURE) $(BOOT_HDRS) tests/unit/check.h
	@mkdir -p $(@D)
	@echo '  HOSTCC  $@'
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -I. -o $@ $< $(BOOT_PURE)
