// SPDX-License-Identifier: MIT
/*
 * Unit tests of the command buffer builders (d3dkmt_cmdbuf_*): the bytes they write are the
 * packet format of include/uapi/misc/opendxg.h exactly (offsets read back by hand, not through
 * the same structs), and what the format forbids is refused without touching the buffer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "d3dkmt.h"

static uint64_t buffer_words[8192];

static uint32_t le32_at(const void *base, size_t offset)
{
	const unsigned char *p = (const unsigned char *)base + offset;

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64_at(const void *base, size_t offset)
{
	return (uint64_t)le32_at(base, offset) | (uint64_t)le32_at(base, offset + 4) << 32;
}

static void start(struct d3dkmt_cmdbuf *cb, uint32_t capacity)
{
	memset(buffer_words, 0xa5, sizeof(buffer_words));
	assert_int_equal(d3dkmt_cmdbuf_init(cb, buffer_words, capacity), 0);
}

static void test_header(void **state)
{
	struct d3dkmt_cmdbuf cb;

	(void)state;
	start(&cb, sizeof(buffer_words));
	assert_int_equal(d3dkmt_cmdbuf_finish(&cb), 16);
	assert_int_equal(le32_at(buffer_words, 0), 0x43475844u);	/* "DXGC" */
	assert_int_equal(le32_at(buffer_words, 4), 1u);		/* major 1, minor 0 */
	assert_int_equal(le32_at(buffer_words, 8), 16u);
	assert_int_equal(le32_at(buffer_words, 12), 0u);
	assert_int_equal(d3dkmt_cmdbuf_init(&cb, (char *)buffer_words + 4, 64), -EINVAL);
	assert_int_equal(d3dkmt_cmdbuf_init(&cb, buffer_words, 15), -EINVAL);
}

static void test_packets(void **state)
{
	static const uint32_t push[3] = { 7, 8, 9 };
	struct opendxg_cmd_binding b[2] = {
		{ .va = 0x10000, .size = 1024, .binding = 1, .flags = OPENDXG_BINDING_READ_ONLY },
		{ .va = 0x20000, .size = 4096, .binding = 0 },
	};
	const uint32_t groups[3] = { 4, 2, 1 };
	const unsigned char *p = (const unsigned char *)buffer_words;
	struct d3dkmt_cmdbuf cb;
	uint32_t total;

	(void)state;
	start(&cb, sizeof(buffer_words));
	assert_int_equal(d3dkmt_cmdbuf_copy(&cb, 0x30000, 0x40000, 100), 0);
	assert_int_equal(d3dkmt_cmdbuf_fill(&cb, 0x50000, 64, 0xdeadbeef), 0);
	assert_int_equal(d3dkmt_cmdbuf_barrier(&cb), 0);
	assert_int_equal(d3dkmt_cmdbuf_dispatch(&cb, (struct d3dkmthandle){ 0x40000100 }, "main",
						groups, b, 2, push, sizeof(push)),
			 0);
	assert_int_equal(d3dkmt_cmdbuf_timestamp(&cb, 0x60008), 0);
	total = d3dkmt_cmdbuf_finish(&cb);
	/* 16 header + 32 copy + 32 fill + 8 barrier + (96 + 48 + 16) dispatch + 16 timestamp */
	assert_int_equal(total, 16 + 32 + 32 + 8 + 160 + 16);
	assert_int_equal(le32_at(p, 8), total);
	assert_int_equal(le32_at(p, 12), 5);

	p += 16;	/* COPY: type 1, size 32, src, dst, size */
	assert_int_equal(le32_at(p, 0), 1u);
	assert_int_equal(le32_at(p, 4), 32u);
	assert_int_equal(le64_at(p, 8), 0x40000);
	assert_int_equal(le64_at(p, 16), 0x30000);
	assert_int_equal(le64_at(p, 24), 100);
	p += 32;	/* FILL: dst, size, value, reserved 0 */
	assert_int_equal(le32_at(p, 0), 2u);
	assert_int_equal(le64_at(p, 8), 0x50000);
	assert_int_equal(le64_at(p, 16), 64);
	assert_int_equal(le32_at(p, 24), 0xdeadbeefu);
	assert_int_equal(le32_at(p, 28), 0);
	p += 32;	/* BARRIER */
	assert_int_equal(le32_at(p, 0), 4u);
	assert_int_equal(le32_at(p, 4), 8u);
	p += 8;		/* DISPATCH */
	assert_int_equal(le32_at(p, 0), 3u);
	assert_int_equal(le32_at(p, 4), 160u);
	assert_int_equal(le32_at(p, 8), 0x40000100u);
	assert_int_equal(le32_at(p, 12), 4);
	assert_int_equal(le32_at(p, 16), 2);
	assert_int_equal(le32_at(p, 20), 1);
	assert_int_equal(le32_at(p, 24), 2);	/* binding_count */
	assert_int_equal(le32_at(p, 28), 12);	/* push_constant_size */
	assert_memory_equal(p + 32, "main\0\0\0\0", 8);
	for (int i = 36; i < 96; i++)
		assert_int_equal(p[i], 0);
	assert_int_equal(le64_at(p, 96), 0x10000);
	assert_int_equal(le64_at(p, 104), 1024);
	assert_int_equal(le32_at(p, 112), 1);
	assert_int_equal(le32_at(p, 116), OPENDXG_BINDING_READ_ONLY);
	assert_int_equal(le64_at(p, 120), 0x20000);
	assert_int_equal(le32_at(p, 136), 0);
	assert_int_equal(le32_at(p, 144), 7);
	assert_int_equal(le32_at(p, 148), 8);
	assert_int_equal(le32_at(p, 152), 9);
	assert_int_equal(le32_at(p, 156), 0);	/* padding to 8 */
	p += 160;	/* TIMESTAMP */
	assert_int_equal(le32_at(p, 0), 5u);
	assert_int_equal(le32_at(p, 4), 16u);
	assert_int_equal(le64_at(p, 8), 0x60008);
}

static void test_refusals(void **state)
{
	const struct d3dkmthandle prog = { 0x40000100 };
	const uint32_t groups[3] = { 1, 1, 1 }, too_many[3] = { 1u << 12, 1u << 12, 2 };
	struct opendxg_cmd_binding b[2] = {
		{ .va = 0x10000, .size = 64, .binding = 0 },
		{ .va = 0x10000, .size = 64, .binding = 0 },
	};
	char long_name[OPENDXG_CMD_ENTRY_NAME_LEN + 1];
	struct d3dkmt_cmdbuf cb;
	uint32_t push = 0;

	(void)state;
	start(&cb, sizeof(buffer_words));
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(d3dkmt_cmdbuf_copy(&cb, 0x1000, 0x2000, 0), -EINVAL);
	assert_int_equal(d3dkmt_cmdbuf_copy(&cb, 0x1000, 0x1800, 0x1000), -EINVAL);	/* overlap */
	assert_int_equal(d3dkmt_cmdbuf_fill(&cb, 0x1002, 8, 0), -EINVAL);
	assert_int_equal(d3dkmt_cmdbuf_fill(&cb, 0x1000, 6, 0), -EINVAL);
	assert_int_equal(d3dkmt_cmdbuf_timestamp(&cb, 0x1004), -EINVAL);
	assert_int_equal(d3dkmt_cmdbuf_dispatch(&cb, prog, "main", groups, b, 2, NULL, 0),
			 -EINVAL);	/* binding 0 twice */
	b[1].binding = 16;
	assert_int_equal(d3dkmt_cmdbuf_dispatch(&cb, prog, "main", groups, b, 2, NULL, 0),
			 -EINVAL);
	b[1].binding = 1;
	b[1].va += 4;
	assert_int_equal(d3dkmt_cmdbuf_dispatch(&cb, prog, "main", groups, b, 2, NULL, 0),
			 -EINVAL);	/* misaligned binding */
	assert_int_equal(d3dkmt_cmdbuf_dispatch(&cb, prog, "", groups, b, 1, NULL, 0), -EINVAL);
	assert_int_equal(d3dkmt_cmdbuf_dispatch(&cb, prog, long_name, groups, b, 1, NULL, 0),
			 -EINVAL);
	assert_int_equal(d3dkmt_cmdbuf_dispatch(&cb, prog, "main", too_many, b, 1, NULL, 0),
			 -EINVAL);
	assert_int_equal(d3dkmt_cmdbuf_dispatch(&cb, prog, "main", groups, b, 1, &push, 2),
			 -EINVAL);
	assert_int_equal(d3dkmt_cmdbuf_dispatch(&cb, (struct d3dkmthandle){ 0 }, "main", groups,
						b, 1, NULL, 0),
			 -EINVAL);
	/* Nothing was appended by any refusal. */
	assert_int_equal(d3dkmt_cmdbuf_finish(&cb), 16);
	assert_int_equal(cb.packet_count, 0);

	/* A full buffer: -ENOSPC, and the buffer is unchanged. */
	start(&cb, 16 + 8 + 4);
	assert_int_equal(d3dkmt_cmdbuf_barrier(&cb), 0);
	assert_int_equal(d3dkmt_cmdbuf_barrier(&cb), -ENOSPC);
	assert_int_equal(d3dkmt_cmdbuf_finish(&cb), 24);
}

static void test_limits(void **state)
{
	struct d3dkmt_cmdbuf cb;
	int ret = 0;

	(void)state;
	start(&cb, sizeof(buffer_words));
	for (uint32_t i = 0; i < OPENDXG_CMD_MAX_PACKETS && ret == 0; i++)
		ret = d3dkmt_cmdbuf_barrier(&cb);
	assert_int_equal(ret, 0);
	assert_int_equal(d3dkmt_cmdbuf_barrier(&cb), -E2BIG);
	assert_int_equal(cb.packet_count, OPENDXG_CMD_MAX_PACKETS);
	d3dkmt_cmdbuf_reset(&cb);
	assert_int_equal(d3dkmt_cmdbuf_finish(&cb), 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_packets),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
