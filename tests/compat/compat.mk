# make compat: busybox's own testsuite on Bulkhead against a Linux chroot of
# the same root image (tests/compat/compat.py).  Debian's busybox source
# package is fetched at build time (tools/fetch-src.sh, never committed);
# its testsuite goes to /compat of a root image of its own, booted from
# build/compat/esp, so build/root.tar and make run stay as they are.
COMPAT := $(BUILD)/compat
COMPAT_BB := $(COMPAT)/src/busybox

$(COMPAT_BB)/testsuite/runtest:
	$(Q)sh tools/fetch-src.sh $(COMPAT)/src busybox $(shell dpkg-query -W -f='$${source:Version}' busybox-static)

# /compat: runtest's bindir (busybox, the .config it was built with) holding
# the whole testsuite/ (Debian's build leaves out mdev.tests; we keep it:
# it chroots, and runs as root here on both sides) and run1.sh.
$(COMPAT)/tree/.stamp: $(COMPAT_BB)/testsuite/runtest tests/compat/run1.sh tests/compat/compat.mk
	$(Q)rm -rf $(COMPAT)/tree && mkdir -p $(COMPAT)/tree/compat
	$(Q)cp -a $(COMPAT_BB)/testsuite $(COMPAT)/tree/compat/
	$(Q)cp $(COMPAT_BB)/debian/config/pkg/static $(COMPAT)/tree/compat/.config
	$(Q)ln -s /bin/busybox $(COMPAT)/tree/compat/busybox
	$(Q)install -m 755 tests/compat/run1.sh $(COMPAT)/tree/compat/run1.sh
	$(Q)touch $@

$(COMPAT)/root.tar: tools/mkroot.sh $(GUEST_ROOT_FILES) $(GUEST_ROOT_EXTRA) $(COMPAT)/tree/.stamp
	$(Q)sh tools/mkroot.sh $@ $(GUEST_ROOT_PAIRS) $(COMPAT)/tree/compat:compat

.PHONY: compat
compat: deps
	@$(MAKE) --no-print-directory esp $(COMPAT)/root.tar
	$(PY) tests/compat/compat.py
