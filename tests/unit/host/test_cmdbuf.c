// SPDX-License-Identifier: MIT
/*
 * The command buffer parser (host/cmdbuf.c) against the format of docs/cmdbuf.md: buffers built
 * packet by packet, the decoded values of every packet type, then one refusal per rule, each with
 * its exact errno, the offending packet's offset and a reason that names it. A last test damages
 * valid buffers at random (the ASan build checks that no read leaves the buffer).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <misc/opendxg.h>
#include <opendxg/wire.h>

#include "cmdbuf.h"

#define VA_MIN DXGW_GPUVA_MIN
#define VA_LIMIT DXGW_GPUVA_LIMIT
#define BUF_VA 0x100000ull		/* an aligned address the tests use for bindings */

static const struct cmdbuf_limits limits = {
	.max_workgroup_count = { 65535, 1024, 64 },
	.max_binding_size = 1u << 20,
	.timestamp_valid_bits = 64,
};

/* ---- building buffers ---- */

struct builder {
	unsigned char *buf;
	size_t len, cap;
	uint32_t packets;
};

static void put_bytes(struct builder *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n)
			cap *= 2;
		b->buf = realloc(b->buf, cap);
		assert_non_null(b->buf);
		b->cap = cap;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void put_u16(struct builder *b, uint16_t v)
{
	unsigned char le[2] = { (unsigned char)v, (unsigned char)(v >> 8) };

	put_bytes(b, le, sizeof(le));
}

static void put_u32(struct builder *b, uint32_t v)
{
	put_u16(b, (uint16_t)v);
	put_u16(b, (uint16_t)(v >> 16));
}

static void put_u64(struct builder *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

static void set_u16(struct builder *b, size_t at, uint16_t v)
{
	assert_true(at + 2 <= b->len);
	b->buf[at] = (unsigned char)v;
	b->buf[at + 1] = (unsigned char)(v >> 8);
}

static void set_u32(struct builder *b, size_t at, uint32_t v)
{
	set_u16(b, at, (uint16_t)v);
	set_u16(b, at + 2, (uint16_t)(v >> 16));
}

static void set_u64(struct builder *b, size_t at, uint64_t v)
{
	set_u32(b, at, (uint32_t)v);
	set_u32(b, at + 4, (uint32_t)(v >> 32));
}

static void begin(struct builder *b)
{
	memset(b, 0, sizeof(*b));
	put_u32(b, OPENDXG_CMD_MAGIC);
	put_u16(b, OPENDXG_CMD_VERSION_MAJOR);
	put_u16(b, OPENDXG_CMD_VERSION_MINOR);
	put_u32(b, 0);		/* size: finish() */
	put_u32(b, 0);		/* packet_count: finish() */
}

/* Writes size and packet count into the header: a valid buffer from here on. */
static void finish(struct builder *b)
{
	set_u32(b, 8, (uint32_t)b->len);
	set_u32(b, 12, b->packets);
}

static void release(struct builder *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

/* Each add_* returns the packet's offset. */
static size_t packet_header(struct builder *b, uint16_t type, uint32_t size)
{
	size_t at = b->len;

	put_u16(b, type);
	put_u16(b, 0);
	put_u32(b, size);
	b->packets++;
	return at;
}

static size_t add_copy(struct builder *b, uint64_t src, uint64_t dst, uint64_t size)
{
	size_t at = packet_header(b, OPENDXG_CMD_COPY, 32);

	put_u64(b, src);
	put_u64(b, dst);
	put_u64(b, size);
	return at;
}

static size_t add_fill(struct builder *b, uint64_t dst, uint64_t size, uint32_t value)
{
	size_t at = packet_header(b, OPENDXG_CMD_FILL, 32);

	put_u64(b, dst);
	put_u64(b, size);
	put_u32(b, value);
	put_u32(b, 0);
	return at;
}

static size_t add_barrier(struct builder *b)
{
	return packet_header(b, OPENDXG_CMD_BARRIER, 8);
}

static size_t add_timestamp(struct builder *b, uint64_t dst)
{
	size_t at = packet_header(b, OPENDXG_CMD_TIMESTAMP, 16);

	put_u64(b, dst);
	return at;
}

struct dispatch_spec {
	uint32_t program;
	uint32_t groups[3];
	const char *entry;
	uint32_t binding_count;
	struct opendxg_cmd_binding bindings[OPENDXG_CMD_MAX_BINDINGS];
	uint32_t push_size;
	unsigned char push[OPENDXG_CMD_MAX_PUSH_CONSTANTS];
};

static uint32_t pad8(uint32_t n)
{
	return (n + 7u) & ~7u;
}

static size_t add_dispatch(struct builder *b, const struct dispatch_spec *s)
{
	uint32_t size = 96 + s->binding_count * 24 + pad8(s->push_size);
	size_t at = packet_header(b, OPENDXG_CMD_DISPATCH, size);
	char name[OPENDXG_CMD_ENTRY_NAME_LEN] = { 0 };
	static const unsigned char zeros[8];

	put_u32(b, s->program);
	for (int k = 0; k < 3; k++)
		put_u32(b, s->groups[k]);
	put_u32(b, s->binding_count);
	put_u32(b, s->push_size);
	strncpy(name, s->entry, sizeof(name) - 1);
	put_bytes(b, name, sizeof(name));
	for (uint32_t n = 0; n < s->binding_count; n++) {
		put_u64(b, s->bindings[n].va);
		put_u64(b, s->bindings[n].size);
		put_u32(b, s->bindings[n].binding);
		put_u32(b, s->bindings[n].flags);
	}
	put_bytes(b, s->push, s->push_size);
	put_bytes(b, zeros, pad8(s->push_size) - s->push_size);
	return at;
}

/* A dispatch the parser accepts: two bindings, 12 bytes of push constants. */
static struct dispatch_spec good_dispatch(void)
{
	struct dispatch_spec s = {
		.program = 0x40000042,
		.groups = { 16, 2, 1 },
		.entry = "main",
		.binding_count = 2,
		.bindings = {
			{ .va = BUF_VA, .size = 4096, .binding = 0, .flags = 0 },
			{ .va = BUF_VA + 0x10000, .size = 256, .binding = 3,
			  .flags = OPENDXG_BINDING_READ_ONLY },
		},
		.push_size = 12,
	};

	for (uint32_t i = 0; i < s.push_size; i++)
		s.push[i] = (unsigned char)(0xa0 + i);
	return s;
}

/* Offsets inside a DISPATCH packet and its bindings. */
#define D_PROGRAM 8
#define D_GROUPS 12
#define D_BINDING_COUNT 24
#define D_PUSH_SIZE 28
#define D_ENTRY 32
#define D_BINDING(n) (96 + 24 * (n))
#define B_VA 0
#define B_SIZE 8
#define B_INDEX 16
#define B_FLAGS 20

/* ---- checking ---- */

static void expect_parsed(const struct builder *b, struct cmdbuf *cb)
{
	char why[CMDBUF_WHY_LEN];
	uint32_t bad = 0xdead;
	int ret = cmdbuf_parse(b->buf, b->len, &limits, cb, why, &bad);

	if (ret != 0)
		fail_msg("refused (%d): %s", ret, why);
	assert_string_equal(why, "");
	assert_int_equal(bad, 0);
	assert_int_equal(cb->op_count, b->packets);
}

/*
 * -EINVAL at packet offset `offset`; the reason names that offset and (when given) `what`;
 * nothing of the buffer is left in `out`.
 */
static void expect_refused_with(const void *buf, size_t len, const struct cmdbuf_limits *lim,
				uint32_t offset, const char *what)
{
	struct cmdbuf cb;
	char why[CMDBUF_WHY_LEN];
	char at[32];
	uint32_t bad = 0xdead;

	memset(&cb, 0x5a, sizeof(cb));
	memset(why, 'x', sizeof(why));
	assert_int_equal(cmdbuf_parse(buf, len, lim, &cb, why, &bad), -EINVAL);
	assert_int_equal(bad, offset);
	assert_non_null(memchr(why, '\0', sizeof(why)));
	assert_true(strlen(why) > 0);
	assert_null(strchr(why, '\n'));
	if (what && !strstr(why, what))
		fail_msg("reason '%s' does not mention '%s'", why, what);
	if (offset >= OPENDXG_CMD_HEADER_SIZE) {
		snprintf(at, sizeof(at), "offset %u", offset);
		if (!strstr(why, at))
			fail_msg("reason '%s' does not name '%s'", why, at);
	}
	assert_int_equal(cb.op_count, 0);
	assert_null(cb.ops);
	assert_int_equal(cb.dispatch_count, 0);
	assert_null(cb.dispatches);
	assert_int_equal(cb.timestamp_count, 0);
	assert_int_equal(cb.total_bindings, 0);
	/* why and bad_offset are optional. */
	assert_int_equal(cmdbuf_parse(buf, len, lim, &cb, NULL, NULL), -EINVAL);
}

static void expect_refused(const struct builder *b, size_t offset, const char *what)
{
	expect_refused_with(b->buf, b->len, &limits, (uint32_t)offset, what);
}

/* ---- valid buffers ---- */

static void test_header_only(void **state)
{
	struct builder b;
	struct cmdbuf cb;

	(void)state;
	begin(&b);
	finish(&b);
	expect_parsed(&b, &cb);
	assert_int_equal(cb.op_count, 0);
	assert_int_equal(cb.dispatch_count, 0);
	assert_int_equal(cb.timestamp_count, 0);
	assert_int_equal(cb.total_bindings, 0);
	cmdbuf_free(&cb);
	release(&b);
}

static void test_every_packet_decoded(void **state)
{
	struct dispatch_spec d = good_dispatch();
	struct builder b;
	struct cmdbuf cb;
	size_t at_copy, at_fill, at_barrier, at_dispatch, at_timestamp;

	(void)state;
	begin(&b);
	at_copy = add_copy(&b, 0x20001, 0x30003, 77);
	at_fill = add_fill(&b, 0x40004, 4096, 0xdeadbeef);
	at_barrier = add_barrier(&b);
	at_dispatch = add_dispatch(&b, &d);
	at_timestamp = add_timestamp(&b, 0x50008);
	finish(&b);
	expect_parsed(&b, &cb);

	assert_int_equal(cb.op_count, 5);
	assert_int_equal(cb.ops[0].type, OPENDXG_CMD_COPY);
	assert_int_equal(cb.ops[0].offset, at_copy);
	assert_int_equal(cb.ops[0].copy.src_va, 0x20001);
	assert_int_equal(cb.ops[0].copy.dst_va, 0x30003);
	assert_int_equal(cb.ops[0].copy.size, 77);

	assert_int_equal(cb.ops[1].type, OPENDXG_CMD_FILL);
	assert_int_equal(cb.ops[1].offset, at_fill);
	assert_int_equal(cb.ops[1].fill.dst_va, 0x40004);
	assert_int_equal(cb.ops[1].fill.size, 4096);
	assert_int_equal(cb.ops[1].fill.value, 0xdeadbeef);

	assert_int_equal(cb.ops[2].type, OPENDXG_CMD_BARRIER);
	assert_int_equal(cb.ops[2].offset, at_barrier);

	assert_int_equal(cb.ops[3].type, OPENDXG_CMD_DISPATCH);
	assert_int_equal(cb.ops[3].offset, at_dispatch);
	assert_int_equal(cb.dispatch_count, 1);
	assert_ptr_equal(cb.ops[3].dispatch, &cb.dispatches[0]);
	{
		const struct cmdbuf_dispatch *x = cb.ops[3].dispatch;
		unsigned char zeros[OPENDXG_CMD_MAX_PUSH_CONSTANTS] = { 0 };

		assert_int_equal(x->program, 0x40000042);
		assert_int_equal(x->group_count[0], 16);
		assert_int_equal(x->group_count[1], 2);
		assert_int_equal(x->group_count[2], 1);
		assert_string_equal(x->entry_point, "main");
		assert_int_equal(x->binding_count, 2);
		assert_int_equal(x->binding_mask, 0x9);
		assert_int_equal(x->bindings[0].va, BUF_VA);
		assert_int_equal(x->bindings[0].size, 4096);
		assert_int_equal(x->bindings[0].binding, 0);
		assert_int_equal(x->bindings[0].flags, 0);
		assert_int_equal(x->bindings[1].va, BUF_VA + 0x10000);
		assert_int_equal(x->bindings[1].size, 256);
		assert_int_equal(x->bindings[1].binding, 3);
		assert_int_equal(x->bindings[1].flags, OPENDXG_BINDING_READ_ONLY);
		assert_int_equal(x->push_constant_size, 12);
		assert_memory_equal(x->push_constants, d.push, 12);
		assert_memory_equal(x->push_constants + 12, zeros, sizeof(zeros) - 12);
	}

	assert_int_equal(cb.ops[4].type, OPENDXG_CMD_TIMESTAMP);
	assert_int_equal(cb.ops[4].offset, at_timestamp);
	assert_int_equal(cb.ops[4].timestamp.dst_va, 0x50008);
	assert_int_equal(cb.timestamp_count, 1);
	assert_int_equal(cb.total_bindings, 2);

	cmdbuf_free(&cb);
	assert_int_equal(cb.op_count, 0);
	assert_null(cb.ops);
	cmdbuf_free(&cb);	/* twice is harmless */
	cmdbuf_free(NULL);
	release(&b);
}

/* Many dispatches: ops point at their own decoded dispatch, in order, after the array grew. */
static void test_many_dispatches(void **state)
{
	/* good_dispatch()'s bindings are 0 and 3: the first n of them. */
	static const uint32_t masks[3] = { 0x0, 0x1, 0x9 };
	struct builder b;
	struct cmdbuf cb;
	uint32_t total = 0;

	(void)state;
	begin(&b);
	for (uint32_t i = 0; i < 40; i++) {
		struct dispatch_spec d = good_dispatch();

		d.program = 100 + i;
		d.binding_count = i % 3;
		d.push_size = 4 * (i % 5);
		total += d.binding_count;
		add_dispatch(&b, &d);
		if (i % 4 == 0)
			add_barrier(&b);
	}
	finish(&b);
	expect_parsed(&b, &cb);
	assert_int_equal(cb.dispatch_count, 40);
	assert_int_equal(cb.total_bindings, total);
	for (uint32_t i = 0, k = 0; i < cb.op_count; i++) {
		if (cb.ops[i].type != OPENDXG_CMD_DISPATCH)
			continue;
		assert_ptr_equal(cb.ops[i].dispatch, &cb.dispatches[k]);
		assert_int_equal(cb.ops[i].dispatch->program, 100 + k);
		assert_int_equal(cb.ops[i].dispatch->binding_count, k % 3);
		assert_int_equal(cb.ops[i].dispatch->binding_mask, masks[k % 3]);
		assert_int_equal(cb.ops[i].dispatch->push_constant_size, 4 * (k % 5));
		k++;
	}
	cmdbuf_free(&cb);
	release(&b);
}

/* The submitted bytes may sit at any alignment inside the caller's copy. */
static void test_unaligned_buffer(void **state)
{
	struct dispatch_spec d = good_dispatch();
	struct builder b;
	unsigned char *shifted;

	(void)state;
	begin(&b);
	add_copy(&b, 0x20000, 0x30000, 8);
	add_dispatch(&b, &d);
	add_timestamp(&b, 0x50008);
	finish(&b);
	shifted = malloc(b.len + 7);
	assert_non_null(shifted);
	for (size_t shift = 1; shift < 8; shift++) {
		struct cmdbuf cb;

		memcpy(shifted + shift, b.buf, b.len);
		assert_int_equal(cmdbuf_parse(shifted + shift, b.len, &limits, &cb, NULL, NULL), 0);
		assert_int_equal(cb.op_count, 3);
		assert_int_equal(cb.ops[0].copy.dst_va, 0x30000);
		assert_int_equal(cb.ops[1].dispatch->bindings[1].binding, 3);
		assert_int_equal(cb.ops[2].timestamp.dst_va, 0x50008);
		cmdbuf_free(&cb);
	}
	free(shifted);
	release(&b);
}

/* The example of docs/cmdbuf.md section 10, byte for byte: the page and the parser agree. */
static void test_documented_example(void **state)
{
	static const unsigned char example[184] = {
		0x44, 0x58, 0x47, 0x43, 0x01, 0x00, 0x00, 0x00,
		0xb8, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
		0x02, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x04, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
		0x03, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,
		0x42, 0x00, 0x00, 0x40, 0x10, 0x00, 0x00, 0x00,
		0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
		0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
		'm', 'a', 'i', 'n', /* 60 zero bytes follow */
		[152] = 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40,
	};
	const float two = 2.0f;
	struct cmdbuf cb;
	const struct cmdbuf_dispatch *d;

	(void)state;
	assert_int_equal(cmdbuf_parse(example, sizeof(example), &limits, &cb, NULL, NULL), 0);
	assert_int_equal(cb.op_count, 3);
	assert_int_equal(cb.ops[0].type, OPENDXG_CMD_FILL);
	assert_int_equal(cb.ops[0].fill.dst_va, 0x20000);
	assert_int_equal(cb.ops[0].fill.size, 4096);
	assert_int_equal(cb.ops[1].type, OPENDXG_CMD_BARRIER);
	assert_int_equal(cb.ops[2].type, OPENDXG_CMD_DISPATCH);
	assert_int_equal(cb.ops[2].offset, 56);
	d = cb.ops[2].dispatch;
	assert_int_equal(d->program, 0x40000042);
	assert_int_equal(d->group_count[0], 16);
	assert_string_equal(d->entry_point, "main");
	assert_int_equal(d->binding_mask, 0x1);
	assert_int_equal(d->bindings[0].va, 0x20000);
	assert_int_equal(d->push_constant_size, 8);
	assert_int_equal(d->push_constants[0] | d->push_constants[1] << 8, 1024);
	assert_memory_equal(d->push_constants + 4, &two, 4);
	cmdbuf_free(&cb);
}

/* ---- the header ---- */

static void test_header_size_bounds(void **state)
{
	struct builder b;

	(void)state;
	begin(&b);
	finish(&b);
	expect_refused_with(NULL, 16, &limits, 0, "shorter");
	expect_refused_with(b.buf, 0, &limits, 0, "shorter");
	expect_refused_with(b.buf, 15, &limits, 0, "shorter");

	release(&b);

	/* Over the maximum, however consistent the header is. */
	begin(&b);
	while (b.len < OPENDXG_CMD_MAX_SIZE + 8)
		add_barrier(&b);
	b.packets = 0;
	finish(&b);
	expect_refused(&b, 0, "maximum");
	release(&b);
}

/* A buffer of exactly OPENDXG_CMD_MAX_SIZE bytes is fine. */
static void test_maximum_size(void **state)
{
	struct dispatch_spec d = good_dispatch();
	struct builder b;
	struct cmdbuf cb;

	(void)state;
	/* 1724 dispatches of 608 bytes and one of 368 fill 2^20 - 16 bytes exactly. */
	d.binding_count = 16;
	for (uint32_t n = 0; n < 16; n++) {
		d.bindings[n].va = BUF_VA + n * 0x1000ull;
		d.bindings[n].size = 4096;
		d.bindings[n].binding = n;
		d.bindings[n].flags = 0;
	}
	d.push_size = 128;
	begin(&b);
	for (int i = 0; i < 1724; i++)
		add_dispatch(&b, &d);
	d.binding_count = 10;
	d.push_size = 32;
	add_dispatch(&b, &d);
	finish(&b);
	assert_int_equal(b.len, OPENDXG_CMD_MAX_SIZE);
	expect_parsed(&b, &cb);
	assert_int_equal(cb.dispatch_count, 1725);
	assert_int_equal(cb.total_bindings, 1724 * 16 + 10);
	assert_int_equal(cb.dispatches[1724].binding_mask, 0x3ff);
	assert_int_equal(cb.dispatches[0].binding_mask, 0xffff);
	cmdbuf_free(&cb);
	release(&b);
}

static void test_header_fields(void **state)
{
	struct builder b;
	struct cmdbuf cb;

	(void)state;
	begin(&b);
	add_barrier(&b);
	finish(&b);

	set_u32(&b, 0, 0x44584743);	/* "CGXD": the magic byte-swapped */
	expect_refused(&b, 0, "magic");
	set_u32(&b, 0, OPENDXG_CMD_MAGIC);

	set_u16(&b, 4, 0);
	expect_refused(&b, 0, "version");
	set_u16(&b, 4, 2);
	expect_refused(&b, 0, "version");
	set_u16(&b, 4, OPENDXG_CMD_VERSION_MAJOR);

	/* Any minor version: a newer guest's buffer parses as long as its packets are known. */
	set_u16(&b, 6, 0xffff);
	expect_parsed(&b, &cb);
	cmdbuf_free(&cb);
	set_u16(&b, 6, 0);

	set_u32(&b, 8, (uint32_t)b.len + 8);
	expect_refused(&b, 0, "size");
	set_u32(&b, 8, (uint32_t)b.len - 8);
	expect_refused(&b, 0, "size");
	set_u32(&b, 8, 0);
	expect_refused(&b, 0, "size");
	set_u32(&b, 8, (uint32_t)b.len);
	release(&b);
}

static void test_packet_count(void **state)
{
	struct builder b;
	struct cmdbuf cb;
	size_t second;

	(void)state;
	begin(&b);
	add_copy(&b, 0x20000, 0x30000, 8);
	second = add_barrier(&b);
	add_barrier(&b);
	finish(&b);

	/* More packets promised than present: the missing one is where the buffer ends. */
	set_u32(&b, 12, 4);
	expect_refused(&b, b.len, "ends after 3");
	/* More than could ever fit in the bytes: refused from the header alone. */
	set_u32(&b, 12, 7);
	expect_refused(&b, 0, "cannot fit");
	set_u32(&b, 12, 0xffffffff);
	expect_refused(&b, 0, "at most");
	/* Fewer: the rest are trailing bytes. */
	set_u32(&b, 12, 1);
	expect_refused(&b, second, "after the last");
	set_u32(&b, 12, 0);
	expect_refused(&b, 16, "after the last");
	set_u32(&b, 12, 3);
	expect_parsed(&b, &cb);
	cmdbuf_free(&cb);
	release(&b);
}

static void test_trailing_bytes(void **state)
{
	struct builder b;
	size_t end;

	(void)state;
	begin(&b);
	add_barrier(&b);
	end = b.len;
	put_u64(&b, 0);		/* eight zero bytes: no packet, however harmless */
	finish(&b);
	expect_refused(&b, end, "after the last");
	release(&b);

	begin(&b);
	add_barrier(&b);
	put_u32(&b, 0);		/* not even a multiple of 8 */
	finish(&b);
	expect_refused(&b, end, "after the last");
	release(&b);
}

static void test_packet_limit(void **state)
{
	struct builder b;
	struct cmdbuf cb;

	(void)state;
	begin(&b);
	for (uint32_t i = 0; i < OPENDXG_CMD_MAX_PACKETS; i++)
		add_barrier(&b);
	finish(&b);
	expect_parsed(&b, &cb);
	assert_int_equal(cb.op_count, OPENDXG_CMD_MAX_PACKETS);
	cmdbuf_free(&cb);

	add_barrier(&b);
	finish(&b);
	expect_refused(&b, 0, "4097 packets");
	release(&b);
}

/* ---- packet framing ---- */

static void test_packet_framing(void **state)
{
	struct builder b;
	size_t at;

	(void)state;
	begin(&b);
	add_barrier(&b);
	at = add_barrier(&b);
	finish(&b);

	set_u32(&b, at + 4, 0);
	expect_refused(&b, at, "multiple of 8");
	set_u32(&b, at + 4, 4);
	expect_refused(&b, at, "multiple of 8");
	set_u32(&b, at + 4, 12);
	expect_refused(&b, at, "multiple of 8");
	set_u32(&b, at + 4, 16);
	expect_refused(&b, at, "past the end");
	set_u32(&b, at + 4, 0xfffffff8);
	expect_refused(&b, at, "past the end");
	set_u32(&b, at + 4, 8);

	set_u16(&b, at + 2, 1);
	expect_refused(&b, at, "flags");
	set_u16(&b, at + 2, 0x8000);
	expect_refused(&b, at, "flags");
	set_u16(&b, at + 2, 0);

	set_u16(&b, at, 0);
	expect_refused(&b, at, "unknown packet type 0");
	set_u16(&b, at, 6);
	expect_refused(&b, at, "unknown packet type 6");
	set_u16(&b, at, 0xffff);
	expect_refused(&b, at, "unknown packet type 65535");
	release(&b);
}

/* A packet header cut by the end of the buffer (the count said it would fit). */
static void test_truncated_packet_header(void **state)
{
	struct builder b;
	size_t end;

	(void)state;
	begin(&b);
	add_copy(&b, 0x20000, 0x30000, 8);
	end = b.len;
	put_u32(&b, OPENDXG_CMD_BARRIER);
	b.packets++;
	finish(&b);
	expect_refused(&b, end, "truncated");
	release(&b);
}

/* Fixed-size packets must have exactly their size, never more (no room for hidden bytes). */
static void test_fixed_packet_sizes(void **state)
{
	static const struct {
		uint16_t type;
		uint32_t size;
	} wrong[] = {
		{ OPENDXG_CMD_COPY, 24 }, { OPENDXG_CMD_COPY, 40 },
		{ OPENDXG_CMD_FILL, 24 }, { OPENDXG_CMD_FILL, 40 },
		{ OPENDXG_CMD_BARRIER, 16 },
		{ OPENDXG_CMD_TIMESTAMP, 8 }, { OPENDXG_CMD_TIMESTAMP, 24 },
		{ OPENDXG_CMD_DISPATCH, 8 }, { OPENDXG_CMD_DISPATCH, 88 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		struct builder b;
		unsigned char zeros[128] = { 0 };
		size_t at;

		begin(&b);
		add_barrier(&b);
		at = packet_header(&b, wrong[i].type, wrong[i].size);
		put_bytes(&b, zeros, wrong[i].size - 8);
		finish(&b);
		expect_refused(&b, at, NULL);
		release(&b);
	}
}

static void test_dispatch_size_formula(void **state)
{
	struct dispatch_spec d = good_dispatch();
	struct builder b;
	size_t at;

	(void)state;
	begin(&b);
	at = add_dispatch(&b, &d);
	finish(&b);

	/* One binding fewer than the size holds, or one more. */
	set_u32(&b, at + D_BINDING_COUNT, 1);
	expect_refused(&b, at, "must be");
	set_u32(&b, at + D_BINDING_COUNT, 3);
	expect_refused(&b, at, "must be");
	set_u32(&b, at + D_BINDING_COUNT, 2);
	/* 12 push bytes pad to 16; 16 fits the same packet, 20 does not. */
	set_u32(&b, at + D_PUSH_SIZE, 4);
	expect_refused(&b, at, "must be");
	set_u32(&b, at + D_PUSH_SIZE, 20);
	expect_refused(&b, at, "must be");
	set_u32(&b, at + D_PUSH_SIZE, 16);
	{
		struct cmdbuf cb;

		expect_parsed(&b, &cb);
		assert_int_equal(cb.ops[0].dispatch->push_constant_size, 16);
		cmdbuf_free(&cb);
	}
	release(&b);
}

/* ---- COPY ---- */

static void expect_copy_refused(uint64_t src, uint64_t dst, uint64_t size, const char *what)
{
	struct builder b;
	size_t at;

	begin(&b);
	add_barrier(&b);
	at = add_copy(&b, src, dst, size);
	finish(&b);
	expect_refused(&b, at, what);
	release(&b);
}

static void expect_copy_ok(uint64_t src, uint64_t dst, uint64_t size)
{
	struct builder b;
	struct cmdbuf cb;

	begin(&b);
	add_copy(&b, src, dst, size);
	finish(&b);
	expect_parsed(&b, &cb);
	assert_int_equal(cb.ops[0].copy.src_va, src);
	assert_int_equal(cb.ops[0].copy.dst_va, dst);
	assert_int_equal(cb.ops[0].copy.size, size);
	cmdbuf_free(&cb);
	release(&b);
}

static void test_copy_rules(void **state)
{
	(void)state;
	expect_copy_refused(0x20000, 0x30000, 0, "0 bytes");
	expect_copy_refused(0, 0x30000, 4, "source");
	expect_copy_refused(VA_MIN - 1, 0x30000, 4, "source");
	expect_copy_refused(0x20000, 0, 4, "destination");
	expect_copy_refused(0x20000, VA_MIN - 4, 4, "destination");
	expect_copy_refused(VA_LIMIT - 4, 0x30000, 8, "source");
	expect_copy_refused(0x20000, VA_LIMIT, 1, "destination");
	/* va + size wraps around 2^64. */
	expect_copy_refused(0xfffffffffffffff0ull, 0x30000, 0x20, "source");
	expect_copy_refused(0x20000, 0x30000, 0xffffffffffffffffull, "source");
	/* Overlap, either way round, by one byte. */
	expect_copy_refused(0x20000, 0x20fff, 0x1000, "overlap");
	expect_copy_refused(0x20fff, 0x20000, 0x1000, "overlap");
	expect_copy_refused(0x20000, 0x20000, 1, "overlap");

	/* Any alignment; adjacent ranges; the last byte below the limit. */
	expect_copy_ok(0x20001, 0x20001 + 0x1000, 0x1000);
	expect_copy_ok(VA_MIN, VA_LIMIT - 7, 7);
	expect_copy_ok(VA_LIMIT - 1, VA_MIN, 1);
}

/* ---- FILL ---- */

static void expect_fill_refused(uint64_t dst, uint64_t size, uint32_t reserved, const char *what)
{
	struct builder b;
	size_t at;

	begin(&b);
	add_barrier(&b);
	at = add_fill(&b, dst, size, 7);
	set_u32(&b, at + 28, reserved);
	finish(&b);
	expect_refused(&b, at, what);
	release(&b);
}

static void test_fill_rules(void **state)
{
	struct builder b;
	struct cmdbuf cb;

	(void)state;
	expect_fill_refused(0x20002, 16, 0, "aligned");
	expect_fill_refused(0x20000, 0, 0, "size 0");
	expect_fill_refused(0x20000, 2, 0, "size 2");
	expect_fill_refused(0x20000, 18, 0, "size 18");
	expect_fill_refused(0x20000, 16, 1, "reserved");
	expect_fill_refused(0, 16, 0, "GPU VA");
	expect_fill_refused(VA_LIMIT - 8, 16, 0, "GPU VA");
	expect_fill_refused(0x20000, 0xfffffffffffffffcull, 0, "GPU VA");

	begin(&b);
	add_fill(&b, VA_LIMIT - 4, 4, 0x01020304);
	finish(&b);
	expect_parsed(&b, &cb);
	assert_int_equal(cb.ops[0].fill.dst_va, VA_LIMIT - 4);
	assert_int_equal(cb.ops[0].fill.size, 4);
	assert_int_equal(cb.ops[0].fill.value, 0x01020304);
	cmdbuf_free(&cb);
	release(&b);
}

/* ---- BARRIER ---- */

static void test_barrier(void **state)
{
	struct builder b;
	struct cmdbuf cb;

	(void)state;
	begin(&b);
	add_barrier(&b);
	add_barrier(&b);
	finish(&b);
	expect_parsed(&b, &cb);
	assert_int_equal(cb.ops[0].type, OPENDXG_CMD_BARRIER);
	assert_int_equal(cb.ops[0].offset, 16);
	assert_int_equal(cb.ops[1].type, OPENDXG_CMD_BARRIER);
	assert_int_equal(cb.ops[1].offset, 24);
	cmdbuf_free(&cb);
	release(&b);
}

/* ---- TIMESTAMP ---- */

static void test_timestamp_rules(void **state)
{
	struct cmdbuf_limits no_timestamps = limits;
	struct builder b;
	struct cmdbuf cb;
	size_t at;

	(void)state;
	begin(&b);
	add_barrier(&b);
	at = add_timestamp(&b, 0x50000);
	finish(&b);
	no_timestamps.timestamp_valid_bits = 0;
	expect_refused_with(b.buf, b.len, &no_timestamps, (uint32_t)at, "without timestamps");

	set_u64(&b, at + 8, 0x50004);
	expect_refused(&b, at, "aligned");
	set_u64(&b, at + 8, 0);
	expect_refused(&b, at, "GPU VA");
	set_u64(&b, at + 8, VA_MIN - 8);
	expect_refused(&b, at, "GPU VA");
	set_u64(&b, at + 8, VA_LIMIT);
	expect_refused(&b, at, "GPU VA");
	set_u64(&b, at + 8, VA_LIMIT - 8);
	expect_parsed(&b, &cb);
	assert_int_equal(cb.ops[1].timestamp.dst_va, VA_LIMIT - 8);
	cmdbuf_free(&cb);
	release(&b);
}

static void test_timestamp_limit(void **state)
{
	struct builder b;
	struct cmdbuf cb;
	size_t at;

	(void)state;
	begin(&b);
	for (uint32_t i = 0; i < OPENDXG_CMD_MAX_TIMESTAMPS; i++) {
		add_timestamp(&b, 0x50000 + 8ull * i);
		add_barrier(&b);
	}
	finish(&b);
	expect_parsed(&b, &cb);
	assert_int_equal(cb.timestamp_count, OPENDXG_CMD_MAX_TIMESTAMPS);
	assert_int_equal(cb.ops[2 * 255].timestamp.dst_va, 0x50000 + 8ull * 255);
	cmdbuf_free(&cb);

	at = add_timestamp(&b, 0x60000);
	finish(&b);
	expect_refused(&b, at, "more than 256 TIMESTAMP");
	release(&b);
}

/* ---- DISPATCH ---- */

/* Builds `d` after a barrier, applies `poke` (if any) and expects a refusal at the dispatch. */
static void expect_dispatch_refused(const struct dispatch_spec *d, size_t poke_at,
				    uint32_t poke_value, const char *what)
{
	struct builder b;
	size_t at;

	begin(&b);
	add_barrier(&b);
	at = add_dispatch(&b, d);
	finish(&b);
	if (poke_at)
		set_u32(&b, at + poke_at, poke_value);
	expect_refused(&b, at, what);
	release(&b);
}

static void expect_dispatch_ok(const struct dispatch_spec *d, struct cmdbuf_dispatch *out)
{
	struct builder b;
	struct cmdbuf cb;

	begin(&b);
	add_dispatch(&b, d);
	finish(&b);
	expect_parsed(&b, &cb);
	assert_int_equal(cb.dispatch_count, 1);
	*out = cb.dispatches[0];
	cmdbuf_free(&cb);
	release(&b);
}

static void test_dispatch_groups(void **state)
{
	struct dispatch_spec d = good_dispatch();
	struct cmdbuf_dispatch out;

	(void)state;
	d.groups[0] = 65536;
	expect_dispatch_refused(&d, 0, 0, "group count x = 65536");
	d.groups[0] = 1;
	d.groups[1] = 1025;
	expect_dispatch_refused(&d, 0, 0, "group count y = 1025");
	d.groups[1] = 1;
	d.groups[2] = 65;
	expect_dispatch_refused(&d, 0, 0, "group count z = 65");
	d.groups[2] = 0xffffffff;
	expect_dispatch_refused(&d, 0, 0, "group count z");

	/* Each dimension within its limit, the product not. */
	d.groups[0] = 65535;
	d.groups[1] = 257;
	d.groups[2] = 1;
	expect_dispatch_refused(&d, 0, 0, "in total");
	d.groups[0] = 65535;
	d.groups[1] = 1024;
	d.groups[2] = 64;
	expect_dispatch_refused(&d, 0, 0, "in total");

	/* Exactly the total, and an empty dispatch, are fine. */
	d.groups[0] = 16384;
	d.groups[1] = 1024;
	d.groups[2] = 1;
	expect_dispatch_ok(&d, &out);
	assert_int_equal(out.group_count[0], 16384);
	assert_int_equal(out.group_count[1], 1024);
	d.groups[0] = 65535;
	d.groups[1] = 1024;
	d.groups[2] = 0;
	expect_dispatch_ok(&d, &out);
	assert_int_equal(out.group_count[2], 0);

	/* Limits of 2^32 - 1 per dimension: the product must not wrap in 64 bits either. */
	{
		struct cmdbuf_limits huge = limits;
		struct builder b;
		size_t at;

		huge.max_workgroup_count[0] = huge.max_workgroup_count[1] =
			huge.max_workgroup_count[2] = 0xffffffff;
		d.groups[0] = d.groups[1] = d.groups[2] = 0xffffffff;
		begin(&b);
		at = add_dispatch(&b, &d);
		finish(&b);
		expect_refused_with(b.buf, b.len, &huge, (uint32_t)at, "in total");
		/* 2^32 * 2^32 * 2^16 wraps to 0 in 64 bits. */
		set_u32(&b, at + D_GROUPS, 0x10000);
		set_u32(&b, at + D_GROUPS + 4, 0x10000);
		set_u32(&b, at + D_GROUPS + 8, 0x10000);
		expect_refused_with(b.buf, b.len, &huge, (uint32_t)at, "in total");
		release(&b);
	}
}

static void test_dispatch_program_and_entry(void **state)
{
	struct dispatch_spec d = good_dispatch();
	struct cmdbuf_dispatch out;
	char longest[OPENDXG_CMD_ENTRY_NAME_LEN];

	(void)state;
	d.program = 0;
	expect_dispatch_refused(&d, 0, 0, "program");
	d.program = 7;

	d.entry = "";
	expect_dispatch_refused(&d, 0, 0, "empty");
	d.entry = "main";
	/* "main" then garbage after its NUL. */
	expect_dispatch_refused(&d, D_ENTRY + 8, 0x41, "padding byte 8");
	expect_dispatch_refused(&d, D_ENTRY + 60, 0x01000000, "padding byte 63");

	/* 63 characters and the NUL: the longest name. 64 characters: no NUL. */
	memset(longest, 'k', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	d.entry = longest;
	expect_dispatch_ok(&d, &out);
	assert_string_equal(out.entry_point, longest);
	{
		struct builder b;
		size_t at;

		begin(&b);
		at = add_dispatch(&b, &d);
		finish(&b);
		b.buf[at + D_ENTRY + 63] = 'k';
		expect_refused(&b, at, "no NUL");
		release(&b);
	}
}

static void test_dispatch_binding_rules(void **state)
{
	struct dispatch_spec d = good_dispatch();
	struct cmdbuf_dispatch out;

	(void)state;
	/* Too many bindings: refused from the count before the size is even compared. */
	expect_dispatch_refused(&d, D_BINDING_COUNT, 17, "17 bindings");
	expect_dispatch_refused(&d, D_BINDING_COUNT, 0xffffffff, "bindings");

	expect_dispatch_refused(&d, D_BINDING(1) + B_INDEX, 16, "index 16");
	expect_dispatch_refused(&d, D_BINDING(1) + B_INDEX, 0x80000000, "index");
	expect_dispatch_refused(&d, D_BINDING(1) + B_INDEX, 0, "given twice");
	expect_dispatch_refused(&d, D_BINDING(1) + B_FLAGS, 2, "flags 0x2");
	expect_dispatch_refused(&d, D_BINDING(1) + B_FLAGS, 0x80000001, "flags");

	d.bindings[1].va = BUF_VA + 128;
	expect_dispatch_refused(&d, 0, 0, "aligned");
	d.bindings[1].va = 0;
	expect_dispatch_refused(&d, 0, 0, "GPU VA");
	d.bindings[1].va = VA_LIMIT;
	expect_dispatch_refused(&d, 0, 0, "GPU VA");
	d.bindings[1].va = VA_LIMIT - 256;
	d.bindings[1].size = 512;
	expect_dispatch_refused(&d, 0, 0, "GPU VA");
	d.bindings[1].va = 0xffffffffffffff00ull;
	d.bindings[1].size = 0x200;
	expect_dispatch_refused(&d, 0, 0, "GPU VA");
	d.bindings[1].va = BUF_VA;
	d.bindings[1].size = 0;
	expect_dispatch_refused(&d, 0, 0, "size 0");
	d.bindings[1].size = 6;
	expect_dispatch_refused(&d, 0, 0, "size 6");
	d.bindings[1].size = limits.max_binding_size + 4;
	expect_dispatch_refused(&d, 0, 0, "exceeds");

	/* The largest binding, at the end of the VA range, read-only. */
	d.bindings[1].size = limits.max_binding_size;
	d.bindings[1].va = VA_LIMIT - limits.max_binding_size;
	d.bindings[1].binding = 15;
	expect_dispatch_ok(&d, &out);
	assert_int_equal(out.binding_mask, 0x8001);
	assert_int_equal(out.bindings[1].va, VA_LIMIT - limits.max_binding_size);
	assert_int_equal(out.bindings[1].size, limits.max_binding_size);
	assert_int_equal(out.bindings[1].binding, 15);
	assert_int_equal(out.bindings[1].flags, OPENDXG_BINDING_READ_ONLY);

	/* No bindings at all. */
	d.binding_count = 0;
	expect_dispatch_ok(&d, &out);
	assert_int_equal(out.binding_mask, 0);
	assert_int_equal(out.binding_count, 0);
}

static void test_dispatch_push_constants(void **state)
{
	struct dispatch_spec d = good_dispatch();
	struct cmdbuf_dispatch out;

	(void)state;
	expect_dispatch_refused(&d, D_PUSH_SIZE, 132, "push constant size 132");
	expect_dispatch_refused(&d, D_PUSH_SIZE, 0xfffffff8, "push constant size");
	expect_dispatch_refused(&d, D_PUSH_SIZE, 10, "push constant size 10");
	/* 12 bytes padded to 16: the 4 pad bytes must be zero. */
	expect_dispatch_refused(&d, D_BINDING(2) + 12, 1, "padding byte 12");
	expect_dispatch_refused(&d, D_BINDING(2) + 12, 0x01000000, "padding byte 15");

	d.push_size = 128;
	for (uint32_t i = 0; i < 128; i++)
		d.push[i] = (unsigned char)(255 - i);
	expect_dispatch_ok(&d, &out);
	assert_int_equal(out.push_constant_size, 128);
	assert_memory_equal(out.push_constants, d.push, 128);

	d.push_size = 0;
	expect_dispatch_ok(&d, &out);
	assert_int_equal(out.push_constant_size, 0);
	for (uint32_t i = 0; i < OPENDXG_CMD_MAX_PUSH_CONSTANTS; i++)
		assert_int_equal(out.push_constants[i], 0);
}

/* ---- ordering of refusals ---- */

/* Two bad packets: the first is the one reported. */
static void test_first_error_wins(void **state)
{
	struct dispatch_spec d = good_dispatch();
	struct builder b;
	size_t first;

	(void)state;
	begin(&b);
	add_barrier(&b);
	first = add_copy(&b, 0x20000, 0x30000, 0);
	d.groups[0] = 1u << 30;
	add_dispatch(&b, &d);
	add_timestamp(&b, 3);
	finish(&b);
	expect_refused(&b, first, "COPY of 0 bytes");
	release(&b);
}

/*
 * Random damage to a valid buffer with every packet type: 0 or -EINVAL, never anything else;
 * a refusal names an offset inside the buffer, an acceptance only values within the limits.
 */
static void test_survives_mutations(void **state)
{
	struct dispatch_spec d = good_dispatch();
	struct builder b;
	uint64_t rng = 0x2545f4914f6cdd1dull;
	unsigned accepted = 0, refused = 0;
	unsigned char *copy;

	(void)state;
	begin(&b);
	add_copy(&b, 0x20000, 0x30000, 64);
	add_fill(&b, 0x40000, 64, 1);
	add_barrier(&b);
	add_dispatch(&b, &d);
	add_timestamp(&b, 0x50000);
	finish(&b);
	copy = malloc(b.len);
	assert_non_null(copy);
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = b.len;
		struct cmdbuf cb;
		uint32_t bad;
		int ret;

		memcpy(copy, b.buf, b.len);
		for (int k = 0; k < 1 + iter % 3; k++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			size_t at = (size_t)(rng % b.len);

			switch ((rng >> 40) % 4) {
			case 0:
				copy[at] ^= (unsigned char)(1u << ((rng >> 50) % 8));
				break;
			case 1:
				copy[at] = (unsigned char)(rng >> 48);
				break;
			case 2:
				copy[at] = 0;
				break;
			default:
				len = at;
				break;
			}
		}
		ret = cmdbuf_parse(copy, len, &limits, &cb, NULL, &bad);
		if (ret == 0) {
			accepted++;
			for (uint32_t i = 0; i < cb.dispatch_count; i++) {
				const struct cmdbuf_dispatch *x = &cb.dispatches[i];

				for (int k = 0; k < 3; k++)
					assert_true(x->group_count[k] <=
						    limits.max_workgroup_count[k]);
				assert_true(x->binding_count <= OPENDXG_CMD_MAX_BINDINGS);
				assert_true(x->push_constant_size <=
					    OPENDXG_CMD_MAX_PUSH_CONSTANTS);
			}
			cmdbuf_free(&cb);
		} else {
			assert_int_equal(ret, -EINVAL);
			assert_true(bad <= len);
			refused++;
		}
	}
	assert_true(refused > accepted);
	assert_true(accepted > 0);
	free(copy);
	release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_only),
		cmocka_unit_test(test_every_packet_decoded),
		cmocka_unit_test(test_many_dispatches),
		cmocka_unit_test(test_unaligned_buffer),
		cmocka_unit_test(test_documented_example),
		cmocka_unit_test(test_header_size_bounds),
		cmocka_unit_test(test_maximum_size),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_packet_count),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_packet_limit),
		cmocka_unit_test(test_packet_framing),
		cmocka_unit_test(test_truncated_packet_header),
		cmocka_unit_test(test_fixed_packet_sizes),
		cmocka_unit_test(test_dispatch_size_formula),
		cmocka_unit_test(test_copy_rules),
		cmocka_unit_test(test_fill_rules),
		cmocka_unit_test(test_barrier),
		cmocka_unit_test(test_timestamp_rules),
		cmocka_unit_test(test_timestamp_limit),
		cmocka_unit_test(test_dispatch_groups),
		cmocka_unit_test(test_dispatch_program_and_entry),
		cmocka_unit_test(test_dispatch_binding_rules),
		cmocka_unit_test(test_dispatch_push_constants),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_survives_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
