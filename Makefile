# Bulkhead: one Makefile for the UEFI loader, the hypervisor, the guest kernel,
# the image loader, the host tools and the tests.  Each folder contributes a
# fragment (<folder>/<folder>.mk); this file holds what they share.
#
#   make run     set up, build and boot Bulkhead in QEMU (serial console on stdio)
#   make test    set up, build and run every test
#   make bench   print the figures (QEMU -icount instruction counts, ratios)
#   make soak    1,000 partition crash cycles on each backend
#   make disk    build/bulkhead.img, a FAT32 ESP image for a USB stick
#   make compat  busybox's own testsuite on Bulkhead against Linux (tests/compat/)

BUILD := build
# Quiet by default: `make V=1` shows every command.
Q := $(if $(filter 1,$(V)),,@)
PY := /usr/bin/python3
HOSTCC := gcc
CC := gcc

# Freestanding code (hv, guest kernel): no libc, no SSE, no red zone.
KCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fno-builtin -mno-red-zone -mno-sse -mno-sse2 -mno-mmx \
	-mno-avx -mcmodel=small -fno-asynchronous-unwind-tables -fcf-protection=none \
	-Iinclude
KLDFLAGS := -nostdlib -static -no-pie -z max-page-size=4096 -Wl,--build-id=none -Wl,-z,noexecstack

# Host tools and unit tests.
HOSTCFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude -fsanitize=address,undefined

ESP := $(BUILD)/esp
TEST_DEPS :=
BENCH_DEPS :=
# make test runs this many pytest workers (pytest-xdist), one test file per
# worker at a time: each QEMU or Bochs is one busy thread.
TEST_JOBS ?= $(shell nproc)

.PHONY: all esp deps run test bench disk clean unit soak
all: esp

deps:
	@sh tools/setup.sh

include boot/boot.mk
include hv/hv.mk
include guest/guest.mk
include loader/loader.mk
include engine/engine.mk
include tests/tests.mk

esp: $(ESP)/EFI/BOOT/BOOTX64.EFI $(ESP)/hv.elf $(ESP)/guest.elf $(ESP)/bulkhead.cfg

$(ESP)/hv.elf: $(BUILD)/hv.elf
	@mkdir -p $(@D) && cp $< $@
$(ESP)/guest.elf: $(BUILD)/guest.elf
	@mkdir -p $(@D) && cp $< $@
$(ESP)/bulkhead.cfg: tools/bulkhead.cfg
	@mkdir -p $(@D) && cp $< $@

disk: deps
	@$(MAKE) --no-print-directory $(BUILD)/bulkhead.img

$(BUILD)/bulkhead.img: esp tools/mkdisk.sh
	sh tools/mkdisk.sh $(ESP) $@

# KVM=1 boots with -enable-kvm -cpu host on a host with nested virtualization.
run: deps
	@$(MAKE) --no-print-directory esp
	$(PY) tools/qemu.py --esp $(ESP) $(if $(KVM),--kvm)

test: deps
	@$(MAKE) --no-print-directory esp unit $(TEST_DEPS)
	$(PY) -m pytest -q -n $(TEST_JOBS) --dist loadfile tests

# 1,000 create -> run -> crash -> destroy cycles on each backend (QEMU ~25 s, Bochs ~4 min).
soak: deps
	@$(MAKE) --no-print-directory esp
	BH_SOAK_CYCLES=1000 $(PY) -m pytest -q -s tests/boot/test_partitions.py -k soak

bench: deps
	@$(MAKE) --no-print-directory esp $(BENCH_DEPS)
	$(PY) tools/bench.py

clean:
	rm -rf $(BUILD)
