// SPDX-License-Identifier: MIT
/*
 * libdxgc memory: buffers (allocations with a GPU VA mapping of their own and, host-visible,
 * a CPU mapping), programs, and transfers into and out of device-local buffers.
 */
#include "dxgc_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t page_round(uint64_t size)
{
	return (size + DXGC_PAGE - 1) & ~(DXGC_PAGE - 1);
}

/*
 * Every buffer gets a reservation of its own, so freeing it is one FREEGPUVIRTUALADDRESS and
 * nothing else in the address space moves; its base is page aligned, which also satisfies the
 * 256-byte alignment of bindings.
 */
static int map_gpu_va(struct dxgc_device *dev, struct dxgc_buffer *buf)
{
	struct d3dkmt_gpu_va_reservation reservation;
	struct d3dkmt_gpu_va_mapping mapping;
	uint64_t va = 0, mapped = 0, fence = 0;
	int ret;

	memset(&reservation, 0, sizeof(reservation));
	reservation.size = buf->gpu_va_size;
	ret = d3dkmt_reserve_gpu_va(dev->fd, dev->adapter, &reservation, &va);
	if (ret < 0)
		return dxgc_fail(ret, "RESERVEGPUVIRTUALADDRESS (%llu bytes)",
				 (unsigned long long)buf->gpu_va_size);
	memset(&mapping, 0, sizeof(mapping));
	mapping.allocation = buf->allocation;
	mapping.base_address = va;
	mapping.size_in_pages = buf->gpu_va_size / DXGC_PAGE;
	mapping.protection = D3DDDIGPUVA_PROTECTION_WRITE;
	ret = d3dkmt_map_gpu_va(dev->fd, dev->paging.handle, &mapping, &mapped, &fence);
	if (ret < 0) {
		d3dkmt_free_gpu_va(dev->fd, dev->adapter, va, buf->gpu_va_size);
		return dxgc_fail(ret, "MAPGPUVIRTUALADDRESS");
	}
	/* The mapping is usable once the paging fence says so (STATUS_PENDING or not). */
	ret = dxgc_wait_paging(dev, fence);
	if (ret < 0) {
		d3dkmt_free_gpu_va(dev->fd, dev->adapter, va, buf->gpu_va_size);
		return ret;
	}
	buf->gpu_va = mapped;
	return 0;
}

int dxgc_buffer_create_internal(struct dxgc_device *dev, uint32_t memory, uint64_t size,
				struct dxgc_buffer **out)
{
	struct dxgc_buffer *buf;
	uint32_t kind;
	int ret;

	if (!dev || !out || size == 0 || size > (1ull << 47))
		return -EINVAL;
	if (memory == DXGC_MEMORY_HOST_VISIBLE)
		kind = OPENDXG_ALLOC_KIND_HOST_VISIBLE;
	else if (memory == DXGC_MEMORY_DEVICE_LOCAL)
		kind = OPENDXG_ALLOC_KIND_DEVICE_LOCAL;
	else
		return -EINVAL;
	buf = calloc(1, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	buf->dev = dev;
	buf->memory = memory;
	buf->size = size;
	buf->gpu_va_size = page_round(size);
	ret = d3dkmt_create_allocation(dev->fd, dev->device, kind, size, &buf->allocation);
	if (ret < 0) {
		free(buf);
		return dxgc_fail(ret, "CREATEALLOCATION (%s, %llu bytes)",
				 kind == OPENDXG_ALLOC_KIND_HOST_VISIBLE ? "host-visible" :
				 "device-local", (unsigned long long)size);
	}
	if (memory == DXGC_MEMORY_HOST_VISIBLE) {
		ret = d3dkmt_lock2(dev->fd, dev->device, buf->allocation, &buf->cpu);
		if (ret < 0) {
			dxgc_fail(ret, "LOCK2");
			goto err_destroy;
		}
	}
	ret = map_gpu_va(dev, buf);
	if (ret < 0)
		goto err_destroy;
	dxgc_link_add(dev, &dev->objects_buffers, &buf->link);
	*out = buf;
	return 0;

err_destroy:
	/* Destroying the allocation also drops its lock and CPU mapping. */
	d3dkmt_destroy_allocation(dev->fd, dev->device, buf->allocation);
	free(buf);
	return ret;
}

int dxgc_buffer_create(struct dxgc_device *dev, uint32_t memory, uint64_t size,
		       struct dxgc_buffer **out)
{
	return dxgc_buffer_create_internal(dev, memory, size, out);
}

void dxgc_buffer_release(struct dxgc_buffer *buf)
{
	struct dxgc_device *dev;

	if (!buf)
		return;
	dev = buf->dev;
	dxgc_link_del(dev, &buf->link);
	/*
	 * The reservation belongs to the process's address space on the adapter, which outlives
	 * the device while the process holds the adapter elsewhere: it is freed even on close.
	 * The allocation goes with the device there.
	 */
	d3dkmt_free_gpu_va(dev->fd, dev->adapter, buf->gpu_va, buf->gpu_va_size);
	if (!dev->closing)
		d3dkmt_destroy_allocation(dev->fd, dev->device, buf->allocation);
	free(buf);
}

void dxgc_buffer_destroy(struct dxgc_buffer *buf)
{
	if (!buf)
		return;
	/* Queued work may still name the buffer's VA: let it run first (a lost device is fine). */
	dxgc_finish(buf->dev);
	dxgc_buffer_release(buf);
}

void *dxgc_buffer_map(const struct dxgc_buffer *buf)
{
	return buf->cpu;
}

uint64_t dxgc_buffer_size(const struct dxgc_buffer *buf)
{
	return buf->size;
}

uint64_t dxgc_buffer_gpu_va(const struct dxgc_buffer *buf)
{
	return buf->gpu_va;
}

uint32_t dxgc_buffer_memory(const struct dxgc_buffer *buf)
{
	return buf->memory;
}

struct d3dkmthandle dxgc_buffer_handle(const struct dxgc_buffer *buf)
{
	return buf->allocation;
}

int dxgc_buffer_evict(struct dxgc_buffer *buf)
{
	int ret;

	if (!buf)
		return -EINVAL;
	ret = d3dkmt_evict(buf->dev->fd, buf->dev->device, &buf->allocation, 1, 0, NULL);
	return ret < 0 ? dxgc_fail(ret, "EVICT") : 0;
}

int dxgc_buffer_make_resident(struct dxgc_buffer *buf)
{
	struct dxgc_device *dev;
	uint64_t fence = 0;
	int ret;

	if (!buf)
		return -EINVAL;
	dev = buf->dev;
	ret = d3dkmt_make_resident(dev->fd, dev->paging.handle, &buf->allocation, 1, NULL, 0,
				   &fence, NULL);
	if (ret < 0)
		return dxgc_fail(ret, "MAKERESIDENT");
	/* DXG_STATUS_PENDING: the contents come back later; the paging fence says when. */
	return dxgc_wait_paging(dev, fence);
}

/* ---- transfers ---- */

static int check_range(const struct dxgc_buffer *buf, uint64_t offset, uint64_t size,
		       const void *data)
{
	if (!buf || (size && !data) || offset > buf->size || size > buf->size - offset)
		return -EINVAL;
	return 0;
}

/* Sets up the staging buffer and the transfer list on first use. Called under transfer_lock. */
static int transfer_setup(struct dxgc_device *dev)
{
	int ret;

	if (!dev->staging) {
		ret = dxgc_buffer_create_internal(dev, DXGC_MEMORY_HOST_VISIBLE, DXGC_STAGING_SIZE,
						  &dev->staging);
		if (ret < 0)
			return ret;
	}
	if (!dev->transfer_list) {
		ret = dxgc_cmdlist_create(dev, &dev->transfer_list);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* One COPY between the staging buffer and @buf, submitted and waited for. */
static int transfer_chunk(struct dxgc_device *dev, struct dxgc_buffer *buf, uint64_t offset,
			  uint64_t size, bool upload)
{
	struct dxgc_cmdlist *list = dev->transfer_list;
	uint64_t fence = 0;
	int ret;

	dxgc_cmdlist_reset(list);
	ret = upload ? dxgc_cmd_copy(list, buf, offset, dev->staging, 0, size) :
		       dxgc_cmd_copy(list, dev->staging, 0, buf, offset, size);
	if (ret < 0)
		return ret;
	ret = dxgc_submit(dev, list, &fence);
	if (ret < 0)
		return ret;
	return dxgc_wait(dev, fence);
}

static int transfer(struct dxgc_buffer *buf, uint64_t offset, void *data, uint64_t size,
		    bool upload)
{
	struct dxgc_device *dev;
	unsigned char *bytes = data;
	int ret;

	ret = check_range(buf, offset, size, data);
	if (ret < 0)
		return ret;
	dev = buf->dev;
	/* Work already submitted may read or write the range: it goes first. */
	ret = dxgc_finish(dev);
	if (ret < 0 || size == 0)
		return ret;
	if (buf->memory == DXGC_MEMORY_HOST_VISIBLE) {
		if (upload)
			memcpy((unsigned char *)buf->cpu + offset, bytes, size);
		else
			memcpy(bytes, (unsigned char *)buf->cpu + offset, size);
		return 0;
	}
	pthread_mutex_lock(&dev->transfer_lock);
	ret = transfer_setup(dev);
	while (ret == 0 && size > 0) {
		uint64_t chunk = size < DXGC_STAGING_SIZE ? size : DXGC_STAGING_SIZE;

		if (upload)
			memcpy(dev->staging->cpu, bytes, chunk);
		ret = transfer_chunk(dev, buf, offset, chunk, upload);
		if (ret == 0 && !upload)
			memcpy(bytes, dev->staging->cpu, chunk);
		bytes += chunk;
		offset += chunk;
		size -= chunk;
	}
	pthread_mutex_unlock(&dev->transfer_lock);
	return ret;
}

int dxgc_buffer_upload(struct dxgc_buffer *buf, uint64_t offset, const void *data,
		       uint64_t size)
{
	/* transfer() only reads @data when uploading. */
	return transfer(buf, offset, (void *)(uintptr_t)data, size, true);
}

int dxgc_buffer_download(struct dxgc_buffer *buf, uint64_t offset, void *data, uint64_t size)
{
	return transfer(buf, offset, data, size, false);
}

/* ---- programs ---- */

int dxgc_program_create(struct dxgc_device *dev, const void *spirv, size_t size,
			struct dxgc_program **out)
{
	struct dxgc_program *prog;
	int ret;

	if (!dev || !spirv || !out || size == 0 || (size & 3))
		return -EINVAL;
	prog = calloc(1, sizeof(*prog));
	if (!prog)
		return -ENOMEM;
	prog->dev = dev;
	ret = d3dkmt_create_program(dev->fd, dev->device, spirv, size, &prog->allocation);
	if (ret < 0) {
		free(prog);
		return dxgc_fail(ret, "CREATEALLOCATION (program, %zu bytes of SPIR-V)", size);
	}
	dxgc_link_add(dev, &dev->objects_programs, &prog->link);
	*out = prog;
	return 0;
}

void dxgc_program_release(struct dxgc_program *prog)
{
	struct dxgc_device *dev;

	if (!prog)
		return;
	dev = prog->dev;
	dxgc_link_del(dev, &prog->link);
	if (!dev->closing)
		d3dkmt_destroy_allocation(dev->fd, dev->device, prog->allocation);
	free(prog);
}

void dxgc_program_destroy(struct dxgc_program *prog)
{
	if (!prog)
		return;
	dxgc_finish(prog->dev);
	dxgc_program_release(prog);
}

struct d3dkmthandle dxgc_program_handle(const struct dxgc_program *prog)
{
	return prog->allocation;
}
