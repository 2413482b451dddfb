# hv: the hypervisor image, linked at its physical load address (linker/hv.ld).
HV_SRCS := $(wildcard hv/*.c hv/svm/*.c hv/vmx/*.c) lib/fmt.c lib/string.c lib/desc.c lib/uart.c \
	boot/elf.c boot/fmt.c
HV_ASM := $(wildcard hv/*.S hv/svm/*.S hv/vmx/*.S) lib/traps.S
HV_OBJS := $(patsubst %,$(BUILD)/hv-%.o,$(HV_SRCS) $(HV_ASM))
# hv's own files: every cross-file symbol declared once, in a header.
HV_WARN := -Wmissing-prototypes -Wstrict-prototypes -Wredundant-decls

$(BUILD)/hv-%.o: % $(wildcard include/bulkhead/*.h hv/*.h hv/*/*.h lib/*.h boot/*.h)
	@mkdir -p $(@D)
	@echo '  CC      $<'
	$(Q)$(CC) $(KCFLAGS) $(if $(filter hv/%,$<),$(HV_WARN)) -Ihv -c $< -o $@

$(BUILD)/hv.elf: $(HV_OBJS) linker/hv.ld
	@echo '  LD      $@'
	$(Q)$(CC) $(KLDFLAGS) -T linker/hv.ld $(HV_OBJS) -o $@

# Unit tests of the pure parts: allocator, page-table builder (x86 and EPT
# formats), VMX controls, formatting, device interrupts' EOIs; and the guest's channel rings.
HV_UNIT := $(addprefix $(BUILD)/tests/unit/,test_pmem test_gpt test_ept test_vmx_controls test_fmt test_channel \
	test_tags test_irq)
$(BUILD)/tests/unit/test_pmem: tests/unit/test_pmem.c hv/pmem.c hv/pmem.h
$(BUILD)/tests/unit/test_gpt: tests/unit/test_gpt.c hv/gpt.c hv/gpt.h
$(BUILD)/tests/unit/test_ept: tests/unit/test_ept.c hv/gpt.c hv/vmx/ept.c hv/gpt.h
$(BUILD)/tests/unit/test_vmx_controls: tests/unit/test_vmx_controls.c hv/vmx/controls.c hv/vmx/controls.h hv/vmx/vmcs.h
$(BUILD)/tests/unit/test_fmt: tests/unit/test_fmt.c lib/fmt.c lib/fmt.h
$(BUILD)/tests/unit/test_tags: tests/unit/test_tags.c hv/tags.c hv/tags.h
$(BUILD)/tests/unit/test_irq: tests/unit/test_irq.c hv/irq.c hv/part.h hv/hv.h hv/vcpu.h
$(BUILD)/tests/unit/test_channel: tests/unit/test_channel.c guest/bh/channel.c guest/bh/channel.h include/bulkhead/channel.h
$(HV_UNIT):
	@mkdir -p $(@D)
	@echo '  HOSTCC  $@'
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(filter %.c,$^) -o $@
UNIT_TESTS += $(HV_UNIT)
