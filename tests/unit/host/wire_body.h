/* SPDX-License-Identifier: MIT */
/*
 * A request body under construction for the worker unit tests: fields appended in wire order,
 * little-endian, lists padded to 8 bytes as the wire format wants.
 */
#ifndef OPENDXG_TEST_WIRE_BODY_H
#define OPENDXG_TEST_WIRE_BODY_H

#include <stdint.h>
#include <string.h>

#include <opendxg/wire.h>

struct body {
	unsigned char b[DXGW_MAX_BODY];
	uint32_t len;
};

static inline void b_u32(struct body *b, uint32_t v)
{
	dxg_le32 le = dxg_to_le32(v);

	memcpy(b->b + b->len, &le, 4);
	b->len += 4;
}

static inline void b_u64(struct body *b, uint64_t v)
{
	dxg_le64 le = dxg_to_le64(v);

	memcpy(b->b + b->len, &le, 8);
	b->len += 8;
}

static inline void b_pad8(struct body *b)
{
	while (b->len % 8)
		b->b[b->len++] = 0;
}

/* A handle list: n u32 values, then zeros to the next multiple of 8 bytes. */
static inline void b_list(struct body *b, const uint32_t *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		b_u32(b, v[i]);
	b_pad8(b);
}

#endif /* OPENDXG_TEST_WIRE_BODY_H */
