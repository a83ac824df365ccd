// SPDX-License-Identifier: MIT
/*
 * Command buffer parser (cmdbuf.h, docs/cmdbuf.md). One pass over the packets, in order, so the
 * reason given for a refused buffer is always its first bad packet. Every field is read through
 * dxg_get_le*() at its byte offset: the buffer is the caller's copy at any alignment, and the
 * format is little-endian whatever the host is.
 *
 * The rules are strict on purpose. Reserved fields, flags and padding must be zero and every
 * packet must have exactly its size, so a valid buffer has one encoding only; a later minor
 * version can give those bits a meaning without older guests having set them by accident.
 */
#include "cmdbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opendxg/compat.h>
#include <opendxg/wire.h>

/* Byte offsets inside the packets (the structs of misc/opendxg.h, read field by field). */
#define HDR_MAGIC 0
#define HDR_VERSION_MAJOR 4
#define HDR_SIZE 8
#define HDR_PACKET_COUNT 12

#define PKT_TYPE 0
#define PKT_FLAGS 2
#define PKT_SIZE 4
#define PKT_HEADER_SIZE 8u

#define COPY_SRC_VA 8
#define COPY_DST_VA 16
#define COPY_SIZE 24

#define FILL_DST_VA 8
#define FILL_SIZE 16
#define FILL_VALUE 24
#define FILL_RESERVED 28

#define DISPATCH_PROGRAM 8
#define DISPATCH_GROUP_COUNT 12
#define DISPATCH_BINDING_COUNT 24
#define DISPATCH_PUSH_CONSTANT_SIZE 28
#define DISPATCH_ENTRY_POINT 32

#define BINDING_VA 0
#define BINDING_SIZE 8
#define BINDING_INDEX 16
#define BINDING_FLAGS 20

#define TIMESTAMP_DST_VA 8

_Static_assert(DISPATCH_ENTRY_POINT + OPENDXG_CMD_ENTRY_NAME_LEN ==
	       sizeof(struct opendxg_cmd_dispatch), "dispatch packet layout");
_Static_assert(sizeof(struct opendxg_cmd_binding) == 24, "binding layout");
_Static_assert(OPENDXG_CMD_ENTRY_NAME_LEN == sizeof(((struct cmdbuf_dispatch *)0)->entry_point),
	       "entry point buffer");

static void set_why(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_why(char *why, const char *fmt, ...)
{
	va_list ap;

	if (!why)
		return;
	va_start(ap, fmt);
	vsnprintf(why, CMDBUF_WHY_LEN, fmt, ap);
	va_end(ap);
}

/* Where the parser is, for the reason of a refusal. */
struct parse_state {
	const unsigned char *buf;
	size_t len;
	const struct cmdbuf_limits *limits;
	struct cmdbuf *out;
	uint32_t dispatch_capacity;
	uint32_t offset;		/* of the packet being parsed */
	uint32_t index;			/* its number, from 0 */
	char *why;
	uint32_t *bad_offset;
};

static int refuse(struct parse_state *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Refuses the buffer at the current packet: "packet N at offset X: <reason>". */
static int refuse(struct parse_state *ps, const char *fmt, ...)
{
	char reason[CMDBUF_WHY_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	set_why(ps->why, "packet %u at offset %u: %s", ps->index, ps->offset, reason);
	if (ps->bad_offset)
		*ps->bad_offset = ps->offset;
	return -EINVAL;
}

static uint32_t align8(uint32_t n)
{
	return (n + 7u) & ~7u;
}

/*
 * [va, va + size) must lie in the usable GPU VA range: VA 0 (the "none" of other APIs) and the
 * first pages never translate, and va + size must not wrap. size is at least 1 here.
 */
static bool va_range_ok(uint64_t va, uint64_t size)
{
	return va >= DXGW_GPUVA_MIN && va < DXGW_GPUVA_LIMIT && size <= DXGW_GPUVA_LIMIT - va;
}

static int parse_copy(struct parse_state *ps, const unsigned char *p, struct cmdbuf_op *op)
{
	uint64_t src = dxg_get_le64(p + COPY_SRC_VA);
	uint64_t dst = dxg_get_le64(p + COPY_DST_VA);
	uint64_t size = dxg_get_le64(p + COPY_SIZE);

	if (size == 0)
		return refuse(ps, "COPY of 0 bytes");
	if (!va_range_ok(src, size))
		return refuse(ps, "COPY source 0x%llx + 0x%llx outside the GPU VA range",
			      (unsigned long long)src, (unsigned long long)size);
	if (!va_range_ok(dst, size))
		return refuse(ps, "COPY destination 0x%llx + 0x%llx outside the GPU VA range",
			      (unsigned long long)dst, (unsigned long long)size);
	/* vkCmdCopyBuffer leaves overlapping regions undefined: refuse what the VAs show. */
	if (src < dst + size && dst < src + size)
		return refuse(ps, "COPY ranges 0x%llx and 0x%llx overlap (0x%llx bytes)",
			      (unsigned long long)src, (unsigned long long)dst,
			      (unsigned long long)size);
	op->copy.src_va = src;
	op->copy.dst_va = dst;
	op->copy.size = size;
	return 0;
}

static int parse_fill(struct parse_state *ps, const unsigned char *p, struct cmdbuf_op *op)
{
	uint64_t dst = dxg_get_le64(p + FILL_DST_VA);
	uint64_t size = dxg_get_le64(p + FILL_SIZE);
	uint32_t reserved = dxg_get_le32(p + FILL_RESERVED);

	if (reserved)
		return refuse(ps, "FILL reserved word is 0x%x, not 0", reserved);
	if (size < 4 || size % 4)
		return refuse(ps, "FILL size %llu is not a non-zero multiple of 4",
			      (unsigned long long)size);
	if (dst % 4)
		return refuse(ps, "FILL destination 0x%llx is not 4-byte aligned",
			      (unsigned long long)dst);
	if (!va_range_ok(dst, size))
		return refuse(ps, "FILL destination 0x%llx + 0x%llx outside the GPU VA range",
			      (unsigned long long)dst, (unsigned long long)size);
	op->fill.dst_va = dst;
	op->fill.size = size;
	op->fill.value = dxg_get_le32(p + FILL_VALUE);
	return 0;
}

static int parse_timestamp(struct parse_state *ps, const unsigned char *p, struct cmdbuf_op *op)
{
	uint64_t dst = dxg_get_le64(p + TIMESTAMP_DST_VA);

	if (ps->limits->timestamp_valid_bits == 0)
		return refuse(ps, "TIMESTAMP on an adapter without timestamps");
	if (ps->out->timestamp_count >= OPENDXG_CMD_MAX_TIMESTAMPS)
		return refuse(ps, "more than %u TIMESTAMP packets", OPENDXG_CMD_MAX_TIMESTAMPS);
	if (dst % 8)
		return refuse(ps, "TIMESTAMP destination 0x%llx is not 8-byte aligned",
			      (unsigned long long)dst);
	if (!va_range_ok(dst, 8))
		return refuse(ps, "TIMESTAMP destination 0x%llx outside the GPU VA range",
			      (unsigned long long)dst);
	op->timestamp.dst_va = dst;
	ps->out->timestamp_count++;
	return 0;
}

/*
 * x * y * z without overflow: each factor is below 2^32, so one product of two fits in 64 bits,
 * and checking it against the limit before the third multiplication keeps that one in range too.
 */
static bool group_total_ok(const uint32_t count[3])
{
	uint64_t total = (uint64_t)count[0] * count[1];

	if (count[2] == 0)
		return true;	/* runs nothing, whatever x and y say */
	if (total > OPENDXG_CMD_MAX_GROUPS)
		return false;
	return total * count[2] <= OPENDXG_CMD_MAX_GROUPS;
}

static int parse_binding(struct parse_state *ps, const unsigned char *p, uint32_t n,
			 struct cmdbuf_dispatch *d)
{
	struct cmdbuf_binding *b = &d->bindings[n];

	b->va = dxg_get_le64(p + BINDING_VA);
	b->size = dxg_get_le64(p + BINDING_SIZE);
	b->binding = dxg_get_le32(p + BINDING_INDEX);
	b->flags = dxg_get_le32(p + BINDING_FLAGS);
	if (b->binding >= OPENDXG_CMD_MAX_BINDINGS)
		return refuse(ps, "binding %u: index %u is not below %u", n, b->binding,
			      OPENDXG_CMD_MAX_BINDINGS);
	if (d->binding_mask & (1u << b->binding))
		return refuse(ps, "binding %u: index %u given twice", n, b->binding);
	if (b->flags & ~OPENDXG_BINDING_READ_ONLY)
		return refuse(ps, "binding %u: unknown flags 0x%x", n, b->flags);
	if (b->va % OPENDXG_CMD_BINDING_ALIGN)
		return refuse(ps, "binding %u: address 0x%llx is not %u-byte aligned", n,
			      (unsigned long long)b->va, OPENDXG_CMD_BINDING_ALIGN);
	if (b->size < 4 || b->size % 4)
		return refuse(ps, "binding %u: size %llu is not a non-zero multiple of 4", n,
			      (unsigned long long)b->size);
	if (b->size > ps->limits->max_binding_size)
		return refuse(ps, "binding %u: size %llu exceeds the adapter's %llu", n,
			      (unsigned long long)b->size,
			      (unsigned long long)ps->limits->max_binding_size);
	if (!va_range_ok(b->va, b->size))
		return refuse(ps, "binding %u: 0x%llx + 0x%llx outside the GPU VA range", n,
			      (unsigned long long)b->va, (unsigned long long)b->size);
	d->binding_mask |= 1u << b->binding;
	return 0;
}

static int take_dispatch_slot(struct parse_state *ps, struct cmdbuf_dispatch **slot)
{
	struct cmdbuf *cb = ps->out;

	if (cb->dispatch_count == ps->dispatch_capacity) {
		uint32_t capacity = ps->dispatch_capacity ? ps->dispatch_capacity * 2 : 4;
		struct cmdbuf_dispatch *grown;

		grown = realloc(cb->dispatches, (size_t)capacity * sizeof(*grown));
		if (!grown) {
			set_why(ps->why, "out of memory for %u dispatches", capacity);
			return -ENOMEM;
		}
		cb->dispatches = grown;
		ps->dispatch_capacity = capacity;
	}
	*slot = &cb->dispatches[cb->dispatch_count];
	memset(*slot, 0, sizeof(**slot));
	return 0;
}

/*
 * The packet's size was checked against its binding and push constant counts already; this
 * checks the values. ops point into cb->dispatches only once the array stopped growing
 * (cmdbuf_parse() links them at the end).
 */
static int parse_dispatch(struct parse_state *ps, const unsigned char *p)
{
	const unsigned char *name = p + DISPATCH_ENTRY_POINT;
	const unsigned char *nul;
	struct cmdbuf_dispatch *d;
	uint32_t push_offset;
	int err;

	err = take_dispatch_slot(ps, &d);
	if (err)
		return err;
	d->program = dxg_get_le32(p + DISPATCH_PROGRAM);
	for (int k = 0; k < 3; k++)
		d->group_count[k] = dxg_get_le32(p + DISPATCH_GROUP_COUNT + 4 * k);
	d->binding_count = dxg_get_le32(p + DISPATCH_BINDING_COUNT);
	d->push_constant_size = dxg_get_le32(p + DISPATCH_PUSH_CONSTANT_SIZE);

	if (d->program == 0)
		return refuse(ps, "DISPATCH without a program handle");
	for (int k = 0; k < 3; k++) {
		if (d->group_count[k] > ps->limits->max_workgroup_count[k])
			return refuse(ps, "DISPATCH group count %c = %u exceeds the adapter's %u",
				      "xyz"[k], d->group_count[k],
				      ps->limits->max_workgroup_count[k]);
	}
	if (!group_total_ok(d->group_count))
		return refuse(ps, "DISPATCH of %u x %u x %u groups exceeds %u in total",
			      d->group_count[0], d->group_count[1], d->group_count[2],
			      OPENDXG_CMD_MAX_GROUPS);

	nul = memchr(name, '\0', OPENDXG_CMD_ENTRY_NAME_LEN);
	if (!nul)
		return refuse(ps, "DISPATCH entry point name has no NUL in %u bytes",
			      OPENDXG_CMD_ENTRY_NAME_LEN);
	if (nul == name)
		return refuse(ps, "DISPATCH entry point name is empty");
	for (const unsigned char *c = nul; c < name + OPENDXG_CMD_ENTRY_NAME_LEN; c++) {
		if (*c)
			return refuse(ps, "DISPATCH entry point padding byte %u is not 0",
				      (unsigned)(c - name));
	}
	memcpy(d->entry_point, name, OPENDXG_CMD_ENTRY_NAME_LEN);

	for (uint32_t n = 0; n < d->binding_count; n++) {
		err = parse_binding(ps, p + sizeof(struct opendxg_cmd_dispatch) +
				    (size_t)n * sizeof(struct opendxg_cmd_binding), n, d);
		if (err)
			return err;
	}

	push_offset = (uint32_t)sizeof(struct opendxg_cmd_dispatch) +
		      d->binding_count * (uint32_t)sizeof(struct opendxg_cmd_binding);
	memcpy(d->push_constants, p + push_offset, d->push_constant_size);
	for (uint32_t at = d->push_constant_size; at < align8(d->push_constant_size); at++) {
		if (p[push_offset + at])
			return refuse(ps, "DISPATCH push constant padding byte %u is not 0", at);
	}

	ps->out->dispatch_count++;
	ps->out->total_bindings += d->binding_count;
	return 0;
}

/*
 * The size a packet of `type` must have, from the bytes already known to be inside the buffer
 * (the packet header, and for DISPATCH its fixed part). 0 when the type is unknown or a count
 * that decides the size is out of range; the reason is then set.
 */
static uint32_t expected_size(struct parse_state *ps, uint32_t type, const unsigned char *p,
			      uint32_t size, int *err)
{
	uint32_t bindings, push;

	*err = 0;
	switch (type) {
	case OPENDXG_CMD_COPY:
		return sizeof(struct opendxg_cmd_copy);
	case OPENDXG_CMD_FILL:
		return sizeof(struct opendxg_cmd_fill);
	case OPENDXG_CMD_BARRIER:
		return sizeof(struct opendxg_cmd_packet);
	case OPENDXG_CMD_TIMESTAMP:
		return sizeof(struct opendxg_cmd_timestamp);
	case OPENDXG_CMD_DISPATCH:
		if (size < sizeof(struct opendxg_cmd_dispatch)) {
			*err = refuse(ps, "DISPATCH of %u bytes (at least %zu)", size,
				      sizeof(struct opendxg_cmd_dispatch));
			return 0;
		}
		bindings = dxg_get_le32(p + DISPATCH_BINDING_COUNT);
		push = dxg_get_le32(p + DISPATCH_PUSH_CONSTANT_SIZE);
		if (bindings > OPENDXG_CMD_MAX_BINDINGS) {
			*err = refuse(ps, "DISPATCH with %u bindings (at most %u)", bindings,
				      OPENDXG_CMD_MAX_BINDINGS);
			return 0;
		}
		if (push > OPENDXG_CMD_MAX_PUSH_CONSTANTS || push % 4) {
			*err = refuse(ps, "DISPATCH push constant size %u is not a multiple of 4 "
				      "up to %u", push, OPENDXG_CMD_MAX_PUSH_CONSTANTS);
			return 0;
		}
		return (uint32_t)sizeof(struct opendxg_cmd_dispatch) +
		       bindings * (uint32_t)sizeof(struct opendxg_cmd_binding) + align8(push);
	default:
		*err = refuse(ps, "unknown packet type %u", type);
		return 0;
	}
}

static int parse_packet(struct parse_state *ps, struct cmdbuf_op *op)
{
	const unsigned char *p = ps->buf + ps->offset;
	size_t left = ps->len - ps->offset;
	uint32_t type, flags, size, expected;
	int err;

	if (left < PKT_HEADER_SIZE)
		return refuse(ps, "truncated packet header (%zu bytes left)", left);
	type = dxg_get_le16(p + PKT_TYPE);
	flags = dxg_get_le16(p + PKT_FLAGS);
	size = dxg_get_le32(p + PKT_SIZE);
	if (size < PKT_HEADER_SIZE || size % 8)
		return refuse(ps, "packet size %u is not a multiple of 8 of at least 8", size);
	if (size > left)
		return refuse(ps, "packet of %u bytes runs past the end (%zu bytes left)", size,
			      left);
	if (flags)
		return refuse(ps, "packet flags 0x%x are not 0", flags);
	expected = expected_size(ps, type, p, size, &err);
	if (err)
		return err;
	if (size != expected)
		return refuse(ps, "packet type %u of %u bytes, must be %u", type, size, expected);

	op->type = type;
	op->offset = ps->offset;
	switch (type) {
	case OPENDXG_CMD_COPY:
		err = parse_copy(ps, p, op);
		break;
	case OPENDXG_CMD_FILL:
		err = parse_fill(ps, p, op);
		break;
	case OPENDXG_CMD_DISPATCH:
		err = parse_dispatch(ps, p);
		break;
	case OPENDXG_CMD_TIMESTAMP:
		err = parse_timestamp(ps, p, op);
		break;
	default:	/* BARRIER: the header is all of it */
		break;
	}
	if (err)
		return err;
	ps->offset += size;
	return 0;
}

static int parse_header(const unsigned char *buf, size_t len, struct parse_state *ps,
			uint32_t *packet_count)
{
	uint32_t magic, major, size;

	ps->offset = 0;
	if (!buf || len < OPENDXG_CMD_HEADER_SIZE) {
		set_why(ps->why, "header: %zu bytes is shorter than the %u-byte header", len,
			OPENDXG_CMD_HEADER_SIZE);
		return -EINVAL;
	}
	if (len > OPENDXG_CMD_MAX_SIZE) {
		set_why(ps->why, "header: %zu bytes exceeds the %u-byte maximum", len,
			OPENDXG_CMD_MAX_SIZE);
		return -EINVAL;
	}
	magic = dxg_get_le32(buf + HDR_MAGIC);
	major = dxg_get_le16(buf + HDR_VERSION_MAJOR);
	size = dxg_get_le32(buf + HDR_SIZE);
	*packet_count = dxg_get_le32(buf + HDR_PACKET_COUNT);
	if (magic != OPENDXG_CMD_MAGIC) {
		set_why(ps->why, "header: bad magic 0x%08x", magic);
		return -EINVAL;
	}
	if (major != OPENDXG_CMD_VERSION_MAJOR) {
		set_why(ps->why, "header: version %u.x is not %u.x", major,
			OPENDXG_CMD_VERSION_MAJOR);
		return -EINVAL;
	}
	if (size != len) {
		set_why(ps->why, "header: size %u is not the submitted length %zu", size, len);
		return -EINVAL;
	}
	if (*packet_count > OPENDXG_CMD_MAX_PACKETS) {
		set_why(ps->why, "header: %u packets (at most %u)", *packet_count,
			OPENDXG_CMD_MAX_PACKETS);
		return -EINVAL;
	}
	/* Every packet takes at least 8 bytes: refuse an impossible count before allocating. */
	if (*packet_count > (len - OPENDXG_CMD_HEADER_SIZE) / PKT_HEADER_SIZE) {
		set_why(ps->why, "header: %u packets cannot fit in %zu bytes", *packet_count, len);
		return -EINVAL;
	}
	return 0;
}

int cmdbuf_parse(const void *buf, size_t len, const struct cmdbuf_limits *limits,
		 struct cmdbuf *out, char *why, uint32_t *bad_offset)
{
	struct parse_state ps = {
		.buf = buf, .len = len, .limits = limits, .out = out,
		.why = why, .bad_offset = bad_offset,
	};
	uint32_t packet_count;
	uint32_t next_dispatch = 0;
	int err;

	memset(out, 0, sizeof(*out));
	if (why)
		why[0] = '\0';
	if (bad_offset)
		*bad_offset = 0;

	err = parse_header(buf, len, &ps, &packet_count);
	if (err)
		return err;
	if (packet_count) {
		out->ops = calloc(packet_count, sizeof(*out->ops));
		if (!out->ops) {
			set_why(why, "out of memory for %u packets", packet_count);
			return -ENOMEM;
		}
	}

	ps.offset = OPENDXG_CMD_HEADER_SIZE;
	for (ps.index = 0; ps.index < packet_count; ps.index++) {
		if (ps.offset == len) {
			set_why(why, "header promises %u packets, the buffer ends after %u, "
				"at offset %u", packet_count, ps.index, ps.offset);
			if (bad_offset)
				*bad_offset = ps.offset;
			err = -EINVAL;
			goto fail;
		}
		err = parse_packet(&ps, &out->ops[ps.index]);
		if (err)
			goto fail;
	}
	if (ps.offset != len) {
		set_why(why, "%zu bytes after the last of %u packets, at offset %u",
			len - ps.offset, packet_count, ps.offset);
		if (bad_offset)
			*bad_offset = ps.offset;
		err = -EINVAL;
		goto fail;
	}

	out->op_count = packet_count;
	for (uint32_t i = 0; i < packet_count; i++) {
		if (out->ops[i].type == OPENDXG_CMD_DISPATCH)
			out->ops[i].dispatch = &out->dispatches[next_dispatch++];
	}
	return 0;

fail:
	cmdbuf_free(out);
	return err;
}

void cmdbuf_free(struct cmdbuf *cb)
{
	if (!cb)
		return;
	free(cb->ops);
	free(cb->dispatches);
	memset(cb, 0, sizeof(*cb));
}
