// SPDX-License-Identifier: MIT
#include "wire_decode.h"

#include <errno.h>
#include <string.h>

#include <misc/opendxg.h>

/*
 * Every multi-byte field is read with dxg_get_le*() (compat.h), so the decoder neither depends on the
 * alignment of the record buffer nor on the host's byte order.
 */
#define FIELD(type, member) offsetof(type, member)

typedef int (*body_decoder)(const unsigned char *body, uint32_t size, struct dxgw_request *req);

struct opcode_desc {
	uint16_t opcode;
	const char *name;
	bool process_scoped;
	/* Fixed part of the body; variable opcodes check their own total. */
	uint32_t fixed_size;
	bool variable;
	body_decoder decode;
};

static int decode_connect(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	(void)size;
	if (dxg_get_le32(b + FIELD(struct dxgw_connect_req, reserved0)) != 0)
		return -EINVAL;
	req->connect.guest_version = dxg_get_le32(b + FIELD(struct dxgw_connect_req, guest_version));
	req->connect.guest_features = dxg_get_le64(b + FIELD(struct dxgw_connect_req, guest_features));
	return 0;
}

static int decode_create_process(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	const unsigned char *name = b + FIELD(struct dxgw_create_process_req, name);
	bool ended = false;

	(void)size;
	if (dxg_get_le32(b + FIELD(struct dxgw_create_process_req, reserved0)) != 0)
		return -EINVAL;
	/*
	 * NUL padded means exactly that: bytes after the terminator must be zero, so a guest driver
	 * that forgets to clear the buffer is caught instead of leaking its memory into host logs.
	 */
	for (uint32_t i = 0; i < DXGW_PROCESS_NAME_LEN; i++) {
		if (name[i] == 0)
			ended = true;
		else if (ended)
			return -EINVAL;
	}
	req->create_process.pid = dxg_get_le32(b + FIELD(struct dxgw_create_process_req, pid));
	memcpy(req->create_process.name, name, DXGW_PROCESS_NAME_LEN);
	req->create_process.name[DXGW_PROCESS_NAME_LEN] = '\0';
	return 0;
}

static int decode_adapter(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	(void)size;
	if (dxg_get_le32(b + FIELD(struct dxgw_adapter_req, reserved0)) != 0)
		return -EINVAL;
	req->adapter.adapter = dxg_get_le32(b + FIELD(struct dxgw_adapter_req, adapter));
	return 0;
}

static int decode_query_adapter_info(const unsigned char *b, uint32_t size,
				     struct dxgw_request *req)
{
	const uint32_t fixed = sizeof(struct dxgw_query_adapter_info_req);
	uint32_t data_size = dxg_get_le32(b + FIELD(struct dxgw_query_adapter_info_req, data_size));

	if (dxg_get_le32(b + FIELD(struct dxgw_query_adapter_info_req, reserved0)) != 0)
		return -EINVAL;
	if (data_size == 0 || data_size > DXGW_MAX_QAI_DATA)
		return -EINVAL;
	/* Both operands are bounded (size by the caller, data_size above): no overflow. */
	if (size != fixed + data_size)
		return -EINVAL;
	req->query_adapter_info.adapter =
		dxg_get_le32(b + FIELD(struct dxgw_query_adapter_info_req, adapter));
	req->query_adapter_info.type = dxg_get_le32(b + FIELD(struct dxgw_query_adapter_info_req, type));
	req->query_adapter_info.data_size = data_size;
	req->query_adapter_info.data = b + fixed;
	return 0;
}

static int decode_create_device(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	uint32_t flags = dxg_get_le32(b + FIELD(struct dxgw_create_device_req, flags));

	(void)size;
	if (flags & ~DXGW_CREATE_DEVICE_FLAGS_MASK)
		return -EINVAL;
	req->create_device.adapter = dxg_get_le32(b + FIELD(struct dxgw_create_device_req, adapter));
	req->create_device.flags = flags;
	return 0;
}

static int decode_destroy(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	(void)size;
	if (dxg_get_le32(b + FIELD(struct dxgw_destroy_req, reserved0)) != 0)
		return -EINVAL;
	req->destroy.handle = dxg_get_le32(b + FIELD(struct dxgw_destroy_req, handle));
	return 0;
}

static int decode_create_context(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	const uint32_t fixed = sizeof(struct dxgw_create_context_req);
	uint32_t flags = dxg_get_le32(b + FIELD(struct dxgw_create_context_req, flags));
	uint32_t priv_size = dxg_get_le32(b + FIELD(struct dxgw_create_context_req, priv_size));

	if (flags & ~DXGW_CREATE_CONTEXT_FLAGS_MASK)
		return -EINVAL;
	if (priv_size > DXGW_MAX_CONTEXT_PRIV)
		return -EINVAL;
	if (size != fixed + priv_size)
		return -EINVAL;
	req->create_context.device = dxg_get_le32(b + FIELD(struct dxgw_create_context_req, device));
	req->create_context.node_ordinal =
		dxg_get_le32(b + FIELD(struct dxgw_create_context_req, node_ordinal));
	req->create_context.engine_affinity =
		dxg_get_le32(b + FIELD(struct dxgw_create_context_req, engine_affinity));
	req->create_context.flags = flags;
	req->create_context.client_hint =
		dxg_get_le32(b + FIELD(struct dxgw_create_context_req, client_hint));
	req->create_context.priv_size = priv_size;
	req->create_context.priv = priv_size ? b + fixed : NULL;
	return 0;
}

/* ---- 0x04xx memory ---- */

#define GET32(type, member) dxg_get_le32(b + FIELD(type, member))
#define GET64(type, member) dxg_get_le64(b + FIELD(type, member))

/* Padding after `used` bytes up to `padded` must be zero: nothing unchecked rides along. */
static bool padding_zero(const unsigned char *p, uint32_t used, uint32_t padded)
{
	for (uint32_t i = used; i < padded; i++) {
		if (p[i])
			return false;
	}
	return true;
}

/* A u32 list of `count` entries at `list`, zero padded to 8 bytes. */
static bool list_ok(const unsigned char *list, uint32_t count)
{
	return padding_zero(list, count * 4u, dxgw_list_bytes(count));
}

/*
 * KMD private data the guest translated into one descriptor: the opendxg_alloc_priv header, plus
 * the SPIR-V words for a program. WSL bounds runtime + KMD data by DXGW_MAX_ALLOC_PRIV.
 */
static uint64_t kmd_priv_size(uint32_t code_size)
{
	return sizeof(struct opendxg_alloc_priv) + (uint64_t)code_size;
}

void dxgw_get_alloc_desc(const struct dxgw_request *req, uint32_t i, struct dxgw_alloc_info *out)
{
	const unsigned char *b = req->create_allocation.descs + (size_t)i *
				 sizeof(struct dxgw_alloc_desc);

	out->kind = GET32(struct dxgw_alloc_desc, kind);
	out->flags = GET32(struct dxgw_alloc_desc, flags);
	out->size = GET64(struct dxgw_alloc_desc, size);
	out->priority = GET32(struct dxgw_alloc_desc, priority);
	out->code_size = GET32(struct dxgw_alloc_desc, code_size);
}

static bool alloc_desc_valid(const struct dxgw_alloc_info *d)
{
	if (d->flags != 0 || d->size == 0)
		return false;
	switch (d->kind) {
	case OPENDXG_ALLOC_KIND_HOST_VISIBLE:
	case OPENDXG_ALLOC_KIND_DEVICE_LOCAL:
		return d->code_size == 0;
	case OPENDXG_ALLOC_KIND_PROGRAM:
		/* The smallest SPIR-V module is its 5-word header. */
		return d->code_size >= 20 && d->code_size % 4 == 0 && d->size == d->code_size;
	default:
		return false;
	}
}

static int decode_create_allocation(const unsigned char *b, uint32_t size,
				    struct dxgw_request *req)
{
	const uint32_t fixed = sizeof(struct dxgw_create_allocation_req);
	uint32_t flags = GET32(struct dxgw_create_allocation_req, flags);
	uint32_t count = GET32(struct dxgw_create_allocation_req, alloc_count);
	uint32_t runtime = GET32(struct dxgw_create_allocation_req, runtime_data_size);
	uint32_t resource = GET32(struct dxgw_create_allocation_req, resource);
	const uint32_t shared_needs = D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE |
				      D3DKMT_CREATEALLOCATION_FLAG_NT_SECURITY_SHARING;
	uint64_t priv_total, offset, code_offset;

	if (GET32(struct dxgw_create_allocation_req, reserved0) != 0)
		return -EINVAL;
	if (flags & ~DXGW_CREATE_ALLOCATION_FLAGS)
		return -EINVAL;
	if ((flags & D3DKMT_CREATEALLOCATION_FLAG_CREATE_SHARED) &&
	    (flags & shared_needs) != shared_needs)
		return -EINVAL;
	if (count == 0 || count > DXGW_MAX_ALLOCATIONS)
		return -EINVAL;
	/* A new resource has no handle yet; runtime data belongs to a new resource only. */
	if (flags & D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE) {
		if (resource != 0)
			return -EINVAL;
	} else if (runtime != 0) {
		return -EINVAL;
	}
	if (runtime > DXGW_MAX_ALLOC_PRIV)
		return -EINVAL;

	/* Every bound below is small (counts and sizes checked first): u64 sums cannot wrap. */
	offset = fixed + (uint64_t)dxgw_pad8(runtime);
	if (offset + (uint64_t)count * sizeof(struct dxgw_alloc_desc) > size)
		return -EINVAL;
	if (!padding_zero(b + fixed, runtime, dxgw_pad8(runtime)))
		return -EINVAL;
	req->create_allocation.device = GET32(struct dxgw_create_allocation_req, device);
	req->create_allocation.resource = resource;
	req->create_allocation.flags = flags;
	req->create_allocation.alloc_count = count;
	req->create_allocation.runtime_data_size = runtime;
	req->create_allocation.runtime_data = runtime ? b + fixed : NULL;
	req->create_allocation.descs = b + offset;

	priv_total = runtime;
	code_offset = offset + (uint64_t)count * sizeof(struct dxgw_alloc_desc);
	req->create_allocation.code = NULL;
	for (uint32_t i = 0; i < count; i++) {
		struct dxgw_alloc_info d;

		dxgw_get_alloc_desc(req, i, &d);
		if (!alloc_desc_valid(&d))
			return -EINVAL;
		priv_total += kmd_priv_size(d.code_size);
		if (priv_total > DXGW_MAX_ALLOC_PRIV)
			return -EINVAL;
		if (d.code_size) {
			if (code_offset + dxgw_pad8(d.code_size) > size)
				return -EINVAL;
			if (!padding_zero(b + code_offset, d.code_size, dxgw_pad8(d.code_size)))
				return -EINVAL;
			if (!req->create_allocation.code)
				req->create_allocation.code = b + code_offset;
			code_offset += dxgw_pad8(d.code_size);
		}
	}
	if (code_offset != size)
		return -EINVAL;
	return 0;
}

/* A list of `count` u32 entries (maybe 0) must follow the fixed part exactly. */
static int take_list(const unsigned char *b, uint32_t size, uint32_t fixed, uint32_t count,
		     const unsigned char **list)
{
	if (size != fixed + dxgw_list_bytes(count) || !list_ok(b + fixed, count))
		return -EINVAL;
	*list = count ? b + fixed : NULL;
	return 0;
}

static int decode_destroy_allocation(const unsigned char *b, uint32_t size,
				     struct dxgw_request *req)
{
	uint32_t resource = GET32(struct dxgw_destroy_allocation_req, resource);
	uint32_t count = GET32(struct dxgw_destroy_allocation_req, alloc_count);
	uint32_t flags = GET32(struct dxgw_destroy_allocation_req, flags);

	if (flags & ~DXGW_DESTROY_ALLOCATION_FLAGS_MASK)
		return -EINVAL;
	/* Exactly one of: a resource, or a list of standalone allocations. */
	if ((resource != 0) != (count == 0) || count > DXGW_MAX_ALLOCATIONS)
		return -EINVAL;
	req->destroy_allocation.device = GET32(struct dxgw_destroy_allocation_req, device);
	req->destroy_allocation.resource = resource;
	req->destroy_allocation.count = count;
	req->destroy_allocation.flags = flags;
	return take_list(b, size, sizeof(struct dxgw_destroy_allocation_req), count,
			 &req->destroy_allocation.handles);
}

static int decode_lock(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	(void)size;
	if (GET32(struct dxgw_lock_req, flags) != 0 || GET32(struct dxgw_lock_req, reserved0) != 0)
		return -EINVAL;
	req->lock.device = GET32(struct dxgw_lock_req, device);
	req->lock.allocation = GET32(struct dxgw_lock_req, allocation);
	return 0;
}

static int decode_video_memory(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	uint32_t group = GET32(struct dxgw_video_memory_req, segment_group);
	uint64_t reservation = GET64(struct dxgw_video_memory_req, reservation);

	(void)size;
	if (group != D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL &&
	    group != D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL)
		return -EINVAL;
	/* The query has no input besides the group: its reservation word is reserved. */
	if (req->opcode == DXGW_OP_QUERY_VIDEO_MEMORY && reservation != 0)
		return -EINVAL;
	req->video_memory.adapter = GET32(struct dxgw_video_memory_req, adapter);
	req->video_memory.segment_group = group;
	req->video_memory.reservation = reservation;
	return 0;
}

static int decode_alloc_list(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	const uint32_t fixed = sizeof(struct dxgw_alloc_list_req);
	uint32_t resource = GET32(struct dxgw_alloc_list_req, resource);
	uint32_t count = GET32(struct dxgw_alloc_list_req, count);
	uint32_t values, list_end;

	if (GET32(struct dxgw_alloc_list_req, reserved0) != 0)
		return -EINVAL;
	if ((resource != 0) != (count == 0) || count > DXGW_MAX_RESIDENCY_HANDLES)
		return -EINVAL;
	req->alloc_list.device = GET32(struct dxgw_alloc_list_req, device);
	req->alloc_list.resource = resource;
	req->alloc_list.count = count;
	list_end = fixed + dxgw_list_bytes(count);
	values = req->opcode == DXGW_OP_SET_PRIORITY ? (count ? count : 1) : 0;
	if (size != list_end + dxgw_list_bytes(values) || !list_ok(b + fixed, count) ||
	    !list_ok(b + list_end, values))
		return -EINVAL;
	req->alloc_list.handles = count ? b + fixed : NULL;
	req->alloc_list.values = values ? b + list_end : NULL;
	return 0;
}

static int decode_offer(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	uint32_t count = GET32(struct dxgw_offer_req, count);
	uint32_t priority = GET32(struct dxgw_offer_req, priority);
	uint32_t flags = GET32(struct dxgw_offer_req, flags);
	uint32_t resources = GET32(struct dxgw_offer_req, resources);

	if (GET32(struct dxgw_offer_req, reserved0) != 0 || resources > 1)
		return -EINVAL;
	if (count == 0 || count > DXGW_MAX_RESIDENCY_HANDLES)
		return -EINVAL;
	if (priority < D3DKMT_OFFER_PRIORITY_LOW || priority > D3DKMT_OFFER_PRIORITY_AUTO)
		return -EINVAL;
	if (flags & ~DXGW_OFFER_FLAGS_MASK)
		return -EINVAL;
	req->offer.device = GET32(struct dxgw_offer_req, device);
	req->offer.count = count;
	req->offer.priority = priority;
	req->offer.flags = flags;
	req->offer.resources = resources != 0;
	return take_list(b, size, sizeof(struct dxgw_offer_req), count, &req->offer.handles);
}

static int decode_reclaim(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	uint32_t count = GET32(struct dxgw_reclaim_req, count);
	uint32_t resources = GET32(struct dxgw_reclaim_req, resources);

	if (GET32(struct dxgw_reclaim_req, reserved0) != 0 || resources > 1)
		return -EINVAL;
	if (count == 0 || count > DXGW_MAX_RESIDENCY_HANDLES)
		return -EINVAL;
	req->reclaim.paging_queue = GET32(struct dxgw_reclaim_req, paging_queue);
	req->reclaim.count = count;
	req->reclaim.resources = resources != 0;
	return take_list(b, size, sizeof(struct dxgw_reclaim_req), count, &req->reclaim.handles);
}

static int decode_update_alloc_property(const unsigned char *b, uint32_t size,
					struct dxgw_request *req)
{
	uint32_t mask = GET32(struct dxgw_update_alloc_property_req, property_mask);
	uint32_t flags = GET32(struct dxgw_update_alloc_property_req, flags);
	uint32_t set = GET32(struct dxgw_update_alloc_property_req, supported_segment_set);
	uint32_t preferred = GET32(struct dxgw_update_alloc_property_req, preferred_segment);

	(void)size;
	if (mask == 0 || (mask & ~DXGW_UPDATE_ALLOC_PROPERTY_SET_MASK))
		return -EINVAL;
	if (flags & ~DXGW_UPDATE_ALLOC_PROPERTY_FLAGS_MASK)
		return -EINVAL;
	if (set & ~DXGW_SEGMENT_SET_MASK)
		return -EINVAL;
	/* 0: no preference; otherwise one of the two segment ids. */
	if (preferred > DXGW_SEGMENT_HOST_VISIBLE)
		return -EINVAL;
	req->update_alloc_property.paging_queue =
		GET32(struct dxgw_update_alloc_property_req, paging_queue);
	req->update_alloc_property.allocation =
		GET32(struct dxgw_update_alloc_property_req, allocation);
	req->update_alloc_property.supported_segment_set = set;
	req->update_alloc_property.preferred_segment = preferred;
	req->update_alloc_property.flags = flags;
	req->update_alloc_property.property_mask = mask;
	return 0;
}

static int decode_create_paging_queue(const unsigned char *b, uint32_t size,
				      struct dxgw_request *req)
{
	int32_t priority = (int32_t)GET32(struct dxgw_create_paging_queue_req, priority);

	(void)size;
	if (priority < D3DDDI_PAGINGQUEUE_PRIORITY_BELOW_NORMAL ||
	    priority > D3DDDI_PAGINGQUEUE_PRIORITY_ABOVE_NORMAL)
		return -EINVAL;
	req->create_paging_queue.device = GET32(struct dxgw_create_paging_queue_req, device);
	req->create_paging_queue.priority = priority;
	return 0;
}

static int decode_make_resident(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	const uint32_t fixed = sizeof(struct dxgw_make_resident_req);
	uint32_t count = GET32(struct dxgw_make_resident_req, count);
	uint32_t flags = GET32(struct dxgw_make_resident_req, flags);
	uint32_t has_priorities = GET32(struct dxgw_make_resident_req, has_priorities);
	uint32_t list_end, values;

	if (count == 0 || count > DXGW_MAX_RESIDENCY_HANDLES || has_priorities > 1)
		return -EINVAL;
	if (flags & ~DXGW_MAKE_RESIDENT_FLAGS_MASK)
		return -EINVAL;
	list_end = fixed + dxgw_list_bytes(count);
	values = has_priorities ? count : 0;
	if (size != list_end + dxgw_list_bytes(values) || !list_ok(b + fixed, count) ||
	    !list_ok(b + list_end, values))
		return -EINVAL;
	req->make_resident.paging_queue = GET32(struct dxgw_make_resident_req, paging_queue);
	req->make_resident.count = count;
	req->make_resident.flags = flags;
	req->make_resident.handles = b + fixed;
	req->make_resident.priorities = values ? b + list_end : NULL;
	return 0;
}

static int decode_evict(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	uint32_t count = GET32(struct dxgw_evict_req, count);
	uint32_t flags = GET32(struct dxgw_evict_req, flags);

	if (GET32(struct dxgw_evict_req, reserved0) != 0)
		return -EINVAL;
	if (count == 0 || count > DXGW_MAX_RESIDENCY_HANDLES || (flags & ~DXGW_EVICT_FLAGS_MASK))
		return -EINVAL;
	req->evict.device = GET32(struct dxgw_evict_req, device);
	req->evict.count = count;
	req->evict.flags = flags;
	return take_list(b, size, sizeof(struct dxgw_evict_req), count, &req->evict.handles);
}

static int decode_reserve_gpu_va(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	uint32_t type = GET32(struct dxgw_reserve_gpu_va_req, reservation_type);

	(void)size;
	if (GET32(struct dxgw_reserve_gpu_va_req, reserved0) != 0)
		return -EINVAL;
	if (type > D3DDDIGPUVA_RESERVE_NO_COMMIT)
		return -EINVAL;
	req->reserve_gpu_va.adapter = GET32(struct dxgw_reserve_gpu_va_req, adapter);
	req->reserve_gpu_va.paging_queue = GET32(struct dxgw_reserve_gpu_va_req, paging_queue);
	/* Naming neither an adapter nor a queue names no address space. */
	if (!req->reserve_gpu_va.adapter && !req->reserve_gpu_va.paging_queue)
		return -EINVAL;
	req->reserve_gpu_va.base_address = GET64(struct dxgw_reserve_gpu_va_req, base_address);
	req->reserve_gpu_va.minimum_address =
		GET64(struct dxgw_reserve_gpu_va_req, minimum_address);
	req->reserve_gpu_va.maximum_address =
		GET64(struct dxgw_reserve_gpu_va_req, maximum_address);
	req->reserve_gpu_va.size = GET64(struct dxgw_reserve_gpu_va_req, size);
	req->reserve_gpu_va.reservation_type = type;
	req->reserve_gpu_va.driver_protection =
		GET64(struct dxgw_reserve_gpu_va_req, driver_protection);
	return 0;
}

static int decode_map_gpu_va(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	uint64_t protection = GET64(struct dxgw_map_gpu_va_req, protection);

	(void)size;
	if (protection & ~DXGW_GPUVA_PROTECTION_MASK)
		return -EINVAL;
	req->map_gpu_va.paging_queue = GET32(struct dxgw_map_gpu_va_req, paging_queue);
	req->map_gpu_va.allocation = GET32(struct dxgw_map_gpu_va_req, allocation);
	req->map_gpu_va.base_address = GET64(struct dxgw_map_gpu_va_req, base_address);
	req->map_gpu_va.minimum_address = GET64(struct dxgw_map_gpu_va_req, minimum_address);
	req->map_gpu_va.maximum_address = GET64(struct dxgw_map_gpu_va_req, maximum_address);
	req->map_gpu_va.offset_in_pages = GET64(struct dxgw_map_gpu_va_req, offset_in_pages);
	req->map_gpu_va.size_in_pages = GET64(struct dxgw_map_gpu_va_req, size_in_pages);
	req->map_gpu_va.protection = protection;
	req->map_gpu_va.driver_protection = GET64(struct dxgw_map_gpu_va_req, driver_protection);
	return 0;
}

static int decode_free_gpu_va(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	(void)size;
	if (GET32(struct dxgw_free_gpu_va_req, reserved0) != 0)
		return -EINVAL;
	req->free_gpu_va.adapter = GET32(struct dxgw_free_gpu_va_req, adapter);
	req->free_gpu_va.base_address = GET64(struct dxgw_free_gpu_va_req, base_address);
	req->free_gpu_va.size = GET64(struct dxgw_free_gpu_va_req, size);
	return 0;
}

void dxgw_get_gpu_va_op(const struct dxgw_request *req, uint32_t i,
			struct dxgw_gpu_va_op_info *out)
{
	const unsigned char *b = req->update_gpu_va.ops + (size_t)i * sizeof(struct dxgw_gpu_va_op);

	out->operation = GET32(struct dxgw_gpu_va_op, operation);
	out->base_address = GET64(struct dxgw_gpu_va_op, base_address);
	out->size = GET64(struct dxgw_gpu_va_op, size);
	out->dest_address = GET64(struct dxgw_gpu_va_op, dest_address);
	out->allocation = GET32(struct dxgw_gpu_va_op, allocation);
	out->allocation_offset = GET64(struct dxgw_gpu_va_op, allocation_offset);
	out->protection = GET64(struct dxgw_gpu_va_op, protection);
	out->driver_protection = GET64(struct dxgw_gpu_va_op, driver_protection);
}

/* Fields an operation does not use are reserved for it: MBZ (wire.h). */
static bool gpu_va_op_valid(const unsigned char *b)
{
	uint32_t op = GET32(struct dxgw_gpu_va_op, operation);
	bool maps = op == D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP ||
		    op == D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP_PROTECT;
	uint64_t protection = GET64(struct dxgw_gpu_va_op, protection);

	if (op > D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP_PROTECT)
		return false;
	if (GET32(struct dxgw_gpu_va_op, reserved0) || GET32(struct dxgw_gpu_va_op, reserved1))
		return false;
	if (op != D3DDDI_UPDATEGPUVIRTUALADDRESS_COPY && GET64(struct dxgw_gpu_va_op, dest_address))
		return false;
	if (!maps && (GET32(struct dxgw_gpu_va_op, allocation) ||
		      GET64(struct dxgw_gpu_va_op, allocation_offset)))
		return false;
	if (op != D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP_PROTECT &&
	    op != D3DDDI_UPDATEGPUVIRTUALADDRESS_UNMAP && protection)
		return false;
	if (protection & ~DXGW_GPUVA_PROTECTION_MASK)
		return false;
	if (op != D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP_PROTECT &&
	    GET64(struct dxgw_gpu_va_op, driver_protection))
		return false;
	return true;
}

static int decode_update_gpu_va(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	const uint32_t fixed = sizeof(struct dxgw_update_gpu_va_req);
	uint32_t n = GET32(struct dxgw_update_gpu_va_req, num_operations);
	uint32_t flags = GET32(struct dxgw_update_gpu_va_req, flags);

	if (GET32(struct dxgw_update_gpu_va_req, reserved0) != 0)
		return -EINVAL;
	if (n == 0 || n > DXGW_MAX_GPUVA_OPS || (flags & ~DXGW_UPDATE_GPU_VA_FLAGS_MASK))
		return -EINVAL;
	if (size != fixed + n * sizeof(struct dxgw_gpu_va_op))
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++) {
		if (!gpu_va_op_valid(b + fixed + (size_t)i * sizeof(struct dxgw_gpu_va_op)))
			return -EINVAL;
	}
	req->update_gpu_va.device = GET32(struct dxgw_update_gpu_va_req, device);
	req->update_gpu_va.context = GET32(struct dxgw_update_gpu_va_req, context);
	req->update_gpu_va.fence_object = GET32(struct dxgw_update_gpu_va_req, fence_object);
	req->update_gpu_va.num_operations = n;
	req->update_gpu_va.fence_value = GET64(struct dxgw_update_gpu_va_req, fence_value);
	req->update_gpu_va.flags = flags;
	req->update_gpu_va.ops = b + fixed;
	return 0;
}

/* ---- 0x05xx synchronization objects ---- */

static int decode_create_sync_object(const unsigned char *b, uint32_t size,
				     struct dxgw_request *req)
{
	uint32_t type = GET32(struct dxgw_create_sync_object_req, type);
	uint32_t flags = GET32(struct dxgw_create_sync_object_req, flags);
	uint64_t value0 = GET64(struct dxgw_create_sync_object_req, value0);
	uint64_t value1 = GET64(struct dxgw_create_sync_object_req, value1);
	bool ok;

	(void)size;
	if (GET32(struct dxgw_create_sync_object_req, reserved0) != 0)
		return -EINVAL;
	if (flags & ~DXGW_SYNC_OBJECT_FLAGS)
		return -EINVAL;
	/* A share is always an NT-handle share (a descriptor): WSL's rule. */
	if ((flags & D3DDDI_SYNCOBJ_FLAG_SHARED) &&
	    !(flags & D3DDDI_SYNCOBJ_FLAG_NT_SECURITY_SHARING))
		return -EINVAL;
	/* Values a type does not use are MBZ. */
	switch (type) {
	case D3DDDI_SYNCHRONIZATION_MUTEX:
		ok = value0 <= 1 && value1 == 0;
		break;
	case D3DDDI_SEMAPHORE:
		ok = value0 >= 1 && value0 <= INT32_MAX && value1 <= value0;
		break;
	case D3DDDI_FENCE:
	case D3DDDI_MONITORED_FENCE:
		ok = value1 == 0;
		break;
	case D3DDDI_CPU_NOTIFICATION:
		ok = value0 == 0 && value1 == 0;
		break;
	default:	/* PERIODIC_MONITORED_FENCE needs a display; the rest do not exist */
		ok = false;
		break;
	}
	if (!ok)
		return -EINVAL;
	req->create_sync_object.device = GET32(struct dxgw_create_sync_object_req, device);
	req->create_sync_object.type = type;
	req->create_sync_object.flags = flags;
	req->create_sync_object.value0 = value0;
	req->create_sync_object.value1 = value1;
	return 0;
}

/*
 * A handle list of `count` entries at `offset`, then `values` u64 values: the body must end
 * exactly there. Returns the list end (where the values start), or 0 when the body does not fit.
 */
static uint32_t list_then_values(const unsigned char *b, uint32_t size, uint32_t offset,
				 uint32_t count, uint32_t values)
{
	uint32_t end = offset + dxgw_list_bytes(count);

	/* count and values are bounded by DXGW_MAX_QUEUES/_SYNC_OBJECTS: no overflow. */
	if (size != end + values * 8u || !list_ok(b + offset, count))
		return 0;
	return end;
}

static int decode_signal_from_cpu(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	const uint32_t fixed = sizeof(struct dxgw_signal_from_cpu_req);
	uint32_t count = GET32(struct dxgw_signal_from_cpu_req, count);
	uint32_t flags = GET32(struct dxgw_signal_from_cpu_req, flags);
	uint32_t end;

	if (GET32(struct dxgw_signal_from_cpu_req, reserved0) != 0)
		return -EINVAL;
	if (count == 0 || count > DXGW_MAX_SYNC_OBJECTS ||
	    (flags & ~DXGW_SIGNAL_FROM_CPU_FLAGS_MASK))
		return -EINVAL;
	end = list_then_values(b, size, fixed, count, count);
	if (!end)
		return -EINVAL;
	req->signal_from_cpu.device = GET32(struct dxgw_signal_from_cpu_req, device);
	req->signal_from_cpu.count = count;
	req->signal_from_cpu.flags = flags;
	req->signal_from_cpu.handles = b + fixed;
	req->signal_from_cpu.values = b + end;
	return 0;
}

static int decode_get_fence_slots(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	uint32_t count = GET32(struct dxgw_get_fence_slots_req, count);

	if (count == 0 || count > DXGW_MAX_SYNC_OBJECTS)
		return -EINVAL;
	req->get_fence_slots.device = GET32(struct dxgw_get_fence_slots_req, device);
	req->get_fence_slots.count = count;
	return take_list(b, size, sizeof(struct dxgw_get_fence_slots_req), count,
			 &req->get_fence_slots.handles);
}

static int decode_signal_on_queue(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	const uint32_t fixed = sizeof(struct dxgw_signal_on_queue_req);
	uint32_t queues = GET32(struct dxgw_signal_on_queue_req, queue_count);
	uint32_t objects = GET32(struct dxgw_signal_on_queue_req, object_count);
	uint32_t flags = GET32(struct dxgw_signal_on_queue_req, flags);
	uint32_t objects_at, values_at;

	if (GET32(struct dxgw_signal_on_queue_req, reserved0) != 0)
		return -EINVAL;
	if (queues == 0 || queues > DXGW_MAX_QUEUES || objects == 0 ||
	    objects > DXGW_MAX_SYNC_OBJECTS || (flags & ~DXGW_SIGNAL_ON_QUEUE_FLAGS_MASK))
		return -EINVAL;
	objects_at = fixed + dxgw_list_bytes(queues);
	if (size < objects_at || !list_ok(b + fixed, queues))
		return -EINVAL;
	values_at = list_then_values(b, size, objects_at, objects, objects);
	if (!values_at)
		return -EINVAL;
	req->signal_on_queue.queue_count = queues;
	req->signal_on_queue.object_count = objects;
	req->signal_on_queue.flags = flags;
	req->signal_on_queue.queues = b + fixed;
	req->signal_on_queue.objects = b + objects_at;
	req->signal_on_queue.values = b + values_at;
	return 0;
}

static int decode_wait_on_queue(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	const uint32_t fixed = sizeof(struct dxgw_wait_on_queue_req);
	uint32_t objects = GET32(struct dxgw_wait_on_queue_req, object_count);
	uint32_t end;

	if (objects == 0 || objects > DXGW_MAX_SYNC_OBJECTS)
		return -EINVAL;
	end = list_then_values(b, size, fixed, objects, objects);
	if (!end)
		return -EINVAL;
	req->wait_on_queue.queue = GET32(struct dxgw_wait_on_queue_req, queue);
	req->wait_on_queue.object_count = objects;
	req->wait_on_queue.objects = b + fixed;
	req->wait_on_queue.values = b + end;
	return 0;
}

/* ---- 0x06xx execution ---- */

static int decode_create_hw_queue(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	const uint32_t fixed = sizeof(struct dxgw_create_hw_queue_req);
	uint32_t flags = GET32(struct dxgw_create_hw_queue_req, flags);
	uint32_t priv_size = GET32(struct dxgw_create_hw_queue_req, priv_size);

	if (GET32(struct dxgw_create_hw_queue_req, reserved0) != 0)
		return -EINVAL;
	if ((flags & ~DXGW_CREATE_HW_QUEUE_FLAGS_MASK) || priv_size > DXGW_MAX_HWQUEUE_PRIV)
		return -EINVAL;
	if (size != fixed + priv_size)
		return -EINVAL;
	req->create_hw_queue.context = GET32(struct dxgw_create_hw_queue_req, context);
	req->create_hw_queue.flags = flags;
	req->create_hw_queue.priv_size = priv_size;
	req->create_hw_queue.priv = priv_size ? b + fixed : NULL;
	return 0;
}

static int decode_submit(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	uint32_t flags = GET32(struct dxgw_submit_req, flags);
	uint32_t length = GET32(struct dxgw_submit_req, length);
	uint64_t va = GET64(struct dxgw_submit_req, command_buffer);

	(void)size;
	if (GET32(struct dxgw_submit_req, reserved0) != 0)
		return -EINVAL;
	if (flags & ~DXGW_SUBMIT_FLAGS_MASK)
		return -EINVAL;
	/* 0 is never a GPU VA (wire.h). */
	if (length < OPENDXG_CMD_HEADER_SIZE || length > OPENDXG_CMD_MAX_SIZE || va == 0)
		return -EINVAL;
	req->submit.queue = GET32(struct dxgw_submit_req, queue);
	req->submit.flags = flags;
	req->submit.command_buffer = va;
	req->submit.length = length;
	req->submit.progress_fence_value = GET64(struct dxgw_submit_req, progress_fence_value);
	return 0;
}

static int decode_scheduling_priority(const unsigned char *b, uint32_t size,
				      struct dxgw_request *req)
{
	int32_t priority = (int32_t)GET32(struct dxgw_scheduling_priority_req, priority);
	uint32_t in_process = GET32(struct dxgw_scheduling_priority_req, in_process);

	(void)size;
	if (GET32(struct dxgw_scheduling_priority_req, reserved0) != 0 || in_process > 1)
		return -EINVAL;
	/* GET reads the priority: the request's is MBZ. */
	if (req->opcode == DXGW_OP_GET_SCHEDULING_PRIORITY ? priority != 0 :
	    priority < DXGW_PRIORITY_MIN || priority > DXGW_PRIORITY_MAX)
		return -EINVAL;
	req->scheduling_priority.context = GET32(struct dxgw_scheduling_priority_req, context);
	req->scheduling_priority.priority = priority;
	req->scheduling_priority.in_process = in_process;
	return 0;
}

static int decode_get_device_state(const unsigned char *b, uint32_t size,
				   struct dxgw_request *req)
{
	uint32_t type = GET32(struct dxgw_get_device_state_req, state_type);

	(void)size;
	if (type != D3DKMT_DEVICESTATE_EXECUTION && type != D3DKMT_DEVICESTATE_PAGE_FAULT)
		return -EINVAL;
	req->get_device_state.device = GET32(struct dxgw_get_device_state_req, device);
	req->get_device_state.state_type = type;
	return 0;
}

static int decode_mark_device_error(const unsigned char *b, uint32_t size,
				    struct dxgw_request *req)
{
	uint32_t reason = GET32(struct dxgw_mark_device_error_req, reason);

	(void)size;
	if (reason != D3DKMT_DEVICE_ERROR_REASON_GENERIC &&
	    reason != D3DKMT_DEVICE_ERROR_REASON_DRIVER_ERROR)
		return -EINVAL;
	req->mark_device_error.device = GET32(struct dxgw_mark_device_error_req, device);
	req->mark_device_error.reason = reason;
	return 0;
}

static int decode_clock_calibration(const unsigned char *b, uint32_t size,
				    struct dxgw_request *req)
{
	(void)size;
	/* opendxg adapters have one node. */
	if (GET32(struct dxgw_clock_calibration_req, node_ordinal) != 0)
		return -EINVAL;
	req->clock_calibration.adapter = GET32(struct dxgw_clock_calibration_req, adapter);
	return 0;
}

static int decode_escape(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	const uint32_t fixed = sizeof(struct dxgw_escape_req);
	uint32_t type = GET32(struct dxgw_escape_req, type);
	uint32_t flags = GET32(struct dxgw_escape_req, flags);
	uint32_t priv_size = GET32(struct dxgw_escape_req, priv_size);
	const unsigned char *priv = b + fixed;

	if (type != D3DKMT_ESCAPE_DRIVERPRIVATE || (flags & ~DXGW_ESCAPE_FLAGS_MASK))
		return -EINVAL;
	if (priv_size < sizeof(struct opendxg_escape_header) || priv_size > DXGW_MAX_ESCAPE_DATA ||
	    size != fixed + priv_size)
		return -EINVAL;
	/* The escape header's size is the whole escape data: it must say what the message says. */
	if (dxg_get_le32(priv + offsetof(struct opendxg_escape_header, size)) != priv_size)
		return -EINVAL;
	req->escape.adapter = GET32(struct dxgw_escape_req, adapter);
	req->escape.device = GET32(struct dxgw_escape_req, device);
	req->escape.context = GET32(struct dxgw_escape_req, context);
	req->escape.type = type;
	req->escape.flags = flags;
	req->escape.priv_size = priv_size;
	req->escape.priv = priv;
	req->escape.code = dxg_get_le32(priv + offsetof(struct opendxg_escape_header, code));
	return 0;
}

/* ---- 0x07xx sharing ---- */

static int decode_share_object(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	uint32_t flags = GET32(struct dxgw_share_object_req, flags);

	(void)size;
	if (flags & ~DXGW_SHARE_FLAGS)
		return -EINVAL;
	req->share_object.object = GET32(struct dxgw_share_object_req, object);
	req->share_object.flags = flags;
	return 0;
}

static int decode_close_share(const unsigned char *b, uint32_t size, struct dxgw_request *req)
{
	(void)size;
	req->close_share.share_id = GET64(struct dxgw_close_share_req, share_id);
	return req->close_share.share_id ? 0 : -EINVAL;
}

static int decode_open_shared_sync_object(const unsigned char *b, uint32_t size,
					  struct dxgw_request *req)
{
	uint32_t access = GET32(struct dxgw_open_shared_sync_object_req, access);
	uint64_t id = GET64(struct dxgw_open_shared_sync_object_req, share_id);

	(void)size;
	if (!access || (access & ~DXGW_ACCESS_SYNC_ALL) || !id)
		return -EINVAL;
	req->open_shared_sync_object.device =
		GET32(struct dxgw_open_shared_sync_object_req, device);
	req->open_shared_sync_object.access = access;
	req->open_shared_sync_object.share_id = id;
	return 0;
}

static int decode_query_shared_resource(const unsigned char *b, uint32_t size,
					struct dxgw_request *req)
{
	uint64_t id = GET64(struct dxgw_query_shared_resource_req, share_id);

	(void)size;
	if (GET32(struct dxgw_query_shared_resource_req, reserved0) != 0 || !id)
		return -EINVAL;
	req->query_shared_resource.device = GET32(struct dxgw_query_shared_resource_req, device);
	req->query_shared_resource.share_id = id;
	return 0;
}

static int decode_open_shared_resource(const unsigned char *b, uint32_t size,
				       struct dxgw_request *req)
{
	uint32_t access = GET32(struct dxgw_open_shared_resource_req, access);
	uint32_t count = GET32(struct dxgw_open_shared_resource_req, allocation_count);
	uint64_t id = GET64(struct dxgw_open_shared_resource_req, share_id);

	(void)size;
	if (GET32(struct dxgw_open_shared_resource_req, reserved0) != 0 || !id)
		return -EINVAL;
	/* Access without READ is decoded: it is -EACCES, the host's answer, not a malformed body. */
	if ((access & ~DXGW_ACCESS_RESOURCE_ALL) || count == 0 || count > DXGW_MAX_ALLOCATIONS)
		return -EINVAL;
	req->open_shared_resource.device = GET32(struct dxgw_open_shared_resource_req, device);
	req->open_shared_resource.access = access;
	req->open_shared_resource.share_id = id;
	req->open_shared_resource.allocation_count = count;
	return 0;
}

static int decode_wait_share_on_queue(const unsigned char *b, uint32_t size,
				      struct dxgw_request *req)
{
	uint64_t id = GET64(struct dxgw_wait_share_on_queue_req, share_id);

	(void)size;
	if (GET32(struct dxgw_wait_share_on_queue_req, reserved0) != 0 || !id)
		return -EINVAL;
	req->wait_share_on_queue.queue = GET32(struct dxgw_wait_share_on_queue_req, queue);
	req->wait_share_on_queue.share_id = id;
	req->wait_share_on_queue.value = GET64(struct dxgw_wait_share_on_queue_req, value);
	return 0;
}

/* ---- 0x08xx statistics and queries ---- */

static int decode_query_statistics(const unsigned char *b, uint32_t size,
				   struct dxgw_request *req)
{
	(void)size;
	if (GET32(struct dxgw_query_statistics_req, reserved0) != 0)
		return -EINVAL;
	req->query_statistics.adapter = GET32(struct dxgw_query_statistics_req, adapter);
	req->query_statistics.target = GET32(struct dxgw_query_statistics_req, target);
	req->query_statistics.type = GET32(struct dxgw_query_statistics_req, type);
	req->query_statistics.query[0] = GET32(struct dxgw_query_statistics_req, query[0]);
	req->query_statistics.query[1] = GET32(struct dxgw_query_statistics_req, query[1]);
	return 0;
}

static int decode_is_feature_enabled(const unsigned char *b, uint32_t size,
				     struct dxgw_request *req)
{
	(void)size;
	req->is_feature_enabled.adapter = GET32(struct dxgw_is_feature_enabled_req, adapter);
	req->is_feature_enabled.feature_id = GET32(struct dxgw_is_feature_enabled_req, feature_id);
	return 0;
}

static int decode_invalidate_cache(const unsigned char *b, uint32_t size,
				   struct dxgw_request *req)
{
	uint64_t offset = GET64(struct dxgw_invalidate_cache_req, offset);
	uint64_t length = GET64(struct dxgw_invalidate_cache_req, length);

	(void)size;
	if (offset + length < offset)
		return -EINVAL;
	req->invalidate_cache.device = GET32(struct dxgw_invalidate_cache_req, device);
	req->invalidate_cache.allocation = GET32(struct dxgw_invalidate_cache_req, allocation);
	req->invalidate_cache.offset = offset;
	req->invalidate_cache.length = length;
	return 0;
}

static const struct opcode_desc opcodes[] = {
	{ DXGW_OP_CONNECT, "CONNECT", false, sizeof(struct dxgw_connect_req), false,
	  decode_connect },
	{ DXGW_OP_NOP, "NOP", false, 0, false, NULL },
	{ DXGW_OP_CREATE_PROCESS, "CREATE_PROCESS", false, sizeof(struct dxgw_create_process_req),
	  false, decode_create_process },
	{ DXGW_OP_DESTROY_PROCESS, "DESTROY_PROCESS", true, 0, false, NULL },
	{ DXGW_OP_ENUM_ADAPTERS, "ENUM_ADAPTERS", false, 0, false, NULL },
	{ DXGW_OP_OPEN_ADAPTER, "OPEN_ADAPTER", true, sizeof(struct dxgw_adapter_req), false,
	  decode_adapter },
	{ DXGW_OP_CLOSE_ADAPTER, "CLOSE_ADAPTER", true, sizeof(struct dxgw_adapter_req), false,
	  decode_adapter },
	{ DXGW_OP_QUERY_ADAPTER_INFO, "QUERY_ADAPTER_INFO", true,
	  sizeof(struct dxgw_query_adapter_info_req), true, decode_query_adapter_info },
	{ DXGW_OP_CREATE_DEVICE, "CREATE_DEVICE", true, sizeof(struct dxgw_create_device_req),
	  false, decode_create_device },
	{ DXGW_OP_DESTROY_DEVICE, "DESTROY_DEVICE", true, sizeof(struct dxgw_destroy_req), false,
	  decode_destroy },
	{ DXGW_OP_CREATE_CONTEXT_VIRTUAL, "CREATE_CONTEXT_VIRTUAL", true,
	  sizeof(struct dxgw_create_context_req), true, decode_create_context },
	{ DXGW_OP_DESTROY_CONTEXT, "DESTROY_CONTEXT", true, sizeof(struct dxgw_destroy_req), false,
	  decode_destroy },
	{ DXGW_OP_CREATE_ALLOCATION, "CREATE_ALLOCATION", true,
	  sizeof(struct dxgw_create_allocation_req), true, decode_create_allocation },
	{ DXGW_OP_DESTROY_ALLOCATION, "DESTROY_ALLOCATION", true,
	  sizeof(struct dxgw_destroy_allocation_req), true, decode_destroy_allocation },
	{ DXGW_OP_LOCK, "LOCK", true, sizeof(struct dxgw_lock_req), false, decode_lock },
	{ DXGW_OP_UNLOCK, "UNLOCK", true, sizeof(struct dxgw_lock_req), false, decode_lock },
	{ DXGW_OP_QUERY_VIDEO_MEMORY, "QUERY_VIDEO_MEMORY", true,
	  sizeof(struct dxgw_video_memory_req), false, decode_video_memory },
	{ DXGW_OP_CHANGE_RESERVATION, "CHANGE_RESERVATION", true,
	  sizeof(struct dxgw_video_memory_req), false, decode_video_memory },
	{ DXGW_OP_QUERY_RESIDENCY, "QUERY_RESIDENCY", true, sizeof(struct dxgw_alloc_list_req),
	  true, decode_alloc_list },
	{ DXGW_OP_SET_PRIORITY, "SET_PRIORITY", true, sizeof(struct dxgw_alloc_list_req), true,
	  decode_alloc_list },
	{ DXGW_OP_GET_PRIORITY, "GET_PRIORITY", true, sizeof(struct dxgw_alloc_list_req), true,
	  decode_alloc_list },
	{ DXGW_OP_OFFER, "OFFER", true, sizeof(struct dxgw_offer_req), true, decode_offer },
	{ DXGW_OP_RECLAIM, "RECLAIM", true, sizeof(struct dxgw_reclaim_req), true, decode_reclaim },
	{ DXGW_OP_UPDATE_ALLOC_PROPERTY, "UPDATE_ALLOC_PROPERTY", true,
	  sizeof(struct dxgw_update_alloc_property_req), false, decode_update_alloc_property },
	{ DXGW_OP_CREATE_PAGING_QUEUE, "CREATE_PAGING_QUEUE", true,
	  sizeof(struct dxgw_create_paging_queue_req), false, decode_create_paging_queue },
	{ DXGW_OP_DESTROY_PAGING_QUEUE, "DESTROY_PAGING_QUEUE", true,
	  sizeof(struct dxgw_destroy_req), false, decode_destroy },
	{ DXGW_OP_MAKE_RESIDENT, "MAKE_RESIDENT", true, sizeof(struct dxgw_make_resident_req),
	  true, decode_make_resident },
	{ DXGW_OP_EVICT, "EVICT", true, sizeof(struct dxgw_evict_req), true, decode_evict },
	{ DXGW_OP_RESERVE_GPU_VA, "RESERVE_GPU_VA", true, sizeof(struct dxgw_reserve_gpu_va_req),
	  false, decode_reserve_gpu_va },
	{ DXGW_OP_MAP_GPU_VA, "MAP_GPU_VA", true, sizeof(struct dxgw_map_gpu_va_req), false,
	  decode_map_gpu_va },
	{ DXGW_OP_FREE_GPU_VA, "FREE_GPU_VA", true, sizeof(struct dxgw_free_gpu_va_req), false,
	  decode_free_gpu_va },
	{ DXGW_OP_UPDATE_GPU_VA, "UPDATE_GPU_VA", true, sizeof(struct dxgw_update_gpu_va_req),
	  true, decode_update_gpu_va },
	{ DXGW_OP_CREATE_SYNC_OBJECT, "CREATE_SYNC_OBJECT", true,
	  sizeof(struct dxgw_create_sync_object_req), false, decode_create_sync_object },
	{ DXGW_OP_DESTROY_SYNC_OBJECT, "DESTROY_SYNC_OBJECT", true, sizeof(struct dxgw_destroy_req),
	  false, decode_destroy },
	{ DXGW_OP_SIGNAL_FROM_CPU, "SIGNAL_FROM_CPU", true,
	  sizeof(struct dxgw_signal_from_cpu_req), true, decode_signal_from_cpu },
	{ DXGW_OP_GET_FENCE_SLOTS, "GET_FENCE_SLOTS", true, sizeof(struct dxgw_get_fence_slots_req),
	  true, decode_get_fence_slots },
	{ DXGW_OP_SIGNAL_ON_QUEUE, "SIGNAL_ON_QUEUE", true,
	  sizeof(struct dxgw_signal_on_queue_req), true, decode_signal_on_queue },
	{ DXGW_OP_WAIT_ON_QUEUE, "WAIT_ON_QUEUE", true, sizeof(struct dxgw_wait_on_queue_req), true,
	  decode_wait_on_queue },
	{ DXGW_OP_CREATE_HW_QUEUE, "CREATE_HW_QUEUE", true, sizeof(struct dxgw_create_hw_queue_req),
	  true, decode_create_hw_queue },
	{ DXGW_OP_DESTROY_HW_QUEUE, "DESTROY_HW_QUEUE", true, sizeof(struct dxgw_destroy_req), false,
	  decode_destroy },
	{ DXGW_OP_SUBMIT, "SUBMIT", true, sizeof(struct dxgw_submit_req), false, decode_submit },
	{ DXGW_OP_SET_SCHEDULING_PRIORITY, "SET_SCHEDULING_PRIORITY", true,
	  sizeof(struct dxgw_scheduling_priority_req), false, decode_scheduling_priority },
	{ DXGW_OP_GET_SCHEDULING_PRIORITY, "GET_SCHEDULING_PRIORITY", true,
	  sizeof(struct dxgw_scheduling_priority_req), false, decode_scheduling_priority },
	{ DXGW_OP_GET_DEVICE_STATE, "GET_DEVICE_STATE", true,
	  sizeof(struct dxgw_get_device_state_req), false, decode_get_device_state },
	{ DXGW_OP_MARK_DEVICE_ERROR, "MARK_DEVICE_ERROR", true,
	  sizeof(struct dxgw_mark_device_error_req), false, decode_mark_device_error },
	{ DXGW_OP_QUERY_CLOCK_CALIBRATION, "QUERY_CLOCK_CALIBRATION", true,
	  sizeof(struct dxgw_clock_calibration_req), false, decode_clock_calibration },
	{ DXGW_OP_ESCAPE, "ESCAPE", true, sizeof(struct dxgw_escape_req), true, decode_escape },
	{ DXGW_OP_SHARE_OBJECT, "SHARE_OBJECT", true, sizeof(struct dxgw_share_object_req), false,
	  decode_share_object },
	{ DXGW_OP_CLOSE_SHARE, "CLOSE_SHARE", false, sizeof(struct dxgw_close_share_req), false,
	  decode_close_share },
	{ DXGW_OP_OPEN_SHARED_SYNC_OBJECT, "OPEN_SHARED_SYNC_OBJECT", true,
	  sizeof(struct dxgw_open_shared_sync_object_req), false, decode_open_shared_sync_object },
	{ DXGW_OP_QUERY_SHARED_RESOURCE, "QUERY_SHARED_RESOURCE", true,
	  sizeof(struct dxgw_query_shared_resource_req), false, decode_query_shared_resource },
	{ DXGW_OP_OPEN_SHARED_RESOURCE, "OPEN_SHARED_RESOURCE", true,
	  sizeof(struct dxgw_open_shared_resource_req), false, decode_open_shared_resource },
	{ DXGW_OP_WAIT_SHARE_ON_QUEUE, "WAIT_SHARE_ON_QUEUE", true,
	  sizeof(struct dxgw_wait_share_on_queue_req), false, decode_wait_share_on_queue },
	{ DXGW_OP_QUERY_STATISTICS, "QUERY_STATISTICS", true,
	  sizeof(struct dxgw_query_statistics_req), false, decode_query_statistics },
	{ DXGW_OP_IS_FEATURE_ENABLED, "IS_FEATURE_ENABLED", true,
	  sizeof(struct dxgw_is_feature_enabled_req), false, decode_is_feature_enabled },
	{ DXGW_OP_INVALIDATE_CACHE, "INVALIDATE_CACHE", true,
	  sizeof(struct dxgw_invalidate_cache_req), false, decode_invalidate_cache },
};

static const struct opcode_desc *find_opcode(uint16_t opcode)
{
	for (size_t i = 0; i < sizeof(opcodes) / sizeof(opcodes[0]); i++) {
		if (opcodes[i].opcode == opcode)
			return &opcodes[i];
	}
	return NULL;
}

bool dxgw_opcode_known(uint16_t opcode)
{
	return find_opcode(opcode) != NULL;
}

const char *dxgw_opcode_name(uint16_t opcode)
{
	const struct opcode_desc *d = find_opcode(opcode);

	return d ? d->name : "unknown";
}

int dxgw_decode_request(const void *buf, size_t len, struct dxgw_request *req,
			bool *request_id_valid)
{
	const unsigned char *p = buf;
	const size_t id_end = FIELD(struct dxgw_hdr, request_id) + sizeof(dxg_le64);
	const struct opcode_desc *d;
	uint32_t body_size;
	int ret;

	memset(req, 0, sizeof(*req));
	*request_id_valid = false;
	if (len >= id_end) {
		req->request_id = dxg_get_le64(p + FIELD(struct dxgw_hdr, request_id));
		req->opcode = dxg_get_le16(p + FIELD(struct dxgw_hdr, opcode));
		*request_id_valid = true;
	}
	if (len < sizeof(struct dxgw_hdr) || len > DXGW_MAX_MESSAGE)
		return -EPROTO;
	/* Read before the envelope checks so that even a rejection names the process. */
	req->process = dxg_get_le32(p + FIELD(struct dxgw_hdr, process));
	if (dxg_get_le32(p + FIELD(struct dxgw_hdr, size)) != len ||
	    dxg_get_le16(p + FIELD(struct dxgw_hdr, flags)) != 0 ||
	    dxg_get_le32(p + FIELD(struct dxgw_hdr, status)) != 0 ||
	    dxg_get_le64(p + FIELD(struct dxgw_hdr, reserved)) != 0)
		return -EPROTO;

	d = find_opcode(req->opcode);
	if (!d)
		return -ENOSYS;
	if (d->process_scoped != (req->process != 0))
		return -EINVAL;

	body_size = (uint32_t)(len - sizeof(struct dxgw_hdr));
	if (d->variable ? body_size < d->fixed_size : body_size != d->fixed_size)
		return -EINVAL;
	if (!d->decode)
		return 0;
	ret = d->decode(p + sizeof(struct dxgw_hdr), body_size, req);
	if (ret) {
		/* Leave no half-decoded body behind for a caller that ignores the error. */
		uint16_t opcode = req->opcode;
		uint64_t id = req->request_id;
		uint32_t process = req->process;

		memset(req, 0, sizeof(*req));
		req->opcode = opcode;
		req->request_id = id;
		req->process = process;
	}
	return ret;
}
