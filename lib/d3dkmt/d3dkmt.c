// SPDX-License-Identifier: MIT
/*
 * libd3dkmt: one function per /dev/dxg ioctl, plus the few helpers every caller would otherwise
 * write again (count-then-fill enumeration, typed adapter queries, UTF-16 decoding).
 */
#include "d3dkmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

int d3dkmt_open(void)
{
	int fd = open(D3DKMT_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int d3dkmt_close(int fd)
{
	/* Linux releases the descriptor even when close() fails, so EINTR must not be retried. */
	return close(fd) < 0 ? -errno : 0;
}

int d3dkmt_ioctl(int fd, unsigned long request, void *arg)
{
	int ret = ioctl(fd, request, arg);

	return ret < 0 ? -errno : ret;
}

int d3dkmt_enum_adapters2(int fd, struct d3dkmt_adapterinfo *out, uint32_t *count)
{
	struct d3dkmt_enumadapters2 args;
	int ret;

	if (!count)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.num_adapters = out ? *count : 0;
	args.adapters = (uintptr_t)out;
	ret = d3dkmt_ioctl(fd, LX_DXENUMADAPTERS2, &args);
	/* The kernel reports the adapter count on success and with -EOVERFLOW alike. */
	if (ret >= 0 || ret == -EOVERFLOW)
		*count = args.num_adapters;
	return ret < 0 ? ret : 0;
}

int d3dkmt_enum_adapters3(int fd, uint64_t filter, struct d3dkmt_adapterinfo *out, uint32_t *count)
{
	struct d3dkmt_enumadapters3 args;
	int ret;

	if (!count)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.filter = filter;
	args.adapter_count = out ? *count : 0;
	args.adapters = (uintptr_t)out;
	ret = d3dkmt_ioctl(fd, LX_DXENUMADAPTERS3, &args);
	if (ret >= 0 || ret == -EOVERFLOW)
		*count = args.adapter_count;
	return ret < 0 ? ret : 0;
}

int d3dkmt_enum_adapters_alloc(int fd, uint64_t filter, struct d3dkmt_adapterinfo **out,
			       uint32_t *count)
{
	/* Adapters can appear between counting and filling; a few rounds settle any real race. */
	for (int attempt = 0; attempt < 8; attempt++) {
		struct d3dkmt_adapterinfo *adapters;
		uint32_t present = 0, filled;
		int ret;

		ret = d3dkmt_enum_adapters3(fd, filter, NULL, &present);
		if (ret < 0)
			return ret;
		if (present == 0) {
			*out = NULL;
			*count = 0;
			return 0;
		}
		filled = present;
		adapters = calloc(present, sizeof(*adapters));
		if (!adapters)
			return -ENOMEM;
		ret = d3dkmt_enum_adapters3(fd, filter, adapters, &filled);
		if (ret == 0) {
			*out = adapters;
			*count = filled;
			return 0;
		}
		free(adapters);
		if (ret != -EOVERFLOW)
			return ret;
	}
	return -EAGAIN;
}

int d3dkmt_open_adapter_from_luid(int fd, struct winluid luid, struct d3dkmthandle *adapter)
{
	struct d3dkmt_openadapterfromluid args;
	int ret;

	if (!adapter)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.adapter_luid = luid;
	ret = d3dkmt_ioctl(fd, LX_DXOPENADAPTERFROMLUID, &args);
	if (ret < 0)
		return ret;
	*adapter = args.adapter_handle;
	return 0;
}

int d3dkmt_close_adapter(int fd, struct d3dkmthandle adapter)
{
	struct d3dkmt_closeadapter args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.adapter_handle = adapter;
	ret = d3dkmt_ioctl(fd, LX_DXCLOSEADAPTER, &args);
	return ret < 0 ? ret : 0;
}

int d3dkmt_query_adapter_info(int fd, struct d3dkmthandle adapter, uint32_t type, void *data,
			      uint32_t size)
{
	struct d3dkmt_queryadapterinfo args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.adapter = adapter;
	args.type = type;
	args.private_data = (uintptr_t)data;
	args.private_data_size = size;
	ret = d3dkmt_ioctl(fd, LX_DXQUERYADAPTERINFO, &args);
	return ret < 0 ? ret : 0;
}

int d3dkmt_query_adapter_type(int fd, struct d3dkmthandle adapter, uint32_t *type_bits)
{
	uint32_t bits = 0;
	int ret;

	ret = d3dkmt_query_adapter_info(fd, adapter, KMTQAITYPE_ADAPTERTYPE_RENDER, &bits,
					sizeof(bits));
	if (ret == 0)
		*type_bits = bits;
	return ret;
}

int d3dkmt_query_device_ids(int fd, struct d3dkmthandle adapter, uint32_t index,
			    struct d3dkmt_query_device_ids *ids)
{
	struct d3dkmt_query_device_ids query;
	int ret;

	memset(&query, 0, sizeof(query));
	query.physical_adapter_index = index;
	ret = d3dkmt_query_adapter_info(fd, adapter, KMTQAITYPE_PHYSICALADAPTERDEVICEIDS, &query,
					sizeof(query));
	if (ret == 0)
		*ids = query;
	return ret;
}

int d3dkmt_query_wddm_2_7_caps(int fd, struct d3dkmthandle adapter, uint32_t *caps)
{
	uint32_t bits = 0;
	int ret;

	ret = d3dkmt_query_adapter_info(fd, adapter, KMTQAITYPE_WDDM_2_7_CAPS, &bits, sizeof(bits));
	if (ret == 0)
		*caps = bits;
	return ret;
}

ssize_t d3dkmt_query_driver_description(int fd, struct d3dkmthandle adapter, char *utf8,
					size_t size)
{
	uint16_t *units;
	ssize_t ret;

	if (!utf8 || size == 0)
		return -EINVAL;
	/* 8 KiB is too much for the stack of a thread a caller may have made small. */
	units = calloc(D3DKMT_DRIVER_DESCRIPTION_CHARS, sizeof(*units));
	if (!units)
		return -ENOMEM;
	ret = d3dkmt_query_adapter_info(fd, adapter, KMTQAITYPE_DRIVER_DESCRIPTION, units,
					D3DKMT_DRIVER_DESCRIPTION_CHARS * sizeof(*units));
	if (ret == 0)
		ret = d3dkmt_utf16_to_utf8(units, D3DKMT_DRIVER_DESCRIPTION_CHARS * sizeof(*units),
					   utf8, size);
	else
		utf8[0] = '\0';
	free(units);
	return ret;
}

/*
 * The opendxg records carry their own version and size: a version-1 reader accepts any record that
 * says version >= 1 and is at least as large as what it knows, and never reads past the answer.
 */
static int check_versioned_record(uint32_t version, uint32_t size, uint32_t known_size)
{
	return version >= 1 && size >= known_size ? 0 : -EPROTO;
}

int d3dkmt_query_opendxg_caps(int fd, struct d3dkmthandle adapter,
			      struct opendxg_adapter_caps *caps)
{
	int ret;

	memset(caps, 0, sizeof(*caps));
	caps->version = 1;
	caps->size = sizeof(*caps);
	ret = d3dkmt_query_adapter_info(fd, adapter, OPENDXG_QAI_ADAPTER_CAPS, caps, sizeof(*caps));
	if (ret < 0)
		return ret;
	ret = check_versioned_record(caps->version, caps->size, sizeof(*caps));
	if (ret < 0)
		return ret;
	/* The strings cross a trust boundary on the way here; never hand out unterminated ones. */
	caps->device_name[sizeof(caps->device_name) - 1] = '\0';
	caps->driver_name[sizeof(caps->driver_name) - 1] = '\0';
	return 0;
}

int d3dkmt_query_vm_stats(int fd, struct d3dkmthandle adapter, struct opendxg_vm_stats *stats)
{
	int ret;

	memset(stats, 0, sizeof(*stats));
	stats->version = 1;
	stats->size = sizeof(*stats);
	ret = d3dkmt_query_adapter_info(fd, adapter, OPENDXG_QAI_VM_STATS, stats, sizeof(*stats));
	if (ret < 0)
		return ret;
	return check_versioned_record(stats->version, stats->size, sizeof(*stats));
}

int d3dkmt_create_device(int fd, struct d3dkmthandle adapter, uint32_t flags,
			 struct d3dkmthandle *device)
{
	struct d3dkmt_createdevice args;
	int ret;

	if (!device)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.adapter = adapter;
	args.flags = flags;
	ret = d3dkmt_ioctl(fd, LX_DXCREATEDEVICE, &args);
	if (ret < 0)
		return ret;
	*device = args.device;
	return 0;
}

int d3dkmt_destroy_device(int fd, struct d3dkmthandle device)
{
	struct d3dkmt_destroydevice args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.device = device;
	ret = d3dkmt_ioctl(fd, LX_DXDESTROYDEVICE, &args);
	return ret < 0 ? ret : 0;
}

int d3dkmt_create_context_virtual(int fd, struct d3dkmthandle device,
				  const struct d3dkmt_context_params *params,
				  struct d3dkmthandle *context)
{
	struct d3dkmt_createcontextvirtual args;
	int ret;

	if (!params || !context)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.device = device;
	args.node_ordinal = params->node_ordinal;
	args.engine_affinity = params->engine_affinity;
	args.flags = params->flags;
	args.priv_drv_data = (uintptr_t)params->priv_data;
	args.priv_drv_data_size = params->priv_data_size;
	args.client_hint = params->client_hint;
	ret = d3dkmt_ioctl(fd, LX_DXCREATECONTEXTVIRTUAL, &args);
	if (ret < 0)
		return ret;
	*context = args.context;
	return 0;
}

int d3dkmt_destroy_context(int fd, struct d3dkmthandle context)
{
	struct d3dkmt_destroycontext args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.context = context;
	ret = d3dkmt_ioctl(fd, LX_DXDESTROYCONTEXT, &args);
	return ret < 0 ? ret : 0;
}

/* ---- memory ---- */

int d3dkmt_alloc_priv_init(struct opendxg_alloc_priv *priv, uint32_t kind, uint64_t size)
{
	if (!priv)
		return -EINVAL;
	memset(priv, 0, sizeof(*priv));
	priv->version = OPENDXG_ALLOC_PRIV_VERSION;
	priv->kind = kind;
	priv->header_size = sizeof(*priv);
	priv->size = size;
	return (int)sizeof(*priv);
}

void *d3dkmt_program_priv_alloc(const void *spirv, size_t size, uint32_t *priv_size)
{
	struct opendxg_alloc_priv header;
	unsigned char *buffer;

	if (!spirv || !priv_size || size > D3DKMT_MAX_PRIVATE_DATA_SIZE - sizeof(header))
		return NULL;
	buffer = malloc(sizeof(header) + size);
	if (!buffer)
		return NULL;
	d3dkmt_alloc_priv_init(&header, OPENDXG_ALLOC_KIND_PROGRAM, size);
	memcpy(buffer, &header, sizeof(header));
	memcpy(buffer + sizeof(header), spirv, size);
	*priv_size = (uint32_t)(sizeof(header) + size);
	return buffer;
}

int d3dkmt_create_allocation_args(int fd, struct d3dkmt_createallocation *args)
{
	int ret = d3dkmt_ioctl(fd, LX_DXCREATEALLOCATION, args);

	return ret < 0 ? ret : 0;
}

/* One standalone allocation whose KMD private data is @priv (@priv_size bytes). */
static int create_one(int fd, struct d3dkmthandle device, const void *priv, uint32_t priv_size,
		      struct d3dkmthandle *allocation)
{
	struct d3dddi_allocationinfo2 info;
	struct d3dkmt_createallocation args;
	int ret;

	if (!allocation)
		return -EINVAL;
	memset(&info, 0, sizeof(info));
	info.priv_drv_data = (uintptr_t)priv;
	info.priv_drv_data_size = priv_size;
	memset(&args, 0, sizeof(args));
	args.device = device;
	args.alloc_count = 1;
	args.allocation_info = (uintptr_t)&info;
	ret = d3dkmt_create_allocation_args(fd, &args);
	if (ret < 0)
		return ret;
	*allocation = info.allocation;
	return 0;
}

int d3dkmt_create_allocation(int fd, struct d3dkmthandle device, uint32_t kind, uint64_t size,
			     struct d3dkmthandle *allocation)
{
	struct opendxg_alloc_priv priv;

	d3dkmt_alloc_priv_init(&priv, kind, size);
	return create_one(fd, device, &priv, sizeof(priv), allocation);
}

int d3dkmt_create_program(int fd, struct d3dkmthandle device, const void *spirv, size_t size,
			  struct d3dkmthandle *allocation)
{
	uint32_t priv_size = 0;
	void *priv = d3dkmt_program_priv_alloc(spirv, size, &priv_size);
	int ret;

	if (!priv)
		return spirv ? -ENOMEM : -EINVAL;
	ret = create_one(fd, device, priv, priv_size, allocation);
	free(priv);
	return ret;
}

int d3dkmt_destroy_allocation2(int fd, struct d3dkmthandle device, struct d3dkmthandle resource,
			       const struct d3dkmthandle *allocations, uint32_t count,
			       uint32_t flags)
{
	struct d3dkmt_destroyallocation2 args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.resource = resource;
	args.allocations = (uintptr_t)allocations;
	args.alloc_count = count;
	args.flags = flags;
	ret = d3dkmt_ioctl(fd, LX_DXDESTROYALLOCATION2, &args);
	return ret < 0 ? ret : 0;
}

int d3dkmt_destroy_allocation(int fd, struct d3dkmthandle device, struct d3dkmthandle allocation)
{
	return d3dkmt_destroy_allocation2(fd, device, (struct d3dkmthandle){ 0 }, &allocation, 1,
					  0);
}

int d3dkmt_lock2(int fd, struct d3dkmthandle device, struct d3dkmthandle allocation, void **data)
{
	struct d3dkmt_lock2 args;
	int ret;

	if (!data)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.device = device;
	args.allocation = allocation;
	ret = d3dkmt_ioctl(fd, LX_DXLOCK2, &args);
	if (ret < 0)
		return ret;
	*data = (void *)(uintptr_t)args.data;
	return 0;
}

int d3dkmt_unlock2(int fd, struct d3dkmthandle device, struct d3dkmthandle allocation)
{
	struct d3dkmt_unlock2 args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.allocation = allocation;
	ret = d3dkmt_ioctl(fd, LX_DXUNLOCK2, &args);
	return ret < 0 ? ret : 0;
}

int d3dkmt_query_video_memory(int fd, struct d3dkmthandle adapter, uint32_t group,
			      struct d3dkmt_video_memory *info)
{
	struct d3dkmt_queryvideomemoryinfo args;
	int ret;

	if (!info)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.adapter = adapter;
	args.memory_segment_group = group;
	ret = d3dkmt_ioctl(fd, LX_DXQUERYVIDEOMEMORYINFO, &args);
	if (ret < 0)
		return ret;
	info->budget = args.budget;
	info->current_usage = args.current_usage;
	info->current_reservation = args.current_reservation;
	info->available_for_reservation = args.available_for_reservation;
	return 0;
}

int d3dkmt_change_video_memory_reservation(int fd, struct d3dkmthandle adapter, uint32_t group,
					   uint64_t reservation)
{
	struct d3dkmt_changevideomemoryreservation args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.adapter = adapter;
	args.memory_segment_group = group;
	args.reservation = reservation;
	ret = d3dkmt_ioctl(fd, LX_DXCHANGEVIDEOMEMORYRESERVATION, &args);
	return ret < 0 ? ret : 0;
}

int d3dkmt_query_allocation_residency(int fd, struct d3dkmthandle device,
				      struct d3dkmthandle resource,
				      const struct d3dkmthandle *allocations, uint32_t count,
				      uint32_t *status)
{
	struct d3dkmt_queryallocationresidency args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.resource = resource;
	args.allocations = (uintptr_t)allocations;
	args.allocation_count = count;
	args.residency_status = (uintptr_t)status;
	ret = d3dkmt_ioctl(fd, LX_DXQUERYALLOCATIONRESIDENCY, &args);
	return ret < 0 ? ret : 0;
}

int d3dkmt_set_allocation_priority(int fd, struct d3dkmthandle device,
				   struct d3dkmthandle resource,
				   const struct d3dkmthandle *allocations, uint32_t count,
				   const uint32_t *priorities)
{
	struct d3dkmt_setallocationpriority args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.resource = resource;
	args.allocation_list = (uintptr_t)allocations;
	args.allocation_count = count;
	args.priorities = (uintptr_t)priorities;
	ret = d3dkmt_ioctl(fd, LX_DXSETALLOCATIONPRIORITY, &args);
	return ret < 0 ? ret : 0;
}

int d3dkmt_get_allocation_priority(int fd, struct d3dkmthandle device,
				   struct d3dkmthandle resource,
				   const struct d3dkmthandle *allocations, uint32_t count,
				   uint32_t *priorities)
{
	struct d3dkmt_getallocationpriority args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.resource = resource;
	args.allocation_list = (uintptr_t)allocations;
	args.allocation_count = count;
	args.priorities = (uintptr_t)priorities;
	ret = d3dkmt_ioctl(fd, LX_DXGETALLOCATIONPRIORITY, &args);
	return ret < 0 ? ret : 0;
}

int d3dkmt_offer_allocations(int fd, struct d3dkmthandle device,
			     const struct d3dkmthandle *resources,
			     const struct d3dkmthandle *allocations, uint32_t count,
			     uint32_t priority, uint32_t flags)
{
	struct d3dkmt_offerallocations args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.resources = (uintptr_t)resources;
	args.allocations = (uintptr_t)allocations;
	args.allocation_count = count;
	args.priority = priority;
	args.flags = flags;
	ret = d3dkmt_ioctl(fd, LX_DXOFFERALLOCATIONS, &args);
	return ret < 0 ? ret : 0;
}

int d3dkmt_reclaim_allocations2(int fd, struct d3dkmthandle paging_queue,
				const struct d3dkmthandle *resources,
				const struct d3dkmthandle *allocations, uint32_t count,
				uint32_t *results, uint64_t *paging_fence_value)
{
	struct d3dkmt_reclaimallocations2 args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.paging_queue = paging_queue;
	args.allocation_count = count;
	args.resources = (uintptr_t)resources;
	args.allocations = (uintptr_t)allocations;
	args.results = (uintptr_t)results;
	ret = d3dkmt_ioctl(fd, LX_DXRECLAIMALLOCATIONS2, &args);
	if (ret >= 0 && paging_fence_value)
		*paging_fence_value = args.paging_fence_value;
	return ret;
}

int d3dkmt_update_alloc_property(int fd, struct d3dkmthandle paging_queue,
				 struct d3dkmthandle allocation,
				 const struct d3dkmt_alloc_property *property,
				 uint64_t *paging_fence_value)
{
	struct d3dddi_updateallocproperty args;
	int ret;

	if (!property)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.paging_queue = paging_queue;
	args.allocation = allocation;
	args.supported_segment_set = property->supported_segment_set;
	args.preferred_segment = property->preferred_segment;
	args.flags = property->flags;
	args.property_mask = property->property_mask;
	ret = d3dkmt_ioctl(fd, LX_DXUPDATEALLOCPROPERTY, &args);
	if (ret >= 0 && paging_fence_value)
		*paging_fence_value = args.paging_fence_value;
	return ret;
}

int d3dkmt_create_paging_queue(int fd, struct d3dkmthandle device, int32_t priority,
			       struct d3dkmt_paging_queue *queue)
{
	struct d3dkmt_createpagingqueue args;
	int ret;

	if (!queue)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.device = device;
	args.priority = priority;
	ret = d3dkmt_ioctl(fd, LX_DXCREATEPAGINGQUEUE, &args);
	if (ret < 0)
		return ret;
	queue->handle = args.paging_queue;
	queue->sync_object = args.sync_object;
	queue->fence = (const volatile uint64_t *)(uintptr_t)args.fence_cpu_virtual_address;
	return 0;
}

int d3dkmt_destroy_paging_queue(int fd, struct d3dkmthandle paging_queue)
{
	struct d3dddi_destroypagingqueue args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.paging_queue = paging_queue;
	ret = d3dkmt_ioctl(fd, LX_DXDESTROYPAGINGQUEUE, &args);
	return ret < 0 ? ret : 0;
}

int d3dkmt_make_resident(int fd, struct d3dkmthandle paging_queue,
			 const struct d3dkmthandle *allocations, uint32_t count,
			 const uint32_t *priorities, uint32_t flags, uint64_t *paging_fence_value,
			 uint64_t *bytes_to_trim)
{
	struct d3dddi_makeresident args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.paging_queue = paging_queue;
	args.alloc_count = count;
	args.allocation_list = (uintptr_t)allocations;
	args.priority_list = (uintptr_t)priorities;
	args.flags = flags;
	ret = d3dkmt_ioctl(fd, LX_DXMAKERESIDENT, &args);
	if (ret >= 0) {
		if (paging_fence_value)
			*paging_fence_value = args.paging_fence_value;
		if (bytes_to_trim)
			*bytes_to_trim = args.num_bytes_to_trim;
	}
	return ret;
}

int d3dkmt_evict(int fd, struct d3dkmthandle device, const struct d3dkmthandle *allocations,
		 uint32_t count, uint32_t flags, uint64_t *bytes_to_trim)
{
	struct d3dkmt_evict args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.alloc_count = count;
	args.allocations = (uintptr_t)allocations;
	args.flags = flags;
	ret = d3dkmt_ioctl(fd, LX_DXEVICT, &args);
	if (ret >= 0 && bytes_to_trim)
		*bytes_to_trim = args.num_bytes_to_trim;
	return ret < 0 ? ret : 0;
}

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int d3dkmt_wait_paging_fence(const volatile uint64_t *fence, uint64_t value,
			     unsigned int timeout_ms)
{
	const struct timespec pause = { .tv_sec = 0, .tv_nsec = 200 * 1000 };
	uint64_t deadline;

	if (!fence)
		return -EINVAL;
	deadline = monotonic_ms() + timeout_ms;
	for (;;) {
		/*
		 * The host stores the value with release semantics after the operation's effects;
		 * the acquire load orders everything the caller reads next after them.
		 */
		if (__atomic_load_n(fence, __ATOMIC_ACQUIRE) >= value)
			return 0;
		if (monotonic_ms() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&pause, NULL);
	}
}

int d3dkmt_reserve_gpu_va(int fd, struct d3dkmthandle adapter,
			  const struct d3dkmt_gpu_va_reservation *reservation, uint64_t *va)
{
	struct d3dddi_reservegpuvirtualaddress args;
	int ret;

	if (!reservation || !va)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.adapter = adapter;
	args.base_address = reservation->base_address;
	args.minimum_address = reservation->minimum_address;
	args.maximum_address = reservation->maximum_address;
	args.size = reservation->size;
	args.reservation_type = reservation->reservation_type;
	args.driver_protection = reservation->driver_protection;
	ret = d3dkmt_ioctl(fd, LX_DXRESERVEGPUVIRTUALADDRESS, &args);
	if (ret < 0)
		return ret;
	*va = args.virtual_address;
	return 0;
}

int d3dkmt_free_gpu_va(int fd, struct d3dkmthandle adapter, uint64_t base, uint64_t size)
{
	struct d3dkmt_freegpuvirtualaddress args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.adapter = adapter;
	args.base_address = base;
	args.size = size;
	ret = d3dkmt_ioctl(fd, LX_DXFREEGPUVIRTUALADDRESS, &args);
	return ret < 0 ? ret : 0;
}

int d3dkmt_map_gpu_va(int fd, struct d3dkmthandle paging_queue,
		      const struct d3dkmt_gpu_va_mapping *mapping, uint64_t *va,
		      uint64_t *paging_fence_value)
{
	struct d3dddi_mapgpuvirtualaddress args;
	int ret;

	if (!mapping || !va)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.paging_queue = paging_queue;
	args.base_address = mapping->base_address;
	args.minimum_address = mapping->minimum_address;
	args.maximum_address = mapping->maximum_address;
	args.allocation = mapping->allocation;
	args.offset_in_pages = mapping->offset_in_pages;
	args.size_in_pages = mapping->size_in_pages;
	args.protection = mapping->protection;
	args.driver_protection = mapping->driver_protection;
	ret = d3dkmt_ioctl(fd, LX_DXMAPGPUVIRTUALADDRESS, &args);
	if (ret < 0)
		return ret;
	*va = args.virtual_address;
	if (paging_fence_value)
		*paging_fence_value = args.paging_fence_value;
	return ret;
}

int d3dkmt_update_gpu_va(int fd, struct d3dkmthandle device, struct d3dkmthandle context,
			 struct d3dkmthandle fence_object, uint64_t fence_value,
			 const struct d3dddi_updategpuvirtualaddress_operation *ops,
			 uint32_t count, uint32_t flags)
{
	struct d3dkmt_updategpuvirtualaddress args;
	int ret;

	memset(&args, 0, sizeof(args));
	args.device = device;
	args.context = context;
	args.fence_object = fence_object;
	args.num_operations = count;
	args.operations = (uintptr_t)ops;
	args.fence_value = fence_value;
	args.flags = flags;
	ret = d3dkmt_ioctl(fd, LX_DXUPDATEGPUVIRTUALADDRESS, &args);
	return ret < 0 ? ret : 0;
}

static size_t utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Reads byte by byte: the buffer may be unaligned, and the ABI's UTF-16 is little-endian. */
static uint32_t load_le16(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

ssize_t d3dkmt_utf16_to_utf8(const void *src, size_t src_bytes, char *dst, size_t dst_size)
{
	const unsigned char *in = src;
	size_t units = src_bytes / 2, pos = 0, i = 0;

	if (!dst || (!src && units > 0))
		return -EINVAL;
	while (i < units) {
		uint32_t cp = load_le16(in + 2 * i);
		char encoded[4];
		size_t len;

		if (cp == 0)
			break;
		i++;
		if (cp >= 0xd800 && cp <= 0xdbff && i < units) {
			uint32_t low = load_le16(in + 2 * i);

			if (low >= 0xdc00 && low <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
				i++;
			}
		}
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0xfffd;
		len = utf8_encode(cp, encoded);
		if (pos + len + 1 > dst_size) {
			if (dst_size > 0)
				dst[pos] = '\0';
			return -ENOBUFS;
		}
		memcpy(dst + pos, encoded, len);
		pos += len;
	}
	if (dst_size == 0)
		return -ENOBUFS;
	dst[pos] = '\0';
	return (ssize_t)pos;
}
