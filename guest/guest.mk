# The guest kernel: one image for every partition (linker/guest.ld), linked in
# the top 2 GiB (-mcmodel=kernel), from guest/ and its parts (docs/design.md):
# core/ mm/ fs/ dev/ sys/ net/ bh/ diag/.  Shared lib/ files and the image loader's
# freestanding core are compiled again here with the kernel's code model.
GUEST_DIRS := guest guest/core guest/mm guest/fs guest/dev guest/sys guest/net guest/bh guest/diag
GUEST_SRCS := $(wildcard $(GUEST_DIRS:%=%/*.c)) lib/fmt.c lib/string.c lib/desc.c
GUEST_ASM := $(wildcard $(GUEST_DIRS:%=%/*.S)) lib/traps.S
GUEST_LD := util sha256 inflate gzip json tar stream apply image config tarstore unpack
GUEST_LD_SRCS := $(GUEST_LD:%=loader/%.c)
GUEST_OBJS := $(patsubst %,$(BUILD)/guest/%.o,$(GUEST_SRCS) $(GUEST_ASM) $(GUEST_LD_SRCS))
include guest/net/lwip/lwip.mk
GUEST_CFLAGS := $(KCFLAGS) -mcmodel=kernel
# The kernel's own files: every cross-file symbol declared once, in a header.
GUEST_WARN := -Wmissing-prototypes -Wstrict-prototypes -Wredundant-decls

GUEST_HDRS := $(wildcard include/bulkhead/*.h $(GUEST_DIRS:%=%/*.h) lib/*.h)
$(BUILD)/guest/guest/%.o: guest/% $(GUEST_HDRS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(GUEST_CFLAGS) $(GUEST_WARN) -Iguest -c $< -o $@
$(BUILD)/guest/lib/%.o: lib/% $(GUEST_HDRS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(GUEST_CFLAGS) -Iguest -c $< -o $@
$(BUILD)/guest/loader/%.c.o: loader/%.c $(wildcard loader/*.h)
	@mkdir -p $(@D)
	$(Q)$(CC) $(GUEST_CFLAGS) -fno-tree-loop-distribute-patterns -nostdinc \
		-isystem $(shell $(CC) -print-file-name=include) -c $< -o $@

$(BUILD)/guest.elf: $(GUEST_OBJS) linker/guest.ld
	$(Q)$(CC) $(KLDFLAGS) -T linker/guest.ld $(GUEST_OBJS) -o $@

# The layering rule (docs/design.md): no core object (core/, mm/, sys/, net/; but
# main.c, which wires the roles) names a role's symbol (diag/, the host
# driver and utility role in bh/, the tty); `make test` checks it with nm
# (guest/layers.sh).
GUEST_CORE_OBJS := $(filter-out $(BUILD)/guest/guest/core/main.c.o, $(filter $(BUILD)/guest/guest/core/% \
	$(BUILD)/guest/guest/mm/% $(BUILD)/guest/guest/sys/% $(BUILD)/guest/guest/net/%, $(GUEST_OBJS)))
GUEST_ROLE_OBJS := $(filter $(BUILD)/guest/guest/diag/% $(BUILD)/guest/guest/bh/vmhost.c.o \
	$(BUILD)/guest/guest/bh/utility.c.o $(BUILD)/guest/guest/dev/tty.c.o, $(GUEST_OBJS))
.PHONY: guest-layers
guest-layers: $(GUEST_CORE_OBJS) $(GUEST_ROLE_OBJS)
	$(Q)sh guest/layers.sh "$(GUEST_CORE_OBJS)" "$(GUEST_ROLE_OBJS)"
TEST_DEPS += guest-layers

# Guest syscall tests (tests/guest/sys/): static musl programs, run natively
# by the tests and inside the root image as /tests/bin/<name>; asuid runs a
# program as another user, for tests that need a caller other than root.
GUEST_TESTS := sys_files sys_proc sys_sem sys_jobs sys_log sys_mshared sys_maps sys_robust sys_sandbox \
	bench_guest asuid
GUEST_TESTS += sys_paths
GUEST_TESTS += sys_pty
GUEST_TESTS += sys_unix sys_unix_dg sys_unix_sb
GUEST_TESTS += sys_inet sys_inet_fuzz
GUEST_TESTS += sys_vswitch bench_net
GUEST_TESTS += apiclient
GUEST_TESTS += tcpget
GUEST_TESTS += sys_threads sys_futex
GUEST_TESTS += sys_events sys_mremap
GUEST_TESTS += sys_hints sys_flags
GUEST_TESTS += sys_uvm
GUEST_TEST_BINS := $(GUEST_TESTS:%=$(BUILD)/guest-tests/%)
$(BUILD)/guest-tests/%: tests/guest/sys/%.c tests/guest/sys/t.h tests/guest/sys/sun.h
	@mkdir -p $(@D)
	$(Q)musl-gcc -static -O1 -Wall -Werror -o $@ $<

# Dynamic programs: tests/guest/sys/dyn_hello.c linked against musl (its
# loader goes to /lib, as Debian's musl puts it) and against the build
# machine's glibc, which runs in /tests/glibc, a tree with its loader, libc
# and libgcc_s (pthread_exit unwinds with it) (chroot); /tests/glibc/bin/true
# is the build machine's, for the figures.
DYN_TESTS := $(BUILD)/guest-tests/dyn_musl $(BUILD)/guest-tests/dyn_glibc
$(BUILD)/guest-tests/dyn_musl: tests/guest/sys/dyn_hello.c
	@mkdir -p $(@D)
	$(Q)musl-gcc -O1 -Wall -Werror -o $@ $<
$(BUILD)/guest-tests/dyn_glibc: tests/guest/sys/dyn_hello.c
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) -O1 -Wall -Werror -pthread -o $@ $<
GLIBC_TREE := $(realpath /lib64/ld-linux-x86-64.so.2):tests/glibc/lib64/ld-linux-x86-64.so.2 \
	$(realpath /lib/x86_64-linux-gnu/libc.so.6):tests/glibc/lib/x86_64-linux-gnu/libc.so.6 \
	$(realpath /lib/x86_64-linux-gnu/libgcc_s.so.1):tests/glibc/lib/x86_64-linux-gnu/libgcc_s.so.1 \
	$(realpath /bin/true):tests/glibc/bin/true $(BUILD)/guest-tests/dyn_glibc:tests/glibc/dyn_glibc

# The thread and futex tests linked dynamically too: against musl
# (/tests/dyn/NAME in the host root image) and glibc (/tests/glibc/NAME);
# both go into debian:bookworm as /opt/bh/musl/NAME and /opt/bh/glibc/NAME.
DYN_PROGS := sys_threads sys_futex
DYN_BINS := $(DYN_PROGS:%=$(BUILD)/guest-tests/musl-dyn/%) $(DYN_PROGS:%=$(BUILD)/guest-tests/glibc-dyn/%)
$(BUILD)/guest-tests/musl-dyn/%: tests/guest/sys/%.c tests/guest/sys/t.h
	@mkdir -p $(@D)
	$(Q)musl-gcc -O1 -Wall -Werror -o $@ $<
$(BUILD)/guest-tests/glibc-dyn/%: tests/guest/sys/%.c tests/guest/sys/t.h
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) -O1 -Wall -Werror -pthread -o $@ $<
DYN_PAIRS := $(foreach p,$(DYN_PROGS),$(BUILD)/guest-tests/musl-dyn/$p:tests/dyn/$p \
	$(BUILD)/guest-tests/glibc-dyn/$p:tests/glibc/$p)

# debian:bookworm (tools/mkdebian.sh), built when the tests run and kept in
# build/debian while its script and programs are the same.
DEBIAN_PROGS := $(BUILD)/guest-tests/dyn_musl:musl/dyn_musl $(BUILD)/guest-tests/dyn_glibc:glibc/dyn_glibc \
	$(foreach p,$(DYN_PROGS),$(BUILD)/guest-tests/musl-dyn/$p:musl/$p $(BUILD)/guest-tests/glibc-dyn/$p:glibc/$p)
.PHONY: debian
debian: $(DYN_TESTS) $(DYN_BINS)
	$(Q)sh tools/mkdebian.sh $(BUILD)/debian $(DEBIAN_PROGS)
TEST_DEPS += debian
BENCH_DEPS += debian

# Host userland (guest/user/): the bulkhead tool, a static musl program, is
# /usr/bin/bulkhead in the root image; tools/mkroot.sh links /usr/libexec/vmwp
# (its worker) to it.  Its Engine API client uses the daemon's http-parser and
# cJSON (engine/engine.mk builds them; $(BUILD) paths, as engine.mk is read later).
USER_SRCS := $(wildcard guest/user/*.c)
USER_LIBS := $(BUILD)/engine/lib/libhttp_parser.a $(BUILD)/engine/lib/libcjson.a
$(BUILD)/user/bulkhead: $(USER_SRCS) guest/user/bulkhead.h $(wildcard include/bulkhead/*.h) $(USER_LIBS)
	@mkdir -p $(@D)
	$(Q)musl-gcc -static -O2 -Wall -Wextra -Werror -Iinclude -I$(BUILD)/src/http-parser -I$(BUILD)/src/cjson \
		-o $@ $(USER_SRCS) $(USER_LIBS) -lm

# The engine daemon (engine/engine.mk) is /usr/bin/bulkheadd; init starts it.
GUEST_ROOT_EXTRA := tests/guest/applets.sh tests/guest/overlay.sh $(GUEST_TEST_BINS) $(BUILD)/user/bulkhead \
	$(BUILD)/engine/bulkheadd.stripped tools/bbtree.sh $(DYN_TESTS) $(DYN_BINS)
GUEST_ROOT_PAIRS := tests/guest/applets.sh:tests/applets.sh tests/guest/overlay.sh:tests/overlay.sh \
	$(foreach t,$(GUEST_TESTS),$(BUILD)/guest-tests/$t:tests/bin/$t) \
	$(BUILD)/user/bulkhead:usr/bin/bulkhead $(BUILD)/engine/bulkheadd.stripped:usr/bin/bulkheadd \
	$(BUILD)/guest-tests/dyn_musl:tests/bin/dyn_musl $(realpath /lib/ld-musl-x86_64.so.1):lib/ld-musl-x86_64.so.1 \
	$(GLIBC_TREE) $(DYN_PAIRS)

# The Docker CLI, the boot module `docker` (tools/bulkhead.cfg): the build
# machine's static client, stripped, or else Debian's docker.io client
# (tools/setup.sh), whose shared libraries go into the root image.
DOCKER_CLI := $(firstword $(wildcard /usr/local/bin/docker /usr/bin/docker))
DOCKER_LIBS := $(if $(DOCKER_CLI),$(shell ldd $(DOCKER_CLI) 2>/dev/null | \
	awk '$$2 == "=>" && $$3 ~ /^\// { print $$3 } $$1 ~ /^\/lib64\// { print $$1 }'))
GUEST_ROOT_PAIRS += $(foreach l,$(DOCKER_LIBS),$(realpath $l):$(l:/%=%))
$(ESP)/docker: $(DOCKER_CLI)
	@mkdir -p $(@D)
	$(Q)strip -o $@ $<
esp: $(if $(DOCKER_CLI),$(ESP)/docker)

# The host root image (tools/mkroot.sh): busybox-static, guest/root/ and the
# guest test programs, as an OCI-layout tarball that boots as root.tar.
GUEST_ROOT_FILES := guest/root/init $(wildcard guest/root/etc/*)
$(BUILD)/root.tar: tools/mkroot.sh $(GUEST_ROOT_FILES) $(GUEST_ROOT_EXTRA)
	$(Q)sh tools/mkroot.sh $@ $(GUEST_ROOT_PAIRS)
$(ESP)/root.tar: $(BUILD)/root.tar
	@mkdir -p $(@D) && cp $< $@
esp: $(ESP)/root.tar

# Unit test of the host's console text for utility partitions (conbuf.c).
GUEST_UNIT := $(BUILD)/tests/unit/test_conbuf
$(GUEST_UNIT): tests/unit/test_conbuf.c guest/bh/conbuf.c guest/bh/conbuf.h lib/fmt.c lib/fmt.h tests/unit/check.h
	@mkdir -p $(@D)
	@echo '  HOSTCC  $@'
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(filter %.c,$^) -o $@
UNIT_TESTS += $(GUEST_UNIT)

# Unit test of path resolution (fs/walk.c): a walk never leaves its root.
GUEST_UNIT_WALK := $(BUILD)/tests/unit/test_walk
$(GUEST_UNIT_WALK): tests/unit/test_walk.c guest/fs/walk.c guest/fs/vfs.h guest/mm/mm.h guest/linux.h tests/unit/check.h
	@mkdir -p $(@D)
	@echo '  HOSTCC  $@'
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -Iguest $(filter %.c,$^) -o $@
UNIT_TESTS += $(GUEST_UNIT_WALK)

# Unit test of overlay roots (fs/overlay.c over inode.c's ramfs).
GUEST_UNIT_OVL := $(BUILD)/tests/unit/test_overlay
$(GUEST_UNIT_OVL): tests/unit/test_overlay.c guest/fs/overlay.c guest/fs/inode.c guest/fs/walk.c $(GUEST_HDRS) tests/unit/check.h
	@mkdir -p $(@D)
	@echo '  HOSTCC  $@'
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -Iguest $(filter %.c,$^) -o $@
UNIT_TESTS += $(GUEST_UNIT_OVL)
