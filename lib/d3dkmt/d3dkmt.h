/* SPDX-License-Identifier: MIT */
/*
 * libd3dkmt: thin C wrappers for the /dev/dxg D3DKMT ioctls (WSL ABI, opendxg driver).
 *
 * Conventions (docs/libd3dkmt.md has one entry per function):
 * - Every call takes the /dev/dxg file descriptor explicitly. The library keeps no global state:
 *   the kernel binds an open /dev/dxg to the process (thread group) that opened it, so a process
 *   that forks must open its own descriptor in the child, and hiding the fd would hide that rule.
 * - Every call returns 0 (or a non-negative count/length where documented) on success and a
 *   negative errno on failure. errno is never the error channel.
 * - Handles are the ABI's own `struct d3dkmthandle` and LUIDs `struct winluid`, so values read from
 *   the ABI structs can be passed on unchanged.
 * - Thread safety: the functions keep no state, so they may be called from any thread of the
 *   process that opened the descriptor.
 */
#ifndef D3DKMT_H
#define D3DKMT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>

#ifdef __cplusplus
extern "C" {
#endif

#define D3DKMT_DEVICE_PATH "/dev/dxg"

/*
 * Limits and flag values come from the ABI header: D3DKMT_ADAPTERS_MAX (ENUMADAPTERS2 capacity),
 * D3DKMT_ENUMADAPTERS3_MAX, D3DKMT_MAX_PRIVATE_DATA_SIZE (QUERYADAPTERINFO data and context private
 * data), D3DKMT_ENUMADAPTERS_FILTER_*, D3DKMT_ADAPTERTYPE_*, D3DKMT_WDDM_2_7_CAPS_*,
 * D3DDDI_CREATECONTEXT_FLAG_*, D3DKMT_CREATEDEVICE_FLAG_*, D3DKMT_CLIENTHINT_*.
 *
 * A driver description converted to UTF-8 needs at most 3 bytes per UTF-16 unit (a surrogate
 * pair, 2 units, becomes 4 bytes), plus the terminator.
 */
#define D3DKMT_DRIVER_DESCRIPTION_UTF8_MAX (3u * D3DKMT_DRIVER_DESCRIPTION_CHARS + 1u)

/* Arguments of d3dkmt_create_context_virtual(); zero-initialize, then set what you need. */
struct d3dkmt_context_params {
	uint32_t node_ordinal;
	uint32_t engine_affinity;
	uint32_t flags;			/* D3DDDI_CREATECONTEXT_FLAG_* */
	uint32_t client_hint;		/* D3DKMT_CLIENTHINT_* */
	const void *priv_data;		/* driver private data, may be NULL */
	uint32_t priv_data_size;
};

/*
 * d3dkmt_open() - open /dev/dxg for this process.
 * Return: a file descriptor (O_RDWR | O_CLOEXEC), or -errno (-ENOENT: the driver is not loaded).
 */
int d3dkmt_open(void);

/* d3dkmt_close() - close a descriptor from d3dkmt_open(). Return: 0 or -errno. */
int d3dkmt_close(int fd);

/*
 * d3dkmt_ioctl() - issue one raw ioctl on /dev/dxg.
 * For tests and for ioctls the library has no wrapper for yet.
 * Return: the ioctl's non-negative result, or -errno.
 */
int d3dkmt_ioctl(int fd, unsigned long request, void *arg);

/*
 * d3dkmt_enum_adapters2() - ENUMADAPTERS2.
 * @out may be NULL to ask for the count only. On entry *@count is the capacity of @out, on success
 * the number of adapters written (or present, when @out is NULL). On -EOVERFLOW *@count is the
 * number of adapters present.
 * Every call that fills @out opens new adapter handles; close each with d3dkmt_close_adapter().
 */
int d3dkmt_enum_adapters2(int fd, struct d3dkmt_adapterinfo *out, uint32_t *count);

/*
 * d3dkmt_enum_adapters3() - ENUMADAPTERS3 with a D3DKMT_ENUMADAPTERS_FILTER_* mask.
 * Same contract as d3dkmt_enum_adapters2(), but up to D3DKMT_ENUMADAPTERS3_MAX adapters.
 */
int d3dkmt_enum_adapters3(int fd, uint64_t filter, struct d3dkmt_adapterinfo *out, uint32_t *count);

/*
 * d3dkmt_enum_adapters_alloc() - count, allocate and fill in one go (ENUMADAPTERS3).
 * Retries when an adapter appears between the two calls. On success *@out is a malloc()ed array
 * of *@count entries (NULL when the count is 0) that the caller frees; the adapter handles in it
 * are open.
 */
int d3dkmt_enum_adapters_alloc(int fd, uint64_t filter, struct d3dkmt_adapterinfo **out,
			       uint32_t *count);

/* d3dkmt_open_adapter_from_luid() - OPENADAPTERFROMLUID. Return: 0 or -errno. */
int d3dkmt_open_adapter_from_luid(int fd, struct winluid luid, struct d3dkmthandle *adapter);

/* d3dkmt_close_adapter() - CLOSEADAPTER. Return: 0 or -errno. */
int d3dkmt_close_adapter(int fd, struct d3dkmthandle adapter);

/*
 * d3dkmt_query_adapter_info() - QUERYADAPTERINFO of @type (KMTQAITYPE_* or OPENDXG_QAI_*).
 * @size must be 1..D3DKMT_MAX_PRIVATE_DATA_SIZE; the kernel and host treat @data as in/out.
 * Return: 0 or -errno.
 */
int d3dkmt_query_adapter_info(int fd, struct d3dkmthandle adapter, uint32_t type, void *data,
			      uint32_t size);

/* d3dkmt_query_adapter_type() - KMTQAITYPE_ADAPTERTYPE_RENDER: D3DKMT_ADAPTERTYPE_* bits. */
int d3dkmt_query_adapter_type(int fd, struct d3dkmthandle adapter, uint32_t *type_bits);

/* d3dkmt_query_device_ids() - KMTQAITYPE_PHYSICALADAPTERDEVICEIDS of physical adapter @index. */
int d3dkmt_query_device_ids(int fd, struct d3dkmthandle adapter, uint32_t index,
			    struct d3dkmt_query_device_ids *ids);

/* d3dkmt_query_wddm_2_7_caps() - KMTQAITYPE_WDDM_2_7_CAPS: D3DKMT_WDDM_2_7_CAPS_* bits. */
int d3dkmt_query_wddm_2_7_caps(int fd, struct d3dkmthandle adapter, uint32_t *caps);

/*
 * d3dkmt_query_driver_description() - KMTQAITYPE_DRIVER_DESCRIPTION, converted to UTF-8.
 * @utf8 receives a NUL-terminated string; D3DKMT_DRIVER_DESCRIPTION_UTF8_MAX bytes always suffice.
 * Return: the string length in bytes, or -errno (-ENOBUFS: @size too small, the truncated
 * string is still written).
 */
ssize_t d3dkmt_query_driver_description(int fd, struct d3dkmthandle adapter, char *utf8,
					size_t size);

/*
 * d3dkmt_query_opendxg_caps() - OPENDXG_QAI_ADAPTER_CAPS.
 * Return: 0 or -errno (-EPROTO: the answer's version/size fields are not a version-1 record).
 */
int d3dkmt_query_opendxg_caps(int fd, struct d3dkmthandle adapter,
			      struct opendxg_adapter_caps *caps);

/* d3dkmt_query_vm_stats() - OPENDXG_QAI_VM_STATS: counters of the calling VM. Same errors. */
int d3dkmt_query_vm_stats(int fd, struct d3dkmthandle adapter, struct opendxg_vm_stats *stats);

/*
 * d3dkmt_create_device() - CREATEDEVICE on @adapter with D3DKMT_CREATEDEVICE_FLAG_* @flags.
 * Return: 0 or -errno.
 */
int d3dkmt_create_device(int fd, struct d3dkmthandle adapter, uint32_t flags,
			 struct d3dkmthandle *device);

/* d3dkmt_destroy_device() - DESTROYDEVICE; its contexts go with it. Return: 0 or -errno. */
int d3dkmt_destroy_device(int fd, struct d3dkmthandle device);

/* d3dkmt_create_context_virtual() - CREATECONTEXTVIRTUAL. Return: 0 or -errno. */
int d3dkmt_create_context_virtual(int fd, struct d3dkmthandle device,
				  const struct d3dkmt_context_params *params,
				  struct d3dkmthandle *context);

/* d3dkmt_destroy_context() - DESTROYCONTEXT. Return: 0 or -errno. */
int d3dkmt_destroy_context(int fd, struct d3dkmthandle context);

/* ---- Memory: allocations, residency, paging queues, GPU virtual addresses ---- */

/*
 * Positive results. DXG_STATUS_PENDING (0x103) is a success: MAKERESIDENT and RECLAIMALLOCATIONS2
 * return it when the work finishes after the call; the operation is complete once the paging
 * queue's fence reaches the paging_fence_value the call returned (d3dkmt_wait_paging_fence()).
 * The wrappers below pass it through unchanged, so "ret < 0" is the error test, not "ret != 0".
 */

/*
 * WDDM allocation priorities (SET/GETALLOCATIONPRIORITY, MAKERESIDENT). The ABI header leaves
 * them out because no ioctl struct names them; NORMAL is what a new allocation gets.
 */
#ifndef D3DDDI_ALLOCATIONPRIORITY_NORMAL
#define D3DDDI_ALLOCATIONPRIORITY_MINIMUM	0x28000000u
#define D3DDDI_ALLOCATIONPRIORITY_LOW		0x50000000u
#define D3DDDI_ALLOCATIONPRIORITY_NORMAL	0x78000000u
#define D3DDDI_ALLOCATIONPRIORITY_HIGH		0xa0000000u
#define D3DDDI_ALLOCATIONPRIORITY_MAXIMUM	0xc8000000u
#endif

/*
 * d3dkmt_alloc_priv_init() - fill opendxg's KMD private data (struct opendxg_alloc_priv,
 * version 1) for one allocation of @kind (OPENDXG_ALLOC_KIND_*) and @size bytes. For a PROGRAM
 * the SPIR-V words follow the header in the same buffer; d3dkmt_program_priv_alloc() builds that.
 * Return: the number of bytes of private data (sizeof(*priv)), or -EINVAL for a NULL @priv.
 */
int d3dkmt_alloc_priv_init(struct opendxg_alloc_priv *priv, uint32_t kind, uint64_t size);

/*
 * d3dkmt_program_priv_alloc() - a malloc()ed header + copy of @spirv (@size bytes) as the KMD
 * private data of one PROGRAM allocation. *@priv_size gets the total size. The caller frees it.
 * Return: the buffer, or NULL (no memory, NULL arguments, or @size above the 128 KiB private data
 * limit); the library does not validate the SPIR-V, the host does.
 */
void *d3dkmt_program_priv_alloc(const void *spirv, size_t size, uint32_t *priv_size);

/*
 * d3dkmt_create_allocation_args() - CREATEALLOCATION with the caller's ABI struct as is: for
 * resources, several allocations, runtime data or flags. On success the kernel has written the
 * handles into @args (resource) and into each d3dddi_allocationinfo2 (allocation).
 * Return: 0 or -errno.
 */
int d3dkmt_create_allocation_args(int fd, struct d3dkmt_createallocation *args);

/*
 * d3dkmt_create_allocation() - one standalone allocation of @kind (HOST_VISIBLE or DEVICE_LOCAL)
 * and @size bytes on @device, with default priority. New allocations are zero-filled and resident.
 * Return: 0 or -errno (-EINVAL bad device/kind/size, -ENOMEM quota or heap exhausted).
 */
int d3dkmt_create_allocation(int fd, struct d3dkmthandle device, uint32_t kind, uint64_t size,
			     struct d3dkmthandle *allocation);

/*
 * d3dkmt_create_program() - one PROGRAM allocation holding the SPIR-V module @spirv (@size bytes,
 * a multiple of 4). The host validates it (compute only, opendxg's capability allow-list).
 * Return: 0 or -errno (-EINVAL: the module was refused).
 */
int d3dkmt_create_program(int fd, struct d3dkmthandle device, const void *spirv, size_t size,
			  struct d3dkmthandle *allocation);

/*
 * d3dkmt_destroy_allocation2() - DESTROYALLOCATION2: either @resource (with @count 0: the resource
 * and all its allocations) or @count standalone @allocations. @flags:
 * D3DDDICB_DESTROYALLOCATION2_FLAG_*. CPU mappings of destroyed allocations disappear.
 */
int d3dkmt_destroy_allocation2(int fd, struct d3dkmthandle device, struct d3dkmthandle resource,
			       const struct d3dkmthandle *allocations, uint32_t count,
			       uint32_t flags);

/* d3dkmt_destroy_allocation() - one standalone allocation. Return: 0 or -errno. */
int d3dkmt_destroy_allocation(int fd, struct d3dkmthandle device, struct d3dkmthandle allocation);

/*
 * d3dkmt_lock2() - LOCK2 a HOST_VISIBLE allocation: *@data gets its CPU address in this process
 * (write-back cached, zero-copy with the host). Locks count: locking again returns the same
 * address, and the mapping goes away with the last UNLOCK2 (or when the allocation, its device
 * or the process's last handle of the adapter is destroyed). The mapping is not inherited by
 * fork() children. Return: 0 or -errno (-EINVAL for another kind of allocation).
 */
int d3dkmt_lock2(int fd, struct d3dkmthandle device, struct d3dkmthandle allocation, void **data);

/* d3dkmt_unlock2() - UNLOCK2: drops one lock. Return: 0 or -errno (-EINVAL: not locked). */
int d3dkmt_unlock2(int fd, struct d3dkmthandle device, struct d3dkmthandle allocation);

/* What QUERYVIDEOMEMORYINFO answers for one segment group, in bytes. */
struct d3dkmt_video_memory {
	uint64_t budget;
	uint64_t current_usage;
	uint64_t current_reservation;
	uint64_t available_for_reservation;
};

/*
 * d3dkmt_query_video_memory() - QUERYVIDEOMEMORYINFO for the calling process on @adapter,
 * segment @group (D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL: device-local and program allocations,
 * NON_LOCAL: host-visible allocations and evicted contents). Return: 0 or -errno.
 */
int d3dkmt_query_video_memory(int fd, struct d3dkmthandle adapter, uint32_t group,
			      struct d3dkmt_video_memory *info);

/* d3dkmt_change_video_memory_reservation() - CHANGEVIDEOMEMORYRESERVATION (0 releases). */
int d3dkmt_change_video_memory_reservation(int fd, struct d3dkmthandle adapter, uint32_t group,
					   uint64_t reservation);

/*
 * d3dkmt_query_allocation_residency() - QUERYALLOCATIONRESIDENCY: @status[i] gets a
 * D3DKMT_ALLOCATIONRESIDENCYSTATUS_* per allocation; or, with a @resource and @count 0, one value
 * for the whole resource in @status[0].
 */
int d3dkmt_query_allocation_residency(int fd, struct d3dkmthandle device,
				      struct d3dkmthandle resource,
				      const struct d3dkmthandle *allocations, uint32_t count,
				      uint32_t *status);

/*
 * d3dkmt_set_allocation_priority(), d3dkmt_get_allocation_priority() - per allocation
 * (@priorities has @count entries) or, with a @resource and @count 0, one value for the resource.
 * Priorities are D3DDDI_ALLOCATIONPRIORITY_* values (NORMAL is 0x78000000).
 */
int d3dkmt_set_allocation_priority(int fd, struct d3dkmthandle device,
				   struct d3dkmthandle resource,
				   const struct d3dkmthandle *allocations, uint32_t count,
				   const uint32_t *priorities);
int d3dkmt_get_allocation_priority(int fd, struct d3dkmthandle device,
				   struct d3dkmthandle resource,
				   const struct d3dkmthandle *allocations, uint32_t count,
				   uint32_t *priorities);

/*
 * d3dkmt_offer_allocations() - OFFERALLOCATIONS: @count handles in exactly one of @resources and
 * @allocations (the other NULL). @priority: D3DKMT_OFFER_PRIORITY_*, @flags: D3DKMT_OFFER_FLAG_*.
 * Offered device-local contents may be discarded under quota pressure until reclaimed.
 */
int d3dkmt_offer_allocations(int fd, struct d3dkmthandle device,
			     const struct d3dkmthandle *resources,
			     const struct d3dkmthandle *allocations, uint32_t count,
			     uint32_t priority, uint32_t flags);

/*
 * d3dkmt_reclaim_allocations2() - RECLAIMALLOCATIONS2 on @paging_queue: ends the offer of @count
 * resources or allocations (exactly one list non-NULL). @results (may be NULL) gets a
 * D3DDDI_RECLAIM_RESULT_* per handle; *@paging_fence_value (may be NULL) the fence value.
 * Return: 0, DXG_STATUS_PENDING, or -errno.
 */
int d3dkmt_reclaim_allocations2(int fd, struct d3dkmthandle paging_queue,
				const struct d3dkmthandle *resources,
				const struct d3dkmthandle *allocations, uint32_t count,
				uint32_t *results, uint64_t *paging_fence_value);

/* Arguments of d3dkmt_update_alloc_property(); zero-initialize, then set what you need. */
struct d3dkmt_alloc_property {
	uint32_t supported_segment_set;	/* bit n: segment n + 1 */
	uint32_t preferred_segment;	/* D3DDDI_SEGMENTPREFERENCE_* */
	uint32_t flags;			/* D3DDDI_UPDATEALLOCPROPERTY_FLAG_* */
	uint32_t property_mask;		/* D3DDDI_UPDATEALLOCPROPERTY_SET_*: what to change */
};

/* d3dkmt_update_alloc_property() - UPDATEALLOCPROPERTY; the paging fence value comes back. */
int d3dkmt_update_alloc_property(int fd, struct d3dkmthandle paging_queue,
				 struct d3dkmthandle allocation,
				 const struct d3dkmt_alloc_property *property,
				 uint64_t *paging_fence_value);

/* A paging queue and its monitored fence, as CREATEPAGINGQUEUE returns them. */
struct d3dkmt_paging_queue {
	struct d3dkmthandle handle;
	struct d3dkmthandle sync_object;	/* the fence */
	/* The fence value, mapped read-only into this process (not into fork() children). */
	const volatile uint64_t *fence;
};

/*
 * d3dkmt_create_paging_queue() - CREATEPAGINGQUEUE on @device with @priority
 * (D3DDDI_PAGINGQUEUE_PRIORITY_*). The fence starts at 0 and each paging operation on the queue
 * takes the next value. Return: 0 or -errno.
 */
int d3dkmt_create_paging_queue(int fd, struct d3dkmthandle device, int32_t priority,
			       struct d3dkmt_paging_queue *queue);

/* d3dkmt_destroy_paging_queue() - DESTROYPAGINGQUEUE; the fence mapping goes with it. */
int d3dkmt_destroy_paging_queue(int fd, struct d3dkmthandle paging_queue);

/*
 * d3dkmt_make_resident() - MAKERESIDENT of @count allocations on @paging_queue's device;
 * @priorities may be NULL. *@paging_fence_value (may be NULL) is the fence value that completes
 * the operation, *@bytes_to_trim (may be NULL) the host's trim request.
 * Return: 0 (resident now), DXG_STATUS_PENDING (wait for the fence), or -errno.
 */
int d3dkmt_make_resident(int fd, struct d3dkmthandle paging_queue,
			 const struct d3dkmthandle *allocations, uint32_t count,
			 const uint32_t *priorities, uint32_t flags, uint64_t *paging_fence_value,
			 uint64_t *bytes_to_trim);

/*
 * d3dkmt_evict() - EVICT @count allocations of @device (D3DDDI_EVICT_FLAG_* @flags). Evicting an
 * allocation whose residency count is already 0 is -EINVAL.
 */
int d3dkmt_evict(int fd, struct d3dkmthandle device, const struct d3dkmthandle *allocations,
		 uint32_t count, uint32_t flags, uint64_t *bytes_to_trim);

/*
 * d3dkmt_wait_paging_fence() - poll a paging fence (struct d3dkmt_paging_queue.fence) until it
 * reaches @value, sleeping briefly between reads, for at most @timeout_ms.
 * Return: 0, or -ETIMEDOUT (-EINVAL for a NULL @fence). For drivers without
 * WAITFORSYNCHRONIZATIONOBJECTFROMCPU; d3dkmt_wait_paging_queue() sleeps instead of polling.
 */
int d3dkmt_wait_paging_fence(const volatile uint64_t *fence, uint64_t value,
			     unsigned int timeout_ms);

/*
 * d3dkmt_wait_paging_queue() - block until @queue's fence (a paging queue of @device) reaches
 * @value, with WAITFORSYNCHRONIZATIONOBJECTFROMCPU on the queue's sync object. Returns at once
 * when the fence is already there. Return: 0 or -errno (-EINTR: a signal arrived first).
 */
int d3dkmt_wait_paging_queue(int fd, struct d3dkmthandle device,
			     const struct d3dkmt_paging_queue *queue, uint64_t value);

/* Arguments of d3dkmt_reserve_gpu_va(); zero-initialize, then set what you need. */
struct d3dkmt_gpu_va_reservation {
	uint64_t base_address;		/* 0: anywhere in [minimum_address, maximum_address) */
	uint64_t minimum_address;
	uint64_t maximum_address;	/* 0: no upper bound */
	uint64_t size;			/* bytes, a multiple of 4 KiB */
	uint32_t reservation_type;	/* D3DDDIGPUVA_RESERVE_* */
	uint64_t driver_protection;
};

/*
 * d3dkmt_reserve_gpu_va() - RESERVEGPUVIRTUALADDRESS in this process's address space on
 * @adapter; *@va gets the base. Return: 0 or -errno (-EINVAL misaligned, out of range or
 * overlapping; -ENOMEM no room).
 */
int d3dkmt_reserve_gpu_va(int fd, struct d3dkmthandle adapter,
			  const struct d3dkmt_gpu_va_reservation *reservation, uint64_t *va);

/* d3dkmt_free_gpu_va() - FREEGPUVIRTUALADDRESS of exactly one whole reservation. */
int d3dkmt_free_gpu_va(int fd, struct d3dkmthandle adapter, uint64_t base, uint64_t size);

/* Arguments of d3dkmt_map_gpu_va(); zero-initialize, then set what you need. */
struct d3dkmt_gpu_va_mapping {
	struct d3dkmthandle allocation;
	uint64_t base_address;		/* inside a reservation; 0: a new range, reserved for it */
	uint64_t minimum_address;	/* window for base_address 0 */
	uint64_t maximum_address;
	uint64_t offset_in_pages;	/* into the allocation */
	uint64_t size_in_pages;
	uint64_t protection;		/* D3DDDIGPUVA_PROTECTION_* */
	uint64_t driver_protection;
};

/*
 * d3dkmt_map_gpu_va() - MAPGPUVIRTUALADDRESS on @paging_queue; *@va gets the mapped address and
 * *@paging_fence_value (may be NULL) the fence value of the mapping. Return: 0, a positive
 * NTSTATUS, or -errno.
 */
int d3dkmt_map_gpu_va(int fd, struct d3dkmthandle paging_queue,
		      const struct d3dkmt_gpu_va_mapping *mapping, uint64_t *va,
		      uint64_t *paging_fence_value);

/*
 * d3dkmt_update_gpu_va() - UPDATEGPUVIRTUALADDRESS: @count operations (build them with the
 * d3dkmt_gpu_va_op_*() helpers), applied in order, all or nothing, once @fence_object (0: none)
 * has reached @fence_value. @context must be a context of @device.
 */
int d3dkmt_update_gpu_va(int fd, struct d3dkmthandle device, struct d3dkmthandle context,
			 struct d3dkmthandle fence_object, uint64_t fence_value,
			 const struct d3dddi_updategpuvirtualaddress_operation *ops,
			 uint32_t count, uint32_t flags);

/* One UPDATEGPUVIRTUALADDRESS operation: map @size bytes of @allocation at @offset to @va. */
static inline struct d3dddi_updategpuvirtualaddress_operation
d3dkmt_gpu_va_op_map(uint64_t va, uint64_t size, struct d3dkmthandle allocation, uint64_t offset)
{
	struct d3dddi_updategpuvirtualaddress_operation op = {
		.operation = D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP,
	};

	op.map.base_address = va;
	op.map.size = size;
	op.map.allocation = allocation;
	op.map.allocation_offset = offset;
	return op;
}

/* The same with a protection (D3DDDIGPUVA_PROTECTION_*). */
static inline struct d3dddi_updategpuvirtualaddress_operation
d3dkmt_gpu_va_op_map_protect(uint64_t va, uint64_t size, struct d3dkmthandle allocation,
			     uint64_t offset, uint64_t protection)
{
	struct d3dddi_updategpuvirtualaddress_operation op = {
		.operation = D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP_PROTECT,
	};

	op.map_protect.base_address = va;
	op.map_protect.size = size;
	op.map_protect.allocation = allocation;
	op.map_protect.allocation_offset = offset;
	op.map_protect.protection = protection;
	return op;
}

/* Unmap [@va, @va + @size); the range stays reserved. */
static inline struct d3dddi_updategpuvirtualaddress_operation
d3dkmt_gpu_va_op_unmap(uint64_t va, uint64_t size)
{
	struct d3dddi_updategpuvirtualaddress_operation op = {
		.operation = D3DDDI_UPDATEGPUVIRTUALADDRESS_UNMAP,
	};

	op.unmap.base_address = va;
	op.unmap.size = size;
	return op;
}

/* Copy the mappings of [@src, @src + @size) to [@dst, @dst + @size). */
static inline struct d3dddi_updategpuvirtualaddress_operation
d3dkmt_gpu_va_op_copy(uint64_t src, uint64_t dst, uint64_t size)
{
	struct d3dddi_updategpuvirtualaddress_operation op = {
		.operation = D3DDDI_UPDATEGPUVIRTUALADDRESS_COPY,
	};

	op.copy.source_address = src;
	op.copy.size = size;
	op.copy.dest_address = dst;
	return op;
}

/* ---- Synchronization objects (0x10, 0x1d, 0x11, 0x12, 0x31, 0x32, 0x33, 0x3a, 0x3b) ---- */

/*
 * d3dkmt_create_sync_object() - CREATESYNCHRONIZATIONOBJECT with the caller's description
 * (@info->type D3DDDI_SYNCHRONIZATION_MUTEX .. D3DDDI_MONITORED_FENCE, @info->flags
 * D3DDDI_SYNCOBJ_FLAG_*, the union member of the type). On success @info holds what the kernel
 * wrote back (a monitored fence's CPU address) and *@sync_object the handle. Return: 0 or -errno.
 */
int d3dkmt_create_sync_object(int fd, struct d3dkmthandle device,
			      struct d3dddi_synchronizationobjectinfo2 *info,
			      struct d3dkmthandle *sync_object);

/* A monitored fence as created by d3dkmt_create_monitored_fence(). */
struct d3dkmt_monitored_fence {
	struct d3dkmthandle handle;
	/* Its current value, mapped read-only into this process (not into fork() children). */
	const volatile uint64_t *value;
	uint64_t gpu_va;			/* 0: fences have no GPU address on opendxg */
};

/*
 * d3dkmt_create_monitored_fence() - a D3DDDI_MONITORED_FENCE starting at @initial_value, with
 * D3DDDI_SYNCOBJ_FLAG_* @flags. Return: 0 or -errno.
 */
int d3dkmt_create_monitored_fence(int fd, struct d3dkmthandle device, uint64_t initial_value,
				  uint32_t flags, struct d3dkmt_monitored_fence *fence);

/* d3dkmt_destroy_sync_object() - DESTROYSYNCHRONIZATIONOBJECT. Return: 0 or -errno. */
int d3dkmt_destroy_sync_object(int fd, struct d3dkmthandle sync_object);

/*
 * d3dkmt_fence_value() - the current value of a monitored fence mapping (an acquire load: what
 * the signalled work wrote is visible after it). DXGW's "broken queue" value is UINT64_MAX.
 */
static inline uint64_t d3dkmt_fence_value(const volatile uint64_t *fence)
{
	return __atomic_load_n(fence, __ATOMIC_ACQUIRE);
}

/*
 * d3dkmt_wait_from_cpu() - WAITFORSYNCHRONIZATIONOBJECTFROMCPU: @count (1..32) monitored fences of
 * @device until each reaches its value (@flags D3DDDI_WAITFORSYNCOBJECTFROMCPU_FLAG_WAIT_ANY:
 * until one does). @async_event < 0 blocks; the wait is interruptible (-EINTR, nothing left
 * behind). @async_event >= 0 is an eventfd: the call returns at once and the eventfd is signalled
 * once the condition holds. Return: 0 or -errno.
 */
int d3dkmt_wait_from_cpu(int fd, struct d3dkmthandle device, const struct d3dkmthandle *objects,
			 const uint64_t *values, uint32_t count, uint32_t flags, int async_event);

/*
 * d3dkmt_signal_from_cpu() - SIGNALSYNCHRONIZATIONOBJECTFROMCPU: @count monitored fences of
 * @device take their values now (@flags: D3DDDICB_SIGNAL_FLAG_ALLOW_FENCE_REWIND to go back).
 */
int d3dkmt_signal_from_cpu(int fd, struct d3dkmthandle device, const struct d3dkmthandle *objects,
			   const uint64_t *values, uint32_t count, uint32_t flags);

/*
 * d3dkmt_signal_sync_object2() - SIGNALSYNCHRONIZATIONOBJECT: once the work queued so far on
 * @context (and on the @context_count extra @contexts, may be 0/NULL) is done, signal @count
 * objects; fences take @fence_value. @flags: D3DDDICB_SIGNAL_FLAG_*.
 */
int d3dkmt_signal_sync_object2(int fd, struct d3dkmthandle context,
			       const struct d3dkmthandle *contexts, uint32_t context_count,
			       const struct d3dkmthandle *objects, uint32_t count, uint32_t flags,
			       uint64_t fence_value);

/*
 * d3dkmt_wait_sync_object2() - WAITFORSYNCHRONIZATIONOBJECT: work queued on @context after this
 * waits until every object is satisfied (fences: @fence_value; mutexes acquired; semaphores
 * counted down).
 */
int d3dkmt_wait_sync_object2(int fd, struct d3dkmthandle context,
			     const struct d3dkmthandle *objects, uint32_t count,
			     uint64_t fence_value);

/*
 * d3dkmt_signal_from_gpu() - SIGNALSYNCHRONIZATIONOBJECTFROMGPU: after the work queued on
 * @context, monitored fence i takes @values[i].
 */
int d3dkmt_signal_from_gpu(int fd, struct d3dkmthandle context,
			   const struct d3dkmthandle *objects, const uint64_t *values,
			   uint32_t count);

/*
 * d3dkmt_signal_from_gpu2() - SIGNALSYNCHRONIZATIONOBJECTFROMGPU2: after the work queued on
 * every one of @context_count @contexts, monitored fence i takes @values[i]; @flags
 * D3DDDICB_SIGNAL_FLAG_*.
 */
int d3dkmt_signal_from_gpu2(int fd, const struct d3dkmthandle *contexts, uint32_t context_count,
			    const struct d3dkmthandle *objects, const uint64_t *values,
			    uint32_t count, uint32_t flags);

/*
 * d3dkmt_wait_from_gpu() - WAITFORSYNCHRONIZATIONOBJECTFROMGPU: work queued on @context after
 * this waits until monitored fence i reaches @values[i].
 */
int d3dkmt_wait_from_gpu(int fd, struct d3dkmthandle context, const struct d3dkmthandle *objects,
			 const uint64_t *values, uint32_t count);

/* ---- Queues and submission (0x18, 0x1b, 0x0f, 0x34, 0x35, 0x36) ---- */

/* A hardware queue and its progress fence, as CREATEHWQUEUE returns them. */
struct d3dkmt_hw_queue {
	struct d3dkmthandle handle;
	struct d3dkmthandle progress_fence;	/* a monitored fence owned by the queue */
	/* The progress fence's value, mapped read-only into this process. */
	const volatile uint64_t *progress;
	uint64_t progress_gpu_va;
};

/*
 * d3dkmt_create_hw_queue() - CREATEHWQUEUE on @context (@flags D3DDDI_CREATEHWQUEUE_FLAG_*,
 * @priv_data may be NULL). The progress fence starts at 0. Return: 0 or -errno.
 */
int d3dkmt_create_hw_queue(int fd, struct d3dkmthandle context, uint32_t flags,
			   const void *priv_data, uint32_t priv_data_size,
			   struct d3dkmt_hw_queue *queue);

/* d3dkmt_destroy_hw_queue() - DESTROYHWQUEUE; queued work is dropped. Return: 0 or -errno. */
int d3dkmt_destroy_hw_queue(int fd, struct d3dkmthandle queue);

/*
 * d3dkmt_submit_command() - SUBMITCOMMAND of the command buffer at GPU VA @command_buffer
 * (@length bytes) to @context (@flags D3DKMT_SUBMITCOMMAND_FLAG_*). The host copies the buffer
 * during the call. Return: 0 or -errno (-EINVAL: a malformed buffer, the context is now broken;
 * -ENODEV: the context was broken before).
 */
int d3dkmt_submit_command(int fd, struct d3dkmthandle context, uint64_t command_buffer,
			  uint32_t length, uint32_t flags);

/* d3dkmt_submit_command_args() - SUBMITCOMMAND with the caller's ABI struct as is. */
int d3dkmt_submit_command_args(int fd, struct d3dkmt_submitcommand *args);

/*
 * d3dkmt_submit_to_hw_queue() - SUBMITCOMMANDTOHWQUEUE: the queue's progress fence takes
 * @progress_value (greater than every earlier one of the queue) when the buffer completed.
 * Same errors as d3dkmt_submit_command().
 */
int d3dkmt_submit_to_hw_queue(int fd, struct d3dkmthandle queue, uint64_t progress_value,
			      uint64_t command_buffer, uint32_t length);

/*
 * d3dkmt_signal_hw_queues() - SUBMITSIGNALSYNCOBJECTSTOHWQUEUE: after the work queued on each of
 * @queue_count @queues, object i is signalled (fences take @values[i]); @flags
 * D3DDDICB_SIGNAL_FLAG_*.
 */
int d3dkmt_signal_hw_queues(int fd, const struct d3dkmthandle *queues, uint32_t queue_count,
			    const struct d3dkmthandle *objects, const uint64_t *values,
			    uint32_t count, uint32_t flags);

/*
 * d3dkmt_wait_hw_queue() - SUBMITWAITFORSYNCOBJECTSTOHWQUEUE: work queued on @queue after this
 * waits until monitored fence i reaches @values[i].
 */
int d3dkmt_wait_hw_queue(int fd, struct d3dkmthandle queue, const struct d3dkmthandle *objects,
			 const uint64_t *values, uint32_t count);

/* ---- Device state, priorities, clocks, escapes (0x0e, 0x26, 0x21/0x22/0x2f/0x30, 0x3d, 0x0d) ---- */

/*
 * d3dkmt_get_device_state() - GETDEVICESTATE with the caller's struct: set ->device and
 * ->state_type (D3DKMT_DEVICESTATE_*), the kernel fills the union. Return: 0 or -errno.
 */
int d3dkmt_get_device_state(int fd, struct d3dkmt_getdevicestate *state);

/* d3dkmt_get_execution_state() - D3DKMT_DEVICESTATE_EXECUTION: a D3DKMT_DEVICEEXECUTION_* value. */
int d3dkmt_get_execution_state(int fd, struct d3dkmthandle device, uint32_t *execution_state);

/*
 * d3dkmt_get_page_fault() - D3DKMT_DEVICESTATE_PAGE_FAULT: the first page fault of a context of
 * @device. Return: 0, or -errno (-EINVAL when none faulted).
 */
int d3dkmt_get_page_fault(int fd, struct d3dkmthandle device,
			  struct d3dkmt_devicepagefault_state *fault);

/*
 * d3dkmt_mark_device_as_error() - MARKDEVICEASERROR: every context of @device breaks
 * (@reason: D3DKMT_DEVICE_ERROR_REASON_*).
 */
int d3dkmt_mark_device_as_error(int fd, struct d3dkmthandle device, uint32_t reason);

/*
 * Context scheduling priorities, -7..7 (out of range: -EINVAL): the context's own (SET/GET
 * CONTEXTSCHEDULINGPRIORITY) and its in-process priority (the ...INPROCESS... ioctls).
 */
int d3dkmt_set_context_scheduling_priority(int fd, struct d3dkmthandle context, int32_t priority);
int d3dkmt_get_context_scheduling_priority(int fd, struct d3dkmthandle context,
					   int32_t *priority);
int d3dkmt_set_context_in_process_scheduling_priority(int fd, struct d3dkmthandle context,
						      int32_t priority);
int d3dkmt_get_context_in_process_scheduling_priority(int fd, struct d3dkmthandle context,
						      int32_t *priority);

/* What QUERYCLOCKCALIBRATION answers (the ABI struct is byte-packed; this one is not). */
struct d3dkmt_clock_calibration {
	uint64_t gpu_frequency;		/* GPU timestamp ticks per second */
	uint64_t gpu_clock_counter;	/* a GPU timestamp ... */
	uint64_t cpu_clock_counter;	/* ... and the CPU clock taken together with it */
	uint32_t flags;			/* DXGK_GPUCLOCKDATA_FLAG_* */
};

/* d3dkmt_query_clock_calibration() - QUERYCLOCKCALIBRATION of node @node_ordinal (0). */
int d3dkmt_query_clock_calibration(int fd, struct d3dkmthandle adapter, uint32_t node_ordinal,
				   struct d3dkmt_clock_calibration *clock);

/*
 * d3dkmt_escape() - ESCAPE with the caller's ABI struct as is (the private data is answered in
 * place). Return: 0 or -errno.
 */
int d3dkmt_escape(int fd, struct d3dkmt_escape *args);

/*
 * d3dkmt_escape_context_stats() - the OPENDXG_ESCAPE_CONTEXT_STATS escape (D3DKMT_ESCAPE_
 * DRIVERPRIVATE) for @context of @device on @adapter: its execution state and counters.
 * Return: 0 or -errno (-EPROTO: the answer's header is not the one sent).
 */
int d3dkmt_escape_context_stats(int fd, struct d3dkmthandle adapter, struct d3dkmthandle device,
				struct d3dkmthandle context,
				struct opendxg_escape_context_stats *stats);

/* ---- Command buffers (include/uapi/misc/opendxg.h, docs/cmdbuf.md) ---- */

/*
 * A command buffer being built in caller-provided memory: d3dkmt_cmdbuf_init() writes the header,
 * each d3dkmt_cmdbuf_*() appends one packet, d3dkmt_cmdbuf_finish() fixes the header's size and
 * packet count. The memory may be the mapped command allocation itself (build in place, then
 * submit) or any buffer copied there later. The builders check what they can see locally (sizes,
 * alignments, counts, reserved fields) and return -EINVAL without appending anything; -ENOSPC
 * when the packet does not fit (grow the memory, update data/capacity and call again); -E2BIG
 * when it would take the buffer past OPENDXG_CMD_MAX_SIZE or OPENDXG_CMD_MAX_PACKETS. Fields
 * are public so that tests can build what the builders refuse (d3dkmt_cmdbuf_raw()).
 */
struct d3dkmt_cmdbuf {
	void *data;
	uint32_t capacity;		/* bytes at data */
	uint32_t size;			/* bytes used, header included */
	uint32_t packet_count;
};

/* Starts a buffer at @data (@capacity >= OPENDXG_CMD_HEADER_SIZE, 8-byte aligned). */
int d3dkmt_cmdbuf_init(struct d3dkmt_cmdbuf *cb, void *data, uint32_t capacity);
/* Forgets every packet (the header stays). */
void d3dkmt_cmdbuf_reset(struct d3dkmt_cmdbuf *cb);
/* Writes size and packet_count into the header. Return: the buffer's size in bytes. */
uint32_t d3dkmt_cmdbuf_finish(struct d3dkmt_cmdbuf *cb);

/* COPY @size (>= 1) bytes from @src_va to @dst_va (ranges must not overlap). */
int d3dkmt_cmdbuf_copy(struct d3dkmt_cmdbuf *cb, uint64_t dst_va, uint64_t src_va, uint64_t size);
/* FILL @size bytes (a multiple of 4, >= 4) at @dst_va (4-aligned) with the u32 @value. */
int d3dkmt_cmdbuf_fill(struct d3dkmt_cmdbuf *cb, uint64_t dst_va, uint64_t size, uint32_t value);
/*
 * DISPATCH of @entry_point (at most OPENDXG_CMD_ENTRY_NAME_LEN - 1 bytes) of the PROGRAM
 * allocation @program over @group_count workgroups, with @binding_count bindings (each binding
 * number at most once, VA aligned to OPENDXG_CMD_BINDING_ALIGN, size a multiple of 4) and
 * @push_size (a multiple of 4, <= OPENDXG_CMD_MAX_PUSH_CONSTANTS) bytes of push constants.
 */
int d3dkmt_cmdbuf_dispatch(struct d3dkmt_cmdbuf *cb, struct d3dkmthandle program,
			   const char *entry_point, const uint32_t group_count[3],
			   const struct opendxg_cmd_binding *bindings, uint32_t binding_count,
			   const void *push_constants, uint32_t push_size);
/* BARRIER: everything before completes (writes visible) before anything after starts. */
int d3dkmt_cmdbuf_barrier(struct d3dkmt_cmdbuf *cb);
/* TIMESTAMP: the adapter's u64 tick counter written to @dst_va (8-aligned). */
int d3dkmt_cmdbuf_timestamp(struct d3dkmt_cmdbuf *cb, uint64_t dst_va);
/*
 * Appends @size bytes as they are and counts them as one packet, unchecked (for tests of the
 * host's validation). -ENOSPC when they do not fit.
 */
int d3dkmt_cmdbuf_raw(struct d3dkmt_cmdbuf *cb, const void *bytes, uint32_t size);

/* ---- Sharing, sync files, statistics and queries (0x3f-0x49, 0x1f, 0x24) ---- */

/*
 * d3dkmt_share_objects() - SHAREOBJECTS: one shared object (a sync object created with
 * D3DDDI_SYNCOBJ_FLAG_SHARED | NT_SECURITY_SHARING, or a resource created shared with NT security
 * sharing) becomes a new file descriptor, *@nt_handle, the "NT handle" the open calls below take.
 * @desired_access: 0 or GENERIC_ALL (0x10000000) for every right, else the access bits of
 * docs/libd3dkmt.md. Each call makes a new descriptor; close() it when done. @count must be 1.
 * Return: 0 or -errno.
 */
int d3dkmt_share_objects(int fd, const struct d3dkmthandle *objects, uint32_t count,
			 uint32_t desired_access, int *nt_handle);

/*
 * d3dkmt_open_sync_object_from_nt_handle2() - OPENSYNCOBJECTFROMNTHANDLE2: a handle on @device
 * for the shared sync object of @nt_handle. @flags: D3DDDI_SYNCOBJ_FLAG_*. For a monitored fence
 * @fence (may be NULL) gets the handle, the value mapping and GPU VA; *@sync_object always the
 * handle. Return: 0 or -errno.
 */
int d3dkmt_open_sync_object_from_nt_handle2(int fd, int nt_handle, struct d3dkmthandle device,
					    uint32_t flags, struct d3dkmthandle *sync_object,
					    struct d3dkmt_monitored_fence *fence);

/* What QUERYRESOURCEINFOFROMNTHANDLE reports about a shared resource. */
struct d3dkmt_shared_resource_info {
	uint32_t private_runtime_data_size;
	uint32_t total_priv_drv_data_size;
	uint32_t resource_priv_drv_data_size;
	uint32_t allocation_count;
};

/*
 * d3dkmt_query_resource_info_from_nt_handle() - QUERYRESOURCEINFOFROMNTHANDLE: the sizes
 * OPENRESOURCEFROMNTHANDLE needs. @runtime_data (@runtime_data_size bytes) is not written.
 * Return: 0 or -errno.
 */
int d3dkmt_query_resource_info_from_nt_handle(int fd, struct d3dkmthandle device, int nt_handle,
					      void *runtime_data, uint32_t runtime_data_size,
					      struct d3dkmt_shared_resource_info *info);

/*
 * d3dkmt_open_resource_from_nt_handle() - OPENRESOURCEFROMNTHANDLE with the caller's ABI struct
 * (sizes from d3dkmt_query_resource_info_from_nt_handle(), one d3dddi_openallocationinfo2 per
 * allocation). On success the kernel wrote the resource and allocation handles into @args.
 * Return: 0 or -errno.
 */
int d3dkmt_open_resource_from_nt_handle(int fd, struct d3dkmt_openresourcefromnthandle *args);

/*
 * d3dkmt_query_statistics() - QUERYSTATISTICS of @type (D3DKMT_QUERYSTATISTICS_*) for the adapter
 * @luid (it need not be open). @pid: 0 for the calling process, else a process of this pid
 * namespace that has /dev/dxg open (the PROCESS_* types describe it). @query: the type's query
 * word (node id, segment id, segment group, physical adapter index; 0 if none). @result gets the
 * first @size bytes of the D3DKMT_QUERYSTATISTICS_RESULT union (D3DKMT_QUERYSTATISTICS_RESULT_SIZE
 * bytes in all; the d3dkmt_querystatistics_* structs describe it).
 * Return: 0 or -errno (-EINVAL: unknown LUID, pid, type or id).
 */
int d3dkmt_query_statistics(int fd, uint32_t type, struct winluid luid, pid_t pid, uint32_t query,
			    void *result, size_t size);

/*
 * d3dkmt_share_object_with_host() - SHAREOBJECTWITHHOST. opendxg has no host-side consumer:
 * -EPERM once the arguments are valid (-EINVAL: not a device of the process, object 0).
 */
int d3dkmt_share_object_with_host(int fd, struct d3dkmthandle device, struct d3dkmthandle object,
				  uint64_t *vail_nt_handle);

/*
 * d3dkmt_create_sync_file() - CREATESYNCFILE: *@sync_file gets a sync_file descriptor (poll()able,
 * SYNC_IOC_*) that signals when @monitored_fence (of @device) reaches @value. close() it when
 * done. Return: 0 or -errno.
 */
int d3dkmt_create_sync_file(int fd, struct d3dkmthandle device,
			    struct d3dkmthandle monitored_fence, uint64_t value, int *sync_file);

/* d3dkmt_wait_sync_file() - WAITSYNCFILE: work queued on @context after this waits for it. */
int d3dkmt_wait_sync_file(int fd, struct d3dkmthandle context, int sync_file);

/*
 * d3dkmt_open_sync_object_from_sync_file() - OPENSYNCOBJECTFROMSYNCFILE: a monitored fence on
 * @device for the fence behind @sync_file; *@fence_value (may be NULL) is the value it signals at.
 * Return: 0 or -errno.
 */
int d3dkmt_open_sync_object_from_sync_file(int fd, struct d3dkmthandle device, int sync_file,
					   struct d3dkmt_monitored_fence *fence,
					   uint64_t *fence_value);

/*
 * d3dkmt_enum_processes() - ENUMPROCESSES: the pids (in this pid namespace) of the processes that
 * hold an adapter handle of @luid. On entry *@count is the capacity of @pids (may be NULL: count
 * only), on success the number written; on -EOVERFLOW the number present.
 * Return: 0 or -errno (-EINVAL: unknown LUID; -EOVERFLOW as said).
 */
int d3dkmt_enum_processes(int fd, struct winluid luid, uint32_t *pids, uint32_t *count);

/*
 * d3dkmt_enum_processes_alloc() - count, allocate and fill in one go; retries while processes come.
 * *@pids is malloc()ed (NULL when *@count is 0); the caller frees it. Return: 0 or -errno.
 */
int d3dkmt_enum_processes_alloc(int fd, struct winluid luid, uint32_t **pids, uint32_t *count);

/*
 * d3dkmt_is_feature_enabled() - LX_ISFEATUREENABLED of @feature_id (DXGK_FEATURE_*) on @adapter:
 * @result gets the version and DXGK_ISFEATUREENABLED_* bits. Return: 0 or -errno.
 */
int d3dkmt_is_feature_enabled(int fd, struct d3dkmthandle adapter, uint32_t feature_id,
			      struct dxgk_isfeatureenabled_result *result);

/*
 * d3dkmt_flush_heap_transitions() - FLUSHHEAPTRANSITIONS: nothing is ever deferred on opendxg;
 * checks the adapter only. Return: 0 or -errno.
 */
int d3dkmt_flush_heap_transitions(int fd, struct d3dkmthandle adapter);

/*
 * d3dkmt_invalidate_cache() - INVALIDATECACHE: [@offset, @offset + @length) of @allocation (of
 * @device) shows the host's finished writes to this process's CPU mapping. Return: 0 or -errno.
 */
int d3dkmt_invalidate_cache(int fd, struct d3dkmthandle device, struct d3dkmthandle allocation,
			    uint64_t offset, uint64_t length);

/*
 * d3dkmt_utf16_to_utf8() - convert little-endian UTF-16 (@src_bytes bytes, stops at the first NUL
 * unit) to NUL-terminated UTF-8. Unpaired surrogates become U+FFFD.
 * Return: the UTF-8 length in bytes, or -ENOBUFS when @dst_size is too small (the longest prefix
 * of whole characters is written, NUL-terminated, when @dst_size > 0), -EINVAL for a NULL @dst.
 */
ssize_t d3dkmt_utf16_to_utf8(const void *src, size_t src_bytes, char *dst, size_t dst_size);

/* d3dkmt_luid_to_u64() - the LUID as one number, high part in the upper 32 bits. */
static inline uint64_t d3dkmt_luid_to_u64(struct winluid luid)
{
	return ((uint64_t)luid.b << 32) | luid.a;
}

/* d3dkmt_luid_equal() - whether two LUIDs name the same adapter. */
static inline int d3dkmt_luid_equal(struct winluid x, struct winluid y)
{
	return x.a == y.a && x.b == y.b;
}

#ifdef __cplusplus
}
#endif

#endif /* D3DKMT_H */
