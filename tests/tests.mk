# Host-native unit tests: each folder appends a test program to UNIT_TESTS as
# $(BUILD)/tests/unit/<name>; tests/test_unit.py runs every one of them.
# A unit test prints PASS:/FAIL: lines and exits non-zero if any case failed.
UNIT_TESTS ?=
unit: $(UNIT_TESTS)
	@mkdir -p $(BUILD)/tests/unit

include tests/compat/compat.mk
