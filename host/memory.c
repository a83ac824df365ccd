// SPDX-License-Identifier: MIT
/*
 * The memory objects of a VM (memory.h; semantics in docs/protocol.md, "Memory").
 *
 * Every request that names several objects resolves and checks all of them first (handles,
 * owners, duplicates, states, quota), then acquires whatever can fail (heap extents, device
 * buffers, host copies, handles) and only then commits, so a failed request changes nothing.
 */
#include "memory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <misc/d3dkmthk.h>
#include <misc/opendxg.h>
#include <opendxg/handle.h>

#include "exec.h"
#include "gpuva.h"
#include "heap.h"
#include "log.h"
#include "reply_buf.h"
#include "spirv_check.h"
#include "sync.h"
#include "vk_device.h"

/*
 * Zeroing heap pages: punching a hole in the region memfd frees the old pages and every mapping
 * (QEMU's, the guest's) reads zeros from then on, at the cost of a system call and of page
 * faults when the pages are touched again; for a few pages a memset is cheaper and keeps them
 * populated. Both give the tenant nothing of what was there before.
 */
#define MEM_ZERO_PUNCH_MIN (64u * 1024u)

struct fence_page {
	uint32_t owner;			/* process handle, 0: free */
	uint32_t used;
	uint64_t slots[MEM_FENCES_PER_PAGE / 64u];	/* bit set: slot in use */
};

/* One restore whose copy runs after the PENDING reply went out. */
struct deferred_restore {
	struct vk_buffer *buffer;
	void *contents;
	uint64_t size;
};

struct deferred_work {
	struct dxg_paging_queue *queue;
	uint64_t fence_value;
	uint32_t count;
	struct deferred_restore restores[];
};

struct process_memory {
	struct gpuva_space *gpuva[DXGW_MAX_ADAPTERS];
	uint64_t usage[DXGW_MAX_ADAPTERS][MEM_GROUPS];
	uint64_t reservation[DXGW_MAX_ADAPTERS][MEM_GROUPS];
};

struct adapter_memory {
	struct vk_device *device;	/* opened on first use */
	int device_error;		/* sticky: opening failed for good */
	struct memory_stats stats;	/* gpu_va_ranges and quota_bytes filled on demand */
	struct obj_list offered;	/* offered device-local allocations, discard candidates */
	/*
	 * Shared memory whose creator's handle is gone: charged to the VM's quota on the adapter
	 * (part of stats.claimed and stats.bytes) but to no process.
	 */
	uint64_t shared_usage[MEM_GROUPS];
};

/*
 * What a share holds of a resource (memory.h). Rules of shared memory:
 * - The memory of each allocation lives in one dxg_allocation, its holder: the creator's
 *   allocation while the creator's resource lives, the same object without handle or device
 *   after that. Opened allocation handles point at their holder (dxg_allocation.shared) and
 *   own nothing but their handle, their GPU VA mappings and their program module.
 * - The holders go when nothing names them: no hold (memory_share_put()) and no resource handle
 *   (the creator's or an opened one) left.
 * - One state per memory, whichever handle is used: residency is one count on the holder
 *   (MAKE_RESIDENT through any handle adds one, EVICT through any handle removes one; opening adds
 *   none), and so are priorities, offer/reclaim, segments and LOCK counts.
 * - Charges: the holder is charged to its creator's process while the creator's handle lives,
 *   then to the VM's shared_usage on the adapter. When the creator's handle goes, its claim
 *   drops by exactly the bytes that move (a reservation covering them shrinks with them), so the
 *   VM's total claim never grows and stays within the quota.
 */
struct mem_share {
	struct obj_list link;		/* vm_memory.shares */
	uint32_t holds;			/* memory_share_resource() minus memory_share_put() */
	uint32_t resources;		/* live resource handles naming the memory */
	uint32_t adapter;		/* index */
	struct dxg_resource *creator;	/* NULL once destroyed */
	uint32_t allocation_count;
	struct dxg_allocation **memory;	/* the holders, in the resource's order */
	void *runtime_data;		/* a copy: OPEN needs it after the creator's resource went */
	uint32_t runtime_data_size;
};

struct vm_memory {
	unsigned char *region;
	int region_fd;
	bool has_heap;
	struct dxg_heap heap;
	unsigned char *fences;		/* region + fence_offset, NULL without fence storage */
	uint64_t fence_offset;
	uint32_t fence_page_count;
	struct fence_page *fence_pages;
	struct vm_memory_quota quota;
	const struct mem_device_ops *ops;
	VkInstance instance;
	struct adapter_memory adapters[DXGW_MAX_ADAPTERS];
	struct obj_list shares;		/* struct mem_share */
	uint32_t allocations;		/* the VM's allocation handles, every adapter */
	uint64_t runtime_bytes;
	uint64_t mark_epoch;
	struct deferred_work *deferred;
	struct dxg_ratelimit device_log;	/* a guest can ask for device memory at will */
};

/* ---- the Vulkan device backend ---- */

static int vk_open(const struct vk_adapter *adapter, VkInstance instance, struct vk_device **out)
{
	/* A VM without Vulkan (or a fake adapter in a test) has nothing to open. */
	if (instance == VK_NULL_HANDLE || adapter->physical_device == VK_NULL_HANDLE)
		return -ENODEV;
	return vk_device_open(adapter, instance, out);
}

const struct mem_device_ops mem_vulkan_device_ops = {
	.open = vk_open,
	.close = vk_device_close,
	.max_buffer = vk_device_max_buffer,
	.buffer_create = vk_buffer_create,
	.buffer_destroy = vk_buffer_destroy,
	.buffer_read = vk_buffer_read,
	.buffer_write = vk_buffer_write,
};

/* ---- helpers ---- */

static uint64_t page_round(uint64_t size)
{
	return (size + MEM_PAGE - 1) & ~(uint64_t)(MEM_PAGE - 1);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static struct vm_memory *vmem(const struct dxg_vm *vm)
{
	return vm->mem;
}

static uint32_t adapter_index(const struct dxg_allocation *a)
{
	return a->adapter;
}

/* The allocation that holds the memory an allocation handle names (itself unless opened). */
static struct dxg_allocation *memory_of(struct dxg_allocation *a)
{
	return a->shared ? a->shared : a;
}

static struct process_memory *process_mem(struct dxg_process *p)
{
	if (!p->mem)
		p->mem = calloc(1, sizeof(*p->mem));
	return p->mem;
}

/* A fresh epoch for duplicate detection: objects marked with it were named before. */
static uint64_t new_mark(struct vm_memory *m)
{
	return ++m->mark_epoch;
}

/* ---- accounting ---- */

static uint32_t alloc_group(const struct dxg_allocation *a)
{
	if (a->kind == OPENDXG_ALLOC_KIND_HOST_VISIBLE ||
	    (a->kind == OPENDXG_ALLOC_KIND_DEVICE_LOCAL && a->host_copy))
		return D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL;
	return D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL;
}

/* What the allocation costs in its current state: 0 once discarded. */
static uint64_t alloc_cost(const struct dxg_allocation *a, enum mem_category *cat)
{
	switch (a->kind) {
	case OPENDXG_ALLOC_KIND_HOST_VISIBLE:
		*cat = MEM_CAT_HOST_VISIBLE;
		return a->charged;
	case OPENDXG_ALLOC_KIND_PROGRAM:
		*cat = MEM_CAT_PROGRAM;
		return a->charged;
	default:
		if (a->host_copy) {
			*cat = MEM_CAT_EVICTED;
			return a->discarded ? 0 : a->charged;
		}
		*cat = MEM_CAT_DEVICE_LOCAL;
		return a->buffer && !a->discarded ? a->charged : 0;
	}
}

static uint64_t usage_total(const struct process_memory *pm, uint32_t index)
{
	return pm->usage[index][0] + pm->usage[index][1];
}

static uint64_t reservation_total(const struct process_memory *pm, uint32_t index)
{
	return pm->reservation[index][0] + pm->reservation[index][1];
}

static uint64_t process_claim(const struct process_memory *pm, uint32_t index)
{
	return max_u64(usage_total(pm, index), reservation_total(pm, index));
}

/*
 * Adds (or removes) the holder's current cost to the VM's books and to its payer's: its
 * creator's process, or the adapter's shared usage once the creator's handle is gone.
 */
static void account(struct vm_memory *m, struct dxg_allocation *a, bool add)
{
	const uint32_t index = adapter_index(a);
	struct memory_stats *st = &m->adapters[index].stats;
	enum mem_category cat;
	uint64_t cost = alloc_cost(a, &cat);
	uint32_t group = alloc_group(a);
	struct process_memory *pm;
	uint64_t before;

	if (!a->device) {
		uint64_t *shared = &m->adapters[index].shared_usage[group];

		if (add) {
			st->bytes[cat] += cost;
			*shared += cost;
			st->claimed += cost;
		} else {
			st->bytes[cat] -= cost;
			*shared -= cost;
			st->claimed -= cost;
		}
		return;
	}
	pm = a->device->process->mem;
	before = process_claim(pm, index);

	if (add) {
		st->bytes[cat] += cost;
		pm->usage[index][group] += cost;
	} else {
		st->bytes[cat] -= cost;
		pm->usage[index][group] -= cost;
	}
	st->claimed = st->claimed - before + process_claim(pm, index);
}

/* Would `extra` more charged bytes of this process fit the VM's quota on the adapter? */
static bool quota_fits(const struct vm_memory *m, const struct process_memory *pm,
		       uint32_t index, uint64_t extra)
{
	const struct memory_stats *st = &m->adapters[index].stats;
	uint64_t before = process_claim(pm, index);
	uint64_t after = max_u64(usage_total(pm, index) + extra, reservation_total(pm, index));

	if (m->quota.quota_bytes == MEM_QUOTA_UNLIMITED)
		return true;
	return st->claimed - before + after <= m->quota.quota_bytes;
}

/* ---- heap pages ---- */

static void zero_heap_pages(struct vm_memory *m, uint64_t offset, uint64_t size)
{
	if (size >= MEM_ZERO_PUNCH_MIN && m->region_fd >= 0 &&
	    fallocate(m->region_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
		      (off_t)size) == 0)
		return;
	memset(m->region + offset, 0, size);
}

/* ---- device-local memory ---- */

static int adapter_device(struct dxg_vm *vm, uint32_t index, struct vk_device **out)
{
	struct vm_memory *m = vmem(vm);
	struct adapter_memory *am = &m->adapters[index];
	int ret;

	if (!am->device && !am->device_error) {
		ret = m->ops->open(vm->adapters[index].vk, m->instance, &am->device);
		if (ret) {
			am->device = NULL;
			/* A missing device stays missing; memory or driver trouble may pass. */
			if (ret == -ENODEV)
				am->device_error = ret;
			dxg_log_limited(&m->device_log, DXG_LOG_WARN,
					"adapter %u: no Vulkan device for device-local memory (%d)",
					index, ret);
			return ret;
		}
	}
	if (am->device_error)
		return am->device_error;
	*out = am->device;
	return 0;
}

static int device_buffer(struct dxg_vm *vm, uint32_t index, uint64_t size, struct vk_buffer **out)
{
	struct vk_device *dev;
	int ret = adapter_device(vm, index, &dev);

	if (ret)
		return ret;
	if (size > vmem(vm)->ops->max_buffer(dev))
		return -ENOMEM;
	return vmem(vm)->ops->buffer_create(dev, size, out);
}

/* ---- fence storage ---- */

static int fence_slot_alloc(struct vm_memory *m, uint32_t owner, uint64_t *offset)
{
	if (!m->fences)
		return -ENOMEM;
	struct fence_page *page = NULL;
	uint32_t index = 0;

	for (uint32_t i = 0; i < m->fence_page_count; i++) {
		if (m->fence_pages[i].owner == owner && m->fence_pages[i].used < MEM_FENCES_PER_PAGE) {
			page = &m->fence_pages[i];
			index = i;
			break;
		}
	}
	for (uint32_t i = 0; !page && i < m->fence_page_count; i++) {
		if (m->fence_pages[i].owner == 0) {
			page = &m->fence_pages[i];
			index = i;
			/* The guest maps this page into the process: nothing of its last owner. */
			memset(m->fences + (size_t)i * MEM_PAGE, 0, MEM_PAGE);
			page->owner = owner;
		}
	}
	if (!page)
		return -ENOMEM;
	for (uint32_t s = 0; s < MEM_FENCES_PER_PAGE; s++) {
		uint64_t bit = 1ull << (s % 64u);
		dxg_le64 *slot;

		if (page->slots[s / 64u] & bit)
			continue;
		page->slots[s / 64u] |= bit;
		page->used++;
		*offset = m->fence_offset + (uint64_t)index * MEM_PAGE + (uint64_t)s * 8u;
		slot = (dxg_le64 *)(m->fences + (size_t)index * MEM_PAGE + (size_t)s * 8u);
		dxg_store_release(slot, dxg_to_le64(0));
		return 0;
	}
	return -ENOMEM;		/* unreachable: used < MEM_FENCES_PER_PAGE */
}

static void fence_slot_free(struct vm_memory *m, uint64_t offset)
{
	uint64_t rel = offset - m->fence_offset;
	struct fence_page *page = &m->fence_pages[rel / MEM_PAGE];
	uint32_t s = (uint32_t)((rel % MEM_PAGE) / 8u);

	page->slots[s / 64u] &= ~(1ull << (s % 64u));
	/* A page with no slot left goes back to the pool; it is zeroed when handed out again. */
	if (--page->used == 0)
		page->owner = 0;
}

int memory_fence_slot_alloc(struct dxg_vm *vm, uint32_t process, uint64_t *offset)
{
	return fence_slot_alloc(vmem(vm), process, offset);
}

void memory_fence_slot_free(struct dxg_vm *vm, uint64_t offset)
{
	fence_slot_free(vmem(vm), offset);
}

dxg_le64 *memory_fence_slot(struct dxg_vm *vm, uint64_t offset)
{
	return (dxg_le64 *)(vmem(vm)->region + offset);
}

/* A paging operation that completes now: the next value, written at once. */
static uint64_t paging_complete_now(struct dxg_vm *vm, struct dxg_paging_queue *q)
{
	sync_fence_set(vm, q->fence, ++q->issued);
	return q->issued;
}

/* ---- lookups ---- */

static struct dxg_device *find_device(struct dxg_vm *vm, struct dxg_process *p, uint32_t handle)
{
	return handle_table_lookup(&vm->handles, handle, DXG_HTYPE_DEVICE, p->handle);
}

static struct dxg_paging_queue *find_queue(struct dxg_vm *vm, struct dxg_process *p,
					   uint32_t handle)
{
	return handle_table_lookup(&vm->handles, handle, DXG_HTYPE_PAGINGQUEUE, p->handle);
}

struct dxg_allocation *memory_find_allocation(struct dxg_vm *vm, struct dxg_process *p,
					      uint32_t handle)
{
	return handle_table_lookup(&vm->handles, handle, DXG_HTYPE_ALLOCATION, p->handle);
}

/* An allocation of `p` on device `d`. */
static struct dxg_allocation *find_alloc_of(struct dxg_vm *vm, struct dxg_process *p,
					    const struct dxg_device *d, uint32_t handle)
{
	struct dxg_allocation *a = memory_find_allocation(vm, p, handle);

	return a && a->device == d ? a : NULL;
}

static struct dxg_resource *find_resource_of(struct dxg_vm *vm, struct dxg_process *p,
					     const struct dxg_device *d, uint32_t handle)
{
	struct dxg_resource *r = handle_table_lookup(&vm->handles, handle, DXG_HTYPE_RESOURCE,
						     p->handle);

	return r && r->device == d ? r : NULL;
}

/*
 * Resolves a handle list naming allocations of device `d` (or, with `resources`, resources of
 * `d`, each standing for all its allocations) into `*out` (malloc'ed, *count entries): the
 * allocation handles, or with `memory` the holders of their memory. A bad, foreign or repeated
 * handle is -EINVAL, and so are two handles naming the same memory (two opened handles of one
 * shared allocation): an operation acts once per memory.
 */
static int resolve_list(struct dxg_vm *vm, struct dxg_process *p, const struct dxg_device *d,
			const unsigned char *list, uint32_t n, bool resources, bool memory,
			struct dxg_allocation ***out, uint32_t *count)
{
	struct vm_memory *m = vmem(vm);
	uint64_t mark = new_mark(m);
	struct dxg_allocation **v;
	uint32_t total = 0, k = 0;

	if (resources) {
		for (uint32_t i = 0; i < n; i++) {
			struct dxg_resource *r = find_resource_of(vm, p, d, dxgw_list_get(list, i));

			if (!r || r->mark == mark)
				return -EINVAL;
			r->mark = mark;
			total += r->allocation_count;
		}
	} else {
		total = n;
	}
	v = calloc(total ? total : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t h = dxgw_list_get(list, i);

		if (resources) {
			struct dxg_resource *r = find_resource_of(vm, p, d, h);

			for (struct obj_list *it = r->allocations.next; it != &r->allocations;
			     it = it->next) {
				struct dxg_allocation *a = obj_container_of(it, struct dxg_allocation,
									    link);

				if (memory_of(a)->mark == mark) {
					free(v);
					return -EINVAL;
				}
				memory_of(a)->mark = mark;
				v[k++] = memory ? memory_of(a) : a;
			}
			continue;
		}
		v[k] = find_alloc_of(vm, p, d, h);
		if (!v[k] || memory_of(v[k])->mark == mark) {
			free(v);
			return -EINVAL;
		}
		memory_of(v[k])->mark = mark;
		if (memory)
			v[k] = memory_of(v[k]);
		k++;
	}
	*out = v;
	*count = k;
	return 0;
}

/* Either a resource (all its allocations) or a list of allocations of `d` (alloc_list opcodes). */
static int resolve_resource_or_list(struct dxg_vm *vm, struct dxg_process *p,
				    const struct dxg_device *d, uint32_t resource,
				    const unsigned char *list, uint32_t n,
				    struct dxg_allocation ***out, uint32_t *count)
{
	if (resource) {
		dxg_le32 h = dxg_to_le32(resource);

		return resolve_list(vm, p, d, (const unsigned char *)&h, 1, true, true, out, count);
	}
	return resolve_list(vm, p, d, list, n, false, true, out, count);
}

/* ---- allocation lifetime ---- */

static void offered_unlink(struct dxg_allocation *a)
{
	obj_list_del(&a->offered_link);
}

/* Frees what backs the allocation; the caller settled the books first. */
static void release_backing(struct dxg_vm *vm, struct dxg_allocation *a)
{
	struct vm_memory *m = vmem(vm);

	/* The heap never starts at offset 0 (the region header lives there): 0 means "none". */
	if (a->kind == OPENDXG_ALLOC_KIND_HOST_VISIBLE && a->heap_offset)
		heap_free(&m->heap, a->heap_offset, a->charged);
	if (a->buffer)
		m->ops->buffer_destroy(a->buffer);
	free(a->host_copy);
	free(a->code);
	if (a->program)
		exec_program_release(vm, a->program);
	a->buffer = NULL;
	a->host_copy = NULL;
	a->code = NULL;
	a->program = NULL;
}

/* The handle's bookkeeping common to every allocation handle going away. */
static void drop_allocation_handle(struct dxg_vm *vm, struct dxg_allocation *a)
{
	struct vm_memory *m = vmem(vm);

	obj_list_del(&a->link);
	obj_list_init(&a->link);
	if (a->resource)
		a->resource->allocation_count--;
	a->resource = NULL;
	m->allocations--;
	m->adapters[adapter_index(a)].stats.allocations--;
	handle_table_free(&vm->handles, a->handle);
	a->handle = 0;
}

/* An opened handle goes; its memory stays with the holder (the share decides when it goes). */
static void destroy_opened_allocation(struct dxg_vm *vm, struct dxg_allocation *a)
{
	struct process_memory *pm = a->device->process->mem;

	handle_table_mark_destroyed(&vm->handles, a->handle);
	if (pm && pm->gpuva[adapter_index(a)])
		gpuva_unmap_allocation(pm->gpuva[adapter_index(a)], a);
	/* Jobs in flight hold program references of their own. */
	if (a->program)
		exec_program_release(vm, a->program);
	drop_allocation_handle(vm, a);
	free(a);
}

/*
 * The creator's handle on shared memory goes while the share or opened handles remain: the
 * holder loses its handle, device and mappings and its charge moves from the creator's process
 * to the adapter's shared usage. The creator's claim drops by exactly what moves: a reservation
 * that covered the memory shrinks with it, so the VM's total claim stays the same.
 */
static void detach_shared_memory(struct dxg_vm *vm, struct dxg_allocation *a)
{
	struct vm_memory *m = vmem(vm);
	struct process_memory *pm = a->device->process->mem;
	const uint32_t index = adapter_index(a);
	enum mem_category cat;
	const uint64_t cost = alloc_cost(a, &cat);
	const uint32_t group = alloc_group(a);
	uint64_t before = process_claim(pm, index), reduce;

	handle_table_mark_destroyed(&vm->handles, a->handle);
	if (pm->gpuva[index])
		gpuva_unmap_allocation(pm->gpuva[index], a);
	if (a->program) {
		exec_program_release(vm, a->program);
		a->program = NULL;
	}
	account(m, a, false);
	reduce = cost - (before - process_claim(pm, index));
	if (reduce) {
		uint64_t claim = process_claim(pm, index);
		uint64_t take = min_u64(reduce, pm->reservation[index][group]);

		pm->reservation[index][group] -= take;
		pm->reservation[index][1 - group] -= min_u64(reduce - take,
							     pm->reservation[index][1 - group]);
		m->adapters[index].stats.claimed -= claim - process_claim(pm, index);
	}
	a->device = NULL;
	account(m, a, true);
	drop_allocation_handle(vm, a);
}

static void destroy_allocation(struct dxg_vm *vm, struct dxg_allocation *a)
{
	struct vm_memory *m = vmem(vm);
	struct process_memory *pm = a->device->process->mem;
	const uint32_t index = adapter_index(a);

	if (a->shared) {
		destroy_opened_allocation(vm, a);
		return;
	}
	if (a->share) {
		detach_shared_memory(vm, a);
		return;
	}
	handle_table_mark_destroyed(&vm->handles, a->handle);
	if (pm->gpuva[index])
		gpuva_unmap_allocation(pm->gpuva[index], a);
	/* A job in flight may still use the pages or the buffer (programs are refcounted). */
	if (a->kind != OPENDXG_ALLOC_KIND_PROGRAM)
		exec_adapter_idle(vm, index);
	account(m, a, false);
	offered_unlink(a);
	release_backing(vm, a);
	drop_allocation_handle(vm, a);
	free(a);
}

static void share_release_if_unused(struct dxg_vm *vm, struct mem_share *s);

static void destroy_resource(struct dxg_vm *vm, struct dxg_resource *r)
{
	struct vm_memory *m = vmem(vm);
	struct mem_share *s = r->share;

	handle_table_mark_destroyed(&vm->handles, r->handle);
	while (!obj_list_empty(&r->allocations))
		destroy_allocation(vm, obj_container_of(r->allocations.next, struct dxg_allocation,
							link));
	obj_list_del(&r->link);
	m->runtime_bytes -= r->runtime_data_size;
	m->adapters[r->device->adapter->index].stats.resources--;
	free(r->runtime_data);
	handle_table_free(&vm->handles, r->handle);
	free(r);
	if (s) {
		if (s->creator == r)
			s->creator = NULL;
		s->resources--;
		share_release_if_unused(vm, s);
	}
}

static void destroy_paging_queue(struct dxg_vm *vm, struct dxg_paging_queue *q)
{
	struct vm_memory *m = vmem(vm);

	handle_table_mark_destroyed(&vm->handles, q->handle);
	/* A restore still waiting for its copy must not write into a freed fence. */
	if (m->deferred && m->deferred->queue == q)
		memory_after_reply(vm);
	sync_destroy(vm, q->fence);
	obj_list_del(&q->link);
	m->adapters[q->device->adapter->index].stats.paging_queues--;
	handle_table_free(&vm->handles, q->handle);
	free(q);
}

void memory_device_destroy(struct dxg_vm *vm, struct dxg_device *d)
{
	/* Deferred copies target this device's buffers: finish them before anything goes. */
	if (memory_has_deferred(vm))
		memory_after_reply(vm);
	while (!obj_list_empty(&d->resources))
		destroy_resource(vm, obj_container_of(d->resources.next, struct dxg_resource, link));
	while (!obj_list_empty(&d->allocations))
		destroy_allocation(vm, obj_container_of(d->allocations.next, struct dxg_allocation,
							link));
	while (!obj_list_empty(&d->paging_queues))
		destroy_paging_queue(vm, obj_container_of(d->paging_queues.next,
							  struct dxg_paging_queue, link));
}

void memory_process_adapter_closed(struct dxg_vm *vm, struct dxg_process *p, uint32_t index)
{
	struct vm_memory *m = vmem(vm);
	struct process_memory *pm = p->mem;
	uint64_t before;

	if (!pm)
		return;
	if (pm->gpuva[index]) {
		gpuva_space_destroy(pm->gpuva[index]);
		pm->gpuva[index] = NULL;
	}
	/* Its devices on the adapter are gone, so is its usage; the reservation goes too. */
	before = process_claim(pm, index);
	pm->reservation[index][0] = pm->reservation[index][1] = 0;
	m->adapters[index].stats.claimed -= before - process_claim(pm, index);
}

void memory_process_destroy(struct dxg_vm *vm, struct dxg_process *p)
{
	struct vm_memory *m = vmem(vm);

	if (!p->mem)
		return;
	for (uint32_t i = 0; i < vm->adapter_count; i++)
		memory_process_adapter_closed(vm, p, i);
	/* Paging queues died with the devices; a page still owned would be a host bug. */
	for (uint32_t i = 0; i < m->fence_page_count; i++) {
		if (m->fence_pages[i].owner == p->handle) {
			log_error("fence page %u still owned by a destroyed process", i);
			memset(&m->fence_pages[i], 0, sizeof(m->fence_pages[i]));
		}
	}
	free(p->mem);
	p->mem = NULL;
}

/* ---- shared memory (struct mem_share) ---- */

/* Frees the share and its memory; every resource handle on it is gone. */
static void share_release(struct dxg_vm *vm, struct mem_share *s, bool jobs_may_run)
{
	struct vm_memory *m = vmem(vm);

	/* A restore waiting for its copy may target this memory's new buffer. */
	if (m->deferred)
		memory_after_reply(vm);
	/* Jobs of an opener may still use the pages or buffers through their translations. */
	if (jobs_may_run)
		exec_adapter_idle(vm, s->adapter);
	for (uint32_t i = 0; i < s->allocation_count; i++) {
		struct dxg_allocation *a = s->memory[i];

		account(m, a, false);
		offered_unlink(a);
		release_backing(vm, a);
		free(a);
	}
	m->runtime_bytes -= s->runtime_data_size;
	obj_list_del(&s->link);
	free(s->runtime_data);
	free(s->memory);
	free(s);
}

static void share_release_if_unused(struct dxg_vm *vm, struct mem_share *s)
{
	if (s->holds == 0 && s->resources == 0)
		share_release(vm, s, true);
}

/* ---- VM ---- */

int memory_vm_init(struct dxg_vm *vm, const struct vk_backend *vk,
		   const struct vm_memory_setup *setup)
{
	const struct vm_memory_quota defaults = VM_MEMORY_DEFAULT_QUOTA;
	struct vm_memory *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->region_fd = -1;
	m->quota = defaults;
	m->device_log = (struct dxg_ratelimit)DXG_RATELIMIT_INIT(5000, 3);
	m->ops = &mem_vulkan_device_ops;
	m->instance = vk->instance;
	for (uint32_t i = 0; i < DXGW_MAX_ADAPTERS; i++)
		obj_list_init(&m->adapters[i].offered);
	obj_list_init(&m->shares);
	if (setup) {
		m->quota = setup->quota;
		if (setup->device_ops)
			m->ops = setup->device_ops;
		m->region = setup->region;
		m->region_fd = setup->region_fd;
	}
	if (m->region) {
		if (setup->heap_offset == 0 ||
		    heap_init(&m->heap, setup->heap_offset, setup->heap_size)) {
			free(m);
			return -ENOMEM;
		}
		m->has_heap = true;
		m->fence_page_count = (uint32_t)(setup->fence_size / MEM_PAGE);
		if (m->fence_page_count) {
			m->fence_pages = calloc(m->fence_page_count, sizeof(*m->fence_pages));
			if (!m->fence_pages) {
				heap_fini(&m->heap);
				free(m);
				return -ENOMEM;
			}
			m->fences = m->region + setup->fence_offset;
			m->fence_offset = setup->fence_offset;
		}
	}
	vm->mem = m;
	return 0;
}

void memory_vm_fini(struct dxg_vm *vm)
{
	struct vm_memory *m = vmem(vm);

	if (!m)
		return;
	if (m->deferred)
		memory_after_reply(vm);
	/*
	 * Every handle died with the processes; what shares still hold goes now (share.c drops
	 * its holds before this, or never again). No job runs any more.
	 */
	while (!obj_list_empty(&m->shares))
		share_release(vm, obj_container_of(m->shares.next, struct mem_share, link), false);
	for (uint32_t i = 0; i < DXGW_MAX_ADAPTERS; i++) {
		if (m->adapters[i].device)
			m->ops->close(m->adapters[i].device);
	}
	if (m->has_heap)
		heap_fini(&m->heap);
	free(m->fence_pages);
	free(m);
	vm->mem = NULL;
}

/* ---- replies ---- */

/* struct dxgw_values_reply with `n` values from `value(i)`. */
static int reply_values(struct reply_buf *r, uint32_t n, const uint32_t *values)
{
	unsigned char *h = reply_take(r, sizeof(struct dxgw_values_reply));
	unsigned char *v = reply_take(r, dxgw_list_bytes(n));

	if (!h || !v)
		return -ENOMEM;
	PUT32(h, struct dxgw_values_reply, count, n);
	for (uint32_t i = 0; i < n; i++)
		put32(v + 4u * i, values[i]);
	return 0;
}

/* ---- discard under quota pressure ---- */

/* The offered device-local allocation to discard first: lowest offer, then lowest priority. */
static struct dxg_allocation *discard_candidate(struct adapter_memory *am)
{
	struct dxg_allocation *best = NULL;

	for (struct obj_list *it = am->offered.next; it != &am->offered; it = it->next) {
		struct dxg_allocation *a = obj_container_of(it, struct dxg_allocation, offered_link);

		if (a->discarded)
			continue;
		if (!best || a->offer_priority < best->offer_priority ||
		    (a->offer_priority == best->offer_priority && a->priority < best->priority))
			best = a;
	}
	return best;
}

/* Marks the allocation discarded in the books only (its cost drops to 0); see make_room(). */
static void discard_tentatively(struct vm_memory *m, struct dxg_allocation *a, bool discarded)
{
	account(m, a, false);
	a->discarded = discarded;
	account(m, a, true);
}

/* Offered allocations make_room() discarded in the books, until room_commit()/room_undo(). */
struct room {
	struct dxg_allocation **victims;
	uint32_t count;
	uint32_t cap;
};

/*
 * Makes room for `extra` charged bytes of process `pm` on adapter `index` by discarding offered
 * device-local contents of the VM (lowest offer priority, then lowest allocation priority). The
 * discards happen in the books only, so a request that fails later (or finds that all candidates
 * together are not enough: -ENOMEM) loses nothing: room_undo(). room_commit() frees the memory.
 */
static int make_room(struct vm_memory *m, struct process_memory *pm, uint32_t index,
		     uint64_t extra, struct room *room)
{
	struct adapter_memory *am = &m->adapters[index];

	memset(room, 0, sizeof(*room));
	while (!quota_fits(m, pm, index, extra)) {
		struct dxg_allocation *victim = discard_candidate(am);

		if (!victim)
			return -ENOMEM;
		if (room->count == room->cap) {
			uint32_t cap = room->cap ? room->cap * 2 : 16;
			struct dxg_allocation **grown = realloc(room->victims,
								cap * sizeof(*grown));

			if (!grown)
				return -ENOMEM;
			room->victims = grown;
			room->cap = cap;
		}
		room->victims[room->count++] = victim;
		discard_tentatively(m, victim, true);
	}
	return 0;
}

static void room_undo(struct vm_memory *m, struct room *room)
{
	for (uint32_t i = 0; i < room->count; i++)
		discard_tentatively(m, room->victims[i], false);
	free(room->victims);
	memset(room, 0, sizeof(*room));
}

static void room_commit(struct dxg_vm *vm, uint32_t index, struct room *room)
{
	struct vm_memory *m = vmem(vm);

	/* A discarded buffer may still be in use by a job in flight on the adapter. */
	if (room->count)
		exec_adapter_idle(vm, index);
	for (uint32_t i = 0; i < room->count; i++) {
		struct dxg_allocation *a = room->victims[i];

		log_debug("discarded offered allocation 0x%x (%llu bytes) under quota pressure",
			  a->handle, (unsigned long long)a->charged);
		if (a->buffer)
			m->ops->buffer_destroy(a->buffer);
		free(a->host_copy);
		a->buffer = NULL;
		a->host_copy = NULL;
	}
	free(room->victims);
	memset(room, 0, sizeof(*room));
}

/* ---- CREATE_ALLOCATION / DESTROY_ALLOCATION ---- */

static void free_unlinked_allocation(struct dxg_vm *vm, struct dxg_allocation *a)
{
	release_backing(vm, a);
	if (a->handle)
		handle_table_free(&vm->handles, a->handle);
	free(a);
}

/* Creates one allocation's object, backing and handle; nothing is linked or charged yet. */
static int new_allocation(struct dxg_vm *vm, struct dxg_process *p, struct dxg_device *d,
			  const struct dxgw_alloc_info *info, const unsigned char *code,
			  struct dxg_allocation **out)
{
	struct vm_memory *m = vmem(vm);
	struct dxg_allocation *a = calloc(1, sizeof(*a));
	int ret = 0;

	if (!a)
		return -ENOMEM;
	obj_list_init(&a->link);
	obj_list_init(&a->offered_link);
	a->kind = info->kind;
	a->adapter = d->adapter->index;
	a->device = d;
	a->size = info->size;
	a->priority = info->priority ? info->priority : MEM_PRIORITY_NORMAL;
	a->residency = 1;
	a->supported_segments = 1u << ((info->kind == OPENDXG_ALLOC_KIND_HOST_VISIBLE ?
					DXGW_SEGMENT_HOST_VISIBLE : DXGW_SEGMENT_LOCAL) - 1);
	a->preferred_segment = info->kind == OPENDXG_ALLOC_KIND_HOST_VISIBLE ?
			       DXGW_SEGMENT_HOST_VISIBLE : DXGW_SEGMENT_LOCAL;
	a->charged = page_round(info->size);
	switch (info->kind) {
	case OPENDXG_ALLOC_KIND_HOST_VISIBLE:
		ret = heap_alloc(&m->heap, a->charged, &a->heap_offset);
		if (!ret)
			zero_heap_pages(m, a->heap_offset, a->charged);
		else
			a->heap_offset = 0;	/* nothing carved: nothing to give back */
		break;
	case OPENDXG_ALLOC_KIND_DEVICE_LOCAL:
		ret = device_buffer(vm, d->adapter->index, info->size, &a->buffer);
		break;
	default:
		a->code = malloc(info->code_size);
		if (a->code)
			memcpy(a->code, code, info->code_size);
		else
			ret = -ENOMEM;
		break;
	}
	if (!ret && handle_table_alloc(&vm->handles, DXG_HTYPE_ALLOCATION, p->handle, a,
				       &a->handle))
		ret = -ENOMEM;
	if (ret) {
		free_unlinked_allocation(vm, a);
		/* -ENODEV: the adapter has no usable device; -EIO: its driver failed. */
		return ret == -ENODEV || ret == -EIO ? ret : -ENOMEM;
	}
	*out = a;
	return 0;
}

static int create_allocation(struct dxg_vm *vm, struct dxg_process *p,
			     const struct dxgw_request *req, struct reply_buf *reply)
{
	const uint32_t n = req->create_allocation.alloc_count;
	const bool new_resource = req->create_allocation.flags &
				  D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE;
	struct vm_memory *m = vmem(vm);
	struct dxg_device *d = find_device(vm, p, req->create_allocation.device);
	struct dxg_resource *r = NULL;
	struct dxg_allocation **made = NULL;
	struct room room;
	struct process_memory *pm;
	const unsigned char *code = req->create_allocation.code;
	uint64_t total = 0;
	uint32_t index, made_count = 0;
	unsigned char *head, *results;
	int ret;

	if (!d)
		return -EINVAL;
	index = d->adapter->index;
	if (!new_resource && req->create_allocation.resource) {
		r = find_resource_of(vm, p, d, req->create_allocation.resource);
		/* A shared resource is sealed (and an opened one was shared): WSL's rule. */
		if (!r || r->share)
			return -EINVAL;
	}
	/* Validate every descriptor before anything is acquired. */
	for (uint32_t i = 0; i < n; i++) {
		struct dxgw_alloc_info info;

		dxgw_get_alloc_desc(req, i, &info);
		if (info.size > MEM_MAX_ALLOCATION_SIZE)
			return -ENOMEM;
		if (info.kind == OPENDXG_ALLOC_KIND_HOST_VISIBLE && !m->has_heap)
			return -ENOMEM;
		if (info.kind == OPENDXG_ALLOC_KIND_PROGRAM) {
			char why[SPIRV_CHECK_WHY_LEN] = "";

			if (spirv_check(code, info.code_size, NULL, why)) {
				log_debug("program allocation rejected: %s", why);
				return -EINVAL;
			}
			code += dxgw_pad8(info.code_size);
		}
		total += page_round(info.size);
	}
	if (n > m->quota.max_allocations - min_u64(m->allocations, m->quota.max_allocations))
		return -ENOMEM;
	if (req->create_allocation.runtime_data_size > MEM_MAX_RUNTIME_DATA - m->runtime_bytes)
		return -ENOMEM;
	pm = process_mem(p);
	if (!pm)
		return -ENOMEM;
	ret = make_room(m, pm, index, total, &room);
	if (ret) {
		room_undo(m, &room);
		return ret;
	}

	made = calloc(n, sizeof(*made));
	if (!made) {
		room_undo(m, &room);
		return -ENOMEM;
	}
	if (new_resource) {
		r = calloc(1, sizeof(*r));
		if (!r) {
			ret = -ENOMEM;
			goto fail;
		}
		obj_list_init(&r->allocations);
		obj_list_init(&r->link);
		r->device = d;
		r->shareable = req->create_allocation.flags &
			       D3DKMT_CREATEALLOCATION_FLAG_CREATE_SHARED;
		r->runtime_data_size = req->create_allocation.runtime_data_size;
		if (r->runtime_data_size) {
			r->runtime_data = malloc(r->runtime_data_size);
			if (!r->runtime_data) {
				ret = -ENOMEM;
				goto fail;
			}
			memcpy(r->runtime_data, req->create_allocation.runtime_data,
			       r->runtime_data_size);
		}
		if (handle_table_alloc(&vm->handles, DXG_HTYPE_RESOURCE, p->handle, r,
				       &r->handle)) {
			ret = -ENOMEM;
			goto fail;
		}
	}
	code = req->create_allocation.code;
	for (uint32_t i = 0; i < n; i++) {
		struct dxgw_alloc_info info;

		dxgw_get_alloc_desc(req, i, &info);
		ret = new_allocation(vm, p, d, &info, code, &made[i]);
		if (ret)
			goto fail;
		made_count++;
		if (info.code_size)
			code += dxgw_pad8(info.code_size);
	}

	head = reply_take(reply, sizeof(struct dxgw_create_allocation_reply));
	results = reply_take(reply, n * (uint32_t)sizeof(struct dxgw_alloc_result));
	if (!head || !results) {
		ret = -ENOMEM;
		goto fail;
	}
	/* Commit: nothing below can fail. */
	room_commit(vm, index, &room);
	if (new_resource) {
		obj_list_add_tail(&d->resources, &r->link);
		m->runtime_bytes += r->runtime_data_size;
		m->adapters[index].stats.resources++;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct dxg_allocation *a = made[i];
		unsigned char *res = results + (size_t)i * sizeof(struct dxgw_alloc_result);

		a->resource = r;
		if (r) {
			obj_list_add_tail(&r->allocations, &a->link);
			r->allocation_count++;
		} else {
			obj_list_add_tail(&d->allocations, &a->link);
		}
		m->allocations++;
		m->adapters[index].stats.allocations++;
		account(m, a, true);
		PUT32(res, struct dxgw_alloc_result, allocation, a->handle);
		PUT64(res, struct dxgw_alloc_result, charged, a->charged);
	}
	PUT32(head, struct dxgw_create_allocation_reply, resource, r ? r->handle : 0);
	PUT32(head, struct dxgw_create_allocation_reply, alloc_count, n);
	free(made);
	return 0;

fail:
	for (uint32_t i = 0; i < made_count; i++)
		free_unlinked_allocation(vm, made[i]);
	room_undo(m, &room);
	if (new_resource && r) {
		if (r->handle)
			handle_table_free(&vm->handles, r->handle);
		free(r->runtime_data);
		free(r);
	}
	free(made);
	reply->len = 0;
	return ret;
}

static int destroy_allocations(struct dxg_vm *vm, struct dxg_process *p,
			       const struct dxgw_request *req)
{
	struct dxg_device *d = find_device(vm, p, req->destroy_allocation.device);
	struct dxg_allocation **v;
	uint32_t n;
	int ret;

	if (!d)
		return -EINVAL;
	if (req->destroy_allocation.resource) {
		struct dxg_resource *r = find_resource_of(vm, p, d,
							  req->destroy_allocation.resource);

		if (!r)
			return -EINVAL;
		destroy_resource(vm, r);
		return 0;
	}
	ret = resolve_list(vm, p, d, req->destroy_allocation.handles,
			   req->destroy_allocation.count, false, false, &v, &n);
	if (ret)
		return ret;
	/* Allocations of a resource go only with their resource. */
	for (uint32_t i = 0; i < n; i++) {
		if (v[i]->resource) {
			free(v);
			return -EINVAL;
		}
	}
	for (uint32_t i = 0; i < n; i++)
		destroy_allocation(vm, v[i]);
	free(v);
	return 0;
}

/* ---- LOCK / UNLOCK ---- */

static int lock_allocation(struct dxg_vm *vm, struct dxg_process *p,
			   const struct dxgw_request *req, struct reply_buf *reply)
{
	struct dxg_device *d = find_device(vm, p, req->lock.device);
	struct dxg_allocation *handle = d ? find_alloc_of(vm, p, d, req->lock.allocation) : NULL;
	struct dxg_allocation *a;
	unsigned char *r;

	if (!handle || handle->kind != OPENDXG_ALLOC_KIND_HOST_VISIBLE)
		return -EINVAL;
	/* One lock count per memory, whichever handle locks or unlocks it. */
	a = memory_of(handle);
	if (req->opcode == DXGW_OP_UNLOCK) {
		if (a->locks == 0)
			return -EINVAL;
		a->locks--;
		return 0;
	}
	r = reply_take(reply, sizeof(struct dxgw_lock_reply));
	if (!r)
		return -ENOMEM;
	a->locks++;
	PUT64(r, struct dxgw_lock_reply, region_offset, a->heap_offset);
	PUT64(r, struct dxgw_lock_reply, size, a->charged);
	PUT32(r, struct dxgw_lock_reply, resource,
	      handle->resource ? handle->resource->handle : 0);
	PUT32(r, struct dxgw_lock_reply, adapter, d->adapter->handle);
	PUT32(r, struct dxgw_lock_reply, flags, handle->read_only ? DXGW_LOCK_READ_ONLY : 0);
	return 0;
}

/* ---- QUERY_VIDEO_MEMORY / CHANGE_RESERVATION ---- */

/* What the process could still add in the group: quota room (plus its own unused reservation). */
static uint64_t group_room(const struct dxg_vm *vm, const struct process_memory *pm,
			   uint32_t index, uint32_t group)
{
	const struct vm_memory *m = vmem(vm);
	const struct memory_stats *st = &m->adapters[index].stats;
	uint64_t quota_room = UINT64_MAX, physical;

	if (m->quota.quota_bytes != MEM_QUOTA_UNLIMITED) {
		quota_room = sat_sub(m->quota.quota_bytes, st->claimed);
		if (pm)
			quota_room = sat_add(quota_room, process_claim(pm, index) -
							 usage_total(pm, index));
	}
	if (group == D3DKMT_MEMORY_SEGMENT_GROUP_NON_LOCAL)
		physical = m->has_heap ? heap_largest_free(&m->heap) : 0;
	else
		physical = sat_sub(vm->adapters[index].vk->device_local_bytes,
				   st->bytes[MEM_CAT_DEVICE_LOCAL] + st->bytes[MEM_CAT_PROGRAM]);
	return min_u64(quota_room, physical);
}

static int video_memory(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
			struct reply_buf *reply)
{
	struct dxg_adapter *a = process_find_open_adapter(vm, p, req->video_memory.adapter);
	const uint32_t g = req->video_memory.segment_group;
	struct vm_memory *m = vmem(vm);
	struct memory_group_numbers n;
	struct process_memory *pm;
	uint64_t before, after;
	unsigned char *r;

	if (!a)
		return -EINVAL;
	pm = process_mem(p);
	if (!pm)
		return -ENOMEM;
	if (req->opcode == DXGW_OP_CHANGE_RESERVATION) {
		uint64_t others = reservation_total(pm, a->index) - pm->reservation[a->index][g];

		if (req->video_memory.reservation > MEM_MAX_ALLOCATION_SIZE)
			return -ENOMEM;
		before = process_claim(pm, a->index);
		after = max_u64(usage_total(pm, a->index), others + req->video_memory.reservation);
		if (m->quota.quota_bytes != MEM_QUOTA_UNLIMITED &&
		    m->adapters[a->index].stats.claimed - before + after > m->quota.quota_bytes)
			return -ENOMEM;
		pm->reservation[a->index][g] = req->video_memory.reservation;
		m->adapters[a->index].stats.claimed = m->adapters[a->index].stats.claimed - before +
						      after;
		return 0;
	}
	r = reply_take(reply, sizeof(struct dxgw_video_memory_reply));
	if (!r)
		return -ENOMEM;
	memory_group_numbers(vm, p, a->index, g, &n);
	PUT64(r, struct dxgw_video_memory_reply, budget, n.budget);
	PUT64(r, struct dxgw_video_memory_reply, current_usage, n.usage);
	PUT64(r, struct dxgw_video_memory_reply, current_reservation, n.reservation);
	PUT64(r, struct dxgw_video_memory_reply, available_for_reservation, n.budget);
	return 0;
}

void memory_group_numbers(const struct dxg_vm *vm, const struct dxg_process *p, uint32_t index,
			  uint32_t group, struct memory_group_numbers *out)
{
	const struct process_memory *pm = p ? p->mem : NULL;

	out->usage = pm ? pm->usage[index][group] : 0;
	out->reservation = pm ? pm->reservation[index][group] : 0;
	out->budget = sat_add(out->usage, group_room(vm, pm, index, group));
}

/* ---- QUERY_RESIDENCY / SET_PRIORITY / GET_PRIORITY ---- */

static uint32_t residency_status(const struct dxg_allocation *a)
{
	if (a->residency == 0 || a->discarded)
		return D3DKMT_ALLOCATIONRESIDENCYSTATUS_NOTRESIDENT;
	if (a->kind == OPENDXG_ALLOC_KIND_HOST_VISIBLE)
		return D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINSHAREDMEMORY;
	return D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINGPUMEMORY;
}

static int alloc_list_op(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
			 struct reply_buf *reply)
{
	struct dxg_device *d = find_device(vm, p, req->alloc_list.device);
	const bool whole = req->alloc_list.resource != 0;
	struct dxg_allocation **v;
	uint32_t *values, n, out;
	int ret;

	if (!d)
		return -EINVAL;
	ret = resolve_resource_or_list(vm, p, d, req->alloc_list.resource, req->alloc_list.handles,
				       req->alloc_list.count, &v, &n);
	if (ret)
		return ret;
	out = whole ? 1 : n;
	values = calloc(out, sizeof(*values));
	if (!values) {
		free(v);
		return -ENOMEM;
	}
	switch (req->opcode) {
	case DXGW_OP_SET_PRIORITY:
		for (uint32_t i = 0; i < n; i++)
			v[i]->priority = dxgw_list_get(req->alloc_list.values, whole ? 0 : i);
		ret = 0;
		break;
	case DXGW_OP_GET_PRIORITY:
		/* A resource answers with its first allocation's priority. */
		for (uint32_t i = 0; i < out && i < n; i++)
			values[i] = v[i]->priority;
		ret = reply_values(reply, out, values);
		break;
	default:
		/* A resource is as resident as its least resident allocation. */
		for (uint32_t i = 0; i < n; i++) {
			uint32_t s = residency_status(v[i]);

			if (whole)
				values[0] = s > values[0] ? s : values[0];
			else
				values[i] = s;
		}
		ret = reply_values(reply, out, values);
		break;
	}
	free(values);
	free(v);
	return ret;
}

/* ---- OFFER / RECLAIM ---- */

static int offer(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req)
{
	struct vm_memory *m = vmem(vm);
	struct dxg_device *d = find_device(vm, p, req->offer.device);
	struct dxg_allocation **v;
	uint32_t n;
	int ret;

	if (!d)
		return -EINVAL;
	ret = resolve_list(vm, p, d, req->offer.handles, req->offer.count, req->offer.resources,
			   true, &v, &n);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < n; i++) {
		if (v[i]->offered) {
			free(v);
			return -EINVAL;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		struct dxg_allocation *a = v[i];

		a->offered = true;
		a->offer_priority = req->offer.priority;
		/* Host-visible pages stay: the guest may have them mapped. */
		if (a->kind == OPENDXG_ALLOC_KIND_DEVICE_LOCAL)
			obj_list_add_tail(&m->adapters[adapter_index(a)].offered,
					  &a->offered_link);
	}
	free(v);
	return 0;
}

static int reclaim(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
		   struct reply_buf *reply)
{
	struct vm_memory *m = vmem(vm);
	struct dxg_paging_queue *q = find_queue(vm, p, req->reclaim.paging_queue);
	struct dxg_allocation **v = NULL;
	struct vk_buffer **buffers = NULL;
	void **copies = NULL;
	uint32_t n = 0, index;
	uint64_t needed = 0, needed_elsewhere = 0;
	unsigned char *head, *list;
	int ret;

	if (!q)
		return -EINVAL;
	index = q->device->adapter->index;
	ret = resolve_list(vm, p, q->device, req->reclaim.handles, req->reclaim.count,
			   req->reclaim.resources, true, &v, &n);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < n; i++) {
		if (!v[i]->offered) {
			ret = -EINVAL;
			goto out;
		}
		/* Shared memory is charged to its creator or to the VM, not to the reclaimer. */
		if (v[i]->discarded && v[i]->device && v[i]->device->process == p)
			needed += v[i]->charged;
		else if (v[i]->discarded)
			needed_elsewhere += v[i]->charged;
	}
	if (!p->mem || !quota_fits(m, p->mem, index, needed) ||
	    (needed_elsewhere && m->quota.quota_bytes != MEM_QUOTA_UNLIMITED &&
	     m->adapters[index].stats.claimed + needed + needed_elsewhere > m->quota.quota_bytes)) {
		ret = -ENOMEM;
		goto out;
	}
	buffers = calloc(n ? n : 1, sizeof(*buffers));
	copies = calloc(n ? n : 1, sizeof(*copies));
	if (!buffers || !copies) {
		ret = -ENOMEM;
		goto out;
	}
	/* Discarded contents come back as new, zeroed memory, where the allocation now lives. */
	for (uint32_t i = 0; i < n; i++) {
		struct dxg_allocation *a = v[i];

		if (!a->discarded)
			continue;
		if (a->residency)
			ret = device_buffer(vm, index, a->size, &buffers[i]);
		else if (!(copies[i] = calloc(1, a->size)))
			ret = -ENOMEM;
		if (ret)
			goto out;
	}
	head = reply_take(reply, sizeof(struct dxgw_reclaim_reply));
	list = reply_take(reply, dxgw_list_bytes(req->reclaim.count));
	if (!head || !list) {
		ret = -ENOMEM;
		goto out;
	}
	/*
	 * One result per handle: a resource (its allocations follow each other in v) is DISCARDED
	 * when any of its allocations lost its contents.
	 */
	for (uint32_t h = 0, k = 0; h < req->reclaim.count; h++) {
		uint32_t members = 1, result = D3DDDI_RECLAIM_RESULT_OK;

		if (req->reclaim.resources)
			members = find_resource_of(vm, p, q->device,
						   dxgw_list_get(req->reclaim.handles, h))
					  ->allocation_count;
		for (uint32_t j = 0; j < members; j++, k++) {
			if (v[k]->discarded)
				result = D3DDDI_RECLAIM_RESULT_DISCARDED;
		}
		put32(list + 4u * h, result);
	}
	for (uint32_t i = 0; i < n; i++) {
		struct dxg_allocation *a = v[i];

		a->offered = false;
		offered_unlink(a);
		if (a->discarded) {
			account(m, a, false);
			a->buffer = buffers[i];
			a->host_copy = copies[i];
			buffers[i] = NULL;
			copies[i] = NULL;
			a->discarded = false;
			account(m, a, true);
		}
	}
	PUT64(head, struct dxgw_reclaim_reply, paging_fence_value, paging_complete_now(vm, q));
	PUT32(head, struct dxgw_reclaim_reply, count, req->reclaim.count);
	ret = 0;
out:
	for (uint32_t i = 0; buffers && i < n; i++) {
		if (buffers[i])
			m->ops->buffer_destroy(buffers[i]);
		if (copies)
			free(copies[i]);
	}
	if (ret)
		reply->len = 0;
	free(buffers);
	free(copies);
	free(v);
	return ret;
}

/* ---- UPDATE_ALLOC_PROPERTY ---- */

static uint32_t alloc_segment(const struct dxg_allocation *a)
{
	return a->kind == OPENDXG_ALLOC_KIND_HOST_VISIBLE ? DXGW_SEGMENT_HOST_VISIBLE
							  : DXGW_SEGMENT_LOCAL;
}

static int update_alloc_property(struct dxg_vm *vm, struct dxg_process *p,
				 const struct dxgw_request *req, struct reply_buf *reply)
{
	const uint32_t mask = req->update_alloc_property.property_mask;
	struct dxg_paging_queue *q = find_queue(vm, p, req->update_alloc_property.paging_queue);
	struct dxg_allocation *a = q ? find_alloc_of(vm, p, q->device,
						     req->update_alloc_property.allocation) : NULL;
	uint32_t set, preferred;
	unsigned char *r;

	if (!a)
		return -EINVAL;
	a = memory_of(a);
	set = mask & D3DDDI_UPDATEALLOCPROPERTY_SET_SUPPORTED_SEGMENT_SET ?
	      req->update_alloc_property.supported_segment_set : a->supported_segments;
	preferred = mask & D3DDDI_UPDATEALLOCPROPERTY_SET_PREFERRED_SEGMENT ?
		    req->update_alloc_property.preferred_segment : a->preferred_segment;
	/* The allocation lives in its segment: a set without it cannot describe it. */
	if (!(set & (1u << (alloc_segment(a) - 1))))
		return -EINVAL;
	if (preferred && !(set & (1u << (preferred - 1))))
		return -EINVAL;
	r = reply_take(reply, sizeof(struct dxgw_paging_reply));
	if (!r)
		return -ENOMEM;
	a->supported_segments = set;
	a->preferred_segment = preferred;
	if (mask & D3DDDI_UPDATEALLOCPROPERTY_SET_ACCESSED_PHYSICALLY)
		a->property_flags = req->update_alloc_property.flags;
	PUT64(r, struct dxgw_paging_reply, paging_fence_value, paging_complete_now(vm, q));
	return 0;
}

/* ---- paging queues ---- */

static int create_paging_queue(struct dxg_vm *vm, struct dxg_process *p,
			       const struct dxgw_request *req, struct reply_buf *reply)
{
	struct vm_memory *m = vmem(vm);
	struct dxg_device *d = find_device(vm, p, req->create_paging_queue.device);
	struct dxg_paging_queue *q;
	unsigned char *r;
	int ret;

	if (!d)
		return -EINVAL;
	r = reply_take(reply, sizeof(struct dxgw_create_paging_queue_reply));
	q = calloc(1, sizeof(*q));
	if (!r || !q) {
		free(q);
		return -ENOMEM;
	}
	q->device = d;
	q->priority = req->create_paging_queue.priority;
	if (handle_table_alloc(&vm->handles, DXG_HTYPE_PAGINGQUEUE, p->handle, q, &q->handle)) {
		free(q);
		return -ENOMEM;
	}
	ret = sync_create_queue_fence(vm, d, SYNC_OWNER_PAGING_QUEUE, &q->fence);
	if (ret) {
		handle_table_free(&vm->handles, q->handle);
		free(q);
		return ret;
	}
	obj_list_add_tail(&d->paging_queues, &q->link);
	m->adapters[d->adapter->index].stats.paging_queues++;
	PUT32(r, struct dxgw_create_paging_queue_reply, paging_queue, q->handle);
	PUT32(r, struct dxgw_create_paging_queue_reply, sync_object, q->fence->handle);
	PUT64(r, struct dxgw_create_paging_queue_reply, fence_offset, q->fence->slot);
	return 0;
}

/* ---- MAKE_RESIDENT / EVICT ---- */

static bool needs_restore(const struct dxg_allocation *a)
{
	return a->residency == 0 && a->host_copy;
}

static int make_resident(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
			 struct reply_buf *reply)
{
	struct vm_memory *m = vmem(vm);
	struct dxg_paging_queue *q = find_queue(vm, p, req->make_resident.paging_queue);
	struct dxg_allocation **v = NULL;
	struct vk_buffer **buffers = NULL;
	struct deferred_work *work = NULL;
	uint32_t n = 0, restores = 0;
	unsigned char *r;
	int ret;

	if (!q)
		return -EINVAL;
	ret = resolve_list(vm, p, q->device, req->make_resident.handles, req->make_resident.count,
			   false, true, &v, &n);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < n; i++) {
		if (needs_restore(v[i]))
			restores++;
	}
	buffers = calloc(n, sizeof(*buffers));
	if (restores)
		work = calloc(1, sizeof(*work) + restores * sizeof(work->restores[0]));
	r = reply_take(reply, sizeof(struct dxgw_residency_reply));
	if (!buffers || (restores && !work) || !r) {
		ret = -ENOMEM;
		goto out;
	}
	/* Device memory for every restore first; quota is unchanged (the bytes move back). */
	for (uint32_t i = 0; i < n; i++) {
		if (!needs_restore(v[i]))
			continue;
		ret = device_buffer(vm, adapter_index(v[i]), v[i]->size, &buffers[i]);
		if (ret)
			goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct dxg_allocation *a = v[i];

		if (req->make_resident.priorities)
			a->priority = dxgw_list_get(req->make_resident.priorities, i);
		if (buffers[i]) {
			account(m, a, false);
			work->restores[work->count++] = (struct deferred_restore){
				.buffer = buffers[i],
				.contents = a->host_copy,
				.size = a->size,
			};
			a->buffer = buffers[i];
			a->host_copy = NULL;
			buffers[i] = NULL;
			account(m, a, true);
		}
		a->residency++;
	}
	if (work) {
		/* The copies run after the reply: the guest waits for this value on the fence. */
		work->queue = q;
		work->fence_value = ++q->issued;
		m->deferred = work;
		work = NULL;
		PUT64(r, struct dxgw_residency_reply, paging_fence_value, q->issued);
		ret = DXGW_STATUS_PENDING;
	} else {
		PUT64(r, struct dxgw_residency_reply, paging_fence_value,
		      paging_complete_now(vm, q));
		ret = 0;
	}
out:
	for (uint32_t i = 0; buffers && i < n; i++) {
		if (buffers[i])
			m->ops->buffer_destroy(buffers[i]);
	}
	if (ret < 0)
		reply->len = 0;
	free(work);
	free(buffers);
	free(v);
	return ret;
}

bool memory_has_deferred(const struct dxg_vm *vm)
{
	return vm->mem && vm->mem->deferred;
}

void memory_after_reply(struct dxg_vm *vm)
{
	struct vm_memory *m = vmem(vm);
	struct deferred_work *work = m->deferred;

	if (!work)
		return;
	m->deferred = NULL;
	for (uint32_t i = 0; i < work->count; i++) {
		struct deferred_restore *rs = &work->restores[i];
		int ret = m->ops->buffer_write(rs->buffer, 0, rs->contents, rs->size);

		/*
		 * The fence is written regardless: a guest waiting on it must not hang. The
		 * buffer was zeroed when it was created, so the contents read back as zeros.
		 */
		if (ret)
			log_error("restoring %llu bytes of device-local contents failed (%d)",
				  (unsigned long long)rs->size, ret);
		free(rs->contents);
	}
	sync_fence_set(vm, work->queue->fence, work->fence_value);
	free(work);
}

static int evict(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
		 struct reply_buf *reply)
{
	struct vm_memory *m = vmem(vm);
	struct dxg_device *d = find_device(vm, p, req->evict.device);
	struct dxg_allocation **v = NULL;
	void **copies = NULL;
	uint32_t n = 0;
	unsigned char *r;
	int ret;

	if (!d)
		return -EINVAL;
	ret = resolve_list(vm, p, d, req->evict.handles, req->evict.count, false, true, &v, &n);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < n; i++) {
		if (v[i]->residency == 0) {
			ret = -EINVAL;
			goto out;
		}
	}
	copies = calloc(n, sizeof(*copies));
	r = reply_take(reply, sizeof(struct dxgw_residency_reply));
	if (!copies || !r) {
		ret = -ENOMEM;
		goto out;
	}
	/* Jobs in flight may still write what leaves: they finish first. */
	exec_adapter_idle(vm, d->adapter->index);
	/* Read every leaving content before anything changes: a failed read changes nothing. */
	for (uint32_t i = 0; i < n; i++) {
		struct dxg_allocation *a = v[i];

		if (a->residency != 1 || !a->buffer)
			continue;
		copies[i] = malloc(a->size);
		if (!copies[i]) {
			ret = -ENOMEM;
			goto out;
		}
		ret = m->ops->buffer_read(a->buffer, 0, copies[i], a->size);
		if (ret)
			goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct dxg_allocation *a = v[i];

		if (copies[i]) {
			account(m, a, false);
			m->ops->buffer_destroy(a->buffer);
			a->buffer = NULL;
			a->host_copy = copies[i];
			copies[i] = NULL;
			account(m, a, true);
		}
		a->residency--;
	}
	ret = 0;
out:
	for (uint32_t i = 0; copies && i < n; i++)
		free(copies[i]);
	if (ret)
		reply->len = 0;
	free(copies);
	free(v);
	return ret;
}

/* ---- GPU virtual addresses ---- */

static struct gpuva_space *gpuva_of(struct vm_memory *m, struct process_memory *pm,
				    uint32_t index)
{
	if (!pm->gpuva[index])
		pm->gpuva[index] = gpuva_space_create(m->quota.max_gpuva_entries);
	return pm->gpuva[index];
}

static int reserve_gpu_va(struct dxg_vm *vm, struct dxg_process *p,
			  const struct dxgw_request *req, struct reply_buf *reply)
{
	struct vm_memory *m = vmem(vm);
	struct dxg_paging_queue *q = NULL;
	struct dxg_adapter *a = NULL;
	struct process_memory *pm;
	struct gpuva_space *s;
	uint64_t va = 0;
	unsigned char *r;
	int ret;

	if (req->reserve_gpu_va.paging_queue) {
		q = find_queue(vm, p, req->reserve_gpu_va.paging_queue);
		if (!q)
			return -EINVAL;
		a = q->device->adapter;
	}
	if (req->reserve_gpu_va.adapter) {
		struct dxg_adapter *named = process_find_open_adapter(vm, p,
								      req->reserve_gpu_va.adapter);

		/* Both named: they must agree. */
		if (!named || (a && a != named))
			return -EINVAL;
		a = named;
	}
	pm = process_mem(p);
	r = reply_take(reply, sizeof(struct dxgw_gpu_va_reply));
	if (!pm || !r)
		return -ENOMEM;
	s = gpuva_of(m, pm, a->index);
	if (!s)
		return -ENOMEM;
	ret = gpuva_reserve(s, req->reserve_gpu_va.base_address, req->reserve_gpu_va.minimum_address,
			    req->reserve_gpu_va.maximum_address, req->reserve_gpu_va.size,
			    req->reserve_gpu_va.reservation_type, &va);
	if (ret)
		return ret;
	PUT64(r, struct dxgw_gpu_va_reply, virtual_address, va);
	PUT64(r, struct dxgw_gpu_va_reply, paging_fence_value, q ? paging_complete_now(vm, q) : 0);
	return 0;
}

/* A read-only opened allocation is never mapped writable: writes then fault (-EACCES). */
static uint64_t mapping_protection(const struct dxg_allocation *a, uint64_t protection)
{
	return a->read_only ? protection & ~D3DDDIGPUVA_PROTECTION_WRITE : protection;
}

/* Pages -> bytes, refusing what does not fit in an address. */
static bool pages_to_bytes(uint64_t pages, uint64_t *bytes)
{
	if (pages > DXGW_GPUVA_LIMIT / DXGW_GPUVA_PAGE)
		return false;
	*bytes = pages * DXGW_GPUVA_PAGE;
	return true;
}

static int map_gpu_va(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
		      struct reply_buf *reply)
{
	struct vm_memory *m = vmem(vm);
	struct dxg_paging_queue *q = find_queue(vm, p, req->map_gpu_va.paging_queue);
	struct dxg_allocation *alloc = memory_find_allocation(vm, p, req->map_gpu_va.allocation);
	struct gpuva_target t;
	struct process_memory *pm;
	struct gpuva_space *s;
	uint64_t size, offset, va = req->map_gpu_va.base_address;
	unsigned char *r;
	int ret;

	/* The allocation must live on the queue's adapter: that is the space it maps into. */
	if (!q || !alloc || alloc->device->adapter != q->device->adapter)
		return -EINVAL;
	if (!pages_to_bytes(req->map_gpu_va.size_in_pages, &size) ||
	    !pages_to_bytes(req->map_gpu_va.offset_in_pages, &offset))
		return -EINVAL;
	pm = process_mem(p);
	r = reply_take(reply, sizeof(struct dxgw_gpu_va_reply));
	if (!pm || !r)
		return -ENOMEM;
	s = gpuva_of(m, pm, q->device->adapter->index);
	if (!s)
		return -ENOMEM;
	t = (struct gpuva_target){
		.allocation = alloc,
		.allocation_size = alloc->charged,
		.offset = offset,
		.protection = mapping_protection(alloc, req->map_gpu_va.protection),
	};
	if (va)
		ret = gpuva_map(s, va, size, &t);
	else
		ret = gpuva_map_new(s, req->map_gpu_va.minimum_address,
				    req->map_gpu_va.maximum_address, size, &t, &va);
	if (ret)
		return ret;
	PUT64(r, struct dxgw_gpu_va_reply, virtual_address, va);
	PUT64(r, struct dxgw_gpu_va_reply, paging_fence_value, paging_complete_now(vm, q));
	return 0;
}

static int free_gpu_va(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req)
{
	struct dxg_adapter *a = process_find_open_adapter(vm, p, req->free_gpu_va.adapter);

	if (!a || !p->mem || !p->mem->gpuva[a->index])
		return -EINVAL;
	return gpuva_free(p->mem->gpuva[a->index], req->free_gpu_va.base_address,
			  req->free_gpu_va.size);
}

static int apply_gpu_va_op(struct dxg_vm *vm, struct dxg_process *p, const struct dxg_device *d,
			   struct gpuva_space *s, const struct dxgw_gpu_va_op_info *op)
{
	struct dxg_allocation *alloc;
	struct gpuva_target t;

	switch (op->operation) {
	case D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP:
	case D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP_PROTECT:
		alloc = memory_find_allocation(vm, p, op->allocation);
		if (!alloc || alloc->device->adapter != d->adapter)
			return -EINVAL;
		t = (struct gpuva_target){
			.allocation = alloc,
			.allocation_size = alloc->charged,
			.offset = op->allocation_offset,
			/* A plain MAP maps read-write, as WDDM's does. */
			.protection = mapping_protection(
				alloc, op->operation == D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP ?
					       D3DDDIGPUVA_PROTECTION_WRITE : op->protection),
		};
		return gpuva_map(s, op->base_address, op->size, &t);
	case D3DDDI_UPDATEGPUVIRTUALADDRESS_UNMAP:
		return gpuva_unmap(s, op->base_address, op->size);
	default:
		return gpuva_copy(s, op->base_address, op->dest_address, op->size);
	}
}

int memory_translate_gpu_va(const struct dxg_process *p, uint32_t index, uint64_t va,
			    uint64_t len, bool write, struct dxg_allocation **allocation,
			    uint64_t *offset)
{
	void *a;
	int ret;

	if (index >= DXGW_MAX_ADAPTERS || !p->mem || !p->mem->gpuva[index])
		return -EFAULT;
	ret = gpuva_translate(p->mem->gpuva[index], va, len, write, &a, offset);
	/* The space maps handles; jobs need the memory behind them. */
	if (!ret)
		*allocation = memory_of(a);
	return ret;
}

/* UPDATE_GPU_VA operations kept for later (exec.c queues them behind a fence). */
struct gpu_va_update {
	struct dxg_process *process;
	struct dxg_device *device;
	uint32_t count;
	struct dxgw_gpu_va_op_info ops[];
};

/* Applies `n` operations, from the request or from a kept update, all or nothing. */
static int apply_gpu_va_ops(struct dxg_vm *vm, struct dxg_process *p, const struct dxg_device *d,
			    const struct dxgw_request *req, const struct gpu_va_update *u,
			    uint32_t n)
{
	struct process_memory *pm = process_mem(p);
	struct gpuva_space *s, *copy;
	int ret = 0;

	if (!pm)
		return -ENOMEM;
	s = gpuva_of(vmem(vm), pm, d->adapter->index);
	if (!s)
		return -ENOMEM;
	/* All or nothing: the operations run on a copy that replaces the space only if all pass. */
	copy = gpuva_space_clone(s);
	if (!copy)
		return -ENOMEM;
	for (uint32_t i = 0; i < n && !ret; i++) {
		struct dxgw_gpu_va_op_info op;

		if (req)
			dxgw_get_gpu_va_op(req, i, &op);
		else
			op = u->ops[i];
		ret = apply_gpu_va_op(vm, p, d, copy, &op);
	}
	if (!ret)
		gpuva_space_swap(s, copy);
	gpuva_space_destroy(copy);
	return ret;
}

int memory_gpu_va_update_apply(struct dxg_vm *vm, struct gpu_va_update *u)
{
	return apply_gpu_va_ops(vm, u->process, u->device, NULL, u, u->count);
}

void memory_gpu_va_update_free(struct gpu_va_update *u)
{
	free(u);
}

uint64_t memory_gpu_va_update_bytes(const struct gpu_va_update *u)
{
	return sizeof(*u) + (uint64_t)u->count * sizeof(u->ops[0]);
}

/*
 * The operations cannot run yet: check what can be checked now (the allocations they map), keep
 * a copy and let the context's queue apply it (exec.c). What fails only then breaks the context.
 */
static int queue_gpu_va_update(struct dxg_vm *vm, struct dxg_process *p, struct dxg_device *d,
			       struct dxg_context *c, struct dxg_sync_object *fence,
			       const struct dxgw_request *req)
{
	const uint32_t n = req->update_gpu_va.num_operations;
	struct gpu_va_update *u = malloc(sizeof(*u) + (size_t)n * sizeof(u->ops[0]));
	int ret;

	if (!u)
		return -ENOMEM;
	u->process = p;
	u->device = d;
	u->count = n;
	for (uint32_t i = 0; i < n; i++) {
		struct dxg_allocation *a;

		dxgw_get_gpu_va_op(req, i, &u->ops[i]);
		if (u->ops[i].operation != D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP &&
		    u->ops[i].operation != D3DDDI_UPDATEGPUVIRTUALADDRESS_MAP_PROTECT)
			continue;
		a = memory_find_allocation(vm, p, u->ops[i].allocation);
		if (!a || a->device->adapter != d->adapter) {
			free(u);
			return -EINVAL;
		}
	}
	ret = exec_queue_gpu_va_update(vm, c, fence, req->update_gpu_va.fence_value, u);
	if (ret)
		free(u);
	return ret;
}

static int update_gpu_va(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req)
{
	struct dxg_device *d = find_device(vm, p, req->update_gpu_va.device);
	struct dxg_context *c = handle_table_lookup(&vm->handles, req->update_gpu_va.context,
						    DXG_HTYPE_CONTEXT, p->handle);
	struct dxg_sync_object *fence = NULL;

	if (!d || !c || c->device != d)
		return -EINVAL;
	if (req->update_gpu_va.fence_object) {
		fence = sync_find(vm, p, req->update_gpu_va.fence_object);
		if (!fence || !sync_is_fence(fence) || fence->device != d)
			return -EINVAL;
		/* Waiting on a fence opened from a share needs the WAIT right, as queue waits do. */
		if (!sync_can_wait(fence))
			return -EACCES;
	}
	/*
	 * WDDM orders the update on the context: work queued before it still sees the old
	 * mappings (GPU VAs translate when a job starts), work after it the new ones.
	 */
	if (exec_gpu_va_update_must_queue(c, fence, req->update_gpu_va.fence_value))
		return queue_gpu_va_update(vm, p, d, c, fence, req);
	return apply_gpu_va_ops(vm, p, d, req, NULL, req->update_gpu_va.num_operations);
}

/* ---- INVALIDATE_CACHE ---- */

/*
 * An empty range is -EINVAL: WSL forwards whatever it gets to its host, whose D3DKMTInvalidateCache
 * wants a range of the allocation, and nothing useful is asked by an empty one.
 */
static int invalidate_cache(struct dxg_vm *vm, struct dxg_process *p,
			    const struct dxgw_request *req)
{
	struct dxg_device *d = find_device(vm, p, req->invalidate_cache.device);
	struct dxg_allocation *a = d ? find_alloc_of(vm, p, d, req->invalidate_cache.allocation)
				     : NULL;
	const uint64_t offset = req->invalidate_cache.offset, length = req->invalidate_cache.length;

	if (!a)
		return -EINVAL;
	a = memory_of(a);
	if (length == 0 || offset > a->size || length > a->size - offset)
		return -EINVAL;
	/*
	 * Finished jobs wrote the memory from other threads (or a device mapping); the reply that
	 * follows this fence publishes their writes to the guest's CPU mappings of the region.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	return 0;
}

/* ---- dispatch ---- */

int memory_handle_request(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
			  unsigned char *reply, uint32_t reply_cap, uint32_t *reply_len)
{
	struct reply_buf r = { .data = reply, .cap = reply_cap };
	struct dxg_paging_queue *q;
	int ret;

	/* A caller that forgot memory_after_reply(): the work still happens, in order. */
	if (memory_has_deferred(vm))
		memory_after_reply(vm);
	switch (req->opcode) {
	case DXGW_OP_CREATE_ALLOCATION:
		ret = create_allocation(vm, p, req, &r);
		break;
	case DXGW_OP_DESTROY_ALLOCATION:
		ret = destroy_allocations(vm, p, req);
		break;
	case DXGW_OP_LOCK:
	case DXGW_OP_UNLOCK:
		ret = lock_allocation(vm, p, req, &r);
		break;
	case DXGW_OP_QUERY_VIDEO_MEMORY:
	case DXGW_OP_CHANGE_RESERVATION:
		ret = video_memory(vm, p, req, &r);
		break;
	case DXGW_OP_QUERY_RESIDENCY:
	case DXGW_OP_SET_PRIORITY:
	case DXGW_OP_GET_PRIORITY:
		ret = alloc_list_op(vm, p, req, &r);
		break;
	case DXGW_OP_OFFER:
		ret = offer(vm, p, req);
		break;
	case DXGW_OP_RECLAIM:
		ret = reclaim(vm, p, req, &r);
		break;
	case DXGW_OP_UPDATE_ALLOC_PROPERTY:
		ret = update_alloc_property(vm, p, req, &r);
		break;
	case DXGW_OP_CREATE_PAGING_QUEUE:
		ret = create_paging_queue(vm, p, req, &r);
		break;
	case DXGW_OP_DESTROY_PAGING_QUEUE:
		q = find_queue(vm, p, req->destroy.handle);
		ret = q ? 0 : -EINVAL;
		if (q)
			destroy_paging_queue(vm, q);
		break;
	case DXGW_OP_MAKE_RESIDENT:
		ret = make_resident(vm, p, req, &r);
		break;
	case DXGW_OP_EVICT:
		ret = evict(vm, p, req, &r);
		break;
	case DXGW_OP_RESERVE_GPU_VA:
		ret = reserve_gpu_va(vm, p, req, &r);
		break;
	case DXGW_OP_MAP_GPU_VA:
		ret = map_gpu_va(vm, p, req, &r);
		break;
	case DXGW_OP_FREE_GPU_VA:
		ret = free_gpu_va(vm, p, req);
		break;
	case DXGW_OP_UPDATE_GPU_VA:
		ret = update_gpu_va(vm, p, req);
		break;
	case DXGW_OP_INVALIDATE_CACHE:
		ret = invalidate_cache(vm, p, req);
		break;
	default:
		ret = -ENOSYS;
		break;
	}
	*reply_len = ret < 0 ? 0 : r.len;
	return ret;
}

/* ---- statistics and invariants ---- */

void memory_adapter_stats(const struct dxg_vm *vm, uint32_t index, struct memory_stats *out)
{
	const struct vm_memory *m = vmem(vm);

	*out = m->adapters[index].stats;
	out->gpu_va_ranges = 0;
	for (const struct obj_list *it = vm->processes.next; it != &vm->processes; it = it->next) {
		const struct dxg_process *p = obj_container_of(it, const struct dxg_process, link);

		if (p->mem && p->mem->gpuva[index])
			out->gpu_va_ranges += gpuva_reservation_count(p->mem->gpuva[index]);
	}
	out->quota_bytes = m->quota.quota_bytes;
}

uint64_t memory_heap_largest_free(const struct dxg_vm *vm)
{
	return vm->mem->has_heap ? heap_largest_free(&vm->mem->heap) : 0;
}

uint64_t memory_heap_size(const struct dxg_vm *vm)
{
	return vm->mem->has_heap ? vm->mem->heap.size : 0;
}

unsigned char *memory_region(const struct dxg_vm *vm)
{
	return vm->mem->region;
}

uint64_t memory_heap_offset(const struct dxg_vm *vm)
{
	return vm->mem->has_heap ? vm->mem->heap.base : 0;
}

int memory_adapter_device(struct dxg_vm *vm, uint32_t index, struct vk_device **out)
{
	return adapter_device(vm, index, out);
}

/* The memory a holder keeps, by kind and state: NULL or what is wrong with it. */
static const char *check_backing(const struct vm_memory *m, const struct dxg_allocation *a)
{
	if (a->shared || a->charged != page_round(a->size) || a->size == 0)
		return "allocation size or holder";
	switch (a->kind) {
	case OPENDXG_ALLOC_KIND_HOST_VISIBLE:
		if (a->buffer || a->host_copy || a->code || a->discarded ||
		    a->heap_offset < m->heap.base ||
		    a->heap_offset + a->charged > m->heap.base + m->heap.size ||
		    a->heap_offset % MEM_PAGE)
			return "host-visible backing";
		break;
	case OPENDXG_ALLOC_KIND_DEVICE_LOCAL:
		if (a->code || (a->buffer && a->host_copy) ||
		    (a->discarded && (a->buffer || a->host_copy)) ||
		    (!a->discarded && !a->buffer && !a->host_copy) ||
		    (a->host_copy && a->residency) || (a->buffer && !a->residency))
			return "device-local backing and residency";
		if (a->discarded && !a->offered)
			return "discarded but not offered";
		break;
	case OPENDXG_ALLOC_KIND_PROGRAM:
		if (!a->code || a->buffer || a->host_copy)
			return "program backing";
		break;
	default:
		return "allocation kind";
	}
	if (a->offered != (a->kind == OPENDXG_ALLOC_KIND_DEVICE_LOCAL ?
			   !obj_list_empty(&a->offered_link) : a->offered))
		return "offered list membership";
	return NULL;
}

/*
 * Accumulates one allocation handle of resource `r` (NULL: standalone) into the recomputed
 * books; NULL or what is wrong with it. An opened handle charges nothing: its holder is counted
 * with its creator's resource, or with its share once the creator's handle is gone.
 */
static const char *check_allocation(const struct dxg_vm *vm, const struct dxg_process *p,
				    const struct dxg_device *d, const struct dxg_resource *r,
				    const struct dxg_allocation *a, struct memory_stats *st,
				    uint64_t usage[][MEM_GROUPS])
{
	const struct vm_memory *m = vmem(vm);
	enum mem_category cat;
	uint64_t cost;
	const char *why;

	if (handle_table_lookup(&vm->handles, a->handle, DXG_HTYPE_ALLOCATION, p->handle) != a)
		return "allocation handle does not find it";
	if (a->device != d || a->adapter != d->adapter->index || a->resource != r)
		return "allocation device, adapter or resource";
	if (r && r->share && r->share->creator != r) {
		if (!a->shared || a->shared->share != r->share || a->kind != a->shared->kind ||
		    a->size != a->shared->size || a->charged != a->shared->charged ||
		    a->heap_offset || a->buffer || a->host_copy || a->offered ||
		    !obj_list_empty(&a->offered_link) ||
		    (a->code && a->code != a->shared->code))
			return "opened allocation";
		st->allocations++;
		return NULL;
	}
	if (a->shared || a->share != (r ? r->share : NULL) || a->read_only)
		return "allocation share membership";
	why = check_backing(m, a);
	if (why)
		return why;
	cost = alloc_cost(a, &cat);
	st->allocations++;
	st->bytes[cat] += cost;
	usage[d->adapter->index][alloc_group(a)] += cost;
	return NULL;
}

/*
 * The shares: their runtime data, and the holders whose creator's handle is gone (charged to
 * the adapter's shared usage, recomputed into `shared`).
 */
static const char *check_shares(const struct vm_memory *m, struct memory_stats *st,
				 uint64_t shared[][MEM_GROUPS], uint64_t *heap_used,
				 uint64_t *runtime)
{
	for (const struct obj_list *it = m->shares.next; it != &m->shares; it = it->next) {
		const struct mem_share *s = obj_container_of(it, const struct mem_share, link);

		if (s->holds == 0 && s->resources == 0)
			return "share without holds or resources left";
		if (s->adapter >= DXGW_MAX_ADAPTERS || s->allocation_count == 0 ||
		    (s->creator && (s->creator->share != s || s->resources == 0)))
			return "share adapter, count or creator";
		*runtime += s->runtime_data_size;
		for (uint32_t i = 0; i < s->allocation_count; i++) {
			const struct dxg_allocation *a = s->memory[i];
			enum mem_category cat;
			uint64_t cost;
			const char *why;

			if (a->share != s || a->adapter != s->adapter)
				return "share holder";
			/* Held by its creator's resource: counted with it. */
			if (s->creator) {
				if (!a->device || a->resource != s->creator)
					return "share holder of a live creator";
				continue;
			}
			if (a->device || a->handle || a->resource || a->program)
				return "share holder without creator";
			why = check_backing(m, a);
			if (why)
				return why;
			cost = alloc_cost(a, &cat);
			st[s->adapter].bytes[cat] += cost;
			shared[s->adapter][alloc_group(a)] += cost;
			if (a->kind == OPENDXG_ALLOC_KIND_HOST_VISIBLE)
				*heap_used += a->charged;
		}
	}
	return NULL;
}

const char *memory_check(const struct dxg_vm *vm)
{
	const struct vm_memory *m = vmem(vm);
	struct memory_stats *st = calloc(DXGW_MAX_ADAPTERS, sizeof(*st));
	uint64_t (*usage)[MEM_GROUPS] = calloc(DXGW_MAX_ADAPTERS, sizeof(*usage));
	uint64_t (*shared)[MEM_GROUPS] = calloc(DXGW_MAX_ADAPTERS, sizeof(*shared));
	uint32_t total = 0, fence_slots = 0;
	uint64_t heap_used = 0, runtime = 0;
	const char *why = NULL;

	if (!st || !usage || !shared) {
		why = NULL;	/* no memory to check with: not a finding */
		goto out;
	}
	why = check_shares(m, st, shared, &heap_used, &runtime);
	for (const struct obj_list *pl = vm->processes.next; !why && pl != &vm->processes;
	     pl = pl->next) {
		const struct dxg_process *p = obj_container_of(pl, const struct dxg_process, link);

		memset(usage, 0, DXGW_MAX_ADAPTERS * sizeof(*usage));
		for (const struct obj_list *dl = p->devices.next; !why && dl != &p->devices;
		     dl = dl->next) {
			const struct dxg_device *d = obj_container_of(dl, const struct dxg_device,
								      link);
			struct memory_stats *ast = &st[d->adapter->index];

			for (const struct obj_list *it = d->allocations.next;
			     !why && it != &d->allocations; it = it->next) {
				const struct dxg_allocation *a =
					obj_container_of(it, const struct dxg_allocation, link);

				why = check_allocation(vm, p, d, NULL, a, ast, usage);
				if (a->kind == OPENDXG_ALLOC_KIND_HOST_VISIBLE)
					heap_used += a->charged;
			}
			for (const struct obj_list *it = d->resources.next;
			     !why && it != &d->resources; it = it->next) {
				const struct dxg_resource *r =
					obj_container_of(it, const struct dxg_resource, link);
				uint32_t count = 0;

				if (handle_table_lookup(&vm->handles, r->handle, DXG_HTYPE_RESOURCE,
							p->handle) != r || r->device != d)
					why = "resource handle or device";
				else if (r->share && (r->share->adapter != d->adapter->index ||
						      !r->shareable ||
						      r->share->allocation_count !=
							      r->allocation_count))
					why = "shared resource";
				ast->resources++;
				runtime += r->runtime_data_size;
				for (const struct obj_list *al = r->allocations.next;
				     !why && al != &r->allocations; al = al->next) {
					const struct dxg_allocation *a = obj_container_of(
						al, const struct dxg_allocation, link);

					count++;
					why = check_allocation(vm, p, d, r, a, ast, usage);
					if (a->kind == OPENDXG_ALLOC_KIND_HOST_VISIBLE && !a->shared)
						heap_used += a->charged;
				}
				if (!why && (count != r->allocation_count || count == 0))
					why = "resource allocation count";
			}
			for (const struct obj_list *it = d->paging_queues.next;
			     !why && it != &d->paging_queues; it = it->next) {
				const struct dxg_paging_queue *q =
					obj_container_of(it, const struct dxg_paging_queue, link);

				if (handle_table_lookup(&vm->handles, q->handle,
							DXG_HTYPE_PAGINGQUEUE, p->handle) != q ||
				    handle_table_lookup(&vm->handles, q->fence->handle,
							DXG_HTYPE_SYNCOBJECT,
							p->handle) != q->fence ||
				    q->device != d || q->fence->device != d ||
				    q->fence->owner != SYNC_OWNER_PAGING_QUEUE)
					why = "paging queue handles";
				else if (q->fence->value > q->issued ||
					 m->fence_pages[(q->fence->slot - m->fence_offset) /
							MEM_PAGE].owner != p->handle)
					why = "paging fence value or page owner";
				ast->paging_queues++;
			}
		}
		for (uint32_t i = 0; !why && i < vm->adapter_count; i++) {
			uint64_t claim;

			if (!p->mem) {
				if (usage[i][0] || usage[i][1])
					why = "usage without process memory";
				continue;
			}
			if (p->mem->usage[i][0] != usage[i][0] || p->mem->usage[i][1] != usage[i][1])
				why = "process usage differs from its allocations";
			claim = max_u64(usage[i][0] + usage[i][1],
					p->mem->reservation[i][0] + p->mem->reservation[i][1]);
			st[i].claimed += claim;
			if (p->mem->gpuva[i] && !gpuva_check(p->mem->gpuva[i]))
				why = "GPU VA space invariants";
			if (p->mem->gpuva[i] && !p->adapter_refs[i])
				why = "GPU VA space without an open adapter";
		}
	}
	for (uint32_t i = 0; !why && i < DXGW_MAX_ADAPTERS; i++) {
		const struct memory_stats *have = &m->adapters[i].stats;

		total += st[i].allocations;
		st[i].claimed += shared[i][0] + shared[i][1];
		if (m->adapters[i].shared_usage[0] != shared[i][0] ||
		    m->adapters[i].shared_usage[1] != shared[i][1])
			why = "shared usage differs from the shares' memory";
		if (!why && (have->allocations != st[i].allocations ||
			     have->resources != st[i].resources ||
		    have->paging_queues != st[i].paging_queues))
			why = "adapter object counters";
		for (int c = 0; !why && c < MEM_CATEGORIES; c++) {
			if (have->bytes[c] != st[i].bytes[c])
				why = "charged bytes differ from the live allocations";
		}
		if (!why && have->claimed != st[i].claimed)
			why = "claims differ from the processes'";
		if (!why && m->quota.quota_bytes != MEM_QUOTA_UNLIMITED &&
		    have->claimed > m->quota.quota_bytes)
			why = "claims exceed the quota";
	}
	if (!why && total != m->allocations)
		why = "VM allocation count";
	if (!why && total > m->quota.max_allocations)
		why = "allocations above max_allocations";
	if (!why && runtime != m->runtime_bytes)
		why = "runtime data bytes";
	if (!why && m->has_heap) {
		if (!heap_check(&m->heap))
			why = "heap invariants";
		else if (m->heap.free_bytes + heap_used != m->heap.size)
			why = "heap free bytes plus live host-visible pages differ from its size";
	}
	for (uint32_t i = 0; !why && i < m->fence_page_count; i++) {
		const struct fence_page *fp = &m->fence_pages[i];
		uint32_t bits = 0;

		for (uint32_t w = 0; w < MEM_FENCES_PER_PAGE / 64u; w++)
			bits += (uint32_t)__builtin_popcountll(fp->slots[w]);
		if (bits != fp->used || (fp->owner == 0) != (fp->used == 0))
			why = "fence page bookkeeping";
		fence_slots += fp->used;
	}
	/* Every slot in use belongs to a live fence (paging queue, hardware queue or guest's). */
	if (!why && fence_slots != sync_slot_count(vm))
		why = "fence slots differ from the live fences";
	if (!why && m->deferred)
		why = "deferred work left behind";
out:
	free(st);
	free(usage);
	free(shared);
	return why;
}

/* ---- sharing (memory.h) ---- */

int memory_share_resource(struct dxg_vm *vm, struct dxg_process *p, uint32_t handle,
			  struct mem_share **out)
{
	struct vm_memory *m = vmem(vm);
	struct dxg_resource *r = handle_table_lookup(&vm->handles, handle, DXG_HTYPE_RESOURCE,
						     p->handle);
	struct mem_share *s;
	uint32_t i = 0;

	*out = NULL;
	if (!r || !r->shareable)
		return -EINVAL;
	/*
	 * A handle opened without WRITE may not share: whoever opened that share could ask for
	 * WRITE (sync objects: only a handle with every right shares, sync.c).
	 */
	for (struct obj_list *it = r->allocations.next; it != &r->allocations; it = it->next) {
		if (obj_container_of(it, struct dxg_allocation, link)->read_only)
			return -EACCES;
	}
	if (r->share) {
		if (r->share->holds == UINT32_MAX)
			return -ENOMEM;
		r->share->holds++;
		*out = r->share;
		return 0;
	}
	if (r->runtime_data_size > MEM_MAX_RUNTIME_DATA - m->runtime_bytes)
		return -ENOMEM;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->memory = calloc(r->allocation_count, sizeof(*s->memory));
	if (r->runtime_data_size)
		s->runtime_data = malloc(r->runtime_data_size);
	if (!s->memory || (r->runtime_data_size && !s->runtime_data)) {
		free(s->memory);
		free(s->runtime_data);
		free(s);
		return -ENOMEM;
	}
	if (r->runtime_data_size)
		memcpy(s->runtime_data, r->runtime_data, r->runtime_data_size);
	s->runtime_data_size = r->runtime_data_size;
	m->runtime_bytes += s->runtime_data_size;
	for (struct obj_list *it = r->allocations.next; it != &r->allocations; it = it->next) {
		struct dxg_allocation *a = obj_container_of(it, struct dxg_allocation, link);

		a->share = s;
		s->memory[i++] = a;
	}
	s->allocation_count = i;
	s->adapter = r->device->adapter->index;
	s->creator = r;
	s->resources = 1;
	s->holds = 1;
	r->share = s;
	obj_list_add_tail(&m->shares, &s->link);
	*out = s;
	return 0;
}

void memory_share_put(struct dxg_vm *vm, struct mem_share *s)
{
	if (!s || s->holds == 0)
		return;
	s->holds--;
	share_release_if_unused(vm, s);
}

/* A device of `p` on the share's adapter, or NULL. */
static struct dxg_device *share_device(struct dxg_vm *vm, struct dxg_process *p, uint32_t handle,
				       const struct mem_share *s)
{
	struct dxg_device *d = find_device(vm, p, handle);

	return d && d->adapter->index == s->adapter ? d : NULL;
}

int memory_share_query(struct dxg_vm *vm, struct dxg_process *p, uint32_t device,
		       struct mem_share *s, unsigned char *reply, uint32_t reply_cap,
		       uint32_t *reply_len)
{
	struct reply_buf r = { .data = reply, .cap = reply_cap };
	unsigned char *body;

	*reply_len = 0;
	if (!s || !share_device(vm, p, device, s))
		return -EINVAL;
	body = reply_take(&r, sizeof(struct dxgw_query_shared_resource_reply));
	if (!body)
		return -ENOMEM;
	PUT32(body, struct dxgw_query_shared_resource_reply, allocation_count, s->allocation_count);
	PUT32(body, struct dxgw_query_shared_resource_reply, runtime_data_size,
	      s->runtime_data_size);
	*reply_len = r.len;
	return 0;
}

static void free_unlinked_opened(struct dxg_vm *vm, struct dxg_resource *r,
				 struct dxg_allocation **made, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (made[i]->handle)
			handle_table_free(&vm->handles, made[i]->handle);
		free(made[i]);
	}
	if (r) {
		if (r->handle)
			handle_table_free(&vm->handles, r->handle);
		free(r);
	}
	free(made);
}

int memory_share_open(struct dxg_vm *vm, struct dxg_process *p, const struct dxgw_request *req,
		      struct mem_share *s, unsigned char *reply, uint32_t reply_cap,
		      uint32_t *reply_len)
{
	struct vm_memory *m = vmem(vm);
	struct reply_buf rb = { .data = reply, .cap = reply_cap };
	const uint32_t access = req->open_shared_resource.access;
	struct dxg_device *d;
	struct dxg_resource *r = NULL;
	struct dxg_allocation **made = NULL;
	unsigned char *head, *list, *data;
	uint32_t n, made_count = 0;

	*reply_len = 0;
	if (!s)
		return -EINVAL;
	d = share_device(vm, p, req->open_shared_resource.device, s);
	n = s->allocation_count;
	if (!d || req->open_shared_resource.allocation_count != n ||
	    (access & ~DXGW_ACCESS_RESOURCE_ALL))
		return -EINVAL;
	if (!(access & DXGW_ACCESS_READ))
		return -EACCES;
	if (n > m->quota.max_allocations - min_u64(m->allocations, m->quota.max_allocations) ||
	    s->resources == UINT32_MAX || !process_mem(p))
		return -ENOMEM;
	head = reply_take(&rb, sizeof(struct dxgw_open_shared_resource_reply));
	list = reply_take(&rb, n * (uint32_t)sizeof(struct dxgw_shared_allocation));
	data = reply_take(&rb, dxgw_pad8(s->runtime_data_size));
	made = calloc(n, sizeof(*made));
	r = calloc(1, sizeof(*r));
	if (!head || !list || !data || !made || !r)
		goto nomem;
	obj_list_init(&r->allocations);
	obj_list_init(&r->link);
	r->device = d;
	r->shareable = true;
	r->share = s;
	if (handle_table_alloc(&vm->handles, DXG_HTYPE_RESOURCE, p->handle, r, &r->handle))
		goto nomem;
	for (uint32_t i = 0; i < n; i++) {
		const struct dxg_allocation *h = s->memory[i];
		struct dxg_allocation *a = calloc(1, sizeof(*a));

		if (!a)
			goto nomem;
		made[made_count++] = a;
		obj_list_init(&a->link);
		obj_list_init(&a->offered_link);
		a->kind = h->kind;
		a->adapter = s->adapter;
		a->device = d;
		a->size = h->size;
		a->charged = h->charged;
		a->shared = s->memory[i];
		a->read_only = !(access & DXGW_ACCESS_WRITE);
		/* Borrowed: the holder outlives this handle. The module is the handle's own. */
		a->code = h->code;
		if (handle_table_alloc(&vm->handles, DXG_HTYPE_ALLOCATION, p->handle, a,
				       &a->handle))
			goto nomem;
	}
	/* Commit: nothing below can fail. */
	obj_list_add_tail(&d->resources, &r->link);
	m->adapters[s->adapter].stats.resources++;
	s->resources++;
	for (uint32_t i = 0; i < n; i++) {
		struct dxg_allocation *a = made[i];
		unsigned char *e = list + (size_t)i * sizeof(struct dxgw_shared_allocation);

		a->resource = r;
		obj_list_add_tail(&r->allocations, &a->link);
		r->allocation_count++;
		m->allocations++;
		m->adapters[s->adapter].stats.allocations++;
		PUT32(e, struct dxgw_shared_allocation, allocation, a->handle);
		PUT32(e, struct dxgw_shared_allocation, kind, a->kind);
		PUT64(e, struct dxgw_shared_allocation, size, a->size);
	}
	free(made);
	if (s->runtime_data_size)
		memcpy(data, s->runtime_data, s->runtime_data_size);
	PUT32(head, struct dxgw_open_shared_resource_reply, resource, r->handle);
	PUT32(head, struct dxgw_open_shared_resource_reply, allocation_count, n);
	PUT32(head, struct dxgw_open_shared_resource_reply, runtime_data_size,
	      s->runtime_data_size);
	*reply_len = rb.len;
	return 0;

nomem:
	free_unlinked_opened(vm, r, made, made_count);
	return -ENOMEM;
}
