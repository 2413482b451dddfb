# The engine daemon (engine/): bulkheadd, a static musl program for the host
# root image that serves the Docker Engine API on a Unix socket.  Its
# libraries come from Debian's source packages at build time
# (tools/fetch-src.sh, Debian's patches applied, nothing committed):
# http-parser parses HTTP, cJSON builds and parses JSON.  The image loader
# (loader/, with its host back-ends) is compiled again with musl.
ENG := $(BUILD)/engine
ENG_SRC := $(BUILD)/src
ENG_CC := musl-gcc
ENG_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-format-truncation -Iinclude
ENG_LIBCFLAGS := -std=gnu11 -O2 -g -DNDEBUG

# The sources appear only once fetched and unpacked whole; later builds are offline.
$(ENG_SRC)/http-parser/http_parser.c:
	$(Q)sh tools/fetch-src.sh $(ENG_SRC) http-parser
# One fetch at a time: they share apt's lists (and its lock).
$(ENG_SRC)/cjson/cJSON.c: | $(ENG_SRC)/http-parser/http_parser.c
	$(Q)sh tools/fetch-src.sh $(ENG_SRC) cjson

$(ENG)/lib/libhttp_parser.a: $(ENG_SRC)/http-parser/http_parser.c engine/engine.mk
	@mkdir -p $(@D)/hp
	$(Q)$(ENG_CC) $(ENG_LIBCFLAGS) -c $< -o $(@D)/hp/http_parser.o
	$(Q)ar rcs $@ $(@D)/hp/http_parser.o
$(ENG)/lib/libcjson.a: $(ENG_SRC)/cjson/cJSON.c engine/engine.mk
	@mkdir -p $(@D)/cj
	$(Q)$(ENG_CC) $(ENG_LIBCFLAGS) -c $< -o $(@D)/cj/cJSON.o
	$(Q)ar rcs $@ $(@D)/cj/cJSON.o

ENG_LD := $(LD_CORE) host/alloc host/dirfs host/writer host/hostio host/sha256_ni
ENG_LD_OBJS := $(ENG_LD:%=$(ENG)/loader/%.o)
$(ENG)/loader/%.o: loader/%.c $(LD_HDR)
	@mkdir -p $(@D)
	$(Q)$(ENG_CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -c $< -o $@

ENG_FILES := main http api images store ref events tarw containers logs exec shim relay hyperv vmwp
ENG_FILES += network pull registry archive dns
ENG_OBJS := $(ENG_FILES:%=$(ENG)/%.o)
ENG_INC := -I$(ENG_SRC)/http-parser -I$(ENG_SRC)/cjson -Iloader
$(ENG)/%.o: engine/%.c $(wildcard engine/*.h include/bulkhead/*.h) $(ENG_SRC)/http-parser/http_parser.c $(ENG_SRC)/cjson/cJSON.c
	@mkdir -p $(@D)
	$(Q)$(ENG_CC) $(ENG_CFLAGS) $(ENG_INC) -c $< -o $@

$(ENG)/bulkheadd: $(ENG_OBJS) $(ENG_LD_OBJS) $(ENG)/lib/libhttp_parser.a $(ENG)/lib/libcjson.a
	$(Q)$(ENG_CC) -static -pthread -o $@ $(ENG_OBJS) $(ENG_LD_OBJS) \
		$(ENG)/lib/libhttp_parser.a $(ENG)/lib/libcjson.a -lm

# busybox:latest, preloaded by `make run` (tools/bulkhead.cfg: image = busybox.tar).
$(ESP)/busybox.tar: tools/mkbusybox.sh tools/bbtree.sh
	@mkdir -p $(@D)
	$(Q)sh tools/mkbusybox.sh $@
esp: $(ESP)/busybox.tar

# The same program built with glibc, ASan and UBSan, for the tests only
# (tests/engine/test_engine_asan.py runs the engine tests against it).
$(ENG)/asan/bulkheadd: $(wildcard engine/*.[ch]) $(ENG_LD:%=loader/%.c) $(LD_HDR) \
		$(ENG_SRC)/http-parser/http_parser.c $(ENG_SRC)/cjson/cJSON.c
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) -std=gnu11 -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
		-DNDEBUG -Iinclude $(ENG_INC) -o $@ $(filter %.c,$^) -pthread -lm

# The root image gets it without its debugging sections (780 KB -> 260 KB).
$(ENG)/bulkheadd.stripped: $(ENG)/bulkheadd
	$(Q)strip -o $@ $<

.PHONY: engine
engine: $(ENG)/bulkheadd
TEST_DEPS += $(ENG)/bulkheadd $(ENG)/asan/bulkheadd

# The DNS responder's messages, fed known and random bytes (with ASan and UBSan).
$(BUILD)/tests/unit/test_dns: tests/unit/test_dns.c engine/dns.c engine/dns.h tests/unit/check.h
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all \
		-Iengine -o $@ tests/unit/test_dns.c engine/dns.c
UNIT_TESTS += $(BUILD)/tests/unit/test_dns
