/* SPDX-License-Identifier: MIT */
/*
 * Building a reply body in wire format: a bounded buffer handed out in zeroed pieces, and
 * little-endian stores into them at a struct member's offset (no alignment assumed). Shared by
 * the request handlers of memory.c and exec.c.
 */
#ifndef DXGD_REPLY_BUF_H
#define DXGD_REPLY_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <opendxg/compat.h>

struct reply_buf {
	unsigned char *data;
	uint32_t cap;
	uint32_t len;
};

/* The next `len` bytes of the reply, zeroed; NULL when the reply would exceed its capacity. */
static inline unsigned char *reply_take(struct reply_buf *r, uint32_t len)
{
	unsigned char *p;

	if (len > r->cap - r->len)
		return NULL;
	p = r->data + r->len;
	memset(p, 0, len);
	r->len += len;
	return p;
}

static inline void put32(unsigned char *p, uint32_t v)
{
	dxg_le32 le = dxg_to_le32(v);

	memcpy(p, &le, sizeof(le));
}

static inline void put64(unsigned char *p, uint64_t v)
{
	dxg_le64 le = dxg_to_le64(v);

	memcpy(p, &le, sizeof(le));
}

#define PUT32(p, type, member, v) put32((p) + offsetof(type, member), (v))
#define PUT64(p, type, member, v) put64((p) + offsetof(type, member), (v))

#endif /* DXGD_REPLY_BUF_H */
