// SPDX-License-Identifier: MIT
/*
 * libdxgc command lists: buffer/offset arguments turned into GPU VAs and checked against the
 * buffers and the adapter's limits, then appended with libd3dkmt's packet builders into memory
 * that grows as needed (up to one command buffer, OPENDXG_CMD_MAX_SIZE).
 */
#include "dxgc_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CMDLIST_INITIAL_CAPACITY 4096u

int dxgc_cmdlist_create(struct dxgc_device *dev, struct dxgc_cmdlist **out)
{
	struct dxgc_cmdlist *list;
	void *mem;

	if (!dev || !out)
		return -EINVAL;
	list = calloc(1, sizeof(*list));
	mem = malloc(CMDLIST_INITIAL_CAPACITY);
	if (!list || !mem) {
		free(list);
		free(mem);
		return -ENOMEM;
	}
	list->dev = dev;
	d3dkmt_cmdbuf_init(&list->cb, mem, CMDLIST_INITIAL_CAPACITY);
	dxgc_link_add(dev, &dev->objects_cmdlists, &list->link);
	*out = list;
	return 0;
}

void dxgc_cmdlist_release(struct dxgc_cmdlist *list)
{
	if (!list)
		return;
	dxgc_link_del(list->dev, &list->link);
	free(list->cb.data);
	free(list);
}

void dxgc_cmdlist_destroy(struct dxgc_cmdlist *list)
{
	/* The host copied the packets at submission: nothing on the device refers to them. */
	dxgc_cmdlist_release(list);
}

void dxgc_cmdlist_reset(struct dxgc_cmdlist *list)
{
	d3dkmt_cmdbuf_reset(&list->cb);
}

uint32_t dxgc_cmdlist_count(const struct dxgc_cmdlist *list)
{
	return list->cb.packet_count;
}

/*
 * Makes room for a packet of @bytes, growing the memory in powers of two (malloc() memory is
 * 16-byte aligned, the builders need 8). Past OPENDXG_CMD_MAX_SIZE the builder itself answers
 * -E2BIG, so this stops growing there.
 */
static int make_room(struct dxgc_cmdlist *list, uint32_t bytes)
{
	uint64_t want = (uint64_t)list->cb.size + bytes;
	uint32_t capacity = list->cb.capacity;
	void *mem;

	if (want <= capacity || capacity >= OPENDXG_CMD_MAX_SIZE)
		return 0;
	while (capacity < want && capacity < OPENDXG_CMD_MAX_SIZE)
		capacity *= 2;
	if (capacity > OPENDXG_CMD_MAX_SIZE)
		capacity = OPENDXG_CMD_MAX_SIZE;
	mem = realloc(list->cb.data, capacity);
	if (!mem)
		return -ENOMEM;
	list->cb.data = mem;
	list->cb.capacity = capacity;
	return 0;
}

/* -ENOSPC can only mean the format's limit once make_room() ran. */
static int builder_result(int ret)
{
	return ret == -ENOSPC ? -E2BIG : ret;
}

/* @size bytes at @offset of @buf, DXGC_WHOLE_SIZE meaning the rest; its GPU VA in *@va. */
static int resolve(const struct dxgc_cmdlist *list, const struct dxgc_buffer *buf,
		   uint64_t offset, uint64_t *size, uint64_t *va)
{
	if (!buf || buf->dev != list->dev || offset > buf->size)
		return -EINVAL;
	if (*size == DXGC_WHOLE_SIZE)
		*size = buf->size - offset;
	if (*size > buf->size - offset)
		return -EINVAL;
	*va = buf->gpu_va + offset;
	return 0;
}

int dxgc_cmd_copy(struct dxgc_cmdlist *list, struct dxgc_buffer *dst, uint64_t dst_offset,
		  struct dxgc_buffer *src, uint64_t src_offset, uint64_t size)
{
	uint64_t dst_size = size, dst_va, src_va;
	int ret;

	if (!list)
		return -EINVAL;
	ret = resolve(list, src, src_offset, &size, &src_va);
	if (ret == 0)
		ret = resolve(list, dst, dst_offset, &dst_size, &dst_va);
	if (ret == 0 && dst_size < size)
		ret = -EINVAL;
	if (ret < 0)
		return dxgc_fail(ret, "COPY: range outside its buffer");
	ret = make_room(list, sizeof(struct opendxg_cmd_copy));
	return ret < 0 ? ret : builder_result(d3dkmt_cmdbuf_copy(&list->cb, dst_va, src_va, size));
}

int dxgc_cmd_fill(struct dxgc_cmdlist *list, struct dxgc_buffer *dst, uint64_t offset,
		  uint64_t size, uint32_t value)
{
	uint64_t va;
	int ret;

	if (!list)
		return -EINVAL;
	ret = resolve(list, dst, offset, &size, &va);
	if (ret < 0)
		return dxgc_fail(ret, "FILL: range outside its buffer");
	ret = make_room(list, sizeof(struct opendxg_cmd_fill));
	return ret < 0 ? ret : builder_result(d3dkmt_cmdbuf_fill(&list->cb, va, size, value));
}

int dxgc_cmd_dispatch(struct dxgc_cmdlist *list, const struct dxgc_dispatch *d)
{
	struct opendxg_cmd_binding bindings[OPENDXG_CMD_MAX_BINDINGS];
	const struct opendxg_adapter_caps *caps;
	int ret;

	if (!list || !d || !d->program || d->program->dev != list->dev ||
	    d->binding_count > OPENDXG_CMD_MAX_BINDINGS || (d->binding_count && !d->bindings))
		return dxgc_fail(-EINVAL, "DISPATCH: bad program or binding count");
	caps = &list->dev->info.caps;
	for (int i = 0; i < 3; i++)
		if (caps->max_workgroup_count[i] && d->groups[i] > caps->max_workgroup_count[i])
			return dxgc_fail(-EINVAL, "DISPATCH: %u groups in dimension %d (max %u)",
					 d->groups[i], i, caps->max_workgroup_count[i]);
	memset(bindings, 0, sizeof(bindings));
	for (uint32_t i = 0; i < d->binding_count; i++) {
		const struct dxgc_binding *b = &d->bindings[i];
		uint64_t size = b->size, va = 0;

		if (b->buffer && size == DXGC_WHOLE_SIZE && b->offset <= b->buffer->size)
			size = (b->buffer->size - b->offset) & ~3ull;
		ret = resolve(list, b->buffer, b->offset, &size, &va);
		if (ret < 0 || (b->flags & ~DXGC_BINDING_READ_ONLY) ||
		    (caps->max_binding_size && size > caps->max_binding_size))
			return dxgc_fail(-EINVAL, "DISPATCH: binding %u is outside its buffer, too "
					 "large or has unknown flags", i);
		bindings[i].va = va;
		bindings[i].size = size;
		bindings[i].binding = i;
		bindings[i].flags = b->flags;
	}
	ret = make_room(list, (uint32_t)(sizeof(struct opendxg_cmd_dispatch) +
					 d->binding_count * sizeof(bindings[0]) +
					 ((d->push_constant_size + 7u) & ~7u)));
	if (ret < 0)
		return ret;
	ret = d3dkmt_cmdbuf_dispatch(&list->cb, d->program->allocation,
				     d->entry_point ? d->entry_point : "main", d->groups, bindings,
				     d->binding_count, d->push_constants, d->push_constant_size);
	if (ret == -EINVAL)
		return dxgc_fail(ret, "DISPATCH: refused by the packet format (entry point, group "
				 "count product, push constants)");
	return builder_result(ret);
}

int dxgc_cmd_barrier(struct dxgc_cmdlist *list)
{
	int ret;

	if (!list)
		return -EINVAL;
	ret = make_room(list, sizeof(struct opendxg_cmd_packet));
	return ret < 0 ? ret : builder_result(d3dkmt_cmdbuf_barrier(&list->cb));
}

int dxgc_cmd_timestamp(struct dxgc_cmdlist *list, struct dxgc_buffer *dst, uint64_t offset)
{
	uint64_t size = 8, va;
	int ret;

	if (!list)
		return -EINVAL;
	ret = resolve(list, dst, offset, &size, &va);
	if (ret < 0)
		return dxgc_fail(ret, "TIMESTAMP: outside its buffer");
	ret = make_room(list, sizeof(struct opendxg_cmd_timestamp));
	return ret < 0 ? ret : builder_result(d3dkmt_cmdbuf_timestamp(&list->cb, va));
}
