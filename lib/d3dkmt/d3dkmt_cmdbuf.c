// SPDX-License-Identifier: MIT
/*
 * libd3dkmt, command buffer builders: opendxg's packet format (include/uapi/misc/opendxg.h,
 * docs/cmdbuf.md) written into caller memory. The builders refuse what the host would refuse on
 * sight, so that a mistake shows up at the line that made it rather than as a broken context.
 * The host checks everything again: nothing here is a security boundary.
 */
#include "d3dkmt.h"

#include <errno.h>
#include <string.h>

static struct opendxg_cmd_header *header_of(struct d3dkmt_cmdbuf *cb)
{
	return cb->data;
}

int d3dkmt_cmdbuf_init(struct d3dkmt_cmdbuf *cb, void *data, uint32_t capacity)
{
	if (!cb || !data || capacity < OPENDXG_CMD_HEADER_SIZE || ((uintptr_t)data & 7))
		return -EINVAL;
	cb->data = data;
	cb->capacity = capacity;
	d3dkmt_cmdbuf_reset(cb);
	return 0;
}

void d3dkmt_cmdbuf_reset(struct d3dkmt_cmdbuf *cb)
{
	struct opendxg_cmd_header *h = header_of(cb);

	memset(h, 0, sizeof(*h));
	h->magic = OPENDXG_CMD_MAGIC;
	h->version_major = OPENDXG_CMD_VERSION_MAJOR;
	h->version_minor = OPENDXG_CMD_VERSION_MINOR;
	h->size = OPENDXG_CMD_HEADER_SIZE;
	cb->size = OPENDXG_CMD_HEADER_SIZE;
	cb->packet_count = 0;
}

uint32_t d3dkmt_cmdbuf_finish(struct d3dkmt_cmdbuf *cb)
{
	struct opendxg_cmd_header *h = header_of(cb);

	h->size = cb->size;
	h->packet_count = cb->packet_count;
	return cb->size;
}

/*
 * Reserves @size bytes (a multiple of 8) for the next packet, zeroed, so every reserved field
 * and every pad byte is already 0. NULL when it does not fit the memory or the format's limits.
 */
static void *reserve_packet(struct d3dkmt_cmdbuf *cb, uint32_t size, int *err)
{
	void *p;

	if (cb->size > cb->capacity || size > cb->capacity - cb->size) {
		*err = -ENOSPC;
		return NULL;
	}
	if (size > OPENDXG_CMD_MAX_SIZE - cb->size ||
	    cb->packet_count >= OPENDXG_CMD_MAX_PACKETS) {
		/* No amount of memory makes this one buffer valid: the caller must split it. */
		*err = -E2BIG;
		return NULL;
	}
	p = (unsigned char *)cb->data + cb->size;
	memset(p, 0, size);
	return p;
}

static void commit_packet(struct d3dkmt_cmdbuf *cb, void *packet, uint16_t type, uint32_t size)
{
	struct opendxg_cmd_packet *hdr = packet;

	hdr->type = type;
	hdr->flags = 0;
	hdr->size = size;
	cb->size += size;
	cb->packet_count++;
}

int d3dkmt_cmdbuf_copy(struct d3dkmt_cmdbuf *cb, uint64_t dst_va, uint64_t src_va, uint64_t size)
{
	struct opendxg_cmd_copy *p;
	int err = 0;

	if (!cb || size == 0 || src_va + size < src_va || dst_va + size < dst_va ||
	    (src_va < dst_va + size && dst_va < src_va + size))
		return -EINVAL;
	p = reserve_packet(cb, sizeof(*p), &err);
	if (!p)
		return err;
	p->src_va = src_va;
	p->dst_va = dst_va;
	p->size = size;
	commit_packet(cb, p, OPENDXG_CMD_COPY, sizeof(*p));
	return 0;
}

int d3dkmt_cmdbuf_fill(struct d3dkmt_cmdbuf *cb, uint64_t dst_va, uint64_t size, uint32_t value)
{
	struct opendxg_cmd_fill *p;
	int err = 0;

	if (!cb || size < 4 || (size & 3) || (dst_va & 3) || dst_va + size < dst_va)
		return -EINVAL;
	p = reserve_packet(cb, sizeof(*p), &err);
	if (!p)
		return err;
	p->dst_va = dst_va;
	p->size = size;
	p->value = value;
	commit_packet(cb, p, OPENDXG_CMD_FILL, sizeof(*p));
	return 0;
}

static int check_bindings(const struct opendxg_cmd_binding *bindings, uint32_t count)
{
	uint32_t seen = 0;

	if (count > OPENDXG_CMD_MAX_BINDINGS || (count && !bindings))
		return -EINVAL;
	for (uint32_t i = 0; i < count; i++) {
		const struct opendxg_cmd_binding *b = &bindings[i];

		if (b->binding >= OPENDXG_CMD_MAX_BINDINGS || (seen & (1u << b->binding)) ||
		    (b->va % OPENDXG_CMD_BINDING_ALIGN) || b->size < 4 || (b->size & 3) ||
		    b->va + b->size < b->va || (b->flags & ~OPENDXG_BINDING_READ_ONLY))
			return -EINVAL;
		seen |= 1u << b->binding;
	}
	return 0;
}

int d3dkmt_cmdbuf_dispatch(struct d3dkmt_cmdbuf *cb, struct d3dkmthandle program,
			   const char *entry_point, const uint32_t group_count[3],
			   const struct opendxg_cmd_binding *bindings, uint32_t binding_count,
			   const void *push_constants, uint32_t push_size)
{
	uint32_t push_padded = (push_size + 7u) & ~7u;
	struct opendxg_cmd_dispatch *p;
	uint64_t groups;
	size_t name_len;
	uint32_t size;
	int err = 0;

	if (!cb || !entry_point || !group_count || program.v == 0 ||
	    push_size > OPENDXG_CMD_MAX_PUSH_CONSTANTS || (push_size & 3) ||
	    (push_size && !push_constants))
		return -EINVAL;
	name_len = strnlen(entry_point, OPENDXG_CMD_ENTRY_NAME_LEN);
	if (name_len == 0 || name_len >= OPENDXG_CMD_ENTRY_NAME_LEN)
		return -EINVAL;
	groups = (uint64_t)group_count[0] * group_count[1] * group_count[2];
	if (groups > OPENDXG_CMD_MAX_GROUPS)
		return -EINVAL;
	err = check_bindings(bindings, binding_count);
	if (err)
		return err;
	size = (uint32_t)(sizeof(*p) + binding_count * sizeof(*bindings) + push_padded);
	p = reserve_packet(cb, size, &err);
	if (!p)
		return err;
	p->program = program.v;
	memcpy(p->group_count, group_count, sizeof(p->group_count));
	p->binding_count = binding_count;
	p->push_constant_size = push_size;
	memcpy(p->entry_point, entry_point, name_len);
	if (binding_count)
		memcpy(p + 1, bindings, binding_count * sizeof(*bindings));
	if (push_size)
		memcpy((unsigned char *)(p + 1) + binding_count * sizeof(*bindings),
		       push_constants, push_size);
	commit_packet(cb, p, OPENDXG_CMD_DISPATCH, size);
	return 0;
}

int d3dkmt_cmdbuf_barrier(struct d3dkmt_cmdbuf *cb)
{
	struct opendxg_cmd_packet *p;
	int err = 0;

	if (!cb)
		return -EINVAL;
	p = reserve_packet(cb, sizeof(*p), &err);
	if (!p)
		return err;
	commit_packet(cb, p, OPENDXG_CMD_BARRIER, sizeof(*p));
	return 0;
}

int d3dkmt_cmdbuf_timestamp(struct d3dkmt_cmdbuf *cb, uint64_t dst_va)
{
	struct opendxg_cmd_timestamp *p;
	int err = 0;

	if (!cb || (dst_va & 7))
		return -EINVAL;
	p = reserve_packet(cb, sizeof(*p), &err);
	if (!p)
		return err;
	p->dst_va = dst_va;
	commit_packet(cb, p, OPENDXG_CMD_TIMESTAMP, sizeof(*p));
	return 0;
}

int d3dkmt_cmdbuf_raw(struct d3dkmt_cmdbuf *cb, const void *bytes, uint32_t size)
{
	if (!cb || (size && !bytes))
		return -EINVAL;
	if (cb->size > cb->capacity || size > cb->capacity - cb->size)
		return -ENOSPC;
	if (size)
		memcpy((unsigned char *)cb->data + cb->size, bytes, size);
	cb->size += size;
	cb->packet_count++;
	return 0;
}
