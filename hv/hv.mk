# hv: the hypervisor image, linked at its physical load address (linker/hv.ld).
HV_SRCS := $(wildcard hv/*.c hv/svm/*.c hv/vmx/*.c) lib/fmt.c lib/string.c lib/desc.c lib/uart.c
HV_ASM := $(wildcard hv/*.S hv/svm/*.S hv/vmx/*.S) lib/traps.S
HV_OBJS := $(patsubst %,$(BUILD)/%.o,$(HV_SRCS) $(HV_ASM))

$(BUILD)/hv/%.o: hv/% $(wildcard include/bulkhead/*.h hv/*.h hv/*/*.h)
	@mkdir -p $(@D)
	@echo '  CC      $<'
	$(Q)$(CC) $(KCFLAGS) -Ihv -c $< -o $@

$(BUILD)/lib/%.o: lib/% $(wildcard lib/*.h)
	@mkdir -p $(@D)
	@echo '  CC      $<'
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/hv.elf: $(HV_OBJS) linker/hv.ld
	@echo '  LD      $@'
	$(Q)$(CC) $(KLDFLAGS) -T linker/hv.ld $(HV_OBJS) -o $@

# Unit tests of the pure parts: allocator, page-table builder, formatting.
$(BUILD)/tests/unit/test_pmem: tests/unit/test_pmem.c hv/pmem.c hv/pmem.h
$(BUILD)/tests/unit/test_gpt: tests/unit/test_gpt.c hv/gpt.c hv/gpt.h
$(BUILD)/tests/unit/test_fmt: tests/unit/test_fmt.c lib/fmt.c lib/fmt.h
$(BUILD)/tests/unit/test_pmem $(BUILD)/tests/unit/test_gpt $(BUILD)/tests/unit/test_fmt:
	@mkdir -p $(@D)
	@echo '  HOSTCC  $@'
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(filter %.c,$^) -o $@
UNIT_TESTS += $(BUILD)/tests/unit/test_pmem $(BUILD)/tests/unit/test_gpt $(BUILD)/tests/unit/test_fmt
