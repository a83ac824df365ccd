// SPDX-License-Identifier: MIT
/*
 * dxgcompat-memory: allocations, residency and GPU virtual addresses of the WSL ABI (0x06
 * CREATEALLOCATION, 0x07 CREATEPAGINGQUEUE, 0x08 RESERVEGPUVIRTUALADDRESS, 0x0a
 * QUERYVIDEOMEMORYINFO, 0x0b MAKERESIDENT, 0x0c MAPGPUVIRTUALADDRESS, 0x13 DESTROYALLOCATION2,
 * 0x16 CHANGEVIDEOMEMORYRESERVATION, 0x1c DESTROYPAGINGQUEUE, 0x1e EVICT, 0x20
 * FREEGPUVIRTUALADDRESS, 0x25 LOCK2, 0x27 OFFERALLOCATIONS, 0x2a QUERYALLOCATIONRESIDENCY, 0x2c
 * RECLAIMALLOCATIONS2, 0x2e/0x3c SET/GETALLOCATIONPRIORITY, 0x37 UNLOCK2, 0x38
 * UPDATEALLOCPROPERTY, 0x39 UPDATEGPUVIRTUALADDRESS), against the WSL driver's semantics with raw
 * ioctls. Allocations carry opendxg's KMD private data (docs/kmd-format.md), as a UMD's would.
 *
 * WSL rules asserted (reference section 8): allocation counts 1..1024; existing_section and
 * create_protected rejected; create_shared needs create_resource and nt_security_sharing; a
 * destroy names exactly one of a resource and an allocation list; process must be 0 for
 * QUERYVIDEOMEMORYINFO and CHANGEVIDEOMEMORYRESERVATION; residency lists 1..10240; GPU VA
 * operations 1..2048; offer/reclaim name exactly one of resources and allocations. STATUS_PENDING
 * (0x103) from MAKERESIDENT/RECLAIM is a success: wait for the paging fence to reach the value.
 */
#include "guestsys.h"

#include <misc/opendxg.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_ADAPTERS 16
#define GARBAGE_HANDLE 0x7ffffc03u
#define ALLOC_SIZE (64u * 1024u)
#define PRIORITY_NORMAL 0x78000000u	/* D3DDDI_ALLOCATIONPRIORITY_NORMAL */
#define PRIORITY_HIGH 0xa0000000u	/* D3DDDI_ALLOCATIONPRIORITY_HIGH */

static int dxg_fd = -1;

static int dxg(unsigned long request, void *arg)
{
	int ret = ioctl(dxg_fd, request, arg);

	return ret < 0 ? -errno : ret;
}

struct paging_queue {
	struct d3dkmthandle handle;
	struct d3dkmthandle fence;
	const volatile uint64_t *fence_cpu;
};

/* One allocation's description and its KMD private data, kept together. */
struct alloc_request {
	struct d3dddi_allocationinfo2 info;
	struct opendxg_alloc_priv priv;
};

static void alloc_request_init(struct alloc_request *req, uint32_t kind, uint64_t size)
{
	memset(req, 0, sizeof(*req));
	req->priv.version = OPENDXG_ALLOC_PRIV_VERSION;
	req->priv.kind = kind;
	req->priv.header_size = sizeof(req->priv);
	req->priv.size = size;
	req->info.priv_drv_data = (uintptr_t)&req->priv;
	req->info.priv_drv_data_size = sizeof(req->priv);
}

/* CREATEALLOCATION of @count requests (their infos copied into one array and back). */
static int create_allocations(struct d3dkmthandle device, uint32_t flags,
			      struct alloc_request *reqs, uint32_t count,
			      struct d3dkmthandle *resource)
{
	struct d3dddi_allocationinfo2 *infos = calloc(count ? count : 1, sizeof(*infos));
	struct d3dkmt_createallocation args;
	int ret;

	if (!infos)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++)
		infos[i] = reqs[i].info;
	memset(&args, 0, sizeof(args));
	args.device = device;
	args.alloc_count = count;
	args.allocation_info = (uintptr_t)infos;
	args.flags = flags;
	ret = dxg(LX_DXCREATEALLOCATION, &args);
	for (uint32_t i = 0; i < count; i++)
		reqs[i].info.allocation = infos[i].allocation;
	if (resource)
		*resource = args.resource;
	free(infos);
	return ret;
}

static int create_one(struct d3dkmthandle device, uint32_t kind, uint64_t size,
		      struct d3dkmthandle *allocation)
{
	struct alloc_request req;
	int ret;

	alloc_request_init(&req, kind, size);
	ret = create_allocations(device, 0, &req, 1, NULL);
	*allocation = req.info.allocation;
	return ret;
}

static int destroy_allocations(struct d3dkmthandle device, struct d3dkmthandle resource,
			       const struct d3dkmthandle *list, uint32_t count)
{
	struct d3dkmt_destroyallocation2 args;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.resource = resource;
	args.allocations = (uintptr_t)list;
	args.alloc_count = count;
	return dxg(LX_DXDESTROYALLOCATION2, &args);
}

static int lock2(struct d3dkmthandle device, struct d3dkmthandle allocation, void **data)
{
	struct d3dkmt_lock2 args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.allocation = allocation;
	ret = dxg(LX_DXLOCK2, &args);
	*data = (void *)(uintptr_t)args.data;
	return ret;
}

static int unlock2(struct d3dkmthandle device, struct d3dkmthandle allocation)
{
	struct d3dkmt_unlock2 args = { .device = device, .allocation = allocation };

	return dxg(LX_DXUNLOCK2, &args);
}

/* Blocks until the paging fence reaches @value (WAITFORSYNCHRONIZATIONOBJECTFROMCPU, no event). */
static int wait_paging(struct d3dkmthandle device, const struct paging_queue *queue,
		       uint64_t value)
{
	struct d3dkmt_waitforsynchronizationobjectfromcpu args;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.object_count = 1;
	args.objects = (uintptr_t)&queue->fence;
	args.fence_values = (uintptr_t)&value;
	return dxg(LX_DXWAITFORSYNCHRONIZATIONOBJECTFROMCPU, &args);
}

static int create_paging_queue(struct d3dkmthandle device, struct paging_queue *queue)
{
	struct d3dkmt_createpagingqueue args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.priority = D3DDDI_PAGINGQUEUE_PRIORITY_NORMAL;
	ret = dxg(LX_DXCREATEPAGINGQUEUE, &args);
	queue->handle = args.paging_queue;
	queue->fence = args.sync_object;
	queue->fence_cpu = (const volatile uint64_t *)(uintptr_t)args.fence_cpu_virtual_address;
	return ret;
}

static void test_create_rules(struct d3dkmthandle device)
{
	struct alloc_request *many = calloc(D3DKMT_CREATEALLOCATION_MAX + 1, sizeof(*many));
	struct alloc_request req;
	struct d3dkmthandle resource = { 0 };

	if (!tap_ok(many != NULL, "allocate 1025 requests"))
		return;
	for (uint32_t i = 0; i <= D3DKMT_CREATEALLOCATION_MAX; i++)
		alloc_request_init(&many[i], OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
	tap_errno(create_allocations(device, 0, many, 0, NULL), EINVAL,
		  "CREATEALLOCATION of 0 allocations -> EINVAL");
	tap_errno(create_allocations(device, 0, many, D3DKMT_CREATEALLOCATION_MAX + 1, NULL),
		  EINVAL, "CREATEALLOCATION of 1025 allocations -> EINVAL");
	free(many);

	alloc_request_init(&req, OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
	tap_errno(create_allocations(device, D3DKMT_CREATEALLOCATION_FLAG_EXISTING_SECTION, &req,
				     1, NULL),
		  EINVAL, "CREATEALLOCATION with existing_section -> EINVAL");
	tap_errno(create_allocations(device, D3DKMT_CREATEALLOCATION_FLAG_CREATE_PROTECTED, &req,
				     1, NULL),
		  EINVAL, "CREATEALLOCATION with create_protected -> EINVAL");
	tap_errno(create_allocations(device, D3DKMT_CREATEALLOCATION_FLAG_CREATE_SHARED, &req, 1,
				     NULL),
		  EINVAL, "CREATEALLOCATION create_shared alone -> EINVAL");
	tap_errno(create_allocations(device,
				     D3DKMT_CREATEALLOCATION_FLAG_CREATE_SHARED |
				     D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE, &req, 1, NULL),
		  EINVAL, "CREATEALLOCATION create_shared + create_resource without "
		  "nt_security_sharing -> EINVAL");
	tap_errno(create_allocations(device,
				     D3DKMT_CREATEALLOCATION_FLAG_CREATE_SHARED |
				     D3DKMT_CREATEALLOCATION_FLAG_NT_SECURITY_SHARING, &req, 1,
				     NULL),
		  EINVAL, "CREATEALLOCATION create_shared + nt_security_sharing without "
		  "create_resource -> EINVAL");
	tap_errno(create_allocations((struct d3dkmthandle){ GARBAGE_HANDLE }, 0, &req, 1, NULL),
		  EINVAL, "CREATEALLOCATION on a garbage device -> EINVAL");

	/* A resource with two allocations, destroyed through the resource. */
	{
		struct alloc_request pair[2];

		alloc_request_init(&pair[0], OPENDXG_ALLOC_KIND_HOST_VISIBLE, 4096);
		alloc_request_init(&pair[1], OPENDXG_ALLOC_KIND_DEVICE_LOCAL, 8192);
		if (tap_ret0(create_allocations(device,
						D3DKMT_CREATEALLOCATION_FLAG_CREATE_RESOURCE,
						pair, 2, &resource),
			     "CREATEALLOCATION of a resource with two allocations")) {
			tap_ok(resource.v != 0 && pair[0].info.allocation.v != 0 &&
			       pair[1].info.allocation.v != 0 &&
			       pair[0].info.allocation.v != pair[1].info.allocation.v,
			       "the resource and its two allocations have handles");
			tap_errno(destroy_allocations(device, resource,
						      &pair[0].info.allocation, 1),
				  EINVAL, "DESTROYALLOCATION2 naming both a resource and a list "
				  "-> EINVAL");
			tap_ret0(destroy_allocations(device, resource, NULL, 0),
				 "DESTROYALLOCATION2 of the resource");
			tap_errno(destroy_allocations(device, (struct d3dkmthandle){ 0 },
						      &pair[0].info.allocation, 1),
				  EINVAL, "the resource's allocations went with it -> EINVAL");
		}
	}
	tap_errno(destroy_allocations(device, (struct d3dkmthandle){ 0 }, NULL, 0), EINVAL,
		  "DESTROYALLOCATION2 naming neither a resource nor a list -> EINVAL");
	{
		struct d3dkmthandle *list = calloc(D3DKMT_CREATEALLOCATION_MAX + 1, sizeof(*list));

		if (list) {
			tap_errno(destroy_allocations(device, (struct d3dkmthandle){ 0 }, list,
						      D3DKMT_CREATEALLOCATION_MAX + 1),
				  EINVAL, "DESTROYALLOCATION2 of 1025 allocations -> EINVAL");
			free(list);
		}
	}
}

static void test_lock(struct d3dkmthandle device)
{
	struct d3dkmthandle allocation = { 0 }, local = { 0 };
	unsigned char *data = NULL;
	void *mapped = NULL;
	bool zero = true, same = true;

	if (!tap_ret0(create_one(device, OPENDXG_ALLOC_KIND_HOST_VISIBLE, ALLOC_SIZE, &allocation),
		      "CREATEALLOCATION host-visible 64 KiB"))
		return;
	if (tap_ret0(lock2(device, allocation, &mapped), "LOCK2") &&
	    tap_ok(mapped != NULL, "LOCK2 returns a CPU address")) {
		data = mapped;
		for (uint32_t i = 0; i < ALLOC_SIZE; i++)
			if (data[i] != 0)
				zero = false;
		tap_ok(zero, "a new allocation reads as zero");
		for (uint32_t i = 0; i < ALLOC_SIZE; i++)
			data[i] = (unsigned char)(i * 31 + 7);
		tap_ret0(unlock2(device, allocation), "UNLOCK2 after writing");
		if (tap_ret0(lock2(device, allocation, &mapped), "LOCK2 again")) {
			data = mapped;
			for (uint32_t i = 0; i < ALLOC_SIZE; i++)
				if (data[i] != (unsigned char)(i * 31 + 7))
					same = false;
			tap_ok(same, "what was written before UNLOCK2 reads back after LOCK2");
			tap_ret0(unlock2(device, allocation), "UNLOCK2");
		}
	}
	tap_errno(lock2(device, (struct d3dkmthandle){ GARBAGE_HANDLE }, &mapped), EINVAL,
		  "LOCK2 of a garbage allocation -> EINVAL");
	/* Device-local memory has no CPU view (docs/kmd-format.md). */
	if (tap_ret0(create_one(device, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, ALLOC_SIZE, &local),
		     "CREATEALLOCATION device-local 64 KiB")) {
		tap_errno(lock2(device, local, &mapped), EINVAL,
			  "LOCK2 of a device-local allocation -> EINVAL");
		destroy_allocations(device, (struct d3dkmthandle){ 0 }, &local, 1);
	}
	tap_ret0(destroy_allocations(device, (struct d3dkmthandle){ 0 }, &allocation, 1),
		 "DESTROYALLOCATION2 of the allocation list");
	tap_errno(destroy_allocations(device, (struct d3dkmthandle){ 0 }, &allocation, 1), EINVAL,
		  "DESTROYALLOCATION2 twice -> EINVAL");
}

static void test_video_memory(struct d3dkmthandle adapter)
{
	struct d3dkmt_queryvideomemoryinfo query;
	struct d3dkmt_changevideomemoryreservation change;

	memset(&query, 0, sizeof(query));
	query.process = 1;
	query.adapter = adapter;
	tap_errno(dxg(LX_DXQUERYVIDEOMEMORYINFO, &query), EINVAL,
		  "QUERYVIDEOMEMORYINFO with process != 0 -> EINVAL");
	for (uint32_t group = 0; group <= 1; group++) {
		memset(&query, 0, sizeof(query));
		query.adapter = adapter;
		query.memory_segment_group = group;
		if (tap_ret0(dxg(LX_DXQUERYVIDEOMEMORYINFO, &query),
			     "QUERYVIDEOMEMORYINFO segment group %u", group))
			tap_ok(query.budget > 0 && query.current_usage <= query.budget,
			       "segment group %u: budget %llu, usage %llu", group,
			       (unsigned long long)query.budget,
			       (unsigned long long)query.current_usage);
	}
	memset(&change, 0, sizeof(change));
	change.process = 1;
	change.adapter = adapter;
	tap_errno(dxg(LX_DXCHANGEVIDEOMEMORYRESERVATION, &change), EINVAL,
		  "CHANGEVIDEOMEMORYRESERVATION with process != 0 -> EINVAL");
	memset(&change, 0, sizeof(change));
	change.adapter = adapter;
	change.memory_segment_group = D3DKMT_MEMORY_SEGMENT_GROUP_LOCAL;
	change.reservation = 0;
	tap_ret0(dxg(LX_DXCHANGEVIDEOMEMORYRESERVATION, &change),
		 "CHANGEVIDEOMEMORYRESERVATION to 0");
}

static void test_residency(struct d3dkmthandle device, const struct paging_queue *queue)
{
	struct d3dkmthandle local = { 0 };
	struct d3dddi_makeresident resident;
	struct d3dkmt_evict evict;
	struct d3dkmt_queryallocationresidency residency;
	struct d3dkmt_setallocationpriority set_priority;
	struct d3dkmt_getallocationpriority get_priority;
	struct d3dkmt_offerallocations offer;
	struct d3dkmt_reclaimallocations2 reclaim;
	struct d3dddi_updateallocproperty property;
	uint32_t priority = PRIORITY_NORMAL, status = 0, result = 99;
	int ret;

	if (!tap_ret0(create_one(device, OPENDXG_ALLOC_KIND_DEVICE_LOCAL, ALLOC_SIZE, &local),
		      "CREATEALLOCATION device-local for residency"))
		return;

	memset(&resident, 0, sizeof(resident));
	resident.paging_queue = queue->handle;
	resident.alloc_count = 1;
	resident.allocation_list = (uintptr_t)&local;
	resident.priority_list = (uintptr_t)&priority;
	ret = dxg(LX_DXMAKERESIDENT, &resident);
	tap_ok(ret == 0 || ret == DXG_STATUS_PENDING,
	       "MAKERESIDENT returns 0 or STATUS_PENDING (%d)", ret);
	if (ret == DXG_STATUS_PENDING || ret == 0) {
		tap_ret0(wait_paging(device, queue, resident.paging_fence_value),
			 "wait for the paging fence value %llu MAKERESIDENT returned",
			 (unsigned long long)resident.paging_fence_value);
		tap_ok(*queue->fence_cpu >= resident.paging_fence_value,
		       "the paging fence's CPU VA shows it reached (%llu >= %llu)",
		       (unsigned long long)*queue->fence_cpu,
		       (unsigned long long)resident.paging_fence_value);
	}
	resident.alloc_count = 0;
	tap_errno(dxg(LX_DXMAKERESIDENT, &resident), EINVAL,
		  "MAKERESIDENT of 0 allocations -> EINVAL");
	resident.alloc_count = D3DKMT_MAKERESIDENT_ALLOC_MAX + 1;
	tap_errno(dxg(LX_DXMAKERESIDENT, &resident), EINVAL,
		  "MAKERESIDENT of 10241 allocations -> EINVAL");

	memset(&residency, 0, sizeof(residency));
	residency.device = device;
	residency.allocations = (uintptr_t)&local;
	residency.allocation_count = 1;
	residency.residency_status = (uintptr_t)&status;
	if (tap_ret0(dxg(LX_DXQUERYALLOCATIONRESIDENCY, &residency), "QUERYALLOCATIONRESIDENCY"))
		tap_ok(status >= D3DKMT_ALLOCATIONRESIDENCYSTATUS_RESIDENTINGPUMEMORY &&
		       status <= D3DKMT_ALLOCATIONRESIDENCYSTATUS_NOTRESIDENT,
		       "the residency status is a D3DKMT value (%u)", status);
	residency.resource = local;
	tap_errno(dxg(LX_DXQUERYALLOCATIONRESIDENCY, &residency), EINVAL,
		  "QUERYALLOCATIONRESIDENCY naming both a resource and a list -> EINVAL");

	memset(&set_priority, 0, sizeof(set_priority));
	set_priority.device = device;
	set_priority.allocation_list = (uintptr_t)&local;
	set_priority.allocation_count = 1;
	priority = PRIORITY_HIGH;
	set_priority.priorities = (uintptr_t)&priority;
	tap_ret0(dxg(LX_DXSETALLOCATIONPRIORITY, &set_priority), "SETALLOCATIONPRIORITY high");
	memset(&get_priority, 0, sizeof(get_priority));
	get_priority.device = device;
	get_priority.allocation_list = (uintptr_t)&local;
	get_priority.allocation_count = 1;
	priority = 0;
	get_priority.priorities = (uintptr_t)&priority;
	if (tap_ret0(dxg(LX_DXGETALLOCATIONPRIORITY, &get_priority), "GETALLOCATIONPRIORITY"))
		tap_ok(priority == PRIORITY_HIGH, "GETALLOCATIONPRIORITY reads back 0x%x",
		       priority);

	memset(&evict, 0, sizeof(evict));
	evict.device = device;
	evict.alloc_count = 1;
	evict.allocations = (uintptr_t)&local;
	tap_ret0(dxg(LX_DXEVICT, &evict), "EVICT");
	evict.alloc_count = 0;
	tap_errno(dxg(LX_DXEVICT, &evict), EINVAL, "EVICT of 0 allocations -> EINVAL");

	memset(&offer, 0, sizeof(offer));
	offer.device = device;
	offer.allocations = (uintptr_t)&local;
	offer.allocation_count = 1;
	offer.priority = D3DKMT_OFFER_PRIORITY_LOW;
	offer.resources = (uintptr_t)&local;
	tap_errno(dxg(LX_DXOFFERALLOCATIONS, &offer), EINVAL,
		  "OFFERALLOCATIONS naming both resources and allocations -> EINVAL");
	offer.resources = 0;
	offer.allocations = 0;
	tap_errno(dxg(LX_DXOFFERALLOCATIONS, &offer), EINVAL,
		  "OFFERALLOCATIONS naming neither -> EINVAL");
	offer.allocations = (uintptr_t)&local;
	tap_ret0(dxg(LX_DXOFFERALLOCATIONS, &offer), "OFFERALLOCATIONS");

	memset(&reclaim, 0, sizeof(reclaim));
	reclaim.paging_queue = queue->handle;
	reclaim.allocation_count = 1;
	reclaim.allocations = (uintptr_t)&local;
	reclaim.results = (uintptr_t)&result;
	ret = dxg(LX_DXRECLAIMALLOCATIONS2, &reclaim);
	tap_ok(ret == 0 || ret == DXG_STATUS_PENDING,
	       "RECLAIMALLOCATIONS2 returns 0 or STATUS_PENDING (%d)", ret);
	if (ret >= 0) {
		tap_ok(result == D3DDDI_RECLAIM_RESULT_OK ||
		       result == D3DDDI_RECLAIM_RESULT_DISCARDED,
		       "the reclaim result is OK or DISCARDED (%u)", result);
		tap_ret0(wait_paging(device, queue, reclaim.paging_fence_value),
			 "wait for the reclaim's paging fence value");
	}
	reclaim.resources = (uintptr_t)&local;
	tap_errno(dxg(LX_DXRECLAIMALLOCATIONS2, &reclaim), EINVAL,
		  "RECLAIMALLOCATIONS2 naming both resources and allocations -> EINVAL");

	memset(&property, 0, sizeof(property));
	property.paging_queue = queue->handle;
	property.allocation = local;
	property.property_mask = 0;
	tap_errno(dxg(LX_DXUPDATEALLOCPROPERTY, &property), EINVAL,
		  "UPDATEALLOCPROPERTY changing nothing (mask 0) -> EINVAL");

	destroy_allocations(device, (struct d3dkmthandle){ 0 }, &local, 1);
}

static void test_gpu_va(struct d3dkmthandle adapter, struct d3dkmthandle device,
			const struct paging_queue *queue)
{
	struct d3dddi_reservegpuvirtualaddress reserve;
	struct d3dddi_mapgpuvirtualaddress map;
	struct d3dkmt_freegpuvirtualaddress free_args;
	struct d3dkmt_updategpuvirtualaddress update;
	struct d3dkmthandle allocation = { 0 };
	uint64_t base;
	int ret;

	memset(&reserve, 0, sizeof(reserve));
	reserve.adapter = adapter;
	reserve.size = 0;
	tap_errno(dxg(LX_DXRESERVEGPUVIRTUALADDRESS, &reserve), EINVAL,
		  "RESERVEGPUVIRTUALADDRESS of 0 bytes -> EINVAL");
	reserve.size = ALLOC_SIZE;
	if (!tap_ret0(dxg(LX_DXRESERVEGPUVIRTUALADDRESS, &reserve),
		      "RESERVEGPUVIRTUALADDRESS 64 KiB"))
		return;
	base = reserve.virtual_address;
	tap_ok(base != 0 && base % 4096 == 0, "the reservation is page aligned (0x%llx)",
	       (unsigned long long)base);

	if (tap_ret0(create_one(device, OPENDXG_ALLOC_KIND_HOST_VISIBLE, ALLOC_SIZE, &allocation),
		     "CREATEALLOCATION to map")) {
		memset(&map, 0, sizeof(map));
		map.paging_queue = queue->handle;
		map.base_address = base;
		map.allocation = allocation;
		map.size_in_pages = ALLOC_SIZE / 4096;
		map.protection = D3DDDIGPUVA_PROTECTION_WRITE;
		ret = dxg(LX_DXMAPGPUVIRTUALADDRESS, &map);
		if (tap_ok(ret == 0 || ret == DXG_STATUS_PENDING,
			   "MAPGPUVIRTUALADDRESS into the reservation (%d)", ret)) {
			tap_ok(map.virtual_address == base,
			       "the mapping is at the requested base (0x%llx)",
			       (unsigned long long)map.virtual_address);
			tap_ret0(wait_paging(device, queue, map.paging_fence_value),
				 "wait for the mapping's paging fence value");
		}
		map.size_in_pages = 0;
		tap_errno(dxg(LX_DXMAPGPUVIRTUALADDRESS, &map), EINVAL,
			  "MAPGPUVIRTUALADDRESS of 0 pages -> EINVAL");
	}

	memset(&update, 0, sizeof(update));
	update.device = device;
	update.num_operations = 0;
	tap_errno(dxg(LX_DXUPDATEGPUVIRTUALADDRESS, &update), EINVAL,
		  "UPDATEGPUVIRTUALADDRESS of 0 operations -> EINVAL");
	update.num_operations = D3DKMT_UPDATEGPUVA_MAX_OPERATIONS + 1;
	tap_errno(dxg(LX_DXUPDATEGPUVIRTUALADDRESS, &update), EINVAL,
		  "UPDATEGPUVIRTUALADDRESS of 2049 operations -> EINVAL");

	memset(&free_args, 0, sizeof(free_args));
	free_args.adapter = adapter;
	free_args.base_address = base;
	free_args.size = ALLOC_SIZE;
	tap_ret0(dxg(LX_DXFREEGPUVIRTUALADDRESS, &free_args), "FREEGPUVIRTUALADDRESS");
	tap_errno(dxg(LX_DXFREEGPUVIRTUALADDRESS, &free_args), EINVAL,
		  "FREEGPUVIRTUALADDRESS twice -> EINVAL");
	free_args.size = 0;
	tap_errno(dxg(LX_DXFREEGPUVIRTUALADDRESS, &free_args), EINVAL,
		  "FREEGPUVIRTUALADDRESS of 0 bytes -> EINVAL");
	if (allocation.v)
		destroy_allocations(device, (struct d3dkmthandle){ 0 }, &allocation, 1);
}

int main(void)
{
	struct d3dkmt_adapterinfo adapters[MAX_ADAPTERS];
	struct d3dkmt_enumadapters3 enum_args;
	struct d3dkmt_createdevice device_args;
	struct d3dddi_destroypagingqueue destroy_queue;
	struct paging_queue queue;
	struct d3dkmthandle adapter, device;

	tap_begin("dxgcompat-memory", 240);
	dxg_fd = open("/dev/dxg", O_RDONLY | O_CLOEXEC);
	if (dxg_fd < 0)
		tap_skip_all("no /dev/dxg: %s", errno_name(errno));
	memset(&enum_args, 0, sizeof(enum_args));
	enum_args.filter = D3DKMT_ENUMADAPTERS_FILTER_COMPUTE_ONLY;
	enum_args.adapter_count = MAX_ADAPTERS;
	enum_args.adapters = (uintptr_t)adapters;
	if (dxg(LX_DXENUMADAPTERS3, &enum_args) < 0 || enum_args.adapter_count == 0)
		tap_skip_all("no adapter");
	adapter = adapters[0].adapter_handle;
	memset(&device_args, 0, sizeof(device_args));
	device_args.adapter = adapter;
	if (!tap_ret0(dxg(LX_DXCREATEDEVICE, &device_args), "CREATEDEVICE"))
		return tap_end();
	device = device_args.device;

	memset(&queue, 0, sizeof(queue));
	if (tap_ret0(create_paging_queue(device, &queue), "CREATEPAGINGQUEUE")) {
		tap_ok(queue.handle.v != 0 && queue.fence.v != 0 && queue.fence_cpu != NULL,
		       "the paging queue has a handle, a fence and a fence CPU VA");
		tap_diag("paging fence value %llu", (unsigned long long)*queue.fence_cpu);
		tap_ok(true, "the paging fence CPU VA is readable");
	}

	test_create_rules(device);
	test_lock(device);
	test_video_memory(adapter);
	if (queue.handle.v) {
		test_residency(device, &queue);
		test_gpu_va(adapter, device, &queue);
		destroy_queue.paging_queue = queue.handle;
		tap_ret0(dxg(LX_DXDESTROYPAGINGQUEUE, &destroy_queue), "DESTROYPAGINGQUEUE");
		tap_errno(dxg(LX_DXDESTROYPAGINGQUEUE, &destroy_queue), EINVAL,
			  "DESTROYPAGINGQUEUE twice -> EINVAL");
	}

	{
		struct d3dkmt_destroydevice destroy = { .device = device };

		tap_ret0(dxg(LX_DXDESTROYDEVICE, &destroy), "DESTROYDEVICE");
	}
	for (uint32_t i = 0; i < enum_args.adapter_count; i++) {
		struct d3dkmt_closeadapter close_args = {
			.adapter_handle = adapters[i].adapter_handle,
		};

		dxg(LX_DXCLOSEADAPTER, &close_args);
	}
	close(dxg_fd);
	return tap_end();
}
