# Image loader (issue 5): the freestanding core, the bhimage host tool, its
# unit tests, the freestanding build check and the libFuzzer targets.
LD_CORE := util sha256 inflate gzip json tar stream apply image config tarstore unpack memfs
LD_HOST := alloc dirfs writer hostio filecmds sha256_ni
LD_SRC := $(LD_CORE:%=loader/%.c)
LD_HDR := $(wildcard loader/*.h loader/host/*.h loader/fuzz/*.h)
LD_OPT := -std=gnu11 -O2 -g -Wall -Wextra -Werror
LD_BIN := $(BUILD)/tools/bhimage

# The core must stay freestanding: compile it with the kernel's flags.
LD_FREE_OBJ := $(LD_CORE:%=$(BUILD)/loader/free/%.o)
$(BUILD)/loader/free/%.o: loader/%.c $(LD_HDR)
	@mkdir -p $(@D)
	$(CC) $(KCFLAGS) -fno-tree-loop-distribute-patterns -nostdinc \
		-isystem $(shell $(CC) -print-file-name=include) -c $< -o $@
# One relocatable object for the guest kernel; it must need no symbol from outside.
$(BUILD)/loader/loader.o: $(LD_FREE_OBJ)
	ld -r -o $@ $(LD_FREE_OBJ)
$(BUILD)/loader/freestanding.stamp: $(BUILD)/loader/loader.o
	@if nm -u $< | grep .; then echo "loader core needs the symbols above"; exit 1; fi
	@touch $@

$(LD_BIN): $(LD_SRC) $(LD_HOST:%=loader/host/%.c) loader/host/main.c $(LD_HDR)
	@mkdir -p $(@D)
	$(HOSTCC) $(LD_OPT) -pthread -o $@ $(LD_SRC) $(LD_HOST:%=loader/host/%.c) loader/host/main.c

$(BUILD)/tests/unit/test_loader: tests/loader/unit/test_loader.c $(LD_SRC) $(LD_HOST:%=loader/host/%.c) $(LD_HDR)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOSTCFLAGS) -pthread -Iloader -o $@ $< $(LD_SRC) $(LD_HOST:%=loader/host/%.c)

# libFuzzer targets (clang); tests/loader/test_loader_fuzz.py runs each briefly.
LD_FUZZ := json inflate tar loader
LD_FUZZ_BIN := $(LD_FUZZ:%=$(BUILD)/fuzz/fuzz_%)
$(BUILD)/fuzz/fuzz_%: loader/fuzz/fuzz_%.c $(LD_SRC) loader/host/alloc.c $(LD_HDR)
	@mkdir -p $(@D)
	clang -std=gnu11 -O1 -g -fsanitize=fuzzer,address,undefined -DLD_FUZZ_NO_DIGEST \
		-Iloader -o $@ $< $(LD_SRC) loader/host/alloc.c

.PHONY: loader
loader: $(LD_BIN) $(BUILD)/loader/freestanding.stamp $(LD_FUZZ_BIN)

UNIT_TESTS += $(BUILD)/tests/unit/test_loader
TEST_DEPS += $(LD_BIN) $(BUILD)/loader/freestanding.stamp $(LD_FUZZ_BIN)
BENCH_DEPS += $(LD_BIN)
