// SPDX-License-Identifier: MIT
/*
 * Unit tests of d3dkmt_utf16_to_utf8(): the one piece of libd3dkmt that computes rather than
 * forwards, fed with descriptions as the host sends them (little-endian UTF-16, NUL padded).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "d3dkmt.h"

/* Encodes @units as little-endian bytes, the way they arrive from the driver. */
static size_t to_le_bytes(const uint16_t *units, size_t count, unsigned char *out)
{
	for (size_t i = 0; i < count; i++) {
		out[2 * i] = (unsigned char)(units[i] & 0xff);
		out[2 * i + 1] = (unsigned char)(units[i] >> 8);
	}
	return 2 * count;
}

struct utf16_case {
	const char *name;
	uint16_t units[8];
	size_t count;
	const char *utf8;
};

static const struct utf16_case cases[] = {
	{ "ascii", { 'l', 'v', 'p' }, 3, "lvp" },
	{ "stops at NUL", { 'a', 0, 'b' }, 3, "a" },
	{ "empty", { 0 }, 1, "" },
	{ "two-byte", { 0x00e9 }, 1, "\xc3\xa9" },
	{ "three-byte", { 0x20ac }, 1, "\xe2\x82\xac" },
	{ "surrogate pair", { 0xd83d, 0xde00 }, 2, "\xf0\x9f\x98\x80" },
	{ "lone high surrogate", { 0xd83d, 'x' }, 2, "\xef\xbf\xbdx" },
	{ "lone low surrogate", { 0xde00 }, 1, "\xef\xbf\xbd" },
	{ "high surrogate at the end", { 'a', 0xd800 }, 2, "a\xef\xbf\xbd" },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned char bytes[16];
		char out[32];
		size_t len = to_le_bytes(cases[i].units, cases[i].count, bytes);
		ssize_t ret = d3dkmt_utf16_to_utf8(bytes, len, out, sizeof(out));

		print_message("case %s\n", cases[i].name);
		assert_int_equal(ret, (ssize_t)strlen(cases[i].utf8));
		assert_string_equal(out, cases[i].utf8);
	}
}

static void test_odd_byte_ignored(void **state)
{
	const unsigned char bytes[] = { 'h', 0, 'i', 0, 'x' };
	char out[8];

	(void)state;
	assert_int_equal(d3dkmt_utf16_to_utf8(bytes, sizeof(bytes), out, sizeof(out)), 2);
	assert_string_equal(out, "hi");
}

static void test_too_small_keeps_whole_characters(void **state)
{
	const uint16_t units[] = { 'a', 0x20ac, 'b' };
	unsigned char bytes[6];
	char out[4];

	(void)state;
	to_le_bytes(units, 3, bytes);
	memset(out, 'X', sizeof(out));
	/* "a" + 3-byte euro sign + NUL needs 5 bytes: only "a" fits whole. */
	assert_int_equal(d3dkmt_utf16_to_utf8(bytes, sizeof(bytes), out, sizeof(out)), -ENOBUFS);
	assert_string_equal(out, "a");
	assert_int_equal(d3dkmt_utf16_to_utf8(bytes, sizeof(bytes), out, 0), -ENOBUFS);
}

static void test_exact_fit(void **state)
{
	const unsigned char bytes[] = { 'o', 0, 'k', 0 };
	char out[3];

	(void)state;
	assert_int_equal(d3dkmt_utf16_to_utf8(bytes, sizeof(bytes), out, sizeof(out)), 2);
	assert_string_equal(out, "ok");
}

static void test_bad_arguments(void **state)
{
	char out[4];

	(void)state;
	assert_int_equal(d3dkmt_utf16_to_utf8("a\0", 2, NULL, 4), -EINVAL);
	assert_int_equal(d3dkmt_utf16_to_utf8(NULL, 2, out, sizeof(out)), -EINVAL);
	assert_int_equal(d3dkmt_utf16_to_utf8(NULL, 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_odd_byte_ignored),
		cmocka_unit_test(test_too_small_keeps_whole_characters),
		cmocka_unit_test(test_exact_fit),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
