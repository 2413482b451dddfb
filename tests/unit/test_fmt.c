/* Host unit test: lib/fmt.c against the host's own snprintf. */
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "../../lib/fmt.h"

#define SAME(...) do { char a[128], b[128]; int na = bh_snprintf(a, sizeof a, __VA_ARGS__); \
	int nb = snprintf(b, sizeof b, __VA_ARGS__); CHECK(na == nb && !strcmp(a, b)); \
	if (strcmp(a, b)) printf("  got '%s' want '%s'\n", a, b); } while (0)

int main(int argc, char **argv)
{
	(void)argc;
	SAME("%d %i %u", -42, 7, 3000000000u);
	SAME("%x %X %lx %llx", 0xbeefu, 0xbeefu, 0x123456789abcul, 0xffffffffffffffffull);
	SAME("[%5d] [%-5d] [%05d] [%05d]", 42, 42, 42, -42);
	SAME("[%8s] [%-8s] [%s]", "ab", "ab", "");
	SAME("%c%c %% %zu", 'o', 'k', (size_t)99);
	SAME("%016llx", 0x1234ull);
	SAME("[%.*s] [%.3s] [%.9s] [%-6.2s]", 2, "abcdef", "abcdef", "abc", "xyz");
	SAME("%lld", (long long)-9223372036854775807ll - 1);
	char small[4];
	CHECK(bh_snprintf(small, sizeof small, "%s", "hello") == 5 && !strcmp(small, "hel"));
	unsigned long long v;
	CHECK(bh_parse_u64("0x1F", &v) == 0 && v == 31);
	CHECK(bh_parse_u64("18446744073709551615", &v) == 0 && v == ~0ull);
	CHECK(bh_parse_u64("18446744073709551616", &v) == -1);
	CHECK(bh_parse_u64("12z", &v) == -1 && bh_parse_u64("", &v) == -1 && bh_parse_u64("0x", &v) == -1);
	return check_summary(argv[0]);
}
