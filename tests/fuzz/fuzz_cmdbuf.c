// SPDX-License-Identifier: MIT
/*
 * fuzz-cmdbuf: the command buffer parser (host/cmdbuf.c) against any bytes a guest can submit.
 * The buffer is copied into an allocation of exactly its length (at a chosen misalignment), so
 * AddressSanitizer sees any read past it.
 *
 * Input: u8 config, then the rest.
 *   config bits 0..1  adapter limits: 0 a typical GPU, 1 small limits without timestamps,
 *                     2 every limit at its maximum, 3 every limit 0
 *   config bit 2      the rest is a script that builds packets (below), else the buffer itself
 *   config bit 3      raw buffers: fix the header (magic, major version, size, and the packet
 *                     count found by walking the packet sizes) so mutations reach the packets
 *   config bits 4..6  misalignment of the copy (0..7 bytes)
 * Script records (fields read as little-endian; a short input reads zeros):
 *   u8 kind % 6: 0 COPY (u16 src page, u8 src byte, u16 dst page, u8 dst byte, u16 size-1),
 *   1 FILL (u16 dst/4, u16 size/4 - 1, u32 value), 2 BARRIER, 3 TIMESTAMP (u16 dst/8),
 *   4 DISPATCH (u8 program-1, 3 x u8 groups, u8 entry name length % 8, u8 bindings % 17, each
 *   u8 index, u16 va/256, u16 size/4 - 1, u8 flags & 1; u8 push words % 33 and the bytes),
 *   5 damage (u16 offset, u8 xor) applied to the finished buffer.
 * Script packets are valid alone, so accepted buffers are common; the damage records, duplicate
 * indexes and overlapping copies make the refusals.
 *
 * Checked: a refusal is -EINVAL with a one-line reason, an offset inside the buffer and nothing
 * left in the result. An acceptance decodes only what the rules allow (every value within the
 * limits, misc/opendxg.h), the counters match the ops, and encoding the ops again gives back the
 * submitted bytes exactly: the parser read every field and let no byte through unread (reserved
 * fields, padding). FUZZ_CMDBUF_TRACE=1 prints each verdict.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <misc/opendxg.h>
#include <opendxg/wire.h>

#include "cmdbuf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool trace;

#define CHECK(cond) \
	do { \
		if (!(cond)) \
			check_failed(#cond, __LINE__); \
	} while (0)

static __attribute__((noreturn)) void check_failed(const char *what, int line)
{
	fprintf(stderr, "fuzz-cmdbuf: invariant violated (line %d): %s\n", line, what);
	__builtin_trap();
}

static const struct cmdbuf_limits limit_sets[4] = {
	{ { 65535, 65535, 65535 }, 1ull << 30, 64 },
	{ { 16, 4, 2 }, 4096, 0 },
	{ { UINT32_MAX, UINT32_MAX, UINT32_MAX }, UINT64_MAX, 64 },
	{ { 0, 0, 0 }, 0, 0 },
};

/* ---- reading the input ---- */

struct reader {
	const uint8_t *data;
	size_t size, pos;
};

static uint8_t take_u8(struct reader *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

static uint16_t take_u16(struct reader *in)
{
	uint16_t lo = take_u8(in);

	return (uint16_t)(lo | (uint16_t)take_u8(in) << 8);
}

static uint32_t take_u32(struct reader *in)
{
	uint32_t lo = take_u16(in);

	return lo | (uint32_t)take_u16(in) << 16;
}

/* ---- building buffers (script mode, and the re-encoding check) ---- */

struct bytes {
	uint8_t *data;
	size_t len, cap;
};

static void put(struct bytes *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;

		while (cap < b->len + n)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (!b->data)
			abort();
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void put_u16(struct bytes *b, uint16_t v)
{
	uint8_t le[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(b, le, 2);
}

static void put_u32(struct bytes *b, uint32_t v)
{
	put_u16(b, (uint16_t)v);
	put_u16(b, (uint16_t)(v >> 16));
}

static void put_u64(struct bytes *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

static void poke_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t peek_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_header(struct bytes *b, uint16_t minor)
{
	put_u32(b, OPENDXG_CMD_MAGIC);
	put_u16(b, OPENDXG_CMD_VERSION_MAJOR);
	put_u16(b, minor);
	put_u32(b, 0);
	put_u32(b, 0);
}

static void finish_header(struct bytes *b, uint32_t packets)
{
	poke_u32(b->data + 8, (uint32_t)b->len);
	poke_u32(b->data + 12, packets);
}

static void put_packet_header(struct bytes *b, uint32_t type, uint32_t size)
{
	put_u16(b, (uint16_t)type);
	put_u16(b, 0);
	put_u32(b, size);
}

static uint32_t pad8(uint32_t n)
{
	return (n + 7u) & ~7u;
}

static void put_dispatch(struct bytes *b, const struct cmdbuf_dispatch *d)
{
	static const uint8_t zeros[8];

	put_packet_header(b, OPENDXG_CMD_DISPATCH, 96 + 24 * d->binding_count +
			  pad8(d->push_constant_size));
	put_u32(b, d->program);
	for (int k = 0; k < 3; k++)
		put_u32(b, d->group_count[k]);
	put_u32(b, d->binding_count);
	put_u32(b, d->push_constant_size);
	put(b, d->entry_point, OPENDXG_CMD_ENTRY_NAME_LEN);
	for (uint32_t n = 0; n < d->binding_count; n++) {
		put_u64(b, d->bindings[n].va);
		put_u64(b, d->bindings[n].size);
		put_u32(b, d->bindings[n].binding);
		put_u32(b, d->bindings[n].flags);
	}
	put(b, d->push_constants, d->push_constant_size);
	put(b, zeros, pad8(d->push_constant_size) - d->push_constant_size);
}

/* The one encoding of a decoded buffer. */
static void encode(const struct cmdbuf *cb, uint16_t minor, struct bytes *b)
{
	put_header(b, minor);
	for (uint32_t i = 0; i < cb->op_count; i++) {
		const struct cmdbuf_op *op = &cb->ops[i];

		CHECK(op->offset == b->len);
		switch (op->type) {
		case OPENDXG_CMD_COPY:
			put_packet_header(b, op->type, 32);
			put_u64(b, op->copy.src_va);
			put_u64(b, op->copy.dst_va);
			put_u64(b, op->copy.size);
			break;
		case OPENDXG_CMD_FILL:
			put_packet_header(b, op->type, 32);
			put_u64(b, op->fill.dst_va);
			put_u64(b, op->fill.size);
			put_u32(b, op->fill.value);
			put_u32(b, 0);
			break;
		case OPENDXG_CMD_BARRIER:
			put_packet_header(b, op->type, 8);
			break;
		case OPENDXG_CMD_TIMESTAMP:
			put_packet_header(b, op->type, 16);
			put_u64(b, op->timestamp.dst_va);
			break;
		case OPENDXG_CMD_DISPATCH:
			put_dispatch(b, op->dispatch);
			break;
		default:
			CHECK(!"decoded an unknown packet type");
		}
	}
	finish_header(b, cb->op_count);
}

/* Script mode: valid packets from compact records, then the damage. */
static void build_from_script(struct reader *in, struct bytes *b)
{
	struct {
		uint16_t offset;
		uint8_t value;
	} damage[16];
	uint32_t damage_count = 0, packets = 0;

	put_header(b, 0);
	while (in->pos < in->size && b->len < OPENDXG_CMD_MAX_SIZE - 1024 &&
	       packets < OPENDXG_CMD_MAX_PACKETS + 8) {
		uint8_t kind = take_u8(in) % 6;
		struct cmdbuf_dispatch d;

		switch (kind) {
		case 0: {
			uint64_t src = DXGW_GPUVA_MIN + take_u16(in) * 4096ull + take_u8(in);
			uint64_t dst = DXGW_GPUVA_MIN + take_u16(in) * 4096ull + take_u8(in);

			put_packet_header(b, OPENDXG_CMD_COPY, 32);
			put_u64(b, src);
			put_u64(b, dst);
			put_u64(b, take_u16(in) + 1ull);
			break;
		}
		case 1:
			put_packet_header(b, OPENDXG_CMD_FILL, 32);
			put_u64(b, DXGW_GPUVA_MIN + take_u16(in) * 4ull);
			put_u64(b, (take_u16(in) + 1ull) * 4);
			put_u32(b, take_u32(in));
			put_u32(b, 0);
			break;
		case 2:
			put_packet_header(b, OPENDXG_CMD_BARRIER, 8);
			break;
		case 3:
			put_packet_header(b, OPENDXG_CMD_TIMESTAMP, 16);
			put_u64(b, DXGW_GPUVA_MIN + take_u16(in) * 8ull);
			break;
		case 4: {
			uint32_t name_len;

			memset(&d, 0, sizeof(d));
			d.program = take_u8(in) + 1u;
			for (int k = 0; k < 3; k++)
				d.group_count[k] = take_u8(in);
			name_len = 1 + take_u8(in) % 8;
			memset(d.entry_point, 'm', name_len);
			d.binding_count = take_u8(in) % (OPENDXG_CMD_MAX_BINDINGS + 1);
			for (uint32_t n = 0; n < d.binding_count; n++) {
				d.bindings[n].binding = take_u8(in) % OPENDXG_CMD_MAX_BINDINGS;
				d.bindings[n].va = DXGW_GPUVA_MIN + take_u16(in) * 256ull;
				d.bindings[n].size = (take_u16(in) + 1ull) * 4;
				d.bindings[n].flags = take_u8(in) & OPENDXG_BINDING_READ_ONLY;
			}
			d.push_constant_size = 4u * (take_u8(in) % 33);
			for (uint32_t i = 0; i < d.push_constant_size; i++)
				d.push_constants[i] = take_u8(in);
			put_dispatch(b, &d);
			break;
		}
		default:
			if (damage_count < sizeof(damage) / sizeof(damage[0])) {
				damage[damage_count].offset = take_u16(in);
				damage[damage_count].value = take_u8(in);
				damage_count++;
			}
			continue;
		}
		packets++;
	}
	finish_header(b, packets);
	for (uint32_t i = 0; i < damage_count; i++)
		b->data[damage[i].offset % b->len] ^= damage[i].value;
}

/* Raw mode, config bit 3: a header that matches the bytes, whatever the packets say. */
static void fix_header(struct bytes *b)
{
	uint32_t packets = 0;
	size_t at = OPENDXG_CMD_HEADER_SIZE;

	if (b->len < OPENDXG_CMD_HEADER_SIZE)
		return;
	poke_u32(b->data, OPENDXG_CMD_MAGIC);
	b->data[4] = OPENDXG_CMD_VERSION_MAJOR;
	b->data[5] = 0;
	while (at + 8 <= b->len && packets < OPENDXG_CMD_MAX_PACKETS) {
		uint32_t size = peek_u32(b->data + at + 4);

		if (size < 8 || size > b->len - at)
			break;
		at += size;
		packets++;
	}
	finish_header(b, packets);
}

/* ---- the checks ---- */

static bool va_range_ok(uint64_t va, uint64_t size)
{
	return va >= DXGW_GPUVA_MIN && va < DXGW_GPUVA_LIMIT && size <= DXGW_GPUVA_LIMIT - va;
}

static void check_dispatch(const struct cmdbuf_dispatch *d, const struct cmdbuf_limits *lim)
{
	uint32_t mask = 0;
	size_t name_len;

	CHECK(d->program != 0);
	for (int k = 0; k < 3; k++)
		CHECK(d->group_count[k] <= lim->max_workgroup_count[k]);
	if (d->group_count[0] && d->group_count[1] && d->group_count[2]) {
		unsigned __int128 total = (unsigned __int128)d->group_count[0] *
					  d->group_count[1] * d->group_count[2];

		CHECK(total <= OPENDXG_CMD_MAX_GROUPS);
	}
	CHECK(d->binding_count <= OPENDXG_CMD_MAX_BINDINGS);
	for (uint32_t n = 0; n < d->binding_count; n++) {
		const struct cmdbuf_binding *bd = &d->bindings[n];

		CHECK(bd->binding < OPENDXG_CMD_MAX_BINDINGS);
		CHECK(!(mask & (1u << bd->binding)));
		mask |= 1u << bd->binding;
		CHECK(bd->va % OPENDXG_CMD_BINDING_ALIGN == 0);
		CHECK(bd->size >= 4 && bd->size % 4 == 0);
		CHECK(bd->size <= lim->max_binding_size);
		CHECK(va_range_ok(bd->va, bd->size));
		CHECK((bd->flags & ~OPENDXG_BINDING_READ_ONLY) == 0);
	}
	CHECK(d->binding_mask == mask);
	CHECK((uint32_t)__builtin_popcount(mask) == d->binding_count);
	CHECK(d->push_constant_size <= OPENDXG_CMD_MAX_PUSH_CONSTANTS);
	CHECK(d->push_constant_size % 4 == 0);
	for (uint32_t i = d->push_constant_size; i < OPENDXG_CMD_MAX_PUSH_CONSTANTS; i++)
		CHECK(d->push_constants[i] == 0);
	name_len = strnlen(d->entry_point, OPENDXG_CMD_ENTRY_NAME_LEN);
	CHECK(name_len > 0 && name_len < OPENDXG_CMD_ENTRY_NAME_LEN);
	for (size_t i = name_len; i < OPENDXG_CMD_ENTRY_NAME_LEN; i++)
		CHECK(d->entry_point[i] == '\0');
}

static void check_accepted(const struct cmdbuf *cb, const uint8_t *buf, size_t len,
			   const struct cmdbuf_limits *lim)
{
	uint32_t dispatches = 0, timestamps = 0, bindings = 0;
	struct bytes again = { 0 };

	CHECK(len >= OPENDXG_CMD_HEADER_SIZE && len <= OPENDXG_CMD_MAX_SIZE);
	CHECK(cb->op_count == peek_u32(buf + 12));
	CHECK(cb->op_count <= OPENDXG_CMD_MAX_PACKETS);
	CHECK(cb->op_count == 0 || cb->ops);
	for (uint32_t i = 0; i < cb->op_count; i++) {
		const struct cmdbuf_op *op = &cb->ops[i];

		CHECK(op->offset % 8 == 0 && op->offset < len);
		CHECK(i == 0 ? op->offset == OPENDXG_CMD_HEADER_SIZE :
			       op->offset > cb->ops[i - 1].offset);
		switch (op->type) {
		case OPENDXG_CMD_COPY:
			CHECK(op->copy.size >= 1);
			CHECK(va_range_ok(op->copy.src_va, op->copy.size));
			CHECK(va_range_ok(op->copy.dst_va, op->copy.size));
			CHECK(op->copy.src_va + op->copy.size <= op->copy.dst_va ||
			      op->copy.dst_va + op->copy.size <= op->copy.src_va);
			break;
		case OPENDXG_CMD_FILL:
			CHECK(op->fill.size >= 4 && op->fill.size % 4 == 0);
			CHECK(op->fill.dst_va % 4 == 0);
			CHECK(va_range_ok(op->fill.dst_va, op->fill.size));
			break;
		case OPENDXG_CMD_TIMESTAMP:
			CHECK(lim->timestamp_valid_bits != 0);
			CHECK(op->timestamp.dst_va % 8 == 0);
			CHECK(va_range_ok(op->timestamp.dst_va, 8));
			timestamps++;
			break;
		case OPENDXG_CMD_DISPATCH:
			CHECK(dispatches < cb->dispatch_count);
			CHECK(op->dispatch == &cb->dispatches[dispatches]);
			check_dispatch(op->dispatch, lim);
			bindings += op->dispatch->binding_count;
			dispatches++;
			break;
		case OPENDXG_CMD_BARRIER:
			break;
		default:
			CHECK(!"decoded an unknown packet type");
		}
	}
	CHECK(dispatches == cb->dispatch_count);
	CHECK(timestamps == cb->timestamp_count);
	CHECK(timestamps <= OPENDXG_CMD_MAX_TIMESTAMPS);
	CHECK(bindings == cb->total_bindings);

	encode(cb, (uint16_t)(buf[6] | buf[7] << 8), &again);
	CHECK(again.len == len);
	CHECK(memcmp(again.data, buf, len) == 0);
	free(again.data);
}

static void check_refused(int ret, const struct cmdbuf *cb, const char *why, uint32_t bad,
			  size_t len)
{
	CHECK(ret == -EINVAL || ret == -ENOMEM);
	CHECK(memchr(why, '\0', CMDBUF_WHY_LEN) != NULL);
	CHECK(why[0] != '\0');
	CHECK(strchr(why, '\n') == NULL);
	CHECK(bad <= len);
	CHECK(bad % 8 == 0);
	CHECK(cb->op_count == 0 && cb->ops == NULL);
	CHECK(cb->dispatch_count == 0 && cb->dispatches == NULL);
	CHECK(cb->timestamp_count == 0 && cb->total_bindings == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *env = getenv("FUZZ_CMDBUF_TRACE");

	(void)argc;
	(void)argv;
	trace = env && *env && strcmp(env, "0") != 0;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader in = { .data = data, .size = size };
	uint8_t config = take_u8(&in);
	const struct cmdbuf_limits *lim = &limit_sets[config & 3];
	unsigned shift = (config >> 4) & 7;
	struct bytes b = { 0 };
	struct cmdbuf cb;
	char why[CMDBUF_WHY_LEN];
	uint32_t bad = UINT32_MAX;
	uint8_t *copy;
	int ret;

	if (config & 4) {
		build_from_script(&in, &b);
	} else {
		put(&b, data + in.pos, size - in.pos);
		if (config & 8)
			fix_header(&b);
	}

	/* Exactly the buffer's bytes after the shift: any read past them is an ASan report. */
	copy = malloc(shift + b.len + (shift + b.len == 0));
	if (!copy)
		abort();
	if (b.len)
		memcpy(copy + shift, b.data, b.len);
	memset(why, 'x', sizeof(why));
	ret = cmdbuf_parse(copy + shift, b.len, lim, &cb, why, &bad);
	if (trace)
		fprintf(stderr, "fuzz-cmdbuf: limits %u, %zu bytes: %d %s (%u ops)\n", config & 3,
			b.len, ret, ret ? why : "accepted", cb.op_count);
	if (ret == 0) {
		CHECK(why[0] == '\0');
		CHECK(bad == 0);
		check_accepted(&cb, copy + shift, b.len, lim);
		cmdbuf_free(&cb);
		CHECK(cb.ops == NULL && cb.dispatches == NULL && cb.op_count == 0);
	} else {
		check_refused(ret, &cb, why, bad, b.len);
	}
	free(copy);
	free(b.data);
	return 0;
}
