/* SPDX-License-Identifier: MIT */
/*
 * The memory objects of one VM, as a worker keeps them (docs/protocol.md, "Memory"):
 * allocations of three kinds (host-visible pages of the region's heap, device-local Vulkan
 * buffers, SPIR-V programs), resources (a group of allocations plus the runtime's private data),
 * paging queues with a monitored fence in the region's fence storage, residency (eviction of
 * device-local contents to worker memory and their restore), priorities, offer/reclaim, and one
 * GPU virtual address space per (process, adapter).
 *
 * Accounting is per VM and adapter: every allocation is charged its size rounded up to a page,
 * against the VM's quota_bytes on that adapter, exactly. A process's claim on an adapter is
 * max(its charged bytes, its reservations); the claims of all processes never exceed the quota.
 *
 * Lifetimes follow objects.h: allocations, resources and paging queues die with their device,
 * GPU VA spaces and reservations with the process's last reference to the adapter or with the
 * process. Functions return 0 or a negative errno (-EINVAL bad handles or arguments, -ENOMEM
 * quota, heap, device memory or object limits); the request handler may also return
 * DXGW_STATUS_PENDING (work continues after the reply, see memory_after_reply()).
 */
#ifndef DXGD_MEMORY_H
#define DXGD_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#include <vulkan/vulkan.h>

#include "objects.h"
#include "vk_backend.h"
#include "wire_decode.h"

#define MEM_PAGE 4096u
/* D3DDDI_ALLOCATIONPRIORITY_NORMAL: what a descriptor's priority 0 stands for. */
#define MEM_PRIORITY_NORMAL 0x78000000u
#define MEM_QUOTA_UNLIMITED UINT64_MAX
#define MEM_DEFAULT_MAX_ALLOCATIONS (1u << 20)
#define MEM_DEFAULT_MAX_GPUVA_ENTRIES 65536u
/*
 * Resource runtime data is kept in worker memory, not charged to the quota (it is not GPU
 * memory), so its VM-wide total has its own bound.
 */
#define MEM_MAX_RUNTIME_DATA (64ull << 20)
/* No allocation is larger; this also keeps every size sum far from overflowing. */
#define MEM_MAX_ALLOCATION_SIZE (1ull << 48)
/* Fence slots per fence-storage page (one u64 each). */
#define MEM_FENCES_PER_PAGE (MEM_PAGE / 8u)

/* The VM's limits from the dxgd configuration (docs/dxgd.md); the same on every adapter. */
struct vm_memory_quota {
	uint64_t quota_bytes;		/* per adapter; MEM_QUOTA_UNLIMITED: none */
	uint32_t max_allocations;	/* live allocations of the VM, every adapter and kind */
	uint32_t max_gpuva_entries;	/* per GPU VA space (reservations + mappings) */
};

#define VM_MEMORY_DEFAULT_QUOTA { \
	.quota_bytes = MEM_QUOTA_UNLIMITED, \
	.max_allocations = MEM_DEFAULT_MAX_ALLOCATIONS, \
	.max_gpuva_entries = MEM_DEFAULT_MAX_GPUVA_ENTRIES, \
}

struct vk_device;
struct vk_buffer;

/*
 * Where device-local memory comes from: host/vk_device.h by default. Tests and the fuzzer plug in
 * a device of their own so that eviction and restore run without a GPU.
 */
struct mem_device_ops {
	int (*open)(const struct vk_adapter *adapter, VkInstance instance, struct vk_device **out);
	void (*close)(struct vk_device *d);
	uint64_t (*max_buffer)(const struct vk_device *d);
	int (*buffer_create)(struct vk_device *d, uint64_t size, struct vk_buffer **out);
	void (*buffer_destroy)(struct vk_buffer *b);
	int (*buffer_read)(struct vk_buffer *b, uint64_t offset, void *dst, uint64_t len);
	int (*buffer_write)(struct vk_buffer *b, uint64_t offset, const void *src, uint64_t len);
};

extern const struct mem_device_ops mem_vulkan_device_ops;

struct vm_memory_setup {
	/*
	 * The mapped shared region, or NULL: then there is neither a heap (host-visible allocations
	 * fail with -ENOMEM) nor fence storage (paging queues fail with -ENOMEM).
	 */
	unsigned char *region;
	int region_fd;			/* the region memfd, for hole punching; -1: memset only */
	uint64_t fence_offset;		/* page aligned, as in the region header */
	uint64_t fence_size;
	uint64_t heap_offset;
	uint64_t heap_size;
	struct vm_memory_quota quota;
	const struct mem_device_ops *device_ops;	/* NULL: mem_vulkan_device_ops */
	/*
	 * How jobs execute (exec.h). NULL: exec_vulkan_ops with the Vulkan device ops, and no
	 * execution at all with other device ops (their vk_device is not a Vulkan device): SUBMIT
	 * is then -ENODEV while sync objects, queues, signals and waits still work.
	 */
	const struct exec_device_ops *exec_ops;
};

struct exec_device_ops;
struct exec_program;

enum mem_category {
	MEM_CAT_HOST_VISIBLE,
	MEM_CAT_DEVICE_LOCAL,		/* resident device-local contents */
	MEM_CAT_PROGRAM,
	MEM_CAT_EVICTED,		/* device-local contents held in worker memory */
	MEM_CATEGORIES,
};

/* D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL / _NON_LOCAL */
#define MEM_GROUPS 2u

struct dxg_resource;
struct dxg_paging_queue;
struct mem_share;

struct dxg_allocation {
	struct obj_list link;		/* dxg_device.allocations, or dxg_resource.allocations */
	struct obj_list offered_link;	/* the VM's discard candidates while offered */
	uint32_t handle;		/* 0: a shared memory whose creator's handle is gone */
	uint32_t kind;			/* OPENDXG_ALLOC_KIND_* */
	uint32_t adapter;		/* adapter index (shared memory outlives its device) */
	struct dxg_device *device;	/* NULL once the creator's handle is gone (shared) */
	struct dxg_resource *resource;	/* NULL for a standalone allocation */
	/*
	 * Sharing (memory.c, "sharing"): an allocation handle opened from a share names the
	 * allocation that holds the memory (`shared`); it has no backing and charges nothing, and
	 * every state below except `program` and `mark` is the holder's. memory_translate_gpu_va()
	 * answers with the holder. `share` is set on the holder of a shared resource's memory.
	 */
	struct dxg_allocation *shared;
	struct mem_share *share;
	bool read_only;			/* opened without DXGW_ACCESS_WRITE */
	uint64_t size;			/* bytes the guest asked for */
	uint64_t charged;		/* size rounded up to MEM_PAGE */
	uint32_t priority;
	uint32_t offer_priority;	/* D3DKMT_OFFER_PRIORITY_* while offered */
	uint64_t residency;		/* MAKE_RESIDENT minus EVICT; 1 at creation */
	uint64_t locks;			/* LOCK minus UNLOCK */
	bool offered;
	bool discarded;			/* offered device-local contents dropped under pressure */
	uint32_t supported_segments;	/* UPDATE_ALLOC_PROPERTY: bit n = segment n + 1 */
	uint32_t preferred_segment;
	uint32_t property_flags;	/* D3DDDI_UPDATEALLOCPROPERTY_FLAG_* */
	uint64_t mark;			/* duplicate detection within one request */
	/* Backing, by kind and state: */
	uint64_t heap_offset;		/* HOST_VISIBLE: region offset of its pages */
	struct vk_buffer *buffer;	/* DEVICE_LOCAL, resident and not discarded */
	void *host_copy;		/* DEVICE_LOCAL, evicted and not discarded */
	void *code;			/* PROGRAM: the validated SPIR-V words */
	struct exec_program *program;	/* PROGRAM: its Vulkan module, made by the first SUBMIT
					 * (per handle; an opened handle borrows `code`) */
};

struct dxg_resource {
	struct obj_list link;		/* dxg_device.resources */
	uint32_t handle;
	struct dxg_device *device;
	struct obj_list allocations;
	uint32_t allocation_count;
	void *runtime_data;		/* the runtime's private data, kept for OPENRESOURCE */
	uint32_t runtime_data_size;
	uint64_t mark;
	bool shareable;			/* created with CREATE_SHARED, or opened from a share */
	struct mem_share *share;	/* shared (sealed), or opened from this share */
};

struct dxg_sync_object;

struct dxg_paging_queue {
	struct obj_list link;		/* dxg_device.paging_queues */
	uint32_t handle;
	struct dxg_device *device;
	int32_t priority;
	uint64_t issued;		/* the last paging fence value handed out */
	struct dxg_sync_object *fence;	/* a monitored fence owned by the queue (sync.h) */
};

/* What OPENDXG_QAI_VM_STATS and the status JSON report for one adapter. */
struct memory_stats {
	uint32_t allocations;
	uint32_t resources;
	uint32_t paging_queues;
	uint32_t gpu_va_ranges;
	uint64_t bytes[MEM_CATEGORIES];
	uint64_t claimed;		/* sum of the processes' claims */
	uint64_t quota_bytes;
};

/* Called by vm_init()/vm_fini(). `setup` NULL: no region, default quotas, Vulkan devices. */
int memory_vm_init(struct dxg_vm *vm, const struct vk_backend *vk,
		   const struct vm_memory_setup *setup);
void memory_vm_fini(struct dxg_vm *vm);

/* Teardown hooks of objects.c: a device's allocations, resources and paging queues go first. */
void memory_device_destroy(struct dxg_vm *vm, struct dxg_device *d);
/* The process dropped its last reference to adapter `index`: its GPU VA space and reservations. */
void memory_process_adapter_closed(struct dxg_vm *vm, struct dxg_process *p, uint32_t index);
void memory_process_destroy(struct dxg_vm *vm, struct dxg_process *p);

/*
 * Handles one decoded 0x04xx request of process `p`, and INVALIDATE_CACHE (0x0802). The reply
 * body (wire format) goes to `reply`, at most `reply_cap` bytes, its length to *reply_len. Returns 0, DXGW_STATUS_PENDING
 * (the reply body is valid; memory_after_reply() finishes the work) or a negative errno.
 */
int memory_handle_request(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
			  unsigned char *reply, uint32_t reply_cap, uint32_t *reply_len);

/* True when a PENDING reply left work that must run once the reply is on its way. */
bool memory_has_deferred(const struct dxg_vm *vm);
/*
 * Runs that work: copies restored contents back to device memory and writes the paging fence.
 * The worker calls it after it published the reply (and kicked the guest), so the guest really
 * waits on the fence; other callers (tests, the fuzzer) call it after worker_dispatch().
 */
void memory_after_reply(struct dxg_vm *vm);

void memory_adapter_stats(const struct dxg_vm *vm, uint32_t index, struct memory_stats *out);

/*
 * QUERY_VIDEO_MEMORY's numbers for one group of adapter `index`: what process `p` uses and
 * reserves there and its budget. `p` NULL (or a process with nothing there): the budget of a
 * process with nothing charged. Reads only.
 */
struct memory_group_numbers {
	uint64_t budget;
	uint64_t usage;
	uint64_t reservation;
};
void memory_group_numbers(const struct dxg_vm *vm, const struct dxg_process *p, uint32_t index,
			  uint32_t group, struct memory_group_numbers *out);
uint64_t memory_heap_largest_free(const struct dxg_vm *vm);
uint64_t memory_heap_size(const struct dxg_vm *vm);

/*
 * Checks the memory object graph against its own counters (charged bytes equal the sum over
 * live allocations, claims within quota, heap and GPU VA invariants, handles). Returns NULL, or
 * what is wrong. For tests and the fuzzer.
 */
const char *memory_check(const struct dxg_vm *vm);

/*
 * The host translation of a GPU virtual address of process `p` on adapter `index`: the
 * allocation that holds the memory behind [va, va + len) and the byte offset in it (for an
 * allocation opened from a share, the holder: its kind and backing fields are the memory's).
 * -EFAULT when the range is not inside one mapping (or the process has no space there), -EACCES
 * for a write to a mapping without write access (gpuva.h).
 */
int memory_translate_gpu_va(const struct dxg_process *p, uint32_t index, uint64_t va,
			    uint64_t len, bool write, struct dxg_allocation **allocation,
			    uint64_t *offset);

/*
 * Fence storage (sync.c): a u64 slot in a page that holds only `process`'s slots, set to 0.
 * -ENOMEM when the region has no fence storage or every page is taken.
 */
int memory_fence_slot_alloc(struct dxg_vm *vm, uint32_t process, uint64_t *offset);
void memory_fence_slot_free(struct dxg_vm *vm, uint64_t offset);
/* The slot at region offset `offset` (from memory_fence_slot_alloc()). */
dxg_le64 *memory_fence_slot(struct dxg_vm *vm, uint64_t offset);

/* The mapped region (NULL without one) and the region offset where its heap starts (0: none). */
unsigned char *memory_region(const struct dxg_vm *vm);
uint64_t memory_heap_offset(const struct dxg_vm *vm);

/*
 * The adapter's device (struct mem_device_ops), opened on first use: 0, or -ENODEV (no usable
 * device, sticky), -ENOMEM, -EIO. exec.c runs jobs on it.
 */
int memory_adapter_device(struct dxg_vm *vm, uint32_t index, struct vk_device **out);

/*
 * UPDATE_GPU_VA operations that wait on a fence (exec.c queues them on the context): the
 * worker's copy of the request, applied all or nothing by memory_gpu_va_update_apply() (0, or
 * the error UPDATE_GPU_VA would have answered). memory_gpu_va_update_bytes() is what the copy
 * costs (queued bytes).
 */
struct gpu_va_update;
int memory_gpu_va_update_apply(struct dxg_vm *vm, struct gpu_va_update *u);
void memory_gpu_va_update_free(struct gpu_va_update *u);
uint64_t memory_gpu_va_update_bytes(const struct gpu_va_update *u);

/*
 * Sharing resources (share.c, wire.h "0x07xx"). A struct mem_share is what a share holds of a
 * resource: its memory, alive while the share holds it or any handle on it is left (the
 * creator's resource or an opened one, in any process). The memory stays charged to the VM's
 * quota on its adapter until then (to its creator's process while the creator holds it; after
 * that to nobody's process, memory_check() counts it as shared). Sharing seals the resource:
 * CREATE_ALLOCATION can no longer add allocations to it (-EINVAL, WSL's rule).
 *
 * memory_share_resource(): the mem_share of resource `handle` of `p` (made on the first call),
 * with one more hold. -EINVAL: not a live resource of `p`, or not created with CREATE_SHARED;
 * -EACCES: `p` opened it read-only (a share of it could be opened with WRITE).
 * memory_share_put() drops one hold. memory_share_query() and memory_share_open() answer
 * QUERY_SHARED_RESOURCE and OPEN_SHARED_RESOURCE (wire.h: access, read-only views, errors).
 */
struct mem_share;
int memory_share_resource(struct dxg_vm *vm, struct dxg_process *p, uint32_t handle,
			  struct mem_share **out);
void memory_share_put(struct dxg_vm *vm, struct mem_share *m);
int memory_share_query(struct dxg_vm *vm, struct dxg_process *p, uint32_t device,
		       struct mem_share *m, unsigned char *reply, uint32_t reply_cap,
		       uint32_t *reply_len);
int memory_share_open(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
		      struct mem_share *m, unsigned char *reply, uint32_t reply_cap,
		      uint32_t *reply_len);

/* Looks up a live allocation of process `p` (for tests). */
struct dxg_allocation *memory_find_allocation(struct dxg_vm *vm, struct dxg_process *p,
					      uint32_t handle);

#endif /* DXGD_MEMORY_H */
