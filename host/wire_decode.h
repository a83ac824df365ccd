/* SPDX-License-Identifier: MIT */
/*
 * The worker's one choke point for guest messages: turns a ring record (already copied out of the
 * shared ring into private memory) into a fully validated, host-endian request. Handlers only ever
 * see a struct dxgw_request; they never read raw bytes.
 *
 * Errors (the reply status, see docs/protocol.md):
 *   -EPROTO  the envelope is wrong: record shorter than struct dxgw_hdr, hdr.size != record length,
 *            flags != 0, or the header's status/reserved fields are not zero
 *   -ENOSYS  unknown opcode (a newer guest talking to an older host)
 *   -EINVAL  the body is wrong: wrong length, reserved fields not zero, unknown flag bits,
 *            counts out of range, hdr.process not 0 for a VM-scoped opcode or 0 for a
 *            process-scoped one
 */
#ifndef DXGD_WIRE_DECODE_H
#define DXGD_WIRE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <misc/d3dkmthk.h>
#include <opendxg/wire.h>

/* The WSL flag bits the host accepts; any other bit is -EINVAL. */
#define DXGW_CREATE_DEVICE_FLAGS_MASK \
	(D3DKMT_CREATEDEVICE_FLAG_LEGACY_MODE | D3DKMT_CREATEDEVICE_FLAG_REQUEST_VSYNC | \
	 D3DKMT_CREATEDEVICE_FLAG_DISABLE_GPU_TIMEOUT | D3DKMT_CREATEDEVICE_FLAG_GDI_DEVICE)
#define DXGW_CREATE_CONTEXT_FLAGS_MASK \
	(D3DDDI_CREATECONTEXT_FLAG_NULL_RENDERING | D3DDDI_CREATECONTEXT_FLAG_INITIAL_DATA | \
	 D3DDDI_CREATECONTEXT_FLAG_DISABLE_GPU_TIMEOUT | \
	 D3DDDI_CREATECONTEXT_FLAG_SYNCHRONIZATION_ONLY | \
	 D3DDDI_CREATECONTEXT_FLAG_HW_QUEUE_SUPPORTED)
#define DXGW_DESTROY_ALLOCATION_FLAGS_MASK \
	(D3DDDICB_DESTROYALLOCATION2_FLAG_ASSUME_NOT_IN_USE | \
	 D3DDDICB_DESTROYALLOCATION2_FLAG_SYNCHRONOUS_DESTROY | \
	 D3DDDICB_DESTROYALLOCATION2_FLAG_SYSTEM_USE_ONLY)
#define DXGW_OFFER_FLAGS_MASK (D3DKMT_OFFER_FLAG_OFFER_IMMEDIATELY | D3DKMT_OFFER_FLAG_ALLOW_DECOMMIT)
#define DXGW_MAKE_RESIDENT_FLAGS_MASK \
	(D3DDDI_MAKERESIDENT_FLAG_CANT_TRIM_FURTHER | D3DDDI_MAKERESIDENT_FLAG_MUST_SUCCEED)
#define DXGW_EVICT_FLAGS_MASK \
	(D3DDDI_EVICT_FLAG_EVICT_ONLY_IF_NECESSARY | D3DDDI_EVICT_FLAG_NOT_WRITTEN_TO)
#define DXGW_UPDATE_ALLOC_PROPERTY_FLAGS_MASK D3DDDI_UPDATEALLOCPROPERTY_FLAG_ACCESSED_PHYSICALLY
#define DXGW_UPDATE_ALLOC_PROPERTY_SET_MASK \
	(D3DDDI_UPDATEALLOCPROPERTY_SET_ACCESSED_PHYSICALLY | \
	 D3DDDI_UPDATEALLOCPROPERTY_SET_SUPPORTED_SEGMENT_SET | \
	 D3DDDI_UPDATEALLOCPROPERTY_SET_PREFERRED_SEGMENT)
/* Segment ids are 1 (DXGW_SEGMENT_LOCAL) and 2 (DXGW_SEGMENT_HOST_VISIBLE): set bits 0 and 1. */
#define DXGW_SEGMENT_SET_MASK 0x3u
#define DXGW_GPUVA_PROTECTION_MASK \
	(D3DDDIGPUVA_PROTECTION_WRITE | D3DDDIGPUVA_PROTECTION_EXECUTE | \
	 D3DDDIGPUVA_PROTECTION_ZERO | D3DDDIGPUVA_PROTECTION_NO_ACCESS | \
	 D3DDDIGPUVA_PROTECTION_SYSTEM_USE_ONLY)
#define DXGW_UPDATE_GPU_VA_FLAGS_MASK D3DKMT_UPDATEGPUVIRTUALADDRESS_FLAG_DO_NOT_WAIT
#define DXGW_SIGNAL_FROM_CPU_FLAGS_MASK D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND
/* ENQUEUE_CPU_EVENT is the guest driver's business, INTERNAL0 nobody's: both -EINVAL. */
#define DXGW_SIGNAL_ON_QUEUE_FLAGS_MASK \
	(D3DDDICB_SIGNAL_FLAG_SIGNAL_AT_SUBMISSION | D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND)
#define DXGW_CREATE_HW_QUEUE_FLAGS_MASK D3DDDI_CREATEHWQUEUE_FLAG_DISABLE_GPU_TIMEOUT
#define DXGW_SUBMIT_FLAGS_MASK D3DKMT_SUBMITCOMMAND_FLAG_NULL_RENDERING
/* Every defined d3dddi_escapeflags bit (bit 4 is reserved). */
#define DXGW_ESCAPE_FLAGS_MASK \
	(D3DDDI_ESCAPE_FLAG_HARDWARE_ACCESS | D3DDDI_ESCAPE_FLAG_DEVICE_STATUS_QUERY | \
	 D3DDDI_ESCAPE_FLAG_CHANGE_FRAME_LATENCY | D3DDDI_ESCAPE_FLAG_NO_ADAPTER_SYNCHRONIZATION | \
	 D3DDDI_ESCAPE_FLAG_VIRTUAL_MACHINE_DATA | D3DDDI_ESCAPE_FLAG_DRIVER_KNOWN_ESCAPE | \
	 D3DDDI_ESCAPE_FLAG_DRIVER_COMMON_ESCAPE)

/* The bytes a list of `count` u32 handles or values occupies on the wire (zero padded to 8). */
static inline uint32_t dxgw_list_bytes(uint32_t count)
{
	return (count * 4u + 7u) & ~7u;
}

static inline uint32_t dxgw_pad8(uint32_t bytes)
{
	return (bytes + 7u) & ~7u;
}

/* Element i of a u32 list that the decoder has already bounded. */
static inline uint32_t dxgw_list_get(const unsigned char *list, uint32_t i)
{
	return dxg_get_le32(list + (size_t)i * 4u);
}

/* Element i of a u64 value list that the decoder has already bounded. */
static inline uint64_t dxgw_value_get(const unsigned char *values, uint32_t i)
{
	return dxg_get_le64(values + (size_t)i * 8u);
}

/* One CREATE_ALLOCATION descriptor, host endian (validated by the decoder). */
struct dxgw_alloc_info {
	uint32_t kind;
	uint32_t flags;
	uint64_t size;
	uint32_t priority;
	uint32_t code_size;
};

/* One UPDATE_GPU_VA operation, host endian (validated by the decoder). */
struct dxgw_gpu_va_op_info {
	uint32_t operation;
	uint64_t base_address;
	uint64_t size;
	uint64_t dest_address;
	uint32_t allocation;
	uint64_t allocation_offset;
	uint64_t protection;
	uint64_t driver_protection;
};

struct dxgw_request {
	uint16_t opcode;
	uint64_t request_id;
	uint32_t process;	/* hdr.process: 0 for VM-scoped opcodes, non-zero otherwise */
	union {
		struct {
			uint32_t guest_version;
			uint64_t guest_features;
		} connect;
		struct {
			uint32_t pid;
			/* The wire name, NUL terminated here; not yet sanitized. */
			char name[DXGW_PROCESS_NAME_LEN + 1];
		} create_process;
		struct {
			uint32_t adapter;
		} adapter;	/* OPEN_ADAPTER, CLOSE_ADAPTER */
		struct {
			uint32_t adapter;
			uint32_t type;
			uint32_t data_size;	/* 1..DXGW_MAX_QAI_DATA */
			const unsigned char *data;	/* into the private record copy */
		} query_adapter_info;
		struct {
			uint32_t adapter;
			uint32_t flags;
		} create_device;
		struct {
			uint32_t handle;
		} destroy;	/* the DESTROY_* opcodes with struct dxgw_destroy_req */
		struct {
			uint32_t device;
			uint32_t node_ordinal;
			uint32_t engine_affinity;
			uint32_t flags;
			uint32_t client_hint;
			uint32_t priv_size;	/* 0..DXGW_MAX_CONTEXT_PRIV */
			const unsigned char *priv;	/* into the private record copy, NULL if 0 */
		} create_context;
		/*
		 * Memory opcodes. Lists point into the private record copy and hold exactly
		 * `count` entries (read them with dxgw_list_get()); descriptors and operations
		 * are read with dxgw_get_alloc_desc() / dxgw_get_gpu_va_op().
		 */
		struct {
			uint32_t device;
			uint32_t resource;
			uint32_t flags;
			uint32_t alloc_count;		/* 1..DXGW_MAX_ALLOCATIONS */
			uint32_t runtime_data_size;
			const unsigned char *runtime_data;	/* NULL if 0 */
			const unsigned char *descs;	/* alloc_count wire descriptors */
			/* Program code in descriptor order, each padded to 8 bytes; NULL if none. */
			const unsigned char *code;
		} create_allocation;
		struct {
			uint32_t device;
			uint32_t resource;		/* non-zero exactly when count is 0 */
			uint32_t count;
			uint32_t flags;
			const unsigned char *handles;
		} destroy_allocation;
		struct {
			uint32_t device;
			uint32_t allocation;
		} lock;		/* LOCK, UNLOCK */
		struct {
			uint32_t adapter;
			uint32_t segment_group;		/* LOCAL or NON_LOCAL */
			uint64_t reservation;		/* 0 for QUERY_VIDEO_MEMORY */
		} video_memory;	/* QUERY_VIDEO_MEMORY, CHANGE_RESERVATION */
		struct {
			uint32_t device;
			uint32_t resource;		/* non-zero exactly when count is 0 */
			uint32_t count;
			const unsigned char *handles;
			const unsigned char *values;	/* SET_PRIORITY: max(count, 1) values */
		} alloc_list;	/* QUERY_RESIDENCY, SET_PRIORITY, GET_PRIORITY */
		struct {
			uint32_t device;
			uint32_t count;
			uint32_t priority;		/* D3DKMT_OFFER_PRIORITY_LOW..AUTO */
			uint32_t flags;
			bool resources;
			const unsigned char *handles;
		} offer;
		struct {
			uint32_t paging_queue;
			uint32_t count;
			bool resources;
			const unsigned char *handles;
		} reclaim;
		struct {
			uint32_t paging_queue;
			uint32_t allocation;
			uint32_t supported_segment_set;
			uint32_t preferred_segment;
			uint32_t flags;
			uint32_t property_mask;		/* at least one bit */
		} update_alloc_property;
		struct {
			uint32_t device;
			int32_t priority;		/* -1..1 */
		} create_paging_queue;
		struct {
			uint32_t paging_queue;
			uint32_t count;
			uint32_t flags;
			const unsigned char *handles;
			const unsigned char *priorities;	/* NULL without priorities */
		} make_resident;
		struct {
			uint32_t device;
			uint32_t count;
			uint32_t flags;
			const unsigned char *handles;
		} evict;
		struct {
			uint32_t adapter;
			uint32_t paging_queue;
			uint64_t base_address;
			uint64_t minimum_address;
			uint64_t maximum_address;
			uint64_t size;
			uint32_t reservation_type;	/* D3DDDIGPUVA_RESERVE_* */
			uint64_t driver_protection;
		} reserve_gpu_va;
		struct {
			uint32_t paging_queue;
			uint32_t allocation;
			uint64_t base_address;
			uint64_t minimum_address;
			uint64_t maximum_address;
			uint64_t offset_in_pages;
			uint64_t size_in_pages;
			uint64_t protection;
			uint64_t driver_protection;
		} map_gpu_va;
		struct {
			uint32_t adapter;
			uint64_t base_address;
			uint64_t size;
		} free_gpu_va;
		struct {
			uint32_t device;
			uint32_t context;
			uint32_t fence_object;
			uint32_t num_operations;	/* 1..DXGW_MAX_GPUVA_OPS */
			uint64_t fence_value;
			uint32_t flags;
			const unsigned char *ops;
		} update_gpu_va;
		/*
		 * Synchronization and execution opcodes. Handle lists hold exactly their count
		 * (dxgw_list_get()), value lists as many u64 (dxgw_value_get()).
		 */
		struct {
			uint32_t device;
			uint32_t type;			/* MUTEX..MONITORED_FENCE, not PERIODIC */
			uint32_t flags;			/* within DXGW_SYNC_OBJECT_FLAGS */
			/* MUTEX: 0 or 1; SEMAPHORE: max 1..INT32_MAX and initial <= max; else 0 */
			uint64_t value0;
			uint64_t value1;
		} create_sync_object;
		struct {
			uint32_t device;
			uint32_t count;			/* 1..DXGW_MAX_SYNC_OBJECTS */
			uint32_t flags;
			const unsigned char *handles;
			const unsigned char *values;
		} signal_from_cpu;
		struct {
			uint32_t device;
			uint32_t count;			/* 1..DXGW_MAX_SYNC_OBJECTS */
			const unsigned char *handles;
		} get_fence_slots;
		struct {
			uint32_t queue_count;		/* 1..DXGW_MAX_QUEUES */
			uint32_t object_count;		/* 1..DXGW_MAX_SYNC_OBJECTS */
			uint32_t flags;
			const unsigned char *queues;
			const unsigned char *objects;
			const unsigned char *values;
		} signal_on_queue;
		struct {
			uint32_t queue;
			uint32_t object_count;		/* 1..DXGW_MAX_SYNC_OBJECTS */
			const unsigned char *objects;
			const unsigned char *values;
		} wait_on_queue;
		struct {
			uint32_t context;
			uint32_t flags;
			uint32_t priv_size;		/* 0..DXGW_MAX_HWQUEUE_PRIV */
			const unsigned char *priv;	/* NULL if 0 */
		} create_hw_queue;
		struct {
			uint32_t queue;
			uint32_t flags;
			uint64_t command_buffer;	/* not 0 */
			uint32_t length;	/* OPENDXG_CMD_HEADER_SIZE..OPENDXG_CMD_MAX_SIZE */
			uint64_t progress_fence_value;
		} submit;
		struct {
			uint32_t context;
			int32_t priority;		/* SET: -7..7; GET: 0 */
			uint32_t in_process;		/* 0 or 1 */
		} scheduling_priority;
		struct {
			uint32_t device;
			uint32_t state_type;		/* EXECUTION or PAGE_FAULT */
		} get_device_state;
		struct {
			uint32_t device;
			uint32_t reason;		/* GENERIC or DRIVER_ERROR */
		} mark_device_error;
		struct {
			uint32_t adapter;
		} clock_calibration;		/* node_ordinal was 0 */
		struct {
			uint32_t adapter;
			uint32_t device;
			uint32_t context;
			uint32_t type;			/* D3DKMT_ESCAPE_DRIVERPRIVATE */
			uint32_t flags;
			uint32_t priv_size;		/* 8..DXGW_MAX_ESCAPE_DATA */
			/* Starts with a struct opendxg_escape_header whose size is priv_size. */
			const unsigned char *priv;
			uint32_t code;			/* the header's */
		} escape;
		/* 0x07xx sharing */
		struct {
			uint32_t object;
			uint32_t flags;			/* DXGW_SHARE_FLAGS */
		} share_object;
		struct {
			uint64_t share_id;		/* not 0 */
		} close_share;
		struct {
			uint32_t device;
			uint32_t access;		/* non-zero, DXGW_ACCESS_SYNC_ALL bits */
			uint64_t share_id;		/* not 0 */
		} open_shared_sync_object;
		struct {
			uint32_t device;
			uint64_t share_id;		/* not 0 */
		} query_shared_resource;
		struct {
			uint32_t device;
			uint32_t access;		/* DXGW_ACCESS_RESOURCE_ALL bits (may be 0) */
			uint64_t share_id;		/* not 0 */
			uint32_t allocation_count;	/* 1..DXGW_MAX_ALLOCATIONS */
		} open_shared_resource;
		struct {
			uint32_t queue;
			uint64_t share_id;		/* not 0 */
			uint64_t value;
		} wait_share_on_queue;
		/* 0x08xx statistics and queries */
		struct {
			uint32_t adapter;
			uint32_t type;			/* D3DKMT_QUERYSTATISTICS_*, not checked */
			uint32_t query[2];
			uint32_t target;		/* host process, 0: the caller */
		} query_statistics;
		struct {
			uint32_t adapter;
			uint32_t feature_id;		/* not checked */
		} is_feature_enabled;
		struct {
			uint32_t device;
			uint32_t allocation;
			uint64_t offset;
			uint64_t length;		/* offset + length does not overflow */
		} invalidate_cache;
	};
};

/* Descriptor i of a decoded CREATE_ALLOCATION (i < alloc_count). */
void dxgw_get_alloc_desc(const struct dxgw_request *req, uint32_t i, struct dxgw_alloc_info *out);
/* Operation i of a decoded UPDATE_GPU_VA (i < num_operations). */
void dxgw_get_gpu_va_op(const struct dxgw_request *req, uint32_t i,
			struct dxgw_gpu_va_op_info *out);

/*
 * Validates the record `buf`/`len` and fills `req`. Returns 0 or a negative errno (above).
 * *request_id_valid tells whether req->request_id was readable (the record holds at least the
 * header's first 16 bytes), so a rejected request can still be answered. `req` may point into
 * `buf` (data pointers), so `buf` must outlive it.
 */
int dxgw_decode_request(const void *buf, size_t len, struct dxgw_request *req,
			bool *request_id_valid);

/* True for opcodes this host implements. */
bool dxgw_opcode_known(uint16_t opcode);
const char *dxgw_opcode_name(uint16_t opcode);

#endif /* DXGD_WIRE_DECODE_H */
