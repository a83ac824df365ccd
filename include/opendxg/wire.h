/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * opendxg wire protocol: the messages a guest (kernel module or user-space guest) sends to the
 * host daemon over the request ring, and the replies it gets on the reply ring.
 *
 * Rules (docs/protocol.md has the full specification):
 * - Every field is fixed-width little-endian; every struct has explicit padding and a size assert.
 *   Reserved fields are MBZ and the host rejects a request whose reserved fields are not zero.
 * - Each ring record is exactly one message: struct dxgw_hdr, then the opcode's body. hdr.size is
 *   the record's payload length (header included) and must match it.
 * - request_id is chosen by the guest and echoed in the reply, so replies may complete out of order
 *   and a waiter that gave up cannot take someone else's reply.
 * - hdr.process names the host process object (from DXGW_OP_CREATE_PROCESS) for process-scoped
 *   opcodes and is 0 for VM-scoped ones (CONNECT, NOP, CREATE_PROCESS, ENUM_ADAPTERS).
 * - A reply carries hdr.status = 0, a negative Linux errno (as s32) or DXGW_STATUS_PENDING (see
 *   there). A reply with a negative status has no body. Reply bodies may grow in later minor versions: a guest accepts a longer
 *   reply body and ignores the tail. Request bodies have exactly the documented size; a longer
 *   request body may only be sent under a negotiated feature bit.
 */
#ifndef OPENDXG_WIRE_H
#define OPENDXG_WIRE_H

#include "compat.h"
#include "region.h"

/* Largest body of any message, and the largest ring record payload (header + body). */
#define DXGW_MAX_BODY (128u * 1024u + 64u)
#define DXGW_MAX_MESSAGE (DXGW_MAX_BODY + 32u)

/* Limits the host enforces, chosen to match the WSL driver's guest-side limits. */
#define DXGW_MAX_ADAPTERS 64u
#define DXGW_MAX_QAI_DATA (128u * 1024u)	/* QUERYADAPTERINFO private data */
#define DXGW_MAX_CONTEXT_PRIV (128u * 1024u)	/* CREATECONTEXTVIRTUAL private data */
#define DXGW_PROCESS_NAME_LEN 16u
#define DXGW_MAX_ALLOCATIONS 1024u	/* per CREATE/DESTROY_ALLOCATION (WSL's limit) */
#define DXGW_MAX_RESIDENCY_HANDLES 10240u	/* MAKE_RESIDENT, EVICT, OFFER, RECLAIM, ... */
#define DXGW_MAX_GPUVA_OPS 2048u	/* UPDATE_GPU_VA operations */
/* Private data of one CREATE_ALLOCATION (runtime data + KMD data), as WSL bounds it. */
#define DXGW_MAX_ALLOC_PRIV (128u * 1024u)

/*
 * A positive reply status: success, with a body, but the work continues after the reply (only
 * MAKE_RESIDENT and RECLAIM use it). It is NTSTATUS STATUS_PENDING, which the guest returns from
 * the ioctl as is (WSL does the same): the operation is complete once the paging queue's fence
 * (fence storage, see CREATE_PAGING_QUEUE) reaches the paging_fence_value of the reply.
 */
#define DXGW_STATUS_PENDING 0x103

/*
 * GPU virtual addresses (WDDM 2.0 model): one address space per (process, adapter). Addresses
 * and sizes are multiples of DXGW_GPUVA_PAGE; usable addresses are [DXGW_GPUVA_MIN,
 * DXGW_GPUVA_LIMIT). 0 is never a valid GPU VA, so it can mean "none" in command buffers.
 */
#define DXGW_GPUVA_PAGE 4096ull
#define DXGW_GPUVA_MIN 0x10000ull
#define DXGW_GPUVA_LIMIT (1ull << 47)

/*
 * Opcodes, banded: 0x00xx VM scope, 0x01xx adapters, 0x02xx devices, 0x03xx contexts,
 * 0x04xx memory (allocations, residency, paging queues, GPU virtual addresses), 0x05xx
 * synchronization objects, 0x06xx execution (hardware queues, submission, device state), 0x07xx
 * sharing between processes of one VM, 0x08xx statistics and queries.
 */
enum dxgw_opcode {
	DXGW_OP_CONNECT = 0x0001,
	DXGW_OP_NOP = 0x0002,
	DXGW_OP_CREATE_PROCESS = 0x0010,
	DXGW_OP_DESTROY_PROCESS = 0x0011,
	DXGW_OP_ENUM_ADAPTERS = 0x0100,
	DXGW_OP_OPEN_ADAPTER = 0x0101,
	DXGW_OP_CLOSE_ADAPTER = 0x0102,
	DXGW_OP_QUERY_ADAPTER_INFO = 0x0103,
	DXGW_OP_CREATE_DEVICE = 0x0200,
	DXGW_OP_DESTROY_DEVICE = 0x0201,
	DXGW_OP_CREATE_CONTEXT_VIRTUAL = 0x0300,
	DXGW_OP_DESTROY_CONTEXT = 0x0301,
	DXGW_OP_CREATE_ALLOCATION = 0x0400,
	DXGW_OP_DESTROY_ALLOCATION = 0x0401,
	DXGW_OP_LOCK = 0x0402,
	DXGW_OP_UNLOCK = 0x0403,
	DXGW_OP_QUERY_VIDEO_MEMORY = 0x0404,
	DXGW_OP_CHANGE_RESERVATION = 0x0405,
	DXGW_OP_QUERY_RESIDENCY = 0x0406,
	DXGW_OP_SET_PRIORITY = 0x0407,
	DXGW_OP_GET_PRIORITY = 0x0408,
	DXGW_OP_OFFER = 0x0409,
	DXGW_OP_RECLAIM = 0x040a,
	DXGW_OP_UPDATE_ALLOC_PROPERTY = 0x040b,
	DXGW_OP_CREATE_PAGING_QUEUE = 0x0410,
	DXGW_OP_DESTROY_PAGING_QUEUE = 0x0411,
	DXGW_OP_MAKE_RESIDENT = 0x0412,
	DXGW_OP_EVICT = 0x0413,
	DXGW_OP_RESERVE_GPU_VA = 0x0420,
	DXGW_OP_MAP_GPU_VA = 0x0421,
	DXGW_OP_FREE_GPU_VA = 0x0422,
	DXGW_OP_UPDATE_GPU_VA = 0x0423,
	DXGW_OP_CREATE_SYNC_OBJECT = 0x0500,
	DXGW_OP_DESTROY_SYNC_OBJECT = 0x0501,
	DXGW_OP_SIGNAL_FROM_CPU = 0x0502,
	DXGW_OP_GET_FENCE_SLOTS = 0x0503,
	DXGW_OP_SIGNAL_ON_QUEUE = 0x0504,
	DXGW_OP_WAIT_ON_QUEUE = 0x0505,
	DXGW_OP_CREATE_HW_QUEUE = 0x0600,
	DXGW_OP_DESTROY_HW_QUEUE = 0x0601,
	DXGW_OP_SUBMIT = 0x0602,
	DXGW_OP_SET_SCHEDULING_PRIORITY = 0x0603,
	DXGW_OP_GET_SCHEDULING_PRIORITY = 0x0604,
	DXGW_OP_GET_DEVICE_STATE = 0x0605,
	DXGW_OP_MARK_DEVICE_ERROR = 0x0606,
	DXGW_OP_QUERY_CLOCK_CALIBRATION = 0x0607,
	DXGW_OP_ESCAPE = 0x0608,
	DXGW_OP_SHARE_OBJECT = 0x0700,
	DXGW_OP_CLOSE_SHARE = 0x0701,
	DXGW_OP_OPEN_SHARED_SYNC_OBJECT = 0x0702,
	DXGW_OP_QUERY_SHARED_RESOURCE = 0x0703,
	DXGW_OP_OPEN_SHARED_RESOURCE = 0x0704,
	DXGW_OP_WAIT_SHARE_ON_QUEUE = 0x0705,
	DXGW_OP_QUERY_STATISTICS = 0x0800,
	DXGW_OP_IS_FEATURE_ENABLED = 0x0801,
	DXGW_OP_INVALIDATE_CACHE = 0x0802,
};

#define DXGW_FLAG_REPLY 0x0001u		/* set in every reply, never in a request */
#define DXGW_FLAGS_MASK DXGW_FLAG_REPLY

struct dxgw_hdr {
	dxg_le32 size;		/* header + body bytes; equals the ring record payload length */
	dxg_le16 opcode;	/* enum dxgw_opcode */
	dxg_le16 flags;		/* DXGW_FLAG_* */
	dxg_le64 request_id;	/* chosen by the guest, echoed by the host */
	dxg_le32 process;	/* host process handle, or 0 for VM-scoped opcodes */
	dxg_le32 status;	/* reply: 0 or -errno (s32); request: MBZ */
	dxg_le64 reserved;	/* MBZ */
};
DXG_ASSERT_SIZE(struct dxgw_hdr, 32);

/*
 * DXGW_OP_CONNECT: the first message of a guest driver instance. The host forgets every object the
 * VM had (a new driver instance cannot know them) and answers with what it offers.
 */
struct dxgw_connect_req {
	dxg_le32 guest_version;		/* DXG_PROTOCOL_VERSION of the guest */
	dxg_le32 reserved0;		/* MBZ */
	dxg_le64 guest_features;	/* DXG_FEATURE_* the guest wants (subset of host_features) */
};
DXG_ASSERT_SIZE(struct dxgw_connect_req, 16);

struct dxgw_connect_reply {
	dxg_le32 host_version;
	dxg_le32 generation;		/* equals the region header's generation */
	dxg_le64 features;		/* accepted: guest_features & host_features */
	dxg_le32 adapter_count;
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_connect_reply, 24);

/* DXGW_OP_NOP: no body, empty reply body. Used to measure a round trip. */

/* DXGW_OP_CREATE_PROCESS: a guest process (thread group) opened /dev/dxg. */
struct dxgw_create_process_req {
	dxg_le32 pid;			/* guest tgid, for display only */
	dxg_le32 reserved0;		/* MBZ */
	char name[DXGW_PROCESS_NAME_LEN];	/* comm, NUL padded; display only */
};
DXG_ASSERT_SIZE(struct dxgw_create_process_req, 24);

struct dxgw_create_process_reply {
	dxg_le32 process;		/* host process handle, used in hdr.process from now on */
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_create_process_reply, 8);

/* DXGW_OP_DESTROY_PROCESS: hdr.process is destroyed with every object it owns. No body. */

/* DXGW_OP_ENUM_ADAPTERS: no request body. */
#define DXGW_ADAPTER_COMPUTE_ONLY 0x1u	/* no display; always set by opendxg */
#define DXGW_ADAPTER_SOFTWARE 0x2u	/* a CPU implementation (lavapipe) */

struct dxgw_adapter_desc {
	dxg_le32 adapter;		/* host adapter handle (VM scope, same for every process) */
	dxg_le32 luid_low;
	dxg_le32 luid_high;
	dxg_le32 flags;			/* DXGW_ADAPTER_* */
};
DXG_ASSERT_SIZE(struct dxgw_adapter_desc, 16);

struct dxgw_enum_adapters_reply {
	dxg_le32 count;			/* <= DXGW_MAX_ADAPTERS; `count` descs follow */
	dxg_le32 reserved0;
	/* struct dxgw_adapter_desc adapters[count]; */
};
DXG_ASSERT_SIZE(struct dxgw_enum_adapters_reply, 8);

/* DXGW_OP_OPEN_ADAPTER / DXGW_OP_CLOSE_ADAPTER: the process opens or closes one reference. */
struct dxgw_adapter_req {
	dxg_le32 adapter;
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_adapter_req, 8);

/*
 * DXGW_OP_QUERY_ADAPTER_INFO: the process must have the adapter open. `data_size` bytes of the
 * caller's buffer follow (some query types take input there); the reply carries data_size bytes.
 */
struct dxgw_query_adapter_info_req {
	dxg_le32 adapter;
	dxg_le32 type;			/* KMTQAITYPE_* or OPENDXG_QAI_* */
	dxg_le32 data_size;		/* 1..DXGW_MAX_QAI_DATA */
	dxg_le32 reserved0;
	/* unsigned char data[data_size]; */
};
DXG_ASSERT_SIZE(struct dxgw_query_adapter_info_req, 16);

struct dxgw_query_adapter_info_reply {
	dxg_le32 data_size;		/* equals the request's */
	dxg_le32 reserved0;
	/* unsigned char data[data_size]; */
};
DXG_ASSERT_SIZE(struct dxgw_query_adapter_info_reply, 8);

/* DXGW_OP_CREATE_DEVICE: the process must have the adapter open. */
struct dxgw_create_device_req {
	dxg_le32 adapter;
	dxg_le32 flags;			/* d3dkmt_createdeviceflags bits, validated by the guest */
};
DXG_ASSERT_SIZE(struct dxgw_create_device_req, 8);

struct dxgw_handle_reply {
	dxg_le32 handle;		/* the created object */
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_handle_reply, 8);

/* DXGW_OP_DESTROY_DEVICE / DXGW_OP_DESTROY_CONTEXT: destroys the object and what hangs off it. */
struct dxgw_destroy_req {
	dxg_le32 handle;
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_destroy_req, 8);

/* DXGW_OP_CREATE_CONTEXT_VIRTUAL; reply is struct dxgw_handle_reply. */
struct dxgw_create_context_req {
	dxg_le32 device;
	dxg_le32 node_ordinal;
	dxg_le32 engine_affinity;
	dxg_le32 flags;			/* d3dddi_createcontextflags bits */
	dxg_le32 client_hint;
	dxg_le32 priv_size;		/* <= DXGW_MAX_CONTEXT_PRIV; private data follows */
};
DXG_ASSERT_SIZE(struct dxgw_create_context_req, 24);

/*
 * ---- 0x04xx memory ----
 *
 * Every handle below is a host handle except `adapter` (the host adapter handle, as in
 * OPEN_ADAPTER). Allocations, resources and paging queues are process objects: the host checks
 * type and owner (hdr.process) of every handle, -EINVAL otherwise. Handle lists are u32 arrays
 * padded with zeros to a multiple of 8 bytes; a list naming the same handle twice is -EINVAL.
 * A request naming several objects is all or nothing: it is fully validated before anything
 * changes. docs/protocol.md ("Memory") states each opcode's semantics and errors.
 */

/*
 * DXGW_OP_CREATE_ALLOCATION. The body is the fixed part, then runtime_data_size bytes of
 * runtime data (zero padded to a multiple of 8), then alloc_count descriptors, then the SPIR-V
 * code of every PROGRAM descriptor in descriptor order (each zero padded to a multiple of 8).
 * flags are D3DKMT_CREATEALLOCATION_FLAG_* restricted to DXGW_CREATE_ALLOCATION_FLAGS (others
 * -EINVAL). With CREATE_RESOURCE the allocations form a new resource (resource must be 0) that
 * keeps the runtime data; without it, resource is 0 (standalone device allocations, no runtime
 * data) or an existing resource of the device that the allocations join.
 */
struct dxgw_create_allocation_req {
	dxg_le32 device;
	dxg_le32 resource;
	dxg_le32 flags;
	dxg_le32 alloc_count;		/* 1..DXGW_MAX_ALLOCATIONS */
	dxg_le32 runtime_data_size;	/* runtime + all KMD data <= DXGW_MAX_ALLOC_PRIV */
	dxg_le32 reserved0;
	/* runtime data, descriptors, program code (see above) */
};
DXG_ASSERT_SIZE(struct dxgw_create_allocation_req, 24);

/* One allocation: the guest's translation of our KMD private data (opendxg.h). */
struct dxgw_alloc_desc {
	dxg_le32 kind;			/* OPENDXG_ALLOC_KIND_* */
	dxg_le32 flags;			/* OPENDXG_ALLOC_FLAG_* (none defined: MBZ) */
	dxg_le64 size;			/* bytes, >= 1; PROGRAM: equals code_size */
	dxg_le32 priority;		/* initial D3DDDI allocation priority, 0 = normal */
	dxg_le32 code_size;		/* PROGRAM: SPIR-V bytes (multiple of 4, >= 20); else 0 */
};
DXG_ASSERT_SIZE(struct dxgw_alloc_desc, 24);

struct dxgw_create_allocation_reply {
	dxg_le32 resource;		/* the new or joined resource, or 0 */
	dxg_le32 alloc_count;		/* equals the request's; results follow */
};
DXG_ASSERT_SIZE(struct dxgw_create_allocation_reply, 8);

struct dxgw_alloc_result {
	dxg_le32 allocation;
	dxg_le32 reserved0;
	dxg_le64 charged;		/* bytes charged to the quota (size rounded up to a page) */
};
DXG_ASSERT_SIZE(struct dxgw_alloc_result, 16);

/*
 * The D3DKMT_CREATEALLOCATION_FLAG_* bits the host accepts: CREATE_RESOURCE, CREATE_SHARED,
 * NON_SECURE, RESTRICT_SHARED_ACCESS, NT_SECURITY_SHARING, READ_ONLY, CREATE_WRITE_COMBINED,
 * CREATE_CACHED, ZEROED. CREATE_SHARED needs CREATE_RESOURCE and NT_SECURITY_SHARING (WSL's
 * rule). Every other bit asks for something opendxg cannot honour (existing system memory or
 * sections, protected content, cross-adapter, write watch, standard allocations): -EINVAL.
 */
#define DXGW_CREATE_ALLOCATION_FLAGS 0x000043d7u

/*
 * DXGW_OP_DESTROY_ALLOCATION: either a resource (alloc_count 0; the resource and all its
 * allocations go) or 1..DXGW_MAX_ALLOCATIONS standalone allocations of the device (an allocation
 * of a resource is -EINVAL here), then the handle list. flags: D3DDDICB_DESTROYALLOCATION2_FLAG_*.
 */
struct dxgw_destroy_allocation_req {
	dxg_le32 device;
	dxg_le32 resource;
	dxg_le32 alloc_count;
	dxg_le32 flags;
	/* u32 allocations[alloc_count], padded */
};
DXG_ASSERT_SIZE(struct dxgw_destroy_allocation_req, 16);

/*
 * DXGW_OP_LOCK / DXGW_OP_UNLOCK: a host-visible allocation of the device (another kind: -EINVAL).
 * LOCK counts one more CPU mapping and answers where the allocation lies in the region; UNLOCK
 * drops one (none left: -EINVAL). No reply body for UNLOCK.
 */
struct dxgw_lock_req {
	dxg_le32 device;
	dxg_le32 allocation;
	dxg_le32 flags;			/* MBZ */
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_lock_req, 16);

/*
 * resource and adapter tell the guest which later destructions take the allocation with them
 * (DESTROY_ALLOCATION of its resource, DESTROY_DEVICE, the process's last CLOSE_ADAPTER), so it
 * can drop its CPU mappings before the host reuses the pages.
 */
struct dxgw_lock_reply {
	dxg_le64 region_offset;		/* page aligned, inside the heap */
	dxg_le64 size;			/* bytes mapped: the allocation rounded up to a page */
	dxg_le32 resource;		/* the allocation's resource, or 0 */
	dxg_le32 adapter;		/* the device's host adapter handle */
	dxg_le32 flags;			/* DXGW_LOCK_* (protocol 1.3; a 24-byte reply means 0) */
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_lock_reply, 32);

/* The allocation was opened from a share without DXGW_ACCESS_WRITE: map it read-only. */
#define DXGW_LOCK_READ_ONLY 0x1u

/*
 * DXGW_OP_QUERY_VIDEO_MEMORY: the calling process's view of one segment group of an adapter it
 * has open. LOCAL = device-local and program allocations, NON_LOCAL = host-visible allocations
 * and evicted contents. budget = what the process may still hold under the VM's quota.
 */
struct dxgw_video_memory_req {
	dxg_le32 adapter;
	dxg_le32 segment_group;		/* D3DKMT_MEMORY_SEGMENT_GROUP_* */
	dxg_le64 reservation;		/* CHANGE_RESERVATION: the new reservation; QUERY: MBZ */
};
DXG_ASSERT_SIZE(struct dxgw_video_memory_req, 16);

struct dxgw_video_memory_reply {
	dxg_le64 budget;
	dxg_le64 current_usage;
	dxg_le64 current_reservation;
	dxg_le64 available_for_reservation;
};
DXG_ASSERT_SIZE(struct dxgw_video_memory_reply, 32);

/* DXGW_OP_CHANGE_RESERVATION: struct dxgw_video_memory_req; no reply body. */

/*
 * DXGW_OP_QUERY_RESIDENCY, DXGW_OP_SET_PRIORITY, DXGW_OP_GET_PRIORITY: either a resource
 * (count 0: one value for the whole resource) or count allocations of the device. The handle
 * list follows; SET_PRIORITY then carries max(count, 1) u32 priorities (padded). The replies
 * carry a struct dxgw_values_reply with max(count, 1) u32 values (D3DKMT_ALLOCATIONRESIDENCY-
 * STATUS_* or priorities).
 */
struct dxgw_alloc_list_req {
	dxg_le32 device;
	dxg_le32 resource;
	dxg_le32 count;			/* 0 with a resource, else 1..DXGW_MAX_RESIDENCY_HANDLES */
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_alloc_list_req, 16);

struct dxgw_values_reply {
	dxg_le32 count;			/* values that follow */
	dxg_le32 reserved0;
	/* u32 values[count], padded */
};
DXG_ASSERT_SIZE(struct dxgw_values_reply, 8);

/*
 * DXGW_OP_OFFER: count resources or count allocations of the device (which one: `resources`),
 * then the handle list. Offered contents may be discarded under memory pressure until reclaimed.
 */
struct dxgw_offer_req {
	dxg_le32 device;
	dxg_le32 count;			/* 1..DXGW_MAX_RESIDENCY_HANDLES */
	dxg_le32 priority;		/* D3DKMT_OFFER_PRIORITY_* */
	dxg_le32 flags;			/* D3DKMT_OFFER_FLAG_* */
	dxg_le32 resources;		/* 1: the list names resources, 0: allocations */
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_offer_req, 24);

/* DXGW_OP_RECLAIM: the reply's values are D3DDDI_RECLAIM_RESULT_*, one per handle. */
struct dxgw_reclaim_req {
	dxg_le32 paging_queue;
	dxg_le32 count;			/* 1..DXGW_MAX_RESIDENCY_HANDLES */
	dxg_le32 resources;		/* 1: the list names resources, 0: allocations */
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_reclaim_req, 16);

struct dxgw_reclaim_reply {
	dxg_le64 paging_fence_value;
	dxg_le32 count;
	dxg_le32 reserved0;
	/* u32 results[count], padded */
};
DXG_ASSERT_SIZE(struct dxgw_reclaim_reply, 16);

/* DXGW_OP_UPDATE_ALLOC_PROPERTY; reply struct dxgw_paging_reply. */
struct dxgw_update_alloc_property_req {
	dxg_le32 paging_queue;
	dxg_le32 allocation;
	dxg_le32 supported_segment_set;	/* bit n = segment n+1 (DXGW_SEGMENT_*) */
	dxg_le32 preferred_segment;
	dxg_le32 flags;			/* D3DDDI_UPDATEALLOCPROPERTY_FLAG_* */
	dxg_le32 property_mask;		/* D3DDDI_UPDATEALLOCPROPERTY_SET_*, at least one */
};
DXG_ASSERT_SIZE(struct dxgw_update_alloc_property_req, 24);

/* The two memory segments of every opendxg adapter (segment ids as WDDM counts them). */
#define DXGW_SEGMENT_LOCAL 1u		/* device-local memory and programs */
#define DXGW_SEGMENT_HOST_VISIBLE 2u	/* the VM's shared heap */

struct dxgw_paging_reply {
	dxg_le64 paging_fence_value;
};
DXG_ASSERT_SIZE(struct dxgw_paging_reply, 8);

/*
 * DXGW_OP_CREATE_PAGING_QUEUE. The queue owns a monitored fence (a SYNCOBJECT handle) whose
 * u64 value lives at fence_offset in the region's fence storage, in a page that holds only this
 * process's fences; the guest maps that page read-only into the process. The host writes a
 * fence's value (release) when a paging operation completes.
 */
struct dxgw_create_paging_queue_req {
	dxg_le32 device;
	dxg_le32 priority;		/* D3DDDI_PAGINGQUEUE_PRIORITY_* as s32 */
};
DXG_ASSERT_SIZE(struct dxgw_create_paging_queue_req, 8);

struct dxgw_create_paging_queue_reply {
	dxg_le32 paging_queue;
	dxg_le32 sync_object;
	dxg_le64 fence_offset;		/* region offset of the fence's u64, 8-byte aligned */
};
DXG_ASSERT_SIZE(struct dxgw_create_paging_queue_reply, 16);

/* DXGW_OP_DESTROY_PAGING_QUEUE: struct dxgw_destroy_req; the fence goes with the queue. */

/*
 * DXGW_OP_MAKE_RESIDENT: the handle list, then (when has_priorities) count u32 priorities,
 * padded. Reply struct dxgw_residency_reply, status 0 or DXGW_STATUS_PENDING (contents of an
 * evicted allocation are being restored: wait for the fence).
 */
struct dxgw_make_resident_req {
	dxg_le32 paging_queue;
	dxg_le32 count;			/* 1..DXGW_MAX_RESIDENCY_HANDLES */
	dxg_le32 flags;			/* D3DDDI_MAKERESIDENT_FLAG_* */
	dxg_le32 has_priorities;	/* 0 or 1 */
};
DXG_ASSERT_SIZE(struct dxgw_make_resident_req, 16);

struct dxgw_residency_reply {
	dxg_le64 paging_fence_value;	/* MAKE_RESIDENT; 0 for EVICT */
	dxg_le64 num_bytes_to_trim;
};
DXG_ASSERT_SIZE(struct dxgw_residency_reply, 16);

/* DXGW_OP_EVICT: the handle list follows; reply struct dxgw_residency_reply. */
struct dxgw_evict_req {
	dxg_le32 device;
	dxg_le32 count;			/* 1..DXGW_MAX_RESIDENCY_HANDLES */
	dxg_le32 flags;			/* D3DDDI_EVICT_FLAG_* */
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_evict_req, 16);

/*
 * DXGW_OP_RESERVE_GPU_VA: in the calling process's address space on the adapter (named by
 * `adapter`, or by `paging_queue` when adapter is 0). Reply struct dxgw_gpu_va_reply.
 */
struct dxgw_reserve_gpu_va_req {
	dxg_le32 adapter;
	dxg_le32 paging_queue;
	dxg_le64 base_address;		/* 0: anywhere in [minimum, maximum) */
	dxg_le64 minimum_address;
	dxg_le64 maximum_address;	/* 0: no upper bound */
	dxg_le64 size;
	dxg_le32 reservation_type;	/* D3DDDIGPUVA_RESERVE_* */
	dxg_le32 reserved0;
	dxg_le64 driver_protection;
};
DXG_ASSERT_SIZE(struct dxgw_reserve_gpu_va_req, 56);

struct dxgw_gpu_va_reply {
	dxg_le64 virtual_address;
	dxg_le64 paging_fence_value;
};
DXG_ASSERT_SIZE(struct dxgw_gpu_va_reply, 16);

/* DXGW_OP_MAP_GPU_VA: maps pages of an allocation; reply struct dxgw_gpu_va_reply. */
struct dxgw_map_gpu_va_req {
	dxg_le32 paging_queue;
	dxg_le32 allocation;
	dxg_le64 base_address;		/* 0: a new range in [minimum, maximum) */
	dxg_le64 minimum_address;
	dxg_le64 maximum_address;
	dxg_le64 offset_in_pages;
	dxg_le64 size_in_pages;
	dxg_le64 protection;		/* D3DDDIGPUVA_PROTECTION_* */
	dxg_le64 driver_protection;
};
DXG_ASSERT_SIZE(struct dxgw_map_gpu_va_req, 64);

/* DXGW_OP_FREE_GPU_VA: frees one whole reservation and its mappings. No reply body. */
struct dxgw_free_gpu_va_req {
	dxg_le32 adapter;
	dxg_le32 reserved0;
	dxg_le64 base_address;
	dxg_le64 size;
};
DXG_ASSERT_SIZE(struct dxgw_free_gpu_va_req, 24);

/*
 * DXGW_OP_UPDATE_GPU_VA: num_operations struct dxgw_gpu_va_op follow. The operations apply in
 * order, all or nothing, once fence_object (0: none) has reached fence_value. No reply body.
 */
struct dxgw_update_gpu_va_req {
	dxg_le32 device;
	dxg_le32 context;
	dxg_le32 fence_object;
	dxg_le32 num_operations;	/* 1..DXGW_MAX_GPUVA_OPS */
	dxg_le64 fence_value;
	dxg_le32 flags;			/* D3DKMT_UPDATEGPUVIRTUALADDRESS_FLAG_* */
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_update_gpu_va_req, 32);

/* One operation: the UAPI struct d3dddi_updategpuvirtualaddress_operation, little-endian. */
struct dxgw_gpu_va_op {
	dxg_le32 operation;		/* D3DDDI_UPDATEGPUVIRTUALADDRESS_* */
	dxg_le32 reserved0;		/* MBZ */
	dxg_le64 base_address;		/* COPY: source address */
	dxg_le64 size;
	dxg_le64 dest_address;		/* COPY only; else MBZ */
	dxg_le32 allocation;		/* MAP, MAP_PROTECT; else MBZ */
	dxg_le32 reserved1;		/* MBZ */
	dxg_le64 allocation_offset;	/* MAP, MAP_PROTECT: bytes, page aligned */
	dxg_le64 protection;		/* MAP_PROTECT, UNMAP */
	dxg_le64 driver_protection;	/* MAP_PROTECT */
};
DXG_ASSERT_SIZE(struct dxgw_gpu_va_op, 64);

/*
 * ---- 0x05xx synchronization objects ----
 *
 * docs/protocol.md ("Synchronization") has the semantics. In short: a sync object belongs to a
 * device of the process (every handle below is checked for type and owner, -EINVAL otherwise).
 * MONITORED_FENCE and CPU_NOTIFICATION objects own a u64 slot in the region's fence storage, in
 * a page that holds only this process's slots (as paging-queue fences do); the host is the only
 * writer: it keeps the authoritative value privately, stores it little-endian with release
 * semantics whenever it changes, then kicks DXG_VECTOR_RING. A guest never trusts nor writes
 * the slot; it only reads it to decide whether a waiter may return. A CPU_NOTIFICATION slot
 * counts the signals the object received (the guest signals its eventfd when the count moves).
 * Values of a fence only ever change by the writes the protocol describes.
 */
#define DXGW_MAX_SYNC_OBJECTS 32u	/* per signal or wait (D3DDDI_MAX_OBJECT_SIGNALED / _WAITED_ON) */
#define DXGW_MAX_QUEUES 64u		/* queues per SIGNAL_ON_QUEUE (D3DDDI_MAX_BROADCAST_CONTEXT) */
#define DXGW_MAX_HWQUEUE_PRIV (128u * 1024u)	/* CREATE_HW_QUEUE private data */
#define DXGW_MAX_ESCAPE_DATA (128u * 1024u)	/* ESCAPE private data */
/* What a fence reaches when the queue that would have signalled it is broken (D3D's "removed"). */
#define DXGW_FENCE_VALUE_ERROR (~(uint64_t)0)	/* UINT64_MAX, spelt for the kernel too */

/*
 * Sync object flags the host accepts (D3DDDI_SYNCOBJ_FLAG_*): all eight. SHARED with
 * NT_SECURITY_SHARING makes an object SHARE_OBJECT accepts (SHARED alone, a global share name,
 * is -EINVAL, as in WSL); NT_SECURITY_SHARING alone is recorded and shares nothing.
 * NO_SIGNAL_MAX_VALUE_ON_TDR keeps a fence from jumping to DXGW_FENCE_VALUE_ERROR when its queue
 * breaks.
 */
#define DXGW_SYNC_OBJECT_FLAGS 0x000000ffu

/*
 * DXGW_OP_CREATE_SYNC_OBJECT. type is D3DDDI_SYNCHRONIZATION_MUTEX (value0: initial_state,
 * 0 or 1 = owned), D3DDDI_SEMAPHORE (value0: max_count 1..INT32_MAX, value1: initial_count <=
 * max_count), D3DDDI_FENCE (value0: initial value), D3DDDI_CPU_NOTIFICATION (no values; the
 * guest keeps the eventfd) or D3DDDI_MONITORED_FENCE (value0: initial value); values a type does
 * not use are MBZ. PERIODIC_MONITORED_FENCE needs a display: -EINVAL. Reply
 * struct dxgw_create_sync_object_reply.
 */
struct dxgw_create_sync_object_req {
	dxg_le32 device;
	dxg_le32 type;
	dxg_le32 flags;			/* DXGW_SYNC_OBJECT_FLAGS */
	dxg_le32 reserved0;
	dxg_le64 value0;
	dxg_le64 value1;
};
DXG_ASSERT_SIZE(struct dxgw_create_sync_object_req, 32);

struct dxgw_create_sync_object_reply {
	dxg_le32 sync_object;
	dxg_le32 reserved0;
	dxg_le64 fence_offset;		/* MONITORED_FENCE, CPU_NOTIFICATION: the slot; else 0 */
	dxg_le64 fence_gpu_va;		/* 0: fences are not visible in GPU VA spaces */
};
DXG_ASSERT_SIZE(struct dxgw_create_sync_object_reply, 24);

/*
 * DXGW_OP_DESTROY_SYNC_OBJECT: struct dxgw_destroy_req. Queue waits still naming the object are
 * satisfied (the object cannot be signalled any more); fences owned by a paging queue or a hardware
 * queue go only with their queue (-EINVAL here).
 */

/*
 * DXGW_OP_SIGNAL_FROM_CPU: the handle list (count entries, padded to 8 bytes), then count u64
 * values. Monitored fences only. Each fence takes its value at once; a value below the current
 * one is -EINVAL unless flags has D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND. No reply body.
 */
struct dxgw_signal_from_cpu_req {
	dxg_le32 device;
	dxg_le32 count;			/* 1..DXGW_MAX_SYNC_OBJECTS */
	dxg_le32 flags;			/* D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND only */
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_signal_from_cpu_req, 16);

/*
 * DXGW_OP_GET_FENCE_SLOTS: the handle list follows. Every handle must be a monitored fence of
 * `device` (its own objects, its paging-queue and hardware-queue fences). The reply is count u64
 * region offsets, in order: what a guest waits on for WAITFORSYNCHRONIZATIONOBJECTFROMCPU, a wait
 * the guest performs itself by watching the slots.
 */
struct dxgw_get_fence_slots_req {
	dxg_le32 device;
	dxg_le32 count;			/* 1..DXGW_MAX_SYNC_OBJECTS */
};
DXG_ASSERT_SIZE(struct dxgw_get_fence_slots_req, 8);

/*
 * DXGW_OP_SIGNAL_ON_QUEUE: the queue list (contexts or hardware queues, queue_count entries,
 * padded), the object list (padded), then object_count u64 values. Every queue gets a marker
 * behind the work already queued on it; once all markers are reached, each object is signalled
 * in list order: a fence or monitored fence takes its value (values below the current one need
 * ALLOW_FENCE_REWIND, checked here), a mutex is released, a semaphore counts up (never beyond
 * max_count), a CPU notification counts its slot up. Values of other types are ignored. Queues
 * must all belong to one device, the objects to the same device. flags: D3DDDICB_SIGNAL_FLAG_*
 * except ENQUEUE_CPU_EVENT (the guest driver handles it) and INTERNAL0. No reply body.
 */
struct dxgw_signal_on_queue_req {
	dxg_le32 queue_count;		/* 1..DXGW_MAX_QUEUES */
	dxg_le32 object_count;		/* 1..DXGW_MAX_SYNC_OBJECTS */
	dxg_le32 flags;
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_signal_on_queue_req, 16);

/*
 * DXGW_OP_WAIT_ON_QUEUE: the object list (padded), then object_count u64 values. Work queued on
 * `queue` after this waits until every object is satisfied: a fence or monitored fence reaches
 * its value, a mutex is acquired (then owned until a signal releases it), a semaphore is counted
 * down. CPU notifications cannot be waited on (-EINVAL). No reply body.
 */
struct dxgw_wait_on_queue_req {
	dxg_le32 queue;			/* a context or a hardware queue */
	dxg_le32 object_count;		/* 1..DXGW_MAX_SYNC_OBJECTS */
};
DXG_ASSERT_SIZE(struct dxgw_wait_on_queue_req, 8);

/*
 * ---- 0x06xx execution ----
 *
 * Every context has one queue of its own; CREATE_HW_QUEUE adds more (hardware queues). A queue
 * runs its items in order: command buffers (SUBMIT), signals and waits (0x05xx). A command buffer
 * is a packet stream (include/uapi/misc/opendxg.h, docs/cmdbuf.md) that the host copies out of a
 * host-visible allocation during SUBMIT, so the guest may reuse that memory once SUBMIT answered.
 *
 * A broken command buffer breaks its context (and the context's hardware queues), never more:
 * malformed packets are -EINVAL from SUBMIT and mark the context D3DKMT_DEVICEEXECUTION_
 * ERROR_DMAFAULT; a packet whose GPU VA does not translate when it runs marks it
 * ERROR_DMAPAGEFAULT (GET_DEVICE_STATE reports the address). A broken context drops its queued
 * work; signals it would have made set monitored fences to DXGW_FENCE_VALUE_ERROR (unless created
 * with NO_SIGNAL_MAX_VALUE_ON_TDR), hardware-queue progress fences too; later SUBMIT, SIGNAL and
 * WAIT on it are -ENODEV (D3D's "device removed").
 */

/*
 * DXGW_OP_CREATE_HW_QUEUE: priv_size bytes of private data follow (recorded as a size, as for
 * contexts). The queue's progress fence is a monitored fence the host signals with the
 * progress_fence_value of each SUBMIT once that command buffer completed.
 */
struct dxgw_create_hw_queue_req {
	dxg_le32 context;
	dxg_le32 flags;			/* D3DDDI_CREATEHWQUEUE_FLAG_* */
	dxg_le32 priv_size;		/* <= DXGW_MAX_HWQUEUE_PRIV */
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_create_hw_queue_req, 16);

struct dxgw_create_hw_queue_reply {
	dxg_le32 queue;
	dxg_le32 progress_fence;	/* a SYNCOBJECT handle owned by the queue */
	dxg_le64 fence_offset;		/* the progress fence's slot */
	dxg_le64 fence_gpu_va;		/* 0, as for sync objects */
};
DXG_ASSERT_SIZE(struct dxgw_create_hw_queue_reply, 24);

/*
 * DXGW_OP_DESTROY_HW_QUEUE: struct dxgw_destroy_req. Work already running completes; queued
 * work is dropped (its signals never happen). Destroying a context does the same for it and
 * its hardware queues.
 */

/*
 * DXGW_OP_SUBMIT: appends a command buffer to a queue. length is the buffer's size in bytes and
 * must equal the header's size; [command_buffer, +length) must translate, in the submitting
 * process's GPU VA space on the queue's adapter, to one host-visible allocation mapped readable.
 * progress_fence_value: for a hardware queue, the value its progress fence takes when this
 * buffer completed, greater than every earlier one of the queue (else -EINVAL); for a context MBZ.
 * flags: D3DKMT_SUBMITCOMMAND_FLAG_NULL_RENDERING (validate, but execute nothing). No reply body.
 */
struct dxgw_submit_req {
	dxg_le32 queue;			/* a context or a hardware queue */
	dxg_le32 flags;
	dxg_le64 command_buffer;	/* GPU VA */
	dxg_le32 length;		/* OPENDXG_CMD_HEADER_SIZE..OPENDXG_CMD_MAX_SIZE */
	dxg_le32 reserved0;
	dxg_le64 progress_fence_value;
};
DXG_ASSERT_SIZE(struct dxgw_submit_req, 32);

/*
 * DXGW_OP_SET_SCHEDULING_PRIORITY / GET_SCHEDULING_PRIORITY: the context's priority (in_process
 * 0: D3DKMTSetContextSchedulingPriority, 1: the in-process variant), -7..7. GET ignores
 * `priority` (MBZ) and answers struct dxgw_priority_reply.
 */
#define DXGW_PRIORITY_MIN (-7)
#define DXGW_PRIORITY_MAX 7

struct dxgw_scheduling_priority_req {
	dxg_le32 context;
	dxg_le32 priority;		/* s32 */
	dxg_le32 in_process;		/* 0 or 1 */
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_scheduling_priority_req, 16);

struct dxgw_priority_reply {
	dxg_le32 priority;		/* s32 */
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_priority_reply, 8);

/*
 * DXGW_OP_GET_DEVICE_STATE: state_type D3DKMT_DEVICESTATE_EXECUTION (execution_state: ACTIVE,
 * or the error of the device's first broken context, or what MARK_DEVICE_ERROR set) or
 * D3DKMT_DEVICESTATE_PAGE_FAULT (the fault of the first context that took one; -EINVAL when none
 * did). Other types: -EINVAL.
 */
struct dxgw_get_device_state_req {
	dxg_le32 device;
	dxg_le32 state_type;
};
DXG_ASSERT_SIZE(struct dxgw_get_device_state_req, 8);

struct dxgw_device_state_reply {
	dxg_le32 execution_state;	/* D3DKMT_DEVICEEXECUTION_* */
	dxg_le32 broken_context;	/* the first broken context, 0 when none */
	dxg_le64 fault_sequence;	/* the faulting SUBMIT: its 1-based number on its queue */
	dxg_le64 fault_va;		/* the GPU VA that did not translate */
	dxg_le32 fault_flags;		/* DXGW_FAULT_* */
	dxg_le32 fault_packet;		/* byte offset of the faulting packet in its buffer */
};
DXG_ASSERT_SIZE(struct dxgw_device_state_reply, 32);

#define DXGW_FAULT_WRITE 0x1u		/* the access was a write */
#define DXGW_FAULT_NOT_MAPPED 0x2u	/* no mapping (else: mapped without the access right) */

/*
 * DXGW_OP_MARK_DEVICE_ERROR: every context of the device breaks as if it had faulted
 * (D3DKMT_DEVICEEXECUTION_RESET); reason is D3DKMT_DEVICE_ERROR_REASON_* (else -EINVAL).
 */
struct dxgw_mark_device_error_req {
	dxg_le32 device;
	dxg_le32 reason;
};
DXG_ASSERT_SIZE(struct dxgw_mark_device_error_req, 8);

/*
 * DXGW_OP_QUERY_CLOCK_CALIBRATION: a GPU timestamp and the host's CLOCK_MONOTONIC taken together.
 * The guest pairs it with its own clock (the host's is not the guest's).
 */
struct dxgw_clock_calibration_req {
	dxg_le32 adapter;
	dxg_le32 node_ordinal;		/* 0: opendxg adapters have one node */
};
DXG_ASSERT_SIZE(struct dxgw_clock_calibration_req, 8);

struct dxgw_clock_calibration_reply {
	dxg_le64 gpu_frequency;		/* timestamp ticks per second */
	dxg_le64 gpu_clock_counter;
	dxg_le64 host_clock_ns;
};
DXG_ASSERT_SIZE(struct dxgw_clock_calibration_reply, 24);

/*
 * DXGW_OP_ESCAPE: priv_size bytes follow; the reply is struct dxgw_escape_reply and priv_size
 * bytes (the same size: escapes answer in place). Only D3DKMT_ESCAPE_DRIVERPRIVATE with an
 * opendxg escape (struct opendxg_escape_header, include/uapi/misc/opendxg.h) is answered; other
 * types and unknown codes are -EINVAL. adapter must be open; device and context are 0 or the
 * process's own objects on that adapter.
 */
struct dxgw_escape_req {
	dxg_le32 adapter;
	dxg_le32 device;
	dxg_le32 context;
	dxg_le32 type;			/* D3DKMT_ESCAPE_* */
	dxg_le32 flags;			/* d3dddi_escapeflags bits; recorded, no meaning here */
	dxg_le32 priv_size;		/* 8..DXGW_MAX_ESCAPE_DATA */
};
DXG_ASSERT_SIZE(struct dxgw_escape_req, 24);

struct dxgw_escape_reply {
	dxg_le32 priv_size;
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_escape_reply, 8);

/*
 * ---- 0x07xx sharing between processes of one VM ----
 *
 * WSL's NT-handle sharing (SHAREOBJECTS and the OPEN...FROMNTHANDLE calls, sync files): a share
 * is a VM-scoped reference to one sync object or resource, named by a share_id the host picks
 * (never 0, never reused while the worker runs). The guest driver keeps share ids inside file
 * descriptors, so a process can only name a share it was given; the host checks nothing about
 * which process uses an id (shares are how processes of one VM meet) but never lets one VM name
 * another's (each worker has its own ids).
 *
 * An object has at most one share, created by its first SHARE_OBJECT; every SHARE_OBJECT adds one
 * reference to it and CLOSE_SHARE drops one (the guest sends one CLOSE_SHARE per descriptor it
 * closes). The object lives while a reference or any handle on it (its creator's or an opened
 * one, in any process) is left, whatever happens to the creator: closing all descriptors and
 * handles frees it.
 *
 * Opening gives the calling process a handle of its own on the same object, on a device of its
 * own (objects.h ownership rules apply to that handle): one value, one state, seen and changed
 * through every handle. Each opened handle carries the access the share's descriptor granted
 * (DXGW_ACCESS_*); the creator's handle has all of it. Using a handle for what it lacks is
 * -EACCES (waiting, CPU or queue, needs WAIT; signalling needs SIGNAL; writes through an
 * allocation need WRITE; see each opcode).
 */
#define DXGW_ACCESS_WAIT 0x1u		/* sync: wait on it, CPU or queue, and read its value */
#define DXGW_ACCESS_SIGNAL 0x2u		/* sync: signal it, CPU or queue */
#define DXGW_ACCESS_READ 0x4u		/* resource: read (CPU mappings, GPU reads); needed to open */
#define DXGW_ACCESS_WRITE 0x8u		/* resource: write (CPU mappings, GPU writes) */
#define DXGW_ACCESS_SYNC_ALL (DXGW_ACCESS_WAIT | DXGW_ACCESS_SIGNAL)
#define DXGW_ACCESS_RESOURCE_ALL (DXGW_ACCESS_READ | DXGW_ACCESS_WRITE)

#define DXGW_SHARE_KIND_SYNC_OBJECT 1u
#define DXGW_SHARE_KIND_RESOURCE 2u

/*
 * DXGW_SHARE_OBJECT flags. SYNC_FILE: a sync file's reference (CREATESYNCFILE): any monitored
 * fence of the process may be shared this way, queue fences and objects created without SHARED
 * included; without it the object must be a sync object created with SHARED and
 * NT_SECURITY_SHARING (a queue's fence is -EINVAL) or a resource created with CREATE_SHARED.
 */
#define DXGW_SHARE_SYNC_FILE 0x1u
#define DXGW_SHARE_FLAGS DXGW_SHARE_SYNC_FILE

/*
 * DXGW_OP_SHARE_OBJECT: `object` is a sync object or resource handle of the calling process.
 * Reply struct dxgw_share_object_reply. Errors: -EINVAL (bad handle, an object that may not be
 * shared), -ENOMEM (share or fence slot limits).
 */
struct dxgw_share_object_req {
	dxg_le32 object;
	dxg_le32 flags;			/* DXGW_SHARE_* */
};
DXG_ASSERT_SIZE(struct dxgw_share_object_req, 8);

/*
 * fence_offset: for a monitored fence, a fence slot of the share itself, in a fence-storage page
 * that belongs to no process (no process can map it; the guest driver reads it through its own
 * mapping of the region). The host mirrors the fence's value there as into every other slot of
 * the object; when no handle on the object is left (nothing can signal it any more) the slot
 * takes DXGW_FENCE_VALUE_ERROR, so a sync file never waits forever. 0 for other objects.
 */
struct dxgw_share_object_reply {
	dxg_le64 share_id;
	dxg_le32 kind;			/* DXGW_SHARE_KIND_* */
	dxg_le32 sync_type;		/* sync objects: D3DDDI_*; resources: 0 */
	dxg_le64 fence_offset;
};
DXG_ASSERT_SIZE(struct dxgw_share_object_reply, 24);

/*
 * DXGW_OP_CLOSE_SHARE: VM scope (hdr.process 0): a descriptor may outlive the process that
 * made it. Drops one reference; -EINVAL for an unknown id or one with no reference left. No
 * reply body.
 */
struct dxgw_close_share_req {
	dxg_le64 share_id;
};
DXG_ASSERT_SIZE(struct dxgw_close_share_req, 8);

/*
 * DXGW_OP_OPEN_SHARED_SYNC_OBJECT: a new handle of the calling process, on `device` (any adapter),
 * for the share's sync object, with `access` (DXGW_ACCESS_SYNC_ALL bits, at least one). Reply
 * struct dxgw_open_shared_sync_object_reply; the handle has its own fence slot in the process's
 * fence pages (monitored fences, CPU notifications). It counts against max_sync_objects. Errors:
 * -EINVAL (bad device, unknown share, a resource's share, access 0 or unknown bits), -ENOMEM.
 */
struct dxgw_open_shared_sync_object_req {
	dxg_le32 device;
	dxg_le32 access;		/* DXGW_ACCESS_WAIT | DXGW_ACCESS_SIGNAL */
	dxg_le64 share_id;
};
DXG_ASSERT_SIZE(struct dxgw_open_shared_sync_object_req, 16);

struct dxgw_open_shared_sync_object_reply {
	dxg_le32 sync_object;
	dxg_le32 type;			/* D3DDDI_* */
	dxg_le64 fence_offset;		/* as in CREATE_SYNC_OBJECT */
	dxg_le64 fence_gpu_va;		/* 0 */
	dxg_le64 fence_value;		/* fences: the value now; else 0 */
};
DXG_ASSERT_SIZE(struct dxgw_open_shared_sync_object_reply, 32);

/*
 * DXGW_OP_QUERY_SHARED_RESOURCE: what OPEN_SHARED_RESOURCE will need, for QUERYRESOURCEINFO-
 * FROMNTHANDLE. `device` is the caller's (it must be on the resource's adapter, -EINVAL
 * otherwise, as for an unknown share or a sync object's share).
 */
struct dxgw_query_shared_resource_req {
	dxg_le32 device;
	dxg_le32 reserved0;
	dxg_le64 share_id;
};
DXG_ASSERT_SIZE(struct dxgw_query_shared_resource_req, 16);

struct dxgw_query_shared_resource_reply {
	dxg_le32 allocation_count;
	dxg_le32 runtime_data_size;	/* the resource's runtime private data */
};
DXG_ASSERT_SIZE(struct dxgw_query_shared_resource_reply, 8);

/*
 * DXGW_OP_OPEN_SHARED_RESOURCE: a new resource handle of the calling process on `device` (the
 * resource's adapter), with a handle per allocation, all naming the creator's memory (nothing is
 * copied or charged again; the memory is charged to its creator's VM quota until the last
 * handle and reference go). allocation_count must equal the resource's (-EINVAL). access needs
 * DXGW_ACCESS_READ (-EACCES without it); without DXGW_ACCESS_WRITE the opened allocations are
 * read-only: LOCK answers DXGW_LOCK_READ_ONLY, GPU VA mappings of them never allow writes (a
 * write faults as in a read-only mapping), and packets writing them are the same page fault.
 * Residency, priority, offer/reclaim and LOCK counts act on the shared memory through any
 * handle. Reply: struct dxgw_open_shared_resource_reply, allocation_count struct
 * dxgw_shared_allocation, then runtime_data_size bytes (zero padded to 8).
 */
struct dxgw_open_shared_resource_req {
	dxg_le32 device;
	dxg_le32 access;		/* DXGW_ACCESS_RESOURCE_ALL bits */
	dxg_le64 share_id;
	dxg_le32 allocation_count;	/* 1..DXGW_MAX_ALLOCATIONS */
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_open_shared_resource_req, 24);

struct dxgw_open_shared_resource_reply {
	dxg_le32 resource;
	dxg_le32 allocation_count;
	dxg_le32 runtime_data_size;
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_open_shared_resource_reply, 16);

/* One opened allocation: what the guest driver turns into the KMD private data it returns. */
struct dxgw_shared_allocation {
	dxg_le32 allocation;		/* the new handle */
	dxg_le32 kind;			/* OPENDXG_ALLOC_KIND_* */
	dxg_le64 size;			/* as created */
};
DXG_ASSERT_SIZE(struct dxgw_shared_allocation, 16);

/*
 * DXGW_OP_WAIT_SHARE_ON_QUEUE: WAITSYNCFILE. Work queued on `queue` (a context or hardware queue
 * of the caller) after this waits until the share's monitored fence reaches `value`, or until no
 * handle on the object is left (nothing can signal it any more). The wait holds the object, not
 * a handle. -EINVAL: bad queue, unknown share, not a monitored fence; -ENODEV: broken queue.
 * No reply body.
 */
struct dxgw_wait_share_on_queue_req {
	dxg_le32 queue;
	dxg_le32 reserved0;
	dxg_le64 share_id;
	dxg_le64 value;
};
DXG_ASSERT_SIZE(struct dxgw_wait_share_on_queue_req, 24);

/*
 * ---- 0x08xx statistics and queries ----
 */

/*
 * DXGW_OP_QUERY_STATISTICS: QUERYSTATISTICS for an adapter the VM has (the caller need not have
 * it open: WSL names it by LUID). `type` is D3DKMT_QUERYSTATISTICS_*; the PROCESS_* types
 * describe `target` (a host process of the VM; 0: the caller; WSL lets a caller name another
 * process by pid, the guest driver translates). `query` is the ioctl's query union (node id,
 * segment id, ...) as given. The reply is the D3DKMT_QUERYSTATISTICS_RESULT union, laid out as
 * in include/uapi/misc/d3dkmthk.h (the Windows layout), with real numbers: memory from the
 * memory module, GPU time and queue depth from the execution module. Types that need a display
 * (VIDPNSOURCE, PROCESS_VIDPNSOURCE), unknown types and ids beyond what the adapter has: -EINVAL.
 */
struct dxgw_query_statistics_req {
	dxg_le32 adapter;		/* host adapter handle */
	dxg_le32 type;
	dxg_le32 query[2];		/* d3dkmt_querystatistics.query, as given */
	dxg_le32 target;		/* host process handle, 0: the caller */
	dxg_le32 reserved0;
};
DXG_ASSERT_SIZE(struct dxgw_query_statistics_req, 24);

/* The reply body is exactly DXGW_QUERY_STATISTICS_RESULT_SIZE bytes. */
#define DXGW_QUERY_STATISTICS_RESULT_SIZE 0x308u

/*
 * DXGW_OP_IS_FEATURE_ENABLED: LX_ISFEATUREENABLED for an adapter the process has open.
 * feature_id is a DXGK_FEATURE_ID; the reply is dxgk_isfeatureenabled_result's two u16 widened.
 */
struct dxgw_is_feature_enabled_req {
	dxg_le32 adapter;
	dxg_le32 feature_id;
};
DXG_ASSERT_SIZE(struct dxgw_is_feature_enabled_req, 8);

struct dxgw_is_feature_enabled_reply {
	dxg_le32 version;		/* u16 */
	dxg_le32 value;			/* u16, DXGK_ISFEATUREENABLED_* */
};
DXG_ASSERT_SIZE(struct dxgw_is_feature_enabled_reply, 8);

/*
 * DXGW_OP_INVALIDATE_CACHE: INVALIDATECACHE. [offset, offset + length) of an allocation of
 * `device` (opened ones included) becomes coherent for the CPU: the host's writes to it
 * (finished jobs) are visible to the guest's CPU mappings afterwards. -EINVAL: bad handles, a
 * range outside the allocation (or overflowing). No reply body.
 */
struct dxgw_invalidate_cache_req {
	dxg_le32 device;
	dxg_le32 allocation;
	dxg_le64 offset;
	dxg_le64 length;
};
DXG_ASSERT_SIZE(struct dxgw_invalidate_cache_req, 24);

#endif /* OPENDXG_WIRE_H */
