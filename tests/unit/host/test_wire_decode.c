// SPDX-License-Identifier: MIT
/*
 * The worker's wire decoder: every opcode decodes a good message exactly, and every way of getting
 * the envelope or the body wrong gives its documented error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <misc/opendxg.h>

#include "wire_decode.h"

#define PROCESS 0x40000080u

/* A message under construction: header fields plus a body, serialized by build(). */
struct msg {
	uint16_t opcode;
	uint16_t flags;
	uint64_t request_id;
	uint32_t process;
	uint32_t status;
	uint64_t reserved;
	uint32_t size_delta;		/* added to hdr.size (wrong size field) */
	unsigned char body[DXGW_MAX_BODY + 64];
	uint32_t body_len;
};

static unsigned char record[DXGW_MAX_MESSAGE + 128];

static uint32_t build(const struct msg *m)
{
	struct dxgw_hdr h;
	uint32_t len = (uint32_t)sizeof(h) + m->body_len;

	memset(&h, 0, sizeof(h));
	h.size = dxg_to_le32(len + m->size_delta);
	h.opcode = dxg_to_le16(m->opcode);
	h.flags = dxg_to_le16(m->flags);
	h.request_id = dxg_to_le64(m->request_id);
	h.process = dxg_to_le32(m->process);
	h.status = dxg_to_le32(m->status);
	h.reserved = dxg_to_le64(m->reserved);
	memcpy(record, &h, sizeof(h));
	memcpy(record + sizeof(h), m->body, m->body_len);
	return len;
}

static int decode(const struct msg *m, struct dxgw_request *req)
{
	bool id_valid = false;
	uint32_t len = build(m);
	int ret = dxgw_decode_request(record, len, req, &id_valid);

	assert_true(id_valid);
	assert_int_equal(req->request_id, m->request_id);
	return ret;
}

static void put32(struct msg *m, size_t off, uint32_t v)
{
	dxg_le32 le = dxg_to_le32(v);

	memcpy(m->body + off, &le, sizeof(le));
}

static void put64(struct msg *m, size_t off, uint64_t v)
{
	dxg_le64 le = dxg_to_le64(v);

	memcpy(m->body + off, &le, sizeof(le));
}

static struct msg *new_msg(uint16_t opcode, uint32_t process, uint32_t body_len)
{
	struct msg *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->opcode = opcode;
	m->process = process;
	m->request_id = 0x1122334455667788ull;
	m->body_len = body_len;
	return m;
}

/* Good messages, one per opcode, with distinctive field values. */
static struct msg *good_connect(void)
{
	struct msg *m = new_msg(DXGW_OP_CONNECT, 0, sizeof(struct dxgw_connect_req));

	put32(m, offsetof(struct dxgw_connect_req, guest_version), DXG_PROTOCOL_VERSION);
	put64(m, offsetof(struct dxgw_connect_req, guest_features), 0x8000000000000001ull);
	return m;
}

static struct msg *good_create_process(void)
{
	struct msg *m = new_msg(DXGW_OP_CREATE_PROCESS, 0, sizeof(struct dxgw_create_process_req));

	put32(m, offsetof(struct dxgw_create_process_req, pid), 4242);
	memcpy(m->body + offsetof(struct dxgw_create_process_req, name), "dxgtest", 7);
	return m;
}

static struct msg *good_adapter(uint16_t opcode)
{
	struct msg *m = new_msg(opcode, PROCESS, sizeof(struct dxgw_adapter_req));

	put32(m, offsetof(struct dxgw_adapter_req, adapter), 0x40000040);
	return m;
}

static struct msg *good_qai(uint32_t data_size)
{
	const uint32_t fixed = sizeof(struct dxgw_query_adapter_info_req);
	struct msg *m = new_msg(DXGW_OP_QUERY_ADAPTER_INFO, PROCESS, fixed + data_size);

	put32(m, offsetof(struct dxgw_query_adapter_info_req, adapter), 0x40000040);
	put32(m, offsetof(struct dxgw_query_adapter_info_req, type), 57);
	put32(m, offsetof(struct dxgw_query_adapter_info_req, data_size), data_size);
	for (uint32_t i = 0; i < data_size; i++)
		m->body[fixed + i] = (unsigned char)(i * 7 + 1);
	return m;
}

static struct msg *good_create_device(void)
{
	struct msg *m = new_msg(DXGW_OP_CREATE_DEVICE, PROCESS, sizeof(struct dxgw_create_device_req));

	put32(m, offsetof(struct dxgw_create_device_req, adapter), 0x40000040);
	put32(m, offsetof(struct dxgw_create_device_req, flags), DXGW_CREATE_DEVICE_FLAGS_MASK);
	return m;
}

static struct msg *good_destroy(uint16_t opcode)
{
	struct msg *m = new_msg(opcode, PROCESS, sizeof(struct dxgw_destroy_req));

	put32(m, offsetof(struct dxgw_destroy_req, handle), 0x400000c0);
	return m;
}

static struct msg *good_create_context(uint32_t priv_size)
{
	const uint32_t fixed = sizeof(struct dxgw_create_context_req);
	struct msg *m = new_msg(DXGW_OP_CREATE_CONTEXT_VIRTUAL, PROCESS, fixed + priv_size);

	put32(m, offsetof(struct dxgw_create_context_req, device), 0x400000c0);
	put32(m, offsetof(struct dxgw_create_context_req, node_ordinal), 3);
	put32(m, offsetof(struct dxgw_create_context_req, engine_affinity), 1);
	put32(m, offsetof(struct dxgw_create_context_req, flags), 0x10);
	put32(m, offsetof(struct dxgw_create_context_req, client_hint), 2);
	put32(m, offsetof(struct dxgw_create_context_req, priv_size), priv_size);
	memset(m->body + fixed, 0xab, priv_size);
	return m;
}

/* ---- 0x04xx memory ---- */

#define DEVICE 0x400000c0u
#define ALLOC(i) (0x40000100u + 0x40u * (i))
#define OFF(type, member) offsetof(type, member)

/* A 5-word SPIR-V header: enough for the decoder (SPIR-V itself is the handler's check). */
static const uint32_t tiny_spirv[5] = { 0x07230203u, 0x00010300u, 0, 1, 0 };

static void put_desc(struct msg *m, size_t off, uint32_t kind, uint64_t size, uint32_t prio,
		     uint32_t code_size)
{
	put32(m, off + OFF(struct dxgw_alloc_desc, kind), kind);
	put64(m, off + OFF(struct dxgw_alloc_desc, size), size);
	put32(m, off + OFF(struct dxgw_alloc_desc, priority), prio);
	put32(m, off + OFF(struct dxgw_alloc_desc, code_size), code_size);
}

/* CREATE_RESOURCE, 5 bytes of runtime data, three descriptors: host-visible, device-local and a
 * 20-byte program whose code follows (padded to 24). */
#define CA_RUNTIME 24u
#define CA_DESCS 32u
#define CA_CODE (32u + 3u * 24u)
static struct msg *good_create_allocation(void)
{
	struct msg *m = new_msg(DXGW_OP_CREATE_ALLOCATION, PROCESS, CA_CODE + 24);

	put32(m, OFF(struct dxgw_create_allocation_req, device), DEVICE);
	put32(m, OFF(struct dxgw_create_allocation_req, flags),
	      D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE | D3DKMT_CREATEALLOCATION_FLAG_ZEROED);
	put32(m, OFF(struct dxgw_create_allocation_req, alloc_count), 3);
	put32(m, OFF(struct dxgw_create_allocation_req, runtime_data_size), 5);
	memcpy(m->body + CA_RUNTIME, "abcde", 5);
	put_desc(m, CA_DESCS, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 100, 0, 0);
	put_desc(m, CA_DESCS + 24, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 8192, 7, 0);
	put_desc(m, CA_DESCS + 48, OPENDXG_ALLOC_KIND_PROGRAM, 20, 0, 20);
	memcpy(m->body + CA_CODE, tiny_spirv, 20);
	return m;
}

static struct msg *good_list_msg(uint16_t op, uint32_t fixed, uint32_t count, size_t count_off,
				 uint32_t values)
{
	struct msg *m = new_msg(op, PROCESS, fixed + dxgw_list_bytes(count) +
				dxgw_list_bytes(values));

	put32(m, count_off, count);
	for (uint32_t i = 0; i < count; i++)
		put32(m, fixed + 4 * i, ALLOC(i));
	for (uint32_t i = 0; i < values; i++)
		put32(m, fixed + dxgw_list_bytes(count) + 4 * i, 0x78000000u + i);
	return m;
}

static struct msg *good_destroy_allocation(uint32_t count)
{
	struct msg *m = good_list_msg(DXGW_OP_DESTROY_ALLOCATION,
				      sizeof(struct dxgw_destroy_allocation_req), count,
				      OFF(struct dxgw_destroy_allocation_req, alloc_count), 0);

	put32(m, OFF(struct dxgw_destroy_allocation_req, device), DEVICE);
	if (!count)
		put32(m, OFF(struct dxgw_destroy_allocation_req, resource), 0x40000400u);
	put32(m, OFF(struct dxgw_destroy_allocation_req, flags),
	      D3DDDICB_DESTROYALLOCATION2_FLAG_SYNCHRONOUS_DESTROY);
	return m;
}

static struct msg *good_lock(uint16_t op)
{
	struct msg *m = new_msg(op, PROCESS, sizeof(struct dxgw_lock_req));

	put32(m, OFF(struct dxgw_lock_req, device), DEVICE);
	put32(m, OFF(struct dxgw_lock_req, allocation), ALLOC(0));
	return m;
}

static struct msg *good_video_memory(uint16_t op)
{
	struct msg *m = new_msg(op, PROCESS, sizeof(struct dxgw_video_memory_req));

	put32(m, OFF(struct dxgw_video_memory_req, adapter), 0x40000040);
	put32(m, OFF(struct dxgw_video_memory_req, segment_group), 1);
	if (op == DXGW_OP_CHANGE_RESERVATION)
		put64(m, OFF(struct dxgw_video_memory_req, reservation), 1ull << 40);
	return m;
}

static struct msg *good_alloc_list(uint16_t op, uint32_t count)
{
	uint32_t values = op == DXGW_OP_SET_PRIORITY ? (count ? count : 1) : 0;
	struct msg *m = good_list_msg(op, sizeof(struct dxgw_alloc_list_req), count,
				      OFF(struct dxgw_alloc_list_req, count), values);

	put32(m, OFF(struct dxgw_alloc_list_req, device), DEVICE);
	if (!count)
		put32(m, OFF(struct dxgw_alloc_list_req, resource), 0x40000400u);
	return m;
}

static struct msg *good_offer(uint32_t count)
{
	struct msg *m = good_list_msg(DXGW_OP_OFFER, sizeof(struct dxgw_offer_req), count,
				      OFF(struct dxgw_offer_req, count), 0);

	put32(m, OFF(struct dxgw_offer_req, device), DEVICE);
	put32(m, OFF(struct dxgw_offer_req, priority), D3DKMT_OFFER_PRIORITY_AUTO);
	put32(m, OFF(struct dxgw_offer_req, flags), D3DKMT_OFFER_FLAG_ALLOW_DECOMMIT);
	put32(m, OFF(struct dxgw_offer_req, resources), 1);
	return m;
}

static struct msg *good_reclaim(uint32_t count)
{
	struct msg *m = good_list_msg(DXGW_OP_RECLAIM, sizeof(struct dxgw_reclaim_req), count,
				      OFF(struct dxgw_reclaim_req, count), 0);

	put32(m, OFF(struct dxgw_reclaim_req, paging_queue), 0x40000500u);
	return m;
}

static struct msg *good_update_alloc_property(void)
{
	struct msg *m = new_msg(DXGW_OP_UPDATE_ALLOC_PROPERTY, PROCESS,
				sizeof(struct dxgw_update_alloc_property_req));

	put32(m, OFF(struct dxgw_update_alloc_property_req, paging_queue), 0x40000500u);
	put32(m, OFF(struct dxgw_update_alloc_property_req, allocation), ALLOC(0));
	put32(m, OFF(struct dxgw_update_alloc_property_req, supported_segment_set), 3);
	put32(m, OFF(struct dxgw_update_alloc_property_req, preferred_segment), 2);
	put32(m, OFF(struct dxgw_update_alloc_property_req, flags), 1);
	put32(m, OFF(struct dxgw_update_alloc_property_req, property_mask), 7);
	return m;
}

static struct msg *good_create_paging_queue(void)
{
	struct msg *m = new_msg(DXGW_OP_CREATE_PAGING_QUEUE, PROCESS,
				sizeof(struct dxgw_create_paging_queue_req));

	put32(m, OFF(struct dxgw_create_paging_queue_req, device), DEVICE);
	put32(m, OFF(struct dxgw_create_paging_queue_req, priority), (uint32_t)-1);
	return m;
}

static struct msg *good_make_resident(uint32_t count, bool priorities)
{
	struct msg *m = good_list_msg(DXGW_OP_MAKE_RESIDENT, sizeof(struct dxgw_make_resident_req),
				      count, OFF(struct dxgw_make_resident_req, count),
				      priorities ? count : 0);

	put32(m, OFF(struct dxgw_make_resident_req, paging_queue), 0x40000500u);
	put32(m, OFF(struct dxgw_make_resident_req, flags), D3DDDI_MAKERESIDENT_FLAG_MUST_SUCCEED);
	put32(m, OFF(struct dxgw_make_resident_req, has_priorities), priorities);
	return m;
}

static struct msg *good_evict(uint32_t count)
{
	struct msg *m = good_list_msg(DXGW_OP_EVICT, sizeof(struct dxgw_evict_req), count,
				      OFF(struct dxgw_evict_req, count), 0);

	put32(m, OFF(struct dxgw_evict_req, device), DEVICE);
	put32(m, OFF(struct dxgw_evict_req, flags), D3DDDI_EVICT_FLAG_NOT_WRITTEN_TO);
	return m;
}

static struct msg *good_reserve_gpu_va(void)
{
	struct msg *m = new_msg(DXGW_OP_RESERVE_GPU_VA, PROCESS,
				sizeof(struct dxgw_reserve_gpu_va_req));

	put32(m, OFF(struct dxgw_reserve_gpu_va_req, adapter), 0x40000040);
	put64(m, OFF(struct dxgw_reserve_gpu_va_req, base_address), 0x100000);
	put64(m, OFF(struct dxgw_reserve_gpu_va_req, minimum_address), 0x10000);
	put64(m, OFF(struct dxgw_reserve_gpu_va_req, maximum_address), 1ull << 40);
	put64(m, OFF(struct dxgw_reserve_gpu_va_req, size), 0x200000);
	put32(m, OFF(struct dxgw_reserve_gpu_va_req, reservation_type), D3DDDIGPUVA_RESERVE_ZERO);
	put64(m, OFF(struct dxgw_reserve_gpu_va_req, driver_protection), 0x1234);
	return m;
}

static struct msg *good_map_gpu_va(void)
{
	struct msg *m = new_msg(DXGW_OP_MAP_GPU_VA, PROCESS, sizeof(struct dxgw_map_gpu_va_req));

	put32(m, OFF(struct dxgw_map_gpu_va_req, paging_queue), 0x40000500u);
	put32(m, OFF(struct dxgw_map_gpu_va_req, allocation), ALLOC(1));
	put64(m, OFF(struct dxgw_map_gpu_va_req, base_address), 0x100000);
	put64(m, OFF(struct dxgw_map_gpu_va_req, offset_in_pages), 2);
	put64(m, OFF(struct dxgw_map_gpu_va_req, size_in_pages), 3);
	put64(m, OFF(struct dxgw_map_gpu_va_req, protection), D3DDDIGPUVA_PROTECTION_WRITE);
	put64(m, OFF(struct dxgw_map_gpu_va_req, driver_protection), 9);
	return m;
}

static struct msg *good_free_gpu_va(void)
{
	struct msg *m = new_msg(DXGW_OP_FREE_GPU_VA, PROCESS, sizeof(struct dxgw_free_gpu_va_req));

	put32(m, OFF(struct dxgw_free_gpu_va_req, adapter), 0x40000040);
	put64(m, OFF(struct dxgw_free_gpu_va_req, base_address), 0x100000);
	put64(m, OFF(struct dxgw_free_gpu_va_req, size), 0x200000);
	return m;
}

/* MAP, MAP_PROTECT, UNMAP, COPY, then n - 4 more UNMAPs. */
static struct msg *good_update_gpu_va(uint32_t n)
{
	const uint32_t fixed = sizeof(struct dxgw_update_gpu_va_req);
	struct msg *m = new_msg(DXGW_OP_UPDATE_GPU_VA, PROCESS,
				fixed + n * (uint32_t)sizeof(struct dxgw_gpu_va_op));

	put32(m, OFF(struct dxgw_update_gpu_va_req, device), DEVICE);
	put32(m, OFF(struct dxgw_update_gpu_va_req, context), 0x40000600u);
	put32(m, OFF(struct dxgw_update_gpu_va_req, fence_object), 0x40000700u);
	put32(m, OFF(struct dxgw_update_gpu_va_req, num_operations), n);
	put64(m, OFF(struct dxgw_update_gpu_va_req, fence_value), 42);
	put32(m, OFF(struct dxgw_update_gpu_va_req, flags),
	      D3DKMT_UPDATEGPUVIRTUALADDRESS_FLAG_DO_NOT_WAIT);
	for (uint32_t i = 0; i < n; i++) {
		size_t o = fixed + (size_t)i * sizeof(struct dxgw_gpu_va_op);
		uint32_t op = i < 4 ? (uint32_t[]){ D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP,
						    D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP_PROTECT,
						    D3DDDI_UPDATEGPUVIRTUALADDRESS_UNMAP,
						    D3DDDI_UPDATEGPUVIRTUALADDRESS_COPY }[i]
				    : D3DDDI_UPDATEGPUVIRTUALADDRESS_UNMAP;

		put32(m, o + OFF(struct dxgw_gpu_va_op, operation), op);
		put64(m, o + OFF(struct dxgw_gpu_va_op, base_address), 0x100000 + 0x1000 * i);
		put64(m, o + OFF(struct dxgw_gpu_va_op, size), 0x1000);
		if (op == D3DDDI_UPDATEGPUVIRTUALADDRESS_COPY)
			put64(m, o + OFF(struct dxgw_gpu_va_op, dest_address), 0x300000);
		if (op == D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP ||
		    op == D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP_PROTECT) {
			put32(m, o + OFF(struct dxgw_gpu_va_op, allocation), ALLOC(i));
			put64(m, o + OFF(struct dxgw_gpu_va_op, allocation_offset), 0x2000);
		}
		if (op == D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP_PROTECT) {
			put64(m, o + OFF(struct dxgw_gpu_va_op, protection),
			      D3DDDIGPUVA_PROTECTION_WRITE);
			put64(m, o + OFF(struct dxgw_gpu_va_op, driver_protection), 5);
		}
		if (op == D3DDDI_UPDATEGPUVIRTUALADDRESS_UNMAP)
			put64(m, o + OFF(struct dxgw_gpu_va_op, protection),
			      D3DDDIGPUVA_PROTECTION_NO_ACCESS);
	}
	return m;
}

/* ---- 0x05xx synchronization objects, 0x06xx execution ---- */

#define SYNC(i) (0x40000800u + 0x40u * (i))
#define QUEUE(i) (0x40000a00u + 0x40u * (i))

static struct msg *good_create_sync_object(uint32_t type)
{
	struct msg *m = new_msg(DXGW_OP_CREATE_SYNC_OBJECT, PROCESS,
				sizeof(struct dxgw_create_sync_object_req));

	put32(m, OFF(struct dxgw_create_sync_object_req, device), DEVICE);
	put32(m, OFF(struct dxgw_create_sync_object_req, type), type);
	put32(m, OFF(struct dxgw_create_sync_object_req, flags),
	      D3DDDI_SYNCOBJ_FLAG_NO_SIGNAL_MAX_VALUE_ON_TDR | D3DDDI_SYNCOBJ_FLAG_CROSS_ADAPTER);
	switch (type) {
	case D3DDDI_SYNCHRONIZATION_MUTEX:
		put64(m, OFF(struct dxgw_create_sync_object_req, value0), 1);
		break;
	case D3DDDI_SEMAPHORE:
		put64(m, OFF(struct dxgw_create_sync_object_req, value0), 10);
		put64(m, OFF(struct dxgw_create_sync_object_req, value1), 3);
		break;
	case D3DDDI_FENCE:
	case D3DDDI_MONITORED_FENCE:
		put64(m, OFF(struct dxgw_create_sync_object_req, value0), 0x123456789ull);
		break;
	default:
		break;
	}
	return m;
}

/* A handle list of `count` at `at`, then `values` u64 values 1000 + i. */
static void put_list_values(struct msg *m, uint32_t at, uint32_t count, uint32_t first,
			    uint32_t values)
{
	for (uint32_t i = 0; i < count; i++)
		put32(m, at + 4 * i, first + 0x40u * i);
	for (uint32_t i = 0; i < values; i++)
		put64(m, at + dxgw_list_bytes(count) + 8 * i, 1000 + i);
}

static struct msg *good_signal_from_cpu(uint32_t count)
{
	const uint32_t fixed = sizeof(struct dxgw_signal_from_cpu_req);
	struct msg *m = new_msg(DXGW_OP_SIGNAL_FROM_CPU, PROCESS,
				fixed + dxgw_list_bytes(count) + 8 * count);

	put32(m, OFF(struct dxgw_signal_from_cpu_req, device), DEVICE);
	put32(m, OFF(struct dxgw_signal_from_cpu_req, count), count);
	put32(m, OFF(struct dxgw_signal_from_cpu_req, flags),
	      D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND);
	put_list_values(m, fixed, count, SYNC(0), count);
	return m;
}

static struct msg *good_get_fence_slots(uint32_t count)
{
	const uint32_t fixed = sizeof(struct dxgw_get_fence_slots_req);
	struct msg *m = new_msg(DXGW_OP_GET_FENCE_SLOTS, PROCESS, fixed + dxgw_list_bytes(count));

	put32(m, OFF(struct dxgw_get_fence_slots_req, device), DEVICE);
	put32(m, OFF(struct dxgw_get_fence_slots_req, count), count);
	put_list_values(m, fixed, count, SYNC(0), 0);
	return m;
}

static struct msg *good_signal_on_queue(uint32_t queues, uint32_t objects)
{
	const uint32_t fixed = sizeof(struct dxgw_signal_on_queue_req);
	struct msg *m = new_msg(DXGW_OP_SIGNAL_ON_QUEUE, PROCESS,
				fixed + dxgw_list_bytes(queues) + dxgw_list_bytes(objects) +
				8 * objects);

	put32(m, OFF(struct dxgw_signal_on_queue_req, queue_count), queues);
	put32(m, OFF(struct dxgw_signal_on_queue_req, object_count), objects);
	put32(m, OFF(struct dxgw_signal_on_queue_req, flags),
	      D3DDDICB_SIGNAL_FLAG_SIGNAL_AT_SUBMISSION | D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND);
	put_list_values(m, fixed, queues, QUEUE(0), 0);
	put_list_values(m, fixed + dxgw_list_bytes(queues), objects, SYNC(0), objects);
	return m;
}

static struct msg *good_wait_on_queue(uint32_t objects)
{
	const uint32_t fixed = sizeof(struct dxgw_wait_on_queue_req);
	struct msg *m = new_msg(DXGW_OP_WAIT_ON_QUEUE, PROCESS,
				fixed + dxgw_list_bytes(objects) + 8 * objects);

	put32(m, OFF(struct dxgw_wait_on_queue_req, queue), QUEUE(0));
	put32(m, OFF(struct dxgw_wait_on_queue_req, object_count), objects);
	put_list_values(m, fixed, objects, SYNC(0), objects);
	return m;
}

static struct msg *good_create_hw_queue(uint32_t priv_size)
{
	const uint32_t fixed = sizeof(struct dxgw_create_hw_queue_req);
	struct msg *m = new_msg(DXGW_OP_CREATE_HW_QUEUE, PROCESS, fixed + priv_size);

	put32(m, OFF(struct dxgw_create_hw_queue_req, context), 0x40000600u);
	put32(m, OFF(struct dxgw_create_hw_queue_req, flags),
	      D3DDDI_CREATEHWQUEUE_FLAG_DISABLE_GPU_TIMEOUT);
	put32(m, OFF(struct dxgw_create_hw_queue_req, priv_size), priv_size);
	memset(m->body + fixed, 0x5a, priv_size);
	return m;
}

static struct msg *good_submit(void)
{
	struct msg *m = new_msg(DXGW_OP_SUBMIT, PROCESS, sizeof(struct dxgw_submit_req));

	put32(m, OFF(struct dxgw_submit_req, queue), QUEUE(0));
	put32(m, OFF(struct dxgw_submit_req, flags), D3DKMT_SUBMITCOMMAND_FLAG_NULL_RENDERING);
	put64(m, OFF(struct dxgw_submit_req, command_buffer), 0x100000);
	put32(m, OFF(struct dxgw_submit_req, length), 4096);
	put64(m, OFF(struct dxgw_submit_req, progress_fence_value), 77);
	return m;
}

static struct msg *good_priority(uint16_t op)
{
	struct msg *m = new_msg(op, PROCESS, sizeof(struct dxgw_scheduling_priority_req));

	put32(m, OFF(struct dxgw_scheduling_priority_req, context), 0x40000600u);
	if (op == DXGW_OP_SET_SCHEDULING_PRIORITY)
		put32(m, OFF(struct dxgw_scheduling_priority_req, priority), (uint32_t)-7);
	put32(m, OFF(struct dxgw_scheduling_priority_req, in_process), 1);
	return m;
}

static struct msg *good_get_device_state(uint32_t type)
{
	struct msg *m = new_msg(DXGW_OP_GET_DEVICE_STATE, PROCESS,
				sizeof(struct dxgw_get_device_state_req));

	put32(m, OFF(struct dxgw_get_device_state_req, device), DEVICE);
	put32(m, OFF(struct dxgw_get_device_state_req, state_type), type);
	return m;
}

static struct msg *good_mark_device_error(void)
{
	struct msg *m = new_msg(DXGW_OP_MARK_DEVICE_ERROR, PROCESS,
				sizeof(struct dxgw_mark_device_error_req));

	put32(m, OFF(struct dxgw_mark_device_error_req, device), DEVICE);
	put32(m, OFF(struct dxgw_mark_device_error_req, reason),
	      D3DKMT_DEVICE_ERROR_REASON_DRIVER_ERROR);
	return m;
}

static struct msg *good_clock_calibration(void)
{
	struct msg *m = new_msg(DXGW_OP_QUERY_CLOCK_CALIBRATION, PROCESS,
				sizeof(struct dxgw_clock_calibration_req));

	put32(m, OFF(struct dxgw_clock_calibration_req, adapter), 0x40000040);
	return m;
}

static struct msg *good_escape(uint32_t priv_size)
{
	const uint32_t fixed = sizeof(struct dxgw_escape_req);
	struct msg *m = new_msg(DXGW_OP_ESCAPE, PROCESS, fixed + priv_size);

	put32(m, OFF(struct dxgw_escape_req, adapter), 0x40000040);
	put32(m, OFF(struct dxgw_escape_req, device), DEVICE);
	put32(m, OFF(struct dxgw_escape_req, context), 0x40000600u);
	put32(m, OFF(struct dxgw_escape_req, type), D3DKMT_ESCAPE_DRIVERPRIVATE);
	put32(m, OFF(struct dxgw_escape_req, flags), D3DDDI_ESCAPE_FLAG_DRIVER_KNOWN_ESCAPE);
	put32(m, OFF(struct dxgw_escape_req, priv_size), priv_size);
	put32(m, fixed + OFF(struct opendxg_escape_header, code), OPENDXG_ESCAPE_CONTEXT_STATS);
	put32(m, fixed + OFF(struct opendxg_escape_header, size), priv_size);
	return m;
}

/* Every good message of the protocol, for the generic envelope mutations. */
static struct msg *good_message(int i)
{
	switch (i) {
	case 0: return good_connect();
	case 1: return new_msg(DXGW_OP_NOP, 0, 0);
	case 2: return good_create_process();
	case 3: return new_msg(DXGW_OP_DESTROY_PROCESS, PROCESS, 0);
	case 4: return new_msg(DXGW_OP_ENUM_ADAPTERS, 0, 0);
	case 5: return good_adapter(DXGW_OP_OPEN_ADAPTER);
	case 6: return good_adapter(DXGW_OP_CLOSE_ADAPTER);
	case 7: return good_qai(4);
	case 8: return good_create_device();
	case 9: return good_destroy(DXGW_OP_DESTROY_DEVICE);
	case 10: return good_create_context(16);
	case 11: return good_destroy(DXGW_OP_DESTROY_CONTEXT);
	case 12: return good_create_context(0);
	case 13: return good_qai(8192);
	case 14: return good_create_allocation();
	case 15: return good_destroy_allocation(3);
	case 16: return good_destroy_allocation(0);
	case 17: return good_lock(DXGW_OP_LOCK);
	case 18: return good_lock(DXGW_OP_UNLOCK);
	case 19: return good_video_memory(DXGW_OP_QUERY_VIDEO_MEMORY);
	case 20: return good_video_memory(DXGW_OP_CHANGE_RESERVATION);
	case 21: return good_alloc_list(DXGW_OP_QUERY_RESIDENCY, 3);
	case 22: return good_alloc_list(DXGW_OP_SET_PRIORITY, 3);
	case 23: return good_alloc_list(DXGW_OP_GET_PRIORITY, 0);
	case 24: return good_alloc_list(DXGW_OP_SET_PRIORITY, 0);
	case 25: return good_offer(3);
	case 26: return good_reclaim(1);
	case 27: return good_update_alloc_property();
	case 28: return good_create_paging_queue();
	case 29: return good_destroy(DXGW_OP_DESTROY_PAGING_QUEUE);
	case 30: return good_make_resident(3, true);
	case 31: return good_make_resident(2, false);
	case 32: return good_evict(2);
	case 33: return good_reserve_gpu_va();
	case 34: return good_map_gpu_va();
	case 35: return good_free_gpu_va();
	case 36: return good_update_gpu_va(4);
	case 37: return good_create_sync_object(D3DDDI_SYNCHRONIZATION_MUTEX);
	case 38: return good_create_sync_object(D3DDDI_SEMAPHORE);
	case 39: return good_create_sync_object(D3DDDI_FENCE);
	case 40: return good_create_sync_object(D3DDDI_CPU_NOTIFICATION);
	case 41: return good_create_sync_object(D3DDDI_MONITORED_FENCE);
	case 42: return good_destroy(DXGW_OP_DESTROY_SYNC_OBJECT);
	case 43: return good_signal_from_cpu(3);
	case 44: return good_get_fence_slots(3);
	case 45: return good_signal_on_queue(3, 2);
	case 46: return good_wait_on_queue(3);
	case 47: return good_create_hw_queue(20);
	case 48: return good_create_hw_queue(0);
	case 49: return good_destroy(DXGW_OP_DESTROY_HW_QUEUE);
	case 50: return good_submit();
	case 51: return good_priority(DXGW_OP_SET_SCHEDULING_PRIORITY);
	case 52: return good_priority(DXGW_OP_GET_SCHEDULING_PRIORITY);
	case 53: return good_get_device_state(D3DKMT_DEVICESTATE_EXECUTION);
	case 54: return good_mark_device_error();
	case 55: return good_clock_calibration();
	case 56: return good_escape(sizeof(struct opendxg_escape_context_stats));
	case 57: return good_escape(8);
	default: return NULL;
	}
}

static void test_good_connect(void **state)
{
	struct msg *m = good_connect();
	struct dxgw_request req;

	(void)state;
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.opcode, DXGW_OP_CONNECT);
	assert_int_equal(req.process, 0);
	assert_int_equal(req.connect.guest_version, DXG_PROTOCOL_VERSION);
	assert_true(req.connect.guest_features == 0x8000000000000001ull);
	free(m);
}

static void test_good_nop_and_vm_scoped(void **state)
{
	static const uint16_t ops[] = { DXGW_OP_NOP, DXGW_OP_ENUM_ADAPTERS };
	struct dxgw_request req;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct msg *m = new_msg(ops[i], 0, 0);

		assert_int_equal(decode(m, &req), 0);
		assert_int_equal(req.opcode, ops[i]);
		free(m);
	}
}

static void test_good_create_process(void **state)
{
	struct msg *m = good_create_process();
	struct dxgw_request req;

	(void)state;
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.create_process.pid, 4242);
	assert_string_equal(req.create_process.name, "dxgtest");

	/* A full 16-character name needs no terminator on the wire. */
	memcpy(m->body + offsetof(struct dxgw_create_process_req, name), "0123456789abcdef", 16);
	assert_int_equal(decode(m, &req), 0);
	assert_string_equal(req.create_process.name, "0123456789abcdef");
	free(m);
}

static void test_good_destroy_process(void **state)
{
	struct msg *m = new_msg(DXGW_OP_DESTROY_PROCESS, PROCESS, 0);
	struct dxgw_request req;

	(void)state;
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.process, PROCESS);
	free(m);
}

static void test_good_adapter_ops(void **state)
{
	static const uint16_t ops[] = { DXGW_OP_OPEN_ADAPTER, DXGW_OP_CLOSE_ADAPTER };
	struct dxgw_request req;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct msg *m = good_adapter(ops[i]);

		assert_int_equal(decode(m, &req), 0);
		assert_int_equal(req.opcode, ops[i]);
		assert_int_equal(req.process, PROCESS);
		assert_int_equal(req.adapter.adapter, 0x40000040);
		free(m);
	}
}

static void test_good_query_adapter_info(void **state)
{
	static const uint32_t sizes[] = { 1, 4, 8192, DXGW_MAX_QAI_DATA };
	struct dxgw_request req;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct msg *m = good_qai(sizes[i]);

		assert_int_equal(decode(m, &req), 0);
		assert_int_equal(req.query_adapter_info.adapter, 0x40000040);
		assert_int_equal(req.query_adapter_info.type, 57);
		assert_int_equal(req.query_adapter_info.data_size, sizes[i]);
		/* The data pointer points into the record, right after the fixed part. */
		assert_ptr_equal(req.query_adapter_info.data,
				 record + sizeof(struct dxgw_hdr) +
				 sizeof(struct dxgw_query_adapter_info_req));
		assert_int_equal(req.query_adapter_info.data[sizes[i] - 1],
				 (unsigned char)((sizes[i] - 1) * 7 + 1));
		free(m);
	}
}

static void test_good_create_device(void **state)
{
	struct msg *m = good_create_device();
	struct dxgw_request req;

	(void)state;
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.create_device.adapter, 0x40000040);
	assert_int_equal(req.create_device.flags, DXGW_CREATE_DEVICE_FLAGS_MASK);
	free(m);
}

static void test_good_destroy_ops(void **state)
{
	static const uint16_t ops[] = { DXGW_OP_DESTROY_DEVICE, DXGW_OP_DESTROY_CONTEXT };
	struct dxgw_request req;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct msg *m = good_destroy(ops[i]);

		assert_int_equal(decode(m, &req), 0);
		assert_int_equal(req.destroy.handle, 0x400000c0);
		free(m);
	}
}

static void test_good_create_context(void **state)
{
	static const uint32_t sizes[] = { 0, 1, 64, DXGW_MAX_CONTEXT_PRIV };
	struct dxgw_request req;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct msg *m = good_create_context(sizes[i]);

		assert_int_equal(decode(m, &req), 0);
		assert_int_equal(req.create_context.device, 0x400000c0);
		assert_int_equal(req.create_context.node_ordinal, 3);
		assert_int_equal(req.create_context.engine_affinity, 1);
		assert_int_equal(req.create_context.flags, 0x10);
		assert_int_equal(req.create_context.client_hint, 2);
		assert_int_equal(req.create_context.priv_size, sizes[i]);
		if (sizes[i])
			assert_int_equal(req.create_context.priv[sizes[i] - 1], 0xab);
		else
			assert_null(req.create_context.priv);
		free(m);
	}
}

/* Envelope faults are -EPROTO for every opcode; body length faults -EINVAL. */
static void test_envelope_faults_every_opcode(void **state)
{
	struct dxgw_request req;

	(void)state;
	for (int i = 0;; i++) {
		struct msg *m = good_message(i);

		if (!m)
			break;
		assert_int_equal(decode(m, &req), 0);

		m->flags = DXGW_FLAG_REPLY;
		assert_int_equal(decode(m, &req), -EPROTO);
		m->flags = 0x8000;
		assert_int_equal(decode(m, &req), -EPROTO);
		m->flags = 0;

		m->status = (uint32_t)-EINVAL;
		assert_int_equal(decode(m, &req), -EPROTO);
		m->status = 0;

		m->reserved = 1ull << 63;
		assert_int_equal(decode(m, &req), -EPROTO);
		m->reserved = 0;

		/* hdr.size says one byte more, one byte less, or wildly more than the record. */
		m->size_delta = 1;
		assert_int_equal(decode(m, &req), -EPROTO);
		m->size_delta = (uint32_t)-1;
		assert_int_equal(decode(m, &req), -EPROTO);
		m->size_delta = 0x80000000u;
		assert_int_equal(decode(m, &req), -EPROTO);
		m->size_delta = 0;

		/* One byte more than the opcode's body (trailing garbage, or a longer body). */
		m->body[m->body_len] = 0;
		m->body_len += 1;
		assert_int_equal(decode(m, &req), -EINVAL);
		m->body_len += 7;
		assert_int_equal(decode(m, &req), -EINVAL);
		m->body_len -= 8;

		/* Truncated by one byte (only possible where the body is not empty). */
		if (m->body_len) {
			m->body_len -= 1;
			assert_int_equal(decode(m, &req), -EINVAL);
			m->body_len += 1;
		}

		/* The wrong scope: process-scoped without a process, VM-scoped with one. */
		m->process = m->process ? 0 : PROCESS;
		assert_int_equal(decode(m, &req), -EINVAL);
		assert_int_equal(req.opcode, m->opcode);
		free(m);
	}
}

static void test_short_records(void **state)
{
	struct msg *m = new_msg(DXGW_OP_NOP, 0, 0);
	struct dxgw_request req;
	bool id_valid;
	uint32_t len = build(m);

	(void)state;
	assert_int_equal(len, sizeof(struct dxgw_hdr));
	/* Without the first 16 bytes the request cannot even be answered. */
	for (uint32_t l = 0; l < 16; l++) {
		id_valid = true;
		assert_int_equal(dxgw_decode_request(record, l, &req, &id_valid), -EPROTO);
		assert_false(id_valid);
	}
	for (uint32_t l = 16; l < sizeof(struct dxgw_hdr); l++) {
		id_valid = false;
		assert_int_equal(dxgw_decode_request(record, l, &req, &id_valid), -EPROTO);
		assert_true(id_valid);
		assert_true(req.request_id == m->request_id);
	}
	free(m);
}

static void test_oversized_record(void **state)
{
	struct msg *m = new_msg(DXGW_OP_NOP, 0, DXGW_MAX_BODY + 8);
	struct dxgw_request req;

	(void)state;
	/* Longer than any message: rejected before the opcode is even looked at. */
	assert_int_equal(decode(m, &req), -EPROTO);
	free(m);
}

static void test_unknown_opcodes(void **state)
{
	static const uint16_t ops[] = { 0x0000, 0x0003, 0x0012, 0x0104, 0x0202, 0x0302, 0xffff };
	struct dxgw_request req;

	(void)state;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct msg *m = new_msg(ops[i], 0, 0);

		assert_false(dxgw_opcode_known(ops[i]));
		assert_int_equal(decode(m, &req), -ENOSYS);
		assert_int_equal(req.opcode, ops[i]);
		m->process = PROCESS;
		assert_int_equal(decode(m, &req), -ENOSYS);
		free(m);
	}
}

static void test_reserved_body_fields(void **state)
{
	struct dxgw_request req;
	struct msg *m;

	(void)state;
	m = good_connect();
	put32(m, offsetof(struct dxgw_connect_req, reserved0), 1);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);

	m = good_create_process();
	put32(m, offsetof(struct dxgw_create_process_req, reserved0), 0x100);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);

	m = good_adapter(DXGW_OP_OPEN_ADAPTER);
	put32(m, offsetof(struct dxgw_adapter_req, reserved0), 1);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);

	m = good_qai(4);
	put32(m, offsetof(struct dxgw_query_adapter_info_req, reserved0), 1);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);

	m = good_destroy(DXGW_OP_DESTROY_CONTEXT);
	put32(m, offsetof(struct dxgw_destroy_req, reserved0), 0x80000000u);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
}

static void test_process_name_padding(void **state)
{
	struct msg *m = good_create_process();
	struct dxgw_request req;

	(void)state;
	/* A byte after the terminator: the guest did not clear its buffer. */
	m->body[offsetof(struct dxgw_create_process_req, name) + 10] = 'x';
	assert_int_equal(decode(m, &req), -EINVAL);
	/* Non-printable bytes before the terminator are the host's to sanitize, not an error. */
	m->body[offsetof(struct dxgw_create_process_req, name) + 10] = 0;
	m->body[offsetof(struct dxgw_create_process_req, name) + 1] = '\n';
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.create_process.name[1], '\n');
	free(m);
}

static void test_flags(void **state)
{
	struct dxgw_request req;
	struct msg *m;

	(void)state;
	m = good_create_device();
	put32(m, offsetof(struct dxgw_create_device_req, flags), DXGW_CREATE_DEVICE_FLAGS_MASK + 1);
	assert_int_equal(decode(m, &req), -EINVAL);
	put32(m, offsetof(struct dxgw_create_device_req, flags), 0x80000000u);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);

	m = good_create_context(0);
	put32(m, offsetof(struct dxgw_create_context_req, flags), 0x20);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
}

static void test_qai_sizes(void **state)
{
	const size_t size_off = offsetof(struct dxgw_query_adapter_info_req, data_size);
	struct dxgw_request req;
	struct msg *m = good_qai(8);

	(void)state;
	/* data_size 0, one past the limit, and values that overflow when added to the fixed part. */
	put32(m, size_off, 0);
	m->body_len = sizeof(struct dxgw_query_adapter_info_req);
	assert_int_equal(decode(m, &req), -EINVAL);
	put32(m, size_off, 0xfffffff0u);
	m->body_len = sizeof(struct dxgw_query_adapter_info_req) + 8;
	assert_int_equal(decode(m, &req), -EINVAL);
	put32(m, size_off, 0xffffffffu);
	assert_int_equal(decode(m, &req), -EINVAL);
	put32(m, size_off, DXGW_MAX_QAI_DATA + 1);
	m->body_len = sizeof(struct dxgw_query_adapter_info_req) + DXGW_MAX_QAI_DATA + 1;
	assert_int_equal(decode(m, &req), -EINVAL);
	/* data_size that disagrees with the record, either way. */
	put32(m, size_off, 16);
	m->body_len = sizeof(struct dxgw_query_adapter_info_req) + 8;
	assert_int_equal(decode(m, &req), -EINVAL);
	put32(m, size_off, 4);
	assert_int_equal(decode(m, &req), -EINVAL);
	/* Shorter than the fixed part. */
	m->body_len = sizeof(struct dxgw_query_adapter_info_req) - 4;
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
}

static void test_context_priv_sizes(void **state)
{
	const size_t size_off = offsetof(struct dxgw_create_context_req, priv_size);
	const uint32_t fixed = sizeof(struct dxgw_create_context_req);
	struct dxgw_request req;
	struct msg *m = good_create_context(32);

	(void)state;
	put32(m, size_off, 0xffffffe8u);	/* fixed + this wraps to 0 in 32 bits */
	m->body_len = fixed;
	assert_int_equal(decode(m, &req), -EINVAL);
	put32(m, size_off, DXGW_MAX_CONTEXT_PRIV + 1);
	m->body_len = fixed + DXGW_MAX_CONTEXT_PRIV + 1;
	assert_int_equal(decode(m, &req), -EINVAL);
	put32(m, size_off, 33);
	m->body_len = fixed + 32;
	assert_int_equal(decode(m, &req), -EINVAL);
	put32(m, size_off, 0);
	assert_int_equal(decode(m, &req), -EINVAL);
	m->body_len = fixed - 1;
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
}

static void test_good_memory_ops(void **state)
{
	struct dxgw_request req;
	struct dxgw_alloc_info d;
	struct dxgw_gpu_va_op_info op;
	struct msg *m;

	(void)state;
	m = good_create_allocation();
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.create_allocation.device, DEVICE);
	assert_int_equal(req.create_allocation.alloc_count, 3);
	assert_int_equal(req.create_allocation.runtime_data_size, 5);
	assert_memory_equal(req.create_allocation.runtime_data, "abcde", 5);
	assert_ptr_equal(req.create_allocation.code, record + sizeof(struct dxgw_hdr) + CA_CODE);
	dxgw_get_alloc_desc(&req, 1, &d);
	assert_int_equal(d.kind, OPENDXG_ALLOC_KIND_DEVICE_LOCAL);
	assert_true(d.size == 8192);
	assert_int_equal(d.priority, 7);
	dxgw_get_alloc_desc(&req, 2, &d);
	assert_int_equal(d.code_size, 20);
	free(m);

	m = good_destroy_allocation(3);
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.destroy_allocation.count, 3);
	assert_int_equal(dxgw_list_get(req.destroy_allocation.handles, 2), ALLOC(2));
	free(m);
	m = good_destroy_allocation(0);
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.destroy_allocation.resource, 0x40000400u);
	assert_null(req.destroy_allocation.handles);
	free(m);

	m = good_alloc_list(DXGW_OP_SET_PRIORITY, 3);
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(dxgw_list_get(req.alloc_list.values, 2), 0x78000002u);
	free(m);
	m = good_alloc_list(DXGW_OP_SET_PRIORITY, 0);
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(dxgw_list_get(req.alloc_list.values, 0), 0x78000000u);
	free(m);

	m = good_offer(3);
	assert_int_equal(decode(m, &req), 0);
	assert_true(req.offer.resources);
	assert_int_equal(req.offer.priority, D3DKMT_OFFER_PRIORITY_AUTO);
	free(m);

	m = good_create_paging_queue();
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.create_paging_queue.priority, -1);
	free(m);

	m = good_make_resident(3, true);
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(dxgw_list_get(req.make_resident.handles, 1), ALLOC(1));
	assert_int_equal(dxgw_list_get(req.make_resident.priorities, 2), 0x78000002u);
	free(m);
	m = good_make_resident(2, false);
	assert_int_equal(decode(m, &req), 0);
	assert_null(req.make_resident.priorities);
	free(m);

	m = good_reserve_gpu_va();
	assert_int_equal(decode(m, &req), 0);
	assert_true(req.reserve_gpu_va.size == 0x200000);
	assert_true(req.reserve_gpu_va.driver_protection == 0x1234);
	free(m);
	m = good_map_gpu_va();
	assert_int_equal(decode(m, &req), 0);
	assert_true(req.map_gpu_va.offset_in_pages == 2 && req.map_gpu_va.size_in_pages == 3);
	free(m);
	m = good_update_gpu_va(4);
	assert_int_equal(decode(m, &req), 0);
	assert_true(req.update_gpu_va.fence_value == 42);
	dxgw_get_gpu_va_op(&req, 3, &op);
	assert_int_equal(op.operation, D3DDDI_UPDATEGPUVIRTUALADDRESS_COPY);
	assert_true(op.dest_address == 0x300000);
	dxgw_get_gpu_va_op(&req, 1, &op);
	assert_int_equal(op.allocation, ALLOC(1));
	assert_true(op.driver_protection == 5);
	free(m);
}

/* Sets the u32 at `off` to `v`, expects `ret`, and restores the old value. */
static void expect32(struct msg *m, size_t off, uint32_t v, int ret)
{
	uint32_t old = dxg_get_le32(m->body + off);
	struct dxgw_request req;

	put32(m, off, v);
	assert_int_equal(decode(m, &req), ret);
	put32(m, off, old);
	assert_int_equal(decode(m, &req), 0);
}

static void expect64(struct msg *m, size_t off, uint64_t v, int ret)
{
	uint64_t old = dxg_get_le64(m->body + off);
	struct dxgw_request req;

	put64(m, off, v);
	assert_int_equal(decode(m, &req), ret);
	put64(m, off, old);
	assert_int_equal(decode(m, &req), 0);
}

static void test_memory_reserved_and_padding(void **state)
{
	struct msg *m;

	(void)state;
	m = good_create_allocation();
	expect32(m, OFF(struct dxgw_create_allocation_req, reserved0), 1, -EINVAL);
	m->body[CA_RUNTIME + 5] = 1;		/* runtime padding */
	assert_int_equal(decode(m, &(struct dxgw_request){ 0 }), -EINVAL);
	m->body[CA_RUNTIME + 5] = 0;
	m->body[CA_CODE + 20] = 1;		/* code padding */
	assert_int_equal(decode(m, &(struct dxgw_request){ 0 }), -EINVAL);
	m->body[CA_CODE + 20] = 0;
	expect32(m, CA_DESCS + OFF(struct dxgw_alloc_desc, flags), 1, -EINVAL);
	free(m);

	m = good_destroy_allocation(3);
	expect32(m, sizeof(struct dxgw_destroy_allocation_req) + 12, 1, -EINVAL);	/* pad */
	free(m);
	m = good_lock(DXGW_OP_LOCK);
	expect32(m, OFF(struct dxgw_lock_req, reserved0), 1, -EINVAL);
	expect32(m, OFF(struct dxgw_lock_req, flags), 1, -EINVAL);
	free(m);
	m = good_alloc_list(DXGW_OP_QUERY_RESIDENCY, 3);
	expect32(m, OFF(struct dxgw_alloc_list_req, reserved0), 1, -EINVAL);
	expect32(m, sizeof(struct dxgw_alloc_list_req) + 12, 1, -EINVAL);
	free(m);
	m = good_alloc_list(DXGW_OP_SET_PRIORITY, 3);
	expect32(m, sizeof(struct dxgw_alloc_list_req) + 16 + 12, 1, -EINVAL);	/* value pad */
	free(m);
	m = good_offer(3);
	expect32(m, OFF(struct dxgw_offer_req, reserved0), 1, -EINVAL);
	free(m);
	m = good_reclaim(1);
	expect32(m, OFF(struct dxgw_reclaim_req, reserved0), 1, -EINVAL);
	expect32(m, sizeof(struct dxgw_reclaim_req) + 4, 1, -EINVAL);
	free(m);
	m = good_make_resident(3, true);
	expect32(m, sizeof(struct dxgw_make_resident_req) + 16 + 12, 1, -EINVAL);
	free(m);
	m = good_evict(2);
	expect32(m, OFF(struct dxgw_evict_req, reserved0), 1, -EINVAL);
	free(m);
	m = good_reserve_gpu_va();
	expect32(m, OFF(struct dxgw_reserve_gpu_va_req, reserved0), 1, -EINVAL);
	free(m);
	m = good_free_gpu_va();
	expect32(m, OFF(struct dxgw_free_gpu_va_req, reserved0), 1, -EINVAL);
	free(m);
	m = good_destroy(DXGW_OP_DESTROY_PAGING_QUEUE);
	expect32(m, OFF(struct dxgw_destroy_req, reserved0), 1, -EINVAL);
	free(m);
	m = good_update_gpu_va(4);
	expect32(m, OFF(struct dxgw_update_gpu_va_req, reserved0), 1, -EINVAL);
	{
		const size_t op0 = sizeof(struct dxgw_update_gpu_va_req);
		const size_t op1 = op0 + sizeof(struct dxgw_gpu_va_op);
		const size_t op2 = op1 + sizeof(struct dxgw_gpu_va_op);
		const size_t op3 = op2 + sizeof(struct dxgw_gpu_va_op);

		expect32(m, op0 + OFF(struct dxgw_gpu_va_op, reserved0), 1, -EINVAL);
		expect32(m, op0 + OFF(struct dxgw_gpu_va_op, reserved1), 1, -EINVAL);
		/* Fields an operation does not use: dest on MAP, allocation on UNMAP/COPY,
		 * protection on MAP/COPY, driver protection on all but MAP_PROTECT. */
		expect64(m, op0 + OFF(struct dxgw_gpu_va_op, dest_address), 0x1000, -EINVAL);
		expect64(m, op0 + OFF(struct dxgw_gpu_va_op, protection), 1, -EINVAL);
		expect64(m, op0 + OFF(struct dxgw_gpu_va_op, driver_protection), 1, -EINVAL);
		expect32(m, op2 + OFF(struct dxgw_gpu_va_op, allocation), 1, -EINVAL);
		expect64(m, op2 + OFF(struct dxgw_gpu_va_op, allocation_offset), 0x1000, -EINVAL);
		expect64(m, op2 + OFF(struct dxgw_gpu_va_op, driver_protection), 1, -EINVAL);
		expect64(m, op3 + OFF(struct dxgw_gpu_va_op, protection), 1, -EINVAL);
		expect32(m, op3 + OFF(struct dxgw_gpu_va_op, allocation), 1, -EINVAL);
		expect64(m, op1 + OFF(struct dxgw_gpu_va_op, protection), 0x20, -EINVAL);
		expect32(m, op1 + OFF(struct dxgw_gpu_va_op, operation), 4, -EINVAL);
	}
	free(m);
}

static void test_memory_flags_and_values(void **state)
{
	struct msg *m;

	(void)state;
	m = good_create_allocation();
	/* Only DXGW_CREATE_ALLOCATION_FLAGS; CREATE_SHARED needs NT_SECURITY_SHARING too. */
	expect32(m, OFF(struct dxgw_create_allocation_req, flags),
		 D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE |
		 D3DKMT_CREATEALLOCATION_FLAG_EXISTING_SYSMEM, -EINVAL);
	expect32(m, OFF(struct dxgw_create_allocation_req, flags),
		 D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE |
		 D3DKMT_CREATEALLOCATION_FLAG_CREATE_SHARED, -EINVAL);
	expect32(m, OFF(struct dxgw_create_allocation_req, flags),
		 D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE |
		 D3DKMT_CREATEALLOCATION_FLAG_CREATE_SHARED |
		 D3DKMT_CREATEALLOCATION_FLAG_NT_SECURITY_SHARING, 0);
	/* Runtime data without CREATE_RESOURCE; a resource handle with it. */
	expect32(m, OFF(struct dxgw_create_allocation_req, flags), 0, -EINVAL);
	expect32(m, OFF(struct dxgw_create_allocation_req, resource), 0x40000400u, -EINVAL);
	/* Descriptors: kind, size 0, code rules. */
	expect32(m, CA_DESCS + OFF(struct dxgw_alloc_desc, kind), 0, -EINVAL);
	expect32(m, CA_DESCS + OFF(struct dxgw_alloc_desc, kind), 4, -EINVAL);
	expect64(m, CA_DESCS + OFF(struct dxgw_alloc_desc, size), 0, -EINVAL);
	expect32(m, CA_DESCS + OFF(struct dxgw_alloc_desc, code_size), 8, -EINVAL);
	expect64(m, CA_DESCS + 48 + OFF(struct dxgw_alloc_desc, size), 24, -EINVAL);
	free(m);
	{
		/* A program of 16 (too short) or 22 bytes (not words), consistently framed. */
		static const uint32_t bad_sizes[] = { 16, 22 };

		for (int i = 0; i < 2; i++) {
			struct msg *p = new_msg(DXGW_OP_CREATE_ALLOCATION, PROCESS,
						24 + 24 + dxgw_pad8(bad_sizes[i]));

			put32(p, OFF(struct dxgw_create_allocation_req, device), DEVICE);
			put32(p, OFF(struct dxgw_create_allocation_req, alloc_count), 1);
			put_desc(p, 24, OPENDXG_ALLOC_KIND_PROGRAM, bad_sizes[i], 0, bad_sizes[i]);
			assert_int_equal(decode(p, &(struct dxgw_request){ 0 }), -EINVAL);
			free(p);
		}
	}

	m = good_destroy_allocation(3);
	expect32(m, OFF(struct dxgw_destroy_allocation_req, flags), 4, -EINVAL);
	/* Both a resource and a list. */
	expect32(m, OFF(struct dxgw_destroy_allocation_req, resource), 0x40000400u, -EINVAL);
	free(m);
	m = good_video_memory(DXGW_OP_QUERY_VIDEO_MEMORY);
	expect32(m, OFF(struct dxgw_video_memory_req, segment_group), 2, -EINVAL);
	expect64(m, OFF(struct dxgw_video_memory_req, reservation), 1, -EINVAL);
	free(m);
	m = good_offer(3);
	expect32(m, OFF(struct dxgw_offer_req, priority), 0, -EINVAL);
	expect32(m, OFF(struct dxgw_offer_req, priority), 5, -EINVAL);
	expect32(m, OFF(struct dxgw_offer_req, flags), 4, -EINVAL);
	expect32(m, OFF(struct dxgw_offer_req, resources), 2, -EINVAL);
	free(m);
	m = good_reclaim(1);
	expect32(m, OFF(struct dxgw_reclaim_req, resources), 2, -EINVAL);
	free(m);
	m = good_update_alloc_property();
	expect32(m, OFF(struct dxgw_update_alloc_property_req, property_mask), 0, -EINVAL);
	expect32(m, OFF(struct dxgw_update_alloc_property_req, property_mask), 8, -EINVAL);
	expect32(m, OFF(struct dxgw_update_alloc_property_req, flags), 2, -EINVAL);
	expect32(m, OFF(struct dxgw_update_alloc_property_req, supported_segment_set), 4, -EINVAL);
	expect32(m, OFF(struct dxgw_update_alloc_property_req, preferred_segment), 3, -EINVAL);
	free(m);
	m = good_create_paging_queue();
	expect32(m, OFF(struct dxgw_create_paging_queue_req, priority), 2, -EINVAL);
	expect32(m, OFF(struct dxgw_create_paging_queue_req, priority), (uint32_t)-2, -EINVAL);
	free(m);
	m = good_make_resident(2, false);
	expect32(m, OFF(struct dxgw_make_resident_req, flags), 4, -EINVAL);
	free(m);
	m = good_evict(2);
	expect32(m, OFF(struct dxgw_evict_req, flags), 4, -EINVAL);
	free(m);
	m = good_reserve_gpu_va();
	expect32(m, OFF(struct dxgw_reserve_gpu_va_req, reservation_type), 3, -EINVAL);
	put32(m, OFF(struct dxgw_reserve_gpu_va_req, paging_queue), 0x40000500u);
	/* Named by the queue alone is fine; by neither is not. */
	expect32(m, OFF(struct dxgw_reserve_gpu_va_req, adapter), 0, 0);
	put32(m, OFF(struct dxgw_reserve_gpu_va_req, adapter), 0);
	expect32(m, OFF(struct dxgw_reserve_gpu_va_req, paging_queue), 0, -EINVAL);
	free(m);
	m = good_map_gpu_va();
	expect64(m, OFF(struct dxgw_map_gpu_va_req, protection), 0x40, -EINVAL);
	free(m);
	m = good_update_gpu_va(4);
	expect32(m, OFF(struct dxgw_update_gpu_va_req, flags), 2, -EINVAL);
	free(m);
}

/* Counts of 0 and one past the limit, and the largest lists, for every counted opcode. */
static void test_memory_counts(void **state)
{
	struct dxgw_request req;
	struct msg *m;

	(void)state;
	/* The bodies below are consistent with their counts: only the count is wrong. */
	m = good_list_msg(DXGW_OP_DESTROY_ALLOCATION, sizeof(struct dxgw_destroy_allocation_req),
			  DXGW_MAX_ALLOCATIONS + 1,
			  OFF(struct dxgw_destroy_allocation_req, alloc_count), 0);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
	m = good_destroy_allocation(DXGW_MAX_ALLOCATIONS);
	assert_int_equal(decode(m, &req), 0);
	free(m);
	m = good_destroy_allocation(0);
	put32(m, OFF(struct dxgw_destroy_allocation_req, resource), 0);	/* neither */
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);

	for (int op = 0; op < 3; op++) {
		static const uint16_t ops[] = { DXGW_OP_QUERY_RESIDENCY, DXGW_OP_SET_PRIORITY,
						DXGW_OP_GET_PRIORITY };

		m = good_alloc_list(ops[op], DXGW_MAX_RESIDENCY_HANDLES);
		assert_int_equal(decode(m, &req), 0);
		free(m);
		m = good_alloc_list(ops[op], DXGW_MAX_RESIDENCY_HANDLES + 1);
		assert_int_equal(decode(m, &req), -EINVAL);
		free(m);
		m = good_alloc_list(ops[op], 0);
		put32(m, OFF(struct dxgw_alloc_list_req, resource), 0);
		assert_int_equal(decode(m, &req), -EINVAL);
		free(m);
	}
	m = good_offer(0);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
	m = good_offer(DXGW_MAX_RESIDENCY_HANDLES + 1);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
	m = good_reclaim(0);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
	m = good_reclaim(DXGW_MAX_RESIDENCY_HANDLES);
	assert_int_equal(decode(m, &req), 0);
	free(m);
	m = good_make_resident(0, false);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
	m = good_make_resident(DXGW_MAX_RESIDENCY_HANDLES, true);
	assert_int_equal(decode(m, &req), 0);
	free(m);
	m = good_make_resident(DXGW_MAX_RESIDENCY_HANDLES + 1, false);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
	/* has_priorities 1 without the priorities, 2 with twice as many values. */
	m = good_make_resident(2, false);
	expect32(m, OFF(struct dxgw_make_resident_req, has_priorities), 1, -EINVAL);
	free(m);
	m = good_make_resident(2, true);
	expect32(m, OFF(struct dxgw_make_resident_req, has_priorities), 2, -EINVAL);
	expect32(m, OFF(struct dxgw_make_resident_req, has_priorities), 0, -EINVAL);
	free(m);
	m = good_evict(0);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
	m = good_evict(DXGW_MAX_RESIDENCY_HANDLES + 1);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
	m = good_update_gpu_va(DXGW_MAX_GPUVA_OPS);
	assert_int_equal(decode(m, &req), 0);
	free(m);
	m = good_update_gpu_va(DXGW_MAX_GPUVA_OPS);
	put32(m, OFF(struct dxgw_update_gpu_va_req, num_operations), 0);
	assert_int_equal(decode(m, &req), -EINVAL);
	put32(m, OFF(struct dxgw_update_gpu_va_req, num_operations), DXGW_MAX_GPUVA_OPS + 1);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);

	/* CREATE_ALLOCATION: 0 and 1025 descriptors; 1024 of them fit. */
	m = good_create_allocation();
	expect32(m, OFF(struct dxgw_create_allocation_req, alloc_count), 0, -EINVAL);
	expect32(m, OFF(struct dxgw_create_allocation_req, alloc_count), 1025, -EINVAL);
	/* A count that disagrees with the body. */
	expect32(m, OFF(struct dxgw_create_allocation_req, alloc_count), 2, -EINVAL);
	/* runtime_data_size past the body, past the limit. */
	expect32(m, OFF(struct dxgw_create_allocation_req, runtime_data_size), 13, -EINVAL);
	expect32(m, OFF(struct dxgw_create_allocation_req, runtime_data_size),
		 DXGW_MAX_ALLOC_PRIV + 1, -EINVAL);
	expect32(m, OFF(struct dxgw_create_allocation_req, runtime_data_size), 0xfffffff8u,
		 -EINVAL);
	free(m);
	{
		const uint32_t n = DXGW_MAX_ALLOCATIONS;
		struct msg *big = new_msg(DXGW_OP_CREATE_ALLOCATION, PROCESS, 24 + n * 24);

		put32(big, OFF(struct dxgw_create_allocation_req, device), DEVICE);
		put32(big, OFF(struct dxgw_create_allocation_req, alloc_count), n);
		for (uint32_t i = 0; i < n; i++)
			put_desc(big, 24 + 24 * i, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 1, 0, 0);
		assert_int_equal(decode(big, &req), 0);
		/* As a new resource too: 1024 KMD headers are 32 KiB of private data. */
		put32(big, OFF(struct dxgw_create_allocation_req, flags),
		      D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE);
		assert_int_equal(decode(big, &req), 0);
		free(big);
	}
	{
		/* One program of 100 KiB and the runtime data that fills the 128 KiB of private
		 * data with its 32-byte KMD header; 8 bytes more are too many. */
		const uint32_t code = 100 * 1024, runtime = 128 * 1024 - 32 - code;
		struct msg *big = new_msg(DXGW_OP_CREATE_ALLOCATION, PROCESS,
					  24 + runtime + 24 + code);

		put32(big, OFF(struct dxgw_create_allocation_req, device), DEVICE);
		put32(big, OFF(struct dxgw_create_allocation_req, flags),
		      D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE);
		put32(big, OFF(struct dxgw_create_allocation_req, alloc_count), 1);
		put32(big, OFF(struct dxgw_create_allocation_req, runtime_data_size), runtime);
		put_desc(big, 24 + runtime, OPENDXG_ALLOC_KIND_PROGRAM, code, 0, code);
		assert_int_equal(decode(big, &req), 0);	/* exactly 128 KiB */
		put32(big, OFF(struct dxgw_create_allocation_req, runtime_data_size), runtime + 8);
		big->body_len += 8;
		memmove(big->body + 24 + runtime + 8, big->body + 24 + runtime, 24 + code);
		memset(big->body + 24 + runtime, 0, 8);
		assert_int_equal(decode(big, &req), -EINVAL);
		free(big);
	}
}

static void test_good_sync_ops(void **state)
{
	static const uint32_t types[] = { D3DDDI_SYNCHRONIZATION_MUTEX, D3DDDI_SEMAPHORE,
					  D3DDDI_FENCE, D3DDDI_CPU_NOTIFICATION,
					  D3DDDI_MONITORED_FENCE };
	static const uint64_t v0[] = { 1, 10, 0x123456789ull, 0, 0x123456789ull };
	static const uint64_t v1[] = { 0, 3, 0, 0, 0 };
	struct dxgw_request req;
	struct msg *m;

	(void)state;
	for (size_t i = 0; i < 5; i++) {
		m = good_create_sync_object(types[i]);
		assert_int_equal(decode(m, &req), 0);
		assert_int_equal(req.create_sync_object.device, DEVICE);
		assert_int_equal(req.create_sync_object.type, types[i]);
		assert_int_equal(req.create_sync_object.flags, 0x44);
		assert_true(req.create_sync_object.value0 == v0[i]);
		assert_true(req.create_sync_object.value1 == v1[i]);
		free(m);
	}

	m = good_destroy(DXGW_OP_DESTROY_SYNC_OBJECT);
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.destroy.handle, 0x400000c0);
	free(m);

	for (uint32_t n = 1; n <= DXGW_MAX_SYNC_OBJECTS; n += 31) {
		m = good_signal_from_cpu(n);
		assert_int_equal(decode(m, &req), 0);
		assert_int_equal(req.signal_from_cpu.device, DEVICE);
		assert_int_equal(req.signal_from_cpu.count, n);
		assert_int_equal(req.signal_from_cpu.flags, D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND);
		assert_int_equal(dxgw_list_get(req.signal_from_cpu.handles, n - 1), SYNC(n - 1));
		assert_true(dxgw_value_get(req.signal_from_cpu.values, n - 1) == 1000 + n - 1);
		free(m);

		m = good_get_fence_slots(n);
		assert_int_equal(decode(m, &req), 0);
		assert_int_equal(req.get_fence_slots.device, DEVICE);
		assert_int_equal(req.get_fence_slots.count, n);
		assert_int_equal(dxgw_list_get(req.get_fence_slots.handles, 0), SYNC(0));
		free(m);

		m = good_wait_on_queue(n);
		assert_int_equal(decode(m, &req), 0);
		assert_int_equal(req.wait_on_queue.queue, QUEUE(0));
		assert_int_equal(req.wait_on_queue.object_count, n);
		assert_int_equal(dxgw_list_get(req.wait_on_queue.objects, n - 1), SYNC(n - 1));
		assert_true(dxgw_value_get(req.wait_on_queue.values, n - 1) == 1000 + n - 1);
		free(m);
	}

	m = good_signal_on_queue(DXGW_MAX_QUEUES, DXGW_MAX_SYNC_OBJECTS);
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.signal_on_queue.queue_count, DXGW_MAX_QUEUES);
	assert_int_equal(req.signal_on_queue.object_count, DXGW_MAX_SYNC_OBJECTS);
	assert_int_equal(req.signal_on_queue.flags, 5);
	assert_int_equal(dxgw_list_get(req.signal_on_queue.queues, 63), QUEUE(63));
	assert_int_equal(dxgw_list_get(req.signal_on_queue.objects, 31), SYNC(31));
	assert_true(dxgw_value_get(req.signal_on_queue.values, 31) == 1031);
	free(m);
	/* Odd counts: both lists carry padding. */
	m = good_signal_on_queue(3, 1);
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(dxgw_list_get(req.signal_on_queue.queues, 2), QUEUE(2));
	assert_int_equal(dxgw_list_get(req.signal_on_queue.objects, 0), SYNC(0));
	assert_true(dxgw_value_get(req.signal_on_queue.values, 0) == 1000);
	assert_ptr_equal(req.signal_on_queue.values, req.signal_on_queue.objects + 8);
	free(m);
}

static void test_good_exec_ops(void **state)
{
	struct dxgw_request req;
	struct msg *m;

	(void)state;
	m = good_create_hw_queue(20);
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.create_hw_queue.context, 0x40000600u);
	assert_int_equal(req.create_hw_queue.flags, D3DDDI_CREATEHWQUEUE_FLAG_DISABLE_GPU_TIMEOUT);
	assert_int_equal(req.create_hw_queue.priv_size, 20);
	assert_int_equal(req.create_hw_queue.priv[19], 0x5a);
	free(m);
	m = good_create_hw_queue(DXGW_MAX_HWQUEUE_PRIV);
	assert_int_equal(decode(m, &req), 0);
	free(m);
	m = good_create_hw_queue(0);
	assert_int_equal(decode(m, &req), 0);
	assert_null(req.create_hw_queue.priv);
	free(m);

	m = good_submit();
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.submit.queue, QUEUE(0));
	assert_int_equal(req.submit.flags, D3DKMT_SUBMITCOMMAND_FLAG_NULL_RENDERING);
	assert_true(req.submit.command_buffer == 0x100000);
	assert_int_equal(req.submit.length, 4096);
	assert_true(req.submit.progress_fence_value == 77);
	free(m);

	m = good_priority(DXGW_OP_SET_SCHEDULING_PRIORITY);
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.scheduling_priority.context, 0x40000600u);
	assert_int_equal(req.scheduling_priority.priority, -7);
	assert_int_equal(req.scheduling_priority.in_process, 1);
	free(m);
	m = good_priority(DXGW_OP_GET_SCHEDULING_PRIORITY);
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.scheduling_priority.priority, 0);
	free(m);

	m = good_get_device_state(D3DKMT_DEVICESTATE_PAGE_FAULT);
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.get_device_state.device, DEVICE);
	assert_int_equal(req.get_device_state.state_type, D3DKMT_DEVICESTATE_PAGE_FAULT);
	free(m);

	m = good_mark_device_error();
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.mark_device_error.device, DEVICE);
	assert_int_equal(req.mark_device_error.reason, D3DKMT_DEVICE_ERROR_REASON_DRIVER_ERROR);
	free(m);

	m = good_clock_calibration();
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.clock_calibration.adapter, 0x40000040);
	free(m);

	m = good_escape(sizeof(struct opendxg_escape_context_stats));
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.escape.adapter, 0x40000040);
	assert_int_equal(req.escape.device, DEVICE);
	assert_int_equal(req.escape.context, 0x40000600u);
	assert_int_equal(req.escape.type, D3DKMT_ESCAPE_DRIVERPRIVATE);
	assert_int_equal(req.escape.flags, D3DDDI_ESCAPE_FLAG_DRIVER_KNOWN_ESCAPE);
	assert_int_equal(req.escape.priv_size, sizeof(struct opendxg_escape_context_stats));
	assert_int_equal(req.escape.code, OPENDXG_ESCAPE_CONTEXT_STATS);
	assert_ptr_equal(req.escape.priv, record + sizeof(struct dxgw_hdr) +
			 sizeof(struct dxgw_escape_req));
	free(m);
	m = good_escape(DXGW_MAX_ESCAPE_DATA);
	assert_int_equal(decode(m, &req), 0);
	free(m);
}

static void test_sync_exec_reserved_and_padding(void **state)
{
	const uint32_t soq = sizeof(struct dxgw_signal_on_queue_req);
	struct msg *m;

	(void)state;
	m = good_create_sync_object(D3DDDI_MONITORED_FENCE);
	expect32(m, OFF(struct dxgw_create_sync_object_req, reserved0), 1, -EINVAL);
	free(m);
	m = good_destroy(DXGW_OP_DESTROY_SYNC_OBJECT);
	expect32(m, OFF(struct dxgw_destroy_req, reserved0), 1, -EINVAL);
	free(m);
	m = good_destroy(DXGW_OP_DESTROY_HW_QUEUE);
	expect32(m, OFF(struct dxgw_destroy_req, reserved0), 1, -EINVAL);
	free(m);
	m = good_signal_from_cpu(3);
	expect32(m, OFF(struct dxgw_signal_from_cpu_req, reserved0), 1, -EINVAL);
	expect32(m, sizeof(struct dxgw_signal_from_cpu_req) + 12, 1, -EINVAL);	/* list pad */
	free(m);
	m = good_get_fence_slots(1);
	expect32(m, sizeof(struct dxgw_get_fence_slots_req) + 4, 1, -EINVAL);
	free(m);
	m = good_signal_on_queue(3, 1);
	expect32(m, OFF(struct dxgw_signal_on_queue_req, reserved0), 1, -EINVAL);
	expect32(m, soq + 12, 1, -EINVAL);		/* queue list pad */
	expect32(m, soq + 16 + 4, 1, -EINVAL);		/* object list pad */
	free(m);
	m = good_wait_on_queue(1);
	expect32(m, sizeof(struct dxgw_wait_on_queue_req) + 4, 1, -EINVAL);
	free(m);
	m = good_create_hw_queue(4);
	expect32(m, OFF(struct dxgw_create_hw_queue_req, reserved0), 1, -EINVAL);
	free(m);
	m = good_submit();
	expect32(m, OFF(struct dxgw_submit_req, reserved0), 1, -EINVAL);
	free(m);
	m = good_priority(DXGW_OP_SET_SCHEDULING_PRIORITY);
	expect32(m, OFF(struct dxgw_scheduling_priority_req, reserved0), 1, -EINVAL);
	free(m);
	m = good_priority(DXGW_OP_GET_SCHEDULING_PRIORITY);
	expect32(m, OFF(struct dxgw_scheduling_priority_req, priority), 1, -EINVAL);
	free(m);
}

static void test_sync_exec_flags_and_values(void **state)
{
	struct msg *m;

	(void)state;
	/* Sync object types, flags and the values each type uses (the others MBZ). */
	m = good_create_sync_object(D3DDDI_MONITORED_FENCE);
	/* A share is an NT-handle share: SHARED needs NT_SECURITY_SHARING, not the reverse. */
	expect32(m, OFF(struct dxgw_create_sync_object_req, flags), D3DDDI_SYNCOBJ_FLAG_SHARED,
		 -EINVAL);
	expect32(m, OFF(struct dxgw_create_sync_object_req, flags),
		 D3DDDI_SYNCOBJ_FLAG_NT_SECURITY_SHARING, 0);
	expect32(m, OFF(struct dxgw_create_sync_object_req, flags),
		 D3DDDI_SYNCOBJ_FLAG_SHARED | D3DDDI_SYNCOBJ_FLAG_NT_SECURITY_SHARING, 0);
	expect32(m, OFF(struct dxgw_create_sync_object_req, flags), 0x100, -EINVAL);
	expect32(m, OFF(struct dxgw_create_sync_object_req, flags), DXGW_SYNC_OBJECT_FLAGS, 0);
	expect32(m, OFF(struct dxgw_create_sync_object_req, type),
		 D3DDDI_PERIODIC_MONITORED_FENCE, -EINVAL);
	expect32(m, OFF(struct dxgw_create_sync_object_req, type), 0, -EINVAL);
	expect32(m, OFF(struct dxgw_create_sync_object_req, type), 7, -EINVAL);
	expect64(m, OFF(struct dxgw_create_sync_object_req, value1), 1, -EINVAL);
	expect64(m, OFF(struct dxgw_create_sync_object_req, value0), UINT64_MAX, 0);
	free(m);
	m = good_create_sync_object(D3DDDI_SYNCHRONIZATION_MUTEX);
	expect64(m, OFF(struct dxgw_create_sync_object_req, value0), 2, -EINVAL);
	expect64(m, OFF(struct dxgw_create_sync_object_req, value0), 0, 0);
	expect64(m, OFF(struct dxgw_create_sync_object_req, value1), 1, -EINVAL);
	free(m);
	m = good_create_sync_object(D3DDDI_SEMAPHORE);
	expect64(m, OFF(struct dxgw_create_sync_object_req, value0), 0, -EINVAL);
	expect64(m, OFF(struct dxgw_create_sync_object_req, value0), 1ull << 31, -EINVAL);
	expect64(m, OFF(struct dxgw_create_sync_object_req, value0), INT32_MAX, 0);
	expect64(m, OFF(struct dxgw_create_sync_object_req, value1), 11, -EINVAL);
	expect64(m, OFF(struct dxgw_create_sync_object_req, value1), 10, 0);
	free(m);
	m = good_create_sync_object(D3DDDI_CPU_NOTIFICATION);
	expect64(m, OFF(struct dxgw_create_sync_object_req, value0), 1, -EINVAL);
	expect64(m, OFF(struct dxgw_create_sync_object_req, value1), 1, -EINVAL);
	free(m);

	m = good_signal_from_cpu(1);
	expect32(m, OFF(struct dxgw_signal_from_cpu_req, flags),
		 D3DDDICB_SIGNAL_FLAG_SIGNAL_AT_SUBMISSION, -EINVAL);
	expect32(m, OFF(struct dxgw_signal_from_cpu_req, flags), 0, 0);
	free(m);
	m = good_signal_on_queue(1, 1);
	expect32(m, OFF(struct dxgw_signal_on_queue_req, flags),
		 D3DDDICB_SIGNAL_FLAG_ENQUEUE_CPU_EVENT, -EINVAL);
	expect32(m, OFF(struct dxgw_signal_on_queue_req, flags), D3DDDICB_SIGNAL_FLAG_INTERNAL0,
		 -EINVAL);
	expect32(m, OFF(struct dxgw_signal_on_queue_req, flags), 8, -EINVAL);
	expect32(m, OFF(struct dxgw_signal_on_queue_req, flags), 0, 0);
	free(m);

	m = good_create_hw_queue(0);
	expect32(m, OFF(struct dxgw_create_hw_queue_req, flags), 2, -EINVAL);
	free(m);

	/* SUBMIT: flags, length bounds, VA 0. */
	m = good_submit();
	expect32(m, OFF(struct dxgw_submit_req, flags),
		 D3DKMT_SUBMITCOMMAND_FLAG_PRESENT_REDIRECTED, -EINVAL);
	expect32(m, OFF(struct dxgw_submit_req, length), OPENDXG_CMD_HEADER_SIZE - 1, -EINVAL);
	expect32(m, OFF(struct dxgw_submit_req, length), OPENDXG_CMD_HEADER_SIZE, 0);
	expect32(m, OFF(struct dxgw_submit_req, length), OPENDXG_CMD_MAX_SIZE, 0);
	expect32(m, OFF(struct dxgw_submit_req, length), OPENDXG_CMD_MAX_SIZE + 1, -EINVAL);
	expect32(m, OFF(struct dxgw_submit_req, length), 0, -EINVAL);
	expect64(m, OFF(struct dxgw_submit_req, command_buffer), 0, -EINVAL);
	expect64(m, OFF(struct dxgw_submit_req, progress_fence_value), UINT64_MAX, 0);
	free(m);

	/* Priorities -7..7, in_process 0 or 1. */
	m = good_priority(DXGW_OP_SET_SCHEDULING_PRIORITY);
	expect32(m, OFF(struct dxgw_scheduling_priority_req, priority), (uint32_t)-8, -EINVAL);
	expect32(m, OFF(struct dxgw_scheduling_priority_req, priority), 8, -EINVAL);
	expect32(m, OFF(struct dxgw_scheduling_priority_req, priority), 7, 0);
	expect32(m, OFF(struct dxgw_scheduling_priority_req, priority), 0, 0);
	expect32(m, OFF(struct dxgw_scheduling_priority_req, in_process), 2, -EINVAL);
	free(m);

	m = good_get_device_state(D3DKMT_DEVICESTATE_EXECUTION);
	expect32(m, OFF(struct dxgw_get_device_state_req, state_type), D3DKMT_DEVICESTATE_RESET,
		 -EINVAL);
	expect32(m, OFF(struct dxgw_get_device_state_req, state_type),
		 D3DKMT_DEVICESTATE_PRESENT, -EINVAL);
	expect32(m, OFF(struct dxgw_get_device_state_req, state_type), 0, -EINVAL);
	free(m);

	m = good_mark_device_error();
	expect32(m, OFF(struct dxgw_mark_device_error_req, reason), 0, -EINVAL);
	expect32(m, OFF(struct dxgw_mark_device_error_req, reason),
		 D3DKMT_DEVICE_ERROR_REASON_GENERIC, 0);
	free(m);

	m = good_clock_calibration();
	expect32(m, OFF(struct dxgw_clock_calibration_req, node_ordinal), 1, -EINVAL);
	free(m);

	/* ESCAPE: DRIVERPRIVATE only, known flag bits, a header that agrees with the size. */
	m = good_escape(16);
	expect32(m, OFF(struct dxgw_escape_req, type), D3DKMT_ESCAPE_VIDMM, -EINVAL);
	expect32(m, OFF(struct dxgw_escape_req, flags), 0x10, -EINVAL);
	expect32(m, OFF(struct dxgw_escape_req, flags), DXGW_ESCAPE_FLAGS_MASK, 0);
	expect32(m, sizeof(struct dxgw_escape_req) + OFF(struct opendxg_escape_header, size), 15,
		 -EINVAL);
	expect32(m, sizeof(struct dxgw_escape_req) + OFF(struct opendxg_escape_header, size), 24,
		 -EINVAL);
	free(m);
}

/* Counts out of range, and bodies that do not match them. */
static void test_sync_exec_counts(void **state)
{
	struct dxgw_request req;
	struct msg *m;

	(void)state;
	m = good_signal_from_cpu(1);
	expect32(m, OFF(struct dxgw_signal_from_cpu_req, count), 0, -EINVAL);
	expect32(m, OFF(struct dxgw_signal_from_cpu_req, count), 2, -EINVAL);
	free(m);
	m = good_signal_from_cpu(DXGW_MAX_SYNC_OBJECTS);
	expect32(m, OFF(struct dxgw_signal_from_cpu_req, count), DXGW_MAX_SYNC_OBJECTS + 1,
		 -EINVAL);
	free(m);
	m = good_get_fence_slots(2);
	expect32(m, OFF(struct dxgw_get_fence_slots_req, count), 0, -EINVAL);
	expect32(m, OFF(struct dxgw_get_fence_slots_req, count), 1, -EINVAL);
	expect32(m, OFF(struct dxgw_get_fence_slots_req, count), DXGW_MAX_SYNC_OBJECTS + 1,
		 -EINVAL);
	free(m);
	m = good_wait_on_queue(2);
	expect32(m, OFF(struct dxgw_wait_on_queue_req, object_count), 0, -EINVAL);
	expect32(m, OFF(struct dxgw_wait_on_queue_req, object_count), 1, -EINVAL);
	expect32(m, OFF(struct dxgw_wait_on_queue_req, object_count), 3, -EINVAL);
	free(m);
	m = good_signal_on_queue(2, 2);
	expect32(m, OFF(struct dxgw_signal_on_queue_req, queue_count), 0, -EINVAL);
	expect32(m, OFF(struct dxgw_signal_on_queue_req, queue_count), 1, -EINVAL);
	expect32(m, OFF(struct dxgw_signal_on_queue_req, queue_count), 4, -EINVAL);
	expect32(m, OFF(struct dxgw_signal_on_queue_req, object_count), 0, -EINVAL);
	expect32(m, OFF(struct dxgw_signal_on_queue_req, object_count), 3, -EINVAL);
	/* Counts 3 and 1 need as many bytes as 2 and 2: the list padding check catches it. */
	put32(m, OFF(struct dxgw_signal_on_queue_req, queue_count), 3);
	put32(m, OFF(struct dxgw_signal_on_queue_req, object_count), 1);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
	m = good_signal_on_queue(DXGW_MAX_QUEUES, 1);
	expect32(m, OFF(struct dxgw_signal_on_queue_req, queue_count), DXGW_MAX_QUEUES + 1,
		 -EINVAL);
	free(m);
	m = good_signal_on_queue(1, DXGW_MAX_SYNC_OBJECTS);
	expect32(m, OFF(struct dxgw_signal_on_queue_req, object_count), DXGW_MAX_SYNC_OBJECTS + 1,
		 -EINVAL);
	free(m);

	m = good_create_hw_queue(8);
	expect32(m, OFF(struct dxgw_create_hw_queue_req, priv_size), 7, -EINVAL);
	expect32(m, OFF(struct dxgw_create_hw_queue_req, priv_size), 9, -EINVAL);
	free(m);
	m = good_create_hw_queue(DXGW_MAX_HWQUEUE_PRIV);
	expect32(m, OFF(struct dxgw_create_hw_queue_req, priv_size), DXGW_MAX_HWQUEUE_PRIV + 1,
		 -EINVAL);
	free(m);
	{
		struct msg *big = good_create_hw_queue(0);

		put32(big, OFF(struct dxgw_create_hw_queue_req, priv_size),
		      DXGW_MAX_HWQUEUE_PRIV + 8);
		big->body_len += DXGW_MAX_HWQUEUE_PRIV + 8;
		assert_int_equal(decode(big, &req), -EINVAL);
		free(big);
	}

	m = good_escape(16);
	expect32(m, OFF(struct dxgw_escape_req, priv_size), 15, -EINVAL);
	expect32(m, OFF(struct dxgw_escape_req, priv_size), 17, -EINVAL);
	free(m);
	m = good_escape(8);
	expect32(m, OFF(struct dxgw_escape_req, priv_size), 0, -EINVAL);
	free(m);
	/* Less than a header: too short to say what it is. */
	m = good_escape(8);
	m->body_len -= 4;
	put32(m, OFF(struct dxgw_escape_req, priv_size), 4);
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
	{
		struct msg *big = good_escape(DXGW_MAX_ESCAPE_DATA);

		expect32(big, OFF(struct dxgw_escape_req, priv_size), DXGW_MAX_ESCAPE_DATA + 1,
			 -EINVAL);
		free(big);
	}
}

static struct msg *good_share_msg(uint16_t opcode, uint32_t process, uint32_t size)
{
	return new_msg(opcode, process, size);
}

static void test_sharing_ops(void **state)
{
	struct dxgw_request req;
	struct msg *m;

	(void)state;
	m = good_share_msg(DXGW_OP_SHARE_OBJECT, PROCESS, sizeof(struct dxgw_share_object_req));
	put32(m, OFF(struct dxgw_share_object_req, object), DEVICE);
	put32(m, OFF(struct dxgw_share_object_req, flags), DXGW_SHARE_SYNC_FILE);
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.share_object.object, DEVICE);
	assert_int_equal(req.share_object.flags, DXGW_SHARE_SYNC_FILE);
	expect32(m, OFF(struct dxgw_share_object_req, flags), 0x2, -EINVAL);
	m->process = 0;
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);

	/* CLOSE_SHARE is VM scoped: a descriptor may outlive its process. */
	m = good_share_msg(DXGW_OP_CLOSE_SHARE, 0, sizeof(struct dxgw_close_share_req));
	put64(m, OFF(struct dxgw_close_share_req, share_id), 0x8877665544332211ull);
	assert_int_equal(decode(m, &req), 0);
	assert_true(req.close_share.share_id == 0x8877665544332211ull);
	expect64(m, OFF(struct dxgw_close_share_req, share_id), 0, -EINVAL);
	m->process = PROCESS;
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);

	m = good_share_msg(DXGW_OP_OPEN_SHARED_SYNC_OBJECT, PROCESS,
			   sizeof(struct dxgw_open_shared_sync_object_req));
	put32(m, OFF(struct dxgw_open_shared_sync_object_req, device), DEVICE);
	put32(m, OFF(struct dxgw_open_shared_sync_object_req, access), DXGW_ACCESS_WAIT);
	put64(m, OFF(struct dxgw_open_shared_sync_object_req, share_id), 7);
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.open_shared_sync_object.access, DXGW_ACCESS_WAIT);
	expect32(m, OFF(struct dxgw_open_shared_sync_object_req, access), 0, -EINVAL);
	expect32(m, OFF(struct dxgw_open_shared_sync_object_req, access), DXGW_ACCESS_READ,
		 -EINVAL);
	expect32(m, OFF(struct dxgw_open_shared_sync_object_req, access), DXGW_ACCESS_SYNC_ALL,
		 0);
	expect64(m, OFF(struct dxgw_open_shared_sync_object_req, share_id), 0, -EINVAL);
	free(m);

	m = good_share_msg(DXGW_OP_QUERY_SHARED_RESOURCE, PROCESS,
			   sizeof(struct dxgw_query_shared_resource_req));
	put32(m, OFF(struct dxgw_query_shared_resource_req, device), DEVICE);
	put64(m, OFF(struct dxgw_query_shared_resource_req, share_id), 9);
	assert_int_equal(decode(m, &req), 0);
	assert_true(req.query_shared_resource.share_id == 9);
	expect32(m, OFF(struct dxgw_query_shared_resource_req, reserved0), 1, -EINVAL);
	expect64(m, OFF(struct dxgw_query_shared_resource_req, share_id), 0, -EINVAL);
	free(m);

	m = good_share_msg(DXGW_OP_OPEN_SHARED_RESOURCE, PROCESS,
			   sizeof(struct dxgw_open_shared_resource_req));
	put32(m, OFF(struct dxgw_open_shared_resource_req, device), DEVICE);
	put32(m, OFF(struct dxgw_open_shared_resource_req, access), DXGW_ACCESS_READ);
	put64(m, OFF(struct dxgw_open_shared_resource_req, share_id), 9);
	put32(m, OFF(struct dxgw_open_shared_resource_req, allocation_count), 3);
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.open_shared_resource.allocation_count, 3);
	/* No READ is the host's -EACCES, not a malformed body. */
	expect32(m, OFF(struct dxgw_open_shared_resource_req, access), 0, 0);
	expect32(m, OFF(struct dxgw_open_shared_resource_req, access), DXGW_ACCESS_WAIT, -EINVAL);
	expect32(m, OFF(struct dxgw_open_shared_resource_req, allocation_count), 0, -EINVAL);
	expect32(m, OFF(struct dxgw_open_shared_resource_req, allocation_count),
		 DXGW_MAX_ALLOCATIONS + 1, -EINVAL);
	expect32(m, OFF(struct dxgw_open_shared_resource_req, reserved0), 1, -EINVAL);
	free(m);

	m = good_share_msg(DXGW_OP_WAIT_SHARE_ON_QUEUE, PROCESS,
			   sizeof(struct dxgw_wait_share_on_queue_req));
	put32(m, OFF(struct dxgw_wait_share_on_queue_req, queue), DEVICE + 0x40u);
	put64(m, OFF(struct dxgw_wait_share_on_queue_req, share_id), 5);
	put64(m, OFF(struct dxgw_wait_share_on_queue_req, value), UINT64_MAX);
	assert_int_equal(decode(m, &req), 0);
	assert_true(req.wait_share_on_queue.value == UINT64_MAX);
	expect32(m, OFF(struct dxgw_wait_share_on_queue_req, reserved0), 1, -EINVAL);
	expect64(m, OFF(struct dxgw_wait_share_on_queue_req, share_id), 0, -EINVAL);
	free(m);
}

static void test_statistics_ops(void **state)
{
	struct dxgw_request req;
	struct msg *m;

	(void)state;
	m = new_msg(DXGW_OP_QUERY_STATISTICS, PROCESS, sizeof(struct dxgw_query_statistics_req));
	put32(m, OFF(struct dxgw_query_statistics_req, adapter), 0x40000040u);
	put32(m, OFF(struct dxgw_query_statistics_req, type), 6);
	put32(m, OFF(struct dxgw_query_statistics_req, query[1]), 0xabcd);
	put32(m, OFF(struct dxgw_query_statistics_req, target), 0x40);
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.query_statistics.type, 6);
	assert_int_equal(req.query_statistics.query[1], 0xabcd);
	assert_int_equal(req.query_statistics.target, 0x40);
	expect32(m, OFF(struct dxgw_query_statistics_req, reserved0), 1, -EINVAL);
	free(m);

	m = new_msg(DXGW_OP_IS_FEATURE_ENABLED, PROCESS,
		    sizeof(struct dxgw_is_feature_enabled_req));
	put32(m, OFF(struct dxgw_is_feature_enabled_req, adapter), 0x40000040u);
	put32(m, OFF(struct dxgw_is_feature_enabled_req, feature_id), 33);
	assert_int_equal(decode(m, &req), 0);
	assert_int_equal(req.is_feature_enabled.feature_id, 33);
	free(m);

	m = new_msg(DXGW_OP_INVALIDATE_CACHE, PROCESS, sizeof(struct dxgw_invalidate_cache_req));
	put32(m, OFF(struct dxgw_invalidate_cache_req, device), DEVICE);
	put32(m, OFF(struct dxgw_invalidate_cache_req, allocation), ALLOC(1));
	put64(m, OFF(struct dxgw_invalidate_cache_req, offset), 4096);
	put64(m, OFF(struct dxgw_invalidate_cache_req, length), 100);
	assert_int_equal(decode(m, &req), 0);
	assert_true(req.invalidate_cache.offset == 4096 && req.invalidate_cache.length == 100);
	expect64(m, OFF(struct dxgw_invalidate_cache_req, length), UINT64_MAX, -EINVAL);
	m->body_len -= 8;
	assert_int_equal(decode(m, &req), -EINVAL);
	free(m);
}

static void test_opcode_names(void **state)
{
	(void)state;
	assert_string_equal(dxgw_opcode_name(DXGW_OP_CREATE_CONTEXT_VIRTUAL),
			    "CREATE_CONTEXT_VIRTUAL");
	assert_string_equal(dxgw_opcode_name(0x4242), "unknown");
	assert_true(dxgw_opcode_known(DXGW_OP_DESTROY_CONTEXT));
	assert_string_equal(dxgw_opcode_name(DXGW_OP_UPDATE_GPU_VA), "UPDATE_GPU_VA");
	for (uint16_t op = 0x0400; op <= 0x0423; op++) {
		bool known = op <= 0x040b || (op >= 0x0410 && op <= 0x0413) || op >= 0x0420;

		assert_int_equal(dxgw_opcode_known(op), known);
	}
	assert_string_equal(dxgw_opcode_name(DXGW_OP_GET_FENCE_SLOTS), "GET_FENCE_SLOTS");
	assert_string_equal(dxgw_opcode_name(DXGW_OP_ESCAPE), "ESCAPE");
	for (uint16_t op = 0x04ff; op < 0x0700; op++) {
		bool known = (op >= 0x0500 && op <= 0x0505) || (op >= 0x0600 && op <= 0x0608);

		if (op > 0x0505 && op < 0x0600)
			continue;
		assert_int_equal(dxgw_opcode_known(op), known);
	}
	assert_false(dxgw_opcode_known(0x0506));
	assert_false(dxgw_opcode_known(0x0609));
	for (uint16_t op = 0x0700; op <= 0x0900; op++) {
		bool known = op <= 0x0705 || (op >= 0x0800 && op <= 0x0802);

		assert_int_equal(dxgw_opcode_known(op), known);
	}
	assert_string_equal(dxgw_opcode_name(DXGW_OP_WAIT_SHARE_ON_QUEUE), "WAIT_SHARE_ON_QUEUE");
	assert_string_equal(dxgw_opcode_name(DXGW_OP_INVALIDATE_CACHE), "INVALIDATE_CACHE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_connect),
		cmocka_unit_test(test_good_nop_and_vm_scoped),
		cmocka_unit_test(test_good_create_process),
		cmocka_unit_test(test_good_destroy_process),
		cmocka_unit_test(test_good_adapter_ops),
		cmocka_unit_test(test_good_query_adapter_info),
		cmocka_unit_test(test_good_create_device),
		cmocka_unit_test(test_good_destroy_ops),
		cmocka_unit_test(test_good_create_context),
		cmocka_unit_test(test_envelope_faults_every_opcode),
		cmocka_unit_test(test_short_records),
		cmocka_unit_test(test_oversized_record),
		cmocka_unit_test(test_unknown_opcodes),
		cmocka_unit_test(test_reserved_body_fields),
		cmocka_unit_test(test_process_name_padding),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_qai_sizes),
		cmocka_unit_test(test_context_priv_sizes),
		cmocka_unit_test(test_good_memory_ops),
		cmocka_unit_test(test_memory_reserved_and_padding),
		cmocka_unit_test(test_memory_flags_and_values),
		cmocka_unit_test(test_memory_counts),
		cmocka_unit_test(test_good_sync_ops),
		cmocka_unit_test(test_good_exec_ops),
		cmocka_unit_test(test_sync_exec_reserved_and_padding),
		cmocka_unit_test(test_sync_exec_flags_and_values),
		cmocka_unit_test(test_sync_exec_counts),
		cmocka_unit_test(test_sharing_ops),
		cmocka_unit_test(test_statistics_ops),
		cmocka_unit_test(test_opcode_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
